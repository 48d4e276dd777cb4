"""The shared sidebar (tracker, dates, sources, language) kept in the URL so any view can be shared."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from analysis.core.filters import Filters
from analysis.reports.brief import md_escape
from analysis.reports.links import filter_params
from collectors.display_zone import zone_short
from collectors.trackers import Tracker

_KEYS = ("tracker", "from", "to", "source", "lang", "with")
_LISTS = ("source", "lang", "with")
DATE_SLACK = 365  # days the date picker reaches beyond a tracker's window


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def url_dates(start: str | None, end: str | None, default: Filters) -> tuple[tuple[date, date], list[str]]:
    """The URL's date range, each bound checked (a date, within DATE_SLACK days of the tracker's window,
    from <= to); a bad one falls back to the tracker's default, with a message saying so."""
    low, high = default.start - timedelta(days=DATE_SLACK), default.end + timedelta(days=DATE_SLACK)
    notes: list[str] = []
    picked = []
    for name, value, fallback in (("from", start, default.start), ("to", end, default.end)):
        day = _parse_date(value) if value else fallback
        if day is None or not low <= day <= high:
            notes.append(f"The link's `{name}` is not a date between {low} and {high}; showing {fallback} instead.")
            day = fallback
        picked.append(day)
    if picked[0] > picked[1]:
        notes.append(f"The link's `from` ({picked[0]}) is after its `to` ({picked[1]}); showing the tracker's dates instead.")
        picked = [default.start, default.end]
    return (picked[0], picked[1]), notes


def unknown_tracker_note(shown: str) -> str:
    return f"The link's tracker is not one of this dashboard's; showing {shown} instead."


def split_values(values: list[str]) -> list[str]:
    """Repeated (`?with=a&with=b`) or comma-joined (`?with=a,b`) values, in order, without duplicates."""
    return list(dict.fromkeys(v for raw in values for v in raw.split(",") if v))


