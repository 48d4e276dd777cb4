"""The fast JSONL import path (pyarrow blocks validated by column) against the per-record path.

Both must report every bad line with its number, keep every good line, and store the same values.
"""

import json
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.importers import ImportIssue, RecordTable, get_format
from collectors.importers.jsonl_blocks import SMALL_BLOCK_LINES, _blocks, read_jsonl_blocks
from collectors.ingest import ingest
from collectors.models import RECORD_FIELDS, Record
from collectors.record_columns import PYTHON_WHITESPACE
from collectors.store import Store
from collectors.trackers import get_tracker

GOOD = {"source": "weibo", "kind": "post", "text": "好", "published_at": "2026-04-20T10:00:00+08:00",
        "collected_at": "2026-04-21T00:00:00Z", "trackers": [], "synthetic": False}


def _good(i: int, **extra) -> str:
    return json.dumps({**GOOD, "id": f"g{i}", **extra}, ensure_ascii=False)


def _mixed_lines() -> tuple[list[bytes], set[int], set[str]]:
    """Lines of a file (good ones in bulk, bad ones scattered), the bad line numbers, the good ids."""
    bad_rows = [
        b'{"source": "weibo", "id": "b1", ',  # truncated JSON
        b'{"source": "\xff\xfe", "id": "b2"}',  # not UTF-8
        json.dumps({**GOOD, "id": "b3", "likes": -1}).encode(),  # reads, fails a column check
        json.dumps({**GOOD, "id": "b4", "colour": "red"}).encode(),  # unknown key: pyarrow refuses the block
        json.dumps({**GOOD, "id": "b5", "published_at": "2026-04-20T10:00:00"}).encode(),  # no time zone
        json.dumps({**GOOD, "id": "b6", "published_at": "2026-02-30T10:00:00Z"}).encode(),  # no such day
        json.dumps({**GOOD, "id": "b7", "text": " \u3000\n", "title": None}).encode(),  # no content
        json.dumps({**GOOD, "id": "b8", "likes": "many"}).encode(),  # wrong type: pyarrow refuses the block
        (_good(9001) + _good(9002)).encode(),  # two objects on one line
        json.dumps({**GOOD, "id": "b10", "source": "Weibo"}).encode(),  # source pattern
        json.dumps(["not", "an", "object"]).encode(),
        json.dumps({**GOOD, "id": "b12", "author_verified_type": 2**40}).encode(),  # beyond the stored int32
    ]
    lines: list[bytes] = []
    bad_numbers: set[int] = set()
    good_ids: set[str] = set()
    for i in range(600):
        if i % 50 == 7 and bad_rows:
            lines.append(bad_rows.pop(0))
            bad_numbers.add(len(lines))
        elif i % 97 == 3:
            lines.append(b"   ")  # blank lines are skipped, not reported
        else:
            extra = {"likes": "5"} if i == 400 else {"published_at": "2026-04-20 10:00:00+08:00"} if i == 401 else {}
            lines.append(_good(i, **extra).encode())  # rows 400/401: valid, but only the per-record path reads them
            good_ids.add(f"g{i}")
    assert not bad_rows
    return lines, bad_numbers, good_ids


@pytest.fixture
def mixed_file(tmp_path: Path) -> tuple[Path, set[int], set[str]]:
    lines, bad, good = _mixed_lines()
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, bad, good


def _bad_lines(issues: list[ImportIssue]) -> set[int]:
    assert all(i.where.startswith("mixed.jsonl:") for i in issues), issues
    return {int(i.where.rsplit(":", 1)[1]) for i in issues}


@pytest.mark.parametrize("path_kind", ["fast", "fast-small-blocks", "slow"])
def test_bad_lines_reported_with_numbers_and_every_good_row_kept(mixed_file, tmp_path, path_kind):
    path, bad, good = mixed_file
    importer = get_format("jsonl")
    read = {"fast": lambda: importer.read_batches(path),
            "fast-small-blocks": lambda: read_jsonl_blocks(path, block_bytes=4096),  # many blocks, halving inside them
            "slow": lambda: importer.read(path)}[path_kind]
    store = Store(tmp_path / path_kind)
    summary = ingest(read(), store)
    assert _bad_lines(summary.issues) == bad
    assert summary.rejected == len(bad) and summary.records_new == len(good)
    stored = store.query("SELECT id FROM records")["id"]
    assert set(stored) == good and len(stored) == len(good)
    by_line = {int(i.where.rsplit(":", 1)[1]): i.message for i in summary.issues}
    assert any("likes" in m for m in by_line.values()) and any("UTF-8" in m for m in by_line.values())
    again = ingest(read(), store)  # idempotent on either path
    assert again.records_new == 0 and again.records_duplicate == len(good)


