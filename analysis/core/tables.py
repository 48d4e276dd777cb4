"""Questions about the DuckDB views a reader opened over the store."""

from __future__ import annotations

import duckdb


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a table or view of that name exists."""
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()[0] > 0


def has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    """Whether the table or view of that name has a column of that name."""
    return con.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
                       [table, column]).fetchone()[0] > 0
