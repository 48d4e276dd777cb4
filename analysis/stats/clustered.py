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
names no author is a cluster of its own. The same sums per period give the daily and weekly bands (`design_effects`
over arrays, `sums_sql`), and a before/after comparison's permutation p-value shuffles whole authors
(`cluster_permutation_p`). Days (one day's news moving every author at once) and repost cascades (many authors
passing one post on) are not clustered here.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
from scipy.stats import hypergeom, norm

from analysis.core.filters import Filters
from analysis.core.scores import LABELS, SCORES
from analysis.core.tables import has_table, snapshot_key
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


_PERIODS = {"D": ("x.day", "x.other_day = x.day"),
            "W": ("CAST(date_trunc('week', x.day) AS DATE)", "date_trunc('week', x.other_day) = date_trunc('week', x.day)")}


def facts_sums_sql(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str | None, freq: str | None = None,
                   by_source: bool = False, labels: tuple[str, ...] = LABELS,
                   task: str = "sentiment") -> tuple[str, list[Any]] | None:
    """`sums_sql`'s figures (same columns, same numbers) per period (`freq` "D" or "W"; None: the whole view) and, with
    `by_source`, per source, summed from the task's author-day facts (analysis.stats.facts: sentiment's scored by
    `model_version`, stance's or emotion's annotated, whose labels are written facts.label_column) rather than
    grouped per author; None where those cannot answer: no such tables, several languages chosen, other kinds than
    the task's (they split an author's days), or a whole view's sums of a task holding only a week's pairs."""
    spec = facts.AUTHOR_DAY_FACTS[task]
    if (len(set(f.langs)) > 1 or set(f.kind_values()) != set(spec.kinds) or (freq is None and not spec.any_days)
            or not has_table(con, spec.pairs)):
        return None
    if freq is not None and freq not in _PERIODS:
        raise ValueError(f"freq must be one of {tuple(_PERIODS)}, not {freq!r}")
    base, base_params = ["x.tracker = ?", "x.lang_scope = ?"], [f.tracker, f.langs[0] if f.langs else facts.ALL_LANGS]
    if spec.versioned:
        base.append("x.model_version = ?")
        base_params.append(model_version)
    if f.sources:
        base.append(f"x.source IN ({', '.join('?' for _ in f.sources)})")
        base_params.extend(f.sources)

    def within(*columns: str) -> tuple[str, list[Any]]:
        clauses, params = list(base), list(base_params)
        for column in columns:
            for bound, op in ((f.start, ">="), (f.end, "<=")):
                if bound:
                    clauses.append(f"x.{column} {op} ?")
                    params.append(bound)
        return " AND ".join(clauses), params

    period, same_period = _PERIODS[freq] if freq else (None, "true")
    key_columns = {**({"period": period} if freq else {}), **({"source": "x.source"} if by_source else {})}
    keys = list(key_columns)
    select = "".join(f"{expr} AS {key}, " for key, expr in key_columns.items())
    group = " GROUP BY ALL" if keys else ""
    # an author counts in a period once: on the first of its days there, the one whose previous scored day lies before
    # the period (or before the view's start, within a period it cuts)
    since = f"greatest({period}, ?)" if freq and f.start else period if freq else "?" if f.start else None
    first = f"x.prev_day IS NULL OR x.prev_day < {since}" if since else "x.prev_day IS NULL"
    first_params = [f.start] if f.start else []
    days_where, days_params = within("day")
    names = tuple(facts.label_column(lab) for lab in labels)
    counts = ", ".join(f"CAST(coalesce(sum(x.k_{lab}), 0) AS BIGINT) AS k_{lab}" for lab in names)
    per_days = (f"SELECT {select}CAST(coalesce(sum(x.n), 0) AS BIGINT) AS n, {counts}, "
                f"CAST(coalesce(sum(x.authors) FILTER (WHERE {first}), 0) AS BIGINT) AS authors "
                f"FROM {spec.days} x WHERE {days_where}{group}")
    pairs_where, pairs_params = within("day", "other_day")
    squares = ", ".join(f"CAST(coalesce(sum(x.{c}), 0) AS BIGINT) AS {c}" for c in sum_columns(names)[1:])
    per_pairs = f"SELECT {select}{squares} FROM {spec.pairs} x WHERE {pairs_where} AND {same_period}{group}"
    columns = [*(f"d.{k}" for k in keys), "d.n", *(f"d.k_{lab}" for lab in names), "d.authors",
               *(f"coalesce(p.{c}, 0) AS {c}" for c in sum_columns(names)[1:])]
    join = f"LEFT JOIN ({per_pairs}) p USING ({', '.join(keys)})" if keys else f"CROSS JOIN ({per_pairs}) p"
    return (f"SELECT {', '.join(columns)} FROM ({per_days}) d {join}",
            [*first_params, *days_params, *pairs_params])


