from datetime import date

import pytest

from analysis.core.filters import Filters
from analysis.stats.crosscase import align_cases, share_of_voice
from collectors.store import Store
from collectors.trackers import load_trackers
from tests.analytics_fixtures import records_per_day
from tests.conftest import TRACKERS_MIN


def test_cases_align_on_days_since_trigger(data_dir, make_record):
    trackers = load_trackers(TRACKERS_MIN)  # case-a trigger 2026-04-20, case-b 2025-09-30
    store = Store(data_dir)
    store.add_records(
        records_per_day(make_record, {date(2026, 4, 19): 1, date(2026, 4, 20): 3}, trackers=["case-a"])
        + records_per_day(make_record, {date(2026, 4, 21): 4}, trackers=["case-a"], source="bilibili")
        + records_per_day(make_record, {date(2025, 9, 30): 10, date(2025, 10, 1): 30}, trackers=["case-b"]))
    with store.connect() as con:
        aligned = align_cases(con, ["case-a", "case-b"], 1, 2, trackers=trackers)
    a = aligned[(aligned["tracker"] == "case-a") & (aligned["source"] == "weibo")]
    assert a["day_offset"].tolist() == [-1, 0, 1, 2] and a["records"].tolist() == [1, 3, 0, 0]
    assert a["share"].tolist() == pytest.approx([0.25, 0.75, 0, 0])
    a_bili = aligned[(aligned["tracker"] == "case-a") & (aligned["source"] == "bilibili")]
    assert a_bili.set_index("day_offset")["share"].to_dict() == {-1: 0, 0: 0, 1: 1.0, 2: 0}
    b = aligned[aligned["tracker"] == "case-b"]
    assert b.set_index("day_offset")["share"].to_dict() == {-1: 0, 0: 0.25, 1: 0.75, 2: 0}
    with store.connect() as con, pytest.raises(ValueError, match="unknown tracker"):
        align_cases(con, ["nope"], 1, 1, trackers=trackers)


def test_share_of_voice_among_entities(data_dir, make_record):
    base = load_trackers(TRACKERS_MIN)[0]
    union = base.entities[0].model_copy(update={"id": "union-a", "type": "union", "name_zh": "工会甲",
                                                "name_en": "Union A", "aliases": []})
    tracker = base.model_copy(update={"entities": [*base.entities, union]})
    store = Store(data_dir)
    day = date(2026, 4, 20)
    store.add_records(records_per_day(make_record, {day: 3}, text="平台甲 发布")
                      + records_per_day(make_record, {day: 1}, text="工会甲 回应 平台甲"))
    with store.connect() as con:
        sov = share_of_voice(con, Filters("case-a", day, date(2026, 4, 21)), tracker)
    first = sov[sov["day"] == day].set_index("entity")
    assert first["mentions"].to_dict() == {"platform-a": 4, "union-a": 1}
    assert first["share"].to_dict() == pytest.approx({"platform-a": 0.8, "union-a": 0.2})
    quiet = sov[sov["day"] == date(2026, 4, 21)]
    assert (quiet["mentions"] == 0).all() and quiet["share"].isna().all()


def test_compare_chart_keeps_the_sidebar_languages(data_dir, make_record):
    # the shared sidebar's languages apply to every chart: with English chosen, the aligned cases count English records
    from dashboard.charts import registry
    from dashboard.charts.registry import View

    store = Store(data_dir)
    trigger = date(2026, 4, 20)  # iqiyi-nadou's trigger day
    store.add_records(records_per_day(make_record, {trigger: 3}, trackers=["iqiyi-nadou"], lang="zh")
                      + records_per_day(make_record, {trigger: 1}, trackers=["iqiyi-nadou"], lang="en", text="AI actor"))
    view = View(Filters("iqiyi-nadou", trigger, trigger, langs=("en",))).with_options(normalise="none")
    with store.connect() as con:
        frame = registry.get("compare-aligned").load(con, view)
    iqiyi = frame[frame["tracker"] == "iqiyi-nadou"]
    assert iqiyi["records"].sum() == 1


def test_share_of_voice_alt_text_says_the_shares_the_chart_draws(data_dir, make_record):
    # the chart draws each shown entity's share of all the tracker's entity mentions; with only platforms shown,
    # iQIYI holds half of them (the other half is the product Nadou Pro), not "100%" as among the shown ones
    from dashboard.charts import registry
    from dashboard.charts.registry import View

    store = Store(data_dir)
    day = date(2026, 4, 20)
    store.add_records(records_per_day(make_record, {day: 2}, trackers=["iqiyi-nadou"], text="爱奇艺 发布")
                      + records_per_day(make_record, {day: 2}, trackers=["iqiyi-nadou"], text="纳逗Pro 上线"))
    view = View(Filters("iqiyi-nadou", day, day)).with_options(types="platform")
    with store.connect() as con:
        package = registry.build("compare-share", con, view, {})
    assert package.data.set_index("entity")["share"].to_dict() == {"iQIYI": 0.5}
    assert "iQIYI 50%" in package.alt and "100%" not in package.alt
    assert "all the tracker's 4 mentions of entities" in package.alt  # the n the shares are of


