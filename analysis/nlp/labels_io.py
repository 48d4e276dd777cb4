"""Labels in and out, for teams that label in a spreadsheet or Label Studio.

Export writes a sample to label as CSV or JSON lines (`source,id,published_at,url,parent_id,text,label,stance,emotion,
synthetic`, label columns empty; `synthetic` is true for generated demo records, which are not real posts). Import
reads CSV, JSON/JSONL rows or a Label Studio JSON export (see labels_formats): `text` plus any of `label` (or
`sentiment`), `stance`, `emotion`, with optional `source,id` (rows without them are kept as labelled texts of the
tracker), `annotator` and `status`. The annotator is `--annotator` (every row), else the row's `annotator` (Label
Studio's who completed the annotation), else `unnamed`; never the file's name, so one person's two files are one
annotator (and all unnamed imports of a tracker are one annotator, `unnamed`).
A bad row is reported with its line (or item) number and left out; every other row is kept. Importing the same file
again writes nothing (labels identical to the stored ones are not rewritten).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.core.labels import LABELS, STATUSES, item_key, read_labels, write_labels
from analysis.core.tables import has_table
from analysis.nlp.label_sample import sample_to_label
from analysis.nlp.labels_formats import LABEL_KEYS, labels_of_text, read_labels_file, read_labels_text
from analysis.nlp.sentiment.labelled import LabelledFileError
from analysis.nlp.tasks import EMOTION, SENTIMENT, STANCE, Task
from collectors.display_zone import as_utc
from collectors.spreadsheet import escape_cell
from collectors.store import RECORDS, Store, atomic_path, remove_stale_temps

EXPORT_COLUMNS = ("source", "id", "published_at", "url", "parent_id", "text", "label", "stance", "emotion", "synthetic")
# column in the file → (task, the dataset column); the first present of each task's names is read
TASK_COLUMNS: tuple[tuple[Task, tuple[str, ...]], ...] = (
    (SENTIMENT, ("label", "sentiment")), (STANCE, ("stance",)), (EMOTION, ("emotion",)))
MAX_ERRORS_SHOWN = 50


def display_text(title: object, text: object) -> str:
    """What an annotator reads: the title (articles) above the text (missing values, None or NaN, left out)."""
    title, text = (v if isinstance(v, str) else "" for v in (title, text))
    return f"{title}\n{text}" if title and text else (title or text)


def _value(value: Any) -> str | None:
    """A nullable field: missing (None or pandas' NaN) is None."""
    return None if value is None or pd.isna(value) else str(value)


EXPORT_FORMATS = ("csv", "jsonl")


def export_sample(store: Store, tracker: str, n: int, out: Path, annotator: str | None = None,
                  seed: int = 20240601, fmt: str = "csv") -> int:
    """Write the next n records to label (see label_sample) with empty label columns, as CSV or JSON lines (`fmt`);
    returns rows.

    Leaves out records already labelled by `annotator`, or by anyone when no annotator is given.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format {fmt!r}: one of {', '.join(EXPORT_FORMATS)}")
    filled = _filled_rows(out)
    if filled is None:
        raise ValueError(f"{out} exists and is not text in UTF-8, UTF-16 or GB18030, so it may hold labels this would "
                         "overwrite: import it with `actorwatch labels import --encoding NAME`, or give another --out; "
                         "the file was left as it is")
    if filled:
        raise ValueError(f"{out} has {filled} row(s) with labels filled in: import them first (`actorwatch labels "
                         "import`), or give another --out; the file was left as it is")
    with store.connect() as con:
        done = read_labels(con, tracker)
        if annotator:
            done = done[done["annotator"] == annotator]
        frame = sample_to_label(con, tracker, n, seed, exclude=set(done["item"]))
    rows = []
    for row in frame.itertuples(index=False):
        published = as_utc(pd.Timestamp(row.published_at)).isoformat() if pd.notna(row.published_at) else None
        # ids as shown (a Bluesky/Mastodon author's account pseudonymised); import maps them back
        rows.append((row.source, row.public_id, published, _value(row.url), _value(row.public_parent_id),
                     display_text(row.title, row.text), None, None, None, bool(row.synthetic)))
    remove_stale_temps(out)  # an export killed while writing
    if fmt == "jsonl":
        with atomic_path(out) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as fh:
            fh.writelines(json.dumps(dict(zip(EXPORT_COLUMNS, row, strict=True)), ensure_ascii=False) + "\n"
                          for row in rows)
        return len(rows)
    # BOM: spreadsheets then read Chinese correctly
    with atomic_path(out) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows([escape_cell(_csv_cell(v)) for v in row] for row in rows)
    return len(rows)


def _csv_cell(value: Any) -> str:
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _filled_rows(path: Path) -> int | None:
    """Rows of an existing labels file with any label filled in (0 for no file, or a text file that is not such a
    file; None for a file that is not text in an encoding `labels import` detects, whose labels cannot be counted)."""
    if not path.is_file():
        return 0
    try:
        text = read_labels_text(path)
    except LabelledFileError:
        return None
    try:
        found = labels_of_text(path, text)
    except LabelledFileError:
        return 0
    return sum(1 for _, row in found.rows if isinstance(row, dict) and any(
        (row.get(c) or "").strip() for c in LABEL_KEYS))


@dataclass
class ImportResult:
    path: Path
    rows: int = 0  # data rows read
    labelled: int = 0  # rows with at least one valid label or a status
    written: int = 0  # labels new or changed
    blank: int = 0  # rows with no label at all (e.g. an exported sample not yet labelled)
    errors: list[str] = field(default_factory=list)
    annotators: dict[str, int] = field(default_factory=dict)  # name recorded → labels kept under it

    def line(self) -> str:
        unchanged = self.labelled - self.written
        names = ", ".join(f"{name} ({n:,})" for name, n in sorted(self.annotators.items())) or "none"
        return (f"{self.path}: {self.rows:,} rows; {self.written:,} labels written, {unchanged:,} already stored, "
                f"{self.blank:,} without a label, {len(self.errors):,} bad rows; annotator(s) recorded: {names}"
                + (f" (rows naming no annotator are '{UNNAMED}': give --annotator NAME to tell people apart)"
                   if UNNAMED in self.annotators else ""))


UNNAMED = "unnamed"  # rows that name no annotator: one annotator, never the file's name (one person's two files)


def parse_label_rows(path: Path, tracker: str, annotator: str | None,
                     encoding: str | None = None) -> tuple[list[dict[str, Any]], ImportResult]:
    """The file's rows as label rows for the dataset, and what was found (errors name file and line or item)."""
    result = ImportResult(path)
    found = read_labels_file(path, encoding)
    fields = found.fields
    columns = {task.name: next((c for c in names if c in fields), None) for task, names in TASK_COLUMNS}
    if "text" not in fields or not any(columns.values()):
        what = "a header" if found.kind == "CSV" else f"{found.kind} rows"
        raise LabelledFileError(f"{path}: need {what} with text and at least one of label (or sentiment), "
                                f"stance, emotion (found: {', '.join(fields) or 'none'})")
    origin = f"import:{path.name}"
    rows: list[dict[str, Any]] = []
    first_seen: dict[tuple[str, str], dict[str, Any]] = {}  # (item, annotator) → its first row in the file
    for where, raw in found.rows:
        result.rows += 1
        if isinstance(raw, str):
            result.errors.append(f"{path}: {where}: {raw}")
            continue
        name = annotator or (raw.get("annotator") or "").strip() or UNNAMED
        row, error = _label_row(raw, columns, tracker, name, origin)
        if error:
            result.errors.append(f"{path}: {where}: {error}")
        elif row is None:
            result.blank += 1
        elif (seen := first_seen.get((row["item"], row["annotator"]))) is not None:
            if any(seen[c] != row[c] for c in (*(t.name for t, _ in TASK_COLUMNS), "status")):
                result.errors.append(f"{path}: {where}: item {row['item']} is labelled at {seen['_where']} "
                                     "with other labels; left out")
        else:
            rows.append({**row, "_where": where})
            first_seen[(row["item"], row["annotator"])] = rows[-1]
    _kept(result, rows)
    return rows, result


def _kept(result: ImportResult, rows: list[dict[str, Any]]) -> None:
    """Count `rows`, the labels kept, in `result`: in all and per annotator."""
    result.labelled = len(rows)
    result.annotators = {}
    for row in rows:
        result.annotators[row["annotator"]] = result.annotators.get(row["annotator"], 0) + 1


def _label_row(raw: dict[str, Any], columns: dict[str, str | None], tracker: str, annotator: str,
               origin: str) -> tuple[dict[str, Any] | None, str | None]:
    cells = [*(v for k, v in raw.items() if k is not None), *(raw.get(None) or [])]
    if not any((v or "").strip() for v in cells):  # a spreadsheet's empty row (`,,,`): no label, nothing wrong
        return None, None
    if None in raw:  # more cells than header columns
        return None, f"{len(raw[None])} more cell(s) than the header has columns"
    text = raw.get("text") or ""
    source, record_id = (raw.get("source") or "").strip(), (raw.get("id") or "").strip()
    if bool(source) != bool(record_id):
        return None, "give both source and id, or neither"
    if not text.strip() and not source:
        return None, "empty text and no source,id"
    values: dict[str, str | None] = {}
    for task, _ in TASK_COLUMNS:
        column = columns[task.name]
        value = (raw.get(column) or "").strip() if column else ""
        if not value:
            values[task.name] = None
            continue
        index = task.index(value)
        if index is None:
            return None, f"{column} {value!r} is not a {task.name} label (accepted: {task.accepted()})"
        values[task.name] = task.classes[index]
    status = (raw.get("status") or "").strip().lower()
    if status and status not in STATUSES:
        return None, f"status {status!r} is not one of {', '.join(STATUSES)}"
    if not status:
        if not any(values.values()):
            return None, None
        status = "labelled"
    if status == "skip":
        values = dict.fromkeys(values)
    return {"tracker": tracker, "item": item_key(source, record_id, text), "source": source or None,
            "id": record_id or None, "text": text, "annotator": annotator, **values, "status": status,
            "origin": origin}, None


def _stored_ids(con: Any, rows: list[dict[str, Any]]) -> None:
    """Give rows that name a record by its public id (as `export_sample` writes it) the stored id and item."""
    keyed = [r for r in rows if r["source"]]
    if not keyed:
        return
    con.execute("CREATE TEMP TABLE shown(source VARCHAR, id VARCHAR)")
    con.executemany("INSERT INTO shown VALUES (?, ?)", sorted({(r["source"], r["id"]) for r in keyed}))
    stored = {(s, shown): i for s, shown, i in con.execute(
        "SELECT r.source, w.id, r.id FROM records r JOIN shown w ON r.source = w.source "
        "AND public_id(r.source, r.id) = w.id AND r.id <> w.id").fetchall()}
    for row in keyed:
        if (found := stored.get((row["source"], row["id"]))) is not None:
            row["id"], row["item"] = found, item_key(row["source"], found, row["text"])


def _of_other_trackers(con: Any, rows: list[dict[str, Any]], tracker: str) -> dict[tuple[str, str], list[str]]:
    """The stored records the rows name that are not of `tracker`, with the trackers they are of (records not in the
    store are not judged: a label keeps its text)."""
    keyed = sorted({(r["source"], r["id"]) for r in rows if r["source"]})
    if not keyed or not has_table(con, RECORDS):
        return {}
    con.execute("CREATE TEMP TABLE named(source VARCHAR, id VARCHAR)")
    con.executemany("INSERT INTO named VALUES (?, ?)", keyed)
    return {(s, i): list(t or []) for s, i, t in con.execute(
        "SELECT r.source, r.id, any_value(r.trackers) FROM records r JOIN named USING (source, id) "
        "GROUP BY 1, 2 HAVING NOT list_contains(any_value(r.trackers), ?)", [tracker]).fetchall()}


def _texts_from_store(con: Any, rows: list[dict[str, Any]]) -> None:
    """Fill in the text of rows that name a record but give no text, from the store's public view ('' if absent)."""
    missing = [r for r in rows if r["source"] and not r["text"].strip()]
    if not missing:
        return
    con.execute("CREATE TEMP TABLE wanted(source VARCHAR, id VARCHAR)")
    con.executemany("INSERT INTO wanted VALUES (?, ?)", [[r["source"], r["id"]] for r in missing])
    found = {(s, i): display_text(h, t) for s, i, h, t in con.execute(
        "SELECT r.source, r.id, r.title, r.text FROM records_public r JOIN wanted USING (source, id)").fetchall()}
    for row in missing:
        row["text"] = found.get((row["source"], row["id"]), "")


def import_labels(store: Store, path: Path, tracker: str, annotator: str | None = None,
                  now: datetime | None = None, encoding: str | None = None) -> ImportResult:
    """Read a labels file and store its good rows as one atomic batch (see module doc); the store is opened once."""
    rows, result = parse_label_rows(path, tracker, annotator, encoding)
    # each source's copy of a news article as stored: a row may name the copy another source's now stands for
    with store.connect(only=(RECORDS, LABELS), merge_articles=False) as con:
        store.add_public_view(con, ())
        _stored_ids(con, rows)
        elsewhere = _of_other_trackers(con, rows, tracker)
        _texts_from_store(con, rows)
        current = read_labels(con)
    if elsewhere:
        result.errors += [f"{path}: {r['_where']}: record {r['source']}:{r['id']} is not of tracker {tracker} (it is "
                          f"of {', '.join(elsewhere[(r['source'], r['id'])]) or 'no tracker'}): is --tracker right?"
                          for r in rows if (r["source"], r["id"]) in elsewhere]
        rows = [r for r in rows if (r["source"], r["id"]) not in elsewhere]
    lost = [r for r in rows if not r["text"].strip()]
    result.errors += [f"{path}: {r['_where']}: no text in the file and no such record in the store" for r in lost]
    rows = [r for r in rows if r["text"].strip()]
    _kept(result, rows)  # the rows left out above are recorded under no annotator
    _refuse_a_copy(current[current["tracker"] == tracker], rows, path)
    result.written = write_labels(store, rows, now or datetime.now(UTC), current=current)
    return result


SAME_FILE_MIN = 5  # fewer labels than this may well agree by chance


def _refuse_a_copy(stored: pd.DataFrame, rows: list[dict[str, Any]], path: Path) -> None:
    """Refuse labels equal, item for item, to another annotator's (of `stored`, the tracker's labels) from a file of
    the same name: the same file imported again under another name, which would count one person's labels as two
    annotators agreeing."""
    named = {r["annotator"] for r in rows}
    stored = stored[(stored["origin"] == f"import:{path.name}") & ~stored["annotator"].isin(named)]
    values = ("sentiment", "stance", "emotion", "status")
    for name in sorted(named):
        mine = {r["item"]: tuple(r[c] for c in values) for r in rows if r["annotator"] == name}
        for other, group in stored.groupby("annotator"):
            theirs = dict(zip(group["item"], zip(*(group[c] for c in values), strict=True), strict=True))
            if len(mine) >= SAME_FILE_MIN and all(theirs.get(item) == value for item, value in mine.items()):
                raise LabelledFileError(
                    f"{path}: its {len(mine)} labels for {name!r} are those imported before under annotator {other!r} "
                    f"from a file of the same name, item for item: stored again they would count one person's labels "
                    f"as two annotators agreeing. Nothing was imported (to update {other!r}'s labels, give --annotator "
                    f"{other}; if two people did give the same labels, rename one file)")
