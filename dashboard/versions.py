"""Software, data and model versions shown on the Methods page (for reproducibility)."""

from __future__ import annotations

import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from collectors.paths import bundled_dir, checkout_commit
from collectors.trackers import default_path

_REPO = Path(__file__).resolve().parents[1]
_PACKAGES = ("actorwatch", "streamlit", "plotly", "duckdb", "pyarrow", "pandas", "kaleido", "jieba", "snownlp")


def git_sha() -> str:
    """The checked-out commit (short), or "unknown" outside a git checkout."""
    return checkout_commit(_REPO, short=True) or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def shown_path(path: Path) -> str:
    """A shipped file's path within the shipped files, else only its name: the Methods page is public, and an
    absolute path would show readers the server's directory layout."""
    return str(path.relative_to(bundled_dir())) if path.is_relative_to(bundled_dir()) else path.name


def versions_frame(store_signature: str, model: dict[str, Any]) -> pd.DataFrame:
    trackers = default_path()
    rows = [("actorwatch commit", git_sha()), ("python", platform.python_version()),
            *((f"{p}", _version(p)) for p in _PACKAGES),
            ("sentiment model", f"{model.get('name')} {model.get('version')}"),
            *((f"{task} model", f"{b.get('name') or 'no card'} {b.get('version') or ''}".strip())
              for task, b in (model.get("badges") or {}).items() if task != "sentiment"),
            ("trackers file", f"{shown_path(trackers)} ({trackers.stat().st_size:,} bytes)" if trackers.exists()
             else shown_path(trackers)),
            ("store snapshot", store_signature)]
    return pd.DataFrame(rows, columns=["component", "version"])
