"""A labels file as rows for `labels import`: CSV in the encodings spreadsheets save, JSON or JSONL rows, or Label
Studio's JSON export; each row with where it is (`line N`, `item N`) for its errors.

Encoding: UTF-8 (BOM allowed), UTF-16 with its BOM (Excel's "Unicode text"), or GB18030/GBK (Excel's CSV on Chinese
Windows), detected as `collectors.importers.filerows.decode_saved` detects them; any other is given by name. A file
that is none of these is refused with the line it breaks on, never read as mojibake.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.nlp.sentiment.labelled import LabelledFileError, dict_reader, read_file_bytes
from collectors.importers.filerows import decode_saved
from collectors.spreadsheet import unescape_cell

LABEL_KEYS = ("label", "sentiment", "stance", "emotion")  # the label columns a row may hold
ROW_KEYS = ("text", "source", "id", "annotator", "status", *LABEL_KEYS)  # what is read of a JSON row
# (where, the row's cells by column) or (where, what is wrong with it)
Row = tuple[str, dict[str | None, Any] | str]


@dataclass
class LabelsFile:
    kind: str  # "CSV", "JSON", "JSONL" or "Label Studio JSON"
    fields: list[str]  # the CSV header, or every column the JSON rows hold
    rows: Iterable[Row]


def check_encoding(name: str) -> str:
    """A codec name Python knows (LookupError otherwise)."""
    return codecs.lookup(name).name


def read_labels_text(path: Path, encoding: str | None = None) -> str:
    """The file's text, in `encoding` or else detected (see module doc); a LabelledFileError names the line it fails on."""
    raw = read_file_bytes(path)
    codec = check_encoding(encoding) if encoding else None
    codec = "utf-8-sig" if codec == "utf-8" else codec
    try:
        return raw.decode(codec) if codec else decode_saved(raw)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].decode(codec or "utf-8", errors="replace").count("\n") + 1
        said = (f"not valid {encoding} (byte {exc.start})" if codec else
                f"neither UTF-8 (byte {exc.start} is not) nor UTF-16 or GB18030 text")
        raise LabelledFileError(f"{path}: line {line}: {said}; re-save the file as UTF-8, or give its encoding with "
                                "--encoding (e.g. gb18030, utf-16, cp1252, big5)") from None


def read_labels_file(path: Path, encoding: str | None = None) -> LabelsFile:
    """The file's rows (`labels_of_text`)."""
    return labels_of_text(path, read_labels_text(path, encoding))


def labels_of_text(path: Path, text: str) -> LabelsFile:
    """A labels file's rows from its text: JSON when it starts with `[` or `{` (a JSON array, one object, or JSON
    lines), else CSV."""
    start = text.lstrip()[:1]
    if start == "[":
        return _json_array(path, text)
    if start == "{":
        return _json_lines(path, text)
    reader = dict_reader(text, path)
    return LabelsFile("CSV", list(reader.fieldnames or []), _csv_rows(reader))


def _csv_rows(reader: csv.DictReader) -> Iterator[Row]:
    line = 1
    try:
        for raw in reader:
            line = reader.line_num
            yield f"line {line}", {k: unescape_cell(v) for k, v in raw.items()}  # export's ' before formula-like text
    except csv.Error as exc:
        yield f"line {line + 1}", f"malformed CSV, the rest of the file was not read: {exc}"


def _json_array(path: Path, text: str) -> LabelsFile:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LabelledFileError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno}); "
                                "nothing was imported") from None
    if not isinstance(items, list):  # "[" begins a list
        raise LabelledFileError(f"{path}: not a JSON list of rows")
    return _file(path, [(f"item {n}", item) for n, item in enumerate(items, 1)], "JSON")


