"""Commands of the collectors layer: import, store."""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import click
import pyarrow.compute as pc

from collectors.cli_output import basis_counts, echo_json, fail_if_all_rejected, prepare_writes
from collectors.hot_search_cli import commands as _hot_search_commands
from collectors.importers import (
    Importer,
    ImportFormatError,
    ImportIssue,
    RecordTable,
    detect,
    formats,
    get_format,
    iter_files,
    read_for_ingest,
)
from collectors.importers.context import ImportContext, import_context
from collectors.importers.filerows import saved_time
from collectors.models import Record, TrendObservation
from collectors.store import Store
from collectors.trackers import get_tracker


def progress_bar():  # returns rich.progress.Progress (imported lazily: CLI start-up stays fast)
    """A rich progress display on stderr (hidden when stderr is not a terminal)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, disable=not console.is_terminal, transient=True)


def _aware_time(_ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """An ISO 8601 date-time with a time zone (Z or +08:00), as an aware datetime."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date-time (e.g. 2025-03-02T21:15:00+08:00)",
                                 param=param) from None
    if moment.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no time zone: add one, e.g. +08:00 for Beijing time or Z for UTC",
                                 param=param)
    return moment


def _format_name(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A registered format's name (a usage error otherwise, before any file is read)."""
    if value is not None and value not in formats():
        raise click.BadParameter(f"unknown format {value!r} (known: {', '.join(formats())})", param=param)
    return value


@click.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", callback=_format_name,
              help="Force a format instead of auto-detecting (see --list-formats).")
@click.option("--tracker", help="Tag every imported record with this tracker id.")
@click.option("--dry-run", is_flag=True, help="Print one JSON object per normalised record to stdout; write nothing.")
@click.option("--saved-at", callback=_aware_time, metavar="ISO-TIME",
              help="When the files were saved (e.g. 2025-03-02T21:15:00+08:00): their collection time, and what "
                   "relative and year-less page dates (5分钟前, 01月10日) count from. Default: each file's "
                   "modification time. Records say which in time_basis.")
@click.option("--observed-at", callback=_aware_time, metavar="ISO-TIME",
              help="When a saved hot-search snapshot was taken. Default: a time stamp in the file name, else "
                   "--saved-at, else the file's modification time (trend observations say which in time_basis).")
@click.option("--list-formats", is_flag=True, is_eager=True, expose_value=False,
              callback=lambda ctx, _p, v: _list_formats(ctx) if v else None, help="List the formats and exit.")
def import_cmd(path: Path, fmt: str | None, tracker: str | None, dry_run: bool, saved_at: datetime | None,
               observed_at: datetime | None) -> None:
    """Import a file or a folder of files (other tools' exports, saved raw responses, our JSONL/CSV).

    A rejected row is reported on stderr with its file and line number and the good rows are kept (exit status 0);
    when every row is rejected nothing is imported and the exit status is 1.
    """
    from collectors.ingest import ingest

    chosen_tracker = get_tracker(tracker) if tracker else None
    files = iter_files(path)
    if not files:
        raise click.ClickException(f"{path}: no files to import")
    importers = {f: get_format(fmt) for f in files} if fmt else _detect_all(path, files)

    bar = progress_bar()
    task = bar.add_task("import", total=len(importers))
    times = TimeReport()
    untagged = [0]  # records read without any tracker: no page, chart, export or brief shows them

    def items(fast: bool = True):
        for f, importer in importers.items():
            bar.update(task, description=f"import {f.name}")
            for item in read_for_ingest(importer, f, chosen_tracker) if fast else importer.read(f, chosen_tracker):
                times.add(f, item)
                untagged[0] += _untagged(item)
                yield item
            bar.advance(task)

    def report(issue: ImportIssue) -> None:
        click.echo(f"skipped {issue}", err=True)

    with import_context(saved_at, observed_at) as context:
        if dry_run:
            good = bad = 0
            for item in items(fast=False):  # no progress display: stdout carries the records
                if isinstance(item, ImportIssue):
                    bad += 1
                    report(item)
                else:
                    good += 1
                    sys.stdout.write(json.dumps(item.model_dump(mode="json"), ensure_ascii=False) + "\n")
            _report_times(times, context)
            click.echo(f"dry run: {good} valid, {bad} rejected{_warning_count(context)}; nothing written", err=True)
            _report_untagged(untagged[0])
            fail_if_all_rejected(path, good, bad, _FIX_AND_IMPORT)
            return
        store = Store()
        prepare_writes(store)
        with bar:
            summary = ingest(items(), store, on_issue=report)
        _report_times(times, context)
    names = sorted({i.name for i in importers.values()})
    click.echo(f"imported {len(importers)} file(s) as {', '.join(names)} into {store.root}: {summary.line()}"
               f"{_warning_count(context)}", err=True)
    for importer in {i.name: i for i in importers.values()}.values():
        if hasattr(importer, "after_import"):  # optional hook: format-specific summary (e.g. days, snapshots)
            click.echo(importer.after_import([f for f, i in importers.items() if i is importer], store), err=True)
    _report_untagged(untagged[0])
    fail_if_all_rejected(path, summary.accepted, summary.rejected, _FIX_AND_IMPORT)


