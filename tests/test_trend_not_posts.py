"""A hot-search topic entry (kind trend) is a topic title, not a post: no records figure counts it (records, authors,
sentiment and emotion shares, series, peaks), as the stance chart already did not; Explore still lists it when asked
for by kind, and the Hot search page shows the topic from its observations."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa

from analysis.core.annotations import ANNOTATIONS, ANNOTATIONS_SCHEMA, ANNOTATIONS_SPEC
from analysis.core.filters import Filters
from analysis.stats import aggregate
from analysis.stats.annotation_series import emotion_counts_by_period
from analysis.stats.timeseries import volume_series
from collectors.hot_search import topic_records
from collectors.models import TrendObservation
from collectors.store import Store
from dashboard import explore, snapshot
from tests.analytics_fixtures import VERSION, add_scores

DAY = datetime(2026, 4, 20, 8, 0, tzinfo=UTC)
VIEW = Filters("case-a", date(2026, 4, 19), date(2026, 4, 21))


def _store(data_dir, make_record) -> Store:
    store = Store(data_dir)
    post = make_record(id="p1", published_at=DAY, text="爱奇艺这次太过分了")
    observation = TrendObservation.model_validate({
        "source": "weibo", "topic": "爱奇艺疯了", "observed_at": DAY, "rank": 1, "heat": 1_000_000, "snapshot": "s1",
        "trackers": ["case-a"]})
    [trend] = topic_records([observation])
    store.add_records([post, trend])
    add_scores(store, {("weibo", "p1"): "negative", ("weibo", trend.id): "positive"})
    keys = [("weibo", "p1"), ("weibo", trend.id)]
    columns = {name: pa.nulls(2, ANNOTATIONS_SCHEMA.field(name).type) for name in ANNOTATIONS_SCHEMA.names}
    columns.update({"source": pa.array([k[0] for k in keys]), "id": pa.array([k[1] for k in keys]),
                    "pipeline_version": pa.array(["test"] * 2), "emotion": pa.array(["anger", "joy"]),
                    "annotated_at": pa.array([DAY] * 2, pa.timestamp("us", tz="UTC"))})
    store.add_table(ANNOTATIONS, pa.table(columns, schema=ANNOTATIONS_SCHEMA), ANNOTATIONS_SPEC)
    return store


def _figures(con) -> tuple:
    k = aggregate.kpis(con, VIEW, VERSION)
    emotions = emotion_counts_by_period(con, VIEW)
    return (k["records"], k["scored"], k["share_negative"], int(volume_series(con, VIEW)["records"].sum()),
            int(aggregate.daily_sentiment(con, VIEW, VERSION)["n"].sum()),
            emotions.groupby("emotion")["records"].sum()[lambda s: s > 0].to_dict())


def test_trend_entries_are_not_counted_as_posts_in_the_store_or_the_snapshot(data_dir, make_record):
    store = _store(data_dir, make_record)
    with store.connect() as con:
        direct = _figures(con)
        frame, total = explore.records_page(con, VIEW, kinds=("trend",))
    con = snapshot.open_snapshot(store)
    try:
        snap = _figures(con)
    finally:
        con.close()
    for figures in (direct, snap):
        assert figures == (1, 1, 1.0, 1, 1, {"anger": 1})
    # asked for by kind, the topic entry is still there to read
    assert total == 1 and frame["kind"].tolist() == ["trend"]


def test_the_export_leaves_trend_entries_out_and_says_so(tmp_path, data_dir, make_record):
    from analysis.reports.export import export_bundle
    from collectors.trackers import Tracker

    store = _store(data_dir, make_record)
    tracker = Tracker.model_validate({"id": "case-a", "name_en": "Case A", "name_zh": "案例A",
                                      "trigger_date": "2026-04-20"})
    result = export_bundle(store, tracker, VIEW, tmp_path / "bundle", model_version=VERSION)
    assert result.records == 1 and result.manifest["figures"]["records"] == 1
    assert "trend" not in result.manifest["filters"]["kinds_counted"]
