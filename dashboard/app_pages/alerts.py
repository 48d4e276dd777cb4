"""Alerts: what the tracker's alert rules find now (the function and figures of `actorwatch alerts run`), what the
alerter sent, and the collection gaps that make the view's days unreliable.

Page param: as_of=YYYY-MM-DD evaluates the rules as if today were that day (as `alerts run --as-of`).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from analysis.core.filters import Filters
from analysis.reports.alerts.config import default_config_path
from analysis.reports.alerts.state import HISTORY_LIMIT
from analysis.reports.alerts.status import ActiveAlert, calm_message, synthetic_in
from analysis.reports.brief import md_escape
from collectors.display_zone import today, zone_short
from collectors.paths import data_dir
from collectors.trackers import get_tracker
from dashboard import data, render
from dashboard.state import current_filters

HISTORY_SHOWN = 50


def as_of_param(now: date) -> date:
    """The link's `as_of`, or today (a link's bad date is said, as the sidebar says its own)."""
    asked = render.param("as_of")
    try:
        return date.fromisoformat(asked) if asked else now
    except ValueError:
        st.sidebar.warning(f"The link's `as_of` is not a date (YYYY-MM-DD); showing today, {now}.",
                           icon=":material/link_off:")
        return now


def evaluate_as_of(day: date) -> None:
    """Judge as of `day`: the link's `as_of`, the date box following it (its own value dropped, not set beside it)."""
    st.session_state.pop("alerts-as-of", None)
    st.query_params["as_of"] = day.isoformat()


def figures(alerts: list[ActiveAlert]) -> pd.DataFrame:
    """One row per alert: the figures `alerts run --json` gives it (metrics; its storm's first and latest high days beside
    its peak day), and what was done with it."""
    rows = [{"rule": a.alert.rule_id, "kind": a.alert.kind, "day": a.alert.day,
             "high from": a.alert.metrics.get("run_start"), "high to": a.alert.metrics.get("run_end"),
             "measure": a.alert.metrics.get("measure", "statement"), "value": a.alert.metrics.get("value"),
             "typical": a.alert.metrics.get("baseline"), "robust z": a.alert.metrics.get("score"),
             "sensitivity": a.alert.metrics.get("sensitivity"), "status": a.status} for a in alerts]
    return pd.DataFrame(rows, columns=["rule", "kind", "day", "high from", "high to", "measure", "value", "typical", "robust z", "sensitivity",
                                       "status"])


def show_alert(item: ActiveAlert) -> None:
    alert = item.alert
    with st.container(border=True):
        st.markdown(f"**{md_escape(alert.title)}**")
        st.caption(item.status)  # our own words, and channel names from the validated alerts file
        st.markdown(md_escape(alert.summary))
        evidence = alert.evidence or {}
        if evidence.get("top_terms"):
            st.markdown("Top terms: " + ", ".join(md_escape(t) for t in evidence["top_terms"]))
        if evidence.get("top_records"):  # post text and names as table cells: text, never markup
            st.dataframe(pd.DataFrame(evidence["top_records"])[["source", "author", "text", "shares", "likes", "url"]],
                         hide_index=True, width="stretch")
            st.caption(md_escape(evidence.get("note", "")))
        if evidence.get("statement"):
            statement = evidence["statement"]
            st.caption(f"Source: {md_escape(statement['source_name'])}, {md_escape(statement['date'])}")
        st.link_button("Open the chart of that day", alert.link, icon=":material/open_in_new:")


