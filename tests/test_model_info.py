"""What exports and captions say about the sentiment model, including the English path's measurement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.nlp.model_info import accuracy_line, model_card_summary

VADER = "vader-3.3.2-domainabc123-emoticons-binomial3"


def _card(tmp_path: Path, vader_version: str) -> Path:
    card = {"name": "weibo-charlr-3c", "version": "1.0.abc",
            "english_path": {"name": "vader", "version": vader_version},
            "evaluations": [
                {"file": "sentiment3_dev.csv", "role": "held out", "default": {"n": 2732, "macro_f1": 0.79}},
                {"file": "data/eval/topic_sentiment.csv", "role": "author-written topic set",
                 "default": {"n": 86, "macro_f1": 0.79}, "english_only": {"n": 25, "macro_f1": 0.84}}]}
    path = tmp_path / "card.json"
    path.write_text(json.dumps(card), encoding="utf-8")
    return path


@pytest.mark.parametrize(("vader_in_card", "expected"), [
    (VADER, "English posts are scored by " + VADER + ": macro-F1 0.84 on only 25 author-written English sentences"),
    ("vader-older", "English posts are scored by " + VADER + ", not measured here"),
])
def test_english_path_is_quoted_only_for_the_measured_version(tmp_path, monkeypatch, vader_in_card, expected):
    monkeypatch.setattr("analysis.nlp.model_info.card_files", lambda: [_card(tmp_path, vader_in_card)])
    line = accuracy_line(model_card_summary(f"1.0.abc+{VADER}"))
    assert "macro-F1 0.79 on sentiment3_dev.csv (n = 2,732)" in line and expected in line


def test_chinese_only_version_has_no_english_scope(tmp_path, monkeypatch):
    monkeypatch.setattr("analysis.nlp.model_info.card_files", lambda: [_card(tmp_path, VADER)])
    summary = model_card_summary("1.0.abc")
    assert summary["scope"] == "" and "English" not in accuracy_line(summary)


def test_card_labels_name_no_absolute_path_and_lead_back_to_the_card(tmp_path, monkeypatch):
    from analysis.nlp.model_info import card_label, card_path
    from collectors.paths import bundled_dir

    monkeypatch.setenv("ACTORWATCH_DATA", str(tmp_path / "data"))
    adapted = tmp_path / "data" / "models" / "weibo-charlr-3c-iqiyi" / "card.json"
    shipped = bundled_dir() / "models" / "weibo-charlr-3c" / "card.json"
    assert card_label(adapted) == "<data dir>/models/weibo-charlr-3c-iqiyi/card.json"
    assert card_label(shipped) == "models/weibo-charlr-3c/card.json"
    assert str(tmp_path) not in card_label(adapted)
    assert card_path(card_label(adapted)) == adapted and card_path(card_label(shipped)) == shipped
