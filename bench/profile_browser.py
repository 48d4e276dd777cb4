"""Where one page view's time goes in the browser: one reader walks every page (twice by default) on a warm server.

For each page view: its settle time (as bench_load.py measures it) and the browser main thread's busy seconds
(Chrome's Performance metrics: all tasks, of which script, layout and style), the CPU seconds all the browser's
processes spent (fairer than busy seconds on a loaded machine: those are wall time), with the page's plotly charts,
data grids and element count. The first round includes the app loading and each kind of element's code arriving once
(e.g. plotly.js on the first page with a chart); later rounds are a reader moving between pages. The CPU seconds
run from the click to the end of the settle wait (its 1.5 s quiet spell included: an idle browser spends little).

Not a benchmark with a target (bench_load.py holds it): a tool to find the browser's share of a page view.

With --draws, each page view also says how many times its plotly charts were drawn, and how many of those draws
calculated the chart's data again (plotly's `plotly_afterplot` event, and whether the chart's calcdata was new).
Streamlit 1.67's chart element draws every figure twice as it mounts: it themes the figure once for its first draw,
then again in an effect (a JSON round trip, so new arrays), and plotly's `react` then calculates and draws it all
again. The hook reads the page's DOM as it changes, so leave it off when timing.

With --scripts, each page view also records a V8 CPU profile of the page's main thread and prints its busiest
scripts (self time by script file: Streamlit's main bundle, the plotly chunk, the data grid's...) and the JavaScript
it downloaded, to tell code arriving from the work of drawing this page's elements.

Usage: .venv/bin/python bench/profile_browser.py [--records 1000000] [--work bench/out] [--rounds 2] [--scripts] [--draws]
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import psutil
from bench_dashboard import REPO, build, prepare_snapshot
from bench_load import CHROMIUM, CHROMIUM_ARGS, PAGES, WATCH_JS, settle, start_server, stop_server
from common import load_line

METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")
COUNT_JS = """() => ({elements: document.getElementsByTagName('*').length,
    charts: document.querySelectorAll('[data-testid="stPlotlyChart"]').length,
    grids: document.querySelectorAll('[data-testid="stDataFrame"]').length})"""


# Counts each plotly chart's draws from when plotly marks its div (before the first draw ends: drawing is async).
DRAWS_JS = """
window.__awDraws = {charts: 0, draws: 0, calcs: 0};
new MutationObserver(() => document.querySelectorAll('.js-plotly-plot').forEach(gd => {
    if (gd.__awSeen || !gd.on) return;
    gd.__awSeen = true; window.__awDraws.charts++;
    gd.on('plotly_afterplot', () => {
        const d = window.__awDraws; d.draws++;
        if (gd.calcdata !== gd.__awCalc) d.calcs++;
        gd.__awCalc = gd.calcdata;
    });
})).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['class']});
"""


def draws_text(counts: dict[str, int]) -> str:
    """"3 charts drawn 6 times (6 calculating their data)" from DRAWS_JS's counts of one page view."""
    if not counts.get("charts"):
        return "no plotly chart drawn"
    return (f"{counts['charts']} chart{'s' if counts['charts'] != 1 else ''} drawn {counts['draws']} times "
            f"({counts['calcs']} calculating their data)")


def browser_cpu() -> float:
    """CPU seconds (user + system) of this process's Chromium processes so far."""
    total = 0.0
    for proc in psutil.Process().children(recursive=True):
        try:
            if "chrom" in proc.name():
                times = proc.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            continue
    return total


