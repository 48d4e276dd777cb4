"""Industry impact: a market-model event study of a ticker against a benchmark around dated events.

Method (MacKinlay 1997, "Event Studies in Economics and Finance"): on the estimation window, fit
R_stock = alpha + beta · R_benchmark + e by OLS; sigma² = Σe² / (L - 2). In the event window the
abnormal return is AR_t = R_t - (alpha + beta · R_m,t), with t = AR / sigma; the cumulative abnormal
return CAR(τ1, τ) = Σ AR has t = CAR / (sigma · √k) over its k days. Day 0 is the first trading day on
or after the event date; offsets count trading days. Prediction-error terms of order 1/L are ignored,
as is usual for L ≥ 100. An abnormal return is an association with the event's date, not proof of cause.

Another event's window (with a buffer, by default the gap between the estimation and the event window) is left
out of each estimation window, which reaches further back to keep its length: an earlier event's reaction fitted as
normal noise would inflate sigma (hiding the later event's reaction) and tilt alpha and beta. Each event lists the
days left out, and how many estimation days the price data could not make up.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import statsmodels.api as sm

from analysis.core.tables import has_table

MARKET_PRICES = "market_prices"
PRICE_COLUMNS = ("date", "ticker", "close")


class PriceDataError(ValueError):
    """Prices are missing or malformed; the message says what is needed."""


@dataclass(frozen=True)
class EventWindow:
    """One event's fit and abnormal returns (columns day_offset, date, ret, benchmark_ret, expected, ar, ar_t,
    car, car_t)."""

    event_date: date
    day0: date
    alpha: float
    beta: float
    sigma: float
    n_estimation: int
    abnormal: pd.DataFrame
    estimation_days: tuple[date, date] | None = None  # first and last day of the returns the model was fitted on
    excluded: tuple[date, ...] = ()  # days from the first to the window's nominal last day left out: other events'
    # windows and their buffers
    short_by: int = 0  # estimation days asked for that the price data could not provide

    @property
    def car(self) -> float:
        return float(self.abnormal["ar"].sum())

    @property
    def car_t(self) -> float:
        return self.car / (self.sigma * math.sqrt(len(self.abnormal))) if self.sigma > 0 else math.nan


@dataclass(frozen=True)
class EventStudyResult:
    ticker: str
    benchmark: str
    estimation: tuple[int, int]
    window: tuple[int, int]
    events: list[EventWindow]
    skipped: list[tuple[date, str]] = field(default_factory=list)
    _trading_days: tuple[date, ...] = field(default=(), repr=False)

    def summary(self) -> pd.DataFrame:
        """One row per event: the market-model fit and the CAR over the whole window with its t-statistic."""
        columns = ["event_date", "day0", "alpha", "beta", "sigma", "n_estimation", "estimation_from", "estimation_to",
                   "estimation_short_by", "n_excluded", "excluded", "car", "car_t"]
        return pd.DataFrame(
            [{"event_date": e.event_date, "day0": e.day0, "alpha": e.alpha, "beta": e.beta, "sigma": e.sigma,
              "n_estimation": e.n_estimation, "estimation_from": e.estimation_days[0] if e.estimation_days else None,
              "estimation_to": e.estimation_days[1] if e.estimation_days else None, "estimation_short_by": e.short_by,
              "n_excluded": len(e.excluded), "excluded": day_ranges(e.excluded, self._trading_days),
              "car": e.car, "car_t": e.car_t} for e in self.events],
            columns=columns)

    def caar(self) -> pd.DataFrame:
        """Across events: mean AR and cumulative mean AR per offset, with t = CAAR / (√V / N).

        V counts each trading day's noise once: V = Σ over the days the events' first k offsets cover of (Σ σ of
        the events covering that day)². Events whose windows share days (a few days apart) share those days'
        returns, so their abnormal returns there move together rather than add up as independent draws; with no
        shared day V is the usual Σσ²·k. Events on the same day 0 (a Saturday and a Sunday event both start on
        Monday) are one observation."""
        if not self.events:
            return pd.DataFrame(columns=["day_offset", "aar", "caar", "caar_t"])
        distinct = list({e.day0: e for e in self.events}.values())
        ars = pd.concat([e.abnormal.set_index("day_offset")["ar"] for e in distinct], axis=1)
        n = len(distinct)
        out = pd.DataFrame({"day_offset": ars.index, "aar": ars.mean(axis=1).to_numpy()})
        out["caar"] = out["aar"].cumsum()
        variance, on_day = [], {}
        for k in range(len(out)):
            for e in distinct:
                day = e.abnormal["date"].iloc[k]
                on_day[day] = on_day.get(day, 0.0) + e.sigma
            variance.append(sum(s * s for s in on_day.values()))
        var = np.asarray(variance)
        # no residual noise at all (a flat estimation window): t is undefined, as for each event's car_t
        out["caar_t"] = out["caar"] / (np.sqrt(var) / n) if var[-1] > 0 else math.nan
        return out


def event_study(prices: pd.DataFrame, ticker: str, benchmark: str, event_dates: Iterable[date],
                estimation: tuple[int, int] = (-120, -11), window: tuple[int, int] = (-5, 5),
                min_estimation: int = 30, buffer: int | None = None) -> EventStudyResult:
    """Market-model abnormal returns of `ticker` against `benchmark` around each event date.

    `prices` has columns date, ticker, close (daily closes; other columns ignored). Other events' windows,
    widened by `buffer` trading days each side (default: the gap between the estimation and the event
    window), are left out of each estimation window, which reaches back further to keep its length.
    Events whose estimation window has fewer than `min_estimation` returns, or whose event window runs past
    the data, are listed in `skipped` with the reason instead of being estimated on too little.
    """
    if estimation[1] >= window[0]:
        raise ValueError(f"the estimation window {estimation} must end before the event window {window} starts")
    buffer = window[0] - estimation[1] - 1 if buffer is None else buffer
    if buffer < 0:
        raise ValueError(f"buffer must be 0 or more trading days, not {buffer}")
    returns = _returns(prices, ticker, benchmark)
    days = list(returns.index)
    day_array = np.array(days, dtype="datetime64[D]")
    wanted = estimation[1] - estimation[0] + 1
    dated = sorted(set(event_dates))
    positions = {d: int(np.searchsorted(day_array, np.datetime64(d, "D"))) for d in dated}
    events, skipped = [], []
    for event_date in dated:
        pos = positions[event_date]
        if pos >= len(days):
            skipped.append((event_date, "no trading day on or after the event in the price data"))
            continue
        others = {p for p in positions.values() if p != pos and p < len(days)}  # a shared day 0 is this event
        blocked = np.zeros(len(days), dtype=bool)
        for p in others:
            blocked[max(0, p + window[0] - buffer): max(0, p + window[1] + buffer + 1)] = True
        last = min(pos + estimation[1], len(days) - 1)
        free = np.flatnonzero(~blocked[: max(0, last + 1)])[-wanted:]  # the `wanted` latest free days up to `last`
        est = returns.iloc[free]
        if len(est) < max(min_estimation, 1):
            skipped.append((event_date, f"only {len(est)} returns in the estimation window (need {min_estimation})"))
            continue
        if pos + window[0] < 0 or pos + window[1] >= len(days):
            skipped.append((event_date, "the event window runs past the price data"))
            continue
        alpha, beta, sigma = market_model(est["benchmark_ret"].to_numpy(), est["ret"].to_numpy())
        win = returns.iloc[pos + window[0]: pos + window[1] + 1].copy()
        win["day_offset"] = range(window[0], window[1] + 1)
        win["expected"] = alpha + beta * win["benchmark_ret"]
        win["ar"] = win["ret"] - win["expected"]
        win["ar_t"] = win["ar"] / sigma if sigma > 0 else math.nan
        win["car"] = win["ar"].cumsum()
        k = np.arange(1, len(win) + 1)
        win["car_t"] = win["car"] / (sigma * np.sqrt(k)) if sigma > 0 else math.nan
        win = win.reset_index(names="date")[["day_offset", "date", "ret", "benchmark_ret", "expected", "ar", "ar_t",
                                             "car", "car_t"]]
        span = (int(free[0]), int(free[-1]))
        left_out = tuple(days[i] for i in np.flatnonzero(blocked[span[0]: last + 1]) + span[0])
        events.append(EventWindow(event_date, days[pos], alpha, beta, sigma, len(est), win,
                                  (days[span[0]], days[span[1]]), left_out, wanted - len(est)))
    return EventStudyResult(ticker, benchmark, estimation, window, events, skipped, tuple(days))


def day_ranges(chosen: Sequence[date], days: Sequence[date]) -> str:
    """Chosen trading days as runs of consecutive trading days: "2025-03-03…2025-03-17, 2025-05-02"."""
    index = {d: i for i, d in enumerate(days)}
    runs: list[list[date]] = []
    for d in sorted(chosen):
        if runs and index[d] == index[runs[-1][-1]] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ", ".join(f"{r[0]}…{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def market_model(market: np.ndarray, stock: np.ndarray) -> tuple[float, float, float]:
    """OLS alpha, beta and residual standard deviation (L - 2 degrees of freedom), by statsmodels."""
    x, y = np.asarray(market, dtype=float), np.asarray(stock, dtype=float)
    if len(y) < 3 or np.ptp(x) == 0:
        # too few days, or a flat benchmark: beta is not identified, the stock's mean is the model
        alpha = float(y.mean()) if len(y) else math.nan
        sigma = float(np.std(y, ddof=2)) if len(y) > 2 else math.nan
        return alpha, 0.0, sigma
    fit = sm.OLS(y, sm.add_constant(x, has_constant="add")).fit()
    alpha, beta = (float(v) for v in fit.params)
    return alpha, beta, math.sqrt(float(fit.scale))


def prices_from_store(con: duckdb.DuckDBPyConnection, tickers: Sequence[str] = ()) -> pd.DataFrame:
    """Daily closes (date, ticker, close) from the store's `market_prices` dataset."""
    if not has_table(con, MARKET_PRICES):
        raise PriceDataError("no market prices in the store: collect them (`actorwatch collect market --tracker T`) "
                             "or import a daily price CSV (`actorwatch import prices.csv`)")
    where = f"WHERE ticker IN ({', '.join('?' for _ in tickers)})" if tickers else ""
    frame = con.execute(f"SELECT date, ticker, close FROM {MARKET_PRICES} {where} ORDER BY ticker, date",
                        list(tickers)).df()
    return _normalise(frame, MARKET_PRICES)


