"""Figures the dashboard publishes, recomputed independently from the raw records (a numbers audit)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from analysis.core.filters import Filters
from analysis.stats import aggregate
from collectors.importers.fourcat import fourcat_record
from collectors.sources.bluesky import post_record
from collectors.store import Store
from tests.conftest import REPO

URI = "at://did:plc:fictional0001/app.bsky.feed.post/3kfict0001"


def test_a_bluesky_post_collected_and_also_imported_from_a_4cat_export_counts_once(data_dir) -> None:
    """The same Bluesky post from the collector and from a 4CAT export (its at:// uri as id) is one record, not two:
    the Overview's records and authors counted it twice."""
    collected = post_record({"uri": URI, "author": {"did": "did:plc:fictional0001", "handle": "reader-one.example.test"},
                             "record": {"text": "An AI actress signing with an agency feels wrong to me.",
                                        "createdAt": "2025-09-30T10:00:00Z", "langs": ["en"]},
                             "likeCount": 3}, datetime(2025, 10, 1, tzinfo=UTC), "tilly-norwood")
    imported = fourcat_record({"id": URI, "thread_id": URI, "author": "reader-one.example.test",
                               "author_id": "did:plc:fictional0001", "body": collected.text, "timestamp": 1759226400,
                               "like_count": 3, "languages": "en", "collected_at": "2025-10-02T00:00:00"},
                              datetime(2025, 10, 2, tzinfo=UTC), "tilly-norwood")
    store = Store(data_dir)
    store.add_records([collected, imported])
    with store.connect() as con:
        k = aggregate.kpis(con, Filters("tilly-norwood"))
        volume = aggregate.daily_volume(con, Filters("tilly-norwood"))
    assert (k["records"], k["authors"]) == (1, 1)
    assert volume.groupby("source")["records"].sum().to_dict() == {"bluesky": 1}


def test_hot_search_observations_metric_says_what_it_counts(data_dir) -> None:
    """The page's "Observations" (154 for iQIYI) counted 63 snapshots marking a topic gone, yet its help called them
    all sightings on the list; the table beside it counts only the 91 listings ("snapshots listing it")."""
    import pandas as pd
    import pyarrow.parquet as pq
    from streamlit.testing.v1 import AppTest

    from collectors.hot_search import ingest_excerpt
    from collectors.trackers import get_tracker

    store = Store(data_dir)
    ingest_excerpt(store)
    tracker = get_tracker("iqiyi-nadou")
    f = Filters.for_tracker(tracker)
    raw = pd.concat([pq.read_table(p).to_pandas() for p in store.files("trend_observations")])
    raw = raw[raw["trackers"].map(lambda t: tracker.id in list(t))]
    raw["day"] = pd.to_datetime(raw["observed_at"], utc=True).dt.tz_convert("Asia/Shanghai").dt.date
    raw = raw[(raw["day"] >= f.start) & (raw["day"] <= f.end)]
    intraday = set(raw.loc[raw["snapshot"].str.startswith("intraday/"), "day"])
    raw = raw[~(raw["snapshot"].str.startswith("daily/") & raw["day"].isin(intraday))]
    gone = int((raw["status"] == "gone").sum())
    listed = len(raw) - gone

    at = AppTest.from_file(str(REPO / "dashboard" / "app_pages" / "hot_search.py"), default_timeout=60)
    at.session_state["filters"] = f
    at.session_state["store_signature"] = store.signature()
    at.run()
    observations = next(m for m in at.metric if m.label == "Observations")
    assert observations.value == f"{listed + gone:,}"
    assert f"{listed:,} listing" in observations.help and f"{gone:,} marking" in observations.help
    table = next(d.value for d in at.dataframe if "snapshots listing it" in d.value)
    assert int(table["snapshots listing it"].sum()) == listed


def test_event_effect_wording_states_a_change_its_own_shares_add_up_to() -> None:
    """"17% of 30 scored before, 42% of 759 after" beside "+26 percentage points" (16.7% → 42.4%): a reader subtracting
    the shares the sentence gives got 25. The shares and the change are now given at a precision where they agree."""
    import re

    import pandas as pd

    from analysis.stats.effects import EFFECT_COLUMNS
    from dashboard.charts.timeline import effects_alt

    rows = []
    for before, after in ((5 / 30, 0.4242), (0.526, 0.522), (0.40, 0.50), (0.3349, 0.6651)):
        row = dict.fromkeys(EFFECT_COLUMNS, float("nan"))
        row.update(event_id="e", date="2026-04-20", title="An event", kind="launch", volume_before=10.0,
                   volume_after=20.0, volume_diff=10.0, neg_before=before, neg_after=after, neg_diff=after - before,
                   neg_ci_lo=after - before - 0.12, neg_ci_hi=after - before + 0.12, neg_n_before=30, neg_n_after=759)
        rows.append(row)
    alt = effects_alt(pd.DataFrame(rows, columns=EFFECT_COLUMNS), "A case")
    said = re.findall(r"negative share ([+-][\d.]+) percentage points \(95% CI [+-][\d.]+ to [+-][\d.]+; ([\d.]+)% of 30 "
                      r"scored before, ([\d.]+)% of 759 after\)", alt)
    assert len(said) == 4, alt
    for diff, before, after in said:
        assert round(float(after) - float(before), 3) == float(diff), (diff, before, after)
    assert "17% of 30" not in alt and "-0 percentage" not in alt
    assert "40% of 30 scored before, 50% of 759 after" in alt and "+10 percentage points" in alt  # whole when they agree


def test_label_page_counts_skips_as_labels_nowhere(tmp_path, monkeypatch) -> None:
    """"Labelled by you" left skips out but "Labels on this tracker" counted them: one annotator with 2 labels and a
    skip read "Labelled by you 2 · Labels on this tracker 3". Both now count labels (labelled or unsure) only."""
    import pyarrow as pa
    from streamlit.testing.v1 import AppTest

    from analysis.core.labels import LABELS, LABELS_SCHEMA

    monkeypatch.setenv("ACTORWATCH_DATA", str(tmp_path))
    store = Store(tmp_path)
    rows = [{"tracker": "iqiyi-nadou", "item": f"weibo:{i}", "annotator": who, "status": status,
             "sentiment": None if status == "skip" else "negative", "labelled_at": datetime(2026, 5, 1, i, tzinfo=UTC)}
            for i, (who, status) in enumerate([("ann", "labelled"), ("ann", "unsure"), ("ann", "skip"), ("bo", "skip")])]
    table = pa.Table.from_pylist([{n: r.get(n) for n in LABELS_SCHEMA.names} for r in rows], schema=LABELS_SCHEMA)
    from analysis.core.labels import LABELS_SPEC
    store.add_table(LABELS, table, LABELS_SPEC)
    at = AppTest.from_file(str(REPO / "dashboard" / "app_pages" / "label.py"), default_timeout=60)
    at.session_state["filters"] = Filters("iqiyi-nadou")
    at.session_state["store_signature"] = store.signature()
    at.session_state["label-annotator"] = "ann"
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Labelled by you"] == "2"
    assert metrics["Labels on this tracker"] == "2" and metrics["Annotators"] == "1"


def test_overview_peaks_are_the_datas_not_the_date_ranges(data_dir, make_record) -> None:
    """A day that rose far above the 7 days before it is a peak whether or not the view's dates include those days:
    with the range starting on the storm (04-21 to 04-25) the Overview labelled no peak at all, since its baseline was
    read from the view's days only (fewer than 3 before the storm); with the range ending on the storm's first day
    (to 04-20) it labelled 04-20, the run's best day (04-21) being cut off. The stored days around the view are read
    now, and a peak is labelled where it falls in the view."""
    from datetime import date, timedelta

    from collectors.trackers import get_tracker
    from dashboard.charts.overview import peak_labels
    from tests.analytics_fixtures import records_per_day

    counts = {date(2026, 4, 10) + timedelta(days=i): 10 for i in range(10)}
    counts.update({date(2026, 4, 20): 40, date(2026, 4, 21): 100, date(2026, 4, 22): 60, date(2026, 4, 23): 30,
                   date(2026, 4, 24): 15, date(2026, 4, 25): 10})
    store = Store(data_dir)
    store.add_records(records_per_day(make_record, counts, trackers=["iqiyi-nadou"]))
    tracker = get_tracker("iqiyi-nadou")

    def peaks(start: date, end: date) -> list[tuple[date, int]]:
        with store.connect() as con:
            found = peak_labels(con, Filters("iqiyi-nadou", start, end), tracker)
        return list(zip(found["day"], found["records"], strict=True))

    assert peaks(date(2026, 4, 10), date(2026, 4, 25)) == [(date(2026, 4, 21), 100)]
    assert peaks(date(2026, 4, 21), date(2026, 4, 25)) == [(date(2026, 4, 21), 100)]
    assert peaks(date(2026, 4, 10), date(2026, 4, 20)) == []  # the storm's peak is after the view


def test_overview_share_negative_of_an_empty_view_does_not_say_run_enrich(data_dir, make_record) -> None:
    """A view with no record (dates away from the storm) showed "Share negative –" with the help "No scored records:
    run `actorwatch enrich`" though every stored record is scored; it now says what the chart beside it says."""
    from streamlit.testing.v1 import AppTest

    from tests.analytics_fixtures import add_scores, at

    store = Store(data_dir)
    records = [make_record(published_at=at(datetime(2026, 4, 20).date()), trackers=["iqiyi-nadou"]) for _ in range(3)]
    store.add_records(records)
    add_scores(store, {(r.source, r.id): "negative" for r in records})
    app = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=120)
    app.query_params["from"], app.query_params["to"] = "2026-05-01", "2026-05-02"
    app.run()
    share = next(m for m in app.metric if m.label == "Share negative")
    assert share.value == "–"
    assert "enrich" not in share.help and "selected range" in share.help


