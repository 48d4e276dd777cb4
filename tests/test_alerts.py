"""Alerts end to end: a planted spike delivered once per channel to loopback servers, then silence in cooldown."""

from __future__ import annotations

import json
import socket
import threading
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from analysis.reports.alerts.config import AlertConfigError, load_config
from analysis.reports.alerts.run import run_alerts
from analysis.reports.alerts.state import load_state
from collectors.store import Store
from collectors.trackers import load_trackers
from dashboard.cli import cli
from tests.analytics_fixtures import MODEL, add_scores, records_per_day

SPIKE = date(2026, 4, 20)
TRACKER = "iqiyi-nadou"  # the real trackers file: the CLI loads it
RAW_AUTHOR = "5550001234"


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict, dict]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append((dict(self.headers), json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def webhook():
    _Hook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Hook.received
    server.shutdown()
    server.server_close()


class _Sink:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


@contextmanager
def smtp_server(handler):
    """An SMTP server on a free loopback port, handled by `handler`; yields the port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def smtp_sink():
    sink = _Sink()
    with smtp_server(sink) as port:
        yield port, sink.messages


def _write_config(path, hook_url, smtp_port, extra="", email_extra=""):
    path.write_text(f"""
schema_version = 1
[defaults]
cooldown_hours = 24
channels = ["webhook", "email", "rss"]
[channels.webhook]
url = "{hook_url}"
[channels.email]
host = "127.0.0.1"
port = {smtp_port}
starttls = false
sender = "alerts@actorwatch.invalid"
to = ["desk@actorwatch.invalid"]
{email_extra}
[channels.rss]
path = "feed/alerts.xml"
[[rule]]
id = "spike"
tracker = "{TRACKER}"
kind = "volume_spike"
{extra}
""", encoding="utf-8")
    return path


def _planted_spike(data_dir, make_record):
    store = Store(data_dir)
    quiet = {SPIKE - timedelta(days=i): 5 + (i % 3) for i in range(1, 21)}
    records = records_per_day(make_record, quiet, trackers=[TRACKER])
    records += records_per_day(make_record, {SPIKE: 80}, trackers=[TRACKER], text="抵制AI艺人库", shares=3)
    records.append(make_record(published_at=datetime(2026, 4, 20, 9, tzinfo=UTC), trackers=[TRACKER],
                               text="抵制 @某演员 AI艺人库", shares=500, author_id=RAW_AUTHOR, author_name="小号本人"))
    store.add_records(records)
    return store


def test_planted_spike_delivers_once_per_channel_then_cooldown(tmp_path, data_dir, make_record, webhook, smtp_sink,
                                                               monkeypatch):
    monkeypatch.setenv("ACTORWATCH_WEBHOOK_TOKEN", "hook-token-123")
    hook_url, posts = webhook
    port, mails = smtp_sink
    _planted_spike(data_dir, make_record)
    config = _write_config(tmp_path / "alerts.toml", hook_url, port)

    first = CliRunner().invoke(cli, ["alerts", "run", "--config", str(config), "--as-of", "2026-04-21"])
    assert first.exit_code == 0, first.output
    assert len(posts) == 1 and len(mails) == 1
    feed = ET.parse(data_dir / "feed" / "alerts.xml").getroot()
    assert len(feed.findall("{http://www.w3.org/2005/Atom}entry")) == 1

    headers, alert = posts[0]
    assert headers["Authorization"] == "Bearer hook-token-123"
    assert alert["day"] == "2026-04-20" and alert["kind"] == "volume_spike"
    assert "on 2026-04-20 (UTC day)" in alert["summary"]  # a UTC day, not the Beijing day a Weibo reader assumes
    assert alert["link"] == f"http://127.0.0.1:8501/?tracker={TRACKER}&from=2026-04-06&to=2026-04-23"
    top = alert["evidence"]["top_records"][0]
    assert top["shares"] == 500 and top["author"].startswith("u_") and "@(user)" in top["text"]
    mail = message_from_bytes(mails[0])
    assert "Volume spike" in mail["Subject"]
    # RFC 5322 requires a Date; smtplib adds none, and many servers mark a dateless mail as spam or date it on arrival
    assert mail["Date"] and mail["Message-ID"]
    for delivered in (json.dumps(alert), mails[0].decode(errors="replace"),
                      (data_dir / "feed" / "alerts.xml").read_text(encoding="utf-8")):
        assert RAW_AUTHOR not in delivered and "小号本人" not in delivered and "hook-token-123" not in delivered

    second = CliRunner().invoke(cli, ["alerts", "run", "--config", str(config), "--as-of", "2026-04-21"])
    assert second.exit_code == 0, second.output
    assert "in cooldown: spike" in second.output
    assert len(posts) == 1 and len(mails) == 1
    assert len(ET.parse(data_dir / "feed" / "alerts.xml").getroot().findall("{http://www.w3.org/2005/Atom}entry")) == 1


def test_same_spike_is_not_resent_after_cooldown(tmp_path, data_dir, make_record, webhook, smtp_sink):
    hook_url, posts = webhook
    port, mails = smtp_sink
    store = _planted_spike(data_dir, make_record)
    config = load_config(_write_config(tmp_path / "alerts.toml", hook_url, port))
    now = datetime(2026, 4, 21, 6, tzinfo=UTC)
    assert len(run_alerts(config, store, now=now).alerts) == 1
    later = run_alerts(config, store, now=now + timedelta(hours=30))  # cooldown over, spike still in lookback
    assert later.alerts == [] and len(posts) == 1 and len(mails) == 1


def test_quiet_series_raises_nothing_and_dry_run_sends_nothing(tmp_path, data_dir, make_record, webhook, smtp_sink):
    hook_url, posts = webhook
    port, mails = smtp_sink
    store = _planted_spike(data_dir, make_record)
    config = load_config(_write_config(tmp_path / "alerts.toml", hook_url, port))
    quiet = run_alerts(config, store, now=datetime(2026, 4, 16, 6, tzinfo=UTC))
    assert quiet.alerts == []
    dry = run_alerts(config, store, now=datetime(2026, 4, 21, 6, tzinfo=UTC), dry_run=True)
    assert len(dry.alerts) == 1 and posts == [] and mails == []
    assert load_state().fired == {}


def test_failed_channel_is_kept_and_retried_on_the_next_run(tmp_path, data_dir, make_record, webhook, smtp_sink):
    hook_url, posts = webhook
    port, mails = smtp_sink
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    store = _planted_spike(data_dir, make_record)
    config = load_config(_write_config(tmp_path / "alerts.toml", hook_url, dead_port))
    now = datetime(2026, 4, 21, 6, tzinfo=UTC)
    report = run_alerts(config, store, now=now)
    assert report.delivered == {"webhook": 1, "rss": 1} and len(report.failures) == 1
    assert "127.0.0.1" in report.failures[0]
    pending = load_state().pending
    assert len(pending) == 1 and pending[0]["channels"] == ["email"]
    # the mail server is back: the next run (still in cooldown) delivers the kept alert by email only
    fixed = load_config(_write_config(tmp_path / "alerts.toml", hook_url, port))
    retry = run_alerts(fixed, store, now=now + timedelta(hours=1))
    assert retry.alerts == [] and retry.delivered == {"email": 1} and not retry.failures
    assert len(mails) == 1 and len(posts) == 1 and load_state().pending == []


def test_new_statement_from_watched_entity(tmp_path, data_dir):
    tracker = next(t for t in load_trackers() if t.id == TRACKER)
    watched = {e.id for e in tracker.entities if e.watch}
    statement = next(s for s in sorted(tracker.statements, key=lambda s: s.date) if s.entity in watched)
    path = tmp_path / "alerts.toml"
    path.write_text(f"""schema_version = 1
[channels.rss]
path = "alerts.xml"
[[rule]]
id = "said"
tracker = "{TRACKER}"
kind = "new_statement"
lookback_days = 1
""", encoding="utf-8")
    report = run_alerts(load_config(path), Store(data_dir), as_of=statement.date,
                        now=datetime(2026, 5, 1, tzinfo=UTC))
    keys = [a.key for a in report.alerts]
    assert f"said:{statement.id}" in keys
    assert all(a.evidence["statement"]["source_url"].startswith("http") for a in report.alerts)
    assert all(a.link.startswith("http://127.0.0.1:8501/voices?") for a in report.alerts)  # the statements page


def test_config_validation_names_the_field(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('schema_version = 1\n[[rule]]\nid = "x"\ntracker = "t"\nkind = "volume_spike"\nsensitivity = "loud"\n')
    with pytest.raises(AlertConfigError, match=r"rule\.0\.sensitivity"):
        load_config(bad)
    bad.write_text('schema_version = 1\n[defaults]\nchannels = ["webhook"]\n[[rule]]\nid = "x"\ntracker = "t"\n'
                   'kind = "volume_spike"\n')
    with pytest.raises(AlertConfigError, match=r"channel 'webhook' is not configured") as raised:
        load_config(bad)
    assert "Value error" not in str(raised.value)  # pydantic's prefix used to leak into the message
    result = CliRunner().invoke(cli, ["alerts", "check", "--config", str(bad)])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_shipped_example_is_valid():
    config = load_config()  # the shipped data/alerts.toml (no user file in the isolated data dir)
    trackers = {t.id for t in load_trackers()}
    assert {r.tracker for r in config.effective_rules()} <= trackers
    assert config.channels.webhook is None and config.channels.email is None  # the example contacts no host


def _rule_file(path, body):
    path.write_text(f'schema_version = 1\n[channels.rss]\npath = "alerts.xml"\n{body}', encoding="utf-8")
    return path


def test_negative_share_jump_fires_on_its_day(tmp_path, data_dir, make_record):
    store = Store(data_dir)
    labels = {}
    for i in range(20, 0, -1):  # 20 steady days at 20% negative, then 75% on the 20th of April
        day = SPIKE - timedelta(days=i - 1)
        batch = records_per_day(make_record, {day: 40}, trackers=[TRACKER])
        share = 0.75 if day == SPIKE else 0.2 + 0.025 * (i % 3)
        labels.update({(r.source, r.id): "negative" if j < round(40 * share) else "neutral" for j, r in enumerate(batch)})
        store.add_records(batch)
    add_scores(store, labels)
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "neg"\ntracker = "{TRACKER}"\n'
                                                      'kind = "negative_jump"\nmin_records = 30\n'))
    report = run_alerts(config, store, now=datetime(2026, 4, 20, 23, tzinfo=UTC))
    assert [a.day for a in report.alerts] == ["2026-04-20"]
    assert report.alerts[0].metrics["value"] == pytest.approx(0.75) and "75% (95% CI 60%–86%) of 40" in report.alerts[0].summary
    # Wilson, 30 of 40: the share is not certain; judged at 23:00, the day is not over
    assert "(UTC day to 23:00 UTC, not over)" in report.alerts[0].summary
    # the model as its card gives it (here none: the test model has no card, and the alert says it is not measured),
    # not a bare version hash a reader cannot judge
    assert f"Sentiment by {MODEL} test-1; no methods card found" in report.alerts[0].summary
    # the day is a UTC day (Beijing's 20 April starts 8 hours earlier): the alert says so, as the brief does
    assert "2026-04-20 (UTC)" in report.alerts[0].title and "2026-04-20 (UTC day" in report.alerts[0].summary
    assert run_alerts(config, store, now=datetime(2026, 4, 18, 23, tzinfo=UTC)).alerts == []  # before the jump
    # the same day's volume did not move, so a volume rule stays quiet
    volume = load_config(_rule_file(tmp_path / "v.toml", f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\n'
                                                        'kind = "volume_spike"\nsensitivity = "more"\n'))
    assert run_alerts(volume, store, now=datetime(2026, 4, 20, 23, tzinfo=UTC)).alerts == []


def _ceo_spike(data_dir, make_record) -> Store:
    """30 records a day for two weeks, then a day of 70: 30 ordinary ones and 40 mentioning Gong Yu."""
    store = Store(data_dir)
    quiet = {SPIKE - timedelta(days=i): 30 for i in range(1, 15)}
    store.add_records(records_per_day(make_record, quiet, trackers=[TRACKER], text="爱奇艺 日常")
                      + records_per_day(make_record, {SPIKE: 30}, trackers=[TRACKER], text="爱奇艺 日常")
                      + records_per_day(make_record, {SPIKE: 40}, trackers=[TRACKER], text="龚宇 说 非遗"))
    return store


def test_entity_rule_counts_only_records_mentioning_the_entity(tmp_path, data_dir, make_record):
    store = _ceo_spike(data_dir, make_record)
    body = f'[[rule]]\nid = "ceo"\ntracker = "{TRACKER}"\nkind = "volume_spike"\nentity = "gong-yu"\n'
    report = run_alerts(load_config(_rule_file(tmp_path / "a.toml", body)), store,
                        now=datetime(2026, 4, 20, 23, tzinfo=UTC))
    assert [(a.entity, a.day) for a in report.alerts] == [("gong-yu", "2026-04-20")]
    assert "Gong Yu" in report.alerts[0].title
    whole = body.replace('entity = "gong-yu"\n', "").replace('"ceo"', '"all"')
    assert run_alerts(load_config(_rule_file(tmp_path / "b.toml", whole)), store,
                      now=datetime(2026, 4, 20, 23, tzinfo=UTC)).alerts[0].metrics["value"] == 70


def test_missing_smtp_password_is_a_reported_failure_not_a_crash(tmp_path, data_dir, make_record, webhook, smtp_sink):
    hook_url, _posts = webhook
    port, mails = smtp_sink
    store = _planted_spike(data_dir, make_record)
    config = load_config(_write_config(tmp_path / "alerts.toml", hook_url, port, email_extra='user = "bot"'))
    report = run_alerts(config, store, now=datetime(2026, 4, 21, 6, tzinfo=UTC))
    assert mails == [] and report.delivered == {"webhook": 1, "rss": 1}
    assert "ACTORWATCH_SMTP_PASSWORD" in report.failures[0]
    assert load_state().pending[0]["channels"] == ["email"]


def test_first_days_of_collection_are_not_a_spike(tmp_path, data_dir, make_record):
    # iqiyi-nadou is collected from 2026-04-10 (trigger 04-20, 10 days before): the days before are not quiet
    # days with 0 records but days nobody collected, so an ordinary first day of collection is no spike.
    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {date(2026, 4, 10) + timedelta(days=i): 20 for i in range(3)},
                                      trackers=[TRACKER]))
    body = f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\nkind = "volume_spike"\nlookback_days = 3\n'
    report = run_alerts(load_config(_rule_file(tmp_path / "a.toml", body)), store,
                        now=datetime(2026, 4, 12, 23, tzinfo=UTC))
    assert report.alerts == []


def test_entity_rule_evidence_gives_the_entitys_count_beside_the_days_total(tmp_path, data_dir, make_record):
    # the alert's value is the entity's records (40); the evidence's records are the tracker's whole day (70): the
    # evidence states both, so a reader does not take the day's total for the entity's
    from analysis.reports.alerts.deliver import alert_text

    store = _ceo_spike(data_dir, make_record)
    body = f'[[rule]]\nid = "ceo"\ntracker = "{TRACKER}"\nkind = "volume_spike"\nentity = "gong-yu"\n'
    alert = run_alerts(load_config(_rule_file(tmp_path / "a.toml", body)), store,
                       now=datetime(2026, 4, 20, 23, tzinfo=UTC)).alerts[0]
    assert alert.metrics["value"] == 40
    assert alert.evidence["records"] == 70 and alert.evidence["entity_records"] == 40
    assert "40 of the tracker's 70 records" in alert_text(alert.to_json())


def test_check_refuses_a_rule_that_run_would_refuse(tmp_path):
    """`alerts check` listed a rule on an unknown tracker (or entity) as valid, and `alerts run` then failed on it."""
    bad = _rule_file(tmp_path / "bad.toml", '[[rule]]\nid = "x"\ntracker = "no-such-tracker"\nkind = "volume_spike"\n')
    result = CliRunner().invoke(cli, ["alerts", "check", "--config", str(bad)])
    assert result.exit_code == 1 and "unknown tracker 'no-such-tracker'" in result.output, result.output
    tracker = load_trackers()[0].id
    bad = _rule_file(tmp_path / "bad.toml", f'[[rule]]\nid = "y"\ntracker = "{tracker}"\nkind = "volume_spike"\n'
                                            'entity = "no-such-entity"\n')
    result = CliRunner().invoke(cli, ["alerts", "check", "--config", str(bad)])
    assert result.exit_code == 1 and "entity 'no-such-entity'" in result.output, result.output
    good = _rule_file(tmp_path / "good.toml", f'[[rule]]\nid = "z"\ntracker = "{tracker}"\nkind = "volume_spike"\n')
    result = CliRunner().invoke(cli, ["alerts", "check", "--config", str(good)])
    assert result.exit_code == 0 and result.output.startswith("z: volume_spike"), result.output


@pytest.fixture
def spike_run(tmp_path, data_dir, make_record, webhook, smtp_sink):
    """A planted spike, alerts to a webhook, e-mail and feed: (store, config, now, webhook posts, mails)."""
    hook_url, posts = webhook
    port, mails = smtp_sink
    store = _planted_spike(data_dir, make_record)
    config = load_config(_write_config(tmp_path / "alerts.toml", hook_url, port))
    return store, config, datetime(2026, 4, 21, 6, tzinfo=UTC), posts, mails


def test_a_run_interrupted_while_delivering_neither_resends_nor_loses_alerts(spike_run, monkeypatch):
    from analysis.reports.alerts import run as alerts_run

    store, config, now, posts, mails = spike_run
    deliver = alerts_run._deliver

    def stopped_at_email(config, channel, alert, client):
        if channel == "email":
            raise KeyboardInterrupt  # Ctrl-C (or a kill) while the mail server is slow to answer
        deliver(config, channel, alert, client)

    monkeypatch.setattr(alerts_run, "_deliver", stopped_at_email)
    with pytest.raises(KeyboardInterrupt):
        run_alerts(config, store, now=now)
    assert len(posts) == 1 and mails == []
    monkeypatch.setattr(alerts_run, "_deliver", deliver)
    again = run_alerts(config, store, now=now + timedelta(minutes=5))  # the user re-runs it
    assert again.alerts == [] and again.delivered == {"email": 1, "rss": 1}
    assert len(posts) == 1 and len(mails) == 1 and load_state().pending == []  # webhook not sent twice, mail not lost


def test_spike_of_synthetic_records_says_so_in_every_channel(tmp_path, data_dir, make_record):
    """A spike made of the demo corpus was delivered as a plain backlash alert: nothing told the reader that the
    day's records (and the quoted posts) were generated. The summary, which every channel shows, now says so."""
    from analysis.reports.alerts.deliver import alert_text

    store = Store(data_dir)
    quiet = {SPIKE - timedelta(days=i): 5 + (i % 3) for i in range(1, 21)}
    records = records_per_day(make_record, quiet, trackers=[TRACKER], synthetic=True)
    records += records_per_day(make_record, {SPIKE: 60}, trackers=[TRACKER], synthetic=True)
    records += records_per_day(make_record, {SPIKE: 20}, trackers=[TRACKER])
    store.add_records(records)
    body = f'[[rule]]\nid = "spike"\ntracker = "{TRACKER}"\nkind = "volume_spike"\n'
    alert = run_alerts(load_config(_rule_file(tmp_path / "a.toml", body)), store,
                       now=datetime(2026, 4, 20, 23, tzinfo=UTC), dry_run=True).alerts[0]
    assert alert.evidence["synthetic"] == 60
    assert "60 of the 80 records that day are SYNTHETIC" in alert.summary
    assert "SYNTHETIC" in alert_text(alert.to_json())


def test_spike_of_real_records_carries_no_synthetic_warning(tmp_path, data_dir, make_record):
    store = _planted_spike(data_dir, make_record)
    body = f'[[rule]]\nid = "spike"\ntracker = "{TRACKER}"\nkind = "volume_spike"\n'
    alert = run_alerts(load_config(_rule_file(tmp_path / "a.toml", body)), store,
                       now=datetime(2026, 4, 20, 23, tzinfo=UTC), dry_run=True).alerts[0]
    assert alert.evidence["synthetic"] == 0 and "SYNTHETIC" not in alert.summary
    assert "on 2026-04-20 (UTC)" in alert.title and "on 2026-04-20 (UTC day" in alert.summary


def test_spike_on_the_current_day_says_its_count_is_so_far(tmp_path, data_dir, make_record):
    # run hourly, the alerter judges today's UTC day before it is over: its count is a partial one (and the alert is
    # never re-sent with the full day's), so the alert must not read as the day's total
    store = _planted_spike(data_dir, make_record)
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "spike"\ntracker = "{TRACKER}"\n'
                                                      'kind = "volume_spike"\n'))
    today = run_alerts(config, store, now=datetime(2026, 4, 20, 15, 30, tzinfo=UTC), dry_run=True).alerts
    assert len(today) == 1
    assert "records so far on 2026-04-20 (UTC day to 15:30 UTC, not over)" in today[0].summary
    assert "so far on 2026-04-20" in today[0].title
    yesterday = run_alerts(config, store, now=datetime(2026, 4, 21, 6, tzinfo=UTC), dry_run=True).alerts
    assert "so far" not in yesterday[0].summary + yesterday[0].title and "on 2026-04-20 (UTC day)" in yesterday[0].summary


