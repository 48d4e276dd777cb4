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
# # Event effects: before vs after each dated event (chart `timeline-effects`)
#
# For each sourced event of the tracker: mean records per day and the share of negative records in the
# `window` days before vs the event day and the days after: the difference in records per day with a Welch t 95%
# interval over days, in negative share with Newcombe's 95% score interval clustered by author (posts of one day
# still counted as independent), each with a permutation p-value (records per day: over days; negative share: whole
# authors shuffled between the sides, not posts), one per event and not adjusted for how many events are compared
# (`analysis.stats.effects.event_effects`), drawn by the same chart registry as the
# dashboard's Timeline page and `actorwatch chart timeline-effects`: the same view gives the same numbers.
# `ACTORWATCH_WINDOW` sets the window (the chart's `window` option, 2–30 days; default 3).
#
# **Association, not causation**: other things happened on the same days. Several events on one day share
# the same windows, so their rows are the same comparison, not independent evidence; events a few days apart share
# some days (the `overlaps` column names them), so their differences are not separate either.
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

from analysis.core.filters import Filters
from collectors.store import Store
from collectors.trackers import get_tracker, public_names
from dashboard.charts import registry
from dashboard.model_info import model_summary

tracker = get_tracker(os.environ.get("ACTORWATCH_TRACKER", "iqiyi-nadou"))
con = Store().connect(public_names=public_names())
model = model_summary(con, tracker.id)
view = registry.View(Filters.for_tracker(tracker), model["version"])
window = os.environ.get("ACTORWATCH_WINDOW", "")
view = view.with_options(window=window)
print(f"{tracker.name_en}: {len(tracker.events)} dated events; sentiment model {model['label']}")

# %%
from analysis.stats.effects import ASSOCIATION_NOTE

package = registry.build("timeline-effects", con, view, model)
effects = package.data
print(ASSOCIATION_NOTE)
print("Data:", package.source)
shown = ["event_id", "date", "volume_before", "volume_after", "volume_diff", "volume_ci_lo", "volume_ci_hi", "volume_p",
         "neg_diff", "neg_ci_lo", "neg_ci_hi", "neg_p"]
effects[[c for c in shown if c in effects.columns]].round(3)

# %%
package.fig  # noqa: B018 (the notebook shows the figure)

# %%
summary = {row["event_id"]: {"volume_diff": row["volume_diff"], "neg_diff": row["neg_diff"]}
           for row in effects.to_dict(orient="records")}
print("SUMMARY " + json.dumps(summary, default=float))
