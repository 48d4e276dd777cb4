"""Cross-case comparison on "days since trigger", and share of voice among a tracker's entities."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import duckdb
import numpy as np
import pandas as pd

from analysis.core.filters import Filters
from analysis.stats.timeseries import volume_series
from collectors.trackers import Tracker, load_trackers

NORMALISE = ("per_source", "per_tracker", "none")


def align_cases(con: duckdb.DuckDBPyConnection, tracker_ids: Sequence[str], days_before: int, days_after: int,
                normalise: str = "per_source", trackers: Sequence[Tracker] | None = None,
                langs: Sequence[str] = (), sources: Sequence[str] = ()) -> pd.DataFrame:
    """Daily records per tracker and source on a common axis of days since each tracker's trigger.

    share = records / the tracker-and-source total over the aligned window ("per_source": controversies
    of different size and platforms of different reach become comparable), / the tracker's total
    ("per_tracker"), or NaN ("none"). Zero-filled: every offset × source of each tracker has a row.
    `langs`, `sources`: count only records in these languages and from these sources (none: all), before the
    totals are taken, so that "per_tracker" shares are of the records shown.
    """
    if normalise not in NORMALISE:
        raise ValueError(f"normalise must be one of {NORMALISE}, not {normalise!r}")
    known = {t.id: t for t in (trackers if trackers is not None else load_trackers())}
    missing = [t for t in tracker_ids if t not in known]
    if missing:
        raise ValueError(f"unknown tracker(s) {missing} (known: {', '.join(known)})")
    parts = []
    for tracker_id in tracker_ids:
        trigger = known[tracker_id].trigger_date
        f = Filters(tracker_id, trigger - timedelta(days=days_before), trigger + timedelta(days=days_after),
                    sources=tuple(sources), langs=tuple(langs))
        frame = volume_series(con, f, by="source")
        frame["day_offset"] = [(d - trigger).days for d in frame["period"]]
        frame["tracker"] = tracker_id
        if normalise == "per_source":
            total = frame.groupby("source")["records"].transform("sum")
        elif normalise == "per_tracker":
            total = pd.Series(frame["records"].sum(), index=frame.index)
        else:
            total = pd.Series(np.nan, index=frame.index)
        frame["share"] = np.where(total > 0, frame["records"] / total.where(total > 0, 1), np.nan)
        parts.append(frame[["tracker", "day_offset", "source", "records", "share"]])
    if not parts:
        return pd.DataFrame(columns=["tracker", "day_offset", "source", "records", "share"])
    return pd.concat(parts, ignore_index=True).sort_values(["tracker", "day_offset", "source"], ignore_index=True)


def share_of_voice(con: duckdb.DuckDBPyConnection, f: Filters, tracker: Tracker) -> pd.DataFrame:
    """Per day and entity of the tracker: records mentioning it and its share of that day's mentions of the
    tracker's entities (a record tagged with several trackers is annotated with all their entities; only this
    tracker's count)."""
    frame = volume_series(con, f, by="entity", tracker=tracker).rename(columns={"period": "day", "records": "mentions"})
    day_total = frame.groupby("day")["mentions"].transform("sum")
    frame["share"] = np.where(day_total > 0, frame["mentions"] / day_total.where(day_total > 0, 1), np.nan)
    return frame[["day", "entity", "mentions", "share"]]
