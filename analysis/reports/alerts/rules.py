"""Evaluate one alert rule against the store: volume spikes, negative-share jumps, new watched statements."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from analysis.core.filters import Filters
from analysis.core.scores import SCORES
from analysis.core.wording import share_text
from analysis.nlp.model_info import accuracy_line, model_card_summary
from analysis.reports.alerts.config import EffectiveRule
from analysis.reports.alerts.evidence import peak_evidence
from analysis.reports.links import DEFAULT_PAGE, deep_link
from analysis.stats.peaks import (
    MIN_BASELINE_DAYS,
    detect_peaks,
    series_by_day,
    share_jumps,
    stopped_sources,
    uncollected_days,
    without_days,
)
from analysis.stats.timeseries import sentiment_series, stored_span, volume_series
from collectors.display_zone import display_zone, zone_short
from collectors.trackers import Tracker

HISTORY_DAYS = 28  # baseline history before the lookback days
# high days with at most this many calm days between them are one storm, raised once: a storm's own days lift the
# trailing baseline (and a weekend is quieter), so a day in the middle can fall under the threshold without the storm
# being over; two calm days in a row end it, and high days after them are a new storm
STORM_GAP_DAYS = 1
STATEMENTS_PAGE = "voices"  # the dashboard page (url_path) listing curated statements
SYNTHETIC_MARK = "[SYNTHETIC DEMO DATA]"  # leads the title of an alert on a day with synthetic records


@dataclass(frozen=True)
class Alert:
    key: str  # what the alert is about (rule + day or statement): never sent twice
    rule_id: str
    kind: str
    tracker: str
    entity: str | None
    day: str
    title: str
    summary: str
    link: str
    created_at: str
    metrics: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, **asdict(self)}


def evaluate_rule(con: duckdb.DuckDBPyConnection, rule: EffectiveRule, tracker: Tracker, as_of: date,
                  model_version: str | None, now: datetime, dashboard_url: str | None = None) -> list[Alert]:
    """Alerts this rule raises for days (or statements) in the `lookback_days` ending on `as_of`."""
    if rule.entity and rule.entity not in {e.id for e in tracker.entities}:
        raise ValueError(f"rule {rule.id}: entity {rule.entity!r} is not an entity of tracker {tracker.id}")
    first = as_of - timedelta(days=rule.lookback_days - 1)
    if rule.kind == "new_statement":
        return _statement_alerts(rule, tracker, first, as_of, now, dashboard_url)
    # history starts no earlier than the tracker's collection or its first stored record: days before are unknown,
    # not days with 0 records (the first day of an import is no spike)
    f = Filters(tracker.id, max(first - timedelta(days=HISTORY_DAYS), stored_span(con, Filters(tracker.id), tracker).start),
                as_of)
    unknown = uncollected_days(con, f)  # a source's collection gap is no quiet spell to measure a spike against
    if rule.kind == "volume_spike":
        series = without_days(_volume(con, f, rule, tracker), unknown)
        peaks = detect_peaks(series, threshold=rule.threshold, bridge=STORM_GAP_DAYS)
        peaks = peaks[peaks["value"] >= rule.min_records]
        what, values = "records", series
    else:
        if not model_version:
            return []
        frame = _sentiment(con, f, rule, tracker, model_version)
        n = series_by_day(frame, "n")
        peaks = share_jumps(frame, min_n=rule.min_records, threshold=rule.threshold, unknown=unknown,
                            bridge=STORM_GAP_DAYS)
        what, values = "negative share", series_by_day(frame, "negative")
    # a run of high days reaching into the lookback days is news, though its highest day was before them (a storm
    # that stays high, when the rule was added or the alerter was down on that day); a run sent before is not resent
    peaks = peaks[[start <= as_of and end >= first for start, end in zip(peaks["run_start"], peaks["run_end"],
                                                                         strict=True)]]
    alerts = []
    for peak in peaks.itertuples(index=False):
        day_f = Filters(tracker.id, peak.day, peak.day)
        link = deep_link(DEFAULT_PAGE, Filters(tracker.id, peak.day - timedelta(days=14),
                                               peak.run_end + timedelta(days=3)), dashboard_url)
        subject = tracker.entity(rule.entity).label if rule.entity else tracker.name_en
        # today (the display zone's day) is judged before it is over, and its alert is never re-sent with the full
        # day's figures
        zone, local_now = zone_short(), now.astimezone(display_zone())
        so_far, day_note = (" so far", f"{zone} day to {local_now:%H:%M} {zone}, not over") \
            if peak.day == local_now.date() else ("", f"{zone} day")
        # dated on its peak (its figures and evidence), but a reader must also know whether it is still going on
        ongoing = peak.run_end == as_of and peak.run_end > peak.day
        still = f", still high on {peak.run_end}" if ongoing else ""
        if rule.kind == "volume_spike":
            title = f"Volume spike: {subject} — {int(peak.value):,} records{so_far} on {peak.day} ({zone}){still}"
            summary = (f"{int(peak.value):,} records{so_far} on {peak.day} ({day_note}) against a typical "
                       f"{peak.baseline:,.0f} per day (robust z = {peak.score:.1f}).")
        else:
            title = (f"Negative-share jump: {subject} — {share_text(peak.value)} negative{so_far} on {peak.day} "
                     f"({zone}){still}")
            scored = int(n[peak.day])
            lo, hi = peak.lo, peak.hi  # the day's band, clustered by author (share_jumps)
            summary = (f"{share_text(peak.value, (lo, hi))} of {scored:,} scored records{so_far} negative on {peak.day} "
                       f"({day_note}) against a typical {share_text(peak.baseline)} (robust z = {peak.score:.1f}). "
                       + accuracy_line(model_card_summary(model_version, _model_name(con, model_version), rule.tracker)))
        summary += storm_span(peak, values, rule.kind, ongoing, local_now.date())
        evidence = peak_evidence(con, day_f, rule.entity, tracker)
        summary += concentration(evidence)
        if evidence["synthetic"]:  # every channel shows the summary: nobody may take generated posts for a backlash
            summary += (f" Warning: {evidence['synthetic']:,} of the {evidence['records']:,} records that day are "
                        "SYNTHETIC demo data (generated posts, not real ones).")
            # nor the title: an e-mail's subject, a feed entry's title, a chat notification's first line
            title = f"{SYNTHETIC_MARK} {title}"
        alerts.append(Alert(
            # keyed by the run's first day: a storm that keeps rising moves its highest day on, but is one storm
            key=f"{rule.id}:{peak.run_start}", rule_id=rule.id, kind=rule.kind, tracker=tracker.id, entity=rule.entity,
            day=peak.day.isoformat(), title=title, summary=summary, link=link, created_at=now.isoformat(),
            metrics={"measure": what, "value": float(peak.value), "baseline": float(peak.baseline),
                     "score": float(peak.score), "sensitivity": rule.sensitivity,
                     "run_start": peak.run_start.isoformat(), "run_end": peak.run_end.isoformat()},
            evidence=evidence))
    return alerts


def storm_span(peak: Any, values: pd.Series, kind: str, ongoing: bool, local_today: date) -> str:
    """The storm's days beside its peak: since when it is high and whether it still is on the latest day judged."""
    if peak.run_start == peak.run_end:
        return ""
    if not ongoing:
        return f" High from {peak.run_start} to {peak.run_end}, peaking on {peak.day}."
    latest = values[peak.run_end]
    figure = f"{int(latest):,} records" if kind == "volume_spike" else f"{share_text(latest)} negative"
    so_far = " so far" if peak.run_end == local_today else ""
    return (f" High since {peak.run_start}, peaking on {peak.day}; still high on {peak.run_end} ({figure}{so_far}), "
            "the latest day judged.")


