"""Bilibili: video search (WBI-signed `wbi/search/type`) and the comments of each video found (`reply/wbi/main`).

WBI signing: the img/sub keys are the file-name stems of `data.wbi_img` in the `nav` endpoint (served even
when logged out, with code -101). They rotate about daily, so they are cached on disk for 12 hours and
refreshed when a signed call answers -403 (bad signature). Risk control (-352), search blocks (-412 or
HTTP 412 with an HTML page) and rate limits (-799/-509, 请求过于频繁) stop the run with a message: retrying
makes them worse.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx

from collectors.base import Collector, Page, ParseError, Query, SourceBlocked
from collectors.models import Record, parse_record
from collectors.parsing import typed_errors
from collectors.paths import data_dir
from collectors.secrets import get_secret
from collectors.sources import register
from collectors.sources.support import (
    REPEATS_END,
    RESUME_LATER,
    after_term,
    count,
    from_unix,
    json_body,
    mapping,
    page_meta,
    parsed_page,
    repeats_after,
    request_parsed,
    require,
    strip_html,
    terms_from,
    with_response,
)
from collectors.store import atomic_write_text

API = "https://api.bilibili.com"
NAV_URL = f"{API}/x/web-interface/nav"
SEARCH_URL = f"{API}/x/web-interface/wbi/search/type"
REPLY_URL = f"{API}/x/v2/reply/wbi/main"
HOME_URL = "https://www.bilibili.com/"

# The public WBI permutation table (bilibili-API-collect docs): mixin key = the first 32 chars of
# (img_key + sub_key) reordered by it.
MIXIN_KEY_ENC_TAB = (
    46, 47, 18, 2, 53, 8, 23, 32, 15, 50, 10, 31, 58, 3, 45, 35, 27, 43, 5, 49, 33, 9, 42, 19, 29, 28, 14, 39,
    12, 38, 41, 13, 37, 48, 7, 16, 24, 55, 40, 61, 26, 17, 0, 1, 60, 51, 30, 4, 22, 25, 54, 21, 56, 59, 6, 63,
    57, 62, 11, 36, 20, 34, 44, 52,
)
WBI_CACHE_SECONDS = 12 * 3600
_RESUME = ("Bilibili risk control lifts after a while: wait an hour or more, open bilibili.com in a browser, "
           "copy a fresh cookie (with buvid3, optionally SESSDATA) into ACTORWATCH_BILIBILI_COOKIE, then re-run with --resume.")


def mixin_key(img_key: str, sub_key: str) -> str:
    raw = img_key + sub_key
    return "".join(raw[i] for i in MIXIN_KEY_ENC_TAB if i < len(raw))[:32]


def sign_params(params: Mapping[str, Any], img_key: str, sub_key: str, wts: int | None = None) -> dict[str, str]:
    """Params plus `wts` and `w_rid` = md5(sorted, filtered, url-encoded query + mixin key)."""
    signed = {k: str(v) for k, v in params.items()}
    signed["wts"] = str(int(time.time()) if wts is None else wts)
    signed = {k: re.sub(r"[!'()*]", "", signed[k]) for k in sorted(signed)}
    query = urllib.parse.urlencode(signed, quote_via=urllib.parse.quote)
    signed["w_rid"] = hashlib.md5((query + mixin_key(img_key, sub_key)).encode()).hexdigest()
    return signed


def _key_from_url(url: Any) -> str:
    if not isinstance(url, str) or "/" not in url:
        raise ParseError("nav: data.wbi_img url missing")
    return url.rsplit("/", 1)[-1].split(".", 1)[0]


@typed_errors
def _api_body(response: httpx.Response) -> Mapping[str, Any]:
    """The JSON envelope {code, message, data}; blocks become SourceBlocked."""
    if response.status_code == 412:
        raise SourceBlocked("bilibili: HTTP 412, the request was blocked by Bilibili's risk control", _RESUME)
    if response.status_code in (401, 403):
        raise SourceBlocked(f"bilibili: HTTP {response.status_code}, access refused", _RESUME)
    body = json_body(response)
    if not isinstance(body, Mapping) or "code" not in body:
        raise ParseError("bilibili: response is not the {code, data} envelope")
    code = body.get("code")
    if code == -352:
        raise SourceBlocked("bilibili: code -352 risk control (a captcha/v_voucher was requested)", _RESUME)
    if code in (-799, -509):
        raise SourceBlocked(f"bilibili: code {code}, rate limited (请求过于频繁)", RESUME_LATER)
    if code == -412:
        raise SourceBlocked("bilibili: code -412, request blocked (too few cookies: a buvid3 cookie is needed)", _RESUME)
    return body


@register
class BilibiliCollector(Collector):
    name: ClassVar[str] = "bilibili"
    description: ClassVar[str] = "Bilibili video search (WBI-signed) and video comments"
    min_interval: ClassVar[float] = 3.0
    needs_secrets: ClassVar[tuple[str, ...]] = ()  # bilibili_cookie is optional but strongly advised
    pages_per_term: ClassVar[int] = 50  # Bilibili caps search at 50 pages / 1000 results
    comment_pages_per_video: ClassVar[int] = 3

    def __init__(self, client: httpx.Client, *, state_dir: Path | None = None,
                 clock: Callable[[], float] = time.time, **kw: Any) -> None:
        super().__init__(client, **kw)
        self.state_dir = state_dir or data_dir() / "state"
        self.clock = clock
        self._keys: tuple[str, str] | None = None
        self._warmed = False

    # ---------- WBI keys ----------
    @property
    def key_cache(self) -> Path:
        return self.state_dir / "bilibili_wbi.json"

    def wbi_keys(self, refresh: bool = False) -> tuple[str, str]:
        if self._keys and not refresh:
            return self._keys
        if not refresh and self.key_cache.exists():
            try:
                cached = json.loads(self.key_cache.read_text())
                if self.clock() - float(cached["fetched_at"]) < WBI_CACHE_SECONDS:
                    self._keys = (str(cached["img_key"]), str(cached["sub_key"]))
                    return self._keys
            except (ValueError, KeyError, TypeError):
                pass  # a damaged cache is simply refetched
        _, body = request_parsed(self, "GET", NAV_URL, _api_body, headers=self._headers())
        img = mapping(mapping(body.get("data")).get("wbi_img"))
        self._keys = (_key_from_url(img.get("img_url")), _key_from_url(img.get("sub_url")))
        atomic_write_text(self.key_cache, json.dumps({"img_key": self._keys[0], "sub_key": self._keys[1],
                                                      "fetched_at": self.clock()}))
        return self._keys

    def _headers(self) -> dict[str, str]:
        headers = {"Referer": "https://www.bilibili.com/", "Origin": "https://www.bilibili.com"}
        cookie = get_secret("bilibili_cookie")
        if cookie:
            headers["Cookie"] = cookie.strip()
        return headers

    def _warm_up(self) -> None:
        """Without a configured cookie, visit the home page once so the client holds a buvid3 cookie."""
        if self._warmed or get_secret("bilibili_cookie"):
            return
        self._warmed = True
        request_parsed(self, "GET", HOME_URL, lambda r: None, headers=self._headers())

    def signed_get(self, url: str, params: Mapping[str, Any]) -> tuple[httpx.Response, Mapping[str, Any]]:
        """A WBI-signed GET; on -403 (bad signature) the keys are refreshed once and the call repeated."""
        for refresh in (False, True):
            img, sub = self.wbi_keys(refresh=refresh)
            signed = sign_params(params, img, sub, wts=int(self.clock()))
            response, body = request_parsed(self, "GET", url, _api_body, params=signed, headers=self._headers())
            if body.get("code") != -403:
                return response, body
        raise with_response(SourceBlocked("bilibili: code -403, the WBI signature is refused even with fresh keys",
                                          _RESUME), response)

    # ---------- fetch ----------
    def fetch(self, query: Query, cursor: dict[str, Any] | None = None) -> Iterator[Page]:
        self._warm_up()
        terms = query.terms
        for i, term, state in terms_from(terms, cursor):
            page_no = int(state.get("page", 1))
            videos: list[int] = list(state.get("videos", []))
            offset: str = state.get("offset", "")
            comment_pages = int(state.get("comment_pages", 0))
            search_done = bool(state.get("search_done", False))
            last_aids: list[int] = list(state.get("last_aids", []))  # of the search page before
            repeats = int(state.get("repeats", 0))  # search pages in a row that repeated the one before
            while True:
                if videos:
                    aid = videos[0]
                    response, body = self.signed_get(REPLY_URL, {
                        "oid": aid, "type": 1, "mode": 2, "plat": 1, "web_location": 1315875,
                        "pagination_str": json.dumps({"offset": offset}, separators=(",", ":")),
                    })
                    items, next_offset, is_end = parsed_page(response, _comment_page, body, aid)
                    comment_pages += 1
                    if is_end or not next_offset or next_offset == offset or comment_pages >= self.comment_pages_per_video:
                        videos, offset, comment_pages = videos[1:], "", 0
                    else:
                        offset = next_offset
                    state_after = {"term": i, "page": page_no, "videos": videos, "offset": offset,
                                   "comment_pages": comment_pages, "search_done": search_done, "last_aids": last_aids,
                                   **({"repeats": repeats} if repeats else {})}
                    finished = search_done and not videos
                    yield Page(items, response.text, page_meta(response, term=term, aid=aid),
                               after_term(i, terms) if finished else state_after)
                    if finished:
                        break
                    continue
                if search_done:
                    break
                params: dict[str, Any] = {"search_type": "video", "keyword": term, "page": page_no,
                                          "order": "pubdate", "page_size": 20}
                if query.since:
                    params["pubtime_begin_s"] = int(query.since.timestamp())
                if query.until:
                    params["pubtime_end_s"] = int(query.until.timestamp())
                response, body = self.signed_get(SEARCH_URL, params)
                items, pages = parsed_page(response, _search_page, body)
                videos = [int(v["aid"]) for v in items if str(v.get("aid", "")).isdigit()]
                # pages that only repeat the one before end the search (their comments are not fetched again)
                repeats = repeats_after(page_no, videos, last_aids, repeats)
                repeated = repeats > 0
                search_done = not items or repeats >= REPEATS_END or page_no >= min(pages, self.pages_per_term)
                page_no += 1
                last_aids, videos = videos, [] if repeated else videos
                finished = search_done and not videos
                yield Page(items, response.text, page_meta(response, term=term, page=page_no - 1),
                           after_term(i, terms) if finished else
                           {"term": i, "page": page_no, "videos": videos, "offset": "", "comment_pages": 0,
                            "search_done": search_done, "last_aids": last_aids, **({"repeats": repeats} if repeats else {})})
                if finished:
                    break

    # ---------- mapping ----------
    @staticmethod
    def to_record(raw: Mapping[str, Any], collected_at: datetime, tracker: str | None = None) -> Record:
        if isinstance(raw, Mapping) and "rpid" in raw:
            return comment_record(raw, collected_at, tracker)
        return video_record(raw, collected_at, tracker)


@typed_errors
def _search_page(body: Mapping[str, Any]) -> tuple[list[Mapping[str, Any]], int]:
    if body.get("code") != 0:
        raise ParseError(f"bilibili search: code {body.get('code')} ({str(body.get('message', ''))[:80]})")
    data = mapping(body.get("data"))
    result = data.get("result") or []
    if not isinstance(result, list):
        raise ParseError("bilibili search: data.result is not a list")
    videos = [r for r in result if isinstance(r, Mapping) and r.get("type", "video") == "video"]
    return videos, count(data.get("numPages")) or 0


@typed_errors
def _comment_page(body: Mapping[str, Any], aid: int) -> tuple[list[Mapping[str, Any]], str, bool]:
    code = body.get("code")
    if code in (12002, -404, 12009):  # comments closed / video gone: nothing to collect for this video
        return [], "", True
    if code != 0:
        raise ParseError(f"bilibili comments of av{aid}: code {code} ({str(body.get('message', ''))[:80]})")
    data = mapping(body.get("data"))
    cursor = mapping(data.get("cursor"))
    seen: set[str] = set()
    items = []
    for reply in [*(data.get("top_replies") or []), *(data.get("replies") or [])]:
        if isinstance(reply, Mapping) and repr(reply.get("rpid")) not in seen:
            seen.add(repr(reply.get("rpid")))
            items.append(reply)
    next_offset = str(mapping(cursor.get("pagination_reply")).get("next_offset") or "")
    return items, next_offset, bool(cursor.get("is_end", not items))


def _https(url: Any) -> str | None:
    if not isinstance(url, str) or not url:
        return None
    return "https:" + url[5:] if url.startswith("http:") else ("https:" + url if url.startswith("//") else url)


@typed_errors
def video_record(raw: Mapping[str, Any], collected_at: datetime, tracker: str | None = None) -> Record:
    """A search-result item or a `View` detail object -> kind=post."""
    aid = require(raw, "aid")
    if not str(aid).isdigit():
        raise ParseError(f"aid: not a number: {aid!r}")
    owner = mapping(raw.get("owner"))
    stat = mapping(raw.get("stat"))
    bvid = raw.get("bvid")
    url = _https(raw.get("arcurl")) or (f"https://www.bilibili.com/video/{bvid}" if bvid else f"https://www.bilibili.com/video/av{aid}")
    author_id = raw.get("mid", owner.get("mid"))
    return parse_record({
        "source": "bilibili", "id": f"av{aid}", "kind": "post",
        "title": strip_html(raw.get("title")) or None,
        "text": strip_html(raw.get("description", raw.get("desc"))),
        "url": url,
        "published_at": from_unix(raw.get("pubdate", raw.get("senddate")), "pubdate"),
        "collected_at": collected_at,
        "author_id": str(author_id) if author_id not in (None, "") else None,
        "author_name": raw.get("author", owner.get("name")) or None,
        "likes": count(raw.get("like", stat.get("like"))),
        "comments": count(raw.get("review", stat.get("reply"))),
        "shares": count(stat.get("share")),
        "trackers": [tracker] if tracker else [],
    })


@typed_errors
def comment_record(raw: Mapping[str, Any], collected_at: datetime, tracker: str | None = None) -> Record:
    """A reply object -> kind=comment, parent = the replied-to comment or the video (av<oid>)."""
    rpid = require(raw, "rpid")
    oid = require(raw, "oid")
    member = mapping(raw.get("member"))
    content = mapping(raw.get("content"))
    verify_type = mapping(member.get("official_verify")).get("type")  # -1 none, 0 personal, 1 organisation
    if not isinstance(verify_type, int) or isinstance(verify_type, bool):
        verify_type = None
    parent = raw.get("parent")
    location = str(mapping(raw.get("reply_control")).get("location") or "")
    location = re.sub(r"^IP属地[:：]\s*", "", location).strip() or None
    author_id = member.get("mid", raw.get("mid"))
    return parse_record({
        "source": "bilibili", "id": str(rpid), "kind": "comment",
        "text": str(content.get("message") or ""),
        "url": f"https://www.bilibili.com/video/av{oid}#reply{rpid}",
        "published_at": from_unix(raw.get("ctime"), "ctime"),
        "collected_at": collected_at,
        "author_id": str(author_id) if author_id not in (None, "") else None,
        "author_name": member.get("uname") or None,
        "author_verified": None if verify_type is None else verify_type >= 0,
        "author_verified_type": verify_type if verify_type is not None and verify_type >= 0 else None,
        "likes": count(raw.get("like")),
        "comments": count(raw.get("rcount")),
        "parent_id": str(parent) if parent not in (None, 0, "0", "") else f"av{oid}",
        "location": location,
        "trackers": [tracker] if tracker else [],
    })


__all__ = ["BilibiliCollector", "comment_record", "mixin_key", "sign_params", "video_record"]
