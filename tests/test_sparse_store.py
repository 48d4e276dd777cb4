"""A real user's first store: a few hundred records from one 4CAT export over 3 days, many without author,
language or likes, never enriched."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from collectors.store import Store
from collectors.trackers import public_names
from dashboard.cli import cli

TRACKER = "tilly-norwood"
PHRASES = ["AI actress is wrong", "Tilly Norwood signing with agency", "performers deserve consent",
           "I like the idea honestly", "SAG-AFTRA condemns it", "meh"]
COLUMNS = ["id", "thread_id", "created_at", "author", "author_id", "body", "link", "like_count", "reply_count",
           "repost_count", "quote_count", "languages", "collected_at", "query", "timestamp"]


def write_export(path: Path, n: int = 300, days: int = 3) -> Path:
    """A fictional 4CAT Bluesky export: a third without author, half without likes, three quarters without lang."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for i in range(n):
            author = "" if i % 3 == 0 else f"reader{i % 40}.example.test"
            post = f"at://did:plc:fict/app.bsky.feed.post/3k{i:05d}"
            writer.writerow([post, post, f"2025-09-{28 + i % days:02d}T{i * 7 % 24:02d}:{i * 13 % 60:02d}:00+00:00",
                             author, f"did:plc:fict{i % 40:04d}" if author else "", f"{PHRASES[i % 6]} #{i}",
                             f"https://bsky.example.test/post/3k{i:05d}", "" if i % 2 else str(i % 9), "", "", "",
                             "" if i % 4 else "en", "2025-10-02T00:00:00", "AI actress", ""])
    return path


@pytest.fixture
def sparse(isolated_data_dir: Path, tmp_path: Path) -> Path:
    result = CliRunner().invoke(cli, ["import", str(write_export(tmp_path / "export.csv")), "--tracker", TRACKER])
    assert result.exit_code == 0 and "300 new" in result.stderr, result.output
    return isolated_data_dir


def test_badges_of_an_unenriched_store_quote_no_model_figure_and_say_to_enrich(sparse: Path) -> None:
    """Nothing was scored or annotated, yet the stance and emotion badges quoted their shipped models' macro-F1
    beside empty charts, and sentiment's said 'no model card found' / 'Sentiment by unknown model' as if a card
    were missing; each now says nothing is scored yet and to run `actorwatch enrich`."""
    from dashboard.model_info import model_summary

    with Store(sparse).connect(public_names=public_names()) as con:
        summary = model_summary(con, TRACKER)
    for task in ("sentiment", "stance", "emotion"):
        text = summary["badges"][task]["text"]
        assert "actorwatch enrich" in text and "macro-F1" not in text and "no model card" not in text, text
    assert "actorwatch enrich" in summary["accuracy_note"] and "unknown model" not in summary["accuracy_note"]


def test_brief_compares_weeks_by_the_days_the_store_holds(sparse: Path) -> None:
    """The export covers 28-30 September: the brief of 29 Sep-5 Oct said '+100% on the week before (100)', the week
    before being one stored day and six days before the export began; it now compares per day the store holds."""
    from analysis.reports.brief import gather, summary_lines
    from collectors.trackers import get_tracker

    data = gather(Store(sparse), get_tracker(TRACKER), "2025-W40")
    assert data.collected_days == (2, 1)
    line = summary_lines(data)[0]
    assert line.startswith("200 records") and "+0% per collected day on the week before (100 in 1 collected day)" in line


def test_share_of_voice_of_a_tracker_without_records_is_an_empty_state(sparse: Path) -> None:
    """A tracker the first import did not reach drew an empty stacked area with a legend of six entities, and its
    alt text read 'shares of all the tracker's 0 mentions of entities: Baidu 0%, iQIYI 0%, …'."""
    from analysis.core.filters import Filters
    from collectors.trackers import get_tracker
    from dashboard.charts import registry
    from dashboard.charts.registry import View

    with Store(sparse).connect(public_names=public_names()) as con:
        package = registry.build("compare-share", con, View(Filters.for_tracker(get_tracker("iqiyi-nadou"))), {})
    assert "0%" not in package.alt and "no mentions" in package.alt
    assert not package.fig.data and "No records in the selected range mention" in package.fig.layout.annotations[0].text


