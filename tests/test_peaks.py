from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from analysis.core.filters import Filters
from analysis.stats.peaks import (
    change_points,
    detect_peaks,
    label_peaks,
    robust_scores,
    sentiment_change_points,
    series_by_day,
)
from analysis.stats.timeseries import volume_series
from collectors.store import Store
from tests.analytics_fixtures import VERSION, add_scores, records_per_day

START = date(2026, 4, 1)


def _series(values):
    return pd.Series(values, index=[START + timedelta(days=i) for i in range(len(values))])


def test_robust_score_by_hand():
    # previous 7 values 10,12,9,11,10,13,10 -> median 10, |dev| 0,2,1,1,0,3,0 -> MAD 1 -> scale 1.4826
    scored = robust_scores(_series([10, 12, 9, 11, 10, 13, 10, 40]), counts=False)
    last = scored.iloc[-1]
    assert last["baseline"] == 10 and last["score"] == pytest.approx(30 / 1.4826)
    assert scored["score"].iloc[:3].isna().all()  # fewer than 3 previous points: no baseline
    # as counts, Poisson noise (sqrt 10 = 3.16) is the larger scale
    assert robust_scores(_series([10, 12, 9, 11, 10, 13, 10, 40]))["score"].iloc[-1] == pytest.approx(30 / 10**0.5)


def test_planted_spike_found_on_its_day_only():
    rng = np.random.default_rng(1)
    values = rng.poisson(20, 30).astype(float)
    values[17], values[18], values[19] = 120, 70, 40  # a spike and its decay: one peak, on the 18th
    peaks = detect_peaks(_series(values))
    assert peaks["day"].tolist() == [START + timedelta(days=17)]
    assert peaks.iloc[0]["value"] == 120 and peaks.iloc[0]["score"] > 10
    assert peaks.iloc[0]["run_start"] == START + timedelta(days=17)


def test_a_two_day_spike_is_one_peak_on_its_highest_day():
    values = [20, 21, 19, 20, 22, 20, 21, 300, 400, 20, 21]
    peaks = detect_peaks(_series(values))
    assert peaks[["day", "run_start", "run_end"]].values.tolist() == [[START + timedelta(days=8), START + timedelta(days=7),
                                                                       START + timedelta(days=8)]]
    unmerged = detect_peaks(_series(values), merge=False)
    assert unmerged["day"].tolist() == [START + timedelta(days=7), START + timedelta(days=8)]


def test_noise_and_flat_series_give_no_peaks():
    rng = np.random.default_rng(2)
    assert detect_peaks(_series(rng.poisson(50, 60))).empty
    assert detect_peaks(_series([0] * 20)).empty
    assert list(detect_peaks(_series([0] * 20)).columns) == ["day", "value", "baseline", "score", "run_start",
                                                         "run_end"]


def test_share_series_uses_its_own_scale():
    shares = [0.30, 0.32, 0.29, 0.31, 0.30, 0.33, 0.31, 0.62, 0.31, 0.30]
    assert detect_peaks(_series(shares), min_scale=0.03, counts=False)["day"].tolist() == [START + timedelta(days=7)]
    assert detect_peaks(_series(shares)).empty  # with the count scale (1 record) a share never spikes


def test_change_point_on_binomial_shares():
    rng = np.random.default_rng(3)
    n = np.full(20, 200)
    p = np.r_[np.full(10, 0.2), np.full(10, 0.6)]
    shares = rng.binomial(n, p) / n
    assert change_points(_series(shares), n=_series(n)) == [START + timedelta(days=10)]
    assert change_points(_series(shares)) == [START + timedelta(days=10)]  # Gaussian cost finds it too


def test_no_change_points_in_a_stable_series():
    rng = np.random.default_rng(4)
    n = np.full(30, 200)
    shares = rng.binomial(n, 0.35) / n
    assert change_points(_series(shares), n=_series(n)) == []
    assert change_points(_series([0.4] * 4)) == []  # too short to split


