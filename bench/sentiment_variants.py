"""Experiment: training variants of the fast scorer (weibo-charlr-3c) compared on the in-domain dev split.

Every variant is fitted once on all training rows (the training code's own loaders and fitter, no CV, no
temperature: argmax does not depend on it) and scored on data/labelled/dev.csv as production routes it:
Chinese rows by the variant, English rows by the shipped English model (the same for every variant, so "en"
moves only where a variant changes the route). Macro-F1 with percentile-bootstrap 95% intervals (1,000
resamples), and the paired-bootstrap interval of the gain over the current method (variant "current").
Choices are made on dev only; `--test NAME` prints the test figure of one chosen variant against the current
method (run it once, for the final candidate).

`--save-test` writes every variant's test predictions to a sealed file without printing them, and `--quote NAME`
later prints that one variant's test figure against the current method (no refit).
Usage: ACTORWATCH_SHARED=../shared/data PYTHONPATH=. python bench/sentiment_variants.py [--only NAME ...]
       [--test NAME] [--save-test] [--quote NAME] [--json OUT]    (a fit takes 1-4 minutes on one core)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import scipy.sparse as sp
from scipy.stats import bootstrap

from analysis.nlp.metrics import _resampled, bootstrap_ci, confusion, macro_f1, predict_labels
from analysis.nlp.sentiment import english_scorer, get_scorer
from analysis.nlp.sentiment.features import LEXICON_FEATURES, Featurizer, Lexicon
from analysis.nlp.sentiment.linear import LinearScorer, softmax
from analysis.nlp.sentiment.training import (
    LABELLED,
    Hyperparameters,
    TrainingRows,
    fit_partial_label,
    load_training_rows,
    read_domain,
)
from collectors.paths import shared_data_dir

CURRENT = Hyperparameters()


@dataclass(frozen=True)
class Variant:
    name: str
    hp: Hyperparameters = CURRENT
    rows: Callable[[TrainingRows], np.ndarray] | None = None  # row weights (0 drops a row); None: as loaded
    blend: float = 0.0  # weight of an in-domain-only model's logits (same features), folded into one W
    prior_shift: float = 0.0  # × log(in-domain train prior / uniform) added to the calibrated log-probabilities
    lexicon_scale: float = 1.0  # lexicon columns multiplied before fitting (folded into W: no cost at scoring)
    nb_scale: bool = False  # n-gram columns scaled by an NB log-count ratio before fitting (folded into W)


def _source(rows: TrainingRows, name: str) -> np.ndarray:
    return rows.source == rows.files.index(name)


def scaled(**factor: float) -> Callable[[TrainingRows], np.ndarray]:
    """Row weights with the rows of some sources multiplied (keys: 'general', 'binary', 'domain', 'synthetic',
    'domain_en')."""
    def weights(rows: TrainingRows) -> np.ndarray:
        w = rows.weights.copy()
        if "general" in factor:
            w[_source(rows, "sentiment3_train.csv")] *= factor["general"]
        if "binary" in factor:
            w[_source(rows, "sentiment_dev_trainpool.csv")] *= factor["binary"]
        for key, name in (("domain", "labelled/train.csv"), ("synthetic", "labelled/synthetic_train.csv")):
            if key in factor:  # hp.domain_weight / synthetic_weight act at loading, so they are rescaled here
                w[_source(rows, name)] *= factor[key]
        if "domain_en" in factor:
            domain = np.isin(rows.source, [rows.files.index(f) for f in rows.files if f.startswith("labelled/")])
            w[domain & EN_TRAIN_MASK[0]] *= factor["domain_en"]
        return w
    return weights


EN_TRAIN_MASK: list[np.ndarray] = []  # filled once the rows are loaded (English in-domain training rows)


def unbalanced_domain(rows: TrainingRows) -> np.ndarray:
    """In-domain rows at their flat weight (natural class prior) instead of class-balanced."""
    w = rows.weights.copy()
    for name, flat in (("labelled/train.csv", CURRENT.domain_weight), ("labelled/synthetic_train.csv",
                                                                      CURRENT.synthetic_weight)):
        w[_source(rows, name)] = flat
    return w


VARIANTS = [
    Variant("current"),
    Variant("prior shift × 0.5", prior_shift=0.5),
    Variant("prior shift × -0.5 (away from the in-domain prior)", prior_shift=-0.5),
    Variant("blend in-domain-only model 0.3", blend=0.3),
    Variant("blend in-domain-only model 0.5", blend=0.5),
    Variant("domain weight 20", rows=scaled(domain=2.0)),
    Variant("domain weight 40", rows=scaled(domain=4.0)),
    Variant("domain weight 3", rows=scaled(domain=0.3)),
    Variant("no sentiment_dev_trainpool", rows=scaled(binary=0.0)),
    Variant("general rows × 0.3", rows=scaled(general=0.3, binary=0.3)),
    Variant("in-domain rows unbalanced (natural prior)", rows=unbalanced_domain),
    Variant("synthetic weight 0", rows=scaled(synthetic=0.0)),
    Variant("in-domain English rows dropped", rows=scaled(domain_en=0.0)),
    Variant("l2 × 3", replace(CURRENT, l2=CURRENT.l2 * 3)),
    Variant("l2 × 0.3", replace(CURRENT, l2=CURRENT.l2 * 0.3)),
    Variant("min_df 1", replace(CURRENT, min_df=1)),
    Variant("synthetic weight 5", rows=scaled(synthetic=2.5)),
    Variant("lexicon columns × 3", lexicon_scale=3.0),
    Variant("lexicon columns × 0 (no lexicon)", lexicon_scale=0.0),
    Variant("NB log-count-ratio scaling of the n-grams", nb_scale=True),
]


_FITS: dict = {}  # (hyperparameters, row weighting) → (featurizer, x, kept rows, weights, coef, bias)


def fit(rows: TrainingRows, variant: Variant) -> LinearScorer:
    """The variant's scorer; variants that differ only in blend or prior shift share one fit of the base model."""
    key = (variant.hp, variant.rows, variant.lexicon_scale, variant.nb_scale)
    if key not in _FITS:
        weights = variant.rows(rows) if variant.rows else rows.weights
        keep = np.flatnonzero(weights > 0)
        inputs = [rows.inputs[i] for i in keep]
        hp = variant.hp
        featurizer = Featurizer.fit(inputs, hp.ngram_orders, hp.min_df, Lexicon.load())
        x = featurizer.transform(inputs)
        scale = column_scale(x, rows.allowed[keep], variant)
        coef, bias = fit_partial_label((x @ sp.diags(scale)).tocsr(), rows.allowed[keep], weights[keep], hp.l2,
                                       hp.max_iter)
        coef = coef * scale[:, None].astype(np.float32)  # x·diag(s)·W = x·(s ⊙ W)
        _FITS[key] = (featurizer, x, keep, weights, coef, bias)
    featurizer, x, keep, weights, coef, bias = _FITS[key]
    if variant.blend:
        domain = np.isin(rows.source[keep], [rows.files.index(f) for f in rows.files if f.startswith("labelled/")])
        d_coef, d_bias = fit_partial_label(x[domain], rows.allowed[keep][domain], weights[keep][domain],
                                           variant.hp.l2, variant.hp.max_iter)
        coef = (1 - variant.blend) * coef + variant.blend * d_coef
        bias = (1 - variant.blend) * bias + variant.blend * d_bias
    if variant.prior_shift:
        bias = bias + variant.prior_shift * PRIOR_SHIFT
    return LinearScorer("variant", "x", featurizer, coef, bias)


