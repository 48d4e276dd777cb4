"""Overview: KPIs, daily volume by source, daily sentiment with the tracker's dated events."""

from __future__ import annotations

import streamlit as st

from collectors.trackers import get_tracker
from dashboard import charts, data
from dashboard.state import current_filters

f = current_filters()
sig = st.session_state["store_signature"]
tracker = get_tracker(f.tracker)
model = data.model_info()

st.title(f"{tracker.name_en} · {tracker.name_zh}")
if tracker.description:
    st.caption(tracker.description)

k = data.kpis(sig, f, model["version"])
c1, c2, c3 = st.columns(3)
c1.metric("Records", f"{k['records']:,}")
c2.metric("Authors", f"{k['authors']:,}")
if k["share_negative"] is None:
    c3.metric("Share negative", "–", help="No scored records: run `actorwatch enrich`.")
else:
    lo, hi = k["share_negative_ci"]
    c3.metric("Share negative", f"{k['share_negative']:.0%}", help=f"95% CI {lo:.1%}–{hi:.1%} over {k['scored']:,} "
              f"scored records; model {model['label']}")

volume = data.daily_volume(sig, f)
fig = charts.volume_chart(volume, tracker.events, f"Daily records by source — {tracker.name_en}", f.start, f.end)
st.plotly_chart(fig, key="overview-volume", alt=charts.volume_alt(volume, tracker.name_en), width="stretch")

sentiment = data.daily_sentiment(sig, f, model["version"])
title = f"Daily sentiment — {tracker.name_en} · model: {model['label']}"
fig = charts.sentiment_chart(sentiment, tracker.events, title, f.start, f.end)
st.plotly_chart(fig, key="overview-sentiment", alt=charts.sentiment_alt(sentiment, tracker.name_en, model["label"]),
                width="stretch")
st.caption(f"Sentiment by **{model['label']}**. {model['accuracy_note']} Dotted lines are the tracker's dated, "
           "sourced events.")
