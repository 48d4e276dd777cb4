"""Adapt the sentiment model to one tracker's own labels, and measure it on them.

Labels: one per item of the tracker, the majority of its human annotators (status "labelled"; ties left out).

Two methods, both measured by k-fold cross-validation over the tracker's labels (every label predicted by a
model that never saw it; the shipped base model never saw any of them):

- **prior** (default): the base model's weights are the prior. The weights are refitted on the tracker's labels
  (class-balanced log-loss) with a penalty strength/2·|W − W_base|², so the model moves away from the base
  only as far as the labels push it (MAP adaptation, Chelba & Acero 2006). Only the weights of n-grams that
  occur in the labels can move; the rest stay the base's. The strength is chosen by an inner cross-validation
  inside each outer fold (nested, so the reported figure is not tuned on its own test folds), and for the
  final model by cross-validation on all labels. It needs no base training data, so it runs anywhere.
- **refit**: the base training rows (`load_training_rows`, ../shared/data) plus the labels as 3-class rows,
  class-balanced and multiplied by `weight`, refitted from scratch with the base's own method (`fit_scorer`);
  it can learn n-grams the base never saw, but needs the base data and minutes per fit.

Both report macro-F1 with a percentile-bootstrap 95% interval for the base and the adapted model, and a
paired bootstrap interval of the difference. The temperature is fitted on the out-of-fold logits, so
probabilities are calibrated on the tracker's own texts.

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
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.stats import DegenerateDataWarning, bootstrap

from analysis.core.labels import is_llm, read_labels
from analysis.nlp.agreement import consolidate, llm_vs_humans, pairwise, usable
from analysis.nlp.metrics import confusion, evaluate_classes, macro_f1
from analysis.nlp.sentiment import DEFAULT_MODEL, get_scorer, user_models_dir
from analysis.nlp.sentiment.features import model_input
from analysis.nlp.sentiment.linear import CARD_FILE, LinearScorer, softmax
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

METHODS = ("prior", "refit")
DEFAULT_METHOD = "prior"
DEFAULT_WEIGHT = 30.0  # refit: one label counts as much as 30 base rows (measured: docs/label-and-adapt.md)
# prior: the penalty strength on the summed class-balanced loss (so the labels outweigh the prior as they grow).
# 0.2 was best of STRENGTHS on the held-out dev split of the team's AI-actor corpus with 200 training-split labels
# (macro-F1 0.513 vs 0.02: 0.459, 0.06: 0.496, 0.6: 0.497, 2: 0.500; base 0.486); never chosen on a test split.
DEFAULT_STRENGTH = 0.2
STRENGTHS = (0.02, 0.06, 0.2, 0.6, 2.0)  # tried by --strength auto (nested cross-validation)
DEFAULT_FOLDS = 5
INNER_FOLDS = 4
MIN_LABELS = 20
MIN_PER_CLASS = 2
# scorer columns are [negative, neutral, positive]; sentiment classes (= CSV codes) are negative, positive, neutral
ONE_HOT = {0: (1.0, 0.0, 0.0), 1: (0.0, 0.0, 1.0), 2: (0.0, 1.0, 0.0)}
PROBA_TO_CLASS = np.array([0, 2, 1])
PROBA_COLUMN = np.array([0, 2, 1])  # sentiment class → scorer column (the same permutation both ways)


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
    method: str = DEFAULT_METHOD
    weight: float = DEFAULT_WEIGHT  # refit
    compare_weights: tuple[float, ...] = ()  # refit: extra weights cross-validated for the report only
    strength: float | None = DEFAULT_STRENGTH  # prior: None = choose one of `strengths` by nested CV
    strengths: tuple[float, ...] = STRENGTHS
    folds: int = DEFAULT_FOLDS
    seed: int = 20240601
    base: str = DEFAULT_MODEL
    use_llm: bool = False
    n_boot: int = 1000
    name: str | None = None  # default: <base>-<tracker>


def _predict_classes(proba: np.ndarray) -> np.ndarray:
    return PROBA_TO_CLASS[np.asarray(proba).argmax(axis=1)]


# ---------- the prior method ----------

def fit_prior(base: LinearScorer, x: sp.csr_matrix, y: np.ndarray, strength: float,
              max_iter: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Weights and bias minimising the class-balanced log-loss summed over (x, y) + strength/2·|θ − θ_base|²
    (class-balanced weights average 1 per row, so the labels outweigh the prior as they grow).

    Features absent from x get no gradient but the penalty's, which is zero at the base: they keep the base's
    weights exactly, so only the active columns are optimised (fast, and the same optimum).
    """
    active = np.unique(x.indices)
    xa = x[:, active].tocsr()
    w0 = np.asarray(base.weights[active], dtype=np.float64)
    b0 = np.asarray(base.bias, dtype=np.float64)
    columns = PROBA_COLUMN[y]
    counts = np.bincount(y, minlength=3)
    weights = np.array([len(y) / (3 * counts[c]) for c in y]) / len(y)  # mean loss; strength scaled to match
    strength = strength / len(y)
    target = np.zeros((len(y), 3))
    target[np.arange(len(y)), columns] = 1.0
    xt = xa.T.tocsr()
    d = len(active)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        coef, bias = theta[: d * 3].reshape(d, 3), theta[d * 3:]
        p = softmax(np.asarray(xa @ coef) + bias)
        loss = -(weights * np.log(p[np.arange(len(y)), columns] + 1e-300)).sum()
        loss += strength / 2 * (float(((coef - w0) ** 2).sum()) + float(((bias - b0) ** 2).sum()))
        g = (p - target) * weights[:, None]
        grad = np.concatenate([(xt @ g + strength * (coef - w0)).ravel(), g.sum(axis=0) + strength * (bias - b0)])
        return loss, grad

    result = minimize(objective, np.concatenate([w0.ravel(), b0]), jac=True, method="L-BFGS-B",
                      options={"maxiter": max_iter})
    coef = np.array(base.weights, dtype=np.float32, copy=True)
    coef[active] = result.x[: d * 3].reshape(d, 3).astype(np.float32)
    return coef, result.x[d * 3:]


