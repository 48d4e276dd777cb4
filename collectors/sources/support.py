"""Helpers the API collectors share: one retried request + parse step, per-term cursors, time/count/HTML parsing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

from collectors.base import Collector, CollectorError, ParseError, SourceBlocked
from collectors.http import TransientHTTPError
from collectors.parsing import html_to_text, parse_count
from collectors.secrets import redact_text
from collectors.sources.weibo_time import BEIJING

T = TypeVar("T")


class RetriesExhausted(SourceBlocked):
    """429/5xx/unreadable bodies went on after every retry (not a refusal): the source is throttling or down."""


def unreadable(response: httpx.Response, reason: str) -> TransientHTTPError:
    """A 2xx response whose body could not be read (e.g. truncated JSON): retried like a 5xx."""
    return TransientHTTPError(response, f"unreadable response from {response.request.url.host}: {reason}")


def request_parsed(collector: Collector, method: str, url: str, parse: Callable[[httpx.Response], T],
                   **kw: Any) -> tuple[httpx.Response, T]:
    """One polite request whose body is parsed by `parse` inside the retry loop (429/5xx/timeouts and
    unreadable bodies are retried with backoff). Retries exhausted or the network unreachable become
    SourceBlocked, so the run stops cleanly and can resume; `parse` raises ParseError/SourceBlocked for
    problems that retrying cannot fix.
    """
    parsed: list[T] = []

    def check(response: httpx.Response) -> None:
        try:
            parsed[:] = [parse(response)]
        except CollectorError as exc:  # a page that did not parse, or a refusal (risk control, 403, login)
            with_response(exc, response)  # run_collection archives the body that failed
            raise

    try:
        response = collector.request(method, url, check=check, **kw)
    except TransientHTTPError as exc:
        raise RetriesExhausted(f"{collector.name}: {exc} (gave up after {collector.policy.attempts} attempts)",
                               RESUME_LATER) from None
    except httpx.HTTPError as exc:
        raise SourceBlocked(f"{collector.name}: network error ({type(exc).__name__}: {redact_text(str(exc))[:200]})",
                            RESUME_LATER) from None
    return response, parsed[0]


E = TypeVar("E", bound=CollectorError)


def with_response(exc: E, response: httpx.Response) -> E:
    """`exc` carrying the response it is about: run_collection archives it (redacted) when the run stops on it."""
    exc.response = response  # type: ignore[attr-defined]
    return exc


def parsed_page(response: httpx.Response, parse: Callable[..., T], *args: Any) -> T:
    """`parse(*args)` on a fetched page's body; a ParseError carries `response`, so run_collection archives the body."""
    try:
        return parse(*args)
    except ParseError as exc:
        with_response(exc, response)
        raise


RESUME_LATER = "Wait a while (the source is throttling or down), then re-run with --resume."


def json_body(response: httpx.Response) -> Any:
    """The JSON body; a truncated/garbled JSON body is retried, a non-JSON (HTML) body is a ParseError."""
    text = response.text.removeprefix("\ufeff")  # a byte order mark, which httpx keeps and json refuses
    stripped = text.lstrip()
    if not stripped:
        raise unreadable(response, "empty body")
    if stripped[0] not in "{[":
        raise ParseError(f"expected JSON from {response.request.url.host}, got {_preview(stripped)!r}")
    try:
        return json.loads(text, strict=False)  # strict=False: tolerate raw control characters inside strings
    except json.JSONDecodeError as exc:
        raise unreadable(response, f"bad JSON ({exc.msg} at char {exc.pos})") from None
    except RecursionError:
        raise ParseError(f"JSON from {response.request.url.host} is nested too deeply") from None


def _preview(text: str, size: int = 120) -> str:
    return re.sub(r"\s+", " ", text[:size])


REPEATS_END = 2  # pages in a row that only repeat the page before end a search or list


def repeats_after(page: int, ids: Iterable[object], last_ids: Iterable[object], repeats: int) -> int:
    """How many pages in a row, this one included, only repeated the page before (0 if this one is new).

    A search served past its end repeats its last page; once can also be a live newest-first list pushed down by
    exactly a page, so a search or list ends at REPEATS_END in a row."""
    ids = set(ids)
    return repeats + 1 if page > 1 and ids and ids <= set(last_ids) else 0


def page_meta(response: httpx.Response, **extra: Any) -> dict[str, Any]:
    """Archive metadata of one response (redacted again by run_collection before it is written)."""
    return {"url": redact_text(str(response.request.url)), "status": response.status_code,
            "content_type": response.headers.get("content-type", ""), **extra}


