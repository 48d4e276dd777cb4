"""RSS/Atom and Google News feeds: mapping on fixtures, feed URLs, windows and errors (no network)."""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime

import pytest

from collectors.base import ParseError, Query, run_collection
from collectors.sources.rss import RssCollector, feed_items, feed_record, google_news_url
from collectors.store import Store
from tests.other_sources_support import COLLECTED, Script, fixture_text, make, respond

GOOGLE = "/rss/search"


def _records(name: str, url: str = ""):
    return [feed_record(item, COLLECTED, "case-b") for item in feed_items(fixture_text(name), url)]


def test_google_news_keeps_the_outlet_and_drops_its_title_suffix():
    first, cluster, old = _records("rss/google_news.xml", "https://news.google.com/rss/search?q=x")
    assert first.title == "Streaming platform's AI artist library draws criticism"
    assert first.author_name == "Example Daily" and first.kind == "article" and first.lang == "en"
    assert first.url.startswith("https://news.google.com/rss/articles/")  # a redirect, not the publisher's URL
    assert first.id == "CBMiFWh0dHBzOi8vZXhhbXBsZS5jb20vYdIBAA"
    assert first.published_at == datetime(2026, 4, 21, 8, 30, tzinfo=UTC)
    assert first.text == "" and cluster.text == ""  # descriptions only repeat headlines/outlets
    assert cluster.author_name == "Sample Times" and old.published_at.month == 2


def test_saved_google_feed_is_recognised_from_its_channel_link():
    assert _records("rss/google_news.xml")[0].text == ""


def test_atom_uses_updated_when_published_is_missing():
    union, update = _records("rss/atom.xml")
    assert union.published_at == datetime(2026, 4, 22, 9, 30, tzinfo=UTC)  # +01:00 -> UTC
    assert union.text == "A fictional summary about AI performers & consent."
    assert union.author_name == "Example Culture Desk" and union.url == "https://culture.example.com/2026/04/22/union-ai"
    assert update.published_at == datetime(2026, 4, 23, 8, 0, tzinfo=UTC)


def test_rss_with_offset_dates_and_an_undated_item():
    items = feed_items(fixture_text("rss/rss_generic.xml"))
    record = feed_record(items[0], COLLECTED)
    assert record.published_at == datetime(2026, 4, 21, 8, 0, tzinfo=UTC) and record.lang == "zh"
    assert record.text == "虚构的新闻摘要\n第二行"
    with pytest.raises(ParseError, match="published"):
        feed_record(items[1], COLLECTED)


def test_html_is_not_a_feed():
    with pytest.raises(ParseError, match="not an RSS/Atom feed"):
        feed_items(fixture_text("rss/not_a_feed.html"))


def test_google_news_url_by_language_and_window():
    en = urllib.parse.parse_qs(urllib.parse.urlsplit(google_news_url("Tilly Norwood", datetime(2025, 9, 27),
                                                                     datetime(2025, 10, 6))).query)
    assert en["q"] == ["Tilly Norwood after:2025-09-27 before:2025-10-06"] and en["ceid"] == ["US:en"]
    zh = urllib.parse.parse_qs(urllib.parse.urlsplit(google_news_url("爱奇艺 AI艺人库")).query)
    assert zh["hl"] == ["zh-CN"] and zh["q"] == ["爱奇艺 AI艺人库"]


def test_fetch_each_term_once_and_filter_the_window(tmp_path):
    script = Script({GOOGLE: [respond(200, fixture_text("rss/google_news.xml"), content_type="application/rss+xml")],
                     "/feed.xml": [respond(200, fixture_text("rss/atom.xml"), content_type="application/atom+xml")]})
    query = Query("case-a", ("AI artist library", "https://culture.example.com/feed.xml"),
                  since=datetime(2026, 4, 17, tzinfo=UTC), until=datetime(2026, 4, 27, tzinfo=UTC))
    pages = list(make(RssCollector, script).fetch(query))
    assert [len(p.items) for p in pages] == [2, 2]  # the February item is outside the window
    assert pages[0].cursor == {"term": 1} and pages[1].cursor is None
    assert script.requests[1].url.host == "culture.example.com"
    summary = run_collection(make(RssCollector, script), query, Store(tmp_path), resume=False)
    assert summary.ingest.records_new == 4


