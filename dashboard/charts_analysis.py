"""Pure figure builders and alt-text generators for the analysis pages (timeline, topics, compare, industry)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from collectors.trackers import Event
from dashboard.charts import _MARGIN, PALETTE, SENTIMENT_COLOURS, _add_events, _rgba, empty_figure, plain


# ---------------------------------------------------------------- Timeline & events
def effects_chart(df: pd.DataFrame, title: str) -> go.Figure:
    """Forest plot: per event, after − before in daily volume and in negative share, with 95% intervals."""
    if df.empty:
        return empty_figure(title, "The tracker has no dated events.")
    labels = [f"{d} {plain(t, 38)}" for d, t in zip(df["date"], df["title"], strict=True)]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=("Δ records per day (after − before)", "Δ negative share (after − before)"))
    for col, (key, colour, fmt) in enumerate((("volume", PALETTE[0], ",.1f"), ("neg", SENTIMENT_COLOURS["negative"], "+.1%")), 1):
        diff, lo, hi = df[f"{key}_diff"], df[f"{key}_ci_lo"], df[f"{key}_ci_hi"]
        fig.add_scatter(x=diff, y=labels, mode="markers", marker={"color": colour, "size": 10, "symbol": "diamond"},
                        error_x={"type": "data", "symmetric": False, "array": (hi - diff).tolist(),
                                 "arrayminus": (diff - lo).tolist(), "color": colour},
                        name="records/day" if key == "volume" else "negative share", row=1, col=col,
                        customdata=df[f"{key}_p"],
                        hovertemplate=f"%{{y}}<br>Δ %{{x:{fmt}}}<br>permutation p = %{{customdata:.3f}}<extra></extra>")
        fig.add_vline(x=0, line_dash="dot", line_color="#555555", row=1, col=col)
    fig.update_xaxes(tickformat="+.0%", row=1, col=2)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title=title, showlegend=False, margin={**_MARGIN, "l": 280},
                      height=max(320, 90 + 40 * len(df)))
    return fig


def effects_alt(df: pd.DataFrame, tracker_label: str) -> str:
    if df.empty:
        return f"Before/after chart for {tracker_label}: no dated events."
    parts = []
    for _, row in df.iterrows():
        neg = ("" if pd.isna(row["neg_diff"]) else
               f", negative share {row['neg_diff']:+.0%} (95% CI {row['neg_ci_lo']:+.0%} to {row['neg_ci_hi']:+.0%})")
        parts.append(f"{row['date']} {row['title']}: {row['volume_diff']:+,.0f} records/day "
                     f"(95% CI {row['volume_ci_lo']:+,.0f} to {row['volume_ci_hi']:+,.0f}){neg}")
    return (f"Forest plot of before/after differences around {len(df)} events for {tracker_label} "
            "(association, not causation): " + "; ".join(parts) + ".")


def negative_share_chart(df: pd.DataFrame, events: Sequence[Event], changes: Sequence[date], title: str,
                         start: date | None, end: date | None) -> go.Figure:
    """Daily negative share with its 95% band, events as dotted lines and detected change points as dashed."""
    if df.empty or df["n"].sum() == 0:
        return empty_figure(title, "No scored records: run `actorwatch enrich`.")
    x = pd.to_datetime(df["period"])
    colour = SENTIMENT_COLOURS["negative"]
    fig = go.Figure()
    fig.add_scatter(x=pd.concat([x, x[::-1]]), y=pd.concat([df["negative_hi"], df["negative_lo"][::-1]]),
                    fill="toself", fillcolor=_rgba(colour, 0.15), line={"width": 0}, hoverinfo="skip",
                    showlegend=False, name="95% CI")
    fig.add_scatter(x=x, y=df["negative"], mode="lines+markers", name="negative share", line={"color": colour},
                    customdata=df["n"], hovertemplate="%{y:.0%} of %{customdata} scored<extra></extra>")
    for day in changes:
        fig.add_vline(x=pd.Timestamp(day), line_dash="dash", line_color="#009E73", line_width=2)
        fig.add_annotation(x=pd.Timestamp(day), y=0.02, yref="paper", text="level shift", showarrow=False,
                           font={"size": 10, "color": "#009E73"}, xanchor="left")
    fig.update_layout(title=title, xaxis_title="day (UTC)", yaxis_title="negative share of scored records",
                      yaxis={"tickformat": ".0%", "range": [0, 1]}, margin=_MARGIN, hovermode="x unified")
    _add_events(fig, events, start, end)
    return fig


def negative_share_alt(df: pd.DataFrame, changes: Sequence[date], tracker_label: str, model_label: str) -> str:
    scored = df[df["n"] > 0] if not df.empty else df
    if scored.empty:
        return f"Negative-share chart for {tracker_label}: no scored records."
    top = scored.loc[scored["negative"].idxmax()]
    shifts = ", ".join(str(d) for d in changes) or "none detected"
    return (f"Line chart of the daily negative share for {tracker_label} ({model_label}) with 95% intervals; highest "
            f"on {top['period']} at {top['negative']:.0%} of {int(top['n']):,} scored records. Level shifts: {shifts}.")


# ---------------------------------------------------------------- Topics & frames
def keywords_chart(df: pd.DataFrame, title: str) -> go.Figure:
    """Heatmap of each period's top keywords (cell = records carrying the term in that period)."""
    if df.empty:
        return empty_figure(title, "No keywords in the selected range.")
    pivot = df.pivot_table(index="term", columns="period", values="records", aggfunc="max")
    order = df.sort_values(["period", "rank"]).drop_duplicates("term")["term"]
    pivot = pivot.reindex(list(order))
    fig = go.Figure(go.Heatmap(z=pivot.to_numpy(), x=pd.to_datetime(list(pivot.columns)),
                               y=[plain(t, 24) for t in pivot.index], colorscale="Cividis",
                               colorbar={"title": "records"}, hoverongaps=False,
                               hovertemplate="%{y} · %{x|%Y-%m-%d}: %{z:,} records<extra></extra>"))
    fig.update_layout(title=title, xaxis_title="period (UTC)", margin={**_MARGIN, "l": 140},
                      height=max(360, 60 + 16 * len(pivot)), yaxis={"autorange": "reversed"})
    return fig


