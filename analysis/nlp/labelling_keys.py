"""The labelling keys shared by the dashboard's Label page and `actorwatch labels annotate`.

A code is typed as up to three keys: sentiment (0 negative · 1 positive · 2 neutral, the shared CSVs' codes),
then a stance letter, then an emotion letter; "." leaves a place empty. A letter that can only be an emotion
may follow the sentiment directly ("0a" = negative, anger). "x" skips the record; a leading "?" marks the
label unsure (kept, but not used for adapting or agreement).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analysis.core.labels import item_key
from analysis.nlp.tasks import EMOTION, SENTIMENT, STANCE

SENTIMENT_KEYS = {"0": "negative", "1": "positive", "2": "neutral"}
STANCE_KEYS = {"o": "oppose", "s": "support", "c": "conditional", "d": "deny-involvement", "n": "neutral"}
EMOTION_KEYS = {"j": "joy", "a": "anger", "g": "disgust", "s": "sadness", "f": "fear", "u": "surprise", "n": "neutral"}
assert set(SENTIMENT_KEYS.values()) == set(SENTIMENT.classes)
assert set(STANCE_KEYS.values()) == set(STANCE.classes)
assert set(EMOTION_KEYS.values()) == set(EMOTION.classes)
SKIP, UNSURE, EMPTY = "x", "?", "."


class BadKeys(ValueError):
    """A typed code that is not a label; the message says what is accepted."""


@dataclass(frozen=True)
class Choice:
    sentiment: str | None = None
    stance: str | None = None
    emotion: str | None = None
    status: str = "labelled"


def parse_keys(code: str) -> Choice:
    """The label a typed code stands for (see module doc)."""
    keys = [k for k in code.strip().lower() if not k.isspace()]
    unsure = bool(keys) and keys[0] == UNSURE
    if unsure:
        keys = keys[1:]
    if keys == [SKIP]:
        return Choice(status="skip")
    if not keys:
        if unsure:
            return Choice(status="unsure")
        raise BadKeys("type a code: sentiment 0/1/2, then optional stance and emotion letters (x skips)")
    if len(keys) > 3:
        raise BadKeys(f"{code!r}: at most three keys (sentiment, stance, emotion)")
    first, rest = keys[0], keys[1:]
    if first != EMPTY and first not in SENTIMENT_KEYS:
        raise BadKeys(f"{code!r}: the first key is the sentiment: 0 negative, 1 positive, 2 neutral (or . for none)")
    stance = emotion = None
    if len(rest) == 1 and rest[0] not in STANCE_KEYS and rest[0] in EMOTION_KEYS:
        rest = [EMPTY, rest[0]]
    if rest and rest[0] != EMPTY:
        if rest[0] not in STANCE_KEYS:
            raise BadKeys(f"{code!r}: stance letters are " + ", ".join(f"{k} {v}" for k, v in STANCE_KEYS.items()))
        stance = STANCE_KEYS[rest[0]]
    if len(rest) > 1 and rest[1] != EMPTY:
        if rest[1] not in EMOTION_KEYS:
            raise BadKeys(f"{code!r}: emotion letters are " + ", ".join(f"{k} {v}" for k, v in EMOTION_KEYS.items()))
        emotion = EMOTION_KEYS[rest[1]]
    sentiment = SENTIMENT_KEYS.get(first)
    if not (sentiment or stance or emotion):
        raise BadKeys(f"{code!r}: no label given")
    return Choice(sentiment, stance, emotion, "unsure" if unsure else "labelled")


def label_row(tracker: str, source: str | None, record_id: str | None, text: str, annotator: str, choice: Choice,
              origin: str) -> dict[str, Any]:
    """One row of the labels dataset."""
    return {"tracker": tracker, "item": item_key(source, record_id, text), "source": source, "id": record_id,
            "text": text, "annotator": annotator.strip(), "sentiment": choice.sentiment, "stance": choice.stance,
            "emotion": choice.emotion, "status": choice.status, "origin": origin}
