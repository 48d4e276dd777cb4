"""The English sentiment model: TF-IDF word 1–2-grams, word-bounded character 2–5-grams and general word
valences (VADER's lexicon), logistic regression.

The default model reads character 1–3-grams, which suit Chinese but carry little of English; English rows are
routed here when this model beat the others on the in-domain English dev split (see training.choose_english_route).
Columns [negative, neutral, positive], like every scorer. Stored as arrays (vocabularies, idf, weights), read back
into scikit-learn vectorisers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from analysis.nlp.sentiment.features import RECENT_ROWS, count_matrix, model_input
from analysis.nlp.sentiment.linear import (
    EMPTY_PROBA,
    MODEL_FILE,
    card_identity,
    model_kind,
    softmax,
    write_model_file,
)
from analysis.nlp.text import clean_text

ENGLISH_MODEL = "en-wordlr-3c"
KIND = "english-word-char-lr"
CHAR_NGRAMS = (2, 5)


_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern


def word_grams(text: str) -> list[str]:
    """Word 1- and 2-grams of a lower-cased text, as scikit-learn's word analyzer makes them (faster)."""
    tokens = _TOKEN.findall(text)
    return tokens + [f"{a} {b}" for a, b in pairwise(tokens)]


def vectorizers(word_vocab: dict[str, int] | None = None, char_vocab: dict[str, int] | None = None) -> list:
    """The two TF-IDF vectorisers (unfitted, or bound to a stored vocabulary)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return [TfidfVectorizer(analyzer=word_grams, sublinear_tf=True, vocabulary=word_vocab, dtype=np.float32),
            TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, lowercase=True,
                            min_df=2, vocabulary=char_vocab, dtype=np.float32)]


class CharBlock:
    """scikit-learn's char_wb TF-IDF transform (sublinear tf, idf, L2 rows) over a fitted vocabulary, computed
    per distinct word once: each word's in-vocabulary n-gram ids are cached, so a batch costs one dict lookup
    per word instead of one per n-gram (tests/test_sentiment_english.py checks it equals scikit-learn's)."""

    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray, cache_size: int = 200_000) -> None:
        self.vocabulary = vocabulary
        self.idf = np.asarray(idf, dtype=np.float32)
        self.cache_size = cache_size
        self._ids: dict[str, np.ndarray] = {}

    def word_ids(self, word: str) -> np.ndarray:
        ids = self._ids.get(word)
        if ids is None:
            padded, vocab = f" {word} ", self.vocabulary
            grams = (padded[i:i + n] for n in range(CHAR_NGRAMS[0], CHAR_NGRAMS[1] + 1)
                     for i in range(len(padded) - n + 1))
            ids = np.array([vocab[g] for g in grams if g in vocab], dtype=np.int32)
            if len(self._ids) >= self.cache_size:
                self._ids.clear()
            self._ids[word] = ids
        return ids

    def transform(self, inputs: Sequence[str]) -> sp.csr_matrix:
        parts: list[np.ndarray] = []
        lengths = np.zeros(len(inputs), dtype=np.int64)
        for row, text in enumerate(inputs):
            for word in text.lower().split():
                ids = self.word_ids(word)
                parts.append(ids)
                lengths[row] += len(ids)
        indices = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
        tf = count_matrix(np.repeat(np.arange(len(inputs)), lengths), indices, len(inputs), len(self.vocabulary))
        tf.data = (1.0 + np.log(tf.data)) * self.idf[tf.indices]
        norms = np.sqrt(np.asarray(tf.multiply(tf).sum(axis=1)).ravel())
        return (sp.diags(1.0 / np.where(norms > 0, norms, 1.0)).astype(np.float32) @ tf).tocsr()


_LEXICON_TOKEN = re.compile(r"[a-z']+")
NEGATION_WINDOW = 3


@dataclass(frozen=True)
class ValenceLexicon:
    """General English word valences (VADER's lexicon, as shipped in vaderSentiment) read as two features: the
    summed positive and negative valence of a text's words, a word after a negator within three words flipped and
    damped as VADER does. The in-domain rows are few; this carries the everyday words they never show."""

    valence: dict[str, float]
    negators: frozenset[str]
    flip: float = -0.74  # vaderSentiment's N_SCALAR

    @classmethod
    def from_vader(cls) -> ValenceLexicon:
        from vaderSentiment.vaderSentiment import N_SCALAR, NEGATE, SentimentIntensityAnalyzer

        return cls(dict(SentimentIntensityAnalyzer().lexicon), frozenset(NEGATE), float(N_SCALAR))

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"valence_terms": np.array(list(self.valence)), "valence": np.array(list(self.valence.values())),
                "negators": np.array(sorted(self.negators)), "negation_flip": np.array(self.flip)}

    @classmethod
    def from_arrays(cls, z: Any) -> ValenceLexicon:
        return cls(dict(zip(z["valence_terms"].tolist(), z["valence"].tolist(), strict=True)),
                   frozenset(z["negators"].tolist()), float(z["negation_flip"]))

    def _negator(self, token: str) -> bool:
        return token in self.negators or "n't" in token

    def transform(self, inputs: Sequence[str]) -> sp.csr_matrix:
        """(n, 2): log1p of the summed positive and of the summed negative valence."""
        out = np.zeros((len(inputs), 2), dtype=np.float32)
        valence = self.valence
        for row, text in enumerate(inputs):
            tokens = _LEXICON_TOKEN.findall(text.lower())
            for j, token in enumerate(tokens):
                v = valence.get(token)
                if v is None:
                    continue
                if any(self._negator(t) for t in tokens[max(0, j - NEGATION_WINDOW):j]):
                    v *= self.flip
                out[row, 0 if v > 0 else 1] += abs(v)
        return sp.csr_matrix(np.log1p(out))


