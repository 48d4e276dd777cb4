"""Features for the linear sentiment model: TF-IDF character n-grams plus a few lexicon counts.

Character n-grams need no segmenter (fast, robust to Weibo spelling); the lexicon block carries
hand-written sentiment and AI-performer topic words (with negation flipping) and emoticon polarity,
so words rare in the training posts still push the score the right way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import add
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp

from analysis.nlp.text import CleanText, clean_text
from collectors.paths import bundled_dir

MAX_CHARS = 5000  # longer texts are scored on their first 5,000 characters
LEXICON_FEATURES = ("lex_pos", "lex_neg", "emo_pos", "emo_neg")
LEXICON_SCALE = 0.5
_EMOTICON = re.compile(r"\[[^\[\]\s]{1,10}\]")
_NEGATORS = ("一点也不", "一点都不", "不是很", "并没有", "从来不", "并不", "毫不", "没有", "不太", "从不", "不", "没", "别", "未", "无")


def model_input(text: str | CleanText) -> str:
    """What the n-gram model reads: cleaned model text, lower-cased, capped in length."""
    cleaned = text if isinstance(text, CleanText) else clean_text(text)
    return cleaned.model_text.lower()[:MAX_CHARS]


def lexicon_path() -> Path:
    return bundled_dir() / "dicts" / "sentiment_lexicon.tsv"


@dataclass(frozen=True)
class Lexicon:
    words: dict[str, int]  # word → +1 / -1
    emoticons: dict[str, int]

    @classmethod
    def load(cls, path: Path | None = None) -> Lexicon:
        path = path or lexicon_path()
        words: dict[str, int] = {}
        emoticons: dict[str, int] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            word, polarity, kind = line.split("\t")[:3]
            (emoticons if kind == "emoticon" else words)[word.lower()] = 1 if int(polarity) > 0 else -1
        return cls(words, emoticons)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The lexicon as arrays, so a saved model keeps the exact lexicon it was trained with."""
        items = [(w, p, "word") for w, p in self.words.items()] + [(w, p, "emoticon") for w, p in self.emoticons.items()]
        return {"lexicon_terms": np.array([i[0] for i in items]), "lexicon_polarity": np.array([i[1] for i in items]),
                "lexicon_is_emoticon": np.array([i[2] == "emoticon" for i in items])}

    @classmethod
    def from_arrays(cls, terms: np.ndarray, polarity: np.ndarray, is_emoticon: np.ndarray) -> Lexicon:
        words: dict[str, int] = {}
        emoticons: dict[str, int] = {}
        for term, pol, emo in zip(terms.tolist(), polarity.tolist(), is_emoticon.tolist(), strict=True):
            (emoticons if emo else words)[term] = int(pol)
        return cls(words, emoticons)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(_trie_regex(self.words))

    def counts(self, text: str) -> tuple[int, int, int, int]:
        """(positive, negative, positive emoticon, negative emoticon) hits; a negator just before flips a word."""
        pos = neg = 0
        for match in self.pattern.finditer(text):
            polarity = self.words[match.group()]
            if text.endswith(_NEGATORS, max(0, match.start() - 4), match.start()):
                polarity = -polarity
            if polarity > 0:
                pos += 1
            else:
                neg += 1
        emo_pos = emo_neg = 0
        if "[" in text:
            for code in _EMOTICON.findall(text):
                polarity = self.emoticons.get(code, 0)
                emo_pos += polarity > 0
                emo_neg += polarity < 0
        return pos, neg, emo_pos, emo_neg


