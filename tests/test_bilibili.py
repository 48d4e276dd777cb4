"""Bilibili: WBI signing, key caching, pure mapping on fixtures, fetch paging/cursors and error codes (no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from collectors.base import ParseError, Query, cursor_path, run_collection
from collectors.sources.bilibili import (
    NAV_URL,
    REPLY_URL,
    SEARCH_URL,
    BilibiliCollector,
    comment_record,
    mixin_key,
    sign_params,
    video_record,
)
from collectors.store import Store
from tests.other_sources_support import (
    COLLECTED,
    Script,
    archived_text,
    fixture_json,
    fixture_text,
    make,
    respond,
)

NAV, SEARCH, REPLY = (u.split("bilibili.com", 1)[1] for u in (NAV_URL, SEARCH_URL, REPLY_URL))
HOME = "/"
IMG, SUB = "7cd084941338484aae1ad9425b84077c", "4932caff0ff746eab6f01bf08b70ac45"


def test_wbi_signature_matches_the_published_test_vector():
    assert mixin_key(IMG, SUB) == "ea1db124af3c7062474693fa704f4ff8"
    signed = sign_params({"foo": "114", "bar": "514", "zab": 1919810}, IMG, SUB, wts=1702204169)
    assert signed["w_rid"] == "8f6f2b5b3d485fe1886cec6a0be8c5d4"
    assert signed["wts"] == "1702204169"


def test_signing_filters_reserved_characters_from_values():
    a = sign_params({"keyword": "AI(艺人)!*'"}, IMG, SUB, wts=1)
    b = sign_params({"keyword": "AI艺人"}, IMG, SUB, wts=1)
    assert a["w_rid"] == b["w_rid"] and a["keyword"] == "AI艺人"


# ---------- pure mapping ----------
def test_search_item_maps_to_a_post_with_clean_title_and_counts():
    items = fixture_json("bilibili/search_page1.json")["data"]["result"]
    first = video_record(items[0], COLLECTED, "case-a")
    assert first.id == "av1000000001" and first.kind == "post" and first.source == "bilibili"
    assert first.title == "AI艺人库争议：我们该怎么看"  # <em class="keyword"> stripped
    assert first.text == "虚构测试视频，讨论AI艺人&授权"  # entity decoded
    assert first.url == "https://www.bilibili.com/video/av1000000001"  # http arcurl upgraded
    assert first.published_at == datetime(2026, 4, 20, 8, 0, tzinfo=UTC)
    assert (first.likes, first.comments, first.author_id, first.author_name) == (880, 321, "90000001", "测试UP主甲")
    assert first.trackers == ["case-a"]
    second = video_record(items[1], COLLECTED)
    assert second.comments == 45 and second.likes is None  # "45" as text; like null -> unknown, not 0


def test_view_detail_maps_owner_and_stat():
    view = fixture_json("bilibili/view_detail.json")["data"]["View"]
    rec = video_record(view, COLLECTED)
    assert (rec.id, rec.title, rec.text) == ("av1000000004", "AI演员来了？", "虚构的视频简介")
    assert (rec.author_id, rec.author_name, rec.likes, rec.comments, rec.shares) == ("90000004", "测试UP主丁", 1500, 97, 45)
    assert rec.url == "https://www.bilibili.com/video/BV1Ex411c7ad"


def test_unreadable_count_is_unknown_not_zero():
    item = fixture_json("bilibili/search_page2.json")["data"]["result"][0]
    assert video_record({**item, "review": "--"}, COLLECTED).comments is None


def test_reply_maps_to_a_comment_linked_to_video_or_parent():
    data = fixture_json("bilibili/replies_page1.json")["data"]
    top, plain, nested = data["replies"]
    top_rec = comment_record(top, COLLECTED)
    assert top_rec.kind == "comment" and top_rec.id == "5000000001" and top_rec.parent_id == "av1000000001"
    assert top_rec.text == "置顶：请理性讨论[doge]" and top_rec.location == "河北"
    assert (top_rec.author_verified, top_rec.author_verified_type) == (True, 0)
    assert top_rec.published_at == datetime(2026, 4, 20, 8, 10, tzinfo=UTC)
    plain_rec = comment_record(plain, COLLECTED)
    assert plain_rec.location is None and plain_rec.author_verified is False and plain_rec.author_verified_type is None
    assert comment_record(nested, COLLECTED).parent_id == "5000000002"
    assert comment_record(nested, COLLECTED).location == "北京"


def test_to_record_dispatches_on_shape_and_rejects_broken_items():
    reply = fixture_json("bilibili/replies_page2.json")["data"]["replies"][0]
    assert BilibiliCollector.to_record(reply, COLLECTED).kind == "comment"
    with pytest.raises(ParseError, match="aid"):
        BilibiliCollector.to_record({"title": "no id"}, COLLECTED)
    with pytest.raises(ParseError, match="ctime"):
        BilibiliCollector.to_record({**reply, "ctime": "soon"}, COLLECTED)


# ---------- fetch ----------
def _script(**overrides) -> Script:
    routes = {
        HOME: [respond(200, "<html></html>", {"set-cookie": "buvid3=fictional-buvid; Domain=.bilibili.com; Path=/"}, "text/html")],
        NAV: [respond(200, fixture_json("bilibili/nav.json"))],
        SEARCH: [respond(200, fixture_json("bilibili/search_page1.json")),
                 respond(200, fixture_json("bilibili/search_page2.json"))],
        REPLY: [respond(200, fixture_json("bilibili/replies_page1.json")),
                respond(200, fixture_json("bilibili/replies_page2.json")),
                respond(200, fixture_json("bilibili/replies_closed_12002.json"))],
    }
    routes.update(overrides)
    return Script(routes)


def _collector(script: Script, tmp_path, sleeps=None) -> BilibiliCollector:
    return make(BilibiliCollector, script, sleeps, state_dir=tmp_path / "state", clock=lambda: 1_776_700_000.0)


def test_fetch_pages_search_then_comments_with_cursors(tmp_path):
    script = _script()
    collector = _collector(script, tmp_path)
    query = Query("case-a", ("AI艺人库",), since=datetime(2026, 4, 17, tzinfo=UTC), until=datetime(2026, 5, 1, tzinfo=UTC))
    pages = list(collector.fetch(query))
    # search p1 -> comments av1 (2 pages) -> av2 (closed) -> search p2 -> av3 (closed)
    assert [len(p.items) for p in pages] == [2, 3, 1, 0, 1, 0]
    assert pages[0].cursor == {"term": 0, "page": 2, "videos": [1000000001, 1000000002], "offset": "",
                               "comment_pages": 0, "search_done": False, "last_aids": [1000000001, 1000000002]}
    assert pages[1].cursor["offset"] == '{"type":3,"direction":1,"Data":{"cursor":2}}'
    assert pages[-1].cursor is None
    search = script.params(SEARCH)
    assert [s["page"] for s in search] == ["1", "2"]
    assert search[0]["pubtime_begin_s"] == str(int(query.since.timestamp()))
    assert all("w_rid" in s and "wts" in s for s in search + script.params(REPLY))
    reply = script.params(REPLY)[1]
    assert json.loads(reply["pagination_str"]) == {"offset": '{"type":3,"direction":1,"Data":{"cursor":2}}'}
    assert script.requests[1].headers["Referer"] == "https://www.bilibili.com/"
    assert "buvid3=fictional-buvid" in script.requests[1].headers.get("cookie", "")  # warm-up cookie kept


def test_pinned_reply_is_not_duplicated(tmp_path):
    pages = list(_collector(_script(), tmp_path).fetch(Query("case-a", ("x",))))
    ids = [item["rpid"] for item in pages[1].items]
    assert ids == [5000000001, 5000000002, 5000000003]


def test_wbi_keys_are_cached_on_disk_and_refetched_when_stale(tmp_path):
    script = _script()
    list(_collector(script, tmp_path).fetch(Query("case-a", ("x",))))
    list(_collector(script, tmp_path).fetch(Query("case-a", ("x",))))
    assert script.paths().count(NAV) == 1
    cache = json.loads((tmp_path / "state" / "bilibili_wbi.json").read_text())
    assert (cache["img_key"], cache["sub_key"]) == (IMG, SUB)
    later = make(BilibiliCollector, script, state_dir=tmp_path / "state", clock=lambda: 1_776_700_000.0 + 13 * 3600)
    later.wbi_keys()
    assert script.paths().count(NAV) == 2


def test_bad_signature_refreshes_keys_once_then_succeeds(tmp_path):
    script = _script()
    script.routes[SEARCH] = [respond(200, fixture_json("bilibili/error_403.json")),
                             respond(200, fixture_json("bilibili/search_empty.json"))]
    pages = list(_collector(script, tmp_path).fetch(Query("case-a", ("x",))))
    assert script.paths().count(NAV) == 2 and len(pages) == 1 and pages[0].cursor is None


@pytest.mark.parametrize("reply, message", [
    (respond(200, fixture_json("bilibili/error_352.json")), "-352"),
    (respond(200, fixture_json("bilibili/error_412.json")), "-412"),
    (respond(412, fixture_text("bilibili/http412.html"), content_type="text/html"), "HTTP 412"),
    (respond(200, fixture_json("bilibili/error_403.json")), "-403"),
    (respond(200, {"code": -799, "message": "请求过于频繁，请稍后再试", "ttl": 1}), "-799"),
    (respond(200, {"code": -509, "message": "请求过于频繁，请稍后再试", "ttl": 1}), "-509"),
])
def test_blocks_stop_the_run_with_a_resumable_message(tmp_path, reply, message):
    script = _script()
    script.routes[SEARCH] = [reply]
    summary = run_collection(_collector(script, tmp_path), Query("case-a", ("x",)), Store(tmp_path / "d"))
    assert summary.stopped and message in summary.stopped and "--resume" in summary.stopped
    assert summary.pages == 0 and summary.errors == []  # a refusal to wait out, not a broken page
    archived = list(Store(tmp_path / "d").iter_raw("bilibili"))  # the refusal itself is kept, as a broken page is
    assert [a["body"] for a in archived] == [reply.text] and archived[0]["status"] == reply.status_code


def test_truncated_json_is_retried(tmp_path):
    script = _script()
    good = fixture_text("bilibili/search_empty.json")
    script.routes[SEARCH] = [respond(200, good[: len(good) // 2], content_type="application/json"), respond(200, good)]
    sleeps: list[float] = []
    pages = list(_collector(script, tmp_path, sleeps).fetch(Query("case-a", ("x",))))
    assert len(pages) == 1 and script.paths().count(SEARCH) == 2 and sleeps


def test_run_stores_records_and_resumes_from_the_saved_cursor(tmp_path):
    store = Store(tmp_path / "d")
    query = Query("case-a", ("AI艺人库",))
    script = _script()
    script.routes[REPLY] = [respond(200, fixture_json("bilibili/replies_page1.json")),
                            respond(200, fixture_json("bilibili/error_352.json"))]
    first = run_collection(_collector(script, tmp_path), query, store)
    assert first.stopped and "-352" in first.stopped and first.ingest.records_new == 5  # 2 videos + 3 comments
    saved = json.loads(cursor_path(store, "bilibili", query).read_text())["cursor"]
    assert saved["videos"] == [1000000001, 1000000002] and saved["offset"]
    later = _script(**{SEARCH: [respond(200, fixture_json("bilibili/search_page2.json"))],
                       REPLY: [respond(200, fixture_json("bilibili/replies_page2.json")),
                               respond(200, fixture_json("bilibili/replies_closed_12002.json"))]})
    second = run_collection(_collector(later, tmp_path), query, store)
    assert [p["page"] for p in later.params(SEARCH)] == ["2"]  # the search resumed at page 2
    assert second.resumed_from == saved and second.stopped is None
    ids = set(store.query("SELECT id FROM records")["id"])
    assert {"av1000000001", "av1000000002", "av1000000003", "5000000001", "5000000004"} <= ids
    assert len(ids) == 7


def test_min_interval_is_conservative():
    assert BilibiliCollector.min_interval >= 2.0


def test_configured_cookie_is_sent_but_never_archived_or_stored(tmp_path, monkeypatch):
    cookie = "buvid3=fictional-buvid; SESSDATA=fictional-sessdata-0042"
    monkeypatch.setenv("ACTORWATCH_BILIBILI_COOKIE", cookie)
    script = _script()
    store = Store(tmp_path / "d")
    summary = run_collection(_collector(script, tmp_path), Query("case-a", ("x",)), store)
    assert HOME not in script.paths()  # no warm-up visit when a cookie is configured
    assert script.requests[0].headers["cookie"] == cookie and summary.ingest.records_new
    archived = archived_text(tmp_path / "d" / "raw")
    assert archived and "fictional-sessdata-0042" not in archived
    assert "fictional-sessdata-0042" not in store.query("SELECT * FROM records").to_json(date_format="iso")


def test_a_search_page_that_repeats_the_one_before_ends_the_search(tmp_path):
    """Past its last page a search can serve an earlier page again: its videos' comments are not fetched twice."""
    page1 = fixture_json("bilibili/search_page1.json")
    page1["data"]["numPages"] = 50
    script = _script(**{SEARCH: [respond(200, page1)],
                        REPLY: [respond(200, fixture_json("bilibili/replies_closed_12002.json"))]})
    pages = list(_collector(script, tmp_path).fetch(Query("case-a", ("x",))))
    assert [s["page"] for s in script.params(SEARCH)] == ["1", "2", "3"]  # once can be a list pushed down a page
    assert [r["oid"] for r in script.params(REPLY)] == ["1000000001", "1000000002"]
    assert pages[-1].cursor is None


@pytest.mark.parametrize("route", [SEARCH, REPLY])
def test_an_error_code_page_is_archived_before_the_run_stops(tmp_path, route):
    body = {"code": -400, "message": "请求错误", "ttl": 1}
    script = _script(**{route: [respond(200, body)]})
    summary = run_collection(_collector(script, tmp_path), Query("case-a", ("x",)), Store(tmp_path / "d"))
    assert summary.stopped and "-400" in summary.stopped
    assert json.loads(list(Store(tmp_path / "d").iter_raw("bilibili"))[-1]["body"]) == body
