"""The shipped default: a calibrated linear model over character n-grams, stored as numpy arrays + JSON."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from analysis.nlp.sentiment.features import Featurizer, Lexicon, model_input
from analysis.nlp.text import clean_text
from collectors.store import atomic_path, atomic_write_text

MODEL_FILE = "model.npz"
ENCODER_FILE = "encoder.npz"  # the tuned encoder's layers (analysis/nlp/tuned_encoder.py)
CARD_FILE = "card.json"
MODEL_CHECKSUM = "model_sha256"  # the card's record of the model file it describes
HISTORY = "history"  # an adapted model's folder keeps here every version adapting made (analysis/nlp/adapt_versions)
EMPTY_PROBA = np.array([0.0, 1.0, 0.0])  # nothing left after cleaning → neutral, by definition


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_model_file(directory: Path, **arrays: np.ndarray) -> Path:
    """`directory`/model.npz holding `arrays`, written atomically (a temporary file, then a rename)."""
    path = directory / MODEL_FILE
    with atomic_path(path) as tmp, tmp.open("wb") as fh:  # a file, not a name: numpy would add .npz to the name
        np.savez_compressed(fh, **arrays)
    return path


def write_card(directory: Path, card: dict, indent: int = 2) -> Path:
    """`directory`/card.json, written atomically, with the checksum of the model file beside it (written first):
    `card_identity` then knows a card from a model saved since (a run stopped between the two files)."""
    path = directory / CARD_FILE
    model = directory / MODEL_FILE
    if model.exists():
        card = {**card, MODEL_CHECKSUM: file_sha256(model)}
    atomic_write_text(path, json.dumps(card, ensure_ascii=False, indent=indent) + "\n")
    return path


def model_kind(directory: Path) -> str | None:
    """The `kind` a model file names (e5, English, e5 task models), None for the n-gram models or no model."""
    try:
        with np.load(directory / MODEL_FILE, allow_pickle=False) as z:
            return str(z["kind"]) if "kind" in z.files else None
    except (OSError, ValueError):
        return None


def card_identity(directory: Path) -> tuple[str, str]:
    """(name, version) of the model in `directory` from its card; without one, the folder's name and a version
    from the model file's checksum."""
    card_path = directory / CARD_FILE
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.exists() else {}
    if not card and (directory / HISTORY).is_dir():
        # an adapted model's folder always has its card: a copy (or a removal) of its files was stopped half-way
        raise ValueError(f"{directory}: model.npz has no card.json (installing or removing a version of this adapted "
                         "model was interrupted): make a kept version current with `actorwatch adapt --tracker T "
                         "--task TASK --use VERSION`")
    if card.get(MODEL_CHECKSUM) and card[MODEL_CHECKSUM] != file_sha256(directory / MODEL_FILE):
        command = card.get("provenance", {}).get("command") or "the `actorwatch adapt` or `actorwatch train` " \
                                                                    "that made it"
        raise ValueError(f"{directory}: model.npz is not the model its card.json describes (the run that saved it "
                         f"was interrupted before its card was written): run `{command}` again to finish it")
    version = card.get("version") or f"unversioned-{file_sha256(directory / MODEL_FILE)[:8]}"
    return card.get("name", directory.name), version


KEPT_ENGLISH = "en"  # a model's English route adapted alongside it, kept in this folder beside it (adapt_versions)


def english_beside(directory: Path | None, route: str) -> Path | None:
    """The English model kept beside a model loaded from `directory` when it is the one `route` names: a kept version
    (history/<hash>/) names its English route by name, which elsewhere is the current version's English model."""
    if directory is None or route in ("self", "vader"):
        return None
    kept = directory / KEPT_ENGLISH
    return kept if (kept / MODEL_FILE).exists() and card_identity(kept)[0] == route else None


class LinearScorer:
    """3-class scorer: softmax((x·W + b) / T) with x from `Featurizer`; columns [neg, neu, pos]."""

    labels = ("negative", "neutral", "positive")

    def __init__(self, name: str, version: str, featurizer: Featurizer, weights: np.ndarray, bias: np.ndarray,
                 temperature: float = 1.0, english_route: str = "vader") -> None:
        self.name, self.version = name, version
        self.english_route = english_route  # "vader": English rows go to VADER; "self": this model scores them
        self.featurizer = featurizer
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float64)
        self.temperature = float(temperature)
        self.directory: Path | None = None  # where it was loaded from: its kept English model is looked for there

    def logits(self, inputs: Sequence[str]) -> np.ndarray:
        """Uncalibrated scores for already-prepared model inputs (see features.model_input)."""
        x = self.featurizer.transform(inputs)
        return np.asarray(x @ self.weights, dtype=np.float64) + self.bias

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        cleaned = [clean_text(t) for t in texts]
        inputs = [model_input(c) for c in cleaned]
        proba = softmax(self.logits(inputs) / self.temperature) if inputs else np.zeros((0, 3))
        empty = np.fromiter((c.is_empty for c in cleaned), dtype=bool, count=len(cleaned))
        proba[empty] = EMPTY_PROBA
        return proba

    def save(self, directory: Path) -> Path:
        vocab = np.array(sorted(self.featurizer.vocab, key=self.featurizer.vocab.__getitem__))
        return write_model_file(directory, vocab=vocab, idf=self.featurizer.idf,
                                orders=np.array(self.featurizer.orders), weights=self.weights, bias=self.bias,
                                temperature=np.array(self.temperature), english_route=np.array(self.english_route),
                                **self.featurizer.lexicon.to_arrays())

    @classmethod
    def load(cls, directory: Path) -> LinearScorer:
        path = directory / MODEL_FILE
        if not path.exists():
            raise FileNotFoundError(f"no sentiment model at {path} (run `actorwatch train`)")
        with np.load(path, allow_pickle=False) as z:
            if "meta" in z.files:  # a stance or emotion model (analysis/nlp/charlr.py)
                task = json.loads(str(z["meta"])).get("task")
                raise ValueError(f"{directory} holds a {task} model, not a sentiment model")
            vocab = {g: i for i, g in enumerate(z["vocab"].tolist())}
            featurizer = Featurizer(vocab, z["idf"], tuple(int(o) for o in z["orders"]),
                                    Lexicon.from_arrays(z["lexicon_terms"], z["lexicon_polarity"], z["lexicon_is_emoticon"]))
            weights, bias, temperature = z["weights"], z["bias"], float(z["temperature"])
            english_route = str(z["english_route"]) if "english_route" in z.files else "vader"
        scorer = cls(*card_identity(directory), featurizer, weights, bias, temperature, english_route)
        scorer.directory = directory
        return scorer


__all__ = ["KEPT_ENGLISH", "LinearScorer", "card_identity", "english_beside", "model_input", "model_kind", "softmax", "write_card", "write_model_file"]
