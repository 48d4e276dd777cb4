"""Commands of the collectors layer: import, store."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from collectors.hot_search_cli import commands as _hot_search_commands
from collectors.importers import (
    Importer,
    ImportFormatError,
    ImportIssue,
    detect,
    formats,
    get_format,
    iter_files,
    read_for_ingest,
)
from collectors.store import Store
from collectors.trackers import get_tracker


def progress_bar():  # returns rich.progress.Progress (imported lazily: CLI start-up stays fast)
    """A rich progress display on stderr (hidden when stderr is not a terminal)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, disable=not console.is_terminal, transient=True)


@click.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", help="Force a format instead of auto-detecting (see --list-formats).")
@click.option("--tracker", help="Tag every imported record with this tracker id.")
@click.option("--dry-run", is_flag=True, help="Print one JSON object per normalised record to stdout; write nothing.")
@click.option("--list-formats", is_flag=True, is_eager=True, expose_value=False,
              callback=lambda ctx, _p, v: _list_formats(ctx) if v else None, help="List the formats and exit.")
def import_cmd(path: Path, fmt: str | None, tracker: str | None, dry_run: bool) -> None:
    """Import a file or a folder of files (other tools' exports, saved raw responses, our JSONL/CSV)."""
    from collectors.ingest import ingest

    chosen_tracker = get_tracker(tracker) if tracker else None
    files = iter_files(path)
    if not files:
        raise click.ClickException(f"{path}: no files to import")
    importers = {f: get_format(fmt) for f in files} if fmt else _detect_all(path, files)

    bar = progress_bar()
    task = bar.add_task("import", total=len(importers))

    def items(fast: bool = True):
        for f, importer in importers.items():
            bar.update(task, description=f"import {f.name}")
            yield from read_for_ingest(importer, f, chosen_tracker) if fast else importer.read(f, chosen_tracker)
            bar.advance(task)

    def report(issue: ImportIssue) -> None:
        click.echo(f"skipped {issue}", err=True)

    if dry_run:
        good = bad = 0
        for item in items(fast=False):  # no progress display: stdout carries the records
            if isinstance(item, ImportIssue):
                bad += 1
                report(item)
            else:
                good += 1
                sys.stdout.write(json.dumps(item.model_dump(mode="json"), ensure_ascii=False) + "\n")
        click.echo(f"dry run: {good} valid, {bad} rejected; nothing written", err=True)
        return
    store = Store()
    with bar:
        summary = ingest(items(), store, on_issue=report)
    names = sorted({i.name for i in importers.values()})
    click.echo(f"imported {len(importers)} file(s) as {', '.join(names)} into {store.root}: {summary.line()}", err=True)
    for importer in {i.name: i for i in importers.values()}.values():
        if hasattr(importer, "after_import"):  # optional hook: format-specific summary (e.g. days, snapshots)
            click.echo(importer.after_import([f for f, i in importers.items() if i is importer], store), err=True)


def _detect_all(path: Path, files: list[Path]) -> dict[Path, Importer]:
    """Each file's format; in a folder, files no importer recognises (READMEs, notes) are skipped with a line."""
    found: dict[Path, Importer] = {}
    for f in files:
        try:
            found[f] = detect(f)
        except ImportFormatError:
            if not path.is_dir():
                raise
            click.echo(f"skipped {f.relative_to(path)}: not a recognised format (force one with --format)", err=True)
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
@click.option("--json", "as_json", is_flag=True, help="Print JSON rows instead of a table.")
def store_stats(as_json: bool) -> None:
    """Record counts by source, tracker and day."""
    st = Store()
    frame = st.stats()
    if as_json:
        for row in frame.to_dict(orient="records"):
            click.echo(json.dumps({k: str(v) if k == "day" else v for k, v in row.items()}, ensure_ascii=False))
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
    click.echo(f"total: {int(frame['records'].sum()):,} records (per-day counts: --json)")


@store.command("compact")
@click.option("--dataset", default="records", show_default=True)
def store_compact(dataset: str) -> None:
    """Rewrite a dataset deduplicated into one batch (fewer, larger files)."""
    result = Store().compact(dataset)
    click.echo(f"compacted {dataset}: {result.rows} rows in {result.files} file(s)")


@store.command("recover")
def store_recover() -> None:
    """Finish or discard batches left by an interrupted writer."""
    done = Store().recover()
    click.echo("\n".join(done) if done else "nothing to recover")


from collectors.collect_cli import commands as _collect_commands

commands: list[click.Command] = [import_cmd, store, *_hot_search_commands, *_collect_commands]
