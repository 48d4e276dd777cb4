import json

from click.testing import CliRunner

from collectors.store import Store
from dashboard.cli import cli

GOOD = {"source": "weibo", "kind": "post", "text": "好", "published_at": "2026-04-20T10:00:00+08:00",
        "collected_at": "2026-04-21T00:00:00Z"}


def _jsonl(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_dry_run_reports_bad_line_and_prints_good_records(tmp_path, data_dir):
    src = _jsonl(tmp_path / "in.jsonl", [json.dumps({**GOOD, "id": "1"}), json.dumps({**GOOD, "id": "2", "likes": -1}),
                                         json.dumps({**GOOD, "id": "3"})])
    result = CliRunner().invoke(cli, ["import", str(src), "--dry-run"])
    assert result.exit_code == 0, result.output
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in printed] == ["1", "3"]
    assert set(printed[0]) >= {"source", "id", "kind", "published_at", "trackers", "synthetic"}
    assert printed[0]["published_at"] == "2026-04-20T02:00:00Z"
    assert "in.jsonl:2" in result.stderr and "likes" in result.stderr
    assert not Store(data_dir).files("records")  # nothing written


def test_import_is_idempotent_and_csv_round_trips(tmp_path, data_dir):
    src = _jsonl(tmp_path / "in.jsonl", [json.dumps({**GOOD, "id": str(i)}) for i in range(5)])
    runner = CliRunner()
    first = runner.invoke(cli, ["import", str(src), "--tracker", "iqiyi-nadou"])
    assert first.exit_code == 0 and "5 new" in first.stderr
    again = runner.invoke(cli, ["import", str(src), "--tracker", "iqiyi-nadou"])
    assert "0 new" in again.stderr and "5 duplicate" in again.stderr
    frame = Store(data_dir).query("SELECT * FROM records")
    assert len(frame) == 5 and all(list(t) == ["iqiyi-nadou"] for t in frame["trackers"])

    csv_path = tmp_path / "in.csv"
    csv_path.write_text("source,id,kind,text,published_at,collected_at,likes,trackers\n"
                        "rss,a1,article,标题,2026-04-20T00:00:00Z,2026-04-21T00:00:00Z,7,x|y\n"
                        "rss,a2,article,,2026-04-20T00:00:00Z,2026-04-21T00:00:00Z,,\n", encoding="utf-8")
    out = runner.invoke(cli, ["import", str(csv_path), "--dry-run"])
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert rows == [{**rows[0], "id": "a1", "likes": 7, "trackers": ["x", "y"]}]
    assert "in.csv:3" in out.stderr and "text" in out.stderr


def test_unrecognised_file_lists_formats_tried(tmp_path):
    weird = tmp_path / "notes.txt"
    weird.write_text("hello")
    result = CliRunner().invoke(cli, ["import", str(weird)])
    assert result.exit_code != 0
    assert "tried:" in str(result.exception) + result.output and "jsonl" in str(result.exception) + result.output


def test_invalid_utf8_line_is_reported_not_fatal(tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_bytes(json.dumps({**GOOD, "id": "1"}).encode() + b"\n" + b'{"source": "\xff\xfe"}\n')
    result = CliRunner().invoke(cli, ["import", str(src), "--format", "jsonl", "--dry-run"])
    assert result.exit_code == 0 and "bad.jsonl:2" in result.stderr and "UTF-8" in result.stderr
    assert len(result.stdout.splitlines()) == 1


def test_generic_formats_are_tried_last():
    from collectors.importers import formats

    names = list(formats())
    assert names[-2:] == ["jsonl", "csv"]
    assert names.index("weibo-hot-archive") < names.index("weibo-hot-search")


def test_csv_row_the_csv_module_refuses_is_reported_and_the_rows_after_it_import(tmp_path, monkeypatch):
    from collectors.importers import ImportIssue, filerows
    from collectors.importers.native import CsvImporter

    monkeypatch.setattr(filerows, "FIELD_LIMIT", 131_072)  # the csv module's default (importers raise it)

    path = tmp_path / "in.csv"
    row = "rss,{},article,{},2026-04-20T00:00:00Z,2026-04-21T00:00:00Z\n"
    path.write_text("source,id,kind,text,published_at,collected_at\n" + row.format("a1", "ok")
                    + row.format("a2", "x" * 140_000) + row.format("a3", "ok"), encoding="utf-8")
    items = list(CsvImporter().read(path))  # a field over the csv module's limit raised out of read()
    assert [i.id for i in items if not isinstance(i, ImportIssue)] == ["a1", "a3"]
    issues = [i for i in items if isinstance(i, ImportIssue)]
    assert len(issues) == 1 and issues[0].where == "in.csv:3" and "bad CSV" in issues[0].message


def test_files_saved_with_a_byte_order_mark_are_recognised(tmp_path, data_dir):
    # Windows editors and some browsers' "save as" write a UTF-8 BOM; the readers accept it, detection did not
    from pathlib import Path

    fixtures = Path(__file__).parent / "fixtures"
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "ours.jsonl").write_bytes(b"\xef\xbb\xbf" + (json.dumps({**GOOD, "id": "bom-1"}) + "\n").encode())
    for name in ("weibo/search_page1.json", "bluesky/search_page1.json"):
        (folder / Path(name).name.replace(".json", f"_{Path(name).parent}.json")).write_bytes(
            b"\xef\xbb\xbf" + (fixtures / name).read_bytes())
    result = CliRunner().invoke(cli, ["import", str(folder)])
    assert result.exit_code == 0, result.output
    assert "not a recognised format" not in result.stderr and "rejected: 0" in result.stderr
    sources = set(Store(data_dir).query("SELECT source FROM records")["source"])
    assert sources == {"weibo", "bluesky"} and "bom-1" in set(Store(data_dir).query("SELECT id FROM records")["id"])


