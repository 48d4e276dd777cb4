"""Dashboard entry: page config, shared sidebar and banner, then routing (no page logic here)."""

from __future__ import annotations

import streamlit as st

from dashboard import data, state
from dashboard.banner import synthetic_banner

st.set_page_config(page_title="actorwatch", page_icon="🎭", layout="wide")

PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon="📈", url_path="overview", default=True),
]

navigation = st.navigation(PAGES)
sig = data.signature()
facet_values = data.facets(sig)
filters = state.sidebar(data.trackers(), facet_values["sources"], facet_values["langs"])
st.session_state["filters"] = filters
st.session_state["store_signature"] = sig
synthetic_banner(sig, filters)
st.sidebar.caption("actorwatch — open tracking of sentiment and industry impact around AI actors.")
navigation.run()