def test_negative_share_rule_without_sentiment_scores_says_it_was_not_judged(tmp_path, data_dir, make_record):
    # before `actorwatch enrich` has run there is no share to judge: the run must say so, not pass silently for a
    # quiet day (a union officer would read "0 new alerts" as "no backlash")
    store = _planted_spike(data_dir, make_record)
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "neg"\ntracker = "{TRACKER}"\n'
                                                      'kind = "negative_jump"\n'))
    report = run_alerts(config, store, now=datetime(2026, 4, 21, 6, tzinfo=UTC))
    assert report.alerts == []
    assert "not judged: neg (no sentiment scores yet: run `actorwatch enrich`)" in report.lines()
    result = CliRunner().invoke(cli, ["alerts", "run", "--config", str(tmp_path / "a.toml"), "--as-of", "2026-04-21"])
    assert result.exit_code == 0 and "not judged: neg" in result.output


def test_two_overlapping_runs_do_not_send_an_alert_twice(spike_run, monkeypatch):
    # cron starts the next run while a slow one is still delivering: the second read the first's pending queue
    # (saved before delivering) and delivered the same alert again; runs now take turns on a lock
    from analysis.reports.alerts import run as alerts_run

    store, config, now, posts, mails = spike_run
    deliver = alerts_run._deliver
    second: list[threading.Thread] = []

    def slow_first_delivery(config, channel, alert, client):
        if not second:  # while the first run is delivering, the next one starts (and may wait for it)
            second.append(threading.Thread(target=run_alerts, args=(config, store), kwargs={"now": now}))
            second[0].start()
            second[0].join(timeout=2)
        deliver(config, channel, alert, client)

    monkeypatch.setattr(alerts_run, "_deliver", slow_first_delivery)
    run_alerts(config, store, now=now)
    second[0].join()
    assert len(posts) == 1 and len(mails) == 1 and load_state().pending == []


