"""The English emotion model (data/models/en-wordlr-emotion-7c): the English sentiment model's features (TF-IDF word
1–2-grams, word-bounded character 2–5-grams, VADER valence sums; analysis/nlp/sentiment/english.py) with a 7-class
logistic regression, and its card.

Rows: the English rows of the in-domain train split and of the developer-written rows (class-balanced); the shared
emotion files are Chinese. C and the written rows' weight are chosen on the English rows of the in-domain dev split;
test is measured once. `actorwatch train --task emotion` trains it first; the emotion model then routes English rows
here when it beats the model itself on the same dev rows (emotion_training.choose_route).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from analysis.nlp import charlr_training as ct
from analysis.nlp.emotion_model import MajorityEmotionModel
from analysis.nlp.sentiment.english import EnglishScorer
from analysis.nlp.sentiment.english_training import features_note, select_english
from analysis.nlp.sentiment.linear import write_card
from analysis.nlp.task_eval import class_report, predict_set
from analysis.nlp.tasks import EMOTION, TaskSet

ENGLISH_EMOTION_MODEL = "en-wordlr-emotion-7c"
EN_FILE = "data/labelled/test.csv (en)"
# Wider than the sentiment model's: seven classes from ~1,200 real rows want stronger regularisation and more of
# the written rows (which hold most of the non-neutral English examples).
GRID = {"C": (0.1, 0.3, 1.0, 3.0, 10.0), "synthetic_weight": (0.3, 1.0, 3.0)}


def english_rows(data: TaskSet) -> TaskSet:
    """The rows of a labelled set whose `lang` column says English."""
    from dataclasses import replace

    keep = np.array([lang == "en" for lang in (data.langs or [""] * data.n)], dtype=bool)
    index = np.flatnonzero(keep)
    return replace(data.take(index), langs=["en"] * len(index))


def train_english_emotion(out_dir: Path, labelled: Path | None = None, n_boot: int = 1000,
                          log: ct.Log = print) -> dict[str, Any]:
    """Choose C and the written rows' weight on English dev, fit, evaluate, write model.npz + card.json."""
    started = time.perf_counter()
    labelled = labelled or ct.LABELLED
    sources = {name: ct.read_source(labelled / f"{name}.csv", EMOTION, name, f"data/labelled/{name}.csv", "en",
                                    synthetic=name.startswith("synthetic"))
               for name in ("train", "synthetic_train")}
    train = {name: english_rows(s.data) for name, s in sources.items()}
    for s in sources.values():
        s.keep = np.array([lang == "en" for lang in (s.data.langs or [""] * s.data.n)], dtype=bool)
        s.used_for = ("training, English rows (developer-written, synthetic)" if s.synthetic
                      else "training, English rows (real in-domain units)")
    sets = {split: english_rows(data) for split, data in ct.in_domain_sets(EMOTION, labelled).items()}
    dev = sets["dev"]
    if not train["train"].n or not dev.n:
        raise ValueError(f"no English rows (lang = en) in {labelled / 'train.csv'} or dev.csv")

    def dev_f1(model: EnglishScorer) -> float:
        return class_report(EMOTION, dev.y, predict_set(model, dev), n_boot=100)["macro_f1"]

    model, best, trials = select_english((train["train"].texts, train["train"].y),
                                         (train["synthetic_train"].texts, train["synthetic_train"].y),
                                         dev_f1, ENGLISH_EMOTION_MODEL, task=EMOTION.name, log=log,
                                         grid=GRID)
    reports = ct.in_domain_reports(model, sets, n_boot)
    majority = ct.in_domain_reports(MajorityEmotionModel(), sets, n_boot)
    test = reports["test"]
    log(f"{model.name} {model.version}: English test macro-F1 {test['macro_f1']:.3f} {test['macro_f1_ci95']}")
    model.save(out_dir)
    speed = ct.measure_speed(model, (dev.texts * (1 + 5000 // dev.n))[:5000])
    n_neutral = int((dev.y == EMOTION.classes.index("neutral")).sum())
    card = {
        "name": model.name, "version": model.version, "task": EMOTION.name, "language": "en",
        "classes": list(EMOTION.classes),
        "title": "AI-actor emotion in English, 7 classes: logistic regression over TF-IDF word 1–2-grams and "
                 "character 2–5-grams",
        "headline": {**ct.headline(test, EN_FILE),
                     "description": f"{test['n']:,} real English sentences about AI actors (test split)"},
        "in_domain": {split: {"file": f"data/labelled/{split}.csv (en)", **report} for split, report in reports.items()},
        "baseline_in_domain": {"majority": majority},
        "evaluations": [{"file": EN_FILE, "lang": "en", "role": "in-domain test split, English rows (real text; "
                         "never used to choose anything)", "default": test, "majority": majority["test"]}],
        "method": {"features": features_note(),
                   "classifier": "multinomial logistic regression (sklearn), class-balanced sample weights (a class "
                                 "absent from the English training rows is never predicted)",
                   "selection": {"grid": GRID, "chosen": best, "trials": trials,
                                 "on": f"data/labelled/dev.csv, English rows (n = {dev.n})"}},
        "training_files": [ct.file_facts(s) for s in sources.values()],
        "training_rows": {"real": train["train"].n, "synthetic": train["synthetic_train"].n},
        "speed_posts_per_s": speed,
        "speed_note": "predict_proba (cleaning included) on 5,000 English dev texts, one process, best of 3",
        "provenance": ct.provenance("actorwatch train --task emotion (trained first; the emotion model routes "
                                    "English rows here when it wins on English dev)", time.perf_counter() - started),
        "caveats": [(f"The English dev rows are mostly neutral ({n_neutral} of {dev.n}), so the dev figures that chose "
                     "the settings are noisy."),
                    (f"Trained on {train['train'].n:,} real and {train['synthetic_train'].n:,} developer-written "
                     "English rows: a small set, so its interval is wide."),
                    "Synthetic rows (developer-written) were used for training only, never for a figure."],
    }
    write_card(out_dir, card, indent=1)
    return card
