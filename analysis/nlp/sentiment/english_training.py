"""Training of the English sentiment model (analysis/nlp/sentiment/english.py) with its card.

Rows: the English rows of the in-domain training split and of the developer-written rows (class-balanced); the
shared files are Chinese, so they are not used. C and the weight of the written rows are chosen on the English
rows of the in-domain dev split; test is measured once. `actorwatch train` runs this before the default model,
whose English route then compares it with VADER and with the default model itself on the same dev rows.
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
import scipy.sparse as sp

from analysis.nlp.metrics import evaluate_predictions
from analysis.nlp.sentiment.english import ENGLISH_MODEL, EnglishScorer, ValenceLexicon, vectorizers
from analysis.nlp.sentiment.features import model_input
from analysis.nlp.sentiment.linear import write_card
from analysis.nlp.sentiment.training import (
    DOMAIN_TRAIN,
    LABELLED,
    domain_file_facts,
    domain_pages,
    git_revision,
    headline_fields,
    in_domain_report,
    measure_throughput,
    read_domain,
)
from analysis.nlp.tasks import TASKS

TO_COLUMN = np.array([0, 2, 1])  # CSV label (0 neg, 1 pos, 2 neu) → probability column (neg, neu, pos)
GRID = {"C": (1.0, 3.0, 10.0), "synthetic_weight": (0.3, 1.0)}
SYNTHETIC = "synthetic_train.csv"


def _english(path: Path) -> tuple[list[str], np.ndarray]:
    texts, labels, langs = read_domain(path)
    keep = langs == "en"
    return [t for t, k in zip(texts, keep, strict=True) if k], labels[keep]


def balanced_weights(y: np.ndarray, weight: np.ndarray, k: int) -> np.ndarray:
    """Row weights × class balance: each class present gets the same total weight (the total is kept)."""
    counts = np.bincount(y, weights=weight, minlength=k)
    return weight * weight.sum() / (np.count_nonzero(counts) * np.where(counts > 0, counts, 1)[y])


def fit_english(texts: list[str], labels: np.ndarray, weight: np.ndarray, c: float, name: str = ENGLISH_MODEL,
                task: str = "sentiment") -> EnglishScorer:
    """Fit the vectorisers and a class-balanced logistic regression (sklearn) on labelled English texts; `labels`
    are the task's class indices (sentiment: the CSV codes 0 neg, 1 pos, 2 neu)."""
    from sklearn.linear_model import LogisticRegression

    k = len(TASKS[task].classes)
    columns = TO_COLUMN[labels] if task == "sentiment" else np.asarray(labels, dtype=int)
    inputs = [model_input(t) for t in texts]
    word, char = vectorizers()
    lexicon = ValenceLexicon.from_vader()
    x = sp.hstack([word.fit_transform(inputs), char.fit_transform(inputs), lexicon.transform(inputs)], format="csr")
    clf = LogisticRegression(C=c, max_iter=5000).fit(x, columns, sample_weight=balanced_weights(columns, weight, k))
    seen = clf.classes_.astype(int)
    coef, intercept = np.zeros((k, x.shape[1])), np.full(k, -30.0)  # a class absent from training: never predicted
    if len(seen) == 2:  # scikit-learn keeps one row for two classes: the logit of the second
        coef[seen[1]], intercept[seen] = clf.coef_[0], (0.0, clf.intercept_[0])
    else:
        coef[seen], intercept[seen] = clf.coef_, clf.intercept_
    vocabularies = tuple(sorted(v.vocabulary_, key=v.vocabulary_.__getitem__) for v in (word, char))
    return EnglishScorer(name, "unversioned", vocabularies, (word.idf_, char.idf_), coef.T, intercept, lexicon, task)


def select_english(real: tuple[list[str], np.ndarray], synthetic: tuple[list[str], np.ndarray],
                   dev_f1: Callable[[EnglishScorer], float], name: str, task: str = "sentiment",
                   log: Callable[[str], None] = print, grid: dict[str, tuple[float, ...]] | None = None,
                   ) -> tuple[EnglishScorer, dict[str, Any], list[dict[str, Any]]]:
    """Choose C and the written rows' weight (`grid`, default GRID) by `dev_f1` (English dev rows only), refit with the best and
    version the model by its weights: (model, chosen, trials). Rows are (texts, class indices as fit_english reads
    them)."""
    texts, labels = real[0] + synthetic[0], np.concatenate([real[1], synthetic[1]])

    def fit(c: float, synthetic_weight: float) -> EnglishScorer:
        weight = np.concatenate([np.ones(len(real[0])), np.full(len(synthetic[0]), synthetic_weight)])
        return fit_english(texts, labels, weight, c, name, task)

    trials = []
    grid = grid or GRID
    for c, synthetic_weight in product(grid["C"], grid["synthetic_weight"]):
        f1 = dev_f1(fit(c, synthetic_weight))
        trials.append({"C": c, "synthetic_weight": synthetic_weight, "dev_macro_f1": f1})
        log(f"{name} C={c} synthetic_weight={synthetic_weight}: dev macro-F1 {f1:.3f}")
    best = max(trials, key=lambda t: t["dev_macro_f1"])
    scorer = fit(best["C"], best["synthetic_weight"])
    scorer.version = f"1.0.{weights_digest(scorer)[:8]}"
    return scorer, best, trials


