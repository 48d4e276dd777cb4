"""Pre-aggregated counts of records (and of scored records) per day, source, language, kind and tracker.

A reader that builds a snapshot once (the dashboard) calls `create_facts` and then every volume, sentiment
and KPI question that filters only on those dimensions is a sum over a few thousand rows instead of a scan
of every record: the same numbers (exact counts), whatever the store's size. Queries check `has_facts` and
fall back to the records themselves where the tables are absent (a plain `Store.connect()`).

  facts_records  day, source, lang, kind, tracker, synthetic -> n, first_at, last_at
  facts_scores   day, source, lang, kind, tracker, model_version, label -> n
  facts_authors  tracker, source, lang_scope ('*': every language, else one), author (an integer per source + author
                 id/name) -> first_day, last_day, days (the days the author wrote on, in that language, of the counted
                 kinds); answers "authors" for filters without kinds and with at most one language
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
Both also carry lang_scope: '*' for every language, else one language, whose rows count only that language's records
(an author's days in it, its previous day in it), so a view of one language is summed as one of all (several languages
chosen still group per author). The stance and emotion bands have the same pair of tables, from each record's newest
annotation (analysis.core.annotations) with its stance or emotion class as the label (k_<class>, '-' written '_'),
without model_version, over the kinds each counts (stance: social posts, emotion: every counted kind), and with pairs
of days in one ISO week only: they answer daily and weekly bands, not a whole view's share:
  facts_stance_days, facts_stance_pairs, facts_emotion_days, facts_emotion_pairs

The most-shared records of a day (a peak's label and top record) are read from the view that pseudonymises them, asked
only for rows at least as shared as the `limit`-th one (analysis.stats.peaks); finding that floor was a sort of the
day's records (~950,000 rows on a peak day at 10M). Within each group of the facts' dimensions, the floor can only
come from the group's TOP_SHARED most-shared records, so those suffice:
  facts_top_shared  day, source, lang, kind, tracker, shares, likes (NULL read as 0) -> n (of the group's TOP_SHARED
                 records ranked highest by shares, then likes, how many have these counts)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from analysis.core.annotations import ANNOTATIONS, annotations_scan
from analysis.core.filters import Filters
from analysis.core.scores import LABELS, SCORES
from analysis.core.tables import has_table
from analysis.nlp.tasks import EMOTION
from collectors.models import COUNTED_KINDS, SOCIAL_KINDS
from collectors.trackers import STANCES

FACTS_RECORDS, FACTS_SCORES, FACTS_AUTHORS = "facts_records", "facts_scores", "facts_authors"
FACTS_AUTHOR_SCORES = "facts_author_scores"
FACTS_TOP_SHARED = "facts_top_shared"
ALL_LANGS = "*"  # lang_scope of the author-day facts' rows counting every language


@dataclass(frozen=True)
class AuthorDayFacts:
    """One task's author-day facts: its two tables, its labels, the kinds it counts, whether rows name a
    model_version, and whether its pairs hold any two days (a whole view's sums) or only two of one ISO week."""

    days: str
    pairs: str
    labels: tuple[str, ...]
    kinds: tuple[str, ...]
    versioned: bool
    any_days: bool


AUTHOR_DAY_FACTS = {
    "sentiment": AuthorDayFacts("facts_author_days", "facts_author_pairs", LABELS, COUNTED_KINDS, True, True),
    "stance": AuthorDayFacts("facts_stance_days", "facts_stance_pairs", STANCES, SOCIAL_KINDS, False, False),
    "emotion": AuthorDayFacts("facts_emotion_days", "facts_emotion_pairs", EMOTION.classes, COUNTED_KINDS, False, False),
}


def label_column(label: str) -> str:
    """A label's name in the facts' column names (k_<this>): 'deny-involvement' as deny_involvement."""
    return label.replace("-", "_")


TOP_SHARED = 500  # records kept per group: the floor of any union of groups' `limit` most shared, for limit ≤ this
_DIMENSIONS = "day, source, lang, kind, tracker"
# one row per record and tracker it names (once each); a record naming none cannot match a tracker filter
_PER_TRACKER = ("SELECT CAST(published_at AS DATE) AS day, source, lang, kind, unnest(list_distinct(trackers)) AS tracker, "
                "{columns} FROM records")


def emotion_spellings(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(stored value, emotion class) for each distinct emotion the annotations hold that names a class ('happy' as
    joy); empty when none does or the annotations have no emotion column."""
    if not has_table(con, ANNOTATIONS) or "emotion" not in {row[0] for row in con.execute(f"DESCRIBE {ANNOTATIONS}").fetchall()}:
        return []
    return [(raw, EMOTION.classes[i]) for (raw,) in con.execute(
        f"SELECT DISTINCT emotion FROM {ANNOTATIONS} WHERE emotion IS NOT NULL").fetchall()
        if (i := EMOTION.index(str(raw))) is not None]


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
    days = "author, min(day) AS first_day, max(day) AS last_day, list(DISTINCT day) AS days"
    counted = ", ".join(f"'{kind}'" for kind in COUNTED_KINDS)  # what a view without kinds counts (kind_values)
    con.execute(f"""CREATE TABLE {schema}.{FACTS_AUTHORS} AS
        WITH authors AS (SELECT * FROM {_AUTHOR_IDS}),
             cells AS (SELECT r.tracker, r.source, r.lang, r.day, a.author
                       FROM ({_PER_TRACKER.format(columns=f"{_AUTHOR} AS name")}) r JOIN authors a USING (name)
                       WHERE r.kind IN ({counted})),
        SELECT * FROM (SELECT tracker, source, '{ALL_LANGS}' AS lang_scope, {days} FROM cells GROUP BY ALL
                       UNION ALL
                       SELECT tracker, source, lang AS lang_scope, {days} FROM cells WHERE lang IS NOT NULL GROUP BY ALL)
        ORDER BY tracker, source""")
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
        _create_author_day_facts(con, schema, "sentiment")
    _create_annotation_facts(con, schema)
    con.execute(f"DROP TABLE {_AUTHOR_IDS}")


_PER_AUTHOR_DAY = "temp.facts_per_author_day"


_ANNOTATED = "temp.facts_annotated"


def _create_annotation_facts(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """The stance and emotion author-day facts, from each record's newest annotation (see the module's note); none for
    a task whose values the bands would not all show as classes: a stance outside STANCES (the bands then keep it as
    a key of its own, read from the records), or no emotion naming a class."""
    scan = annotations_scan(con)
    if scan is None:
        return
    stances = ", ".join(f"'{s}'" for s in STANCES)
    unknown = con.execute(f"SELECT EXISTS (SELECT 1 FROM {ANNOTATIONS} WHERE stance IS NOT NULL "
                          f"AND stance NOT IN ({stances}))").fetchone()[0]
    known = emotion_spellings(con)
    tasks = [*([] if unknown else ["stance"]), *(["emotion"] if known else [])]
    if not tasks:
        return
    # (a VALUES list cannot be empty: a row matching nothing when no emotion names a class)
    values = ", ".join(f"({_literal(raw)}, {_literal(cls)})" for raw, cls in known or [(None, None)])
    # each annotated record and tracker once, with its author's number, for both tasks (the newest annotation found once)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {_ANNOTATED} AS
        WITH authors AS (SELECT * FROM {_AUTHOR_IDS})
        SELECT r.tracker, r.source, r.lang, r.kind, r.day, a.author, k.stance, e.emotion
        FROM ({_PER_TRACKER.format(columns=f"id, {_AUTHOR} AS name")}) r
        JOIN (SELECT source, id, stance, emotion FROM {scan}) k USING (source, id)
        LEFT JOIN (VALUES {values}) AS e(raw, emotion) ON e.raw = k.emotion
        LEFT JOIN authors a USING (name)
        WHERE k.stance IS NOT NULL OR e.emotion IS NOT NULL""")
    for task in tasks:
        _create_author_day_facts(con, schema, task)
    con.execute(f"DROP TABLE {_ANNOTATED}")