def test_compare_chart_credit_names_the_days_it_draws(data_dir, make_record):
    # the aligned chart draws each case's days around its own trigger, not the sidebar's dates; its credit says so,
    # with the synthetic share of the records it draws
    from dashboard.charts import registry
    from dashboard.charts.registry import View

    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {date(2026, 4, 20): 3}, trackers=["iqiyi-nadou"], synthetic=True)
                      + records_per_day(make_record, {date(2025, 9, 27): 1}, trackers=["tilly-norwood"]))
    view = View(Filters("iqiyi-nadou", date(2026, 5, 1), date(2026, 5, 2))).with_options(**{"with": "tilly-norwood"})
    with store.connect() as con:
        package = registry.build("compare-aligned", con, view, {})
    assert "2026-05-01" not in package.source and "7 days before to 30 days after" in package.source
    assert "75% synthetic demo data" in package.source


def test_share_of_voice_counts_only_the_trackers_own_entities(data_dir, make_record):
    # a record tagged with two trackers is annotated with the entities of both; another tracker's entity must not
    # enter this tracker's daily totals (it would shrink every share of this tracker's entities)
    from tests.analytics_fixtures import add_annotations

    tracker = load_trackers(TRACKERS_MIN)[0]  # case-a: one entity, platform-a
    store = Store(data_dir)
    day = date(2026, 4, 20)
    both = records_per_day(make_record, {day: 2}, trackers=["case-a", "case-b"])
    own = records_per_day(make_record, {day: 2}, trackers=["case-a"])
    store.add_records(both + own)
    add_annotations(store, {**{(r.source, r.id): ["platform-a", "union-b"] for r in both},
                            **{(r.source, r.id): ["platform-a"] for r in own}})
    with store.connect() as con:
        sov = share_of_voice(con, Filters("case-a", day, day), tracker)
    assert set(sov["entity"]) == {"platform-a"}
    assert sov.set_index("entity").loc["platform-a", ["mentions", "share"]].tolist() == [4, 1.0]


def _weibo_and_bilibili_case(data_dir, make_record) -> tuple[Store, date]:
    """iqiyi-nadou with 2 + 6 Weibo records (the day before its trigger, the trigger day) and 2 + 10 on Bilibili (the
    trigger day, the day after): 20 in all."""
    store = Store(data_dir)
    trigger = date(2026, 4, 20)  # iqiyi-nadou's trigger day
    store.add_records(records_per_day(make_record, {date(2026, 4, 19): 2, trigger: 6}, trackers=["iqiyi-nadou"])
                      + records_per_day(make_record, {trigger: 2, date(2026, 4, 21): 10}, trackers=["iqiyi-nadou"],
                                        source="bilibili"))
    return store, trigger


def test_per_tracker_shares_are_of_the_sources_shown(data_dir, make_record):
    # with the sidebar on Weibo, "share of the case's records" is of its Weibo records (2 + 6), as with languages;
    # dividing by every source's records (20) drew 0.1 and 0.3, lines summing to 0.4
    from dashboard.charts import registry
    from dashboard.charts.registry import View

    store, trigger = _weibo_and_bilibili_case(data_dir, make_record)
    view = View(Filters("iqiyi-nadou", trigger, trigger, sources=("weibo",))).with_options(normalise="per_tracker")
    with store.connect() as con:
        frame = registry.get("compare-aligned").load(con, view)
    shown = frame[frame["tracker"] == "iqiyi-nadou"].set_index("day_offset")
    assert set(shown["source"]) == {"weibo"}
    assert shown.loc[[-1, 0], "share"].tolist() == pytest.approx([0.25, 0.75])
    assert shown["share"].sum() == pytest.approx(1.0)


def test_aligned_alt_text_names_what_the_shares_are_of(data_dir, make_record):
    # per_tracker shares are of the case's records on every source drawn (20 here): the alt text said "of its
    # records" after "on bilibili", which reads as 10 of bilibili's 12 records (83%), not 10 of 20
    from dashboard.charts import registry
    from dashboard.charts.registry import View

    store, _ = _weibo_and_bilibili_case(data_dir, make_record)
    with store.connect() as con:
        tracker_wide = registry.build("compare-aligned", con, View(Filters("iqiyi-nadou")).with_options(
            normalise="per_tracker"), {})
        per_source = registry.build("compare-aligned", con, View(Filters("iqiyi-nadou")), {})
    assert "iqiyi-nadou on bilibili peaks on day 1 (50% of the case's records)" in tracker_wide.alt
    assert "iqiyi-nadou on bilibili peaks on day 1 (83% of its records on that source)" in per_source.alt
