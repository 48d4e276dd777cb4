"""Real-browser tests: Playwright drives Debian's Chromium against a Streamlit server on 127.0.0.1.

The server reads a temporary store (demo records + oracle scores + synthetic prices + one hostile post).
Screenshots of every page go to artifacts/screenshots/ for review.
"""

from __future__ import annotations

import csv
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from collectors.hot_search import ingest_excerpt
from tests.dashboard_store import HOSTILE_TEXT, build_store
from tests.test_dashboard_pages import PAGES, add_prices

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
# Opening a non-default page directly makes Streamlit's frontend probe `<page>/_stcore/health` and
# `<page>/_stcore/host-config` to find its base path; those two 404s are expected (streamlit/streamlit#7074,
# open). Every other failed request or console error fails the test.
STREAMLIT_BASE_PATH_PROBE = re.compile(r"^http://127\.0\.0\.1:\d+/[a-z_-]+/_stcore/(health|host-config)$")
RESOURCE_404 = "Failed to load resource: the server responded with a status of 404"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_browser() -> None:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium not installed at /usr/bin/chromium: `make browsers` (apt-get install chromium fonts-noto-cjk)")
    pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install -e '.[dev]')")


@contextmanager
def streamlit_server(data: Path, log_dir: Path) -> Iterator[str]:
    """The dashboard served on a free loopback port over the store in `data`; yields its base URL."""
    env = {**os.environ, "ACTORWATCH_DATA": str(data), "ACTORWATCH_PSEUDONYM_KEY": "browser-test-key"}
    port = _free_port()
    log = (log_dir / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "dashboard" / "app.py"), "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/_stcore/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail(f"streamlit did not start; log: {log.name}")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_browser()
    data = tmp_path_factory.mktemp("browser-store")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACTORWATCH_DATA", str(data))
        mp.setenv("ACTORWATCH_PSEUDONYM_KEY", "browser-test-key")
        store = build_store(data, records=3000)
        add_prices(store)
        ingest_excerpt(store)  # the shipped real hot-search excerpt, for the Hot search page
    with streamlit_server(data, tmp_path_factory.mktemp("browser-log")) as base:
        yield base


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, tmp_path: Path):
    context = browser.new_context(viewport={"width": 1400, "height": 2200}, accept_downloads=True, locale="en-GB")
    tab = context.new_page()
    tab.console_errors = []
    tab.failed_requests = []
    tab.on("console", lambda m: tab.console_errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda exc: tab.console_errors.append(f"pageerror: {exc}"))
    tab.on("response", lambda r: tab.failed_requests.append(r.url) if r.status >= 400 else None)
    yield tab
    context.close()


def app_errors(tab) -> list[str]:
    """Console errors and failed requests, minus Streamlit's known base-path probes (see above)."""
    unexpected = [u for u in tab.failed_requests if not STREAMLIT_BASE_PATH_PROBE.match(u)]
    probes = len(tab.failed_requests) - len(unexpected)
    errors = [m for m in tab.console_errors if not m.startswith(RESOURCE_404)]
    resource_404s = len(tab.console_errors) - len(errors)
    if resource_404s > probes:
        errors.append(f"{resource_404s - probes} unexplained 404 console errors")
    return errors + [f"failed request: {u}" for u in unexpected]


def settle(tab, min_charts: int = 0, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished the script run and plotly has drawn the expected charts."""
    tab.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    tab.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"] button')
                 && document.querySelectorAll('[data-testid="stMain"] h1').length > 0""", timeout=timeout)
    if min_charts:
        tab.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {min_charts}",
                              timeout=timeout)
    tab.wait_for_timeout(800)  # let the last deltas paint


