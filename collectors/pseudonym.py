"""Keyed-hash pseudonyms for ordinary users; the key stays on this machine."""

from __future__ import annotations

import hashlib
import os
import secrets
import sys
import uuid
from functools import lru_cache
from pathlib import Path

from collectors.paths import data_dir
from collectors.secrets import owners_only

KEY_ENV = "ACTORWATCH_PSEUDONYM_KEY"
POLICY = (
    "Ordinary users are pseudonymised with a keyed SHA-256 hash (u_ + 12 hex characters) of source and "
    "author id; the key never leaves this machine. Public figures and organisations (Weibo orange/blue V "
    "verified types 0-7, tracker entities, news outlets) keep their names. Other @mentions in text, the "
    "nickname on a Weibo video link and the account in a link to a Weibo, Bluesky, Bilibili or X profile are masked "
    "(in titles too); so is the account inside Bluesky and Mastodon record ids."
)


def key_path(root: Path | None = None) -> Path:
    return (root or data_dir()) / ".secrets" / "pseudonym.key"


@lru_cache(maxsize=8)
def pseudonym_key(root: Path | None = None) -> str:
    """The secret key: $ACTORWATCH_PSEUDONYM_KEY, else a random key created once in the data dir (mode 600)."""
    from_env = os.environ.get(KEY_ENV)
    if from_env:  # read as the file is (without its line break), so the same key gives the same pseudonyms
        if not from_env.strip():  # as an empty key file: anyone could recompute the pseudonyms from the ids
            raise RuntimeError(f"${KEY_ENV} holds only white space: set it to the key, or unset it to use the key "
                               f"file {key_path(root)}")
        return from_env.strip()
    path = key_path(root)
    if not path.exists():
        _create_key(path)
    owners_only(path)  # whoever reads the key can recompute every pseudonym from the user ids
    key = path.read_text().strip()
    if not key:  # hashing with an empty key, anyone could recompute the pseudonyms from the ids
        raise RuntimeError(f"the pseudonym key file {path} is empty: restore it from a backup, or delete it to make a "
                           f"new key (every ordinary user's pseudonym then changes), or set ${KEY_ENV}")
    _check_fingerprint((root or data_dir()) / "store", key, path)
    return key


FINGERPRINT_FILE = ".pseudonym-key-fingerprint"


def key_fingerprint(key: str) -> str:
    """Tells keys apart without revealing them (a hash of the key alone, unlike any pseudonym's input)."""
    return hashlib.sha256(f"actorwatch pseudonym key fingerprint|{key}".encode()).hexdigest()[:16]


def _check_fingerprint(store_root: Path, key: str, path: Path) -> None:
    """The store keeps the fingerprint of the key that first pseudonymised it. A key file lost and made anew (or
    another key put in its place) changes every ordinary user's pseudonym, so earlier exports and labelled samples
    no longer match: say so, with how to put the old key back."""
    if not store_root.is_dir():
        return
    marker = store_root / FINGERPRINT_FILE
    try:
        seen = marker.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        tmp = marker.with_name(f"{marker.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
        try:
            tmp.write_text(key_fingerprint(key) + "\n", encoding="ascii")
            os.replace(tmp, marker)
        except OSError:  # a read-only store: nothing to remember it by
            tmp.unlink(missing_ok=True)
        return
    except (OSError, UnicodeDecodeError):
        return
    if seen and seen != key_fingerprint(key):
        sys.stderr.write(f"warning: the pseudonym key at {path} is not the key this store was pseudonymised with "
                         "(it was lost and made anew, or replaced): every ordinary user's pseudonym differs from "
                         f"earlier exports and labelled samples. To keep them, put the old key back at that path (or "
                         f"set ${KEY_ENV} to it); to adopt this key, delete {store_root / FINGERPRINT_FILE}\n")


def _create_key(path: Path) -> None:
    """Write a new random key to `path` unless another process makes one first: the first key made is every
    process's (a process that read its own key must not see it replaced), and none reads a key half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others, not even briefly
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # unlike a rename, fails when the key exists
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def pseudonymise(source: str, author_id: str, key: str | None = None) -> str:
    """`u_<12 hex>`: the same for the same (source, author) on this machine, unlinkable without the key.

    The formula is mirrored in SQL by `collectors.store` (sha256 of key|source|author_id).
    """
    secret = key if key is not None else pseudonym_key()
    digest = hashlib.sha256(f"{secret}|{source}|{author_id}".encode()).hexdigest()
    return "u_" + digest[:12]
