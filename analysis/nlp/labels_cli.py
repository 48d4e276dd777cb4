"""`actorwatch labels …` (export a sample, import labels, agreement, label in the terminal) and `actorwatch adapt`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from analysis.nlp.adapt_choice import AUTO, DEFAULT_MAX_RESCORE_MINUTES
from collectors.cli_output import echo_json, fail_if_all_rejected


def _tracker(tracker_id: str) -> str:
    from collectors.trackers import TrackerFileError, get_tracker

    try:
        return get_tracker(tracker_id).id
    except TrackerFileError as exc:
        raise click.ClickException(str(exc)) from None


def _name(annotator: str | None) -> str | None:
    """An annotator name as stored: trimmed, as the Label page and a file's annotator column trim it."""
    return (annotator or "").strip() or None


def _human(annotator: str | None) -> str | None:
    if annotator and annotator.startswith("llm:"):
        raise click.ClickException("annotator names starting with 'llm:' are reserved for language-model pre-labels")
    return annotator


@click.group()
def labels() -> None:
    """Label a tracker's own records (sentiment, stance, emotion), in and out as CSV or JSON, with agreement."""


@labels.command("export")
@click.option("--tracker", "tracker_id", required=True, help="Tracker whose records to sample.")
@click.option("--n", "n", type=click.IntRange(min=1), default=200, show_default=True, help="Records to export.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
              help="csv (a spreadsheet's, UTF-8 with BOM) or jsonl (one JSON object a line, label fields null); "
                   "default: jsonl for an --out ending .jsonl, else csv.")
@click.option("--annotator", help="Leave out only what this annotator labelled (default: anything labelled).")
@click.option("--seed", type=int, default=20240601, show_default=True, help="Sampling seed.")
def export_cmd(tracker_id: str, n: int, out: Path, fmt: str | None, annotator: str | None, seed: int) -> None:
    """Write a sample to label: stratified by day and source, favouring records the model is least sure of.

    Columns source,id,published_at,url,parent_id,text,label,stance,emotion,synthetic: the label columns empty to
    fill in; synthetic is true for generated demo records, which are not real posts.
    """
    from analysis.nlp.labels_io import export_sample
    from collectors.store import Store

    fmt = fmt or ("jsonl" if out.suffix.lower() == ".jsonl" else "csv")
    try:
        rows = export_sample(Store(), _tracker(tracker_id), n, out, _name(annotator), seed, fmt)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {rows:,} records to label to {out} (fill label: 0 negative, 1 positive, 2 neutral; "
               "stance and emotion by name; then `actorwatch labels import`)")
    if not rows:
        click.echo(f"note: {_nothing_left(_tracker(tracker_id), _name(annotator))}", err=True)


def _nothing_left(tracker: str, annotator: str | None) -> str:
    by = f" for {annotator}" if annotator else ""
    return (f"no records of tracker {tracker} left to label{by} (all labelled, or none stored: `actorwatch store "
            "stats` shows what the store holds)")


