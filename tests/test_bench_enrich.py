"""bench/bench_enrich.py: the machine's own two-process figure printed beside the workers' comparison."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from bench_enrich import machine_2_vs_1


def test_the_machine_figure_runs_two_copies_at_once() -> None:
    """Two copies of a wait that uses no CPU finish together: twice the throughput of one, whatever the load."""
    figures = machine_2_vs_1(lambda: time.sleep(0.5))
    assert 1.5 < figures["wall"] < 2.6  # one after the other would be 1.0 (forks on a busy machine add some jitter)
    assert set(figures) == {"wall", "cpu"}


def test_the_machine_figure_counts_each_copys_cpu() -> None:
    """The CPU ratio is per copy: two copies of the same work each take about what one took (not twice it)."""

    def work() -> None:
        total = 0
        for i in range(3_000_000):
            total += i

    figures = machine_2_vs_1(work)
    assert 0.5 < figures["cpu"] < 1.75  # summed over the two copies it would be about 2
