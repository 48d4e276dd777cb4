"""Industry impact: ticker vs benchmark around events, news coverage by language, source and outlet, union statements."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from dashboard import render
from dashboard.charts.embed import show_page_extras
from dashboard.charts.industry import INDUSTRY_TYPES, TOP_OUTLETS, market_symbols

view = render.base_view()
ticker, benchmark = market_symbols(view)
tracker = view.tracker
event_days = sorted(e.date for e in tracker.events) or [tracker.trigger_date]

if show_page_extras():
    st.title("Industry impact")
    st.header("Market reaction")
    st.markdown(f"Abnormal returns of **{ticker or '—'}** against **{benchmark or '—'}** around the tracker's events "
                "(market model fitted on trading days −120…−11, leaving out other events' windows ±5 days and reaching "
                "further back to keep 110 days; window −5…+5), one line per trading day: an event on a "
                "weekend or holiday is counted from the next trading day, with the events of that day. Association, not causation: markets "
                "move for many reasons.")
market = render.chart("industry-market", view)
if market is None and show_page_extras():
    # The estimation window is 120 trading days before each event (about six calendar months), the event window
    # five trading days after: these dates cover both for every event of the tracker.
    need_from, need_to = event_days[0] - timedelta(days=190), event_days[-1] + timedelta(days=10)
    needs = (f"daily closes of **{ticker}** and **{benchmark}** from {need_from} to {need_to}" if ticker and benchmark
             else "a ticker and a benchmark in the tracker's `[tracker.queries]` (`market`, `benchmark`) and their "
                  f"daily closes from {need_from} to {need_to}")
    # Inline code, not a fenced block: a block loads Streamlit's syntax highlighter (1.5 MB of JavaScript) into
    # every reader's browser for two command lines.
    st.markdown(f"""**No price data yet.** The event study needs {needs}. actorwatch ships no prices: no source
of daily closes was found whose licence allows redistributing them. Add them, then reload:

- `actorwatch collect market --tracker {view.tracker.id}`
- `actorwatch import prices.csv` (a CSV with columns date,ticker,close)""")
elif market is not None and show_page_extras():
    skipped = market.data.attrs.get("skipped") or []
    for day, why in skipped:
        st.caption(f"Event {day} not estimated: {why}")
    summary = market.data.attrs.get("summary") or []
    if summary:
        st.dataframe(summary, hide_index=True, width="stretch")

if show_page_extras():
    st.header("News coverage")
render.chart("industry-news-lang", view)
render.chart("industry-news-source", view)
if show_page_extras():
    st.subheader("News coverage by outlet")
    st.caption(f"Articles per publishing outlet (news outlets are public, so they are named); the "
               f"{TOP_OUTLETS} busiest in the range have their own colour and fill pattern, the rest are counted together.")
render.chart("industry-news-outlet", view)
if show_page_extras():
    st.header("Unions, industry bodies and regulators")
    if not any(tracker.entity(s.entity).type in INDUSTRY_TYPES for s in tracker.statements):
        st.markdown("No statement by a union, industry body or regulator with a dated source is curated for this "
                    "tracker (`[[tracker.statements]]` in `data/trackers.toml`; searches that found none are noted "
                    "there).")
render.chart("industry-statements", view)