def test_fast_path_reads_good_rows_by_column_and_stores_what_the_slow_path_stores(mixed_file, tmp_path):
    path, _bad, good = mixed_file
    items = list(get_format("jsonl").read_batches(path, get_tracker("iqiyi-nadou")))
    by_column = sum(i.table.num_rows for i in items if isinstance(i, RecordTable))
    # one by one: the two unusual-but-valid rows, and the few neighbours of each line pyarrow refuses
    assert by_column >= len(good) - 2 - 7 * SMALL_BLOCK_LINES
    fast, slow = Store(tmp_path / "f"), Store(tmp_path / "s")
    ingest(items, fast)
    ingest(get_format("jsonl").read(path, get_tracker("iqiyi-nadou")), slow)
    order = "SELECT * FROM records ORDER BY source, id"
    a, b = fast.query(order), slow.query(order)
    assert len(a) == len(good)
    assert a.to_json(orient="records", date_format="iso") == b.to_json(orient="records", date_format="iso")
    assert all(list(t) == ["iqiyi-nadou"] for t in a["trackers"])


def test_missing_defaulted_keys_and_a_bom_take_the_fast_path(tmp_path):
    path = tmp_path / "lean.jsonl"
    rows = [{k: v for k, v in {**GOOD, "id": str(i)}.items() if k not in ("trackers", "synthetic")} for i in range(5)]
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(json.dumps(r) for r in rows).encode())  # no final newline
    items = list(read_jsonl_blocks(path))
    assert [type(i) for i in items] == [RecordTable]
    table = items[0].table
    assert table["id"].to_pylist() == ["0", "1", "2", "3", "4"]
    assert table["synthetic"].to_pylist() == [False] * 5 and table["trackers"].to_pylist() == [[]] * 5


def test_newer_version_counts_as_updated_and_repeats_within_a_file_count_once(tmp_path):
    store = Store(tmp_path / "d")
    first = tmp_path / "a.jsonl"
    first.write_text("\n".join(_good(i) for i in range(3)) + "\n")
    assert ingest(read_jsonl_blocks(first), store).records_new == 3
    newer = tmp_path / "b.jsonl"
    newer.write_text("\n".join([_good(0, collected_at="2026-05-01T00:00:00Z", text="新"), _good(1), _good(3), _good(3)]) + "\n")
    summary = ingest(read_jsonl_blocks(newer), store)
    assert (summary.records_new, summary.records_updated, summary.records_duplicate) == (1, 1, 2)
    texts = dict(store.query("SELECT id, text FROM records").itertuples(index=False))
    assert texts == {"g0": "新", "g1": "好", "g2": "好", "g3": "好"}



def test_one_id_under_two_sources_in_a_file_is_two_records_and_a_repeat_of_either_counts_once(tmp_path):
    store = Store(tmp_path / "d")
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join([_good(0), _good(0, source="bilibili"), _good(0, source="bilibili")]) + "\n")
    summary = ingest(read_jsonl_blocks(path), store)
    assert (summary.records_new, summary.records_duplicate) == (2, 1)
    assert sorted(store.query("SELECT source FROM records")["source"]) == ["bilibili", "weibo"]

def test_whitespace_table_is_pythons():
    assert set(PYTHON_WHITESPACE) == {c for c in range(sys.maxunicode + 1) if chr(c).isspace()}


_text = st.text(alphabet=st.sampled_from(["a", "好", " ", "\u3000", "\t", "\x1c", "\u00a0", "!", "é"]), max_size=4)
_stamp = st.sampled_from(["2026-04-20T10:00:00Z", "2026-04-20T10:00:00.5+08:00", "2026-04-20T10:00:00.123456-05:30",
                          "2026-04-20T10:00:00", "2026-13-01T00:00:00Z", "2024-02-29T23:59:59+23:59",
                          "2026-04-20 10:00:00Z", "2026-04-20T24:00:00Z", "0000-01-01T00:00:00Z", "2026-04-20T10:00Z"])
_count = st.one_of(st.none(), st.integers(-3, 3), st.just(2**31), st.just("7"), st.just(1.0))
_record = st.fixed_dictionaries(
    {"source": st.sampled_from(["weibo", "rss", "", "Weibo", "a" * 65, "b.c:d-e_f", "x\n"]),
     "kind": st.sampled_from(["post", "article", "tweet"]), "text": st.one_of(_text, st.none()),
     "published_at": _stamp, "collected_at": _stamp},
    optional={"title": st.one_of(_text, st.none()), "lang": st.sampled_from([None, "zh", "en", "ZH", "eng"]),
              "likes": _count, "author_verified_type": _count, "trackers": st.sampled_from([[], ["x"], [None], None]),
              "synthetic": st.sampled_from([True, False, None]), "author_verified": st.sampled_from([True, None, 1]),
              "time_basis": st.sampled_from([None, "mid", "saved-at", "guess"])})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_record, min_size=1, max_size=12))
