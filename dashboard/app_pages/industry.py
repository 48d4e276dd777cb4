"""Industry impact: ticker vs benchmark around events, news coverage by language, source and outlet, union statements."""

from __future__ import annotations

import streamlit as st

from dashboard import render
from dashboard.charts.embed import show_page_extras
from dashboard.charts.industry import TOP_OUTLETS, market_symbols

view = render.base_view()
ticker, benchmark = market_symbols(view)

if show_page_extras():
    st.title("Industry impact")
    st.header("Market reaction")
    st.markdown(f"Abnormal returns of **{ticker or '—'}** against **{benchmark or '—'}** around the tracker's events "
                "(market model fitted on trading days −120…−11; window −5…+5). Association, not causation: markets "
                "move for many reasons.")
market = render.chart("industry-market", view)
if market is None and show_page_extras():
    st.markdown(f"""**No price data yet.** Add daily closes for the ticker and its benchmark, then reload:

```
actorwatch collect market --tracker {view.tracker.id}
actorwatch import prices.csv          # a CSV with columns date,ticker,close
```""")
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
               f"{TOP_OUTLETS} busiest in the range have their own colour, the rest are counted together.")
render.chart("industry-news-outlet", view)
if show_page_extras():
    st.header("Unions, industry bodies and regulators")
render.chart("industry-statements", view)
