"""Weibo files: saved raw responses (m.weibo.cn and weibo.com JSON bodies, the m.weibo.cn detail page and its
`$render_data` saved as JSON, Weibo API v2 JSON, weibo.cn pages), hot-search JSON, and the exports of
weibo-crawler (CSV) and MediaCrawler (JSON/JSONL/CSV).

Saved files carry no collection time: `import --saved-at` gives it, else the file's modification time stands in
(and is what relative dates such as 5分钟前 and year-less ones such as 01月10日 count from; a Weibo id settles
them when it agrees with the page — see sources/weibo_time.py). Each record says which in `time_basis`.
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
from collectors.importers.context import current, warn
from collectors.importers.filerows import (
    convert_each,
    csv_dicts,
    file_time,
    header_columns,
    read_text,
    saved_time,
    table_rows,
)
from collectors.models import InvalidRecord, parse_record
from collectors.sources import weibo_html
from collectors.sources.weibo_parse import (
    SOURCE,
    SaveTime,
    api_v2_page,
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
    render_data_json_status,
    render_data_status,
    search_page_mblogs,
    typed_errors,
    with_retweet,
    without_expand_link,
)
from collectors.trackers import Tracker, load_trackers

_OK_FIELD = re.compile(rb'"ok"\s*:\s*-?\d')
_MID_IN_NAME = re.compile(r"(?<!\d)(\d{16})(?!\d)")
_STAMP_IN_NAME = re.compile(r"(\d{8})T?(\d{4})(\d{2})?Z?")
_V2_ARRAY = re.compile(rb'"(?:statuses|reposts|comments)"\s*:\s*\[')
_V2_ERROR = re.compile(rb'"request"\s*:\s*"/2/')
_RENDER_DATA_JSON = re.compile(rb'^\s*\[\s*\{[^{}]*?"status"\s*:\s*\{')

Convert = Callable[[Any, list[str]], Item]  # one raw item (and a list for time warnings) → an item


def _tracker_id(tracker: Tracker | None) -> str | None:
    return tracker.id if tracker is not None else None


def _save_time(path: Path) -> SaveTime:
    at, basis = saved_time(path)
    return SaveTime(at, basis)


def _convert_rows(rows: Iterable[tuple[str, Any]], convert: Convert) -> Iterator[Item]:
    """Convert rows one by one: a bad row becomes an ImportIssue at its place, a time warning an import note."""
    for where, row in rows:
        if isinstance(row, ImportIssue):
            yield row
            continue
        warnings: list[str] = []
        try:
            item = convert(row, warnings)
        except (ParseError, InvalidRecord) as exc:
            yield ImportIssue(where, str(exc))
            continue
        for message in warnings:
            warn(where, message)
        yield item


def _each(path: Path, items: Iterable[Any], convert: Convert) -> Iterator[Item]:
    """Convert the items of one file; a bad one becomes an ImportIssue at `file[n]`."""
    return _convert_rows(((f"{path.name}[{n}]", item) for n, item in enumerate(items)), convert)


def _posts(path: Path, posts: Iterable[Any], tid: str | None) -> Iterator[Item]:
    saved = _save_time(path)
    return _each(path, posts, lambda m, w: mblog_to_record(m, saved.at, tid, saved, w))


def _is_json(path: Path, head: bytes) -> bool:
    return path.suffix.lower() == ".json" or head.lstrip()[:1] in (b"{", b"[")


def _is_document(path: Path, head: bytes) -> bool:
    """One saved JSON body (not JSON lines, not a 4CAT capture of platform objects)."""
    return _is_json(path, head) and path.suffix.lower() not in (".jsonl", ".ndjson") and b"4CAT_metadata" not in head


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
        (observed, basis), total, trackers = observed_time(path), list_heat(items), load_trackers()

        def convert(item: Mapping[str, Any], _warnings: list[str]) -> Item:
            word = item.get("word")
            ids = match_trackers(word, trackers) if isinstance(word, str) else []
            if tracker is not None and tracker.id not in ids:  # --tracker tags everything imported
                ids.append(tracker.id)
            return hot_item_to_trend(item, observed, f"{self.name}:{path.name}", ids, total, time_basis=basis)

        return _each(path, items, convert)


def observed_time(path: Path) -> tuple[datetime, str]:
    """When a saved hot-search snapshot was taken, and what says so — never the import's own clock:
    `--observed-at`, else a time stamp in the file name (`…20260420T0930Z…`, UTC), else `--saved-at`, else the
    file's modification time."""
    given = current().observed_at
    if given is not None:
        return given.astimezone(UTC), "observed-at"
    m = _STAMP_IN_NAME.search(path.stem)
    if m:
        try:
            stamp = m.group(1) + m.group(2) + (m.group(3) or "00")
            return datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC), "file-name"
        except ValueError:
            pass
    return saved_time(path)


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
        saved = _save_time(path)
        if not isinstance(payload, Mapping):
            raise ParseError("expected a JSON object")
        data = payload.get("data")
        if isinstance(data, Mapping) and "cards" in data:
            return _posts(path, [p for m in search_page_mblogs(payload) for p in with_retweet(m)], tid)
        if isinstance(data, Mapping) and "longTextContent" in data:
            raise ParseError("a longtext body carries no post id or date; import the search page or the detail page "
                             "of that post instead")
        if isinstance(data, list) or isinstance(data, Mapping) and ("data" in data or "comments" in data):
            m = _MID_IN_NAME.search(path.stem)  # hotflow bodies do not name their post; a saved file's name may
            post = m.group(1) if m else None
            return _each(path, comment_page(payload)[0],
                         lambda c, w: comment_to_record(c, saved.at, tid, post_id=post, saved=saved, warnings=w))
        if "created_at" in payload and ("mblogid" in payload or "mid" in payload):
            return _posts(path, with_retweet(payload), tid)
        raise ParseError(f"a Weibo error body, not data: ok={payload.get('ok')!r} msg={str(payload.get('msg'))[:60]!r}")