def test_fast_and_slow_paths_agree_on_any_rows(tmp_path, rows):
    path = tmp_path / "any.jsonl"
    path.write_text("\n".join(json.dumps({**row, "id": str(i)}, ensure_ascii=False) for i, row in enumerate(rows)))
    fast = list(read_jsonl_blocks(path))
    slow = list(get_format("jsonl").read(path))
    assert {i.where for i in fast if isinstance(i, ImportIssue)} == {i.where for i in slow if isinstance(i, ImportIssue)}
    fast_rows = [row for i in fast if isinstance(i, RecordTable) for row in i.table.to_pylist()]
    fast_rows += [i.model_dump() for i in fast if isinstance(i, Record)]
    slow_rows = [r.model_dump() for r in slow if isinstance(r, Record)]
    assert sorted(fast_rows, key=lambda r: r["id"]) == sorted(slow_rows, key=lambda r: r["id"])
    assert all(set(r) == set(RECORD_FIELDS) for r in fast_rows)
    assert pa.Table.from_pylist(fast_rows).num_rows == len(slow_rows)


def test_a_post_collected_again_for_another_tracker_stays_in_both(tmp_path):
    # iqiyi-nadou's run stores the post; a later run for another tracker finds it again (newer counts): the newer
    # version must keep the first tracker's tag, or every figure of iqiyi-nadou loses the post
    store = Store(tmp_path / "d")
    first = tmp_path / "a.jsonl"
    first.write_text("\n".join([_good(0, trackers=["iqiyi-nadou"]), _good(1, trackers=["iqiyi-nadou"])]) + "\n")
    ingest(read_jsonl_blocks(first), store)
    again = tmp_path / "b.jsonl"
    again.write_text("\n".join([_good(0, trackers=["yaoke-ai-actors"], collected_at="2026-05-01T00:00:00Z", likes=5),
                                _good(2, trackers=["yaoke-ai-actors"])]) + "\n")
    summary = ingest(read_jsonl_blocks(again), store)
    assert (summary.records_new, summary.records_updated) == (1, 1)
    rows = {r.id: (sorted(r.trackers), r.likes) for r in store.query("SELECT * FROM records").itertuples()}
    assert rows["g0"] == (["iqiyi-nadou", "yaoke-ai-actors"], 5)
    assert rows["g1"][0] == ["iqiyi-nadou"] and rows["g2"][0] == ["yaoke-ai-actors"]


def test_an_older_copy_of_a_stored_post_imported_for_another_tracker_adds_that_tracker(tmp_path):
    """A post collected for one tracker, then found in an older export imported for another tracker (or stored
    second by a writer running at the same time), was counted a duplicate and the other tracker was dropped: the
    post never reached any of its figures. The stored newest version now gains that tracker, content unchanged."""
    store = Store(tmp_path / "d")
    path = tmp_path / "a.jsonl"
    path.write_text(_good(0, trackers=["iqiyi-nadou"], collected_at="2026-05-01T00:00:00Z", likes=5) + "\n")
    ingest(read_jsonl_blocks(path), store)
    path.write_text(_good(0, trackers=["tilly-norwood"], likes=1) + "\n")  # collected earlier
    summary = ingest(read_jsonl_blocks(path), store)
    assert (summary.records_new, summary.records_updated, summary.records_duplicate) == (0, 1, 0)
    (row,) = store.query("SELECT * FROM records").itertuples()
    assert sorted(row.trackers) == ["iqiyi-nadou", "tilly-norwood"] and row.likes == 5
    assert str(row.collected_at).startswith("2026-05-01")
    again = ingest(read_jsonl_blocks(path), store)
    assert (again.records_updated, again.records_duplicate) == (0, 1)


