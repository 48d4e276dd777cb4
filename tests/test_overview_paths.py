"""The Overview's quicker paths (issue 13: a filter change) give the numbers of the plain definitions they replace."""

from __future__ import annotations

import warnings
from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.core.filters import Filters
from analysis.stats import peaks, timeseries
from collectors.store import Store
from collectors.trackers import Tracker, get_tracker
from dashboard import snapshot
from tests.analytics_fixtures import records_per_day

TRACKER = "iqiyi-nadou"  # collection window 2026-04-10 to 2026-05-25


def _peak_series(con, f: Filters, tracker: Tracker) -> tuple[pd.Series, set[date]]:
    """The series peaks are detected on and its unknown days, as peak_labels read them before (three queries)."""
    stored = timeseries.stored_span(con, f, tracker)
    series_f = f
    if f.start and f.end and stored.start <= stored.end:
        series_f = replace(f, start=max(f.start - timedelta(days=peaks.HISTORY_DAYS), stored.start),
                           end=max(f.end, stored.end))
    elif f.start:
        series_f = replace(f, start=max(f.start, stored.start))
    return (peaks.series_by_day(timeseries.volume_series(con, series_f), "records"),
            peaks.uncollected_days(con, series_f))


@pytest.fixture
def storm_store(data_dir, make_record) -> Store:
    """Weibo with a storm and a five-day collection gap; news every day, some of it English; comments on Bilibili."""
    store = Store(data_dir)
    records = []
    for i in range(40):
        day = date(2026, 4, 10) + timedelta(days=i)
        weibo = 0 if 12 <= i <= 16 else 200 if i == 25 else 90 if i == 26 else 20 + i % 4
        records += records_per_day(make_record, {day: weibo}, trackers=[TRACKER])
        records += records_per_day(make_record, {day: 8 + i % 3}, trackers=[TRACKER], source="rss")
        records += records_per_day(make_record, {day: 6 if i in (25, 26) else 2}, trackers=[TRACKER], source="rss",
                                   text="A plain English sentence about the platform", lang="en")
        records += records_per_day(make_record, {day: 3}, trackers=[TRACKER], source="bilibili", kind="comment")
    store.add_records(records)
    return store


VIEWS = [Filters(TRACKER, date(2026, 4, 10), date(2026, 5, 25)), Filters(TRACKER, date(2026, 4, 30), date(2026, 5, 8)),
         Filters(TRACKER, date(2026, 4, 1), date(2026, 4, 20), ("weibo",)), Filters(TRACKER, date(2026, 5, 1), date(2026, 5, 3), ("rss",)),
         Filters(TRACKER, date(2026, 4, 15), date(2026, 5, 10), langs=("en",)),
         Filters(TRACKER, date(2026, 4, 15), date(2026, 5, 10), ("weibo", "bilibili"), kinds=("comment",)),
         Filters(TRACKER, date(2026, 6, 1), date(2026, 6, 30)), Filters(TRACKER, date(2026, 3, 1), date(2026, 3, 20)),
         Filters(TRACKER, date(2026, 4, 10), date(2026, 5, 25), ("bilibili",))]


@pytest.mark.parametrize("on_snapshot", [True, False])
def test_peak_labels_in_one_pass_read_the_series_the_three_queries_read(storm_store, on_snapshot, monkeypatch):
    """peak_labels reads the stored span, the gaps and the totals from one by-source series: the days it judges, the
    days it leaves out and the peaks it labels are those of the three series it read before, view by view."""
    from dashboard.charts import overview

    tracker = get_tracker(TRACKER)
    seen: list[tuple[pd.Series, set[date]]] = []
    detect, without = peaks.detect_peaks, peaks.without_days
    monkeypatch.setattr(peaks, "without_days", lambda series, days: seen.append((series, days)) or without(series, days))
    monkeypatch.setattr(peaks.facts, "record_count", lambda *a: pytest.fail("a peak's count asked again"))
    con = snapshot.open_snapshot(storm_store) if on_snapshot else storm_store.connect()
    try:
        for f in VIEWS:
            seen.clear()
            shown = overview.peak_labels(con, f, tracker)
            series, unknown = _peak_series(con, f, tracker)
            assert len(seen) == 1, f
            pd.testing.assert_series_equal(seen[0][0], series, check_names=False, obj=str(f))
            assert seen[0][1] == unknown, f
            found = detect(without(series, unknown))
            in_view = [d for d in found["day"] if f.start <= d <= f.end]
            assert list(shown["day"]) == in_view, f
            # each peak's count is its day's in the series it was found in (not asked again): the day's records
            for day, records in zip(shown["day"], shown["records"], strict=True):
                where, params = replace(f, start=day, end=day).where("r")
                assert records == con.execute(f"SELECT count(*) FROM records r WHERE {where}", params).fetchone()[0]
        assert any(unknown for f in VIEWS[:1] for _s, unknown in [_peak_series(con, f, tracker)])  # the gap is seen
        assert len(overview.peak_labels(con, VIEWS[0], tracker)) >= 1  # and the storm labelled
    finally:
        con.close()


