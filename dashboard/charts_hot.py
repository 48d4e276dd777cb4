"""Pure figure builders for the hot-search view (Beijing time on every time axis), with their alt texts."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.hot_search import TZ_LABEL
from dashboard.charts import PALETTE, plain

TIME_AXIS = f"time ({TZ_LABEL})"
DAY_AXIS = f"day ({TZ_LABEL})"
ITEM_COLOURS = {"event": "#999999", "statement": "#CC79A7"}
_MS_PER_DAY = 86_400_000
_DASHES = ["solid", "dash", "dot", "dashdot"]


def heat_label(value: float) -> str:
    """872,000 → '872K'; 2,697,892 → '2.7M'."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 1_000:
        return f"{value / 1_000:.0f}K"
    return f"{value:.0f}"


def _topic_days(spans: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Start of the first and end of the last Beijing day the topics cover."""
    return spans["first_seen_bj"].min().normalize(), spans["gone_at_bj"].max().normalize() + pd.Timedelta(days=1)


def timeline_items(spans: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """The curated items dated on the days the topics cover (all of them when there are no topics)."""
    if spans.empty or items.empty:
        return items
    first_day, last_day = _topic_days(spans)
    dates = pd.to_datetime(items["date"])
    return items[(dates >= first_day) & (dates < last_day)]


def timeline_chart(spans: pd.DataFrame, items: pd.DataFrame, title: str) -> go.Figure:
    """Each topic as a bar from first seen to gone, its peak marked; curated items as full-day bars above.

    The axis spans the Beijing days the topics cover; curated items dated outside them are left out.
    """
    fig = go.Figure()
    x_range = [d.isoformat() for d in _topic_days(spans)] if not spans.empty else None
    items = timeline_items(spans, items)
    if not items.empty:
        for item_type, part in items.groupby("item_type", sort=False):
            labels = [f"{item_type}: {plain(t, 34)} [{i}]" for t, i in zip(part["title"], part["item_id"], strict=True)]
            fig.add_bar(
                y=labels, base=[pd.Timestamp(d).isoformat() for d in part["date"]], x=[_MS_PER_DAY] * len(part),
                orientation="h", name=f"curated {item_type}s (day only; time not given)",
                marker_color=ITEM_COLOURS.get(str(item_type), "#999999"), opacity=0.45,
                customdata=part[["title", "source_name"]].to_numpy(),
                hovertemplate="%{customdata[0]}<br>dated %{base|%d %b %Y} (time of day not given by the source)"
                              "<br>source: %{customdata[1]}<extra></extra>")
    if not spans.empty:
        # Topic titles are untrusted text: escaped for plotly, which reads a few HTML tags in labels.
        topics = spans["topic"].map(plain)
        duration = (spans["gone_at_bj"] - spans["first_seen_bj"]).dt.total_seconds() * 1000
        fig.add_bar(
            y=topics, base=spans["first_seen_bj"].dt.strftime("%Y-%m-%dT%H:%M:%S"),
            x=duration.clip(lower=600_000), orientation="h", name="trending topic (first seen → gone)",
            marker_color=PALETTE[0],
            customdata=pd.DataFrame({
                "en": spans["topic_en"].map(plain), "first": spans["first_seen_bj"].dt.strftime("%d %b %H:%M"),
                "gone": spans["gone_at_bj"].dt.strftime("%d %b %H:%M"),
                "how": spans["marked_gone"].map({True: "marked gone by", False: "last seen"}),
                "peak": spans["peak_heat"].map(heat_label)}).to_numpy(),
            hovertemplate="%{y}<br>%{customdata[0]}<br>first seen %{customdata[1]}, %{customdata[3]} "
                          "%{customdata[2]} (UTC+8)<br>peak heat %{customdata[4]}<extra></extra>")
        fig.add_scatter(
            y=topics, x=spans["peak_at_bj"], mode="markers+text", name="peak heat (first recorded)",
            marker={"symbol": "diamond", "size": 10, "color": PALETTE[1], "line": {"width": 1, "color": "#000"}},
            text=spans["peak_heat"].map(heat_label), textposition="middle right", textfont={"size": 11},
            customdata=spans["peak_heat"], hovertemplate="%{y}<br>peak heat %{customdata:,} recorded "
                                                          "%{x|%d %b %H:%M} (UTC+8)<extra></extra>")
    rows = len(spans) + len(items)
    fig.update_layout(title=title, barmode="overlay", height=max(360, 140 + 24 * rows),
                      xaxis={"type": "date", "title": TIME_AXIS, "range": x_range}, yaxis={"autorange": "reversed", "title": None},
                      legend={"orientation": "h", "y": -0.12}, margin={"t": 60, "r": 40, "l": 20, "b": 60})
    return fig


def hourly_chart(hourly: pd.DataFrame, title: str) -> go.Figure:
    """Heat of each topic at every intraday snapshot (one line per topic)."""
    fig = go.Figure()
    for n, (topic, part) in enumerate(hourly.groupby("topic", sort=False)):
        fig.add_scatter(x=part["observed_bj"], y=part["heat"], mode="lines+markers", name=plain(topic),
                        line={"color": PALETTE[n % len(PALETTE)], "dash": _DASHES[(n // len(PALETTE)) % len(_DASHES)]},
                        marker={"size": 4}, customdata=part["status"],
                        hovertemplate="%{x|%d %b %H:%M} (UTC+8): heat %{y:,} (%{customdata})<extra>" + plain(topic)
                                      + "</extra>")
    fig.update_layout(title=title, xaxis_title=TIME_AXIS, yaxis_title="heat (Weibo hot-search count)",
                      legend_title="topic", margin={"t": 60, "r": 20, "l": 60, "b": 40}, hovermode="closest")
    return fig


def share_chart(share: pd.DataFrame, title: str) -> go.Figure:
    """The tracker's share of the whole list's heat, per Beijing day."""
    fig = go.Figure()
    fig.add_bar(x=pd.to_datetime(share["day"]), y=share["share"], marker_color=PALETTE[5],
                text=share["share"].map(lambda v: f"{v:.1%}"), textposition="outside", name="share of list heat",
                customdata=share[["topics", "tracker_heat", "list_heat"]].to_numpy(),
                hovertemplate="%{x|%d %b %Y}: %{y:.1%} of the list's heat<br>%{customdata[0]} tracker topic(s), "
                              "%{customdata[1]:,} of %{customdata[2]:,}<extra></extra>")
    fig.update_layout(title=title, xaxis={"title": DAY_AXIS, "type": "date", "dtick": _MS_PER_DAY},
                      yaxis={"title": "share of the list's total heat", "tickformat": ".0%"},
                      margin={"t": 60, "r": 20, "l": 60, "b": 40})
    return fig


def timeline_alt(spans: pd.DataFrame, items: pd.DataFrame, tracker_label: str) -> str:
    if spans.empty:
        return f"Timeline of Weibo hot-search topics for {tracker_label}: no matching topics in the selected range."
    top = spans.loc[spans["peak_heat"].idxmax()]
    first = spans.iloc[0]
    items = timeline_items(spans, items)
    return (f"Timeline of {len(spans)} Weibo hot-search topics matching {tracker_label}, in Beijing time (UTC+8), "
            f"each a bar from first seen to gone, with {len(items)} curated events and statements dated by day. "
            f"The first, {first['topic']}, appeared {first['first_seen_bj']:%d %b %H:%M}; the hottest, "
            f"{top['topic']}, peaked at {int(top['peak_heat']):,} heat on {top['peak_at_bj']:%d %b %H:%M}.")


def hourly_alt(hourly: pd.DataFrame, tracker_label: str) -> str:
    if hourly.empty:
        return f"Line chart of hourly heat for {tracker_label}: no intraday snapshots in the selected range."
    top = hourly.loc[hourly["heat"].idxmax()]
    days = ", ".join(f"{d:%d %b}" for d in sorted(hourly["day"].unique()))
    return (f"Line chart of the heat of {hourly['topic'].nunique()} hot-search topics of {tracker_label} at each "
            f"snapshot on {days}, Beijing time (UTC+8). Highest reading: {top['topic']} at {int(top['heat']):,} on "
            f"{top['observed_bj']:%d %b %H:%M}.")


def share_alt(share: pd.DataFrame, tracker_label: str) -> str:
    if share.empty:
        return f"Bar chart of {tracker_label}'s share of the hot-search list's heat: no matching topics in range."
    top = share.loc[share["share"].idxmax()]
    return (f"Bar chart of {tracker_label}'s share of the Weibo hot-search list's total heat per Beijing day "
            f"(UTC+8), over {len(share)} day(s) with matching topics; highest on {top['day']:%d %b %Y} at "
            f"{top['share']:.1%} ({int(top['topics'])} topics).")
