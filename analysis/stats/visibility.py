"""Deletion and visibility: each rechecked post's latest known status, and the share that disappeared by day of posting.

A post's status is its latest check that got an answer (`unknown` — a network error, an unrecognised body —
counts only while no check of the post got one). "Disappeared" is every status but visible and unknown:
deleted by the author, removed by the platform, restricted by the author's settings, account gone, or gone
without Weibo saying which (`unavailable`). The share is over rechecked posts, never over all posts.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from analysis.core.filters import Filters
from analysis.core.tables import has_table
from analysis.stats.timeseries import wilson_interval, zero_fill
from collectors.visibility import DISAPPEARED, STATUSES, VISIBILITY

LATEST_COLUMNS = ["source", "id", "status", "checked_at", "reason"]
SERIES_COLUMNS = ["period", "rechecked", "disappeared", "share", "share_lo", "share_hi", *DISAPPEARED]
_IN_DISAPPEARED = ", ".join(f"'{s}'" for s in DISAPPEARED)


def latest_scan(con: duckdb.DuckDBPyConnection) -> str | None:
    """A subquery with one row per rechecked post (source, id, status, checked_at, reason), or None without rechecks."""
    if not has_table(con, VISIBILITY):
        return None
    return (f"(SELECT source, id, status, checked_at, reason FROM {VISIBILITY} "
            "QUALIFY row_number() OVER (PARTITION BY source, id ORDER BY (status = 'unknown'), checked_at DESC) = 1)")


def has_visibility(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any post has been rechecked."""
    return has_table(con, VISIBILITY) and con.execute(f"SELECT count(*) FROM {VISIBILITY}").fetchone()[0] > 0


def latest_visibility(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every rechecked post's latest known status."""
    scan = latest_scan(con)
    if scan is None:
        return pd.DataFrame(columns=LATEST_COLUMNS)
    return con.execute(f"SELECT * FROM {scan} v ORDER BY source, id").df()


def disappeared_series(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per day of posting (display time zone): rechecked posts with an answer, how many disappeared, the share with its Wilson
    95% interval, and the count of each way of disappearing. Days of the view with no rechecked post are rows of
    zeros (NaN share); empty when nothing was rechecked.
    """
    scan = latest_scan(con)
    if scan is None:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    where, params = f.where("r")
    per_status = ", ".join(f"count(*) FILTER (WHERE v.status = '{s}') AS {s}" for s in DISAPPEARED)
    frame = con.execute(
        f"""SELECT CAST(r.published_at AS DATE) AS period, count(*) AS rechecked,
                   count(*) FILTER (WHERE v.status IN ({_IN_DISAPPEARED})) AS disappeared, {per_status}
            FROM records r JOIN {scan} v ON v.source = r.source AND v.id = r.id
            WHERE {where} AND v.status <> 'unknown' GROUP BY 1 ORDER BY 1""", params).df()
    counts = ["rechecked", "disappeared", *DISAPPEARED]
    if f.start and f.end:
        frame = zero_fill(frame, f.days(), counts)
    elif len(frame):
        frame = frame.assign(period=pd.to_datetime(frame["period"]).dt.date).astype({c: "int64" for c in counts})
    if frame.empty:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    k, n = frame["disappeared"].to_numpy(), frame["rechecked"].to_numpy()
    lo, hi = wilson_interval(k, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)
    return frame.assign(share=share, share_lo=lo, share_hi=hi)[SERIES_COLUMNS]


def status_counts(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[str, int]:
    """How many posts of the view have each latest status (every status, zeros included)."""
    scan = latest_scan(con)
    counts = dict.fromkeys(STATUSES, 0)
    if scan is None:
        return counts
    where, params = f.where("r")
    rows = con.execute(f"""SELECT v.status, count(*) FROM records r JOIN {scan} v ON v.source = r.source AND v.id = r.id
                           WHERE {where} GROUP BY 1""", params).fetchall()
    counts.update({status: int(n) for status, n in rows})
    return counts


__all__ = ["disappeared_series", "has_visibility", "latest_scan", "latest_visibility", "status_counts"]
