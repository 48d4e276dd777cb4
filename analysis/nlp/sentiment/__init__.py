"""Sentiment scorers behind one interface: the shipped model (default), its English model, SnowNLP and VADER.

Every scorer returns probabilities with columns [negative, neutral, positive]; rows sum to 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from analysis.nlp.text import clean_text
from collectors.lang import SAMPLE_CHARS, detect_langs
from collectors.paths import local_models_dir, model_dir

DEFAULT_MODEL = "weibo-charlr-3c"
LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
BASELINES = ("snownlp", "vader")


@runtime_checkable
class Scorer(Protocol):
    name: str
    version: str
    labels: tuple[str, ...]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 3) probabilities [negative, neutral, positive]."""
        ...


def models_dir() -> Path:
    from collectors.paths import models_dir as configured

    return configured()


def user_models_dir() -> Path:
    """Models made on this machine (e.g. adapted to a tracker by `actorwatch adapt`): `local_models_dir`."""
    return local_models_dir()


def available_models() -> list[str]:
    """Sentiment models get_scorer offers: shipped ones, the data dir's, plus the baselines (stance and emotion
    models sit in the same folders; their card's task leaves them out)."""
    shipped = sorted(p.parent.name for p in models_dir().glob("*/model.npz") if _is_sentiment(p.parent))
    local = sorted(p.parent.name for p in user_models_dir().glob("*/model.npz")
                   if p.parent.name not in shipped and _is_sentiment(p.parent))
    return ["default", "auto", *shipped, *local, *BASELINES]


def _is_sentiment(directory: Path) -> bool:
    from analysis.nlp.model_info import card_task, read_card

    card = directory / "card.json"
    return card_task(read_card(card) or {} if card.exists() else {}, card) == "sentiment"


