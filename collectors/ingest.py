"""Write imported or collected items into the store in batches, counting new, duplicate and rejected."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from collectors.importers import ImportIssue, Item
from collectors.models import Record, TrendObservation, trends_to_table
from collectors.store import RECORDS, TRENDS, Store


@dataclass
class IngestSummary:
    records_new: int = 0
    records_updated: int = 0
    records_duplicate: int = 0
    trends_new: int = 0
    trends_duplicate: int = 0
    rejected: int = 0
    issues: list[ImportIssue] = field(default_factory=list)

    def line(self) -> str:
        parts = [f"records: {self.records_new} new, {self.records_updated} updated, {self.records_duplicate} duplicate"]
        if self.trends_new or self.trends_duplicate:
            parts.append(f"trend observations: {self.trends_new} new, {self.trends_duplicate} duplicate")
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


def ingest(items: Iterable[Item], store: Store, batch_size: int = 50_000,
           on_issue: Callable[[ImportIssue], None] | None = None) -> IngestSummary:
    """Store every valid item once; re-ingesting the same items adds nothing (idempotent)."""
    summary = IngestSummary()
    seen_records = existing_keys(store, RECORDS, _RECORD_KEY_SQL, "epoch_us(collected_at)")
    seen_trends = existing_keys(store, TRENDS, _TREND_KEY_SQL)
    records: list[Record] = []
    trends: list[TrendObservation] = []

    def flush() -> None:
        if records:
            store.add_records(records, batch_size=batch_size)
            records.clear()
        if trends:
            store.add_table(TRENDS, trends_to_table(trends))
            trends.clear()

    for item in items:
        if isinstance(item, ImportIssue):
            summary.rejected += 1
            summary.issues.append(item)
            if on_issue:
                on_issue(item)
        elif isinstance(item, Record):
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
        else:
            key = _trend_key(item)
            if key in seen_trends:
                summary.trends_duplicate += 1
                continue
            seen_trends[key] = None
            trends.append(item)
            summary.trends_new += 1
        if len(records) + len(trends) >= batch_size:
            flush()
    flush()
    return summary