_FIX_AND_IMPORT = "fix the lines reported above (or force the right format with --format) and import again"


def _untagged(item: object) -> int:
    """How many of an imported item's records carry no tracker."""
    if isinstance(item, Record):
        return int(not item.trackers)
    if isinstance(item, RecordTable):
        empty = pc.fill_null(pc.equal(pc.list_value_length(item.table["trackers"]), 0), True)
        return int(pc.sum(empty).as_py() or 0)
    return 0


def _report_untagged(n: int) -> None:
    if n:
        click.echo(f"note: {n:,} record(s) carry no tracker, so no dashboard page, chart, export, brief or alert shows "
                   "them; import again with --tracker ID to tag them (nothing is duplicated)", err=True)


_SNAPSHOT_WORDS = {"observed-at": "from --observed-at", "file-name": "from the file name",
                   "saved-at": "from --saved-at", "file-mtime": "from the file's modification time"}
MAX_WARNINGS = 20


class TimeReport:
    """Per file: how many records got their time on which basis, and a trend snapshot's observed_at."""

    def __init__(self) -> None:
        self.records: dict[Path, Counter[str | None]] = {}
        self.trends: dict[Path, Counter[tuple[datetime, str | None]]] = {}

    def add(self, path: Path, item: object) -> None:
        if isinstance(item, Record):
            self.records.setdefault(path, Counter())[item.time_basis] += 1
        elif isinstance(item, RecordTable):  # the fast path's validated rows
            counts = self.records.setdefault(path, Counter())
            for entry in item.table["time_basis"].value_counts().to_pylist():
                counts[entry["values"]] += entry["counts"]
        elif isinstance(item, TrendObservation):
            self.trends.setdefault(path, Counter())[(item.observed_at, item.time_basis)] += 1

    def lines(self) -> list[str]:
        out = []
        for path, bases in self.records.items():
            if set(bases) == {None}:
                continue  # every time as the file states it: nothing to say
            line = f"times in {path.name}: {basis_counts(bases)}"
            if {"saved-at", "file-mtime"} & set(bases):
                at, basis = saved_time(path)
                line += f" ({at:%Y-%m-%dT%H:%M:%SZ}"
                line += "; pass --saved-at if the file was saved at another time)" if basis == "file-mtime" else ")"
            out.append(line)
        for path, seen in self.trends.items():
            for (when, basis), n in sorted(seen.items(), key=lambda kv: kv[0][0]):
                if basis is None:
                    continue
                line = f"{path.name}: {n} topic(s) observed at {when:%Y-%m-%dT%H:%M:%SZ}, {_SNAPSHOT_WORDS.get(basis, basis)}"
                if basis in ("file-mtime", "saved-at"):
                    line += " (the snapshot carries no time of its own; pass --observed-at if it was taken at another time)"
                out.append(line)
        return out


