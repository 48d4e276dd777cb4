"""What a journalist takes away from a chart: every exported HTML, PNG and CSV says what it shows, over which days
(and in which time zone), from how many records, and whether the data is the synthetic demo corpus."""

from __future__ import annotations

from datetime import UTC, datetime

from analysis.core.filters import Filters
from collectors.store import Store
from collectors.trackers import get_tracker


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
    assert "100% synthetic demo data" in published_csv(package).decode("utf-8-sig")


def test_every_store_chart_s_source_line_says_how_many_records_it_draws_from(tmp_path_factory, monkeypatch) -> None:
    """The source line (HTML caption, PNG footer, CSV's about column) named the days and the synthetic share but not
    n: a published chart said nothing of how many records were behind it."""
    from analysis.stats import aggregate
    from collectors.trackers import public_names
    from dashboard.charts import registry as chart_registry
    from tests.dashboard_store import VERSION, build_store

    path = tmp_path_factory.mktemp("n-store")
    monkeypatch.setenv("ACTORWATCH_DATA", str(path))
    store = build_store(path, records=500, hostile=False)
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

    from dashboard.charts.embed import FOOTER_CHARS, ChartPackage, credited_figure

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
