"""Enrichment: clean, segment, score sentiment, stance, keywords, frames and entities for records not yet done.

Results go to two datasets kept apart from the records (re-running never rewrites a post):
`scores` (analysis/core/scores.py: sentiment per record and model version) and `annotations`
(analysis/core/annotations.py: language, stance, entities, frames, keywords per record and pipeline version).

Work is cut into batches that run on a `concurrent.futures` executor (a process pool by default, or a
Dask client's executor). Only this process writes: each finished batch is written as one atomic store
batch per dataset, scores first, then annotations. A record counts as done once its annotation exists,
so an interrupted run (Ctrl-C, a kill, a crash) resumes where it stopped; a batch whose scores were
written but not its annotations is redone without writing its scores twice.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from analysis.core.annotations import ANNOTATIONS, ANNOTATIONS_SCHEMA, ANNOTATIONS_SPEC, annotations_scan
from analysis.core.scores import LABELS, SCORES, SCORES_SCHEMA, SCORES_SPEC
from collectors.lang import record_text
from collectors.paths import bundled_dir
from collectors.store import RECORDS, Store, file_lock

PIPELINE_CODE_VERSION = "9"  # bump when enrichment logic changes in a way the inputs below do not capture
NAMES_MODELS_SINCE = 7  # the first code version whose pipeline versions name the stance and emotion models
DEFAULT_BATCH_SIZE = 1000
MAX_TOKENIZE_CHARS = 20_000  # keywords come from the first 20,000 characters of very long texts
KEYWORDS_PER_RECORD = 5


@dataclass(frozen=True)
class EnrichSummary:
    scored: int
    model_version: str
    annotated: int = 0
    empty: int = 0
    batches: int = 0
    pipeline_version: str = ""
    remaining: int = 0
    seconds: float = 0.0
    unread: int = 0  # annotated, not scored: in a language the models do not read

    def line(self) -> str:
        unread = f", {self.unread:,} in languages the models do not read, not scored" if self.unread else ""
        done = (f"scored {self.scored:,} records with {self.model_version}; annotated {self.annotated:,} "
                f"({self.empty:,} empty after cleaning{unread}) with pipeline {self.pipeline_version} "
                f"in {self.batches:,} batches, {self.seconds:.1f}s")
        return done + (f"; {self.remaining:,} left — run again to resume" if self.remaining else "")


class EnrichInterrupted(KeyboardInterrupt):
    """Enrichment stopped by Ctrl-C; `summary` says what was written (every written batch is kept)."""

    def __init__(self, summary: EnrichSummary) -> None:
        super().__init__(summary.line())
        self.summary = summary


# ---------- versions ----------

def scoring_model(name: str | None = None) -> tuple[str, str]:
    """(model, model_version) written to `scores`: the default (or named) model, and the English model (or VADER)
    where the model routes English rows there; the version names every scorer used, so upgrading any re-scores."""
    from analysis.nlp.sentiment import full_version, get_scorer

    default = get_scorer(name)
    return default.name, full_version(default)


def _task_model(kind: str):
    try:
        if kind == "stance":
            from analysis.nlp.stance_model import get_stance_model

            return get_stance_model()
        from analysis.nlp.emotion_model import get_emotion_model

        return get_emotion_model()
    except (ImportError, FileNotFoundError, ValueError):
        return None


def _task_versions() -> dict[str, tuple[str, str] | None]:
    """(name, version) of the stance and emotion models enrichment uses, None where not shipped; a model routing
    English rows to another has that one's version in its own."""
    models = {kind: _task_model(kind) for kind in ("stance", "emotion")}
    return {kind: (m.name, getattr(m, "routed_version", m.version)) if m else None for kind, m in models.items()}


def task_models(versions: dict[str, tuple[str, str] | None] | None = None) -> list[str]:
    """Name and version of the stance and emotion models enrichment uses ("rules"/"none" where not shipped), so
    upgrading either re-annotates."""
    versions = versions or _task_versions()
    return [f"{v[0]}-{v[1]}" if v else fallback
            for v, fallback in ((versions["stance"], "stance-rules"), (versions["emotion"], "emotion-none"))]


def version_tag(task: str, model_version: str) -> str:
    """What a pipeline version says about the model that gave `task`: "|stance=<version>" (read by model_info)."""
    return f"|{task}={model_version}"


