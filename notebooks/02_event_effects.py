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
# # Event effects: before vs after each dated event
#
# For each sourced event of the tracker: mean records per day and the share of negative records in the
# `window` days before vs the event day and the days after, the difference with a bootstrap 95% interval
# and a permutation p-value (`analysis.stats.effects.event_effects`, as on the dashboard's timeline).
#
# **Association, not causation**: other things happened on the same days. Several events on one day share
# the same windows, so their rows are the same comparison, not independent evidence.

# %%
import json
import os

from analysis.core.filters import Filters
from analysis.nlp.model_info import latest_model_version
from analysis.stats.effects import ASSOCIATION_NOTE, event_effects
from collectors.store import Store
from collectors.trackers import load_trackers

tracker_id = os.environ.get("ACTORWATCH_TRACKER", "iqiyi-nadou")
tracker = next(t for t in load_trackers(os.environ.get("ACTORWATCH_TRACKERS_FILE")) if t.id == tracker_id)
con = Store().connect(public_names=tracker.public_names())
model_version = latest_model_version(con)
WINDOW, N_BOOT, SEED = 3, 2000, 0

# %%
effects = event_effects(con, Filters(tracker.id), tracker, model_version, window=WINDOW, n_boot=N_BOOT, seed=SEED)
print(ASSOCIATION_NOTE)
effects[["event_id", "date", "volume_before", "volume_after", "volume_diff", "volume_ci_lo", "volume_ci_hi",
         "volume_p", "neg_diff", "neg_ci_lo", "neg_ci_hi", "neg_p"]].round(3)

# %%
summary = {row["event_id"]: {"volume_diff": row["volume_diff"], "neg_diff": row["neg_diff"]}
           for row in effects.to_dict(orient="records")}
print("SUMMARY " + json.dumps(summary, default=float))
