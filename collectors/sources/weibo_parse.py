"""Pure parsing of Weibo shapes: counts, HTML text, ids, and one raw post/comment/trend → the data model.

Dates and the time encoded in ids live in weibo_time. Shapes: m.weibo.cn JSON (getIndex cards, hotflow,
comments/show, the detail page's `$render_data`), weibo.com ajax JSON, Weibo API v2 JSON (open and app API:
`statuses`/`reposts`/`comments` arrays, no `ok` key) and the weibo.cn pages (weibo_html).

Everything here is I/O-free and raises only ParseError or InvalidRecord, whatever the input
(see tests/test_weibo_properties.py). Field notes: ../shared/docs/sources.md §2 "Weibo".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from collectors.base import ParseError
from collectors.hot_search import topic_url
from collectors.models import InvalidRecord, Record, TrendObservation, parse_record
from collectors.parsing import html_to_text, parse_count, typed_errors
from collectors.sources.weibo_notices import is_tombstone
from collectors.sources.weibo_time import (  # noqa: F401 (re-exported: the Weibo parsing API in one place)
    BEIJING,
    SaveTime,
    mid_time,
    parse_created_at,
    resolve_created_at,
)

SOURCE = "weibo"
EXPAND_LINKS = ("全文", "展开")


# ---------------------------------------------------------------- locations
_LOCATION_PREFIX = re.compile(r"^(?:发布于|IP属地[：:]?|来自)\s*")
_CLIENT_WORDS = ("客户端", "iPhone", "Android", "微博", "网页", "HUAWEI", "Redmi", "OPPO", "vivo", "iPad", "Mac")


def parse_location(value: Any, bare_ok: bool = False) -> str | None:
    """"发布于 北京" / "IP属地：北京" / "来自 陕西" → "北京"/"陕西"; a client name ("来自iPhone客户端") → None.

    Without a prefix the value is taken as a place only when `bare_ok` (export columns such as `ip_location`).
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    m = _LOCATION_PREFIX.match(text)
    if not m and not bare_ok:
        return None
    rest = text[m.end():].strip() if m else text
    if not rest or len(rest) > 16 or _looks_like_client(rest):
        return None
    return rest


def _looks_like_client(text: str) -> bool:
    return any(word.lower() in text.lower() for word in _CLIENT_WORDS)


