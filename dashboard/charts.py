"""Pure DataFrame -> plotly Figure builders (testable without Streamlit), with alt text for each chart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from collectors.trackers import Event

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
SENTIMENT_COLOURS = {"negative": "#D55E00", "neutral": "#999999", "positive": "#0072B2"}


def _add_events(fig: go.Figure, events: Sequence[Event], start: date | None, end: date | None) -> None:
    for n, event in enumerate(events):
        if (start and event.date < start) or (end and event.date > end):
            continue
        x = pd.Timestamp(event.date)
        fig.add_vline(x=x, line_width=1, line_dash="dot", line_color="#555555")
        fig.add_annotation(x=x, y=1.0 - 0.07 * (n % 4), yref="paper", text=event.title_en[:40], showarrow=False,
                           xanchor="left", font={"size": 10}, bgcolor="rgba(255,255,255,0.7)",
                           hovertext=f"{event.date}: {event.title_en} (source: {event.source_name or event.source_url})")


def volume_chart(df: pd.DataFrame, events: Sequence[Event], title: str, start: date | None = None,
                 end: date | None = None) -> go.Figure:
    """Stacked daily bars of records per source, with the tracker's dated events as markers."""
    fig = go.Figure()
    for n, (source, part) in enumerate(df.groupby("source", sort=True)):
        fig.add_bar(x=pd.to_datetime(part["day"]), y=part["records"], name=str(source),
                    marker_color=PALETTE[n % len(PALETTE)])
    fig.update_layout(barmode="stack", title=title, xaxis_title="day (UTC)", yaxis_title="records",
                      legend_title="source", margin={"t": 60, "r": 20, "l": 50, "b": 40}, hovermode="x unified")
    _add_events(fig, events, start, end)
    return fig


def sentiment_chart(df: pd.DataFrame, events: Sequence[Event], title: str, start: date | None = None,
                    end: date | None = None) -> go.Figure:
    """Daily share of each sentiment label, with 95% Wilson bands and event markers."""
    fig = go.Figure()
    x = pd.to_datetime(df["day"])
    for label, colour in SENTIMENT_COLOURS.items():
        if label not in df:
            continue
        fig.add_scatter(x=pd.concat([x, x[::-1]]), y=pd.concat([df[f"{label}_hi"], df[f"{label}_lo"][::-1]]),
                        fill="toself", fillcolor=_rgba(colour, 0.15), line={"width": 0}, hoverinfo="skip",
                        showlegend=False, name=f"{label} 95% CI")
        fig.add_scatter(x=x, y=df[label], mode="lines+markers", name=label, line={"color": colour, "width": 2},
                        marker={"size": 4}, customdata=df["n"], hovertemplate="%{y:.0%} of %{customdata} scored<extra>" + label + "</extra>")
    fig.update_layout(title=title, xaxis_title="day (UTC)", yaxis_title="share of scored records",
                      yaxis={"tickformat": ".0%", "range": [0, 1]}, legend_title="sentiment",
                      margin={"t": 60, "r": 20, "l": 50, "b": 40}, hovermode="x unified")
    _add_events(fig, events, start, end)
    return fig


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    return f"rgba({int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha})"


def volume_alt(df: pd.DataFrame, tracker_label: str) -> str:
    """A screen-reader description of the volume chart, generated from its data."""
    if df.empty or df["records"].sum() == 0:
        return f"Bar chart of daily records for {tracker_label}: no records in the selected range."
    per_day = df.groupby("day")["records"].sum()
    top_day = per_day.idxmax()
    by_source = df.groupby("source")["records"].sum().sort_values(ascending=False)
    sources = ", ".join(f"{s} {int(v):,}" for s, v in by_source.items())
    return (f"Stacked bar chart of daily records for {tracker_label} from {per_day.index.min()} to {per_day.index.max()}: "
            f"{int(per_day.sum()):,} records in all; the busiest day was {top_day} with {int(per_day.max()):,}. "
            f"By source: {sources}.")


def sentiment_alt(df: pd.DataFrame, tracker_label: str, model_label: str) -> str:
    scored = df[df["n"] > 0] if not df.empty else df
    if scored.empty:
        return f"Line chart of daily sentiment shares for {tracker_label}: no scored records in the selected range."
    worst = scored.loc[scored["negative"].idxmax()]
    total = int(scored["n"].sum())
    neg = (scored["negative"] * scored["n"]).sum() / total
    return (f"Line chart of the daily share of negative, neutral and positive records for {tracker_label} "
            f"({model_label}), with 95% intervals. Over {total:,} scored records {neg:.0%} were negative; the most "
            f"negative day was {worst['day']} at {worst['negative']:.0%} of {int(worst['n']):,}.")
