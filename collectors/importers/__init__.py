"""File importers: each turns one file format into Records (and trend observations), line-located.

Importers register in `REGISTRY` (one place, in the order auto-detection tries them). A format is
one module exposing an object that satisfies `Importer`.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import pyarrow as pa

from collectors.datasets import DatasetRow
from collectors.models import Record, TrendObservation
from collectors.secrets import redact_params
from collectors.trackers import Tracker


@dataclass(frozen=True)
class ImportIssue:
    """A part of the input that could not be imported; `where` is `file:line` or `file[index]`."""

    where: str
    message: str

    def __post_init__(self) -> None:  # a message quoting the item's address is printed and put in --json
        object.__setattr__(self, "message", redact_params(self.message))

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class RecordTable:
    """Records validated as a whole table (RECORD_SCHEMA columns), from an importer's fast path."""

    table: pa.Table


# DatasetRow: market prices, GDELT timelines
Item = Record | TrendObservation | DatasetRow | ImportIssue | RecordTable


class ImportFormatError(ValueError):
    """No importer accepts the file, or the forced format cannot read it."""


@runtime_checkable
class Importer(Protocol):
    name: str
    description: str

    def sniff(self, path: Path, head: bytes) -> bool:
        """Whether this importer recognises the file from its name and first bytes."""

    def read(self, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
        """Yield records, trend observations and issues; never raises on bad rows."""


def read_for_ingest(importer: Importer, path: Path, tracker: Tracker | None = None) -> Iterator[Item]:
    """The importer's fast path (`read_batches`: whole validated tables) where it has one, else `read`."""
    read_batches = getattr(importer, "read_batches", None)
    return read_batches(path, tracker) if read_batches else importer.read(path, tracker)


REGISTRY: dict[str, Importer] = {}
_loaded: list[bool] = []


def register(importer: Importer) -> Importer:
    REGISTRY[importer.name] = importer
    return importer


# Detection order: specific formats first, actorwatch's generic JSONL/CSV last. A list, not import
# statements, so that no import sorter can reorder it.
BUILTIN_MODULES: tuple[str, ...] = ("weibo_hot_archive", "weibo", "saved_responses", "mediacrawler_bilibili", "fourcat",
                                    "market_csv", "native")


def _load_builtins() -> None:
    import importlib

    for module in BUILTIN_MODULES:
        importlib.import_module(f"collectors.importers.{module}")
    # a module imported earlier on its own registered out of turn: restore the detection order (stable sort)
    def rank(item: tuple[str, Importer]) -> int:
        module = _module_of(item[1])
        return BUILTIN_MODULES.index(module) if module in BUILTIN_MODULES else -1

    ranked = sorted(REGISTRY.items(), key=rank)
    REGISTRY.clear()
    REGISTRY.update(ranked)


def _module_of(importer: Importer) -> str:
    return type(importer).__module__.rsplit(".", 1)[-1]


def formats() -> dict[str, Importer]:
    # Not `if not REGISTRY`: importing one format module directly must not hide the other built-ins.
    if not _loaded:
        _load_builtins()
        _loaded.append(True)
    return REGISTRY


def detect(path: Path) -> Importer:
    """The first registered importer whose `sniff` accepts the file."""
    head = _head(path)
    if not head.strip() and path.stat().st_size == len(head):  # nothing but white space (or a BOM), not a format
        raise ImportFormatError(f"{path}: the file is empty")
    for magic, what in _COMPRESSED.items():  # no format reads these; saying so beats listing every format tried
        if head.startswith(magic):
            raise ImportFormatError(f"{path}: {what}")
    for importer in formats().values():
        if importer.sniff(path, head):
            return importer
    tried = ", ".join(formats())
    raise ImportFormatError(f"{path}: no importer recognised this file (tried: {tried}); force one with --format")


_COMPRESSED = {
    b"\x1f\x8b": "a gzip-compressed file: decompress it first (gunzip -k FILE) and import the result",
    b"PK\x03\x04": "a zip archive: extract it first (unzip FILE -d FOLDER) and import the folder",
    b"\xfd7zXZ\x00": "an xz-compressed file: decompress it first (unxz -k FILE) and import the result",
    b"\x28\xb5\x2f\xfd": "a zstd-compressed file: decompress it first (unzstd FILE) and import the result",
    b"7z\xbc\xaf\x27\x1c": "a 7z archive: extract it first (7z x FILE) and import the folder",
}


def get_format(name: str) -> Importer:
    try:
        return formats()[name]
    except KeyError:
        raise ImportFormatError(f"unknown format {name!r} (known: {', '.join(formats())})") from None


def _head(path: Path, size: int = 65_536) -> bytes:
    """The file's first bytes for sniffing, without a UTF-8 byte order mark (the readers accept one); a UTF-16 file
    (with its BOM, as Windows PowerShell's `>` writes) is sniffed as its UTF-8 equivalent."""
    if path.is_dir():
        return b""
    with path.open("rb") as fh:
        head = fh.read(size)
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return head[: len(head) // 2 * 2].decode("utf-16", errors="replace").encode("utf-8")
    return head.removeprefix(codecs.BOM_UTF8)


def iter_files(path: Path) -> list[Path]:
    """A file, or every file under a folder (sorted, hidden files skipped)."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*")
                      if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts))
    return [path]
