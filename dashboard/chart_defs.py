"""Every published chart: a loader calling analysis/, a pure figure builder (charts*.py) and an alt-text generator."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from analysis import aggregate
from analysis.filters import Filters
from dashboard import charts, charts_analysis
from dashboard.chart_registry import AnalysisPending, ChartDef, View, register, require


# ---------------------------------------------------------------- curated ledgers (reshaped, not computed)
def statements_frame(view: View) -> pd.DataFrame:
    """The tracker's curated statements as rows (who, role, date, platform, stance, summary, source)."""
    t = view.tracker
    rows = [{"date": s.date, "who": s.who, "entity": s.entity, "entity_type": t.entity(s.entity).type,
             "role": s.role, "platform": s.platform, "stance": s.stance, "summary": s.summary,
             "source_name": s.source_name, "source_url": str(s.source_url), "source_date": s.source_date, "id": s.id}
            for s in t.statements]
    cols = ["date", "who", "entity", "entity_type", "role", "platform", "stance", "summary", "source_name",
            "source_url", "source_date", "id"]
    frame = pd.DataFrame(rows, columns=cols).sort_values(["date", "who"], ignore_index=True)
    for option, column in (("stance", "stance"), ("role", "role"), ("types", "entity_type")):
        wanted = [v for v in view.option(option).split(",") if v]
        if wanted:
            frame = frame[frame[column].isin(wanted)]
    return frame.reset_index(drop=True)


def claims_frame(view: View) -> pd.DataFrame:
    """One row per (claim, outlet report): the claim, its status and the version that outlet reported."""
    t = view.tracker
    rows = [{"claim_id": c.id, "claim": c.claim, "made_by": t.entity(c.made_by).label, "claimed_on": c.date,
             "status": c.status, "note": c.note, "outlet": r.outlet if r else None, "version": r.version if r else None,
             "date": r.date if r else None, "url": str(r.url) if r else None}
            for c in t.claims for r in (c.reports or [None])]  # a claim no outlet report backs yet still shows
    cols = ["claim_id", "claim", "made_by", "claimed_on", "status", "note", "outlet", "version", "date", "url"]
    return pd.DataFrame(rows, columns=cols)


def _tracker_events(view: View) -> list[Any]:
    return list(view.tracker.events)


# ---------------------------------------------------------------- Overview
PEAK_COLUMNS = ["day", "records", "label", "top_record"]


