"""Hot search: a tracker's Weibo trending topics over time, their heat, and its share of the whole list."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.stats.hot_search import TZ_LABEL
from dashboard import render
from dashboard.charts import hot_search as charts_hot
from dashboard.charts.embed import show_page_extras
from dashboard.charts.hot_search import source_line
from dashboard.hot_search_widgets import hot_search_frames, render_crosscheck

view = render.base_view()
f = view.filters
tracker = view.tracker
frames = hot_search_frames(render.signature(), tracker.id, f.start, f.end)
spans, hourly, obs = frames["spans"], frames["hourly"], frames["observations"]

if show_page_extras():
    st.title(f"Hot search · {tracker.name_en}")
    st.markdown(f"Weibo's hot-search (热搜) list is the platform's own measure of what is trending. These are the "
                f"topics that match **{tracker.name_en}** by its keyword rules (reviewed by hand), with their heat "
                f"as the list reported it. All times are **{TZ_LABEL}**, the list's own clock; the dates in the "
                "sidebar are taken as Beijing days here.")
    if not spans.empty:
        real = "real data" if not spans["synthetic"].any() else "includes synthetic data"
        c1, c2, c3 = st.columns(3)
        c1.metric("Matching topics", f"{len(spans)}", help=real)
        gone = int((obs["status"] == "gone").sum())  # a snapshot marking a topic gone is a row, not a listing
        c2.metric("Observations", f"{len(obs):,}", help=f"rows of the archive for these topics: {len(obs) - gone:,} "
                  f"listing one in a snapshot (the table's 'snapshots listing it') and {gone:,} marking one gone")
        heated = spans["peak_heat"].dropna()
        c3.metric("Hottest topic peak", charts_hot.heat_label(heated.max() if len(heated) else pd.NA),
                  help="the topic is first in the table below, sorted by peak")  # topic text is untrusted: not markdown

if spans.empty:
    st.info(f"No Weibo hot-search topic matching {tracker.name_en} in the selected dates. Import an archive with "
            "`actorwatch import PATH --format weibo-hot-archive`, or run the hot-search collector.")
    st.stop()

render.chart("hot-search-timeline", view)
if show_page_extras():
    st.caption("Blue bars: each topic from first seen to gone (it left between its last listing and the next "
               "snapshot, which marked it gone or no longer held it; a topic listed in the last snapshot ends there). "
               "Diamonds: peak heat, placed at the first snapshot recording it. Grey rows (labelled event:) and pink "
               "hatched rows (labelled statement:): the tracker's curated events and statements, dated by day only — "
               "the sources give no time of day.")

if not hourly.empty:
    render.chart("hot-search-hourly", view)
render.chart("hot-search-share", view)

if show_page_extras():
    st.caption("Share: the sum of the tracker's topics' peak heat that Beijing day over that sum plus the other "
               "topics' heat in the day's largest list (the archive keeps at most 100 topics a day, so a tracker topic "
               "can fall off it; it still counts in the whole, so the share never exceeds 100%); days with no "
               "matching topic are not shown.")
    st.header("Cross-check")
    render_crosscheck(tracker, kind="all")
    st.header("Topics")
    st.dataframe(pd.DataFrame({
        "topic": spans["topic"], "machine translation": spans["topic_en"],
        "first seen (UTC+8)": spans["first_seen_bj"].dt.strftime("%Y-%m-%d %H:%M"),
        "last listed (UTC+8)": spans["last_listed_at_bj"].dt.strftime("%Y-%m-%d %H:%M"),
        "gone (UTC+8)": spans["gone_at_bj"].dt.strftime("%Y-%m-%d %H:%M"),
        "peak heat": spans["peak_heat"], "snapshots listing it": spans["snapshots"],
        "spells on the list": spans["spells"], "search link": spans["url"]})
        .sort_values("peak heat", ascending=False),
        hide_index=True, width="stretch", key="hot-topics",
        column_config={"search link": st.column_config.LinkColumn("search link", display_text="s.weibo.com")})
    st.caption("Times are the archive's snapshots, 30 minutes to 3 hours apart: a topic trended at least from first "
               "seen to last listed, and left between its last listing and the next snapshot (gone). With more than one of its spells on the list, it left and came back: the time from first "
               "seen to gone includes time off the list.")
    st.caption(f"Source: {source_line(obs)}.")
