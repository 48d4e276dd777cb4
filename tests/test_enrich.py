"""The enrichment pipeline: what it writes, that it never rewrites records, and interrupt/resume."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from analysis.core.annotations import ANNOTATIONS
from analysis.core.scores import SCORES
from analysis.nlp import rescore as rescore_module
from analysis.nlp.enrich import EnrichInterrupted, enrich_store, pipeline_version, scoring_model
from collectors.store import RECORDS, Store
from tests.nlp_fixtures import install_fake_sentiment, write_records

TEXTS = [
    "爱奇艺的AI艺人库太恶心了，坚决抵制[怒]",  # zh, negative, entities, frame
    "本工作室从未签署任何AI授权，相关信息不实",  # deny-involvement
    "The AI artist library from iQIYI is impressive, excited to see more",  # en, positive
    "https://t.cn/abc",  # empty after cleaning
    "😀😀😀",  # emoji only: not empty
    "演员是非遗？" + "真人演员" * 25_000,  # 100k characters
    "Привет 爱奇艺 こんにちは likeness rights 안녕",  # mixed scripts, mostly kana: Japanese, not read
]


@pytest.fixture
def store(data_dir, make_record, monkeypatch) -> Store:
    install_fake_sentiment(monkeypatch)
    s = Store(data_dir)
    write_records(s, make_record, TEXTS, trackers=["iqiyi-nadou"])
    return s


def _rows(store: Store, dataset: str) -> list[dict]:
    """Every stored row, read from the files (not the deduplicated view)."""
    return [row for path in store.files(dataset) for row in pq.read_table(path).to_pylist()]


def _digest(store: Store, dataset: str) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in store.files(dataset)}


def test_writes_scores_and_annotations_for_known_inputs(store: Store) -> None:
    summary = enrich_store(store, workers=1)
    assert (summary.annotated, summary.scored, summary.empty, summary.remaining, summary.unread) == (7, 5, 1, 0, 1)
    assert "annotated 7" in summary.line()
    got = {r["id"]: r for r in _rows(store, ANNOTATIONS)}
    first, denial, english, url, emoji, long, mixed = (got[f"r{i:05d}"] for i in range(7))
    assert first["stance"] == "oppose" and first["entities"] == ["iqiyi", "ai-artist-library"]
    assert "digital-human" in first["frames"] and first["lang"] == "zh" and first["keywords"]
    assert denial["stance"] == "deny-involvement" and "consent" in denial["frames"]
    # the record says zh, its characters English: read (and routed) as English
    assert english["stance"] == "support" and english["lang"] == "en"
    assert set(english["entities"]) == {"ai-artist-library", "iqiyi"}
    assert url["is_empty"] and url["stance"] is None and url["entities"] == [] and url["keywords"] == []
    assert not emoji["is_empty"] and emoji["stance"] in {"neutral", "support", "oppose"}
    assert long["frames"][:2] == ["heritage", "authenticity"] and len(long["keywords"]) <= 5
    assert mixed["entities"] == ["iqiyi"] and mixed["frames"] == ["likeness"]
    assert mixed["lang"] == "ja" and mixed["stance"] is None and not mixed["is_empty"]
    scores = {r["id"]: r for r in _rows(store, SCORES)}
    assert set(scores) == set(got) - {"r00003", "r00006"}  # nothing scored for an empty text, nor a Japanese one
    assert scores["r00000"]["label"] == "negative" and scores["r00002"]["label"] == "positive"
    model, version = scoring_model()
    assert all(r["model"] == model and r["model_version"] == version for r in scores.values())
    assert all(r["pipeline_version"] == pipeline_version(version) for r in got.values())


def test_rerun_does_nothing_and_never_rewrites_records(store: Store) -> None:
    before = _digest(store, RECORDS)
    enrich_store(store, workers=1)
    files = {d: _digest(store, d) for d in (SCORES, ANNOTATIONS)}
    again = enrich_store(store, workers=1)
    assert (again.annotated, again.scored, again.batches) == (0, 0, 0)
    assert _digest(store, RECORDS) == before
    assert {d: _digest(store, d) for d in (SCORES, ANNOTATIONS)} == files


def test_new_model_version_rescores_apart_from_records(store: Store, monkeypatch) -> None:
    before = _digest(store, RECORDS)
    enrich_store(store, workers=1)
    install_fake_sentiment(monkeypatch, version="fake-2")
    summary = enrich_store(store, workers=1)
    assert (summary.annotated, summary.scored) == (7, 5)
    assert _digest(store, RECORDS) == before
    versions = [r["model_version"] for r in _rows(store, SCORES)]
    assert len(versions) == 10 and len(set(versions)) == 2


def _keys(rows: list[dict], version_key: str) -> list[tuple]:
    return [(r["source"], r["id"], r[version_key]) for r in rows]


def _content(store: Store) -> list[tuple]:
    return sorted((r["id"], r["stance"], tuple(r["entities"]), tuple(r["frames"]), tuple(r["keywords"]))
                  for r in _rows(store, ANNOTATIONS))


@pytest.fixture
def many(data_dir, make_record, monkeypatch) -> Store:
    install_fake_sentiment(monkeypatch)
    s = Store(data_dir)
    texts = [f"{t} 第{i}条" for i in range(60) for t in TEXTS[:3]]  # 180 records
    write_records(s, make_record, texts, trackers=["iqiyi-nadou"], per_day=40)
    return s


def test_interrupted_between_batches_resumes_without_loss_or_duplicates(many: Store) -> None:
    def stop_after(k: int):
        def hook(done: int) -> None:
            if done == k:
                raise KeyboardInterrupt
        return hook

    with pytest.raises(EnrichInterrupted) as stopped:
        enrich_store(many, batch_size=25, workers=1, on_batch=stop_after(3))
    assert stopped.value.summary.annotated == 75 and stopped.value.summary.remaining == 105
    assert len(_rows(many, ANNOTATIONS)) == 75
    rest = enrich_store(many, batch_size=25, workers=1)
    assert rest.annotated == 105
    annotations, scores = _rows(many, ANNOTATIONS), _rows(many, SCORES)
    assert len(annotations) == 180 and len(set(_keys(annotations, "pipeline_version"))) == 180
    assert len(scores) == 180 and len(set(_keys(scores, "model_version"))) == 180


def test_interrupted_between_the_two_writes_of_a_batch_scores_nothing_twice(many: Store, monkeypatch) -> None:
    real = Store.add_table
    calls = {"annotations": 0}

    def flaky(self, dataset, table, spec=None):
        if dataset == ANNOTATIONS:
            calls["annotations"] += 1
            if calls["annotations"] == 2:  # killed after batch 2's scores, before its annotations
                raise KeyboardInterrupt
        return real(self, dataset, table, spec)

    monkeypatch.setattr(Store, "add_table", flaky)
    with pytest.raises(EnrichInterrupted):
        enrich_store(many, batch_size=50, workers=1)
    monkeypatch.setattr(Store, "add_table", real)
    assert len(_rows(many, SCORES)) == 100 and len(_rows(many, ANNOTATIONS)) == 50
    enrich_store(many, batch_size=50, workers=1)
    scores = _rows(many, SCORES)
    assert len(scores) == 180 and len(set(_keys(scores, "model_version"))) == 180
    assert len(_rows(many, ANNOTATIONS)) == 180


def test_a_crash_inside_a_worker_keeps_finished_batches(many: Store, monkeypatch) -> None:
    from analysis.nlp import enrich

    real = enrich.annotate_batch
    seen = {"n": 0}

    def breaks_on_third(batch, version, model):
        if version == "warm-up":
            return real(batch, version, model)
        seen["n"] += 1
        if seen["n"] == 3:
            raise RuntimeError("worker died")
        return real(batch, version, model)

    monkeypatch.setattr(enrich, "annotate_batch", breaks_on_third)
    with pytest.raises(RuntimeError, match="worker died"):
        enrich_store(many, batch_size=40, workers=1)
    assert len(_rows(many, ANNOTATIONS)) == 80
    monkeypatch.setattr(enrich, "annotate_batch", real)
    assert enrich_store(many, batch_size=40, workers=1).annotated == 100
    assert len(set(_keys(_rows(many, ANNOTATIONS), "pipeline_version"))) == 180


def test_process_pool_gives_the_same_annotations_as_inline(many: Store, data_dir, make_record, tmp_path) -> None:
    enrich_store(many, batch_size=30, workers=2)
    other = Store(tmp_path / "inline")
    texts = [f"{t} 第{i}条" for i in range(60) for t in TEXTS[:3]]
    write_records(other, make_record, texts, trackers=["iqiyi-nadou"], per_day=40)
    enrich_store(other, batch_size=30, workers=1)
    assert _content(many) == _content(other) and len(_content(many)) == 180


def test_any_executor_can_run_the_batches(many: Store) -> None:
    with ThreadPoolExecutor(2) as pool:
        summary = enrich_store(many, batch_size=50, executor=pool)
    assert summary.annotated == 180 and summary.batches == 4


def test_dask_executor(many: Store) -> None:
    pytest.importorskip("distributed", reason="the `scale` extra (dask[distributed]) is not installed")
    from distributed import Client

    with Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as client:
        summary = enrich_store(many, batch_size=60, executor=client.get_executor())
    assert summary.annotated == 180


def test_empty_store_and_bad_batch_size(data_dir, monkeypatch) -> None:
    install_fake_sentiment(monkeypatch)
    assert enrich_store(Store(data_dir), workers=1).annotated == 0
    with pytest.raises(ValueError, match="batch size"):
        enrich_store(Store(data_dir), batch_size=0)


def test_cli_enrich(store: Store) -> None:
    from dashboard.cli import cli

    result = CliRunner().invoke(cli, ["enrich", "--workers", "1", "--quiet", "--batch-size", "3"])
    assert result.exit_code == 0, result.output
    assert "annotated 7" in result.output and "3 batches" in result.output
    bad = CliRunner().invoke(cli, ["enrich", "--batch-size", "0"])
    assert bad.exit_code == 2 and "batch-size" in bad.output



def test_cli_enrich_keeps_its_progress_bar_off_stdout(store: Store) -> None:
    """Without --quiet, the rich progress bar was drawn on stdout, so `actorwatch enrich > log` (cron) and
    `actorwatch demo` left a bar line among the results; progress goes to stderr, as every other command's."""
    from dashboard.cli import cli

    result = CliRunner().invoke(cli, ["enrich", "--workers", "1", "--batch-size", "3"])
    assert result.exit_code == 0, result.output
    assert "annotated 7" in result.stdout and "━" not in result.stdout and "enrich" not in result.stdout.split("scored")[0]


