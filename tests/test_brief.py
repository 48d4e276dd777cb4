"""The weekly brief: content, the planted peak explained, statements, alerts, methods, and escaping."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner

from analysis.core.filters import Filters
from analysis.reports.alerts.state import AlertState, save_state
from analysis.reports.brief import BriefError, parse_week, write_brief
from collectors.pseudonym import POLICY
from collectors.store import Store
from collectors.trackers import get_tracker
from dashboard.cli import cli
from tests.analytics_fixtures import add_scores, records_per_day

TRACKER = "iqiyi-nadou"
PEAK = date(2026, 4, 22)
EVIL = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def _store(data_dir, make_record) -> Store:
    store = Store(data_dir)
    quiet = records_per_day(make_record, {PEAK - timedelta(days=i): 40 for i in range(1, 30)}, trackers=[TRACKER],
                            text="日常讨论")
    spike = records_per_day(make_record, {PEAK: 90}, trackers=[TRACKER], text="演员工会 强烈抵制 AI艺人库", shares=2)
    spike.append(make_record(published_at=datetime(2026, 4, 22, 8, tzinfo=UTC), trackers=[TRACKER],
                             text=f"演员工会 {EVIL}", shares=900, author_id="9917023344", author_name="路人甲"))
    store.add_records(quiet + spike)
    labels = {(r.source, r.id): ("negative" if i % 5 == 0 else "neutral") for i, r in enumerate(quiet)}  # 20%
    labels.update({(r.source, r.id): ("negative" if i % 5 else "neutral") for i, r in enumerate(spike)})  # 80%
    add_scores(store, labels)
    save_state(AlertState(history=[{"id": "a1", "tracker": TRACKER, "day": "2026-04-22",
                                    "title": "Volume spike: <b>test</b>"},
                                   {"id": "a2", "tracker": TRACKER, "day": "2026-05-22", "title": "other week"}]))
    return store


def test_parse_week():
    assert parse_week("2026-W17") == (date(2026, 4, 20), date(2026, 4, 26))
    for bad in ("2026-17", "2026-W54", "W17"):
        with pytest.raises(BriefError):
            parse_week(bad)


def test_html_brief_explains_the_week_and_escapes_post_text(tmp_path, data_dir, make_record):
    _store(data_dir, make_record)
    out = tmp_path / "brief.html"
    result = CliRunner().invoke(cli, ["brief", "--tracker", TRACKER, "--week", "2026-W17", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "Weekly brief 2026-W17" in page and "2026-04-20 to 2026-04-26" in page
    assert "<h3>2026-04-22: 91 records (typical 40)</h3>" in page  # the planted peak, explained
    assert "The negative share jumped to 79% (95% CI 70%–86%) of 91 scored records on 2026-04-22 (typical 20%)." in page  # 72 of 91
    assert "changed level" not in page  # a one-day jump is not a change of level
    assert "工会" in page and "shares 900" in page
    assert "路人甲" not in page and "9917023344" not in page  # ordinary user pseudonymised
    assert EVIL not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "onerror=alert(1)>" not in page
    tracker = get_tracker(TRACKER)
    week = (date(2026, 4, 20), date(2026, 4, 26))
    dated_this_week = [st for st in tracker.statements if week[0] <= st.date <= week[1]]
    assert dated_this_week and len(dated_this_week) < len(tracker.statements)
    for st in tracker.statements:  # every curated statement dated this week, and none of another week
        assert (html.escape(st.summary)[:40] in page) == (st in dated_this_week)
    for event in tracker.events:  # every dated event this week, with its before/after difference
        if week[0] <= event.date <= week[1]:
            assert html.escape(event.title_en)[:40] in page
    assert "Association, not causation" in page
    # every share negative is shown with the count it is of: the week before's, and each event's before → after
    assert re.search(r"\(week before: 20% \(95% CI \d+%–\d+%\) of 280; change", page)
    # two shares side by side invite judging their difference by whether their intervals overlap (which is not a
    # test): the change is given as a difference, in percentage points, with its own (Newcombe) interval
    change = re.search(r"change ([+-]\d+) percentage points \(95% CI ([+-]\d+) to ([+-]\d+)\)", page)
    assert change and int(change[2]) <= int(change[1]) <= int(change[3])
    assert "<td>20% of 120 → 51% of 171 (" in page  # the 3 quiet days before the 22 April event, 40 a day
    assert "Volume spike: &lt;b&gt;test&lt;/b&gt;" in page and "other week" not in page
    assert POLICY[:60] in page and "Wilson 95%" in page
    assert page.count("plotly.js v") <= 2 and "Plotly.newPlot" in page  # charts embedded, plotly inlined once
    assert "cdn.plot.ly" not in page.split("Plotly.newPlot")[0][:2000]


def test_brief_and_alert_evidence_when_top_records_mix_links_and_none(tmp_path, data_dir, make_record):
    """Top records with and without a URL (or an author): missing ones are None, not NaN (which crashed the brief
    and made alert payloads invalid JSON)."""
    import json

    import pandas as pd

    from analysis.core.filters import Filters
    from analysis.stats.peaks import label_peaks

    store = _store(data_dir, make_record)
    store.add_records([make_record(published_at=datetime(2026, 4, 22, 10, tzinfo=UTC), trackers=[TRACKER],
                                   text="演员工会 转发", shares=700, url="https://weibo.com/1/abc")])
    page = write_brief(store, get_tracker(TRACKER), "2026-W17", tmp_path / "brief.html").read_text(encoding="utf-8")
    assert "href='https://weibo.com/" in page and ">nan<" not in page
    with store.connect(public_names=get_tracker(TRACKER).public_names()) as con:
        top = label_peaks(con, Filters(TRACKER), pd.DataFrame({"day": [PEAK]}), n_records=3)["top_records"][0]
    assert [r["url"] for r in top][:2] == [None, "https://weibo.com/1/abc"]
    json.dumps(top, allow_nan=False)  # what an alert's webhook sends


def test_html_brief_links_only_web_urls(tmp_path, data_dir, make_record):
    """A record's URL is untrusted: a `javascript:` link among a peak's top records must not become a live link."""
    store = _store(data_dir, make_record)
    store.add_records([make_record(published_at=datetime(2026, 4, 22, 9, tzinfo=UTC), trackers=[TRACKER],
                                   text="演员工会 声明", shares=800, url="javascript:alert(document.domain)"),
                       make_record(published_at=datetime(2026, 4, 22, 10, tzinfo=UTC), trackers=[TRACKER],
                                   text="演员工会 转发", shares=700, url="https://weibo.com/1/abc")])
    page = write_brief(store, get_tracker(TRACKER), "2026-W17", tmp_path / "brief.html").read_text(encoding="utf-8")
    assert "演员工会 声明" in page, "the record is among the top records"
    assert "href='javascript:" not in page.lower() and "javascript:alert" not in page
    assert "href='https://weibo.com/" in page, "web links stay links"


def test_markdown_brief_without_chromium_says_so(tmp_path, data_dir, make_record):
    store = _store(data_dir, make_record)
    out = write_brief(store, get_tracker(TRACKER), "2026-W17", tmp_path / "brief.md", png=False)
    text = out.read_text(encoding="utf-8")
    assert "PNG export needs Chromium" in text and "![" not in text
    assert "\\<script\\>" in text and "<script>" not in text
    assert "### 2026-04-22: 91 records (typical 40)" in text


@pytest.mark.browser
def test_markdown_brief_embeds_png_charts(tmp_path, data_dir, make_record, chromium):
    store = _store(data_dir, make_record)
    out = write_brief(store, get_tracker(TRACKER), "2026-W17", tmp_path / "brief.md", png=True)
    text = out.read_text(encoding="utf-8")
    assert "![Stacked bars of records per day by source, 2026-04-20 to 2026-04-26 (UTC): 171 records" in text
    assert "](brief_files/volume.png)" in text
    assert (tmp_path / "brief_files" / "volume.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_arguments_are_one_line(tmp_path, data_dir):
    result = CliRunner().invoke(cli, ["brief", "--tracker", TRACKER, "--week", "17", "--out", str(tmp_path / "b.html")])
    assert result.exit_code == 1 and "week must look like 2026-W17" in result.output
    result = CliRunner().invoke(cli, ["brief", "--tracker", TRACKER, "--week", "2026-W17", "--out", str(tmp_path / "b.pdf")])
    assert result.exit_code == 1 and ".html or .md" in result.output


def test_first_week_of_collection_has_no_made_up_peak(data_dir, make_record):
    # iqiyi-nadou is collected from 2026-04-10: the brief's 28 days of history before that are unknown, not days
    # with 0 records, so the first collected day (as busy as the next ones) is not a peak "against a typical 0"
    from analysis.reports.brief import gather

    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {date(2026, 4, 10) + timedelta(days=i): 40 for i in range(3)},
                                      trackers=[TRACKER]))
    data = gather(store, get_tracker(TRACKER), "2026-W15", now=datetime(2026, 4, 13, tzinfo=UTC))
    assert data.kpis["records"] == 120
    assert data.peaks.empty


def test_event_before_collection_is_shown_as_unknown_not_nan(tmp_path, data_dir, make_record):
    # tilly-norwood is collected from 2025-09-17; its 2025-07-30 event has no collected day on either side
    from analysis.reports.brief import gather, render_html, render_markdown

    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {date(2025, 9, 20): 5}, trackers=["tilly-norwood"]))
    data = gather(store, get_tracker("tilly-norwood"), "2025-W31", now=datetime(2025, 10, 1, tzinfo=UTC))
    assert list(data.effects["date"]) == [date(2025, 7, 30)]
    for text in (render_html(data), render_markdown(data, None)):
        events = text[text.index("Dated events"):]  # (the HTML's embedded chart script says NaN too)
        assert "nan" not in events.lower() and "– → – (– to –" in events


def test_change_on_a_partly_collected_week_before_is_per_collected_day(data_dir, make_record):
    # iqiyi-nadou is collected from 2026-04-10 (a Friday): W15 has three collected days, W16 seven. 10 records a day
    # throughout is no change, not "+133% on the week before"; a week before collection was not "no records"
    from analysis.reports.brief import gather, summary_lines

    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {date(2026, 4, 10) + timedelta(days=i): 10 for i in range(10)},
                                      trackers=[TRACKER]))
    headline = summary_lines(gather(store, get_tracker(TRACKER), "2026-W16", now=datetime(2026, 4, 20, tzinfo=UTC)))[0]
    assert "70 records" in headline and "+0% per collected day on the week before (30 in 3 collected days)" in headline
    first = summary_lines(gather(store, get_tracker(TRACKER), "2026-W15", now=datetime(2026, 4, 20, tzinfo=UTC)))[0]
    assert "the week before was not collected" in first and "no records" not in first


def test_week_outside_the_collection_window_is_unknown_not_zero(data_dir, make_record):
    """A brief for a week the tracker never collected said "0 records from 0 authors" and "No sentiment scores for
    this week (run `actorwatch enrich`)", advice that cannot help: the week is unknown, and says so now."""
    from analysis.reports.brief import gather, summary_lines

    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {date(2026, 4, 20): 10}, trackers=[TRACKER]))
    outside = summary_lines(gather(store, get_tracker(TRACKER), "2026-W40", now=datetime(2026, 10, 5, tzinfo=UTC)))
    assert "outside the tracker's collection window" in outside[0] and "unknown, not zero" in outside[0]
    assert not any("enrich" in line or "0 records" in line for line in outside)
    # inside the window, a week with no records says so, without sending the reader to `enrich` (after the last
    # stored record, it sends them to collect or import)
    empty = summary_lines(gather(store, get_tracker(TRACKER), "2026-W20", now=datetime(2026, 5, 18, tzinfo=UTC)))
    assert empty[0].startswith("No records are stored") and not any("enrich" in line for line in empty)


