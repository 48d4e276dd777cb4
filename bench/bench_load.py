"""Load benchmark: several readers at once on one dashboard server, in real headless Chromium.

Starts `actorwatch dashboard` on a demo store (built as bench_dashboard.py builds it, cached under --work),
then drives --users concurrent Playwright browser contexts (one Debian Chromium, one Streamlit session
each) through every page, each user in a different order, by the sidebar's links as a reader would.

A page has settled when Streamlit has finished a script run and shows no running status, nothing is still loading
(no placeholder skeleton, every plotly chart drawn) and no element has been added for 1.5 s; its settle time runs
from the click (or the first page's navigation) to the last added element or the last moment it was still running
or loading. An error is
a page that does not settle within --page-timeout, an exception shown on the page, a JavaScript error, a
console error or a failed request (except Streamlit's known base-path probes), or a lost connection.
The server's peak RSS (the process and its children, sampled every 0.25 s) is reported beside them, with the CPU
seconds the server and the browsers spent while the readers walked: on one machine the browsers compete with the
server for the same cores. `actorwatch dashboard` opens every page once before it answers (its warm start); the time
until it answers is reported too. Each user's first page also loads the app itself (Streamlit's and plotly.js's code
parsed in a fresh browser context), so first pages and later pages are reported apart as well. With --returning, each
context has opened the app once before the timed walk (untimed; its code is then in the browser's cache, as for a
reader who opens the dashboard every day), and the CPU figures include that first opening.

Target (issue 13): 8 users on a 1M-record store, p90 settle ≤ 3 s, 0 errors.

Usage: bench_load.py [--records 1000000] [--users 8] [--work bench/out] [--returning] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
from bench_dashboard import REPO, build, prepare_snapshot
from common import emit

TARGET_P90_S = 3.0
QUIET_S = 1.5
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
PAGES = {"overview": "", "timeline": "timeline", "voices": "voices", "hot-search": "hot-search", "topics": "topics",
         "compare": "compare", "industry": "industry", "explore": "explore", "methods": "methods"}
# Opening a page by its path makes Streamlit's frontend probe <page>/_stcore/{health,host-config} (expected 404s).
BASE_PATH_PROBE = re.compile(r"^http://127\.0\.0\.1:\d+/[a-z_-]+/_stcore/(health|host-config)$")

# Installed in every page: remembers when an element was last added and when the app was last seen running.
WATCH_JS = """
window.__aw = {added: performance.now(), running: performance.now()};
// Running until the app has finished a script run: before its code has loaded there is no app element at all, and a
// quiet spell then (a browser parsing Streamlit's code) would otherwise pass for a settled page.
const isRunning = () => document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state')
    !== 'notRunning' || !!document.querySelector('[data-testid="stStatusWidget"] button');
new MutationObserver(ms => {
    if (ms.some(m => Array.from(m.addedNodes).some(n => n.nodeType === 1))) window.__aw.added = performance.now();
}).observe(document, {subtree: true, childList: true});
// Elements still loading (a skeleton while a lazy component's code arrives, a plotly chart not drawn yet) count as
// running: a long quiet spell while the browser parses a large chunk is not a settled page.
const isPending = () => !!document.querySelector('[data-testid="stSkeleton"]')
    || Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]')).some(c => !c.querySelector('.main-svg'));
