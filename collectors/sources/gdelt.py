"""GDELT DOC 2.0: article lists (kind=article records) and tone/volume timelines (the `gdelt_timeline` dataset).

GDELT asks for at most one request every 5 seconds and returns at most 250 articles per call, with no
paging: a time window that comes back full is split in half and both halves are queried (the pending
windows are the cursor). Keywords are matched against English translations, so queries are English
(narrow with `sourcelang:`). An invalid query comes back as HTTP 200 text/html: that is a ParseError
naming the query. GDELT officially covers the most recent 3 months.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
import pyarrow as pa
from pydantic import Field

from collectors.base import Collector, Page, ParseError, Query
from collectors.datasets import DatasetRow
from collectors.http import TransientHTTPError
from collectors.models import Record, parse_record
from collectors.parsing import typed_errors
from collectors.sources import register
from collectors.sources.support import (
    after_term,
    json_body,
    mapping,
    page_meta,
    parse_datetime,
    parsed_page,
    request_parsed,
    require,
    terms_from,
)
from collectors.store import DatasetSpec
from collectors.urls import web_url

DOC_URL = "https://api.gdeltproject.org/api/v2/doc/doc"
MAX_RECORDS = 250
MIN_WINDOW = timedelta(hours=1)
DEFAULT_SPAN = timedelta(days=90)
TIMELINE_MODES = ("timelinevolraw", "timelinetone")

GDELT_TIMELINE_SCHEMA = pa.schema([
    ("query", pa.string()),
    ("mode", pa.string()),
    ("series", pa.string()),
    ("date", pa.timestamp("us", tz="UTC")),
    ("value", pa.float64()),
    ("norm", pa.int64()),
    ("trackers", pa.list_(pa.string())),
    ("collected_at", pa.timestamp("us", tz="UTC")),
])
GDELT_TIMELINE_SPEC = DatasetSpec("gdelt_timeline", ("query", "mode", "series", "date"), "collected_at", None,
                                  GDELT_TIMELINE_SCHEMA)
_LANGS = {"english": "en", "chinese": "zh", "japanese": "ja", "korean": "ko", "french": "fr", "german": "de",
          "spanish": "es", "italian": "it", "portuguese": "pt", "russian": "ru", "arabic": "ar", "hindi": "hi",
          "dutch": "nl", "turkish": "tr", "indonesian": "id", "vietnamese": "vi", "thai": "th", "polish": "pl"}


class GdeltTimelinePoint(DatasetRow):
    """One point of a GDELT timeline: volume (`timelinevolraw`: value = matching articles, norm = all articles) or tone."""

    SPEC: ClassVar[DatasetSpec] = GDELT_TIMELINE_SPEC

    query: str
    mode: str
    series: str
    date: datetime
    value: float
    norm: int | None = None
    trackers: list[str] = Field(default_factory=list)
    collected_at: datetime


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def normalise_title(title: str) -> str:
    """GDELT tokenises titles ('Allegation : India ; MEA'); glue punctuation back to the words."""
    text = re.sub(r"\s+([,.;:!?%)\]])", r"\1", title)
    return re.sub(r"([(\[])\s+", r"\1", text).strip()


def _doc_body(response: httpx.Response) -> Mapping[str, Any]:
    if response.status_code >= 400:
        raise ParseError(f"gdelt: HTTP {response.status_code}: {response.text[:160]!r}")
    if "html" in response.headers.get("content-type", "") or response.text.lstrip()[:1] == "<":
        message = re.sub(r"<[^>]+>|\s+", " ", response.text)[:200].strip()
        raise ParseError(f"gdelt rejected the query: {message!r}")
    if not response.text.strip():
        return {}
    try:
        body = json_body(response)
    except TransientHTTPError:
        body = without_invalid_escapes(response.text.removeprefix("\ufeff"))
        if body is None:
            raise  # truncated: retried
    if not isinstance(body, Mapping):
        raise ParseError("gdelt: the response is not a JSON object")
    return body


_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)


def without_invalid_escapes(text: str) -> Any:
    """GDELT's JSON with its invalid escapes (\\' or \\x in titles, which gdeltdoc also repairs) read without the
    stray backslash; None when it still does not parse (e.g. a truncated body)."""
    repaired = _ESCAPE.sub(lambda m: m.group(0) if len(m.group(1)) == 5 or m.group(1) in '"\\/bfnrt' else m.group(1), text)
    try:
        return json.loads(repaired, strict=False)
    except (json.JSONDecodeError, RecursionError):
        return None


@register
class GdeltCollector(Collector):
    name: ClassVar[str] = "gdelt"
    description: ClassVar[str] = "GDELT DOC 2.0 article lists and tone/volume timelines"
    min_interval: ClassVar[float] = 6.0  # GDELT: "limit requests to one every 5 seconds"
    timelines: ClassVar[bool] = True

    def _get(self, params: dict[str, Any]) -> tuple[httpx.Response, Mapping[str, Any]]:
        return request_parsed(self, "GET", DOC_URL, _doc_body, params={**params, "format": "json"})

    def fetch(self, query: Query, cursor: dict[str, Any] | None = None) -> Iterator[Page]:
        until = (query.until or datetime.now(UTC)).astimezone(UTC)
        since = (query.since or until - DEFAULT_SPAN).astimezone(UTC)
        terms = query.terms
        for i, term, state in terms_from(terms, cursor):
            windows: list[list[str]] = state["windows"] if "windows" in state else [[_stamp(since), _stamp(until)]]
            modes: list[str] = state.get("modes", list(TIMELINE_MODES) if self.timelines else [])
            while windows:
                start, end = windows[0]
                response, body = self._get({"query": term, "mode": "artlist", "maxrecords": MAX_RECORDS,
                                            "sort": "DateDesc", "startdatetime": start, "enddatetime": end})
                articles = parsed_page(response, _articles, body)
                windows = windows[1:]
                t0, t1 = parse_datetime(start, "start"), parse_datetime(end, "end")
                capped, note = len(articles) >= MAX_RECORDS, None
                if capped and t1 - t0 > MIN_WINDOW:  # capped: query both halves too
                    mid = t0 + (t1 - t0) / 2
                    windows = [[start, _stamp(mid)], [_stamp(mid), end], *windows]
                elif capped:
                    note = (f"gdelt for {term!r} {t0:%Y-%m-%d %H:%M} to {t1:%Y-%m-%d %H:%M} UTC still returned its "
                            f"{MAX_RECORDS}-article cap (the smallest window is {MIN_WINDOW}): the window's other "
                            "articles were out of reach")
                next_state = {"term": i, "windows": windows, "modes": modes}
                done = not windows and not modes
                yield Page([{**a, "query": term} for a in articles if isinstance(a, Mapping)], response.text,
                           page_meta(response, term=term, window=[start, end]),
                           after_term(i, terms) if done else next_state, note)
            while modes:
                mode = modes[0]
                response, body = self._get({"query": term, "mode": mode, "startdatetime": _stamp(since),
                                            "enddatetime": _stamp(until)})
                modes = modes[1:]
                yield Page(parsed_page(response, timeline_items, body, term, mode), response.text, page_meta(response, term=term, mode=mode),
                           after_term(i, terms) if not modes else {"term": i, "windows": [], "modes": modes})

    @staticmethod
    def to_record(raw: Mapping[str, Any], collected_at: datetime, tracker: str | None = None) -> Record | GdeltTimelinePoint:
        if isinstance(raw, Mapping) and "mode" in raw and "series" in raw:
            return timeline_point(raw, collected_at, tracker)
        return article_record(raw, collected_at, tracker)


def _articles(body: Mapping[str, Any]) -> list[Any]:
    articles = body.get("articles") or []
    if not isinstance(articles, list):
        raise ParseError("gdelt: `articles` is not a list")
    return articles


@typed_errors
def timeline_items(body: Mapping[str, Any], term: str, mode: str) -> list[dict[str, Any]]:
    """Flatten {"timeline": [{"series", "data": [{date, value, norm?}]}]} into raw points with their context."""
    timeline = body.get("timeline") or []
    if not isinstance(timeline, list):
        raise ParseError("gdelt: `timeline` is not a list")
    items = []
    for series in timeline:
        series = mapping(series)
        for point in series.get("data") or []:
            if isinstance(point, Mapping):
                items.append({**point, "query": term, "mode": mode, "series": str(series.get("series") or mode)})
    return items


@typed_errors
def timeline_point(raw: Mapping[str, Any], collected_at: datetime, tracker: str | None = None) -> GdeltTimelinePoint:
    value = raw.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParseError(f"value: not a number: {value!r}")
    norm = raw.get("norm")
    if norm is not None and (isinstance(norm, bool) or not isinstance(norm, int | float) or norm < 0):
        raise ParseError(f"norm: not a count: {norm!r}")
    try:
        return GdeltTimelinePoint(query=str(require(raw, "query")), mode=str(require(raw, "mode")),
                                  series=str(raw.get("series") or raw["mode"]),
                                  date=parse_datetime(raw.get("date"), "date"), value=float(value),
                                  norm=int(norm) if norm is not None else None,
                                  trackers=[tracker] if tracker else [], collected_at=collected_at)
    except (ValueError, OverflowError) as exc:  # pydantic's ValidationError is a ValueError
        raise ParseError(f"gdelt timeline point: {str(exc).splitlines()[0]}") from None


@typed_errors
def article_record(raw: Mapping[str, Any], collected_at: datetime, tracker: str | None = None) -> Record:
    url = str(require(raw, "url")).strip()
    if not web_url(url):
        raise ParseError(f"url: not a web address: {url[:80]!r}")
    title = normalise_title(str(raw.get("title") or ""))
    return parse_record({
        "source": "gdelt", "id": url if len(url) <= 512 else url[:512], "kind": "article",
        "title": title or None, "text": "", "url": url,
        "published_at": parse_datetime(raw.get("seendate"), "seendate"),
        "collected_at": collected_at,
        "lang": _LANGS.get(str(raw.get("language") or "").strip().lower()),
        "author_name": str(raw.get("domain") or "").strip() or None,
        "location": str(raw.get("sourcecountry") or "").strip() or None,
        "trackers": [tracker] if tracker else [],
    })


__all__ = ["GDELT_TIMELINE_SPEC", "GdeltCollector", "GdeltTimelinePoint", "article_record", "normalise_title",
           "timeline_items", "timeline_point", "without_invalid_escapes"]
