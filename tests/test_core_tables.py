"""analysis.core.tables: catalog questions, and the names a read-only reader lists once."""

from __future__ import annotations

import duckdb
import pytest

from analysis.core import tables


def test_assumed_tables_are_answered_without_a_catalog_query(monkeypatch: pytest.MonkeyPatch) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE kept(x INTEGER)")
    con.execute("CREATE VIEW seen AS SELECT * FROM kept")
    cursor = tables.assume_tables(con.cursor(), tables.table_names(con))
    asked: list[str] = []
    original = tables._in_catalog
    monkeypatch.setattr(tables, "_in_catalog", lambda c, name: asked.append(name) or original(c, name))
    assert tables.has_table(cursor, "kept") and tables.has_table(cursor, "seen")
    assert asked == []
    assert not tables.has_table(cursor, "later")  # a name not listed is looked up, so one made later is found
    con.execute("CREATE TABLE later(x INTEGER)")
    assert tables.has_table(cursor, "later")
    assert asked == ["later", "later"]
    assert tables.has_table(con.cursor(), "kept") and asked[-1] == "kept"  # another cursor assumes nothing
