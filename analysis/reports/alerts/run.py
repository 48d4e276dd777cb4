"""One alerts run: evaluate every rule, remember what fired, deliver to each channel, retry failures later.

Runs take turns on state/alerts.lock; a pending delivery to a channel since removed from the config is dropped
(and reported), not retried for ever.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import httpx

from analysis.nlp.model_info import latest_model_version
from analysis.reports.alerts.config import AlertConfig, EffectiveRule
from analysis.reports.alerts.deliver import DeliveryError, append_to_feed, send_email, send_webhook
from analysis.reports.alerts.rules import Alert, evaluate_rule, silence
from analysis.reports.alerts.state import AlertState, load_state, run_of, save_state, state_path
from collectors.display_zone import today
from collectors.store import Store, file_lock
from collectors.trackers import Tracker, load_trackers


@dataclass
class RunReport:
    alerts: list[Alert] = field(default_factory=list)  # newly raised this run
    delivered: dict[str, int] = field(default_factory=dict)  # channel -> alerts delivered
    failures: list[str] = field(default_factory=list)
    skipped_cooldown: list[str] = field(default_factory=list)
    not_judged: list[str] = field(default_factory=list)  # "rule (why)": rules that could not be evaluated
    dropped: list[str] = field(default_factory=list)  # pending deliveries to channels since removed from the config
    silent: list[str] = field(default_factory=list)  # "tracker: why": sources (or the tracker) not collected lately

    def to_json(self) -> dict[str, Any]:
        """The report as `alerts run --json` prints it."""
        return {"alerts": [a.to_json() for a in self.alerts], "delivered": dict(self.delivered),
                "failures": list(self.failures), "skipped_cooldown": list(self.skipped_cooldown),
                "not_judged": list(self.not_judged), "silent": list(self.silent), "dropped": list(self.dropped)}

    def lines(self) -> list[str]:
        out = [f"{len(self.alerts)} new alert(s)"]
        out += [f"  {a.rule_id}: {a.title}" for a in self.alerts]
        if self.skipped_cooldown:
            out.append(f"in cooldown: {', '.join(self.skipped_cooldown)}")
        if self.not_judged:
            out.append(f"not judged: {'; '.join(self.not_judged)}")
        out += [f"not collected lately? {msg}" for msg in self.silent]
        out += [f"delivered to {ch}: {n}" for ch, n in sorted(self.delivered.items())]
        out += [f"FAILED {msg} (kept for retry on the next run)" for msg in self.failures]
        out += [f"dropped: {msg}" for msg in self.dropped]
        return out


def check_rules(config: AlertConfig, trackers: Sequence[Tracker] | None = None) -> dict[str, Tracker]:
    """The trackers by id; ValueError naming the rule if one names an unknown tracker or entity."""
    by_id = {t.id: t for t in (trackers if trackers is not None else load_trackers())}
    for rule in config.effective_rules():
        if rule.tracker not in by_id:
            raise ValueError(f"rule {rule.id}: unknown tracker {rule.tracker!r} (known: {', '.join(by_id)})")
        if rule.entity and rule.entity not in {e.id for e in by_id[rule.tracker].entities}:
            raise ValueError(f"rule {rule.id}: entity {rule.entity!r} is not an entity of tracker {rule.tracker}")
    return by_id


@dataclass(frozen=True)
class RuleFindings:
    """What one rule finds in its lookback days, whatever earlier runs sent (`evaluate` leaves those out)."""

    rule: EffectiveRule
    alerts: list[Alert]
    silent: list[str]  # why its silence may not mean calm (rules.silence)
    not_judged: str | None = None  # why it could not be evaluated


def judge(con: duckdb.DuckDBPyConnection, rule: EffectiveRule, tracker: Tracker, as_of: date, now: datetime,
          model_version: str | None = None, dashboard_url: str | None = None) -> RuleFindings:
    """One rule evaluated on `con` (the store's, or the dashboard's snapshot of it)."""
    version = model_version or latest_model_version(con, rule.tracker)  # the tracker's adapted model, if any
    if rule.kind == "negative_jump" and not version:  # else "0 new alerts" would read as "no backlash"
        return RuleFindings(rule, [], [], "no sentiment scores yet: run `actorwatch enrich`")
    silent = silence(con, rule, tracker, as_of)
    return RuleFindings(rule, evaluate_rule(con, rule, tracker, as_of, version, now, dashboard_url), silent)


def evaluate(config: AlertConfig, store: Store, as_of: date, now: datetime, state: AlertState,
             trackers: Sequence[Tracker] | None = None, model_version: str | None = None) -> RunReport:
    """New alerts from every rule not in cooldown, skipping anything already alerted on."""
    by_id = check_rules(config, trackers)
    report = RunReport()
    # tracker -> why its rules' silence may not mean calm: a tracker's sources, said once however many rules watch
    # it, and whether or not its rules are in cooldown (a dead collector after an alert is still news)
    silent: dict[str, dict[str, None]] = {}  # tracker -> its whys, in order, each once
    with store.connect(public_names=public_names_of(by_id.values())) as con:
        for rule in config.effective_rules():
            tracker = by_id[rule.tracker]
            if state.in_cooldown(rule.id, rule.cooldown_hours, now):
                report.skipped_cooldown.append(rule.id)
                if rule.kind != "new_statement":
                    silent.setdefault(rule.tracker, {}).update(dict.fromkeys(silence(con, rule, tracker, as_of)))
                continue
            found = judge(con, rule, tracker, as_of, now, model_version, config.dashboard_url)
            if found.not_judged:
                report.not_judged.append(f"{rule.id} ({found.not_judged})")
                continue
            silent.setdefault(rule.tracker, {}).update(dict.fromkeys(found.silent))
            # several distinct days/statements may fire at once; the cooldown governs later runs
            report.alerts += [a for a in found.alerts
                              if not state.already_sent(a.rule_id, a.key, run_of(a.metrics))]
    report.silent = [f"{tracker}: {why}" for tracker, whys in silent.items() for why in whys]
    return report


def run_alerts(config: AlertConfig, store: Store | None = None, as_of: date | None = None,
               now: datetime | None = None, dry_run: bool = False, client: httpx.Client | None = None,
               trackers: Sequence[Tracker] | None = None, model_version: str | None = None) -> RunReport:
    """Evaluate, record and deliver. `dry_run` evaluates only: nothing is sent or remembered."""
    now = now or datetime.now(UTC)
    as_of = as_of or today(now)  # today in the display zone, whose days the rules count
    store = store or Store()
    if dry_run:
        return evaluate(config, store, as_of, now, load_state(), trackers, model_version)
    # one run at a time: a run started while another delivers would read its pending queue and send it again
    with file_lock(state_path().with_name("alerts.lock")):
        return _run_locked(config, store, as_of, now, client, trackers, model_version)


def _run_locked(config: AlertConfig, store: Store, as_of: date, now: datetime, client: httpx.Client | None,
                trackers: Sequence[Tracker] | None, model_version: str | None) -> RunReport:
    state = load_state()
    report = evaluate(config, store, as_of, now, state, trackers, model_version)
    rules = {r.id: r for r in config.effective_rules()}
    queue: list[dict[str, Any]] = list(state.pending)
    for alert in report.alerts:
        payload = alert.to_json()
        state.mark_fired(alert.rule_id, alert.key, payload, now)
        queue.append({"alert": payload, "channels": list(rules[alert.rule_id].channels)})
    # remembered before sending, and each delivery as it is made: a run stopped midway (Ctrl-C, a kill) leaves
    # what it had not delivered pending for the next run, and sends nothing twice
    state.pending = queue
    save_state(state)
    for item in queue:
        for channel in list(item["channels"]):
            if getattr(config.channels, channel, None) is None:  # else retried (and failing) on every run for ever
                item["channels"].remove(channel)
                report.dropped.append(f"{item['alert'].get('title')} — {channel} is no longer configured")
                continue
            try:
                _deliver(config, channel, item["alert"], client)
            except DeliveryError as exc:
                report.failures.append(str(exc))
                continue
            report.delivered[channel] = report.delivered.get(channel, 0) + 1
            item["channels"].remove(channel)
            save_state(state)
    state.pending = [item for item in queue if item["channels"]]
    state.prune(now)
    save_state(state)
    return report


def _deliver(config: AlertConfig, channel: str, alert: dict[str, Any], client: httpx.Client | None) -> None:
    if channel == "webhook" and config.channels.webhook:
        send_webhook(alert, config.channels.webhook, client)
    elif channel == "email" and config.channels.email:
        send_email(alert, config.channels.email)
    elif channel == "rss" and config.channels.rss:
        append_to_feed([alert], config.channels.rss)
    else:
        raise DeliveryError(f"channel {channel!r} is not configured")


def public_names_of(trackers: Any) -> set[str]:
    """Names shown unpseudonymised: the public entities of these trackers."""
    return {n for t in trackers for n in t.public_names()}

