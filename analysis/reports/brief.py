"""The weekly brief: a readable report of one ISO week for one tracker, as self-contained HTML or Markdown.

It says what happened (volume, sentiment with 95% intervals, peaks and what they were about, dated events
with before/after differences, new statements, alerts sent) and how it was measured (methods note, naming the
store signature and software version the numbers come from). A week in progress says it is not over.
Post text is untrusted: every string from the data is HTML-escaped; Markdown output escapes markup too.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from analysis.core.filters import Filters, days_note, days_phrase, zone_days
from analysis.core.labels import LABELS
from analysis.core.wording import INDEPENDENT_POSTS, UNADJUSTED_NOTE, count_text, share_text, unread_text
from analysis.nlp.model_info import accuracy_line, in_domain_badges, latest_model_version, model_card_summary
from analysis.reports.alerts.state import load_state
from analysis.reports.export import software_version
from analysis.reports.links import DEFAULT_PAGE, deep_link, safe_url
from analysis.reports.palette import PALETTE, TEMPLATE, source_colours, source_patterns
from analysis.reports.png import CREDIT, PngUnavailable, chromium_path, footed_figure, png_bytes
from analysis.stats.aggregate import kpis
from analysis.stats.annotation_series import unread_languages
from analysis.stats.effects import ASSOCIATION_NOTE, event_effects, proportion_effect
from analysis.stats.peaks import (
    HISTORY_DAYS,
    MIN_SHARE_N,
    change_points,
    detect_peaks,
    label_peaks,
    robust_scores,
    series_by_day,
    share_jumps,
    uncollected_days,
    without_days,
)
from analysis.stats.timeseries import sentiment_series, stored_span, volume_series
from collectors.display_zone import display_zone, zone_short
from collectors.pseudonym import POLICY
from collectors.store import Store, atomic_write_text
from collectors.trackers import Tracker

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class BriefError(ValueError):
    """The brief cannot be built as asked; the message says why."""


def parse_week(week: str) -> tuple[date, date]:
    """'2026-W17' → (Monday, Sunday) of that ISO week."""
    match = _WEEK.match(week.strip())
    if not match:
        raise BriefError(f"week must look like 2026-W17, not {week!r}")
    year, number = int(match[1]), int(match[2])
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        weeks = date(year, 12, 28).isocalendar().week if 1 <= year <= 9999 else None  # 28 December: the last week
        raise BriefError(f"{week.strip()}: {year} has {weeks} ISO weeks (W01 to W{weeks})" if weeks else
                         f"{week.strip()}: not a year") from None
    return monday, monday + timedelta(days=6)


@dataclass
class BriefData:
    tracker: Tracker
    week: str
    start: date
    end: date
    kpis: dict[str, Any]
    previous: dict[str, Any]
    volume: pd.DataFrame
    sentiment: pd.DataFrame
    peaks: pd.DataFrame
    jumps: pd.DataFrame  # days the negative share jumped (day, value, baseline, n scored that day)
    shifts: list[date]  # days the negative share changed level (change points)
    effects: pd.DataFrame
    statements: list[Any]
    alerts: list[dict[str, Any]]
    model: dict[str, Any]
    link: str
    generated_at: datetime
    figures: dict[str, go.Figure] = field(default_factory=dict)
    # days of the week and of the week before inside the collection window and over (today by its elapsed fraction)
    collected_days: tuple[float, float] = (7, 7)
    store_signature: str | None = None  # the store state computed from (as an export manifest's `store.signature`)
    software: dict[str, str | None] = field(default_factory=dict)  # as an export manifest's `software`
    judged_days: int = 7  # days of the week a peak could be found on (a baseline before them, collected)
    uncollected: list[date] = field(default_factory=list)  # days of the week and the week before a source was not
    unread: dict[str, int] = field(default_factory=dict)  # the week's records per language the models do not read


def gather(store: Store, tracker: Tracker, week: str, model_version: str | None = None,
           now: datetime | None = None) -> BriefData:
    """Every number the brief shows, computed from the store."""
    start, end = parse_week(week)
    f = Filters(tracker.id, start, end)
    signature = store.signature(skip=(LABELS,))
    with store.connect(public_names=tracker.public_names()) as con:
        version = model_version or latest_model_version(con, tracker.id)
        week_kpis = kpis(con, f, version)
        previous = kpis(con, Filters(tracker.id, start - timedelta(days=7), start - timedelta(days=1)), version)
        volume = volume_series(con, f, by="source")
        sentiment = sentiment_series(con, f, version) if version else sentiment_series(con, f, "")
        # no history from before the tracker's collection or its first stored record: those days are unknown, not
        # days with 0 records
        stored = stored_span(con, Filters(tracker.id), tracker)
        history = Filters(tracker.id, max(start - timedelta(days=HISTORY_DAYS), stored.start), end)
        # the stored days after the week finish its last run of high days, as on the dashboard (overview.peak_labels):
        # a storm rising on Sunday and peaking on Monday is the next week's peak, not a peak of each week
        around = Filters(tracker.id, history.start, max(end, stored.end))
        unknown = uncollected_days(con, around)  # a source's collection gap is no quiet spell (as for the alerts)
        series = without_days(series_by_day(volume_series(con, around), "records"), unknown)
        peaks = detect_peaks(series)
        scores = robust_scores(series)["score"]
        judged = sum(1 for d, score in scores.items()  # days after the last stored record are unknown, not judged 0
                     if max(start, stored.start) <= d <= min(end, stored.end) and pd.notna(score))
        peaks = peaks[[start <= d <= end for d in peaks["day"]]]
        labelled = label_peaks(con, f, peaks, k=6, n_records=3).merge(peaks, on="day") if len(peaks) else pd.DataFrame()
        mood = sentiment_series(con, history, version) if version else pd.DataFrame()
        moods = sentiment_series(con, around, version) if version else pd.DataFrame()
        jumps = share_jumps(moods, unknown=unknown) if len(moods) else pd.DataFrame(columns=["day", "value", "baseline"])
        jumps = jumps[[start <= d <= end for d in jumps["day"]]]
        if len(jumps):  # the share's n travels with it
            scored = series_by_day(moods, "n")
            jumps = jumps.assign(n=[int(scored[d]) for d in jumps["day"]])
        shifts = [d for d in change_points(series_by_day(mood, "negative"), n=series_by_day(mood, "n"), min_shift=0.05)
                  if start <= d <= end] if len(mood) else []
        effects = group_same_day(event_effects(con, Filters(tracker.id), tracker, version), start, end)
        model_name = con.execute("SELECT any_value(model) FROM scores WHERE model_version = ?", [version]).fetchone()[0] \
            if version and week_kpis["scored"] else None
        badges = in_domain_badges(con, version, model_name, tracker.id)
        unread = unread_languages(con, f)
    alerts = load_state().history_of(tracker.id, start, end)
    data = BriefData(tracker, week, start, end, week_kpis, previous, volume, sentiment, labelled, jumps, shifts, effects,
                     [s for s in sorted(tracker.statements, key=lambda s: s.date) if start <= s.date <= end], alerts,
                     {**model_card_summary(version, model_name, tracker.id), "in_domain": badges}, deep_link(DEFAULT_PAGE, f),
                     now or datetime.now(UTC), store_signature=signature, software=software_version(), unread=unread)
    data.collected_days = (_collected_days(tracker, start, end, data.generated_at, stored),
                           _collected_days(tracker, start - timedelta(days=7), start - timedelta(days=1),
                                           data.generated_at, stored))
    data.judged_days = judged
    data.uncollected = sorted(d for d in unknown if start - timedelta(days=7) <= d <= end)
    data.figures = {"volume": volume_figure(data), "sentiment": sentiment_figure(data)}
    return data


def _collected_days(tracker: Tracker, start: date, end: date, now: datetime | None = None,
                    stored: Filters | None = None) -> float:
    """How many days of start..end lie in the tracker's collection window and, given `stored` (effects.stored_span),
    between the store's first and last record (the others are unknown, not 0) and, given `now`, are not in the
    future: today counts by the fraction of it that is over."""
    first, last = start, end
    for window in (Filters.for_tracker(tracker), stored):
        if window is not None:
            first, last = max(first, window.start or first), min(last, window.end or last)
    zone = display_zone()  # the brief's days are the display zone's
    if now is not None and last >= (today := now.astimezone(zone).date()):
        elapsed = (now.astimezone(zone) - datetime.combine(today, time(), zone)) / timedelta(days=1)
        return max(0, (today - first).days) + (elapsed if first <= today else 0)
    return max(0, (last - first).days + 1)


def group_same_day(effects: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Events of the week, one row per date: events on one day share their windows, so one comparison."""
    week = effects[[start <= d <= end for d in effects["date"]]]
    if week.empty:
        return week
    titles = week.groupby("date")["title"].apply(lambda t: " · ".join(t))
    first = week.groupby("date").first().drop(columns=["title"])
    return first.join(titles).reset_index()


