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


def test_a_batch_segments_repeated_blocks_as_each_text_alone(cutters) -> None:
    from analysis.nlp.segment import tokenize, tokenize_many

    tokenizer, fast = cutters
    base = [*EDGE_CASES, *_PROBES, "转发微博 //@某用户: 爱奇艺的AI艺人库太恶心了 //@另一个: 同意"]
    # the same runs of Han text again, alone, inside other texts and beside other punctuation
    texts = [*base, *base, "".join(base), "，".join(base[::-1]), *(t + "啊啊啊" for t in base)]
    memo: dict[str, list[str]] = {}
    assert [fast.cut(t, memo) for t in texts] == [tokenizer.lcut(t) for t in texts]
    assert len(memo) < sum(len(t) for t in texts)  # the memo was used
    assert tokenize_many(texts) == [tokenize(t) for t in texts]


def test_the_compiled_route_is_the_loops_route(cutters) -> None:
    pytest.importorskip("jieba_next.jieba_next_rust", reason="jieba-next (the optional compiled route) not installed")
    from jieba import re_han_default

    from collectors.demo import generate
    from collectors.trackers import load_trackers

    tokenizer, fast = cutters
    assert fast._route != fast._py_route  # installed and passing its probes, so used
    fresh = ExactCutter(tokenizer)
    fresh.cut("同济大学的学生今天下午去看电影")
    assert fresh._logp_table is None  # the Python loop's table (~50 MB) is never built
    texts = [*EDGE_CASES, *_labelled_texts()[:3000], *generate(load_trackers(), records=500, seed=3)["text"].to_pylist()]
    blocks = [b for t in texts for b in re_han_default.split(t) if b]
    assert all(list(fast._route(b))[:len(b)] == fast._py_route(b)[:len(b)] for b in blocks)


def test_a_compiled_route_that_disagrees_is_not_used(cutters, monkeypatch) -> None:
    jn = pytest.importorskip("jieba_next.jieba_next_rust", reason="jieba-next not installed")

    class Wrong:
        def __init__(self, freq, total) -> None:
            pass

        def get_dag_and_calc(self, sentence: str) -> list[int]:
            return list(range(len(sentence) + 1))  # every character a word of its own

    monkeypatch.setattr(jn, "PrefixDict", Wrong)
    tokenizer, _ = cutters
    cutter = ExactCutter(tokenizer)
    assert cutter._route == cutter._py_route
    assert cutter.cut("同济大学的学生今天下午去看电影") == tokenizer.lcut("同济大学的学生今天下午去看电影")


def test_runs_kept_for_the_hmm_follow_a_new_force_split_word(cutters, monkeypatch) -> None:
    # the HMM's words for a run are kept across calls; a word jieba is told to split (add_word(w, 0)) must apply to
    # runs cut before it as well
    from jieba import finalseg

    tokenizer, fast = cutters
    text = "旧历啧啧啧愿望就是吃好睡饱身边人好"
    assert fast.cut(text) == tokenizer.lcut(text)
    hmm_word = next(w for w in fast.cut(text) if len(w) > 1 and not tokenizer.FREQ.get(w))
    monkeypatch.setattr(finalseg, "Force_Split_Words", {*finalseg.Force_Split_Words, hmm_word})
    assert hmm_word not in fast.cut(text) and fast.cut(text) == tokenizer.lcut(text)