KILL_SCRIPT = """
import sys, time
from pathlib import Path
import pytest
from tests.nlp_fixtures import install_fake_sentiment
from analysis.nlp.enrich import enrich_store
from collectors.store import Store

mp = pytest.MonkeyPatch()
install_fake_sentiment(mp)
marker = Path(sys.argv[2])

def slow(done):
    marker.write_text(str(done))
    time.sleep(60 if done >= 2 else 0.3)  # wait to be killed: a loaded machine must not let the run finish first

enrich_store(Store(sys.argv[1]), batch_size=20, workers=1, on_batch=slow)
"""


def test_killed_process_resumes_without_loss_or_duplicates(many: Store, tmp_path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    marker = tmp_path / "batches"
    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(many.data_dir), str(marker)], cwd=repo,
                            env={**os.environ, "PYTHONPATH": str(repo)})
    deadline = time.monotonic() + 300  # a loaded machine may take a minute just to import the pipeline
    while time.monotonic() < deadline and not (marker.exists() and int(marker.read_text() or 0) >= 2):
        assert proc.poll() is None, "the enrichment process ended before it could be killed"
        time.sleep(0.05)
    assert int(marker.read_text() or 0) >= 2, "the enrichment process wrote fewer than two batches in 300 s"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    written = len(_rows(many, ANNOTATIONS))
    assert 40 <= written < 180 and written % 20 == 0  # whole batches only
    rest = enrich_store(many, batch_size=20, workers=1)
    assert rest.annotated == 180 - written
    annotations, scores = _rows(many, ANNOTATIONS), _rows(many, SCORES)
    assert len(annotations) == 180 and len(set(_keys(annotations, "pipeline_version"))) == 180
    assert len(scores) == 180 and len(set(_keys(scores, "model_version"))) == 180