def concentration(evidence: dict[str, Any]) -> str:
    """How many authors and which sources made the day (tracker-wide): a spike posted by a few accounts, or all from
    one source, is not the same backlash as one from many."""
    records, authors, by_source = evidence["records"], evidence.get("authors"), evidence.get("by_source") or {}
    if not records:
        return ""
    who = f"{authors:,} distinct author{'' if authors == 1 else 's'}" if authors is not None else "authors unknown"
    where = ", ".join(f"{source} {n:,}" for source, n in by_source.items())
    return f" The tracker's {records:,} records that day: {who}; by source {where}."


def silence(con: duckdb.DuckDBPyConnection, rule: EffectiveRule, tracker: Tracker, as_of: date) -> list[str]:
    """Why a volume or share rule's silence may not mean calm: a source that collected plenty has had no record for
    three whole days or more (its collector stopped?, however long ago), or the tracker has no record at all on these
    days, or it has been collected for too few days to judge one (a volume rule: three days before it; a share rule:
    one), inside its collection window, or `as_of` is before that window (`alerts run --as-of` an early day). Empty
    when the collection window is over: nothing is collected then."""
    window = Filters.for_tracker(tracker)
    if rule.kind == "new_statement" or as_of > window.end:
        return []
    if as_of < window.start:
        return [f"{as_of} is before the tracker is collected (from {window.start}): no day up to it can be judged"]
    # three whole days without a record, as a collection gap (peaks.collection_gaps): a feed quiet at weekends is not
    # said to have stopped on a Monday, nor one collecting once a day in the morning. Whatever the rule's lookback: a
    # week-long rule would otherwise need a week of silence, its storms of the days before unseen
    since = as_of - timedelta(days=3)
    start = max(since - timedelta(days=HISTORY_DAYS), window.start)
    # from the window's start: a source silent for longer than the history days is still one not collected
    by_source = volume_series(con, Filters(tracker.id, window.start, as_of), by="source")
    whys = [f"{source} has no records since {last} (before, a median of {typical:g} a day): not collected? its "
            "spikes cannot be seen" for source, (last, typical) in sorted(stopped_sources(by_source, since).items())]
    recent = by_source[pd.to_datetime(by_source["period"]).dt.date >= start] if len(by_source) else by_source
    if not whys and (not len(recent) or not recent["records"].sum()):
        return [f"no records from {start} to {as_of} (is it collected?)"]
    # a tracker collected for a day or two has no baseline yet: its storm cannot be raised, and "0 new alerts" is no calm
    first = stored_span(con, Filters(tracker.id), tracker).start
    judged_from = first + timedelta(days=MIN_BASELINE_DAYS)
    if rule.kind == "volume_spike" and first <= as_of < judged_from:
        whys.append(f"records only since {first}: a day is judged against the {MIN_BASELINE_DAYS} or more days "
                       f"before it, so no spike before {judged_from} can be raised")
    if rule.kind == "negative_jump" and first == as_of:
        whys.append(f"records only since {first}: a day's negative share is judged against the days before it, so "
                    f"none on {first} can be raised")
    return whys


