from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.core.filters import Filters
from analysis.stats.effects import (
    ASSOCIATION_NOTE,
    EFFECT_COLUMNS,
    event_effects,
    mean_diff_ci,
    permutation_p,
    proportion_effect,
)
from collectors.store import Store
from collectors.trackers import load_trackers
from tests.analytics_fixtures import VERSION, add_scores, records_per_day
from tests.conftest import TRACKERS_MIN


def test_permutation_p_exact_by_hand():
    # 20 ways to choose 3 "after" days of 6; only {4,5,6} and {1,2,3} give |diff| >= 3
    assert permutation_p([1, 2, 3], [4, 5, 6]) == pytest.approx(2 / 20)
    assert permutation_p([5, 5, 5], [5, 5, 5]) == 1.0


def test_proportion_p_reproduces_fishers_tea_tasting():
    # Fisher's lady tasting tea: 4 of 4 right out of 8 cups -> two-sided p = 2/70
    effect = proportion_effect(0, 4, 4, 4)
    assert effect["p"] == pytest.approx(2 / 70) and effect["diff"] == 1.0
    assert (effect["n_before"], effect["n_after"]) == (4, 4)
    assert proportion_effect(0, 0, 1, 1)["n_after"] == 1  # the n is given even where the difference is not


def test_no_effect_interval_covers_zero():
    rng = np.random.default_rng(5)
    same = rng.poisson(20, 7)
    lo, hi = mean_diff_ci(same, rng.permutation(same))
    assert lo <= 0 <= hi
    effect = proportion_effect(300, 1000, 302, 1000)
    assert effect["ci_lo"] < 0 < effect["ci_hi"] and effect["p"] > 0.5


def _store_with_event(data_dir, make_record, after_volume, after_neg):
    """case-a's 'denial' event is on 2026-04-22; its 'launch' on 2026-04-20."""
    store = Store(data_dir)
    labels = {}
    records = []
    for day in [date(2026, 4, 19) + timedelta(days=i) for i in range(6)]:
        is_after = day >= date(2026, 4, 22)
        n = after_volume if is_after else 10
        neg = after_neg if is_after else 0.2
        batch = records_per_day(make_record, {day: n})
        records += batch
        labels.update({(r.source, r.id): ("negative" if i < round(n * neg) else "neutral") for i, r in enumerate(batch)})
    store.add_records(records)
    add_scores(store, labels)
    return store


def test_event_effects_planted_effect(data_dir, make_record):
    store = _store_with_event(data_dir, make_record, after_volume=30, after_neg=0.8)
    tracker = load_trackers(TRACKERS_MIN)[0]
    with store.connect() as con:
        effects = event_effects(con, Filters("case-a"), tracker, VERSION, window=3, n_boot=500)
    assert list(effects.columns) == EFFECT_COLUMNS and effects.attrs["note"] == ASSOCIATION_NOTE
    denial = effects.set_index("event_id").loc["denial"]
    assert denial["volume_before"] == 10 and denial["volume_after"] == 30 and denial["volume_diff"] == 20
    assert denial["volume_ci_lo"] == 20 and denial["volume_ci_hi"] == 20  # no day-to-day variation at all
    # exact and two-sided: of the 20 ways to split 6 days, only "all 30s after" and "all 30s before" are this
    # extreme, so with 3 days a side p cannot go below 0.1
    assert denial["volume_p"] == pytest.approx(2 / 20)
    assert denial["neg_before"] == pytest.approx(0.2) and denial["neg_after"] == pytest.approx(0.8)
    assert denial["neg_ci_lo"] > 0.4 and denial["neg_p"] < 1e-6
    assert (denial["neg_n_before"], denial["neg_n_after"]) == (30, 90)  # each share's n travels with it


def test_event_effects_no_effect(data_dir, make_record):
    store = _store_with_event(data_dir, make_record, after_volume=10, after_neg=0.2)
    tracker = load_trackers(TRACKERS_MIN)[0]
    with store.connect() as con:
        denial = event_effects(con, Filters("case-a"), tracker, VERSION, n_boot=500).set_index("event_id").loc["denial"]
    assert denial["volume_diff"] == 0 and denial["volume_ci_lo"] <= 0 <= denial["volume_ci_hi"]
    assert denial["neg_ci_lo"] <= 0 <= denial["neg_ci_hi"] and denial["neg_p"] == pytest.approx(1.0)


