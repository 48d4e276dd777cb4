"""Where actorwatch finds its shipped files and keeps the user's data."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]  # the repository in a clone; site-packages in an installed wheel
_REPO_DATA = _ROOT / "data"
_WHEEL_DATA = _ROOT / "actorwatch_data"


def in_checkout() -> bool:
    """Running from a repository checkout (its data/ beside the packages), not from an installed wheel."""
    return (_REPO_DATA / "trackers.toml").exists()


def checkout_commit(root: Path = _ROOT, short: bool = False) -> str | None:
    """The commit checked out at `root` (this code's repository by default), or None where `root` is not a git
    clone: installed, git would report the commit of whatever repository surrounds site-packages."""
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", *(["--short"] if short else []), "HEAD"],
                             capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def bundled_dir() -> Path:
    """Shipped, read-only files: trackers.toml, models/, dicts/ (repo `data/` or the wheel's copy)."""
    return _REPO_DATA if in_checkout() else _WHEEL_DATA


def _user_data_dir() -> Path:
    # an installed wheel must not write the store and secrets into site-packages
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base).expanduser() / "actorwatch"


def models_dir() -> Path:
    """Shipped models and their cards: $ACTORWATCH_MODELS_DIR (tests, a reviewer's other build), else bundled models/."""
    chosen = os.environ.get("ACTORWATCH_MODELS_DIR")
    return Path(chosen).expanduser() if chosen else bundled_dir() / "models"


def local_models_dir() -> Path:
    """Models made on this machine (adapted to a tracker): <data dir>/models, or <data dir>/local-models where that is
    the shipped models' folder (a checkout's data dir is the repository's data/), so they never mix with them."""
    folder = data_dir() / "models"
    return data_dir() / "local-models" if folder.resolve() == models_dir().resolve() else folder


def model_dir(name: str) -> Path | None:
    """Where model NAME is: a model directory given as NAME, a shipped model, or one made on this machine
    (`local_models_dir`, e.g. adapted to a tracker); None when none of them holds a model."""
    for directory in (Path(name), models_dir() / name, local_models_dir() / name):
        if (directory / "model.npz").exists():
            return directory
    return None


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The user's data directory (store, raw archive, secrets): --data-dir, $ACTORWATCH_DATA, else the repo's
    data/ in a checkout, else $XDG_DATA_HOME/actorwatch (~/.local/share/actorwatch) for an installed wheel."""
    chosen = override or os.environ.get("ACTORWATCH_DATA")
    path = Path(chosen).expanduser() if chosen else _REPO_DATA if in_checkout() else _user_data_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def shared_data_dir() -> Path | None:
    """The team's labelled sets (../shared/data beside the repo), or None on a user's machine."""
    chosen = os.environ.get("ACTORWATCH_SHARED")
    path = Path(chosen) if chosen else _REPO_DATA.parents[1] / "shared" / "data"
    return path if path.is_dir() else None
