"""The models behind the charts (sentiment, stance, emotion), with their measured figures and the badge each
chart carries (analysis.nlp.model_info, reshaped for pages)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import duckdb

from analysis.nlp.agreement import corpus_agreement
from analysis.nlp.model_info import (
    NOTHING_SCORED,
    TASK_NAMES,
    accuracy_line,
    adapted_cards,
    adapted_line,
    adapted_summary,
    card_path,
    in_domain_badges,
    latest_model_version,
    model_card_summary,
    read_card,
)
from analysis.stats.annotation_series import has_annotations

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


def evaluation_table(card: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per labelled set and model in the card's "evaluations": ours ("default") and every baseline,
    with n, accuracy and macro-F1 and their intervals (and F-avg where measured), read from the card."""
    rows = []
    for ev in (card or {}).get("evaluations") or []:
        if not isinstance(ev, dict):
            continue
        for key, report in ev.items():
            if not isinstance(report, dict) or not isinstance(report.get("n"), int):
                continue
            ours = f"ours ({(card or {}).get('name') or 'model'})"
            model = ours if key == "default" else f"{ours}, {key.replace('_', ' ')}" if "only" in key else key
            rows.append({"labelled set": ev.get("file"), "role": ev.get("role"), "model": model,
                         "n": report.get("n"), "macro-F1": report.get("macro_f1"),
                         "macro-F1 95% CI": _interval(report.get("macro_f1_ci95")),
                         "accuracy": report.get("accuracy"), "accuracy 95% CI": _interval(report.get("accuracy_ci95")),
                         **({"F-avg": report["f_avg"], "F-avg 95% CI": _interval(report.get("f_avg_ci95"))}
                            if "f_avg" in report else {})})
    return rows


def _interval(ci: Any) -> str | None:
    if isinstance(ci, list | tuple) and len(ci) == 2 and all(isinstance(v, int | float) for v in ci):
        return f"{ci[0]:.2f}–{ci[1]:.2f}"
    return None


def agreement_table(cards: dict[str, dict[str, Any] | None]) -> list[dict[str, Any]]:
    """The labelled corpus's blind second pass (second labeller against the first) per task and language, beside
    the default model's macro-F1 on the in-domain test split in that language (from its card)."""
    rows = []
    for r in _labellers():
        test = ((cards.get(r["task"]) or {}).get("in_domain") or {}).get("test") or {}
        model = test if r["language"] == "all" else (test.get("by_lang") or {}).get(r["language"]) or {}
        rows.append({"task": r["task"], "language": r["language"], "n (second pass)": r["n"],
                     "raw agreement": _two(r["agreement"]), "Cohen's kappa": _two(r["kappa"]),
                     "labellers' macro-F1": _two(r["macro_f1"]), "labellers' 95% CI": _interval(r["macro_f1_ci95"]),
                     "model's macro-F1 (test)": _two(model.get("macro_f1")),
                     "model 95% CI": _interval(model.get("macro_f1_ci95"))})
    return rows


def _two(value: Any) -> float | None:
    return round(float(value), 2) if isinstance(value, int | float) else None


@lru_cache(maxsize=1)
def _labellers() -> tuple[dict[str, Any], ...]:
    return tuple(corpus_agreement())  # a shipped file: computed once per process


def in_domain_confusion(card: dict[str, Any] | None) -> dict[str, Any] | None:
    """The in-domain test's confusion matrix {labels, matrix (rows true, columns predicted), n} from the card."""
    test = ((card or {}).get("in_domain") or {}).get("test") or {}
    cm = test.get("confusion") or {}
    labels, matrix = cm.get("labels"), cm.get("matrix")
    if not (isinstance(labels, list) and isinstance(matrix, list) and len(matrix) == len(labels)
            and all(isinstance(row, list) and len(row) == len(labels) for row in matrix)):
        return None
    return {"labels": [str(x) for x in labels], "matrix": matrix, "n": test.get("n")}


def english_route_line(card: dict[str, Any] | None) -> str | None:
    """Where a stance or emotion model sends English posts, from its card's "english_route" (None: it scores them
    itself, or the card says nothing)."""
    route = (card or {}).get("english_route") or {}
    if not isinstance(route, dict) or route.get("route") in (None, "self"):
        return None
    figures = route.get("dev_macro_f1") or {}
    compared = ", ".join(f"{name} {f1:.2f}" for name, f1 in figures.items() if isinstance(f1, int | float))
    english = route.get("english_model") or {}
    version = f" {english['version']}" if english.get("version") else ""
    return (f"English posts are scored by {route['route']}{version}, chosen on the English rows of the in-domain dev "
            f"split (n = {route.get('n_dev_en')}; macro-F1 {compared}); the other posts by "
            f"{card.get('name') if card else 'this model'}, and the figures below score every row so.")


def task_cards(badges: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any] | None]:
    """The card each badge names (its content), per task."""
    out: dict[str, dict[str, Any] | None] = {}
    for task in TASK_NAMES:
        where = (badges.get(task) or {}).get("card")
        out[task] = read_card(card_path(where)) if where else None
    return out


