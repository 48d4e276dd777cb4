"""Compare cases charts: cases aligned on days since their trigger, share of voice."""

from __future__ import annotations

import math
from datetime import timedelta

import duckdb
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.core.filters import Filters
from analysis.core.wording import count_text, share_text
from analysis.stats import aggregate
from collectors.display_zone import zone_short
from collectors.trackers import get_tracker, load_trackers
from dashboard.charts.registry import ChartDef, View, WholeNumber, register, require, source_line
from dashboard.charts.style import MARGIN, PALETTE, PATTERNS, empty_figure, legend_below, plain
from dashboard.charts.topics import entity_labels


def aligned_chart(df: pd.DataFrame, title: str, y: str = "share", y_title: str = "share of the case's records") -> go.Figure:
    """One line per tracker on days since its trigger (x = 0 is each case's trigger day)."""
    fig = go.Figure()
    for n, (tracker, part) in enumerate(df.groupby("tracker", sort=False)):
        fig.add_scatter(x=part["days_since_trigger"], y=part[y], mode="lines+markers", name=plain(tracker, 50),
                        line={"color": PALETTE[n % len(PALETTE)], "width": 2,
                              "dash": ["solid", "dash", "dot", "dashdot"][n % 4]}, marker={"size": 4})
    fig.add_vline(x=0, line_dash="dot", line_color="#555555")
    fig.update_layout(title=title, xaxis_title="days since trigger", yaxis_title=y_title, legend_title="case",
                      hovermode="x unified")
    return legend_below(fig)


def aligned_alt(df: pd.DataFrame, y: str = "share") -> str:
    if df.empty:
        return "Line chart of cases aligned on days since their trigger: no data."
    parts = []
    for tracker, part in df.groupby("tracker", sort=False):
        top = part.loc[part[y].idxmax()]
        parts.append(f"{tracker} peaks on day {int(top['days_since_trigger'])} at {top[y]:.3g}")
    return "Line chart of cases aligned on days since each trigger (day 0 = trigger): " + "; ".join(parts) + "."


def _no_mentions(df: pd.DataFrame, value: str) -> bool:
    """No record mentions an entity drawn (their mentions may all be of entities of other types)."""
    return df.empty or df[value].isna().all() or ("mentions" in df and df["mentions"].sum() == 0)


def share_chart(df: pd.DataFrame, title: str, key: str = "entity", value: str = "share") -> go.Figure:
    """Stacked area of each entity's share of voice per day."""
    if _no_mentions(df, value):  # nothing to share out
        return empty_figure(title, "No records in the selected range mention the tracker's entities of these types.")
    fig = go.Figure()
    for n, (name, part) in enumerate(df.groupby(key, sort=False)):
        fig.add_scatter(x=pd.to_datetime(part["day"]), y=part[value], name=plain(name, 40), stackgroup="one",
                        mode="lines", line={"color": PALETTE[n % len(PALETTE)], "width": 0.5},
                        fillpattern={"shape": PATTERNS[n % len(PATTERNS)], "fgcolor": "rgba(0,0,0,0.45)"})
    fig.update_layout(title=title, xaxis_title=f"day ({zone_short()})", yaxis_title="share of voice",
                      yaxis={"tickformat": ".0%"}, legend_title=key, hovermode="x unified")
    return legend_below(fig)


def share_alt(df: pd.DataFrame, tracker_label: str, key: str = "entity", value: str = "share") -> str:
    if _no_mentions(df, value):
        return f"Share-of-voice chart for {tracker_label}: no mentions in range."
    weight = "mentions" if "mentions" in df else value
    totals = df.groupby(key)[weight].sum().sort_values(ascending=False)
    # the shares drawn are of every entity's mentions (attrs["mentions_all"]), also of those of types not shown
    total = df.attrs.get("mentions_all") or totals.sum() or 1
    parts = ", ".join(f"{k} {share_text(v / total)}" for k, v in totals.head(6).items())
    n = count_text(total, "mention") if weight == "mentions" else ""  # the n the shares are of
    of_all = (f", as shares of all the tracker's {n or 'mentions'} of entities" if "mentions_all" in df.attrs
              else f", of {n}" if n else "")
    among = count_text(len(totals), "entity", "entities") if key == "entity" else count_text(len(totals), key)
    return (f"Stacked area chart of daily share of voice among {among} for {tracker_label}; "
            f"overall{of_all}: {parts}.")