def test_a_one_day_blip_at_the_end_is_not_a_change_point():
    n = np.full(12, 100)
    shares = np.r_[np.full(11, 0.2), 0.8]
    assert change_points(_series(shares), n=_series(n)) == []
    assert detect_peaks(_series(shares), counts=False, min_scale=0.03)["day"].tolist() == [START + timedelta(days=11)]


def test_label_peaks_gives_terms_and_most_shared_records(data_dir, make_record):
    store = Store(data_dir)
    spike_day = date(2026, 4, 20)
    quiet = records_per_day(make_record, {spike_day - timedelta(days=i): 2 for i in range(1, 8)}, text="日常讨论 天气")
    spike = records_per_day(make_record, {spike_day: 30}, text="演员工会 声明 反对 AI艺人库", shares=1)
    viral = make_record(published_at=spike[0].published_at, text="演员工会 发布 声明 <b>转发</b>", shares=999,
                        author_id="123456789", author_name="普通网友")
    store.add_records(quiet + spike + [viral])
    f = Filters("case-a", spike_day - timedelta(days=7), spike_day)
    with store.connect() as con:
        volume = volume_series(con, f)
        peaks = detect_peaks(series_by_day(volume, "records"))
        labelled = label_peaks(con, f, peaks, k=3)
    assert labelled["day"].tolist() == [spike_day] and labelled.iloc[0]["records"] == 31
    assert any("工会" in term for term in labelled.iloc[0]["top_terms"])  # jieba may keep 演员工会 whole
    top = labelled.iloc[0]["top_records"][0]
    assert top["shares"] == 999 and top["author"].startswith("u_")  # pseudonymised, from records_public
    assert "123456789" not in str(labelled.to_dict())
    with store.connect() as con:
        capped = label_peaks(con, f, peaks, k=3, max_texts=1)  # terms from the most-shared text only
    assert capped.iloc[0]["records"] == 31 and capped.iloc[0]["top_records"][0]["shares"] == 999


def test_sentiment_change_point_in_the_store(data_dir, make_record):
    store = Store(data_dir)
    labels = {}
    for i in range(16):
        day = START + timedelta(days=i)
        batch = records_per_day(make_record, {day: 40})
        share = 0.25 if i < 9 else 0.7  # the negative share steps up on day 9
        labels.update({(r.source, r.id): "negative" if j < round(40 * share) else "neutral" for j, r in enumerate(batch)})
        store.add_records(batch)
    add_scores(store, labels)
    with store.connect() as con:
        found = sentiment_change_points(con, Filters("case-a", START, START + timedelta(days=15)), VERSION)
    assert found == [START + timedelta(days=9)]


def test_share_jump_after_a_day_with_too_few_scored_records():
    # day 9 has 5 scored records (< min_n): it is left out of the baseline, but must not blind the next 7 days.
    # day 12's window is days 5-11 without day 9: 0.22 0.2 0.21 0.2 0.21 0.2 -> median 0.205, MAD 0.005,
    # scale max(1.4826 * 0.005, 0.03, binomial noise sqrt(0.205 * 0.795 / 100) = 0.040) = 0.040
    from analysis.stats.peaks import share_jumps

    shares = [0.2, 0.21, 0.19, 0.2, 0.22, 0.2, 0.21, 0.2, 0.9, 0.21, 0.2, 0.6]
    n = [100] * 12
    n[8] = 5
    frame = pd.DataFrame({"period": [START + timedelta(days=i) for i in range(12)], "negative": shares, "n": n})
    jumps = share_jumps(frame)
    assert list(jumps["day"]) == [START + timedelta(days=11)]
    assert jumps["baseline"].iloc[0] == pytest.approx(0.205)
    assert jumps["score"].iloc[0] == pytest.approx((0.6 - 0.205) / max(1.4826 * 0.005, 0.03, (0.205 * 0.795 / 100) ** 0.5))


