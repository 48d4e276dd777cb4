"""Labels: the dataset, the sampler's stratification, keys, CSV import/export, duplicate import, agreement."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from analysis.core.labels import read_labels, text_key, write_labels
from analysis.core.scores import SCORES, SCORES_SCHEMA, SCORES_SPEC
from analysis.nlp.agreement import consolidate, kappa, llm_vs_humans, pairwise
from analysis.nlp.label_sample import allocate, sample_to_label, stratified_uncertain_sample
from analysis.nlp.labelling_keys import BadKeys, Choice, label_row, parse_keys
from analysis.nlp.labels_io import export_sample, import_labels
from collectors.models import Record
from collectors.store import Store
from dashboard.cli import cli

TRACKER = "iqiyi-nadou"


def _store_with_records(make_record: Callable[..., Record], days: int = 4, per_day: dict[str, int] | None = None,
                        scores: bool = True) -> Store:
    """Records of TRACKER over `days` days from two sources, with a score whose certainty varies by id."""
    per_day = per_day or {"weibo": 6, "bilibili": 2}
    store = Store()
    records, rows = [], []
    start = datetime(2026, 4, 18, 6, tzinfo=UTC)
    for day in range(days):
        for source, count in per_day.items():
            for k in range(count):
                rid = f"{source[0]}{day}-{k}"
                records.append(make_record(source=source, id=rid, text=f"第{day}天 {source} 帖子 {k} AI演员",
                                           published_at=start + timedelta(days=day, hours=k), trackers=[TRACKER]))
                top = 0.4 + 0.55 * ((k * 7 + day) % 10) / 9  # 0.4 … 0.95
                rest = (1 - top) / 2
                rows.append({"source": source, "id": rid, "model": "m", "model_version": "m-1", "p_neg": rest,
                             "p_neu": top, "p_pos": rest, "label": "neutral",
                             "scored_at": datetime(2026, 5, 1, tzinfo=UTC)})
    records.append(make_record(source="weibo", id="other", text="别的话题", trackers=["tilly-norwood"]))
    store.add_records(records)
    if scores:
        store.add_table(SCORES, pa.Table.from_pylist(rows, schema=SCORES_SCHEMA), SCORES_SPEC)
    return store


# ---------- sampler ----------

def test_allocation_is_proportional_with_largest_remainders() -> None:
    sizes = pd.Series([60, 30, 10], index=["a", "b", "c"])
    assert allocate(sizes, 10).tolist() == [6, 3, 1]
    assert allocate(sizes, 4).tolist() == [2, 1, 1]  # remainders .4/.2/.4 → a and c get the two extra
    assert allocate(sizes, 500).sum() == 100  # never more than there is
    assert allocate(sizes, 0).sum() == 0


def test_sample_is_stratified_by_day_and_source_and_favours_the_unsure() -> None:
    rng = np.random.default_rng(1)
    rows = []
    for day, source, size in [("2026-04-18", "weibo", 400), ("2026-04-18", "bilibili", 100),
                              ("2026-04-19", "weibo", 300), ("2026-04-19", "rss", 200)]:
        for k in range(size):
            rows.append({"source": source, "id": f"{day}-{k}", "day": day, "max_p": rng.uniform(0.34, 1.0)})
    frame = pd.DataFrame(rows)
    sample = stratified_uncertain_sample(frame, 100, seed=7)
    counts = sample.groupby(["day", "source"]).size().to_dict()
    assert counts == {("2026-04-18", "bilibili"): 10, ("2026-04-18", "weibo"): 40,
                      ("2026-04-19", "rss"): 20, ("2026-04-19", "weibo"): 30}
    assert sample["max_p"].mean() < frame["max_p"].mean() - 0.05  # favours the least sure
    assert sample["max_p"].max() > 0.8  # …without taking only the hardest: confident records keep a chance
    again = stratified_uncertain_sample(frame.sample(frac=1, random_state=3), 100, seed=7)
    assert list(again["id"]) == list(sample["id"])  # order of input rows does not matter
    assert list(stratified_uncertain_sample(frame, 100, seed=8)["id"]) != list(sample["id"])


def test_sample_from_store_excludes_done_items_and_other_trackers(make_record: Callable[..., Record]) -> None:
    store = _store_with_records(make_record)
    with store.connect() as con:
        first = sample_to_label(con, TRACKER, 8)
        assert len(first) == 8 and "other" not in set(first["id"])
        assert first["max_p"].notna().all()
        done = {f"{s}:{i}" for s, i in zip(first["source"][:3], first["id"][:3], strict=True)}
        second = sample_to_label(con, TRACKER, 8, exclude=done)
        assert len(second) == 8
        assert not done & set(second["source"] + ":" + second["id"])
        everything = sample_to_label(con, TRACKER, 1000)
        assert len(everything) == 32


# ---------- keys ----------

@pytest.mark.parametrize(("code", "expected"), [
    ("0", Choice("negative")),
    ("1s", Choice("positive", "support")),
    ("2nn", Choice("neutral", "neutral", "neutral")),
    ("0a", Choice("negative", None, "anger")),
    ("0os", Choice("negative", "oppose", "sadness")),
    ("0.g", Choice("negative", None, "disgust")),
    (" 1 c j ", Choice("positive", "conditional", "joy")),
    ("?2", Choice("neutral", status="unsure")),
    ("x", Choice(status="skip")),
])
def test_keys(code: str, expected: Choice) -> None:
    assert parse_keys(code) == expected


@pytest.mark.parametrize("code", ["", "3", "0z", "0oz", "0osx", "..", "q"])
def test_bad_keys(code: str) -> None:
    with pytest.raises(BadKeys):
        parse_keys(code)


# ---------- the dataset ----------

def test_write_labels_is_idempotent_and_relabelling_replaces() -> None:
    store = Store()
    row = label_row(TRACKER, "weibo", "1", "text", "ann", Choice("negative"), "dashboard")
    assert write_labels(store, [row]) == 1
    assert write_labels(store, [row]) == 0
    assert write_labels(store, [{**row, "sentiment": "positive"}]) == 1
    with store.connect() as con:
        frame = read_labels(con, TRACKER)
    assert frame[["item", "annotator", "sentiment"]].values.tolist() == [["weibo:1", "ann", "positive"]]
    with pytest.raises(ValueError, match="status"):
        write_labels(store, [{**row, "status": "maybe"}])


# ---------- CSV export and import ----------

def _write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    """An exported sample's rows written back, as a spreadsheet would after labelling."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_export_marks_synthetic_demo_records(make_record: Callable[..., Record], tmp_path: Path) -> None:
    """A labelled file of demo records could not be told from one of real posts: the export now says which rows are
    synthetic, and importing the file (with that column) still works."""
    store = _store_with_records(make_record, days=1, per_day={"weibo": 2})
    start = datetime(2026, 4, 18, 9, tzinfo=UTC)
    store.add_records([make_record(source="weibo", id=f"demo-{k}", text=f"合成的演示帖子 {k}", published_at=start,
                                   trackers=[TRACKER], synthetic=True) for k in range(2)])
    out = tmp_path / "sample.csv"
    assert export_sample(store, TRACKER, 4, out) == 4
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["id"]: r["synthetic"] for r in rows} == {"w0-0": "false", "w0-1": "false", "demo-0": "true",
                                                       "demo-1": "true"}
    for r in rows:
        r["label"] = "0"
    _write_rows(out, rows)
    result = import_labels(store, out, TRACKER, annotator="alice")
    assert (result.written, result.errors) == (4, [])


