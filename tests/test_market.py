"""The market-model event study on prices built so that every figure is known by hand."""

import json
import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from analysis.stats.market import (
    PriceDataError,
    event_study,
    market_model,
    prices_from_store,
    read_prices_csv,
)
from collectors.sources.market import MARKET_PRICES_SPEC
from collectors.store import Store

ALPHA, BETA, JUMP = 0.0005, 1.5, 0.05
M_PATTERN = [0.01, -0.01, 0.02, -0.02, 0.0]
# residuals orthogonal to 1 and to the benchmark pattern, so OLS recovers ALPHA and BETA exactly
E_PATTERN = [0.001, 0.001, -0.001, -0.001, 0.0]
EVENT_POS = 150  # index (in returns) of day 0


def _prices(n_returns: int = 200, start: str = "2025-06-02") -> tuple[pd.DataFrame, list[date]]:
    days = list(pd.bdate_range(start, periods=n_returns + 1).date)
    m = np.array([M_PATTERN[i % 5] for i in range(n_returns)])
    e = np.array([E_PATTERN[i % 5] for i in range(n_returns)])
    r = ALPHA + BETA * m + e
    r[EVENT_POS - 5: EVENT_POS + 6] = ALPHA + BETA * m[EVENT_POS - 5: EVENT_POS + 6]  # event window: no noise
    r[EVENT_POS] += JUMP
    bench = 100 * np.cumprod(np.r_[1, 1 + m])
    stock = 50 * np.cumprod(np.r_[1, 1 + r])
    frame = pd.DataFrame({"date": days * 2, "ticker": ["STK"] * len(days) + ["IDX"] * len(days),
                          "close": np.r_[stock, bench]})
    return frame, days


def test_market_model_ols_by_hand():
    alpha, beta, sigma = market_model([1, 2, 3, 4], [3, 5, 7, 9])  # y = 1 + 2x exactly
    assert (alpha, beta, sigma) == pytest.approx((1, 2, 0))


def test_known_abnormal_return_reproduces():
    prices, days = _prices()
    day0 = days[EVENT_POS + 1]  # returns[i] is the return into price day i + 1
    result = event_study(prices, "STK", "IDX", [day0])
    (ev,) = result.events
    # 110 estimation returns = 22 whole periods of 5: Σe² = 22 × 4e-6, sigma² = Σe² / (110 - 2)
    sigma = math.sqrt(22 * 4e-6 / 108)
    assert ev.n_estimation == 110 and ev.day0 == day0
    assert (ev.alpha, ev.beta, ev.sigma) == pytest.approx((ALPHA, BETA, sigma), abs=1e-10)
    ar = ev.abnormal.set_index("day_offset")
    assert ar.loc[0, "ar"] == pytest.approx(JUMP, abs=1e-10)
    assert ar.drop(index=0)["ar"].abs().max() < 1e-10
    assert ar.loc[0, "ar_t"] == pytest.approx(JUMP / sigma, rel=1e-6)
    assert ar.loc[-1, "car"] == pytest.approx(0, abs=1e-10) and ar.loc[5, "car"] == pytest.approx(JUMP, abs=1e-10)
    assert ev.car_t == pytest.approx(JUMP / (sigma * math.sqrt(11)), rel=1e-6)
    summary = result.summary()
    assert summary.loc[0, "car"] == pytest.approx(JUMP, abs=1e-10)
    caar = result.caar()
    assert caar["caar"].iloc[-1] == pytest.approx(JUMP, abs=1e-10)


def test_weekend_event_maps_to_next_trading_day_and_short_history_is_skipped():
    prices, days = _prices()
    monday = next(d for d in days[EVENT_POS:] if d.weekday() == 0)
    result = event_study(prices, "STK", "IDX", [monday - timedelta(days=2), days[20], days[-1] + timedelta(days=9)])
    assert [e.day0 for e in result.events] == [monday]
    reasons = dict(result.skipped)
    assert "estimation window" in reasons[days[20]] and "no trading day" in reasons[days[-1] + timedelta(days=9)]


