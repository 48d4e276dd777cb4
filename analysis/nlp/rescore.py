"""Score a tracker's records with a named sentiment model (e.g. one adapted to it), resumably.

`actorwatch enrich --model NAME [--tracker T]`: English rows still go to VADER, the rest to the named model
(as `score_texts` routes them); rows land in `scores` under that model's version, beside the default
model's. Only records without a score of that version are scored, in batches written atomically, so an
interrupted run resumes where it stopped. Annotations (stance, entities…) are left as they are.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from analysis.core.scores import LABELS, SCORES, SCORES_SCHEMA, SCORES_SPEC
from analysis.nlp.enrich import drop_unread_scores, run_lock, version_tag
from analysis.nlp.sentiment import english_scorer, get_scorer, is_read, reading_langs, score_texts
from analysis.nlp.sentiment.linear import CARD_FILE
from analysis.nlp.text import clean_text
from collectors.lang import record_text
from collectors.store import RECORDS, Store


@dataclass(frozen=True)
class RescoreSummary:
    model: str
    model_version: str
    tracker: str | None
    scored: int
    remaining: int
    seconds: float
    action: str = "scored"  # what was done to each record: a stance/emotion model re-annotates, it scores nothing

    def line(self) -> str:
        scope = f"tracker {self.tracker}" if self.tracker else "all trackers"
        done = (f"{self.action} {self.scored:,} records of {scope} with {self.model} {self.model_version} "
                f"in {self.seconds:.1f}s")
        return done + (f"; {self.remaining:,} left — run again to resume" if self.remaining else "")


def model_tracker(name: str) -> str | None:
    """The tracker a sentiment model was adapted to, from its card (None for a general model)."""
    return adapted_tracker(name, get_scorer(name).version)


def adapted_tracker(name: str, version: str) -> str | None:
    """The tracker named in the card of model NAME, if that card is of this version and of an adapted model."""
    from analysis.nlp.model_info import named_card

    card = named_card(name)
    return (card.get("adapted") or {}).get("tracker") if card and card.get("version") == version else None


def rescore(store: Store, name: str, tracker: str | None = None, batch_size: int = 1000,
            on_batch: Callable[[int], None] | None = None,
            on_wait: Callable[[str], None] | None = None) -> RescoreSummary:
    """Score the tracker's records (all records when None) not yet scored by this model version (runs of one
    version take turns: see `run_lock`)."""
    scorer = get_scorer(name)  # loaded once, with its English route: a version made current meanwhile is not mixed in
    english = english_scorer(scorer)
    version = scorer.version if english is None else f"{scorer.version}+{english.version}"  # as full_version names it
    with run_lock(store, version, on_wait):
        summary = _rescore(store, scorer, english, version, tracker, batch_size, on_batch)
        drop_unread_scores(store)  # as every enrichment ends: no score is left on a record marked not read
        return summary


def _rescore(store: Store, scorer: Any, english: Any, version: str, tracker: str | None, batch_size: int,
             on_batch: Callable[[int], None] | None) -> RescoreSummary:
    started = time.perf_counter()
    where = "WHERE list_contains(r.trackers, ?)" if tracker else ""
    params: list[str] = [tracker] if tracker else []
    if not store.files(RECORDS):
        return RescoreSummary(scorer.name, version, tracker, 0, 0, 0.0)
    done = ""
    if store.files(SCORES):
        done = f"ANTI JOIN (SELECT source, id FROM {SCORES} WHERE model_version = ?) s USING (source, id)"
        params = [version, *params]
    with store.connect() as con:
        todo = con.sql(f"SELECT r.source, r.id, r.title, r.text, r.lang FROM {RECORDS} r {done} {where} "
                       "ORDER BY r.source, r.id", params=params).to_arrow_table().to_pylist()
    scored = 0
    for k, start in enumerate(range(0, len(todo), batch_size), 1):
        batch = todo[start:start + batch_size]
        raw = [record_text(r["text"], r["title"]) for r in batch]
        langs = reading_langs(raw, [r["lang"] for r in batch])
        # as enrichment scores: text left after cleaning, in a language the models read
        live = [i for i, t in enumerate(raw) if not clean_text(t).is_empty and is_read(langs[i])]
        proba = score_texts([raw[i] for i in live], [langs[i] for i in live], default=scorer,
                            english_model=english) \
            if live else np.zeros((0, 3))
        now = datetime.now(UTC)
        table = pa.Table.from_pydict({
            "source": [batch[i]["source"] for i in live], "id": [batch[i]["id"] for i in live],
            "model": [scorer.name] * len(live), "model_version": [version] * len(live),
            "p_neg": proba[:, 0], "p_neu": proba[:, 1], "p_pos": proba[:, 2],
            "label": [LABELS[j] for j in proba.argmax(axis=1)], "scored_at": [now] * len(live)}, schema=SCORES_SCHEMA)
        store.add_table(SCORES, table, SCORES_SPEC)
        scored += len(live)
        if on_batch:
            on_batch(k)
    return RescoreSummary(scorer.name, version, tracker, scored, 0, time.perf_counter() - started)


# ---------- stance and emotion: re-annotate a tracker's records with a named (e.g. adapted) model ----------

TASK_COLUMNS = {"stance": ("stance", "stance_score"), "emotion": ("emotion", "emotion_score")}


def model_task(name: str) -> str:
    """Which task a named model (shipped, adapted on this machine, or a directory) does, from its card."""
    from analysis.nlp.model_info import card_task, named_card
    from collectors.paths import model_dir

    card = named_card(name)
    directory = model_dir(name)
    return card_task(card, directory / CARD_FILE) if card is not None and directory else "sentiment"


def task_model_tracker(name: str, task: str) -> str | None:
    """The tracker a stance or emotion model was adapted to (None for a general model)."""
    from analysis.nlp.charlr import load_task_model
    from analysis.nlp.tasks import TASKS

    return adapted_tracker(name, load_task_model(name, TASKS[task], name, ()).version)


def _retagged(pipeline_version: str, task: str, tag: str) -> str:
    kept = [p for p in pipeline_version.split("|") if not p.startswith(f"{task}=")]
    return "|".join(kept) + tag


def reannotate(store: Store, name: str, task: str, tracker: str | None = None, batch_size: int = 1000,
               on_batch: Callable[[int], None] | None = None,
               on_wait: Callable[[str], None] | None = None) -> RescoreSummary:
    """Give the tracker's records (all when None) the stance or emotion of the named model, resumably.

    Each record's newest annotation is copied with that task's columns replaced and "|<task>=<version>" in its
    pipeline version, so the other columns stay as enrichment left them and the model is named where the badge
    looks. Records not yet enriched are left for `actorwatch enrich`; records already done are skipped. Runs with
    one model take turns (`run_lock`).
    """
    with run_lock(store, f"{task}={name}", on_wait):
        summary = _reannotate(store, name, task, tracker, batch_size, on_batch)
        drop_unread_scores(store)  # as every enrichment ends: no score is left on a record marked not read
        return summary


def _reannotate(store: Store, name: str, task: str, tracker: str | None, batch_size: int,
                on_batch: Callable[[int], None] | None) -> RescoreSummary:
    from analysis.core.annotations import ANNOTATIONS, ANNOTATIONS_SCHEMA, ANNOTATIONS_SPEC, annotations_scan
    from analysis.nlp.charlr import load_task_model, proba_by_lang
    from analysis.nlp.tasks import TASKS

    started = time.perf_counter()
    model = load_task_model(name, TASKS[task], name, ())
    version = getattr(model, "routed_version", model.version)  # names its English model's version too
    tag = version_tag(task, version)
    label_col, score_col = TASK_COLUMNS[task]
    action = f"re-annotated the {task} of"
    if not store.files(RECORDS) or not store.files(ANNOTATIONS):
        return RescoreSummary(model.name, version, tracker, 0, 0, 0.0, action)
    where = "AND list_contains(r.trackers, ?)" if tracker else ""
    with store.connect() as con:
        scan = annotations_scan(con)
        cursor = con.execute(f"SELECT r.title, r.text, a.* FROM {RECORDS} r JOIN {scan} a USING (source, id) "
                             f"WHERE NOT list_contains(string_split(a.pipeline_version, '|'), ?) {where} "
                             "ORDER BY a.source, a.id", [tag.lstrip("|"), *([tracker] if tracker else [])])
        columns = [d[0] for d in cursor.description]
        todo = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    scored = 0
    for k, start in enumerate(range(0, len(todo), batch_size), 1):
        batch = todo[start:start + batch_size]
        cleaned = [clean_text(record_text(r["text"], r["title"])) for r in batch]
        # as enrichment annotates: text left after cleaning, in a language the models read (the annotation's)
        live = [i for i, c in enumerate(cleaned) if not c.is_empty and is_read(batch[i].get("lang") or None)]
        proba = proba_by_lang(model, [cleaned[i].own_text or cleaned[i].model_text for i in live],
                              [batch[i].get("lang") or None for i in live]) if live else None
        now = datetime.now(UTC)
        rows = []
        for j, i in enumerate(live):
            best = int(proba[j].argmax())
            rows.append({**batch[i], label_col: model.classes[best], score_col: round(float(proba[j, best]), 4),
                         "pipeline_version": _retagged(batch[i]["pipeline_version"], task, tag), "annotated_at": now})
        kept = set(live)
        for i in range(len(batch)):
            if i not in kept:  # nothing to give it: copied, so that the record counts as done
                rows.append({**batch[i], "pipeline_version": _retagged(batch[i]["pipeline_version"], task, tag),
                             "annotated_at": now})
        table = pa.Table.from_pylist([{f: r.get(f) for f in ANNOTATIONS_SCHEMA.names} for r in rows],
                                     schema=ANNOTATIONS_SCHEMA)
        store.add_table(ANNOTATIONS, table, ANNOTATIONS_SPEC)
        scored += len(live)
        if on_batch:
            on_batch(k)
    return RescoreSummary(model.name, version, tracker, scored, 0, time.perf_counter() - started, action)


def model_versions(card: dict[str, Any]) -> set[str]:
    """Every version of the adapted model whose (current) card this is: its own and those kept under history/."""
    from analysis.nlp.adapt_versions import kept_versions
    from collectors.paths import local_models_dir

    adapted = card.get("adapted") or {}
    kept = kept_versions(local_models_dir(), str(adapted.get("tracker")), card.get("task") or "sentiment")
    return {str(card.get("version")), *(k.version for k in kept if k.card.get("name") == card.get("name"))}


def adapted_in_use(store: Store) -> list[tuple[str, str, str]]:
    """(model, task, tracker) of each model adapted to a tracker that has already scored or re-annotated records here:
    the tracker's charts show that model's output, so records collected since need it too."""
    from analysis.core.annotations import ANNOTATIONS
    from analysis.nlp.model_info import adapted_cards

    out = []
    with store.connect() as con:
        for card in adapted_cards():
            name, tracker, task = card.get("name"), card["adapted"].get("tracker"), card.get("task") or "sentiment"
            if not name or not tracker or task not in ("sentiment", *TASK_COLUMNS):
                continue
            if task == "sentiment":
                used = store.files(SCORES) and con.execute(f"SELECT 1 FROM {SCORES} WHERE model = ? LIMIT 1",
                                                          [name]).fetchone()
            else:  # any version of it: adapted again, the new current version has annotated nothing yet
                tags = [f"|{task}={v}" for v in model_versions(card)]
                used = store.files(ANNOTATIONS) and con.execute(
                    f"SELECT 1 FROM {ANNOTATIONS} WHERE list_has_any(?, regexp_extract_all(pipeline_version, "
                    f"'\\|{task}=[^|+]*')) LIMIT 1", [tags]).fetchone()
            if used:
                out.append((str(name), task, str(tracker)))
    return out