@pytest.mark.parametrize("on_snapshot", [True, False])
def test_the_volume_bars_read_from_the_peaks_series_are_the_daily_volume(storm_store, on_snapshot, monkeypatch):
    """The Overview's bars come from the by-source series its peaks read (one query less a view): the frame
    aggregate.daily_volume gives, view by view (a source silent in the view's days, days without records, views
    outside the stored days), and the same peaks; with languages or kinds chosen the bars are daily_volume's own."""
    from analysis.stats import aggregate
    from dashboard.charts import overview
    from dashboard.charts.registry import View

    tracker = get_tracker(TRACKER)
    queried: list[Filters] = []
    daily = aggregate.daily_volume
    monkeypatch.setattr(aggregate, "daily_volume", lambda con, f: queried.append(f) or daily(con, f))
    con = snapshot.open_snapshot(storm_store) if on_snapshot else storm_store.connect()
    views = [*VIEWS, Filters(TRACKER, date(2026, 4, 20), date(2026, 4, 24), ("bilibili", "weibo")),
             Filters(TRACKER, date(2026, 5, 18), date(2026, 5, 25), ("weibo",))]
    try:
        for f in views:
            queried.clear()
            loaded = overview._load_volume(con, View(f))
            expected = daily(con, f)
            pd.testing.assert_frame_equal(loaded, expected, obj=str(f))
            assert loaded.attrs["peaks"] == overview.peak_labels(con, f, tracker).to_dict("records"), f
            assert queried == ([f] if f.langs or f.kinds else []), f
    finally:
        con.close()


@given(st.lists(st.tuples(st.integers(0, 20), st.sampled_from(["weibo", "rss", "bilibili", None]), st.integers(0, 300)),
                max_size=40), st.booleans())
def test_records_by_source_are_the_pivot_tables(rows, as_timestamps):
    """The per-source day counts the gap and stop rules read (in plain arrays now) are pandas' pivot table of the
    frame, summed, with 0 where a source has no row: the same days, sources, counts and number types."""
    start = pd.Timestamp(2026, 4, 1)
    frame = pd.DataFrame({"period": [start + pd.Timedelta(days=d) if as_timestamps else (start + pd.Timedelta(days=d)).date()
                                     for d, _, _ in rows],
                          "source": [s for _, s, _ in rows], "records": [n for _, _, n in rows]}).astype({"records": "int64"})
    counts, days = peaks._records_by_source(frame, "period")
    pivot = frame.pivot_table(index="period", columns="source", values="records", aggfunc="sum", fill_value=0)
    assert days == [peaks._as_date(d) for d in pivot.index]
    assert list(counts) == list(pivot.columns)
    for source, values in counts.items():
        assert values.dtype == pivot[source].to_numpy().dtype and values.tolist() == pivot[source].tolist()


