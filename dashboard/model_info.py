"""The sentiment model the charts show, with its measured figures (analysis.nlp.model_info, reshaped for pages)."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from analysis.nlp.model_info import (
    accuracy_line,
    adapted_cards,
    adapted_line,
    adapted_summary,
    latest_model_version,
    model_card_summary,
)
from collectors.paths import bundled_dir

# Which evaluation a chart caption quotes when the card names no headline: held-out sets first (they say how
# the model does on data it never saw), cross-validated training files last.
_ROLE_ORDER = ("held out", "held-out", "heldout", "test", "external", "dev")


def headline(measured: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """The evaluation to quote beside charts: the first by _ROLE_ORDER that has a macro-F1, training files last."""
    usable = [m for m in measured or [] if isinstance(m.get("macro_f1"), int | float)]
    if not usable:
        return None

    def rank(m: dict[str, Any]) -> int:
        role = str(m.get("role") or "").lower()
        found = next((i for i, r in enumerate(_ROLE_ORDER) if r in role), None)
        if found is not None:
            return found
        return len(_ROLE_ORDER) + (1 if "training" in role else 0)

    return min(usable, key=rank)


def baseline_table(card: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Per evaluation file: the model's and the named baseline's measured macro-F1 (read from the card)."""
    if not card:
        return []
    baseline = str((card.get("baseline") or {}).get("name") or "")
    rows = []
    for ev in card.get("evaluations") or []:
        if not isinstance(ev, dict):
            continue
        ours, base = ev.get("default") or {}, ev.get(baseline) or {}
        rows.append({"file": ev.get("file"), "role": ev.get("role"), "n": ours.get("n"),
                     "model macro-F1": ours.get("macro_f1"), f"{baseline or 'baseline'} macro-F1": base.get("macro_f1"),
                     "model accuracy": ours.get("accuracy"), f"{baseline or 'baseline'} accuracy": base.get("accuracy")})
    return rows


def model_summary(con: duckdb.DuckDBPyConnection, tracker: str | None = None) -> dict[str, Any]:
    """Name, version, label, the quoted macro-F1 (and which file), the card's content and a one-line note; for a
    tracker with a model adapted to it, that model and the figures measured on the tracker's labels."""
    version = latest_model_version(con, tracker)
    name = None
    if version is not None:
        row = con.execute("SELECT model FROM scores WHERE model_version = ? LIMIT 1", [version]).fetchone()
        name = row[0] if row else None
    summary = model_card_summary(version, name)
    scope = summary.get("scope", "")
    card = None
    if summary.get("card"):
        try:
            card = json.loads((bundled_dir() / summary["card"]).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            card = None
    quoted = headline(summary.get("measured"))
    if card and isinstance(card.get("macro_f1"), int | float):  # the card's own headline figure and its source
        f1, on = float(card["macro_f1"]), str(card.get("macro_f1_source") or "the card's headline evaluation")
    elif quoted:
        f1, on = float(quoted["macro_f1"]), f"{quoted.get('file')} (n = {quoted.get('n')})"
    else:
        f1, on = None, None
    if on:
        on += scope
    label = version if version and name and name in version else f"{name or ''} {version or ''}".strip()
    return {"name": name, "version": version, "label": label or "no sentiment model",
            "macro_f1": f1, "macro_f1_on": on, "baseline": baseline_table(card),
            "measured": summary.get("measured") or [], "card": card,
            "card_path": summary.get("card") or "no card",
            "adapted": summary.get("adapted"),
            "adapted_line": adapted_line(summary["adapted"]) if summary.get("adapted") else None,
            "accuracy_note": accuracy_line(summary)}


def adapted_rows() -> list[dict[str, Any]]:
    """The Methods page's table of adapted models: what each was adapted on, by whom, and how right it is."""
    rows = []
    for card in adapted_cards():
        a = adapted_summary(card)

        def figure(key: str, a: dict[str, Any] = a) -> str:
            value, ci = a.get(key), a.get(f"{key}_ci95") or [None, None]
            if not isinstance(value, int | float):
                return "–"
            return f"{value:.2f}" + (f" [{ci[0]:.2f}–{ci[1]:.2f}]" if None not in ci else "")

        origins = a.get("origins") or {}
        rows.append({"tracker": a["tracker"], "model": f"{a['model']} {a['version']}",
                     "labels": a.get("n_labels"), "annotators": ", ".join(a.get("annotators") or []),
                     "labels from": "; ".join(f"{k} ({v})" for k, v in origins.items()),
                     "labelled": f"{str(a.get('labelled_from') or '')[:10]} to {str(a.get('labelled_to') or '')[:10]}",
                     "language-model labels": "used" if a.get("llm_labels_used") else "not used",
                     "cross-validated macro-F1": figure("cv_macro_f1_adapted"),
                     "base model macro-F1": figure("cv_macro_f1_base"),
                     "base model": f"{a.get('base_model')} {a.get('base_version')}",
                     "method": f"{a.get('method') or 'refit'} ("
                               + (f"strength {a.get('strength')}" if a.get("method") == "prior"
                                  else f"label weight {a.get('weight')}") + f"), {a.get('folds')}-fold CV",
                     "created": str(a.get("created_at") or "")[:19]})
    return rows