def test_extra_csv_columns_are_a_warning_not_a_rejected_row(tmp_path, data_dir):
    # e.g. re-importing an export, whose CSV adds sentiment and visibility columns: every row is kept, so the
    # summary must not say one was rejected
    src = tmp_path / "export.csv"
    src.write_text("source,id,kind,text,published_at,collected_at,sentiment\n"
                   "rss,e1,article,标题,2026-04-20T00:00:00Z,2026-04-21T00:00:00Z,negative\n"
                   "rss,e2,article,标题二,2026-04-20T00:00:00Z,2026-04-21T00:00:00Z,neutral\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(src)])
    assert result.exit_code == 0, result.output
    assert "2 new" in result.stderr and "rejected: 0" in result.stderr
    assert "warning export.csv:1: unknown column(s) ignored: sentiment" in result.stderr
    dry = CliRunner().invoke(cli, ["import", str(src), "--dry-run"])
    assert "2 valid, 0 rejected, 1 warning(s)" in dry.stderr


def test_importing_stored_posts_for_a_second_tracker_tags_them(tmp_path, data_dir):
    # the same posts (same collected_at) imported for a second tracker are that tracker's too: they are written again
    # with both tags (counted as updated), not dropped as duplicates; a re-import for either tracker adds nothing
    from analysis.core.filters import Filters
    from analysis.stats.aggregate import kpis

    src = _jsonl(tmp_path / "in.jsonl", [json.dumps({**GOOD, "id": str(i)}) for i in range(5)])
    runner = CliRunner()
    assert "5 new" in runner.invoke(cli, ["import", str(src), "--tracker", "iqiyi-nadou"]).stderr
    second = runner.invoke(cli, ["import", str(src), "--tracker", "tilly-norwood"])
    assert second.exit_code == 0, second.output
    assert "0 new, 5 updated, 0 duplicate" in second.stderr
    store = Store(data_dir)
    frame = store.query("SELECT * FROM records")
    assert len(frame) == 5 and all(sorted(t) == ["iqiyi-nadou", "tilly-norwood"] for t in frame["trackers"])
    for tracker in ("iqiyi-nadou", "tilly-norwood"):
        again = runner.invoke(cli, ["import", str(src), "--tracker", tracker])
        assert "0 new, 0 updated, 5 duplicate" in again.stderr
        with store.connect() as con:
            assert kpis(con, Filters(tracker), None)["records"] == 5


def test_a_record_without_text_is_reported_in_plain_words(tmp_path, data_dir):
    """It read "field 'Value error, text': Value error, text: empty …" (pydantic's prefix leaking into the line)."""
    src = _jsonl(tmp_path / "in.jsonl", [json.dumps({**GOOD, "id": "1", "text": ""})])
    result = CliRunner().invoke(cli, ["import", str(src), "--dry-run"])
    assert result.exit_code == 1, result.output  # its only row rejected
    assert "in.jsonl:1: field 'text': empty (a record needs text or a title)" in result.stderr
    assert "Value error" not in result.stderr


def test_an_unknown_format_is_a_usage_error(tmp_path):
    """`--format nope` exited 1 like a failed import; like every other bad option value it is a usage error (2)."""
    src = _jsonl(tmp_path / "in.jsonl", [json.dumps({**GOOD, "id": "1"})])
    result = CliRunner().invoke(cli, ["import", str(src), "--format", "nope"])
    assert result.exit_code == 2 and "unknown format 'nope'" in result.output and "jsonl" in result.output


def test_an_empty_file_is_said_to_be_empty(tmp_path):
    """An empty file was refused as 'no importer recognised this file (tried: …19 formats…)'."""
    empty = tmp_path / "export.jsonl"
    empty.write_bytes(b"")
    result = CliRunner().invoke(cli, ["import", str(empty)])
    assert result.exit_code != 0
    message = str(result.exception) + result.output
    assert f"{empty}: the file is empty" in message and "tried:" not in message


def test_records_imported_without_a_tracker_are_said_to_show_nowhere(tmp_path, data_dir):
    """`actorwatch import FILE` without --tracker stored records no page, chart, export or brief shows, and said only
    "5 new"; it now says how many carry no tracker and how to tag them (JSONL fast path and a per-record format)."""
    src = _jsonl(tmp_path / "in.jsonl", [json.dumps({**GOOD, "id": str(i)}) for i in range(5)]
                 + [json.dumps({**GOOD, "id": "t", "trackers": ["iqiyi-nadou"]})])
    runner = CliRunner()
    plain = runner.invoke(cli, ["import", str(src)])
    assert plain.exit_code == 0, plain.output
    assert "5 record(s) carry no tracker" in plain.stderr and "--tracker ID" in plain.stderr
    tagged = runner.invoke(cli, ["import", str(src), "--tracker", "iqiyi-nadou"])
    assert tagged.exit_code == 0 and "no tracker" not in tagged.stderr
    dry = runner.invoke(cli, ["import", str(src), "--dry-run"])
    assert "5 record(s) carry no tracker" in dry.stderr


def test_responses_saved_as_utf16_by_powershell_are_recognised_and_read(tmp_path, data_dir):
    # Windows PowerShell 5's `>` writes UTF-16LE with a BOM: `curl.exe … > page.json` is a common way to save one
    from pathlib import Path

    fixtures = Path(__file__).parent / "fixtures"
    folder = tmp_path / "saved"
    folder.mkdir()
    for name in ("weibo/search_page1.json", "bluesky/search_page1.json"):
        text = (fixtures / name).read_text(encoding="utf-8")
        (folder / f"{Path(name).parent}.json").write_bytes(text.encode("utf-16"))
    result = CliRunner().invoke(cli, ["import", str(folder)])
    assert result.exit_code == 0, result.output
    assert "not a recognised format" not in result.stderr and "rejected: 0" in result.stderr
    assert set(Store(data_dir).query("SELECT source FROM records")["source"]) == {"weibo", "bluesky"}


def test_an_export_csv_resaved_by_excel_as_gbk_is_read(tmp_path, data_dir):
    # an export's records.csv opened and saved again in Excel on Chinese Windows is GBK ("ANSI"), not UTF-8
    src = tmp_path / "records.csv"
    src.write_bytes("source,id,kind,text,published_at,collected_at\n"
                    "rss,g1,article,爱奇艺回应,2026-04-20T00:00:00Z,2026-04-21T00:00:00Z\n".encode("gbk"))
    result = CliRunner().invoke(cli, ["import", str(src)])
    assert result.exit_code == 0, result.output
    assert "1 new" in result.stderr and "rejected: 0" in result.stderr
    assert list(Store(data_dir).query("SELECT text FROM records")["text"]) == ["爱奇艺回应"]


def test_a_file_whose_every_row_is_rejected_fails_and_a_partly_good_file_succeeds(tmp_path, data_dir):
    """Every row rejected exited 0 ("records: 0 new … rejected: 2"), so a script could not tell a wrong file from a
    good one; it now exits 1 with one line saying nothing was imported and what to do. A file with some good rows
    keeps them and exits 0 (the rejected lines are reported, as before), with or without --dry-run."""
    bad = _jsonl(tmp_path / "bad.jsonl", [json.dumps({**GOOD, "id": "1", "likes": -1}),
                                          json.dumps({**GOOD, "id": "2", "text": ""})])
    runner = CliRunner()
    for extra in ([], ["--dry-run"]):
        result = runner.invoke(cli, ["import", str(bad), *extra])
        assert result.exit_code == 1, (extra, result.output)
        assert "bad.jsonl:1" in result.stderr and "bad.jsonl:2" in result.stderr
        assert "every row was rejected (2)" in result.stderr and "nothing was imported" in result.stderr
        assert "Traceback" not in result.output
    assert not Store(data_dir).files("records")

    mixed = _jsonl(tmp_path / "mixed.jsonl", [json.dumps({**GOOD, "id": "1", "likes": -1}), json.dumps({**GOOD, "id": "2"})])
    partly = runner.invoke(cli, ["import", str(mixed)])
    assert partly.exit_code == 0, partly.output
    assert "mixed.jsonl:1" in partly.stderr and "1 new" in partly.stderr and "rejected: 1" in partly.stderr
    assert len(Store(data_dir).query("SELECT * FROM records")) == 1


def test_times_written_without_a_zone_are_counted_with_the_zone_assumed(tmp_path, data_dir):
    """A 4CAT export's "2025-09-30 12:00:00" (no zone) was read as UTC and the summary said nothing; it now says how
    many rows were read in which assumed zone and that their days may be off by that offset, and the records say
    so in time_basis."""
    src = tmp_path / "export.ndjson"
    rows = [{"id": "a", "thread_id": "a", "body": "one", "author": "x", "timestamp": "2025-09-30 12:00:00"},
            {"id": "b", "thread_id": "a", "body": "two", "author": "y", "timestamp": "2025-09-30 23:30:00"},
            {"id": "c", "thread_id": "a", "body": "three", "author": "z", "timestamp": "2025-09-30T12:00:00+08:00"},
            {"id": "d", "thread_id": "a", "body": "four", "author": "w", "timestamp": 1759233600}]
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(src), "--tracker", "iqiyi-nadou"])
    assert result.exit_code == 0, result.output
    assert "2 written without a time zone, read as UTC" in result.stderr, result.stderr
    assert "and the days they fall on, may be off by the offset" in result.stderr
    frame = Store(data_dir).query("SELECT id, time_basis FROM records ORDER BY id")
    assert list(frame["time_basis"].fillna("-")) == ["zone-assumed-utc", "zone-assumed-utc", "-", "-"]


