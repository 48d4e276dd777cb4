"""Keywords per record and period, frames (lexicon and counts over time) and NMF topic clusters."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.core.filters import Filters
from analysis.nlp.enrich import enrich_store
from analysis.nlp.topics import (
    FrameFileError,
    frames_in,
    load_frames,
    record_keywords,
    top_terms,
    topic_clusters,
)
from analysis.stats.annotation_series import frame_counts_by_period, keywords_by_period
from collectors.store import Store
from tests.nlp_fixtures import install_fake_sentiment, write_records

DAY1 = ["非遗保护很重要，演员是非遗", "又说演员是非遗", "非遗这个说法太气人"]
DAY2 = ["肖像权被侵犯了", "没有授权就用肖像权", "肖像权问题必须解决"]
F = Filters("case-a", date(2026, 4, 20), date(2026, 4, 22))


@pytest.mark.parametrize(("text", "expected"), [
    ("演员成了非遗？", ["heritage"]),
    ("Actors as intangible cultural heritage", ["heritage"]),
    ("AI换脸侵犯肖像权，未经授权", ["deepfake", "likeness", "consent"]),
    ("SAG-AFTRA says a synthetic performer threatens JOBS", ["digital-human", "jobs"]),
    ("演员是非遗", ["heritage"]),  # the debate's phrase, although 是非 is a dictionary word
    ("", []), ("😀😀", []),
])
def test_frames_in(text: str, expected: list[str]) -> None:
    assert frames_in(text) == expected


def test_every_frame_is_bilingual_with_unique_ids() -> None:
    frames = load_frames()
    assert len({f.id for f in frames}) == len(frames) >= 8
    assert all(f.zh and f.en and f.label_en for f in frames)


def test_bad_frame_file_is_a_clear_error(tmp_path) -> None:
    bad = tmp_path / "frames.toml"
    bad.write_text("[frame.x]\nzh = []\nen = []\n", encoding="utf-8")
    with pytest.raises(FrameFileError, match="frame x"):
        load_frames(str(bad))
    bad.write_bytes(b"\xff\xfe not toml")
    with pytest.raises(FrameFileError, match="not valid TOML"):
        load_frames(str(bad))


def test_record_keywords_prefer_specific_terms() -> None:
    tokens = ["我们", "觉得", "肖像权", "我们", "非遗", "觉得"]
    assert set(record_keywords(tokens, 2)) == {"肖像权", "非遗"}
    assert record_keywords([], 5) == [] and record_keywords(["。", "1", "a"], 5) == []


def test_top_terms_find_the_shared_subject() -> None:
    texts = ["网友讨论肖像权", "肖像权官司开打", "今天天气不错，肖像权"]
    assert top_terms(texts, 1) == ["肖像权"]
    assert top_terms([], 3) == [] and top_terms(["", "😀"], 3) == []


@pytest.mark.parametrize("enriched", [False, True])
def test_keywords_by_period(data_dir, make_record, monkeypatch, enriched: bool) -> None:
    store = Store(data_dir)
    write_records(store, make_record, DAY1 + DAY2, per_day=3)
    if enriched:  # read from the annotations dataset instead of segmenting on the fly
        install_fake_sentiment(monkeypatch)
        enrich_store(store, workers=1)
    with store.connect() as con:
        frame = keywords_by_period(con, F, freq="D", k=3)
        weekly = keywords_by_period(con, F, freq="W", k=3)
    top = {str(r.period): r.term for r in frame.itertuples() if r.rank == 1}
    assert top == {"2026-04-20": "非遗", "2026-04-21": "肖像权"}
    assert frame.loc[frame["term"] == "非遗", "records"].iloc[0] == 3
    assert set(weekly["period"].astype(str)) == {"2026-04-20"}
    with store.connect() as con, pytest.raises(ValueError, match="freq"):
        keywords_by_period(con, F, freq="month")


def test_frame_counts_by_period_zero_filled_with_shares(data_dir, make_record) -> None:
    store = Store(data_dir)
    write_records(store, make_record, DAY1 + DAY2, per_day=3)
    with store.connect() as con:
        frame = frame_counts_by_period(con, F)
    assert len(frame) == 3 * len(load_frames())  # every day × every frame, including the empty 22 Apr
    row = frame[(frame["period"].astype(str) == "2026-04-20") & (frame["frame"] == "heritage")].iloc[0]
    assert (row["records"], row["n"], row["share"]) == (3, 3, 1.0) and row["share_lo"] < 1.0
    empty_day = frame[frame["period"].astype(str) == "2026-04-22"]
    assert empty_day["records"].sum() == 0 and empty_day["share"].isna().all()
    likeness = frame[(frame["frame"] == "likeness") & (frame["period"].astype(str) == "2026-04-21")]
    assert likeness["records"].iloc[0] == 3


def test_topic_clusters_separate_two_subjects() -> None:
    heritage = [f"演员被说成非遗，传统手艺{i}号观点" for i in range(12)]
    stock = [f"股价暴跌，市值蒸发，投资者{i}号观点" for i in range(12)]
    model = topic_clusters(heritage + stock, n_topics=2, seed=0)
    assert len(model.topics) == 2 and len(model.assignments) == 24
    first, second = set(model.assignments[:12]), set(model.assignments[12:])
    assert len(first) == 1 and len(second) == 1 and first != second
    terms = {t.id: t.terms for t in model.topics}
    assert "非遗" in terms[first.pop()] and "股价" in terms[second.pop()]
    assert all(t.label == " / ".join(t.terms[:3]) for t in model.topics)
    assert sum(t.size for t in model.topics) == 24


@pytest.mark.parametrize("texts", [[], [""], ["😀", "。。。"], ["只有一条"]])
def test_topic_clusters_degenerate_input(texts: list[str]) -> None:
    model = topic_clusters(texts, n_topics=3)
    assert model.topics == () and len(model.assignments) == len(texts)


def test_long_and_mixed_script_text() -> None:
    long = "演员是非遗" + "真人演员的表演" * 15_000  # > 100k characters
    assert frames_in(long) == ["heritage", "authenticity"]
    assert {"演员", "肖像权", "likeness"} <= set(top_terms([long, "Привет 肖像权 こんにちは likeness 안녕"], 5))
    assert frames_in("Привет 肖像权 こんにちは likeness 안녕") == ["likeness"]


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_frames_in_never_raises_and_returns_known_ids(text: str) -> None:
    ids = {f.id for f in load_frames()}
    found = frames_in(text)
    assert set(found) <= ids and len(found) == len(set(found))


def test_many_texts_are_done_in_a_worker_with_the_same_results(monkeypatch) -> None:
    from analysis.nlp import topics

    texts = ["演员工会反对AI演员上岗，肖像权问题", "The union opposes AI actors on set", "数字人 肖像权 非遗 传承",
             "演员工会反对AI演员上岗，肖像权问题", "爱奇艺 AI演员 库 上线 引发 争议", "digital human likeness rights"] * 3
    local_keywords = topics.many_record_keywords(texts)
    local_topics = topics.topic_clusters(texts, n_topics=2)
    monkeypatch.setattr(topics, "OFFLOAD_MIN", 1)
    assert topics.many_record_keywords(texts) == local_keywords
    assert topics.topic_clusters(texts, n_topics=2) == local_topics
    assert topics._pool is not None and not topics._pool_failed  # they came from the worker process


def test_the_worker_does_not_rerun_the_servers_main_script(monkeypatch, tmp_path) -> None:
    """Streamlit leaves the page script installed as `__main__`: a spawned worker must not run it again."""
    import sys
    import types

    from analysis.nlp import topics

    marker = tmp_path / "ran"
    script = tmp_path / "app.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    monkeypatch.setattr(topics, "_pool", None)
    monkeypatch.setattr(topics, "_pool_failed", False)
    monkeypatch.setattr(topics, "OFFLOAD_MIN", 1)
    try:
        assert topics.many_record_keywords(["数字人 肖像权 非遗 传承"] * 3) == [topics.record_keywords(
            topics.text_tokens("数字人 肖像权 非遗 传承"))] * 3
        assert topics._pool is not None and not topics._pool_failed  # it ran in the worker
    finally:
        if topics._pool is not None:
            topics._pool.shutdown()
    assert not marker.exists()
    assert sys.modules["__main__"] is fake_main  # put back after the spawn


def test_charts_built_from_a_text_sample_say_so(data_dir, make_record, monkeypatch) -> None:
    # without enrichment, keywords, frames and topic clusters are computed on a random sample of the records when
    # there are more than MAX_TEXTS: every chart, alt text, CSV and export line built from it says which sample
    from analysis.stats import annotation_series
    from dashboard.charts import registry
    from dashboard.charts.embed import credited_figure, sidecar
    from dashboard.charts.registry import View

    monkeypatch.setattr(annotation_series, "MAX_TEXTS", 4)
    store = Store(data_dir)
    write_records(store, make_record, DAY1 + DAY2, per_day=3, trackers=["iqiyi-nadou"])
    view = View(Filters("iqiyi-nadou", date(2026, 4, 20), date(2026, 4, 22)))
    said = "random sample of 4 of 6 records"
    with store.connect() as con:
        for name in ("topics-keywords", "topics-frames", "topics-clusters"):
            package = registry.build(name, con, view, {})
            assert said in package.alt, name
            assert said in package.fig.layout.title.text, name
            assert said in package.notes and said in sidecar(package)["notes"], name
            assert any(said in (a.text or "") for a in credited_figure(package).layout.annotations), name
            assert "records" not in package.data.columns and "size" not in package.data.columns, name
            assert (package.data["sample"] == said).all(), name
        monkeypatch.setattr(annotation_series, "MAX_TEXTS", 6)  # every record: no sample to speak of
        for name in ("topics-keywords", "topics-frames", "topics-clusters"):
            package = registry.build(name, con, view, {})
            assert "sample" not in package.alt and "sample" not in package.notes, name
            assert "sample" not in package.data.columns, name


def test_annotations_with_null_keyword_and_frame_lists_count_as_none(data_dir, make_record) -> None:
    from tests.analytics_fixtures import add_annotations

    store = Store(data_dir)
    records = write_records(store, make_record, DAY1, per_day=3)
    add_annotations(store, {(r.source, r.id): [] for r in records})  # keywords and frames NULL, not []
    with store.connect() as con:
        keywords = keywords_by_period(con, F)
        frames = frame_counts_by_period(con, F)
    assert keywords.empty
    assert frames["records"].sum() == 0 and set(frames["n"]) == {3, 0}  # the 3 records still counted


def test_frames_and_keywords_from_a_partial_enrich_say_they_count_annotated_records(data_dir, make_record) -> None:
    # after an enrich that reached 2 of a day's 3 records, the frames chart's n is 2: its share is of the
    # annotated records, and the chart said "share of records"; the numbers stay as they are
    import pyarrow as pa

    from analysis.core.annotations import ANNOTATIONS, ANNOTATIONS_SCHEMA, ANNOTATIONS_SPEC
    from dashboard.charts import registry
    from dashboard.charts.registry import View

    store = Store(data_dir)
    records = write_records(store, make_record, DAY1, trackers=["iqiyi-nadou"])[:2]
    columns = {name: pa.nulls(2, ANNOTATIONS_SCHEMA.field(name).type) for name in ANNOTATIONS_SCHEMA.names}
    columns.update({"source": pa.array([r.source for r in records]), "id": pa.array([r.id for r in records]),
                    "pipeline_version": pa.array(["p"] * 2), "frames": pa.array([["heritage"], []], pa.list_(pa.string())),
                    "keywords": pa.array([["非遗"], ["非遗"]], pa.list_(pa.string())),
                    "annotated_at": pa.array([datetime(2026, 5, 1, tzinfo=UTC)] * 2, pa.timestamp("us", tz="UTC"))})
    store.add_table(ANNOTATIONS, pa.table(columns, schema=ANNOTATIONS_SCHEMA), ANNOTATIONS_SPEC)
    view = View(Filters("iqiyi-nadou", date(2026, 4, 20), date(2026, 4, 22)))
    said = "2 of 3 records annotated"
    with store.connect() as con:
        frames = registry.build("topics-frames", con, view, {})
        keywords = registry.build("topics-keywords", con, view, {})
    day = frames.data[(frames.data["frame"] == "heritage") & (frames.data["period"] == date(2026, 4, 20))].iloc[0]
    assert (day["records"], day["n"]) == (1, 2)  # unchanged: 1 of the 2 annotated records
    assert "share of annotated records using each frame" in frames.alt and said in frames.alt
    assert frames.fig.layout.yaxis.title.text == "share of annotated records using the frame"
    for package in (frames, keywords):
        assert said in package.fig.layout.title.text and said in package.notes and said in package.alt


def test_a_text_sample_is_the_same_whatever_order_the_records_are_read_in(data_dir, make_record, monkeypatch) -> None:
    # the dashboard's snapshot holds the records sorted by day and source, a plain connection reads them in file
    # order: a reservoir sample taken straight off the scan would draw other records from the same store
    import duckdb

    from analysis.stats import annotation_series

    monkeypatch.setattr(annotation_series, "MAX_TEXTS", 20)
    store = Store(data_dir)
    texts = [f"{DAY1[i % 3]} 第{i}条 {'肖像权' if i % 4 == 0 else ''}" for i in range(60)]
    write_records(store, make_record, texts, per_day=20, trackers=["case-a"])
    results = []
    with store.connect() as src:
        rows = src.execute("SELECT * FROM records").df()
    for order in ("source, id", "id DESC", "hash(id)"):
        with duckdb.connect() as con:
            con.register("rows", rows)
            con.execute(f"CREATE TABLE records AS SELECT * FROM rows ORDER BY {order}")
            results.append((frame_counts_by_period(con, F).to_dict("records"),
                            keywords_by_period(con, F).to_dict("records")))
    assert results[0] == results[1] == results[2]


def test_topic_clusters_leave_out_clusters_no_record_belongs_to() -> None:
    """A small first store says the same few things many times: NMF's spare components held no record yet were drawn
    as '0%' bars, one with the same label as a real cluster; every cluster listed now holds records."""
    phrases = ["AI actress is wrong", "Tilly Norwood signing with agency", "performers deserve consent",
               "I like the idea honestly", "SAG-AFTRA condemns it", "meh"]
    model = topic_clusters([f"{phrases[i % len(phrases)]} #{i}" for i in range(300)], n_topics=8, seed=0)
    assert model.topics and all(t.size > 0 for t in model.topics)
    assert len({t.label for t in model.topics}) == len(model.topics)
    assert [t.id for t in model.topics] == list(range(len(model.topics)))
    assert sum(t.size for t in model.topics) == sum(a >= 0 for a in model.assignments)


@pytest.mark.parametrize("path", ["text", "store", "snapshot"])
def test_frame_shares_leave_out_records_empty_after_cleaning(data_dir, make_record, monkeypatch, path: str) -> None:
    """A record that is only a link or a mention (annotations.is_empty) counted in the frames chart's n, so 3 of 4
    records read 75% heritage, while the stance, emotion and sentiment shares leave such records out; frames now do
    too, read from the annotations (the store and the dashboard's snapshot) or from the texts."""
    from analysis.stats.annotation_series import stance_counts_by_period
    from dashboard.snapshot import open_snapshot

    store = Store(data_dir)
    write_records(store, make_record, [*DAY1, "http://t.cn/abc", "@某人"], per_day=5)
    if path != "text":
        install_fake_sentiment(monkeypatch)
        enrich_store(store, workers=1)
    con = open_snapshot(store) if path == "snapshot" else store.connect()
    with con:
        frames = frame_counts_by_period(con, F)
        stances = stance_counts_by_period(con, F)
    day = frames[(frames["period"].astype(str) == "2026-04-20") & (frames["frame"] == "heritage")].iloc[0]
    assert (day["records"], day["n"], day["share"]) == (3, 3, 1.0)
    if path != "text":
        assert set(stances.loc[stances["period"].astype(str) == "2026-04-20", "n"]) == {3}
        assert frames.attrs["annotated_of"] == {"annotated": 5, "records": 5}  # the empty ones were annotated
    from dashboard.charts import registry

    assert "records with text left after cleaning" in registry.get("topics-frames").notes  # the note says the n


def test_topic_clusters_are_not_changed_by_texts_without_terms() -> None:
    """Empty texts went into the TF-IDF fit: they count in its document total, so a term in every real text passed the
    0.95 max_df cut once enough empty ones were added, and the clusters changed with the number of empty records."""
    heritage = [f"演员被说成非遗，传统手艺{i}号观点" for i in range(12)]
    stock = [f"演员股价暴跌，市值蒸发，投资者{i}号观点" for i in range(12)]
    alone = topic_clusters(heritage + stock, n_topics=2, seed=0)
    mixed = topic_clusters(heritage + ["", "   ", "http://t.cn/abc", "@某人"] * 3 + stock, n_topics=2, seed=0)
    assert [(t.label, t.size) for t in mixed.topics] == [(t.label, t.size) for t in alone.topics]
    assert mixed.assignments[:12] == alone.assignments[:12] and mixed.assignments[24:] == alone.assignments[12:]
    assert set(mixed.assignments[12:24]) == {-1}


def test_the_topic_view_leaves_out_records_without_text_and_says_how_many(data_dir, make_record) -> None:
    """Records that are empty, or only a link or a mention after cleaning, were clustered and counted in the topic
    and keyword views' n; they are left out and the views say how many were."""
    from dashboard.charts import registry
    from dashboard.charts.registry import View

    store = Store(data_dir)
    write_records(store, make_record, [*DAY1, "http://t.cn/abc", "@某人", *DAY2], per_day=8, trackers=["iqiyi-nadou"])
    view = View(Filters("iqiyi-nadou", date(2026, 4, 20), date(2026, 4, 22)))
    with store.connect() as con:
        from analysis.stats.annotation_series import topics_for

        model = topics_for(con, view.filters)
        assert model.without_text == 2 and len(model.assignments) == 6
        clusters = registry.build("topics-clusters", con, view, {})
        keywords = registry.build("topics-keywords", con, view, {})
    for package in (clusters, keywords):
        assert "2 records without text" in package.alt, package.alt
        assert "2 records without text" in package.notes, package.notes
    assert "6 records with text" in clusters.alt
