"""Records in languages the models do not read are kept and shown, never scored, and every share says how many it
leaves out: the dashboard's chart notes, an export's manifest and the weekly brief."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from analysis.core.filters import Filters
from analysis.nlp.enrich import enrich_store
from analysis.stats.annotation_series import unread_languages
from collectors.store import Store
from collectors.trackers import get_tracker
from tests.nlp_fixtures import install_fake_sentiment, write_records

TRACKER = "iqiyi-nadou"
TEXTS = ["爱奇艺的AI艺人库太恶心了，坚决抵制", "The AI artist library is impressive", "AI 배우 정말 무섭다",
         "iQIYIのAI俳優はすごいと思う", "AI 배우가 싫어요, 진짜 사람 같아"]
SAID = "3 records in languages the models do not read (ko 2, ja 1) not scored, left out of the shares"


@pytest.fixture
def store(data_dir, make_record, monkeypatch) -> Store:
    install_fake_sentiment(monkeypatch)
    s = Store(data_dir)
    write_records(s, make_record, TEXTS, start=datetime(2026, 4, 20, 8, tzinfo=UTC), trackers=[TRACKER], lang=None)
    enrich_store(s, workers=1)
    return s


VIEW = Filters(TRACKER, date(2026, 4, 20), date(2026, 4, 26))


def test_the_charts_of_a_model_s_shares_say_how_many_records_they_leave_out(store: Store) -> None:
    from dashboard.charts import registry
    from dashboard.charts.registry import View

    with store.connect() as con:
        assert unread_languages(con, VIEW) == {"ko": 2, "ja": 1}
        assert unread_languages(con, Filters(TRACKER, date(2026, 4, 21), date(2026, 4, 26))) == {}
        for name in ("overview-sentiment", "voices-stance"):
            package = registry.build(name, con, View(VIEW), {})
            assert SAID in package.notes, name
        assert "languages the models" not in registry.build("topics-keywords", con, View(VIEW), {}).notes


def test_an_export_s_manifest_and_the_brief_say_so_too(store: Store, tmp_path) -> None:
    from analysis.reports.brief import figure_alts, gather, summary_lines
    from analysis.reports.export import export_bundle

    manifest = export_bundle(store, get_tracker(TRACKER), VIEW, tmp_path / "b").manifest
    assert manifest["figures"]["scored"] == 2 and manifest["counts"]["records"] == 5
    unread = manifest["figures"]["not_scored_languages"]
    assert (unread["records"], unread["by_language"]) == (3, {"ja": 1, "ko": 2})
    data = gather(store, get_tracker(TRACKER), "2026-W17", now=datetime(2026, 4, 27, tzinfo=UTC))
    assert SAID + "." in summary_lines(data)
    assert SAID in figure_alts(data)["sentiment"]


def test_the_labelling_sample_leaves_out_records_the_models_do_not_read(store: Store) -> None:
    """Unscored, they counted as uncertain and were drawn first: labels of Korean posts would have trained and
    measured the Chinese model's adaptation."""
    from analysis.nlp.label_sample import sample_to_label

    with store.connect() as con:
        assert set(sample_to_label(con, TRACKER, 10)["id"]) == {"r00000", "r00001"}


def test_the_overview_s_share_negative_says_how_many_records_it_leaves_out(store: Store) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.test_dashboard_pages import APP

    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["tracker"] = TRACKER
    at.query_params["start"], at.query_params["end"] = "2026-04-20", "2026-04-26"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert SAID in [c.value for c in at.caption]


def test_an_export_marks_each_record_not_read_and_an_import_keeps_the_mark(store: Store, tmp_path,
                                                                             data_dir) -> None:
    from analysis.reports.export import export_bundle, import_bundle, read_bundle

    export_bundle(store, get_tracker(TRACKER), VIEW, tmp_path / "b")
    frame = read_bundle(tmp_path / "b")[1].set_index("text")
    assert frame.loc[TEXTS[2], "read_lang"] == "ko" and frame.loc[TEXTS[3], "read_lang"] == "ja"
    assert frame.loc[TEXTS[0], "read_lang"] == "zh" and frame.loc[TEXTS[0], "sentiment"] == "negative"
    assert frame.loc[TEXTS[2], ["sentiment", "stance", "emotion"]].isna().all()
    other = Store(tmp_path / "other")
    import_bundle(tmp_path / "b", other)
    with other.connect() as con:
        assert unread_languages(con, VIEW) == {"ko": 2, "ja": 1}