def features_note() -> str:
    """How the English models read a text (for their cards)."""
    return ("TF-IDF (sublinear tf) word 1–2-grams (scikit-learn's default tokens) and word-bounded character "
            "2–5-grams (min_df 2) of the cleaned, lower-cased text, plus log1p of the summed positive and negative "
            f"word valences from VADER's lexicon ({_vader_version()}; a negator within three words before flips and "
            "damps by 0.74; the lexicon is stored inside model.npz)")


def weights_digest(scorer: EnglishScorer) -> str:
    digest = hashlib.sha256()
    for vocabulary in scorer.vocabularies:
        digest.update("\n".join(vocabulary).encode("utf-8"))
    lexicon = scorer.lexicon.to_arrays() if scorer.lexicon is not None else {}
    for array in (*scorer.idf, scorer.weights, scorer.bias, *lexicon.values()):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def train_english(out_dir: Path, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Choose C and the written rows' weight on English dev, fit, evaluate, write model.npz + card.json."""
    started = time.perf_counter()
    real_texts, real_labels = _english(LABELLED / "train.csv")
    syn_texts, syn_labels = _english(LABELLED / SYNTHETIC)
    dev_texts, dev_labels = _english(LABELLED / "dev.csv")
    if not real_texts or not dev_texts:
        raise ValueError("no English rows (lang = en) in data/labelled/train.csv or dev.csv")

    def dev_f1(scorer: EnglishScorer) -> float:
        return evaluate_predictions(dev_labels, scorer.predict_proba(dev_texts), n_boot=100)["macro_f1"]

    scorer, best, trials = select_english((real_texts, real_labels), (syn_texts, syn_labels),
                                          dev_f1, ENGLISH_MODEL, log=log)

    in_domain = {}
    for split in ("dev", "test"):
        split_texts, split_labels, langs = read_domain(LABELLED / f"{split}.csv")
        english = langs == "en"
        chosen = [t for t, e in zip(split_texts, english, strict=True) if e]
        in_domain[split] = {"file": f"data/labelled/{split}.csv (en)",
                            **in_domain_report(split_labels[english], scorer.predict_proba(chosen), langs[english],
                                               domain_pages(LABELLED / f"{split}.csv")[english])}
    test = in_domain["test"]
    log(f"English model {scorer.version}: in-domain English test macro-F1 {test['macro_f1']:.3f} {test['macro_f1_ci95']}")
    speed = measure_throughput(scorer, (dev_texts * (1 + 5000 // len(dev_texts)))[:5000])
    scorer.save(out_dir)
    facts = domain_file_facts()
    card = {
        "name": ENGLISH_MODEL, "version": scorer.version, "task": "sentiment", "language": "en",
        "classes": ["negative", "positive", "neutral"],
        "title": "AI-actor sentiment in English, 3 classes: logistic regression over TF-IDF word 1–2-grams and "
                 "character 2–5-grams",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **headline_fields(test, "data/labelled/test.csv (en)", "real English sentences about AI actors"),
        "in_domain": in_domain,
        "evaluations": [{"file": "data/labelled/test.csv (en)", "role": "in-domain test split", "default": test}],
        "targets": {"in-domain test en macro_f1 >= 0.70": test["macro_f1"] >= 0.70},
        "method": {"features": features_note(),
                   "classifier": "multinomial logistic regression (sklearn), class-balanced sample weights",
                   "selection": {"grid": GRID, "chosen": best, "trials": trials,
                                 "on": f"data/labelled/dev.csv, English rows (n = {len(dev_texts)})"}},
        "training_files": [{**f, "rows_used": {"en": len(real_texts) if "synthetic" not in f["file"]
                                               else len(syn_texts)}}
                           for f in facts if f["file"].removeprefix("data/labelled/") in DOMAIN_TRAIN],
        "training_rows": {"real": len(real_texts), "synthetic": len(syn_texts)},
        "evaluation_files": [f for f in facts if f["file"].removeprefix("data/labelled/") not in DOMAIN_TRAIN],
        "speed_posts_per_s": round(speed, 1),
        "speed_note": "predict_proba (cleaning included) on 5,000 English dev texts, one process, best of 3",
        "provenance": {**git_revision(), "training_seconds": round(time.perf_counter() - started),
                       "command": "actorwatch train --task sentiment (trained first; the default model routes "
                                  "English rows here when it wins on English dev)"},
        "caveats": [(f"Trained on {len(real_texts):,} real and {len(syn_texts):,} developer-written English rows: "
                     "a small set, so its interval is wide.")],
    }
    write_card(out_dir, card)
    return card


def _vader_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"vaderSentiment {version('vaderSentiment')}"
    except PackageNotFoundError:
        return "vaderSentiment"