def peak_labels(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Volume peaks (analysis.peaks on the zero-filled daily series), each with its top terms and top record."""
    peaks_mod, timeseries = require("analysis.peaks"), require("analysis.timeseries")
    found = peaks_mod.detect_peaks(peaks_mod.series_by_day(timeseries.volume_series(con, f), "records"))
    labelled = peaks_mod.label_peaks(con, f, found, k=3, n_records=1)
    return pd.DataFrame({
        "day": labelled["day"], "records": labelled["records"],
        "label": [" · ".join(terms) for terms in labelled["top_terms"]],
        "top_record": [top[0]["text"][:200] if top else "" for top in labelled["top_records"]],
    }, columns=PEAK_COLUMNS)


def _load_volume(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    frame = aggregate.daily_volume(con, view.filters)
    try:
        # attrs hold plain lists: pandas compares attrs when combining frames, which DataFrames cannot do
        frame.attrs["peaks"] = peak_labels(con, view.filters).to_dict("records")
    except AnalysisPending:
        frame.attrs["peaks"] = []
    return frame


def _peaks(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(df.attrs.get("peaks", []), columns=PEAK_COLUMNS)


def _draw_volume(df: pd.DataFrame, view: View, model: dict[str, Any]) -> Any:
    f = view.filters
    fig = charts.volume_chart(df, _tracker_events(view), f"Daily records by source — {view.tracker.name_en}",
                              f.start, f.end)
    charts.add_peak_labels(fig, _peaks(df))
    return fig


def _describe_volume(df: pd.DataFrame, view: View, model: dict[str, Any]) -> str:
    alt = charts.volume_alt(df, view.tracker.name_en)
    peaks = _peaks(df)
    if len(peaks):
        alt += " Detected peaks: " + "; ".join(f"{d} ({int(r):,} records; top terms: {lab})"
                                               for d, r, lab in zip(peaks["day"], peaks["records"], peaks["label"], strict=True)) + "."
    return alt


register(ChartDef(
    name="overview-volume", title="Daily records by source — {tracker}", page="overview",
    description="Records per day and source, zero-filled, with the tracker's dated events as markers.",
    load=_load_volume, draw=_draw_volume, describe=_describe_volume, needs=("analysis.peaks", "analysis.timeseries"),
))


def _weekly(view: View) -> bool:
    return view.option("freq") == "W"


def _load_sentiment(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    if not view.model_version:
        return pd.DataFrame(columns=["day", "n"])
    if _weekly(view):  # ISO weeks (labelled by their Monday): steadier shares where days hold few records
        timeseries = require("analysis.timeseries")
        return timeseries.sentiment_series(con, view.filters, view.model_version, freq="W").rename(
            columns={"period": "day"})
    return aggregate.daily_sentiment(con, view.filters, view.model_version)


def _draw_sentiment(df: pd.DataFrame, view: View, model: dict[str, Any]) -> Any:
    title = f"{'Weekly' if _weekly(view) else 'Daily'} sentiment — {view.tracker.name_en} · model: {model.get('name') or model.get('label')}"
    if df.empty or "negative" not in df:
        return charts.empty_figure(title, "No scored records: run `actorwatch enrich`.")
    f = view.filters
    fig = charts.sentiment_chart(df, _tracker_events(view), title, f.start, f.end)
    if _weekly(view):
        fig.update_xaxes(title="week (UTC, starting Monday)")
    return fig


def _describe_sentiment(df: pd.DataFrame, view: View, model: dict[str, Any]) -> str:
    if df.empty or "negative" not in df:
        return f"Sentiment chart for {view.tracker.name_en}: no scored records in the selected range."
    alt = charts.sentiment_alt(df, view.tracker.name_en, str(model.get("label")), "week" if _weekly(view) else "day")
    f1 = model.get("macro_f1")
    return alt + (f" The model's measured macro-F1 is {f1:.2f} (on {model.get('macro_f1_on')})." if f1 is not None
                  else " The model has no measured accuracy on file.")


register(ChartDef(
    name="overview-sentiment", title="Sentiment — {tracker} · model: {model}", page="overview",
    description="Daily (or weekly: freq=W) share of negative/neutral/positive records with 95% Wilson intervals "
                "and event markers.",
    load=_load_sentiment, draw=_draw_sentiment, describe=_describe_sentiment, sentiment=True,
))


# ---------------------------------------------------------------- Methods
def _load_coverage(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    f = view.filters
    return aggregate.daily_volume(con, Filters(tracker=f.tracker, start=f.start, end=f.end))


register(ChartDef(
    name="methods-coverage", title="Coverage: records per source and day — {tracker}", page="methods",
    description="Records per source and day over all sources (the sidebar's source/language choice is ignored).",
    load=_load_coverage,
    draw=lambda df, view, model: charts.coverage_chart(df, f"Coverage: records per source and day — {view.tracker.name_en}"),
    describe=lambda df, view, model: charts.coverage_alt(df, view.tracker.name_en),
))


# ---------------------------------------------------------------- Voices
register(ChartDef(
    name="voices-statements", title="Statements by public figures and organisations — {tracker}", page="voices",
    description="The tracker's curated, sourced statements on a timeline, coloured by stance.",
    load=lambda con, view: statements_frame(view),
    draw=lambda df, view, model: charts.statements_chart(df, f"Statements — {view.tracker.name_en}"),
    describe=lambda df, view, model: charts.statements_alt(df, view.tracker.name_en),
))

register(ChartDef(
    name="voices-claims", title="Claim ledger: who reported which version — {tracker}", page="voices",
    description="Each curated claim with the outlets that reported it and the version each reported.",
    load=lambda con, view: claims_frame(view),
    draw=lambda df, view, model: charts.claims_chart(df, f"Claim ledger — {view.tracker.name_en}"),
    describe=lambda df, view, model: charts.claims_alt(df, view.tracker.name_en),
))


# ---------------------------------------------------------------- Timeline & events
def _load_effects(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    effects = require("analysis.effects")
    window = int(view.option("window", "3") or 3)
    frame = effects.event_effects(con, view.filters, view.tracker, view.model_version, window=window)
    return frame.reset_index(drop=True)


register(ChartDef(
    name="timeline-effects", title="Before vs after each event — {tracker} (association, not causation)",
    page="timeline",
    description="Per dated event: change in records/day and in negative share (after − before) with 95% bootstrap "
                "intervals and permutation p-values.",
    load=_load_effects,
    draw=lambda df, view, model: charts_analysis.effects_chart(
        df, f"Before vs after each event — {view.tracker.name_en} (association, not causation)"),
    describe=lambda df, view, model: charts_analysis.effects_alt(df, view.tracker.name_en),
    sentiment=True, needs=("analysis.effects",),
))


def _load_negative(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    timeseries, peaks_mod = require("analysis.timeseries"), require("analysis.peaks")
    cols = ["period", "n", "negative", "negative_lo", "negative_hi"]
    if not view.model_version:
        frame = pd.DataFrame(columns=cols)
        frame.attrs["changes"] = []
        return frame
    frame = timeseries.sentiment_series(con, view.filters, view.model_version)[cols]
    frame.attrs["changes"] = peaks_mod.change_points(peaks_mod.series_by_day(frame, "negative"),
                                                     peaks_mod.series_by_day(frame, "n"), min_shift=0.05)
    return frame


register(ChartDef(
    name="timeline-negative", title="Negative share and its level shifts — {tracker}", page="timeline",
    description="Daily negative share with 95% Wilson bands, the tracker's events, and change points detected on it.",
    load=_load_negative,
    draw=lambda df, view, model: charts_analysis.negative_share_chart(
        df, _tracker_events(view), df.attrs.get("changes", []),
        f"Negative share and its level shifts — {view.tracker.name_en}", view.filters.start, view.filters.end),
    describe=lambda df, view, model: charts_analysis.negative_share_alt(
        df, df.attrs.get("changes", []), view.tracker.name_en, str(model.get("label"))),
    sentiment=True, needs=("analysis.timeseries", "analysis.peaks"),
))


# ---------------------------------------------------------------- Topics & frames
def _freq(view: View) -> str:
    return "W" if view.option("freq") == "W" else "D"


def frame_labels() -> dict[str, str]:
    topics = require("analysis.topics")
    return {fr.id: f"{fr.label_en} / {fr.label_zh}" for fr in topics.load_frames()}


register(ChartDef(
    name="topics-keywords", title="Top keywords per period — {tracker}", page="topics",
    description="Each period's most characteristic keywords (records carrying them), from analysis.topics.",
    load=lambda con, view: require("analysis.topics").keywords_by_period(con, view.filters, _freq(view), k=5),
    draw=lambda df, view, model: charts_analysis.keywords_chart(df, f"Top keywords per period — {view.tracker.name_en}"),
    describe=lambda df, view, model: charts_analysis.keywords_alt(df, view.tracker.name_en),
    needs=("analysis.topics",),
))

register(ChartDef(
    name="topics-frames", title="Frames over time (bilingual frame terms) — {tracker}", page="topics",
    description="Share of records using each frame's Chinese or English terms, per period, with 95% intervals.",
    load=lambda con, view: require("analysis.topics").frame_counts_by_period(con, view.filters, _freq(view)),
    draw=lambda df, view, model: charts_analysis.frames_chart(df, frame_labels(),
                                                              f"Frames over time — {view.tracker.name_en}"),
    describe=lambda df, view, model: charts_analysis.frames_alt(df, frame_labels(), view.tracker.name_en),
    needs=("analysis.topics",),
))


def _load_topics(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    model = require("analysis.topics").topics_for(con, view.filters, n_topics=8)
    return pd.DataFrame([{"topic": t.id, "label": t.label, "terms": " ".join(t.terms), "size": t.size,
                          "weight": t.weight} for t in model.topics],
                        columns=["topic", "label", "terms", "size", "weight"])


register(ChartDef(
    name="topics-clusters", title="Topic clusters — {tracker}", page="topics",
    description="NMF topic clusters over the filtered records (a reproducible sample of at most 50,000).",
    load=_load_topics,
    draw=lambda df, view, model: charts_analysis.topics_chart(df, f"Topic clusters — {view.tracker.name_en}"),
    describe=lambda df, view, model: charts_analysis.topics_alt(df, view.tracker.name_en),
    needs=("analysis.topics",),
))


def entity_labels(view: View) -> dict[str, str]:
    return {e.id: e.label for e in view.tracker.entities}


register(ChartDef(
    name="topics-comentions", title="Entities mentioned together — {tracker}", page="topics",
    description="Pairs of tracked entities mentioned in the same record (needs `actorwatch enrich` annotations).",
    load=lambda con, view: require("analysis.entities").co_mention_counts(con, view.filters, top=40),
    draw=lambda df, view, model: charts_analysis.comentions_chart(df, entity_labels(view),
                                                                  f"Entities mentioned together — {view.tracker.name_en}"),
    describe=lambda df, view, model: charts_analysis.comentions_alt(df, entity_labels(view), view.tracker.name_en),
    needs=("analysis.entities",),
))


# ---------------------------------------------------------------- Compare cases
def _cases(view: View) -> list[str]:
    return [view.filters.tracker, *[t for t in view.option("with").split(",") if t and t != view.filters.tracker]]


def _load_aligned(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    crosscase = require("analysis.crosscase")
    before, after = int(view.option("before", "7") or 7), int(view.option("after", "30") or 30)
    frame = crosscase.align_cases(con, _cases(view), before, after, normalise=view.option("normalise", "per_source"))
    if view.filters.sources:
        frame = frame[frame["source"].isin(view.filters.sources)].reset_index(drop=True)
    return frame


register(ChartDef(
    name="compare-aligned", title="Cases aligned on days since trigger, per source", page="compare",
    description="Each case's daily records as a share of its total per source (analysis.crosscase.align_cases).",
    load=_load_aligned,
    draw=lambda df, view, model: charts_analysis.aligned_sources_chart(
        df, "Cases aligned on days since trigger: " + " vs ".join(_cases(view))),
    describe=lambda df, view, model: charts_analysis.aligned_sources_alt(df),
    needs=("analysis.crosscase",),
))

VOICE_TYPES = ("platform", "company", "studio", "union", "industry_body", "ai_performer")


def _load_share(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    frame = require("analysis.crosscase").share_of_voice(con, view.filters, view.tracker)
    types = [t for t in view.option("types", ",".join(VOICE_TYPES)).split(",") if t]
    keep = {e.id for e in view.tracker.entities if e.type in types}
    frame = frame[frame["entity"].isin(keep)].reset_index(drop=True)
    labels = entity_labels(view)
    frame["entity"] = [labels.get(e, e) for e in frame["entity"]]
    return frame


register(ChartDef(
    name="compare-share", title="Share of voice among entities — {tracker}", page="compare",
    description="Each entity's share of the day's entity mentions (analysis.crosscase.share_of_voice), for the "
                "chosen entity types.",
    load=_load_share,
    draw=lambda df, view, model: charts.share_chart(df, f"Share of voice — {view.tracker.name_en}"),
    describe=lambda df, view, model: charts.share_alt(df, view.tracker.name_en),
    needs=("analysis.crosscase",),
))


# ---------------------------------------------------------------- Industry impact
class NoPrices(AnalysisPending):
    """No market prices in the store for the tracker's ticker and benchmark."""


def market_symbols(view: View) -> tuple[str, str]:
    q = view.tracker.queries
    return (q.market[0] if q.market else ""), q.benchmark


def _load_market(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    market = require("analysis.market")
    ticker, benchmark = market_symbols(view)
    if not ticker or not benchmark:
        raise NoPrices(f"tracker {view.tracker.id} names no ticker and benchmark (queries.market / benchmark)")
    try:
        prices = market.prices_from_store(con, [ticker, benchmark])
    except market.PriceDataError as exc:
        raise NoPrices(str(exc)) from None
    if prices.empty or set(prices["ticker"]) < {ticker, benchmark}:
        raise NoPrices(f"no daily closes for both {ticker} and {benchmark} in the store")
    events = sorted(view.tracker.events, key=lambda e: e.date)
    result = market.event_study(prices, ticker, benchmark, [e.date for e in events])
    titles: dict[Any, str] = {}
    for day in dict.fromkeys(e.date for e in events):
        same = [e for e in events if e.date == day]
        titles[day] = f"{day} {same[0].title_en}" + (f" (+{len(same) - 1} more that day)" if len(same) > 1 else "")
    parts = [w.abnormal.assign(event=titles.get(w.event_date, str(w.event_date))) for w in result.events]
    cols = ["event", "day_offset", "date", "ret", "benchmark_ret", "expected", "ar", "ar_t", "car", "car_t"]
    frame = pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
    frame.attrs["skipped"] = [(str(d), why) for d, why in result.skipped]
    frame.attrs["summary"] = result.summary().to_dict("records")
    return frame


register(ChartDef(
    name="industry-market", title="Abnormal returns around events — {tracker}", page="industry",
    description="Market-model event study of the tracker's ticker against its benchmark (analysis.market).",
    load=_load_market,
    draw=lambda df, view, model: charts_analysis.event_study_chart(
        df, f"{market_symbols(view)[0]} vs {market_symbols(view)[1]}: cumulative abnormal return around events"),
    describe=lambda df, view, model: charts_analysis.event_study_alt(df, *market_symbols(view)),
    needs=("analysis.market",),
))


def _news_filters(view: View) -> Filters:
    f = view.filters
    return Filters(f.tracker, f.start, f.end, f.sources, f.langs, kinds=("article",))


NEWS_KEYS = {"lang": "language", "source": "source", "outlet": "outlet"}
TOP_OUTLETS = 7  # the rest share one bar colour: the palette has eight distinguishable colours


def _load_news(con: duckdb.DuckDBPyConnection, view: View, key: str) -> pd.DataFrame:
    timeseries = require("analysis.timeseries")
    return timeseries.volume_series(con, _news_filters(view), by=key, top=TOP_OUTLETS if key == "outlet" else None)


for _key, _label in NEWS_KEYS.items():
    register(ChartDef(
        name=f"industry-news-{_key}", title=f"News coverage by {_label} — {{tracker}}", page="industry",
        description=f"Daily news articles (kind = article) by {_label} (analysis.timeseries.volume_series"
                    + (f", top {TOP_OUTLETS} outlets, the rest together)." if _key == "outlet" else ")."),
        load=lambda con, view, key=_key: _load_news(con, view, key),
        draw=lambda df, view, model, key=_key, label=_label: charts_analysis.coverage_by_chart(
            df, key, f"News coverage by {label} — {view.tracker.name_en}"),
        describe=lambda df, view, model, key=_key: charts_analysis.coverage_by_alt(df, key, view.tracker.name_en),
        needs=("analysis.timeseries",),
    ))

INDUSTRY_TYPES = ("union", "industry_body", "regulator")

register(ChartDef(
    name="industry-statements", title="Statements by unions, industry bodies and regulators — {tracker}",
    page="industry",
    description="The tracker's curated statements from unions, industry bodies and regulators.",
    load=lambda con, view: statements_frame(view.with_options(types=",".join(INDUSTRY_TYPES))),
    draw=lambda df, view, model: charts.statements_chart(
        df, f"Unions, industry bodies and regulators — {view.tracker.name_en}"),
    describe=lambda df, view, model: charts.statements_alt(df, view.tracker.name_en),
))