def pipeline_version(model_version: str | None = None) -> str:
    """A short id of everything annotations depend on (code version, sentiment model, lexicons, entity names), then
    the stance and emotion models' versions in the open: a badge credits annotations to the card of that version
    only, never to a retrained model's card."""
    from collectors.trackers import load_trackers

    versions = _task_versions()
    digest = hashlib.sha256()
    digest.update(f"{PIPELINE_CODE_VERSION}|{model_version or scoring_model()[1]}|{'|'.join(task_models(versions))}"
                  .encode())
    for name in ("frames.toml", "stance.toml", "stopwords.txt", "domain_terms.txt"):
        path = bundled_dir() / "dicts" / name
        digest.update(path.read_bytes() if path.exists() else b"-")
    for tracker in load_trackers():
        for entity in tracker.entities:
            digest.update(f"{tracker.id}/{entity.id}:{'|'.join(entity.all_names())}|?{'|'.join(entity.ambiguous)}\n"
                          .encode())
    tags = "".join(version_tag(kind, v[1]) for kind, v in versions.items() if v)
    return f"p{PIPELINE_CODE_VERSION}-{digest.hexdigest()[:10]}{tags}"


def code_version_of(version: str | None) -> str | None:
    """The PIPELINE_CODE_VERSION a pipeline version ("p<code>-<digest>[|…]") was made by; None when it names none
    (an imported bundle's annotations)."""
    head = (version or "").split("-", 1)[0]
    return head[1:] if len(head) > 1 and head[0] == "p" and head[1:].isdigit() else None


# ---------- the work of one batch (runs in a worker) ----------

@dataclass
class BatchResult:
    scores: dict[str, Any]
    annotations: dict[str, Any]
    empty: int = 0
    unread: int = 0


