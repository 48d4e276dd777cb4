"""The hot-search charts (Weibo trending topics of a tracker): loaders over analysis.hot_search, figures in charts_hot.

The sidebar's dates are taken as Beijing days (the list's own clock); source and language filters do not apply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd

from collectors.hot_search import ARCHIVE_COMMIT, ARCHIVE_REPO
from dashboard import charts_hot
from dashboard.chart_registry import ChartDef, View, register, require

ARCHIVE_SOURCE = (f"Weibo hot search, recorded by github.com/{ARCHIVE_REPO} (snapshot {ARCHIVE_COMMIT[:12]}); "
                  "topic titles are trending headlines, not verified facts")
LIVE_SOURCE = "Weibo hot search (actorwatch collector); topic titles are trending headlines, not verified facts"
PAGE = "hot-search"


def source_line(observations: pd.DataFrame) -> str:
    """Credit the archive when its snapshots are in view, else the live collector."""
    snaps = observations["snapshot"].astype(str) if not observations.empty else pd.Series(dtype=str)
    return ARCHIVE_SOURCE if snaps.str.match(r"^(daily|intraday)/").any() else LIVE_SOURCE


def _load(con: duckdb.DuckDBPyConnection, view: View, analyse: str) -> pd.DataFrame:
    """analysis.hot_search.<analyse> over the tracker's observations, credited to where they came from."""
    hot_search = require("analysis.hot_search")
    f = view.filters
    obs = hot_search.tracker_observations(con, f.tracker, f.start, f.end)
    frame = getattr(hot_search, analyse)(obs)
    frame.attrs["source"] = source_line(obs)
    # attrs hold plain lists: pandas compares attrs when combining frames, which DataFrames cannot do
    frame.attrs["items"] = hot_search.tracker_items(view.tracker, f.start, f.end).to_dict("records")
    return frame


def _source(df: pd.DataFrame, view: View) -> str:
    return str(df.attrs.get("source") or LIVE_SOURCE)


def _items(df: pd.DataFrame) -> pd.DataFrame:
    """The tracker's curated events and statements in the view (analysis.hot_search.tracker_items)."""
    return pd.DataFrame(df.attrs.get("items", []),
                        columns=["item_type", "item_id", "date", "title", "kind", "source_name", "source_url"])


def times_table(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """CSV-ready copy: each instant as UTC ISO text and as Beijing wall-clock text (the `*_bj` columns dropped)."""
    to_beijing = require("analysis.hot_search").to_beijing
    out = frame.copy()
    for col in columns:
        utc = pd.to_datetime(out[col], utc=True)
        out[f"{col}_utc"] = utc.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        out[f"{col}_beijing_utc8"] = to_beijing(utc).dt.strftime("%Y-%m-%d %H:%M:%S")
    return out.drop(columns=[*columns, *(c for c in out.columns if c.endswith("_bj"))])


def _register(key: str, title: str, description: str, analyse: str, draw: Callable[[pd.DataFrame, str], Any],
              describe: Callable[[pd.DataFrame, str], str], table: Callable[[pd.DataFrame], pd.DataFrame],
              notes: str = "") -> None:
    register(ChartDef(
        name=f"hot-search-{key}", title=f"{title} — {{tracker}}", page=PAGE, description=description,
        load=lambda con, view: _load(con, view, analyse),
        draw=lambda df, view, model: draw(df, f"{title} — {view.tracker.name_en}"),
        describe=lambda df, view, model: describe(df, view.tracker.name_en),
        needs=("analysis.hot_search",), source=_source, table=table, notes=notes))


_register("timeline", "Trending topics and curated events",
          "Each Weibo hot-search topic of the tracker from first seen to gone, its peak heat, and the tracker's dated "
          "events and statements (Beijing time).", "topic_spans",
          draw=lambda df, title: charts_hot.timeline_chart(df, _items(df), title),
          describe=lambda df, label: charts_hot.timeline_alt(df, _items(df), label),
          table=lambda df: times_table(df, ["first_seen", "gone_at", "peak_at"]),
          notes="Bars run from first seen to the first snapshot marking the topic gone (or its last sighting).")
_register("hourly", "Heat hour by hour on the event days",
          "Heat of each hot-search topic of the tracker at every snapshot, on days with hourly snapshots.",
          "hourly_heat", draw=charts_hot.hourly_chart, describe=charts_hot.hourly_alt,
          table=lambda df: times_table(df, ["observed_at"]))
_register("share", "Share of the whole hot-search list's heat",
          "Per Beijing day, the tracker's topics' peak heat as a share of the whole list's heat.", "daily_share",
          draw=charts_hot.share_chart, describe=charts_hot.share_alt,
          table=lambda df: df.assign(day=df["day"].astype(str)),
          notes="Share = sum of the tracker topics' peak heat that day / the largest whole-list heat that day.")
