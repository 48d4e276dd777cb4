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
