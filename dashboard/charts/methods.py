"""Methods charts: coverage per source and day."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pandas as pd
import plotly.graph_objects as go

from analysis.core.filters import Filters
from analysis.core.wording import count_text
from analysis.stats import aggregate
from collectors.display_zone import zone_short
from dashboard.charts.registry import ChartDef, View, register, source_line
from dashboard.charts.style import MARGIN, empty_figure

CELL_TEXT_DAYS = 62  # beyond about two months a day's cell is too narrow for its count


def coverage_chart(df: pd.DataFrame, title: str) -> go.Figure:
    """Heatmap of records per source and day: where the data is thin, any chart is thin too."""
    if df.empty:
        return empty_figure(title, "No records in the selected range.")
    pivot = df.pivot_table(index="source", columns="day", values="records", aggfunc="sum", fill_value=0)
    # the counts are written in the cells where they fit, so a gap (0) is read, not only seen as a dark cell
    cells = {"texttemplate": "%{z}", "textfont": {"size": 9}} if pivot.shape[1] <= CELL_TEXT_DAYS else {}
    fig = go.Figure(go.Heatmap(z=pivot.to_numpy(), x=pd.to_datetime(list(pivot.columns)), y=list(pivot.index),
                               colorscale="Cividis", colorbar={"title": "records"}, **cells,
                               hovertemplate="%{y} · %{x|%Y-%m-%d}: %{z:,} records<extra></extra>"))
    fig.update_layout(title=title, xaxis_title=f"day ({zone_short()})", yaxis_title="source", margin=MARGIN)
    return fig


def coverage_alt(df: pd.DataFrame, tracker_label: str) -> str:
    if df.empty:
        return f"Heatmap of records per source and day for {tracker_label}: no records in the selected range."
    per_source = df.groupby("source")["records"].agg(["sum", lambda s: int((s == 0).sum())])
    parts = ", ".join(f"{src} {count_text(row.iloc[0], 'record')} ({count_text(row.iloc[1], 'empty day')})"
                      for src, row in per_source.sort_values("sum", ascending=False).iterrows())
    return (f"Heatmap of records per source and day for {tracker_label} over {count_text(df['day'].nunique(), 'day')}: {parts}.")


def _all_records(view: View) -> View:
    """The view the coverage chart counts: every source and language of the tracker in the view's dates."""
    f = view.filters
    return replace(view, filters=Filters(tracker=f.tracker, start=f.start, end=f.end))


def _load_coverage(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    counted = _all_records(view).filters
    frame = aggregate.daily_volume(con, counted)
    counts = aggregate.kpis(con, counted)  # for the credit line
    frame.attrs["synthetic_share"], frame.attrs["records"] = counts["synthetic_share"], counts["records"]
    return frame


def _coverage_source(df: pd.DataFrame, view: View) -> str:
    """Credits the records counted (not the sidebar's source and language choice, which this chart ignores)."""
    return source_line(_all_records(view), float(df.attrs.get("synthetic_share", 0.0)), df.attrs.get("records"))


register(ChartDef(
    name="methods-coverage", title="Coverage: records per source and day — {tracker}", page="methods",
    description="Records per source and day over all sources (the sidebar's source/language choice is ignored).",
    load=_load_coverage,
    draw=lambda df, view, model: coverage_chart(df, f"Coverage: records per source and day — {view.tracker.name_en}"),
    describe=lambda df, view, model: coverage_alt(df, view.tracker.name_en), source=_coverage_source,
))