def _prepare_worker(forked: bool, model: tuple[str, str] | None = None) -> None:
    """Leave Ctrl-C to the parent, which shuts workers down; a worker that was not forked from the warmed parent (spawn
    on macOS and Windows) loads models and dictionaries once and sizes its native thread pools for itself.

    Each worker is one of N processes on N cores: native thread pools (BLAS, OpenMP, Arrow) sized to the
    machine would only oversubscribe it. A forked worker inherits its native pools' sizes and every loaded model
    from the parent (make_executor), so it does no start-up work of its own.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    pa.set_cpu_count(1)
    if not forked:
        _one_thread_each()
        warm_up(model)


def _exit_with_parent() -> None:
    """End this worker when its parent is gone: a parent killed outright (SIGKILL, the OOM killer) never shuts the
    pool down, and its workers, each holding the models, would otherwise wait for work for ever (every worker
    keeps the task queue's write end open, so none of them ever reads its end)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _one_thread_each() -> Any:
    """Limit BLAS and OpenMP to one thread (the returned limits restore them)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def warm_up(model: tuple[str, str] | None = None) -> None:
    """Load the scorers (the English route's too), segmenter, lexicons, matchers and the word list their short-alias
    guard reads (each is cached per process), so a pool's forked workers inherit them rather than each loading them
    again on its first batch."""
    from analysis.nlp.entities import two_char_words

    texts = ["爱奇艺 AI演员 真好看", "The AI actors from iQIYI look great"]
    annotate_batch({"source": ["x"] * 2, "id": ["x", "y"], "text": texts, "title": [None] * 2, "lang": [None] * 2,
                    "trackers": [[]] * 2, "has_score": [False] * 2}, "warm-up", model or scoring_model())
    two_char_words()  # read only when a short alias follows another character, so rarely by the texts above


_SHARED_GRAMS: dict[tuple[int, ...], Any] = {}


def _share_grams(*models: Any) -> None:
    """Let the char n-gram models count each batch's n-grams once between them (features.GramSpace)."""
    from analysis.nlp.sentiment.features import Featurizer, GramSpace

    featurizers = [f for f in (getattr(m, "featurizer", None) for m in models) if isinstance(f, Featurizer)]
    key = tuple(id(f) for f in featurizers)
    if len(featurizers) < 2 or key in _SHARED_GRAMS:
        return
    try:
        _SHARED_GRAMS[key] = (featurizers, GramSpace(featurizers))
    except ValueError:  # orders or numbering differ: each model counts on its own
        _SHARED_GRAMS[key] = (featurizers, None)


def _without(text: str, parts: tuple[str, ...]) -> str:
    for part in parts:
        text = text.replace(part, " ")
    return text


def annotate_batch(batch: dict[str, list[Any]], version: str, model: tuple[str, str]) -> BatchResult:
    """Score and annotate one batch (columns source, id, text, title, lang, trackers, has_score)."""
    from analysis.nlp.charlr import proba_by_lang
    from analysis.nlp.entities import entity_matcher, prepare
    from analysis.nlp.segment import tokenize_many
    from analysis.nlp.sentiment import get_scorer, is_read, reading_langs, score_texts
    from analysis.nlp.stance import stance_of
    from analysis.nlp.text import clean_text
    from analysis.nlp.topics import frame_matcher, record_keywords
    from collectors.trackers import load_trackers

    trackers = {t.id: t for t in load_trackers()}
    frames = frame_matcher()
    raw = [record_text(t, h) for t, h in zip(batch["text"], batch["title"], strict=True)]
    cleaned = [clean_text(t) for t in raw]
    langs = reading_langs(raw, batch["lang"])  # the language each is read in, as the scorers route it
    # scored: text left after cleaning, in a language the models read; the rest keep entities, frames and keywords
    unread = {i for i, c in enumerate(cleaned) if not c.is_empty and not is_read(langs[i])}
    live = [i for i, c in enumerate(cleaned) if not c.is_empty and i not in unread]
    proba = np.zeros((len(raw), 3), dtype=np.float64)
    if live:
        proba[live] = score_texts([raw[i] for i in live], [langs[i] for i in live], default=get_scorer(model[0]))

    stance_model, emotion_model = _task_model("stance"), _task_model("emotion")
    _share_grams(get_scorer(model[0]), stance_model, emotion_model)
    own = [cleaned[i].own_text or cleaned[i].model_text for i in live]
    stance_proba = stance_model.predict_proba(own) if stance_model and live else None
    emotion_proba = (proba_by_lang(emotion_model, own, [langs[i] for i in live]) if emotion_model and live
                     else None)
    row_of = {i: k for k, i in enumerate(live)}
    # each row's winning class and its probability, for all rows at once (numpy per row cost more than the models)
    stance_top = _top(stance_proba, stance_model.classes) if stance_proba is not None else None
    emotion_top = _top(emotion_proba, emotion_model.classes) if emotion_proba is not None else None
    stance, stance_score, emotion, emotion_score, entities, frame_ids = [], [], [], [], [], []
    keywords: list[list[str]] = [[] for _ in cleaned]
    for i, c in enumerate(cleaned):
        if c.is_empty:
            stance.append(None)
            stance_score.append(None)
            emotion.append(None)
            emotion_score.append(None)
            entities.append([])
            frame_ids.append([])
            continue
        if i in unread:
            stance.append(None)
            stance_score.append(None)
            emotion.append(None)
            emotion_score.append(None)
        elif stance_top is not None:
            stance.append(stance_top[0][row_of[i]])
            stance_score.append(stance_top[1][row_of[i]])
        else:
            result = stance_of(c.own_text or c.model_text, proba[i])
            stance.append(result.label)
            stance_score.append(result.score)
        if i not in unread:
            emotion.append(emotion_top[0][row_of[i]] if emotion_top is not None else None)
            emotion_score.append(emotion_top[1][row_of[i]] if emotion_top is not None else None)
        wanted = [trackers[t] for t in (batch["trackers"][i] or []) if t in trackers] or list(trackers.values())
        found: dict[str, None] = {}
        display = prepare(c.display) if c.display else None  # scanned by every tracker's matcher and the frames'
        for tracker in wanted:
            found.update(dict.fromkeys(entity_matcher(tracker).find(display)))
        entities.append(list(found))
        frame_ids.append(frames.find(display))
    worded = sorted([*live, *unread])
    tokens = tokenize_many([_without(cleaned[i].model_text[:MAX_TOKENIZE_CHARS], cleaned[i].emoticons)
                            for i in worded])
    for i, words in zip(worded, tokens, strict=True):
        keywords[i] = record_keywords(words, KEYWORDS_PER_RECORD)

    now = datetime.now(UTC)
    to_score = [i for i in live if not batch["has_score"][i]]
    picked = proba[to_score]
    scores = {"source": [batch["source"][i] for i in to_score], "id": [batch["id"][i] for i in to_score],
              "model": [model[0]] * len(to_score), "model_version": [model[1]] * len(to_score),
              "p_neg": picked[:, 0], "p_neu": picked[:, 1], "p_pos": picked[:, 2],
              "label": [LABELS[k] for k in picked.argmax(axis=1)] if len(to_score) else [],
              "scored_at": [now] * len(to_score)}
    annotations = {"source": batch["source"], "id": batch["id"], "pipeline_version": [version] * len(raw),
                   "lang": langs, "is_empty": [c.is_empty for c in cleaned], "stance": stance,
                   "stance_score": stance_score, "emotion": emotion, "emotion_score": emotion_score,
                   "entities": entities, "frames": frame_ids, "keywords": keywords,
                   "annotated_at": [now] * len(raw)}
    return BatchResult(scores, annotations, len(raw) - len(live) - len(unread), len(unread))


def _top(proba: np.ndarray, classes: Sequence[str]) -> tuple[list[str], list[float]]:
    """Per row: the most probable class and its probability rounded to 4 places (Python's round, as stored before)."""
    names = list(classes)
    return [names[k] for k in proba.argmax(axis=1).tolist()], [round(p, 4) for p in proba.max(axis=1).tolist()]


@dataclass
class TableBatch:
    """A batch's results as Arrow tables, built where the batch ran (so a pool's workers, not the writer, pay
    for the conversion); they cross between processes as Arrow buffers, not as pickled Python lists."""

    scores: pa.Table
    annotations: pa.Table
    empty: int = 0
    unread: int = 0


def _to_ipc(table: pa.Table) -> pa.Buffer:
    """Only the rows of `table` (pickling a slice would ship the whole parent buffers)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def annotate_tables(batch: pa.Buffer, version: str, model: tuple[str, str]) -> TableBatch:
    """annotate_batch on a batch sent as an Arrow IPC stream, with its results as tables."""
    result = annotate_batch(pa.ipc.open_stream(batch).read_all().to_pydict(), version, model)
    return TableBatch(pa.Table.from_pydict(result.scores, schema=SCORES_SCHEMA),
                      pa.Table.from_pydict(result.annotations, schema=ANNOTATIONS_SCHEMA), result.empty, result.unread)


# ---------- the driver (runs in the calling process, the only writer) ----------

def pending(store: Store, model_version: str, version: str) -> pa.Table:
    """Records with no annotation for `version`, and whether each already has a score for `model_version`."""
    if not store.files(RECORDS):
        return pa.table({c: pa.array([], pa.string()) for c in ("source", "id")})
    params: list[str] = []
    score_join = done_join = ""
    if store.files(SCORES):
        score_join = f"LEFT JOIN (SELECT DISTINCT source, id FROM {SCORES} WHERE model_version = ?) s USING (source, id)"
        params.append(model_version)
    if store.files(ANNOTATIONS):
        done_join = f"ANTI JOIN (SELECT source, id FROM {ANNOTATIONS} WHERE pipeline_version = ?) a USING (source, id)"
        params.append(version)
    has_score = "s.id IS NOT NULL" if score_join else "false"
    with store.connect(only=(RECORDS, SCORES, ANNOTATIONS)) as con:
        return con.sql(
            f"""SELECT r.source, r.id, r.text, r.title, r.lang, r.trackers, {has_score} AS has_score
                FROM {RECORDS} r {score_join} {done_join} ORDER BY r.source, r.id""",
            params=params,
        ).to_arrow_table()


def _write(store: Store, result: BatchResult | TableBatch) -> tuple[int, int]:
    if isinstance(result, TableBatch):
        scores, annotations = result.scores, result.annotations
    else:
        scores = pa.Table.from_pydict(result.scores, schema=SCORES_SCHEMA)
        annotations = pa.Table.from_pydict(result.annotations, schema=ANNOTATIONS_SCHEMA)
    store.add_table(SCORES, scores, SCORES_SPEC)
    store.add_table(ANNOTATIONS, annotations, ANNOTATIONS_SPEC)
    return scores.num_rows, annotations.num_rows


def _in_order(executor: Executor | None, fn: Callable[..., Any], batches: Iterator[Any],
              window: int, *args: Any) -> Iterator[Any]:
    """Results of fn(batch, *args) in batch order, at most `window` batches in flight; inline without executor."""
    if executor is None:
        for batch in batches:
            yield fn(batch, *args)
        return
    queue: deque[Future[Any]] = deque()
    try:
        for batch in batches:
            queue.append(executor.submit(fn, batch, *args))
            if len(queue) >= window:
                yield queue.popleft().result()
        while queue:
            yield queue.popleft().result()
    finally:
        for future in queue:
            future.cancel()


@dataclass
class _Executor:
    executor: Executor | None
    close: Callable[[], None] = field(default=lambda: None)


def make_executor(workers: int, use_dask: bool = False, model: tuple[str, str] | None = None) -> _Executor:
    """A process pool with `workers` warmed-up workers (inline for 1), or a Dask client's executor; `model` is the
    scoring model the run uses (default: the default model's)."""
    if use_dask:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise RuntimeError("--dask needs the `scale` extra: pip install 'actorwatch[scale]'") from None
        import dask

        address = dask.config.get("scheduler-address", None)
        client = Client(address) if address else Client(LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None))
        client.run(warm_up, model)

        def close_client() -> None:
            cluster = client.cluster
            client.close()
            if cluster is not None:
                cluster.close()

        return _Executor(client.get_executor(), close_client)
    warm_up(model)  # before forking, so workers share it
    if workers <= 1:
        return _Executor(None)
    context = _fork_context()
    forked = (context or multiprocessing.get_context()).get_start_method() == "fork"
    # Keep the collector's passes off the loaded models' pages, so they stay shared, not copied per worker.
    gc.freeze()
    limits = _one_thread_each() if forked else None  # forked workers inherit one thread each; the parent gets back its own
    try:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_prepare_worker,
                                   initargs=(forked, model))
        for future in [pool.submit(time.sleep, 0) for _ in range(workers)]:
            future.result()  # start every worker now, before any progress-bar thread exists
    finally:
        if limits is not None:
            limits.restore_original_limits()
        gc.unfreeze()
    return _Executor(pool, lambda: pool.shutdown(wait=True, cancel_futures=True))


def _fork_context() -> multiprocessing.context.BaseContext | None:
    """Fork where it is Linux's way (not its default from Python 3.14, when forkserver's workers would each load every
    model again); the platform's default elsewhere (macOS and Windows spawn: each worker loads its own)."""
    return multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None


def enrich_store(store: Store, batch_size: int = DEFAULT_BATCH_SIZE, progress: bool = False,
                 workers: int | None = None, executor: Executor | None = None, use_dask: bool = False,
                 on_batch: Callable[[int], None] | None = None, model_name: str | None = None,
                 on_wait: Callable[[str], None] | None = None) -> EnrichSummary:
    """Enrich every record not yet annotated by the current pipeline version; safe to interrupt and re-run.

    `workers` defaults to the CPU count (1 runs inline); pass `executor` to use your own. `on_batch(k)`
    is called after the k-th batch is written (progress hooks, tests). `model_name` picks a sentiment
    model other than the default (e.g. the slower e5 scorer); its scores are kept beside the default's.
    Runs of one pipeline version on one store take turns (each would otherwise do every pending record again);
    `on_wait(message)` says so when this one has to wait.
    """
    if batch_size < 1:
        raise ValueError("batch size must be at least 1")
    started = time.perf_counter()
    model = scoring_model(model_name)
    version = pipeline_version(model[1])
    with run_lock(store, version, on_wait):
        return _enrich(store, model, version, batch_size, progress, workers, executor, use_dask, on_batch, started)


@contextmanager
def run_lock(store: Store, version: str, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Runs writing one version's scores or annotations into one store take turns: each lists what is not done
    yet, and two at once would each do all of it (every row stored twice, twice the work claimed)."""
    waiting = f"another `actorwatch enrich` is running on {store.data_dir}: waiting for it to finish (then only " \
              "what it left is done)"
    name = hashlib.sha256(version.encode()).hexdigest()[:16]  # a version may hold characters a file name cannot
    with file_lock(store.data_dir / "state" / f"enrich-{name}.lock",
                   on_wait=None if on_wait is None else lambda: on_wait(waiting)):
        yield


def _enrich(store: Store, model: tuple[str, str], version: str, batch_size: int, progress: bool,
            workers: int | None, executor: Executor | None, use_dask: bool,
            on_batch: Callable[[int], None] | None, started: float) -> EnrichSummary:
    todo = pending(store, model[1], version)
    workers = max(1, workers or os.cpu_count() or 1)
    own = None
    if executor is None and todo.num_rows:
        own = make_executor(workers if todo.num_rows > batch_size else 1, use_dask, model)
        executor = own.executor
    columns = ["source", "id", "text", "title", "lang", "trackers", "has_score"]
    batches = (_to_ipc(todo.slice(start, batch_size).select(columns)) for start in range(0, todo.num_rows, batch_size))
    scored = annotated = empty = unread = done = 0

    def summary() -> EnrichSummary:
        return EnrichSummary(scored, model[1], annotated, empty, done, version, todo.num_rows - annotated,
                             time.perf_counter() - started, unread)

    bar = _progress(progress, todo.num_rows)
    try:
        with bar:
            task = bar.add_task("enrich", total=todo.num_rows)
            # a deep window: a slow batch (long posts) at the head must not leave the other workers idle behind it
            for result in _in_order(executor, annotate_tables, batches, 4 * workers, version, model):
                n_scores, n_annotations = _write(store, result)
                scored, annotated, done = scored + n_scores, annotated + n_annotations, done + 1
                empty, unread = empty + result.empty, unread + result.unread
                bar.advance(task, n_annotations)
                if on_batch:
                    on_batch(done)
    except KeyboardInterrupt:
        if own:
            own.close()
            own = None
        raise EnrichInterrupted(summary()) from None
    finally:
        if own:
            own.close()
    drop_unread_scores(store)
    return summary()


def drop_unread_scores(store: Store) -> int:
    """Remove the scores of records whose newest annotation gives a language the models do not read: enrichment
    before it told them apart scored them, and the store keeps a score until its model's version changes, so they
    counted in the shares as opinion. Returns how many records lost a score."""
    from analysis.nlp.sentiment import unread_where

    if not store.files(SCORES) or not store.files(ANNOTATIONS) or not _may_hold_unread_scores(store):
        return 0
    with store.connect(only=(SCORES, ANNOTATIONS)) as con:
        scan = annotations_scan(con)
        rows = con.execute(f"SELECT DISTINCT source, id FROM {scan} a SEMI JOIN {SCORES} s USING (source, id) "
                           f"WHERE {unread_where('a')}").fetchall()
    keys = pa.table({"source": [r[0] for r in rows], "id": [r[1] for r in rows]}, schema=pa.schema(
        [("source", pa.string()), ("id", pa.string())]))
    if keys.num_rows:
        store.compact(SCORES, drop=keys)
    return keys.num_rows


def _may_hold_unread_scores(store: Store) -> bool:
    """Whether a scored record has any annotation (its newest or an older one) marking it not read: a scan of a few
    columns of the files as stored, where deduplicating every annotation to find each record's newest cost 4-10 s per
    run on a 1M-record store. False means drop_unread_scores has nothing to drop, as its whole query would find."""
    from analysis.nlp.sentiment import unread_where

    annotations = store.parquet_scan(ANNOTATIONS)
    with duckdb.connect(":memory:") as con:
        # annotations written before is_empty existed read it as absent (false), as unread_scan does
        has_empty = "is_empty" in {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {annotations}").fetchall()}
        return bool(con.execute(
            f"SELECT EXISTS (SELECT 1 FROM {annotations} a SEMI JOIN (SELECT source, id FROM "
            f"{store.parquet_scan(SCORES)}) s USING (source, id) WHERE {unread_where('a', has_empty)})").fetchone()[0])


def _progress(enabled: bool, total: int) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)  # stdout carries the summary line (cron logs, pipes): the bar never goes there
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=console, disable=not enabled or total == 0 or not console.is_terminal, transient=False)