def test_two_enrich_runs_at_once_do_each_record_once(many: Store) -> None:
    """Two `enrich` runs started together (a cron run while one started by hand is still going) each took every
    pending record: both scored them, the store held those scores and annotations twice below the views, and the
    two summaries claimed twice the work. The second run now says it waits for the first, then finds nothing left."""
    import threading

    first_batch, second_waits = threading.Event(), threading.Event()

    def hold_after_first(done: int) -> None:
        if done == 1:
            first_batch.set()
            second_waits.wait(timeout=5)  # without a lock the second run never waits: carry on after 5 s

    results: dict[str, object] = {}
    first = threading.Thread(target=lambda: results.setdefault("first", enrich_store(
        many, batch_size=60, workers=1, on_batch=hold_after_first)))
    first.start()
    assert first_batch.wait(timeout=30)
    waits: list[str] = []
    second = enrich_store(many, batch_size=60, workers=1,
                          on_wait=lambda message: (waits.append(message), second_waits.set()))
    first.join(timeout=30)
    assert results["first"].annotated == 180
    assert (second.annotated, second.scored) == (0, 0)
    assert len(waits) == 1 and "another `actorwatch enrich`" in waits[0]
    assert len(_rows(many, ANNOTATIONS)) == 180 and len(_rows(many, SCORES)) == 180  # nothing stored twice