class WeiboApiV2Importer:
    name = "weibo-api-v2"
    description = ("Saved Weibo API v2 JSON (open API and app API): statuses, reposts or comments arrays "
                   "(comments with their post), or one status; no `ok` key")

    def sniff(self, path: Path, head: bytes) -> bool:
        if not _is_document(path, head) or not head.lstrip().startswith(b"{") or _OK_FIELD.search(head):
            return False
        if b'"error_code"' in head and _V2_ERROR.search(head):
            return True
        has_status = b'"created_at"' in head and (b'"idstr"' in head or b'"mid"' in head)
        return has_status and (_V2_ARRAY.search(head) is not None or b'"user"' in head)

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        return _read_with(path, lambda text: self._items(path, load_json(text, path.name), _tracker_id(tracker)))

    @staticmethod
    def _items(path: Path, payload: Any, tid: str | None) -> Iterator[Item]:
        saved = _save_time(path)
        posts, comments = api_v2_page(payload)
        yield from _posts(path, posts, tid)
        yield from _convert_rows(((f"{path.name}[comments][{n}]", c) for n, c in enumerate(comments)),
                                 lambda c, w: comment_to_record(c, saved.at, tid, saved=saved, warnings=w))


class WeiboRenderDataJsonImporter:
    name = "weibo-render-data"
    description = "The `$render_data` array of an m.weibo.cn detail page saved as JSON ([{\"status\": {…}}])"

    def sniff(self, path: Path, head: bytes) -> bool:
        return _is_document(path, head) and _RENDER_DATA_JSON.search(head) is not None and b'"created_at"' in head

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        tid = _tracker_id(tracker)
        return _read_with(path, lambda text: _posts(path, with_retweet(render_data_json_status(load_json(text, path.name))),
                                                    tid))


class WeiboDetailHtmlImporter:
    name = "weibo-detail-html"
    description = "A saved m.weibo.cn/detail/{mid} page (the post inside `var $render_data`)"

    def sniff(self, path: Path, head: bytes) -> bool:
        return b"$render_data" in head

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        tid = _tracker_id(tracker)
        return _read_with(path, lambda text: _posts(path, with_retweet(render_data_status(text)), tid))


_FORM_USER = re.compile(r'action="/(\d{5,})/profile')