def _trie_regex(words: Iterable[str]) -> str:
    """One regex for many words, nested by shared prefixes (far faster than a flat alternation)."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def render(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + render(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not ends else "(?:" + "|".join(branches) + ")"
        return body + "?" if ends else body

    return render(trie) or "(?!)"


def char_ngrams(text: str, orders: Sequence[int]) -> list[str]:
    grams: list[str] = []
    for n in orders:
        if n == 1:
            grams.extend(text)
        elif n == 2:
            grams.extend(map(add, text, text[1:]))
        elif n == 3:
            grams.extend(map(add, map(add, text, text[1:]), text[2:]))
        else:
            grams.extend(text[i:i + n] for i in range(len(text) - n + 1))
    return grams


_BITS = 21  # every code point fits in 21 bits, so up to three characters pack into one int64 key


def gram_key(gram: str) -> int:
    """The int64 key of a 1–3 character n-gram (characters packed 21 bits each)."""
    key = 0
    for ch in gram:
        key = (key << _BITS) | ord(ch)
    return key


def _keys_and_docs(inputs: Sequence[str], orders: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """All n-gram keys of all inputs and the input each came from, without a Python loop per n-gram.

    Inputs are joined with NUL separators (NUL inside a text becomes a space); a key is kept only
    if none of its characters is a separator, so n-grams never straddle two inputs.
    """
    joined = "\0".join(t.replace("\0", " ") for t in inputs) + "\0"
    cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.int64)
    sep = cp == 0
    doc = np.cumsum(sep) - sep
    real = ~sep
    keys, docs = [], []
    for n in orders:
        if len(cp) < n:
            continue
        key = cp[: len(cp) - n + 1].copy()
        valid = real[: len(cp) - n + 1].copy()
        for offset in range(1, n):
            key = (key << _BITS) | cp[offset: len(cp) - n + 1 + offset]
            valid &= real[offset: len(cp) - n + 1 + offset]
        keys.append(key[valid])
        docs.append(doc[: len(cp) - n + 1][valid])
    if not keys:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(keys), np.concatenate(docs)


@dataclass
class Featurizer:
    """Maps model inputs to a CSR matrix: [TF-IDF char n-grams (L2-normalised) | lexicon counts]."""

    vocab: dict[str, int]
    idf: np.ndarray
    orders: tuple[int, ...]
    lexicon: Lexicon

    def __post_init__(self) -> None:
        if not set(self.orders) <= {1, 2, 3}:
            raise ValueError(f"character n-gram orders must be 1, 2 or 3, not {self.orders}")

    @property
    def n_features(self) -> int:
        return len(self.vocab) + len(LEXICON_FEATURES)

    @cached_property
    def _lookup(self) -> tuple[KeyIndex, np.ndarray]:
        """The vocabulary's keys, and the feature id of each."""
        keys = np.fromiter(map(gram_key, self.vocab), dtype=np.int64, count=len(self.vocab))
        ids = np.fromiter(self.vocab.values(), dtype=np.int64, count=len(self.vocab))
        return KeyIndex(keys), ids

    @classmethod
    def fit(cls, inputs: Sequence[str], orders: tuple[int, ...] = (1, 2, 3), min_df: int = 2,
            lexicon: Lexicon | None = None) -> Featurizer:
        keys, docs = _keys_and_docs(inputs, orders)
        pairs = np.unique(np.column_stack([keys, docs]), axis=0)  # one count per (n-gram, input)
        uniq, df = np.unique(pairs[:, 0], return_counts=True)
        kept = df >= min_df
        grams = [_key_gram(k) for k in uniq[kept].tolist()]
        order = sorted(range(len(grams)), key=grams.__getitem__)
        vocab = {grams[j]: i for i, j in enumerate(order)}
        idf = (np.log((1 + len(inputs)) / (1 + df[kept][order])) + 1).astype(np.float32)
        return cls(vocab, idf, tuple(orders), lexicon or Lexicon.load())

    def counts(self, inputs: tuple[str, ...]) -> sp.csr_matrix:
        """n-gram counts per input over the vocabulary (canonical CSR: columns sorted, no duplicates)."""
        space = _SPACES.get(id(self))
        if space is not None and space[0] is self:
            shared = space[1].counts_for(self, inputs)
            if shared is not None:
                return shared
        n, v = len(inputs), len(self.vocab)
        keys, docs = _RECENT.get(("grams", self.orders), inputs, lambda: _keys_and_docs(inputs, self.orders))
        index, ids = self._lookup
        pos = index.positions(keys)
        hit = pos >= 0
        return count_matrix(docs[hit], ids[pos[hit]], n, v)

    def transform(self, inputs: Iterable[str]) -> sp.csr_matrix:
        inputs = tuple(inputs)
        tf = self.counts(inputs)
        tf.data = (1.0 + np.log(tf.data)) * self.idf[tf.indices]  # sublinear tf × idf
        norms = np.sqrt(np.asarray(tf.multiply(tf).sum(axis=1)).ravel())
        tf = sp.diags(1.0 / np.where(norms > 0, norms, 1.0)).astype(np.float32) @ tf
        dense = RECENT_ROWS.get(("lexicon", self.lexicon), inputs, lambda texts: np.array(
            [self.lexicon.counts(text) for text in texts], dtype=np.float32).reshape(len(texts), -1))
        lex = np.log1p(dense) * LEXICON_SCALE
        return sp.hstack([tf, sp.csr_matrix(lex)], format="csr", dtype=np.float32)


