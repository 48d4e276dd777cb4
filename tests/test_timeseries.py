from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.core.filters import Filters
from analysis.stats.aggregate import daily_sentiment, daily_volume
from analysis.stats.timeseries import (
    mentions_sql,
    periods,
    sentiment_series,
    volume_series,
    wilson_interval,
    zero_fill,
)
from collectors.store import Store
from collectors.trackers import load_trackers
from tests.analytics_fixtures import VERSION, add_annotations, add_scores, at, label_records, records_per_day
from tests.conftest import TRACKERS_MIN

D = date(2026, 4, 20)


def test_wilson_matches_textbook_value():
    # Newcombe (1998) example: 81 of 263 -> 0.2553 to 0.3662
    lo, hi = wilson_interval(81, 263)
    assert lo == pytest.approx(0.2553, abs=5e-4) and hi == pytest.approx(0.3662, abs=5e-4)
    lo, hi = wilson_interval(np.array([0, 5]), np.array([0, 10]))
    assert np.isnan(lo[0]) and lo[1] < 0.5 < hi[1]


def test_volume_zero_fills_missing_days_and_sources(data_dir, make_record):
    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {D: 3, date(2026, 4, 22): 1}, source="weibo")
                      + records_per_day(make_record, {D: 2}, source="bilibili"))
    f = Filters("case-a", D, date(2026, 4, 23))
    with store.connect() as con:
        total = volume_series(con, f)
        by_source = volume_series(con, f, by="source")
        legacy = daily_volume(con, f)
    assert total["records"].tolist() == [5, 0, 1, 0]  # the 21st and 23rd are zeros, not skipped
    assert len(by_source) == 8
    weibo = by_source[by_source["source"] == "weibo"]["records"].tolist()
    assert weibo == [3, 0, 1, 0]
    assert legacy.columns.tolist() == ["day", "source", "records"] and legacy["records"].sum() == 6


def test_weekly_periods_start_on_monday(data_dir, make_record):
    store = Store(data_dir)
    # 2026-04-20 is a Monday; the 26th a Sunday; the 27th the next Monday
    store.add_records(records_per_day(make_record, {D: 1, date(2026, 4, 26): 2, date(2026, 4, 27): 4}))
    with store.connect() as con:
        weekly = volume_series(con, Filters("case-a", D, date(2026, 5, 10)), freq="W")
    assert weekly["period"].tolist() == [date(2026, 4, 20), date(2026, 4, 27), date(2026, 5, 4)]
    assert weekly["records"].tolist() == [3, 4, 0]
    assert periods(date(2026, 4, 22), date(2026, 4, 29), "W") == [date(2026, 4, 20), date(2026, 4, 27)]


def test_sentiment_shares_and_intervals_per_language(data_dir, make_record):
    store = Store(data_dir)
    zh_neg = records_per_day(make_record, {D: 3}, lang="zh")
    zh_pos = records_per_day(make_record, {D: 1}, lang="zh")
    en_neu = records_per_day(make_record, {D: 2}, lang="en", source="bluesky")
    store.add_records(zh_neg + zh_pos + en_neu)
    add_scores(store, {**label_records(zh_neg, "negative"), **label_records(zh_pos, "positive"),
                       **label_records(en_neu, "neutral")})
    f = Filters("case-a", D, date(2026, 4, 21))
    with store.connect() as con:
        by_lang = sentiment_series(con, f, VERSION, by="lang")
        overall = daily_sentiment(con, f, VERSION)
    zh = by_lang[(by_lang["lang"] == "zh") & (by_lang["period"] == D)].iloc[0]
    assert zh["n"] == 4 and zh["negative"] == pytest.approx(0.75)
    assert (zh["negative_lo"], zh["negative_hi"]) == pytest.approx(wilson_interval(3, 4))
    empty_day = by_lang[by_lang["period"] == date(2026, 4, 21)]
    assert (empty_day["n"] == 0).all() and empty_day["negative"].isna().all()
    assert overall.iloc[0]["n"] == 6 and overall.iloc[0]["negative"] == pytest.approx(0.5)
    assert overall.columns[0] == "day"