def aligned_sources_chart(df: pd.DataFrame, title: str, y: str = "share") -> go.Figure:
    """Small multiples, one per source: each case's normalised daily volume (y="records": raw) on days since its
    trigger."""
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
            fig.add_scatter(x=line["day_offset"], y=line[y], mode="lines", name=plain(tracker, 40),
                            legendgroup=tracker, showlegend=tracker not in in_legend, row=i // cols + 1,
                            col=i % cols + 1,
                            line={"color": PALETTE[n % len(PALETTE)], "dash": ["solid", "dash", "dot"][n % 3]},
                            customdata=line["records"],
                            hovertemplate=("day %{x}: %{y:.1%} (%{customdata} records)" if y == "share" else
                                           "day %{x}: %{y:,} records") + "<extra>" + plain(tracker) + "</extra>")
            in_legend.add(tracker)
        fig.add_vline(x=0, line_dash="dot", line_color="#555555", row=i // cols + 1, col=i % cols + 1)
    fig.update_yaxes(tickformat=".0%" if y == "share" else ",")
    fig.update_layout(title=title, legend_title="case", margin=MARGIN, height=260 * rows + 80, hovermode="closest")
    return fig


def aligned_sources_alt(df: pd.DataFrame, y: str = "share", normalise: str = "per_source") -> str:
    """`normalise`: what the shares are of, as align_cases took them (per_tracker: of the case's records on all
    the sources drawn, not of its records on that source)."""
    if df.empty:
        return "Cases aligned on days since trigger: no records."
    of = "the case's records" if normalise == "per_tracker" else "its records on that source"
    parts = []
    for (tracker, source), part in df.groupby(["tracker", "source"], sort=True):
        if part["records"].sum() == 0:
            continue
        top = part.loc[part[y].idxmax()]
        amount = f"{share_text(top['share'])} of {of}" if y == "share" else count_text(top['records'], "record")
        parts.append(f"{tracker} on {source} peaks on day {int(top['day_offset'])} ({amount})")
    what = f"share of {of}" if y == "share" else "records"
    return (f"Small-multiple line charts, one per source, of each case's {what} per day since its "
            "trigger (day 0): " + "; ".join(parts) + ".")


NORMALISE_LABELS = {"per_source": "share of the case's records on that source", "per_tracker": "share of the case's records",
                    "none": "raw records"}


def normalise_caption(normalise: str) -> str:
    """What the aligned chart's lines are under `normalise` (the value the chart is drawn with), for its caption."""
    return {
        "per_source": "Each line is normalised within its case and source (a share of the case's records on that "
                      "source), so the shape of attention is compared, not its size.",
        "per_tracker": "Each line is a share of all its case's records on the sources drawn, so the shape of each "
                       "case's attention is compared, and its sources' sizes against each other, not the cases' sizes.",
        "none": "Each line is the raw count of records, not normalised: the cases are compared by size, so a small "
                "case may look flat beside a large one.",
    }[normalise]


def _cases(view: View) -> list[str]:
    others = view.option("with", "", [t.id for t in load_trackers()], many=True)
    return [view.filters.tracker, *[t for t in others.split(",") if t and t != view.filters.tracker]]


def _normalise(view: View) -> str:
    return view.option("normalise", "per_source", require("analysis.stats.crosscase").NORMALISE)


def _days(view: View) -> tuple[int, int]:
    """Days drawn before and after each case's trigger (the `before` and `after` options)."""
    return int(view.option("before", "7", WholeNumber(0, 365))), int(view.option("after", "30", WholeNumber(1, 365)))


def _aligned_y(view: View) -> str:
    """The plotted column: shares, or the records themselves when not normalised (their share is NaN)."""
    return "records" if _normalise(view) == "none" else "share"


def _load_aligned(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    crosscase = require("analysis.stats.crosscase")
    before, after = _days(view)
    frame = crosscase.align_cases(con, _cases(view), before, after, normalise=_normalise(view),
                                  langs=view.filters.langs, sources=view.filters.sources)
    # the credit line's synthetic share is of the records drawn: each case's own window, not the sidebar's dates
    drawn = [aggregate.kpis(con, Filters(case, trigger - timedelta(days=before), trigger + timedelta(days=after),
                                         view.filters.sources, view.filters.langs))
             for case, trigger in ((c, get_tracker(c).trigger_date) for c in _cases(view))]
    records = sum(k["records"] for k in drawn)
    frame.attrs["synthetic_share"] = sum(k["synthetic_share"] * k["records"] for k in drawn) / records if records else 0.0
    frame.attrs["records"] = records
    return frame


def _aligned_source(df: pd.DataFrame, view: View) -> str:
    """Credits the days drawn (each case's own, around its trigger), their records and synthetic share."""
    before, after = _days(view)
    return source_line(view, float(df.attrs.get("synthetic_share", 0.0)), df.attrs.get("records"),
                       days=f"each case from {before} days before to {after} days after its trigger day")


register(ChartDef(
    name="compare-aligned", title="Cases aligned on days since trigger, per source", page="compare",
    description="Each case's daily records per source on days since its trigger (analysis.stats.crosscase.align_cases): "
                "a share of its records on that source; normalise=per_tracker: of all its records on the sources "
                "drawn; normalise=none: raw records.",
    load=_load_aligned,
    draw=lambda df, view, model: aligned_sources_chart(
        df, "Cases aligned on days since trigger: " + " vs ".join(_cases(view)), _aligned_y(view)),
    describe=lambda df, view, model: aligned_sources_alt(df, _aligned_y(view), _normalise(view)),
    needs=("analysis.stats.crosscase",), source=_aligned_source,
))


VOICE_TYPES = ("platform", "company", "studio", "union", "industry_body", "ai_performer")


def _load_share(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    frame = require("analysis.stats.crosscase").share_of_voice(con, view.filters, view.tracker)
    mentions_all = int(frame["mentions"].sum())  # the shares' denominator, before the chosen types are kept
    types = [t for t in view.option("types", ",".join(VOICE_TYPES), VOICE_TYPES, many=True).split(",") if t]
    keep = {e.id for e in view.tracker.entities if e.type in types}
    frame = frame[frame["entity"].isin(keep)].reset_index(drop=True)
    labels = entity_labels(view)
    frame["entity"] = [labels.get(e, e) for e in frame["entity"]]
    frame.attrs["mentions_all"] = mentions_all
    return frame


register(ChartDef(
    name="compare-share", title="Share of voice among entities — {tracker}", page="compare",
    description="Each entity's share of the day's entity mentions (analysis.stats.crosscase.share_of_voice), for the "
                "chosen entity types.",
    load=_load_share,
    draw=lambda df, view, model: share_chart(df, f"Share of voice — {view.tracker.name_en}"),
    describe=lambda df, view, model: share_alt(df, view.tracker.name_en),
    needs=("analysis.stats.crosscase",),
))
