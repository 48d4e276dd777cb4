"""RSS/Atom feeds (any feed URL) and Google News search feeds, as kind=article records.

A tracker's `rss` queries are either feed URLs (`https://…`) or Google News search terms. Google News
items keep their outlet (from `<source>`) as the author, and their link is a news.google.com redirect,
not the publisher's URL (collectors.urls.canonical_url reads the publisher's out of an older one, for merging). Google News feeds are licensed for personal, non-commercial feed-reader use.
"""

from __future__ import annotations

import io
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

import feedparser
import httpx

from collectors.base import Collector, Page, ParseError, Query, SourceBlocked
from collectors.models import Record, parse_record
from collectors.parsing import typed_errors
from collectors.sources import register
from collectors.sources.support import (
    after_term,
    dated,
    lang_code,
    page_meta,
    request_parsed,
    strip_html,
    terms_from,
    unreadable,
)
from collectors.urls import web_url

GOOGLE_NEWS = "https://news.google.com/rss/search"
_CJK = re.compile(r"[\u3400-\u9fff]")
_CLOSED = re.compile(rb"</(?:rss|feed|rdf:RDF)\s*>")  # anywhere: caches and trackers append comments/scripts after it
_HTML = re.compile(rb"\s*(?:<\?xml[^>]*>\s*)?<(?:!doctype html|html)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")


def google_news_url(term: str, since: datetime | None = None, until: datetime | None = None) -> str:
    """A Google News search feed; Chinese terms use the zh-CN edition, others en-US. Its dates are whole days that
    cover the window; the items are filtered to the window itself after (_in_window)."""
    q = term
    if since:
        q += f" after:{since:%Y-%m-%d}"
    if until:  # before: leaves out its own day, so a window ending inside a day asks for up to the next one
        q += f" before:{(until - timedelta(microseconds=1)).date() + timedelta(days=1):%Y-%m-%d}"
    edition = {"hl": "zh-CN", "gl": "CN", "ceid": "CN:zh-Hans"} if _CJK.search(term) else \
        {"hl": "en-US", "gl": "US", "ceid": "US:en"}
    return f"{GOOGLE_NEWS}?{urllib.parse.urlencode({'q': q, **edition})}"


