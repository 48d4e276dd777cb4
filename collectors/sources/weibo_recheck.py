"""Rechecking stored Weibo posts: is each still visible, and if not, what does Weibo say happened to it?

`classify_response` is pure: one response body (the m.weibo.cn detail page, or the `statuses/show` JSON)
→ a `Verdict` (status + Weibo's own words). `WeiboRecheck` does the I/O post by post with the Weibo
collectors' plumbing (cookie, pacing, retries, refusals → SourceBlocked); `run_collection` archives each
raw body before it is classified, stores one `visibility` row per post and saves the cursor after it.

What the bodies look like (read in public code and issues; not recorded live by this project):
- a visible post: the detail page's `var $render_data = [{"status": {...}}][0]`, or `{"ok":1,"data":{...}}`;
- Weibo's error page `<title>微博-出错了</title> … <p class="h5-4con">MESSAGE</p>`, MESSAGE e.g.
  "微博不存在或暂无查看权限!" (the generic one), "用户不存在", "由于博主设置，目前内容暂不可见。";
- a tombstone status (weibo_notices) with `deleted: "1"`, `state` 7 (deleted by author) / 8 (removed after complaints), no
  `user`, and the reason as its text ("抱歉，此微博已被作者删除。查看帮助：…", "该账号因被投诉违反法律法规和
  《微博社区公约》的相关规定，现已无法查看。", "抱歉，作者已设置仅展示半年内微博，此微博已不可见。");
- JSON errors `{"ok":0,"errno":"20101","msg":"…"}` (20101: does not exist or no permission; 20003: no such user).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from collectors.base import Page, ParseError, Query, SourceBlocked
from collectors.http import NETWORK_ERRORS, TransientHTTPError
from collectors.secrets import redact_text
from collectors.sources.weibo import (
    DETAIL_URL,
    VISITOR_MARKERS,
    WeiboCollector,
    login_required,
    raise_if_blocked,
    raise_if_json_blocked,
)
from collectors.sources.weibo_notices import (
    MESSAGE_RULES,
    STATE_STATUS,
    classify_message,
    is_deleted_flag,
    is_tombstone,
    plain,
)
from collectors.sources.weibo_parse import RENDER_DATA, bid_to_mid, is_numeric_id
from collectors.visibility import VisibilityCheck

SHOW_URL = "https://m.weibo.cn/statuses/show"
ENDPOINTS = ("detail", "show")
REFUSALS = (401, 403, 418, 432)  # Weibo refusing us (not the post): stop the run, never a status
NETWORK_FAILURES_TO_STOP = 3  # consecutive posts whose check failed on the network: stop instead of marking all unknown


@dataclass(frozen=True)
class Verdict:
    status: str
    reason: str


ERRNO_STATUS = {"20101": "unavailable", "20003": "account_gone"}
_ERROR_TEXT = re.compile(r'<p[^>]*class="[^"]*\bh5-4con\b[^"]*"[^>]*>(.*?)</p>', re.DOTALL | re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.DOTALL | re.IGNORECASE)
_INVISIBLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)


def _clip(text: str, size: int = 200) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= size else text[: size - 1] + "…"


def classify_status(status: Mapping[str, Any], mid: str | None = None) -> Verdict:
    """A status object (`$render_data[0].status` or the JSON `data`): a live post or a tombstone standing in for one."""
    text = plain(status.get("text") or status.get("text_raw") or "")
    state = status.get("state")
    if is_tombstone(status) or not isinstance(status.get("user"), Mapping):
        named = classify_message(text)
        if named:
            return Verdict(named, _clip(text))
        if isinstance(state, int) and state in STATE_STATUS:
            return Verdict(STATE_STATUS[state], f"state {state}: {_clip(text) or '(no text)'}")
        if is_deleted_flag(status.get("deleted")):
            return Verdict("unavailable", f"marked deleted without a reason: {_clip(text) or '(no text)'}")
        return Verdict("unknown", f"status without an author and without a known notice: {_clip(text) or '(no text)'}")
    found = str(status.get("mid") or status.get("idstr") or status.get("id") or "")
    if mid and found and found != mid:
        return Verdict("unknown", f"Weibo answered with another post ({found}) than the one asked for ({mid})")
    return Verdict("visible", "")


def classify_json(data: Any, mid: str | None = None) -> Verdict:
    """`{"ok":1,"data":{status}}`, `{"ok":0,"msg":…,"errno":…}`, or an API v2 `{"error":…,"error_code":…}`."""
    if not isinstance(data, Mapping):
        return Verdict("unknown", f"unrecognised JSON ({type(data).__name__})")
    ok = data.get("ok")
    if ok in (1, "1") and isinstance(data.get("data"), Mapping) and data["data"]:
        return classify_status(data["data"], mid)
    message = next((data[k] for k in ("msg", "errmsg", "error", "message") if isinstance(data.get(k), str) and data[k]), "")
    code = next((str(data[k]) for k in ("errno", "error_code", "errcode") if data.get(k) not in (None, "")), "")
    named = classify_message(message)
    if named:
        return Verdict(named, _clip(message) + (f" (errno {code})" if code else ""))
    if code in ERRNO_STATUS:
        return Verdict(ERRNO_STATUS[code], f"errno {code}" + (f": {_clip(message)}" if message else ""))
    return Verdict("unknown", "unrecognised JSON: " + _clip(json.dumps(data, ensure_ascii=False), 160))


def classify_html(page: str, mid: str | None = None) -> Verdict:
    """The detail page: `$render_data` (a post or a tombstone), or Weibo's error page and its message."""
    found = RENDER_DATA.search(page)
    if found:
        try:
            data = json.loads(found.group(1))
            status = data[0].get("status") if isinstance(data, list) and data and isinstance(data[0], Mapping) else None
        except (ValueError, RecursionError, AttributeError):
            return Verdict("unknown", "detail page: $render_data does not parse")
        if isinstance(status, Mapping) and status:
            return classify_status(status, mid)
        return Verdict("unknown", "detail page: $render_data without a status")
    notice = _ERROR_TEXT.search(page)
    candidates = [plain(notice.group(1))] if notice else []
    candidates.append(plain(_INVISIBLE.sub(" ", page)))
    for text in candidates:
        named = classify_message(text)
        if named:
            return Verdict(named, _clip(text))
    title = _TITLE.search(page)
    said = candidates[0] if notice else (plain(title.group(1)) if title else "")
    return Verdict("unknown", "unrecognised page" + (f": {_clip(said)}" if said else ""))


