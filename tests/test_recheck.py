"""`actorwatch recheck`: every fixture body gives its status, refusals stop (exit 3) and resume, a killed run converges.

No network: the command's client gets an httpx.MockTransport serving tests/fixtures/weibo/recheck/, and the
SIGKILL test runs the command in a subprocess against a 127.0.0.1 server.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors import recheck_cli
from collectors.base import Query, run_collection
from collectors.http import RetryPolicy, make_client
from collectors.models import Record
from collectors.sources.weibo_recheck import WeiboRecheck, classify_response, make_targets
from collectors.store import Store
from collectors.visibility import STATUSES
from tests.weibo_fake import LoopbackServer, Reply

REPO = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures" / "weibo"
RECHECK = FIX / "recheck"
EXPECTED: dict[str, dict[str, str]] = json.loads((RECHECK / "expected.json").read_text(encoding="utf-8"))
COOKIE = "SUB=fake-recheck-cookie"
NO_SLEEP = lambda _s: None
TRACKER = "iqiyi-nadou"
T0 = datetime(2026, 4, 20, 1, 0, tzinfo=UTC)


def body(name: str) -> str:
    return (RECHECK / name).read_text(encoding="utf-8") if (RECHECK / name).exists() else (FIX / name).read_text(encoding="utf-8")


def reply_for(name: str, status: int = 200) -> httpx.Response:
    kind = "application/json" if name.endswith(".json") else "text/html; charset=utf-8"
    return httpx.Response(status, content=body(name).encode(), headers={"content-type": kind})


def store_posts(store: Store, mids: list[str], tracker: str = TRACKER, **extra) -> None:
    """One stored (fictional) Weibo post per mid, an hour apart, in the order given."""
    store.add_records([Record(source="weibo", id=mid, kind="post", text=f"虚构帖子 {mid}", lang="zh",
                              published_at=T0 + timedelta(hours=n), collected_at=T0 + timedelta(days=2),
                              author_id=str(1000000000 + n), trackers=[tracker], **extra) for n, mid in enumerate(mids)])


def statuses(store: Store) -> dict[str, str]:
    """Each post's latest known status, as every reader sees it."""
    from analysis.stats.visibility import latest_visibility

    with store.connect() as con:
        return dict(latest_visibility(con)[["id", "status"]].itertuples(index=False, name=None))


def mid_of(request: httpx.Request) -> str:
    return request.url.params.get("id") or request.url.path.rsplit("/", 1)[-1]


def run_cli(monkeypatch: pytest.MonkeyPatch, handler: Callable[[httpx.Request], httpx.Response], *args: str):
    monkeypatch.setenv("ACTORWATCH_WEIBO_COOKIE", COOKIE)
    monkeypatch.setattr(recheck_cli, "make_client", lambda: make_client(transport=httpx.MockTransport(handler)))
    return CliRunner().invoke(recheck_cli.recheck_cmd, ["--min-interval", "0", *args])


def test_every_fixture_body_is_listed_with_its_status() -> None:
    bodies = {p.name for p in RECHECK.iterdir() if p.name not in ("README.md", "expected.json")}
    assert bodies == set(EXPECTED)
    assert {e["status"] for e in EXPECTED.values()} == set(STATUSES), "a fixture for every status"
    for name, case in EXPECTED.items():
        assert classify_response(200, body(name), case["mid"]).status == case["status"], name


PREFIXES = ["", "{", '{"ok":0,"msg":"', '{"ok":1,"data":', "<html><p class=\"h5-4con\">",
            "<script>var $render_data = [", '<script>var $render_data = [{"status": {"user": null, "text": "']


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(PREFIXES), st.text(max_size=200), st.integers(min_value=200, max_value=599))
def test_any_body_gets_a_status_and_never_raises(prefix: str, rest: str, http_status: int) -> None:
    verdict = classify_response(http_status, prefix + rest, "5284000000000101")
    assert verdict.status in STATUSES and len(verdict.reason) <= 300


@pytest.mark.parametrize("via", ["detail", "show"])
def test_recheck_stores_the_status_of_every_body(monkeypatch: pytest.MonkeyPatch, via: str) -> None:
    cases = {c["mid"]: name for name, c in EXPECTED.items() if c["via"] == via}
    store = Store()
    store_posts(store, list(cases))
    with store.connect() as con:
        before = con.execute("SELECT * FROM records ORDER BY id").fetchall()
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return reply_for(cases[mid_of(request)])

    result = run_cli(monkeypatch, handler, "--tracker", TRACKER, "--via", via)
    assert result.exit_code == 0, result.output
    assert statuses(store) == {mid: EXPECTED[name]["status"] for mid, name in cases.items()}
    path = "/statuses/show" if via == "show" else "/detail/"
    assert all(r.url.path.startswith(path) and r.headers["cookie"] == COOKIE for r in seen)
    assert len(seen) == len(cases)
    with store.connect() as con:
        assert con.execute("SELECT * FROM records ORDER BY id").fetchall() == before, "posts are never rewritten"
        rows = con.execute("SELECT id, reason, http_status, endpoint FROM visibility").fetchall()
    reasons = {rid: reason for rid, reason, _, _ in rows}
    for mid, name in cases.items():  # Weibo's own words are kept with the status
        if EXPECTED[name]["status"] not in ("visible", "unknown"):
            assert reasons[mid], name
    assert all(status == 200 and mid in endpoint for mid, _, status, endpoint in rows)
    # every body was archived before it was classified, and the cookie is in none of them
    archived = []
    for f in (store.data_dir / "raw" / "weibo-recheck").glob("*.jsonl.gz"):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            archived += [json.loads(line) for line in fh]
    assert sorted(a["body"] for a in archived) == sorted(body(name) for name in cases.values())
    assert all(COOKIE not in json.dumps(a, ensure_ascii=False) for a in archived)
    assert "post(s) checked" in result.output


