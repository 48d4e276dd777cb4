"""Write imported or collected items into the store in batches, counting new, duplicate and rejected."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from collectors.datasets import DatasetRow
from collectors.importers import ImportIssue, Item, RecordTable
from collectors.models import Record, TrendObservation, models_to_table, records_to_table, trends_to_table
from collectors.store import RECORDS, TRENDS, Store


@dataclass
class IngestSummary:
    records_new: int = 0
    records_updated: int = 0
    records_duplicate: int = 0
    trends_new: int = 0
    trends_duplicate: int = 0
    rejected: int = 0
    rows_new: int = 0  # rows of side datasets (DatasetRow: market prices, GDELT timelines)
    rows_updated: int = 0
    rows_duplicate: int = 0
    issues: list[ImportIssue] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        """Items that passed validation (new, updated or duplicate), of every dataset."""
        return (self.records_new + self.records_updated + self.records_duplicate + self.trends_new
                + self.trends_duplicate + self.rows_new + self.rows_updated + self.rows_duplicate)

    def line(self) -> str:
        parts = [f"records: {self.records_new} new, {self.records_updated} updated, {self.records_duplicate} duplicate"]
        if self.trends_new or self.trends_duplicate:
            parts.append(f"trend observations: {self.trends_new} new, {self.trends_duplicate} duplicate")
        if self.rows_new or self.rows_updated or self.rows_duplicate:
            parts.append(f"dataset rows: {self.rows_new} new, {self.rows_updated} updated, {self.rows_duplicate} duplicate")
        parts.append(f"rejected: {self.rejected}")
        return "; ".join(parts)


def existing_keys(store: Store, dataset: str, key_sql: str, version_sql: str = "NULL") -> dict[str, object]:
    """Key -> version of what the store already holds (for small datasets such as trend observations)."""
    if not store.files(dataset):
        return {}
    with store.connect() as con:
        return dict(con.execute(f'SELECT {key_sql}, {version_sql} FROM "{dataset}"').fetchall())


# The UTC instant, whatever the session's (display) zone: the key `_trend_key` builds from the UTC-validated model.
_TREND_KEY_SQL = "source || ':' || topic || ':' || strftime(timezone('UTC', observed_at), '%Y-%m-%dT%H:%M:%S')"


def _trend_key(t: TrendObservation) -> str:
    return f"{t.source}:{t.topic}:{t.observed_at:%Y-%m-%dT%H:%M:%S}"


def existing_rows(store: Store, cls: type[DatasetRow]) -> dict[tuple[object, ...], dict[str, object]]:
    """Key -> comparable content of the rows a side dataset already holds (deduplicated view)."""
    name = cls.SPEC.name
    if not store.files(name):
        return {}
    with store.connect() as con:
        stored = con.sql(f'SELECT * FROM "{name}"').to_arrow_table().to_pylist()
    fields = set(cls.model_fields)
    rows = (cls.model_validate({k: v for k, v in row.items() if k in fields}) for row in stored)
    return {row.row_key: row.content() for row in rows}


@dataclass
class FreshRecords:
    """The rows of a batch the store does not hold yet, and how many of them are new or newer versions.

    `retag` flags the rows of `table` the store holds at this very version but under other trackers (by the
    fingerprint): whether they add a tracker needs the stored tags (`with_stored_trackers`).
    """

    table: pa.Table
    new: int
    updated: int
    keys: pa.Table  # record_keys(table)
    retag: pa.ChunkedArray | pa.Array | None = None
    older: pa.ChunkedArray | pa.Array | None = None  # rows of the batch the store holds a newer version of


_KEYS = ["source", "id"]


# a hash of the tag list (order counts): equal means the same trackers, unequal only "look the tags up"
_TAGS_SQL = "hash(trackers) AS t"


@cache
def _database(pid: int) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(":memory:")


def _scratch() -> duckdb.DuckDBPyConnection:
    """A fresh connection (cursor) to one in-memory DuckDB kept per process: a new database costs ~15 ms to open,
    a cursor on it 0.3 ms. Keyed by process id, so a forked child never uses its parent's database."""
    return _database(os.getpid()).cursor()