def test_failed_webhook_is_reported_without_the_secret_in_its_url(tmp_path, data_dir, make_record):
    # Slack, Teams and Discord incoming-webhook URLs carry their secret in the path (or a user:password); a failure
    # message goes to the terminal, cron mail and logs, so it names the host only
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    store = _planted_spike(data_dir, make_record)
    for url in (f"http://127.0.0.1:{dead}/services/T0001/B0002/PathSecret123", f"http://bob:PwSecret456@127.0.0.1:{dead}/h"):
        (tmp_path / "w.toml").write_text(f'schema_version = 1\n[defaults]\nchannels = ["webhook"]\n[channels.webhook]\n'
                                         f'url = "{url}"\n[[rule]]\nid = "spike"\ntracker = "{TRACKER}"\n'
                                         'kind = "volume_spike"\n', encoding="utf-8")
        result = CliRunner().invoke(cli, ["alerts", "run", "--config", str(tmp_path / "w.toml"), "--as-of", "2026-04-21"])
        assert result.exit_code != 0 and f"webhook http://127.0.0.1:{dead}" in result.output
        assert "Secret" not in result.output
        assert all("Secret" not in failure for failure in run_alerts(load_config(tmp_path / "w.toml"), store,
                                                                     now=datetime(2026, 4, 21, 8, tzinfo=UTC)).failures)
        (data_dir / "state" / "alerts.json").unlink()


