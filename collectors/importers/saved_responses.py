"""Saved raw responses of the Bilibili, GDELT, RSS/Atom, Bluesky and Mastodon collectors, mapped by the
collectors' own pure mapping functions (so an import equals a live collection of the same body).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from collectors.base import ParseError
from collectors.importers import ImportIssue, Item, register
from collectors.importers.filerows import convert_each, file_time, read_json, read_text
from collectors.sources import bilibili, bluesky, gdelt, mastodon, rss
from collectors.trackers import Tracker


def _json_object_head(path: Path, head: bytes) -> bool:
    return path.suffix.lower() in (".json", ".txt", "") and head.lstrip().startswith(b"{")


class SavedResponseImporter:
    """Shared reading: load the file, take its raw items (`extract`), map each one (`convert`)."""

    name = ""
    description = ""

    def load(self, path: Path) -> Any:
        return read_json(path)

    def extract(self, body: Any, path: Path) -> list[Any]:
        """The raw items of the body; ParseError (one issue for the file) if it holds none."""
        raise NotImplementedError

    def convert(self, raw: Any, collected_at: datetime, tracker: str | None) -> Item:
        raise NotImplementedError

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        body = self.load(path)
        if isinstance(body, ImportIssue):
            yield body
            return
        try:
            items = self.extract(body, path)
        except ParseError as exc:
            yield ImportIssue(path.name, str(exc))
            return
        collected, tid = file_time(path), (tracker.id if tracker else None)
        yield from convert_each(((f"{path.name}[{n}]", it) for n, it in enumerate(items)),
                                lambda it: self.convert(it, collected, tid))


class BilibiliJsonImporter(SavedResponseImporter):
    name = "bilibili-json"
    description = "Saved Bilibili API JSON: wbi/search/type, reply/wbi/main or x/v2/reply, view/detail"

    def sniff(self, path: Path, head: bytes) -> bool:
        return _json_object_head(path, head) and b'"code"' in head and any(
            m in head for m in (b'"bvid"', b'"rpid"', b'"v_voucher"', b'"numResults"', b'"View"'))

    def extract(self, body: Any, path: Path) -> list[Any]:
        if not isinstance(body, Mapping) or body.get("code") != 0:
            code = body.get("code") if isinstance(body, Mapping) else None
            raise ParseError(f"a Bilibili error body (code {code!r}), not data")
        data = body.get("data") if isinstance(body.get("data"), Mapping) else {}
        if "result" in data:
            return [r for r in (data.get("result") or []) if isinstance(r, Mapping) and r.get("type", "video") == "video"]
        if "replies" in data or "top_replies" in data:
            replies = [*(data.get("top_replies") or []), *(data.get("replies") or [])]
            return list({(repr(r.get("rpid")) if isinstance(r, Mapping) else str(n)): r
                         for n, r in enumerate(replies)}.values())  # pinned replies come twice
        if isinstance(data.get("View"), Mapping):
            return [data["View"]]
        raise ParseError("a Bilibili body without search results, replies or a video")

    def convert(self, raw: Any, collected_at: datetime, tracker: str | None) -> Item:
        return bilibili.BilibiliCollector.to_record(raw, collected_at, tracker)


class GdeltJsonImporter(SavedResponseImporter):
    name = "gdelt-json"
    description = ("Saved GDELT DOC 2.0 JSON: artlist (articles) or a timeline (volume/tone; query from "
                   "query_details.title or the file name)")

    def sniff(self, path: Path, head: bytes) -> bool:
        return _json_object_head(path, head) and (
            b'"articles"' in head and b'"seendate"' in head or b'"timeline"' in head and b'"series"' in head)

    def load(self, path: Path) -> Any:
        body = read_json(path)
        if isinstance(body, ImportIssue) and "Invalid \\escape" in body.message:  # read as the collector reads it
            text = read_text(path)
            repaired = gdelt.without_invalid_escapes(text) if isinstance(text, str) else None
            return body if repaired is None else repaired
        return body

    def extract(self, body: Any, path: Path) -> list[Any]:
        if not isinstance(body, Mapping):
            raise ParseError("expected a JSON object")
        if "timeline" in body:
            details = body.get("query_details") if isinstance(body.get("query_details"), Mapping) else {}
            return gdelt.timeline_items(body, str(details.get("title") or path.stem), _timeline_mode(body))
        articles = body.get("articles") or []
        if not isinstance(articles, list):
            raise ParseError("`articles` is not a list")
        return articles

    def convert(self, raw: Any, collected_at: datetime, tracker: str | None) -> Item:
        return gdelt.GdeltCollector.to_record(raw, collected_at, tracker)


def _timeline_mode(body: Mapping[str, Any]) -> str:
    """The timeline mode, which the body does not state: `norm` only comes with timelinevolraw; tone series say so."""
    series = [s for s in body.get("timeline") or [] if isinstance(s, Mapping)]
    names = " ".join(str(s.get("series", "")) for s in series).lower()
    points = [p for s in series for p in (s.get("data") or []) if isinstance(p, Mapping)]
    if any("norm" in p for p in points):
        return "timelinevolraw"
    return "timelinetone" if "tone" in names else "timelinevol"


class RssXmlImporter(SavedResponseImporter):
    name = "rss-xml"
    description = "Saved RSS/Atom feed XML (any feed; Google News search feeds keep the outlet)"

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head[:4096].decode("utf-8", errors="replace").lower()
        return bool(re.search(r"<rss[\s>]|<rdf:rdf[\s>]|<feed[^>]*xmlns=[\"']http://www\.w3\.org/2005/atom", text))

    def load(self, path: Path) -> Any:
        return path.read_bytes()

    def extract(self, body: Any, path: Path) -> list[Any]:
        return rss.feed_items(body)

    def convert(self, raw: Any, collected_at: datetime, tracker: str | None) -> Item:
        return rss.feed_record(raw, collected_at, tracker)


class BlueskyJsonImporter(SavedResponseImporter):
    name = "bluesky-json"
    description = "Saved Bluesky app.bsky.feed.searchPosts JSON ({posts, cursor})"

    def sniff(self, path: Path, head: bytes) -> bool:
        return _json_object_head(path, head) and b'"posts"' in head and b"app.bsky.feed.post" in head

    def extract(self, body: Any, path: Path) -> list[Any]:
        posts = body.get("posts") if isinstance(body, Mapping) else None
        if not isinstance(posts, list):
            raise ParseError("`posts` missing or not a list")
        return posts

    def convert(self, raw: Any, collected_at: datetime, tracker: str | None) -> Item:
        return bluesky.post_record(raw, collected_at, tracker)


class MastodonJsonImporter(SavedResponseImporter):
    name = "mastodon-json"
    description = "Saved Mastodon timeline JSON (a list of statuses, e.g. /api/v1/timelines/tag/…)"

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head.lstrip()
        return path.suffix.lower() in (".json", ".txt", "") and text.startswith(b"[") and b'"uri"' in text \
            and b'"account"' in text and (b'"favourites_count"' in text or b'"reblogs_count"' in text)

    def extract(self, body: Any, path: Path) -> list[Any]:
        if not isinstance(body, list):
            raise ParseError("expected a JSON list of statuses")
        return body

    def convert(self, raw: Any, collected_at: datetime, tracker: str | None) -> Item:
        return mastodon.status_record(raw, collected_at, tracker)


for _importer in (BilibiliJsonImporter(), GdeltJsonImporter(), RssXmlImporter(), BlueskyJsonImporter(),
                  MastodonJsonImporter()):
    register(_importer)