setInterval(() => { if (isRunning() || isPending()) window.__aw.running = performance.now(); }, 50);
"""
STATE_JS = """() => ({now: performance.now(), added: window.__aw.added, running: window.__aw.running,
    path: location.pathname.replace(/^\\/+|\\/+$/g, ''),
    exceptions: document.querySelectorAll('[data-testid="stException"]').length,
    disconnected: !!document.querySelector('[data-testid="stConnectionStatus"], .stConnectionStatus')
        && /connect/i.test(document.querySelector('[data-testid="stStatusWidget"]')?.innerText || '')})"""


@dataclass
class Visit:
    user: int
    page: str
    seconds: float
    error: str | None = None
    step: int = 0  # 0: the user's first page (the app itself loads too), then each click


@dataclass
class RssSampler:
    """The server's peak RSS, and the CPU seconds spent by the server and by the browsers while readers walk."""

    pid: int
    peak_mb: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _cpu: dict[int, tuple[bool, float]] = field(default_factory=dict)  # pid -> (is the server's, CPU seconds so far)

    def __post_init__(self) -> None:
        self._start = {p.pid: self._cpu_of(p) for p in psutil.Process().children(recursive=True)}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _cpu_of(proc: psutil.Process) -> float:
        try:
            times = proc.cpu_times()
        except psutil.Error:
            return 0.0
        return times.user + times.system

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            try:
                root = psutil.Process(self.pid)
                server = [root, *root.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in server)
            except psutil.Error:
                continue
            self.peak_mb = max(self.peak_mb, rss / 2**20)
            ours = {p.pid for p in server}
            for proc in psutil.Process().children(recursive=True):  # the server's tree, the driver and the browsers
                self._cpu[proc.pid] = (proc.pid in ours, self._cpu_of(proc) - self._start.get(proc.pid, 0.0))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join(timeout=5)
        return self.peak_mb

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU seconds of (the server and its workers, the browsers and their driver) since sampling started."""
        server = sum(cpu for is_server, cpu in self._cpu.values() if is_server)
        return server, sum(cpu for is_server, cpu in self._cpu.values() if not is_server)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data_dir: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    log = log_path.open("w")
    proc = subprocess.Popen([str(REPO / ".venv" / "bin" / "actorwatch"), "--data-dir", str(data_dir), "dashboard",
                             "--port", str(port)], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "ACTORWATCH_DATA": str(data_dir)}, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600  # the server warms every page before it answers
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/_stcore/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    stop_server(proc)
    raise SystemExit(f"the dashboard did not start; see {log_path}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=10)


def order_for(user: int) -> list[str]:
    """Every page once; users start on different pages and half of them walk backwards."""
    names = list(PAGES)
    k = user % len(names)
    walk = names[k:] + names[:k]
    return walk if user % 2 == 0 else [walk[0], *reversed(walk[1:])]


async def settle(page, path: str, started: float, timeout_s: float) -> tuple[float, str | None]:
    """Seconds from `started` (browser clock, ms) to the page's last added element, once settled."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        state = await page.evaluate(STATE_JS)
        if state["disconnected"]:
            return (state["now"] - started) / 1000, "lost the connection to the server"
        quiet = state["now"] - max(state["added"], state["running"])
        if state["path"] == path and quiet >= QUIET_S * 1000 and state["added"] > started:
            error = f"{state['exceptions']} exception(s) shown" if state["exceptions"] else None
            return (max(state["added"], state["running"]) - started) / 1000, error
    return timeout_s, f"did not settle within {timeout_s:.0f} s"


async def user_walk(browser, base: str, user: int, timeout_s: float,
                    primed: asyncio.Barrier | None = None) -> list[Visit]:
    """Every page once, in this user's order. With `primed`, the user has opened the app once before (its code
    in the browser's cache, as for a returning reader) and all users start walking together after that."""
    from playwright.async_api import Error as PlaywrightError

    context = await browser.new_context(viewport={"width": 1400, "height": 1600}, locale="en-GB")
    page = await context.new_page()
    if primed is not None:
        await page.goto(f"{base}/methods", wait_until="load")  # the lightest page: the app's code is what is cached
        try:
            await page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=timeout_s * 1000)
        finally:
            await primed.wait()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda m: problems.append(f"console: {m.text[:200]}")
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400 and not BASE_PATH_PROBE.match(r.url) else None)
    await page.add_init_script(WATCH_JS)
    visits = []
    try:
        for i, name in enumerate(order_for(user)):
            path = PAGES[name]
            if i == 0:
                await page.goto(f"{base}/{path}", wait_until="commit")
                started = 0.0  # the new document's clock starts at navigation
            else:
                started = await page.evaluate("performance.now()")
                link = page.locator(f'[data-testid="stSidebarNav"] a[href="{base}/{path}"]')
                await link.click(timeout=timeout_s * 1000)
            seconds, error = await settle(page, path, started, timeout_s)
            if problems:
                error = "; ".join(filter(None, [error, *problems[:3]]))
                problems.clear()
            visits.append(Visit(user, name, seconds, error, i))
    except PlaywrightError as exc:  # a link never found, a crashed tab: count it, keep the other users going
        visits.append(Visit(user, "(walk)", timeout_s, f"{type(exc).__name__}: {str(exc)[:200]}"))
    finally:
        await context.close()
    return visits