def test_both_renderings_give_the_event_differences_with_their_p_values(data_dir, make_record):
    """The Markdown brief's event table headed its difference intervals "(95% CI)", as if of the after value, and
    left out the permutation p-values the methods name (the HTML showed the records' p only); both now label the
    intervals as of the difference and give both p-values."""
    from analysis.reports.brief import gather, render_html, render_markdown

    store = Store(data_dir)
    records = records_per_day(make_record, {date(2026, 4, 14) + timedelta(days=i): 10 + 20 * (i >= 6)
                                            for i in range(10)}, trackers=[TRACKER])
    store.add_records(records)
    add_scores(store, {(r.source, r.id): ("negative" if i % 3 == 0 else "neutral") for i, r in enumerate(records)})
    data = gather(store, get_tracker(TRACKER), "2026-W17", now=datetime(2026, 4, 27, tzinfo=UTC))
    for text in (render_html(data), render_markdown(data, None)):
        events = text[text.index("Dated events"):text.index("New statements")]
        assert events.count("95% CI of the difference; p") == 2
        rows = [line for line in events.splitlines() if "2026-04-20" in line] or [events]
        assert rows[0].count("p = ") == 2


def test_event_windows_say_they_are_utc_days(data_dir, make_record):
    # iqiyi-nadou's events are dated by the Beijing day, but before/after split at UTC midnight: the first 8 hours of
    # the event day count as "before". Not re-engineered yet; every place showing the effect numbers says so
    from analysis.reports.brief import gather, render_html, render_markdown
    from dashboard.charts import registry
    from dashboard.charts.registry import View

    store = _store(data_dir, make_record)
    data = gather(store, get_tracker(TRACKER), "2026-W17", now=datetime(2026, 5, 1, tzinfo=UTC))
    assert len(data.effects)
    said = "the first 8 hours of the event day fall on the UTC day before"
    for text in (render_html(data), render_markdown(data, None)):
        events = text[text.index("Dated events"):]
        assert said in events and "Beijing (UTC+8)" in events
    with store.connect() as con:
        package = registry.build("timeline-effects", con, View(Filters.for_tracker(get_tracker(TRACKER))), {})
    assert said in package.alt and said in package.notes


