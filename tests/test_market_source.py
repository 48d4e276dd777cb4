"""Market collector (stooq daily CSV -> market_prices): mapping, idempotent writes, blocked/empty answers, secrets."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from collectors.base import ParseError, Query, run_collection
from collectors.sources.market import MarketCollector, MarketPrice, csv_rows, price_row, stooq_symbol
from collectors.store import Store
from collectors.trackers import load_trackers
from tests.other_sources_support import COLLECTED, Script, archived_text, fixture_text, make, respond

STOOQ = "/q/d/l/"
QUERY = Query("case-a", ("ACME", "^idx"), since=datetime(2026, 4, 17, tzinfo=UTC), until=datetime(2026, 4, 27, tzinfo=UTC))


def _by_symbol(request):
    name = {"acme.us": "market/stooq_acme_us.csv", "^idx": "market/stooq_idx.csv"}[request.url.params["s"]]
    return respond(200, fixture_text(name), content_type="text/csv")


def test_symbols_and_rows():
    assert (stooq_symbol("IQ"), stooq_symbol("^spx"), stooq_symbol("cdr.pl")) == ("iq.us", "^spx", "cdr.pl")
    rows = csv_rows(fixture_text("market/stooq_acme_us.csv"), "acme")
    bar = price_row(rows[2], COLLECTED)
    assert bar == MarketPrice(date=date(2026, 4, 20), ticker="ACME", open=5.12, high=5.14, low=4.60, close=4.71,
                              volume=21345600, source="stooq", collected_at=COLLECTED)
    index = price_row(csv_rows(fixture_text("market/stooq_idx.csv"), "^idx")[0], COLLECTED)
    assert index.ticker == "^IDX" and index.volume is None  # indices have no volume
    with pytest.raises(ParseError, match="close"):
        price_row({**rows[0], "close": "abc"}, COLLECTED)
    with pytest.raises(ParseError, match="date"):
        price_row({**rows[0], "date": "20.04.2026"}, COLLECTED)
    with pytest.raises(ParseError, match="daily price CSV"):
        csv_rows("name,value\na,1\n")


def test_tracker_tickers_plus_benchmark():
    tracker = next(t for t in load_trackers() if t.queries.market)
    assert MarketCollector(None).queries_for(tracker) == (*tracker.queries.market, tracker.queries.benchmark)


def test_collection_writes_market_prices_idempotently(tmp_path):
    store = Store(tmp_path)
    script = Script({STOOQ: [_by_symbol]})
    summary = run_collection(make(MarketCollector, script), QUERY, store)
    assert summary.stopped is None and summary.ingest.rows_new == 8 and summary.ingest.records_new == 0
    params = script.params(STOOQ)
    assert [p["s"] for p in params] == ["acme.us", "^idx"]
    assert params[0]["d1"] == "20250313" and params[0]["d2"] == "20260427"  # a year before --since: estimation window
    frame = store.query("SELECT date, ticker, close FROM market_prices ORDER BY ticker, date")
    assert list(frame["ticker"].unique()) == ["ACME", "^IDX"] and frame["close"].iloc[2] == 4.71
    files = store.files("market_prices")
    again = run_collection(make(MarketCollector, Script({STOOQ: [_by_symbol]})), QUERY, store, resume=False)
    assert (again.ingest.rows_new, again.ingest.rows_duplicate) == (0, 8)
    assert store.files("market_prices") == files  # nothing rewritten


def test_a_revised_bar_updates_the_row(tmp_path):
    store = Store(tmp_path)
    run_collection(make(MarketCollector, Script({STOOQ: [_by_symbol]})), QUERY, store)
    revised = fixture_text("market/stooq_acme_us.csv").replace("4.80,15432100", "4.85,15432100")
    script = Script({STOOQ: [respond(200, revised, content_type="text/csv")]})
    summary = run_collection(make(MarketCollector, script), Query("case-a", ("ACME",), since=QUERY.since), store,
                             resume=False)
    assert (summary.ingest.rows_updated, summary.ingest.rows_duplicate) == (1, 3)
    last = store.query("SELECT close FROM market_prices WHERE ticker = 'ACME' AND date = DATE '2026-04-21'")
    assert last["close"].tolist() == [4.85]


@pytest.mark.parametrize("fixture, message", [("market/stooq_apikey.html", "API key"),
                                              ("market/stooq_limit.txt", "daily download limit")])
def test_refusals_stop_with_how_to_resume(tmp_path, fixture, message):
    script = Script({STOOQ: [respond(200, fixture_text(fixture), content_type="text/html")]})
    summary = run_collection(make(MarketCollector, script), QUERY, Store(tmp_path))
    assert summary.stopped and message in summary.stopped and summary.pages == 0


def test_unknown_symbol_gives_an_empty_page(tmp_path):
    script = Script({STOOQ: [respond(200, fixture_text("market/stooq_no_data.txt"))]})
    pages = list(make(MarketCollector, script).fetch(Query("case-a", ("NOPE",))))
    assert len(pages) == 1 and pages[0].items == [] and pages[0].cursor is None


def test_api_key_is_sent_but_never_archived(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTORWATCH_STOOQ_APIKEY", "fictional-stooq-key-77")
    script = Script({STOOQ: [_by_symbol]})
    run_collection(make(MarketCollector, script), QUERY, Store(tmp_path))
    assert script.params(STOOQ)[0]["apikey"] == "fictional-stooq-key-77"
    archived = archived_text(tmp_path / "raw")
    assert "apikey=[REDACTED]" in archived and "fictional-stooq-key-77" not in archived


def _cli(monkeypatch, script, *args):
    from click.testing import CliRunner

    from collectors import collect_cli
    from tests.conftest import TRACKERS_MIN
    from tests.other_sources_support import client_for

    trackers = {t.id: t for t in load_trackers(TRACKERS_MIN)}
    monkeypatch.setattr(collect_cli, "get_tracker", lambda tid: trackers[tid])
    monkeypatch.setattr(collect_cli, "make_client", lambda: client_for(script))
    return CliRunner().invoke(collect_cli.collect_cmd, ["market", "--tracker", "case-a", "--min-interval", "0", *args])


def test_collect_command_reports_dataset_rows_and_stops_with_exit_3(data_dir, monkeypatch):
    result = _cli(monkeypatch, Script({STOOQ: [_by_symbol]}), "--term", "ACME", "--term", "^idx")
    assert result.exit_code == 0, result.output
    assert "dataset rows: 8 new" in result.output
    assert len(Store(data_dir).query("SELECT * FROM market_prices")) == 8
    blocked = _cli(monkeypatch, Script({STOOQ: [respond(200, fixture_text("market/stooq_apikey.html"),
                                                        content_type="text/html")]}), "--term", "OTHER")
    assert blocked.exit_code == 3 and "ACTORWATCH_STOOQ_APIKEY" in blocked.output