@pytest.mark.parametrize(("name", "status", "says"), [
    ("captcha.json", 200, "captcha"), ("login_required.json", 200, "log in"), ("too_frequent.json", 200, "频繁"),
    ("blocked_432.html", 432, "HTTP 432"),
    ("blocked_418.html", 418, "HTTP 418"), ("visitor_system.html", 200, "cookie is missing or has expired")])
def test_refusals_stop_with_exit_3_keep_the_checked_and_resume(monkeypatch: pytest.MonkeyPatch, name: str,
                                                               status: int, says: str) -> None:
    mids = ["5284000000000101", "5284000000000104", "5284000000000105"]
    store = Store()
    store_posts(store, mids)
    served = Counter()
    refuse = {"on": True}

    def handler(request: httpx.Request) -> httpx.Response:
        mid = mid_of(request)
        served[mid] += 1
        if mid == mids[1] and refuse["on"]:
            return reply_for(name, status)
        return reply_for({mids[0]: "detail_visible.html", mids[1]: "detail_error_generic.html",
                          mids[2]: "detail_error_user_gone.html"}[mid])

    result = run_cli(monkeypatch, handler)
    assert result.exit_code == 3, result.output
    assert says in result.output and "--resume" in result.output
    assert statuses(store) == {mids[0]: "visible"}, "the refusal is not a status of the post"
    refuse["on"] = False
    result = run_cli(monkeypatch, handler)
    assert result.exit_code == 0, result.output
    assert statuses(store) == {mids[0]: "visible", mids[1]: "unavailable", mids[2]: "account_gone"}
    assert served[mids[0]] == 1, "the resumed run continued after the last post checked"


def collector_for(handler: Callable[[httpx.Request], httpx.Response], mids: list[str], **kw) -> WeiboRecheck:
    targets, _ = make_targets([(mid, T0 + timedelta(hours=n)) for n, mid in enumerate(mids)])
    return WeiboRecheck(make_client(transport=httpx.MockTransport(handler)), targets, cookie=COOKIE, sleep=NO_SLEEP,
                        policy=RetryPolicy(attempts=3, sleep=NO_SLEEP), **kw)


def test_network_errors_are_unknown_with_the_reason_and_three_in_a_row_stop() -> None:
    mids = [f"52840000000003{n:02d}" for n in range(6)]
    store = Store()
    attempts = Counter()

    def handler(request: httpx.Request) -> httpx.Response:
        mid = mid_of(request)
        attempts[mid] += 1
        if mid == mids[0] or mid in mids[2:5]:
            raise httpx.ConnectTimeout("timed out", request=request)
        return reply_for("detail_error_generic.html")

    summary = run_collection(collector_for(handler, mids), Query(TRACKER, ()), store)
    assert summary.stopped and "network failed on 3 posts in a row" in summary.stopped
    assert attempts[mids[0]] == 3, "retried with backoff before giving up on the post"
    with store.connect() as con:
        rows = dict(con.execute("SELECT id, status || ' ' || reason FROM visibility").fetchall())
    assert rows[mids[0]].startswith("unknown network: ConnectTimeout") and rows[mids[1]].startswith("unavailable")
    assert set(rows) == set(mids[:5])
    # a new pass: a later answer replaces unknown ...
    summary = run_collection(collector_for(lambda r: reply_for("detail_error_user_gone.html"), mids), Query(TRACKER, ()),
                             store, resume=False)
    assert not summary.stopped
    assert statuses(store) == dict.fromkeys(mids, "account_gone")

    # ... and a later unknown (the network down) never hides an earlier answer
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("unreachable", request=request)

    summary = run_collection(collector_for(down, mids), Query(TRACKER, ()), store, resume=False)
    assert summary.stopped and "ConnectError" in summary.stopped
    assert statuses(store) == dict.fromkeys(mids, "account_gone")


