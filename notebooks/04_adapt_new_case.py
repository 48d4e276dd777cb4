# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Adapting to a case the base model has not seen
#
# The shipped sentiment model was trained on the team's AI-actor corpus, so 200 more sentences like those
# teach it little. A team following a *new* case starts from a model that has not seen it. This notebook
# measures that situation on real labelled text: for each case (a topic tag of data/labelled), it trains a
# base exactly as `actorwatch train` does but without that case's training rows, imports 200 of them as a
# tracker's labels, runs `actorwatch adapt` (default prior method) and scores the case's dev and test rows —
# pages the labels never came from — with the base and the adapted model, as `actorwatch evaluate` would.
#
# Needs ../shared/data (the base's general-Weibo training files). Prints one JSON object per case; about a
# few minutes per case on two cores. `ACTORWATCH_CASES` (comma-separated topic tags) and
# `ACTORWATCH_LABELS_N` change the cases and the number of labels.

# %%
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core.labels import write_labels
from analysis.nlp import adapt as adapt_module
from analysis.nlp.adapt import AdaptSettings, adapt, paired_gain_ci
from analysis.nlp.labelling_keys import Choice, label_row
from analysis.nlp.metrics import evaluate_classes
from analysis.nlp.sentiment import training
from analysis.nlp.sentiment.linear import LinearScorer
from analysis.nlp.tasks import SENTIMENT
from collectors.paths import shared_data_dir
from collectors.store import Store

REPO = Path(__file__).resolve().parent.parent
LABELLED = REPO / "data" / "labelled"
CASES = [c for c in os.environ.get("ACTORWATCH_CASES", "short-drama,face-swap,voice-clone").split(",") if c]
N_LABELS = int(os.environ.get("ACTORWATCH_LABELS_N", "200"))
SEED = 20261205
NAMES = {0: "negative", 1: "positive", 2: "neutral"}


# %%
def base_without(case: str, folder: Path) -> LinearScorer:
    """The shipped recipe (shared files + in-domain train + synthetic rows), minus the case's real rows."""
    train = pd.read_csv(LABELLED / "train.csv")
    folder.mkdir(parents=True, exist_ok=True)
    train[train["topic"] != case].to_csv(folder / "train.csv", index=False)
    (folder / "synthetic_train.csv").write_bytes((LABELLED / "synthetic_train.csv").read_bytes())
    hp = training.Hyperparameters()
    original = training.LABELLED
    training.LABELLED = folder
    try:
        rows = training.load_training_rows(shared_data_dir(), hp)
    finally:
        training.LABELLED = original
    return training.fit_scorer(rows, np.arange(len(rows.inputs)), hp, name=f"base-without-{case}")


def run_case(case: str, work: Path) -> tuple[dict, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    train = pd.read_csv(LABELLED / "train.csv")
    pool = train[(train["topic"] == case) & (train["lang"] == "zh")]
    labels = pool.sample(min(N_LABELS, len(pool)), random_state=SEED)
    held = pd.concat([pd.read_csv(LABELLED / f"{s}.csv") for s in ("dev", "test")])
    held = held[(held["topic"] == case) & (held["lang"] == "zh")]

    base = base_without(case, work / "labelled")
    base_dir = work / "models" / base.name
    base.version = f"without-{case}"
    base.save(base_dir)
    (base_dir / "card.json").write_text(json.dumps({"name": base.name, "version": base.version}), encoding="utf-8")

    os.environ["ACTORWATCH_DATA"] = str(work / "data")
    store = Store()
    write_labels(store, [label_row("iqiyi-nadou", None, None, t, "team", Choice(NAMES[int(y)]), "import")
                         for t, y in zip(labels["text"], labels["label"], strict=True)])
    result = adapt(store, "iqiyi-nadou", settings=AdaptSettings(base=str(base_dir)), log=lambda m: None)
    adapted = adapt_module.get_scorer(result["model_dir"])

    y = np.array([SENTIMENT.index(str(v)) for v in held["label"]])
    texts = held["text"].tolist()
    base_pred = np.array([[0, 2, 1][k] for k in base.predict_proba(texts).argmax(axis=1)])
    adapted_pred = np.array([[0, 2, 1][k] for k in adapted.predict_proba(texts).argmax(axis=1)])
    b = evaluate_classes(y, base_pred, SENTIMENT.classes)
    a = evaluate_classes(y, adapted_pred, SENTIMENT.classes)
    return ({"case": case, "labels": len(labels), "held_out_rows": len(held),
            "base_macro_f1": b["macro_f1"], "base_ci95": b["macro_f1_ci95"],
            "adapted_macro_f1": a["macro_f1"], "adapted_ci95": a["macro_f1_ci95"],
            "gain": round(a["macro_f1"] - b["macro_f1"], 4),
            "gain_ci95": [round(v, 4) for v in paired_gain_ci(y, base_pred, adapted_pred)],
            "cv_on_labels": {"base": result["cv_macro_f1_base"], "adapted": result["cv_macro_f1_adapted"],
                             "verdict": result["verdict"]}}, (y, base_pred, adapted_pred))


def pooled(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> dict:
    """All cases' held-out rows together: macro-F1 of each case's base and adapted model, and the paired gain."""
    y, b, a = (np.concatenate(x) for x in zip(*parts, strict=True))
    base, adapted = evaluate_classes(y, b, SENTIMENT.classes), evaluate_classes(y, a, SENTIMENT.classes)
    return {"case": "pooled", "held_out_rows": len(y), "base_macro_f1": base["macro_f1"],
            "adapted_macro_f1": adapted["macro_f1"], "gain": round(adapted["macro_f1"] - base["macro_f1"], 4),
            "gain_ci95": [round(v, 4) for v in paired_gain_ci(y, b, a)]}


# %%
if __name__ == "__main__":
    if shared_data_dir() is None or not shared_data_dir().is_dir():
        raise SystemExit("needs ../shared/data (the base model's general-Weibo training files)")
    parts = []
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            report, predictions = run_case(case, Path(tmp))
        parts.append(predictions)
        print(json.dumps(report, ensure_ascii=False), flush=True)
    print(json.dumps(pooled(parts), ensure_ascii=False), flush=True)
