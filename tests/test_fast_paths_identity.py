"""The quicker paths of cleaning, language reading and the models' features give exactly what the plain code gives.

Each plain version here is the code the quicker one replaced, kept as the reference, run on a few hundred varied
texts (the demo corpus, joined posts, reposts, English, mixed, empty, emoji, full-width and traditional characters,
markup) and on Hypothesis's.
"""

from __future__ import annotations

import re
import sys
import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from analysis.nlp import text as text_module
from analysis.nlp.text import MENTION_PLACEHOLDER, REPOST_SEPARATOR, CleanText, straight_apostrophes
from collectors.lang import DEFAULT_REPOST, EMOTICON, HANDLE, LINK_CARD, MENTION, URL, strip_html

_SPACE = re.compile(r"\s+")

VARIED = [
    "", " ", "\n\t", "😀😀😀", "[doge][哈哈]", "#爱奇艺AI艺人库#", "@某人", "//@某人:", "转发微博", "转发微博 //@某人: 好",
    "The AI artist library from iQIYI is impressive, isn’t it? www.example.com/x", "AI演员 is so fake，真的！",
    "ＡＩ演員的&quot;肖像權&quot;\u200b　問題！", "<p>第一段</p><br/>第二段 <img alt=\"[心]\" src=x>", "http://t.cn/A6x 网页链接",
    "某某的微博视频 看了他的微博视频，很感动", "查看图片 微博正文", "Ｏ网页链接", "１２３ＡＢＣ　ａｂｃ！？", "…… ㈱ ﬁ ① ½ ™",
    "e\u0301 é Ａ\u0301 ｅ\u0301", "张若昀工作室回应：从未签署任何AI协议。 #AI演员#  @张若昀工作室 ", "\u3000\u3000全角空格\u3000",
    "Emoji 👍🏽 and ZWJ 👨‍👩‍👧 family", "我們支持演員維權", "n't’s ʼ don’t", "  多个   空格\u00a0和\u2003其他\u2028空白  ",
    "#a##b# #没有结束", "Ｈｅｌｌｏ　Ｗｏｒｌｄ", "ｈｔｔｐｓ：／／ｔ．ｃｎ／ａ", "WWW.Example.COM", "a//b//c", "@alice.bsky.social hi",
]


def _corpus() -> list[str]:
    from collectors.demo import generate
    from collectors.trackers import load_trackers

    texts = generate(load_trackers(), records=300, seed=11)["text"].to_pylist()
    joined = ["".join(texts[i:i + 6]) for i in range(0, 120, 6)]
    reposts = [f"{a} //@某用户: {b}" for a, b in zip(texts[:40], texts[40:80], strict=True)]
    return [*VARIED, *texts, *joined, *reposts]


def plain_clean(raw: str) -> CleanText:
    """analysis.nlp.text._clean as it was: every pattern on every text, NFKC by unicodedata alone."""
    text = text_module._INVISIBLE.sub("", strip_html(raw))
    text = unicodedata.normalize("NFKC", text)
    text = text_module.to_simplified(text)
    urls = tuple(URL.findall(text))
    if urls:
        text = URL.sub(" ", text)
    text = LINK_CARD.sub(" ", text)
    emoticons = tuple(f"[{m}]" for m in EMOTICON.findall(text))
    hashtags = tuple(h.strip() for h in text_module._HASHTAG.findall(text) if h.strip())
    display = _SPACE.sub(" ", EMOTICON.sub(" ", text) if emoticons else text).strip()
    model = text_module._REPOST.sub(REPOST_SEPARATOR, text) if "//" in text else text
    if "转发微博" in model:
        model = DEFAULT_REPOST.sub(r"\1 ", model)
    mentions = tuple(MENTION.findall(text))
    if "@" in model:
        model = HANDLE.sub(MENTION_PLACEHOLDER, model)
    if hashtags:
        model = text_module._HASHTAG.sub(r" \1 ", model)
    model = straight_apostrophes(model)
    model = _SPACE.sub(" ", model).strip()
    own = model.split("//", 1)[0].strip() if "//" in model else model
    content = model.replace(MENTION_PLACEHOLDER, "").replace("//", "")
    return CleanText(display=display, model_text=model, own_text=own, emoticons=emoticons, hashtags=hashtags,
                     mentions=mentions, urls=urls, is_empty=not text_module._has_content(content))


