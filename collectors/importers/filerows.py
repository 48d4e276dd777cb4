"""Reading saved files row by row for importers: JSON documents, JSON lines, CSV — each problem line-located.

Saved files carry no collection time, so the save time given with `import --saved-at` stands in for it, else the
file's modification time (re-importing an unchanged file therefore adds nothing).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

from collectors.base import ParseError
from collectors.importers import ImportIssue, Item
from collectors.importers.context import current, warn
from collectors.models import InvalidRecord


def saved_time(path: Path) -> tuple[datetime, Literal["saved-at", "file-mtime"]]:
    """When a saved file was captured, and what says so: `--saved-at` when given, else the file's modification time."""
    given = current().saved_at
    if given is not None:
        return given.astimezone(UTC), "saved-at"
    return modification_time(path), "file-mtime"


def file_time(path: Path) -> datetime:
    """The collection time of a saved file's records (see saved_time)."""
    return saved_time(path)[0]


def modification_time(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)


def read_text(path: Path) -> str | ImportIssue:
    try:
        return decode_saved(path.read_bytes())
    except UnicodeDecodeError as exc:
        return ImportIssue(path.name, f"not valid UTF-8 ({exc.reason} at byte {exc.start}); re-save the file as UTF-8")


_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _on_first_non_ascii_line(data: bytes, at: int) -> bool:
    """Whether byte `at` is on the line of the first non-ASCII byte (no GBK byte is a line feed)."""
    first = _NON_ASCII.search(data)
    if first is None or at < first.start():
        return False
    end = data.find(b"\n", first.start())
    return end < 0 or at < end


def decode_saved(data: bytes, errors: str = "strict") -> str:
    """A saved file's text: UTF-8 (BOM allowed), UTF-16 with its BOM, or GBK/GB18030 — what Excel writes for a
    CSV in Chinese Windows. GB18030 is tried only when the line of the first non-ASCII byte is not UTF-8: a UTF-8
    file with one bad byte further on stays an error (UnicodeDecodeError) rather than becoming GB18030 mojibake.
    (The line, not its first bytes: a GBK character may be valid UTF-8 by chance, '同' CD AC, the next one not.)"""
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return data.decode("utf-16", errors)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        cut = errors != "strict" and exc.start >= len(data) - 3  # a head cut inside a character
        if _on_first_non_ascii_line(data, exc.start) and not cut:
            try:
                return data.decode("gb18030", errors)
            except UnicodeDecodeError:
                pass
        if errors == "strict":
            raise exc from None
        return data.decode("utf-8-sig", errors)


def open_lines(path: Path) -> BinaryIO:
    """The file opened to be read line by line as UTF-8 with LF or CRLF line ends: straight from disk when it is
    already (the usual case), else re-encoded in memory: UTF-16 with its BOM, GBK/GB18030 (the rule of
    `decode_saved`), or bare CR line ends (classic Mac)."""
    fh = path.open("rb")
    head = fh.read(65_536)
    utf16 = head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    bare_cr = not utf16 and b"\r" in head and b"\n" not in head
    if not utf16 and not bare_cr and _utf8_head(head):
        fh.seek(0)
        return fh
    data = head + fh.read()
    fh.close()
    with contextlib.suppress(UnicodeDecodeError):  # else each bad line is reported
        data = decode_saved(data).encode("utf-8")
    return io.BytesIO(data.replace(b"\r", b"\n") if bare_cr else data)


