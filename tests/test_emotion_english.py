"""The English emotion model and the emotion model's English route: routing, the route in the saved model and its
version, old model files, the e5 blend, enrichment's version, adapting a routed model and training on a tiny
corpus."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from analysis.nlp import charlr_training
from analysis.nlp.charlr import CharLRModel, load_task_model
from analysis.nlp.sentiment.english import EnglishScorer
from analysis.nlp.sentiment.english_training import fit_english
from analysis.nlp.sentiment.linear import MODEL_FILE
from analysis.nlp.tasks import EMOTION, STANCE
from tests.class_task_fixtures import write_tiny_corpus
from tests.test_adapt_tasks import TRACKER, texts, tiny_model
from tests.test_e5_task_model import fake_encoder  # noqa: F401  (a fixture)

JOY, ANGER, NEUTRAL = (EMOTION.classes.index(c) for c in ("joy", "anger", "neutral"))
EN_TRAIN = {"joy": ["so happy and delighted today", "what a wonderful lovely show", "great fun, I love it"],
            "anger": ["I hate this, furious and angry", "outrageous theft, so angry", "this makes me mad, awful"],
            "neutral": ["the platform published a notice", "the studio released a statement today",
                        "the film opens next week"]}


def english_emotion(name: str = "en-emotion-test") -> EnglishScorer:
    rows = [(t, EMOTION.classes.index(c)) for c, ts in EN_TRAIN.items() for t in ts for _ in range(3)]
    return fit_english([t for t, _ in rows], np.array([y for _, y in rows]), np.ones(len(rows)), c=10.0, name=name,
                       task="emotion")


@pytest.fixture
def routed_dir(tmp_path: Path) -> Path:
    """A tiny emotion model (calls every row it scores neutral) routing English rows to a tiny English model, found
    by name among the data dir's models as a shipped one would be among the shipped models."""
    from collectors.paths import data_dir

    english = english_emotion()
    english.save(data_dir() / "models" / english.name)
    model = tiny_model(EMOTION, blocks=())
    model.attach_english(english)
    model.save(tmp_path / "tiny-emotion")
    return tmp_path / "tiny-emotion"


def test_the_english_model_has_seven_columns_and_round_trips(tmp_path: Path) -> None:
    english = english_emotion()
    proba = english.predict_proba(["so happy and delighted", "furious and angry", ""])
    assert proba.shape == (3, 7) and np.allclose(proba.sum(axis=1), 1)
    assert proba.argmax(axis=1).tolist() == [JOY, ANGER, NEUTRAL]  # empty text is neutral
    english.save(tmp_path / "m")
    loaded = EnglishScorer.load(tmp_path / "m")
    assert loaded.task is EMOTION and loaded.classes == EMOTION.classes
    assert np.allclose(loaded.predict_proba(["so happy and delighted"]), proba[:1])
    assert load_task_model(str(tmp_path / "m"), EMOTION, "unused", ()).task is EMOTION  # evaluable on its own
    with pytest.raises(ValueError, match="emotion model, not a stance model"):
        load_task_model(str(tmp_path / "m"), STANCE, "unused", ())
    from analysis.nlp.sentiment import get_scorer

    with pytest.raises(ValueError, match="English emotion model, not a sentiment model"):
        get_scorer(str(tmp_path / "m"))


def test_english_rows_go_to_the_english_model_and_the_rest_to_the_char_model(routed_dir: Path) -> None:
    model = CharLRModel.load(routed_dir)
    assert model.english_route == "en-emotion-test" and model.english.task is EMOTION  # found by name
    rows = ["so happy and delighted today", "这个下头其实", "I hate this, furious and angry", "评论区上头"]
    proba = model.predict_proba(rows)
    english = model.english.predict_proba([rows[0], rows[2]])
    assert np.allclose(proba[[0, 2]], english) and proba[[0, 2]].argmax(axis=1).tolist() == [JOY, ANGER]
    assert np.allclose(proba[[1, 3]], model.own_proba([rows[1], rows[3]]))
    assert proba[[1, 3]].argmax(axis=1).tolist() == [NEUTRAL, NEUTRAL]
    # a language given as neither Chinese nor English keeps a row from the English model; between the two, the
    # characters decide (an English row said to be Chinese is English)
    said = model.predict_proba(rows[:2], langs=["fr", None])
    assert np.allclose(said[0], model.own_proba(rows[:1])[0]) and np.allclose(said[1], proba[1])
    assert np.allclose(model.predict_proba(rows[:1], langs=["zh"]), proba[:1])


