"""The one data model for everything collected, and its Parquet schema.

The field names are also the JSON keys wherever a record is printed or exported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import pyarrow as pa
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from collectors.secrets import redact_url

Kind = Literal["post", "comment", "repost", "article", "trend"]
KINDS: tuple[str, ...] = ("post", "comment", "repost", "article", "trend")
SOCIAL_KINDS: tuple[str, ...] = ("post", "comment", "repost")  # what people post: not news articles nor trend entries
# What the records figures count unless kinds are chosen: a trend entry is a hot-search topic's title, not a post (its
# sightings, heat and spans are the Hot search page's, from `trend_observations`)
COUNTED_KINDS: tuple[str, ...] = tuple(k for k in KINDS if k != "trend")

# How a record's main time (published_at; observed_at for trends) was established when the source did not state it
# in full. None: as the source states it (to the precision it states). The rest:
#   mid          decoded from the Weibo id ((id >> 22) + 515483463 Unix seconds) — the page's date was incomplete
#                (no year, relative, or no seconds) and agreed with it
#   saved-at     a relative or year-less date counted from the save time given with `import --saved-at`
#   file-mtime   … counted from the file's modification time (no --saved-at given)
#   collected-at … counted from the moment a live collector fetched the page
#   observed-at  a trend snapshot's time given with `import --observed-at`
#   file-name    a trend snapshot's time read from a time stamp in its file name
#   zone-unresolved  the clock time as written, read as UTC: its zone name is ambiguous (IST: India, Ireland or
#                Israel, the feed's language not settling which) or unknown, so the instant may be hours off
#   zone-assumed-utc    written without a zone (a 4CAT export's "2025-09-30 12:00:00"), read as UTC
#   zone-assumed-utc+8  written without a zone in a Chinese feed, read as Beijing time
TimeBasis = Literal["mid", "saved-at", "file-mtime", "collected-at", "observed-at", "file-name", "zone-unresolved",
                    "zone-assumed-utc", "zone-assumed-utc+8"]
TIME_BASES: tuple[str, ...] = ("mid", "saved-at", "file-mtime", "collected-at", "observed-at", "file-name",
                               "zone-unresolved", "zone-assumed-utc", "zone-assumed-utc+8")


class InvalidRecord(ValueError):
    """A record that does not fit the data model; the message names the field."""


INT64_MAX = 2**63 - 1  # the store's count columns are int64: a larger count would fail the whole batch


class Record(BaseModel):
    """One collected item: a post, comment, repost, news article or trend-list entry."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)

    source: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.:-]*$")
    id: str = Field(min_length=1, max_length=512)
    kind: Kind
    text: str = ""
    title: str | None = None
    url: str | None = None
    published_at: AwareDatetime
    collected_at: AwareDatetime
    lang: str | None = Field(default=None, pattern=r"^[a-z]{2}$")
    author_id: str | None = None
    author_name: str | None = None
    author_verified: bool | None = None
    author_verified_type: int | None = Field(default=None, ge=-(2**31), le=2**31 - 1)  # stored as int32
    author_followers: int | None = Field(default=None, ge=0, le=INT64_MAX)
    # None means the platform did not say; never a faked zero.
    likes: int | None = Field(default=None, ge=0, le=INT64_MAX)
    comments: int | None = Field(default=None, ge=0, le=INT64_MAX)
    shares: int | None = Field(default=None, ge=0, le=INT64_MAX)
    parent_id: str | None = None
    location: str | None = None
    trackers: list[str] = Field(default_factory=list)
    synthetic: bool = False
    time_basis: TimeBasis | None = None  # see TimeBasis: None = published_at as the source states it

    @field_validator("published_at", "collected_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    # every collector and importer makes its records here: a credential in an address (a signed link, an API key;
    # GDELT and RSS ids are addresses too) is never stored
    @field_validator("url", "id")
    @classmethod
    def _no_credentials(cls, value: str | None) -> str | None:
        return redact_url(value)

    @model_validator(mode="after")
    def _has_content(self) -> Record:
        if not self.text.strip() and not (self.title or "").strip():
            raise ValueError("text: empty (a record needs text or a title)")
        return self

    @property
    def key(self) -> str:
        return f"{self.source}:{self.id}"

    def to_json_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data: datetimes as ISO 8601 in UTC."""
        return self.model_dump(mode="json")


RECORD_FIELDS: tuple[str, ...] = tuple(Record.model_fields)


def parse_record(data: Mapping[str, Any]) -> Record:
    """Validate one mapping into a Record, or raise InvalidRecord naming the field(s)."""
    try:
        return Record.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidRecord(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem: `field 'likes': Input should be greater than or equal to 0`."""
    parts = []
    for err in exc.errors():
        message = err["msg"].removeprefix("Value error, ")  # pydantic's prefix for a validator's ValueError
        if err["type"] == "timezone_aware":  # pydantic says only "Input should have timezone info"
            value = err["input"] if isinstance(err["input"], str) else str(err["input"])
            message = (f"no time zone in {value!r}: write one, e.g. 2026-04-20T13:05:00+08:00 (Beijing time) or "
                       "2026-04-20T05:05:00Z (UTC)")
        where = ".".join(str(p) for p in err["loc"])
        if not where:  # a whole-record check names its field first: "text: empty (…)"
            head, sep, rest = message.partition(": ")
            where, message = (head, rest) if sep else ("record", message)
        parts.append(f"field '{where}': {message}")
    return "; ".join(parts)


_TS = pa.timestamp("us", tz="UTC")

RECORD_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("id", pa.string()),
        ("kind", pa.string()),
        ("text", pa.string()),
        ("title", pa.string()),
        ("url", pa.string()),
        ("published_at", _TS),
        ("collected_at", _TS),
        ("lang", pa.string()),
        ("author_id", pa.string()),
        ("author_name", pa.string()),
        ("author_verified", pa.bool_()),
        ("author_verified_type", pa.int32()),
        ("author_followers", pa.int64()),
        ("likes", pa.int64()),
        ("comments", pa.int64()),
        ("shares", pa.int64()),
        ("parent_id", pa.string()),
        ("location", pa.string()),
        ("trackers", pa.list_(pa.string())),
        ("synthetic", pa.bool_()),
        ("time_basis", pa.string()),
    ]
)
assert tuple(RECORD_SCHEMA.names) == RECORD_FIELDS, "RECORD_SCHEMA must list the model's fields in order"


