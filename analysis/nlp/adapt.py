"""Adapt the sentiment, stance or emotion model to one tracker's own labels, and measure it on them.

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

An e5 option (`--base ai-actors-e5-3c`) adapts by the prior method too: its logistic head over the labels' e5
embeddings moves towards the labels, its blend with the fast model stays, and its figures score the blend as
production does (the strength is chosen on the head alone). Measured on cases the base never saw
(bench/adapt_cases.py), this head gained more than the fast model's prior did. `--base auto` (the command's sentiment
default) adapts both and keeps the one that cross-validates higher, the e5 option only where its encoder runs and the
tracker re-scores in time (analysis/nlp/adapt_choice.py); its report's base stays the fast model.

Stance and emotion models (char n-gram classifiers, analysis/nlp/charlr.py) adapt by the prior method: their
shared weights move, pulled towards the base; the target block the tracker's posts are read against stays
fixed (its logits are an offset). Their labels are the tracker's stance or emotion labels.

Language-model pre-labels (annotator "llm:<model>") are left out unless asked for, and then only after their
agreement with the human labels has been measured (`actorwatch adapt --use-llm-labels` prints it).
"""

from __future__ import annotations

import hashlib
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.stats import DegenerateDataWarning, bootstrap

from analysis.core.labels import LABELS, is_llm, read_labels
from analysis.core.tables import has_table
from analysis.nlp.adapt_choice import AUTO, DEFAULT_MAX_RESCORE_MINUTES, Candidate, choose, model_speed
from analysis.nlp.agreement import consolidate, llm_vs_humans, pairwise, usable
from analysis.nlp.metrics import (
    confusion,
    evaluate_classes,
    first_seen_ids,
    group_cells,
    macro_f1,
    macro_f1_of_counts,
    resampled_confusions,
)
from analysis.nlp.model_info import missing_classes
from analysis.nlp.sentiment import DEFAULT_MODEL, get_scorer, user_models_dir
from analysis.nlp.sentiment.e5 import E5_MODEL, E5Scorer, StaleBlendError
from analysis.nlp.sentiment.features import model_input
from analysis.nlp.sentiment.linear import LinearScorer, softmax, write_card
from analysis.nlp.sentiment.training import (
    Hyperparameters,
    TrainingRows,
    fit_scorer,
    fit_temperature,
    load_training_rows,
    stratified_folds,
    weights_digest,
)
from analysis.nlp.tasks import SENTIMENT, TASKS, Task
from collectors.display_zone import as_utc
from collectors.store import Store

METHODS = ("prior", "refit")
DEFAULT_METHOD = "prior"
DEFAULT_WEIGHT = 30.0  # refit: one label counts as much as 30 base rows (measured: docs/label-and-adapt.md)
# prior: the penalty strength on the summed class-balanced loss (so the labels outweigh the prior as they grow).
# 0.2 was best of STRENGTHS on the held-out dev split of the team's AI-actor corpus with 200 training-split labels
# (macro-F1 0.513 vs 0.02: 0.459, 0.06: 0.496, 0.6: 0.497, 2: 0.500; base 0.486); never chosen on a test split.
DEFAULT_STRENGTH = 0.2
STRENGTHS = (0.02, 0.06, 0.2, 0.6, 2.0)  # tried by --strength auto (nested cross-validation)
# The English model (word + char TF-IDF + valences) moves further per unit of strength than the Chinese one: with
# 44 English labels of the train split (8 draws), 0.2 lost 0.063 macro-F1 on the English dev rows, 60 lost 0.002.
# No default is measured for it, so its strength is chosen by nested CV from stronger priors (few labels → near 60,
# i.e. close to the base).
ENGLISH_STRENGTHS = (0.6, 2.0, 6.0, 20.0, 60.0)


def default_strength(task: str) -> float | None:
    """The measured default for sentiment; stance and emotion have none measured, so theirs is chosen by nested CV."""
    return DEFAULT_STRENGTH if task == "sentiment" else None
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
    y: np.ndarray  # class index of the task (sentiment: 0 negative, 1 positive, 2 neutral)
    provenance: dict[str, Any] = field(default_factory=dict)
    task: Task = SENTIMENT

    @property
    def n(self) -> int:
        return len(self.items)


def synthetic_items(con: Any, labels: pd.DataFrame) -> set[str]:
    """The labelled items that are synthetic (demo) records: text we wrote, never training or evaluation data."""
    keyed = labels[labels["source"].notna() & labels["id"].notna()] if not labels.empty else labels
    if keyed.empty or not has_table(con, "records"):
        return set()
    pairs = sorted({(s, i) for s, i in zip(keyed["source"], keyed["id"], strict=True)})
    con.execute("CREATE OR REPLACE TEMP TABLE labelled_records(source VARCHAR, id VARCHAR)")
    con.executemany("INSERT INTO labelled_records VALUES (?, ?)", pairs)
    return {f"{s}:{i}" for s, i in con.execute(
        "SELECT DISTINCT r.source, r.id FROM records r JOIN labelled_records USING (source, id) "
        "WHERE r.synthetic").fetchall()}


def tracker_labels(labels: pd.DataFrame, tracker: str, use_llm: bool = False,
                   task: Task = SENTIMENT, synthetic: set[str] | None = None) -> TrackerLabels:
    """One label of `task` per item of the tracker, with where the labels came from; labels of `synthetic` items
    (demo records) are left out and counted."""
    labels = labels[labels["tracker"] == tracker] if not labels.empty else labels
    fake = labels["item"].isin(synthetic or set()) if not labels.empty else pd.Series(dtype=bool)
    fake_items = labels.loc[fake, "item"] if len(fake) else pd.Series(dtype=object)
    labels = labels[~fake] if len(fake) else labels
    llm = labels["annotator"].map(is_llm) if not labels.empty else pd.Series(dtype=bool)
    pool = labels if use_llm else labels[~llm]
    good = usable(pool, task.name)
    consolidated = consolidate(good, task.name)
    y = np.array([task.index(v) for v in consolidated[task.name]], dtype=int)
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
        "label_counts": {c: int((y == i).sum()) for i, c in enumerate(task.classes)},
        "items_double_labelled": int((consolidated["n_annotators"] > 1).sum()) if len(consolidated) else 0,
        "left_out": {"unsure": int(status.get("unsure", 0)), "skip": int(status.get("skip", 0)),
                     "contested (tied majority)": int(good["item"].nunique() - len(consolidated)) if not good.empty else 0,
                     "llm pre-labels": 0 if use_llm else int(llm.sum()) if len(llm) else 0,
                     "synthetic (demo) records": int(fake_items.nunique())},
        "llm_labels_used": bool(use_llm and len(llm) and llm.any()),
        "linked_to_records": int((~consolidated.index.str.startswith("text:")).sum()) if len(consolidated) else 0,
    }
    return TrackerLabels(tracker, list(consolidated.index), list(consolidated["text"]), y, provenance, task)