def test_a_record_scored_before_enrichment_told_languages_apart_is_not_said_to_be_left_out(store: Store) -> None:
    """Until the next enrichment drops it, a Korean post the Chinese model scored before still counts in that model's
    sentiment shares, so a note must not say it is left out."""
    import pyarrow as pa

    from analysis.core.scores import SCORES, SCORES_SCHEMA, SCORES_SPEC

    with store.connect() as con:
        version = con.execute(f"SELECT any_value(model_version) FROM {SCORES}").fetchone()[0]
    store.add_table(SCORES, pa.Table.from_pylist([{
        "source": "weibo", "id": "r00002", "model": "fake", "model_version": version, "p_neg": 0.2, "p_neu": 0.6,
        "p_pos": 0.2, "label": "neutral", "scored_at": datetime(2026, 4, 21, tzinfo=UTC)}], schema=SCORES_SCHEMA),
        SCORES_SPEC)
    with store.connect() as con:
        assert unread_languages(con, VIEW) == {"ko": 1, "ja": 1}


def test_enrichment_drops_a_score_given_before_it_told_languages_apart(store: Store) -> None:
    """A Korean post scored by an older enrichment kept that score (the model's version unchanged, nothing re-scores
    it) and counted in the sentiment shares; the next enrichment drops it, so the shares and the note agree."""
    import pyarrow as pa

    from analysis.core.scores import SCORES, SCORES_SCHEMA, SCORES_SPEC
    from analysis.stats.timeseries import sentiment_series

    with store.connect() as con:
        version = con.execute(f"SELECT any_value(model_version) FROM {SCORES}").fetchone()[0]
        before = int(sentiment_series(con, VIEW, version)["n"].sum())
    store.add_table(SCORES, pa.Table.from_pylist([{
        "source": "weibo", "id": "r00002", "model": "fake", "model_version": version, "p_neg": 0.2, "p_neu": 0.6,
        "p_pos": 0.2, "label": "neutral", "scored_at": datetime(2026, 4, 21, tzinfo=UTC)}], schema=SCORES_SCHEMA),
        SCORES_SPEC)
    enrich_store(store, workers=1)
    with store.connect() as con:
        assert con.execute(f"SELECT count(*) FROM {SCORES} WHERE id = 'r00002'").fetchone()[0] == 0
        assert int(sentiment_series(con, VIEW, version)["n"].sum()) == before == 2
        assert unread_languages(con, VIEW) == {"ko": 2, "ja": 1}


def _reference_unread_scored(store: Store) -> set[tuple[str, str]]:
    """The records with a score whose newest annotation marks them not read, by the whole deduplicating query."""
    from analysis.core.annotations import annotations_scan
    from analysis.core.scores import SCORES
    from analysis.nlp.sentiment import unread_where

    with store.connect(only=(SCORES, "annotations")) as con:
        return {tuple(r) for r in con.execute(
            f"SELECT DISTINCT source, id FROM {annotations_scan(con)} a SEMI JOIN {SCORES} s USING (source, id) "
            f"WHERE {unread_where('a')}").fetchall()}


def _random_scores_and_annotations(store: Store, seed: int) -> None:
    """Records annotated up to three times (each newest or not, read or not, empty or not) and scored by none, one or
    two model versions: every way a score and an older or newer not-read mark can meet."""
    import random

    import pyarrow as pa

    from analysis.core.annotations import ANNOTATIONS, ANNOTATIONS_SCHEMA, ANNOTATIONS_SPEC
    from analysis.core.scores import SCORES, SCORES_SCHEMA, SCORES_SPEC

    rng = random.Random(seed)
    annotations, scores = [], []
    for k in range(300):
        source, key = rng.choice(["weibo", "bluesky"]), f"x{k:04d}"
        for n in range(rng.randint(1, 3)):
            lang = rng.choice(["zh", "en", "ja", "ko", "und", None])
            read = lang is None or lang in ("zh", "en")
            annotations.append({
                "source": source, "id": key, "pipeline_version": f"p8-v{n}", "lang": lang,
                "is_empty": rng.random() < 0.1, "stance": "neutral" if read or rng.random() < 0.1 else None,
                "annotated_at": datetime(2026, 4, 20 + rng.randint(0, 2), tzinfo=UTC)})
        for version in rng.sample(["m-1", "m-2"], rng.randint(0, 2)):
            scores.append({"source": source, "id": key, "model": "fake", "model_version": version, "p_neg": 0.2,
                           "p_neu": 0.6, "p_pos": 0.2, "label": "neutral", "scored_at": datetime(2026, 4, 21, tzinfo=UTC)})
    for start in range(0, len(annotations), 97):  # many files, as enrichment's batches write them
        store.add_table(ANNOTATIONS, pa.Table.from_pylist(annotations[start:start + 97], schema=ANNOTATIONS_SCHEMA),
                        ANNOTATIONS_SPEC)
    store.add_table(SCORES, pa.Table.from_pylist(scores, schema=SCORES_SCHEMA), SCORES_SPEC)


