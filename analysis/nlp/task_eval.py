"""The evaluation contract for stance and emotion (`actorwatch evaluate FILE --task stance|emotion`).

A report is metrics.evaluate_classes (accuracy and macro-F1 over the classes present, with bootstrap 95%
intervals, per-class figures, confusion; stance adds f_avg, the NLPCC 2016 metric) and, when the file has a
`lang` column, the same report per language under "by_lang"; when it has the labeller's `confidence` column
(labelling.md: high, low), the same per confidence under "by_confidence": how right the model is on clear-cut
text and on text a labeller found ambiguous (the headline figure stays the one over all rows).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analysis.nlp.metrics import evaluate_classes
from analysis.nlp.sentiment.linear import file_sha256
from analysis.nlp.tasks import STANCE, Task, TaskSet, read_task_csv

LANGS_REPORTED = ("zh", "en")
CONFIDENCE = ("high", "low")  # labelling.md's values


def f_avg_pair(task: Task) -> tuple[int, int] | None:
    """(support, oppose) indices for stance — the classes NLPCC 2016's f_avg averages; None otherwise."""
    return (task.classes.index("support"), task.classes.index("oppose")) if task is STANCE else None


def class_report(task: Task, y_true: Sequence[int], y_pred: Sequence[int], langs: Sequence[str] | None = None,
                 n_boot: int = 1000, groups: np.ndarray | None = None, group_by: str = "url",
                 confidence: Sequence[str] | None = None) -> dict[str, Any]:
    """evaluate_classes for `task`, plus "by_lang" (zh, en and any other language present) where langs are known
    and "by_confidence" where the labeller's confidence is; with `groups` (a TaskSet's pages), every interval
    resamples them, not rows."""
    t, p = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)

    def report_of(rows: np.ndarray | slice) -> dict[str, Any]:
        return evaluate_classes(t[rows], p[rows], task.classes, n_boot=n_boot, f_avg_pair=f_avg_pair(task),
                                groups=None if groups is None else np.asarray(groups)[rows], group_by=group_by)

    report = report_of(slice(None))
    report.update(breakdowns(report_of, langs, confidence))
    return report


def breakdowns(report_of: Callable[[np.ndarray], dict[str, Any]], langs: Sequence[str] | None = None,
               confidence: Sequence[str] | None = None) -> dict[str, Any]:
    """{"by_lang": {lang: report}, "by_confidence": {value: report}} for what is known (`report_of` takes a row
    mask); languages in LANGS_REPORTED order then the rest, confidence values high, low, then the rest."""
    out: dict[str, Any] = {}
    for key, values, first in (("by_lang", langs, LANGS_REPORTED), ("by_confidence", confidence, CONFIDENCE)):
        if values is None:
            continue
        column = np.array([str(v or "").strip().lower() for v in values])
        found = {v for v in column.tolist() if v}
        if found:
            present = [v for v in first if v in found] + sorted(found - set(first))
            out[key] = {v: report_of(column == v) for v in present}
    return out


def predict_set(model: Any, data: TaskSet, batch: int = 2000) -> np.ndarray:
    """Predicted class index per row; a stance file's `target` column goes to the model row by row."""
    out = []
    for start in range(0, data.n, batch):
        texts = data.texts[start:start + batch]
        if data.task is STANCE:
            targets = None if data.targets is None else [t or None for t in data.targets[start:start + batch]]
            out.append(model.predict_proba(texts, targets))
        else:
            out.append(model.predict_proba(texts))
    return np.vstack(out).argmax(axis=1) if out else np.zeros(0, dtype=int)


def get_task_model(task: Task | str, name: str = "default") -> Any:
    from analysis.nlp.emotion_model import get_emotion_model
    from analysis.nlp.stance_model import get_stance_model

    task_name = task if isinstance(task, str) else task.name
    if task_name == "stance":
        return get_stance_model(name)
    if task_name == "emotion":
        return get_emotion_model(name)
    raise ValueError(f"no class model for task {task_name!r}")


def in_sample_warning(model_name: str, sha256: str) -> str | None:
    """A warning where the model's card lists the file (by checksum) among its training files, quoting the card's
    own figure for that file (cross-validated or held back) where it has one."""
    from analysis.nlp.model_info import named_card

    card = named_card(model_name) or {}
    trained = next((f for f in card.get("training_files") or [] if isinstance(f, dict) and f.get("sha256") == sha256),
                   None)
    if trained is None:
        return None
    name = Path(str(trained.get("file"))).name
    own = next((ev["default"] for ev in card.get("evaluations") or [] if isinstance(ev, dict)
                and Path(str(ev.get("file"))).name == name and isinstance(ev.get("default"), dict)), None)
    figure = "" if own is None else (
        f"; the card's own figure for it (cross-validated or held back, see its evaluations): macro-F1 "
        f"{own.get('macro_f1')}" + (f", f_avg {own['f_avg']}" if "f_avg" in own else ""))
    return f"{trained.get('file')} trained {model_name}: these figures are in-sample, not its accuracy{figure}"


def evaluate_file(path: str | Path, task: Task | str, model_name: str = "default", n_boot: int = 1000,
                  model: Any = None, left_out: Callable[[list[str]], dict[str, np.ndarray]] | None = None,
                  ) -> dict[str, Any]:
    """The contract for one labelled file: {file, task, model, model_version, label_column, targets, ...report};
    `left_out` gives, from the file's texts, the rows to leave out per reason (counted as `left_out_<reason>`)."""
    data = read_task_csv(path, task)
    rows = data.n
    drops = {reason: mask for reason, mask in (left_out(data.texts) if left_out else {}).items() if mask.any()}
    keep = ~np.logical_or.reduce([*drops.values(), np.zeros(data.n, dtype=bool)])
    if drops:
        data = data.take(keep)
    model = model or get_task_model(data.task, model_name)
    pred = predict_set(model, data)
    head: dict[str, Any] = {"file": str(path), "file_sha256": file_sha256(Path(path)), "file_rows": rows,
                            "task": data.task.name, "model": model.name,
                            "model_version": model.version, "label_column": data.column}
    english = getattr(model, "english", None)
    if english is not None:  # the model routes English rows (found by detect_lang) to its English model
        from analysis.nlp.sentiment import english_mask

        head["english_route"] = {"model": english.name, "version": english.version,
                                 "rows": int(english_mask(data.texts).sum())}
    if data.task is STANCE:
        named = data.targets is not None and any(data.targets)
        head["targets"] = ("the file's `target` column (rows without one: the model's default target)" if named
                           else "none in the file: the model's default target")
    head.update({f"left_out_{reason}": int(mask.sum()) for reason, mask in drops.items()})
    warning = in_sample_warning(model.name, head["file_sha256"])
    if warning:
        head["warning"] = warning
    return {**head, **class_report(data.task, data.y, pred, data.langs, n_boot=n_boot, groups=data.groups,
                                   group_by=data.group_by or "url", confidence=data.confidence)}