def column_scale(x: sp.csr_matrix, allowed: np.ndarray, variant: Variant) -> np.ndarray:
    """Per-column factors: lexicon columns × lexicon_scale; with nb_scale, each n-gram column × its largest
    |log-count ratio| one class vs the rest over the single-label rows (NB-SVM style, smoothed by 1)."""
    scale = np.ones(x.shape[1])
    scale[-len(LEXICON_FEATURES):] = variant.lexicon_scale
    if variant.nb_scale:
        single = allowed.sum(axis=1) == 1
        xb = (x[single] > 0).astype(np.float64)
        ratios = []
        for c in range(3):
            in_c = allowed[single][:, c] > 0
            p = np.asarray(xb[in_c].sum(axis=0)).ravel() + 1
            q = np.asarray(xb[~in_c].sum(axis=0)).ravel() + 1
            ratios.append(np.abs(np.log((p / p.sum()) / (q / q.sum()))))
        scale[: -len(LEXICON_FEATURES)] = np.max(ratios, axis=0)[: -len(LEXICON_FEATURES)]
    return scale


PRIOR_SHIFT = np.zeros(3)
PRED_DIR = Path(tempfile.gettempdir()) / "actorwatch-sentiment-variants"  # dev/test predictions between runs


def in_domain_prior_shift(rows: TrainingRows) -> np.ndarray:
    """log(in-domain train prior / uniform) per scorer column [neg, neu, pos], real Chinese train rows."""
    train = _source(rows, "labelled/train.csv") & ~EN_TRAIN_MASK[0]
    counts = np.bincount(rows.labels[train], minlength=3)[[0, 2, 1]]  # CSV labels (neg, pos, neu) → columns
    return np.log(counts / counts.sum() * 3)


def proba_routed(scorer: LinearScorer, english, texts: list[str], langs: np.ndarray) -> np.ndarray:
    out = np.zeros((len(texts), 3))
    en = langs == "en"
    out[en] = english.predict_proba([t for t, e in zip(texts, en, strict=True) if e])
    out[~en] = softmax(scorer.logits([_input(t) for t, e in zip(texts, en, strict=True) if not e]))
    return out


def _input(text: str) -> str:
    from analysis.nlp.sentiment.features import model_input

    return model_input(text)


