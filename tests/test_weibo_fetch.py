"""Weibo fetch through httpx.MockTransport: paging, windows, cursors, long text, refusals and retries."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from collectors.base import Query, SourceBlocked, run_collection
from collectors.http import RetryPolicy, make_client
from collectors.sources.weibo import WeiboAjaxComments, WeiboCn, WeiboComments, WeiboHotSearch, WeiboSearch
from collectors.store import Store

FIX = Path(__file__).parent / "fixtures" / "weibo"
NO_SLEEP = {"sleep": lambda _s: None}
SINCE, UNTIL = datetime(2026, 4, 20, tzinfo=UTC), datetime(2026, 4, 21, tzinfo=UTC)


def fixture(name: str) -> bytes:
    return (FIX / name).read_bytes()


def client_for(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return make_client(transport=httpx.MockTransport(handler))


def json_response(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=fixture(name), headers={"content-type": "application/json"})


def collect(collector, query: Query, store: Store | None = None, resume: bool = True):
    return run_collection(collector, query, store or Store(), resume=resume)


def test_search_pages_until_empty_and_expands_long_text():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.startswith("/detail/"):
            return httpx.Response(200, content=fixture("detail_5284000000000004.html"))
        page = request.url.params["page"]
        return json_response({"1": "search_page1.json", "2": "search_page2.json"}.get(page, "search_empty.json"))

    collector = WeiboSearch(client_for(handler), cookie="SUB=test", **NO_SLEEP)
    summary = collect(collector, Query("case-a", ("AI艺人库",), SINCE, UNTIL))
    # page 1: 5 posts (+ the original of the repost, which is also on the page) and page 2: 8 posts
    assert summary.stopped is None and summary.ingest.records_new == 5 + 8 and summary.ingest.rejected == 0
    assert summary.ingest.records_duplicate == 1
    search = [r for r in seen if r.url.path == "/api/container/getIndex"]
    assert [r.url.params["page"] for r in search] == ["1", "2", "3", "4"]  # one empty page is looked past
    container = search[0].url.params["containerid"]
    assert container == "100103type=61&q=AI艺人库&timescope=custom:2026-04-20-8:2026-04-21-8"
    assert all(r.headers["cookie"] == "SUB=test" and "actorwatch" in r.headers["user-agent"] for r in seen)
    with Store().connect() as con:
        text = con.execute("SELECT text FROM records WHERE id = '5284000000000004'").fetchone()[0]
    assert "收益分配" in text  # the full text from the detail page, not the truncated one


def test_windows_split_when_a_window_hits_the_page_cap():
    pages: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        scope = request.url.params["containerid"].split("timescope=")[1]
        pages.append((scope, request.url.params["page"]))
        if scope.endswith("2026-04-21-8") and scope.startswith("custom:2026-04-20-8") and len(pages) <= 2:
            # the whole day is "full": 2 pages (of different posts) at cap 2
            return json_response(f"search_page{request.url.params['page']}.json")
        return json_response("search_empty.json")

    collector = WeiboSearch(client_for(handler), cookie="c", **NO_SLEEP)
    collector.page_cap, collector.fetch_long_text = 2, False
    collect(collector, Query("case-a", ("x",), SINCE, UNTIL))
    scopes = [s for s, _ in pages]
    assert scopes[:2] == ["custom:2026-04-20-8:2026-04-21-8"] * 2
    assert scopes[2:] == ["custom:2026-04-20-8:2026-04-20-20", "custom:2026-04-20-20:2026-04-21-8"]


def test_cursor_saved_per_page_and_resume_continues_after_a_block():
    calls: list[str] = []
    blocked = {"on": True}

    def handler(request: httpx.Request) -> httpx.Response:
        page = request.url.params["page"]
        calls.append(page)
        if page == "2" and blocked["on"]:
            return httpx.Response(432, content=fixture("blocked_432.html"))
        return json_response({"1": "search_page1.json", "2": "search_page2.json"}.get(page, "search_empty.json"))

    collector = WeiboSearch(client_for(handler), cookie="c", **NO_SLEEP)
    collector.fetch_long_text = False
    query = Query("case-a", ("AI艺人库",), SINCE, UNTIL)
    first = collect(collector, query)
    assert first.stopped and "HTTP 432" in first.stopped and "--resume" in first.stopped
    assert first.ingest.records_new == 5 and calls == ["1", "2"]
    blocked["on"] = False
    second = collect(collector, query)
    assert second.stopped is None and second.resumed_from["todo"] == [["AI艺人库", SINCE.isoformat(), UNTIL.isoformat()]]
    assert second.resumed_from["page"] == 2 and len(second.resumed_from["last_ids"]) == 5  # page 1's, to spot a repeat
    assert calls == ["1", "2", "2", "3", "4"] and second.ingest.records_new == 8
    third = collect(collector, query)  # a finished query starts over and adds nothing new
    assert third.ingest.records_new == 0 and third.ingest.rejected == 0


@pytest.mark.parametrize("make_response, expected", [
    (lambda r: httpx.Response(432, content=fixture("blocked_432.html")), "HTTP 432"),
    (lambda r: httpx.Response(418, content=fixture("blocked_418.html")), "HTTP 418"),
    (lambda r: json_response("captcha.json"), "captcha"),
    (lambda r: json_response("login_required.json"), "log in"),
    # ok:-100 pointing at the login page (no cookie, or an expired one) is a login, not a captcha to solve
    (lambda r: httpx.Response(200, json={"ok": -100, "url": "https://passport.weibo.cn/signin/welcome?entry=mweibo"}),
     "log in"),
    (lambda r: httpx.Response(200, content=b""), "empty page"),
    (lambda r: httpx.Response(302, headers={"location": "https://passport.weibo.cn/signin/login?r=x"}), "login page"),
])
def test_refusals_stop_with_a_resume_hint(make_response, expected):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "passport.weibo.cn":
            return httpx.Response(200, content=b"<html>login</html>")
        return make_response(request)

    collector = WeiboSearch(client_for(handler), cookie="c", **NO_SLEEP)
    with pytest.raises(SourceBlocked, match=expected) as info:
        next(iter(collector.fetch(Query("case-a", ("x",), SINCE, UNTIL))))
    assert "--resume" in info.value.how_to_resume
    # the refusal itself reaches the raw archive (run_collection keeps the body a refusal carries)
    assert isinstance(getattr(info.value, "response", None), httpx.Response)


def test_captcha_hint_names_the_captcha_url():
    collector = WeiboSearch(client_for(lambda r: json_response("captcha.json")), cookie="c", **NO_SLEEP)
    with pytest.raises(SourceBlocked) as info:
        next(iter(collector.fetch(Query("case-a", ("x",)))))
    assert "https://m.weibo.cn/captcha?scene=limit" in info.value.how_to_resume


def test_truncated_json_and_5xx_are_retried_then_succeed():
    replies = [httpx.Response(200, content=fixture("search_truncated.json")), httpx.Response(503),
               httpx.Response(429, headers={"retry-after": "0"}), json_response("search_page1.json")]
    waits: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return replies.pop(0) if replies else json_response("search_empty.json")

    collector = WeiboSearch(client_for(handler), cookie="c", sleep=waits.append)
    collector.fetch_long_text = False
    page = next(iter(collector.fetch(Query("case-a", ("x",), SINCE, UNTIL))))
    assert len(page.items) == 6 and not replies
    assert len(waits) >= 3  # backoff sleeps between the retries (plus rate-limit waits)


def test_persistent_failure_becomes_source_blocked():
    collector = WeiboSearch(client_for(lambda r: httpx.Response(500)), cookie="c", sleep=lambda s: None,
                            policy=RetryPolicy(attempts=3, sleep=lambda s: None))
    with pytest.raises(SourceBlocked, match="after 3 attempts"):
        next(iter(collector.fetch(Query("case-a", ("x",)))))


def test_rate_limit_waits_between_requests():
    waits: list[float] = []
    collector = WeiboSearch(client_for(lambda r: json_response("search_empty.json")), cookie="c", sleep=waits.append)
    list(collector.fetch(Query("case-a", ("a", "b", "c"))))
    assert WeiboSearch.min_interval >= 5 and len(waits) == 2 and all(w > 5 for w in waits)


def test_base_url_override(monkeypatch):
    monkeypatch.setenv("ACTORWATCH_WEIBO_BASE_URL", "http://127.0.0.1:9")
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(f"{request.url.host}:{request.url.port}")
        return json_response("search_empty.json")

    list(WeiboSearch(client_for(handler), cookie="c", **NO_SLEEP).fetch(Query("case-a", ("x",))))
    assert hosts == ["127.0.0.1:9"]


def test_comments_follow_max_id_then_next_post_and_fall_back_on_403():
    seen: list[tuple[str, dict]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        seen.append((request.url.path, params))
        if request.url.path == "/comments/hotflow":
            if params["id"] == "5284000000000002":
                return httpx.Response(403, content=b"forbidden")
            return json_response("hotflow_page2.json" if params.get("max_id") else "hotflow_page1.json")
        return json_response("comments_show.json")

    collector = WeiboComments(client_for(handler), cookie="c", **NO_SLEEP)
    summary = collect(collector, Query("case-a", ("5284000000000001", "QzfdS0002")))
    assert summary.stopped is None and summary.ingest.records_new == 5
    assert [(p, q.get("max_id")) for p, q in seen] == [
        ("/comments/hotflow", None), ("/comments/hotflow", "139282732792325"), ("/comments/hotflow", None),
        ("/api/comments/show", None)]
    with Store().connect() as con:
        parents = dict(con.execute("SELECT id, parent_id FROM records").fetchall())
    assert parents["5284100000000011"] == "5284100000000001" and parents["5284100000000021"] == "5284000000000002"


def test_ajax_build_comments_cursor():
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        seen.append(params)
        if "max_id" not in params:
            body = json.loads(fixture("build_comments.json"))
            body["max_id"] = 4_567_890
            return httpx.Response(200, json=body)
        return httpx.Response(200, json={"ok": 1, "data": [], "rootComment": [], "max_id": 0, "trendsText": "已加载全部评论"})

    collector = WeiboAjaxComments(client_for(handler), cookie="c", **NO_SLEEP)
    summary = collect(collector, Query("case-a", ("5284000000000001",)))
    assert summary.ingest.records_new == 1 and summary.pages == 2 and summary.stopped is None
    assert seen[0]["is_reload"] == "1" and seen[0]["count"] == "20" and seen[1]["max_id"] == "4567890"


def test_hot_search_snapshot_tagged_by_tracker_rules_and_trend_records():
    collector = WeiboHotSearch(client_for(lambda r: json_response("hot_search_20260420T0930Z.json")), **NO_SLEEP)
    summary = collect(collector, Query("iqiyi-nadou", ()))
    assert summary.ingest.trends_new == 5 and summary.stopped is None
    with Store().connect() as con:
        rows = con.execute("SELECT topic, rank, heat, list_heat, trackers FROM trend_observations ORDER BY rank").fetchall()
    assert rows[0][:3] == ("AI艺人库引发争议", 1, 1_234_567) and rows[0][3] == sum(r[2] for r in rows)
    assert "iqiyi-nadou" in rows[0][4] and rows[2][4] == []  # 新剧定档 matches no tracker
    assert "trend records of matched topics: " in collector.after_collection(Store())
    with Store().connect() as con:
        trend_records = con.execute("SELECT text, trackers FROM records WHERE kind = 'trend' ORDER BY text").fetchall()
    assert trend_records and all(r[1] for r in trend_records) and "新剧定档" not in [r[0] for r in trend_records]


def test_weibo_cn_pages_and_login_page():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/1000000001/profile":
            return httpx.Response(200, content=fixture("weibo_cn_timeline.html"))
        if request.url.path.startswith("/comment/"):
            return httpx.Response(200, content=fixture("weibo_cn_comments.html"))
        return httpx.Response(404)

    collector = WeiboCn(client_for(handler), cookie="c", **NO_SLEEP)
    summary = collect(collector, Query("case-a", ("user:1000000001", "comments:QzfdS006t")))
    assert summary.pages == 3 and summary.ingest.records_new == 2 + 2  # page 2 repeats page 1's posts
    login = WeiboCn(client_for(lambda r: httpx.Response(200, content=fixture("weibo_cn_login.html"))), cookie="c", **NO_SLEEP)
    assert "login page" in (collect(login, Query("case-a", ("user:1000000001",)), resume=False).stopped or "")


def test_raw_is_archived_before_parsing_even_when_items_are_rejected():
    bad = json.loads(fixture("search_page1.json"))
    bad["data"]["cards"][1]["mblog"]["created_at"] = "sometime"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params["page"] == "1":
            return httpx.Response(200, json=bad)
        return json_response("search_empty.json")

    collector = WeiboSearch(client_for(handler), cookie="c", **NO_SLEEP)
    collector.fetch_long_text = False
    summary = collect(collector, Query("case-a", ("x",), SINCE, UNTIL))
    assert summary.ingest.rejected == 1 and "created_at" in str(summary.ingest.issues[0])
    raw = list(Store().iter_raw("weibo"))
    assert len(raw) == 3 and "sometime" in raw[0]["body"] and raw[0]["page"] == 1


def test_retry_after_given_as_an_http_date_is_honoured():
    from datetime import timedelta
    from email.utils import format_datetime

    from collectors.http import polite_request

    later = format_datetime(datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=90), usegmt=True)
    replies = [httpx.Response(429, headers={"retry-after": later}), httpx.Response(200, text="ok")]
    waits: list[float] = []
    policy = RetryPolicy(attempts=3, initial=0.01, maximum=120, jitter=0, sleep=waits.append)
    response = polite_request(client_for(lambda r: replies.pop(0)), "GET", "https://m.weibo.cn/x", policy=policy)
    assert response.status_code == 200
    assert waits and 60 < waits[0] <= 90  # the server's date, not a 0.01 s backoff


def test_a_cookie_pasted_with_line_breaks_is_sent_joined_and_never_printed(tmp_path, monkeypatch):
    # an editor wrapped the copied Cookie header (sources.md §3: "line breaks inserted by the editor"); httpx refuses
    # such a header with "Illegal header value b'<the cookie>'", which ended every run and printed the cookie
    from collectors.secrets import get_secret
    from tests.weibo_fake import FakeWeibo, LoopbackServer

    monkeypatch.setenv("ACTORWATCH_WEIBO_COOKIE", "SUB=_2AkMwrappedSECRETsub0123;\r\n SUBP=0033WrappedSECRETsubp\n")
    fake = FakeWeibo(posts_per_window=3)
    with LoopbackServer(fake) as server:
        collector = WeiboSearch(make_client(timeout=5), cookie=get_secret("weibo_cookie"), base_url=server.url,
                                policy=RetryPolicy(attempts=2, sleep=lambda _s: None), **NO_SLEEP)
        summary = collect(collector, Query("iqiyi-nadou", ("AI艺人库",), SINCE, UNTIL), Store(tmp_path))
    assert "SECRET" not in summary.line() + str(summary.stopped) + "".join(summary.errors)
    assert summary.stopped is None and summary.ingest.records_new >= 3
    assert fake.cookies_seen == {"SUB=_2AkMwrappedSECRETsub0123; SUBP=0033WrappedSECRETsubp"}


# ---------- login / visitor pages served with status 200 (an expired cookie: stop at once, lose nothing) ----------
SECRET_COOKIE = "SUB=_2AkMvisitorSECRETsub0456"
VISITOR_URL = "https://passport.weibo.com/visitor/visitor?entry=miniblog&a=enter&url=https%3A%2F%2Fweibo.com%2F"


def _visitor_page(request: httpx.Request) -> httpx.Response:
    page = fixture("visitor_system.html").replace(b"</body>", f"<!-- {SECRET_COOKIE} -->".encode() + b"</body>")
    return httpx.Response(200, content=page, headers={"content-type": "text/html; charset=utf-8"})


@pytest.mark.parametrize("shape", ["visitor page", "login page", "redirect to the visitor page"])
def test_a_login_or_visitor_page_stops_at_once_and_is_archived_without_the_cookie(shape, tmp_path, monkeypatch):
    monkeypatch.setenv("ACTORWATCH_WEIBO_COOKIE", SECRET_COOKIE)
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.host)
        if shape == "login page":
            return httpx.Response(200, content=fixture("weibo_cn_login.html"), headers={"content-type": "text/html"})
        if shape == "redirect to the visitor page" and request.url.host == "weibo.com":
            return httpx.Response(302, headers={"location": VISITOR_URL})
        return _visitor_page(request)

    waits: list[float] = []
    collector = WeiboHotSearch(client_for(handler), sleep=waits.append, policy=RetryPolicy(sleep=waits.append))
    summary = collect(collector, Query("iqiyi-nadou", ()), Store(tmp_path))
    assert calls.count("weibo.com") == 1 and not waits  # no retries of a page that will not change
    stopped = summary.stopped or ""
    assert "cookie" in stopped and ("expired" in stopped or "log in" in stopped)
    assert "ACTORWATCH_WEIBO_COOKIE" in stopped and "--resume" in stopped and "kept failing" not in stopped
    archived = list(Store(tmp_path).iter_raw("weibo-hot"))
    assert archived and ("Visitor System" in archived[-1]["body"] or "登录" in archived[-1]["body"])
    assert not any(SECRET_COOKIE in json.dumps(a, ensure_ascii=False) for a in archived)


def test_an_html_page_where_json_was_expected_stops_the_search_at_once():
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return _visitor_page(request)

    collector = WeiboSearch(client_for(handler), cookie="c", **NO_SLEEP)
    with pytest.raises(SourceBlocked, match="cookie") as info:
        next(iter(collector.fetch(Query("case-a", ("x",), SINCE, UNTIL))))
    assert len(calls) == 1 and "ACTORWATCH_WEIBO_COOKIE" in info.value.how_to_resume


def test_a_visitor_page_instead_of_a_detail_page_stops_rather_than_keeping_truncated_text():
    def handler(request: httpx.Request) -> httpx.Response:
        return json_response("search_page1.json") if "getIndex" in request.url.path else _visitor_page(request)

    collector = WeiboSearch(client_for(handler), cookie="c", **NO_SLEEP)
    with pytest.raises(SourceBlocked, match="cookie"):
        list(collector.fetch(Query("case-a", ("x",), SINCE, UNTIL)))


def test_an_endless_redirect_loop_stops_with_what_it_means(tmp_path):
    # sources.md §3.5: m.weibo.cn sent HK and JP IPs into infinite 302 redirects (weibo-crawler #312)
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": f"https://m.weibo.cn/p/{len(request.url.path)}{request.url.path}"})

    summary = collect(WeiboSearch(client_for(handler), cookie="c", **NO_SLEEP), Query("case-a", ("x",), SINCE, UNTIL),
                      Store(tmp_path))
    assert summary.stopped and "redirect" in summary.stopped and "mainland" in summary.stopped
    assert "--resume" in summary.stopped


def test_one_cookie_echoed_alone_by_a_page_is_redacted_from_the_archive(tmp_path, monkeypatch):
    """Only the whole Cookie header was redacted: a login or visitor page echoing one of its cookies (the session's
    SUB in a script, a token in a redirect) was archived with that credential in it."""
    from collectors.secrets import redact, redact_text

    monkeypatch.setenv("ACTORWATCH_WEIBO_COOKIE", "SUB=_2AkMpartSECRETsub0789; SUBP=0033WpartSECRETsubp; lang=zh-cn; "
                                                  "ALF=1780000000")
    body = '<script>var $CONFIG = {"sub": "_2AkMpartSECRETsub0789", "p": "0033WpartSECRETsubp", "lang": "zh-cn"};'
    page = redact_text(body)
    assert "SECRET" not in page and '"lang": "zh-cn"' in page  # a short, common value is no credential
    assert "SECRET" not in json.dumps(redact({"url": "https://passport.weibo.com/x?from=0033WpartSECRETsubp"}))
    assert redact_text("ALF 1780000000") == "ALF 1780000000"


def test_credential_parameters_with_a_prefix_are_redacted():
    """Only bare names (token=, apikey=) were matched: refresh_token=, csrf_token=, api_key= or Bilibili's access_key=
    in a URL kept in an archive's metadata or an error message kept their value."""
    from collectors.secrets import REDACTED, redact_text

    url = ("https://api.example/x?refresh_token=r1&csrf_token=c2&api_key=k3&access_key=a4&client_secret=s5&page=2"
           "&token=t6&keyword=AI演员")
    out = redact_text(url)
    assert not any(v in out for v in ("=r1", "=c2", "=k3", "=a4", "=s5", "=t6"))
    assert out.count(REDACTED) == 6 and "page=2" in out and "keyword=AI演员" in out