def parse_verified_type(value: Any) -> int | None:
    """`user.verified_type` as an int (-1 none, 0 personal, 1–7 organisations, 200/220 influencers, …)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ParseError(f"verified_type: not a number ({value!r})")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,4}", value.strip()):
        return int(value)
    raise ParseError(f"verified_type: not a number ({value!r})")


# ---------------------------------------------------------------- ids
BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@typed_errors
def bid_to_mid(bid: str) -> str:
    """Base62 short id used in URLs ("P2OlqeXKM") → numeric mid: 4-char groups from the right, 7 digits each."""
    if not bid or not all(c in BASE62 for c in bid):
        raise ParseError(f"bid: not a base62 id ({bid[:20]!r})")
    groups = [bid[max(0, end - 4):end] for end in range(len(bid), 0, -4)][::-1]
    digits = []
    for n, group in enumerate(groups):
        number = 0
        for char in group:
            number = number * 62 + BASE62.index(char)
        digits.append(str(number) if n == 0 else str(number).zfill(7))
    return "".join(digits).lstrip("0") or "0"


@typed_errors
def mid_to_bid(mid: str) -> str:
    """Inverse of bid_to_mid."""
    if not is_numeric_id(mid):
        raise ParseError(f"mid: not numeric ({mid[:20]!r})")
    chunks = [mid[max(0, end - 7):end] for end in range(len(mid), 0, -7)][::-1]
    out = []
    for n, chunk in enumerate(chunks):
        number, code = int(chunk), ""
        while number:
            number, rem = divmod(number, 62)
            code = BASE62[rem] + code
        out.append(code if n == 0 else code.rjust(4, "0"))
    return "".join(out) or "0"


def is_numeric_id(value: str) -> bool:
    """ASCII digits only (str.isdigit also accepts "²" and other scripts' digits)."""
    return value.isascii() and value.isdigit()


def _id_of(obj: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = obj.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and value > 0:
            return str(value)
        if isinstance(value, str) and is_numeric_id(value.strip()):
            return value.strip()
    raise ParseError(f"{'/'.join(keys)}: missing or not a numeric id")


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ParseError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def _str_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | str):
        return str(value).strip() or None
    raise ParseError(f"expected text, got {type(value).__name__}")


# ---------------------------------------------------------------- mapping
def _author(user: Mapping[str, Any]) -> dict[str, Any]:
    verified = user.get("verified")
    followers = user.get("followers_count")
    if followers in (None, "") and "followers_count_str" in user:
        followers = user.get("followers_count_str")
    return {
        "author_id": _str_or_none(user.get("id") if user.get("id") is not None else user.get("idstr")),
        "author_name": _str_or_none(user.get("screen_name")),
        "author_verified": verified if isinstance(verified, bool) else None,
        "author_verified_type": parse_verified_type(user.get("verified_type")),
        "author_followers": parse_count(followers),
    }


def _published(value: Any, ident: str, saved: SaveTime, warnings: list[str] | None) -> dict[str, Any]:
    """published_at and time_basis from a page date and the item's id; a disagreement goes to `warnings`."""
    resolved = resolve_created_at(value, ident, saved)
    if resolved.warning and warnings is not None:
        warnings.append(resolved.warning)
    return {"published_at": resolved.when, "time_basis": resolved.basis}


@typed_errors
def mblog_to_record(mblog: Any, collected_at: datetime, tracker: str | None = None,
                    saved: SaveTime | None = None, warnings: list[str] | None = None) -> Record:
    """One Weibo status (m.weibo.cn `mblog`, detail `status`, ajax or API v2 status, weibo.cn page item) → Record.

    Relative and year-less dates count from `saved` (default: `collected_at`, as in a live collection).
    """
    post = _mapping(mblog, "mblog")
    if not post:
        raise ParseError("mblog: empty")
    mid = _id_of(post, "mid", "idstr", "id")
    long_text = _mapping(post.get("longText"), "longText").get("longTextContent")
    raw_text = long_text or post.get("text") or post.get("text_raw") or ""
    user = _mapping(post.get("user"), "mblog.user")
    retweeted = post.get("retweeted_status")
    parent_id = _id_of(_mapping(retweeted, "retweeted_status"), "mid", "idstr", "id") if retweeted else None
    parent_id = parent_id or _str_or_none(post.get("parent_mid"))
    bid = _str_or_none(post.get("bid") or post.get("mblogid"))
    author = _author(user)
    url = f"https://weibo.com/{author['author_id']}/{bid}" if author["author_id"] and bid else f"https://m.weibo.cn/detail/{mid}"
    text = html_to_text(raw_text)
    text = without_expand_link(text, truncated=post.get("isLongText") is True and not long_text)
    return parse_record({
        "source": SOURCE, "id": mid, "kind": "repost" if parent_id else "post",
        "text": text, "url": url,
        **_published(post.get("created_at"), mid, saved or SaveTime(collected_at), warnings),
        "collected_at": collected_at, **author,
        "likes": parse_count(post.get("attitudes_count")),
        "comments": parse_count(post.get("comments_count")),
        "shares": parse_count(post.get("reposts_count")),
        "parent_id": parent_id,
        "location": parse_location(post.get("region_name") or post.get("ip_location")),
        "trackers": [tracker] if tracker else [],
    })


def without_expand_link(text: str, truncated: bool = False) -> str:
    """A truncated post's text without its link to the rest (m.weibo.cn "…全文", weibo.com "…展开"): when the
    post says it is `truncated`, or when the link follows an ellipsis (an export that kept the text, not the flag)."""
    if text.endswith(EXPAND_LINKS) and (truncated or text[:-2].endswith(("...", "…"))):
        return text[:-2].rstrip()
    return text


@typed_errors
def comment_to_record(comment: Any, collected_at: datetime, tracker: str | None = None, post_id: str | None = None,
                      saved: SaveTime | None = None, warnings: list[str] | None = None) -> Record:
    """One comment (hotflow, comments/show, buildComments, API v2, weibo.cn page item) → Record (kind=comment).

    `parent_id` is the thread's root comment for a reply (API v2 without a root: the comment replied to), else
    the post: `post_id`, or the post the comment carries (`status` in API v2).
    """
    item = _mapping(comment, "comment")
    if not item:
        raise ParseError("comment: empty")
    cid = _id_of(item, "idstr", "id")
    root = item.get("rootidstr") or item.get("rootid")
    root_id = _str_or_none(root) if root not in (None, 0, "0") else None
    if root_id is None and isinstance(item.get("reply_comment"), Mapping) and item["reply_comment"]:
        root_id = _id_of(item["reply_comment"], "idstr", "id")
    status = _mapping(item.get("status"), "comment.status")
    post = _str_or_none(post_id or item.get("post_id")) or (_id_of(status, "mid", "idstr", "id") if status else None)
    parent = root_id if root_id and root_id != cid else post
    likes = item.get("like_count") if item.get("like_count") is not None else item.get("like_counts")
    return parse_record({
        "source": SOURCE, "id": cid, "kind": "comment",
        "text": html_to_text(item.get("text") or item.get("text_raw") or ""),
        "url": f"https://m.weibo.cn/detail/{post}" if post else None,
        **_published(item.get("created_at"), cid, saved or SaveTime(collected_at), warnings),
        "collected_at": collected_at, **_author(_mapping(item.get("user"), "comment.user")),
        "likes": parse_count(likes),
        "comments": parse_count(item.get("total_number")),
        "parent_id": parent,
        "location": parse_location(item.get("source") or item.get("ip_location")),
        "trackers": [tracker] if tracker else [],
    })


_HOT_STATUS = {"新": "new", "热": "hot", "沸": "hot", "爆": "hot"}


@typed_errors
def hot_item_to_trend(item: Any, observed_at: datetime, snapshot: str, trackers: Sequence[str] = (),
                      list_heat: int | None = None, time_basis: str | None = None) -> TrendObservation:
    """One hot-search entry (`data.realtime[]` of ajax/side/hotSearch) → TrendObservation with rank and heat."""
    entry = _mapping(item, "hot-search item")
    word = entry.get("word") if entry.get("word") is not None else entry.get("note")
    if not isinstance(word, str) or not word.strip():
        raise ParseError("word: missing topic text")
    topic = word.strip()
    rank = entry.get("realpos")
    if rank in (None, "") and isinstance(entry.get("rank"), int) and not isinstance(entry.get("rank"), bool):
        rank = entry["rank"] + 1  # `rank` is 0-based, `realpos` 1-based
    rank = parse_count(rank)
    label = entry.get("label_name") or entry.get("icon_desc") or ""
    try:
        return TrendObservation(
            source=SOURCE, topic=topic, observed_at=observed_at, heat=parse_count(entry.get("num")),
            rank=rank if rank else None, status=_HOT_STATUS.get(label) if isinstance(label, str) else None,
            url=topic_url(topic), snapshot=snapshot, list_heat=list_heat, trackers=list(trackers),
            time_basis=time_basis,
        )
    except ValueError as exc:  # pydantic ValidationError
        raise InvalidRecord(f"hot-search item: {exc}") from None


def list_heat(items: Sequence[Mapping[str, Any]]) -> int | None:
    """The whole snapshot's heat (sum of its topics' `num`), or None when a heat is missing or unreadable."""
    try:
        heats = [parse_count(i.get("num")) for i in items]
    except ParseError:
        return None
    return sum(h for h in heats if h is not None) if heats and None not in heats else None


# ---------------------------------------------------------------- page shapes
def load_json(body: str | bytes, what: str) -> Any:
    """JSON or a ParseError saying the body was truncated/not JSON (the caller decides whether to retry)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"{what}: response is not complete JSON ({str(exc)[:80]})") from None


@typed_errors
def search_page_mblogs(payload: Any) -> list[Mapping[str, Any]]:
    """The posts of a getIndex search page: `card_type 9` cards, top level or inside `card_group`s."""
    data = _mapping(_mapping(payload, "page").get("data"), "data")
    cards = data.get("cards") or []
    if not isinstance(cards, list):
        raise ParseError("data.cards: expected a list")
    found: list[Mapping[str, Any]] = []
    for card in cards:
        card = _mapping(card, "card")
        group = card.get("card_group")
        for sub in (group if isinstance(group, list) else [card]):
            sub = _mapping(sub, "card")
            if sub.get("card_type") == 9 and isinstance(sub.get("mblog"), Mapping):
                found.append(sub["mblog"])
    return found


def with_retweet(mblog: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A post, preceded by the original it reposts (so `parent_id` points at a stored record). A post that is gone
    is left out: Weibo's notice in its place is no post, and stored it would replace a copy collected while it lived."""
    if is_tombstone(mblog):
        return []
    original = mblog.get("retweeted_status")
    if isinstance(original, Mapping) and original and not is_tombstone(original):
        return [original, mblog]
    return [mblog]


@typed_errors
def comment_page(payload: Any) -> tuple[list[Mapping[str, Any]], int, int]:
    """Comments and (max_id, max_id_type) of a hotflow / buildComments / comments/show page; max_id 0 = end."""
    body = _mapping(payload, "page")
    data = body.get("data")
    if isinstance(data, list):  # buildComments: data is the list, max_id beside it
        items, max_id, max_type = data, body.get("max_id", 0), body.get("max_id_type", 0)
    else:
        data = _mapping(data, "data")
        items = data.get("data") or data.get("comments") or []
        max_id, max_type = data.get("max_id", 0), data.get("max_id_type", 0)
    if not isinstance(items, list):
        raise ParseError("data.data: expected a list of comments")
    flat: list[Mapping[str, Any]] = []
    for item in items:
        item = _mapping(item, "comment")
        flat.append(item)
        replies = item.get("comments")
        if isinstance(replies, list):  # inline replies (hotflow); `comments: false` when none
            flat.extend(_mapping(r, "reply") for r in replies)
    return flat, int(parse_count(max_id) or 0), int(parse_count(max_type) or 0)


RENDER_DATA = re.compile(r"\$render_data\s*=\s*(\[.*?\])\s*\[0\]", re.DOTALL)


@typed_errors
def render_data_status(page_html: str) -> Mapping[str, Any]:
    """The `status` inside an m.weibo.cn detail page's `var $render_data = [...][0] || {};`."""
    m = RENDER_DATA.search(page_html)
    if not m:
        raise ParseError("detail page: no $render_data (login page, deleted post or changed layout)")
    return render_data_json_status(load_json(m.group(1), "$render_data"))


@typed_errors
def render_data_json_status(data: Any) -> Mapping[str, Any]:
    """The `status` of a `$render_data` array (`[{"status": {…, "user": {…}}, "call": …}]`) saved as JSON."""
    first = data[0] if isinstance(data, list) and data else data if isinstance(data, Mapping) else {}
    status = _mapping(first, "$render_data[0]").get("status")
    if not isinstance(status, Mapping) or not status:
        raise ParseError("$render_data has no status (a deleted post or a changed layout)")
    if is_tombstone(status):
        raise ParseError(f"$render_data holds Weibo's notice for a post that is gone, not the post: "
                         f"{html_to_text(status.get('text') or '')[:60]!r}")
    return status


# ---------------------------------------------------------------- Weibo API v2 (open API and app API)
V2_ARRAYS = ("statuses", "reposts", "comments")


@typed_errors
def api_v2_page(payload: Any) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """(posts, comments) of a Weibo API v2 body, each id once, an original before the reposts of it.

    Bodies: `statuses` (timelines, search), `reposts` (repost_timeline; each with its `retweeted_status`),
    `comments` (comments/show; each with the post it is on in `status`), or one status (statuses/show).
    Page fields (`total_number`, `next_cursor`, `previous_cursor`, `hasvisible`) are not records. v2 bodies have
    no `ok` key; an error body is `{"error", "error_code", "request"}`.
    """
    body = _mapping(payload, "API v2 body")
    if "error_code" in body and not any(k in body for k in V2_ARRAYS):
        raise ParseError(f"a Weibo API error body, not data: error_code={body.get('error_code')!r} "
                         f"error={str(body.get('error'))[:60]!r}")
    posts: list[Mapping[str, Any]] = []
    comments: list[Mapping[str, Any]] = []
    if not any(k in body for k in V2_ARRAYS):
        if "created_at" not in body:
            raise ParseError("not an API v2 body: no statuses, reposts or comments and no status")
        posts.extend(with_retweet(body))
    for key in ("statuses", "reposts"):
        items = body.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            raise ParseError(f"{key}: expected a list")
        posts.extend(p for item in items for p in with_retweet(_mapping(item, key[:-1])))
    items = body.get("comments")
    if items is not None:
        if not isinstance(items, list):
            raise ParseError("comments: expected a list")
        for item in items:
            item = _mapping(item, "comment")
            status = item.get("status")
            if isinstance(status, Mapping) and status:
                posts.extend(with_retweet(status))
            comments.append(item)
    return unique_by_id(posts, ("mid", "idstr", "id")), unique_by_id(comments, ("idstr", "id"))


def unique_by_id(items: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> list[Mapping[str, Any]]:
    """The items in order, each id once (the first copy kept); items without a readable id are kept as they are."""
    seen: set[str] = set()
    out: list[Mapping[str, Any]] = []
    for item in items:
        try:
            ident = _id_of(item, *keys) if isinstance(item, Mapping) else None
        except ParseError:
            ident = None
        if ident is not None:
            if ident in seen:
                continue
            seen.add(ident)
        out.append(item)
    return out


@typed_errors
def hot_search_items(payload: Any) -> list[Mapping[str, Any]]:
    """`data.realtime[]` of the hot-search API, without ads (`is_ad`, icon_desc 荐). The list always holds about 50
    topics: an empty one is the endpoint broken, not a snapshot of nothing."""
    data = _mapping(_mapping(payload, "hot search").get("data"), "data")
    items = data.get("realtime")
    if not isinstance(items, list):
        raise ParseError("data.realtime: missing (not a hot-search response)")
    if not items:
        raise ParseError("data.realtime: the hot-search list came back empty (the endpoint is down or has changed)")
    return [i for i in (_mapping(x, "realtime item") for x in items) if not i.get("is_ad") and i.get("icon_desc") != "荐"]
