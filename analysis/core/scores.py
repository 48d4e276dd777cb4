"""The `scores` dataset: sentiment probabilities per record and model version, kept apart from records."""

from __future__ import annotations

import pyarrow as pa

from collectors.store import DatasetSpec

SCORES = "scores"
SCORES_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("id", pa.string()),
        ("model", pa.string()),
        ("model_version", pa.string()),
        ("p_neg", pa.float32()),
        ("p_neu", pa.float32()),
        ("p_pos", pa.float32()),
        ("label", pa.string()),
        ("scored_at", pa.timestamp("us", tz="UTC")),
    ]
)
SCORES_SPEC = DatasetSpec(SCORES, ("source", "id", "model_version"), "scored_at", None, SCORES_SCHEMA)
LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
