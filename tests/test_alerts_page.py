"""The dashboard's Alerts page and Overview banner: the alerts `actorwatch alerts run` raises, with its figures, what
was sent, and collection gaps. Small stores planted per test (as tests/test_alerts.py plants them)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from collectors.store import Store
from dashboard.cli import cli
from tests.analytics_fixtures import add_scores, records_per_day
from tests.dashboard_store import HOSTILE_TEXT

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
TRACKER = "iqiyi-nadou"
SPIKE = date(2026, 4, 20)
AS_OF = "2026-04-21"
RULES = f"""schema_version = 1
[channels.rss]
path = "alerts.xml"
[[rule]]
id = "spike"
tracker = "{TRACKER}"
kind = "volume_spike"
"""
NEGATIVE_RULE = f"""[[rule]]
id = "negative"
tracker = "{TRACKER}"
kind = "negative_jump"
min_records = 5
"""


def plant_spike(data_dir: Path, make_record, synthetic: bool = False, rules: str = RULES) -> Store:
    """Quiet days, then 80 records on SPIKE (one of them a hostile post), and the alerts file in the data folder."""
    store = Store(data_dir)
    quiet = {SPIKE - timedelta(days=i): 5 + (i % 3) for i in range(1, 21)}
    records = records_per_day(make_record, quiet, trackers=[TRACKER])
    records += records_per_day(make_record, {SPIKE: 80}, trackers=[TRACKER], text="抵制AI艺人库", shares=3,
                               synthetic=synthetic)
    records.append(make_record(published_at=datetime(2026, 4, 20, 9, tzinfo=UTC), trackers=[TRACKER], shares=500,
                               text=HOSTILE_TEXT, author_id="5550001234", author_name="<b>小号本人</b>"))
    store.add_records(records)
    (data_dir / "alerts.toml").write_text(rules, encoding="utf-8")
    return store


def cli_json(*args: str) -> dict:
    result = CliRunner().invoke(cli, ["alerts", "run", "--as-of", AS_OF, "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def open_page(page: str, params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if page != "overview":
        at.switch_page(f"app_pages/{page}.py")
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def figures_table(at: AppTest):
    return next(df.value for df in at.dataframe if "robust z" in df.value.columns)


def texts(at: AppTest) -> str:
    return "\n".join(e.value for kind in ("markdown", "caption", "warning", "info", "success", "error")
                     for e in getattr(at, kind))


def test_the_page_shows_the_alerts_alerts_run_raises_with_the_same_figures(data_dir, make_record) -> None:
    """Unions watching a tracker saw alerts only in their inbox: the dashboard had no trace of them. It now shows what
    `alerts run` raises, with the same figures, and what it sent."""
    store = plant_spike(data_dir, make_record, rules=RULES + NEGATIVE_RULE)
    with store.connect() as con:
        rows = con.execute("SELECT source, id, CAST(published_at AS DATE) AS day FROM records ORDER BY id").fetchall()
    seen: dict[date, int] = {}
    labels = {}
    for source, rid, day in rows:  # every fifth record negative; three of every four on the spike's day
        seen[day] = seen.get(day, 0) + 1
        negative = seen[day] % 4 != 0 if day == SPIKE else seen[day] % 5 == 1
        labels[(source, rid)] = "negative" if negative else "neutral"
    add_scores(store, labels)
    expected = cli_json("--dry-run")["alerts"]
    assert sorted(a["kind"] for a in expected) == ["negative_jump", "volume_spike"]
    at = open_page("alerts", {"as_of": AS_OF})
    table = figures_table(at).sort_values("rule")
    expected.sort(key=lambda a: a["rule_id"])
    assert table[["rule", "kind", "day"]].to_dict("records") == [
        {"rule": a["rule_id"], "kind": a["kind"], "day": a["day"]} for a in expected]
    assert table[["value", "typical", "robust z", "sensitivity"]].to_dict("records") == [
        {"value": a["metrics"]["value"], "typical": a["metrics"]["baseline"], "robust z": a["metrics"]["score"],
         "sensitivity": a["metrics"]["sensitivity"]} for a in expected]
    assert list(table["status"]) == ["new: the next `alerts run` sends it"] * 2
    shown = texts(at).replace("\\", "")  # Markdown-escaped on the page
    assert all(a["title"] in shown and a["summary"] in shown for a in expected)
    # the hostile post is a table cell, its author a pseudonym
    evidence = next(df.value for df in at.dataframe if "text" in df.value.columns)
    assert HOSTILE_TEXT in list(evidence["text"]) and "<b>小号本人</b>" not in list(evidence["author"])
    assert not any("synthetic" in w.value.lower() for w in at.warning)
    # once the scheduled run has sent them a dry run lists nothing, but the storm still shows, as sent
    sent = cli_json()["alerts"]
    assert cli_json("--dry-run")["alerts"] == []
    at = open_page("alerts", {"as_of": AS_OF})
    assert all(s.startswith(f"sent {sent[0]['created_at'][:10]}") for s in figures_table(at)["status"])
    history = next(df.value for df in at.dataframe if "raised (UTC)" in df.value.columns)
    assert sorted(history["alert"]) == sorted(a["title"] for a in sent) and set(history["day"]) == {"2026-04-20"}


def test_alerts_from_demo_data_say_they_are_synthetic_and_the_overview_banner_links_to_them(
        data_dir, make_record, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import banner

    plant_spike(data_dir, make_record, synthetic=True)
    at = open_page("alerts", {"as_of": AS_OF})
    assert any("Demo data (synthetic)" in w.value for w in at.warning)
    monkeypatch.setattr(banner, "today", lambda: date.fromisoformat(AS_OF))  # the spike is "now"
    overview = open_page("overview")
    [alert] = [w.value for w in overview.warning if "active for this tracker" in w.value]
    assert "1 alert active" in alert and "synthetic demo data" in alert
    assert any(link.proto.page.endswith("alerts") or "alerts" in link.proto.page for link in overview.get("page_link"))
    monkeypatch.setattr(banner, "today", lambda: date(2026, 5, 20))  # weeks later: nothing active, no banner
    assert not [w for w in open_page("overview").warning if "active for this tracker" in w.value]


def test_collection_gaps_and_a_broken_alerts_file_are_said(data_dir, make_record) -> None:
    store = Store(data_dir)
    first = date(2026, 4, 10)
    weibo = {first + timedelta(days=i): 20 for i in range(16) if i not in (8, 9, 10)}  # 18-20 April not collected
    store.add_records(records_per_day(make_record, weibo, trackers=[TRACKER])
                      + records_per_day(make_record, {first + timedelta(days=i): 30 for i in range(6)},
                                        trackers=[TRACKER], source="rss"))  # rss stopped after 15 April
    (data_dir / "alerts.toml").write_text(RULES.replace("volume_spike", "no_such_kind"), encoding="utf-8")
    at = open_page("alerts", {"as_of": AS_OF})
    assert any("cannot be evaluated" in e.value and "kind" in e.value for e in at.error)
    shown = texts(at).replace("\\", "")
    assert "weibo: not collected 2026-04-18 to 2026-04-20" in shown
    assert "rss: no records since 2026-04-15 (before, a median of 30 a day)" in shown
    # the Overview's charts end short: said above them
    overview = open_page("overview")
    assert any("last days of this view are incomplete" in i.value and "rss" in i.value for i in overview.info)


def test_what_the_alerter_did_with_each_found_alert() -> None:
    """Sent, still undelivered, held back by its rule's cooldown, or new: only the last is what a dry run lists."""
    from analysis.reports.alerts.config import load_config
    from analysis.reports.alerts.rules import Alert
    from analysis.reports.alerts.run import RuleFindings
    from analysis.reports.alerts.state import AlertState
    from analysis.reports.alerts.status import active

    now = datetime(2026, 4, 21, 12, tzinfo=UTC)
    rules = {r.id: r for r in load_config(Path(__file__).resolve().parents[1] / "data" / "alerts.toml").effective_rules()}

    def alert(rule: str, day: str) -> Alert:
        return Alert(key=f"{rule}:{day}", rule_id=rule, kind=rules[rule].kind, tracker=TRACKER, entity=None, day=day,
                     title="t", summary="s", link="l", created_at=now.isoformat())

    sent, held, new = alert("nadou-volume", "2026-04-19"), alert("nadou-volume", "2026-04-21"), \
        alert("nadou-statements", "2026-04-20")
    state = AlertState(last_fired={"nadou-volume": (now - timedelta(hours=2)).isoformat()},
                       fired={sent.key: (now - timedelta(hours=2)).isoformat()},
                       pending=[{"alert": sent.to_json(), "channels": ["webhook"]}])
    found = [RuleFindings(rules["nadou-volume"], [sent, held], []), RuleFindings(rules["nadou-statements"], [new], [])]
    status = {a.alert.key: (a.status, a.would_raise) for a in active(found, state, now)}
    assert status[sent.key] == ("sent 2026-04-21 10:00 UTC; not yet delivered to webhook", False)
    assert status[held.key] == ("not sent: its rule is in cooldown until 2026-04-22 10:00 UTC, after another alert", False)
    assert status[new.key] == ("new: the next `alerts run` sends it", True)


