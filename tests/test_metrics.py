"""Metrics against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.nlp.metrics import (
    accuracy,
    bootstrap_ci,
    confusion,
    evaluate_classes,
    evaluate_predictions,
    expected_calibration_error,
    macro_f1,
    per_class,
    predict_binary,
    predict_labels,
)

# labels: 0 neg, 1 pos, 2 neu; proba columns: neg, neu, pos
NEG, NEU, POS = [0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]


def test_confusion_and_per_class_by_hand() -> None:
    y_true = [0, 0, 1, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 2, 2]
    cm = confusion(y_true, y_pred)
    assert cm.tolist() == [[1, 1, 0], [0, 2, 1], [0, 0, 1]]
    stats = per_class(cm)
    # neg: P 1/1, R 1/2, F1 2/3; pos: P 2/3, R 2/3, F1 2/3; neu: P 1/2, R 1, F1 2/3
    assert stats["precision"] == pytest.approx([1.0, 2 / 3, 0.5])
    assert stats["recall"] == pytest.approx([0.5, 2 / 3, 1.0])
    assert stats["f1"] == pytest.approx([2 / 3, 2 / 3, 2 / 3])
    assert macro_f1(cm) == pytest.approx(2 / 3)
    assert accuracy(cm) == pytest.approx(4 / 6)


def test_macro_f1_skips_absent_true_classes_but_counts_neutral_predictions_as_misses() -> None:
    cm = confusion([0, 0, 1, 1], [0, 2, 1, 1])
    # neg: P 1, R .5, F1 2/3; pos: P 1, R 1, F1 1 → macro over present classes = 5/6
    assert macro_f1(cm) == pytest.approx(5 / 6)


def test_predictions_from_probabilities() -> None:
    proba = np.array([NEG, NEU, POS, [0.3, 0.5, 0.2]])
    assert predict_labels(proba).tolist() == [0, 2, 1, 2]
    assert predict_binary(proba).tolist() == [0, 0, 1, 0]  # a tie (0.1 vs 0.1) is not positive


def test_evaluate_contract_by_hand() -> None:
    y = [0, 1, 1, 2]
    proba = np.array([NEG, POS, [0.5, 0.2, 0.3], NEU])
    r = evaluate_predictions(y, proba, n_boot=200)
    assert r["n"] == 4 and r["accuracy"] == 0.75
    # binary rows 0,1,1 → preds 0,1,0 → acc 2/3; F1 neg: P .5 R 1 → 2/3, pos: P 1 R .5 → 2/3
    assert r["binary_n"] == 3 and r["binary_accuracy"] == pytest.approx(0.6667, abs=1e-4)
    assert r["binary_macro_f1"] == pytest.approx(0.6667, abs=1e-4)
    assert r["confusion"]["matrix"] == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    lo, hi = r["accuracy_ci95"]
    assert 0 <= lo <= r["accuracy"] <= hi <= 1
    assert set(r["per_class"]) == {"negative", "positive", "neutral"}


def test_bootstrap_is_seeded_and_degenerate_when_perfect() -> None:
    y = np.array([0, 1, 2] * 20)
    assert bootstrap_ci(y, y)["accuracy"] == (1.0, 1.0)
    noisy = y.copy()
    noisy[:10] = 2
    assert bootstrap_ci(y, noisy, seed=1) == bootstrap_ci(y, noisy, seed=1)
    lo, hi = bootstrap_ci(y, noisy)["macro_f1"]
    assert lo < macro_f1(confusion(y, noisy)) < hi


def test_ece_by_hand() -> None:
    # two rows at confidence 0.8: one right, one wrong → |0.5 - 0.8| = 0.3
    proba = np.array([NEG, NEG])
    assert expected_calibration_error(proba, [0, 1]) == pytest.approx(0.3)


def test_shape_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError):
        evaluate_predictions([0, 1], np.ones((3, 3)) / 3)


def test_ece_scope_follows_the_file() -> None:
    y3 = evaluate_predictions([0, 2], np.array([NEG, NEU]), n_boot=100)
    assert y3["ece_scope"] == "3-class"
    yb = evaluate_predictions([0, 1], np.array([NEG, [0.2, 0.6, 0.2 + 1e-9]]), n_boot=100)
    assert yb["ece_scope"].startswith("binary") and 0 <= yb["ece"] <= 1


def test_resampled_statistics_equal_the_sklearn_metrics() -> None:
    """The vectorised bootstrap statistics compute exactly what accuracy/macro_f1 (sklearn) compute."""
    from analysis.nlp.metrics import _resampled, _resampled_f_avg

    rng = np.random.default_rng(3)
    for k in (2, 3, 5):
        t = rng.integers(0, k, size=(20, 40))
        t[0] = 0  # a sample where only one class is present
        p = rng.integers(0, k, size=(20, 40))
        acc, f1 = _resampled("accuracy", k)(t, p), _resampled("macro_f1", k)(t, p)
        fav = _resampled_f_avg((0, 1))(t, p)
        for i in range(len(t)):
            cm = confusion(t[i], p[i], k)
            assert acc[i] == pytest.approx(accuracy(cm))
            assert f1[i] == pytest.approx(macro_f1(cm))
            assert fav[i] == pytest.approx(per_class(cm)["f1"][[0, 1]].mean())


def test_a_file_without_positive_or_negative_rows_has_an_empty_binary_part_not_a_crash() -> None:
    """`actorwatch evaluate` on a neutral-only file: sklearn's confusion_matrix refuses empty input, so the binary
    figures (rows labelled 0/1) once raised ValueError instead of reporting binary_n 0."""
    report = evaluate_predictions([2, 2, 2], np.array([[0.2, 0.5, 0.3], [0.1, 0.3, 0.6], [0.3, 0.4, 0.3]]), n_boot=50)
    assert report["n"] == 3 and report["accuracy"] == round(2 / 3, 4)
    assert report["binary_n"] == 0 and report["binary_accuracy_ci95"] == [0.0, 0.0]
    assert confusion([], [], 5).shape == (5, 5) and not confusion([], [], 5).any()


@pytest.mark.slow
def test_bootstrap_intervals_cover_the_population_accuracy_and_macro_f1_about_95_times_in_100():
    # a 3-class classifier with known confusion rates; the population figures from 200,000 rows, then 200 test sets
    # of 200 rows each: the percentile intervals must hold them about 95% of the time
    rng = np.random.default_rng(36)
    prior = np.array([0.3, 0.2, 0.5])
    rates = np.array([[0.7, 0.1, 0.2], [0.1, 0.6, 0.3], [0.15, 0.15, 0.7]])

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.choice(3, n, p=prior)
        return y, (rng.random((n, 1)) > rates[y].cumsum(axis=1)).sum(axis=1)

    y, p = draw(200_000)
    truth = {"accuracy": accuracy(confusion(y, p)), "macro_f1": macro_f1(confusion(y, p))}
    covered = {"accuracy": 0, "macro_f1": 0}
    runs = 200
    for _ in range(runs):
        ci = bootstrap_ci(*draw(200), n_boot=400, seed=int(rng.integers(2**31)))
        for name in covered:
            covered[name] += ci[name][0] <= truth[name] <= ci[name][1]
    for name, hits in covered.items():
        assert 0.92 <= hits / runs <= 0.98, (name, hits / runs)


def test_copies_of_a_text_are_resampled_together_so_they_do_not_narrow_the_interval() -> None:
    """Reposts labelled alike are one item: 4 copies of each text give the interval of the texts alone."""
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 60)
    p = np.where(rng.random(60) < 0.6, y, rng.integers(0, 3, 60))
    keys = np.array([f"text {i}" for i in range(60)])
    alone = evaluate_classes(y, p, ("a", "b", "c"), n_boot=300, groups=keys)
    copies = evaluate_classes(np.repeat(y, 4), np.repeat(p, 4), ("a", "b", "c"), n_boot=300,
                              groups=np.repeat(keys, 4))
    rows = evaluate_classes(np.repeat(y, 4), np.repeat(p, 4), ("a", "b", "c"), n_boot=300)
    for name in ("macro_f1_ci95", "accuracy_ci95"):
        assert copies[name] == alone[name]
        assert rows[name][1] - rows[name][0] < alone[name][1] - alone[name][0]  # row by row: too narrow
    assert "text" in copies["bootstrap"]["method"]


def test_the_stance_f_avg_interval_resamples_groups_too() -> None:
    """With `groups`, accuracy and macro-F1 resampled groups but f_avg still resampled rows: 4 copies of each text gave
    an f_avg interval half as wide as the texts' own; it now resamples the groups as the others do."""
    from analysis.nlp.tasks import STANCE

    rng = np.random.default_rng(5)
    y = rng.integers(0, 5, 80)
    p = np.where(rng.random(80) < 0.6, y, rng.integers(0, 5, 80))
    keys = np.array([f"page {i}" for i in range(80)])
    pair = (STANCE.classes.index("support"), STANCE.classes.index("oppose"))
    alone = evaluate_classes(y, p, STANCE.classes, n_boot=300, f_avg_pair=pair, groups=keys)
    copies = evaluate_classes(np.repeat(y, 4), np.repeat(p, 4), STANCE.classes, n_boot=300, f_avg_pair=pair,
                              groups=np.repeat(keys, 4))
    rows = evaluate_classes(np.repeat(y, 4), np.repeat(p, 4), STANCE.classes, n_boot=300, f_avg_pair=pair)
    assert copies["f_avg_ci95"] == alone["f_avg_ci95"]
    assert rows["f_avg_ci95"][1] - rows["f_avg_ci95"][0] < alone["f_avg_ci95"][1] - alone["f_avg_ci95"][0]
    assert rows["bootstrap"]["resampled"] == "rows" and copies["bootstrap"]["resampled"] == "text"
