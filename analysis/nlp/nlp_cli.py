"""Commands of the NLP side of the analysis layer (train, evaluate, enrich)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from analysis.nlp.enrich_cli import commands as enrich_commands
from analysis.nlp.labels_cli import commands as label_commands
from analysis.nlp.metrics import CLASS_NAMES


def _default_shared() -> Path:
    from collectors.paths import shared_data_dir

    return shared_data_dir() or Path("../shared/data")


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Model directory to write (default: the shipped data/models/weibo-charlr-3c).")
@click.option("--shared", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of the labelled CSVs (default: ../shared/data beside the repo; env ACTORWATCH_SHARED).")
@click.option("--no-baseline", is_flag=True, help="Skip scoring every file with SnowNLP for the card (faster).")
def train(out_dir: Path | None, shared: Path | None, no_baseline: bool) -> None:
    """Train the default sentiment model from the shared labelled files and write its methods card."""
    from analysis.nlp.sentiment import DEFAULT_MODEL, models_dir
    from analysis.nlp.sentiment.training import train as run_training

    shared = shared or _default_shared()
    if not shared.is_dir():
        raise click.ClickException(f"{shared}: labelled data folder not found (use --shared PATH)")
    out_dir = out_dir or models_dir() / DEFAULT_MODEL
    try:
        card = run_training(shared, out_dir, baseline=not no_baseline, log=lambda m: click.echo(m, err=True))
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{card['name']} {card['version']}: macro-F1 {card['macro_f1']:.3f} on sentiment3_dev.csv "
               f"→ {out_dir}")


def _table(report: dict[str, Any], model: str, path: Path) -> str:
    def ci(key: str) -> str:
        lo, hi = report[f"{key}_ci95"]
        return f"{report[key]:.3f}  [{lo:.3f}, {hi:.3f}]"

    lines = [f"{path}  ·  model {model}  ·  n = {report['n']:,}", "",
             f"  accuracy          {ci('accuracy')}", f"  macro-F1          {ci('macro_f1')}"]
    if report["binary_n"]:
        lines += [f"  binary accuracy   {ci('binary_accuracy')}   (n = {report['binary_n']:,}, pos vs neg)",
                  f"  binary macro-F1   {ci('binary_macro_f1')}"]
    lines += [f"  ECE               {report['ece']:.3f}   ({report['ece_scope']})", "", "  class       precision  recall     F1  support"]
    for name in CLASS_NAMES:
        c = report["per_class"][name]
        lines.append(f"  {name:<10} {c['precision']:>9.3f} {c['recall']:>7.3f} {c['f1']:>6.3f} {c['support']:>8,}")
    lines += ["", "  confusion (rows true, columns predicted): " + " / ".join(CLASS_NAMES)]
    for name, row in zip(CLASS_NAMES, report["confusion"]["matrix"], strict=True):
        lines.append(f"  {name:<10} " + " ".join(f"{v:>8,}" for v in row))
    lines.append(f"\n  95% CIs: percentile bootstrap, {report['bootstrap']['resamples']} resamples")
    return "\n".join(lines)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--model", "model_name", default="default", show_default=True,
              help="default: what the dashboard and enrichment use (English rows → VADER, all others → the "
                   "shipped Chinese model); weibo-charlr-3c (the Chinese model on every row), snownlp, vader, "
                   "a model adapted to a tracker by `actorwatch adapt` (by name), or a model directory.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the evaluation contract).")
@click.option("--bootstrap", "n_boot", type=click.IntRange(100, 100_000), default=1000, show_default=True,
              help="Bootstrap resamples for the 95% intervals.")
def evaluate(file: Path, model_name: str, as_json: bool, n_boot: int) -> None:
    """Measure a sentiment model on a labelled CSV (columns text,label; 0 neg, 1 pos, 2 neutral)."""
    from analysis.nlp.metrics import evaluate_predictions
    from analysis.nlp.sentiment import get_scorer
    from analysis.nlp.sentiment.labelled import LabelledFileError, read_labelled_csv

    try:
        data = read_labelled_csv(file)
        scorer = get_scorer("auto" if model_name == "default" else model_name)
    except (LabelledFileError, ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    proba = _predict(scorer, data.texts, progress=not as_json)
    report = evaluate_predictions(data.labels, proba, n_boot=n_boot)
    report = {"file": str(file), "model": scorer.name, "model_version": scorer.version, **report}
    if hasattr(scorer, "routing"):
        report["routing"] = scorer.routing(data.texts)
    click.echo(json.dumps(report, ensure_ascii=False) if as_json else _table(report, f"{scorer.name} "
                                                                                   f"{scorer.version}", file))


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


commands: list[click.Command] = [train, evaluate, *enrich_commands, *label_commands]