def test_event_effects_without_scores(data_dir, make_record):
    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {date(2026, 4, 17) + timedelta(days=i): 4 for i in range(10)}))
    tracker = load_trackers(TRACKERS_MIN)[0]
    with store.connect() as con:
        effects = event_effects(con, Filters("case-a"), tracker, None)
    assert effects["neg_diff"].isna().all() and effects["volume_diff"].notna().all()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=5), st.lists(st.integers(0, 50), min_size=1, max_size=5))
def test_permutation_p_is_a_probability_and_symmetric(before, after):
    p = permutation_p(before, after)
    assert 0 < p <= 1
    assert p == pytest.approx(permutation_p(after, before))


def test_event_effects_leave_out_days_outside_the_collection_window(data_dir, make_record):
    # case-a is collected on 2026-04-17..2026-04-26 (trigger 04-20, 3 days before, 6 after): 10 records every one of
    # those days. Days outside that window were never collected, so they are unknown, not quiet days with 0 records.
    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {date(2026, 4, 17) + timedelta(days=i): 10 for i in range(10)}))
    tracker = load_trackers(TRACKERS_MIN)[0]
    denial = tracker.events[1]
    tracker = tracker.model_copy(update={"events": [
        denial.model_copy(update={"id": "last-day", "date": date(2026, 4, 26)}),  # after = 04-26 only (04-27/28 unseen)
        denial.model_copy(update={"id": "uncollected", "date": date(2026, 4, 28)}),  # after = nothing collected
    ]})
    with store.connect() as con:
        effects = event_effects(con, Filters("case-a"), tracker, None, window=3, n_boot=200).set_index("event_id")
    last = effects.loc["last-day"]
    assert last["volume_before"] == 10 and last["volume_after"] == 10 and last["volume_diff"] == 0
    assert last["volume_p"] == pytest.approx(1.0)
    uncollected = effects.loc["uncollected"]
    assert uncollected["volume_before"] == 10  # 04-25 and 04-26; 04-27 was not collected
    assert np.isnan(uncollected["volume_after"]) and np.isnan(uncollected["volume_diff"])
    assert np.isnan(uncollected["volume_p"]) and np.isnan(uncollected["volume_ci_lo"])


def test_effects_description_never_prints_nan():
    import pandas as pd

    from dashboard.charts.timeline import effects_alt

    row = dict.fromkeys(EFFECT_COLUMNS, float("nan"))
    frame = pd.DataFrame([{**row, "date": date(2025, 7, 30), "title": "Before collection"},
                          {**row, "date": date(2026, 4, 26), "title": "Last day", "volume_diff": 0.0}])
    text = effects_alt(frame, "case")
    assert "nan" not in text.lower()
    assert "Before collection: records/day not comparable" in text and "Last day: +0 records/day (no interval)" in text


def test_methods_texts_name_the_negative_share_interval_the_code_computes():
    # proportion_effect gives Newcombe's score interval (not a bootstrap one): every text describing it says so
    from pathlib import Path
    from types import SimpleNamespace

    from analysis.reports import brief
    from dashboard.charts import registry

    assert "Newcombe" in registry.get("timeline-effects").description
    page = (Path(__file__).resolve().parents[1] / "dashboard" / "app_pages" / "timeline.py").read_text(encoding="utf-8")
    assert "Newcombe score interval" in page
    events = next(line for line in brief.methods_lines(SimpleNamespace(model={}, store_signature=None, software={})) if line.startswith("Event windows"))
    assert "Newcombe" in events
    # and the records/day interval is Welch's t (mean_diff_ci), not a bootstrap
    assert "Welch t interval" in registry.get("timeline-effects").description and "Welch t interval" in page
    assert "Welch t 95%" in events and "bootstrap" not in events
    notebook = (Path(__file__).resolve().parents[1] / "notebooks" / "02_event_effects.py").read_text(encoding="utf-8")
    assert "bootstrap" not in notebook and "Welch" in notebook and "Newcombe" in notebook


def test_effects_chart_credit_names_the_days_it_draws(data_dir, make_record):
    # the effects chart compares each event's own days before and after it, whatever the sidebar's dates: its credit
    # says so, with the synthetic share of the records in those days (not of the sidebar's dates)
    from dashboard.charts import registry
    from dashboard.charts.registry import View

    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {date(2026, 4, 20): 3}, trackers=["iqiyi-nadou"], synthetic=True)
                      + records_per_day(make_record, {date(2026, 4, 21): 1}, trackers=["iqiyi-nadou"])
                      + records_per_day(make_record, {date(2026, 5, 20): 6}, trackers=["iqiyi-nadou"]))
    view = View(Filters("iqiyi-nadou", date(2026, 5, 18), date(2026, 5, 22)))
    with store.connect() as con:
        package = registry.build("timeline-effects", con, view, {})
    assert "2026-05-18" not in package.source and "2026-05-22" not in package.source
    assert "3 days before" in package.source and "each event" in package.source
    assert "75% synthetic demo data" in package.source
    description = registry.get("timeline-effects").description  # `actorwatch chart --list`
    assert "each event's own days" in description and "not the sidebar's dates" in description


