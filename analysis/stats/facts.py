"""Pre-aggregated counts of records (and of scored records) per day, source, language, kind and tracker.

A reader that builds a snapshot once (the dashboard) calls `create_facts` and then every volume, sentiment
and KPI question that filters only on those dimensions is a sum over a few thousand rows instead of a scan
of every record: the same numbers (exact counts), whatever the store's size. Queries check `has_facts` and
fall back to the records themselves where the tables are absent (a plain `Store.connect()`).

  facts_records  day, source, lang, kind, tracker, synthetic -> n, first_at, last_at
  facts_scores   day, source, lang, kind, tracker, model_version, label -> n
  facts_authors  tracker, source, author (an integer per source + author id/name) -> first_day, last_day, days
                 (the days the author wrote on); answers "authors" for filters without languages or kinds
  facts_author_scores  day, source, lang, kind, tracker, model_version, author (as above; NULL: no author named)
                 -> n scored, k_<label> of each label; the per-author sums of analysis.stats.clustered's share
                 intervals (the daily bands' as well as the share negative's)

Two small tables answer those per-author sums for the views without languages or kinds chosen (every counted kind,
every language), whose per-author grouping of facts_author_scores (nearly a row per record) cost seconds at 10M. An
author key names its source, so a source never splits an author and only days do; for an author i with n_id scored
records on day d, a set of days S has Σ_i n_iS² = Σ_{d,d' in S} Σ_i n_id·n_id' and the authors active in S are those
with a day in S whose previous day of activity lies before S:
  facts_author_days   tracker, model_version, source, day, prev_day (the author's previous scored day; NULL for the
                 first, and for records naming no author) -> authors, n, k_<label>
  facts_author_pairs  tracker, model_version, source, day, other_day (days one author has both scored records on)
                 -> nn = Σ n_id·n_id', kk_<label> = Σ k_id·k_id', kn_<label> = Σ k_id·n_id' (records naming no author:
                 on their own day only, each its own cluster: n, k and k)

The most-shared records of a day (a peak's label and top record) are read from the view that pseudonymises them, asked
only for rows at least as shared as the `limit`-th one (analysis.stats.peaks); finding that floor was a sort of the
day's records (~950,000 rows on a peak day at 10M). Within each group of the facts' dimensions, the floor can only
come from the group's TOP_SHARED most-shared records, so those suffice:
  facts_top_shared  day, source, lang, kind, tracker, shares, likes (NULL read as 0) -> n (of the group's TOP_SHARED
                 records ranked highest by shares, then likes, how many have these counts)
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from analysis.core.filters import Filters
from analysis.core.scores import LABELS, SCORES
from analysis.core.tables import has_table
from collectors.models import COUNTED_KINDS

FACTS_RECORDS, FACTS_SCORES, FACTS_AUTHORS = "facts_records", "facts_scores", "facts_authors"
FACTS_AUTHOR_SCORES = "facts_author_scores"
FACTS_AUTHOR_DAYS, FACTS_AUTHOR_PAIRS = "facts_author_days", "facts_author_pairs"
FACTS_TOP_SHARED = "facts_top_shared"
TOP_SHARED = 500  # records kept per group: the floor of any union of groups' `limit` most shared, for limit ≤ this
_DIMENSIONS = "day, source, lang, kind, tracker"
# one row per record and tracker it names (once each); a record naming none cannot match a tracker filter
_PER_TRACKER = ("SELECT CAST(published_at AS DATE) AS day, source, lang, kind, unnest(list_distinct(trackers)) AS tracker, "
                "{columns} FROM records")


def author_key(alias: str = "") -> str:
    """SQL for one author's key: source + 'i:' id or 'n:' name (an id and a name never collide); NULL if neither."""
    a = f"{alias}." if alias else ""
    return f"{a}source || ':' || coalesce('i:' || {a}author_id, 'n:' || {a}author_name)"


# the author as kpis counts them, as an integer
_AUTHOR = author_key()
_AUTHOR_IDS = "temp.facts_author_ids"