def test_refusal_stops_and_html_is_an_error(tmp_path):
    forbidden = Script({GOOGLE: [respond(403, fixture_text("rss/not_a_feed.html"), content_type="text/html")]})
    summary = run_collection(make(RssCollector, forbidden), Query("case-a", ("x",)), Store(tmp_path))
    assert summary.stopped and "HTTP 403" in summary.stopped
    html = Script({GOOGLE: [respond(200, fixture_text("rss/not_a_feed.html"), content_type="text/html")]})
    summary = run_collection(make(RssCollector, html), Query("case-a", ("y",)), Store(tmp_path))
    assert summary.errors and "not an RSS/Atom feed" in summary.errors[0]


def test_a_feed_with_a_comment_or_tracker_after_its_closing_tag_is_complete(tmp_path):
    # Cache plugins (W3 Total Cache, Comet Cache) and site trackers append comments or scripts after </rss>:
    # the feed is whole, so it is read, not retried as truncated until the run stops.
    tail = ("\n<!--\nPerformance optimized by a cache plugin\n" + "Page Caching using Disk: Enhanced\n" * 12
            + "Served from: culture.example.com @ 2026-04-25 12:00:00 by the cache plugin\n-->\n"
            + "<script>var _paq = [];</script>\n")
    body = fixture_text("rss/atom.xml") + tail
    script = Script({"/feed.xml": [respond(200, body, content_type="application/atom+xml")]})
    summary = run_collection(make(RssCollector, script), Query("case-a", ("https://culture.example.com/feed.xml",)),
                             Store(tmp_path))
    assert summary.stopped is None and summary.errors == []
    assert summary.ingest.records_new == 2 and len(script.requests) == 1


def test_a_gbk_feed_is_archived_as_text_not_mojibake(tmp_path):
    # Chinese news feeds declare GBK/GB2312 in the XML declaration only; the records were right but the raw archive
    # (kept so a page can be parsed again) held replacement characters instead of the feed
    from tests.other_sources_support import archived_text

    body = ('<?xml version="1.0" encoding="gbk"?><rss version="2.0"><channel><title>新闻</title><item>'
            '<title>爱奇艺 AI艺人库 引发讨论</title><link>https://news.example.cn/1</link>'
            '<pubDate>Tue, 21 Apr 2026 08:00:00 GMT</pubDate></item></channel></rss>').encode("gbk")
    script = Script({"/rss.xml": [respond(200, body, content_type="text/xml")]})
    summary = run_collection(make(RssCollector, script), Query("case-a", ("https://news.example.cn/rss.xml",)),
                             Store(tmp_path))
    assert summary.ingest.records_new == 1
    assert "爱奇艺 AI艺人库 引发讨论" in archived_text(tmp_path / "raw") and "\ufffd" not in archived_text(tmp_path / "raw")


def _item(published: str, language: str = "") -> dict:
    return {"guid": "g1", "link": "https://example.com/a", "title": "t", "published": published,
            "feed_language": language, "feed_url": "https://example.com/feed"}


@pytest.mark.parametrize(("published", "language", "expected_hour"), [
    ("Tue, 21 Apr 2026 10:00:00 CST", "zh-cn", 2),   # China Standard Time in a Chinese feed
    ("Tue, 21 Apr 2026 10:00:00 CST", "zh-TW", 2),
    ("Tue, 21 Apr 2026 10:00:00 CST", "en-us", 16),  # RFC 822's CST (US Central) otherwise
    ("Tue, 21 Apr 2026 10:00:00 CST", "", 16),
    ("Tue, 21 Apr 2026 10:00:00 HKT", "en", 2),
    ("Tue, 21 Apr 2026 10:00:00 JST", "ja", 1),
    ("Tue, 21 Apr 2026 10:00:00 BST", "en-gb", 9),
    ("Tue, 21 Apr 2026 10:00:00 GMT", "zh-cn", 10),
    ("21 Apr 2026 10:00:00 GMT", "en", 10),          # RFC 822's day name is optional
    ("Tuesday, 21 Apr 2026 10:00:00 GMT", "en", 10),  # a spelled-out day name, as some feeds write
    ("2026-04-21 10:00:00", "zh-cn", 2),   # a Chinese CMS's zone-less time: UTC+8 wherever Chinese is written
    ("2026-04-21 10:00:00", "en", 10),     # otherwise zone-less means UTC, as before
    ("Tue, 21 Apr 2026 10:00:00 -0000", "zh-cn", 10),  # RFC 2822's "-0000" is UTC, whatever the language
    ("Tue, 21 Apr 2026 10:00:00 +0800 (CST)", "en", 2),  # the offset wins over a zone name in a comment
])
def test_named_time_zones_are_read_for_what_they_mean(published, language, expected_hour):
    record = feed_record(_item(published, language), COLLECTED)
    assert record.published_at == datetime(2026, 4, 21, expected_hour, 0, tzinfo=UTC)


