"""The labelled corpus's own agreement (its blind second pass), shown on Methods as the models' ceiling."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sklearn.metrics import cohen_kappa_score, f1_score

from analysis.nlp.agreement import corpus_agreement
from collectors.paths import bundled_dir
from dashboard.model_info import agreement_table

COLUMNS = ["item", "text", "lang", "url", "label", "stance", "emotion", "confidence",
           "label_2", "stance_2", "emotion_2", "confidence_2"]


def _write(path: Path, rows: list[tuple[str, str, str, str, str, str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(COLUMNS)
        for i, (lang, s1, s2, st1, st2, e1, e2) in enumerate(rows, 1):
            out.writerow([i, f"unit {i}", lang, "https://example.org", s1, st1, e1, "high", s2, st2, e2, "high"])
    return path


ROWS = [  # (lang, label, label_2, stance, stance_2, emotion, emotion_2)
    ("zh", "0", "0", "oppose", "oppose", "anger", "anger"),
    ("zh", "0", "2", "oppose", "neutral", "anger", "neutral"),
    ("zh", "1", "1", "support", "support", "joy", "joy"),
    ("zh", "2", "2", "neutral", "neutral", "neutral", "neutral"),
    ("en", "2", "0", "neutral", "oppose", "neutral", "fear"),
    ("en", "1", "1", "support", "support", "joy", "joy"),
    ("en", "0", "0", "oppose", "conditional", "fear", "fear"),
    ("en", "2", "2", "neutral", "neutral", "neutral", "neutral"),
]


def test_second_labeller_is_scored_against_the_first_per_task_and_language(tmp_path):
    rows = corpus_agreement(_write(tmp_path / "second_pass.csv", ROWS), n_boot=50)
    by = {(r["task"], r["language"]): r for r in rows}
    assert set(by) == {(t, lang) for t in ("sentiment", "stance", "emotion") for lang in ("all", "zh", "en")}
    first, second = [r[1] for r in ROWS], [r[2] for r in ROWS]
    assert by["sentiment", "all"]["n"] == 8
    assert by["sentiment", "all"]["agreement"] == pytest.approx(6 / 8)
    assert by["sentiment", "all"]["kappa"] == pytest.approx(cohen_kappa_score(first, second), abs=1e-4)
    assert by["sentiment", "all"]["macro_f1"] == pytest.approx(f1_score(first, second, average="macro"), abs=1e-4)
    zh_stance = [(r[3], r[4]) for r in ROWS if r[0] == "zh"]
    assert by["stance", "zh"]["agreement"] == pytest.approx(sum(a == b for a, b in zh_stance) / 4)
    lo, hi = by["emotion", "en"]["macro_f1_ci95"]
    assert lo <= by["emotion", "en"]["macro_f1"] <= hi


def test_unreadable_labels_are_left_out_and_a_missing_file_gives_nothing(tmp_path):
    rows = corpus_agreement(_write(tmp_path / "p.csv", [*ROWS, ("zh", "", "1", "oppose", "oppose", "joy", "joy")]),
                            n_boot=20)
    assert {r["n"] for r in rows if r["task"] == "sentiment" and r["language"] == "all"} == {8}
    assert {r["n"] for r in rows if r["task"] == "stance" and r["language"] == "all"} == {9}
    assert corpus_agreement(tmp_path / "absent.csv") == []


def test_shipped_second_pass_gives_the_readme_kappas():
    if not (bundled_dir() / "labelled" / "second_pass.csv").is_file():
        pytest.skip("the labelled corpus is not in this install (data/labelled is shipped with the repository)")
    by = {(r["task"], r["language"]): r for r in corpus_agreement(n_boot=20)}
    # data/labelled/README.md: sentiment 0.694, stance 0.635, emotion 0.602 on all 364
    assert by["sentiment", "all"]["n"] == 364
    assert (by["sentiment", "all"]["kappa"], by["stance", "all"]["kappa"], by["emotion", "all"]["kappa"]) == \
        pytest.approx((0.694, 0.635, 0.602), abs=6e-4)


def test_methods_table_puts_the_models_test_figure_beside_the_labellers(tmp_path, monkeypatch):
    import dashboard.model_info as mi

    monkeypatch.setattr(mi, "corpus_agreement", lambda: corpus_agreement(_write(tmp_path / "p.csv", ROWS), n_boot=20))
    mi._labellers.cache_clear()
    card = {"in_domain": {"test": {"macro_f1": 0.59, "macro_f1_ci95": [0.55, 0.62],
                                   "by_lang": {"zh": {"macro_f1": 0.6, "macro_f1_ci95": [0.5, 0.7]}}}}}
    rows = {(r["task"], r["language"]): r for r in agreement_table({"sentiment": card, "stance": None})}
    assert rows["sentiment", "all"]["model's macro-F1 (test)"] == 0.59
    assert rows["sentiment", "all"]["raw agreement"] == 0.75
    assert rows["sentiment", "zh"]["model 95% CI"] == "0.50–0.70"
    assert rows["sentiment", "en"]["model's macro-F1 (test)"] is None
    assert rows["stance", "all"]["model's macro-F1 (test)"] is None
    mi._labellers.cache_clear()  # the next reader computes the shipped file's figures


def test_the_second_pass_resamples_pages_not_rows(tmp_path):
    """The second pass has several rows from one page (364 rows from 266 urls): its macro-F1 interval resampled
    rows; it now resamples urls, and says so."""
    import numpy as np

    from analysis.nlp.metrics import evaluate_classes
    from analysis.nlp.tasks import SENTIMENT

    path = _write(tmp_path / "second_pass.csv", ROWS * 3)
    with path.open(encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    for i, row in enumerate(table[1:]):
        row[COLUMNS.index("url")] = f"https://example.org/{i // 4}"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(table)
    rows = {(r["task"], r["language"]): r for r in corpus_agreement(path, n_boot=200)}
    first = [SENTIMENT.index(r[1]) for r in ROWS * 3]
    second = [SENTIMENT.index(r[2]) for r in ROWS * 3]
    pages = np.array([f"https://example.org/{i // 4}" for i in range(24)])
    expected = evaluate_classes(first, second, SENTIMENT.classes, n_boot=200, groups=pages)
    assert rows["sentiment", "all"]["macro_f1_ci95"] == expected["macro_f1_ci95"]
    assert rows["sentiment", "all"]["resampled"] == "url"
