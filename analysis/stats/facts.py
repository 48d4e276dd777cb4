"""Pre-aggregated counts of records (and of scored records) per day, source, language, kind and tracker.

A reader that builds a snapshot once (the dashboard) calls `create_facts` and then every volume, sentiment
and KPI question that filters only on those dimensions is a sum over a few thousand rows instead of a scan
of every record: the same numbers (exact counts), whatever the store's size. Queries check `has_facts` and
fall back to the records themselves where the tables are absent (a plain `Store.connect()`).

  facts_records  day, source, lang, kind, tracker, synthetic -> n, first_at, last_at
  facts_scores   day, source, lang, kind, tracker, model_version, label -> n
  facts_authors  day, source, lang, kind, tracker, author (an integer per source + author id/name), distinct
"""

from __future__ import annotations

from typing import Any

import duckdb

from analysis.core.filters import Filters
from analysis.core.scores import SCORES
from analysis.core.tables import has_table

FACTS_RECORDS, FACTS_SCORES, FACTS_AUTHORS = "facts_records", "facts_scores", "facts_authors"
_DIMENSIONS = "day, source, lang, kind, tracker"
# one row per record and tracker it names (once each); a record naming none cannot match a tracker filter
_PER_TRACKER = ("SELECT CAST(published_at AS DATE) AS day, source, lang, kind, unnest(list_distinct(trackers)) AS tracker, "
                "{columns} FROM records")
# the author as kpis counts them (source || ':' || author id or name; NULL when neither is known), as an integer
_AUTHOR = "source || ':' || coalesce(author_id, author_name)"


def create_facts(con: duckdb.DuckDBPyConnection, schema: str = "main") -> None:
    """Write the facts tables into `schema` from the connection's `records` (and `scores`) tables or views."""
    per_tracker = _PER_TRACKER.format(columns="id, synthetic, published_at")
    con.execute(f"""CREATE TABLE {schema}.{FACTS_RECORDS} AS
        SELECT {_DIMENSIONS}, synthetic, count(*) AS n, min(published_at) AS first_at, max(published_at) AS last_at
        FROM ({per_tracker}) GROUP BY ALL ORDER BY day""")
    con.execute(f"""CREATE TABLE {schema}.{FACTS_AUTHORS} AS
        WITH authors AS (SELECT name, CAST(row_number() OVER () AS INTEGER) AS author
                         FROM (SELECT DISTINCT {_AUTHOR} AS name FROM records WHERE {_AUTHOR} IS NOT NULL))
        SELECT DISTINCT {_DIMENSIONS}, a.author
        FROM ({_PER_TRACKER.format(columns=f"{_AUTHOR} AS name")}) r JOIN authors a USING (name) ORDER BY day""")
    if has_table(con, SCORES):
        con.execute(f"""CREATE TABLE {schema}.{FACTS_SCORES} AS
            SELECT {', '.join(f'r.{c}' for c in _DIMENSIONS.split(', '))}, s.model_version, s.label, count(*) AS n
            FROM ({_PER_TRACKER.format(columns="id")}) r JOIN {SCORES} s ON s.source = r.source AND s.id = r.id
            GROUP BY ALL ORDER BY day""")


def has_facts(con: duckdb.DuckDBPyConnection, scores: bool = False) -> bool:
    """Whether the connection holds the facts tables (with `scores`: the scored-records table too)."""
    return has_table(con, FACTS_RECORDS) and (not scores or has_table(con, FACTS_SCORES))


def where(f: Filters, alias: str = "x") -> tuple[str, list[Any]]:
    """`Filters.where` for a facts table: the same conditions on its day/source/lang/kind/tracker columns."""
    clauses, params = [f"{alias}.tracker = ?"], [f.tracker]
    if f.start:
        clauses.append(f"{alias}.day >= ?")
        params.append(f.start)
    if f.end:
        clauses.append(f"{alias}.day <= ?")
        params.append(f.end)
    for column, values in (("source", f.sources), ("lang", f.langs), ("kind", f.kinds)):
        if values:
            clauses.append(f"{alias}.{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
    return " AND ".join(clauses), params