def _began(row: dict[str, Any]) -> str:
    start = row.get("run_start")
    return f", rising since {start}" if start is not None and start != row["day"] else ""


def volume_figure(data: BriefData) -> go.Figure:
    fig = go.Figure()
    sources = data.volume["source"].unique() if len(data.volume) else []
    colours, patterns = source_colours(sources), source_patterns(sources)  # as on the dashboard, not by colour alone
    for source, part in data.volume.groupby("source", sort=True):
        fig.add_bar(x=[str(d) for d in part["period"]], y=part["records"], name=str(source),
                    marker={"color": colours[str(source)], "pattern": {"shape": patterns[str(source)]}})
    fig.update_layout(barmode="stack", title=f"Records per day by source — {data.tracker.name_en}, {data.week}",
                      xaxis_title=f"Day ({zone_short()})", yaxis_title="Records", height=360, margin={"t": 60, "b": 40},
                      template=TEMPLATE)
    return fig


def sentiment_figure(data: BriefData) -> go.Figure:
    s = data.sentiment
    fig = go.Figure()
    if len(s):
        days = [str(d) for d in s["period"]]
        fig.add_scatter(x=days + days[::-1], y=list(s["negative_hi"]) + list(s["negative_lo"])[::-1], fill="toself",
                        mode="lines", fillcolor="rgba(213,94,0,0.2)", line={"width": 0}, name="95% interval",
                        hoverinfo="skip")
        fig.add_scatter(x=days, y=s["negative"], mode="lines+markers", name="share negative",
                        line={"color": PALETTE[5]})
    fig.update_layout(title=f"Share of scored records that are negative — {data.tracker.name_en}, {data.week}",
                      xaxis_title=f"Day ({zone_short()})", yaxis_title="Share negative", yaxis_tickformat=".0%",
                      yaxis_range=[0, 1], height=360, margin={"t": 60, "b": 40}, template=TEMPLATE)
    return fig


