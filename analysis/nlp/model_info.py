"""What the exports, briefs and chart badges say about the models: name, version and *measured* accuracy (from
each model's card, data/models/<name>/card.json), or plainly that no measurement was found.

The figure quoted beside a sentiment, stance or emotion chart is the card's "headline" (the in-domain test
figure with its interval and n) and nothing else: a badge never computes or hard-codes a figure.
A tracker with a model adapted to it (`actorwatch adapt`, then `actorwatch enrich --model NAME`) is shown with
that model and the figures measured on its own labels; every other tracker keeps the general model.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb

from analysis.core.annotations import ANNOTATIONS, annotations_scan
from analysis.core.scores import SCORES
from analysis.core.tables import has_table
from analysis.nlp.sentiment.linear import ENCODER_FILE, HISTORY
from collectors.paths import bundled_dir, data_dir, local_models_dir, model_dir, models_dir
from collectors.store import RECORDS

TASK_NAMES: tuple[str, ...] = ("sentiment", "stance", "emotion")
METRIC_LABELS = {"macro_f1": "macro-F1", "accuracy": "accuracy", "f_avg": "F-avg (support/oppose)",
                 "binary_accuracy": "binary accuracy"}
NOT_IN_DOMAIN = "not measured on in-domain text"
NOTHING_SCORED = {task: f"No {what} yet, so no model figure applies — run `actorwatch enrich`"
                  for task, what in (("sentiment", "sentiment scores"), ("stance", "stance annotations"),
                                     ("emotion", "emotion annotations"))}


def latest_model_version(con: duckdb.DuckDBPyConnection, tracker: str | None = None) -> str | None:
    """The model version to show: for a tracker with scores from a model adapted to it, the current version of that
    model (`actorwatch adapt --use` chooses it) once it has scored every record of the tracker the general model
    scored, else the newest other version that has; otherwise the most recently used version of a general (not
    adapted) model in `scores`; or None."""
    if not has_table(con, SCORES):
        return None
    adapted = adapted_cards()
    # every adapted model's scores, also of one no longer current (`adapt --use base`), are not the general model's
    names = sorted({c["name"] for c in adapted} | {str(c["name"]) for c, _ in superseded_cards() if c.get("name")})
    row = con.execute(f"SELECT model_version FROM {SCORES} WHERE NOT list_contains(?, model) GROUP BY 1 "
                      "ORDER BY max(scored_at) DESC LIMIT 1", [names]).fetchone()
    general = row[0] if row else None
    own = [c for c in adapted if tracker and c["adapted"].get("tracker") == tracker]
    if own:
        current = {c.get("version") for c in own}
        versions = [version for (version,) in con.execute(
            f"SELECT model_version FROM {SCORES} WHERE list_contains(?, model) GROUP BY 1 ORDER BY max(scored_at) DESC",
            [[c["name"] for c in own]]).fetchall()]
        for version in sorted(versions, key=lambda v: v.split("+", 1)[0] not in current):  # stable: newest first
            if general is None or not _unscored_by(con, version, general, tracker):
                return version
    return general


def _unscored_by(con: duckdb.DuckDBPyConnection, version: str, general: str, tracker: str) -> bool:
    """Whether some record of the tracker scored by the general model has no score of `version`: an interrupted
    `enrich --model`. Its figures would cover only the records it reached, so the tracker keeps the general model
    until the run is resumed."""
    if not has_table(con, RECORDS):
        return False
    return con.execute(
        f"""SELECT 1 FROM (SELECT source, id FROM {SCORES} WHERE model_version = ?) g
            SEMI JOIN (SELECT source, id FROM {RECORDS} WHERE list_contains(trackers, ?)) r USING (source, id)
            ANTI JOIN (SELECT source, id FROM {SCORES} WHERE model_version = ?) a USING (source, id) LIMIT 1""",
        [general, tracker, version]).fetchone() is not None


def card_files() -> list[Path]:
    """Cards of the shipped models, then of the models made on this machine (collectors.paths.local_models_dir); not
    the tuned encoder's (it scores nothing: the e5 options' cards quote what it measures)."""
    return [path for path in sorted(models_dir().glob("*/card.json")) + sorted(local_models_dir().glob("*/card.json"))
            if not (path.parent / ENCODER_FILE).exists()]




def version_key(version: str) -> str:
    """A kept version's folder name under history/ (a hash: versions are free text from cards)."""
    return hashlib.sha256(version.encode()).hexdigest()[:16]


