"""What a journalist takes away from a chart: every exported HTML, PNG and CSV says what it shows, over which days
(and in which time zone), from how many records, and whether the data is the synthetic demo corpus."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from analysis.core.filters import Filters
from collectors.store import Store
from collectors.trackers import get_tracker


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A small store of synthetic demo records with oracle scores (tests/dashboard_store.py)."""
    from tests.dashboard_store import build_store

    path = tmp_path_factory.mktemp("embed-kit-store")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACTORWATCH_DATA", str(path))
        mp.setenv("ACTORWATCH_PSEUDONYM_KEY", "test-key-not-secret")
        return build_store(path, records=500, hostile=False)


def test_a_hot_search_chart_of_synthetic_topics_says_so_with_its_beijing_days_and_n(data_dir) -> None:
    """Hot-search charts credit their own source line: it named the archive or collector only, so a chart of synthetic
    topics was published without the synthetic mark, the days it covers, their zone or how many sightings it draws."""
    from collectors.ingest import ingest
    from collectors.models import TrendObservation
    from dashboard.charts import registry as chart_registry
    from dashboard.charts.embed import published_csv

    store = Store(data_dir)
    ingest([TrendObservation(source="weibo", topic=f"爱奇艺演示话题{n}", heat=100 + n, status="hot",
                             snapshot=f"live-{n}", list_heat=5000, trackers=["iqiyi-nadou"], synthetic=True,
                             observed_at=datetime(2026, 4, 20, 2 + n, tzinfo=UTC)) for n in range(3)], store)
    tracker = get_tracker("iqiyi-nadou")
    view = chart_registry.View(Filters.for_tracker(tracker))
    with store.connect() as con:
        package = chart_registry.build("hot-search-timeline", con, view, {})
    f = view.filters
    assert "100% synthetic demo data" in package.source
    assert f"{f.start} to {f.end} (Beijing days, UTC+8)" in package.source
    assert "3 sightings of 3 topics" in package.source
    assert "100% synthetic demo data" in published_csv(package).decode("utf-8-sig") and package.synthetic_share == 1


def test_every_store_chart_s_source_line_says_how_many_records_it_draws_from(small_store) -> None:
    """The source line (HTML caption, PNG footer, CSV's about column) named the days and the synthetic share but not
    n: a published chart said nothing of how many records were behind it."""
    from analysis.stats import aggregate
    from collectors.trackers import public_names
    from dashboard.charts import registry as chart_registry
    from tests.dashboard_store import VERSION

    store = small_store
    tracker = get_tracker("iqiyi-nadou")
    view = chart_registry.View(Filters.for_tracker(tracker), VERSION)
    with store.connect(public_names=public_names()) as con:
        n = aggregate.kpis(con, view.filters)["records"]
        volume = chart_registry.build("overview-volume", con, view, {})
        coverage = chart_registry.build("methods-coverage", con, view.with_options(), {})
        aligned = chart_registry.build("compare-aligned", con, view, {})
    assert n > 0
    assert f"n = {n:,} records" in volume.source and f"n = {n:,} records" in coverage.source
    assert "n = " in aligned.source


def test_the_png_footer_wraps_long_lines_instead_of_cutting_them_off() -> None:
    """The footer was one annotation line per note: a long source line (the before/after chart's runs ~300 characters)
    ran past the image's right edge, so the PNG lost its end, where the synthetic-data share is said."""
    import html

    import pandas as pd
    import plotly.graph_objects as go

    from analysis.reports.png import FOOTER_CHARS
    from dashboard.charts.embed import ChartPackage, credited_figure

    source = ("actorwatch store, all sources, for each event the 3 days before it and the event day with the 2 "
              "following, within the tracker's collection window 2026-04-10 to 2026-05-25 and the days from the "
              "first to the last stored record (UTC); 100% synthetic demo data")
    notes = "Sentiment model m — On 912 real sentences about AI actors (test split): macro-F1 0.59 [0.56–0.62] " * 2
    package = ChartPackage(name="x", title="t", fig=go.Figure(), data=pd.DataFrame({"a": [1]}), alt="alt",
                           source=source, notes=notes)
    fig = credited_figure(package)
    footer = fig.layout.annotations[-1].text
    lines = footer.split("<br>")
    assert all(len(html.unescape(line)) <= FOOTER_CHARS for line in lines), lines
    assert " ".join(footer.split("<br>")).count("100% synthetic demo data") == 1
    assert fig.layout.margin.b >= 40 + 15 * len(lines)


