"""The accurate option for stance and emotion: logistic regression over multilingual-e5-small sentence embeddings,
blended with the task's fast char n-gram model (which keeps reading the stance target).

P = alpha · softmax(e · W + b) + (1 − alpha) · P_fast(text, target), columns in `task.classes` order, with its own
alpha on English rows, blended either with the fast model as production routes them (to its English route) or with
its char model's own probabilities, whichever did better on dev; text with nothing left after cleaning is
neutral. Like the e5 sentiment option it embeds about 20 texts per second per
core (embeddings cached by text), so it re-annotates a tracker (`actorwatch enrich --model NAME`) rather than
the whole store, and it is unavailable where the encoder cannot load. A stance row whose target has labelled rows
of its own (NLPCC 2016's five Weibo targets) is scored by that target's model instead (analysis/nlp/target_stance.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analysis.nlp import emotion_model, stance_model
from analysis.nlp.encoder import EmbeddingCache, encoder_version
from analysis.nlp.sentiment import DEFAULT_MODEL as SENTIMENT_DEFAULT
from analysis.nlp.sentiment.e5 import E5_MODEL, E5Part, model_encoder
from analysis.nlp.sentiment.linear import MODEL_FILE, card_identity, model_kind, write_model_file
from analysis.nlp.target_stance import TargetModel
from analysis.nlp.tasks import TASKS, Task
from analysis.nlp.text import clean_text

KIND = "e5-task"
E5_TASK_MODELS = {"stance": "ai-actors-e5-stance-5c", "emotion": "ai-actors-e5-emotion-7c"}
# per task: the fast default, which each e5 option blends with, and the e5 option
FAST_MODELS = {"sentiment": SENTIMENT_DEFAULT, "stance": stance_model.DEFAULT_MODEL, "emotion": emotion_model.DEFAULT_MODEL}
E5_OPTIONS = {"sentiment": E5_MODEL, **E5_TASK_MODELS}


class E5TaskModel(E5Part):
    """Stance or emotion from e5 embeddings blended with the fast model `base` (a model name)."""

    def __init__(self, name: str, version: str, task: Task, weights: np.ndarray, bias: np.ndarray, alpha: float,
                 base: str, cache: EmbeddingCache | None = None, alpha_en: float | None = None,
                 english_partner: str = "route", fast_version: str | None = None,
                 encoder_id: str | None = None, target_models: dict[str, TargetModel] | None = None) -> None:
        self.name, self.version, self.task = name, version, task
        self.target_models = target_models or {}
        self.fast_version = fast_version
        self.encoder_id = encoder_id
        self.retrain = f"actorwatch train --e5 --task {task.name}"
        self._fast = None
        self.weights = np.asarray(weights, dtype=np.float32)  # (384, k)
        self.bias = np.asarray(bias, dtype=np.float64)
        self.alpha = float(alpha)
        self.alpha_en = self.alpha if alpha_en is None else float(alpha_en)  # the e5 weight on English rows
        # "route": blend with the fast model as production routes it; "own": with the char model's own probabilities
        self.english_partner = english_partner
        self.base = base
        self._cache = cache

    @property
    def classes(self) -> tuple[str, ...]:
        return self.task.classes

    @property
    def fast(self) -> Any:
        """The fast model it blends with, loaded once and checked to be the one it was trained with."""
        if self._fast is None:
            from analysis.nlp.charlr import load_task_model

            fast = load_task_model(self.base, self.task, self.base, ())
            if self.fast_version is not None:
                self.check_fast(self.base, getattr(fast, "routed_version", fast.version))
            self._fast = fast
        return self._fast

    def predict_proba(self, texts: Sequence[str], targets: Sequence[str | None] | None = None,
                      langs: Sequence[str | None] | None = None) -> np.ndarray:
        """The blend; `langs` go to the fast model, which routes English rows by them (detect_lang where None)."""
        from analysis.nlp.sentiment import english_mask

        texts = list(texts)
        k = len(self.classes)
        if not texts:
            return np.zeros((0, k))
        alpha = np.full(len(texts), self.alpha)
        if self.alpha_en != self.alpha:
            english = english_mask(texts, langs)
            alpha[english] = self.alpha_en
            langs = ["en" if e else "und" for e in english]  # detected once, for the fast model's route too
        proba = alpha[:, None] * self.e5_proba(texts)
        if (alpha < 1).any():
            fast = self.fast
            own = self.english_partner == "own" and hasattr(fast, "own_proba")
            proba += (1 - alpha)[:, None] * (fast.own_proba(texts, targets) if own else
                                             fast.predict_proba(texts, targets, langs))
        if self.target_models and targets is not None:
            self._score_own_targets(proba, texts, targets)
        empty = np.fromiter((clean_text(t if isinstance(t, str) else "").is_empty for t in texts), dtype=bool,
                            count=len(texts))
        proba[empty] = np.eye(k)[self.classes.index("neutral")]
        return proba

    def _score_own_targets(self, proba: np.ndarray, texts: list[str], targets: Sequence[str | None]) -> None:
        """Rows whose target has a model of its own get that model's probabilities."""
        names = [(t or "").strip() for t in targets]
        for target, model in self.target_models.items():
            rows = [i for i, name in enumerate(names) if name == target]
            if rows:
                chosen = [texts[i] for i in rows]
                cleaned = [clean_text(t if isinstance(t, str) else "").model_text for t in chosen]
                proba[rows] = model.proba(cleaned, self.vectors(chosen), len(self.classes))

    def save(self, directory: Path) -> Path:
        targets = list(self.target_models)
        own = {"target_names": np.array(targets)} if targets else {}
        for i, target in enumerate(targets):
            own.update(self.target_models[target].arrays(f"target{i}"))
        return write_model_file(directory, kind=np.array(KIND), task=np.array(self.task.name), weights=self.weights,
                                bias=self.bias, alpha=np.array(self.alpha), alpha_en=np.array(self.alpha_en),
                                english_partner=np.array(self.english_partner), base=np.array(self.base),
                                **({} if self.fast_version is None else {"fast_version": np.array(self.fast_version)}),
                                encoder=np.array(encoder_version(self.encoder_id)), **own)

    @classmethod
    def load(cls, directory: Path) -> E5TaskModel:
        with np.load(directory / MODEL_FILE, allow_pickle=False) as z:
            task, weights, bias = TASKS[str(z["task"])], z["weights"], z["bias"]
            alpha, base = float(z["alpha"]), str(z["base"])
            alpha_en = float(z["alpha_en"]) if "alpha_en" in z.files else None
            partner = str(z["english_partner"]) if "english_partner" in z.files else "route"
            fast_version = str(z["fast_version"]) if "fast_version" in z.files else None
            names = [str(t) for t in z["target_names"]] if "target_names" in z.files else []
            own = {t: TargetModel.from_arrays(z, f"target{i}") for i, t in enumerate(names)}
        return cls(*card_identity(directory), task, weights, bias, alpha, base, alpha_en=alpha_en,
                   english_partner=partner, fast_version=fast_version, encoder_id=model_encoder(directory),
                   target_models=own)


def is_e5_task_model(directory: Path) -> bool:
    return model_kind(directory) == KIND


__all__ = ["E5_OPTIONS", "E5_TASK_MODELS", "FAST_MODELS", "E5TaskModel", "is_e5_task_model"]
