"""Reading labelled CSVs (`text,label`; 0 = negative, 1 = positive, 2 = neutral) with clear errors."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class LabelledFileError(ValueError):
    """The file cannot be read as a labelled CSV; the message names the file and line."""


@dataclass(frozen=True)
class LabelledSet:
    path: Path
    texts: list[str]
    labels: np.ndarray

    @property
    def n(self) -> int:
        return len(self.texts)

    @property
    def classes(self) -> int:
        """3 when any row is neutral, else 2 (a positive/negative-only file)."""
        return 3 if (self.labels == 2).any() else 2


def read_file_bytes(path: Path) -> bytes:
    """A labelled file's bytes; a missing or unreadable file is a LabelledFileError."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise LabelledFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise LabelledFileError(f"{path}: cannot read: {exc.strerror or exc}") from None


def read_utf8(path: Path) -> str:
    """A file's text (UTF-8, BOM allowed); a missing, unreadable or non-UTF-8 file is a LabelledFileError."""
    raw = read_file_bytes(path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LabelledFileError(f"{path}: not valid UTF-8 (line {line}, byte {exc.start}); "
                                "re-save the file as UTF-8") from None


def dict_reader(text: str, path: Path | None = None) -> csv.DictReader:
    """Rows of a labelled CSV by column, its header names stripped and lower-cased; the delimiter is the header's own:
    a comma, or the semicolon Excel saves where the comma is the decimal mark, or a tab (a TSV export). With the file's
    `path`, a header naming a column twice is a LabelledFileError: a row would keep only one of its cells."""
    header = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=header.count)  # a tie (one column) keeps the comma
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    reader.fieldnames = [f.strip().lower() for f in reader.fieldnames or []]
    twice = sorted({f for f in reader.fieldnames if f and reader.fieldnames.count(f) > 1})  # blank: a sheet's empty
    if path is not None and twice:
        raise LabelledFileError(f"{path}: column {', '.join(map(repr, twice))} appears twice in the header (names are "
                                "read without case or spaces): only one would be read; rename or remove the other")
    return reader


def check_row(path: Path, line: int, row: dict[str | None, object]) -> None:
    """A row with more cells than the header (an unquoted comma in the text) is an error, not a shifted label."""
    if None in row:
        raise LabelledFileError(f"{path}: line {line}: {len(row[None])} more cell(s) than the header has columns "
                                "(quote a text holding a comma)")


def read_labelled_csv(path: str | Path) -> LabelledSet:
    """`text,label` (or `sentiment`, as `labels import` reads it): 0/1/2 or the class names and spellings it reads."""
    from analysis.nlp.tasks import SENTIMENT  # tasks reads its files with this module's helpers

    path = Path(path)
    reader = dict_reader(read_utf8(path), path)
    fields = reader.fieldnames or []
    column = next((c for c in ("label", "sentiment") if c in fields), "label")
    missing = [c for c in ("text", column) if c not in fields]
    if missing:
        raise LabelledFileError(f"{path}: missing column(s) {', '.join(missing)}; need a header with text,label "
                                f"(found: {', '.join(fields) or 'no header'})")
    texts, labels = [], []
    try:
        for row in reader:
            check_row(path, reader.line_num, row)
            label = (row.get(column) or "").strip()
            index = SENTIMENT.index(label)  # the class order is the codes' (0 negative, 1 positive, 2 neutral)
            if index is None:
                raise LabelledFileError(f"{path}: line {reader.line_num}: {column} {label!r} is not 0, 1 or 2 "
                                        f"(0 = negative, 1 = positive, 2 = neutral; accepted: {SENTIMENT.accepted()})")
            texts.append(row.get("text") or "")
            labels.append(index)
    except csv.Error as exc:
        raise LabelledFileError(f"{path}: line {reader.line_num}: malformed CSV: {exc}") from None
    if not texts:
        raise LabelledFileError(f"{path}: no labelled rows")
    return LabelledSet(path, texts, np.array(labels, dtype=int))