def figure_alts(data: BriefData) -> dict[str, str]:
    """What each chart of the brief shows, with its key numbers (its HTML label and caption, its Markdown alt text)."""
    days = f"{data.start} to {data.end} ({zone_days()})"
    v, k = data.volume, data.kpis
    per_day = v.groupby("period")["records"].sum() if len(v) else pd.Series(dtype="int64")
    volume = f"Stacked bars of records per day by source, {days}: {count_text(int(per_day.sum()), 'record')}"
    if per_day.sum():
        by_source = v.groupby("source")["records"].sum().sort_values(ascending=False)
        volume += (f"; the busiest day was {pd.Timestamp(per_day.idxmax()).date()} with {int(per_day.max()):,}. By "
                   "source: " + ", ".join(f"{src} {int(n):,}" for src, n in by_source.items() if n))
    sentiment = f"Line of the daily share of negative records with its 95% interval band, {days}"
    if k["share_negative"] is None:
        sentiment += ": no scored records"
    else:
        lo, hi = k["share_negative_ci"]
        sentiment += (f"; negative: {share_text(k['share_negative'], (lo, hi))} of "
                      f"{count_text(k['scored'], 'scored record')}")
        s = data.sentiment
        judged = s[s["n"] >= MIN_SHARE_N] if len(s) else s
        if len(judged):
            top = judged.loc[judged["negative"].idxmax()]
            sentiment += (f"; highest {pd.Timestamp(top['period']).date()} at {share_text(top['negative'])} of "
                          f"{int(top['n']):,} (among days with at least {MIN_SHARE_N} scored records)")
    if data.unread:
        sentiment += f"; {unread_text(data.unread)}"
    return {"volume": volume + ".", "sentiment": sentiment + "."}


