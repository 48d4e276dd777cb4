"""Helpers for the analytics tests: hand-made records on chosen days and score rows written directly."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa

from analysis.core.scores import SCORES, SCORES_SCHEMA, SCORES_SPEC
from collectors.models import Record
from collectors.store import Store

MODEL = "test-model"
VERSION = "test-1"


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def records_per_day(make_record: Callable[..., Record], counts: dict[date, int] | Iterable[tuple[date, int]],
                    **overrides: object) -> list[Record]:
    """`n` records on each day (spread over hours), with any field overrides."""
    items = counts.items() if isinstance(counts, dict) else counts
    out = []
    for day, n in items:
        for i in range(n):
            out.append(make_record(published_at=at(day, i % 24), **overrides))
    return out


def add_scores(store: Store, labels: dict[tuple[str, str], str], version: str = VERSION) -> None:
    """Write one score row per (source, id) with the given label (probabilities are one-hot)."""
    keys = list(labels)
    prob = {lab: [1.0 if labels[k] == lab else 0.0 for k in keys] for lab in ("negative", "neutral", "positive")}
    table = pa.Table.from_pydict(
        {"source": [k[0] for k in keys], "id": [k[1] for k in keys], "model": [MODEL] * len(keys),
         "model_version": [version] * len(keys), "p_neg": prob["negative"], "p_neu": prob["neutral"],
         "p_pos": prob["positive"], "label": [labels[k] for k in keys],
         "scored_at": [datetime(2026, 5, 1, tzinfo=UTC)] * len(keys)},
        schema=SCORES_SCHEMA,
    )
    store.add_table(SCORES, table, SCORES_SPEC)


def add_annotations(store: Store, entities: dict[tuple[str, str], list[str]], version: str = "test-pipeline",
                    **values: dict[tuple[str, str], str]) -> None:
    """Write one annotation row per (source, id) naming the entities it mentions, and any other column's value per
    record given as `column={(source, id): value}` (other columns empty)."""
    from analysis.core.annotations import ANNOTATIONS, ANNOTATIONS_SCHEMA, ANNOTATIONS_SPEC

    keys = list(entities)
    columns = {name: pa.nulls(len(keys), ANNOTATIONS_SCHEMA.field(name).type) for name in ANNOTATIONS_SCHEMA.names}
    columns.update({"source": pa.array([k[0] for k in keys]), "id": pa.array([k[1] for k in keys]),
                    "pipeline_version": pa.array([version] * len(keys)),
                    "entities": pa.array([entities[k] for k in keys], pa.list_(pa.string())),
                    "annotated_at": pa.array([datetime(2026, 5, 1, tzinfo=UTC)] * len(keys), pa.timestamp("us", tz="UTC"))})
    columns.update({name: pa.array([given.get(k) for k in keys], ANNOTATIONS_SCHEMA.field(name).type)
                    for name, given in values.items()})
    store.add_table(ANNOTATIONS, pa.table(columns, schema=ANNOTATIONS_SCHEMA), ANNOTATIONS_SPEC)


def label_records(records: Iterable[Record], label: str) -> dict[tuple[str, str], str]:
    return {(r.source, r.id): label for r in records}


def days(start: date, n: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]