def test_comments_stop_when_the_max_id_cursor_does_not_advance():
    """A hotflow that answers the same max_id again (the same page) ends that post instead of looping forever."""
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.url.params))
        if len(seen) > 20:
            raise AssertionError("the same page was requested forever")
        body = json.loads(fixture("hotflow_page1.json"))
        body["data"]["max_id"] = 139282732792325  # every page points at itself
        return httpx.Response(200, json=body)

    summary = collect(WeiboComments(client_for(handler), cookie="c", **NO_SLEEP), Query("case-a", ("5284000000000001",)))
    assert summary.stopped is None and len(seen) == 2 and summary.pages == 2
    assert summary.ingest.records_new > 0


def test_search_that_serves_the_same_page_again_ends_the_window():
    """Pages repeating the one before (no new post) end the window, not a reason to read 50 pages and split it."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/detail/"):
            return httpx.Response(200, content=fixture("detail_5284000000000004.html"))
        seen.append(request.url.params["page"])
        if len(seen) > 60:
            raise AssertionError("the repeated page was read again and again")
        return json_response("search_page1.json")

    summary = collect(WeiboSearch(client_for(handler), cookie="c", **NO_SLEEP), Query("case-a", ("AI艺人库",), SINCE, UNTIL))
    assert summary.stopped is None and seen == ["1", "2", "3"]  # one repeat can be a live list moving down a page
    assert summary.ingest.records_new == 5


def test_a_live_search_that_moved_down_by_exactly_one_page_goes_on():
    """Newest-first results shifted by exactly a page between two requests repeat page 1 once; page 3 is new."""
    pages = {"1": "search_page1.json", "2": "search_page1.json", "3": "search_page2.json"}
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params["page"])
        return json_response(pages.get(request.url.params["page"], "search_empty.json"))

    collector = WeiboSearch(client_for(handler), cookie="c", **NO_SLEEP)
    collector.fetch_long_text = False
    summary = collect(collector, Query("case-a", ("AI艺人库",), SINCE, UNTIL))
    assert seen == ["1", "2", "3", "4", "5"] and summary.ingest.records_new == 5 + 8


@pytest.mark.parametrize("body", [
    {"ok": 0, "msg": "请求过于频繁，歇歇吧"},
    {"ok": 0, "msg": "请求过于频繁", "data": {"cards": []}},
])
def test_too_frequent_is_a_rate_limit_not_the_end_of_the_results(body):
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params["page"])
        return json_response("search_page1.json") if request.url.params["page"] == "1" else httpx.Response(200, json=body)

    collector = WeiboSearch(client_for(handler), cookie="c", **NO_SLEEP)
    collector.fetch_long_text = False
    query = Query("case-a", ("AI艺人库",), SINCE, UNTIL)
    summary = collect(collector, query)
    assert summary.stopped and "频繁" in summary.stopped and "--resume" in summary.stopped
    assert seen == ["1", "2"]
    second = collect(collector, query)
    assert second.resumed_from["page"] == 2  # the window is not closed: page 2 is asked again


def test_too_frequent_on_comments_is_a_rate_limit():
    collector = WeiboComments(client_for(lambda r: httpx.Response(200, json={"ok": 0, "msg": "请求过于频繁"})),
                              cookie="c", **NO_SLEEP)
    summary = collect(collector, Query("case-a", ("5284000000000001",)))
    assert summary.stopped and "频繁" in summary.stopped


def test_weibo_cn_comment_pages_that_stop_changing_end_the_list():
    """weibo.cn announces 112 comment pages but serves the same content past about page 30 (nghuyong/WeiboSpider
    #164): pages repeating the one before, twice in a row, end the list instead of being read to the last."""
    page = fixture("weibo_cn_comments.html").replace(b'name="mp" type="hidden" value="1"', b'name="mp" type="hidden" value="112"')
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params["page"])
        return httpx.Response(200, content=page)

    summary = collect(WeiboCn(client_for(handler), cookie="c", **NO_SLEEP), Query("case-a", ("comments:QzfdS006t",)))
    assert summary.stopped is None and seen == ["1", "2", "3"]
    assert summary.ingest.records_new == 3  # the post and its 2 comments