def alert_line(alert: dict[str, Any]) -> str:
    """'day: title', saying so when a channel has not taken it yet (the alerter retries it on its next run)."""
    line = f"{alert['day']}: {alert['title']}"
    if alert.get("undelivered"):
        line += f" (not yet delivered to {', '.join(alert['undelivered'])}: retried on the next alerts run)"
    return line


def _pct(value: Any) -> str:
    return "–" if value is None or (isinstance(value, float) and pd.isna(value)) else share_text(value)


def _share_of(share: Any, n: Any) -> str:
    """A share with the count it is of ("40% of 25"), or – where there is none."""
    return "–" if n is None or pd.isna(n) or not n else f"{_pct(share)} of {int(n):,}"


def _change(now: int, before: int, days: tuple[float, float] = (7, 7)) -> str:
    """The change on the week before; per collected day when the two weeks were collected on different days."""
    days_now, days_before = days
    if days_before == 0:
        return "the week before was not collected"
    if before == 0:
        return "no records the week before"
    if days_now == days_before or days_now == 0:
        return f"{(now - before) / before:+.0%} on the week before ({before:,})"
    rate_now, rate_before = now / days_now, before / days_before
    return (f"{(rate_now - rate_before) / rate_before:+.0%} per collected day on the week before ({before:,} in "
            f"{days_before:g} collected day{'' if days_before == 1 else 's'})")


# the intervals are of the difference after − before, the p-values permutation tests (see methods_lines)
EFFECT_HEADERS = ("Records/day before → after (95% CI of the difference; p)",
                  "Share negative before → after (95% CI of the difference; p)")


def _share_change(k: dict[str, Any], p: dict[str, Any]) -> str:
    """This week's share negative minus the week before's, in points, with the difference's own 95% interval
    (Newcombe, clustered by author as each week's share is): whether the two weeks' intervals overlap is no test of
    a change."""
    change = proportion_effect(round(p["share_negative"] * p["scored"]), p["scored"],
                               round(k["share_negative"] * k["scored"]), k["scored"],
                               design_effects=(p["share_negative_deff"], k["share_negative_deff"]))
    return (f"change {100 * change['diff']:+.0f} percentage points (95% CI {100 * change['ci_lo']:+.0f} to "
            f"{100 * change['ci_hi']:+.0f})")


def _records_from(k: dict[str, Any]) -> str:
    """'12 records from 5 authors'; the authors said unknown (not 0) when no record names its author."""
    if k["authors"] is None:
        return f"{count_text(k['records'], 'record')} (authors unknown)"
    return f"{count_text(k['records'], 'record')} from {count_text(k['authors'], 'author')}"


def no_peak_text(data: BriefData) -> str:
    """What a week without a peak says: calm only of the days that could be judged."""
    why = ("a day is judged against at least 3 collected days before it; days a source was not collected are not "
           "judged")
    if not data.judged_days:
        return f"No day of this week could be judged for a peak ({why})."
    if data.judged_days < data.collected_days[0]:
        return (f"No day this week stood out from the days before, of the {count_text(data.judged_days, 'day')} that "
                f"could be judged ({why}).")
    return "No day this week stood out from the weeks before."


