"""A tracker's alerts as the dashboard shows them: what its rules find now (the function `alerts run` uses), what
the alerter did with each (state.py), and the collection gaps that make a view's days unreliable."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import duckdb

from analysis.core.filters import Filters
from analysis.reports.alerts.config import AlertConfig
from analysis.reports.alerts.rules import Alert
from analysis.reports.alerts.run import RuleFindings, check_rules, judge
from analysis.reports.alerts.state import AlertState
from analysis.stats.peaks import source_gaps, stopped_sources
from analysis.stats.timeseries import volume_series
from collectors.trackers import Tracker


def tracker_findings(con: duckdb.DuckDBPyConnection, config: AlertConfig, tracker: Tracker, as_of: date,
                     now: datetime, trackers: Sequence[Tracker] | None = None,
                     model_version: str | None = None) -> list[RuleFindings]:
    """Every rule of `tracker` judged as `alerts run` judges it, cooldowns and earlier runs aside (`active` applies
    them). ValueError naming the rule, as `alerts run`, if a rule names an unknown tracker or entity."""
    check_rules(config, trackers)
    return [judge(con, rule, tracker, as_of, now, model_version, config.dashboard_url)
            for rule in config.effective_rules() if rule.tracker == tracker.id]


@dataclass(frozen=True)
class ActiveAlert:
    """An alert its rule finds now, and what the alerter did with it."""

    alert: Alert
    sent_at: str | None  # when a run raised it (None: never)
    undelivered: list[str]  # channels that have not taken it yet (retried on the next run)
    cooldown_until: datetime | None  # its rule's cooldown, if it holds now

    @property
    def would_raise(self) -> bool:
        """Whether the next `alerts run` raises it (as `alerts run --dry-run` lists it)."""
        return self.sent_at is None and self.cooldown_until is None

    @property
    def status(self) -> str:
        if self.sent_at:
            sent = f"sent {self.sent_at[:16].replace('T', ' ')} UTC"
            return sent + (f"; not yet delivered to {', '.join(self.undelivered)}" if self.undelivered else "")
        if self.would_raise:
            return "new: the next `alerts run` sends it"
        return f"not sent: its rule is in cooldown until {self.cooldown_until:%Y-%m-%d %H:%M} UTC, after another alert"


def active(findings: Sequence[RuleFindings], state: AlertState, now: datetime) -> list[ActiveAlert]:
    """The findings' alerts with what `state` says of them, newest day first."""
    undelivered = state.undelivered()
    out = []
    for found in findings:
        rule = found.rule
        last = state.last_fired.get(rule.id)
        until = (datetime.fromisoformat(last) + timedelta(hours=rule.cooldown_hours)
                 if state.in_cooldown(rule.id, rule.cooldown_hours, now) and last else None)
        out += [ActiveAlert(a, state.fired.get(a.key), undelivered.get(a.id, []), until) for a in found.alerts]
    return sorted(out, key=lambda x: (x.alert.day, x.alert.rule_id), reverse=True)


@dataclass(frozen=True)
class CollectionGaps:
    """Where a view's totals are short: days a source was not collected, and sources silent at the view's end."""

    gaps: dict[str, list[tuple[date, date]]]  # source -> runs of uncollected days inside the view
    stopped: dict[str, tuple[date, float]]  # source -> (its last day with records, its median a day before)
    until: date  # the last day judged (the view's end, or today, or the end of the tracker's collection window)

    def lines(self) -> list[str]:
        out = [f"{source}: not collected {a}{'' if a == b else f' to {b}'} (it collected before and after)"
               for source, runs in sorted(self.gaps.items()) for a, b in runs]
        out += [f"{source}: no records since {last} (before, a median of {typical:g} a day): not collected? the days "
                f"after {last} miss its posts" for source, (last, typical) in sorted(self.stopped.items())]
        return out


def collection_gaps_in_view(con: duckdb.DuckDBPyConnection, f: Filters, tracker: Tracker, today: date,
                            history_days: int = 7) -> CollectionGaps:
    """Sources of `f` not collected on some of its days, or silent over its last three whole days up to
    `until` (the view's end, but no later than today or the tracker's collection window), with the rules'
    thresholds (peaks.collection_gaps, peaks.stopped_sources). Collection is per source: languages and kinds aside."""
    until = min(f.end, today, Filters.for_tracker(tracker).end) if f.end else today
    start = (f.start or until) - timedelta(days=history_days)  # the days before tell what the source collected then
    if until < start:
        return CollectionGaps({}, {}, until)
    by_source = volume_series(con, Filters(f.tracker, start, until, f.sources), by="source")
    gaps = {source: kept for source, runs in source_gaps(by_source).items()
            if (kept := [(a, b) for a, b in runs if f.start is None or b >= f.start])}
    # three whole days without a record; today is not over, so it does not count as one
    since = until - timedelta(days=3 if until == today else 2)
    return CollectionGaps(gaps, stopped_sources(by_source, since), until)


def synthetic_in(alerts: Sequence[Alert | dict[str, Any]]) -> int:
    """How many of these alerts' days' records are synthetic demo data (their evidence says)."""
    packs = [(a.evidence if isinstance(a, Alert) else a.get("evidence")) or {} for a in alerts]
    return sum(int(p.get("synthetic") or 0) for p in packs)


def calm_message(rules: str, as_of: date, window_end: date, last_day: date | None) -> str:
    """What no alert as of `as_of` means. After the tracker's collection window (ending `window_end`) nothing is
    collected, so the rules (`rules`, their ids) have no recent day to judge and their silence is no calm: said so,
    with the last day with data (`last_day`, if any) to judge instead."""
    if as_of <= window_end:
        return f"No alert active: the rules of this tracker ({rules}) find nothing in their last days up to {as_of}."
    last = f" The last day with data is {last_day}: evaluate as of it to see what they found then." if last_day else ""
    return (f"No alert active as of {as_of}, but the tracker's collection window ended on {window_end}: nothing is "
            f"collected after it, so the rules ({rules}) have no recent day to judge.{last}")