def test_pending_delivery_to_a_channel_since_removed_is_dropped_and_said(tmp_path, data_dir, make_record):
    # a webhook that failed, then removed from the alerts file: its pending delivery failed on every later run
    # ("kept for retry"), the run exiting 1 for ever, with nothing but editing the state file to end it
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    store = _planted_spike(data_dir, make_record)
    rule = f'[[rule]]\nid = "spike"\ntracker = "{TRACKER}"\nkind = "volume_spike"\n'
    with_hook = tmp_path / "a.toml"
    with_hook.write_text(f'schema_version = 1\n[defaults]\nchannels = ["webhook"]\n[channels.webhook]\n'
                         f'url = "http://127.0.0.1:{dead}/h"\n{rule}', encoding="utf-8")
    now = datetime(2026, 4, 21, 6, tzinfo=UTC)
    assert len(run_alerts(load_config(with_hook), store, now=now).failures) == 1
    assert load_state().pending[0]["channels"] == ["webhook"]
    later = run_alerts(load_config(_rule_file(tmp_path / "b.toml", rule)), store, now=now + timedelta(hours=1))
    assert later.failures == [] and load_state().pending == []
    assert any(line.startswith("dropped: ") and "webhook is no longer configured" in line for line in later.lines())



def test_a_control_character_in_a_post_keeps_the_atom_feed_valid(tmp_path):
    """A post's text may hold control characters (imports keep them); in the evidence they made the Atom file invalid
    XML, which feed readers refuse and every later run reported as 'not valid XML; move it aside'."""
    from analysis.reports.alerts.config import RssChannel
    from analysis.reports.alerts.deliver import append_to_feed

    channel = RssChannel(path=str(tmp_path / "alerts.xml"))
    alert = {"id": "a1", "title": "spike\x0b", "created_at": "2026-04-20T00:00:00+00:00",
             "link": "https://dash.example/?tracker=t", "summary": "volume spike",
             "evidence": {"top_records": [{"source": "weibo", "author": "u_1", "text": "AI演员\x00\x1b[31m假\x08",
                                           "url": None, "shares": 1, "likes": 2}]}}
    append_to_feed([alert], channel)
    append_to_feed([{**alert, "id": "a2"}], channel)  # the first file is read back
    entries = ET.parse(channel.resolved()).getroot().findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 2
    content = entries[0].findtext("{http://www.w3.org/2005/Atom}content")
    assert "AI演员[31m假" in content and entries[0].findtext("{http://www.w3.org/2005/Atom}title") == "spike"


@pytest.mark.parametrize("status", [None, 500])
def test_a_webhook_failure_names_the_host_not_the_secret_path(status):
    """Incoming-webhook URLs (Slack's /services/T/B/<secret>, Feishu's /hook/<uuid>) are themselves the secret; a failed
    delivery printed the whole URL into the run's output, cron mail and logs."""
    import httpx

    from analysis.reports.alerts.config import WebhookChannel
    from analysis.reports.alerts.deliver import DeliveryError, send_webhook
    from collectors.http import RetryPolicy

    def handler(request: httpx.Request) -> httpx.Response:
        if status is None:
            raise httpx.ConnectError(f"cannot connect to {request.url}", request=request)
        return httpx.Response(status)

    channel = WebhookChannel(url="https://user:pw@hooks.example/services/T0/B0/XXsecretXX?sig=abc")
    with httpx.Client(transport=httpx.MockTransport(handler)) as client, pytest.raises(DeliveryError) as caught:
        send_webhook({"id": "a"}, channel, client=client, policy=RetryPolicy(attempts=2, sleep=lambda s: None))
    message = str(caught.value)
    assert "hooks.example" in message
    assert not any(s in message for s in ("XXsecretXX", "sig=abc", "user:pw", "/services"))


class _Flaky(BaseHTTPRequestHandler):
    """Answers each POST with the next of `script`: a status (with headers), or "slow" (answers after the client's
    timeout); then 204."""

    script: ClassVar[list] = []
    bodies: ClassVar[list[tuple[dict, dict]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Flaky.bodies.append((dict(self.headers), body))
        step = _Flaky.script.pop(0) if _Flaky.script else (204, {})
        if step == "slow":
            threading.Event().wait(1.0)
            step = (204, {})
        status, headers = step
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def flaky_hook():
    _Flaky.script, _Flaky.bodies = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Flaky
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("first", [(500, {}), (502, {}), (429, {"Retry-After": "1"}), "slow"])
def test_a_webhook_s_brief_failure_is_retried_within_the_run(flaky_hook, first):
    """A chat service's passing 500/502, a 429 asking to wait a second, or a timed-out answer failed the delivery at once:
    the alert reached the union an hour late (the next scheduled run), and the run exited 1."""
    from analysis.reports.alerts.config import WebhookChannel
    from analysis.reports.alerts.deliver import send_webhook
    from collectors.http import RetryPolicy

    url, hook = flaky_hook
    hook.script = [first]
    waits: list[float] = []
    send_webhook({"id": "abc123", "title": "t"}, WebhookChannel(url=url, timeout_seconds=0.3),
                 policy=RetryPolicy(attempts=3, initial=0.01, maximum=5, jitter=0, sleep=waits.append))
    assert len(hook.bodies) == 2 and hook.bodies[0][1] == hook.bodies[1][1] == {"id": "abc123", "title": "t"}
    assert {h["Idempotency-Key"] for h, _ in hook.bodies} == {"abc123"}  # a receiver can drop the copy a retry sends
    if isinstance(first, tuple) and first[0] == 429:
        assert waits == [1.0]  # the server's Retry-After is honoured


def test_a_webhook_that_keeps_failing_is_reported_once_retried_and_kept(flaky_hook, tmp_path, data_dir, make_record,
                                                                         monkeypatch):
    from analysis.reports.alerts import deliver
    from collectors.http import RetryPolicy

    url, hook = flaky_hook
    hook.script = [(503, {})] * 3 + [(429, {"Retry-After": "3600"})]
    monkeypatch.setattr(deliver, "WEBHOOK_RETRY", RetryPolicy(attempts=3, initial=0.01, maximum=5, jitter=0,
                                                              sleep=lambda s: None))
    store = _planted_spike(data_dir, make_record)
    config = load_config(_rule_file(tmp_path / "a.toml", f'[channels.webhook]\nurl = "{url}"\n[[rule]]\nid = "spike"\n'
                                                       f'tracker = "{TRACKER}"\nkind = "volume_spike"\n'
                                                       'channels = ["webhook", "rss"]\n'))
    now = datetime(2026, 4, 21, 6, tzinfo=UTC)
    report = run_alerts(config, store, now=now)
    assert len(hook.bodies) == 3 and report.delivered == {"rss": 1}
    assert report.failures == [f"webhook {url.rsplit('/', 1)[0]}/…: HTTP 503 (3 attempts)"]
    assert load_state().pending[0]["channels"] == ["webhook"]
    again = run_alerts(config, store, now=now + timedelta(hours=1))  # a 429 asking for an hour is not waited out
    assert len(hook.bodies) == 4 and "rate limited for 3600 s" in again.failures[0]
    assert load_state().pending[0]["channels"] == ["webhook"]
    last = run_alerts(config, store, now=now + timedelta(hours=2))
    assert last.delivered == {"webhook": 1} and load_state().pending == [] and len(hook.bodies) == 5


def _gap_then_resumed(data_dir, make_record, spike_day: date | None = None) -> tuple[Store, list]:
    """Weibo at 20 records a day (60% negative) and news at 30 (none negative) from 10 April; Weibo's collector stops
    for 15-19 April and is restarted on the 20th. Returns the store and the days from the restart on."""
    store, labels = Store(data_dir), {}
    first = date(2026, 4, 10)
    for i in range(16):
        day = first + timedelta(days=i)
        news = records_per_day(make_record, {day: 30}, trackers=[TRACKER], source="rss")
        weibo = [] if 5 <= i <= 9 else records_per_day(make_record, {day: 150 if day == spike_day else 20},
                                                       trackers=[TRACKER])
        labels.update({(r.source, r.id): "neutral" for r in news})
        labels.update({(r.source, r.id): "negative" if j % 5 < 3 else "neutral" for j, r in enumerate(weibo)})
        store.add_records(news + weibo)
    add_scores(store, labels)
    return store, [first + timedelta(days=i) for i in range(10, 16)]


def test_a_source_s_collection_gap_is_neither_a_spike_nor_a_jump_when_it_resumes(tmp_path, data_dir, make_record):
    """Weibo's collector stopped for five days: the day it was restarted, its usual 20 records a day stood against a
    baseline of the news-only days (30) and fired a volume spike, and its negative posts a negative-share jump, though
    nothing had happened but the collector coming back."""
    store, resumed = _gap_then_resumed(data_dir, make_record)
    body = (f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\nkind = "volume_spike"\nsensitivity = "more"\n'
            f'[[rule]]\nid = "neg"\ntracker = "{TRACKER}"\nkind = "negative_jump"\nsensitivity = "more"\n')
    config = load_config(_rule_file(tmp_path / "a.toml", body))
    for day in resumed:
        report = run_alerts(config, store, now=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=23),
                            dry_run=True)
        assert report.alerts == [], (day, [a.title for a in report.alerts])


def test_a_real_spike_after_a_collection_gap_still_fires_on_its_day(tmp_path, data_dir, make_record):
    spike = date(2026, 4, 23)  # the fourth day after Weibo's collector was restarted
    store, resumed = _gap_then_resumed(data_dir, make_record, spike_day=spike)
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\n'
                                                        'kind = "volume_spike"\nlookback_days = 1\n'))
    fired = [a.day for day in resumed for a in run_alerts(
        config, store, now=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=23), dry_run=True).alerts]
    assert fired == ["2026-04-23"]