def test_alert_whose_delivery_failed_is_not_said_to_be_sent(tmp_path, data_dir, make_record):
    # the alerter remembers an alert before delivering it; one whose webhook failed waits in `pending` for the next
    # run: the brief must not tell the reader it went out
    store = _store(data_dir, make_record)
    alert = {"id": "a1", "tracker": TRACKER, "day": "2026-04-22", "title": "Volume spike: 91 records"}
    save_state(AlertState(history=[alert], pending=[{"alert": alert, "channels": ["webhook"]}]))
    text = write_brief(store, get_tracker(TRACKER), "2026-W17", tmp_path / "brief.md", png=False).read_text("utf-8")
    page = write_brief(store, get_tracker(TRACKER), "2026-W17", tmp_path / "brief.html").read_text("utf-8")
    for body in (text, page):
        assert "Volume spike: 91 records (not yet delivered to webhook: retried on the next alerts run)" in body


def test_brief_of_the_week_in_progress_compares_per_collected_day_and_says_it_is_not_over(data_dir, make_record):
    # a brief for the current week counted its first days against the whole week before: 10 records a day
    # throughout read as "-64% on the week before" on a Wednesday at noon
    from analysis.reports.brief import gather, summary_lines

    store = Store(data_dir)
    days = {date(2026, 4, 27) + timedelta(days=i): 10 for i in range(9)}  # W18 whole, Mon-Tue of W19
    days[date(2026, 5, 6)] = 5  # Wednesday until noon
    store.add_records(records_per_day(make_record, days, trackers=[TRACKER]))
    lines = summary_lines(gather(store, get_tracker(TRACKER), "2026-W19", now=datetime(2026, 5, 6, 12, tzinfo=UTC)))
    assert lines[0].startswith("25 records") and "+0% per collected day on the week before (70 in 7 collected days)" in lines[0]
    assert "This week is not over: its figures are to 2026-05-06 12:00 UTC." in lines


