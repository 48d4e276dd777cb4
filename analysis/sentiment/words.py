"""Optional word block of the sentiment features: TF-IDF word uni-/bigrams from jieba_fast_dat.

jieba_fast_dat segments a little differently from jieba; that is harmless here because training and
inference use the same segmenter and the same user dictionary (stored in model.npz). analysis.segment
stays the jieba-compatible segmenter for everything else; only its dictionary helpers are reused.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.sparse as sp

_NO_FREQ = -1  # stored in place of None (jieba then suggests a frequency)


def user_dictionary() -> tuple[tuple[str, int], ...]:
    """(word, freq) of the project's segmenter dictionary: domain terms, then tracker names (as segment.py)."""
    from analysis.segment import domain_terms, tracker_terms

    terms = [(word, _NO_FREQ if freq is None else freq) for word, freq, _ in domain_terms()]
    return tuple(terms + [(name, 20000) for name in tracker_terms()])


@lru_cache(maxsize=2)
def _tokenizer(dictionary: tuple[tuple[str, int], ...]) -> Any:
    import jieba_fast_dat

    jieba_fast_dat.setLogLevel(logging.WARNING)
    tokenizer = jieba_fast_dat.Tokenizer()
    for word, freq in dictionary:
        tokenizer.add_word(word, None if freq == _NO_FREQ else freq)
    return tokenizer


def word_ngrams(tokens: list[str], orders: Sequence[int]) -> list[str]:
    """Word n-grams; a bigram is its two words joined by a space (tokens never hold whitespace)."""
    grams: list[str] = []
    if 1 in orders:
        grams.extend(tokens)
    if 2 in orders:
        grams.extend(a + " " + b for a, b in zip(tokens, tokens[1:]))
    return grams


@dataclass
class WordBlock:
    """TF-IDF (sublinear, L2-normalised) word n-grams, scaled by `weight` before joining the char block."""

    vocab: dict[str, int]
    idf: np.ndarray
    orders: tuple[int, ...]
    weight: float
    dictionary: tuple[tuple[str, int], ...]

    def __post_init__(self) -> None:
        if not set(self.orders) <= {1, 2}:
            raise ValueError(f"word n-gram orders must be 1 or 2, not {self.orders}")

    def grams(self, inputs: Sequence[str]) -> list[list[str]]:
        cut = _tokenizer(self.dictionary).lcut
        return [word_ngrams([t for t in cut(text) if not t.isspace()], self.orders) for text in inputs]

    @classmethod
    def fit(cls, inputs: Sequence[str], orders: tuple[int, ...], min_df: int, weight: float,
            dictionary: tuple[tuple[str, int], ...] | None = None) -> WordBlock:
        block = cls({}, np.zeros(0, dtype=np.float32), tuple(orders), weight,
                    user_dictionary() if dictionary is None else dictionary)
        df = Counter(g for grams in block.grams(inputs) for g in set(grams))
        kept = sorted(g for g, count in df.items() if count >= min_df)
        block.vocab = {g: i for i, g in enumerate(kept)}
        block.idf = (np.log((1 + len(inputs)) / (1 + np.array([df[g] for g in kept], dtype=np.float64))) + 1
                     ).astype(np.float32)
        return block

    def transform(self, inputs: Sequence[str]) -> sp.csr_matrix:
        get = self.vocab.get
        rows, cols = [], []
        for row, grams in enumerate(self.grams(inputs)):
            ids = [i for i in map(get, grams) if i is not None]
            cols.extend(ids)
            rows.extend([row] * len(ids))
        shape = (len(inputs), len(self.vocab))
        tf = sp.csr_matrix((np.ones(len(cols), dtype=np.float32), (rows, cols)), shape=shape)
        tf.sum_duplicates()
        tf.data = (1.0 + np.log(tf.data)) * self.idf[tf.indices]
        norms = np.sqrt(np.asarray(tf.multiply(tf).sum(axis=1)).ravel())
        return (sp.diags(self.weight / np.where(norms > 0, norms, 1.0)).astype(np.float32) @ tf).tocsr()

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"word_vocab": np.array(sorted(self.vocab, key=self.vocab.__getitem__)), "word_idf": self.idf,
                "word_orders": np.array(self.orders), "word_weight": np.array(self.weight),
                "word_dict_terms": np.array([w for w, _ in self.dictionary]),
                "word_dict_freqs": np.array([f for _, f in self.dictionary], dtype=np.int64)}

    @classmethod
    def from_arrays(cls, z: Any) -> WordBlock | None:
        """The block stored in an open model.npz, or None for a char-only model."""
        if "word_vocab" not in z:
            return None
        return cls({g: i for i, g in enumerate(z["word_vocab"].tolist())}, z["word_idf"],
                   tuple(int(o) for o in z["word_orders"]), float(z["word_weight"]),
                   tuple(zip(z["word_dict_terms"].tolist(), (int(f) for f in z["word_dict_freqs"]), strict=True)))
