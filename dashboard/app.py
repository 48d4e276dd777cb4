"""Dashboard entry: page config, shared sidebar and banner, then routing (no page logic here)."""

from __future__ import annotations

import streamlit as st

from analysis.core.filters import Filters
from analysis.nlp.model_info import cards_signature
from analysis.reports.links import DEFAULT_PAGE
from dashboard import data, render, state
from dashboard.banner import synthetic_banner
from dashboard.charts.embed import focused_chart

st.set_page_config(page_title="actorwatch", page_icon="🎭", layout="wide")
# Streamlit's own table toolbar downloads (and copies) cells unescaped, so a post starting with = + - @ would become a
# spreadsheet formula, and it has no per-table switch: off for every table. Readers still see the text, and our own
# downloads escape it (collectors.spreadsheet). `actorwatch dashboard` also passes it at launch, since a set_option
# reaches the browser from the next run on; here it covers a plain `streamlit run dashboard/app.py`.
st.set_option("client.disableDataExport", True)

PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/monitoring:", url_path=DEFAULT_PAGE, default=True),
    st.Page("app_pages/alerts.py", title="Alerts", icon=":material/notifications:", url_path="alerts"),
    st.Page("app_pages/timeline.py", title="Timeline & events", icon=":material/event:", url_path="timeline"),
    st.Page("app_pages/voices.py", title="Voices", icon=":material/campaign:", url_path="voices"),
    st.Page("app_pages/hot_search.py", title="Hot search", icon=":material/local_fire_department:", url_path="hot-search"),
    st.Page("app_pages/topics.py", title="Topics & frames", icon=":material/sell:", url_path="topics"),
    st.Page("app_pages/compare.py", title="Compare cases", icon=":material/compare_arrows:", url_path="compare"),
    st.Page("app_pages/industry.py", title="Industry impact", icon=":material/factory:", url_path="industry"),
    st.Page("app_pages/explore.py", title="Explore records", icon=":material/search:", url_path="explore"),
    st.Page("app_pages/label.py", title="Label", icon=":material/label:", url_path="label"),
    st.Page("app_pages/methods.py", title="Methods", icon=":material/science:", url_path="methods"),
]

embedded_chart = focused_chart()  # ?chart=NAME: an embed showing one chart, without navigation or sidebar
navigation = st.navigation(PAGES, position="hidden" if embedded_chart else "sidebar")
sig = data.signature()
facet_values = data.facets(sig)
if embedded_chart:
    filters = state.filters_from_params(data.trackers(), facet_values["sources"], facet_values["langs"])
else:
    filters = state.sidebar(data.trackers(), facet_values["sources"], facet_values["langs"])
st.session_state["filters"] = filters
st.session_state["store_signature"] = sig
st.session_state[render.CARDS] = cards_signature()  # once per run (render.cards), not once per chart
also = [Filters.for_tracker(t, sources=filters.sources, langs=filters.langs)
        for t in data.trackers() if t.id in state.also_trackers()]
synthetic_banner(sig, filters, also)
if not embedded_chart:
    st.sidebar.caption("actorwatch — open tracking of sentiment and industry impact around AI actors.")
st.session_state[render.EMBED_SHOWN] = False
navigation.run()
if embedded_chart and not st.session_state[render.EMBED_SHOWN]:  # never a blank frame in a reader's article
    st.warning("The chart this embed link asks for is not on this page (or has no data in this view); open the link "
               "without `chart=` to see the whole page.", icon=":material/link_off:")