SENTIMENT_COLUMNS = ("negative", "neutral", "positive")


class EnglishScorer:
    """softmax(x·W + b) over [word TF-IDF | char TF-IDF | valence sums]; columns `labels`: [neg, neu, pos] for
    sentiment (the scorer contract), the task's classes for another task (the English emotion model)."""

    english_route = "self"

    def __init__(self, name: str, version: str, vocabularies: tuple[list[str], list[str]],
                 idf: tuple[np.ndarray, np.ndarray], weights: np.ndarray, bias: np.ndarray,
                 lexicon: ValenceLexicon | None = None, task: str = "sentiment") -> None:
        from analysis.nlp.tasks import TASKS

        self.name, self.version = name, version
        self.task = TASKS[task]
        self.labels: tuple[str, ...] = SENTIMENT_COLUMNS if task == "sentiment" else self.task.classes
        self.lexicon = lexicon  # None: a model saved before the valence features (n-grams only)
        self.vocabularies = (list(vocabularies[0]), list(vocabularies[1]))
        self.idf = (np.asarray(idf[0], dtype=np.float64), np.asarray(idf[1], dtype=np.float64))
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float64)
        if self.bias.shape != (len(self.labels),):
            raise ValueError(f"bias {self.bias.shape} does not fit the {len(self.labels)} {task} classes")

    @property
    def classes(self) -> tuple[str, ...]:
        return self.labels

    @cached_property
    def _blocks(self) -> tuple[object, CharBlock]:
        word_vocab, char_vocab = ({g: i for i, g in enumerate(v)} for v in self.vocabularies)
        word = vectorizers(word_vocab)[0]
        word.idf_ = self.idf[0]
        return word, CharBlock(char_vocab, self.idf[1])

    @cached_property
    def _features_id(self) -> str:
        """A digest of what the features depend on: models trained on the same texts (the sentiment and emotion
        English models) featurise a text alike, so one's rows serve the other (features._RecentRows)."""
        digest = hashlib.sha256()
        for vocabulary, idf in zip(self.vocabularies, self.idf, strict=True):
            digest.update("\n".join(vocabulary).encode("utf-8", "surrogatepass") + b"\0" + idf.tobytes())
        if self.lexicon is not None:
            digest.update(repr((sorted(self.lexicon.valence.items()), sorted(self.lexicon.negators),
                                self.lexicon.flip)).encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def features(self, inputs: Sequence[str]) -> sp.csr_matrix:
        """[word TF-IDF | char TF-IDF | valence sums]; each row depends on its text alone."""
        return RECENT_ROWS.get(("english", self._features_id), inputs, self._features)

    def _features(self, inputs: Sequence[str]) -> sp.csr_matrix:
        word, char = self._blocks
        blocks = [word.transform(inputs), char.transform(inputs)]
        if self.lexicon is not None:
            blocks.append(self.lexicon.transform(inputs))
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def logits(self, inputs: Sequence[str]) -> np.ndarray:
        return np.asarray(self.features(inputs) @ self.weights, dtype=np.float64) + self.bias

    def predict_proba(self, texts: Sequence[str], targets: Sequence[str | None] | None = None) -> np.ndarray:
        """(n, k) probabilities in `labels` order; text with nothing left after cleaning is neutral. (`targets`:
        the stance/emotion model interface; unused.)"""
        cleaned = [clean_text(t if isinstance(t, str) else "") for t in texts]
        inputs = [model_input(c) for c in cleaned]
        proba = softmax(self.logits(inputs)) if inputs else np.zeros((0, len(self.labels)))
        empty = np.fromiter((c.is_empty for c in cleaned), dtype=bool, count=len(cleaned))
        proba[empty] = EMPTY_PROBA if self.task.name == "sentiment" else np.eye(len(self.labels))[
            self.labels.index("neutral")]
        return proba

    def save(self, directory: Path) -> Path:
        task = {} if self.task.name == "sentiment" else {"task": np.array(self.task.name)}
        return write_model_file(directory, kind=np.array(KIND), **task, word_vocab=np.array(self.vocabularies[0]),
                                char_vocab=np.array(self.vocabularies[1]), word_idf=self.idf[0],
                                char_idf=self.idf[1], weights=self.weights, bias=self.bias,
                                **(self.lexicon.to_arrays() if self.lexicon is not None else {}))

    @classmethod
    def load(cls, directory: Path) -> EnglishScorer:
        with np.load(directory / MODEL_FILE, allow_pickle=False) as z:
            vocabularies = (z["word_vocab"].tolist(), z["char_vocab"].tolist())
            idf = (z["word_idf"], z["char_idf"])
            weights, bias = z["weights"], z["bias"]
            lexicon = ValenceLexicon.from_arrays(z) if "valence_terms" in z.files else None
            task = str(z["task"]) if "task" in z.files else "sentiment"
        return cls(*card_identity(directory), vocabularies, idf, weights, bias, lexicon, task)


def is_english_model(directory: Path) -> bool:
    return model_kind(directory) == KIND


__all__ = ["ENGLISH_MODEL", "SENTIMENT_COLUMNS", "CharBlock", "EnglishScorer", "ValenceLexicon", "is_english_model", "vectorizers", "word_grams"]