_BITS = st.sampled_from([*VARIED, "[哈哈]", "#", "@", "//", "ＡＢＣ", "！", "　", "\u0301", "\u00a0", "．", "www.", "://",
                         "网页链接", "视频", "的微博视频", "<br/>", "&amp;", "我們", "’", "\n"])
_TEXTS = st.one_of(st.text(), st.lists(st.one_of(_BITS, st.text(max_size=6)), max_size=25).map("".join))


def test_cleaning_gives_what_the_plain_cleaning_gave_on_varied_texts() -> None:
    texts = _corpus()
    assert len(texts) > 300
    assert [text_module._clean(t) for t in texts] == [plain_clean(t) for t in texts]


@settings(max_examples=400)
@given(_TEXTS)
@example("Ａ\u0301\u3000ｂ")
def test_cleaning_gives_what_the_plain_cleaning_gave(raw: str) -> None:
    assert text_module._clean(raw) == plain_clean(raw)


def test_nfkc_agrees_with_unicodedata_on_every_character_and_beside_combining_marks() -> None:
    chars = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    for ch in chars:
        assert text_module._nfkc(ch) == unicodedata.normalize("NFKC", ch), hex(ord(ch))
    marks = [ch for ch in chars[:0x3000] if unicodedata.combining(ch)]
    for wide in map(chr, [*range(0xFF01, 0xFF5F), 0x3000]):
        for mark in marks:
            for text in (wide + mark, mark + wide, wide + mark + "\u0301", "a" + wide + mark + wide):
                assert text_module._nfkc(text) == unicodedata.normalize("NFKC", text), ascii(text)


@given(st.text(alphabet=st.characters(categories=("Zs", "Zl", "Zp", "Cc", "Lo", "Ll")), max_size=20))
def test_squashed_spaces_are_the_regex_ones(text: str) -> None:
    assert text_module._squash_spaces(text) == _SPACE.sub(" ", text).strip()


def plain_reading_langs(texts: list[str], langs: list[str | None]) -> list[str | None]:
    """analysis.nlp.sentiment.reading_langs as it was: detect_lang of each text's cleaned words, one by one."""
    from analysis.nlp.text import clean_text
    from collectors.lang import detect_lang

    given = [str(lang).strip().lower() or None if lang else None for lang in langs]
    return [detect_lang(clean_text(t).model_text) if lang is None or lang[:2] in ("zh", "en") else lang
            for t, lang in zip(texts, given, strict=True)]


_DECLARED = [None, "zh", "en", "EN ", "fr", "ja", "", "zh-Hant", "und"]


def test_reading_langs_gives_what_one_by_one_detection_gave_on_varied_texts() -> None:
    from analysis.nlp.sentiment import reading_langs

    texts = [*_corpus(), "中" * 2500 + " English words" * 300, "Words " * 900 + "中文" * 3000, "Las actrices " * 500]
    langs = [_DECLARED[i % len(_DECLARED)] for i in range(len(texts))]
    want = plain_reading_langs(texts, langs)
    assert {"zh", "en", "fr", "ja", None} <= set(want)
    assert reading_langs(texts, langs) == want
    assert reading_langs(texts[::-1], langs[::-1]) == want[::-1]  # again, most of them read before
    assert reading_langs(texts[:7], langs[:7]) == want[:7]


@settings(max_examples=200)
@given(st.lists(st.tuples(_TEXTS, st.sampled_from(_DECLARED)), max_size=12))
def test_reading_langs_gives_what_one_by_one_detection_gave(rows: list[tuple[str, str | None]]) -> None:
    from analysis.nlp.sentiment import reading_langs

    texts, langs = [t for t, _ in rows], [lang for _, lang in rows]
    assert reading_langs(texts, langs) == plain_reading_langs(texts, langs)