def test_brief_names_the_store_state_and_software_it_was_computed_from(tmp_path, data_dir, make_record):
    # a figure quoted from a brief must be traceable to the data it came from, as an export's is: the same store
    # signature as the export manifest (and the dashboard's Methods page), and the software version
    from analysis.core.labels import LABELS
    from analysis.reports.brief import gather, render_html, render_markdown
    from analysis.reports.export import export_bundle, software_version

    store = _store(data_dir, make_record)
    tracker = get_tracker(TRACKER)
    data = gather(store, tracker, "2026-W17", now=datetime(2026, 5, 1, tzinfo=UTC))
    manifest = export_bundle(store, tracker, Filters(TRACKER, date(2026, 4, 20), date(2026, 4, 26)), tmp_path / "x").manifest
    signature = store.signature(skip=(LABELS,))
    assert manifest["store"]["signature"] == signature
    version = software_version()
    for text in (render_html(data), render_markdown(data, None)):
        methods = text[text.index("Methods"):]
        assert signature in methods
        assert f"actorwatch {version['version']}" in methods
        if version["git_sha"]:
            assert version["git_sha"][:12] in methods


def test_a_week_of_mostly_synthetic_records_is_not_called_all_synthetic(data_dir, make_record):
    # 2 real posts among 600 generated ones: "100% of these records are SYNTHETIC" would tell a reader the real ones
    # are not there; the dashboard's banner and credit lines say "over 99%" (analysis.core.wording.share_text)
    from analysis.reports.brief import gather, summary_lines

    store = Store(data_dir)
    demo = records_per_day(make_record, {date(2026, 4, 20) + timedelta(days=i): 100 for i in range(6)},
                           trackers=[TRACKER])
    real = records_per_day(make_record, {date(2026, 4, 26): 2}, trackers=[TRACKER])
    store.add_records([r.model_copy(update={"synthetic": True, "id": f"demo-{r.id}"}) for r in demo] + real)
    data = gather(store, get_tracker(TRACKER), "2026-W17", now=datetime(2026, 5, 1, tzinfo=UTC))
    said = " ".join(summary_lines(data))
    assert "100% of these records are SYNTHETIC" not in said
    assert "over 99% of these records are SYNTHETIC" in said