def sum_columns(labels: tuple[str, ...] = LABELS) -> list[str]:
    """The columns `sums_sql` adds besides n and k_<label>."""
    return ["authors", *(f"kk_{lab}" for lab in labels), *(f"kn_{lab}" for lab in labels), "nn"]


def _per_author(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str) -> tuple[str, list[Any]] | None:
    """A subquery of (author, n, k_negative) per author of the scored records matching `f`: from the facts table of
    per-author scored counts when the connection has it (the dashboard's snapshot), else from the records and scores
    themselves (the same figures either way); None without scores."""
    if has_table(con, facts.FACTS_AUTHOR_SCORES):
        where, params = facts.where(f, "x")
        sql = (f"SELECT x.author, sum(x.n) AS n, sum(x.k_negative) AS k_negative "
               f"FROM {facts.FACTS_AUTHOR_SCORES} x WHERE {where} AND x.model_version = ? GROUP BY x.author")
        return sql, [*params, model_version]
    if has_table(con, SCORES):
        where, params = f.where("r")
        sql = (f"SELECT {facts.author_key('r')} AS author, count(*) AS n, "
               f"count(*) FILTER (WHERE s.label = 'negative') AS k_negative FROM records r JOIN {SCORES} s "
               f"ON s.source = r.source AND s.id = r.id AND s.model_version = ? WHERE {where} GROUP BY ALL")
        return sql, [model_version, *params]
    return None


_SUMS: OrderedDict[tuple[str, Filters, str], AuthorSums] = OrderedDict()  # of read-only snapshots, latest last
_SUMS_KEPT = 256
_SUMS_LOCKS: dict[tuple[str, Filters, str], threading.Lock] = {}
_SUMS_LOCK = threading.Lock()


def author_sums(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str) -> AuthorSums:
    """The records matching `f` scored by `model_version`, and those labelled negative, summed per author.

    On a read-only snapshot (tables.snapshot_key) computed once per view: an Overview asks for them twice, for its
    KPIs and for its sentiment chart's text, from two threads at once (the second waits for the first's)."""
    snapshot = snapshot_key(con)
    if snapshot is None:
        return _author_sums(con, f, model_version)
    key = (snapshot, f, model_version)
    with _SUMS_LOCK:
        lock = _SUMS_LOCKS.setdefault(key, threading.Lock())
    with lock:
        with _SUMS_LOCK:
            kept = _SUMS.get(key)
        if kept is None:
            kept = _author_sums(con, f, model_version)
            with _SUMS_LOCK:
                _SUMS[key] = kept
                while len(_SUMS) > _SUMS_KEPT:
                    _SUMS_LOCKS.pop(_SUMS.popitem(last=False)[0], None)
    return kept


def _author_sums(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str) -> AuthorSums:
    query = facts_sums_sql(con, f, model_version, labels=("negative",))
    if query is None:
        per_author = _per_author(con, f, model_version)
        if per_author is None:
            return AuthorSums.independent(0, 0)
        query = sums_sql(per_author[0]), per_author[1]
    row: Any = con.execute(*query).fetchone()
    return AuthorSums(int(row[0]), int(row[1]), int(row[2]), float(row[3]), float(row[4]), float(row[5]))


