"""Weibo collectors: keyword search, comments, long text, hot search, and the old weibo.cn HTML pages.

I/O only: every response goes through `WeiboCollector.get`, which rate-limits, retries transient
failures (429/5xx/timeouts/truncated JSON) and turns the platform's refusals (expired cookie → login
redirect, HTTP 432/418, `ok:-100` captcha, 请求过于频繁 rate limit, empty body) into SourceBlocked with how to resume.
The mapping of raw items lives in weibo_parse / weibo_html (pure).

Settings: cookie from `get_secret("weibo_cookie")` (env ACTORWATCH_WEIBO_COOKIE or the secrets file);
ACTORWATCH_WEIBO_BASE_URL sends every request to another origin (tests: a 127.0.0.1 server only).
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Generator, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

import httpx

from collectors.base import Collector, CollectorError, Page, ParseError, Query, SourceBlocked
from collectors.hot_search import match_trackers
from collectors.http import NETWORK_ERRORS, TransientHTTPError
from collectors.models import Record, TrendObservation
from collectors.secrets import get_secret, redact, redact_text
from collectors.sources import register
from collectors.sources import weibo_html as html_pages
from collectors.sources.support import REPEATS_END, repeats_after, with_response
from collectors.sources.weibo_parse import (
    BEIJING,
    RENDER_DATA,
    bid_to_mid,
    comment_page,
    comment_to_record,
    hot_item_to_trend,
    hot_search_items,
    is_numeric_id,
    list_heat,
    load_json,
    mblog_to_record,
    render_data_status,
    search_page_mblogs,
    with_retweet,
)
from collectors.store import TRENDS, Store

T = TypeVar("T")
BASE_URL_ENV = "ACTORWATCH_WEIBO_BASE_URL"
SEARCH_URL = "https://m.weibo.cn/api/container/getIndex"
DETAIL_URL = "https://m.weibo.cn/detail/{mid}"
HOTFLOW_URL = "https://m.weibo.cn/comments/hotflow"
COMMENTS_SHOW_URL = "https://m.weibo.cn/api/comments/show"
BUILD_COMMENTS_URL = "https://weibo.com/ajax/statuses/buildComments"
HOT_SEARCH_URL = "https://weibo.com/ajax/side/hotSearch"
WEIBO_CN_URL = "https://weibo.cn"
EMPTY_PAGES_PAST = 1  # empty search pages looked past before a window counts as finished
TOO_FREQUENT = ("频繁", "频次")  # "请求过于频繁", "操作过于频繁", "访问频次过高"
LOGIN_HOSTS = ("passport.weibo.cn", "passport.weibo.com", "login.sina.com.cn")
VISITOR_MARKERS = (b"Sina Visitor System", b"passport.weibo.com/visitor")  # the 访客系统 page, served with status 200

COOKIE_HELP = ("Log in to m.weibo.cn in a browser, copy the request's Cookie header into ACTORWATCH_WEIBO_COOKIE "
               "(or `weibo_cookie = \"…\"` in data/.secrets/secrets.toml), then re-run the same command with --resume.")
REDIRECT_HELP = ("Collect from a mainland-China network connection (or check the cookie, as for a login page), then "
                 "re-run the same command with --resume.")
WAIT_HELP = "Wait 30–60 minutes (Weibo's limits usually lift on their own), then re-run the same command with --resume."
COOKIE_OR_WAIT_HELP = ("Copy a fresh cookie (log in to m.weibo.cn in a browser, copy the request's Cookie header into "
                       "ACTORWATCH_WEIBO_COOKIE or `weibo_cookie = \"…\"` in data/.secrets/secrets.toml) and/or wait "
                       "30–60 minutes, then re-run the same command with --resume.")


def item_to_model(raw: Mapping[str, Any], collected_at: datetime, tracker: str | None = None) -> Record | TrendObservation:
    """Map one wrapped raw item {"type": mblog|comment|trend, "item": {...}, …} from any Weibo collector."""
    if not isinstance(raw, Mapping):
        raise ParseError("item: expected an object")
    kind = raw.get("type")
    if kind == "mblog":
        return mblog_to_record(raw.get("item"), collected_at, tracker)
    if kind == "comment":
        return comment_to_record(raw.get("item"), collected_at, tracker, post_id=raw.get("post_id"))
    if kind == "trend":
        observed = raw.get("observed_at")
        if not isinstance(observed, str):
            raise ParseError("trend: observed_at missing")
        try:
            when = datetime.fromisoformat(observed)
        except ValueError:
            raise ParseError(f"trend: bad observed_at {observed!r}") from None
        trackers = raw.get("trackers") or []
        if not isinstance(trackers, list) or not all(isinstance(t, str) for t in trackers):
            raise ParseError("trend: trackers must be a list of ids")
        heat = raw.get("list_heat")
        return hot_item_to_trend(raw.get("item"), when, str(raw.get("snapshot") or observed), trackers,
                                 heat if isinstance(heat, int) and not isinstance(heat, bool) and heat >= 0 else None)
    raise ParseError(f"item: unknown type {kind!r}")


class WeiboCollector(Collector):
    """Shared plumbing of the Weibo collectors: cookie, base URL, request checks."""

    name: ClassVar[str] = "weibo-base"
    description: ClassVar[str] = ""
    min_interval: ClassVar[float] = 8.0  # weibo-crawler's anti-ban floor is 8–15 s per request
    needs_secrets: ClassVar[tuple[str, ...]] = ("weibo_cookie",)

    def __init__(self, client: httpx.Client, *, cookie: str | None = None, base_url: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self.cookie = cookie if cookie is not None else get_secret("weibo_cookie")
        self.base_url = (base_url or os.environ.get(BASE_URL_ENV) or "").rstrip("/")

    to_record = staticmethod(item_to_model)

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        try:
            return super().request(method, url, **kw)
        except httpx.TooManyRedirects:
            raise SourceBlocked("Weibo sent the request round an endless redirect loop (more than "
                                f"{self.client.max_redirects} redirects); its users saw this for IPs outside mainland China "
                                "(HK, JP), and it can also mean the cookie is refused", REDIRECT_HELP) from None

    def _url(self, url: str) -> str:
        if not self.base_url:
            return url
        parts = urlsplit(url)
        return self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")

    def get(self, url: str, params: Mapping[str, Any] | None = None, *, referer: str = "https://m.weibo.cn/",
            expect_json: bool = True, allow: tuple[int, ...] = (),
            validate: Callable[[httpx.Response], None] | None = None) -> tuple[httpx.Response, Any]:
        """GET with the cookie; returns (response, parsed JSON or None). Raises SourceBlocked when refused.

        Truncated bodies (JSON that does not parse, HTML without its closing tag, or what `validate` rejects by
        raising TransientHTTPError) are retried like 429/5xx, so a page is only ever parsed whole.
        """
        headers = {"Referer": referer, "Accept": "application/json, text/plain, */*" if expect_json else "text/html",
                   "X-Requested-With": "XMLHttpRequest"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        parsed: dict[str, Any] = {}

        def check(response: httpx.Response) -> None:
            try:
                inspect(response)
            except CollectorError as exc:  # a refusal (432, 418, captcha, login) or an error status
                if getattr(exc, "response", None) is None:
                    with_response(exc, response)  # run_collection archives it
                raise

        def inspect(response: httpx.Response) -> None:
            if response.status_code in allow:
                return
            raise_if_blocked(response)
            if expect_json:
                try:
                    parsed["data"] = load_json(response.content, "response")
                except ParseError:
                    if _is_html(response.content):  # not a body cut short: a page that retrying will not change
                        raise login_required(response, f"Weibo answered an HTML page ({_title(response.content)}) "
                                                       "where JSON was expected") from None
                    raise TransientHTTPError(response, f"incomplete or non-JSON body from {response.request.url.path}") from None
                raise_if_json_blocked(parsed["data"])
            else:
                if response.content.lstrip().startswith(b"{"):  # an HTML page answered with a JSON error body
                    raise_if_json_blocked(_json_or_none(response.content))
                if any(marker in response.content for marker in VISITOR_MARKERS):
                    raise login_required(response, f"Weibo answered its visitor page ({_title(response.content)})")
                if b"</html>" not in response.content[-2048:].lower():
                    raise TransientHTTPError(response, f"incomplete HTML page from {response.request.url.path}")
            if validate:
                validate(response)

        try:
            response = self.request("GET", self._url(url), params=dict(params or {}), headers=headers, check=check)
        except (TransientHTTPError, *NETWORK_ERRORS) as exc:
            raise SourceBlocked(f"Weibo kept failing after {self.policy.attempts} attempts "
                                f"({redact_text(str(exc))[:160]})", WAIT_HELP) from None
        return response, parsed.get("data")

    def meta(self, response: httpx.Response, **extra: Any) -> dict[str, Any]:
        return redact({"url": str(response.url), "status": response.status_code, **extra})

    def parsed(self, response: httpx.Response, cursor: dict[str, Any] | None, parse: Callable[..., T],
               *args: Any) -> Generator[Page, None, T]:
        """`parse(*args)`; if the page itself does not parse, archive it (cursor unchanged) and re-raise: raw is never lost."""
        try:
            return parse(*args)
        except ParseError as exc:
            yield Page(items=[], raw=response.text, meta=self.meta(response, error=str(exc)), cursor=copy.deepcopy(cursor))
            raise


def raise_if_blocked(response: httpx.Response) -> None:
    """The platform's refusals, as SourceBlocked naming what happened and how to resume."""
    status = response.status_code
    hops = [r.headers.get("location", "") for r in response.history] + [str(response.url)]
    if status in (301, 302, 303, 307, 308):  # a redirect that was not followed
        hops.append(response.headers.get("location", ""))
    if any(_is_login_url(hop) for hop in hops):
        raise login_required(response, "Weibo redirected to its login page")
    if status == 432:
        raise SourceBlocked("HTTP 432: Weibo's anti-crawler check refused the request "
                            "(cookie missing or expired, or too many requests)", COOKIE_OR_WAIT_HELP)
    if status == 418:
        raise SourceBlocked("HTTP 418: Weibo flagged this client as a robot (temporary ban of this IP or cookie)",
                            WAIT_HELP)
    if status in (401, 403):
        raise SourceBlocked(f"HTTP {status}: Weibo refused access (login needed or account restricted)", COOKIE_HELP)
    if status >= 400:
        raise CollectorError(f"HTTP {status} from {response.request.url.host}{response.request.url.path}")
    if not response.content.strip():
        raise SourceBlocked("Weibo returned an empty page (a sign of a temporary limit)", WAIT_HELP)