def test_two_label_exports_to_one_file_at_once_both_finish_and_the_file_is_whole(
        make_record: Callable[..., Record], tmp_path: Path, monkeypatch) -> None:
    """Two `labels export --out sample.csv` at once (two annotators' shells, a script) wrote through the same
    sample.csv.tmp: the second truncated the file the first was still writing and the first then failed with
    '[Errno 2] No such file or directory' after writing the rest of its rows into the second's finished file. Each
    writes a temporary file of its own now (brief, hot-search excerpt, chart and model files too)."""
    from analysis.nlp import labels_io

    store = _store_with_records(make_record)
    out, clean = tmp_path / "sample.csv", tmp_path / "clean.csv"
    export_sample(store, TRACKER, 10, clean)
    escape, cells = labels_io.escape_cell, []

    def escape_then_export_again(value):
        cells.append(value)
        if len(cells) == 25:  # the first export is a few rows into its file
            export_sample(store, TRACKER, 10, out)
        return escape(value)

    monkeypatch.setattr(labels_io, "escape_cell", escape_then_export_again)
    assert export_sample(store, TRACKER, 10, out) == 10
    assert out.read_bytes() == clean.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean.csv", "sample.csv"]


def test_export_import_round_trip(make_record: Callable[..., Record], tmp_path: Path) -> None:
    store = _store_with_records(make_record)
    out = tmp_path / "sample.csv"
    assert export_sample(store, TRACKER, 10, out) == 10
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["source", "id", "published_at", "url", "parent_id", "text", "label", "stance", "emotion",
                             "synthetic"]
    assert {r["synthetic"] for r in rows} == {"false"}
    assert all(r["label"] == r["stance"] == r["emotion"] == "" for r in rows)
    codes = ["0", "1", "2"]
    stances = ["oppose", "support", "", "favor"]  # NLPCC's "favor" is read as support
    for k, r in enumerate(rows):
        r["label"], r["stance"] = codes[k % 3], stances[k % 4]
    rows[9]["label"] = rows[9]["stance"] = ""  # one left unlabelled: not an error, not stored
    filled = tmp_path / "filled.csv"
    with filled.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        fh.write('"","","","","","一条没有来源的句子：AI演员毫无灵魂","0","oppose","disgust"\n')

    result = import_labels(store, filled, TRACKER, annotator="alice")
    assert (result.rows, result.written, result.blank, result.errors) == (11, 10, 1, [])
    with store.connect() as con:
        stored = read_labels(con, TRACKER)
    assert len(stored) == 10 and set(stored["annotator"]) == {"alice"}
    by_item = stored.set_index("item")
    for k, r in enumerate(rows[:9]):
        got = by_item.loc[f"{r['source']}:{r['id']}"]
        assert got["sentiment"] == ("negative", "positive", "neutral")[k % 3]
        assert got["stance"] == ({"favor": "support", "": None}.get(stances[k % 4], stances[k % 4]))
        assert got["text"] == r["text"] and got["origin"] == "import:filled.csv"
    loose = by_item.loc[text_key("一条没有来源的句子：AI演员毫无灵魂")]
    assert loose["source"] is None and loose["emotion"] == "disgust"
    # a second export leaves out what is labelled
    again = tmp_path / "again.csv"
    export_sample(store, TRACKER, 40, again)
    with again.open(encoding="utf-8-sig", newline="") as fh:
        ids = {f"{r['source']}:{r['id']}" for r in csv.DictReader(fh)}
    assert len(ids) == 32 - 9 and not ids & set(by_item.index)


