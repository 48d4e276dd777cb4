"""`labels import` of what teams actually save: CSV in Excel's encodings, JSON/JSONL rows, Label Studio's JSON export;
and `labels export --format jsonl`. Fixture files are written here, in tmp_path."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.core.labels import read_labels, text_key
from analysis.nlp.labels_io import export_sample, import_labels
from analysis.nlp.sentiment.labelled import LabelledFileError
from collectors.models import Record
from collectors.store import Store
from dashboard.cli import cli

TRACKER = "iqiyi-nadou"
ROWS = [("AI演员没有灵魂", "0", "oppose", "disgust"), ("这技术真厉害", "1", "support", "joy"), ("发布会今天举行", "2", "", "")]
STORED = {"AI演员没有灵魂": ("negative", "oppose", "disgust"), "这技术真厉害": ("positive", "support", "joy"),
          "发布会今天举行": ("neutral", None, None)}


def _stored(store: Store) -> dict[str, tuple[str | None, ...]]:
    with store.connect() as con:
        frame = read_labels(con, TRACKER)
    return {t: (s, st, e) for t, s, st, e in frame[["text", "sentiment", "stance", "emotion"]].itertuples(index=False)}


def _csv(sep: str = ",") -> str:
    return "\r\n".join([sep.join(("text", "label", "stance", "emotion")), *(sep.join(r) for r in ROWS)]) + "\r\n"


# ---------- encodings ----------

@pytest.mark.parametrize(("encoding", "sep"), [("utf-8-sig", ","), ("utf-16", "\t"), ("gb18030", ","), ("gbk", ",")])
def test_csv_in_the_encodings_spreadsheets_save_is_detected(tmp_path: Path, encoding: str, sep: str) -> None:
    """UTF-8 with BOM (Excel's "CSV UTF-8"), UTF-16 with BOM and tabs (Excel's "Unicode text"), GB18030/GBK (Excel's
    CSV on Chinese Windows): each read as the same labels, with no --encoding; a second import adds nothing."""
    path = tmp_path / "labels.csv"
    path.write_bytes(_csv(sep).encode(encoding))
    store = Store()
    first = import_labels(store, path, TRACKER, annotator="alice")
    assert first.errors == [] and first.written == 3
    assert _stored(store) == STORED
    assert import_labels(store, path, TRACKER, annotator="alice").written == 0


def test_a_gbk_file_read_as_utf8_fails_naming_the_line_and_stores_nothing(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(_csv().encode("gbk"))
    with pytest.raises(LabelledFileError, match=r"gbk.csv: line 2: not valid utf-8 \(byte \d+\)"):
        import_labels(Store(), path, TRACKER, encoding="utf-8")
    res = CliRunner().invoke(cli, ["labels", "import", str(path), "--tracker", TRACKER, "--encoding", "utf-8"])
    assert res.exit_code == 1 and "line 2: not valid utf-8" in res.output and "--encoding" in res.output, res.output
    assert _stored(Store()) == {}


def test_a_file_in_no_detected_encoding_is_refused_with_its_line_not_read_as_mojibake(tmp_path: Path) -> None:
    """cp1252 (Western Excel's CSV) is neither UTF-8 nor GB18030: refused, naming the line; --encoding reads it."""
    path = tmp_path / "western.csv"
    path.write_bytes('text,label\nnice film,1\n"un café, vraiment",0\n'.encode("cp1252"))
    res = CliRunner().invoke(cli, ["labels", "import", str(path), "--tracker", TRACKER])
    assert res.exit_code == 1 and "line 3: neither UTF-8" in res.output and "--encoding" in res.output, res.output
    assert _stored(Store()) == {}
    res = CliRunner().invoke(cli, ["labels", "import", str(path), "--tracker", TRACKER, "--encoding", "cp1252"])
    assert res.exit_code == 0, res.output
    assert _stored(Store()) == {"nice film": ("positive", None, None), "un café, vraiment": ("negative", None, None)}


def test_an_unknown_encoding_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(_csv(), encoding="utf-8")
    res = CliRunner().invoke(cli, ["labels", "import", str(path), "--tracker", TRACKER, "--encoding", "klingon"])
    assert res.exit_code == 2 and "'klingon' is not an encoding" in res.output, res.output


# ---------- JSON, JSONL ----------

def test_jsonl_rows_bad_lines_numbered_the_rest_kept_and_a_second_import_adds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    lines = [json.dumps({"text": "AI演员没有灵魂", "label": 0, "stance": "oppose", "emotion": "disgust"}, ensure_ascii=False),
             "",
             json.dumps({"text": "这技术真厉害", "sentiment": "Positive", "stance": "support", "emotion": "joy",
                         "source": "weibo", "id": "9"}, ensure_ascii=False),
             '{"text": "半条", "label": 0',  # line 4: cut off
             json.dumps({"text": "坏", "label": 7}),  # line 5: no such label
             json.dumps(["not", "an", "object"]),  # line 6
             json.dumps({"text": "发布会今天举行", "label": "neutral", "stance": None}, ensure_ascii=False)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = Store()
    result = import_labels(store, path, TRACKER, annotator="bob")
    assert [e.split(": ")[1] for e in result.errors] == ["line 4", "line 5", "line 6"], result.errors
    assert "'7' is not a sentiment label" in result.errors[1]
    assert result.written == 3 and result.annotators == {"bob": 3}
    assert _stored(store) == STORED
    with store.connect() as con:
        frame = read_labels(con, TRACKER)
    assert set(frame["item"]) >= {"weibo:9"} and set(frame["annotator"]) == {"bob"}
    assert import_labels(store, path, TRACKER, annotator="bob").written == 0


def test_a_json_array_of_rows_is_read_with_item_numbers(tmp_path: Path) -> None:
    path = tmp_path / "labels.json"
    items = [{"text": t, "label": int(s), "stance": st or None, "emotion": e or None, "annotator": "carol"}
             for t, s, st, e in ROWS] + [{"text": "坏", "stance": {"choices": ["oppose", "support"]}}]
    path.write_text(json.dumps(items, ensure_ascii=False, indent=2), encoding="utf-8")
    result = import_labels(Store(), path, TRACKER)
    assert [e.split(": ", 2)[1] for e in result.errors] == ["item 4"] and "one value expected" in result.errors[0]
    assert result.annotators == {"carol": 3} and _stored(Store()) == STORED


def test_a_broken_json_array_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "labels.json"
    path.write_text('[\n {"text": "好", "label": 1},\n {"text": "坏", "label": 0\n]\n', encoding="utf-8")
    with pytest.raises(LabelledFileError, match="labels.json: line 4: not valid JSON"):
        import_labels(Store(), path, TRACKER)


# ---------- Label Studio ----------

def _choice(name: str, value: str) -> dict[str, object]:
    return {"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": [value]}}


def _label_studio_export() -> list[dict[str, object]]:
    """Tasks as Label Studio's JSON export writes them (see labelstud.io/guide/task_format): `data` as imported,
    `annotations` each with its `result` list, `completed_by` (a user number, or the user with its email)."""
    return [
        {"id": 11, "data": {"text": "AI演员没有灵魂", "source": "weibo", "id": "w1"}, "annotations": [
            {"id": 101, "completed_by": {"id": 1, "email": "alice@example.org"}, "was_cancelled": False,
             "result": [_choice("sentiment", "Negative"), _choice("stance", "oppose"), _choice("emotion", "disgust"),
                        {"from_name": "note", "to_name": "text", "type": "textarea", "value": {"text": ["x"]}}]},
            {"id": 102, "completed_by": 2, "was_cancelled": False, "result": [_choice("sentiment", "Neutral")]}],
         "predictions": [{"result": [_choice("sentiment", "Positive")]}]},
        {"id": 12, "data": {"text": "这技术真厉害"}, "annotations": [
            {"id": 103, "completed_by": 2, "result": [_choice("sentiment", "Positive")]}]},
        {"id": 13, "data": {"text": "还没人标"}, "annotations": []},  # not annotated: no label, nothing wrong
        {"id": 14, "data": {"text": "发布会今天举行"}, "annotations": [
            {"id": 104, "completed_by": 2, "result": [_choice("topic", "tech")]}]},  # no such task: reported
        {"id": 15, "data": {"text": "跳过这条"}, "annotations": [
            {"id": 105, "completed_by": 2, "was_cancelled": True, "result": []}]},  # skipped
    ]


def test_label_studio_json_export_one_label_per_annotation_by_its_annotator(tmp_path: Path) -> None:
    path = tmp_path / "project-1-at-2026-12-01.json"
    path.write_text(json.dumps(_label_studio_export(), ensure_ascii=False), encoding="utf-8")
    res = CliRunner().invoke(cli, ["labels", "import", str(path), "--tracker", TRACKER])
    assert res.exit_code == 0, res.output
    assert "annotator(s) recorded: alice@example.org (1), label-studio user 2 (3)" in res.stdout, res.stdout
    assert "item 4 (task 14): choices of 'topic'" in res.stderr and res.stderr.count("skipped") == 1, res.stderr
    with Store().connect() as con:
        frame = read_labels(con, TRACKER)
    got = {(r.item, r.annotator): (r.sentiment, r.stance, r.emotion, r.status) for r in frame.itertuples()}
    user2 = "label-studio user 2"
    assert got == {("weibo:w1", "alice@example.org"): ("negative", "oppose", "disgust", "labelled"),
                   ("weibo:w1", user2): ("neutral", None, None, "labelled"),
                   (text_key("这技术真厉害"), user2): ("positive", None, None, "labelled"),
                   (text_key("跳过这条"), user2): (None, None, None, "skip")}
    again = CliRunner().invoke(cli, ["labels", "import", str(path), "--tracker", TRACKER])
    assert again.exit_code == 0 and "0 labels written, 4 already stored" in again.stdout, again.stdout


def test_label_studio_annotator_given_on_the_command_line_wins(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_label_studio_export()[1:2], ensure_ascii=False), encoding="utf-8")
    result = import_labels(Store(), path, TRACKER, annotator="dana")
    assert result.annotators == {"dana": 1} and result.errors == []


