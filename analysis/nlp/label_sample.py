"""Which records of a tracker to label next: stratified by day and source, favouring the model's least sure.

Each (day, source) stratum gets a share of the sample proportional to its size (largest remainders), so
the labelled set covers the whole period and every platform as the data does. Within a stratum records are
drawn by weighted sampling without replacement (Efraimidis & Spirakis 2006: the k largest u^(1/w)) with
weight w = 1.05 − max(p): a record the model scores 0.4/0.3/0.3 is drawn ~2.4x as often as one it scores
0.9. Every record keeps a chance, so the labels are not only the hardest cases. u comes from a hash of
(seed, source, id), so the order is stable: two annotators of one tracker get the same records (overlap for
agreement), and excluding what one annotator has done barely moves the rest.
"""

from __future__ import annotations

import hashlib
import math

import duckdb
import numpy as np
import pandas as pd

from analysis.core.filters import Filters
from analysis.core.scores import SCORES
from analysis.core.tables import has_table
from analysis.nlp.sentiment import unread_scan

UNSCORED_MAX_P = 0.5  # records without a score count as moderately uncertain
WEIGHT_FLOOR = 1.05


def allocate(sizes: pd.Series, n: int) -> pd.Series:
    """Sample size per stratum, proportional to its size, largest remainders first (sums to min(n, total))."""
    total = int(sizes.sum())
    n = min(n, total)
    if n <= 0:
        return pd.Series(0, index=sizes.index, dtype=int)
    quota = sizes * n / total
    base = np.floor(quota).astype(int)
    left = n - int(base.sum())
    order = (quota - base).sort_values(ascending=False, kind="stable").index[:left]
    base.loc[order] += 1
    return base.astype(int)


def stable_uniform(seed: int, source: str, record_id: str) -> float:
    """A uniform number in (0, 1) fixed by (seed, source, id)."""
    digest = hashlib.sha256(f"{seed}|{source}|{record_id}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") + 0.5) / 2**64


def stratified_uncertain_sample(frame: pd.DataFrame, n: int, seed: int = 20240601) -> pd.DataFrame:
    """Pick n rows of `frame` (columns source, id, day, max_p) as described above, in labelling order."""
    if frame.empty or n <= 0:
        return frame.iloc[0:0].assign(priority=pd.Series(dtype=float))
    frame = frame.copy()
    max_p = frame["max_p"].astype(float).fillna(UNSCORED_MAX_P)
    weight = WEIGHT_FLOOR - max_p.clip(0.0, 1.0)
    u = np.array([stable_uniform(seed, s, i) for s, i in zip(frame["source"], frame["id"], strict=True)])
    frame["priority"] = np.exp(np.log(u) / weight.to_numpy())  # u^(1/w), computed in logs
    sizes = frame.groupby(["day", "source"], sort=True).size()
    quota = allocate(sizes, n)
    picked = [group.nlargest(int(quota.loc[key]), "priority")
              for key, group in frame.groupby(["day", "source"], sort=True) if quota.loc[key] > 0]
    out = pd.concat(picked) if picked else frame.iloc[0:0]
    return out.sort_values("priority", ascending=False, kind="stable").reset_index(drop=True)


def candidates(con: duckdb.DuckDBPyConnection, tracker: str, filters: Filters | None = None,
               instant: str = "r.published_at") -> pd.DataFrame:
    """The tracker's records (within `filters`, if given; none in a language the models do not read) with their day (display time zone) and the max probability of their
    newest sentiment score; `public_id` and `public_parent_id` are the ids as shown (account pseudonymised).
    `published_instant` is the `instant` column (the dashboard snapshot's own, whose `published_at` is a wall clock)."""
    score = ("LEFT JOIN (SELECT source, id, greatest(p_neg, p_neu, p_pos) AS max_p FROM "
             f"{SCORES} QUALIFY row_number() OVER (PARTITION BY source, id ORDER BY scored_at DESC) = 1) s "
             "USING (source, id)") if has_table(con, SCORES) else ""
    max_p = "s.max_p" if score else "CAST(NULL AS DOUBLE)"
    # records in a language the models do not read: nothing of theirs to label (unscored, they would be drawn first)
    unread = unread_scan(con)
    unread = f"ANTI JOIN {unread} u USING (source, id)" if unread else ""
    where, params = (filters or Filters(tracker=tracker)).where("r")
    return con.execute(
        f"""SELECT r.source, r.id, CAST(r.published_at AS DATE) AS day, r.published_at,
                   {instant} AS published_instant, r.kind, r.url,
                   r.parent_id, r.title, r.text, r.lang, r.synthetic, r.merged_from, {max_p} AS max_p,
                   public_id(r.source, r.id) AS public_id, public_id(r.source, r.parent_id) AS public_parent_id
            FROM records_public r {score} {unread} WHERE {where}""", params).df()


def sample_from(frame: pd.DataFrame, n: int, seed: int = 20240601, exclude: set[str] | None = None) -> pd.DataFrame:
    """The next n rows of `frame` (see `candidates`) to label, leaving out items (`source:id`) in `exclude`, and news
    articles one of whose copies (`merged_from`: another source carried it) is in `exclude`.

    The draw is over all rows, excluded items are dropped, and the draw is widened until n remain (or the
    rows run out); as priorities are fixed per record, excluding some rarely changes the order of the others.
    """
    exclude = exclude or set()
    if frame.empty:
        return frame.assign(priority=pd.Series(dtype=float))
    size = n + int(_excluded(frame, exclude).sum())
    while True:
        drawn = stratified_uncertain_sample(frame, size, seed)
        kept = drawn[~_excluded(drawn, exclude)]
        if len(kept) >= n or size >= len(frame):
            return kept.head(n).reset_index(drop=True)
        size = min(len(frame), max(size + n, math.ceil(size * 1.5)))


def _excluded(frame: pd.DataFrame, exclude: set[str]) -> pd.Series:
    """Rows whose item, or one of the copies it stands for (`merged_from`), is in `exclude`."""
    own = (frame["source"] + ":" + frame["id"]).isin(exclude)
    if "merged_from" not in frame.columns or not exclude:
        return own
    copies = frame["merged_from"].map(lambda ids: isinstance(ids, list | tuple | np.ndarray)
                                      and any(i in exclude for i in ids))
    return own | copies.astype(bool)


def sample_to_label(con: duckdb.DuckDBPyConnection, tracker: str, n: int, seed: int = 20240601,
                    exclude: set[str] | None = None, filters: Filters | None = None) -> pd.DataFrame:
    """The tracker's next n records to label (see module doc and `sample_from`)."""
    return sample_from(candidates(con, tracker, filters), n, seed, exclude)
