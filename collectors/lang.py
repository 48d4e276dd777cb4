"""A record's language from its characters ('zh', 'en' or unknown): the one detector collectors and enrichment share."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'\u3000-\u303f\uff00-\uffef\u4e00-\u9fff]+", re.IGNORECASE)
EMOTICON = re.compile(r"\[([^\W\d_]\w{0,9})\]")  # [哈哈], [doge], [笑cry]: a letter first, word characters
MENTION = re.compile(r"@([\w\u4e00-\u9fff\-·]{1,30})")

# Code point ranges (inclusive) of the scripts counted: Han, kana and Hangul (neither is read as Chinese), Latin.
_CJK = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_KANA_HANGUL = ((0x3040, 0x30FF), (0xAC00, 0xD7AF))
_LATIN = ((0x41, 0x5A), (0x61, 0x7A))
SAMPLE_CHARS = 2000


def _char_class(ranges: tuple[tuple[int, int], ...]) -> re.Pattern[str]:
    return re.compile("[" + "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in ranges) + "]")


_CJK_RE, _KANA_HANGUL_RE, _LATIN_RE = _char_class(_CJK), _char_class(_KANA_HANGUL), _char_class(_LATIN)


def _sample(text: str) -> str:
    """The start of `text` without emoticon codes ([doge], [good]), @names and links: Latin letters that say
    nothing about the language the post is written in."""
    sample = text[:SAMPLE_CHARS]
    if "://" in sample or "." in sample:  # every link holds one
        sample = URL.sub(" ", sample)
    if "[" in sample:
        sample = EMOTICON.sub(" ", sample)
    if "@" in sample:
        sample = MENTION.sub(" ", sample)
    return sample


def _decide(cjk: int, latin: int, other: int) -> str | None:
    if other and other * 2 >= cjk + latin / 4:
        return None
    # A Chinese character carries about a word; an English word has ~4-5 letters.
    if cjk and cjk * 4 >= latin:
        return "zh"
    if latin >= 2:
        return "en"
    return None


def detect_lang(text: str) -> str | None:
    """'zh', 'en' or None (no letters, or another script), from character counts only."""
    if not isinstance(text, str) or not text:
        return None
    sample = _sample(text)
    return _decide(len(_CJK_RE.findall(sample)), len(_LATIN_RE.findall(sample)), len(_KANA_HANGUL_RE.findall(sample)))


def detect_langs(texts: Sequence[str | None]) -> list[str | None]:
    """`detect_lang` of each text, the characters of all counted at once (numpy): what a write of many records
    can afford."""
    samples = [_sample(t) if isinstance(t, str) else "" for t in texts]
    if not samples:
        return []
    points = np.frombuffer("".join(samples).encode("utf-32-le", "surrogatepass"), dtype="<u4")
    classes = _CLASS_OF[np.minimum(points, len(_CLASS_OF) - 1)]
    bounds = np.concatenate([[0], np.cumsum([len(s) for s in samples])])
    # a sample's count of a class: how many of the class's positions fall within the sample's bounds
    cjk, latin, other = (np.diff(np.searchsorted(np.flatnonzero(classes == k), bounds)).tolist() for k in (1, 2, 3))
    return [_decide(*counts) for counts in zip(cjk, latin, other, strict=True)]


def _class_table() -> np.ndarray:
    """Class of each BMP code point (0 not counted, 1 CJK, 2 Latin, 3 kana/Hangul); the last entry stands for
    every code point beyond."""
    table = np.zeros(0x10001, dtype=np.uint8)
    for value, ranges in ((1, _CJK), (2, _LATIN), (3, _KANA_HANGUL)):
        for lo, hi in ranges:
            table[lo:hi + 1] = value
    return table


_CLASS_OF = _class_table()


def record_text(text: str | None, title: str | None) -> str:
    """What a record's language is read from: its title and text, as enrichment joins them."""
    return f"{title}\n{text}" if title and text else (title or text or "")


def record_langs(texts: pa.Array | pa.ChunkedArray, titles: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The language of each record, from its text and title columns (also the store's `record_lang` SQL function)."""
    return pa.array(detect_langs([record_text(text, title) for text, title in
                                  zip(texts.to_pylist(), titles.to_pylist(), strict=True)]), pa.string())


def with_lang(table: pa.Table) -> pa.Table:
    """`table` (records' columns) with each null `lang` filled by `detect_lang` of its title and text; rows that
    have a lang, or whose language is unknown, are left as they are."""
    if not table["lang"].null_count:
        return table
    lang = table["lang"].combine_chunks()
    missing = pc.is_null(lang)
    rows = pa.array(np.flatnonzero(missing.to_numpy(zero_copy_only=False)))
    filled = pc.replace_with_mask(lang, missing, record_langs(table["text"].take(rows), table["title"].take(rows)))
    column = table.schema.get_field_index("lang")
    return table.set_column(column, table.schema.field(column), filled)
