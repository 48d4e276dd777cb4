"""Stance and emotion: the evaluation contract (`actorwatch evaluate --task stance|emotion`), the models'
load/predict behaviour and training on a tiny corpus (card keys, files and checksums)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import f1_score

from analysis.nlp import charlr_training
from analysis.nlp.charlr import CharLRModel
from analysis.nlp.emotion_model import DEFAULT_MODEL as EMOTION_MODEL
from analysis.nlp.emotion_model import get_emotion_model
from analysis.nlp.emotion_training import train as train_emotion
from analysis.nlp.metrics import evaluate_classes
from analysis.nlp.nlp_cli import commands, evaluate, train
from analysis.nlp.sentiment.labelled import LabelledFileError
from analysis.nlp.stance_model import DEFAULT_MODEL as STANCE_MODEL
from analysis.nlp.stance_model import DEFAULT_TARGET, get_stance_model, models_dir
from analysis.nlp.stance_training import train as train_stance
from analysis.nlp.task_eval import evaluate_file
from analysis.nlp.tasks import EMOTION, STANCE, read_task_csv
from tests.class_task_fixtures import write_tiny_corpus

FIX = Path(__file__).resolve().parent / "fixtures" / "tasks"
CONTRACT = {"n", "accuracy", "macro_f1", "accuracy_ci95", "macro_f1_ci95", "per_class", "confusion", "model",
            "model_version", "task", "file"}
CARD_KEYS = {"name", "version", "task", "classes", "headline", "in_domain", "evaluations", "training_files",
             "speed_posts_per_s"}


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_tiny_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def stance_dir(tiny_corpus: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    shared, labelled = tiny_corpus
    out = tmp_path_factory.mktemp("stance-model")
    train_stance(shared, out, labelled=labelled, n_boot=20, log=lambda m: None)
    return out


@pytest.fixture(scope="module")
def emotion_dir(tiny_corpus: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    shared, labelled = tiny_corpus
    out = tmp_path_factory.mktemp("emotion-model")
    train_emotion(shared, out, labelled=labelled, n_boot=20, log=lambda m: None)
    return out


def _json(args: list[str]) -> dict[str, Any]:
    result = CliRunner().invoke(evaluate, [*args, "--json", "--bootstrap", "100"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _card(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "card.json").read_text(encoding="utf-8"))


# ---------- reading labelled files ----------

def test_stance_aliases_and_targets_are_read() -> None:
    data = read_task_csv(FIX / "stance_tiny.csv", STANCE)
    assert [STANCE.classes[i] for i in data.y] == ["oppose", "support", "conditional", "deny-involvement",
                                                   "oppose", "support", "neutral", "oppose"]
    assert data.targets is not None and data.targets[1] == DEFAULT_TARGET and data.targets[7] == "春节放鞭炮"
    assert data.langs == ["zh"] * 4 + ["en"] * 3 + ["zh"]


def test_shared_stance_file_falls_back_to_source_label() -> None:
    data = read_task_csv(FIX / "stance_nlpcc_style.csv", STANCE)
    assert data.column == "source_label"
    assert [STANCE.classes[i] for i in data.y] == ["support", "oppose", "neutral"]


def test_emotion_aliases_are_read() -> None:
    data = read_task_csv(FIX / "emotion_tiny.csv", EMOTION)
    assert [EMOTION.classes[i] for i in data.y] == ["joy", "anger", "disgust", "sadness", "fear", "surprise",
                                                    "neutral", "joy"]


@pytest.mark.parametrize(("name", "task", "message"), [
    ("stance_bad.csv", "stance", "line 3: stance 'maybe' is not a stance label"),
    ("emotion_bad.csv", "emotion", "line 3: emotion 'furious' is not a emotion label"),
    ("emotion_tiny.csv", "stance", "need a header with text,stance"),
])
def test_bad_rows_are_line_numbered_errors(name: str, task: str, message: str) -> None:
    result = CliRunner().invoke(evaluate, [str(FIX / name), "--task", task, "--model", "rules" if task == "stance"
                                           else "majority", "--json"])
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("task", ["stance", "emotion"])
def test_a_row_with_more_cells_than_the_header_is_a_line_numbered_error(task: str, tmp_path: Path) -> None:
    csv = tmp_path / "comma.csv"
    csv.write_text(f"text,{task}\n中立,neutral\n说得对,neutral,joy\n", encoding="utf-8")
    with pytest.raises(LabelledFileError, match="line 3: 1 more cell"):
        read_task_csv(csv, task)


# ---------- the contract ----------

def test_f_avg_is_the_mean_f1_of_support_and_oppose() -> None:
    y_true = [0, 0, 0, 1, 1, 4, 4, 2, 3, 1]
    y_pred = [0, 1, 4, 1, 1, 4, 0, 2, 3, 0]
    report = evaluate_classes(y_true, y_pred, STANCE.classes, n_boot=100, f_avg_pair=(1, 0))
    # oppose: tp 1, fp 2, fn 2 → P 1/3, R 1/3, F1 1/3; support: tp 2, fp 1, fn 1 → F1 2/3
    assert report["f_avg"] == pytest.approx((1 / 3 + 2 / 3) / 2, abs=1e-4)
    assert report["f_avg"] == pytest.approx(np.mean(f1_score(y_true, y_pred, labels=[0, 1], average=None)), abs=1e-4)
    lo, hi = report["f_avg_ci95"]
    assert lo <= report["f_avg"] <= hi


def test_stance_contract_with_the_rule_baseline() -> None:
    report = _json([str(FIX / "stance_tiny.csv"), "--task", "stance", "--model", "rules"])
    assert CONTRACT | {"f_avg", "f_avg_ci95", "by_lang"} <= set(report)
    assert report["model"] == "rules" and report["n"] == 8 and report["task"] == "stance"
    assert list(report["per_class"]) == list(STANCE.classes)
    assert sum(map(sum, report["confusion"]["matrix"])) == 8
    assert set(report["by_lang"]) == {"zh", "en"}
    assert report["by_lang"]["zh"]["n"] == 5 and report["by_lang"]["en"]["n"] == 3
    for scope in (report, report["by_lang"]["zh"]):
        for key in ("accuracy", "macro_f1", "f_avg"):
            lo, hi = scope[f"{key}_ci95"]
            assert 0 <= lo <= scope[key] <= hi <= 1


class RecordingModel:
    """Predicts support for rows whose target is '春节放鞭炮', else oppose; remembers what it was given."""

    name, version, classes = "recording", "0", STANCE.classes

    def __init__(self) -> None:
        self.seen: list[Sequence[str | None] | None] = []

    def predict_proba(self, texts: Sequence[str], targets: Sequence[str | None] | None = None) -> np.ndarray:
        self.seen.append(targets)
        out = np.zeros((len(texts), 5))
        for i in range(len(texts)):
            out[i, 1 if targets is not None and targets[i] == "春节放鞭炮" else 0] = 1
        return out


def test_the_rows_target_goes_to_the_model() -> None:
    model = RecordingModel()
    report = evaluate_file(FIX / "stance_tiny.csv", "stance", model=model, n_boot=100)
    targets = model.seen[0]
    assert targets is not None and len(targets) == 8
    assert targets[0] is None and targets[1] == DEFAULT_TARGET and targets[7] == "春节放鞭炮"
    assert report["confusion"]["matrix"][0][1] == 1  # the 春节放鞭炮 row (true oppose) was predicted support
    assert report["targets"].startswith("the file's `target` column")


def test_a_file_without_targets_gives_the_model_none(tmp_path: Path) -> None:
    csv = tmp_path / "no_target.csv"
    csv.write_text("text,stance\n坚决抵制,oppose\n挺好,support\n", encoding="utf-8")
    model = RecordingModel()
    report = evaluate_file(csv, "stance", model=model, n_boot=100)
    assert model.seen == [None] and report["targets"].startswith("none in the file")
    assert "by_lang" not in report


def test_emotion_contract_with_the_majority_baseline() -> None:
    report = _json([str(FIX / "emotion_tiny.csv"), "--task", "emotion", "--model", "majority"])
    assert CONTRACT | {"by_lang"} <= set(report) and "f_avg" not in report
    assert report["n"] == 8 and list(report["per_class"]) == list(EMOTION.classes)
    assert report["accuracy"] == pytest.approx(1 / 8)  # only the neutral row is right
    assert set(report["macro_f1_over"]) == set(EMOTION.classes)


def test_human_table_and_alias() -> None:
    result = CliRunner().invoke(evaluate, [str(FIX / "stance_tiny.csv"), "--task", "stance", "--model", "rules",
                                           "--bootstrap", "100"])
    assert result.exit_code == 0 and "f_avg" in result.output and "[zh] n = 5" in result.output
    alias = next(c for c in commands if c.name == "evaluate-stance")
    result = CliRunner().invoke(alias, [str(FIX / "stance_tiny.csv"), "--model", "rules", "--json",
                                        "--bootstrap", "100"])
    assert result.exit_code == 0 and json.loads(result.output)["task"] == "stance"


def test_a_one_row_stance_file_has_an_f_avg_interval_and_a_table(tmp_path: Path) -> None:
    csv = tmp_path / "one.csv"
    csv.write_text("text,stance,lang\n坚决抵制AI演员,oppose,zh\nI support it,favor,en\n我也支持,support,zh\n",
                   encoding="utf-8")
    report = _json([str(csv), "--task", "stance", "--model", "rules"])
    one_row = report["by_lang"]["en"]
    assert one_row["n"] == 1 and one_row["f_avg_ci95"] == [one_row["f_avg"]] * 2
    csv.write_text("text,stance\n坚决抵制AI演员,oppose\n", encoding="utf-8")
    result = CliRunner().invoke(evaluate, [str(csv), "--task", "stance", "--model", "rules", "--bootstrap", "100"])
    assert result.exit_code == 0, result.output
    assert "f_avg" in result.output and "n = 1" in result.output


def test_unknown_models_are_clear_errors() -> None:
    for task in ("stance", "emotion"):
        result = CliRunner().invoke(evaluate, [str(FIX / f"{task}_tiny.csv"), "--task", task, "--model", "nope"])
        assert result.exit_code != 0 and f"unknown {task} model 'nope'" in result.output


# ---------- trained models ----------

@pytest.mark.parametrize(("task", "model", "says"), [
    ("stance", "weibo-charlr-3c", "holds a sentiment model, not a stance model"),
    ("emotion", "ai-actors-e5-3c", "holds a sentiment model, not an emotion model"),
    ("sentiment", STANCE_MODEL, "holds a stance model, not a sentiment model"),
])
def test_a_model_of_another_task_is_a_clear_error(task: str, model: str, says: str, tmp_path: Path) -> None:
    if not (models_dir() / model / "model.npz").exists():
        pytest.skip(f"shipped model {model} not built")
    csv = tmp_path / "all.csv"
    csv.write_text("text,label,stance,emotion\n坚决抵制,0,oppose,anger\n", encoding="utf-8")
    result = CliRunner().invoke(evaluate, [str(csv), "--task", task, "--model", str(models_dir() / model)])
    assert result.exit_code == 1 and "Traceback" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit) and says in result.output


def test_stance_model_loads_and_predicts(stance_dir: Path) -> None:
    model = get_stance_model(str(stance_dir))
    assert isinstance(model, CharLRModel) and model.classes == STANCE.classes
    assert model.blocks[0] == DEFAULT_TARGET and "春节放鞭炮" in model.blocks
    texts = ["坚决抵制AI演员，偷脸可耻", "Our client never signed any agreement", "", "放鞭炮才有年味"]
    proba = model.predict_proba(texts)
    assert proba.shape == (4, 5) and np.allclose(proba.sum(axis=1), 1)
    assert STANCE.classes[int(proba[2].argmax())] == "neutral" and proba[2].max() == 1.0  # empty text
    # no target, an unknown target and the default target are the same reading
    assert np.allclose(model.predict_proba(texts, [DEFAULT_TARGET] * 4), proba)
    assert np.allclose(model.predict_proba(texts, ["some other target"] * 4), proba)
    # a known target uses its own weights
    assert not np.allclose(model.predict_proba(texts, ["春节放鞭炮"] * 4)[3], proba[3])
    with pytest.raises(ValueError, match="4 texts but 1 targets"):
        model.predict_proba(texts, ["x"])
    assert model.predict_proba([]).shape == (0, 5)
    # the tiny corpus is easy: the model learns it
    assert STANCE.classes[int(proba[0].argmax())] == "oppose"


def test_emotion_model_loads_and_predicts(emotion_dir: Path) -> None:
    model = get_emotion_model(str(emotion_dir))
    assert model.classes == EMOTION.classes
    proba = model.predict_proba(["气死我了什么破服务", "恶心死了真反胃", "   "])
    assert proba.shape == (3, 7) and np.allclose(proba.sum(axis=1), 1)
    assert [EMOTION.classes[i] for i in proba.argmax(axis=1)] == ["anger", "disgust", "neutral"]
    reloaded = CharLRModel.load(emotion_dir)
    assert np.allclose(reloaded.predict_proba(["好害怕不敢出门"]), model.predict_proba(["好害怕不敢出门"]))


def test_wrong_task_directory_is_refused(stance_dir: Path) -> None:
    with pytest.raises(ValueError, match="holds a stance model, not an emotion model"):
        get_emotion_model(str(stance_dir))


@pytest.mark.parametrize("which", ["stance", "emotion"])
def test_training_writes_a_card_with_the_spec_keys(which: str, stance_dir: Path, emotion_dir: Path,
                                                   tiny_corpus: tuple[Path, Path]) -> None:
    directory = stance_dir if which == "stance" else emotion_dir
    card = _card(directory)
    assert CARD_KEYS <= set(card)
    assert card["task"] == which and card["classes"] == list((STANCE if which == "stance" else EMOTION).classes)
    assert card["version"] == CharLRModel.load(directory).version
    head = card["headline"]
    assert head["metric"] == "macro_f1" and head["file"] == "data/labelled/test.csv" and head["n"] == 20
    assert head["value"] == card["in_domain"]["test"]["macro_f1"] and head["ci95"] == card["in_domain"]["test"]["macro_f1_ci95"]
    assert "20 real sentences" in head["description"]
    assert set(card["in_domain"]["test"]["by_lang"]) == {"zh", "en"} and "dev" in card["in_domain"]
    baseline = "rules" if which == "stance" else "majority"
    langs = [e.get("lang") for e in card["evaluations"] if e["file"] == "data/labelled/test.csv"]
    assert langs == ["zh", "en"]
    for entry in card["evaluations"]:
        assert {"file", "role", "default", baseline} <= set(entry)
    files = {f["file"]: f for f in card["training_files"]}
    for f in files.values():
        assert {"file", "rows", "sha256", "synthetic_rows", "used_for"} <= set(f) and len(f["sha256"]) == 64
    assert files["data/labelled/synthetic_train.csv"]["synthetic_rows"] == 20
    assert files["data/labelled/train.csv"]["synthetic_rows"] == 0 and files["data/labelled/train.csv"]["rows"] == 30
    assert card["speed_posts_per_s"] > 0


def test_stance_card_has_the_nlpcc_cross_validation(stance_dir: Path) -> None:
    card = _card(stance_dir)
    cv = card["nlpcc2016_cv"]
    assert cv["folds"] == 5 and cv["n"] == 36 and 0 <= cv["f_avg"] <= 1
    nlpcc = next(e for e in card["evaluations"] if e["file"].endswith("stance_nlpcc2016_train.csv"))
    assert nlpcc["default"]["f_avg"] == cv["f_avg"] and "cross-validated" in nlpcc["role"]


def test_emotion_card_names_its_held_back_rows(emotion_dir: Path) -> None:
    card = _card(emotion_dir)
    held = card["held_back"]
    assert held["seed"] and held["sentiment_usual_train.csv"]["rows"] == 6  # 10% of 10 per class × 6 classes
    assert len(held["sentiment_usual_train.csv"]["ids_sha256"]) == 64
    smp = next(e for e in card["evaluations"] if e["file"].endswith("sentiment_usual_train.csv"))
    assert smp["default"]["n"] == 6 and card["smp2020_usual_heldback"]["macro_f1"] == smp["default"]["macro_f1"]
    assert "disgust" not in smp["default"]["macro_f1_over"]
    files = {f["file"]: f for f in card["training_files"]}
    assert files["../shared/data/sentiment_usual_train.csv"]["rows_used"] == 54
    # the sentences of held-back posts never train the model
    assert files["../shared/data/emotion_nlpcc2014_sentences.csv"]["rows_used"] == 72


def test_train_command_rebuilds_stance_and_emotion(tiny_corpus: tuple[Path, Path], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`train --task all` runs every trainer with the shared folder (each trainer is tested above)."""
    from analysis.nlp import emotion_english, emotion_training, stance_training
    from analysis.nlp.sentiment import english_training
    from analysis.nlp.sentiment import training as sentiment_training
    from analysis.nlp.sentiment.english import EnglishScorer

    calls: list[tuple[str, Path, Path, bool, int]] = []
    routes: dict[str, Any] = {}
    head = {"value": 0.3, "ci95": [0.2, 0.4], "file": "data/labelled/test.csv (en)", "n": 20}

    def fake(task: str) -> Any:
        def run(shared: Path, out_dir: Path, select: bool = False, n_boot: int = 1000, **kw: Any) -> dict[str, Any]:
            calls.append((task, shared, out_dir, select, n_boot))
            routes[task] = kw.get("english_model")
            head = {"value": 0.5, "ci95": [0.4, 0.6], "file": "data/labelled/test.csv", "n": 20}
            return {"name": task, "version": "1", "headline": head, "macro_f1": 0.5}
        return run

    monkeypatch.setattr(stance_training, "train", fake("stance"))
    monkeypatch.setattr(emotion_training, "train", fake("emotion"))
    monkeypatch.setattr(sentiment_training, "train", lambda shared, out_dir, **_: calls.append(
        ("sentiment", shared, out_dir, False, 0)) or {"name": "s", "version": "1", "macro_f1": 0.5})
    monkeypatch.setattr(english_training, "train_english", lambda out_dir, **_: calls.append(
        ("english", None, out_dir, False, 0)) or {"name": "e", "version": "1", "macro_f1": 0.5})
    monkeypatch.setattr(emotion_english, "train_english_emotion", lambda out_dir, n_boot=1000, **_: calls.append(
        ("english emotion", None, out_dir, False, n_boot)) or {"name": "ee", "version": "1", "headline": head})
    monkeypatch.setattr(EnglishScorer, "load", classmethod(lambda cls, directory: f"loaded {directory.name}"))
    shared, _ = tiny_corpus
    result = CliRunner().invoke(train, ["--shared", str(shared), "--select", "--bootstrap", "200"])
    assert result.exit_code == 0, result.output
    assert [c[0] for c in calls] == ["english", "sentiment", "stance", "english emotion", "emotion"]
    assert calls[0][2] == models_dir() / "en-wordlr-3c"  # trained first, beside the default model
    assert calls[2][1:] == (shared, models_dir() / STANCE_MODEL, True, 200)
    assert calls[3][2] == models_dir() / "en-wordlr-emotion-7c" and calls[3][4] == 200  # first, beside it
    assert calls[4][2] == models_dir() / EMOTION_MODEL
    assert routes == {"stance": None, "emotion": "loaded en-wordlr-emotion-7c"}  # emotion gets its English model
    assert "macro-F1 0.500 [0.400, 0.600] on data/labelled/test.csv (n = 20)" in result.output
    calls.clear()
    result = CliRunner().invoke(train, ["--task", "stance", "--shared", str(shared), "--out", str(tmp_path / "s")])
    assert result.exit_code == 0 and calls == [("stance", shared, tmp_path / "s", False, 1000)]
    calls.clear()
    result = CliRunner().invoke(train, ["--task", "emotion", "--shared", str(shared), "--out", str(tmp_path / "e" / "m")])
    assert result.exit_code == 0 and [c[2] for c in calls] == [tmp_path / "e" / "en-wordlr-emotion-7c",
                                                               tmp_path / "e" / "m"]
    result = CliRunner().invoke(train, ["--task", "all", "--shared", str(shared), "--out", str(tmp_path / "x")])
    assert result.exit_code != 0 and "--out needs one --task" in result.output


