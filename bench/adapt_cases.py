"""Which way of adapting to a tracker's 200 labels helps on a case the base model never saw (issue 15).

Protocol, per case (a topic tag of data/labelled with enough Chinese units on enough pages):
- the base is trained as `actorwatch train` trains it, without any unit of the case (real or synthetic);
- the case's Chinese units (train, dev and test splits alike) are grouped by page; pages are drawn at random until
  they hold `--labels` units, and that many of their units become the tracker's labels;
- every unit of the case's *other* pages is held out (a held unit whose text is a label's text is dropped);
- each method adapts on the labels only and scores the held units; macro-F1 of base and adapted on the held units,
  with a 95% page-bootstrap interval of the paired difference (pages resampled, so a page's sentences move together).
Averaged over cases (and `--draws` label draws per case): the mean gain, its interval from resampling pages within
every case and draw (stratified bootstrap of the mean), and a t-interval over the (case, draw) gains, which also
counts how the gain moves with which labels were drawn. Figures of 2026-12-06: docs/label-and-adapt.md.

Methods (sentiment):
- char-prior: the current `actorwatch adapt` (MAP towards the base weights, strength 0.2);
- char-prior-auto: the same, strength by cross-validation on the labels;
- char-bias: the base's weights kept; per-class logit offsets chosen on the labels for macro-F1;
- char-prior-bias: char-prior, then offsets chosen on its out-of-fold logits;
- char-em: label-shift correction, class priors re-estimated by EM on the held texts (unlabelled) (Saerens 2002);
- e5-*: the e5 option's logistic head (its base trained without the case likewise) — base, MAP-adapted, refit
  with the labels weighted up, Daume's feature augmentation, bias offsets — scored alone and blended with the char
  model as the e5 option blends (alpha from its card).

- auto: what `actorwatch adapt` now does by default (`--base auto`): the fast base and the e5 option (its head
  trained without the case, blended with that fast base) each adapted by the prior method and cross-validated on the
  labels by the command's own functions (adapt._auto_fit, adapt_choice.choose; no records to re-score, so no time
  limit), and the chosen adapted model scores the held units as production scores (score_texts); compared with the
  fast base scored the same way.

Needs ../shared/data (the char base's general-Weibo files) and the e5 embeddings of data/labelled (cached under
the data directory's cache/embeddings; missing texts are embedded, ~25/s). Char bases are cached under --work.
Run: `nice -n 5 python bench/adapt_cases.py --work /tmp/adapt_cases` (a fast base takes ~9 CPU-minutes per case, an
e5 draw ~1); `--e5-only` skips the fast bases; `--auto` runs the auto method only (fast bases needed); `--summary`
re-prints the means from the saved predictions.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from sklearn.linear_model import LogisticRegression

from analysis.nlp import adapt as A
from analysis.nlp.adapt_choice import AUTO
from analysis.nlp.metrics import confusion, first_seen_ids, group_cells, macro_f1, macro_f1_of_counts
from analysis.nlp.sentiment import training
from analysis.nlp.sentiment.features import model_input
from analysis.nlp.sentiment.linear import LinearScorer, softmax
from analysis.nlp.tasks import SENTIMENT

REPO = Path(__file__).resolve().parent.parent
LABELLED = REPO / "data" / "labelled"
CASES = ("voice-clone", "face-swap", "digital-human", "short-drama", "resurrection", "likeness-law")
SEED = 20261206
COLUMN = A.PROBA_COLUMN  # sentiment class (0 neg, 1 pos, 2 neu) → scorer column (neg, neu, pos)


# ---------- data ----------

def real_units() -> pd.DataFrame:
    """Every real Chinese unit of the three splits."""
    d = pd.concat([pd.read_csv(LABELLED / f"{s}.csv") for s in ("train", "dev", "test")], ignore_index=True)
    return d[(d["lang"] == "zh") & (~d["synthetic"].astype(bool))].reset_index(drop=True)


@dataclass
class Split:
    case: str
    draw: int
    labels: pd.DataFrame
    held: pd.DataFrame


def split_case(units: pd.DataFrame, case: str, n: int, draw: int) -> Split:
    """Pages of the case drawn at random until they hold n units; n of their units are the labels, the other pages
    are held out."""
    rows = units[units["topic"] == case]
    pages = rows["url"].fillna("?").to_numpy()
    order = np.random.default_rng([SEED, draw, len(case)]).permutation(np.unique(pages))
    sizes = pd.Series(pages).value_counts()
    chosen, total = [], 0
    for page in order:
        if total >= n:
            break
        chosen.append(page)
        total += int(sizes[page])
    pool = rows[np.isin(pages, chosen)]
    labels = pool.sample(min(n, len(pool)), random_state=SEED + draw)
    held = rows[~np.isin(pages, chosen)]
    keys = {A.same_text_key(t) for t in labels["text"]}
    held = held[[A.same_text_key(t) not in keys for t in held["text"]]]
    return Split(case, draw, labels.reset_index(drop=True), held.reset_index(drop=True))


# ---------- bases ----------

def char_base(case: str, work: Path, shared: Path) -> LinearScorer:
    """The shipped char recipe without the case's rows (cached in work/char-<case>)."""
    folder = work / f"char-{case}"
    if (folder / "model.npz").exists():
        return LinearScorer.load(folder)
    data = work / f"labelled-{case}"
    data.mkdir(parents=True, exist_ok=True)
    for name in training.DOMAIN_TRAIN:
        d = pd.read_csv(LABELLED / name)
        d[d["topic"] != case].to_csv(data / name, index=False)
    hp = training.Hyperparameters()
    original, training.LABELLED = training.LABELLED, data
    try:
        rows = training.load_training_rows(shared, hp)
    finally:
        training.LABELLED = original
    t0 = time.perf_counter()
    scorer = training.fit_scorer(rows, np.arange(len(rows.inputs)), hp, name=f"char-without-{case}")
    print(f"# char base without {case}: {len(rows.inputs)} rows, {time.perf_counter() - t0:.0f}s", flush=True)
    scorer.save(folder)
    (folder / "card.json").write_text(json.dumps({"name": scorer.name, "version": "bench"}), encoding="utf-8")
    return scorer


