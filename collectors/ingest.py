"""Write imported or collected items into the store in batches, counting new, duplicate and rejected."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from collectors.datasets import DatasetRow
from collectors.importers import ImportIssue, Item
from collectors.models import Record, TrendObservation, models_to_table, trends_to_table
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

    def line(self) -> str:
        parts = [f"records: {self.records_new} new, {self.records_updated} updated, {self.records_duplicate} duplicate"]
        if self.trends_new or self.trends_duplicate:
            parts.append(f"trend observations: {self.trends_new} new, {self.trends_duplicate} duplicate")
        if self.rows_new or self.rows_updated or self.rows_duplicate:
            parts.append(f"dataset rows: {self.rows_new} new, {self.rows_updated} updated, {self.rows_duplicate} duplicate")
        parts.append(f"rejected: {self.rejected}")
        return "; ".join(parts)


def existing_keys(store: Store, dataset: str, key_sql: str, version_sql: str = "NULL") -> dict[str, object]:
    """Key -> version (e.g. collected_at) of what the store already holds."""
    if not store.files(dataset):
        return {}
    with store.connect() as con:
        return dict(con.execute(f'SELECT {key_sql}, {version_sql} FROM "{dataset}"').fetchall())


_ABSENT = object()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _epoch_us(when: datetime) -> int:
    return (when - _EPOCH) // timedelta(microseconds=1)


_RECORD_KEY_SQL = "source || ':' || id"
_TREND_KEY_SQL = "source || ':' || topic || ':' || strftime(observed_at, '%Y-%m-%dT%H:%M:%S')"


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


class KnownKeys:
    """What the store already holds, loaded lazily on first need and kept current by `ingest`.

    Reuse one across the pages of a collection run so the store is scanned once, not once per page.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._records: dict[str, object] | None = None
        self._trends: dict[str, object] | None = None
        self.rows: dict[str, dict[tuple[object, ...], dict[str, object]]] = {}

    @property
    def records(self) -> dict[str, object]:
        if self._records is None:
            self._records = existing_keys(self.store, RECORDS, _RECORD_KEY_SQL, "epoch_us(collected_at)")
        return self._records

    @property
    def trends(self) -> dict[str, object]:
        if self._trends is None:
            self._trends = existing_keys(self.store, TRENDS, _TREND_KEY_SQL)
        return self._trends


def ingest(items: Iterable[Item], store: Store, batch_size: int = 50_000,
           on_issue: Callable[[ImportIssue], None] | None = None, known: KnownKeys | None = None) -> IngestSummary:
    """Store every valid item once; re-ingesting the same items adds nothing (idempotent)."""
    summary = IngestSummary()
    known = known if known is not None and known.store is store else KnownKeys(store)
    seen_rows = known.rows
    records: list[Record] = []
    trends: list[TrendObservation] = []
    rows: dict[str, list[DatasetRow]] = {}

    def flush() -> None:
        if records:
            store.add_records(records, batch_size=batch_size)
            records.clear()
        if trends:
            store.add_table(TRENDS, trends_to_table(trends))
            trends.clear()
        for batch in rows.values():
            if batch:
                spec = batch[0].SPEC
                store.add_table(spec.name, models_to_table(batch, spec.schema), spec)
                batch.clear()

    for item in items:
        if isinstance(item, ImportIssue):
            summary.rejected += 1
            summary.issues.append(item)
            if on_issue:
                on_issue(item)
        elif isinstance(item, Record):
            seen_records = known.records
            stored = seen_records.get(item.key, _ABSENT)
            version = _epoch_us(item.collected_at)
            if stored is not _ABSENT and not version > stored:  # type: ignore[operator]
                summary.records_duplicate += 1
                continue
            if stored is _ABSENT:
                summary.records_new += 1
            else:
                summary.records_updated += 1
            seen_records[item.key] = version
            records.append(item)
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
        else:
            key = _trend_key(item)
            seen_trends = known.trends
            if key in seen_trends:
                summary.trends_duplicate += 1
                continue
            seen_trends[key] = None
            trends.append(item)
            summary.trends_new += 1
        if len(records) + len(trends) + sum(map(len, rows.values())) >= batch_size:
            flush()
    flush()
    return summary
