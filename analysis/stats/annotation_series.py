"""Per-period counts and shares of what enrichment annotated: stances, emotions, entities, frames, keywords,
topics.

Each reads the newest annotation per record (`analysis.core.annotations.annotations_scan`) joined to the
records in the view; shares carry Wilson 95% intervals.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from analysis.core.annotations import ANNOTATIONS, annotations_scan, period_expr, tracker_entities_sql
from analysis.core.filters import Filters
from analysis.core.tables import has_table
from analysis.nlp.entities import co_mentions
from analysis.nlp.sentiment import unread_scan
from analysis.nlp.stance import STANCES
from analysis.nlp.tasks import EMOTION
from analysis.nlp.text import clean_text
from analysis.nlp.topics import (
    MAX_TEXTS,
    TopicModel,
    _as_list,
    frames_in,
    load_frames,
    many_record_keywords,
    topic_clusters,
)
from analysis.stats import clustered, facts
from analysis.stats.timeseries import periods, wilson_interval, zero_fill
from collectors.trackers import Tracker


def period_shares(rows: Iterable[tuple[date, Sequence[str]]], keys: Sequence[str], f: Filters,
                  freq: str = "D", key: str = "key") -> pd.DataFrame:
    """Per period and key: records carrying the key, records in the period, share and Wilson 95% interval.

    `rows` holds one (period, keys of that record) pair per record; zero-filled over the filter's
    periods (else the observed ones) × `keys`. Columns: period, <key>, records, n, share, share_lo, share_hi.
    """
    counts: Counter[tuple[date, str]] = Counter()
    totals: Counter[date] = Counter()
    for period, items in rows:
        day = pd.Timestamp(period).date()
        totals[day] += 1
        counts.update((day, str(k)) for k in set(items if items is not None else ()))
    long = pd.DataFrame([(p, k, n) for (p, k), n in counts.items()], columns=["period", key, "records"])
    index = periods(f.start, f.end, freq) if f.start and f.end else sorted(totals)
    out = zero_fill(long, index, ["records"], key=key, keys=list(keys))
    out["n"] = [totals.get(p, 0) for p in out["period"]]
    n, k = out["n"].to_numpy(), out["records"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share"] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    out["share_lo"], out["share_hi"] = wilson_interval(k, n)
    return out


def clustered_period_shares(con: duckdb.DuckDBPyConnection, per_record: str, params: list[object],
                            keys: Sequence[str], f: Filters, freq: str = "D", key: str = "key") -> pd.DataFrame:
    """`period_shares` of records carrying one key each, their bands clustered by author.

    `per_record` is a subquery of one row per record: period, key, author (NULL: a record naming no author, a cluster
    of its own). Each period's share of a key has the Wilson 95% interval at its effective size, n / deff, deff its
    design effect under clustering by author (analysis.stats.clustered; share_deff, 1 when no author has two records
    in the period): a few accounts posting many times widen it. Counted in DuckDB, per author and period."""
    per_key = f"""WITH per AS (SELECT period, key, author, count(*) AS k FROM ({per_record}) GROUP BY ALL),
        tot AS (SELECT period, author, sum(k) AS n FROM per GROUP BY ALL)
        SELECT p.period, p.key AS "{key}", sum(p.k) AS records,
               sum(CASE WHEN p.author IS NULL THEN p.k ELSE p.k * p.k END) AS kk,
               sum(CASE WHEN p.author IS NULL THEN p.k ELSE p.k * t.n END) AS kn
        FROM per p JOIN tot t ON t.period = p.period AND t.author IS NOT DISTINCT FROM p.author GROUP BY ALL"""
    per_period = f"""SELECT period, sum(n) AS n, sum(CASE WHEN author IS NULL THEN n ELSE 1 END) AS authors,
                            sum(CASE WHEN author IS NULL THEN n ELSE n * n END) AS nn
                     FROM (SELECT period, author, count(*) AS n FROM ({per_record}) GROUP BY ALL) GROUP BY ALL"""
    return _shares(con.execute(per_key, params).df(), con.execute(per_period, params).df(), keys, f, freq, key)


def _facts_period_shares(con: duckdb.DuckDBPyConnection, task: str, f: Filters, freq: str,
                         key: str) -> pd.DataFrame | None:
    """`clustered_period_shares` of a task's classes (stance, emotion) summed from its author-day facts
    (analysis.stats.facts; the same figures, without grouping the records per author), or None where they cannot
    answer the view (`clustered.facts_sums_sql`)."""
    labels = facts.AUTHOR_DAY_FACTS[task].labels
    query = clustered.facts_sums_sql(con, f, None, freq, labels=labels, task=task)
    if query is None:
        return None
    wide = con.execute(*query).df()
    long = pd.concat([pd.DataFrame({"period": wide["period"], key: label, "records": wide[f"k_{column}"],
                                    "kk": wide[f"kk_{column}"], "kn": wide[f"kn_{column}"]})
                      for label, column in ((lab, facts.label_column(lab)) for lab in labels)], ignore_index=True)
    return _shares(long, wide[["period", "n", "authors", "nn"]], labels, f, freq, key)


def _shares(long: pd.DataFrame, totals: pd.DataFrame, keys: Sequence[str], f: Filters, freq: str,
            key: str) -> pd.DataFrame:
    """The shares and bands from per period and key (records, kk, kn) and per period (n, authors, nn) sums."""
    totals = totals.assign(period=pd.to_datetime(totals["period"]).dt.date)
    index = periods(f.start, f.end, freq) if f.start and f.end else sorted(totals["period"])
    out = zero_fill(long, index, ["records", "kk", "kn"], key=key, keys=list(keys))
    out = out.merge(totals, on="period", how="left").fillna({"n": 0, "authors": 0, "nn": 0})
    n, k = out["n"].to_numpy(dtype=float), out["records"].to_numpy(dtype=float)
    deff = clustered.design_effects(n, k, out["authors"], out["kk"], out["kn"], out["nn"])
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share"] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    out["share_lo"], out["share_hi"] = wilson_interval(k / deff, n / deff)
    out["n"], out["share_deff"] = out["n"].astype("int64"), deff
    return out[["period", key, "records", "n", "share", "share_lo", "share_hi", "share_deff"]]


def stance_counts_by_period(con: duckdb.DuckDBPyConnection, f: Filters, freq: str = "D") -> pd.DataFrame:
    """Records of each stance per period with shares and Wilson 95% intervals clustered by author (needs
    `actorwatch enrich`; see `clustered_period_shares`; from the stance author-day facts where the connection has
    them and they hold the view).

    Columns: period, stance, records, n (annotated non-empty records in the period), share, share_lo,
    share_hi, share_deff; zero-filled over the filter's periods × the five stances; empty without annotations.
    """
    fast = _facts_period_shares(con, "stance", f, freq, "stance")
    if fast is not None:
        return fast
    scan = annotations_scan(con)
    if scan is None:
        return pd.DataFrame(columns=["period", "stance", "records", "n", "share", "share_lo", "share_hi", "share_deff"])
    where, params = f.where("r")
    per_record = (f"SELECT {period_expr(freq, 'r')} AS period, a.stance AS key, {facts.author_key('r')} AS author "
                  f"FROM records r JOIN {scan} a USING (source, id) WHERE {where} AND a.stance IS NOT NULL")
    return clustered_period_shares(con, per_record, params, STANCES, f, freq, key="stance")


def emotion_counts_by_period(con: duckdb.DuckDBPyConnection, f: Filters, freq: str = "D") -> pd.DataFrame:
    """Records of each emotion (joy, anger, disgust, sadness, fear, surprise, neutral) per period with shares and
    Wilson 95% intervals clustered by author, from the annotations' `emotion` column (needs an `actorwatch enrich`
    that writes it; see `clustered_period_shares`; from the emotion author-day facts where the connection has them
    and they hold the view).

    Columns: period, emotion, records, n (records with a recognised emotion in the period), share, share_lo,
    share_hi, share_deff; zero-filled over the filter's periods × the seven emotions; empty when no annotation has
    one.
    """
    empty = pd.DataFrame(columns=["period", "emotion", "records", "n", "share", "share_lo", "share_hi", "share_deff"])
    frame = _facts_period_shares(con, "emotion", f, freq, "emotion")
    if frame is None:
        # each stored spelling read as its class ('happy' as joy), once per distinct value rather than per record
        scan, known = annotations_scan(con), facts.emotion_spellings(con)
        if scan is None or not known:
            return empty
        where, params = f.where("r")
        values = ", ".join("(?, ?)" for _ in known)
        per_record = (f"SELECT {period_expr(freq, 'r')} AS period, e.emotion AS key, {facts.author_key('r')} AS author "
                      f"FROM records r JOIN {scan} a USING (source, id) "
                      f"JOIN (VALUES {values}) AS e(raw, emotion) ON e.raw = a.emotion WHERE {where}")
        frame = clustered_period_shares(con, per_record, [*(v for pair in known for v in pair), *params],
                                        EMOTION.classes, f, freq, key="emotion")
    return frame if frame["n"].sum() else empty


def unread_languages(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[str, int]:
    """Records in the view that enrichment kept but did not score, per language: text in a language the models do
    not read (analysis.nlp.sentiment.is_read), so no sentiment, stance or emotion share counts them."""
    scan = unread_scan(con)
    if scan is None:
        return {}
    where, params = f.where("r")
    rows = con.execute(f"SELECT u.lang, count(*) FROM records r JOIN {scan} u USING (source, id) WHERE {where} "
                       "GROUP BY u.lang", params).fetchall()
    return {str(lang): int(n) for lang, n in rows}


def has_annotations(con: duckdb.DuckDBPyConnection, tracker: str, column: str) -> bool:
    """Whether any of the tracker's records, whatever their dates, has an annotation with `column` (stance,
    emotion) set: tells a view with no annotated record apart from a tracker `actorwatch enrich` has not reached."""
    if not has_table(con, ANNOTATIONS) or column not in {row[0] for row in con.execute(f"DESCRIBE {ANNOTATIONS}").fetchall()}:
        return False
    return con.execute(f"""SELECT EXISTS (SELECT 1 FROM records r JOIN {ANNOTATIONS} a USING (source, id)
                           WHERE list_contains(r.trackers, ?) AND a.{column} IS NOT NULL)""", [tracker]).fetchone()[0]


def entity_counts_by_period(con: duckdb.DuckDBPyConnection, f: Filters, tracker: Tracker,
                            freq: str = "D") -> pd.DataFrame:
    """Records mentioning each of the tracker's entities per period (columns period, entity, records); needs
    `enrich`."""
    scan = annotations_scan(con)
    if scan is None:
        return pd.DataFrame(columns=["period", "entity", "records"])
    entities, eparams = tracker_entities_sql("a", tracker)
    where, params = f.where("r")
    frame = con.execute(
        f"""SELECT {period_expr(freq, 'r')} AS period, e.entity, count(*) AS records
            FROM records r JOIN {scan} a USING (source, id), unnest({entities}) AS e(entity)
            WHERE {where} GROUP BY ALL ORDER BY period, records DESC, e.entity""",
        [*eparams, *params],
    ).df()
    return frame.assign(period=pd.to_datetime(frame["period"]).dt.date)


def co_mention_counts(con: duckdb.DuckDBPyConnection, f: Filters, tracker: Tracker, top: int = 50) -> pd.DataFrame:
    """The `top` pairs of the tracker's entities most often mentioned in the same record (columns a, b, records)."""
    scan = annotations_scan(con)
    if scan is None:
        return pd.DataFrame(columns=["a", "b", "records"])
    entities, eparams = tracker_entities_sql("a", tracker)
    where, params = f.where("r")
    lists = con.execute(
        f"SELECT * FROM (SELECT {entities} AS entities FROM records r JOIN {scan} a USING (source, id) "
        f"WHERE {where}) WHERE len(entities) > 1",
        [*eparams, *params],
    ).fetchall()
    # ties by the pair's ids, not by which record came first (the snapshot and the store read records in other orders)
    pairs = sorted(co_mentions(row[0] for row in lists).items(), key=lambda pn: (-pn[1], pn[0]))[:top]
    return pd.DataFrame([(a, b, n) for (a, b), n in pairs], columns=["a", "b", "records"])


