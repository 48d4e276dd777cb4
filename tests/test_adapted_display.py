"""A tracker with an adapted model: its charts, export manifest, brief and Methods say which model and how right."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from analysis.core.filters import Filters
from analysis.core.scores import SCORES, SCORES_SPEC
from analysis.nlp.model_info import accuracy_line, latest_model_version, model_card_summary
from analysis.reports.brief import write_brief
from analysis.reports.export import export_bundle
from collectors import demo
from collectors.store import RECORDS, Store
from collectors.trackers import get_tracker, load_trackers
from tests.dashboard_store import VERSION, oracle_scores
from tests.test_dashboard_pages import model_badges

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
ADAPTED = "weibo-charlr-3c-iqiyi-nadou"
ADAPTED_VERSION = "1.0.test-iqiyi-nadou.abcd1234"
LINE = "adapted on 200 labels by 2 annotators: cross-validated macro-F1 0.71 [0.64–0.77] (base model 0.52)"


def write_adapted_card(data_dir: Path) -> None:
    directory = data_dir / "models" / ADAPTED
    directory.mkdir(parents=True)
    adapted = {"tracker": "iqiyi-nadou", "n_labels": 200, "n_annotators": 2, "folds": 5, "weight": 30.0,
               "cv_macro_f1_adapted": 0.7123, "cv_macro_f1_adapted_ci95": [0.6412, 0.7731],
               "cv_macro_f1_base": 0.5234, "cv_macro_f1_base_ci95": [0.45, 0.6], "base_model": "weibo-charlr-3c",
               "base_version": "1.0.x", "provenance": {"annotators": ["alice", "bob"],
                                                       "origins": {"dashboard": 150, "import:team.csv": 90},
                                                       "labelled_from": "2026-05-01T00:00:00+00:00",
                                                       "labelled_to": "2026-05-03T00:00:00+00:00",
                                                       "llm_labels_used": False}}
    card = {"name": ADAPTED, "version": ADAPTED_VERSION, "macro_f1": 0.7123, "created_at": "2026-05-04T00:00:00+00:00",
            "macro_f1_source": "5-fold cross-validated on 200 labels of tracker iqiyi-nadou",
            "baseline": {"name": "base"}, "adapted": adapted,
            "evaluations": [{"file": "labels of iqiyi-nadou", "role": "5-fold cross-validated",
                             "default": {"n": 200, "macro_f1": 0.7123, "accuracy": 0.75},
                             "base": {"n": 200, "macro_f1": 0.5234, "accuracy": 0.6}}]}
    (directory / "card.json").write_text(json.dumps(card), encoding="utf-8")


@pytest.fixture
def store(isolated_data_dir: Path) -> Store:
    """Demo records of both trackers scored by a general model; iqiyi-nadou's also by its adapted model, later."""
    table = demo.generate(load_trackers(), records=800)
    store = Store(isolated_data_dir)
    store.add_table(RECORDS, table)
    general = oracle_scores(table)
    store.add_table(SCORES, general, SCORES_SPEC)
    mask = [("iqiyi-nadou" in t) for t in table["trackers"].to_pylist()]
    adapted = general.filter(pa.array(mask))
    n = adapted.num_rows
    adapted = adapted.set_column(2, "model", pa.array([ADAPTED] * n))
    adapted = adapted.set_column(3, "model_version", pa.array([f"{ADAPTED_VERSION}+vader-x"] * n))
    adapted = adapted.set_column(8, "scored_at", pa.array([datetime(2026, 12, 1, tzinfo=UTC)] * n,
                                                         pa.timestamp("us", tz="UTC")))
    assert n
    store.add_table(SCORES, adapted, SCORES_SPEC)
    write_adapted_card(isolated_data_dir)
    return store


def test_each_tracker_gets_its_own_model(store: Store) -> None:
    with store.connect() as con:
        assert latest_model_version(con, "iqiyi-nadou") == f"{ADAPTED_VERSION}+vader-x"
        assert latest_model_version(con, "tilly-norwood") == VERSION  # the adapted model is not another's
        assert latest_model_version(con) == VERSION
    summary = model_card_summary(f"{ADAPTED_VERSION}+vader-x", ADAPTED)
    assert summary["adapted"]["n_labels"] == 200
    assert LINE in accuracy_line(summary)


