"""The three labelling tasks (sentiment, stance, emotion): their classes, the names other schemes use for
them, and reading a labelled CSV of any of them with line-numbered errors.

Classes follow ../shared/docs/labelling.md. Sentiment keeps the shared CSVs' codes (0 negative, 1 positive,
2 neutral); stance and emotion are read by name, other schemes' names mapped as the guide says (NLPCC 2016
favor/against/none; SMP2020 happy/angry/sad; NLPCC 2014 happiness/like/none).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from analysis.nlp.sentiment.labelled import LabelledFileError, check_row, dict_reader, read_utf8
from collectors.urls import canonical_url


@dataclass(frozen=True)
class Task:
    name: str
    classes: tuple[str, ...]
    column: str  # the CSV column holding the label
    aliases: dict[str, str] = field(default_factory=dict)  # other schemes' names → ours
    codes: dict[str, str] = field(default_factory=dict)  # numeric codes → ours (sentiment's 0/1/2)

    def index(self, value: str) -> int | None:
        v = value.strip()
        if self.codes and _WHOLE_NUMBER.fullmatch(v):  # a code saved as a number by a spreadsheet or pandas: "0.0"
            v = v.split(".", 1)[0]
        v = self.codes.get(v, v).lower()
        v = self.aliases.get(v, v)
        return self.classes.index(v) if v in self.classes else None

    def accepted(self) -> str:
        return ", ".join([*self.codes, *self.classes, *self.aliases])


_WHOLE_NUMBER = re.compile(r"\d+\.0+")
SENTIMENT = Task("sentiment", ("negative", "positive", "neutral"), "label",
                 aliases={"neg": "negative", "pos": "positive", "neu": "neutral",
                          "负面": "negative", "正面": "positive", "中性": "neutral"},
                 codes={"0": "negative", "1": "positive", "2": "neutral"})
STANCE = Task("stance", ("oppose", "support", "conditional", "deny-involvement", "neutral"), "stance",
              aliases={"against": "oppose", "favor": "support", "favour": "support", "none": "neutral"})
EMOTION = Task("emotion", ("joy", "anger", "disgust", "sadness", "fear", "surprise", "neutral"), "emotion",
               aliases={"happy": "joy", "happiness": "joy", "like": "joy", "angry": "anger", "sad": "sadness",
                        "none": "neutral"})
TASKS: dict[str, Task] = {t.name: t for t in (SENTIMENT, STANCE, EMOTION)}
# Columns a shared file may use instead of the task's own (the NLPCC and SMP files name classes there).
FALLBACK_COLUMNS = ("source_label",)
# Columns naming a row's page: several labelled rows often come from one page, and move together
GROUP_COLUMNS = ("url", "page")


def page_groups(values: Sequence[str]) -> np.ndarray:
    """Each row's page (its url, however written: collectors.urls.canonical_url), a row without one a page of its
    own: what a bootstrap resamples together."""
    return np.array([canonical_url(v) or f"\0row {i}" for i, v in enumerate(values, 1)], dtype=object)


@dataclass(frozen=True)
class TaskSet:
    path: Path
    task: Task
    texts: list[str]
    y: np.ndarray  # index into task.classes
    targets: list[str] | None  # the stance target per row, where the file names one
    column: str  # the column the labels were read from
    langs: list[str] | None = None  # the `lang` column, where the file has one
    groups: np.ndarray | None = None  # page_groups of the GROUP_COLUMNS column, where the file has one
    group_by: str | None = None  # that column's name
    confidence: list[str] | None = None  # the labeller's `confidence` column (high/low), where the file has one

    @property
    def n(self) -> int:
        return len(self.texts)

    def take(self, index: np.ndarray) -> TaskSet:
        """The rows at `index` (positions, or a boolean mask), every per-row field with them."""
        index = np.flatnonzero(index) if np.asarray(index).dtype == bool else np.asarray(index, dtype=int)
        return replace(self, texts=[self.texts[i] for i in index], y=self.y[index],
                       targets=None if self.targets is None else [self.targets[i] for i in index],
                       langs=None if self.langs is None else [self.langs[i] for i in index],
                       groups=None if self.groups is None else self.groups[index],
                       confidence=None if self.confidence is None else [self.confidence[i] for i in index])


def read_task_csv(path: str | Path, task: Task | str) -> TaskSet:
    """Read `text,<task column>[,target]`; a bad row is an error naming the file and line."""
    task = TASKS[task] if isinstance(task, str) else task
    path = Path(path)
    reader = dict_reader(read_utf8(path), path)
    fields = reader.fieldnames or []
    column = task.column if task.column in fields else next((c for c in FALLBACK_COLUMNS if c in fields), None)
    if "text" not in fields or column is None:
        raise LabelledFileError(f"{path}: need a header with text,{task.column} for --task {task.name} "
                                f"(found: {', '.join(fields) or 'no header'})")
    group_by = next((c for c in GROUP_COLUMNS if c in fields), None)
    texts, ys, targets, langs, pages, confidence = [], [], [], [], [], []
    try:
        for row in reader:
            check_row(path, reader.line_num, row)
            value = (row.get(column) or "").strip()
            index = task.index(value)
            if index is None:
                raise LabelledFileError(f"{path}: line {reader.line_num}: {column} {value!r} is not a {task.name} "
                                        f"label (accepted: {task.accepted()})")
            texts.append(row.get("text") or "")
            ys.append(index)
            targets.append((row.get("target") or "").strip())
            langs.append((row.get("lang") or "").strip().lower())
            pages.append((row.get(group_by) or "") if group_by else "")
            confidence.append((row.get("confidence") or "").strip().lower())
    except csv.Error as exc:
        raise LabelledFileError(f"{path}: line {reader.line_num}: malformed CSV: {exc}") from None
    if not texts:
        raise LabelledFileError(f"{path}: no labelled rows")
    return TaskSet(path, task, texts, np.array(ys, dtype=int), targets if "target" in fields else None, column,
                   langs if "lang" in fields else None, page_groups(pages) if group_by else None, group_by,
                   confidence if "confidence" in fields else None)


def file_columns(path: str | Path, columns: Sequence[str]) -> dict[str, np.ndarray]:
    """Those of `columns` a labelled CSV has, each stripped and lower-cased, one value per row (one read of the
    file)."""
    path = Path(path)
    reader = dict_reader(read_utf8(path), path)
    present = [c for c in dict.fromkeys(columns) if c in (reader.fieldnames or [])]
    values: dict[str, list[str]] = {c: [] for c in present}
    for row in reader:
        for c in present:
            values[c].append((row.get(c) or "").strip().lower())
    return {c: np.array(v) for c, v in values.items()}
