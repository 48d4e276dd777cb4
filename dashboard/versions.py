"""Software, data and model versions shown on the Methods page (for reproducibility)."""

from __future__ import annotations

import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from collectors.paths import checkout_commit
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
