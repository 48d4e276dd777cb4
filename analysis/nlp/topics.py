"""Topics and frames: keywords per record and per period, NMF topic clusters, and the bilingual frame lexicon.

Keywords are TF-IDF over `analysis.nlp.segment.tokenize` tokens, with jieba's general-Chinese IDF table
as the background (so 的/我们 never win and 非遗/肖像权 do). Per period, a term's weight is the number
of records that carry it as a keyword times how specific it is to that period (smoothed IDF across
periods), so the same subject words do not top every day. Frames come from data/dicts/frames.toml.
"""

from __future__ import annotations

import re
import threading
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from analysis.nlp.entities import TermMatcher
from collectors.paths import bundled_dir

_WORDLIKE = re.compile(r"[\w\u3400-\u9fff]")
MAX_TEXTS = 50_000  # sample cap for on-the-fly keyword and topic computation
# Texts whose tokens stay memoised (about 1 KB each): reposts, comment templates and the keyword, cluster and
# peak views over one filter sample the same texts again, and segmentation is the slow part of all of them.
TERMS_MEMO = 65_536


class FrameFileError(ValueError):
    """frames.toml is missing or invalid; the message names the frame and field."""


@dataclass(frozen=True)
class Frame:
    id: str
    label_en: str
    label_zh: str
    description: str
    zh: tuple[str, ...]
    en: tuple[str, ...]

    @property
    def terms(self) -> tuple[str, ...]:
        return self.zh + self.en


def frames_path() -> Path:
    return bundled_dir() / "dicts" / "frames.toml"


