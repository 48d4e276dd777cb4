"""The shared sidebar (tracker, dates, sources, language) kept in the URL so any view can be shared."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from analysis.filters import Filters
from collectors.trackers import Tracker

_KEYS = ("tracker", "from", "to", "source", "lang")


def _parse_date(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def sidebar(trackers: list[Tracker], sources: list[str], langs: list[str]) -> Filters:
    """Render the shared filters, initialised from st.query_params, and write them back to the URL."""
    qp = st.query_params
    ids = [t.id for t in trackers]
    if "tracker" not in st.session_state:
        st.session_state["tracker"] = qp.get("tracker") if qp.get("tracker") in ids else ids[0]
    by_id = {t.id: t for t in trackers}
    tracker_id = st.sidebar.selectbox("Tracker", ids, key="tracker", format_func=lambda i: by_id[i].label)
    tracker = by_id[tracker_id]
    default = Filters.for_tracker(tracker)
    if st.session_state.get("_dates_for") != tracker_id:
        st.session_state["dates"] = (_parse_date(qp.get("from"), default.start), _parse_date(qp.get("to"), default.end)) \
            if st.session_state.get("_dates_for") is None else (default.start, default.end)
        st.session_state["_dates_for"] = tracker_id
    picked = st.sidebar.date_input("Dates (UTC)", key="dates",
                                   min_value=default.start - timedelta(days=365), max_value=default.end + timedelta(days=365))
    start, end = (picked if isinstance(picked, tuple) and len(picked) == 2 else (default.start, default.end))
    if "sources" not in st.session_state:
        st.session_state["sources"] = [s for s in qp.get_all("source") if s in sources]
    chosen_sources = st.sidebar.multiselect("Sources (none = all)", sources, key="sources")
    if "langs" not in st.session_state:
        st.session_state["langs"] = [lang for lang in qp.get_all("lang") if lang in langs]
    chosen_langs = st.sidebar.multiselect("Languages (none = all)", langs, key="langs")
    filters = Filters(tracker=tracker_id, start=start, end=end, sources=tuple(chosen_sources), langs=tuple(chosen_langs))
    write_query_params(filters)
    return filters


def write_query_params(f: Filters) -> None:
    wanted: dict[str, str | list[str]] = {"tracker": f.tracker}
    if f.start:
        wanted["from"] = f.start.isoformat()
    if f.end:
        wanted["to"] = f.end.isoformat()
    if f.sources:
        wanted["source"] = list(f.sources)
    if f.langs:
        wanted["lang"] = list(f.langs)
    current = {k: (st.query_params.get_all(k) if k in ("source", "lang") else st.query_params.get(k)) for k in _KEYS}
    normal = {k: wanted.get(k, [] if k in ("source", "lang") else None) for k in _KEYS}
    if current != normal:
        for key in _KEYS:
            if key in st.query_params and key not in wanted:
                del st.query_params[key]
        for key, value in wanted.items():
            st.query_params[key] = value


def current_filters() -> Filters:
    """The filters the entry file put in session state for this run."""
    return st.session_state["filters"]