def _iso(value: Any) -> str | None:
    """An instant as ISO 8601 in UTC (the store session reads it in the display zone)."""
    return None if value is None or pd.isna(value) else as_utc(pd.Timestamp(value).to_pydatetime()).isoformat()


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
                   seed: int = 20240601, k: int | None = None, groups: np.ndarray | None = None) -> tuple[float, float]:
    """Percentile-bootstrap 95% interval of macro-F1(adapted) − macro-F1(base) over classes 0..k-1 (default: every
    class index that occurs in y, base or adapted), items resampled in pairs (scipy.stats.bootstrap).

    `groups` (e.g. `text_keys`): rows of one key, such as reposts of one text, are resampled together, as the folds
    keep them together; row by row, copies of a text would count as independent items and narrow the interval.
    """
    y, base, adapted = (np.asarray(v, dtype=int) for v in (y, base, adapted))
    k = k or int(max(np.max(y, initial=0), np.max(base, initial=0), np.max(adapted, initial=0))) + 1
    keys = np.arange(len(y)) if groups is None else first_seen_ids(np.asarray(groups, dtype=str))
    # per group, its rows' (true, predicted) cell counts for each model: a resample's confusion is their sum
    cells = [group_cells(keys, y, pred, k) for pred in (base, adapted)]
    if len(cells[0]) < 2:
        gain = macro_f1(confusion(y, adapted, k)) - macro_f1(confusion(y, base, k))
        return gain, gain

    def gain(drawn: np.ndarray, axis: int = -1) -> np.ndarray:
        b, a = (macro_f1_of_counts(resampled_confusions(drawn, axis, model_cells, k)) for model_cells in cells)
        return a - b

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        res = bootstrap((np.arange(len(cells[0])),), gain, vectorized=True, n_resamples=n_boot, batch=100,
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
    english_strength: float | None = None  # the English model's prior: None = one of ENGLISH_STRENGTHS by nested CV
    folds: int = DEFAULT_FOLDS
    seed: int = 20240601
    base: str | None = None  # None: the task's shipped model; AUTO: sentiment chooses fast or e5 (adapt_choice)
    max_rescore_minutes: float = DEFAULT_MAX_RESCORE_MINUTES  # AUTO: e5 only if the tracker re-scores within this
    task: str = "sentiment"
    use_llm: bool = False
    n_boot: int = 1000
    name: str | None = None  # default: <base>-<tracker>


def _predict_classes(proba: np.ndarray) -> np.ndarray:
    return PROBA_TO_CLASS[np.asarray(proba).argmax(axis=1)]


# ---------- the prior method ----------

@dataclass
class PriorProblem:
    """A linear model's base weights and a tracker's labelled texts in its feature space."""

    x: sp.csr_matrix  # features of the labelled texts
    y: np.ndarray  # class index per label
    weights: np.ndarray  # (d, k) the base weights that adapting moves
    bias: np.ndarray  # (k,)
    column: np.ndarray  # class index → the model's output column
    offset: np.ndarray | None = None  # (n, k) logits left as they are (a block model's target block)
    groups: np.ndarray | None = None  # same_text_key per label: copies of a text stay in one fold (None: each alone)

    def classes_of(self, logits: np.ndarray) -> np.ndarray:
        return np.argsort(self.column)[np.asarray(logits).argmax(axis=1)]

    def subset(self, index: np.ndarray) -> PriorProblem:
        return PriorProblem(self.x[index], self.y[index], self.weights, self.bias, self.column,
                            None if self.offset is None else self.offset[index],
                            None if self.groups is None else self.groups[index])


def fit_map(problem: PriorProblem, strength: float, max_iter: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Weights and bias minimising the class-balanced log-loss over the problem's labels + strength/2·|θ − θ_base|²
    (class-balanced weights average 1 per row, so the labels outweigh the prior as they grow).

    Features absent from x get no gradient but the penalty's, which is zero at the base: they keep the base's
    weights exactly, so only the active columns are optimised (fast, and the same optimum).
    """
    x, y = problem.x, problem.y
    k = problem.weights.shape[1]
    active = np.unique(x.indices)
    xa = x[:, active].tocsr()
    w0 = np.asarray(problem.weights[active], dtype=np.float64)
    b0 = np.asarray(problem.bias, dtype=np.float64)
    offset = np.zeros((len(y), k)) if problem.offset is None else np.asarray(problem.offset, dtype=np.float64)
    columns = problem.column[y]
    counts = np.bincount(y, minlength=len(problem.column))
    weights = np.array([len(y) / (np.count_nonzero(counts) * counts[c]) for c in y]) / len(y)  # mean loss
    strength = strength / len(y)  # scaled to match the mean loss
    target = np.zeros((len(y), k))
    target[np.arange(len(y)), columns] = 1.0
    xt = xa.T.tocsr()
    d = len(active)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        coef, bias = theta[: d * k].reshape(d, k), theta[d * k:]
        p = softmax(np.asarray(xa @ coef) + bias + offset)
        loss = -(weights * np.log(p[np.arange(len(y)), columns] + 1e-300)).sum()
        loss += strength / 2 * (float(((coef - w0) ** 2).sum()) + float(((bias - b0) ** 2).sum()))
        g = (p - target) * weights[:, None]
        grad = np.concatenate([(xt @ g + strength * (coef - w0)).ravel(), g.sum(axis=0) + strength * (bias - b0)])
        return loss, grad

    result = minimize(objective, np.concatenate([w0.ravel(), b0]), jac=True, method="L-BFGS-B",
                      options={"maxiter": max_iter})
    coef = np.array(problem.weights, dtype=np.float32, copy=True)
    coef[active] = result.x[: d * k].reshape(d, k).astype(np.float32)
    return coef, result.x[d * k:]


def fit_prior(base: LinearScorer, x: sp.csr_matrix, y: np.ndarray, strength: float,
              max_iter: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """fit_map for the sentiment scorer: y in sentiment classes, the scorer's columns negative, neutral, positive."""
    return fit_map(PriorProblem(x, y, base.weights, base.bias, PROBA_COLUMN), strength, max_iter)


def _prior_logits(problem: PriorProblem, train: np.ndarray, held: np.ndarray, strength: float) -> np.ndarray:
    coef, bias = fit_map(problem.subset(train), strength)
    offset = 0.0 if problem.offset is None else problem.offset[held]
    return np.asarray(problem.x[held] @ coef, dtype=np.float64) + bias + offset


def choose_strength(problem: PriorProblem, strengths: tuple[float, ...], folds: int,
                    seed: int) -> tuple[float, dict[float, float]]:
    """The strength with the best cross-validated macro-F1 on the problem (ties: the stronger prior), and all scores."""
    y, k_classes = problem.y, len(problem.column)
    k = _fold_count(y, folds)
    fold = grouped_folds(problem.groups, y, k, seed)  # as the outer folds: no copy of a held text in training
    scores = {}
    for strength in strengths:
        pred = np.empty(len(y), dtype=int)
        for f in range(k):
            train, held = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
            pred[held] = problem.classes_of(_prior_logits(problem, train, held, strength))
        scores[strength] = macro_f1(confusion(y, pred, k_classes))
    best = max(scores.values())
    return max(s for s, v in scores.items() if v >= best - 1e-12), scores


def cross_validate_prior(problem: PriorProblem, folds: np.ndarray, settings: AdaptSettings,
                         log: Callable[[str], None]) -> tuple[np.ndarray, list[float]]:
    """Out-of-fold logits for every label, the strength chosen inside each outer fold (nested CV)."""
    logits = np.zeros((len(problem.y), problem.weights.shape[1]))
    chosen = []
    for f in range(int(folds.max()) + 1):
        train, held = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        if settings.strength is not None:
            strength = settings.strength
        else:
            strength, _ = choose_strength(problem.subset(train), settings.strengths, INNER_FOLDS, settings.seed)
        chosen.append(strength)
        logits[held] = _prior_logits(problem, train, held, strength)
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


# ---------- English rows routed to another model ----------

@dataclass
class EnglishPart:
    """The tracker's English labels where the base sends English rows to another model (sentiment: an English model
    or VADER; emotion: the English emotion model): that model scores them, in the cross-validation as in
    production, and adapts alongside when it is linear."""

    rows: np.ndarray  # bool per label
    model: Any  # the base's English route (an EnglishScorer, or VADER)
    problem: PriorProblem | None  # None: not a linear model (VADER), so scored but not adapted
    texts: list[str] = field(default_factory=list)

    def base_logits(self) -> np.ndarray:
        if self.problem is not None:
            return _base_logits(self.model, self.problem)
        return np.log(self.model.predict_proba(self.texts) + 1e-12)


def english_part(base: Any, labels: TrackerLabels) -> EnglishPart | None:
    """The English labels and their route model, or None where the base scores every row itself."""
    from analysis.nlp.sentiment import english_mask, english_scorer
    from analysis.nlp.sentiment.english import EnglishScorer

    if labels.task is SENTIMENT:
        route, column = english_scorer(base), PROBA_COLUMN
    else:  # a stance or emotion model routing English rows (CharLRModel.english), or None
        route, column = getattr(base, "english", None), np.arange(len(labels.task.classes))
    rows = english_mask(labels.texts) if route is not None else np.zeros(labels.n, dtype=bool)
    if route is None or not rows.any():
        return None
    texts = [labels.texts[i] for i in np.flatnonzero(rows)]
    problem = None
    if isinstance(route, EnglishScorer):
        x = route.features([model_input(t) for t in texts])
        problem = PriorProblem(x, labels.y[rows], route.weights, route.bias, column, groups=text_keys(labels)[rows])
    return EnglishPart(rows, route, problem, texts)


def adaptable(y: np.ndarray, classes: int) -> bool:
    """Enough labels, in enough classes, to cross-validate and move a model."""
    counts = np.bincount(y, minlength=classes)
    return len(y) >= MIN_LABELS and np.count_nonzero(counts >= MIN_PER_CLASS) >= 2


def _adapted_english(part: EnglishPart, name: str, tracker: str, coef: np.ndarray, bias: np.ndarray) -> Any:
    from analysis.nlp.sentiment.english import EnglishScorer
    from analysis.nlp.sentiment.english_training import weights_digest as english_digest

    model = EnglishScorer(name, "unversioned", part.model.vocabularies, part.model.idf, coef, bias, part.model.lexicon,
                          part.model.task.name)
    model.version = f"{part.model.version}-{tracker}.{english_digest(model)[:8]}"
    return model


# ---------- the command ----------

def _fold_count(y: np.ndarray, folds: int) -> int:
    """As many folds as asked, at most the size of the smallest class with two or more labels (a class labelled
    once sits in one fold)."""
    counts = np.bincount(y)
    return max(2, min(folds, int(counts[counts >= 2].min())))


def same_text_key(text: str) -> str:
    """Texts the models read as the same (case, spacing and what cleaning removes aside) share this key."""
    return " ".join(model_input(text).split())


def trained_texts(model_name: str | None, store: Store | None = None) -> set[str]:
    """`trained_key` of every text a model adapted to a tracker was trained on, from its card (which names them by
    hash); for an older card, of every text labelled for its tracker in this store (a superset). Empty for a model not
    adapted to a tracker; ValueError when an older card's labels are not in this store (another machine, a fresh
    checkout): they could not be left out."""
    from analysis.nlp.model_info import named_card

    card = named_card(model_name) if model_name and model_name not in ("default", "auto") else None
    tracker = ((card or {}).get("adapted") or {}).get("tracker")
    if not tracker:
        return set()
    named = ((card or {}).get("trained_texts") or {}).get("keys")
    if isinstance(named, list):
        return {str(k) for k in named}
    with (store or Store()).connect(only=(LABELS,)) as con:
        labels = read_labels(con, tracker)
    if labels.empty:
        raise AdaptError(f"{model_name} was adapted to tracker {tracker}, but this store has no labels of tracker "
                         f"{tracker} and its card (written before cards named the texts trained on) does not say which "
                         "texts it was trained on, so they cannot be left out of the evaluation: evaluate where it was "
                         "adapted, or adapt it again")
    return {trained_key(t) for t in labels["text"] if isinstance(t, str)}


def trained_key(text: str) -> str:
    """What a card keeps of a text trained on: 16 hex of the sha256 of its same_text_key (never the text)."""
    return hashlib.sha256(same_text_key(text).encode("utf-8")).hexdigest()[:16]


def text_keys(labels: TrackerLabels) -> np.ndarray:
    """same_text_key of each label's text: the groups the folds keep together."""
    return np.array([same_text_key(t) for t in labels.texts], dtype=object)


def grouped_folds(keys: np.ndarray | None, y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Folds stratified by class (of each group's first label) in which rows of the same key share a fold; keys None:
    every row its own group."""
    if keys is None:
        return stratified_folds(y, k, seed)
    first = {key: i for i, key in reversed(list(enumerate(keys)))}
    groups = sorted(first.values())
    fold_of = dict(zip((keys[i] for i in groups), stratified_folds(y[groups], k, seed), strict=True))
    return np.array([fold_of[key] for key in keys], dtype=int)


def text_folds(labels: TrackerLabels, k: int, seed: int) -> np.ndarray:
    """Stratified folds in which items of the same text (reposts, copies, a record also imported as a bare text) share
    a fold, so no label is predicted by a model trained on its own text."""
    return grouped_folds(text_keys(labels), labels.y, k, seed)


def adapt(store: Store, tracker: str, shared: Path | None = None, settings: AdaptSettings | None = None,
          hp: Hyperparameters | None = None, out_root: Path | None = None,
          log: Callable[[str], None] = print) -> dict[str, Any]:
    """Cross-validate, fit and save the tracker's adapted model; returns the report (also in its card)."""
    settings = settings or AdaptSettings()
    hp = hp or Hyperparameters()
    if settings.task not in TASKS:
        raise AdaptError(f"task must be one of {', '.join(TASKS)}, not {settings.task!r}")
    task = TASKS[settings.task]
    if settings.method not in METHODS:
        raise AdaptError(f"method must be one of {', '.join(METHODS)}, not {settings.method!r}")
    if task is not SENTIMENT and settings.method != "prior":
        raise AdaptError(f"{task.name} adapts by the prior method only (refit retrains the sentiment model)")
    started = time.perf_counter()
    with store.connect() as con:
        all_labels = read_labels(con, tracker)
        synthetic = synthetic_items(con, all_labels)
        orphaned = orphaned_labels(con) if all_labels.empty else {}
        records = tracker_records(con, tracker) if auto_base(settings, task) else 0
    labels = tracker_labels(all_labels, tracker, settings.use_llm, task, synthetic)
    if synthetic:
        log(f"left out {len(synthetic)} labelled item(s) that are synthetic demo records (text we wrote is neither "
            "trained nor measured on)")
    humans = all_labels[~all_labels["annotator"].map(is_llm)] if not all_labels.empty else all_labels
    agreement = {"pairs": pairwise(humans, task.name), "llm_vs_humans": llm_vs_humans(all_labels, task.name)}
    if settings.use_llm:
        measured = [row for row in agreement["llm_vs_humans"] if row["kappa"] is not None]
        if not measured:
            raise AdaptError(f"tracker {tracker}: the language-model labels' agreement with human labels cannot be "
                             "measured (no overlap with two or more human-labelled items of more than one class); "
                             "label some of the same records by hand first")
    _check_enough(labels, orphaned)
    k = _fold_count(labels.y, settings.folds)
    folds = text_folds(labels, k, settings.seed)

    auto = None
    if auto_base(settings, task):
        chosen, reference, candidates, auto = _auto_fit(labels, settings, folds, shared, hp, records, log)
    else:
        chosen = reference = _fit(labels, replace(settings, base=None if settings.base == AUTO else settings.base),
                                  folds, shared, hp, log)
        candidates = [chosen]
    result = _result(labels, settings, folds, reference, chosen, candidates, auto, agreement, log)
    directory = (out_root or user_models_dir()) / chosen.name
    trained = sorted({trained_key(t) for t in labels.texts})
    result.update(_save_version(directory, chosen.final, chosen.english_model, result, chosen.base,
                                chosen.temperature, started, trained))
    return result


@dataclass
class Fitted:
    """One base adapted on the tracker's labels: its out-of-fold predictions and reports, and the model to save."""

    base: Any
    name: str
    base_pred: np.ndarray
    base_report: dict[str, Any]
    adapted_pred: np.ndarray
    adapted_report: dict[str, Any]
    final: Any
    english_model: Any
    method: dict[str, Any]
    temperature: float
    source: str  # the name or directory the base was loaded from (its card says its speed)
    _figures: Candidate | None = field(default=None, repr=False)  # the bootstrap is drawn once: the choice and the report

    def candidate(self, labels: TrackerLabels, settings: AdaptSettings, chosen: bool = False) -> Candidate:
        """Its cross-validated figures as an `adapt --base auto` candidate."""
        if self._figures is None:
            gain = paired_gain_ci(labels.y, self.base_pred, self.adapted_pred, settings.n_boot, settings.seed,
                                  len(labels.task.classes), groups=text_keys(labels))
            self._figures = Candidate(self.base.name, self.base.version, self.base_report["macro_f1"],
                                      self.base_report["macro_f1_ci95"], self.adapted_report["macro_f1"],
                                      self.adapted_report["macro_f1_ci95"], [round(v, 4) for v in gain],
                                      model_speed(self.source))
        return replace(self._figures, chosen=chosen)


def auto_base(settings: AdaptSettings, task: Task) -> bool:
    """Whether the base is chosen between the fast model and the e5 option (`--base auto`, sentiment, prior)."""
    return settings.base == AUTO and task is SENTIMENT and settings.method == "prior"


def tracker_records(con: Any, tracker: str) -> int:
    """How many records the tracker holds (what re-scoring it with an adapted model scores)."""
    if not has_table(con, "records"):
        return 0
    return int(con.execute("SELECT count(*) FROM records WHERE list_contains(trackers, ?)", [tracker]).fetchone()[0])


def _auto_fit(labels: TrackerLabels, settings: AdaptSettings, folds: np.ndarray, shared: Path | None,
              hp: Hyperparameters, records: int,
              log: Callable[[str], None]) -> tuple[Fitted, Fitted, list[Fitted], dict[str, Any]]:
    """The fast model and (where its encoder runs) the e5 option, each adapted and cross-validated on the labels;
    the chosen one, the fast one (the tracker's base before adapting), both, and what was said of the choice."""
    from analysis.nlp.encoder import available
    from analysis.nlp.sentiment.e5 import is_e5_model, model_encoder
    from collectors.paths import model_dir

    log(f"--base auto: adapting the fast model {DEFAULT_MODEL}")
    fast = _fit(labels, replace(settings, base=DEFAULT_MODEL), folds, shared, hp, log)
    e5, missing = None, None
    option = model_dir(E5_MODEL)
    ok, why = available(model_encoder(option) if option is not None and is_e5_model(option) else None)
    if not ok:
        missing = f"its encoder cannot run here ({why})"
    else:
        log(f"--base auto: adapting the e5 option {E5_MODEL}")
        try:
            e5 = _fit(labels, replace(settings, base=E5_MODEL), folds, shared, hp, log)
        except AdaptError as exc:  # e.g. the option missing, or trained with another fast model
            missing = str(exc)
    which, said = choose(fast.candidate(labels, settings), e5.candidate(labels, settings) if e5 else None, records,
                         settings.max_rescore_minutes, missing)
    log(f"--base auto: {said['reason']}")
    chosen = e5 if which == "e5" and e5 is not None else fast
    return chosen, fast, [f for f in (fast, e5) if f is not None], said


def _fit(labels: TrackerLabels, settings: AdaptSettings, folds: np.ndarray, shared: Path | None, hp: Hyperparameters,
         log: Callable[[str], None]) -> Fitted:
    """The settings' base adapted on the labels, with its out-of-fold figures (its version set)."""
    task, tracker, k = labels.task, labels.tracker, int(folds.max()) + 1
    base, problem = _base_problem(settings, labels)
    english = english_part(base, labels)
    own = ~english.rows if english else np.ones(labels.n, dtype=bool)
    main = problem.subset(np.flatnonzero(own))
    base_logits = np.zeros((labels.n, problem.weights.shape[1]))
    base_logits[own] = _base_logits(base, main)
    if english:
        base_logits[english.rows] = english.base_logits()
    base_pred = problem.classes_of(_shown(base, labels, base_logits))
    keys = text_keys(labels)  # copies of a text are one item: in the folds and in every bootstrap interval
    base_report = evaluate_classes(labels.y, base_pred, task.classes, n_boot=settings.n_boot, seed=settings.seed,
                                   groups=keys)
    log(f"tracker {tracker}: {labels.n} {task.name} labels by {labels.provenance['n_annotators']} annotator(s); "
        f"method {settings.method}; {k}-fold cross-validation; base model macro-F1 {base_report['macro_f1']:.3f}")
    if missing := missing_classes(labels.provenance["label_counts"]):
        log(f"no {', '.join(missing)} labels: macro-F1 is over {', '.join(base_report['macro_f1_over'])} only, and the "
            f"adapted model is not shown what {' or '.join(missing)} looks like on this tracker (label some to cover it)")
    name = folder_name(settings.name or f"{base.name}-{tracker}")
    english_model = None
    if settings.method == "prior":
        logits = base_logits.copy()
        k_classes = len(task.classes)
        if adaptable(main.y, k_classes):
            logits[own], per_fold = cross_validate_prior(main, folds[own], settings, log)
            strength, grid = ((settings.strength, {}) if settings.strength is not None else
                              choose_strength(main, settings.strengths, settings.folds, settings.seed))
            coef, bias = fit_map(main, strength)
            onehot = np.eye(k_classes)[problem.column[main.y]]
            temperature = fit_temperature(logits[own], onehot)
        else:  # e.g. every label is English: the base model keeps its weights
            per_fold, strength, grid = [], None, {}
            coef, bias, temperature = problem.weights, problem.bias, getattr(base, "temperature", 1.0)
        method = {"method": "prior", "strength": strength, "strengths_per_outer_fold": per_fold,
                  "strengths_tried": list(settings.strengths) if settings.strength is None else [settings.strength],
                  "cv_macro_f1_by_strength_on_all_labels (not nested; for reference)": {f"{s:g}": round(v, 4)
                                                                                        for s, v in grid.items()},
                  "n_features_moved": len(np.unique(main.x.indices)) if strength is not None else 0}
        if english:
            method["english"] = {"n_labels": int(english.rows.sum()), "model": english.model.name,
                                 "adapted": False}
            if english.problem is not None and adaptable(english.problem.y, k_classes):
                log(f"{int(english.rows.sum())} English labels: adapting {english.model.name} too")
                en_settings = replace(settings, strength=settings.english_strength, strengths=ENGLISH_STRENGTHS)
                logits[english.rows], en_folds = cross_validate_prior(english.problem, folds[english.rows],
                                                                      en_settings, log)
                en_strength = (settings.english_strength if settings.english_strength is not None else
                               choose_strength(english.problem, ENGLISH_STRENGTHS, settings.folds, settings.seed)[0])
                en_coef, en_bias = fit_map(english.problem, en_strength)
                english_model = _adapted_english(english, f"{name}-en", tracker, en_coef, en_bias)
                method["english"].update(adapted=True, strength=en_strength, strengths_per_outer_fold=en_folds,
                                         model=english_model.name, version=english_model.version,
                                         base_model=english.model.name, base_version=english.model.version)
            else:
                method["english"]["note"] = ("scored by the base's English route, unadapted (too few English labels "
                                             "or not a linear model)")
        if strength is None and english_model is None:
            raise AdaptError(f"tracker {tracker}: no part of the labels is enough to adapt on (each of the Chinese "
                             f"and English labels needs {MIN_LABELS}+ in two classes)")
        final = _adapted_model(base, name, coef, bias, temperature)
        if english_model is not None and hasattr(final, "attach_english"):
            final.attach_english(english_model)
        elif english_model is not None:
            final.english_route = english_model.name
        adapted_pred = problem.classes_of(_shown(base, labels, logits))
        adapted_report = evaluate_classes(labels.y, adapted_pred, task.classes, n_boot=settings.n_boot,
                                          seed=settings.seed, groups=keys)
    else:
        if isinstance(base, E5Scorer):
            raise AdaptError(f"{base.name}: an e5 option adapts by the prior method (its head moves towards the "
                             "base's); refit retrains the fast char model")
        if shared is None:
            raise AdaptError("the refit method needs the base training data (../shared/data; give --shared PATH)")
        base_rows = load_training_rows(shared, hp)
        log(f"{len(base_rows.inputs):,} base training rows")
        compared, chosen = [], None
        for weight in dict.fromkeys([settings.weight, *settings.compare_weights]):
            cv_logits = cross_validate(base_rows, labels, weight, folds, hp, log)
            pred = _predict_classes(softmax(cv_logits))
            report = evaluate_classes(labels.y, pred, SENTIMENT.classes, n_boot=settings.n_boot, seed=settings.seed,
                                      groups=keys)
            compared.append({"weight": weight, "cv_macro_f1": report["macro_f1"],
                             "cv_macro_f1_ci95": report["macro_f1_ci95"], "cv_accuracy": report["accuracy"]})
            log(f"weight {weight:g}: cross-validated macro-F1 {report['macro_f1']:.3f} {report['macro_f1_ci95']}")
            if weight == settings.weight:
                chosen = (cv_logits, pred, report)
        assert chosen is not None
        logits, adapted_pred, adapted_report = chosen
        if english:  # production scores English rows by the route, which refitting leaves as it is
            logits[english.rows] = base_logits[english.rows]
            adapted_pred = problem.classes_of(logits)
            adapted_report = evaluate_classes(labels.y, adapted_pred, SENTIMENT.classes, n_boot=settings.n_boot,
                                              seed=settings.seed, groups=keys)
        temperature = fit_temperature(logits, np.array([ONE_HOT[int(c)] for c in labels.y]))
        rows = with_labels(base_rows, labels, np.arange(labels.n), settings.weight)
        final = fit_scorer(rows, np.arange(len(rows.inputs)), hp, temperature, name=name)
        final.english_route = base.english_route
        method = {"method": "refit", "weight": settings.weight, "weights_compared": compared,
                  "training_rows": {"base": len(base_rows.inputs), "tracker labels": labels.n, "files": rows.files},
                  "hyperparameters": {"ngram_orders": list(hp.ngram_orders), "min_df": hp.min_df, "l2": hp.l2,
                                      "binary_row_weight": hp.binary_weight, "max_iter": hp.max_iter}}
        if english:  # its cross-validated figure scored these labels by the route (captions say so)
            method["english"] = {"n_labels": int(english.rows.sum()), "model": english.model.name, "adapted": False,
                                 "note": "scored by the base's English route, which refitting leaves as it is"}
    final.version = f"{base.version}-{tracker}.{_digest(final)[:8]}"
    return Fitted(base, name, base_pred, base_report, adapted_pred, adapted_report, final, english_model, method,
                  temperature, settings.base or base.name)


def _result(labels: TrackerLabels, settings: AdaptSettings, folds: np.ndarray, reference: Fitted, chosen: Fitted,
            candidates: list[Fitted], auto: dict[str, Any] | None, agreement: dict[str, Any],
            log: Callable[[str], None]) -> dict[str, Any]:
    """The report: the `chosen` model adapted against the `reference` base (the tracker's model before adapting:
    the base asked for, or under --base auto the default fast model), each candidate's own figures beside."""
    task, tracker, k = labels.task, labels.tracker, int(folds.max()) + 1
    keys = text_keys(labels)
    base_report, adapted_report = reference.base_report, chosen.adapted_report
    gain_ci = paired_gain_ci(labels.y, reference.base_pred, chosen.adapted_pred, settings.n_boot, settings.seed,
                             len(task.classes), groups=keys)
    log(f"adapted: cross-validated macro-F1 {adapted_report['macro_f1']:.3f} (temperature {chosen.temperature:.3f})")
    switched = chosen.base.name != reference.base.name
    note = ("the base model never saw these labels, so its figures are on all of them; the adapted model's are "
            f"out-of-fold ({k}-fold, stratified by class)")
    if switched:
        note += (f"; the base is the tracker's model before adapting ({reference.base.name}), and the adapted model "
                 f"was adapted from {chosen.base.name}, so the gain includes switching to its slower encoder")
    result = {
        "model": chosen.name,
        "version": chosen.final.version,
        "task": task.name,
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
        **({"strength": chosen.method["strength"]} if settings.method == "prior" else {"weight": settings.weight}),
        "method_details": chosen.method,
        "base_model": reference.base.name,
        "base_version": reference.base.version,
        "adapted_from": chosen.base.name,
        "adapted_from_version": chosen.base.version,
        "speed_posts_per_s": model_speed(chosen.source),
        "base_choice": settings.base or "default",
        "candidates": [c.candidate(labels, settings, chosen=c is chosen).as_dict() for c in candidates],
        **({"auto": auto} if auto is not None else {}),
        "base_note": note,
        "verdict": verdict(gain_ci),
        "agreement": agreement,
        "provenance": labels.provenance,
        "evaluation_base": base_report,
        "evaluation_adapted": adapted_report,
    }
    return result


def _save_version(directory: Path, final: Any, english_model: Any, result: dict[str, Any], base: Any,
                  temperature: float, started: float, trained: list[str]) -> dict[str, Any]:
    """Keep the new version under history/ and make it current unless it is worse than the base or than the version
    in use (`adapt_versions.replaces`); what the report says about it."""
    from analysis.nlp import adapt_versions as versions

    kept = versions.version_dir(directory, final.version)
    card = build_card(result, base, temperature, time.perf_counter() - started)
    card["trained_texts"] = {"keys": trained, "key": "16 hex of sha256 of each text as the model reads it "
                             "(adapt.same_text_key): `evaluate` leaves these texts out, wherever it runs"}
    with versions.turn(directory):
        current = versions.repaired_current(directory)
        versions.keep_current(directory)  # one adapted before every version was kept
        if english_model is not None:
            _save_english(english_model, kept / versions.ENGLISH, result)
        final.save(kept)
        write_card(kept, card)
        same = current is not None and current.get("version") == final.version
        make_current, why = (True, None) if same else versions.replaces(result["verdict"], current)
        if make_current:
            versions.install(directory, kept)
    previous = (current or {}).get("version")
    return {"current": make_current, "current_version": final.version if make_current else previous,
            "replaced_version": previous if make_current and not same else None, "kept_because": why,
            "model_dir": str(directory), "version_dir": str(kept)}


def folder_name(name: str) -> str:
    """`name` if it is one plain folder name; the adapted model's folder is named after its base model's card, and a
    card from elsewhere (a shared model directory) could name '../..' or an absolute path."""
    if not name or name in (".", "..") or Path(name).name != name or "\\" in name or name != name.strip():
        raise AdaptError(f"the adapted model would be named {name!r}, which is not a plain folder name (it comes from "
                         "the base model's card.json 'name'): fix that name")
    return name


def verdict(gain_ci: tuple[float, float] | list[float]) -> str:
    """What the paired interval of the gain says: "better", "worse" or "no clear difference" (keep the base)."""
    lo, hi = gain_ci
    return "better" if lo > 0 else "worse" if hi < 0 else "no clear difference"


def _base_problem(settings: AdaptSettings, labels: TrackerLabels) -> tuple[Any, PriorProblem]:
    """The base model of the task and the labels in its feature space."""
    if labels.task is SENTIMENT:
        try:
            base = get_scorer(settings.base or DEFAULT_MODEL)
        except ValueError as exc:  # unknown, or a model of another task
            raise AdaptError(str(exc)) from None
        if isinstance(base, E5Scorer):  # its logistic head over the labels' e5 embeddings
            x = sp.csr_matrix(base.vectors(labels.texts).astype(np.float64))
            return base, PriorProblem(x, labels.y, base.weights, base.bias, PROBA_COLUMN, groups=text_keys(labels))
        if not isinstance(base, LinearScorer):
            raise AdaptError(f"{settings.base}: only a linear n-gram model (like the shipped one) or an e5 option "
                             "can be adapted")
        x = base.featurizer.transform([model_input(t) for t in labels.texts])
        return base, PriorProblem(x, labels.y, base.weights, base.bias, PROBA_COLUMN, groups=text_keys(labels))
    from analysis.nlp.charlr import CharLRModel, featurize, load_task_model
    from analysis.nlp.e5_task_model import FAST_MODELS

    try:
        model = load_task_model(settings.base or "default", labels.task, FAST_MODELS[labels.task.name], ())
    except ValueError as exc:
        raise AdaptError(str(exc)) from None
    if not isinstance(model, CharLRModel):
        raise AdaptError(f"{model.name}: only a char n-gram model (like the shipped default) can be adapted")
    inputs = [model_input(t) for t in labels.texts]
    x = featurize(model.featurizer, inputs, model.extra)
    block = model.block_index(None, len(inputs))  # the tracker's posts are read against the default target
    offset = np.zeros((len(inputs), len(model.classes)))
    for b in np.unique(block[block >= 0]):
        rows = np.flatnonzero(block == b)
        offset[rows] = np.asarray(x[rows] @ model.weights[1 + b], dtype=np.float64) + model.bias[1 + b]
    return model, PriorProblem(x, labels.y, model.weights[0], model.bias[0], np.arange(len(model.classes)), offset,
                               text_keys(labels))


def _base_logits(base: Any, problem: PriorProblem) -> np.ndarray:
    offset = 0.0 if problem.offset is None else problem.offset
    return np.asarray(problem.x @ problem.weights, dtype=np.float64) + problem.bias + offset


def _shown(base: Any, labels: TrackerLabels, logits: np.ndarray) -> np.ndarray:
    """Logits of what the model outputs: an e5 option's head logits blended with its fast model, as production
    blends them (its figures are the option's, not its head's alone); any other model's as they are."""
    if not isinstance(base, E5Scorer):
        return logits
    try:
        return np.log(base.blend(softmax(logits), labels.texts) + 1e-12)
    except StaleBlendError as exc:
        raise AdaptError(str(exc)) from None


def _adapted_model(base: Any, name: str, coef: np.ndarray, bias: np.ndarray, temperature: float) -> Any:
    if isinstance(base, E5Scorer):  # the head moves; the blend and its fast model stay
        return E5Scorer(name, "unversioned", coef, bias, base.alpha, base.char_model, alpha_en=base.alpha_en,
                        fast_version=base.fast_version)
    if isinstance(base, LinearScorer):
        return LinearScorer(name, "unversioned", base.featurizer, coef, bias, temperature, base.english_route)
    from analysis.nlp.charlr import CharLRModel

    weights = np.array(base.weights, copy=True)
    weights[0] = coef
    biases = np.array(base.bias, copy=True)
    biases[0] = bias
    return CharLRModel(name, "unversioned", base.task, base.featurizer, weights, biases, base.blocks,
                       base.default_block, base.extra, temperature, base.english_route)


def _digest(model: Any) -> str:
    from analysis.nlp.charlr_training import version_of

    if isinstance(model, E5Scorer):
        return hashlib.sha256(np.asarray(model.weights, dtype=np.float32).tobytes()
                              + np.asarray(model.bias, dtype=np.float64).tobytes()).hexdigest()
    return weights_digest(model) if isinstance(model, LinearScorer) else version_of(model).rsplit(".", 1)[1]


def orphaned_labels(con: Any) -> dict[str, int]:
    """Labels per tracker id that no tracker in trackers.toml has (a tracker whose id was changed), {} if none."""
    from collectors.trackers import TrackerFileError, load_trackers

    if not has_table(con, LABELS):
        return {}
    try:
        known = {t.id for t in load_trackers()}
    except TrackerFileError:
        return {}
    return {str(t): int(n) for t, n in con.execute(f"SELECT tracker, count(*) FROM {LABELS} GROUP BY 1 ORDER BY 1")
            .fetchall() if t not in known}


def _check_enough(labels: TrackerLabels, orphaned: dict[str, int] | None = None) -> None:
    counts = np.bincount(labels.y, minlength=len(labels.task.classes))
    if labels.n < MIN_LABELS:
        synthetic = labels.provenance.get("left_out", {}).get("synthetic (demo) records", 0)
        why = (f" ({synthetic} labelled item(s) left out: synthetic demo records, which are text we wrote, not "
               "posts; collect real records, then label them)" if synthetic else "")
        if orphaned:
            why += (". The store holds labels under tracker ids that no tracker in trackers.toml has now: "
                    + ", ".join(f"{t} ({n} labels)" for t, n in orphaned.items())
                    + "; labels keep the id they were given, so if this tracker's id was changed, give it its old id "
                      "back to use them")
        raise AdaptError(f"tracker {labels.tracker}: {labels.n} usable {labels.task.name} labels{why}; adapting needs "
                         f"at least {MIN_LABELS} (label more on the Label page or import a CSV)")
    if np.count_nonzero(counts >= MIN_PER_CLASS) < 2:
        raise AdaptError(f"tracker {labels.tracker}: too few {labels.task.name} labels per class for cross-validation "
                         f"({dict(zip(labels.task.classes, counts.tolist(), strict=True))}); need at least "
                         f"{MIN_PER_CLASS} labels in each of two classes")


def base_card(name: str) -> dict[str, Any]:
    """The base model's card, if it has one (for its English routing and its own measured figures)."""
    from analysis.nlp.model_info import named_card

    return named_card(name) or {}


def build_card(result: dict[str, Any], base: Any, temperature: float, seconds: float) -> dict[str, Any]:
    tracker = result["tracker"]
    parent = base_card(base.name)
    adapted_eval = {k: result["evaluation_adapted"][k] for k in ("n", "accuracy", "macro_f1", "accuracy_ci95",
                                                                  "macro_f1_ci95", "per_class", "confusion")}
    base_eval = {k: result["evaluation_base"][k] for k in adapted_eval}
    sentiment = result.get("task", "sentiment") == "sentiment"
    columns = ["negative", "neutral", "positive"] if sentiment else list(base.classes)
    return {
        "name": result["model"],
        "version": result["version"],
        "task": result.get("task", "sentiment"),
        "title": f"{parent.get('title') or base.name}, adapted to tracker {tracker} on its own labels",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "macro_f1": result["cv_macro_f1_adapted"],
        "macro_f1_ci95": result["cv_macro_f1_adapted_ci95"],
        "macro_f1_source": f"{result['folds']}-fold cross-validated on {result['n_labels']} labels of tracker {tracker}",
        "labels": columns,
        "probability_columns": columns,
        **({"language": parent.get("language", "zh"), "english_path": parent.get("english_path")} if sentiment else
           {"classes": columns}),
        "baseline": {"name": "base", "description": f"the base model {result['base_model']} {result['base_version']}, "
                                                    "unadapted (the tracker's model before adapting)"},
        "adapted": {k: v for k, v in result.items() if k not in ("evaluation_base", "evaluation_adapted")},
        "evaluations": [{"file": f"labels of {tracker}", "role": f"{result['folds']}-fold cross-validated "
                         "(out-of-fold) on the tracker's own labels", "caveat": _caveat(result),
                         "default": adapted_eval, "base": base_eval}],
        "method": {"summary": " ".join(__doc__.split("\n\n")[2].split()), **result["method_details"],
                   "temperature": round(temperature, 4)},
        "provenance": {"command": f"actorwatch adapt --tracker {tracker} --task {result.get('task', 'sentiment')} "
                                  f"--method {result['method']} --base {result.get('base_choice') or 'default'}",
                       "training_seconds": round(seconds),
                       "data_note": "label texts stay in the store's labels dataset; the model holds n-gram strings, "
                                    "idf and weights only, and this card a hash of each text trained on"},
    }


def _save_english(model: Any, directory: Path, result: dict[str, Any]) -> None:
    """The adapted English model beside the adapted model that routes English rows to it, with a short card."""
    model.save(directory)
    details = result["method_details"]["english"]
    card = {"name": model.name, "version": model.version, "task": result.get("task", "sentiment"), "language": "en",
            "title": f"{details['base_model']}, adapted to tracker {result['tracker']} on its English labels",
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "adapted": {"tracker": result["tracker"], "part_of": result["model"], "n_labels": details["n_labels"],
                        "strength": details["strength"], "base_model": details["base_model"],
                        "base_version": details["base_version"]},
            "note": f"the English route of {result['model']}; its cross-validated figures are in that model's card"}
    write_card(directory, card)


def _caveat(result: dict[str, Any]) -> str:
    parts = []
    if result["provenance"].get("llm_labels_used"):
        parts.append("includes language-model pre-labels (see agreement)")
    if result["n_labels"] < 100:
        parts.append(f"only {result['n_labels']} labels: wide intervals")
    parts.append("records sampled on the Label page or by `labels export` favour those the base model was unsure of, "
                 "so such labels are harder than a random sample")
    return "; ".join(parts)
