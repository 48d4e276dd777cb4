"""A record's language from its characters (zh, en, another its script names, und, or none): the one detector collectors
and enrichment share (enrichment scores only the languages the models read: analysis.nlp.sentiment.is_read)."""

from __future__ import annotations

import html
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

# Weibo renders emoticons as <img alt="[doge]" ...>; keep the code before tags are stripped.
_IMG_ALT = re.compile(r"""<img\b[^>]*?\balt\s*=\s*["']?(\[[^\]"'<>]{1,12}\])["']?[^>]*>""", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>|</p\s*>|</div\s*>", re.IGNORECASE)
_DROP_BLOCK = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,2000}>|<!--.*?-->", re.DOTALL)
# Link cards show a label, not the poster's words: a web page (网页链接; weibo.com puts an "O" icon glyph first), a
# picture (查看图片), another post (微博正文), a video: "<uploader's nickname>的微博视频" (older posts: 的秒拍视频;
# weibo.com puts an "L" glyph first), a name, read as store.py's privacy mask reads it. A card stands apart (start or
# a non-word character before it; end, a space or a closing bracket after it), so that a sentence such as
# "看了他的微博视频，很感动" keeps its words.
VIDEO_CARD = r"(?<![\w\-·])[\w\-·]{2,30}的(?:微博|秒拍)视频(?=$|\s|[)）\]】」』])"
LINK_CARD = re.compile(rf"O?网页链接|查看图片|微博正文|{VIDEO_CARD}")
# The text Weibo gives a repost made without a comment, as the whole of a poster's part: no words of theirs.
DEFAULT_REPOST = re.compile(r"(^|//)\s*转发微博\s*[。.!]?\s*(?=//|$)")

def strip_html(raw: str) -> str:
    """Text of HTML: tags dropped (an emoticon's <img alt="[doge]"> kept as its code, a line break as one),
    entities read."""
    if "<" in raw:
        text = _IMG_ALT.sub(r" \1 ", raw)
        text = _DROP_BLOCK.sub(" ", text)
        text = _BREAK.sub("\n", text)
        text = _TAG.sub("", text)
    else:
        text = raw
    if "&" in text:
        text = html.unescape(text)
    return text