def test_the_same_comparison_gets_the_same_interval_whatever_other_events_there_are(data_dir, make_record):
    # events on one day compare the same days: they must show the same interval and p, and an event's figures must
    # not change when another event is added to the tracker (the Timeline lists every event; the brief one per day)
    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {date(2026, 4, 19) + timedelta(days=i): n
                                                    for i, n in enumerate([7, 13, 9, 25, 41, 30])}))
    tracker = load_trackers(TRACKERS_MIN)[0]
    denial = next(e for e in tracker.events if e.id == "denial")
    twin = tracker.model_copy(update={"events": [*tracker.events, denial.model_copy(update={"id": "denial-echo"})]})
    alone = tracker.model_copy(update={"events": [denial]})
    cols = ["volume_diff", "volume_ci_lo", "volume_ci_hi", "volume_p"]
    with store.connect() as con:
        both = event_effects(con, Filters("case-a"), twin, None, n_boot=500).set_index("event_id")[cols]
        single = event_effects(con, Filters("case-a"), alone, None, n_boot=500).set_index("event_id")[cols]
    assert both.loc["denial"].tolist() == both.loc["denial-echo"].tolist() == single.loc["denial"].tolist()
    assert both.loc["denial", "volume_ci_lo"] < both.loc["denial", "volume_ci_hi"]  # a real resampled interval


def test_days_before_the_first_stored_record_are_unknown_not_quiet(data_dir, make_record):
    """A first import of a 3-day export (04-21..04-23) showed the launch of 04-20 as +10 records/day against three
    'quiet' days that were simply before the export began; those days are now left out like uncollected ones."""
    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {date(2026, 4, 21) + timedelta(days=i): 10 for i in range(3)}))
    tracker = load_trackers(TRACKERS_MIN)[0]
    with store.connect() as con:
        effects = event_effects(con, Filters("case-a"), tracker, None, n_boot=200).set_index("event_id")
    launch, denial = effects.loc["launch"], effects.loc["denial"]
    assert np.isnan(launch["volume_before"]) and np.isnan(launch["volume_diff"])  # 04-17..19: nothing stored
    assert launch["volume_after"] == 10  # 04-21 and 04-22 (04-20 precedes the first record)
    assert denial["volume_before"] == 10 and denial["volume_after"] == 10 and denial["volume_diff"] == 0


def test_the_negative_share_panel_says_why_it_is_empty(data_dir, make_record):
    from dashboard.charts.timeline import effects_chart

    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {date(2026, 4, 17) + timedelta(days=i): 4 for i in range(10)}))
    with store.connect() as con:
        effects = event_effects(con, Filters("case-a"), load_trackers(TRACKERS_MIN)[0], None, n_boot=200)
    notes = [a.text for a in effects_chart(effects, "t").layout.annotations]
    assert "No scored records: run `actorwatch enrich`." in notes


def test_a_tracker_without_records_around_its_events_says_so_in_the_volume_panel(data_dir):
    from dashboard.charts.timeline import effects_chart

    with Store(data_dir).connect() as con:  # a tracker the first import did not reach
        effects = event_effects(con, Filters("case-a"), load_trackers(TRACKERS_MIN)[0], None, n_boot=200)
    assert effects["volume_diff"].isna().all()
    notes = [a.text for a in effects_chart(effects, "t").layout.annotations]
    assert any("No stored records around these events" in n for n in notes), notes


def test_volume_interval_covers_the_true_difference_95_times_in_100_with_three_days_a_side():
    # the default window compares 3 days with 3: a percentile bootstrap of 3 values a side covered ~78% of the time;
    # the interval must hold the true difference of mean records/day about 95% of the time
    rng = np.random.default_rng(36)
    runs = 300
    covered = 0
    for _ in range(runs):
        before, after = rng.poisson(100, 3), rng.poisson(130, 3)
        lo, hi = mean_diff_ci(before, after)
        covered += lo <= 30 <= hi
    assert 0.92 <= covered / runs <= 0.98


def test_volume_interval_is_welchs_t_interval():
    from scipy.stats import ttest_ind

    before, after = np.array([10.0, 14, 9, 12]), np.array([20.0, 31, 25])
    expected = ttest_ind(after, before, equal_var=False).confidence_interval(0.95)
    assert mean_diff_ci(before, after) == pytest.approx((expected.low, expected.high))
    assert mean_diff_ci([5, 5, 5], [7, 7, 7]) == (2.0, 2.0)  # no spread on either side: the interval is the point
    assert all(np.isnan(mean_diff_ci([5], [7, 8])))  # one day a side: no spread to measure