def _keyword_rows(con: duckdb.DuckDBPyConnection, f: Filters, freq: str, column: str) -> pd.DataFrame:
    """(period, <column> list) per record with text in the filter: from `annotations`, else computed from the text.
    Records without text (empty, or only links or mentions after cleaning) are left out, and counted in
    attrs["without_text"]: a keyword count or frame share is of the records with text, as the stance, emotion and
    sentiment shares are."""
    period = period_expr(freq, "r")
    where, params = f.where("r")
    scan = annotations_scan(con)
    if scan is not None:
        has_empty = "is_empty" in {row[0] for row in con.execute(f"DESCRIBE {ANNOTATIONS}").fetchall()}
        empty = "coalesce(a.is_empty, false)" if has_empty else "false"
        frame = con.execute(
            f"SELECT {period} AS period, a.{column} AS items, {empty} AS is_empty FROM records r "
            f"JOIN {scan} a USING (source, id) WHERE {where}", params).df()
        if len(frame):  # only the annotated records: after a partial enrich, fewer than the view's records
            annotated = {"annotated": len(frame), "records": records_in(con, f)}
            empty = frame["is_empty"].astype(bool)
            frame = frame[~empty].drop(columns="is_empty").reset_index(drop=True)
            frame.attrs.update({"annotated_of": annotated, "without_text": int(empty.sum())})
            return frame
    frame = con.execute(
        f"""SELECT * FROM (SELECT {period} AS period, concat_ws(' ', r.title, r.text) AS text
                           FROM records r WHERE {where} ORDER BY r.source, r.id)
            USING SAMPLE reservoir({MAX_TEXTS} ROWS) REPEATABLE (7)""", params).df()
    # (ordered before sampling: the reservoir draws by position, and the snapshot and the store read rows in other orders)
    # each distinct text once: samples repeat texts (reposts, templates), and the result is a function of the text
    distinct = [t for t in dict.fromkeys(frame["text"]) if not clean_text(t).is_empty]  # as annotations' is_empty
    drawn = len(frame)
    frame = frame[frame["text"].isin(set(distinct))]
    if column == "frames":
        found = {t: frames_in(t) for t in distinct}
    else:
        found = dict(zip(distinct, many_record_keywords(distinct), strict=True))
    items = [found[t] for t in frame["text"]]
    out = pd.DataFrame({"period": frame["period"].to_numpy(), "items": items})
    out.attrs.update({**_sample_attrs(con, f, drawn), "without_text": drawn - len(frame)})
    return out


