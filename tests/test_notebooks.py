"""The notebooks run top to bottom on a small demo store and print the same numbers the analysis API gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from analysis.core.filters import Filters
from analysis.stats.aggregate import kpis
from collectors.demo import generate
from collectors.sources.market import MARKET_PRICES_SPEC
from collectors.store import RECORDS, Store
from collectors.trackers import get_tracker, load_trackers, public_names
from dashboard.charts import registry
from dashboard.model_info import model_summary
from tests.analytics_fixtures import add_scores

pytestmark = pytest.mark.slow
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
TRACKER = "iqiyi-nadou"  # the shipped trackers: the notebooks and the dashboard read the same file


def _demo_store(data_dir, monkeypatch, prices: bool) -> Store:
    """A small demo store (SYNTHETIC records, one-hot scores) for the shipped trackers, with or without prices."""
    store = Store(data_dir)
    store.add_table(RECORDS, generate(load_trackers(), records=1500, seed=7))
    keys = store.query("SELECT source, id FROM records ORDER BY source, id")
    rng = np.random.default_rng(0)
    labels = rng.choice(["negative", "neutral", "positive"], size=len(keys), p=[0.5, 0.3, 0.2])
    add_scores(store, dict(zip(zip(keys["source"], keys["id"], strict=True), labels, strict=True)))
    if prices:
        tracker = get_tracker(TRACKER)
        ticker, benchmark = tracker.queries.market[0], tracker.queries.benchmark
        days = pd.bdate_range("2025-09-01", "2026-07-31").date  # SYNTHETIC prices for the event study
        market = 0.01 * rng.standard_normal(len(days))
        stock = 0.0002 + 1.2 * market + 0.005 * rng.standard_normal(len(days))
        closes = {benchmark: 100 * np.cumprod(1 + market), ticker: 40 * np.cumprod(1 + stock)}
        frame = pd.concat([pd.DataFrame({"date": days, "ticker": t, "close": c}) for t, c in closes.items()])
        frame = frame.assign(open=frame["close"], high=frame["close"], low=frame["close"], volume=0,
                             source="synthetic", collected_at=datetime(2026, 8, 1, tzinfo=UTC))
        store.add_table("market_prices", pa.Table.from_pandas(frame, preserve_index=False), MARKET_PRICES_SPEC)
    monkeypatch.setenv("ACTORWATCH_TRACKER", TRACKER)
    return store


@pytest.fixture
def demo_store(data_dir, monkeypatch) -> Store:
    return _demo_store(data_dir, monkeypatch, prices=True)


def _chart(store: Store, name: str, **options: str) -> registry.ChartPackage:
    """The registered chart as the dashboard draws it for the tracker's default view."""
    tracker = get_tracker(TRACKER)
    with store.connect(public_names=public_names()) as con:
        model = model_summary(con, tracker.id)
        view = registry.View(Filters.for_tracker(tracker), model["version"]).with_options(**options)
        return registry.build(name, con, view, model)


def _run(name: str) -> tuple[dict, str]:
    import jupytext
    from nbclient import NotebookClient

    notebook = jupytext.read(NOTEBOOKS / name)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(Path(__file__).resolve().parents[1])}}).execute()
    printed = "".join(out.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for out in cell.get("outputs", []) if out.get("output_type") == "stream")
    line = next(x for x in printed.splitlines() if x.startswith("SUMMARY "))
    return json.loads(line.removeprefix("SUMMARY ")), printed


def test_overview_notebook_reproduces_the_overview_charts(demo_store):
    summary, printed = _run("01_overview.py")
    tracker = get_tracker(TRACKER)
    volume, sentiment = _chart(demo_store, "overview-volume"), _chart(demo_store, "overview-sentiment")
    with demo_store.connect() as con:
        k = kpis(con, Filters.for_tracker(tracker), summary["model_version"])
    assert summary["records"] == k["records"] > 0 and summary["authors"] == k["authors"]
    assert summary["share_negative"] == pytest.approx(k["share_negative"])
    assert summary["volume_total"] == int(volume.data["records"].sum()) == k["records"]
    assert summary["volume_rows"] == len(volume.data)
    assert summary["sentiment_n"] == int(sentiment.data["n"].sum()) == k["records"]
    assert summary["sentiment_negative"] == pytest.approx(sentiment.data["negative"].tolist(), nan_ok=True)
    assert "SYNTHETIC" in printed and summary["synthetic_share"] == 1.0


def test_event_effects_notebook_reproduces_the_timeline_chart(demo_store):
    summary, _ = _run("02_event_effects.py")
    effects = _chart(demo_store, "timeline-effects").data.set_index("event_id")
    assert set(summary) == {e.id for e in get_tracker(TRACKER).events} == set(effects.index)
    for event_id, row in summary.items():
        assert row["volume_diff"] == pytest.approx(effects.loc[event_id, "volume_diff"])
        assert row["neg_diff"] == pytest.approx(effects.loc[event_id, "neg_diff"], nan_ok=True)


def test_event_study_notebook_reproduces_the_industry_chart(demo_store):
    summary, _ = _run("03_event_study.py")
    chart = pd.DataFrame(_chart(demo_store, "industry-market").data.attrs["summary"])
    assert len(summary) == len(chart) > 0
    for row in chart.to_dict(orient="records"):
        got = summary[str(row["event_date"])]
        assert got["beta"] == pytest.approx(row["beta"]) and got["car"] == pytest.approx(row["car"])
        assert 0.9 < got["beta"] < 1.5  # the synthetic stock was built with beta 1.2


def test_event_study_notebook_says_what_is_missing_without_prices(data_dir, monkeypatch):
    _demo_store(data_dir, monkeypatch, prices=False)
    summary, printed = _run("03_event_study.py")
    assert summary == {}
    assert "No event study: no market prices in the store" in printed and "actorwatch collect market" in printed


def test_notebooks_say_the_demo_data_is_synthetic():
    for path in sorted(NOTEBOOKS.glob("0[123]_*.py")):
        assert "Demo data is synthetic" in path.read_text(encoding="utf-8"), path.name


def test_notebooks_are_percent_format_scripts():
    for path in sorted(NOTEBOOKS.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "format_name: percent" in text and "# %%" in text, path.name
    assert {p.name for p in NOTEBOOKS.glob("*.py")} >= {"01_overview.py", "02_event_effects.py", "03_event_study.py"}




def test_overview_notebook_names_the_display_zones_days(demo_store, monkeypatch):
    """Under ACTORWATCH_TZ the notebook's days are that zone's (the kernel inherits the variable), and it says so."""
    monkeypatch.setenv("ACTORWATCH_TZ", "Asia/Shanghai")
    summary, printed = _run("01_overview.py")
    assert "Days are Asia/Shanghai (UTC+8) days." in printed and "(UTC)" not in printed
    assert summary["volume_rows"] == len(_chart(demo_store, "overview-volume").data)
