"""Numbers of the hot-search view: a tracker's trending topics, their spans and heat, its share of the list,
and the cross-check of curated events/statements/claims against what trended.

Everything is computed from the `trend_observations` view (and the list totals of `trend_lists`, see
`list_snapshots`). Times in returned frames are UTC (tz-aware); the
`*_bj` columns are the same instants as naive Beijing wall-clock times (UTC+8) for charts, whose axes say so.
A "day" is a Beijing day: the list's own day.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from collectors.hot_search import BEIJING, TREND_LISTS
from collectors.trackers import Tracker
from collectors.urls import web_url

TZ_LABEL = "Beijing time, UTC+8"
_OBS_COLUMNS = ["topic", "topic_en", "url", "observed_at", "heat", "peak_heat", "status", "first_seen", "snapshot",
                "list_heat", "synthetic"]
INTRADAY_MIN_SNAPSHOTS = 3  # a day with at least this many snapshots has hour-by-hour data
# A list this soon after a topic's last listing is taken as the next one the archive made (its intraday lists are
# at most ~3.5 h apart): one leaving the topic out dates its exit. Lists further on may follow unseen ones (one a
# day outside the storm, and the excerpt holds the topics of only the lists with tracker topics).
NEXT_LIST_WITHIN = np.timedelta64(6, "h")


def to_beijing(series: pd.Series) -> pd.Series:
    """UTC instants as naive Beijing wall-clock times (for chart axes labelled UTC+8)."""
    return pd.to_datetime(series, utc=True).dt.tz_convert(BEIJING).dt.tz_localize(None)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()[0])


def has_trends(con: duckdb.DuckDBPyConnection) -> bool:
    return _has_table(con, "trend_observations")


def tracker_has_trends(con: duckdb.DuckDBPyConnection, tracker_id: str) -> bool:
    """Whether the store holds any hot-search observation of the tracker's topics (on any day)."""
    return has_trends(con) and bool(con.execute(
        "SELECT EXISTS (SELECT 1 FROM trend_observations WHERE list_contains(trackers, ?))", [tracker_id]).fetchone()[0])


def tracker_observations(con: duckdb.DuckDBPyConnection, tracker_id: str, start: date | None = None,
                         end: date | None = None) -> pd.DataFrame:
    """Observations of the tracker's topics on Beijing days start..end (inclusive), oldest first."""
    if not has_trends(con):
        return pd.DataFrame(columns=[*_OBS_COLUMNS, "day", "observed_bj"])
    clauses, params = _day_clauses(start, end)
    clauses, params = ["list_contains(trackers, ?)", *clauses], [tracker_id, *params]
    present = {row[0] for row in con.execute("DESCRIBE trend_observations").fetchall()}
    # Stores written before a column existed (e.g. list_heat) read it as unknown rather than failing.
    select = ", ".join(c if c in present else f"NULL AS {c}" for c in _OBS_COLUMNS)
    df = con.execute(f"SELECT {select} FROM trend_observations WHERE {' AND '.join(clauses)} "
                     "ORDER BY observed_at, topic", params).df()
    for col in ("observed_at", "first_seen"):
        df[col] = pd.to_datetime(df[col], utc=True)
    df["observed_bj"] = to_beijing(df["observed_at"])
    df["day"] = df["observed_bj"].dt.date
    df["heat_peak"] = df["peak_heat"].fillna(df["heat"])
    return _without_repeated_day_lists(df)


def _day_clauses(start: date | None, end: date | None) -> tuple[list[str], list[object]]:
    """SQL conditions (and parameters) keeping `observed_at` on Beijing days start..end (inclusive)."""
    clauses: list[str] = []
    params: list[object] = []
    day_sql = "CAST(timezone('Asia/Shanghai', observed_at) AS DATE)"
    if start:
        clauses.append(f"{day_sql} >= ?")
        params.append(start)
    if end:
        clauses.append(f"{day_sql} <= ?")
        params.append(end)
    return clauses, params


