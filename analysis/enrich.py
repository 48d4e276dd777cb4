"""Enrichment: score records not yet scored by the current model version; scores are stored apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from analysis.scores import LABELS, SCORES, SCORES_SCHEMA, SCORES_SPEC
from collectors.store import RECORDS, Store


@dataclass(frozen=True)
class EnrichSummary:
    scored: int
    model_version: str

    def line(self) -> str:
        return f"scored {self.scored:,} records with {self.model_version}"


def unscored(store: Store, model_version: str) -> pa.Table:
    """Records (source, id, text, title, lang) with no score for `model_version`."""
    with store.connect() as con:
        has_scores = bool(store.files(SCORES))
        join = (f"ANTI JOIN (SELECT source, id FROM {SCORES} WHERE model_version = ?) s USING (source, id)"
                if has_scores else "")
        return con.execute(f"SELECT r.source, r.id, r.text, r.title, r.lang FROM {RECORDS} r {join}",
                           [model_version] if has_scores else []).to_arrow_table()


def enrich_store(store: Store, batch_size: int = 20_000, progress: bool = False) -> EnrichSummary:
    """Score every unscored record with the default model, in atomic batches (safe to interrupt and re-run)."""
    from analysis.sentiment import get_scorer, score_texts

    scorer = get_scorer()
    todo = unscored(store, scorer.version)
    total = 0
    for start in range(0, todo.num_rows, batch_size):
        chunk = todo.slice(start, batch_size).to_pydict()
        texts = [(t or "") + (" " + h if h else "") for t, h in zip(chunk["text"], chunk["title"], strict=True)]
        probs = np.asarray(score_texts(texts, chunk["lang"]), dtype=np.float32)
        now = datetime.now(UTC)
        table = pa.Table.from_pydict(
            {"source": chunk["source"], "id": chunk["id"], "model": [scorer.name] * len(texts),
             "model_version": [scorer.version] * len(texts), "p_neg": probs[:, 0], "p_neu": probs[:, 1],
             "p_pos": probs[:, 2], "label": [LABELS[i] for i in probs.argmax(axis=1)], "scored_at": [now] * len(texts)},
            schema=SCORES_SCHEMA,
        )
        store.add_table(SCORES, table, SCORES_SPEC)
        total += len(texts)
    return EnrichSummary(total, scorer.version)