def _literal(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def _annotation_per_author_day(task: str) -> str:
    """SQL of (tracker, source, lang, author, day, n, k_<label>…) over the task's kinds, from the annotated records
    (`_ANNOTATED`, whose column named as the task holds each record's class)."""
    spec = AUTHOR_DAY_FACTS[task]
    kinds = ", ".join(f"'{kind}'" for kind in spec.kinds)
    counts = ", ".join(f"count(*) FILTER (WHERE {task} = '{lab}') AS k_{label_column(lab)}" for lab in spec.labels)
    return (f"SELECT tracker, source, lang, author, day, count(*) AS n, {counts} FROM {_ANNOTATED} "
            f"WHERE kind IN ({kinds}) AND {task} IS NOT NULL GROUP BY ALL")


def _create_author_day_facts(con: duckdb.DuckDBPyConnection, schema: str, task: str) -> None:
    """One task's author-day facts (AUTHOR_DAY_FACTS; see the module's note): sentiment's from facts_author_scores'
    counted kinds, stance's and emotion's from the annotated records (`_annotation_per_author_day`)."""
    spec = AUTHOR_DAY_FACTS[task]
    labels = [f"k_{label_column(lab)}" for lab in spec.labels]
    if spec.versioned:
        kinds = ", ".join(f"'{kind}'" for kind in spec.kinds)
        source = (f"SELECT tracker, model_version, source, lang, author, day, n, {', '.join(labels)} "
                  f"FROM {schema}.{FACTS_AUTHOR_SCORES} WHERE kind IN ({kinds})")
    else:
        source = _annotation_per_author_day(task)
    keys = "tracker, model_version, source, lang_scope" if spec.versioned else "tracker, source, lang_scope"
    outer = keys.replace(", lang_scope", "")
    sums = f"sum(n) AS n, {', '.join(f'sum({k}) AS {k}' for k in labels)}"
    # every language, and each language on its own (a record naming none is in the first only)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {_PER_AUTHOR_DAY} AS
        WITH cells AS ({source})
        SELECT {outer}, '{ALL_LANGS}' AS lang_scope, author, day, {sums} FROM cells GROUP BY ALL
        UNION ALL
        SELECT {outer}, lang AS lang_scope, author, day, {sums} FROM cells WHERE lang IS NOT NULL GROUP BY ALL""")
    con.execute(f"""CREATE TABLE {schema}.{spec.days} AS
        SELECT {keys}, day, prev_day, CAST(sum(CASE WHEN author IS NULL THEN n ELSE 1 END) AS BIGINT) AS authors,
               CAST(sum(n) AS BIGINT) AS n, {', '.join(f'CAST(sum({k}) AS BIGINT) AS {k}' for k in labels)}
        FROM (SELECT *, CASE WHEN author IS NOT NULL THEN lag(day) OVER (PARTITION BY {keys}, author ORDER BY day)
                        END AS prev_day FROM {_PER_AUTHOR_DAY})
        GROUP BY ALL ORDER BY {keys}, day""")
    names = [label_column(lab) for lab in spec.labels]
    pairs = ["nn", *(f"kk_{lab}" for lab in names), *(f"kn_{lab}" for lab in names)]
    exprs = ["a.n * b.n", *(f"a.k_{lab} * b.k_{lab}" for lab in names), *(f"a.k_{lab} * b.n" for lab in names)]
    products = ", ".join(f"{e} AS {c}" for e, c in zip(exprs, pairs, strict=True))
    unnamed = ", ".join(["n", *(f"k_{lab}" for lab in names), *(f"k_{lab}" for lab in names)])  # clusters of one
    totals = ", ".join(f"CAST(sum({c}) AS BIGINT) AS {c}" for c in pairs)
    on = " AND ".join(f"a.{k} = b.{k}" for k in (*keys.split(", "), "author"))
    # the bands of a period need only the pairs within it; a whole view's share (sentiment's) needs any two days
    week = "" if spec.any_days else " AND date_trunc('week', a.day) = date_trunc('week', b.day)"
    con.execute(f"""CREATE TABLE {schema}.{spec.pairs} AS
        SELECT {keys}, day, other_day, {totals} FROM (
            SELECT {', '.join(f'a.{k}' for k in keys.split(', '))}, a.day, b.day AS other_day, {products}
            FROM {_PER_AUTHOR_DAY} a JOIN {_PER_AUTHOR_DAY} b ON {on}{week}
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
    if not has_facts(con) or len(set(f.langs)) > 1 or f.kinds:
        return None
    clauses, params = ["x.tracker = ?", "x.lang_scope = ?"], [f.tracker, f.langs[0] if f.langs else ALL_LANGS]
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
