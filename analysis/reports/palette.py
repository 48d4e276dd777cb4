"""The colour-blind-safe palette (Okabe-Ito hues at 3:1 contrast) and each source's colour and fill pattern, shared
by the dashboard's charts and the brief's, so a source looks the same in both."""

from __future__ import annotations

from collections.abc import Iterable

# Okabe-Ito's hues in its order, each darkened (or lightened: black was 1.1:1 on the dark theme) until it has WCAG
# 1.4.11's 3:1 contrast on white and on Streamlit's dark #0E1117: its orange, sky blue and yellow were 2.2, 2.3 and 1.3:1 on
# white. Darker hues sit closer together for colour-blind readers (orange and the olive yellow alike), so no chart
# tells series apart by colour alone: lines differ by dash or marker, bars and areas by fill pattern.
# blue, orange, bluish green, reddish purple, sky blue, vermillion, yellow (olive), black (mid grey)
PALETTE = ["#0069A6", "#C28600", "#009E73", "#CC79A7", "#1D99E0", "#B04600", "#8F8A00", "#6B6B6B"]
# Exported charts (PNG, the standalone page, the brief) are drawn on white, the background the colours are measured
# against: plotly's default template fills the plot area #E5ECF6, where orange and green class lines fall to 2.6:1.
TEMPLATE = "plotly_white"


# The class colours (sentiment, stance, emotion) are drawn as lines over white or Streamlit's dark background
# (#0E1117), so each has a WCAG contrast of at least 3:1 against both (Okabe-Ito's orange, sky blue and grey do not
# on white), and every pair within a set differs by CIE76 ΔE >= 20 under simulated deuteranopia and protanopia
# (Machado et al. 2009) as well as normal vision; tests/test_palette.py measures both. Warm for against, blue for
# for, a slate grey for neutral; one colour means one thing across the three sets.
RED, ORANGE, GREEN, BLUE = "#BE2323", "#DC7800", "#46A569", "#417DF5"
VIOLET, TEAL, GREY = "#5A37FF", "#239BBE", "#556969"
SENTIMENT_COLOURS = {"negative": RED, "neutral": GREY, "positive": BLUE}
STANCE_COLOURS = {"oppose": RED, "deny-involvement": ORANGE, "conditional": TEAL, "neutral": GREY, "support": BLUE}
EMOTION_COLOURS = {"joy": ORANGE, "anger": RED, "disgust": GREEN, "sadness": BLUE, "fear": VIOLET, "surprise": TEAL,
                   "neutral": GREY}


# One colour per source wherever sources are drawn (side-by-side columns, filtered views, news charts), so a colour
# never names one source in one chart and another in the next; sources outside this list take the palette's rest.
SOURCE_COLOURS = {"bilibili": PALETTE[0], "bluesky": PALETTE[4], "gdelt": PALETTE[1], "mastodon": PALETTE[3],
                  "rss": PALETTE[2], "weibo": PALETTE[5]}


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
