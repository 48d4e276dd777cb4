from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
import pytest

from collectors.models import records_to_table
from collectors.store import RECORDS, Store


def test_round_trip_and_partitions(data_dir, make_record):
    store = Store(data_dir)
    days = [datetime(2026, 4, 22, 5, tzinfo=UTC), datetime(2026, 5, 1, 5, tzinfo=UTC), datetime(2026, 4, 20, 5, tzinfo=UTC)]
    records = [make_record(published_at=days[i % 3]) for i in range(9)]
    result = store.add_records(records)
    assert result.rows == 9 and result.files == 2
    months = sorted(p.parent.name for p in store.files(RECORDS))
    assert months == ["month=2026-04", "month=2026-05"]
    april = pq.read_table(store.files(RECORDS)[0])["published_at"].to_pylist()
    assert april == sorted(april) and len(april) == 6  # a month's rows in day order
    back = store.query("SELECT * FROM records ORDER BY id")
    assert sorted(back["id"]) == sorted(r.id for r in records)
    assert str(back["published_at"].dt.tz) == "UTC"


def _write_day_partitioned(store: Store, records: list) -> None:
    """Records as stores before month partitions held them: one file per day, under date=YYYY-MM-DD/."""
    for record in records:
        folder = store.root / RECORDS / f"date={record.published_at:%Y-%m-%d}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(records_to_table([record]), folder / f"part-old-{record.id}.parquet")


def test_a_store_with_day_partitions_reads_deduplicates_and_compacts_beside_month_ones(data_dir, make_record):
    from collectors.importers import RecordTable
    from collectors.ingest import ingest

    store = Store(data_dir)
    old = [make_record(id=f"d{i}", published_at=datetime(2026, 4, 20 + i, 8, tzinfo=UTC)) for i in range(3)]
    _write_day_partitioned(store, old)
    assert sorted(store.query("SELECT id FROM records")["id"]) == ["d0", "d1", "d2"]
    newer = old[0].model_copy(update={"likes": 7, "collected_at": old[0].collected_at + timedelta(days=1)})
    summary = ingest([RecordTable(records_to_table([*old[1:], newer, make_record(id="n")]))], store)
    assert (summary.records_new, summary.records_updated, summary.records_duplicate) == (1, 1, 2)
    folders = {p.parent.name for p in store.files(RECORDS)}
    assert folders == {"date=2026-04-20", "date=2026-04-21", "date=2026-04-22", "month=2026-04"}
    frame = store.query("SELECT id, likes FROM records ORDER BY id")
    assert list(frame["id"]) == ["d0", "d1", "d2", "n"] and frame.set_index("id").loc["d0", "likes"] == 7
    store.compact()
    assert [p.parent.name for p in store.files(RECORDS)] == ["month=2026-04"]
    assert sorted(p.name for p in (store.root / RECORDS).iterdir()) == ["_dataset.json", "month=2026-04"]  # no empty days
    assert store.query("SELECT id, likes FROM records ORDER BY id").equals(frame)


def test_duplicates_resolve_to_latest_collected_at(data_dir, make_record):
    store = Store(data_dir)
    old = make_record(id="x", likes=1, collected_at=datetime(2026, 4, 21, tzinfo=UTC))
    new = old.model_copy(update={"likes": 50, "collected_at": old.collected_at + timedelta(days=1)})
    store.add_records([new])
    store.add_records([old])  # an older copy written later must not win
    frame = store.query("SELECT likes, count(*) OVER () AS n FROM records")
    assert frame["n"].iloc[0] == 1 and frame["likes"].iloc[0] == 50


