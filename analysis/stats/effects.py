"""Before/after windows around each dated event: differences with 95% intervals and permutation p-values.

These are associations, not causation: other things happen on the same days, and attention would
often have moved anyway. Every label built from this module says so (see ASSOCIATION_NOTE).
"""

from __future__ import annotations

import math
import warnings
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
from scipy.stats import permutation_test, ttest_ind
from statsmodels.stats.proportion import confint_proportions_2indep

from analysis.core.filters import Filters
from analysis.core.scores import SCORES
from analysis.core.tables import has_table
from analysis.stats.clustered import (
    AuthorSums,
    author_counts,
    author_sums,
    cluster_permutation_p,
    hypergeometric_p,
)
from analysis.stats.timeseries import stored_span, volume_series
from collectors.trackers import Tracker

ASSOCIATION_NOTE = ("Association, not causation: the difference between the days before and after an event "
                    "also reflects anything else that happened then.")
EFFECT_COLUMNS = ["event_id", "date", "title", "kind",
                  "volume_before", "volume_after", "volume_diff", "volume_ci_lo", "volume_ci_hi", "volume_p",
                  "neg_before", "neg_after", "neg_diff", "neg_ci_lo", "neg_ci_hi", "neg_p", "neg_n_before", "neg_n_after",
                  "neg_deff_before", "neg_deff_after", "overlaps"]


def event_effects(con: duckdb.DuckDBPyConnection, f: Filters, tracker: Tracker, model_version: str | None,
                  window: int = 3, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """For each of the tracker's events: mean daily volume and negative share before vs after.

    "Before" is the `window` days before the event day; "after" is the event day and the `window - 1`
    days following. Volume: difference of mean records per day, Welch's t 95% interval (`mean_diff_ci`; days
    treated as independent) and an exact/Monte-Carlo permutation p-value over days (with
    3 days a side there are only 20 splits, so p cannot go below 0.1: widen `window` for power).
    Negative share: difference of proportions among scored records (neg_n_before, neg_n_after of them), Newcombe's
    score interval clustered by author (neg_deff_before/after: each side's design effect, analysis.stats.clustered)
    and a permutation p-value shuffling whole authors between the sides (`clustered.cluster_permutation_p`; the exact
    one over posts when no author posted twice), days not blocks of it.
    Association, not causation (ASSOCIATION_NOTE). The filter's sources/languages apply; its dates don't.
    Days outside the tracker's collection window (`Filters.for_tracker`) are left out of both sides: they were
    never collected, so they are unknown rather than days with 0 records (a side with no day gives NaN). So are
    days before the first or after the last record of the filter's sources (e.g. a first import of a 3-day
    export): a rise from 0 at the start of the data is where collection began, not a reaction to an event.
    `overlaps` names (comma-separated ids, "" for none) the events on other days whose compared days share a day with this event's: its
    "before" may already hold their reaction (or its "after" theirs), so the two differences are not separate.
    """
    span = stored_span(con, f, tracker)
    events = sorted(tracker.events, key=lambda e: (e.date, e.id))
    sides = {e.id: tuple(_clip(side, span) for side in event_sides(tracker, e.date, window)) for e in events}
    rows = []
    for event in events:
        # a generator of its own per event: events on one day (the same comparison) get the same interval and p, and
        # an event's figures do not move when another event is added before it
        rng = np.random.default_rng(seed)
        before, after = sides[event.id]
        vb, va = _daily_counts(con, f, *before), _daily_counts(con, f, *after)
        v_lo, v_hi = mean_diff_ci(vb, va)
        mb, ma = (float(v.mean()) if len(v) else math.nan for v in (vb, va))
        row = {"event_id": event.id, "date": event.date, "title": event.title_en, "kind": event.kind,
               "volume_before": mb, "volume_after": ma, "volume_diff": ma - mb,
               "volume_ci_lo": v_lo, "volume_ci_hi": v_hi, "volume_p": permutation_p(vb, va, n_boot, rng)}
        row.update(_negative_effect(con, f, model_version, before, after, n_boot, rng))
        row["overlaps"] = ", ".join(other.id for other in events if other.date != event.date
                                    and _share_a_day(sides[event.id], sides[other.id]))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=EFFECT_COLUMNS)
    frame.attrs["note"] = ASSOCIATION_NOTE
    return frame


def event_sides(tracker: Tracker, day: date, window: int) -> tuple[tuple[date, date], tuple[date, date]]:
    """The inclusive day ranges compared around an event on `day`: the `window` days before it, and the event day
    with the `window - 1` following, each clipped to the tracker's collection window (start after end when empty)."""
    collected = Filters.for_tracker(tracker)
    return (_clip((day - timedelta(days=window), day - timedelta(days=1)), collected),
            _clip((day, day + timedelta(days=window - 1)), collected))


def compared_days(tracker: Tracker, window: int, span: Filters | None = None) -> list[tuple[date, date]]:
    """The days `event_effects` counts, over all the tracker's events, as disjoint inclusive ranges in order
    (pass `stored_span` as `span` for exactly its days)."""
    sides = [side for event in tracker.events for side in event_sides(tracker, event.date, window)]
    sides = sorted(side for side in ((_clip(s, span) if span else s) for s in sides) if side[0] <= side[1])
    merged: list[tuple[date, date]] = []
    for start, end in sides:
        if merged and start <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _share_a_day(a: tuple[tuple[date, date], ...], b: tuple[tuple[date, date], ...]) -> bool:
    """Whether any inclusive day range of `a` meets one of `b` (empty ranges, start after end, meet nothing)."""
    return any(max(s1, s2) <= min(e1, e2) for s1, e1 in a for s2, e2 in b)


