"""What an import knows beyond its files: when they were saved (`--saved-at`) or observed (`--observed-at`), and
the warnings the user should see.

`actorwatch import` opens an `import_context` around the reading; importers ask `filerows.saved_time(path)`
instead of reading the file's modification time themselves, and leave warnings with `warn`. Outside a context
(e.g. a test calling an importer directly) the file's mtime is used and warnings go nowhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from collectors.importers import ImportIssue


@dataclass
class ImportContext:
    saved_at: datetime | None = None  # when the files were saved; None = each file's modification time
    observed_at: datetime | None = None  # when a saved trend snapshot was taken
    # Records imported but worth a look (e.g. a page date and its id disagree); same shape as a rejection.
    notes: list[ImportIssue] = field(default_factory=list)


_CURRENT: ContextVar[ImportContext | None] = ContextVar("actorwatch_import_context", default=None)


@contextmanager
def import_context(saved_at: datetime | None = None, observed_at: datetime | None = None) -> Iterator[ImportContext]:
    """Make the save/observation times and a warning list available to importers while reading."""
    for name, value in (("saved_at", saved_at), ("observed_at", observed_at)):
        if value is not None and value.tzinfo is None:
            raise ValueError(f"{name}: needs a time zone")
    context = ImportContext(saved_at, observed_at)
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)


def current() -> ImportContext:
    """The open import context, or an empty one (file times, warnings dropped) when none is open."""
    context = _CURRENT.get()
    return context if context is not None else ImportContext()


def warn(where: str, message: str) -> None:
    current().notes.append(ImportIssue(where, message))
