"""Classification metrics for the sentiment evaluation contract, with percentile-bootstrap 95% intervals.

Labels follow the shared CSVs: 0 = negative, 1 = positive, 2 = neutral. Model probabilities are in
the scorer column order [negative, neutral, positive].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

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
    """k×k counts, rows = true label, columns = predicted label."""
    t, p = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)


def per_class(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall, F1 and support per class from a confusion matrix (0 where undefined)."""
    tp = np.diag(cm).astype(float)
    predicted, actual = cm.sum(axis=0).astype(float), cm.sum(axis=1).astype(float)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return {"precision": precision, "recall": recall, "f1": f1, "support": actual}


def macro_f1(cm: np.ndarray) -> float:
    """Mean F1 over the classes present in the true labels (a 0/1-only file averages negative and positive;
    its rows predicted neutral still count as misses)."""
    stats = per_class(cm)
    present = stats["support"] > 0
    return float(stats["f1"][present].mean()) if present.any() else 0.0


def accuracy(cm: np.ndarray) -> float:
    total = cm.sum()
    return float(np.trace(cm) / total) if total else 0.0


def _batched_confusions(y_true: np.ndarray, y_pred: np.ndarray, idx: np.ndarray, k: int) -> np.ndarray:
    codes = y_true[idx] * k + y_pred[idx]  # (B, n)
    offsets = np.arange(idx.shape[0])[:, None] * k * k
    return np.bincount((codes + offsets).ravel(), minlength=idx.shape[0] * k * k).reshape(-1, k, k)


def bootstrap_ci(y_true: Sequence[int], y_pred: Sequence[int], k: int = 3, n_boot: int = 1000,
                 seed: int = 20240601, level: float = 0.95) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals (resampling rows) for accuracy and macro-F1."""
    t, p = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    if len(t) == 0:
        return {"accuracy": (0.0, 0.0), "macro_f1": (0.0, 0.0)}
    rng = np.random.default_rng(seed)
    accs, f1s = [], []
    for start in range(0, n_boot, 200):  # bounded memory for large files
        idx = rng.integers(0, len(t), size=(min(200, n_boot - start), len(t)))
        for cm in _batched_confusions(t, p, idx, k):
            accs.append(accuracy(cm))
            f1s.append(macro_f1(cm))
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    return {"accuracy": (float(np.percentile(accs, lo)), float(np.percentile(accs, hi))),
            "macro_f1": (float(np.percentile(f1s, lo)), float(np.percentile(f1s, hi)))}


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
                         seed: int = 20240601) -> dict[str, Any]:
    """The `actorwatch evaluate --json` contract for labels (0/1/2) and probabilities [neg, neu, pos]."""
    y = np.asarray(y_true, dtype=int)
    proba = np.asarray(proba, dtype=float)
    if proba.shape != (len(y), 3):
        raise ValueError(f"probabilities have shape {proba.shape}, expected ({len(y)}, 3)")
    pred = predict_labels(proba)
    cm = confusion(y, pred)
    stats = per_class(cm)
    ci = bootstrap_ci(y, pred, n_boot=n_boot, seed=seed)
    binary = y != 2
    yb, pb = y[binary], predict_binary(proba[binary])
    cm_b = confusion(yb, pb, k=2)
    ci_b = bootstrap_ci(yb, pb, k=2, n_boot=n_boot, seed=seed)
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
        "bootstrap": {"resamples": n_boot, "seed": seed, "method": "percentile, rows resampled with replacement"},
    }