def stored_record_keys(store: Store, files: Sequence[Path] | None = None) -> pa.Table:
    """(source, id, v = collected_at in µs, t = trackers' fingerprint) of every stored record row (of the record
    `files` given): four columns read by DuckDB, kept in Arrow."""
    if not (store.files(RECORDS) if files is None else files):
        return _key_table([], [], [], [])
    with _scratch() as con:
        return con.sql(f"SELECT source, id, epoch_us(collected_at) AS v, {_TAGS_SQL} "
                       f"FROM {store.parquet_scan(RECORDS, files)}").to_arrow_table()


def record_keys(table: pa.Table) -> pa.Table:
    """The `stored_record_keys` columns of a records table."""
    with _scratch() as con:
        con.register("batch", table.select(["trackers"]))
        tags = con.sql(f"SELECT {_TAGS_SQL} FROM batch").to_arrow_table()["t"]
    return _key_table(table["source"], table["id"], pc.cast(table["collected_at"], pa.int64()), tags)


def _key_table(source: object, ids: object, versions: object, tags: object) -> pa.Table:
    return pa.table({"source": pa.array(source, pa.string()) if isinstance(source, list) else source,
                     "id": pa.array(ids, pa.string()) if isinstance(ids, list) else ids,
                     "v": pa.array(versions, pa.int64()) if isinstance(versions, list) else versions,
                     "t": pa.array(tags, pa.uint64()) if isinstance(tags, list) else tags})


def fresh_records(known: list[pa.Table], batch: pa.Table) -> FreshRecords:
    """Keep, per (source, id), the batch's newest row if `known` lacks the key or holds an older version, or holds
    this version only with other trackers (flagged `retag`; a fingerprint equal to a stored row's is a duplicate).

    Hash joins and aggregations in Arrow: the stored records never become Python objects. A key repeated
    within the batch counts once (its newest row, the first of equals, is kept). The caller adds what it writes
    to `known` (`record_keys`).
    """
    batch_keys = record_keys(batch)
    keys = batch_keys.append_column("i", pa.array(np.arange(batch.num_rows)))
    # ids distinct alone (the usual batch) are distinct with their source: a third of the time of the pairs' check
    if len(pc.unique(keys["id"])) != keys.num_rows and keys.group_by(_KEYS).aggregate([]).num_rows != keys.num_rows:
        keys = _newest_per_key(keys)
    stored = pa.concat_tables(known).rename_columns(["source", "id", "stored", "stored_t"]) if known else None
    retag = None
    if stored is not None and stored.num_rows:
        joined = keys.join(stored, keys=_KEYS, join_type="left outer")
        same = pc.fill_null(pc.and_(pc.equal(joined["v"], joined["stored"]), pc.equal(joined["t"], joined["stored_t"])),
                            False)
        joined = joined.append_column("same", same)
        # a key stored several times: its newest version, and whether a row of this version has the same trackers
        joined = joined.group_by(["i", "v"]).aggregate([("stored", "max"), ("same", "any")])
        joined = joined.take(pc.sort_indices(joined["i"]))
        keys = pa.table({"i": joined["i"], "v": joined["v"], "stored": joined["stored_max"],
                         "same": joined["same_any"]})
        was_stored = pc.is_valid(keys["stored"])
        newer = pc.fill_null(pc.greater(keys["v"], keys["stored"]), False)
        other_tags = pc.and_(pc.fill_null(pc.equal(keys["v"], keys["stored"]), False), pc.invert(keys["same"]))
        keep = pc.or_(pc.or_(pc.invert(was_stored), newer), other_tags)
        older_rows = pc.fill_null(pc.less(keys["v"], keys["stored"]), False)
        older = keys["i"].filter(older_rows) if pc.any(older_rows).as_py() else None
        updated = pc.sum(newer).as_py() or 0
        keys = keys.filter(keep)
        retag = other_tags.filter(keep) if pc.any(other_tags).as_py() else None
    else:
        updated, older = 0, None
    rows = keys["i"]
    whole = len(rows) == batch.num_rows
    table = batch if whole else batch.take(rows)
    retagged = pc.sum(retag).as_py() if retag is not None else 0
    return FreshRecords(table, len(rows) - updated - retagged, updated, batch_keys if whole else batch_keys.take(rows),
                        retag, older)