def test_the_page_opens_on_an_empty_store(isolated_data_dir: Path) -> None:
    """A fresh install (no records, the shipped example rules): the rules find nothing, and the page says why."""
    at = open_page("alerts")
    shown = texts(at)
    assert "No alert active" in shown and "no records from" not in shown  # its window is long past
    assert "No alert of this tracker has been sent" in shown


def test_a_stopped_source_is_said_once_however_many_rules_watch_the_tracker(data_dir, make_record) -> None:
    """Two volume rules on the tracker: the page said "rss has no records since …" once per rule."""
    store = Store(data_dir)
    first = date(2026, 4, 10)
    store.add_records(records_per_day(make_record, {first + timedelta(days=i): 20 for i in range(12)}, trackers=[TRACKER])
                      + records_per_day(make_record, {first + timedelta(days=i): 30 for i in range(6)},
                                        trackers=[TRACKER], source="rss"))  # rss stopped after 15 April
    more = f'[[rule]]\nid = "spike-more"\ntracker = "{TRACKER}"\nkind = "volume_spike"\nsensitivity = "more"\n'
    (data_dir / "alerts.toml").write_text(RULES + more, encoding="utf-8")
    at = open_page("alerts", {"as_of": AS_OF})
    said = [w.value for w in at.warning if "rss has no records since 2026-04-15" in w.value.replace("\\", "")]
    assert len(said) == 1, said