def author_counts(con: duckdb.DuckDBPyConnection, f: Filters, model_version: str) -> tuple[np.ndarray, np.ndarray]:
    """Scored records and those labelled negative per author of the records matching `f` (two arrays, one entry per
    author; each record naming no author an entry of its own)."""
    query = _per_author(con, f, model_version)
    if query is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    rows = con.execute(f"SELECT author IS NULL, n, k_negative FROM ({query[0]})", query[1]).fetchnumpy()
    lone, n, k = (np.asarray(rows[c]) for c in ("(author IS NULL)", "n", "k_negative"))
    n, k = n.astype(np.int64), k.astype(np.int64)
    if lone.any():  # the unnamed records: n_0 clusters of one post, k_0 of them negative
        n0, k0 = int(n[lone].sum()), int(k[lone].sum())
        singles = np.zeros(n0, dtype=np.int64)
        singles[:k0] = 1
        n, k = np.concatenate([n[~lone], np.ones(n0, dtype=np.int64)]), np.concatenate([k[~lone], singles])
    # in order of (n, k), not of DuckDB's grouping (which differs between runs, and between the snapshot and the
    # store): a seeded permutation of the same clusters then gives the same p-value
    order = np.lexsort((k, n))
    return n[order], k[order]


MAX_PERMUTATION_CELLS = 400_000  # authors × resamples drawn by Monte Carlo (~0.1 s); beyond, the normal limit


def hypergeometric_p(k_before: int, n_before: int, k_after: int, n_after: int) -> float:
    """Exact two-sided permutation p-value over posts for after - before: shuffling the labels across the sides puts
    Hypergeometric(N, K, n_after) labelled posts after; P(|diff| ≥ observed)."""
    total, k_total = n_before + n_after, k_before + k_after
    support = np.arange(max(0, n_after - (total - k_total)), min(k_total, n_after) + 1)
    diffs = np.abs(support / n_after - (k_total - support) / n_before)
    observed = abs(k_after / n_after - k_before / n_before)
    return min(1.0, float(hypergeom.pmf(support, total, k_total, n_after)[diffs >= observed - 1e-12].sum()))


def cluster_permutation_p(before: tuple[np.ndarray, np.ndarray], after: tuple[np.ndarray, np.ndarray],
                          n_perm: int = 2000, rng: np.random.Generator | None = None,
                          max_cells: int = MAX_PERMUTATION_CELLS) -> float:
    """Two-sided permutation p-value for the difference of shares after - before, shuffling whole authors.

    Each side is (posts, labelled posts) per author (`author_counts`); under no change an author's cluster is as
    likely on either side, so the sides' authors are reassigned with the number of authors a side fixed, and the
    p-value is P(|diff| ≥ observed). When every author posted once this is the exact test over posts
    (hypergeometric, as `effects.proportion_effect`). Else by Monte Carlo ((hits + 1) / (n_perm + 1)) when authors ×
    n_perm is at most `max_cells`, beyond that by the permutation distribution's normal limit (the
    combinatorial central limit theorem: many authors). An author on both sides is two clusters here, whose share
    usually persists, so the test errs on the conservative side; days are not blocks of it.
    """
    (nb, kb), (na, ka) = ((np.asarray(n, dtype=float), np.asarray(k, dtype=float)) for n, k in (before, after))
    if not nb.sum() or not na.sum():
        return math.nan
    n, k = np.concatenate([nb, na]), np.concatenate([kb, ka])
    total, labelled, m, m_after = n.sum(), k.sum(), len(n), len(na)
    observed = abs(ka.sum() / na.sum() - kb.sum() / nb.sum())
    if (n == 1).all():
        return hypergeometric_p(int(kb.sum()), len(nb), int(ka.sum()), len(na))
    if m * n_perm > max_cells:
        p = labelled / total
        spread = ((k - p * n) ** 2).sum()
        scale = 1 / (m_after * total / m) + 1 / ((m - m_after) * total / m)
        sd = scale * math.sqrt(m_after * (m - m_after) / (m * (m - 1)) * spread)
        if sd == 0:
            return 1.0 if observed < 1e-12 else 0.0
        return float(min(1.0, 2 * norm.sf(observed / sd)))
    rng = rng or np.random.default_rng(0)
    mask = np.zeros(m, dtype=bool)
    mask[:m_after] = True
    hits, chunk = 0, max(1, 250_000 // m)  # resamples a block: ~2 MB of floats at a time
    for start in range(0, n_perm, chunk):
        drawn = rng.permuted(np.tile(mask, (min(chunk, n_perm - start), 1)), axis=1)
        k_after, n_after = drawn @ k, drawn @ n
        diffs = np.abs(k_after / n_after - (labelled - k_after) / (total - n_after))
        hits += int((diffs >= observed - 1e-12).sum())
    return (hits + 1) / (n_perm + 1)