def test_a_cut_short_page_is_fetched_again_not_classified() -> None:
    page = body("detail_visible.html")
    answers = iter([page[: len(page) // 2], page[: page.index("}]") + 1] + "</html>", page])
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=next(answers).encode())

    store = Store()
    summary = run_collection(collector_for(handler, ["5284000000000101"]), Query(TRACKER, ()), store)
    assert not summary.stopped and len(seen) == 3
    assert statuses(store) == {"5284000000000101": "visible"}


def test_max_then_resume_then_a_new_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    mids = [f"52840000000004{n:02d}" for n in range(5)]
    store = Store()
    store_posts(store, mids)
    store_posts(store, ["5284000000000499"], tracker="tilly-norwood")  # another tracker: not in this recheck
    store.add_records([Record(source="weibo", id="demo-weibo-1", kind="post", text="虚构", published_at=T0,
                              collected_at=T0, trackers=[TRACKER], synthetic=True)])  # synthetic: never rechecked
    served: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        served.append(mid_of(request))
        return reply_for("detail_error_generic.html")

    assert run_cli(monkeypatch, handler, "--tracker", TRACKER, "--max", "2").exit_code == 0
    assert served == mids[:2]
    assert run_cli(monkeypatch, handler, "--tracker", TRACKER).exit_code == 0
    assert served == mids, "oldest first, continuing after --max"
    assert run_cli(monkeypatch, handler, "--tracker", TRACKER).exit_code == 0  # a finished pass: the next starts anew
    assert served == mids * 2
    with store.connect() as con:
        assert con.execute("SELECT count(*), count(DISTINCT id) FROM visibility").fetchone() == (10, 5)


def test_no_posts_or_no_cookie_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_cli(monkeypatch, lambda r: reply_for("detail_visible.html"))
    assert result.exit_code == 1 and "no stored Weibo posts to recheck" in result.output
    monkeypatch.delenv("ACTORWATCH_WEIBO_COOKIE")
    result = CliRunner().invoke(recheck_cli.recheck_cmd, [])
    assert result.exit_code == 1 and "ACTORWATCH_WEIBO_COOKIE" in result.output


# ---------------------------------------------------------------- kill -9 and resume
class RecheckFake:
    """A 127.0.0.1 m.weibo.cn detail endpoint: each post's page is one of a few fixture bodies, chosen by its mid."""

    CYCLE = ("visible", "detail_tombstone_deleted_by_author.html", "detail_error_generic.html",
             "detail_error_author_setting.html", "detail_error_removed_law.html", "detail_error_user_gone.html")

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.requests: Counter = Counter()

    def expected(self, mid: str) -> str:
        name = self.CYCLE[int(mid) % len(self.CYCLE)]
        return "visible" if name == "visible" else EXPECTED[name]["status"]

    def handle(self, method: str, path: str, query: str, cookie: str = "") -> Reply:
        mid = path.rsplit("/", 1)[-1] if path.startswith("/detail/") else parse_qs(query).get("id", [""])[0]
        self.requests[mid] += 1
        name = self.CYCLE[int(mid) % len(self.CYCLE)]
        page = body("detail_visible.html").replace("5284000000000101", mid) if name == "visible" else body(name)
        return Reply(200, page.encode(), {"content-type": "text/html; charset=utf-8"}, delay=self.delay)


def _recheck_subprocess(url: str, data_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "ACTORWATCH_DATA": str(data_dir), "ACTORWATCH_WEIBO_BASE_URL": url,
           "ACTORWATCH_WEIBO_COOKIE": COOKIE, "PYTHONPATH": str(REPO)}
    code = "from collectors.recheck_cli import recheck_cmd; recheck_cmd()"
    return subprocess.Popen([sys.executable, "-c", code, "--tracker", TRACKER, "--min-interval", "0"], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_sigkill_mid_recheck_then_resume_converges(tmp_path: Path) -> None:
    mids = [str(5284000000001000 + n) for n in range(40)]
    store = Store(tmp_path)
    store_posts(store, mids)
    fake = RecheckFake(delay=0.03)
    with LoopbackServer(fake) as server:
        first = _recheck_subprocess(server.url, tmp_path)
        deadline = time.monotonic() + 60
        while sum(fake.requests.values()) < 12 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
        assert first.returncode == -signal.SIGKILL, "the recheck must still be running when it is killed"
        partial = statuses(Store(tmp_path))
        assert 0 < len(partial) < len(mids)

        second = _recheck_subprocess(server.url, tmp_path)
        _, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert "(resumed from the saved cursor)" in err
    assert statuses(Store(tmp_path)) == {mid: fake.expected(mid) for mid in mids}
    assert len({fake.expected(m) for m in mids}) == 6
    # it continued from the cursor instead of starting over (at most the post in flight is fetched twice)
    assert sum(fake.requests.values()) <= len(mids) + 1
    assert max(fake.requests.values()) <= 2


def test_an_endless_redirect_loop_stops_the_recheck_without_a_status(tmp_path: Path) -> None:
    mids = ["5284000000000101"]
    store = Store(tmp_path)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": f"https://m.weibo.cn/p/{len(request.url.path)}{request.url.path}"})

    summary = run_collection(collector_for(handler, mids), Query(TRACKER, ()), store)
    assert summary.stopped and "redirect" in summary.stopped and not list(store.iter_raw("weibo-recheck"))
