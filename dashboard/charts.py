"""Pure DataFrame -> plotly Figure builders (testable without Streamlit), with alt text for each chart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from collectors.trackers import Event

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
SENTIMENT_COLOURS = {"negative": "#D55E00", "neutral": "#999999", "positive": "#0072B2"}


def _add_events(fig: go.Figure, events: Sequence[Event], start: date | None, end: date | None) -> None:
    """One dotted line per event day; a short label (staggered so neighbours don't collide) and full titles on hover."""
    by_day: dict[date, list[Event]] = {}
    for event in sorted(events, key=lambda e: (e.date, e.id)):
        if (start and event.date < start) or (end and event.date > end):
            continue
        by_day.setdefault(event.date, []).append(event)
    for n, (day, group) in enumerate(by_day.items()):
        x = pd.Timestamp(day)
        fig.add_vline(x=x, line_width=1, line_dash="dot", line_color="#555555")
        label = plain(group[0].title_en, 26) if len(group) == 1 else f"{len(group)} events"
        hover = "<br>".join(f"{e.date}: {plain(e.title_en, 90)} ({plain(e.source_name or e.source_url)})" for e in group)
        fig.add_annotation(x=x, y=1.0 - 0.06 * (n % 3), yref="paper", text=label, showarrow=False, xanchor="left",
                           font={"size": 10}, bgcolor="rgba(255,255,255,0.8)", hovertext=hover)


def volume_chart(df: pd.DataFrame, events: Sequence[Event], title: str, start: date | None = None,
                 end: date | None = None) -> go.Figure:
    """Stacked daily bars of records per source, with the tracker's dated events as markers."""
    fig = go.Figure()
    for n, (source, part) in enumerate(df.groupby("source", sort=True)):
        fig.add_bar(x=pd.to_datetime(part["day"]), y=part["records"], name=str(source),
                    marker_color=PALETTE[n % len(PALETTE)])
    fig.update_layout(barmode="stack", title=title, xaxis_title="day (UTC)", yaxis_title="records",
                      legend_title="source", margin={"t": 60, "r": 20, "l": 50, "b": 40}, hovermode="x unified")
    _add_events(fig, events, start, end)
    day_ticks(fig, df["day"] if len(df) else pd.Series(dtype=object))
    return fig


def sentiment_chart(df: pd.DataFrame, events: Sequence[Event], title: str, start: date | None = None,
                    end: date | None = None) -> go.Figure:
    """Daily share of each sentiment label, with 95% Wilson bands and event markers."""
    fig = go.Figure()
    x = pd.to_datetime(df["day"])
    for label, colour in SENTIMENT_COLOURS.items():
        if label not in df:
            continue
        fig.add_scatter(x=pd.concat([x, x[::-1]]), y=pd.concat([df[f"{label}_hi"], df[f"{label}_lo"][::-1]]),
                        fill="toself", fillcolor=_rgba(colour, 0.15), line={"width": 0}, hoverinfo="skip",
                        showlegend=False, name=f"{label} 95% CI")
        fig.add_scatter(x=x, y=df[label], mode="lines+markers", name=label, line={"color": colour, "width": 2},
                        marker={"size": 4}, customdata=df["n"], hovertemplate="%{y:.0%} of %{customdata} scored<extra>" + label + "</extra>")
    fig.update_layout(title=title, xaxis_title="day (UTC)", yaxis_title="share of scored records",
                      yaxis={"tickformat": ".0%", "range": [0, 1]}, legend_title="sentiment",
                      margin={"t": 60, "r": 20, "l": 50, "b": 40}, hovermode="x unified")
    _add_events(fig, events, start, end)
    day_ticks(fig, df["day"])
    return fig


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    return f"rgba({int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha})"


def volume_alt(df: pd.DataFrame, tracker_label: str) -> str:
    """A screen-reader description of the volume chart, generated from its data."""
    if df.empty or df["records"].sum() == 0:
        return f"Bar chart of daily records for {tracker_label}: no records in the selected range."
    per_day = df.groupby("day")["records"].sum()
    top_day = per_day.idxmax()
    by_source = df.groupby("source")["records"].sum().sort_values(ascending=False)
    sources = ", ".join(f"{s} {int(v):,}" for s, v in by_source.items())
    return (f"Stacked bar chart of daily records for {tracker_label} from {per_day.index.min()} to {per_day.index.max()}: "
            f"{int(per_day.sum()):,} records in all; the busiest day was {top_day} with {int(per_day.max()):,}. "
            f"By source: {sources}.")


def sentiment_alt(df: pd.DataFrame, tracker_label: str, model_label: str, period: str = "day") -> str:
    scored = df[df["n"] > 0] if not df.empty else df
    adjective = "weekly" if period == "week" else "daily"
    if scored.empty:
        return f"Line chart of {adjective} sentiment shares for {tracker_label}: no scored records in the selected range."
    worst = scored.loc[scored["negative"].idxmax()]
    total = int(scored["n"].sum())
    neg = (scored["negative"] * scored["n"]).sum() / total
    return (f"Line chart of the {adjective} share of negative, neutral and positive records for {tracker_label} "
            f"({model_label}), with 95% intervals. Over {total:,} scored records {neg:.0%} were negative; the most "
            f"negative {period} was {'the week of ' if period == 'week' else ''}{worst['day']} at "
            f"{worst['negative']:.0%} of {int(worst['n']):,}.")


# ---------------------------------------------------------------- shared helpers
STANCE_COLOURS = {"oppose": "#D55E00", "deny-involvement": "#E69F00", "conditional": "#56B4E9",
                  "neutral": "#999999", "support": "#0072B2"}
_MARGIN = {"t": 60, "r": 20, "l": 50, "b": 40}


def date_axis(fig: go.Figure, days: pd.Series) -> None:
    """Whole days on the x axis (no hour ticks), padded a day either side so edge markers are not clipped."""
    when = pd.to_datetime(days)
    span = (when.max() - when.min()).days + 2
    fig.update_xaxes(type="date", tickformat="%Y-%m-%d", range=[when.min() - pd.Timedelta(days=1),
                                                                 when.max() + pd.Timedelta(days=1)],
                     dtick=86_400_000 * max(1, span // 8))  # whole-day steps: no repeated labels on short spans


def day_ticks(fig: go.Figure, days: pd.Series) -> None:
    """On short ranges plotly ticks hours; a daily chart should tick whole days."""
    if 0 < pd.Series(days).nunique() <= 14:
        fig.update_xaxes(dtick=86_400_000, tickformat="%b %d")


def share_text(share: float) -> str:
    """A share as a whole percentage that never rounds a mixed view to 0% or 100%."""
    if 0.99 < share < 1:
        return "over 99%"
    if 0 < share < 0.01:
        return "under 1%"
    return f"{share:.0%}"


def plain(text: object, limit: int | None = None) -> str:
    """Untrusted text made inert for plotly labels (plotly reads a few HTML tags in text; escape them all)."""
    import html

    value = "" if text is None else str(text)
    if limit and len(value) > limit:
        value = value[: limit - 1] + "…"
    return html.escape(value, quote=False)


def add_peak_labels(fig: go.Figure, peaks: pd.DataFrame) -> None:
    """Mark detected peaks (columns day, records, label, top_record) with their top terms; the top record on hover."""
    for _, peak in peaks.iterrows():
        fig.add_annotation(x=pd.Timestamp(peak["day"]), y=float(peak["records"]), text=plain(peak["label"], 48),
                           showarrow=True, arrowhead=2, ax=60, ay=45, xanchor="left", font={"size": 10, "color": "#000000"},
                           bgcolor="rgba(240,228,66,0.85)", bordercolor="#000000", borderwidth=0.5,
                           hovertext=("Most-shared record: " + plain(peak["top_record"], 160))
                           if peak.get("top_record") else None)


def empty_figure(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, xaxis={"visible": False}, yaxis={"visible": False}, margin=_MARGIN,
                      annotations=[{"text": plain(message), "showarrow": False, "xref": "paper", "yref": "paper",
                                    "x": 0.5, "y": 0.5, "font": {"size": 14}}])
    return fig


# ---------------------------------------------------------------- Methods: coverage
def coverage_chart(df: pd.DataFrame, title: str) -> go.Figure:
    """Heatmap of records per source and day: where the data is thin, any chart is thin too."""
    if df.empty:
        return empty_figure(title, "No records in the selected range.")
    pivot = df.pivot_table(index="source", columns="day", values="records", aggfunc="sum", fill_value=0)
    fig = go.Figure(go.Heatmap(z=pivot.to_numpy(), x=pd.to_datetime(list(pivot.columns)), y=list(pivot.index),
                               colorscale="Cividis", colorbar={"title": "records"},
                               hovertemplate="%{y} · %{x|%Y-%m-%d}: %{z:,} records<extra></extra>"))
    fig.update_layout(title=title, xaxis_title="day (UTC)", yaxis_title="source", margin=_MARGIN)
    return fig


def coverage_alt(df: pd.DataFrame, tracker_label: str) -> str:
    if df.empty:
        return f"Heatmap of records per source and day for {tracker_label}: no records in the selected range."
    per_source = df.groupby("source")["records"].agg(["sum", lambda s: int((s == 0).sum())])
    parts = ", ".join(f"{src} {int(row.iloc[0]):,} records ({int(row.iloc[1])} empty days)"
                      for src, row in per_source.sort_values("sum", ascending=False).iterrows())
    return (f"Heatmap of records per source and day for {tracker_label} over {df['day'].nunique()} days: {parts}.")


# ---------------------------------------------------------------- Voices
def statements_chart(df: pd.DataFrame, title: str) -> go.Figure:
    """Curated statements as dots on a timeline, one row per speaker, coloured by stance."""
    if df.empty:
        return empty_figure(title, "No curated statements for this tracker.")
    fig = go.Figure()
    for stance, colour in STANCE_COLOURS.items():
        part = df[df["stance"] == stance]
        if part.empty:
            continue
        hover = [f"{plain(w)} ({plain(r)}), {d}: {plain(s, 160)}" for w, r, d, s in
                 zip(part["who"], part["role"], part["date"], part["summary"], strict=True)]
        fig.add_scatter(x=pd.to_datetime(part["date"]), y=[plain(w, 40) for w in part["who"]], mode="markers",
                        name=stance, marker={"color": colour, "size": 13, "line": {"width": 1, "color": "#000"},
                                             "symbol": _STANCE_SYMBOLS.get(stance, "circle")},
                        hovertext=hover, hoverinfo="text")
    fig.update_layout(title=title, xaxis_title="date of statement", yaxis_title="", legend_title="stance",
                      margin={**_MARGIN, "l": 160}, height=max(320, 60 + 28 * df["who"].nunique()))
    date_axis(fig, df["date"])
    return fig


_STANCE_SYMBOLS = {"oppose": "x", "deny-involvement": "square", "conditional": "diamond", "neutral": "circle",
                   "support": "triangle-up"}


def statements_alt(df: pd.DataFrame, tracker_label: str) -> str:
    if df.empty:
        return f"Timeline of statements for {tracker_label}: none curated."
    counts = df["stance"].value_counts()
    mix = ", ".join(f"{n} {stance}" for stance, n in counts.items())
    return (f"Timeline of {len(df)} curated, sourced statements about {tracker_label} from {df['date'].min()} to "
            f"{df['date'].max()} by {df['who'].nunique()} speakers; stances: {mix}.")


def claims_chart(df: pd.DataFrame, title: str) -> go.Figure:
    """Each claim's reports by outlet over time, labelled with the version each outlet reported."""
    df = df.dropna(subset=["version"])
    if df.empty:
        return empty_figure(title, "No outlet reports in the claim ledger for this tracker.")
    fig = go.Figure()
    versions = list(dict.fromkeys(df["version"]))
    for n, version in enumerate(versions):
        part = df[df["version"] == version]
        fig.add_scatter(x=pd.to_datetime(part["date"]), y=[plain(c, 50) for c in part["claim"]], mode="markers",
                        name=plain(version, 40), marker={"size": 12, "color": PALETTE[n % len(PALETTE)],
                                                         "symbol": ["circle", "square", "diamond", "triangle-up",
                                                                    "x", "star", "cross", "hexagon"][n % 8]},
                        hovertext=[f"{plain(o)}: {plain(version)} ({d})" for o, d in zip(part["outlet"], part["date"], strict=True)],
                        hoverinfo="text")
    fig.update_layout(title=title, xaxis_title="date reported", legend_title="version reported",
                      margin={**_MARGIN, "l": 260}, height=max(320, 80 + 50 * df["claim"].nunique()))
    date_axis(fig, df["date"])
    return fig


def claims_alt(df: pd.DataFrame, tracker_label: str) -> str:
    if df.empty:
        return f"Claim ledger chart for {tracker_label}: no claims."
    parts = []
    for claim, part in df.groupby("claim", sort=False):
        reported = part.dropna(subset=["version"])
        versions = "; ".join(f"{o}: {v}" for o, v in zip(reported["outlet"], reported["version"], strict=True)) \
            or "no outlet report recorded"
        parts.append(f"“{claim}” ({part['status'].iloc[0]}) — {versions}")
    return f"Claim ledger for {tracker_label}, who reported which version: " + " | ".join(parts)


# ---------------------------------------------------------------- Compare cases
def aligned_chart(df: pd.DataFrame, title: str, y: str = "share", y_title: str = "share of the case's records") -> go.Figure:
    """One line per tracker on days since its trigger (x = 0 is each case's trigger day)."""
    fig = go.Figure()
    for n, (tracker, part) in enumerate(df.groupby("tracker", sort=False)):
        fig.add_scatter(x=part["days_since_trigger"], y=part[y], mode="lines+markers", name=plain(tracker, 50),
                        line={"color": PALETTE[n % len(PALETTE)], "width": 2,
                              "dash": ["solid", "dash", "dot", "dashdot"][n % 4]}, marker={"size": 4})
    fig.add_vline(x=0, line_dash="dot", line_color="#555555")
    fig.update_layout(title=title, xaxis_title="days since trigger", yaxis_title=y_title, legend_title="case",
                      margin=_MARGIN, hovermode="x unified")
    return fig


def aligned_alt(df: pd.DataFrame, y: str = "share") -> str:
    if df.empty:
        return "Line chart of cases aligned on days since their trigger: no data."
    parts = []
    for tracker, part in df.groupby("tracker", sort=False):
        top = part.loc[part[y].idxmax()]
        parts.append(f"{tracker} peaks on day {int(top['days_since_trigger'])} at {top[y]:.3g}")
    return "Line chart of cases aligned on days since each trigger (day 0 = trigger): " + "; ".join(parts) + "."


def share_chart(df: pd.DataFrame, title: str, key: str = "entity", value: str = "share") -> go.Figure:
    """Stacked area of each entity's share of voice per day."""
    fig = go.Figure()
    for n, (name, part) in enumerate(df.groupby(key, sort=False)):
        fig.add_scatter(x=pd.to_datetime(part["day"]), y=part[value], name=plain(name, 40), stackgroup="one",
                        mode="lines", line={"color": PALETTE[n % len(PALETTE)], "width": 0.5})
    fig.update_layout(title=title, xaxis_title="day (UTC)", yaxis_title="share of voice",
                      yaxis={"tickformat": ".0%"}, legend_title=key, margin=_MARGIN, hovermode="x unified")
    return fig


def share_alt(df: pd.DataFrame, tracker_label: str, key: str = "entity", value: str = "share") -> str:
    if df.empty:
        return f"Share-of-voice chart for {tracker_label}: no mentions in range."
    weight = "mentions" if "mentions" in df else value
    totals = df.groupby(key)[weight].sum().sort_values(ascending=False)
    total = totals.sum() or 1
    parts = ", ".join(f"{k} {v / total:.0%}" for k, v in totals.head(6).items())
    noun = "entities" if key == "entity" else f"{key}s"
    return f"Stacked area chart of daily share of voice among {len(totals)} {noun} for {tracker_label}; overall: {parts}."