def _newest_per_key(keys: pa.Table) -> pa.Table:
    newest = keys.group_by(_KEYS).aggregate([("v", "max")])
    tied = keys.join(newest, keys=_KEYS)
    tied = tied.filter(pc.equal(tied["v"], tied["v_max"]))
    first = tied.group_by(_KEYS).aggregate([("i", "min")])["i_min"].to_numpy()
    return keys.take(pa.array(np.sort(first)))


def with_stored_trackers(store: Store, table: pa.Table, retag: pa.ChunkedArray | pa.Array | None = None) -> pa.Table:
    """`table` with each row's `trackers` extended by those its stored versions carry; a row flagged in `retag`
    (stored at this very version) is left out unless it adds a tracker its stored rows of that version lack.

    A newer version replaces the stored row, so a post found again by another tracker's run would otherwise drop
    out of every figure of the tracker that found it first; the same post imported again for another tracker is
    that tracker's too.
    """
    with _scratch() as con:
        keys = table.select(_KEYS).append_column("v", pc.cast(table["collected_at"], pa.int64()))
        con.register("batch_keys", keys)
        stored = {(source, rid): (tags, same) for source, rid, tags, same in con.execute(
            f"""SELECT s.source, s.id, flatten(list(s.trackers)),
                       flatten(list(s.trackers) FILTER (WHERE epoch_us(s.collected_at) = b.v))
                FROM {store.parquet_scan(RECORDS)} s JOIN batch_keys b ON s.source = b.source AND s.id = b.id
                GROUP BY s.source, s.id, b.v""").fetchall()}
    if not stored:
        return table
    flags = retag.to_pylist() if retag is not None else [False] * table.num_rows
    keep, merged = [], []
    for source, rid, tags, flagged in zip(table["source"].to_pylist(), table["id"].to_pylist(),
                                          table["trackers"].to_pylist(), flags, strict=True):
        all_tags, same_version = stored.get((source, rid), ([], []))
        if flagged and set(tags or []) <= set(same_version or []):
            keep.append(False)
            continue
        keep.append(True)
        merged.append(list(dict.fromkeys([*(tags or []), *(all_tags or [])])))
    if not all(keep):
        table = table.filter(pa.array(keep))
    column = table.schema.get_field_index("trackers")
    return table.set_column(column, "trackers", pa.array(merged, table.schema.field(column).type))


def newest_with_trackers(store: Store, rows: pa.Table, schema: pa.Schema) -> pa.Table:
    """The stored newest version of each record of `rows` (older copies of stored posts) that lacks some of their
    trackers, with those added: an older copy imported for another tracker makes the post that tracker's too, and
    changes nothing else."""
    with _scratch() as con:  # the join first, then the newest of what it kept (as the deduplicated view picks)
        con.register("older", rows.select(["source", "id", "trackers"]))
        stored = con.sql(f"""SELECT s.*, o.trackers AS "_add" FROM {store.parquet_scan(RECORDS)} s
                              JOIN older o ON s.source = o.source AND s.id = o.id
                              QUALIFY row_number() OVER (PARTITION BY s.source, s.id
                                                         ORDER BY s.collected_at DESC, len(s.trackers) DESC) = 1
                          """).to_arrow_table()
    merged = [list(dict.fromkeys([*(have or []), *(add or [])]))
              for have, add in zip(stored["trackers"].to_pylist(), stored["_add"].to_pylist(), strict=True)]
    grew = pa.array([len(m) > len(have or []) for m, have in zip(merged, stored["trackers"].to_pylist(), strict=True)],
                    pa.bool_())
    column = stored.schema.get_field_index("trackers")
    stored = stored.set_column(column, "trackers", pa.array(merged, stored.schema.field(column).type)).filter(grew)
    for name in set(schema.names) - set(stored.column_names):  # a column no stored file has yet
        stored = stored.append_column(name, pa.nulls(stored.num_rows, schema.field(name).type))
    return stored.select(schema.names).cast(schema)