@settings(max_examples=300)
@given(st.one_of(_TEXTS, st.text(alphabet=st.sampled_from(" \t\n\u3000\u00a0\u2028ab中"), max_size=20)))
def test_entity_text_normalising_gives_what_replacing_every_whitespace_run_gave(text: str) -> None:
    from analysis.nlp.entities import _FOLD, _FOLDED, normalise

    plain = _SPACE.sub(" ", text)
    assert normalise(text) == (plain.translate(_FOLD) if _FOLDED.search(plain) else plain)


def test_stance_cues_give_what_the_plain_negation_check_gave() -> None:
    from analysis.nlp import stance

    def plain_negated(text: str, start: int, zh: frozenset[str], en: frozenset[str]) -> bool:
        if any(ch in zh for ch in text[max(0, start - 2):start]):
            return True
        return any(w in en for w in stance._EN_WORD.findall(text[max(0, start - 14):start].lower())[-2:])

    lex = stance._lexicon()
    texts = [*_corpus(), "我不支持AI演员", "并不反对", "I don't support it", "not against AI", "不 支持", "没有反对"]
    for text in texts:
        for start in range(len(text) + 1):
            assert stance._negated(text, start, lex.zh_negators, lex.en_negators) == plain_negated(
                text, start, lex.zh_negators, lex.en_negators), (text, start)


def test_the_stance_model_scores_a_batch_as_beside_a_row_of_another_target() -> None:
    """Every row of one block is scored without copying them (x itself); a batch of mixed targets copies its rows."""
    import numpy as np

    from analysis.nlp.stance_model import get_stance_model

    model = get_stance_model()
    texts = _corpus()[:200]
    other = next(b for b in model.blocks if b != model.default_block)
    alone = model.predict_proba(texts)
    probe = "爱奇艺的AI演员太离谱了，坚决抵制"
    beside = model.predict_proba([*texts, probe], [None] * len(texts) + [other])
    assert np.array_equal(alone, beside[:-1])
    assert not np.array_equal(beside[-1], model.predict_proba([probe])[0])  # the other target's weights did count


def test_simplifying_converts_the_texts_the_plain_set_test_converted() -> None:
    """Every code point alone, and beside a traditional character beyond the BMP (the finder's second regex)."""
    from analysis.nlp.text import _traditional_chars

    traditional = _traditional_chars()
    beyond = min(ch for ch in traditional if ord(ch) > 0xFFFF)
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        ch = chr(code)
        assert (text_module.to_simplified(ch) is ch) == traditional.isdisjoint(ch), hex(code)
    for text in ("我們", "我们", "😀我们", "😀" + beyond, "\U00020000我们", "abc", ""):
        assert (text_module.to_simplified(text) is text) == traditional.isdisjoint(text), ascii(text)


def test_stance_cue_features_are_the_plain_ones() -> None:
    import numpy as np

    from analysis.nlp.charlr import CUE_SCALE, RULE_SCALE, stance_cue_features
    from analysis.nlp.stance import CUE_CLASSES, cue_counts, stance_from_counts
    from analysis.nlp.tasks import STANCE

    texts = [*_corpus(), "我不支持AI演员", "前提是演员同意，可以接受", "本工作室从未签署任何协议", "I don't support it"]
    plain = np.zeros((len(texts), len(CUE_CLASSES) + len(STANCE.classes)), dtype=np.float32)
    counts = np.zeros((len(texts), len(CUE_CLASSES)), dtype=np.int64)
    for i, text in enumerate(texts):
        found = cue_counts(text)
        counts[i] = [found[c] for c in CUE_CLASSES]
        plain[i, len(CUE_CLASSES) + STANCE.classes.index(stance_from_counts(found).label)] = RULE_SCALE
    plain[:, : len(CUE_CLASSES)] = np.log1p(counts) * CUE_SCALE
    assert np.array_equal(stance_cue_features(texts), plain)
    assert len(set(plain[:, len(CUE_CLASSES):].argmax(axis=1).tolist())) >= 3
    assert stance_cue_features([]).shape == (0, plain.shape[1])