@pytest.mark.parametrize(("published", "language", "expected"), [
    ("Tue, 21 Apr 2026 10:00:00 IST", "en-IN", (4, 30)),  # India Standard Time, UTC+5:30, in an Indian feed
    ("Tue, 21 Apr 2026 10:00:00 IST", "hi", (4, 30)),
    ("Tue, 21 Apr 2026 10:00:00 IST", "en-ie", (9, 0)),   # Irish Standard Time (summer), UTC+1
    ("Tue, 21 Apr 2026 10:00:00 IST", "he", (8, 0)),      # Israel Standard Time, UTC+2
    ("Tue, 21 Apr 2026 10:00:00 BST", "bn", (4, 0)),      # Bangladesh Standard Time, UTC+6, in a Bengali feed
    ("Tue, 21 Apr 2026 10:00:00 PKT", "en", (5, 0)),      # unambiguous zones map to their offset
    ("Tue, 21 Apr 2026 10:00:00 ACST", "en", (0, 30)),
    ("2026-04-21 10:00:00 CEST", "de", (8, 0)),           # a zone name after an ISO time, as some CMSs write
    ("2026-04-21T10:00:00 JST", "ja", (1, 0)),
    ("2026-04-21 10:00:00 CST", "zh-cn", (2, 0)),
])
def test_a_zone_name_is_read_by_the_feed_s_language_where_that_settles_it(published, language, expected):
    """IST (and a feed's ISO time followed by a zone name) made the item a rejected one; where the feed's
    language settles which zone is meant it is now read as that zone's offset."""
    record = feed_record(_item(published, language), COLLECTED)
    assert record.published_at == datetime(2026, 4, 21, *expected, tzinfo=UTC) and record.time_basis is None


@pytest.mark.parametrize("published", ["Tue, 21 Apr 2026 10:00:00 IST", "Tue, 21 Apr 2026 10:00:00 XYZT",
                                       "2026-04-21 10:00:00 IST"])
def test_an_ambiguous_or_unknown_zone_keeps_the_item_with_its_clock_time_flagged(published):
    """An item dated in IST (India, Ireland or Israel) or an unknown zone was rejected, losing the article; it is
    kept with the clock time as written (read as UTC, never a guessed zone) and time_basis "zone-unresolved"
    says the instant is not settled."""
    record = feed_record(_item(published, "en"), COLLECTED)
    assert record.published_at == datetime(2026, 4, 21, 10, 0, tzinfo=UTC)
    assert record.time_basis == "zone-unresolved"


def test_parse_datetime_still_refuses_an_ambiguous_zone_for_other_callers():
    from collectors.sources.support import UnresolvedZone, parse_datetime

    with pytest.raises(ParseError, match="time zone 'IST'.*India, Ireland or Israel") as raised:
        parse_datetime("Tue, 21 Apr 2026 10:00:00 IST", "published", "en")
    assert isinstance(raised.value, UnresolvedZone) and raised.value.clock == datetime(2026, 4, 21, 10, tzinfo=UTC)
    with pytest.raises(ParseError, match="unrecognised date"):
        parse_datetime("Tue, 21 Apr 2026 10:00:00 PM", "published", "en")  # not a zone: not read as 10:00


def test_importing_a_feed_with_an_ambiguous_zone_keeps_the_item_and_says_so(tmp_path, data_dir):
    from click.testing import CliRunner

    from dashboard.cli import cli

    feed = tmp_path / "feed.xml"
    feed.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><language>en</language>'
                    '<item><title>A</title><link>https://example.com/a</link>'
                    '<pubDate>Tue, 21 Apr 2026 10:00:00 IST</pubDate></item>'
                    '<item><title>B</title><link>https://example.com/b</link>'
                    '<pubDate>Tue, 21 Apr 2026 10:00:00 GMT</pubDate></item></channel></rss>', encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(feed), "--tracker", "iqiyi-nadou"])
    assert result.exit_code == 0, result.output
    assert "2 new" in result.stderr and "rejected: 0" in result.stderr
    assert "1 clock time as written, read as UTC (its time zone name is ambiguous or unknown)" in result.stderr
    frame = Store(data_dir).query("SELECT url, time_basis FROM records ORDER BY url")
    assert list(frame["time_basis"].fillna("-")) == ["zone-unresolved", "-"]


