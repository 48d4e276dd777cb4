"""Mastodon tag timelines: mapping, Link-header paging, date window, instance and token (no network)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from collectors.base import ParseError, Query, run_collection
from collectors.http import RetryPolicy
from collectors.sources.mastodon import MastodonCollector, next_max_id, snowflake_at, status_record
from collectors.store import Store
from tests.other_sources_support import COLLECTED, Script, client_for, fixture_json, make, respond

TAG = "/api/v1/timelines/tag/AIActors"
NEXT = '<https://example.social/api/v1/timelines/tag/AIActors?max_id=113000000000000002>; rel="next", ' \
       '<https://example.social/api/v1/timelines/tag/AIActors?min_id=113000000000000003>; rel="prev"'


def _script(first=None, second=None) -> Script:
    return Script({TAG: [first or respond(200, fixture_json("mastodon/tag_page1.json"), {"link": NEXT}),
                         second or respond(200, fixture_json("mastodon/tag_page2.json"))]})


def test_status_mapping():
    local, remote = fixture_json("mastodon/tag_page1.json")
    rec = status_record(local, COLLECTED, "case-b")
    assert rec.id == "https://example.social/users/reader_one/statuses/113000000000000003" and rec.kind == "post"
    assert rec.text == "Thoughts on #AIActors & consent"
    assert (rec.author_id, rec.author_name) == ("https://example.social/@reader_one", "reader_one@example.social")
    assert rec.url.startswith(rec.author_id)  # so the public view's pseudonym masks the user name in the link
    assert (rec.likes, rec.shares, rec.comments, rec.lang) == (2, 1, 0, "en")
    assert rec.published_at == datetime(2025, 9, 30, 12, 0, tzinfo=UTC)
    reply = status_record(remote, COLLECTED)
    assert reply.kind == "comment" and reply.author_name == "reader_two@other.example"
    assert reply.text == "Reply here\nsecond line"
    warned = status_record(fixture_json("mastodon/tag_page2.json")[0], COLLECTED)
    assert warned.text == "[CW: AI news] Spoiler post" and warned.lang is None


def test_reblog_maps_the_original_and_bad_statuses_are_typed_errors():
    original = fixture_json("mastodon/tag_page1.json")[0]
    wrapper = {"id": "1", "uri": "https://example.social/boost/1", "reblog": original, "content": ""}
    assert status_record(wrapper, COLLECTED).id == original["uri"]
    with pytest.raises(ParseError, match="uri"):
        status_record({**original, "uri": None}, COLLECTED)
    with pytest.raises(ParseError, match="created_at"):
        status_record({**original, "created_at": 12}, COLLECTED)


def test_link_header_paging_and_cursor():
    script = _script()
    pages = list(make(MastodonCollector, script, instance="example.social").fetch(Query("case-b", ("#AIActors",))))
    assert [len(p.items) for p in pages] == [2, 1]
    assert pages[0].cursor == {"term": 0, "max_id": "113000000000000002"} and pages[1].cursor is None
    params = script.params(TAG)
    assert params[0] == {"limit": "40"} and params[1] == {"limit": "40", "max_id": "113000000000000002"}
    assert script.requests[0].url.host == "example.social" and "authorization" not in script.requests[0].headers


def test_window_sets_max_id_and_stops_at_since(monkeypatch):
    monkeypatch.setenv("ACTORWATCH_MASTODON_TOKEN", "fictional-token-0001")
    monkeypatch.setenv("ACTORWATCH_MASTODON_INSTANCE", "https://example.social/")
    script = _script()
    until = datetime(2025, 10, 1, tzinfo=UTC)
    query = Query("case-b", ("AIActors",), since=datetime(2025, 9, 30, 11, 30, tzinfo=UTC), until=until)
    pages = list(make(MastodonCollector, script).fetch(query))
    assert script.params(TAG)[0]["max_id"] == snowflake_at(until) == str(int(until.timestamp() * 1000) << 16)
    assert len(pages) == 1 and len(pages[0].items) == 1 and pages[0].cursor is None  # older than since: stop
    assert script.requests[0].headers["authorization"] == "Bearer fictional-token-0001"


def test_next_max_id_without_link():
    assert next_max_id(respond(200, [])) is None


def test_anonymous_access_refused_stops_with_how_to_fix(tmp_path):
    script = _script(first=respond(401, fixture_json("mastodon/error_401.json")))
    summary = run_collection(make(MastodonCollector, script, instance="example.social"), Query("case-b", ("AIActors",)),
                             Store(tmp_path))
    assert summary.stopped and "ACTORWATCH_MASTODON_TOKEN" in summary.stopped


def test_rate_limit_is_retried_then_collected(tmp_path):
    script = _script(first=respond(429, {"error": "Too many requests"}, {"x-ratelimit-remaining": "0"}),
                     second=respond(200, fixture_json("mastodon/tag_page2.json")))
    summary = run_collection(make(MastodonCollector, script, instance="example.social"), Query("case-b", ("AIActors",)),
                             Store(tmp_path))
    assert summary.ingest.records_new == 1 and len(script.requests) == 2


def test_accounts_that_opted_out_of_indexing_are_skipped():
    statuses = fixture_json("mastodon/tag_page1.json")
    statuses[1]["account"]["noindex"] = True
    pages = list(make(MastodonCollector, _script(first=respond(200, statuses)), instance="example.social")
                 .fetch(Query("case-b", ("AIActors",))))
    assert [s["account"]["acct"] for s in pages[0].items] == ["reader_one"]


def _limited_until(seconds: float):
    # Mastodon's X-RateLimit-Reset is an ISO 8601 time (with microseconds), and there is no Retry-After
    reset = (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="microseconds").replace("+00:00", "Z")
    return respond(429, {"error": "Too many requests"},
                   {"x-ratelimit-limit": "300", "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset})


def _patient(script, sleeps):
    policy = RetryPolicy(attempts=5, initial=0.01, maximum=120, jitter=0.0, sleep=sleeps.append)
    return MastodonCollector(client_for(script), sleep=lambda _s: None, policy=policy, instance="example.social")


def test_rate_limit_reset_time_is_waited_for(tmp_path):
    sleeps: list[float] = []
    script = _script(first=_limited_until(25), second=respond(200, fixture_json("mastodon/tag_page2.json")))
    summary = run_collection(_patient(script, sleeps), Query("case-b", ("AIActors",)), Store(tmp_path))
    assert summary.ingest.records_new == 1 and sleeps and 15 < sleeps[0] <= 25


def test_rate_limit_reset_beyond_the_cap_stops_at_once_naming_when_to_resume(tmp_path):
    sleeps: list[float] = []
    script = _script(first=_limited_until(240))
    summary = run_collection(_patient(script, sleeps), Query("case-b", ("AIActors",)), Store(tmp_path))
    assert len(script.requests) == 1 and not sleeps
    assert summary.stopped and "rate limit" in summary.stopped and "--resume" in summary.stopped
    named = re.search(r"resume after (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", summary.stopped)
    expected = datetime.now(UTC).timestamp() + 240
    assert named and abs(datetime.fromisoformat(named.group(1) + "+00:00").timestamp() - expected) < 5


@pytest.mark.parametrize("given", ["HTTPS://Example.social", "Https://example.social/", "http://example.social/api",
                                   " example.social/ "])
def test_the_instance_is_its_host_however_its_address_is_written(monkeypatch, given):
    """`HTTPS://example.social` kept its scheme (stripped case-sensitively) and every request went to
    https://HTTPS://example.social/…"""
    from collectors.sources.mastodon import instance_host

    monkeypatch.setenv("ACTORWATCH_MASTODON_INSTANCE", given)
    assert instance_host().lower() == "example.social"
    script = _script()
    list(make(MastodonCollector, script, instance=given).fetch(Query("case-b", ("AIActors",))))
    assert script.requests[0].url.host == "example.social"
