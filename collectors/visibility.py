"""The `visibility` dataset: what a recheck of a stored post found, per post and check time, kept apart from the post.

A post is never rewritten when it disappears: each recheck adds one row (source, id, checked_at) with a
status and the platform's own words (`reason`). Readers take a post's latest *known* status (a later
`unknown` — a network error — does not hide an earlier answer); see analysis/stats/visibility.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar, Literal

import pyarrow as pa
from pydantic import AwareDatetime, Field, field_validator

from collectors.datasets import DatasetRow
from collectors.store import DatasetSpec

VISIBILITY = "visibility"
Status = Literal["visible", "deleted_by_author", "removed", "restricted", "account_gone", "unavailable", "unknown"]
STATUSES: tuple[str, ...] = ("visible", "deleted_by_author", "removed", "restricted", "account_gone", "unavailable",
                             "unknown")
# Gone from public view, whoever removed it. `unavailable` is Weibo's generic "微博不存在或暂无查看权限"
# (does not exist OR no permission): the post is gone, but the page does not say which way.
DISAPPEARED: tuple[str, ...] = ("deleted_by_author", "removed", "restricted", "account_gone", "unavailable")
STATUS_LABELS: dict[str, str] = {
    "visible": "visible", "deleted_by_author": "deleted by author", "removed": "removed by the platform",
    "restricted": "restricted (author's visibility setting)", "account_gone": "account gone",
    "unavailable": "gone (Weibo does not say why)", "unknown": "unknown (check failed)",
}

VISIBILITY_SCHEMA = pa.schema([
    ("source", pa.string()),
    ("id", pa.string()),
    ("checked_at", pa.timestamp("us", tz="UTC")),
    ("status", pa.string()),
    ("reason", pa.string()),
    ("http_status", pa.int32()),
    ("endpoint", pa.string()),
])
VISIBILITY_SPEC = DatasetSpec(VISIBILITY, ("source", "id", "checked_at"), "checked_at", None, VISIBILITY_SCHEMA)


class VisibilityCheck(DatasetRow):
    """One recheck of one stored post."""

    SPEC: ClassVar[DatasetSpec] = VISIBILITY_SPEC
    # A check is the same check when its key and status agree (a re-imported export carries no reason or endpoint).
    VOLATILE: ClassVar[tuple[str, ...]] = ("reason", "http_status", "endpoint")

    source: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_.:-]*$")
    id: str = Field(min_length=1, max_length=512)
    checked_at: AwareDatetime
    status: Status
    reason: str = Field(default="", max_length=500)
    http_status: int | None = None
    endpoint: str | None = None

    @field_validator("checked_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)


__all__ = ["DISAPPEARED", "STATUSES", "STATUS_LABELS", "VISIBILITY", "VISIBILITY_SCHEMA", "VISIBILITY_SPEC",
           "VisibilityCheck"]
