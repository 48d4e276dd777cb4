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

