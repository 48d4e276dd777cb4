"""Daily prices of a tracker's tickers and its benchmark from stooq's CSV download → the `market_prices` dataset.

`https://stooq.com/q/d/l/?s=iq.us&i=d&d1=YYYYMMDD&d2=YYYYMMDD` answers `Date,Open,High,Low,Close,Volume`.
Since March 2026 stooq wants an API key (`apikey`, from https://stooq.com/q/d/?s=spy.us&get_apikey;
reported in pandas-datareader #1012, not verified here): set ACTORWATCH_STOOQ_APIKEY. Without it stooq
serves an HTML page, which stops the run with that explanation. Any daily CSV can also be imported
with `actorwatch import FILE --format market-csv`.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import httpx
import pyarrow as pa

from collectors.base import Collector, Page, ParseError, Query, SourceBlocked
from collectors.datasets import DatasetRow
from collectors.parsing import typed_errors
from collectors.secrets import get_secret
from collectors.sources import register
from collectors.sources.support import after_term, page_meta, request_parsed, terms_from, unreadable
from collectors.store import DatasetSpec

STOOQ_URL = "https://stooq.com/q/d/l/"

MARKET_PRICES_SCHEMA = pa.schema([
    ("date", pa.date32()),
    ("ticker", pa.string()),
    ("open", pa.float64()),
    ("high", pa.float64()),
    ("low", pa.float64()),
    ("close", pa.float64()),
    ("volume", pa.int64()),
    ("source", pa.string()),
    ("collected_at", pa.timestamp("us", tz="UTC")),
])
MARKET_PRICES_SPEC = DatasetSpec("market_prices", ("source", "ticker", "date"), "collected_at", None, MARKET_PRICES_SCHEMA)


class MarketPrice(DatasetRow):
    """One daily bar. `ticker` is the tracker's symbol upper-cased (`IQ`, `^SPX`); `source` where it came from."""

    SPEC: ClassVar[DatasetSpec] = MARKET_PRICES_SPEC

    date: date
    ticker: str
    open: float | None = None
    high: float | None = None
    low: float | None = None
    close: float
    volume: int | None = None
    source: str
    collected_at: datetime


def stooq_symbol(ticker: str) -> str:
    """`IQ` -> `iq.us` (bare US tickers); `^spx`, `cdr.pl`, `iq.us` unchanged (lower-cased)."""
    symbol = ticker.strip().lower()
    return symbol if symbol.startswith("^") or "." in symbol else f"{symbol}.us"


_HEADER = {"date": "date", "data": "date", "open": "open", "otwarcie": "open", "high": "high", "najwyzszy": "high",
           "low": "low", "najnizszy": "low", "close": "close", "zamkniecie": "close", "adj close": "adj_close",
           "volume": "volume", "wolumen": "volume", "ticker": "ticker", "symbol": "ticker", "<ticker>": "ticker",
           "<date>": "date", "<open>": "open", "<high>": "high", "<low>": "low", "<close>": "close", "<vol>": "volume"}