def test_statement_timeline_alt_counts_in_words_that_agree_with_the_number() -> None:
    """The Industry page's statement timeline read "Timeline of 1 curated, sourced statements … by 1 speakers"."""
    import pandas as pd

    from dashboard.charts.voices import statements_alt

    one = pd.DataFrame({"date": ["2026-04-02"], "who": ["A union"], "stance": ["oppose"]})
    alt = statements_alt(one, "X")
    assert "1 curated, sourced statement about" in alt and "by 1 speaker;" in alt, alt
    two = pd.concat([one, one.assign(date="2026-04-03")])
    assert "2 curated, sourced statements about" in statements_alt(two, "X")


def test_weekly_alt_texts_say_when_a_named_week_is_cut_by_the_view() -> None:
    """With the iQIYI window (Friday 04-10 to Monday 05-25) the weekly sentiment alt named "the week of 2026-04-06 at
    60%" for a share over 04-10 to 04-12 only (the store holds that week's Monday to Thursday too); a week the view's
    dates cut is now said to be only its days in view, in the sentiment and the stance/emotion alt texts."""
    from datetime import date

    import pandas as pd

    from dashboard.charts.overview import sentiment_alt
    from dashboard.charts.style import shares_alt

    f = Filters("iqiyi-nadou", date(2026, 4, 10), date(2026, 5, 25))
    weeks = [date(2026, 4, 6), date(2026, 4, 13)]
    df = pd.DataFrame({"day": weeks, "n": [40, 50], "negative": [0.6, 0.4], "negative_lo": [0.4, 0.3],
                       "negative_hi": [0.7, 0.5], "neutral": [0.2, 0.3], "positive": [0.2, 0.3]})
    alt = sentiment_alt(df, "X", "m", "week", f)
    assert "the week of 2026-04-06 (only 2026-04-10 to 2026-04-12 in view) at 60% of 40" in alt, alt
    full = sentiment_alt(df.assign(negative=[0.3, 0.4]), "X", "m", "week", f)
    assert "the week of 2026-04-13 at 40% of 50" in full, full
    stance = pd.DataFrame({"period": weeks, "stance": ["oppose", "oppose"], "records": [24, 20], "n": [40, 50],
                           "share": [0.6, 0.4], "share_lo": [0.4, 0.3], "share_hi": [0.7, 0.5]})
    said = shares_alt(stance, "stance", "stance", "X", "m", "week", f)
    assert "in the week of 2026-04-06 (only 2026-04-10 to 2026-04-12 in view)" in said, said