def _prior_logits(base: LinearScorer, x: sp.csr_matrix, y: np.ndarray, train: np.ndarray, held: np.ndarray,
                  strength: float) -> np.ndarray:
    coef, bias = fit_prior(base, x[train], y[train], strength)
    return np.asarray(x[held] @ coef, dtype=np.float64) + bias


def choose_strength(base: LinearScorer, x: sp.csr_matrix, y: np.ndarray, strengths: tuple[float, ...],
                    folds: int, seed: int) -> tuple[float, dict[float, float]]:
    """The strength with the best cross-validated macro-F1 on (x, y) (ties: the stronger prior), and all scores."""
    k = _fold_count(y, folds)
    fold = stratified_folds(y, k, seed)
    scores = {}
    for strength in strengths:
        pred = np.empty(len(y), dtype=int)
        for f in range(k):
            train, held = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
            pred[held] = _predict_classes(_prior_logits(base, x, y, train, held, strength))
        scores[strength] = macro_f1(confusion(y, pred))
    best = max(scores.values())
    return max(s for s, v in scores.items() if v >= best - 1e-12), scores


def cross_validate_prior(base: LinearScorer, labels: TrackerLabels, folds: np.ndarray, settings: AdaptSettings,
                         log: Callable[[str], None]) -> tuple[np.ndarray, list[float]]:
    """Out-of-fold logits for every label, the strength chosen inside each outer fold (nested CV)."""
    x = base.featurizer.transform([model_input(t) for t in labels.texts])
    logits = np.zeros((labels.n, 3))
    chosen = []
    for f in range(int(folds.max()) + 1):
        train, held = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        if settings.strength is not None:
            strength = settings.strength
        else:
            strength, _ = choose_strength(base, x[train], labels.y[train], settings.strengths, INNER_FOLDS,
                                          settings.seed)
        chosen.append(strength)
        logits[held] = _prior_logits(base, x, labels.y, train, held, strength)
        log(f"fold {f + 1}: strength {strength:g}")
    return logits, chosen


# ---------- the refit method ----------

def cross_validate(base_rows: TrainingRows, labels: TrackerLabels, weight: float, folds: np.ndarray,
                   hp: Hyperparameters, log: Callable[[str], None]) -> np.ndarray:
    """Out-of-fold logits for every label: each fold scored by a model refitted without it."""
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


# ---------- the command ----------

def _fold_count(y: np.ndarray, folds: int) -> int:
    counts = np.bincount(y, minlength=3)
    return max(2, min(folds, int(counts[counts > 0].min())))


