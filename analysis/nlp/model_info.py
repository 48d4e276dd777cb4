"""What the exports and briefs say about the sentiment model: name, version and *measured* accuracy (from
the model's methods card, analysis/sentiment's card.json), or plainly that no measurement was found.

A tracker with a model adapted to it (`actorwatch adapt`, then `actorwatch enrich --model NAME`) is shown with
that model and the figures measured on its own labels; every other tracker keeps the general model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from analysis.core.scores import SCORES
from analysis.core.tables import has_table
from collectors.paths import bundled_dir, data_dir


def latest_model_version(con: duckdb.DuckDBPyConnection, tracker: str | None = None) -> str | None:
    """The model version to show: for a tracker with scores from a model adapted to it, the newest of those;
    otherwise the most recently used version of a general (not adapted) model in `scores`; or None."""
    if not has_table(con, SCORES):
        return None
    adapted = adapted_cards()
    own = [c["name"] for c in adapted if tracker and c["adapted"].get("tracker") == tracker]
    if own:
        row = con.execute(f"SELECT model_version FROM {SCORES} WHERE list_contains(?, model) GROUP BY 1 "
                          "ORDER BY max(scored_at) DESC LIMIT 1", [own]).fetchone()
        if row:
            return row[0]
    row = con.execute(f"SELECT model_version FROM {SCORES} WHERE NOT list_contains(?, model) GROUP BY 1 "
                      "ORDER BY max(scored_at) DESC LIMIT 1", [[c["name"] for c in adapted]]).fetchone()
    return row[0] if row else None


def card_files() -> list[Path]:
    """Cards of the shipped models, then of the models made on this machine (<data dir>/models)."""
    return sorted((bundled_dir() / "models").glob("*/card.json")) + sorted((data_dir() / "models").glob("*/card.json"))


def adapted_cards() -> list[dict[str, Any]]:
    """The cards of every model adapted to a tracker (newest first)."""
    cards = []
    for path in card_files():
        try:
            card = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(card.get("adapted"), dict) and card.get("name"):
            cards.append({**card, "card_path": str(path)})
    return sorted(cards, key=lambda c: str(c.get("created_at") or ""), reverse=True)


def adapted_summary(card: dict[str, Any]) -> dict[str, Any]:
    """What captions, manifests and Methods say about an adapted model, from its card."""
    a = card.get("adapted") or {}
    provenance = a.get("provenance") or {}
    return {"model": card.get("name"), "version": card.get("version"), "tracker": a.get("tracker"),
            "n_labels": a.get("n_labels"), "n_annotators": a.get("n_annotators"),
            "annotators": provenance.get("annotators"), "origins": provenance.get("origins"),
            "labelled_from": provenance.get("labelled_from"), "labelled_to": provenance.get("labelled_to"),
            "llm_labels_used": provenance.get("llm_labels_used"), "left_out": provenance.get("left_out"),
            "folds": a.get("folds"), "method": a.get("method"), "weight": a.get("weight"),
            "strength": a.get("strength"),
            "cv_macro_f1_adapted": a.get("cv_macro_f1_adapted"), "cv_macro_f1_adapted_ci95": a.get("cv_macro_f1_adapted_ci95"),
            "cv_macro_f1_base": a.get("cv_macro_f1_base"), "cv_macro_f1_base_ci95": a.get("cv_macro_f1_base_ci95"),
            "cv_macro_f1_gain_ci95": a.get("cv_macro_f1_gain_ci95"),
            "base_model": a.get("base_model"), "base_version": a.get("base_version"), "created_at": card.get("created_at")}


def adapted_line(adapted: dict[str, Any]) -> str:
    """'adapted on N labels by K annotators: cross-validated macro-F1 x [lo–hi] (base model y)'."""
    ci = adapted.get("cv_macro_f1_adapted_ci95") or [None, None]
    interval = f" [{ci[0]:.2f}–{ci[1]:.2f}]" if None not in ci else ""
    k = adapted.get("n_annotators")
    base = adapted.get("cv_macro_f1_base")
    return (f"adapted on {adapted.get('n_labels')} labels by {k} annotator{'s' if k != 1 else ''}: "
            f"cross-validated macro-F1 {adapted.get('cv_macro_f1_adapted'):.2f}{interval}"
            + (f" (base model {base:.2f})" if isinstance(base, int | float) else ""))


def model_card_summary(model_version: str | None, model_name: str | None = None) -> dict[str, Any]:
    """{name, version, measured: [{file, role, n, accuracy, macro_f1, binary_accuracy}], card} for this version."""
    summary: dict[str, Any] = {"name": model_name, "version": model_version, "measured": None, "card": None, "adapted": None,
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
        if isinstance(card.get("adapted"), dict):
            summary["adapted"] = adapted_summary(card)
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
    if summary.get("adapted"):
        return f"Sentiment by {name}, {adapted_line(summary['adapted'])}{summary.get('scope', '')}."
    if not measured:
        return f"Sentiment by {name}; {summary.get('note', 'accuracy not measured')}."
    parts = [f"macro-F1 {m['macro_f1']:.2f} on {m['file']} (n = {m['n']:,})" for m in measured
             if isinstance(m.get("macro_f1"), int | float) and isinstance(m.get("n"), int)]
    return (f"Sentiment by {name}; measured " + ("; ".join(parts) if parts else "figures in its card")
            + summary.get("scope", "") + ".")
