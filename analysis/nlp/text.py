"""Cleaning for Weibo and news text: one pass gives display text, model text and the extracted parts."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from collectors.lang import DEFAULT_REPOST, LINK_CARD, VIDEO_CARD, detect_lang, strip_html
from collectors.lang import EMOTICON as _EMOTICON
from collectors.lang import HANDLE as _HANDLE
from collectors.lang import MENTION as _MENTION
from collectors.lang import URL as _URL

__all__ = ["MENTION_PLACEHOLDER", "REPOST_SEPARATOR", "VIDEO_CARD", "CleanText", "clean_text", "detect_lang",
           "spellings", "straight_apostrophes", "to_simplified"]

MENTION_PLACEHOLDER = "@user"
REPOST_SEPARATOR = " // "

_HASHTAG = re.compile(r"#([^#\n]{1,60}?)#")
_REPOST = re.compile(r"//\s*@([^\s:：@/\[\]]{1,30})\s*[:：]?")  # nicknames hold no [ ]: "[A]" is an emoticon
# Unicode's default-ignorable code points (zero-width, bidi embeddings and isolates, variation selectors,
# Hangul fillers, tags): invisible, so they must not split a word or count as content.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
                        "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]")
# A typographic apostrophe inside an English word ("isn’t", "Norwood’s"; NFKC keeps it): the models, the English
# negation window and the stance cues read the straight one. Between Latin letters only, so Chinese quotation
# marks (‘AI演员’) stay as written.
_APOSTROPHE = re.compile("(?<=[A-Za-z])[\u2019\u02bc](?=[A-Za-z])")


@dataclass(frozen=True, slots=True)
class CleanText:
    display: str
    model_text: str
    own_text: str  # the poster's own words: model_text before the first repost separator
    emoticons: tuple[str, ...]
    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]
    urls: tuple[str, ...]
    is_empty: bool


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    """Single characters zhconv maps to a different simplified form (used to skip conversion cheaply)."""
    import zhconv

    table = zhconv.zhconv.getdict("zh-cn")
    return frozenset(k for k, v in table.items() if len(k) == 1 and v != k)


@lru_cache(maxsize=1)
def _traditional_finders() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Regexes finding a traditional-only character of the Basic Multilingual Plane, and any character at or beyond
    the first traditional-only one outside it: a character class of the plane is one table lookup per character
    (~3× quicker than testing each character against the set), one of the rare CJK characters beyond is a list
    walked per character, so those texts are tested against the set."""
    chars = sorted(map(ord, _traditional_chars()))
    runs: list[list[int]] = []
    for code in (c for c in chars if c <= 0xFFFF):
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    bmp = "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in runs)
    beyond = next((c for c in chars if c > 0xFFFF), None)
    return (re.compile(f"[{bmp}]" if bmp else "(?!)"),
            re.compile(f"[{re.escape(chr(beyond))}-\U0010ffff]" if beyond else "(?!)"))


def to_simplified(text: str) -> str:
    """Traditional → simplified via zhconv, only when the text holds a traditional-only character."""
    in_bmp, beyond = _traditional_finders()
    if in_bmp.search(text) is None and (beyond.search(text) is None or _traditional_chars().isdisjoint(text)):
        return text
    import zhconv

    return zhconv.convert(text, "zh-cn")


_WIDE = {c: c + 0xFEE0 for c in range(0x21, 0x7F) if chr(c).isalnum()}  # ASCII letters and digits → full width


def spellings(term: str) -> list[str]:
    """The forms a search term may take in stored (uncleaned) text: as typed, NFKC'd (full-width letters as ASCII),
    in simplified and traditional characters (zh-hant, zh-tw, zh-hk), with full-width letters and digits, and with
    a typographic apostrophe for a straight one (and back)."""
    norm = to_simplified(unicodedata.normalize("NFKC", term).replace("\u2019", "'"))
    forms = [term, norm]
    if any("\u3400" <= ch <= "\u9fff" for ch in norm):
        import zhconv

        forms += [zhconv.convert(norm, variant) for variant in ("zh-hant", "zh-tw", "zh-hk")]
    if any(ord(ch) in _WIDE for ch in norm):
        forms += [form.translate(_WIDE) for form in forms[1:]]
    forms += [form.replace("'", "\u2019") for form in forms if "'" in form]
    return list(dict.fromkeys(forms))