def test_texts_describing_post_level_intervals_say_they_treat_posts_as_independent():
    # posts by one author, one repost cascade or one day move together (a day-to-day varying share: ~81% coverage
    # measured); the intervals and p-values are clustered by author (analysis.stats.clustered) and not by cascade or
    # day, so every text presenting them says which
    from pathlib import Path
    from types import SimpleNamespace

    from analysis.core.wording import INDEPENDENT_POSTS
    from analysis.reports import brief

    assert "independent" in INDEPENDENT_POSTS and "author" in INDEPENDENT_POSTS and "cascade" in INDEPENDENT_POSTS
    # what is now clustered by author is named as corrected, what is not (cascades, days) as not: the text said the
    # daily bands, the jumps and the permutation p-values counted every post as independent after they stopped to
    corrected, uncorrected = INDEPENDENT_POSTS.split("Not corrected:")
    for clustered in ("daily and weekly bands", "stance and emotion", "jump", "shuffles whole authors"):
        assert clustered in corrected and clustered not in uncorrected, clustered
    for left in ("cascade", "one day", "frame shares", "change points"):
        assert left in uncorrected, left
    lines = brief.methods_lines(SimpleNamespace(model={}, store_signature=None, software={}))
    events = next(line for line in lines if line.startswith("Event windows"))
    assert INDEPENDENT_POSTS in events and "exact permutation p-value over records" not in events
    assert any("Wilson" in line and INDEPENDENT_POSTS in line for line in lines)
    assert not any("for a day's jump the plain one" in line for line in lines)
    assert any("effective count" in line for line in lines if line.startswith("Negative-share jumps"))
    pages = Path(__file__).resolve().parents[1] / "dashboard" / "app_pages"
    for page in ("timeline.py", "methods.py"):
        assert "INDEPENDENT_POSTS" in (pages / page).read_text(encoding="utf-8"), page


def test_an_event_whose_days_overlap_another_events_says_so(data_dir, make_record):
    # case-a's launch (04-20) and denial (04-22): with 3 days a side the denial's "before" (04-19..21) holds the
    # launch's "after" days, so its baseline already carries the launch's reaction; the row and its text say so
    import pandas as pd

    from dashboard.charts.timeline import effects_alt

    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {date(2026, 4, 16) + timedelta(days=i): 10 for i in range(10)}))
    tracker = load_trackers(TRACKERS_MIN)[0]
    with store.connect() as con:
        wide = event_effects(con, Filters("case-a"), tracker, None, window=3, n_boot=200).set_index("event_id")
        narrow = event_effects(con, Filters("case-a"), tracker, None, window=1, n_boot=200).set_index("event_id")
    assert wide.loc["denial", "overlaps"] == "launch" and wide.loc["launch", "overlaps"] == "denial"
    assert narrow.loc["denial", "overlaps"] == "" and narrow.loc["launch", "overlaps"] == ""
    text = effects_alt(wide.reset_index(), "case")
    launch_title = wide.loc["launch", "title"]
    assert f"days overlap those of {launch_title}" in text
    assert "overlap" not in effects_alt(narrow.reset_index(), "case")
    assert effects_alt(pd.DataFrame([{**dict.fromkeys(EFFECT_COLUMNS, float("nan")), "date": date(2026, 4, 26),
                                      "title": "x", "overlaps": ""}]), "case")


def test_texts_with_one_p_value_per_event_say_they_are_not_adjusted_for_the_number_of_events():
    # the Timeline and the brief show a p-value per event, side by side: with many events some fall under 0.05 by
    # chance, so the texts presenting them say the p-values are not adjusted
    from pathlib import Path
    from types import SimpleNamespace

    from analysis.core.wording import UNADJUSTED_NOTE
    from analysis.reports import brief
    from dashboard.charts import registry

    assert "not adjusted" in UNADJUSTED_NOTE
    assert UNADJUSTED_NOTE in registry.get("timeline-effects").description
    lines = brief.methods_lines(SimpleNamespace(model={}, store_signature=None, software={}))
    assert UNADJUSTED_NOTE in next(line for line in lines if line.startswith("Event windows"))
    page = (Path(__file__).resolve().parents[1] / "dashboard" / "app_pages" / "timeline.py").read_text(encoding="utf-8")
    assert "UNADJUSTED_NOTE" in page