def test_no_alert_after_the_collection_window_says_the_window_is_over_and_offers_the_last_day() -> None:
    """Judged "as of today" weeks after a tracker's collection window, the page said "No alert active" as if all were
    calm: nothing is collected after the window, so its rules had no day to judge. It now says the window is over and
    names the last day with data; inside the window the message is as before."""
    from analysis.reports.alerts.status import calm_message

    after = calm_message("spike, negative", date(2026, 12, 6), window_end=date(2026, 5, 25), last_day=date(2026, 5, 24))
    assert "collection window ended on 2026-05-25" in after and "2026-05-24" in after
    assert not after.startswith("No alert active:")
    assert "last day with data" not in calm_message("spike", date(2026, 12, 6), date(2026, 5, 25), None)
    inside = calm_message("spike", date(2026, 5, 1), window_end=date(2026, 5, 25), last_day=date(2026, 4, 30))
    assert inside == "No alert active: the rules of this tracker (spike) find nothing in their last days up to 2026-05-01."


def test_the_page_after_the_collection_window_offers_the_last_day_with_data(data_dir, make_record) -> None:
    plant_spike(data_dir, make_record)
    at = open_page("alerts", {"as_of": "2026-06-10"})  # the window of iqiyi-nadou ends on 2026-05-25
    [calm] = [s.value for s in at.info if "collection window" in s.value]
    assert not at.success
    assert "collection window ended on 2026-05-25" in calm and str(SPIKE) in calm
    at.button(key="alerts-last-day").click().run()
    assert not at.exception
    assert at.query_params["as_of"] == str(SPIKE)
    assert list(figures_table(at)["kind"]) == ["volume_spike"]  # the storm of the last day with data, found
