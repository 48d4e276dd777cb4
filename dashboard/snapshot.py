"""The dashboard's read-only snapshot of the store: one DuckDB file per store state and display zone, shared by
every session.

Built once per store state and zone (`<data dir>/cache/snapshot-<code>-<signature>.duckdb`, written under a
temporary name and renamed; a build removes the files of older store states, never another zone's file of the same
state), then attached read-only to a small in-memory connection whose memory DuckDB bounds: the
records stay on disk, compressed and sorted by day and source, and only the columns and row groups a query touches are
read. Beside the deduplicated datasets the file holds the pre-aggregated facts tables (analysis.stats.facts),
so volume, sentiment and KPI figures do not scan the records at all. The records' text and title are masked once,
when the file is built (collectors.store.with_public_columns: mentions and profile links, per the trackers' public
names, which the file's name therefore carries); the pseudonymisation key never goes into the file: `records_public`,
which pseudonymises the authors, is created in memory on each connection.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable
from pathlib import Path

import duckdb

from analysis.nlp.read_lang import read_records_sql
from analysis.stats.facts import create_facts
from collectors.display_zone import set_session_zone, zone_name
from collectors.models import RECORD_SCHEMA, TREND_SCHEMA
from collectors.store import (
    PUBLIC_COLUMNS,
    RECORDS,
    VERIFIED_ACCOUNTS_SQL,
    Store,
    file_lock,
    removed_while_read,
    with_public_columns,
)

SNAPSHOT_FORMAT = "19"  # bump when what a snapshot holds changes, so old files are rebuilt (9: published_instant;
# 10: the hot-search list totals, `trend_lists`, that a tracker's share of the day's list reads; 11: per-author
# scored counts, facts_author_scores, for the share intervals clustered by author; 12: a news article several
# sources carried is one record, `merged_from` naming the other copies; 13: the records' masked text, PUBLIC_COLUMNS;
# 14: facts_author_scores counts each label, k_<label>, for the daily bands clustered by author; 15: the author-day
# facts, facts_author_days and facts_author_pairs, that give those per-author sums without grouping per author;
# 16: `lang` the language a record is read in, `declared_lang` the collector's; 17: facts_top_shared, the floor of a
# peak day's most-shared records without sorting the day; 18: records of a day and source stored most shared first;
# 19: the author-day facts per language too (lang_scope), and the stance and emotion ones)
# The records' instants beside their naive wall-clock `published_at`: in a zone with daylight saving time the wall
# clock of the repeated autumn hour stands for two instants, so whatever shows or orders single posts reads this
INSTANT = "published_instant"
READ_MEMORY = "1GB"  # DuckDB's share of the dashboard process; larger intermediate results spill to disk
BUILD_MEMORY = "1536MB"  # building happens once per store state (first load, or bench_dashboard beforehand)


def snapshot_path(store: Store, public_names: Iterable[str] = ()) -> Path:
    """Named by the store's state and by what this code expects (the data model's schemas, the display time zone,
    whose days the facts tables hold, and the public names the text was masked for), so any change rebuilds: a UTC
    snapshot is never read for Beijing days, nor one masking a name since made public (or showing one no longer)."""
    zone = zone_name()
    names = "\n".join(sorted({n for n in public_names if n}))
    code = hashlib.sha256(f"{SNAPSHOT_FORMAT}|{RECORD_SCHEMA}|{TREND_SCHEMA}|{zone}|{names}".encode()).hexdigest()[:8]
    sig = store.signature().replace(":", "-")
    return store.data_dir / "cache" / f"snapshot-{code}-{sig}.duckdb"


def build(store: Store, path: Path, public_names: Iterable[str] = ()) -> Path:
    """Write the snapshot file for the store's current state (atomically) and remove older ones; `public_names` are
    the ones `path` was named for (snapshot_path).

    Builds take turns on a lock file (two dashboards, or a warm-up and a reader, would each hold a build's memory),
    so whoever holds it may remove the temporary files of builds killed before they finished.
    """
    with file_lock(path.parent / "snapshot.lock"):
        if path.exists():  # built by another process while this one waited
            return path
        for leftover in path.parent.glob("snapshot-*.tmp*"):  # a killed build's file and its WAL
            leftover.unlink(missing_ok=True)
        try:
            return _build(store, path, public_names)
        except duckdb.OutOfMemoryException:
            # a 10M-record store's build peaks near BUILD_MEMORY (its sort and joins keep buffers per thread); one
            # thread holds one set of them and takes about twice as long, which beats a dashboard that never opens
            return _build(store, path, public_names, threads=1)


def _build(store: Store, path: Path, public_names: Iterable[str] = (), threads: int | None = None) -> Path:
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with store.connect() as src:  # deduplicated views over the Parquet files
            src.execute(f"SET memory_limit = '{BUILD_MEMORY}'")
            # every table whose order matters is written with ORDER BY, which this leaves in force; the rest may be
            # written in any order, which spares DuckDB buffering rows to keep them in their scan's order
            src.execute("SET preserve_insertion_order = false")
            if threads:
                src.execute(f"SET threads = {int(threads)}")
            src.execute(f"SET temp_directory = '{_sql_path(path.parent / 'spill')}'")
            src.execute(f"ATTACH '{_sql_path(tmp)}' AS snap")
            for name in _datasets(src, "memory"):
                if name == RECORDS:  # naive wall-clock times of the display zone (the session's): casting them to days
                    # is 3-4x cheaper than from TIMESTAMPTZ, and gives the same days; the instants stay beside them
                    # (INSTANT), as a wall clock of a repeated hour is ambiguous. By day, then source: a day's rows of
                    # one source then sit in one or two row groups, not spread over all of the day's (a filter on a
                    # source skips the rest by their min/max)
                    # and each record of a verified account carries the account's verification, so records_public
                    # needs no lookup of the account per query (~13 ms a query on a 10M-record snapshot)
                    # and masked once here (PUBLIC_COLUMNS), not on each query on records_public (~20 ms of planning);
                    # `lang` is the language each record is read in, so every filter and count by language (and the
                    # facts) agrees with the models (`declared_lang` the collector's: analysis.nlp.read_lang).
                    # Within a day and source, most shared first (as analysis.stats.peaks.MOST_SHARED): a peak's label
                    # reads the day's few hundred most shared rows from records_public, and a column's values are
                    # decompressed for every vector holding one of them: spread over the day, that was every vector
                    # of its texts, urls and authors (0.13 CPU s a peak at 10M); together, a few
                    spread = f"""SELECT r.* REPLACE (
                                   timezone('{zone_name()}', r.published_at) AS published_at,
                                   CASE WHEN r.author_verified_type BETWEEN 0 AND 7 THEN r.author_verified_type
                                        ELSE coalesce(v.verified_type, r.author_verified_type) END
                                     AS author_verified_type),
                                   r.published_at AS {INSTANT}
                                 FROM ({read_records_sql(src)}) r LEFT JOIN ({VERIFIED_ACCOUNTS_SQL.format(records='records')}) v
                                   ON r.source = v.source AND r.author_id = v.author_id"""
                    src.execute(f"""CREATE TABLE snap.records AS {with_public_columns(spread, public_names)}
                                    ORDER BY date_trunc('day', {INSTANT}), source, coalesce(shares, 0) DESC,
                                             coalesce(likes, 0) DESC, {INSTANT}""")
                else:
                    src.execute(f'CREATE TABLE snap."{name}" AS SELECT * FROM "{name}"')
            src.execute("USE snap")  # the facts come from the snapshot's own tables
            create_facts(src, "snap.main")
            src.execute("USE memory")
            src.execute("DETACH snap")
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
    # only snapshots of an older store state go: another zone's (or code's) snapshot of this state stays, so two
    # dashboards with different zones on one data folder do not rebuild each other's on every visit
    for old in path.parent.glob("snapshot-*.duckdb"):
        if _store_state(old) != _store_state(path):  # a reader still attached to it keeps reading it (the inode lives)
            old.unlink(missing_ok=True)
    return path


def _store_state(path: Path) -> str:
    """The store signature part of a snapshot's name (`snapshot-<code>-<signature>.duckdb`)."""
    return path.name.split("-", 2)[-1]


def open_snapshot(store: Store, public_names: Iterable[str] = (), attempts: int = 3) -> duckdb.DuckDBPyConnection:
    """A connection on the store's snapshot for these public names (built first if missing): one view per table, plus
    records_public."""
    public_names = sorted({n for n in public_names if n})
    for attempt in range(attempts):
        path = snapshot_path(store, public_names)
        if not path.exists():
            try:
                build(store, path, public_names)
            except duckdb.IOException as exc:
                # a compaction replaced store files while the build read them: build again from the new state
                if not removed_while_read(exc) or attempt == attempts - 1:
                    raise
                continue
        con = duckdb.connect(":memory:", config={"memory_limit": READ_MEMORY})
        set_session_zone(con)  # the session's zone is the one the naive times are in (and the facts' days)
        con.execute(f"SET temp_directory = '{_sql_path(path.parent / 'spill')}'")
        try:
            con.execute(f"ATTACH '{_sql_path(path)}' AS snap (READ_ONLY)")
        except duckdb.Error:
            con.close()
            # the store changed and another session's build removed this file after it was resolved (once attached,
            # a removed file stays readable): resolve again, which finds or builds the newer snapshot
            if path.exists() or attempt == attempts - 1:
                raise
            continue
        for name in _datasets(con, "snap"):
            hidden = f" EXCLUDE ({', '.join(PUBLIC_COLUMNS)})" if name == RECORDS else ""
            con.execute(f'CREATE VIEW "{name}" AS SELECT *{hidden} FROM snap."{name}"')
        store.add_public_view(con, public_names, premasked=f'snap."{RECORDS}"')
        return con
    raise AssertionError("unreachable: the last attempt returns or raises")


def _datasets(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_schema = 'main' "
                       "AND table_name NOT IN ('records_public', 'public_names', 'public_authors') ORDER BY 1", [catalog]).fetchall()
    return [name for (name,) in rows]


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
