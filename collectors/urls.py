"""One news article's address however a source wrote it: the key that merges copies of an article across sources."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit

import pyarrow as pa

from collectors.secrets import is_credential_param

# query parameters that say how a reader arrived, not which page it is
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid",
                             "mc_eid", "_ga", "_gl"})
TRACKING_PREFIXES = ("utm_",)
GOOGLE_NEWS = "news.google.com"
_GOOGLE_ARTICLE = re.compile(r"^(?:/__i/rss/rd|/rss)?/articles/([A-Za-z0-9_-]+)$")
# what signs a link besides its signature (until when, with which key, under which policy): with the signature (a
# credential, collectors.secrets) they say who may fetch the page, not which page it is, and differ between fetches
SIGNING_PARAMS = frozenset({"expires", "key-pair-id", "policy", "kid"})
SIGNING_PREFIXES = ("x-amz-", "x-goog-")
_SAFE_PATH = "/:@!$&'()*+,;=-._~"
_SAFE_QUERY = ":@!$'()*,;/?-._~"  # not +: in a query it reads as a space
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=._~-]*")  # a path quoting would leave as it is


def web_url(url: object) -> str | None:
    """`url` if it is a web link (http or https), else None: an address from a post or a file is untrusted, and a
    javascript: or data: one must never become a clickable link."""
    return url if isinstance(url, str) and url.lower().startswith(("http://", "https://")) else None


@lru_cache(maxsize=1 << 16)  # the records view asks again for the same addresses on every query
def canonical_url(url: str | None) -> str | None:
    """The article key of `url`: scheme and host lower-case, http read as https, `www.`, default ports, tracking
    parameters (utm_*, fbclid, gclid, …), credentials (a signature, a key: redacted in a stored url) with what signs
    along with them, the fragment and a trailing slash dropped, other parameters sorted and escapes written one way;
    a Google News redirect that holds the publisher's URL is that URL's key (google_news_target). None for no
    address; an address that is not http(s) is only stripped."""
    if url is None or not url.strip():
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # e.g. a port that is not a number: no web address to normalise
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return url
    host = parts.hostname.rstrip(".")
    if host == GOOGLE_NEWS:
        target = google_news_target(parts.path)
        if target:
            return canonical_url(target)
    host = host.removeprefix("www.")
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    if port is not None and port not in (80, 443):
        host = f"{host}:{port}"
    path = parts.path if _PLAIN_PATH.fullmatch(parts.path) else quote(unquote(parts.path), safe=_SAFE_PATH)
    path = path.rstrip("/")
    google_article = host == GOOGLE_NEWS and _GOOGLE_ARTICLE.search(parts.path)  # the id alone names it
    params = sorted(_kept_params(_named(parts.query))) if parts.query and not google_article else []
    query = f"?{'&'.join(params)}" if params else ""
    return f"https://{host}{path}{query}"


def google_news_target(path: str) -> str | None:
    """The publisher's URL a Google News article path (/rss/articles/<id>, /articles/<id>) holds, or None.

    Older ids are base64 of a small protobuf whose field 4 is the URL; newer ones hold an opaque token that only
    Google resolves (a request this never makes), and those stay Google's addresses."""
    match = _GOOGLE_ARTICLE.search(path)
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
    return text if re.fullmatch(r"https?://[^\s/?#]+[^\s]*", text) else None


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


def _named(query: str) -> list[tuple[str, str, str]]:
    """(name, separator, value) of each parameter, unescaped."""
    pairs = [pair.partition("=") for pair in query.split("&") if pair]
    return [(unquote(name.replace("+", " ")), sep, unquote(value.replace("+", " "))) for name, sep, value in pairs]


def _kept_params(params: list[tuple[str, str, str]]) -> Iterable[str]:
    signed = any(is_credential_param(name) for name, _sep, _value in params)
    for name, sep, value in params:
        low = name.lower()
        if low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES) or is_credential_param(name):
            continue
        if signed and (low in SIGNING_PARAMS or low.startswith(SIGNING_PREFIXES)):
            continue
        yield quote(name, safe=_SAFE_QUERY) + sep + quote(value, safe=_SAFE_QUERY)


def canonical_urls(urls: pa.Array | pa.ChunkedArray) -> pa.Array:
    """`canonical_url` over an Arrow string array (a DuckDB function over a column)."""
    return pa.array([canonical_url(u) for u in urls.to_pylist()], pa.string())


__all__ = ["TRACKING_PARAMS", "canonical_url", "canonical_urls", "google_news_target", "web_url"]
