"""Weibo times: every `created_at` form, the time encoded in a Weibo id, and how the two are reconciled.

Pages show times relative to when they were *fetched or saved* ("5分钟前", "昨天 23:10") or without a year
("01月10日 12:43"); a Weibo id (post mid or comment id) encodes the second it was issued:
`(id >> 22) + 515483463` Unix seconds. The rule applied by `resolve_created_at`:

- a date stated in full (year, time to the second, e.g. "Sun Dec 01 09:21:00 +0800 2024") is used as stated;
  an id that disagrees with it by more than `AGREEMENT` gives a warning (the page's own words win);
- an incomplete date (no year, relative, or no seconds) is replaced by the id's time when the id agrees with
  everything the page says (month, day, hour, minute; relative forms counted from the save time) —
  `time_basis="mid"`, right to the second;
- when they disagree, the page still wins for what it states itself (a month and day, a clock time), and the id
  wins for what the page leaves to the save time, when that save time is only a guess: a relative date with no
  clock time ("15分钟前", "刚刚") read against the file's modification time yields to the id, and so does a
  clock time ("昨天 08:15") that matches the id's to the minute on another day. Otherwise the page's date is read
  against the save time (`time_basis` "saved-at", "file-mtime" or "collected-at").
Every disagreement is returned as a warning naming both times. An id that would have been issued more than a day
after the save is not used (and warned about); ids that decode to before Weibo existed are not of this scheme.

Page times are Beijing time (UTC+8) unless they carry an offset; everything returned is UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

from collectors.base import ParseError

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
MID_EPOCH_OFFSET = 515_483_463  # Unix seconds at id 0 of Weibo's id generator
MID_SHIFT = 22  # the low 22 bits are a sequence/machine part, not time
WEIBO_LAUNCH = datetime(2009, 8, 14, tzinfo=UTC)  # an id "issued" earlier is not of this scheme
AGREEMENT = timedelta(minutes=5)  # how far a page's date and an id's time may differ and still agree

_MONTHS = {m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1)}
_ENGLISH = re.compile(r"^[A-Za-z]{3} ([A-Za-z]{3}) (\d{1,2}) (\d{1,2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2}) (\d{4})$")
_AGO = re.compile(r"^(\d{1,6})\s*(秒|秒钟|分钟|小时|天)前?$")
_DAY_WORD = re.compile(r"^(今天|昨天|前天)\s*(?:(\d{1,2}):(\d{2}))?$")
_MONTH_DAY = re.compile(r"^(\d{1,2})(?:-|月)(\d{1,2})日?(?:\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_FULL = re.compile(r"^(\d{4})(?:-|/|年)(\d{1,2})(?:-|/|月)(\d{1,2})日?(?:[ T]*(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_AGO_UNITS = {"秒": "seconds", "秒钟": "seconds", "分钟": "minutes", "小时": "hours", "天": "days"}
_SECOND, _MINUTE, _DAY = timedelta(0), timedelta(seconds=59), timedelta(days=1) - timedelta(seconds=1)

Form = Literal["absolute", "relative", "yearless"]
SaveBasis = Literal["saved-at", "file-mtime", "collected-at"]


@dataclass(frozen=True)
class SaveTime:
    """When a page was fetched or saved (what its relative and year-less dates count from), and what says so."""

    at: datetime
    basis: SaveBasis = "collected-at"


@dataclass(frozen=True)
class PageTime:
    """What a page's date says: the moment read (`when`) and the interval [lo, hi] the true moment lies in."""

    when: datetime
    lo: datetime
    hi: datetime
    form: Form
    zone_stated: bool = False
    clock: tuple[int, int] | None = None  # the Beijing hour and minute a relative form states ("昨天 23:10")

    @property
    def complete(self) -> bool:
        """A year and a time to the second: nothing for an id to add (a missing zone is assumed Beijing time)."""
        return self.form == "absolute" and self.hi == self.lo


@dataclass(frozen=True)
class ResolvedTime:
    when: datetime
    basis: str | None  # a models.TimeBasis value, None = as the page states it
    warning: str | None = None


# ---------------------------------------------------------------- the id rule
def mid_time(ident: Any, latest: datetime | None = None) -> datetime | None:
    """The moment a Weibo id was issued, or None when the value is not an id of the time-encoding scheme.

    `latest` (e.g. the save time plus a day) rejects ids that would have been issued after the page existed.
    """
    if isinstance(ident, bool):
        return None
    if isinstance(ident, str):
        ident = ident.strip()
        if not (ident.isascii() and ident.isdigit()) or len(ident) > 20:
            return None
        ident = int(ident)
    if not isinstance(ident, int) or ident <= 0 or ident >= 1 << 63:
        return None
    moment = datetime.fromtimestamp((ident >> MID_SHIFT) + MID_EPOCH_OFFSET, UTC)
    if moment < WEIBO_LAUNCH or (latest is not None and moment > latest):
        return None
    return moment