def e5_vectors(texts: list[str]) -> np.ndarray:
    from analysis.nlp.encoder import embed
    from analysis.nlp.sentiment.e5 import default_cache
    from analysis.nlp.text import clean_text

    return embed([clean_text(t).model_text for t in texts], default_cache())


def e5_card() -> dict:
    return json.loads((REPO / "data" / "models" / "ai-actors-e5-3c" / "card.json").read_text(encoding="utf-8"))


def e5_base(case: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The e5 option's head as `actorwatch train --e5` fits it (its chosen C and synthetic weight), without the case;
    returns W (384, 3 columns), b, and the training matrix, columns and sample weights (for refit methods)."""
    from analysis.nlp.sentiment.e5_training import _balanced

    chosen = e5_card()["method"]["selection"]["chosen"]
    xs, ys, ws = [], [], []
    for name, weight in (("train.csv", 1.0), ("synthetic_train.csv", chosen["synthetic_weight"])):
        d = pd.read_csv(LABELLED / name)
        d = d[d["topic"] != case]
        y = COLUMN[d["label"].to_numpy()]
        xs.append(e5_vectors(d["text"].tolist()))
        ys.append(y)
        ws.append(_balanced(y, weight))
    x, y, w = np.vstack(xs), np.concatenate(ys), np.concatenate(ws)
    clf = LogisticRegression(C=chosen["C"], max_iter=3000).fit(x, y, sample_weight=w)
    return clf.coef_.T, clf.intercept_, x, y, w


# ---------- methods ----------

def classes(logits: np.ndarray) -> np.ndarray:
    return np.argsort(COLUMN)[np.asarray(logits).argmax(axis=1)]


def oof(fit_predict, n: int, y: np.ndarray, folds: int = 5) -> np.ndarray:
    """Out-of-fold logits of fit_predict(train_index, held_index) over the labels."""
    fold = training.stratified_folds(y, folds, SEED)
    out = np.zeros((n, 3))
    for f in range(folds):
        train, held = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        out[held] = fit_predict(train, held)
    return out


OFFSETS = np.round(np.arange(-2.0, 2.01, 0.1), 2)


def best_offsets(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Offsets (neg, 0, pos) added to the logits that maximise macro-F1 on (logits, y); ties: the smallest shift."""
    best, chosen = -1.0, np.zeros(3)
    for a in OFFSETS:
        for b in OFFSETS:
            shift = np.array([a, 0.0, b])
            f1 = macro_f1(confusion(y, classes(logits + shift)))
            if f1 > best + 1e-9 or (abs(f1 - best) <= 1e-9 and abs(a) + abs(b) < np.abs(chosen).sum()):
                best, chosen = f1, shift
    return chosen


def em_priors(proba: np.ndarray, train_prior: np.ndarray, iters: int = 100) -> np.ndarray:
    """Saerens et al. (2002): the class priors of unlabelled rows by EM from calibrated probabilities."""
    prior = train_prior.copy()
    for _ in range(iters):
        p = proba * (prior / train_prior)
        p /= p.sum(axis=1, keepdims=True)
        new = p.mean(axis=0)
        if np.abs(new - prior).max() < 1e-6:
            break
        prior = new
    return prior


def map_head(x: np.ndarray | sp.csr_matrix, y: np.ndarray, w0: np.ndarray, b0: np.ndarray,
             strength: float) -> tuple[np.ndarray, np.ndarray]:
    problem = A.PriorProblem(sp.csr_matrix(x), y, w0, b0, COLUMN)
    return A.fit_map(problem, strength)


def run_split(split: Split, char: LinearScorer | None, e5: tuple, alpha: float) -> dict[str, np.ndarray]:
    """Held-out class predictions of every method (and the bases), keyed by name; char None: the e5 head alone."""
    pred, char_p = char_methods(split, char) if char is not None else ({}, None)
    return {**pred, **e5_methods(split, e5, alpha, char_p)}


def char_methods(split: Split, char: LinearScorer) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The char model's methods' held-out classes, and the base's held-out probabilities (for the blend)."""
    yl = split.labels["label"].to_numpy()
    lab_in = [model_input(t) for t in split.labels["text"]]
    held_in = [model_input(t) for t in split.held["text"]]
    xl, xh = char.featurizer.transform(lab_in), char.featurizer.transform(held_in)
    cl = np.asarray(xl @ char.weights) + char.bias  # char base logits
    ch = np.asarray(xh @ char.weights) + char.bias
    pred = {"char-base": classes(ch)}
    problem = A.PriorProblem(xl, yl, char.weights, char.bias, COLUMN)

    def prior_logits(strength: float):
        coef, bias = A.fit_map(problem, strength)
        return np.asarray(xh @ coef) + bias

    ph = prior_logits(A.DEFAULT_STRENGTH)
    pred["char-prior"] = classes(ph)
    strength, _ = A.choose_strength(problem, A.STRENGTHS, A.DEFAULT_FOLDS, SEED)
    pred["char-prior-auto"] = classes(prior_logits(strength))
    pred["char-bias"] = classes(ch + best_offsets(cl, yl))
    prior_oof = oof(lambda tr, he: A._prior_logits(problem, tr, he, A.DEFAULT_STRENGTH), len(yl), yl)
    pred["char-prior-bias"] = classes(ph + best_offsets(prior_oof, yl))
    # label shift: priors of the held texts by EM; the base is class-balanced, so its own prior is uniform
    t = char.temperature or 1.0
    proba_h = softmax(ch / t)
    prior = em_priors(proba_h, np.full(3, 1 / 3))
    pred["char-em"] = classes(np.log(proba_h * prior * 3 + 1e-12))
    # label shift from the labels' own class counts (no unlabelled text)
    counts = np.bincount(COLUMN[yl], minlength=3) + 1
    pred["char-labelprior"] = classes(ch / t + np.log(counts / counts.sum() * 3))

    return pred, softmax(ch / t)


def e5_methods(split: Split, e5: tuple, alpha: float, char_p: np.ndarray | None) -> dict[str, np.ndarray]:
    """The e5 head's methods' held-out classes, alone and (char_p given) blended with the char base."""
    yl = split.labels["label"].to_numpy()
    pred = {}
    w0, b0, xb, yb, wb = e5
    el, eh = e5_vectors(split.labels["text"].tolist()), e5_vectors(split.held["text"].tolist())
    e5h = eh @ w0 + b0

    def blend(logits: np.ndarray) -> np.ndarray | None:
        return None if char_p is None else classes(np.log(alpha * softmax(logits) + (1 - alpha) * char_p + 1e-12))

    pred["e5-base"] = classes(e5h)
    pred["blend-base"] = blend(e5h)
    for s in (0.2, 2.0):
        cw, cb = map_head(el, yl, w0, b0, s)
        pred[f"e5-prior{s:g}"] = classes(eh @ cw + cb)
        pred[f"blend-prior{s:g}"] = blend(eh @ cw + cb)
    chosen = e5_card()["method"]["selection"]["chosen"]
    ycol = COLUMN[yl]
    bal = np.bincount(ycol, minlength=3)
    for weight in (10.0,):
        lw = weight * len(ycol) / (3 * bal[ycol])
        clf = LogisticRegression(C=chosen["C"], max_iter=3000).fit(
            np.vstack([xb, el]), np.concatenate([yb, ycol]), sample_weight=np.concatenate([wb, lw]))
        pred[f"e5-refit{weight:g}"] = classes(eh @ clf.coef_.T + clf.intercept_)
        pred[f"blend-refit{weight:g}"] = blend(eh @ clf.coef_.T + clf.intercept_)
    # Daume (2007): [x, x, 0] for source rows, [x, 0, x] for target rows; target scored as [x, 0, x]
    zb, zl = np.zeros_like(xb), np.zeros_like(el)
    lw = 10.0 * len(ycol) / (3 * bal[ycol])
    clf = LogisticRegression(C=chosen["C"], max_iter=3000).fit(
        np.vstack([np.hstack([xb, xb, zb]), np.hstack([el, zl, el])]), np.concatenate([yb, ycol]),
        sample_weight=np.concatenate([wb, lw]))
    feda = np.hstack([eh, np.zeros_like(eh), eh]) @ clf.coef_.T + clf.intercept_
    pred["e5-feda"] = classes(feda)
    pred["blend-feda"] = blend(feda)
    pred["e5-bias"] = classes(e5h + best_offsets(el @ w0 + b0, yl))
    return {k: v for k, v in pred.items() if v is not None}


# ---------- intervals ----------

def gain_ci(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]], n_boot: int = 1000,
            seed: int = SEED) -> tuple[float, float, float, list[float]]:
    """Mean over parts of macro-F1(adapted) − macro-F1(base), and its 95% interval, pages resampled within each part
    (y, base, adapted, page key per row)."""
    rng = np.random.default_rng(seed)
    point, boots = [], np.zeros(n_boot)
    for y, b, a, pages in parts:
        keys = first_seen_ids(pages)
        cb, ca = group_cells(keys, y, b, 3), group_cells(keys, y, a, 3)
        point.append(macro_f1(confusion(y, a)) - macro_f1(confusion(y, b)))
        drawn = rng.integers(0, len(cb), size=(n_boot, len(cb)))
        counts = np.stack([np.bincount(d, minlength=len(cb)) for d in drawn])
        boots += (macro_f1_of_counts((counts @ ca).reshape(-1, 3, 3))
                  - macro_f1_of_counts((counts @ cb).reshape(-1, 3, 3)))
    boots /= len(parts)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return float(np.mean(point)), float(lo), float(hi), point