@typed_errors
def csv_rows(text: str, ticker: str | None = None) -> list[dict[str, Any]]:
    """Rows of a daily-price CSV (stooq, Yahoo-style, or with a Ticker column) with normalised column names."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))  # any line ends, a bare CR's too
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ParseError("empty price CSV") from None
    names = [_HEADER.get(h.strip().lower(), h.strip().lower()) for h in header]
    if "date" not in names or "close" not in names:
        raise ParseError(f"not a daily price CSV (header: {','.join(header)[:120]!r})")
    rows = []
    try:
        for n, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            row: dict[str, Any] = dict(zip(names, (v.strip() for v in values), strict=False))
            row["_line"] = n
            row["_columns"] = f"{len(values)}/{len(names)}"
            if ticker and not row.get("ticker"):
                row["ticker"] = ticker
            rows.append(row)
    except csv.Error as exc:
        raise ParseError(f"bad CSV: {exc}") from None
    return rows


def _number(value: Any, field: str, required: bool = False) -> float | None:
    if value in (None, "", "null", "N/A", "-"):
        if required:
            raise ParseError(f"{field}: missing")
        return None
    try:
        number = float(str(value).replace(",", ""))
    except ValueError:
        raise ParseError(f"{field}: not a number: {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ParseError(f"{field}: not a price/volume: {value!r}")
    return number


def _date(value: Any) -> date:
    text = str(value or "").strip()
    for pattern in ("%Y-%m-%d", "%Y%m%d", "%m/%d/%Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ParseError(f"date: unrecognised {value!r}")


@typed_errors
def price_row(raw: Mapping[str, Any], collected_at: datetime, source: str = "stooq") -> MarketPrice:
    """One CSV row (normalised names) -> MarketPrice; ParseError naming the field otherwise."""
    if not isinstance(raw, Mapping):
        raise ParseError("expected a CSV row")
    have, want = str(raw.get("_columns") or "0/0").split("/", 1)
    if int(have) < int(want):
        raise ParseError(f"row has {have} of {want} columns (cut short?)")
    ticker = str(raw.get("ticker") or "").strip().upper()
    if not ticker or not re.fullmatch(r"[\^A-Z0-9._=-]{1,20}", ticker):
        raise ParseError(f"ticker: missing or invalid {raw.get('ticker')!r}")
    volume = _number(raw.get("volume"), "volume")
    try:
        return MarketPrice(date=_date(raw.get("date")), ticker=ticker, open=_number(raw.get("open"), "open"),
                           high=_number(raw.get("high"), "high"), low=_number(raw.get("low"), "low"),
                           close=_number(raw.get("close"), "close", required=True),  # type: ignore[arg-type]
                           volume=int(volume) if volume is not None else None,
                           source=str(raw.get("source") or source), collected_at=collected_at)
    except (ValueError, OverflowError) as exc:  # pydantic's ValidationError is a ValueError
        raise ParseError(f"price row: {str(exc).splitlines()[0]}") from None


def _stooq_csv(response: httpx.Response) -> str:
    text = response.text
    head = text.lstrip()[:300].lower()
    if "exceeded the daily hits limit" in head:
        raise SourceBlocked("stooq: daily download limit exceeded", "Re-run tomorrow with --resume.")
    if response.status_code in (401, 403) or head.startswith("<") or "apikey" in head:
        raise SourceBlocked("stooq: returned a web page instead of CSV (stooq now asks for an API key)",
                            "Get a key at https://stooq.com/q/d/?s=spy.us&get_apikey, export ACTORWATCH_STOOQ_APIKEY=…, "
                            "or download the CSV yourself and `actorwatch import FILE --format market-csv`.")
    if response.status_code >= 400:
        raise ParseError(f"stooq: HTTP {response.status_code}")
    if head.startswith("no data"):
        return ""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and lines[-1].count(",") < lines[0].count(","):
        raise unreadable(response, "the last CSV row is cut short (truncated body?)")
    return text


@register
class MarketCollector(Collector):
    name: ClassVar[str] = "market"
    description: ClassVar[str] = "Daily prices of the tracker's tickers and benchmark (stooq CSV) -> market_prices"
    min_interval: ClassVar[float] = 5.0
    # An event study needs an estimation window before the events: fetch this much before --since.
    lookback: ClassVar[timedelta] = timedelta(days=400)

    def queries_for(self, tracker: Any) -> tuple[str, ...]:
        """The tracker's tickers plus its benchmark."""
        queries = tracker.queries
        return tuple(dict.fromkeys([*queries.market, *([queries.benchmark] if queries.benchmark else [])]))

    def fetch(self, query: Query, cursor: dict[str, Any] | None = None) -> Iterator[Page]:
        terms = query.terms
        apikey = get_secret("stooq_apikey")
        for i, ticker, _state in terms_from(terms, cursor):
            params = {"s": stooq_symbol(ticker), "i": "d"}
            if query.since:
                params["d1"] = f"{(query.since - self.lookback).astimezone(UTC):%Y%m%d}"
            if query.until:
                params["d2"] = f"{query.until.astimezone(UTC):%Y%m%d}"
            if apikey:
                params["apikey"] = apikey
            response, text = request_parsed(self, "GET", STOOQ_URL, _stooq_csv, params=params)
            rows = csv_rows(text, ticker) if text else []
            yield Page(rows, text, page_meta(response, term=ticker), after_term(i, terms))

    @staticmethod
    def to_record(raw: Mapping[str, Any], collected_at: datetime, tracker: str | None = None) -> MarketPrice:  # type: ignore[override]
        return price_row(raw, collected_at, "stooq")


__all__ = ["MARKET_PRICES_SPEC", "MarketCollector", "MarketPrice", "csv_rows", "price_row", "stooq_symbol"]
