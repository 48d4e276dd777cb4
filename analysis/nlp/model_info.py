"""What the exports and briefs say about the sentiment model: name, version and *measured* accuracy (from
the model's methods card, analysis/sentiment's card.json), or plainly that no measurement was found."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from analysis.core.scores import SCORES
from analysis.core.tables import has_table
from collectors.paths import bundled_dir


def latest_model_version(con: duckdb.DuckDBPyConnection) -> str | None:
    """The most recently used model version in `scores`, or None."""
    if not has_table(con, SCORES):
        return None
    row = con.execute(f"SELECT model_version FROM {SCORES} GROUP BY 1 ORDER BY max(scored_at) DESC LIMIT 1").fetchone()
    return row[0] if row else None


def card_files() -> list[Path]:
    return sorted((bundled_dir() / "models").glob("*/card.json"))


def model_card_summary(model_version: str | None, model_name: str | None = None) -> dict[str, Any]:
    """{name, version, measured: [{file, role, n, accuracy, macro_f1, binary_accuracy}], card} for this version."""
    summary: dict[str, Any] = {"name": model_name, "version": model_version, "measured": None, "card": None,
                               "scope": ""}
    if model_version is None:
        summary["note"] = "no sentiment scores in this selection"
        return summary
    card_version, other = model_version.split("+", 1) if "+" in model_version else (model_version, None)
    for path in card_files():
        try:
            card = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if card.get("version") != card_version:
            continue
        where = path.relative_to(bundled_dir()) if path.is_relative_to(bundled_dir()) else path
        summary.update(name=card.get("name", model_name), card=str(where), scope=_english_scope(card, other))
        summary["measured"] = [
            {"file": ev.get("file"), "role": ev.get("role"), "caveat": ev.get("caveat") or None,
             **{k: (ev.get("default") or {}).get(k) for k in ("n", "accuracy", "macro_f1", "binary_accuracy")}}
            for ev in card.get("evaluations", []) if isinstance(ev, dict)]
        return summary
    summary["note"] = (f"no methods card found for model version {model_version}: its accuracy on labelled data is "
                       "not measured here")
    return summary


def _english_scope(card: dict[str, Any], other: str | None) -> str:
    """enrich routes English posts to a second scorer and records a composite version ("<zh>+vader-…"); the
    card's headline figures cover the Chinese model, so say what the English scorer's measurement is."""
    if other is None:
        return ""
    english = card.get("english_path") or {}
    topic = next((ev for ev in card.get("evaluations", []) if isinstance(ev, dict)
                  and isinstance(ev.get("english_only"), dict)), None)
    figures = (topic or {}).get("english_only") or {}
    if english.get("version") != other or not isinstance(figures.get("macro_f1"), int | float):
        return f" for non-English posts; English posts are scored by {other}, not measured here"
    return (f" for non-English posts; English posts are scored by {other}: macro-F1 {figures['macro_f1']:.2f} on "
            f"only {figures.get('n')} author-written English sentences ({topic.get('file')}), a sanity check")


def accuracy_line(summary: dict[str, Any]) -> str:
    """One sentence for captions and reports."""
    name = f"{summary.get('name') or 'unknown model'} {summary.get('version') or ''}".strip()
    measured = summary.get("measured")
    if not measured:
        return f"Sentiment by {name}; {summary.get('note', 'accuracy not measured')}."
    parts = [f"macro-F1 {m['macro_f1']:.2f} on {m['file']} (n = {m['n']:,})" for m in measured
             if isinstance(m.get("macro_f1"), int | float) and isinstance(m.get("n"), int)]
    return (f"Sentiment by {name}; measured " + ("; ".join(parts) if parts else "figures in its card")
            + summary.get("scope", "") + ".")