class _RecentInputs:
    """The last few results per kind of work, for the same inputs.

    Models that share no gram space (GramSpace) but read the same batch of texts reuse the first one's n-gram
    keys, which depend only on the inputs and the n-gram orders.
    """

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._entries: list[tuple[object, tuple[str, ...], Any]] = []

    def get(self, kind: object, inputs: tuple[str, ...], make: Callable[[], T]) -> T:
        for entry_kind, entry_inputs, value in self._entries:
            if entry_kind == kind and (entry_inputs is inputs or entry_inputs == inputs):
                return value
        value = make()
        self._entries.append((kind, inputs, value))
        del self._entries[: -self._size]
        return value


T = TypeVar("T")
_RECENT = _RecentInputs()


class _RecentRows:
    """Per kind of work, the rows made for the texts of the last calls, by text.

    Enrichment's stance and emotion models read each post's own words, its sentiment model the whole record: the
    same text for most rows, but not the same batch of inputs. A row (n-gram counts, lexicon counts) depends only on
    its text, so a later call makes rows for its new texts alone and takes the rest from the earlier calls'. A call
    that finds under half of its texts kept (the next batch) starts afresh, so at most ~3 batches' rows are kept.
    """

    def __init__(self) -> None:
        self._entries: list[tuple[object, dict[str, int], Any]] = []

    def get(self, kind: object, inputs: Sequence[str], make: Callable[[list[str]], M]) -> M:
        """The rows of `inputs`, where make(texts) gives one row per text (a CSR matrix or an array)."""
        if not inputs or len(inputs) > MAX_KEPTRECENT_ROWS:  # none, or a training set's worth: nothing to keep
            return make(list(inputs))
        entry = next((k for k, e in enumerate(self._entries) if e[0] == kind), None)
        known, table = ({}, None) if entry is None else self._entries.pop(entry)[1:]
        new = list(dict.fromkeys(text for text in inputs if text not in known))
        if 2 * (len(inputs) - len(new)) < len(inputs) or len(known) + len(new) > 3 * len(inputs):
            known, table, new = {}, None, list(dict.fromkeys(inputs))
        if new:
            made = make(new)
            known.update(zip(new, range(len(known), len(known) + len(new)), strict=True))
            table = made if table is None else (sp.vstack([table, made], format="csr") if sp.issparse(made)
                                                else np.concatenate([table, made]))
        self._entries.append((kind, known, table))
        del self._entries[:-6]  # the kinds enrichment reads a batch for (n-grams, lexicon, English, languages)
        return table[np.fromiter((known[text] for text in inputs), dtype=np.int64, count=len(inputs))]


M = TypeVar("M")
MAX_KEPTRECENT_ROWS = 20_000
RECENT_ROWS = _RecentRows()


