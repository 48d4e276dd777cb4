"""Enrichment on a real Dask cluster: a `dask scheduler` and two `dask worker` processes on 127.0.0.1.

The test starts and stops its own cluster (own ports, own directory, no dashboards) and checks that the
cluster's annotations equal the in-process ones, and that both workers took batches.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from analysis.core.annotations import ANNOTATIONS
from analysis.core.scores import SCORES
from analysis.nlp.enrich import enrich_store
from collectors.store import Store
from tests.nlp_fixtures import write_records

pytestmark = pytest.mark.slow

TEXTS = ["爱奇艺的AI艺人库太恶心了，坚决抵制[怒]", "本工作室从未签署任何AI授权，相关信息不实",
         "The AI artist library from iQIYI is impressive, excited to see more", "演员是非遗？真人演员不可替代"]
START_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _dask_cli() -> str:
    pytest.importorskip("distributed", reason="the `scale` extra (dask[distributed]) is not installed")
    cli = Path(sys.executable).with_name("dask")
    if not cli.exists():
        cli = Path(shutil.which("dask") or "")
    if not cli.is_file():
        pytest.skip("the dask command line is not installed beside this Python")
    return str(cli)


def _stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM each process group, then SIGKILL what is still running after a bounded wait."""
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    """The address of a scheduler with two single-threaded workers, all stopped at teardown."""
    cli = _dask_cli()
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    work = tmp_path / "dask"
    work.mkdir()
    procs: list[subprocess.Popen] = []
    logs = []

    def start(name: str, *args: str) -> None:
        log = (work / f"{name}.log").open("wb")
        logs.append(log)
        procs.append(subprocess.Popen([cli, *args], cwd=work, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True))  # own group: teardown stops its children too

    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")
        for n in (1, 2):
            start(f"worker{n}", "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard",
                  "--no-nanny", "--local-directory", str(work / f"worker{n}"), "--death-timeout", "60")
        with Client(address, timeout=f"{START_TIMEOUT_S}s") as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT_S)
        yield address
    except Exception:
        for log in logs:
            log.flush()
        sys.stderr.write("\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in work.glob("*.log")))
        raise
    finally:
        _stop(procs)
        for log in logs:
            log.close()


def _content(store: Store) -> list[tuple]:
    annotations = sorted((r["id"], r["lang"], r["stance"], r["stance_score"], tuple(r["entities"]), tuple(r["frames"]),
                          tuple(r["keywords"])) for p in store.files(ANNOTATIONS) for r in pq.read_table(p).to_pylist())
    scores = sorted((r["id"], r["label"], round(r["p_neg"], 12), round(r["p_pos"], 12))
                    for p in store.files(SCORES) for r in pq.read_table(p).to_pylist())
    return [*annotations, *scores]


def test_enrichment_on_a_real_cluster_matches_in_process(dask_cluster, make_record, tmp_path) -> None:
    import dask
    from distributed import Client

    texts = [f"{t} 第{i}条" for i in range(30) for t in TEXTS]  # 120 records, 4 batches of 30
    on_cluster, in_process = Store(tmp_path / "cluster"), Store(tmp_path / "local")
    for store in (on_cluster, in_process):
        write_records(store, make_record, texts, trackers=["iqiyi-nadou"], per_day=40)

    with dask.config.set({"scheduler-address": dask_cluster}):
        summary = enrich_store(on_cluster, batch_size=30, workers=2, use_dask=True)
    assert summary.annotated == 120 and summary.batches == 4
    enrich_store(in_process, batch_size=30, workers=1)
    assert _content(on_cluster) == _content(in_process) and len(_content(in_process)) == 240

    with Client(dask_cluster, timeout="30s") as client:
        executed = client.run(lambda dask_worker: dask_worker.state.executed_count)
    assert len(executed) == 2 and all(count >= 1 for count in executed.values()), executed