def test_a_chart_of_synthetic_data_is_marked_unmistakably_in_its_png_and_html(small_store) -> None:
    """The only synthetic mark was a clause at the end of the small grey source line: a cropped PNG or a skimmed
    embed showed demo data as if real. Now the image carries a watermark across the plot and a bold first footer
    line, and the HTML page a visible notice read out with the figure's label; curated (real) charts carry none."""
    from collectors.trackers import public_names
    from dashboard.charts import registry as chart_registry
    from dashboard.charts.embed import credited_figure, standalone_html
    from tests.dashboard_store import VERSION

    view = chart_registry.View(Filters.for_tracker(get_tracker("iqiyi-nadou")), VERSION)
    with small_store.connect(public_names=public_names()) as con:
        volume = chart_registry.build("overview-volume", con, view, {})
        effects = chart_registry.build("timeline-effects", con, view, {})
        curated = chart_registry.build("voices-statements", con, view, {})
    for package in (volume, effects):
        assert package.synthetic_share == 1.0, package.name
        notes = [a.text for a in credited_figure(package).layout.annotations]
        assert any(n == "SYNTHETIC DEMO DATA" for n in notes), (package.name, notes)  # the watermark
        assert notes[-1].startswith("<b>SYNTHETIC DEMO DATA: generated, not real</b><br>"), notes[-1]
        page = standalone_html(package)
        assert '<p class="aw-demo" role="note">SYNTHETIC DEMO DATA: generated, not real</p>' in page
        assert f'aria-label="{package.title} (synthetic demo data)"' in page.replace("&#x27;", "'")
    assert curated.synthetic_share == 0.0
    assert not any("SYNTHETIC" in (a.text or "") for a in credited_figure(curated).layout.annotations)
    assert "aw-demo" not in standalone_html(curated).split("</style>")[1]


@pytest.mark.browser
def test_a_cdn_embed_opened_offline_shows_its_description_and_says_what_it_loads(tmp_path) -> None:
    """The default HTML loads plotly.js from the CDN; offline (an archive, a newsroom CMS preview without network) the
    page showed an empty box: the description was for screen readers only and nothing said what had failed to load."""
    from tests.test_browser import CHROMIUM_ARGS, require_browser

    require_browser()
    import pandas as pd
    import plotly.graph_objects as go
    from playwright.sync_api import sync_playwright

    from dashboard.charts.embed import ChartPackage, standalone_html

    fig = go.Figure(go.Bar(x=["2026-04-20", "2026-04-21"], y=[3, 40]))
    package = ChartPackage(name="overview-volume", title="Daily records", fig=fig, alt="Bar chart: 43 records.",
                           data=pd.DataFrame({"records": [3, 40]}), source="actorwatch store")
    cdn, inline = tmp_path / "cdn.html", tmp_path / "inline.html"
    cdn.write_text(standalone_html(package), encoding="utf-8")
    inline.write_text(standalone_html(package, inline=True), encoding="utf-8")
    def caption(path):
        return path.read_text().split("<figcaption")[1].split("</figcaption>")[0]

    assert "chart drawn by plotly.js from cdn.plot.ly" in caption(cdn) and "cdn.plot.ly" not in caption(inline)
    def on_screen(locator) -> bool:  # the screen-reader-only text is "visible" to Playwright, 10,000 px off to the left
        box = locator.bounding_box() if locator.is_visible() else None
        return bool(box) and box["x"] >= 0 and box["width"] > 1

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 900, "height": 560}, offline=True)
        tab = context.new_page()
        tab.goto(cdn.as_uri())
        tab.wait_for_load_state("load")
        assert on_screen(tab.locator("#aw-alt")) and tab.locator("#aw-alt").inner_text() == "Bar chart: 43 records."
        assert "could not load plotly.js from cdn.plot.ly" in tab.locator("#aw-offline").inner_text()
        tab.goto(inline.as_uri())
        tab.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
        assert not on_screen(tab.locator("#aw-alt")) and not tab.locator("#aw-offline").is_visible()
        browser.close()


