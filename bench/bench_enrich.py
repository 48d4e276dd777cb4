"""Enrichment benchmark: scorer posts/s on one core, full enrichment vs bare `jieba.lcut`, 2 workers vs 1.

Every figure is measured in this one run on the same texts, so the ratios compare across machines:
  * scorer throughput: the default sentiment model's predict_proba, batches of 1,000, one process;
  * enrichment / jieba: clean + segment + sentiment + stance + keywords + frames + entities per post
    (`annotate_batch`, no store writes) against bare `jieba.lcut` of the same texts (target ≥ 1.0×);
  * end to end: `enrich_store` into a fresh store with 1 worker (inline) and with 2 workers (target
    ≥ 1.8×; pools are started and warmed before timing; both runs write every batch to the store),
    with the CPU time they used, so a low ratio caused by other load on the machine can be told
    apart from parallel overhead. Each run has a fresh process of its own, as `actorwatch enrich` does: a pool
    forked from this process, which has already annotated these texts, would inherit every lazily loaded model,
    list and memo that a real run's workers each load for themselves.
Texts: the synthetic demo corpus (collectors.demo) — 80% single posts, 15% of ~5 posts joined, 5% of
~40 joined — so lengths vary. Usage: bench_enrich.py [N posts, default 20000] [--json] [--texts FILE.csv].
Single-process figures are the least CPU time of 3 runs; the worker comparison is wall time, once each by default
(it writes N records twice; `--repeat K` alternates K pairs of runs and reports the median pair), so other load on the
machine lowers it — the load average is printed beside it, and so is the machine's own figure for the same comparison
(`machine_2_vs_1`): bare `jieba.lcut` of the texts in one process against two processes at once, each doing it all,
just before each pair. Two independent processes share nothing, so that is the most two workers could gain at that
moment (2.0 and CPU per text 1.00 on an idle machine); when it is low too, the machine, not enrichment, was short.

Enrichment segments a run of Han text once per batch however often it recurs there (reposts quote whole
posts). The demo corpus is built from templates, so its runs recur far more than real posts' do: the share of
Han characters in runs already seen in their batch is printed (`repeated_han_share`). `--texts` takes the
texts from the `text` column of a CSV instead (e.g. a labelled Weibo set, not shipped with actorwatch), with the
language detected from each text and the demo records' other fields, for the figure on real posts.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
from common import emit, load_line

from analysis.nlp.enrich import annotate_batch, enrich_store, make_executor, pipeline_version, scoring_model
from analysis.nlp.sentiment import get_scorer
from analysis.nlp.text import detect_lang
from collectors.demo import generate
from collectors.models import RECORD_SCHEMA
from collectors.store import RECORDS, Store
from collectors.trackers import load_trackers

BATCH = 1000


def corpus(n: int, texts_csv: Path | None = None) -> pa.Table:
    """Demo records with varied text lengths (joined posts stand in for long posts and articles), or with the
    texts of `texts_csv` (repeated if it holds fewer than n)."""
    table = generate(load_trackers(), records=n, seed=7)
    if texts_csv is not None:
        with texts_csv.open(encoding="utf-8", newline="") as fh:
            given = [row["text"] for row in csv.DictReader(fh) if row.get("text")]
        if not given:
            raise SystemExit(f"{texts_csv}: no rows with a `text` column")
        texts = [given[i % len(given)] for i in range(n)]
        table = table.set_column(RECORD_SCHEMA.get_field_index("text"), "text", pa.array(texts, pa.string()))
        # each text's own language, not the demo record's it replaced (English demo records would send Chinese
        # posts to the English models)
        langs = pa.array([detect_lang(t) for t in texts], pa.string())
        return table.set_column(RECORD_SCHEMA.get_field_index("lang"), "lang", langs)
    texts = table["text"].to_pylist()
    rng = np.random.default_rng(7)
    out = []
    for i, text in enumerate(texts):
        draw = rng.random()
        if draw < 0.05:
            out.append("".join(texts[(i + k) % n] for k in range(40)))
        elif draw < 0.20:
            out.append("".join(texts[(i + k) % n] for k in range(5)))
        else:
            out.append(text)
    return table.set_column(RECORD_SCHEMA.get_field_index("text"), "text", pa.array(out, pa.string()))


def repeated_han_share(texts: list[str]) -> float:
    """Share of the Han characters that lie in a run of Han text already seen earlier in the same batch."""
    from jieba import re_han_default

    total = repeated = 0
    for start in range(0, len(texts), BATCH):
        seen: set[str] = set()
        for text in texts[start:start + BATCH]:
            for run in re_han_default.findall(text):
                total += len(run)
                if run in seen:
                    repeated += len(run)
                seen.add(run)
    return repeated / total if total else 0.0


def best_of(runs: int, fn) -> float:
    """Least CPU time of this process over `runs` runs (steadier than wall time on a shared machine)."""
    times = []
    for _ in range(runs):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("posts", nargs="?", type=int, default=20_000)
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    parser.add_argument("--texts", type=Path, help="a CSV whose `text` column replaces the demo texts")
    parser.add_argument("--repeat", type=int, default=1, metavar="K",
                        help="pairs of 1- and 2-worker runs, alternated (the median pair is reported)")
    parser.add_argument("--end-to-end", type=int, metavar="WORKERS", help=argparse.SUPPRESS)  # one run, JSON out
    args = parser.parse_args()
    if args.end_to_end:
        print(json.dumps(end_to_end_here(args.posts, args.end_to_end, args.texts)))
    else:
        run(args.posts, args.json, args.texts, max(1, args.repeat))


def machine_2_vs_1(work: Callable[[], object]) -> dict[str, float]:
    """`work` in one forked process, then in two at once: their throughput ratio (wall) and the CPU time each of the
    two took against the one's — what this machine gives two independent processes right now (2.0 and 1.0 idle)."""

    def once(copies: int) -> tuple[float, float]:
        before, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        pids = []
        for _ in range(copies):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                try:
                    work()
                finally:
                    os._exit(0)
            pids.append(pid)
        for pid in pids:
            os.waitpid(pid, 0)
        elapsed, after = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
        return elapsed, (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / copies

    (wall1, cpu1), (wall2, cpu2) = once(1), once(2)
    return {"wall": 2 * wall1 / wall2, "cpu": cpu2 / cpu1 if cpu1 else float("nan")}


def end_to_end(n: int, workers: int, texts_csv: Path | None) -> dict[str, float]:
    """`end_to_end_here` in a fresh process (its figures)."""
    command = [sys.executable, __file__, str(n), "--end-to-end", str(workers)]
    command += ["--texts", str(texts_csv)] if texts_csv else []
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1])


