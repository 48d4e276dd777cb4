"""Dashboard speed and memory at 10k vs a large store (Streamlit AppTest, one child process per store size).

Targets (issue 13): the Overview renders with 10M records in ≤ 3× its 10k time; a filter change on warm
caches takes ≤ 0.3 s; the dashboard process stays ≤ 2 GB.

Stores are built with the real command, `actorwatch --data-dir DIR demo --records N --no-enrich`, then
given stand-in sentiment scores (tests/dashboard_store.oracle_scores: each synthetic text's sentiment
phrase decides its label) so the sentiment charts have data; scoring 1M texts with the real model is the
NLP layer's benchmark, not this one. Built stores are kept under --work (default bench/out/, not in git)
and reused by later runs.

Figures per size, each measured in the same run:
  snapshot  building the store's snapshot file (dashboard.snapshot), in its own process, once per store state
  load      first run of a new server process: open the snapshot, load the model, render the Overview
  open      a new session opening the default Overview another visitor already opened (data cached)
  render    a new session opening the Overview, store loaded, data caches cold (what a reader waits for)
  filter    change the Sources filter in that session (new queries; snapshot and model cached)
  revisit   switch back to a filter already seen (everything cached)
  rss       peak resident memory of the process (MB)

Usage: .venv/bin/python bench/bench_dashboard.py [--records N | --sizes 10000,1000000] [--work DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import emit

REPO = Path(__file__).resolve().parents[1]
FILTER_TARGET_S = 0.3
RSS_TARGET_MB = 2048
APP = str(REPO / "dashboard" / "app.py")


GENERATE_CHUNK = 1_000_000  # larger stores are generated in chunks of this many records (memory)


def build(data_dir: Path, records: int) -> None:
    """The demo store, then stand-in scores (skipped when the store is already built).

    Up to GENERATE_CHUNK records: the real command, `actorwatch demo --records N --no-enrich`. Larger stores
    (the generator holds a whole corpus in Python lists) are written chunk by chunk: each chunk is the demo
    corpus generated with its own seed, its ids suffixed `-c<k>` so that they stay unique, plus the real
    hot-search excerpt as `actorwatch demo` adds it.
    """
    marker = data_dir / ".bench-built"
    if marker.exists():
        return
    sys.path.insert(0, str(REPO))
    os.environ["ACTORWATCH_DATA"] = str(data_dir)
    from analysis.core.scores import SCORES, SCORES_SPEC
    from collectors.store import Store
    from tests.dashboard_store import oracle_scores

    store = Store(data_dir)
    if records <= GENERATE_CHUNK:
        env = {**os.environ, "ACTORWATCH_DATA": str(data_dir)}
        subprocess.run([str(REPO / ".venv" / "bin" / "actorwatch"), "--data-dir", str(data_dir), "demo", "--records",
                        str(records), "--no-enrich", "--force"], check=True, env=env, cwd=REPO)
        with store.connect() as con:
            table = con.sql("SELECT source, id, text FROM records").to_arrow_table()
        for start in range(0, table.num_rows, 200_000):
            store.add_table(SCORES, oracle_scores(table.slice(start, 200_000)), SCORES_SPEC)
    else:
        _build_in_chunks(store, records, oracle_scores)
    marker.write_text(str(records))


def _build_in_chunks(store, records: int, oracle_scores) -> None:
    import pyarrow.compute as pc

    from analysis.core.scores import SCORES, SCORES_SPEC
    from collectors.demo import DEMO_SEED, generate
    from collectors.hot_search import ingest_excerpt
    from collectors.store import RECORDS
    from collectors.trackers import load_trackers

    for k, start in enumerate(range(0, records, GENERATE_CHUNK)):
        table = generate(load_trackers(), records=min(GENERATE_CHUNK, records - start), seed=DEMO_SEED + k)
        for column in ("id", "parent_id"):
            table = table.set_column(table.schema.get_field_index(column), column,
                                     pc.binary_join_element_wise(table[column], f"-c{k}", ""))
        store.add_table(RECORDS, table)
        store.add_table(SCORES, oracle_scores(table.select(["source", "id", "text"])), SCORES_SPEC)
        print(f"  chunk {k + 1}: {start + table.num_rows:,} records written", flush=True)
    ingest_excerpt(store)


def prepare_snapshot(data_dir: Path) -> dict:
    """Build the dashboard's snapshot file for this store in its own process (once per store state; reused after).

    Returns its build time and that process's peak RSS, or built=False when a current snapshot already existed.
    """
    code = ("import json, resource, sys, time\n"
            "from collectors.store import Store\n"
            "from collectors.trackers import public_names\n"
            "from dashboard.snapshot import build, snapshot_path\n"
            "store, names = Store(sys.argv[1]), public_names(); path = snapshot_path(store, names)\n"
            "t0 = time.perf_counter(); built = not path.exists()\n"
            "built and build(store, path, names)\n"
            "print(json.dumps({'built': built, 'seconds': time.perf_counter() - t0,\n"
            "                  'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n")
    out = subprocess.run([sys.executable, "-c", code, str(data_dir)], capture_output=True, text=True, check=False, cwd=REPO,
                         env={**os.environ, "ACTORWATCH_DATA": str(data_dir)})
    if out.returncode:  # say why (a DuckDB out-of-memory error on a loaded machine, say), not only that it failed
        raise SystemExit(f"building the snapshot of {data_dir} failed (exit {out.returncode}):\n{out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(data_dir: Path, repeats: int) -> None:
    """Measure one store in this (fresh) process; prints one JSON line (medians over `repeats`)."""
    os.environ["ACTORWATCH_DATA"] = str(data_dir)
    from streamlit.testing.v1 import AppTest

    def timed_run(at: AppTest) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        at.run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if at.exception:
            raise RuntimeError(at.exception[0].value)
        return wall, cpu

    first = AppTest.from_file(APP, default_timeout=600)
    load = timed_run(first)
    runs: dict[str, list[tuple[float, float]]] = {"open": [], "render": [], "filter": [], "revisit": []}
    charts = 0
    for i in range(repeats):
        runs["open"].append(timed_run(AppTest.from_file(APP, default_timeout=600)))  # default view, data cached
        session = AppTest.from_file(APP, default_timeout=600)
        session.query_params["from"] = f"2026-04-{11 + i:02d}"  # a view no earlier run computed: data caches cold
        runs["render"].append(timed_run(session))
        session.sidebar.multiselect(key="sources").set_value([("weibo", "bilibili", "rss")[i % 3]])
        runs["filter"].append(timed_run(session))
        session.sidebar.multiselect(key="sources").set_value([])
        runs["revisit"].append(timed_run(session))
        charts = len(session.get("plotly_chart"))
    out = {"load": load[0], "load_cpu": load[1], "charts": charts,
           "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    for key, values in runs.items():
        out[key] = statistics.median(v[0] for v in values)
        out[f"{key}_cpu"] = statistics.median(v[1] for v in values)
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,1000000", help="store sizes, smallest first")
    parser.add_argument("--records", type=int, help="the large store's size (same as --sizes 10000,N)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--repeats", type=int, default=3, help="fresh views measured per size (median reported)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.repeats)
        return
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (wall times suffer when it is high; "
          "CPU seconds are the steadier figure)", flush=True)
    sizes = [10_000, args.records] if args.records else [int(s) for s in args.sizes.split(",")]
    results = {}
    for size in sizes:
        data_dir = args.work / f"store-{size}"
        t0 = time.perf_counter()
        build(data_dir, size)
        print(f"store {size:,} records ready in {time.perf_counter() - t0:.1f} s ({data_dir})", flush=True)
        snap = prepare_snapshot(data_dir)
        built = f"built in {snap['seconds']:.1f} s, peak RSS {snap['rss_mb']:.0f} MB (once per store state)"
        print(f"snapshot: {built if snap['built'] else 'current one reused'}", flush=True)
        out = subprocess.run([sys.executable, __file__, "--child", str(data_dir), "--repeats", str(args.repeats)],
                             capture_output=True, text=True, check=False,
                             cwd=REPO, env={**os.environ, "ACTORWATCH_DATA": str(data_dir)})
        if out.returncode:
            raise SystemExit(f"child for {size} failed:\n{out.stderr[-3000:]}")
        results[size] = {**json.loads(out.stdout.strip().splitlines()[-1]),
                         **{f"snapshot_{k}": v for k, v in snap.items()}}
        r = results[size]
        print(f"{size:>9,} records (wall s / CPU s): load {r['load']:.2f}/{r['load_cpu']:.2f} · open "
              f"{r['open']:.2f}/{r['open_cpu']:.2f} · render "
              f"{r['render']:.2f}/{r['render_cpu']:.2f} · filter change {r['filter']:.2f}/{r['filter_cpu']:.2f} · "
              f"revisit {r['revisit']:.3f}/{r['revisit_cpu']:.3f} · peak RSS {r['rss_mb']:.0f} MB · "
              f"{r['charts']} charts", flush=True)
    small, big = results[sizes[0]], results[sizes[-1]]
    if len(sizes) >= 2:
        print(f"ratio render {sizes[-1]:,}/{sizes[0]:,}: {big['render'] / small['render']:.2f}× wall, "
              f"{big['render_cpu'] / small['render_cpu']:.2f}× CPU (target ≤ 3×)")
        print(f"ratio open   {sizes[-1]:,}/{sizes[0]:,}: {big['open'] / small['open']:.2f}× wall")
        print(f"ratio load   {sizes[-1]:,}/{sizes[0]:,}: {big['load'] / small['load']:.2f}× (first run incl. "
              "materialising the store snapshot; no target)")
    print(f"filter change at {sizes[-1]:,}: {big['filter']:.2f} s wall, {big['filter_cpu']:.2f} s CPU "
          f"(target ≤ {FILTER_TARGET_S} s); revisiting a filter {big['revisit']:.3f} s · "
          f"peak RSS {big['rss_mb']:.0f} MB (target ≤ {RSS_TARGET_MB:,} MB)")
    emit({"sizes": sizes, "records": sizes[-1],
          "render_ratio": round(big["render"] / small["render"], 3) if len(sizes) >= 2 else None,
          "render_ratio_cpu": round(big["render_cpu"] / small["render_cpu"], 3) if len(sizes) >= 2 else None,
          "render_s": round(big["render"], 3), "filter_change_s": round(big["filter"], 3),
          "revisit_s": round(big["revisit"], 4), "load_s": round(big["load"], 2), "peak_rss_mb": round(big["rss_mb"]),
          "snapshot_build_s": round(big["snapshot_seconds"], 1) if big["snapshot_built"] else None,
          "snapshot_build_rss_mb": round(big["snapshot_rss_mb"]) if big["snapshot_built"] else None,
          "per_size": {str(size): {k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()}
                       for size, r in results.items()}}, args.json)

if __name__ == "__main__":
    main()
