"""Where one page's time goes on the server: each page run under Streamlit's AppTest, timed and profiled.

For every page (in one fresh process, on a bench store): a cold run (first session to open it), a new session
opening it warm (another reader already did), and a rerun of that session. Each run's wall and CPU seconds,
its elements (plotly charts, dataframes) and the bytes of the plotly JSON it sends; with --profile the cProfile
split of the cold or warm run into DuckDB, plotly, pandas, Streamlit and the rest.

Not a benchmark with a target (bench_load.py and bench_dashboard.py hold those): a tool to find the cost.

Usage: .venv/bin/python bench/profile_pages.py [--records 1000000] [--work bench/out] [--profile] [--pages a,b]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

from bench_dashboard import REPO, build, prepare_snapshot
from common import load_line

from dashboard.warm import PAGES

# cProfile's file names mapped to the part of the stack they belong to (first match wins)
PARTS = (("duckdb", "duckdb"), ("plotly", "plotly"), ("pandas", "pandas"), ("streamlit", "streamlit"),
         ("numpy", "numpy"), ("/analysis/", "analysis"), ("/dashboard/", "dashboard"))


def split(stats: pstats.Stats) -> dict[str, float]:
    """Own (exclusive) time per part of the stack."""
    out: dict[str, float] = {}
    for (filename, _, _), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        part = next((name for key, name in PARTS if key in filename), "other")
        out[part] = out.get(part, 0.0) + own
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


_active: list[cProfile.Profile] = []  # the profiler of the run in progress, enabled in the script's own thread


def _profile_script_thread() -> None:
    """AppTest runs the page in a thread of its own: profile inside that thread, not around at.run()."""
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    original = ScriptRunner._run_script

    def run_script(self, rerun_data):  # type: ignore[no-untyped-def]
        if not _active:
            return original(self, rerun_data)
        _active[0].enable()
        try:
            return original(self, rerun_data)
        finally:
            _active[0].disable()

    ScriptRunner._run_script = run_script  # type: ignore[method-assign]


def run_page(page: str, profile: str | None) -> None:
    from streamlit.testing.v1 import AppTest

    from dashboard.warm import session as page_session

    def session() -> AppTest:  # a first run of the app (the Overview, untimed) comes first for any other page
        return page_session(page)

    def timed(at: AppTest, prof: cProfile.Profile | None = None) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        if prof:
            _active.append(prof)
        try:
            at.run()
        finally:
            _active.clear()
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception[0].value}")
        return time.perf_counter() - wall, time.process_time() - cpu

    prof = cProfile.Profile() if profile else None
    cold = timed(session(), prof if profile == "cold" else None)
    at = session()
    warm = timed(at, prof if profile == "warm" else None)
    rerun = timed(at)
    charts = at.get("plotly_chart")
    figure_bytes = sum(len(c.proto.spec) for c in charts)
    print(f"{page:<11} cold {cold[0]:6.2f}/{cold[1]:5.2f} · warm {warm[0]:5.2f}/{warm[1]:5.2f} · rerun "
          f"{rerun[0]:5.2f}/{rerun[1]:5.2f} s (wall/CPU) · {len(charts)} charts, {figure_bytes / 1024:,.0f} KB "
          f"of figure JSON · {len(at.dataframe)} tables", flush=True)
    if prof:
        stats = pstats.Stats(prof)
        print(f"            {profile} run by part: " + " · ".join(f"{k} {v:.2f}" for k, v in split(stats).items()))
        stats.sort_stats("cumulative").print_stats(r"(actorwatch|analysis|dashboard)/.*\.py", 12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--profile", choices=("cold", "warm"), help="print the cProfile split of each page's cold or warm run")
    args = parser.parse_args()
    data_dir = args.work / f"store-{args.records}"
    build(data_dir, args.records)
    prepare_snapshot(data_dir)
    os.environ["ACTORWATCH_DATA"] = str(data_dir)
    sys.path.insert(0, str(REPO))
    print(load_line(), flush=True)
    _profile_script_thread()
    for page in args.pages.split(","):
        run_page(page, args.profile)
    print(load_line(), flush=True)


if __name__ == "__main__":
    main()