def test_the_markdown_brief_s_pngs_carry_their_source_days_n_model_figure_and_synthetic_mark(
        tmp_path, data_dir, make_record, monkeypatch):
    """The Markdown brief's chart images travel alone (pasted into a story or a chat); they carried only a title:
    no credit or source, no n, no model figure under the sentiment chart and no mark on synthetic demo data."""
    from analysis.reports import brief
    from analysis.reports.png import SYNTHETIC_MARK

    drawn = {}

    def fake_png(fig, width=900, height=360, scale=1.0):
        drawn[len(drawn)] = (fig, height)
        return b"\x89PNG\r\n\x1a\n"

    monkeypatch.setattr(brief, "png_bytes", fake_png)
    store = Store(data_dir)
    demo = records_per_day(make_record, {date(2026, 4, 20) + timedelta(days=i): 10 for i in range(5)},
                           trackers=[TRACKER], synthetic=True)
    store.add_records(demo)
    add_scores(store, {(r.source, r.id): "negative" if i % 2 else "neutral" for i, r in enumerate(demo)})
    write_brief(store, get_tracker(TRACKER), "2026-W17", tmp_path / "brief.md", png=True,
                now=datetime(2026, 5, 1, tzinfo=UTC))
    assert len(drawn) == 2
    for fig, height in drawn.values():
        notes = [a.text for a in fig.layout.annotations]
        assert SYNTHETIC_MARK in notes, notes
        footer = html.unescape(notes[-1])
        assert footer.startswith(f"<b>{SYNTHETIC_MARK}"), footer
        assert "2026-04-20 to 2026-04-26 (UTC)" in footer and "n = 50 records" in footer, footer
        assert "actorwatch" in footer and height > 360
    sentiment_footer = html.unescape(drawn[1][0].layout.annotations[-1].text).replace("<br>", " ")
    assert "Sentiment by" in sentiment_footer and "n = 50 scored records" in sentiment_footer, sentiment_footer