def superseded_cards() -> list[tuple[dict[str, Any], Path]]:
    """The cards of adapted models' kept versions (history/<hash>/card.json; before weights were kept,
    history/card-<hash>.json), whose scores stay in the store until re-scored."""
    models = local_models_dir()
    paths = sorted(models.glob(f"*/{HISTORY}/*/card.json")) + sorted(models.glob(f"*/{HISTORY}/card-*.json"))
    return [(card, path) for path in paths if (card := read_card(path)) is not None]


def adapted_cards() -> list[dict[str, Any]]:
    """The cards of every model adapted to a tracker (newest first); an adapted model's English route (its card says
    which model it is part of) is not listed on its own."""
    cards = []
    for path in card_files():
        try:
            card = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(card.get("adapted"), dict) and card.get("name") and not card["adapted"].get("part_of"):
            cards.append({**card, "card_path": str(path)})
    return sorted(cards, key=lambda c: str(c.get("created_at") or ""), reverse=True)


def adapted_summary(card: dict[str, Any]) -> dict[str, Any]:
    """What captions, manifests and Methods say about an adapted model, from its card."""
    a = card.get("adapted") or {}
    provenance = a.get("provenance") or {}
    return {"model": card.get("name"), "version": card.get("version"), "tracker": a.get("tracker"),
            "task": card.get("task") or a.get("task") or "sentiment",
            "n_labels": a.get("n_labels"), "n_annotators": a.get("n_annotators"),
            "label_counts": provenance.get("label_counts"),
            "annotators": provenance.get("annotators"), "origins": provenance.get("origins"),
            "labelled_from": provenance.get("labelled_from"), "labelled_to": provenance.get("labelled_to"),
            "llm_labels_used": provenance.get("llm_labels_used"), "left_out": provenance.get("left_out"),
            "folds": a.get("folds"), "method": a.get("method"), "weight": a.get("weight"),
            "strength": a.get("strength"),
            "cv_macro_f1_adapted": a.get("cv_macro_f1_adapted"), "cv_macro_f1_adapted_ci95": a.get("cv_macro_f1_adapted_ci95"),
            "cv_macro_f1_base": a.get("cv_macro_f1_base"), "cv_macro_f1_base_ci95": a.get("cv_macro_f1_base_ci95"),
            "cv_macro_f1_gain_ci95": a.get("cv_macro_f1_gain_ci95"),
            "base_model": a.get("base_model"), "base_version": a.get("base_version"),
            "adapted_from": a.get("adapted_from") or a.get("base_model"), "created_at": card.get("created_at")}


def missing_classes(label_counts: dict[str, int] | None) -> list[str]:
    """The task's classes an adapted model's labels have none of (its cross-validated macro-F1 averages the others)."""
    return [c for c, n in (label_counts or {}).items() if not n]


def adapted_line(adapted: dict[str, Any], tracker: str | None = None) -> str:
    """'adapted on N labels by K annotators: cross-validated macro-F1 x [lo–hi] (base model y)'; quoted for another
    `tracker` than the one the model was adapted to, it says the figure is on that other tracker's labels; adapted from
    another model than the base it is compared with (`adapt --base auto` choosing the e5 option), it names both."""
    ci = adapted.get("cv_macro_f1_adapted_ci95") or [None, None]
    interval = f" [{ci[0]:.2f}–{ci[1]:.2f}]" if None not in ci else ""
    k = adapted.get("n_annotators")
    base = adapted.get("cv_macro_f1_base")
    own = adapted.get("tracker")
    elsewhere = bool(tracker and own and tracker != own)
    counts = adapted.get("label_counts") if isinstance(adapted.get("label_counts"), dict) else {}
    missing = missing_classes(counts)
    over = (f" over {', '.join(c for c in counts if c not in missing)} (no {', '.join(missing)} labels)"
            if missing else "")
    return ((f"adapted to another tracker, {own}, " if elsewhere else "adapted ")
            + f"on {adapted.get('n_labels')} labels by {k} annotator{'s' if k != 1 else ''}: "
            f"cross-validated macro-F1 {adapted.get('cv_macro_f1_adapted'):.2f}{interval}{over}"
            + (_base_part(adapted, base) if isinstance(base, int | float) else "")
            + (f", measured on {own}'s labels, not on {tracker}'s" if elsewhere else ""))


