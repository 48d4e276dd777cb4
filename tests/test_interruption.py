"""Interrupted writers: a process killed at a chosen point leaves nothing half-done that a later run reads or keeps."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from collectors.store import Store
from tests.conftest import REPO

# A snapshot build that stops (marker file, then sleeps) once its temporary DuckDB file holds the records.
_SLOW_BUILD = """
import sys, time
from pathlib import Path
import dashboard.snapshot as snapshot
from collectors.store import Store

def stall(con, schema):
    Path(sys.argv[2]).write_text("building")
    time.sleep(120)

snapshot.create_facts = stall
store = Store(sys.argv[1])
snapshot.build(store, snapshot.snapshot_path(store))
"""


def test_a_snapshot_build_killed_midway_leaves_no_temporary_file_behind(data_dir: Path, make_record) -> None:
    store = Store(data_dir)
    store.add_records([make_record() for _ in range(20)])
    marker = data_dir / "building"
    env = {**os.environ, "ACTORWATCH_DATA": str(data_dir), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_BUILD, str(data_dir), str(marker)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err  # killed while building, as the OOM killer would
    cache = data_dir / "cache"
    assert any(p.name.endswith(".tmp") for p in cache.iterdir())  # the half-built file it left

    from dashboard.snapshot import open_snapshot

    with open_snapshot(store) as con:  # the next reader builds the snapshot whole ...
        assert con.execute("SELECT count(*) FROM records").fetchone() == (20,)
    # ... and the killed build's file (as large as the store) does not stay in data/cache for ever
    assert sorted(p.name for p in cache.iterdir() if p.is_file() and p.suffix != ".lock") == sorted(p.name for p in cache.glob("snapshot-*.duckdb"))


# `actorwatch import` in batches of 10 that stops (marker file, then sleeps) once its first batch is stored
_SLOW_IMPORT = """
import signal, sys, time
from pathlib import Path

# Ctrl-C as a terminal delivers it: a test runner started in the background (`cmd &` in a script, as CI may be)
# passes SIGINT on ignored, and the import then never saw the test's SIGINT
signal.signal(signal.SIGINT, signal.default_int_handler)
import collectors.cli as importers
import collectors.ingest as ingest
from collectors.importers import RecordTable
from collectors.store import Store

ingest.ingest.__defaults__ = (10, *ingest.ingest.__defaults__[1:])


def split(chunk):
    if not isinstance(chunk, RecordTable):
        return [chunk]
    return [RecordTable(chunk.table.slice(i, 10)) for i in range(0, chunk.table.num_rows, 10)]


stall, marker = sys.argv[1] == "stall", Path(sys.argv[2])
add_table = Store.add_table

def add_and_stall(self, *args, **kwargs):
    result = add_table(self, *args, **kwargs)
    if stall:
        marker.write_text("one batch stored")
        time.sleep(120)
    return result

Store.add_table = add_and_stall
read = importers.read_for_ingest
importers.read_for_ingest = lambda *args: (item for chunk in read(*args) for item in split(chunk))
sys.argv = ["actorwatch", "import", sys.argv[3]]
from dashboard.cli import main
main()
"""


def _import(data_dir: Path, mode: str, marker: Path, source: Path) -> subprocess.Popen:
    env = {**os.environ, "ACTORWATCH_DATA": str(data_dir), "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", _SLOW_IMPORT, mode, str(marker), str(source)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _stop_after_first_batch(proc: subprocess.Popen, marker: Path, sig: signal.Signals) -> str:
    # generous: on a loaded 2-core CI machine a fresh interpreter may take a minute to import the pipeline and to
    # write its interrupted run's message; the behaviour is asserted on what it prints, never on how fast
    deadline = time.monotonic() + 300
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()[1]
    proc.send_signal(sig)
    return proc.communicate(timeout=300)[1]


def test_an_import_interrupted_midway_says_how_to_resume_and_the_rerun_adds_the_rest_once(data_dir: Path,
                                                                                          tmp_path: Path) -> None:
    import json

    row = {"source": "weibo", "kind": "post", "text": "好", "published_at": "2026-04-20T10:00:00+08:00",
           "collected_at": "2026-04-21T00:00:00Z"}
    source = tmp_path / "export.jsonl"
    source.write_text("".join(json.dumps({**row, "id": str(i)}) + "\n" for i in range(35)), encoding="utf-8")
    marker = tmp_path / "stored"

    err = _stop_after_first_batch(_import(data_dir, "stall", marker, source), marker, signal.SIGINT)  # Ctrl-C
    assert "re-run the same command to resume" in err, err
    assert len(Store(data_dir).query("SELECT id FROM records")) == 10  # the stored batch is kept

    marker.unlink()
    killed = _import(data_dir, "stall", marker, source)  # and a kill after the second run's first batch
    _stop_after_first_batch(killed, marker, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL

    rerun = _import(data_dir, "run", marker, source)
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    # the killed run stored ids 10-19 (its batch of 0-9 held only duplicates): an honest count of what this run did
    assert "records: 15 new, 0 updated, 20 duplicate; rejected: 0" in err
    ids = Store(data_dir).query("SELECT id, count(*) AS n FROM records_public GROUP BY id")
    assert sorted(ids["id"], key=int) == [str(i) for i in range(35)] and set(ids["n"]) == {1}
    raw = Store(data_dir).query(f"SELECT count(*) AS n FROM {Store(data_dir).parquet_scan('records')}")
    assert raw["n"].iloc[0] == 35  # nothing stored twice, even below the deduplicated view
