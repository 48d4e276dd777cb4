"""The view every analysis function takes: which tracker, dates, sources and languages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from collectors.display_zone import beijing_offset_hours, is_beijing, is_utc, zone_label, zone_name
from collectors.models import COUNTED_KINDS
from collectors.trackers import Tracker

# A filter's days are the display time zone's days (collectors.display_zone; UTC unless ACTORWATCH_TZ says
# otherwise); curated dates of Chinese events are Beijing (UTC+8) days. Said wherever an event's day is split against
# the filter's days (the event effects), here so that a chart module can say it without scipy.
UTC_DAYS_NOTE = ("Windows are UTC days: for an event dated by its Beijing (UTC+8) day, the first 8 hours of the "
                 "event day fall on the UTC day before, so they count as 'before'.")


def days_note(zone: str | None = None) -> str:
    """How the windows' days relate to Beijing-dated events, for the zone in use (UTC_DAYS_NOTE under UTC)."""
    zone = zone or zone_name()
    if is_utc(zone):
        return UTC_DAYS_NOTE
    label = zone_label(zone)
    if is_beijing(zone):
        return f"Windows are {label} days, the days Chinese events are dated by."
    ahead = beijing_offset_hours(zone)
    if ahead is None:  # a zone with daylight saving time: the gap changes over the year
        gap = "the hours of the event day that are still the day before here count as 'before'"
    elif ahead > 0:
        gap = f"the first {_hours(ahead)} of the event day fall on the {zone} day before, so they count as 'before'"
    else:
        gap = f"the last {_hours(-ahead)} of the event day fall on the {zone} day after, so they count as 'after'"
    return f"Windows are {label} days: for an event dated by its Beijing (UTC+8) day, {gap}."


def _hours(n: float) -> str:
    return f"{n:g} hour" + ("" if n == 1 else "s")


def zone_days(zone: str | None = None) -> str:
    """"UTC" or "Asia/Shanghai (UTC+8) days": what a reader's dates are here."""
    return "UTC" if zone_label(zone) == "UTC" else f"{zone_label(zone)} days"


def days_phrase(zone: str | None = None) -> str:
    """"Days are UTC." or "Days are Asia/Shanghai (UTC+8) days." (what a reader's day means here)."""
    return f"Days are {zone_days(zone)}."


@dataclass(frozen=True)
class Filters:
    tracker: str
    start: date | None = None
    end: date | None = None  # inclusive
    sources: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    kinds: tuple[str, ...] = field(default=())  # none chosen: every kind but hot-search topic entries (kind_values)

    @classmethod
    def for_tracker(cls, tracker: Tracker, **kw: Any) -> Filters:
        """The tracker's default window around its trigger date."""
        return cls(tracker=tracker.id, start=tracker.trigger_date - timedelta(days=tracker.window_days_before),
                   end=tracker.trigger_date + timedelta(days=tracker.window_days_after), **kw)

    def where(self, alias: str = "r") -> tuple[str, list[Any]]:
        """SQL WHERE clause (without the keyword) and its parameters for a records table aliased `alias`."""
        clauses = [f"list_contains({alias}.trackers, ?)"]
        params: list[Any] = [self.tracker]
        # Days as timestamp ranges ([start 00:00, end + 1 day 00:00) in the session's time zone, which
        # Store.connect and the snapshot set to the display zone), not CAST(... AS DATE): the same rows, but a range
        # on the column itself lets DuckDB skip row groups by their min/max.
        if self.start:
            clauses.append(f"{alias}.published_at >= CAST(? AS DATE)")
            params.append(self.start)
        if self.end:
            clauses.append(f"{alias}.published_at < CAST(? AS DATE) + INTERVAL 1 DAY")
            params.append(self.end)
        for column, values in (("source", self.sources), ("lang", self.langs), ("kind", self.kind_values())):
            if values:
                clauses.append(f"{alias}.{column} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
        return " AND ".join(clauses), params

    def kind_values(self) -> tuple[str, ...]:
        """The kinds the view counts: those chosen, else every kind but trend (a hot-search topic entry is not a
        post; the Hot search page shows them)."""
        return self.kinds or COUNTED_KINDS

    def days(self) -> list[date]:
        if not (self.start and self.end):
            return []
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]