def _base_part(adapted: dict[str, Any], figure: float) -> str:
    """' (base model 0.58)'; ' (base model <name> 0.58; adapted from <other model>)' where the model was adapted from
    another model than the base it is compared with."""
    base, source = adapted.get("base_model"), adapted.get("adapted_from")
    if base and source and source != base:
        return f" (base model {base} {figure:.2f}; adapted from {source})"
    return f" (base model {figure:.2f})"


def read_card(path: Path) -> dict[str, Any] | None:
    """A card's content, or None when it cannot be read or is not a JSON object."""
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return card if isinstance(card, dict) else None


def named_card(name: str) -> dict[str, Any] | None:
    """The card beside model NAME (a model directory, a shipped model or one made on this machine), if any."""
    directory = model_dir(name)
    return read_card(directory / "card.json") if directory and (directory / "card.json").exists() else None


def card_task(card: dict[str, Any], path: Path) -> str:
    """The task a card measures: its "task", else its directory's prefix (older sentiment cards name none)."""
    task = card.get("task")
    if task in TASK_NAMES:
        return str(task)
    prefix = path.parent.name.split("-", 1)[0]
    return prefix if prefix in TASK_NAMES else "sentiment"


def card_label(path: Path) -> str:
    """Where a card is, relative to the shipped files or the data dir; never the machine's absolute path (shown to
    public readers and written into exports)."""
    for root, prefix in ((bundled_dir(), ""), (data_dir(), "<data dir>/")):
        if path.is_relative_to(root):
            return prefix + path.relative_to(root).as_posix()
    return f"{path.parent.name}/{path.name}"  # a models folder named by the environment


def card_path(label: str) -> Path:
    """The file a `card_label` names."""
    if label.startswith("<data dir>/"):
        return data_dir() / label.removeprefix("<data dir>/")
    shipped = bundled_dir() / label
    return shipped if shipped.exists() else models_dir() / label


def cards_signature() -> tuple[tuple[str, int, int], ...]:
    """Which cards exist and when they changed (a cache key: a retrained model changes its badge)."""
    out = []
    for path in card_files():
        try:
            st = path.stat()
        except OSError:
            continue
        out.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(out)


def find_card(task: str, model_version: str | None = None,
              names: tuple[str, ...] = ()) -> tuple[dict[str, Any], Path] | None:
    """The card of the model that produced a task's output.

    sentiment: the card whose version is `model_version` (enrich's composite "<zh>+<en>" names the first);
    stance/emotion: the card whose version (else name) is the one `names` record (what the annotations say produced
    them), else the card whose name or version appears in one of `names`, else the task's default card (the newest
    data/models/<task>-*/card.json not adapted to a tracker).
    """
    if task not in TASK_NAMES:
        raise ValueError(f"task must be one of {', '.join(TASK_NAMES)}, not {task!r}")
    cards = [(card, path) for path in card_files() if (card := read_card(path)) is not None
             and card_task(card, path) == task]
    # the card of a version that adapting again replaced, for its scores until they are re-scored: by exact version only
    earlier = [(c, p) for c, p in superseded_cards()
               if card_task(c, p.parent if p.parent.name == HISTORY else p.parents[1]) == task]
    if task == "sentiment":
        if model_version is None:
            return None
        wanted = model_version.split("+", 1)[0]
        return next(((c, p) for c, p in [*cards, *earlier] if c.get("version") == wanted), None)
    # an adapted model's English route is quoted through the card of the model it is part of, never on its own
    cards = [(c, p) for c, p in cards if not (c.get("adapted") or {}).get("part_of")]
    recorded = recorded_models(task, names)
    for key in ("version", "name"):
        exact = next(((c, p) for c, p in [*cards, *(earlier if key == "version" else [])]
                      if c.get(key) and str(c[key]) in recorded), None)
        if exact:
            return exact
    if tagged_version(task, names):  # re-annotated by a model of exactly this version: its card or none (a base's
        return None                  # version is a prefix of its adapted model's, so a looser match names the base)
    named = [(c, p) for c, p in cards if names_model(c, names)]
    if named:  # the most specific: an adapted model's version extends its base's
        return max(named, key=lambda cp: len(str(cp[0].get("version") or "")))
    default = [(c, p) for c, p in cards if p.parent.name.startswith(f"{task}-")  # a model adapted to one tracker
               and not isinstance(c.get("adapted"), dict)]  # is no other tracker's default
    return max(default, key=lambda cp: (str(cp[0].get("created_at") or ""), cp[1].parent.name), default=None)