def end_to_end_here(n: int, workers: int, texts_csv: Path | None) -> dict[str, float]:
    """Wall and CPU seconds (this process's and its workers', and the workers' alone) of `enrich_store` with `workers`
    into a fresh store."""
    table = corpus(n, texts_csv)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store")
        store.add_table(RECORDS, table)
        pool = make_executor(workers)  # inline for 1 worker (what --workers 1 does)
        children0, own0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.process_time()
        t0 = time.perf_counter()
        try:
            summary = enrich_store(store, batch_size=BATCH, workers=workers, executor=pool.executor)
            elapsed = time.perf_counter() - t0
        finally:
            pool.close()  # reaps the workers, so their CPU time is counted below
        children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    children = children1.ru_utime - children0.ru_utime + children1.ru_stime - children0.ru_stime
    cpu = time.process_time() - own0 + children
    assert summary.annotated == n, summary.line()
    return {"elapsed": elapsed, "cpu": cpu, "workers_cpu": children}


def run(n: int, as_json: bool, texts_csv: Path | None = None, repeat: int = 1) -> None:
    import jieba

    jieba.setLogLevel(60)
    table = corpus(n, texts_csv)
    texts = table["text"].to_pylist()
    titles = table["title"].to_pylist()
    chars = sum(len(t) for t in texts)
    repeated = repeated_han_share(texts)
    print(f"posts: {n:,}{f' from {texts_csv.name}' if texts_csv else ''}, {chars / n:.0f} characters on average "
          f"(min {min(map(len, texts))}, max {max(map(len, texts)):,}); CPUs: {os.cpu_count()}; "
          f"{repeated:.0%} of Han characters in runs already seen in their batch of {BATCH:,}")

    jieba.lcut("预热")
    t_jieba = best_of(3, lambda: [jieba.lcut(t) for t in texts])
    print(f"bare jieba.lcut: {n / t_jieba:,.0f} posts/s")

    scorer = get_scorer()
    scorer.predict_proba(texts[:100])
    t_score = best_of(3, lambda: [scorer.predict_proba(texts[i:i + BATCH]) for i in range(0, n, BATCH)])
    print(f"scorer {scorer.name} {scorer.version}: {n / t_score:,.0f} posts/s on one core (target ≥ 10,000)")

    model = scoring_model()
    version = pipeline_version(model[1])
    batches = [{"source": ["bench"] * len(texts[i:i + BATCH]), "id": [str(k) for k in range(i, i + len(texts[i:i + BATCH]))],
                "text": texts[i:i + BATCH], "title": titles[i:i + BATCH], "lang": table["lang"].to_pylist()[i:i + BATCH],
                "trackers": table["trackers"].to_pylist()[i:i + BATCH], "has_score": [False] * len(texts[i:i + BATCH])}
               for i in range(0, n, BATCH)]
    annotate_batch(batches[0], version, model)
    t_enrich = best_of(3, lambda: [annotate_batch(b, version, model) for b in batches])
    print(f"full enrichment (annotate_batch, one process): {n / t_enrich:,.0f} posts/s = "
          f"{t_jieba / t_enrich:.2f}× bare jieba.lcut (target ≥ 1.0×)")

    pairs = []
    control = texts[:5000]  # about a CPU-second of bare jieba: a small share of the bench's time
    for _ in range(repeat):
        machine = machine_2_vs_1(lambda: [jieba.lcut(t) for t in control])
        print(f"the machine now: two processes of bare jieba.lcut {machine['wall']:.2f}× one (CPU per text "
              f"{machine['cpu']:.2f}× one's); {load_line()}")
        figures = {}
        for workers in (1, 2):
            figures[workers] = end_to_end(n, workers, texts_csv)
            elapsed, cpu, children = (figures[workers][k] for k in ("elapsed", "cpu", "workers_cpu"))
            print(f"enrich_store with {workers} worker(s), writes included: {n / elapsed:,.0f} posts/s wall; "
                  f"{cpu:.1f} CPU-s ({children:.1f} in workers) in {elapsed:.1f} s = {cpu / elapsed:.2f} cores busy; "
                  f"{load_line()}")
        wall = figures[1]["elapsed"] / figures[2]["elapsed"]
        cpu_ratio = figures[2]["cpu"] / figures[1]["cpu"]
        pairs.append({"wall": wall, "cpu": cpu_ratio, "machine": machine["wall"], "machine_cpu": machine["cpu"],
                      "load": os.getloadavg()[0], "cores_busy_2": figures[2]["cpu"] / figures[2]["elapsed"]})
        print(f"2 workers vs 1 worker: {wall:.2f}× wall (target ≥ 1.8×; the machine gave two processes "
              f"{machine['wall']:.2f}×); CPU per post {cpu_ratio:.2f}× of one worker's (1.00 = no parallel "
              f"overhead; two bare processes {machine['cpu']:.2f}×); load average {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} CPUs — fewer than 2 cores busy means other work on the machine took them, which "
              f"lowers the wall ratio")
    pair = sorted(pairs, key=lambda p: p["wall"])[(len(pairs) - 1) // 2]  # the median pair (the lower of two)
    if repeat > 1:
        walls = ", ".join(f"{p['wall']:.2f}×" for p in pairs)
        print(f"median of {repeat} pairs: {pair['wall']:.2f}× wall, CPU per post {pair['cpu']:.2f}× (all: {walls})")
    emit({"posts": n, "jieba_posts_per_s": round(n / t_jieba), "enrich_posts_per_s": round(n / t_enrich),
          "enrich_vs_jieba": round(t_jieba / t_enrich, 3), "repeated_han_share": round(repeated, 3),
          "scorer_posts_per_s": round(n / t_score),
          "workers_2_vs_1": round(pair["wall"], 3),
          "workers_cpu_per_post_2_vs_1": round(pair["cpu"], 3),
          "workers_cores_busy_2": round(pair["cores_busy_2"], 3),
          "machine_2_vs_1": round(pair["machine"], 3), "machine_cpu_2_vs_1": round(pair["machine_cpu"], 3),
          "workers_load_avg": round(pair["load"], 2),
          "workers_2_vs_1_runs": [round(p["wall"], 3) for p in pairs],
          "workers_cpu_per_post_2_vs_1_runs": [round(p["cpu"], 3) for p in pairs]}, as_json)


if __name__ == "__main__":
    main()
