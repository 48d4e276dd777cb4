"""Topics & frames: keywords and topic clusters over time, bilingual frame terms, emotions over time (with the
emotion model's in-domain figure), entity co-mentions."""

from __future__ import annotations

import streamlit as st

from dashboard import render
from dashboard.charts.embed import show_page_extras

FREQS = {"D": "day", "W": "week"}
freq = render.param("freq", "D", list(FREQS))

if show_page_extras():
    st.title("Topics & frames")
    st.markdown("What people talk about and how they frame it. Frames are bilingual term lists (e.g. 非遗 / "
                "“intangible cultural heritage”, 肖像权 / “likeness rights”, 数字人 / “digital human”) from "
                "`data/dicts/frames.toml`; keywords and clusters are computed from the records' text.")
    freq = st.segmented_control("Period", list(FREQS), default=freq, format_func=FREQS.get, key="topics-freq") or "D"
    render.set_params(freq="" if freq == "D" else freq)

view = render.base_view(freq="" if freq == "D" else freq)
render.chart("topics-frames", view)
if show_page_extras():
    st.header("Emotion", anchor="emotion")
    st.caption("Joy, anger, disgust, sadness, fear, surprise or neutral, as the emotion model reads each record; "
               "bands are 95% Wilson intervals clustered by author (sampling only; the model's own error is the "
               "figure under the chart).")
render.chart("topics-emotion", view)
render.chart("topics-keywords", view)
render.chart("topics-clusters", render.base_view())
render.chart("topics-comentions", render.base_view())
if show_page_extras():
    st.caption("Co-mentions need entity annotations: run `actorwatch enrich` after collecting or importing.")