@pytest.mark.parametrize("on_snapshot", [True, False])
def test_peak_labels_from_the_texts_alone_are_the_full_summaries_labels(data_dir, make_record, on_snapshot):
    """The Overview labels a peak from the day's most-shared texts read alone (texts_only): the same terms, count and
    top text (masked as in records_public) as the full summaries give, whatever the view's sources, with titles,
    mentions of ordinary users and ties in shares."""
    from datetime import UTC, datetime

    store, day = Store(data_dir), date(2026, 4, 20)
    texts = ["@路人甲 说这部剧的AI演员太假了", "AI演员合同争议持续发酵 @某网友", "平台回应AI演员争议", "爱奇艺 纳豆 AI 演员"]
    records = [make_record(text=texts[i % 4], published_at=datetime(2026, 4, 20, i % 24, tzinfo=UTC),
                           trackers=[TRACKER], shares=(i * 7) % 5, likes=i % 3,
                           source=("weibo", "rss", "bilibili")[i % 3],
                           **({"kind": "article", "title": f"标题 {i} AI演员"} if i % 3 == 1 else {}))
               for i in range(60)]
    store.add_records(records)
    con = snapshot.open_snapshot(store) if on_snapshot else store.connect()
    try:
        for sources in ((), ("weibo",), ("rss",), ("weibo", "bilibili")):
            f = Filters(TRACKER, day, day, sources)
            one_peak = pd.DataFrame({"day": [day]})
            full = peaks.label_peaks(con, f, one_peak, k=3, n_records=2, max_texts=25)
            quick = peaks.label_peaks(con, f, one_peak, k=3, n_records=2, max_texts=25, texts_only=True)
            assert list(quick["records"]) == list(full["records"]) and list(quick["top_terms"]) == list(full["top_terms"])
            assert [[r["text"] for r in top] for top in quick["top_records"]] == \
                [[r["text"] for r in top] for top in full["top_records"]]
            assert "路人甲" not in str(list(quick["top_records"])) and full["top_records"][0]
    finally:
        con.close()


@given(st.lists(st.one_of(st.none(), st.integers(0, 400), st.floats(0, 1, allow_nan=False)), max_size=40),
       st.integers(1, 9), st.integers(1, 5))
def test_rolling_mad_is_the_rolling_nanmedian_it_replaces(values, window, min_periods):
    """Peak scores' noise (the median absolute deviation of the days before each, NaNs left out) computed for all
    windows at once is, to the bit, the rolling apply of np.nanmedian it replaces."""
    import numpy as np

    series = pd.Series([np.nan if v is None else float(v) for v in values], dtype=float)
    min_periods = min(min_periods, window)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nanmedian of an all-NaN window
        expected = series.rolling(window, min_periods=min_periods).apply(
            lambda w: np.nanmedian(np.abs(w - np.nanmedian(w))), raw=True).to_numpy()
    got = peaks._rolling_mad(series.to_numpy(), window, min_periods)
    assert np.array_equal(got, expected, equal_nan=True)


def _flag_with_pandas(scored: pd.DataFrame, threshold: float, merge: bool, bridge: int = 0) -> pd.DataFrame:
    """peaks._flag as it was written, with pandas' groupby (the reference the array version is compared with)."""
    scored = scored.assign(day=[peaks._as_date(d) for d in scored.index])
    flagged = scored[scored["score"] >= threshold]
    if flagged.empty:
        return pd.DataFrame(columns=[*peaks.PEAK_COLUMNS, "run_start", "run_end"])
    flagged = flagged.assign(run_start=flagged["day"], run_end=flagged["day"])
    if merge:
        positions = pd.Series(range(len(scored)), index=scored.index)[flagged.index]
        run = (positions.diff() > 1 + bridge).cumsum().to_numpy()
        days = flagged.groupby(run)["day"]
        flagged = flagged.assign(run_start=days.transform("min").to_numpy(), run_end=days.transform("max").to_numpy())
        flagged = flagged.loc[flagged.groupby(run)["score"].idxmax()]
    return flagged[[*peaks.PEAK_COLUMNS, "run_start", "run_end"]].sort_values("day").reset_index(drop=True)


@given(st.lists(st.tuples(st.integers(0, 3), st.one_of(st.none(), st.integers(0, 400))), min_size=0, max_size=60),
       st.sampled_from([1.0, 2.0, 3.5]), st.booleans(), st.integers(0, 2), st.booleans())
