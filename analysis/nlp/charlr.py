"""A linear classifier over character n-grams for the stance and emotion tasks, stored as numpy arrays + JSON.

Features are the sentiment model's (`Featurizer`: TF-IDF character n-grams + lexicon counts), optionally
followed by a small dense block (the stance rules' cue counts). A model may also be *block-aware*
(feature augmentation, Daumé 2007): besides the shared weights it holds one weight copy and one bias per
block — a stance target, e.g. — and a row is scored with the shared weights plus its block's. A row whose
block the model does not know is scored with the default block's weights.

A model may route English rows to an English model (`english_route`: its name, or "self"), as the sentiment model
does: the character n-grams suit Chinese but carry little of English. The route is chosen at training on the
in-domain English dev rows and is part of the model's version.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from analysis.nlp.sentiment.features import MAX_CHARS, Featurizer, Lexicon, model_input
from analysis.nlp.sentiment.linear import MODEL_FILE, card_identity, english_beside, softmax, write_model_file
from analysis.nlp.tasks import TASKS, Task
from analysis.nlp.text import clean_text

CUE_SCALE = 0.5  # log1p(count) × this, like the lexicon block
RULE_SCALE = 0.5  # the rules' own decision, one-hot × this


def stance_cue_features(texts: Sequence[str]) -> np.ndarray:
    """Per text: log1p of each stance cue count (analysis/nlp/stance.py) and the rules' decision, one-hot."""
    from analysis.nlp.stance import CUE_CLASSES, cue_counts, stance_from_counts
    from analysis.nlp.tasks import STANCE

    out = np.zeros((len(texts), len(CUE_CLASSES) + len(STANCE.classes)), dtype=np.float32)
    column = {label: len(CUE_CLASSES) + k for k, label in enumerate(STANCE.classes)}
    rows, decided = [], []  # gathered as lists, set in two numpy calls: per-row numpy calls cost as much as the cues
    for text in texts:
        found = cue_counts(text)
        rows.append([found[c] for c in CUE_CLASSES])
        decided.append(column[stance_from_counts(found).label])
    out[np.arange(len(texts)), np.array(decided, dtype=np.int64)] = RULE_SCALE
    out[:, : len(CUE_CLASSES)] = np.log1p(np.array(rows, dtype=np.int64).reshape(len(texts), len(CUE_CLASSES))) * CUE_SCALE
    return out


# Named so a saved model records which dense block it was trained with.
EXTRA_FEATURES: dict[str, Callable[[Sequence[str]], np.ndarray]] = {"stance_cues": stance_cue_features}


def extra_width(extra: str | None) -> int:
    return 0 if extra is None else EXTRA_FEATURES[extra](["x"]).shape[1]


def featurize(featurizer: Featurizer, inputs: Sequence[str], extra: str | None) -> sp.csr_matrix:
    """[char n-grams | lexicon | extra block] for prepared model inputs (see features.model_input)."""
    x = featurizer.transform(inputs)
    if extra is None:
        return x
    return sp.hstack([x, sp.csr_matrix(EXTRA_FEATURES[extra](inputs))], format="csr", dtype=np.float32)


def augment(x: sp.csr_matrix, block: np.ndarray, n_blocks: int) -> sp.csr_matrix:
    """[x | x in the row's block copy | block indicator]: the training design of a block-aware model."""
    n, d = x.shape
    per_row = np.diff(x.indptr)
    shifted = sp.csr_matrix((x.data, x.indices + np.repeat(block, per_row) * d, x.indptr), shape=(n, n_blocks * d))
    indicator = sp.csr_matrix((np.ones(n, dtype=np.float32), (np.arange(n), block)), shape=(n, n_blocks))
    return sp.hstack([x, shifted, indicator], format="csr", dtype=np.float32)


