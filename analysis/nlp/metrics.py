"""Classification metrics for the sentiment evaluation contract, with percentile-bootstrap 95% intervals.

Labels follow the shared CSVs: 0 = negative, 1 = positive, 2 = neutral. Model probabilities are in
the scorer column order [negative, neutral, positive].
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.stats import DegenerateDataWarning, bootstrap
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

CLASS_NAMES: tuple[str, str, str] = ("negative", "positive", "neutral")  # index = CSV label
PROBA_TO_LABEL = np.array([0, 2, 1])  # scorer column (neg, neu, pos) → CSV label


def predict_labels(proba: np.ndarray) -> np.ndarray:
    """CSV labels (0/1/2) from probabilities [neg, neu, pos]: the most probable class."""
    return PROBA_TO_LABEL[np.asarray(proba).argmax(axis=1)]


def predict_binary(proba: np.ndarray) -> np.ndarray:
    """1 (positive) iff P(positive) > P(negative), else 0; neutral mass is ignored."""
    proba = np.asarray(proba)
    return (proba[:, 2] > proba[:, 0]).astype(int)


def confusion(y_true: Sequence[int], y_pred: Sequence[int], k: int = 3) -> np.ndarray:
    """k×k counts, rows = true label, columns = predicted label (sklearn's confusion_matrix over 0..k-1)."""
    if len(y_true) == 0:  # sklearn refuses empty input (e.g. the binary part of a neutral-only file)
        return np.zeros((k, k), dtype=int)
    return confusion_matrix(np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int), labels=np.arange(k))


def _pairs(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (true, predicted) label rows a confusion matrix counts, so sklearn can score it."""
    k = cm.shape[0]
    counts = np.asarray(cm, dtype=int).ravel()
    cells = np.arange(k * k)
    return np.repeat(cells // k, counts), np.repeat(cells % k, counts)


def per_class(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall, F1 and support per class of a confusion matrix (sklearn; 0 where undefined)."""
    t, p = _pairs(cm)
    precision, recall, f1, support = precision_recall_fscore_support(
        t, p, labels=np.arange(cm.shape[0]), zero_division=0)
    return {"precision": precision, "recall": recall, "f1": f1, "support": support.astype(float)}


def macro_f1(cm: np.ndarray) -> float:
    """Mean F1 over the classes present in the true labels (a 0/1-only file averages negative and positive;
    its rows predicted neutral still count as misses)."""
    t, p = _pairs(cm)
    present = np.unique(t)
    return float(f1_score(t, p, labels=present, average="macro", zero_division=0)) if len(present) else 0.0


def accuracy(cm: np.ndarray) -> float:
    t, p = _pairs(cm)
    return float(accuracy_score(t, p)) if len(t) else 0.0


def _resampled(metric: str, k: int):
    """A vectorised statistic for scipy.stats.bootstrap: accuracy, or macro-F1 over the classes present in the
    (resampled) true labels, along the last axis; equal to `accuracy` / `macro_f1` (sklearn) on every sample
    (tests/test_metrics.py checks this), computed in one pass so 1,000 resamples cost milliseconds."""
    def statistic(t: np.ndarray, p: np.ndarray, axis: int = -1) -> np.ndarray:
        t, p = np.moveaxis(t, axis, -1), np.moveaxis(p, axis, -1)
        if metric == "accuracy":
            return (t == p).mean(axis=-1)
        f1s, present = [], []
        for c in range(k):
            tc, pc = t == c, p == c
            tp = (tc & pc).sum(axis=-1)
            denom = tc.sum(axis=-1) + pc.sum(axis=-1)
            f1s.append(np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0))
            present.append(tc.any(axis=-1))
        f1, mask = np.stack(f1s), np.stack(present)
        return np.where(mask.any(axis=0), (f1 * mask).sum(axis=0) / np.maximum(mask.sum(axis=0), 1), 0.0)
    return statistic


def first_seen_ids(keys: np.ndarray) -> np.ndarray:
    """0, 1, 2… per distinct key in the order keys first appear (so rows without copies keep their own order)."""
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=int)
    rank[np.argsort(first)] = np.arange(len(first))
    return rank[inverse]


def group_cells(keys: np.ndarray, t: np.ndarray, p: np.ndarray, k: int) -> np.ndarray:
    """Per group (`keys` as from `first_seen_ids`), its rows' (true, predicted) cell counts: shape (groups, k*k)."""
    cells = np.zeros((int(keys.max()) + 1 if len(keys) else 0, k * k))
    np.add.at(cells, (keys, t * k + p), 1)
    return cells