def models_to_table(items: Iterable[BaseModel], schema: pa.Schema) -> pa.Table:
    """Pydantic models as an Arrow table in `schema` (whose names are the models' fields)."""
    columns: dict[str, list[Any]] = {name: [] for name in schema.names}
    for item in items:
        for name in schema.names:
            columns[name].append(getattr(item, name))
    return pa.Table.from_pydict(columns, schema=schema)


def records_to_table(records: Iterable[Record]) -> pa.Table:
    """Records as an Arrow table in RECORD_SCHEMA."""
    return models_to_table(records, RECORD_SCHEMA)


def table_to_records(table: pa.Table) -> list[Record]:
    """Rows of an Arrow table (RECORD_SCHEMA columns) back into validated Records."""
    return [parse_record(row) for row in table.select(list(RECORD_FIELDS)).to_pylist()]


class TrendObservation(BaseModel):
    """A topic seen on a trend list (e.g. Weibo hot search) at one time, with its heat."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_.:-]*$")
    topic: str = Field(min_length=1)
    observed_at: AwareDatetime
    heat: int | None = Field(default=None, ge=0, le=INT64_MAX)
    peak_heat: int | None = Field(default=None, ge=0, le=INT64_MAX)
    rank: int | None = Field(default=None, ge=1, le=INT64_MAX)
    status: Literal["new", "rising", "hot", "falling", "gone"] | None = None
    velocity: float | None = None
    first_seen: AwareDatetime | None = None
    url: str | None = None
    topic_en: str | None = None
    snapshot: str = Field(min_length=1, description="which list snapshot this came from (file or fetch id)")
    # The whole list's heat in that snapshot (sum over its topics of peak_heat, else heat), so a tracker's share
    # of the list needs only its own topics' rows and the totals of the day's other snapshots (`trend_lists`, as
    # the shipped excerpt keeps them). None = unknown.
    list_heat: int | None = Field(default=None, ge=0, le=INT64_MAX)
    trackers: list[str] = Field(default_factory=list)
    synthetic: bool = False
    time_basis: TimeBasis | None = None  # see TimeBasis: None = observed_at is when the list was fetched or as stated

    @field_validator("observed_at", "first_seen")
    @classmethod
    def _to_utc(cls, value: datetime | None) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    @field_validator("url")
    @classmethod
    def _no_credentials(cls, value: str | None) -> str | None:
        return redact_url(value)  # as a record's (Record._no_credentials)


TREND_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("topic", pa.string()),
        ("observed_at", _TS),
        ("heat", pa.int64()),
        ("peak_heat", pa.int64()),
        ("rank", pa.int32()),
        ("status", pa.string()),
        ("velocity", pa.float64()),
        ("first_seen", _TS),
        ("url", pa.string()),
        ("topic_en", pa.string()),
        ("snapshot", pa.string()),
        ("list_heat", pa.int64()),
        ("trackers", pa.list_(pa.string())),
        ("synthetic", pa.bool_()),
        ("time_basis", pa.string()),
    ]
)
assert tuple(TREND_SCHEMA.names) == tuple(TrendObservation.model_fields)


def trends_to_table(observations: Iterable[TrendObservation]) -> pa.Table:
    return models_to_table(observations, TREND_SCHEMA)
