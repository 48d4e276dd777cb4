"""The versions of a tracker's adapted model: each kept, one current, a way back to any of them.

`<models>/<name>/` holds the current version (model.npz, card.json), the one `enrich`, `evaluate` and the charts use
by name; `<models>/<name>/history/<hash of version>/` keeps every version adapting made (model.npz, card.json, and
`en/` for an English route adapted alongside, installed as `<models>/<name>-en`). A new version becomes current only
when it is not worse than the base nor than the current version (`replaces`); `use_version` makes any kept one current,
and `use_base` none (the tracker back on the general model, every version still kept).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.nlp.model_info import HISTORY, read_card, version_key
from analysis.nlp.sentiment.linear import CARD_FILE, KEPT_ENGLISH, MODEL_FILE, file_sha256
from collectors.store import atomic_path, file_lock

ENGLISH = KEPT_ENGLISH  # a kept version's English route, beside it
BASE = "base"  # `adapt --use base`: no adapted version current, the tracker back on the general model
# a version's verdict (its paired gain over the base on the tracker's labels), ranked
RANK = {"worse": 0, "no clear difference": 1, "better": 2}


@contextmanager
def turn(directory: Path) -> Iterator[None]:
    """Runs choosing and installing the current version of one model take turns: each judges against what is current
    when it installs, not what was current before another run installed its own."""
    with file_lock(directory.parent / ".locks" / f"{directory.name}.lock"):
        yield


def version_dir(directory: Path, version: str) -> Path:
    return directory / HISTORY / version_key(version)


def english_name(card: dict[str, Any]) -> str | None:
    """The name of the English route adapted alongside this version, if one was."""
    english = (((card.get("adapted") or {}).get("method_details") or {}).get("english") or {})
    return str(english["model"]) if english.get("adapted") and english.get("model") else None


def intact(directory: Path) -> bool:
    """A model folder whose model.npz is the one its card describes (not one left half-replaced)."""
    card = read_card(directory / CARD_FILE)
    if card is None or not (directory / MODEL_FILE).exists():
        return False
    return not card.get("model_sha256") or card["model_sha256"] == file_sha256(directory / MODEL_FILE)


def current_card(directory: Path) -> dict[str, Any] | None:
    """The card of the adapted version in use in `directory` (None when there is none, or it is not intact)."""
    card = read_card(directory / CARD_FILE)
    return card if card and isinstance(card.get("adapted"), dict) and intact(directory) else None


def repaired_current(directory: Path) -> dict[str, Any] | None:
    """`current_card`, after putting back from history/ the version whose card is in use where a copy over it stopped
    half-way (its model.npz no longer the one the card describes)."""
    card = read_card(directory / CARD_FILE)
    if card and card.get("version") and not intact(directory):
        kept = version_dir(directory, str(card["version"]))
        if intact(kept):
            install(directory, kept)
    return current_card(directory)


def _copy(source: Path, target: Path) -> None:
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


def _copy_model(source: Path, target: Path) -> None:
    """model.npz, then card.json (which names the version): a copy stopped in between is refused on load, never read
    under the other version's name."""
    _copy(source / MODEL_FILE, target / MODEL_FILE)
    _copy(source / CARD_FILE, target / CARD_FILE)


def keep_current(directory: Path) -> None:
    """Keep the version in use (adapted before versions were kept) under history/, so it can be gone back to."""
    card = current_card(directory)
    if card is None or not card.get("version"):
        return
    kept = version_dir(directory, str(card["version"]))
    if intact(kept):
        return
    english = english_name(card)
    if english and intact(directory.parent / english):
        _copy_model(directory.parent / english, kept / ENGLISH)
    _copy_model(directory, kept)


def install(directory: Path, kept: Path) -> None:
    """Make the kept version in `kept` the current one of `directory` (its English route first)."""
    card = read_card(kept / CARD_FILE) or {}
    english = english_name(card)
    if english and (kept / ENGLISH / MODEL_FILE).exists():
        _copy_model(kept / ENGLISH, directory.parent / english)
    _copy_model(kept, directory)


def replaces(new_verdict: str, current: dict[str, Any] | None) -> tuple[bool, str | None]:
    """Whether a new version with this verdict becomes current over the `current` card; if not, why."""
    if new_verdict == "worse":
        return False, "its verdict is worse than the base model on these labels"
    now = str(((current or {}).get("adapted") or {}).get("verdict") or "")
    if current is not None and RANK.get(new_verdict, 1) < RANK.get(now, 1):
        return False, (f"the current version {current.get('version')} was measured {now} than the base, this one "
                       f"{new_verdict}")
    return True, None