def resampled_confusions(drawn: np.ndarray, axis: int, cells: np.ndarray, k: int) -> np.ndarray:
    """The confusion matrix of each resample of groups (the group indices scipy.stats.bootstrap draws, vectorised):
    the sum of the drawn groups' `cells`. Draws are counted with bincount: a one-hot of draws × groups would grow
    with the square of the number of groups."""
    drawn = np.moveaxis(drawn, axis, -1)
    flat, n = drawn.reshape(-1, drawn.shape[-1]), len(cells)
    offsets = np.arange(len(flat))[:, None] * n
    weights = np.bincount((flat + offsets).ravel(), minlength=len(flat) * n).reshape(len(flat), n)
    return (weights @ cells).reshape(*drawn.shape[:-1], k, k)


def macro_f1_of_counts(cm: np.ndarray) -> np.ndarray:
    """`macro_f1` of confusion matrices stacked on the leading axes: mean F1 over the classes present in the true
    labels (rows), 0 where no class is."""
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    true, predicted = cm.sum(axis=-1), cm.sum(axis=-2)
    denom = true + predicted
    f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    present = true > 0
    return np.where(present.any(axis=-1), (f1 * present).sum(axis=-1) / np.maximum(present.sum(axis=-1), 1), 0.0)


def bootstrap_ci(y_true: Sequence[int], y_pred: Sequence[int], k: int = 3, n_boot: int = 1000,
                 seed: int = 20240601, level: float = 0.95,
                 groups: np.ndarray | None = None) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals for accuracy and macro-F1 (scipy.stats.bootstrap, rows resampled in pairs;
    with `groups`, e.g. `adapt.text_keys`, the rows of one key, such as reposts of one text, are resampled together)."""
    t, p = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    if len(t) == 0:
        return {"accuracy": (0.0, 0.0), "macro_f1": (0.0, 0.0)}
    if groups is not None:
        return _grouped_bootstrap_ci(t, p, k, n_boot, seed, level, groups)
    out = {}
    for name in ("accuracy", "macro_f1"):
        statistic = _resampled(name, k)
        if len(t) < 2:  # nothing to resample: the interval is the point
            value = float(statistic(t, p))
            out[name] = (value, value)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            res = bootstrap((t, p), statistic, paired=True, vectorized=True, n_resamples=n_boot, batch=200,
                            confidence_level=level, method="percentile", random_state=np.random.default_rng(seed))
        lo, hi = res.confidence_interval
        if np.isnan(lo):  # every resample gave the same value (e.g. perfect predictions)
            lo = hi = float(res.bootstrap_distribution[0])
        out[name] = (float(lo), float(hi))
    return out


def accuracy_of_counts(cm: np.ndarray) -> np.ndarray:
    """Accuracy of confusion matrices stacked on the leading axes (0 for an empty one)."""
    return np.trace(cm, axis1=-2, axis2=-1) / np.maximum(cm.sum(axis=(-2, -1)), 1)


def _grouped_bootstrap_ci(t: np.ndarray, p: np.ndarray, k: int, n_boot: int, seed: int, level: float,
                          groups: np.ndarray, statistics: dict[str, Callable[[np.ndarray], np.ndarray]] | None = None,
                          ) -> dict[str, tuple[float, float]]:
    """`bootstrap_ci` resampling groups: a resample's confusion is the sum of its drawn groups' cell counts;
    `statistics` (name: function of stacked confusion matrices) default to accuracy and macro-F1."""
    cells = group_cells(first_seen_ids(np.asarray(groups, dtype=str)), t, p, k)
    n_groups = len(cells)
    statistics = statistics or {"accuracy": accuracy_of_counts, "macro_f1": macro_f1_of_counts}
    out = {}
    for name, of_counts in statistics.items():
        def statistic(drawn: np.ndarray, axis: int = -1, of_counts=of_counts) -> np.ndarray:
            return of_counts(resampled_confusions(drawn, axis, cells, k))

        if n_groups < 2:  # nothing to resample: the interval is the point
            value = float(statistic(np.zeros(1, dtype=int)))
            out[name] = (value, value)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            res = bootstrap((np.arange(n_groups),), statistic, vectorized=True, n_resamples=n_boot, batch=100,
                            confidence_level=level, method="percentile", random_state=np.random.default_rng(seed))
        lo, hi = res.confidence_interval
        if np.isnan(lo):
            lo = hi = float(res.bootstrap_distribution[0])
        out[name] = (float(lo), float(hi))
    return out


def expected_calibration_error(proba: np.ndarray, y_true: Sequence[int], bins: int = 10) -> float:
    """ECE of the top-class probability (equal-width bins), labels in CSV coding."""
    proba = np.asarray(proba, dtype=float)
    if len(proba) == 0:
        return 0.0
    conf = proba.max(axis=1)
    correct = predict_labels(proba) == np.asarray(y_true, dtype=int)
    which = np.minimum((conf * bins).astype(int), bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - conf[mask].mean())
    return float(ece)


def _ece(proba: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """3-class ECE when the file has neutral rows; else ECE of P(pos) vs P(neg) renormalised over the two."""
    if (y == 2).any() or len(y) == 0:
        return {"ece": _round(expected_calibration_error(proba, y)), "ece_scope": "3-class"}
    two = proba[:, [0, 2]]
    two = two / np.clip(two.sum(axis=1, keepdims=True), 1e-12, None)
    as_three = np.column_stack([two[:, 0], np.zeros(len(two)), two[:, 1]])
    return {"ece": _round(expected_calibration_error(as_three, y)),
            "ece_scope": "binary: P(pos) vs P(neg), renormalised"}


def _round(x: float) -> float:
    return round(float(x), 4)


def evaluate_predictions(y_true: Sequence[int], proba: np.ndarray, n_boot: int = 1000,
                         seed: int = 20240601, groups: np.ndarray | None = None,
                         group_by: str = "url") -> dict[str, Any]:
    """The `actorwatch evaluate --json` contract for labels (0/1/2) and probabilities [neg, neu, pos]; with
    `groups` (a labelled file's pages, `tasks.page_groups`) every interval resamples them, as evaluate_classes does."""
    y = np.asarray(y_true, dtype=int)
    proba = np.asarray(proba, dtype=float)
    if proba.shape != (len(y), 3):
        raise ValueError(f"probabilities have shape {proba.shape}, expected ({len(y)}, 3)")
    pred = predict_labels(proba)
    cm = confusion(y, pred)
    stats = per_class(cm)
    groups = None if groups is None else np.asarray(groups)
    ci = bootstrap_ci(y, pred, n_boot=n_boot, seed=seed, groups=groups)
    binary = y != 2
    yb, pb = y[binary], predict_binary(proba[binary])
    cm_b = confusion(yb, pb, k=2)
    ci_b = bootstrap_ci(yb, pb, k=2, n_boot=n_boot, seed=seed, groups=None if groups is None else groups[binary])
    resampled = "rows" if groups is None else GROUP_WORDS.get(group_by, f"groups (the rows of one {group_by} together)")
    return {
        "n": len(y),
        "label_counts": {CLASS_NAMES[i]: int((y == i).sum()) for i in range(3)},
        "accuracy": _round(accuracy(cm)),
        "macro_f1": _round(macro_f1(cm)),
        "accuracy_ci95": [_round(v) for v in ci["accuracy"]],
        "macro_f1_ci95": [_round(v) for v in ci["macro_f1"]],
        "binary_n": int(binary.sum()),
        "binary_accuracy": _round(accuracy(cm_b)),
        "binary_macro_f1": _round(macro_f1(cm_b)),
        "binary_accuracy_ci95": [_round(v) for v in ci_b["accuracy"]],
        "binary_macro_f1_ci95": [_round(v) for v in ci_b["macro_f1"]],
        "per_class": {
            CLASS_NAMES[i]: {"precision": _round(stats["precision"][i]), "recall": _round(stats["recall"][i]),
                             "f1": _round(stats["f1"][i]), "support": int(stats["support"][i])}
            for i in range(3)
        },
        "confusion": {"labels": list(CLASS_NAMES), "rows": "true", "columns": "predicted",
                      "matrix": cm.tolist()},
        "predicted_share": {CLASS_NAMES[i]: _round((pred == i).mean()) if len(pred) else 0.0 for i in range(3)},
        **_ece(proba, y),
        "bootstrap": {"resamples": n_boot, "seed": seed, "method": f"percentile, {resampled} resampled with replacement",
                      "resampled": "rows" if groups is None else group_by},
    }


def _f_avg(cm: np.ndarray, pair: tuple[int, int]) -> float:
    """NLPCC 2016's metric: the mean F1 of the two committed classes (favor/support and against/oppose)."""
    f1 = per_class(cm)["f1"]
    return float((f1[pair[0]] + f1[pair[1]]) / 2)


def f_avg_of_counts(cm: np.ndarray, pair: tuple[int, int]) -> np.ndarray:
    """`_f_avg` of confusion matrices stacked on the leading axes (F1 = 2 tp / (true + predicted), 0 where both are 0)."""
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    denom = cm.sum(axis=-1) + cm.sum(axis=-2)
    f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    return (f1[..., pair[0]] + f1[..., pair[1]]) / 2


# what a `group_by` name means in the report's bootstrap line ("text": adapt's copies of one text)
GROUP_WORDS = {"text": "texts (copies of one text together)", "url": "pages (the rows of one url together)"}


def _resampled_f_avg(pair: tuple[int, int]):
    def statistic(t: np.ndarray, p: np.ndarray, axis: int = -1) -> np.ndarray:
        t, p = np.moveaxis(t, axis, -1), np.moveaxis(p, axis, -1)
        f1s = []
        for c in pair:
            tc, pc = t == c, p == c
            denom = tc.sum(axis=-1) + pc.sum(axis=-1)
            f1s.append(np.where(denom > 0, 2 * (tc & pc).sum(axis=-1) / np.maximum(denom, 1), 0.0))
        return (f1s[0] + f1s[1]) / 2
    return statistic


def evaluate_classes(y_true: Sequence[int], y_pred: Sequence[int], classes: Sequence[str], n_boot: int = 1000,
                     seed: int = 20240601, f_avg_pair: tuple[int, int] | None = None,
                     groups: np.ndarray | None = None, group_by: str = "text") -> dict[str, Any]:
    """The evaluation contract for any labelling task: accuracy and macro-F1 (over the classes present in the
    true labels) with percentile-bootstrap 95% intervals, per-class figures, the confusion matrix and, for
    stance, `f_avg` (mean F1 of support and oppose) with its interval. `groups`: see `bootstrap_ci`, for every
    interval; `group_by` names them (GROUP_WORDS) in the report's "bootstrap" ("resampled": "rows" without groups)."""
    t, p = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    k = len(classes)
    cm = confusion(t, p, k)
    stats = per_class(cm)
    ci = bootstrap_ci(t, p, k=k, n_boot=n_boot, seed=seed, groups=groups)
    resampled = "rows" if groups is None else GROUP_WORDS.get(group_by, f"groups (the rows of one {group_by} together)")
    present = [classes[i] for i in range(k) if stats["support"][i] > 0]
    report: dict[str, Any] = {
        "n": len(t),
        "label_counts": {classes[i]: int((t == i).sum()) for i in range(k)},
        "accuracy": _round(accuracy(cm)),
        "macro_f1": _round(macro_f1(cm)),
        "accuracy_ci95": [_round(v) for v in ci["accuracy"]],
        "macro_f1_ci95": [_round(v) for v in ci["macro_f1"]],
        "macro_f1_over": present,
        "per_class": {classes[i]: {"precision": _round(stats["precision"][i]), "recall": _round(stats["recall"][i]),
                                   "f1": _round(stats["f1"][i]), "support": int(stats["support"][i])}
                      for i in range(k)},
        "confusion": {"labels": list(classes), "rows": "true", "columns": "predicted", "matrix": cm.tolist()},
        "predicted_share": {classes[i]: _round((p == i).mean()) if len(p) else 0.0 for i in range(k)},
        "bootstrap": {"resamples": n_boot, "seed": seed, "method": f"percentile, {resampled} resampled with replacement",
                      "resampled": "rows" if groups is None else group_by},
    }
    if f_avg_pair is not None:
        report["f_avg"] = _round(_f_avg(cm, f_avg_pair))
        report["f_avg_ci95"] = [report["f_avg"]] * 2  # one row: nothing to resample, the interval is the point
        if groups is not None and len(t):
            interval = _grouped_bootstrap_ci(t, p, k, n_boot, seed, 0.95, groups,
                                             {"f_avg": lambda counts: f_avg_of_counts(counts, f_avg_pair)})["f_avg"]
            report["f_avg_ci95"] = [_round(v) for v in interval]
        elif len(t) >= 2:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DegenerateDataWarning)
                res = bootstrap((t, p), _resampled_f_avg(f_avg_pair), paired=True, vectorized=True, batch=200,
                                n_resamples=n_boot, method="percentile", random_state=np.random.default_rng(seed))
            lo, hi = res.confidence_interval
            report["f_avg_ci95"] = [_round(lo), _round(hi)] if not np.isnan(lo) else [report["f_avg"]] * 2
        report["f_avg_of"] = [classes[f_avg_pair[0]], classes[f_avg_pair[1]]]
    return report