def test_a_long_post_deleted_before_its_detail_page_keeps_its_truncated_text():
    tombstone = [{"status": {"id": "5284000000000004", "mid": "5284000000000004", "deleted": "1", "user": None,
                             "text": "抱歉，此微博已被作者删除。查看帮助：<a href=\"https://weibo.com/p/1001\">网页链接</a>"}}]
    page = f"<html><script>var $render_data = {json.dumps(tombstone, ensure_ascii=False)}[0] || {{}};</script></html>"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/detail/"):
            return httpx.Response(200, content=page.encode())
        return json_response("search_page1.json" if request.url.params["page"] == "1" else "search_empty.json")

    collect(WeiboSearch(client_for(handler), cookie="c", **NO_SLEEP), Query("case-a", ("AI艺人库",), SINCE, UNTIL))
    with Store().connect() as con:
        text = con.execute("SELECT text FROM records WHERE id = '5284000000000004'").fetchone()[0]
    assert text.startswith("作为从业者说几句") and "删除" not in text


def test_a_truncated_original_is_stored_in_full_and_fetched_once():
    """A repost carries its original cut at ~140 characters ("…全文"); stored so, the original's newer copy would
    replace its full text and the scorers would read the cut one."""
    full = "作为从业者说几句：演员的肖像和声音授权不是一句合作意愿就能解决的，需要明确的合同条款"
    original = {"id": "5284000000000004", "mid": "5284000000000004", "created_at": "Mon Apr 20 10:00:00 +0800 2026",
                "isLongText": True, "text": '作为从业者说几句...<a href="/status/5284000000000004">全文</a>',
                "user": {"id": 1000000001, "screen_name": "小鹿观影"}}
    reposts = [{"id": mid, "mid": mid, "created_at": "Mon Apr 20 11:00:00 +0800 2026", "text": "说得对",
                "user": {"id": 1000000010 + n, "screen_name": f"网友{n}"}, "retweeted_status": original}
               for n, mid in enumerate(("5284000000000021", "5284000000000022"))]
    search = {"ok": 1, "data": {"cards": [{"card_type": 9, "mblog": m} for m in reposts]}}
    detail = [{"status": {**original, "isLongText": False, "text": full}}]
    details: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/detail/"):
            details.append(request.url.path)
            return httpx.Response(200, content=f"<html><script>var $render_data = {json.dumps(detail, ensure_ascii=False)}"
                                               "[0] || {};</script></html>".encode())
        if request.url.params["page"] == "1":
            return httpx.Response(200, json=search)
        return json_response("search_empty.json")

    collect(WeiboSearch(client_for(handler), cookie="c", **NO_SLEEP), Query("case-a", ("AI艺人库",), SINCE, UNTIL))
    with Store().connect() as con:
        text = con.execute("SELECT text FROM records WHERE id = '5284000000000004'").fetchone()[0]
    assert text == full and details == ["/detail/5284000000000004"]