def test_same_version_for_another_tracker_is_retagged_once_also_with_known_keys_kept_across_runs(tmp_path):
    # a collection run keeps one KnownKeys across pages: after a post is retagged for a second tracker, seeing it again
    # for either tracker (or for both) is a duplicate; a row naming a tracker not stored is retagged again
    from collectors.ingest import KnownKeys

    store = Store(tmp_path / "d")
    known = KnownKeys(store)
    path = tmp_path / "a.jsonl"

    def run(*trackers: str):
        path.write_text(_good(0, trackers=list(trackers)) + "\n")
        s = ingest(read_jsonl_blocks(path), store, known=known)
        return s.records_new, s.records_updated, s.records_duplicate

    assert run("iqiyi-nadou") == (1, 0, 0)
    assert run("tilly-norwood") == (0, 1, 0)
    assert [run("iqiyi-nadou"), run("tilly-norwood"), run("tilly-norwood", "iqiyi-nadou")] == [(0, 0, 1)] * 3
    assert run("yaoke-ai-actors", "iqiyi-nadou") == (0, 1, 0)
    assert [sorted(t) for t in store.query("SELECT trackers FROM records")["trackers"]] == [
        ["iqiyi-nadou", "tilly-norwood", "yaoke-ai-actors"]]


def test_a_post_another_writer_stored_during_a_run_keeps_that_writers_tracker(tmp_path):
    """A collection run reads the store's keys once and keeps them across its pages (hours on Weibo): a post that an
    import for another tracker stored meanwhile, found again by the run, looked new, was written with the run's
    tracker only, and as the newer version dropped out of every figure of the importing tracker. Keys of files
    another writer added are now read before each batch is checked, so the post keeps both trackers."""
    from collectors.ingest import KnownKeys

    store = Store(tmp_path / "d")
    run_keys = KnownKeys(store)  # a collection run starts: its keys are read (an empty store) ...
    assert not any(keys.num_rows for keys in run_keys.records)
    path = tmp_path / "a.jsonl"
    path.write_text(_good(0, trackers=["tilly-norwood"]) + "\n")
    assert ingest(read_jsonl_blocks(path), store).records_new == 1  # ... an import for another tracker meanwhile ...
    path.write_text(_good(0, trackers=["iqiyi-nadou"], collected_at="2026-05-01T00:00:00Z") + "\n")
    page = ingest(read_jsonl_blocks(path), store, known=run_keys)  # ... and the run's next page holds the same post
    assert (page.records_new, page.records_updated) == (0, 1)
    assert [sorted(t) for t in store.query("SELECT trackers FROM records")["trackers"]] == [
        ["iqiyi-nadou", "tilly-norwood"]]
    again = ingest(read_jsonl_blocks(path), store, known=run_keys)  # its own write is known without reading it again
    assert again.records_duplicate == 1


def test_a_writer_landing_between_a_batchs_check_and_its_write_does_not_lose_its_tracker(tmp_path, monkeypatch):
    """The keys are read again before each batch is checked, but another writer could still store the same post
    between that check and the batch's write (both then wrote it under one tracker each, and one tag was lost).
    The check and the write now happen under the store's writer lock, so the other writer comes after, and
    merges."""
    import threading

    from collectors.ingest import KnownKeys

    store = Store(tmp_path / "d")
    other, mine = tmp_path / "other.jsonl", tmp_path / "mine.jsonl"
    other.write_text(_good(0, trackers=["tilly-norwood"], collected_at="2026-05-01T00:00:00Z") + "\n")  # newer
    mine.write_text(_good(0, trackers=["iqiyi-nadou"]) + "\n")
    refresh, racers = KnownKeys.refresh, []

    def refresh_then_another_writer(self):
        known = refresh(self)
        if not racers:  # just checked: an import for another tracker stores the same post now (waited for up to 1 s)
            racers.append(threading.Thread(target=ingest, args=(read_jsonl_blocks(other), Store(store.data_dir))))
            racers[0].start()
            racers[0].join(timeout=1)
        return known

    monkeypatch.setattr(KnownKeys, "refresh", refresh_then_another_writer)
    ingest(read_jsonl_blocks(mine), store)
    racers[0].join(timeout=30)
    assert [sorted(t) for t in store.query("SELECT trackers FROM records")["trackers"]] == [
        ["iqiyi-nadou", "tilly-norwood"]]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=12),
       trailing_newline=st.booleans(), size=st.integers(1, 50))
def test_blocks_cover_the_file_in_whole_lines_with_their_first_line_numbers(tmp_path, lines, trailing_newline, size):
    """Lines longer than a block, a last line without its newline, blocks of one byte: every byte once, in order."""
    body = b"\n".join(lines) + (b"\n" if trailing_newline and lines else b"")
    path = tmp_path / "blocks.jsonl"
    path.write_bytes(body)
    with path.open("rb") as fh:
        blocks = list(_blocks(fh, size))
    assert b"".join(block for _, block in blocks) == body
    assert all(block for _, block in blocks) and all(block.endswith(b"\n") for _, block in blocks[:-1])
    starts = [sum(len(block) for _, block in blocks[:i]) for i in range(len(blocks))]
    assert [first for first, _ in blocks] == [1 + body[:start].count(b"\n") for start in starts]
