"""The colour-blind-safe palette (Okabe-Ito) and each source's colour and fill pattern, shared by the dashboard's
charts and the brief's, so a source looks the same in both."""

from __future__ import annotations

from collections.abc import Iterable

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


# One colour per source wherever sources are drawn (side-by-side columns, filtered views, news charts), so a colour
# never names one source in one chart and another in the next; sources outside this list take the palette's rest.
SOURCE_COLOURS = {"bilibili": "#0072B2", "bluesky": "#56B4E9", "gdelt": "#E69F00", "mastodon": "#CC79A7",
                  "rss": "#009E73", "weibo": "#D55E00"}


def source_colours(sources: Iterable[str]) -> dict[str, str]:
    """Each source's colour: SOURCE_COLOURS, then the unused palette colours for other sources (sorted)."""
    spare = [c for c in PALETTE if c not in SOURCE_COLOURS.values()]
    others = sorted({str(s) for s in sources} - SOURCE_COLOURS.keys())
    return {**SOURCE_COLOURS, **{s: spare[n % len(spare)] for n, s in enumerate(others)}}


# Fill patterns for stacked bars and areas, so no series is told from its neighbour by colour alone (colour-blind
# readers, greyscale prints); sources keep one pattern each, as they keep one colour.
PATTERNS = ("", "/", ".", "x", "\\", "-", "|", "+")
SOURCE_PATTERNS = {"weibo": "", "bilibili": "/", "rss": ".", "gdelt": "x", "bluesky": "\\", "mastodon": "-"}


def source_patterns(sources: Iterable[str]) -> dict[str, str]:
    """Each source's fill pattern: SOURCE_PATTERNS, then the unused patterns for other sources (sorted)."""
    spare = [p for p in PATTERNS if p not in SOURCE_PATTERNS.values()]
    others = sorted({str(s) for s in sources} - SOURCE_PATTERNS.keys())
    return {**SOURCE_PATTERNS, **{s: spare[n % len(spare)] for n, s in enumerate(others)}}
