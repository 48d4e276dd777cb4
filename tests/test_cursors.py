"""Collector cursors (data/state/cursors): saved atomically through temporary files no other writer uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from collectors.base import Query, _save_cursor, cursor_path, run_collection
from collectors.http import make_client
from collectors.store import Store
from tests.test_collect_cli import CountingCollector


def test_two_processes_saving_one_cursor_at_once_both_succeed(data_dir, monkeypatch):
    """Both wrote `<cursor>.tmp` then renamed it: the second rename took the first writer's file, whose own rename
    then failed (FileNotFoundError) and ended its collection run."""
    path = data_dir / "state" / "cursors" / "weibo-t-abc.json"
    staged, second_done = threading.Event(), threading.Event()
    real_replace = os.replace
    errors: list[BaseException] = []

    def replace(src, dst):
        if threading.current_thread() is writer and not second_done.is_set():
            staged.set()  # the first writer's temporary file is written; the second writer saves now
            assert second_done.wait(60)
        real_replace(src, dst)

    def save_first() -> None:
        try:
            _save_cursor(path, {"page": 1})
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    monkeypatch.setattr(os, "replace", replace)
    writer = threading.Thread(target=save_first)
    writer.start()
    assert staged.wait(60)
    _save_cursor(path, {"page": 2})
    second_done.set()
    writer.join(60)
    assert errors == []
    assert json.loads(path.read_text())["cursor"] == {"page": 1}  # the last rename wins, whole
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_a_failed_save_leaves_no_temporary_file(data_dir, monkeypatch):
    path = data_dir / "state" / "cursors" / "weibo-t-abc.json"

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError):
        _save_cursor(path, {"page": 1})
    assert list(path.parent.iterdir()) == []


def test_a_run_removes_the_temporary_cursor_a_killed_run_left(data_dir):
    """A run killed between writing its temporary cursor and renaming it left the file for good."""
    store = Store(data_dir)
    query = Query("iqiyi-nadou", ())
    path = cursor_path(store, CountingCollector.name, query)
    path.parent.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    killed = path.with_name(f"{path.name}.{int(dead.stdout)}-0123abcd.tmp")  # its process is gone
    running = path.with_name(f"{path.name}.{os.getpid()}-4567abcd.tmp")  # a run saving right now: kept
    other = path.with_name(f"weibo-x-y.json.{int(dead.stdout)}-89abcdef.tmp")  # another query's: not this run's
    for file in (killed, running, other):
        file.write_text("{}")
    with make_client(transport=httpx.MockTransport(lambda request: httpx.Response(500))) as client:
        summary = run_collection(CountingCollector(client), query, store)
    assert summary.pages == 2
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name, running.name, other.name])
    assert json.loads(Path(path).read_text())["done"] is True