def list_snapshots(con: duckdb.DuckDBPyConnection, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Every known snapshot of the trend list on Beijing days start..end, with its total heat, oldest first.

    Known from the stored list totals (`trend_lists`: the shipped excerpt, which keeps only tracker topics, records
    every snapshot of its days there) and from the observations of any topic (a live or imported list stores all
    its topics). Snapshots of unknown total are left out. On a day with `intraday/` snapshots the archive's
    `daily/` file (the last of them stored again) is left out, as in `tracker_observations`.
    """
    cols = ["snapshot", "observed_at", "list_heat", "day"]
    clauses, params = _day_clauses(start, end)
    where = " AND ".join(["list_heat IS NOT NULL", *clauses])
    sources = [name for name in (TREND_LISTS, "trend_observations") if _has_table(con, name)
               and "list_heat" in {row[0] for row in con.execute(f'DESCRIBE "{name}"').fetchall()}]
    if not sources:  # stores written before list_heat existed: no total known
        return pd.DataFrame(columns=cols)
    parts = [f'SELECT snapshot, observed_at, list_heat FROM "{name}" WHERE {where}' for name in sources]
    df = con.execute(f"SELECT snapshot, min(observed_at) AS observed_at, max(list_heat) AS list_heat "
                     f"FROM ({' UNION ALL '.join(parts)}) GROUP BY snapshot ORDER BY observed_at, snapshot",
                     params * len(parts)).df()
    df["observed_at"] = pd.to_datetime(df["observed_at"], utc=True)
    df["day"] = to_beijing(df["observed_at"]).dt.date
    return _without_repeated_day_lists(df)[cols]


def _without_repeated_day_lists(df: pd.DataFrame) -> pd.DataFrame:
    """Drop the archive's `daily/` rows on Beijing days that have `intraday/` snapshots.

    The daily file is the day's last intraday snapshot stored again (same list, `observed_at` seconds apart):
    kept, it counted every topic of the day's final list twice.
    """
    snaps = df["snapshot"].astype(str)
    intraday_days = set(df.loc[snaps.str.startswith("intraday/"), "day"])
    repeated = snaps.str.startswith("daily/") & df["day"].isin(intraday_days)
    return df[~repeated].reset_index(drop=True) if repeated.any() else df


def _utc_naive(series: pd.Series) -> np.ndarray:
    return pd.to_datetime(series, utc=True).dt.tz_localize(None).to_numpy()


def _spells(listed: pd.Series, snapshot_times: np.ndarray) -> int:
    """Separate runs of a topic on the list: a run ends where a snapshot between two sightings did not list it
    (marked gone, or absent from that snapshot's list). A stretch with no snapshot at all does not end a run."""
    times = np.sort(_utc_naive(listed))
    if not len(times):
        return 0
    between = (np.searchsorted(snapshot_times, times[1:], side="left")
               - np.searchsorted(snapshot_times, times[:-1], side="right"))
    return 1 + int((between > 0).sum())


def topic_spans(obs: pd.DataFrame) -> pd.DataFrame:
    """One row per topic: first seen, when it was gone, peak heat and when that peak was first recorded (both NA
    when no sighting of the topic reported a heat).

    `snapshots` counts the snapshots that listed the topic (not those marking it gone); `spells` how many
    separate times it was on the list (see `_spells`; the snapshots known are those of `obs`), so with
    `spells` > 1 the span from first seen to gone includes time off the list; `last_listed_at` is its last
    sighting on the list.

    `gone_at` is the first snapshot after its last sighting on the list — one marking it gone, or one whose list
    no longer holds it within NEXT_LIST_WITHIN (it left between the two, `marked_gone=True`: the archive's
    lists hold about 50 listed topics under a 100-topic cap, so a topic left out was off the list); otherwise
    (no such snapshot in `obs`) it ends at its last sighting. `peak_at` is the first
    snapshot whose current heat equals the peak, else the first that reports the peak.
    """
    cols = ["topic", "topic_en", "url", "first_seen", "gone_at", "marked_gone", "peak_heat", "peak_at",
            "snapshots", "spells", "last_listed_at", "synthetic"]
    if obs.empty:
        return pd.DataFrame(columns=cols)
    snapshot_times = np.unique(_utc_naive(obs["observed_at"]))
    rows = []
    for topic, part in obs.groupby("topic", sort=False):
        part = part.sort_values("observed_at")
        listed = part[part["status"] != "gone"]
        after = part[part["observed_at"] > listed["observed_at"].max()] if not listed.empty else part
        gone = after[after["status"] == "gone"]
        if not listed.empty and gone.empty:  # the next list left it out, if that list is the archive's next one
            last = _utc_naive(listed["observed_at"]).max()
            later = snapshot_times[(snapshot_times > last) & (snapshot_times <= last + NEXT_LIST_WITHIN)]
            if later.size:
                gone = pd.DataFrame({"observed_at": [pd.Timestamp(later[0], tz="UTC")]})
        heats = part["heat_peak"].dropna()
        peak = int(heats.max()) if len(heats) else None  # no sighting of the topic reported a heat: unknown
        at_peak = part[part["heat"] == peak] if peak is not None else part.iloc[:0]
        if at_peak.empty and peak is not None:
            at_peak = part[part["heat_peak"] == peak]
        rows.append({
            "topic": topic, "topic_en": next((t for t in part["topic_en"] if isinstance(t, str) and t), None),
            "url": web_url(part["url"].iloc[0]), "first_seen": part["first_seen"].fillna(part["observed_at"]).min(),
            "gone_at": gone["observed_at"].min() if not gone.empty else part["observed_at"].max(),
            "marked_gone": not gone.empty, "peak_heat": peak, "peak_at": at_peak["observed_at"].min(),
            "snapshots": int(listed["snapshot"].nunique()), "spells": _spells(listed["observed_at"], snapshot_times),
            "last_listed_at": listed["observed_at"].max(), "synthetic": bool(part["synthetic"].all()),
        })
    spans = pd.DataFrame(rows, columns=cols).sort_values(["first_seen", "topic"], ignore_index=True)
    spans["peak_heat"] = spans["peak_heat"].astype("Int64")  # NA where no sighting reported a heat
    for col in ("first_seen", "gone_at", "peak_at", "last_listed_at"):
        spans[f"{col}_bj"] = to_beijing(spans[col])
    return spans


def hourly_heat(obs: pd.DataFrame) -> pd.DataFrame:
    """Heat of each topic at every snapshot while it is listed, on the Beijing days with hour-by-hour snapshots.

    Rows marked `gone` are left out: the archive keeps a gone topic's last heat, which is not a reading.
    """
    cols = ["day", "topic", "observed_at", "observed_bj", "heat", "status", "snapshot"]
    if obs.empty:
        return pd.DataFrame(columns=cols)
    per_day = obs.groupby("day")["snapshot"].nunique()
    days = set(per_day[per_day >= INTRADAY_MIN_SNAPSHOTS].index)
    out = obs[obs["day"].isin(days) & (obs["status"] != "gone")][cols]
    return out.sort_values(["topic", "observed_at"], ignore_index=True)


def daily_share(obs: pd.DataFrame, lists: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per Beijing day: the tracker's topics' heat as a share of the day's list heat (never above 100%).

    Numerator: the sum over the tracker's topics seen that day (in a snapshot of known `list_heat`) of each
    one's highest (peak) heat that day. Denominator: the numerator plus the other topics' heat in the day's
    fullest snapshot (the one with the largest `list_heat`, the sum of every listed topic's peak so far; the
    earliest of equals) — among all the list's snapshots that day: those of `lists` (see `list_snapshots`),
    whether or not they hold a tracker topic, and those of `obs`. The archive's day list keeps at most 100
    topics, so a tracker topic can drop off it (or peak after it) — dividing by that snapshot's total alone then
    gave shares above 100%. `off_list` counts the tracker's topics the fullest snapshot did not hold. Days with
    no tracker topic are absent (share 0, or no snapshot that day).
    """
    cols = ["day", "topics", "snapshots", "tracker_heat", "list_heat", "share", "off_list"]
    known = obs.dropna(subset=["list_heat"]) if not obs.empty else obs
    if known.empty:
        return pd.DataFrame(columns=cols)
    snapshots = _day_snapshots(known, lists)
    known = known[known["snapshot"].isin(snapshots["snapshot"])]  # a day's repeated daily/ list, if lists show it
    fullest_of = (snapshots.sort_values(["list_heat", "observed_at", "snapshot"], ascending=[False, True, True])
                  .drop_duplicates("day").set_index("day"))
    rows = []
    for day, part in known.groupby("day", sort=True):
        fullest_snapshot, fullest_heat = fullest_of.loc[day, "snapshot"], int(fullest_of.loc[day, "list_heat"])
        fullest = part[part["snapshot"] == fullest_snapshot]
        tracker_heat = int(part.groupby("topic")["heat_peak"].max().sum())
        in_fullest = fullest.groupby("topic")["heat_peak"].max()
        others = max(0, fullest_heat - int(in_fullest.sum()))
        list_heat = others + tracker_heat
        rows.append({"day": day, "topics": int(part["topic"].nunique()), "snapshots": int(part["snapshot"].nunique()),
                     "tracker_heat": tracker_heat, "list_heat": list_heat,
                     "share": tracker_heat / list_heat if list_heat else None,
                     "off_list": int(part["topic"].nunique() - len(in_fullest))})
    return pd.DataFrame(rows, columns=cols)


def _day_snapshots(known: pd.DataFrame, lists: pd.DataFrame | None) -> pd.DataFrame:
    """One row per snapshot (day, snapshot, observed_at, list_heat) of `lists` and of `known`, without the
    archive's repeated `daily/` lists (see `_without_repeated_day_lists`)."""
    cols = ["day", "snapshot", "observed_at", "list_heat"]
    parts = [known.reindex(columns=cols)]  # a frame without observed_at: ties go to the first snapshot by name
    if lists is not None and not lists.empty:
        parts.append(lists[cols])
    both = pd.concat(parts, ignore_index=True)
    both["observed_at"] = pd.to_datetime(both["observed_at"], utc=True)
    both["list_heat"] = both["list_heat"].astype("int64")
    per_snapshot = both.groupby("snapshot", as_index=False).agg(
        day=("day", "first"), observed_at=("observed_at", "min"), list_heat=("list_heat", "max"))
    return _without_repeated_day_lists(per_snapshot)[cols]


def tracker_items(tracker: Tracker, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """The tracker's curated events and statements (dated by day only) for the shared time axis."""
    rows = [{"item_type": "event", "item_id": e.id, "date": e.date, "title": e.title_en, "kind": e.kind,
             "source_name": e.source_name, "source_url": str(e.source_url)} for e in tracker.events]
    rows += [{"item_type": "statement", "item_id": s.id, "date": s.date, "title": f"{s.who}: {s.summary}",
              "kind": s.stance, "source_name": s.source_name, "source_url": str(s.source_url)} for s in tracker.statements]
    df = pd.DataFrame(rows, columns=["item_type", "item_id", "date", "title", "kind", "source_name", "source_url"])
    if start:
        df = df[df["date"] >= start]
    if end:
        df = df[df["date"] <= end]
    return df.sort_values(["date", "item_type", "item_id"], ignore_index=True)


# ---------------------------------------------------------------- cross-check
_SPECIFIC_TYPES = {"executive", "studio", "performer", "union", "industry_body", "regulator", "company", "ai_performer"}
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
CROSSCHECK_COLUMNS = ["item_type", "item_id", "date", "title", "topic", "first_seen", "peak_heat", "peak_at", "score",
                      "url"]
MIN_SHARED_KEYWORDS = 2
DAYS_AROUND = 1  # a topic first seen up to a day before or after the item's date


def _bigrams(text: str) -> set[str]:
    return {run[i:i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)}


def _numbers(text: str) -> set[str]:
    return {n.rstrip("0").rstrip(".") if "." in n else n for n in _NUMBER.findall(text)}


def _items_for_crosscheck(tracker: Tracker) -> list[dict[str, object]]:
    """Each curated item: date, title, the text whose entity names count (`mentions`), the text whose
    keywords count (`keywords`, Chinese where we have it) and its own entity."""
    items: list[dict[str, object]] = [
        {"item_type": "event", "item_id": e.id, "date": e.date, "title": e.title_en, "entity": None,
         "mentions": f"{e.title_zh} {e.title_en}", "keywords": f"{e.title_zh} {e.title_en}"} for e in tracker.events]
    for s in tracker.statements:
        names = tracker.entity(s.entity).all_names()
        # A statement has no Chinese text: borrow the Chinese titles of same-day events from the same source
        # that name the statement's entity (e.g. the company's clarification and the event reporting it).
        # Only for keywords: a borrowed title names other people, who did not make this statement.
        borrowed = [e.title_zh for e in tracker.events if e.date == s.date and e.source_url == s.source_url
                    and any(n.lower() in f"{e.title_zh} {e.title_en}".lower() for n in names)]
        items.append({"item_type": "statement", "item_id": s.id, "date": s.date, "title": f"{s.who}: {s.summary}",
                      "entity": s.entity, "mentions": "", "keywords": " ".join([s.summary, *borrowed])})
    items += [{"item_type": "claim", "item_id": c.id, "date": c.date, "title": c.claim, "entity": c.made_by,
               "mentions": c.claim, "keywords": f"{c.claim} {c.note}"} for c in tracker.claims]
    return items


def crosscheck_score(tracker: Tracker, item: dict[str, object], topic: str) -> int:
    """How strongly a topic title matches a curated item: its specific entities, else shared keywords.

    Specific entities are people, studios, executives, unions, regulators and companies — not the platform or
    product, which every topic of the tracker names — that made the item or are named in it. If the item has
    any, the topic must name one (score 10) or scores 0. Otherwise the score is the number of Chinese character
    pairs shared with the item's text (the platform's own name left out) plus the numbers they share.
    """
    mentions = str(item["mentions"]).lower()
    specific = [e for e in tracker.entities if e.type in _SPECIFIC_TYPES
                and (e.id == item["entity"] or any(len(n) >= 2 and n.lower() in mentions for n in e.all_names()))]
    if specific:
        return 10 if any(len(n) >= 2 and n.lower() in topic.lower() for e in specific for n in e.all_names()) else 0
    text = str(item["keywords"])
    stop = {b for e in tracker.entities if e.type == "platform" for n in e.all_names() for b in _bigrams(n)}
    return len((_bigrams(text) & _bigrams(topic)) - stop) + len(_numbers(text) & _numbers(topic))


def trend_crosscheck(con: duckdb.DuckDBPyConnection, tracker: Tracker) -> pd.DataFrame:
    """Curated events, statements and claims with the trending topics that match them (best match first).

    Columns: item_type, item_id, date, title, topic, first_seen, peak_heat, peak_at (UTC), score, url. A topic
    matches when it is one of the tracker's topics, was first seen (Beijing day) within a day of the item's
    date, and scores at least MIN_SHARED_KEYWORDS (see `crosscheck_score`).
    """
    spans = topic_spans(tracker_observations(con, tracker.id))
    rows = []
    if not spans.empty:
        spans["first_day"] = to_beijing(spans["first_seen"]).dt.date
        for item in _items_for_crosscheck(tracker):
            day = item["date"]
            near = spans[(spans["first_day"] >= day - timedelta(days=DAYS_AROUND))  # type: ignore[operator]
                         & (spans["first_day"] <= day + timedelta(days=DAYS_AROUND))]  # type: ignore[operator]
            for span in near.itertuples(index=False):
                score = crosscheck_score(tracker, item, span.topic)
                if score >= MIN_SHARED_KEYWORDS:
                    rows.append({"item_type": item["item_type"], "item_id": item["item_id"], "date": day,
                                 "title": item["title"], "topic": span.topic, "first_seen": span.first_seen,
                                 "peak_heat": span.peak_heat, "peak_at": span.peak_at, "score": score, "url": span.url})
    df = pd.DataFrame(rows, columns=CROSSCHECK_COLUMNS)
    order = {"event": 0, "statement": 1, "claim": 2}
    if df.empty:
        return df
    df["_order"] = df["item_type"].map(order)
    df = df.sort_values(["_order", "date", "item_id", "score", "peak_heat"], ascending=[True, True, True, False, False])
    return df.drop(columns="_order").reset_index(drop=True)