def over_parts_ci(point: list[float]) -> list[float] | None:
    """95% t-interval of the mean gain treating each case and draw as one replicate: unlike the page bootstrap, it
    counts how much the gain moves with which 200 labels were drawn (None with fewer than 3)."""
    if len(point) < 3:
        return None
    half = stats.t.ppf(0.975, len(point) - 1) * np.std(point, ddof=1) / np.sqrt(len(point))
    return [round(float(np.mean(point) - half), 4), round(float(np.mean(point) + half), 4)]


# ---------- the default: --base auto ----------

def e5_option(case: str, work: Path, char_dir: Path) -> Path:
    """The e5 option as `actorwatch train --e5` saves it, its head trained without the case and blended with the
    case's fast base (cached in work/e5-<case>)."""
    from analysis.nlp.sentiment.e5 import E5Scorer

    folder = work / f"e5-{case}"
    if (folder / "card.json").exists():
        return folder
    chosen = e5_card()["method"]["selection"]["chosen"]
    w, b, *_ = e5_base(case)
    E5Scorer(f"e5-without-{case}", "bench", w, b, chosen["alpha"], str(char_dir), alpha_en=chosen["alpha_en"]).save(
        folder)
    (folder / "card.json").write_text(json.dumps({"name": f"e5-without-{case}", "version": "bench"}), encoding="utf-8")
    return folder