def summary_lines(data: BriefData) -> list[str]:
    """The headline numbers as plain sentences (escaped later by the renderer)."""
    k, p = data.kpis, data.previous
    window = Filters.for_tracker(data.tracker)
    outside = (window.start and data.end < window.start) or (window.end and data.start > window.end)
    if outside and not k["records"]:  # days outside the collection window are unknown, not 0
        return [(f"This week lies outside the tracker's collection window ({window.start} to {window.end}): its "
                 "volume and sentiment are unknown, not zero.")]
    if not k["records"] and data.collected_days[0] == 0:  # no stored record on or around these days
        return [(f"No records are stored for this week: collect them (`actorwatch collect SOURCE --tracker "
                 f"{data.tracker.id}`) or import another tool's export (`actorwatch import FILE --tracker "
                 f"{data.tracker.id}`).")]
    lines = [f"{_records_from(k)}, {_change(k['records'], p['records'], data.collected_days)}."]
    if data.uncollected:  # a collector that stopped would otherwise read as a drop in posting
        lines.append(f"A source that collects every day was not collected on {', '.join(map(str, data.uncollected))}: "
                     "the volumes and their change count only what was collected, so they are too low on those days.")
    local = data.generated_at.astimezone(display_zone())
    if data.end >= local.date():
        lines.append(f"This week is not over: its figures are to {local:%Y-%m-%d %H:%M} {zone_short()}.")
    if not k["records"]:
        lines.append("No records this week, so no sentiment to report.")
    elif k["share_negative"] is not None:
        lo, hi = k["share_negative_ci"]
        prev = (f" (week before: {share_text(p['share_negative'], p['share_negative_ci'])} of {p['scored']:,}; "
                f"{_share_change(k, p)})" if p["share_negative"] is not None else "")
        lines.append(f"{share_text(k['share_negative'], (lo, hi))} of {k['scored']:,} scored records negative{prev}.")
    else:
        lines.append("No sentiment scores for this week (run `actorwatch enrich`).")
    if data.unread:  # kept and counted in the volumes, but in no share: say how many, as a chart's note does
        lines.append(unread_text(data.unread) + ".")
    for row in data.jumps.to_dict(orient="records"):
        lo, hi = row["lo"], row["hi"]  # the day's band, clustered by author (share_jumps)
        lines.append(f"The negative share jumped to {share_text(row['value'], (lo, hi))} of {row['n']:,} scored records "
                     f"on {row['day']} (typical {share_text(row['baseline'])}).")
    if data.shifts:
        lines.append("The negative share changed level on " + ", ".join(str(d) for d in data.shifts)
                     + " (change points over the last weeks).")
    if k["synthetic_share"]:
        lines.append(f"{share_text(k['synthetic_share'])} of these records are SYNTHETIC demo data, not real posts.")
    return lines



def methods_lines(data: BriefData) -> list[str]:
    return [
        f"{days_phrase()} Volume counts every record tagged to the tracker by its per-source queries.",
        accuracy_line(data.model) + " Intervals are Wilson 95% intervals on the share of records labelled negative: "
        "for the week's share and a day's jump at its effective size under clustering by author (records / design "
        "effect; the plain interval when no author has two scored records). " + INDEPENDENT_POSTS,
        *[badge["text"] + "." for task, badge in (data.model.get("in_domain") or {}).items() if task != "sentiment"],
        (f"Peaks: a day at least 3.5 robust z-scores above the median of the previous 7 days (MAD scale, at least "
        f"Poisson noise), with {HISTORY_DAYS} days of history; a run of such days is one peak, on its highest day "
        "(which may fall after the week: the stored days after it are read); labelled by characteristic terms and the "
        "most-shared records."),
        ("Negative-share jumps: the same test on the daily share (days with at least 30 scored records; the noise at "
        "least 3 points and at least the binomial noise of the typical share at the day's effective count, records / "
        "design effect by author; after thinner days, against the previous 7 days' pooled share, its own binomial "
        "noise added); change points by "
        "binary segmentation of the daily share (binomial cost, level shifts of at least 5 points)."),
        "Event windows: the 3 days before vs the event day and 2 days after; records/day: Welch t 95% "
        "interval over days and a permutation p-value; share negative: Newcombe score 95% interval clustered by "
        "author and a permutation p-value shuffling whole authors between the sides. " + UNADJUSTED_NOTE + " " + INDEPENDENT_POSTS + " " + days_note() + " " + ASSOCIATION_NOTE,
        POLICY,
        _provenance(data),
    ]


