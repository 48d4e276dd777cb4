"""The `annotations` dataset: per record and pipeline version, language, stance, entities, frames, keywords.

Written by analysis/nlp/enrich.py apart from the records (re-annotating never rewrites a post); read by
topics.py and entities.py through `annotations_scan()`, which picks each record's newest annotation.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from analysis.core.tables import has_table
from collectors.store import DatasetSpec
from collectors.trackers import Tracker

ANNOTATIONS = "annotations"
ANNOTATIONS_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("id", pa.string()),
        ("pipeline_version", pa.string()),
        ("lang", pa.string()),
        ("is_empty", pa.bool_()),
        ("stance", pa.string()),
        ("stance_score", pa.float32()),
        ("emotion", pa.string()),
        ("emotion_score", pa.float32()),
        ("entities", pa.list_(pa.string())),
        ("frames", pa.list_(pa.string())),
        ("keywords", pa.list_(pa.string())),
        ("annotated_at", pa.timestamp("us", tz="UTC")),
    ]
)
ANNOTATIONS_SPEC = DatasetSpec(ANNOTATIONS, ("source", "id", "pipeline_version"), "annotated_at", None,
                               ANNOTATIONS_SCHEMA)
FREQS: tuple[str, ...] = ("D", "W")  # as in analysis/stats/timeseries.py: display-zone day, ISO week (its Monday)


def annotations_scan(con: duckdb.DuckDBPyConnection, pipeline_version: str | None = None) -> str | None:
    """SQL for one annotation per record (the given version, else the newest), or None if none exist."""
    if not has_table(con, ANNOTATIONS):
        return None
    if pipeline_version is not None:
        safe = pipeline_version.replace("'", "''")
        return f"(SELECT * FROM {ANNOTATIONS} WHERE pipeline_version = '{safe}')"
    return (f"(SELECT * FROM {ANNOTATIONS} "
            # ties (one instant) go to the greatest version, not to whichever file was read first
            "QUALIFY row_number() OVER (PARTITION BY source, id ORDER BY annotated_at DESC, pipeline_version DESC) = 1)")


def tracker_entities_sql(alias: str, tracker: Tracker) -> tuple[str, list[Any]]:
    """SQL for the entities of annotation row `alias` that are `tracker`'s (in their order), and its one parameter.

    A record tagged with several trackers is annotated with the entities of all of them, so a figure for one
    tracker must count only its own (else another tracker's entities enter its totals and pairs)."""
    return (f"[e FOR e IN {alias}.entities IF list_contains(CAST(? AS VARCHAR[]), e)]",
            [[e.id for e in tracker.entities]])


def period_expr(freq: str, alias: str = "r") -> str:
    """SQL for the period a record falls in: its day, or the Monday of its ISO week."""
    if freq == "D":
        return f"CAST({alias}.published_at AS DATE)"
    if freq == "W":
        return f"CAST(date_trunc('week', {alias}.published_at) AS DATE)"
    raise ValueError(f"freq must be 'D' (day) or 'W' (ISO week), not {freq!r}")