def test_sentiment_without_scores_is_empty_with_columns(data_dir, make_record):
    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {D: 2}))
    with store.connect() as con:
        frame = sentiment_series(con, Filters("case-a", D, D), VERSION, by="source")
    assert frame.empty and {"period", "source", "n", "negative_lo"} <= set(frame.columns)


def test_entity_from_name_matching_then_from_annotations(data_dir, make_record):
    tracker = load_trackers(TRACKERS_MIN)[0]  # case-a, entity platform-a named 平台甲 / PlatformA
    store = Store(data_dir)
    mentioning = records_per_day(make_record, {D: 2}, text="平台甲又上热搜了")
    other = records_per_day(make_record, {D: 3}, text="无关的内容")
    store.add_records(mentioning + other)
    f = Filters("case-a", D, date(2026, 4, 21))
    with store.connect() as con:
        by_name = volume_series(con, f, by="entity", tracker=tracker)
    assert by_name[by_name["period"] == D]["records"].tolist() == [2]
    assert by_name["entity"].unique().tolist() == ["platform-a"]
    # with the annotations dataset present, it is the source of truth
    add_annotations(store, {(r.source, r.id): ents for r, ents in
                            zip(other, [["union-x"], ["union-x", "platform-a"], []], strict=True)})
    with store.connect() as con:
        by_annotation = volume_series(con, f, by="entity")
    first = by_annotation[by_annotation["period"] == D].set_index("entity")["records"].to_dict()
    assert first == {"platform-a": 1, "union-x": 2}


def test_outlet_coverage_counts_only_articles_per_outlet(data_dir, make_record):
    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {D: 3, date(2026, 4, 21): 1}, source="rss", kind="article",
                                      author_name="Variety")
                      + records_per_day(make_record, {D: 2}, source="gdelt", kind="article", author_name="新浪娱乐")
                      + records_per_day(make_record, {D: 1}, source="rss", kind="article", author_name=None)
                      + records_per_day(make_record, {D: 5}, kind="post", author_name="Variety"))  # posts are not coverage
    f = Filters("case-a", D, date(2026, 4, 21))
    with store.connect() as con:
        by_outlet = volume_series(con, f, by="outlet")
        top = volume_series(con, f, by="outlet", top=1)
        weekly = volume_series(con, f, by="outlet", freq="W")
        unfolded = volume_series(con, f, by="outlet", top=2)  # only one outlet left over: it keeps its name
    counts = by_outlet.pivot(index="period", columns="outlet", values="records")
    assert counts.loc[D].to_dict() == {"(unnamed outlet)": 1, "Variety": 3, "新浪娱乐": 2}
    assert counts.loc[date(2026, 4, 21)].to_dict() == {"(unnamed outlet)": 0, "Variety": 1, "新浪娱乐": 0}
    assert top[top["period"] == D].set_index("outlet")["records"].to_dict() == {"Variety": 3, "(2 other outlets)": 3}
    assert top["records"].sum() == by_outlet["records"].sum() == weekly["records"].sum() == 7
    assert sorted(unfolded["outlet"].unique()) == sorted(by_outlet["outlet"].unique())


def test_bad_arguments_are_rejected(data_dir):
    store = Store(data_dir)
    with store.connect() as con, pytest.raises(ValueError, match="by must be"):
        volume_series(con, Filters("case-a"), by="author")
    with store.connect() as con, pytest.raises(ValueError, match="freq must be"):
        volume_series(con, Filters("case-a"), freq="M")


@given(st.integers(0, 500), st.integers(1, 500))
def test_wilson_interval_is_inside_0_1_and_contains_the_estimate(k, n):
    k = min(k, n)
    lo, hi = wilson_interval(k, n)
    assert 0 <= lo <= k / n <= hi <= 1


def test_entity_series_from_annotations_count_only_the_trackers_own_entities(data_dir, make_record):
    # a record tagged with two trackers is annotated with the entities of both; by="entity" for one tracker
    # counts only its own entities (another tracker's would appear as extra lines and alerts' evidence)
    tracker = load_trackers(TRACKERS_MIN)[0]  # case-a: platform-a
    store = Store(data_dir)
    both = records_per_day(make_record, {D: 2}, trackers=["case-a", "case-b"])
    store.add_records(both)
    add_annotations(store, {(r.source, r.id): ["platform-a", "union-b"] for r in both})
    add_scores(store, label_records(both, "negative"))
    f = Filters("case-a", D, D)
    with store.connect() as con:
        volume = volume_series(con, f, by="entity", tracker=tracker)
        mood = sentiment_series(con, f, VERSION, by="entity", tracker=tracker)
    assert volume.set_index("entity")["records"].to_dict() == {"platform-a": 2}
    assert mood.set_index("entity")["n"].to_dict() == {"platform-a": 2}