def test_a_live_collect_run_says_how_many_items_it_stored_with_an_unresolved_zone(data_dir, monkeypatch):
    """`collect rss` stored IST-dated items silently; its summary now counts them as import does and says what
    it means."""
    from click.testing import CliRunner

    from collectors import collect_cli
    from tests.other_sources_support import client_for

    body = ('<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><language>en</language>'
            '<item><title>A</title><link>https://example.com/a</link>'
            '<pubDate>Tue, 21 Apr 2026 10:00:00 IST</pubDate></item>'
            '<item><title>B</title><link>https://example.com/b</link>'
            '<pubDate>Tue, 21 Apr 2026 10:00:00 GMT</pubDate></item></channel></rss>')
    script = Script({"/feed.xml": [respond(200, body, content_type="application/rss+xml")]})
    monkeypatch.setattr(collect_cli, "make_client", lambda **kw: client_for(script))
    result = CliRunner().invoke(collect_cli.collect_cmd, [
        "rss", "--tracker", "iqiyi-nadou", "--term", "https://news.example.com/feed.xml", "--since", "2026-04-01",
        "--until", "2026-05-01", "--min-interval", "0"])
    assert result.exit_code == 0, result.output
    assert "1 clock time as written, read as UTC (its time zone name is ambiguous or unknown)" in result.stderr
    assert "off by" in result.stderr
    frame = Store(data_dir).query("SELECT url, time_basis FROM records ORDER BY url")
    assert list(frame["time_basis"].fillna("-")) == ["zone-unresolved", "-"]


def test_until_is_exclusive_an_item_published_at_it_belongs_to_the_next_window(tmp_path):
    # --until is the end, exclusive: the item of 21 Apr 08:30 opens the next window and is not this one's
    script = Script({GOOGLE: [respond(200, fixture_text("rss/google_news.xml"), content_type="application/rss+xml")]})
    query = Query("case-a", ("AI artist library",), since=datetime(2026, 4, 17, tzinfo=UTC),
                  until=datetime(2026, 4, 21, 8, 30, tzinfo=UTC))
    (page,) = make(RssCollector, script).fetch(query)
    assert page.items == []
    later = Query("case-a", ("AI artist library",), since=query.until, until=datetime(2026, 4, 27, tzinfo=UTC))
    (page,) = make(RssCollector, script).fetch(later)
    assert [item["published"] for item in page.items] == ["Tue, 21 Apr 2026 08:30:00 GMT",
                                                          "Wed, 22 Apr 2026 01:05:00 GMT"]


def test_google_news_window_ending_inside_a_day_asks_for_that_whole_day():
    # a tracker's window in Beijing days ends at 16:00 UTC: before:<that date> (before: excludes its day) would
    # leave out the window's last 16 hours; the feed's items are filtered to the window afterwards
    def q(since: datetime, until: datetime) -> str:
        return urllib.parse.parse_qs(urllib.parse.urlsplit(google_news_url("x", since, until)).query)["q"][0]

    assert q(datetime(2025, 9, 24, 16, tzinfo=UTC), datetime(2025, 10, 5, 16, tzinfo=UTC)) == \
        "x after:2025-09-24 before:2025-10-06"
    assert q(datetime(2025, 9, 25, tzinfo=UTC), datetime(2025, 10, 6, tzinfo=UTC)) == \
        "x after:2025-09-25 before:2025-10-06"  # a window of whole UTC days: as it was


def test_a_feedburner_item_links_to_the_page_not_the_feedproxy_redirect():
    """FeedBurner feeds link every item to a feedproxy.google.com redirect and give the page in
    <feedburner:origLink>; the redirect was stored as the article's address (and, without a guid, as its id), so the
    article never merged with other sources' copies of the page. The original link is now the item's address."""
    with_guid, without_guid, plain = _records("rss/feedburner.xml")
    assert with_guid.url == "https://blog.example.org/2026/04/voice-actors-ai-clones/"
    assert with_guid.id == "https://blog.example.org/?p=101"
    assert without_guid.url == without_guid.id == "https://blog.example.org/2026/04/no-guid/"
    assert plain.url == "https://blog.example.org/2026/04/plain/"


def test_a_feed_address_written_in_capitals_is_fetched_as_a_feed(tmp_path):
    """A tracker's feed given as HTTPS://… did not match the case-sensitive `https?://` check, so it was sent to
    Google News as a search term; it is now read with the shared `collectors.urls.web_url` check."""
    script = Script({"/feed.xml": [respond(200, fixture_text("rss/atom.xml"), content_type="application/atom+xml")]})
    summary = run_collection(make(RssCollector, script), Query("case-a", ("HTTPS://culture.example.com/feed.xml",)),
                             Store(tmp_path))
    assert [r.url.path for r in script.requests] == ["/feed.xml"]
    assert summary.ingest.records_new == 2
