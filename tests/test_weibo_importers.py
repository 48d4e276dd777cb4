"""Weibo file importers: auto-detection per fixture, mapping, error bodies, and files no format accepts."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from collectors.importers import ImportFormatError, ImportIssue, detect, get_format
from collectors.models import Record, TrendObservation

FIX = Path(__file__).parent / "fixtures" / "weibo"
SAVED_AT = datetime(2026, 4, 21, 2, 0, tzinfo=UTC)


@pytest.fixture
def saved(tmp_path: Path):
    """Copy a fixture with a fixed mtime (the stand-in for when it was saved)."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIX / name, target)
        os.utime(target, (SAVED_AT.timestamp(), SAVED_AT.timestamp()))
        return target

    return copy


EXPECTED = [
    ("search_page1.json", "weibo-json", 6),
    ("search_page2.json", "weibo-json", 8),
    ("hotflow_page1.json", "weibo-json", 3),
    ("build_comments.json", "weibo-json", 1),
    ("comments_show.json", "weibo-json", 1),
    ("detail_5284000000000004.html", "weibo-detail-html", 1),
    ("weibo_cn_timeline.html", "weibo-cn-html", 2),
    ("weibo_cn_comments.html", "weibo-cn-html", 3),  # the post and its 2 comments
    ("hot_search_20260420T0930Z.json", "weibo-hot-search", 5),
    ("weibo-crawler/小鹿观影/1000000001.csv", "weibo-crawler-csv", 3),
    ("mediacrawler/search_contents_2026-04-21.json", "mediacrawler-weibo", 2),
    ("mediacrawler/search_comments_2026-04-21.jsonl", "mediacrawler-weibo", 2),
    ("mediacrawler/search_contents_2026-04-21.csv", "mediacrawler-weibo", 1),
]


@pytest.mark.parametrize("name, fmt, count", EXPECTED)
def test_detection_picks_the_right_format(saved, name, fmt, count):
    path = saved(name)
    importer = detect(path)
    assert importer.name == fmt
    items = list(importer.read(path))
    assert [i for i in items if isinstance(i, ImportIssue)] == []
    assert len(items) == count


def test_unrecognised_file_lists_the_formats_tried(saved):
    with pytest.raises(ImportFormatError) as info:
        detect(saved("not_weibo.txt"))
    message = str(info.value)
    for name in ("weibo-json", "weibo-hot-search", "weibo-crawler-csv", "mediacrawler-weibo", "weibo-cn-html", "jsonl"):
        assert name in message


@pytest.mark.parametrize("name, words", [
    ("captcha.json", "ok=-100"), ("login_required.json", "请先登录"), ("hotflow_none.json", "error body"),
    ("longtext.json", "no post id"), ("search_truncated.json", "not complete JSON"),
])
def test_error_bodies_are_reported_not_imported(saved, name, words):
    path = saved(name)
    items = list(get_format("weibo-json").read(path))
    assert len(items) == 1 and isinstance(items[0], ImportIssue) and words in str(items[0])


def test_relative_dates_count_from_the_save_time(saved):
    from collectors.importers.context import import_context

    path = saved("search_page1.json")
    with import_context(saved_at=SAVED_AT):  # a save time the user vouches for: 刚刚 counts from it
        records = {r.id: r for r in get_format("weibo-json").read(path)}
    assert records["5284000000000003"].published_at == SAVED_AT and records["5284000000000003"].time_basis == "saved-at"
    assert records["5284000000000003"].collected_at == SAVED_AT
    # With only the file's mtime (a guess), an id wins over 刚刚: this fixture's invented id was "issued" 2026-04-04.
    guessed = {r.id: r for r in get_format("weibo-json").read(path)}["5284000000000003"]
    assert guessed.collected_at == SAVED_AT and guessed.time_basis == "mid"
    assert guessed.published_at == datetime(2026, 4, 4, 7, 20, 34, tzinfo=UTC)


