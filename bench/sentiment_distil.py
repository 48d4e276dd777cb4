"""Experiment: distil the e5 sentiment option (ai-actors-e5-3c) into the fast scorer (weibo-charlr-3c).

The teacher (the shipped e5 option as it scores: 0.5 · P_e5 + 0.5 · P_fast, or its e5 part alone) labels extra
unlabelled Chinese Weibo text (texts only of ../shared/data sentiment_usual_train.csv and
emotion_nlpcc2014_weibos.csv; never dev/test texts, never the held-out weibo_senti_100k); the student is the current
method (same features, vocabulary fitted on the gold rows only, so its speed is unchanged) fitted on the gold rows plus
the teacher-labelled rows, either as soft targets (each row three times, one per class, weighted by the teacher's
probability: the soft cross-entropy through the partial-label fitter) or as hard labels above a confidence threshold.
Scored on data/labelled/dev.csv exactly as bench/sentiment_variants.py scores its variants (its fitting, routing,
intervals and paired bootstrap are reused).

Result (dev, 8,000-text pool; card: training.DISTIL_EXPERIMENTS): no variant gained beyond noise (best +0.005, paired
interval across 0); the teacher is barely better than the student on this general-topic text (0.727 vs 0.720 against
the texts' own labels), so it has little to teach there.

Usage (ACTORWATCH_DATA points at a data dir whose cache/embeddings keeps the embeddings between runs):
  ACTORWATCH_DATA=<tmp>/dist33-data ACTORWATCH_ENCODER_THREADS=1 PYTHONPATH=. python bench/sentiment_distil.py --embed
      (embeds dev, the pool and the in-domain train rows once; ~26 texts/s/core)
  ACTORWATCH_DATA=... PYTHONPATH=. python bench/sentiment_distil.py [--only NAME ...] [--json OUT] [--save-test]
  ... --quote NAME    (test figure of one variant vs current, from the sealed predictions)
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from sentiment_variants import CURRENT, figures, proba_routed

from analysis.nlp.encoder import embed
from analysis.nlp.metrics import predict_labels
from analysis.nlp.sentiment import english_mask, english_scorer, get_scorer
from analysis.nlp.sentiment.e5 import E5Scorer, default_cache
from analysis.nlp.sentiment.features import Featurizer, Lexicon, model_input
from analysis.nlp.sentiment.linear import LinearScorer
from analysis.nlp.sentiment.training import (
    LABELLED,
    TrainingRows,
    fit_partial_label,
    load_training_rows,
    read_domain,
)
from analysis.nlp.text import clean_text
from collectors.paths import shared_data_dir

POOL_FILES = ("sentiment_usual_train.csv", "emotion_nlpcc2014_weibos.csv")  # texts only (labels for a comparison)
POOL_MAX = 8000
OUT = Path(tempfile.gettempdir()) / "actorwatch-sentiment-distil"
TEACHER_DIR = REPO / "data" / "models" / "ai-actors-e5-3c"
TO_COLUMN = np.array([0, 2, 1])  # CSV label (0 neg, 1 pos, 2 neu) → column (neg, neu, pos)


@dataclass(frozen=True)
class Distil:
    name: str
    pool: int = 0  # how many pool texts get teacher labels (first n of the shuffled pool)
    teacher: str = "blend"  # "blend" (the option as it scores) or "e5" (its e5 part alone)
    weight: float = 1.0  # per teacher-labelled row, against mean 1 per shared 3-class row (domain rows: 10)
    soft: bool = True  # soft targets; else hard argmax labels
    min_conf: float = 0.0  # hard labels: keep rows whose top teacher probability reaches this
    gold_labels: bool = False  # use the pool files' own (mapped) labels instead of the teacher's
    kd_domain: float = 0.0  # classic KD: also the in-domain zh train rows with the teacher's soft targets, this weight


def unlabelled_pool(shared: Path, limit: int = POOL_MAX) -> tuple[list[str], np.ndarray]:
    """Shuffled, deduplicated Chinese texts of POOL_FILES (8-300 model chars), none whose model text is in the
    in-domain train/dev/test files; with their own labels (CSV coding) for the comparison only."""
    seen = set()
    for name in ("train.csv", "synthetic_train.csv", "dev.csv", "test.csv"):
        seen |= {model_input(t) for t in read_domain(LABELLED / name)[0]}
    items = []
    for name in POOL_FILES:
        with (shared / name).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                text = row["text"]
                key = model_input(text)
                if key in seen or not 8 <= len(key) <= 300 or english_mask([text])[0]:
                    continue
                seen.add(key)
                items.append((text, int(row["label"])))
    random.Random(20240601).shuffle(items)
    items = items[:limit]
    return [t for t, _ in items], np.array([y for _, y in items])


def model_texts(texts: list[str]) -> list[str]:
    return [clean_text(t).model_text for t in texts]


def teacher_proba(teacher: E5Scorer, texts: list[str], kind: str) -> np.ndarray:
    return teacher.predict_proba(texts) if kind == "blend" else teacher.e5_proba(texts)


def fit_student(rows: TrainingRows, featurizer: Featurizer, x_gold: sp.csr_matrix, extra: list[tuple]) -> LinearScorer:
    """Current method's fit on the gold rows plus `extra` blocks (x, allowed, weights), one W."""
    xs, allowed, weights = [x_gold], [rows.allowed], [rows.weights]
    for x, a, w in extra:
        xs.append(x)
        allowed.append(a)
        weights.append(w)
    coef, bias = fit_partial_label(sp.vstack(xs).tocsr(), np.vstack(allowed), np.concatenate(weights), CURRENT.l2,
                                   CURRENT.max_iter)
    return LinearScorer("student", "x", featurizer, coef, bias)


