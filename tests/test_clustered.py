"""Share intervals clustered by author: the plain Wilson interval when each author posts once, wider (and covering
about 95%) when a few authors post many times."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from analysis.core.filters import Filters
from analysis.stats.aggregate import kpis
from analysis.stats.clustered import AuthorSums, author_counts, author_sums, cluster_permutation_p
from analysis.stats.effects import event_effects, proportion_effect
from analysis.stats.timeseries import wilson_interval
from collectors.store import Store
from collectors.trackers import load_trackers
from dashboard.snapshot import open_snapshot
from tests.analytics_fixtures import VERSION, add_scores, at
from tests.conftest import TRACKERS_MIN


def _sums(k: np.ndarray, n: np.ndarray) -> AuthorSums:
    return AuthorSums(int(n.sum()), int(k.sum()), len(n), float((k * k).sum()), float((k * n).sum()),
                      float((n * n).sum()))


def test_one_post_per_author_is_the_plain_wilson_interval():
    k = np.array([1] * 30 + [0] * 70)
    sums = _sums(k, np.ones(100, dtype=int))
    assert sums == AuthorSums.independent(30, 100)
    assert sums.design_effect == 1.0
    assert sums.wilson() == wilson_interval(30, 100)
    assert proportion_effect(30, 100, 45, 100, design_effects=(1.0, 1.0)) == proportion_effect(30, 100, 45, 100)


def test_design_effect_by_hand():
    # four authors: (k, n) = (6, 6), (0, 6), (1, 2), (1, 2); N = 16, K = 8, p = 0.5
    k, n = np.array([6, 0, 1, 1]), np.array([6, 6, 2, 2])
    sums = _sums(k, n)
    # Σ(k - p n)² = 9 + 9 + 0 + 0 = 18; V = 4/3 · 18 / 256; binomial p(1-p)/(N-1) = 0.25 / 15
    deff = (4 / 3 * 18 / 256) / (0.25 / 15)
    assert sums.design_effect == pytest.approx(deff)
    assert sums.wilson() == pytest.approx(wilson_interval(8 / deff, 16 / deff))
    lo, hi = sums.wilson()
    plain_lo, plain_hi = wilson_interval(8, 16)
    assert lo < plain_lo and hi > plain_hi
    # authors who each split evenly are more alike than chance: never narrower than the plain interval
    even = _sums(np.array([1, 1, 1, 1]), np.array([2, 2, 2, 2]))
    assert even.design_effect == 1.0


def test_clustered_intervals_cover_about_95_percent_where_the_plain_ones_do_not():
    # 200 authors, log-normal numbers of posts (most 1-3, a few 20+), each author's own negative propensity (Beta,
    # mean 0.3, intra-author correlation 0.3): Wilson and Newcombe over posts covered ~75%
    rng = np.random.default_rng(38)
    runs, covered = 300, np.zeros(4)
    for _ in range(runs):
        sides = []
        for mean in (0.3, 0.4):
            n = np.ceil(np.exp(rng.normal(0, 1.2, 200))).astype(int)
            k = rng.binomial(n, rng.beta(mean * 7 / 3, (1 - mean) * 7 / 3, 200))
            sides.append(_sums(k, n))
        b, a = sides
        covered[0] += wilson_interval(b.k, b.n)[0] <= 0.3 <= wilson_interval(b.k, b.n)[1]
        covered[1] += b.wilson()[0] <= 0.3 <= b.wilson()[1]
        plain = proportion_effect(b.k, b.n, a.k, a.n)
        clustered = proportion_effect(b.k, b.n, a.k, a.n, design_effects=(b.design_effect, a.design_effect))
        covered[2] += plain["ci_lo"] <= 0.1 <= plain["ci_hi"]
        covered[3] += clustered["ci_lo"] <= 0.1 <= clustered["ci_hi"]
    wilson, wilson_clustered, newcombe, newcombe_clustered = covered / runs
    assert wilson < 0.85 and newcombe < 0.85
    assert 0.92 <= wilson_clustered <= 0.98 and 0.92 <= newcombe_clustered <= 0.98


def _store_with_a_prolific_author(data_dir, make_record) -> Store:
    """40 one-post authors (10 negative), one author with 40 posts, all negative, on 2026-04-19…22, and a negative
    record naming no author."""
    store = Store(data_dir)
    records = [make_record(published_at=at(date(2026, 4, 19 + i % 4), i % 24)) for i in range(40)]
    records += [make_record(published_at=at(date(2026, 4, 19 + i % 4), i % 24), author_id="777",
                            author_name="prolific") for i in range(40)]
    records.append(make_record(published_at=at(date(2026, 4, 21)), author_id=None, author_name=None))
    store.add_records(records)
    add_scores(store, {(r.source, r.id): "negative" if i < 10 or i >= 40 else "neutral"
                       for i, r in enumerate(records)})
    return store


def test_the_overview_share_is_clustered_by_author_from_the_records_and_from_the_snapshot(data_dir, make_record):
    """The share negative's interval counted the prolific author's 40 posts as 40 independent draws."""
    store = _store_with_a_prolific_author(data_dir, make_record)
    f = Filters("case-a")
    with store.connect() as con:
        direct = kpis(con, f, VERSION)
        sums = author_sums(con, f, VERSION)
    # 41 one-post clusters (the record naming no author, negative, is its own) and one of 40
    assert (sums.n, sums.k, sums.authors) == (81, 51, 42)
    assert sums.kk == 11 + 40 * 40 and sums.kn == 11 + 40 * 40 and sums.nn == 41 + 40 * 40
    assert direct["share_negative_deff"] == pytest.approx(sums.design_effect) and sums.design_effect > 3
    assert direct["share_negative_ci"] == pytest.approx(sums.wilson())
    plain = wilson_interval(51, 81)
    assert direct["share_negative_ci"][0] < plain[0] - 0.05 and direct["share_negative_ci"][1] > plain[1]
    snapshot = open_snapshot(store)
    try:
        from_facts = kpis(snapshot, f, VERSION)
        narrow = Filters("case-a", date(2026, 4, 20), date(2026, 4, 21), ("weibo",), ("zh",), ("post",))
        assert author_sums(snapshot, narrow, VERSION) == author_sums(store.connect(), narrow, VERSION)
    finally:
        snapshot.close()
    assert from_facts["share_negative_ci"] == pytest.approx(direct["share_negative_ci"])
    assert from_facts["share_negative_deff"] == pytest.approx(direct["share_negative_deff"])


def test_the_before_after_change_is_clustered_by_author(data_dir, make_record, monkeypatch):
    from analysis.stats import effects

    store = _store_with_a_prolific_author(data_dir, make_record)
    tracker = load_trackers(TRACKERS_MIN)[0]
    shuffled = []

    def recording(before, after, **kw):  # the clustered permutation test, its sides recorded
        shuffled.append((before, after))
        return cluster_permutation_p(before, after, **kw)

    monkeypatch.setattr(effects, "cluster_permutation_p", recording)
    with store.connect() as con:
        row = event_effects(con, Filters("case-a"), tracker, VERSION, window=2, n_boot=200).set_index(
            "event_id").loc["launch"]  # 04-18/19 before, 04-20/21 after
        before = author_sums(con, Filters("case-a", date(2026, 4, 18), date(2026, 4, 19)), VERSION)
        after = author_sums(con, Filters("case-a", date(2026, 4, 20), date(2026, 4, 21)), VERSION)
        sides = [author_counts(con, Filters("case-a", start, end), VERSION)
                 for start, end in ((date(2026, 4, 18), date(2026, 4, 19)), (date(2026, 4, 20), date(2026, 4, 21)))]
    assert row["neg_deff_before"] == pytest.approx(before.design_effect) and before.design_effect > 1
    plain = proportion_effect(before.k, before.n, after.k, after.n)
    assert row["neg_ci_hi"] - row["neg_ci_lo"] > plain["ci_hi"] - plain["ci_lo"]
    # the permutation p shuffles an author's posts of a side as one (the prolific author's 10 of 04-19 are one
    # cluster; the record naming no author, on 04-21, one of its own), not posts
    assert max(sides[0][0]) == 10 and len(sides[1][0]) == 20 + 1 + 1 and (before.n, after.n) == (20, 41)
    clusters = lambda side: sorted(zip(*(np.asarray(x).tolist() for x in side), strict=True))  # (n, k) per author
    assert [clusters(side) for side in sides] in [[clusters(b), clusters(a)] for b, a in shuffled]
    assert 0 < row["neg_p"] <= 1


def _null_sides(rng: np.random.Generator, authors: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Two sides drawn alike: `authors` authors each, log-normal numbers of posts, each author's own negative
    propensity (Beta, mean 0.3, intra-author correlation 0.3)."""
    sides = []
    for _ in range(2):
        n = np.ceil(np.exp(rng.normal(0, 1.2, authors))).astype(int)
        sides.append((n, rng.binomial(n, rng.beta(0.7, 7 / 3 - 0.7, authors))))
    return sides


