"""The class colours (sentiment, stance, emotion) stay apart for colour-blind readers and stand out on both themes."""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from analysis.reports import palette

# Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear sRGB.
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                       [-0.003882, -0.048116, 1.051998]])
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])
SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
D65 = np.array([0.95047, 1.0, 1.08883])
LIGHT, DARK = "#FFFFFF", "#0E1117"  # the page backgrounds of Streamlit's light and dark themes
SETS = {"sentiment": palette.SENTIMENT_COLOURS, "stance": palette.STANCE_COLOURS, "emotion": palette.EMOTION_COLOURS}


def linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(rgb: np.ndarray) -> np.ndarray:
    xyz = SRGB_TO_XYZ @ np.clip(rgb, 0, 1) / D65
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e76(a: str, b: str, vision: np.ndarray | None = None) -> float:
    """CIE76 colour difference of two colours as seen with `vision` (a simulation matrix; None: normal vision)."""
    la, lb = linear(a), linear(b)
    if vision is not None:
        la, lb = vision @ la, vision @ lb
    return float(np.linalg.norm(lab(la) - lab(lb)))


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio."""
    lum = sorted(float(np.array([0.2126, 0.7152, 0.0722]) @ linear(h)) for h in (a, b))
    return (lum[1] + 0.05) / (lum[0] + 0.05)


def hue_chroma(hex_colour: str) -> tuple[float, float]:
    _, a, b = lab(linear(hex_colour))
    return float(np.degrees(np.arctan2(b, a)) % 360), float(np.hypot(a, b))


def test_the_simulation_reproduces_the_audit() -> None:
    """The audit's figures for the old colours, so the checks below measure what the audit measured."""
    assert delta_e76("#CC79A7", "#999999", DEUTERANOPIA) == pytest.approx(7.1, abs=0.05)
    assert delta_e76("#009E73", "#999999", DEUTERANOPIA) == pytest.approx(11.9, abs=0.05)
    assert delta_e76("#D55E00", "#E69F00", DEUTERANOPIA) == pytest.approx(18.3, abs=0.05)
    assert contrast("#999999", LIGHT) < 3


@pytest.mark.parametrize("name", SETS)
def test_every_pair_of_classes_is_told_apart_without_red_green_vision(name: str) -> None:
    colours = SETS[name]
    close = [(x, y, who, round(delta_e76(a, b, m), 1)) for (x, a), (y, b) in combinations(colours.items(), 2)
             for who, m in (("deuteranopia", DEUTERANOPIA), ("protanopia", PROTANOPIA), ("normal", None))
             if delta_e76(a, b, m) < 20]
    assert not close, f"{name}: pairs closer than CIE76 ΔE 20: {close}"


@pytest.mark.parametrize("name", SETS)
def test_every_class_colour_has_3_to_1_contrast_on_light_and_dark_backgrounds(name: str) -> None:
    low = [(value, colour, bg, round(contrast(colour, bg), 2)) for value, colour in SETS[name].items()
           for bg in (LIGHT, DARK) if contrast(colour, bg) < 3]
    assert not low, f"{name}: below WCAG 3:1 for graphics: {low}"


def test_class_colours_keep_their_meaning() -> None:
    """Against/negative/anger warm, for/positive cool blue, neutral a grey."""
    def warm(h: str) -> bool:
        hue, chroma = hue_chroma(h)
        return 10 <= hue <= 70 and chroma >= 40

    def cool(h: str) -> bool:
        hue, chroma = hue_chroma(h)
        return 220 <= hue <= 300 and chroma >= 30

    s, t, e = palette.SENTIMENT_COLOURS, palette.STANCE_COLOURS, palette.EMOTION_COLOURS
    assert warm(s["negative"]) and warm(t["oppose"]) and warm(e["anger"])
    assert cool(s["positive"]) and cool(t["support"]) and cool(e["sadness"])
    assert all(hue_chroma(c["neutral"])[1] <= 10 for c in (s, t, e))


def test_the_dashboard_draws_the_one_palette() -> None:
    """The dashboard's class colours are the shared palette's, and no chart module writes a class colour of its own."""
    from dashboard.charts import style

    assert style.SENTIMENT_COLOURS is palette.SENTIMENT_COLOURS
    assert style.STANCE_COLOURS is palette.STANCE_COLOURS
    assert style.EMOTION_COLOURS is palette.EMOTION_COLOURS
    root = Path(__file__).resolve().parents[1]
    ours = {c.upper() for colours in SETS.values() for c in colours.values()} | {"#999999"}
    elsewhere = [(str(p.relative_to(root)), h) for folder in ("dashboard", "analysis/reports")
                 for p in sorted((root / folder).rglob("*.py")) if p.name != "palette.py"
                 for h in re.findall(r"#[0-9A-Fa-f]{6}\b", p.read_text(encoding="utf-8")) if h.upper() in ours]
    assert not elsewhere, elsewhere


def test_every_series_and_source_colour_has_3_to_1_contrast_on_light_and_dark_backgrounds() -> None:
    """Okabe-Ito's orange (2.2:1), sky blue (2.3:1) and yellow (1.3:1) drew lines and bars under WCAG 1.4.11's 3:1
    on white, and its black was 1.1:1 on the dark theme; every colour a chart can take now reaches 3:1 on both."""
    extra = palette.source_colours(["zz-one", "zz-two", "zz-three"])
    colours = {**{f"PALETTE[{n}]": c for n, c in enumerate(palette.PALETTE)}, **extra, "GREY": palette.GREY}
    low = [(name, colour, bg, round(contrast(colour, bg), 2)) for name, colour in colours.items()
           for bg in (LIGHT, DARK) if contrast(colour, bg) < 3]
    assert not low, f"below WCAG 3:1 for graphics: {low}"


def test_colours_a_colour_blind_reader_may_confuse_differ_in_fill_pattern() -> None:
    """Darker colours sit closer together: the sources that come within ΔE 20 of each other under deuteranopia or
    protanopia are told apart by their fill pattern (the bars' second cue)."""
    colours, patterns = palette.SOURCE_COLOURS, palette.SOURCE_PATTERNS
    for (x, a), (y, b) in combinations(colours.items(), 2):
        if min(delta_e76(a, b, m) for m in (DEUTERANOPIA, PROTANOPIA)) < 20:
            assert patterns[x] != patterns[y], (x, y)


def white(fig) -> bool:
    bg = fig.layout.plot_bgcolor or fig.layout.template.layout.plot_bgcolor
    return str(bg).lower() in {"white", "#ffffff", "#fff"}


def test_exported_charts_are_drawn_on_the_white_the_palette_is_measured_against() -> None:
    """Plotly's default template fills the plot area #E5ECF6, on which the orange and green class colours fall to
    2.6:1; the charts a PNG, the standalone page or the brief carries are drawn on white."""
    import plotly.graph_objects as go

    from analysis.reports.png import footed_figure, marked_figure

    assert contrast(palette.ORANGE, "#E5ECF6") < 3  # why the background matters
    assert white(marked_figure(go.Figure(), 0)) and white(marked_figure(go.Figure(), 1))
    assert white(footed_figure(go.Figure(), ["n = 3"], 0)[0])
