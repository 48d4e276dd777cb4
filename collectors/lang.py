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
# A mention whole: the name and, for a Bluesky or Mastodon handle, the rest of it (@alice.bsky.social,
# @alice@mastodon.social), whose letters say nothing of the post's language.
HANDLE = re.compile(MENTION.pattern + r"(?:\.[A-Za-z0-9-]+)*(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?")

# Code point ranges (inclusive) of the scripts counted: Han, kana and Hangul (neither is read as Chinese), Latin.
# Full-width Latin (ＡＩ　ａｃｔｏｒｓ, common in Chinese input methods) and half-width kana and Hangul count as
# what NFKC would make them, without normalising every record's text.
_CJK = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_KANA_HANGUL = ((0x3040, 0x30FF), (0xAC00, 0xD7AF), (0xFF66, 0xFF9F), (0xFFA0, 0xFFDC))
_LATIN = ((0x41, 0x5A), (0x61, 0x7A))
_WIDE_LATIN = ((0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
SAMPLE_CHARS = 2000


def _char_class(ranges: tuple[tuple[int, int], ...]) -> re.Pattern[str]:
    return re.compile("[" + "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in ranges) + "]")


_CJK_RE, _KANA_HANGUL_RE = _char_class(_CJK), _char_class(_KANA_HANGUL)
_LATIN_RE = _char_class(_LATIN + _WIDE_LATIN)


def _sample(text: str) -> str:
    """The start of `text` without emoticon codes ([doge], [good]), @names and links: Latin letters that say
    nothing about the language the post is written in."""
    sample = text[:SAMPLE_CHARS]
    if "://" in sample or "." in sample:  # every link holds one
        sample = URL.sub(" ", sample)
    if "[" in sample:
        sample = EMOTICON.sub(" ", sample)
    if "@" in sample:
        sample = HANDLE.sub(" ", sample)
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


def detect_langs(texts: Sequence[str | None] | pa.Array | pa.ChunkedArray) -> list[str | None]:
    """`detect_lang` of each text, counted for all at once on Arrow's UTF-8 bytes (numpy): what a write of many
    records can afford. Only the texts that may hold a link, an emoticon code or an @name go through Python."""
    column = texts if isinstance(texts, pa.Array | pa.ChunkedArray) else pa.array(
        [t if isinstance(t, str) else None for t in texts], pa.string())
    if not len(column):
        return []
    samples = pc.utf8_slice_codeunits(column, 0, SAMPLE_CHARS)
    if isinstance(samples, pa.ChunkedArray):
        samples = samples.combine_chunks()
    marked = _marked_rows(*_utf8(samples))
    if len(marked):
        mask = np.zeros(len(samples), dtype=bool)
        mask[marked] = True
        sampled = [_sample(t) for t in samples.take(pa.array(marked)).to_pylist()]
        samples = pc.replace_with_mask(samples, pa.array(mask), pa.array(sampled, samples.type))
    cjk, latin, other = _class_counts(*_utf8(samples))
    return [_decide(*counts) for counts in zip(cjk, latin, other, strict=True)]


def _utf8(strings: pa.StringArray | pa.LargeStringArray) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes) of a string array, without copying."""
    _, offsets_buffer, data_buffer = strings.buffers()
    wide = pa.types.is_large_string(strings.type)
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64 if wide else np.int32)[strings.offset:strings.offset + len(strings) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8)[:offsets[-1]] if data_buffer is not None else np.zeros(0, np.uint8)
    return offsets, data


def _marked_rows(offsets: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Rows holding "[", "@", "://" or "www." (any case): those `_sample` may change."""
    hits = [np.flatnonzero((data == ord("[")) | (data == ord("@")))]
    colons = np.flatnonzero(data[:-2] == ord(":"))
    hits.append(colons[(data[colons + 1] == ord("/")) & (data[colons + 2] == ord("/"))])
    dots = np.flatnonzero(data == ord("."))
    dots = dots[dots >= 3]
    hits.append(dots[((data[dots - 1] | 0x20) == ord("w")) & ((data[dots - 2] | 0x20) == ord("w"))
                     & ((data[dots - 3] | 0x20) == ord("w"))])
    return np.unique(np.searchsorted(offsets, np.concatenate(hits), side="right") - 1)


def _class_counts(offsets: np.ndarray, data: np.ndarray) -> tuple[list[int], list[int], list[int]]:
    """Per string, its CJK, Latin and kana/Hangul characters, read from the UTF-8 bytes: ASCII Latin letters are
    single bytes (never part of a longer sequence) and every other counted range (full-width Latin too) lies in the
    three-byte sequences."""
    latin = np.flatnonzero((data | 0x20) - np.uint8(0x61) < 26)  # A-Z, a-z: the only bytes | 0x20 maps to a-z
    lead = np.flatnonzero((data[:-2] & 0xF0) == 0xE0) if len(data) >= 3 else np.zeros(0, dtype=np.int64)
    points = ((data[lead].astype(np.int32) & 0x0F) << 12) | ((data[lead + 1].astype(np.int32) & 0x3F) << 6) \
        | (data[lead + 2].astype(np.int32) & 0x3F)
    classes = _CLASS_OF[points]

    def per_string(positions: np.ndarray) -> np.ndarray:  # how many of the positions fall within each string's bytes
        return np.diff(np.searchsorted(positions, offsets))

    return (per_string(lead[classes == 1]).tolist(), (per_string(latin) + per_string(lead[classes == 2])).tolist(),
            per_string(lead[classes == 3]).tolist())


def _class_table() -> np.ndarray:
    """Class of each BMP code point (0 not counted, 1 CJK, 2 Latin, 3 kana/Hangul); the last entry stands for
    every code point beyond."""
    table = np.zeros(0x10001, dtype=np.uint8)
    for value, ranges in ((1, _CJK), (2, _LATIN + _WIDE_LATIN), (3, _KANA_HANGUL)):
        for lo, hi in ranges:
            table[lo:hi + 1] = value
    return table


_CLASS_OF = _class_table()


def record_text(text: str | None, title: str | None) -> str:
    """What a record's language is read from: its title and text, as enrichment joins them."""
    return f"{title}\n{text}" if title and text else (title or text or "")


def record_langs(texts: pa.Array | pa.ChunkedArray, titles: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The language of each record, from its text and title columns (also the store's `record_lang` SQL function)."""
    # as record_text: "title\ntext" when both hold something, else whichever does (an empty string counts as none)
    texts, titles = (pc.if_else(pc.equal(c, ""), pa.scalar(None, pa.string()), c) for c in (texts, titles))
    joined = pc.binary_join_element_wise(titles, texts, "\n", null_handling="skip")
    return pa.array(detect_langs(joined), pa.string())


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
