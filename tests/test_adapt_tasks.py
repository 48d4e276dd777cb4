"""Adapting the stance and emotion models to a tracker's labels (prior method), re-annotating the tracker with the
adapted model, and the badge that then names it — on a tiny fake block-aware base (fast)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from analysis.core.labels import write_labels
from analysis.nlp.adapt import AdaptError, AdaptSettings, adapt
from analysis.nlp.charlr import CharLRModel, load_task_model
from analysis.nlp.labelling_keys import Choice, label_row
from analysis.nlp.model_info import in_domain_badges
from analysis.nlp.sentiment.features import Featurizer, Lexicon
from analysis.nlp.tasks import EMOTION, STANCE
from collectors.models import Record
from collectors.store import Store
from dashboard.cli import cli

TRACKER = "iqiyi-nadou"
FILLER = ["这个", "那个", "有人说", "评论区", "其实", "看了"]
# The tracker's own words for each stance; the base model has never seen them (all its weights are zero there).
WORDS = {"oppose": ["下头", "抵制", "退坑", "劝退"], "support": ["上头", "支持", "种草", "入坑"],
         "neutral": ["官宣", "通报", "发布会", "据悉"]}


def texts(n_per_class: int, offset: int = 0) -> list[tuple[str, str]]:
    return [(f"{FILLER[(k + offset) % 6]}{words[(k + offset) % 4]}{FILLER[(k + offset + 3) % 6]}", stance)
            for stance, words in WORDS.items() for k in range(n_per_class)]


def tiny_model(task, blocks: tuple[str, ...] = ("ai-performers",)) -> CharLRModel:
    """A base whose n-gram weights are zero and whose biases favour neutral: it calls everything neutral."""
    grams = sorted({t[i:i + n] for text, _ in texts(12) for t in [text] for n in (1, 2) for i in range(len(t) - n + 1)})
    featurizer = Featurizer({g: i for i, g in enumerate(grams)}, np.ones(len(grams)), (1, 2), Lexicon({}, {}))
    d, k = featurizer.transform(["x"]).shape[1], len(task.classes)
    bias = np.zeros((1 + len(blocks), k))
    bias[0, task.classes.index("neutral")] = 1.0
    return CharLRModel("tiny-" + task.name, "tiny-1", task, featurizer, np.zeros((1 + len(blocks), d, k)), bias,
                       blocks, blocks[0] if blocks else None)


@pytest.fixture
def tiny_stance(tmp_path: Path) -> Path:
    directory = tmp_path / "tiny-stance"
    tiny_model(STANCE).save(directory)
    (directory / "card.json").write_text(json.dumps({"name": "tiny-stance", "version": "tiny-1", "task": "stance"}),
                                         encoding="utf-8")
    return directory


def _label(store: Store, pairs: list[tuple[str, str]], emotion: bool = False) -> None:
    as_emotion = {"oppose": "anger", "support": "joy", "neutral": "neutral"}
    rows = [label_row(TRACKER, None, None, text, "ann",
                      Choice("neutral", stance, as_emotion[stance] if emotion else None), "test")
            for text, stance in pairs]
    write_labels(Store(), rows, now=datetime(2026, 5, 1, tzinfo=UTC))


def test_stance_adapts_with_the_target_block_fixed(tiny_stance: Path, tmp_path: Path) -> None:
    store = Store()
    _label(store, texts(8))
    settings = AdaptSettings(base=str(tiny_stance), task="stance", folds=3, n_boot=200, strength=0.01)
    result = adapt(store, TRACKER, settings=settings, log=lambda m: None)
    assert result["task"] == "stance" and result["n_labels"] == 24
    assert result["cv_macro_f1_base"] < 0.3 and result["cv_macro_f1_adapted"] > 0.6
    assert result["cv_macro_f1_gain_ci95"][0] > 0 and result["verdict"] == "better"
    model = load_task_model(result["model"], STANCE, "unused", ())  # found by name in the data dir
    assert model.version == result["version"] and model.blocks == ("ai-performers",)
    assert re.fullmatch(rf"tiny-1-{TRACKER}\.[0-9a-f]{{8}}", result["version"])  # the weights' digest, 8 hex
    base = CharLRModel.load(tiny_stance)
    assert np.array_equal(model.weights[1], base.weights[1])  # the target block is left as it was
    held_out = texts(2, 9)
    assert [model.classes[i] for i in model.predict([t for t, _ in held_out])] == [s for _, s in held_out]
    card = json.loads((Path(result["model_dir"]) / "card.json").read_text(encoding="utf-8"))
    assert card["task"] == "stance" and card["adapted"]["tracker"] == TRACKER
    assert card["probability_columns"] == list(STANCE.classes)


def test_emotion_adapts_on_emotion_labels_and_stance_needs_its_own(tmp_path: Path) -> None:
    store = Store()
    _label(store, texts(8), emotion=True)
    directory = tmp_path / "tiny-emotion"
    tiny_model(EMOTION, blocks=()).save(directory)
    result = adapt(store, TRACKER, settings=AdaptSettings(base=str(directory), task="emotion", folds=3, n_boot=200,
                                                          strength=0.01), log=lambda m: None)
    assert result["provenance"]["label_counts"] == {"joy": 8, "anger": 8, "disgust": 0, "sadness": 0, "fear": 0,
                                                   "surprise": 0, "neutral": 8}
    assert result["cv_macro_f1_adapted"] > result["cv_macro_f1_base"] + 0.3
    with pytest.raises(AdaptError, match="prior method only"):
        adapt(store, TRACKER, settings=AdaptSettings(base=str(directory), task="emotion", method="refit"),
              log=lambda m: None)


def test_stance_needs_labels_of_two_classes(tiny_stance: Path) -> None:
    store = Store()
    _label(store, [(t, "neutral") for t, _ in texts(8)])
    with pytest.raises(AdaptError, match="two classes"):
        adapt(store, TRACKER, settings=AdaptSettings(base=str(tiny_stance), task="stance"), log=lambda m: None)


def test_cli_adapts_stance_reannotates_the_tracker_resumably_and_the_badge_names_it(
        tiny_stance: Path, make_record: Callable[..., Record], monkeypatch: pytest.MonkeyPatch) -> None:
    from analysis.nlp import enrich as enrich_module
    from analysis.nlp.enrich import enrich_store

    monkeypatch.setattr(enrich_module, "_task_model", lambda kind: CharLRModel.load(tiny_stance)
                        if kind == "stance" else None)
    store = Store()
    _label(store, texts(8))
    held_out = texts(2, 9)
    store.add_records([make_record(id=f"a{k}", text=t, trackers=[TRACKER]) for k, (t, _) in enumerate(held_out)]
                      + [make_record(id="b1", text="别的案子下头", trackers=["tilly-norwood"])])
    enrich_store(store, workers=1)
    runner = CliRunner()
    res = runner.invoke(cli, ["adapt", "--tracker", TRACKER, "--task", "stance", "--folds", "3", "--strength", "0.01",
                              "--base", str(tiny_stance), "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    name = json.loads(res.stdout.strip().splitlines()[-1])["model"]
    res = runner.invoke(cli, ["adapt", "--tracker", TRACKER, "--task", "stance", "--method", "refit"])
    assert res.exit_code != 0 and "prior method only" in res.output

    res = runner.invoke(cli, ["enrich", "--model", name], catch_exceptions=False)  # tracker from the model's card
    assert res.exit_code == 0, res.output
    assert f"re-annotated the stance of 6 records of tracker {TRACKER} with {name}" in res.output
    with store.connect() as con:
        newest = dict(con.execute(
            "SELECT id, stance FROM annotations QUALIFY row_number() OVER (PARTITION BY source, id "
            "ORDER BY annotated_at DESC) = 1").fetchall())
        entities = con.execute("SELECT count(DISTINCT pipeline_version) FROM annotations").fetchone()[0]
    assert [newest[f"a{k}"] for k in range(6)] == [s for _, s in held_out]
    assert newest["b1"] == "neutral"  # the other tracker keeps the base model's stance
    assert entities == 2
    res = runner.invoke(cli, ["enrich", "--model", name, "--tracker", TRACKER])
    assert "re-annotated the stance of 0 records" in res.output  # resumable: nothing twice

    with store.connect() as con:
        own = in_domain_badges(con, tracker=TRACKER)["stance"]
        other = in_domain_badges(con, tracker="tilly-norwood")["stance"]
    assert own["name"] == name and "adapted on 24 labels by 1 annotator: cross-validated macro-F1" in own["text"]
    assert other["name"] != name

    # the export manifest and the brief of the other tracker name its own stance model, not the adapted one
    from analysis.core.filters import Filters
    from analysis.reports.brief import gather
    from analysis.reports.export import export_bundle
    from collectors.trackers import get_tracker

    tilly = get_tracker("tilly-norwood")
    manifest = export_bundle(store, tilly, Filters(tilly.id), store.data_dir / "bundle").manifest
    assert manifest["model"]["in_domain"]["stance"]["name"] == other["name"] != name
    brief = gather(store, tilly, "2026-W17")
    assert brief.model["in_domain"]["stance"]["name"] == other["name"]
    nadou = get_tracker(TRACKER)
    manifest = export_bundle(store, nadou, Filters(TRACKER), store.data_dir / "bundle-own").manifest
    assert manifest["model"]["in_domain"]["stance"]["name"] == name


def test_gain_interval_counts_every_class_of_a_five_class_task() -> None:
    """Stance has five classes: the paired interval must score classes 3 and 4 too (it once scored 0–2 only)."""
    from sklearn.metrics import f1_score

    from analysis.nlp.adapt import paired_gain_ci

    y = np.tile(np.arange(5), 20)
    base = np.where(y >= 3, 0, y)  # right on classes 0–2, wrong on 3 and 4
    adapted = y.copy()
    gain = f1_score(y, adapted, average="macro") - f1_score(y, base, average="macro")
    lo, hi = paired_gain_ci(y, base, adapted, n_boot=200, k=5)
    assert lo > 0.3 and lo <= gain <= hi + 1e-9
    assert paired_gain_ci(y, base, adapted, n_boot=200) == (lo, hi)  # k found from the labels


def test_reannotating_redoes_a_tracker_when_only_the_models_english_route_changed(
        make_record: Callable[..., Record], monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    """An emotion model routing English rows to its English model (as adapting an English-labelled tracker leaves
    it: its own weights unchanged, its English model adapted) must re-annotate when only that English model changes;
    it once tagged rows with its own version alone, so a re-adapted English model was never applied."""
    from analysis.nlp import enrich as enrich_module
    from analysis.nlp.enrich import enrich_store
    from analysis.nlp.rescore import reannotate
    from analysis.nlp.sentiment.english import EnglishScorer

    def save_english(favoured: str, version: str) -> None:
        weights = np.zeros((3, len(EMOTION.classes)))  # features: words good, bad; char n-gram "go"
        weights[0, EMOTION.classes.index(favoured)] = 5.0
        english = EnglishScorer("tiny-emotion-en", version, (["good", "bad"], ["go"]), (np.ones(2), np.ones(1)),
                                weights, np.zeros(len(EMOTION.classes)), None, "emotion")
        english.save(data_dir / "models" / "tiny-emotion-en")
        (data_dir / "models" / "tiny-emotion-en" / "card.json").write_text(
            json.dumps({"name": "tiny-emotion-en", "version": version, "task": "emotion"}), encoding="utf-8")

    base = tiny_model(EMOTION, blocks=())
    model = CharLRModel("tiny-emotion", "tiny-1", EMOTION, base.featurizer, base.weights, base.bias,
                        english_route="tiny-emotion-en")
    model.save(data_dir / "models" / "tiny-emotion")
    (data_dir / "models" / "tiny-emotion" / "card.json").write_text(
        json.dumps({"name": "tiny-emotion", "version": "tiny-1", "task": "emotion"}), encoding="utf-8")
    save_english("joy", "en-1")
    monkeypatch.setattr(enrich_module, "_task_model", lambda kind: None)
    store = Store()
    store.add_records([make_record(id="e1", text="good good good", lang="en", trackers=[TRACKER])])
    enrich_store(store, workers=1)

    def newest() -> str:
        with store.connect() as con:
            return con.execute("SELECT emotion FROM annotations ORDER BY annotated_at DESC LIMIT 1").fetchone()[0]

    first = reannotate(store, "tiny-emotion", "emotion", TRACKER)
    assert first.scored == 1 and newest() == "joy"
    assert first.line().startswith("re-annotated the emotion of 1 records of tracker") and "scored" not in first.line()
    save_english("anger", "en-2")  # the English model re-adapted; the emotion model's own weights unchanged
    assert reannotate(store, "tiny-emotion", "emotion", TRACKER).scored == 1 and newest() == "anger"


def test_evaluate_stance_leaves_out_the_texts_the_adapted_model_was_trained_on(tiny_stance: Path,
                                                                             tmp_path: Path) -> None:
    store = Store()
    trained = texts(8)
    _label(store, trained)
    result = adapt(store, TRACKER, settings=AdaptSettings(base=str(tiny_stance), task="stance", folds=3, n_boot=200,
                                                          strength=0.01), log=lambda m: None)
    seen = {t for t, _ in trained}
    unseen = [(t, s) for t, s in texts(3, 9) if t not in seen]
    test_file = tmp_path / "mixed.csv"
    test_file.write_text("text,stance\n" + "".join(f"{t},{s}\n" for t, s in [*trained[:4], *unseen]),
                         encoding="utf-8")
    res = CliRunner().invoke(cli, ["evaluate", str(test_file), "--task", "stance", "--model", result["model"], "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["n"] == len(unseen) and report["left_out_trained_on"] == 4


def test_gain_interval_resamples_texts_not_rows_when_the_same_text_is_labelled_several_times() -> None:
    """Reposts of one text are labelled (and predicted) alike and the folds keep them together; the paired interval
    resamples them together too, so 4 copies of every text give the interval of the texts alone (row by row, the
    copies counted as independent items and the interval came out about half as wide)."""
    from analysis.nlp.adapt import paired_gain_ci

    rng = np.random.default_rng(36)
    y, b, a = rng.integers(0, 3, 80), rng.integers(0, 3, 80), rng.integers(0, 3, 80)
    a[:40] = y[:40]
    copies = [np.repeat(v, 4) for v in (y, b, a)]
    keys = np.repeat([f"text {i}" for i in range(80)], 4)
    alone = paired_gain_ci(y, b, a, n_boot=500, k=3)
    assert paired_gain_ci(*copies, n_boot=500, k=3, groups=keys) == pytest.approx(alone)
    lo, hi = paired_gain_ci(*copies, n_boot=500, k=3)
    assert hi - lo < 0.7 * (alone[1] - alone[0])


def _gain_population(rng: np.random.Generator):
    prior = np.array([0.3, 0.2, 0.5])
    base_rates = np.array([[0.7, 0.1, 0.2], [0.1, 0.6, 0.3], [0.15, 0.15, 0.7]]).cumsum(axis=1)
    adapted_rates = np.array([[0.75, 0.08, 0.17], [0.08, 0.67, 0.25], [0.12, 0.12, 0.76]]).cumsum(axis=1)

    def draw(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        y, u = rng.choice(3, n, p=prior), rng.random((n, 1))
        return y, (u > base_rates[y]).sum(axis=1), (u > adapted_rates[y]).sum(axis=1)

    return draw


@pytest.mark.slow
def test_gain_interval_over_reposted_texts_covers_the_true_gain() -> None:
    """150 label sets of 150 texts labelled 4 times each: the grouped interval holds the population gain ~92% of the
    time (the percentile bootstrap of a macro-F1 difference runs a little short at this size); row by row, ~63%."""
    from analysis.nlp.adapt import paired_gain_ci
    from analysis.nlp.metrics import confusion, macro_f1

    rng = np.random.default_rng(36)
    draw = _gain_population(rng)
    y, b, a = draw(200_000)
    truth = macro_f1(confusion(y, a)) - macro_f1(confusion(y, b))
    runs, covered, texts = 150, 0, 150
    keys = np.repeat(np.arange(texts), 4).astype(str)
    for _ in range(runs):
        y, b, a = (np.repeat(v, 4) for v in draw(texts))
        lo, hi = paired_gain_ci(y, b, a, n_boot=300, seed=int(rng.integers(2**31)), k=3, groups=keys)
        covered += lo <= truth <= hi
    assert 0.88 <= covered / runs <= 0.98


def test_enrich_keeps_a_re_adapted_stance_model_in_use(
        tiny_stance: Path, make_record: Callable[..., Record], monkeypatch: pytest.MonkeyPatch) -> None:
    """A stance model counted as in use (so `enrich` re-annotates new records with it) only if its current version had
    annotated something: adapted again (a new current version, not yet run), the tracker's new records got the general
    stance model, mixed into charts that showed the adapted one. Any version of it having annotated the tracker counts."""
    from analysis.nlp import enrich as enrich_module
    from analysis.nlp.enrich import enrich_store
    from analysis.nlp.rescore import reannotate

    monkeypatch.setattr(enrich_module, "_task_model", lambda kind: CharLRModel.load(tiny_stance)
                        if kind == "stance" else None)
    store = Store()
    _label(store, texts(8))
    store.add_records([make_record(id=f"a{k}", text=t, trackers=[TRACKER]) for k, (t, _) in enumerate(texts(1, 9))])
    enrich_store(store, workers=1)
    settings = AdaptSettings(base=str(tiny_stance), task="stance", folds=3, n_boot=200, strength=0.01)
    first = adapt(store, TRACKER, settings=settings, log=lambda m: None)
    assert reannotate(store, first["model"], "stance", TRACKER).scored == 3
    _label(store, texts(11, 3))
    second = adapt(store, TRACKER, settings=settings, log=lambda m: None)
    assert second["current"] and second["version"] != first["version"]
    store.add_records([make_record(id="new1", text="评论区下头其实", trackers=[TRACKER])])
    res = CliRunner().invoke(cli, ["enrich", "--workers", "1", "--quiet"])
    assert res.exit_code == 0, res.output
    assert f"re-annotated the stance of 4 records of tracker {TRACKER} with {second['model']}" in res.output, res.output


def test_a_kept_emotion_version_loaded_by_its_folder_uses_its_own_english_model(data_dir: Path) -> None:
    """A kept version (history/<hash>/) names its English route by name; loaded by its folder it read English rows with
    the current version's English model (found by that name); it now reads them with the one kept beside it."""
    from analysis.nlp.adapt_versions import ENGLISH
    from analysis.nlp.sentiment.english import EnglishScorer

    def save_english(folder: Path, version: str) -> None:
        english = EnglishScorer("tiny-emotion-en", version, (["good", "bad"], ["go"]), (np.ones(2), np.ones(1)),
                                np.zeros((3, len(EMOTION.classes))), np.zeros(len(EMOTION.classes)), None, "emotion")
        english.save(folder)
        (folder / "card.json").write_text(json.dumps({"name": "tiny-emotion-en", "version": version,
                                                      "task": "emotion"}), encoding="utf-8")

    base = tiny_model(EMOTION, blocks=())
    kept = data_dir / "models" / "tiny-emotion" / "history" / "0123456789abcdef"
    CharLRModel("tiny-emotion", "tiny-1", EMOTION, base.featurizer, base.weights, base.bias,
                english_route="tiny-emotion-en").save(kept)
    (kept / "card.json").write_text(json.dumps({"name": "tiny-emotion", "version": "tiny-1", "task": "emotion"}),
                                    encoding="utf-8")
    save_english(kept / ENGLISH, "en-kept")
    save_english(data_dir / "models" / "tiny-emotion-en", "en-current")
    assert load_task_model(str(kept), EMOTION, "default", ()).english.version == "en-kept"