def model_summary(con: duckdb.DuckDBPyConnection, tracker: str | None = None) -> dict[str, Any]:
    """Name, version, label, the quoted macro-F1 (and on what), the card's content, a one-line note, and the
    badge of each task (sentiment, stance, emotion) with the card it comes from; for a tracker with a model
    adapted to it, that model and the figures measured on the tracker's labels."""
    version = latest_model_version(con, tracker)
    name = None
    if version is not None:
        row = con.execute("SELECT model FROM scores WHERE model_version = ? LIMIT 1", [version]).fetchone()
        name = row[0] if row else None
    summary = model_card_summary(version, name, tracker)
    scope = summary.get("scope", "")
    card = None
    if summary.get("card"):
        try:
            card = json.loads(card_path(summary["card"]).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            card = None
    quoted = headline(summary.get("measured"))
    in_domain = summary.get("headline")
    if in_domain and in_domain["metric"] == "macro_f1":  # the in-domain test figure: the only one badges quote
        f1, on = in_domain["value"], str(in_domain.get("description") or in_domain.get("file"))
    elif card and isinstance(card.get("macro_f1"), int | float):  # an older card's own figure and its source
        f1, on = float(card["macro_f1"]), str(card.get("macro_f1_source") or "the card's headline evaluation")
    elif quoted:
        f1, on = float(quoted["macro_f1"]), f"{quoted.get('file')} (n = {quoted.get('n')})"
    else:
        f1, on = None, None
    if on and not in_domain:
        on += scope
    label = version if version and name and name in version else f"{name or ''} {version or ''}".strip()
    badges = in_domain_badges(con, version, name, tracker)
    if not in_domain and f1 is not None:  # an older card: today's figure, said not to be in-domain
        badges["sentiment"]["text"] = (f"Sentiment model {label} — measured macro-F1 {f1:.2f} on {on}; "
                                       "not measured on in-domain text")
    cards = task_cards(badges)
    cards["sentiment"] = card
    # a badge beside an empty chart quoted the figure of a model that had scored nothing in this store
    unscored = {"sentiment": version is None}
    if tracker:
        unscored |= {task: not has_annotations(con, tracker, task) for task in ("stance", "emotion")}
    for task in (task for task, nothing in unscored.items() if nothing):
        badges[task] = {**badges[task], "text": NOTHING_SCORED[task], "scored": False}
    return {"name": name, "version": version, "label": label or "no sentiment model",
            "macro_f1": f1, "macro_f1_on": on, "baseline": baseline_table(card),
            "measured": summary.get("measured") or [], "card": card,
            "card_path": summary.get("card") or "no card",
            "adapted": summary.get("adapted"),
            "adapted_line": adapted_line(summary["adapted"], tracker) if summary.get("adapted") else None,
            "accuracy_note": accuracy_line(summary), "badges": badges, "cards": cards,
            "scope": scope}


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
        rows.append({"tracker": a["tracker"], "task": a["task"], "model": f"{a['model']} {a['version']}",
                     "labels": a.get("n_labels"), "annotators": ", ".join(a.get("annotators") or []),
                     "labels from": "; ".join(f"{k} ({v})" for k, v in origins.items()),
                     "labelled": f"{str(a.get('labelled_from') or '')[:10]} to {str(a.get('labelled_to') or '')[:10]}",
                     "language-model labels": "used" if a.get("llm_labels_used") else "not used",
                     "cross-validated macro-F1": figure("cv_macro_f1_adapted"),
                     "base model macro-F1": figure("cv_macro_f1_base"),
                     "base model": f"{a.get('base_model')} {a.get('base_version')}",
                     "adapted from": a.get("adapted_from"),
                     "method": f"{a.get('method') or 'refit'} ("
                               + (f"strength {a.get('strength')}" if a.get("method") == "prior"
                                  else f"label weight {a.get('weight')}") + f"), {a.get('folds')}-fold CV",
                     "created": str(a.get("created_at") or "")[:19]})
    return rows


def option_rows(task: str) -> list[dict[str, Any]]:
    """The shipped slower, more accurate options of a task (the e5 models), with their in-domain test figure."""
    from collectors.paths import models_dir

    rows = []
    for path in sorted(models_dir().glob("*/card.json")):  # shipped models only; adapted ones have their table
        card = read_card(path) or {}
        if card.get("task", "sentiment") != task or "encoder" not in (card.get("method") or {}):
            continue
        head = card.get("headline") or {}
        ci = head.get("ci95") or [None, None]
        value = head.get("value")
        rows.append({"model": f"{card.get('name')} {card.get('version')}",
                     "in-domain test macro-F1": (f"{value:.2f} [{ci[0]:.2f}–{ci[1]:.2f}], n = {head.get('n')}"
                                                 if isinstance(value, int | float) and None not in ci else "–"),
                     "speed (texts/s, one core)": card.get("speed_posts_per_s"),
                     "use": f"actorwatch enrich --model {card.get('name')} --tracker T"})
    return rows