def _report_times(times: TimeReport, context: ImportContext) -> None:
    for line in times.lines():
        click.echo(line, err=True)
    for note in context.notes[:MAX_WARNINGS]:
        click.echo(f"warning {note}", err=True)
    if len(context.notes) > MAX_WARNINGS:
        click.echo(f"… and {len(context.notes) - MAX_WARNINGS} more warning(s)", err=True)


def _warning_count(context: ImportContext) -> str:
    return f", {len(context.notes)} warning(s)" if context.notes else ""


def _detect_all(path: Path, files: list[Path]) -> dict[Path, Importer]:
    """Each file's format; in a folder, files no importer recognises (READMEs, notes) are skipped with a line."""
    found: dict[Path, Importer] = {}
    for f in files:
        try:
            found[f] = detect(f)
        except ImportFormatError as exc:
            if not path.is_dir():
                raise
            reason = str(exc).removeprefix(f"{f}: ")
            if reason.startswith("no importer recognised"):
                reason = "not a recognised format (force one with --format)"
            click.echo(f"skipped {f.relative_to(path)}: {reason}", err=True)
    if not found:
        raise click.ClickException(f"{path}: no file in a recognised format")
    return found


def _list_formats(ctx: click.Context) -> None:
    for name, importer in formats().items():
        click.echo(f"{name:24} {importer.description}")
    ctx.exit(0)


@click.group()
def store() -> None:
    """Inspect and maintain the local store."""


@store.command("stats")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: store, records, synthetic and days (a list of per source, tracker and "
                   "day counts) instead of a table.")
def store_stats(as_json: bool) -> None:
    """Record counts by source, tracker and day (and how many are synthetic demo records)."""
    st = Store()
    frame = st.stats()
    if as_json:
        days = [{k: str(v)[:10] if k == "day" else v for k, v in row.items()}  # YYYY-MM-DD
                for row in frame.to_dict(orient="records")]
        records, synthetic = st.totals()
        echo_json({"store": str(st.root), "records": records, "synthetic": synthetic, "days": days})
        return
    if frame.empty:
        click.echo(f"the store at {st.root} is empty; run `actorwatch demo` or `actorwatch import PATH`")
        return
    from rich.console import Console
    from rich.table import Table

    by_tracker = frame.groupby(["source", "tracker"], as_index=False).agg(records=("records", "sum"), days=("day", "nunique"),
                                                                          first=("day", "min"), last=("day", "max"))
    table = Table(title=f"store: {st.root}")
    for col in ("source", "tracker", "records", "days", "first", "last"):
        table.add_column(col, justify="right" if col in ("records", "days") else "left")
    for row in by_tracker.itertuples(index=False):
        table.add_row(row.source, row.tracker, f"{row.records:,}", str(row.days), str(row.first)[:10], str(row.last)[:10])
    Console().print(table)
    records, synthetic = st.totals()
    demo = f", {synthetic:,} of them SYNTHETIC demo records (generated, not real posts)" if synthetic else ""
    click.echo(f"total: {records:,} records{demo} (per-day counts: --json)")


@store.command("compact")
@click.option("--dataset", default="records", show_default=True, help="The dataset to compact.")
def store_compact(dataset: str) -> None:
    """Rewrite a dataset deduplicated into one batch (fewer, larger files; records and trend observations one
    file per UTC month, month=YYYY-MM, day folders of older stores emptied)."""
    result = Store().compact(dataset)
    if result.batch is None:  # one file or none: compact() leaves it as it is
        click.echo(f"{dataset}: nothing to compact (one file or none)")
        return
    click.echo(f"compacted {dataset}: {result.rows} rows in {result.files} file(s)")


@store.command("recover")
def store_recover() -> None:
    """Finish or discard batches left by an interrupted writer."""
    done = Store().recover()
    click.echo("\n".join(done) if done else "nothing to recover")


from collectors.collect_cli import commands as _collect_commands
from collectors.recheck_cli import commands as _recheck_commands

commands: list[click.Command] = [import_cmd, store, *_hot_search_commands, *_collect_commands, *_recheck_commands]