def _import_feed(tmp_path, xml: str):
    """`actorwatch import` of one feed file for a tracker, which must succeed."""
    feed = tmp_path / "feed.xml"
    feed.write_text(xml, encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(feed), "--tracker", "iqiyi-nadou"])
    assert result.exit_code == 0, result.output
    return result


def test_an_unresolved_zone_in_an_import_gets_the_same_note_as_collect(tmp_path, data_dir):
    """`collect rss` said that times read as UTC for an unknown zone name may be off by its offset; import, with the
    same counts, did not: both now print the one note."""
    result = _import_feed(tmp_path, '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
                          '<language>en</language><item><title>A</title><link>https://example.com/a</link>'
                          '<pubDate>Tue, 21 Apr 2026 10:00:00 IST</pubDate></item></channel></rss>')
    assert "those read as UTC may be off by their zone's offset" in result.stderr, result.stderr


def test_a_chinese_feed_s_zoneless_times_are_said_to_be_read_as_beijing_time(tmp_path, data_dir):
    result = _import_feed(tmp_path, '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">'
                          '<title>新闻</title><entry><title>甲</title><link href="https://example.com/a"/><id>a</id>'
                          '<updated>2026-04-21T10:00:00</updated></entry></feed>')
    assert "1 written without a time zone, read as Beijing time (UTC+8)" in result.stderr, result.stderr
    frame = Store(data_dir).query("SELECT time_basis FROM records")
    assert list(frame["time_basis"]) == ["zone-assumed-utc+8"]


