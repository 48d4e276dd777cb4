"""Page-side helpers: render a registered chart with its embed kit, read a page's own query params."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from analysis.nlp.model_info import cards_signature
from analysis.reports.brief import md_escape
from dashboard import data
from dashboard.charts import registry as chart_registry
from dashboard.charts.embed import ChartPackage, focused_chart, show_package
from dashboard.charts.registry import AnalysisPending, View
from dashboard.state import current_filters, split_values

EMBED_SHOWN = "_embed_chart_shown"  # set when this run drew the chart an embed link asks for
CARDS = "model_cards"  # the model cards' signature, read once per run by the entry file


def signature() -> str:
    return st.session_state["store_signature"]


def cards() -> tuple:
    """The model cards' signature (a cache key: analysis.nlp.model_info.cards_signature), as the entry file read it
    for this run: reading it is a stat of every card file, and a page asks for it once per chart and badge."""
    return st.session_state[CARDS] if CARDS in st.session_state else cards_signature()


def model(tracker: str | None = None) -> dict:
    """The models of a tracker (default: the sidebar's): a sentiment model adapted to it, else the general one."""
    return data.model_info(signature(), cards(), tracker or current_filters().tracker)


def base_view(**options: str) -> View:
    """The shared sidebar's filters, the tracker's sentiment model and this page's options."""
    return View(current_filters(), model()["version"]).with_options(**options)


def chart(name: str, view: View, key: str | None = None) -> ChartPackage | None:
    """Load (cached), draw and show one registered chart with its Embed / download panel."""
    focus = focused_chart()
    if focus is not None and focus != name:
        return None
    if focus is not None:
        st.session_state[EMBED_SHOWN] = True
    spec = chart_registry.get(name)
    try:
        package = data.chart_package(signature(), cards(), name, view)
    except AnalysisPending as exc:
        st.info(f"**{spec.title_for(view, model(view.filters.tracker))}** is not available: {exc}.",
                icon=":material/hourglass:")
        return None
    show_package(package, key=key)
    if spec.model_task:
        methods_link(spec.model_task, view.filters.tracker)
    return package


def prefetch(jobs: Sequence[tuple[str, View]]) -> None:
    """Load and draw these (chart, view) pairs and their views' KPIs concurrently; the page then shows them from cache.

    DuckDB releases the GIL while it runs, so one chart's query overlaps another's Python work (peak
    labelling, zero-filling, drawing). Each worker carries this run's context, so Streamlit's caches behave as usual.
    """
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    focus = focused_chart()
    ctx, sig = get_script_run_ctx(), signature()
    wanted = [(name, view) for name, view in jobs if focus is None or name == focus]
    filters = list(dict.fromkeys((view.filters, view.model_version) for _, view in wanted))
    calls = [(data.kpis, (sig, f, version)) for f, version in filters]
    card_sig = cards()
    calls += [(data.chart_package, (sig, card_sig, name, view)) for name, view in wanted]
    if len(calls) < 2:
        return

    def attach() -> None:
        add_script_run_ctx(threading.current_thread(), ctx)

    def run(call: tuple) -> None:
        func, args = call
        try:
            func(*args)
        except Exception:  # noqa: BLE001 - the page's own call reports it where the chart would be
            return

    with ThreadPoolExecutor(max_workers=3, initializer=attach) as pool:
        list(pool.map(run, calls))


def methods_link(task: str = "sentiment", tracker: str | None = None) -> None:
    """Every sentiment, stance and emotion chart states its model's in-domain figure (the card's headline; for a
    model adapted to the tracker, the figures on the tracker's own labels) and links to Methods."""
    m = model(tracker)
    if task == "sentiment" and m.get("adapted_line"):
        figure = f"Sentiment by {m.get('name')}, {m['adapted_line']}."
    else:
        figure = chart_registry.badge_text(m, task) + "."
    # a caption wraps; a page link's label is one line the browser cuts with an ellipsis, which hid the figure
    st.caption(f":material/science: {md_escape(figure)}")
    st.page_link("app_pages/methods.py", label=METHODS_LINK, icon=":material/science:")


METHODS_LINK = "How it was measured: Methods"


def param(name: str, default: str = "", allowed: Sequence[str] | None = None) -> str:
    """A page's own query param (read on load: params are cleared when switching pages); a value outside `allowed`
    gives the default, and a note saying so."""
    value = st.query_params.get(name, default)
    if allowed is not None and value not in allowed:
        _dropped(name, [value] if value else [], default)
        return default
    return value


def param_list(name: str, allowed: Sequence[str]) -> list[str]:
    """A page's list param, repeated (`?k=a&k=b`) or comma-joined (`?k=a,b`), keeping only allowed values (the others
    said in a note)."""
    asked = split_values(st.query_params.get_all(name))
    kept = [v for v in asked if v in allowed]
    _dropped(name, [v for v in asked if v not in allowed], ", ".join(kept) or "the page's default")
    return kept


def _dropped(name: str, values: list[str], shown: str) -> None:
    """Say which of the link's values this page does not offer (as the sidebar says it of its filters): where the
    sidebar is, or above the chart in an embed, which has none."""
    if values:
        where = st if focused_chart() is not None else st.sidebar
        where.warning(f"The link's `{name}` names {', '.join(md_escape(v) for v in values)}, which this page does not "
                      f"offer; showing {md_escape(shown)}.", icon=":material/link_off:")


def set_params(**values: str | list[str] | None) -> None:
    """Write a page's own params back to the URL (empty values remove the key)."""
    for key, value in values.items():
        if value in (None, "", []):
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get_all(key) != ([value] if isinstance(value, str) else list(value)):
            st.query_params[key] = value
