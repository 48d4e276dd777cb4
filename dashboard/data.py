"""Typed, cached loaders: every number comes from analysis/, computed over a read-only store snapshot."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from analysis.core.filters import Filters
from analysis.core.labels import LABELS
from analysis.core.tables import assume_tables, table_names
from analysis.reports.alerts.config import AlertConfig, AlertConfigError, default_config_path, load_config
from analysis.reports.alerts.run import RuleFindings
from analysis.reports.alerts.state import AlertState, load_state, state_path
from analysis.reports.alerts.status import (
    ActiveAlert,
    CollectionGaps,
    active,
    collection_gaps_in_view,
    tracker_findings,
)
from analysis.stats import aggregate
from analysis.stats import visibility as visibility_stats
from analysis.stats.timeseries import stored_span
from collectors.display_zone import set_session_zone, zone_name
from collectors.store import Store
from collectors.trackers import Tracker, load_trackers, public_names
from dashboard import explore
from dashboard.charts import registry as chart_registry
from dashboard.charts.embed import ChartPackage
from dashboard.charts.registry import View
from dashboard.snapshot import open_snapshot

# Cache keys of views by their repr, which names every field (strings, dates, tuples of strings): Streamlit hashes a
# dataclass by deep-copying it into a dict first (dataclasses.asdict), ~0.5 ms a Filters or View, and a rerun asks
# ~30 cached loaders (2-3 times in an Overview rerun's own time). A tuple (the model cards' signature: paths, times,
# sizes) it walks item by item, ~0.3 ms.
KEYS = {Filters: repr, View: repr, date: repr, tuple: repr}


def build_snapshot() -> duckdb.DuckDBPyConnection:
    """A read-only snapshot of the store (dashboard.snapshot): records with `published_at` as a naive timestamp in
    the display time zone (collectors.display_zone) (casting it to days costs a third of the TIMESTAMPTZ cast) and
    their instants beside it (`published_instant`, for times shown one by one), and the pre-aggregated facts."""
    return open_snapshot(Store(), public_names())


@st.cache_resource(max_entries=1, show_spinner="Loading the store…")
def _snapshot(signature: str) -> duckdb.DuckDBPyConnection:
    """One snapshot per store state (rebuilt when files change)."""
    return build_snapshot()


@st.cache_resource(max_entries=1, show_spinner=False)
def _tables(signature: str) -> frozenset[str]:
    """The snapshot's tables and views, listed once: it is read-only, so they stay what they were when it opened."""
    return table_names(_snapshot(signature).cursor())


def signature() -> str:
    """The snapshot's cache key. Labels are left out: the Label page reads them fresh, and a new label must not
    rebuild the whole snapshot. The display time zone is part of it: its days are what the snapshot holds."""
    return f"{Store().signature(skip=(LABELS,))}|{zone_name()}"


def cursor(sig: str | None = None) -> duckdb.DuckDBPyConnection:
    """A cursor on the snapshot of `sig` (default: the current one; DuckDB cursors are safe to use from Streamlit's
    threads). Cached loaders pass the signature they are keyed by: listing the store's files again costs ~35 ms at 10M.
    A cursor is a connection of its own, with DuckDB's default time zone: set to the display zone, as the snapshot's.
    Its `has_table` answers for the snapshot's tables from memory (a catalog query a dozen times per view), and it
    names the snapshot it reads, `sig` (figures of it kept in memory: analysis.stats.clustered.author_sums)."""
    sig = sig or signature()
    return assume_tables(set_session_zone(_snapshot(sig).cursor()), _tables(sig), snapshot=sig)


def trackers() -> list[Tracker]:
    """The trackers file's trackers, kept by collectors.trackers until the file changes: a Streamlit data cache
    unpickled a copy of them (~1 ms) for every caller, three times a rerun."""
    return load_trackers()


@st.cache_data(ttl=600, show_spinner=False)
def facets(sig: str) -> dict[str, list[str]]:
    con = cursor(sig)
    sources = [r[0] for r in con.execute("SELECT DISTINCT source FROM records ORDER BY 1").fetchall()]
    langs = [r[0] for r in con.execute("SELECT DISTINCT lang FROM records WHERE lang IS NOT NULL ORDER BY 1").fetchall()]
    return {"sources": sources, "langs": langs}


@st.cache_data(ttl=600, show_spinner=False, hash_funcs=KEYS)
def kpis(sig: str, f: Filters, model_version: str | None) -> dict[str, Any]:
    return aggregate.kpis(cursor(sig), f, model_version)


@st.cache_data(ttl=600, show_spinner=False, hash_funcs=KEYS)
def synthetic_share(sig: str, f: Filters) -> float:
    """The view's share of synthetic records (the banner's figure; `kpis` has it too, with costlier counts)."""
    return aggregate.synthetic_share(cursor(sig), f)


@st.cache_data(ttl=600, show_spinner=False, hash_funcs=KEYS)
def model_info(sig: str, cards: tuple = (), tracker: str | None = None) -> dict[str, Any]:
    """The sentiment model whose scores the store holds (the one adapted to `tracker`, if any), with its card's
    measured figures, and each task's badge.

    `cards` (analysis.nlp.model_info.cards_signature()) is only a cache key: a retrained model's card changes it.
    """
    from dashboard.model_info import model_summary

    return model_summary(cursor(sig), tracker)


def adapted_models() -> list[dict[str, Any]]:
    """One row per model adapted to a tracker, with its labels' provenance and cross-validated figures (read
    each time: a few small cards, which change without the store changing)."""
    from dashboard.model_info import adapted_rows

    return adapted_rows()