def test_importing_the_same_file_twice_adds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("text,label,stance,emotion\nAI演员没有灵魂,0,oppose,disgust\n这技术真厉害,1,support,joy\n"
                    "发布会今天举行,2,,\n", encoding="utf-8")
    store = Store()
    first = import_labels(store, path, TRACKER, annotator="alice")
    assert first.written == 3
    files = len(store.files("labels"))
    second = import_labels(store, path, TRACKER, annotator="alice")
    assert second.written == 0 and second.labelled == 3
    assert len(store.files("labels")) == files  # not even an empty batch
    with store.connect() as con:
        assert set(read_labels(con, TRACKER)["annotator"]) == {"alice"}


def test_one_person_s_two_files_are_one_annotator_not_two(tmp_path: Path) -> None:
    """Without --annotator the file's name was the annotator: alice's week1.csv and week2.csv counted as two
    annotators (in agreement and in "adapted on N labels by K annotators"). Rows naming no annotator are now one
    annotator, 'unnamed', whatever the file, and the output says which name was recorded."""
    runner = CliRunner()
    week1, week2 = tmp_path / "week1.csv", tmp_path / "week2.csv"
    week1.write_text("text,label\nAI演员没有灵魂,0\n这技术真厉害,1\n", encoding="utf-8")
    week2.write_text("text,label,annotator\n发布会今天举行,2,alice\nAI换脸太可怕,0,\n", encoding="utf-8")
    res = runner.invoke(cli, ["labels", "import", str(week1), "--tracker", TRACKER])
    assert res.exit_code == 0 and "annotator(s) recorded: unnamed (2)" in res.output, res.output
    assert "give --annotator NAME" in res.output
    res = runner.invoke(cli, ["labels", "import", str(week2), "--tracker", TRACKER])
    assert res.exit_code == 0 and "annotator(s) recorded: alice (1), unnamed (1)" in res.output, res.output
    with Store().connect() as con:
        assert set(read_labels(con, TRACKER)["annotator"]) == {"alice", "unnamed"}  # never "week1" or "week2"
    agreement = runner.invoke(cli, ["labels", "agreement", "--tracker", TRACKER])
    assert "4 labels by 2 annotator(s): alice, unnamed" in agreement.output


def test_bad_rows_are_line_numbered_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text("source,id,text,label,stance\n"
                    "weibo,1,好,1,support\n"
                    "weibo,2,坏,7,\n"  # line 3: bad label
                    ",,,0,\n"  # line 4: no text, no source
                    "weibo,,半条,0,\n"  # line 5: id missing
                    "weibo,3,\"多行\n文本\",2,maybe\n"  # lines 6-7: bad stance
                    "weibo,4,还行,2,neutral\n", encoding="utf-8")
    result = import_labels(Store(), path, TRACKER, annotator="bob")
    assert result.written == 2
    assert [e.split(": ")[1] for e in result.errors] == ["line 3", "line 4", "line 5", "line 7"]
    assert "'7' is not a sentiment label" in result.errors[0]
    assert "'maybe' is not a stance label" in result.errors[3]


def test_an_item_labelled_twice_in_one_file_with_different_labels_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("source,id,text,label\n"
                    "weibo,1,好,1\n"
                    "weibo,2,坏,0\n"
                    "weibo,1,好,0\n"  # line 4: weibo:1 again, another label
                    "weibo,2,坏,0\n", encoding="utf-8")  # line 5: the same label again: nothing to report
    store = Store()
    result = import_labels(store, path, TRACKER, annotator="bob")
    assert [e.split(": ", 2)[1:] for e in result.errors] == [
        ["line 4", "item weibo:1 is labelled at line 2 with other labels; left out"]]
    assert result.written == 2 and result.labelled == 2  # nothing is counted as "already stored"
    with store.connect() as con:
        stored = read_labels(con, TRACKER).set_index("item")["sentiment"].to_dict()
    assert stored == {"weibo:1": "positive", "weibo:2": "negative"}


def test_cli_export_import_agreement(make_record: Callable[..., Record], tmp_path: Path) -> None:
    _store_with_records(make_record)
    runner = CliRunner()
    out = tmp_path / "s.csv"
    res = runner.invoke(cli, ["labels", "export", "--tracker", TRACKER, "--n", "6", "--out", str(out)])
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    for annotator, labels in (("ann", ["0", "0", "1", "1", "2", "2"]), ("bea", ["0", "0", "1", "2", "2", "2"])):
        frame["label"] = labels
        frame.to_csv(tmp_path / f"{annotator}.csv", index=False)
        res = runner.invoke(cli, ["labels", "import", str(tmp_path / f"{annotator}.csv"), "--tracker", TRACKER,
                                  "--annotator", annotator])
        assert res.exit_code == 0, res.output
        assert "6 labels written" in res.output
    res = runner.invoke(cli, ["labels", "agreement", "--tracker", TRACKER])
    assert res.exit_code == 0, res.output
    assert "ann vs bea: n = 6, agreement 0.83, kappa 0.75" in res.output
    bad = runner.invoke(cli, ["labels", "import", str(out), "--tracker", "no-such-tracker"])
    assert bad.exit_code == 1 and "unknown tracker" in bad.output