def _garbled_gzip() -> httpx.Response:
    # a body that says it is gzip but is not (a proxy mangling it): httpx raises DecodingError as it reads it
    return httpx.Response(200, headers={"content-encoding": "gzip", "content-type": "application/json"},
                          stream=httpx.ByteStream(b'{"ok": 1, "data": {"cards": []}}'))


def test_a_garbled_gzip_body_is_retried_then_stops_the_run_resumably(tmp_path):
    replies = [_garbled_gzip(), json_response("search_page1.json")]
    collector = WeiboSearch(client_for(lambda r: replies.pop(0) if replies else json_response("search_empty.json")),
                            cookie="c", **NO_SLEEP, policy=RetryPolicy(attempts=3, sleep=lambda s: None))
    collector.fetch_long_text = False
    page = next(iter(collector.fetch(Query("case-a", ("x",), SINCE, UNTIL))))
    assert len(page.items) == 6 and not replies

    always = WeiboSearch(client_for(lambda r: _garbled_gzip()), cookie="c", **NO_SLEEP,
                         policy=RetryPolicy(attempts=3, sleep=lambda s: None))
    summary = collect(always, Query("case-a", ("x",), SINCE, UNTIL), Store(tmp_path))
    assert summary.stopped and "after 3 attempts" in summary.stopped and "--resume" in summary.stopped


