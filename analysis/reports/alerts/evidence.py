"""The evidence pack an alert carries: the day's most-shared records (pseudonymised) and top terms."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from analysis.core.filters import Filters
from analysis.stats.aggregate import kpis
from analysis.stats.peaks import label_peaks
from analysis.stats.timeseries import volume_series
from collectors.trackers import Tracker


def peak_evidence(con: duckdb.DuckDBPyConnection, day_f: Filters, entity: str | None, tracker: Tracker,
                  n_records: int = 5, k: int = 8) -> dict[str, Any]:
    """Top terms and the `n_records` most-shared records of the day, from `records_public` (so ordinary
    users appear only as pseudonyms and @mentions are masked). `records` is the tracker's day (`authors` its distinct
    authors, None if unknown; `by_source` its records per source); for an entity's rule, `entity_records` is how many
    of them mention the entity (what the rule counts)."""
    labelled = label_peaks(con, day_f, pd.DataFrame({"day": [day_f.start]}), k=k, n_records=n_records)
    row = labelled.iloc[0]
    day = kpis(con, day_f)
    by_source = volume_series(con, day_f, by="source")
    evidence = {"day": str(row["day"]), "records": int(row["records"]), "top_terms": list(row["top_terms"]),
                "top_records": list(row["top_records"]),
                "note": "Top records of the tracker on that day by shares, then likes; ordinary users pseudonymised.",
                "synthetic": round(day["synthetic_share"] * int(row["records"])),
                # a few accounts or one source can make a day's volume: who and where, beside how many
                "authors": day["authors"],
                "by_source": {str(s): int(n) for s, n in by_source.groupby("source")["records"].sum()
                              .sort_values(ascending=False).items() if n}}
    if entity:  # `records` is the tracker's whole day; the rule's value counts only the entity's records
        label = tracker.entity(entity).label
        counts = volume_series(con, day_f, by="entity", tracker=tracker)
        evidence["entity_records"] = int(counts.loc[counts["entity"] == entity, "records"].sum())
        evidence["note"] += (f" The rule watches {label}: {evidence['entity_records']:,} of the tracker's "
                             f"{evidence['records']:,} records that day mention {label}.")
    return evidence