def by_script(profile: dict, top: int = 6) -> str:
    """A V8 CPU profile's self time per script file, busiest first ("(program)", "(garbage collector)" included)."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    interval_s: dict[int, float] = {}
    for node_id, delta in zip(profile.get("samples", []), profile.get("timeDeltas", []), strict=False):
        interval_s[node_id] = interval_s.get(node_id, 0.0) + delta / 1e6
    per: dict[str, float] = {}
    for node_id, seconds in interval_s.items():
        frame = nodes[node_id]["callFrame"]
        name = frame["url"].rsplit("/", 1)[-1] or frame["functionName"] or "(anonymous)"
        per[name] = per.get(name, 0.0) + seconds
    return " · ".join(f"{k} {v:.2f}" for k, v in sorted(per.items(), key=lambda kv: -kv[1])[:top])


async def walk(base: str, rounds: int = 2, scripts: bool = False, draws: bool = False) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = await browser.new_context(viewport={"width": 1400, "height": 1600}, locale="en-GB")
        page = await context.new_page()
        await page.add_init_script(WATCH_JS + (DRAWS_JS if draws else ""))
        cdp = await context.new_cdp_session(page)
        await cdp.send("Performance.enable")
        fetched: list[tuple[str, int]] = []
        if scripts:
            await cdp.send("Profiler.enable")
            await cdp.send("Profiler.setSamplingInterval", {"interval": 1000})
            page.on("response", lambda r: fetched.append((r.url.rsplit("/", 1)[-1], int(r.headers.get(
                "content-length", 0) or 0))) if r.url.endswith(".js") else None)

        async def metrics() -> dict[str, float]:
            return {m["name"]: m["value"] for m in (await cdp.send("Performance.getMetrics"))["metrics"]}

        for round_ in range(rounds):
            for i, name in enumerate(PAGES):
                path, before, cpu = PAGES[name], await metrics(), browser_cpu()
                if draws and not (round_ == 0 and i == 0):
                    await page.evaluate("window.__awDraws = {charts: 0, draws: 0, calcs: 0}")
                if scripts:
                    fetched.clear()
                    await cdp.send("Profiler.start")
                if round_ == 0 and i == 0:
                    await page.goto(f"{base}/{path}", wait_until="commit")
                    started = 0.0
                else:
                    started = await page.evaluate("performance.now()")
                    await page.locator(f'[data-testid="stSidebarNav"] a[href="{base}/{path}"]').click()
                seconds, error = await settle(page, path, started, 120)
                after, counts, cpu = await metrics(), await page.evaluate(COUNT_JS), browser_cpu() - cpu
                busy = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in METRICS}
                print(f"round {round_ + 1} {name:<11} settle {seconds:5.2f} s · browser CPU {cpu:5.2f} s · main thread busy "
                      f"{busy['TaskDuration']:4.2f} s (script {busy['ScriptDuration']:4.2f}, layout "
                      f"{busy['LayoutDuration']:4.2f}, style {busy['RecalcStyleDuration']:4.2f}) · {counts['charts']} "
                      f"charts, {counts['grids']} grids, {counts['elements']:,} elements" + (f" · {error}" if error else ""),
                      flush=True)
                if draws:
                    print(f"    plotly: {draws_text(await page.evaluate('window.__awDraws'))}", flush=True)
                if scripts:
                    profile = (await cdp.send("Profiler.stop"))["profile"]
                    print(f"    by script: {by_script(profile)}", flush=True)
                    if fetched:
                        print(f"    JavaScript fetched: {len(fetched)} files, "
                              + ", ".join(f"{n} {b / 1024:,.0f} KB" for n, b in sorted(fetched, key=lambda f: -f[1])[:5]),
                              flush=True)
        await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--scripts", action="store_true", help="V8 CPU profile of each page view, by script file")
    parser.add_argument("--draws", action="store_true",
                        help="count each page view's plotly draws, and those that calculated the data again")
    args = parser.parse_args()
    data_dir = args.work / f"store-{args.records}"
    build(data_dir, args.records)
    prepare_snapshot(data_dir)
    print(load_line(), flush=True)
    proc, base = start_server(data_dir, args.work / f"profile-browser-{args.records}.log")
    try:
        asyncio.run(walk(base, args.rounds, args.scripts, args.draws))
    finally:
        stop_server(proc)
    print(load_line(), flush=True)


if __name__ == "__main__":
    main()
