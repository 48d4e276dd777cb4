"""Training pieces shared by the stance and emotion models: labelled sources, fitting, in-domain figures, cards.

A model is a class-balanced multinomial logistic regression (scikit-learn, L-BFGS) over `charlr.featurize`
features; rows carry a per-source weight and, for a block-aware model, a block (a stance target, or the
source a row came from). Model selection uses the in-domain dev split only; the test split is measured once,
for the card.
"""

from __future__ import annotations

import hashlib
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from analysis.nlp import semantic
from analysis.nlp.charlr import CharLRModel, augment, featurize
from analysis.nlp.semantic import SemanticSettings
from analysis.nlp.sentiment.features import Featurizer, Lexicon, model_input
from analysis.nlp.sentiment.linear import file_sha256
from analysis.nlp.sentiment.training import git_revision
from analysis.nlp.task_eval import class_report, predict_set
from analysis.nlp.tasks import Task, TaskSet, read_task_csv
from analysis.nlp.text import clean_text

REPO = Path(__file__).resolve().parents[2]
LABELLED = REPO / "data" / "labelled"
IN_DOMAIN_DESCRIPTION = "{n} real sentences about AI actors (test split)"
Log = Callable[[str], None]


@dataclass(frozen=True)
class Hyperparameters:
    C: float = 4.0  # inverse L2 strength (scikit-learn)
    augment: bool = True  # per-block weight copies (block-aware model)
    extra: str | None = None  # dense feature block from charlr.EXTRA_FEATURES
    weights: dict[str, float] = field(default_factory=dict)  # source key → row weight (default 1)
    ngram_orders: tuple[int, ...] = (1, 2, 3)
    min_df: int = 2
    max_iter: int = 3000
    semantic: SemanticSettings | None = None  # e5 meaning of the n-grams folded into the weights (semantic.py)

    def weight(self, key: str) -> float:
        return float(self.weights.get(key, 1.0))

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Hyperparameters:
        """The inverse of as_dict (as a selection result stores it)."""
        values = dict(values)
        values["ngram_orders"] = tuple(values.get("ngram_orders", (1, 2, 3)))
        sem = values.get("semantic")
        values["semantic"] = SemanticSettings(**{**sem, "orders": tuple(sem["orders"])}) if sem else None
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ngram_orders"] = list(self.ngram_orders)
        out["semantic"] = self.semantic.as_dict() if self.semantic else None
        return out


@dataclass
class Source:
    """Rows of one labelled file that a model trains on."""

    key: str  # weight key, e.g. "synthetic", "nlpcc2016"
    display: str  # how the card names the file
    data: TaskSet
    keep: np.ndarray  # rows used for training (a held-back part is False)
    blocks: list[str]  # block name per row of `data`
    synthetic: bool = False
    used_for: str = "training"

    @property
    def n_used(self) -> int:
        return int(self.keep.sum())


@dataclass
class Rows:
    """Training rows from all sources, prepared once (model inputs, features later)."""

    inputs: list[str]
    y: np.ndarray
    source: np.ndarray  # index into `keys`
    blocks: list[str]
    keys: list[str]

    def weights(self, hp: Hyperparameters) -> np.ndarray:
        per_key = np.array([hp.weight(k) for k in self.keys])
        return per_key[self.source]

    def subset(self, index: np.ndarray) -> Rows:
        return Rows([self.inputs[i] for i in index], self.y[index], self.source[index],
                    [self.blocks[i] for i in index], self.keys)


def prepare(texts: Sequence[str]) -> list[str]:
    return [model_input(clean_text(t)) for t in texts]


def gather(sources: Sequence[Source]) -> Rows:
    inputs: list[str] = []
    y, src, blocks = [], [], []
    keys = [s.key for s in sources]
    for i, s in enumerate(sources):
        rows = np.flatnonzero(s.keep)
        inputs += prepare([s.data.texts[r] for r in rows])
        y.append(s.data.y[rows])
        src.append(np.full(len(rows), i))
        blocks += [s.blocks[r] for r in rows]
    return Rows(inputs, np.concatenate(y), np.concatenate(src), blocks, keys)


def read_source(path: Path, task: Task, key: str, display: str, block: str | Callable[[TaskSet], list[str]],
                synthetic: bool = False, keep: np.ndarray | None = None, used_for: str = "training") -> Source:
    data = read_task_csv(path, task)
    blocks = block(data) if callable(block) else [block] * data.n
    return Source(key, display, data, np.ones(data.n, dtype=bool) if keep is None else keep, blocks, synthetic,
                  used_for)