def read_prices_csv(path: str | Path) -> pd.DataFrame:
    """Daily closes from a CSV with at least the columns date, ticker, close; a row without a close is an error."""
    try:
        frame = pd.read_csv(path, skip_blank_lines=False).dropna(how="all")  # the index stays the line number - 2
    except (OSError, ValueError) as exc:
        raise PriceDataError(f"{path}: cannot read prices ({exc}); it must be a UTF-8 CSV with the columns "
                             "date,ticker,close") from None
    if "close" in frame.columns and frame["close"].isna().any():
        # dropping them silently would turn the next close's return into a two-day return
        lines = [int(i) + 2 for i in frame.index[frame["close"].isna()]]
        shown = ", ".join(map(str, lines[:10])) + (f" and {len(lines) - 10} more" if len(lines) > 10 else "")
        raise PriceDataError(f"{path}: {len(lines)} row(s) without a close value (line {shown}); fill them in or "
                             "remove them (`actorwatch import` reports and skips such rows)")
    return _normalise(frame, str(path))


def _normalise(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    missing = [c for c in PRICE_COLUMNS if c not in frame.columns]
    if missing:
        raise PriceDataError(f"{where}: missing column(s) {missing}; prices need date, ticker, close")
    out = frame[list(PRICE_COLUMNS)].copy()
    try:
        out["date"] = pd.to_datetime(out["date"]).dt.date
        out["close"] = pd.to_numeric(out["close"])
    except (ValueError, TypeError) as exc:
        raise PriceDataError(f"{where}: bad date or close value ({exc}); give dates as YYYY-MM-DD and closes as "
                             "numbers") from None
    # a return from a close of 0 (or below, or infinite) is infinite or meaningless, and would reach every CAR after it
    bad = out["close"].notna() & ~(np.isfinite(out["close"]) & (out["close"] > 0))
    if bad.any():
        first = out[bad].iloc[0]
        raise PriceDataError(f"{where}: {int(bad.sum())} close value(s) not a positive number, e.g. {first['close']} for "
                             f"{first['ticker']} on {first['date']}")
    return out.dropna(subset=["close"])


def _returns(prices: pd.DataFrame, ticker: str, benchmark: str) -> pd.DataFrame:
    frame = _normalise(prices, "prices")
    wide = frame.pivot_table(index="date", columns="ticker", values="close", aggfunc="last").sort_index()
    for name in (ticker, benchmark):
        if name not in wide.columns:
            raise PriceDataError(f"no prices for {name!r} (have: {', '.join(map(str, wide.columns))})")
    both = wide[[ticker, benchmark]].dropna()  # trading days on which both have a close
    rets = both.pct_change().iloc[1:]
    return pd.DataFrame({"ret": rets[ticker], "benchmark_ret": rets[benchmark]})
