"""The numbers the Overview shows: KPIs, daily volume by source and daily sentiment shares with 95% CIs."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from analysis.core.filters import Filters
from analysis.core.scores import SCORES
from analysis.core.tables import has_table
from analysis.stats import facts
from analysis.stats.timeseries import sentiment_series, volume_series, wilson_interval

__all__ = ["daily_sentiment", "daily_volume", "has_table", "kpis", "wilson_interval"]


_AUTHORS = f"count(DISTINCT {facts.author_key('r')})"


def _authors(records: int, authors: int) -> int | None:
    """The author count, or None (unknown, not 0) when there are records and none names its author."""
    return None if records and not authors else int(authors)


def kpis(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str | None = None) -> dict[str, Any]:
    """Records, distinct authors (None if unknown), synthetic share and (if scored) the share negative with its 95% CI."""
    if facts.has_facts(con):
        return _kpis_from_facts(con, f, model_version)
    where, params = f.where("r")
    row = con.execute(
        f"""SELECT count(*), {_AUTHORS},
                   coalesce(avg(CAST(r.synthetic AS INTEGER)), 0), min(r.published_at), max(r.published_at)
            FROM records r WHERE {where}""",
        params,
    ).fetchone()
    out: dict[str, Any] = {"records": int(row[0]), "authors": _authors(int(row[0]), int(row[1])), "synthetic_share": float(row[2]),
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


def _kpis_from_facts(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str | None) -> dict[str, Any]:
    """`kpis` from the pre-aggregated facts tables (same numbers; see analysis.stats.facts)."""
    where, params = facts.where(f, "x")
    records, synthetic, first, last = con.execute(
        f"""SELECT CAST(coalesce(sum(x.n), 0) AS BIGINT), CAST(coalesce(sum(x.n) FILTER (WHERE x.synthetic), 0) AS BIGINT),
                   min(x.first_at), max(x.last_at) FROM {facts.FACTS_RECORDS} x WHERE {where}""", params).fetchone()
    authors = facts.author_count(con, f)
    if authors is None:  # languages or kinds chosen: the author table does not hold them
        rwhere, rparams = f.where("r")
        authors = con.execute(f"SELECT {_AUTHORS} FROM records r WHERE {rwhere}", rparams).fetchone()[0]
    out: dict[str, Any] = {"records": int(records), "authors": _authors(int(records), int(authors)),
                           "synthetic_share": synthetic / records if records else 0.0, "first": first, "last": last,
                           "share_negative": None, "share_negative_ci": None, "scored": 0}
    if model_version and facts.has_facts(con, scores=True):
        neg, n = con.execute(
            f"""SELECT CAST(coalesce(sum(x.n) FILTER (WHERE x.label = 'negative'), 0) AS BIGINT),
                       CAST(coalesce(sum(x.n), 0) AS BIGINT)
                FROM {facts.FACTS_SCORES} x WHERE {where} AND x.model_version = ?""", [*params, model_version]).fetchone()
        out["scored"] = int(n)
        if n:
            out["share_negative"] = neg / n
            out["share_negative_ci"] = wilson_interval(int(neg), int(n))
    return out


def daily_volume(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Records per day and source, zero-filled over the filter's days (a missing day is 0, not skipped)."""
    return volume_series(con, f, by="source").rename(columns={"period": "day"})


def daily_sentiment(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str) -> pd.DataFrame:
    """Per day: scored records and the share of each sentiment label with Wilson 95% intervals."""
    return sentiment_series(con, f, model_version).rename(columns={"period": "day"})