def keywords_alt(df: pd.DataFrame, tracker_label: str) -> str:
    if df.empty:
        return f"Keyword heatmap for {tracker_label}: no keywords."
    firsts = df[df["rank"] == 1].sort_values("period")
    seq = "; ".join(f"{p}: {t}" for p, t in zip(firsts["period"], firsts["term"], strict=True))
    return (f"Heatmap of the top keywords per period for {tracker_label} ({df['term'].nunique()} terms over "
            f"{df['period'].nunique()} periods). Top keyword per period — {seq}.")


SHOWN_FRAMES = 4


def frames_chart(df: pd.DataFrame, labels: dict[str, str], title: str) -> go.Figure:
    """Share of records using each frame per period, with 95% bands (bilingual frame labels)."""
    if df.empty or df["n"].sum() == 0:
        return empty_figure(title, "No records in the selected range.")
    fig = go.Figure()
    # Readability: the SHOWN most-used frames are drawn; the rest start hidden (click the legend to add them).
    shown = set(df.groupby("frame")["records"].sum().sort_values(ascending=False).head(SHOWN_FRAMES).index)
    for n, (frame_id, part) in enumerate(df.groupby("frame", sort=True)):
        colour = PALETTE[n % len(PALETTE)]
        x = pd.to_datetime(part["period"])
        name = plain(labels.get(frame_id, frame_id), 40)
        visible = True if frame_id in shown else "legendonly"
        fig.add_scatter(x=pd.concat([x, x[::-1]]), y=pd.concat([part["share_hi"], part["share_lo"][::-1]]),
                        fill="toself", fillcolor=_rgba(colour, 0.10), line={"width": 0}, hoverinfo="skip",
                        showlegend=False, legendgroup=frame_id, name=f"{name} 95% CI", visible=visible)
        fig.add_scatter(x=x, y=part["share"], mode="lines", name=name, legendgroup=frame_id, visible=visible,
                        line={"color": colour, "width": 2, "dash": ["solid", "dash", "dot", "dashdot"][(n // 8) % 4]},
                        customdata=part["records"], hovertemplate="%{y:.1%} (%{customdata} records)<extra>" + name + "</extra>")
    fig.update_layout(title=title, xaxis_title="period (UTC)", yaxis_title="share of records using the frame",
                      yaxis={"tickformat": ".0%"}, legend_title="frame", margin=_MARGIN, hovermode="x unified")
    return fig


def frames_alt(df: pd.DataFrame, labels: dict[str, str], tracker_label: str) -> str:
    used = df[df["records"] > 0] if not df.empty else df
    if used.empty:
        return f"Frame chart for {tracker_label}: no frame terms found in the selected range."
    top = used.loc[used["share"].idxmax()]
    frames = used.groupby("frame")["records"].sum().sort_values(ascending=False)
    names = ", ".join(f"{labels.get(k, k)} ({int(v):,} records)" for k, v in frames.head(5).items())
    return (f"Line chart of the share of records using each frame over time for {tracker_label} (the {SHOWN_FRAMES} "
            f"most used drawn, the others selectable). Most used: {names}. "
            f"Highest share: {labels.get(top['frame'], top['frame'])} on {top['period']} at {top['share']:.0%}.")


def topics_chart(df: pd.DataFrame, title: str) -> go.Figure:
    """Horizontal bars: each topic cluster's share of the topic mass, labelled by its top terms."""
    if df.empty:
        return empty_figure(title, "Too few texts for topic clusters.")
    fig = go.Figure(go.Bar(x=df["weight"], y=[plain(label, 40) for label in df["label"]], orientation="h",
                           marker_color=PALETTE[0], customdata=df[["size", "terms"]].to_numpy(),
                           hovertemplate="%{y}<br>%{x:.0%} of topic mass · %{customdata[0]} records<br>"
                                         "%{customdata[1]}<extra></extra>"))
    fig.update_layout(title=title, xaxis={"tickformat": ".0%", "title": "share of topic mass"},
                      yaxis={"autorange": "reversed"}, margin={**_MARGIN, "l": 220}, height=max(320, 80 + 36 * len(df)))
    return fig


def topics_alt(df: pd.DataFrame, tracker_label: str) -> str:
    if df.empty:
        return f"Topic clusters for {tracker_label}: too few texts."
    parts = "; ".join(f"{row.label} ({row.weight:.0%})" for row in df.itertuples())
    return f"Bar chart of {len(df)} topic clusters (NMF over TF-IDF) for {tracker_label}, largest first: {parts}."


def comentions_chart(df: pd.DataFrame, labels: dict[str, str], title: str) -> go.Figure:
    """Heatmap of how often two entities are mentioned in the same record."""
    if df.empty:
        return empty_figure(title, "No records mention two tracked entities together.")
    names = sorted(set(df["a"]) | set(df["b"]))
    pivot = pd.DataFrame(0, index=names, columns=names)
    for a, b, n in zip(df["a"], df["b"], df["records"], strict=True):
        pivot.loc[a, b] = pivot.loc[b, a] = n
    display = [plain(labels.get(n, n), 24) for n in names]
    fig = go.Figure(go.Heatmap(z=pivot.to_numpy(), x=display, y=display, colorscale="Cividis",
                               colorbar={"title": "records"},
                               hovertemplate="%{y} + %{x}: %{z:,} records<extra></extra>"))
    fig.update_layout(title=title, margin={**_MARGIN, "l": 160, "b": 120}, height=max(380, 140 + 22 * len(names)))
    return fig


def comentions_alt(df: pd.DataFrame, labels: dict[str, str], tracker_label: str) -> str:
    if df.empty:
        return f"Entity co-mention heatmap for {tracker_label}: no pairs."
    top = "; ".join(f"{labels.get(a, a)} + {labels.get(b, b)}: {int(n):,}" for a, b, n in df.head(5).itertuples(index=False))
    return f"Heatmap of {len(df)} entity pairs mentioned together for {tracker_label}. Most frequent: {top}."


# ---------------------------------------------------------------- Compare cases
def aligned_sources_chart(df: pd.DataFrame, title: str) -> go.Figure:
    """Small multiples, one per source: each case's normalised daily volume on days since its trigger."""
    if df.empty:
        return empty_figure(title, "No records for these cases.")
    sources = sorted(df["source"].unique())
    cols = min(3, len(sources))
    rows = math.ceil(len(sources) / cols)
    fig = make_subplots(rows=rows, cols=cols, shared_xaxes=True, subplot_titles=[plain(s) for s in sources],
                        vertical_spacing=0.12 if rows > 1 else 0.1)
    trackers = list(dict.fromkeys(df["tracker"]))
    in_legend: set[str] = set()
    for i, source in enumerate(sources):
        part = df[df["source"] == source]
        for n, tracker in enumerate(trackers):
            line = part[part["tracker"] == tracker]
            if line.empty:
                continue
            fig.add_scatter(x=line["day_offset"], y=line["share"], mode="lines", name=plain(tracker, 40),
                            legendgroup=tracker, showlegend=tracker not in in_legend, row=i // cols + 1,
                            col=i % cols + 1,
                            line={"color": PALETTE[n % len(PALETTE)], "dash": ["solid", "dash", "dot"][n % 3]},
                            customdata=line["records"],
                            hovertemplate="day %{x}: %{y:.1%} (%{customdata} records)<extra>" + plain(tracker) + "</extra>")
            in_legend.add(tracker)
        fig.add_vline(x=0, line_dash="dot", line_color="#555555", row=i // cols + 1, col=i % cols + 1)
    fig.update_yaxes(tickformat=".0%")
    fig.update_layout(title=title, legend_title="case", margin=_MARGIN, height=260 * rows + 80, hovermode="closest")
    return fig


def aligned_sources_alt(df: pd.DataFrame) -> str:
    if df.empty:
        return "Cases aligned on days since trigger: no records."
    parts = []
    for (tracker, source), part in df.groupby(["tracker", "source"], sort=True):
        if part["records"].sum() == 0:
            continue
        top = part.loc[part["share"].idxmax()]
        parts.append(f"{tracker} on {source} peaks on day {int(top['day_offset'])} ({top['share']:.0%} of its records)")
    return ("Small-multiple line charts, one per source, of each case's share of its records per day since its "
            "trigger (day 0): " + "; ".join(parts) + ".")


# ---------------------------------------------------------------- Industry impact
def event_study_chart(df: pd.DataFrame, title: str) -> go.Figure:
    """Cumulative abnormal return (market model vs benchmark) around each event, one line per event."""
    if df.empty:
        return empty_figure(title, "No event could be estimated from the price data.")
    fig = go.Figure()
    for n, (event, part) in enumerate(df.groupby("event", sort=False)):
        fig.add_scatter(x=part["day_offset"], y=part["car"], mode="lines+markers", name=plain(event, 50),
                        line={"color": PALETTE[n % len(PALETTE)], "dash": ["solid", "dash", "dot"][n % 3]},
                        customdata=part[["ar", "car_t", "date"]].astype(str).to_numpy(),
                        hovertemplate="day %{x}: CAR %{y:+.1%}<br>AR %{customdata[0]} · t %{customdata[1]}"
                                      "<br>%{customdata[2]}<extra></extra>")
    fig.add_vline(x=0, line_dash="dot", line_color="#555555")
    fig.add_hline(y=0, line_color="#999999", line_width=1)
    fig.update_layout(title=title, xaxis_title="trading days from event", yaxis_title="cumulative abnormal return",
                      yaxis={"tickformat": "+.0%"}, legend_title="event", margin=_MARGIN, hovermode="x unified")
    return fig


def event_study_alt(df: pd.DataFrame, ticker: str, benchmark: str) -> str:
    if df.empty:
        return f"Event-study chart for {ticker} against {benchmark}: no event could be estimated."
    parts = []
    for event, part in df.groupby("event", sort=False):
        last = part.iloc[-1]
        parts.append(f"{event}: CAR {last['car']:+.1%} by day {int(last['day_offset'])} (t = {last['car_t']:.2f})")
    return (f"Line chart of cumulative abnormal returns of {ticker} against {benchmark} (market model) around "
            f"{df['event'].nunique()} events: " + "; ".join(parts) + ".")


def coverage_by_chart(df: pd.DataFrame, key: str, title: str) -> go.Figure:
    """Stacked daily bars of news articles per `key` (language, source or outlet)."""
    if df.empty or df["records"].sum() == 0:
        return empty_figure(title, "No news articles in the selected range.")
    fig = go.Figure()
    for n, (name, part) in enumerate(df.groupby(key, sort=False)):
        fig.add_bar(x=pd.to_datetime(part["period"]), y=part["records"], name=plain(name),
                    marker_color=PALETTE[n % len(PALETTE)])
    fig.update_layout(barmode="stack", title=title, xaxis_title="day (UTC)", yaxis_title="articles",
                      legend_title=key, margin=_MARGIN, hovermode="x unified")
    return fig


def coverage_by_alt(df: pd.DataFrame, key: str, tracker_label: str) -> str:
    if df.empty or df["records"].sum() == 0:
        return f"News coverage chart for {tracker_label}: no articles."
    totals = df.groupby(key)["records"].sum().sort_values(ascending=False)
    per_day = df.groupby("period")["records"].sum()
    return (f"Stacked bar chart of daily news articles by {key} for {tracker_label}: {int(totals.sum()):,} articles; "
            + ", ".join(f"{k} {int(v):,}" for k, v in totals.items())
            + f". Busiest day {per_day.idxmax()} with {int(per_day.max()):,}.")