def login_required(response: httpx.Response, what: str) -> SourceBlocked:
    """The refusal for a login or visitor page: log in again; the page itself is archived by run_collection."""
    return with_response(SourceBlocked(f"{what}: the cookie is missing or has expired (login required)", COOKIE_HELP),
                         response)


def _is_html(body: bytes) -> bool:
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def _title(body: bytes) -> str:
    found = re.search(rb"<title[^>]*>\s*([^<]{1,80}?)\s*</title>", body[:4096], re.IGNORECASE)
    return f"titled {found.group(1).decode('utf-8', 'replace')!r}" if found else "untitled"


def _is_login_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed Location header
        return False
    return parts.hostname in LOGIN_HOSTS or any(word in parts.path for word in ("/login", "/signin", "/visitor"))


def _json_or_none(body: bytes) -> Any:
    try:
        return load_json(body, "response")
    except ParseError:
        return None


def _complete_detail_page(response: httpx.Response) -> None:
    """A detail page whose $render_data does not parse was cut short (retry); one without it is a deleted post."""
    if "$render_data" in response.text:
        found = RENDER_DATA.search(response.text)
        if not found or _json_or_none(found.group(1).encode()) is None:
            raise TransientHTTPError(response, "detail page cut short ($render_data incomplete)")


def raise_if_json_blocked(data: Any) -> None:
    if not isinstance(data, Mapping):
        return
    ok = data.get("ok")
    target = data.get("url") if isinstance(data.get("url"), str) else ""
    msg = data.get("msg") if isinstance(data.get("msg"), str) else ""
    if _is_login_url(target) or "登录" in msg:  # before -100: an ok:-100 that sends to the login page is a login
        raise SourceBlocked("Weibo says to log in: the cookie is missing or has expired", COOKIE_HELP)
    if ok in (-100, "-100") or data.get("errno") in (-100, "-100"):
        url = target or "https://m.weibo.cn/captcha"
        raise SourceBlocked("Weibo asks for a captcha (ok:-100, rate limit)",
                            f"Open {redact_text(url)} in a browser logged in with the same account, solve the "
                            "captcha (the same cookie then works again), then re-run the same command with --resume.")
    if any(word in msg for word in TOO_FREQUENT):  # an ok:0 page that is a rate limit, not the end of the results
        raise SourceBlocked(f"Weibo rate limit ({msg[:40]!r})", WAIT_HELP)


