"""Topics & frames charts: keywords per period, frames over time, emotions over time, topic clusters, entity
co-mentions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go

from analysis.core.wording import count_text, share_text
from analysis.stats.peaks import MIN_SHARE_N
from collectors.display_zone import zone_short
from dashboard.charts.registry import PERIODS, ChartDef, View, model_label, register, require
from dashboard.charts.style import (
    EMOTION_COLOURS,
    PALETTE,
    annotated_text,
    empty_figure,
    highest_judged,
    legend_below,
    no_annotations_message,
    plain,
    rgba,
    row_label,
    sample_text,
    sample_title,
    series_look,
    share_lines,
    shares_alt,
    too_thin,
    without_text,
)


def _counted(df: pd.DataFrame) -> str:
    """What the chart's counts count: the records, the annotated records, or the records of a text sample."""
    return "records in the sample" if sample_text(df) else "annotated records" if annotated_text(df) else "records"


def _sample_sentence(df: pd.DataFrame) -> str:
    """Which records the counts are of: a text sample's, the annotated ones, and never those without text."""
    said, annotated, left_out = sample_text(df), annotated_text(df), without_text(df)
    out = (f" Counts are of a {said} (not scaled up)." if said
           else f" Counts are of the annotated records only ({annotated})." if annotated else "")
    return out + (f" {left_out}." if left_out else "")