@st.cache_data(ttl=600, show_spinner=False, max_entries=256, hash_funcs=KEYS)
def chart_frame(sig: str, name: str, view: View) -> pd.DataFrame:
    """The data of one registered chart for one view (the registry's loader, over the snapshot)."""
    return chart_registry.get(name).load(cursor(sig), view)


@st.cache_resource(ttl=600, show_spinner=False, max_entries=256, hash_funcs=KEYS)
def chart_package(sig: str, cards: tuple, name: str, view: View) -> ChartPackage:
    """One registered chart drawn for one view: figure, alt text, provenance. Drawn once and shared by every
    session (st.cache_resource, no copy): drawing costs more than loading cached data, and nothing mutates a
    package after this (pages show it; the embed kit copies the figure before adding its footer).

    `cards` (analysis.nlp.model_info.cards_signature()) keys the model's badge, as in `model_info`.
    """
    frame = chart_frame(sig, name, view)
    counts = kpis(sig, view.filters, view.model_version)
    return chart_registry.package(name, frame, view, model_info(sig, cards, view.filters.tracker),
                                  counts["synthetic_share"], counts["records"],
                                  unread_languages(sig, view.filters) if chart_registry.get(name).model_task else None)


@st.cache_data(ttl=600, show_spinner=False, max_entries=256, hash_funcs=KEYS)
def unread_languages(sig: str, f: Filters) -> dict[str, int]:
    """Records in the view in languages the models do not read, per language (not scored, out of the shares)."""
    from analysis.core.annotations import ANNOTATIONS
    from analysis.stats.annotation_series import unread_languages as count

    if ANNOTATIONS not in _tables(sig):  # not enriched: the snapshot's list says so without a catalog query
        return {}
    return count(cursor(sig), f)


@st.cache_data(ttl=600, show_spinner=False, max_entries=64, hash_funcs=KEYS)
def explore_records(sig: str, f: Filters, search: str, kinds: tuple[str, ...], order: str, limit: int,
                    offset: int, visibility: tuple[str, ...] = ()) -> tuple[pd.DataFrame, int]:
    """A page of pseudonymised records (records_public) matching the filters and a text search, and the total."""
    return explore.records_page(cursor(sig), f, search=search, kinds=kinds, order=order, limit=limit, offset=offset,
                                visibility=visibility)


@st.cache_data(ttl=600, show_spinner=False)
def has_visibility(sig: str) -> bool:
    """Whether any stored post has been rechecked (`actorwatch recheck`)."""
    return visibility_stats.has_visibility(cursor(sig))


@st.cache_data(ttl=600, show_spinner=False, hash_funcs=KEYS)
def visibility_counts(sig: str, f: Filters) -> dict[str, int]:
    """Posts in view by latest recheck status."""
    return visibility_stats.status_counts(cursor(sig), f)


def alert_config() -> tuple[Path, AlertConfig | None, str | None]:
    """The alerts file `alerts run` reads by default, its rules (None if invalid) and the error saying why.
    Read each time: a small file, which changes without the store changing."""
    path = default_config_path()
    try:
        return path, load_config(path), None
    except AlertConfigError as exc:
        return path, None, str(exc)


def active_alerts(sig: str, tracker: str, as_of: date) -> tuple[list[ActiveAlert], list[RuleFindings], str | None]:
    """The alerts the tracker's rules find as of `as_of`, as `alerts run` finds them (over the snapshot), with what
    the alerter's state says of each (read fresh: a scheduled run changes it, not the store); the rules' findings;
    an error if the alerts file or a rule is invalid."""
    path, config, error = alert_config()
    if config is None:
        return [], [], error
    try:
        findings = _alert_findings(sig, tracker, as_of, str(path), path.stat().st_mtime_ns)
        state = alert_state()
    except ValueError as exc:  # a rule naming an unknown tracker or entity; an unreadable state file
        return [], [], str(exc)
    return active(findings, state, datetime.now(UTC)), findings, None


def alert_state() -> AlertState:
    """What `alerts run` remembers (read only when its file changed: it holds up to 500 alerts with their evidence)."""
    path = state_path()
    stat = path.stat() if path.exists() else None
    return _alert_state(str(path), stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)


@st.cache_resource(max_entries=4, show_spinner=False)
def _alert_state(path: str, mtime: int, size: int) -> AlertState:
    """Shared by every session without a copy: nothing mutates it (pages only read it)."""
    return load_state(Path(path))


@st.cache_data(ttl=600, show_spinner="Evaluating the alert rules…", hash_funcs=KEYS)
def _alert_findings(sig: str, tracker: str, as_of: date, path: str, mtime: int) -> list[RuleFindings]:
    """Every rule of the tracker judged on the snapshot (`path` and its `mtime` key the alerts file)."""
    return tracker_findings(cursor(sig), load_config(path), _tracker(tracker), as_of, datetime.now(UTC), trackers())


@st.cache_data(ttl=600, show_spinner=False, hash_funcs=KEYS)
def collection_gaps(sig: str, f: Filters, today: date) -> CollectionGaps:
    """The view's sources not collected on some of its days, or silent at its end."""
    return collection_gaps_in_view(cursor(sig), f, _tracker(f.tracker), today)


@st.cache_data(ttl=600, show_spinner=False)
def last_day(sig: str, tracker: str) -> date | None:
    """The tracker's last day with records in its collection window, or None when it has none."""
    span = stored_span(cursor(sig), Filters(tracker), _tracker(tracker))
    return span.end if span.start <= span.end else None


def _tracker(tracker_id: str) -> Tracker:
    return next(t for t in trackers() if t.id == tracker_id)