# Code point ranges (inclusive) of the scripts counted: Han, Latin, kana, Hangul, and the other alphabets, each with
# the language it is written in (None: a script written for several, so "und"). Full-width Latin (ＡＩ　ａｃｔｏｒｓ,
# common in Chinese input methods) and half-width kana and Hangul count as what NFKC would make them, without
# normalising every record's text. The katakana middle dot (・) is left out: Chinese writes foreign names with it.
_CJK = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_LATIN = ((0x41, 0x5A), (0x61, 0x7A))
_WIDE_LATIN = ((0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
_KANA = ((0x3040, 0x30FA), (0x30FC, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))
_HANGUL = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF), (0xFFA0, 0xFFDC))
_ALPHABETS: tuple[tuple[str | None, tuple[tuple[int, int], ...]], ...] = (
    ("el", ((0x0370, 0x03FF),)),
    (None, ((0x0400, 0x052F),)),  # Cyrillic: Russian, Ukrainian, Bulgarian, Serbian, Kazakh, …
    ("hy", ((0x0531, 0x058F),)),
    ("he", ((0x0591, 0x05FF),)),
    (None, ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))),  # Arabic
    (None, ((0x0900, 0x0DFF),)),  # the Indic scripts: Devanagari (Hindi, Marathi, Nepali, …) to Sinhala
    ("th", ((0x0E00, 0x0E7F),)),
    ("lo", ((0x0E80, 0x0EFF),)),
    ("my", ((0x1000, 0x109F),)),
    ("ka", ((0x10A0, 0x10FF),)),
    ("km", ((0x1780, 0x17FF),)),
)
# Latin letters do not tell English from Spanish or French. A text its letters call English is read in another
# language where more of its words are that language's commonest function words than English's, two at least (a
# name, a "de facto" or a "la" in an English sentence moves nothing). Words two languages share count for both.
_FUNCTION_WORDS = {
    "en": "the and is are was were be been of to in that it its for with on this these those they you your have has had "
          "but at by from will would an or as what about just like can could their we our my so if do does not",
    "es": "el la los las lo que de del y en un una es por para con se su sus al más pero como muy está están "
          "ya también este esta estos porque sin sobre hay fue ser",
    "fr": "le la les l des du de d et est une un que qu qui dans pour pas sur au aux ce cette c avec sont mais il "
          "elle ne plus nous vous ils je j été être",
    "de": "der die das und ist nicht ein eine einen mit auf den dem zu von sich auch es im für wird sind wie aber "
          "oder ich wir sie bei nach noch nur",
    "pt": "o os que de do da dos das e em um uma não é para com por mais mas como se na ao são também ela ele "
          "foi ser está isso",
    "it": "il lo la gli le di del della che e è un una per con non sono ma anche più nel nella questo questa "
          "si ha essere",
    "nl": "de het een en van is dat niet op te met voor zijn maar ook als bij naar wordt deze dit wij ze er",
    "id": "yang dan di ini itu dengan untuk tidak dari dalam akan ada juga ke karena saya kita mereka",
    "vi": "và của là không có được những này các một cho người với trong đã như",
}
_LATIN_LANGS = tuple(_FUNCTION_WORDS)
# word -> the languages (indices of _LATIN_LANGS) it is a function word of
_LANGS_OF = {word: tuple(k for k, lang in enumerate(_LATIN_LANGS) if word in _FUNCTION_WORDS[lang].split())
             for words in _FUNCTION_WORDS.values() for word in words.split()}
_NON_LETTERS = re.compile(r"[\W\d_]+")  # words split at anything not a letter ("l'actrice": l, actrice)
_WORD_CHARS = 300  # the function words of a text's start say its language
UNDETERMINED = "und"  # ISO 639: letters of a language the script does not tell (Cyrillic, Arabic, …)
SAMPLE_CHARS = 2000
_HAN, _LATIN_CLASS, _KANA_CLASS, _HANGUL_CLASS, _FIRST_ALPHABET = 1, 2, 3, 4, 5
_N_CLASSES = _FIRST_ALPHABET + len(_ALPHABETS)
_CODES = (None, "zh", "en", "ja", "ko", *(lang or UNDETERMINED for lang, _ in _ALPHABETS))  # as `_decide` numbers them
# What `_sample` may change: a link, an emoticon code, an @name, markup, an entity, a link card's label
_MARKED = r"[\[@<&]|://|(?i:www\.)|网页链接|查看图片|微博正文|的(?:微博|秒拍)视频|(?:^|//)\s*转发微博\s*[。.!]?\s*(?://|$)"


def _sample(text: str) -> str:
    """The start of `text` as the models read it (analysis.nlp.text.clean_text) where that matters to its language:
    without markup, emoticon codes ([doge], [good]), @names, links and link cards' labels (网页链接, 查看图片), or a
    repost's stock 转发微博: letters that say nothing about the language the post is written in."""
    sample = text[:SAMPLE_CHARS]
    if "<" in sample or "&" in sample:
        sample = strip_html(sample)
    if "://" in sample or "." in sample:  # every link holds one
        sample = URL.sub(" ", sample)
    if "视频" in sample or "网页链接" in sample or "查看图片" in sample or "微博正文" in sample:
        sample = LINK_CARD.sub(" ", sample)
    if "转发微博" in sample:
        sample = DEFAULT_REPOST.sub(r"\1 ", sample)
    if "[" in sample:
        sample = EMOTICON.sub(" ", sample)
    if "@" in sample:
        sample = HANDLE.sub(" ", sample)
    return sample