def _encoding(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    from analysis.nlp.labels_formats import check_encoding

    if value is None:
        return None
    try:
        check_encoding(value)
    except LookupError:
        raise click.BadParameter(f"{value!r} is not an encoding Python knows (e.g. utf-8, utf-16, gb18030, "
                                 "cp1252, big5)") from None
    return value


@labels.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--tracker", "tracker_id", required=True, help="Tracker the labels belong to.")
@click.option("--annotator", help="Annotator name for every row (default: the file's annotator column, or Label "
                                  "Studio's annotator, else 'unnamed'; never the file's name).")
@click.option("--encoding", callback=_encoding, metavar="NAME",
              help="The file's text encoding (default: detected: UTF-8 with or without BOM, UTF-16 with BOM as "
                   "Excel's 'Unicode text', or GB18030/GBK as Excel's CSV on Chinese Windows).")
def import_cmd(file: Path, tracker_id: str, annotator: str | None, encoding: str | None) -> None:
    """Import labels from CSV (comma, semicolon or tab separated), JSON or JSONL, or a Label Studio JSON export.

    CSV and JSON rows: text plus label (or sentiment), stance, emotion; optional source,id, annotator, status.
    Label Studio: each task's data.text (and data.source, data.id) with the choices of Choices controls named
    label (or sentiment), stance, emotion, one row per annotation (a skipped one is status skip). A bad row is
    reported on stderr with its line (or item) number and the good rows are kept (exit status 0); when every row is
    bad nothing is imported and the exit status is 1. Importing the same file again adds nothing.
    """
    from analysis.nlp.labels_io import import_labels
    from analysis.nlp.sentiment.labelled import LabelledFileError
    from collectors.store import Store

    annotator = _human(_name(annotator))
    try:
        result = import_labels(Store(), file, _tracker(tracker_id), annotator, encoding=encoding)
    except LabelledFileError as exc:
        raise click.ClickException(str(exc)) from None
    for error in result.errors:
        click.echo(f"skipped {error}", err=True)
    click.echo(result.line())
    fail_if_all_rejected(file, result.labelled, len(result.errors), "fix the rows reported above and import again",
                         noun="labelled row")  # rows left blank (a sample not yet labelled) are not rejected


@labels.command("agreement")
@click.option("--tracker", "tracker_id", required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def agreement_cmd(tracker_id: str, as_json: bool) -> None:
    """Cohen's kappa per pair of annotators and task, and each language model against the humans."""
    report = agreement_report(_tracker(tracker_id))
    if as_json:
        echo_json(report)
        return
    click.echo(f"tracker {report['tracker']}: {report['labels']:,} labels by {len(report['annotators'])} "
               f"annotator(s): {', '.join(report['annotators']) or 'none'}")
    for row in report["pairs"]:
        click.echo(f"  {row['task']:<9} {row['annotator_a']} vs {row['annotator_b']}: n = {row['n']}, "
                   f"agreement {row['agreement']:.2f}, kappa {_fmt(row['kappa'])}")
    for row in report["llm_vs_humans"]:
        click.echo(f"  {row['task']:<9} {row['annotator']} vs humans: n = {row['n']}, kappa {_fmt(row['kappa'])}")
    if not report["pairs"] and not report["llm_vs_humans"]:
        click.echo("  no overlap yet: agreement needs two annotators on the same records")


def _fmt(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.2f}"


def agreement_report(tracker: str) -> dict[str, Any]:
    from analysis.core.labels import is_llm, read_labels
    from analysis.nlp.agreement import llm_vs_humans, pairwise
    from collectors.store import Store

    with Store().connect() as con:
        frame = read_labels(con, tracker)
    humans = frame[~frame["annotator"].map(is_llm)] if not frame.empty else frame
    tasks = ("sentiment", "stance", "emotion")
    return {"tracker": tracker, "labels": len(frame), "annotators": sorted(frame["annotator"].unique()),
            "pairs": [row for task in tasks for row in pairwise(humans, task)],
            "llm_vs_humans": [row for task in tasks for row in llm_vs_humans(frame, task)]}


KEY_HELP = ("sentiment 0 negative · 1 positive · 2 neutral, then optional stance letter (o oppose · s support · "
            "c conditional · d deny-involvement · n neutral) and emotion letter (j joy · a anger · g disgust · "
            "s sadness · f fear · u surprise · n neutral); x skip; ? before the code marks it unsure; q quits")


@labels.command("annotate")
@click.option("--tracker", "tracker_id", required=True)
@click.option("--annotator", required=True, help="Your name (stored with every label).")
@click.option("--n", "n", type=click.IntRange(min=1), default=20, show_default=True, help="Records this session.")
def annotate_cmd(tracker_id: str, annotator: str, n: int) -> None:
    """Label records in the terminal with the same keys as the dashboard's Label page."""
    from analysis.core.labels import read_labels, write_labels
    from analysis.nlp.label_sample import sample_to_label
    from analysis.nlp.labelling_keys import BadKeys, label_row, parse_keys
    from analysis.nlp.labels_io import display_text
    from collectors.display_zone import as_display, zone_short
    from collectors.store import Store

    name = _human(_name(annotator))
    if name is None:
        raise click.BadParameter("give your name (it is stored with every label)", param_hint="--annotator")
    tracker = _tracker(tracker_id)
    annotator = name
    store = Store()
    with store.connect() as con:
        done = read_labels(con, tracker)
        todo = sample_to_label(con, tracker, n, exclude=set(done.loc[done["annotator"] == annotator, "item"]))
    if todo.empty:
        click.echo(_nothing_left(tracker, annotator))
        return
    click.echo(KEY_HELP)
    saved = 0
    for row in todo.itertuples(index=False):
        url = row.url if isinstance(row.url, str) else ""  # a missing URL is NaN beside records that have one
        click.echo(f"\n[{row.source} · {as_display(row.published_at):%Y-%m-%d %H:%M} {zone_short()}] {url}")
        click.echo(display_text(row.title, row.text))
        while True:
            try:
                keys = click.prompt("label", default="", show_default=False).strip()
            except click.exceptions.Abort:  # Ctrl-C or the input ended: what was typed before is stored
                click.echo(f"\nsaved {saved} label(s)")
                raise
            if keys.lower() == "q":
                click.echo(f"saved {saved} label(s)")
                return
            try:
                choice = parse_keys(keys)
            except BadKeys as exc:
                click.echo(str(exc))
                continue
            break
        saved += write_labels(store, [label_row(tracker, row.source, row.id, display_text(row.title, row.text),
                                                annotator, choice, "cli")])
    click.echo(f"saved {saved} label(s)")


@labels.command("prelabel")
@click.option("--tracker", "tracker_id", required=True)
@click.option("--n", "n", type=click.IntRange(min=0), default=100, show_default=True,
              help="Records to pre-label besides those humans labelled (which come first, for agreement).")
@click.option("--min-interval", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Seconds between requests.")
def prelabel_cmd(tracker_id: str, n: int, min_interval: float) -> None:
    """Pre-label with a language model (OpenAI-compatible endpoint from ACTORWATCH_LLM_*; off unless configured).

    Stored as annotator llm:<model>; used for adapting only with --use-llm-labels, after their agreement with
    the human labels is measured (printed here and by `labels agreement`).
    """
    from analysis.nlp.prelabel import LLMClient, LLMConfig, prelabel
    from collectors.http import RateLimiter
    from collectors.secrets import MissingSecret, redact_text
    from collectors.store import Store

    tracker = _tracker(tracker_id)
    try:
        config = LLMConfig.from_secrets()
    except MissingSecret as exc:
        raise click.ClickException(str(exc)) from None
    client = LLMClient(config, limiter=RateLimiter(min_interval))
    summary = prelabel(Store(), tracker, client, n, log=lambda m: click.echo(m, err=True))
    click.echo(redact_text(summary.line()))
    report = agreement_report(tracker)
    for row in report["llm_vs_humans"]:
        if row["annotator"] == config.annotator:
            click.echo(f"  agreement with the human labels ({row['task']}): n = {row['n']}, kappa {_fmt(row['kappa'])}")
    if summary.stopped:
        raise click.ClickException(redact_text(summary.stopped))


@click.command("adapt")
@click.option("--tracker", "tracker_id", required=True, help="Tracker whose labels to adapt to.")
@click.option("--task", type=click.Choice(["sentiment", "stance", "emotion"]), default="sentiment", show_default=True,
              help="Which model to adapt, on the tracker's labels of that task (stance and emotion: method prior).")
@click.option("--method", type=click.Choice(["prior", "refit"]), default="prior", show_default=True,
              help="prior: refit the base weights on the labels, pulled towards the base (fast, needs no base data); "
                   "refit: retrain on the base training data plus the labels weighted up (needs ../shared/data).")
@click.option("--strength", default=None,
              help="prior: how hard the base weights hold (sentiment default 0.2, measured); 'auto' (the stance and "
                   "emotion default) chooses by nested cross-validation over 0.02-2.")
@click.option("--weight", type=click.FloatRange(min=0, min_open=True), default=None,
              help="refit: how much one tracker label counts against one base training row (default 30).")
@click.option("--compare-weights", default="", help="refit: also cross-validate these weights (comma-separated).")
@click.option("--folds", type=click.IntRange(2, 20), default=None, help="Cross-validation folds (default 5).")
@click.option("--shared", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of the base training CSVs (default: ../shared/data; env ACTORWATCH_SHARED).")
@click.option("--base", "base_model", default=AUTO, show_default=True,
              help="Model to adapt: a name or a model directory. 'auto' (sentiment, method prior): adapt both the "
                   "fast model and, where its encoder runs, the e5 option ai-actors-e5-3c, and keep the one with the "
                   "higher cross-validated macro-F1 (e5 only if the tracker re-scores within --max-rescore-minutes); "
                   "stance, emotion and refit: the shipped model. An e5 option adapts its head on the labels' e5 "
                   "embeddings, which gained more on an unseen case's other pages than the fast model did "
                   "(bench/adapt_cases.py).")
@click.option("--max-rescore-minutes", type=click.FloatRange(min=0), default=DEFAULT_MAX_RESCORE_MINUTES,
              show_default=True,
              help="--base auto: keep the fast model when re-scoring the tracker's records with the e5 option would "
                   "take longer (estimated from their count and its card's speed on one core).")
@click.option("--use-llm-labels", is_flag=True,
              help="Also train on language-model pre-labels (only after their agreement with humans is measured).")
@click.option("--use", "use_version", default=None, metavar="VERSION",
              help="Adapt nothing: make this kept version of the tracker's adapted model (of --task) the current one "
                   "(every version adapting made is kept; an unknown VERSION lists them); 'base': none, the tracker "
                   "back on the general model.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def adapt_cmd(tracker_id: str, task: str, method: str, strength: str | None, weight: float | None, compare_weights: str,
              folds: int | None, shared: Path | None, base_model: str, max_rescore_minutes: float,
              use_llm_labels: bool, use_version: str | None, as_json: bool) -> None:
    """Adapt the sentiment (or stance, emotion) model to a tracker's labels; report cross-validated macro-F1, base
    vs adapted. The new version becomes current unless it is worse than the base or than the current version; every
    version is kept, and `--use VERSION` goes back to one."""
    from analysis.nlp.adapt import (
        DEFAULT_FOLDS,
        DEFAULT_WEIGHT,
        AdaptError,
        AdaptSettings,
        adapt,
        default_strength,
    )
    from collectors.paths import shared_data_dir
    from collectors.store import Store

    tracker = _tracker(tracker_id)
    if use_version is not None:
        _use(tracker, task, use_version, as_json)
        return
    if task != "sentiment" and method != "prior":
        raise click.BadParameter(f"{task} adapts by the prior method only", param_hint="--method")
    looked_in = shared or os.environ.get("ACTORWATCH_SHARED")
    shared = shared or shared_data_dir()
    if method == "refit" and (shared is None or not shared.is_dir()):
        where = f"{looked_in}: not found" if looked_in else "../shared/data beside the repository: not found"
        raise click.ClickException(f"--method refit retrains on the base training data ({where}; give --shared PATH "
                                   "or ACTORWATCH_SHARED)")
    try:
        extra = tuple(float(w) for w in compare_weights.split(",") if w.strip())
    except ValueError:
        raise click.BadParameter(f"{compare_weights!r}: give numbers separated by commas",
                                 param_hint="--compare-weights") from None
    try:
        chosen_strength = None if strength == "auto" else float(strength) if strength else default_strength(task)
    except ValueError:
        raise click.BadParameter(f"{strength!r}: a positive number or 'auto'", param_hint="--strength") from None
    if chosen_strength is not None and chosen_strength <= 0:
        raise click.BadParameter("must be positive", param_hint="--strength")
    settings = AdaptSettings(method=method, strength=chosen_strength, weight=weight or DEFAULT_WEIGHT, compare_weights=extra,
                             folds=folds or DEFAULT_FOLDS, use_llm=use_llm_labels, task=task,
                             base=base_model, max_rescore_minutes=max_rescore_minutes)
    if use_llm_labels:
        report = agreement_report(tracker)
        for row in report["llm_vs_humans"]:
            if row["task"] == task:
                click.echo(f"agreement of {row['annotator']} with the human labels ({row['task']}): n = {row['n']}, "
                           f"kappa {_fmt(row['kappa'])}", err=True)
    try:
        result = adapt(Store(), tracker, shared, settings, log=lambda m: click.echo(m, err=True))
    except (AdaptError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        echo_json({k: v for k, v in result.items() if not k.startswith("evaluation_")})
        return
    lo, hi = result["cv_macro_f1_adapted_ci95"]
    blo, bhi = result["cv_macro_f1_base_ci95"]
    glo, ghi = result["cv_macro_f1_gain_ci95"]
    click.echo(f"{result['model']} {result['version']}: {task} adapted on {result['n_labels']} labels by "
               f"{result['n_annotators']} annotator(s)\n"
               f"  cross-validated macro-F1 {result['cv_macro_f1_adapted']:.3f} [{lo:.3f}–{hi:.3f}] "
               f"({result['folds']}-fold, method {_method(result)})\n"
               f"  base model {result['base_model']}: {result['cv_macro_f1_base']:.3f} [{blo:.3f}–{bhi:.3f}]\n"
               f"  gain {result['cv_macro_f1_gain']:+.3f} [{glo:+.3f}, {ghi:+.3f}] (paired bootstrap)\n"
               + _choice_lines(result) +
               f"  kept in {result.get('version_dir', result['model_dir'])}\n"
               f"  verdict: {result['verdict']}")
    rescore = f"actorwatch enrich --model {result['model']} --tracker {tracker}"
    use = f"actorwatch adapt --tracker {tracker} --task {task} --use"
    if result.get("current") is False:
        still = (f"still current: {result['current_version']}" if result.get("current_version")
                 else "the tracker keeps the base model")
        click.echo(f"  not made current ({result['kept_because']}); {still}\n"
                   f"  to use this version anyway: {use} {result['version']}")
    elif result["verdict"] == "better":
        click.echo(f"  now current; re-score the tracker with it: {rescore}")
    else:
        click.echo(f"  now current, but on these labels not clearly better than the base: label more, or go back "
                   f"with {use} VERSION (re-scoring with it: {rescore})")
    if result.get("current") and result.get("replaced_version"):
        click.echo(f"  replaced {result['replaced_version']} (kept: {use} {result['replaced_version']})")


def _use(tracker: str, task: str, version: str, as_json: bool) -> None:
    """`adapt --use VERSION`: make a kept version current, and say how to re-score with it."""
    from analysis.nlp.adapt_versions import use_version
    from analysis.nlp.sentiment import user_models_dir

    try:
        said = use_version(user_models_dir(), tracker, task, version)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        echo_json(said)
        return
    if said["current_version"] is None:  # --use base
        if said["replaced_version"] is None:
            click.echo(f"tracker {tracker} already uses the general {task} model (no adapted version is current)")
            return
        rescore = ("its charts show the general model's scores again" if task == "sentiment" else
                   f"re-annotate it with the general model: actorwatch enrich --model {said['base_model']} "
                   f"--tracker {tracker}")
        click.echo(f"tracker {tracker} is back on the general {task} model: {said['model']} {said['replaced_version']} "
                   f"is no longer current (kept: actorwatch adapt --tracker {tracker} --task {task} --use "
                   f"{said['replaced_version']})\n  {rescore}")
        return
    click.echo(f"{said['model']}: {said['current_version']} is now the current {task} model of tracker {tracker}"
               + (f" (was {said['replaced_version']}, kept)" if said["replaced_version"] else "")
               + f"\n  re-score the tracker with it (only what it has not scored): actorwatch enrich --model "
                 f"{said['model']} --tracker {tracker}")


def _choice_lines(result: dict[str, Any]) -> str:
    """What --base auto chose and why, and (when the model was adapted from another base than the one compared
    against) that the gain includes the switch to it."""
    lines = ""
    if result.get("auto"):
        lines += f"  base chosen: {result['adapted_from']} ({result['auto']['reason']})\n"
    if result.get("adapted_from") and result["adapted_from"] != result["base_model"]:
        speed = result.get("speed_posts_per_s")
        lines += (f"  adapted from {result['adapted_from']}: the gain over {result['base_model']} includes switching "
                  f"to the slower e5 encoder"
                  + (f" (~{speed:g} posts/s on one core)" if isinstance(speed, int | float) else "") + "\n")
    return lines


def _method(result: dict[str, Any]) -> str:
    if result["method"] == "prior":
        return f"prior, strength {result['strength']:g}"
    return f"refit, label weight {result['weight']:g}"


commands: list[click.Command] = [labels, adapt_cmd]
