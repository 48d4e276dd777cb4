"""Adapt the sentiment model to one tracker: the base training rows plus the tracker's own labels, weighted up.

Method. The tracker's labels (one per item: the majority of its human annotators, status "labelled") join
the base model's training rows (`load_training_rows`, ../shared/data) as 3-class rows, class-balanced and
multiplied by `weight`; the same partial-label logistic regression is fitted (`fit_scorer`). Honest figures
come from k-fold cross-validation over the tracker's labels: for each fold the model is refitted on the
base rows plus the other folds' labels and scores the held-out fold, so every label is predicted by a model
that never saw it. The base model is the shipped one, which never saw any of them. Both get macro-F1 with a
percentile-bootstrap 95% interval, and their difference a paired bootstrap interval. The temperature is
fitted on the out-of-fold logits, so probabilities are calibrated on the tracker's own texts.

Language-model pre-labels (annotator "llm:<model>") are left out unless asked for, and then only after their
agreement with the human labels has been measured (`actorwatch adapt --use-llm-labels` prints it).
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import DegenerateDataWarning, bootstrap

from analysis.core.labels import is_llm, read_labels
from analysis.nlp.agreement import consolidate, llm_vs_humans, pairwise, usable
from analysis.nlp.metrics import confusion, evaluate_classes, macro_f1
from analysis.nlp.sentiment import DEFAULT_MODEL, get_scorer, user_models_dir
from analysis.nlp.sentiment.features import model_input
from analysis.nlp.sentiment.linear import CARD_FILE, softmax
from analysis.nlp.sentiment.training import (
    Hyperparameters,
    TrainingRows,
    fit_scorer,
    fit_temperature,
    load_training_rows,
    stratified_folds,
    weights_digest,
)
from analysis.nlp.tasks import SENTIMENT
from collectors.store import Store

DEFAULT_WEIGHT = 30.0  # chosen by the measurement in docs/labelling.md ("Adapting to a tracker")
DEFAULT_FOLDS = 5
MIN_LABELS = 20
MIN_PER_CLASS = 2
# scorer columns are [negative, neutral, positive]; sentiment classes (= CSV codes) are negative, positive, neutral
ONE_HOT = {0: (1.0, 0.0, 0.0), 1: (0.0, 0.0, 1.0), 2: (0.0, 1.0, 0.0)}
PROBA_TO_CLASS = np.array([0, 2, 1])


class AdaptError(ValueError):
    """Adapting cannot run as asked; the message says why and what to do."""


@dataclass
class TrackerLabels:
    tracker: str
    items: list[str]
    texts: list[str]
    y: np.ndarray  # SENTIMENT class index: 0 negative, 1 positive, 2 neutral
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.items)


def tracker_labels(labels: pd.DataFrame, tracker: str, use_llm: bool = False) -> TrackerLabels:
    """One sentiment label per item of the tracker, with where the labels came from."""
    labels = labels[labels["tracker"] == tracker] if not labels.empty else labels
    llm = labels["annotator"].map(is_llm) if not labels.empty else pd.Series(dtype=bool)
    pool = labels if use_llm else labels[~llm]
    good = usable(pool, "sentiment")
    consolidated = consolidate(good, "sentiment")
    y = np.array([SENTIMENT.index(v) for v in consolidated["sentiment"]], dtype=int)
    status = pool["status"].value_counts().to_dict() if not pool.empty else {}
    per_annotator = good.groupby("annotator").size().to_dict() if not good.empty else {}
    origins = good.groupby("origin").size().to_dict() if not good.empty else {}
    provenance = {
        "n_labels": len(consolidated),
        "annotators": sorted(per_annotator),
        "n_annotators": len(per_annotator),
        "labels_per_annotator": {k: int(v) for k, v in per_annotator.items()},
        "origins": {str(k): int(v) for k, v in origins.items()},
        "labelled_from": _iso(good["labelled_at"].min()) if not good.empty else None,
        "labelled_to": _iso(good["labelled_at"].max()) if not good.empty else None,
        "label_counts": {c: int((y == i).sum()) for i, c in enumerate(SENTIMENT.classes)},
        "items_double_labelled": int((consolidated["n_annotators"] > 1).sum()) if len(consolidated) else 0,
        "left_out": {"unsure": int(status.get("unsure", 0)), "skip": int(status.get("skip", 0)),
                     "contested (tied majority)": int(good["item"].nunique() - len(consolidated)) if not good.empty else 0,
                     "llm pre-labels": 0 if use_llm else int(llm.sum()) if len(llm) else 0},
        "llm_labels_used": bool(use_llm and len(llm) and llm.any()),
        "linked_to_records": int((~consolidated.index.str.startswith("text:")).sum()) if len(consolidated) else 0,
    }
    return TrackerLabels(tracker, list(consolidated.index), list(consolidated["text"]), y, provenance)


def _iso(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


def with_labels(base: TrainingRows, labels: TrackerLabels, index: np.ndarray, weight: float) -> TrainingRows:
    """The base rows plus the chosen labels as 3-class rows, class-balanced and multiplied by `weight`."""
    y = labels.y[index]
    counts = np.bincount(y, minlength=3)
    balance = np.array([len(y) / (3 * c) if c else 0.0 for c in counts])
    return TrainingRows(
        inputs=[*base.inputs, *(model_input(labels.texts[i]) for i in index)],
        allowed=np.vstack([base.allowed, np.array([ONE_HOT[int(c)] for c in y]).reshape(-1, 3)]),
        weights=np.concatenate([base.weights, weight * balance[y]]),
        source=np.concatenate([base.source, np.full(len(y), len(base.files))]),
        labels=np.concatenate([base.labels, y]),
        files=[*base.files, f"labels:{labels.tracker}"],
    )


def paired_gain_ci(y: np.ndarray, base: np.ndarray, adapted: np.ndarray, n_boot: int = 1000,
                   seed: int = 20240601) -> tuple[float, float]:
    """Percentile-bootstrap 95% interval of macro-F1(adapted) − macro-F1(base), items resampled in pairs."""
    if len(y) < 2:
        gain = macro_f1(confusion(y, adapted)) - macro_f1(confusion(y, base))
        return gain, gain

    def gain(t: np.ndarray, b: np.ndarray, a: np.ndarray) -> float:
        return macro_f1(confusion(t, a)) - macro_f1(confusion(t, b))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        res = bootstrap((y, base, adapted), gain, paired=True, vectorized=False, n_resamples=n_boot,
                        method="percentile", random_state=np.random.default_rng(seed))
    lo, hi = res.confidence_interval
    if np.isnan(lo):
        lo = hi = float(res.bootstrap_distribution[0])
    return float(lo), float(hi)


@dataclass(frozen=True)
class AdaptSettings:
    weight: float = DEFAULT_WEIGHT
    compare_weights: tuple[float, ...] = ()  # extra weights cross-validated for the report (not used for the model)
    folds: int = DEFAULT_FOLDS
    seed: int = 20240601
    base: str = DEFAULT_MODEL
    use_llm: bool = False
    n_boot: int = 1000
    name: str | None = None  # default: <base>-<tracker>


def _predict_classes(proba: np.ndarray) -> np.ndarray:
    return PROBA_TO_CLASS[np.asarray(proba).argmax(axis=1)]


def cross_validate(base_rows: TrainingRows, labels: TrackerLabels, weight: float, folds: np.ndarray,
                   hp: Hyperparameters, log: Callable[[str], None]) -> np.ndarray:
    """Out-of-fold logits for every label: each fold scored by a model fitted without it."""
    logits = np.zeros((labels.n, 3))
    k = int(folds.max()) + 1
    for fold in range(k):
        t0 = time.perf_counter()
        train = np.flatnonzero(folds != fold)
        held = np.flatnonzero(folds == fold)
        scorer = fit_scorer(with_labels(base_rows, labels, train, weight), np.arange(len(base_rows.inputs) + len(train)),
                            hp)
        logits[held] = scorer.logits([model_input(labels.texts[i]) for i in held])
        log(f"weight {weight:g}: fold {fold + 1}/{k} fitted in {time.perf_counter() - t0:.0f}s")
    return logits


def adapt(store: Store, tracker: str, shared: Path, settings: AdaptSettings | None = None,
          hp: Hyperparameters | None = None, out_root: Path | None = None,
          log: Callable[[str], None] = print) -> dict[str, Any]:
    """Cross-validate, fit and save the tracker's adapted model; returns the report (also in its card)."""
    settings = settings or AdaptSettings()
    hp = hp or Hyperparameters()
    started = time.perf_counter()
    with store.connect() as con:
        all_labels = read_labels(con, tracker)
    labels = tracker_labels(all_labels, tracker, settings.use_llm)
    agreement = {"pairs": pairwise(all_labels[~all_labels["annotator"].map(is_llm)] if not all_labels.empty
                                   else all_labels, "sentiment"),
                 "llm_vs_humans": llm_vs_humans(all_labels, "sentiment")}
    if settings.use_llm:
        measured = [row for row in agreement["llm_vs_humans"] if row["kappa"] is not None]
        if not measured:
            raise AdaptError(f"tracker {tracker}: the language-model labels' agreement with human labels cannot be "
                             "measured (no overlap with two or more human-labelled items of more than one class); "
                             "label some of the same records by hand first")
    _check_enough(labels)
    counts = np.bincount(labels.y, minlength=3)
    k = max(2, min(settings.folds, int(counts[counts > 0].min())))
    folds = stratified_folds(labels.y, k, settings.seed)

    base = get_scorer(settings.base)
    base_pred = _predict_classes(base.predict_proba(labels.texts))
    base_rows = load_training_rows(shared, hp)
    log(f"tracker {tracker}: {labels.n} labels by {labels.provenance['n_annotators']} annotator(s); "
        f"{len(base_rows.inputs):,} base training rows; {k}-fold cross-validation")

    compared = []
    chosen_logits = None
    for weight in dict.fromkeys([settings.weight, *settings.compare_weights]):
        logits = cross_validate(base_rows, labels, weight, folds, hp, log)
        pred = _predict_classes(softmax(logits))
        report = evaluate_classes(labels.y, pred, SENTIMENT.classes, n_boot=settings.n_boot, seed=settings.seed)
        compared.append({"weight": weight, "cv_macro_f1": report["macro_f1"], "cv_macro_f1_ci95": report["macro_f1_ci95"],
                         "cv_accuracy": report["accuracy"]})
        log(f"weight {weight:g}: cross-validated macro-F1 {report['macro_f1']:.3f} {report['macro_f1_ci95']}")
        if weight == settings.weight:
            chosen_logits, adapted_pred, adapted_report = logits, pred, report
    assert chosen_logits is not None
    base_report = evaluate_classes(labels.y, base_pred, SENTIMENT.classes, n_boot=settings.n_boot, seed=settings.seed)
    gain_ci = paired_gain_ci(labels.y, base_pred, adapted_pred, settings.n_boot, settings.seed)
    allowed = np.array([ONE_HOT[int(c)] for c in labels.y])
    temperature = fit_temperature(chosen_logits, allowed)

    t0 = time.perf_counter()
    everything = np.arange(labels.n)
    rows = with_labels(base_rows, labels, everything, settings.weight)
    name = settings.name or f"{base.name}-{tracker}"
    final = fit_scorer(rows, np.arange(len(rows.inputs)), hp, temperature, name=name)
    final.version = f"{base.version}-{tracker}.{weights_digest(final)[:8]}"
    log(f"final model fitted in {time.perf_counter() - t0:.0f}s (temperature {temperature:.3f})")

    result = {
        "model": name,
        "version": final.version,
        "tracker": tracker,
        "n_labels": labels.n,
        "n_annotators": labels.provenance["n_annotators"],
        "cv_macro_f1_base": base_report["macro_f1"],
        "cv_macro_f1_base_ci95": base_report["macro_f1_ci95"],
        "cv_macro_f1_adapted": adapted_report["macro_f1"],
        "cv_macro_f1_adapted_ci95": adapted_report["macro_f1_ci95"],
        "cv_macro_f1_gain": round(adapted_report["macro_f1"] - base_report["macro_f1"], 4),
        "cv_macro_f1_gain_ci95": [round(v, 4) for v in gain_ci],
        "cv_accuracy_base": base_report["accuracy"],
        "cv_accuracy_adapted": adapted_report["accuracy"],
        "folds": k,
        "weight": settings.weight,
        "weights_compared": compared,
        "base_model": base.name,
        "base_version": base.version,
        "base_note": "the base model never saw these labels, so its figures are on all of them; the adapted model's "
                     f"are out-of-fold ({k}-fold, stratified by class)",
        "agreement": agreement,
        "provenance": labels.provenance,
        "evaluation_base": base_report,
        "evaluation_adapted": adapted_report,
    }
    directory = (out_root or user_models_dir()) / name
    final.save(directory)
    card = build_card(result, base, hp, rows, temperature, time.perf_counter() - started)
    tmp = directory / (CARD_FILE + ".tmp")
    tmp.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(directory / CARD_FILE)
    result["model_dir"] = str(directory)
    return result