def test_weibo_crawler_csv_links_reposts_to_their_original(saved):
    records = {r.id: r for r in get_format("weibo-crawler-csv").read(saved("weibo-crawler/小鹿观影/1000000001.csv"))}
    post, repost, original = records["5284000000000201"], records["5284000000000202"], records["5284000000000001"]
    assert post.author_id == "1000000001" and post.author_name == "小鹿观影" and post.likes == 12_000
    assert post.published_at == datetime(2026, 4, 20, 2, 30, tzinfo=UTC)
    assert repost.kind == "repost" and repost.parent_id == "5284000000000001"
    assert original.author_name == "某娱乐日报(虚构)" and original.likes == 1_000_000 and original.shares == 12_000


def test_mediacrawler_notes_and_comments(saved):
    notes = list(get_format("mediacrawler-weibo").read(saved("mediacrawler/search_contents_2026-04-21.json")))
    assert notes[0].published_at == datetime(2026, 4, 20, 2, 30, tzinfo=UTC) and notes[0].location == "北京"
    assert notes[1].author_id == "9f2c4e8a1b3d5f70" and notes[1].likes == 15_000 and notes[1].comments is None
    comments = list(get_format("mediacrawler-weibo").read(saved("mediacrawler/search_comments_2026-04-21.jsonl")))
    assert [c.kind for c in comments] == ["comment", "comment"]
    assert comments[0].parent_id == "5284000000000301" and comments[0].text == "同问[doge]" and comments[0].location == "上海"
    assert comments[1].parent_id == "5284100000000301"


def test_mediacrawler_top_level_comment_whose_root_is_itself_hangs_under_the_post(tmp_path):
    # MediaCrawler stores hotflow's `rootid` as parent_comment_id, and a top-level comment's rootid is its own id
    path = tmp_path / "weibo_search_comments.jsonl"
    row = {"comment_id": "5284100000000301", "note_id": "5284000000000301", "content": "同问",
           "create_time": 1776653000, "parent_comment_id": 5284100000000301, "user_id": "1000000007"}
    reply = {**row, "comment_id": "5284100000000302", "create_time": 1776653600, "parent_comment_id": "5284100000000301"}
    path.write_text(json.dumps(row) + "\n" + json.dumps(reply) + "\n", encoding="utf-8")
    top, answer = get_format("mediacrawler-weibo").read(path)
    assert top.parent_id == "5284000000000301"  # the post, not the comment itself
    assert answer.parent_id == "5284100000000301"


def test_weibo_crawler_csv_goes_on_after_a_row_the_csv_module_refuses(saved):
    path = saved("weibo-crawler/小鹿观影/1000000001.csv")
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    huge = "5284000000000299,QzfdS0099," + "长" * 140_000 + ",,无,无,无,2026-04-20,iPhone客户端,1,2,3,,,2026-04-20 10:00,true"
    path.write_text("\n".join([lines[0], huge, *lines[1:]]) + "\n", encoding="utf-8")
    items = list(get_format("weibo-crawler-csv").read(path))
    issues = [i for i in items if isinstance(i, ImportIssue)]
    assert len(issues) == 1 and issues[0].where.endswith(":2") and "bad CSV" in issues[0].message
    assert sum(isinstance(i, Record) for i in items) == 3  # every row after the bad one (it used to end the file)


def test_hot_search_file_time_from_name_and_tracker_rules(saved):
    from collectors.trackers import get_tracker

    trends = list(get_format("weibo-hot-search").read(saved("hot_search_20260420T0930Z.json"), get_tracker("iqiyi-nadou")))
    assert all(isinstance(t, TrendObservation) for t in trends)
    assert trends[0].observed_at == datetime(2026, 4, 20, 9, 30, tzinfo=UTC)
    assert trends[0].snapshot == "weibo-hot-search:hot_search_20260420T0930Z.json"
    assert trends[0].rank == 1 and trends[0].heat == 1_234_567
    assert all(t.trackers == ["iqiyi-nadou"] or "iqiyi-nadou" in t.trackers for t in trends)  # --tracker tags all


