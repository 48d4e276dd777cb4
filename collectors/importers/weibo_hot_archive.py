"""The Weibo hot-search archive format (github.com/arandomguyhere/weibo-daily-hot-search, folder raw/).

Each file is a JSON array of topics: text, url, count (heat at the last poll), peakCount, prevCount, velocity,
status (new|rising|hot|falling|gone), firstSeen (ISO 8601, UTC) and sometimes textEn. The list accumulates the
topics of one Beijing day (up to 100, gone ones included).

When a snapshot was taken (`observed_at`, stored in UTC):
- intraday `YYYY-MM-DD_snapshot_YYYYMMDDTHHMMSS.json`: the commit time in the name, which is Beijing time (UTC+8);
- daily `YYYY-MM-DD.json` (the day's last version, commit time unknown): the latest `firstSeen` in the file —
  the last poll the file proves happened. Heat is from the last poll, which may be a little later the same
  Beijing day; if no entry has `firstSeen`, 23:59:59 Beijing time of the file's day.
Weibo's rank is not in the files, so `rank` stays None. A bad entry is reported as `file[index]`; the rest is kept.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime, time
from pathlib import Path
from typing import Any

from collectors.hot_search import BEIJING, SOURCE, beijing_day, match_trackers, topic_records, topic_url
from collectors.importers import ImportIssue, Item, register
from collectors.importers.filerows import json_array_items, read_text
from collectors.models import TrendObservation
from collectors.trackers import Tracker, load_trackers

DAILY_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})\.json$")
INTRADAY_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})_snapshot_(\d{8}T\d{6})\.json$")
STATUSES = ("new", "rising", "hot", "falling", "gone")


class EntryError(ValueError):
    """One archive entry that does not fit; the message names the key."""


def snapshot_name(path: Path) -> str:
    """`intraday/<file>` or `daily/<file>`: the same id wherever the archive folder lives."""
    return f"{'intraday' if INTRADAY_NAME.match(path.name) else 'daily'}/{path.name}"


def commit_time(path: Path) -> datetime | None:
    """The Beijing-time commit moment in an intraday file name, as an aware datetime."""
    m = INTRADAY_NAME.match(path.name)
    return datetime.strptime(m.group(2), "%Y%m%dT%H%M%S").replace(tzinfo=BEIJING) if m else None


def _int(entry: dict[str, Any], key: str, required: bool = False) -> int | None:
    value = entry.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) or value < 0:
        raise EntryError(f"'{key}': expected a whole number ≥ 0, got {value!r}")
    return int(value)


def _time(entry: dict[str, Any], key: str) -> datetime | None:
    value = entry.get(key)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value))  # Python ≥3.11 reads the trailing Z
    except ValueError:
        raise EntryError(f"'{key}': not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise EntryError(f"'{key}': no time zone in {value!r} (the archive writes UTC with 'Z')")
    return moment


def parse_entry(entry: Any) -> dict[str, Any]:
    """Validate one archive entry into TrendObservation fields (without the snapshot's own fields)."""
    if not isinstance(entry, dict):
        raise EntryError(f"expected a JSON object, got {type(entry).__name__}")
    topic = entry.get("text")
    if not isinstance(topic, str) or not topic.strip():
        raise EntryError("'text': missing topic")
    status = entry.get("status")
    if status is not None and status not in STATUSES:
        raise EntryError(f"'status': {status!r} is not one of {', '.join(STATUSES)}")
    velocity = entry.get("velocity")
    if velocity is not None and (isinstance(velocity, bool) or not isinstance(velocity, int | float)):
        raise EntryError(f"'velocity': expected a number, got {velocity!r}")
    topic_en = entry.get("textEn")
    return {
        "topic": topic.strip(), "heat": _int(entry, "count", required=True), "peak_heat": _int(entry, "peakCount"),
        "status": status, "velocity": float(velocity) if velocity is not None else None,
        "first_seen": _time(entry, "firstSeen"),
        "topic_en": topic_en.strip() if isinstance(topic_en, str) and topic_en.strip() else None,
    }


def _load(path: Path) -> tuple[list[Any], ImportIssue | None]:
    """The file's entries, and what stopped the reading (an array cut short keeps the entries before the cut)."""
    text = read_text(path)  # UTF-8, or UTF-16 / GB18030 as a file saved again on Windows is
    if isinstance(text, ImportIssue):
        return [], text
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if not text.lstrip().startswith("["):
            return [], ImportIssue(path.name, f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})")
        items = [item for _, item in json_array_items(text, path.name)]
        cut = items.pop() if items and isinstance(items[-1], ImportIssue) else None
        return items, cut
    if not isinstance(data, list):
        return [], ImportIssue(path.name, "expected a JSON array of topics")
    return data, None