def test_peaks_flagged_with_arrays_are_the_groupby_peaks(steps, threshold, merge, bridge, shuffled):
    """detect_peaks' and share_jumps' flagging of high days, merged into runs with arrays, is the pandas groupby it
    replaces (7 of a peak detection's 10 ms): days with gaps (uncollected days left out), ties, missing scores."""
    import numpy as np

    day, index, values = date(2026, 3, 1), [], []
    for gap, value in steps:
        day += timedelta(days=1 + gap)
        index.append(day)
        values.append(np.nan if value is None else float(value))
    series = pd.Series(values, index=index, dtype=float)
    scored = peaks.robust_scores(series, min_scale=1.0)
    scored.loc[scored.index[::7], "score"] = threshold  # ties at the threshold itself
    if shuffled:  # rows out of day order: the runs are of positions, the peaks listed by day
        scored = scored.iloc[np.random.default_rng(len(steps)).permutation(len(scored))]
    pd.testing.assert_frame_equal(peaks._flag(scored, threshold, merge, bridge),
                                  _flag_with_pandas(scored, threshold, merge, bridge))


def test_detecting_peaks_groups_no_frame(monkeypatch):
    """The runs of high days are merged with arrays, not pandas' groupby (~7 of a detection's ~10 ms)."""
    def refused(*args, **kwargs):
        raise AssertionError("a groupby")

    monkeypatch.setattr(pd.DataFrame, "groupby", refused)
    monkeypatch.setattr(pd.Series, "groupby", refused)
    days = [date(2026, 4, 1) + timedelta(days=i) for i in range(30)]
    found = peaks.detect_peaks(pd.Series([20.0] * 20 + [300.0, 200.0] + [20.0] * 8, index=days))
    assert found[["day", "run_start", "run_end"]].values.tolist() == [[days[20], days[20], days[21]]]


def _shares_one_column_at_a_time(frame: pd.DataFrame) -> pd.DataFrame:
    """add_shares as it was written: each label's share, band and design effect set on the frame one by one."""
    import numpy as np

    from analysis.core.scores import LABELS
    from analysis.stats import clustered

    n = frame["n"].to_numpy()
    for label in LABELS:
        k = frame[f"k_{label}"].to_numpy()
        deff = (clustered.design_effects(n, k, frame["authors"], frame[f"kk_{label}"], frame[f"kn_{label}"],
                                         frame["nn"]) if "authors" in frame else np.ones(len(frame)))
        lo, hi = timeseries.wilson_interval(k / deff, n / deff)
        with np.errstate(invalid="ignore", divide="ignore"):
            frame[label] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
        frame[f"{label}_lo"], frame[f"{label}_hi"], frame[f"{label}_deff"] = lo, hi, deff
    return frame


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60), st.integers(1, 60)), max_size=30),
       st.booleans())
def test_shares_joined_at_once_are_the_shares_set_one_by_one(rows, by_author):
    """The daily shares, bands and design effects add_shares now joins to the frame at once are, to the bit and in the
    same column order, those it set one column at a time."""
    import numpy as np

    n = np.array([sum(r[:3]) for r in rows], dtype="int64")
    frame = pd.DataFrame({"period": range(len(rows)), "n": n, "k_negative": [r[0] for r in rows],
                          "k_neutral": [r[1] for r in rows], "k_positive": [r[2] for r in rows]}).astype("int64")
    if by_author:
        authors = np.minimum(n, [r[3] for r in rows])
        frame = frame.assign(authors=authors, nn=n * n // np.maximum(authors, 1),
                             **{f"kk_{lab}": frame[f"k_{lab}"] ** 2 for lab in ("negative", "neutral", "positive")},
                             **{f"kn_{lab}": frame[f"k_{lab}"] * n for lab in ("negative", "neutral", "positive")})
    pd.testing.assert_frame_equal(timeseries.add_shares(frame.copy()), _shares_one_column_at_a_time(frame.copy()),
                                  check_exact=True)


# ---- the Overview's figures, built from dicts at once, are the figures the layout updates made ----

