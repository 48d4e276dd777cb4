"""One news article's address however a source wrote it: the key that merges copies of an article across sources."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit

import pyarrow as pa

from collectors.redirects import GOOGLE_ARTICLE, GOOGLE_NEWS, redirect_target
from collectors.secrets import is_credential_param

# query parameters that say how a reader arrived, not which page it is
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid",
                             "mc_eid", "_ga", "_gl"})
TRACKING_PREFIXES = ("utm_",)
# another host for the same pages: a mobile or AMP copy (only before a domain: m.me is a site of its own)
COPY_PREFIXES = ("m.", "mobile.", "wap.", "amp.")
_WEIBO_HOSTS = {"weibo.com", "weibo.cn"}  # after the copy prefixes: m.weibo.cn is weibo.cn
# a post: /detail/<mid>, /status/<mid or bid>, /<uid>/<mid or bid>, weibo.cn's /comment/<bid> and /repost/<bid>
_WEIBO_POST = re.compile(r"/(?:detail|status|comment|repost|[0-9]{5,})/([0-9]{12,20}|[0-9A-Za-z]{8,10})")
# what signs a link besides its signature (until when, with which key, under which policy): with the signature (a
# credential, collectors.secrets) they say who may fetch the page, not which page it is, and differ between fetches
SIGNING_PARAMS = frozenset({"expires", "key-pair-id", "policy", "kid"})
SIGNING_PREFIXES = ("x-amz-", "x-goog-")
_SAFE_SEGMENT = ":@!$&'()*+,;=-._~"
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
    along with them, the fragment (not a #! route) and a trailing slash dropped, other parameters sorted and escapes
    written one way; an internationalised host as punycode, a mobile or AMP copy (m., amp., /amp, ?amp=1) as the
    page; a Google News or AMP-cache address that holds the page's is that page's key (collectors.redirects); a Weibo
    post in any of its forms is m.weibo.cn/detail/<mid>. None for no address; an address that is not http(s) is only
    stripped."""
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
    target = redirect_target(host, parts.path, parts.query)
    if target:
        return canonical_url(target)
    host = _ascii_host(host).removeprefix("www.")
    if host.startswith(COPY_PREFIXES) and "." in host.partition(".")[2]:
        host = host.partition(".")[2]
    segments = parts.path.split("/")  # one by one: an escaped slash (%2F) stays inside its segment
    if not _PLAIN_PATH.fullmatch(parts.path):
        segments = [quote(unquote(segment), safe=_SAFE_SEGMENT) for segment in segments]
    path = "/".join(segment for segment in segments if segment.lower() != "amp").rstrip("/")
    post = _weibo_post(host, path)
    if post:
        return post
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    if port is not None and port not in (80, 443):
        host = f"{host}:{port}"
    google_article = host == GOOGLE_NEWS and GOOGLE_ARTICLE.search(parts.path)  # the id alone names it
    params = sorted(_kept_params(_named(parts.query))) if parts.query and not google_article else []
    query = f"?{'&'.join(params)}" if params else ""
    route = f"#{parts.fragment}" if parts.fragment.startswith("!") else ""  # a #! route names the page; # no
    return f"https://{host}{path}{query}{route}"


def _ascii_host(host: str) -> str:
    """An internationalised host as punycode (IDNA; a full-width dot read as a dot), else as it is."""
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:  # a label too long or not allowed: kept as written
        return host


def _weibo_post(host: str, path: str) -> str | None:
    """A Weibo post's one address (m.weibo.cn/detail/<mid>) from any of its forms, None if `path` is no post."""
    if host not in _WEIBO_HOSTS:
        return None
    match = _WEIBO_POST.fullmatch(path)
    if not match:
        return None
    post = match.group(1)
    if not post.isdigit():
        if post.islower():  # a page of the site (/1234567890/follow…), not a post's base62 id
            return None
        from collectors.sources.weibo_parse import (
            bid_to_mid,  # the sources import the store, which imports this
        )

        post = bid_to_mid(post)
    return f"https://m.weibo.cn/detail/{post}"


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
        if low == "amp" or (low == "outputtype" and value.lower() == "amp"):  # the AMP copy of the page
            continue
        if signed and (low in SIGNING_PARAMS or low.startswith(SIGNING_PREFIXES)):
            continue
        yield quote(name, safe=_SAFE_QUERY) + sep + quote(value, safe=_SAFE_QUERY)


def canonical_urls(urls: pa.Array | pa.ChunkedArray) -> pa.Array:
    """`canonical_url` over an Arrow string array (a DuckDB function over a column)."""
    return pa.array([canonical_url(u) for u in urls.to_pylist()], pa.string())


__all__ = ["TRACKING_PARAMS", "canonical_url", "canonical_urls", "web_url"]