def test_most_negative_day_in_alt_texts_skips_thin_days():
    # a day with 4 scored records, all negative, is not "the most negative day": the alt texts name the most negative
    # day among days with enough scored records (the rule share_jumps applies), and say so
    from analysis.stats.peaks import MIN_SHARE_N
    from dashboard.charts.overview import sentiment_alt
    from dashboard.charts.timeline import negative_share_alt

    thin, full = date(2026, 4, 20), date(2026, 4, 21)
    shares = {"negative": [1.0, 0.4], "neutral": [0.0, 0.4], "positive": [0.0, 0.2]}
    frame = pd.DataFrame({"day": [thin, full], "period": [thin, full], "n": [4, 100], **shares})
    overview = sentiment_alt(frame, "case", "model m")
    timeline = negative_share_alt(frame, [], "case", "model m")
    assert "Over 104 scored records 42% (95% CI 33%–52%) were negative" in overview  # 44 of 104, with its interval
    for alt in (overview, timeline):
        assert "2026-04-21 at 40% of 100" in alt and "2026-04-20" not in alt
        assert f"at least {MIN_SHARE_N} scored records" in alt
    only_thin = frame.iloc[:1]
    for alt in (sentiment_alt(only_thin, "case", "model m"), negative_share_alt(only_thin, [], "case", "model m")):
        assert "2026-04-20" not in alt and f"fewer than {MIN_SHARE_N} scored records" in alt


def test_highest_stance_or_emotion_share_in_alt_texts_skips_thin_periods():
    # the same rule for the annotation share charts (stance, emotion): one record that is all anger is not "the
    # highest anger share" of the view
    from analysis.stats.peaks import MIN_SHARE_N
    from dashboard.charts.style import shares_alt

    thin, full = date(2026, 4, 20), date(2026, 4, 21)
    frame = pd.DataFrame({"period": [thin, thin, full, full], "emotion": ["anger", "joy", "anger", "joy"],
                          "records": [1, 0, 60, 40], "n": [1, 1, 100, 100], "share": [1.0, 0.0, 0.6, 0.4]})
    alt = shares_alt(frame, "emotion", "emotion", "case", "model m", "day")
    assert "60% of 100 in the day of 2026-04-21" in alt and "2026-04-20" not in alt
    assert f"at least {MIN_SHARE_N} annotated records" in alt
    only_thin = shares_alt(frame.iloc[:2], "emotion", "emotion", "case", "model m", "day")
    assert "2026-04-20" not in only_thin and f"fewer than {MIN_SHARE_N} annotated records" in only_thin


def test_frames_alt_names_the_highest_share_with_its_n_and_only_on_full_periods():
    from analysis.stats.peaks import MIN_SHARE_N
    from dashboard.charts.topics import frames_alt

    thin, full = date(2026, 4, 20), date(2026, 4, 21)
    frame = pd.DataFrame({"period": [thin, full], "frame": ["heritage", "heritage"], "records": [1, 30],
                          "n": [1, 100], "share": [1.0, 0.3]})
    alt = frames_alt(frame, {"heritage": "非遗 heritage"}, "case")
    assert "on 2026-04-21 at 30% of 100" in alt and "2026-04-20" not in alt
    only_thin = frames_alt(frame.iloc[:1], {}, "case")
    assert "2026-04-20" not in only_thin and f"fewer than {MIN_SHARE_N}" in only_thin