def _legend_below_before(fig, plot_px=300, axis_px=110):
    """style.legend_below as it was written before foot_layout (the reference the figures are compared with)."""
    shown = fig.layout.showlegend if fig.layout.showlegend is not None else len(fig.data) > 1
    entries = sum((t.name or "").count("<br>") + 1 for t in fig.data if t.showlegend is not False) if shown else 0
    scales = [t for t in fig.data if t.type == "heatmap"]
    plot = max(200, plot_px)
    lines = entries + (1 if fig.layout.legend.title.text else 0)
    foot = axis_px + (20 * lines + 10 if entries else 0) + (60 if scales else 0)
    below = {"x": 0, "xanchor": "left", "y": -axis_px / plot, "yanchor": "top"}
    for scale in scales:
        scale.colorbar.update(orientation="h", thickness=12, len=1, lenmode="fraction", **below)
    top = fig.layout.margin.t if fig.layout.margin.t is not None else 60
    fig.update_layout(height=plot + top + foot, margin={"t": top, "r": 20, "l": 10, "b": foot},
                      yaxis={"automargin": True}, xaxis={"automargin": True},
                      legend={"orientation": "v", "tracegroupgap": 0, **below})
    return fig


def _overview_figure_before(kind, df, events, title, start, end, peaks=(), x_title=None):
    """The Overview's chart as the figure was drawn before: traces, then one layout update per helper (and one
    add_annotation per peak), then the title wrapped as registry.package wraps it."""
    import plotly.graph_objects as go

    from dashboard.charts import style

    if kind == "volume":
        colours, patterns = style.source_colours(df["source"].unique()), style.source_patterns(df["source"].unique())
        fig = go.Figure([{"type": "bar", "x": pd.to_datetime(part["day"]), "y": part["records"], "name": str(source),
                          "marker": {"color": colours[str(source)], "pattern": {"shape": patterns[str(source)]}}}
                         for source, part in df.groupby("source", sort=True)])
        fig.update_layout(barmode="stack", title=title, xaxis_title="day (UTC)", yaxis_title="records",
                          legend_title="source", hovermode="x unified")
    else:
        x, traces = pd.to_datetime(df["day"]), []
        for n, (label, colour) in enumerate(style.SENTIMENT_COLOURS.items()):
            traces.append({"type": "scatter", "x": pd.concat([x, x[::-1]]),
                           "y": pd.concat([df[f"{label}_hi"], df[f"{label}_lo"][::-1]]), "fill": "toself",
                           "fillcolor": style.rgba(colour, 0.15), "line": {"width": 0}, "hoverinfo": "skip",
                           "showlegend": False, "name": f"{label} 95% CI"})
            traces.append({"type": "scatter", "x": x, "y": df[label], "mode": "lines+markers", "name": label,
                           "line": {"color": colour, "width": 2, "dash": style.DASHES[n]}, "marker": {"size": 4},
                           "customdata": df["n"],
                           "hovertemplate": "%{y:.0%} of %{customdata} scored<extra>" + label + "</extra>"})
        fig = go.Figure(traces)
        fig.update_layout(title=title, xaxis_title="day (UTC)", yaxis_title="share of scored records",
                          yaxis={"tickformat": ".0%", "range": [0, 1]}, legend_title="sentiment", hovermode="x unified")
    _legend_below_before(fig)
    style.add_events(fig, events, start, end)
    if 0 < pd.Series(df["day"]).nunique() <= 14:
        fig.update_xaxes(dtick=86_400_000, tickformat="%b %d")
    for peak in peaks:
        fig.add_annotation(x=pd.Timestamp(peak["day"]), y=float(peak["records"]), text=style.plain(peak["label"], 48),
                           showarrow=True, arrowhead=2, ax=60, ay=45, xanchor="left", font={"size": 10, "color": "#000000"},
                           bgcolor="rgba(240,228,66,0.85)", bordercolor="#000000", borderwidth=0.5,
                           hovertext=("Most-shared record: " + style.plain(peak["top_record"], 160))
                           if peak.get("top_record") else None)
    if x_title:
        fig.update_xaxes(title=x_title)
    style.wrap_title(fig)
    return fig


def _sent(fig) -> str:
    """The figure as Streamlit sends it (st.plotly_chart: plotly.io.to_json of its dict, unvalidated)."""
    import plotly.io

    return plotly.io.to_json(fig.to_dict(), validate=False)


