"""The hot-search view on the default store: real topics and heat, Beijing-time axes, share, cross-checks."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis.core.filters import Filters
from analysis.nlp.demo_store import build_demo_store
from analysis.stats import hot_search
from collectors.store import Store
from collectors.trackers import get_tracker
from dashboard.charts import hot_search as charts_hot

WILLINGNESS = "爱奇艺称AI艺人库仅是合作意愿"
PAGE = str(Path(__file__).resolve().parents[1] / "dashboard" / "app_pages" / "hot_search.py")


@pytest.fixture
def default_store(data_dir):
    """The embedded default: synthetic demo records plus the shipped real hot-search excerpt (no scoring)."""
    store = Store(data_dir)
    build_demo_store(store, enrich=False)
    return store


@pytest.fixture
def iqiyi_frames(default_store):
    tracker = get_tracker("iqiyi-nadou")
    f = Filters.for_tracker(tracker)
    with default_store.connect() as con:
        obs = hot_search.tracker_observations(con, tracker.id, f.start, f.end)
    return tracker, obs, hot_search.topic_spans(obs)


def test_spans_carry_the_real_topics_first_seen_and_peak(iqiyi_frames):
    _, obs, spans = iqiyi_frames
    # 15 Apr: 曝爱奇艺与深度合作艺人签约AI授权, the earliest trace, recovered from the archive's history
    assert set(obs["day"]) == {date(2026, 4, 15), date(2026, 4, 20), date(2026, 4, 21), date(2026, 4, 22)}
    row = spans.set_index("topic").loc[WILLINGNESS]
    assert row["peak_heat"] == 871978
    assert row["first_seen"] == pd.Timestamp("2026-04-20T12:57:44.115Z")
    assert row["first_seen_bj"] == pd.Timestamp("2026-04-20 20:57:44.115")  # the same instant, Beijing wall clock
    assert row["marked_gone"] and row["gone_at_bj"] == pd.Timestamp("2026-04-21 10:36:50")
    hottest = spans.loc[spans["peak_heat"].idxmax()]
    assert (hottest["topic"], hottest["peak_heat"]) == ("未授权AI艺人", 2697892)
    assert len(spans) == 23 and not spans["synthetic"].any()
    earliest = spans.iloc[0]
    assert (earliest["topic"], earliest["peak_heat"]) == ("曝爱奇艺与深度合作艺人签约AI授权", 167100)
    assert earliest["first_seen_bj"] == pd.Timestamp("2026-04-15 15:13:18")


def test_hourly_heat_covers_the_intraday_days_and_skips_gone_rows(iqiyi_frames):
    _, obs, _ = iqiyi_frames
    hourly = hot_search.hourly_heat(obs)
    assert set(hourly["day"]) >= {date(2026, 4, 20), date(2026, 4, 21)}
    assert (hourly["status"] != "gone").all()
    line = hourly[hourly["topic"] == WILLINGNESS]
    assert line["heat"].max() == 871978 and line["observed_at"].is_monotonic_increasing


def test_daily_share_is_tracker_peak_heat_over_itself_plus_the_other_topics_of_the_fullest_list(iqiyi_frames):
    _, obs, _ = iqiyi_frames
    share = hot_search.daily_share(obs).set_index("day")
    day = obs[obs["day"] == date(2026, 4, 20)]
    tracker_heat = day.groupby("topic")["heat_peak"].max().sum()
    fullest = day[day["snapshot"] == day.loc[day["list_heat"].idxmax(), "snapshot"]]
    others = fullest["list_heat"].iloc[0] - fullest.groupby("topic")["heat_peak"].max().sum()
    assert share.loc[date(2026, 4, 20), "share"] == pytest.approx(tracker_heat / (tracker_heat + others))
    assert 0 < share["share"].max() < 1 and share.loc[date(2026, 4, 20), "topics"] == 15


def test_daily_share_never_exceeds_the_whole_when_tracker_topics_fell_off_the_list():
    """A tracker topic seen at 09:00 and pushed off the 100-topic list by 21:00 (the day's fullest snapshot) kept
    its heat in the numerator but was missing from the denominator: 180 / 150 = 120% of the list."""
    obs = pd.DataFrame({"day": [date(2026, 4, 20)] * 3, "snapshot": ["09:00", "21:00", "21:00"],
                        "topic": ["dropped", "kept", "kept"], "heat_peak": [80, 100, 100],
                        "list_heat": [100, 150, 150]})
    row = hot_search.daily_share(obs).iloc[0]
    assert row["share"] <= 1 and row["share"] == pytest.approx(180 / (180 + 50))  # 50: the other topics at 21:00
    assert (row["tracker_heat"], row["list_heat"], row["off_list"]) == (180, 230, 1)
    alt = charts_hot.share_alt(hot_search.daily_share(obs), "X")
    assert "78.3%" in alt and "1 of its topics had fallen off" in alt


def test_charts_use_beijing_time_and_name_the_zone(iqiyi_frames):
    tracker, _, spans = iqiyi_frames
    fig = charts_hot.timeline_chart(spans, hot_search.tracker_items(tracker), "t")
    assert "UTC+8" in fig.layout.xaxis.title.text
    topics = next(t for t in fig.data if t.name.startswith("trending topic"))
    bases = dict(zip(topics.y, topics.base, strict=True))
    assert bases[WILLINGNESS] == "2026-04-20T20:57:44"  # firstSeen 12:57:44Z shown as 20:57:44 Beijing
    assert "UTC+8" in charts_hot.hourly_chart(hot_search.hourly_heat(_frame(iqiyi_frames)), "h").layout.xaxis.title.text
    assert "UTC+8" in charts_hot.share_chart(hot_search.daily_share(_frame(iqiyi_frames)), "s").layout.xaxis.title.text


def _frame(frames):
    return frames[1]


def test_crosscheck_links_curated_items_to_the_topics_that_trended(default_store):
    tracker = get_tracker("iqiyi-nadou")
    with default_store.connect() as con:
        cc = hot_search.trend_crosscheck(con, tracker)
    assert list(cc.columns[:8]) == ["item_type", "item_id", "date", "title", "topic", "first_seen", "peak_heat", "peak_at"]
    best = cc.groupby("item_id").head(1).set_index("item_id")
    assert best.loc["iqiyi-willingness-only", "topic"] == WILLINGNESS
    assert best.loc["iqiyi-willingness-only", "peak_heat"] == 871978
    assert best.loc["iqiyi-clarification", "topic"] == WILLINGNESS
    assert best.loc["zhang-ruoyun-studio-denial", "topic"] == "张若昀工作室 没签过AI授权"
    assert best.loc["went-nuts-trending", "topic"] == "爱奇艺疯了"
    assert best.loc["stock-crash-97pct", "topic"] == "爱奇艺股价从46美元跌到1.4美元"
    # A statement is matched on its own speaker, not on others named in its summary or a borrowed title.
    assert "li-yitong-denial" not in set(cc["item_id"])
    assert set(cc[cc["item_id"] == "zhang-ruoyun-studio-denial"]["topic"]) == {"张若昀工作室 没签过AI授权"}


def test_crosscheck_is_empty_without_trend_data(data_dir):
    with Store(data_dir).connect() as con:
        assert hot_search.trend_crosscheck(con, get_tracker("iqiyi-nadou")).empty


# ---------------------------------------------------------------- the page (Streamlit AppTest)
def _page(default_store, tracker_id: str = "iqiyi-nadou") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["filters"] = Filters.for_tracker(get_tracker(tracker_id))
    at.session_state["store_signature"] = default_store.signature()
    return at.run()


def _figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _values(field: object) -> list:
    """A trace field as a list: plotly 6 writes numeric arrays as base64 typed arrays in the JSON spec."""
    if isinstance(field, dict) and "bdata" in field:
        return np.frombuffer(base64.b64decode(field["bdata"]), dtype=np.dtype(field["dtype"])).tolist()
    return list(field)  # type: ignore[call-overload]


def test_page_shows_the_april_topics_with_their_real_heat(default_store):
    at = _page(default_store)
    assert not at.exception
    timeline, hourly, share = _figures(at)
    peaks = next(t for t in timeline["data"] if t["name"].startswith("peak heat"))
    by_topic = dict(zip(peaks["y"], _values(peaks["customdata"]), strict=True))
    assert by_topic[WILLINGNESS] == 871978  # "willingness to cooperate" peaking near 872K
    assert {"爱奇艺疯了", "爱奇艺CEO龚宇发声", "唐诡导演 真人能演为啥让AI演"} <= set(by_topic)
    bars = next(t for t in timeline["data"] if t["name"].startswith("trending topic"))
    days = {base[:10] for base in bars["base"]}
    assert days == {"2026-04-15", "2026-04-20", "2026-04-21"}
    for fig in (timeline, hourly, share):
        assert "UTC+8" in fig["layout"]["xaxis"]["title"]["text"]
    lines = {t["name"]: max(_values(t["y"])) for t in hourly["data"]}
    assert lines[WILLINGNESS] == 871978
    assert [m.value for m in at.metric][:2] == ["23", "154"]  # 165 rows less the 11 of daily files repeating a day's last list
    assert any("872K" in t for t in peaks["text"])
    assert any("arandomguyhere/weibo-daily-hot-search" in c.value for c in at.caption)


def test_page_shows_the_2026_arc_topics_on_the_third_tracker(default_store):
    at = _page(default_store, "yaoke-ai-actors")
    assert not at.exception
    timeline = _figures(at)[0]
    peaks = next(t for t in timeline["data"] if t["name"].startswith("peak heat"))
    by_topic = dict(zip(peaks["y"], _values(peaks["customdata"]), strict=True))
    assert by_topic["网友抵制AI演员"] == 202251 and by_topic["胡锡进称抵制AI短剧"] == 487020
    assert {"耀客签约AI演员", "AI演员已经有眼神戏了", "AI演员生成毛孔瑕疵 真人演员磨皮"} <= set(by_topic)
    assert len(by_topic) == 26 and not any("爱奇艺" in topic for topic in by_topic)
    assert at.metric[0].value == "26"


def test_page_without_topics_says_how_to_get_them(default_store):
    at = _page(default_store, "tilly-norwood")
    assert not at.exception
    assert not at.get("plotly_chart")
    assert "weibo-hot-archive" in at.info[0].value


def test_render_crosscheck_widget_on_the_voices_page_shape(default_store):
    def app() -> None:
        from collectors.trackers import get_tracker
        from dashboard.hot_search_widgets import render_crosscheck

        render_crosscheck(get_tracker("iqiyi-nadou"), kind="statements")

    at = AppTest.from_function(app, default_timeout=60)
    at.session_state["store_signature"] = default_store.signature()
    at.run()
    assert not at.exception
    table = at.dataframe[0].value
    row = table[table["item"] == "statement · iqiyi-willingness-only"].iloc[0]
    assert row["trending topic"] == WILLINGNESS and row["peak heat"] == 871978
    assert row["first seen (UTC+8)"] == "2026-04-20 20:57"
    assert set(table["item"].str.split(" · ").str[0]) == {"statement"}


def test_beijing_conversion_is_eight_hours_ahead():
    utc = pd.Series([datetime(2026, 4, 20, 16, 36, 29, tzinfo=UTC)])
    assert hot_search.to_beijing(utc)[0] == pd.Timestamp("2026-04-21 00:36:29")


def test_beijing_days_do_not_depend_on_the_session_time_zone(default_store):
    with default_store.connect() as con:
        utc_days = hot_search.tracker_observations(con, "iqiyi-nadou")["day"].tolist()
        con.execute("SET TimeZone = 'America/New_York'")
        ny = hot_search.tracker_observations(con, "iqiyi-nadou")
    assert ny["day"].tolist() == utc_days
    assert ny[ny["topic"] == WILLINGNESS]["observed_at"].min() == pd.Timestamp("2026-04-20T12:57:52Z")  # 20:57:52 Beijing


def test_app_routes_to_the_hot_search_page_and_the_banner_names_the_real_parts(default_store):
    at = AppTest.from_file(str(Path(PAGE).parents[1] / "app.py"), default_timeout=120)
    at.query_params["tracker"] = "iqiyi-nadou"
    at.run()
    at.switch_page("app_pages/hot_search.py").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 3
    banner = at.warning[0].value
    # the 49 real trend records are hot-search topics, not posts: the records in view (posts, articles) are all demo
    assert "100% of the records" in banner
    assert "**Real:**" in banner and "hot-search" in banner


def test_untrusted_topic_text_is_inert_in_the_charts(data_dir):
    from collectors.ingest import ingest
    from collectors.models import TrendObservation

    evil = '<img src=x onerror="alert(1)"><b>爱奇艺</b>'
    store = Store(data_dir)
    ingest([TrendObservation(source="weibo", topic=evil, observed_at=datetime(2026, 4, 20, 12, tzinfo=UTC), heat=5,
                             status="hot", snapshot="live-1", list_heat=50, trackers=["iqiyi-nadou"])], store)
    with store.connect() as con:
        obs = hot_search.tracker_observations(con, "iqiyi-nadou")
    figures = [charts_hot.timeline_chart(hot_search.topic_spans(obs), hot_search.tracker_items(get_tracker("iqiyi-nadou")), "t"),
               charts_hot.hourly_chart(obs, "h")]
    text = json.dumps([fig.to_plotly_json()["data"] for fig in figures], default=str, ensure_ascii=False)
    assert "<img" not in text and "<b>" not in text and "&lt;img" in text


def test_a_store_written_before_list_heat_existed_still_reads(data_dir):
    import pyarrow.parquet as pq

    from collectors.models import TREND_SCHEMA, TrendObservation, trends_to_table

    old = trends_to_table([TrendObservation(source="weibo", topic="爱奇艺疯了", heat=9, snapshot="s",
                                            observed_at=datetime(2026, 4, 20, 6, 34, tzinfo=UTC),
                                            trackers=["iqiyi-nadou"])])
    old = old.select([n for n in TREND_SCHEMA.names if n != "list_heat"])
    path = Path(data_dir) / "store" / "trend_observations" / "date=2026-04-20" / "part-old.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(old, path)
    with Store(data_dir).connect() as con:
        obs = hot_search.tracker_observations(con, "iqiyi-nadou")
    assert obs["topic"].tolist() == ["爱奇艺疯了"] and obs["list_heat"].isna().all()
    assert hot_search.daily_share(obs).empty  # share unknown without the list's total, never a made-up number
    assert len(hot_search.topic_spans(obs)) == 1


def test_hot_search_charts_are_registered_and_written_by_the_chart_command(default_store, tmp_path):
    from click.testing import CliRunner

    from dashboard.cli import cli

    runner = CliRunner()
    listed = runner.invoke(cli, ["chart", "--list"])
    assert listed.exit_code == 0
    assert all(f"hot-search-{name}" in listed.output for name in ("timeline", "hourly", "share"))
    out = runner.invoke(cli, ["chart", "hot-search-timeline", "--tracker", "iqiyi-nadou", "--format", "html,csv",
                              "--out", str(tmp_path)])
    assert out.exit_code == 0, out.output
    table = pd.read_csv(next(tmp_path.glob("*.csv")), encoding="utf-8-sig").set_index("topic")
    assert table.loc[WILLINGNESS, "first_seen_beijing_utc8"] == "2026-04-20 20:57:44"  # the page's CSV, Beijing time
    assert table.loc[WILLINGNESS, "first_seen_utc"] == "2026-04-20T12:57:44Z" and table.loc[WILLINGNESS, "peak_heat"] == 871978
    page = next(tmp_path.glob("*.html")).read_text(encoding="utf-8")
    assert "arandomguyhere/weibo-daily-hot-search" in page  # credited to the archive, not "actorwatch store"
    assert "/hot-search?tracker=iqiyi-nadou" in page and "UTC+8" in page


def test_a_topic_no_sighting_of_which_reported_a_heat_has_an_unknown_peak(data_dir):
    from collectors.ingest import ingest
    from collectors.models import TrendObservation
    from dashboard.hot_search_widgets import crosscheck_table

    tracker = get_tracker("iqiyi-nadou")
    store = Store(data_dir)
    ingest([TrendObservation(source="weibo", topic=WILLINGNESS, observed_at=datetime(2026, 4, 20, 12, tzinfo=UTC),
                             snapshot="live-1", trackers=[tracker.id]),  # heat and peak_heat unknown
            TrendObservation(source="weibo", topic="爱奇艺疯了", observed_at=datetime(2026, 4, 20, 12, tzinfo=UTC),
                             heat=5, snapshot="live-1", trackers=[tracker.id])], store)
    with store.connect() as con:
        spans = hot_search.topic_spans(hot_search.tracker_observations(con, tracker.id))
        cc = hot_search.trend_crosscheck(con, tracker)
    unknown = spans.set_index("topic").loc[WILLINGNESS]
    assert pd.isna(unknown["peak_heat"]) and pd.isna(unknown["peak_at"])  # not a made-up 0
    assert spans.set_index("topic").loc["爱奇艺疯了", "peak_heat"] == 5
    alt = charts_hot.timeline_alt(spans, hot_search.tracker_items(tracker), "iQIYI")
    assert "peaked at 5 heat" in alt and charts_hot.heat_label(unknown["peak_heat"]) == "–"
    table = crosscheck_table(cc, ("event",))
    assert table.loc[table["trending topic"] == WILLINGNESS, "peak heat"].isna().all()
    assert set(table.loc[table["trending topic"] == "爱奇艺疯了", "peak heat"]) == {5}


def _sightings(store: Store, tracker_id: str, rows: list[tuple[str, str, str, str | None]]) -> pd.DataFrame:
    """Ingest (snapshot, Beijing time, topic, status) sightings; return the tracker's observations."""
    from collectors.ingest import ingest
    from collectors.models import TrendObservation

    ingest([TrendObservation(source="weibo", topic=topic, snapshot=snap, status=status, heat=100,
                             observed_at=pd.Timestamp(bj, tz="Asia/Shanghai").to_pydatetime(), trackers=[tracker_id])
            for snap, bj, topic, status in rows], store)
    with store.connect() as con:
        return hot_search.tracker_observations(con, tracker_id)


def test_a_topic_that_left_the_list_and_came_back_trended_in_two_spells(data_dir):
    # 演员集体辟谣AI授权 in the archive: listed 18:22–20:57 on 20 Apr, absent from the 22:55 and 00:12 lists, back
    # as "new" at 01:19, gone at 06:03. One bar 18:22→06:03 read as "trended for 11.7 hours"; it was two spells.
    back, steady = "演员集体辟谣AI授权", "爱奇艺 底线"
    obs = _sightings(Store(data_dir), "iqiyi-nadou", [
        ("s1", "2026-04-20 18:22", back, "new"), ("s1", "2026-04-20 18:22", steady, "new"),
        ("s2", "2026-04-20 20:57", back, "falling"), ("s2", "2026-04-20 20:57", steady, "falling"),
        ("s3", "2026-04-20 22:55", steady, "falling"),  # `back` absent from this list: it had left
        ("s4", "2026-04-21 00:12", steady, "new"),  # the day's list starts afresh: "new" again, not a return
        ("s5", "2026-04-21 01:19", back, "new"), ("s5", "2026-04-21 01:19", steady, "hot"),
        ("s6", "2026-04-21 06:03", back, "gone"), ("s6", "2026-04-21 06:03", steady, "gone")])
    spans = hot_search.topic_spans(obs).set_index("topic")
    assert spans.loc[back, "spells"] == 2 and spans.loc[steady, "spells"] == 1
    assert spans.loc[back, "snapshots"] == 3 and spans.loc[steady, "snapshots"] == 5  # listed, not gone
    assert spans.loc[back, "last_listed_at_bj"] == pd.Timestamp("2026-04-21 01:19")


def test_a_days_final_list_stored_twice_counts_once(data_dir):
    # The archive's daily file is the day's last intraday snapshot again (same list, observed_at 6 s apart).
    topic = "爱奇艺疯了"
    obs = _sightings(Store(data_dir), "iqiyi-nadou", [
        ("intraday/2026-04-20_snapshot_20260420T163831.json", "2026-04-20 16:38:31", topic, "new"),
        ("intraday/2026-04-20_snapshot_20260420T225531.json", "2026-04-20 22:55:31", topic, "hot"),
        ("daily/2026-04-20.json", "2026-04-20 22:55:24", topic, "hot")])
    spans = hot_search.topic_spans(obs).set_index("topic")
    assert spans.loc[topic, "snapshots"] == 2 and spans.loc[topic, "spells"] == 1


def test_topics_table_says_how_often_and_until_when_each_topic_was_listed(default_store):
    at = _page(default_store)
    table = next(d.value for d in at.dataframe if "topic" in d.value.columns).set_index("topic")
    row = table.loc["演员集体辟谣AI授权"]  # listed 18:22–20:57 on 20 Apr, off the list at 22:55 and 00:12, back 01:19–05:10
    assert (row["spells on the list"], row["snapshots listing it"]) == (2, 8)
    assert (row["first seen (UTC+8)"], row["last listed (UTC+8)"]) == ("2026-04-20 18:22", "2026-04-21 05:10")
    assert table.loc["爱奇艺疯了", "snapshots listing it"] == 1  # then marked gone in 5 more: not sightings
    assert any("at least" in c.value and "spells" in c.value for c in at.caption)
    timeline = _figures(at)[0]
    bars = next(t for t in timeline["data"] if t["name"].startswith("trending topic"))
    spells = dict(zip(bars["y"], [row[5] for row in _values(bars["customdata"])], strict=True))
    assert spells["演员集体辟谣AI授权"] == 2 and spells["爱奇艺疯了"] == 1 and "spells" in bars["hovertemplate"]


def test_a_topic_left_out_of_the_next_list_is_gone_by_that_list_not_at_its_last_sighting(data_dir):
    # 未授权AI艺人 in the archive: listed until 22:55 on 20 Apr, absent from the next list (00:12, 21 Apr), never
    # marked gone. Its "gone" time was 22:55, a moment it was still on the list.
    left, stays = "未授权AI艺人", "爱奇艺 底线"
    obs = _sightings(Store(data_dir), "iqiyi-nadou", [
        ("s1", "2026-04-20 16:38", left, "new"), ("s1", "2026-04-20 16:38", stays, "new"),
        ("s2", "2026-04-20 22:55", left, "falling"), ("s2", "2026-04-20 22:55", stays, "falling"),
        ("s3", "2026-04-21 00:12", stays, "new")])
    spans = hot_search.topic_spans(obs).set_index("topic")
    assert spans.loc[left, "last_listed_at_bj"] == pd.Timestamp("2026-04-20 22:55")
    assert spans.loc[left, "gone_at_bj"] == pd.Timestamp("2026-04-21 00:12") and spans.loc[left, "marked_gone"]
    # still listed in the last snapshot there is: it ends at that sighting, not known to have left
    assert spans.loc[stays, "gone_at_bj"] == pd.Timestamp("2026-04-21 00:12") and not spans.loc[stays, "marked_gone"]


def test_a_list_days_later_is_not_the_next_list_so_it_does_not_date_the_topics_exit(data_dir):
    # Outside the intraday days the archive has one list a day, and the excerpt only the days with tracker topics:
    # 耀客AI演员 赵今麦翟子路 (18 Mar) must not read as gone on 21 Mar, the next list the excerpt holds.
    topic, later = "耀客AI演员 赵今麦翟子路", "季冠霖发文抵制AI"
    obs = _sightings(Store(data_dir), "yaoke-ai-actors", [
        ("daily/2026-03-18.json", "2026-03-18 22:52", topic, "hot"),
        ("daily/2026-03-21.json", "2026-03-21 23:53", later, "new")])
    row = hot_search.topic_spans(obs).set_index("topic").loc[topic]
    assert row["gone_at_bj"] == pd.Timestamp("2026-03-18 22:52") and not row["marked_gone"]


def test_a_trend_link_that_is_not_a_web_address_is_never_a_clickable_link(data_dir):
    """A trend row imported with a javascript: (or data:) url reached the Topics and cross-check tables' link column
    as it was: one click ran it. Only http(s) links are shown as links."""
    from collectors.ingest import ingest
    from collectors.models import TrendObservation
    from dashboard.hot_search_widgets import crosscheck_table

    tracker = get_tracker("iqiyi-nadou")
    store = Store(data_dir)
    when = datetime(2026, 4, 20, 12, tzinfo=UTC)
    ingest([TrendObservation(source="weibo", topic=WILLINGNESS, observed_at=when, heat=5, snapshot="live-1",
                             url=" JavaScript:alert(document.cookie)", trackers=[tracker.id]),
            TrendObservation(source="weibo", topic="爱奇艺疯了", observed_at=when, heat=4, snapshot="live-1",
                             url="data:text/html,<script>alert(1)</script>", trackers=[tracker.id])], store)
    with store.connect() as con:
        spans = hot_search.topic_spans(hot_search.tracker_observations(con, tracker.id))
        cc = hot_search.trend_crosscheck(con, tracker)
    assert spans["url"].isna().all()
    links = crosscheck_table(cc, ("event", "statement", "claim"))["search link"]
    assert len(links) and links.isna().all()