def test_weekend_events_are_drawn_once_at_the_trading_day_they_affect():
    """A Saturday and a Sunday event share Monday's window: the chart drew the same line three times, each labelled
    with its own calendar date as if it were another event."""
    from dashboard.charts.industry import event_lines, event_study_alt

    prices, days = _prices()
    monday = next(d for d in days[EVENT_POS:] if d.weekday() == 0)
    saturday, sunday = monday - timedelta(days=2), monday - timedelta(days=1)
    later = days[days.index(monday) + 2]
    events = [(sunday, "sunday event"), (saturday, "saturday event"), (monday, "monday event"),
              (sunday, "another sunday event"), (later, "a weekday event")]
    result = event_study(prices, "STK", "IDX", [d for d, _ in events])
    frame = event_lines(result, events)
    labels = list(dict.fromkeys(frame["event"]))
    assert len(labels) == 2
    moved = f"{saturday:%a} {saturday.day} {saturday:%b}, {sunday:%a} {sunday.day} {sunday:%b} → " \
            f"{monday:%a} {monday.day} {monday:%b} {monday.year}: saturday event (+3 more)"
    assert labels == [moved, f"{later:%a} {later.day} {later:%b} {later.year}: a weekday event"]
    assert (frame.groupby("event").size() == 11).all()  # one window each, not one per calendar date
    assert "2 trading days with events" in event_study_alt(frame, "STK", "IDX")


def test_prices_from_csv_and_store(tmp_path, data_dir):
    prices, days = _prices(160)
    path = tmp_path / "prices.csv"
    prices.to_csv(path, index=False)
    back = read_prices_csv(path)
    assert back["date"].iloc[0] == days[0] and len(back) == len(prices)
    (tmp_path / "bad.csv").write_text("day,price\n2026-01-01,3\n")
    with pytest.raises(PriceDataError, match="missing column"):
        read_prices_csv(tmp_path / "bad.csv")
    store = Store(data_dir)
    with store.connect() as con, pytest.raises(PriceDataError, match="no market prices"):
        prices_from_store(con)
    rows = prices.assign(open=prices["close"], high=prices["close"], low=prices["close"], volume=0, source="test",
                         collected_at=datetime(2026, 1, 1, tzinfo=UTC))
    store.add_table("market_prices", pa.Table.from_pandas(rows, preserve_index=False), MARKET_PRICES_SPEC)
    with store.connect() as con:
        stored = prices_from_store(con, ["IDX"])
    assert set(stored["ticker"]) == {"IDX"} and len(stored) == 161
    with pytest.raises(PriceDataError, match="no prices for 'NOPE'"):
        event_study(back, "NOPE", "IDX", [days[100]])


