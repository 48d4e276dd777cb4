"""The fast cut is jieba's cut, word for word: probes, edge cases, the labelled sets and a demo corpus."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from analysis.nlp.exact_cut import ExactCutter
from analysis.nlp.segment import _PROBES, _tokenizer

REPO = Path(__file__).resolve().parents[1]
EDGE_CASES = [
    "", " ", "\r\n", "a", "啊", "啊啊啊啊啊啊啊啊啊", "哈哈哈哈哈哈哈哈哈哈哈", "呜呜呜呜呜呜呜呜呜", "爸爸爸爸爸爸爸",
    "生生生生生生生", "央行下调基准利率0.25个百分点", "http://t.cn/A6PwXqfE 网页链接", "@贴膜Peace_and_Love:每天喊",
    "iPhone15 Pro Max 99.9%好评 #AI演员# 纳逗Pro", "我爱北京天安门\r\n天安门上太阳升", "肖像权" * 300,
    "酒筀的二儿子：1", "C++和C#，a-b_c&d", "ａｂｃ１２３，全角", "𠀋𠀋字和表情😂😂",
]


@pytest.fixture(scope="module")
def cutters():
    tokenizer = _tokenizer()
    if type(tokenizer).__module__.split(".")[0] != "jieba":
        pytest.skip("the fast cut stands in for jieba only")
    return tokenizer, ExactCutter(tokenizer)


def _labelled_texts() -> list[str]:
    texts = []
    for path in sorted((REPO / "data" / "labelled").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            texts.extend(row["text"] for row in csv.DictReader(fh) if row.get("text"))
    return texts


def test_probes_and_edge_cases(cutters) -> None:
    tokenizer, fast = cutters
    for text in [*_PROBES, *EDGE_CASES]:
        assert fast.cut(text) == tokenizer.lcut(text), text


def test_labelled_and_demo_texts(cutters) -> None:
    from collectors.demo import generate
    from collectors.trackers import load_trackers

    tokenizer, fast = cutters
    texts = _labelled_texts() + generate(load_trackers(), records=2000, seed=11)["text"].to_pylist()
    assert len(texts) > 5000
    differ = [t for t in texts if fast.cut(t) != tokenizer.lcut(t)]
    assert not differ, differ[:3]
