"""Importers for saved Bilibili/GDELT/RSS/Bluesky/Mastodon responses, MediaCrawler Bilibili, 4CAT and price CSVs."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from collectors.importers import ImportFormatError, ImportIssue, detect, get_format
from collectors.ingest import ingest
from collectors.models import Record
from collectors.sources.gdelt import GdeltTimelinePoint
from collectors.sources.market import MarketPrice
from collectors.store import Store
from dashboard.cli import cli
from tests.other_sources_support import FIXTURES

DETECTED = {
    "bilibili/search_page1.json": "bilibili-json",
    "bilibili/replies_page1.json": "bilibili-json",
    "bilibili/error_352.json": "bilibili-json",
    "bilibili/view_detail.json": "bilibili-json",
    "gdelt/artlist.json": "gdelt-json",
    "gdelt/artlist_control_chars.json": "gdelt-json",
    "gdelt/timelinevolraw.json": "gdelt-json",
    "gdelt/timelinetone.json": "gdelt-json",
    "rss/google_news.xml": "rss-xml",
    "rss/atom.xml": "rss-xml",
    "rss/rss_generic.xml": "rss-xml",
    "bluesky/search_page1.json": "bluesky-json",
    "mastodon/tag_page1.json": "mastodon-json",
    "mediacrawler_bilibili/search_contents_2026-04-22.json": "mediacrawler-bilibili",
    "mediacrawler_bilibili/search_comments_2026-04-22.jsonl": "mediacrawler-bilibili",
    "mediacrawler_bilibili/search_contents_2026-04-22.csv": "mediacrawler-bilibili",
    "fourcat/bsky-search-AI-actress.csv": "4cat",
    "fourcat/forum-export.ndjson": "4cat",
    "market/stooq_acme_us.csv": "market-csv",
    "market/yahoo_style_ACME.csv": "market-csv",
    "market/with_ticker_column.csv": "market-csv",
}


@pytest.mark.parametrize("name, fmt", sorted(DETECTED.items()))
def test_auto_detection_picks_the_right_importer(name, fmt):
    assert detect(FIXTURES / name).name == fmt


@pytest.mark.parametrize("name", ["rss/not_a_feed.html", "gdelt/invalid_query.html", "market/stooq_no_data.txt",
                                  "bluesky/create_session.json"])
def test_non_data_files_match_no_format_and_the_error_lists_the_formats(name):
    with pytest.raises(ImportFormatError) as caught:
        detect(FIXTURES / name)
    assert "bilibili-json" in str(caught.value) and "4cat" in str(caught.value) and "market-csv" in str(caught.value)


def test_generic_native_files_are_not_claimed_by_the_specific_formats(tmp_path):
    native = tmp_path / "ours.jsonl"
    native.write_text(json.dumps({"source": "weibo", "id": "1", "kind": "post", "text": "x",
                                  "published_at": "2026-04-20T00:00:00Z", "collected_at": "2026-04-20T00:00:00Z"}) + "\n")
    assert detect(native).name == "jsonl"


def _read(name: str, fmt: str | None = None) -> tuple[list, list[ImportIssue]]:
    path = FIXTURES / name
    items = list((get_format(fmt) if fmt else detect(path)).read(path))
    return [i for i in items if not isinstance(i, ImportIssue)], [i for i in items if isinstance(i, ImportIssue)]


def test_saved_bilibili_bodies_import_like_a_live_collection():
    videos, issues = _read("bilibili/search_page1.json")
    assert [v.id for v in videos] == ["av1000000001", "av1000000002"] and not issues
    replies, _ = _read("bilibili/replies_page1.json")
    assert [r.id for r in replies] == ["5000000001", "5000000002", "5000000003"]  # pinned reply once
    detail, _ = _read("bilibili/view_detail.json")
    assert [d.id for d in detail] == ["av1000000004"]
    error, issues = _read("bilibili/error_352.json")
    assert not error and "code -352" in issues[0].message


def test_saved_gdelt_bodies_import_articles_and_timelines():
    articles, _ = _read("gdelt/artlist.json")
    assert len(articles) == 3 and all(isinstance(a, Record) and a.kind == "article" for a in articles)
    volume, _ = _read("gdelt/timelinevolraw.json")
    tone, _ = _read("gdelt/timelinetone.json")
    assert all(isinstance(p, GdeltTimelinePoint) for p in volume + tone)
    assert {p.mode for p in volume} == {"timelinevolraw"} and {p.mode for p in tone} == {"timelinetone"}
    assert volume[0].query == '"AI artist library"'  # from query_details.title


def test_saved_feeds_bluesky_and_mastodon():
    news, _ = _read("rss/google_news.xml")
    assert [n.author_name for n in news][:2] == ["Example Daily", "Sample Times"]
    generic, issues = _read("rss/rss_generic.xml")
    assert len(generic) == 1 and "published" in issues[0].message and issues[0].where == "rss_generic.xml[1]"
    posts, _ = _read("bluesky/search_page1.json")
    assert [p.kind for p in posts] == ["post", "comment", "post"]
    statuses, _ = _read("mastodon/tag_page1.json")
    assert statuses[0].author_name == "reader_one@example.social"


def test_mediacrawler_bilibili_exports_all_three_shapes():
    videos, issues = _read("mediacrawler_bilibili/search_contents_2026-04-22.json")
    assert [(v.id, v.kind, v.likes, v.comments) for v in videos] == [("av1000000001", "post", 880, 321),
                                                                      ("av1000000002", "post", None, 45)]
    assert videos[1].author_id == "3f2a9c0d1b" and videos[1].author_name == "测***乙"  # teaching edition
    assert videos[0].published_at == datetime(2026, 4, 20, 8, 0, tzinfo=UTC) and not issues
    comments, issues = _read("mediacrawler_bilibili/search_comments_2026-04-22.jsonl")
    assert [(c.id, c.parent_id) for c in comments] == [("5000000001", "av1000000001"), ("5000000003", "5000000002")]
    assert [i.where for i in issues] == ["search_comments_2026-04-22.jsonl:3", "search_comments_2026-04-22.jsonl:4"]
    rows, issues = _read("mediacrawler_bilibili/search_contents_2026-04-22.csv")
    assert [r.id for r in rows] == ["av1000000001", "av1000000002"]
    assert issues[0].where == "search_contents_2026-04-22.csv:4" and "create_time" in issues[0].message


def test_fourcat_csv_and_ndjson():
    posts, issues = _read("fourcat/bsky-search-AI-actress.csv")
    # Bluesky post uris as ids: stored as the Bluesky collector stores them, so a post from both is one record
    assert [(p.source, p.kind) for p in posts] == [("bluesky", "post"), ("bluesky", "comment")]
    assert posts[0].published_at == datetime(2025, 9, 30, 10, 0, tzinfo=UTC)  # unix timestamp
    assert posts[1].parent_id == posts[0].id and posts[0].likes == 3 and posts[1].likes is None
    assert posts[0].lang == "en" and posts[1].lang is None
    assert len(issues) == 1 and "timestamp" in issues[0].message
    forum, issues = _read("fourcat/forum-export.ndjson")
    assert forum[0].published_at == datetime(2025, 9, 30, 12, 0, tzinfo=UTC)  # "YYYY-MM-DD HH:MM:SS" (UTC)
    assert forum[0].title == "Discussion: AI performers" and forum[1].kind == "comment" and forum[1].likes == 3
    assert len(issues) == 1 and "empty" in issues[0].message


def test_fourcat_collected_at_comes_from_the_export(tmp_path: Path) -> None:
    """The importer stamped every 4CAT row with the file's modification time, ignoring the export's own
    collected_at; the export's value is now used where it is a readable date, the file's time otherwise."""
    import os

    posts, _ = _read("fourcat/bsky-search-AI-actress.csv")
    assert [p.collected_at for p in posts] == [datetime(2025, 10, 1, tzinfo=UTC)] * 2
    path = tmp_path / "export.csv"
    path.write_text("id,thread_id,body,author,timestamp,collected_at\n"
                    "a1,a1,one,x,1759226400,2025-10-02 08:30:00\n"
                    "a2,a2,two,x,1759226400,not a date\n"
                    "a3,a3,three,x,1759226400,\n"
                    "a4,a4,four,x,1759226400,1759400000\n", encoding="utf-8")
    saved = datetime(2025, 10, 5, 12, 0, tzinfo=UTC)
    os.utime(path, (saved.timestamp(), saved.timestamp()))
    rows = [r for r in detect(path).read(path) if not isinstance(r, ImportIssue)]
    assert [r.collected_at for r in rows] == [datetime(2025, 10, 2, 8, 30, tzinfo=UTC), saved, saved,
                                              datetime.fromtimestamp(1759400000, UTC)]


def test_price_csvs_take_the_ticker_from_a_column_or_the_file_name():
    bars, issues = _read("market/yahoo_style_ACME.csv")
    assert [(b.ticker, b.close, b.source) for b in bars] == [("ACME", 4.71, "csv"), ("ACME", 4.80, "csv")]
    assert issues[0].where == "yahoo_style_ACME.csv:4"  # the null row
    mixed, issues = _read("market/with_ticker_column.csv")
    assert [m.ticker for m in mixed] == ["ACME", "^IDX"] and "close" in issues[0].message
    stooq, _ = _read("market/stooq_acme_us.csv")
    assert {s.ticker for s in stooq} == {"ACME"} and all(isinstance(s, MarketPrice) for s in stooq)


def test_forced_format_that_does_not_fit_reports_instead_of_raising():
    items, issues = _read("rss/atom.xml", fmt="bluesky-json")
    assert not items and issues


def test_import_command_writes_records_and_datasets_idempotently(tmp_path, data_dir):
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("gdelt/timelinevolraw.json", "market/stooq_acme_us.csv", "bluesky/search_page1.json",
                 "mediacrawler_bilibili/search_contents_2026-04-22.json"):
        shutil.copy(FIXTURES / name, folder / Path(name).name)
    runner = CliRunner()
    first = runner.invoke(cli, ["import", str(folder)])
    assert first.exit_code == 0, first.output
    assert "5 new" in first.stderr and "dataset rows: 7 new" in first.stderr
    again = runner.invoke(cli, ["import", str(folder)])
    assert "0 new" in again.stderr and "dataset rows: 0 new, 0 updated, 7 duplicate" in again.stderr
    store = Store(data_dir)
    assert len(store.query("SELECT * FROM market_prices")) == 4 and len(store.query("SELECT * FROM gdelt_timeline")) == 3


def test_dry_run_prints_normalised_items_and_writes_nothing(data_dir):
    result = CliRunner().invoke(cli, ["import", str(FIXTURES / "fourcat/forum-export.ndjson"), "--dry-run"])
    assert result.exit_code == 0, result.output
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    assert [p["id"] for p in printed] == ["t3_fict01", "t1_fict02"] and printed[0]["source"] == "4cat"
    assert "forum-export.ndjson:3" in result.stderr and not Store(data_dir).files("records")


def test_ingesting_rejects_whole_rows_only(tmp_path):
    store = Store(tmp_path)
    path = FIXTURES / "market/with_ticker_column.csv"
    summary = ingest(get_format("market-csv").read(path), store)
    assert (summary.rows_new, summary.rejected) == (2, 1)
    assert len(store.query("SELECT * FROM market_prices")) == 2


def test_a_saved_gdelt_body_with_an_invalid_escape_imports_like_the_live_collection(tmp_path):
    body = (FIXTURES / "gdelt/artlist.json").read_text(encoding="utf-8").replace(
        '"AI performers ; unions', r'"AI performers\' union ; unions', 1)
    saved = tmp_path / "gdelt_artlist.json"
    saved.write_text(body, encoding="utf-8")
    items = list(detect(saved).read(saved))
    assert not [i for i in items if isinstance(i, ImportIssue)] and len(items) == 3
    assert "AI performers' union; unions respond (analysis)" in {i.title for i in items}