class KnownKeys:
    """What the store already holds, loaded lazily on first need and kept current by `ingest`.

    Reuse one across the pages of a collection run so the store is scanned once, not once per page: later only
    the record files another writer added since are read (`refresh`). Record keys are Arrow tables (about 50 bytes
    a record), never Python objects.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._records: list[pa.Table] | None = None
        self._read: set[Path] = set()  # the record files whose keys are in `records`
        self._trends: dict[str, object] | None = None
        self.rows: dict[str, dict[tuple[object, ...], dict[str, object]]] = {}

    @property
    def records(self) -> list[pa.Table]:
        if self._records is None:
            self._records = []
            self.refresh()
        return self._records

    def refresh(self) -> list[pa.Table]:
        """`records`, with the keys of record files written since they were read (by an import or a collection
        running beside this one: checked against stale keys, a post it stored looked new, and lost its tracker)."""
        known = self.records
        for _ in range(3):  # a compaction may remove a listed file before it is read: list again
            files = [path for path in self.store.files(RECORDS) if path not in self._read]
            if not files:
                break
            try:
                known.append(stored_record_keys(self.store, files))
            except duckdb.IOException:
                continue
            self._read.update(files)
            break
        return known

    def wrote(self, keys: pa.Table, batch: str | None) -> None:
        """Add the keys of a batch `ingest` wrote (its files need not be read again)."""
        self.records.append(keys)
        if batch is not None:
            self._read.update(path for path in self.store.files(RECORDS) if path.name == f"part-{batch}.parquet")

    @property
    def trends(self) -> dict[str, object]:
        if self._trends is None:
            self._trends = existing_keys(self.store, TRENDS, _TREND_KEY_SQL)
        return self._trends


def ingest(items: Iterable[Item], store: Store, batch_size: int = 100_000,
           on_issue: Callable[[ImportIssue], None] | None = None, known: KnownKeys | None = None) -> IngestSummary:
    """Store every valid item once; re-ingesting the same items adds nothing (idempotent)."""
    summary = IngestSummary()
    known = known if known is not None and known.store is store else KnownKeys(store)
    seen_rows = known.rows
    records: list[Record] = []
    tables: list[pa.Table] = []
    trends: list[TrendObservation] = []
    rows: dict[str, list[DatasetRow]] = {}

    def flush() -> None:
        if records:
            tables.append(records_to_table(records))
            records.clear()
        if tables:
            batch = pa.concat_tables(tables)
            tables.clear()
            with store.writing():  # what the check finds stored is still all there is when the batch is written
                fresh = fresh_records(known.refresh(), batch)
                table = fresh.table
                if fresh.updated or fresh.retag is not None:
                    table = with_stored_trackers(store, table, fresh.retag)
                if fresh.older is not None:
                    table = pa.concat_tables([table, newest_with_trackers(store, batch.take(fresh.older), table.schema)])
                if table.num_rows:
                    written = store.add_table(RECORDS, table)
                    known.wrote(fresh.keys if table is fresh.table else record_keys(table), written.batch)
            summary.records_new += fresh.new
            summary.records_updated += table.num_rows - fresh.new
            summary.records_duplicate += batch.num_rows - table.num_rows
        if trends:
            store.add_table(TRENDS, trends_to_table(trends))
            trends.clear()
        for batch_rows in rows.values():
            if batch_rows:
                spec = batch_rows[0].SPEC
                store.add_table(spec.name, models_to_table(batch_rows, spec.schema), spec)
                batch_rows.clear()

    pending = 0
    for item in items:
        if isinstance(item, ImportIssue):
            summary.rejected += 1
            summary.issues.append(item)
            if on_issue:
                on_issue(item)
            continue
        if isinstance(item, RecordTable):
            tables.append(item.table)
            pending += item.table.num_rows
        elif isinstance(item, Record):
            records.append(item)
            pending += 1
        elif isinstance(item, DatasetRow):
            name = item.SPEC.name
            if name not in seen_rows:
                seen_rows[name] = existing_rows(store, type(item))
            stored_row = seen_rows[name].get(item.row_key)
            if stored_row == item.content():
                summary.rows_duplicate += 1
                continue
            if stored_row is None:
                summary.rows_new += 1
            else:
                summary.rows_updated += 1
            seen_rows[name][item.row_key] = item.content()
            rows.setdefault(name, []).append(item)
            pending += 1
        else:
            key = _trend_key(item)
            seen_trends = known.trends
            if key in seen_trends:
                summary.trends_duplicate += 1
                continue
            seen_trends[key] = None
            trends.append(item)
            summary.trends_new += 1
            pending += 1
        if pending >= batch_size:
            flush()
            pending = 0
    flush()
    return summary