def _clip(days: tuple[date, date], within: Filters) -> tuple[date, date]:
    """The part of an inclusive day range inside `within`'s dates (start after end when none is)."""
    start, end = days
    return max(start, within.start or start), min(end, within.end or end)


def _mean_diff(before: np.ndarray, after: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(after, axis=axis) - np.mean(before, axis=axis)


def mean_diff_ci(before: np.ndarray, after: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Welch's t interval for mean(after) - mean(before), days treated as independent (scipy.stats.ttest_ind).

    Not a bootstrap: with 3 days a side a percentile bootstrap covers the true difference only ~78% of the time
    (tests/test_effects.py measures ~95% for this one). NaN with fewer than 2 days a side (no spread to measure);
    the point itself when neither side varies.
    """
    before, after = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    if len(before) < 2 or len(after) < 2:
        return math.nan, math.nan
    diff = float(_mean_diff(before, after))
    if np.ptp(before) == 0 and np.ptp(after) == 0:
        return diff, diff
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy's precision-loss note for nearly equal days
        ci = ttest_ind(after, before, equal_var=False).confidence_interval(level)
    return float(ci.low), float(ci.high)


def _abs_mean_diff(before: np.ndarray, after: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.abs(_mean_diff(before, after, axis))


def permutation_p(before: np.ndarray, after: np.ndarray, n_perm: int = 2000,
                  rng: np.random.Generator | None = None) -> float:
    """Two-sided permutation p-value for the difference in means: P(|diff| ≥ observed) over reassignments of
    the days (scipy.stats.permutation_test; exact when there are ≤ n_perm splits)."""
    before, after = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    if len(before) == 0 or len(after) == 0:
        return math.nan
    if min(len(before), len(after)) == 1:
        # scipy wants two observations a side; a lone day has only n placements, all enumerated here
        pooled = np.concatenate([before, after])
        lone_first = len(before) == 1
        stats = [_abs_mean_diff(*((pooled[[i]], np.delete(pooled, i)) if lone_first else
                                  (np.delete(pooled, i), pooled[[i]]))) for i in range(len(pooled))]
        return float(np.mean(np.asarray(stats) >= _abs_mean_diff(before, after) - 1e-12))
    res = permutation_test((before, after), _abs_mean_diff, permutation_type="independent", vectorized=True,
                           n_resamples=n_perm, alternative="greater", random_state=rng or np.random.default_rng(0))
    return float(min(1.0, res.pvalue))


def proportion_effect(k_before: int, n_before: int, k_after: int, n_after: int,
                      design_effects: tuple[float, float] = (1.0, 1.0), p_value: float | None = None) -> dict[str, float]:
    """Difference of proportions after - before: Newcombe's hybrid score 95% interval and a permutation p-value
    (statsmodels' confint_proportions_2indep; analysis.stats.clustered).

    `design_effects` (before, after; analysis.stats.clustered) widen the interval for posts clustered by author:
    Newcombe's interval is taken from each side's effective counts, k / deff of n / deff (the sides as independent
    samples: an author on both sides, whose share usually persists, makes it err on the wide side). `p_value` is the
    permutation p-value shuffling whole authors (`clustered.cluster_permutation_p`); without it, the exact one over
    posts (`clustered.hypergeometric_p`), right only for posts that are independent.
    """
    sizes = {"n_before": int(n_before), "n_after": int(n_after)}  # every share is shown with its n
    deffs = {"deff_before": float(design_effects[0]), "deff_after": float(design_effects[1])}
    if n_before == 0 or n_after == 0:
        return {"before": math.nan, "after": math.nan, "diff": math.nan, "ci_lo": math.nan, "ci_hi": math.nan,
                "p": math.nan, **sizes, **deffs}
    p_b, p_a = k_before / n_before, k_after / n_after
    d_b, d_a = design_effects
    lo, hi = confint_proportions_2indep(k_after / d_a, n_after / d_a, k_before / d_b, n_before / d_b,
                                        method="newcomb", compare="diff")
    p_value = hypergeometric_p(k_before, n_before, k_after, n_after) if p_value is None else p_value
    return {"before": p_b, "after": p_a, "diff": p_a - p_b, "ci_lo": float(lo), "ci_hi": float(hi),
            "p": p_value, **sizes, **deffs}


def _daily_counts(con: duckdb.DuckDBPyConnection, f: Filters, start: date, end: date) -> np.ndarray:
    window_f = Filters(f.tracker, start, end, f.sources, f.langs, f.kinds)
    return volume_series(con, window_f)["records"].to_numpy(dtype=float)


def _negative_effect(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str | None,
                     before: tuple[date, date], after: tuple[date, date], n_boot: int,
                     rng: np.random.Generator) -> dict[str, float]:
    sides = []
    for start, end in (before, after):
        if not model_version or not has_table(con, SCORES):
            sides.append(AuthorSums.independent(0, 0))
            continue
        sides.append(author_sums(con, Filters(f.tracker, start, end, f.sources, f.langs, f.kinds), model_version))
    b, a = sides
    p_value = None
    if b.n and a.n and (b.authors < b.n or a.authors < a.n):  # some author posted twice: shuffle authors, not posts
        counts = [author_counts(con, Filters(f.tracker, start, end, f.sources, f.langs, f.kinds), model_version)
                  for start, end in (before, after)] if model_version else []
        p_value = cluster_permutation_p(*counts, n_perm=n_boot, rng=rng)
    effect = proportion_effect(b.k, b.n, a.k, a.n, design_effects=(b.design_effect, a.design_effect), p_value=p_value)
    return {f"neg_{key}": value for key, value in effect.items()}