def in_sample_table(*counts: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The published data: when computed on a text sample, its count columns renamed `<column>_in_sample` and a
    `sample` column saying which sample."""
    def table(df: pd.DataFrame) -> pd.DataFrame:
        said = sample_text(df)
        if not said:
            return df
        return df.rename(columns={c: f"{c}_in_sample" for c in counts}).assign(sample=said)
    return table


def keywords_chart(df: pd.DataFrame, title: str) -> go.Figure:
    """Heatmap of each period's top keywords (cell = records carrying the term in that period)."""
    if df.empty:
        return empty_figure(title, "No keywords in the selected range.")
    pivot = df.pivot_table(index="term", columns="period", values="records", aggfunc="max")
    order = df.sort_values(["period", "rank"]).drop_duplicates("term")["term"]
    pivot = pivot.reindex(list(order))
    counted = _counted(df)
    fig = go.Figure(go.Heatmap(z=pivot.to_numpy(), x=pd.to_datetime(list(pivot.columns)),
                               y=[plain(t, 24) for t in pivot.index], colorscale="Cividis",
                               colorbar={"title": counted}, hoverongaps=False,
                               hovertemplate=f"%{{y}} · %{{x|%Y-%m-%d}}: %{{z:,}} {counted}<extra></extra>"))
    fig.update_layout(title=sample_title(title, df), xaxis_title=f"period ({zone_short()})", yaxis={"autorange": "reversed"})
    return legend_below(fig, 16 * len(pivot))


def keywords_alt(df: pd.DataFrame, tracker_label: str) -> str:
    if df.empty:
        return f"Keyword heatmap for {tracker_label}: no keywords."
    firsts = df[df["rank"] == 1].sort_values("period")
    seq = "; ".join(f"{p}: {t}" for p, t in zip(firsts["period"], firsts["term"], strict=True))
    return (f"Heatmap of the top keywords per period for {tracker_label} ({count_text(df['term'].nunique(), 'term')} over "
            f"{count_text(df['period'].nunique(), 'period')}). Top keyword per period — {seq}.{_sample_sentence(df)}")


SHOWN_FRAMES = 4


def frames_chart(df: pd.DataFrame, labels: dict[str, str], title: str) -> go.Figure:
    """Share of records using each frame per period, with 95% bands (bilingual frame labels)."""
    if df.empty or df["n"].sum() == 0:
        return empty_figure(title, "No records in the selected range.")
    fig = go.Figure()
    counted = _counted(df)
    # Readability: the SHOWN most-used frames are drawn; the rest start hidden (click the legend to add them).
    shown = set(df.groupby("frame")["records"].sum().sort_values(ascending=False).head(SHOWN_FRAMES).index)
    for n, (frame_id, part) in enumerate(df.groupby("frame", sort=True)):
        colour = PALETTE[n % len(PALETTE)]
        x = pd.to_datetime(part["period"])
        name = plain(labels.get(frame_id, frame_id), 40)
        visible = True if frame_id in shown else "legendonly"
        fig.add_scatter(x=pd.concat([x, x[::-1]]), y=pd.concat([part["share_hi"], part["share_lo"][::-1]]),
                        fill="toself", fillcolor=rgba(colour, 0.10), line={"width": 0}, hoverinfo="skip",
                        showlegend=False, legendgroup=frame_id, name=f"{name} 95% CI", visible=visible)
        dash, symbol = series_look(n)
        fig.add_scatter(x=x, y=part["share"], mode="lines+markers", name=name, legendgroup=frame_id, visible=visible,
                        line={"color": colour, "width": 2, "dash": dash}, marker={"symbol": symbol, "size": 5},
                        customdata=part[["records", "n"]].to_numpy(),
                        hovertemplate=f"%{{y:.1%}} (%{{customdata[0]}} of %{{customdata[1]}} {counted})<extra>"
                                      + name + "</extra>")
    fig.update_layout(title=sample_title(title, df), xaxis_title=f"period ({zone_short()})",
                      yaxis_title=f"share of {counted} using the frame",
                      yaxis={"tickformat": ".0%"}, legend_title="frame", hovermode="x unified")
    return legend_below(fig)


FRAMES_DENOMINATOR = ("Each share is of the period's records with text left after cleaning: records that are only links, "
                      "mentions or punctuation are left out, as in the stance, emotion and sentiment shares")


def frames_alt(df: pd.DataFrame, labels: dict[str, str], tracker_label: str) -> str:
    used = df[df["records"] > 0] if not df.empty else df
    if used.empty:
        return f"Frame chart for {tracker_label}: no frame terms found in the selected range."
    frames = used.groupby("frame")["records"].sum().sort_values(ascending=False)
    counted = _counted(df)  # "records", "annotated records", "records in the sample": the noun is the first "records"
    names = ", ".join(f"{labels.get(k, k)} ({int(v):,} {counted if v != 1 else counted.replace('records', 'record', 1)})"
                      for k, v in frames.head(5).items())
    top = highest_judged(used, "share")
    if top is None:
        highest = f"{too_thin('period', _counted(df), 'highest share', start=True)}."
    else:
        highest = (f"Highest share among periods with at least {MIN_SHARE_N} {_counted(df)}: "
                   f"{labels.get(top['frame'], top['frame'])} on {top['period']} at {share_text(top['share'])} of "
                   f"{int(top['n']):,}.")
    return (f"Line chart of the share of {_counted(df)} using each frame over time for {tracker_label} (the {SHOWN_FRAMES} "
            f"most used drawn, the others selectable). Most used: {names}. {highest}{_sample_sentence(df)}")


def topics_chart(df: pd.DataFrame, title: str) -> go.Figure:
    """Horizontal bars: each topic cluster's share of the topic mass, labelled by its top terms."""
    if df.empty:
        return empty_figure(title, "Too few texts for topic clusters.")
    fig = go.Figure(go.Bar(x=df["weight"], y=[row_label(label, 40) for label in df["label"]], orientation="h",
                           marker_color=PALETTE[0],
                           customdata=df[["size", "terms"]].assign(terms=df["terms"].map(plain)).to_numpy(),
                           hovertemplate="%{y}<br>%{x:.0%} of topic mass · %{customdata[0]} "
                                         f"{_counted(df)}<br>%{{customdata[1]}}<extra></extra>"))
    fig.update_layout(title=sample_title(title, df), xaxis={"tickformat": ".0%", "title": "share of topic mass"},
                      yaxis={"autorange": "reversed"})
    return legend_below(fig, 44 * len(df))


def topics_alt(df: pd.DataFrame, tracker_label: str) -> str:
    if df.empty:
        return f"Topic clusters for {tracker_label}: too few texts."
    parts = "; ".join(f"{row.label} ({share_text(row.weight)})" for row in df.itertuples())
    over = f" over {count_text(df.attrs['with_text'], 'record')} with text" if "with_text" in df.attrs else ""
    return (f"Bar chart of {count_text(len(df), 'topic cluster')} (NMF over TF-IDF){over} for {tracker_label}, largest "
            f"first: {parts}.{_sample_sentence(df)}")


def comentions_chart(df: pd.DataFrame, labels: dict[str, str], title: str) -> go.Figure:
    """Heatmap of how often two entities are mentioned in the same record."""
    if df.empty:
        return empty_figure(title, "No records mention two tracked entities together.")
    names = sorted(set(df["a"]) | set(df["b"]))
    pivot = pd.DataFrame(0, index=names, columns=names)
    for a, b, n in zip(df["a"], df["b"], df["records"], strict=True):
        pivot.loc[a, b] = pivot.loc[b, a] = n
    display = [row_label(labels.get(n, n), 40) for n in names]
    fig = go.Figure(go.Heatmap(z=pivot.to_numpy(), x=display, y=display, colorscale="Cividis",
                               colorbar={"title": "records"}, texttemplate="%{z}",  # counts readable, not only hue
                               hovertemplate="%{y} + %{x}: %{z:,} records<extra></extra>"))
    fig.update_layout(title=title)
    return legend_below(fig, 30 * len(names), axis_px=200)  # the x axis names its columns, turned upright


def comentions_alt(df: pd.DataFrame, labels: dict[str, str], tracker_label: str) -> str:
    if df.empty:
        return f"Entity co-mention heatmap for {tracker_label}: no pairs."
    top = "; ".join(f"{labels.get(a, a)} + {labels.get(b, b)}: {int(n):,}" for a, b, n in df.head(5).itertuples(index=False))
    return f"Heatmap of {count_text(len(df), 'entity pair')} mentioned together for {tracker_label}. Most frequent: {top}."


def _freq(view: View) -> str:
    return view.option("freq", "D", PERIODS)


def frame_labels() -> dict[str, str]:
    topics = require("analysis.nlp.topics")
    return {fr.id: f"{fr.label_en} / {fr.label_zh}" for fr in topics.load_frames()}


register(ChartDef(
    name="topics-keywords", title="Top keywords per period — {tracker}", page="topics",
    description="Each period's most characteristic keywords (records carrying them), from analysis.nlp.topics; "
                "with enrichment annotations, of the annotated records only; without, over a reproducible random "
                "sample of at most 50,000 records.",
    load=lambda con, view: require("analysis.stats.annotation_series").keywords_by_period(con, view.filters, _freq(view), k=5),
    draw=lambda df, view, model: keywords_chart(df, f"Top keywords per period — {view.tracker.name_en}"),
    describe=lambda df, view, model: keywords_alt(df, view.tracker.name_en),
    needs=("analysis.stats.annotation_series",), table=in_sample_table("records"),
))


register(ChartDef(
    name="topics-frames", title="Frames over time (bilingual frame terms) — {tracker}", page="topics",
    description="Share of records using each frame's Chinese or English terms, per period, with 95% intervals; "
                "with enrichment annotations, of the annotated records only; without, over a reproducible random "
                "sample of at most 50,000 records. Records with no text left after cleaning (only links, mentions, "
                "punctuation, or Weibo's 转发微博 of a repost without a comment) are left out, as in the stance, emotion and sentiment shares.",
    notes=FRAMES_DENOMINATOR,
    load=lambda con, view: require("analysis.stats.annotation_series").frame_counts_by_period(con, view.filters, _freq(view)),
    draw=lambda df, view, model: frames_chart(df, frame_labels(),
                                                              f"Frames over time — {view.tracker.name_en}"),
    describe=lambda df, view, model: frames_alt(df, frame_labels(), view.tracker.name_en),
    needs=("analysis.stats.annotation_series",), table=in_sample_table("records", "n"),
))


def _load_topics(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    model = require("analysis.stats.annotation_series").topics_for(con, view.filters, n_topics=8)
    frame = pd.DataFrame([{"topic": t.id, "label": t.label, "terms": " ".join(t.terms), "size": t.size,
                           "weight": t.weight} for t in model.topics],
                         columns=["topic", "label", "terms", "size", "weight"])
    frame.attrs.update({"with_text": len(model.assignments), "without_text": model.without_text})
    if model.sampled_from is not None:  # sizes count the sampled records
        frame.attrs["sample"] = {"sampled": len(model.assignments) + model.without_text, "records": model.sampled_from}
    return frame


register(ChartDef(
    name="topics-clusters", title="Topic clusters — {tracker}", page="topics",
    description="NMF topic clusters over the filtered records (a reproducible sample of at most 50,000).",
    load=_load_topics,
    draw=lambda df, view, model: topics_chart(df, f"Topic clusters — {view.tracker.name_en}"),
    describe=lambda df, view, model: topics_alt(df, view.tracker.name_en),
    needs=("analysis.stats.annotation_series",), table=in_sample_table("size"),
))


def entity_labels(view: View) -> dict[str, str]:
    return {e.id: e.label for e in view.tracker.entities}


register(ChartDef(
    name="topics-comentions", title="Entities mentioned together — {tracker}", page="topics",
    description="Pairs of tracked entities mentioned in the same record (needs `actorwatch enrich` annotations).",
    load=lambda con, view: require("analysis.stats.annotation_series").co_mention_counts(
        con, view.filters, view.tracker, top=40),
    draw=lambda df, view, model: comentions_chart(df, entity_labels(view),
                                                                  f"Entities mentioned together — {view.tracker.name_en}"),
    describe=lambda df, view, model: comentions_alt(df, entity_labels(view), view.tracker.name_en),
    needs=("analysis.stats.annotation_series",),
))


def _load_emotion(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    series = require("analysis.stats.annotation_series")
    frame = series.emotion_counts_by_period(con, view.filters, _freq(view))
    if frame.empty or frame["n"].sum() == 0:  # an empty view of an annotated tracker must not say "run enrich"
        frame.attrs["annotated"] = series.has_annotations(con, view.filters.tracker, "emotion")
    return frame


def _draw_emotion(df: pd.DataFrame, view: View, model: dict[str, Any]) -> go.Figure:
    period = "Weekly" if _freq(view) == "W" else "Daily"
    title = f"{period} emotion — {view.tracker.name_en} · {model_label(model, 'emotion')}"
    return share_lines(df, "emotion", EMOTION_COLOURS, title, no_annotations_message("emotion", bool(df.attrs.get("annotated"))))


register(ChartDef(
    name="topics-emotion", title="Emotion over time — {tracker}", page="topics",
    description="Share of annotated records per emotion (joy, anger, disgust, sadness, fear, surprise, neutral) per "
                "day (freq=W: per ISO week) with 95% Wilson intervals clustered by author; emotion from the "
                "emotion model.",
    load=_load_emotion,
    draw=_draw_emotion,
    describe=lambda df, view, model: shares_alt(df, "emotion", "emotion", view.tracker.name_en,
                                                model_label(model, "emotion"), "week" if _freq(view) == "W" else "day",
                                                view.filters),
    needs=("analysis.stats.annotation_series",), task="emotion",
))
