"""The fast path for actorwatch JSONL: blocks of lines parsed by pyarrow and validated by column.

A block pyarrow cannot read (a line that is not JSON, not UTF-8, has an unknown key or a value of the
wrong type, or holds two objects) is halved until the halves read or are small, and small blocks go line
by line. Rows that read but fail a column check go one by one too. Either way a bad line is reported with
its number, exactly as the per-record path reports it, and every good line is kept.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.json as paj

from collectors.importers import Item, RecordTable
from collectors.importers.filerows import open_lines
from collectors.importers.native import decode_line, parse_jsonl_line
from collectors.record_columns import RAW_RECORD_SCHEMA, validate_columns, with_tracker
from collectors.trackers import Tracker

BLOCK_BYTES = 8 << 20
SMALL_BLOCK_LINES = 8  # a refused block this small is read line by line rather than halved again
_BOM = b"\xef\xbb\xbf"
_NEWLINE = ord("\n")
_SPACE = np.frombuffer(b" \t\r\n", dtype=np.uint8)  # what a blank line may hold
_PARSE = paj.ParseOptions(explicit_schema=RAW_RECORD_SCHEMA, unexpected_field_behavior="error")
_DEFAULTED = ("text", "trackers", "synthetic")
AHEAD = 2  # blocks parsed and checked in threads while the caller takes the earlier ones' items


def read_jsonl_blocks(path: Path, tracker: Tracker | None = None, block_bytes: int = BLOCK_BYTES) -> Iterator[Item]:
    """RecordTables of the lines that pass, Records and ImportIssues (line-numbered) for the rest, in file order.

    pyarrow's parser and compute functions release the GIL, so the next blocks are parsed and checked
    while the caller stores the earlier ones; at most AHEAD + 1 blocks are held.
    """
    # UTF-8 as it is on disk, or re-encoded (UTF-16, GB18030, CR line ends)
    with ThreadPoolExecutor(max_workers=AHEAD) as pool, open_lines(path) as fh:
        pending: deque[Future[list[Item]]] = deque()
        for first, block in _blocks(fh, block_bytes):
            pending.append(pool.submit(_block_items, path.name, first, block, tracker))
            if len(pending) > AHEAD:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def _block_items(name: str, first: int, block: bytes, tracker: Tracker | None) -> list[Item]:
    block, lines = _without_blank_lines(block, first)
    return list(_read_block(name, block, lines, tracker))


def _blocks(fh: BinaryIO, size: int) -> Iterator[tuple[int, bytes]]:
    """(number of its first line, block of whole lines) through the open file.

    Each block is read once and cut at its last newline, the file position set back to the cut: the bytes are
    not copied again (joined to a carried-over tail, then split), which cost as much as a tenth of an import.
    """
    line = 1
    while block := fh.read(size):
        if len(block) == size:  # not the end of the file: end on a whole line
            cut = block.rfind(b"\n") + 1
            while not cut and (more := fh.read(size)):  # a line longer than a block
                cut = len(block) + more.rfind(b"\n") + 1 if b"\n" in more else 0
                block += more
            if cut and cut < len(block):
                fh.seek(cut - len(block), io.SEEK_CUR)
                block = block[:cut]
        yield line, block
        line += block.count(b"\n")


def _without_blank_lines(block: bytes, first: int) -> tuple[bytes, np.ndarray]:
    """The block with blank lines dropped, and the file line number of each line left."""
    body = np.frombuffer(block, dtype=np.uint8)
    starts = np.concatenate([[0], np.flatnonzero(body == _NEWLINE) + 1])
    if starts[-1] == len(block):  # the block ends with its last line's newline
        starts = starts[:-1]
    led_by_space = np.isin(body[starts], _SPACE) if len(block) else np.ones(0, dtype=bool)
    if not led_by_space.any():  # the usual case: no line starts with white space, so none is blank
        return block, np.arange(first, first + len(starts))
    lines = block.split(b"\n")[:len(starts)]
    kept = [i for i, line in enumerate(lines) if not led_by_space[i] or line.strip(b" \t\r")]
    if not kept:
        return b"", np.empty(0, dtype=np.int64)
    return b"\n".join(lines[i] for i in kept) + b"\n", first + np.array(kept)


def _read_block(name: str, block: bytes, lines: np.ndarray, tracker: Tracker | None) -> Iterator[Item]:
    if not len(lines):
        return
    raw = _parse(block[len(_BOM):] if lines[0] == 1 and block.startswith(_BOM) else block)
    if raw is None or raw.num_rows != len(lines):  # refused, or a line held more than one object
        if len(lines) <= SMALL_BLOCK_LINES:
            yield from _line_by_line(name, block, lines, tracker)
            return
        half = block.find(b"\n", len(block) // 2) + 1 or len(block)
        split = block.count(b"\n", 0, half)
        if split in (0, len(lines)):
            yield from _line_by_line(name, block, lines, tracker)
            return
        yield from _read_block(name, block[:half], lines[:split], tracker)
        yield from _read_block(name, block[half:], lines[split:], tracker)
        return
    absent = {key for key in _DEFAULTED if f'"{key}"'.encode() not in block}
    good, rest = validate_columns(raw, absent)
    if len(rest):
        yield from _line_by_line(name, block, lines, tracker, only=set(lines[rest].tolist()))
    if good.num_rows:
        yield RecordTable(with_tracker(good, tracker.id) if tracker else good)


def _parse(block: bytes) -> pa.Table | None:
    try:
        return paj.read_json(io.BytesIO(block), parse_options=_PARSE)
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None


def _line_by_line(name: str, block: bytes, lines: np.ndarray, tracker: Tracker | None,
                  only: set[int] | None = None) -> Iterator[Item]:
    body = block[:-1] if block.endswith(b"\n") else block
    for n, raw in zip(lines.tolist(), body.split(b"\n"), strict=True):
        if only is None or n in only:
            item = parse_jsonl_line(f"{name}:{n}", *decode_line(n, raw), tracker)
            if item is not None:
                yield item