def mid_for_time(moment: datetime, low_bits: int = 0) -> int:
    """The smallest id issued at `moment` (plus `low_bits`, < 2**22): the inverse of `mid_time`, for tests and ranges."""
    if not 0 <= low_bits < 1 << MID_SHIFT:
        raise ValueError("low_bits must fit in 22 bits")
    return ((int(moment.timestamp()) - MID_EPOCH_OFFSET) << MID_SHIFT) | low_bits


# ---------------------------------------------------------------- page dates
def parse_created_at(value: Any, now: datetime | None = None) -> datetime:
    """Any Weibo `created_at` form → aware UTC datetime; relative and year-less forms count from `now`.

    Forms: "Sun Dec 01 09:21:00 +0800 2024", 刚刚, N秒/分钟/小时/天前, 今天/昨天/前天 HH:MM, MM-DD,
    MM月DD日 HH:MM, YYYY-MM-DD[ HH:MM[:SS]], YYYY年MM月DD日 HH:MM, ISO 8601 with offset, unix seconds.
    Wall-clock forms are Beijing time.
    """
    return parse_page_time(value, now or datetime.now(UTC)).when


def parse_page_time(value: Any, now: datetime) -> PageTime:
    """A `created_at` value read against `now` (the save time), with the precision the form carries."""
    if isinstance(value, bool) or value is None:
        raise ParseError(f"created_at: missing or not a date ({value!r})")
    if isinstance(value, int | float):
        moment = _from_unix(value)
        return PageTime(moment, moment, moment, "absolute", zone_stated=True)
    if not isinstance(value, str):
        raise ParseError(f"created_at: expected text, got {type(value).__name__}")
    text = " ".join(value.replace("\xa0", " ").split())
    try:
        page = _parse_text(text, now.astimezone(BEIJING))
    except (ValueError, OverflowError):
        raise ParseError(f"created_at: impossible date {value!r}") from None
    return PageTime(*(t.astimezone(UTC) for t in (page.when, page.lo, page.hi)), page.form, page.zone_stated,
                    page.clock)


def _from_unix(value: float) -> datetime:
    if not 0 < value < 4_102_444_800 * 1000:
        raise ParseError(f"created_at: unix time out of range ({value!r})")
    seconds = value / 1000 if value > 4_102_444_800 else value  # milliseconds in some exports
    return datetime.fromtimestamp(seconds, UTC)


def _span(when: datetime, width: timedelta, form: Form, zone_stated: bool = False) -> PageTime:
    return PageTime(when, when, when + width, form, zone_stated)


def _parse_text(text: str, now: datetime) -> PageTime:
    if text.isascii() and text.isdigit():
        moment = _from_unix(int(text))
        return _span(moment, _SECOND, "absolute", True)
    if m := _ENGLISH.match(text):
        mon, day, hh, mm, ss, sign, oh, om, year = m.groups()
        if mon not in _MONTHS:
            raise ParseError(f"created_at: unknown month {mon!r}")
        offset = timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == "-" else 1)
        moment = datetime(int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss), tzinfo=timezone(offset))
        return _span(moment, _SECOND, "absolute", True)
    if text == "刚刚":
        return PageTime(now, now - timedelta(minutes=1), now, "relative")
    if m := _AGO.match(text):
        unit, n = _AGO_UNITS[m.group(2)], int(m.group(1))
        when = now - timedelta(**{unit: n})
        return PageTime(when, now - timedelta(**{unit: n + 1}), when, "relative")  # "5分钟前": 5 to 6 minutes ago
    if m := _DAY_WORD.match(text):
        back = {"今天": 0, "昨天": 1, "前天": 2}[m.group(1)]
        day = (now - timedelta(days=back)).date()
        hh, mm = int(m.group(2) or 0), int(m.group(3) or 0)
        when = datetime(day.year, day.month, day.day, hh, mm, tzinfo=BEIJING)
        if not m.group(2):
            return _span(when, _DAY, "relative")
        return PageTime(when, when, when + _MINUTE, "relative", clock=(hh, mm))
    if m := _MONTH_DAY.match(text):
        month, day, hh, mm, ss = (int(g) if g else 0 for g in m.groups())
        when = datetime(now.year, month, day, hh, mm, ss, tzinfo=BEIJING)
        # A year-less date later than the save time belongs to the year before (e.g. "12-31" read on Jan 2).
        when = when.replace(year=now.year - 1) if when > now + timedelta(days=1) else when
        return _span(when, _precision(m.group(3), m.group(5)), "yearless")
    if m := _FULL.match(text):
        year, month, day, hh, mm, ss = (int(g) if g else 0 for g in m.groups())
        return _span(datetime(year, month, day, hh, mm, ss, tzinfo=BEIJING), _precision(m.group(4), m.group(6)), "absolute")
    if "T" in text or "+" in text[10:]:
        parsed = datetime.fromisoformat(text)
        stated = parsed.tzinfo is not None
        return _span(parsed if stated else parsed.replace(tzinfo=BEIJING), _SECOND, "absolute", stated)
    raise ParseError(f"created_at: unrecognised date form {text[:40]!r}")


