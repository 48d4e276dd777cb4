"""Sentiment benchmark: posts/s of the default scorer on one core, beside bare jieba.lcut and the baselines.

Texts: ../shared/data/sentiment_dev.csv when present, else the synthetic demo corpus (says which).
Usage: python bench/bench_sentiment.py [N_POSTS] [--json]   (prints one table; exit 1 if the default is < 10,000 posts/s)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from common import emit

TARGET = 10_000
REPO = Path(__file__).resolve().parent.parent


def _texts(n: int) -> tuple[list[str], str]:
    from collectors.paths import shared_data_dir

    shared = shared_data_dir()
    if shared and (shared / "sentiment_dev.csv").exists():
        from analysis.nlp.sentiment.labelled import read_labelled_csv

        base = read_labelled_csv(shared / "sentiment_dev.csv").texts
        source = "shared sentiment_dev.csv (real Weibo posts)"
    else:
        from collectors.demo import generate
        from collectors.trackers import load_trackers

        base = [t for t in generate(load_trackers(), records=5_000).column("text").to_pylist() if t]
        source = "synthetic demo corpus"
    return [base[i % len(base)] for i in range(n)], source


def _rate(fn: Callable[[Sequence[str]], object], texts: list[str], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn(texts)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def _english_texts(n: int = 5_000) -> list[str]:
    """The English rows of the in-domain labelled splits (real text about AI actors, in the repository), repeated."""
    import csv

    rows = []
    for split in ("dev", "test"):
        with (REPO / "data" / "labelled" / f"{split}.csv").open(encoding="utf-8", newline="") as fh:
            rows += [r["text"] for r in csv.DictReader(fh) if r.get("lang") == "en"]
    return (rows * (n // max(len(rows), 1) + 1))[:n]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("posts", nargs="?", type=int, default=20_000)
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    from analysis.nlp.segment import lcut
    from analysis.nlp.sentiment import english_scorer, get_scorer

    texts, source = _texts(args.posts)
    default = get_scorer()
    english = english_scorer(default)
    english_texts = _english_texts()
    default.predict_proba(texts[:100])  # load and warm up
    lcut(texts[0])
    rows = [
        (f"default {default.name} {default.version}", _rate(default.predict_proba, texts)),
        ("bare jieba.lcut (analysis.nlp.segment.lcut)", _rate(lambda ts: [lcut(t) for t in ts], texts, repeats=1)),
        (f"English route {english.name if english else '(none: the default scores English)'}, English rows",
         _rate((english or default).predict_proba, english_texts)),
        ("vader baseline", _rate(get_scorer("vader").predict_proba, texts[:2_000], repeats=1)),
        ("snownlp baseline", _rate(get_scorer("snownlp").predict_proba, texts[:300], repeats=1)),
    ]
    print(f"sentiment throughput, one core, {len(texts):,} posts from {source}")
    for name, rate in rows:
        print(f"  {name:<55} {rate:>10,.0f} posts/s")
    ok = rows[0][1] >= TARGET
    print(f"target ≥ {TARGET:,} posts/s for the default: {'met' if ok else 'NOT met'}")
    emit({"posts": len(texts), "texts": source, "scorer_posts_per_s": round(rows[0][1]),
          "jieba_posts_per_s": round(rows[1][1]), "english_posts_per_s": round(rows[2][1]),
          "vader_posts_per_s": round(rows[3][1]), "snownlp_posts_per_s": round(rows[4][1])}, args.json)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
