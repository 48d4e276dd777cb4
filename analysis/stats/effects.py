"""Before/after windows around each dated event: differences with bootstrap intervals and permutation p-values.

These are associations, not causation: other things happen on the same days, and attention would
often have moved anyway. Every label built from this module says so (see ASSOCIATION_NOTE).
"""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
from scipy.stats import hypergeom

from analysis.core.filters import Filters
from analysis.core.scores import SCORES
from analysis.core.tables import has_table
from analysis.stats.timeseries import volume_series
from collectors.trackers import Tracker

ASSOCIATION_NOTE = ("Association, not causation: the difference between the days before and after an event "
                    "also reflects anything else that happened then.")
EFFECT_COLUMNS = ["event_id", "date", "title", "kind",
                  "volume_before", "volume_after", "volume_diff", "volume_ci_lo", "volume_ci_hi", "volume_p",
                  "neg_before", "neg_after", "neg_diff", "neg_ci_lo", "neg_ci_hi", "neg_p"]


def event_effects(con: duckdb.DuckDBPyConnection, f: Filters, tracker: Tracker, model_version: str | None,
                  window: int = 3, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """For each of the tracker's events: mean daily volume and negative share before vs after.

    "Before" is the `window` days before the event day; "after" is the event day and the `window - 1`
    days following. Volume: difference of mean records per day, percentile bootstrap 95% interval
    (days resampled within each side) and an exact/Monte-Carlo permutation p-value over days (with
    3 days a side there are only 20 splits, so p cannot go below 0.1: widen `window` for power).
    Negative share: difference of proportions among scored records, bootstrap interval (records
    resampled within each side) and the exact permutation p-value (label shuffling = hypergeometric).
    Association, not causation (ASSOCIATION_NOTE). The filter's sources/languages apply; its dates don't.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for event in sorted(tracker.events, key=lambda e: (e.date, e.id)):
        before = (event.date - timedelta(days=window), event.date - timedelta(days=1))
        after = (event.date, event.date + timedelta(days=window - 1))
        vb, va = _daily_counts(con, f, *before), _daily_counts(con, f, *after)
        v_lo, v_hi = bootstrap_diff_ci(vb, va, n_boot, rng)
        row = {"event_id": event.id, "date": event.date, "title": event.title_en, "kind": event.kind,
               "volume_before": vb.mean(), "volume_after": va.mean(), "volume_diff": va.mean() - vb.mean(),
               "volume_ci_lo": v_lo, "volume_ci_hi": v_hi, "volume_p": permutation_p(vb, va, n_boot, rng)}
        row.update(_negative_effect(con, f, model_version, before, after, n_boot, rng))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=EFFECT_COLUMNS)
    frame.attrs["note"] = ASSOCIATION_NOTE
    return frame


def bootstrap_diff_ci(before: np.ndarray, after: np.ndarray, n_boot: int = 2000,
                      rng: np.random.Generator | None = None, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval for mean(after) - mean(before), resampling each side separately."""
    rng = rng or np.random.default_rng(0)
    before, after = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    if len(before) == 0 or len(after) == 0:
        return math.nan, math.nan
    b = rng.choice(before, size=(n_boot, len(before))).mean(axis=1)
    a = rng.choice(after, size=(n_boot, len(after))).mean(axis=1)
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(a - b, [tail, 100 - tail])
    return float(lo), float(hi)


def permutation_p(before: np.ndarray, after: np.ndarray, n_perm: int = 2000,
                  rng: np.random.Generator | None = None) -> float:
    """Two-sided permutation p-value for the difference in means (exact when there are ≤ n_perm splits)."""
    rng = rng or np.random.default_rng(0)
    pooled = np.concatenate([np.asarray(before, dtype=float), np.asarray(after, dtype=float)])
    n_a, n = len(after), len(pooled)
    if len(before) == 0 or n_a == 0:
        return math.nan
    observed = abs(np.mean(after) - np.mean(before))
    total = pooled.sum()
    if math.comb(n, n_a) <= n_perm:
        sums = np.array([pooled[list(idx)].sum() for idx in itertools.combinations(range(n), n_a)])
    else:
        sums = np.array([rng.permutation(pooled)[:n_a].sum() for _ in range(n_perm)])
    diffs = np.abs(sums / n_a - (total - sums) / (n - n_a))
    extreme = int((diffs >= observed - 1e-12).sum())
    if math.comb(n, n_a) <= n_perm:
        return extreme / len(sums)
    return (extreme + 1) / (len(sums) + 1)


def proportion_effect(k_before: int, n_before: int, k_after: int, n_after: int, n_boot: int = 2000,
                      rng: np.random.Generator | None = None) -> dict[str, float]:
    """Difference of proportions after - before: bootstrap 95% interval and exact permutation p-value.

    Resampling n Bernoulli records with replacement gives Binomial(n, p̂) successes, so the bootstrap
    draws binomials; shuffling the labels across the two sides puts Hypergeometric(N, K, n_after)
    successes after, so the permutation p-value is exact.
    """
    rng = rng or np.random.default_rng(0)
    if n_before == 0 or n_after == 0:
        return {"before": math.nan, "after": math.nan, "diff": math.nan, "ci_lo": math.nan, "ci_hi": math.nan,
                "p": math.nan}
    p_b, p_a = k_before / n_before, k_after / n_after
    boot = rng.binomial(n_after, p_a, n_boot) / n_after - rng.binomial(n_before, p_b, n_boot) / n_before
    lo, hi = np.percentile(boot, [2.5, 97.5])
    total, k_total = n_before + n_after, k_before + k_after
    support = np.arange(max(0, n_after - (total - k_total)), min(k_total, n_after) + 1)
    diffs = np.abs(support / n_after - (k_total - support) / n_before)
    observed = abs(p_a - p_b)
    p_value = float(hypergeom.pmf(support, total, k_total, n_after)[diffs >= observed - 1e-12].sum())
    return {"before": p_b, "after": p_a, "diff": p_a - p_b, "ci_lo": float(lo), "ci_hi": float(hi),
            "p": min(1.0, p_value)}


def _daily_counts(con: duckdb.DuckDBPyConnection, f: Filters, start: date, end: date) -> np.ndarray:
    window_f = Filters(f.tracker, start, end, f.sources, f.langs, f.kinds)
    return volume_series(con, window_f)["records"].to_numpy(dtype=float)


def _negative_effect(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str | None,
                     before: tuple[date, date], after: tuple[date, date], n_boot: int,
                     rng: np.random.Generator) -> dict[str, float]:
    counts = []
    for start, end in (before, after):
        if not model_version or not has_table(con, SCORES):
            counts.append((0, 0))
            continue
        where, params = Filters(f.tracker, start, end, f.sources, f.langs, f.kinds).where("r")
        k, n = con.execute(
            f"""SELECT count(*) FILTER (WHERE s.label = 'negative'), count(*) FROM records r
                JOIN {SCORES} s ON s.source = r.source AND s.id = r.id AND s.model_version = ? WHERE {where}""",
            [model_version, *params]).fetchone()
        counts.append((int(k), int(n)))
    (kb, nb), (ka, na) = counts
    effect = proportion_effect(kb, nb, ka, na, n_boot, rng)
    return {f"neg_{key}": value for key, value in effect.items()}