def url_values(name: str, allowed: list[str], unknown: str = "this store does not hold",
               none: str = "all of them", ignore: tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """The link's values of a list filter (repeated or comma-joined) that are `allowed`, and a note naming the
    others (escaped: they are the link's free text) but those in `ignore`, dropped without a word."""
    asked = [v for v in split_values(st.query_params.get_all(name)) if v not in ignore]
    kept = [v for v in asked if v in allowed]
    dropped = [md_escape(v) for v in asked if v not in allowed]
    if not dropped:
        return kept, []
    shown = ", ".join(kept) if kept else none
    return kept, [f"The link's `{name}` names {', '.join(dropped)}, which {unknown}; showing {shown}."]


def url_also(ids: list[str], tracker_id: str) -> tuple[list[str], list[str]]:
    """The link's `with` trackers (compared side by side), but the tracker itself, and a note naming unknown ones."""
    return url_values("with", [i for i in ids if i != tracker_id], unknown="this dashboard does not track",
                      none="no comparison", ignore=(tracker_id,))


def sidebar(trackers: list[Tracker], sources: list[str], langs: list[str]) -> Filters:
    """Render the shared filters, initialised from st.query_params, and write them back to the URL."""
    qp = st.query_params
    ids = [t.id for t in trackers]
    notes: list[str] = []
    if "tracker" not in st.session_state:
        st.session_state["tracker"] = qp.get("tracker") if qp.get("tracker") in ids else ids[0]
        if qp.get("tracker") and qp.get("tracker") not in ids:
            notes.append(unknown_tracker_note(ids[0]))
    by_id = {t.id: t for t in trackers}
    tracker_id = st.sidebar.selectbox("Tracker", ids, key="tracker", format_func=lambda i: by_id[i].label)
    tracker = by_id[tracker_id]
    default = Filters.for_tracker(tracker)
    if st.session_state.get("_dates_for") != tracker_id:
        if st.session_state.get("_dates_for") is None:
            st.session_state["dates"], date_notes = url_dates(qp.get("from"), qp.get("to"), default)
            notes += date_notes
        else:
            st.session_state["dates"] = (default.start, default.end)
        st.session_state["_dates_for"] = tracker_id
    picked = st.sidebar.date_input(f"Dates ({zone_short()})", key="dates", min_value=default.start - timedelta(days=DATE_SLACK),
                                   max_value=default.end + timedelta(days=DATE_SLACK))
    start, end = (picked if isinstance(picked, tuple) and len(picked) == 2 else (default.start, default.end))
    if "sources" not in st.session_state:
        st.session_state["sources"], source_notes = url_values("source", sources)
        notes += source_notes
    chosen_sources = st.sidebar.multiselect("Sources (none = all)", sources, key="sources")
    if "langs" not in st.session_state:
        st.session_state["langs"], lang_notes = url_values("lang", langs)
        notes += lang_notes
    chosen_langs = st.sidebar.multiselect("Languages (none = all)", langs, key="langs")
    if "also" not in st.session_state:
        st.session_state["also"], also_notes = url_also(ids, tracker_id)
        notes += also_notes
    else:
        st.session_state["also"] = [i for i in st.session_state["also"] if i != tracker_id]
    also = st.sidebar.multiselect("Compare with (side by side)", [i for i in ids if i != tracker_id], key="also",
                                  format_func=lambda i: by_id[i].label,
                                  help="Other trackers shown next to this one on Overview and Compare cases.")
    filters = Filters(tracker=tracker_id, start=start, end=end, sources=tuple(chosen_sources), langs=tuple(chosen_langs))
    st.session_state["also_trackers"] = tuple(i for i in also if i != tracker_id)
    write_query_params(filters, st.session_state["also_trackers"])
    for note in notes:  # the link asked for a view this store or tracker cannot show: say what is shown instead
        st.sidebar.warning(note, icon=":material/link_off:")
    return filters


def filters_from_params(trackers: list[Tracker], sources: list[str], langs: list[str]) -> Filters:
    """The view a URL describes, without widgets (single-chart embeds have no sidebar); unknown values dropped.

    A tracker or dates the link asks for but cannot have are said above the chart, as the sidebar says them: an
    embed in an article would otherwise show another tracker's or another range's chart without a word."""
    qp = st.query_params
    by_id = {t.id: t for t in trackers}
    tracker = by_id.get(qp.get("tracker", ""), trackers[0])
    notes = [unknown_tracker_note(tracker.id)] if qp.get("tracker") and qp.get("tracker") not in by_id else []
    default = Filters.for_tracker(tracker)
    also, also_notes = url_also(list(by_id), tracker.id)
    st.session_state["also_trackers"] = tuple(also)
    (start, end), date_notes = url_dates(qp.get("from"), qp.get("to"), default)  # as the sidebar would open it
    (chosen_sources, source_notes), (chosen_langs, lang_notes) = url_values("source", sources), url_values("lang", langs)
    for note in notes + date_notes + source_notes + lang_notes + also_notes:
        st.warning(note, icon=":material/link_off:")
    return Filters(tracker=tracker.id, start=start, end=end, sources=tuple(chosen_sources), langs=tuple(chosen_langs))


def write_query_params(f: Filters, also: tuple[str, ...] = ()) -> None:
    wanted: dict[str, str | list[str]] = dict(filter_params(f))
    if also:
        wanted["with"] = list(also)
    current = {k: (st.query_params.get_all(k) if k in _LISTS else st.query_params.get(k)) for k in _KEYS}
    normal = {k: wanted.get(k, [] if k in _LISTS else None) for k in _KEYS}
    if current != normal:
        for key in _KEYS:
            if key in st.query_params and key not in wanted:
                del st.query_params[key]
        for key, value in wanted.items():
            st.query_params[key] = value


def current_filters() -> Filters:
    """The filters the entry file put in session state for this run."""
    return st.session_state["filters"]


def also_trackers() -> tuple[str, ...]:
    """Trackers chosen in "Compare with" (shown side by side)."""
    return st.session_state.get("also_trackers", ())
