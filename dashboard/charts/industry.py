"""Industry impact charts: the market-model event study, news coverage, industry statements."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go

from analysis.core.filters import Filters
from analysis.core.wording import count_text
from collectors.display_zone import zone_short
from dashboard.charts.ledgers import statements_frame
from dashboard.charts.registry import AnalysisPending, ChartDef, View, register, require
from dashboard.charts.style import (
    GREY,
    LEGEND_CHARS,
    PALETTE,
    PATTERNS,
    empty_figure,
    legend_below,
    plain,
    row_label,
    source_colours,
    source_patterns,
)
from dashboard.charts.voices import curated_source, statements_alt, statements_chart


def event_study_chart(df: pd.DataFrame, title: str) -> go.Figure:
    """Cumulative abnormal return (market model vs benchmark) around each event, one line per event."""
    if df.empty:
        return empty_figure(title, "No event could be estimated from the price data.")
    fig = go.Figure()
    for n, (event, part) in enumerate(df.groupby("event", sort=False)):
        hover = part[["ar", "car_t", "date"]]
        fig.add_scatter(x=part["day_offset"], y=part["car"], mode="lines+markers", name=row_label(event, 90, LEGEND_CHARS),
                        line={"color": PALETTE[n % len(PALETTE)], "dash": ["solid", "dash", "dot"][n % 3]},
                        customdata=hover.astype(object).where(hover.notna(), "undefined").astype(str).to_numpy(),
                        hovertemplate="day %{x}: CAR %{y:+.1%}<br>AR %{customdata[0]} · t %{customdata[1]}"
                                      "<br>%{customdata[2]}<extra></extra>")
    fig.add_vline(x=0, line_dash="dot", line_color="#555555")
    fig.add_hline(y=0, line_color=GREY, line_width=1)
    fig.update_layout(title=title, xaxis_title="trading days from event", yaxis_title="cumulative abnormal return",
                      yaxis={"tickformat": "+.0%"}, legend_title="event", hovermode="x unified")
    return legend_below(fig)


def event_study_alt(df: pd.DataFrame, ticker: str, benchmark: str) -> str:
    if df.empty:
        return f"Event-study chart for {ticker} against {benchmark}: no event could be estimated."
    parts = []
    for event, part in df.groupby("event", sort=False):
        last = part.iloc[-1]
        t = "t undefined: no residual variation to scale by" if pd.isna(last["car_t"]) else f"t = {last['car_t']:.2f}"
        parts.append(f"{event}: CAR {last['car']:+.1%} by day {int(last['day_offset'])} ({t})")
    return (f"Line chart of cumulative abnormal returns of {ticker} against {benchmark} (market model) around "
            f"{count_text(df['event'].nunique(), 'trading day')} with events (an event on a weekend or holiday at the "
            "next trading day): " + "; ".join(parts) + ".")


def coverage_by_chart(df: pd.DataFrame, key: str, title: str) -> go.Figure:
    """Stacked daily bars of news articles per `key` (language, source or outlet)."""
    if df.empty or df["records"].sum() == 0:
        return empty_figure(title, "No news articles in the selected range.")
    fig = go.Figure()
    colours = source_colours(df[key].unique()) if key == "source" else {}  # sources as on every other chart
    patterns = source_patterns(df[key].unique()) if key == "source" else {}
    for n, (name, part) in enumerate(df.groupby(key, sort=False)):
        fig.add_bar(x=pd.to_datetime(part["period"]), y=part["records"], name=plain(name),
                    marker_color=colours.get(str(name), PALETTE[n % len(PALETTE)]),
                    marker_pattern_shape=patterns.get(str(name), PATTERNS[n % len(PATTERNS)]))
    fig.update_layout(barmode="stack", title=title, xaxis_title=f"day ({zone_short()})", yaxis_title="articles",
                      legend_title=key, hovermode="x unified")
    return legend_below(fig)


def coverage_by_alt(df: pd.DataFrame, key: str, tracker_label: str) -> str:
    if df.empty or df["records"].sum() == 0:
        return f"News coverage chart for {tracker_label}: no articles."
    totals = df.groupby(key)["records"].sum().sort_values(ascending=False)
    per_day = df.groupby("period")["records"].sum()
    return (f"Stacked bar chart of daily news articles by {key} for {tracker_label}: {int(totals.sum()):,} articles; "
            + ", ".join(f"{k} {int(v):,}" for k, v in totals.items())
            + f". Busiest day {per_day.idxmax()} with {int(per_day.max()):,}.")


class NoPrices(AnalysisPending):
    """No market prices in the store for the tracker's ticker and benchmark."""


def market_symbols(view: View) -> tuple[str, str]:
    q = view.tracker.queries
    return (q.market[0] if q.market else ""), q.benchmark