def _precision(hour: str | None, second: str | None) -> timedelta:
    return _SECOND if second else _MINUTE if hour else _DAY


# ---------------------------------------------------------------- reconciling the two
def agrees(page: PageTime, moment: datetime) -> bool:
    """Whether an id's time fits what the page says (a year-less date in whatever year the id says)."""
    if page.form != "yearless":
        return page.lo - AGREEMENT <= moment <= page.hi + AGREEMENT
    local, width = page.lo.astimezone(BEIJING), page.hi - page.lo
    for year in (moment.astimezone(BEIJING).year + d for d in (-1, 0, 1)):
        try:
            lo = local.replace(year=year)
        except ValueError:  # 29 February in a common year
            continue
        if lo - AGREEMENT <= moment <= lo + width + AGREEMENT:
            return True
    return False


def resolve_created_at(value: Any, ident: Any, saved: SaveTime) -> ResolvedTime:
    """A record's time from its page date and its id (see the module docstring for the rule)."""
    page = parse_page_time(value, saved.at)
    moment = mid_time(ident)
    if moment is not None and moment > saved.at + timedelta(days=1):
        return _resolve_without_id(page, saved, f"id {ident} would have been issued at {_iso(moment)}, after the "
                                                f"page was saved ({_iso(saved.at)}); not used{_save_hint(saved)}")
    if moment is None:
        return _resolve_without_id(page, saved, None)
    if page.complete:
        warning = None if agrees(page, moment) else _disagreement(value, page, ident, moment, saved)
        return ResolvedTime(page.when, None, warning)
    if agrees(page, moment):
        return ResolvedTime(moment, "mid")
    # The id contradicts the page as read against the save time: is it the save time that is wrong?
    if page.clock is not None and _same_clock(page.clock, moment):
        # "今天 09:30" whose id was issued at 09:30 on another day
        return ResolvedTime(moment, "mid", f"created_at {str(value)[:40]!r} matches id {ident} (issued {_iso(moment)}) "
                                           f"to the minute but not the save time {_iso(saved.at)}; used the id's time"
                                           + _save_hint(saved))
    if page.form == "relative" and page.clock is None and saved.basis == "file-mtime":
        # "15分钟前" states nothing but an offset from a save time that is only the file's mtime: the id wins
        return ResolvedTime(moment, "mid", f"created_at {str(value)[:40]!r} counted from the file's modification time "
                                           f"{_iso(saved.at)} would be {_iso(page.when)}, but id {ident} was issued "
                                           f"{_iso(moment)}; used the id's time" + _save_hint(saved))
    return _resolve_without_id(page, saved, _disagreement(value, page, ident, moment, saved))


def _resolve_without_id(page: PageTime, saved: SaveTime, warning: str | None) -> ResolvedTime:
    return ResolvedTime(page.when, None if page.form == "absolute" else saved.basis, warning)


def _disagreement(value: Any, page: PageTime, ident: Any, moment: datetime, saved: SaveTime) -> str:
    gap = abs(moment - page.when)
    text = (f"created_at {str(value)[:40]!r} (read as {_iso(page.when)}) and id {ident} (issued {_iso(moment)}) "
            f"disagree by {_duration(gap)}; kept the page's date")
    if page.form != "absolute" and saved.basis == "saved-at":
        text += f" counted from --saved-at {_iso(saved.at)}"
    elif page.form != "absolute" and saved.basis == "file-mtime":
        text += (f" counted from the file's modification time {_iso(saved.at)} (pass --saved-at if the page was "
                 "saved at another time)")
    elif page.form == "absolute" and not page.zone_stated and gap >= timedelta(minutes=55) and min(
            gap.total_seconds() % 3600, -gap.total_seconds() % 3600) < AGREEMENT.total_seconds():
        text += " (a whole number of hours: the date's time zone may not be Beijing time)"
    return text


def _same_clock(clock: tuple[int, int], moment: datetime) -> bool:
    local = moment.astimezone(BEIJING)
    minutes = abs((local.hour * 60 + local.minute) - (clock[0] * 60 + clock[1]))
    return min(minutes, 1440 - minutes) <= 1  # stricter than AGREEMENT: only the clock is there to match


def _save_hint(saved: SaveTime) -> str:
    if saved.basis == "file-mtime":
        return " (the file's modification time is not when the page was saved: pass --saved-at)"
    if saved.basis == "saved-at":
        return " (check --saved-at)"
    return ""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _duration(gap: timedelta) -> str:
    if gap >= timedelta(days=2):
        return f"{gap.days} days"
    if gap >= timedelta(hours=2):
        return f"{gap.total_seconds() / 3600:.1f} hours"
    return f"{int(gap.total_seconds() // 60)} min {int(gap.total_seconds() % 60)} s"
