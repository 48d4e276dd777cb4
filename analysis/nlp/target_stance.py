"""Stance toward a target that has labelled rows of its own (NLPCC 2016's five Weibo targets): one logistic
regression per target over TF-IDF character 1-3-grams, TF-IDF word 1-2-grams (jieba) and the text's e5 vector.

Part of the e5 stance option (analysis/nlp/e5_task_model.py): a row whose target has such a model is scored by it;
every other row (the trackers' AI-performer target among them) by the option's blend. Pure mapping from arrays to
probabilities; the arrays live in the option's model.npz under `target{i}_…` keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from analysis.nlp.segment import lcut

C = 10.0
E5_WEIGHT = 1.0  # the e5 block's scale beside the two unit-norm TF-IDF blocks
FOLDS = 5
FEATURES = ("TF-IDF character 1-3-grams and TF-IDF word 1-2-grams (jieba; sublinear tf, each block L2-normalised) "
            f"of the cleaned text, and its e5 vector × {E5_WEIGHT}")


def word_grams(text: str) -> list[str]:
    """jieba words and adjacent word pairs."""
    words = lcut(text)
    return words + [f"{a} {b}" for a, b in pairwise(words)]


def _char_vectorizer(vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, vocabulary=vocabulary)


def _word_vectorizer(vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=word_grams, sublinear_tf=True, vocabulary=vocabulary)


@dataclass
class TargetModel:
    """One target's classifier; `classes` index the stance task's classes (NLPCC has three of the five)."""

    char_vocab: np.ndarray
    char_idf: np.ndarray
    word_vocab: np.ndarray
    word_idf: np.ndarray
    coef: np.ndarray  # (len(classes), features)
    intercept: np.ndarray
    classes: np.ndarray

    def proba(self, texts: Sequence[str], vectors: np.ndarray, n_classes: int) -> np.ndarray:
        """(len(texts), n_classes) probabilities of cleaned `texts` with their e5 `vectors`."""
        x = _features(texts, vectors, *self._vectorizers)
        logits = np.asarray(x @ self.coef.T) + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        out = np.zeros((len(texts), n_classes))
        out[:, self.classes] = p / p.sum(axis=1, keepdims=True)
        return out

    @cached_property
    def _vectorizers(self) -> tuple[TfidfVectorizer, TfidfVectorizer]:
        char = _char_vectorizer({str(t): i for i, t in enumerate(self.char_vocab)})
        char.idf_ = self.char_idf
        word = _word_vectorizer({str(t): i for i, t in enumerate(self.word_vocab)})
        word.idf_ = self.word_idf
        return char, word

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}_{k}": np.asarray(getattr(self, k)) for k in self.__dataclass_fields__}

    @classmethod
    def from_arrays(cls, z: object, prefix: str) -> TargetModel:
        return cls(**{k: z[f"{prefix}_{k}"] for k in cls.__dataclass_fields__})  # type: ignore[index]


def _features(texts: Sequence[str], vectors: np.ndarray, char: TfidfVectorizer,
              word: TfidfVectorizer) -> csr_matrix:
    return hstack([char.transform(texts), word.transform(texts), csr_matrix(E5_WEIGHT * vectors)]).tocsr()


def fit_target(texts: Sequence[str], vectors: np.ndarray, y: np.ndarray) -> TargetModel:
    """Fit one target's model on cleaned `texts`, their e5 `vectors` and class indices `y` (class-balanced)."""
    char, word = _char_vectorizer().fit(texts), _word_vectorizer().fit(texts)
    clf = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit(_features(texts, vectors, char, word), y)

    def vocab(v: TfidfVectorizer) -> np.ndarray:
        return np.array(sorted(v.vocabulary_, key=v.vocabulary_.get))

    return TargetModel(vocab(char), char.idf_, vocab(word), word.idf_, clf.coef_.astype(np.float32),
                       clf.intercept_, clf.classes_)


def fit_targets(texts: Sequence[str], vectors: np.ndarray, y: np.ndarray,
                targets: Sequence[str]) -> dict[str, TargetModel]:
    """One model per distinct target."""
    targets = np.asarray(targets)
    return {str(t): fit_target([texts[i] for i in np.flatnonzero(targets == t)], vectors[targets == t],
                               y[targets == t]) for t in sorted(set(targets.tolist()))}


def cross_validated(texts: Sequence[str], vectors: np.ndarray, y: np.ndarray, targets: Sequence[str],
                    fold: np.ndarray, n_classes: int) -> np.ndarray:
    """Out-of-fold class predictions: each fold scored by per-target models fitted on the other folds."""
    targets = np.asarray(targets)
    pred = np.zeros(len(texts), dtype=int)
    for k in np.unique(fold):
        train, held = fold != k, np.flatnonzero(fold == k)
        models = fit_targets([texts[i] for i in np.flatnonzero(train)], vectors[train], y[train], targets[train])
        for target, model in models.items():
            rows = held[targets[held] == target]
            if len(rows):
                pred[rows] = model.proba([texts[i] for i in rows], vectors[rows], n_classes).argmax(axis=1)
    return pred