class WeiboHotArchiveImporter:
    name = "weibo-hot-archive"
    description = "Weibo hot-search archive (weibo-daily-hot-search raw/ daily and intraday JSON snapshots)"

    def __init__(self, trackers: Sequence[Tracker] | None = None) -> None:
        self._trackers = trackers

    @property
    def trackers(self) -> Sequence[Tracker]:
        return self._trackers if self._trackers is not None else load_trackers()

    def sniff(self, path: Path, head: bytes) -> bool:
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:4096]
        return (path.suffix.lower() == ".json" and start.startswith(b"[") and b'"text"' in start
                and (b'"peakCount"' in start or b'"firstSeen"' in start or b'"velocity"' in start))

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        data, stop = _load(path)
        if stop is not None:
            yield stop
        parsed: list[tuple[int, dict[str, Any]]] = []
        for index, entry in enumerate(data):
            try:
                parsed.append((index, parse_entry(entry)))
            except EntryError as exc:
                yield ImportIssue(f"{path.name}[{index}]", str(exc))
        observed_at = self._observed_at(path, [fields for _, fields in parsed])
        if observed_at is None:
            if parsed:
                yield ImportIssue(path.name, "cannot tell when this snapshot was taken: no firstSeen and the file name "
                                             "is neither YYYY-MM-DD.json nor YYYY-MM-DD_snapshot_YYYYMMDDTHHMMSS.json")
            return
        list_heat = sum(f["peak_heat"] if f["peak_heat"] is not None else f["heat"] for _, f in parsed)
        snapshot = snapshot_name(path)
        trackers = self.trackers
        for index, fields in parsed:
            ids = match_trackers(fields["topic"], trackers)
            if tracker is not None and tracker.id not in ids:
                ids.append(tracker.id)
            try:
                yield TrendObservation(source=SOURCE, observed_at=observed_at, url=topic_url(fields["topic"]),
                                       snapshot=snapshot, list_heat=list_heat, trackers=ids, **fields)
            except ValueError as exc:
                yield ImportIssue(f"{path.name}[{index}]", str(exc).splitlines()[0])

    @staticmethod
    def _observed_at(path: Path, entries: list[dict[str, Any]]) -> datetime | None:
        committed = commit_time(path)
        if committed is not None:
            return committed
        seen = [f["first_seen"] for f in entries if f["first_seen"] is not None]
        if seen:
            return max(seen)
        m = DAILY_NAME.match(path.name)
        return datetime.combine(datetime.fromisoformat(m.group(1)).date(), time(23, 59, 59), BEIJING) if m else None

    def after_import(self, files: Sequence[Path], store: Any) -> str:
        """Write a trend Record per matched topic (idempotent) and summarise days, snapshots and topics."""
        from collectors.ingest import ingest

        snapshots = [snapshot_name(f) for f in files]
        with store.connect() as con:
            con.execute("CREATE TEMP TABLE _snaps(snapshot VARCHAR)")
            con.executemany("INSERT INTO _snaps VALUES (?)", [[s] for s in snapshots])
            rows = con.execute(
                "SELECT snapshot, min(observed_at), count(*) FROM trend_observations WHERE source = ? "
                "AND snapshot IN (SELECT snapshot FROM _snaps) GROUP BY snapshot", [SOURCE]).fetchall()
            topics = con.execute(
                "SELECT count(DISTINCT topic) FROM trend_observations WHERE source = ? "
                "AND snapshot IN (SELECT snapshot FROM _snaps)", [SOURCE]).fetchone()[0]
            cursor = con.execute(
                "SELECT * FROM trend_observations WHERE source = ? AND len(trackers) > 0 AND topic IN "
                "(SELECT topic FROM trend_observations WHERE snapshot IN (SELECT snapshot FROM _snaps))", [SOURCE])
            columns = [d[0] for d in cursor.description]
            matched = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        summary = ArchiveSummary.from_rows(rows, topics)
        observations = [TrendObservation.model_validate(r) for r in matched]
        written = ingest(topic_records(observations), store)
        per_tracker = Counter(t for r in topic_records(observations) for t in r.trackers)
        matched_text = ", ".join(f"{k} {v}" for k, v in sorted(per_tracker.items())) or "none"
        return (f"{summary.line()}; topics matched per tracker (all dates): {matched_text}; "
                f"trend records: {written.records_new} new, {written.records_updated} updated, "
                f"{written.records_duplicate} unchanged")


class ArchiveSummary:
    """Days, snapshots and topics of an imported set of archive files."""

    def __init__(self, daily: list[datetime], intraday: list[datetime], topics: int, observations: int) -> None:
        self.daily, self.intraday, self.topics, self.observations = daily, intraday, topics, observations

    @classmethod
    def from_rows(cls, rows: list[tuple[str, datetime, int]], topics: int) -> ArchiveSummary:
        daily = sorted(t for s, t, _ in rows if s.startswith("daily/"))
        intraday = sorted(t for s, t, _ in rows if s.startswith("intraday/"))
        return cls(daily, intraday, topics, sum(n for *_, n in rows))

    def line(self) -> str:
        def span(times: list[datetime]) -> str:
            return f"{beijing_day(times[0])} to {beijing_day(times[-1])}" if times else "none"

        intraday_days = len({beijing_day(t) for t in self.intraday})
        return (f"hot-search archive: {len(self.daily)} daily files with data ({span(self.daily)}), "
                f"{len(self.intraday)} intraday snapshots over {intraday_days} day(s) ({span(self.intraday)}), "
                f"{self.topics:,} distinct topics in {self.observations:,} observations (days in Beijing time, UTC+8)")


register(WeiboHotArchiveImporter())


def read_archive(folder: Path, trackers: Sequence[Tracker] | None = None) -> tuple[list[TrendObservation], list[ImportIssue]]:
    """Every observation of an archive folder (its .json snapshots), and the issues found on the way."""
    from collectors.importers import iter_files

    importer = WeiboHotArchiveImporter(trackers)
    observations: list[TrendObservation] = []
    issues: list[ImportIssue] = []
    for path in iter_files(folder):
        if path.suffix.lower() != ".json":
            continue
        for item in importer.read(path):
            (issues if isinstance(item, ImportIssue) else observations).append(item)  # type: ignore[arg-type]
    return observations, issues