@typed_errors
def feed_items(body: str | bytes, feed_url: str = "") -> list[dict[str, Any]]:
    """Parse an RSS/Atom document into plain raw items (what to_record maps); ParseError if it is not a feed."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    # Always a stream: given a str or bytes, feedparser would treat a URL- or path-like body as something to open.
    parsed = feedparser.parse(io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False)
    version = getattr(parsed, "version", "")
    if not version and not parsed.entries:
        reason = getattr(parsed, "bozo_exception", None)
        raise ParseError(f"not an RSS/Atom feed ({type(reason).__name__ if reason else 'no channel or entries'})")
    feed = parsed.feed
    items = []
    for entry in parsed.entries:
        source = entry.get("source") or {}
        items.append({
            "title": entry.get("title", ""), "link": entry.get("link", ""), "guid": entry.get("id", ""),
            "orig_link": entry.get("feedburner_origlink", ""),  # FeedBurner: `link` is its feedproxy redirect
            # dict.get: feedparser's own .get("updated") silently falls back to "published" (with a warning)
            "published": dict.get(entry, "published", ""), "updated": dict.get(entry, "updated", ""),
            "summary": entry.get("summary", ""), "author": entry.get("author", ""),
            "source_title": source.get("title", "") if isinstance(source, Mapping) else "",
            "source_url": source.get("href", "") if isinstance(source, Mapping) else "",
            "feed_url": feed_url or feed.get("link", ""), "feed_title": feed.get("title", ""),
            "feed_language": feed.get("language", ""),
        })
    return items


def _feed_body(response: httpx.Response) -> list[dict[str, Any]]:
    if response.status_code in (401, 403, 451):
        raise SourceBlocked(f"rss: HTTP {response.status_code} from {response.request.url.host} (feeds like HKFP refuse bots)",
                            "Check the feed in a browser; some publishers need a different network. Re-run with --resume.")
    if response.status_code >= 400:
        raise ParseError(f"rss: HTTP {response.status_code} from {response.request.url.host}")
    if not response.content.strip():
        raise unreadable(response, "empty body")
    if _HTML.match(response.content[:500]):
        raise ParseError(f"not an RSS/Atom feed (an HTML page from {response.request.url.host})")
    if not _CLOSED.search(response.content):
        raise unreadable(response, "the feed ends before its closing tag (truncated?)")
    return feed_items(response.content, str(response.request.url))


@register
class RssCollector(Collector):
    name: ClassVar[str] = "rss"
    description: ClassVar[str] = "RSS/Atom feeds and Google News search feeds"
    min_interval: ClassVar[float] = 5.0

    def fetch(self, query: Query, cursor: dict[str, Any] | None = None) -> Iterator[Page]:
        terms = query.terms
        for i, term, _state in terms_from(terms, cursor):
            url = term if web_url(term) else google_news_url(term, query.since, query.until)
            response, items = request_parsed(self, "GET", url, _feed_body)
            items = [item for item in items if _in_window(item, query)]
            yield Page(items, _raw_text(response), page_meta(response, term=term), after_term(i, terms))

    @staticmethod
    def to_record(raw: Mapping[str, Any], collected_at: datetime, tracker: str | None = None) -> Record:
        return feed_record(raw, collected_at, tracker)


def _raw_text(response: httpx.Response) -> str:
    """The body for the raw archive: decoded as its XML declaration says when the header names no charset (a GBK
    feed would otherwise be archived as UTF-8 replacement characters)."""
    declared = _XML_ENCODING.match(response.content[:200]) if response.charset_encoding is None else None
    if declared:
        try:
            return response.content.decode(declared.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    return response.text


def _in_window(item: Mapping[str, Any], query: Query) -> bool:
    try:
        when, _basis = _published(item)
    except ParseError:
        return True  # kept, so the mapping reports the bad date as a rejected item
    return (query.since is None or when >= query.since) and (query.until is None or when < query.until)  # until: exclusive


def _published(item: Mapping[str, Any]) -> tuple[datetime, str | None]:
    """The item's date and time_basis (support.dated: an ambiguous or unknown zone name, or none written)."""
    return dated(item.get("published") or item.get("updated"), "published", str(item.get("feed_language") or ""))


@typed_errors
def feed_record(raw: Mapping[str, Any], collected_at: datetime, tracker: str | None = None) -> Record:
    if not isinstance(raw, Mapping):
        raise ParseError(f"expected a feed item, got {type(raw).__name__}")
    link = web_url(str(raw.get("orig_link") or "").strip()) or str(raw.get("link") or "").strip()
    ident = str(raw.get("guid") or "").strip() or link
    if not ident:
        raise ParseError("guid/link: missing")
    outlet = str(raw.get("source_title") or "").strip()
    title = strip_html(raw.get("title"))
    if outlet and title.endswith(f" - {outlet}"):
        title = title[: -len(outlet) - 3].rstrip()
    google = "news.google.com" in str(raw.get("feed_url") or "")
    # Google News descriptions only repeat the headline and outlet (or a cluster of other outlets' headlines).
    text = "" if google else strip_html(raw.get("summary"))
    if text == title:
        text = ""
    published_at, time_basis = _published(raw)
    return parse_record({
        "source": "rss", "id": ident[:512], "kind": "article",
        "title": title or None, "text": text, "url": link or None,
        "published_at": published_at, "time_basis": time_basis,
        "collected_at": collected_at,
        "lang": lang_code(raw.get("feed_language")),
        "author_name": outlet or str(raw.get("feed_title") or "").strip() or None,
        "trackers": [tracker] if tracker else [],
    })


__all__ = ["RssCollector", "feed_items", "feed_record", "google_news_url"]