def _decide(counts: np.ndarray) -> list[str | None]:
    """The language of each text from its letters per class (rows of `_class_counts`: `_class_table`'s classes)."""
    counts = np.atleast_2d(counts)
    han, latin, kana, hangul = (counts[:, k] for k in (_HAN, _LATIN_CLASS, _KANA_CLASS, _HANGUL_CLASS))
    alphabets = counts[:, _FIRST_ALPHABET:] / 4  # letters, as Latin's: ~4-5 a word
    # Han with kana of at least a fifth of them is Japanese (kanji); a Chinese post quoting a の or two stays Chinese
    kanji = (kana > 0) & (kana * 4 >= han)
    japanese, chinese = np.where(kanji, kana + han, kana), np.where(kanji, 0, han)
    foreign = japanese + hangul + alphabets.sum(axis=1)
    other = (foreign > 0) & (foreign * 2 >= chinese + latin / 4)
    named = 3 + np.column_stack([japanese, hangul, alphabets]).argmax(axis=1)  # the first of the largest
    # A Chinese character carries about a word; an English word has ~4-5 letters.
    zh, en = (han > 0) & (han * 4 >= latin), latin >= 2
    return [_CODES[k] for k in np.where(other, named, np.where(zh, 1, np.where(en, 2, 0))).tolist()]


def detect_lang(text: str) -> str | None:
    """'zh', 'en', another language its script names ('ja', 'ko', 'th', …), 'und' (letters of a script written
    for several languages: Cyrillic, Arabic, …), or None (no letters), from character counts (and, for Latin
    letters, the commonest function words: es, fr, de, …)."""
    if not isinstance(text, str) or not text:
        return None
    sample = _sample(text)
    points = np.frombuffer(sample.encode("utf-32-le"), dtype=np.uint32)
    decided = _decide(np.bincount(_CLASS_OF[np.minimum(points, 0x10000)], minlength=_N_CLASSES))
    return _function_word_language(sample) if decided[0] == "en" else decided[0]


def detect_langs(texts: Sequence[str | None] | pa.Array | pa.ChunkedArray) -> list[str | None]:
    """`detect_lang` of each text, counted for all at once on Arrow's UTF-8 bytes (numpy): what a write of many
    records can afford. Only the texts `_sample` may change go through Python."""
    column = texts if isinstance(texts, pa.Array | pa.ChunkedArray) else pa.array(
        [t if isinstance(t, str) else None for t in texts], pa.string())
    if not len(column):
        return []
    samples = pc.utf8_slice_codeunits(column, 0, SAMPLE_CHARS)
    if isinstance(samples, pa.ChunkedArray):
        samples = samples.combine_chunks()
    mask = pc.fill_null(pc.match_substring_regex(samples, _MARKED), False)
    marked = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
    if len(marked):
        sampled = [_sample(t) for t in samples.take(pa.array(marked)).to_pylist()]
        samples = pc.replace_with_mask(samples, mask, pa.array(sampled, samples.type))
    return _latin_language(samples, _decide(_class_counts(*_utf8(samples))))  # a null text counts no letters: None


def _latin_language(samples: pa.StringArray, decided: list[str | None]) -> list[str | None]:
    """`decided` with each text it calls English read again by its function words (`_FUNCTION_WORDS`)."""
    rows = [i for i, lang in enumerate(decided) if lang == "en"]
    # the same Python function as detect_lang's, so one by one and in batches always agree (~5 us a text)
    for i, sample in zip(rows, samples.take(pa.array(rows, pa.int64())).to_pylist() if rows else [], strict=True):
        decided[i] = _function_word_language(sample)
    return decided


def _function_word_language(sample: str) -> str:
    """'en', or the language more of the text's first words are function words of, two at least."""
    hits = [0] * len(_LATIN_LANGS)
    for word in _NON_LETTERS.split(sample[:_WORD_CHARS].lower()):
        for k in _LANGS_OF.get(word, ()):
            hits[k] += 1
    top = max(hits[1:])
    return _LATIN_LANGS[1 + hits[1:].index(top)] if top >= 2 and top > hits[0] else "en"