def _utf8_head(head: bytes) -> bool:
    """Whether a file's first bytes are UTF-8 (a character cut at their end aside)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3
    return True


def read_json(path: Path) -> Any | ImportIssue:
    """The whole file as JSON (raw control characters inside strings tolerated), or one ImportIssue."""
    text = read_text(path)
    if isinstance(text, ImportIssue):
        return text
    try:
        return json.loads(text, strict=False)
    except json.JSONDecodeError as exc:
        return ImportIssue(f"{path.name}:{exc.lineno}", f"not JSON ({exc.msg} at column {exc.colno})")
    except RecursionError:
        return ImportIssue(path.name, "JSON nested too deeply")


def json_lines(path: Path) -> Iterator[tuple[str, Any | ImportIssue]]:
    """(where, object or issue) per non-empty line of a JSONL/NDJSON file."""
    from collectors.importers.native import (
        read_text_lines,  # late: importing native registers the generic formats
    )

    for n, line, error in read_text_lines(path):
        where = f"{path.name}:{n}"
        if error:
            yield where, ImportIssue(where, error)
        elif line and line.strip():
            try:
                yield where, json.loads(line, strict=False)
            except (json.JSONDecodeError, RecursionError) as exc:
                yield where, ImportIssue(where, f"not JSON ({getattr(exc, 'msg', 'nested too deeply')})")


def column_name(name: str) -> str:
    """A CSV column name as importers look it up: a header typed or re-saved by hand may differ in case and spacing."""
    return name.strip().strip('"').strip().lstrip("\ufeff").lower()


def csv_dicts(path: Path) -> Iterator[tuple[str, dict[str, str] | ImportIssue]]:
    """(where, row or issue) per CSV data row, keyed by `column_name`, values stripped."""
    text = read_text(path)
    if isinstance(text, ImportIssue):
        yield path.name, text
        return
    reader = csv.DictReader(io.StringIO(text, newline=""))
    for line, row in csv_rows(reader):
        where = f"{path.name}:{line}"
        if isinstance(row, csv.Error):
            yield where, ImportIssue(where, f"bad CSV: {row}")
        else:
            yield where, {k: (v or "").strip() for k, v in row.items() if isinstance(k, str) and isinstance(v, str)}


_MISSING = object()  # a column the row does not reach
# The csv module refuses a field over 131,072 characters by default; the data model sets no limit on a text (a long
# article body), and an export's records.csv must read back.
FIELD_LIMIT = 1 << 28


def csv_rows(reader: csv.DictReader) -> Iterator[tuple[int, dict[str, Any] | csv.Error]]:
    """(the line it starts on, row) per data row; a row the csv module refuses (e.g. a field over its size limit) or
    with fewer columns than the header (a last line cut short by a killed export) gives (that line, the error) and
    reading goes on with the next row."""
    csv.field_size_limit(FIELD_LIMIT)  # before the header is read: it is a row as well
    # read first, so that line numbers below count from it; rows are keyed by `column_name`
    header = reader.fieldnames = [column_name(c) for c in reader.fieldnames or []]
    reader.restval = _MISSING
    id_columns = [c for c in header if c.endswith("id")]
    rows = iter(reader)
    while True:
        start = reader.line_num + 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, exc
            continue
        if reader.line_num > start:  # line breaks inside its values, or blank lines before it (skipped)
            start = reader.line_num - _line_breaks(row)
        missing = sum(value is _MISSING for value in row.values())
        if missing:
            yield start, csv.Error(f"row has {len(header) - missing} of {len(header)} columns: cut short (an "
                                   "interrupted export?) or a line break inside an unquoted value")
            continue
        rounded = next((k for k in id_columns if _SCIENTIFIC.fullmatch(row[k].strip())), None)
        if rounded is not None:
            yield start, csv.Error(f"column '{rounded}' holds {row[rounded].strip()!r}: a spreadsheet "
                                   "turned the id into a rounded number and its digits are lost; import the file as it "
                                   "was exported (or open it in the spreadsheet with that column as Text)")
            continue
        yield start, row


_SCIENTIFIC = re.compile(r"[+-]?\d+(\.\d+)?[eE][+-]?\d+")  # how Excel saves a number of 12 or more digits


def _line_breaks(row: dict[Any, Any]) -> int:
    """Line breaks inside a row's (quoted) values, each counted as a line by the csv module: CRLF, LF or CR."""
    extra = row.get(None)  # the values beyond the header's columns
    text = "".join(v for v in (*row.values(), *(extra if isinstance(extra, list) else ())) if isinstance(v, str))
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def table_rows(path: Path) -> Iterator[tuple[str, Any | ImportIssue]]:
    """Rows of an export saved as a JSON array, JSON lines or CSV (by suffix; .json may also be JSON lines)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from csv_dicts(path)
    elif suffix == ".json":
        data = read_json(path)
        text = read_text(path) if isinstance(data, ImportIssue) else None
        if isinstance(text, str) and text.lstrip().startswith("["):
            yield from json_array_items(text, path.name)  # an array cut short or followed by junk: keep its items
        elif isinstance(data, ImportIssue) and data.message.startswith("not JSON (Extra data"):
            yield from json_lines(path)  # a .json file holding JSON lines
        elif isinstance(data, ImportIssue):
            yield path.name, data
        else:
            rows = data if isinstance(data, list) else [data]
            yield from ((f"{path.name}[{n}]", row) for n, row in enumerate(rows))
    else:
        yield from json_lines(path)


def json_array_items(text: str, name: str) -> Iterator[tuple[str, Any | ImportIssue]]:
    """(where, item) through a JSON array up to where it stops being JSON (an export killed mid-write), which
    becomes one issue at the line of the item it cuts."""
    decoder = json.JSONDecoder(strict=False)
    pos, n = _SPACE.match(text, text.index("[") + 1).end(), 0
    while not (n == 0 and text.startswith("]", pos)):
        try:
            item, pos = decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield _array_cut(text, name, pos, getattr(exc, "msg", "nested too deeply"), n)
            return
        yield f"{name}[{n}]", item
        n += 1
        pos = _SPACE.match(text, pos).end()
        if text.startswith("]", pos):
            rest = text[pos + 1:].strip()
            if rest:
                warn(f"{name}:{text.count(chr(10), 0, pos) + 1}", f"ignored {len(rest)} character(s) after the JSON "
                     f"array{' (NUL bytes: the file was padded by a crash?)' if not rest.strip(chr(0)) else ''}")
            return
        if not text.startswith(",", pos):
            yield _array_cut(text, name, pos, f"expected ',' or ']' after item {n - 1}", n)
            return
        pos = _SPACE.match(text, pos + 1).end()


_SPACE = re.compile(r"[ \t\r\n]*")


def _array_cut(text: str, name: str, pos: int, reason: str, kept: int) -> tuple[str, ImportIssue]:
    where = f"{name}:{text.count(chr(10), 0, pos) + 1}"
    return where, ImportIssue(where, f"not JSON ({reason}): the array is cut short or broken here (an interrupted "
                                     f"export?); the {kept} item(s) before it are kept")


def convert_each(rows: Iterable[tuple[str, Any]], convert: Callable[[Any], Item]) -> Iterator[Item]:
    """Convert rows one by one; a bad row becomes an ImportIssue naming where it is, never an exception."""
    for where, row in rows:
        if isinstance(row, ImportIssue):
            yield row
            continue
        try:
            yield convert(row)
        except (ParseError, InvalidRecord) as exc:
            yield ImportIssue(where, str(exc))


def header_columns(head: bytes) -> set[str]:
    """Lower-cased column names of a CSV's first line."""
    first = re.split(r"[\r\n]", decode_saved(head, errors="replace"), maxsplit=1)[0]  # CRLF, LF or a bare CR
    return {column_name(c) for c in first.split(",")}


def first_json_keys(head: bytes) -> set[str]:
    """Keys of the first JSON object in a JSON array / JSON-lines head (best effort, for sniffing)."""
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    if text.startswith("["):
        text = text[1:].lstrip()
    depth, end = 0, 0
    for i, ch in enumerate(text):
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0 and ch == "}":
            end = i + 1
            break
    try:
        first = json.loads(text[:end], strict=False) if end else None
    except ValueError:
        return set()
    return set(first) if isinstance(first, dict) else set()
