"""The `annotations` dataset: per record and pipeline version, language, stance, entities, frames, keywords.

Written by analysis/enrich.py apart from the records (re-annotating never rewrites a post); read by
topics.py and entities.py through `annotations_scan()`, which picks each record's newest annotation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.filters import Filters
from analysis.timeseries import has_table, periods, wilson_interval, zero_fill
from collectors.store import DatasetSpec

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
        ("entities", pa.list_(pa.string())),
        ("frames", pa.list_(pa.string())),
        ("keywords", pa.list_(pa.string())),
        ("annotated_at", pa.timestamp("us", tz="UTC")),
    ]
)
ANNOTATIONS_SPEC = DatasetSpec(ANNOTATIONS, ("source", "id", "pipeline_version"), "annotated_at", None,
                               ANNOTATIONS_SCHEMA)
FREQS: tuple[str, ...] = ("D", "W")  # as in analysis/timeseries.py: UTC day, ISO week (its Monday)


def annotations_scan(con: duckdb.DuckDBPyConnection, pipeline_version: str | None = None) -> str | None:
    """SQL for one annotation per record (the given version, else the newest), or None if none exist."""
    if not has_table(con, ANNOTATIONS):
        return None
    if pipeline_version is not None:
        safe = pipeline_version.replace("'", "''")
        return f"(SELECT * FROM {ANNOTATIONS} WHERE pipeline_version = '{safe}')"
    return (f"(SELECT * FROM {ANNOTATIONS} "
            "QUALIFY row_number() OVER (PARTITION BY source, id ORDER BY annotated_at DESC) = 1)")


def period_expr(freq: str, alias: str = "r") -> str:
    """SQL for the period a record falls in: its day, or the Monday of its ISO week."""
    if freq == "D":
        return f"CAST({alias}.published_at AS DATE)"
    if freq == "W":
        return f"CAST(date_trunc('week', {alias}.published_at) AS DATE)"
    raise ValueError(f"freq must be 'D' (day) or 'W' (ISO week), not {freq!r}")


def period_shares(rows: Iterable[tuple[date, Sequence[str]]], keys: Sequence[str], f: Filters,
                  freq: str = "D", key: str = "key") -> pd.DataFrame:
    """Per period and key: records carrying the key, records in the period, share and Wilson 95% interval.

    `rows` holds one (period, keys of that record) pair per record; zero-filled over the filter's
    periods (else the observed ones) × `keys`. Columns: period, <key>, records, n, share, share_lo, share_hi.
    """
    counts: Counter[tuple[date, str]] = Counter()
    totals: Counter[date] = Counter()
    for period, items in rows:
        day = pd.Timestamp(period).date()
        totals[day] += 1
        counts.update((day, str(k)) for k in set(items if items is not None else ()))
    long = pd.DataFrame([(p, k, n) for (p, k), n in counts.items()], columns=["period", key, "records"])
    index = periods(f.start, f.end, freq) if f.start and f.end else sorted(totals)
    out = zero_fill(long, index, ["records"], key=key, keys=list(keys))
    out["n"] = [totals.get(p, 0) for p in out["period"]]
    n, k = out["n"].to_numpy(), out["records"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share"] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    out["share_lo"], out["share_hi"] = wilson_interval(k, n)
    return out