def create_facts(con: duckdb.DuckDBPyConnection, schema: str = "main") -> None:
    """Write the facts tables into `schema` from the connection's `records` (and `scores`) tables or views."""
    per_tracker = _PER_TRACKER.format(columns="id, synthetic, published_at")
    con.execute(f"""CREATE TABLE {schema}.{FACTS_RECORDS} AS
        SELECT {_DIMENSIONS}, synthetic, count(*) AS n, min(published_at) AS first_at, max(published_at) AS last_at
        FROM ({per_tracker}) GROUP BY ALL ORDER BY day""")
    top = _PER_TRACKER.format(columns="coalesce(shares, 0) AS shares, coalesce(likes, 0) AS likes")
    con.execute(f"""CREATE TABLE {schema}.{FACTS_TOP_SHARED} AS
        SELECT {_DIMENSIONS}, shares, likes, count(*) AS n FROM (SELECT * FROM ({top})
            QUALIFY row_number() OVER (PARTITION BY {_DIMENSIONS} ORDER BY shares DESC, likes DESC) <= {TOP_SHARED})
        GROUP BY ALL ORDER BY day""")
    # an integer per author, numbered once for both author tables (temporary: not kept)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {_AUTHOR_IDS} AS SELECT name, CAST(row_number() OVER () AS INTEGER)
        AS author FROM (SELECT DISTINCT {_AUTHOR} AS name FROM records WHERE {_AUTHOR} IS NOT NULL)""")
    con.execute(f"""CREATE TABLE {schema}.{FACTS_AUTHORS} AS
        WITH authors AS (SELECT * FROM {_AUTHOR_IDS})
        SELECT tracker, source, author, min(day) AS first_day, max(day) AS last_day, list(DISTINCT day) AS days
        FROM ({_PER_TRACKER.format(columns=f"{_AUTHOR} AS name")}) r JOIN authors a USING (name)
        GROUP BY ALL ORDER BY tracker, source""")
    if has_table(con, SCORES):
        dims = ", ".join(f"r.{c}" for c in _DIMENSIONS.split(", "))
        con.execute(f"""CREATE TABLE {schema}.{FACTS_SCORES} AS
            SELECT {dims}, s.model_version, s.label, count(*) AS n
            FROM ({_PER_TRACKER.format(columns="id")}) r JOIN {SCORES} s ON s.source = r.source AND s.id = r.id
            GROUP BY ALL ORDER BY day""")
        # records naming no author: author NULL (analysis.stats.clustered counts each as an author of its own)
        label_counts = ", ".join(f"count(*) FILTER (WHERE s.label = '{lab}') AS k_{lab}" for lab in LABELS)
        con.execute(f"""CREATE TABLE {schema}.{FACTS_AUTHOR_SCORES} AS
            WITH authors AS (SELECT * FROM {_AUTHOR_IDS})
            SELECT {dims}, s.model_version, a.author, count(*) AS n, {label_counts}
            FROM ({_PER_TRACKER.format(columns=f"id, {_AUTHOR} AS name")}) r
            JOIN {SCORES} s ON s.source = r.source AND s.id = r.id LEFT JOIN authors a USING (name)
            GROUP BY ALL ORDER BY day""")
        _create_author_day_facts(con, schema)
    con.execute(f"DROP TABLE {_AUTHOR_IDS}")


_PER_AUTHOR_DAY = "temp.facts_per_author_day"


def _create_author_day_facts(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """facts_author_days and facts_author_pairs, from facts_author_scores' counted kinds (see the module's note)."""
    kinds = ", ".join(f"'{kind}'" for kind in COUNTED_KINDS)
    labels = [f"k_{lab}" for lab in LABELS]
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {_PER_AUTHOR_DAY} AS
        SELECT tracker, model_version, source, author, day, sum(n) AS n, {', '.join(f'sum({k}) AS {k}' for k in labels)}
        FROM {schema}.{FACTS_AUTHOR_SCORES} WHERE kind IN ({kinds}) GROUP BY ALL""")
    keys = "tracker, model_version, source"
    con.execute(f"""CREATE TABLE {schema}.{FACTS_AUTHOR_DAYS} AS
        SELECT {keys}, day, prev_day, CAST(sum(CASE WHEN author IS NULL THEN n ELSE 1 END) AS BIGINT) AS authors,
               CAST(sum(n) AS BIGINT) AS n, {', '.join(f'CAST(sum({k}) AS BIGINT) AS {k}' for k in labels)}
        FROM (SELECT *, CASE WHEN author IS NOT NULL THEN lag(day) OVER (PARTITION BY {keys}, author ORDER BY day)
                        END AS prev_day FROM {_PER_AUTHOR_DAY})
        GROUP BY ALL ORDER BY {keys}, day""")
    pairs = ["nn", *(f"kk_{lab}" for lab in LABELS), *(f"kn_{lab}" for lab in LABELS)]
    exprs = ["a.n * b.n", *(f"a.k_{lab} * b.k_{lab}" for lab in LABELS), *(f"a.k_{lab} * b.n" for lab in LABELS)]
    products = ", ".join(f"{e} AS {c}" for e, c in zip(exprs, pairs, strict=True))
    unnamed = ", ".join(["n", *(f"k_{lab}" for lab in LABELS), *(f"k_{lab}" for lab in LABELS)])  # clusters of one
    sums = ", ".join(f"CAST(sum({c}) AS BIGINT) AS {c}" for c in pairs)
    con.execute(f"""CREATE TABLE {schema}.{FACTS_AUTHOR_PAIRS} AS
        SELECT {keys}, day, other_day, {sums} FROM (
            SELECT a.tracker, a.model_version, a.source, a.day, b.day AS other_day, {products}
            FROM {_PER_AUTHOR_DAY} a JOIN {_PER_AUTHOR_DAY} b
              ON a.tracker = b.tracker AND a.model_version = b.model_version AND a.source = b.source
             AND a.author = b.author
            UNION ALL
            SELECT {keys}, day, day AS other_day, {unnamed} FROM {_PER_AUTHOR_DAY} WHERE author IS NULL)
        GROUP BY ALL ORDER BY {keys}, day""")
    con.execute(f"DROP TABLE {_PER_AUTHOR_DAY}")


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
    for column, values in (("source", f.sources), ("lang", f.langs), ("kind", f.kind_values())):
        if values:
            clauses.append(f"{alias}.{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
    return " AND ".join(clauses), params


def record_count(con: duckdb.DuckDBPyConnection, f: Filters) -> int | None:
    """How many records match `f`, from the facts table; None when the connection has no facts."""
    if not has_facts(con):
        return None
    clause, params = where(f, "x")
    return int(con.execute(f"SELECT coalesce(sum(x.n), 0) FROM {FACTS_RECORDS} x WHERE {clause}", params).fetchone()[0])


def shared_floor(con: duckdb.DuckDBPyConnection, f: Filters, limit: int) -> tuple[int, int] | None | bool:
    """The (shares, likes) of the `limit`-th most shared record matching `f` (NULL counts as 0), None when fewer
    match; False when the facts cannot say (no facts_top_shared, or `limit` above TOP_SHARED).

    Exact: any record among the `limit` most shared of a union of groups is among its own group's `limit` most
    shared, and a group cut short at TOP_SHARED holds `limit` records at or above the floor on its own."""
    if limit > TOP_SHARED or limit < 1 or not has_table(con, FACTS_TOP_SHARED):
        return False
    clause, params = where(f, "x")
    row = con.execute(f"""SELECT shares, likes FROM (
            SELECT x.shares, x.likes, sum(sum(x.n)) OVER (ORDER BY x.shares DESC, x.likes DESC) AS reached
            FROM {FACTS_TOP_SHARED} x WHERE {clause} GROUP BY x.shares, x.likes)
        WHERE reached >= ? ORDER BY shares DESC, likes DESC LIMIT 1""", [*params, limit]).fetchone()
    return None if row is None else (int(row[0]), int(row[1]))


def author_count(con: duckdb.DuckDBPyConnection, f: Filters) -> int | None:
    """Distinct authors of the records matching `f` (as `kpis` counts them); None if the facts cannot say."""
    if not has_facts(con) or f.langs or f.kinds:
        return None
    clauses, params = ["x.tracker = ?"], [f.tracker]
    if f.sources:
        clauses.append(f"x.source IN ({', '.join('?' for _ in f.sources)})")
        params.extend(f.sources)
    start, end = f.start or _MIN_DAY, f.end or _MAX_DAY
    # an author whose days all lie in the window counts at once; one straddling its edge counts if any day is inside
    clauses.append("x.last_day >= ? AND x.first_day <= ? AND ((x.first_day >= ? AND x.last_day <= ?) "
                   "OR len(list_filter(x.days, lambda d: d >= ? AND d <= ?)) > 0)")
    params.extend([start, end, start, end, start, end])
    sql = f"SELECT count(*) FROM {FACTS_AUTHORS} x WHERE {' AND '.join(clauses)}"
    return int(con.execute(sql, params).fetchone()[0])


_MIN_DAY, _MAX_DAY = date(1, 1, 1), date(9999, 12, 31)