def test_a_rerun_after_a_kill_between_journal_and_moves_finishes_that_batch_first_and_says_so(tmp_path, data_dir,
                                                                                             monkeypatch):
    """An import killed after its batch's journal was written but before its files were moved in left the batch
    invisible until some write recovered it; the re-run checked its rows against the store before its own first
    write recovered that batch, so it stored every row a second time and counted them as new, without a word.
    Import (as collect, enrich and import-bundle) now finishes what an interrupted writer left first, and says so."""
    src = _jsonl(tmp_path / "in.jsonl", [json.dumps({**GOOD, "id": str(i)}) for i in range(5)])
    runner = CliRunner()
    with monkeypatch.context() as patch:
        patch.setattr(Store, "_apply_journal", lambda self, journal: None)  # killed right after the journal
        assert runner.invoke(cli, ["import", str(src)]).exit_code == 0
    again = runner.invoke(cli, ["import", str(src)])
    assert again.exit_code == 0, again.output
    assert "store: completed batch" in again.stderr and "interrupted" in again.stderr
    assert "0 new, 0 updated, 5 duplicate" in again.stderr
    store = Store(data_dir)
    assert store.query(f"SELECT count(*) AS n FROM {store.parquet_scan('records')}")["n"].iloc[0] == 5


def test_an_import_waiting_for_another_writer_says_so(tmp_path, data_dir):
    """Writers take turns on the store's lock, so an import started during a long `store compact` (or another
    import's batch) sat without a word until the other finished, and looked hung; it now says it is waiting."""
    import threading
    import time

    src = _jsonl(tmp_path / "in.jsonl", [json.dumps({**GOOD, "id": str(i)}) for i in range(3)])
    holding, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        with Store(data_dir).writing():
            holding.set()
            release.wait(timeout=30)

    other = threading.Thread(target=other_writer)
    other.start()
    assert holding.wait(timeout=30)
    threading.Timer(1.0, release.set).start()  # the other writer finishes a moment later
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["import", str(src)])
    other.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started >= 0.9  # it did wait
    assert "waiting for another writer" in result.stderr and "3 new" in result.stderr
