"""Adapting a tracker's model again: every version kept, a worse one never made current silently, and a way back."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.nlp import adapt as adapt_module
from analysis.nlp.adapt import adapt
from analysis.nlp.sentiment import get_scorer
from collectors.models import Record
from collectors.store import Store
from dashboard.cli import cli
from tests.test_adapt import HP, TRACKER, _label, _settings, make_tiny_base, topic_texts


@pytest.fixture
def tiny_base(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return make_tiny_base(monkeypatch, tmp_path)


def _adapt(store: Store, base: Path) -> dict:
    return adapt(store, TRACKER, None, _settings(base, method="prior", strength=0.05), HP, log=lambda m: None)


def test_a_worse_adaptation_is_kept_but_not_made_current(tiny_base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Adapting again overwrote the tracker's adapted weights even when the new model's verdict was "worse": a
    researcher lost the better model. The new version is now kept beside it, the better one stays current, the report
    says so, and `adapt --use VERSION` makes any kept version current."""
    store = Store()
    _label(store, topic_texts(8))
    first = _adapt(store, tiny_base)
    assert first["verdict"] == "better" and first["current"] is True
    _label(store, topic_texts(11, 5), annotator="bob")
    monkeypatch.setattr(adapt_module, "verdict", lambda gain_ci: "worse")
    second = _adapt(store, tiny_base)
    assert second["version"] != first["version"]
    assert second["current"] is False and second["current_version"] == first["version"]
    assert "worse" in second["kept_because"]
    assert get_scorer(first["model"]).version == first["version"]  # the better model is still the one in use
    assert Path(second["version_dir"]).is_dir()  # the new one is kept, not lost

    runner = CliRunner()
    res = runner.invoke(cli, ["adapt", "--tracker", TRACKER, "--use", second["version"]], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert get_scorer(first["model"]).version == second["version"]
    res = runner.invoke(cli, ["adapt", "--tracker", TRACKER, "--use", first["version"], "--json"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.output
    said = json.loads(res.stdout)
    assert said["current_version"] == first["version"] and said["replaced_version"] == second["version"]
    assert get_scorer(first["model"]).version == first["version"]
    res = runner.invoke(cli, ["adapt", "--tracker", TRACKER, "--use", first["version"], "--json"])
    assert json.loads(res.stdout)["replaced_version"] is None  # already current: nothing replaced
    res = runner.invoke(cli, ["adapt", "--tracker", TRACKER, "--use", "nope"])
    assert res.exit_code == 1 and first["version"] in res.output and second["version"] in res.output


def test_a_worse_first_adaptation_leaves_the_tracker_on_the_base(tiny_base: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store()
    _label(store, topic_texts(8))
    monkeypatch.setattr(adapt_module, "verdict", lambda gain_ci: "worse")
    result = _adapt(store, tiny_base)
    assert result["current"] is False and result["current_version"] is None
    with pytest.raises(ValueError, match="no current version"):
        get_scorer(result["model"])
    res = CliRunner().invoke(cli, ["adapt", "--tracker", TRACKER, "--use", result["version"]], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert get_scorer(result["model"]).version == result["version"]


def test_a_not_better_adaptation_does_not_replace_a_better_one(tiny_base: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store()
    _label(store, topic_texts(8))
    first = _adapt(store, tiny_base)
    _label(store, topic_texts(11, 5), annotator="bob")
    monkeypatch.setattr(adapt_module, "verdict", lambda gain_ci: "no clear difference")
    second = _adapt(store, tiny_base)
    assert second["current"] is False and "better" in second["kept_because"]
    assert get_scorer(first["model"]).version == first["version"]


def test_the_text_report_says_what_was_kept(tiny_base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store()
    _label(store, topic_texts(8))
    first = _adapt(store, tiny_base)
    _label(store, topic_texts(11, 5), annotator="bob")
    monkeypatch.setattr(adapt_module, "verdict", lambda gain_ci: "worse")
    res = CliRunner().invoke(cli, ["adapt", "--tracker", TRACKER, "--folds", "3", "--strength", "0.05",
                                   "--base", str(tiny_base)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert f"still current: {first['version']}" in res.stdout, res.stdout
    assert "--use" in res.stdout


def test_charts_follow_the_version_made_current(tiny_base: Path, make_record: Callable[..., Record]) -> None:
    """Going back to an earlier version, the tracker's charts kept showing the newest scores (of the version gone back
    from): they now show the current version's scores once it has scored the tracker, and `enrich --model` resumes."""
    from analysis.nlp.model_info import latest_model_version
    from analysis.nlp.rescore import rescore

    store = Store()
    store.add_records([make_record(id=f"a{k}", text=t, trackers=[TRACKER]) for k, (t, _) in enumerate(topic_texts(2, 9))])
    _label(store, topic_texts(8))
    first = _adapt(store, tiny_base)
    rescore(store, first["model"], TRACKER)
    _label(store, topic_texts(11, 5), annotator="bob")
    second = _adapt(store, tiny_base)
    assert second["current"] is True
    assert rescore(store, second["model"], TRACKER).scored == 6
    with store.connect() as con:
        assert latest_model_version(con, TRACKER).split("+")[0] == second["version"]
    res = CliRunner().invoke(cli, ["adapt", "--tracker", TRACKER, "--use", first["version"]], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    with store.connect() as con:
        assert latest_model_version(con, TRACKER).split("+")[0] == first["version"]
    assert rescore(store, first["model"], TRACKER).scored == 0  # its scores are all there: nothing to redo


def test_a_rescore_running_while_adapting_makes_a_new_version_current_scores_with_one_version(
        tiny_base: Path, tmp_path: Path, make_record: Callable[..., Record], monkeypatch: pytest.MonkeyPatch) -> None:
    """`enrich --model NAME` looked its English route up by name for every batch: a new version made current while it
    ran (`adapt` again) scored the later batches' English rows with the new English model, stored under the version
    it started with. Every row is now scored by the models the run loaded, named by their versions."""
    import numpy as np

    from analysis.nlp.adapt_versions import ENGLISH
    from analysis.nlp.rescore import rescore
    from analysis.nlp.sentiment.english import EnglishScorer
    from tests.test_adapt import _route_english, english_texts

    _route_english(tiny_base, tmp_path)
    store = Store()
    _label(store, topic_texts(8) + english_texts(8))
    settings = _settings(tiny_base, method="prior", strength=0.05, english_strength=0.05)
    first = adapt(store, TRACKER, None, settings, HP, log=lambda m: None)
    english_records = [t for t, _ in english_texts(2, 9)]
    store.add_records([make_record(id=f"b{k}", text=t, lang="en", trackers=[TRACKER])
                       for k, t in enumerate(english_records)])
    monkeypatch.setattr(adapt_module, "verdict", lambda gain_ci: "better")

    def adapt_again(batch: int) -> None:
        if batch == 1:
            _label(store, english_texts(11, 4), annotator="bob")
            second = adapt(store, TRACKER, None, settings, HP, log=lambda m: None)
            assert second["current"] and second["version"] != first["version"]

    summary = rescore(store, first["model"], TRACKER, batch_size=2, on_batch=adapt_again)
    assert summary.model_version.split("+")[0] == first["version"]
    old_english = EnglishScorer.load(Path(first["version_dir"]) / ENGLISH)
    with store.connect() as con:
        rows = con.execute("SELECT id, model_version, p_neg, p_neu, p_pos FROM scores ORDER BY id").fetchall()
    assert {r[1] for r in rows} == {f"{first['version']}+{old_english.version}"}
    expected = old_english.predict_proba(english_records)
    assert np.allclose(np.array([r[2:] for r in rows]), expected, atol=1e-6)


def test_two_adapt_runs_at_once_decide_in_turn(tiny_base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two `adapt` runs for one tracker at once (cron and by hand) each read which version was current, then each
    installed its own: the second, not better, replaced the first, better one, having judged it against what was
    current before either. Runs now take turns deciding and installing."""
    import threading

    from analysis.nlp import adapt_versions

    store = Store()
    _label(store, topic_texts(8))
    monkeypatch.setattr(adapt_module, "verdict",
                        lambda gain_ci: "better" if threading.current_thread().name == "A" else "no clear difference")
    b_read = threading.Event()
    real_read, real_install = adapt_versions.repaired_current, adapt_versions.install

    def read(directory: Path) -> object:
        out = real_read(directory)
        if threading.current_thread().name == "B":
            b_read.set()
        return out

    def install(directory: Path, kept: Path) -> None:
        if threading.current_thread().name == "A":
            b_read.wait(timeout=3)  # without turns, B reads what is current before A installs
        real_install(directory, kept)

    monkeypatch.setattr(adapt_versions, "repaired_current", read)
    monkeypatch.setattr(adapt_versions, "install", install)
    results: dict[str, dict] = {}

    def run(name: str, strength: float) -> None:
        results[name] = adapt(store, TRACKER, None, _settings(tiny_base, method="prior", strength=strength), HP,
                              log=lambda m: None)

    a = threading.Thread(target=run, args=("A", 0.05), name="A")
    a.start()
    while not any(p.name == "history" for p in (Path(store.data_dir) / "models").rglob("history")) and a.is_alive():
        threading.Event().wait(0.05)
    b = threading.Thread(target=run, args=("B", 5.0), name="B")
    b.start()
    a.join(timeout=120)
    b.join(timeout=120)
    assert results["A"]["current"] and not results["B"]["current"], (results["A"]["current"], results["B"]["current"])
    assert get_scorer(results["A"]["model"]).version == results["A"]["version"]


def test_in_a_checkout_adapted_models_stay_out_of_the_shipped_models_folder(
        tiny_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a repository checkout the data dir is the repository's data/, so `<data dir>/models` was the shipped models'
    folder: an adapted model (its card naming the annotators) landed among the shipped ones as files git offers to
    commit, and every adapted card was listed twice (once as shipped), so Methods showed it twice and `enrich`
    re-scored with it twice. Models made here now go to data/local-models/ (ignored by git)."""
    from analysis.nlp.model_info import adapted_cards
    from collectors import paths

    repo_data = tmp_path / "checkout" / "data"
    (repo_data / "models").mkdir(parents=True)
    (repo_data / "trackers.toml").write_bytes((paths.bundled_dir() / "trackers.toml").read_bytes())
    (repo_data / "dicts").symlink_to(paths.bundled_dir() / "dicts")
    monkeypatch.setattr(paths, "_REPO_DATA", repo_data)
    monkeypatch.delenv("ACTORWATCH_DATA")
    monkeypatch.delenv("ACTORWATCH_MODELS_DIR", raising=False)
    assert paths.in_checkout() and paths.data_dir() == repo_data.resolve()
    store = Store()
    _label(store, topic_texts(8))
    result = _adapt(store, tiny_base)
    assert not any((repo_data / "models").iterdir())
    assert Path(result["model_dir"]).parent == repo_data.resolve() / "local-models"
    assert [c["name"] for c in adapted_cards()] == [result["model"]]
    assert get_scorer(result["model"]).version == result["version"]
    ignored = (Path(__file__).resolve().parents[1] / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "data/local-models/" in ignored


def test_a_kept_version_loaded_by_its_folder_scores_english_with_its_own_english_route(
        tiny_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kept version names its English route by name, so loaded from its history folder (e.g. `evaluate --model
    <history path>`) it scored English rows with the current version's English model; it now uses the English model
    kept beside it."""
    from analysis.nlp.adapt_versions import ENGLISH
    from analysis.nlp.sentiment import RoutedScorer, english_scorer
    from analysis.nlp.sentiment.english import EnglishScorer
    from tests.test_adapt import _route_english, english_texts

    _route_english(tiny_base, tmp_path)
    store = Store()
    _label(store, topic_texts(8) + english_texts(8))
    settings = _settings(tiny_base, method="prior", strength=0.05, english_strength=0.05)
    monkeypatch.setattr(adapt_module, "verdict", lambda gain_ci: "better")
    first = adapt(store, TRACKER, None, settings, HP, log=lambda m: None)
    _label(store, english_texts(11, 4), annotator="bob")
    second = adapt(store, TRACKER, None, settings, HP, log=lambda m: None)
    assert second["current"] and second["version"] != first["version"]
    kept_english = EnglishScorer.load(Path(first["version_dir"]) / ENGLISH)
    assert english_scorer(get_scorer(second["model"])).version != kept_english.version  # the current one's
    kept = get_scorer(first["version_dir"])
    assert kept.version == first["version"]
    assert english_scorer(kept).version == kept_english.version
    assert RoutedScorer(first["version_dir"]).version == f"{first['version']}+{kept_english.version}"


def test_a_model_without_a_current_version_says_how_to_make_one_current(tiny_base: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """After a first adaptation that was worse there is no current adapted model: `enrich --model NAME` said only
    "unknown sentiment model", as if nothing had been adapted. It now names the kept versions and `adapt --use`."""
    store = Store()
    _label(store, topic_texts(8))
    monkeypatch.setattr(adapt_module, "verdict", lambda gain_ci: "worse")
    result = _adapt(store, tiny_base)
    res = CliRunner().invoke(cli, ["enrich", "--model", result["model"], "--tracker", TRACKER])
    assert res.exit_code == 1
    assert "unknown" not in res.output and "no current version" in res.output, res.output
    assert result["version"] in res.output and f"adapt --tracker {TRACKER} --task sentiment --use" in res.output


def test_use_base_takes_the_tracker_back_to_the_general_model(tiny_base: Path,
                                                              make_record: Callable[..., Record]) -> None:
    """A researcher who adapted and regretted it could put the tracker's charts back on the general model only by
    deleting files. `adapt --use base` now does it: no adapted version is current (all stay kept), the charts show the
    general model's scores, and `--use VERSION` still goes back to any kept version."""
    from analysis.nlp.model_info import adapted_cards, latest_model_version
    from analysis.nlp.rescore import rescore

    store = Store()
    store.add_records([make_record(id=f"a{k}", text=t, trackers=[TRACKER]) for k, (t, _) in enumerate(topic_texts(2, 9))])
    general = rescore(store, str(tiny_base), TRACKER).model_version
    _label(store, topic_texts(8))
    first = _adapt(store, tiny_base)
    assert first["current"]
    rescore(store, first["model"], TRACKER)  # the newest scores are the adapted model's
    with store.connect() as con:
        assert latest_model_version(con, TRACKER).split("+")[0] == first["version"]

    runner = CliRunner()
    res = runner.invoke(cli, ["adapt", "--tracker", TRACKER, "--use", "base", "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    said = json.loads(res.stdout)
    assert said["current_version"] is None and said["replaced_version"] == first["version"]
    assert not adapted_cards()
    with pytest.raises(ValueError, match="no current version"):
        get_scorer(first["model"])
    with store.connect() as con:
        assert latest_model_version(con, TRACKER) == general
    assert Path(first["version_dir"]).is_dir()
    text = runner.invoke(cli, ["adapt", "--tracker", TRACKER, "--use", "base"], catch_exceptions=False)
    assert text.exit_code == 0 and "already" in text.stdout, text.output

    res = runner.invoke(cli, ["adapt", "--tracker", TRACKER, "--use", first["version"]], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    with store.connect() as con:
        assert latest_model_version(con, TRACKER).split("+")[0] == first["version"]


def test_a_model_installed_half_way_is_never_loaded_as_an_unversioned_model(tiny_base: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Installing a version copies model.npz, then card.json (taking one out of use removes them one by one): a run
    stopped in between left a model.npz with no card in the model's folder, which loading by name read as an
    'unversioned-…' model, its scores kept under that made-up version. Such a folder is now refused by name, and
    making a kept version current again puts it right."""
    from analysis.nlp import adapt_versions
    from analysis.nlp.sentiment.linear import CARD_FILE

    store = Store()
    _label(store, topic_texts(8))
    copy = adapt_versions._copy

    def stopped(source: Path, target: Path) -> None:
        if target.name == CARD_FILE and adapt_versions.HISTORY not in target.parts:
            raise KeyboardInterrupt
        copy(source, target)

    monkeypatch.setattr(adapt_versions, "_copy", stopped)
    with pytest.raises(KeyboardInterrupt):
        _adapt(store, tiny_base)
    monkeypatch.setattr(adapt_versions, "_copy", copy)
    (kept,) = adapt_versions.kept_versions(get_user_models(), TRACKER, "sentiment")
    folder = kept.model_directory
    assert (folder / "model.npz").exists() and not (folder / CARD_FILE).exists()
    with pytest.raises(ValueError, match="no card"):
        get_scorer(kept.card["name"])
    res = CliRunner().invoke(cli, ["adapt", "--tracker", TRACKER, "--use", kept.version], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert get_scorer(kept.card["name"]).version == kept.version


def get_user_models() -> Path:
    from analysis.nlp.sentiment import user_models_dir

    return user_models_dir()
