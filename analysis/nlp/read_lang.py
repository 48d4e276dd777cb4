"""A record's language as the models read it, for every view that shows, filters, groups or exports records by
language: `lang` is the language it is read in, `declared_lang` the collector's.

A collector stores the language its source declares (Bluesky `langs`, Mastodon `language`, GDELT's source language;
detected from the text where none is), which names the poster's app as often as the post: a Spanish post declared
"en" is not read (no sentiment, stance or emotion), and a Chinese one declared "en" is scored by the Chinese model.
Filtered and counted by the declaration, either would sit under English. So views read the language enrichment
stored in the record's newest annotation (`analysis.nlp.sentiment.reading_langs`). A record not yet enriched keeps
its stored language until enrichment reads it: detecting it again at every snapshot build would cost minutes on a
10M-record store (collectors.lang reads ~50k texts a second), for records that have no score to disagree with yet.
"""

from __future__ import annotations

import duckdb

from analysis.core.annotations import annotations_scan

DECLARED_LANG = "declared_lang"
_DECLARED_VIEW = "records_declared"  # the connection's records as the store gives them, once `use_read_langs` ran


def read_records_sql(con: duckdb.DuckDBPyConnection, records: str = "records") -> str:
    """SQL for the relation `records` with `lang` the language each record is read in (ISO 639-1, or NULL where none
    names it: 'und', or no letters) and `declared_lang` the one it was stored with."""
    scan = annotations_scan(con)
    if scan is None:
        return f"SELECT r.*, r.lang AS {DECLARED_LANG} FROM {records} r"
    # 'und': letters of a script written for several languages, so none to filter by; no language in the annotation
    # (emoji alone, or an annotation imported from a bundle without one) leaves the stored one
    return (f"SELECT r.* REPLACE (CASE WHEN a.lang = 'und' THEN NULL ELSE coalesce(a.lang, r.lang) END AS lang), "
            f"r.lang AS {DECLARED_LANG} FROM {records} r "
            f"LEFT JOIN (SELECT source, id, lang FROM {scan}) a ON a.source = r.source AND a.id = r.id")


def use_read_langs(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Make the connection's `records` (and so `records_public`, built on it) read languages (`read_records_sql`);
    the store's own stay as `records_declared`. Once per connection; returns it."""
    tables = {name for (name,) in con.execute("SELECT table_name FROM information_schema.tables "
                                               "WHERE table_schema = 'main'").fetchall()}
    if "records" not in tables or _DECLARED_VIEW in tables:
        return con
    kind = con.execute("SELECT table_type FROM information_schema.tables WHERE table_schema = 'main' "
                       "AND table_name = 'records'").fetchall()[0][0]
    con.execute(f"ALTER {'VIEW' if kind == 'VIEW' else 'TABLE'} records RENAME TO {_DECLARED_VIEW}")
    con.execute(f"CREATE VIEW records AS {read_records_sql(con, _DECLARED_VIEW)}")
    return con