def test_every_page_opens_without_console_errors_and_is_screenshotted(server: str, page) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name in PAGES:
        page.goto(f"{server}/" if name == "overview" else f"{server}/{name}")
        settle(page, min_charts=0 if name == "explore" else 1)
        assert page.locator('[data-testid="stException"]').count() == 0, f"{name}: exception shown"
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        # every chart reaches screen readers as a figure labelled with its alt text
        labels = page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(
            e => (e.closest('[role="figure"][aria-label]') || {getAttribute: () => ''}).getAttribute('aria-label'))""")
        assert labels and all(len(label) > 40 for label in labels) or name == "explore", (name, labels)
    assert app_errors(page) == []


def test_filter_change_and_deep_link(server: str, page) -> None:
    page.goto(f"{server}/")
    settle(page, min_charts=2)
    page.get_by_label("Sources (none = all)").first.click()
    page.get_by_role("option", name="weibo").click()
    page.keyboard.press("Escape")
    page.wait_for_function("location.search.includes('source=weibo')", timeout=30_000)
    settle(page, min_charts=2)
    assert parse_qs(urlsplit(page.url).query)["source"] == ["weibo"]
    # a deep link restores a page's own view
    page.goto(f"{server}/voices?tracker=iqiyi-nadou&stance=deny-involvement")
    settle(page, min_charts=1)
    traces = page.evaluate("document.querySelectorAll('.js-plotly-plot')[0].data.map(t => t.name)")
    assert traces == ["deny-involvement"]
    assert "stance=deny-involvement" in page.url
    # the embed snippet's URL shows just that chart, without the app chrome
    page.goto(f"{server}/?tracker=iqiyi-nadou&chart=overview-sentiment&embed=true")
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    page.wait_for_timeout(1500)
    assert page.locator(".js-plotly-plot").count() == 1
    assert page.locator('[data-testid="stSidebar"]').count() == 0
    assert app_errors(page) == []


def test_download_chart_html_and_csv(server: str, page, tmp_path: Path) -> None:
    page.goto(f"{server}/")
    settle(page, min_charts=2)
    page.get_by_text("Embed / download").first.click()
    with page.expect_download() as html_dl:
        page.get_by_role("button", name="HTML (standalone)").first.click()
    html_path = tmp_path / "chart.html"
    html_dl.value.save_as(html_path)
    body = html_path.read_text()
    assert body.startswith("<!doctype html>") and "snapshot aw-" in body and ">data</a>" in body
    # the file's "live view" link reaches this server, as the panel's own link does (not a default localhost:8501)
    assert f'href="{server}/?tracker=' in body, re.findall(r'href="(http[^"]*)"', body)
    with page.expect_download() as csv_dl:
        page.get_by_role("button", name="CSV (chart data)").first.click()
    csv_path = tmp_path / "chart.csv"
    csv_dl.value.save_as(csv_path)
    lines = csv_path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "day,source,records,about_this_data" and "synthetic demo data" in lines[1]
    assert f"live view: {server}/?tracker=" in lines[1]
    with page.expect_download(timeout=90_000) as png_dl:  # kaleido drives the system Chromium on the server
        page.get_by_role("button", name="PNG (image)").first.click()
    png_path = tmp_path / "chart.png"
    png_dl.value.save_as(png_path)
    assert png_path.read_bytes().startswith(b"\x89PNG")
    assert app_errors(page) == []


def test_hostile_post_renders_inert(server: str, page, tmp_path: Path) -> None:
    page.goto(f"{server}/explore?q=XSS+probe")
    settle(page)
    page.wait_for_selector("text=1 matching records", timeout=30_000)
    page.wait_for_timeout(1500)
    assert page.evaluate("window.__pwned") is None, "markup inside a post was executed"
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("script:has-text('__pwned')").count() == 0
    # the peak label / hover paths also receive post text: the overview must stay inert too
    page.goto(f"{server}/")
    settle(page, min_charts=2)
    notes = page.locator(".js-plotly-plot").first.locator("g.annotation")
    for i in range(notes.count()):  # peak labels carry the day's most-shared post (the probe) as hover text
        notes.nth(i).hover(force=True)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__pwned") is None
    assert page.locator('img[src="x"]').count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server}/explore?q=XSS+probe")
    settle(page)
    page.wait_for_selector("text=1 matching records", timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / "explore-hostile-post.png"), full_page=True)
    with page.expect_download() as csv_dl:  # the post is kept verbatim as data, not stripped or rewritten
        page.get_by_role("button", name="Download this page as CSV").click()
    csv_path = tmp_path / "explore.csv"
    csv_dl.value.save_as(csv_path)
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [row["text"] for row in rows] == [HOSTILE_TEXT]
    # the rows say what they are (demo text, which view, whose credit) wherever they are copied to
    assert "SYNTHETIC DEMO DATA" in rows[0]["about_this_data"]
    assert f"live view: {server}/explore?tracker=" in rows[0]["about_this_data"]
    assert page.evaluate("window.__pwned") is None
    assert app_errors(page) == []


def test_alerts_page_of_demo_data_says_synthetic_and_stays_inert(server: str, page) -> None:
    """The Alerts page (evaluated on the demo's storm days) shows its figures and evidence without running a post's
    markup, and says its alerts come from synthetic data."""
    page.goto(f"{server}/alerts?tracker=iqiyi-nadou&as_of=2026-04-21")
    settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.wait_for_selector("text=Sent lately", timeout=30_000)
    assert page.get_by_text("Demo data (synthetic)").count() >= 1
    assert page.evaluate("window.__pwned") is None and page.locator('img[src="x"]').count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "alerts.png"), full_page=True)
    assert app_errors(page) == []


def test_chart_titles_fit_a_phone(server: str, browser) -> None:
    """Plotly clips a title at the figure's edge and never wraps it: on a 390 px phone every "<what> — <tracker>"
    title lost its end (the tracker's name, the model). Titles are now broken into lines that fit."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    tab = context.new_page()
    tab.goto(f"{server}/")
    settle(tab, min_charts=2)
    clipped = tab.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(plot => {
        const box = plot.querySelector('.main-svg').getBoundingClientRect();
        const top = Math.min(...[...plot.querySelectorAll('.nsewdrag')].map(d => d.getBoundingClientRect().top));
        return [...plot.querySelectorAll('.gtitle')].filter(t => t.getBoundingClientRect().right > box.right + 1
                                                                 || t.getBoundingClientRect().bottom > top)
            .map(t => t.textContent); })""")
    context.close()
    assert clipped == [], "titles run past the chart's edge or down into its plot"


def test_model_figure_beside_a_chart_is_not_cut_short(server: str, browser) -> None:
    """The model's in-domain figure beside each sentiment chart was a one-line page link that the browser cut with an
    ellipsis (on a phone and on a desktop alike), so readers never saw the macro-F1 the chart rests on."""
    for width in (390, 1400):
        context = browser.new_context(viewport={"width": width, "height": 2400}, locale="en-GB")
        tab = context.new_page()
        tab.goto(f"{server}/")
        settle(tab, min_charts=2)
        cut = tab.evaluate("""() => [...document.querySelectorAll('[data-testid="stMain"] *')].filter(e =>
            getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1
            && e.textContent.trim()).map(e => e.textContent.trim())""")
        shown = tab.locator('[data-testid="stMain"]').inner_text()
        context.close()
        assert cut == [], (width, cut)
        # the store's test model has no card: its badge says so, to the sentence's end
        assert re.search(r"macro-F1 \d\.\d\d \[|not measured on in-domain text\.", shown), width


CRAMPED_JS = """titles => [...document.querySelectorAll('.js-plotly-plot')].filter(plot =>
        new RegExp(titles).test(plot.querySelector('.gtitle').textContent)).flatMap(plot => {
    const box = plot.querySelector('.main-svg').getBoundingClientRect();
    const areas = [...plot.querySelectorAll('.nsewdrag')].map(d => d.getBoundingClientRect());
    const area = {left: Math.min(...areas.map(a => a.left)), right: Math.max(...areas.map(a => a.right)),
                  top: Math.min(...areas.map(a => a.top)), bottom: Math.max(...areas.map(a => a.bottom))};
    const legend = plot.querySelector('.legend');
    const over = legend && legend.getBoundingClientRect().left < area.right
                 && legend.getBoundingClientRect().top < area.bottom && legend.getBoundingClientRect().bottom > area.top;
    const cut = [...plot.querySelectorAll('.ytick text')].some(t => t.getBoundingClientRect().left < box.left - 1);
    const legendCut = legend && (legend.getBoundingClientRect().right > box.right + 1
                                 || legend.getBoundingClientRect().bottom > box.bottom + 1);
    // a point's text label (a trending topic's peak heat) past the plot's right edge, where plotly cuts it
    const labelCut = [...plot.querySelectorAll('.textpoint text')].some(t => t.getBoundingClientRect().right > area.right + 1);
    const meet = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    const notes = [...plot.querySelectorAll('.annotation')].map(n => n.getBoundingClientRect());
    const onLegend = legend && notes.some(n => meet(n, legend.getBoundingClientRect()));  // e.g. a peak label
    const headings = notes.filter(n => n.bottom <= area.top + 1);  // subplot headings, above the plots
    const clash = headings.some((a, i) => headings.slice(i + 1).some(b => meet(a, b)));
    return area.right - area.left < 0.4 * box.width || over || cut || legendCut || labelCut || onLegend || clash
        ? [plot.querySelector('.gtitle').textContent] : []; })"""


# page: (titles of the charts checked, how many, how many charts the page draws); the charts that name their rows or
# carry a legend
PHONE_CHARTS = {
    "": ("^Daily records by source ", 1, 2),
    "hot-search": ("^(Trending topics and curated events|Heat hour by hour) ", 2, 3),
    "topics": ("^(Frames over time|Top keywords|Topic clusters|Entities) ", 4, 5),
    "compare": ("^(Cases aligned|Share of voice) ", 2, 2),
    "industry": ("^(News coverage by outlet|IQ vs) ", 2, 5),
    "voices": ("^(Statements|Weekly stance of posts|Claim ledger) ", 3, 3),
    "timeline": ("^(Before vs after each event|Negative share and its level shifts) ", 2, 2),
}


def test_charts_leave_room_for_their_plot_on_a_phone(server: str, browser) -> None:
    """On a 390 px phone, charts naming their rows (Voices' statements and claims, the Timeline's events, trending
    topics, topic clusters, keywords, entities) gave their width to the names in a fixed 140-280 px margin, and charts
    with a legend on the right gave it to the legend: the plot shrank to a sliver, long names were cut at the chart's
    left edge, a peak label covered the legend, the two panels' headings of a chart ran into each other, and the
    trending topics' peak heat labels of the last days ran past the plot's right edge, where plotly cut them. One
    browser session over every page (a page's check would otherwise be a Streamlit start-up each)."""
    context = browser.new_context(viewport={"width": 390, "height": 3000}, locale="en-GB")
    tab = context.new_page()
    cramped, checked = {}, {}
    for path, (titles, _, drawn) in PHONE_CHARTS.items():
        tab.goto(f"{server}/{path}?tracker=iqiyi-nadou")
        settle(tab, min_charts=drawn)  # (plotly draws two svgs a chart: wait for the charts' titles too)
        tab.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .gtitle').length >= {drawn}", timeout=60_000)
        tab.wait_for_timeout(500)
        cramped[path] = tab.evaluate(CRAMPED_JS, titles)
        checked[path] = tab.locator(".js-plotly-plot .gtitle").filter(has_text=re.compile(titles)).count()
    context.close()
    assert {path: found for path, found in cramped.items() if found} == {}
    assert checked == {path: charts for path, (_, charts, _) in PHONE_CHARTS.items()}, "each page shows the charts checked"


def test_a_legend_below_a_chart_leaves_no_blank_band_on_a_desktop(server: str, browser) -> None:
    """The foot under a chart is kept for its legend at one entry a line (a phone's): a desktop's horizontal legend
    packed the entries into a row or two and left the rest blank (the Hot search timeline 60 px, the hourly heat
    300 px). The legend now lists an entry a line at every width, so it fills the foot it was given."""
    context = browser.new_context(viewport={"width": 1400, "height": 3000}, locale="en-GB")
    tab = context.new_page()
    tab.goto(f"{server}/hot-search?tracker=iqiyi-nadou")
    settle(tab, min_charts=3)
    tab.wait_for_function("document.querySelectorAll('.js-plotly-plot .gtitle').length >= 3", timeout=60_000)
    tab.wait_for_timeout(500)
    blank = tab.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.querySelector('.legend'))
        .map(p => [p.querySelector('.gtitle').textContent.slice(0, 30),
                   p.querySelector('.main-svg').getBoundingClientRect().bottom
                   - p.querySelector('.legend').getBoundingClientRect().bottom])""")
    context.close()
    # what is left: the legend box's padding and, over a long legend, the reserve of 20 px a line against ~19 drawn
    assert len(blank) == 2 and all(0 <= px <= 50 for _, px in blank), blank


def test_standalone_html_renders_offline_with_chinese(browser, tmp_path: Path) -> None:
    """The inline-plotly.js HTML export works from a file with no network (a newsroom's offline archive)."""
    from datetime import date

    import pandas as pd

    from dashboard.charts.embed import ChartPackage, standalone_html
    from dashboard.charts.overview import volume_chart

    data = pd.DataFrame({"day": [date(2026, 4, 19), date(2026, 4, 20), date(2026, 4, 21)], "source": ["weibo"] * 3,
                         "records": [3, 40, 22]})
    package = ChartPackage(name="overview-volume", title="爱奇艺AI艺人库 — daily records", data=data,
                           fig=volume_chart(data, [], "爱奇艺AI艺人库 / 纳逗Pro — 每日记录"), alt="Bar chart: 65 records.",
                           source="actorwatch store, weibo", params={"tracker": "iqiyi-nadou"})
    path = tmp_path / "chart.html"
    path.write_text(standalone_html(package, inline=True, base_url="https://news.example"), encoding="utf-8")
    context = browser.new_context(viewport={"width": 900, "height": 560}, offline=True)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.goto(path.as_uri())
    tab.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    assert "每日记录" in tab.locator(".gtitle").text_content()
    assert tab.locator("figcaption").inner_text().startswith("Source: actorwatch store, weibo")
    assert tab.locator("#aw-alt").inner_text() == "Bar chart: 65 records."
    caption = tab.locator("figcaption").bounding_box()
    assert caption["y"] + caption["height"] <= 560 + 1, "the source/credit line must be visible, not pushed below"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / "standalone-chart.png"))
    context.close()
    assert errors == []


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A store of four (fictional) Weibo posts, one of them rechecked and found deleted by its author."""
    require_browser()
    from datetime import UTC, datetime

    from collectors.ingest import ingest
    from collectors.models import Record
    from collectors.store import Store
    from collectors.visibility import VisibilityCheck

    data = tmp_path_factory.mktemp("browser-recheck-store")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACTORWATCH_DATA", str(data))
        mp.setenv("ACTORWATCH_PSEUDONYM_KEY", "browser-test-key")
        store = Store(data)
        store.add_records([Record(source="weibo", id=f"528400000000050{n}", kind="post", lang="zh",
                                  text=f"虚构的测试帖子 {n}：AI艺人库", published_at=datetime(2026, 4, 20, 8 + n, tzinfo=UTC),
                                  collected_at=datetime(2026, 4, 21, tzinfo=UTC), author_id=f"100000050{n}",
                                  trackers=["iqiyi-nadou"], synthetic=True) for n in range(4)])
        ingest([VisibilityCheck(source="weibo", id="5284000000000501", checked_at=datetime(2026, 5, 2, 6, tzinfo=UTC),
                                status="deleted_by_author", reason="抱歉，此微博已被作者删除。"),
                VisibilityCheck(source="weibo", id="5284000000000502", checked_at=datetime(2026, 5, 2, 6, tzinfo=UTC),
                                status="visible")], store)
    with streamlit_server(data, tmp_path_factory.mktemp("browser-recheck-log")) as base:
        yield base


def test_explore_shows_a_deleted_post_s_status(small_server: str, page, tmp_path: Path) -> None:
    page.goto(f"{small_server}/explore")
    settle(page)
    page.wait_for_selector("text=4 matching records", timeout=30_000)
    assert page.get_by_text("1 visible, 1 deleted by author", exact=False).count() == 1
    # the grid draws on a canvas; its accessible table (what screen readers get) holds the visible cells
    cell = page.locator('[data-testid="stDataFrame"] [role="gridcell"]', has_text="deleted_by_author")
    cell.first.wait_for(state="attached", timeout=30_000)
    assert cell.count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "explore-visibility.png"), full_page=True)
    with page.expect_download() as csv_dl:
        page.get_by_role("button", name="Download this page as CSV").click()
    csv_path = tmp_path / "explore.csv"
    csv_dl.value.save_as(csv_path)
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        rows = {row["id"]: (row["visibility"], row["checked"]) for row in csv.DictReader(fh)}
    assert rows["5284000000000501"] == ("deleted_by_author", "2026-05-02")
    assert rows["5284000000000502"][0] == "visible" and rows["5284000000000500"] == ("", "")
    # the filter narrows the table to the deleted post, and the choice is in the URL
    page.goto(f"{small_server}/explore?vis=deleted_by_author")
    settle(page)
    page.wait_for_selector("text=1 matching records", timeout=30_000)
    assert "vis=deleted_by_author" in page.url
    assert app_errors(page) == []