def straight_apostrophes(text: str) -> str:
    """A typographic apostrophe inside an English word as a straight one ("isn’t" → "isn't")."""
    return _APOSTROPHE.sub("'", text) if "\u2019" in text or "\u02bc" in text else text


def _has_content(text: str) -> bool:
    for ch in text:
        if ch.isalnum() or unicodedata.category(ch) == "So":
            return True
    return False


def clean_text(raw: str) -> CleanText:
    """Clean one Weibo/news text. Never raises for a str; non-str input is coerced with str()."""
    if not isinstance(raw, str):
        raw = "" if raw is None else str(raw)
    if len(raw) > MAX_CACHED_CHARS:  # a full article kept four times over, 8,192 deep, would hold gigabytes
        return _clean(raw)
    return _clean_cached(raw)


MAX_CACHED_CHARS = 5_000


# Enrichment cleans each text for the scorer and again for stance/entities/frames; the result is frozen,
# so a small cache makes the second call free.
@lru_cache(maxsize=8192)
def _clean_cached(raw: str) -> CleanText:
    return _clean(raw)


def _nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text), quicker for the usual Chinese post: its full-width punctuation and spaces
    (，！？：　) are all that NFKC changes, and each of them is its ASCII character (compatibility mapping <wide>, one
    character for one), so mapping those first leaves a text NFKC only needs to check (the same result: NFKC decomposes
    the one as the other)."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    for wide, narrow in _COMMON_WIDE:  # str.replace beats a regex calling back per match
        text = text.replace(wide, narrow)
    if _FULL_WIDTH.search(text):
        text = _FULL_WIDTH.sub(_narrow, text)
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


_FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]")  # full-width ASCII and the ideographic space
_COMMON_WIDE = tuple((wide, chr(ord(wide) - 0xFEE0)) for wide in "，！？：；（）")  # the commonest in Chinese posts


def _narrow(match: re.Match[str]) -> str:
    ch = match.group()
    return " " if ch == "\u3000" else chr(ord(ch) - 0xFEE0)


def _squash_spaces(text: str) -> str:
    """Runs of whitespace as one space, none at either end (str.split's whitespace is the regex \\s's: str.isspace)."""
    return " ".join(text.split())


def _hashtag_words(match: re.Match[str]) -> str:
    return f" {match.group(1)} "  # what the template r" \1 " gives, without Python 3.11's template expansion per match


def _clean(raw: str) -> CleanText:
    text = _INVISIBLE.sub("", strip_html(raw))
    text = _nfkc(text)  # full-width → half-width (and compatibility forms)
    text = to_simplified(text)

    # each pattern is tried only where the text holds what every match of it holds (most posts have no link)
    urls = tuple(_URL.findall(text)) if "://" in text or "." in text else ()
    if urls:
        text = _URL.sub(" ", text)
    if "网页链接" in text or "查看图片" in text or "微博正文" in text or "视频" in text:
        text = LINK_CARD.sub(" ", text)

    emoticons = tuple(f"[{m}]" for m in _EMOTICON.findall(text)) if "[" in text else ()
    hashtags = tuple(h.strip() for h in _HASHTAG.findall(text) if h.strip()) if "#" in text else ()

    display = _squash_spaces(_EMOTICON.sub(" ", text) if emoticons else text)

    model = _REPOST.sub(REPOST_SEPARATOR, text) if "//" in text else text
    if "转发微博" in model:
        model = DEFAULT_REPOST.sub(r"\1 ", model)
    mentions = tuple(_MENTION.findall(text)) if "@" in text else ()
    if "@" in model:
        model = _HANDLE.sub(MENTION_PLACEHOLDER, model)  # a handle whole: its domain would reach the models
    if hashtags:
        model = _HASHTAG.sub(_hashtag_words, model)
    model = straight_apostrophes(model)
    model = _squash_spaces(model)
    own = model.split("//", 1)[0].strip() if "//" in model else model

    content = model.replace(MENTION_PLACEHOLDER, "").replace("//", "")
    return CleanText(
        display=display,
        model_text=model,
        own_text=own,
        emoticons=emoticons,
        hashtags=hashtags,
        mentions=mentions,
        urls=urls,
        is_empty=not _has_content(content),
    )
