"""Shared look of every chart: the colour-blind-safe palette, event markers, axes, plain-text labels."""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from analysis.core.filters import Filters
from analysis.core.wording import count_text, share_text
from analysis.reports.palette import (  # noqa: F401 - re-exported: the charts' palette
    EMOTION_COLOURS,
    GREY,
    PALETTE,
    PATTERNS,
    SENTIMENT_COLOURS,
    SOURCE_COLOURS,
    SOURCE_PATTERNS,
    STANCE_COLOURS,
    source_colours,
    source_patterns,
)
from analysis.stats.peaks import MIN_SHARE_N
from collectors.display_zone import zone_short
from collectors.trackers import Event


def event_marks(events: Sequence[Event], start: date | None,
                end: date | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One dotted line per event day (layout shapes) and its short label (annotations), staggered so neighbours don't
    collide, with full titles on hover: what add_events draws, for a figure built from dicts at once."""
    by_day: dict[date, list[Event]] = {}
    for event in sorted(events, key=lambda e: (e.date, e.id)):
        if (start and event.date < start) or (end and event.date > end):
            continue
        by_day.setdefault(event.date, []).append(event)
    shapes, notes = [], []
    for n, (day, group) in enumerate(by_day.items()):
        x = pd.Timestamp(day)
        shapes.append({"type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
                       "line": {"width": 1, "dash": "dot", "color": "#555555"}})
        label = plain(group[0].title_en, 26) if len(group) == 1 else f"{len(group)} events"
        hover = "<br>".join(f"{e.date}: {plain(e.title_en, 90)} ({plain(e.source_name or e.source_url)})" for e in group)
        # the label's own dark text: its box stays white in a dark theme, whose text colour is near-white
        notes.append({"x": x, "y": 1.0 - 0.06 * (n % 3), "yref": "paper", "text": label, "showarrow": False,
                      "xanchor": "left", "font": {"size": 10, "color": "#222222"},
                      "bgcolor": "rgba(255,255,255,0.8)", "hovertext": hover})
    return shapes, notes


def add_events(fig: go.Figure, events: Sequence[Event], start: date | None, end: date | None) -> None:
    """One dotted line per event day; a short label (staggered so neighbours don't collide) and full titles on hover."""
    shapes, notes = event_marks(events, start, end)
    # Added in one layout update: each add_vline / add_annotation call re-validates every shape and note already
    # on the figure, which made drawing an Overview chart cost more than loading its data.
    if shapes:
        fig.update_layout(shapes=[*fig.layout.shapes, *shapes], annotations=[*fig.layout.annotations, *notes])


def rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    return f"rgba({int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha})"


# lines also differ by dash, so no class depends on colour alone
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "12px,3px,2px,3px,2px,3px")  # 7 distinct


SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "cross", "star", "hexagon")


