"""What the command line prints and how it exits, shared by every layer's commands: one strict JSON object for
`--json`, the exit status when every item was rejected, and the words for how records got their times."""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

import click


def echo_json(obj: dict[str, Any]) -> None:
    """Print a --json result: one strict JSON object on one line (an undefined figure, NaN or infinite, is null)."""
    click.echo(json.dumps(_finite(obj), ensure_ascii=False, allow_nan=False, default=str))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def prepare_writes(store: Any) -> None:
    """Before a command writes: say whenever a write of `store` (a `Store`) waits for another writer (it would look
    hung), and complete or discard the batches a killed writer left, saying so. Checking new rows against the store
    first would miss a complete batch not yet moved in, and store its rows again as new."""
    store.on_wait = lambda: click.echo("store: waiting for another writer (an import, a collection, enrich, "
                                       "`store compact`) to finish its batch", err=True)
    for done in store.recover():
        click.echo(f"store: {done} (left by an interrupted run)", err=True)


def fail_if_all_rejected(where: object, accepted: int, rejected: int, next_step: str, *, noun: str = "row",
                         done: str = "imported") -> None:
    """Exit status 1 when items were read but none passed; a partly good input keeps its good items (exit status 0).

    Used by import, labels import and collect, so the three agree."""
    if rejected and not accepted:
        raise click.ClickException(f"{where}: every {noun} was rejected ({rejected}); nothing was {done}: {next_step}")


_BASIS_WORDS = {None: "as stated", "mid": "from the Weibo id", "saved-at": "counted from --saved-at",
                "file-mtime": "counted from the file's modification time", "collected-at": "counted from collection",
                "zone-unresolved": "clock time as written, read as UTC (its time zone name is ambiguous or unknown)",
                "zone-assumed-utc": "written without a time zone, read as UTC",
                "zone-assumed-utc+8": "written without a time zone, read as Beijing time (UTC+8)"}


def basis_counts(bases: Counter[str | None]) -> str:
    """'3 as stated, 1 clock time as written, read as UTC (…)': how many records got their time on which basis,
    with what a guessed zone means for them (basis_note)."""
    order = list(_BASIS_WORDS)
    ranked = sorted(bases.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    return ", ".join(f"{n} {_BASIS_WORDS.get(b, b)}" for b, n in ranked) + basis_note(bases)


def basis_note(bases: Counter[str | None]) -> str:
    """What an unresolved or assumed zone means for the records' times and days ("" when no zone was guessed)."""
    notes = []
    if bases["zone-unresolved"]:
        notes.append("those read as UTC may be off by their zone's offset")
    if bases["zone-assumed-utc"] or bases["zone-assumed-utc+8"]:
        notes.append("those written without a zone, and the days they fall on, may be off by the offset of the zone "
                     "they were written in from the one assumed")
    return "".join(f"; {note}" for note in notes)