def test_a_tracker_keeps_the_general_model_until_its_adapted_model_has_scored_every_record(
        isolated_data_dir: Path) -> None:
    """An interrupted `enrich --model` left the adapted model with some of the tracker's records: its charts switched
    to it at once, and their shares covered only the records it had reached. They keep the general model until the
    run is resumed."""
    table = demo.generate(load_trackers(), records=400)
    store = Store(isolated_data_dir)
    store.add_table(RECORDS, table)
    general = oracle_scores(table)
    store.add_table(SCORES, general, SCORES_SPEC)
    mine = [i for i, t in enumerate(table["trackers"].to_pylist()) if "iqiyi-nadou" in t]
    adapted = general.take(pa.array(mine[:-1]))  # the run stopped before its last record
    n = adapted.num_rows
    adapted = adapted.set_column(2, "model", pa.array([ADAPTED] * n))
    adapted = adapted.set_column(3, "model_version", pa.array([ADAPTED_VERSION] * n))
    store.add_table(SCORES, adapted, SCORES_SPEC)
    write_adapted_card(isolated_data_dir)
    with store.connect() as con:
        assert latest_model_version(con, "iqiyi-nadou") == VERSION
    last = general.take(pa.array(mine[-1:]))
    last = last.set_column(2, "model", pa.array([ADAPTED])).set_column(3, "model_version", pa.array([ADAPTED_VERSION]))
    store.add_table(SCORES, last, SCORES_SPEC)  # resumed to the end
    with store.connect() as con:
        assert latest_model_version(con, "iqiyi-nadou") == ADAPTED_VERSION


def test_export_manifest_and_brief_carry_the_adapted_figures(store: Store, tmp_path: Path) -> None:
    tracker = get_tracker("iqiyi-nadou")
    manifest = export_bundle(store, tracker, Filters.for_tracker(tracker), tmp_path / "iqiyi").manifest
    assert manifest["model"]["name"] == ADAPTED
    assert manifest["model"]["adapted"]["annotators"] == ["alice", "bob"]
    assert manifest["model"]["adapted"]["origins"] == {"dashboard": 150, "import:team.csv": 90}
    assert LINE in manifest["model"]["statement"]
    other = get_tracker("tilly-norwood")
    plain = export_bundle(store, other, Filters.for_tracker(other), tmp_path / "tilly").manifest
    assert plain["model"]["adapted"] is None and plain["model"]["version"] == VERSION
    week = date(2026, 4, 20).isocalendar()
    out = write_brief(store, tracker, f"{week.year}-W{week.week:02d}", tmp_path / "brief.html")
    assert LINE in out.read_text(encoding="utf-8")


def _open(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if page != "overview":
        at.switch_page(f"app_pages/{page}.py")
    at.query_params["tracker"] = "iqiyi-nadou"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_charts_and_methods_show_the_adapted_model(store: Store) -> None:
    at = _open("overview")
    labels = model_badges(at)
    assert any(LINE in label and ADAPTED in label for label in labels), labels
    methods = _open("methods")
    assert any(m.value == "0.71" for m in methods.metric)
    tables = [t.value for t in methods.dataframe]
    adapted = next(t for t in tables if "cross-validated macro-F1" in t.columns)
    row = adapted.iloc[0]
    assert row["tracker"] == "iqiyi-nadou" and row["labels"] == 200 and row["annotators"] == "alice, bob"
    assert row["cross-validated macro-F1"] == "0.71 [0.64–0.77]" and row["base model macro-F1"] == "0.52 [0.45–0.60]"
    assert "import:team.csv (90)" in row["labels from"]


def test_a_model_adapted_to_another_tracker_says_whose_labels_its_figure_is_on(store: Store, tmp_path: Path) -> None:
    """`export`/`brief --model-version` of tilly-norwood with the model adapted to iqiyi-nadou (or `enrich --model
    it --tracker tilly-norwood`, then its stance badge) quoted "adapted on 200 labels by 2 annotators: cross-validated
    macro-F1 0.71" beside tilly-norwood's figures: a figure measured on another tracker's labels, not said to be."""
    other = get_tracker("tilly-norwood")
    manifest = export_bundle(store, other, Filters.for_tracker(other), tmp_path / "tilly",
                             model_version=f"{ADAPTED_VERSION}+vader-x").manifest
    statement = manifest["model"]["statement"]
    assert LINE not in statement and "adapted to another tracker, iqiyi-nadou," in statement, statement
    assert "measured on iqiyi-nadou's labels, not on tilly-norwood's" in statement
    own = model_card_summary(f"{ADAPTED_VERSION}+vader-x", ADAPTED, tracker="iqiyi-nadou")
    assert LINE in accuracy_line(own)  # its own tracker's line is as it was

    from analysis.nlp.model_info import task_badge

    card = json.loads((store.data_dir / "models" / ADAPTED / "card.json").read_text(encoding="utf-8"))
    found = (card, store.data_dir / "models" / ADAPTED / "card.json")
    assert "adapted to another tracker, iqiyi-nadou," in task_badge("stance", found, tracker="tilly-norwood")["text"]
    assert LINE in task_badge("stance", found, tracker="iqiyi-nadou")["text"]
