"""Data for the Label page: candidates from the cached snapshot, labels read fresh from the store."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from analysis.core.filters import Filters
from analysis.core.labels import is_llm, read_labels, write_labels
from analysis.nlp.agreement import llm_vs_humans, pairwise
from analysis.nlp.label_sample import candidates
from analysis.reports.brief import md_escape
from collectors.store import Store
from dashboard import data
from dashboard.explore import instant_column

TASKS = ("sentiment", "stance", "emotion")


@st.cache_data(ttl=600, show_spinner=False, max_entries=16, hash_funcs=data.KEYS)
def label_candidates(sig: str, f: Filters) -> pd.DataFrame:
    """The view's records with day and model certainty (see analysis.nlp.label_sample.candidates)."""
    con = data.cursor()
    return candidates(con, f.tracker, f, instant=instant_column(con))


@st.cache_data(ttl=600, show_spinner=False, max_entries=256)
def parent_text(sig: str, source: str, parent_id: str) -> str | None:
    """The text of the post a record replies to, if it is in the store (pseudonymised view)."""
    row = data.cursor().execute("SELECT coalesce(title || '\n', '') || text FROM records_public WHERE source = ? AND id = ?",
                                [source, parent_id]).fetchone()
    return row[0] if row else None


def public_items(sig: str, items: list[str]) -> list[str]:
    """Label items (`source:id`) as shown to readers: an id embedding its author's account pseudonymised."""
    con = data.cursor(sig)
    out = []
    for item in items:
        source, sep, record_id = item.partition(":")
        out.append(f"{source}:{con.execute('SELECT public_id(?, ?)', [source, record_id]).fetchone()[0]}" if sep else item)
    return out


def current_labels(tracker: str) -> pd.DataFrame:
    """Every current label of the tracker, read now (not from the snapshot: labels change as the page is used)."""
    with Store().connect() as con:
        return read_labels(con, tracker)


def save(row: dict[str, Any]) -> int:
    return write_labels(Store(), [row])


def agreement_rows(labels: pd.DataFrame) -> list[dict[str, Any]]:
    """Kappa per task for every pair of human annotators with overlap, then each language model vs the humans
    (names escaped: the page's st.table renders cells as Markdown, and names are typed or imported free text)."""
    humans = labels[~labels["annotator"].map(is_llm)] if not labels.empty else labels
    rows = []
    for task in TASKS:
        for r in pairwise(humans, task):
            pair = f"{md_escape(r['annotator_a'])} vs {md_escape(r['annotator_b'])}"
            rows.append({"task": task, "annotators": pair, "items": r["n"],
                         "raw agreement": f"{r['agreement']:.0%}", "Cohen's kappa": _kappa(r["kappa"])})
        for r in llm_vs_humans(labels, task):
            if r["n"]:
                rows.append({"task": task, "annotators": f"{md_escape(r['annotator'])} vs humans", "items": r["n"],
                             "raw agreement": f"{r['agreement']:.0%}", "Cohen's kappa": _kappa(r["kappa"])})
    return rows


def _kappa(value: float | None) -> str:
    return "undefined (one class only)" if value is None else f"{value:.2f}"


