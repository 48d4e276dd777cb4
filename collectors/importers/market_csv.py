"""Daily price CSVs (stooq downloads, Yahoo-style `Date,Open,High,Low,Close,Adj Close,Volume`, or with a
Ticker column) → the `market_prices` dataset.

Without a ticker column the ticker comes from the file name: `iq_us_d.csv` (stooq) → IQ, `^spx_d.csv` →
^SPX, `IQ.csv` → IQ, `prices_IQ.csv` → IQ. Tickers are stored upper-case. Rows without a close
(e.g. Yahoo's `null` rows on holidays) are reported and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from collectors.base import ParseError
from collectors.importers import ImportIssue, Item, register
from collectors.importers.filerows import file_time, header_columns, read_text
from collectors.sources.market import csv_rows, price_row
from collectors.trackers import Tracker


def ticker_from_name(path: Path) -> str:
    stem = re.sub(r"_d$", "", path.stem.lower())
    stem = re.sub(r"[._]us$", "", stem)
    return stem.rsplit("_", 1)[-1].upper()


class MarketCsvImporter:
    name = "market-csv"
    description = "Daily price CSV (Date, Open, High, Low, Close[, Volume][, Ticker]) -> market_prices"

    def sniff(self, path: Path, head: bytes) -> bool:
        cols = header_columns(head)
        return path.suffix.lower() == ".csv" and {"date", "close"} <= cols and not {"source", "kind"} & cols

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        text = read_text(path)
        if isinstance(text, ImportIssue):
            yield text
            return
        try:
            rows = csv_rows(text, ticker_from_name(path))
        except ParseError as exc:
            yield ImportIssue(path.name, str(exc))
            return
        collected = file_time(path)
        for row in rows:
            try:
                yield price_row(row, collected, source="csv")
            except ParseError as exc:
                yield ImportIssue(f"{path.name}:{row.get('_line', '?')}", str(exc))


register(MarketCsvImporter())