def test_evaluate_names_the_route_and_scores_english_rows_by_it(routed_dir: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from analysis.nlp.nlp_cli import evaluate

    labelled = tmp_path / "labelled.csv"
    labelled.write_text("text,emotion,lang\nso happy and delighted today,joy,en\n\"I hate this, furious and angry\",anger,en\n"
                        "这个下头其实,neutral,zh\n", encoding="utf-8")
    result = CliRunner().invoke(evaluate, [str(labelled), "--task", "emotion", "--model", str(routed_dir),
                                           "--bootstrap", "100"])
    assert result.exit_code == 0, result.output
    assert "English rows (2) scored by en-emotion-test" in result.output
    assert "[en] n = 2: macro-F1 1.000" in result.output  # the char model alone would call both neutral


def test_a_model_file_without_the_route_loads_as_self(routed_dir: Path, tmp_path: Path) -> None:
    """Model files written before routing existed have no "english_route" in their meta."""
    old = tmp_path / "old"
    old.mkdir()
    with np.load(routed_dir / MODEL_FILE, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["meta"]))
    del meta["english_route"]
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(old / MODEL_FILE, **arrays)
    model = CharLRModel.load(old)
    assert model.english_route == "self" and model.english is None and model.routed_version == model.version
    rows = ["so happy and delighted today", "这个下头其实"]
    assert np.allclose(model.predict_proba(rows), model.own_proba(rows))


def test_the_version_names_the_route_and_a_model_without_one_keeps_its_digest(routed_dir: Path) -> None:
    model = CharLRModel.load(routed_dir)
    routed = charlr_training.version_of(model)
    model.english_route = "self"
    own = charlr_training.version_of(model)
    model.english_route = "another-english-model"
    assert len({routed, own, charlr_training.version_of(model)}) == 3
    stance = tiny_model(STANCE)  # never routed: the digest is the weights' alone, as before routing existed
    import hashlib

    digest = hashlib.sha256()
    digest.update("\n".join(sorted(stance.featurizer.vocab)).encode())
    digest.update("\n".join(stance.blocks).encode())
    for array in (stance.weights, stance.bias):
        digest.update(np.ascontiguousarray(array).tobytes())
    assert charlr_training.version_of(stance) == f"1.0.{digest.hexdigest()[:8]}"


