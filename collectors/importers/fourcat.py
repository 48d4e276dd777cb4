"""4CAT dataset exports in its flat, mapped form (CSV or NDJSON): id, thread_id, body, author, timestamp, …

`timestamp` is a unix time in some data sources (Bluesky) and `YYYY-MM-DD HH:MM:SS` (UTC) in others;
both are read. `collected_at` is the export's own column when it holds a readable date (else when the file was
saved: --saved-at or its modification time). Records keep source `4cat` (4CAT does not write which platform an export came from),
except a row whose id is a Bluesky post's at:// uri: that is source `bluesky`, the id the Bluesky collector stores, so a post
both collected and exported is one record (under `4cat` it was counted twice, with its author twice);
a post whose thread_id differs from its id is a comment with parent_id = thread_id. 4CAT's raw NDJSON
(platform objects with `4CAT_metadata`) is not this flat form and is not recognised.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from collectors.base import ParseError
from collectors.importers import Item, register
from collectors.importers.filerows import convert_each, file_time, first_json_keys, header_columns, table_rows
from collectors.models import Record, parse_record
from collectors.parsing import typed_errors
from collectors.sources.bluesky import POST_URI
from collectors.sources.support import count, dated, from_unix, lang_code
from collectors.trackers import Tracker

FLAT_COLUMNS = {"id", "thread_id", "body", "author", "timestamp"}


def _unix_or_date(value: Any, field: str) -> tuple[datetime, str | None]:
    """The instant and its time_basis (support.dated; a unix time states its zone)."""
    if isinstance(value, int | float) and not isinstance(value, bool) or isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value.strip()):
        return from_unix(value, field), None
    return dated(value, field)


def _when(row: Mapping[str, Any]) -> tuple[datetime, str | None]:
    value = row.get("timestamp")
    if value not in (None, ""):
        return _unix_or_date(value, "timestamp")
    return dated(row.get("created_at") or row.get("unix_timestamp"), "created_at")


def _collected(row: Mapping[str, Any], saved: datetime) -> datetime:
    """When 4CAT collected the row (its `collected_at`), else — absent or unreadable — when the file was saved."""
    value = row.get("collected_at")
    if value in (None, ""):
        return saved
    try:
        return _unix_or_date(value, "collected_at")[0]
    except ParseError:
        return saved


@typed_errors
def fourcat_record(row: Any, collected_at: datetime, tracker: str | None = None) -> Record:
    """One flat 4CAT row; `collected_at` (when the file was saved) stands in for a row without its own."""
    if not isinstance(row, Mapping):
        raise ParseError("expected an object per row")
    ident = str(row.get("id") or "").strip()
    if not ident:
        raise ParseError("id: missing")
    thread = str(row.get("thread_id") or "").strip()
    author = str(row.get("author") or "").strip() or None
    published_at, time_basis = _when(row)
    return parse_record({
        "source": "bluesky" if POST_URI.match(ident) else "4cat", "id": ident[:512],
        "kind": "comment" if thread and thread != ident else "post",
        "text": str(row.get("body") or ""), "title": str(row.get("subject") or row.get("title") or "") or None,
        "url": str(row.get("link") or row.get("url") or "") or None,
        "published_at": published_at, "time_basis": time_basis, "collected_at": _collected(row, collected_at),
        "lang": lang_code(str(row.get("languages") or row.get("language") or "").split(",")[0]),
        "author_id": str(row.get("author_id") or "") or author, "author_name": author,
        "likes": count(row.get("like_count", row.get("score"))), "comments": count(row.get("reply_count")),
        "shares": count(row.get("repost_count")),
        "parent_id": thread if thread and thread != ident else None,
        "trackers": [tracker] if tracker else [],
    })


class FourCatImporter:
    name = "4cat"
    description = "4CAT dataset exports, flat columns (CSV or NDJSON: id, thread_id, body, author, timestamp, …)"

    def sniff(self, path: Path, head: bytes) -> bool:
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".ndjson", ".jsonl", ".json"):
            return False
        keys = header_columns(head) if suffix == ".csv" else first_json_keys(head)
        return FLAT_COLUMNS <= keys and "4CAT_metadata" not in keys

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        collected = file_time(path)
        tid = tracker.id if tracker else None
        yield from convert_each(table_rows(path), lambda row: fourcat_record(row, collected, tid))


register(FourCatImporter())
