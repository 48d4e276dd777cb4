"""Named baselines: stock SnowNLP (Chinese) and VADER (English), both mapped to three classes the same way.

Both give one polarity score s in [0, 1] (SnowNLP's P(positive); VADER's compound c rescaled as
s = (c + 1) / 2). It is spread over three classes as a binomial with two draws:
P(neg) = (1 - s)², P(neu) = 2·s·(1 - s), P(pos) = s². Rows sum to 1; positive beats negative iff
s > 0.5 (the original binary decision); neutral is the most probable class for 1/3 < s < 2/3
(for VADER, |compound| < 1/3, wider than VADER's own ±0.05 because news prose is rarely flat).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from analysis.nlp.text import CleanText, clean_text, straight_apostrophes
from collectors.paths import bundled_dir


def polarity_to_three(s: np.ndarray) -> np.ndarray:
    """The binomial mapping above: polarity in [0, 1] → [neg, neu, pos]."""
    s = np.clip(np.asarray(s, dtype=np.float64), 0.0, 1.0)
    return np.column_stack([(1 - s) ** 2, 2 * s * (1 - s), s ** 2])


def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


class _PolarityScorer:
    """A scorer from one polarity per text (see the module docstring); empty texts get s = 0.5."""

    name = ""
    package = ""
    labels = ("negative", "neutral", "positive")
    english_route = "self"  # a baseline named on its own scores every row

    def __init__(self) -> None:
        self.version = f"{self.name}-{_package_version(self.package)}-binomial3"

    def polarity(self, plain: str) -> float:
        raise NotImplementedError

    def plain_text(self, cleaned: CleanText) -> str:
        """What the tool reads: the display text (plain sentences, not [表情] codes or placeholders)."""
        return cleaned.display

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        scores = []
        for text in texts:
            cleaned = clean_text(text)
            plain = self.plain_text(cleaned)
            scores.append(0.5 if cleaned.is_empty or not plain else self.polarity(plain))
        return polarity_to_three(np.array(scores)) if scores else np.zeros((0, 3))


class SnowNLPScorer(_PolarityScorer):
    """Stock SnowNLP sentiment (trained on product reviews); the baseline the default must beat."""

    name = "snownlp"
    package = "snownlp"

    def polarity(self, plain: str) -> float:
        from snownlp import SnowNLP

        return float(SnowNLP(plain).sentiments)


def vader_domain_path() -> Path:
    return bundled_dir() / "dicts" / "vader_domain.tsv"


@lru_cache(maxsize=1)
def vader_domain_lexicon() -> dict[str, float]:
    """Domain adjustments to VADER's lexicon (data/dicts/vader_domain.tsv): word -> valence."""
    words: dict[str, float] = {}
    for line in vader_domain_path().read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            word, valence = line.split("\t")[:2]
            words[word.strip().lower()] = float(valence)
    return words


@lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(vader_domain_lexicon())
    return analyzer


class VaderScorer(_PolarityScorer):
    """VADER (rule-based English social-media sentiment) with domain adjustments: s = (compound + 1) / 2."""

    name = "vader"
    package = "vadersentiment"

    def __init__(self) -> None:
        super().__init__()
        from analysis.nlp.sentiment.features import lexicon_path

        digest = hashlib.sha256(vader_domain_path().read_bytes()).hexdigest()[:6]
        # the emoticon polarities come from the sentiment lexicon, so its edits change this scorer too
        emoticons = hashlib.sha256(lexicon_path().read_bytes()).hexdigest()[:6]
        self.version = f"{self.name}-{_package_version(self.package)}-domain{digest}-emoticons{emoticons}-binomial3"

    def plain_text(self, cleaned: CleanText) -> str:
        """The display text (straight apostrophes) plus ':)' or ':(' for each Weibo emoticon code of known polarity (English posts
        on Weibo carry [爱你] or [怒] codes that VADER cannot read, but it reads smileys)."""
        polarity = _emoticon_polarity()
        smileys = [":)" if polarity[code] > 0 else ":(" for code in cleaned.emoticons if polarity.get(code)]
        display = straight_apostrophes(cleaned.display)  # VADER's negations are "isn't", "n't": never "isn’t"
        return " ".join([display, *smileys]) if smileys else display

    def polarity(self, plain: str) -> float:
        return (_vader().polarity_scores(plain)["compound"] + 1) / 2


@lru_cache(maxsize=1)
def _emoticon_polarity() -> dict[str, int]:
    from analysis.nlp.sentiment.features import Lexicon

    return Lexicon.load().emoticons