@pytest.mark.parametrize("authors, max_cells", [(40, 400_000), (150, 0)])
def test_the_clustered_permutation_p_is_uniform_under_no_change_where_the_one_over_posts_is_not(authors, max_cells):
    """With no change at all between the sides, p < 0.05 came out on ~18% of runs with the permutation over posts
    (an author's many posts counted as many draws); shuffling whole authors keeps it near 5%: by Monte Carlo for a
    few authors, by the permutation distribution's normal limit (max_cells 0) for many."""
    rng = np.random.default_rng(40)
    runs, naive, clustered = 300, 0, 0
    for _ in range(runs):
        (nb, kb), (na, ka) = sides = _null_sides(rng, authors)
        naive += proportion_effect(kb.sum(), nb.sum(), ka.sum(), na.sum())["p"] < 0.05
        clustered += cluster_permutation_p(*sides, n_perm=400, rng=rng, max_cells=max_cells) < 0.05
    assert naive / runs > 0.15  # measured 0.177 (40 authors a side) and 0.187 (150)
    assert 0.02 <= clustered / runs <= 0.085  # measured 0.067 and 0.043


def test_the_clustered_permutation_p_is_the_exact_one_over_posts_when_each_author_posted_once():
    before = (np.ones(50, dtype=int), np.array([1] * 15 + [0] * 35))
    after = (np.ones(40, dtype=int), np.array([1] * 22 + [0] * 18))
    assert cluster_permutation_p(before, after) == pytest.approx(proportion_effect(15, 50, 22, 40)["p"])
    # Monte Carlo and the normal limit agree on a clustered comparison
    rng = np.random.default_rng(1)
    sides = _null_sides(rng, 150)
    sides[1] = (sides[1][0], np.minimum(sides[1][0], sides[1][1] + rng.binomial(1, 0.3, 150)))
    mc = cluster_permutation_p(*sides, n_perm=4000, rng=rng, max_cells=10**7)
    assert 0.01 < mc < 0.5
    assert cluster_permutation_p(*sides, max_cells=0) == pytest.approx(mc, abs=0.02)


