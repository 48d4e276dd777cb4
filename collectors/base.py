"""The collector interface: `fetch` does the I/O page by page; `to_record` is a pure mapping of one raw item.

`run_collection` glues them: it archives each raw page before parsing, writes the page's records
idempotently, then saves the cursor, so a killed run resumes where it stopped and converges to the
records of a clean run.
"""

from __future__ import annotations

import abc
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx

from collectors.http import RateLimited, RateLimiter, RetryPolicy, polite_request
from collectors.importers import ImportIssue
from collectors.ingest import IngestSummary, KnownKeys, ingest
from collectors.models import InvalidRecord, Record, TrendObservation
from collectors.secrets import redact, redact_text
from collectors.store import Store, atomic_write_text, remove_stale_temps


class CollectorError(RuntimeError):
    """Base of the collectors' typed errors."""


class ParseError(CollectorError):
    """A raw item or page does not have the expected shape; the message says which field."""


class SourceBlocked(CollectorError):
    """The source refuses us (expired cookie, captcha, ban, rate limit that does not clear): stop and resume later."""

    def __init__(self, message: str, how_to_resume: str = "") -> None:
        super().__init__(message)
        self.how_to_resume = how_to_resume


@dataclass(frozen=True)
class Query:
    tracker: str
    terms: tuple[str, ...]
    since: datetime | None = None
    until: datetime | None = None
    max_items: int | None = None

    def fingerprint(self) -> str:
        body = json.dumps([self.tracker, self.terms, str(self.since), str(self.until)], ensure_ascii=False)
        return hashlib.sha256(body.encode()).hexdigest()[:12]


@dataclass
class Page:
    """One fetched page: its raw items, the raw body (archived before parsing) and the cursor after it; `note` says
    what the run could not reach from it (a window still at the source's cap), for the summary."""

    items: list[Mapping[str, Any]]
    raw: str
    meta: dict[str, Any]
    cursor: dict[str, Any] | None  # None: nothing more to fetch
    note: str | None = None


class Collector(abc.ABC):
    """One source. Subclasses set the class attributes and implement `fetch` and `to_record`."""

    name: ClassVar[str]
    description: ClassVar[str]
    min_interval: ClassVar[float] = 5.0  # seconds between requests: polite by default
    needs_secrets: ClassVar[tuple[str, ...]] = ()
    needs_terms: ClassVar[bool] = True  # False: the source runs without keyword queries (e.g. a trend list)
    terms_from_tracker: ClassVar[bool] = True  # False: terms come from --term only (post ids, user:UID …)

    def __init__(self, client: httpx.Client, *, sleep: Callable[[float], None] | None = None,
                 policy: RetryPolicy | None = None) -> None:
        self.client = client
        kwargs = {"sleep": sleep} if sleep else {}
        self.limiter = RateLimiter(self.min_interval, **kwargs)
        self.policy = policy or RetryPolicy(**kwargs)

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        try:
            return polite_request(self.client, method, url, limiter=self.limiter, policy=self.policy, **kw)
        except RateLimited as exc:
            raise SourceBlocked(f"{self.name}: {exc}", "The limit lifts on its own; wait until then.") from None

    @classmethod
    def check_term(cls, term: str) -> None:
        """Raise ValueError or CollectorError if `term` cannot be one of this source's terms (checked before any
        request)."""

    def queries_for(self, tracker: Any) -> tuple[str, ...]:
        """The tracker's keyword queries for this source."""
        return tuple(getattr(tracker.queries, self.name, ()) or ())

    @abc.abstractmethod
    def fetch(self, query: Query, cursor: dict[str, Any] | None = None) -> Iterator[Page]:
        """Yield pages from `cursor` on (None: from the start). The only method that does I/O."""

    @staticmethod
    @abc.abstractmethod
    def to_record(raw: Mapping[str, Any], collected_at: datetime, tracker: str | None = None) -> Record | TrendObservation:
        """Map one raw item to the data model. Pure; raises ParseError or InvalidRecord."""


