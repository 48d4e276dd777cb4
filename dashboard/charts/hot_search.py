"""Hot search charts: topic spans, hourly heat and the tracker's share of the list (Beijing time)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go

from analysis.core.wording import count_text, share_text
from analysis.stats.hot_search import TZ_LABEL
from collectors.hot_search import ARCHIVE_COMMIT, ARCHIVE_REPO
from dashboard.charts.registry import ChartDef, View, register, require
from dashboard.charts.style import GREY, PALETTE, ROW_LABEL_CHARS, legend_below, plain, row_label, series_look

TIME_AXIS = f"time ({TZ_LABEL})"


DAY_AXIS = f"day ({TZ_LABEL})"


ITEM_COLOURS = {"event": GREY, "statement": PALETTE[3]}


_MS_PER_DAY = 86_400_000



def heat_label(value: float) -> str:
    """872,000 → '872K'; 2,697,892 → '2.7M'; '–' for an unknown heat."""
    if pd.isna(value):
        return "–"
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
    shown: dict[str, str] = {}  # each row's name as the axis shows it, in short lines (the traces keep the whole)
    items = timeline_items(spans, items)
    if not items.empty:
        for item_type, part in items.groupby("item_type", sort=False):
            labels = [f"{item_type}: {plain(t, 34)} [{i}]" for t, i in zip(part["title"], part["item_id"], strict=True)]
            # shown with the id on a line of its own (cut too, unless that makes two alike): the row takes two lines
            ids = part["item_id"].map(lambda i: plain(i, ROW_LABEL_CHARS - 2))
            ids = part["item_id"].map(plain) if ids.duplicated().any() else ids
            shown.update({label: f"{row_label(f'{item_type}: {t}', ROW_LABEL_CHARS)}<br>[{i}]"
                          for label, t, i in zip(labels, part["title"], ids, strict=True)})
            fig.add_bar(
                y=labels, base=[pd.Timestamp(d).isoformat() for d in part["date"]], x=[_MS_PER_DAY] * len(part),
                orientation="h", name=f"curated {item_type}s (day only; time not given)",
                marker_color=ITEM_COLOURS.get(str(item_type), GREY), opacity=0.45,
                marker_pattern_shape={"event": "", "statement": "/"}.get(str(item_type), "."),
                customdata=part[["title", "source_name"]].to_numpy(),
                hovertemplate="%{customdata[0]}<br>dated %{base|%d %b %Y} (time of day not given by the source)"
                              "<br>source: %{customdata[1]}<extra></extra>")
    if not spans.empty:
        # Topic titles are untrusted text: escaped for plotly, which reads a few HTML tags in labels.
        topics = spans["topic"].map(plain)
        shown.update({plain(topic): row_label(topic, 60) for topic in spans["topic"]})
        duration = (spans["gone_at_bj"] - spans["first_seen_bj"]).dt.total_seconds() * 1000
        fig.add_bar(
            y=topics, base=spans["first_seen_bj"].dt.strftime("%Y-%m-%dT%H:%M:%S"),
            x=duration.clip(lower=600_000), orientation="h", name="trending topic (first seen → gone)",
            marker_color=PALETTE[0],
            customdata=pd.DataFrame({
                "en": spans["topic_en"].map(plain), "first": spans["first_seen_bj"].dt.strftime("%d %b %H:%M"),
                "gone": spans["gone_at_bj"].dt.strftime("%d %b %H:%M"),
                "how": spans["marked_gone"].map({True: "off the list by", False: "last seen"}),
                "peak": spans["peak_heat"].map(heat_label),
                "spells": spans["spells"]}).to_numpy(),
            hovertemplate="%{y}<br>%{customdata[0]}<br>first seen %{customdata[1]}, %{customdata[3]} "
                          "%{customdata[2]} (UTC+8)<br>spells on the list: %{customdata[5]} (more than one: it "
                          "left and came back)<br>peak heat %{customdata[4]}<extra></extra>")
        fig.add_scatter(
            y=topics, x=spans["peak_at_bj"], mode="markers+text", name="peak heat (first recorded)",
            marker={"symbol": "diamond", "size": 10, "color": PALETTE[1], "line": {"width": 1, "color": "#000"}},
            text=spans["peak_heat"].map(heat_label), textposition=_peak_label_sides(spans["peak_at_bj"], x_range),
            textfont={"size": 11},
            customdata=spans["peak_heat"], hovertemplate="%{y}<br>peak heat %{customdata:,} recorded "
                                                          "%{x|%d %b %H:%M} (UTC+8)<extra></extra>")
    rows = list(dict.fromkeys(label for trace in fig.data for label in trace.y))
    lines = max((shown[row].count("<br>") + 1 for row in rows), default=1)  # every row of a category axis is as tall
    fig.update_layout(title=title, barmode="overlay", xaxis={"type": "date", "title": TIME_AXIS, "range": x_range},
                      yaxis={"autorange": "reversed", "title": None, "tickmode": "array", "tickvals": rows,
                             "ticktext": [shown[row] for row in rows]})
    legend_below(fig, len(rows) * (10 + 14 * lines))
    return fig


# A heat label right of its diamond ran past the plot's right edge, where plotly cuts it, for peaks in the last
# days: on a phone (a plot ~170 px wide) a day is ~20 px and a label ~30. In the range's last part it goes left.
LABEL_LEFT_FROM = 0.75  # of the x range


def _peak_label_sides(peaks: pd.Series, x_range: list[str] | None) -> list[str]:
    """Each peak's heat label beside its diamond: to the right, or to the left near the range's right end."""
    if not x_range:
        return ["middle right"] * len(peaks)
    start, end = (pd.Timestamp(x) for x in x_range)
    return ["middle left" if (peak - start) / (end - start) > LABEL_LEFT_FROM else "middle right" for peak in peaks]


def hourly_chart(hourly: pd.DataFrame, title: str) -> go.Figure:
    """Heat of each topic at every intraday snapshot (one line per topic)."""
    fig = go.Figure()
    for n, (topic, part) in enumerate(hourly.groupby("topic", sort=False)):
        dash, symbol = series_look(n)
        fig.add_scatter(x=part["observed_bj"], y=part["heat"], mode="lines+markers", name=plain(topic),
                        line={"color": PALETTE[n % len(PALETTE)], "dash": dash},
                        marker={"size": 5, "symbol": symbol}, customdata=part["status"],
                        hovertemplate="%{x|%d %b %H:%M} (UTC+8): heat %{y:,} (%{customdata})<extra>" + plain(topic)
                                      + "</extra>")
    fig.update_layout(title=title, xaxis_title=TIME_AXIS, yaxis_title="heat (Weibo hot-search count)",
                      legend_title="topic", hovermode="closest")
    return legend_below(fig)


def share_chart(share: pd.DataFrame, title: str) -> go.Figure:
    """The tracker's share of the day's list heat (see `daily_share`), per Beijing day."""
    fig = go.Figure()
    fig.add_bar(x=pd.to_datetime(share["day"]), y=share["share"], marker_color=PALETTE[5],
                text=share["share"].map(lambda v: f"{v:.1%}"), textposition="outside", name="share of list heat",
                customdata=share[["topics", "tracker_heat", "list_heat", "off_list"]].to_numpy(),
                hovertemplate="%{x|%d %b %Y}: %{y:.1%} of the day's list heat<br>%{customdata[0]} tracker topic(s), "
                              "%{customdata[1]:,} of %{customdata[2]:,} (the day's fullest list, plus %{customdata[3]} "
                              "tracker topic(s) that had fallen off it)<extra></extra>")
    fig.update_layout(title=title, xaxis={"title": DAY_AXIS, "type": "date", "dtick": _MS_PER_DAY},
                      yaxis={"title": "share of the day's list heat", "tickformat": ".0%"},
                      margin={"t": 60, "r": 20, "l": 60, "b": 40})
    return fig


def timeline_alt(spans: pd.DataFrame, items: pd.DataFrame, tracker_label: str) -> str:
    if spans.empty:
        return f"Timeline of Weibo hot-search topics for {tracker_label}: no matching topics in the selected range."
    first = spans.iloc[0]
    items = timeline_items(spans, items)
    heated = spans.dropna(subset=["peak_heat"])
    if heated.empty:
        hottest = "no sighting reported a heat."
    else:
        top = heated.loc[heated["peak_heat"].idxmax()]
        hottest = f"the hottest, {top['topic']}, peaked at {int(top['peak_heat']):,} heat on {top['peak_at_bj']:%d %b %H:%M}."
    return (f"Timeline of {count_text(len(spans), 'Weibo hot-search topic')} matching {tracker_label}, in Beijing time (UTC+8), "
            f"each a bar from first seen to gone, with {count_text(len(items), 'curated event or statement', 'curated events and statements')} dated by day. "
            f"The first, {first['topic']}, appeared {first['first_seen_bj']:%d %b %H:%M}; {hottest}")


def hourly_alt(hourly: pd.DataFrame, tracker_label: str) -> str:
    if hourly.empty:
        return f"Line chart of hourly heat for {tracker_label}: no intraday snapshots in the selected range."
    top = hourly.loc[hourly["heat"].idxmax()]
    days = ", ".join(f"{d:%d %b}" for d in sorted(hourly["day"].unique()))
    return (f"Line chart of the heat of {count_text(hourly['topic'].nunique(), 'hot-search topic')} of {tracker_label} at each "
            f"snapshot on {days}, Beijing time (UTC+8). Highest reading: {top['topic']} at {int(top['heat']):,} on "
            f"{top['observed_bj']:%d %b %H:%M}.")


def share_alt(share: pd.DataFrame, tracker_label: str) -> str:
    if share.empty:
        return f"Bar chart of {tracker_label}'s share of the hot-search list's heat: no matching topics in range."
    top = share.loc[share["share"].idxmax()]
    off = int(top["off_list"]) if "off_list" in share and pd.notna(top["off_list"]) else 0
    fell = f"; {off} of its topics had fallen off the day's fullest list and are counted in the whole too" if off else ""
    return (f"Bar chart of {tracker_label}'s share of the Weibo hot-search list's heat per Beijing day (UTC+8): its "
            f"topics' peak heat over that plus the other topics' heat in the day's fullest list (at most 100 topics), "
            f"over {count_text(len(share), 'day')} with matching topics; highest on {top['day']:%d %b %Y} at "
            f"{top['share']:.1%} ({count_text(top['topics'], 'topic')}{fell}).")


ARCHIVE_SOURCE = (f"Weibo hot search, recorded by github.com/{ARCHIVE_REPO} (snapshot {ARCHIVE_COMMIT[:12]}); "
                  "topic titles are trending headlines, not verified facts")


LIVE_SOURCE = "Weibo hot search (actorwatch collector); topic titles are trending headlines, not verified facts"


PAGE = "hot-search"


def source_line(observations: pd.DataFrame) -> str:
    """Credit the archive when its snapshots are in view, else the live collector."""
    snaps = observations["snapshot"].astype(str) if not observations.empty else pd.Series(dtype=str)
    return ARCHIVE_SOURCE if snaps.str.match(r"^(daily|intraday)/").any() else LIVE_SOURCE


def synthetic_share(observations: pd.DataFrame) -> float:
    return float(observations["synthetic"].fillna(False).astype(bool).mean()) if len(observations) else 0.0


def published_source(observations: pd.DataFrame, view: View) -> str:
    """The source line a published chart carries: the credit, then the Beijing days drawn, how many sightings of how
    many topics, and the synthetic share (the chart travels without the page that said them)."""
    f = view.filters
    days = f"{f.start or 'first'} to {f.end or 'last'} (Beijing days, UTC+8)"
    seen = (f"{count_text(len(observations), 'sighting')} of "
            f"{count_text(observations['topic'].nunique() if len(observations) else 0, 'topic')}")
    share = synthetic_share(observations)
    demo = f"; {share_text(share)} synthetic demo data" if share > 0 else ""
    return f"{source_line(observations)}; {days}, {seen}{demo}"


def _load(con: duckdb.DuckDBPyConnection, view: View, analyse: str, with_lists: bool = False) -> pd.DataFrame:
    """analysis.stats.hot_search.<analyse> over the tracker's observations (and, `with_lists`, every snapshot of the
    list on those days), credited to where they came from."""
    hot_search = require("analysis.stats.hot_search")
    f = view.filters
    obs = hot_search.tracker_observations(con, f.tracker, f.start, f.end)
    lists = (hot_search.list_snapshots(con, f.start, f.end),) if with_lists else ()
    frame = getattr(hot_search, analyse)(obs, *lists)
    frame.attrs["source"] = published_source(obs, view)
    frame.attrs["synthetic_share"] = synthetic_share(obs)
    # attrs hold plain lists: pandas compares attrs when combining frames, which DataFrames cannot do
    frame.attrs["items"] = hot_search.tracker_items(view.tracker, f.start, f.end).to_dict("records")
    return frame


def _source(df: pd.DataFrame, view: View) -> str:
    return str(df.attrs.get("source") or LIVE_SOURCE)


def _items(df: pd.DataFrame) -> pd.DataFrame:
    """The tracker's curated events and statements in the view (analysis.stats.hot_search.tracker_items)."""
    return pd.DataFrame(df.attrs.get("items", []),
                        columns=["item_type", "item_id", "date", "title", "kind", "source_name", "source_url"])


