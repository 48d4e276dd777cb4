"""Questions about the DuckDB views a reader opened over the store."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable

import duckdb

# per connection, tables and views known to exist for as long as it lives (see assume_tables)
_KNOWN: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, frozenset[str]] = weakref.WeakKeyDictionary()
# per connection, the key of the read-only data it reads (see assume_tables)
_SNAPSHOTS: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, str] = weakref.WeakKeyDictionary()
_KNOWN_LOCK = threading.Lock()


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a table or view of that name exists."""
    with _KNOWN_LOCK:
        known = _KNOWN.get(con, frozenset())
    return name in known or _in_catalog(con, name)


def _in_catalog(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()[0] > 0


def table_names(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The names of every table and view the connection sees (as `has_table` looks them up)."""
    return frozenset(name for (name,) in con.execute("SELECT DISTINCT table_name FROM information_schema.tables").fetchall())


def assume_tables(con: duckdb.DuckDBPyConnection, names: Iterable[str],
                  snapshot: str | None = None) -> duckdb.DuckDBPyConnection:
    """Let `has_table` answer for these names from memory on this connection: tables and views that exist for as long
    as it lives (a read-only snapshot's, listed once with `table_names`). A catalog query costs milliseconds, and the
    dashboard's loaders ask a dozen times per view; other names are still looked up. `snapshot`: a key naming the
    read-only data the connection reads (the same key, the same rows), under which a figure computed from it may be
    kept (`snapshot_key`)."""
    with _KNOWN_LOCK:
        _KNOWN[con] = frozenset(names)
        if snapshot is not None:
            _SNAPSHOTS[con] = snapshot
    return con


def snapshot_key(con: duckdb.DuckDBPyConnection) -> str | None:
    """The key of the read-only data this connection reads (given to `assume_tables`), or None: data that may change."""
    with _KNOWN_LOCK:
        return _SNAPSHOTS.get(con)


def has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    """Whether the table or view of that name has a column of that name."""
    return con.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
                       [table, column]).fetchone()[0] > 0
