"""Distinct authors: an id and a name never collide, an unknown count is None (not 0), and the brief says so."""

from __future__ import annotations

from datetime import date

from analysis.core.filters import Filters
from analysis.reports.brief import _records_from
from analysis.stats import facts
from analysis.stats.aggregate import kpis
from collectors.store import Store
from dashboard.snapshot import open_snapshot


def _both_paths(store: Store, f: Filters) -> tuple[dict, dict]:
    """kpis from the records and from the facts tables (as the dashboard's snapshot has them)."""
    with store.connect() as con:
        direct = kpis(con, f)
    snapshot = open_snapshot(store)
    try:
        assert facts.has_facts(snapshot)
        return direct, kpis(snapshot, f)
    finally:
        snapshot.close()


def test_an_id_and_a_name_that_read_the_same_are_two_authors(data_dir, make_record) -> None:
    store = Store(data_dir)
    store.add_records([make_record(author_id="x", author_name="Alice"),
                       make_record(author_id=None, author_name="x"),
                       make_record(author_id="x", author_name="Alice again")])  # the same id: one author
    direct, from_facts = _both_paths(store, Filters("case-a"))
    assert direct["authors"] == from_facts["authors"] == 2


def test_records_without_any_author_have_an_unknown_author_count(data_dir, make_record) -> None:
    store = Store(data_dir)
    store.add_records([make_record(author_id=None, author_name=None)])
    direct, from_facts = _both_paths(store, Filters("case-a"))
    assert direct["records"] == 1 and direct["authors"] is None and from_facts["authors"] is None
    assert _records_from(direct) == "1 record (authors unknown)"
    assert _records_from({"records": 1, "authors": 1}) == "1 record from 1 author"
    assert _records_from({"records": 2, "authors": 2}) == "2 records from 2 authors"
    with store.connect() as con:  # no records: 0 authors is right
        assert kpis(con, Filters("case-a", date(2020, 1, 1), date(2020, 1, 2)))["authors"] == 0