def _sample_attrs(con: duckdb.DuckDBPyConnection, f: Filters, drawn: int) -> dict[str, dict[str, int]]:
    """`{"sample": {"sampled": drawn, "records": N}}` when `drawn` texts are a sample of the view's N records (a
    full reservoir), else nothing: counts computed from them are of the sample, not of the records."""
    if drawn < MAX_TEXTS:
        return {}
    total = records_in(con, f)
    return {"sample": {"sampled": drawn, "records": total}} if total > drawn else {}


def records_in(con: duckdb.DuckDBPyConnection, f: Filters) -> int:
    """How many records match `f` (from the facts table when the connection has it)."""
    total = facts.record_count(con, f)
    if total is None:
        where, params = f.where("r")
        total = int(con.execute(f"SELECT count(*) FROM records r WHERE {where}", params).fetchone()[0])
    return total


def keywords_by_period(con: duckdb.DuckDBPyConnection, f: Filters, freq: str = "D", k: int = 10) -> pd.DataFrame:
    """The `k` most characteristic keywords of each period: columns period, rank, term, records, score.

    `records` is how many of the period's records carry the term as a keyword; `score` weights it by
    how specific the term is to the period (records × (ln((1+P)/(1+p)) + 1), P periods, p with the term).
    """
    cols = ["period", "rank", "term", "records", "score"]
    rows = _keyword_rows(con, f, freq, "keywords")
    if not len(rows):
        return pd.DataFrame(columns=cols)
    per_period: dict[object, Counter[str]] = {}
    for period, items in zip(rows["period"], rows["items"], strict=True):
        per_period.setdefault(period, Counter()).update(set(_as_list(items)))
    n_periods = len(per_period)
    spread = Counter(term for counts in per_period.values() for term in counts)
    out = []
    for period in sorted(per_period):
        counts = per_period[period]
        scored = sorted(((n * (math.log((1 + n_periods) / (1 + spread[t])) + 1), t) for t, n in counts.items()),
                        key=lambda st: (-st[0], st[1]))
        for rank, (score, term) in enumerate(scored[:k], start=1):
            out.append((pd.Timestamp(period).date(), rank, term, counts[term], round(score, 3)))
    result = pd.DataFrame(out, columns=cols)
    result.attrs.update(rows.attrs)  # a sample's (or the annotated records') size: `records` counts those
    return result


