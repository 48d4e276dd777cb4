"""Mastodon hashtag timelines (`/api/v1/timelines/tag/{tag}`), paged back in time through the Link header.

The instance is $ACTORWATCH_MASTODON_INSTANCE (default mastodon.social). Anonymous reading works unless
the instance disabled public previews; then a `read:statuses` token is needed
(ACTORWATCH_MASTODON_TOKEN). Instances allow 300 requests / 5 minutes; we stay far below. Posts of
accounts that opted out of search indexing (`account.noindex`) are not collected.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar

import httpx

from collectors.base import Collector, Page, ParseError, Query, SourceBlocked
from collectors.models import Record, parse_record
from collectors.parsing import typed_errors
from collectors.secrets import get_secret
from collectors.sources import register
from collectors.sources.support import (
    after_term,
    count,
    json_body,
    lang_code,
    mapping,
    page_meta,
    parse_datetime,
    request_parsed,
    require,
    strip_html,
    terms_from,
)
from collectors.urls import web_url

DEFAULT_INSTANCE = "mastodon.social"
PAGE_SIZE = 40


def instance_host(given: str | None = None) -> str:
    """The instance's host (and port) from `given` or $ACTORWATCH_MASTODON_INSTANCE, written as a host or as an
    address (HTTPS://mastodon.social/ too)."""
    host = (given or os.environ.get("ACTORWATCH_MASTODON_INSTANCE", "")).strip() or DEFAULT_INSTANCE
    if web_url(host):
        host = urllib.parse.urlsplit(host).netloc
    return host.strip("/")


def snowflake_at(when: datetime) -> str:
    """A Mastodon status id for a time (ms << 16): usable as max_id/since_id to page by date."""
    return str(int(when.timestamp() * 1000) << 16)


def _timeline(response: httpx.Response) -> list[Any]:
    if response.status_code in (401, 403):
        raise SourceBlocked(f"mastodon: HTTP {response.status_code} from {response.request.url.host}: this instance "
                            "does not show tag timelines anonymously",
                            "Create an access token with the read:statuses scope, export ACTORWATCH_MASTODON_TOKEN=…, "
                            "then re-run with --resume.")
    if response.status_code == 404:
        raise ParseError(f"mastodon: HTTP 404 from {response.request.url.host} (is it a Mastodon instance?)")
    if response.status_code >= 400:
        raise ParseError(f"mastodon: HTTP {response.status_code} from {response.request.url.host}")
    body = json_body(response)
    if not isinstance(body, list):
        raise ParseError("mastodon: the tag timeline is not a JSON list")
    return body


def next_max_id(response: httpx.Response) -> str | None:
    """max_id of the Link header's rel="next" (older statuses), if any."""
    url = response.links.get("next", {}).get("url")
    if not url:
        return None
    values = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("max_id")
    return values[0] if values else None


@register
class MastodonCollector(Collector):
    name: ClassVar[str] = "mastodon"
    description: ClassVar[str] = "Mastodon hashtag timelines (instance: $ACTORWATCH_MASTODON_INSTANCE)"
    min_interval: ClassVar[float] = 2.0

    def __init__(self, client: httpx.Client, *, instance: str | None = None, **kw: Any) -> None:
        super().__init__(client, **kw)
        self.instance = instance_host(instance)

    def fetch(self, query: Query, cursor: dict[str, Any] | None = None) -> Iterator[Page]:
        terms = query.terms
        token = get_secret("mastodon_token")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for i, term, state in terms_from(terms, cursor):
            tag = term.lstrip("#").strip()
            max_id = state.get("max_id") or (snowflake_at(query.until) if query.until else None)
            while True:
                params: dict[str, Any] = {"limit": PAGE_SIZE}
                if max_id:
                    params["max_id"] = max_id
                url = f"https://{self.instance}/api/v1/timelines/tag/{urllib.parse.quote(tag, safe='')}"
                response, statuses = request_parsed(self, "GET", url, _timeline, params=params, headers=headers)
                # etiquette: leave out accounts that opted out of indexing (`noindex`)
                items = [s for s in statuses if isinstance(s, Mapping) and not mapping(s.get("account")).get("noindex")]
                older = next_max_id(response)
                reached_since = query.since is not None and any(_before(s, query.since) for s in items)
                if query.since:
                    items = [s for s in items if not _before(s, query.since)]
                more = bool(statuses) and bool(older) and older != max_id and not reached_since
                yield Page(items, response.text, page_meta(response, term=tag),
                           {"term": i, "max_id": older} if more else after_term(i, terms))
                if not more:
                    break
                max_id = older

    @staticmethod
    def to_record(raw: Mapping[str, Any], collected_at: datetime, tracker: str | None = None) -> Record:
        return status_record(raw, collected_at, tracker)


def _before(status: Mapping[str, Any], since: datetime) -> bool:
    try:
        return parse_datetime(status.get("created_at"), "created_at") < since
    except ParseError:
        return False


@typed_errors
def status_record(raw: Mapping[str, Any], collected_at: datetime, tracker: str | None = None) -> Record:
    """A status -> kind=post (or comment when it replies); id is the status's global ActivityPub URI.

    author_id is the account's profile URL, which the status URL starts with, so the public view's
    pseudonym replaces the user name inside the link too.
    """
    if isinstance(raw, Mapping) and isinstance(raw.get("reblog"), Mapping):
        raw = raw["reblog"]
    uri = str(require(raw, "uri"))
    account = mapping(raw.get("account"))
    profile = str(account.get("url") or "").strip() or None
    acct = str(account.get("acct") or "").strip()
    if acct and "@" not in acct and profile:
        acct = f"{acct}@{urllib.parse.urlsplit(profile).hostname}"  # local accounts: make the handle global
    text = strip_html(raw.get("content"))
    warning = strip_html(raw.get("spoiler_text"))
    if warning:
        text = f"[CW: {warning}] {text}".strip()
    return parse_record({
        "source": "mastodon", "id": uri[:512], "kind": "comment" if raw.get("in_reply_to_id") else "post",
        "text": text,
        "url": raw.get("url") or uri,
        "published_at": parse_datetime(raw.get("created_at"), "created_at"),
        "collected_at": collected_at,
        "lang": lang_code(raw.get("language")),
        "author_id": profile or acct or None,
        "author_name": acct or None,
        "likes": count(raw.get("favourites_count")),
        "comments": count(raw.get("replies_count")),
        "shares": count(raw.get("reblogs_count")),
        "trackers": [tracker] if tracker else [],
    })


__all__ = ["MastodonCollector", "next_max_id", "snowflake_at", "status_record"]