def test_a_sustained_spike_fires_once_not_again_each_day_it_grows(tmp_path, data_dir, make_record):
    """A storm that kept growing for a week: run each evening, the rule fired on its first day and again on the
    second (the run's highest day had moved on, and the alert was keyed by that day), though the storm was one."""
    store = Store(data_dir)
    first = date(2026, 4, 10)
    store.add_records(records_per_day(make_record, {first + timedelta(days=i): 5 + i % 3 for i in range(10)},
                                      trackers=[TRACKER]))
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\n'
                                                        'kind = "volume_spike"\ncooldown_hours = 20\n'))
    fired = []
    for i in range(10, 17):
        day = first + timedelta(days=i)
        store.add_records(records_per_day(make_record, {day: 80 + 10 * i}, trackers=[TRACKER]))  # the day collected
        fired += run_alerts(config, store, now=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=23))\
            .alerts
    assert [a.day for a in fired] == ["2026-04-20"]


def test_a_storm_still_high_is_raised_though_its_peak_is_older_than_the_lookback(tmp_path, data_dir, make_record):
    """A storm peaked on 20 April and stayed high: the rule, added (or the alerter restarted) on the 23rd, said
    nothing, as the run's highest day was before its two days, though the storm went on in them. Once raised, it is
    not raised again."""
    store = Store(data_dir)
    first = date(2026, 4, 1)
    store.add_records(records_per_day(make_record, {first + timedelta(days=i): 5 + i % 3 for i in range(19)},
                                      trackers=[TRACKER])
                      + records_per_day(make_record, {date(2026, 4, 20): 120, date(2026, 4, 21): 90,
                                                      date(2026, 4, 22): 90, date(2026, 4, 23): 90}, trackers=[TRACKER]))
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\n'
                                                        'kind = "volume_spike"\ncooldown_hours = 0\n'))
    fired = run_alerts(config, store, now=datetime(2026, 4, 23, 22, tzinfo=UTC)).alerts
    assert [a.key for a in fired] == ["vol:2026-04-20"] and fired[0].day == "2026-04-20"
    assert run_alerts(config, store, now=datetime(2026, 4, 23, 23, tzinfo=UTC)).alerts == []
    # a storm over before the rule's days is not news
    assert run_alerts(config, store, now=datetime(2026, 4, 27, 22, tzinfo=UTC), dry_run=True).alerts == []


def test_alerts_run_json_is_one_object_for_a_scheduler(tmp_path, data_dir, make_record):
    """A scheduler (cron wrapper, CI job) had only the prose lines to parse to learn what fired and what failed."""
    _planted_spike(data_dir, make_record)
    with socket.socket() as s:  # a port with nothing listening: the webhook fails
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    config = _rule_file(tmp_path / "a.toml", f'[channels.webhook]\nurl = "http://127.0.0.1:{dead}/hook"\n[[rule]]\n'
                                             f'id = "spike"\ntracker = "{TRACKER}"\nkind = "volume_spike"\n'
                                             'channels = ["rss", "webhook"]\n')
    from analysis.reports.alerts import deliver
    from collectors.http import RetryPolicy

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(deliver, "WEBHOOK_RETRY", RetryPolicy(attempts=1, sleep=lambda s: None))
        result = CliRunner().invoke(cli, ["alerts", "run", "--config", str(config), "--as-of", "2026-04-21", "--json"])
    assert result.exit_code == 1  # a failed delivery still fails the run
    report = json.loads(result.stdout)  # one object, on stdout alone
    assert [a["day"] for a in report["alerts"]] == ["2026-04-20"] and report["delivered"] == {"rss": 1}
    assert len(report["failures"]) == 1 and report["dry_run"] is False
    assert "delivery failure" in result.stderr
    dry = CliRunner().invoke(cli, ["alerts", "run", "--config", str(config), "--as-of", "2026-04-21", "--json",
                                   "--dry-run"])
    assert dry.exit_code == 0 and json.loads(dry.stdout) == {"alerts": [], "delivered": {}, "failures": [],
                                                              "skipped_cooldown": ["spike"], "not_judged": [], "silent": [],
                                                              "dropped": [], "dry_run": True}


def test_a_source_that_stopped_collecting_is_said_not_taken_for_calm(tmp_path, data_dir, make_record):
    """Weibo's collector died on 16 April: for days every run said "0 new alerts", which a union officer reads as no
    backlash, though a storm on Weibo could not have been seen; so did a run on a tracker with nothing stored."""
    store = Store(data_dir)
    first = date(2026, 4, 10)
    store.add_records(records_per_day(make_record, {first + timedelta(days=i): 30 for i in range(12)}, trackers=[TRACKER],
                                      source="rss")
                      + records_per_day(make_record, {first + timedelta(days=i): 20 for i in range(6)}, trackers=[TRACKER]))
    path = _rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\nkind = "volume_spike"\n')
    config = load_config(path)
    report = run_alerts(config, store, now=datetime(2026, 4, 21, 9, tzinfo=UTC), dry_run=True)
    assert report.alerts == []
    assert report.silent == [(f"{TRACKER}: weibo has no records since 2026-04-15 (before, a median of 20 a day): not "
                              "collected? its spikes cannot be seen")]
    result = CliRunner().invoke(cli, ["alerts", "run", "--config", str(path), "--as-of", "2026-04-21", "--dry-run"])
    assert f"not collected lately? {TRACKER}: weibo has no records since 2026-04-15" in result.output
    # until three whole days have passed without a record, the source may only be late or quiet: not yet said
    assert run_alerts(config, store, now=datetime(2026, 4, 18, 9, tzinfo=UTC), dry_run=True).silent == []
    assert run_alerts(config, store, now=datetime(2026, 4, 19, 9, tzinfo=UTC), dry_run=True).silent != []
    # a tracker with nothing stored inside its collection window
    other = _rule_file(tmp_path / "b.toml", '[[rule]]\nid = "t"\ntracker = "tilly-norwood"\nkind = "volume_spike"\n')
    tilly = next(t for t in load_trackers() if t.id == "tilly-norwood")
    silent = run_alerts(load_config(other), store, as_of=tilly.trigger_date, dry_run=True).silent
    assert len(silent) == 1 and silent[0].startswith("tilly-norwood: no records from ")


def test_a_chat_service_webhook_url_comes_from_the_secrets_not_the_alerts_file(tmp_path, data_dir, make_record,
                                                                              webhook, monkeypatch):
    """Slack's or Feishu's incoming-webhook URL is the secret itself, yet the only way to give it was `url` in
    alerts.toml, a file the docs call secret-free (copied around, shown in `alerts check`, kept in git)."""
    hook_url, posts = webhook
    store = _planted_spike(data_dir, make_record)
    body = ('[channels.webhook]\nurl_secret = "team_hook"\n[[rule]]\nid = "spike"\n'
            f'tracker = "{TRACKER}"\nkind = "volume_spike"\nchannels = ["webhook"]\n')
    config = load_config(_rule_file(tmp_path / "a.toml", body))
    now = datetime(2026, 4, 21, 6, tzinfo=UTC)
    missing = run_alerts(config, store, now=now)  # not set yet: said, and the alert kept
    assert "ACTORWATCH_TEAM_HOOK" in missing.failures[0] and load_state().pending[0]["channels"] == ["webhook"]
    monkeypatch.setenv("ACTORWATCH_TEAM_HOOK", hook_url + "/services/T0/B0/XXsecretXX")
    sent = run_alerts(config, store, now=now + timedelta(hours=1))
    assert sent.delivered == {"webhook": 1} and len(posts) == 1 and load_state().pending == []
    monkeypatch.setenv("ACTORWATCH_TEAM_HOOK", "not a url XXsecretXX")
    from analysis.reports.alerts.deliver import DeliveryError, send_webhook

    with pytest.raises(DeliveryError, match="team_hook is not an http") as caught:
        send_webhook({"id": "a"}, config.channels.webhook)
    assert "XXsecretXX" not in str(caught.value)
    for both_or_neither in ('url = "https://h.example/x"\nurl_secret = "team_hook"\n', 'timeout_seconds = 5\n'):
        with pytest.raises(AlertConfigError, match="url_secret"):
            load_config(_rule_file(tmp_path / "b.toml", f"[channels.webhook]\n{both_or_neither}"))