def _check_enough(labels: TrackerLabels) -> None:
    counts = np.bincount(labels.y, minlength=3)
    if labels.n < MIN_LABELS:
        raise AdaptError(f"tracker {labels.tracker}: {labels.n} usable sentiment labels; adapting needs at least "
                         f"{MIN_LABELS} (label more on the Label page or import a CSV)")
    present = counts[counts > 0]
    if len(present) < 2 or present.min() < MIN_PER_CLASS:
        raise AdaptError(f"tracker {labels.tracker}: too few labels per class for cross-validation "
                         f"({dict(zip(SENTIMENT.classes, counts.tolist(), strict=True))}); need two classes with "
                         f"at least {MIN_PER_CLASS} each")


def base_card(name: str) -> dict[str, Any]:
    """The base model's card, if it has one (for its English routing and its own measured figures)."""
    from analysis.nlp.sentiment import models_dir

    for directory in (models_dir() / name, user_models_dir() / name):
        path = directory / CARD_FILE
        if path.exists():
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return {}
    return {}


def build_card(result: dict[str, Any], base: Any, hp: Hyperparameters, rows: TrainingRows, temperature: float,
               seconds: float) -> dict[str, Any]:
    tracker = result["tracker"]
    parent = base_card(base.name)
    adapted_eval = {k: result["evaluation_adapted"][k] for k in ("n", "accuracy", "macro_f1", "accuracy_ci95",
                                                                  "macro_f1_ci95", "per_class", "confusion")}
    base_eval = {k: result["evaluation_base"][k] for k in adapted_eval}
    return {
        "name": result["model"],
        "version": result["version"],
        "title": f"{parent.get('title') or base.name}, adapted to tracker {tracker} on its own labels",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "macro_f1": result["cv_macro_f1_adapted"],
        "macro_f1_ci95": result["cv_macro_f1_adapted_ci95"],
        "macro_f1_source": f"{result['folds']}-fold cross-validated on {result['n_labels']} labels of tracker {tracker}",
        "labels": ["negative", "neutral", "positive"],
        "probability_columns": ["negative", "neutral", "positive"],
        "language": parent.get("language", "zh"),
        "english_path": parent.get("english_path"),
        "baseline": {"name": "base", "description": f"the base model {base.name} {base.version}, unadapted"},
        "adapted": {k: v for k, v in result.items() if k not in ("evaluation_base", "evaluation_adapted")},
        "evaluations": [{"file": f"labels of {tracker}", "role": f"{result['folds']}-fold cross-validated "
                         "(out-of-fold) on the tracker's own labels", "caveat": _caveat(result),
                         "default": adapted_eval, "base": base_eval}],
        "method": {"summary": __doc__.split("\n\n")[1].replace("\n", " "),
                   "weight": result["weight"], "temperature": round(temperature, 4),
                   "training_rows": {"base": int((rows.source < len(rows.files) - 1).sum()),
                                     "tracker labels": int((rows.source == len(rows.files) - 1).sum()),
                                     "files": rows.files},
                   "hyperparameters": {"ngram_orders": list(hp.ngram_orders), "min_df": hp.min_df, "l2": hp.l2,
                                       "binary_row_weight": hp.binary_weight, "max_iter": hp.max_iter}},
        "provenance": {"command": f"actorwatch adapt --tracker {tracker} --weight {result['weight']:g}",
                       "training_seconds": round(seconds),
                       "data_note": "label texts stay in the store's labels dataset; the model holds n-gram strings, "
                                    "idf and weights only"},
    }


def _caveat(result: dict[str, Any]) -> str:
    parts = []
    if result["provenance"].get("llm_labels_used"):
        parts.append("includes language-model pre-labels (see agreement)")
    if result["n_labels"] < 100:
        parts.append(f"only {result['n_labels']} labels: wide intervals")
    parts.append("records sampled on the Label page or by `labels export` favour those the base model was unsure of, "
                 "so such labels are harder than a random sample")
    return "; ".join(parts)