def _utf8(strings: pa.StringArray | pa.LargeStringArray) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes) of a string array, without copying."""
    _, offsets_buffer, data_buffer = strings.buffers()
    wide = pa.types.is_large_string(strings.type)
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64 if wide else np.int32)[strings.offset:strings.offset + len(strings) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8)[:offsets[-1]] if data_buffer is not None else np.zeros(0, np.uint8)
    return offsets, data


def _class_counts(offsets: np.ndarray, data: np.ndarray) -> np.ndarray:
    """(strings, classes): each string's letters of each class, read from the UTF-8 bytes: ASCII Latin letters are
    single bytes (never part of a longer sequence), every other counted range lies in the two- and three-byte
    sequences, read at their lead byte."""
    latin = np.flatnonzero((data | 0x20) - np.uint8(0x61) < 26)  # A-Z, a-z: the only bytes | 0x20 maps to a-z
    n = len(data)
    two = np.flatnonzero((data[:max(n - 1, 0)] & 0xE0) == 0xC0)
    three = np.flatnonzero((data[:max(n - 2, 0)] & 0xF0) == 0xE0)

    def byte(at: np.ndarray) -> np.ndarray:
        return data[at].astype(np.int32)

    strings = len(offsets) - 1
    flat = np.zeros(strings * _N_CLASSES, dtype=np.int64)
    for at, classes in ((latin, np.full(len(latin), _LATIN_CLASS)),
                        (two, _CLASS_OF[((byte(two) & 0x1F) << 6) | (byte(two + 1) & 0x3F)]),
                        (three, _CLASS_OF[((byte(three) & 0x0F) << 12) | ((byte(three + 1) & 0x3F) << 6)
                                          | (byte(three + 2) & 0x3F)])):
        counted = classes > 0
        rows = np.searchsorted(offsets, at[counted], side="right") - 1  # each array's positions are in order
        flat += np.bincount(rows * _N_CLASSES + classes[counted], minlength=strings * _N_CLASSES)
    return flat.reshape(strings, _N_CLASSES)


def _class_table() -> np.ndarray:
    """Class of each BMP code point (0 not counted, then `_HAN`, `_LATIN_CLASS`, … one per alphabet); the last
    entry stands for every code point beyond."""
    table = np.zeros(0x10001, dtype=np.int64)
    classes = [(_HAN, _CJK), (_LATIN_CLASS, _LATIN + _WIDE_LATIN), (_KANA_CLASS, _KANA), (_HANGUL_CLASS, _HANGUL),
               *((_FIRST_ALPHABET + k, ranges) for k, (_, ranges) in enumerate(_ALPHABETS))]
    for value, ranges in classes:
        for lo, hi in ranges:
            table[lo:hi + 1] = value
    return table


_CLASS_OF = _class_table()


def record_text(text: str | None, title: str | None) -> str:
    """What a record's language is read from: its title and text, as enrichment joins them."""
    return f"{title}\n{text}" if title and text else (title or text or "")


def record_langs(texts: pa.Array | pa.ChunkedArray, titles: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The language of each record, from its text and title columns (also the store's `record_lang` SQL function);
    None where no two-letter code names it ('und' is not stored: a record's lang is ISO 639-1, and the filters read
    a missing one as 'und')."""
    # as record_text: "title\ntext" when both hold something, else whichever does (an empty string counts as none)
    texts, titles = (pc.if_else(pc.equal(c, ""), pa.scalar(None, pa.string()), c) for c in (texts, titles))
    joined = pc.binary_join_element_wise(titles, texts, "\n", null_handling="skip")
    return pa.array([None if lang == UNDETERMINED else lang for lang in detect_langs(joined)], pa.string())


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