LONG_TITLE = ("Daily records by source — iQIYI AI Artist Library / Nadou Pro controversy <b>&</b> a very long tail of "
              "words to wrap")


@pytest.mark.parametrize("days", [5, 40])
@pytest.mark.parametrize("title", ["Daily records — short", LONG_TITLE])
@pytest.mark.parametrize("with_events", [True, False])
def test_overview_figures_built_at_once_are_the_figures_the_layout_updates_made(days, title, with_events, monkeypatch):
    import json

    from dashboard.charts import overview

    monkeypatch.setattr(overview, "zone_short", lambda: "UTC")
    first = date(2026, 4, 10)
    dates = [first + timedelta(days=i) for i in range(days)]
    events = get_tracker(TRACKER).events if with_events else []
    start, end = dates[2], dates[-1]
    volume = pd.DataFrame({"day": [d for d in dates for _ in range(2)], "source": ["weibo", "rss"] * days,
                           "records": [(i * 7) % 23 for i in range(2 * days)]})
    peaks = [{"day": dates[3], "records": 40, "label": "术语 · <i>term</i>", "top_record": "a <b>record</b>"},
             {"day": dates[-1], "records": 9, "label": "x" * 60, "top_record": ""}]
    shares = {}
    for k, label in enumerate(["negative", "neutral", "positive"]):
        share = pd.Series([((i + k) % 5) / 10 for i in range(days)])
        shares.update({label: share, f"{label}_lo": share - 0.05, f"{label}_hi": share + 0.05})
    sentiment = pd.DataFrame({"day": dates, "n": [30 + i for i in range(days)], **shares})
    cases = [(overview.volume_chart(volume, events, title, start, end, peaks),
              _overview_figure_before("volume", volume, events, title, start, end, peaks)),
             (overview.volume_chart(volume, events, title, start, end),
              _overview_figure_before("volume", volume, events, title, start, end)),
             (overview.sentiment_chart(sentiment, events, title, start, end),
              _overview_figure_before("sentiment", sentiment, events, title, start, end)),
             (overview.sentiment_chart(sentiment, events, title, start, end, "week (UTC, starting Monday)"),
              _overview_figure_before("sentiment", sentiment, events, title, start, end,
                                      x_title="week (UTC, starting Monday)"))]
    for new, before in cases:
        assert json.loads(_sent(new)) == json.loads(_sent(before))


def test_drawing_an_overview_chart_updates_no_layout(monkeypatch):
    """Each layout update re-validates the whole layout: the Overview's figures are built at once (a filter change
    draws two of them)."""
    import plotly.graph_objects as go

    from dashboard.charts import overview, registry

    def refused(*args, **kwargs):
        raise AssertionError("a layout update")

    monkeypatch.setattr(go.Figure, "update_layout", refused)
    monkeypatch.setattr(go.Figure, "add_annotation", refused)
    monkeypatch.setattr(go.Figure, "update_xaxes", refused)
    dates = [date(2026, 4, 20) + timedelta(days=i) for i in range(3)]
    tracker = get_tracker(TRACKER)
    view = registry.View(Filters(TRACKER, dates[0], dates[-1]), "v1")
    volume = pd.DataFrame({"day": dates, "source": ["weibo"] * 3, "records": [3, 40, 22]})
    volume.attrs["peaks"] = [{"day": dates[1], "records": 40, "label": "a · b", "top_record": "text"}]
    shares = {f"{label}{end}": [0.3, 0.4, 0.3] for label in ("negative", "neutral", "positive") for end in ("", "_lo", "_hi")}
    sentiment = pd.DataFrame({"day": dates, "n": [40, 50, 60], **shares})
    model = {"label": "m", "name": "m", "version": "v1"}
    assert tracker.events  # the figures carry event markers too
    for name, frame in (("overview-volume", volume), ("overview-sentiment", sentiment)):
        package = registry.package(name, frame, view, model, 1.0, 65)
        assert package.fig.layout.title.text
    assert overview.volume_chart(volume, tracker.events, "t", dates[0], dates[-1], volume.attrs["peaks"]).layout.annotations