@dataclass(frozen=True)
class Kept:
    card: dict[str, Any]
    directory: Path  # history/<hash>
    model_directory: Path  # where it is installed when current

    @property
    def version(self) -> str:
        return str(self.card.get("version"))


def kept_versions(models: Path, tracker: str, task: str) -> list[Kept]:
    """Every kept version of the models adapted to `tracker` for `task`, oldest first."""
    out = []
    for path in sorted(models.glob(f"*/{HISTORY}/*/{CARD_FILE}")):
        card = read_card(path)
        adapted = (card or {}).get("adapted")
        if (card and isinstance(adapted, dict) and adapted.get("tracker") == tracker and not adapted.get("part_of")
                and (card.get("task") or "sentiment") == task):
            out.append(Kept(card, path.parent, path.parents[2]))
    return sorted(out, key=lambda k: str(k.card.get("created_at") or ""))


def _listed(kept: list[Kept]) -> str:
    return "; ".join(f"{k.version} ({k.card.get('adapted', {}).get('verdict')}, {k.card.get('created_at')})"
                     for k in kept) or "none"


def find_version(models: Path, tracker: str, task: str, version: str) -> Kept:
    """The kept version named exactly (or by its 8-hex digest); ValueError listing the kept ones otherwise."""
    kept = kept_versions(models, tracker, task)
    found = [k for k in kept if version in (k.version, k.version.rsplit(".", 1)[-1])]
    if len(found) == 1:
        return found[0]
    raise ValueError(f"tracker {tracker}: no single kept {task} version {version!r}; kept: {_listed(kept)} "
                     f"(or {BASE!r}: the general model)")


def no_current_message(models: Path, name: str) -> str | None:
    """Why model NAME, adapted here, cannot be used by name when none of its kept versions is current (a first
    adaptation that was worse, or `--use base`), and how to make one current; None when that is not the case."""
    directory = models / name
    if not (directory / HISTORY).is_dir() or current_card(directory) is not None:
        return None
    kept = sorted((Kept(card, path.parent, directory) for path in (directory / HISTORY).glob(f"*/{CARD_FILE}")
                   if (card := read_card(path)) and isinstance(card.get("adapted"), dict)),
                  key=lambda k: str(k.card.get("created_at") or ""))
    if not kept:
        return None
    tracker, task = kept[-1].card["adapted"].get("tracker"), kept[-1].card.get("task") or "sentiment"
    return (f"{name} has no current version: tracker {tracker} is on the general {task} model (a version worse than "
            f"the base is never made current, and `--use {BASE}` goes back to the general model); kept: "
            f"{_listed(kept)}; make one current with `actorwatch adapt --tracker {tracker} --task {task} --use VERSION`")


def use_version(models: Path, tracker: str, task: str, version: str) -> dict[str, Any]:
    """Make a kept version current (`BASE`: none, see `use_base`); returns what was current before and what is now."""
    if version == BASE:
        return use_base(models, tracker, task)
    chosen = find_version(models, tracker, task, version)
    with turn(chosen.model_directory):
        before = current_card(chosen.model_directory)
        keep_current(chosen.model_directory)
        install(chosen.model_directory, chosen.directory)
    return {"model": chosen.card.get("name"), "tracker": tracker, "task": task, "current_version": chosen.version,
            "replaced_version": None if (before or {}).get("version") in (None, chosen.version) else before["version"],
            "model_dir": str(chosen.model_directory)}


def use_base(models: Path, tracker: str, task: str) -> dict[str, Any]:
    """Take the tracker back to the general model of `task`: its adapted model's current version (kept first) is
    removed from use, with its English route; every version stays kept for `use_version`."""
    said: dict[str, Any] = {"model": None, "tracker": tracker, "task": task, "current_version": None,
                            "replaced_version": None, "base_model": None, "model_dir": None}
    for path in sorted(models.glob(f"*/{CARD_FILE}")):
        card = read_card(path)
        adapted = (card or {}).get("adapted")
        if not (card and isinstance(adapted, dict) and adapted.get("tracker") == tracker
                and not adapted.get("part_of") and (card.get("task") or "sentiment") == task):
            continue
        directory = path.parent
        with turn(directory):
            before = repaired_current(directory)
            if before is None:
                continue
            keep_current(directory)
            english = english_name(before)
            for folder in ([models / english] if english else []) + [directory]:
                for name in (CARD_FILE, MODEL_FILE):  # the card first: stopped in between, no card lists it
                    (folder / name).unlink(missing_ok=True)
        said.update(model=before.get("name"), replaced_version=before.get("version"),
                    base_model=adapted.get("base_model"), model_dir=str(directory))
    return said
