"""Helpers for the enrichment, topic and entity tests: a cheap deterministic sentiment scorer and a record store."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from collectors.models import Record
from collectors.store import Store

NEGATIVE_WORDS = ("恶心", "抵制", "disgusting", "boycott")
POSITIVE_WORDS = ("期待", "厉害", "impressive", "excited")


class FakeScorer:
    """Negative if a negative word occurs, positive if a positive one does, else neutral."""

    labels = ("negative", "neutral", "positive")

    def __init__(self, name: str = "fake", version: str = "fake-1") -> None:
        self.name, self.version = name, version

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        out = np.tile([0.2, 0.6, 0.2], (len(texts), 1))
        for i, text in enumerate(texts):
            if any(w in text for w in NEGATIVE_WORDS):
                out[i] = (0.8, 0.1, 0.1)
            elif any(w in text for w in POSITIVE_WORDS):
                out[i] = (0.1, 0.1, 0.8)
        return out


def install_fake_sentiment(monkeypatch: pytest.MonkeyPatch, version: str = "fake-1") -> FakeScorer:
    """Replace the sentiment module's scorer in this process (forked pool workers inherit it)."""
    from analysis.nlp import sentiment

    scorer = FakeScorer(version=version)
    english = FakeScorer("fake-en", version + "-en")
    monkeypatch.setattr(sentiment, "get_scorer", lambda name=None: english if name == "vader" else scorer)
    monkeypatch.setattr(sentiment, "score_texts",
                        lambda texts, langs=None, default=None, english_model=None: (default or scorer).predict_proba(list(texts)))
    return scorer


def write_records(store: Store, make_record: Callable[..., Record], texts: Sequence[str],
                  start: datetime = datetime(2026, 4, 20, 8, tzinfo=UTC), per_day: int | None = None,
                  **overrides: object) -> list[Record]:
    """One record per text (ids t0, t1, …), `per_day` records per day from `start` (all on one day if None)."""
    records = []
    for i, text in enumerate(texts):
        day = i // per_day if per_day else 0
        records.append(make_record(id=f"r{i:05d}", text=text, published_at=start + timedelta(days=day, minutes=i),
                                   **overrides))
    store.add_records(records)
    return records
