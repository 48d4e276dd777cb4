"""Charts as PNG images through kaleido and the system Chromium (a browser is never downloaded).

One path for every PNG the project writes: the embed kit (dashboard/charts/embed.py, `actorwatch chart`) and the
Markdown brief's charts; both draw the same footer (source, n, model figure, credit) and synthetic-data mark, since an
image travels without the page that explained it.
"""

from __future__ import annotations

import html
import os
import shutil
import textwrap
from pathlib import Path

import plotly.graph_objects as go

from analysis.core.wording import share_text
from analysis.reports.palette import TEMPLATE

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
PNG_SIZE = (1000, 560)
# Footer lines are wrapped: an annotation never wraps itself, and a line past the image's edge is cut off. 100
# characters of 11 px text fit beside the widest left margin a chart takes (the before/after chart's event labels).
FOOTER_CHARS = 100
FOOTER_LINE_PX = 15
SYNTHETIC_MARK = "SYNTHETIC DEMO DATA"
CREDIT = "Chart: actorwatch (open source)"


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


def synthetic_notice(share: float) -> str:
    """The one-line notice of a chart drawn (wholly or partly) from the synthetic demo corpus."""
    if share >= 1:
        return f"{SYNTHETIC_MARK}: generated, not real"
    return f"{SYNTHETIC_MARK}: {share_text(share)} of the data is generated, not real"


def marked_figure(fig: go.Figure, synthetic_share: float) -> go.Figure:
    """A copy of `fig` on white (palette.TEMPLATE) with, when its data is synthetic, SYNTHETIC_MARK across the plot (it
    survives cropping)."""
    fig = go.Figure(fig)
    fig.update_layout(template=TEMPLATE)
    if synthetic_share > 0:
        fig.add_annotation(text=SYNTHETIC_MARK, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False,
                           textangle=-20, font={"size": 44, "color": "rgba(213,94,0,0.22)"})
    return fig


def footed_figure(fig: go.Figure, lines: list[str], synthetic_share: float) -> tuple[go.Figure, int]:
    """A copy of `fig` (marked when synthetic) with `lines` (plain text) wrapped under it, after a bold synthetic-data
    notice; and the pixels the footer adds (grow the image by them, so the chart keeps its size)."""
    footed = marked_figure(fig, synthetic_share)
    wrapped = [html.escape(part, quote=False) for line in lines
               for part in textwrap.wrap(line, FOOTER_CHARS, break_long_words=False)]
    if synthetic_share > 0:
        wrapped.insert(0, f"<b>{html.escape(synthetic_notice(synthetic_share), quote=False)}</b>")
    added = 40 + FOOTER_LINE_PX * len(wrapped)
    bottom = (fig.layout.margin.b or 40) + added
    footed.update_layout(margin={"b": bottom})
    footed.add_annotation(text="<br>".join(wrapped), xref="paper", yref="paper", x=0, y=0, yshift=-bottom + 8,
                          xanchor="left", yanchor="bottom", showarrow=False, align="left",
                          font={"size": 11, "color": "#444444"})
    return footed, added