class CharLRModel:
    """softmax((x·W₀ + b₀ + x·W_block + b_block) / T) over `task.classes`; English rows → `english_route` unless
    "self"."""

    def __init__(self, name: str, version: str, task: Task, featurizer: Featurizer, weights: np.ndarray,
                 bias: np.ndarray, blocks: Sequence[str] = (), default_block: str | None = None,
                 extra: str | None = None, temperature: float = 1.0, english_route: str = "self") -> None:
        self.name, self.version, self.task = name, version, task
        self.featurizer = featurizer
        self.weights = np.asarray(weights, dtype=np.float32)  # (1 + len(blocks), d, k)
        self.bias = np.asarray(bias, dtype=np.float64)  # (1 + len(blocks), k)
        self.blocks = tuple(blocks)
        self.default_block = default_block
        self.extra = extra
        self.temperature = float(temperature)
        self.english_route = english_route or "self"
        self.directory: Path | None = None  # where it was loaded from: its English model is looked for beside it
        self._english: Any = None
        if self.weights.shape[0] != 1 + len(self.blocks) or self.bias.shape != (1 + len(self.blocks), len(task.classes)):
            raise ValueError(f"weights {self.weights.shape} / bias {self.bias.shape} do not fit "
                             f"{len(self.blocks)} blocks and {len(task.classes)} classes")
        if default_block is not None and default_block not in self.blocks:
            raise ValueError(f"default block {default_block!r} is not one of the model's blocks")

    @property
    def classes(self) -> tuple[str, ...]:
        return self.task.classes

    @property
    def english(self) -> Any:
        """The model of the English rows (loaded once), or None where this model scores them itself."""
        if self.english_route == "self":
            return None
        if self._english is None or self._english[0] != self.english_route:
            self._english = (self.english_route, load_english_route(self.english_route, self.task, self.directory))
        return self._english[1]

    def attach_english(self, model: Any) -> None:
        """Route English rows to `model` (in memory, e.g. just trained); the route is its name."""
        self.english_route, self._english = model.name, (model.name, model)

    @property
    def routed_version(self) -> str:
        """The version of everything that scores: this model's, plus the English model's where it routes."""
        english = self.english
        return self.version if english is None else f"{self.version}+{english.version}"

    def block_index(self, blocks: Sequence[str | None] | None, n: int) -> np.ndarray:
        """Block per row (index into self.blocks), -1 for none: unknown or missing → the default block."""
        default = self.blocks.index(self.default_block) if self.default_block is not None else -1
        if blocks is None or not self.blocks:
            return np.full(n, default if self.blocks else -1, dtype=int)
        if len(blocks) != n:
            raise ValueError(f"{n} texts but {len(blocks)} targets")
        known = {b: i for i, b in enumerate(self.blocks)}
        return np.array([known.get((b or "").strip(), default) for b in blocks], dtype=int)

    def logits_from_inputs(self, inputs: Sequence[str], blocks: Sequence[str | None] | None = None) -> np.ndarray:
        """Uncalibrated scores for prepared model inputs."""
        x = featurize(self.featurizer, inputs, self.extra)
        out = np.asarray(x @ self.weights[0], dtype=np.float64) + self.bias[0]
        which = self.block_index(blocks, len(inputs))
        for b in np.unique(which[which >= 0]):
            rows = np.flatnonzero(which == b)
            block_rows = x if len(rows) == len(inputs) else x[rows]  # every row: no copy of them all
            out[rows] += np.asarray(block_rows @ self.weights[1 + b], dtype=np.float64) + self.bias[1 + b]
        return out

    def predict_proba(self, texts: Sequence[str], targets: Sequence[str | None] | None = None,
                      langs: Sequence[str | None] | None = None) -> np.ndarray:
        """(n, k) probabilities in `classes` order; rows in English (`langs`, or found by detect_lang where None)
        go to the English route unless it is "self"; text with nothing left after cleaning is neutral."""
        english = self.english
        if english is None:
            return self.own_proba(texts, targets)
        from analysis.nlp.sentiment import english_mask

        texts = list(texts)
        routed = english_mask(texts, langs)
        out = np.zeros((len(texts), len(self.classes)))
        if routed.any():
            out[routed] = english.predict_proba([t for t, r in zip(texts, routed, strict=True) if r])
        if (~routed).any():
            own = np.flatnonzero(~routed)
            out[own] = self.own_proba([texts[i] for i in own], None if targets is None else [targets[i] for i in own])
        return out

    def own_proba(self, texts: Sequence[str], targets: Sequence[str | None] | None = None) -> np.ndarray:
        """predict_proba of this model alone (no English route)."""
        cleaned = [clean_text(t if isinstance(t, str) else "") for t in texts]
        k = len(self.classes)
        if not cleaned:
            return np.zeros((0, k))
        proba = softmax(self.logits_from_inputs([model_input(c) for c in cleaned], targets) / self.temperature)
        empty = np.fromiter((c.is_empty for c in cleaned), dtype=bool, count=len(cleaned))
        proba[empty] = np.eye(k)[self.classes.index("neutral")]
        return proba

    def predict(self, texts: Sequence[str], targets: Sequence[str | None] | None = None,
                langs: Sequence[str | None] | None = None) -> np.ndarray:
        """Class index per text (into `classes`)."""
        return self.predict_proba(texts, targets, langs).argmax(axis=1)

    def save(self, directory: Path) -> Path:
        vocab = np.array(sorted(self.featurizer.vocab, key=self.featurizer.vocab.__getitem__))
        meta = {"task": self.task.name, "blocks": list(self.blocks), "default_block": self.default_block,
                "extra": self.extra, "max_chars": MAX_CHARS, "english_route": self.english_route}
        return write_model_file(directory, vocab=vocab, idf=self.featurizer.idf,
                                orders=np.array(self.featurizer.orders), weights=self.weights, bias=self.bias,
                                temperature=np.array(self.temperature),
                                meta=np.array(json.dumps(meta, ensure_ascii=False)),
                                **self.featurizer.lexicon.to_arrays())

    @classmethod
    def load(cls, directory: Path) -> CharLRModel:
        path = directory / MODEL_FILE
        if not path.exists():
            raise FileNotFoundError(f"no model at {path} (run `actorwatch train`)")
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            vocab = {g: i for i, g in enumerate(z["vocab"].tolist())}
            featurizer = Featurizer(vocab, z["idf"], tuple(int(o) for o in z["orders"]),
                                    Lexicon.from_arrays(z["lexicon_terms"], z["lexicon_polarity"],
                                                        z["lexicon_is_emoticon"]))
            weights, bias, temperature = z["weights"], z["bias"], float(z["temperature"])
        model = cls(*card_identity(directory), TASKS[meta["task"]], featurizer, weights, bias, meta["blocks"],
                    meta["default_block"], meta["extra"], temperature, meta.get("english_route", "self"))
        model.directory = directory
        return model