def frame_counts_by_period(con: duckdb.DuckDBPyConnection, f: Filters, freq: str = "D") -> pd.DataFrame:
    """Records using each frame per period, zero-filled over periods × frames.

    Columns: period, frame, records, n (records in the period: annotated ones when read from `annotations`, see
    attrs["annotated_of"]), share, share_lo, share_hi (Wilson 95%).
    """
    rows = _keyword_rows(con, f, freq, "frames")
    pairs = zip(rows["period"], (_as_list(i) for i in rows["items"]), strict=True)
    result = period_shares(pairs, [fr.id for fr in load_frames()], f, freq, key="frame")
    result.attrs.update(rows.attrs)  # a sample's (or the annotated records') size: `records` and `n` count those
    return result


def topics_for(con: duckdb.DuckDBPyConnection, f: Filters, n_topics: int = 8, n_terms: int = 6,
               seed: int = 0) -> TopicModel:
    """Topic clusters over the filter's records with text (a reproducible sample of at most MAX_TEXTS; `sampled_from`
    then says of how many records, and topic sizes count sampled records); `without_text` counts those left out
    (empty, or only links or mentions after cleaning), whose assignments are not in the model."""
    where, params = f.where("r")
    texts = [row[0] for row in con.execute(
        f"""SELECT * FROM (SELECT concat_ws(' ', r.title, r.text) FROM records r WHERE {where} ORDER BY r.source, r.id)
            USING SAMPLE reservoir({MAX_TEXTS} ROWS) REPEATABLE (7)""", params).fetchall()]
    with_text = [t for t in texts if not clean_text(t).is_empty]
    model = replace(topic_clusters(with_text, n_topics=n_topics, n_terms=n_terms, seed=seed),
                    without_text=len(texts) - len(with_text))
    sample = _sample_attrs(con, f, len(texts)).get("sample")
    return replace(model, sampled_from=sample["records"]) if sample else model