def test_share_jump_on_a_thin_day_is_judged_against_its_own_binomial_noise():
    # a steady 20% over days of 500 scored records, then a day of 30 with 10 negative (33%): 10 or more of 30 at 20%
    # happens by chance about one day in 16, so it is not a jump; the same 33% over 500 records is
    from analysis.stats.peaks import share_jumps

    def frame(last_n):
        shares = [0.2, 0.205, 0.195, 0.2, 0.2, 0.205, 0.195, 0.2, 1 / 3]
        n = [500] * 8 + [last_n]
        return pd.DataFrame({"period": [START + timedelta(days=i) for i in range(9)], "negative": shares, "n": n})

    assert share_jumps(frame(30)).empty
    big = share_jumps(frame(500))
    assert list(big["day"]) == [START + timedelta(days=8)]
    # the noise is the larger of the 3-point floor and the binomial noise of the baseline at the day's n
    assert big["score"].iloc[0] == pytest.approx((1 / 3 - 0.2) / 0.03)
    assert share_jumps(frame(30), threshold=1.5)["score"].iloc[0] == pytest.approx((1 / 3 - 0.2) / (0.2 * 0.8 / 30) ** 0.5)


def test_share_jump_after_thin_days_is_judged_against_their_pooled_share():
    # before a storm a tracker often has fewer than min_n scored records a day, so no day enters the trailing
    # median and the storm's first day (80% of 500) went unjudged. The previous 7 days pooled (14 of 105, 13%)
    # are its baseline instead, their own binomial noise added to the day's
    from analysis.stats.peaks import share_jumps

    shares = [0.2, 0.0, 0.2, 0.0, 0.2, 0.2, 0.133333, 0.8]
    n = [15] * 7 + [500]
    frame = pd.DataFrame({"period": [START + timedelta(days=i) for i in range(8)], "negative": shares, "n": n})
    jumps = share_jumps(frame)
    assert list(jumps["day"]) == [START + timedelta(days=7)]
    pooled = (3 + 0 + 3 + 0 + 3 + 3 + 2) / 105
    assert jumps["baseline"].iloc[0] == pytest.approx(pooled, abs=1e-4)
    noise = (pooled * (1 - pooled) / 105 + pooled * (1 - pooled) / 500) ** 0.5
    assert jumps["score"].iloc[0] == pytest.approx((0.8 - pooled) / max(0.03, noise), rel=1e-3)
    # the pooled days must hold min_n scored records between them: 7 days of 3 are no baseline
    thin = frame.assign(n=[3] * 7 + [500])
    assert share_jumps(thin).empty
    # and a pooled share the day does not depart from is no jump (20% of 500 against a pooled 13%: within noise)
    assert share_jumps(frame.assign(negative=shares[:7] + [0.2])).empty


def test_a_share_jump_made_by_one_prolific_author_is_judged_at_its_effective_size():
    # 14 days at 20% of 100 one-post authors, then a day at 45% of 100: with 30 of its negative records by 30 authors
    # it is a jump (0.25 over a 4-point binomial noise), but when one account posted those 30 the day's share rests on
    # 71 authors, one of them 30 records strong (design effect ~11.7, effective size ~8.5): its noise is that of ~8.5
    # independent records, and 45% is within it. Judged at n = 100 it was flagged either way
    from analysis.stats.clustered import design_effects
    from analysis.stats.peaks import share_jumps

    # that day's sums: one author (k = n = 30), 15 negative and 55 neutral one-post authors
    deff = float(design_effects(100, 45, 71, 30 * 30 + 15, 30 * 30 + 15, 30 * 30 + 70))
    assert 10 < deff < 13

    def frame(last_deff: float) -> pd.DataFrame:
        days = [START + timedelta(days=i) for i in range(15)]
        return pd.DataFrame({"period": days, "n": [100] * 15, "negative": [0.2] * 14 + [0.45],
                             "negative_lo": [0.13] * 14 + [0.3], "negative_hi": [0.29] * 14 + [0.6],
                             "negative_deff": [1.0] * 14 + [last_deff]})

    distinct = share_jumps(frame(1.0))
    assert list(distinct["day"]) == [START + timedelta(days=14)]
    assert share_jumps(frame(deff)).empty
    assert share_jumps(frame(deff), threshold=1.5)["score"].iloc[0] == pytest.approx(
        0.25 / (0.2 * 0.8 * deff / 100) ** 0.5)
    # the jump carries its day's band (the series' own, clustered by author: what the brief and the alerts quote)
    assert (distinct["lo"].iloc[0], distinct["hi"].iloc[0]) == (0.3, 0.6)
    # a frame without design effects (built by hand) is judged as before
    assert share_jumps(frame(deff).drop(columns="negative_deff")).equals(distinct)


