"""The `enrich` command (listed in analysis/nlp/nlp_cli.py's `commands`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from collectors.store import Store


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
              help="Only re-score with this model: sentiment beside the default's scores (a model from `actorwatch "
                   "adapt`, or ai-actors-e5-3c: slower, more accurate on AI-actor text); a stance or emotion model "
                   "(e.g. adapted with `actorwatch adapt --task stance`) re-annotates that task only.")
@click.option("--tracker", "tracker_id", default=None,
              help="With --model: only this tracker's records (default: the tracker the model was adapted to).")
def enrich(workers: int | None, batch_size: int, use_dask: bool, quiet: bool, model_name: str | None,
           tracker_id: str | None) -> None:
    """Score sentiment and annotate language, stance, emotion, entities, frames and keywords for records not yet done.

    Results are stored apart from the posts (datasets `scores` and `annotations`). Safe to stop
    with Ctrl-C and run again: finished batches are kept and nothing is scored twice.
    """
    from analysis.nlp.enrich import EnrichInterrupted, enrich_store
    from collectors.cli_output import prepare_writes
    from collectors.store import Store

    store = Store()
    prepare_writes(store)
    if model_name not in (None, "", "default"):
        _rescore(store, model_name, tracker_id, batch_size)
        return
    if tracker_id:
        raise click.UsageError("--tracker goes with --model (the default enrichment covers every record)")

    try:
        summary = enrich_store(store, batch_size=batch_size, progress=not quiet, workers=workers, use_dask=use_dask,
                               model_name=model_name, on_wait=_say)
    except EnrichInterrupted as stop:
        click.echo(f"interrupted: {stop.summary.line()}", err=True)
        raise  # a KeyboardInterrupt: click aborts with exit status 130 (1 under CliRunner)
    except (RuntimeError, ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(summary.line())
    _keep_adapted_current(store, batch_size)


def _keep_adapted_current(store: Store, batch_size: int) -> None:
    """Score the records collected since with each adapted model in use: its tracker's charts read that model's output,
    where records it has not scored would be missing."""
    from analysis.nlp.model_info import adapted_cards

    if not adapted_cards():  # nothing adapted: the scoring modules are not even loaded
        return
    from analysis.nlp.rescore import adapted_in_use, reannotate, rescore

    for name, task, tracker in adapted_in_use(store):
        try:
            summary = (rescore(store, name, tracker, batch_size, on_wait=_say) if task == "sentiment"
                       else reannotate(store, name, task, tracker, batch_size, on_wait=_say))
        except (ValueError, FileNotFoundError) as exc:
            _say(f"{name} (adapted to tracker {tracker}): its new records were not scored: {exc}")
            continue
        if summary.scored:
            click.echo(summary.line())


def _rescore(store: Store, model_name: str, tracker_id: str | None, batch_size: int) -> None:
    from analysis.nlp.model_info import named_card
    from analysis.nlp.rescore import model_task, model_tracker, reannotate, rescore, task_model_tracker
    from collectors.trackers import TrackerFileError, get_tracker

    try:
        task = model_task(model_name)
        if task == "sentiment":
            tracker = get_tracker(tracker_id).id if tracker_id else model_tracker(model_name)
        else:
            tracker = get_tracker(tracker_id).id if tracker_id else task_model_tracker(model_name, task)
        adapted_to = ((named_card(model_name) or {}).get("adapted") or {}).get("tracker")
        if adapted_to and tracker != adapted_to:
            _say(_elsewhere(model_name, task, adapted_to, tracker))
        if task == "sentiment":
            summary = rescore(store, model_name, tracker, batch_size, on_wait=_say)
        else:
            summary = reannotate(store, model_name, task, tracker, batch_size, on_wait=_say)
    except (TrackerFileError, ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(summary.line())


def _elsewhere(model_name: str, task: str, adapted_to: str, tracker: str | None) -> str:
    """What scoring other records with a model adapted to one tracker does, and what its figures are."""
    where = f"tracker {tracker}'s" if tracker else "every tracker's"
    shown = (f"{where} charts, exports and briefs keep their own sentiment model (one adapted to that tracker, else "
             "the general one); these scores are read only where asked for by --model-version" if task == "sentiment"
             else f"{where} {task} now comes from it, its badge saying whose labels its figures are on")
    return (f"note: {model_name} was adapted to tracker {adapted_to}: its cross-validated figures are on that "
            f"tracker's labels, not measured on {where} records; {shown}")


def _say(message: str) -> None:
    click.echo(message, err=True)


commands: list[click.Command] = [enrich]