def _provenance(data: BriefData) -> str:
    """The store state and software the numbers were computed from (an export manifest names the same)."""
    sw = data.software
    sha = f", commit {sw['git_sha'][:12]}" if sw.get("git_sha") else ""
    return (f"Computed from store state {data.store_signature or 'unknown'} (the signature an export manifest's "
            f"`store.signature` and the dashboard's Methods page name for the same data) by actorwatch "
            f"{sw.get('version') or 'unknown version'}{sha}.")


# ---------- rendering ----------

def render_html(data: BriefData) -> str:
    e = html.escape
    t = data.tracker
    parts = [(f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{e(t.name_en)} — weekly brief {e(data.week)}</title>"
             "<meta name='viewport' content='width=device-width, initial-scale=1'>"
             "<style>body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;max-width:60rem;margin:2rem auto;"
             "padding:0 1rem;line-height:1.5;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
             "padding:.25rem .5rem;text-align:left;vertical-align:top}.note{color:#555;font-size:.9rem}"
             ".synthetic{background:#fff3cd;padding:.5rem}</style></head><body>"),
             f"<h1>{e(t.name_en)} · {e(t.name_zh)}</h1>",
             (f"<p><strong>Weekly brief {e(data.week)}</strong> ({data.start} to {data.end}, {e(zone_days())}). "
             f"<a href='{e(data.link, quote=True)}'>Open in the dashboard</a></p>")]
    if data.kpis["synthetic_share"]:
        parts.append("<p class='synthetic'>This brief includes SYNTHETIC demo data: the posts are generated, "
                     "not real.</p>")
    parts.append("<h2>The week in numbers</h2><ul>" + "".join(f"<li>{e(x)}</li>" for x in summary_lines(data)) + "</ul>")
    first = True
    for key, alt in figure_alts(data).items():
        parts.append(f"<figure aria-label='{e(alt, quote=True)}'>"
                     + data.figures[key].to_html(full_html=False, include_plotlyjs=first)
                     + f"<figcaption class='note'>{e(alt)}</figcaption></figure>")
        first = False
    parts.append("<h2>Peaks and what they were about</h2>")
    if len(data.peaks):
        for row in data.peaks.to_dict(orient="records"):
            parts.append(f"<h3>{row['day']}: {int(row['value']):,} records (typical {row['baseline']:,.0f}{_began(row)})</h3>"
                         f"<p>Top terms: {e(', '.join(row['top_terms']))}</p><ul>")
            for rec in row["top_records"]:
                url = safe_url(rec.get("url"))
                link = f" <a href='{e(url, quote=True)}'>link</a>" if url else ""
                parts.append(f"<li>[{e(rec['source'])}] {e(rec['author'] or '(unknown)')}: {e(rec['text'])} "
                             f"(shares {rec['shares'] if rec['shares'] is not None else '–'}){link}</li>")
            parts.append("</ul>")
    else:
        parts.append(f"<p>{e(no_peak_text(data))}</p>")
    parts.append("<h2>Dated events</h2>")
    if len(data.effects):
        parts.append(f"<table><tr><th>Date</th><th>Event</th><th>{EFFECT_HEADERS[0]}</th><th>{EFFECT_HEADERS[1]}</th>"
                     "</tr>")
        for row in data.effects.to_dict(orient="records"):
            parts.append(f"<tr><td>{row['date']}</td><td>{e(row['title'])}</td>"
                         f"<td>{_num(row['volume_before'], '.0f')} → {_num(row['volume_after'], '.0f')} "
                         f"({_num(row['volume_ci_lo'], '+.0f')} to {_num(row['volume_ci_hi'], '+.0f')}; "
                         f"p = {_num(row['volume_p'], '.2f')})</td>"
                         f"<td>{_share_of(row['neg_before'], row['neg_n_before'])} → "
                         f"{_share_of(row['neg_after'], row['neg_n_after'])} ({_signed_pct(row['neg_ci_lo'])} "
                         f"to {_signed_pct(row['neg_ci_hi'])}; p = {_num(row['neg_p'], '.2f')})</td></tr>")
        parts.append(f"</table><p class='note'>{e(days_note())} {e(ASSOCIATION_NOTE)}</p>")
    else:
        parts.append("<p>No dated events of this tracker fall in this week.</p>")
    parts.append("<h2>New statements</h2>")
    if data.statements:
        parts.append("<ul>" + "".join(
            f"<li>{s.date}: <strong>{e(s.who)}</strong> ({e(s.role)}), {e(s.stance)} — {e(s.summary)} "
            f"<a href='{e(str(s.source_url), quote=True)}'>{e(s.source_name or 'source')}</a></li>"
            for s in data.statements) + "</ul>")
    else:
        parts.append("<p>No curated statements dated this week.</p>")
    parts.append("<h2>Alerts sent</h2>")
    parts.append("<ul>" + "".join(f"<li>{e(alert_line(a))}</li>" for a in data.alerts) + "</ul>"
                 if data.alerts else "<p>No alerts were sent for this week.</p>")
    parts.append("<h2>Methods</h2><ul class='note'>" + "".join(f"<li>{e(x)}</li>" for x in methods_lines(data))
                 + "</ul>")
    parts.append(f"<p class='note'>Generated by actorwatch at {data.generated_at:%Y-%m-%d %H:%M} UTC.</p></body></html>")
    return "\n".join(parts)