@pytest.mark.parametrize("seed", range(4))
def test_dropping_stale_scores_drops_exactly_what_the_whole_query_finds(data_dir, seed: int) -> None:
    """The quick look for not-read records with a score changes nothing in which scores go."""
    from analysis.core.scores import SCORES
    from analysis.nlp.enrich import drop_unread_scores

    s = Store(data_dir)
    _random_scores_and_annotations(s, seed)
    expected = _reference_unread_scored(s)
    assert expected  # each seed's store has some to drop
    with s.connect(only=(SCORES,)) as con:
        before = {tuple(r) for r in con.execute(f"SELECT source, id, model_version FROM {SCORES}").fetchall()}
    assert drop_unread_scores(s) == len(expected)
    with s.connect(only=(SCORES,)) as con:
        after = {tuple(r) for r in con.execute(f"SELECT source, id, model_version FROM {SCORES}").fetchall()}
    assert after == {r for r in before if r[:2] not in expected}
    assert _reference_unread_scored(s) == set()
    assert drop_unread_scores(s) == 0


def test_enrichment_does_not_run_the_whole_query_when_no_scored_record_is_marked_not_read(store: Store,
                                                                                          monkeypatch) -> None:
    """The deduplicating query over every annotation cost 4-10 s per run on a 1M-record store; with no score on a
    record any annotation marks not read (the Korean and Japanese posts here have none), nothing can be stale."""
    from analysis.nlp import enrich

    def whole_scan(*args, **kwargs):
        raise AssertionError("the whole annotations table was deduplicated with nothing to drop")

    monkeypatch.setattr(enrich, "annotations_scan", whole_scan)
    assert enrich.drop_unread_scores(store) == 0
    enrich_store(store, workers=1)


def test_enrich_with_another_model_leaves_no_score_on_a_record_marked_not_read(store: Store, monkeypatch) -> None:
    """`actorwatch enrich --model NAME` (an e5 or adapted model) scores only what the models read, but a score it or
    the default model gave a Korean post before enrichment told languages apart stayed (NAME's never re-scored while
    its version is unchanged), counted in NAME's shares while the annotation says the models do not read it."""
    import pyarrow as pa

    from analysis.core.scores import SCORES, SCORES_SCHEMA, SCORES_SPEC
    from analysis.nlp import rescore as rescore_module
    from analysis.nlp import sentiment

    install_fake_sentiment(monkeypatch, version="fake-2")
    for name in ("get_scorer", "score_texts"):  # rescore holds its own references (imported before the fake)
        monkeypatch.setattr(rescore_module, name, getattr(sentiment, name))
    version = rescore_module.rescore(store, "another").model_version
    store.add_table(SCORES, pa.Table.from_pylist([{
        "source": "weibo", "id": "r00002", "model": "fake", "model_version": v, "p_neg": 0.2, "p_neu": 0.6,
        "p_pos": 0.2, "label": "neutral", "scored_at": datetime(2026, 4, 21, tzinfo=UTC)} for v in (version, "old")],
        schema=SCORES_SCHEMA), SCORES_SPEC)
    assert rescore_module.rescore(store, "another").scored == 0
    with store.connect() as con:
        assert con.execute(f"SELECT count(*) FROM {SCORES} WHERE id = 'r00002'").fetchone()[0] == 0
    assert _reference_unread_scored(store) == set()


class _FakeStance:
    name, version, classes = "fake-stance", "fs-1", ("oppose", "neutral", "support")

    def predict_proba(self, texts):
        import numpy as np

        return np.tile([0.2, 0.6, 0.2], (len(texts), 1))


def test_re_annotating_with_a_stance_model_leaves_no_score_on_a_record_marked_not_read(store: Store,
                                                                                       monkeypatch) -> None:
    """`actorwatch enrich --model STANCE-MODEL` is an enrichment too: it ends as the others do."""
    import pyarrow as pa

    from analysis.core.scores import SCORES, SCORES_SCHEMA, SCORES_SPEC
    from analysis.nlp import charlr
    from analysis.nlp.rescore import reannotate

    monkeypatch.setattr(charlr, "load_task_model", lambda *args, **kwargs: _FakeStance())
    store.add_table(SCORES, pa.Table.from_pylist([{
        "source": "weibo", "id": "r00003", "model": "fake", "model_version": "old", "p_neg": 0.2, "p_neu": 0.6,
        "p_pos": 0.2, "label": "neutral", "scored_at": datetime(2026, 4, 21, tzinfo=UTC)}], schema=SCORES_SCHEMA),
        SCORES_SPEC)
    assert reannotate(store, "fake-stance", "stance").scored == 2  # the Chinese and English posts
    assert _reference_unread_scored(store) == set()
