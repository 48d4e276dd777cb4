"""Acceptance: collecting from a 127.0.0.1 Weibo with 20% injected faults (429, 432, 500, timeouts, truncated JSON,
captcha) ends with exactly the records of a clean run; a collector killed with SIGKILL and resumed converges too.

Speed: the collector gets a no-op `sleep` (rate limiter and retry backoff) in-process, and `--min-interval 0` in
the subprocess; the fake server answers in milliseconds. Every loop below is bounded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.base import Query, RunSummary, run_collection
from collectors.http import RetryPolicy, make_client
from collectors.sources.weibo import WeiboSearch
from collectors.store import Store
from tests.weibo_fake import FAULTS, FakeWeibo, LoopbackServer

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
TERMS = ("AI艺人库", "纳豆Pro", "爱奇艺 AI艺人", "AI授权 工作室")
SINCE, UNTIL = datetime(2026, 4, 20, tzinfo=UTC), datetime(2026, 4, 23, tzinfo=UTC)
COOKIE = "SUB=fake-cookie-for-tests"
NO_SLEEP = lambda _s: None


def collector_for(url: str, timeout: float = 5.0) -> WeiboSearch:
    return WeiboSearch(make_client(timeout=timeout), cookie=COOKIE, base_url=url, sleep=NO_SLEEP,
                       policy=RetryPolicy(attempts=5, sleep=NO_SLEEP))


def records_of(store: Store) -> list[tuple]:
    """The deduplicated records without collected_at (the only field that differs between runs)."""
    with store.connect() as con:
        return con.execute("SELECT * EXCLUDE (collected_at) FROM records ORDER BY id").fetchall()


def stored_rows(store: Store) -> int:
    """Rows in the Parquet files themselves, before deduplication."""
    with store.connect() as con:
        glob = str(store.root / "records" / "**" / "*.parquet")
        return con.execute(f"SELECT count(*) FROM read_parquet('{glob}')").fetchone()[0]


def run_until_done(collector: WeiboSearch, query: Query, store: Store, max_runs: int = 60) -> list[RunSummary]:
    """Re-run with --resume after each stop, as a user would; bounded."""
    runs = []
    for _ in range(max_runs):
        runs.append(run_collection(collector, query, store, resume=True))
        if not runs[-1].stopped:
            return runs
    raise AssertionError(f"did not finish in {max_runs} runs: {runs[-1].stopped}")


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict:
    fake = FakeWeibo()
    store = Store(tmp_path_factory.mktemp("clean"))
    with LoopbackServer(fake) as server:
        runs = run_until_done(collector_for(server.url), Query("iqiyi-nadou", TERMS, SINCE, UNTIL), store)
    assert len(runs) == 1 and not runs[0].errors
    return {"records": records_of(store), "rows": stored_rows(store), "requests": sum(fake.requests.values()),
            "search_requests": fake.requests["/api/container/getIndex"]}


def test_clean_run_is_substantial(clean):
    # 4 terms × 3 daily windows × 23 posts (+ originals of reposts), over 3 pages + 2 empty pages per window (one
    # empty page is looked past)
    assert len(clean["records"]) == 4 * 3 * 23 + 4 * 4 and clean["search_requests"] == 4 * 3 * 5


def test_twenty_percent_faults_end_with_exactly_the_clean_records(clean, tmp_path):
    fake = FakeWeibo(fault_rate=0.2, seed=11, timeout_delay=0.6)
    store = Store(tmp_path)
    with LoopbackServer(fake) as server:
        runs = run_until_done(collector_for(server.url, timeout=0.25), Query("iqiyi-nadou", TERMS, SINCE, UNTIL), store)
    total = sum(fake.requests.values())
    assert all(fake.faults[f] > 0 for f in FAULTS), f"every fault kind injected: {dict(fake.faults)}"
    assert 0.12 < sum(fake.faults.values()) / total < 0.28  # about 20% of all requests
    stops = [r.stopped for r in runs if r.stopped]
    assert len(stops) >= fake.faults["432"]  # 432 and captcha stop the run (they are not hammered) ...
    assert any("HTTP 432" in s for s in stops) and any("captcha" in s for s in stops)
    assert all("--resume" in s for s in stops)
    assert records_of(store) == clean["records"]  # ... and resuming loses nothing
    assert stored_rows(store) == clean["rows"]  # nor writes anything twice


def _collect_subprocess(url: str, data_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "ACTORWATCH_DATA": str(data_dir), "ACTORWATCH_WEIBO_BASE_URL": url,
           "ACTORWATCH_WEIBO_COOKIE": COOKIE, "PYTHONPATH": str(REPO)}
    args = ["weibo", "--tracker", "iqiyi-nadou", "--since", "2026-04-20", "--until", "2026-04-23", "--min-interval", "0"]
    for term in TERMS:
        args += ["--term", term]
    code = "from collectors.collect_cli import collect_cmd; collect_cmd()"
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_sigkill_mid_run_then_resume_converges(clean, tmp_path):
    fake = FakeWeibo(delay=0.02)
    with LoopbackServer(fake) as server:
        first = _collect_subprocess(server.url, tmp_path)
        deadline = time.monotonic() + 60
        while fake.requests["/api/container/getIndex"] < 15 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
        assert first.returncode == -signal.SIGKILL, "the collector must still be running when it is killed"
        partial = len(records_of(Store(tmp_path)))
        assert 0 < partial < len(clean["records"])

        second = _collect_subprocess(server.url, tmp_path)
        out, err = second.communicate(timeout=180)
    assert second.returncode == 0, err
    assert "(resumed from the saved cursor)" in err and "rejected: 0" in out
    assert records_of(Store(tmp_path)) == clean["records"]
    # it continued from the cursor instead of starting over (at most the page in flight is fetched twice)
    assert fake.requests["/api/container/getIndex"] <= clean["search_requests"] + 2