def auto_method(split: Split, fast_dir: Path, e5_dir: Path) -> tuple[dict[str, np.ndarray], dict]:
    """Held-out classes of the fast base, of the model `adapt --base auto` keeps and of each candidate (all scored by
    score_texts, as production scores), and what the choice said (each candidate's cross-validated figures)."""
    from analysis.nlp.sentiment import get_scorer, score_texts
    from analysis.nlp.sentiment.training import Hyperparameters

    y = split.labels["label"].to_numpy()
    texts = split.labels["text"].tolist()
    counts = {c: int((y == i).sum()) for i, c in enumerate(SENTIMENT.classes)}
    labels = A.TrackerLabels(f"bench-{split.case}", [f"text:{i}" for i in range(len(y))], texts, y,
                             {"n_annotators": 1, "label_counts": counts})
    settings = A.AdaptSettings(base=AUTO)
    folds = A.text_folds(labels, A._fold_count(labels.y, settings.folds), settings.seed)  # as adapt() folds
    with mock.patch.object(A, "DEFAULT_MODEL", str(fast_dir)), mock.patch.object(A, "E5_MODEL", str(e5_dir)):
        chosen, fast, candidates, said = A._auto_fit(labels, settings, folds, None, Hyperparameters(), 0,
                                                     lambda _: None)
    held, langs = split.held["text"].tolist(), split.held["lang"].tolist()

    def scored(model: object) -> np.ndarray:
        return A._predict_classes(score_texts(held, langs, default=model))

    # beside the choice, what each candidate would score (the old default was the fast model adapted)
    pred = {"fast-base": scored(get_scorer(str(fast_dir))), "auto": scored(chosen.final),
            "fast-adapted": scored(fast.final), "e5-base": scored(get_scorer(str(e5_dir)))}
    if len(candidates) > 1:
        pred["e5-adapted"] = scored(candidates[-1].final)  # _auto_fit lists the fast model first
    choice = {"chosen": "e5" if chosen is not fast else "fast",
              "candidates": [c.candidate(labels, settings).as_dict() for c in candidates],
              "e5_minus_fast_adapted": said.get("e5_minus_fast_adapted"), "reason": said["reason"]}
    return pred, choice


