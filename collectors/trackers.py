"""Trackers: the controversies actorwatch follows, loaded and validated from data/trackers.toml."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, model_validator

from collectors.paths import bundled_dir, data_dir
from collectors.tomlfile import load_toml, validation_problems

EntityType = Literal[
    "platform", "company", "executive", "studio", "performer", "union", "industry_body",
    "regulator", "outlet", "product", "ai_performer",
]
EventKind = Literal["launch", "remark", "denial", "statement", "union", "legal", "market", "media", "policy", "other"]
Stance = Literal["oppose", "support", "conditional", "deny-involvement", "neutral"]
STANCES: tuple[str, ...] = get_args(Stance)
# A claim's standing against its sources: the only values the claim ledger shows (and a journalist may quote).
ClaimStatus = Literal["unverified", "disputed", "contradicted", "confirmed"]
CLAIM_STATUSES: tuple[str, ...] = get_args(ClaimStatus)


class TrackerFileError(ValueError):
    """trackers.toml is missing or invalid; the message names the tracker and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Entity(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    type: EntityType
    name_zh: str = ""
    name_en: str = ""
    aliases: list[str] = Field(default_factory=list)
    # Names that are also ordinary words or common first names ("Variety", "Tilly"): counted as a mention only with
    # a cue (analysis.nlp.entities), and never search keywords. May repeat name_en / name_zh, which then need the cue.
    ambiguous: list[str] = Field(default_factory=list)
    public: bool = True
    watch: bool = False

    @property
    def label(self) -> str:
        return self.name_en or self.name_zh or self.id

    def all_names(self) -> list[str]:
        return [n for n in dict.fromkeys([self.name_zh, self.name_en, *self.aliases]) if n]


class Sourced(_Strict):
    """Every curated event and statement names where it comes from: a source (name, URL) and that source's date."""

    source_name: str = Field(min_length=1)
    source_url: HttpUrl
    source_date: date


class Event(Sourced):
    id: str
    date: date
    title_en: str
    title_zh: str = ""
    kind: EventKind


class Statement(Sourced):
    id: str
    entity: str
    who: str
    role: str
    date: date
    platform: str = ""
    stance: Stance
    summary: str


class ClaimReport(_Strict):
    outlet: str
    version: str
    url: HttpUrl
    date: date


class Claim(_Strict):
    id: str
    claim: str
    made_by: str
    date: date
    status: ClaimStatus
    note: str = ""
    reports: list[ClaimReport] = Field(default_factory=list)


class HotSearchRules(_Strict):
    include: list[str] = Field(default_factory=list)
    require_any: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    notes: str = ""

    def matches(self, topic: str) -> bool:
        """Whether a trending-topic title belongs to the tracker (case-insensitive substrings)."""
        low = topic.lower()
        if not any(t.lower() in low for t in self.include):
            return False
        if self.require_any and not any(t.lower() in low for t in self.require_any):
            return False
        return not any(t.lower() in low for t in self.exclude)


class Queries(_Strict):
    weibo: list[str] = Field(default_factory=list)
    bilibili: list[str] = Field(default_factory=list)
    gdelt: list[str] = Field(default_factory=list)
    rss: list[str] = Field(default_factory=list)
    bluesky: list[str] = Field(default_factory=list)
    mastodon: list[str] = Field(default_factory=list)
    market: list[str] = Field(default_factory=list)
    benchmark: str = ""


class Tracker(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name_zh: str
    name_en: str
    description: str = ""
    trigger_date: date
    window_days_before: int = Field(default=10, ge=0)
    window_days_after: int = Field(default=35, ge=1)
    queries: Queries = Field(default_factory=Queries)
    hot_search: HotSearchRules = Field(default_factory=HotSearchRules)
    entities: list[Entity] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    statements: list[Statement] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> Tracker:
        ids = [e.id for e in self.entities]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"entities: duplicate id(s) {sorted(dupes)}")
        for kind, items in (("events", self.events), ("statements", self.statements), ("claims", self.claims)):
            seen = [i.id for i in items]
            if len(seen) != len(set(seen)):
                raise ValueError(f"{kind}: duplicate id")
        for st in self.statements:
            if st.entity not in ids:
                raise ValueError(f"statements.{st.id}.entity: {st.entity!r} is not an entity of this tracker")
        for claim in self.claims:
            if claim.made_by not in ids:
                raise ValueError(f"claims.{claim.id}.made_by: {claim.made_by!r} is not an entity of this tracker")
        return self

    @property
    def label(self) -> str:
        return self.name_en

    def entity(self, entity_id: str) -> Entity:
        return next(e for e in self.entities if e.id == entity_id)

    def public_names(self) -> set[str]:
        return {name for e in self.entities if e.public for name in e.all_names()}

    def keywords(self) -> list[str]:
        """Every query term and alias, for matching records to this tracker."""
        q = self.queries
        return list(dict.fromkeys([*q.weibo, *q.bilibili, *q.rss, *q.bluesky, *(a for e in self.entities for a in e.aliases)]))


def default_path() -> Path:
    """<data dir>/trackers.toml if the user has one (installed, the shipped file is in site-packages and replaced on
    upgrade), else the shipped file."""
    user = data_dir() / "trackers.toml"
    return user if user.exists() else bundled_dir() / "trackers.toml"


def load_trackers(path: str | Path | None = None) -> list[Tracker]:
    """Load and validate every tracker; raises TrackerFileError naming the tracker and field."""
    path = Path(path) if path else default_path()
    return list(_load_cached(str(path), path.stat().st_mtime_ns if path.exists() else 0))


@lru_cache(maxsize=4)
def _load_cached(path_str: str, _mtime: int) -> tuple[Tracker, ...]:
    path = Path(path_str)
    raw = load_toml(path, "trackers file", TrackerFileError)
    if raw.get("schema_version") != 1:
        raise TrackerFileError(f"{path}: schema_version must be 1")
    items = raw.get("tracker")
    if not isinstance(items, list) or not items:
        raise TrackerFileError(f"{path}: no [[tracker]] tables")
    trackers = []
    for n, item in enumerate(items):
        label = item.get("id", f"#{n + 1}") if isinstance(item, dict) else f"#{n + 1}"
        try:
            trackers.append(Tracker.model_validate(item))
        except ValidationError as exc:
            raise TrackerFileError(f"{path}: tracker {label}: {validation_problems(exc, 'tracker')}") from None
    ids = [t.id for t in trackers]
    if len(set(ids)) != len(ids):
        raise TrackerFileError(f"{path}: duplicate tracker id")
    return tuple(trackers)


def get_tracker(tracker_id: str, path: str | Path | None = None) -> Tracker:
    for tracker in load_trackers(path):
        if tracker.id == tracker_id:
            return tracker
    known = ", ".join(t.id for t in load_trackers(path))
    raise TrackerFileError(f"unknown tracker {tracker_id!r} (known: {known})")


def public_names(path: str | Path | None = None) -> set[str]:
    """Names of public entities across all trackers: shown by name, never pseudonymised."""
    return {n for t in load_trackers(path) for n in t.public_names()}
