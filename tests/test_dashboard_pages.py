"""Dashboard pages under AppTest, the chart registry, the embed kit and `actorwatch chart`.

One small store (demo records + oracle scores + a hostile post + synthetic prices) is built per module.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from collectors.store import Store
from collectors.trackers import get_tracker, public_names
from tests.dashboard_store import HOSTILE_TEXT, VERSION, build_store

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
PAGES = ["overview", "timeline", "voices", "topics", "compare", "industry", "explore", "methods"]
CHART_PAGES = [p for p in PAGES if p != "explore"]


def add_prices(store: Store) -> None:
    """Synthetic daily closes for IQ and ^SPX (a seeded random walk; for tests only, never shown as real)."""
    from collectors.models import models_to_table
    from collectors.sources.market import MARKET_PRICES_SCHEMA, MARKET_PRICES_SPEC, MarketPrice

    rng = np.random.default_rng(1)
    days = list(pd.bdate_range("2025-09-01", "2026-06-30").date)
    rows = []
    for ticker, start in (("IQ", 2.0), ("^SPX", 6000.0)):
        closes = start * np.exp(np.cumsum(rng.normal(0, 0.015, len(days))))
        rows += [MarketPrice(date=d, ticker=ticker, close=float(c), source="test-synthetic",
                             collected_at=datetime(2026, 11, 1, tzinfo=UTC)) for d, c in zip(days, closes, strict=True)]
    store.add_table(MARKET_PRICES_SPEC.name, models_to_table(rows, MARKET_PRICES_SCHEMA), MARKET_PRICES_SPEC)


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dashboard-store")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACTORWATCH_DATA", str(path))
        mp.setenv("ACTORWATCH_PSEUDONYM_KEY", "test-key-not-secret")
        store = build_store(path, records=2500)
        add_prices(store)
    return path


@pytest.fixture
def store(store_dir: Path, isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ACTORWATCH_DATA", str(store_dir))
    return store_dir


def open_page(page: str, params: dict[str, str | list[str]] | None = None,
              session: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if page != "overview":
        at.switch_page(f"app_pages/{page}.py")
    for key, value in (params or {}).items():
        at.query_params[key] = value
    for key, value in (session or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def model_badges(at: AppTest) -> list[str]:
    """The model figures the page states beside its charts (captions, Markdown escapes and icon taken off)."""
    icon = ":material/science: "
    return [re.sub(r"\\(.)", r"\1", c.value.removeprefix(icon)) for c in at.caption if c.value.startswith(icon)]


def trace_names(spec: dict) -> list[str]:
    return [t.get("name") for t in spec["data"] if t.get("name") and "CI" not in t.get("name")]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_alt_text_on_every_chart(store: Path, page: str) -> None:
    at = open_page(page)
    charts = at.get("plotly_chart")
    if page in CHART_PAGES:
        assert charts, f"{page}: no chart"
    for chart in charts:
        assert len(chart.proto.alt) > 40, f"{page}: chart without a real alt text: {chart.proto.alt!r}"
    assert any("synthetic" in w.value.lower() for w in at.warning), "the synthetic banner is missing"


def test_overview_charts_hold_sources_and_sentiment_series(store: Path) -> None:
    at = open_page("overview")
    volume, sentiment = specs(at)[:2]
    assert {"weibo", "bilibili", "rss"} <= set(trace_names(volume))
    assert [t["type"] for t in volume["data"]] == ["bar"] * len(volume["data"])
    assert trace_names(sentiment) == ["negative", "neutral", "positive"]
    bands = [t for t in sentiment["data"] if t.get("fill") == "toself"]
    assert len(bands) == 3, "each sentiment share needs its 95% band"
    # events are dotted lines and a detected peak is labelled (yellow) on the trigger day
    assert any(s.get("line", {}).get("dash") == "dot" for s in volume["layout"]["shapes"])
    peaks = [a for a in volume["layout"]["annotations"] if a.get("bgcolor", "").startswith("rgba(240,228,66")]
    assert peaks and peaks[0]["x"].startswith("2026-04-2")
    alt = at.get("plotly_chart")[1].proto.alt
    assert "macro-F1" in alt or "not measured on in-domain text" in alt
    assert any("Methods" in link.proto.label for link in at.get("page_link"))


def test_query_params_restore_the_overview_view(store: Path) -> None:
    at = open_page("overview", {"tracker": "tilly-norwood", "from": "2025-09-28", "to": "2025-10-05",
                                "source": "bluesky"})
    volume = specs(at)[0]
    assert trace_names(volume) == ["bluesky"]
    days = volume["data"][0]["x"]
    assert days[0].startswith("2025-09-28") and days[-1].startswith("2025-10-05")
    assert "Tilly" in volume["layout"]["title"]["text"]
    assert at.sidebar.selectbox(key="tracker").value == "tilly-norwood"


def test_filter_change_updates_the_url_and_charts(store: Path) -> None:
    at = open_page("overview")
    at.sidebar.multiselect(key="sources").set_value(["weibo"]).run()
    assert at.query_params["source"] in ("weibo", ["weibo"])
    assert trace_names(specs(at)[0]) == ["weibo"]


def counted(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[tuple]:
    """Record each call of `module.name` (its arguments), calling through."""
    calls: list[tuple] = []
    original = getattr(module, name)

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


def test_a_filter_change_lists_the_model_cards_once(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cards' signature (a stat of every card file) is read once per run, not once per chart, badge and banner."""
    from analysis.nlp import model_info

    at = open_page("overview")
    listed = counted(monkeypatch, model_info, "card_files")
    at.sidebar.multiselect(key="sources").set_value(["weibo"]).run()
    assert not at.exception and trace_names(specs(at)[0]) == ["weibo"]
    assert len(listed) == 1