def active_section(tracker_id: str, as_of: date) -> None:
    alerts, findings, error = data.active_alerts(render.signature(), tracker_id, as_of)
    if error:
        st.error(f"The alert rules cannot be evaluated: {md_escape(error)}", icon=":material/error:")
        return
    if not findings:
        st.info(f"No rule of the alerts file watches this tracker. Add one (`[[rule]]` with `tracker = "
                f"\"{tracker_id}\"` and a `kind`: volume_spike, negative_jump or new_statement), then check it with "
                "`actorwatch alerts check`.", icon=":material/info:")
        return
    if synthetic_in([a.alert for a in alerts]):
        curated = (" New statements are not: they are curated, each with its source."
                   if any(a.alert.kind == "new_statement" for a in alerts) else "")
        st.warning("**Demo data (synthetic).** The volume and share alerts here are computed from generated posts, "
                   f"not real ones: they show how an alert looks, not a real backlash.{curated}",
                   icon=":material/warning:")
    if alerts:
        st.dataframe(figures(alerts), hide_index=True, width="stretch", key="alert-figures",
                     column_config={"value": st.column_config.NumberColumn(format="%.3g"),
                                    "typical": st.column_config.NumberColumn(format="%.3g"),
                                    "robust z": st.column_config.NumberColumn(format="%.1f")})
        for item in alerts:
            show_alert(item)
    else:
        rules = ", ".join(md_escape(f.rule.id) for f in findings)
        window_end = Filters.for_tracker(get_tracker(tracker_id)).end
        last_day = data.last_day(render.signature(), tracker_id) if as_of > window_end else None
        if as_of <= window_end:
            st.success(calm_message(rules, as_of, window_end, last_day), icon=":material/check_circle:")
        else:  # no green tick: the rules had nothing to judge, which is no calm
            st.info(calm_message(rules, as_of, window_end, last_day), icon=":material/event_busy:")
        if last_day:
            st.button(f"Evaluate as of {last_day}", key="alerts-last-day", icon=":material/history:",
                      on_click=evaluate_as_of, args=(last_day,))
    for found in findings:  # an alert missing here is not proof of calm: say where the rules could not see
        if found.not_judged:
            st.warning(f"{md_escape(found.rule.id)} not judged: {md_escape(found.not_judged)}", icon=":material/block:")
    # the tracker's sources: said once, however many of its rules watch them (as `alerts run` says them)
    for why in dict.fromkeys(why for found in findings for why in found.silent):
        st.warning(f"Not collected lately? {md_escape(why)}", icon=":material/signal_disconnected:")


def history_section(tracker_id: str) -> None:
    st.header("Sent lately", anchor="history")
    try:
        history = data.alert_state().history_of(tracker_id)
    except ValueError as exc:
        st.error(md_escape(str(exc)), icon=":material/error:")
        return
    if not history:
        st.caption("No alert of this tracker has been sent: `actorwatch alerts run`, scheduled after each collection, "
                   "sends them and keeps what it sent.")
        return
    rows = [{"raised (UTC)": a.get("created_at", "")[:16].replace("T", " "), "day": a.get("day"), "rule": a.get("rule_id"),
             "alert": a.get("title"), "not yet delivered to": ", ".join(a["undelivered"]),
             "synthetic records": synthetic_in([a])} for a in reversed(history[-HISTORY_SHOWN:])]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="alert-history")
    demo = " Alerts with synthetic records were computed from generated demo posts." if any(
        r["synthetic records"] for r in rows) else ""
    st.caption(f"The last {min(len(history), HISTORY_SHOWN)} alerts `alerts run` sent for this tracker, newest first "
               f"(it keeps the last {HISTORY_LIMIT} of all trackers); undelivered ones are retried on its next run.{demo}")


def gaps_section() -> None:
    st.header("Collection gaps in this view", anchor="gaps")
    f = current_filters()
    gaps = data.collection_gaps(render.signature(), f, today())
    lines = gaps.lines()
    if not lines:
        st.caption(f"Every source of this view that collected steadily kept collecting up to {gaps.until}.")
        return
    st.warning("These days' totals are short of what was posted: a chart's volume dips there for want of collection, "
               "not of posts, and a spike on them cannot be seen.", icon=":material/signal_disconnected:")
    st.markdown("\n".join(f"- {md_escape(line)}" for line in lines))


st.title("Alerts")
filters = current_filters()
tracker = get_tracker(filters.tracker)
now = today()
as_of = as_of_param(now)
as_of = st.date_input(f"Evaluate as of ({zone_short()})", value=as_of, key="alerts-as-of",
                      help="The rules look at their last days up to this one (`alerts run --as-of`).") or now
render.set_params(as_of="" if as_of == now else as_of.isoformat())
path = default_config_path()
rules_from = ("your alerts file, alerts.toml in the data folder" if path.parent == data_dir()
              else "the shipped example, data/alerts.toml: copy it to the data folder to make it yours")
st.caption(f"What `actorwatch alerts run` finds for {md_escape(tracker.name_en)} as of {as_of}: the same rules "
           f"({rules_from}), the same figures. Spikes in volume and jumps in the negative share are each judged "
           "against the tracker's own recent days; new statements are those of watched entities. An alert says "
           "something changed, not why.")
active_section(tracker.id, as_of)
history_section(tracker.id)
gaps_section()
