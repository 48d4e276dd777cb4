"""The README keeps its scaling section: what runs where beyond one machine, with measured per-core rates."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_says_what_runs_where_beyond_one_machine() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Scaling.*?(?=^## )", text, flags=re.DOTALL | re.MULTILINE)
    assert match, "README lost its '## Scaling' section"
    section = match.group(0)
    for needed in ("pyarrow", "object storage", "actorwatch enrich --dask", "tests/test_dask_cluster.py",
                   "DuckDB", "bench_ingest.py", "bench_enrich.py", "bench_dashboard.py", "bench_load.py"):
        assert needed in section, f"the scaling section no longer mentions {needed}"
    assert re.search(r"\d[\d,]* posts/s on one core", section), "the scaling section gives no per-core rate"
