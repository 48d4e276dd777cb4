"""Pure Weibo parsing: every created_at and count form, HTML text, locations, ids, and fixture mappings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.base import ParseError
from collectors.models import InvalidRecord
from collectors.sources import weibo_html
from collectors.sources.weibo_parse import (
    bid_to_mid,
    comment_page,
    comment_to_record,
    hot_item_to_trend,
    hot_search_items,
    html_to_text,
    list_heat,
    mblog_to_record,
    mid_to_bid,
    parse_count,
    parse_created_at,
    parse_location,
    parse_verified_type,
    render_data_status,
    search_page_mblogs,
    with_retweet,
)

FIX = Path(__file__).parent / "fixtures" / "weibo"
NOW = datetime(2026, 4, 21, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def load(name: str):
    return json.loads((FIX / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("value, expected", [
    ("Sun Dec 01 09:21:00 +0800 2024", datetime(2024, 12, 1, 1, 21, tzinfo=UTC)),
    ("Mon Apr 20 10:05:00 -0500 2026", datetime(2026, 4, 20, 15, 5, tzinfo=UTC)),
    ("刚刚", NOW),
    ("30秒前", datetime(2026, 4, 21, 1, 59, 30, tzinfo=UTC)),
    ("5分钟前", datetime(2026, 4, 21, 1, 55, tzinfo=UTC)),
    ("5分钟", datetime(2026, 4, 21, 1, 55, tzinfo=UTC)),
    ("3小时前", datetime(2026, 4, 20, 23, 0, tzinfo=UTC)),
    ("2天前", datetime(2026, 4, 19, 2, 0, tzinfo=UTC)),
    ("今天 09:21", datetime(2026, 4, 21, 1, 21, tzinfo=UTC)),
    ("昨天 23:10", datetime(2026, 4, 20, 15, 10, tzinfo=UTC)),
    ("昨天", datetime(2026, 4, 19, 16, 0, tzinfo=UTC)),
    ("前天 08:00", datetime(2026, 4, 19, 0, 0, tzinfo=UTC)),
    ("04-19", datetime(2026, 4, 18, 16, 0, tzinfo=UTC)),
    ("12-31", datetime(2025, 12, 30, 16, 0, tzinfo=UTC)),  # year-less and after "now": last year
    ("04月18日 20:30", datetime(2026, 4, 18, 12, 30, tzinfo=UTC)),
    ("4月18日", datetime(2026, 4, 17, 16, 0, tzinfo=UTC)),
    ("2026-04-17", datetime(2026, 4, 16, 16, 0, tzinfo=UTC)),
    ("2026-04-16 08:00:00", datetime(2026, 4, 16, 0, 0, tzinfo=UTC)),
    ("2026-04-16 08:00", datetime(2026, 4, 16, 0, 0, tzinfo=UTC)),
    ("2026年04月15日 12:00", datetime(2026, 4, 15, 4, 0, tzinfo=UTC)),
    ("2026-04-20T08:00:00Z", datetime(2026, 4, 20, 8, 0, tzinfo=UTC)),
    (1776652200, datetime(2026, 4, 20, 2, 30, tzinfo=UTC)),
    (1776652200000, datetime(2026, 4, 20, 2, 30, tzinfo=UTC)),
    ("  今天\xa009:21 ", datetime(2026, 4, 21, 1, 21, tzinfo=UTC)),
])
def test_created_at_every_form_to_utc(value, expected):
    assert parse_created_at(value, NOW) == expected


@pytest.mark.parametrize("value", ["", "yesterday", "13月40日", "2026-02-30", "Sun Foo 01 09:21:00 +0800 2024", None, True,
                                   [], 0, -5, "25:99"])
def test_created_at_garbage_is_a_parse_error(value):
    with pytest.raises(ParseError, match="created_at"):
        parse_created_at(value, NOW)


@pytest.mark.parametrize("value, expected", [
    ("18.8万", 188_000), ("1.2亿", 120_000_000), ("100万+", 1_000_000), ("1,234", 1234), ("", None), (None, None),
    (" 74 ", 74), (7, 7), (3.0, 3), ("0.5万", 5000), ("3w", 30_000), ("12000+", 12000),
])
def test_counts(value, expected):
    assert parse_count(value) == expected


@pytest.mark.parametrize("value", ["很多", "1.2.3万", -1, True, "万", {}])
def test_bad_counts_raise(value):
    with pytest.raises(ParseError, match="count"):
        parse_count(value)


def test_html_stripped_emoticons_kept_as_codes():
    html = ('太离谱了<span class="url-icon"><img alt="[哈哈]" src="x.png" /></span><br />第二行 '
            '<a href="/n/某人">@某人</a> <a href="x"><span class="surl-text">#AI艺人库#</span></a> &amp; <img alt="" src="p.jpg">')
    assert html_to_text(html) == "太离谱了[哈哈]\n第二行 @某人 #AI艺人库# &"
    assert html_to_text("plain\x00 text") == "plain text"
    assert html_to_text(None) == ""


@pytest.mark.parametrize("value, expected", [
    ("发布于 北京", "北京"), ("IP属地：上海", "上海"), ("IP属地:广东", "广东"), ("来自 陕西", "陕西"), ("来自北京", "北京"),
    ("来自iPhone客户端", None), ("微博网页版", None), ("", None), (None, None), (12, None),
])
def test_locations(value, expected):
    assert parse_location(value) == expected


def test_bare_location_only_when_allowed():
    assert parse_location("北京") is None
    assert parse_location("北京", bare_ok=True) == "北京"


def test_verified_type():
    assert parse_verified_type(3) == 3
    assert parse_verified_type("-1") == -1
    assert parse_verified_type(None) is None
    with pytest.raises(ParseError):
        parse_verified_type("abc")


def test_bid_mid_round_trip_and_known_pair():
    assert mid_to_bid("5106701843566288") == "P2OlqeXKM"  # the pair quoted in sources.md
    assert bid_to_mid("P2OlqeXKM") == "5106701843566288"
    with pytest.raises(ParseError):
        bid_to_mid("not a bid!")


def test_search_page_mapping():
    mblogs = search_page_mblogs(load("search_page1.json"))
    assert len(mblogs) == 5  # top-level and card_group posts; the non-post card is skipped
    records = [mblog_to_record(m, NOW, "case-a") for mb in mblogs for m in with_retweet(mb)]
    by_id = {r.id: r for r in records}
    orig = by_id["5284000000000001"]
    assert orig.kind == "post" and orig.shares == 12_000 and orig.comments == 3456 and orig.likes == 1_000_000
    assert orig.author_verified_type == 3 and orig.author_followers == 120_000_000 and orig.location == "北京"
    assert orig.text.startswith("【虚构快讯】") and "#AI艺人库#" in orig.text and "<" not in orig.text
    assert orig.published_at == datetime(2026, 4, 20, 2, 5, tzinfo=UTC)
    repost = by_id["5284000000000003"]
    assert repost.kind == "repost" and repost.parent_id == "5284000000000001" and repost.published_at == NOW
    assert "[doge]" in repost.text and repost.author_followers == 188_000 and repost.author_verified is True
    p1 = by_id["5284000000000002"]
    assert p1.text.startswith("这也太离谱了吧[哈哈]没授权") and p1.author_verified_type == -1
    long_one = by_id["5284000000000004"]
    assert long_one.shares == 188_000 and long_one.likes == 320_000
    old = by_id["5284000000000005"]  # old API shape: int id, no verified fields, no region
    assert old.author_verified is None and old.author_verified_type is None and old.location is None
    assert old.author_followers == 110_000 and old.trackers == ["case-a"]
    assert old.url == "https://m.weibo.cn/detail/5284000000000005"
    assert orig.url == f"https://weibo.com/1000000003/{mid_to_bid('5284000000000001')}"


def test_search_page2_every_date_and_count_form():
    records = [mblog_to_record(m, NOW) for m in search_page_mblogs(load("search_page2.json"))]
    assert [r.published_at.isoformat() for r in records] == [
        "2026-04-20T15:10:00+00:00", "2026-04-21T01:21:00+00:00", "2026-04-18T16:00:00+00:00",
        "2026-04-18T12:30:00+00:00", "2026-04-16T16:00:00+00:00", "2026-04-16T00:00:00+00:00",
        "2026-04-15T04:00:00+00:00", "2026-04-21T01:59:30+00:00"]
    assert records[0].likes is None and records[1].likes == 15_000
    assert records[1].author_followers == 2345 and records[1].author_verified_type == 0
    assert records[-1].location is None and records[1].location == "四川"


def test_detail_page_long_text():
    status = render_data_status((FIX / "detail_5284000000000004.html").read_text(encoding="utf-8"))
    record = mblog_to_record(status, NOW)
    assert record.id == "5284000000000004" and "收益分配。\n没有这些" in record.text and record.text.endswith("[思考]")
    with pytest.raises(ParseError, match="render_data"):
        render_data_status("<html>登录</html>")


def test_hotflow_comments_replies_and_cursor():
    items, max_id, max_type = comment_page(load("hotflow_page1.json"))
    assert (max_id, max_type) == (139282732792325, 0)
    records = [comment_to_record(c, NOW, post_id="5284000000000001") for c in items]
    assert [r.id for r in records] == ["5284100000000001", "5284100000000011", "5284100000000002"]
    top, reply, second = records
    assert top.kind == "comment" and top.parent_id == "5284000000000001" and top.likes == 74 and top.comments == 1
    assert top.text == "支持维权[赞]" and top.location == "北京"
    assert reply.parent_id == "5284100000000001" and reply.text == "回复@路人丙不说话:同意" and reply.location == "广东"
    assert second.published_at == datetime(2026, 4, 21, 1, 50, tzinfo=UTC) and second.location == "陕西"
    items2, max_id2, _ = comment_page(load("hotflow_page2.json"))
    last = comment_to_record(items2[0], NOW)
    assert max_id2 == 0 and last.likes == 11_000 and last.location is None and last.parent_id is None


def test_build_comments_shape():
    items, max_id, _ = comment_page(load("build_comments.json"))
    record = comment_to_record(items[0], NOW, post_id="5284000000000001")
    assert max_id == 0 and record.likes == 12 and record.text == "桌面版评论[doge]" and record.location == "北京"


def test_hot_search_items_to_trends():
    items = hot_search_items(load("hot_search_20260420T0930Z.json"))
    assert [i["word"] for i in items] == ["AI艺人库引发争议", "某地暴雨预警", "新剧定档", "AI艺人 授权", "周末去哪儿"]  # ad dropped
    total = list_heat(items)
    trends = [hot_item_to_trend(i, NOW, "snap-1", ["case-a"], total) for i in items]
    assert [t.rank for t in trends] == [1, 2, 3, 4, 5]
    assert total == sum(t.heat for t in trends) and trends[0].list_heat == total and trends[0].trackers == ["case-a"]
    assert list_heat([{"num": 1}, {"word": "no heat"}]) is None
    assert trends[0].heat == 1_234_567 and trends[0].status == "new" and trends[1].status == "hot"
    assert trends[2].status is None and trends[0].url.startswith("https://s.weibo.com/weibo?q=%23AI")
    no_realpos = hot_item_to_trend({"word": "x", "rank": 4, "num": "12万"}, NOW, "s")
    assert no_realpos.rank == 5 and no_realpos.heat == 120_000


def test_weibo_cn_timeline_and_comments():
    page = weibo_html.timeline_page((FIX / "weibo_cn_timeline.html").read_text(encoding="utf-8"), "1000000001")
    assert page.pages == 2
    first, repost = [mblog_to_record(m, NOW) for m in page.items]
    assert first.id == bid_to_mid("QzfdS006t") and first.likes == 1203 and first.shares == 45 and first.comments == 88
    assert first.text == "虚构：AI艺人库的授权问题值得讨论[思考] #AI艺人库#" and first.author_name == "小鹿观影"
    assert first.published_at == datetime(2026, 4, 21, 1, 21, tzinfo=UTC)
    assert repost.kind == "repost" and repost.parent_id == "5284000000000001" and repost.text == "说得对[赞]"
    assert (repost.likes, repost.shares, repost.comments) == (2, 0, 1)
    comments = weibo_html.comment_list_page((FIX / "weibo_cn_comments.html").read_text(encoding="utf-8"))
    records = [comment_to_record(c, NOW, post_id="5284000000000401") for c in comments.items]
    assert [r.author_id for r in records] == ["1000000002", "1000000005"]
    assert records[0].text == "同意，先问过演员本人[doge]" and records[0].location == "北京" and records[0].likes == 3
    assert records[1].location is None  # "来自Redmi K70" is a phone, not a place


def test_login_page_is_blocked():
    from collectors.base import SourceBlocked

    with pytest.raises(SourceBlocked, match="login"):
        weibo_html.raise_if_login_page((FIX / "weibo_cn_login.html").read_text(encoding="utf-8"))


def test_mapping_errors_are_typed():
    with pytest.raises(ParseError, match="id"):
        mblog_to_record({"text": "x", "created_at": "刚刚"}, NOW)
    with pytest.raises(InvalidRecord, match="text"):
        mblog_to_record({"mid": "1", "text": "<img src=x>", "created_at": "刚刚"}, NOW)
    with pytest.raises(ParseError):
        mblog_to_record({"mid": "1", "text": "x", "created_at": "刚刚", "user": "deleted"}, NOW)
    with pytest.raises(ParseError):
        comment_page({"ok": 1, "data": {"data": "nope"}})


_TOMBSTONES = [
    # m.weibo.cn / weibo.com: the original of a repost after its author deleted it
    {"id": 5284000000000001, "mid": "5284000000000001", "created_at": "", "deleted": "1", "user": None,
     "text": "抱歉，此微博已被作者删除。查看帮助：<a href=\"https://weibo.com/p/1001\"><span class=\"surl-text\">网页链接</span></a>"},
    # hidden by its author's settings: no author, the notice as text
    {"mid": "5284000000000001", "created_at": "Sun Apr 19 09:00:00 +0800 2026",
     "text": "抱歉，作者已设置仅展示半年内微博，此微博已不可见。"},
    # removed after complaints (state 8), the author still attached
    {"mid": "5284000000000001", "state": 8, "user": {"id": 1000000003, "screen_name": "某用户"},
     "text": "该账号因被投诉违反法律法规和《微博社区公约》的相关规定，现已无法查看。查看帮助：网页链接"},
    # weibo-crawler CSV: a deleted original keeps its id and notice, with an empty author
    {"mid": "5284000000000001", "created_at": "2026-04-19", "user": {"id": None, "screen_name": None},
     "text": "抱歉，此微博已被作者删除。查看帮助：http://t.cn/zWSudZc"},
]


@pytest.mark.parametrize("tombstone", _TOMBSTONES)
def test_a_deleted_original_is_not_stored_as_a_post(tombstone):
    """Weibo's stand-in for a deleted or hidden original is not a post: stored, it would be scored as the
    original's words and, being the newest version, replace the original's real text collected earlier."""
    repost = {"mid": "5284000000000003", "created_at": "Mon Apr 20 10:00:00 +0800 2026", "text": "太过分了",
              "user": {"id": 1000000004, "screen_name": "某网友"}, "retweeted_status": tombstone}
    assert with_retweet(repost) == [repost]
    record = mblog_to_record(repost, NOW)
    assert record.kind == "repost" and record.parent_id == "5284000000000001"
    live = {"mid": "5284000000000001", "text": "某平台上线AI艺人库", "user": {"id": 1000000003, "screen_name": "某用户"}}
    assert with_retweet({**repost, "retweeted_status": live}) == [live, {**repost, "retweeted_status": live}]


@pytest.mark.parametrize("text", [
    '演员的授权不是一句话 ...<a href="/status/5284000000000004">全文</a>',  # m.weibo.cn
    '演员的授权不是一句话 ...<span class="expand">展开</span>',  # weibo.com ajax
])
def test_a_truncated_post_loses_its_expand_link(text):
    post = {"mid": "5284000000000004", "mblogid": "Q1a2b3c4d", "isLongText": True, "text": text, "created_at": "刚刚",
            "text_raw": "演员的授权不是一句话 ", "user": {"id": 1000000004, "screen_name": "某网友"}}
    assert mblog_to_record(post, NOW).text == "演员的授权不是一句话 ..."


def test_a_truncated_weibo_cn_post_loses_its_full_text_link():
    page = (FIX / "weibo_cn_timeline.html").read_text(encoding="utf-8").replace(
        '<a href="https://weibo.cn/search/mblog?keyword=%23AI%E8%89%BA%E4%BA%BA%E5%BA%93%23">#AI艺人库#</a></span>',
        '<a href="https://weibo.cn/search/mblog?keyword=%23AI%E8%89%BA%E4%BA%BA%E5%BA%93%23">#AI艺人库#</a> 授权范围...'
        '&nbsp;<a href="/comment/QzfdS006t">全文</a></span>')
    first = mblog_to_record(weibo_html.timeline_page(page, "1000000001").items[0], NOW)
    assert first.text == "虚构：AI艺人库的授权问题值得讨论[思考] #AI艺人库# 授权范围..."


def test_a_gone_post_is_no_post_but_one_without_its_author_object_is():
    tombstone = {"mid": "5284000000000001", "deleted": "1", "text": "抱歉，此微博已被作者删除。查看帮助：网页链接"}
    assert with_retweet(tombstone) == []  # e.g. the post an API v2 comment is on
    trimmed = {"mid": "5284000000000003", "uid": 1000000004, "text": "太过分了",  # API v2 with trim_user=1
               "retweeted_status": {"mid": "5284000000000001", "uid": 1000000003, "text": "某平台上线AI艺人库"}}
    assert with_retweet(trimmed) == [trimmed["retweeted_status"], trimmed]


def test_a_detail_page_of_a_gone_post_is_an_error_not_a_post():
    page = ('<script>var $render_data = [{"status": {"mid": "5284000000000004", "deleted": "1", "user": null, '
            '"text": "抱歉，此微博已被作者删除。查看帮助：网页链接"}}][0] || {};</script>')
    with pytest.raises(ParseError, match="gone"):
        render_data_status(page)
