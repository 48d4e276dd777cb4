"""Volume and sentiment over time, per source, language or entity, with 95% intervals and zero-filled gaps.

A period with no records is a row with 0 records (and NaN shares), never a skipped row, so charts and
peak detection see quiet days as quiet. Periods are days (`freq="D"`) or ISO weeks starting on Monday (`freq="W"`,
labelled by the Monday) of the display time zone (collectors.display_zone; UTC by default).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.stats.proportion import proportion_confint

from analysis.core.annotations import annotations_scan, tracker_entities_sql
from analysis.core.filters import Filters
from analysis.core.scores import LABELS, SCORES
from analysis.core.tables import has_table
from analysis.nlp.text import spellings
from analysis.stats import clustered, facts
from collectors.trackers import Tracker

BY_OPTIONS: tuple[str | None, ...] = (None, "source", "lang", "entity", "outlet")
FREQS = ("D", "W")
SHARE_COLUMNS: list[str] = [f"{lab}{suf}" for lab in LABELS for suf in ("", "_lo", "_hi")]
DEFF_COLUMNS: list[str] = [f"{lab}_deff" for lab in LABELS]  # each band's design effect (analysis.stats.clustered)
OUTLET_KIND = "article"  # by="outlet": the publisher (author_name) of news articles; outlets are public
UNNAMED_OUTLET = "(unnamed outlet)"
_KEY_SQL = {"source": "r.source", "lang": "coalesce(r.lang, 'und')", "entity": "m.entity",
            "outlet": f"coalesce(nullif(trim(r.author_name), ''), '{UNNAMED_OUTLET}')"}


def wilson_interval(k: Any, n: Any, z: float = 1.959964) -> tuple[Any, Any]:
    """Wilson score interval for k successes in n trials (statsmodels' proportion_confint); NaN where n == 0.

    `z` picks the level (1.96 → 95%).
    """
    k_arr, n_arr = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    alpha = _alpha(z)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k_arr / n_arr
        lo, hi = proportion_confint(k_arr, np.where(n_arr > 0, n_arr, 1), alpha=alpha, method="wilson")
        # clip away floating-point error: the interval always holds p and lies in [0, 1] (k = n gives hi = 1)
        lo = np.where(n_arr > 0, np.clip(np.minimum(lo, p), 0, 1), np.nan)
        hi = np.where(n_arr > 0, np.clip(np.maximum(hi, p), 0, 1), np.nan)
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


@lru_cache(maxsize=8)
def _alpha(z: float) -> float:
    """The two-sided level of `z` (scipy's normal cdf costs ~0.3 ms a call, three per series)."""
    return 2 * (1 - norm.cdf(z))


def period_start(day: date, freq: str = "D") -> date:
    """The first day of the period containing `day` (itself for days, the Monday for weeks)."""
    _check_freq(freq)
    return day - timedelta(days=day.weekday()) if freq == "W" else day


def periods(start: date, end: date, freq: str = "D") -> list[date]:
    """Every period start from the period of `start` to the period of `end`, inclusive."""
    first, last = period_start(start, freq), period_start(end, freq)
    step = 7 if freq == "W" else 1
    return [first + timedelta(days=i) for i in range(0, (last - first).days + 1, step)]


def zero_fill(frame: pd.DataFrame, index: list[date], values: list[str], key: str | None = None,
              keys: list[Any] | None = None, column: str = "period") -> pd.DataFrame:
    """Reindex `frame` onto every period in `index` (× every key), filling missing counts with 0."""
    # plain arrays and dict lookups throughout: built with pandas (to_datetime(...).dt.date, MultiIndex.from_product,
    # Series.map, a column set at a time) this cost ~4-5 ms a call, and a view's charts call it half a dozen times
    days = _day_list(frame[column]) if len(frame) else []
    if key is None:
        all_keys: list[Any] = []
        names: list[str] = [column]
    else:
        observed = frame[key].dropna().unique().tolist() if len(frame) else []
        all_keys = sorted(set(observed) | set(keys or []), key=str)
        names = [column, key]
    width = len(all_keys) if key is not None else 1
    size = len(index) * width
    if size == 0:
        return pd.DataFrame({name: [] for name in [*names, *values]})
    periods_col = np.empty(size, dtype=object)
    periods_col[:] = [day for day in index for _ in range(width)]
    out = {column: periods_col}
    if key is not None:
        out[key] = pd.Index(all_keys)[np.tile(np.arange(width), len(index))]
    if len(frame) == 0:
        return pd.DataFrame({**out, **{v: np.zeros(size, dtype="int64") for v in values}})
    # each row's cell (period-major, as the index runs), found by dict lookups
    at = {day: i for i, day in enumerate(index)}
    if key is None:
        cells = [at.get(day) for day in days]
    else:
        slot = {k: j for j, k in enumerate(all_keys)}
        cells = [None if (i := at.get(day)) is None or (j := slot.get(k)) is None else i * width + j
                 for day, k in zip(days, frame[key].tolist(), strict=True)]
    kept = np.array([c is not None for c in cells], dtype=bool)
    rows = np.array([c for c in cells if c is not None], dtype=np.int64)
    if len(np.unique(rows)) < len(rows):  # as reindex does: two counts for one cell are an error, not a sum
        raise ValueError("cannot reindex on an axis with duplicate labels")
    for v in values:
        counts = np.zeros(size, dtype="int64")
        counts[rows] = _int_counts(frame[v].to_numpy()[kept])  # a missing (NaN) count fails, as before
        out[v] = counts
    return pd.DataFrame(out)


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _day_list(column: pd.Series) -> list[date | None]:
    """A column of days (datetime64, or anything pd.to_datetime reads) as a list of dates (None where missing)."""
    if column.dtype.kind != "M":
        column = pd.to_datetime(column)
    stamps = column.to_numpy().astype("datetime64[D]")
    ordinals = stamps.astype(np.int64) + _EPOCH_ORDINAL
    return [None if missing else date.fromordinal(int(o)) for o, missing in zip(ordinals, np.isnat(stamps), strict=True)]


def _int_counts(values: np.ndarray) -> np.ndarray:
    """Counts as int64; a missing (NaN) count raises, as pandas' astype does."""
    if values.dtype.kind in "iub":
        return values.astype(np.int64)
    return pd.Series(values).astype("int64").to_numpy()


def mentions_sql(con: duckdb.DuckDBPyConnection, tracker: Tracker | None = None,
                 within: Filters | None = None) -> tuple[str, list[Any]]:
    """A subquery of rows (source, id, entity): one per record and entity it mentions.

    From the `annotations` dataset (each record's newest annotation; with a tracker, only its entities) when
    present; otherwise a record mentions an entity when its text or title contains one of the entity's names
    (case-insensitive).
    """
    # imported here: analysis.core.annotations imports analysis.stats.aggregate, which is built on this module

    scan = annotations_scan(con)
    if scan is not None:
        entities, params = tracker_entities_sql("a", tracker) if tracker else ("a.entities", [])
        return f"(SELECT a.source, a.id, unnest({entities}) AS entity FROM {scan} a)", params
    # each name in every spelling a text may use (張若昀 for 张若昀); a Latin edge must stand as a word's, as the
    # annotations' matcher reads it (no "Ma Su" in "cinema summer"): checked only where the name is contained
    pairs = [(e.id, form, _word_pattern(form)) for e in (tracker.entities if tracker else []) for name in e.all_names()
             for form in dict.fromkeys(f.lower() for f in spellings(name))]
    if not pairs:
        return "(SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS id, NULL::VARCHAR AS entity WHERE false)", []
    values = ", ".join("(?, ?, ?)" for _ in pairs)
    # `within`: match names only in the records the caller will keep (the text search is the costly part)
    where, params = within.where("x") if within else ("true", [])
    return (f"""(SELECT DISTINCT x.source, x.id, n.entity
                 FROM (SELECT x.source, x.id, lower(coalesce(x.text, '') || ' ' || coalesce(x.title, '')) AS body
                       FROM records x WHERE {where}) x
                 JOIN (VALUES {values}) AS n(entity, name, word) ON contains(x.body, n.name)
                      AND (n.word IS NULL OR regexp_matches(x.body, n.word)))""",
            [*params, *(v for pair in pairs for v in pair)])


_WORD_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


def _word_pattern(name: str) -> str | None:
    """An RE2 pattern finding the lower-cased `name` with no Latin letter or digit against a Latin edge of it; None
    where neither edge is Latin (a Chinese name is found by containment alone)."""
    before, after = name[:1] in _WORD_CHARS, name[-1:] in _WORD_CHARS
    if not (before or after):
        return None
    body = "".join(f"\\{ch}" if ch in r".^$|?*+()[]{}\\" else ch for ch in name)
    return f"{'(^|[^a-z0-9])' if before else ''}{body}{'($|[^a-z0-9])' if after else ''}"


def volume_series(con: duckdb.DuckDBPyConnection, f: Filters, by: str | None = None, freq: str = "D",
                  tracker: Tracker | None = None, top: int | None = None) -> pd.DataFrame:
    """Records per period (and per `by` key), zero-filled: columns period, [by], records.

    by="entity" counts a record once per entity it mentions (see `mentions_sql`; pass the tracker so
    name matching works, and so entities with no mentions still appear as zeros). by="outlet" counts
    news articles (kind = article) per publishing outlet (their author_name). With `top`, the `top` keys
    with the most records keep their own rows and the rest are summed into one key "(N other <by>s)".
    """
    if by in _FACT_KEYS and facts.has_facts(con):
        frame = _from_facts(con, facts.FACTS_RECORDS, f, by, freq, "CAST(sum(x.n) AS BIGINT) AS records")
    else:
        select, join, group, params = _parts(con, f, by, freq, tracker)
        where, wparams = _where(f, by)
        frame = con.execute(
            f"SELECT {select}, count(*) AS records FROM records r {join} WHERE {where} GROUP BY {group}",
            [*params, *wparams],
        ).df()
    frame = _finish(frame, f, by, freq, tracker, ["records"])
    return _keep_top(frame, by, top) if by and top else frame


def _keep_top(frame: pd.DataFrame, by: str, top: int) -> pd.DataFrame:
    totals = frame.groupby(by)["records"].sum().sort_values(ascending=False, kind="stable")
    rest = totals.index[top:]
    if len(rest) < 2:  # folding a single key into "1 other" would hide its name for nothing
        return frame
    other = f"({len(rest)} other {by}s)"
    folded = frame.assign(**{by: frame[by].where(~frame[by].isin(rest), other)})
    order = [*totals.index[:top], other]
    folded = folded.groupby(["period", by], sort=False, as_index=False)["records"].sum()
    folded[by] = pd.Categorical(folded[by], categories=order)
    return folded.sort_values(["period", by]).assign(**{by: lambda d: d[by].astype(str)}).reset_index(drop=True)


def sentiment_series(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str, by: str | None = None,
                     freq: str = "D", tracker: Tracker | None = None) -> pd.DataFrame:
    """Scored records per period (and `by` key) and each label's share with Wilson 95% intervals clustered by author.

    Columns: period, [by], n, negative, negative_lo, negative_hi, neutral…, positive…, then each label's design
    effect (negative_deff…; analysis.stats.clustered: an author's posts in the period are one cluster, and the band
    is Wilson's at n / deff; 1, the plain band, when no author has two scored records there); shares are NaN where
    n == 0. Empty (with those columns) when the store has no scores.
    """
    cols = ["period", *([by] if by else []), "n", *SHARE_COLUMNS, *DEFF_COLUMNS]
    if not has_table(con, SCORES):
        _check_by(by)
        return pd.DataFrame(columns=cols)
    keys = ("period", *([by] if by else []))
    _check_freq(freq)
    # from the author-day facts, already summed per author and day, where they hold the view: no grouping per author
    query = clustered.facts_sums_sql(con, f, model_version, freq, by == "source") if by in (None, "source") else None
    if query is None and by in _FACT_KEYS and has_table(con, facts.FACTS_AUTHOR_SCORES):
        counts = ", ".join(f"sum(x.k_{lab}) AS k_{lab}" for lab in LABELS)
        per_author, params = _facts_sql(facts.FACTS_AUTHOR_SCORES, f, by, freq, f"x.author, sum(x.n) AS n, {counts}",
                                        ("x.model_version = ?", model_version))
        query = clustered.sums_sql(per_author, keys, LABELS), params
    elif query is None:
        select, join, _group, params = _parts(con, f, by, freq, tracker)
        where, wparams = _where(f, by)
        counts = ", ".join(f"count(*) FILTER (WHERE s.label = '{lab}') AS k_{lab}" for lab in LABELS)
        per_author = f"""SELECT {select}, {facts.author_key('r')} AS author, count(*) AS n, {counts} FROM records r
                         JOIN {SCORES} s ON s.source = r.source AND s.id = r.id AND s.model_version = ?
                         {join} WHERE {where} GROUP BY ALL"""
        query = clustered.sums_sql(per_author, keys, LABELS), [model_version, *params, *wparams]
    frame = con.execute(*query).df()
    frame = _finish(frame, f, by, freq, tracker, ["n", *(f"k_{lab}" for lab in LABELS), *clustered.sum_columns()])
    return add_shares(frame)[cols]


def add_shares(frame: pd.DataFrame) -> pd.DataFrame:
    """Add <label>, <label>_lo, <label>_hi from k_<label> and n columns (Wilson 95%), and <label>_deff.

    With the per-author sums of analysis.stats.clustered (authors, kk_<label>, kn_<label>, nn) the band is Wilson's at
    the effective size n / deff; without them every record counts as its own author (deff 1)."""
    n = frame["n"].to_numpy()
    added: dict[str, Any] = {}
    for label in LABELS:
        k = frame[f"k_{label}"].to_numpy()
        deff = (clustered.design_effects(n, k, frame["authors"], frame[f"kk_{label}"], frame[f"kn_{label}"],
                                         frame["nn"]) if "authors" in frame else np.ones(len(frame)))
        lo, hi = wilson_interval(k / deff, n / deff)
        with np.errstate(invalid="ignore", divide="ignore"):
            added[label] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
        added[f"{label}_lo"], added[f"{label}_hi"], added[f"{label}_deff"] = lo, hi, deff
    # joined at once: twelve columns set one by one cost ~7 ms, a third of a day series' load
    return pd.concat([frame.drop(columns=[c for c in added if c in frame]), pd.DataFrame(added, index=frame.index)],
                     axis=1)


def _check_freq(freq: str) -> None:
    if freq not in FREQS:
        raise ValueError(f"freq must be one of {FREQS}, not {freq!r}")


def _check_by(by: str | None) -> None:
    if by not in BY_OPTIONS:
        raise ValueError(f"by must be one of {BY_OPTIONS}, not {by!r}")


def _where(f: Filters, by: str | None) -> tuple[str, list[Any]]:
    where, params = f.where("r")
    if by == "outlet":
        return f"{where} AND r.kind = ?", [*params, OUTLET_KIND]
    return where, params


def _parts(con: duckdb.DuckDBPyConnection, f: Filters, by: str | None, freq: str,
           tracker: Tracker | None) -> tuple[str, str, str, list[Any]]:
    _check_by(by)
    _check_freq(freq)
    period = "CAST(date_trunc('week', r.published_at) AS DATE)" if freq == "W" else "CAST(r.published_at AS DATE)"
    select, group, join, params = f"{period} AS period", "1", "", []
    if by:
        select += f", {_KEY_SQL[by]} AS {by}"
        group = "1, 2"
    if by == "entity":
        sub, params = mentions_sql(con, tracker, within=f)
        join = f"JOIN {sub} m ON m.source = r.source AND m.id = r.id"
    return select, join, group, params


_FACT_KEYS = (None, "source", "lang")  # the `by` keys the facts tables hold (see analysis.stats.facts)


def _from_facts(con: duckdb.DuckDBPyConnection, table: str, f: Filters, by: str | None, freq: str, values: str,
                extra: tuple[str, Any] | None = None) -> pd.DataFrame:
    """The same grouped counts as the records query, summed from a pre-aggregated facts table."""
    sql, params = _facts_sql(table, f, by, freq, values, extra)
    return con.execute(sql, params).df()


def _facts_sql(table: str, f: Filters, by: str | None, freq: str, values: str,
               extra: tuple[str, Any] | None = None) -> tuple[str, list[Any]]:
    """`values` per period (and `by` key, and any other plain column `values` names) of a facts table."""
    _check_freq(freq)
    where, params = facts.where(f, "x")
    if extra:
        where, params = f"{where} AND {extra[0]}", [*params, extra[1]]
    period = "CAST(date_trunc('week', x.day) AS DATE)" if freq == "W" else "x.day"
    key = {"source": ", x.source AS source", "lang": ", coalesce(x.lang, 'und') AS lang"}.get(by or "", "")
    return f"SELECT {period} AS period{key}, {values} FROM {table} x WHERE {where} GROUP BY ALL", params


def _finish(frame: pd.DataFrame, f: Filters, by: str | None, freq: str, tracker: Tracker | None,
            values: list[str]) -> pd.DataFrame:
    if f.start and f.end:
        index = periods(f.start, f.end, freq)
    elif len(frame):
        days = pd.to_datetime(frame["period"]).dt.date
        index = periods(days.min(), days.max(), freq)
    else:
        index = []
    keys = [e.id for e in tracker.entities] if (by == "entity" and tracker) else None
    return zero_fill(frame, index, values, by, keys)


def stored_span(con: duckdb.DuckDBPyConnection, f: Filters, tracker: Tracker) -> Filters:
    """The days from the first to the last record of `f`'s sources within the tracker's collection window (its
    languages and kinds aside: collection is per source); no day at all when the store holds none."""
    collected = Filters.for_tracker(tracker)
    return span_of(volume_series(con, Filters(f.tracker, collected.start, collected.end, f.sources)), f.tracker, collected)


def span_of(series: pd.DataFrame, tracker_id: str, collected: Filters) -> Filters:
    """`stored_span` read from a zero-filled volume_series frame (by any key) of the view's sources over at least the
    tracker's collection window `collected` (days outside it are left out)."""
    held = series.loc[series["records"] > 0, "period"]
    days = pd.to_datetime(pd.Series([d for d in held if collected.start <= d <= collected.end], dtype=object))
    if days.empty:
        return Filters(tracker_id, collected.end, collected.start)  # start after end: clips every side to nothing
    return Filters(tracker_id, days.min().date(), days.max().date())
