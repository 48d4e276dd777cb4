"""Bluesky `app.bsky.feed.searchPosts` with an app-password session (unauthenticated search answers 403).

The handle and app password come from collectors.secrets (ACTORWATCH_BLUESKY_HANDLE /
ACTORWATCH_BLUESKY_APP_PASSWORD). Tokens live in memory only: an expired access token is refreshed with
the refresh token, and a refused refresh logs in again. A search cursor stops after
about 10k posts (no cursor, or a 502 that retrying does not clear); the query then continues with `until` = the oldest post seen (sort=latest), as 4CAT does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from collectors.base import Collector, Page, ParseError, Query, SourceBlocked
from collectors.models import Record, parse_record
from collectors.parsing import typed_errors
from collectors.secrets import MissingSecret, get_secret, redact_text
from collectors.sources import register
from collectors.sources.support import (
    RetriesExhausted,
    after_term,
    count,
    json_body,
    lang_code,
    mapping,
    page_meta,
    parse_datetime,
    parsed_page,
    request_parsed,
    require,
    terms_from,
    with_response,
)

SERVICE = "https://bsky.social"
PAGE_SIZE = 100
EMPTY_PAGES = 3  # empty pages in a row (with a cursor) before a search counts as finished
CURSOR_LIMIT = 9_000  # posts per cursor before Bluesky stops paging (~10k); continue with `until`
_RESUME = "Check ACTORWATCH_BLUESKY_HANDLE and ACTORWATCH_BLUESKY_APP_PASSWORD (an app password, not the account password), then re-run with --resume."


def _xrpc(response: httpx.Response) -> tuple[int, Mapping[str, Any]]:
    """(status, JSON body); error bodies are {"error", "message"} (or anything else, tolerated as {})."""
    if response.status_code >= 400:
        try:
            body = json.loads(response.text)
        except ValueError:
            body = {}
        return response.status_code, body if isinstance(body, Mapping) else {}
    body = json_body(response)
    if not isinstance(body, Mapping):
        raise ParseError("bluesky: the response is not a JSON object")
    return response.status_code, body


def _error(body: Mapping[str, Any]) -> str:
    """The XRPC error, for messages (redacted: a server may echo what it was sent)."""
    return redact_text(f"{str(body.get('error') or '')[:60]}: {str(body.get('message') or '')[:160]}".strip(": "))


@register
class BlueskyCollector(Collector):
    name: ClassVar[str] = "bluesky"
    description: ClassVar[str] = "Bluesky post search (app.bsky.feed.searchPosts, authenticated)"
    min_interval: ClassVar[float] = 1.0  # the server allows 3000 requests / 5 min; we use a tenth of that
    needs_secrets: ClassVar[tuple[str, ...]] = ("bluesky_handle", "bluesky_app_password")
    service: ClassVar[str] = SERVICE

    def __init__(self, client: httpx.Client, **kw: Any) -> None:
        super().__init__(client, **kw)
        self._access: str | None = None
        self._refresh: str | None = None

    # ---------- session ----------
    def login(self) -> None:
        try:
            handle = get_secret("bluesky_handle", required=True)
            password = get_secret("bluesky_app_password", required=True)
        except MissingSecret as exc:
            raise SourceBlocked(f"bluesky: {exc}", _RESUME) from None
        response, status, body = self._post("com.atproto.server.createSession",
                                            {"identifier": handle, "password": password})
        if status != 200:
            raise with_response(SourceBlocked(f"bluesky: login refused (HTTP {status} {_error(body)})", _RESUME),
                                response)
        self._set_tokens(body)

    def refresh(self) -> None:
        """New tokens from the refresh token; log in again when it is refused or missing."""
        if self._refresh:
            _, status, body = self._post("com.atproto.server.refreshSession", None, token=self._refresh)
            if status == 200:
                self._set_tokens(body)
                return
        self.login()

    def _set_tokens(self, body: Mapping[str, Any]) -> None:
        access, refresh = body.get("accessJwt"), body.get("refreshJwt")
        if not isinstance(access, str) or not isinstance(refresh, str):
            raise ParseError("bluesky: session response without accessJwt/refreshJwt")
        self._access, self._refresh = access, refresh

    def _post(self, method: str, payload: dict[str, Any] | None,
              token: str | None = None) -> tuple[httpx.Response, int, Mapping[str, Any]]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response, (status, body) = request_parsed(self, "POST", f"{self.service}/xrpc/{method}", _xrpc, json=payload,
                                                  headers=headers)
        return response, status, body

    def search(self, params: dict[str, Any]) -> tuple[httpx.Response, Mapping[str, Any]]:
        """One searchPosts call; an expired/invalid token is refreshed once."""
        if not self._access:
            self.login()
        for attempt in range(2):
            response, (status, body) = request_parsed(
                self, "GET", f"{self.service}/xrpc/app.bsky.feed.searchPosts", _xrpc, params=params,
                headers={"Authorization": f"Bearer {self._access}"})
            if status == 200:
                return response, body
            if status in (400, 401) and body.get("error") in ("ExpiredToken", "InvalidToken", "AuthenticationRequired") \
                    and attempt == 0:
                self.refresh()
                continue
            if status in (401, 403):
                raise with_response(SourceBlocked(f"bluesky: search refused (HTTP {status} {_error(body)})", _RESUME),
                                    response)
            raise with_response(ParseError(f"bluesky: search failed (HTTP {status} {_error(body)})"), response)
        raise SourceBlocked("bluesky: the session could not be renewed", _RESUME)

    # ---------- fetch ----------
    def fetch(self, query: Query, cursor: dict[str, Any] | None = None) -> Iterator[Page]:
        terms = query.terms
        for i, term, state in terms_from(terms, cursor):
            page_cursor: str | None = state.get("cursor")
            until: str | None = state.get("until") or (_iso(query.until) if query.until else None)
            segment = int(state.get("segment", 0))
            oldest: str | None = state.get("oldest")  # of the posts since `until`: where to continue below
            empty = int(state.get("empty", 0))  # pages in a row that came back without posts
            while True:
                params: dict[str, Any] = {"q": term, "sort": "latest", "limit": PAGE_SIZE}
                if query.since:
                    params["since"] = _iso(query.since)
                if until:
                    params["until"] = until
                if page_cursor:
                    params["cursor"] = page_cursor
                try:
                    response, body = self.search(params)
                except RetriesExhausted:
                    if not (page_cursor and segment >= CURSOR_LIMIT and oldest and oldest != until):
                        raise
                    until, segment, page_cursor = oldest, 0, None  # a deep cursor answering 502: re-query below
                    continue
                posts = parsed_page(response, _posts, body)
                segment += len(posts)
                empty = 0 if posts else empty + 1
                oldest = min(filter(None, (oldest, _oldest(posts))), default=None)
                next_cursor = body.get("cursor") if isinstance(body.get("cursor"), str) else None
                if not next_cursor and posts and segment >= CURSOR_LIMIT:
                    if oldest and oldest != until:  # continue below the oldest post seen
                        until, segment = oldest, 0
                        next_state: dict[str, Any] | None = {"term": i, "cursor": None, "until": until, "segment": 0}
                    else:
                        next_state = None
                elif next_cursor and next_cursor != page_cursor and empty < EMPTY_PAGES:
                    # a cursor that does not move ends it; an empty page (its posts dropped) need not
                    next_state = {"term": i, "cursor": next_cursor, "until": until, "segment": segment,
                                  "oldest": oldest, **({"empty": empty} if empty else {})}
                else:
                    next_state = None
                yield Page([p for p in posts if isinstance(p, Mapping)], response.text,
                           page_meta(response, term=term), next_state or after_term(i, terms))
                if next_state is None:
                    break
                page_cursor = next_state["cursor"]

    @staticmethod
    def to_record(raw: Mapping[str, Any], collected_at: datetime, tracker: str | None = None) -> Record:
        return post_record(raw, collected_at, tracker)


def _posts(body: Mapping[str, Any]) -> list[Any]:
    posts = body.get("posts")
    if not isinstance(posts, list):
        raise ParseError("bluesky: `posts` missing or not a list")
    return posts


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _oldest(posts: list[Any]) -> str | None:
    stamps = []
    for post in posts:
        try:
            stamps.append(parse_datetime(mapping(post).get("indexedAt"), "indexedAt"))
        except ParseError:
            continue
    return _iso(min(stamps)) if stamps else None


POST_URI = re.compile(r"^at://([^/]+)/app\.bsky\.feed\.post/([^/]+)$")  # a post's id (4CAT's exports hold it too)


@typed_errors
def post_record(raw: Mapping[str, Any], collected_at: datetime, tracker: str | None = None) -> Record:
    """A searchPosts post view -> kind=post, or kind=comment (parent_id = the replied-to post) for replies."""
    uri = str(require(raw, "uri"))
    match = POST_URI.match(uri)
    if not match:
        raise ParseError(f"uri: not a post at-uri: {uri[:80]!r}")
    author = mapping(raw.get("author"))
    record = mapping(raw.get("record"))
    did = str(author.get("did") or match.group(1))
    parent = mapping(mapping(record.get("reply")).get("parent")).get("uri")
    text = record.get("text")
    if not isinstance(text, str):
        raise ParseError("record.text: missing")
    created = record.get("createdAt") or raw.get("indexedAt")
    try:
        published = parse_datetime(created, "record.createdAt")
    except ParseError:
        published = parse_datetime(raw.get("indexedAt"), "indexedAt")
    reposts, quotes = count(raw.get("repostCount")), count(raw.get("quoteCount"))
    return parse_record({
        "source": "bluesky", "id": uri, "kind": "comment" if parent else "post",
        "text": text,
        # the DID (author_id) rather than the handle, so the public view's pseudonym replaces it in the link too
        "url": f"https://bsky.app/profile/{did}/post/{match.group(2)}",
        "published_at": published, "collected_at": collected_at,
        "lang": lang_code(record.get("langs")),
        "author_id": did, "author_name": author.get("handle") or None,
        "likes": count(raw.get("likeCount")),
        "comments": count(raw.get("replyCount")),
        "shares": None if reposts is None and quotes is None else (reposts or 0) + (quotes or 0),
        "parent_id": str(parent) if parent else None,
        "trackers": [tracker] if tracker else [],
    })


__all__ = ["BlueskyCollector", "post_record"]
