# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Industry impact: a market-model event study
#
# Fits R_stock = α + β·R_benchmark on trading days −120…−11 before each event, then reports abnormal
# returns (AR) and cumulative abnormal returns (CAR) with t-statistics over days −5…+5
# (`analysis.stats.market.event_study`; MacKinlay 1997). Prices come from the store's `market_prices` dataset or
# from a CSV with columns date,ticker,close (`ACTORWATCH_PRICES`). The ticker and benchmark default to the
# tracker's `queries.market` / `queries.benchmark`; override with `ACTORWATCH_TICKER` / `ACTORWATCH_BENCHMARK`.
#
# An abnormal return on an event's date is an association, not proof the event moved the price.

# %%
import json
import os

from analysis.stats.market import event_study, prices_from_store, read_prices_csv
from collectors.store import Store
from collectors.trackers import load_trackers

tracker_id = os.environ.get("ACTORWATCH_TRACKER", "iqiyi-nadou")
tracker = next(t for t in load_trackers(os.environ.get("ACTORWATCH_TRACKERS_FILE")) if t.id == tracker_id)
ticker = os.environ.get("ACTORWATCH_TICKER") or (tracker.queries.market or [""])[0]
benchmark = os.environ.get("ACTORWATCH_BENCHMARK") or tracker.queries.benchmark
prices_csv = os.environ.get("ACTORWATCH_PRICES")
prices = read_prices_csv(prices_csv) if prices_csv else prices_from_store(Store().connect(), [ticker, benchmark])
print(f"{ticker} against {benchmark}: {len(prices):,} daily closes, {prices['date'].min()} to {prices['date'].max()}")

# %%
result = event_study(prices, ticker, benchmark, sorted({e.date for e in tracker.events}))
for when, reason in result.skipped:
    print(f"skipped {when}: {reason}")
result.summary().round(4)

# %% [markdown]
# ## Abnormal returns around the first event

# %%
result.events[0].abnormal.round(4) if result.events else "no event could be estimated"

# %% [markdown]
# ## Averaged over events (CAAR)

# %%
result.caar().round(4)

# %%
summary = {str(e.event_date): {"alpha": e.alpha, "beta": e.beta, "car": e.car, "car_t": e.car_t} for e in result.events}
print("SUMMARY " + json.dumps(summary))
