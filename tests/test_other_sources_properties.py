"""Property tests: mutated payloads fed to every non-Weibo parser, collector page and importer.

Only the project's typed errors (ParseError, InvalidRecord, SourceBlocked — or ImportIssue items) may
come out, and nothing partial is written: the store holds exactly the items that were valid.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.base import ParseError, Query, run_collection
from collectors.datasets import DatasetRow
from collectors.importers import ImportIssue, get_format
from collectors.importers.fourcat import fourcat_record
from collectors.importers.mediacrawler_bilibili import mediacrawler_bilibili_record
from collectors.ingest import ingest
from collectors.models import InvalidRecord, Record
from collectors.sources.bilibili import BilibiliCollector
from collectors.sources.bluesky import BlueskyCollector
from collectors.sources.gdelt import GdeltCollector, timeline_items
from collectors.sources.market import MarketCollector, csv_rows
from collectors.sources.mastodon import MastodonCollector
from collectors.sources.rss import RssCollector, feed_items
from collectors.store import Store
from tests.other_sources_support import COLLECTED, FIXTURES, Script, fixture_json, fixture_text, make, respond

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])
# whole runs write Parquet per example: fewer examples keep the suite light on a shared machine
RUN_SETTINGS = settings(SETTINGS, max_examples=20)
TYPED = (ParseError, InvalidRecord)

leaves = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True, allow_infinity=True)
          | st.text(max_size=12) | st.sampled_from(["", "--", "1.2万", "at://x", "<b>", "2026-13-45", "0", "-1"]))
values = st.recursive(leaves, lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids,
                                                                                          max_size=3), max_leaves=6)


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            found += _paths(v, (*prefix, i))
    return found


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """`base` with 1-4 of its values (at any depth) replaced by arbitrary JSON or deleted."""
    obj = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(obj)))
        if not path:
            obj = draw(values)
            continue
        parent = obj
        try:
            for key in path[:-1]:
                parent = parent[key]
            if draw(st.booleans()) and isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent[path[-1]] = draw(values)
        except (KeyError, IndexError, TypeError):
            continue
    return obj


@st.composite
def mangled(draw: st.DrawFn, text: bytes) -> bytes:
    """Bytes with a truncation, deletions and random insertions (broken encodings included)."""
    data = bytearray(text)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["cut", "drop", "insert"]))
        if op == "cut":
            del data[at:]
        elif op == "drop":
            del data[at: at + draw(st.integers(1, 40))]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=12))
    return bytes(data)


def _check(convert: Callable[[], Any]) -> Any:
    try:
        result = convert()
    except TYPED:
        return None
    assert isinstance(result, Record | DatasetRow)
    return result


# ---------- pure item mappings ----------
ITEMS = {
    "bilibili video": (BilibiliCollector, fixture_json("bilibili/search_page1.json")["data"]["result"][0]),
    "bilibili reply": (BilibiliCollector, fixture_json("bilibili/replies_page1.json")["data"]["replies"][0]),
    "gdelt article": (GdeltCollector, fixture_json("gdelt/artlist.json")["articles"][0]),
    "gdelt point": (GdeltCollector, timeline_items(fixture_json("gdelt/timelinevolraw.json"), "q", "timelinevolraw")[0]),
    "rss item": (RssCollector, feed_items(fixture_text("rss/google_news.xml"), "https://news.google.com/rss")[0]),
    "bluesky post": (BlueskyCollector, fixture_json("bluesky/search_page1.json")["posts"][1]),
    "mastodon status": (MastodonCollector, fixture_json("mastodon/tag_page1.json")[0]),
    "price row": (MarketCollector, csv_rows(fixture_text("market/stooq_acme_us.csv"), "ACME")[0]),
}


@pytest.mark.parametrize("name", sorted(ITEMS))
def test_item_mappings_raise_only_typed_errors(name):
    cls, base = ITEMS[name]
    assert _check(lambda: cls.to_record(base, COLLECTED, "case-a")) is not None  # the fixture itself maps

    @SETTINGS
    @given(mutated(base))
    def run(raw):
        _check(lambda: cls.to_record(raw, COLLECTED, "case-a"))

    run()


EXPORT_ROWS = {
    "mediacrawler video": (mediacrawler_bilibili_record,
                           fixture_json("mediacrawler_bilibili/search_contents_2026-04-22.json")[0]),
    "mediacrawler comment": (mediacrawler_bilibili_record, json.loads(
        fixture_text("mediacrawler_bilibili/search_comments_2026-04-22.jsonl").splitlines()[0])),
    "4cat row": (fourcat_record, json.loads(fixture_text("fourcat/forum-export.ndjson").splitlines()[1])),
}


@pytest.mark.parametrize("name", sorted(EXPORT_ROWS))
def test_export_row_mappings_raise_only_typed_errors(name):
    convert, base = EXPORT_ROWS[name]
    assert _check(lambda: convert(base, COLLECTED, "case-a")) is not None

    @SETTINGS
    @given(mutated(base))
    def run(row):
        _check(lambda: convert(row, COLLECTED, "case-a"))

    run()


@SETTINGS
@given(mangled(fixture_text("rss/atom.xml").encode()))
def test_feed_parsing_raises_only_typed_errors(body):
    try:
        items = feed_items(body)
    except TYPED:
        return
    for item in items:
        _check(lambda item=item: RssCollector.to_record(item, COLLECTED))


@SETTINGS
@given(mangled(fixture_text("market/stooq_acme_us.csv").encode()))
def test_price_csv_parsing_raises_only_typed_errors(body):
    try:
        rows = csv_rows(body.decode("utf-8", "replace"), "ACME")
    except TYPED:
        return
    for row in rows:
        _check(lambda row=row: MarketCollector.to_record(row, COLLECTED))


# ---------- whole pages through run_collection: typed stop, or exactly the valid items stored ----------
# (collector, fixture per path, the path whose body is mutated, the body that path serves after it: the end)
PAGES = {
    "bilibili": (BilibiliCollector, {"/x/web-interface/nav": "bilibili/nav.json",
                                     "/x/web-interface/wbi/search/type": "bilibili/search_page2.json",
                                     "/x/v2/reply/wbi/main": "bilibili/replies_page1.json"}, "/x/v2/reply/wbi/main",
                 fixture_json("bilibili/replies_page2.json")),
    "gdelt": (GdeltCollector, {"/api/v2/doc/doc": "gdelt/artlist.json"}, "/api/v2/doc/doc", {}),
    "bluesky": (BlueskyCollector, {"/xrpc/com.atproto.server.createSession": "bluesky/create_session.json",
                                   "/xrpc/app.bsky.feed.searchPosts": "bluesky/search_page1.json"},
                "/xrpc/app.bsky.feed.searchPosts", {"posts": []}),
    "mastodon": (MastodonCollector, {"/api/v1/timelines/tag/x": "mastodon/tag_page1.json"}, "/api/v1/timelines/tag/x", []),
}


@pytest.fixture
def bluesky_env(monkeypatch):
    monkeypatch.setenv("ACTORWATCH_BLUESKY_HANDLE", "collector.example.test")
    monkeypatch.setenv("ACTORWATCH_BLUESKY_APP_PASSWORD", "fict-ional-app0-pass")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_mutated_pages_store_only_valid_items(name, tmp_path, bluesky_env):
    cls, routes, target, end = PAGES[name]
    base = fixture_json(routes[target])
    counter = iter(range(10**6))

    @RUN_SETTINGS
    @given(mutated(base))
    def run(body):
        data = tmp_path / f"run{next(counter)}"
        script = Script({path: [respond(200, body), respond(200, end)] if path == target else [respond(200, fixture_json(f))]
                         for path, f in routes.items()})
        kw = {"state_dir": data / "state"} if cls is BilibiliCollector else {}
        collector = make(cls, script, **kw)
        if cls is GdeltCollector:
            collector.timelines = False
        store = Store(data)
        summary = run_collection(collector, Query("case-a", ("x",), max_items=50), store)
        stored = len(store.query("SELECT id FROM records")) if store.files("records") else 0
        assert stored == summary.ingest.records_new  # nothing partial: every stored row is a whole valid record
        archived = list(store.iter_raw(cls.name))
        assert len(archived) >= summary.pages  # raw kept before parsing for every ingested page
        shutil.rmtree(data, ignore_errors=True)

    run()


# ---------- importers on mangled files ----------
IMPORTED = {
    "bilibili-json": "bilibili/replies_page1.json",
    "gdelt-json": "gdelt/timelinevolraw.json",
    "rss-xml": "rss/google_news.xml",
    "bluesky-json": "bluesky/search_page1.json",
    "mastodon-json": "mastodon/tag_page1.json",
    "mediacrawler-bilibili": "mediacrawler_bilibili/search_contents_2026-04-22.csv",
    "4cat": "fourcat/bsky-search-AI-actress.csv",
    "market-csv": "market/yahoo_style_ACME.csv",
}


@pytest.mark.parametrize("fmt", sorted(IMPORTED))
def test_importers_on_mangled_files_yield_items_or_issues_and_store_only_valid_ones(fmt, tmp_path):
    source = FIXTURES / IMPORTED[fmt]
    importer = get_format(fmt)
    counter = iter(range(10**6))

    @RUN_SETTINGS
    @given(mangled(source.read_bytes()))
    def run(body):
        n = next(counter)
        path = tmp_path / f"in{n}{source.suffix}"
        path.write_bytes(body)
        items = list(importer.read(path))  # must not raise
        assert all(isinstance(i, Record | DatasetRow | ImportIssue) for i in items)
        valid_records = {i.key for i in items if isinstance(i, Record)}
        store = Store(tmp_path / f"store{n}")
        summary = ingest(items, store)
        stored = len(store.query("SELECT id FROM records")) if store.files("records") else 0
        assert stored == len(valid_records) == summary.records_new
        rows = {(type(i).__name__, i.row_key) for i in items if isinstance(i, DatasetRow)}
        assert summary.rows_new == len(rows)
        assert summary.rejected == sum(isinstance(i, ImportIssue) for i in items)
        shutil.rmtree(tmp_path / f"store{n}", ignore_errors=True)

    run()


@pytest.mark.parametrize("fmt, name", [("bluesky-json", "bluesky/search_page1.json"),
                                       ("mastodon-json", "mastodon/tag_page1.json"),
                                       ("gdelt-json", "gdelt/artlist.json")])
def test_importers_on_mutated_json_structures(fmt, name, tmp_path):
    base = fixture_json(name)
    importer = get_format(fmt)
    counter = iter(range(10**6))

    @SETTINGS
    @given(mutated(base))
    def run(body):
        path = tmp_path / f"in{next(counter)}.json"
        path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        items = list(importer.read(path))
        assert all(isinstance(i, Record | DatasetRow | ImportIssue) for i in items)

    run()