def test_the_brief_s_chart_descriptions_give_the_key_numbers(tmp_path, data_dir, make_record):
    """A screen reader heard 'Stacked bars of records per day by source.' (HTML) and 'Records per day by source'
    (Markdown alt text): the chart's shape, none of its numbers. The descriptions now say them."""
    from analysis.reports.brief import gather, render_html, render_markdown

    store = _store(data_dir, make_record)
    data = gather(store, get_tracker(TRACKER), "2026-W17", now=datetime(2026, 5, 1, tzinfo=UTC))
    page = html.unescape(render_html(data))
    volume = ("Stacked bars of records per day by source, 2026-04-20 to 2026-04-26 (UTC): 171 records; the busiest "
              "day was 2026-04-22 with 91.")
    sentiment = "negative: 51% (95% CI 44%–59%) of 171 scored records"
    assert f"aria-label='{volume}" in page and sentiment in page.split("<figure")[2]
    assert "highest 2026-04-22 at 79% of 91" in page
    markdown = render_markdown(data, {"volume": "v.png", "sentiment": "s.png"})
    assert "![Stacked bars of records per day by source, 2026-04-20 to 2026-04-26 (UTC): 171 records" in markdown


def test_the_brief_s_volume_bars_keep_each_source_s_colour_and_pattern(data_dir, make_record):
    """The brief coloured its stacked bars by the sources' alphabetical order (weibo was blue there, vermillion on the
    dashboard) and by colour alone; they now take the dashboard's colour and fill pattern of each source."""
    from analysis.reports.brief import gather
    from dashboard.charts.style import SOURCE_COLOURS, SOURCE_PATTERNS

    store = Store(data_dir)
    day = {date(2026, 4, 21): 5}
    weibo = records_per_day(make_record, day, trackers=[TRACKER])
    store.add_records(weibo + [r.model_copy(update={"source": "bilibili", "id": f"b{r.id}"}) for r in weibo])
    data = gather(store, get_tracker(TRACKER), "2026-W17", now=datetime(2026, 5, 1, tzinfo=UTC))
    bars = {t.name: t for t in data.figures["volume"].data}
    assert set(bars) == {"weibo", "bilibili"}
    for source, bar in bars.items():
        assert bar.marker.color == SOURCE_COLOURS[source]
        assert (bar.marker.pattern.shape or "") == SOURCE_PATTERNS[source]
    # drawn on white, the background the palette's 3:1 contrast is measured against (not plotly's #E5ECF6)
    for fig in data.figures.values():
        assert fig.layout.template.layout.plot_bgcolor == "white"


def test_a_week_the_year_does_not_have_says_how_many_it_has():
    """`--week 2025-W53` said "2025-W53: Invalid week: 53" (Python's words, no way on); it now says how many ISO
    weeks the year has."""
    with pytest.raises(BriefError, match="2025-W53: 2025 has 52 ISO weeks"):
        parse_week("2025-W53")
    assert parse_week("2026-W53")[0] == date(2026, 12, 28)  # 2026 has 53
    with pytest.raises(BriefError, match="2026-W00: 2026 has 53 ISO weeks .W01 to W53."):
        parse_week("2026-W00")


def test_a_storm_across_the_weekend_is_the_peak_of_one_brief_as_on_the_dashboard(data_dir, make_record):
    """A storm rising on Sunday (40) to its height on Monday (100): the brief of the week ending that Sunday cut the
    run at its last day and called Sunday a peak, which the dashboard, over the same days, does not label (the run's
    best day is after them), and the next week's brief gave the same storm its Monday peak again."""
    from analysis.reports.brief import gather
    from dashboard.charts.overview import peak_labels

    counts = {date(2026, 4, 10) + timedelta(days=i): 10 for i in range(9)}
    counts.update({date(2026, 4, 19): 40, date(2026, 4, 20): 100, date(2026, 4, 21): 60, date(2026, 4, 22): 30,
                   date(2026, 4, 23): 15, date(2026, 4, 24): 10})
    store = Store(data_dir)
    store.add_records(records_per_day(make_record, counts, trackers=[TRACKER]))
    tracker, now, peaks = get_tracker(TRACKER), datetime(2026, 4, 27, tzinfo=UTC), {}
    for week in ("2026-W16", "2026-W17"):
        data = gather(store, tracker, week, now=now)
        with store.connect() as con:
            shown = peak_labels(con, Filters(TRACKER, data.start, data.end), tracker)
        assert list(data.peaks.get("day", [])) == list(shown["day"]), week  # no peak: a frame without columns
        peaks[week] = list(shown["day"])
    assert peaks == {"2026-W16": [], "2026-W17": [date(2026, 4, 20)]}


