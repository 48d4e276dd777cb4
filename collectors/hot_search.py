"""Weibo hot-search topics as data: time zones, tracker matching, topic records and the shipped excerpt.

Times: the store keeps UTC. Weibo's list is a Beijing-time (UTC+8) product: the archive's file names and
commit times are Beijing time, its `firstSeen` is UTC, and a "day" of the list is a Beijing calendar day.

A trending topic appears twice in the store:
- every sighting is a `TrendObservation` (dataset `trend_observations`: topic, observed_at, heat, …);
- a topic matched to at least one tracker is also one `Record(kind="trend", source="weibo", synthetic=False)`
  (see `topic_records`), so real trend topics sit next to posts in the records views. It is a topic's title, not a
  post: no records figure counts it unless kind `trend` is chosen (`analysis.core.filters.Filters.kind_values`).
  Topics that match no tracker stay observations only: they are the list's context (its total heat), not content
  about a tracker.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import pyarrow as pa
from pydantic import AwareDatetime, Field, field_validator

from collectors.datasets import DatasetRow
from collectors.models import Record, TrendObservation, parse_record
from collectors.paths import bundled_dir
from collectors.store import DatasetSpec, atomic_write_text
from collectors.trackers import Tracker

BEIJING = timezone(timedelta(hours=8), "UTC+8")
SOURCE = "weibo"

ARCHIVE_REPO = "arandomguyhere/weibo-daily-hot-search"
ARCHIVE_COMMIT = "07a27c50e72167d77527836f5378d2cc93e12990"
ARCHIVE_CREDIT = (f"Weibo hot-search snapshots recorded by the public tracker github.com/{ARCHIVE_REPO} "
                  f"(\"Weibo Signal Tracker\"), snapshot {ARCHIVE_COMMIT[:12]}")
ARCHIVE_LICENCE = ("No licence stated by the tracker: the facts (which topic trended when, with what heat) are cited "
                   "with credit; the archive's files are not copied — only the observations of topics that match a "
                   "tracker, inside its window, are kept.")


def beijing_day(moment: datetime) -> date:
    """The Beijing (UTC+8) calendar day of an aware datetime: the list's own notion of a day."""
    return moment.astimezone(BEIJING).date()


def topic_url(topic: str) -> str:
    """The s.weibo.com search link of a topic (same form as the live hot-search collector's)."""
    return f"https://s.weibo.com/weibo?q={quote('#' + topic + '#')}"


def topic_id(topic: str) -> str:
    """A stable record id for a trending topic: `hot-` + 16 hex of sha256(topic)."""
    return "hot-" + hashlib.sha256(topic.encode("utf-8")).hexdigest()[:16]


def match_trackers(topic: str, trackers: Sequence[Tracker]) -> list[str]:
    """Ids of the trackers whose `[tracker.hot_search]` rules match the topic title."""
    return [t.id for t in trackers if t.hot_search.matches(topic)]


def in_window(tracker: Tracker, day: date) -> bool:
    return (tracker.trigger_date - timedelta(days=tracker.window_days_before) <= day
            <= tracker.trigger_date + timedelta(days=tracker.window_days_after))


def topic_records(observations: Iterable[TrendObservation]) -> list[Record]:
    """One `kind="trend"` Record per (source, topic) with trackers: first seen = published_at, last seen = collected_at.

    Deterministic in its input, so writing it again after a re-import is a no-op (ingest sees duplicates).
    """
    groups: dict[tuple[str, str], list[TrendObservation]] = defaultdict(list)
    for obs in observations:
        groups[(obs.source, obs.topic)].append(obs)
    records = []
    for (source, topic), items in sorted(groups.items()):
        trackers = sorted({t for o in items for t in o.trackers})
        if not trackers:
            continue
        first = min(o.first_seen or o.observed_at for o in items)
        last = max(o.observed_at for o in items)
        translation = next((o.topic_en for o in items if o.topic_en), None)
        records.append(parse_record({
            "source": source, "id": topic_id(topic), "kind": "trend", "text": topic,
            "title": f"{translation} (machine translation)" if translation else None,
            "url": topic_url(topic), "published_at": first, "collected_at": last, "lang": "zh",
            "trackers": trackers, "synthetic": all(o.synthetic for o in items),
        }))
    return records


