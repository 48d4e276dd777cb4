"""Weibo files: saved raw responses (JSON bodies, the m.weibo.cn detail page, weibo.cn pages), hot-search JSON,
and the exports of weibo-crawler (CSV) and MediaCrawler (JSON/JSONL/CSV).

Saved files carry no collection time, so the file's modification time stands in for it (and is the
"now" that relative dates such as 5分钟前 count back from).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collectors.base import ParseError
from collectors.hot_search import match_trackers
from collectors.importers import ImportIssue, Item, register
from collectors.importers.filerows import (
    convert_each,
    csv_dicts,
    file_time,
    header_columns,
    read_text,
    table_rows,
)
from collectors.models import parse_record
from collectors.sources import weibo_html
from collectors.sources.weibo_parse import (
    SOURCE,
    bid_to_mid,
    comment_page,
    comment_to_record,
    hot_item_to_trend,
    hot_search_items,
    html_to_text,
    is_numeric_id,
    list_heat,
    load_json,
    mblog_to_record,
    parse_count,
    parse_created_at,
    parse_location,
    render_data_status,
    search_page_mblogs,
    typed_errors,
    with_retweet,
)
from collectors.trackers import Tracker, load_trackers

_OK_FIELD = re.compile(rb'"ok"\s*:\s*-?\d')
_MID_IN_NAME = re.compile(r"(?<!\d)(\d{16})(?!\d)")
_STAMP_IN_NAME = re.compile(r"(\d{8})T?(\d{4})(\d{2})?Z?")


def _tracker_id(tracker: Tracker | None) -> str | None:
    return tracker.id if tracker is not None else None


def _each(path: Path, items: Iterable[Any], convert: Callable[[Any], Item]) -> Iterator[Item]:
    """Convert the items of one file; a bad one becomes an ImportIssue at `file[n]`."""
    return convert_each(((f"{path.name}[{n}]", item) for n, item in enumerate(items)), convert)


def _is_json(path: Path, head: bytes) -> bool:
    return path.suffix.lower() == ".json" or head.lstrip()[:1] in (b"{", b"[")


def _read_with(path: Path, parse: Callable[[str], Iterable[Item]]) -> Iterator[Item]:
    """The file as text through `parse`; an unreadable file or a file-level ParseError becomes one ImportIssue."""
    text = read_text(path)
    if isinstance(text, ImportIssue):
        yield text
        return
    try:
        yield from parse(text)
    except ParseError as exc:
        yield ImportIssue(path.name, str(exc))


class WeiboHotSearchImporter:
    name = "weibo-hot-search"
    description = "Weibo hot-search API JSON (ajax/side/hotSearch: data.realtime); time from the file name or mtime"

    def sniff(self, path: Path, head: bytes) -> bool:
        return _is_json(path, head) and b'"realtime"' in head and b'"word"' in head

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        return _read_with(path, lambda text: self._trends(path, hot_search_items(load_json(text, path.name)), tracker))

    def _trends(self, path: Path, items: list[Mapping[str, Any]], tracker: Tracker | None) -> Iterator[Item]:
        observed, total, trackers = _observed_at(path), list_heat(items), load_trackers()

        def convert(item: Mapping[str, Any]) -> Item:
            word = item.get("word")
            ids = match_trackers(word, trackers) if isinstance(word, str) else []
            if tracker is not None and tracker.id not in ids:  # --tracker tags everything imported
                ids.append(tracker.id)
            return hot_item_to_trend(item, observed, f"{self.name}:{path.name}", ids, total)

        return _each(path, items, convert)


def _observed_at(path: Path) -> datetime:
    m = _STAMP_IN_NAME.search(path.stem)
    if m:
        try:
            return datetime.strptime(m.group(1) + m.group(2) + (m.group(3) or "00"), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            pass
    return file_time(path)


class WeiboRawJsonImporter:
    name = "weibo-json"
    description = ("Saved Weibo JSON bodies: m.weibo.cn search (getIndex cards), comments (hotflow, comments/show, "
                   "ajax buildComments), a single status (ajax statuses/show)")

    def sniff(self, path: Path, head: bytes) -> bool:
        if not _is_json(path, head) or not head.lstrip().startswith(b"{"):
            return False
        markers = (b'"cards"', b'"max_id"', b'"longTextContent"', b'"mblogid"', b'"mblog"', b'"msg"', b'"errno"')
        weibo_ok = _OK_FIELD.search(head) is not None  # Weibo bodies carry a numeric `ok` (1, 0, -100)
        return weibo_ok and any(m in head for m in markers) or (b'"mblogid"' in head and b'"created_at"' in head)

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        return _read_with(path, lambda text: self._items(path, load_json(text, path.name), _tracker_id(tracker)))

    @staticmethod
    def _items(path: Path, payload: Any, tid: str | None) -> Iterator[Item]:
        collected = file_time(path)
        if not isinstance(payload, Mapping):
            raise ParseError("expected a JSON object")
        data = payload.get("data")
        if isinstance(data, Mapping) and "cards" in data:
            posts = [p for m in search_page_mblogs(payload) for p in with_retweet(m)]
            return _each(path, posts, lambda m: mblog_to_record(m, collected, tid))
        if isinstance(data, Mapping) and "longTextContent" in data:
            raise ParseError("a longtext body carries no post id or date; import the search page or the detail page "
                             "of that post instead")
        if isinstance(data, list) or isinstance(data, Mapping) and ("data" in data or "comments" in data):
            m = _MID_IN_NAME.search(path.stem)  # hotflow bodies do not name their post; a saved file's name may
            post = m.group(1) if m else None
            return _each(path, comment_page(payload)[0], lambda c: comment_to_record(c, collected, tid, post_id=post))
        if "created_at" in payload and ("mblogid" in payload or "mid" in payload):
            return _each(path, with_retweet(payload), lambda m: mblog_to_record(m, collected, tid))
        raise ParseError(f"a Weibo error body, not data: ok={payload.get('ok')!r} msg={str(payload.get('msg'))[:60]!r}")


class WeiboDetailHtmlImporter:
    name = "weibo-detail-html"
    description = "A saved m.weibo.cn/detail/{mid} page (the post inside `var $render_data`)"

    def sniff(self, path: Path, head: bytes) -> bool:
        return b"$render_data" in head

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        collected, tid = file_time(path), _tracker_id(tracker)
        return _read_with(path, lambda text: _each(path, with_retweet(render_data_status(text)),
                                                   lambda m: mblog_to_record(m, collected, tid)))


_FORM_USER = re.compile(r'action="/(\d{5,})/profile')
_FORM_POST = re.compile(r'action="/comment/([0-9A-Za-z]{6,12})')


class WeiboCnHtmlImporter:
    name = "weibo-cn-html"
    description = "A saved weibo.cn page: a user's timeline (/UID/profile) or a post's comment list (/comment/BID)"

    def sniff(self, path: Path, head: bytes) -> bool:
        return b"weibo.cn" in head and (b'id="M_' in head or b'id="C_' in head)

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        return _read_with(path, lambda page: self._items(path, page, _tracker_id(tracker)))

    @staticmethod
    def _items(path: Path, page: str, tid: str | None) -> Iterator[Item]:
        collected = file_time(path)
        if 'id="C_' in page:
            post_bid = _FORM_POST.search(page)
            post = bid_to_mid(post_bid.group(1)) if post_bid else None
            items = weibo_html.comment_list_page(page).items
            return _each(path, items, lambda c: comment_to_record(c, collected, tid, post_id=post))
        owner = _FORM_USER.search(page) or re.search(r"(\d{5,})", path.stem)
        items = weibo_html.timeline_page(page, owner.group(1) if owner else None).items
        return _each(path, items, lambda m: mblog_to_record(m, collected, tid))


class WeiboCrawlerCsvImporter:
    name = "weibo-crawler-csv"
    description = "weibo-crawler CSV export (weibo/<screen_name>/<user_id>.csv; reposts add the original post)"

    def sniff(self, path: Path, head: bytes) -> bool:
        cols = header_columns(head)
        return path.suffix.lower() == ".csv" and {"id", "bid", "正文"} <= cols and bool({"日期", "完整日期"} & cols)

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        collected, tid = file_time(path), _tracker_id(tracker)
        author = {"id": path.stem if is_numeric_id(path.stem) else None, "screen_name": path.parent.name or None}

        def posts() -> Iterator[tuple[str, Any]]:
            for where, row in csv_dicts(path):
                if isinstance(row, ImportIssue):
                    yield where, row
                    continue
                post = _crawler_post(row, "", author)
                if row.get("是否原创", "").lower() == "false" and row.get("源微博id"):
                    source_author = {"id": row.get("源用户id") or None, "screen_name": row.get("源用户昵称") or None}
                    post["retweeted_status"] = _crawler_post(row, "源微博", source_author)
                yield from ((where, mblog) for mblog in with_retweet(post))

        yield from convert_each(posts(), lambda mblog: mblog_to_record(mblog, collected, tid))


def _crawler_post(row: Mapping[str, str], prefix: str, author: Mapping[str, Any]) -> dict[str, Any]:
    get = lambda key: row.get(prefix + key, "")
    return {"mid": get("id"), "bid": get("bid") or None, "text": get("正文"),
            "created_at": get("完整日期") or get("日期"), "attitudes_count": get("点赞数"),
            "comments_count": get("评论数"), "reposts_count": get("转发数"), "user": dict(author)}


class MediaCrawlerWeiboImporter:
    name = "mediacrawler-weibo"
    description = "MediaCrawler Weibo exports (notes and comments; JSON array, JSONL or CSV)"

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head.decode("utf-8", errors="replace")
        is_weibo = "weibo" in str(path).lower() or "m.weibo.cn" in text or '"comment_like_count"' in text \
            or "comment_like_count" in text.split("\n", 1)[0]
        return is_weibo and "note_id" in text and ("create_time" in text) and (
            path.suffix.lower() in (".json", ".jsonl", ".csv"))

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        collected, tid = file_time(path), _tracker_id(tracker)
        yield from convert_each(table_rows(path), lambda row: _mediacrawler_record(row, collected, tid))


@typed_errors
def _mediacrawler_record(row: Any, collected: datetime, tracker: str | None) -> Any:
    if not isinstance(row, Mapping):
        raise ParseError("expected an object per row")
    is_comment = bool(row.get("comment_id"))
    ident = str(row.get("comment_id") or row.get("note_id") or "").strip()
    if not is_numeric_id(ident):
        raise ParseError("note_id/comment_id: missing or not numeric")
    created = row.get("create_time")
    created = int(created) if isinstance(created, str) and is_numeric_id(created) else created
    when = parse_created_at(created if created not in (None, "") else row.get("create_date_time"), collected)
    author = row.get("user_id") or row.get("creator_hash")  # the teaching edition hashes user ids
    note = str(row.get("note_id") or "").strip() or None
    parent = str(row.get("parent_comment_id") or "").strip()
    data = {
        "source": SOURCE, "id": ident, "kind": "comment" if is_comment else "post",
        "text": html_to_text(row.get("content")),
        "url": f"https://m.weibo.cn/detail/{note}" if is_comment and note else (row.get("note_url") or None),
        "published_at": when, "collected_at": collected,
        "author_id": str(author) if author else None, "author_name": row.get("nickname") or None,
        "likes": parse_count(row.get("comment_like_count") if is_comment else row.get("liked_count")),
        "comments": parse_count(row.get("sub_comment_count") if is_comment else row.get("comments_count")),
        "shares": None if is_comment else parse_count(row.get("shared_count")),
        "parent_id": (parent if parent not in ("", "0") else note) if is_comment else None,
        "location": parse_location(row.get("ip_location"), bare_ok=True),
        "trackers": [tracker] if tracker else [],
    }
    return parse_record(data)


for _importer in (WeiboHotSearchImporter(), WeiboDetailHtmlImporter(), WeiboCnHtmlImporter(),
                  WeiboCrawlerCsvImporter(), MediaCrawlerWeiboImporter(), WeiboRawJsonImporter()):
    register(_importer)
