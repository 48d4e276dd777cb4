"""Typed, cached loaders: every number comes from analysis/, computed over a read-only store snapshot."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from analysis import aggregate
from analysis.filters import Filters
from collectors.store import Store
from collectors.trackers import Tracker, load_trackers, public_names


@st.cache_resource(max_entries=1, show_spinner="Loading the store…")
def _snapshot(signature: str) -> duckdb.DuckDBPyConnection:
    """One materialised in-memory copy of the store per store state (rebuilt when files change)."""
    return Store().connect(materialize=True, public_names=public_names())


def signature() -> str:
    return Store().signature()


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on the current snapshot (DuckDB cursors are safe to use from Streamlit's threads)."""
    return _snapshot(signature()).cursor()


@st.cache_data(ttl=3600, show_spinner=False)
def trackers() -> list[Tracker]:
    return load_trackers()


@st.cache_data(ttl=600, show_spinner=False)
def facets(sig: str) -> dict[str, list[str]]:
    con = cursor()
    sources = [r[0] for r in con.execute("SELECT DISTINCT source FROM records ORDER BY 1").fetchall()]
    langs = [r[0] for r in con.execute("SELECT DISTINCT lang FROM records WHERE lang IS NOT NULL ORDER BY 1").fetchall()]
    return {"sources": sources, "langs": langs}


@st.cache_data(ttl=600, show_spinner=False)
def kpis(sig: str, f: Filters, model_version: str | None) -> dict[str, Any]:
    return aggregate.kpis(cursor(), f, model_version)


@st.cache_data(ttl=600, show_spinner=False)
def daily_volume(sig: str, f: Filters) -> pd.DataFrame:
    return aggregate.daily_volume(cursor(), f)


@st.cache_data(ttl=600, show_spinner=False)
def daily_sentiment(sig: str, f: Filters, model_version: str) -> pd.DataFrame:
    return aggregate.daily_sentiment(cursor(), f, model_version)


@st.cache_data(ttl=3600, show_spinner=False)
def model_info() -> dict[str, Any]:
    """The default sentiment model's name, version and measured figures (its methods card)."""
    from analysis.model_card import model_summary

    return model_summary()
