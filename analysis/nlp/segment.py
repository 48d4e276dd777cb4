"""Chinese word segmentation: jieba with the trackers' entity names and domain terms, plus a stopword list.

jieba_fast_dat is used only when it segments a set of probe sentences exactly as jieba does. Its
Tokenizer must be initialised explicitly (its `lcut` does not load the dictionary, and then splits
很少断/太善 wrongly); initialised, release 0.59 still differs from jieba on 2.2% of 110k real and
synthetic posts (ties in the route — 啊啊啊啊啊 — decimals such as 0.25, Latin runs), which the last two
probes catch, so today this falls back to jieba. The check runs once per process, when the tokenizer is
first built. With jieba, `lcut` goes through `exact_cut.ExactCutter`: jieba's own algorithm, dictionary
and HMM with less interpreter work per character (the DAG and route in jieba-next's compiled trie, checked
against the Python loop), word for word the same output.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from analysis.nlp.text import MENTION_PLACEHOLDER, VIDEO_CARD
from collectors.paths import bundled_dir, data_dir

# Probe sentences and jieba 0.42.1's segmentation of them (default dictionary, HMM on).
_PROBES: dict[str, list[str]] = {
    "我发现我喜欢的作者都有以下共同点": ["我", "发现", "我", "喜欢", "的", "作者", "都", "有", "以下", "共同点"],
    "就算不是美食文很少断更": ["就算", "不是", "美食", "文", "很少", "断", "更"],
    "同济大学的学生今天下午去看电影": ["同济大学", "的", "学生", "今天下午", "去", "看", "电影"],
    "倒桩的第一步是要起床啊啊啊啊啊": ["倒", "桩", "的", "第一步", "是", "要", "起床", "啊啊啊", "啊", "啊"],
    "央行下调基准利率0.25个百分点": ["央行", "下调", "基准利率", "0.25", "个", "百分点"],
}
_SPACE_OR_PUNCT = re.compile(r"^[\s\W_]+$")
# Names, not content: a masked mention with the rest of its handle (in a text cleaned before clean_text masked
# @alice.bsky.social whole), and a Weibo video link, "<poster's nickname>的微博视频"
_NOT_CONTENT = re.compile(re.escape(MENTION_PLACEHOLDER) + r"(?:\.[A-Za-z0-9-]+)*|" + VIDEO_CARD)
# English contractions, which jieba cuts at the apostrophe ("aren", "'", "t"): n't is read as "not" (a negator, kept
# as 不 is), the other clitics ('s, 're, 've, 'll, 'd, 'm) go, so no piece of a word becomes a keyword.
_NOT = re.compile(r"(?<![A-Za-z])([A-Za-z]+)n['\u2019]t(?![A-Za-z])")
_NOT_STEMS = {"ca": "can", "wo": "will", "sha": "shall", "ai": "is"}  # can't, won't, shan't, ain't
_CLITIC = re.compile(r"(?<=[A-Za-z])['\u2019](?:s|re|ve|ll|d|m)(?![A-Za-z])", re.IGNORECASE)
_lock = threading.Lock()


def _dict_path(name: str) -> Path:
    return bundled_dir() / "dicts" / name


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def tracker_terms() -> list[str]:
    """Entity names and aliases from the trackers (single tokens only: jieba cannot hold spaces)."""
    try:
        from collectors.trackers import load_trackers

        names = [n for t in load_trackers() for e in t.entities for n in e.all_names()]
    except (ImportError, OSError, ValueError) as exc:  # a broken trackers file must not break segmentation
        logging.getLogger(__name__).warning("tracker names not added to the segmenter: %s", exc)
        names = []
    return sorted({n.strip() for n in names if n.strip() and not any(c.isspace() for c in n.strip())})


def domain_terms() -> list[tuple[str, int | None, str | None]]:
    """(word, freq, pos) from data/dicts/domain_terms.txt."""
    terms = []
    for line in _read_lines(_dict_path("domain_terms.txt")):
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        terms.append((parts[0], freq, parts[2] if len(parts) > 2 else None))
    return terms


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(w.lower() for w in _read_lines(_dict_path("stopwords.txt")))


def _dictionary_cache_dir() -> str | None:
    """This user's folder for jieba's prefix-dictionary cache (<data dir>/cache/jieba), or None (jieba's default, the
    system temp folder) where it cannot be made. jieba's default /tmp/jieba.cache is written by whichever user first
    segments; on a shared server another user cannot read or replace it, and jieba then prints a traceback."""
    try:
        folder = data_dir() / "cache" / "jieba"
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return str(folder) if os.access(folder, os.W_OK) else None


def _agrees_with_jieba(tokenizer: Any) -> bool:
    return all(tokenizer.lcut(text) == expected for text, expected in _PROBES.items())


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    """A private tokenizer instance (not jieba's global one) with the user dictionary loaded."""
    with _lock:
        tokenizer = None
        try:
            import jieba_fast_dat

            jieba_fast_dat.setLogLevel(logging.WARNING)
            candidate = jieba_fast_dat.Tokenizer()
            candidate.initialize()  # lcut alone segments without the dictionary
            if _agrees_with_jieba(candidate):
                tokenizer = candidate
        except Exception:  # noqa: BLE001 — any failure of the optional C build means: use jieba, the reference
            tokenizer = None
        if tokenizer is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.tmp_dir = _dictionary_cache_dir()
        for word, freq, tag in domain_terms():
            tokenizer.add_word(word, freq, tag)
        for name in tracker_terms():
            tokenizer.add_word(name, 20000, "nz")
        return tokenizer


@lru_cache(maxsize=1)
def _cut() -> Any:
    """The fastest cut that segments exactly as the tokenizer does."""
    tokenizer = _tokenizer()
    if type(tokenizer).__module__.split(".")[0] == "jieba":
        from analysis.nlp.exact_cut import ExactCutter

        cutter = ExactCutter(tokenizer)
        # It re-does jieba 0.42.1's cut; should a later jieba cut differently, keep jieba's own.
        if all(cutter.cut(text) == tokenizer.lcut(text) for text in _PROBES):
            return cutter.cut
    return tokenizer.lcut


def backend() -> str:
    """Which library segments: 'jieba_fast_dat' or 'jieba'."""
    return type(_tokenizer()).__module__.split(".")[0]


def lcut(text: str) -> list[str]:
    """Raw jieba segmentation (HMM on), whitespace tokens dropped. Never raises for a str."""
    if not isinstance(text, str) or not text:
        return []
    return [t for t in _cut()(text) if t.strip()]


def _words(text: str) -> str:
    """The text the tokens are cut from: names that are not content blanked, English contractions undone."""
    text = _NOT_CONTENT.sub(" ", text)
    if "'" in text or "\u2019" in text:
        text = _CLITIC.sub("", _NOT.sub(lambda m: f"{_NOT_STEMS.get(m[1].lower(), m[1])} not", text))
    return text


def tokenize(text: str) -> list[str]:
    """Content tokens: lcut without stopwords, punctuation and bare numbers; Latin lower-cased."""
    if not isinstance(text, str) or not text:
        return []
    # straight from the cut: lcut's white-space filter is implied, white space is never a content token
    return _content_tokens(_cut()(_words(text)))


def tokenize_many(texts: Sequence[str]) -> list[list[str]]:
    """`tokenize` of each text; a piece of text that recurs among them (reposts quote whole posts, comments
    repeat phrases) is segmented and filtered once."""
    from analysis.nlp.exact_cut import ExactCutter

    cut = _cut()
    cutter = getattr(cut, "__self__", None)
    if not isinstance(cutter, ExactCutter):
        return [tokenize(text) for text in texts]
    memo: dict[str, list[str]] = {}
    return [cutter.cut(_words(text), memo, _content_tokens)
            if isinstance(text, str) and text else [] for text in texts]


def _content_tokens(tokens: list[str]) -> list[str]:
    kept = _kept_tokens()
    out = []
    for token in tokens:
        word = kept.get(token, _UNSEEN)
        if word is _UNSEEN:
            word = _content_token(token)
            if len(kept) >= _KEPT_MAX:
                kept.clear()
            kept[token] = word
        if word is not None:
            out.append(word)
    return out


_UNSEEN = object()
_KEPT_MAX = 500_000


@lru_cache(maxsize=1)
def _kept_tokens() -> dict[str, str | None]:
    """token → its lower-cased content form, or None: words recur far more often than they are new."""
    return {}


def _content_token(token: str) -> str | None:
    token = token.lower()
    if token in stopwords() or _SPACE_OR_PUNCT.match(token) or token.isdigit():
        return None
    return token