def _model_name(con: duckdb.DuckDBPyConnection, model_version: str) -> str | None:
    return con.execute(f"SELECT any_value(model) FROM {SCORES} WHERE model_version = ?", [model_version]).fetchone()[0]


def _volume(con: duckdb.DuckDBPyConnection, f: Filters, rule: EffectiveRule, tracker: Tracker) -> pd.Series:
    if not rule.entity:
        return series_by_day(volume_series(con, f), "records")
    frame = volume_series(con, f, by="entity", tracker=tracker)
    return series_by_day(frame[frame["entity"] == rule.entity], "records")


def _sentiment(con: duckdb.DuckDBPyConnection, f: Filters, rule: EffectiveRule, tracker: Tracker,
               model_version: str) -> pd.DataFrame:
    frame = sentiment_series(con, f, model_version, by="entity" if rule.entity else None, tracker=tracker)
    return frame[frame["entity"] == rule.entity] if rule.entity else frame


def _statement_alerts(rule: EffectiveRule, tracker: Tracker, first: date, as_of: date, now: datetime,
                      dashboard_url: str | None) -> list[Alert]:
    watched = {rule.entity} if rule.entity else {e.id for e in tracker.entities if e.watch}
    alerts = []
    for st in sorted(tracker.statements, key=lambda s: (s.date, s.id)):
        if st.entity not in watched or not (first <= st.date <= as_of):
            continue
        entity = tracker.entity(st.entity)
        link = deep_link(STATEMENTS_PAGE, Filters(tracker.id, st.date - timedelta(days=7), st.date + timedelta(days=7)),
                         dashboard_url)
        alerts.append(Alert(
            key=f"{rule.id}:{st.id}", rule_id=rule.id, kind=rule.kind, tracker=tracker.id, entity=st.entity,
            day=st.date.isoformat(), title=f"New statement: {st.who} ({entity.label}) — {st.stance}",
            summary=f"{st.who}, {st.role}, on {st.date}{' via ' + st.platform if st.platform else ''}: {st.summary}",
            link=link, created_at=now.isoformat(), metrics={"stance": st.stance},
            evidence={"statement": {"id": st.id, "who": st.who, "role": st.role, "date": st.date.isoformat(),
                                    "stance": st.stance, "summary": st.summary, "source_name": st.source_name,
                                    "source_url": str(st.source_url)}}))
    return alerts
