"""Parsing helpers every source shares: typed errors for untrusted payloads, platform counts, HTML to text."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, ParamSpec, TypeVar

from lxml import etree
from lxml import html as lxml_html

from collectors.base import ParseError
from collectors.models import InvalidRecord

P = ParamSpec("P")
T = TypeVar("T")


def typed_errors(fn: Callable[P, T]) -> Callable[P, T]:
    """Raw payloads are untrusted: any shape surprise becomes a ParseError naming the function."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except (ParseError, InvalidRecord):
            raise
        except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError, RecursionError) as exc:
            raise ParseError(f"{fn.__name__}: unexpected shape ({type(exc).__name__}: {exc})") from None

    return wrapper


# ---------------------------------------------------------------- counts
_COUNT = re.compile(r"^(\d+(?:\.\d+)?)(万|亿|w|W|k|K)?\+?$")
_MULTIPLIER = {None: 1, "万": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000, "k": 1_000, "K": 1_000}


def parse_count(value: Any) -> int | None:
    """"18.8万" → 188000, "1.2亿" → 120000000, "100万+" → 1000000, "1,234" → 1234, ""/None → None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ParseError(f"count: expected a number, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ParseError(f"count: negative ({value})")
        return value
    if isinstance(value, float):
        if not value >= 0 or value == float("inf"):
            raise ParseError(f"count: not a count ({value!r})")
        return int(value)
    if not isinstance(value, str):
        raise ParseError(f"count: expected a number, got {type(value).__name__}")
    text = value.strip().replace(",", "").replace(" ", "")
    if not text:
        return None
    m = _COUNT.match(text)
    if not m:
        raise ParseError(f"count: unrecognised {value[:20]!r}")
    try:
        return int(Decimal(m.group(1)) * _MULTIPLIER[m.group(2)])
    except InvalidOperation:
        raise ParseError(f"count: unrecognised {value[:20]!r}") from None


# ---------------------------------------------------------------- text
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_EMOTICON = re.compile(r"^\[[^\[\]]{1,16}\]$")
_SPACES = re.compile(r"[ \t\u3000]+")


def html_to_text(value: Any) -> str:
    """Weibo HTML text → plain text: tags stripped, <br> as newlines, emoticon images kept as their `[code]`."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ParseError(f"text: expected a string, got {type(value).__name__}")
    cleaned = _CONTROL.sub("", value)
    if "<" not in cleaned and "&" not in cleaned:
        return _tidy(cleaned)
    try:
        root = lxml_html.fragment_fromstring(cleaned, create_parent="div")
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise ParseError(f"text: unparseable HTML ({exc})") from None
    for node in root.iter("img", "br"):
        if node.tag == "br":
            node.tail = "\n" + (node.tail or "")
        else:
            alt = (node.get("alt") or "").strip()
            node.tail = (alt if _EMOTICON.match(alt) else "") + (node.tail or "")
    return _tidy(root.text_content())


def _tidy(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r", "").split("\n")]
    return "\n".join(line for line in lines if line).strip()