def _luminance(colour: str) -> float:
    """WCAG relative luminance of '#rrggbb' or 'rgb(a)(r,g,b[,a])' (alpha ignored: the label's own box)."""
    if colour.startswith("#"):
        rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    else:
        rgb = [int(float(v)) for v in colour[colour.index("(") + 1:-1].split(",")[:3]]
    lin = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    low, high = sorted((_luminance(a), _luminance(b)))
    return (high + 0.05) / (low + 0.05)


def test_event_labels_stay_readable_when_the_theme_text_is_light() -> None:
    """Event labels sit on a white box but took the theme's text colour: in the dashboard's dark theme (Streamlit
    follows the reader's system setting) that is near-white, so the labels read white on white. Every label drawn on
    a box now sets its own text colour, at WCAG AA contrast (4.5:1) with the box."""
    from datetime import date

    import plotly.graph_objects as go

    from dashboard.charts.style import add_events, add_peak_labels

    fig = go.Figure()
    fig.update_layout(font={"color": "#fafafa"})  # what a dark theme sets
    add_events(fig, get_tracker("iqiyi-nadou").events[:1], None, None)
    import pandas as pd

    add_peak_labels(fig, pd.DataFrame({"day": [date(2026, 4, 21)], "records": [40], "label": ["peak"],
                                       "top_record": [None]}))
    boxed = [a for a in fig.layout.annotations if a.bgcolor]
    assert len(boxed) == 2
    for note in boxed:
        text = note.font.color or fig.layout.font.color
        assert contrast(text, note.bgcolor) >= 4.5, (note.text, text, note.bgcolor)


def test_the_alt_text_of_a_chart_of_synthetic_data_says_so(small_store) -> None:
    """The alt text (the `alt` export, the page's description, an article's <img alt>) described synthetic data as
    if real: a screen-reader user missed what the watermark tells a sighted reader."""
    from collectors.trackers import public_names
    from dashboard.charts import registry as chart_registry
    from tests.dashboard_store import VERSION

    view = chart_registry.View(Filters.for_tracker(get_tracker("iqiyi-nadou")), VERSION)
    with small_store.connect(public_names=public_names()) as con:
        volume = chart_registry.build("overview-volume", con, view, {})
        curated = chart_registry.build("voices-statements", con, view, {})
    assert volume.alt.endswith("SYNTHETIC DEMO DATA: generated, not real."), volume.alt
    assert "SYNTHETIC" not in curated.alt


def test_a_curated_chart_s_source_line_says_how_many_items_over_which_dates(small_store) -> None:
    """The statements and claims charts credited the published reports but said neither how many items they draw nor
    the dates those span: a published image of them carried no n and no date range."""
    from collectors.trackers import public_names
    from dashboard.charts import registry as chart_registry

    view = chart_registry.View(Filters.for_tracker(get_tracker("iqiyi-nadou")))
    with small_store.connect(public_names=public_names()) as con:
        for name in ("voices-statements", "voices-claims", "industry-statements"):
            package = chart_registry.build(name, con, view, {})
            dates = package.data["date"].astype(str)
            said = f"n = {len(package.data):,} " if len(package.data) else "no items"
            assert said in package.source, (name, package.source)
            assert f"dated {dates.min()} to {dates.max()}" in package.source, (name, package.source)


def test_a_charts_provenance_sidecar_names_the_code_and_the_days_zone(small_store, monkeypatch) -> None:
    """The provenance sidecar (`actorwatch chart --format json`) said what the chart shows and its query, but not
    which actorwatch made its numbers nor in which zone its days are: a cited chart could not be re-made as it was."""
    from collectors.paths import checkout_commit
    from collectors.trackers import public_names
    from dashboard.charts import registry as chart_registry
    from dashboard.charts.embed import sidecar
    from tests.dashboard_store import VERSION

    monkeypatch.setenv("ACTORWATCH_TZ", "Asia/Shanghai")
    view = chart_registry.View(Filters.for_tracker(get_tracker("iqiyi-nadou")), VERSION)
    with small_store.connect(public_names=public_names()) as con:
        about = sidecar(chart_registry.build("overview-volume", con, view, {}))
    assert about["software"]["name"] == "actorwatch" and about["software"]["git_sha"] == checkout_commit()
    assert about["days_time_zone"] == "Asia/Shanghai"