def test_comments_stop_when_pages_only_repeat_the_one_before_under_a_moving_cursor():
    """A hotflow serving the same comments again and again under a new max_id each time ends that post (as a search
    does), instead of reading the same page until Weibo stops answering."""
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.url.params))
        if len(seen) > 20:
            raise AssertionError("the same comments were requested forever")
        body = json.loads(fixture("hotflow_page1.json"))
        body["data"]["max_id"] = 139282732792325 + len(seen)  # a cursor that moves, pages that do not
        return httpx.Response(200, json=body)

    summary = collect(WeiboComments(client_for(handler), cookie="c", **NO_SLEEP), Query("case-a", ("5284000000000001",)))
    assert summary.stopped is None and len(seen) == 3  # one repeat can be a live list moving by a page
    assert summary.pages == 3 and summary.ingest.rejected == 0


def test_an_empty_hot_search_list_stops_the_run_instead_of_passing_for_a_snapshot(tmp_path):
    # the list always holds about 50 topics; an empty one is the endpoint broken ("微博热搜挂了", Nov 2025), and a
    # cron job must see it fail rather than record a snapshot of nothing
    empty = {"ok": 1, "data": {"realtime": [], "hotgov": {}}}
    collector = WeiboHotSearch(client_for(lambda r: httpx.Response(200, json=empty)), **NO_SLEEP)
    summary = collect(collector, Query("iqiyi-nadou", ()), Store(tmp_path))
    assert summary.stopped and "empty" in summary.stopped and summary.ingest.trends_new == 0
    assert [json.loads(a["body"]) for a in Store(tmp_path).iter_raw("weibo-hot")] == [empty]  # kept all the same


