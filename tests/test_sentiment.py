"""Scorers: the interface contract, the shipped model's files, routing, and the training pieces."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.nlp.sentiment import DEFAULT_MODEL, LABELS, Scorer, get_scorer, models_dir, score_texts
from analysis.nlp.sentiment.baselines import polarity_to_three
from analysis.nlp.sentiment.features import Featurizer, Lexicon, char_ngrams
from analysis.nlp.sentiment.training import fit_partial_label, fit_temperature, stratified_folds
from analysis.nlp.text import clean_text

ODD = ["", "   ", "😂😂😂", "[哈哈]", "A" * 100_000, "爱奇艺AI艺人库 Tilly Norwood 🤖 #AI演员# @某人 //@甲:乙",
       "<br/>&amp;", "\ud800", "這個AI演員太噁心了"]
shipped = pytest.mark.skipif(not (models_dir() / DEFAULT_MODEL / "model.npz").exists(),
                             reason="shipped model not built yet (run `actorwatch train`)")


def _check_proba(p: np.ndarray, n: int) -> None:
    assert p.shape == (n, 3)
    assert np.all(p >= 0) and np.allclose(p.sum(axis=1), 1.0)


@shipped
def test_default_scorer_contract_and_odd_inputs() -> None:
    scorer = get_scorer()
    assert isinstance(scorer, Scorer)
    assert scorer.name == DEFAULT_MODEL and scorer.version and tuple(scorer.labels) == LABELS
    _check_proba(scorer.predict_proba(ODD), len(ODD))
    assert scorer.predict_proba([]).shape == (0, 3)
    assert scorer.predict_proba(["   "])[0].tolist() == [0.0, 1.0, 0.0]  # empty after cleaning → neutral


@shipped
def test_default_scorer_gets_clear_cases_right() -> None:
    p = get_scorer().predict_proba(["太棒了，真的好喜欢，期待下一部[哈哈][爱你]",
                                    "恶心，垃圾平台，未经授权侵权，抵制[怒]"])
    assert p[0].argmax() == 2 and p[1].argmax() == 0


@shipped
def test_shipped_card_is_complete() -> None:
    card = json.loads((models_dir() / DEFAULT_MODEL / "card.json").read_text(encoding="utf-8"))
    assert card["name"] == DEFAULT_MODEL and card["version"] == get_scorer().version
    files = {e["file"] for e in card["evaluations"]}
    assert {"sentiment3_dev.csv", "sentiment_dev.csv", "sentiment3_train.csv",
            "sentiment_extra_chnsenticorp_test.csv"} <= files
    for entry in card["evaluations"]:
        for key in ("accuracy", "macro_f1", "accuracy_ci95", "macro_f1_ci95", "binary_accuracy"):
            assert key in entry["default"]
    for f in card["training_files"]:
        assert len(f["sha256"]) == 64 and f["rows"] > 0 and f["bytes"] > 0
    assert (models_dir() / DEFAULT_MODEL / "model.npz").stat().st_size < 8_000_000


def test_baselines_share_the_documented_mapping() -> None:
    p = polarity_to_three(np.array([0.0, 0.5, 1.0, 0.4, 0.9]))
    _check_proba(p, 5)
    assert p[:, [0, 1, 2]].argmax(axis=1).tolist() == [0, 1, 2, 1, 2]
    assert np.allclose(p[1], [0.25, 0.5, 0.25])
    vader = get_scorer("vader")
    _check_proba(vader.predict_proba(ODD), len(ODD))
    q = vader.predict_proba(["I love this wonderful, brilliant film!", "This is a horrible, disgusting scam."])
    assert q[0].argmax() == 2 and q[1].argmax() == 0


def test_snownlp_baseline_contract() -> None:
    scorer = get_scorer("snownlp")
    _check_proba(scorer.predict_proba(["太好了", "", "😂"]), 3)
    assert scorer.predict_proba([""])[0].tolist() == pytest.approx([0.25, 0.5, 0.25])


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown sentiment model"):
        get_scorer("no-such-model")
    # its choices are sentiment models only: the stance and emotion models beside them are not offered
    from analysis.nlp.sentiment import DEFAULT_MODEL, models_dir

    with pytest.raises(ValueError, match="unknown sentiment model") as caught:
        get_scorer("no-such-model")
    offered = str(caught.value).split("choose one of ", 1)[1].split(" or give", 1)[0].split(", ")
    assert DEFAULT_MODEL in offered and "vader" in offered
    others = [p.parent.name for p in models_dir().glob("*/model.npz")
              if "stance" in p.parent.name or "emotion" in p.parent.name]
    assert others and not set(others) & set(offered)


def test_vader_reads_weibo_emoticon_codes_as_smileys() -> None:
    vader = get_scorer("vader")
    plain, loving, angry = vader.predict_proba(["my new phone", "my new phone [爱你][爱你]", "my new phone [怒]"])
    assert loving[2] > plain[2] and angry[0] > plain[0]
    assert vader.plain_text(clean_text("hi [爱你] [不存在的表情]")) == "hi :)"


def test_the_characters_settle_chinese_against_english_over_a_declared_language() -> None:
    from analysis.nlp.sentiment import english_mask

    # Bluesky and Mastodon posts carry the language the app declared (often its own: a Chinese post tagged "en");
    # where the characters read Chinese or English, they decide which of the two models reads the text; where they
    # read neither (emoji, [表情] codes), the default model reads it, whatever was declared
    texts = ["这个AI演员太假了，真恶心", "AI actors are disgusting", "AI actors are disgusting", "Ce film est nul",
             "😂😂", "😂😂", "[怒]", "爱奇艺疯了"]
    langs = ["en", "zh", "en-US", "fr", "en", None, "en", None]
    assert english_mask(texts, langs).tolist() == [False, True, True, False, False, False, False, False]


@shipped
def test_a_chinese_post_declared_english_scores_as_chinese() -> None:
    for text in ("这个AI演员太假了，真恶心", "[怒][怒]", "😡"):  # Bluesky declares "en", Weibo nothing
        assert score_texts([text], ["en"]).tolist() == score_texts([text], ["zh"]).tolist() == \
            score_texts([text]).tolist()


@shipped
def test_score_texts_routes_english_by_the_model_s_route() -> None:
    import copy

    from analysis.nlp.sentiment import english_scorer

    texts = ["I hate this creepy synthetic actress.", "太好看了，支持！", "plain words"]
    via_vader = copy.copy(get_scorer())
    via_vader.english_route = "vader"
    out = score_texts(texts, ["en", "zh", None], default=via_vader)
    _check_proba(out, 3)
    assert np.allclose(out[0], get_scorer("vader").predict_proba(texts[:1])[0])
    assert np.allclose(out[1], get_scorer().predict_proba(texts[1:2])[0])
    with pytest.raises(ValueError):
        score_texts(texts, ["en"], default=via_vader)
    itself = copy.copy(get_scorer())
    itself.english_route = "self"
    assert np.allclose(score_texts(texts, ["en", "zh", None], default=itself), get_scorer().predict_proba(texts))
    assert not np.allclose(score_texts(texts, ["en", "zh", None], default=itself)[0], out[0])
    routed = get_scorer("auto")
    english = english_scorer(get_scorer())
    if english is not None:
        assert routed.name == f"{DEFAULT_MODEL}+{english.name}" and get_scorer().version in routed.version
        assert routed.routing(texts) == {DEFAULT_MODEL: 1, english.name: 2}
    else:
        assert (routed.name, routed.version) == (DEFAULT_MODEL, get_scorer().version)
        assert routed.routing(texts) == {DEFAULT_MODEL: 3}
    assert np.allclose(routed.predict_proba(texts[:2]), score_texts(texts[:2]))


def test_char_ngrams_and_featurizer_round_trip() -> None:
    assert char_ngrams("abcd", (1, 2, 3)) == ["a", "b", "c", "d", "ab", "bc", "cd", "abc", "bcd"]
    assert char_ngrams("", (1, 2, 3)) == [] and char_ngrams("a", (2, 3)) == []
    f = Featurizer.fit(["好看好看", "难看", "好看"], orders=(1, 2), min_df=1, lexicon=Lexicon({"好看": 1}, {}))
    x = f.transform(["好看", "不好看", "", "zzz"])
    assert x.shape == (4, f.n_features)
    tfidf = x[:, : len(f.vocab)].toarray()
    assert np.allclose(np.linalg.norm(tfidf[:2], axis=1), 1.0) and not tfidf[2:].any()
    lex = x[:, len(f.vocab):].toarray()
    assert lex[0, 0] > 0 and lex[0, 1] == 0  # 好看 → positive
    assert lex[1, 0] == 0 and lex[1, 1] > 0  # 不好看 → negated → negative


def test_lexicon_counts() -> None:
    lex = Lexicon.load()
    pos, neg, emo_pos, emo_neg = lex.counts("不喜欢这种未经授权的换脸，恶心[怒] 期待[哈哈]")
    assert (pos, neg, emo_pos, emo_neg) == (1, 4, 1, 1)


def test_partial_label_fit_learns_and_respects_partial_rows() -> None:
    x = sp.csr_matrix(np.eye(3, dtype=np.float32).repeat(20, axis=0))
    allowed = np.vstack([np.tile([1, 0, 0], (20, 1)), np.tile([0, 1, 1], (20, 1)), np.tile([0, 0, 1], (20, 1))])
    coef, bias = fit_partial_label(x, allowed.astype(float), np.ones(60), l2=1e-3, max_iter=200)
    from analysis.nlp.sentiment.linear import softmax

    p = softmax(np.eye(3) @ coef + bias)
    assert p[0].argmax() == 0 and p[2].argmax() == 2
    assert p[1, 1] + p[1, 2] > 0.9  # a "not negative" row may be neutral or positive, never negative
    assert 0.05 < fit_temperature(np.array([[4.0, 0, 0], [0, 4.0, 0]] * 5), np.array([[1, 0, 0], [0, 0, 1]] * 5)) < 20


def test_stratified_folds_balance_each_stratum() -> None:
    strata = np.array([0] * 10 + [1] * 5)
    fold = stratified_folds(strata, 5, seed=1)
    assert sorted(np.bincount(fold[strata == 0])) == [2] * 5 and sorted(np.bincount(fold[strata == 1])) == [1] * 5


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("好看难看不AI😂\x00 ab") + ["\U00020000"]), max_size=12),
                min_size=1, max_size=6))
def test_vectorised_ngrams_match_the_reference_definition(texts: list[str]) -> None:
    f = Featurizer.fit(texts + ["好看", "好看"], orders=(1, 2, 3), min_df=1, lexicon=Lexicon({}, {}))
    reference = Counter()
    for t in texts + ["好看", "好看"]:
        reference.update(set(char_ngrams(t.replace("\0", " "), (1, 2, 3))))
    assert list(f.vocab) == sorted(reference)
    x = f.transform(texts)
    for row, text in enumerate(texts):
        expected = {f.vocab[g] for g in char_ngrams(text.replace("\0", " "), (1, 2, 3))}
        assert set(x[row, : len(f.vocab)].indices) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 2**62), unique=True, max_size=40), st.lists(st.integers(0, 2**62), max_size=60))
def test_key_index_finds_what_a_sorted_search_finds(vocab: list[int], wanted: list[int]) -> None:
    from analysis.nlp.sentiment.features import KeyIndex

    keys, queries = np.array(vocab, dtype=np.int64), np.array(wanted + vocab[::2], dtype=np.int64)
    expected = [vocab.index(q) if q in vocab else -1 for q in queries.tolist()]
    assert KeyIndex(keys).positions(queries).tolist() == expected


def test_vader_reads_a_typographic_apostrophe_as_a_straight_one() -> None:
    vader = get_scorer("vader")  # the baseline, and a model's English route where it won on the English dev rows
    straight, curly = vader.predict_proba(["This isn't good, I don't love it", "This isn\u2019t good, I don\u2019t love it"])
    assert straight.tolist() == curly.tolist() and straight.argmax() == 0
