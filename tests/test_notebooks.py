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
from analysis.stats.effects import event_effects
from analysis.stats.market import event_study
from collectors.demo import generate
from collectors.sources.market import MARKET_PRICES_SPEC
from collectors.store import RECORDS, Store
from collectors.trackers import load_trackers
from tests.analytics_fixtures import VERSION, add_scores
from tests.conftest import TRACKERS_MIN

pytestmark = pytest.mark.slow
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture
def demo_store(data_dir, monkeypatch) -> Store:
    store = Store(data_dir)
    trackers = load_trackers(TRACKERS_MIN)
    store.add_table(RECORDS, generate(trackers, records=1500, seed=7))
    keys = store.query("SELECT source, id FROM records ORDER BY source, id")
    rng = np.random.default_rng(0)
    labels = rng.choice(["negative", "neutral", "positive"], size=len(keys), p=[0.5, 0.3, 0.2])
    add_scores(store, dict(zip(zip(keys["source"], keys["id"], strict=True), labels, strict=True)))
    days = pd.bdate_range("2025-09-01", "2026-07-31").date  # SYNTHETIC prices for the event study
    market = 0.01 * rng.standard_normal(len(days))
    stock = 0.0002 + 1.2 * market + 0.005 * rng.standard_normal(len(days))
    closes = {"SYNIDX": 100 * np.cumprod(1 + market), "SYN": 40 * np.cumprod(1 + stock)}
    frame = pd.concat([pd.DataFrame({"date": days, "ticker": t, "close": c}) for t, c in closes.items()])
    frame = frame.assign(open=frame["close"], high=frame["close"], low=frame["close"], volume=0, source="synthetic",
                         collected_at=datetime(2026, 8, 1, tzinfo=UTC))
    store.add_table("market_prices", pa.Table.from_pandas(frame, preserve_index=False), MARKET_PRICES_SPEC)
    for key, value in {"ACTORWATCH_TRACKER": "case-a", "ACTORWATCH_TRACKERS_FILE": str(TRACKERS_MIN),
                       "ACTORWATCH_TICKER": "SYN", "ACTORWATCH_BENCHMARK": "SYNIDX"}.items():
        monkeypatch.setenv(key, value)
    return store


def _run(name: str) -> dict:
    import jupytext
    from nbclient import NotebookClient

    notebook = jupytext.read(NOTEBOOKS / name)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(Path(__file__).resolve().parents[1])}}).execute()
    printed = "".join(out.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for out in cell.get("outputs", []) if out.get("output_type") == "stream")
    line = next(x for x in printed.splitlines() if x.startswith("SUMMARY "))
    return json.loads(line.removeprefix("SUMMARY "))


def test_overview_notebook_reproduces_the_overview(demo_store):
    summary = _run("01_overview.py")
    tracker = load_trackers(TRACKERS_MIN)[0]
    with demo_store.connect() as con:
        k = kpis(con, Filters.for_tracker(tracker), VERSION)
    assert summary["records"] == k["records"] > 0 and summary["authors"] == k["authors"]
    assert summary["share_negative"] == pytest.approx(k["share_negative"])
    assert summary["volume_total"] == k["records"] == summary["sentiment_n"]


def test_event_effects_notebook(demo_store):
    summary = _run("02_event_effects.py")
    tracker = load_trackers(TRACKERS_MIN)[0]
    with demo_store.connect() as con:
        effects = event_effects(con, Filters(tracker.id), tracker, VERSION).set_index("event_id")
    assert set(summary) == {"launch", "denial"}
    for event_id, row in summary.items():
        assert row["volume_diff"] == pytest.approx(effects.loc[event_id, "volume_diff"])
        assert row["neg_diff"] == pytest.approx(effects.loc[event_id, "neg_diff"])


def test_event_study_notebook(demo_store):
    summary = _run("03_event_study.py")
    tracker = load_trackers(TRACKERS_MIN)[0]
    with demo_store.connect() as con:
        prices = con.execute("SELECT date, ticker, close FROM market_prices").df()
    result = event_study(prices, "SYN", "SYNIDX", [e.date for e in tracker.events])
    assert len(summary) == 2
    for ev in result.events:
        got = summary[str(ev.event_date)]
        assert got["beta"] == pytest.approx(ev.beta) and got["car"] == pytest.approx(ev.car)
        assert 0.9 < got["beta"] < 1.5  # the synthetic stock was built with beta 1.2


def test_notebooks_are_percent_format_scripts():
    for path in sorted(NOTEBOOKS.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "format_name: percent" in text and "# %%" in text, path.name
    assert {p.name for p in NOTEBOOKS.glob("*.py")} >= {"01_overview.py", "02_event_effects.py", "03_event_study.py"}


