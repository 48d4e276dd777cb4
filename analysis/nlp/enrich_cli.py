"""The `enrich` and `evaluate-stance` commands (listed in analysis/nlp/nlp_cli.py's `commands`)."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("enrich")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the number of CPUs; 1 runs in this process).")
@click.option("--batch-size", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Records per batch; each finished batch is written atomically.")
@click.option("--dask", "use_dask", is_flag=True,
              help="Run batches on a Dask cluster (needs the `scale` extra; a local cluster unless "
                   "DASK_SCHEDULER_ADDRESS is set).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--model", "model_name", default=None,
              help="Only re-score sentiment with this model (e.g. one from `actorwatch adapt`), beside the default's "
                   "scores; English rows still go to VADER.")
@click.option("--tracker", "tracker_id", default=None,
              help="With --model: only this tracker's records (default: the tracker the model was adapted to).")
def enrich(workers: int | None, batch_size: int, use_dask: bool, quiet: bool, model_name: str | None,
           tracker_id: str | None) -> None:
    """Score sentiment and annotate stance, entities, frames and keywords for records not yet done.

    Results are stored apart from the posts (datasets `scores` and `annotations`). Safe to stop
    with Ctrl-C and run again: finished batches are kept and nothing is scored twice.
    """
    from analysis.nlp.enrich import EnrichInterrupted, enrich_store
    from collectors.store import Store

    if model_name not in (None, "", "default"):
        _rescore(model_name, tracker_id, batch_size)
        return
    if tracker_id:
        raise click.UsageError("--tracker goes with --model (the default enrichment covers every record)")

    try:
        summary = enrich_store(Store(), batch_size=batch_size, progress=not quiet, workers=workers, use_dask=use_dask)
    except EnrichInterrupted as stop:
        click.echo(f"interrupted: {stop.summary.line()}", err=True)
        raise  # a KeyboardInterrupt: click aborts with exit status 130 (1 under CliRunner)
    except (RuntimeError, ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(summary.line())


def _rescore(model_name: str, tracker_id: str | None, batch_size: int) -> None:
    from analysis.nlp.rescore import model_tracker, rescore
    from collectors.store import Store
    from collectors.trackers import TrackerFileError, get_tracker

    try:
        tracker = get_tracker(tracker_id).id if tracker_id else model_tracker(model_name)
        summary = rescore(Store(), model_name, tracker, batch_size)
    except (TrackerFileError, ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(summary.line())


@click.command("evaluate-stance")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--split", type=click.Choice(["dev", "test", "all"]), default="test", show_default=True,
              help="Rows of the file's `split` column to use (a file without that column: use all).")
@click.option("--no-sentiment", is_flag=True, help="Rules and cues only, without the sentiment model.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--write-card", is_flag=True, help="Store dev and test figures in data/eval/stance_card.json.")
def evaluate_stance(file: Path | None, split: str, no_sentiment: bool, as_json: bool, write_card: bool) -> None:
    """Measure the stance classifier on a labelled CSV (columns text,label; default data/eval/stance.csv)."""
    from analysis.nlp.stance import evaluate_stance as run
    from analysis.nlp.stance import write_card as store_card

    try:
        result = run(file, split=None if split == "all" else split, use_sentiment=not no_sentiment)
        if write_card:
            figures = {s: run(file, split=s, use_sentiment=not no_sentiment) for s in ("dev", "test")}
            click.echo(f"wrote {store_card(figures)}", err=True)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(f"{result['file']} [{result['split']}]: n={result['n']}  accuracy {result['accuracy']:.3f} "
               f"{result['accuracy_ci95']}  macro-F1 {result['macro_f1']:.3f} {result['macro_f1_ci95']}")
    for label, row in result["per_class"].items():
        click.echo(f"  {label:<17} P {row['precision']:.3f}  R {row['recall']:.3f}  F1 {row['f1']:.3f}  n={row['support']}")
    for name, row in result["baselines"].items():
        click.echo(f"  baseline {name}: accuracy {row['accuracy']:.3f}  macro-F1 {row['macro_f1']:.3f}")


commands: list[click.Command] = [enrich, evaluate_stance]