def _load_market(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    market = require("analysis.stats.market")
    ticker, benchmark = market_symbols(view)
    if not ticker or not benchmark:
        raise NoPrices(f"tracker {view.tracker.id} names no ticker and benchmark (queries.market / benchmark)")
    try:
        prices = market.prices_from_store(con, [ticker, benchmark])
    except market.PriceDataError as exc:
        raise NoPrices(str(exc)) from None
    if prices.empty or set(prices["ticker"]) < {ticker, benchmark}:
        raise NoPrices(f"no daily closes for both {ticker} and {benchmark} in the store")
    events = sorted(view.tracker.events, key=lambda e: e.date)
    result = market.event_study(prices, ticker, benchmark, [e.date for e in events])
    frame = event_lines(result, [(e.date, e.title_en) for e in events])
    frame.attrs["skipped"] = [(str(d), why) for d, why in result.skipped]
    frame.attrs["summary"] = result.summary().to_dict("records")
    return frame


def _day(d: date, year: bool = False) -> str:
    return f"{d:%a} {d.day} {d:%b}" + (f" {d.year}" if year else "")


def event_lines(result: Any, events: list[tuple[date, str]]) -> pd.DataFrame:
    """One line per trading day 0: events on a weekend or holiday share the next trading day's window (the same
    abnormal returns), so they are drawn once, labelled with the move ("Sat 27 Sep, Sun 28 Sep → Mon 29 Sep 2025")."""
    cols = ["event", "day_offset", "date", "ret", "benchmark_ret", "expected", "ar", "ar_t", "car", "car_t"]
    windows = {w.event_date: w for w in result.events}
    by_day0: dict[date, list[tuple[date, str]]] = {}
    for day, title in sorted(events, key=lambda e: e[0]):
        if day in windows:
            by_day0.setdefault(windows[day].day0, []).append((day, title))
    parts = []
    for day0, same in by_day0.items():
        moved = list(dict.fromkeys(d for d, _ in same if d != day0))
        when = (", ".join(_day(d) for d in moved) + " → " if moved else "") + _day(day0, year=True)
        more = f" (+{len(same) - 1} more)" if len(same) > 1 else ""
        window = windows[same[0][0]]
        parts.append(window.abnormal.assign(event=f"{when}: {same[0][1]}{more}"))
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def market_source(df: pd.DataFrame, view: View) -> str:
    """The event study is drawn from daily closes, not from the view's records (nor their synthetic share or dates)."""
    ticker, benchmark = market_symbols(view)
    drawn = ""
    if len(df):
        days = pd.to_datetime(df["date"]).dt.date
        drawn = (f", trading days {days.min()} to {days.max()} (the exchange's days), "
                 f"n = {count_text(df['event'].nunique(), 'event window')}")
    return (f"daily closes of {ticker} and {benchmark} (the store's market prices: stooq or an imported CSV){drawn}; "
            "event dates curated from published reports (data/trackers.toml)")


register(ChartDef(
    name="industry-market", title="Abnormal returns around events — {tracker}", page="industry",
    description="Market-model event study of the tracker's ticker against its benchmark (analysis.stats.market).",
    load=_load_market,
    draw=lambda df, view, model: event_study_chart(
        df, f"{market_symbols(view)[0]} vs {market_symbols(view)[1]}: cumulative abnormal return around events"),
    describe=lambda df, view, model: event_study_alt(df, *market_symbols(view)),
    needs=("analysis.stats.market",), source=market_source,
))


def _news_filters(view: View) -> Filters:
    f = view.filters
    return Filters(f.tracker, f.start, f.end, f.sources, f.langs, kinds=("article",))


NEWS_KEYS = {"lang": "language", "source": "source", "outlet": "outlet"}


TOP_OUTLETS = 7  # the rest share one bar colour: the palette has eight distinguishable colours


def _load_news(con: duckdb.DuckDBPyConnection, view: View, key: str) -> pd.DataFrame:
    timeseries = require("analysis.stats.timeseries")
    return timeseries.volume_series(con, _news_filters(view), by=key, top=TOP_OUTLETS if key == "outlet" else None)


for _key, _label in NEWS_KEYS.items():
    register(ChartDef(
        name=f"industry-news-{_key}", title=f"News coverage by {_label} — {{tracker}}", page="industry",
        description=f"Daily news articles (kind = article) by {_label} (analysis.stats.timeseries.volume_series"
                    + (f", top {TOP_OUTLETS} outlets, the rest together)." if _key == "outlet" else ")."),
        load=lambda con, view, key=_key: _load_news(con, view, key),
        draw=lambda df, view, model, key=_key, label=_label: coverage_by_chart(
            df, key, f"News coverage by {label} — {view.tracker.name_en}"),
        describe=lambda df, view, model, key=_key: coverage_by_alt(df, key, view.tracker.name_en),
        needs=("analysis.stats.timeseries",),
    ))


INDUSTRY_TYPES = ("union", "industry_body", "regulator")


register(ChartDef(
    name="industry-statements", title="Statements by unions, industry bodies and regulators — {tracker}",
    page="industry",
    description="The tracker's curated statements from unions, industry bodies and regulators.",
    load=lambda con, view: statements_frame(view.with_options(types=",".join(INDUSTRY_TYPES))),
    draw=lambda df, view, model: statements_chart(
        df, f"Unions, industry bodies and regulators — {view.tracker.name_en}"),
    describe=lambda df, view, model: statements_alt(df, view.tracker.name_en), source=curated_source,
))
