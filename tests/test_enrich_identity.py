"""The fast enrichment path writes exactly what the straightforward one does, column by column.

The straightforward path: jieba's own `Tokenizer.lcut`, and each char n-gram model featurising its texts
on its own (no n-gram keys or lexicon counts shared between the sentiment, stance and emotion models).
The sample is a fixed demo corpus with joined (long) posts, reposts, English, URL-only and empty texts.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.nlp import segment
from analysis.nlp.enrich import annotate_batch, annotate_tables, pipeline_version, scoring_model
from analysis.nlp.sentiment import features

EXTRA = [
    "转发微博 //@某用户: 爱奇艺的AI艺人库太恶心了，坚决抵制[怒] //@另一个: 同意",
    "The AI artist library from iQIYI is impressive, excited to see more",
    "https://t.cn/abc", "", "😀😀😀", "哈哈哈哈哈哈哈哈啊啊啊啊啊", "央行下调基准利率0.25个百分点，张若昀工作室回应",
]


def _sample() -> dict[str, list]:
    from collectors.demo import generate
    from collectors.trackers import load_trackers

    table = generate(load_trackers(), records=240, seed=5)
    texts = table["text"].to_pylist()
    texts = [*texts[:200], *("".join(texts[i:i + 12]) for i in range(0, 240, 12)), *EXTRA]
    n = len(texts)
    titles = table["title"].to_pylist()
    return {"source": ["fixture"] * n, "id": [f"r{i}" for i in range(n)], "text": texts,
            "title": [titles[i % 240] if i % 7 == 0 else None for i in range(n)],
            "lang": [None if i % 5 == 0 else "zh" for i in range(n)],
            "trackers": [table["trackers"][i % 240].as_py() if i % 3 else [] for i in range(n)],
            "has_score": [i % 11 == 0 for i in range(n)]}


def _straightforward(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(segment, "_cut", lambda: segment._tokenizer().lcut)
    monkeypatch.setattr(features._RECENT, "get", lambda kind, inputs, make: make())
    monkeypatch.setattr(features.RECENT_ROWS, "get", lambda kind, inputs, make: make(list(inputs)))
    monkeypatch.setattr(features.GramSpace, "counts_for", lambda self, featurizer, inputs: None)


def _assert_same(fast: dict, plain: dict, skip: str) -> None:
    assert fast.keys() == plain.keys()
    for column, a in fast.items():
        if column == skip:
            continue
        b = plain[column]
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            assert np.array_equal(np.asarray(a), np.asarray(b)), column
        else:
            assert list(a) == list(b), column


def test_fast_path_annotations_equal_the_straightforward_path(monkeypatch: pytest.MonkeyPatch) -> None:
    batch = _sample()
    model = scoring_model()
    version = pipeline_version(model[1])
    fast = annotate_batch(batch, version, model)
    with monkeypatch.context() as patch:
        _straightforward(patch)
        plain = annotate_batch(batch, version, model)
    assert fast.empty == plain.empty
    _assert_same(fast.annotations, plain.annotations, "annotated_at")
    _assert_same(fast.scores, plain.scores, "scored_at")
    assert any(fast.annotations["keywords"]) and any(fast.annotations["entities"])
    assert features._SPACES, "the three char n-gram models should share one gram space"


def test_tables_sent_to_workers_carry_the_same_rows() -> None:
    import pyarrow as pa

    from analysis.core.annotations import ANNOTATIONS_SCHEMA
    from analysis.core.scores import SCORES_SCHEMA
    from analysis.nlp.enrich import _to_ipc

    batch = _sample()
    model = scoring_model()
    version = pipeline_version(model[1])
    table = pa.table(batch)
    sliced = table.slice(50, 120)
    tables = annotate_tables(_to_ipc(sliced), version, model)
    direct = annotate_batch(sliced.to_pydict(), version, model)
    expected = pa.Table.from_pydict(direct.annotations, schema=ANNOTATIONS_SCHEMA)
    assert tables.annotations.drop_columns(["annotated_at"]).equals(expected.drop_columns(["annotated_at"]))
    expected = pa.Table.from_pydict(direct.scores, schema=SCORES_SCHEMA)
    assert tables.scores.drop_columns(["scored_at"]).equals(expected.drop_columns(["scored_at"]))


@given(st.lists(st.lists(st.sampled_from(["好看", "难看", "AI演员", "好看 ", "", "x"]), min_size=0, max_size=8),
                max_size=6))
def test_rows_kept_between_calls_are_the_rows_made_afresh(calls: list[list[str]]) -> None:
    # stance and emotion reuse the sentiment model's rows for the texts they share with it: whatever the overlap
    # between calls, each call must get exactly the rows it would have made on its own
    from analysis.nlp.sentiment.features import Featurizer, Lexicon, _RecentRows

    featurizer = Featurizer.fit(["好看好看", "难看", "AI演员好看"], orders=(1, 2), min_df=1, lexicon=Lexicon({}, {}))
    space = features.GramSpace([featurizer])
    rows = _RecentRows()
    for inputs in calls:
        for kind, make in (("grams", space._union_counts),
                           ("lengths", lambda texts: np.array([[len(t), t.count("好")] for t in texts]).reshape(-1, 2))):
            kept, fresh = rows.get(kind, inputs, make), make(list(inputs))
            if kind == "grams":
                assert kept.shape == fresh.shape and kept.dtype == fresh.dtype
                kept, fresh = kept.toarray(), fresh.toarray()
            assert np.array_equal(kept, fresh)


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 40)), max_size=200))
def test_count_matrix_is_scipys_summed_coo_matrix(pairs):
    # the gram counter's own sort-and-count must give exactly the canonical matrix scipy builds (same counts, sorted
    # columns, no duplicates), or every score would move
    import numpy as np
    import scipy.sparse as sp

    from analysis.nlp.sentiment.features import count_matrix

    docs = np.array([d for d, _ in pairs], dtype=np.int64)
    cols = np.array([c for _, c in pairs], dtype=np.int64)
    ours = count_matrix(docs, cols, 7, 41)
    theirs = sp.csr_matrix((np.ones(len(pairs), dtype=np.float32), (docs, cols)), shape=(7, 41))
    theirs.sum_duplicates()
    assert ours.shape == theirs.shape and ours.dtype == np.float32 and ours.has_canonical_format
    assert np.array_equal(ours.indptr, theirs.indptr) and np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.data, theirs.data)
