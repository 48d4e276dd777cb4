"""Emotion of a text (joy, anger, disgust, sadness, fear, surprise, neutral): the trained model and a
majority-class baseline. Every model has .name, .version, .classes (EMOTION.classes order) and
.predict_proba(texts) -> (n, 7)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol, runtime_checkable

import numpy as np

from analysis.nlp.tasks import EMOTION

DEFAULT_MODEL = "emotion-charlr-7c"
BASELINES = ("majority",)


@runtime_checkable
class EmotionModel(Protocol):
    name: str
    version: str
    classes: tuple[str, ...]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 7) probabilities in EMOTION.classes order."""
        ...


class MajorityEmotionModel:
    """Always 'neutral', the majority class of every labelled set we hold (the baseline)."""

    name = "majority"
    version = "neutral"
    classes = EMOTION.classes

    def predict_proba(self, texts: Sequence[str], targets: Sequence[str] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), len(self.classes)))
        out[:, self.classes.index("neutral")] = 1.0
        return out


@lru_cache(maxsize=4)
def get_emotion_model(name: str = "default") -> EmotionModel:
    """'default' (the shipped model), 'majority', a shipped model name or a model directory."""
    from analysis.nlp.charlr import load_task_model

    if name == "majority":
        return MajorityEmotionModel()
    return load_task_model(name, EMOTION, DEFAULT_MODEL, BASELINES)


__all__ = ["DEFAULT_MODEL", "EmotionModel", "MajorityEmotionModel", "get_emotion_model"]
