"""Stance of a post or statement toward the AI-performer initiative a tracker follows.

Labels (as in trackers.toml): oppose, support, conditional, deny-involvement, neutral. Rules, in order:
1. deny-involvement: a denial ("从未签署", "never signed", "not involved") spoken by a first-person or
   organisational speaker ("本工作室", "我方", "our client", "statement").
2. conditional: a strong condition ("前提是", "除非", "as long as", "only if"), or acceptance ("可以",
   "接受", "fine", "on board") together with a weak condition or a contrast ("如果", "if", "但", "but"),
   unless opposition cues outnumber the acceptance and condition cues (我支持演员维权，平台必须道歉).
3. otherwise the larger of three scores: oppose = oppose cues + 1.2·P(negative), support = support
   cues + 1.2·P(positive), neutral = 0.5·neutral cues + P(neutral) + 0.25. A support or oppose cue
   right after a negator (不支持, "don't support") counts for the other side.
Cues live in data/dicts/stance.toml; probabilities come from the sentiment model (columns
[negative, neutral, positive]); without them the cue counts decide. Measured on data/eval/stance.csv
(see `evaluate_stance`, figures in data/eval/stance_card.json).
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from analysis.nlp.entities import TermMatcher, prepare
from collectors.paths import bundled_dir
from collectors.trackers import STANCES

CUE_CLASSES = ("deny_act", "deny_speaker", "condition", "maybe_condition", "contrast", "accept", "support", "oppose",
               "neutral")
SENTIMENT_WEIGHT = 1.2
NEUTRAL_PRIOR = 0.25
_EN_WORD = re.compile(r"[a-z']+")
_FLIPPABLE = frozenset({"support", "oppose", "accept"})


@dataclass(frozen=True, slots=True)
class StanceResult:
    label: str
    score: float  # confidence in [0, 1]: the winning score's share, or the rule's fixed confidence


class StanceLexiconError(ValueError):
    """stance.toml is missing or invalid."""


def lexicon_path() -> Path:
    return bundled_dir() / "dicts" / "stance.toml"


@dataclass(frozen=True)
class _Lexicon:
    cues: TermMatcher  # every class but deny_speaker, in one scan
    speakers: TermMatcher  # deny_speaker, scanned apart so it may overlap a denial phrase
    zh_negators: frozenset[str]
    en_negators: frozenset[str]


@lru_cache(maxsize=2)
def _lexicon(path: str | None = None) -> _Lexicon:
    file = Path(path) if path else lexicon_path()
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise StanceLexiconError(f"{file}: cannot read the stance lexicon: {exc}") from None
    cues = raw.get("cue", {})
    missing = [c for c in CUE_CLASSES if c not in cues]
    if missing:
        raise StanceLexiconError(f"{file}: missing [cue.{missing[0]}]")
    terms = {c: [*cues[c].get("zh", []), *cues[c].get("en", [])] for c in CUE_CLASSES}
    speakers = TermMatcher({"deny_speaker": terms.pop("deny_speaker")}, nested=False, guard_short=False)
    negators = raw.get("negators", {})
    return _Lexicon(TermMatcher(terms, nested=False, guard_short=False), speakers,
                    frozenset(negators.get("zh", [])), frozenset(negators.get("en", [])))


def _negated(text: str, start: int, zh_negators: frozenset[str], en_negators: frozenset[str]) -> bool:
    if not zh_negators.isdisjoint(text[max(0, start - 2):start]):  # a negator character right before
        return True
    words = _EN_WORD.findall(text[max(0, start - 14):start].lower())
    return any(w in en_negators for w in words[-2:])


def cue_counts(text: str) -> dict[str, int]:
    """How many cues of each class the text holds.

    A support, oppose or accept cue right after a negator swaps sides (不支持 → oppose; 不反对 /
    "not against" → support and accept). Speakers (deny_speaker) are counted only beside a denial.
    """
    lex = _lexicon()
    prepared = prepare(text)  # normalised once for both matchers
    norm = prepared.norm
    counts = dict.fromkeys(CUE_CLASSES, 0)
    parts, accepted = lex.cues.matches(prepared)
    start = counted = 0  # where parts[counted] starts in the text
    for i in accepted:
        labels = lex.cues.labels_of(parts[i])
        flip = False
        if not _FLIPPABLE.isdisjoint(labels):
            start += sum(map(len, parts[counted:i]))
            counted = i
            flip = _negated(norm, start, lex.zh_negators, lex.en_negators)
        for label in labels:
            if flip and label in _FLIPPABLE:
                if label == "oppose":
                    counts["accept"] += 1
                label = "support" if label == "oppose" else "oppose"
            counts[label] += 1
    if counts["deny_act"]:  # the speaker only matters for a denial
        counts["deny_speaker"] = len(lex.speakers.matches(prepared)[1])
    return counts


def stance_of(text: str | None, proba: Sequence[float] | None = None) -> StanceResult:
    """The stance of one text; `proba` = sentiment probabilities [negative, neutral, positive] if known.

    Empty or whitespace-only text is neutral with score 0.
    """
    if not isinstance(text, str) or not text.strip():
        return StanceResult("neutral", 0.0)
    return stance_from_counts(cue_counts(text[:5000]), proba)


def stance_from_counts(c: dict[str, int], proba: Sequence[float] | None = None) -> StanceResult:
    """The rules of `stance_of` applied to cue counts already found (the trained model reuses them)."""
    if c["deny_act"] and c["deny_speaker"]:
        return StanceResult("deny-involvement", 0.9)
    conditional = c["condition"] or (c["accept"] and (c["maybe_condition"] or c["contrast"]))
    if conditional and c["oppose"] <= c["accept"] + c["condition"]:
        return StanceResult("conditional", 0.8)
    p_neg, p_neu, p_pos = (float(v) for v in proba) if proba is not None else (0.0, 0.0, 0.0)
    scores = {
        "oppose": c["oppose"] + c["deny_act"] + SENTIMENT_WEIGHT * p_neg,
        "support": c["support"] + SENTIMENT_WEIGHT * p_pos,
        "neutral": 0.5 * c["neutral"] + p_neu + NEUTRAL_PRIOR,
    }
    label = max(scores, key=lambda k: scores[k])
    total = sum(scores.values())
    return StanceResult(label, round(scores[label] / total, 4) if total else 0.0)


def stances(texts: Sequence[str], proba: np.ndarray | None = None) -> list[StanceResult]:
    """`stance_of` for many texts (rows of `proba` aligned with `texts`)."""
    if proba is not None and len(proba) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(proba)} probability rows")
    return [stance_of(t, None if proba is None else proba[i]) for i, t in enumerate(texts)]




# ---------- evaluation ----------

def eval_path() -> Path:
    return bundled_dir() / "eval" / "stance.csv"


def card_path() -> Path:
    return bundled_dir() / "eval" / "stance_card.json"


def read_labelled(path: str | Path, split: str | None = None) -> tuple[list[str], list[str]]:
    """Texts and labels from a CSV with columns text,label[,split] (rows of `split` only, if given and
    the file has that column); raises ValueError naming the bad row."""
    path = Path(path)
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 (byte {exc.start}): re-save the file as UTF-8") from None
    reader = csv.DictReader(io.StringIO(raw, newline=""))
    if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
        raise ValueError(f"{path}: needs columns text,label (found {reader.fieldnames})")
    if "split" not in reader.fieldnames:
        split = None  # a file without splits is used whole
    texts, labels = [], []
    for line, row in enumerate(reader, start=2):
        label = (row.get("label") or "").strip()
        if label not in STANCES:
            raise ValueError(f"{path}:{line}: label {label!r} is not one of {', '.join(STANCES)}")
        if split and (row.get("split") or "").strip() != split:
            continue
        texts.append(row.get("text") or "")
        labels.append(label)
    if not texts:
        raise ValueError(f"{path}: no rows" + (f" in split {split!r}" if split else ""))
    return texts, labels


def evaluate_stance(path: str | Path | None = None, split: str | None = None, use_sentiment: bool = True,
                    n_boot: int = 1000) -> dict[str, Any]:
    """Accuracy, macro-F1 (with bootstrap 95% CIs), per-class figures and confusion on a labelled CSV,
    beside two baselines on the same rows: the majority class and sentiment alone (neg→oppose,
    pos→support, neu→neutral)."""
    from analysis.nlp.metrics import accuracy, bootstrap_ci, confusion, macro_f1, per_class

    path = Path(path) if path else eval_path()
    texts, labels = read_labelled(path, split)
    proba = None
    if use_sentiment:
        from analysis.nlp.sentiment import score_texts

        proba = np.asarray(score_texts(texts), dtype=float)
    predicted = [r.label for r in stances(texts, proba)]
    index = {label: i for i, label in enumerate(STANCES)}
    y = np.array([index[v] for v in labels])
    p = np.array([index[v] for v in predicted])

    def figures(pred: np.ndarray) -> dict[str, Any]:
        cm = confusion(y, pred, k=len(STANCES))
        ci = bootstrap_ci(y, pred, k=len(STANCES), n_boot=n_boot)
        return {"accuracy": round(accuracy(cm), 4), "macro_f1": round(macro_f1(cm), 4),
                "accuracy_ci95": [round(v, 4) for v in ci["accuracy"]],
                "macro_f1_ci95": [round(v, 4) for v in ci["macro_f1"]], "cm": cm}

    main = figures(p)
    cm = main.pop("cm")
    stats = per_class(cm)
    majority = int(np.bincount(y, minlength=len(STANCES)).argmax())
    baselines = {"majority_class": {k: v for k, v in figures(np.full_like(y, majority)).items() if k != "cm"}}
    if proba is not None:
        by_sentiment = np.array([index[("oppose", "neutral", "support")[i]] for i in proba.argmax(axis=1)])
        baselines["sentiment_only"] = {k: v for k, v in figures(by_sentiment).items() if k != "cm"}
    return {
        "file": path.name, "split": split or "all", "n": len(y), "labels": list(STANCES),
        "label_counts": {s: int((y == i).sum()) for i, s in enumerate(STANCES)},
        **main,
        "per_class": {s: {"precision": round(float(stats["precision"][i]), 4), "recall": round(float(stats["recall"][i]), 4),
                          "f1": round(float(stats["f1"][i]), 4), "support": int(stats["support"][i])}
                      for i, s in enumerate(STANCES)},
        "confusion": {"labels": list(STANCES), "rows": "true", "columns": "predicted", "matrix": cm.tolist()},
        "baselines": baselines,
        "method": "rules + data/dicts/stance.toml cues + sentiment model" if use_sentiment else "rules + cues only",
        "sentiment_model": sentiment_model_name() if use_sentiment else None,
        "bootstrap": {"resamples": n_boot, "method": "percentile, rows resampled with replacement"},
    }


def sentiment_model_name() -> str:
    from analysis.nlp.sentiment import english_scorer, get_scorer

    scorer = get_scorer()
    english = english_scorer(scorer)
    return f"{scorer.name} {scorer.version} (English rows: {f'{english.name} {english.version}' if english else 'the same model'})"


CARD_CAVEATS = (
    ("Every row of data/eval/stance.csv was written for actorwatch in the style of Weibo posts, news and "
     "social posts about AI performers; no real person is quoted or named."),
    ("The same author wrote the rows and the cue lexicon. `dev` rows were used to write and revise the "
     "lexicon, so dev figures are optimistic. `test` rows were written after the last revision and "
     "measured once; `history` keeps earlier first looks at rows that have since joined dev."),
    "A small set: read the 95% intervals, not the point figures.",
)


def write_card(figures: dict[str, dict[str, Any]], path: Path | None = None) -> Path:
    """Store per-split evaluation figures as the stance card (the Methods page and exports read it).

    The headline figures are the `test` split's; an existing card's `history` is kept.
    """
    path = path or card_path()
    history: list[Any] = []
    if path.exists():
        try:
            history = json.loads(path.read_text(encoding="utf-8")).get("history", [])
        except ValueError:
            history = []
    headline = figures.get("test") or next(iter(figures.values()))
    body = {"task": "stance toward the tracked AI-performer initiative", "labels": list(STANCES),
            "method": headline.get("method"), "sentiment_model": headline.get("sentiment_model"),
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "headline_split": headline.get("split"), "n": headline["n"], "accuracy": headline["accuracy"],
            "macro_f1": headline["macro_f1"], "accuracy_ci95": headline["accuracy_ci95"],
            "macro_f1_ci95": headline["macro_f1_ci95"], "splits": figures, "caveats": list(CARD_CAVEATS),
            "history": history}
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
