"""Share intervals that count one author's posts as one cluster rather than as independent draws.

Posts by one author move together (one person's view, posted again and again), so a share over posts varies more
than binomial sampling allows: with a few prolific authors, Wilson and Newcombe intervals over posts are too narrow.
Here the share p = K / N is a ratio over m author clusters (author i: k_i of n_i posts labelled), whose
linearisation variance with the usual m / (m - 1) small-sample factor (Cochran 1977, §6.11) is

    V = m / (m - 1) · Σ (k_i - p · n_i)² / N²,

and the design effect is V over the binomial p(1 - p) / (N - 1), at least 1 (an adjustment only widens). Wilson's
interval is taken at the effective size N / deff with K / deff labelled (Korn & Graubard 1998), Newcombe's for a
difference from each side's effective counts. When every author has one post deff is exactly 1 and the intervals are
the plain ones. Five sums per side are all it needs, so DuckDB aggregates per author and returns them; a record that
names no author is a cluster of its own. Days (one day's news moving every author at once) are not clustered here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np

from analysis.core.filters import Filters
from analysis.core.scores import LABELS, SCORES
from analysis.core.tables import has_table
from analysis.stats import facts, timeseries  # modules: timeseries builds its bands on this one


@dataclass(frozen=True)
class AuthorSums:
    """Per-author sums of one share: N posts, K labelled, m authors, Σk², Σk·n, Σn² over authors."""

    n: int
    k: int
    authors: int
    kk: float
    kn: float
    nn: float

    @classmethod
    def independent(cls, k: int, n: int) -> AuthorSums:
        """The sums when every post has an author of its own."""
        return cls(int(n), int(k), int(n), float(k), float(k), float(n))

    @property
    def design_effect(self) -> float:
        """Variance of the share over authors relative to binomial sampling of posts (1 when undefined)."""
        return float(design_effects(self.n, self.k, self.authors, self.kk, self.kn, self.nn))

    def effective(self) -> tuple[float, float]:
        """Labelled posts and posts as if independent: K / deff of N / deff."""
        deff = self.design_effect
        return self.k / deff, self.n / deff

    def wilson(self) -> tuple[float, float]:
        """Wilson 95% interval at the effective size (the plain one when every author posted once)."""
        return timeseries.wilson_interval(*self.effective()) if self.n else (math.nan, math.nan)


def design_effects(n: Any, k: Any, authors: Any, kk: Any, kn: Any, nn: Any) -> Any:
    """`AuthorSums.design_effect` over arrays of sums (one per period, key or label), at least 1 and 1 where undefined."""
    n, k, m, kk, kn, nn = (np.asarray(v, dtype=float) for v in (n, k, authors, kk, kn, nn))
    # m == n: one post per author, exactly the binomial; k 0 or n: no spread to measure
    defined = (n >= 2) & (m >= 2) & (m != n) & (k > 0) & (k < n)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        spread = kk - 2 * p * kn + p * p * nn  # Σ (k_i - p n_i)²
        clustered = m / np.maximum(m - 1, 1) * spread / n**2
        deff = np.where(defined, np.maximum(1.0, clustered / (p * (1 - p) / (n - 1))), 1.0)
    return deff


def sums_sql(per_author: str, keys: tuple[str, ...] = (), labels: tuple[str, ...] = ("negative",)) -> str:
    """SQL summing a per-author subquery (columns `keys`…, author, n, k_<label>…) to, per `keys`: n, k_<label>,
    authors, kk_<label>, kn_<label>, nn (AuthorSums' figures; author NULL: records naming no author, each a cluster
    of its own, whose k_i is 0 or 1, so Σk_i² = k and Σk_i·n_i = k)."""
    def total(expr: str, single: str) -> str:
        return f"CAST(coalesce(sum(CASE WHEN author IS NULL THEN {single} ELSE {expr} END), 0) AS BIGINT)"

    columns = [*keys, "CAST(coalesce(sum(n), 0) AS BIGINT) AS n",
               *(f"CAST(coalesce(sum(k_{lab}), 0) AS BIGINT) AS k_{lab}" for lab in labels),
               f"{total('1', 'n')} AS authors",
               *(f"{total(f'k_{lab} * k_{lab}', f'k_{lab}')} AS kk_{lab}" for lab in labels),
               *(f"{total(f'k_{lab} * n', f'k_{lab}')} AS kn_{lab}" for lab in labels),
               f"{total('n * n', 'n')} AS nn"]
    group = f" GROUP BY {', '.join(keys)}" if keys else ""
    return f"SELECT {', '.join(columns)} FROM ({per_author}){group}"


def sum_columns(labels: tuple[str, ...] = LABELS) -> list[str]:
    """The columns `sums_sql` adds besides n and k_<label>."""
    return ["authors", *(f"kk_{lab}" for lab in labels), *(f"kn_{lab}" for lab in labels), "nn"]


def author_sums(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str) -> AuthorSums:
    """The records matching `f` scored by `model_version`, and those labelled negative, summed per author.

    From the facts table of per-author scored counts when the connection has it (the dashboard's snapshot), else
    from the records and scores themselves; the same figures either way."""
    if has_table(con, facts.FACTS_AUTHOR_SCORES):
        where, params = facts.where(f, "x")
        per_author = (f"SELECT x.author, sum(x.n) AS n, sum(x.k_negative) AS k_negative FROM {facts.FACTS_AUTHOR_SCORES} x "
                      f"WHERE {where} AND x.model_version = ? GROUP BY x.author")
        params = [*params, model_version]
    elif has_table(con, SCORES):
        where, params = f.where("r")
        per_author = (f"SELECT {facts.author_key('r')} AS author, count(*) AS n, "
                      f"count(*) FILTER (WHERE s.label = 'negative') AS k_negative FROM records r JOIN {SCORES} s "
                      f"ON s.source = r.source AND s.id = r.id AND s.model_version = ? WHERE {where} GROUP BY ALL")
        params = [model_version, *params]
    else:
        return AuthorSums.independent(0, 0)
    row: Any = con.execute(sums_sql(per_author), params).fetchone()
    return AuthorSums(int(row[0]), int(row[1]), int(row[2]), float(row[3]), float(row[4]), float(row[5]))
