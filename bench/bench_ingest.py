"""Ingest benchmark: records/s through `actorwatch import` (parse + validate + store) vs pyarrow's bare JSONL read.

Prints figures measured in one run on the same file, so the ratio is comparable across machines.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.json as paj

from collectors.demo import generate
from collectors.importers import get_format
from collectors.ingest import ingest
from collectors.store import Store
from collectors.trackers import load_trackers

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.jsonl"
        table = generate(load_trackers(), records=N)
        with path.open("w", encoding="utf-8") as fh:
            for row in table.to_pylist():
                row["published_at"] = row["published_at"].isoformat()
                row["collected_at"] = row["collected_at"].isoformat()
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        size_mb = path.stat().st_size / 1e6

        t0 = time.perf_counter()
        arrow_rows = paj.read_json(path).num_rows
        t_arrow = time.perf_counter() - t0

        store = Store(Path(tmp) / "data")
        t0 = time.perf_counter()
        summary = ingest(get_format("jsonl").read(path), store)
        t_ingest = time.perf_counter() - t0

        t0 = time.perf_counter()
        again = ingest(get_format("jsonl").read(path), store)
        t_again = time.perf_counter() - t0
    assert arrow_rows == N == summary.records_new and again.records_new == 0
    print(f"records: {N:,} ({size_mb:.1f} MB JSONL)")
    print(f"pyarrow.json.read_json: {t_arrow:.2f} s ({N / t_arrow:,.0f} records/s)")
    print(f"actorwatch import (validate + store): {t_ingest:.2f} s ({N / t_ingest:,.0f} records/s)")
    print(f"re-import of the same file (all duplicates): {t_again:.2f} s")
    print(f"ratio import / pyarrow read: {t_ingest / t_arrow:.1f}x")


if __name__ == "__main__":
    main()