# ---------- cursors over a tracker's several query terms ----------
def terms_from(terms: Sequence[str], cursor: Mapping[str, Any] | None) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(index, term, that term's saved cursor state) from the cursor's term on."""
    start = int((cursor or {}).get("term", 0))
    for i in range(start, len(terms)):
        state = dict(cursor) if cursor and int(cursor.get("term", 0)) == i else {}
        yield i, terms[i], state


def after_term(i: int, terms: Sequence[str]) -> dict[str, Any] | None:
    """The cursor once term `i` is finished: the next term, or None when all are done."""
    return {"term": i + 1} if i + 1 < len(terms) else None


# ---------- values ----------
def from_unix(value: Any, field: str) -> datetime:
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
        if number >= 32_503_680_000:  # after the year 3000 in seconds: milliseconds, as some exports write them
            number /= 1000
    except (TypeError, ValueError, OverflowError):
        raise ParseError(f"{field}: not a unix time: {value!r}") from None
    if not 631_152_000 <= number < 32_503_680_000:  # 1990 to 3000, as parse_datetime's dates (a cut number: 1970)
        raise ParseError(f"{field}: implausible unix time {value!r} (before 1990 or after 3000; cut short?)")
    return datetime.fromtimestamp(number, UTC)


# Zone names by their usual meaning, in hours: RFC 822's and common ones it does not define (email.utils would read
# those as UTC).
_ZONE_HOURS: dict[str, float] = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8,
    "PDT": -7, "HST": -10, "AKST": -9, "AKDT": -8, "HKT": 8, "JST": 9, "KST": 9, "SGT": 8, "BJT": 8, "PHT": 8, "AWST": 8,
    "ICT": 7, "WIB": 7, "PKT": 5, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "MSK": 3,
    "IDT": 3, "WAT": 1, "SAST": 2, "EAT": 3, "AEST": 10, "AEDT": 11, "ACST": 9.5, "ACDT": 10.5, "NZST": 12, "NZDT": 13,
}
# Names that mean another zone where the feed's language is one of these (primary language or full tag).
_BY_LANGUAGE: dict[str, tuple[tuple[tuple[str, ...], float], ...]] = {
    "CST": ((("zh",), 8),),  # China Standard Time in Chinese feeds (RFC 822's US Central otherwise)
    "BST": ((("bn",), 6),),  # Bangladesh Standard Time in Bengali feeds (British Summer Time otherwise)
    "IST": ((("hi", "en-in", "bn-in", "ta", "te", "mr", "gu", "kn", "ml", "pa"), 5.5), (("ga", "en-ie"), 1),
            (("he", "iw", "en-il"), 2)),
}
_AMBIGUOUS = {"IST": "India, Ireland or Israel"}  # no default: a guess would be hours off
_RFC822 = re.compile(r"^(?:[A-Za-z]{3},?\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d")
_ZONE_NAME = re.compile(r"\s([A-Za-z]{1,5})$")
_SLASHED = re.compile(r"\d{4}/\d{1,2}/\d{1,2}(?: \d{1,2}:\d{2}(?::\d{2})?)?")  # year first: never ambiguous


class UnresolvedZone(ParseError):
    """A date whose zone name is ambiguous (IST) or unknown; `clock` is its clock time as written, read as UTC."""

    def __init__(self, message: str, clock: datetime) -> None:
        super().__init__(message)
        self.clock = clock


def parse_datetime(value: Any, field: str, lang: str | None = None) -> datetime:
    """The instant `value` states (see dated, which also says when its zone was assumed)."""
    return _parse(value, field, lang)[0]


def dated(value: Any, field: str, lang: str | None = None) -> tuple[datetime, str | None]:
    """The instant and its models.TimeBasis: None when `value` states its zone, "zone-assumed-utc" (or "…-utc+8" in
    a Chinese feed) when it states none, "zone-unresolved" with the clock time read as UTC when its zone name is
    ambiguous or unknown (rejecting the item would lose it; a guess would hide the doubt)."""
    try:
        return _parse(value, field, lang)
    except UnresolvedZone as exc:
        return exc.clock, "zone-unresolved"


def _parse(value: Any, field: str, lang: str | None = None) -> tuple[datetime, str | None]:
    """ISO 8601 (Z or offset; without either UTC, or Beijing time in a Chinese feed, and the basis says it was
    assumed), RFC 822 (`Tue, 30 Sep 2025 08:00:00 GMT`), GDELT `20260121T083000Z`, and a spreadsheet's year-first
    `2025/9/30 10:00`.

    A zone name after either is read by its usual meaning, or by the feed's language where that settles it:
    RFC 822's "CST" is US Central, but Chinese feeds (`lang` "zh…") mean China Standard Time by it, and their
    zone-less ISO times are UTC+8 too; IST is India's, Ireland's or Israel's by the language. A name still ambiguous
    or unknown raises UnresolvedZone (a ParseError carrying the clock time), never a silent UTC.
    """
    if not isinstance(value, str) or not value.strip():
        raise ParseError(f"{field}: missing or not a date: {value!r}")
    text = value.strip()
    zone = _ZONE_NAME.search(text)
    name = zone.group(1) if zone else None
    try:
        if _SLASHED.fullmatch(text):  # a spreadsheet's display form (Excel on Chinese Windows): read as its ISO twin
            text = datetime(*(int(part) for part in re.split(r"[/ :]", text))).isoformat()  # type: ignore[misc]
        if re.fullmatch(r"\d{8}T\d{6}Z?", text):  # GDELT's forms, UTC by its definition
            return datetime.strptime(text.rstrip("Z"), "%Y%m%dT%H%M%S").replace(tzinfo=UTC), None
        if re.fullmatch(r"\d{14}", text):
            return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=UTC), None
        if name is not None and name.upper() in ("AM", "PM"):
            raise ValueError(name)  # a 12-hour clock, not a zone: read without it, 10:00 PM would be 10:00
        body = text[: zone.start()].rstrip() if zone else text
        parsed = _read(body)
    except (ValueError, TypeError, IndexError, OverflowError):
        raise ParseError(f"{field}: unrecognised date {value!r}") from None
    if name is not None and parsed.tzinfo is None:  # an offset beside the name wins
        hours = _zone_hours(name.upper(), lang)
        if hours is None:
            why = f"is ambiguous ({_AMBIGUOUS[name.upper()]})" if name.upper() in _AMBIGUOUS else "is unknown"
            raise UnresolvedZone(f"{field}: time zone {name!r} in {text!r} {why}",
                                 _plausible(parsed.replace(tzinfo=UTC), field, value))
        parsed = parsed.replace(tzinfo=timezone(timedelta(hours=hours)))
    assumed = None
    if parsed.tzinfo is None and _rfc822(body):  # RFC 822's -0000: UTC, the local zone not said
        parsed = parsed.replace(tzinfo=UTC)
    elif parsed.tzinfo is None:  # no zone written: the feed language's zone, else UTC; the basis says so
        chinese = _chinese(lang)  # mainland, Taiwan, Hong Kong, Singapore: all UTC+8
        assumed = "zone-assumed-utc+8" if chinese else "zone-assumed-utc"
        parsed = parsed.replace(tzinfo=BEIJING if chinese else UTC)
    return _plausible(parsed, field, value).astimezone(UTC), assumed


def _rfc822(text: str) -> bool:
    return bool(text[:1].isalpha() or _RFC822.match(text))


def _read(text: str) -> datetime:
    """RFC 822 or ISO 8601 text without a trailing zone name (naive when it states no offset)."""
    return parsedate_to_datetime(text) if _rfc822(text) else datetime.fromisoformat(text)


def _plausible(moment: datetime, field: str, value: str) -> datetime:
    if not 1990 <= moment.year <= 2999:
        raise ParseError(f"{field}: implausible date {value!r}")
    return moment


def _zone_hours(name: str, lang: str | None) -> float | None:
    """A zone name's offset in hours, by the feed's language where it settles the name; None if unresolved."""
    code = (lang or "").strip().lower().replace("_", "-")
    for languages, hours in _BY_LANGUAGE.get(name, ()):
        if any(code == tag or code.startswith(tag + "-") for tag in languages):
            return hours
    return None if name in _AMBIGUOUS else _ZONE_HOURS.get(name)


def _chinese(lang: str | None) -> bool:
    return (lang or "").strip().lower().startswith("zh")


def count(value: Any) -> int | None:
    """An optional platform count (42, "1.2万", "100万+"): None when absent or unreadable ("--"), never a fake 0."""
    try:
        return parse_count(value)
    except ParseError:
        return None


def strip_html(value: Any) -> str:
    """Plain text of an HTML fragment (tags stripped, <br> as newlines); '' for a non-string."""
    return html_to_text(value) if isinstance(value, str) else ""


def require(raw: Mapping[str, Any], key: str) -> Any:
    """raw[key], or ParseError naming the missing field."""
    if not isinstance(raw, Mapping):
        raise ParseError(f"expected an object, got {type(raw).__name__}")
    value = raw.get(key)
    if value is None or value == "":
        raise ParseError(f"{key}: missing")
    return value


def mapping(value: Any) -> Mapping[str, Any]:
    """A nested object, or an empty one when absent/of the wrong type (optional parts of payloads vary)."""
    return value if isinstance(value, Mapping) else {}


def lang_code(value: Any) -> str | None:
    """'en', 'en-US', ['zh-Hans'] -> two-letter code; anything else -> None."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if isinstance(value, str):
        code = value.strip().lower()[:2]
        if re.fullmatch(r"[a-z]{2}", code):
            return code
    return None