def test_bad_rows_become_issues_and_the_rest_imports(saved, tmp_path):
    path = saved("mediacrawler/search_comments_2026-04-21.jsonl")
    with path.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
        fh.write(json.dumps({"comment_id": "x", "note_id": "1", "create_time": 1}) + "\n")
        fh.write(json.dumps({"comment_id": "5284100000000399", "note_id": "1", "create_time": "soon", "content": "x"}) + "\n")
    items = list(get_format("mediacrawler-weibo").read(path))
    assert sum(isinstance(i, Record) for i in items) == 2
    issues = [str(i) for i in items if isinstance(i, ImportIssue)]
    assert len(issues) == 3 and ":3:" in issues[0] and "comment_id" in issues[1] and "created_at" in issues[2]


def test_import_cli_dry_run_prints_model_keys(saved):
    from dashboard.cli import cli

    path = saved("search_page2.json")
    result = CliRunner().invoke(cli, ["import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 8 and set(lines[0]) == set(Record.model_fields) and lines[0]["source"] == "weibo"


def test_import_a_folder_of_weibo_files_twice_adds_nothing_the_second_time(tmp_path):
    from dashboard.cli import cli

    folder = tmp_path / "weibo"
    shutil.copytree(FIX, folder)
    first = CliRunner().invoke(cli, ["import", str(folder)])
    assert first.exit_code == 0, first.output
    assert "skipped not_weibo.txt" in first.stderr and "skipped captcha.json: a Weibo error body" in first.stderr
    from collectors.store import Store

    stored = Store().query("SELECT count(*) AS n FROM records")["n"][0]
    assert stored >= 25  # every fixture post and comment, each id once
    second = CliRunner().invoke(cli, ["import", str(folder)])
    assert second.exit_code == 0 and "records: 0 new" in second.stderr
    assert Store().query("SELECT count(*) AS n FROM records")["n"][0] == stored


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-16"])
def test_weibo_crawler_csv_resaved_by_excel_in_a_chinese_encoding_imports_the_same(saved, encoding):
    original = saved("weibo-crawler/小鹿观影/1000000001.csv")
    resaved = original.with_name("1000000002.csv")
    resaved.write_bytes(original.read_bytes().decode("utf-8-sig").encode(encoding))
    os.utime(resaved, (SAVED_AT.timestamp(), SAVED_AT.timestamp()))
    importer = detect(resaved)
    assert importer.name == "weibo-crawler-csv"
    want = [(r.id, r.text) for r in importer.read(original)]
    got = [(r.id, r.text) for r in importer.read(resaved)]
    assert got == want and any("\u4e00" <= ch <= "\u9fff" for _, text in got for ch in text)


def test_a_utf8_file_with_one_bad_byte_is_reported_not_read_as_gbk(saved):
    path = saved("weibo-crawler/小鹿观影/1000000001.csv")
    data = path.read_bytes()
    path.write_bytes(data[:-20] + b"\xff" + data[-20:])
    items = list(get_format("weibo-crawler-csv").read(path))
    assert len(items) == 1 and isinstance(items[0], ImportIssue) and "UTF-8" in items[0].message


def test_a_utf8_file_whose_first_chinese_character_is_broken_is_reported_not_read_as_gbk(saved):
    path = saved("weibo-crawler/小鹿观影/1000000001.csv")
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    first = next(i for i, b in enumerate(data) if b >= 0x80)
    path.write_bytes(data[:first] + data[first + 1:])  # its lead byte lost: the rest still reads as GB18030
    items = list(get_format("weibo-crawler-csv").read(path))
    assert len(items) == 1 and isinstance(items[0], ImportIssue) and "UTF-8" in items[0].message


def test_mediacrawler_truncated_note_loses_its_full_text_link(tmp_path):
    # MediaCrawler keeps m.weibo.cn's search text with its tags cut out, so a truncated post ends "...全文"
    path = tmp_path / "weibo_search_contents.jsonl"
    row = {"note_id": "5284000000000311", "content": "授权范围、期限和收益分配都没说清楚...全文", "create_time": 1776652200,
           "user_id": "1000000006", "note_url": "https://m.weibo.cn/detail/5284000000000311"}
    whole = {**row, "note_id": "5284000000000312", "content": "这条说的是全文"}
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n" + json.dumps(whole, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    cut, kept = get_format("mediacrawler-weibo").read(path)
    assert cut.text == "授权范围、期限和收益分配都没说清楚..." and kept.text == "这条说的是全文"
