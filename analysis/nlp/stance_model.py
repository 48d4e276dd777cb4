"""Stance of a text toward a target: the trained, target-aware model (default) and the rules as a baseline.

Every model has .name, .version, .classes (STANCE.classes order) and
.predict_proba(texts, targets=None) -> (n, 5). Without targets, or for a target the model was not trained
on, a text is read against DEFAULT_TARGET (AI performers and the AI use of performers' likeness).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from analysis.nlp.tasks import STANCE

DEFAULT_TARGET = "AI performers and AI use of performers' likeness"
DEFAULT_MODEL = "stance-charlr-5c"
BASELINES = ("rules",)


@runtime_checkable
class StanceModel(Protocol):
    name: str
    version: str
    classes: tuple[str, ...]

    def predict_proba(self, texts: Sequence[str], targets: Sequence[str] | None = None) -> np.ndarray:
        """(n, 5) probabilities in STANCE.classes order."""
        ...


class RulesStanceModel:
    """The cue rules of analysis/nlp/stance.py with the sentiment model's probabilities, as a one-hot
    'probability' (the baseline; it knows one target only and ignores `targets`)."""

    name = "rules"
    classes = STANCE.classes

    def __init__(self, use_sentiment: bool = True) -> None:
        self.use_sentiment = use_sentiment
        self.version = "rules+sentiment" if use_sentiment else "rules"

    def predict_proba(self, texts: Sequence[str], targets: Sequence[str] | None = None) -> np.ndarray:
        from analysis.nlp.stance import stances

        texts = list(texts)
        proba = None
        if self.use_sentiment and texts:
            from analysis.nlp.sentiment import score_texts

            proba = np.asarray(score_texts(texts), dtype=float)
        labels = [r.label for r in stances(texts, proba)]
        return np.eye(len(self.classes))[[self.classes.index(v) for v in labels]].reshape(len(texts), -1)


def models_dir() -> Path:
    from collectors.paths import models_dir as configured

    return configured()


@lru_cache(maxsize=4)
def get_stance_model(name: str = "default") -> StanceModel:
    """'default' (the shipped model), 'rules', a shipped model name or a model directory."""
    from analysis.nlp.charlr import load_task_model

    if name == "rules":
        return RulesStanceModel()
    return load_task_model(name, STANCE, DEFAULT_MODEL, BASELINES)


__all__ = ["DEFAULT_MODEL", "DEFAULT_TARGET", "RulesStanceModel", "StanceModel", "get_stance_model"]