def fit_classifier(x: sp.csr_matrix, y: np.ndarray, w: np.ndarray, block: np.ndarray | None, n_blocks: int,
                   hp: Hyperparameters, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights (1 + n_blocks, d, k) and biases (1 + n_blocks, k) of a class-balanced softmax regression."""
    from sklearn.linear_model import LogisticRegression

    d = x.shape[1]
    design = augment(x, block, n_blocks) if n_blocks else x
    clf = LogisticRegression(C=hp.C, max_iter=hp.max_iter, class_weight="balanced")
    clf.fit(design, y, sample_weight=w)
    coef = np.zeros((k, design.shape[1]))
    intercept = np.full(k, -30.0)  # a class absent from training is never predicted
    seen = clf.classes_.astype(int)
    if len(seen) == 2:  # scikit-learn keeps one row for two classes: logit of the second
        coef[seen[1]], intercept[seen] = clf.coef_[0], (0.0, clf.intercept_[0])
    else:
        coef[seen], intercept[seen] = clf.coef_, clf.intercept_
    weights = np.zeros((1 + n_blocks, d, k), dtype=np.float32)
    bias = np.zeros((1 + n_blocks, k))
    weights[0], bias[0] = coef[:, :d].T, intercept
    for b in range(n_blocks):
        weights[1 + b] = coef[:, d * (1 + b): d * (2 + b)].T
        bias[1 + b] = coef[:, d * (1 + n_blocks) + b]
    return weights, bias


def block_names(rows: Rows, default_block: str) -> list[str]:
    """The model's blocks: the default first, then the others sorted."""
    return [default_block, *sorted(set(rows.blocks) - {default_block})]


def fit_model(rows: Rows, hp: Hyperparameters, task: Task, default_block: str, name: str,
              featurizer: Featurizer | None = None, x: sp.csr_matrix | None = None,
              vectors: dict[str, np.ndarray] | None = None) -> CharLRModel:
    """Fit one model on `rows` (a featurizer and feature matrix already built for exactly these rows may be given).

    With `hp.semantic` the design gets the dense block λ·X·E (E from `vectors`, the n-grams' e5 vectors; fetched
    through the embedding cache when not given) and every weight copy is folded back onto X afterwards."""
    if featurizer is None:
        featurizer = Featurizer.fit(rows.inputs, hp.ngram_orders, hp.min_df, Lexicon.load())
        x = None
    if x is None:
        x = featurize(featurizer, rows.inputs, hp.extra)
    blocks = block_names(rows, default_block) if hp.augment else []
    index = {b: i for i, b in enumerate(blocks)}
    which = np.array([index[b] for b in rows.blocks]) if blocks else None
    matrix = None
    if hp.semantic is not None:
        if vectors is None:
            vectors = semantic.embed_grams(semantic.grams_with_vectors(featurizer, len(rows.inputs), hp.semantic))
        matrix = semantic.build_matrix(featurizer, vectors, hp.semantic.dims)
        d = x.shape[1]
        x = semantic.with_dense(x, matrix, hp.semantic.scale)
    weights, bias = fit_classifier(x, rows.y, rows.weights(hp), which, len(blocks), hp, len(task.classes))
    if matrix is not None:
        weights = np.stack([semantic.collapse(w, matrix, hp.semantic.scale, d) for w in weights])
    model = CharLRModel(name, "unversioned", task, featurizer, weights, bias, blocks,
                        default_block if blocks else None, hp.extra)
    model.version = version_of(model)
    return model


def version_of(model: CharLRModel, major: str = "1.0") -> str:
    digest = hashlib.sha256()
    digest.update("\n".join(sorted(model.featurizer.vocab)).encode())
    digest.update("\n".join(model.blocks).encode())
    for array in (model.weights, model.bias):
        digest.update(np.ascontiguousarray(array).tobytes())
    if model.english_route != "self":  # a model scoring every row itself keeps the digest it always had
        digest.update(f"english_route={model.english_route}".encode())
    return f"{major}.{digest.hexdigest()[:8]}"


def in_domain_sets(task: Task, labelled: Path | None = None) -> dict[str, TaskSet]:
    labelled = labelled or LABELLED
    return {split: read_task_csv(labelled / f"{split}.csv", task) for split in ("dev", "test")}


def dev_score(model: Any, dev: TaskSet) -> dict[str, float]:
    """Macro-F1 on dev (all, zh, en) without intervals: what model selection compares."""
    pred = predict_set(model, dev)
    report = class_report(dev.task, dev.y, pred, dev.langs, n_boot=100)
    out = {"macro_f1": report["macro_f1"], "accuracy": report["accuracy"]}
    for lang, sub in report.get("by_lang", {}).items():
        out[f"macro_f1_{lang}"] = sub["macro_f1"]
    return out


def in_domain_reports(model: Any, sets: dict[str, TaskSet], n_boot: int = 1000) -> dict[str, Any]:
    """Each split's report as `actorwatch evaluate` gives it: intervals resample the split's pages (its url column)."""
    return {split: class_report(data.task, data.y, predict_set(model, data), data.langs, n_boot=n_boot,
                                groups=data.groups, group_by=data.group_by or "url")
            for split, data in sets.items()}


def in_domain_evaluations(reports: dict[str, dict[str, Any]], file: str = "data/labelled/test.csv") -> list[dict]:
    """One card evaluation per language of the in-domain test split; `reports` maps model/baseline → test report."""
    out = []
    for lang, name in (("zh", "Chinese"), ("en", "English")):
        entry: dict[str, Any] = {"file": file, "lang": lang,
                                 "role": f"in-domain test split, {name} rows (real text; never used to choose "
                                         f"anything)"}
        for model_name, report in reports.items():
            if lang in report.get("by_lang", {}):
                entry[model_name] = report["by_lang"][lang]
        out.append(entry)
    return out


def headline(test_report: dict[str, Any], file: str = "data/labelled/test.csv") -> dict[str, Any]:
    return {"metric": "macro_f1", "value": test_report["macro_f1"], "ci95": test_report["macro_f1_ci95"],
            "n": test_report["n"], "file": file,
            "description": IN_DOMAIN_DESCRIPTION.format(n=f"{test_report['n']:,}")}


def file_facts(source: Source) -> dict[str, Any]:
    data = source.data
    return {"file": source.display, "rows": data.n, "rows_used": source.n_used,
            "sha256": file_sha256(data.path), "synthetic_rows": data.n if source.synthetic else 0,
            "label_column": data.column, "used_for": source.used_for,
            "label_counts": {c: int((data.y[source.keep] == i).sum()) for i, c in enumerate(data.task.classes)}}


def measure_speed(model: Any, texts: Sequence[str], repeats: int = 3) -> float:
    """Texts per second of predict_proba (cleaning included), best of `repeats`, one process."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict_proba(list(texts))
        best = min(best, time.perf_counter() - start)
    return round(len(texts) / best, 1)


def stratified_holdback(labels: np.ndarray, share: float, seed: int) -> np.ndarray:
    """True for the rows held back: `share` of each class, chosen with a fixed seed."""
    rng = np.random.default_rng(seed)
    held = np.zeros(len(labels), dtype=bool)
    for value in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == value))
        held[members[: round(share * len(members))]] = True
    return held


def stratified_folds(strata: Sequence[str], folds: int, seed: int) -> np.ndarray:
    """Fold of each row: every stratum dealt round-robin over the folds after a seeded shuffle."""
    strata = np.asarray(strata)
    fold = np.empty(len(strata), dtype=int)
    rng = np.random.default_rng(seed)
    for value in np.unique(strata):
        members = rng.permutation(np.flatnonzero(strata == value))
        fold[members] = np.arange(len(members)) % folds
    return fold


def ids_sha256(ids: Sequence[str]) -> str:
    """sha256 of the sorted row ids, one per line: names a held-back part without copying it."""
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


def provenance(command: str, seconds: float) -> dict[str, Any]:
    return {**git_revision(), "python": platform.python_version(), "numpy": np.__version__,
            "training_seconds": round(seconds), "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": command,
            "data_note": "shared files are read in place from ../shared/data; no rows are copied into the "
                         "repository or the model (the model holds n-gram strings, idf and weights only)"}


def run_grid(grid: Sequence[Hyperparameters], rows: Rows, dev: TaskSet, task: Task, default_block: str,
             log: Log) -> list[dict[str, Any]]:
    """Dev figures for each setting (one featurizer per distinct feature setting)."""
    cache: dict[tuple, tuple[Featurizer, sp.csr_matrix]] = {}
    results = []
    for hp in grid:
        key = (hp.ngram_orders, hp.min_df, hp.extra)
        if key not in cache:
            fz = Featurizer.fit(rows.inputs, hp.ngram_orders, hp.min_df, Lexicon.load())
            cache[key] = (fz, featurize(fz, rows.inputs, hp.extra))
        t0 = time.perf_counter()
        model = fit_model(rows, hp, task, default_block, "selection", *cache[key])
        score = dev_score(model, dev)
        results.append({"hyperparameters": hp.as_dict(), "dev": score})
        log(f"  {hp.as_dict()} → dev macro-F1 {score['macro_f1']:.3f} (zh {score.get('macro_f1_zh', 0):.3f}, "
            f"en {score.get('macro_f1_en', 0):.3f}) [{time.perf_counter() - t0:.0f}s]")
    return results
