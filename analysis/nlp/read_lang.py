"""A record's language as the models read it, for every view that shows, filters, groups or exports records by
language: `lang` is the language it is read in, `declared_lang` the collector's.

A collector stores the language its source declares (Bluesky `langs`, Mastodon `language`, GDELT's source language;
detected from the text where none is), which names the poster's app as often as the post: a Spanish post declared
"en" is not read (no sentiment, stance or emotion), and a Chinese one declared "en" is scored by the Chinese model.
Filtered and counted by the declaration, either would sit under English. So views read the record's newest
annotation's language (`analysis.nlp.sentiment.reading_langs`, as enrichment stored it), and for a record not yet
enriched the same rule on its text, in SQL and Arrow (collectors.lang.record_langs), never per row in Python.
"""

from __future__ import annotations

import duckdb

from analysis.core.annotations import annotations_scan
from analysis.nlp.sentiment import READ_LANGS
from collectors.lang import record_langs

DECLARED_LANG = "declared_lang"
_DECLARED_VIEW = "records_declared"  # the connection's records as the store gives them, once `use_read_langs` ran


def read_records_sql(con: duckdb.DuckDBPyConnection, records: str = "records") -> str:
    """SQL for the relation `records` with `lang` the language each record is read in (ISO 639-1, or NULL where none
    names it: 'und', or no letters) and `declared_lang` the one it was stored with."""
    _ensure_record_lang(con)
    modelled = ", ".join(f"'{lang}'" for lang in READ_LANGS)
    # reading_langs: a declaration decides only where it is neither Chinese nor English; else the text does
    by_text = (f"CASE WHEN r.lang IS NOT NULL AND substr(r.lang, 1, 2) NOT IN ({modelled}) THEN r.lang "
               "ELSE record_lang(r.text, r.title) END")
    scan = annotations_scan(con)
    if scan is None:
        return f"SELECT r.* REPLACE ({by_text} AS lang), r.lang AS {DECLARED_LANG} FROM {records} r"
    return (f"SELECT r.* REPLACE (CASE WHEN a.source IS NULL THEN {by_text} ELSE nullif(a.lang, 'und') END AS lang), "
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
                       "AND table_name = 'records'").fetchone()[0]
    con.execute(f"ALTER {'VIEW' if kind == 'VIEW' else 'TABLE'} records RENAME TO {_DECLARED_VIEW}")
    con.execute(f"CREATE VIEW records AS {read_records_sql(con, _DECLARED_VIEW)}")
    return con


def _ensure_record_lang(con: duckdb.DuckDBPyConnection) -> None:
    """The `record_lang(text, title)` SQL function (the store registers it on its connections; a snapshot's lacks it)."""
    found = con.execute("SELECT count(*) FROM duckdb_functions() WHERE function_name = 'record_lang'").fetchone()[0]
    if not found:
        con.create_function("record_lang", record_langs, ["VARCHAR", "VARCHAR"], "VARCHAR", type="arrow",
                            null_handling="special")
