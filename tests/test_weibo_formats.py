"""Weibo as it really arrives: `$render_data` saved as JSON, API v2 JSON, weibo.cn comment (hot comments and the
post), repost and profile pages, saved hot-search snapshots — parsed, detected, and imported with times to the second.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from collectors.base import ParseError
from collectors.importers import ImportIssue, detect, get_format
from collectors.importers.context import import_context
from collectors.models import RECORD_SCHEMA, Record, TrendObservation, table_to_records
from collectors.sources import weibo_html
from collectors.sources.weibo_parse import api_v2_page, mid_to_bid, render_data_json_status
from collectors.store import Store
from dashboard.cli import cli

FIX = Path(__file__).parent / "fixtures" / "weibo"
MTIME_2026 = datetime(2026, 4, 21, 2, 0, tzinfo=UTC)  # a copy made long after the page was saved
SAVED_2025 = "2025-01-12T20:00:00+08:00"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def saved(tmp_path: Path):
    """Copy a fixture with a chosen mtime (default: a 2026 copy of a page saved in 2025)."""

    def copy(name: str, mtime: datetime = MTIME_2026, as_name: str | None = None) -> Path:
        target = tmp_path / (as_name or name)
        shutil.copy(FIX / name, target)
        os.utime(target, (mtime.timestamp(), mtime.timestamp()))
        return target

    return copy


def dry_run(path: Path, *options: str) -> tuple[dict[str, dict], str]:
    result = CliRunner().invoke(cli, ["import", str(path), "--dry-run", *options])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    return {r.get("id") or r["topic"]: r for r in rows}, result.stderr


def when(row: dict) -> datetime:
    return datetime.fromisoformat(row.get("published_at") or row["observed_at"])


# ---------------------------------------------------------------- detection
@pytest.mark.parametrize("name, fmt", [
    ("render_data_5289885793676909.json", "weibo-render-data"),
    ("api_v2_statuses.json", "weibo-api-v2"), ("api_v2_reposts.json", "weibo-api-v2"),
    ("api_v2_comments.json", "weibo-api-v2"), ("api_v2_error.json", "weibo-api-v2"),
    ("weibo_cn_comments_hot_2025.html", "weibo-cn-html"), ("weibo_cn_reposts_2025.html", "weibo-cn-html"),
    ("weibo_cn_profile_2025.html", "weibo-cn-html"), ("hot_search_saved.json", "weibo-hot-search"),
])
def test_each_new_shape_is_detected(saved, name, fmt):
    assert detect(saved(name)).name == fmt


@pytest.mark.parametrize("name", ["search_page1.json", "hotflow_page1.json", "build_comments.json", "comments_show.json",
                                  "captcha.json", "login_required.json", "hotflow_none.json", "longtext.json"])
def test_bodies_with_an_ok_key_stay_with_the_m_weibo_cn_importer(saved, name):
    assert detect(saved(name)).name == "weibo-json"


def test_an_api_v2_body_without_ok_is_data_not_an_error_body(saved):
    path = saved("api_v2_statuses.json")
    assert b'"ok"' not in path.read_bytes()
    items = list(get_format("weibo-api-v2").read(path))
    assert [i for i in items if isinstance(i, ImportIssue)] == [] and len(items) == 3
    forced = list(get_format("weibo-json").read(path))  # the m.weibo.cn reader would have called it an error body
    assert len(forced) == 1 and "error body" in str(forced[0])


OTHER_FIXTURES = sorted(p for p in (FIX.parent).rglob("*") if p.is_file() and FIX not in p.parents)


def test_the_new_weibo_importers_claim_no_other_format(tmp_path):
    from collectors.importers import ImportFormatError

    capture = tmp_path / "weibo-capture.ndjson"  # a 4CAT capture of Weibo objects: not an API v2 body
    capture.write_text(json.dumps({"mid": "5289793578386884", "idstr": "5289793578386884", "created_at": "Mon Apr 20 "
                                   "15:02:11 +0800 2026", "text": "x", "user": {"id": 1}, "4CAT_metadata": {}}) + "\n")
    assert OTHER_FIXTURES
    for path in [*OTHER_FIXTURES, capture]:
        try:
            name = detect(path).name
        except ImportFormatError:
            continue
        assert name not in ("weibo-api-v2", "weibo-render-data"), path


# ---------------------------------------------------------------- parsers
def test_render_data_json_gives_the_status_with_its_user():
    status = render_data_json_status(json.loads((FIX / "render_data_5289885793676909.json").read_text(encoding="utf-8")))
    assert status["mid"] == "5289885793676909" and status["user"]["followers_count"] == "18.8万"
    with pytest.raises(ParseError, match="no status"):
        render_data_json_status([{"call": "1"}])
    with pytest.raises(ParseError, match="no status"):
        render_data_json_status([])


def test_api_v2_page_puts_originals_first_and_each_id_once():
    reposts = json.loads((FIX / "api_v2_reposts.json").read_text(encoding="utf-8"))
    posts, comments = api_v2_page(reposts)
    assert [p["idstr"] for p in posts] == ["5290049767826399", "5290054187481076", "5290065609475028"] and comments == []
    body = json.loads((FIX / "api_v2_comments.json").read_text(encoding="utf-8"))
    posts, comments = api_v2_page(body)
    assert [p["idstr"] for p in posts] == ["5289843359945730"]  # the post each comment carries, once
    assert [c["idstr"] for c in comments] == ["5289844749822062", "5289854126334835"]
    single = body["comments"][0]["status"]
    assert [p["idstr"] for p in api_v2_page(single)[0]] == ["5289843359945730"]  # statuses/show: one status


@pytest.mark.parametrize("payload, words", [
    ({"error": "target weibo does not exist!", "error_code": 20101, "request": "/2/comments/show.json"}, "error_code=20101"),
    ({"statuses": "nope"}, "statuses: expected a list"),
    ({"total_number": 0, "next_cursor": 0}, "not an API v2 body"),
    ([], "expected an object"),
])
def test_api_v2_page_errors_are_typed(payload, words):
    with pytest.raises(ParseError, match=words):
        api_v2_page(payload)


def test_weibo_cn_comment_page_gives_the_post_and_hot_comments_each_once():
    page = weibo_html.comment_list_page((FIX / "weibo_cn_comments_hot_2025.html").read_text(encoding="utf-8"))
    assert page.kind == "comments" and page.pages == 3
    assert page.post is not None and page.post["bid"] == "P8U7G8G90" and page.post["created_at"] == "01月10日 11:05"
    assert page.post["user"] == {"id": "1000000021", "screen_name": "晚安小剧迷"}
    assert (page.post["reposts_count"], page.post["comments_count"], page.post["attitudes_count"]) == ("2", "5", "96")
    assert [(c["id"], c["is_hot"]) for c in page.items] == [
        ("5121248230283592", True), ("5121543323014071", True), ("5122079127965524", False), ("5121924473865516", False)]
    assert page.items[1]["user"] == {"id": None, "screen_name": "远方的树"}  # a custom-domain profile link
    assert page.items[0]["like_count"] == "12034" and page.items[0]["source"] == "来自北京"


def test_weibo_cn_repost_and_profile_pages():
    reposts = weibo_html.repost_list_page((FIX / "weibo_cn_reposts_2025.html").read_text(encoding="utf-8"))
    assert reposts.kind == "reposts" and reposts.post["bid"] == "P8U7G8G90"
    assert [(r["bid"], r["parent_mid"], r["text"]) for r in reposts.items] == [
        ("P8UTdh8r1", reposts.post["mid"], "转发微博"),
        ("P9gtrw1Bc", reposts.post["mid"], "说得好[赞] //@晚安小剧迷:虚构：追完大结局，想聊聊配角那场雨夜的戏")]
    profile = weibo_html.weibo_cn_page((FIX / "weibo_cn_profile_2025.html").read_text(encoding="utf-8"), "1000000021")
    assert profile.kind == "timeline" and [p["bid"] for p in profile.items] == ["P9caQcJOu", "P8YddwXll", "P7sUmj3hY"]
    assert profile.items[1]["parent_mid"] == reposts.post["mid"] and profile.items[1]["text"] == "晚上又看了一遍"


def test_the_older_comment_fixture_now_yields_its_post_too():
    page = weibo_html.weibo_cn_page((FIX / "weibo_cn_comments.html").read_text(encoding="utf-8"))
    assert page.kind == "comments" and page.post["bid"] == "QzfdS006t" and len(page.items) == 2


# ---------------------------------------------------------------- CLI: each format to the second
def test_cli_render_data_json(saved):
    rows, _ = dry_run(saved("render_data_5289885793676909.json"))
    assert list(rows) == ["5289546425876155", "5289885793676909"]  # the original before its repost
    original, repost = rows["5289546425876155"], rows["5289885793676909"]
    assert when(original) == utc(2026, 4, 19, 14, 40, 5) and when(repost) == utc(2026, 4, 20, 13, 8, 37)
    assert original["time_basis"] is None and repost["time_basis"] is None  # stated in full, and the ids agree
    assert (original["likes"], original["comments"], original["shares"]) == (1_000_000, 12_000, 188_000)
    assert original["author_followers"] == 120_000_000 and original["author_verified_type"] == 3
    assert original["location"] == "北京" and original["text"].endswith("……")  # the truncated "…全文" link dropped
    assert original["url"] == "https://weibo.com/1000000003/QBzvIoEEH"
    assert repost["kind"] == "repost" and repost["parent_id"] == "5289546425876155" and repost["likes"] == 11_000
    assert repost["author_followers"] == 188_000 and repost["author_verified"] is False and repost["location"] == "浙江"
    assert repost["text"].startswith("没授权就上架，这事得说清楚[怒]\n演员的脸不是素材库")
    assert repost["collected_at"] == "2026-04-21T02:00:00Z"  # the file's mtime stands in for the save time


def test_cli_api_v2_statuses(saved):
    rows, stderr = dry_run(saved("api_v2_statuses.json"))
    assert list(rows) == ["5289793578386884", "5289709979975866", "5289819700779420"]
    post, original, repost = rows.values()
    assert when(post) == utc(2026, 4, 20, 7, 2, 11) and when(original) == utc(2026, 4, 20, 1, 30, 0)
    assert when(repost) == utc(2026, 4, 20, 8, 45, 59) and repost["parent_id"] == original["id"]
    assert post["author_followers"] == 2361 and post["author_verified_type"] == -1 and post["location"] is None
    assert original["author_verified"] is True and original["author_verified_type"] == 3 and original["shares"] == 5230
    assert "warning" not in stderr and "rejected" in stderr and "0 rejected" in stderr


def test_cli_api_v2_reposts(saved):
    rows, _ = dry_run(saved("api_v2_reposts.json"))
    assert list(rows) == ["5290049767826399", "5290054187481076", "5290065609475028"]  # the original once
    assert [when(r) for r in rows.values()] == [utc(2026, 4, 21, 0, 0, 12), utc(2026, 4, 21, 0, 17, 45),
                                                utc(2026, 4, 21, 1, 3, 8)]
    assert [r["location"] for r in rows.values()] == ["北京", "四川", "广东"]
    assert {r["parent_id"] for r in list(rows.values())[1:]} == {"5290049767826399"}
    assert rows["5290049767826399"]["url"] == "https://weibo.com/1000000051/QBMBywQ0f"


def test_cli_api_v2_comments_with_their_post(saved):
    rows, _ = dry_run(saved("api_v2_comments.json"))
    post, first, reply = rows["5289843359945730"], rows["5289844749822062"], rows["5289854126334835"]
    assert post["kind"] == "post" and when(post) == utc(2026, 4, 20, 10, 20, 0)
    assert first["kind"] == "comment" and first["parent_id"] == post["id"] and when(first) == utc(2026, 4, 20, 10, 25, 31)
    assert first["likes"] == 12 and first["location"] is None and first["text"] == "先问过演员本人再说吧[doge]"
    assert first["url"] == "https://m.weibo.cn/detail/5289843359945730"
    assert reply["parent_id"] == first["id"] and reply["likes"] == 3 and reply["location"] == "北京"
    assert when(reply) == utc(2026, 4, 20, 11, 2, 47)


def test_cli_api_v2_error_body_is_reported(saved):
    result = CliRunner().invoke(cli, ["import", str(saved("api_v2_error.json")), "--dry-run"])
    assert result.exit_code == 1 and result.stdout == ""  # nothing but the error body: nothing to import
    assert "a Weibo API error body, not data: error_code=20101" in result.stderr and "0 valid, 1 rejected" in result.stderr


EXPECTED_2025_COMMENTS = {  # the comment page saved at 2025-01-12 20:00 Beijing time; ids issued at these moments
    "5121223642068630": ("post", utc(2025, 1, 10, 3, 5, 27)),  # 01月10日 11:05 (the post, id="M_")
    "5121248230283592": ("comment", utc(2025, 1, 10, 4, 43, 9)),  # [热门] 01月10日 12:43
    "5121543323014071": ("comment", utc(2025, 1, 11, 0, 15, 44)),  # [热门] 昨天 08:15
    "5122079127965524": ("comment", utc(2025, 1, 12, 11, 44, 50)),  # 15分钟前
    "5121924473865516": ("comment", utc(2025, 1, 12, 1, 30, 18)),  # 今天 09:30
}


def test_cli_weibo_cn_comments_saved_in_an_earlier_year(saved):
    rows, stderr = dry_run(saved("weibo_cn_comments_hot_2025.html"), "--saved-at", SAVED_2025)
    assert {k: (r["kind"], when(r)) for k, r in rows.items()} == EXPECTED_2025_COMMENTS
    assert {r["time_basis"] for r in rows.values()} == {"mid"}
    post = rows["5121223642068630"]
    assert (post["likes"], post["comments"], post["shares"]) == (96, 5, 2) and post["author_id"] == "1000000021"
    assert post["url"] == f"https://weibo.com/1000000021/{mid_to_bid('5121223642068630')}"
    assert {r["parent_id"] for k, r in rows.items() if k != post["id"]} == {post["id"]}
    assert rows["5121248230283592"]["likes"] == 12034 and rows["5121248230283592"]["location"] == "北京"
    assert all(r["collected_at"] == "2025-01-12T12:00:00Z" for r in rows.values())
    assert "times in weibo_cn_comments_hot_2025.html: 5 from the Weibo id" in stderr and "warning" not in stderr


def test_cli_no_year_comment_from_2025_in_a_file_copied_in_2026(saved):
    """The reported bug: "01月10日 12:43" on a 2025 page became 10 Jan 2026. Without --saved-at the mtime is 2026."""
    rows, stderr = dry_run(saved("weibo_cn_comments_hot_2025.html"))
    assert when(rows["5121248230283592"]) == utc(2025, 1, 10, 4, 43, 9)  # the year (and second) from the id
    assert when(rows["5121223642068630"]) == utc(2025, 1, 10, 3, 5, 27)
    assert when(rows["5121543323014071"]) == utc(2025, 1, 11, 0, 15, 44)  # 昨天 08:15: the id's clock settles it
    assert when(rows["5121924473865516"]) == utc(2025, 1, 12, 1, 30, 18)
    assert when(rows["5122079127965524"]) == utc(2025, 1, 12, 11, 44, 50)  # 15分钟前 from a mere mtime: the id wins
    assert {r["time_basis"] for r in rows.values()} == {"mid"}
    assert "warning weibo_cn_comments_hot_2025.html[2]: created_at '15分钟前' counted from the file's modification" in stderr
    assert "pass --saved-at" in stderr and "3 warning(s)" in stderr  # 昨天 08:15, 15分钟前, 今天 09:30: the mtime is off
    assert "times in weibo_cn_comments_hot_2025.html: 5 from the Weibo id" in stderr


def test_cli_no_year_comment_without_usable_ids_takes_the_year_of_saved_at(saved, tmp_path):
    page = (FIX / "weibo_cn_comments_hot_2025.html").read_text(encoding="utf-8")
    for real, fake in (("5121248230283592", "1248230283592"), ("5121543323014071", "1543323014071")):
        page = page.replace(real, fake)  # ids too small to encode a time
    path = tmp_path / "no_ids.html"
    path.write_text(page, encoding="utf-8")
    os.utime(path, (MTIME_2026.timestamp(), MTIME_2026.timestamp()))
    rows, _ = dry_run(path, "--saved-at", SAVED_2025)
    assert when(rows["1248230283592"]) == utc(2025, 1, 10, 4, 43) and rows["1248230283592"]["time_basis"] == "saved-at"
    assert when(rows["1543323014071"]) == utc(2025, 1, 11, 0, 15)  # 昨天 08:15 from the save day
    rows_mtime, _ = dry_run(path)  # without --saved-at: the mtime's year, and the record says so
    assert when(rows_mtime["1248230283592"]) == utc(2026, 1, 10, 4, 43)
    assert rows_mtime["1248230283592"]["time_basis"] == "file-mtime"


def test_cli_weibo_cn_reposts_and_profile(saved):
    reposts, _ = dry_run(saved("weibo_cn_reposts_2025.html"), "--saved-at", SAVED_2025)
    assert {k: (r["kind"], when(r), r["time_basis"]) for k, r in reposts.items()} == {
        "5121223642068630": ("post", utc(2025, 1, 10, 3, 5, 27), "mid"),
        "5121253114084003": ("repost", utc(2025, 1, 10, 5, 2, 33), "mid"),  # 01月10日 13:02
        "5122082817632646": ("repost", utc(2025, 1, 12, 11, 59, 30), "mid"),  # 刚刚
    }
    assert {r["parent_id"] for r in reposts.values()} == {None, "5121223642068630"}
    profile, stderr = dry_run(saved("weibo_cn_profile_2025.html"), "--saved-at", SAVED_2025)
    assert {k: (r["kind"], when(r), r["time_basis"]) for k, r in profile.items()} == {
        "5121917523036046": ("post", utc(2025, 1, 12, 1, 2, 41), "mid"),  # 今天 09:02
        "5121380837854615": ("repost", utc(2025, 1, 10, 13, 30, 5), "mid"),  # 01月10日 21:30
        "5117794224540878": ("post", utc(2024, 12, 31, 15, 58, 10), None),  # 2024-12-31 23:58:10, stated in full
    }
    assert profile["5121380837854615"]["parent_id"] == "5121223642068630"
    assert profile["5121917523036046"]["author_id"] == "1000000021" and profile["5121917523036046"]["likes"] == 7
    assert "1 as stated, 2 from the Weibo id" in stderr


# ---------------------------------------------------------------- hot-search snapshots: never "now" silently
def test_hot_search_snapshot_time_from_observed_at(saved):
    rows, stderr = dry_run(saved("hot_search_saved.json"), "--observed-at", "2025-01-12T20:00:00+08:00")
    assert {when(r) for r in rows.values()} == {utc(2025, 1, 12, 12)} and {r["time_basis"] for r in rows.values()} == {
        "observed-at"}
    assert "hot_search_saved.json: 3 topic(s) observed at 2025-01-12T12:00:00Z, from --observed-at" in stderr


def test_hot_search_snapshot_time_from_the_file_mtime_is_said(saved):
    rows, stderr = dry_run(saved("hot_search_saved.json", mtime=utc(2025, 1, 12, 12, 30)))
    assert {(when(r), r["time_basis"]) for r in rows.values()} == {(utc(2025, 1, 12, 12, 30), "file-mtime")}
    assert "observed at 2025-01-12T12:30:00Z, from the file's modification time" in stderr
    assert "pass --observed-at" in stderr


def test_hot_search_snapshot_time_from_the_file_name_then_saved_at(saved):
    rows, stderr = dry_run(saved("hot_search_20260420T0930Z.json"), "--saved-at", SAVED_2025)
    assert {(when(r), r["time_basis"]) for r in rows.values()} == {(utc(2026, 4, 20, 9, 30), "file-name")}
    assert "from the file name" in stderr
    rows, _ = dry_run(saved("hot_search_saved.json"), "--saved-at", SAVED_2025)
    assert {(when(r), r["time_basis"]) for r in rows.values()} == {(utc(2025, 1, 12, 12), "saved-at")}


@pytest.mark.parametrize("option, value, words", [
    ("--saved-at", "2025-01-12 20:00", "no time zone"), ("--saved-at", "yesterday", "not an ISO 8601"),
    ("--observed-at", "2025-01-12T20:00:00", "no time zone"),
])
def test_times_without_a_zone_are_refused(saved, option, value, words):
    result = CliRunner().invoke(cli, ["import", str(saved("hot_search_saved.json")), "--dry-run", option, value])
    assert result.exit_code == 2 and words in result.output


# ---------------------------------------------------------------- stored, and older stores
def test_time_basis_is_stored_and_read_back(saved, data_dir):
    result = CliRunner().invoke(cli, ["import", str(saved("weibo_cn_comments_hot_2025.html")), "--saved-at", SAVED_2025])
    assert result.exit_code == 0, result.output
    assert "records: 5 new" in result.stderr and "5 from the Weibo id" in result.stderr
    trends = CliRunner().invoke(cli, ["import", str(saved("hot_search_saved.json"))])
    assert trends.exit_code == 0 and "from the file's modification time" in trends.stderr
    store = Store(data_dir)
    with store.connect() as con:
        stored = table_to_records(con.sql("SELECT * FROM records WHERE kind <> 'trend'").to_arrow_table())
        bases = con.execute("SELECT DISTINCT time_basis FROM trend_observations").fetchall()
    assert {r.time_basis for r in stored} == {"mid"} and len(stored) == 5
    assert bases == [("file-mtime",)]


def test_a_store_written_before_time_basis_existed_reads_it_as_null(data_dir):
    import pyarrow.parquet as pq

    from collectors.models import records_to_table

    record = Record(source="weibo", id="1", kind="post", text="好", published_at=utc(2026, 4, 20),
                    collected_at=utc(2026, 4, 21), lang="zh")
    old = records_to_table([record]).select([n for n in RECORD_SCHEMA.names if n != "time_basis"])
    path = Path(data_dir) / "store" / "records" / "date=2026-04-20" / "part-old.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(old, path)
    with Store(data_dir).connect() as con:
        assert table_to_records(con.sql("SELECT * FROM records").to_arrow_table()) == [record]
        assert con.execute("SELECT time_basis FROM records_public").fetchall() == [(None,)]


def test_importers_outside_the_cli_use_the_mtime_and_an_open_context_the_given_times(saved):
    path = saved("hot_search_saved.json", mtime=utc(2025, 1, 12, 12, 30))
    assert {t.time_basis for t in get_format("weibo-hot-search").read(path)} == {"file-mtime"}
    with import_context(observed_at=utc(2025, 1, 12, 11)) as context:
        trends = list(get_format("weibo-hot-search").read(path))
    assert all(isinstance(t, TrendObservation) and t.observed_at == utc(2025, 1, 12, 11) for t in trends)
    assert context.notes == []
    with import_context() as context:
        list(get_format("weibo-cn-html").read(saved("weibo_cn_comments_hot_2025.html")))
    assert [n.where for n in context.notes] == ["weibo_cn_comments_hot_2025.html[1]", "weibo_cn_comments_hot_2025.html[2]",
                                                "weibo_cn_comments_hot_2025.html[3]"]
    with pytest.raises(ValueError, match="time zone"), import_context(saved_at=datetime(2025, 1, 12)):
        pass


# ---------------------------------------------------------------- the live weibo.cn collector meets the same pages
def test_live_weibo_cn_comments_and_reposts_store_the_post_hot_comments_and_reposts(data_dir):
    import httpx

    from collectors.base import Query, run_collection
    from collectors.http import RetryPolicy, make_client
    from collectors.sources.weibo import WeiboCn

    def handler(request: httpx.Request) -> httpx.Response:
        name = {"/comment/P8U7G8G90": "weibo_cn_comments_hot_2025.html",
                "/repost/P8U7G8G90": "weibo_cn_reposts_2025.html"}.get(request.url.path)
        if name is None or request.url.params.get("page") != "1":
            return httpx.Response(200, content=b"<html><body><div class='c'>no more</div></body></html>")
        return httpx.Response(200, content=(FIX / name).read_bytes())

    client = make_client(transport=httpx.MockTransport(handler))
    collector = WeiboCn(client, cookie="c", sleep=lambda s: None, policy=RetryPolicy(attempts=2, sleep=lambda s: None))
    store = Store(data_dir)
    summary = run_collection(collector, Query("case-a", ("comments:P8U7G8G90", "reposts:P8U7G8G90")), store)
    assert summary.stopped is None and summary.ingest.rejected == 0
    with store.connect() as con:
        rows = con.execute("SELECT id, kind, parent_id, published_at, time_basis FROM records ORDER BY id").fetchall()
    by_id = {r[0]: r for r in rows}
    assert set(by_id) == {*EXPECTED_2025_COMMENTS, "5121253114084003", "5122082817632646"}
    # a live fetch of year-less dates: the ids still give the year and second (the fetch "now" is long after)
    assert by_id["5121248230283592"][3] == utc(2025, 1, 10, 4, 43, 9) and by_id["5121248230283592"][4] == "mid"
    assert by_id["5121253114084003"][1:3] == ("repost", "5121223642068630")
    assert by_id["5121223642068630"][1] == "post"
