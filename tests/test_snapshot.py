"""The dashboard's snapshot file: a reader whose resolved file is removed by a newer build still opens one."""

from __future__ import annotations

from pathlib import Path

from analysis.nlp.read_lang import use_read_langs
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

    def counting_build(store_: Store, path: Path, *names: object) -> Path:
        builds.append(path.name)
        return real_build(store_, path, *names)

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


def _masking_cases(make_record) -> list:
    """Records whose public view differs from the stored one in every way it can: mentions (a public name kept),
    profile links, a title, a Bluesky id, a user-named link, verified and article authors kept."""
    return [
        make_record(id="m", author_id="1", author_name="普通网友", author_verified_type=-1,
                    url="https://weibo.com/1/m", text="@张若昀工作室 回应一下 @普通网友甲:同问 ＠普通网友乙 https://weibo.com/u/5512345"),
        make_record(id="plain", author_id="2", author_name="路人", author_verified_type=-1, text="路过", title=None),
        make_record(id="v", author_id="3", author_name="某官方账号", author_verified_type=3, text="@某网友 收到"),
        make_record(id="c", kind="comment", author_id="3", author_name="某官方账号", author_verified_type=None, text="补充"),
        make_record(id="p", author_id="4", author_name="张若昀工作室", author_verified_type=-1, text="谢谢 @某网友"),
        make_record(source="bilibili", id="av1", author_id="5", author_verified_type=None,
                    title="@普通网友甲 和 @张若昀工作室 的AI演员", text="正文"),
        make_record(source="bluesky", id="at://did:plc:abc123/app.bsky.feed.post/1", author_id="did:plc:abc123",
                    author_name="someone.bsky.social", author_verified_type=None,
                    url="https://bsky.app/profile/someone.bsky.social/post/1", text="hi @friend.bsky.social"),
        make_record(source="4cat", id="t1", author_id="98765", author_name="plainjane", author_verified_type=None,
                    url="https://twitter.com/plainjane/status/111", text="see https://twitter.com/otherperson"),
        make_record(source="rss", id="a1", kind="article", author_id=None, author_name="某报记者", text="@某网友 说"),
    ]


def test_the_snapshot_masks_once_when_built_and_shows_what_the_store_shows(data_dir, make_record):
    """records_public on the snapshot planned its mention and profile-link regular expressions again for every query
    (~20 ms each, several per filter change); the snapshot now holds the masked text, so a query only reads it, and
    every row and column shown is the store connection's (ordinary users pseudonymised, mentions masked)."""
    store = Store(data_dir)
    store.add_records(_masking_cases(make_record))
    names = ["张若昀工作室"]
    query = "SELECT * FROM records_public ORDER BY source, id"
    with store.connect(public_names=names) as con:
        use_read_langs(con)  # each record's language as the models read it, as the snapshot holds it
        direct = con.execute(query).df()
        stored_columns = [c[0] for c in con.execute("DESCRIBE records").fetchall()]
    con = snapshot.open_snapshot(store, names)
    try:
        shown = con.execute(query).df()
        view = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'records_public'").fetchone()[0]
        columns = {c[0] for c in con.execute("DESCRIBE records").fetchall()}
    finally:
        con.close()
    assert "regexp" not in view.lower(), "the view reads the masked text rather than masking it per query"
    assert columns == set(stored_columns) | {snapshot.INSTANT}, "the masked columns stay out of `records`"
    shown = shown.drop(columns=[snapshot.INSTANT])[direct.columns]
    # the snapshot's times are the display zone's naive wall clock, and it carries an account's verification onto all
    # its records (which the store's view looks up instead); everything else must match exactly
    for frame in (direct, shown):
        del frame["author_verified_type"]
    for frame in (direct, shown):
        frame["published_at"] = frame["published_at"].astype(str).str[:19]
    assert shown.astype(str).to_dict("records") == direct.astype(str).to_dict("records")
    texts = dict(zip(shown["id"], shown["text"], strict=True))
    assert texts["m"] == "@张若昀工作室 回应一下 @(user):同问 @(user) https://weibo.com/u/(user)"
    assert texts["plain"] == "路过"


