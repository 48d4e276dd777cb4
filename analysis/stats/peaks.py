"""Peaks (robust spikes against a trailing median/MAD baseline), their labels, and sentiment change points."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from analysis.core.filters import Filters
from analysis.stats import facts
from analysis.stats.timeseries import sentiment_series, volume_series
from collectors.display_zone import as_utc

MAD_TO_SD = 1.4826  # MAD of a normal distribution times this is its standard deviation
PEAK_COLUMNS = ["day", "value", "baseline", "score"]
MIN_BASELINE_DAYS = 3  # a point needs this many before it to be scored (robust_scores' min_periods)


def robust_scores(series: pd.Series, window: int = 7, min_periods: int = MIN_BASELINE_DAYS, min_scale: float = 1.0,
                  counts: bool = True, n: pd.Series | None = None) -> pd.DataFrame:
    """Per point: the trailing baseline (median of the `window` previous points) and the robust z-score.

    score = (value - baseline) / scale, scale = max(1.4826 × MAD, min_scale, √baseline if `counts`).
    The current point is not part of its own baseline, so a spike cannot hide itself. A MAD over a
    week is itself noisy, so floors keep quiet stretches from scoring high: `min_scale` is the smallest
    noise level in the series' units (1 record; e.g. 0.03 for shares) and, for counts, Poisson noise
    (√baseline) is the least a count varies. For a share over `n` records, the binomial noise of the baseline
    at that point's n (√(b(1−b)/n)) is the least it varies: a thin day's share moves by chance more than the
    baseline days' MAD shows. Points with fewer than `min_periods` previous points get NaN.
    """
    values = series.astype(float)
    previous = values.shift(1).rolling(window, min_periods=min_periods)
    baseline = previous.median()
    # a missing point (e.g. a day with too few records for a share) is left out, like in the median
    mad = pd.Series(_rolling_mad(values.shift(1).to_numpy(), window, min_periods), index=values.index)
    scale = np.maximum(MAD_TO_SD * mad, min_scale)
    if counts:
        scale = np.maximum(scale, np.sqrt(baseline.clip(lower=0)))
    if n is not None:
        b = baseline.clip(0, 1)
        scale = np.maximum(scale, np.sqrt(b * (1 - b) / n.astype(float).where(n > 0)).fillna(0))
    return pd.DataFrame({"value": values, "baseline": baseline, "score": (values - baseline) / scale})


def _rolling_mad(values: np.ndarray, window: int, min_periods: int) -> np.ndarray:
    """Per point, the median absolute deviation from the median of the `window` values up to it (NaNs left out, as
    np.nanmedian leaves them), or NaN with fewer than `min_periods` values: a rolling apply of nanmedian, all windows
    at once (called per window, it was most of a peak detection's ~10 ms)."""
    if not len(values):
        return np.array([], dtype=float)
    padded = np.concatenate([np.full(window - 1, np.nan), values.astype(float)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, window)
    count = (~np.isnan(windows)).sum(axis=1)
    centre = _row_medians(windows, count)
    mad = _row_medians(np.abs(windows - centre[:, None]), count)
    return np.where(count >= min_periods, mad, np.nan)


def _row_medians(rows: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Each row's median of its `count` non-NaN values (NaN sorts last), as np.median takes it: the middle value, or
    the mean of the middle two; NaN for a row without any."""
    ordered = np.sort(rows, axis=1)
    at = np.arange(len(rows))
    low, high = ordered[at, np.maximum((count - 1) // 2, 0)], ordered[at, np.maximum(count // 2, 0)]
    with np.errstate(invalid="ignore"):
        return np.where(count == 0, np.nan, np.where(count % 2 == 1, low, (low + high) / 2))


def detect_peaks(series: pd.Series, window: int = 7, threshold: float = 3.5, min_periods: int = MIN_BASELINE_DAYS,
                 min_scale: float = 1.0, counts: bool = True, merge: bool = True,
                 n: pd.Series | None = None, bridge: int = 0) -> pd.DataFrame:
    """Days whose value stands `threshold` robust z-scores above the trailing baseline.

    `series` is indexed by day (zero-filled: a missing day must be 0). With `merge`, a run of
    consecutive flagged days (a spike and its decay) is reported once, on its highest-scoring day, with
    `run_start` and `run_end` its first and last flagged days; flagged days with at most `bridge` unflagged days
    between them are one run (a storm whose baseline climbs with it can dip under the threshold for a day). For shares
    pass `counts=False`, a `min_scale` in share units and `n`. Returns columns day, value, baseline, score, run_start,
    run_end, sorted by day.
    """
    return _flag(robust_scores(series, window, min_periods, min_scale, counts, n), threshold, merge, bridge)


def _flag(scored: pd.DataFrame, threshold: float, merge: bool, bridge: int = 0) -> pd.DataFrame:
    """The points of a robust_scores frame (indexed by day) scoring `threshold` or more, runs merged (detect_peaks).

    Runs are of positions in the frame; each run's row is its first highest score. With arrays: pandas' groupby of the
    runs (transform min/max of dates, idxmax) cost ~7 ms, most of a peak detection."""
    score = scored["score"].to_numpy(dtype=float)
    hit = np.flatnonzero(score >= threshold)
    if not len(hit):
        return pd.DataFrame(columns=[*PEAK_COLUMNS, "run_start", "run_end"])
    days = [_as_date(d) for d in scored.index[hit]]
    if merge:
        breaks = (np.flatnonzero(np.diff(hit) > 1 + bridge) + 1).tolist()
        runs = list(zip([0, *breaks], [*breaks, len(hit)], strict=True))
    else:
        runs = [(i, i + 1) for i in range(len(hit))]
    rows = [a + int(np.argmax(score[hit[a:b]])) for a, b in runs]
    at = hit[rows]
    return pd.DataFrame({
        "day": [days[i] for i in rows], "value": scored["value"].to_numpy()[at],
        "baseline": scored["baseline"].to_numpy()[at], "score": score[at],
        "run_start": [min(days[a:b]) for a, b in runs], "run_end": [max(days[a:b]) for a, b in runs],
    }).sort_values("day").reset_index(drop=True)


HISTORY_DAYS = 28  # stored days before a view read as its first days' baseline (a view's peaks are the data's)
# a source collecting at least this many records a day (its median) that has none for a day is more likely not to have
# been collected than quiet (a Poisson count of mean 5 is 0 under 1 day in 100)
GAP_TYPICAL = 5.0


def _records_by_source(by_source: pd.DataFrame, day: str) -> tuple[dict[str, np.ndarray], list[date]]:
    """Records per source (each an array over the days) of a `volume_series(by="source")` frame, and its days, in
    order; rows without a day or a source are left out. As a pivot table would give them, in a dict: pandas'
    pivot_table cost ~4 ms a call, twice on each Overview view."""
    present = (by_source[day].notna() & by_source["source"].notna()).to_numpy()
    cells = [(d, s) for d, s, keep in zip(by_source[day].tolist(), by_source["source"].tolist(), present, strict=True)
             if keep]
    records = by_source["records"].to_numpy()[present]
    days = sorted({d for d, _ in cells})
    row = {d: i for i, d in enumerate(days)}
    counts = {source: np.zeros(len(days), dtype=records.dtype) for source in sorted({s for _, s in cells})}
    for (d, source), n in zip(cells, records, strict=True):
        counts[source][row[d]] += n
    return counts, [_as_date(d) for d in days]


def collection_gaps(by_source: pd.DataFrame, typical: float = GAP_TYPICAL, window: int = 7, min_days: int = 3,
                    day: str = "period") -> set[date]:
    """Days of a zero-filled `volume_series(by="source")` frame on which some source was not collected.

    A run of days with no record of a source counts as not collected when the source collected again after it and
    its median over the `window` days before the run is at least `typical`: a collector that stopped and was
    restarted. Those days are unknown for the
    tracker's totals, not quiet days (the day collection resumes is no spike against them, nor a share that mixes
    sources differently a jump). A run up to the frame's last day is left alone: it lowers the totals only, and its
    last day may be today, which a source collecting once a day has not reached yet. So is a run the frame starts
    with: a source with nothing before a storm and hundreds of posts on its first day is the storm, not a source
    added later (at least 3 days of it before the run are needed). So is a run shorter than
    `min_days`: a feed that publishes on weekdays only has quiet weekends, and a day or two without a source moves the
    median of a 7-day baseline little.
    """
    return {d for runs in source_gaps(by_source, typical, window, min_days, day).values() for first, last in runs
            for d in pd.date_range(first, last).date}


def source_gaps(by_source: pd.DataFrame, typical: float = GAP_TYPICAL, window: int = 7, min_days: int = 3,
                day: str = "period") -> dict[str, list[tuple[date, date]]]:
    """`collection_gaps` per source: source -> its runs of uncollected days (first, last), in order."""
    if by_source.empty:
        return {}
    counts, days = _records_by_source(by_source, day)
    gaps: dict[str, list[tuple[date, date]]] = {}
    for source, values in counts.items():
        i = 0
        while i < len(values):
            if values[i]:
                i += 1
                continue
            end = i
            while end < len(values) and not values[end]:
                end += 1
            before = values[max(0, i - window):i]
            if end < len(values) and end - i >= min_days and len(before) >= 3 and np.median(before) >= typical:
                gaps.setdefault(str(source), []).append((days[i], days[end - 1]))
            i = end
    return gaps


def stopped_sources(by_source: pd.DataFrame, since: date, typical: float = GAP_TYPICAL, window: int = 7,
                    day: str = "period") -> dict[str, tuple[date, float]]:
    """Sources of a zero-filled `volume_series(by="source")` frame with no record from `since` on that collected at
    least `typical` a day (median of the `window` days up to their last record) before: likely no longer collected.
    Source -> (its last day with records, that median)."""
    if by_source.empty:
        return {}
    counts, days = _records_by_source(by_source, day)
    out = {}
    for source, values in counts.items():
        held = np.flatnonzero(values)
        if not len(held) or days[held[-1]] >= since:
            continue
        typical_then = float(np.median(values[max(0, held[-1] - window + 1):held[-1] + 1]))
        if typical_then >= typical:
            out[str(source)] = (days[held[-1]], typical_then)
    return out


def uncollected_days(con: duckdb.DuckDBPyConnection, f: Filters) -> set[date]:
    """`collection_gaps` of the tracker's sources over `f`'s days (languages, kinds and entities aside: collection is
    per source)."""
    return collection_gaps(volume_series(con, Filters(f.tracker, f.start, f.end, f.sources), by="source"))


def without_days(series: pd.Series, days: set[date]) -> pd.Series:
    """`series` (indexed by day) without `days`: neither judged nor part of a baseline, and the baseline of the days
    after reaches back over them (a storm after a gap is judged against the days before it, not left unjudged)."""
    return series[[_as_date(d) not in days for d in series.index]] if days else series


SHARE_MIN_SCALE = 0.03  # a share moving less than 3 points is never a jump
MIN_SHARE_N = 30  # a day with fewer scored records has too noisy a share to be judged (jumps, "most negative day")


def share_jumps(sentiment: pd.DataFrame, label: str = "negative", min_n: int = MIN_SHARE_N, threshold: float = 3.5,
                day: str = "period", unknown: set[date] | None = None, bridge: int = 0) -> pd.DataFrame:
    """Days whose share of `label` jumps above its trailing baseline (from a zero-filled sentiment_series frame).

    Days with fewer than `min_n` scored records are not judged (their share is too noisy) and do not
    enter later baselines; a judged day's noise is at least the binomial noise of the baseline at its effective
    size: its n over the design effect of its share (the frame's <label>_deff, analysis.stats.clustered; n itself
    without one), so a day whose share one account's many posts make is judged as the few authors it is.
    A judged day after too few judged days (often a storm's first: the days before it were thin) is judged
    against the previous 7 days' pooled share, if they hold `min_n` scored records between them, with that
    pooled share's own binomial noise (at the days' effective sizes) added to the day's. `unknown` days
    (`uncollected_days`) are neither judged nor part of a baseline. With the frame's <label>_lo/_hi, each jump
    carries its day's band as lo, hi. `bridge` as for detect_peaks.
    """
    if unknown:  # uncollected days (collection_gaps) are left out, as by without_days
        sentiment = sentiment[[_as_date(d) not in unknown for d in sentiment[day]]]
    share = series_by_day(sentiment, label, day)
    n = series_by_day(sentiment, "n", day).astype(float)
    deff = series_by_day(sentiment, f"{label}_deff", day).astype(float) if f"{label}_deff" in sentiment else 1.0
    effective = n / deff
    scored = robust_scores(share.where(n >= min_n), counts=False, min_scale=SHARE_MIN_SCALE, n=effective)
    window_n = n.shift(1).rolling(7, min_periods=1).sum()
    window_effective = effective.shift(1).rolling(7, min_periods=1).sum()
    pooled = ((share.fillna(0) * n).shift(1).rolling(7, min_periods=1).sum() / window_n).where(window_n >= min_n)
    use = scored["baseline"].isna() & scored["value"].notna() & pooled.notna()
    if use.any():
        b = pooled[use]
        noise = np.sqrt(b * (1 - b) / window_effective[use] + b * (1 - b) / effective[use])
        scored.loc[use, "baseline"] = b
        scored.loc[use, "score"] = (scored.loc[use, "value"] - b) / np.maximum(noise, SHARE_MIN_SCALE)
    jumps = _flag(scored, threshold, merge=True, bridge=bridge)
    if f"{label}_lo" in sentiment and len(jumps):
        lo, hi = (series_by_day(sentiment, f"{label}{end}", day) for end in ("_lo", "_hi"))
        jumps = jumps.assign(lo=[float(lo[d]) for d in jumps["day"]], hi=[float(hi[d]) for d in jumps["day"]])
    return jumps


MOST_SHARED = "coalesce(r.shares, 0) DESC, coalesce(r.likes, 0) DESC, r.published_at, r.source, r.id"


def label_peaks(con: duckdb.DuckDBPyConnection, f: Filters, peaks: pd.DataFrame, k: int = 5,
                n_records: int = 3, max_texts: int = 500, texts_only: bool = False,
                counted: bool = False) -> pd.DataFrame:
    """For each peak day: its records, top `k` terms and the `n_records` most-shared records.

    The day's `max_texts` most-shared records are read from `records_public` (ordinary users pseudonymised,
    @mentions masked) without the view pseudonymising the whole day (see `_most_shared_public_rows`); the
    day's count comes from the pre-aggregated facts where the connection has them. Top terms use
    `analysis.nlp.topics.top_terms` when that module exists, else jieba's TF-IDF keywords, over those texts.
    With `texts_only` each top record is its text alone ({"text": ...}, as the full summary's): the view's other
    columns are not read, so it plans and pseudonymises half as much (~11 of ~22 ms CPU a peak at 1M records).
    `counted`: the peaks' `value` is each day's record count under `f` (they were found in its daily volume series),
    not asked again.
    """
    rows = []
    values = peaks["value"].tolist() if counted and len(peaks) else [None] * len(peaks)
    for day, value in zip(peaks["day"] if len(peaks) else [], values, strict=True):
        day_f = Filters(f.tracker, _as_date(day), _as_date(day), f.sources, f.langs, f.kinds)
        where, params = day_f.where("r")
        total = round(value) if value is not None else facts.record_count(con, day_f)
        if total is None:
            total = con.execute(f"SELECT count(*) FROM records r WHERE {where}", params).fetchone()[0]
        frame = _most_shared_public_rows(con, where, params, max_texts, facts.shared_floor(con, day_f, max_texts),
                                         TEXT_COLUMNS if texts_only else SUMMARY_COLUMNS)
        texts = [_text(t, h) for t, h in zip(frame["text"], frame["title"], strict=True)]
        top = ([{"text": text[:SUMMARY_TEXT]} for text in texts[:n_records]] if texts_only else
               [_record_summary(row) for row in frame.head(n_records).to_dict(orient="records")])
        rows.append({"day": _as_date(day), "records": int(total), "top_terms": top_terms(texts, k), "top_records": top})
    return pd.DataFrame(rows, columns=["day", "records", "top_terms", "top_records"])


SUMMARY_COLUMNS = ("source", "id", "kind", "author_name", "text", "title", "url", "published_at", "shares", "likes")
TEXT_COLUMNS = ("text", "title")
SUMMARY_TEXT = 280  # characters of a top record's text kept in its summary


def _most_shared_public_rows(con: duckdb.DuckDBPyConnection, where: str, params: list[Any], limit: int,
                             floor: tuple[int, int] | None | bool = False,
                             columns: Sequence[str] = SUMMARY_COLUMNS) -> pd.DataFrame:
    """The `limit` most-shared rows matching `where`, read from `records_public`, most shared first.

    The share and like counts of the `limit`-th row (`floor`, when the facts gave it: facts.shared_floor) are found
    on `records` first (two numbers per row, no text); the view is then asked only for rows at least that shared, so
    it pseudonymises a few hundred rows rather than the whole day (~950,000 rows on a peak day of a 10M-record store).
    """
    shares, likes = "coalesce(r.shares, 0)", "coalesce(r.likes, 0)"
    last = floor if floor is not False else con.execute(
        f"SELECT {shares}, {likes} FROM records r WHERE {where} ORDER BY 1 DESC, 2 DESC LIMIT 1 OFFSET ?",
        [*params, limit - 1]).fetchone()
    floor, floor_params = ("", []) if last is None else (
        f" AND ({shares} > ? OR ({shares} = ? AND {likes} >= ?))", [last[0], last[0], last[1]])
    return con.execute(
        f"SELECT {', '.join('public_id(r.source, r.id) AS id' if c == 'id' else f'r.{c}' for c in columns)} "
        f"FROM records_public r WHERE {where}{floor} "
        f"ORDER BY {MOST_SHARED} LIMIT ?", [*params, *floor_params, limit]).df()


def top_terms(texts: list[str], k: int = 5) -> list[str]:
    """The `k` most characteristic terms of these texts (the topics helper's function if available)."""
    if not texts:
        return []
    try:
        from analysis.nlp.topics import top_terms as topic_terms  # written by the topics work; optional here
    except ImportError:
        topic_terms = None
    if topic_terms is not None:
        return list(topic_terms(texts, k))
    import jieba.analyse

    return [str(t) for t in jieba.analyse.extract_tags("\n".join(texts), topK=k)]


def change_points(series: pd.Series, n: pd.Series | None = None, min_size: int = 3, penalty: float | None = None,
                  min_shift: float = 0.0, max_changes: int = 5) -> list[date]:
    """Days where the level of a (share) series changes, by binary segmentation.

    With `n` (the records behind each share) the cost is the binomial negative log-likelihood, so
    days with few records weigh little; without it, a Gaussian cost with the noise estimated from
    successive differences (MAD). A split is kept when it lowers the cost by more than `penalty`
    (default: BIC-like 3·log of the total weight) and the two sides' levels differ by at least
    `min_shift`, and the `min_size` days either side of it sit at their own side's level (a sustained
    shift, not a blip). Returns the first day of each new segment, sorted.
    """
    values = series.astype(float).to_numpy()
    weights = np.ones_like(values) if n is None else n.astype(float).to_numpy()
    ok = ~np.isnan(values) & (weights > 0)
    days = [_as_date(d) for d in np.asarray(series.index)[ok]]
    x, w = values[ok], weights[ok]
    if len(x) < 2 * min_size:
        return []
    if n is None:
        diffs = np.diff(x)
        sigma = MAD_TO_SD * np.median(np.abs(diffs - np.median(diffs))) / math.sqrt(2) if len(diffs) else 0.0
        sigma = sigma or (float(np.std(x)) or 1.0)
        cost = _gaussian_cost(x / sigma)
    else:
        cost = _binomial_cost(x * w, w)
    pen = penalty if penalty is not None else 3 * math.log(max(w.sum(), 2.0))
    found: list[int] = []
    segments = [(0, len(x))]
    while segments and len(found) < max_changes:
        best: tuple[float, int, tuple[int, int]] | None = None
        for lo, hi in segments:
            split = _best_split(cost, x, w, lo, hi, min_size, min_shift)
            if split and split[0] > pen and (best is None or split[0] > best[0]):
                best = (split[0], split[1], (lo, hi))
        if best is None:
            break
        _gain, at, (lo, hi) = best
        found.append(at)
        segments.remove((lo, hi))
        segments += [(lo, at), (at, hi)]
    return sorted(days[i] for i in found)


def sentiment_change_points(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str,
                            label: str = "negative", **kw: Any) -> list[date]:
    """Days where the daily share of `label` changes level (binomial cost, weighted by scored records)."""
    frame = sentiment_series(con, f, model_version)
    if frame.empty:
        return []
    return change_points(series_by_day(frame, label), n=series_by_day(frame, "n"), **kw)


def _best_split(cost: Any, x: np.ndarray, w: np.ndarray, lo: int, hi: int, min_size: int,
                min_shift: float) -> tuple[float, int] | None:
    whole = cost(lo, hi)
    best = None
    for at in range(lo + min_size, hi - min_size + 1):
        left, right = np.average(x[lo:at], weights=w[lo:at]), np.average(x[at:hi], weights=w[at:hi])
        if abs(left - right) < min_shift:
            continue
        # a level change must be sustained: the days on each side of the split sit at their own side's level,
        # so a one-day blip near a segment's end is not reported as a change a few days earlier
        head, tail = np.median(x[at:at + min_size]), np.median(x[at - min_size:at])
        if abs(head - right) >= abs(head - left) or abs(tail - left) >= abs(tail - right):
            continue
        gain = whole - cost(lo, at) - cost(at, hi)
        if best is None or gain > best[0]:
            best = (gain, at)
    return best


def _gaussian_cost(z: np.ndarray) -> Any:
    def cost(lo: int, hi: int) -> float:
        seg = z[lo:hi]
        return float(((seg - seg.mean()) ** 2).sum())

    return cost


def _binomial_cost(k: np.ndarray, n: np.ndarray) -> Any:
    def cost(lo: int, hi: int) -> float:
        ks, ns = k[lo:hi].sum(), n[lo:hi].sum()
        p = ks / ns
        if p <= 0 or p >= 1:
            return 0.0
        return float(-2 * (ks * math.log(p) + (ns - ks) * math.log(1 - p)))

    return cost


def _text(text: Any, title: Any) -> str:
    return " ".join(str(v) for v in (title, text) if isinstance(v, str) and v)


def _record_summary(row: dict[str, Any]) -> dict[str, Any]:
    def count(value: Any) -> int | None:
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else int(value)

    def text(value: Any) -> str | None:  # a NULL read into pandas beside strings is NaN, not None
        return value if isinstance(value, str) else None

    return {"source": row["source"], "id": row["id"], "kind": row["kind"], "author": text(row["author_name"]),
            "text": _text(row["text"], row["title"])[:SUMMARY_TEXT], "url": text(row["url"]),
            "published_at": as_utc(pd.Timestamp(row["published_at"])).isoformat(),
            "shares": count(row["shares"]), "likes": count(row["likes"])}


def _as_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, pd.Timestamp):
        return value if type(value) is date else value.date()  # datetime -> date
    return pd.Timestamp(value).date()


def series_by_day(frame: pd.DataFrame, value: str, day: str = "period") -> pd.Series:
    """A zero-filled frame's column as a Series indexed by day (what detect_peaks takes)."""
    return pd.Series(frame[value].to_numpy(), index=[_as_date(d) for d in frame[day]], name=value)


__all__ = ["MIN_BASELINE_DAYS", "change_points", "collection_gaps", "detect_peaks", "label_peaks", "robust_scores", "sentiment_change_points",
           "series_by_day", "share_jumps", "source_gaps", "stopped_sources", "top_terms", "uncollected_days", "without_days"]
