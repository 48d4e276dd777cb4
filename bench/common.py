"""What every benchmark shares: the machine's load beside its figures, and `--json` output.

With `--json` a benchmark prints, after its human-readable lines, one JSON object with its figures as its
last line (so `... --json | tail -1` is machine-readable). The load average goes into both forms: wall-clock
figures from a busy machine are not comparable with an idle one's.
"""

from __future__ import annotations

import json
import os
from typing import Any


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def load_line() -> str:
    one, five, fifteen = load_average()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def emit(figures: dict[str, Any], as_json: bool) -> None:
    """Print the load average, then (with --json) the figures and the load as one JSON line, last."""
    print(load_line(), flush=True)
    if as_json:
        print(json.dumps({**figures, "load_avg": load_average(), "cpus": os.cpu_count()}), flush=True)
