"""The labelled corpus's split builder: --extend adds later batches to train and leaves dev and test as shipped."""

from __future__ import annotations

import csv
import runpy
import shutil
from pathlib import Path

import pytest

LABELLED = Path(__file__).resolve().parents[1] / "data" / "labelled"
NAMES = ("train", "dev", "test", "synthetic_train")


def _main():
    return runpy.run_path(str(LABELLED / "build_splits.py"))["main"]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture()
def shipped(tmp_path: Path) -> Path:
    for name in NAMES:
        shutil.copy(LABELLED / f"{name}.csv", tmp_path / f"{name}.csv")
    return tmp_path


def test_extend_without_batches_rewrites_the_shipped_files_byte_for_byte(shipped: Path) -> None:
    assert _main()(["--extend", "--out", str(shipped)]) == 0
    for name in NAMES:
        assert (shipped / f"{name}.csv").read_bytes() == (LABELLED / f"{name}.csv").read_bytes(), name


def test_extend_adds_new_units_to_train_only_and_keeps_held_out_pages_out(shipped: Path, tmp_path: Path) -> None:
    test_row = _rows(shipped / "test.csv")[0]
    train_row = _rows(shipped / "train.csv")[0]
    later = tmp_path / "later.csv"
    with later.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label", "stance", "emotion", "confidence", "lang", "url", "page_date", "topic"])
        w.writerow(["一个全新的单元，没人见过。", "2", "neutral", "neutral", "high", "zh", "https://example.org/new", "", "other"])
        w.writerow(["另一个新句子，但它的页面在测试集里。", "0", "oppose", "anger", "high", "zh", test_row["url"], "", "other"])
        w.writerow([train_row["text"], "1", "support", "joy", "high", "zh", "https://example.org/copy", "", "other"])
        w.writerow(["", "9", "x", "y", "high", "zh", "https://example.org/bad", "", "other"])
    assert _main()(["--extend", "--train-only", str(later), "--out", str(shipped)]) == 0
    train = _rows(shipped / "train.csv")
    assert len(train) == len(_rows(LABELLED / "train.csv")) + 1
    assert train[-1]["text"] == "一个全新的单元，没人见过。" and train[-1]["split"] == "train"
    for name in ("dev", "test", "synthetic_train"):
        assert (shipped / f"{name}.csv").read_bytes() == (LABELLED / f"{name}.csv").read_bytes(), name


def test_extend_and_first_batches_together_are_refused(shipped: Path) -> None:
    with pytest.raises(SystemExit):
        _main()([str(shipped / "train.csv"), "--extend", "--out", str(shipped)])
