"""Agreement between annotators of one tracker (Cohen's kappa from scikit-learn), and one label per item; and the
labelled corpus's own agreement (its blind second pass), the ceiling any model's figure on it should be read against.

Only labels with status "labelled" count (unsure and skipped items are left out of agreement and adapting).
"""

from __future__ import annotations

import math
from itertools import combinations
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.metrics import cohen_kappa_score

from analysis.core.labels import is_llm
from analysis.nlp.metrics import evaluate_classes
from analysis.nlp.tasks import GROUP_COLUMNS, TASKS, page_groups
from collectors.paths import bundled_dir

MIN_OVERLAP = 2


def usable(labels: pd.DataFrame, task: str) -> pd.DataFrame:
    """Rows with status "labelled" and a value for `task`."""
    if labels.empty:
        return labels
    return labels[(labels["status"] == "labelled") & labels[task].notna() & (labels[task] != "")]


def kappa(a: list[str], b: list[str]) -> float | None:
    """Cohen's kappa of two paired label lists; None where it is undefined (one class only on both sides)."""
    if len(a) < MIN_OVERLAP:
        return None
    if len(set(a) | set(b)) < 2:
        return None
    value = cohen_kappa_score(a, b)
    return None if math.isnan(value) else float(value)


def pairwise(labels: pd.DataFrame, task: str = "sentiment") -> list[dict[str, Any]]:
    """Per pair of annotators with at least MIN_OVERLAP items in common: n, raw agreement and kappa."""
    rows = usable(labels, task)
    out = []
    for a, b in combinations(sorted(rows["annotator"].unique()) if not rows.empty else [], 2):
        left = rows[rows["annotator"] == a].set_index("item")[task]
        right = rows[rows["annotator"] == b].set_index("item")[task]
        both = left.index.intersection(right.index)
        if len(both) < MIN_OVERLAP:
            continue
        x, y = left.loc[both].tolist(), right.loc[both].tolist()
        out.append({"task": task, "annotator_a": a, "annotator_b": b, "n": len(both),
                    "agreement": round(sum(p == q for p, q in zip(x, y, strict=True)) / len(both), 4),
                    "kappa": None if (k := kappa(x, y)) is None else round(k, 4)})
    return out


def llm_vs_humans(labels: pd.DataFrame, task: str = "sentiment") -> list[dict[str, Any]]:
    """Each language-model annotator against the humans' consolidated label, on the items both labelled."""
    rows = usable(labels, task)
    if rows.empty:
        return []
    human = consolidate(rows[~rows["annotator"].map(is_llm)], task)
    out = []
    for annotator in sorted(a for a in rows["annotator"].unique() if is_llm(a)):
        machine = rows[rows["annotator"] == annotator].set_index("item")[task]
        both = machine.index.intersection(human.index)
        x, y = human.loc[both, task].tolist(), machine.loc[both].tolist()
        k = kappa(x, y) if len(both) >= MIN_OVERLAP else None
        out.append({"task": task, "annotator": annotator, "n": len(both),
                    "agreement": round(sum(p == q for p, q in zip(x, y, strict=True)) / len(both), 4) if len(both) else None,
                    "kappa": None if k is None else round(k, 4)})
    return out


def consolidate(rows: pd.DataFrame, task: str) -> pd.DataFrame:
    """One label per item: the majority of its annotators; ties are dropped (the item is contested).

    Returns a frame indexed by item with columns task, text, n_annotators, annotators.
    """
    rows = usable(rows, task)
    if rows.empty:
        return pd.DataFrame(columns=[task, "text", "n_annotators", "annotators"]).rename_axis("item")
    task_def = TASKS[task]
    out = {}
    for item, group in rows.groupby("item", sort=True):
        counts = group[task].value_counts()
        if len(counts) > 1 and counts.iloc[0] == counts.iloc[1]:
            continue
        value = counts.index[0]
        if task_def.index(value) is None:
            continue
        out[item] = {task: value, "text": group["text"].iloc[-1], "n_annotators": len(group),
                     "annotators": ",".join(sorted(group["annotator"]))}
    return pd.DataFrame.from_dict(out, orient="index").rename_axis("item")


def corpus_agreement(path: Path | None = None, n_boot: int = 1000) -> list[dict[str, Any]]:
    """Per task and language (all, zh, en): the second labeller's blind labels against the first's — n, raw
    agreement, Cohen's kappa and macro-F1 with its bootstrap 95% interval, the figure a model's macro-F1 on the
    same kind of text can be compared with. Empty if the second-pass file is absent."""
    path = path or bundled_dir() / "labelled" / "second_pass.csv"
    if not path.is_file():
        return []
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    out = []
    for task in TASKS.values():
        first, second = frame[task.column].map(task.index), frame[f"{task.column}_2"].map(task.index)
        both = frame[first.notna() & second.notna()].assign(_a=first, _b=second)
        for language in ("all", "zh", "en"):
            rows = both if language == "all" else both[both["lang"] == language]
            if len(rows) < MIN_OVERLAP:
                continue
            a, b = rows["_a"].astype(int).tolist(), rows["_b"].astype(int).tolist()
            # rows of one page move together: its pages are resampled, not its rows
            group_by = next((c for c in GROUP_COLUMNS if c in rows), None)
            groups = page_groups(rows[group_by].tolist()) if group_by else None
            report = evaluate_classes(a, b, task.classes, n_boot=n_boot, groups=groups, group_by=group_by or "rows")
            k = kappa(a, b)
            out.append({"task": task.name, "language": language, "n": len(rows), "agreement": report["accuracy"],
                        "kappa": None if k is None else round(k, 4), "macro_f1": report["macro_f1"],
                        "macro_f1_ci95": report["macro_f1_ci95"], "resampled": report["bootstrap"]["resampled"]})
    return out