def test_event_study_cli_on_a_csv(tmp_path):
    from click.testing import CliRunner

    from dashboard.cli import cli

    # day 0 of the planted jump falls on the tracker's trigger, Monday 2026-04-20
    start = pd.bdate_range(end="2026-04-20", periods=EVENT_POS + 2)[0].date().isoformat()
    prices, days = _prices(start=start)
    assert days[EVENT_POS + 1] == date(2026, 4, 20)
    prices.to_csv(tmp_path / "p.csv", index=False)
    result = CliRunner().invoke(cli, ["event-study", "--tracker", "iqiyi-nadou", "--ticker", "STK", "--benchmark",
                                      "IDX", "--prices", str(tmp_path / "p.csv"), "--json"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 1  # one JSON object, as every --json (it was JSON lines)
    report = json.loads(result.stdout)
    assert (report["ticker"], report["benchmark"]) == ("STK", "IDX") and report["window"] == list(report["window"])
    assert isinstance(report["skipped"], list)
    rows = {r["event_date"]: r for r in report["events"]}
    assert rows["2026-04-20"]["car"] == pytest.approx(JUMP, abs=1e-9)
    assert rows["2026-04-20"]["beta"] == pytest.approx(BETA, abs=1e-9)
    # the next day's event leaves out the 20 April event's window and buffer, and says which days
    assert rows["2026-04-21"]["n_excluded"] == 1 and rows["2026-04-21"]["n_estimation"] == 110
    text = CliRunner().invoke(cli, ["event-study", "--tracker", "iqiyi-nadou", "--ticker", "STK", "--benchmark",
                                    "IDX", "--prices", str(tmp_path / "p.csv")])
    lines = {line.split(":")[0].strip(): line for line in text.output.splitlines()}
    assert f"fitted on 110 trading days {days[31]} to {days[140]}" in lines["2026-04-20"]
    assert "leaving out" not in lines["2026-04-20"]
    assert f"leaving out other events' windows {days[141]}" in lines["2026-04-21"]
    missing = CliRunner().invoke(cli, ["event-study", "--tracker", "iqiyi-nadou", "--ticker", "X", "--benchmark", "Y"])
    assert missing.exit_code == 1 and "no market prices" in missing.output and "--prices FILE" in missing.output


def test_chart_without_prices_says_how_to_get_them_not_to_pass_a_csv(data_dir):
    """`actorwatch chart industry-market` on a store without prices said "pass a CSV with date,ticker,close",
    an option only `event-study` has; it now names the commands that bring prices into the store."""
    from click.testing import CliRunner

    from dashboard.cli import cli

    result = CliRunner().invoke(cli, ["chart", "industry-market", "--tracker", "iqiyi-nadou", "--format", "csv",
                                      "--out", str(data_dir / "out")])
    assert result.exit_code != 0
    assert "actorwatch collect market" in result.output and "actorwatch import" in result.output
    assert "pass a CSV" not in result.output and "--prices" not in result.output


def test_event_study_cli_names_the_tickers_the_store_has(data_dir):
    """With prices stored for other tickers than the tracker's, the error read "no prices for 'IQ' (have: )"."""
    from click.testing import CliRunner

    from dashboard.cli import cli

    prices, _days = _prices()
    rows = prices.assign(open=prices["close"], high=prices["close"], low=prices["close"], volume=0, source="test",
                         collected_at=datetime(2026, 1, 1, tzinfo=UTC))
    Store(data_dir).add_table("market_prices", pa.Table.from_pandas(rows, preserve_index=False), MARKET_PRICES_SPEC)
    result = CliRunner().invoke(cli, ["event-study", "--tracker", "iqiyi-nadou", "--ticker", "IQ", "--benchmark", "IDX"])
    assert result.exit_code == 1, result.output
    assert "no prices for 'IQ' in the store (it has: IDX, STK)" in result.output


def test_a_close_of_zero_or_below_is_a_clear_error_not_an_infinite_return(tmp_path):
    prices, days = _prices()
    for bad in (0.0, -3.0, float("inf")):
        broken = prices.copy()
        broken.loc[(broken["ticker"] == "STK") & (broken["date"] == days[EVENT_POS - 2]), "close"] = bad
        with pytest.raises(PriceDataError, match=f"not a positive number, e.g. {bad} for STK on {days[EVENT_POS - 2]}"):
            event_study(broken, "STK", "IDX", [days[EVENT_POS]])
    path = tmp_path / "prices.csv"
    path.write_text("date,ticker,close\n2026-01-02,IQ,2.5\n2026-01-05,IQ,0\n")
    with pytest.raises(PriceDataError, match="prices.csv: 1 close value"):
        read_prices_csv(path)


def test_a_csv_row_without_a_close_is_a_line_numbered_error_not_silently_dropped(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("date,ticker,close\n2026-01-02,IQ,2.5\n\n2026-01-05,IQ,\n2026-01-06,IQ,2.6\n2026-01-07,IQ,null\n")
    with pytest.raises(PriceDataError, match=r"prices.csv: 2 row\(s\) without a close value \(line 4, 6\)"):
        read_prices_csv(path)


def test_no_residual_noise_gives_undefined_t_statistics_not_infinite_ones():
    days = list(pd.bdate_range("2025-06-02", periods=80).date)
    stock = [50.0] * 60 + [55.0] * 20  # flat through the estimation window, then a jump on day 60
    prices = pd.DataFrame({"date": days * 2, "ticker": ["STK"] * 80 + ["IDX"] * 80, "close": stock + [100.0] * 80})
    result = event_study(prices, "STK", "IDX", [days[60]], estimation=(-50, -6), window=(-5, 5))
    assert result.events[0].sigma == 0 and math.isnan(result.events[0].car_t)
    caar = result.caar()
    assert caar["caar"].iloc[-1] == pytest.approx(0.1) and caar["caar_t"].isna().all()


def test_industry_chart_texts_never_print_nan_for_an_undefined_t():
    from dashboard.charts.industry import event_study_alt, event_study_chart

    frame = pd.DataFrame({"event": ["2026-04-20 launch"] * 2, "day_offset": [0, 1], "date": ["2026-04-20", "2026-04-21"],
                          "ar": [0.1, 0.0], "car": [0.1, 0.1], "car_t": [float("nan")] * 2})
    alt = event_study_alt(frame, "IQ", "^SPX")
    assert "nan" not in alt.lower() and "t undefined" in alt
    hover = json.dumps(event_study_chart(frame, "t").to_plotly_json()["data"][0]["customdata"].tolist())
    assert "nan" not in hover.lower() and "undefined" in hover


def test_events_sharing_a_day0_count_once_in_the_caar():
    # a Saturday and a Sunday event both start on Monday: the same returns, one observation; counted twice, the
    # CAAR's t grew by √2 (N = 2 with the variance of one) for no new information
    prices, days = _prices()
    monday = next(d for d in days[EVENT_POS:] if d.weekday() == 0)
    one = event_study(prices, "STK", "IDX", [monday]).caar()
    both = event_study(prices, "STK", "IDX", [monday - timedelta(days=2), monday - timedelta(days=1)])
    assert len(both.events) == 2  # each event keeps its own line
    caar = both.caar()
    assert caar["caar"].tolist() == pytest.approx(one["caar"].tolist())
    assert caar["caar_t"].tolist() == pytest.approx(one["caar_t"].tolist())


def _strict_json(text: str) -> object:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_event_study_json_of_a_flat_price_series_is_strict_json(tmp_path):
    """A suspended (flat) stock has no residual noise, so car_t is undefined: `--json` printed it as NaN, which
    strict JSON parsers (jq, JavaScript, Go) refuse; it is now null."""
    from click.testing import CliRunner

    from dashboard.cli import cli

    days = list(pd.bdate_range(end="2026-05-29", periods=200).date)
    flat = pd.DataFrame({"date": days * 2, "ticker": ["STK"] * len(days) + ["IDX"] * len(days), "close": 5.0})
    flat.to_csv(tmp_path / "flat.csv", index=False)
    result = CliRunner().invoke(cli, ["event-study", "--tracker", "iqiyi-nadou", "--ticker", "STK", "--benchmark",
                                      "IDX", "--prices", str(tmp_path / "flat.csv"), "--json"])
    assert result.exit_code == 0, result.output
    rows = _strict_json(result.stdout)["events"]
    assert rows and all(row["car_t"] is None and row["car"] == 0.0 for row in rows)


def _noise_prices(rng: np.random.Generator, n: int = 200) -> tuple[pd.DataFrame, list[date]]:
    days = list(pd.bdate_range("2025-01-01", periods=n + 1).date)
    m = rng.normal(0, 0.01, n)
    r = 0.001 + m + rng.normal(0, 0.02, n)
    frame = pd.DataFrame({"date": days * 2, "ticker": ["STK"] * len(days) + ["IDX"] * len(days),
                          "close": np.r_[50 * np.exp(np.r_[0, np.cumsum(r)]), 100 * np.exp(np.r_[0, np.cumsum(m)])]})
    return frame, days


def test_caar_t_of_events_with_overlapping_windows_counts_each_shared_day_once():
    # three events two trading days apart share most of their (-5, 5) windows: their abnormal returns on a shared day
    # are that day's one return, not three draws. Counted as independent, |CAAR t| > 1.96 came out ~23% of the time
    # on prices with no event at all; each day's noise is now counted once, with the events' sigmas summed on it
    rng = np.random.default_rng(36)
    prices, days = _noise_prices(rng)
    result = event_study(prices, "STK", "IDX", [days[140], days[142], days[144]])
    caar, events = result.caar(), result.events
    # by hand at offset +5 (all 11 offsets): the dates each event covers, and the sigmas summed on each date
    on_date: dict[date, float] = {}
    for e in events:
        for d in e.abnormal["date"]:
            on_date[d] = on_date.get(d, 0.0) + e.sigma
    expected = caar["caar"].iloc[-1] / (math.sqrt(sum(s * s for s in on_date.values())) / len(events))
    assert caar["caar_t"].iloc[-1] == pytest.approx(expected)
    # with windows that do not overlap, it is the usual CAAR / (√(Σσ²·k) / N)
    apart = event_study(prices, "STK", "IDX", [days[130], days[160]])
    sig2 = sum(e.sigma**2 for e in apart.events)
    k = np.arange(1, 12)
    assert apart.caar()["caar_t"].tolist() == pytest.approx((apart.caar()["caar"] / (np.sqrt(sig2 * k) / 2)).tolist())


@pytest.mark.slow
def test_caar_t_rejects_about_5_in_100_on_prices_with_no_event_even_with_overlapping_windows():
    rng = np.random.default_rng(7)
    runs, rejected = 200, 0
    for _ in range(runs):
        prices, days = _noise_prices(rng)
        caar = event_study(prices, "STK", "IDX", [days[140], days[142], days[144]]).caar()
        rejected += abs(caar["caar_t"].iloc[-1]) > 1.96
    assert 0.02 <= rejected / runs <= 0.08


@pytest.mark.parametrize(("content", "says"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00", "a UTF-8 CSV with the columns date,ticker,close"),  # not text at all
    (b"", "a UTF-8 CSV with the columns date,ticker,close"),
    (b"date,ticker,close\n2026-01-02,A,n/a?\n", "give dates as YYYY-MM-DD and closes as numbers"),
])
def test_an_unreadable_price_csv_says_what_the_file_must_be(tmp_path, content, says):
    """--prices of a wrong file said only "cannot read prices ('utf-8' codec can't decode byte 0x89 …)" or "(No
    columns to parse from file)": it now says what a price file must be."""
    from analysis.stats.market import PriceDataError, read_prices_csv

    path = tmp_path / "prices.csv"
    path.write_bytes(content)
    with pytest.raises(PriceDataError, match=says):
        read_prices_csv(path)


def _two_event_prices(jump_at_first: float) -> tuple[pd.DataFrame, list[date]]:
    """Noisy prices with a jump of `jump_at_first` on the earlier event's day 0 (return index 100); the later event's
    day 0 is return index 150, so its (-120, -11) estimation window (indices 30…139) holds the earlier reaction."""
    rng = np.random.default_rng(38)
    n = 200
    days = list(pd.bdate_range("2025-01-01", periods=n + 1).date)
    m = rng.normal(0, 0.01, n)
    r = 0.0005 + 1.2 * m + rng.normal(0, 0.01, n)
    r[100] += jump_at_first
    frame = pd.DataFrame({"date": days * 2, "ticker": ["STK"] * len(days) + ["IDX"] * len(days),
                          "close": np.r_[50 * np.cumprod(np.r_[1, 1 + r]), 100 * np.cumprod(np.r_[1, 1 + m])]})
    return frame, days


def test_an_earlier_events_reaction_is_left_out_of_a_later_events_estimation_window():
    """The later event's market model was fitted on trading days -120…-11 including the earlier event's jump: sigma
    grew with it and the later event's t shrank (its abnormal return moved with alpha and beta). Other events' windows,
    with a buffer, are now left out, the estimation window extended back to keep its length, and the output names the
    days left out."""
    quiet, days = _two_event_prices(0.0)
    jumped, _ = _two_event_prices(0.25)
    first, later = days[101], days[151]  # day 0 of returns 100 and 150
    clean = event_study(quiet, "STK", "IDX", [first, later])
    hit = event_study(jumped, "STK", "IDX", [first, later])
    a, b = (e for e in hit.events if e.event_date == later), (e for e in clean.events if e.event_date == later)
    a, b = next(a), next(b)
    # the later event's fit no longer depends on what happened in the earlier event's window
    assert (a.alpha, a.beta, a.sigma) == pytest.approx((b.alpha, b.beta, b.sigma), rel=1e-9)
    assert a.abnormal["ar_t"].tolist() == pytest.approx(b.abnormal["ar_t"].tolist(), rel=1e-9)
    assert a.car_t == pytest.approx(b.car_t, rel=1e-9)
    # left out: the earlier event's window (-5…+5) and a buffer of 5 trading days each side, i.e. returns 90…110
    # (return i is dated days[i + 1]); the window reaches back 21 trading days further to keep 110 returns
    assert a.excluded == tuple(days[91:112])
    assert a.n_estimation == 110 and a.estimation_days == (days[30 - 21 + 1], days[139 + 1])
    first_fit = next(e for e in hit.events if e.event_date == first)
    assert first_fit.excluded == ()  # the later window lies after the earlier event's estimation window
    row = hit.summary().set_index("event_date").loc[later]
    assert row["n_excluded"] == 21 and row["excluded"] == f"{days[91]}…{days[111]}"


def test_the_estimation_window_is_flagged_when_the_data_cannot_make_up_the_days_left_out():
    quiet, days = _two_event_prices(0.0)
    result = event_study(quiet, "STK", "IDX", [days[61], days[131]])
    later = next(e for e in result.events if e.event_date == days[131])
    # returns 10…119 less the earlier event's 50…70 would have to reach back to return -11: it keeps the 99 there
    # are (still above min_estimation) and says it is short
    assert later.n_estimation == 99 and later.excluded == tuple(days[51:72])
    assert later.estimation_days == (days[1], days[120])
    row = result.summary().set_index("event_date").loc[days[131]]
    assert row["n_estimation"] == 99 and row["estimation_short_by"] == 11
    assert result.summary().set_index("event_date").loc[days[61], "estimation_short_by"] == 60