def test_a_restarted_collector_is_no_peak_or_jump_in_the_brief_nor_on_the_dashboard(data_dir, make_record):
    """Weibo's collector stopped for 15-19 April and was restarted on Monday the 20th: the brief of that week (and the
    dashboard's volume chart) called the 20th a peak, its usual Weibo posts against the news-only days, and a jump in
    the negative share, as the alerts did."""
    from analysis.reports.brief import gather
    from dashboard.charts.overview import peak_labels

    store, labels = Store(data_dir), {}
    for i in range(17):
        day = date(2026, 4, 10) + timedelta(days=i)
        news = records_per_day(make_record, {day: 30}, trackers=[TRACKER], source="rss")
        weibo = [] if 5 <= i <= 9 else records_per_day(make_record, {day: 40}, trackers=[TRACKER])
        labels.update({(r.source, r.id): "neutral" for r in news})
        labels.update({(r.source, r.id): "negative" if j % 5 < 3 else "neutral" for j, r in enumerate(weibo)})
        store.add_records(news + weibo)
    add_scores(store, labels)
    tracker = get_tracker(TRACKER)
    data = gather(store, tracker, "2026-W17", now=datetime(2026, 4, 27, tzinfo=UTC))
    assert data.peaks.empty and data.jumps.empty
    with store.connect() as con:
        assert peak_labels(con, Filters(TRACKER, data.start, data.end), tracker).empty


def test_a_week_whose_days_could_not_be_judged_is_not_called_calm(tmp_path, data_dir, make_record):
    """The first week of collection (no days before it to compare with) said "No day this week stood out from the
    weeks before", as did a week with nothing stored: a union reads that as a calm week, though no day was judged."""
    from analysis.reports.brief import gather, no_peak_text

    store = Store(data_dir)
    store.add_records(records_per_day(make_record, {date(2026, 4, 10) + timedelta(days=i): 40 for i in range(10)},
                                      trackers=[TRACKER]))
    tracker, now = get_tracker(TRACKER), datetime(2026, 4, 27, tzinfo=UTC)
    first = gather(store, tracker, "2026-W15", now=now)  # 10-12 April stored, none of them after 3 collected days
    assert first.judged_days == 0
    path = write_brief(store, tracker, "2026-W15", tmp_path / "b.html")
    assert "No day of this week could be judged for a peak (a day is judged against at least 3 collected days" \
        in path.read_text(encoding="utf-8")
    second = gather(store, tracker, "2026-W16", now=now)  # 13-19 April, each after 3 or more collected days
    assert second.judged_days == 7 and no_peak_text(second) == "No day this week stood out from the weeks before."
    empty = gather(store, tracker, "2026-W18", now=now)  # nothing stored after 19 April
    assert empty.judged_days == 0 and no_peak_text(empty).startswith("No day of this week could be judged")


def test_a_week_a_source_was_not_collected_does_not_read_as_a_drop(data_dir, make_record):
    """Weibo's collector stopped for five days of the week: the brief said "-50% on the week before", a drop in
    posting to its reader, with no word that Weibo was not collected on those days."""
    from analysis.reports.brief import gather, summary_lines

    store = Store(data_dir)
    for i in range(17):
        day = date(2026, 4, 10) + timedelta(days=i)
        store.add_records(records_per_day(make_record, {day: 30}, trackers=[TRACKER], source="rss")
                          + ([] if 5 <= i <= 9 else records_per_day(make_record, {day: 40}, trackers=[TRACKER])))
    data = gather(store, get_tracker(TRACKER), "2026-W16", now=datetime(2026, 4, 27, tzinfo=UTC))
    lines = summary_lines(data)
    assert lines[1] == ("A source that collects every day was not collected on 2026-04-15, 2026-04-16, 2026-04-17, "
                        "2026-04-18, 2026-04-19: the volumes and their change count only what was collected, so they "
                        "are too low on those days.")
    calm = gather(store, get_tracker(TRACKER), "2026-W18", now=datetime(2026, 5, 4, tzinfo=UTC))
    assert not calm.uncollected
