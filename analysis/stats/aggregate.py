"""The numbers the Overview shows: KPIs, daily volume by source and daily sentiment shares with 95% CIs."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from analysis.core.filters import Filters
from analysis.core.scores import SCORES
from analysis.core.tables import has_table
from analysis.stats import facts
from analysis.stats.clustered import author_sums
from analysis.stats.timeseries import sentiment_series, volume_series, wilson_interval

__all__ = ["daily_sentiment", "daily_volume", "has_table", "kpis", "synthetic_share", "wilson_interval"]


_AUTHORS = f"count(DISTINCT {facts.author_key('r')})"
_SYNTHETIC = "coalesce(avg(CAST(r.synthetic AS INTEGER)), 0)"  # over records
_FACTS_COUNTS = ("CAST(coalesce(sum(x.n), 0) AS BIGINT), CAST(coalesce(sum(x.n) FILTER (WHERE x.synthetic), 0) AS BIGINT)")


def synthetic_share(con: duckdb.DuckDBPyConnection, f: Filters) -> float:
    """The share of the records matching `f` that are synthetic (demo data), as `kpis` gives it, alone: one small
    query where `kpis` also counts authors and scored records."""
    if facts.has_facts(con):
        where, params = facts.where(f, "x")
        records, synthetic = con.execute(f"SELECT {_FACTS_COUNTS} FROM {facts.FACTS_RECORDS} x WHERE {where}",
                                         params).fetchone()
        return synthetic / records if records else 0.0
    where, params = f.where("r")
    return float(con.execute(f"SELECT {_SYNTHETIC} FROM records r WHERE {where}", params).fetchone()[0])


def _authors(records: int, authors: int) -> int | None:
    """The author count, or None (unknown, not 0) when there are records and none names its author."""
    return None if records and not authors else int(authors)


def kpis(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str | None = None) -> dict[str, Any]:
    """Records, distinct authors (None if unknown), synthetic share and (if scored) the share negative with its 95% CI
    (clustered by author; share_negative_deff its design effect)."""
    if facts.has_facts(con):
        return _kpis_from_facts(con, f, model_version)
    where, params = f.where("r")
    row = con.execute(
        f"""SELECT count(*), {_AUTHORS}, {_SYNTHETIC}, min(r.published_at), max(r.published_at)
            FROM records r WHERE {where}""",
        params,
    ).fetchone()
    out: dict[str, Any] = {"records": int(row[0]), "authors": _authors(int(row[0]), int(row[1])), "synthetic_share": float(row[2]),
                           "first": row[3], "last": row[4], **_NO_SHARE}
    if model_version and has_table(con, SCORES):
        out.update(_negative_share(con, f, model_version))
    return out


_NO_SHARE = {"share_negative": None, "share_negative_ci": None, "share_negative_deff": None, "scored": 0}


def _negative_share(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str) -> dict[str, Any]:
    """The share negative with its 95% interval clustered by author (analysis.stats.clustered) and its design
    effect (1: no author has two scored records here, the plain Wilson interval)."""
    sums = author_sums(con, f, model_version)
    if not sums.n:
        return dict(_NO_SHARE)
    return {"share_negative": sums.k / sums.n, "share_negative_ci": sums.wilson(),
            "share_negative_deff": sums.design_effect, "scored": sums.n}


def _kpis_from_facts(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str | None) -> dict[str, Any]:
    """`kpis` from the pre-aggregated facts tables (same numbers; see analysis.stats.facts)."""
    where, params = facts.where(f, "x")
    records, synthetic, first, last = con.execute(
        f"SELECT {_FACTS_COUNTS}, min(x.first_at), max(x.last_at) FROM {facts.FACTS_RECORDS} x WHERE {where}",
        params).fetchone()
    authors = facts.author_count(con, f)
    if authors is None:  # several languages, or kinds, chosen: the author table does not hold them
        rwhere, rparams = f.where("r")
        authors = con.execute(f"SELECT {_AUTHORS} FROM records r WHERE {rwhere}", rparams).fetchone()[0]
    out: dict[str, Any] = {"records": int(records), "authors": _authors(int(records), int(authors)),
                           "synthetic_share": synthetic / records if records else 0.0, "first": first, "last": last,
                           **_NO_SHARE}
    if model_version and facts.has_facts(con, scores=True):
        out.update(_negative_share(con, f, model_version))
    return out


def daily_volume(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Records per day and source, zero-filled over the filter's days (a missing day is 0, not skipped)."""
    return volume_series(con, f, by="source").rename(columns={"period": "day"})


def daily_sentiment(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str) -> pd.DataFrame:
    """Per day: scored records and the share of each sentiment label with Wilson 95% intervals."""
    return sentiment_series(con, f, model_version).rename(columns={"period": "day"})