def _day_with_a_prolific_author(data_dir, make_record, one_author: bool) -> Store:
    """100 scored records on 2026-04-20: 60 one-post authors (20 negative) and 40 negative records, by one author when
    `one_author`, else by 40 authors of their own."""
    store = Store(data_dir)
    records = [make_record(published_at=at(date(2026, 4, 20), i % 24)) for i in range(60)]
    same = {"author_id": "777", "author_name": "prolific"} if one_author else {}
    records += [make_record(published_at=at(date(2026, 4, 20), i % 24), **same) for i in range(40)]
    store.add_records(records)
    add_scores(store, {(r.source, r.id): "negative" if i < 20 or i >= 60 else "neutral"
                       for i, r in enumerate(records)})
    return store


@pytest.mark.parametrize("freq", ["D", "W"])
def test_the_daily_bands_are_clustered_by_author_from_the_records_and_from_the_snapshot(data_dir, make_record, freq):
    """The daily (and weekly) bands counted one author's 40 posts of a day as 40 independent draws: the same band as
    40 authors posting once each."""
    from analysis.stats.timeseries import sentiment_series

    f = Filters("case-a", date(2026, 4, 20), date(2026, 4, 20))
    distinct = _day_with_a_prolific_author(data_dir / "distinct", make_record, one_author=False)
    with distinct.connect() as con:
        plain = sentiment_series(con, f, VERSION, freq=freq).iloc[0]
    assert (plain["negative_lo"], plain["negative_hi"]) == pytest.approx(wilson_interval(60, 100))
    assert plain["negative_deff"] == 1.0
    store = _day_with_a_prolific_author(data_dir / "one", make_record, one_author=True)
    with store.connect() as con:
        row = sentiment_series(con, f, VERSION, freq=freq).iloc[0]
        sums = author_sums(con, f, VERSION)
    assert row["negative"] == plain["negative"] == 0.6
    assert row["negative_deff"] == pytest.approx(sums.design_effect) and sums.design_effect > 3
    assert (row["negative_lo"], row["negative_hi"]) == pytest.approx(sums.wilson())
    assert row["negative_hi"] - row["negative_lo"] > 1.5 * (plain["negative_hi"] - plain["negative_lo"])
    # neutral's band is widened too (the prolific author posted none: the days' neutral shares vary by author)
    assert row["neutral_hi"] - row["neutral_lo"] > plain["neutral_hi"] - plain["neutral_lo"]
    snapshot = open_snapshot(store)
    try:
        from_facts = sentiment_series(snapshot, f, VERSION, freq=freq)
        with store.connect() as con:
            by_source = sentiment_series(con, f, VERSION, by="source", freq=freq)
        assert sentiment_series(snapshot, f, VERSION, by="source", freq=freq).equals(by_source)
    finally:
        snapshot.close()
    with store.connect() as con:
        direct = sentiment_series(con, f, VERSION, freq=freq)
    pd.testing.assert_frame_equal(from_facts, direct)


