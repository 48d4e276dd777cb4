"""Ingest benchmark: records/s through `actorwatch import` (parse + validate + dedupe + store) vs pyarrow's bare
read of the same JSONL.

Both are timed on the same file in this run (best of --repeats, each import into a fresh store), so the
ratio compares across machines; the importer is looked up before timing (module loading is start-up, not
per record). Target (issue 13): import ≤ 3× the pyarrow read. The re-import of the same file (everything a
duplicate) is timed once.

--without-lang writes every record with no `lang` (as Weibo and Bilibili imports come), so the store fills it in
by detecting each record's language.

Usage: bench_ingest.py [N records, default 100000] [--repeats 3] [--without-lang] [--json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pyarrow.json as paj
from common import emit

from collectors.demo import generate
from collectors.importers import get_format, read_for_ingest
from collectors.ingest import ingest
from collectors.store import Store
from collectors.trackers import load_trackers

TARGET = 3.0


def write_jsonl(path: Path, records: int, without_lang: bool = False) -> None:
    table = generate(load_trackers(), records=records)
    with path.open("w", encoding="utf-8") as fh:
        for row in table.to_pylist():
            if without_lang:
                del row["lang"]
            row["published_at"] = row["published_at"].isoformat()
            row["collected_at"] = row["collected_at"].isoformat()
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def best(repeats: int, run) -> tuple[float, float]:
    """Least wall time and least CPU time (all threads of this process) over `repeats` runs."""
    walls, cpus = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("records", nargs="?", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--without-lang", action="store_true", help="records carry no lang (the store detects it)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    args = parser.parse_args()
    n = args.records
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.jsonl"
        write_jsonl(path, n, args.without_lang)
        size_mb = path.stat().st_size / 1e6
        importer = get_format("jsonl")
        arrow_rows = paj.read_json(path).num_rows
        t_arrow, cpu_arrow = best(args.repeats, lambda: paj.read_json(path))

        stores = iter(Store(Path(tmp) / f"data{i}") for i in range(args.repeats))
        summaries = []
        t_ingest, cpu_ingest = best(args.repeats,
                                    lambda: summaries.append(ingest(read_for_ingest(importer, path), next(stores))))
        store = Store(Path(tmp) / f"data{args.repeats - 1}")
        t0 = time.perf_counter()
        again = ingest(read_for_ingest(importer, path), store)
        t_again = time.perf_counter() - t0
    assert arrow_rows == n and all(s.records_new == n for s in summaries) and again.records_new == 0, again.line()
    ratio = t_ingest / t_arrow
    print(f"records: {n:,} ({size_mb:.1f} MB JSONL); best of {args.repeats}")
    print(f"pyarrow.json.read_json: {t_arrow:.2f} s ({n / t_arrow:,.0f} records/s), {cpu_arrow:.2f} CPU-s")
    print(f"actorwatch import (validate + dedupe + store): {t_ingest:.2f} s ({n / t_ingest:,.0f} records/s), "
          f"{cpu_ingest:.2f} CPU-s")
    print(f"re-import of the same file (all duplicates): {t_again:.2f} s")
    print(f"ratio import / pyarrow read: {ratio:.2f}x wall (target ≤ {TARGET:.0f}x: {'met' if ratio <= TARGET else 'NOT met'}), "
          f"{cpu_ingest / cpu_arrow:.2f}x CPU")
    emit({"records": n, "without_lang": args.without_lang, "pyarrow_read_s": round(t_arrow, 4), "ingest_s": round(t_ingest, 4),
          "reimport_s": round(t_again, 4), "ingest_vs_pyarrow": round(ratio, 3),
          "ingest_vs_pyarrow_cpu": round(cpu_ingest / cpu_arrow, 3)}, args.json)


if __name__ == "__main__":
    main()