def test_a_spike_made_by_one_account_says_how_few_posted_it(tmp_path, data_dir, make_record):
    """75 of a day's 80 records came from one account (a bot, a fan club's reposting) and 5 from a news feed: the alert
    said "80 records ... against a typical 6", which a union reads as 80 people, and named neither who nor where."""
    from analysis.reports.alerts.deliver import alert_text

    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {SPIKE - timedelta(days=i): 6 for i in range(1, 15)},
                                      trackers=[TRACKER])
                      + records_per_day(make_record, {SPIKE: 75}, trackers=[TRACKER], author_id="777", author_name="刷屏号")
                      + records_per_day(make_record, {SPIKE: 5}, trackers=[TRACKER], source="rss"))
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\n'
                                                        'kind = "volume_spike"\n'))
    alert = run_alerts(config, store, now=datetime(2026, 4, 21, 6, tzinfo=UTC), dry_run=True).alerts[0]
    assert "The tracker's 80 records that day: 6 distinct authors; by source weibo 75, rss 5." in alert.summary
    assert alert.evidence["by_source"] == {"weibo": 75, "rss": 5} and alert.evidence["authors"] == 6
    assert "6 distinct authors" in alert_text(alert.to_json())


def test_a_feed_quiet_at_weekends_is_not_said_to_have_stopped_on_monday(tmp_path, data_dir, make_record):
    """A news feed publishing on weekdays only: every Monday morning's run said it had no records since Friday, "not
    collected?", an alarm the reader learns to ignore."""
    store = Store(data_dir)
    days = [date(2026, 4, 10) + timedelta(days=i) for i in range(17)]  # Friday 10 April to Sunday 26 April
    store.add_records(records_per_day(make_record, {d: 20 for d in days if d.weekday() < 5}, trackers=[TRACKER],
                                      source="rss"))
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\n'
                                                        'kind = "volume_spike"\n'))
    assert run_alerts(config, store, now=datetime(2026, 4, 27, 7, tzinfo=UTC), dry_run=True).silent == []


def test_a_week_long_rule_says_a_source_stopped_days_ago(tmp_path, data_dir, make_record):
    """A rule looking back 7 days said nothing of Weibo's collector, dead for 5 of them: it asked for a whole
    lookback of silence, so a storm on those days went unseen while each run reported calm."""
    store = Store(data_dir)
    first = date(2026, 4, 10)
    store.add_records(records_per_day(make_record, {first + timedelta(days=i): 30 for i in range(12)}, trackers=[TRACKER],
                                      source="rss")
                      + records_per_day(make_record, {first + timedelta(days=i): 20 for i in range(7)}, trackers=[TRACKER]))
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\n'
                                                        'kind = "volume_spike"\nlookback_days = 7\n'))
    # weibo's last records are of 16 April: 17-20 April are four whole days without one
    silent = run_alerts(config, store, now=datetime(2026, 4, 21, 9, tzinfo=UTC), dry_run=True).silent
    assert silent == [(f"{TRACKER}: weibo has no records since 2026-04-16 (before, a median of 20 a day): not collected? its "
                       "spikes cannot be seen")]
    assert run_alerts(config, store, now=datetime(2026, 4, 19, 9, tzinfo=UTC), dry_run=True).silent == []


def test_a_storm_on_a_source_silent_until_then_fires(tmp_path, data_dir, make_record):
    """Weibo had nothing on the topic before the storm and 300 posts on its first day, beside a news feed's 3 a day:
    Weibo's silence before was taken for a source collected only from then on, so the storm's first day had no
    baseline and the rule said nothing on the very day it exists for."""
    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {date(2026, 4, 10) + timedelta(days=i): 3 for i in range(12)},
                                      trackers=[TRACKER], source="rss")
                      + records_per_day(make_record, {SPIKE: 300, SPIKE + timedelta(days=1): 250}, trackers=[TRACKER]))
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\n'
                                                        'kind = "volume_spike"\n'))
    fired = run_alerts(config, store, now=datetime(2026, 4, 20, 23, tzinfo=UTC), dry_run=True).alerts
    assert [a.day for a in fired] == ["2026-04-20"]


def test_a_storm_after_days_a_source_had_nothing_is_judged_against_the_days_before(tmp_path, data_dir, make_record):
    """Weibo had 20 a day, then nothing for six days (blocked search results look just like a stopped collector), then
    a storm of 200: the six days were rightly left out of the baseline, but so were the storm's chances, as no day
    before it within a week was left to judge it against; its baseline now reaches back over them."""
    store = Store(data_dir)
    first = date(2026, 4, 8)
    store.add_records(records_per_day(make_record, {first + timedelta(days=i): 20 for i in range(7)}, trackers=[TRACKER])
                      + records_per_day(make_record, {first + timedelta(days=13): 200}, trackers=[TRACKER]))
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\n'
                                                        'kind = "volume_spike"\n'))
    fired = run_alerts(config, store, now=datetime(2026, 4, 21, 23, tzinfo=UTC), dry_run=True).alerts
    assert [(a.day, a.metrics["baseline"]) for a in fired] == [("2026-04-21", 20.0)]


class _Greylisting(_Sink):
    """A mail server that answers the first message with 451 (greylisting, "try again later"), then takes it."""

    def __init__(self) -> None:
        super().__init__()
        self.tries = 0

    async def handle_DATA(self, server, session, envelope):
        self.tries += 1
        if self.tries == 1:
            return "451 4.7.1 Greylisted, please try again"
        return await super().handle_DATA(server, session, envelope)


def test_an_email_greylisted_once_is_sent_on_the_second_try_within_the_run():
    """A mail server's 451 "try again later" (greylisting, a full queue) failed the e-mail at once: the alert reached
    the union's inbox only on the next scheduled run, and the run exited 1."""
    from analysis.reports.alerts.config import EmailChannel
    from analysis.reports.alerts.deliver import DeliveryError, send_email
    from collectors.http import RetryPolicy

    sink = _Greylisting()
    with smtp_server(sink) as port:
        channel = EmailChannel(host="127.0.0.1", port=port, starttls=False, sender="a@actorwatch.invalid",
                               to=["desk@actorwatch.invalid"])
        alert = {"id": "abc", "title": "Volume spike", "summary": "s", "link": "http://127.0.0.1:8501/"}
        waits: list[float] = []
        send_email(alert, channel, policy=RetryPolicy(attempts=3, initial=0.01, maximum=1, jitter=0, sleep=waits.append))
        assert sink.tries == 2 and len(sink.messages) == 1 and len(waits) == 1
        sink.tries = -5  # a server that keeps answering 451 is a reported failure after the attempts
        sink.handle_DATA = lambda *a: _reply_451()
        with pytest.raises(DeliveryError, match="451"):
            send_email(alert, channel, policy=RetryPolicy(attempts=2, initial=0.01, maximum=1, jitter=0,
                                                          sleep=lambda s: None))


async def _reply_451():
    return "451 4.3.0 try again later"


def _nightly(config, store, days, add=None):
    """`alerts run` each evening of `days` (UTC); `add` maps a day to the records collected that day."""
    fired = []
    for day in days:
        if add and day in add:
            store.add_records(add[day])
        fired += run_alerts(config, store, now=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=23))\
            .alerts
    return fired