def test_enrichment_version_names_the_english_model(routed_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from analysis.nlp import emotion_model, enrich

    model = CharLRModel.load(routed_dir)
    monkeypatch.setattr(emotion_model, "get_emotion_model", lambda name="default": model)
    assert enrich.task_models()[1] == f"{model.name}-{model.version}+{model.english.version}"
    before = enrich.pipeline_version("m1")
    model.english.version = "2.0.other"  # a retrained English model alone re-annotates
    assert enrich.pipeline_version("m1") != before


def test_the_e5_option_blends_with_the_routed_fast_model(fake_encoder, routed_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    from analysis.nlp.e5_task_model import E5TaskModel
    from analysis.nlp.encoder import DIM, EmbeddingCache

    k = len(EMOTION.classes)
    e5 = E5TaskModel("e5-test", "1", EMOTION, np.zeros((DIM, k)), np.zeros(k), 0.5, str(routed_dir),
                     EmbeddingCache(tmp_path / "cache"))
    rows = ["so happy and delighted today", "这个下头其实"]
    fast = CharLRModel.load(routed_dir).predict_proba(rows)
    assert np.allclose(e5.predict_proba(rows), 0.5 * e5.e5_proba(rows) + 0.5 * fast)
    assert fast[0].argmax() == JOY  # the English row's fast part is the English model's


def test_an_adapted_routed_model_keeps_the_route_and_adapts_the_english_model(routed_dir: Path) -> None:
    from analysis.core.labels import write_labels
    from analysis.nlp.adapt import AdaptSettings, adapt
    from analysis.nlp.labelling_keys import Choice, label_row
    from collectors.store import Store

    as_emotion = {"oppose": "anger", "support": "joy", "neutral": "neutral"}
    english = [(f"{t} {i}", c) for c, ts in (("joy", EN_TRAIN["joy"]), ("neutral", EN_TRAIN["neutral"]))
               for i in range(4) for t in ts]
    rows = [label_row(TRACKER, None, None, text, "ann", Choice("neutral", stance, as_emotion[stance]), "test")
            for text, stance in texts(8)]
    rows += [label_row(TRACKER, None, None, text, "ann", Choice("neutral", "neutral", emotion), "test")
             for text, emotion in english]
    write_labels(Store(), rows, now=datetime(2026, 5, 1, tzinfo=UTC))
    result = adapt(Store(), TRACKER, settings=AdaptSettings(base=str(routed_dir), task="emotion", folds=3,
                                                            n_boot=200, strength=0.01, english_strength=1.0),
                   log=lambda m: None)
    english_part = result["method_details"]["english"]
    assert english_part["n_labels"] == len(english) and english_part["adapted"] is True
    adapted = load_task_model(result["model"], EMOTION, "unused", ())
    assert isinstance(adapted, CharLRModel) and adapted.english_route == english_part["model"]
    assert adapted.english.task is EMOTION and adapted.english.version == english_part["version"]
    assert result["version"] == adapted.version
    card = json.loads((Path(result["model_dir"]).parent / english_part["model"] / "card.json").read_text())
    assert card["task"] == "emotion"


def test_an_adapted_model_keeps_its_base_route_when_the_english_labels_are_too_few(routed_dir: Path) -> None:
    from analysis.core.labels import write_labels
    from analysis.nlp.adapt import AdaptSettings, adapt
    from analysis.nlp.labelling_keys import Choice, label_row
    from collectors.store import Store

    as_emotion = {"oppose": "anger", "support": "joy", "neutral": "neutral"}
    rows = [label_row(TRACKER, None, None, text, "ann", Choice("neutral", stance, as_emotion[stance]), "test")
            for text, stance in texts(8)]
    write_labels(Store(), rows, now=datetime(2026, 5, 1, tzinfo=UTC))
    result = adapt(Store(), TRACKER, settings=AdaptSettings(base=str(routed_dir), task="emotion", folds=3,
                                                            n_boot=200, strength=0.01), log=lambda m: None)
    adapted = load_task_model(result["model"], EMOTION, "unused", ())
    assert adapted.english_route == CharLRModel.load(routed_dir).english_route
    assert adapted.predict_proba(["so happy and delighted today"]).argmax() == JOY  # still scored by the route


def test_training_on_a_tiny_corpus_chooses_and_records_the_route(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from analysis.nlp import emotion_training
    from analysis.nlp.emotion_english import ENGLISH_EMOTION_MODEL, train_english_emotion

    shared, labelled = write_tiny_corpus(tmp_path / "corpus")
    english_dir = tmp_path / "models" / ENGLISH_EMOTION_MODEL
    card = train_english_emotion(english_dir, labelled=labelled, n_boot=20, log=lambda m: None)
    english = EnglishScorer.load(english_dir)
    assert card["version"] == english.version and card["task"] == "emotion" and card["language"] == "en"
    assert card["headline"]["n"] == 10 and card["training_rows"] == {"real": 15, "synthetic": 10}
    assert set(card["in_domain"]) == {"dev", "test"} and card["method"]["selection"]["chosen"]["C"] > 0
    # the route goes to whichever scores the English dev rows better: a model calling everything neutral loses
    dev = charlr_training.in_domain_sets(EMOTION, labelled)["dev"]
    chosen = emotion_training.choose_route(tiny_model(EMOTION, blocks=()), english, dev, log=lambda m: None)
    assert chosen["route"] == ENGLISH_EMOTION_MODEL and chosen["n_dev_en"] == 10
    assert chosen["dev_macro_f1"][ENGLISH_EMOTION_MODEL] > chosen["dev_macro_f1"]["self"]
    assert chosen["english_model"] == {"name": english.name, "version": english.version}
    # the tiny corpus's char model ties with it (a tie keeps "self"), so training is told the English model won
    out = tmp_path / "models" / "emotion-charlr-7c"
    unrouted = emotion_training.train(shared, tmp_path / "unrouted", labelled=labelled, n_boot=20, log=lambda m: None)
    monkeypatch.setattr(emotion_training, "choose_route", lambda model, en, dev, log: {
        "route": en.name, "dev_macro_f1": {}, "n_dev_en": 10, "english_model": {"name": en.name}})
    emotion = emotion_training.train(shared, out, labelled=labelled, n_boot=20, log=lambda m: None,
                                     english_model=english)
    model = CharLRModel.load(out)
    assert emotion["english_route"]["route"] == model.english_route == ENGLISH_EMOTION_MODEL
    assert model.version == emotion["version"] != unrouted["version"]  # same weights, the route in the version
    assert model.english.version == english.version  # found beside it
    assert "routed to en-wordlr-emotion-7c" in emotion["method"]["english_rows"]


def test_methods_says_where_english_posts_go_only_where_the_card_routes_them() -> None:
    from dashboard.model_info import english_route_line

    card = {"name": "emotion-charlr-7c", "english_route": {
        "route": "en-wordlr-emotion-7c", "dev_macro_f1": {"self": 0.153, "en-wordlr-emotion-7c": 0.228},
        "n_dev_en": 181, "english_model": {"name": "en-wordlr-emotion-7c", "version": "1.0.abc"}}}
    line = english_route_line(card)
    assert line is not None and "scored by en-wordlr-emotion-7c 1.0.abc" in line and "n = 181" in line
    assert "self 0.15, en-wordlr-emotion-7c 0.23" in line
    assert english_route_line({"english_route": {"route": "self"}}) is None and english_route_line({}) is None
