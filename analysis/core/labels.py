"""The `labels` dataset: human (and optional language-model) labels of a tracker's texts, kept apart from the posts.

One row per (tracker, item, annotator): the sentiment, stance and emotion that annotator gave, or a skip.
`item` is `source:id` for a record in the store, or `text:<sha256 of the text, 16 hex>` for a labelled text
imported without one. The text the annotator saw is kept with the label, so a label stays meaningful (and
adaptation reproducible) whatever happens to the record. Re-labelling an item replaces the annotator's
earlier label (newest `labelled_at` wins); writing a label identical to the stored one writes nothing.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from analysis.core.tables import has_table
from collectors.store import DatasetSpec, Store

LABELS = "labels"
LABELS_SCHEMA = pa.schema(
    [
        ("tracker", pa.string()),
        ("item", pa.string()),
        ("source", pa.string()),  # null for a text imported without source,id
        ("id", pa.string()),
        ("text", pa.string()),  # the text as the annotator saw it (pseudonymised view for records)
        ("annotator", pa.string()),  # a person's name, or "llm:<model>" for pre-labels
        ("sentiment", pa.string()),  # analysis.nlp.tasks class names; null = not given
        ("stance", pa.string()),
        ("emotion", pa.string()),
        ("status", pa.string()),  # see STATUSES
        ("origin", pa.string()),  # dashboard | cli | import:<file name> | llm:<model>@<prompt version>
        ("labelled_at", pa.timestamp("us", tz="UTC")),
    ]
)
LABELS_SPEC = DatasetSpec(LABELS, ("tracker", "item", "annotator"), "labelled_at", None, LABELS_SCHEMA)
STATUSES = ("labelled", "unsure", "skip")  # unsure: labelled with doubt (kept, not used for adapting); skip: no label
VALUE_COLUMNS = ("sentiment", "stance", "emotion", "status", "text")
LLM_PREFIX = "llm:"


def text_key(text: str) -> str:
    return "text:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def item_key(source: str | None, record_id: str | None, text: str) -> str:
    """`source:id` for a record, else a key from the text itself."""
    return f"{source}:{record_id}" if source and record_id else text_key(text)


def is_llm(annotator: str) -> bool:
    return annotator.startswith(LLM_PREFIX)


def read_labels(con: duckdb.DuckDBPyConnection, tracker: str | None = None) -> pd.DataFrame:
    """The current label of every (tracker, item, annotator), oldest first; empty with the schema's columns."""
    if not has_table(con, LABELS):
        return LABELS_SCHEMA.empty_table().to_pandas()
    where, params = ("WHERE tracker = ?", [tracker]) if tracker else ("", [])
    frame = con.execute(f"SELECT * FROM {LABELS} {where} ORDER BY labelled_at, item, annotator", params).df()
    text_columns = [c for c in frame.columns if c != "labelled_at"]
    frame[text_columns] = frame[text_columns].astype(object).where(frame[text_columns].notna(), None)
    return frame


def write_labels(store: Store, rows: Iterable[Mapping[str, Any]], now: datetime | None = None,
                 current: pd.DataFrame | None = None) -> int:
    """Write labels as one atomic batch, leaving out any identical to the stored label (`current`: the stored labels
    as `read_labels` gave them, by a caller that has read them already); returns rows written."""
    stamp = now or datetime.now(UTC)
    fresh = []
    for row in rows:
        row = {name: row.get(name) for name in LABELS_SCHEMA.names}
        if not row["tracker"] or not row["item"] or not row["annotator"]:
            raise ValueError(f"a label needs tracker, item and annotator: {row}")
        if row["status"] not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {row['status']!r}")
        row["labelled_at"] = row["labelled_at"] or stamp
        fresh.append(row)
    if not fresh:
        return 0
    if current is None:
        with store.connect(only=(LABELS,)) as con:
            current = read_labels(con)
    stored = {(r.tracker, r.item, r.annotator): tuple(_none(getattr(r, c)) for c in VALUE_COLUMNS)
              for r in current.itertuples(index=False)}
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in fresh:  # within one write, the last row for a key wins
        latest[(row["tracker"], row["item"], row["annotator"])] = row
    changed = [row for key, row in latest.items()
               if stored.get(key) != tuple(_none(row[c]) for c in VALUE_COLUMNS)]
    if not changed:
        return 0
    table = pa.Table.from_pylist(changed, schema=LABELS_SCHEMA)
    return store.add_table(LABELS, table, LABELS_SPEC).rows


def _none(value: Any) -> Any:
    """pandas gives NaN/None for nulls; compare them as None."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value