def test_training_without_the_shared_file_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(train, ["--task", "emotion", "--shared", str(tmp_path), "--out", str(tmp_path / "e")])
    assert result.exit_code != 0 and "missing sentiment_usual_train.csv" in result.output


# ---------- the shipped models (skipped until built) ----------

def _shipped(name: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(not (models_dir() / name / "model.npz").exists(), reason=f"{name} not built yet")


@_shipped(STANCE_MODEL)
def test_shipped_stance_model_and_card_agree() -> None:
    model = get_stance_model()
    card = _card(models_dir() / STANCE_MODEL)
    assert model.version == card["version"] and model.predict_proba(["坚决抵制AI演员"]).shape == (1, 5)
    assert card["headline"]["value"] == card["in_domain"]["test"]["macro_f1"]


@_shipped(EMOTION_MODEL)
def test_shipped_emotion_model_and_card_agree() -> None:
    model = get_emotion_model()
    card = _card(models_dir() / EMOTION_MODEL)
    assert model.version == card["version"] and model.predict_proba(["好开心"]).shape == (1, 7)
    assert card["headline"]["value"] == card["in_domain"]["test"]["macro_f1"]


@_shipped(STANCE_MODEL)
def test_evaluate_prints_the_contract_on_the_in_domain_test_split() -> None:
    report = _json([str(charlr_training.LABELLED / "test.csv"), "--task", "stance"])
    assert report["n"] == _card(models_dir() / STANCE_MODEL)["headline"]["n"]
    assert {"zh", "en"} <= set(report["by_lang"]) and "f_avg" in report


@_shipped(STANCE_MODEL)
@pytest.mark.shared
def test_evaluate_on_the_shared_nlpcc_file(shared_data: Path) -> None:
    report = _json([str(shared_data / "stance_nlpcc2016_train.csv"), "--task", "stance"])
    assert report["n"] == 2955 and report["label_column"] == "source_label" and "f_avg" in report
    assert report["targets"].startswith("the file's `target` column")


def test_a_file_with_a_url_column_resamples_its_pages(tmp_path: Path) -> None:
    """Several labelled rows often come from one page (the in-domain files' `url`); their intervals resampled rows, as
    if each were an independent draw. With a url column the pages are resampled (a row without a url is its own
    page), in the report and in each language's, and the JSON says so."""
    rows = [("坚决抵制", "oppose", "zh"), ("挺好", "support", "zh"), ("不好说", "neutral", "zh"),
            ("boycott it", "oppose", "en"), ("great idea", "support", "en")]
    lines = ["text,stance,lang,url"]
    for i in range(30):
        text, label, lang = rows[i % len(rows)]
        lines.append(f"{text}{i},{label},{lang},{'' if i == 29 else f'https://example.org/{i // 3}'}")
    csv = tmp_path / "paged.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = RecordingModel()
    report = evaluate_file(csv, "stance", model=model, n_boot=100)
    assert report["bootstrap"]["resampled"] == "url" and "url" in report["bootstrap"]["method"]
    assert report["by_lang"]["zh"]["bootstrap"]["resampled"] == "url"
    data = read_task_csv(csv, "stance")
    pages = np.array([f"https://example.org/{i // 3}" for i in range(29)] + ["row 30"])
    expected = evaluate_classes(data.y, np.zeros(30, dtype=int), STANCE.classes, n_boot=100, f_avg_pair=(1, 0),
                                groups=pages)
    for key in ("accuracy_ci95", "macro_f1_ci95", "f_avg_ci95"):
        assert report[key] == expected[key], key
    plain = tmp_path / "plain.csv"
    plain.write_text("text,stance\n坚决抵制,oppose\n挺好,support\n", encoding="utf-8")
    assert evaluate_file(plain, "stance", model=model, n_boot=20)["bootstrap"]["resampled"] == "rows"