# ---------------------------------------------------------------- whole lists
TREND_LISTS = "trend_lists"
TREND_LIST_SCHEMA = pa.schema([
    ("source", pa.string()),
    ("snapshot", pa.string()),
    ("observed_at", pa.timestamp("us", tz="UTC")),
    ("list_heat", pa.int64()),
    ("topics", pa.int32()),
])


class TrendList(DatasetRow):
    """One whole snapshot of a trend list: its total heat (`TrendObservation.list_heat`) and size.

    Kept where the list's own topics are not all stored (the shipped excerpt keeps only tracker topics), so a
    tracker's share of the day's list can still see the day's fullest list when none of its topics was on it.
    """

    SPEC: ClassVar[DatasetSpec] = DatasetSpec(TREND_LISTS, ("source", "snapshot"), "observed_at", None,
                                              TREND_LIST_SCHEMA)
    VOLATILE: ClassVar[tuple[str, ...]] = ()

    source: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_.:-]*$")
    snapshot: str = Field(min_length=1)
    observed_at: AwareDatetime
    list_heat: int | None = Field(default=None, ge=0)
    topics: int = Field(ge=0)

    @field_validator("observed_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)


def trend_lists(observations: Iterable[TrendObservation]) -> list[TrendList]:
    """One TrendList per snapshot of the observations (which must hold every topic of each snapshot)."""
    groups: dict[tuple[str, str], list[TrendObservation]] = defaultdict(list)
    for obs in observations:
        groups[(obs.source, obs.snapshot)].append(obs)
    lists = [TrendList(source=source, snapshot=snapshot, observed_at=min(o.observed_at for o in items),
                       list_heat=max((o.list_heat for o in items if o.list_heat is not None), default=None),
                       topics=len({o.topic for o in items}))
             for (source, snapshot), items in groups.items()]
    return sorted(lists, key=lambda t: (t.observed_at, t.source, t.snapshot))


# ---------------------------------------------------------------- the shipped excerpt
# 2: `_list` lines hold the total heat of every archive snapshot on the Beijing days kept, so a tracker's share
# of the day's list sees the day's fullest list even when it holds none of the tracker's topics.
EXCERPT_FORMAT = 2


def default_excerpt_path() -> Path:
    return bundled_dir() / "hot_search" / "excerpt.jsonl"


@dataclass
class Excerpt:
    """Credit and provenance (`meta`), the observations of each tracker's matching topics, and the totals of
    every list snapshot on the Beijing days kept (`lists`)."""

    meta: dict[str, Any]
    observations: list[TrendObservation] = field(default_factory=list)
    lists: list[TrendList] = field(default_factory=list)

    def topics(self, tracker_id: str | None = None) -> list[str]:
        return sorted({o.topic for o in self.observations if tracker_id is None or tracker_id in o.trackers})


def default_history_path() -> Path:
    """Observations recovered from the archive repository's history (e.g. a README snapshot), not in its files."""
    return bundled_dir() / "hot_search" / "archive_history.jsonl"


def build_excerpt(observations: Iterable[TrendObservation], trackers: Sequence[Tracker],
                  history: Excerpt | None = None) -> Excerpt:
    """Keep only observations of topics matching a tracker, on Beijing days inside that tracker's window.

    `history` (same format as the excerpt, see `default_history_path`) adds observations that the archive's
    files no longer hold; they are matched and windowed like the rest, and the meta says where they come from.
    """
    observations = list(observations)  # read twice: for the matching topics and for the list totals
    kept: list[TrendObservation] = []
    extra = list(history.observations) if history else []
    for obs in [*observations, *extra]:
        day = beijing_day(obs.observed_at)
        ids = [t.id for t in trackers if t.hot_search.matches(obs.topic) and in_window(t, day)]
        if ids:
            kept.append(obs.model_copy(update={"trackers": ids}))
    kept.sort(key=lambda o: (o.observed_at, o.snapshot, o.topic))
    days = {beijing_day(o.observed_at) for o in kept}
    lists = [t for t in trend_lists(observations) if beijing_day(t.observed_at) in days]
    per_tracker = {t.id: len({o.topic for o in kept if t.id in o.trackers}) for t in trackers}
    meta = {
        "format": EXCERPT_FORMAT,
        "lists": {"snapshots": len(lists),
                  "what": "one `_list` line per archive snapshot on every Beijing day kept (tracker topic or not): "
                          "its total heat (list_heat, as in the observations) and number of topics, so a tracker's "
                          "share of the day's list is exact"},
        "what": "Weibo hot-search observations of the topics that match each actorwatch tracker (real data)",
        "source_repository": f"https://github.com/{ARCHIVE_REPO}",
        "source_commit": ARCHIVE_COMMIT,
        "credit": ARCHIVE_CREDIT,
        "licence": ARCHIVE_LICENCE,
        "caveat": "A topic's title is a claim made in a trending headline, not a verified fact.",
        "built_by": "actorwatch hot-search excerpt --archive ../shared/data/weibo_hot_archive",
        "rules": "[tracker.hot_search] of data/trackers.toml; kept where the Beijing day is inside the tracker window",
        "topics_per_tracker": per_tracker,
        "observations": len(kept),
        "times": "observed_at and first_seen are UTC; the list's days are Beijing days (UTC+8)",
    }
    if history:
        meta["history"] = {"file": "data/hot_search/archive_history.jsonl", "observations": len(extra),
                           "source": history.meta.get("source", "")}
    return Excerpt(meta, kept, lists)


def write_excerpt(excerpt: Excerpt, path: Path) -> Path:
    """JSONL: a `{"_meta": …}` line, one `{"_list": …}` line per list snapshot, then one observation per line
    (stable order, so rebuilds diff cleanly)."""
    lines = [json.dumps({"_meta": excerpt.meta}, ensure_ascii=False, sort_keys=True)]
    lines += [json.dumps({"_list": t.model_dump(mode="json")}, ensure_ascii=False, sort_keys=True)
              for t in excerpt.lists]
    lines += [json.dumps(_excerpt_line(o), ensure_ascii=False, sort_keys=True) for o in excerpt.observations]
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path


# Fields added to TrendObservation after the excerpt was first shipped: written only when set, so a rebuild of
# unchanged observations stays byte-identical (reading fills them with their default).
_LATER_FIELDS = ("time_basis",)


def _excerpt_line(observation: TrendObservation) -> dict[str, Any]:
    unset = {name for name in _LATER_FIELDS if getattr(observation, name) is None}
    return observation.model_dump(mode="json", exclude=unset or None)


class OldExcerptError(ValueError):
    """An excerpt written in an earlier format (e.g. without the list totals): to be rebuilt, not read."""


def read_excerpt(path: Path | None = None) -> Excerpt:
    """Load the shipped (or given) excerpt (or the history file, same format); raises ValueError naming the line if
    it is damaged, OldExcerptError if it is not in EXCERPT_FORMAT (an older one's shares of the list are wrong)."""
    path = path or default_excerpt_path()
    excerpt = _read_jsonl(path)
    found = excerpt.meta.get("format", 1)
    if found != EXCERPT_FORMAT:
        raise OldExcerptError(
            f"{path} is out of date: excerpt format {found}, this actorwatch reads format {EXCERPT_FORMAT} (format 2 "
            "adds the total heat of every list snapshot on the days kept, without which a tracker's share of the "
            "day's list is wrong): rebuild it with `actorwatch hot-search excerpt`")
    return excerpt


def _read_jsonl(path: Path) -> Excerpt:
    meta: dict[str, Any] = {}
    observations, lists = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if "_meta" in data:
                meta = data["_meta"]
            elif "_list" in data:
                lists.append(TrendList.model_validate(data["_list"]))
            else:
                observations.append(TrendObservation.model_validate(data))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: not a valid excerpt line ({str(exc).splitlines()[0]})") from None
    return Excerpt(meta, observations, lists)


def ingest_excerpt(store: Any, path: Path | None = None) -> str:
    """Add the shipped excerpt (real observations, their trend Records, the list totals) to a store; idempotent."""
    from collectors.ingest import ingest

    excerpt = read_excerpt(path)
    result = ingest([*excerpt.observations, *topic_records(excerpt.observations), *excerpt.lists], store)
    present = result.trends_duplicate + result.records_duplicate + result.rows_duplicate
    return (f"real Weibo hot-search excerpt: {result.trends_new} observations, {result.records_new} trend "
            f"records and {result.rows_new + result.rows_updated} list totals added ({present} already present)")