@dataclass
class RunSummary:
    source: str
    pages: int = 0
    ingest: IngestSummary = field(default_factory=IngestSummary)
    errors: list[str] = field(default_factory=list)
    stopped: str | None = None
    resumed_from: dict[str, Any] | None = None
    time_bases: Counter[str | None] = field(default_factory=Counter)  # how the stored records got their times
    notes: list[str] = field(default_factory=list)  # what the run could not reach (Page.note), each said once

    def line(self) -> str:
        text = f"{self.source}: {self.pages} page(s); {self.ingest.line()}"
        if self.errors:
            text += f"; {len(self.errors)} error(s)"
        if self.stopped:
            text += f"; STOPPED: {self.stopped}"
        return text


def cursor_path(store: Store, source: str, query: Query) -> Path:
    return store.data_dir / "state" / "cursors" / f"{source}-{query.tracker}-{query.fingerprint()}.json"


def _save_cursor(path: Path, cursor: dict[str, Any] | None) -> None:
    # a temporary file of its own: two runs of one query saving at once must not rename each other's
    atomic_write_text(path, json.dumps({"cursor": cursor, "saved_at": datetime.now(UTC).isoformat(),
                                        "done": cursor is None}))


def run_collection(collector: Collector, query: Query, store: Store, resume: bool = True,
                   on_page: Callable[[RunSummary], None] | None = None) -> RunSummary:
    """Fetch, archive, map, store and checkpoint page by page; stops cleanly on SourceBlocked."""
    summary = RunSummary(collector.name)
    path = cursor_path(store, collector.name, query)
    remove_stale_temps(path)  # a killed run's
    cursor = None
    if resume and path.exists():
        try:
            saved = json.loads(path.read_text())
        except (ValueError, OSError) as exc:
            raise CollectorError(f"{path}: the saved cursor is unreadable ({exc}); re-run with --no-resume to start "
                                 "this query over (writes are idempotent: nothing is stored twice)") from None
        cursor = None if saved.get("done") else saved.get("cursor")
        summary.resumed_from = cursor
    count = 0
    known = KnownKeys(store)
    try:
        for page in collector.fetch(query, cursor):
            store.archive_raw(collector.name, redact_text(page.raw), redact(page.meta))
            collected = datetime.now(UTC)
            items: list[Record | TrendObservation | ImportIssue] = []
            for n, raw in enumerate(page.items):
                try:
                    items.append(collector.to_record(raw, collected, query.tracker))
                except (ParseError, InvalidRecord) as exc:
                    items.append(ImportIssue(f"page {summary.pages + 1} item {n}", str(exc)))
            summary.time_bases.update(item.time_basis for item in items if isinstance(item, Record))
            page_summary = ingest(items, store, known=known)
            _merge(summary.ingest, page_summary)
            summary.pages += 1
            _save_cursor(path, page.cursor)
            if page.note and page.note not in summary.notes:
                summary.notes.append(page.note)
            count += len(page.items)
            if on_page:
                on_page(summary)
            if query.max_items and count >= query.max_items:
                break
    except SourceBlocked as exc:
        _archive_failed(collector, store, exc)
        rerun = "" if "re-run" in exc.how_to_resume else "; re-run the same command with --resume"  # said once
        summary.stopped = f"{exc}. {exc.how_to_resume} Progress is saved{rerun}."
    except CollectorError as exc:
        _archive_failed(collector, store, exc)
        summary.errors.append(str(exc))
        summary.stopped = (f"{exc}. Progress is saved and the response kept in the raw archive; re-running with "
                           "--resume starts at this request, which fails the same way until the query is corrected or "
                           "actorwatch reads the source's new format (or the source recovers).")
    return summary


def _archive_failed(collector: Collector, store: Store, exc: CollectorError) -> None:
    """A page that did not parse, or a refusal page (e.g. a login page): its raw body is kept all the same."""
    response = getattr(exc, "response", None)
    if isinstance(response, httpx.Response):
        store.archive_raw(collector.name, redact_text(response.text),
                          redact({"url": str(response.request.url), "status": response.status_code,
                                  "content_type": response.headers.get("content-type", ""), "error": str(exc)}))


def _merge(total: IngestSummary, part: IngestSummary) -> None:
    for name in ("records_new", "records_updated", "records_duplicate", "trends_new", "trends_duplicate", "rejected",
                 "rows_new", "rows_updated", "rows_duplicate"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.issues.extend(part.issues)
