"""Voices charts: the statement tracker, the stance of posts (model) and the claim ledger."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go

from analysis.core.filters import Filters
from analysis.core.wording import count_text
from collectors.models import SOCIAL_KINDS
from dashboard.charts.ledgers import claims_frame, statements_frame
from dashboard.charts.registry import PERIODS, ChartDef, View, model_label, register, require
from dashboard.charts.style import (
    PALETTE,
    STANCE_COLOURS,
    date_axis,
    empty_figure,
    legend_below,
    no_annotations_message,
    plain,
    row_label,
    share_lines,
    shares_alt,
)


def statements_chart(df: pd.DataFrame, title: str) -> go.Figure:
    """Curated statements as dots on a timeline, one row per speaker, coloured by stance."""
    if df.empty:
        return empty_figure(title, "No curated statements for this tracker.")
    fig = go.Figure()
    for stance, colour in STANCE_COLOURS.items():
        part = df[df["stance"] == stance]
        if part.empty:
            continue
        hover = [f"{plain(w)} ({plain(r)}), {d}: {plain(s, 160)}<br>source: {plain(n)}, {sd} · {plain(u)}"
                 for w, r, d, s, n, sd, u in zip(part["who"], part["role"], part["date"], part["summary"],
                                                 part["source_name"], part["source_date"], part["source_url"],
                                                 strict=True)]
        fig.add_scatter(x=pd.to_datetime(part["date"]), y=[row_label(w, 40) for w in part["who"]], mode="markers",
                        name=stance, marker={"color": colour, "size": 13, "line": {"width": 1, "color": "#000"},
                                             "symbol": _STANCE_SYMBOLS.get(stance, "circle")},
                        hovertext=hover, hoverinfo="text")
    fig.update_layout(title=title, xaxis_title="date of statement", yaxis_title="", legend_title="stance")
    legend_below(fig, 42 * df["who"].nunique())
    date_axis(fig, df["date"])
    return fig


_STANCE_SYMBOLS = {"oppose": "x", "deny-involvement": "square", "conditional": "diamond", "neutral": "circle",
                   "support": "triangle-up"}


def statements_alt(df: pd.DataFrame, tracker_label: str) -> str:
    if df.empty:
        return f"Timeline of statements for {tracker_label}: none curated."
    counts = df["stance"].value_counts()
    mix = ", ".join(f"{n} {stance}" for stance, n in counts.items())
    statements = count_text(len(df), "curated, sourced statement")
    return (f"Timeline of {statements} about {tracker_label} from {df['date'].min()} to "
            f"{df['date'].max()} by {count_text(df['who'].nunique(), 'speaker')}; stances: {mix}.")


def curated_source(df: pd.DataFrame, view: View) -> str:
    """Curated facts are credited to the published reports they come from, not to the store (whose synthetic
    demo records they are not)."""
    if len(df) and "date" in df:
        dates = pd.to_datetime(df["date"]).dt.date
        drawn = f"n = {count_text(len(df), 'item')} dated {dates.min()} to {dates.max()}"
    else:
        drawn = "no items"
    return (f"curated from published reports (data/trackers.toml), {drawn}; each item's outlet, source URL and date "
            "are in the chart's data; summaries in our words")


def claims_chart(df: pd.DataFrame, title: str) -> go.Figure:
    """Each claim's reports by outlet over time, labelled with the version each outlet reported."""
    df = df.dropna(subset=["version"])
    if df.empty:
        return empty_figure(title, "No outlet reports in the claim ledger for this tracker.")
    fig = go.Figure()
    versions = list(dict.fromkeys(df["version"]))
    for n, version in enumerate(versions):
        part = df[df["version"] == version]
        fig.add_scatter(x=pd.to_datetime(part["date"]), y=[row_label(c, 50) for c in part["claim"]], mode="markers",
                        name=plain(version, 40), marker={"size": 12, "color": PALETTE[n % len(PALETTE)],
                                                         "symbol": ["circle", "square", "diamond", "triangle-up",
                                                                    "x", "star", "cross", "hexagon"][n % 8]},
                        hovertext=[f"{plain(o)}: {plain(version)} ({d})" for o, d in zip(part["outlet"], part["date"], strict=True)],
                        hoverinfo="text")
    fig.update_layout(title=title, xaxis_title="date reported", legend_title="version reported")
    legend_below(fig, 60 * df["claim"].nunique())
    date_axis(fig, df["date"])
    return fig