def test_wilson_intervals_cover_the_true_share_about_95_times_in_100_even_near_0_and_at_small_n():
    from statsmodels.stats.proportion import proportion_confint

    rng = np.random.default_rng(36)
    for n in (10, 30, 200):
        coverages = []
        for p in (0.05, 0.2, 0.5):
            k = rng.binomial(n, p, 400)
            lo, hi = wilson_interval(k, np.full(400, n))
            coverages.append(np.mean((lo <= p) & (p <= hi)))
            ref_lo, ref_hi = proportion_confint(k, n, alpha=0.05, method="wilson")
            assert np.allclose(lo, ref_lo, atol=1e-9) and np.allclose(hi, ref_hi, atol=1e-9)
        # Wilson's coverage swings with p at small n (it is not exact), but averages near nominal
        assert 0.92 <= np.mean(coverages) <= 0.98 and min(coverages) >= 0.85, (n, coverages)


def test_entity_name_matching_keeps_word_edges_and_reads_traditional_characters(data_dir, make_record):
    """Before enrichment (no annotations) entities come from their names in the text: as the annotations' matcher
    reads them, a Latin name stands as whole words (no Ma Su in "cinema summer") and 張若昀 is 张若昀."""
    from collectors.trackers import get_tracker

    tracker = get_tracker("iqiyi-nadou")
    texts = {"The cinema summer slate is out": [], "Ma Su responded on Weibo": ["ma-su"],
             "張若昀工作室發聲明": ["zhang-ruoyun", "zhang-ruoyun-studio"], "IQIYI's new platform": ["iqiyi"]}
    store = Store(data_dir)
    records = [make_record(text=t, trackers=["iqiyi-nadou"], published_at=at(D, 8)) for t in texts]
    store.add_records(records)
    with store.connect() as con:
        sub, params = mentions_sql(con, tracker)
        rows = con.execute(f"SELECT id, entity FROM {sub} m", params).fetchall()
    found = {r.id: sorted(e for i, e in rows if i == r.id) for r in records}
    assert found == {r.id: expected for r, expected in zip(records, texts.values(), strict=True)}


@given(st.dictionaries(st.tuples(st.integers(-3, 12), st.sampled_from(["weibo", "rss", "zh"])), st.integers(0, 500),
                       max_size=30),
       st.integers(0, 9), st.lists(st.sampled_from(["weibo", "bilibili"]), max_size=2), st.booleans())
def test_zero_fill_puts_every_count_in_its_cell_and_zero_elsewhere(cells, days, keys, by_key):
    """zero_fill (which every series goes through) against the plain definition: one row per day of the index (x every
    key seen or asked for, sorted), the frame's count there, else 0; days outside the index left out."""
    import pandas as pd

    index = [date(2026, 4, 1 + d) for d in range(days)]
    if not by_key:  # one count per day
        cells = {(d, None): n for (d, _), n in cells.items()}
    frame = pd.DataFrame({"period": [pd.Timestamp(2026, 4, 1) + pd.Timedelta(days=d) for d, _ in cells],
                          **({"source": [k for _, k in cells]} if by_key else {}), "records": list(cells.values())})
    out = zero_fill(frame, index, ["records"], "source" if by_key else None, keys if by_key else None)
    all_keys = sorted({k for _, k in cells} | set(keys)) if by_key else [None]
    expected = [(day, k, cells.get(((day - date(2026, 4, 1)).days, k), 0)) for day in index for k in all_keys]
    got = list(zip(out["period"], out["source"] if by_key else [None] * len(out), out["records"], strict=True))
    assert got == expected and (not expected or out["records"].dtype == "int64")
    # the cells as before the plain-array rewrite: days as dates (not Timestamps), keys with pandas' own dtype for them
    assert all(type(day) is date for day in out["period"])
    assert not by_key or not expected or out["source"].dtype == pd.Index(all_keys).dtype