@pytest.mark.parametrize("column", ["stance", "emotion"])
def test_the_stance_and_emotion_bands_are_clustered_by_author(data_dir, make_record, column):
    """The stance and emotion bands counted one author's 40 posts of a day as 40 independent draws."""
    from analysis.stats.annotation_series import emotion_counts_by_period, stance_counts_by_period
    from tests.analytics_fixtures import add_annotations

    series, value = {"stance": (stance_counts_by_period, "oppose"), "emotion": (emotion_counts_by_period, "anger")}[column]
    f = Filters("case-a", date(2026, 4, 20), date(2026, 4, 20))
    rows = {}
    for one_author in (False, True):
        store = _day_with_a_prolific_author(data_dir / str(one_author), make_record, one_author)
        with store.connect() as con:  # the stance or emotion follows the record's sentiment
            labels = {(source, id_): label for source, id_, label in
                      con.execute("SELECT source, id, label FROM scores").fetchall()}
        add_annotations(store, {k: [] for k in labels}, **{column: {
            k: value if label == "negative" else "neutral" for k, label in labels.items()}})
        with store.connect() as con:
            frame = series(con, f)
        rows[one_author] = frame[frame[column] == value].iloc[0]
    plain, row = rows[False], rows[True]
    assert (plain["records"], plain["n"]) == (row["records"], row["n"]) == (60, 100)
    assert (plain["share_lo"], plain["share_hi"]) == pytest.approx(wilson_interval(60, 100))
    assert row["share_deff"] > 3 and plain["share_deff"] == 1.0
    assert row["share_hi"] - row["share_lo"] > 1.5 * (plain["share_hi"] - plain["share_lo"])


def test_the_sentiment_charts_text_quotes_the_views_share_clustered_by_author(data_dir, make_record):
    """The sentiment chart's text description quoted the view's share negative with the plain Wilson interval, as if
    the prolific author's 40 posts were 40 authors; it now quotes the Overview's interval, clustered by author."""
    from analysis.core.wording import share_text
    from dashboard.charts import registry
    from dashboard.charts.overview import sentiment_alt
    from dashboard.charts.registry import View

    store = _store_with_a_prolific_author(data_dir, make_record)
    view = View(Filters("case-a", date(2026, 4, 19), date(2026, 4, 22)), VERSION)
    chart = registry.get("overview-sentiment")
    with store.connect() as con:
        frame = chart.load(con, view)
        share = kpis(con, view.filters, VERSION)
    alt = sentiment_alt(frame, "case-a", "m")
    assert share_text(51 / 81, share["share_negative_ci"]) in alt
    assert share_text(51 / 81, wilson_interval(51, 81)) not in alt


def _store_with_repeated_authors(data_dir, make_record) -> Store:
    """300 records of 16 authors (by id, by name only, none named) over four weeks, two sources, two languages, every
    kind, two trackers, scored by two model versions: authors post on many days, in several languages and kinds."""
    rng = np.random.default_rng(13)
    authors = [(f"a{i}", f"作者{i}") for i in range(12)] + [(None, f"名{i}") for i in range(4)] + [(None, None)]
    records = []
    for _ in range(300):
        author_id, author_name = authors[min(int(rng.geometric(0.18)) - 1, len(authors) - 1)]
        day = date(2026, 4, 6) + pd.Timedelta(days=int(rng.integers(0, 28)))
        records.append(make_record(
            published_at=at(day, int(rng.integers(0, 24))), source=str(rng.choice(["weibo", "bilibili"])),
            kind=str(rng.choice(["post", "post", "comment", "repost", "article", "trend"])),
            lang=str(rng.choice(["zh", "zh", "en"])), author_id=author_id, author_name=author_name,
            trackers=[["case-a"], ["case-b"], ["case-a", "case-b"]][int(rng.integers(0, 3))]))
    store = Store(data_dir)
    store.add_records(records)
    labels = ("negative", "neutral", "positive")
    add_scores(store, {(r.source, r.id): labels[int(rng.integers(0, 3))] for r in records})
    add_scores(store, {(r.source, r.id): labels[int(rng.integers(0, 3))] for r in records[::2]}, version="test-2")
    return store


