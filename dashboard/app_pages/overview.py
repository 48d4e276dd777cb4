"""Overview: KPIs, daily volume by source with events and labelled peaks, sentiment shares with 95% intervals.

With "Compare with" trackers chosen in the sidebar, each tracker gets its own column (its own default window).
Page param: freq=W shows sentiment per ISO week instead of per day.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from analysis.core.filters import Filters
from analysis.core.wording import count_text, share_text, unread_text
from collectors.trackers import get_tracker
from dashboard import data, render
from dashboard.banner import alert_banner
from dashboard.charts.embed import show_page_extras
from dashboard.charts.style import no_scores_message
from dashboard.state import also_trackers

PERIODS = {"D": "day", "W": "week"}


def kpi_row(view: render.View, model: dict) -> None:
    k = data.kpis(render.signature(), view.filters, model["version"])
    if not k["records"] and not data.kpis(render.signature(), Filters(view.filters.tracker), None)["records"]:
        t = view.filters.tracker  # no record on any date: other dates would not help
        st.info(f"No records for this tracker yet. Collect them (`actorwatch collect weibo --tracker {t}`), import "
                f"another tool's export (`actorwatch import FILE --tracker {t}`), or try the synthetic demo "
                "(`actorwatch demo`).", icon=":material/info:")
    c1, c2, c3 = st.columns(3)
    c1.metric("Records", f"{k['records']:,}")
    if k["authors"] is None:
        c2.metric("Authors", "unknown", help="None of these records names its author.")
    else:
        c2.metric("Authors", f"{k['authors']:,}")
    if k["share_negative"] is None:
        c3.metric("Share negative", "–", help=no_scores_message(model["version"]))  # as the sentiment chart says
    else:
        lo, hi = k["share_negative_ci"]
        said = share_text(k['share_negative'], (lo, hi))
        clustered = (f", widened for posts by the same author (design effect {k['share_negative_deff']:.2f})"
                     if k["share_negative_deff"] > 1 else "")
        c3.metric("Share negative", share_text(k['share_negative']), help=f"{said} over "
                  f"{count_text(k['scored'], 'scored record')}{clustered}; model {model['label']}")
        c3.caption(f"{said} · {k['scored']:,} scored")  # the metric's whole percent, told precisely with its bounds
    unread = unread_text(data.unread_languages(render.signature(), view.filters))
    if unread:  # counted in Records, in no share
        c3.caption(unread)


def charts_of(view: render.View, freq: str) -> list[tuple[str, render.View]]:
    """The (chart, view) pairs one tracker column shows."""
    return [("overview-volume", view), ("overview-sentiment", view.with_options(freq=freq if freq == "W" else ""))]


def tracker_block(view: render.View, freq: str, key: str, model: dict) -> None:
    tracker = view.tracker
    if show_page_extras():
        st.header(f"{tracker.name_en} · {tracker.name_zh}")
        if tracker.description:
            st.caption(tracker.description)
        kpi_row(view, model)
    for name, chart_view in charts_of(view, freq):
        render.chart(name, chart_view, key=f"{key}-{name}")


base = render.base_view()
views = [base, *(replace(base, filters=Filters.for_tracker(get_tracker(other), sources=base.filters.sources,
                                                         langs=base.filters.langs),
                         model_version=render.model(other)["version"]) for other in also_trackers())]
freq = render.param("freq", "D", list(PERIODS))
if show_page_extras():
    st.title("Overview")
    alert_banner(render.signature(), base.filters)
    freq = st.segmented_control("Sentiment per", list(PERIODS), default=freq, format_func=PERIODS.get,
                                key="overview-freq", help="Weeks give steadier shares when days hold few records.") or "D"
    render.set_params(freq="" if freq == "D" else freq)
render.prefetch([pair for view in views for pair in charts_of(view, freq)])
columns = st.columns(len(views)) if len(views) > 1 else [st.container()]
for column, view in zip(columns, views, strict=True):
    with column:
        tracker_block(view, freq, "main" if view is base else view.filters.tracker, render.model(view.filters.tracker))
if show_page_extras():
    st.caption("Dotted lines are the tracker's dated, sourced events (see Timeline & events); yellow labels mark "
               "automatically detected peaks with their top terms. Shaded bands are 95% Wilson intervals, clustered by author. Records are "
               "posts, comments, reposts and news articles (an article several sources carried counts once); "
               "Weibo hot-search topics are not posts and are counted on the Hot search page.")
