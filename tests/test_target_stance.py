"""Per-target stance models (analysis/nlp/target_stance.py) inside the e5 stance option, and the in-sample warning
of `actorwatch evaluate` on a model's own training file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analysis.nlp import target_stance
from analysis.nlp.charlr_training import stratified_folds
from analysis.nlp.e5_task_model import E5_TASK_MODELS, E5TaskModel
from analysis.nlp.tasks import STANCE

OPPOSE, SUPPORT, NEUTRAL = (STANCE.classes.index(c) for c in ("oppose", "support", "neutral"))


def _rows(n: int = 60) -> tuple[list[str], np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(0)
    words = {OPPOSE: "坚决反对这个政策", SUPPORT: "非常支持这个决定", NEUTRAL: "今天新闻报道了此事"}
    y = np.array([(OPPOSE, SUPPORT, NEUTRAL)[i % 3] for i in range(n)])
    texts = [f"{words[label]}{i}" for i, label in enumerate(y)]
    vectors = rng.normal(size=(n, 8)).astype(np.float32)
    targets = ["开放二胎" if i % 2 else "春节放鞭炮" for i in range(n)]
    return texts, vectors, y, targets


def test_one_model_per_target_learns_its_rows_and_survives_its_arrays(tmp_path: Path) -> None:
    texts, vectors, y, targets = _rows()
    models = target_stance.fit_targets(texts, vectors, y, targets)
    assert set(models) == {"开放二胎", "春节放鞭炮"}
    model = models["开放二胎"]
    assert sorted(model.classes.tolist()) == sorted([OPPOSE, SUPPORT, NEUTRAL])
    proba = model.proba(["坚决反对这个政策", "非常支持这个决定"], vectors[:2], len(STANCE.classes))
    assert proba.shape == (2, 5) and np.allclose(proba.sum(axis=1), 1)
    assert proba[:, STANCE.classes.index("conditional")].max() == 0  # a class NLPCC lacks is never given
    assert proba[0].argmax() == OPPOSE and proba[1].argmax() == SUPPORT
    np.savez(tmp_path / "m.npz", **model.arrays("target0"))
    with np.load(tmp_path / "m.npz", allow_pickle=False) as z:
        again = target_stance.TargetModel.from_arrays(z, "target0")
    assert np.allclose(again.proba(texts[:5], vectors[:5], 5), model.proba(texts[:5], vectors[:5], 5))


def test_cross_validation_scores_each_row_by_models_that_never_saw_it(monkeypatch) -> None:
    texts, vectors, y, targets = _rows()
    fold = stratified_folds([f"{t}|{label}" for t, label in zip(targets, y, strict=True)], 5, 1)
    assert sorted(np.bincount(fold).tolist()) == [12] * 5
    seen: list[set[str]] = []
    fit = target_stance.fit_targets

    def spy(t, v, labels, names):
        seen.append(set(t))
        return fit(t, v, labels, names)

    monkeypatch.setattr(target_stance, "fit_targets", spy)
    pred = target_stance.cross_validated(texts, vectors, y, targets, fold, 5)
    assert len(seen) == 5 and all(not (s & {texts[i] for i in np.flatnonzero(fold == k)}) for k, s in enumerate(seen))
    assert (pred == y).mean() > 0.9


def test_the_option_scores_a_named_target_by_its_own_model_and_the_rest_by_the_blend(monkeypatch) -> None:
    texts, vectors, y, targets = _rows()
    own = target_stance.fit_targets(texts, vectors, y, targets)
    blend = np.eye(5)[STANCE.classes.index("conditional")]
    model = E5TaskModel("t", "1", STANCE, np.zeros((8, 5)), np.zeros(5), 1.0, "stance-charlr-5c", target_models=own)
    monkeypatch.setattr(model, "e5_proba", lambda t: np.tile(blend, (len(t), 1)))
    lookup = dict(zip(texts, vectors, strict=True))
    monkeypatch.setattr(model, "vectors", lambda t: np.array([lookup[x] for x in t]))
    proba = model.predict_proba(texts[:3], [targets[0], None, "AI performers"])
    assert proba[0].argmax() == y[0]
    assert np.allclose(proba[1:], blend)  # no target, or one without a model of its own: the blend
    assert np.allclose(model.predict_proba(texts[:2]), blend)


def test_the_shipped_stance_option_carries_the_nlpcc_targets_and_their_cv_figure() -> None:
    from analysis.nlp.sentiment import models_dir

    directory = models_dir() / E5_TASK_MODELS["stance"]
    card = json.loads((directory / "card.json").read_text(encoding="utf-8"))
    cv = card["nlpcc2016_cv"]
    assert cv["folds"] == 5 and cv["n"] == sum(card["target_models"]["targets"].values())
    assert cv["target"]["NLPCC 2016 5-fold CV f_avg >= 0.70"] == (cv["f_avg"] >= 0.70)
    lo, hi = cv["f_avg_ci95"]
    assert lo <= cv["f_avg"] <= hi
    with np.load(directory / "model.npz", allow_pickle=False) as z:
        names = sorted(str(t) for t in z["target_names"])
    assert names == sorted(card["target_models"]["targets"]) and len(names) == 5


def test_evaluating_a_model_on_its_own_training_file_warns_that_the_figure_is_in_sample(tmp_path: Path,
                                                                                          monkeypatch) -> None:
    from analysis.nlp import task_eval
    from analysis.nlp.sentiment.linear import file_sha256

    path = tmp_path / "nlpcc.csv"
    path.write_text("text,stance,target\n反对,against,开放二胎\n支持,favor,开放二胎\n", encoding="utf-8")
    card = {"training_files": [{"file": "../shared/data/stance_nlpcc2016_train.csv", "sha256": file_sha256(path)}],
            "evaluations": [{"file": "../shared/data/stance_nlpcc2016_train.csv", "default": {"macro_f1": 0.63,
                                                                                                "f_avg": 0.7045}}]}
    monkeypatch.setattr("analysis.nlp.model_info.named_card", lambda name: card)
    warning = task_eval.in_sample_warning("m", file_sha256(path))
    assert warning and "in-sample" in warning and "0.7045" in warning
    assert task_eval.in_sample_warning("m", "0" * 64) is None


@pytest.mark.parametrize("name", ["stance-charlr-5c"])
def test_the_fast_stance_card_lists_the_nlpcc_file_by_checksum(name: str) -> None:
    from analysis.nlp.model_info import named_card

    card = named_card(name)
    assert card and any("nlpcc2016" in f["file"] and len(f.get("sha256", "")) == 64 for f in card["training_files"])


def test_sentiment_evaluation_on_a_training_file_warns_too(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from analysis.nlp.nlp_cli import evaluate
    from analysis.nlp.sentiment.linear import file_sha256

    path = tmp_path / "weibo.csv"
    path.write_text("text,label\n太好了,1\n太差了,0\n一般般,2\n", encoding="utf-8")
    card = {"training_files": [{"file": "sentiment3_train.csv", "sha256": file_sha256(path)}],
            "evaluations": [{"file": "sentiment3_train.csv", "default": {"macro_f1": 0.77}}]}
    monkeypatch.setattr("analysis.nlp.model_info.named_card", lambda name: card)
    result = CliRunner().invoke(evaluate, [str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert "in-sample" in report["warning"] and "0.77" in report["warning"]
    table = CliRunner().invoke(evaluate, [str(path)])
    assert "warning: sentiment3_train.csv trained" in table.output
