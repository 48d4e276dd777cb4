"""Software, data and model versions shown on the Methods page (for reproducibility)."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from collectors.trackers import default_path

_REPO = Path(__file__).resolve().parents[1]
_PACKAGES = ("actorwatch", "streamlit", "plotly", "duckdb", "pyarrow", "pandas", "kaleido", "jieba", "snownlp")


def git_sha() -> str:
    """The checked-out commit (short), or "unknown" outside a git checkout."""
    if not (_REPO / ".git").exists():  # installed: git would report the commit of any repo around site-packages
        return "unknown"
    try:
        out = subprocess.run(["git", "-C", str(_REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=False)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions_frame(store_signature: str, model: dict[str, Any]) -> pd.DataFrame:
    trackers = default_path()
    rows = [("actorwatch commit", git_sha()), ("python", platform.python_version()),
            *((f"{p}", _version(p)) for p in _PACKAGES),
            ("sentiment model", f"{model.get('name')} {model.get('version')}"),
            *((f"{task} model", f"{b.get('name') or 'no card'} {b.get('version') or ''}".strip())
              for task, b in (model.get("badges") or {}).items() if task != "sentiment"),
            ("trackers file", f"{trackers} ({trackers.stat().st_size:,} bytes)" if trackers.exists() else str(trackers)),
            ("store snapshot", store_signature)]
    return pd.DataFrame(rows, columns=["component", "version"])