def test_alt_texts_never_round_a_mixed_share_to_0_or_100_percent() -> None:
    """1 negative record in 250 read "0% were negative" and 249 in 250 "100%" in the sentiment, negative-share, shares
    and frames alt texts (whole-percent rounding); they now say "under 1%" and "over 99%", as share_text does."""
    import pandas as pd

    from dashboard.charts.overview import sentiment_alt
    from dashboard.charts.style import shares_alt
    from dashboard.charts.timeline import negative_share_alt
    from dashboard.charts.topics import frames_alt

    for negative, words in ((1 / 250, "under 1%"), (249 / 250, "over 99%")):
        df = pd.DataFrame({"day": ["2026-04-19"], "period": ["2026-04-19"], "n": [250], "negative": [negative]})
        alts = [sentiment_alt(df, "X", "m"), negative_share_alt(df, [], "X", "m")]
        mix = pd.DataFrame({"period": ["2026-04-19"] * 2, "label": ["negative", "positive"], "n": [250, 250],
                            "records": [round(250 * negative), 250 - round(250 * negative)],
                            "share": [negative, 1 - negative]})
        alts.append(shares_alt(mix, "label", "sentiment", "X", "m", "day"))
        frames = pd.DataFrame({"period": ["2026-04-19"], "frame": ["consent"], "records": [round(250 * negative)],
                               "n": [250], "share": [negative], "share_lo": [0.0], "share_hi": [1.0]})
        alts.append(frames_alt(frames, {"consent": "Consent"}, "X"))
        for alt in alts:
            point_shares = re.sub(r"\(95% CI [^)]*\)", "", alt)  # an interval's bounds are not the share itself
            assert words in alt and not re.search(r"\b(0|100)%", point_shares), alt


def test_the_briefs_shares_never_round_a_mixed_share_to_0_or_100_percent() -> None:
    """The weekly brief's shares ("0% of 250 scored records negative" for 1 of them) use share_text too."""
    from analysis.reports.brief import _pct, _share_of

    assert (_pct(1 / 250), _share_of(249 / 250, 250), _pct(0.0), _pct(None)) == ("under 1%", "over 99% of 250", "0%", "–")
