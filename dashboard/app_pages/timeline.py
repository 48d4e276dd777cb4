"""Timeline & events: the tracker's dated events, volume and negative share before/after each (association only)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.core.filters import Filters
from analysis.core.wording import INDEPENDENT_POSTS, UNADJUSTED_NOTE
from collectors.display_zone import zone_short
from dashboard import data, render
from dashboard.charts.embed import show_page_extras
from dashboard.hot_search_widgets import render_crosscheck

WINDOWS = ("3", "5", "7")
window = render.param("window", "3", WINDOWS)
view = render.base_view()
tracker = view.tracker

if show_page_extras():
    st.title("Timeline & events")
    st.warning("**Association, not causation.** Each comparison below sets the days after an event against the "
               "days before it. Other things happen on the same days, and attention often moves anyway; a "
               "difference is not proof that the event caused it.", icon=":material/info:")
    events = pd.DataFrame([{"date": e.date, "kind": e.kind, "event": e.title_en, "事件": e.title_zh,
                            "source": e.source_name, "link": str(e.source_url)} for e in tracker.events])
    st.header(f"Dated events ({len(events)})")
    st.dataframe(events, hide_index=True, width="stretch",
                 column_config={"link": st.column_config.LinkColumn("source link", display_text="open source")})
    render_crosscheck(tracker, kind="events")
    window = st.segmented_control("Days before / after each event", WINDOWS, default=window, key="timeline-window",
                                  help="Before = the N days before the event; after = the event day and the N−1 "
                                       "days following.") or "3"
    render.set_params(window="" if window == "3" else window)

effects = render.chart("timeline-effects", view.with_options(window=window if window != "3" else ""))
if effects is not None and show_page_extras() and len(effects.data):
    st.dataframe(effects.data, hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.3f") for c in effects.data.columns
                                if c.endswith("_p") or (c.startswith("neg_") and not c.startswith("neg_n_"))})
    days, collected = int(window), Filters.for_tracker(tracker)
    st.caption(f"Days compared: each event's own {days} days before it against the event day and the {days - 1} "
               f"following, within the tracker's collection window ({collected.start} to {collected.end}, {zone_short()}) and between "
               "the first and last day the store holds records for (earlier or later days are not known to be quiet) "
               "— not the sidebar's dates. "
               "Volume: mean records per day, 95% Welch t interval over days, permutation p-value. "
               "Negative share: difference of proportions among scored records, Newcombe score interval clustered by author, "
               "permutation p-value shuffling whole authors between the sides. " + UNADJUSTED_NOTE + " " + INDEPENDENT_POSTS + " With 3 days a side p cannot go below 0.1 — widen the window for power.")
render.chart("timeline-negative", view)

if data.has_visibility(render.signature()):
    if show_page_extras():
        st.header("Posts that disappeared")
    render.chart("timeline-disappeared", view)
elif show_page_extras():
    st.header("Posts that disappeared")
    st.info("No stored post has been rechecked yet. `actorwatch recheck --tracker " + tracker.id + "` re-fetches the "
            "stored Weibo posts and records whether each is still visible, deleted by its author, removed, restricted "
            "or gone with its account; this chart then shows the share that disappeared by day of posting.",
            icon=":material/visibility_off:")
