"""Addresses that hold another page's address, read offline: a Google News article link, Google's AMP caches,
click-through redirects (Bing News, google.com/url) that carry it as a parameter.

Nothing here makes a request: an address whose target only its owner can resolve (a newer Google News id, a
t.cn short link) is no target (None), and stays the key of its own copy.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import parse_qs

GOOGLE_NEWS = "news.google.com"
GOOGLE_ARTICLE = re.compile(r"^(?:/__i/rss/rd|/rss)?/articles/([A-Za-z0-9_-]+)$")
_GOOGLE = re.compile(r"^(?:www\.)?google(?:\.[a-z]{2,3}){1,2}$")  # google.com, google.co.uk, google.com.hk
_AMP_CACHE_PATH = re.compile(r"^/[cvi]/(s/)?(.+)$")  # <host>.cdn.ampproject.org/c/s/<host>/<path>
_WEB = re.compile(r"(?i)https?://[^\s/?#]+[^\s]*")
# click-through redirects that carry the page as a parameter: (host, path) -> the parameter(s), first found wins
_CLICK_THROUGH = {("bing.com", "/news/apiclick.aspx"): ("url",), ("google", "/url"): ("q", "url"),
                  ("news.google.com", "/news/url"): ("url",)}


def redirect_target(host: str, path: str, query: str = "") -> str | None:
    """The address of the page that `host` + `path` (+ `query`) stands for, when it says it offline; else None."""
    carried = _CLICK_THROUGH.get((_GOOGLE.sub("google", host.removeprefix("www.")), path))
    if carried:  # a click-through redirect: the page is one of its parameters
        params = parse_qs(query)
        target = next((params[name][0] for name in carried if name in params), "")
        return target if _WEB.fullmatch(target) else None
    if host == GOOGLE_NEWS:
        return google_news_target(path)
    if _GOOGLE.match(host) and path.startswith("/amp/"):  # google.com/amp/s/<https page>, /amp/<http page>
        secure, rest = (True, path[len("/amp/s/"):]) if path.startswith("/amp/s/") else (False, path[len("/amp/"):])
    elif host.endswith(".cdn.ampproject.org") and (match := _AMP_CACHE_PATH.match(path)):
        secure, rest = bool(match.group(1)), match.group(2)
    else:
        return None
    target = f"{'https' if secure else 'http'}://{rest}" + (f"?{query}" if query else "")
    return target if _WEB.fullmatch(target) else None


def google_news_target(path: str) -> str | None:
    """The publisher's URL a Google News article path (/rss/articles/<id>, /articles/<id>) holds, or None.

    Older ids are base64 of a small protobuf whose field 4 is the URL; newer ones hold an opaque token that only
    Google resolves (a request this never makes), and those stay Google's addresses."""
    match = GOOGLE_ARTICLE.search(path)
    if not match:
        return None
    ident = match.group(1)
    try:
        data = base64.urlsafe_b64decode(ident + "=" * (-len(ident) % 4))
    except (ValueError, binascii.Error):
        return None
    url = _protobuf_field(data, 4)
    try:
        text = url.decode("utf-8") if url else ""
    except UnicodeDecodeError:
        return None
    return text if _WEB.fullmatch(text) else None


def _protobuf_field(data: bytes, wanted: int) -> bytes | None:
    """The first length-delimited field `wanted` of a protobuf message, None if absent or the message is cut short."""
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, at = _varint(data, at)
        elif wire == 2:
            size, at = _varint(data, at)
            if at + size > len(data):
                return None
            if field == wanted:
                return data[at:at + size]
            at += size
        else:  # fixed-width or group fields: not in these ids
            return None
    return None


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while at < len(data):
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            return value, at
    return value, len(data) + 1  # cut short: past the end, so the caller stops


__all__ = ["GOOGLE_NEWS", "google_news_target", "redirect_target"]