def _json_lines(path: Path, text: str) -> LabelsFile:
    try:
        whole = json.loads(text)  # one object (a pretty-printed one spans lines)
    except json.JSONDecodeError:
        pass
    else:
        return _file(path, [("item 1", whole)], "JSON")
    items: list[tuple[str, Any]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                items.append((f"line {n}", json.loads(line)))
            except json.JSONDecodeError as exc:
                items.append((f"line {n}", _Bad(f"not a JSON object ({exc.msg} at column {exc.colno})")))
    return _file(path, items, "JSONL")


@dataclass(frozen=True)
class _Bad:
    message: str


def _file(path: Path, items: list[tuple[str, Any]], kind: str) -> LabelsFile:
    rows: list[Row] = []
    for where, item in items:
        if isinstance(item, _Bad):
            rows.append((where, item.message))
        elif isinstance(item, dict) and isinstance(item.get("data"), dict):
            kind = "Label Studio JSON"
            rows += _label_studio_rows(where, item)
        elif isinstance(item, dict):
            rows.append((where, _json_row(item)))
        else:
            rows.append((where, f"not a JSON object but {type(item).__name__}"))
    fields = list(dict.fromkeys(k for _, row in rows if isinstance(row, dict) for k in row))
    return LabelsFile(kind, [f for f in fields if f is not None], rows)


def _json_row(item: dict[str, Any]) -> dict[str | None, Any] | str:
    """A JSON object's cells as a CSV row's (names without case or spaces, values as text), or what is wrong."""
    cells: dict[str | None, Any] = {}
    for key, value in item.items():
        name = str(key).strip().lower()
        if name not in ROW_KEYS:
            continue
        cell = _cell(value)
        if cell is None:
            return f"{key}: one value expected, not {json.dumps(value, ensure_ascii=False)[:80]}"
        cells[name] = cell
    return _one_sentiment(cells)


def _one_sentiment(cells: dict[str | None, Any]) -> dict[str | None, Any]:
    """A row's sentiment under `label`, the column read first: a JSON row or Label Studio control naming it
    `sentiment` beside rows naming it `label` would otherwise lose it."""
    if "sentiment" in cells and not cells.get("label"):
        cells["label"] = cells.pop("sentiment")
    return cells


def _cell(value: Any) -> str | None:
    """A JSON value as a cell ('' for null; a one-item list as its item), or None for a value that is no cell."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, str | int | float) else None


def _label_studio_rows(where: str, task: dict[str, Any]) -> list[Row]:
    """One row per annotation of a Label Studio task: `data.text` (and `data.source`, `data.id` when the task came
    from `labels export`), and the choices of Choices controls named label/sentiment, stance, emotion; a cancelled
    (skipped) annotation is status skip. A task not annotated is a row without a label."""
    if task.get("id") is not None:
        where = f"{where} (task {task['id']})"
    data = task["data"]
    # the task's data came from a spreadsheet-safe export: its ' before formula-like text is undone as for a CSV
    base: dict[str | None, Any] = {k: unescape_cell(_cell(data.get(k)) or "") for k in ("text", "source", "id")}
    annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict)]
    if not annotations:
        return [(where, base)]
    rows: list[Row] = []
    for n, annotation in enumerate(annotations, 1):
        here = where if len(annotations) == 1 else f"{where} annotation {n}"
        cells = {**base, "annotator": _annotator(annotation.get("completed_by"))}
        if annotation.get("was_cancelled"):
            cells["status"] = "skip"
        error = None
        for result in annotation.get("result") or []:
            if not isinstance(result, dict) or result.get("type") != "choices":
                continue  # a comment box, a span: nothing this reads
            name = str(result.get("from_name", "")).strip().lower()
            choices = (result.get("value") or {}).get("choices")
            if name not in LABEL_KEYS:
                error = (f"choices of {result.get('from_name')!r}: name the Choices label (or sentiment), stance or "
                         "emotion in the labelling config")
            elif not isinstance(choices, list) or len(choices) != 1 or not isinstance(choices[0], str):
                error = f"{name}: one choice expected, not {json.dumps(choices, ensure_ascii=False)[:80]}"
            else:
                cells[name] = choices[0]
        rows.append((here, error or _one_sentiment(cells)))
    return rows


def _annotator(completed_by: Any) -> str:
    """Who made a Label Studio annotation: the export's email, else its user number."""
    if isinstance(completed_by, dict):
        if completed_by.get("email"):
            return str(completed_by["email"]).strip()
        completed_by = completed_by.get("id")
    if isinstance(completed_by, int) and not isinstance(completed_by, bool):
        return f"label-studio user {completed_by}"
    return ""
