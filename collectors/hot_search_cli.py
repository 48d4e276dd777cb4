"""`actorwatch hot-search …`: build (or check) the shipped excerpt of the Weibo hot-search archive."""

from __future__ import annotations

from pathlib import Path

import click

from collectors.hot_search import (
    OldExcerptError,
    build_excerpt,
    default_excerpt_path,
    default_history_path,
    read_excerpt,
    write_excerpt,
)
from collectors.paths import in_checkout, shared_data_dir
from collectors.trackers import load_trackers


def _default_archive() -> Path | None:
    shared = shared_data_dir()
    return shared / "weibo_hot_archive" if shared else None


@click.group("hot-search")
def hot_search() -> None:
    """Weibo hot-search data: the excerpt of real trending topics shipped with the default store."""


@hot_search.command("excerpt")
@click.option("--archive", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="The archive folder (daily/ and intraday/ JSON files). Default: ../shared/data/weibo_hot_archive.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the excerpt. Default: data/hot_search/excerpt.jsonl (shipped with actorwatch; "
                   "installed from a wheel, --out is required).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the excerpt at --out differs from a rebuild.")
def excerpt_cmd(archive: Path | None, out: Path | None, check: bool) -> None:
    """Keep the observations of topics matching each tracker (inside its window), with the source credit.

    Observations recovered from the archive's history (data/hot_search/archive_history.jsonl) are added first.
    """
    from collectors.importers.weibo_hot_archive import read_archive

    archive = archive or _default_archive()
    if archive is None or not archive.is_dir():
        raise click.ClickException("no archive folder: pass --archive PATH (../shared/data/weibo_hot_archive is absent)")
    if out is None and not check and not in_checkout():
        # the default is the shipped excerpt, inside the installed package: never rewrite site-packages
        raise click.ClickException("the shipped excerpt is part of the installed package: pass --out FILE to write a "
                                   "rebuilt excerpt elsewhere (or run this from a clone of the repository)")
    out = out or default_excerpt_path()
    trackers = load_trackers()
    observations, issues = read_archive(archive, trackers)
    for issue in issues:
        click.echo(f"skipped {issue}", err=True)
    if not observations:  # a wrong folder: an excerpt rebuilt from it would keep only the history's observations
        raise click.ClickException(f"{archive}: no hot-search snapshot read (the archive holds daily/ and intraday/ "
                                   "JSON files): is --archive the right folder?")
    history = read_excerpt(default_history_path()) if default_history_path().exists() else None
    excerpt = build_excerpt(observations, trackers, history)
    per_tracker = ", ".join(f"{k} {v}" for k, v in excerpt.meta["topics_per_tracker"].items())
    if check:
        if not out.exists():
            raise click.ClickException(f"{out} is missing: build it with `actorwatch hot-search excerpt`")
        try:
            shipped = read_excerpt(out)
        except OldExcerptError as exc:
            raise click.ClickException(str(exc)) from None
        if (shipped.observations, shipped.lists) != (excerpt.observations, excerpt.lists):
            raise click.ClickException(f"{out} is out of date: rebuild it with `actorwatch hot-search excerpt`")
        click.echo(f"{out} is up to date ({len(excerpt.observations)} observations; topics: {per_tracker})", err=True)
        return
    write_excerpt(excerpt, out)
    click.echo(f"wrote {out}: {len(excerpt.observations)} observations of matching topics (topics per tracker: "
               f"{per_tracker}) and the totals of {len(excerpt.lists)} list snapshots on their days, from "
               f"{len(observations):,} in {archive}", err=True)


commands: list[click.Command] = [hot_search]
