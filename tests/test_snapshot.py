"""The dashboard's snapshot file: a reader whose resolved file is removed by a newer build still opens one."""

from __future__ import annotations

from pathlib import Path

from collectors.store import Store
from dashboard import snapshot


def test_a_snapshot_removed_between_resolving_and_attaching_is_resolved_again(data_dir, make_record, monkeypatch):
    """`build` removes older snapshot files; a page that had resolved the old path but not yet attached it failed
    (the file was not found) instead of opening the newer snapshot."""
    store = Store(data_dir)
    store.add_records([make_record(id="first")])
    first = snapshot.build(store, snapshot.snapshot_path(store))
    real_sql_path = snapshot._sql_path
    removed: list[Path] = []

    def sql_path(path: Path) -> str:
        if path == first and not removed:  # about to attach it: another session changes the store and rebuilds
            store.add_records([make_record(id="second")])
            snapshot.build(store, snapshot.snapshot_path(store))
            removed.append(path)
            assert not first.exists()
        return real_sql_path(path)

    monkeypatch.setattr(snapshot, "_sql_path", sql_path)
    con = snapshot.open_snapshot(store)
    try:
        assert removed == [first]
        assert sorted(id_ for (id_,) in con.execute("SELECT id FROM records").fetchall()) == ["first", "second"]
    finally:
        con.close()


def test_a_snapshot_that_cannot_be_attached_for_another_reason_still_raises(data_dir, make_record):
    import duckdb
    import pytest

    store = Store(data_dir)
    store.add_records([make_record()])
    path = snapshot.snapshot_path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database")
    with pytest.raises(duckdb.Error):
        snapshot.open_snapshot(store)


def test_a_build_whose_store_files_a_compaction_replaced_meanwhile_is_built_again(data_dir, make_record, monkeypatch):
    """A dashboard building its snapshot while `store compact` ran failed on a file the compaction had just
    replaced, and the page crashed; the build now starts again on the compacted store."""
    from tests.test_store import compact_during_the_next_read

    store = Store(data_dir)
    store.add_records([make_record(id="first")])
    store.add_records([make_record(id="second")])
    compact_during_the_next_read(monkeypatch)
    con = snapshot.open_snapshot(store)
    try:
        assert sorted(id_ for (id_,) in con.execute("SELECT id FROM records").fetchall()) == ["first", "second"]
    finally:
        con.close()
    assert len(store.files("records")) == 1  # it read the compacted store


def test_an_account_verified_on_one_record_is_public_on_all_in_the_snapshot_as_in_the_store(data_dir, make_record):
    """The snapshot carries each verified account's verification onto all its records (so records_public needs no
    lookup per query); the dashboard must then show the same names and pseudonyms as a store connection does."""
    store = Store(data_dir)
    store.add_records([
        make_record(id="post", author_id="1999", author_name="某官方账号", author_verified_type=0, text="官方声明"),
        make_record(id="comment", kind="comment", author_id="1999", author_name="某官方账号", author_verified_type=None,
                    text="补充一下"),
        make_record(id="other", author_id="880011", author_name="吃瓜群众_01", author_verified_type=-1, text="路过"),
    ])
    query = "SELECT id, author_id, author_name FROM records_public ORDER BY id"
    with store.connect() as con:
        direct = con.execute(query).fetchall()
    con = snapshot.open_snapshot(store)
    try:
        assert con.execute(query).fetchall() == direct
    finally:
        con.close()
    by_id = {row[0]: row[1:] for row in direct}
    assert by_id["comment"] == by_id["post"] == ("1999", "某官方账号") and by_id["other"][0].startswith("u_")


def test_dashboards_in_two_zones_on_one_data_dir_keep_each_others_snapshot(data_dir, make_record, monkeypatch):
    """The snapshot is built per zone; building one zone's used to remove the other's, so two dashboards with different
    zones on one data folder rebuilt each other's on every visit. Now each zone's file stays until the store changes."""
    from collectors.display_zone import ENV

    store = Store(data_dir)
    store.add_records([make_record(id="first")])
    builds: list[str] = []
    real_build = snapshot._build

    def counting_build(store_: Store, path: Path) -> Path:
        builds.append(path.name)
        return real_build(store_, path)

    monkeypatch.setattr(snapshot, "_build", counting_build)
    for _ in range(2):
        for zone in ("UTC", "America/New_York"):
            monkeypatch.setenv(ENV, zone)
            snapshot.open_snapshot(store).close()
    assert len(builds) == 2, "the second round found both zones' snapshots"
    assert sorted(p.name for p in (data_dir / "cache").glob("snapshot-*.duckdb")) == sorted(builds)

    store.add_records([make_record(id="second")])  # the store changed: the next build removes both older files
    snapshot.open_snapshot(store).close()
    assert [p.name for p in (data_dir / "cache").glob("snapshot-*.duckdb")] == [builds[-1]]
    assert not list((data_dir / "cache").glob("snapshot-*.tmp*"))