POOL_SCRIPT = """
import time
import analysis.nlp.enrich as enrich

enrich.warm_up = lambda *args: None  # the models are beside the point: only the pool's processes
pool = enrich.make_executor(2).executor
print(" ".join(str(pid) for pid in pool._processes), flush=True)
time.sleep(120)
"""


def test_workers_of_a_killed_run_end_with_it() -> None:
    """`enrich --workers N` killed (SIGKILL, the OOM killer) left its N worker processes running for ever, each
    holding the loaded models; they now notice their parent is gone and exit."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    parent = subprocess.Popen([sys.executable, "-c", POOL_SCRIPT], cwd=repo, env={**os.environ, "PYTHONPATH": str(repo)},
                              stdout=subprocess.PIPE, text=True)
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(workers) == 2
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=30)
    deadline = time.monotonic() + 10
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [pid for pid in workers if _running(pid)]
    for pid in alive:  # clean up after a failure
        os.kill(pid, signal.SIGKILL)
    assert not alive, "the killed run's workers are still running"


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited orphan waits for init to reap it)."""
    from pathlib import Path

    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_stance_counts_by_period_after_enrichment(store: Store) -> None:
    from datetime import date

    from analysis.core.filters import Filters
    from analysis.stats.annotation_series import stance_counts_by_period

    f = Filters("iqiyi-nadou", date(2026, 4, 19), date(2026, 4, 21))
    with store.connect() as con:
        assert stance_counts_by_period(con, f).empty  # not enriched yet
    enrich_store(store, workers=1)
    with store.connect() as con:
        frame = stance_counts_by_period(con, f)
    assert len(frame) == 3 * 5  # days × stances, zero-filled
    day = frame[frame["period"].astype(str) == "2026-04-20"].set_index("stance")
    assert day["n"].iloc[0] == 5  # the empty record has no stance, nor the one in a language the models do not read
    assert day.loc["deny-involvement", "records"] == 1 and day["records"].sum() == 5
    assert abs(day["share"].sum() - 1.0) < 1e-9 and frame[frame["n"] == 0]["share"].isna().all()


def test_with_the_shipped_sentiment_model(data_dir, make_record) -> None:
    from analysis.nlp.sentiment import get_scorer

    store = Store(data_dir)
    write_records(store, make_record, TEXTS, trackers=["iqiyi-nadou"])
    summary = enrich_store(store, workers=1)
    assert (summary.annotated, summary.scored) == (7, 5)
    scores = _rows(store, SCORES)
    assert {r["model"] for r in scores} == {get_scorer().name}
    assert all(abs(r["p_neg"] + r["p_neu"] + r["p_pos"] - 1) < 1e-4 for r in scores)
    assert {r["label"] for r in scores if r["id"] == "r00000"} == {"negative"}


def test_cli_reports_an_interrupted_run(store: Store, monkeypatch) -> None:
    from analysis.nlp import enrich
    from dashboard.cli import cli

    def stopped(*args, **kwargs):
        raise EnrichInterrupted(enrich.EnrichSummary(5, "v", annotated=5, batches=1, pipeline_version="p", remaining=2))

    monkeypatch.setattr(enrich, "enrich_store", stopped)
    result = CliRunner().invoke(cli, ["enrich", "--quiet"])
    assert result.exit_code != 0
    assert "interrupted: scored 5" in result.output and "2 left — run again to resume" in result.output


def test_enrich_help_names_every_annotation_it_writes():
    """`actorwatch enrich --help` listed stance, entities, frames and keywords but not emotion (nor language), which
    it also annotates; the README's one-line description and the help now agree."""
    from click.testing import CliRunner

    from dashboard.cli import cli

    text = " ".join(CliRunner().invoke(cli, ["enrich", "--help"]).output.split())
    assert "stance, emotion" in text and "language" in text


