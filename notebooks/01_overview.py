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
# # Overview: the numbers and charts of the dashboard's Overview page
#
# Recomputes the Overview for one tracker: records, authors, the share of negative records with its Wilson 95%
# interval clustered by author (`analysis.stats.aggregate.kpis`, `analysis.stats.clustered`), and the page's two registered charts, `overview-volume` (daily
# records by source, zero-filled) and `overview-sentiment` (daily shares with 95% intervals), drawn by the
# same chart registry the dashboard and `actorwatch chart` use: the same view gives the same numbers.
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

from analysis.core.filters import Filters, days_phrase
from analysis.core.wording import share_text
from collectors.store import Store
from collectors.trackers import get_tracker, public_names
from dashboard.charts import registry
from dashboard.model_info import model_summary

tracker = get_tracker(os.environ.get("ACTORWATCH_TRACKER", "iqiyi-nadou"))
con = Store().connect(public_names=public_names())
model = model_summary(con, tracker.id)
view = registry.View(Filters.for_tracker(tracker), model["version"])
print(f"{tracker.name_en}: {view.filters.start} to {view.filters.end}; sentiment model {model['label']}. {days_phrase()}")

# %% [markdown]
# ## Headline numbers

# %%
from analysis.stats.aggregate import kpis

k = kpis(con, view.filters, view.model_version)
print(f"records {k['records']:,} · authors {'unknown' if k['authors'] is None else format(k['authors'], ',')} · "
      f"synthetic share {share_text(k['synthetic_share'])}")
if k["synthetic_share"] > 0:
    print(f"SYNTHETIC: {share_text(k['synthetic_share'])} of these records are generated demo data, not real posts")
if k["share_negative"] is not None:
    lo, hi = k["share_negative_ci"]
    print(f"share negative {k['share_negative']:.1%} (95% CI {lo:.1%}–{hi:.1%}, {k['scored']:,} scored)")
else:
    print("no sentiment scores in this view: run `actorwatch enrich`")

# %% [markdown]
# ## Daily records by source (chart `overview-volume`)

# %%
volume = registry.build("overview-volume", con, view, model)
print(volume.alt)
volume.fig  # noqa: B018 (the notebook shows the figure)

# %%
volume.data.pivot_table(index="day", columns="source", values="records", aggfunc="sum").head(15)

# %% [markdown]
# ## Daily sentiment with 95% intervals (chart `overview-sentiment`)

# %%
sentiment = registry.build("overview-sentiment", con, view, model)
print(sentiment.alt)
sentiment.fig  # noqa: B018 (the notebook shows the figure)

# %%
sentiment.data.head(15)

# %%
summary = {"records": k["records"], "authors": k["authors"], "share_negative": k["share_negative"],
           "synthetic_share": k["synthetic_share"], "model_version": view.model_version,
           "volume_total": int(volume.data["records"].sum()), "volume_rows": len(volume.data),
           "sentiment_n": int(sentiment.data["n"].sum()) if len(sentiment.data) else 0,
           "sentiment_negative": [None if pd.isna(v) else float(v) for v in sentiment.data.get("negative", [])]}
print("SUMMARY " + json.dumps(summary))