def times_table(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """CSV-ready copy: each instant as UTC ISO text and as Beijing wall-clock text (the `*_bj` columns dropped)."""
    to_beijing = require("analysis.stats.hot_search").to_beijing
    out = frame.copy()
    for col in columns:
        utc = pd.to_datetime(out[col], utc=True)
        out[f"{col}_utc"] = utc.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        out[f"{col}_beijing_utc8"] = to_beijing(utc).dt.strftime("%Y-%m-%d %H:%M:%S")
    return out.drop(columns=[*columns, *(c for c in out.columns if c.endswith("_bj"))])


def _register(key: str, title: str, description: str, analyse: str, draw: Callable[[pd.DataFrame, str], Any],
              describe: Callable[[pd.DataFrame, str], str], table: Callable[[pd.DataFrame], pd.DataFrame],
              notes: str = "", with_lists: bool = False) -> None:
    register(ChartDef(
        name=f"hot-search-{key}", title=f"{title} — {{tracker}}", page=PAGE, description=description,
        load=lambda con, view: _load(con, view, analyse, with_lists),
        draw=lambda df, view, model: draw(df, f"{title} — {view.tracker.name_en}"),
        describe=lambda df, view, model: describe(df, view.tracker.name_en),
        needs=("analysis.stats.hot_search",), source=_source, table=table, notes=notes))


_register("timeline", "Trending topics and curated events",
          "Each Weibo hot-search topic of the tracker from first seen to gone, its peak heat, and the tracker's dated "
          "events and statements (Beijing time).", "topic_spans",
          draw=lambda df, title: timeline_chart(df, _items(df), title),
          describe=lambda df, label: timeline_alt(df, _items(df), label),
          table=lambda df: times_table(df, ["first_seen", "gone_at", "peak_at", "last_listed_at"]),
          notes="Bars run from first seen to the first snapshot that no longer lists the topic (or its last sighting).")


_register("hourly", "Heat hour by hour on the event days",
          "Heat of each hot-search topic of the tracker at every snapshot, on days with hourly snapshots.",
          "hourly_heat", draw=hourly_chart, describe=hourly_alt,
          table=lambda df: times_table(df, ["observed_at"]))


_register("share", "Share of the day's hot-search list heat",
          "Per Beijing day, the tracker's topics' peak heat as a share of itself plus the other topics' heat in the "
          "day's fullest list (the archive keeps at most 100 topics a day, so some drop off).", "daily_share",
          draw=share_chart, describe=share_alt, with_lists=True,
          table=lambda df: df.assign(day=df["day"].astype(str)),
          notes="Share = the tracker topics' peak heat that day / (that + the other topics' heat in the day's "
                "largest list); never above 100%. `off_list`: tracker topics that list no longer held.")
