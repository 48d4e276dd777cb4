"""bench/bench_enrich.py: the machine's own two-process figure printed beside the workers' comparison."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from bench_enrich import machine_2_vs_1


def test_the_machine_figure_runs_two_copies_at_once() -> None:
    """Two copies of a wait that uses no CPU finish together: twice the throughput of one, whatever the load."""
    # A 2 s wait: forking the test process on a loaded machine took up to 0.2 s (two CI runs at once read 1.44 with a
    # 0.5 s wait), which a longer wait dilutes; one copy after the other would still read 1.0
    figures = machine_2_vs_1(lambda: time.sleep(2.0))
    assert 1.5 < figures["wall"] < 2.6
    assert set(figures) == {"wall", "cpu"}


def test_the_machine_figure_counts_each_copys_cpu() -> None:
    """The CPU ratio is per copy: two copies of the same work each take about what one took (not twice it)."""

    def work() -> None:
        total = 0
        for i in range(3_000_000):
            total += i

    figures = machine_2_vs_1(work)
    assert 0.5 < figures["cpu"] < 1.75  # summed over the two copies it would be about 2