WARMED_SCRIPT = """
import json
import sys

from analysis.nlp import entities
from analysis.nlp.enrich import annotate_batch, pipeline_version, scoring_model, warm_up
from collectors.demo import generate
from collectors.trackers import load_trackers

table = generate(load_trackers(), records=300, seed=3)
model = scoring_model()
version = pipeline_version(model[1])
warm_up(model)
loaded, misses = set(sys.modules), entities.two_char_words.cache_info().misses
batch = {"source": ["demo"] * 300, "id": [str(i) for i in range(300)], "text": table["text"].to_pylist(),
         "title": table["title"].to_pylist(), "lang": table["lang"].to_pylist(),
         "trackers": table["trackers"].to_pylist(), "has_score": [False] * 300}
annotate_batch(batch, version, model)
print(json.dumps({"imported": sorted(set(sys.modules) - loaded),
                  "dictionary_reads": entities.two_char_words.cache_info().misses - misses}))
"""


def test_warm_up_loads_what_a_real_batch_needs() -> None:
    """A pool's workers are forked after `warm_up`, so whatever the first real batch still had to import or load
    (the English models' scikit-learn vectorizers, jieba's two-character words) each worker did again for itself:
    about 2 CPU-seconds per worker on every `enrich --workers N`. After `warm_up`, a batch of demo posts (Chinese
    and English) imports no module and reads no dictionary."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", WARMED_SCRIPT], cwd=repo, env={**os.environ, "PYTHONPATH": str(repo)},
                         capture_output=True, text=True, timeout=300, check=True)
    after = json.loads(out.stdout.strip().splitlines()[-1])
    assert after == {"imported": [], "dictionary_reads": 0}


def _scorer_mark() -> object:
    from analysis.nlp.sentiment import get_scorer

    return getattr(get_scorer(), "test_mark", None)


def test_workers_use_the_models_loaded_before_the_pool_started(monkeypatch) -> None:
    """Workers start after `warm_up` so they share the parent's loaded models rather than each loading its own (CPU
    seconds and the memory, per worker). That held only while fork was the default start method: Python 3.14 makes
    forkserver the default on Linux (emulated here), and every worker would have loaded the models again."""
    import multiprocessing

    from analysis.nlp import enrich
    from analysis.nlp.sentiment import get_scorer

    monkeypatch.setattr(get_scorer(), "test_mark", "loaded by the parent", raising=False)
    default = multiprocessing.get_start_method(allow_none=True)
    multiprocessing.set_start_method("forkserver", force=True)
    try:
        pool = enrich.make_executor(2)
        try:
            marks = [future.result() for future in [pool.executor.submit(_scorer_mark) for _ in range(4)]]
        finally:
            pool.close()
    finally:
        multiprocessing.set_start_method(default, force=True)
    assert marks == ["loaded by the parent"] * 4


def test_text_in_a_language_the_models_do_not_read_is_kept_and_marked_not_scored(data_dir, make_record,
                                                                                  monkeypatch) -> None:
    """Korean, Japanese, Russian or Thai posts went to the Chinese model and counted in the shares as its guess."""
    install_fake_sentiment(monkeypatch)
    store = Store(data_dir)
    texts = ["爱奇艺的AI艺人库太恶心了，坚决抵制", "AI 배우 정말 무섭다 iQIYI", "iQIYIのAI俳優はすごいと思う",
             "ИИ-актёры iQIYI — это ужасно", "นักแสดง AI ของ iQIYI น่ากลัวมาก", "The AI artist library is impressive"]
    write_records(store, make_record, texts, trackers=["iqiyi-nadou"], lang=None)
    store.add_records([make_record(id="fr", text="La bibliothèque d'artistes IA d'iQIYI est une honte",
                                   lang="fr", trackers=["iqiyi-nadou"])])  # declared by its source
    summary = enrich_store(store, workers=1)
    assert (summary.annotated, summary.scored, summary.empty, summary.unread) == (7, 2, 0, 5)
    assert "5 in languages the models do not read, not scored" in summary.line()
    got = {r["id"]: r for r in _rows(store, ANNOTATIONS)}
    assert [got[f"r{i:05d}"]["lang"] for i in range(6)] == ["zh", "ko", "ja", "und", "th", "en"]
    assert got["fr"]["lang"] == "fr"
    for key in ("r00001", "r00002", "r00003", "r00004", "fr"):
        row = got[key]  # kept, with its entities, but no stance or emotion (never a "neutral" it was not given)
        assert not row["is_empty"] and row["stance"] is None and row["emotion"] is None
        assert row["entities"] == ["iqiyi"], row
    assert {r["id"] for r in _rows(store, SCORES)} == {"r00000", "r00005"}
    from analysis.nlp import sentiment

    install_fake_sentiment(monkeypatch, version="fake-2")  # `enrich --model NAME` skips them as enrichment does
    for name in ("get_scorer", "score_texts"):  # rescore holds its own references (imported before the fake)
        monkeypatch.setattr(rescore_module, name, getattr(sentiment, name))
    assert rescore_module.rescore(store, "another").scored == 2


def _worker_state() -> tuple[int, list[int]]:
    import os

    from threadpoolctl import threadpool_info

    return os.getpid(), sorted({lib["num_threads"] for lib in threadpool_info()})


def test_forked_workers_start_with_the_parents_models_and_do_no_start_up_work(monkeypatch, tmp_path) -> None:
    """The pool forks after the parent's `warm_up`, so a worker's own `warm_up` (a warm-up batch of its own, every
    page it touches copied) and its own scan of the native thread pools only cost CPU per worker on every
    `enrich --workers N`: the workers now inherit both. `warm_up` warms the model the run scores with, and each
    worker runs its native thread pools with one thread, the parent's own settings untouched."""
    import os

    from threadpoolctl import threadpool_info

    from analysis.nlp import enrich

    calls = tmp_path / "warm_up"
    monkeypatch.setattr(enrich, "warm_up", lambda model=None: calls.open("a").write(f"{os.getpid()} {model}\n"))
    before = [lib["num_threads"] for lib in threadpool_info()]
    pool = enrich.make_executor(2, model=("fake", "fake-1"))
    try:
        states = [future.result() for future in [pool.executor.submit(_worker_state) for _ in range(6)]]
    finally:
        pool.close()
    assert calls.read_text().splitlines() == [f"{os.getpid()} ('fake', 'fake-1')"]  # the parent's only
    assert all(threads == [1] for _, threads in states) and len({pid for pid, _ in states} - {os.getpid()}) >= 1
    assert [lib["num_threads"] for lib in threadpool_info()] == before