def test_an_annotator_name_with_stray_spaces_is_the_same_annotator(make_record: Callable[..., Record],
                                                                    tmp_path: Path) -> None:
    """' alice' from a pasted command is alice, as the Label page and a file's annotator column trim it: else alice
    would seem to agree perfectly with herself."""
    store = _store_with_records(make_record, days=1, per_day={"weibo": 3})
    path = tmp_path / "a.csv"
    path.write_text("source,id,text,label\nweibo,w0-0,,0\nweibo,w0-1,,1\n", encoding="utf-8")
    runner = CliRunner()
    for _ in range(2):  # again with the name typed clean: nothing new
        res = runner.invoke(cli, ["labels", "import", str(path), "--tracker", TRACKER, "--annotator", " alice "])
        assert res.exit_code == 0, res.output
        path.write_text("source,id,text,label,annotator\nweibo,w0-0,,0,alice\nweibo,w0-1,,1,alice\n", encoding="utf-8")
    res = runner.invoke(cli, ["labels", "annotate", "--tracker", TRACKER, "--annotator", "alice ", "--n", "3"],
                        input="2\nq\n")
    assert res.exit_code == 0, res.output
    assert "帖子 2" in res.output and "帖子 0" not in res.output and "帖子 1" not in res.output  # not offered again
    with store.connect() as con:
        assert set(read_labels(con, TRACKER)["annotator"]) == {"alice"}
    assert runner.invoke(cli, ["labels", "import", str(path), "--tracker", TRACKER,
                               "--annotator", " llm:x"]).exit_code != 0


def test_cli_annotate_refuses_a_language_model_name(make_record: Callable[..., Record]) -> None:
    """Labels typed by a person under 'llm:…' would be kept out of adapting and compared with the humans as a model's."""
    _store_with_records(make_record, days=1, per_day={"weibo": 2})
    res = CliRunner().invoke(cli, ["labels", "annotate", "--tracker", TRACKER, "--annotator", "llm:gpt", "--n", "1"],
                             input="0\n")
    assert res.exit_code != 0 and "reserved for language-model pre-labels" in res.output


@pytest.mark.parametrize("blank", ["", "   "])
def test_cli_annotate_with_a_blank_name_is_a_usage_error(make_record: Callable[..., Record], blank: str) -> None:
    """A blank name once reached the first label's write as a ValueError traceback."""
    store = _store_with_records(make_record, days=1, per_day={"weibo": 2})
    res = CliRunner().invoke(cli, ["labels", "annotate", "--tracker", TRACKER, "--annotator", blank, "--n", "1"],
                             input="0\n")
    assert res.exit_code == 2 and res.exception is not None and not isinstance(res.exception, ValueError)
    assert "--annotator" in res.output and "Traceback" not in res.output
    with store.connect() as con:
        assert read_labels(con, TRACKER).empty


# ---------- agreement ----------