class GramSpace:
    """One n-gram lookup and one count matrix for several featurizers over the same texts.

    Enrichment's sentiment, stance and emotion models each have their own vocabulary, all numbered in
    gram order. Counting once over the union vocabulary (also in gram order) and keeping each model's
    columns gives exactly the matrix the model would count on its own: the same counts in the same
    (sorted) column order, so everything computed from it is bit for bit the same.
    """

    def __init__(self, featurizers: Sequence[Featurizer]) -> None:
        self.orders = featurizers[0].orders
        if any(f.orders != self.orders or not _numbered_in_gram_order(f.vocab) for f in featurizers):
            raise ValueError("a shared gram space needs featurizers of the same orders, numbered in gram order")
        # numpy compares unicode arrays by code point, as Python compares str: the same gram order
        vocabs = [np.array(list(f.vocab), dtype="U3") for f in featurizers]
        grams = np.unique(np.concatenate(vocabs))
        keys = _packed_keys(grams)
        self._index, self._size = KeyIndex(keys), len(keys)  # a key's position is its gram's union id
        self._columns: dict[int, np.ndarray] = {}
        for f, vocab in zip(featurizers, vocabs, strict=True):
            column = np.full(len(grams), -1, dtype=np.int64)
            column[np.searchsorted(grams, vocab)] = np.fromiter(f.vocab.values(), dtype=np.int64, count=len(f.vocab))
            self._columns[id(f)] = column
            _SPACES[id(f)] = (f, self)

    def _union_counts(self, inputs: Sequence[str]) -> sp.csr_matrix:
        keys, docs = _keys_and_docs(inputs, self.orders)
        pos = self._index.positions(keys)
        hit = pos >= 0
        return count_matrix(docs[hit], pos[hit], len(inputs), self._size)

    def counts_for(self, featurizer: Featurizer, inputs: tuple[str, ...]) -> sp.csr_matrix | None:
        """The featurizer's own count matrix, cut from the shared one (None: not one of this space's)."""
        column = self._columns.get(id(featurizer))
        if column is None or not self._size:
            return None
        union = RECENT_ROWS.get(("space", id(self)), inputs, self._union_counts)
        mapped = column[union.indices]
        keep = mapped >= 0
        kept_before = np.concatenate([[0], np.cumsum(keep)])
        return sp.csr_matrix((union.data[keep], mapped[keep].astype(np.int32), kept_before[union.indptr].astype(np.int32)),
                             shape=(len(inputs), len(featurizer.vocab)))


_SPACES: dict[int, tuple[Featurizer, GramSpace]] = {}


def count_matrix(docs: np.ndarray, columns: np.ndarray, n_docs: int, n_columns: int) -> sp.csr_matrix:
    """How often each (doc, column) pair occurs, as a canonical CSR matrix (float32 counts).

    One sort of the pairs as int64 keys, then runs of equal keys counted: ~1.5× faster than scipy's COO→CSR with
    sum_duplicates, which sorts every row's indices again (a third of the gram counting time of a batch).
    numpy's default sort, not a stable one: equal keys are equal ints, so the order among them cannot show, and on
    a batch's keys it is ~4× faster than the stable sort (numpy 2.4: SIMD quicksort against timsort).
    """
    if not len(docs):
        return sp.csr_matrix((n_docs, n_columns), dtype=np.float32)
    keys = np.sort(docs.astype(np.int64) * n_columns + columns)
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    unique = keys[starts]
    counts = np.diff(np.append(starts, len(keys))).astype(np.float32)
    rows = unique // n_columns
    indptr = np.searchsorted(rows, np.arange(n_docs + 1)).astype(np.int32)
    return sp.csr_matrix((counts, (unique - rows * n_columns).astype(np.int32), indptr), shape=(n_docs, n_columns))


class KeyIndex:
    """Where each of many n-gram keys sits among a vocabulary's (distinct) keys, -1 where absent.

    A hash lookup (pandas' Index): a binary search over a vocabulary of hundreds of thousands of keys misses the
    cache on nearly every step for real text's varied n-grams, ~7× slower.
    """

    def __init__(self, keys: np.ndarray) -> None:
        import pandas as pd

        self._index = pd.Index(np.asarray(keys, dtype=np.int64))
        self._index.get_indexer(self._index[:1])  # build the hash table now (before a pool forks, so shared)

    def positions(self, keys: np.ndarray) -> np.ndarray:
        return self._index.get_indexer(keys)


def _packed_keys(grams: np.ndarray) -> np.ndarray:
    """gram_key of every 1–3 character gram of a "U3" array (unused places hold NUL, which no gram contains)."""
    cp = grams.view(np.uint32).reshape(-1, 3).astype(np.int64)
    keys = cp[:, 0].copy()
    for place in (1, 2):
        longer = cp[:, place] != 0
        keys[longer] = (keys[longer] << _BITS) | cp[longer, place]
    return keys


def _numbered_in_gram_order(vocab: dict[str, int]) -> bool:
    ids = np.fromiter(vocab.values(), dtype=np.int64, count=len(vocab))
    grams = list(vocab)
    return bool((np.diff(ids) > 0).all()) and grams == sorted(grams)


def _key_gram(key: int) -> str:
    chars = []
    while key:
        chars.append(chr(key & ((1 << _BITS) - 1)))
        key >>= _BITS
    return "".join(reversed(chars))
