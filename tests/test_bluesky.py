"""Bluesky searchPosts: mapping, session login/refresh, cursor paging, refusals, and that the app password never leaks."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import httpx
import pytest
from click.testing import CliRunner

from collectors.base import ParseError, Query, SourceBlocked, run_collection
from collectors.sources import bluesky as bluesky_module
from collectors.sources.bluesky import BlueskyCollector, post_record
from collectors.store import Store
from tests.conftest import TRACKERS_MIN
from tests.other_sources_support import (
    COLLECTED,
    Script,
    archived_text,
    client_for,
    fixture_json,
    make,
    respond,
)

SESSION, REFRESH, SEARCH = ("/xrpc/com.atproto.server.createSession", "/xrpc/com.atproto.server.refreshSession",
                            "/xrpc/app.bsky.feed.searchPosts")
FAKE_PASSWORD = "fict-ional-app0-pass"
FAKE_HANDLE = "collector.example.test"


@pytest.fixture(autouse=True)
def bluesky_secrets(monkeypatch):
    monkeypatch.setenv("ACTORWATCH_BLUESKY_HANDLE", FAKE_HANDLE)
    monkeypatch.setenv("ACTORWATCH_BLUESKY_APP_PASSWORD", FAKE_PASSWORD)


def _script(search=None, session=None, refresh=None) -> Script:
    return Script({
        SESSION: session or [respond(200, fixture_json("bluesky/create_session.json"))],
        REFRESH: refresh or [respond(200, fixture_json("bluesky/refresh_session.json"))],
        SEARCH: search or [respond(200, fixture_json("bluesky/search_page1.json")),
                           respond(200, fixture_json("bluesky/search_page2.json"))],
    })


def test_post_and_reply_mapping():
    posts = fixture_json("bluesky/search_page1.json")["posts"]
    post = post_record(posts[0], COLLECTED, "case-b")
    assert post.id == "at://did:plc:fictional0001/app.bsky.feed.post/3kfict0001" and post.kind == "post"
    assert post.url == "https://bsky.app/profile/did:plc:fictional0001/post/3kfict0001"
    assert (post.author_id, post.author_name, post.lang) == ("did:plc:fictional0001", "reader-one.example.test", "en")
    assert (post.likes, post.comments, post.shares) == (3, 1, 3)  # shares = reposts + quotes
    assert post.published_at == datetime(2025, 9, 30, 10, 0, tzinfo=UTC)
    reply = post_record(posts[1], COLLECTED)
    assert reply.kind == "comment" and reply.parent_id == post.id and reply.shares == 2  # quoteCount absent (2023 shape)
    offset = post_record(posts[2], COLLECTED)
    assert offset.published_at == datetime(2025, 9, 30, 7, 0, tzinfo=UTC) and offset.lang == "en"
    no_lang = post_record(fixture_json("bluesky/search_page2.json")["posts"][0], COLLECTED)
    assert no_lang.lang is None


def test_bad_posts_are_typed_errors():
    post = fixture_json("bluesky/search_page1.json")["posts"][0]
    with pytest.raises(ParseError, match="uri"):
        post_record({**post, "uri": "https://not-an-at-uri"}, COLLECTED)
    with pytest.raises(ParseError, match="text"):
        post_record({**post, "record": {"createdAt": "2025-09-30T10:00:00Z"}}, COLLECTED)
    fallback = post_record({**post, "record": {**post["record"], "createdAt": "garbage"}}, COLLECTED)
    assert fallback.published_at == datetime(2025, 9, 30, 10, 0, 1, 123000, tzinfo=UTC)  # indexedAt


def test_login_then_cursor_paging():
    script = _script()
    query = Query("case-b", ("AI actress",), since=datetime(2025, 9, 27, tzinfo=UTC))
    pages = list(make(BlueskyCollector, script).fetch(query))
    assert [len(p.items) for p in pages] == [3, 1]
    assert pages[0].cursor == {"term": 0, "cursor": "25", "until": None, "segment": 3, "oldest": "2025-09-30T07:00:03Z"}
    assert pages[1].cursor is None
    login = json.loads(script.requests[0].content)
    assert login == {"identifier": FAKE_HANDLE, "password": FAKE_PASSWORD}
    search = script.params(SEARCH)
    assert search[0]["q"] == "AI actress" and search[0]["since"] == "2025-09-27T00:00:00Z" and "cursor" not in search[0]
    assert search[1]["cursor"] == "25" and search[0]["sort"] == "latest"
    assert all(r.headers["authorization"] == "Bearer eyJfake.access.token1" for r in script.requests if r.url.path == SEARCH)


def test_expired_token_is_refreshed_and_the_call_repeated():
    script = _script(search=[respond(400, fixture_json("bluesky/expired_token.json")),
                             respond(200, fixture_json("bluesky/search_page2.json"))])
    pages = list(make(BlueskyCollector, script).fetch(Query("case-b", ("x",))))
    assert script.paths() == [SESSION, SEARCH, REFRESH, SEARCH] and len(pages[0].items) == 1
    assert script.requests[2].headers["authorization"] == "Bearer eyJfake.refresh.token1"
    assert script.requests[3].headers["authorization"] == "Bearer eyJfake.access.token2"


def test_a_refused_refresh_logs_in_again():
    script = _script(search=[respond(400, fixture_json("bluesky/expired_token.json")),
                             respond(200, fixture_json("bluesky/search_page2.json"))],
                     refresh=[respond(400, fixture_json("bluesky/expired_token.json"))])
    list(make(BlueskyCollector, script).fetch(Query("case-b", ("x",))))
    assert script.paths() == [SESSION, SEARCH, REFRESH, SESSION, SEARCH]


@pytest.mark.parametrize("where, reply, message", [
    ("search", respond(403, fixture_json("bluesky/forbidden_403.json")), "administrative rules"),
    ("session", respond(401, fixture_json("bluesky/auth_failed_401.json")), "login refused"),
])
def test_refusals_stop_the_run(tmp_path, where, reply, message):
    script = _script(**{where: [reply]})
    summary = run_collection(make(BlueskyCollector, script), Query("case-b", ("x",)), Store(tmp_path))
    assert summary.stopped and message in summary.stopped and "--resume" in summary.stopped
    (archived,) = Store(tmp_path).iter_raw("bluesky")  # the refusal itself is kept
    assert archived["status"] == reply.status_code and json.loads(archived["body"]) == json.loads(reply.text)


def test_missing_secret_is_a_clear_stop(monkeypatch):
    monkeypatch.delenv("ACTORWATCH_BLUESKY_APP_PASSWORD")
    with pytest.raises(SourceBlocked, match="ACTORWATCH_BLUESKY_APP_PASSWORD"):
        list(make(BlueskyCollector, _script()).fetch(Query("case-b", ("x",))))


def test_cursor_exhaustion_continues_below_the_oldest_post(monkeypatch):
    monkeypatch.setattr(bluesky_module, "CURSOR_LIMIT", 3)
    script = _script(search=[respond(200, {**fixture_json("bluesky/search_page1.json"), "cursor": None}),
                             respond(200, fixture_json("bluesky/search_page2.json"))])
    pages = list(make(BlueskyCollector, script).fetch(Query("case-b", ("x",))))
    assert pages[0].cursor == {"term": 0, "cursor": None, "until": "2025-09-30T07:00:03Z", "segment": 0}
    assert script.params(SEARCH)[1]["until"] == "2025-09-30T07:00:03Z" and pages[1].cursor is None


def test_a_deep_cursor_answering_502_continues_below_the_oldest_post(monkeypatch, tmp_path):
    # sources.md (4CAT): after about 10k posts a query stops returning a cursor *or sends 502*; retrying the same
    # cursor never gets past it, so the run used to stop there on every resume
    monkeypatch.setattr(bluesky_module, "CURSOR_LIMIT", 3)
    bad_gateway = respond(502, "Bad Gateway")
    script = _script(search=[respond(200, fixture_json("bluesky/search_page1.json")), bad_gateway, bad_gateway,
                             bad_gateway, respond(200, fixture_json("bluesky/search_page2.json"))])
    summary = run_collection(make(BlueskyCollector, script), Query("case-b", ("x",)), Store(tmp_path))
    assert summary.stopped is None and summary.ingest.records_new == 4
    last = script.params(SEARCH)[-1]
    assert last["until"] == "2025-09-30T07:00:03Z" and "cursor" not in last


def test_a_502_before_the_cursor_limit_still_stops_the_run(tmp_path):
    script = _script(search=[respond(200, fixture_json("bluesky/search_page1.json")), respond(502, "Bad Gateway")])
    summary = run_collection(make(BlueskyCollector, script), Query("case-b", ("x",)), Store(tmp_path))
    assert summary.stopped and "502" in summary.stopped and summary.ingest.records_new == 3


# ---------- secrets ----------
def _leaks(text: str) -> bool:
    return FAKE_PASSWORD in text


def test_app_password_never_reaches_archive_store_or_errors(tmp_path):
    echo = {"error": "AuthenticationRequired", "message": f"bad password {FAKE_PASSWORD}"}  # a server echoing it back
    store = Store(tmp_path)
    summary = run_collection(make(BlueskyCollector, _script()), Query("case-b", ("x",)), store)
    stopped = run_collection(make(BlueskyCollector, _script(search=[respond(401, echo)])), Query("case-b", ("y",)), store)
    archived = archived_text(tmp_path / "raw")
    assert "reader-one.example.test" in archived and not _leaks(archived)  # pages archived; the login never is
    assert summary.ingest.records_new == 4 and not _leaks(store.query("SELECT * FROM records").to_json(date_format="iso"))
    assert stopped.stopped and not _leaks(stopped.stopped) and not _leaks(summary.line())
    for script in (_script(session=[respond(401, echo)]), _script(search=[respond(401, echo)])):
        with pytest.raises(SourceBlocked) as caught:
            list(make(BlueskyCollector, script).fetch(Query("case-b", ("x",))))
        assert "AuthenticationRequired" in str(caught.value) and not _leaks(str(caught.value))
    assert not any(_leaks(p.read_text(errors="ignore")) for p in tmp_path.rglob("*") if p.suffix in (".json", ".tmp"))


def test_app_password_never_printed_by_the_collect_command(data_dir, monkeypatch):
    from collectors import collect_cli
    from collectors.trackers import load_trackers

    trackers = {t.id: t for t in load_trackers(TRACKERS_MIN)}
    monkeypatch.setattr(collect_cli, "get_tracker", lambda tid: trackers[tid])
    script = _script()
    monkeypatch.setattr(collect_cli, "make_client", lambda: client_for(script))
    result = CliRunner().invoke(collect_cli.collect_cmd, ["bluesky", "--tracker", "case-b", "--term", "AI actress",
                                                          "--min-interval", "0"])
    assert result.exit_code == 0, result.output
    assert "bluesky: 2 page(s)" in result.output and not _leaks(result.output)
    assert isinstance(script.requests[0], httpx.Request)
    stored = [p for p in data_dir.rglob("*") if p.is_file() and p.suffix != ".gz"]
    assert stored and not any(_leaks(p.read_bytes().decode("utf-8", "ignore")) for p in stored)
    assert not _leaks(archived_text(data_dir))


# ---------- rate limits (Bluesky answers 429 with RateLimit-* headers, no Retry-After) ----------
def _rate_limited(reset_in: float) -> httpx.Response:
    reset = int(datetime.now(UTC).timestamp() + reset_in)
    return respond(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                   {"RateLimit-Limit": "3000", "RateLimit-Remaining": "0", "RateLimit-Reset": str(reset),
                    "RateLimit-Policy": "3000;w=300"})


def _patient(script: Script, sleeps: list[float]) -> BlueskyCollector:
    from collectors.http import RetryPolicy

    policy = RetryPolicy(attempts=5, initial=0.01, maximum=120, jitter=0.0, sleep=sleeps.append)
    return BlueskyCollector(client_for(script), sleep=lambda _s: None, policy=policy)


def test_a_short_rate_limit_window_is_waited_out_then_collected(tmp_path):
    sleeps: list[float] = []
    script = _script(search=[_rate_limited(40), respond(200, fixture_json("bluesky/search_page2.json"))])
    summary = run_collection(_patient(script, sleeps), Query("case-b", ("x",)), Store(tmp_path))
    assert summary.stopped is None and summary.ingest.records_new == 1
    assert sleeps and 30 < sleeps[0] <= 40  # the window's reset, not a 0.01 s backoff


def test_a_rate_limit_window_beyond_the_cap_stops_at_once_naming_when_to_resume(tmp_path):
    sleeps: list[float] = []
    script = _script(search=[_rate_limited(300)])
    summary = run_collection(_patient(script, sleeps), Query("case-b", ("x",)), Store(tmp_path))
    assert script.paths().count(SEARCH) == 1 and not sleeps  # no retries that cannot succeed
    assert summary.stopped and "rate limit" in summary.stopped and "--resume" in summary.stopped
    named = re.search(r"resume after (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", summary.stopped)
    expected = datetime.now(UTC).timestamp() + 300
    assert named and abs(datetime.fromisoformat(named.group(1) + "+00:00").timestamp() - expected) < 5


def test_an_empty_page_mid_way_with_a_moving_cursor_is_not_the_end():
    """Posts can be dropped from a page (23 of 25 in a 2023 sample); a page that lost all of them still has a cursor."""
    empty = respond(200, {"posts": [], "cursor": "50"})
    script = _script(search=[respond(200, fixture_json("bluesky/search_page1.json")), empty,
                             respond(200, fixture_json("bluesky/search_page2.json"))])
    pages = list(make(BlueskyCollector, script).fetch(Query("case-b", ("AI actress",))))
    assert [len(p.items) for p in pages] == [3, 0, 1] and pages[-1].cursor is None
    assert [p.get("cursor") for p in script.params(SEARCH)] == [None, "25", "50"]


def test_empty_pages_that_go_on_forever_stop():
    pages = iter(range(1, 1000))
    script = _script(search=[lambda r: respond(200, {"posts": [], "cursor": str(25 * next(pages))})])
    fetched = list(make(BlueskyCollector, script).fetch(Query("case-b", ("AI actress",))))
    assert 1 < len(fetched) <= 5 and fetched[-1].cursor is None


def test_a_page_of_another_shape_is_archived_before_the_run_stops(tmp_path):
    body = {"feed": [], "cursor": "25"}  # no `posts`
    summary = run_collection(make(BlueskyCollector, _script(search=[respond(200, body)])), Query("case-b", ("q",)),
                             Store(tmp_path))
    assert summary.stopped and "`posts`" in summary.stopped
    assert [json.loads(a["body"]) for a in Store(tmp_path).iter_raw("bluesky")] == [body]