def test_share_of_voice_whose_drawn_entities_have_no_mention_is_an_empty_state(sparse: Path) -> None:
    """Seven imported posts mention only entities of types not drawn: the chart stacked eight entities at 0% and its
    alt text listed six of them at '0%' of the tracker's 3 mentions."""
    import pandas as pd

    from dashboard.charts.compare import share_alt, share_chart

    df = pd.DataFrame({"day": ["2026-04-20", "2026-04-20"], "entity": ["Baidu", "iQIYI"], "mentions": [0, 0],
                       "share": [0.0, 0.0]})
    df.attrs["mentions_all"] = 3
    assert not share_chart(df, "t").data and "no mentions" in share_alt(df, "case")


def test_overview_of_a_tracker_without_records_says_how_to_get_some(sparse: Path) -> None:
    """A tracker no import reached showed 'No records in the selected range.' and nothing else, as if other dates
    would help; the Overview now says how to collect, import or try the demo."""
    from tests.test_dashboard_pages import open_page

    said = " ".join(i.value for i in open_page("overview", {"tracker": "iqiyi-nadou"}).info)
    assert "actorwatch collect" in said and "actorwatch import" in said and "actorwatch demo" in said, said
    assert not open_page("overview", {"tracker": TRACKER}).info  # the imported tracker has records


def test_overview_of_a_fresh_install_says_how_to_get_records(isolated_data_dir: Path) -> None:
    from tests.test_dashboard_pages import open_page

    said = " ".join(i.value for i in open_page("overview").info)
    assert "actorwatch import" in said and "actorwatch demo" in said, said


def test_the_first_day_of_an_import_is_no_volume_peak_and_no_alert(sparse: Path) -> None:
    """The 7 days before the export's first day were never collected, yet counted as a baseline of 0: the first day
    was a 'detected peak' on the Overview and in the brief, and `alerts run` raised a volume spike for it."""
    from analysis.core.filters import Filters
    from analysis.reports.brief import gather
    from collectors.trackers import get_tracker
    from dashboard.charts import registry
    from dashboard.charts.registry import View

    tracker = get_tracker(TRACKER)
    with Store(sparse).connect(public_names=public_names()) as con:
        package = registry.build("overview-volume", con, View(Filters.for_tracker(tracker)), {})
    assert "peak" not in package.alt.lower(), package.alt
    assert gather(Store(sparse), tracker, "2025-W39").peaks.empty
    result = CliRunner().invoke(cli, ["alerts", "run", "--dry-run", "--as-of", "2025-09-28"])
    assert result.exit_code == 0 and "0 new alert(s)" in result.output, result.output


def test_brief_of_a_week_the_store_holds_nothing_for_says_what_to_do(sparse: Path) -> None:
    """A tracker the import did not reach read '0 records from 0 authors, the week before was not collected.'"""
    from analysis.reports.brief import gather, summary_lines
    from collectors.trackers import get_tracker

    lines = summary_lines(gather(Store(sparse), get_tracker("iqiyi-nadou"), "2026-W17"))
    assert "0 records" not in lines[0] and "actorwatch import" in lines[0] and "actorwatch collect" in lines[0], lines


@pytest.mark.parametrize("page", ["timeline", "voices"])
def test_did_it_trend_without_hot_search_data_says_it_is_unknown(sparse: Path, page: str) -> None:
    """With no hot-search data at all, 'No trending topic in the store matches these events' read as if the events
    had been checked and had not trended; it now says the store holds no hot-search data and how to add some."""
    from tests.test_dashboard_pages import open_page

    said = " ".join(c.value for c in open_page(page, {"tracker": TRACKER}).caption)
    assert "No trending topic in the store matches" not in said
    assert "no Weibo hot-search data" in said and "weibo-hot-archive" in said, said


def test_frames_alt_text_counts_one_record_in_the_singular() -> None:
    """'Consent and authorisation (1 records)' on a seven-record first import."""
    import pandas as pd

    from dashboard.charts.topics import frames_alt

    df = pd.DataFrame({"period": ["2026-04-20"] * 2, "frame": ["consent", "likeness"], "records": [1, 3],
                       "n": [7, 7], "share": [1 / 7, 3 / 7]})
    text = frames_alt(df, {"consent": "Consent", "likeness": "Likeness"}, "case")
    assert "Consent (1 record)" in text and "Likeness (3 records)" in text, text
