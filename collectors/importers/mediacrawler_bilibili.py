"""MediaCrawler Bilibili exports: videos (`search_contents_*`) and comments (`search_comments_*`) as JSON, JSONL or CSV.

MediaCrawler is licensed for non-commercial learning use only; this reads its output files, it copies none
of its code. The current "teaching edition" writes `creator_hash` instead of `user_id` and masks nicknames;
both are accepted as they are.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from collectors.base import ParseError
from collectors.importers import Item, register
from collectors.importers.filerows import convert_each, file_time, first_json_keys, header_columns, table_rows
from collectors.models import Record, parse_record
from collectors.parsing import typed_errors
from collectors.sources.support import count, from_unix, strip_html
from collectors.trackers import Tracker


@typed_errors
def mediacrawler_bilibili_record(row: Any, collected_at: datetime, tracker: str | None = None) -> Record:
    """One exported video or comment row -> Record (ids match the bilibili collector's: av<aid> / rpid)."""
    if not isinstance(row, Mapping):
        raise ParseError("expected an object per row")
    video = str(row.get("video_id") or "").strip()
    if not video.isdigit():
        raise ParseError("video_id: missing or not numeric")
    author = row.get("user_id") or row.get("creator_hash")
    created = row.get("create_time")
    common = {"source": "bilibili", "published_at": from_unix(created, "create_time"), "collected_at": collected_at,
              "author_id": str(author) if author not in (None, "") else None,
              "author_name": str(row.get("nickname") or "") or None, "trackers": [tracker] if tracker else []}
    comment = str(row.get("comment_id") or "").strip()
    if comment:
        if not comment.isdigit():
            raise ParseError("comment_id: not numeric")
        parent = str(row.get("parent_comment_id") or "").strip()
        return parse_record({**common, "id": comment, "kind": "comment", "text": strip_html(row.get("content")),
                             "url": f"https://www.bilibili.com/video/av{video}#reply{comment}",
                             "likes": count(row.get("like_count")), "comments": count(row.get("sub_comment_count")),
                             "parent_id": parent if parent not in ("", "0") else f"av{video}"})
    return parse_record({**common, "id": f"av{video}", "kind": "post", "title": strip_html(row.get("title")) or None,
                         "text": strip_html(row.get("desc")),
                         "url": row.get("video_url") or f"https://www.bilibili.com/video/av{video}",
                         "likes": count(row.get("liked_count")), "comments": count(row.get("video_comment")),
                         "shares": count(row.get("video_share_count"))})


class MediaCrawlerBilibiliImporter:
    name = "mediacrawler-bilibili"
    description = "MediaCrawler Bilibili exports (videos and comments; JSON array, JSONL or CSV)"

    def sniff(self, path: Path, head: bytes) -> bool:
        suffix = path.suffix.lower()
        if suffix not in (".json", ".jsonl", ".csv"):
            return False
        keys = header_columns(head) if suffix == ".csv" else first_json_keys(head)
        return "video_id" in keys and "create_time" in keys and "note_id" not in keys and bool(
            {"video_play_count", "video_danmaku", "comment_id", "video_url"} & keys)

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        collected = file_time(path)
        tid = tracker.id if tracker else None
        yield from convert_each(table_rows(path), lambda row: mediacrawler_bilibili_record(row, collected, tid))


register(MediaCrawlerBilibiliImporter())
