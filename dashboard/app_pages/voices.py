"""Voices: the statement & stance tracker and the claim ledger (curated, sourced facts from trackers.toml), and
the stance of social posts (posts, comments, reposts; not news articles) as the stance model reads them (shares
with 95% intervals).

Page param: freq=D shows the stance of posts per day instead of per ISO week.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.reports.brief import md_escape
from collectors.trackers import STANCES
from dashboard import render
from dashboard.charts.embed import show_page_extras
from dashboard.charts.ledgers import claims_frame, statements_frame
from dashboard.hot_search_widgets import render_crosscheck

view = render.base_view()
tracker = view.tracker
statements = statements_frame(view)
roles = sorted(statements["role"].unique())
stance_pick = render.param_list("stance", STANCES)
role_pick = render.param_list("role", roles)
PERIODS = {"W": "week", "D": "day"}
freq = render.param("freq", "W", list(PERIODS))


def crosscheck(kind: str) -> None:
    """When curated items trended on Weibo hot search, and how hot (the hot-search page's widget)."""
    render_crosscheck(tracker, kind=kind)


if show_page_extras():
    st.title("Voices: statements and claims")
    st.markdown(f"Who said what about **{tracker.name_en}**: public figures, studios, executives, unions and "
                "regulators, each statement with its source. Curated by hand from published reports; stance is "
                "relative to the AI-performer initiative (support = defends it, oppose = criticises it).")
    c1, c2 = st.columns(2)
    stance_pick = c1.multiselect("Stance (none = all)", list(STANCES), default=stance_pick, key="voices-stance")
    role_pick = c2.multiselect("Role (none = all)", roles, default=role_pick, key="voices-role")
    render.set_params(stance=",".join(stance_pick), role=",".join(role_pick))

chosen_view = view.with_options(stance=",".join(stance_pick), role=",".join(role_pick))
chosen = statements_frame(chosen_view)
render.chart("voices-statements", chosen_view)

if show_page_extras():
    st.header(f"Statements ({len(chosen)})")
    st.dataframe(chosen[["date", "who", "role", "platform", "stance", "summary", "source_name", "source_url"]],
                 hide_index=True, width="stretch",
                 column_config={"source_url": st.column_config.LinkColumn("source", display_text="open source"),
                                "summary": st.column_config.TextColumn("summary (our words)", width="large"),
                                "source_name": "outlet"})
    crosscheck("statements")

    st.header("Stance of posts", anchor="stance")
    st.markdown("The stance of collected social posts (posts, comments and reposts; news articles are left out) "
                "toward the tracker's AI-performer initiative, as the stance model "
                "reads them: shares of annotated posts with 95% Wilson intervals clustered by author (sampling "
                "only; the model's own "
                "error is the figure under the chart). Curated statements above keep their curated stance.")
    freq = st.segmented_control("Stance per", list(PERIODS), default=freq, format_func=PERIODS.get,
                                key="voices-freq") or "W"
    render.set_params(freq="" if freq == "W" else freq)
render.chart("voices-stance", view.with_options(freq="D" if freq == "D" else ""))

if show_page_extras():
    st.header("Claim ledger", anchor="claims")
    st.markdown("Claims made during the controversy, tracked against what each outlet reported. When outlets "
                "disagree, every version is listed with its source instead of picking one.")
    claims = claims_frame(view)
    if claims.empty:
        st.info("No claims in the ledger for this tracker.")
    for claim_id, part in claims.groupby("claim_id", sort=False):
        first = part.iloc[0]
        with st.container(border=True):
            st.markdown(f"**{first['claim']}**")
            st.caption(f"Claimed by {first['made_by']} on {first['claimed_on']} · status: **{first['status']}**")
            if first["note"]:
                st.text(first["note"])
            reports = part.dropna(subset=["version"])
            if reports.empty:
                st.caption("No outlet report recorded for this claim yet.")
                continue
            # A few curated rows: a static table (a data grid per claim cost each page view a canvas apiece).
            # Its cells are Markdown, so the curated text is escaped and only the report link is markup.
            st.table(pd.DataFrame({"date": reports["date"].astype(str), "outlet": reports["outlet"].map(md_escape),
                                   "version reported": reports["version"].map(md_escape),
                                   "report": [f"[open report](<{url}>)" for url in reports["url"]]}),
                     hide_index=True)
    crosscheck("claims")
render.chart("voices-claims", view)