def recorded_models(task: str, names: tuple[str, ...]) -> set[str]:
    """The model names and versions `names` record exactly: each name itself, and the model version of a re-annotated
    row's "|<task>=<version>[+<English route's version>]" (analysis.nlp.enrich.version_tag)."""
    out = set()
    for name in names:
        out.update((name, name.split("+", 1)[0]))
        out.update(part.split("=", 1)[1].split("+", 1)[0] for part in name.split("|")[1:]
                   if part.startswith(f"{task}="))
    return out


def tagged_version(task: str, names: tuple[str, ...]) -> str | None:
    """The model version a re-annotated row's "|<task>=<version>[+…]" names (analysis.nlp.enrich.version_tag)."""
    return next((part.split("=", 1)[1].split("+", 1)[0] for name in names for part in name.split("|")[1:]
                 if part.startswith(f"{task}=")), None)


def names_model(card: dict[str, Any], names: tuple[str, ...]) -> bool:
    """Whether one of `names` (e.g. a pipeline version) contains the card's model name or version."""
    keys = [str(card[k]) for k in ("version", "name") if card.get(k)]
    return any(key in name for name in names for key in keys)


def annotation_model_names(con: duckdb.DuckDBPyConnection, task: str,
                           tracker: str | None = None) -> tuple[tuple[str, ...], bool]:
    """What the newest annotation (of the tracker's records, if given) says produced its stance/emotion: (strings
    naming the model, explicit).

    `explicit` is True when annotations carry a `<task>_model` or `<task>_model_version` column; then
    a model that matches no card is reported as unmeasured rather than given the default card's figure.
    """
    if not has_table(con, ANNOTATIONS):
        return (), False
    columns = {row[0] for row in con.execute(f"DESCRIBE {ANNOTATIONS}").fetchall()}
    explicit = [c for c in (f"{task}_model", f"{task}_model_version") if c in columns]
    cols = "".join(", a." + c for c in explicit)
    if tracker and has_table(con, RECORDS):
        row = con.execute(f"SELECT a.pipeline_version{cols} FROM {ANNOTATIONS} a JOIN {RECORDS} r USING (source, id) "
                          "WHERE list_contains(r.trackers, ?) ORDER BY a.annotated_at DESC, a.pipeline_version DESC, a.source, a.id LIMIT 1", [tracker]).fetchone()
    else:
        row = con.execute(f"SELECT a.pipeline_version{cols} FROM {ANNOTATIONS} a "
                          "ORDER BY a.annotated_at DESC, a.pipeline_version DESC, a.source, a.id LIMIT 1").fetchone()
    if row is None:
        return (), False
    names = tuple(str(v) for v in row if v)
    return names, bool(explicit) and any(row[1:])


def valid_headline(card: dict[str, Any] | None) -> dict[str, Any] | None:
    """The card's "headline" (metric, value, ci95, n, file, description) when it is usable, else None."""
    head = (card or {}).get("headline")
    if not isinstance(head, dict) or not isinstance(head.get("value"), int | float) or isinstance(head.get("value"), bool):
        return None
    ci = head.get("ci95")
    ok_ci = isinstance(ci, list | tuple) and len(ci) == 2 and all(isinstance(v, int | float) for v in ci)
    return {"metric": str(head.get("metric") or "macro_f1"), "value": float(head["value"]),
            "ci95": [float(ci[0]), float(ci[1])] if ok_ci else None,
            "n": head.get("n") if isinstance(head.get("n"), int) else None, "file": head.get("file"),
            "description": head.get("description")}


