"""GDELT DOC 2.0: article/timeline mapping on fixtures, 5-second politeness, window splitting, errors (no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from collectors.base import ParseError, Query, run_collection
from collectors.http import RetryPolicy
from collectors.sources.gdelt import (
    MAX_RECORDS,
    GdeltCollector,
    GdeltTimelinePoint,
    article_record,
    normalise_title,
    timeline_items,
)
from collectors.store import Store
from tests.other_sources_support import COLLECTED, Script, fixture_json, fixture_text, make, respond

DOC = "/api/v2/doc/doc"
QUERY = Query("case-a", ('"AI artist library"',), since=datetime(2026, 4, 17, tzinfo=UTC),
              until=datetime(2026, 4, 27, tzinfo=UTC))


def _by_mode(**replies):
    """Reply per `mode` parameter (each a list served in order)."""
    queues = {mode: list(r) for mode, r in replies.items()}

    def reply(request):
        queue = queues[request.url.params["mode"]]
        return queue.pop(0) if len(queue) > 1 else queue[0]
    return reply


def _default_script(**overrides) -> Script:
    replies = {"artlist": [respond(200, fixture_text("gdelt/artlist.json"), content_type="application/json")],
               "timelinevolraw": [respond(200, fixture_json("gdelt/timelinevolraw.json"))],
               "timelinetone": [respond(200, fixture_json("gdelt/timelinetone.json"))]}
    replies.update(overrides)
    return Script({DOC: [_by_mode(**replies)]})


def test_article_mapping_normalises_tokenised_titles():
    articles = fixture_json("gdelt/artlist.json")["articles"]
    first = article_record(articles[0], COLLECTED, "case-a")
    assert first.kind == "article" and first.source == "gdelt"
    assert first.id == first.url == "https://news.example.com/2026/04/21/ai-artist-library"
    assert first.title == "Streaming platform faces backlash over AI artist library: what we know"
    assert first.published_at == datetime(2026, 4, 21, 8, 30, tzinfo=UTC)
    assert (first.lang, first.location, first.author_name) == ("en", "United States", "news.example.com")
    assert normalise_title("AI performers ; unions respond ( analysis )") == "AI performers; unions respond (analysis)"
    chinese = article_record(articles[2], COLLECTED)
    assert (chinese.lang, chinese.location) == ("zh", "China")


def test_article_without_url_or_date_is_rejected():
    art = fixture_json("gdelt/artlist.json")["articles"][0]
    with pytest.raises(ParseError, match="url"):
        article_record({**art, "url": ""}, COLLECTED)
    with pytest.raises(ParseError, match="seendate"):
        article_record({**art, "seendate": "yesterday"}, COLLECTED)


def test_timeline_points_become_dataset_rows():
    points = timeline_items(fixture_json("gdelt/timelinevolraw.json"), "q", "timelinevolraw")
    rows = [GdeltCollector.to_record(p, COLLECTED, "case-a") for p in points]
    assert all(isinstance(r, GdeltTimelinePoint) for r in rows)
    assert [(r.date.day, r.value, r.norm) for r in rows] == [(20, 12.0, 51234), (21, 40.0, 50987), (22, 0.0, 49876)]
    tone = [GdeltCollector.to_record(p, COLLECTED) for p in
            timeline_items(fixture_json("gdelt/timelinetone.json"), "q", "timelinetone")]
    assert tone[1].value == pytest.approx(-3.4071) and tone[1].norm is None and tone[1].series == "Average Tone"
    with pytest.raises(ParseError, match="value"):
        GdeltCollector.to_record({**points[0], "value": "many"}, COLLECTED)


def test_collection_writes_articles_and_timelines(tmp_path):
    store = Store(tmp_path)
    script = _default_script()
    summary = run_collection(make(GdeltCollector, script), QUERY, store)
    assert summary.stopped is None and summary.pages == 3
    assert summary.ingest.records_new == 3 and summary.ingest.rows_new == 6
    modes = [p["mode"] for p in script.params(DOC)]
    assert modes == ["artlist", "timelinevolraw", "timelinetone"]
    art = script.params(DOC)[0]
    assert (art["startdatetime"], art["enddatetime"], art["maxrecords"], art["format"]) == \
        ("20260417000000", "20260427000000", "250", "json")
    timeline = store.query("SELECT mode, count(*) AS n FROM gdelt_timeline GROUP BY mode ORDER BY mode")
    assert timeline.to_dict("records") == [{"mode": "timelinetone", "n": 3}, {"mode": "timelinevolraw", "n": 3}]
    again = run_collection(make(GdeltCollector, _default_script()), QUERY, store, resume=False)
    assert again.ingest.rows_new == 0 and again.ingest.rows_duplicate == 6  # idempotent re-run
    assert len(store.query("SELECT * FROM gdelt_timeline")) == 6


def test_requests_are_at_least_five_seconds_apart():
    assert GdeltCollector.min_interval >= 5.0
    clock = iter(range(0, 1000, 1))  # 1 s passes between requests unless the limiter sleeps
    sleeps: list[float] = []
    collector = make(GdeltCollector, _default_script(), sleeps)
    collector.limiter.clock = lambda: float(next(clock))
    list(collector.fetch(QUERY))
    assert len(sleeps) == 2 and all(s >= 4.9 for s in sleeps)


def test_a_full_window_is_split_in_half():
    full = {"articles": [{"url": f"https://example.com/{n}", "title": "t", "seendate": "20260420T000000Z",
                          "domain": "example.com", "language": "English", "sourcecountry": "France"}
                         for n in range(MAX_RECORDS)]}
    script = _default_script(artlist=[respond(200, full), respond(200, {"articles": []}), respond(200, {})])
    collector = make(GdeltCollector, script)
    collector.timelines = False
    pages = list(collector.fetch(QUERY))
    windows = [(p["startdatetime"], p["enddatetime"]) for p in script.params(DOC)]
    assert windows == [("20260417000000", "20260427000000"), ("20260417000000", "20260422000000"),
                       ("20260422000000", "20260427000000")]
    assert pages[0].cursor["windows"] == [["20260417000000", "20260422000000"], ["20260422000000", "20260427000000"]]
    assert pages[-1].cursor is None


def test_invalid_query_html_stops_with_the_reason(tmp_path):
    script = _default_script(artlist=[respond(200, fixture_text("gdelt/invalid_query.html"), content_type="text/html")])
    summary = run_collection(make(GdeltCollector, script), QUERY, Store(tmp_path))
    assert summary.stopped and "too short or too common" in summary.stopped and summary.pages == 0
    # resuming starts at the same request, which fails the same way: the advice must not be a bare "re-run"
    assert "fails the same way" in summary.stopped and "raw archive" in summary.stopped


def test_a_response_that_does_not_parse_is_still_archived(tmp_path):
    body = fixture_text("gdelt/invalid_query.html")
    script = _default_script(artlist=[respond(200, body, content_type="text/html")])
    run_collection(make(GdeltCollector, script), QUERY, Store(tmp_path))
    archived = list(Store(tmp_path).iter_raw("gdelt"))
    assert [a["body"] for a in archived] == [body]  # raw kept before parsing, even when parsing fails
    assert archived[0]["status"] == 200 and "too short or too common" in archived[0]["error"]


def test_429_is_retried_with_backoff_then_succeeds(tmp_path):
    sleeps: list[float] = []
    script = _default_script(artlist=[respond(429, fixture_text("gdelt/rate_limit_429.txt"), {"retry-after": "7"}),
                                      respond(200, fixture_json("gdelt/artlist.json"))])
    collector = make(GdeltCollector, script, sleeps)
    collector.policy = RetryPolicy(attempts=3, initial=0.01, maximum=120, jitter=0.0, sleep=sleeps.append)
    collector.timelines = False
    summary = run_collection(collector, QUERY, Store(tmp_path))
    assert summary.ingest.records_new == 3 and script.paths().count(DOC) == 2
    assert max(sleeps) >= 7  # the server's Retry-After was waited before the retry


def test_a_retry_after_longer_than_the_cap_stops_at_once_naming_when_to_resume(tmp_path):
    script = _default_script(artlist=[respond(429, fixture_text("gdelt/rate_limit_429.txt"), {"retry-after": "900"}),
                                      respond(200, fixture_json("gdelt/artlist.json"))])
    summary = run_collection(make(GdeltCollector, script), QUERY, Store(tmp_path))  # the test policy caps at 0.05 s
    assert script.paths().count(DOC) == 1 and summary.ingest.records_new == 0
    assert summary.stopped and "rate limited for about 15 min; resume after" in summary.stopped


def test_persistent_429_stops_cleanly(tmp_path):
    script = _default_script(artlist=[respond(429, fixture_text("gdelt/rate_limit_429.txt"))])
    summary = run_collection(make(GdeltCollector, script), QUERY, Store(tmp_path))
    assert summary.stopped and "HTTP 429" in summary.stopped and "--resume" in summary.stopped


def test_control_characters_and_empty_bodies_are_tolerated():
    script = _default_script(artlist=[respond(200, fixture_text("gdelt/artlist_control_chars.json"),
                                              content_type="application/json")],
                             timelinevolraw=[respond(200, fixture_text("gdelt/artlist_empty.json"),
                                                     content_type="application/json")],
                             timelinetone=[respond(200, "", content_type="application/json")])
    pages = list(make(GdeltCollector, script).fetch(QUERY))
    assert len(pages[0].items) == 1 and "raw\ttab" in pages[0].items[0]["title"]
    assert pages[1].items == [] and pages[2].items == []


def test_resuming_after_the_articles_fetches_only_the_remaining_timeline():
    script = _default_script()
    cursor = {"term": 0, "windows": [], "modes": ["timelinetone"]}
    pages = list(make(GdeltCollector, script).fetch(QUERY, cursor))
    assert [p["mode"] for p in script.params(DOC)] == ["timelinetone"] and pages[-1].cursor is None


def test_an_invalid_escape_in_a_title_does_not_stall_the_run(tmp_path):
    # GDELT writes invalid JSON escapes into titles (gdeltdoc repairs them: "invalid \x escape"); the same body comes
    # back on every retry and every resume, so the term's articles were never collected
    body = fixture_text("gdelt/artlist.json").replace('"AI performers ; unions',
                                                      r'"AI performers\' union \x22responds\x22 ; unions', 1)
    script = _default_script(artlist=[respond(200, body, content_type="application/json")])
    summary = run_collection(make(GdeltCollector, script), QUERY, Store(tmp_path))
    assert summary.stopped is None and summary.errors == []
    titles = set(Store(tmp_path).query("SELECT title FROM records")["title"])
    assert "AI performers' union x22respondsx22; unions respond (analysis)" in titles
    truncated = _default_script(artlist=[respond(200, body[: len(body) // 2], content_type="application/json")])
    assert "unreadable" in run_collection(make(GdeltCollector, truncated), QUERY, Store(tmp_path / "t")).stopped


@pytest.mark.parametrize("mode, body", [("artlist", {"articles": {"url": "x"}}), ("timelinetone", {"timeline": {"series": "x"}})])
def test_a_body_of_another_shape_is_archived_before_the_run_stops(tmp_path, mode, body):
    script = _default_script(**{mode: [respond(200, body)]})
    summary = run_collection(make(GdeltCollector, script), QUERY, Store(tmp_path))
    assert summary.stopped and "not a list" in summary.stopped
    archived = [a["body"] for a in Store(tmp_path).iter_raw("gdelt")]
    assert archived and json.loads(archived[-1]) == body


def test_a_json_body_with_a_byte_order_mark_is_read(tmp_path):
    body = b"\xef\xbb\xbf" + fixture_text("gdelt/artlist.json").encode()
    script = _default_script(artlist=[respond(200, body, content_type="application/json; charset=utf-8")])
    collector = make(GdeltCollector, script)
    collector.timelines = False
    summary = run_collection(collector, QUERY, Store(tmp_path))
    assert summary.stopped is None and summary.ingest.records_new == 3


@pytest.mark.parametrize("charset", ["iso-8859-1", "gbk"])
def test_a_utf8_body_under_a_wrong_charset_header_is_stored_as_sent(tmp_path, charset):
    # JSON is UTF-8 (RFC 8259); a proxy or server naming another charset made every Chinese title mojibake
    body = fixture_text("gdelt/artlist.json").encode()
    script = _default_script(artlist=[respond(200, body, content_type=f"application/json; charset={charset}")])
    collector = make(GdeltCollector, script)
    collector.timelines = False
    summary = run_collection(collector, QUERY, Store(tmp_path))
    assert summary.stopped is None and summary.ingest.records_new == 3
    with Store(tmp_path).connect() as con:
        titles = {row[0] for row in con.execute("SELECT title FROM records").fetchall()}
    assert "AI 艺人库 引发 讨论" in titles
    assert "AI 艺人库" in next(iter(Store(tmp_path).iter_raw("gdelt")))["body"]  # the raw archive too


def test_a_window_still_full_at_an_hour_says_articles_were_out_of_reach(tmp_path):
    # GDELT answers at most 250 articles and has no paging: an hour that still fills them loses the rest, and the
    # run must say so rather than pass for a complete collection
    full = {"articles": [{"url": f"https://example.com/{n}", "title": "t", "seendate": "20260420T000000Z",
                          "domain": "example.com", "language": "English", "sourcecountry": "France"}
                         for n in range(MAX_RECORDS)]}
    collector = make(GdeltCollector, _default_script(artlist=[respond(200, full)]))
    collector.timelines = False
    hour = Query("case-a", ('"AI artist library"',), since=datetime(2026, 4, 20, tzinfo=UTC),
                 until=datetime(2026, 4, 20, 1, tzinfo=UTC))
    summary = run_collection(collector, hour, Store(tmp_path))
    assert summary.stopped is None and summary.ingest.records_new == MAX_RECORDS
    assert len(summary.notes) == 1 and "250" in summary.notes[0] and "out of reach" in summary.notes[0]


def test_an_article_address_in_capitals_is_a_web_address():
    """GDELT's check was case-sensitive (`https?://`), so an article listed as HTTPS://… was rejected as "not a web
    address"; schemes are case-insensitive, and the check is now the shared `collectors.urls.web_url`."""
    art = fixture_json("gdelt/artlist.json")["articles"][0]
    record = article_record({**art, "url": "HTTPS://news.example.com/2026/04/21/ai-artist-library"}, COLLECTED)
    assert record.url == "HTTPS://news.example.com/2026/04/21/ai-artist-library"
    with pytest.raises(ParseError, match="not a web address"):
        article_record({**art, "url": "javascript:alert(1)"}, COLLECTED)