def test_a_filter_change_asks_the_catalog_nothing(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The snapshot's tables are listed once when it opens: a new view's loaders ask no catalog query (they checked
    for the facts and scores tables a dozen times per view, each a query of milliseconds)."""
    from analysis.core import tables

    at = open_page("overview")
    asked = counted(monkeypatch, tables, "_in_catalog")
    at.sidebar.multiselect(key="sources").set_value(["bilibili"]).run()
    assert not at.exception and trace_names(specs(at)[0]) == ["bilibili"]
    assert [name for _, name in asked] == []


def test_a_filter_changes_cache_keys_copy_no_view(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A view's cache key is its repr (data.KEYS): Streamlit hashed a Filters or View by deep-copying it into a dict
    (~0.5 ms each, ~30 keys a rerun)."""
    import dataclasses

    from analysis.core.filters import Filters
    from dashboard.charts.registry import View

    at = open_page("overview")
    copied = counted(monkeypatch, dataclasses, "asdict")
    at.sidebar.multiselect(key="sources").set_value(["bilibili", "rss"]).run()
    assert not at.exception and trace_names(specs(at)[0]) == ["bilibili", "rss"]
    assert [type(args[0]).__name__ for args in copied if isinstance(args[0], Filters | View)] == []


def test_a_rerun_copies_no_tracker_and_walks_no_cards_signature(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The trackers are collectors.trackers' own (a Streamlit data cache unpickled a copy per caller), and the model
    cards' signature keys a cached loader by its repr, not item by item (~0.3 ms a key, a dozen a rerun)."""
    from streamlit.runtime.caching import hashing

    from collectors.trackers import load_trackers
    from dashboard import data

    assert data.trackers()[0] is load_trackers()[0]
    at = open_page("overview")
    hashed = counted(monkeypatch, hashing._CacheFuncHasher, "_to_bytes")
    at.sidebar.multiselect(key="sources").set_value(["rss", "weibo"]).run()
    assert not at.exception and trace_names(specs(at)[0]) == ["rss", "weibo"]
    walked = [args[1] for args in hashed if isinstance(args[1], tuple) and len(args[1]) == 3
              and isinstance(args[1][0], str) and args[1][0].endswith("card.json")]
    assert walked == []


def test_a_filter_change_sums_the_views_authors_once(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The view's share negative clustered by author is summed once, for the KPIs and the sentiment chart's text alike
    (from two threads at once), and both state the same interval."""
    from analysis.stats import clustered

    at = open_page("overview")
    summed = []
    original = clustered.facts_sums_sql

    def spy(*args, **kwargs):
        if kwargs.get("labels"):  # author_sums' query (the daily series' asks for every label)
            summed.append(args[1:3])
        return original(*args, **kwargs)

    monkeypatch.setattr(clustered, "facts_sums_sql", spy)
    monkeypatch.setattr(clustered, "_SUMS", type(clustered._SUMS)())  # none kept by another test's view
    at.sidebar.multiselect(key="sources").set_value(["weibo", "rss"]).run()  # a view no other test opens
    assert not at.exception and trace_names(specs(at)[0]) == ["rss", "weibo"]
    assert len(summed) == len(set(summed)) == 1, summed
    said = next(c.value for c in at.caption if "scored" in c.value and "%" in c.value)  # the KPI's interval
    interval = said.split(" · ")[0]
    assert interval in at.get("plotly_chart")[1].proto.alt, (interval, at.get("plotly_chart")[1].proto.alt)


def test_a_new_views_kpis_load_beside_its_charts(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The synthetic banner (drawn before the page) reads the synthetic share alone: the view's KPIs (authors, scored
    share, each a query over the facts) are computed by the page's prefetch, beside its charts, not alone first."""
    import threading

    from analysis.stats import aggregate

    at = open_page("overview")
    threads: list[str] = []
    original = aggregate.kpis
    monkeypatch.setattr(aggregate, "kpis", lambda *a, **k: threads.append(threading.current_thread().name) or original(*a, **k))
    at.sidebar.multiselect(key="sources").set_value(["rss"]).run()
    assert not at.exception and any("synthetic" in w.value.lower() for w in at.warning)
    assert threads and all(name.startswith("ThreadPoolExecutor") for name in threads), threads


def test_side_by_side_trackers(store: Path) -> None:
    at = open_page("overview", {"with": "tilly-norwood"})
    titles = [s["layout"]["title"]["text"] for s in specs(at)]
    assert len(titles) == 4
    assert sum("Tilly" in t for t in titles) == 2


def test_voices_stance_param_restores_filter(store: Path) -> None:
    at = open_page("voices", {"stance": "deny-involvement"})
    statements = specs(at)[0]
    assert trace_names(statements) == ["deny-involvement"]
    claims = next(s for s in specs(at) if "Claim ledger" in s["layout"]["title"]["text"])
    assert "joined" in trace_names(claims), "the claim ledger must show each outlet's version"


def test_timeline_effects_are_labelled_association(store: Path) -> None:
    at = open_page("timeline", {"window": "5"})
    effects = specs(at)[0]
    assert "association, not causation" in effects["layout"]["title"]["text"]
    assert at.get("plotly_chart")[0].proto.alt.startswith("Forest plot")
    assert at.query_params.get("window") in ("5", ["5"])
    # it compares each event's own days whatever the sidebar's dates (as its credit line says): the page says so too
    caption = next(c.value for c in at.caption if "Welch t interval" in c.value)
    assert "each event's own 5 days before it" in caption and "not the sidebar's dates" in caption


def test_industry_shows_event_study_with_prices(store: Path) -> None:
    at = open_page("industry")
    market = specs(at)[0]
    assert "IQ vs ^SPX" in market["layout"]["title"]["text"]
    assert len(market["data"]) >= 1


def test_industry_shows_news_coverage_by_outlet(store: Path) -> None:
    from dashboard.charts.industry import TOP_OUTLETS

    at = open_page("industry")
    outlets = next(s for s in specs(at) if "News coverage by outlet" in s["layout"]["title"]["text"])
    names = trace_names(outlets)
    assert 1 < len(names) <= TOP_OUTLETS + 1 and any("(demo)" in n or "（演示）" in n for n in names)
    alt = [c.proto.alt for c in at.get("plotly_chart") if "news articles by outlet" in c.proto.alt]
    assert alt and "articles" in alt[0]


def test_industry_without_prices_explains_how_to_get_them(store: Path) -> None:
    at = open_page("industry", {"tracker": "tilly-norwood"})
    text = " ".join(m.value for m in at.markdown)
    assert "actorwatch collect market --tracker tilly-norwood" in text and "actorwatch import prices.csv" in text


def test_explore_is_pseudonymised_and_shows_hostile_text_as_text(store: Path) -> None:
    at = open_page("explore", {"q": "XSS probe"})
    table = at.dataframe[0].value
    assert len(table) == 1
    assert table["text"].iloc[0] == HOSTILE_TEXT  # kept verbatim as data, drawn by the grid as plain text
    assert re.fullmatch(r"u_[0-9a-f]{12}", table["author_name"].iloc[0])
    assert at.text_input(key="explore-q").value == "XSS probe"
    assert table["url"].iloc[0] is None, "a javascript: link must not become clickable"
    html_elements = [e for e in at.get("markdown") if "<script" in getattr(e, "value", "")]
    assert not html_elements


def test_tables_of_post_text_offer_no_unescaped_toolbar_download_but_keep_ours(store: Path) -> None:
    """Streamlit's own dataframe toolbar downloads (and copies) cells unescaped, so a post starting with = + - @
    became a spreadsheet formula; it has no per-table switch, so the app turns its data export off for every table.
    The text stays on screen, and Explore's own download (escaped, collectors.spreadsheet) stays."""
    from streamlit import config

    config.set_option("client.disableDataExport", False)
    at = open_page("explore", {"q": "XSS probe"})
    assert config.get_option("client.disableDataExport") is True
    assert at.dataframe[0].value["text"].iloc[0] == HOSTILE_TEXT
    assert [b.proto.label for b in at.get("download_button")] == ["Download this page as CSV"]


def test_methods_shows_policy_and_versions(store: Path) -> None:
    at = open_page("methods")
    text = " ".join(m.value for m in at.markdown)
    assert "pseudonymised with a keyed SHA-256" in text
    assert VERSION in " ".join(str(m.value) for m in at.metric) + " ".join(str(m.help) for m in at.metric)


def test_embed_param_shows_only_the_requested_chart(store: Path) -> None:
    at = open_page("overview", {"chart": "overview-sentiment"})
    assert len(at.get("plotly_chart")) == 1
    assert trace_names(specs(at)[0]) == ["negative", "neutral", "positive"]


# ---------------------------------------------------------------- registry and embed kit
@pytest.fixture
def con(store: Path):
    with Store(store).connect(public_names=public_names()) as connection:
        yield connection


def view_for(tracker: str = "iqiyi-nadou", **options: str):
    from analysis.core.filters import Filters
    from collectors.trackers import get_tracker
    from dashboard.charts.registry import View

    return View(Filters.for_tracker(get_tracker(tracker)), VERSION).with_options(**options)


def test_every_registered_chart_has_data_driven_alt_text(con) -> None:
    from dashboard.charts import registry as chart_registry
    from dashboard.model_info import model_summary

    model = model_summary(con)
    assert model["version"] == VERSION
    for name in chart_registry.all_charts():
        package = chart_registry.build(name, con, view_for(), model)
        assert len(package.alt) > 40, name
        assert package.fig.layout.title.text, name
        if chart_registry.get(name).sentiment:
            assert "Sentiment model" in package.notes
    # the palette is Okabe-Ito's hues (colour-blind safe) at 3:1 contrast (tests/test_palette.py measures it)
    from dashboard.charts.style import PALETTE

    assert PALETTE[:3] == ["#0069A6", "#C28600", "#009E73"]


def test_standalone_html_is_credited_traceable_and_inert(con) -> None:
    from dashboard.charts import registry as chart_registry
    from dashboard.charts.embed import ChartPackage, iframe_snippet, snapshot_id, standalone_html
    from dashboard.model_info import model_summary

    package = chart_registry.build("overview-volume", con, view_for(), model_summary(con))
    page = standalone_html(package, base_url="https://news.example")
    assert package.snapshot_id in page and "Source: actorwatch store" in page
    assert 'href="data:text/csv;charset=utf-8;base64,' in page and ">data</a>" in page
    assert 'integrity="sha256-' in page, "CDN plotly.js must carry an SRI hash"
    assert "https://news.example/?" in page
    hostile = ChartPackage(name="x", title="<script>alert(1)</script>", fig=package.fig,
                           data=pd.DataFrame({"text": [HOSTILE_TEXT]}), alt='<img src=x onerror="alert(1)">')
    body = standalone_html(hostile)
    assert "<script>alert(1)" not in body and "<img src=x" not in body
    snippet = iframe_snippet(package, base_url="https://news.example")
    assert "embed=true" in snippet and "chart=overview-volume" in snippet and 'title="' in snippet
    changed = snapshot_id(package.name, package.params, package.data.assign(records=package.data["records"] + 1))
    assert snapshot_id(package.name, package.params, package.data) == package.snapshot_id != changed


def test_png_export_uses_system_chromium(con, chromium: str) -> None:
    from dashboard.charts.embed import png_bytes
    from dashboard.charts.overview import volume_chart

    fig = volume_chart(pd.DataFrame({"day": [date(2026, 4, 20)], "source": ["weibo"], "records": [3]}), [],
                       "爱奇艺 AI艺人库 — 中文标题")
    assert png_bytes(fig, width=400, height=300, scale=1).startswith(b"\x89PNG")


def test_png_without_chromium_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from analysis.reports import png

    monkeypatch.setattr(png, "chromium_path", lambda: None)
    with pytest.raises(png.PngUnavailable, match="apt-get install chromium"):
        png.png_bytes(png.go.Figure())


def test_chart_command_lists_and_writes(store: Path, tmp_path: Path) -> None:
    from dashboard.charts import registry as chart_registry
    from dashboard.cli import cli

    runner = CliRunner()
    listed = runner.invoke(cli, ["chart", "--list"])
    assert listed.exit_code == 0
    assert all(name in listed.output for name in chart_registry.all_charts())
    out = runner.invoke(cli, ["chart", "overview-sentiment", "--tracker", "iqiyi-nadou", "--format", "html,csv,json",
                              "--out", str(tmp_path)])
    assert out.exit_code == 0, out.output
    files = sorted(p.suffix for p in tmp_path.iterdir())
    assert files == [".csv", ".html", ".json"]
    sidecar = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert sidecar["params"]["tracker"] == ["iqiyi-nadou"] and sidecar["snapshot_id"].startswith("aw-")
    # the Embed panel's iframe snippet, scriptable too (README: "The same is scriptable"): the live chart, embed mode
    assert sidecar["iframe"].startswith("<iframe ") and "embed=true" in sidecar["iframe"]
    assert "chart=overview-sentiment" in sidecar["iframe"]
    bad = runner.invoke(cli, ["chart", "no-such-chart", "--tracker", "iqiyi-nadou"])
    assert bad.exit_code != 0 and "unknown chart" in bad.output
    backwards = runner.invoke(cli, ["chart", "overview-sentiment", "--tracker", "iqiyi-nadou", "--from", "2026-05-01",
                                    "--to", "2026-04-01", "--out", str(tmp_path / "none")])
    assert backwards.exit_code != 0 and "is after --to" in backwards.output and not (tmp_path / "none").exists()


def test_window_dates_roundtrip_in_deep_link(store: Path) -> None:
    from dashboard.charts.embed import deep_link

    link = deep_link("overview", view_for().params(), "http://h")
    start = date(2026, 4, 20) - timedelta(days=10)
    assert link == f"http://h/?tracker=iqiyi-nadou&from={start}&to={date(2026, 5, 25)}"


def test_charts_quote_the_held_out_macro_f1() -> None:
    from dashboard.model_info import headline

    measured = [{"file": "train.csv", "role": "training file: out-of-fold", "n": 9000, "macro_f1": 0.9},
                {"file": "dev.csv", "role": "dev", "n": 500, "macro_f1": 0.81},
                {"file": "weibo_other.csv", "role": "held out: never used for training", "n": 1200, "macro_f1": 0.66},
                {"file": "x.csv", "role": "test", "n": 10, "macro_f1": None}]
    assert headline(measured)["file"] == "weibo_other.csv"
    assert headline(measured[:2])["file"] == "dev.csv", "cross-validated training figures are quoted last"
    assert headline([]) is None


def test_peak_label_shows_the_hostile_top_record_escaped(con) -> None:
    from dashboard.charts import registry as chart_registry
    from dashboard.model_info import model_summary

    fig = chart_registry.build("overview-volume", con, view_for(), model_summary(con)).fig
    hovers = [a.hovertext for a in fig.layout.annotations if a.hovertext and "Most-shared" in a.hovertext]
    assert any("&lt;script&gt;" in h for h in hovers), (hovers, [a.x for a in fig.layout.annotations])
    assert not any("<script" in h or "<img" in h for h in hovers)


@pytest.mark.parametrize("page", ["overview", "timeline", "methods", "industry"])
def test_pages_without_scores_or_prices_say_so(isolated_data_dir: Path, page: str) -> None:
    from collectors import demo
    from collectors.store import RECORDS
    from collectors.trackers import load_trackers

    Store(isolated_data_dir).add_table(RECORDS, demo.generate(load_trackers(), records=600))
    at = open_page(page)
    for chart in at.get("plotly_chart"):
        assert chart.proto.alt
    if page == "overview":
        assert "no scored records" in at.get("plotly_chart")[1].proto.alt
    if page == "methods":
        assert any("no sentiment scores" in w.value or "No sentiment" in w.value for w in at.warning)


def test_compare_and_topics_params_restore_their_views(store: Path) -> None:
    at = open_page("compare", {"with": "tilly-norwood", "normalise": "per_tracker", "types": "platform,studio"})
    assert at.radio(key="compare-normalise").value == "per_tracker"
    assert at.multiselect(key="compare-types").value == ["platform", "studio"]
    aligned = specs(at)[0]
    assert {"iqiyi-nadou", "tilly-norwood"} <= set(trace_names(aligned))
    topics = open_page("topics", {"freq": "W"})
    keywords = next(s for s in specs(topics) if "keywords" in s["layout"]["title"]["text"])
    weeks = keywords["data"][0]["x"]
    assert all(pd.Timestamp(x).day_of_week == 0 for x in weeks), "weekly periods start on Monday"


@pytest.mark.parametrize(("params", "expected"), [
    ({"from": "2000-01-01"}, (date(2026, 4, 10), date(2026, 5, 25))),  # before the date picker's range
    ({"to": "2030-01-01"}, (date(2026, 4, 10), date(2026, 5, 25))),  # after it
    ({"from": "2026-05-10", "to": "2026-04-20"}, (date(2026, 4, 10), date(2026, 5, 25))),  # reversed
    ({"from": "April", "to": "2026-05-01"}, (date(2026, 4, 10), date(2026, 5, 1))),  # not a date; `to` kept
    ({"tracker": "no-such-tracker"}, (date(2026, 4, 10), date(2026, 5, 25))),
])
def test_a_bad_link_falls_back_with_a_message(isolated_data_dir: Path, params: dict, expected: tuple) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]  # a date outside the picker's bounds crashed the app
    assert at.sidebar.date_input(key="dates").value == expected
    assert any("link" in w.value for w in at.sidebar.warning), "the reader is told the link was not followed"
    embed = AppTest.from_file(APP, default_timeout=120)  # an embed of the same link opens the same dates
    for key, value in {**params, "chart": "overview-volume"}.items():
        embed.query_params[key] = value
    embed.run()
    assert not embed.exception
    assert (embed.session_state["filters"].start, embed.session_state["filters"].end) == expected


@pytest.mark.parametrize("params", [{"from": "2000-01-01"}, {"from": "2026-05-10", "to": "2026-04-20"},
                                    {"tracker": "no-such-tracker"}])
def test_an_embed_of_a_bad_link_says_it_shows_another_view(store: Path, params: dict) -> None:
    """An embed has no sidebar, so a link it could not follow (a removed tracker, dates out of range) silently showed
    another tracker's or another range's chart in the reader's article; it now says so above the chart."""
    at = open_page("overview", {**params, "chart": "overview-volume"})
    assert len(at.get("plotly_chart")) == 1
    notes = [w.value for w in at.warning if "link" in w.value]
    assert notes and any(word in notes[0] for word in ("tracker", "`from`")), notes


def test_link_sources_and_languages_are_kept_or_said_dropped(store: Path) -> None:
    """`source=weibo,bilibili` (comma-joined, as `with` and the pages' lists accept) and a source the store does not
    hold were dropped without a word, so the view showed every source; the first is now followed, the second said."""
    at = open_page("overview", {"source": "weibo,bilibili", "lang": "zh"})
    assert at.sidebar.multiselect(key="sources").value == ["weibo", "bilibili"]
    assert sorted(trace_names(specs(at)[0])) == ["bilibili", "weibo"]
    at = open_page("overview", {"source": ["weibo", "[x](https://e.example)"]})
    assert at.sidebar.multiselect(key="sources").value == ["weibo"]
    notes = [w.value for w in at.sidebar.warning if "source" in w.value]
    assert notes and r"\[x\](https://e.example)" in notes[0], notes
    embed = open_page("overview", {"source": "weibo,bilibili", "chart": "overview-volume"})
    assert sorted(trace_names(specs(embed)[0])) == ["bilibili", "weibo"]


def test_link_comparison_trackers_are_kept_or_said_dropped(store: Path) -> None:
    """`with=` naming a tracker this dashboard has not (a typo, a removed case) was dropped without a word, as
    `source` once was: a shared comparison link opened with no comparison and no reason. It is said now."""
    at = open_page("overview", {"with": ["tilly-norwood", "no-such-case"]})
    assert at.sidebar.multiselect(key="also").value == ["tilly-norwood"]
    notes = [w.value for w in at.sidebar.warning if "with" in w.value]
    assert notes and "no-such-case" in notes[0] and "tilly-norwood" in notes[0], notes
    embed = open_page("overview", {"with": "*no-such*", "chart": "overview-volume"})
    notes = [w.value for w in embed.warning if "with" in w.value]
    assert notes and r"\*no-such\*" in notes[0], notes  # the link's free text, escaped
    assert not [w for w in open_page("overview", {"tracker": "tilly-norwood", "with": "tilly-norwood"}).sidebar.warning
                if "with" in w.value], "the tracker itself is not a comparison to complain about"


def test_a_page_option_the_link_gets_wrong_is_said(store: Path) -> None:
    """A page's own option the page does not offer (`stance=opose`, `freq=Q`) fell back to the default without a
    word, unlike the sidebar's filters: a shared link with a typo showed every stance as if that were the link's."""
    at = open_page("voices", {"stance": "opose,support"})
    assert at.multiselect(key="voices-stance").value == ["support"]
    notes = [w.value for w in at.sidebar.warning if "stance" in w.value]
    assert notes and "opose" in notes[0] and "support" in notes[0], notes
    at = open_page("topics", {"freq": "*Q*"})
    notes = [w.value for w in at.sidebar.warning if "freq" in w.value]
    assert notes and r"\*Q\*" in notes[0] and "D" in notes[0], notes  # escaped: the link's free text
    embed = open_page("topics", {"freq": "Q", "chart": "topics-frames"})
    assert [w.value for w in embed.warning if "freq" in w.value], "an embed says it above its chart"
    assert not [w for w in open_page("voices", {"stance": "support"}).sidebar.warning if "stance" in w.value]


@pytest.mark.parametrize("page", PAGES)
def test_pages_open_on_an_empty_store(isolated_data_dir: Path, page: str) -> None:
    at = open_page(page)  # a fresh install before `actorwatch demo` or any collection
    assert not any("synthetic" in w.value.lower() for w in at.warning)


def test_dashboard_snapshot_gives_the_same_numbers_as_the_store(store: Path) -> None:
    from analysis.stats import aggregate, effects, timeseries
    from analysis.stats.facts import has_facts
    from dashboard.data import build_snapshot

    f = view_for().filters
    narrow = type(f)(f.tracker, date(2026, 4, 20), date(2026, 4, 22), ("weibo",))
    articles = type(f)(f.tracker, f.start, f.end, (), ("en", "zh"), ("article", "post"))
    snapshot = build_snapshot()
    assert has_facts(snapshot, scores=True)  # the figures below come from the pre-aggregated tables
    with Store(store).connect(public_names=public_names()) as reference:
        assert not has_facts(reference)
        none = type(f)(f.tracker, date(2020, 1, 1), date(2020, 1, 2))
        assert aggregate.synthetic_share(snapshot, none) == aggregate.synthetic_share(reference, none) == 0.0
        for filters in (f, narrow, articles):
            pd.testing.assert_frame_equal(timeseries.volume_series(snapshot, filters, by="lang"),
                                          timeseries.volume_series(reference, filters, by="lang"))
            pd.testing.assert_frame_equal(timeseries.sentiment_series(snapshot, filters, VERSION, by="source", freq="W"),
                                          timeseries.sentiment_series(reference, filters, VERSION, by="source", freq="W"))
            pd.testing.assert_frame_equal(aggregate.daily_volume(snapshot, filters), aggregate.daily_volume(reference, filters))
            pd.testing.assert_frame_equal(aggregate.daily_sentiment(snapshot, filters, VERSION),
                                          aggregate.daily_sentiment(reference, filters, VERSION))
            pd.testing.assert_frame_equal(timeseries.volume_series(snapshot, filters, by="source", freq="W"),
                                          timeseries.volume_series(reference, filters, by="source", freq="W"))
            a, b = aggregate.kpis(snapshot, filters, VERSION), aggregate.kpis(reference, filters, VERSION)
            keys = ("records", "authors", "synthetic_share", "share_negative", "share_negative_ci", "scored")
            assert {k: a[k] for k in keys} == {k: b[k] for k in keys}
            assert aggregate.synthetic_share(snapshot, filters) == aggregate.synthetic_share(reference, filters) == \
                a["synthetic_share"]
            # the snapshot's times are naive UTC (see build_snapshot)
            assert (a["first"], a["last"]) == (b["first"].replace(tzinfo=None), b["last"].replace(tzinfo=None))
            pd.testing.assert_frame_equal(effects.event_effects(snapshot, filters, get_tracker(f.tracker), VERSION),
                                          effects.event_effects(reference, filters, get_tracker(f.tracker), VERSION))


def test_claim_without_reports_still_listed() -> None:
    from dashboard.charts import voices as charts
    from dashboard.charts.ledgers import claims_frame

    class FakeView:  # only `.tracker` is read
        tracker = view_for().tracker.model_copy(update={"claims": [
            view_for().tracker.claims[0].model_copy(update={"reports": []})]})

    frame = claims_frame(FakeView())  # type: ignore[arg-type]
    assert len(frame) == 1 and frame["version"].isna().all()
    assert "no outlet report recorded" in charts.claims_alt(frame, "X")
    assert charts.claims_chart(frame, "t").layout.annotations  # an explicit empty-state message


@pytest.mark.parametrize("suffix", ["", "+vader-3.3.2-binomial3"])
def test_shipped_model_card_figures_reach_charts_and_methods(isolated_data_dir: Path, suffix: str) -> None:
    """Also for enrich's composite version (Chinese model + VADER for English posts)."""
    from analysis.core.scores import SCORES, SCORES_SPEC
    from analysis.nlp.model_info import card_files, card_task, read_card
    from collectors import demo
    from collectors.store import RECORDS
    from collectors.trackers import load_trackers
    from tests.dashboard_store import oracle_scores

    cards = [c for path in card_files() if (c := read_card(path)) and card_task(c, path) == "sentiment"]
    if not cards:
        pytest.skip("no shipped sentiment model card in data/models (run `actorwatch train`)")
    card = cards[0]
    table = demo.generate(load_trackers(), records=800)
    scores = oracle_scores(table)
    scores = scores.set_column(2, "model", pa.array([card["name"]] * len(scores)))
    scores = scores.set_column(3, "model_version", pa.array([card["version"] + suffix] * len(scores)))
    store = Store(isolated_data_dir)
    store.add_table(RECORDS, table)
    store.add_table(SCORES, scores, SCORES_SPEC)
    head = card.get("headline")  # the in-domain figure; older cards: their own (general-Weibo) figure
    figure = f"{head['value'] if head else card['macro_f1']:.2f}"
    on = head["description"] if head else card["macro_f1_source"]
    at = open_page("overview")
    assert on in at.get("plotly_chart")[1].proto.alt and f"macro-F1 {figure}" in at.get("plotly_chart")[1].proto.alt
    assert any(f"macro-F1 {figure}" in badge for badge in model_badges(at))
    methods = open_page("methods")
    assert any(m.value == figure for m in methods.metric)
    assert methods.dataframe, "the baseline comparison table is shown"
    if suffix:
        assert "English posts are scored by vader" in " ".join(m.value for m in methods.markdown)


def test_overview_weekly_sentiment_param(store: Path) -> None:
    at = open_page("overview", {"freq": "W"})
    sentiment = specs(at)[1]
    assert sentiment["layout"]["title"]["text"].startswith("Weekly sentiment")
    weeks = [x for t in sentiment["data"] if t.get("name") == "negative" for x in t["x"]]
    assert weeks and all(pd.Timestamp(x).day_of_week == 0 for x in weeks)
    assert "weekly share" in at.get("plotly_chart")[1].proto.alt


def test_png_footer_credits_source_and_flags_synthetic_data() -> None:
    import plotly.graph_objects as go

    from dashboard.charts.embed import ChartPackage, credited_figure

    package = ChartPackage(name="x", title="t", fig=go.Figure(), data=pd.DataFrame({"a": [1]}), alt="alt",
                           source="actorwatch store; 100% synthetic demo data", notes="<b>model</b> note")
    footer = credited_figure(package).layout.annotations[-1].text
    assert "synthetic demo data" in footer and package.snapshot_id in footer and "actorwatch" in footer
    assert "<b>" not in footer and "&lt;b&gt;" in footer


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_on_the_third_tracker(store: Path, page: str) -> None:
    at = open_page(page, {"tracker": "yaoke-ai-actors"})
    picker = at.sidebar.selectbox(key="tracker")
    assert picker.value == "yaoke-ai-actors"
    assert "Yaoke's AI actors and China's 2026 AI-actor debate" in picker.options  # shown by label
    if page in CHART_PAGES:
        assert at.get("plotly_chart"), f"{page}: no chart for the third tracker"
    if page == "industry":  # its industry-body statement is curated, so the panel is not empty
        assert any("Actors Committee" in c.proto.spec for c in at.get("plotly_chart"))


def test_compare_raw_records_draws_the_counts(store: Path) -> None:
    """"Normalise: raw records" has no shares (NaN): the lines plot the records themselves, not nothing (or a crash)."""
    at = open_page("compare", {"with": "tilly-norwood", "normalise": "none"})
    aligned = specs(at)[0]
    ys = [t["y"] for t in aligned["data"] if t.get("name") == "iqiyi-nadou"]
    ys = [np.frombuffer(base64.b64decode(y["bdata"]), dtype=np.dtype(y["dtype"])) if isinstance(y, dict)  # typed array
          else np.array(y, dtype=float) for y in ys]
    assert ys and sum(np.nansum(y) for y in ys) > 1, "the counts are drawn"
    assert "%" not in aligned["layout"]["yaxis"].get("tickformat", "")
    assert "records" in at.get("plotly_chart")[0].proto.alt


def test_compare_caption_says_the_normalisation_the_chart_draws(store: Path) -> None:
    """The caption said "normalised within its case and source" whatever was chosen, also over raw records."""
    from dashboard.charts.compare import normalise_caption

    def said(at: AppTest) -> str:
        return " ".join(m.value for m in at.markdown)

    at = open_page("compare", {"with": "tilly-norwood", "normalise": "none"})
    assert "normalised within its case and source" not in said(at)
    assert normalise_caption("none") in said(at) and "raw count of records" in said(at)
    at.radio(key="compare-normalise").set_value("per_tracker").run()
    assert normalise_caption("per_tracker") in said(at) and normalise_caption("none") not in said(at)
    assert "of the case's records" in at.get("plotly_chart")[0].proto.alt  # the chart drew the same choice
    at.radio(key="compare-normalise").set_value("per_source").run()
    assert "normalised within its case and source" in said(at)
    assert "of its records on that source" in at.get("plotly_chart")[0].proto.alt


def test_compare_shows_every_case_by_default(store: Path) -> None:
    aligned = specs(open_page("compare"))[0]
    assert {"iqiyi-nadou", "tilly-norwood", "yaoke-ai-actors"} <= set(trace_names(aligned))


# ---------------------------------------------------------------- deletion and visibility tracking
def add_rechecks(store: Store, statuses: list[str], day: date = date(2026, 4, 21)) -> list[str]:
    """Visibility checks (as `actorwatch recheck` writes them) for the first Weibo posts of `day`; returns their ids."""
    from collectors.ingest import ingest
    from collectors.visibility import VisibilityCheck

    with store.connect() as con:
        ids = [r[0] for r in con.execute(
            "SELECT id FROM records WHERE source = 'weibo' AND kind = 'post' AND CAST(published_at AS DATE) = ? "
            "AND list_contains(trackers, 'iqiyi-nadou') ORDER BY id LIMIT ?", [day, len(statuses)]).fetchall()]
    checked = datetime(2026, 5, 2, 6, tzinfo=UTC)
    ingest([VisibilityCheck(source="weibo", id=i, checked_at=checked, status=s) for i, s in zip(ids, statuses, strict=True)],
           store)
    return ids


def test_timeline_without_rechecks_says_how_to_get_them(store: Path) -> None:
    at = open_page("timeline")
    assert any("actorwatch recheck --tracker iqiyi-nadou" in i.value for i in at.info)
    assert not any("disappeared" in json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart"))


def test_rechecked_posts_show_on_timeline_and_explore(isolated_data_dir: Path) -> None:
    from collectors import demo
    from collectors.store import RECORDS
    from collectors.trackers import load_trackers

    store = Store(isolated_data_dir)
    store.add_table(RECORDS, demo.generate(load_trackers(), records=1500))
    statuses = ["visible", "visible", "deleted_by_author", "removed", "unknown"]
    ids = add_rechecks(store, statuses)
    at = open_page("timeline")
    chart = next(c for c in at.get("plotly_chart") if "disappeared" in json.loads(c.proto.spec)["layout"]["title"]["text"])
    assert "2 of 4 rechecked posts (1 deleted by author, 1 removed)" in chart.proto.alt
    line = next(t for t in json.loads(chart.proto.spec)["data"] if t.get("name") == "disappeared")
    ys = line["y"]
    if isinstance(ys, dict):  # plotly's typed-array encoding
        ys = np.frombuffer(base64.b64decode(ys["bdata"]), dtype=np.dtype(ys["dtype"])).tolist()
    shares = {x[:10]: y for x, y in zip(line["x"], ys, strict=True) if y is not None and not np.isnan(y)}
    assert shares == {"2026-04-21": 0.5}, "by day of posting; the unknown check is not in the share"

    explore = open_page("explore", {"vis": "deleted_by_author"})
    table = explore.dataframe[0].value
    assert list(table["id"]) == [ids[2]] and list(table["visibility"]) == ["deleted_by_author"]
    assert pd.Timestamp(table["checked"].iloc[0]).date() == date(2026, 5, 2)
    assert any("1 deleted by author" in m.value for m in explore.markdown)
    everything = open_page("explore").dataframe[0].value
    assert {"visibility", "checked"} <= set(everything.columns)


@pytest.mark.parametrize("order", ["newest", "oldest", "most liked", "most shared"])
def test_explore_page_bound_keeps_every_row_of_the_page(con, order: str) -> None:
    """Without a search the page is first bounded on its sort key over `records`: the rows must be the ones the
    public view alone gives, ties at the bound included."""
    from dashboard.explore import COLUMNS, ORDERS, records_page

    f = view_for().filters
    where, params = f.where("r")
    total = con.execute(f"SELECT count(*) FROM records_public r WHERE {where}", params).fetchone()[0]
    for offset, limit in ((0, 50), (50, 50), (7, 3), (total - 5, 50)):
        frame, count = records_page(con, f, order=order, limit=limit, offset=offset)
        cols = ", ".join(f"r.{c}" for c in COLUMNS if c not in ("visibility", "checked", "url", "also_in"))
        expected = con.execute(f"SELECT {cols} FROM records_public r WHERE {where} ORDER BY {ORDERS[order].format(t='r.published_at')} "
                               "LIMIT ? OFFSET ?", [*params, limit, offset]).df()
        assert count == total
        assert frame["id"].tolist() == expected["id"].tolist()
        assert frame["author_name"].tolist() == expected["author_name"].tolist()


def test_warming_fills_the_caches_a_first_reader_reads(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After dashboard.warm opened a page, a new session's default view of it computes nothing again."""
    import dataclasses

    import streamlit as st

    from dashboard import warm
    from dashboard.charts import registry

    st.cache_data.clear()
    st.cache_resource.clear()
    seen: list[str] = []
    assert warm.warm_pages(["compare"], report=seen.append).keys() == {"compare"}
    assert seen and "not warmed" not in seen[0]

    def no_second_load(con, view):
        raise AssertionError("loaded again")

    for name in ("compare-aligned", "compare-share"):
        monkeypatch.setitem(registry.REGISTRY, name, dataclasses.replace(registry.get(name), load=no_second_load))
    at = open_page("compare")
    assert len(at.get("plotly_chart")) == 2
    monkeypatch.undo()
    st.cache_data.clear()
    st.cache_resource.clear()
    with pytest.raises(AssertionError, match="loaded again"):  # the same page, not warmed, loads its data
        for name in ("compare-aligned", "compare-share"):
            monkeypatch.setitem(registry.REGISTRY, name, dataclasses.replace(registry.get(name), load=no_second_load))
        open_page("compare")


@pytest.mark.parametrize("page", ["hot_search", "timeline", "overview"])
def test_warming_opens_the_page_itself(store: Path, page: str) -> None:
    """hot_search.py is served as hot-search: opened by file name before a first run, AppTest would show Overview."""
    from dashboard import warm

    titles = {"hot_search": "Hot search", "timeline": "Timeline & events", "overview": "Overview"}
    at = warm.open_page(page)
    assert not at.exception and at.title[0].value.startswith(titles[page])


def test_a_page_that_fails_to_warm_is_reported_not_fatal(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import warm

    seen: list[str] = []
    monkeypatch.setattr(warm, "open_page", lambda page: (_ for _ in ()).throw(RuntimeError("boom")))
    assert set(warm.warm_pages(["timeline", "methods"], report=seen.append)) == {"timeline", "methods"}
    assert all("not warmed: RuntimeError: boom" in line for line in seen)


@pytest.mark.parametrize("name", ["voices-statements", "industry-statements", "voices-claims"])
def test_curated_charts_credit_their_sources_not_the_store(con, name: str) -> None:
    from dashboard.charts import registry as chart_registry
    from dashboard.charts.embed import standalone_html
    from dashboard.charts.style import plain
    from dashboard.model_info import model_summary

    package = chart_registry.build(name, con, view_for(), model_summary(con))
    assert not package.data.empty
    # curated, sourced facts: not "actorwatch store … synthetic demo data" (the demo records are what is synthetic)
    assert "synthetic" not in package.source and "curated" in package.source
    assert "curated" in standalone_html(package)
    if name != "voices-claims":  # each statement's dot names its source and the source's date
        hovers = " ".join(t for trace in package.fig.data for t in trace.hovertext)
        for row in package.data.itertuples():
            assert f"{plain(row.source_name)}, {row.source_date}" in hovers and plain(row.source_url) in hovers


@pytest.mark.parametrize(("page", "chart"), [("overview", "no-such-chart"), ("voices", "overview-volume")])
def test_an_embed_of_a_chart_not_on_its_page_says_so(isolated_data_dir: Path, page: str, chart: str) -> None:
    at = open_page(page, {"chart": chart, "embed": "true"})
    assert not at.get("plotly_chart")
    assert any("not on this page" in e.value for e in at.warning), "an embed never shows a blank frame"


def test_overview_peaks_ignore_days_before_collection(data_dir, make_record) -> None:
    # iqiyi-nadou is collected from 2026-04-10; a view starting earlier zero-fills the days before, but they are not
    # a baseline of 0, so the first (ordinary) collected day is not a peak
    from analysis.core.filters import Filters
    from dashboard.charts.overview import peak_labels
    from tests.analytics_fixtures import records_per_day

    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {date(2026, 4, 10) + timedelta(days=i): 20 for i in range(3)},
                                      trackers=["iqiyi-nadou"]))
    with store.connect() as con:
        peaks = peak_labels(con, Filters("iqiyi-nadou", date(2026, 4, 1), date(2026, 4, 12)), get_tracker("iqiyi-nadou"))
    assert peaks.empty


def test_market_chart_credits_the_prices_not_the_records(con) -> None:
    # the event study is drawn from daily closes around each event, not from the view's (synthetic demo) records
    from dashboard.charts import registry as chart_registry
    from dashboard.model_info import model_summary

    package = chart_registry.build("industry-market", con, view_for(), model_summary(con))
    assert not package.data.empty
    assert "synthetic" not in package.source and "actorwatch store, all sources" not in package.source
    assert "IQ" in package.source and "^SPX" in package.source


def test_chart_command_refuses_an_option_the_chart_does_not_read(store: Path, tmp_path: Path) -> None:
    """`--option frq=W` (a typo) drew the daily chart and exit 0, the typo only in its deep link; an option the chart
    never reads is now a usage error naming the options it does read, and a real one still works."""
    from dashboard.cli import cli

    typo = CliRunner().invoke(cli, ["chart", "overview-sentiment", "--tracker", "iqiyi-nadou", "--option", "frq=W",
                                    "--format", "csv", "--out", str(tmp_path / "typo")])
    assert typo.exit_code == 2 and "no option 'frq'" in typo.output and "it reads: freq" in typo.output
    assert not (tmp_path / "typo").exists()
    weekly = CliRunner().invoke(cli, ["chart", "overview-sentiment", "--tracker", "iqiyi-nadou", "--option", "freq=W",
                                      "--format", "json", "--out", str(tmp_path / "ok")])
    assert weekly.exit_code == 0, weekly.output
    assert json.loads(next((tmp_path / "ok").glob("*.json")).read_text())["params"]["freq"] == ["W"]


@pytest.mark.parametrize(("chart", "option", "accepted"), [
    ("overview-sentiment", "freq=X", "one of D, W"),
    ("timeline-effects", "window=abc", "a whole number from 2 to 30"),
    ("compare-aligned", "normalise=raw", "one of per_source, per_tracker, none"),
    ("compare-share", "types=platform,studioz", "each one of platform"),
])
def test_chart_command_refuses_an_option_value_the_chart_cannot_use(store: Path, tmp_path: Path, chart: str,
                                                                   option: str, accepted: str) -> None:
    """`freq=X` drew the daily chart without a word and `window=abc` died in a raw int() traceback; a value the chart
    cannot use is now a usage error naming the values it accepts."""
    from dashboard.cli import cli

    bad = CliRunner().invoke(cli, ["chart", chart, "--tracker", "iqiyi-nadou", "--option", option,
                                   "--format", "csv", "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2, bad.output
    assert "is not accepted" in bad.output and accepted in bad.output
    assert not (tmp_path / "bad").exists()


def test_a_bad_option_value_on_a_page_draws_the_default(con) -> None:
    # the same value arriving from a dashboard URL (outside `actorwatch chart`) is ignored, as render.param ignores it
    from dashboard.charts import registry as chart_registry

    for name, option in (("timeline-effects", {"window": "abc"}), ("overview-sentiment", {"freq": "X"})):
        chart = chart_registry.get(name)
        bad, default = view_for(**option), view_for()
        assert chart.load(con, bad).equals(chart.load(con, default))
        assert chart.describe(chart.load(con, bad), bad, {}) == chart.describe(chart.load(con, default), default, {})


def test_volume_alt_says_the_busiest_day_and_the_peak_apart() -> None:
    """The alt text said the busiest day was 04-21 and listed the peak as 04-20 with no word on why they differ; it
    now says what a detected peak is and that the busiest day is not one, and the chart's notes say it too."""
    from datetime import date

    import pandas as pd

    from dashboard.charts import registry as chart_registry

    days = [date(2026, 4, d) for d in range(14, 23)]
    df = pd.DataFrame({"day": days, "source": "weibo", "records": [1, 1, 1, 1, 1, 1, 80, 120, 40]})
    df.attrs["peaks"] = [{"day": date(2026, 4, 20), "records": 80, "label": "a · b", "top_record": ""}]
    chart = chart_registry.get("overview-volume")
    alt = chart.describe(df, view_for(), {})
    assert "the busiest day was 2026-04-21 with 120" in alt
    assert "largest rise over its trailing baseline" in alt
    assert "the busiest day, 2026-04-21 (120 records), is not itself a detected peak): 2026-04-20 (80 records" in alt
    df.attrs["peaks"] = [{"day": date(2026, 4, 21), "records": 120, "label": "a", "top_record": ""}]
    assert "is not itself" not in chart.describe(df, view_for(), {})
    assert "not necessarily the busiest day" in chart.notes


def test_chart_command_from_after_the_default_end_is_an_error(store: Path, tmp_path: Path) -> None:
    # only --from given, after the tracker's window ends (2026-05-25): the defaulted --to is before it
    from dashboard.cli import cli

    late = CliRunner().invoke(cli, ["chart", "overview-volume", "--tracker", "iqiyi-nadou", "--from", "2026-07-01",
                                    "--out", str(tmp_path / "none")])
    assert late.exit_code != 0 and "is after" in late.output and not (tmp_path / "none").exists()


def test_coverage_chart_credit_names_the_records_it_counts(con) -> None:
    # the coverage heatmap counts every source and language, whatever the sidebar chose: its source line says so
    from analysis.core.filters import Filters
    from dashboard.charts import registry as chart_registry
    from dashboard.charts.registry import View
    from dashboard.model_info import model_summary

    view = View(Filters.for_tracker(get_tracker("iqiyi-nadou"), sources=("weibo",), langs=("en",)), VERSION)
    package = chart_registry.build("methods-coverage", con, view, model_summary(con))
    assert set(package.data["source"]) > {"weibo"}
    assert "all sources" in package.source and "languages" not in package.source
    assert "synthetic demo data" in package.source


def test_a_source_keeps_its_colour_across_columns_filters_and_pages(store: Path) -> None:
    """Bars were coloured by a source's rank among the sources in view, so side by side (iQIYI beside Tilly) weibo
    was pink in one column and light blue in the other, and a filter or the news chart recoloured it too."""
    def colours(spec: dict) -> dict[str, str]:
        return {t["name"]: t["marker"]["color"] for t in spec["data"] if t.get("type") == "bar"}

    side = specs(open_page("overview", {"with": "tilly-norwood"}))
    iqiyi, tilly = colours(side[0]), colours(side[2])
    assert {"weibo", "rss"} <= iqiyi.keys() & tilly.keys()
    assert all(iqiyi[s] == tilly[s] for s in iqiyi.keys() & tilly.keys()), (iqiyi, tilly)
    assert colours(specs(open_page("overview", {"source": "weibo"}))[0]) == {"weibo": iqiyi["weibo"]}
    news = next(s for s in specs(open_page("industry")) if "News coverage by source" in s["layout"]["title"]["text"])
    assert {s: c for s, c in colours(news).items()} == {s: iqiyi[s] for s in colours(news)}


def test_sentiment_lines_differ_by_more_than_colour(store: Path) -> None:
    """Negative, neutral and positive were three solid lines told apart by colour alone (a greyscale print or a
    colour-blind reader could not); like the stance and emotion lines they now differ by dash too."""
    sentiment = specs(open_page("overview"))[1]
    dashes = [t["line"].get("dash", "solid") for t in sentiment["data"] if t.get("name") in ("negative", "neutral", "positive")]
    assert len(dashes) == 3 and len(set(dashes)) == 3, dashes


def test_share_of_voice_with_no_type_chosen_reopens_as_drawn(store: Path) -> None:
    """With every entity type cleared the chart drew all six types, but the link left `types` out, so the shared URL
    (and its embed) reopened with the default three: the link now names the types drawn."""
    def entities(at: AppTest) -> list[str]:
        return sorted(trace_names(next(s for s in specs(at) if "Share of voice" in s["layout"]["title"]["text"])))

    at = open_page("compare")
    at.multiselect(key="compare-types").set_value([]).run()
    drawn = entities(at)
    params = dict(at.query_params)
    assert entities(open_page("compare", params)) == drawn
    params["chart"] = "compare-share"
    assert entities(open_page("compare", params)) == drawn


def test_a_view_without_records_says_so_rather_than_to_run_enrich(store: Path) -> None:
    """Dates with no records gave blank Overview axes without a word, and the Timeline told the reader to run
    `actorwatch enrich` on a store whose records are scored; each chart now says the view has no records."""
    def messages(spec: dict) -> list[str]:
        return [a["text"] for a in spec["layout"].get("annotations", []) if a.get("xref") == "paper" and a.get("x") == 0.5]

    dates = {"from": "2025-06-01", "to": "2025-06-10"}
    volume, sentiment = specs(open_page("overview", dates))[:2]
    negative = next(s for s in specs(open_page("timeline", dates)) if "Negative share" in s["layout"]["title"]["text"])
    for spec in (volume, sentiment, negative):
        said = messages(spec)
        assert said and "selected range" in said[0] and "enrich" not in said[0], (spec["layout"]["title"], said)


def test_explore_download_is_named_after_its_view() -> None:
    """Every Explore CSV was saved as actorwatch-explore-page.csv, whatever the tracker, filters or page, so a
    second download overwrote or shadowed the first; its name now carries tracker, dates, page and the view's
    snapshot id, as chart downloads do (dashboard.charts.embed.snapshot_id)."""
    from analysis.core.filters import Filters
    from dashboard.explore import page_file_name

    frame = pd.DataFrame({"id": ["a", "b"], "text": ["一", "two"]})
    f = Filters(tracker="iqiyi-nadou", start=date(2026, 4, 1), end=date(2026, 4, 30))
    name = page_file_name(f, {"q": "", "order": ""}, 1, frame)
    assert re.fullmatch(r"actorwatch-explore-iqiyi-nadou-2026-04-01-to-2026-04-30-p1-aw-[0-9a-f]{12}\.csv", name), name
    assert page_file_name(f, {"q": "", "order": ""}, 1, frame) == name, "the same view of the same data: same name"
    others = {page_file_name(Filters(tracker="tilly-norwood", start=f.start, end=f.end), {}, 1, frame),
              page_file_name(Filters(tracker=f.tracker, start=f.start, end=date(2026, 5, 1)), {}, 1, frame),
              page_file_name(f, {}, 2, frame),
              page_file_name(Filters(tracker=f.tracker, start=f.start, end=f.end, sources=("weibo",)), {}, 1, frame),
              page_file_name(f, {"q": "AI"}, 1, frame),
              page_file_name(f, {}, 1, frame.iloc[:1])}
    assert len(others) == 6 and name not in others
    assert page_file_name(Filters(tracker="tilly-norwood"), {}, 1, frame).startswith(
        "actorwatch-explore-tilly-norwood-all-dates-p1-aw-")


def test_explore_download_says_what_its_rows_are(store: Path) -> None:
    """Chart CSVs carry an about_this_data column (view, n, days and zone, synthetic share, credit, live view); the
    Explore page's CSV of posts had none, so demo texts copied out of it did not say they were generated, nor from
    which view, search or dates. It now carries the same column."""
    import csv
    import io

    from analysis.core.filters import Filters
    from analysis.reports.png import CREDIT
    from dashboard.data import build_snapshot
    from dashboard.explore import page_file_name, published_page, records_page

    f = Filters.for_tracker(get_tracker("iqiyi-nadou"))
    frame, total = records_page(build_snapshot(), f, search="XSS probe", limit=50)
    params = {"q": "XSS probe", "kind": "", "order": ""}
    rows = list(csv.DictReader(io.StringIO(published_page(frame, f, params, 1, 1, total, "https://news.example")
                                           .decode("utf-8-sig"))))
    assert [r["text"] for r in rows] == [HOSTILE_TEXT] and total == 1
    about = rows[0]["about_this_data"]
    for said in ("SYNTHETIC DEMO DATA", f"{f.start} to {f.end} (UTC), n = 1 record", "rows 1 to 1 of 1 matching",
                 "pseudonymised", CREDIT, "live view: https://news.example/explore?tracker=iqiyi-nadou&", "q=XSS"):
        assert said in about, (said, about)
    assert page_file_name(f, params, 1, frame).removesuffix(".csv").rsplit("-", 2)[-2:] == \
        about.split("snapshot ")[1].split(" ")[0].split("-"), "the file's name and its column name one snapshot"


def test_methods_versions_do_not_show_the_servers_directories() -> None:
    """Methods → Versions, a public page, showed the trackers file's absolute path (the server's directory layout);
    it now shows the path within the shipped files, with the file's size."""
    from collectors.paths import bundled_dir
    from collectors.trackers import default_path
    from dashboard.versions import versions_frame

    frame = versions_frame("sig", {})
    shown = dict(zip(frame["component"], frame["version"], strict=True))["trackers file"]
    assert shown == f"trackers.toml ({default_path().stat().st_size:,} bytes)"
    for root in (str(bundled_dir()), str(Path(__file__).resolve().parents[1]), str(Path.home())):
        assert not any(root in str(v) for v in frame["version"]), root


def heading_levels(at: AppTest) -> list[tuple[int, str]]:
    """The page's headings in document order (st.title h1, st.header h2, st.subheader h3)."""
    levels = {"title": 1, "header": 2, "subheader": 3}
    found: list[tuple[int, str]] = []

    def walk(node) -> None:
        if getattr(node, "type", None) in levels:
            found.append((levels[node.type], node.value))
        for child in (node.children.values() if isinstance(getattr(node, "children", None), dict) else []):
            walk(child)

    walk(at._tree.main)
    return found


@pytest.mark.parametrize("page", [*PAGES, "label"])
def test_headings_never_skip_a_level(store: Path, page: str) -> None:
    """A screen reader's heading list is the page's outline: an h3 straight under the h1 reads as a lost section."""
    at = open_page(page, session={"annotator": "ann-a"} if page == "label" else None)
    levels = heading_levels(at)
    assert levels and levels[0][0] == 1, levels
    for (before, _), (level, text) in itertools.pairwise(levels):
        assert level <= before + 1, f"{page}: {text!r} (h{level}) follows an h{before}: {levels}"


def test_model_charts_alt_text_quotes_the_badge_figure_with_interval_and_n(con) -> None:
    """A screen-reader user hears the figure sighted readers see under the chart: the badge's in-domain macro-F1 with
    its interval and n (for a tracker's adapted sentiment model, the adapted figure), on every model chart."""
    from dashboard.charts import registry as chart_registry

    badges = {task: {"text": f"{task.capitalize()} model m-{task} — On 912 real sentences about AI actors (test "
                             f"split): macro-F1 0.59 [0.56–0.62]"} for task in ("sentiment", "stance", "emotion")}
    model = {"name": "m", "label": "m 1", "version": VERSION, "macro_f1": 0.5, "macro_f1_on": "an older set",
             "badges": badges}
    adapted = {**model, "adapted_line": "adapted on 300 labels by 2 annotators: cross-validated macro-F1 0.66 "
                                        "[0.60–0.71] (base model 0.59)"}
    charts = [name for name, spec in chart_registry.all_charts().items() if spec.model_task]
    assert {"overview-sentiment", "timeline-negative", "voices-stance", "topics-emotion"} <= set(charts)
    for name in charts:
        spec, view = chart_registry.get(name), view_for()
        frame = spec.load(con, view)
        alt = chart_registry.package(name, frame, view, model).alt
        assert "macro-F1 0.59 [0.56–0.62]" in alt and "On 912" in alt, (name, alt)
        assert "0.50" not in alt, (name, alt)
        if spec.model_task == "sentiment":
            alt = chart_registry.package(name, frame, view, adapted).alt
            assert "adapted on 300 labels" in alt and "0.66 [0.60–0.71]" in alt, (name, alt)


def test_chart_csv_carries_source_synthetic_share_model_figure_and_snapshot(con, tmp_path: Path) -> None:
    """A chart's CSV (the panel's download, the standalone page's data link, `actorwatch chart --format csv`) is read
    without the page: it says which data is synthetic and how good the model is, like the HTML and PNG do."""
    import io

    from dashboard.charts import registry as chart_registry
    from dashboard.charts.embed import published_csv, standalone_html, write_package

    badges = {"sentiment": {"text": "Sentiment model m — On 912 real sentences about AI actors (test split): "
                                    "macro-F1 0.59 [0.56–0.62]"}}
    model = {"name": "m", "label": "m 1", "version": VERSION, "badges": badges}
    package = chart_registry.build("overview-sentiment", con, view_for(), model)
    written = write_package(package, tmp_path, ["csv"], base_url="https://news.example")[0].read_bytes()
    embedded = base64.b64decode(re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"',
                                          standalone_html(package, base_url="https://news.example")).group(1))
    assert written == embedded == published_csv(package, "https://news.example")
    table = pd.read_csv(io.BytesIO(written), encoding="utf-8-sig")
    said = set(table.pop("about_this_data"))
    assert len(said) == 1, "every row carries the same note"
    said = said.pop()
    assert "100% synthetic demo data" in said and "macro-F1 0.59 [0.56–0.62]" in said and "912" in said
    assert package.snapshot_id in said and "https://news.example/?" in said
    assert list(table.columns) == list(package.data.columns) and len(table) == len(package.data)


def test_link_free_text_cannot_render_math_strikes_or_entities(store: Path) -> None:
    """Streamlit's Markdown renders `$…$` as LaTeX, `~~…~~` struck through and `&lt;` as `<`: a link naming such a
    source showed a reader formula-sized text or a fake tag in the dashboard's own warning. They are escaped now."""
    from analysis.reports.brief import md_escape

    assert md_escape("$\\Huge{X}$ ~~y~~ &lt;b&gt;") == r"\$\\Huge{X}\$ \~\~y\~\~ \&lt;b\&gt;"
    at = open_page("overview", {"source": ["weibo", "$\\Huge{FAKE}$~~z~~&lt;"]})
    notes = [w.value for w in at.sidebar.warning if "source" in w.value]
    assert notes and r"\$\\Huge{FAKE}\$\~\~z\~\~\&lt;" in notes[0], notes


def look_without_colour(trace: dict) -> tuple:
    """What tells a trace apart in greyscale: its kind, dash, marker symbol, bar or fill pattern."""
    line, marker = trace.get("line") or {}, trace.get("marker") or {}
    return (trace.get("type"), trace.get("mode"), trace.get("xaxis"), line.get("dash", "solid"), marker.get("symbol"),
            (marker.get("pattern") or {}).get("shape") or "", (trace.get("fillpattern") or {}).get("shape") or "")


def colour_of(trace: dict) -> object:
    return (trace.get("marker") or {}).get("color") or (trace.get("line") or {}).get("color")


def colour_alone(fig, name: str) -> list[str]:
    """Pairs of legend entries that differ by colour alone."""
    legend = [t for t in fig.to_plotly_json()["data"] if t.get("showlegend") is not False and t.get("name")]
    looks: dict[tuple, dict] = {}
    found = []
    for trace in legend:
        key = look_without_colour(trace)
        if key in looks and colour_of(looks[key]) != colour_of(trace):
            found.append(f"{name}: {trace['name']!r} and {looks[key]['name']!r}")
        looks[key] = trace
    return found


def test_no_chart_tells_its_series_apart_by_colour_alone(con) -> None:
    """Stacked bars and areas (sources, outlets, entities) and the frames' and hot-search topics' lines differed only
    by colour: a colour-blind reader, or anyone with a greyscale print, could not tell which was which."""
    from dashboard.charts import registry as chart_registry
    from dashboard.charts.hot_search import hourly_chart
    from dashboard.charts.style import EMOTION_COLOURS, share_lines
    from dashboard.model_info import model_summary

    model = model_summary(con)
    found = [pair for name in chart_registry.all_charts()
             for pair in colour_alone(chart_registry.build(name, con, view_for(), model).fig, name)]
    when = pd.Timestamp("2026-04-20 10:00")
    hourly = pd.DataFrame({"topic": [f"topic {i}" for i in range(5) for _ in range(2)],
                           "observed_bj": [when, when + pd.Timedelta(hours=1)] * 5, "heat": range(10),
                           "status": ["on list"] * 10})
    found += colour_alone(hourly_chart(hourly, "t"), "hot-search-hourly")
    emotions = pd.DataFrame([{"period": "2026-04-20", "emotion": e, "records": 1, "n": 7, "share": 1 / 7,
                              "share_lo": 0.0, "share_hi": 0.5} for e in EMOTION_COLOURS])
    found += colour_alone(share_lines(emotions, "emotion", EMOTION_COLOURS, "t", "none"), "topics-emotion")
    assert not found, "differ by colour alone: " + "; ".join(found)


def test_no_uncredited_image_download(store: Path, con) -> None:
    """plotly's camera button (in the page, in embeds and in the standalone HTML) saved the chart without its source,
    synthetic-data warning or model figure; published images come only from the credited PNG now."""
    from dashboard.charts import registry as chart_registry
    from dashboard.charts.embed import standalone_html
    from dashboard.model_info import model_summary

    for at in (open_page("overview"), open_page("overview", {"chart": "overview-sentiment", "embed": "true"})):
        for chart in at.get("plotly_chart"):
            assert "toImage" in json.loads(chart.proto.config).get("modeBarButtonsToRemove", []), chart.proto.config
    page = standalone_html(chart_registry.build("overview-volume", con, view_for(), model_summary(con)))
    assert '"modeBarButtonsToRemove": ["toImage"]' in page


def test_topic_cluster_terms_reach_the_hover_escaped() -> None:
    """A cluster's terms come from post text and were put in the hover label as they were; plotly reads a few tags
    (<b>, <a href>, <br>) in hover text, so a post could restyle or add links to the dashboard's own label."""
    from dashboard.charts.topics import topics_chart

    df = pd.DataFrame({"topic": [0], "label": ["<b>x</b>"], "terms": ['<a href="https://e.example">go</a> <b>y</b>'],
                       "size": [10], "weight": [1.0]})
    spec = topics_chart(df, "t").to_plotly_json()["data"][0]
    hover_text = " ".join(str(v) for row in spec["customdata"] for v in row) + " ".join(spec["y"])
    assert "<a " not in hover_text and "<b>" not in hover_text and "&lt;a href" in hover_text


@pytest.mark.parametrize("page", ["overview", "topics"])
def test_each_embed_panel_is_named_after_its_chart(store: Path, page: str) -> None:
    """Every chart's panel was labelled just "Embed / download": a screen reader's list of controls held several
    identical entries with nothing to say which chart each belonged to."""
    at = open_page(page)
    labels = [e.proto.label for e in at.get("expander") if e.proto.label.startswith("Embed / download")]
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert len(labels) == len(titles) >= 2 and len(set(labels)) == len(labels), labels


def test_frames_alt_names_no_share_of_a_thin_period() -> None:
    """The frames chart's alt named "the highest share" even when it was 1 record of 1 (100%), and never said of how
    many; like the sentiment alts it now names it among periods with enough records, with its n."""
    from analysis.stats.peaks import MIN_SHARE_N
    from dashboard.charts.topics import frames_alt

    df = pd.DataFrame({"period": ["2026-04-19", "2026-04-21"], "frame": ["consent", "consent"],
                       "records": [1, 90], "n": [1, 200], "share": [1.0, 0.45], "share_lo": [0.2, 0.4],
                       "share_hi": [1.0, 0.5]})
    alt = frames_alt(df, {"consent": "Consent"}, "X")
    assert "100%" not in alt and "2026-04-21 at 45% of 200" in alt, alt
    thin = frames_alt(df.iloc[:1], {"consent": "Consent"}, "X")
    assert "100%" not in thin and f"fewer than {MIN_SHARE_N}" in thin, thin


def test_effects_alt_states_share_differences_in_percentage_points() -> None:
    """The forest plot's alt said "negative share +37%" for a rise from 7% to 44%: heard as a relative rise of a
    third. The difference of two shares is read out in percentage points."""
    from dashboard.charts.timeline import effects_alt

    df = pd.DataFrame([{"date": "2026-04-20", "title": "launch", "volume_diff": 205.3, "volume_ci_lo": 151.0,
                        "volume_ci_hi": 237.7, "neg_diff": 0.3665, "neg_ci_lo": 0.2069, "neg_ci_hi": 0.4309,
                        "neg_before": 0.07, "neg_n_before": 120, "neg_after": 0.4365, "neg_n_after": 171}])
    alt = effects_alt(df, "X")
    assert "negative share +37 percentage points (95% CI +21 to +43; 7% of 120 scored before, 44% of 171 after)" in alt, alt


def test_small_heatmaps_write_their_counts_in_the_cells() -> None:
    """The coverage and co-mention heatmaps told counts (and a source's empty days) by shade alone; their cells now
    carry the number too (coverage up to two months of days, where a count fits its cell)."""
    from dashboard.charts.methods import coverage_chart
    from dashboard.charts.topics import comentions_chart

    days = pd.date_range("2026-04-10", periods=46).date
    coverage = pd.DataFrame({"day": list(days) * 2, "source": ["weibo"] * 46 + ["rss"] * 46, "records": range(92)})
    assert coverage_chart(coverage, "t").data[0].texttemplate == "%{z}"
    pairs = pd.DataFrame({"a": ["iqiyi"], "b": ["gong-yu"], "records": [12]})
    assert comentions_chart(pairs, {}, "t").data[0].texttemplate == "%{z}"


def test_standalone_html_declares_the_language_of_its_content() -> None:
    """The page was always lang="en": a screen reader read a Chinese title and alt text with English rules. The page
    now takes its title's language, and a part in another language (caption words, alt text, notes) says its own."""
    import plotly.graph_objects as go

    from dashboard.charts.embed import ChartPackage, standalone_html

    data = pd.DataFrame({"day": ["2026-04-21"], "records": [3]})
    chinese = ChartPackage(name="x", title="爱奇艺AI艺人库：每日记录", fig=go.Figure(), data=data,
                           alt="柱状图：4月21日共3条记录。", source="actorwatch store, weibo")
    page = standalone_html(chinese, base_url="https://news.example")
    assert '<html lang="zh">' in page
    assert '<figcaption class="aw-foot" lang="en">' in page  # "Source", "data", "live view" are English words
    assert 'id="aw-alt">' in page  # the alt text is in the page's language: nothing to mark

    english = ChartPackage(name="x", title="Daily records", fig=go.Figure(), data=data, alt="柱状图：共3条记录。",
                           notes="模型：中文情感分类器")
    page = standalone_html(english, base_url="https://news.example")
    assert '<html lang="en">' in page and '<figcaption class="aw-foot">' in page
    assert 'id="aw-alt" lang="zh">柱状图' in page and '<p lang="zh">柱状图' in page  # noscript copy too
    assert '<span lang="zh">模型：中文情感分类器</span>' in page

    unknown = ChartPackage(name="x", title="2026", fig=go.Figure(), data=data, alt="12 345")
    assert '<html lang="en">' in standalone_html(unknown, base_url="https://news.example")


def test_explore_shows_the_two_repeated_autumn_hours_as_two_instants(isolated_data_dir: Path, make_record,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """In New York 01:30 comes twice on 2026-11-01 (EDT, then EST): the table gets the instants (in the zone) and
    shows each with its offset, so a reader tells the two apart."""
    monkeypatch.setenv("ACTORWATCH_TZ", "America/New_York")
    edt, est = datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    Store(isolated_data_dir).add_records([make_record(id="edt", published_at=edt, trackers=["iqiyi-nadou"]),
                                          make_record(id="est", published_at=est, trackers=["iqiyi-nadou"])])
    at = open_page("explore", {"tracker": "iqiyi-nadou", "from": "2026-11-01", "to": "2026-11-01"})
    table = at.dataframe[0].value
    assert list(table["id"]) == ["est", "edt"]
    assert list(table["published_at"]) == [pd.Timestamp(est), pd.Timestamp(edt)]
    assert str(table["published_at"].dt.tz) == "America/New_York"
    columns = json.loads(at.dataframe[0].proto.columns)
    assert columns["published_at"]["type_config"]["format"] == "YYYY-MM-DD HH:mm Z"


@pytest.mark.parametrize("chart", ["overview-volume", "overview-sentiment"])
def test_an_embed_shows_the_numbers_the_chart_command_publishes(store: Path, con, chart: str) -> None:
    """The live embed (`?chart=NAME`, the dashboard's cached path) and `actorwatch chart` (the registry's build) draw
    the same data for the same filters: the same source line (n, days, synthetic share) and snapshot id."""
    from dashboard.charts import registry as chart_registry
    from dashboard.model_info import model_summary

    at = open_page("overview", {"chart": chart})
    caption = next(c.value for c in at.caption if "snapshot aw-" in c.value)
    built = chart_registry.build(chart, con, view_for(), model_summary(con))
    assert f"Source: {built.source} ·" in caption, (caption, built.source)
    assert caption.endswith(f"snapshot {built.snapshot_id}"), (caption, built.snapshot_id)


def test_the_market_chart_s_source_line_says_its_trading_days_and_event_windows(con) -> None:
    """The event-study chart credited the closes it uses but not the trading days drawn nor how many event windows:
    a published image of it had no date range and no n."""
    from dashboard.charts import registry as chart_registry
    from dashboard.model_info import model_summary

    package = chart_registry.build("industry-market", con, view_for(), model_summary(con))
    days = pd.to_datetime(package.data["date"]).dt.date
    assert f"trading days {days.min()} to {days.max()}" in package.source, package.source
    assert f"n = {package.data['event'].nunique()} event window" in package.source, package.source


def test_wrapped_titles_fit_a_phone_and_keep_their_markup() -> None:
    """Titles are broken into phone-wide lines (tests/test_browser.py measures them drawn); a line holding markup is
    left whole, so no break falls inside a tag."""
    import plotly.graph_objects as go

    from dashboard.charts.style import MARGIN, SUBTITLE_CHARS, TITLE_CHARS, wrap_title

    fig = go.Figure(layout={"margin": MARGIN, "title": "Daily sentiment — iQIYI AI Artist Library / Nadou Pro "
                            "controversy · model x<br><sup>Counts of annotated records only (2,423 of 2,423 records "
                            "annotated)</sup>"})
    wrap_title(fig)
    lines = fig.layout.title.text.split("<br>")
    assert len(lines) == 4 and lines[2].startswith("<sup>") and lines[3].endswith("</sup>"), lines
    assert all(len(line.removeprefix("<sup>").removesuffix("</sup>")) <= (SUBTITLE_CHARS if "sup" in line
                                                                          else TITLE_CHARS) for line in lines)
    assert fig.layout.margin.t > MARGIN["t"], "the margin grows with the title"
    tagged = '<span style="a b">x</span> ' + "word " * 20
    fig = go.Figure(layout={"title": tagged})
    wrap_title(fig)
    assert fig.layout.title.text == tagged