def _null_rate(draw, threshold: float, series: int = 12, days: int = 300, history: int = 28) -> float:
    """Share of judged days flagged on series with no change at all (each day after `history` days judged)."""
    index = [date(2025, 1, 1) + timedelta(days=i) for i in range(days)]
    fired = sum(int((detect_peaks(pd.Series(draw(days), index=index), threshold=threshold, merge=False)["day"]
                     >= index[history]).sum()) for _ in range(series))
    return fired / (series * (days - history))


def test_false_alarm_rates_on_series_with_no_change_are_the_ones_the_alerts_file_states():
    # data/alerts.toml and config.THRESHOLDS state the rates below, measured here: Poisson noise with a weekly cycle
    # (weekends at 60%) rarely fires, but day-to-day spread wider than Poisson (negative binomial, size 5) makes
    # "balanced" fire on a few days in a hundred with nothing happening
    from analysis.reports.alerts.config import THRESHOLDS

    rng = np.random.default_rng(36)
    week = np.array([1, 1, 1, 1, 1, 0.6, 0.6])
    weekly = lambda n: rng.poisson(50 * np.resize(week, n))
    spread = lambda n: rng.negative_binomial(5, 5 / 105, n)
    assert _null_rate(weekly, THRESHOLDS["balanced"]) < 0.005
    assert _null_rate(weekly, THRESHOLDS["more"]) < 0.03
    assert 0.02 < _null_rate(spread, THRESHOLDS["balanced"]) < 0.08
    assert _null_rate(spread, THRESHOLDS["fewer"]) < 0.04
    from pathlib import Path

    example = (Path(__file__).resolve().parents[1] / "data" / "alerts.toml").read_text(encoding="utf-8")
    assert "with nothing happening" in example


def test_collection_gaps_are_runs_of_days_not_a_weekday_feed_s_weekends():
    """A news feed that publishes 20 items on weekdays and none at weekends: its weekends were taken for collection
    gaps, leaving every weekend unknown (not judged for spikes) though they were collected; three days or more without
    a source that collects every day are a gap."""
    from datetime import date, timedelta

    import pandas as pd

    from analysis.stats.peaks import collection_gaps

    days = [date(2026, 4, 6) + timedelta(days=i) for i in range(28)]  # Monday 6 April on
    weekdays = pd.DataFrame({"period": days, "source": "news", "records": [0 if d.weekday() >= 5 else 20 for d in days]})
    assert collection_gaps(weekdays) == set()
    stopped = weekdays.assign(records=[0 if date(2026, 4, 14) <= d <= date(2026, 4, 17) else 20 for d in days])
    assert collection_gaps(stopped) == {date(2026, 4, 14) + timedelta(days=i) for i in range(4)}


