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
# # Industry impact: a market-model event study (chart `industry-market`)
#
# Fits R_stock = α + β·R_benchmark on trading days −120…−11 before each event, then reports abnormal
# returns (AR) and cumulative abnormal returns (CAR) with t-statistics over days −5…+5
# (`analysis.stats.market.event_study`; MacKinlay 1997), drawn by the same chart registry as the dashboard's
# Industry page and `actorwatch chart industry-market`. Prices come from the store's `market_prices` dataset
# (`actorwatch collect market --tracker T` or `actorwatch import prices.csv`); the ticker and benchmark are the
# tracker's `queries.market` / `queries.benchmark`. Without prices for both the notebook says what is missing
# and stops there.
#
# The demo store holds no market prices (`actorwatch demo` generates records only, never prices). An abnormal
# return on an event's date is an association, not proof the event moved the price.
#
# **Demo data is synthetic.** On a store built by `actorwatch demo` the records are generated, not real posts
# (the `synthetic share` below says how many); only numbers from a store you collected describe real reactions.
#
# The tracker is `$ACTORWATCH_TRACKER` (default `iqiyi-nadou`), one of `data/trackers.toml`, the file the
# dashboard reads; the store is `$ACTORWATCH_DATA` (else the repository's `data/`). The view is the dashboard's
# default for that tracker: its collection window, every source and language, and the model the dashboard
# shows for it (the tracker's adapted model when it has one).

# %%
import json
import os

import pandas as pd

from analysis.core.filters import Filters
from collectors.store import Store
from collectors.trackers import get_tracker, public_names
from dashboard.charts import registry
from dashboard.model_info import model_summary

tracker = get_tracker(os.environ.get("ACTORWATCH_TRACKER", "iqiyi-nadou"))
con = Store().connect(public_names=public_names())
model = model_summary(con, tracker.id)
view = registry.View(Filters.for_tracker(tracker), model["version"])
from dashboard.charts.industry import market_symbols

ticker, benchmark = market_symbols(view)
print(f"{tracker.name_en}: {ticker or '(no ticker)'} against {benchmark or '(no benchmark)'}")

# %%
try:
    package = registry.build("industry-market", con, view, model)
except registry.AnalysisPending as exc:
    package = None
    print(f"No event study: {exc}")
if package is not None:
    for when, reason in package.data.attrs.get("skipped", []):
        print(f"skipped {when}: {reason}")
    print(package.alt)

# %%
package.fig if package is not None else "no market prices: nothing to draw"  # noqa: B018

# %% [markdown]
# ## Per event: α, β, CAR and its t-statistic

# %%
events = pd.DataFrame(package.data.attrs.get("summary", [])) if package is not None else pd.DataFrame()
events.round(4) if len(events) else "no event could be estimated"

# %%
summary = {str(row["event_date"]): {k: row.get(k) for k in ("alpha", "beta", "car", "car_t")}
           for row in events.to_dict(orient="records")} if len(events) else {}
print("SUMMARY " + json.dumps(summary, default=float))