def test_a_storm_that_dips_for_one_day_is_one_storm_not_two_alerts(tmp_path, data_dir, make_record):
    """A storm of 20-23 April dipped under the threshold on the 22nd (a quieter day, or its own days lifting the
    baseline): the 23rd began a new run of high days, keyed by its own first day, and once the cooldown had passed
    the union got a second "new spike" for what was one storm."""
    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {SPIKE - timedelta(days=i): 5 + i % 3 for i in range(1, 21)},
                                      trackers=[TRACKER]))
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\n'
                                                        'kind = "volume_spike"\ncooldown_hours = 20\n'))
    storm = {SPIKE: 100, SPIKE + timedelta(days=1): 100, SPIKE + timedelta(days=2): 8, SPIKE + timedelta(days=3): 100}
    days = [SPIKE + timedelta(days=i) for i in range(4)]
    fired = _nightly(config, store, days, {d: records_per_day(make_record, {d: n}, trackers=[TRACKER])
                                           for d, n in storm.items()})
    assert [a.key for a in fired] == ["vol:2026-04-20"]
    # two calm days in a row end a storm: what comes after is a new one
    store.add_records(records_per_day(make_record, {SPIKE + timedelta(days=i): 8 for i in (4, 5)}, trackers=[TRACKER]))
    later = SPIKE + timedelta(days=6)
    again = _nightly(config, store, [later], {later: records_per_day(make_record, {later: 150}, trackers=[TRACKER])})
    assert [a.key for a in again] == ["vol:2026-04-26"]


def _weibo_stopped(data_dir, make_record):
    """rss collects 30 a day from 10 to 21 April; weibo 20 a day until 15 April, then nothing."""
    store = Store(data_dir)
    first = date(2026, 4, 10)
    store.add_records(records_per_day(make_record, {first + timedelta(days=i): 30 for i in range(12)}, trackers=[TRACKER],
                                      source="rss")
                      + records_per_day(make_record, {first + timedelta(days=i): 20 for i in range(6)}, trackers=[TRACKER]))
    return store


WEIBO_STOPPED = (f"{TRACKER}: weibo has no records since 2026-04-15 (before, a median of 20 a day): not collected? its "
                 "spikes cannot be seen")


def test_a_rule_in_cooldown_still_says_its_source_stopped(tmp_path, data_dir, make_record):
    """The rule had fired an hour before: the run skipped it whole, its "weibo not collected" warning with it, so the
    run after an alert (when a union most wants to know the storm is still watched) said nothing of a dead collector."""
    from analysis.reports.alerts.state import AlertState, save_state

    store = _weibo_stopped(data_dir, make_record)
    now = datetime(2026, 4, 21, 9, tzinfo=UTC)
    save_state(AlertState(last_fired={"vol": (now - timedelta(hours=1)).isoformat()}))
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\n'
                                                        'kind = "volume_spike"\n'))
    report = run_alerts(config, store, now=now, dry_run=True)
    assert report.skipped_cooldown == ["vol"] and report.silent == [WEIBO_STOPPED]


def test_a_stopped_source_is_said_once_per_tracker_however_many_rules_watch_it(tmp_path, data_dir, make_record):
    """Three rules on the tracker (its volume, an entity's volume, a statement rule): the run said "weibo has no
    records" once per volume rule, the same warning over and over in a scheduler's mail."""
    store = _weibo_stopped(data_dir, make_record)
    entity = next(t for t in load_trackers() if t.id == TRACKER).entities[0].id
    body = "".join(f'[[rule]]\nid = "{rid}"\ntracker = "{TRACKER}"\nkind = "{kind}"\n{extra}'
                   for rid, kind, extra in [("vol", "volume_spike", ""), ("ent", "volume_spike", f'entity = "{entity}"\n'),
                                            ("more", "volume_spike", 'sensitivity = "more"\n'),
                                            ("st", "new_statement", "")])
    report = run_alerts(load_config(_rule_file(tmp_path / "a.toml", body)), store,
                        now=datetime(2026, 4, 21, 9, tzinfo=UTC), dry_run=True)
    assert report.silent == [WEIBO_STOPPED]


def test_a_source_silent_for_over_a_month_is_still_named(tmp_path, data_dir, make_record):
    """Weibo's collector died on 20 April: from late May on the run looked at the last 31 days only, found no weibo
    day in them and so no source to call stopped, and said nothing while a news feed went on collecting."""
    store = Store(data_dir)
    first = date(2026, 4, 10)
    store.add_records(records_per_day(make_record, {first + timedelta(days=i): 30 for i in range(46)}, trackers=[TRACKER],
                                      source="rss")
                      + records_per_day(make_record, {first + timedelta(days=i): 20 for i in range(11)}, trackers=[TRACKER]))
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\n'
                                                        'kind = "volume_spike"\n'))
    assert run_alerts(config, store, as_of=date(2026, 5, 25), dry_run=True).silent == [
        WEIBO_STOPPED.replace("2026-04-15", "2026-04-20")]


def test_a_sustained_storm_s_alert_says_it_is_still_going_on_not_only_its_peak(tmp_path, data_dir, make_record):
    """A storm peaked on 20 April and was still high on the 23rd, when the rule first saw it: the alert said "120
    records on 2026-04-20" and nothing more, which a union reads as three days old and over. It now says when it peaked
    and that it is still high on the latest day, and its chart reaches that day."""
    from analysis.reports.alerts.deliver import alert_text

    store = Store(data_dir)
    first = date(2026, 4, 1)
    storm = {date(2026, 4, 20): 120, date(2026, 4, 21): 90, date(2026, 4, 22): 90, date(2026, 4, 23): 95}
    store.add_records(records_per_day(make_record, {first + timedelta(days=i): 5 + i % 3 for i in range(19)},
                                      trackers=[TRACKER]) + records_per_day(make_record, storm, trackers=[TRACKER]))
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\n'
                                                        'kind = "volume_spike"\n'))
    [alert] = run_alerts(config, store, now=datetime(2026, 4, 24, 9, tzinfo=UTC), as_of=date(2026, 4, 23),
                         dry_run=True).alerts
    assert alert.day == "2026-04-20" and "still high on 2026-04-23" in alert.title
    assert ("High since 2026-04-20, peaking on 2026-04-20; still high on 2026-04-23 (95 records), the latest day "
            "judged." in alert.summary) and "still high on 2026-04-23" in alert_text(alert.to_json())
    assert alert.metrics["run_start"] == "2026-04-20" and alert.metrics["run_end"] == "2026-04-23"
    assert alert.link.endswith("to=2026-04-26")
    # judged as of the 25th, after two calm days, the same storm is over: its days are said, not "still high"
    store.add_records(records_per_day(make_record, {date(2026, 4, 24): 8, date(2026, 4, 25): 8}, trackers=[TRACKER]))
    config = load_config(_rule_file(tmp_path / "b.toml", f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\n'
                                                        'kind = "volume_spike"\nlookback_days = 5\n'))
    [over] = run_alerts(config, store, now=datetime(2026, 4, 26, 9, tzinfo=UTC), as_of=date(2026, 4, 25),
                        dry_run=True).alerts
    assert "still high" not in over.title and "High from 2026-04-20 to 2026-04-23, peaking on 2026-04-20." in over.summary


def test_a_synthetic_spike_says_so_in_its_title_the_line_an_inbox_or_a_chat_shows(tmp_path, data_dir, make_record):
    """The synthetic warning was in the summary only: the e-mail's subject, the feed entry's title and a chat
    notification's first line (all the alert's title) read as a real backlash."""
    store = Store(data_dir)
    quiet = {SPIKE - timedelta(days=i): 5 + (i % 3) for i in range(1, 21)}
    store.add_records(records_per_day(make_record, quiet, trackers=[TRACKER], synthetic=True)
                      + records_per_day(make_record, {SPIKE: 80}, trackers=[TRACKER], synthetic=True))
    body = f'[[rule]]\nid = "spike"\ntracker = "{TRACKER}"\nkind = "volume_spike"\n'
    [alert] = run_alerts(load_config(_rule_file(tmp_path / "a.toml", body)), store,
                         now=datetime(2026, 4, 20, 23, tzinfo=UTC)).alerts
    assert alert.title.startswith("[SYNTHETIC DEMO DATA] Volume spike:")
    feed = ET.parse(data_dir / "alerts.xml").getroot()
    assert feed.findtext("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}title") == alert.title
    real = _planted_spike(tmp_path / "real", make_record)
    assert not any("SYNTHETIC" in a.title for a in run_alerts(load_config(tmp_path / "a.toml"), real,
                                                              now=datetime(2026, 4, 20, 23, tzinfo=UTC),
                                                              dry_run=True).alerts)


def test_a_title_with_a_line_break_is_sent_by_email_on_one_line(smtp_sink):
    """A statement curated with a line break in who said it (a YAML block string) made its title two lines: the
    e-mail's Subject refused it with a ValueError no channel caught, the run stopped there, and the alert stayed
    pending, stopping every later run before it delivered anything."""
    from analysis.reports.alerts.config import EmailChannel
    from analysis.reports.alerts.deliver import send_email

    port, messages = smtp_sink
    channel = EmailChannel(host="127.0.0.1", port=port, starttls=False, sender="a@actorwatch.invalid",
                           to=["desk@actorwatch.invalid"])
    send_email({"id": "abc", "title": "New statement: 某演员\nBcc: x@example.invalid — opposes", "summary": "s",
                "link": "http://127.0.0.1/"}, channel)
    [message] = [message_from_bytes(m, policy=email_policy.default) for m in messages]
    assert message["Subject"] == "[actorwatch] New statement: 某演员 Bcc: x@example.invalid — opposes"
    assert message["Bcc"] is None