def test_a_window_ending_inside_an_hour_searches_to_the_end_of_that_hour():
    # timescope counts whole hours and ends before its last one: a window to 10:30 UTC (18:30 Beijing; --until with a
    # time, or a display zone such as Asia/Kolkata whose days start on the half hour) asked up to 18:00 only
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params["containerid"])
        return json_response("search_empty.json")

    collector = WeiboSearch(client_for(handler), cookie="c", **NO_SLEEP)
    list(collector.fetch(Query("case-a", ("x",), datetime(2026, 4, 20, 2, 30, tzinfo=UTC),
                               datetime(2026, 4, 20, 10, 30, tzinfo=UTC))))
    assert seen == ["100103type=61&q=x&timescope=custom:2026-04-20-10:2026-04-20-19"]


def test_an_empty_page_in_the_middle_of_a_search_does_not_end_its_window():
    # weibo-search #545: page 30 of 33 came back empty ("当前页面搜索结果为空") and pages 31–33 were never read
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params["page"])
        return json_response({"1": "search_page1.json", "3": "search_page2.json"}.get(seen[-1], "search_empty.json"))

    collector = WeiboSearch(client_for(handler), cookie="c", **NO_SLEEP)
    collector.fetch_long_text = False
    summary = collect(collector, Query("case-a", ("AI艺人库",), SINCE, UNTIL))
    assert summary.stopped is None and summary.ingest.records_new == 5 + 8
    assert seen == ["1", "2", "3", "4", "5"]  # one page is looked past; two empty pages in a row end the window