def test_the_snapshots_most_shared_floor_is_the_records_one_for_every_view(data_dir, make_record, monkeypatch):
    """A peak's label and top record read the day's most shared records from the pseudonymising view, asked only for
    rows at least as shared as the `limit`-th: finding that floor sorted the whole day (~950,000 rows at 10M). The
    snapshot's facts_top_shared gives the same floor, and the same labels, for any sources, languages, kinds and
    tracker, with groups cut short (few kept per group here), ties, and records with no counts."""
    from analysis.stats import facts
    from analysis.stats.peaks import _most_shared_public_rows
    from collectors.models import COUNTED_KINDS
    from dashboard.snapshot import open_snapshot

    rng = np.random.default_rng(7)
    day = date(2026, 4, 20)
    records = [make_record(
        published_at=pd.Timestamp(day).tz_localize("UTC") + pd.Timedelta(hours=int(rng.integers(0, 30)) - 4),
        source=str(rng.choice(["weibo", "bilibili"])), kind=str(rng.choice(["post", "comment", "repost", "trend"])),
        lang=str(rng.choice(["zh", "zh", "en"])), author_id=f"a{int(rng.integers(0, 6))}",
        shares=None if rng.random() < 0.2 else int(rng.integers(0, 4)), likes=None if rng.random() < 0.2 else int(rng.integers(0, 3)),
        text=f"第{i}条 {rng.choice(['演员工会 声明', 'AI艺人库 反对', '天气'])}",
        trackers=[["case-a"], ["case-b"], ["case-a", "case-b"]][int(rng.integers(0, 3))]) for i in range(240)]
    store = Store(data_dir)
    store.add_records(records)
    monkeypatch.setattr(facts, "TOP_SHARED", 6)  # groups of the facts' dimensions hold up to ~20 records here
    views = [Filters("case-a", day, day), Filters("case-b", day, day, ("weibo",)), Filters("case-a", day, day, langs=("en",)),
             Filters("case-a", day, day, ("bilibili",), kinds=("comment", "repost")), Filters("case-b", day, day, langs=("zh",)),
             Filters("case-a", day + timedelta(days=1), day + timedelta(days=1)), Filters("case-b", day, day, kinds=COUNTED_KINDS),
             Filters("case-a", day, day, ("weibo",), langs=("en",), kinds=("repost",)),
             Filters("case-b", day - timedelta(days=1), day - timedelta(days=1), ("bilibili",), langs=("en",))]
    shares, likes = "coalesce(r.shares, 0)", "coalesce(r.likes, 0)"
    peaks = pd.DataFrame({"day": [day, day + timedelta(days=1)], "records": [0, 0]})
    snapshot = open_snapshot(store)
    try:
        floors, sorted_floors, cut = [], [], 0
        for f in views:
            where, params = f.where("r")
            for limit in (1, 2, 5, 6, 7):
                got = facts.shared_floor(snapshot, f, limit)
                floors.append(got)
                want = snapshot.execute(f"SELECT {shares}, {likes} FROM records r WHERE {where} ORDER BY 1 DESC, 2 DESC "
                                        "LIMIT 1 OFFSET ?", [*params, limit - 1]).fetchone()
                sorted_floors.append(want if want is None else tuple(want))
                if got is not False:
                    pd.testing.assert_frame_equal(_most_shared_public_rows(snapshot, where, params, limit, got),
                                                  _most_shared_public_rows(snapshot, where, params, limit))
            cut += snapshot.execute(f"SELECT count(*) FROM records r WHERE {where}", params).fetchone()[0] > 6
        labelled = [label_peaks(snapshot, f, peaks, k=3, max_texts=m) for f in views for m in (3, 6)]
        snapshot_groups = snapshot.execute("SELECT count(*) FROM (SELECT sum(n) AS kept FROM facts_top_shared "
                                           "GROUP BY day, source, lang, kind, tracker) WHERE kept = 6").fetchone()[0]
    finally:
        snapshot.close()
    assert floors == [False if i % 5 == 4 else v for i, v in enumerate(sorted_floors)]  # limit 7: above what is kept
    groups = snapshot_groups  # groups of the facts' dimensions cut short at TOP_SHARED, and views with fewer records
    assert groups > 3 and cut >= 3 and None in floors and len({v for v in floors if v}) > 3
    with store.connect() as con:  # no facts: the floor sorted from the records
        assert facts.shared_floor(con, views[0], 5) is False
        direct = [label_peaks(con, f, peaks, k=3, max_texts=m) for f in views for m in (3, 6)]
    for one, two in zip(labelled, direct, strict=True):
        pd.testing.assert_frame_equal(one, two)
