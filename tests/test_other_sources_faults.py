"""Fault injection through httpx.MockTransport: with 20% of responses replaced by 429, 500, timeouts or
truncated bodies, each collector ends (resuming when a run stops) with exactly the records of a clean run."""

from __future__ import annotations

import json
import random
from collections.abc import Callable

import httpx
import pytest

from collectors.base import Collector, Query, run_collection
from collectors.http import RetryPolicy, make_client
from collectors.sources.bilibili import BilibiliCollector
from collectors.sources.bluesky import BlueskyCollector
from collectors.sources.gdelt import GdeltCollector
from collectors.sources.market import MarketCollector
from collectors.sources.mastodon import MastodonCollector
from collectors.sources.rss import RssCollector
from collectors.store import Store
from tests.other_sources_support import fixture_text

Handler = Callable[[httpx.Request], httpx.Response]


def _ok(name: str, content_type: str = "application/json", headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(200, content=fixture_text(name).encode(), headers={"content-type": content_type, **(headers or {})})


def bilibili(request: httpx.Request) -> httpx.Response:
    path, params = request.url.path, request.url.params
    if path == "/x/web-interface/nav":
        return _ok("bilibili/nav.json")
    if path.endswith("/search/type"):
        return _ok(f"bilibili/search_page{params['page']}.json")
    if path.endswith("/reply/wbi/main"):
        if params["oid"] != "1000000001":
            return _ok("bilibili/replies_closed_12002.json")
        return _ok("bilibili/replies_page2.json" if "cursor" in params["pagination_str"] else "bilibili/replies_page1.json")
    return httpx.Response(200, content=b"<html></html>", headers={"content-type": "text/html"})


def bluesky(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("createSession"):
        return _ok("bluesky/create_session.json")
    return _ok("bluesky/search_page2.json" if request.url.params.get("cursor") else "bluesky/search_page1.json")


def mastodon(request: httpx.Request) -> httpx.Response:
    if request.url.params.get("max_id"):
        return _ok("mastodon/tag_page2.json")
    link = '<https://example.social/api/v1/timelines/tag/x?max_id=113000000000000002>; rel="next"'
    return _ok("mastodon/tag_page1.json", headers={"link": link})


def gdelt(request: httpx.Request) -> httpx.Response:
    mode = request.url.params["mode"]
    return _ok("gdelt/artlist.json" if mode == "artlist" else f"gdelt/{mode}.json")


def rss(request: httpx.Request) -> httpx.Response:
    return _ok("rss/atom.xml" if request.url.host == "culture.example.com" else "rss/google_news.xml", "application/xml")


def market(request: httpx.Request) -> httpx.Response:
    name = "market/stooq_acme_us.csv" if request.url.params["s"] == "acme.us" else "market/stooq_idx.csv"
    return _ok(name, "text/csv")


CASES = {
    "bilibili": (BilibiliCollector, bilibili, ("AI艺人库",)),
    "bluesky": (BlueskyCollector, bluesky, ("AI actress",)),
    "mastodon": (MastodonCollector, mastodon, ("x",)),
    "gdelt": (GdeltCollector, gdelt, ('"AI artist library"',)),
    "rss": (RssCollector, rss, ("AI artist library", "https://culture.example.com/feed.xml")),
    "market": (MarketCollector, market, ("ACME", "^idx")),
}


def faulty(inner: Handler, seed: int, rate: float = 0.2) -> tuple[Handler, list[str]]:
    rng = random.Random(seed)
    injected: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if rng.random() >= rate and injected:  # the first request always fails, so every case sees a fault
            return inner(request)
        kind = ["429", "500", "timeout", "truncated"][seed % 4] if not injected else \
            rng.choice(["429", "500", "timeout", "truncated"])
        injected.append(kind)
        if kind == "timeout":
            raise httpx.ReadTimeout("injected timeout", request=request)
        if kind == "truncated":
            good = inner(request)
            return httpx.Response(200, content=good.content[: len(good.content) // 2],
                                  headers={"content-type": good.headers.get("content-type", "")})
        return httpx.Response(int(kind), content=b"injected fault")

    return handler, injected


def _collector(cls: type[Collector], handler: Handler, data_dir) -> Collector:
    policy = RetryPolicy(attempts=3, initial=0.0, maximum=0.0, jitter=0.0, sleep=lambda _s: None)
    kw = {"state_dir": data_dir / "state"} if cls is BilibiliCollector else {}
    return cls(make_client(transport=httpx.MockTransport(handler)), sleep=lambda _s: None, policy=policy, **kw)


def _ids(store: Store) -> list[str]:
    frames = []
    if store.files("records"):
        frames += list(store.query("SELECT source || ':' || id AS k FROM records")["k"])
    for dataset in ("gdelt_timeline", "market_prices"):
        if store.files(dataset):
            frames += [json.dumps(r, default=str) for r in store.query(f'SELECT * EXCLUDE (collected_at) FROM "{dataset}"')
                       .to_dict("records")]
    return sorted(frames)


@pytest.fixture(autouse=True)
def bluesky_env(monkeypatch):
    monkeypatch.setenv("ACTORWATCH_BLUESKY_HANDLE", "collector.example.test")
    monkeypatch.setenv("ACTORWATCH_BLUESKY_APP_PASSWORD", "fict-ional-app0-pass")


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_faulty_runs_converge_to_the_clean_run(name, seed, tmp_path):
    cls, handler, terms = CASES[name]
    query = Query("case-a", terms)
    clean = Store(tmp_path / "clean")
    first = run_collection(_collector(cls, handler, tmp_path / "clean"), query, clean)
    assert first.stopped is None and first.errors == []
    expected = _ids(clean)
    assert expected

    store = Store(tmp_path / "faulty")
    noisy, injected = faulty(handler, seed)
    new = rows = 0
    for _ in range(20):  # resume until the run completes
        summary = run_collection(_collector(cls, noisy, tmp_path / "faulty"), query, store)
        assert summary.errors == []
        new, rows = new + summary.ingest.records_new, rows + summary.ingest.rows_new
        if summary.stopped is None:
            break
    assert summary.stopped is None and injected
    assert _ids(store) == expected  # none lost
    assert new + rows == first.ingest.records_new + first.ingest.rows_new  # none stored twice
