"""Timeline & events charts: before/after effects per event, negative share with level shifts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.core.filters import Filters, days_note
from analysis.core.wording import UNADJUSTED_NOTE, change_decimals, count_text, share_text
from analysis.stats import aggregate
from analysis.stats.peaks import MIN_SHARE_N
from collectors.display_zone import zone_short
from collectors.trackers import Event
from collectors.visibility import DISAPPEARED as DISAPPEARED_KINDS
from dashboard.charts.ledgers import tracker_events
from dashboard.charts.registry import EVENT_WINDOW, ChartDef, View, register, require, source_line
from dashboard.charts.style import (
    MARGIN,
    PALETTE,
    SENTIMENT_COLOURS,
    add_events,
    empty_figure,
    highest_judged,
    legend_below,
    no_scores_message,
    rgba,
    row_label,
    too_thin,
)


def effects_chart(df: pd.DataFrame, title: str, model_version: str | None = None) -> go.Figure:
    """Forest plot: per event, after − before in daily volume and in negative share, with 95% intervals."""
    if df.empty:
        return empty_figure(title, "The tracker has no dated events.")
    labels = [row_label(f"{d} {t}", 49) for d, t in zip(df["date"], df["title"], strict=True)]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        # each heading in two short lines: on one line, the two overran each other over a phone's narrow panels
                        subplot_titles=("Δ records per day<br>(after − before)", "Δ negative share<br>(after − before)"))
    fig.update_annotations(font_size=12)  # the headings: make_subplots adds them as the first annotations
    for col, (key, colour, fmt) in enumerate((("volume", PALETTE[0], ",.1f"), ("neg", SENTIMENT_COLOURS["negative"], "+.1%")), 1):
        diff, lo, hi = df[f"{key}_diff"], df[f"{key}_ci_lo"], df[f"{key}_ci_hi"]
        fig.add_scatter(x=diff, y=labels, mode="markers", marker={"color": colour, "size": 10, "symbol": "diamond"},
                        error_x={"type": "data", "symmetric": False, "array": (hi - diff).tolist(),
                                 "arrayminus": (diff - lo).tolist(), "color": colour},
                        name="records/day" if key == "volume" else "negative share", row=1, col=col,
                        customdata=df[f"{key}_p"],
                        hovertemplate=f"%{{y}}<br>Δ %{{x:{fmt}}}<br>permutation p = %{{customdata:.3f}}<extra></extra>")
        fig.add_vline(x=0, line_dash="dot", line_color="#555555", row=1, col=col)
    # an empty panel with no word read as "no change"
    for axis, message in (("", "No stored records around these events:<br>run `actorwatch collect` or `actorwatch import`."),
                          ("2", no_scores_message(model_version))):
        if df["volume_diff" if not axis else "neg_diff"].isna().all():
            fig.add_annotation(text=message, xref=f"x{axis} domain", yref=f"y{axis} domain", x=0.5, y=0.5,
                               showarrow=False, font={"size": 14})
    fig.update_xaxes(tickformat="+.0%", row=1, col=2)
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_layout(title=title, showlegend=False, margin={**MARGIN, "l": 10, "t": MARGIN["t"] + 16},  # names wrap: room for a phone's plot
                      height=max(320, 90 + 56 * len(df)))
    return fig


def effects_alt(df: pd.DataFrame, tracker_label: str) -> str:
    if df.empty:
        return f"Before/after chart for {tracker_label}: no dated events."
    parts = []
    titles = dict(zip(df["event_id"], df["title"], strict=True)) if "event_id" in df else {}
    for _, row in df.iterrows():
        # a difference of two shares: percentage points ("+37%" reads as a relative rise), at a precision where the
        # shares stated subtract to the change stated
        d = 0 if pd.isna(row["neg_diff"]) else change_decimals(row["neg_before"], row["neg_after"])
        neg = ("" if pd.isna(row["neg_diff"]) else
               f", negative share {100 * row['neg_diff']:+.{d}f} percentage points (95% CI "
               f"{100 * row['neg_ci_lo']:+.{d}f} to {100 * row['neg_ci_hi']:+.{d}f}; {row['neg_before']:.{d}%} of "
               f"{int(row['neg_n_before']):,} scored before, {row['neg_after']:.{d}%} of {int(row['neg_n_after']):,} after)")
        if pd.isna(row["volume_diff"]):  # a side with no collected day
            volume = "records/day not comparable (no collected days on one side)"
        elif pd.isna(row["volume_ci_lo"]):  # a one-day side has no day-to-day spread to measure
            volume = f"{row['volume_diff']:+,.0f} records/day (no interval)"
        else:
            volume = (f"{row['volume_diff']:+,.0f} records/day "
                      f"(95% CI {row['volume_ci_lo']:+,.0f} to {row['volume_ci_hi']:+,.0f})")
        others = row.get("overlaps")
        others = others.split(", ") if isinstance(others, str) and others else []
        overlap = (f" (its days overlap those of {', '.join(str(titles.get(o, o)) for o in others)}, so the "
                   "differences are not separate)" if others else "")
        parts.append(f"{row['date']} {row['title']}: {volume}{neg}{overlap}")
    return (f"Forest plot of before/after differences around {count_text(len(df), 'event')} for {tracker_label} "
            "(association, not causation): " + "; ".join(parts) + ". " + days_note())


def negative_share_chart(df: pd.DataFrame, events: Sequence[Event], changes: Sequence[date], title: str,
                         start: date | None, end: date | None, model_version: str | None = None) -> go.Figure:
    """Daily negative share with its 95% band, events as dotted lines and detected change points as dashed."""
    if df.empty or df["n"].sum() == 0:
        return empty_figure(title, no_scores_message(model_version))
    x = pd.to_datetime(df["period"])
    colour = SENTIMENT_COLOURS["negative"]
    fig = go.Figure()
    fig.add_scatter(x=pd.concat([x, x[::-1]]), y=pd.concat([df["negative_hi"], df["negative_lo"][::-1]]),
                    fill="toself", fillcolor=rgba(colour, 0.15), line={"width": 0}, hoverinfo="skip",
                    showlegend=False, name="95% CI")
    fig.add_scatter(x=x, y=df["negative"], mode="lines+markers", name="negative share", line={"color": colour},
                    customdata=df["n"], hovertemplate="%{y:.0%} of %{customdata} scored<extra></extra>")
    for day in changes:
        fig.add_vline(x=pd.Timestamp(day), line_dash="dash", line_color="#009E73", line_width=2)
        fig.add_annotation(x=pd.Timestamp(day), y=0.02, yref="paper", text="level shift", showarrow=False,
                           font={"size": 10, "color": "#009E73"}, xanchor="left")
    fig.update_layout(title=title, xaxis_title=f"day ({zone_short()})", yaxis_title="negative share of scored records",
                      yaxis={"tickformat": ".0%", "range": [0, 1]}, hovermode="x unified")
    legend_below(fig)
    add_events(fig, events, start, end)
    return fig


def negative_share_alt(df: pd.DataFrame, changes: Sequence[date], tracker_label: str, model_label: str) -> str:
    scored = df[df["n"] > 0] if not df.empty else df
    if scored.empty:
        return f"Negative-share chart for {tracker_label}: no scored records."
    top = highest_judged(scored, "negative")
    if top is None:
        top_text = too_thin("day", "scored records", "highest")
    else:
        top_text = (f"highest on {top['period']} at {share_text(top['negative'])} of {count_text(top['n'], 'scored record')} "
                    f"(among days with at least {MIN_SHARE_N} scored records)")
    shifts = ", ".join(str(d) for d in changes) or "none detected"
    return (f"Line chart of the daily negative share for {tracker_label} ({model_label}) with 95% intervals; "
            f"{top_text}. Level shifts: {shifts}.")


def _load_effects(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    effects = require("analysis.stats.effects")
    window = int(view.option("window", "3", EVENT_WINDOW))
    frame = effects.event_effects(con, view.filters, view.tracker, view.model_version, window=window)
    frame = frame.reset_index(drop=True)
    # the credit line's synthetic share is of the records compared: the days around each event, not the sidebar's dates
    f = view.filters
    drawn = [aggregate.kpis(con, Filters(f.tracker, start, end, f.sources, f.langs, f.kinds))
             for start, end in effects.compared_days(view.tracker, window, effects.stored_span(con, f, view.tracker))]
    records = sum(k["records"] for k in drawn)
    frame.attrs["synthetic_share"] = sum(k["synthetic_share"] * k["records"] for k in drawn) / records if records else 0.0
    return frame


def _effects_source(df: pd.DataFrame, view: View) -> str:
    """Credits the days compared (each event's own, within the tracker's collection window) and their synthetic share."""
    window = int(view.option("window", "3", EVENT_WINDOW))
    collected = Filters.for_tracker(view.tracker)
    return source_line(view, float(df.attrs.get("synthetic_share", 0.0)), days=(
        f"for each event the {window} days before it and the event day with the {window - 1} following, within the "
        f"tracker's collection window {collected.start} to {collected.end} and the days from the first to the last "
        "stored record"))


register(ChartDef(
    name="timeline-effects", title="Before vs after each event — {tracker} (association, not causation)",
    page="timeline",
    description="Per dated event, over each event's own days (the N before it against the event day and the N−1 "
                "following, within the tracker's collection window), not the sidebar's dates: change in records/day "
                "(95% Welch t interval over days) and in negative share (95% Newcombe score interval clustered by author), "
                "after − before, with permutation p-values. " + UNADJUSTED_NOTE,
    load=_load_effects,
    draw=lambda df, view, model: effects_chart(
        df, f"Before vs after each event — {view.tracker.name_en} (association, not causation)", view.model_version),
    describe=lambda df, view, model: effects_alt(df, view.tracker.name_en),
    sentiment=True, needs=("analysis.stats.effects",), source=_effects_source, notes=days_note,
))


def _load_negative(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    timeseries, peaks_mod = require("analysis.stats.timeseries"), require("analysis.stats.peaks")
    cols = ["period", "n", "negative", "negative_lo", "negative_hi"]
    if not view.model_version:
        frame = pd.DataFrame(columns=cols)
        frame.attrs["changes"] = []
        return frame
    frame = timeseries.sentiment_series(con, view.filters, view.model_version)[cols]
    frame.attrs["changes"] = peaks_mod.change_points(peaks_mod.series_by_day(frame, "negative"),
                                                     peaks_mod.series_by_day(frame, "n"), min_shift=0.05)
    return frame


register(ChartDef(
    name="timeline-negative", title="Negative share and its level shifts — {tracker}", page="timeline",
    description="Daily negative share with 95% Wilson bands clustered by author, the tracker's events, and change "
                "points detected on it.",
    load=_load_negative,
    draw=lambda df, view, model: negative_share_chart(
        df, tracker_events(view), df.attrs.get("changes", []),
        f"Negative share and its level shifts — {view.tracker.name_en}", view.filters.start, view.filters.end,
        view.model_version),
    describe=lambda df, view, model: negative_share_alt(
        df, df.attrs.get("changes", []), view.tracker.name_en, str(model.get("label"))),
    sentiment=True, needs=("analysis.stats.timeseries", "analysis.stats.peaks"),
))


DISAPPEARED_TITLE = "Share of rechecked posts that disappeared, by day of posting — {tracker}"
DISAPPEARED_NOTE = ("Latest known status of each rechecked Weibo post (`actorwatch recheck`): deleted by the author, "
                    "removed by the platform, restricted by the author's settings, account gone, or gone without Weibo "
                    "saying why. The share is over rechecked posts only, with 95% Wilson intervals; a post can still "
                    "disappear after its last check.")


def disappeared_chart(df: pd.DataFrame, events: Sequence[Event], title: str, start: date | None,
                      end: date | None) -> go.Figure:
    """Daily share of rechecked posts that disappeared, with its 95% band; how they disappeared on hover."""
    if df.empty or df["rechecked"].sum() == 0:
        return empty_figure(title, "No rechecked posts in this view: run `actorwatch recheck --tracker …`.")
    x = pd.to_datetime(df["period"])
    colour = PALETTE[5]
    hover = [f"{int(k):,} of {int(n):,} rechecked" + "".join(
        f"<br>{name.replace('_', ' ')}: {int(row[name]):,}" for name in DISAPPEARED_KINDS if row[name])
        for k, n, (_, row) in zip(df["disappeared"], df["rechecked"], df.iterrows(), strict=True)]
    fig = go.Figure()
    fig.add_scatter(x=pd.concat([x, x[::-1]]), y=pd.concat([df["share_hi"], df["share_lo"][::-1]]),
                    fill="toself", fillcolor=rgba(colour, 0.15), line={"width": 0}, hoverinfo="skip",
                    showlegend=False, name="95% CI")
    fig.add_scatter(x=x, y=df["share"], mode="lines+markers", name="disappeared", line={"color": colour},
                    customdata=hover, hovertemplate="%{y:.0%} disappeared<br>%{customdata}<extra></extra>")
    fig.update_layout(title=title, xaxis_title=f"day of posting ({zone_short()})", yaxis_title="share of rechecked posts",
                      yaxis={"tickformat": ".0%", "range": [0, 1]}, margin=MARGIN, hovermode="x unified")
    add_events(fig, events, start, end)
    return fig


def disappeared_alt(df: pd.DataFrame, tracker_label: str) -> str:
    checked = df[df["rechecked"] > 0] if not df.empty else df
    if checked.empty:
        return f"Chart of posts that disappeared for {tracker_label}: no rechecked posts in this view."
    n, k = int(checked["rechecked"].sum()), int(checked["disappeared"].sum())
    ways = ", ".join(f"{int(checked[name].sum()):,} {name.replace('_', ' ')}" for name in DISAPPEARED_KINDS
                     if checked[name].sum()) or "none"
    top = checked.loc[checked["share"].idxmax()]
    return (f"Line chart of the share of rechecked posts that later disappeared for {tracker_label}, by day of "
            f"posting, with 95% Wilson intervals: {k:,} of {n:,} rechecked posts ({ways}). Highest for posts of "
            f"{top['period']}: {share_text(top['share'], (top['share_lo'], top['share_hi']))} of "
            f"{int(top['rechecked']):,}.")


def _load_disappeared(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    return require("analysis.stats.visibility").disappeared_series(con, view.filters)


register(ChartDef(
    name="timeline-disappeared", title=DISAPPEARED_TITLE, page="timeline",
    description="Share of rechecked Weibo posts that later disappeared (deleted, removed, restricted, account gone), "
                "by day of posting, with 95% Wilson intervals.",
    load=_load_disappeared,
    draw=lambda df, view, model: disappeared_chart(df, tracker_events(view), DISAPPEARED_TITLE.format(
        tracker=view.tracker.name_en), view.filters.start, view.filters.end),
    describe=lambda df, view, model: disappeared_alt(df, view.tracker.name_en),
    needs=("analysis.stats.visibility",), notes=DISAPPEARED_NOTE,
))
