"""actorwatch's own JSONL and CSV: one record per line/row with the data model's keys."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from collectors.importers import ImportIssue, Item, register
from collectors.importers.context import warn
from collectors.importers.filerows import column_name, csv_rows, header_columns, open_lines, read_text
from collectors.models import RECORD_FIELDS, InvalidRecord, parse_record
from collectors.spreadsheet import unescape_cell
from collectors.trackers import Tracker

_INT_FIELDS = {"author_verified_type", "author_followers", "likes", "comments", "shares"}
_BOOL_FIELDS = {"author_verified", "synthetic"}


def _with_tracker(data: dict[str, Any], tracker: Tracker | None) -> dict[str, Any]:
    if tracker is not None and tracker.id not in (data.get("trackers") or []):
        data["trackers"] = [*(data.get("trackers") or []), tracker.id]
    return data


def read_text_lines(path: Path) -> Iterator[tuple[int, str | None, str | None]]:
    """(line number, line, decode error) for each line; a bad byte sequence is reported, not fatal."""
    with open_lines(path) as fh:
        for n, raw in enumerate(fh, start=1):
            yield n, *decode_line(n, raw)


def decode_line(n: int, raw: bytes) -> tuple[str | None, str | None]:
    """(text, None) or (None, what is wrong) for line number `n` of a UTF-8 file (a BOM allowed on line 1)."""
    try:
        return raw.decode("utf-8-sig" if n == 1 else "utf-8"), None
    except UnicodeDecodeError as exc:
        return None, f"not valid UTF-8 ({exc.reason} at byte {exc.start})"


class JsonlImporter:
    name = "jsonl"
    description = "actorwatch JSONL: one JSON object per line with the data model's keys"

    def sniff(self, path: Path, head: bytes) -> bool:
        first = head.lstrip().split(b"\n", 1)[0]
        return path.suffix.lower() in (".jsonl", ".ndjson", ".json") and first.startswith(b"{") and b'"source"' in first and b'"kind"' in first

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        """Records one by one (the slow path, and what --dry-run prints)."""
        for n, line, error in read_text_lines(path):
            item = parse_jsonl_line(f"{path.name}:{n}", line, error, tracker)
            if item is not None:
                yield item

    def read_batches(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        """Whole blocks validated by column (RecordTable), the rows that fail one by one, line-numbered."""
        from collectors.importers.jsonl_blocks import read_jsonl_blocks

        return read_jsonl_blocks(path, tracker)


def parse_jsonl_line(where: str, line: str | None, error: str | None, tracker: Tracker | None) -> Item | None:
    """One JSONL line as a Record or an ImportIssue at `where`; None for a blank line."""
    if error:
        return ImportIssue(where, error)
    if not line or not line.strip():
        return None
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return ImportIssue(where, f"not JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(data, dict):
        return ImportIssue(where, "expected a JSON object")
    try:
        return parse_record(_with_tracker(data, tracker))
    except InvalidRecord as exc:
        return ImportIssue(where, str(exc))


class CsvImporter:
    name = "csv"
    description = "actorwatch CSV: a header row with the data model's keys (trackers separated by '|')"

    def sniff(self, path: Path, head: bytes) -> bool:
        cols = header_columns(head)
        return path.suffix.lower() == ".csv" and {"source", "id", "kind", "published_at", "collected_at"} <= cols

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        text = read_text(path)  # UTF-8, or GBK/UTF-16 as a spreadsheet may save it again
        if isinstance(text, ImportIssue):
            yield text
            return
        reader = csv.DictReader(io.StringIO(text, newline=""))
        unknown = {column_name(c) for c in reader.fieldnames or ()} - set(RECORD_FIELDS)
        if unknown:  # every row is still read: a warning, not a rejected row
            warn(f"{path.name}:1", f"unknown column(s) ignored: {', '.join(sorted(unknown))}")
        for line, row in csv_rows(reader):
            where = f"{path.name}:{line}"
            if isinstance(row, csv.Error):
                yield ImportIssue(where, f"bad CSV: {row}")
                continue
            # an export's records.csv prefixes formula-like text with ' for spreadsheets (collectors.spreadsheet)
            data: dict[str, Any] = {k: unescape_cell(v) for k, v in row.items()
                                    if k in RECORD_FIELDS and v not in (None, "")}
            try:
                for key in _INT_FIELDS & data.keys():
                    data[key] = int(data[key])
                for key in _BOOL_FIELDS & data.keys():
                    data[key] = str(data[key]).strip().lower() in ("true", "1", "yes")
                if "trackers" in data:
                    data["trackers"] = [t for t in str(data["trackers"]).split("|") if t]
            except ValueError as exc:
                yield ImportIssue(where, f"bad number: {exc}")
                continue
            try:
                yield parse_record(_with_tracker(data, tracker))
            except InvalidRecord as exc:
                yield ImportIssue(where, str(exc))


register(JsonlImporter())
register(CsvImporter())