def run_auto(cases: list[str], args: argparse.Namespace, units: pd.DataFrame, shared: Path) -> None:
    """The auto method for each case and draw, saved to work/auto-<case>-<draw>.npz."""
    for case in cases:
        char_base(case, args.work, shared)
        fast_dir = args.work / f"char-{case}"
        e5_dir = e5_option(case, args.work, fast_dir)
        for draw in range(args.draws):
            out = args.work / f"auto-{case}-{draw}.npz"
            if out.exists():
                continue
            split = split_case(units, case, args.labels, draw)
            pred, choice = auto_method(split, fast_dir, e5_dir)
            pages = split.held["url"].fillna("?").to_numpy().astype(str)
            np.savez(out, y=split.held["label"].to_numpy(), pages=pages, choice=np.array(json.dumps(choice)), **pred)
            print(f"# {case} draw {draw}: {choice['reason']}", flush=True)
    summarise_auto(args.work)


def summarise_auto(work: Path) -> None:
    """Per case and draw, the fast base → the auto default on the held units, the paired gain with its page-bootstrap
    interval and the base chosen (beside: the fast model adapted, the old default, and the e5 option unadapted and
    adapted); then each one's mean gain over the fast base, with both intervals."""
    parts: dict[str, list] = {}
    for file in sorted(work.glob("auto-*.npz")):
        with np.load(file) as z:
            y, pages, choice = z["y"], z["pages"], json.loads(str(z["choice"]))
            pred = {k: z[k] for k in z.files if k not in ("y", "pages", "choice")}
        case, draw = file.stem[len("auto-"):].rsplit("-", 1)
        base = pred.pop("fast-base")
        row = {"case": case, "draw": int(draw), "held": len(y), "held_pages": len(set(pages)),
               "fast_base": round(macro_f1(confusion(y, base)), 4), "chosen": choice["chosen"],
               "cv_macro_f1_adapted": {c["base"]: c["cv_macro_f1_adapted"] for c in choice["candidates"]}}
        for name, p in pred.items():
            gain, lo, hi, _ = gain_ci([(y, base, p, pages)])
            row[name] = {"macro_f1": round(macro_f1(confusion(y, p)), 4), "gain": round(gain, 4),
                         "ci95_pages": [round(lo, 4), round(hi, 4)]}
            parts.setdefault(name, []).append((y, base, p, pages))
        print(json.dumps(row, ensure_ascii=False), flush=True)
    for name, rows in parts.items():
        mean, lo, hi, point = gain_ci(rows)
        print(json.dumps({"method": name, "vs": "fast-base", "parts": len(rows), "mean_gain": round(mean, 4),
                          "ci95_pages": [round(lo, 4), round(hi, 4)], "ci95_over_parts": over_parts_ci(point)}),
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--labels", type=int, default=200)
    parser.add_argument("--draws", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("/tmp/adapt_cases"))
    parser.add_argument("--bases-only", action="store_true", help="train and cache the char bases, then stop")
    parser.add_argument("--e5-only", action="store_true", help="the e5 head's methods only (no char base needed)")
    parser.add_argument("--auto", action="store_true", help="the auto method (adapt's default) only")
    parser.add_argument("--summary", action="store_true", help="only summarise the predictions saved in --work")
    args = parser.parse_args()
    if args.summary:
        summarise(saved(args.work, False))
        summarise(saved(args.work, True))
        summarise_auto(args.work)
        return
    from collectors.paths import shared_data_dir

    shared = shared_data_dir()
    if shared is None:
        raise SystemExit("needs ../shared/data (the char base's general-Weibo training files)")
    args.work.mkdir(parents=True, exist_ok=True)
    cases = [c for c in args.cases.split(",") if c]
    units = real_units()
    if args.auto:
        run_auto(cases, args, units, shared)
        return
    alpha = float(e5_card()["method"]["selection"]["chosen"]["alpha"])
    for case in cases:
        char = None if args.e5_only else char_base(case, args.work, shared)
        if args.bases_only:
            continue
        e5 = None
        for draw in range(args.draws):
            out = args.work / f"pred{'-e5' if args.e5_only else ''}-{case}-{draw}.npz"
            if out.exists():
                continue
            e5 = e5 or e5_base(case)
            split = split_case(units, case, args.labels, draw)
            y = split.held["label"].to_numpy()
            pages = split.held["url"].fillna("?").to_numpy().astype(str)
            pred = run_split(split, char, e5, alpha)
            row = {"case": case, "draw": draw, "labels": len(split.labels), "held": len(y),
                   "held_pages": len(set(pages)), "macro_f1": {k: round(macro_f1(confusion(y, p)), 4)
                                                               for k, p in pred.items()}}
            print(json.dumps(row, ensure_ascii=False), flush=True)
            np.savez(out, y=y, pages=pages, **pred)
    if not args.bases_only:
        summarise(saved(args.work, args.e5_only))


def saved(work: Path, e5_only: bool) -> list[Path]:
    return sorted(f for f in work.glob("pred-*.npz") if f.name.startswith("pred-e5-") == e5_only)


def summarise(files: list[Path]) -> None:
    """Mean gain of each method over every saved case and draw, with its stratified page-bootstrap interval."""
    results: dict[str, list] = {}
    for file in files:
        with np.load(file) as z:
            y, pages, pred = z["y"], z["pages"], {k: z[k] for k in z.files if k not in ("y", "pages")}
        for name, p in pred.items():
            family = "blend" if name.startswith("blend") else name.split("-")[0]
            results.setdefault(name, []).append((y, pred[f"{family}-base"], p, pages))
        if "char-base" not in pred:
            continue
        results.setdefault("blend-base vs char-base", []).append((y, pred["char-base"], pred["blend-base"], pages))
        results.setdefault("blend-refit10 vs char-base", []).append((y, pred["char-base"], pred["blend-refit10"],
                                                                    pages))
    for name, parts in results.items():
        if name.endswith("-base"):
            continue
        mean, lo, hi, point = gain_ci(parts)
        print(json.dumps({"method": name, "vs": "char-base" if " vs " in name else f"{name.split('-')[0]}-base",
                          "parts": len(parts), "mean_gain": round(mean, 4), "ci95_pages": [round(lo, 4), round(hi, 4)],
                          "ci95_over_parts": over_parts_ci(point), "gains": [round(g, 4) for g in point]}),
              flush=True)

if __name__ == "__main__":
    main()
