"""Cached hot-search frames for the dashboard, and the cross-check widget other pages embed.

`render_crosscheck(tracker, kind=…)` is called by the Voices page (statements) and the claim ledger (claims):
for each curated item with a matching trending topic it shows when the topic trended and how hot it ran.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from analysis.stats import hot_search
from collectors.trackers import Tracker, get_tracker
from dashboard import data

_KINDS = {"statements": ("statement",), "claims": ("claim",), "events": ("event",),
          "all": ("event", "statement", "claim")}


@st.cache_data(ttl=600, show_spinner=False, hash_funcs=data.KEYS)
def hot_search_frames(sig: str, tracker_id: str, start: date | None, end: date | None) -> dict[str, pd.DataFrame]:
    """Observations, topic spans and hourly heat of one tracker (Beijing days start..end), for the page's figures."""
    obs = hot_search.tracker_observations(data.cursor(sig), tracker_id, start, end)
    return {"observations": obs, "spans": hot_search.topic_spans(obs), "hourly": hot_search.hourly_heat(obs)}


@st.cache_data(ttl=600, show_spinner=False)
def crosscheck_frame(sig: str, tracker_id: str) -> pd.DataFrame:
    return hot_search.trend_crosscheck(data.cursor(sig), get_tracker(tracker_id))


@st.cache_data(ttl=600, show_spinner=False)
def has_tracker_trends(sig: str, tracker_id: str) -> bool:
    return hot_search.tracker_has_trends(data.cursor(sig), tracker_id)


def _bj(series: pd.Series) -> pd.Series:
    return hot_search.to_beijing(series).dt.strftime("%Y-%m-%d %H:%M")


def crosscheck_table(frame: pd.DataFrame, kinds: tuple[str, ...], top: int = 3) -> pd.DataFrame:
    """The best `top` topics per item, with times as Beijing wall-clock text (the column names say UTC+8)."""
    part = frame[frame["item_type"].isin(kinds)]
    part = part.groupby(["item_type", "item_id"], sort=False, group_keys=False).head(top)
    return pd.DataFrame({
        "item": part["item_type"] + " · " + part["item_id"], "dated": part["date"].astype(str),
        "what": part["title"], "trending topic": part["topic"],
        "first seen (UTC+8)": _bj(part["first_seen"]), "peak heat": part["peak_heat"].astype("Int64"),
        "peak recorded (UTC+8)": _bj(part["peak_at"]), "search link": part["url"],
    }).reset_index(drop=True)


def render_crosscheck(tracker: Tracker | str, kind: str = "all", top: int = 3) -> pd.DataFrame:
    """When the curated items of `kind` (statements, claims, events or all) trended on Weibo, and how hot."""
    tracker = get_tracker(tracker) if isinstance(tracker, str) else tracker
    kinds = _KINDS.get(kind, _KINDS["all"])
    table = crosscheck_table(crosscheck_frame(st.session_state.get("store_signature", ""), tracker.id), kinds, top)
    label = {"statements": "statements", "claims": "claims", "events": "events"}.get(kind, "events and statements")
    st.markdown(f"**Did it trend? Curated {label} cross-checked with Weibo hot search**")
    if table.empty and not has_tracker_trends(st.session_state.get("store_signature", ""), tracker.id):
        # "nothing matched" would read as "checked, and it did not trend"
        st.caption(f"The store holds no Weibo hot-search data for this tracker, so whether these {label} trended is "
                   "unknown: import an archive with `actorwatch import PATH --format weibo-hot-archive`, or run the "
                   "hot-search collector.")
        return table
    if table.empty:
        st.caption(f"No trending topic in the store matches these {label} (by names and keywords, within a day).")
        return table
    st.caption(f"Topics whose title names the item's people or shares its keywords, first seen within a day of it; "
               f"best {top} per item. Times are Beijing time (UTC+8); heat is Weibo's hot-search count. A topic's "
               "title is a trending headline, not a verified fact. Full view: the Hot search page.")
    st.dataframe(table, hide_index=True, width="stretch", key=f"hot-crosscheck-{kind}",
                 column_config={"search link": st.column_config.LinkColumn("search link", display_text="s.weibo.com"),
                                "peak heat": st.column_config.NumberColumn("peak heat", format="localized"),
                                "what": st.column_config.TextColumn("what (our words)", width="large")})
    return table