def test_a_run_warms_the_model_it_scores_with(many: Store, monkeypatch) -> None:
    """`enrich --model NAME --workers N` warmed only the default model before forking, so each worker loaded the
    named model again for itself on its first batch."""
    from analysis.nlp import enrich

    seen = []

    def fake_executor(workers, use_dask=False, model=None):
        seen.append(model)
        return enrich._Executor(None)

    monkeypatch.setattr(enrich, "make_executor", fake_executor)
    enrich_store(many, batch_size=60, workers=2)
    assert seen == [scoring_model()]


def _everything(store: Store) -> tuple[list[tuple], list[tuple]]:
    """Every stored annotation and score, all columns but the times they were made."""

    def rows(dataset: str, skip: str) -> list[tuple]:
        return sorted(tuple((k, repr(v)) for k, v in sorted(r.items()) if k != skip) for r in _rows(store, dataset))

    return rows(ANNOTATIONS, "annotated_at"), rows(SCORES, "scored_at")


def test_two_workers_store_exactly_what_one_does_with_the_shipped_models(tmp_path) -> None:
    """Demo posts (Chinese and English, short and long) through the shipped models: every annotation and score
    column from a 2-worker pool equals the inline run's, batch boundaries and per-worker memos notwithstanding."""
    from collectors.demo import generate
    from collectors.trackers import load_trackers

    table = generate(load_trackers(), records=400, seed=11)
    stores = []
    for workers in (1, 2):
        store = Store(tmp_path / f"w{workers}")
        store.add_table(RECORDS, table)
        summary = enrich_store(store, batch_size=70, workers=workers)
        assert summary.annotated == 400 and summary.batches == 6
        stores.append(_everything(store))
    annotations, scores = stores[0]
    assert len(annotations) == 400 and len(scores) > 300
    assert {dict(r)["lang"] for r in annotations} >= {"'zh'", "'en'"}
    assert stores[1] == stores[0]