def test_a_snapshot_follows_a_change_of_public_names(data_dir, make_record):
    """Masking is done when the snapshot is built, so a name made public (or no longer public) in the trackers must
    give another snapshot: the old one would keep showing (or masking) the name."""
    store = Store(data_dir)
    store.add_records([make_record(id="m", author_id="1", author_name="普通网友", author_verified_type=-1,
                                   text="@张若昀工作室 回应一下"),
                       make_record(id="p", author_id="4", author_name="张若昀工作室", author_verified_type=-1, text="谢谢")])
    query = "SELECT id, author_name, text FROM records_public ORDER BY id"
    seen = []
    for names in (["张若昀工作室"], [], ["张若昀工作室"]):
        con = snapshot.open_snapshot(store, names)
        try:
            seen.append(con.execute(query).fetchall())
        finally:
            con.close()
    public, ordinary, again = seen
    assert public[0][2] == "@张若昀工作室 回应一下" and public[1][1] == "张若昀工作室"
    assert ordinary[0][2] == "@(user) 回应一下" and ordinary[1][1].startswith("u_")
    assert again == public


def test_a_days_records_of_one_source_are_stored_most_shared_first(data_dir, make_record):
    """A peak's label reads the day's few hundred most shared records from records_public; a column's values are
    decompressed for each vector holding one of them, so spread over the day (stored in time order) they cost every
    vector of the day's texts, urls and authors (0.13 CPU s a peak at 10M). Stored most shared first within a day and
    source (then by likes, NULL as 0), they sit together; the rows any query returns are the same."""
    from datetime import UTC, datetime, timedelta
    from itertools import pairwise

    import numpy as np

    rng = np.random.default_rng(3)
    records = [make_record(published_at=datetime(2026, 4, 18, tzinfo=UTC) + timedelta(minutes=int(rng.integers(0, 4320))),
                           source=str(rng.choice(["weibo", "bilibili"])),
                           shares=None if rng.random() < 0.2 else int(rng.integers(0, 5)),
                           likes=None if rng.random() < 0.2 else int(rng.integers(0, 5))) for _ in range(120)]
    store = Store(data_dir)
    store.add_records(records)
    con = snapshot.open_snapshot(store)
    try:
        stored = con.execute("""SELECT CAST(published_at AS DATE) AS day, source, coalesce(shares, 0) AS shares,
                                       coalesce(likes, 0) AS likes, published_instant
                                FROM snap.records ORDER BY rowid""").fetchall()
        public = con.execute("SELECT count(*), count(DISTINCT id) FROM records_public").fetchone()
    finally:
        con.close()
    assert public == (120, 120)
    keys = [(day, source) for day, source, *_ in stored]
    assert keys == sorted(keys) and len(set(keys)) == 6  # by day, then source
    within = [(row, nxt) for row, nxt in pairwise(stored) if row[:2] == nxt[:2]]
    assert all((a[2], a[3]) >= (b[2], b[3]) for a, b in within)  # most shared first, then most liked
    assert all(a[4] <= b[4] for a, b in within if (a[2], a[3]) == (b[2], b[3]))  # then in time order, as before


def test_a_build_that_runs_out_of_memory_is_built_again_on_one_thread(data_dir, make_record, monkeypatch):
    """A 10M-record store's build ran out of DuckDB's memory limit on an idle 2-core machine (its sort and joins keep
    buffers per thread), and the dashboard could not open; the build is retried on one thread, which fits."""
    import duckdb

    from analysis.stats import facts

    store = Store(data_dir)
    store.add_records([make_record(id="a"), make_record(id="b")])
    real_create = snapshot.create_facts
    threads_seen: list[int] = []

    def create_facts(con, schema):
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        threads_seen.append(threads)
        if threads > 1:
            raise duckdb.OutOfMemoryException("could not allocate block of size 256.0 KiB")
        return real_create(con, schema)

    monkeypatch.setattr(snapshot, "create_facts", create_facts)
    monkeypatch.setattr(duckdb, "connect", _connect_with_threads(duckdb.connect, 2))
    path = snapshot.build(store, snapshot.snapshot_path(store))
    assert threads_seen == [2, 1]
    assert not list(path.parent.glob("snapshot-*.tmp*"))
    con = snapshot.open_snapshot(store)
    try:
        assert sorted(i for (i,) in con.execute("SELECT id FROM records").fetchall()) == ["a", "b"]
        assert con.execute(f"SELECT count(*) FROM {facts.FACTS_RECORDS}").fetchone()[0] > 0
    finally:
        con.close()


def _connect_with_threads(connect, threads: int):
    """duckdb.connect on a machine with `threads` cores (the test machine may have one)."""
    def wrapped(*args, **kwargs):
        con = connect(*args, **kwargs)
        con.execute(f"SET threads = {threads}")
        return con
    return wrapped