def test_the_author_day_facts_give_the_per_author_sums_of_every_view_exactly(data_dir, make_record, monkeypatch):
    """A view's per-author sums grouped facts_author_scores (nearly a row per record) per author on every query; the
    snapshot's author-day facts give the same figures, to the last digit, for the daily and weekly bands, per source,
    and the whole view's share, as the records themselves and the per-author grouping do."""
    from analysis.core.scores import LABELS as SCORE_LABELS
    from analysis.stats import clustered, facts
    from analysis.stats.timeseries import sentiment_series
    from collectors.models import COUNTED_KINDS

    store = _store_with_repeated_authors(data_dir, make_record)
    views = [Filters("case-a"), Filters("case-b", date(2026, 4, 15), date(2026, 4, 29)),
             Filters("case-a", date(2026, 4, 15), date(2026, 4, 29), ("weibo",)),
             Filters("case-a", date(2026, 4, 9), None, ("weibo", "bilibili")), Filters("case-b", None, date(2026, 4, 22)),
             Filters("case-a", date(2026, 4, 16), date(2026, 4, 16)), Filters("case-a", date(2026, 5, 20), date(2026, 5, 30)),
             Filters("case-a", date(2026, 4, 13), date(2026, 4, 26), kinds=tuple(reversed(COUNTED_KINDS))),
             Filters("case-a", date(2026, 4, 15), date(2026, 4, 29), langs=("zh",)),
             Filters("case-b", date(2026, 4, 15), date(2026, 4, 29), kinds=("post", "comment"))]
    queries = [(version, by, freq) for version in (VERSION, "test-2") for by in (None, "source") for freq in ("D", "W")]

    def figures(con) -> list:
        return ([sentiment_series(con, f, version, by=by, freq=freq) for f in views for version, by, freq in queries]
                + [author_sums(con, f, version) for f in views for version in (VERSION, "test-2")]
                + [kpis(con, f)["authors"] for f in views])

    snapshot = open_snapshot(store)
    try:
        summed = [f for f in views if clustered.facts_sums_sql(snapshot, f, VERSION) is not None]
        assert len(summed) == 9  # all but the views choosing other kinds (one language is summed as all are)
        assert [f for f in views if facts.author_count(snapshot, f) is None] == [views[7], views[9]]  # kinds chosen
        fast = figures(snapshot)
        spec = facts.AUTHOR_DAY_FACTS["sentiment"]  # the per-author grouping:
        monkeypatch.setitem(facts.AUTHOR_DAY_FACTS, "sentiment", replace(spec, pairs="no_author_day_facts"))
        grouped = figures(snapshot)
    finally:
        snapshot.close()
    with store.connect() as con:
        direct = figures(con)
    sums = [x for x in fast if isinstance(x, AuthorSums)]
    assert any(s.authors < s.n for s in sums) and any(s.design_effect > 1 for s in sums)  # authors repeat
    assert sum(int(x["n"].sum() > 0) for x in fast if isinstance(x, pd.DataFrame)) == 9 * len(queries)  # one empty
    assert [x for x in fast if isinstance(x, int)] == [x for x in direct if isinstance(x, int)]  # authors
    for one, two, three in zip(fast, grouped, direct, strict=True):
        if isinstance(one, AuthorSums | int):
            assert one == two == three
        else:
            pd.testing.assert_frame_equal(one, two, check_exact=True)
            pd.testing.assert_frame_equal(one, three, check_exact=True)
            assert {f"{lab}_deff" for lab in SCORE_LABELS} <= set(one.columns)


