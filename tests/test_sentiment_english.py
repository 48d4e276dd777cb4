"""The English sentiment model: features equal scikit-learn's, round trip, and the English route to it."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from analysis.nlp.sentiment.english import CharBlock, EnglishScorer, is_english_model, word_grams
from analysis.nlp.sentiment.english_training import fit_english

TEXTS = ["Tilly Norwood is not an actress, she is a theft of real performers' work.",
         "SAG-AFTRA  welcomes   the consent rules\tfor digital replicas",
         "café naïve — emoji 🎭 and Weibo [哈哈] codes", "", "a", "I love it! I love it!",
         "synthetic performers should never replace humans", "what a great, moving performance"]
LABELS = np.array([0, 2, 2, 2, 2, 1, 0, 1])


def test_word_grams_are_scikit_learn_s_word_1_2_grams() -> None:
    analyzer = TfidfVectorizer(ngram_range=(1, 2)).build_analyzer()
    for text in TEXTS:
        assert sorted(word_grams(text.lower())) == sorted(analyzer(text))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab c\tdé🎭'-")), max_size=30), min_size=1, max_size=6))
def test_char_block_equals_scikit_learn_char_wb(extra: list[str]) -> None:
    fitted = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1).fit(TEXTS + extra)
    fast = CharBlock(fitted.vocabulary_, fitted.idf_)
    for batch in (TEXTS, extra, TEXTS + extra):
        want, got = fitted.transform(batch), fast.transform(batch)
        assert got.shape == want.shape
        assert abs(got - want).max() < 1e-5 if want.nnz or got.nnz else True


def test_fit_save_load_predicts_the_same(tmp_path) -> None:
    model = fit_english(TEXTS, LABELS, np.ones(len(TEXTS)), c=3.0, name="en-test")
    model.version = "1.0.test"
    model.save(tmp_path / "en-test")
    assert is_english_model(tmp_path / "en-test") and not is_english_model(tmp_path)
    loaded = EnglishScorer.load(tmp_path / "en-test")
    proba = loaded.predict_proba(TEXTS)
    assert np.allclose(proba, model.predict_proba(TEXTS), atol=1e-6)
    assert np.allclose(proba.sum(axis=1), 1) and loaded.english_route == "self"
    assert np.allclose(proba[3], [0, 1, 0])  # nothing left after cleaning → neutral
    assert isinstance(loaded.features(["x"]), sp.csr_matrix)


def test_english_rows_go_to_the_model_the_route_names(tmp_path, monkeypatch) -> None:
    from analysis.nlp import sentiment

    english = fit_english(TEXTS, LABELS, np.ones(len(TEXTS)), c=3.0, name="en-test")
    english.save(tmp_path / "en-test")

    class Chinese:
        name, version, labels = "zh-test", "1", ("negative", "neutral", "positive")
        english_route = str(tmp_path / "en-test")

        def predict_proba(self, texts):
            return np.tile([0.2, 0.3, 0.5], (len(texts), 1))

    texts = ["Synthetic performers should never replace humans.", "太好看了，支持！"]
    out = sentiment.score_texts(texts, ["en", "zh"], default=Chinese())
    assert np.allclose(out[0], EnglishScorer.load(tmp_path / "en-test").predict_proba(texts[:1])[0])
    assert np.allclose(out[1], [0.2, 0.3, 0.5])
    monkeypatch.setattr(sentiment, "DEFAULT_MODEL", "zh-test")
    real_load = sentiment._load
    monkeypatch.setattr(sentiment, "_load", lambda name: Chinese() if name == "zh-test" else real_load(name))
    routed = sentiment.RoutedScorer()
    assert routed.name == "zh-test+en-test" and routed.routing(texts) == {"zh-test": 1, "en-test": 1}


@pytest.mark.parametrize("route", ["self", "vader", "en-wordlr-3c"])
def test_an_adapted_model_keeps_its_base_s_english_route(route) -> None:
    from analysis.nlp.adapt import _adapted_model
    from analysis.nlp.sentiment.features import Featurizer, Lexicon
    from analysis.nlp.sentiment.linear import LinearScorer

    featurizer = Featurizer.fit(["好看", "难看"], orders=(1,), min_df=1, lexicon=Lexicon({}, {}))
    base = LinearScorer("base", "1", featurizer, np.zeros((featurizer.n_features, 3)), np.zeros(3), 1.0, route)
    adapted = _adapted_model(base, "base-t", base.weights, base.bias, 1.0)
    assert adapted.english_route == route


def test_valence_features_count_general_words_and_flip_after_a_negator(tmp_path) -> None:
    from analysis.nlp.sentiment.english import ValenceLexicon

    lexicon = ValenceLexicon({"good": 1.9, "awful": -2.0}, frozenset({"not", "never"}))
    x = lexicon.transform(["good good", "not good", "this isn't good", "awful", "nothing here", ""]).toarray()
    assert np.allclose(x[0], [np.log1p(3.8), 0]) and np.allclose(x[1], [0, np.log1p(1.9 * 0.74)])
    assert np.allclose(x[2], x[1]) and np.allclose(x[3], [0, np.log1p(2.0)]) and not x[4:].any()
    model = fit_english(TEXTS, LABELS, np.ones(len(TEXTS)), c=3.0, name="en-test")
    assert model.lexicon is not None and len(model.lexicon.valence) > 5000  # VADER's, stored with the model
    model.save(tmp_path / "m")
    assert EnglishScorer.load(tmp_path / "m").lexicon == model.lexicon


def test_models_share_feature_rows_only_when_they_featurise_alike() -> None:
    # enrichment's sentiment and emotion English models (same vocabularies, idf and valences) reuse each other's
    # feature rows for the texts they share; a model with other vocabularies must count its own
    same = fit_english(TEXTS, LABELS, np.ones(len(TEXTS)), c=3.0, name="en-a")
    twin = EnglishScorer("en-b", "1", same.vocabularies, same.idf, np.zeros_like(same.weights), same.bias,
                         same.lexicon)
    other = fit_english(TEXTS[:6], LABELS[:6], np.ones(6), c=3.0, name="en-c")
    first, later = [t.lower() for t in TEXTS[:5]], [t.lower() for t in TEXTS[2:]]
    for model in (same, twin, other):
        for inputs in (first, later):
            got, want = model.features(inputs), model._features(inputs)
            assert got.shape == want.shape and (got != want).nnz == 0