def test_a_connection_for_some_datasets_deduplicates_the_same_and_holds_only_those(data_dir, make_record):
    store = Store(data_dir)
    old = make_record(id="x", likes=1, collected_at=datetime(2026, 4, 21, tzinfo=UTC))
    store.add_records([old.model_copy(update={"likes": 50, "collected_at": old.collected_at + timedelta(days=1)})])
    store.add_records([old])
    with store.connect(only=[RECORDS]) as con:
        assert con.sql("SELECT likes FROM records").fetchall() == [(50,)]
        views = {name for (name,) in con.sql("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
                 if not name.startswith("_")}  # not the registered empty tables
    assert views == {RECORDS}  # no records_public
    with store.connect() as con:
        views = {name for (name,) in con.sql("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
                 if not name.startswith("_")}  # not the registered empty tables
    assert {RECORDS, "records_public"} <= views


def test_interrupted_batch_leaves_no_partial_data(data_dir, make_record, monkeypatch):
    store = Store(data_dir)
    store.add_records([make_record(id="kept")])
    batch = [make_record(published_at=datetime(2026, 4 + i, 20, tzinfo=UTC)) for i in range(3)]  # three months
    real_write = pq.write_table
    calls = {"n": 0}

    def failing_write(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the second partition file of the batch
            raise KeyboardInterrupt("killed mid-write")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(pq, "write_table", failing_write)
    with pytest.raises(KeyboardInterrupt):
        store.add_records(batch)
    monkeypatch.setattr(pq, "write_table", real_write)
    assert list(store.query("SELECT id FROM records")["id"]) == ["kept"]
    assert not any(p.suffix == ".parquet" for p in (store.root / ".staging").rglob("*"))


def test_committed_batch_is_rolled_forward_after_a_crash(data_dir, make_record, monkeypatch):
    store = Store(data_dir)
    monkeypatch.setattr(store, "_apply_journal", lambda journal: None)  # crash right after the journal is written
    store.add_records([make_record(id="a"), make_record(id="b", published_at=datetime(2026, 4, 25, tzinfo=UTC))])
    monkeypatch.undo()
    fresh = Store(data_dir)
    assert fresh.query("SELECT count(*) AS n FROM records")["n"].iloc[0] == 0  # not visible before recovery
    assert any("completed batch" in line for line in fresh.recover())
    assert sorted(fresh.query("SELECT id FROM records")["id"]) == ["a", "b"]


def test_readers_are_not_locked_by_a_writer(data_dir, make_record):
    store = Store(data_dir)
    store.add_records([make_record()])
    reader = store.connect()
    store.add_records([make_record()])  # a writer runs while a reader's connection is open
    assert Store(data_dir).query("SELECT count(*) AS n FROM records")["n"].iloc[0] == 2
    reader.close()


def test_a_lock_is_not_kept_by_a_child_forked_while_it_was_held(tmp_path):
    """A worker pool forked under a lock (enrich's workers) shares the lock file: after the parent was killed, its
    orphaned workers kept the lock, so the re-run waited for ever. A forked child no longer holds its parent's locks."""
    import fcntl
    import multiprocessing
    import time

    from collectors.store import file_lock

    lock = tmp_path / "run.lock"
    with file_lock(lock):
        child = multiprocessing.get_context("fork").Process(target=time.sleep, args=(30,))
        child.start()
    try:
        with open(lock, "a") as fh:
            deadline = time.monotonic() + 2  # the child lets go as it starts, a moment after the fork
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    assert time.monotonic() < deadline, "the forked child still holds the lock"
                    time.sleep(0.02)
    finally:
        child.kill()
        child.join()


def test_public_view_pseudonymises_ordinary_users_only(data_dir, make_record):
    store = Store(data_dir)
    store.add_records([
        make_record(id="u", author_id="123456", author_name="普通网友", url="https://weibo.com/123456/abc",
                    text="@另一个网友 你看", author_verified_type=-1),
        make_record(id="v", author_id="999", author_name="某官方账号", author_verified_type=3),
        make_record(id="p", author_id="777", author_name="平台甲", author_verified_type=-1),
    ])
    with store.connect(public_names=["平台甲"]) as con:
        rows = {r[0]: r[1:] for r in con.execute("SELECT id, author_id, author_name, url, text FROM records_public").fetchall()}
    author_id, author_name, url, text = rows["u"]
    assert author_id.startswith("u_") and author_name == author_id
    assert "123456" not in url and "普通网友" not in author_name and "另一个网友" not in text
    assert rows["v"][:2] == ("999", "某官方账号")
    assert rows["p"][:2] == ("777", "平台甲")


def test_a_lost_pseudonym_key_is_said_when_the_store_was_pseudonymised_with_another(data_dir, make_record,
                                                                                   monkeypatch, capsys):
    """A key file deleted, or not restored with the store, was replaced by a new key without a word: every pseudonym
    changed, and earlier exports and labelled samples no longer matched the records. A new key is still made (the tool
    keeps working), and the user is told how to put the old one back; a first key says nothing."""
    from collectors import pseudonym

    monkeypatch.delenv(pseudonym.KEY_ENV)
    pseudonym.pseudonym_key.cache_clear()
    try:
        Store(data_dir).add_records([make_record(id="a")])  # records stored before any key was made, as `demo` does
        first = pseudonym.pseudonym_key(data_dir)
        pseudonym.pseudonym_key.cache_clear()
        assert pseudonym.pseudonym_key(data_dir) == first
        assert "warning" not in capsys.readouterr().err
        marker = (data_dir / "store" / pseudonym.FINGERPRINT_FILE).read_text()
        assert first not in marker
        pseudonym.key_path(data_dir).unlink()
        pseudonym.pseudonym_key.cache_clear()
        assert pseudonym.pseudonym_key(data_dir) != first
    finally:
        pseudonym.pseudonym_key.cache_clear()
    err = capsys.readouterr().err
    assert "not the key this store was pseudonymised with" in err and str(pseudonym.key_path(data_dir)) in err


def test_two_processes_creating_the_pseudonym_key_at_once_agree_on_it(data_dir, monkeypatch):
    """The key is made on first use: two processes starting on a new data folder (an import and the dashboard)
    each made one, through the same temporary file, and the later replaced the earlier's key after that process
    had read it, so the two pseudonymised the same user differently (exports disagreed, labels exported by one
    could not be matched back by the other); a process could also read the file while the other was refilling
    it, i.e. an empty key. The key first made is now kept, and every process reads that one."""
    from collectors import pseudonym

    monkeypatch.delenv(pseudonym.KEY_ENV)
    pseudonym.pseudonym_key.cache_clear()
    path = pseudonym.key_path(data_dir)
    made = pseudonym.secrets.token_hex

    def other_process_first(n: int) -> str:  # another process finishes making its key while this one makes its own
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("key-of-the-other-process")
        return made(n)

    monkeypatch.setattr(pseudonym.secrets, "token_hex", other_process_first)
    try:
        assert pseudonym.pseudonym_key(data_dir) == "key-of-the-other-process"
    finally:
        pseudonym.pseudonym_key.cache_clear()
    assert path.read_text() == "key-of-the-other-process"
    assert [p.name for p in path.parent.iterdir()] == ["pseudonym.key"]  # no temporary file left


def test_an_empty_pseudonym_key_file_is_an_error_not_an_empty_key(data_dir, monkeypatch):
    from collectors import pseudonym

    monkeypatch.delenv(pseudonym.KEY_ENV)
    pseudonym.pseudonym_key.cache_clear()
    path = pseudonym.key_path(data_dir)
    path.parent.mkdir(parents=True)
    path.write_text("\n")  # a key file cut short (an older version's interrupted write)
    try:
        with pytest.raises(RuntimeError, match="pseudonym.key is empty"):
            pseudonym.pseudonym_key(data_dir)
    finally:
        pseudonym.pseudonym_key.cache_clear()


def test_a_pseudonym_key_file_others_can_read_is_made_the_owners_only(data_dir, monkeypatch):
    """The key is made readable by its owner only, but a key file restored from a backup, copied in with `cp`, or
    written by hand (`echo … > pseudonym.key`) has the umask's mode, usually readable by every local user, and was read
    as it was: whoever could read it could recompute every pseudonym of every export from the platforms' user ids. The
    key's mode is now narrowed to the owner's when it is read."""
    import stat

    from collectors import pseudonym

    monkeypatch.delenv(pseudonym.KEY_ENV)
    pseudonym.pseudonym_key.cache_clear()
    path = pseudonym.key_path(data_dir)
    path.parent.mkdir(parents=True)
    path.write_text("restored-key\n")
    path.chmod(0o644)
    try:
        assert pseudonym.pseudonym_key(data_dir) == "restored-key"
    finally:
        pseudonym.pseudonym_key.cache_clear()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_pseudonym_key_reads_the_same_from_the_environment_as_from_its_file(data_dir, monkeypatch):
    """The key file is read without its line break, the environment variable as it was: a key set from the file's
    contents with its newline (a container's secret mounted as an environment variable, `export KEY="$(cat f)"` in
    a shell that keeps it) gave the process reading the variable other pseudonyms than the one reading the file (the
    dashboard's Explore and a CLI export disagreed on every ordinary user). A variable of white space only was a
    key that anyone could recompute every pseudonym with; it is now an error, as an empty key file is."""
    from collectors import pseudonym

    path = pseudonym.key_path(data_dir)
    path.parent.mkdir(parents=True)
    path.write_text("shared-key\n")
    monkeypatch.delenv(pseudonym.KEY_ENV)
    pseudonym.pseudonym_key.cache_clear()
    try:
        from_file = pseudonym.pseudonym_key(data_dir)
        monkeypatch.setenv(pseudonym.KEY_ENV, "shared-key\n")
        pseudonym.pseudonym_key.cache_clear()
        assert pseudonym.pseudonym_key(data_dir) == from_file == "shared-key"
        monkeypatch.setenv(pseudonym.KEY_ENV, " \n")
        pseudonym.pseudonym_key.cache_clear()
        with pytest.raises(RuntimeError, match="white space"):
            pseudonym.pseudonym_key(data_dir)
    finally:
        pseudonym.pseudonym_key.cache_clear()


def test_pseudonym_sql_matches_python(data_dir, make_record):
    from collectors.pseudonym import pseudonymise

    store = Store(data_dir)
    store.add_records([make_record(id="u", author_id="42", author_verified_type=None)])
    assert store.query("SELECT author_id FROM records_public")["author_id"].iloc[0] == pseudonymise("weibo", "42")


def test_compact_keeps_deduplicated_rows(data_dir, make_record):
    store = Store(data_dir)
    for _ in range(3):
        store.add_table(RECORDS, records_to_table([make_record(id="same"), make_record()]))
    before = store.query("SELECT count(*) AS n FROM records")["n"].iloc[0]
    store.compact()
    assert store.query("SELECT count(*) AS n FROM records")["n"].iloc[0] == before
    assert len(store.files(RECORDS)) == 1


def test_compact_can_drop_rows_by_key_even_the_last_ones(data_dir, make_record):
    import pyarrow as pa

    store = Store(data_dir)
    store.add_table(RECORDS, records_to_table([make_record(id="a"), make_record(id="b")]))
    keys = pa.table({"id": ["b", "elsewhere"]})
    assert store.compact(RECORDS, drop=pa.table({"id": ["elsewhere"]})).batch is None  # nothing matches: untouched
    store.compact(RECORDS, drop=keys)
    assert store.query("SELECT list(id) AS ids FROM records")["ids"].iloc[0] == ["a"]
    store.compact(RECORDS, drop=pa.table({"id": ["a"]}))
    assert store.query("SELECT count(*) AS n FROM records")["n"].iloc[0] == 0
    assert len(store.files(RECORDS)) == 1  # an empty file in place of the old ones


def test_raw_archive_round_trip(data_dir):
    store = Store(data_dir)
    store.archive_raw("weibo", '{"ok": 1}', {"url": "https://m.weibo.cn/api/x", "status": 200})
    assert [r["body"] for r in store.iter_raw("weibo")] == ['{"ok": 1}']


def test_public_view_keeps_mentions_of_public_figures(data_dir, make_record):
    store = Store(data_dir)
    store.add_records([make_record(id="m", author_id="1", author_verified_type=-1,
                                   text="@张若昀工作室 回应一下 @普通网友甲:同问 @张若昀工作室的粉丝 //@爱奇艺:")])
    with store.connect(public_names=["张若昀工作室", "爱奇艺"]) as con:
        text = con.execute("SELECT text FROM records_public").fetchone()[0]
    # a tracker's public entity keeps its name; an ordinary user, or a longer name that merely starts with a
    # public one, is masked
    assert text == "@张若昀工作室 回应一下 @(user):同问 @(user) //@爱奇艺:"


def test_public_view_masks_full_width_mentions(data_dir, make_record):
    # a Chinese input method in full-width mode types ＠; clean_text reads it as @ (NFKC), so must the view
    store = Store(data_dir)
    store.add_records([make_record(id="f", author_id="1", author_verified_type=-1, text="＠普通网友甲 你好 ﹫普通网友乙:嗯")])
    with store.connect(public_names=["爱奇艺"]) as con:
        text = con.execute("SELECT text FROM records_public").fetchone()[0]
    assert "普通网友" not in text and text.count("(user)") == 2


def test_public_view_masks_the_name_on_a_weibo_video_card(data_dir):
    # m.weibo.cn writes a video as a link "<poster's nickname>的微博视频" (older posts: 的秒拍视频), so an ordinary
    # user's own nickname sat in the text beside their pseudonymised author_name
    from collectors.sources.weibo_parse import mblog_to_record

    card = ('<a href="https://video.weibo.com/show?fid=1034:1"><span class=\'url-icon\'><img style=\'width: 1rem\' '
            'src=\'https://h5.sinaimg.cn/upload/2015/09/25/3/timeline_card_small_video_default.png\'></span>'
            '<span class="surl-text">{}</span></a>')
    posts = [("1", "普通网友甲", -1, "AI演员太假了 " + card.format("普通网友甲的微博视频")),
             ("2", "普通网友乙", None, "转发 " + card.format("爱奇艺的微博视频") + " " + card.format("小号_乙的秒拍视频")),
             ("3", "Ａｂｃ网友-９", -1, "看 " + card.format("Ａｂｃ网友-９的微博视频"))]  # a full-width nickname
    store = Store(data_dir)
    store.add_records([mblog_to_record({"mid": mid, "bid": "Q" + mid, "created_at": "2026-04-20T08:00:00+08:00",
                                        "text": text, "user": {"id": 100 + int(mid), "screen_name": name,
                                                               "verified_type": vtype}},
                                       datetime(2026, 4, 21, tzinfo=UTC)) for mid, name, vtype, text in posts])
    assert "普通网友甲的微博视频" in store.query("SELECT text FROM records WHERE id = '1'")["text"].iloc[0]
    with store.connect(public_names=["爱奇艺"]) as con:
        texts = dict(con.execute("SELECT id, text FROM records_public").fetchall())
    assert texts["1"] == "AI演员太假了 (user)的微博视频"
    assert texts["2"] == "转发 爱奇艺的微博视频 (user)的秒拍视频"  # a public entity's card keeps its name
    assert texts["3"] == "看 (user)的微博视频"


def test_a_second_writer_does_not_discard_a_batch_being_staged(data_dir, make_record, monkeypatch):
    # e.g. a collector's page while the Label page saves a label, or a cron hot-search snapshot during a long import:
    # the other writer's recovery must not take the batch still being staged for abandoned
    import threading

    import collectors.store as store_module

    real_write = store_module._write_parquet_files
    other: list[threading.Thread] = []

    def write_then_let_another_writer_in(parts):
        real_write(parts)
        if not other:
            other.append(threading.Thread(target=Store(data_dir).add_records, args=([make_record(id="other")],)))
            other[0].start()
            other[0].join(timeout=2)  # without a lock between writers it ends here, after recovering the store

    monkeypatch.setattr(store_module, "_write_parquet_files", write_then_let_another_writer_in)
    Store(data_dir).add_records([make_record(id="first"), make_record(id="second")])
    other[0].join()
    assert sorted(Store(data_dir).query("SELECT id FROM records")["id"]) == ["first", "other", "second"]


def test_compact_of_a_dataset_already_in_one_file_does_not_read_as_emptied(data_dir, make_record):
    """It printed "compacted records: 0 rows in 0 file(s)" for a dataset it had left as it was."""
    from click.testing import CliRunner

    from dashboard.cli import cli

    Store(data_dir).add_records([make_record(), make_record()])
    result = CliRunner().invoke(cli, ["store", "compact"])
    assert result.exit_code == 0 and "records: nothing to compact (one file or none)" in result.output, result.output
    assert len(Store(data_dir).query("SELECT * FROM records")) == 2


def test_stats_json_gives_each_day_as_a_date(data_dir, make_record):
    """`store stats --json` printed "day": "2026-04-20 00:00:00" (a timestamp's text) for a per-day count."""
    import json

    from click.testing import CliRunner

    from dashboard.cli import cli

    Store(data_dir).add_records([make_record(trackers=["case-a"]), make_record(trackers=["case-a"])])
    result = CliRunner().invoke(cli, ["store", "stats", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["days"]
    assert rows == [{"source": "weibo", "tracker": "case-a", "day": "2026-04-20", "records": 2, "synthetic": 0}]


def test_stats_json_is_one_object(data_dir, make_record):
    """`store stats --json` printed one JSON line per (source, tracker, day) while every other --json prints one
    object (and printed nothing for an empty store); it now prints one object: the store, its totals, the days."""
    import json

    from click.testing import CliRunner

    from dashboard.cli import cli

    empty = CliRunner().invoke(cli, ["store", "stats", "--json"])
    assert empty.exit_code == 0, empty.output
    assert json.loads(empty.stdout) == {"store": str(Store(data_dir).root), "records": 0, "synthetic": 0, "days": []}
    Store(data_dir).add_records([make_record(trackers=["case-a"]), make_record(trackers=["case-b"], synthetic=True,
                                                                              source="bilibili")])
    result = CliRunner().invoke(cli, ["store", "stats", "--json"])
    assert result.exit_code == 0 and len(result.stdout.strip().splitlines()) == 1, result.output
    report = json.loads(result.stdout)
    assert (report["records"], report["synthetic"]) == (2, 1) and len(report["days"]) == 2


def test_stats_say_how_many_records_are_synthetic(data_dir, make_record):
    """`store stats` counted demo records beside real ones with no word of which were generated, so a store where
    real imports joined the demo corpus looked all real; the total and --json now count them."""
    import json

    from click.testing import CliRunner

    from dashboard.cli import cli

    Store(data_dir).add_records([make_record(trackers=["case-a"], synthetic=True),
                                 make_record(trackers=["case-a"], synthetic=True), make_record(trackers=["case-a"])])
    table = CliRunner().invoke(cli, ["store", "stats"])
    assert table.exit_code == 0, table.output
    assert "total: 3 records, 2 of them SYNTHETIC demo records" in table.output
    report = json.loads(CliRunner().invoke(cli, ["store", "stats", "--json"]).stdout)
    assert report["days"] == [{"source": "weibo", "tracker": "case-a", "day": "2026-04-20", "records": 3, "synthetic": 2}]
    assert (report["records"], report["synthetic"]) == (3, 2)


def test_public_view_masks_the_user_name_inside_a_link(data_dir, make_record):
    # a link can name the author by user name rather than by the stored author_id: a 4CAT export's tweet link
    # (author_id numeric, the link holds the screen name), a Mastodon status stored with its ActivityPub uri
    store = Store(data_dir)
    store.add_records([
        make_record(source="4cat", id="t1", author_id="98765", author_name="plainjane", author_verified_type=None,
                    url="https://twitter.com/plainjane/status/111"),
        make_record(source="4cat", id="t2", author_id="98766", author_name="joe_doe", author_verified_type=None,
                    url="https://example.social/@joe_doe"),
        make_record(source="mastodon", id="https://mastodon.example/users/bobthebuilder/statuses/42",
                    author_id="https://mastodon.example/@bobthebuilder", author_name="bobthebuilder@mastodon.example",
                    url="https://mastodon.example/users/bobthebuilder/statuses/42")])
    with store.connect() as con:
        urls = dict(con.execute("SELECT id, url FROM records_public").fetchall())
    assert not any(n in u for u in urls.values() for n in ("plainjane", "joe_doe", "bobthebuilder")), urls
    assert urls["t1"].startswith("https://twitter.com/u_") and urls["t1"].endswith("/status/111")
    assert urls["t2"].startswith("https://example.social/@u_")


def test_public_view_masks_mentions_in_a_title(data_dir, make_record):
    # a Bilibili video's or a 4CAT thread's title is typed by the user like the text; evidence, exports and the label
    # sample show it above the text
    store = Store(data_dir)
    store.add_records([make_record(source="bilibili", id="av1", author_id="5", author_verified_type=None,
                                   title="@普通网友甲 和 @爱奇艺 的AI演员", text="正文"),
                       make_record(source="bilibili", id="av2", author_id="6", title=None, text="无标题")])
    with store.connect(public_names=["爱奇艺"]) as con:
        titles = dict(con.execute("SELECT id, title FROM records_public").fetchall())
    assert titles == {"av1": "@(user) 和 @爱奇艺 的AI演员", "av2": None}


def _raw_and_distinct(store: Store) -> tuple[int, int]:
    """Rows in the dataset's files as stored, and distinct records among them."""
    frame = store.query(f"SELECT count(*) AS n, count(DISTINCT id) AS d FROM {store.parquet_scan(RECORDS)}")
    return int(frame["n"].iloc[0]), int(frame["d"].iloc[0])


class _Killed(BaseException):
    """Stands in for the process being killed at that point."""


@pytest.mark.parametrize("kill_at", ["staging", "moving in", "removing old"])
def test_a_compaction_killed_at_any_point_loses_nothing_and_counts_nothing_twice(data_dir, make_record, kill_at,
                                                                                  monkeypatch):
    """It removed the old files only after its batch was in place, outside any journal: killed in between, the store
    kept every row twice (raw scans, e.g. ingest's, counted both copies) and no recovery removed the old files."""
    import os
    from pathlib import Path

    import collectors.store as store_module

    store = Store(data_dir)
    for i in range(3):
        store.add_records([make_record(id=f"r{i}"), make_record(id=f"s{i}")])
    assert _raw_and_distinct(store) == (6, 6)
    real_replace, real_unlink, real_write = os.replace, Path.unlink, store_module._write_parquet_files

    def kill_staging(parts):
        raise _Killed

    def kill_replace(src, dst):
        if str(dst).endswith(".parquet"):
            raise _Killed
        real_replace(src, dst)

    def kill_unlink(path, missing_ok=False):
        if path.suffix == ".parquet":
            raise _Killed
        real_unlink(path, missing_ok=missing_ok)

    if kill_at == "staging":
        monkeypatch.setattr(store_module, "_write_parquet_files", kill_staging)
    elif kill_at == "moving in":
        monkeypatch.setattr(store_module.os, "replace", kill_replace)
    else:
        monkeypatch.setattr(Path, "unlink", kill_unlink)
    with pytest.raises(_Killed):
        store.compact()
    monkeypatch.setattr(store_module, "_write_parquet_files", real_write)
    monkeypatch.setattr(store_module.os, "replace", real_replace)
    monkeypatch.setattr(Path, "unlink", real_unlink)

    Store(data_dir).recover()  # what the next writer does first
    assert _raw_and_distinct(store) == (6, 6)
    assert sorted(store.query("SELECT id FROM records")["id"]) == ["r0", "r1", "r2", "s0", "s1", "s2"]
    assert len(store.files(RECORDS)) == (3 if kill_at == "staging" else 1)


def test_a_writer_during_a_compaction_waits_and_its_rows_are_kept_once(data_dir, make_record, monkeypatch):
    """compact listed the files, then read them without the writer lock: a batch written in between was read into
    the compacted file and also left in place, so its rows were stored twice. The writer now waits for compaction."""
    import threading

    import collectors.store as store_module

    store = Store(data_dir)
    for i in range(2):
        store.add_records([make_record(id=f"r{i}")])
    settled = threading.Event()  # the writer either finished or is waiting for the lock
    writer_ident: list[int] = []
    real_flock, real_connect = store_module.fcntl.flock, Store.connect

    def flock(fd, op):
        if threading.get_ident() in writer_ident:
            try:
                return real_flock(fd, op | store_module.fcntl.LOCK_NB)
            except BlockingIOError:
                settled.set()
        return real_flock(fd, op)

    def write() -> None:
        writer_ident.append(threading.get_ident())
        try:
            Store(data_dir).add_records([make_record(id="w")])
        finally:
            settled.set()

    writer = threading.Thread(target=write)

    def connect(self, *args, **kwargs):
        if not writer.is_alive() and not settled.is_set():  # compaction's read: a writer arrives now
            writer.start()
            assert settled.wait(60)
        return real_connect(self, *args, **kwargs)

    monkeypatch.setattr(store_module.fcntl, "flock", flock)
    monkeypatch.setattr(Store, "connect", connect)
    store.compact()
    writer.join(60)
    assert not writer.is_alive()
    monkeypatch.setattr(Store, "connect", real_connect)
    assert _raw_and_distinct(store) == (3, 3)
    assert sorted(store.query("SELECT id FROM records")["id"]) == ["r0", "r1", "w"]


def test_public_view_masks_the_account_in_profile_links_in_text(data_dir, make_record):
    """A link in a post's text to a user's profile or post (weibo.com/u/<uid>, weibo.com/<uid>/<bid>,
    m.weibo.cn/profile/<uid>, weibo.com/n/<nickname>, bsky.app/profile/<handle>, space.bilibili.com/<mid>,
    twitter.com/<name>/status/… in a 4CAT export) named an
    ordinary user's account in Explore, exports, briefs and alerts although @mentions of them were masked."""
    texts = {
        "w": "看他主页 https://weibo.com/u/5566778899 和 weibo.com/5566778899/Q1aBc 还有 m.weibo.cn/profile/5566778899",
        "n": "https://weibo.com/n/夏夜汽水_22 说的",
        "b": "see https://bsky.app/profile/quiet-heron.bsky.social/post/3k2 and bsky.app/profile/did:plc:abc123)",
        "s": "UP主 https://space.bilibili.com/3461234 的视频",
        "k": "kept: https://video.weibo.com/show?fid=1034:5566778899 s.weibo.com/weibo?q=AI演员 weibo.com/tv",
        "x": "RT https://twitter.com/quiet_heron33/status/1 x.com/Heron_2 https://x.com/hashtag/AIactor netflix.com/ab",
    }
    store = Store(data_dir)
    store.add_records([make_record(id=k, author_id="1", author_verified_type=-1, text=t, title=t if k == "b" else None)
                       for k, t in texts.items()])
    with store.connect(public_names=["爱奇艺"]) as con:
        public = dict(con.execute("SELECT id, text FROM records_public").fetchall())
        title = con.execute("SELECT title FROM records_public WHERE id = 'b'").fetchone()[0]
    for secret in ("5566778899/Q", "u/5566778899", "profile/5566778899", "夏夜汽水", "quiet-heron", "did:plc:abc123",
                   "3461234", "heron33", "Heron_2"):
        assert not any(secret in t for t in public.values()), secret
    assert public["w"] == ("看他主页 https://weibo.com/u/(user) 和 weibo.com/(user)/Q1aBc 还有 "
                           "m.weibo.cn/profile/(user)")
    assert public["b"] == "see https://bsky.app/profile/(user)/post/3k2 and bsky.app/profile/(user))"
    assert title == public["b"]
    assert public["k"] == texts["k"]  # a video id and a search link name no account
    # the site's own pages are masked too (x.com/(user)/AIactor): the view's regular expressions cannot look ahead
    assert public["x"] == ("RT https://twitter.com/(user)/status/1 x.com/(user) https://x.com/(user)/AIactor "
                           "netflix.com/ab")


def test_raw_archive_reads_past_a_response_cut_short_by_a_killed_run(data_dir):
    # a run killed while appending leaves a truncated gzip member; later appends the same day must stay readable
    store = Store(data_dir)
    path = store.archive_raw("weibo", "first", {"n": 1})
    store.archive_raw("weibo", "second", {"n": 2})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 15])  # the kill: the second response's member is cut short
    store.archive_raw("weibo", "third", {"n": 3})
    store.archive_raw("weibo", "fourth", {"n": 4})
    assert [r["body"] for r in store.iter_raw("weibo")] == ["first", "third", "fourth"]


def test_raw_archive_reads_past_a_cut_member_that_inflates_to_bytes_that_are_not_utf8(data_dir):
    """A cut-short member followed by the next one's header can inflate to garbage that is not UTF-8 (this one does):
    the text-mode reader raised UnicodeDecodeError out of iter_raw before zlib noticed the damage (a flaky failure
    of the test above, whose archive bytes vary with the time)."""
    import gzip
    import json

    def member(body: str) -> bytes:
        return gzip.compress((json.dumps({"body": body}) + "\n").encode(), mtime=0)

    cut = member("搜322beb博2博博0微")
    store = Store(data_dir)
    folder = store.raw_root / "weibo"
    folder.mkdir(parents=True)
    (folder / "2026-04-21.jsonl.gz").write_bytes(member("first") + cut[:-10] + member("third") + member("fourth"))
    assert [r["body"] for r in store.iter_raw("weibo")] == ["first", "third", "fourth"]


def test_a_damaged_store_file_is_one_error_line_naming_it_not_a_traceback(data_dir, make_record, monkeypatch, capsys):
    """A records file cut short (a copy interrupted by a full disk) made every command that reads the store end in a
    DuckDB traceback; the entry point now says which file and what to do, in one line, with exit status 1."""
    import sys

    from dashboard.cli import main

    store = Store(data_dir)
    store.add_records([make_record(trackers=["case-a"])])
    (damaged,) = store.files(RECORDS)
    damaged.write_bytes(damaged.read_bytes()[:100])
    monkeypatch.setattr(sys, "argv", ["actorwatch", "store", "stats", "--json"])
    monkeypatch.delenv("ACTORWATCH_DEBUG", raising=False)
    with pytest.raises(SystemExit) as stopped:
        main()
    out, err = capsys.readouterr()
    assert stopped.value.code == 1 and out == ""
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith("error: ") and str(damaged) in err and "damaged" in err


def compact_during_the_next_read(monkeypatch) -> None:
    """The next store connection reads the record files listed as it opens, and a `store compact` in another
    process replaces them before the first query: the race of a reader with a compaction, made certain."""
    connect, done = Store.connect, []

    def connect_then_compact(self, *args, **kwargs):
        con = connect(self, *args, **kwargs)
        if not done:
            done.append(True)
            files = ", ".join("'" + str(p) + "'" for p in self.files(RECORDS))
            con.execute(f"CREATE OR REPLACE VIEW records AS SELECT * FROM read_parquet([{files}], union_by_name=true)")
            assert Store(self.data_dir).compact().batch is not None
        return con

    monkeypatch.setattr(Store, "connect", connect_then_compact)


def test_a_file_a_compaction_removed_during_a_read_is_not_called_damaged(data_dir, make_record, monkeypatch, capsys):
    """A command reading while `store compact` ran could fail on a file the compaction had just replaced, and was
    told the file was damaged and to move it out of the store (there was nothing to move); it now says the store
    changed while it read, and to run the command again."""
    import sys

    from dashboard.cli import main

    store = Store(data_dir)
    store.add_records([make_record(trackers=["case-a"])])
    store.add_records([make_record(trackers=["case-a"])])
    compact_during_the_next_read(monkeypatch)
    monkeypatch.setattr(sys, "argv", ["actorwatch", "store", "stats", "--json"])
    monkeypatch.delenv("ACTORWATCH_DEBUG", raising=False)
    with pytest.raises(SystemExit) as stopped:
        main()
    err = capsys.readouterr().err
    assert stopped.value.code == 1 and len(err.strip().splitlines()) == 1
    assert "damaged" not in err and "removed while" in err and "run the command again" in err


def test_stats_total_counts_a_record_of_two_trackers_once(data_dir, make_record):
    """The per-day rows count a record once per tracker, and the total summed them: one record tagged with two
    trackers made "total: 2 records". The total (and --json's records and synthetic) now count records."""
    import json

    from click.testing import CliRunner

    from dashboard.cli import cli

    Store(data_dir).add_records([make_record(trackers=["case-a", "case-b"], synthetic=True)])
    table = CliRunner().invoke(cli, ["store", "stats"])
    assert "total: 1 records, 1 of them SYNTHETIC" in table.output, table.output
    report = json.loads(CliRunner().invoke(cli, ["store", "stats", "--json"]).stdout)
    assert (report["records"], report["synthetic"], len(report["days"])) == (1, 1, 2)


def test_compacting_an_unknown_dataset_names_the_ones_there_are(data_dir, make_record):
    """`store compact --dataset recods` said only "no dataset 'recods' in …/store": it now names the datasets."""
    from collectors.store import StoreError

    store = Store(data_dir)
    store.add_records([make_record()])
    with pytest.raises(StoreError, match=r"no dataset 'recods' in .*\(datasets: .*records"):
        store.compact("recods")