def test_the_stance_and_emotion_author_day_facts_give_the_bands_of_the_records_exactly(data_dir, make_record,
                                                                                      monkeypatch):
    """The stance and emotion bands grouped the annotated records per author and period on every query (seconds at
    1M records); the snapshot's stance and emotion author-day facts give the same frames, to the last digit, daily and
    weekly, for a source, one language, a week cut by the view, as the per-author grouping and the records do."""
    from analysis.core.tables import has_table
    from analysis.stats import clustered, facts
    from analysis.stats.annotation_series import emotion_counts_by_period, stance_counts_by_period
    from collectors.models import SOCIAL_KINDS
    from collectors.trackers import STANCES
    from tests.analytics_fixtures import add_annotations

    store = _store_with_repeated_authors(data_dir, make_record)
    rng = np.random.default_rng(29)
    with store.connect() as con:
        keys = con.execute("SELECT source, id FROM records ORDER BY source, id").fetchall()
    emotions = ("joy", "anger", "happy", "fear", "neutral", "surprise", "sadness", "disgust", "bored", None)

    def annotate(chosen: list, version: str) -> None:  # 'happy' is read as joy, 'bored' names no class
        add_annotations(store, {k: [] for k in chosen}, version=version,
                        stance={k: [*STANCES, None][int(rng.integers(0, 6))] for k in chosen},
                        emotion={k: emotions[int(rng.integers(0, len(emotions)))] for k in chosen})

    annotate(keys, "test-pipeline")
    annotate(keys[::3], "test-pipeline-2")  # the newest annotation of a record counts
    views = [Filters("case-a"), Filters("case-b", date(2026, 4, 15), date(2026, 4, 29)),
             Filters("case-a", date(2026, 4, 15), date(2026, 4, 29), ("weibo",)),
             Filters("case-a", date(2026, 4, 9), None, ("weibo", "bilibili")), Filters("case-b", None, date(2026, 4, 22)),
             Filters("case-a", date(2026, 4, 16), date(2026, 4, 16)), Filters("case-a", date(2026, 5, 20), date(2026, 5, 30)),
             Filters("case-a", date(2026, 4, 15), date(2026, 4, 29), langs=("zh",)),
             Filters("case-b", date(2026, 4, 8), date(2026, 5, 1), langs=("en",)),
             Filters("case-a", date(2026, 4, 15), date(2026, 4, 29), langs=("zh", "en")),
             Filters("case-b", date(2026, 4, 15), date(2026, 4, 29), kinds=("post", "comment"))]
    # the stance chart's views are of social posts (dashboard.charts.voices.posts_only)
    stance_views = [replace(f, kinds=tuple(k for k in SOCIAL_KINDS if not f.kinds or k in f.kinds)) for f in views]

    def figures(con) -> list[pd.DataFrame]:
        return ([stance_counts_by_period(con, f, freq) for f in stance_views for freq in ("D", "W")]
                + [emotion_counts_by_period(con, f, freq) for f in views for freq in ("D", "W")])

    snapshot = open_snapshot(store)
    try:
        for task, chosen in (("stance", stance_views), ("emotion", views)):
            labels = facts.AUTHOR_DAY_FACTS[task].labels
            summed = [f for f in chosen if clustered.facts_sums_sql(snapshot, f, None, "W", labels, task=task)]
            assert len(summed) == 9  # all but several languages, and other kinds than the task's
        fast = figures(snapshot)
        for task in ("stance", "emotion"):  # the per-author grouping of the records
            spec = facts.AUTHOR_DAY_FACTS[task]
            monkeypatch.setitem(facts.AUTHOR_DAY_FACTS, task, replace(spec, pairs="no_author_day_facts"))
        grouped = figures(snapshot)
    finally:
        snapshot.close()
    with store.connect() as con:
        direct = figures(con)
    # empty: the view in May (no record), and the one day's stance (no social post annotated with one)
    assert [i for i, x in enumerate(fast) if not x["n"].sum()] == [10, 11, 12, 13, 34, 35]
    assert any((x["share_deff"] > 1).any() for x in fast)  # authors repeat within a period
    assert any((x["emotion"] == "joy").any() for x in fast if "emotion" in x)
    for one, two, three in zip(fast, grouped, direct, strict=True):
        pd.testing.assert_frame_equal(one, two, check_exact=True)
        pd.testing.assert_frame_equal(one, three, check_exact=True)

    monkeypatch.undo()
    add_annotations(store, {keys[0]: []}, version="test-pipeline-3", stance={keys[0]: "unheard-of"})
    snapshot = open_snapshot(store)  # a stance outside the five stays a key of its own: read from the records
    try:
        assert not has_table(snapshot, facts.AUTHOR_DAY_FACTS["stance"].pairs)
        assert has_table(snapshot, facts.AUTHOR_DAY_FACTS["emotion"].pairs)
        from_snapshot = stance_counts_by_period(snapshot, stance_views[0], "W")
    finally:
        snapshot.close()
    with store.connect() as con:
        pd.testing.assert_frame_equal(from_snapshot, stance_counts_by_period(con, stance_views[0], "W"), check_exact=True)
    assert "unheard-of" in set(from_snapshot["stance"])