def paired_gain_ci(y: np.ndarray, base: np.ndarray, pred: np.ndarray) -> tuple[float, float]:
    """Percentile-bootstrap 95% interval of macro-F1(pred) − macro-F1(base), rows resampled in pairs (vectorised:
    adapt.paired_gain_ci scores each resample with sklearn, ~15 s per interval)."""
    f1 = _resampled("macro_f1", 3)

    def gain(t: np.ndarray, b: np.ndarray, p: np.ndarray, axis: int = -1) -> np.ndarray:
        return f1(t, p, axis) - f1(t, b, axis)

    res = bootstrap((y, base, pred), gain, paired=True, vectorized=True, n_resamples=1000, batch=200,
                    method="percentile", random_state=np.random.default_rng(20240601))
    lo, hi = res.confidence_interval
    return (0.0, 0.0) if np.isnan(lo) else (float(lo), float(hi))


def figures(labels: np.ndarray, pred: np.ndarray, base: np.ndarray, langs: np.ndarray) -> dict:
    out = {}
    for part, mask in (("all", np.ones(len(labels), bool)), ("zh", langs != "en"), ("en", langs == "en")):
        y, p, b = labels[mask], pred[mask], base[mask]
        f1 = macro_f1(confusion(y, p))
        out[part] = {"f1": round(f1, 4), "ci95": [round(v, 4) for v in bootstrap_ci(y, p)["macro_f1"]],
                     "gain": round(f1 - macro_f1(confusion(y, b)), 4),
                     "gain_ci95": [round(v, 4) for v in paired_gain_ci(y, b, p)]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", help="variant names to run (default: all)")
    parser.add_argument("--test", help="also score data/labelled/test.csv with this variant vs current")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--save-test", action="store_true", help="write each variant's test predictions to "
                        "<tmp>/actorwatch-sentiment-variants/test_preds_sealed.npz without printing them (for the one final candidate)")
    parser.add_argument("--quote", help="print the test figure of this variant vs current from the sealed file")
    args = parser.parse_args()
    shared = shared_data_dir() or REPO.parent / "shared" / "data"
    if args.quote:
        t_texts, t_labels, t_langs = read_domain(LABELLED / "test.csv")
        sealed = np.load(PRED_DIR / "test_preds_sealed.npz")
        print("TEST", args.quote, json.dumps(figures(t_labels, sealed[args.quote], sealed["current"], t_langs)))
        return
    rows = load_training_rows(shared, CURRENT)
    _, _, train_langs = read_domain(LABELLED / "train.csv")
    _, _, synth_langs = read_domain(LABELLED / "synthetic_train.csv")
    n_shared = len(rows.inputs) - len(train_langs) - len(synth_langs)
    EN_TRAIN_MASK.append(np.concatenate([np.zeros(n_shared, bool), train_langs == "en", synth_langs == "en"]))
    PRIOR_SHIFT[:] = in_domain_prior_shift(rows)
    print(f"{len(rows.inputs):,} training rows; prior shift {np.round(PRIOR_SHIFT, 3)}", flush=True)
    english = english_scorer(get_scorer())
    texts, labels, langs = read_domain(LABELLED / "dev.csv")
    wanted = [v for v in VARIANTS if not args.only or v.name in args.only or v.name == "current"]
    preds, results, test_preds = {}, [], {}
    t_texts, t_labels, t_langs = read_domain(LABELLED / "test.csv")
    for variant in wanted:
        t0 = time.perf_counter()
        scorer = fit(rows, variant)
        preds[variant.name] = predict_labels(proba_routed(scorer, english, texts, langs))
        result = {"variant": variant.name, **figures(labels, preds[variant.name], preds["current"], langs),
                  "seconds": round(time.perf_counter() - t0)}
        results.append(result)
        np.savez(PRED_DIR / "dev_preds.npz", **{k.replace(" ", "_"): v for k, v in preds.items()})
        if args.save_test:  # sealed: written, never printed, so a candidate chosen on dev is quoted without a refit
            test_preds[variant.name] = predict_labels(proba_routed(scorer, english, t_texts, t_langs))
            np.savez(PRED_DIR / "test_preds_sealed.npz", **test_preds)
        print(f"{variant.name:45s} " + "  ".join(
            f"{p} {result[p]['f1']:.3f} [{result[p]['ci95'][0]:.3f},{result[p]['ci95'][1]:.3f}] "
            f"{result[p]['gain']:+.3f} [{result[p]['gain_ci95'][0]:+.3f},{result[p]['gain_ci95'][1]:+.3f}]"
            for p in ("all", "zh", "en")) + f"  ({result['seconds']}s)", flush=True)
        if variant.name == args.test:
            t_pred = predict_labels(proba_routed(scorer, english, t_texts, t_langs))
            t_base = predict_labels(proba_routed(fit(rows, VARIANTS[0]), english, t_texts, t_langs))
            test = figures(t_labels, t_pred, t_base, t_langs)
            print("TEST", json.dumps(test), flush=True)
            result["test"] = test
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
