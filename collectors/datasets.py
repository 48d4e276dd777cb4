"""Rows of self-describing side datasets (market prices, GDELT timelines) that collectors and importers yield.

A `DatasetRow` subclass names its dataset through `SPEC`; `collectors.ingest.ingest` writes such rows
with `Store.add_table`, skipping rows already stored with the same values (idempotent re-runs).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from collectors.store import DatasetSpec


class DatasetRow(BaseModel):
    """One row of a side dataset; field names equal the dataset's schema columns."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    SPEC: ClassVar[DatasetSpec]
    # Columns that change on every fetch without changing the data (ignored when comparing with stored rows).
    VOLATILE: ClassVar[tuple[str, ...]] = ("collected_at",)

    @property
    def row_key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, k) for k in self.SPEC.keys)

    def content(self) -> dict[str, Any]:
        """The values that matter when deciding whether a stored row is the same row."""
        return self.model_dump(exclude=set(self.VOLATILE))