def headline_text(head: dict[str, Any]) -> str:
    """"On 912 real sentences about AI actors (test split): macro-F1 0.61 [0.57–0.65]", from the headline only."""
    on = head.get("description") or (f"{head['n']} labelled units in {head.get('file')}" if head.get("n")
                                     else f"{head.get('file') or 'the in-domain test set'}")
    metric = METRIC_LABELS.get(head["metric"], head["metric"])
    ci = f" [{head['ci95'][0]:.2f}–{head['ci95'][1]:.2f}]" if head.get("ci95") else ""
    return f"On {on}: {metric} {head['value']:.2f}{ci}"


def task_badge(task: str, found: tuple[dict[str, Any], Path] | None, model_name: str | None = None,
               model_version: str | None = None, tracker: str | None = None) -> dict[str, Any]:
    """What is quoted beside a task's charts, built from its card's headline alone.

    {task, name, version, card, in_domain, headline, text}: `text` names the model and gives the figure
    ("… not measured on in-domain text" when the card has no headline or there is no card).
    """
    card, path = found if found else (None, None)
    name = (card or {}).get("name") or model_name
    version = model_version or (card or {}).get("version")  # sentiment: the scored version, e.g. "<zh>+<en>"
    label = f"{name or 'unknown model'} {version or ''}".strip()
    head = valid_headline(card)
    legacy = (card or {}).get("macro_f1")  # older sentiment cards: a general-Weibo figure, said to be one
    if card is not None and isinstance(card.get("adapted"), dict):
        text = f"{task.capitalize()} model {label}, {adapted_line(adapted_summary(card), tracker)}"
    elif head is not None:
        text = f"{task.capitalize()} model {label} — {headline_text(head)}"
    elif task == "sentiment" and isinstance(legacy, int | float):
        text = (f"Sentiment model {label} — measured macro-F1 {legacy:.2f} on "
                f"{card.get('macro_f1_source') or 'its card'}; {NOT_IN_DOMAIN}")
    elif card is not None:
        text = f"{task.capitalize()} model {label} — {NOT_IN_DOMAIN}"
    elif name or version:
        text = f"{task.capitalize()} model {label} — no model card found; {NOT_IN_DOMAIN}"
    else:
        text = f"{task.capitalize()}: no model card found; {NOT_IN_DOMAIN}"
    return {"task": task, "name": name, "version": version, "card": card_label(path) if path else None,
            "in_domain": head is not None, "headline": head, "text": text}


def in_domain_badges(con: duckdb.DuckDBPyConnection, sentiment_version: str | None = None,
                     sentiment_name: str | None = None, tracker: str | None = None) -> dict[str, dict[str, Any]]:
    """The badge of each task for this store (or tracker): sentiment by its latest scored model, stance and emotion
    by the model the annotations name (else the default card)."""
    version = sentiment_version if sentiment_version is not None else latest_model_version(con)
    out = {"sentiment": task_badge("sentiment", find_card("sentiment", version), sentiment_name, version, tracker)}
    for task in ("stance", "emotion"):
        names, explicit = annotation_model_names(con, task, tracker)
        found = find_card(task, names=names)
        if explicit and found is not None and not names_model(found[0], names):
            found = None  # the annotations name a model this card is not the card of
        unnamed = not explicit and unnamed_model(task, names) and (found is None or not names_model(found[0], names))
        badge = task_badge(task, None if unnamed else found, names[-1] if explicit else tagged_version(task, names),
                           tracker=tracker)
        if unnamed:
            badge["text"] = (f"{task.capitalize()}: annotated by older enrichment code ({names[0]}), which did not "
                             f"record the {task} model, so no model figure applies — re-run `actorwatch enrich`")
        versions = annotating_versions(con, task, tracker)
        if len(versions) > 1:
            badge["text"] += (f" — mixed: these {task} labels come from {len(versions)} model versions ("
                              + ", ".join(f"{v}: {n:,} record{'s' if n != 1 else ''}" for v, n in versions.items())
                              + "); re-run `actorwatch enrich` to label every record with one")
        out[task] = badge
    return out


