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