@lru_cache(maxsize=4)
def load_frames(path: str | None = None) -> tuple[Frame, ...]:
    """The frame lexicon (data/dicts/frames.toml unless `path`); raises FrameFileError on a bad file."""
    file = Path(path) if path else frames_path()
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FrameFileError(f"{file}: frame lexicon not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FrameFileError(f"{file}: not valid TOML: {exc}") from None
    frames = []
    for frame_id, body in (raw.get("frame") or {}).items():
        zh, en = body.get("zh", []), body.get("en", [])
        if not isinstance(zh, list) or not isinstance(en, list) or not (zh or en):
            raise FrameFileError(f"{file}: frame {frame_id}: needs a non-empty zh or en list of terms")
        frames.append(Frame(frame_id, str(body.get("label_en", frame_id)), str(body.get("label_zh", "")),
                            str(body.get("description", "")), tuple(map(str, zh)), tuple(map(str, en))))
    if not frames:
        raise FrameFileError(f"{file}: no [frame.<id>] tables")
    return tuple(frames)


@lru_cache(maxsize=4)
def frame_matcher(path: str | None = None) -> TermMatcher:
    # No straddle guard: 演员是非遗 is the debate's own phrase, though 是非 is a dictionary word.
    return TermMatcher({f.id: f.terms for f in load_frames(path)}, nested=False, guard_short=False)


def frames_in(text: str | None) -> list[str]:
    """Ids of the frames whose terms occur in `text`, in order of first mention."""
    return frame_matcher().find(text)


@lru_cache(maxsize=1)
def background_idf() -> tuple[dict[str, float], float]:
    """jieba's IDF table for general Chinese, and its median (the IDF of an unseen term)."""
    import jieba

    idf: dict[str, float] = {}
    with Path(jieba.__file__).with_name("analyse").joinpath("idf.txt").open(encoding="utf-8") as fh:
        for line in fh:
            word, _, value = line.rstrip("\n").rpartition(" ")
            if word:
                idf[word] = float(value)
    values = sorted(idf.values())
    return idf, values[len(values) // 2]


@lru_cache(maxsize=65_536)  # a peak label asks of ~500 texts' tokens, mostly the same words: ~2 us each, a few ms a label
def _is_term(token: str) -> bool:
    return len(token) >= 2 and bool(_WORDLIKE.search(token)) and not token.replace(".", "").isdigit()


def record_keywords(tokens: Sequence[str], k: int = 5) -> list[str]:
    """The `k` tokens of one record with the highest TF × background IDF (ties: first seen).

    `tokens` come from `tokenize` (no stopwords, punctuation or bare numbers); one-character tokens
    are skipped here.
    """
    idf, median = background_idf()
    counts = Counter(t for t in tokens if len(t) > 1)
    ranked = sorted(counts, key=lambda t: -counts[t] * idf.get(t, median))
    return [t for t in ranked[: k + 3] if _is_term(t)][:k]


# At least this many texts not segmented yet go to a worker process: segmentation is pure Python, and in a
# server it would hold the interpreter lock (every other session's page) for seconds.
OFFLOAD_MIN = 2_000
_memo: dict[str, tuple[str, ...]] = {}
_memo_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_failed = False


def _segment(text: str) -> tuple[str, ...]:
    from analysis.nlp.segment import tokenize
    from analysis.nlp.text import clean_text

    return tuple(tokenize(clean_text(text).model_text))


def _remember(found: dict[str, tuple[str, ...]]) -> None:
    with _memo_lock:
        if len(_memo) + len(found) > TERMS_MEMO:  # bounded memory: start over rather than track recency
            _memo.clear()
        _memo.update(found)


def text_tokens(text: str) -> tuple[str, ...]:
    """`tokenize` of a raw text after `clean_text` (what keywords, topics and peak labels read), memoised."""
    hit = _memo.get(text)
    if hit is None:
        hit = _segment(text)
        _remember({text: hit})
    return hit


def many_record_keywords(texts: Sequence[str], k: int = 5) -> list[list[str]]:
    """`record_keywords` of each text's tokens; many texts are done in the worker process (see OFFLOAD_MIN)."""
    if len(texts) >= OFFLOAD_MIN:
        found = _in_worker(_keywords_batch, list(texts), k)
        if found is not _NO_WORKER:
            return found
    return _keywords_batch(texts, k)


def _keywords_batch(texts: Sequence[str], k: int = 5) -> list[list[str]]:
    return [record_keywords(text_tokens(t), k) for t in texts]


_NO_WORKER = object()


def _in_worker(func: Callable[..., Any], *args: Any) -> Any:
    """`func(*args)` in the worker process (started on first use), or _NO_WORKER when none can run."""
    global _pool, _pool_failed
    with _memo_lock:
        if _pool is None and not _pool_failed:
            _pool = _start_pool()
        pool = _pool
    if pool is None:
        return _NO_WORKER
    try:
        return pool.submit(func, *args).result()
    except (BrokenProcessPool, OSError, RuntimeError):
        with _memo_lock:
            _pool, _pool_failed = None, True
        return _NO_WORKER


def _start_pool() -> ProcessPoolExecutor:
    """One worker process, spawned now with a bare `__main__`.

    A spawned child first re-runs the parent's `__main__` file. Streamlit installs each page run's script as
    `__main__` (and never puts the real one back), so the child would run the whole dashboard app in bare mode:
    seconds of CPU, a second snapshot connection and its memory, before segmenting anything.
    """
    import multiprocessing
    import sys
    import types

    # spawn, not fork: a server process has threads (DuckDB's, the web server's) a fork would copy mid-lock
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    main, bare = sys.modules["__main__"], types.ModuleType("__main__")
    sys.modules["__main__"] = bare  # no __file__ and no __spec__: the child leaves its __main__ alone
    try:
        pool.submit(int)  # spawns the worker (synchronously, in this thread) while `__main__` is bare
    finally:
        if sys.modules["__main__"] is bare:  # a page run may have installed its own meanwhile: keep that one
            sys.modules["__main__"] = main
    return pool


def text_terms(text: str) -> tuple[str, ...]:
    """The tokens of `text_tokens` that can be terms (two or more characters, not a number)."""
    return tuple(t for t in text_tokens(text) if _is_term(t))


def top_terms(texts: Iterable[str], k: int = 10) -> list[str]:
    """The `k` most characteristic terms of these texts: records carrying the term × background IDF."""
    idf, median = background_idf()
    df: Counter[str] = Counter()
    for text in texts:
        df.update(set(text_terms(text)))
    return sorted(df, key=lambda t: (-df[t] * idf.get(t, median), t))[:k]








def _as_list(items: object) -> list[str]:
    if not isinstance(items, Iterable):  # a NULL list read through pandas: None, NA or NaN
        return []
    return [str(i) for i in items]  # numpy arrays from DuckDB list columns, or lists


@dataclass(frozen=True)
class Topic:
    id: int
    label: str
    terms: tuple[str, ...]
    size: int  # records whose strongest topic this is
    weight: float  # share of the total topic mass


@dataclass(frozen=True)
class TopicModel:
    topics: tuple[Topic, ...]
    assignments: tuple[int, ...] = field(repr=False)  # per input text: topic id, or -1 (no terms)
    sampled_from: int | None = None  # the texts are a random sample of this many records (None: all of them)
    without_text: int = 0  # records left out before clustering: empty, or only links or mentions after cleaning


def topic_clusters(texts: Sequence[str], n_topics: int = 8, n_terms: int = 6, seed: int = 0,
                   min_df: int = 2) -> TopicModel:
    """NMF topics over TF-IDF of tokenized texts; each labelled by its top three terms (" / ").

    A topic's terms are its NMF weights times the term's background IDF, so generic words (这次, 问题)
    give way to specific ones in the label. Many texts are clustered in the worker process (see OFFLOAD_MIN).
    """
    if len(texts) >= OFFLOAD_MIN:
        model = _in_worker(_topic_clusters, list(texts), n_topics, n_terms, seed, min_df)
        if model is not _NO_WORKER:
            return model
    return _topic_clusters(texts, n_topics, n_terms, seed, min_df)


def _topic_clusters(texts: Sequence[str], n_topics: int, n_terms: int, seed: int, min_df: int) -> TopicModel:
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [text_terms(x) for x in texts]
    # only texts with terms are fitted: an empty one would count in max_df's document total, letting a term found in
    # every real text through (and the clusters would change with the number of empty records)
    rows = np.flatnonzero([bool(d) for d in docs])
    usable = len(rows)
    if usable < 2 or n_topics < 1:
        return TopicModel((), tuple(-1 for _ in docs))
    vectorizer = TfidfVectorizer(analyzer=_identity, min_df=min(min_df, usable), max_df=0.95 if usable > 20 else 1.0,
                                 sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform([docs[i] for i in rows])
    except ValueError:  # every term pruned
        return TopicModel((), tuple(-1 for _ in docs))
    vocab = np.asarray(vectorizer.get_feature_names_out())
    k = max(1, min(n_topics, matrix.shape[0] - 1, matrix.shape[1]))
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400)
    weights = model.fit_transform(matrix)
    has_terms = np.asarray(matrix.sum(axis=1)).ravel() > 0
    assignment = np.full(len(docs), -1)
    assignment[rows] = np.where(has_terms & (weights.max(axis=1) > 0), weights.argmax(axis=1), -1)
    mass = weights.sum(axis=0)
    total = float(mass.sum()) or 1.0
    topics = []
    idf, median = background_idf()
    specificity = np.array([idf.get(t, median) / median for t in vocab])  # labels favour specific words
    for i, component in enumerate(model.components_):
        ranked = component * specificity
        terms = tuple(str(vocab[j]) for j in np.argsort(-ranked)[:n_terms] if component[j] > 0)
        topics.append(Topic(i, " / ".join(terms[:3]), terms, int((assignment == i).sum()), float(mass[i] / total)))
    # a component no record belongs to (spare components on a few repeated texts) would be drawn as a "0%" cluster
    order = sorted((t for t in topics if t.size > 0), key=lambda t: -t.weight)
    remap = {t.id: new for new, t in enumerate(order)}
    topics = [Topic(remap[t.id], t.label, t.terms, t.size, t.weight) for t in order]
    return TopicModel(tuple(topics), tuple(remap.get(int(a), -1) for a in assignment))


def _identity(doc: Sequence[str]) -> Sequence[str]:
    return doc


