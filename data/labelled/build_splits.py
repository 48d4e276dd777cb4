"""Assemble the in-domain labelled corpus from annotators' batch files and split it by page.

    python data/labelled/build_splits.py BATCH.csv [BATCH.csv …] --synthetic SYNTHETIC.csv [--train-only LATER.csv …]
    python data/labelled/build_splits.py --extend --train-only LATER.csv …


Batch files have the columns text,label,stance,emotion,confidence,lang,url,page_date,topic (see README.md).
Rows are validated (bad rows are reported with file and line, and left out), exact duplicate texts are
dropped (first kept), and pages are grouped with every page that shares a text with them, so that one
article and its syndicated copies land in the same split. Groups are shuffled with a fixed seed and
filled into test, dev and train per language. Synthetic rows go to train only, marked synthetic=true.
Batches labelled after the split was fixed (`--train-only`) add real units to train and leave dev and test
exactly as they were: a later unit is left out when its text, or its page, is already in dev or test.
`--extend` starts from the split files already in `--out` (as shipped, without the annotators' first batches) and
adds `--train-only` batches to them.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIELDS = ["text", "label", "stance", "emotion", "confidence", "lang", "url", "page_date", "split", "synthetic", "topic"]
STANCES = {"oppose", "support", "conditional", "deny-involvement", "neutral"}
EMOTIONS = {"joy", "anger", "disgust", "sadness", "fear", "surprise", "neutral"}
SHARES = {"test": 0.25, "dev": 0.20}  # the rest is train
SEED = 20261205


def norm(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def read_batch(path: Path, synthetic: bool) -> tuple[list[dict[str, str]], list[str]]:
    rows, errors = [], []
    with path.open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            text = (row.get("text") or "").strip()
            problems = []
            if not text:
                problems.append("empty text")
            if row.get("label") not in {"0", "1", "2"}:
                problems.append(f"label {row.get('label')!r}")
            if row.get("stance") not in STANCES:
                problems.append(f"stance {row.get('stance')!r}")
            if row.get("emotion") not in EMOTIONS:
                problems.append(f"emotion {row.get('emotion')!r}")
            if row.get("lang") not in {"zh", "en"}:
                problems.append(f"lang {row.get('lang')!r}")
            if not synthetic and not (row.get("url") or "").startswith("http"):
                problems.append("no page url")
            if problems:
                errors.append(f"{path.name}:{line}: {', '.join(problems)}")
                continue
            rows.append({"text": text, "label": row["label"], "stance": row["stance"], "emotion": row["emotion"],
                         "confidence": row.get("confidence") or "high", "lang": row["lang"],
                         "url": "" if synthetic else row["url"].strip(), "page_date": row.get("page_date") or "",
                         "synthetic": "true" if synthetic else "false", "topic": row.get("topic") or ""})
    return rows, errors


def page_groups(rows: list[dict[str, str]]) -> list[int]:
    """Group id per row: pages joined when they share a (normalised) text."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for row in rows:
        a, b = find("u:" + row["url"]), find("t:" + norm(row["text"]))
        parent[a] = b
    roots = {r: i for i, r in enumerate(sorted({find("u:" + row["url"]) for row in rows}))}
    return [roots[find("u:" + row["url"])] for row in rows]


def split(rows: list[dict[str, str]]) -> None:
    groups = page_groups(rows)
    for lang in ("zh", "en"):
        members = defaultdict(list)
        for i, row in enumerate(rows):
            if row["lang"] == lang:
                members[groups[i]].append(i)
        order = sorted(members)
        random.Random(f"{SEED}-{lang}").shuffle(order)
        total = sum(len(v) for v in members.values())
        filled = {"test": 0, "dev": 0}
        for g in order:
            target = next((s for s in ("test", "dev") if filled[s] < SHARES[s] * total), "train")
            for i in members[g]:
                rows[i]["split"] = target
            if target != "train":
                filled[target] += len(members[g])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("batches", nargs="*", type=Path)
    ap.add_argument("--extend", action="store_true",
                    help="keep the split files in --out as they are and add --train-only batches to train")
    ap.add_argument("--synthetic", type=Path, action="append", default=[])
    ap.add_argument("--train-only", type=Path, action="append", default=[],
                    help="a batch labelled after the split was fixed: its units go to train")
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args(argv)
    if bool(args.batches) == args.extend:
        ap.error("give the first batches, or --extend to start from the shipped split files, not both")
    real, errors, seen = [], [], set()
    if args.extend:
        real, args.synthetic = _shipped(args.out), [args.out / "synthetic_train.csv"] + args.synthetic
        seen = {norm(r["text"]) for r in real}
    for path in args.batches:
        rows, errs = read_batch(path, synthetic=False)
        errors += errs
        for row in rows:
            if norm(row["text"]) not in seen:
                seen.add(norm(row["text"]))
                real.append(row)
    if not args.extend:
        split(real)
    held_urls = {r["url"] for r in real if r["split"] != "train"}
    later = 0
    for path in args.train_only:
        rows, errs = read_batch(path, synthetic=False)
        errors += errs
        for row in rows:
            if norm(row["text"]) not in seen and row["url"] not in held_urls:
                seen.add(norm(row["text"]))
                real.append({**row, "split": "train"})
                later += 1
    synthetic = []
    for path in args.synthetic:
        rows, errs = read_batch(path, synthetic=True)
        errors += errs
        for row in rows:
            if norm(row["text"]) not in seen:  # never a copy of a real unit
                seen.add(norm(row["text"]))
                synthetic.append({**row, "split": "train"})
    for name in ("train", "dev", "test"):
        _write(args.out / f"{name}.csv", [r for r in real if r["split"] == name])
    _write(args.out / "synthetic_train.csv", synthetic)
    for e in errors:
        print(e, file=sys.stderr)
    counts = defaultdict(int)
    for r in real:
        counts[(r["lang"], r["split"])] += 1
    print(f"real units: {len(real)} ({dict(sorted(counts.items()))}); synthetic: {len(synthetic)}; "
          f"of them added to train by later batches: {later}; rows left out: {len(errors)}")
    return 0


def _shipped(folder: Path) -> list[dict[str, str]]:
    """The real units of the split files in `folder`, each keeping its split."""
    rows = []
    for name in ("test", "dev", "train"):
        with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
            rows += [{**row, "split": name} for row in csv.DictReader(fh)]
    return rows


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


if __name__ == "__main__":
    sys.exit(main())