def _windows(since: datetime | None, until: datetime | None, size: timedelta) -> list[tuple[str, str]]:
    if since is None or until is None:
        return [("", "")]
    out, start = [], since
    while start < until:
        end = min(start + size, until)
        out.append((start.isoformat(), end.isoformat()))
        start = end
    return out


def _timescope(start: str, end: str) -> str:
    if not start:
        return ""
    a, b = (datetime.fromisoformat(x).astimezone(BEIJING) for x in (start, end))
    hour = b.replace(minute=0, second=0, microsecond=0)
    b = hour if hour == b else hour + timedelta(hours=1)  # whole hours, ending before the last: to the end of b's
    return f"&timescope=custom:{a:%Y-%m-%d}-{a.hour}:{b:%Y-%m-%d}-{b.hour}"  # weibo-search's unpadded hour


@register
class WeiboSearch(WeiboCollector):
    """Keyword search via m.weibo.cn containers; each query runs in time windows (smaller when a window hits the cap)."""

    name = "weibo"
    description = "Weibo keyword search (m.weibo.cn), split into time windows; long posts expanded"
    search_type: ClassVar[int] = 61  # 实时 (newest first); 1 = 综合
    window: ClassVar[timedelta] = timedelta(days=1)
    min_window: ClassVar[timedelta] = timedelta(hours=1)
    page_cap: ClassVar[int] = 50  # search stops returning new results around page 50
    fetch_long_text: ClassVar[bool] = True

    def __init__(self, client: httpx.Client, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self._full_texts: dict[str, Any] = {}  # mid → the detail page's text, None when it gave none

    def initial_cursor(self, query: Query) -> dict[str, Any]:
        todo = [[term, a, b] for term in query.terms for a, b in _windows(query.since, query.until, self.window)]
        return {"todo": todo, "page": 1}

    def fetch(self, query: Query, cursor: dict[str, Any] | None = None) -> Iterator[Page]:
        state = copy.deepcopy(cursor) if cursor else self.initial_cursor(query)
        while state["todo"]:
            term, start, end = state["todo"][0]
            page = int(state["page"])
            containerid = f"100103type={self.search_type}&q={term}{_timescope(start, end)}"
            response, data = self.get(SEARCH_URL, {"containerid": containerid, "page_type": "searchall", "page": page})
            mblogs = yield from self.parsed(response, state, _search_mblogs, data)
            ids = sorted({str(m.get("mid") or m.get("id")) for m in mblogs})
            # pages that only repeat the one before (a search past its last page) end the window, unsplit
            repeats = repeats_after(page, ids, state.get("last_ids", ()), int(state.get("repeats", 0)))
            # an empty page after posts can be one Weibo left blank mid-results (weibo-search #545): look past it
            empty = 0 if mblogs else int(state.get("empty", 0)) + 1
            look_past = page > 1 and 0 < empty <= EMPTY_PAGES_PAST and page < self.page_cap
            has_posts = (bool(mblogs) and repeats < REPEATS_END) or look_past
            after = self._advance(state, has_posts=has_posts)
            after["last_ids"], after["repeats"] = (ids, repeats) if after["page"] > 1 else ([], 0)
            after["empty"] = empty if after["page"] > 1 else 0
            items: list[dict[str, Any]] = []
            for mblog in mblogs:
                if self.fetch_long_text:
                    mblog = yield from self._expanded(mblog, state)
                items.extend({"type": "mblog", "item": m} for m in with_retweet(mblog))
            yield Page(items=items, raw=response.text,
                       meta=self.meta(response, term=term, page=page, window=[start, end], posts=len(mblogs)),
                       cursor=after if after["todo"] else None,
                       note=self._out_of_reach(term, start, end) if has_posts and page >= self.page_cap else None)
            state = after

    def _out_of_reach(self, term: str, start: str, end: str) -> str | None:
        """The note for a window at the page cap that cannot be split any further (None if it was split)."""
        if start and datetime.fromisoformat(end) - datetime.fromisoformat(start) > self.min_window:
            return None
        where = f"{start[:16]} to {end[:16]} UTC" if start else "without a time window"
        return (f"weibo search for {term!r} {where} still filled the {self.page_cap}-page cap (the smallest window "
                f"is {self.min_window}): its posts after page {self.page_cap} were out of reach")

    def _advance(self, state: dict[str, Any], has_posts: bool) -> dict[str, Any]:
        after = copy.deepcopy(state)
        term, start, end = after["todo"][0]
        if has_posts and after["page"] < self.page_cap:
            after["page"] += 1
            return after
        after["todo"].pop(0)
        after["page"] = 1
        if has_posts and start:  # hit the cap: split the window so its later pages become reachable
            a, b = datetime.fromisoformat(start), datetime.fromisoformat(end)
            if b - a > self.min_window:
                mid = (a + (b - a) / 2).replace(minute=0, second=0, microsecond=0)
                mid = mid if a < mid < b else a + (b - a) / 2
                after["todo"][0:0] = [[term, start, mid.isoformat()], [term, mid.isoformat(), end]]
        return after

    def _expanded(self, mblog: Mapping[str, Any], state: dict[str, Any]) -> Generator[Page, None, Mapping[str, Any]]:
        """The post with its own text and its original's in full where they came truncated. A truncated original
        stored as it came would replace the full copy stored before (the newest copy wins) and be scored cut."""
        if mblog.get("isLongText") is True:
            mblog = (yield from self._long_text(mblog, state)) or mblog
        original = mblog.get("retweeted_status")
        if isinstance(original, Mapping) and original.get("isLongText") is True:
            full = yield from self._long_text(original, state)
            mblog = {**mblog, "retweeted_status": full} if full else mblog
        return mblog

    def _long_text(self, mblog: Mapping[str, Any], state: dict[str, Any]) -> Generator[Page, None, Mapping[str, Any] | None]:
        """Fetch the detail page of a truncated post; yields it (archived, cursor unchanged), returns the full post.
        A post's page is fetched once a run: many reposts on a page carry the same original."""
        mid = str(mblog.get("mid") or mblog.get("id") or "")
        if not is_numeric_id(mid):
            return None
        known = self._full_texts.get(mid, False)
        if known is not False:
            return {**mblog, "text": known, "isLongText": False} if known is not None else None
        response, _ = self.get(DETAIL_URL.format(mid=mid), referer="https://m.weibo.cn/", expect_json=False,
                               allow=(404,), validate=_complete_detail_page)
        yield Page(items=[], raw=response.text, meta=self.meta(response, kind="detail", mid=mid),
                   cursor=copy.deepcopy(state))
        try:
            status = render_data_status(response.text)
        except ParseError:
            self._full_texts[mid] = None  # not asked again this run
            return None  # deleted or changed page: keep the truncated text rather than lose the post
        self._full_texts[mid] = status.get("text") or mblog.get("text")
        return {**mblog, "text": self._full_texts[mid], "isLongText": False}


@register
class WeiboComments(WeiboCollector):
    """Comments of given posts (terms are post ids: mid digits or base62 bid), via hotflow's max_id cursor.

    Older posts answer 403 on hotflow; those fall back to /api/comments/show pages (capped at ~50 comments).
    """

    name = "weibo-comments"
    description = "Weibo comments of posts given with --term MID (hotflow cursor; comments/show fallback)"
    first_mode: ClassVar[str] = "hotflow"
    terms_from_tracker = False

    def queries_for(self, tracker: Any) -> tuple[str, ...]:
        return ()  # post ids come from --term, never from keyword lists

    @classmethod
    def check_term(cls, term: str) -> None:
        if not is_numeric_id(term):
            bid_to_mid(term)  # ParseError unless a base62 id

    def fetch(self, query: Query, cursor: dict[str, Any] | None = None) -> Iterator[Page]:
        fresh = {"mode": self.first_mode, "max_id": 0, "max_id_type": 0, "page": 1, "last_ids": [], "repeats": 0}
        state = copy.deepcopy(cursor) if cursor else {"todo": [t if is_numeric_id(t) else bid_to_mid(t) for t in query.terms],
                                                       **fresh}
        while state["todo"]:
            mid = state["todo"][0]
            after = copy.deepcopy(state)
            if state["mode"] == "show":
                response, data = self.get(COMMENTS_SHOW_URL, {"id": mid, "page": state["page"]},
                                          referer=DETAIL_URL.format(mid=mid))
                items = (yield from self.parsed(response, state, _comments, data))[0]
                last = data.get("data", {}).get("max") if _ok(data) and isinstance(data.get("data"), Mapping) else None
                after["page"] += 1
                done = not items or not isinstance(last, int) or state["page"] >= last
            else:
                url, params, referer = self._cursor_request(state, mid)
                response, data = self.get(url, params, referer=referer, allow=(403,) if state["mode"] == "hotflow" else ())
                if response.status_code == 403:  # hotflow refuses older posts
                    state = {**state, "mode": "show", "page": 1, "last_ids": [], "repeats": 0}
                    continue
                items, max_id, max_type = yield from self.parsed(response, state, _comments, data)
                after.update(max_id=max_id, max_id_type=max_type, page=state["page"] + 1)
                # a cursor pointing back at the page just read would repeat it forever
                done = max_id == 0 or not items or (max_id, max_type) == (state["max_id"], state["max_id_type"])
            # so would one that moves on while its pages only repeat the page before
            ids = sorted({str(c.get("id")) for c in items if isinstance(c, Mapping)})
            repeats = repeats_after(int(state["page"]), ids, state.get("last_ids", ()), int(state.get("repeats", 0)))
            after.update(last_ids=ids, repeats=repeats)
            if done or repeats >= REPEATS_END:
                after = {**after, "todo": after["todo"][1:], **fresh}
            yield Page(items=[{"type": "comment", "item": c, "post_id": mid} for c in items], raw=response.text,
                       meta=self.meta(response, post=mid, mode=state["mode"]), cursor=after if after["todo"] else None)
            state = after

    @staticmethod
    def _cursor_request(state: Mapping[str, Any], mid: str) -> tuple[str, dict[str, Any], str]:
        """URL, params and referer of the next `max_id` page (mobile hotflow or desktop buildComments)."""
        if state["mode"] == "ajax":
            params: dict[str, Any] = {"is_reload": 1, "id": mid, "is_show_bulletin": 2, "is_mix": 0, "count": 20}
            referer = "https://weibo.com/"
        else:
            params = {"id": mid, "mid": mid, "max_id_type": state["max_id_type"]}
            referer = DETAIL_URL.format(mid=mid)
        if state["max_id"]:
            params["max_id"] = state["max_id"]
        return (BUILD_COMMENTS_URL if state["mode"] == "ajax" else HOTFLOW_URL), params, referer


@register
class WeiboAjaxComments(WeiboComments):
    """The same, through the desktop site's ajax/statuses/buildComments (`max_id` beside `data`; weibo.com cookie)."""

    name = "weibo-comments-ajax"
    description = "Weibo comments via weibo.com ajax buildComments (--term MID; needs a weibo.com cookie)"
    first_mode = "ajax"


def _ok(data: Any) -> bool:
    return isinstance(data, Mapping) and data.get("ok") in (1, "1")


def _search_mblogs(data: Any) -> list[Mapping[str, Any]]:
    return search_page_mblogs(data) if _ok(data) else []  # ok:0 "这里还没有内容" = the end of a window


def _comments(data: Any) -> tuple[list[Mapping[str, Any]], int, int]:
    return comment_page(data) if _ok(data) else ([], 0, 0)  # ok:0 = no (more) comments


@register
class WeiboHotSearch(WeiboCollector):
    """One snapshot of the hot-search list (50 topics) as trend observations with rank and heat."""

    name = "weibo-hot"
    description = "Weibo hot-search list snapshot (rank, heat, new/hot label); no terms needed"
    needs_terms = False
    needs_secrets = ()
    min_interval = 60.0  # the list changes about once a minute

    def queries_for(self, tracker: Any) -> tuple[str, ...]:
        return ()

    def fetch(self, query: Query, cursor: dict[str, Any] | None = None) -> Iterator[Page]:
        response, data = self.get(HOT_SEARCH_URL, referer="https://s.weibo.com/")
        observed = datetime.now(UTC).replace(microsecond=0)
        snapshot = f"weibo-hot-search:{observed:%Y%m%dT%H%M%SZ}"
        entries = yield from self.parsed(response, None, hot_search_items, data)
        trackers = _all_trackers()
        total = list_heat(entries)
        items = [{"type": "trend", "item": item, "observed_at": observed.isoformat(), "snapshot": snapshot,
                  "list_heat": total,
                  "trackers": match_trackers(item["word"], trackers) if isinstance(item.get("word"), str) else []}
                 for item in entries]
        yield Page(items=items, raw=response.text, meta=self.meta(response, snapshot=snapshot), cursor=None)

    def after_collection(self, store: Store) -> str:
        """Refresh the `kind="trend"` record of every tracker-matched topic from all its stored sightings."""
        from collectors.hot_search import topic_records
        from collectors.ingest import ingest

        if not store.files(TRENDS):
            return "trend records: none (no hot-search observations yet)"
        with store.connect() as con:
            cursor = con.execute("SELECT * FROM trend_observations WHERE source = 'weibo' AND len(trackers) > 0")
            columns = [d[0] for d in cursor.description]
            observations = [TrendObservation.model_validate(dict(zip(columns, row, strict=True))) for row in cursor.fetchall()]
        written = ingest(topic_records(observations), store)
        return (f"trend records of matched topics: {written.records_new} new, {written.records_updated} updated, "
                f"{written.records_duplicate} unchanged")


def _all_trackers() -> list[Any]:
    from collectors.trackers import TrackerFileError, load_trackers

    try:
        return load_trackers()
    except TrackerFileError:
        return []


def _weibo_cn_url(term: str) -> str:
    """The weibo.cn page of a `user:UID`, `comments:BID` or `reposts:BID` term; CollectorError for anything else."""
    kind, _, ident = term.partition(":")
    if kind == "user" and is_numeric_id(ident):
        return f"{WEIBO_CN_URL}/{ident}/profile"
    if kind in ("comments", "reposts") and ident:
        return f"{WEIBO_CN_URL}/{'comment' if kind == 'comments' else 'repost'}/{ident}"
    raise CollectorError(f"weibo-cn: term {term!r} must be user:UID, comments:BID or reposts:BID")


@register
class WeiboCn(WeiboCollector):
    """The old weibo.cn HTML pages: a user's timeline (`user:UID`), a post's comments (`comments:BID`, hot ones
    included) or reposts (`reposts:BID`); page 1 of a comment or repost list also gives the post itself."""

    name = "weibo-cn"
    description = ("weibo.cn HTML pages: --term user:UID (timeline), comments:BID (comment list) or reposts:BID "
                   "(repost list)")
    min_interval = 8.0  # weiboSpider waits 6–10 s every few pages; we wait before every page
    terms_from_tracker = False

    def queries_for(self, tracker: Any) -> tuple[str, ...]:
        return ()

    @classmethod
    def check_term(cls, term: str) -> None:
        _weibo_cn_url(term)

    def fetch(self, query: Query, cursor: dict[str, Any] | None = None) -> Iterator[Page]:
        state = copy.deepcopy(cursor) if cursor else {"todo": list(query.terms), "page": 1}
        while state["todo"]:
            term, page = state["todo"][0], int(state["page"])
            kind, _, ident = term.partition(":")
            url = _weibo_cn_url(term)
            response, _ = self.get(url, {"page": page}, referer=WEIBO_CN_URL + "/", expect_json=False)
            html_pages.raise_if_login_page(response.text)
            if kind == "user":
                parsed = yield from self.parsed(response, state, html_pages.timeline_page, response.text, ident)
                items = [{"type": "mblog", "item": m} for m in parsed.items]
            else:
                parse = html_pages.comment_list_page if kind == "comments" else html_pages.repost_list_page
                parsed = yield from self.parsed(response, state, parse, response.text)
                post = ident if is_numeric_id(ident) else bid_to_mid(ident)
                items = ([{"type": "mblog", "item": parsed.post}] if parsed.post is not None and page == 1 else [])
                items += ([{"type": "comment", "item": c, "post_id": post} for c in parsed.items] if kind == "comments"
                          else [{"type": "mblog", "item": {**r, "parent_mid": r.get("parent_mid") or post}}
                                for r in parsed.items])
            after = copy.deepcopy(state)
            # weibo.cn can announce 100+ pages yet serve the same one past about page 30
            ids = sorted({str(i.get("id") or i.get("mid")) for i in parsed.items})
            repeats = repeats_after(page, ids, state.get("last_ids", ()), int(state.get("repeats", 0)))
            if parsed.items and page < parsed.pages and repeats < REPEATS_END:
                after.update(page=page + 1, last_ids=ids, repeats=repeats)
            else:
                after = {"todo": after["todo"][1:], "page": 1}
            yield Page(items=items, raw=response.text, meta=self.meta(response, term=term, page=page),
                       cursor=after if after["todo"] else None)
            state = after
