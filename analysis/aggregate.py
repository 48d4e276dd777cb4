"""The numbers the Overview shows: KPIs, daily volume by source and daily sentiment shares with 95% CIs."""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd

from analysis.filters import Filters
from analysis.scores import SCORES


def kpis(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str | None = None) -> dict[str, Any]:
    """Records, distinct authors, synthetic share and (if scored) the share negative with its 95% CI."""
    where, params = f.where("r")
    row = con.execute(
        f"""SELECT count(*), count(DISTINCT r.source || ':' || coalesce(r.author_id, r.author_name)),
                   coalesce(avg(CAST(r.synthetic AS INTEGER)), 0), min(r.published_at), max(r.published_at)
            FROM records r WHERE {where}""",
        params,
    ).fetchone()
    out: dict[str, Any] = {"records": int(row[0]), "authors": int(row[1]), "synthetic_share": float(row[2]),
                           "first": row[3], "last": row[4], "share_negative": None, "share_negative_ci": None,
                           "scored": 0}
    if model_version and has_table(con, SCORES):
        neg, n = con.execute(
            f"""SELECT count(*) FILTER (WHERE s.label = 'negative'), count(*) FROM records r
                JOIN scores s ON s.source = r.source AND s.id = r.id AND s.model_version = ?
                WHERE {where}""",
            [model_version, *params],
        ).fetchone()
        out["scored"] = int(n)
        if n:
            out["share_negative"] = neg / n
            out["share_negative_ci"] = wilson_interval(int(neg), int(n))
    return out


def daily_volume(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Records per day and source, zero-filled over the filter's days (a missing day is 0, not skipped)."""
    where, params = f.where("r")
    frame = con.execute(
        f"""SELECT CAST(r.published_at AS DATE) AS day, r.source, count(*) AS records
            FROM records r WHERE {where} GROUP BY ALL ORDER BY day, r.source""",
        params,
    ).df()
    return _zero_fill(frame, f, ["source"], ["records"])


def daily_sentiment(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str) -> pd.DataFrame:
    """Per day: scored records and the share of each sentiment label with Wilson 95% intervals."""
    cols = ["day", "n", *(f"{lab}{suf}" for lab in ("negative", "neutral", "positive") for suf in ("", "_lo", "_hi"))]
    if not has_table(con, SCORES):
        return pd.DataFrame(columns=cols)
    where, params = f.where("r")
    frame = con.execute(
        f"""SELECT CAST(r.published_at AS DATE) AS day, count(*) AS n,
                   count(*) FILTER (WHERE s.label = 'negative') AS k_negative,
                   count(*) FILTER (WHERE s.label = 'neutral') AS k_neutral,
                   count(*) FILTER (WHERE s.label = 'positive') AS k_positive
            FROM records r JOIN scores s ON s.source = r.source AND s.id = r.id AND s.model_version = ?
            WHERE {where} GROUP BY ALL ORDER BY day""",
        [model_version, *params],
    ).df()
    frame = _zero_fill(frame, f, [], ["n", "k_negative", "k_neutral", "k_positive"])
    for label in ("negative", "neutral", "positive"):
        k, n = frame[f"k_{label}"].to_numpy(), frame["n"].to_numpy()
        lo, hi = wilson_interval(k, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            frame[label] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
        frame[f"{label}_lo"], frame[f"{label}_hi"] = lo, hi
    return frame[cols]


def wilson_interval(k: Any, n: Any, z: float = 1.959964) -> tuple[Any, Any]:
    """Wilson score interval for k successes in n trials (arrays or scalars); NaN where n == 0."""
    k_arr, n_arr = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k_arr / n_arr
        denom = 1 + z**2 / n_arr
        centre = (p + z**2 / (2 * n_arr)) / denom
        half = z * np.sqrt(p * (1 - p) / n_arr + z**2 / (4 * n_arr**2)) / denom
        lo, hi = np.where(n_arr > 0, centre - half, np.nan), np.where(n_arr > 0, centre + half, np.nan)
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a table or view of that name exists."""
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()[0] > 0


def _zero_fill(frame: pd.DataFrame, f: Filters, keys: list[str], values: list[str]) -> pd.DataFrame:
    days = f.days() or sorted(set(frame["day"]))
    if not days:
        return frame
    index_parts: list[Any] = [pd.to_datetime(pd.Series(days)).dt.date.unique()]
    names = ["day"]
    for key in keys:
        index_parts.append(sorted(frame[key].dropna().unique()) or [])
        names.append(key)
    if any(len(p) == 0 for p in index_parts):
        return frame.iloc[0:0]
    full = pd.MultiIndex.from_product(index_parts, names=names)
    frame = frame.assign(day=pd.to_datetime(frame["day"]).dt.date).set_index(names)
    frame = frame[values].reindex(full, fill_value=0).reset_index()
    return frame
