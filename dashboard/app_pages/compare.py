"""Compare cases: trackers aligned on days since their trigger (per source), and share of voice within a tracker."""

from __future__ import annotations

import streamlit as st

from collectors.trackers import load_trackers
from dashboard import render
from dashboard.charts.compare import NORMALISE_LABELS as NORMALISE
from dashboard.charts.compare import VOICE_TYPES, normalise_caption
from dashboard.charts.embed import show_page_extras
from dashboard.state import also_trackers

others = list(also_trackers())
if not others:  # the comparison needs two cases: default to every other tracker
    others = [t.id for t in load_trackers() if t.id != render.current_filters().tracker]
normalise = render.param("normalise", "per_source", list(NORMALISE))
types = render.param_list("types", VOICE_TYPES) or list(VOICE_TYPES[:3])

if show_page_extras():
    st.title("Compare cases")
    st.markdown("Controversies of different size and on different platforms, on one axis: **days since each "
                "case's trigger** (day 0). Choose the cases with *Compare with* in the sidebar.")
    normalise = st.radio("Normalise", list(NORMALISE), index=list(NORMALISE).index(normalise),
                         format_func=NORMALISE.get, horizontal=True, key="compare-normalise")
    render.set_params(normalise="" if normalise == "per_source" else normalise)
    st.markdown(normalise_caption(normalise))  # after the choice: it describes the chart drawn with it

render.chart("compare-aligned", render.base_view(**{"with": ",".join(others),
                                                    "normalise": "" if normalise == "per_source" else normalise}))
if show_page_extras():
    st.header("Share of voice")
    st.markdown("Which platforms, studios and organisations the conversation is about: each entity's share of the "
                "day's mentions of the tracker's entities.")
    types = st.multiselect("Entity types (none = all)", list(VOICE_TYPES), default=types,
                           key="compare-types") or list(VOICE_TYPES)
    render.set_params(types=",".join(types))  # named even when none is chosen: no `types` opens the default three
render.chart("compare-share", render.base_view(types=",".join(types)))