def classify_response(http_status: int, body: str, mid: str | None = None) -> Verdict:
    """Any answer to a recheck request (refusals are handled before this: they are not statuses of the post)."""
    stripped = body.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            verdict = classify_json(json.loads(stripped), mid)
        except (ValueError, RecursionError):
            verdict = Verdict("unknown", "JSON body does not parse")
    elif stripped:
        verdict = classify_html(body, mid)
    else:
        verdict = Verdict("unknown", "empty body")
    if verdict.status == "unknown" and http_status >= 400:
        return Verdict("unknown", f"HTTP {http_status}; {verdict.reason}")
    return verdict


# ---------------------------------------------------------------- the collector
@dataclass(frozen=True)
class Target:
    """A stored post to recheck, in the run's order (published_at, id)."""

    id: str
    mid: str
    published_at: datetime

    @property
    def key(self) -> list[str]:
        return [self.published_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), self.id]


def make_targets(rows: Sequence[tuple[str, datetime]]) -> tuple[list[Target], list[str]]:
    """(record id, published_at) → targets in a stable order, and the ids that are not Weibo post ids."""
    targets, skipped = [], []
    for rid, published in rows:
        mid = rid if is_numeric_id(rid) else None
        if mid is None:
            try:
                mid = bid_to_mid(rid)
            except ParseError:
                skipped.append(rid)
                continue
        published = published if published.tzinfo else published.replace(tzinfo=UTC)
        targets.append(Target(rid, mid, published))
    targets.sort(key=lambda t: t.key)
    return targets, skipped


def item_to_check(raw: Mapping[str, Any], collected_at: datetime, tracker: str | None = None) -> VisibilityCheck:
    """One wrapped recheck result → a `visibility` row (pure)."""
    if not isinstance(raw, Mapping) or raw.get("type") != "visibility":
        raise ParseError("item: expected a visibility result")
    try:
        return VisibilityCheck.model_validate({k: raw.get(k) for k in VisibilityCheck.model_fields if k in raw})
    except ValueError as exc:
        raise ParseError(f"visibility: {str(exc).splitlines()[0]}") from None