def annotating_versions(con: duckdb.DuckDBPyConnection, task: str, tracker: str | None = None) -> dict[str, int]:
    """Records (of the tracker, if given) per version of the model that wrote their newest annotation's `task` label:
    its "|<task>=<version>" tag, else the whole pipeline version (which names no model), most records first."""
    scan = annotations_scan(con)
    if scan is None:
        return {}
    join, params = "", []
    if tracker and has_table(con, RECORDS):
        join, params = f"JOIN {RECORDS} r USING (source, id) WHERE list_contains(r.trackers, ?)", [tracker]
    tag = f"nullif(regexp_extract(a.pipeline_version, '\\|{task}=([^|]*)', 1), '')"
    rows = con.execute(f"SELECT coalesce({tag}, a.pipeline_version) AS v, count(*) AS n FROM {scan} a {join} "
                       "GROUP BY 1 ORDER BY n DESC, v", params).fetchall()
    return {str(v): int(n) for v, n in rows}


def unnamed_model(task: str, names: tuple[str, ...]) -> bool:
    """Whether annotations of these pipeline versions come from enrichment code older than the one that names the
    task's model ("|<task>=<version>"), and name none: which model wrote them is unknown."""
    from analysis.nlp.enrich import NAMES_MODELS_SINCE, code_version_of

    codes = [code_version_of(name) for name in names]
    return (tagged_version(task, names) is None
            and any(code is not None and int(code) < NAMES_MODELS_SINCE for code in codes))


def model_card_summary(model_version: str | None, model_name: str | None = None,
                       tracker: str | None = None) -> dict[str, Any]:
    """{name, version, measured: [{file, role, n, accuracy, macro_f1, binary_accuracy}], card} for this version, as
    quoted beside `tracker`'s figures."""
    summary: dict[str, Any] = {"name": model_name, "version": model_version, "measured": None, "card": None,
                               "adapted": None, "scope": "", "headline": None, "tracker": tracker}
    if model_version is None:
        summary["note"] = "no sentiment scores in this selection"
        return summary
    other = model_version.split("+", 1)[1] if "+" in model_version else None
    found = find_card("sentiment", model_version)
    if found is not None:
        card, path = found
        summary.update(name=card.get("name", model_name), card=card_label(path), scope=_english_scope(card, other))
        summary["headline"] = valid_headline(card)
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
    routed = (card.get("english_route") or {}).get("english_model") or {}
    if routed.get("version") == other:
        return f" (English posts by {routed.get('name')}, scored so in the same figure)"
    adapted_english = (((card.get("adapted") or {}).get("method_details") or {}).get("english") or {})
    if adapted_english.get("n_labels"):  # its cross-validation scored the English labels by its English route
        return f" (English posts by {adapted_english.get('model')}, scored so in the same figure)"
    english = card.get("english_path") or {}
    topic = next((ev for ev in card.get("evaluations", []) if isinstance(ev, dict)
                  and isinstance(ev.get("english_only"), dict)), None)
    figures = (topic or {}).get("english_only") or {}
    if english.get("version") != other or not isinstance(figures.get("macro_f1"), int | float):
        return f" for non-English posts; English posts are scored by {other}, not measured here"
    return (f" for non-English posts; English posts are scored by {other}: macro-F1 {figures['macro_f1']:.2f} on "
            f"only {figures.get('n')} author-written English sentences ({topic.get('file')}), a sanity check")


def accuracy_line(summary: dict[str, Any]) -> str:
    """One sentence for captions and reports: the in-domain headline when the card has one."""
    name = f"{summary.get('name') or 'unknown model'} {summary.get('version') or ''}".strip()
    if summary.get("adapted"):
        return f"Sentiment by {name}, {adapted_line(summary['adapted'], summary.get('tracker'))}{summary.get('scope', '')}."
    if summary.get("version") is None:
        return NOTHING_SCORED["sentiment"] + "."
    if summary.get("headline"):
        return f"Sentiment by {name}; measured in-domain: {headline_text(summary['headline'])}."
    measured = summary.get("measured")
    if not measured:
        return f"Sentiment by {name}; {summary.get('note', 'accuracy not measured')}."
    parts = [f"macro-F1 {m['macro_f1']:.2f} on {m['file']} (n = {m['n']:,})" for m in measured
             if isinstance(m.get("macro_f1"), int | float) and isinstance(m.get("n"), int)]
    return (f"Sentiment by {name}; measured " + ("; ".join(parts) if parts else "figures in its card")
            + summary.get("scope", "") + f"; {NOT_IN_DOMAIN}.")