class WeiboCnHtmlImporter:
    name = "weibo-cn-html"
    description = ("A saved weibo.cn page: a user's timeline (/UID/profile), a post's comment list (/comment/BID, "
                   "hot comments included) or repost list (/repost/BID), with the post itself")

    def sniff(self, path: Path, head: bytes) -> bool:
        return b"weibo.cn" in head and (b'id="M_' in head or b'id="C_' in head)

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        return _read_with(path, lambda page: self._items(path, page, _tracker_id(tracker)))

    @staticmethod
    def _items(path: Path, page: str, tid: str | None) -> Iterator[Item]:
        saved = _save_time(path)
        owner = _FORM_USER.search(page) or re.search(r"(\d{5,})", path.stem)
        parsed = weibo_html.weibo_cn_page(page, owner.group(1) if owner else None)
        if parsed.post is not None:
            yield from _convert_rows([(f"{path.name}[post]", parsed.post)],
                                     lambda m, w: mblog_to_record(m, saved.at, tid, saved, w))
        if parsed.kind == "comments":
            post = parsed.post["mid"] if parsed.post else parsed.post_mid
            yield from _each(path, parsed.items,
                             lambda c, w: comment_to_record(c, saved.at, tid, post_id=post, saved=saved, warnings=w))
        else:
            yield from _posts(path, parsed.items, tid)


class WeiboCrawlerCsvImporter:
    name = "weibo-crawler-csv"
    description = "weibo-crawler CSV export (weibo/<screen_name>/<user_id>.csv; reposts add the original post)"

    def sniff(self, path: Path, head: bytes) -> bool:
        cols = header_columns(head)
        return path.suffix.lower() == ".csv" and {"id", "bid", "正文"} <= cols and bool({"日期", "完整日期"} & cols)

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        saved, tid = _save_time(path), _tracker_id(tracker)
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

        yield from _convert_rows(posts(), lambda mblog, w: mblog_to_record(mblog, saved.at, tid, saved, w))


def _crawler_post(row: Mapping[str, str], prefix: str, author: Mapping[str, Any]) -> dict[str, Any]:
    get = lambda key: row.get(prefix + key, "")
    return {"mid": get("id"), "bid": get("bid") or None, "text": get("正文"),
            "created_at": get("完整日期") or get("日期"), "attitudes_count": get("点赞数"),
            "comments_count": get("评论数"), "reposts_count": get("转发数"), "user": dict(author)}


class MediaCrawlerWeiboImporter:
    name = "mediacrawler-weibo"
    description = "MediaCrawler Weibo exports (notes and comments; JSON array, JSONL or CSV)"

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head.decode("utf-8", errors="replace").lower()  # a CSV header may be re-typed in capitals
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
        # MediaCrawler keeps m.weibo.cn's text with its tags cut: a truncated post ends with "...全文"
        "text": html_to_text(row.get("content")) if is_comment else without_expand_link(html_to_text(row.get("content"))),
        "url": f"https://m.weibo.cn/detail/{note}" if is_comment and note else (row.get("note_url") or None),
        "published_at": when, "collected_at": collected,
        "author_id": str(author) if author else None, "author_name": row.get("nickname") or None,
        "likes": parse_count(row.get("comment_like_count") if is_comment else row.get("liked_count")),
        "comments": parse_count(row.get("sub_comment_count") if is_comment else row.get("comments_count")),
        "shares": None if is_comment else parse_count(row.get("shared_count")),
        # parent_comment_id is hotflow's `rootid`, which a top-level comment sets to its own id
        "parent_id": (parent if parent not in ("", "0", ident) else note) if is_comment else None,
        "location": parse_location(row.get("ip_location"), bare_ok=True),
        "trackers": [tracker] if tracker else [],
    }
    return parse_record(data)


for _importer in (WeiboHotSearchImporter(), WeiboDetailHtmlImporter(), WeiboCnHtmlImporter(),
                  WeiboCrawlerCsvImporter(), MediaCrawlerWeiboImporter(), WeiboRenderDataJsonImporter(),
                  WeiboApiV2Importer(), WeiboRawJsonImporter()):
    register(_importer)