class WeiboRecheck(WeiboCollector):
    """Re-fetch stored posts one by one (detail page or statuses/show) and record what became of each."""

    name: ClassVar[str] = "weibo-recheck"
    description: ClassVar[str] = "recheck stored Weibo posts: visible, deleted, removed, restricted, account gone"
    needs_terms = False

    def __init__(self, client: httpx.Client, targets: Sequence[Target] = (), *, via: str = "detail",
                 **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        if via not in ENDPOINTS:
            raise ValueError(f"via must be one of {ENDPOINTS}, not {via!r}")
        self.targets = list(targets)
        self.via = via
        self.counts: Counter[str] = Counter()

    to_record = staticmethod(item_to_check)

    def queries_for(self, tracker: Any) -> tuple[str, ...]:
        return ()

    def fetch(self, query: Query, cursor: dict[str, Any] | None = None) -> Iterator[Page]:
        after = (cursor or {}).get("after")
        todo = [t for t in self.targets if after is None or t.key > list(after)]
        if cursor and not todo:  # the saved pass has nothing left (its posts are gone from the store): start anew
            todo = list(self.targets)
        failures = 0
        for n, target in enumerate(todo):
            item, raw, meta = self.check(target)
            failures = failures + 1 if meta.get("network_error") else 0
            self.counts[item["status"]] += 1
            last = n == len(todo) - 1
            yield Page(items=[item], raw=raw, meta=meta, cursor=None if last else {"after": target.key})
            if failures >= NETWORK_FAILURES_TO_STOP and not last:
                raise SourceBlocked(f"the network failed on {failures} posts in a row ({meta['network_error']})",
                                    "Check the connection, then re-run the same command: it resumes after the last "
                                    "post checked.")

    def check(self, target: Target) -> tuple[dict[str, Any], str, dict[str, Any]]:
        """One post: (the wrapped result, the raw body to archive, archive metadata). Refusals raise SourceBlocked."""
        if self.via == "show":
            url, params = SHOW_URL, {"id": target.mid}
            headers = {"Accept": "application/json, text/plain, */*", "X-Requested-With": "XMLHttpRequest",
                       "MWeibo-Pwa": "1", "Referer": DETAIL_URL.format(mid=target.mid)}
        else:
            url, params = DETAIL_URL.format(mid=target.mid), {}
            headers = {"Accept": "text/html", "Referer": "https://m.weibo.cn/"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        endpoint = url + (f"?id={target.mid}" if params else "")
        base = {"type": "visibility", "source": "weibo", "id": target.id, "endpoint": endpoint}
        try:
            response = self.request("GET", self._url(url), params=params, headers=headers, check=_check_whole)
        except (TransientHTTPError, *NETWORK_ERRORS) as exc:
            reason = f"network: {type(exc).__name__}: {_clip(redact_text(str(exc)), 160)}"
            item = {**base, "checked_at": datetime.now(UTC).isoformat(), "status": "unknown", "reason": reason,
                    "http_status": getattr(getattr(exc, "response", None), "status_code", None)}
            return item, "", {"url": endpoint, "kind": "recheck", "mid": target.mid, "network_error": reason}
        checked = datetime.now(UTC)
        verdict = classify_response(response.status_code, response.text, target.mid)
        item = {**base, "checked_at": checked.isoformat(), "status": verdict.status, "reason": verdict.reason,
                "http_status": response.status_code}
        meta = {"url": str(response.url), "status": response.status_code, "kind": "recheck", "mid": target.mid,
                "verdict": verdict.status}
        return item, response.text, meta


def _check_whole(response: httpx.Response) -> None:
    """Inside the retry loop: refusals stop the run; a body cut short is fetched again; anything else is classified."""
    if response.status_code in REFUSALS or response.status_code < 400:
        raise_if_blocked(response)  # login redirect, 432/418/401/403, empty body → SourceBlocked
    if any(marker in response.content for marker in VISITOR_MARKERS):  # not a status of the post: log in again
        raise login_required(response, "Weibo answered its visitor page (Sina Visitor System)")
    body = response.content.lstrip()
    if body[:1] in (b"{", b"["):
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            raise TransientHTTPError(response, "JSON body cut short") from None
        raise_if_json_blocked(data)  # captcha (ok:-100), "please log in"
        return
    if response.status_code < 400 and b"</html>" not in response.content[-2048:].lower():
        raise TransientHTTPError(response, "HTML page cut short")
    if b"$render_data" in response.content and not _render_data_parses(response.text):
        raise TransientHTTPError(response, "detail page cut short ($render_data incomplete)")


def _render_data_parses(page: str) -> bool:
    found = RENDER_DATA.search(page)
    if not found:
        return False
    try:
        json.loads(found.group(1))
    except (ValueError, RecursionError):
        return False
    return True


__all__ = ["ENDPOINTS", "MESSAGE_RULES", "SHOW_URL", "Target", "Verdict", "WeiboRecheck", "classify_html",
           "classify_json", "classify_message", "classify_response", "classify_status", "item_to_check",
           "make_targets"]