async def drive(base: str, users: int, timeout_s: float, returning: bool = False) -> list[Visit]:
    from playwright.async_api import async_playwright

    primed = asyncio.Barrier(users) if returning else None
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            walks = await asyncio.gather(*(user_walk(browser, base, u, timeout_s, primed) for u in range(users)))
        finally:
            await browser.close()
    return [v for walk in walks for v in walk]


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--page-timeout", type=float, default=120.0, help="seconds before a page counts as failed")
    parser.add_argument("--returning", action="store_true",
                        help="readers who have opened the dashboard before: each browser context loads the app once "
                             "(untimed, all together), then every user walks from a fresh page load with the app's "
                             "code in its cache")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit("Chromium is missing: `make browsers` (apt-get install chromium fonts-noto-cjk)")
    data_dir = args.work / f"store-{args.records}"
    t0 = time.perf_counter()
    build(data_dir, args.records)
    print(f"store {args.records:,} records ready in {time.perf_counter() - t0:.1f} s ({data_dir})", flush=True)
    snap = prepare_snapshot(data_dir)  # once per store state, as the first visitor after a change would wait for it
    seconds = snap["seconds"]
    print(f"snapshot: {f'built in {seconds:.0f} s' if snap['built'] else 'current one reused'}", flush=True)
    t0 = time.perf_counter()
    proc, base = start_server(data_dir, args.work / f"load-{args.records}.log")
    ready_s = time.perf_counter() - t0
    print(f"server ready in {ready_s:.0f} s (it opens every page once before accepting readers)", flush=True)
    sampler = RssSampler(proc.pid)
    try:
        t0 = time.perf_counter()
        visits = asyncio.run(drive(base, args.users, args.page_timeout, args.returning))
        elapsed = time.perf_counter() - t0
    finally:
        peak_mb = sampler.stop()
        stop_server(proc)
    times = [v.seconds for v in visits]
    errors = [v for v in visits if v.error]
    p50, p90 = statistics.median(times), percentile(times, 90)
    print(f"{args.users} users × {len(PAGES)} pages on {args.records:,} records: {len(visits)} page visits in "
          f"{elapsed:.0f} s")
    for name in PAGES:
        own = sorted(v.seconds for v in visits if v.page == name)
        if own:
            print(f"  {name:<11} median {statistics.median(own):5.2f} s · max {own[-1]:5.2f} s")
    first = sorted(v.seconds for v in visits if v.step == 0)
    later = [v.seconds for v in visits if v.step > 0]
    if first and len(later) > 1:
        print(f"  first page of each user (the app loads too{', from the cache' if args.returning else ''}): median {statistics.median(first):.2f} s · max "
              f"{first[-1]:.2f} s; later pages: p50 {statistics.median(later):.2f} s · p90 {percentile(later, 90):.2f} s")
    print(f"page settle: p50 {p50:.2f} s · p90 {p90:.2f} s · max {max(times):.2f} s (target p90 ≤ {TARGET_P90_S} s); "
          f"errors {len(errors)} (target 0); server peak RSS {peak_mb:.0f} MB")
    server_cpu, browser_cpu = sampler.cpu_seconds()
    print(f"CPU while readers walked: server {server_cpu:.0f} s, browsers {browser_cpu:.0f} s "
          f"(over {elapsed:.0f} s on {os.cpu_count()} CPUs)")
    for v in errors[:10]:
        print(f"  error: user {v.user} {v.page}: {v.error}")
    emit({"users": args.users, "records": args.records, "returning": args.returning, "pages": len(PAGES),
          "visits": len(visits),
          "p50_s": round(p50, 3), "p90_s": round(p90, 3), "max_s": round(max(times), 3), "errors": len(errors),
          "peak_rss_mb": round(peak_mb), "server_ready_s": round(ready_s, 1),
          "server_cpu_s": round(server_cpu, 1), "browser_cpu_s": round(browser_cpu, 1),
          "first_page_median_s": round(statistics.median(first), 3) if first else None,
          "later_p90_s": round(percentile(later, 90), 3) if len(later) > 1 else None, "per_page_median_s": {
              name: round(statistics.median([v.seconds for v in visits if v.page == name] or [0]), 3) for name in PAGES}},
         args.json)


if __name__ == "__main__":
    main()