def holds_task_model(directory: Path) -> bool:
    """Whether the model file is a CharLRModel's (its task in "meta"), not a sentiment model's."""
    with np.load(directory / MODEL_FILE, allow_pickle=False) as z:
        return "meta" in z.files


def proba_by_lang(model: Any, texts: Sequence[str], langs: Sequence[str | None]) -> np.ndarray:
    """predict_proba routed by the records' known languages where the model routes English rows (a CharLRModel, or
    the e5 option blending with one); other models score every row themselves."""
    from analysis.nlp.e5_task_model import E5TaskModel

    if isinstance(model, CharLRModel | E5TaskModel):
        return model.predict_proba(texts, None, langs)
    return model.predict_proba(texts)


def load_english_route(name: str, task: Task, beside: Path | None = None) -> Any:
    """The English model `name` of a `task` model: kept in the model's own folder (a kept adapted version's), else
    beside that folder (a model trained or adapted together with it), else a shipped or local model of that name."""
    from analysis.nlp.sentiment.english import EnglishScorer, is_english_model
    from collectors.paths import model_dir

    directory = english_beside(beside, name) or (
        beside.parent / name if beside is not None and (beside.parent / name / MODEL_FILE).exists() else model_dir(name))
    if directory is None:
        raise FileNotFoundError(f"the English model {name!r} of the {task.name} model is missing "
                                f"(run `actorwatch train --task {task.name}`)")
    if not is_english_model(directory):
        raise ValueError(f"{directory} is not an English model (the {task.name} model's English route)")
    model = EnglishScorer.load(directory)
    if model.task is not task:
        raise ValueError(f"{directory} holds an English {model.task.name} model, not a {task.name} model")
    return model


def load_task_model(name: str, task: Task, default: str, baselines: Sequence[str]) -> Any:
    """A shipped stance or emotion model by name (or a model directory), checked to be of `task`: a CharLRModel,
    or the e5 option (E5TaskModel)."""
    from collectors.paths import model_dir

    chosen = default if name in ("", "default") else name
    directory = model_dir(chosen)
    if directory is None:
        from analysis.nlp.adapt_versions import no_current_message
        from collectors.paths import local_models_dir

        said = no_current_message(local_models_dir(), chosen)
        if said:
            raise ValueError(said)
        choices = ", ".join(["default", *baselines, "a shipped model",
                             f"a model adapted by `actorwatch adapt --task {task.name}`"])
        raise ValueError(f"unknown {task.name} model {name!r}: choose {choices}, or a model directory written by "
                         f"`actorwatch train --task {task.name}`"
                         + (f" (the default model is missing: run `actorwatch train --task {task.name}`)"
                            if chosen == default else ""))
    from analysis.nlp.e5_task_model import E5TaskModel, is_e5_task_model
    from analysis.nlp.sentiment.english import EnglishScorer, is_english_model

    if is_english_model(directory):  # an English model on its own (e.g. en-wordlr-emotion-7c)
        model = EnglishScorer.load(directory)
    elif is_e5_task_model(directory):
        from analysis.nlp.encoder import require_encoder
        from analysis.nlp.sentiment.e5 import model_encoder

        require_encoder(directory.name, f"the fast default {task.name} model", model_encoder(directory))
        model = E5TaskModel.load(directory)
    else:
        model = CharLRModel.load(directory) if holds_task_model(directory) else None
    if model is None or model.task is not task:
        raise ValueError(f"{directory} holds a {model.task.name if model else 'sentiment'} model, not "
                         f"a{'n' if task.name[0] in 'aeiou' else ''} {task.name} model")
    return model