def _labels(pairs: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame([{"item": i, "annotator": a, "sentiment": v, "status": "labelled", "text": i}
                         for i, a, v in pairs])


def test_kappa_on_a_textbook_table() -> None:
    """2×2 table: both yes 20, A yes/B no 5, A no/B yes 10, both no 15 → p_o 0.70, p_e 0.50, κ 0.40."""
    a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert kappa(a, b) == pytest.approx(0.40)
    frame = _labels([(f"i{k}", "A", x) for k, x in enumerate(a)] + [(f"i{k}", "B", y) for k, y in enumerate(b)])
    (row,) = pairwise(frame, "sentiment")
    assert (row["n"], row["agreement"], row["kappa"]) == (50, 0.7, 0.4)
    assert kappa(["a", "a"], ["a", "a"]) is None  # one class only: kappa undefined, not 1 or 0
    assert kappa(["a"], ["b"]) is None


def test_consolidate_majority_and_ties_and_llm_agreement() -> None:
    frame = _labels([("i1", "A", "negative"), ("i1", "B", "negative"), ("i1", "C", "positive"),
                     ("i2", "A", "negative"), ("i2", "B", "positive"),
                     ("i3", "A", "neutral"), ("i4", "B", "positive"),
                     ("i1", "llm:m", "negative"), ("i3", "llm:m", "positive"), ("i4", "llm:m", "positive")])
    humans = frame[~frame["annotator"].str.startswith("llm:")]
    merged = consolidate(humans, "sentiment")
    assert merged["sentiment"].to_dict() == {"i1": "negative", "i3": "neutral", "i4": "positive"}  # i2 tied
    (row,) = llm_vs_humans(frame, "sentiment")
    assert (row["annotator"], row["n"], row["agreement"]) == ("llm:m", 3, round(2 / 3, 4))
    assert row["kappa"] == pytest.approx(0.5)  # p_o 2/3, p_e (1·1 + 1·0 + 1·2)/9 = 1/3


def test_cli_annotate_uses_the_same_keys(make_record: Callable[..., Record]) -> None:
    store = _store_with_records(make_record, days=1, per_day={"weibo": 3})
    res = CliRunner().invoke(cli, ["labels", "annotate", "--tracker", TRACKER, "--annotator", "eve", "--n", "3"],
                             input="0os\n7\n1\nq\n")
    assert res.exit_code == 0, res.output
    assert "first key is the sentiment" in res.output and "saved 2 label(s)" in res.output
    with store.connect() as con:
        stored = read_labels(con, TRACKER)
    assert sorted(stored["sentiment"]) == ["negative", "positive"] and set(stored["origin"]) == {"cli"}


def test_cli_annotate_shows_no_nan_for_a_record_without_url(make_record: Callable[..., Record]) -> None:
    store = Store()
    start = datetime(2026, 4, 18, 6, tzinfo=UTC)
    store.add_records([make_record(source="weibo", id=f"p{k}", text=f"帖子 {k} AI演员", trackers=[TRACKER],
                                   published_at=start + timedelta(hours=k),
                                   url=f"https://weibo.com/{k}" if k % 2 else None) for k in range(4)])
    res = CliRunner().invoke(cli, ["labels", "annotate", "--tracker", TRACKER, "--annotator", "eve", "--n", "4"],
                             input="0\n" * 4)
    assert res.exit_code == 0, res.output
    assert "https://weibo.com/1" in res.output and "nan" not in res.output


def test_export_leaves_parent_id_empty_for_a_top_level_post(make_record: Callable[..., Record], tmp_path: Path) -> None:
    """A post without a parent beside replies that have one: an empty cell, not pandas' 'nan'."""
    store = Store()
    start = datetime(2026, 4, 18, 6, tzinfo=UTC)
    store.add_records([make_record(source="weibo", id=f"p{k}", text=f"帖子 {k} AI演员", trackers=[TRACKER],
                                   published_at=start + timedelta(hours=k), parent_id="p0" if k % 2 else None)
                       for k in range(6)])
    out = tmp_path / "sample.csv"
    assert export_sample(store, TRACKER, 6, out) == 6
    with out.open(encoding="utf-8-sig", newline="") as fh:
        parents = {r["id"]: r["parent_id"] for r in csv.DictReader(fh)}
    assert parents == {f"p{k}": "p0" if k % 2 else "" for k in range(6)}


def test_export_does_not_overwrite_a_file_with_labels_filled_in(make_record: Callable[..., Record],
                                                                tmp_path: Path) -> None:
    """Re-running the documented `labels export … --out to_label.csv` over the file being filled in (not yet
    imported) replaced it with a blank sample, losing every label typed into it."""
    _store_with_records(make_record)
    runner = CliRunner()
    out = tmp_path / "to_label.csv"
    args = ["labels", "export", "--tracker", TRACKER, "--n", "6", "--out", str(out)]
    assert runner.invoke(cli, args).exit_code == 0
    assert runner.invoke(cli, args).exit_code == 0  # a blank sample may be written again
    frame = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.loc[0, "label"] = "0"
    frame.to_csv(out, index=False, encoding="utf-8-sig")
    before = out.read_bytes()
    res = runner.invoke(cli, args)
    assert res.exit_code == 1 and "labels filled in" in res.output and "labels import" in res.output, res.output
    assert out.read_bytes() == before


def test_annotate_ended_early_says_what_was_saved(make_record: Callable[..., Record]) -> None:
    """Ctrl-D / Ctrl-C at the prompt printed only 'aborted', though the labels typed before it were stored."""
    store = _store_with_records(make_record, days=1, per_day={"weibo": 3})
    res = CliRunner().invoke(cli, ["labels", "annotate", "--tracker", TRACKER, "--annotator", "alice", "--n", "3"],
                             input="0\n")  # one label, then the input ends
    assert res.exit_code == 1 and "saved 1 label(s)" in res.output, res.output
    with store.connect() as con:
        assert len(read_labels(con, TRACKER)) == 1


def test_annotate_with_nothing_to_label_says_so() -> None:
    """On a store with none of the tracker's records (e.g. before `actorwatch demo`) it printed the key help and
    'saved 0 label(s)', as if the session had run."""
    res = CliRunner().invoke(cli, ["labels", "annotate", "--tracker", TRACKER, "--annotator", "alice"], input="q\n")
    assert res.exit_code == 0 and f"no records of tracker {TRACKER} left to label" in res.output, res.output
    assert "saved 0" not in res.output


def test_export_shows_bluesky_and_mastodon_ids_pseudonymised_and_import_maps_them_back(
        make_record: Callable[..., Record], tmp_path: Path) -> None:
    """Their record ids embed the author's DID or user name: the sample file (handed to annotators, spreadsheets)
    shows the public id, as Explore and exports do, and its labels still land on the stored record."""
    store = Store()
    at = datetime(2026, 4, 18, 6, tzinfo=UTC)
    sky = "at://did:plc:alicealice/app.bsky.feed.post/3k1"
    toot = "https://mastodon.example/users/bobthebuilder/statuses/42"
    store.add_records([
        make_record(source="bluesky", id=sky, kind="comment", parent_id="at://did:plc:carolcarol/app.bsky.feed.post/3k0",
                    author_id="did:plc:alicealice", author_name="alice.bsky.social", text="AI演员 bluesky", published_at=at,
                    trackers=[TRACKER]),
        make_record(source="mastodon", id=toot, author_id="https://mastodon.example/@bobthebuilder",
                    author_name="bobthebuilder@mastodon.example", text="AI演员 mastodon", published_at=at,
                    trackers=[TRACKER])])
    out = tmp_path / "sample.csv"
    assert export_sample(store, TRACKER, 5, out) == 2
    written = out.read_text(encoding="utf-8-sig")
    assert not any(name in written for name in ("alicealice", "carolcarol", "bobthebuilder")), written
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["label"] = "0"
    filled = tmp_path / "filled.csv"
    _write_rows(filled, rows)
    result = import_labels(store, filled, TRACKER, annotator="alice")
    assert (result.written, result.errors) == (2, [])
    with store.connect() as con:
        stored = read_labels(con, TRACKER)
    assert set(stored["item"]) == {f"bluesky:{sky}", f"mastodon:{toot}"}
    assert set(stored["id"]) == {sky, toot}


def test_labels_import_of_a_file_whose_every_row_is_bad_fails(tmp_path: Path) -> None:
    """As `actorwatch import`: every row rejected exited 0; it now exits 1 saying nothing was imported. A file with
    some good rows keeps them and exits 0; a sample not yet labelled (no label, no error) is not an error."""
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nAI演员没有灵魂,7\n这技术真厉害,9\n", encoding="utf-8")
    res = runner.invoke(cli, ["labels", "import", str(bad), "--tracker", TRACKER])
    assert res.exit_code == 1, res.output
    assert "line 2" in res.stderr and "line 3" in res.stderr and "every labelled row was rejected (2)" in res.stderr
    partly_blank = tmp_path / "partly_blank.csv"  # a sample with its one filled row bad: that row is what failed
    partly_blank.write_text("text,label\nAI演员没有灵魂,\n这技术真厉害,9\n", encoding="utf-8")
    res = runner.invoke(cli, ["labels", "import", str(partly_blank), "--tracker", TRACKER])
    assert res.exit_code == 1 and "1 without a label" in res.output and "every labelled row was rejected (1)" in res.stderr
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("text,label\nAI演员没有灵魂,7\n这技术真厉害,1\n", encoding="utf-8")
    res = runner.invoke(cli, ["labels", "import", str(mixed), "--tracker", TRACKER])
    assert res.exit_code == 0 and "1 labels written" in res.output, res.output
    blank = tmp_path / "blank.csv"
    blank.write_text("text,label\nAI演员没有灵魂,\n", encoding="utf-8")
    assert runner.invoke(cli, ["labels", "import", str(blank), "--tracker", TRACKER]).exit_code == 0


def test_labels_export_of_nothing_to_label_says_why(tmp_path: Path) -> None:
    """On a store without the tracker's records `labels export` wrote a header-only CSV and said only "wrote 0
    records to label"; like `labels annotate` it now says why there is nothing and where to look."""
    res = CliRunner().invoke(cli, ["labels", "export", "--tracker", TRACKER, "--out", str(tmp_path / "s.csv")])
    assert res.exit_code == 0 and "wrote 0 records" in res.output
    assert f"note: no records of tracker {TRACKER} left to label" in res.stderr and "store stats" in res.stderr


def test_blank_rows_a_spreadsheet_saves_are_blank_not_bad(tmp_path: Path) -> None:
    """Excel and LibreOffice save the empty rows of a sheet's used range as `,,,`: each was a bad row ("empty text and
    no source,id"), and a sample saved from a spreadsheet before any label was typed failed the import (exit 1,
    "every labelled row was rejected"). A row of empty cells is now counted as a row without a label."""
    runner = CliRunner()
    saved = tmp_path / "saved.csv"
    saved.write_bytes("source,id,text,label,stance,emotion\r\nweibo,1,AI演员没有灵魂,,,\r\n,,,,,\r\n , ,,,,\r\n"
                      .encode("utf-8-sig"))
    res = runner.invoke(cli, ["labels", "import", str(saved), "--tracker", TRACKER, "--annotator", "alice"])
    assert res.exit_code == 0, res.output
    assert "3 without a label, 0 bad rows" in res.output and not res.stderr
    saved.write_bytes("text,label\r\nAI演员没有灵魂,0\r\n,,\r\n".encode("utf-8-sig"))  # one cell more than the header
    result = import_labels(Store(), saved, TRACKER, annotator="alice")
    assert (result.written, result.blank, result.errors) == (1, 1, [])


@pytest.mark.parametrize(("cell", "expected"), [
    ("0.0", "negative"), ("1.0", "positive"), ("2.00", "neutral"),  # a label column pandas or a sheet saved as numbers
    ("neg", "negative"), ("Pos", "positive"), ("NEU", "neutral"), ("Negative", "negative"),
    ("负面", "negative"), ("正面", "positive"), ("中性", "neutral"),
])
def test_sentiment_spellings_a_spreadsheet_uses_are_read(tmp_path: Path, cell: str, expected: str) -> None:
    """`0.0` (a label column saved as numbers) and `neg`, `负面` were bad rows; they name the same class as 0 and
    negative, so they are read as it. A number that is no code stays an error."""
    path = tmp_path / "labels.csv"
    path.write_text(f"text,label\nAI演员没有灵魂,{cell}\n这技术真厉害,0.5\n", encoding="utf-8")
    store = Store()
    result = import_labels(store, path, TRACKER, annotator="alice")
    assert result.written == 1 and len(result.errors) == 1 and "'0.5' is not a sentiment label" in result.errors[0]
    with store.connect() as con:
        assert read_labels(con, TRACKER)["sentiment"].tolist() == [expected]


def test_a_sheet_saved_with_semicolons_or_capitalised_headers_is_read(make_record: Callable[..., Record],
                                                                        tmp_path: Path) -> None:
    """Excel where the comma is the decimal mark saves CSV with semicolons, and a sheet's headers are often
    capitalised ("Text;Label"): the import refused the whole file ("need a header with text…, found: text;label"),
    `evaluate` too, and `labels export` to that file overwrote the labels typed into it (it found none to protect)."""
    store = _store_with_records(make_record, days=1)
    out = tmp_path / "sample.csv"
    export_sample(store, TRACKER, 3, out)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    lines = ["Source;ID;Text;Label;Stance"] + [f"{r['source']};{r['id']};{r['text']};1;support" for r in rows]
    out.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    res = CliRunner().invoke(cli, ["labels", "export", "--tracker", TRACKER, "--n", "3", "--out", str(out)])
    assert res.exit_code == 1 and "3 row(s) with labels filled in" in res.output, res.output
    result = import_labels(store, out, TRACKER, annotator="alice")
    assert (result.written, result.errors) == (3, [])
    with store.connect() as con:
        stored = read_labels(con, TRACKER)
    assert set(stored["item"]) == {f"{r['source']}:{r['id']}" for r in rows} and set(stored["stance"]) == {"support"}
    tsv = tmp_path / "labels.tsv"
    tsv.write_text("Text\tLabel\nAI演员没有灵魂\t0\n这技术真厉害\t1\n", encoding="utf-8")
    from analysis.nlp.tasks import SENTIMENT, read_task_csv

    assert read_task_csv(tsv, SENTIMENT).y.tolist() == [0, 1]


def test_labels_export_leaves_a_sample_re_saved_as_gbk_as_it_is(make_record: Callable[..., Record],
                                                                 tmp_path: Path) -> None:
    """Excel on a Chinese Windows saves "CSV (comma delimited)" as GBK: export to that file could not read it, counted
    no labels in it, and overwrote every label typed into it. Export counts its labels as import reads them (GBK
    detected) and leaves the file as it is; a file in no encoding import detects is left as it is too."""
    store = _store_with_records(make_record, days=1)
    out = tmp_path / "sample.csv"
    labelled = "source,id,text,label\nweibo,w0-0,第0天 weibo 帖子 0 AI演员,0\n".encode("gbk")
    out.write_bytes(labelled)
    res = CliRunner().invoke(cli, ["labels", "export", "--tracker", TRACKER, "--n", "3", "--out", str(out)])
    assert res.exit_code == 1 and "has 1 row(s) with labels filled in" in res.output, res.output
    assert out.read_bytes() == labelled
    res = CliRunner().invoke(cli, ["labels", "import", str(out), "--tracker", TRACKER])
    assert res.exit_code == 0 and "1 labels written" in res.output, res.output
    latin = tmp_path / "latin.csv"
    latin.write_bytes("source,id,text,label\nweibo,w0-1,café, 0\n".encode("cp1252"))
    res = CliRunner().invoke(cli, ["labels", "export", "--tracker", TRACKER, "--n", "3", "--out", str(latin)])
    assert res.exit_code == 1 and "is not text in UTF-8, UTF-16 or GB18030" in res.output, res.output
    assert latin.read_bytes() == "source,id,text,label\nweibo,w0-1,café, 0\n".encode("cp1252")
    assert export_sample(store, TRACKER, 3, tmp_path / "new.csv") == 3  # a new file, or an empty one, is written


def test_one_file_imported_again_under_another_annotator_is_refused(tmp_path: Path) -> None:
    """Importing a file first without --annotator ('unnamed') and again with --annotator alice (or under bob by
    mistake) stored its labels twice, as two annotators: `labels agreement` showed kappa 1.00 and adapt said "by 2
    annotators". Its labels equal item for item to another annotator's from a file of the same name are refused."""
    path = tmp_path / "week1.csv"
    path.write_text("text,label\n" + "".join(f"第{k}条 AI演员,{k % 3}\n" for k in range(6)), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["labels", "import", str(path), "--tracker", TRACKER]).exit_code == 0
    res = runner.invoke(cli, ["labels", "import", str(path), "--tracker", TRACKER, "--annotator", "alice"])
    assert res.exit_code == 1 and "imported before under annotator 'unnamed'" in res.output, res.output
    with Store().connect() as con:
        assert set(read_labels(con, TRACKER)["annotator"]) == {"unnamed"}
    assert runner.invoke(cli, ["labels", "import", str(path), "--tracker", TRACKER]).exit_code == 0  # the same again
    bob = tmp_path / "bob" / "week1.csv"  # a second annotator's own copy, with labels of their own
    bob.parent.mkdir()
    bob.write_text("text,label\n" + "".join(f"第{k}条 AI演员,{(k + 1) % 3}\n" for k in range(6)), encoding="utf-8")
    res = runner.invoke(cli, ["labels", "import", str(bob), "--tracker", TRACKER, "--annotator", "bob"])
    assert res.exit_code == 0 and "6 labels written" in res.output, res.output


def test_labels_of_another_tracker_s_records_are_refused(make_record: Callable[..., Record], tmp_path: Path) -> None:
    """A sample exported for one tracker imported with --tracker of another stored its labels under the wrong tracker
    (adapting that tracker on another topic's posts). Rows naming a stored record of another tracker are bad rows."""
    store = _store_with_records(make_record, days=1)
    path = tmp_path / "tilly.csv"
    path.write_text("source,id,text,label\nweibo,other,别的话题,0\nweibo,w0-0,,1\nweibo,gone,已删除的帖子,2\n",
                    encoding="utf-8")
    result = import_labels(store, path, TRACKER, annotator="alice")
    assert [e.split(": ", 2)[1:] for e in result.errors] == [
        ["line 2", "record weibo:other is not of tracker iqiyi-nadou (it is of tilly-norwood): is --tracker right?"]]
    with store.connect() as con:
        assert sorted(read_labels(con, TRACKER)["item"]) == ["weibo:gone", "weibo:w0-0"]  # a deleted record's label stays


def test_labels_import_opens_the_store_once(make_record: Callable[..., Record], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """An import opened the store (a view over every dataset's files) up to five times: to map public ids, to check
    the records' trackers, to fill in texts, to look for a copied file, and to compare with the stored labels. Once."""
    store = _store_with_records(make_record, days=1)
    path = tmp_path / "mixed.csv"
    path.write_text("source,id,text,label\nweibo,w0-0,,1\nweibo,other,别的话题,0\nweibo,gone,已删除的帖子,2\n,,一段文字,0\n",
                    encoding="utf-8")
    opened = []
    real = Store.connect

    def counting(self: Store, *args: object, **kwargs: object) -> object:
        opened.append(kwargs)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Store, "connect", counting)
    result = import_labels(store, path, TRACKER, annotator="alice")
    assert result.written == 3 and len(result.errors) == 1
    assert len(opened) == 1, opened


def test_an_article_labelled_before_another_source_carried_it_is_not_offered_again(
        make_record: Callable[..., Record], tmp_path: Path) -> None:
    """A news article labelled as its RSS copy, then collected again by GDELT with a longer text: the store counts the
    two copies as one record (the longer one, `merged_from` naming the other), and the sampler, leaving out only the
    items labelled, offered that record to label again: one article labelled twice, as two items."""
    store = Store()
    at = datetime(2026, 4, 20, 8, tzinfo=UTC)

    def article(source: str, rid: str, text: str) -> Record:
        return make_record(source=source, id=rid, kind="article", url="https://example.com/news/ai-actor",
                           title="爱奇艺AI演员", text=text, author_id=None, author_name="example.com",
                           published_at=at, trackers=[TRACKER])

    store.add_records([article("rss", "r1", "短文"), make_record(id="w1", text="另一条 AI演员", published_at=at,
                                                                trackers=[TRACKER])])
    path = tmp_path / "labelled.csv"
    path.write_text("source,id,text,label\nrss,r1,,0\n", encoding="utf-8")
    assert import_labels(store, path, TRACKER, annotator="alice").written == 1
    store.add_records([article("gdelt", "g1", "一篇更长的全文，讲的是同一件事")])
    with store.connect() as con:
        merged = con.execute("SELECT source, id, merged_from FROM records WHERE kind = 'article'").fetchall()
    assert merged == [("gdelt", "g1", ["rss:r1"])]
    out = tmp_path / "next.csv"
    assert export_sample(store, TRACKER, 5, out) == 1
    with out.open(encoding="utf-8-sig", newline="") as fh:
        assert [(r["source"], r["id"]) for r in csv.DictReader(fh)] == [("weibo", "w1")]
    assert export_sample(store, TRACKER, 5, tmp_path / "bob.csv", annotator="bob") == 2  # not labelled by bob


def test_a_label_naming_a_merged_article_copy_by_id_alone_finds_its_text(
        make_record: Callable[..., Record], tmp_path: Path) -> None:
    """A row naming a record by source,id with no text takes the text from the store; for a news article's copy that
    another source's longer copy now stands for, the import said "no such record in the store", though it is stored."""
    store = Store()
    at = datetime(2026, 4, 20, 8, tzinfo=UTC)
    store.add_records([make_record(source=s, id=i, kind="article", url="https://example.com/news/ai-actor",
                                   title="爱奇艺AI演员", text=text, author_id=None, author_name="example.com",
                                   published_at=at, trackers=[TRACKER])
                       for s, i, text in (("rss", "r1", "短文"), ("gdelt", "g1", "一篇更长的全文"))])
    path = tmp_path / "by_id.csv"
    path.write_text("source,id,text,label\nrss,r1,,0\n", encoding="utf-8")
    result = import_labels(store, path, TRACKER, annotator="alice")
    assert (result.written, result.errors) == (1, [])
    with store.connect() as con:
        assert read_labels(con, TRACKER)["text"].tolist() == ["爱奇艺AI演员\n短文"]


@pytest.mark.parametrize("header", ["text,label,label", "text,Label,label ", "text,stance,label,STANCE"])
def test_a_header_naming_a_column_twice_is_refused_not_half_read(tmp_path: Path, header: str) -> None:
    """Two columns of one name (two annotators' label columns side by side, or `Label` and `label`): one of them was
    read and the other's labels dropped without a word."""
    from analysis.nlp.sentiment.labelled import LabelledFileError, read_labelled_csv

    path = tmp_path / "two.csv"
    path.write_text(f"{header}\n好,positive,negative{',oppose' if header.count(',') == 3 else ''}\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["labels", "import", str(path), "--tracker", TRACKER])
    assert res.exit_code == 1 and "appears twice in the header" in res.output, res.output
    with Store().connect() as con:
        assert read_labels(con, TRACKER).empty
    with pytest.raises(LabelledFileError, match="appears twice in the header"):
        read_labelled_csv(path)


def test_trailing_empty_columns_of_a_spreadsheet_are_no_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "sheet.csv"
    path.write_text("text,label,,\n好,positive,,\n", encoding="utf-8")
    assert import_labels(Store(), path, TRACKER, annotator="bob").written == 1


def test_the_annotators_recorded_count_only_the_labels_kept(make_record: Callable[..., Record], tmp_path: Path) -> None:
    """Rows left out once the store was read (no text and no such record; a record of another tracker) still counted
    as recorded under their annotator: "1 labels written … annotator(s) recorded: unnamed (3)"."""
    store = Store()
    store.add_records([make_record(id="mine", text="爱奇艺AI艺人库太恶心了", trackers=[TRACKER]),
                       make_record(id="theirs", text="别的", trackers=["tilly-norwood"])])
    path = tmp_path / "ids.csv"
    path.write_text("source,id,text,label\nweibo,missing,,positive\nweibo,mine,,negative\nweibo,theirs,,negative\n",
                    encoding="utf-8")
    result = import_labels(store, path, TRACKER)
    assert result.written == 1 and len(result.errors) == 2
    assert result.annotators == {"unnamed": 1}
    assert "annotator(s) recorded: unnamed (1)" in result.line()
