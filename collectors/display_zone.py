"""The deployment's display time zone: the zone whose calendar days every day bucket, filter and chart uses.

Set by $ACTORWATCH_TZ (an IANA name, e.g. Asia/Shanghai; `actorwatch --tz` sets it); default UTC. The store keeps
UTC instants whatever the zone: only days (and times shown to readers) follow it. Weibo's hot-search list keeps its
own Beijing days (collectors/hot_search.py) whatever this is.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

ENV = "ACTORWATCH_TZ"
DEFAULT = "UTC"
BEIJING_OFFSET = timedelta(hours=8)


class ZoneError(ValueError):
    """A display time zone name that is not an IANA time zone."""


def zone_name() -> str:
    """The display zone's IANA name ($ACTORWATCH_TZ, else UTC), checked: an unknown name raises, never falls back."""
    return validate_zone(os.environ.get(ENV, "").strip() or DEFAULT)


@cache
def validate_zone(name: str) -> str:
    """`name` if Python's zoneinfo and DuckDB both know it, else a ZoneError naming it."""
    hint = f"{ENV}/--tz: {name!r} is not an IANA time zone name (e.g. UTC, Asia/Shanghai, Europe/Paris)"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ZoneError(hint) from exc
    try:
        duckdb.connect(":memory:").execute(f"SET TimeZone = '{name}'")  # name has no quote: zoneinfo accepted it
    except duckdb.Error as exc:
        raise ZoneError(hint + " (DuckDB does not know it)") from exc
    return name


def display_zone() -> ZoneInfo:
    return ZoneInfo(zone_name())


def is_utc(name: str | None = None) -> bool:
    return _offsets(name or zone_name()) == (timedelta(0),)


def keeps_daylight_saving(name: str | None = None) -> bool:
    """Whether the zone changes its offset over the year (so one wall-clock hour in autumn comes twice)."""
    return len(_offsets(name or zone_name())) > 1


def is_beijing(name: str | None = None) -> bool:
    """Whether the zone's days are Beijing's (UTC+8 all year, as Asia/Shanghai)."""
    return _offsets(name or zone_name()) == (BEIJING_OFFSET,)


@cache
def _offsets(name: str) -> tuple[timedelta, ...]:
    """The zone's UTC offsets over one year (two where it keeps daylight saving time), smallest first."""
    zone = ZoneInfo(name)
    found = {datetime(2026, month, 1, 12, tzinfo=zone).utcoffset() or timedelta(0) for month in range(1, 13)}
    return tuple(sorted(found))


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(name: str | None = None) -> str:
    """"UTC", or the name with its offset(s): "Asia/Shanghai (UTC+8)", "Europe/Paris (UTC+1/+2)"."""
    name = name or zone_name()
    if is_utc(name):
        return "UTC"
    offsets = _offsets(name)
    return f"{name} (UTC{'/'.join(_offset_text(o) for o in offsets)})"


def zone_short(name: str | None = None) -> str:
    """For axis titles and headings: "UTC", or the zone's name ("Asia/Shanghai")."""
    name = name or zone_name()
    return "UTC" if is_utc(name) else name


def set_session_zone(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Make the connection's days (CAST(... AS DATE), date_trunc, DATE-to-timestamp comparisons) the display zone's."""
    con.execute(f"SET TimeZone = '{zone_name()}'")
    return con


def beijing_offset_hours(name: str | None = None) -> float | None:
    """How many hours Beijing is ahead of the zone (None when the zone has more than one offset)."""
    offsets = _offsets(name or zone_name())
    return (BEIJING_OFFSET - offsets[0]).total_seconds() / 3600 if len(offsets) == 1 else None


def as_utc(moment: datetime) -> datetime:
    """An instant in UTC: aware times converted; naive ones (the dashboard snapshot's) read as display-zone wall clock."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=display_zone())
    return moment.astimezone(UTC)


def today(now: datetime | None = None) -> date:
    """The display zone's current day (or `now`'s): the day alert rules and the dashboard count as today."""
    return (now or datetime.now(UTC)).astimezone(display_zone()).date()


def as_display(moment: datetime) -> datetime:
    """The display zone's wall clock of an instant (naive ones are taken to be that wall clock already)."""
    return moment if moment.tzinfo is None else moment.astimezone(display_zone())


def clock_text(moment: datetime) -> str:
    """An instant on the display zone's clock, "2026-11-01 01:30", with its UTC offset ("2026-11-01 01:30 -05:00")
    where the zone keeps daylight saving time, as Explore's table shows it (the repeated autumn hour told apart)."""
    shown = as_display(moment)
    if shown.tzinfo is None or not keeps_daylight_saving():
        return f"{shown:%Y-%m-%d %H:%M}"
    return f"{shown:%Y-%m-%d %H:%M} {shown.isoformat()[-6:]}"
