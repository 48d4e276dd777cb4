"""Overview charts: daily records by source with labelled peaks, sentiment shares with intervals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.core.filters import Filters
from analysis.core.wording import count_text, share_text
from analysis.stats import aggregate
from analysis.stats.clustered import author_sums
from analysis.stats.peaks import MIN_SHARE_N
from collectors.display_zone import zone_short
from collectors.trackers import Event, Tracker
from dashboard.charts.ledgers import tracker_events
from dashboard.charts.registry import PERIODS, AnalysisPending, ChartDef, View, register, require
from dashboard.charts.style import (
    DASHES,
    DAY_TICKS,
    MARGIN,
    SENTIMENT_COLOURS,
    empty_figure,
    event_marks,
    few_days,
    foot_layout,
    highest_judged,
    legend_entries,
    no_scores_message,
    peak_notes,
    rgba,
    source_colours,
    source_patterns,
    too_thin,
    week_in_view,
    wrapped_title,
)


def volume_chart(df: pd.DataFrame, events: Sequence[Event], title: str, start: date | None = None,
                 end: date | None = None, peaks: Sequence[dict[str, Any]] = ()) -> go.Figure:
    """Stacked daily bars of records per source, with the tracker's dated events as markers and the `peaks`
    (add_peak_labels' dicts) labelled."""
    colours = source_colours(df["source"].unique() if len(df) else [])
    patterns = source_patterns(df["source"].unique() if len(df) else [])
    traces = [{"type": "bar", "x": pd.to_datetime(part["day"]), "y": part["records"], "name": str(source),
               "marker": {"color": colours[str(source)], "pattern": {"shape": patterns[str(source)]}}}
              for source, part in df.groupby("source", sort=True)]
    layout = {"barmode": "stack", "title": {"text": title}, "xaxis": {"title": {"text": f"day ({zone_short()})"}},
              "yaxis": {"title": {"text": "records"}}, "legend": {"title": {"text": "source"}}, "hovermode": "x unified"}
    return _figure(traces, layout, events, start, end, df["day"] if len(df) else pd.Series(dtype=object), peaks)


def sentiment_chart(df: pd.DataFrame, events: Sequence[Event], title: str, start: date | None = None,
                    end: date | None = None, x_title: str | None = None) -> go.Figure:
    """Daily share of each sentiment label, with 95% Wilson bands and event markers (`x_title`: the x axis's, if
    not days)."""
    x = pd.to_datetime(df["day"])
    traces = []
    for n, (label, colour) in enumerate(SENTIMENT_COLOURS.items()):
        if label not in df:
            continue
        traces.append({"type": "scatter", "x": pd.concat([x, x[::-1]]),
                       "y": pd.concat([df[f"{label}_hi"], df[f"{label}_lo"][::-1]]), "fill": "toself",
                       "fillcolor": rgba(colour, 0.15), "line": {"width": 0}, "hoverinfo": "skip", "showlegend": False,
                       "name": f"{label} 95% CI"})
        traces.append({"type": "scatter", "x": x, "y": df[label], "mode": "lines+markers", "name": label,
                       "line": {"color": colour, "width": 2, "dash": DASHES[n]}, "marker": {"size": 4},
                       "customdata": df["n"], "hovertemplate": "%{y:.0%} of %{customdata} scored<extra>" + label + "</extra>"})
    layout = {"title": {"text": title}, "xaxis": {"title": {"text": x_title or f"day ({zone_short()})"}},
              "yaxis": {"title": {"text": "share of scored records"}, "tickformat": ".0%", "range": [0, 1]},
              "legend": {"title": {"text": "sentiment"}}, "hovermode": "x unified"}
    return _figure(traces, layout, events, start, end, df["day"])


def _figure(traces: list[dict[str, Any]], layout: dict[str, Any], events: Sequence[Event], start: date | None,
            end: date | None, days: pd.Series, peaks: Sequence[dict[str, Any]] = ()) -> go.Figure:
    """The figure legend_below, add_events, day_ticks, add_peak_labels and wrap_title would make of these traces and
    layout (dicts), given to plotly at once: each of those layout updates re-validates the whole layout, and together
    they were most of drawing an Overview chart (~60 of a filter change's ~300 ms CPU)."""
    foot = foot_layout(legend_entries(traces), bool(layout["legend"]["title"]["text"]), False, MARGIN["t"])
    layout = {**layout, **foot, **{key: {**layout[key], **foot[key]} for key in ("xaxis", "yaxis", "legend")}}
    shapes, notes = event_marks(events, start, end)
    if shapes:
        layout.update(shapes=shapes, annotations=notes)
    if few_days(days):
        layout["xaxis"].update(DAY_TICKS)
    if peaks:
        layout["annotations"] = [*layout.get("annotations", []), *peak_notes(peaks)]
    text, added = wrapped_title(layout["title"]["text"])
    if added:  # as wrap_title, which then finds nothing to wrap
        layout.update(title={"text": text}, margin={**layout["margin"], "t": layout["margin"]["t"] + 2 * added})
    return go.Figure(data=traces, layout=layout)


def volume_alt(df: pd.DataFrame, tracker_label: str) -> str:
    """A screen-reader description of the volume chart, generated from its data."""
    if df.empty or df["records"].sum() == 0:
        return f"Bar chart of daily records for {tracker_label}: no records in the selected range."
    per_day = df.groupby("day")["records"].sum()
    top_day = per_day.idxmax()
    by_source = df.groupby("source")["records"].sum().sort_values(ascending=False)
    sources = ", ".join(f"{s} {int(v):,}" for s, v in by_source.items())
    return (f"Stacked bar chart of daily records for {tracker_label} from {per_day.index.min()} to {per_day.index.max()}: "
            f"{count_text(per_day.sum(), 'record')} in all; the busiest day was {top_day} with {int(per_day.max()):,}. "
            f"By source: {sources}.")


def sentiment_alt(df: pd.DataFrame, tracker_label: str, model_label: str, period: str = "day",
                  f: Filters | None = None) -> str:
    scored = df[df["n"] > 0] if not df.empty else df
    adjective = "weekly" if period == "week" else "daily"
    if scored.empty:
        return f"Line chart of {adjective} sentiment shares for {tracker_label}: no scored records in the selected range."
    total = int(scored["n"].sum())
    negative = round(float((scored["negative"] * scored["n"]).sum()))  # the count behind the period shares
    neg = negative / total
    # clustered by author when the loader measured it (authors span days: the days' figures cannot give it)
    lo, hi = df.attrs.get("negative_ci") or aggregate.wilson_interval(negative, total)
    worst = highest_judged(scored, "negative")
    if worst is None:
        worst_text = f"{too_thin(period, 'scored records', 'most negative one')}."
    else:
        worst_text = (f"the most negative {period} with at least {MIN_SHARE_N} scored records was "
                      f"{'the week of ' + week_in_view(worst['day'], f) if period == 'week' else worst['day']} at "
                      f"{share_text(worst['negative'])} of "
                      f"{count_text(worst['n'], 'scored record')}.")
    return (f"Line chart of the {adjective} share of negative, neutral and positive records for {tracker_label} "
            f"({model_label}), with 95% intervals. Over {count_text(total, 'scored record')} {share_text(neg, (lo, hi))} were "
            f"negative; {worst_text}")


PEAK_COLUMNS = ["day", "records", "label", "top_record"]


def source_history(con: duckdb.DuckDBPyConnection, f: Filters, tracker: Tracker | None) -> pd.DataFrame | None:
    """Records per day and source of `f`'s sources (languages and kinds aside) over the tracker's collection window
    and the view's days with HISTORY_DAYS before them: the series peak_labels reads the stored span, the collection
    gaps and (unless languages or kinds are chosen) the totals from, and view_volume the view's bars. None without a
    tracker or the view's dates."""
    if not (tracker and f.start and f.end):
        return None
    peaks_mod, timeseries = require("analysis.stats.peaks"), require("analysis.stats.timeseries")
    collected = Filters.for_tracker(tracker)
    history = timedelta(days=peaks_mod.HISTORY_DAYS)
    return timeseries.volume_series(con, Filters(f.tracker, min(collected.start, f.start - history),
                                                 max(collected.end, f.end), f.sources), by="source")


def view_volume(history: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """aggregate.daily_volume of a view without languages or kinds chosen, read from its source_history (which holds
    its days): the same frame, without a query of its own."""
    timeseries = require("analysis.stats.timeseries")
    in_view = np.array([f.start <= d <= f.end for d in history["period"]], dtype=bool)
    held = history[in_view & (history["records"] > 0).to_numpy()]
    return timeseries.zero_fill(held, timeseries.periods(f.start, f.end), ["records"], "source").rename(
        columns={"period": "day"})


def peak_labels(con: duckdb.DuckDBPyConnection, f: Filters, tracker: Tracker | None = None,
                wide: pd.DataFrame | None = None) -> pd.DataFrame:
    """Volume peaks (analysis.stats.peaks on the zero-filled daily series), each with its top terms and top record.

    With the `tracker`, the stored days up to HISTORY_DAYS before the view are its first days' baseline and the
    stored days after it finish its last run of high days, so a view's peaks are the data's (a range starting on a
    storm still shows its peak; one ending inside a storm does not label the day its range cuts the run at), and days
    before its collection window or its first stored record are left out of the series: unknown, not a baseline of 0
    (the first day of an import is not a peak), nor are days a source was not collected (peaks.collection_gaps: the
    day its collector restarts is no peak). Peaks outside the view's dates are not labelled. `wide`: the view's
    source_history, if already read.
    """
    peaks_mod, timeseries = require("analysis.stats.peaks"), require("analysis.stats.timeseries")
    history = timedelta(days=peaks_mod.HISTORY_DAYS)
    stored = None
    if tracker and f.start and f.end:
        # one query for the three series below (each by source, languages and kinds aside): the collection window's
        # days for the stored span, and the view's days with their history for the gaps and, unless languages or
        # kinds are chosen, the totals; three queries with their zero-filling cost a third of a filter change's load
        wide = wide if wide is not None else source_history(con, f, tracker)
        stored = timeseries.span_of(wide, f.tracker, Filters.for_tracker(tracker))
    elif tracker:
        stored = timeseries.stored_span(con, f, tracker)
    series_f, by_source, series = f, None, None
    if f.start and f.end and stored and stored.start <= stored.end:
        series_f = replace(f, start=max(f.start - history, stored.start), end=max(f.end, stored.end))
        if wide is not None:  # series_f's days lie within wide's
            by_source = wide[[series_f.start <= d <= series_f.end for d in wide["period"]]].reset_index(drop=True)
            if not f.langs and not f.kinds:
                totals = by_source.groupby("period", as_index=False)["records"].sum()
                series = timeseries.zero_fill(totals, timeseries.periods(series_f.start, series_f.end), ["records"])
    elif f.start and stored:  # nothing stored: no day is known
        series_f = replace(f, start=max(f.start, stored.start))
    if series is None:
        series = timeseries.volume_series(con, series_f)
    # a source's collection gap is unknown, not quiet: the day its collector restarts is no peak (as for the alerts)
    unknown = (peaks_mod.collection_gaps(by_source) if by_source is not None
               else peaks_mod.uncollected_days(con, series_f))
    found = peaks_mod.detect_peaks(peaks_mod.without_days(peaks_mod.series_by_day(series, "records"), unknown))
    found = found[found["day"].map(lambda day: (not f.start or day >= f.start) and (not f.end or day <= f.end)).astype(bool)]
    labelled = peaks_mod.label_peaks(con, f, found, k=3, n_records=1, texts_only=True, counted=True)
    return pd.DataFrame({
        "day": labelled["day"], "records": labelled["records"],
        "label": [" · ".join(terms) for terms in labelled["top_terms"]],
        "top_record": [top[0]["text"][:200] if top else "" for top in labelled["top_records"]],
    }, columns=PEAK_COLUMNS)


def _load_volume(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    f, tracker = view.filters, view.tracker
    try:
        history = source_history(con, f, tracker)
    except AnalysisPending:
        history = None
    # the bars from the peaks' series where it holds them: a query and its zero-filling less per view
    frame = (view_volume(history, f) if history is not None and not f.langs and not f.kinds
             else aggregate.daily_volume(con, f))
    try:
        # attrs hold plain lists: pandas compares attrs when combining frames, which DataFrames cannot do
        frame.attrs["peaks"] = peak_labels(con, f, tracker, history).to_dict("records")
    except AnalysisPending:
        frame.attrs["peaks"] = []
    return frame


def _peaks(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(df.attrs.get("peaks", []), columns=PEAK_COLUMNS)


def _draw_volume(df: pd.DataFrame, view: View, model: dict[str, Any]) -> Any:
    f = view.filters
    title = f"Daily records by source — {view.tracker.name_en}"
    if df.empty or df["records"].sum() == 0:  # blank axes would not say why
        return empty_figure(title, "No records in the selected range.")
    return volume_chart(df, tracker_events(view), title, f.start, f.end, df.attrs.get("peaks", []))


def _describe_volume(df: pd.DataFrame, view: View, model: dict[str, Any]) -> str:
    alt = volume_alt(df, view.tracker.name_en)
    peaks = _peaks(df)
    if len(peaks):
        per_day = df.groupby("day")["records"].sum()
        busiest = per_day.idxmax()
        # a peak is the day that rose most, which can come before the busiest day of the same surge: say both
        aside = ("" if str(busiest) in {str(d) for d in peaks["day"]} else
                 f"; the busiest day, {busiest} ({count_text(per_day.max(), 'record')}), is not itself a detected peak")
        alt += (f" Detected peaks ({PEAK_MEANING}{aside}): "
                + "; ".join(f"{d} ({count_text(r, 'record')}; top terms: {lab})"
                            for d, r, lab in zip(peaks["day"], peaks["records"], peaks["label"], strict=True)) + ".")
    return alt


PEAK_MEANING = ("each the day of largest rise over its trailing baseline, the median of the 7 days before it, in a "
                "run of unusually high days")


register(ChartDef(
    name="overview-volume", title="Daily records by source — {tracker}", page="overview",
    description="Records per day and source, zero-filled, with the tracker's dated events as markers.",
    load=_load_volume, draw=_draw_volume, describe=_describe_volume, needs=("analysis.stats.peaks", "analysis.stats.timeseries"),
    notes=f"Labelled peaks: {PEAK_MEANING} — not necessarily the busiest day",
))


def _weekly(view: View) -> bool:
    return view.option("freq", "D", PERIODS) == "W"


def _load_sentiment(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    if not view.model_version:
        return pd.DataFrame(columns=["day", "n"])
    if _weekly(view):  # ISO weeks (labelled by their Monday): steadier shares where days hold few records
        timeseries = require("analysis.stats.timeseries")
        frame = timeseries.sentiment_series(con, view.filters, view.model_version, freq="W").rename(
            columns={"period": "day"})
    else:
        frame = aggregate.daily_sentiment(con, view.filters, view.model_version)
    # the view's share negative over all its days, with the Overview's interval clustered by author (sentiment_alt)
    frame.attrs["negative_ci"] = author_sums(con, view.filters, view.model_version).wilson()
    return frame


def _draw_sentiment(df: pd.DataFrame, view: View, model: dict[str, Any]) -> Any:
    title = f"{'Weekly' if _weekly(view) else 'Daily'} sentiment — {view.tracker.name_en} · model: {model.get('name') or model.get('label')}"
    if df.empty or "negative" not in df or df["n"].sum() == 0:
        return empty_figure(title, no_scores_message(view.model_version))
    f = view.filters
    return sentiment_chart(df, tracker_events(view), title, f.start, f.end,
                           f"week ({zone_short()}, starting Monday)" if _weekly(view) else None)


def _describe_sentiment(df: pd.DataFrame, view: View, model: dict[str, Any]) -> str:
    if df.empty or "negative" not in df:
        return f"Sentiment chart for {view.tracker.name_en}: no scored records in the selected range."
    return sentiment_alt(df, view.tracker.name_en, str(model.get("label")), "week" if _weekly(view) else "day",
                         view.filters)


register(ChartDef(
    name="overview-sentiment", title="Sentiment — {tracker} · model: {model}", page="overview",
    description="Daily (or weekly: freq=W) share of negative/neutral/positive records with 95% Wilson intervals "
                "clustered by author (at records / design effect) and event markers.",
    load=_load_sentiment, draw=_draw_sentiment, describe=_describe_sentiment, sentiment=True,
))