# ---------- export --format jsonl ----------

def test_export_jsonl_round_trip_and_a_filled_file_is_not_overwritten(make_record: Callable[..., Record],
                                                                      tmp_path: Path) -> None:
    store = Store()
    store.add_records([make_record(source="weibo", id=f"r{k}", text=f"帖子 {k} AI演员", trackers=[TRACKER],
                                   published_at=datetime(2026, 4, 18, k, tzinfo=UTC)) for k in range(3)])
    out = tmp_path / "sample.jsonl"
    res = CliRunner().invoke(cli, ["labels", "export", "--tracker", TRACKER, "--n", "3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 3 and all(r["label"] is None and r["synthetic"] is False for r in rows)
    assert {r["id"] for r in rows} == {"r0", "r1", "r2"} and rows[0]["published_at"].startswith("2026-04-18T")
    for row, label in zip(rows, (0, 1, None), strict=True):
        row["label"] = label
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(ValueError, match="has 2 row"):
        export_sample(store, TRACKER, 3, out, fmt="jsonl")
    result = import_labels(store, out, TRACKER, annotator="erin")
    assert result.written == 2 and result.blank == 1 and result.errors == []
    with store.connect() as con:
        assert sorted(read_labels(con, TRACKER)["item"]) == sorted(f"weibo:{r['id']}" for r in rows[:2])