def _num(value: Any, spec: str) -> str:
    """`value` formatted with `spec`, or – where there is none (NaN: e.g. an event side with no collected day)."""
    return "–" if value is None or pd.isna(value) else format(value, spec)


def _signed_pct(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{value * 100:+.1f} pts"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|<>$~&])")  # $ math, ~ strike and & entities too (Streamlit renders them)


def md_escape(text: Any) -> str:
    """Escape Markdown and HTML markup in untrusted text (renderers treat it as literal characters)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def render_markdown(data: BriefData, images: dict[str, str] | None, image_note: str = "") -> str:
    t = data.tracker
    m = md_escape
    lines = [f"# {m(t.name_en)} · {m(t.name_zh)} — weekly brief {m(data.week)}", "",
             f"{data.start} to {data.end} ({m(zone_days())}) · [open in the dashboard](<{data.link}>)", ""]
    if data.kpis["synthetic_share"]:
        lines += ["> **This brief includes SYNTHETIC demo data: the posts are generated, not real.**", ""]
    lines += ["## The week in numbers", "", *[f"- {m(x)}" for x in summary_lines(data)], ""]
    for key, alt in figure_alts(data).items():
        if images and key in images:
            lines += [f"![{m(alt)}]({images[key]})", ""]
    if image_note:
        lines += [f"*{m(image_note)}*", ""]
    lines += ["## Peaks and what they were about", ""]
    if len(data.peaks):
        for row in data.peaks.to_dict(orient="records"):
            lines += [f"### {row['day']}: {int(row['value']):,} records (typical {row['baseline']:,.0f}{_began(row)})", "",
                      f"Top terms: {m(', '.join(row['top_terms']))}", ""]
            lines += [f"- \\[{m(r['source'])}\\] {m(r['author'] or '(unknown)')}: {m(r['text'])} (shares "
                      f"{r['shares'] if r['shares'] is not None else '–'})" for r in row["top_records"]]
            lines.append("")
    else:
        lines += [m(no_peak_text(data)), ""]
    lines += ["## Dated events", ""]
    if len(data.effects):
        lines += [f"| Date | Event | {EFFECT_HEADERS[0]} | {EFFECT_HEADERS[1]} |", "|---|---|---|---|"]
        for row in data.effects.to_dict(orient="records"):
            lines.append(f"| {row['date']} | {m(row['title'])} | {_num(row['volume_before'], '.0f')} → "
                         f"{_num(row['volume_after'], '.0f')} ({_num(row['volume_ci_lo'], '+.0f')} to "
                         f"{_num(row['volume_ci_hi'], '+.0f')}; p = {_num(row['volume_p'], '.2f')}) | "
                         f"{_share_of(row['neg_before'], row['neg_n_before'])} → "
                         f"{_share_of(row['neg_after'], row['neg_n_after'])} ({_signed_pct(row['neg_ci_lo'])} to "
                         f"{_signed_pct(row['neg_ci_hi'])}; p = {_num(row['neg_p'], '.2f')}) |")
        lines += ["", f"*{m(days_note())} {m(ASSOCIATION_NOTE)}*", ""]
    else:
        lines += ["No dated events of this tracker fall in this week.", ""]
    lines += ["## New statements", ""]
    lines += [f"- {s.date}: **{m(s.who)}** ({m(s.role)}), {m(s.stance)} — {m(s.summary)} ([source](<{s.source_url}>))"
              for s in data.statements] or ["No curated statements dated this week."]
    lines += ["", "## Alerts sent", ""]
    lines += [f"- {m(alert_line(a))}" for a in data.alerts] or ["No alerts were sent for this week."]
    lines += ["", "## Methods", "", *[f"- {m(x)}" for x in methods_lines(data)], "",
              f"*Generated by actorwatch at {data.generated_at:%Y-%m-%d %H:%M} UTC.*", ""]
    return "\n".join(lines)


def write_brief(store: Store, tracker: Tracker, week: str, out: Path, model_version: str | None = None,
                png: bool | None = None, now: datetime | None = None) -> Path:
    """Write the brief to `out` (.html: self-contained with interactive charts; .md: PNG charts beside it)."""
    suffix = out.suffix.lower()
    if suffix not in (".html", ".htm", ".md"):
        raise BriefError(f"{out}: the brief is written as .html or .md")
    data = gather(store, tracker, week, model_version, now)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".md":
        images, note = _write_pngs(data, out, chromium_path() is not None if png is None else png)
        body = render_markdown(data, images, note)
    else:
        body = render_html(data)
    atomic_write_text(out, body)
    return out


def png_footer(data: BriefData, key: str) -> list[str]:
    """What a brief's chart image says under it: its records and days, for sentiment the model's measured figure and
    the records scored (the image is pasted and shared without the brief)."""
    k = data.kpis
    source = (f"Source: actorwatch store, all sources, {data.start} to {data.end} ({zone_days()}), "
              f"n = {count_text(k['records'], 'record')} · {CREDIT} · weekly brief {data.week}")
    if key != "sentiment":
        return [source]
    return [f"{accuracy_line(data.model)} n = {count_text(k['scored'], 'scored record')}.", source]


def _write_pngs(data: BriefData, out: Path, enabled: bool) -> tuple[dict[str, str], str]:
    if not enabled:
        return {}, ("Charts are not embedded: PNG export needs Chromium (apt-get install chromium); the .html "
                    "brief has interactive charts.")
    folder = out.with_name(out.stem + "_files")
    folder.mkdir(exist_ok=True)
    images = {}
    try:
        for key, fig in data.figures.items():
            path = folder / f"{key}.png"
            footed, added = footed_figure(fig, png_footer(data, key), data.kpis["synthetic_share"])
            path.write_bytes(png_bytes(footed, width=900, height=360 + added, scale=1))
            images[key] = f"{folder.name}/{path.name}"
    except PngUnavailable as exc:  # the brief must still be written
        return {}, f"Charts could not be rendered as PNG ({exc}); see the .html brief."
    return images, ""
