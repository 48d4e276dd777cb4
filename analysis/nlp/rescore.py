"""Score a tracker's records with a named sentiment model (e.g. one adapted to it), resumably.

`actorwatch enrich --model NAME [--tracker T]`: English rows still go to VADER, the rest to the named model
(as `score_texts` routes them); rows land in `scores` under that model's version, beside the default
model's. Only records without a score of that version are scored, in batches written atomically, so an
interrupted run resumes where it stopped. Annotations (stance, entities…) are left as they are.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from analysis.core.scores import LABELS, SCORES, SCORES_SCHEMA, SCORES_SPEC
from analysis.nlp.enrich import _record_text
from analysis.nlp.sentiment import get_scorer, score_texts
from analysis.nlp.sentiment.linear import CARD_FILE
from analysis.nlp.text import clean_text
from collectors.store import RECORDS, Store


@dataclass(frozen=True)
class RescoreSummary:
    model: str
    model_version: str
    tracker: str | None
    scored: int
    remaining: int
    seconds: float

    def line(self) -> str:
        scope = f"tracker {self.tracker}" if self.tracker else "all trackers"
        done = f"scored {self.scored:,} records of {scope} with {self.model} {self.model_version} in {self.seconds:.1f}s"
        return done + (f"; {self.remaining:,} left — run again to resume" if self.remaining else "")


def model_tracker(name: str) -> str | None:
    """The tracker a model was adapted to, from its card (None for a general model)."""
    from analysis.nlp.sentiment import models_dir, user_models_dir

    scorer = get_scorer(name)
    for directory in (models_dir() / name, user_models_dir() / name):
        path = directory / CARD_FILE
        if path.exists():
            card = json.loads(path.read_text(encoding="utf-8"))
            if card.get("version") == scorer.version:
                return (card.get("adapted") or {}).get("tracker")
    return None


def rescore(store: Store, name: str, tracker: str | None = None, batch_size: int = 1000,
            on_batch: Callable[[int], None] | None = None) -> RescoreSummary:
    """Score the tracker's records (all records when None) not yet scored by this model version."""
    started = time.perf_counter()
    scorer = get_scorer(name)
    version = f"{scorer.version}+{get_scorer('vader').version}"
    where = "WHERE list_contains(r.trackers, ?)" if tracker else ""
    params: list[str] = [tracker] if tracker else []
    if not store.files(RECORDS):
        return RescoreSummary(scorer.name, version, tracker, 0, 0, 0.0)
    done = ""
    if store.files(SCORES):
        done = f"ANTI JOIN (SELECT source, id FROM {SCORES} WHERE model_version = ?) s USING (source, id)"
        params = [version, *params]
    with store.connect() as con:
        todo = con.sql(f"SELECT r.source, r.id, r.title, r.text, r.lang FROM {RECORDS} r {done} {where} "
                       "ORDER BY r.source, r.id", params=params).to_arrow_table().to_pylist()
    scored = 0
    for k, start in enumerate(range(0, len(todo), batch_size), 1):
        batch = todo[start:start + batch_size]
        raw = [_record_text(r["text"], r["title"]) for r in batch]
        live = [i for i, t in enumerate(raw) if not clean_text(t).is_empty]
        proba = score_texts([raw[i] for i in live], [batch[i]["lang"] for i in live], default=scorer) \
            if live else np.zeros((0, 3))
        now = datetime.now(UTC)
        table = pa.Table.from_pydict({
            "source": [batch[i]["source"] for i in live], "id": [batch[i]["id"] for i in live],
            "model": [scorer.name] * len(live), "model_version": [version] * len(live),
            "p_neg": proba[:, 0], "p_neu": proba[:, 1], "p_pos": proba[:, 2],
            "label": [LABELS[j] for j in proba.argmax(axis=1)], "scored_at": [now] * len(live)}, schema=SCORES_SCHEMA)
        store.add_table(SCORES, table, SCORES_SPEC)
        scored += len(live)
        if on_batch:
            on_batch(k)
    return RescoreSummary(scorer.name, version, tracker, scored, 0, time.perf_counter() - started)