def series_look(n: int) -> tuple[str, str]:
    """The n-th line's dash and marker symbol: 56 series before two look alike in greyscale."""
    return DASHES[n % len(DASHES)], SYMBOLS[(n // len(DASHES)) % len(SYMBOLS)]


MARGIN = {"t": 60, "r": 20, "l": 50, "b": 40}


def date_axis(fig: go.Figure, days: pd.Series) -> None:
    """Whole days on the x axis (no hour ticks), padded a day either side so edge markers are not clipped."""
    when = pd.to_datetime(days)
    span = (when.max() - when.min()).days + 2
    fig.update_xaxes(type="date", tickformat="%Y-%m-%d", range=[when.min() - pd.Timedelta(days=1),
                                                                 when.max() + pd.Timedelta(days=1)],
                     dtick=86_400_000 * max(1, span // 8))  # whole-day steps: no repeated labels on short spans


def few_days(days: pd.Series) -> bool:
    """Whether a daily chart's x axis should tick whole days (plotly ticks hours on short ranges)."""
    return 0 < pd.Series(days).nunique() <= 14


DAY_TICKS = {"dtick": 86_400_000, "tickformat": "%b %d"}  # the x axis of a daily chart over few_days


def day_ticks(fig: go.Figure, days: pd.Series) -> None:
    """On short ranges plotly ticks hours; a daily chart should tick whole days."""
    if few_days(days):
        fig.update_xaxes(**DAY_TICKS)


def sample_text(df: pd.DataFrame) -> str:
    """"random sample of 50,000 of 123,456 records" when the frame's counts are of a text sample (its attrs'
    "sample", as analysis.stats.annotation_series sets it), else ""."""
    sample = df.attrs.get("sample")
    return f"random sample of {sample['sampled']:,} of {count_text(sample['records'], 'record')}" if sample else ""


def annotated_text(df: pd.DataFrame) -> str:
    """"1,200 of 3,000 records annotated" when the frame counts only the records enrichment annotated (its attrs'
    "annotated_of", as analysis.stats.annotation_series sets it), else ""."""
    seen = df.attrs.get("annotated_of")
    return f"{seen['annotated']:,} of {count_text(seen['records'], 'record')} annotated" if seen else ""


def without_text(df: pd.DataFrame) -> str:
    """"2 records without text (empty, or only links or mentions after cleaning) left out" when the frame's counts
    leave such records out (its attrs' "without_text", as analysis.stats.annotation_series sets it), else ""."""
    n = df.attrs.get("without_text")
    return (f"{count_text(n, 'record')} without text (empty, or only links or mentions after cleaning) left out"
            if n else "")


def sample_title(title: str, df: pd.DataFrame) -> str:
    """A chart title with, under it, the sample (or the annotated records) its counts come from (if they do)."""
    said = sample_text(df)
    if said:
        return f"{title}<br><sup>Counts in a {said} (not scaled up)</sup>"
    annotated = annotated_text(df)
    return f"{title}<br><sup>Counts of annotated records only ({annotated})</sup>" if annotated else title


# Plotly never wraps a title: it clips it at the figure's edge, and on a phone (a chart ~360 px wide) every
# "<what> — <tracker>" title lost its end. Lines of these lengths fit that width (title ~7 px, subtitle ~5 px a char).
TITLE_CHARS, SUBTITLE_CHARS = 44, 62
TITLE_LINE_PX, SUBTITLE_LINE_PX = 22, 18  # as drawn in the dashboard's theme, with a little room


def wrap_title(fig: go.Figure) -> None:
    """Break the figure's title (and its <sup> subtitle lines) at spaces into lines that fit a phone-wide chart,
    growing the top margin by twice the lines added: plotly centres a title's first line in the top margin and runs
    the others down from it (in every renderer: the dashboard's, standalone HTML, kaleido's PNG), so the margin's
    lower half must take them, or they run into the plot and its subplot titles."""
    title = fig.layout.title.text
    if not title:
        return
    text, added = wrapped_title(title)
    if added:
        top = fig.layout.margin.t if fig.layout.margin.t is not None else MARGIN["t"]
        fig.update_layout(title_text=text, margin_t=top + 2 * added)


def wrapped_title(title: str) -> tuple[str, int]:
    """wrap_title's lines of `title`, and the pixels of the lines it added (the top margin grows by twice them)."""
    lines, added = [], 0
    for line in title.split("<br>"):
        sup = line.startswith("<sup>") and line.endswith("</sup>")
        body = line[len("<sup>"):-len("</sup>")] if sup else line
        parts = [body] if "<" in body else textwrap.wrap(  # never break inside a tag's attributes
            body, SUBTITLE_CHARS if sup else TITLE_CHARS, break_long_words=False, break_on_hyphens=False) or [body]
        lines += [f"<sup>{part}</sup>" if sup else part for part in parts]
        added += (len(parts) - 1) * (SUBTITLE_LINE_PX if sup else TITLE_LINE_PX)
    return "<br>".join(lines), added


def plain(text: object, limit: int | None = None) -> str:
    """Untrusted text made inert for plotly labels (plotly reads a few HTML tags in text; escape them all)."""
    import html

    value = "" if text is None else str(text)
    if limit and len(value) > limit:
        value = value[: limit - 1] + "…"
    return html.escape(value, quote=False)


# A phone's chart is ~360 px wide: a row's name on one line in a fixed 160-280 px margin left the plot a sliver.
ROW_LABEL_CHARS, LEGEND_CHARS = 22, 44  # a row's name; a legend entry below the plot, across its width


def row_label(text: object, limit: int, chars: int = ROW_LABEL_CHARS) -> str:
    """A category axis row's name (inert, cut at `limit` characters) in lines as wide as `chars` letters,
    broken at spaces, for an axis with automargin to make room for."""
    name = plain(text, limit)
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in name)  # a Chinese character is two letters wide
    # Chinese runs unspaced and may break anywhere; a Latin word may not
    return "<br>".join(textwrap.wrap(name, chars * len(name) // (len(name) + wide or 1), break_long_words=2 * wide > len(name),
                                     break_on_hyphens=False)) or plain(text)


# Names in a fixed 160-280 px margin beside a legend on the right left a phone's plot a sliver (and cut long names at
# the edge). Rows are named in short wrapped lines the axis makes room for, and the legend lists its entries in the
# figure's foot, in a margin kept for it (one line an entry: what a phone needs).
AXIS_FOOT_PX, LEGEND_LINE_PX = 110, 20  # rotated date ticks and the axis title; one legend line (19-20 px drawn)
LEGEND_PAD_PX = 10  # the legend box's padding, top and bottom
COLORBAR_PX = 60  # a horizontal colour bar, its title and ticks
PLOT_PX = 300  # the plot's height in a chart of no row count


def legend_below(fig: go.Figure, plot_px: int = PLOT_PX, axis_px: int = AXIS_FOOT_PX) -> go.Figure:
    """Give the plot `plot_px` of height, its rows' names the room they need, and the legend (an entry's lines) or a
    heatmap's colour bar its own foot under the x axis's `axis_px` (its ticks and title)."""
    entries = legend_entries([{"name": t.name, "showlegend": t.showlegend} for t in fig.data], fig.layout.showlegend)
    scales = [t for t in fig.data if t.type == "heatmap"]
    top = fig.layout.margin.t if fig.layout.margin.t is not None else MARGIN["t"]
    foot = foot_layout(entries, bool(fig.layout.legend.title.text), bool(scales), top, plot_px, axis_px)
    for scale in scales:
        scale.colorbar.update(orientation="h", thickness=12, len=1, lenmode="fraction",
                              **{k: foot["legend"][k] for k in ("x", "xanchor", "y", "yanchor")})
    fig.update_layout(**foot)
    return fig


def legend_entries(traces: Sequence[dict[str, Any]], showlegend: bool | None = None) -> int:
    """The lines of the legend of these traces (each a dict with its `name` and `showlegend`), as plotly shows it:
    one per trace shown there, by default when there are two or more (`showlegend`: the layout's)."""
    shown = showlegend if showlegend is not None else len(traces) > 1  # plotly's rule
    return sum((t.get("name") or "").count("<br>") + 1 for t in traces if t.get("showlegend") is not False) if shown else 0


def foot_layout(entries: int, titled: bool, scales: bool, top: int, plot_px: int = PLOT_PX,
                axis_px: int = AXIS_FOOT_PX) -> dict[str, Any]:
    """The layout legend_below gives a figure of `entries` legend lines (`titled`: the legend has a title), a heat map's
    colour bar if `scales`, and a top margin of `top` px; its legend's position is also the colour bar's."""
    plot = max(200, plot_px)
    lines = entries + (1 if titled else 0)  # a title is a line of its own, above the entries
    foot = axis_px + (LEGEND_LINE_PX * lines + LEGEND_PAD_PX if entries else 0) + (COLORBAR_PX if scales else 0)
    below = {"x": 0, "xanchor": "left", "y": -axis_px / plot, "yanchor": "top"}
    # The legend hangs just under the axis title, an entry a line at every width: a horizontal legend packed a desktop's
    # entries into a few rows and left the rest of the foot, kept for a phone's one entry a line, a blank band.
    # (No gap between legend groups: the foot counts lines only.)
    return {"height": plot + top + foot, "margin": {**MARGIN, "t": top, "l": 10, "b": foot},
            "yaxis": {"automargin": True}, "xaxis": {"automargin": True},
            "legend": {"orientation": "v", "tracegroupgap": 0, **below}}


def add_peak_labels(fig: go.Figure, peaks: pd.DataFrame) -> None:
    """Mark detected peaks (columns day, records, label, top_record) with their top terms; the top record on hover."""
    notes = peak_notes(peaks.to_dict("records"))
    if notes:  # in one layout update (see add_events)
        fig.update_layout(annotations=[*fig.layout.annotations, *notes])


def peak_notes(peaks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """add_peak_labels' annotations of these peaks (each a dict with day, records, label, top_record)."""
    return [{"x": pd.Timestamp(peak["day"]), "y": float(peak["records"]), "text": plain(peak["label"], 48),
             "showarrow": True, "arrowhead": 2, "ax": 60, "ay": 45, "xanchor": "left",
             "font": {"size": 10, "color": "#000000"}, "bgcolor": "rgba(240,228,66,0.85)", "bordercolor": "#000000",
             "borderwidth": 0.5,
             **({"hovertext": "Most-shared record: " + plain(peak["top_record"], 160)} if peak.get("top_record") else {})}
            for peak in peaks]


def no_scores_message(model_version: str | None) -> str:
    """Why a sentiment chart is empty: nothing scored yet, or no scored record in the chosen view."""
    return "No scored records: run `actorwatch enrich`." if not model_version else "No scored records in the selected range."


def no_annotations_message(what: str, annotated: bool) -> str:
    """Why a stance or emotion chart is empty: nothing annotated yet, or no annotated record in the chosen view."""
    return f"No {what} annotations in the selected range." if annotated else f"No {what} annotations: run `actorwatch enrich`."


def empty_figure(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, xaxis={"visible": False}, yaxis={"visible": False}, margin=MARGIN,
                      annotations=[{"text": plain(message), "showarrow": False, "xref": "paper", "yref": "paper",
                                    "x": 0.5, "y": 0.5, "font": {"size": 14}}])
    return fig


def share_lines(df: pd.DataFrame, key: str, colours: dict[str, str], title: str, empty: str) -> go.Figure:
    """Share of each `key` value per period among annotated records (columns period, <key>, records, n, share,
    share_lo, share_hi, as analysis.stats.annotation_series gives them), each with its 95% Wilson band (clustered
    by author for stance and emotion); the `empty` message when no record is annotated."""
    if df.empty or df["n"].sum() == 0:
        return empty_figure(title, empty)
    fig = go.Figure()
    for n, (value, colour) in enumerate(colours.items()):
        part = df[df[key] == value].sort_values("period")
        if part.empty:
            continue
        x = pd.to_datetime(part["period"])
        fig.add_scatter(x=pd.concat([x, x[::-1]]), y=pd.concat([part["share_hi"], part["share_lo"][::-1]]),
                        fill="toself", fillcolor=rgba(colour, 0.12), line={"width": 0}, hoverinfo="skip",
                        showlegend=False, legendgroup=value, name=f"{value} 95% CI")
        fig.add_scatter(x=x, y=part["share"], mode="lines+markers", name=value, legendgroup=value,
                        line={"color": colour, "width": 2, "dash": DASHES[n % len(DASHES)]}, marker={"size": 4},
                        customdata=part[["records", "n"]].to_numpy(),
                        hovertemplate="%{y:.0%} (%{customdata[0]} of %{customdata[1]})<extra>" + value + "</extra>")
    fig.update_layout(title=title, xaxis_title=f"period ({zone_short()})", yaxis_title="share of annotated records",
                      yaxis={"tickformat": ".0%", "range": [0, 1]}, legend_title=f"{key} (model)", hovermode="x unified")
    return legend_below(fig)


def highest_judged(df: pd.DataFrame, column: str) -> pd.Series | None:
    """The row with the highest `column` among periods with at least MIN_SHARE_N records behind them (`n`), or None
    when every period is thinner: a thin period's share is too noisy to name (as share_jumps)."""
    judged = df[df["n"] >= MIN_SHARE_N]
    return None if judged.empty else judged.loc[judged[column].idxmax()]


def too_thin(period: str, counted: str, what: str, start: bool = False) -> str:
    """The clause saying no period had records enough to name `what` (capitalised to `start` a sentence)."""
    return f"{'E' if start else 'e'}very {period} had fewer than {MIN_SHARE_N} {counted}, too few to name the {what}"


def week_in_view(monday: object, f: Filters | None) -> str:
    """"2026-04-06", or "2026-04-06 (only 2026-04-10 to 2026-04-12 in view)" for a week the view's dates cut: its share
    is of the days in view only, not of the week a reader would take "the week of" to mean."""
    start = pd.Timestamp(monday).date()
    end = start + timedelta(days=6)
    first, last = max(start, f.start or start) if f else start, min(end, f.end or end) if f else end
    return str(start) if (first, last) == (start, end) else f"{start} (only {first} to {last} in view)"


def shares_alt(df: pd.DataFrame, key: str, what: str, tracker_label: str, model_label: str, period: str,
               f: Filters | None = None) -> str:
    """A screen-reader description of a share_lines chart, generated from its data (`f`: the view, whose dates may
    cut its first and last weeks)."""
    adjective = "weekly" if period == "week" else "daily"
    per_period = df.drop_duplicates("period")
    total = int(per_period["n"].sum()) if len(df) else 0
    if total == 0:
        return f"Line chart of the {adjective} share of records by {what} for {tracker_label}: no annotated records."
    overall = df.groupby(key)["records"].sum().sort_values(ascending=False)
    mix = ", ".join(f"{v} {share_text(n / total)}" for v, n in overall.items())
    top = overall.index[0]
    peak = highest_judged(df[df[key] == top], "share")
    if peak is None:
        peak_text = f"{too_thin(period, 'annotated records', f'highest {top} share', start=True)}."
    else:
        peak_text = (f"The highest {top} share among {period}s with at least {MIN_SHARE_N} annotated records was "
                     f"{share_text(peak['share'])} of {int(peak['n']):,} in the {period} of "
                     f"{week_in_view(peak['period'], f) if period == 'week' else peak['period']}.")
    return (f"Line chart of the {adjective} share of records by {what} for {tracker_label} ({model_label}), with 95% "
            f"intervals. Over {total:,} annotated records: {mix}. {peak_text}")
