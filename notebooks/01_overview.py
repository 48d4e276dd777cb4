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
# # Overview: the numbers on the dashboard's Overview page
#
# Loads the local store (`$ACTORWATCH_DATA`, else the repository's `data/`) and recomputes the Overview
# for one tracker over its default window: records, authors, the share of negative records with its
# Wilson 95% interval, daily volume by source and daily sentiment. Every number comes from the same
# `analysis` functions the dashboard calls, so the two agree by construction.
#
# Set `ACTORWATCH_TRACKER` (default `iqiyi-nadou`) and, for another trackers file, `ACTORWATCH_TRACKERS_FILE`.
# If the store holds the demo corpus, the records are SYNTHETIC.

# %%
import json
import os

import pandas as pd

from analysis.core.filters import Filters
from analysis.nlp.model_info import latest_model_version
from analysis.stats.aggregate import daily_sentiment, daily_volume, kpis
from collectors.store import Store
from collectors.trackers import load_trackers

tracker_id = os.environ.get("ACTORWATCH_TRACKER", "iqiyi-nadou")
tracker = next(t for t in load_trackers(os.environ.get("ACTORWATCH_TRACKERS_FILE")) if t.id == tracker_id)
store = Store()
con = store.connect(public_names=tracker.public_names())
f = Filters.for_tracker(tracker)
model_version = latest_model_version(con)
print(f"{tracker.name_en}: {f.start} to {f.end} (UTC); sentiment model version {model_version}")

# %% [markdown]
# ## Headline numbers

# %%
k = kpis(con, f, model_version)
print(f"records {k['records']:,} · authors {'unknown' if k['authors'] is None else format(k['authors'], ',')} · synthetic share {k['synthetic_share']:.0%}")
if k["share_negative"] is not None:
    lo, hi = k["share_negative_ci"]
    print(f"share negative {k['share_negative']:.1%} (95% CI {lo:.1%}–{hi:.1%}, {k['scored']:,} scored)")

# %% [markdown]
# ## Daily volume by source (zero-filled: a quiet day is 0)

# %%
volume = daily_volume(con, f)
volume.pivot_table(index="day", columns="source", values="records", aggfunc="sum").head(15)

# %% [markdown]
# ## Daily share negative with 95% intervals

# %%
sentiment = daily_sentiment(con, f, model_version) if model_version else pd.DataFrame()
sentiment[["day", "n", "negative", "negative_lo", "negative_hi"]].head(15) if len(sentiment) else "no scores"

# %%
summary = {"records": k["records"], "authors": k["authors"], "share_negative": k["share_negative"],
           "volume_total": int(volume["records"].sum()), "volume_rows": len(volume),
           "sentiment_n": int(sentiment["n"].sum()) if len(sentiment) else 0}
print("SUMMARY " + json.dumps(summary))