def soft_block(x: sp.csr_matrix, q: np.ndarray, weight: float) -> tuple:
    """Each row three times, one-hot allowed, weight × q_c: Σ_c q_c log p_c, the soft cross-entropy."""
    n = x.shape[0]
    return (sp.vstack([x, x, x]).tocsr(), np.repeat(np.eye(3), n, axis=0), weight * q.T.ravel())


def hard_block(x: sp.csr_matrix, q: np.ndarray, weight: float, min_conf: float) -> tuple:
    keep = np.flatnonzero((q.max(axis=1) >= min_conf) & (q.max(axis=1) > 0))
    cls = q[keep].argmax(axis=1)
    counts = np.bincount(cls, minlength=3).astype(float)
    balance = np.where(counts > 0, len(cls) / (3 * np.maximum(counts, 1)), 0)  # class-balanced, as gold 3-class rows
    return x[keep], np.eye(3)[cls], weight * balance[cls]


VARIANTS = [
    Distil("current"),
    Distil("pool 4k soft blend-teacher w1", pool=4000),
    Distil("pool 8k soft blend-teacher w1", pool=8000),
    Distil("pool 8k soft blend-teacher w3", pool=8000, weight=3.0),
    Distil("pool 8k soft blend-teacher w10", pool=8000, weight=10.0),
    Distil("pool 8k soft blend-teacher w30", pool=8000, weight=30.0),
    Distil("pool 8k soft e5-teacher w1", pool=8000, teacher="e5"),
    Distil("pool 8k hard conf>=0.6 blend-teacher w1", pool=8000, soft=False, min_conf=0.6),
    Distil("pool 8k own labels (not the teacher) w1", pool=8000, soft=False, gold_labels=True),
    Distil("KD on in-domain zh train rows (soft, w 10)", kd_domain=10.0),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embed", action="store_true", help="embed dev, the pool and the train rows into the cache")
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--save-test", action="store_true")
    parser.add_argument("--quote")
    args = parser.parse_args()
    shared = shared_data_dir() or REPO.parent / "shared" / "data"
    OUT.mkdir(parents=True, exist_ok=True)
    if args.quote:
        t_texts, t_labels, t_langs = read_domain(LABELLED / "test.csv")
        sealed = np.load(OUT / "test_preds_sealed.npz")
        key = args.quote.replace(" ", "_")
        print("TEST", args.quote, json.dumps(figures(t_labels, sealed[key], sealed["current"], t_langs)))
        return
    pool_texts, pool_labels = unlabelled_pool(shared)
    train_texts, _, train_langs = read_domain(LABELLED / "train.csv")
    if args.embed:
        cache = default_cache()
        for what, texts in (("dev", read_domain(LABELLED / "dev.csv")[0]), ("pool", pool_texts),
                            ("train zh", [t for t, lang in zip(train_texts, train_langs, strict=True) if lang != "en"])):
            t0 = time.perf_counter()
            embed(model_texts(texts), cache, progress=True)
            print(f"{what}: {len(texts)} texts ready in {time.perf_counter() - t0:.0f}s", flush=True)
        return

    rows = load_training_rows(shared, CURRENT)
    teacher = E5Scorer.load(TEACHER_DIR)
    english = english_scorer(get_scorer())
    texts, labels, langs = read_domain(LABELLED / "dev.csv")
    t_texts, t_labels, t_langs = read_domain(LABELLED / "test.csv")
    featurizer = Featurizer.fit(rows.inputs, CURRENT.ngram_orders, CURRENT.min_df, Lexicon.load())
    x_gold = featurizer.transform(rows.inputs)
    x_pool = featurizer.transform([model_input(t) for t in pool_texts])
    q = {}
    for kind in ("blend", "e5"):
        q[kind] = teacher_proba(teacher, pool_texts, kind)
        dev_q = teacher_proba(teacher, texts, kind)
        print(f"teacher {kind}: dev {figures(labels, predict_labels(dev_q), predict_labels(dev_q), langs)['all']['f1']}"
              f"; pool argmax shares neg/neu/pos {np.round(np.bincount(q[kind].argmax(1), minlength=3) / len(q[kind]), 3)}",
              flush=True)
    own = np.zeros((len(pool_labels), 3))  # surprise (3) rows get no own label: all-zero targets drop them
    mapped = pool_labels <= 2
    own[mapped] = np.eye(3)[TO_COLUMN[pool_labels[mapped]]]

    wanted = [v for v in VARIANTS if not args.only or v.name in args.only or v.name == "current"]
    preds, results, test_preds = {}, [], {}
    for v in wanted:
        t0 = time.perf_counter()
        extra = []
        if v.pool:
            x, qq = x_pool[: v.pool], (own if v.gold_labels else q[v.teacher])[: v.pool]
            extra.append(soft_block(x, qq, v.weight) if v.soft else hard_block(x, qq, v.weight, v.min_conf))
        if v.kd_domain:  # the train rows' embeddings are made here if --embed did not reach them
            zh_train = [t for t, lang in zip(train_texts, train_langs, strict=True) if lang != "en"]
            x_kd = featurizer.transform([model_input(t) for t in zh_train])
            extra.append(soft_block(x_kd, teacher_proba(teacher, zh_train, "blend"), v.kd_domain))
        scorer = fit_student(rows, featurizer, x_gold, extra)
        preds[v.name] = predict_labels(proba_routed(scorer, english, texts, langs))
        result = {"variant": v.name, **figures(labels, preds[v.name], preds["current"], langs),
                  "seconds": round(time.perf_counter() - t0)}
        results.append(result)
        if args.save_test:  # sealed: written, never printed
            test_preds[v.name.replace(" ", "_")] = predict_labels(proba_routed(scorer, english, t_texts, t_langs))
            np.savez(OUT / "test_preds_sealed.npz", **test_preds)
        print(f"{v.name:45s} " + "  ".join(
            f"{p} {result[p]['f1']:.3f} [{result[p]['ci95'][0]:.3f},{result[p]['ci95'][1]:.3f}] "
            f"{result[p]['gain']:+.3f} [{result[p]['gain_ci95'][0]:+.3f},{result[p]['gain_ci95'][1]:+.3f}]"
            for p in ("all", "zh", "en")) + f"  ({result['seconds']}s)", flush=True)
        if args.json:
            args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