def claims_alt(df: pd.DataFrame, tracker_label: str) -> str:
    if df.empty:
        return f"Claim ledger chart for {tracker_label}: no claims."
    parts = []
    for claim, part in df.groupby("claim", sort=False):
        reported = part.dropna(subset=["version"])
        versions = "; ".join(f"{o}: {v}" for o, v in zip(reported["outlet"], reported["version"], strict=True)) \
            or "no outlet report recorded"
        parts.append(f"“{claim}” ({part['status'].iloc[0]}) — {versions}")
    return f"Claim ledger for {tracker_label}, who reported which version: " + " | ".join(parts)


register(ChartDef(
    name="voices-statements", title="Statements by public figures and organisations — {tracker}", page="voices",
    description="The tracker's curated, sourced statements on a timeline, coloured by stance.",
    load=lambda con, view: statements_frame(view),
    draw=lambda df, view, model: statements_chart(df, f"Statements — {view.tracker.name_en}"),
    describe=lambda df, view, model: statements_alt(df, view.tracker.name_en), source=curated_source,
))


register(ChartDef(
    name="voices-claims", title="Claim ledger: who reported which version — {tracker}", page="voices",
    description="Each curated claim with the outlets that reported it and the version each reported.",
    load=lambda con, view: claims_frame(view),
    draw=lambda df, view, model: claims_chart(df, f"Claim ledger — {view.tracker.name_en}"),
    describe=lambda df, view, model: claims_alt(df, view.tracker.name_en), source=curated_source,
))


STANCE_NOTE = "Social posts only (posts, comments, reposts): news articles are left out"


def stance_period(view: View) -> str:
    """Stance shares per ISO week by default (posts with a stance are fewer than posts); freq=D per day."""
    return view.option("freq", "W", PERIODS)


def posts_only(filters: Filters) -> Filters:
    """The view's filters narrowed to social posts (posts, comments, reposts): news articles' stance is not the
    stance of posts (the Industry page charts the coverage)."""
    kinds = tuple(k for k in SOCIAL_KINDS if not filters.kinds or k in filters.kinds)
    return replace(filters, kinds=kinds or ("none",))  # a view of articles only holds no posts


def _load_stance(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    series = require("analysis.stats.annotation_series")
    frame = series.stance_counts_by_period(con, posts_only(view.filters), stance_period(view))
    if frame.empty or frame["n"].sum() == 0:  # an empty view of an annotated tracker must not say "run enrich"
        frame.attrs["annotated"] = series.has_annotations(con, view.filters.tracker, "stance")
    return frame


def _draw_stance(df: pd.DataFrame, view: View, model: dict[str, Any]) -> go.Figure:
    period = "Weekly" if stance_period(view) == "W" else "Daily"
    title = f"{period} stance of posts — {view.tracker.name_en} · {model_label(model, 'stance')}"
    return share_lines(df, "stance", STANCE_COLOURS, title, no_annotations_message("stance", bool(df.attrs.get("annotated"))))


register(ChartDef(
    name="voices-stance", title="Stance of posts — {tracker}", page="voices",
    description="Share of annotated social posts (posts, comments, reposts; news articles left out) per stance "
                "(oppose, support, conditional, deny-involvement, neutral) per ISO week (freq=D: per day) with 95% "
                "Wilson intervals clustered by author; stance from the stance model, relative to the tracker's target. Curated statements "
                "keep their curated stance (voices-statements).",
    notes=STANCE_NOTE,
    load=_load_stance, draw=_draw_stance,
    describe=lambda df, view, model: shares_alt(df, "stance", "stance", view.tracker.name_en,
                                                model_label(model, "stance"),
                                                "week" if stance_period(view) == "W" else "day",
                                                posts_only(view.filters)) + f" {STANCE_NOTE}.",
    needs=("analysis.stats.annotation_series",), task="stance",
))