def _load(name: str) -> Scorer:
    if name in BASELINES:
        return _load_baseline(name)
    directory = model_dir(name)
    if directory is None:
        if name == DEFAULT_MODEL:
            raise ValueError(f"the default sentiment model is missing from {models_dir() / name} "
                             "(run `actorwatch train --shared ../shared/data`)")
        from analysis.nlp.adapt_versions import no_current_message

        said = no_current_message(user_models_dir(), name)
        if said:
            raise ValueError(said)
        raise ValueError(f"unknown sentiment model {name!r}: choose one of {', '.join(available_models())} "
                         "or give a model directory written by `actorwatch train`")
    return _load_model(str(directory.resolve()), (directory / "model.npz").stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _load_baseline(name: str) -> Scorer:
    from analysis.nlp.sentiment.baselines import SnowNLPScorer, VaderScorer

    return SnowNLPScorer() if name == "snownlp" else VaderScorer()


@lru_cache(maxsize=8)
def _load_model(directory: str, _mtime: int) -> Scorer:
    """One load per model file version (a re-adapted model under the same name is read again)."""
    from analysis.nlp.sentiment import e5, english
    from analysis.nlp.sentiment.linear import LinearScorer, model_kind

    path = Path(directory)
    kind = model_kind(path)  # one look at the file decides which class reads it
    if kind == e5.KIND:
        from analysis.nlp.encoder import require_encoder

        require_encoder(path.name, "the fast default model", e5.model_encoder(path))
        return e5.E5Scorer.load(path)
    if kind == english.KIND:
        scorer = english.EnglishScorer.load(path)
        if scorer.task.name != "sentiment":
            raise ValueError(f"{path} holds an English {scorer.task.name} model, not a sentiment model")
        return scorer
    return LinearScorer.load(path)


class RoutedScorer:
    """Production routing as a scorer: English rows → the model's English route (an English model or VADER), the
    rest → the model (the default unless named; see score_texts), as enrichment scores them."""

    labels = LABELS

    def __init__(self, model: str | None = None) -> None:
        self.model = get_scorer(model)
        self.english = english_scorer(self.model)
        if self.english is not None:
            self.name = f"{self.model.name}+{self.english.name}"
            self.version = f"{self.model.version}+{self.english.version}"
        else:
            self.name, self.version = self.model.name, self.model.version

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return score_texts(texts, default=self.model)

    def routing(self, texts: Sequence[str]) -> dict[str, int]:
        """How many texts each scorer gets."""
        if self.english is None:
            return {self.model.name: len(texts)}
        n_english = int(english_mask(texts).sum())
        return {self.model.name: len(texts) - n_english, self.english.name: n_english}


def get_scorer(name: str | None = None) -> Scorer:
    """None/'default' → the shipped Chinese model; 'snownlp', 'vader'; 'auto' (routed by language);
    a shipped model name or a model directory."""
    if name == "auto":
        return RoutedScorer()
    return _load(DEFAULT_MODEL if name in (None, "", "default") else str(name))


def english_route(scorer: Scorer | None = None) -> str:
    """Where the model sends English rows: "self", "vader", or the name of an English model (e.g. en-wordlr-3c)."""
    return getattr(scorer or get_scorer(), "english_route", "vader")


def english_scorer(scorer: Scorer | None = None) -> Scorer | None:
    """The scorer of the model's English rows, or None where the model scores them itself."""
    from analysis.nlp.sentiment.linear import english_beside

    scorer = scorer or get_scorer()
    route = english_route(scorer)
    if route == "self":
        return None
    kept = english_beside(getattr(scorer, "directory", None), route)
    return get_scorer(str(kept) if kept else route)


def full_version(scorer: Scorer) -> str:
    """The version of everything that scores with this model: its own, plus its English route's where it has one
    (what `scores.model_version` records, so upgrading either re-scores)."""
    english = english_scorer(scorer)
    return scorer.version if english is None else f"{scorer.version}+{english.version}"


def english_mask(texts: Sequence[str], langs: Sequence[str | None] | None = None) -> np.ndarray:
    """True for the rows routed to the English route: language 'en' as `reading_langs` reads it."""
    return np.array([bool(lang) and lang.startswith("en") for lang in reading_langs(texts, langs)], dtype=bool)


def reading_langs(texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[str | None]:
    """The language each text is read in: the given language (a record's declared one) where it is neither Chinese
    nor English (fr, ja, …); else what its cleaned characters read (`detect_lang`: 'zh', 'en', another language its
    script names (ja, ko, …), 'und' for letters of a script written for several, or None for a text with no
    language to read, such as emoji or [表情] codes alone, which the default model reads). Enrichment scores only
    the texts whose language `is_read`.

    A declaration names the language the poster's app was set to as often as the post's: a Chinese Bluesky post
    tagged "en" would go to the English model, which reads none of it, and "😂😂" would score one way from Bluesky
    ("en") and another from Weibo (no language)."""
    if langs is None:
        langs = [None] * len(texts)
    if len(langs) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(langs)} languages")
    given = [str(lang).strip().lower() or None if lang else None for lang in langs]
    ask = [i for i, lang in enumerate(given) if lang is None or lang[:2] in _MODELLED]
    # read from the cleaned text, as the models read it: a link card's label (网页链接, 查看图片) is not the poster's words
    if ask:
        samples = [clean_text(texts[i]).model_text[:SAMPLE_CHARS] for i in ask]  # all detect_lang reads of a text
        for i, lang in zip(ask, text_langs(samples), strict=True):
            given[i] = lang
    return given


def text_langs(samples: list[str]) -> list[str | None]:
    """`detect_lang` of each text, the texts not read in the last few calls detected together (`detect_langs`, ~20×
    quicker than one by one): enrichment reads a batch's languages, then its sentiment and emotion models route the
    same texts again."""
    from analysis.nlp.sentiment.features import RECENT_ROWS

    return RECENT_ROWS.get("langs", samples, lambda new: np.array(detect_langs(new), dtype=object)).tolist()


_MODELLED = READ_LANGS = ("zh", "en")  # the languages the models tell apart (and read); others declared stay so


def is_read(lang: str | None) -> bool:
    """Whether the models read a text in `lang` (as `reading_langs` gives it): Chinese, English, or no language at
    all (emoji or [表情] codes alone, which the default model reads). Text in any other language (ja, ko, fr, und:
    letters of a script written for several) is not scored: a Chinese model's reading of it would be noise
    counted as opinion."""
    return lang is None or lang[:2] in _MODELLED


def unread_scan(con: Any) -> str | None:
    """SQL for (source, id, lang) of each record enrichment kept but did not score: its newest annotation gives a
    language that is not `is_read`, no stance, and no sentiment score exists for it (enrichment before it told such
    records apart scored them, and such a score counts in its model's shares until the next enrichment drops it:
    `analysis.nlp.enrich.drop_unread_scores`). None without annotations."""
    from analysis.core.annotations import ANNOTATIONS, annotations_scan
    from analysis.core.scores import SCORES
    from analysis.core.tables import has_table

    scan = annotations_scan(con)
    if scan is None:
        return None
    has_empty = "is_empty" in {row[0] for row in con.execute(f"DESCRIBE {ANNOTATIONS}").fetchall()}
    scored = f"ANTI JOIN (SELECT DISTINCT source, id FROM {SCORES}) s USING (source, id) " if has_table(con, SCORES) else ""
    return f"(SELECT a.source, a.id, a.lang FROM {scan} a {scored}WHERE {unread_where('a', has_empty)})"


def unread_where(alias: str, has_empty: bool = True) -> str:
    """SQL: the annotation `alias` is of a record kept but not read (a language not `is_read`, text left after
    cleaning, so no stance)."""
    empty = f"coalesce({alias}.is_empty, false)" if has_empty else "false"
    read = ", ".join(f"'{lang}'" for lang in READ_LANGS)
    return (f"{alias}.lang IS NOT NULL AND substr({alias}.lang, 1, 2) NOT IN ({read}) AND NOT {empty} "
            f"AND {alias}.stance IS NULL")


_ROUTE = object()  # score_texts: look the model's English route up (by its name)


def score_texts(texts: Sequence[str], langs: Sequence[str | None] | None = None,
                default: Scorer | None = None, english_model: Any = _ROUTE) -> np.ndarray:
    """Probabilities per text: rows in English ('en') go to the model's English route (an English model or
    VADER, chosen at training on the in-domain English dev split) unless the model scores them itself; all
    others to `default` (the shipped model unless given, e.g. a model being trained).

    `langs` may hold None (unknown): those rows, and the rows given as 'zh' or 'en', are routed by their characters
    (`reading_langs`); a row given as another language goes to `default`. `english_model`: the English route already
    loaded (None: `default` scores English rows itself), so a run scores with the version it recorded even when the
    route's files are replaced meanwhile.
    """
    texts = list(texts)
    default = default or get_scorer()
    if english_model is _ROUTE:
        english_model = english_scorer(default)
    if english_model is None:
        from analysis.nlp.sentiment.e5 import E5Scorer

        if isinstance(default, E5Scorer):  # it routes English rows itself, by the languages it is given
            return default.predict_proba(texts, langs)
        return default.predict_proba(texts)
    english = english_mask(texts, langs)
    out = np.zeros((len(texts), 3))
    if english.any():
        out[english] = english_model.predict_proba([t for t, e in zip(texts, english, strict=True) if e])
    if (~english).any():
        out[~english] = default.predict_proba(
            [t for t, e in zip(texts, english, strict=True) if not e])
    return out


__all__ = ["DEFAULT_MODEL", "LABELS", "READ_LANGS", "RoutedScorer", "Scorer", "available_models", "english_mask", "english_route", "english_scorer", "full_version",
           "get_scorer", "is_read", "models_dir", "reading_langs", "score_texts", "unread_scan", "unread_where",
           "user_models_dir"]
