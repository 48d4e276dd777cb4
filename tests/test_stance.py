"""Stance rules, the labelled evaluation set, the evaluation function and the stance card."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.nlp.stance import (
    card_path,
    cue_counts,
    eval_path,
    evaluate_stance,
    read_labelled,
    stance_of,
    stances,
)
from collectors.trackers import STANCES


@pytest.mark.parametrize(("text", "expected"), [
    ("本工作室从未签署任何AI授权协议，相关信息不实", "deny-involvement"),
    ("Our client never signed any agreement with the platform.", "deny-involvement"),
    ("如果演员本人同意并拿到报酬，我觉得可以接受", "conditional"),
    ("As long as it's labelled as AI, fine.", "conditional"),
    ("坚决抵制AI艺人库", "oppose"),
    ("Boycott this. It's theft of human work.", "oppose"),
    ("我不支持这种做法", "oppose"),  # a negated support cue counts against
    ("技术挺厉害的，期待新作品", "support"),
    ("大家怎么看？", "neutral"),
])
def test_rules_without_sentiment(text: str, expected: str) -> None:
    assert stance_of(text).label == expected


def test_denial_without_a_speaker_is_criticism_not_denial() -> None:
    assert stance_of("又是没有授权就乱用，离谱").label == "oppose"


def test_sentiment_moves_a_cue_less_text() -> None:
    text = "今天看到这个消息"
    assert stance_of(text, [0.05, 0.9, 0.05]).label == "neutral"
    assert stance_of(text, [0.95, 0.03, 0.02]).label == "oppose"
    assert stance_of(text, [0.02, 0.03, 0.95]).label == "support"


def test_negated_oppose_counts_as_acceptance() -> None:
    counts = cue_counts("Not against it")
    assert counts["support"] == 1 and counts["accept"] == 1 and counts["oppose"] == 0


@pytest.mark.parametrize("text", [None, "", "   ", "😀😀", "[doge][doge]", "。。。", "x" * 100_000,
                                  "Привет 爱奇艺 こんにちは boycott 안녕"])
def test_bad_input_has_a_defined_result(text: str | None) -> None:
    result = stance_of(text)
    assert result.label in STANCES and 0.0 <= result.score <= 1.0
    if not text or not text.strip():
        assert result == stance_of("") and result.score == 0.0


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200), st.lists(st.floats(0, 1), min_size=3, max_size=3))
def test_any_text_and_probabilities(text: str, proba: list[float]) -> None:
    result = stance_of(text, proba)
    assert result.label in STANCES and 0.0 <= result.score <= 1.0


def test_stances_checks_alignment() -> None:
    assert [r.label for r in stances(["坚决抵制", "大家怎么看？"])] == ["oppose", "neutral"]
    with pytest.raises(ValueError, match="2 texts but 1"):
        stances(["a", "b"], np.zeros((1, 3)))


def test_the_labelled_set_is_well_formed() -> None:
    with eval_path().open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert 100 <= len(rows) <= 250
    assert {r["label"] for r in rows} == set(STANCES)
    for split in ("dev", "test"):
        part = [r for r in rows if r["split"] == split]
        assert {r["label"] for r in part} == set(STANCES), split
        assert any(any("\u4e00" <= ch <= "\u9fff" for ch in r["text"]) for r in part)
        assert any(r["text"].isascii() for r in part)
    assert len({r["text"] for r in rows}) == len(rows)


def test_read_labelled_errors_name_the_problem(tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\n好,oppose\n坏,angry\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.csv:3: label 'angry'"):
        read_labelled(bad)
    bad.write_bytes(b"text,label\n\xff\xfe,oppose\n")
    with pytest.raises(ValueError, match="not UTF-8"):
        read_labelled(bad)
    bad.write_text("words,stance\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs columns text,label"):
        read_labelled(bad)
    dev_only = tmp_path / "dev.csv"
    dev_only.write_text("text,label,split\n好,support,dev\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no rows in split 'test'"):
        read_labelled(dev_only, split="test")
    no_splits = tmp_path / "plain.csv"
    no_splits.write_text('text,label\n"好,很好",support\n', encoding="utf-8")
    assert read_labelled(no_splits, split="test") == (["好,很好"], ["support"])


def test_rules_beat_the_majority_class_on_held_out_rows() -> None:
    result = evaluate_stance(split="test", use_sentiment=False, n_boot=100)
    assert result["n"] >= 40
    assert result["macro_f1"] > result["baselines"]["majority_class"]["macro_f1"] + 0.2
    assert set(result["per_class"]) == set(STANCES)
    assert np.array(result["confusion"]["matrix"]).sum() == result["n"]


def test_card_figures_match_a_fresh_evaluation() -> None:
    from analysis.nlp.stance import sentiment_model_name

    card = json.loads(card_path().read_text(encoding="utf-8"))
    assert card["sentiment_model"] == sentiment_model_name(), ("re-measure: python -c \"from analysis.nlp.stance import evaluate_stance, write_card; "
                                                             "write_card({s: evaluate_stance(split=s) for s in ('dev', 'test')})\"")
    fresh = evaluate_stance(split=card["headline_split"], n_boot=50)
    assert (card["accuracy"], card["macro_f1"], card["n"]) == (fresh["accuracy"], fresh["macro_f1"], fresh["n"])
    assert card["headline_split"] == "test" and set(card["splits"]) == {"dev", "test"}
    assert card["caveats"] and card["history"]
