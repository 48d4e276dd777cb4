"""Charts as PNG images through kaleido and the system Chromium (a browser is never downloaded).

One path for every PNG the project writes: the embed kit (dashboard/charts/embed.py, `actorwatch chart`) and the
Markdown brief's charts.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import plotly.graph_objects as go

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
PNG_SIZE = (1000, 560)


class PngUnavailable(RuntimeError):
    """No Chromium for kaleido, or it failed: the message says how to install it (never downloads a browser)."""


def chromium_path() -> str | None:
    """The system Chromium kaleido will drive ($BROWSER_PATH, PATH, or Debian's /usr/bin/chromium)."""
    configured = os.environ.get("BROWSER_PATH")
    if configured and Path(configured).exists():
        return configured
    for candidate in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(candidate)
        if found:
            return found
    return next((c for c in CHROMIUM_CANDIDATES if Path(c).exists()), None)


def png_bytes(fig: go.Figure, width: int = PNG_SIZE[0], height: int = PNG_SIZE[1], scale: float = 2.0) -> bytes:
    """A PNG via kaleido and the system Chromium (CJK needs fonts-noto-cjk); PngUnavailable if no Chromium."""
    browser = chromium_path()
    if browser is None:
        raise PngUnavailable("PNG export needs Chromium: install it with `apt-get install chromium fonts-noto-cjk` "
                             "(or set BROWSER_PATH); HTML and CSV exports work without it.")
    os.environ.setdefault("BROWSER_PATH", browser)
    for attempt in (1, 2):  # once more: a Chromium started on a loaded machine can miss kaleido's start-up timeout
        try:
            return fig.to_image(format="png", width=width, height=height, scale=scale)
        except Exception as exc:  # noqa: BLE001 - kaleido/choreographer raise many unrelated types; all mean no PNG
            if attempt == 2:
                raise PngUnavailable(f"PNG export failed with Chromium at {browser}: {exc}") from None
    raise AssertionError("unreachable")