def test_a_window_still_at_the_page_cap_at_its_smallest_says_posts_were_out_of_reach():
    # a storm filling 50 pages even in one hour: the pages after 50 are unreachable, and the run must say so rather
    # than pass for a complete collection
    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(f"search_page{2 - int(request.url.params['page']) % 2}.json")

    collector = WeiboSearch(client_for(handler), cookie="c", **NO_SLEEP)
    collector.page_cap, collector.fetch_long_text, collector.min_window = 2, False, timedelta(days=1)
    summary = collect(collector, Query("case-a", ("AI艺人库",), SINCE, UNTIL))
    assert summary.stopped is None and summary.pages == 2
    assert len(summary.notes) == 1 and "page cap" in summary.notes[0] and "AI艺人库" in summary.notes[0]


def test_a_432_page_is_archived_before_the_run_stops(tmp_path):
    collector = WeiboSearch(client_for(lambda r: httpx.Response(432, content=fixture("blocked_432.html"))),
                            cookie="c", **NO_SLEEP)
    summary = collect(collector, Query("case-a", ("x",), SINCE, UNTIL), Store(tmp_path))
    assert summary.stopped and "HTTP 432" in summary.stopped
    (archived,) = Store(tmp_path).iter_raw("weibo")
    assert archived["status"] == 432 and archived["body"] == fixture("blocked_432.html").decode()