def test_a_tracker_collected_for_too_few_days_to_judge_says_so(tmp_path, data_dir, make_record):
    """A tracker added the day before a storm: its first days have no baseline to stand against, so the run raised
    nothing and said nothing, "0 new alerts" while 300 posts came in."""
    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {date(2026, 4, 19): 6, SPIKE: 300}, trackers=[TRACKER]))
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\n'
                                                        'kind = "volume_spike"\n'))
    report = run_alerts(config, store, now=datetime(2026, 4, 20, 22, tzinfo=UTC), dry_run=True)
    assert report.alerts == []
    assert report.silent == [(f"{TRACKER}: records only since 2026-04-19: a day is judged against the 3 or more days "
                             "before it, so no spike before 2026-04-22 can be raised")]
    # with three days behind it, a day is judged, and nothing more is said
    store.add_records(records_per_day(make_record, {date(2026, 4, 21): 6, date(2026, 4, 22): 6}, trackers=[TRACKER]))
    assert run_alerts(config, store, now=datetime(2026, 4, 22, 22, tzinfo=UTC), dry_run=True).silent == []


HOSTILE_POST = 'Everyone <!channel> <@U024BE7LH> <https://evil.example|click> & <at user_id="all">所有人</at>'


@pytest.mark.parametrize("fmt", ["slack", "feishu", "dingtalk"])
def test_a_chat_service_webhook_gets_its_own_message_shape_with_post_text_unable_to_ping(fmt):
    """The docs point chat services' incoming webhooks at the alerter, but it posted its own JSON, which Slack
    (no "text"), Feishu (no msg_type) and DingTalk (no msgtype) refuse: such a channel failed on every run. With
    `format`, each gets its text message; a post's text in it is shown, never read as a mention of the whole
    channel or a disguised link."""
    import httpx

    from analysis.reports.alerts.config import WebhookChannel
    from analysis.reports.alerts.deliver import send_webhook

    sent = []
    transport = httpx.MockTransport(lambda request: sent.append(json.loads(request.content)) or httpx.Response(200))
    alert = {"id": "a1", "title": "Volume spike: X", "summary": "80 records", "link": "http://127.0.0.1:8501/",
             "evidence": {"top_records": [{"source": "weibo", "author": "u_1", "text": HOSTILE_POST, "url": None,
                                           "shares": 3, "likes": 1}]}}
    with httpx.Client(transport=transport) as client:
        send_webhook(alert, WebhookChannel(url="https://hooks.example/x", format=fmt), client=client)
    [body] = sent
    text = {"slack": lambda b: b["text"], "feishu": lambda b: b["msg_type"] == "text" and b["content"]["text"],
            "dingtalk": lambda b: b["msgtype"] == "text" and b["text"]["content"]}[fmt](body)
    assert text and "Volume spike: X" in text and "80 records" in text
    if fmt == "slack":  # Slack reads <…> as mentions and links: its escapes show them as typed
        assert "&lt;!channel&gt;" in text and "<" not in text and "&amp;" in text
    if fmt == "feishu":  # Feishu's <at user_id="all"> mentions everyone
        assert "<at" not in text and "所有人" in text
    if fmt == "dingtalk":
        assert "at" not in body or not body["at"].get("isAtAll")


def test_a_storm_s_earlier_days_collected_late_do_not_send_it_again(tmp_path, data_dir, make_record):
    """Weibo's collector was down on 18-19 April; the storm of the 20th was sent that evening. The next day the missed
    days were collected (a backfill): the storm had begun on the 19th, so its run of high days started a day earlier,
    the alert's key (the run's first day) changed, and the same storm went out again."""
    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {SPIKE - timedelta(days=i): 5 + i % 3 for i in range(3, 21)},
                                      trackers=[TRACKER]))
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "vol"\ntracker = "{TRACKER}"\n'
                                                        'kind = "volume_spike"\ncooldown_hours = 20\n'))
    day2 = SPIKE + timedelta(days=1)
    backfill = records_per_day(make_record, {SPIKE - timedelta(days=2): 6, SPIKE - timedelta(days=1): 100},
                               trackers=[TRACKER])
    fired = _nightly(config, store, [SPIKE, day2],
                     {SPIKE: records_per_day(make_record, {SPIKE: 100}, trackers=[TRACKER]),
                      day2: backfill + records_per_day(make_record, {day2: 100}, trackers=[TRACKER])})
    assert [a.key for a in fired] == ["vol:2026-04-20"]
    # a storm after two calm days is still a new one
    store.add_records(records_per_day(make_record, {SPIKE + timedelta(days=i): 7 for i in (2, 3)}, trackers=[TRACKER]))
    later = SPIKE + timedelta(days=4)
    again = _nightly(config, store, [later], {later: records_per_day(make_record, {later: 150}, trackers=[TRACKER])})
    assert [a.key for a in again] == ["vol:2026-04-24"]


def test_a_storm_remembered_before_its_days_were_is_known_by_its_key_s_day():
    """A state written before the alerter remembered storms' days holds only keys: the key's day stands for them."""
    from analysis.reports.alerts.state import AlertState

    state = AlertState(fired={"vol:2026-04-20": "2026-04-20T23:00:00+00:00", "other:2026-04-19": "x"})
    assert state.already_sent("vol", "vol:2026-04-19", ("2026-04-19", "2026-04-21"))
    assert state.spans == {"vol:2026-04-20": ["2026-04-19", "2026-04-21"]}
    assert not state.already_sent("vol", "vol:2026-04-24", ("2026-04-24", "2026-04-24"))  # another rule's day aside
    assert not state.already_sent("new", "new:2026-04-19", ("2026-04-19", "2026-04-19"))


def _two_days_scored(data_dir, make_record) -> Store:
    """iqiyi-nadou (collected from 10 April) with 40 scored records on each of 10-11 April, one in five negative."""
    store = Store(data_dir)
    records = records_per_day(make_record, {date(2026, 4, 10) + timedelta(days=i): 40 for i in range(2)},
                              trackers=[TRACKER])
    store.add_records(records)
    add_scores(store, {(r.source, r.id): "negative" if j % 5 == 0 else "neutral" for j, r in enumerate(records)})
    return store


@pytest.mark.parametrize("kind", ["volume_spike", "negative_jump"])
def test_alerts_as_of_a_day_before_the_tracker_is_collected_says_so(tmp_path, data_dir, make_record, kind):
    """`alerts run --as-of` a day before the tracker's collection starts said only "0 new alert(s)", as if calm."""
    store = _two_days_scored(data_dir, make_record)
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "r"\ntracker = "{TRACKER}"\nkind = "{kind}"\n'))
    report = run_alerts(config, store, as_of=date(2026, 4, 5), now=datetime(2026, 5, 1, tzinfo=UTC), dry_run=True)
    assert report.alerts == []
    assert report.silent == [(f"{TRACKER}: 2026-04-05 is before the tracker is collected (from 2026-04-10): "
                              "no day up to it can be judged")]


def test_a_negative_share_rule_on_the_first_day_of_records_says_it_cannot_judge_it(tmp_path, data_dir, make_record):
    """A share is judged against the days before it: on the tracker's first day of records there are none, and the
    rule said nothing (the volume rule says why; the share rule was silent)."""
    store = _two_days_scored(data_dir, make_record)
    config = load_config(_rule_file(tmp_path / "a.toml", f'[[rule]]\nid = "neg"\ntracker = "{TRACKER}"\n'
                                                        'kind = "negative_jump"\n'))
    first = run_alerts(config, store, as_of=date(2026, 4, 10), now=datetime(2026, 5, 1, tzinfo=UTC), dry_run=True)
    assert first.silent == [(f"{TRACKER}: records only since 2026-04-10: a day's negative share is judged against "
                             "the days before it, so none on 2026-04-10 can be raised")]
    second = run_alerts(config, store, as_of=date(2026, 4, 11), now=datetime(2026, 5, 1, tzinfo=UTC), dry_run=True)
    assert second.silent == []  # judged against the first day's 40 scored records