def adapt(store: Store, tracker: str, shared: Path | None = None, settings: AdaptSettings | None = None,
          hp: Hyperparameters | None = None, out_root: Path | None = None,
          log: Callable[[str], None] = print) -> dict[str, Any]:
    """Cross-validate, fit and save the tracker's adapted model; returns the report (also in its card)."""
    settings = settings or AdaptSettings()
    hp = hp or Hyperparameters()
    if settings.method not in METHODS:
        raise AdaptError(f"method must be one of {', '.join(METHODS)}, not {settings.method!r}")
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
    k = _fold_count(labels.y, settings.folds)
    folds = stratified_folds(labels.y, k, settings.seed)

    base = get_scorer(settings.base)
    if not isinstance(base, LinearScorer):
        raise AdaptError(f"{settings.base}: only a linear n-gram model (like the shipped one) can be adapted")
    base_pred = _predict_classes(base.predict_proba(labels.texts))
    base_report = evaluate_classes(labels.y, base_pred, SENTIMENT.classes, n_boot=settings.n_boot, seed=settings.seed)
    log(f"tracker {tracker}: {labels.n} labels by {labels.provenance['n_annotators']} annotator(s); method "
        f"{settings.method}; {k}-fold cross-validation; base model macro-F1 {base_report['macro_f1']:.3f}")
    name = settings.name or f"{base.name}-{tracker}"
    if settings.method == "prior":
        logits, per_fold = cross_validate_prior(base, labels, folds, settings, log)
        x = base.featurizer.transform([model_input(t) for t in labels.texts])
        strength, grid = ((settings.strength, {}) if settings.strength is not None else
                          choose_strength(base, x, labels.y, settings.strengths, settings.folds, settings.seed))
        coef, bias = fit_prior(base, x, labels.y, strength)
        temperature = fit_temperature(logits, np.array([ONE_HOT[int(c)] for c in labels.y]))
        final = LinearScorer(name, "unversioned", base.featurizer, coef, bias, temperature)
        method = {"method": "prior", "strength": strength, "strengths_per_outer_fold": per_fold,
                  "strengths_tried": list(settings.strengths) if settings.strength is None else [settings.strength],
                  "cv_macro_f1_by_strength_on_all_labels (not nested; for reference)": {f"{s:g}": round(v, 4)
                                                                                        for s, v in grid.items()},
                  "n_features_moved": len(np.unique(x.indices))}
        adapted_pred = _predict_classes(softmax(logits))
        adapted_report = evaluate_classes(labels.y, adapted_pred, SENTIMENT.classes, n_boot=settings.n_boot,
                                          seed=settings.seed)
    else:
        if shared is None:
            raise AdaptError("the refit method needs the base training data (../shared/data; give --shared PATH)")
        base_rows = load_training_rows(shared, hp)
        log(f"{len(base_rows.inputs):,} base training rows")
        compared, chosen = [], None
        for weight in dict.fromkeys([settings.weight, *settings.compare_weights]):
            cv_logits = cross_validate(base_rows, labels, weight, folds, hp, log)
            pred = _predict_classes(softmax(cv_logits))
            report = evaluate_classes(labels.y, pred, SENTIMENT.classes, n_boot=settings.n_boot, seed=settings.seed)
            compared.append({"weight": weight, "cv_macro_f1": report["macro_f1"],
                             "cv_macro_f1_ci95": report["macro_f1_ci95"], "cv_accuracy": report["accuracy"]})
            log(f"weight {weight:g}: cross-validated macro-F1 {report['macro_f1']:.3f} {report['macro_f1_ci95']}")
            if weight == settings.weight:
                chosen = (cv_logits, pred, report)
        assert chosen is not None
        logits, adapted_pred, adapted_report = chosen
        temperature = fit_temperature(logits, np.array([ONE_HOT[int(c)] for c in labels.y]))
        rows = with_labels(base_rows, labels, np.arange(labels.n), settings.weight)
        final = fit_scorer(rows, np.arange(len(rows.inputs)), hp, temperature, name=name)
        method = {"method": "refit", "weight": settings.weight, "weights_compared": compared,
                  "training_rows": {"base": len(base_rows.inputs), "tracker labels": labels.n, "files": rows.files},
                  "hyperparameters": {"ngram_orders": list(hp.ngram_orders), "min_df": hp.min_df, "l2": hp.l2,
                                      "binary_row_weight": hp.binary_weight, "max_iter": hp.max_iter}}
    final.version = f"{base.version}-{tracker}.{weights_digest(final)[:8]}"
    gain_ci = paired_gain_ci(labels.y, base_pred, adapted_pred, settings.n_boot, settings.seed)
    log(f"adapted: cross-validated macro-F1 {adapted_report['macro_f1']:.3f} (temperature {temperature:.3f})")

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
        "method": settings.method,
        **({"strength": method["strength"]} if settings.method == "prior" else {"weight": settings.weight}),
        "method_details": method,
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
    card = build_card(result, base, temperature, time.perf_counter() - started)
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


def build_card(result: dict[str, Any], base: Any, temperature: float, seconds: float) -> dict[str, Any]:
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
        "method": {"summary": " ".join(__doc__.split("\n\n")[2].split()), **result["method_details"],
                   "temperature": round(temperature, 4)},
        "provenance": {"command": f"actorwatch adapt --tracker {tracker} --method {result['method']}",
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
