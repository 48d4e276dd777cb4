"""Property tests: mutated Weibo payloads fed to every parser raise only our typed errors, and nothing partial is written."""

from __future__ import annotations

import copy
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.base import ParseError, Query, SourceBlocked, run_collection
from collectors.http import RetryPolicy, make_client
from collectors.importers import ImportIssue, get_format
from collectors.models import InvalidRecord, Record, TrendObservation, table_to_records
from collectors.sources import weibo_html
from collectors.sources.weibo import WeiboSearch, item_to_model
from collectors.sources.weibo_parse import (
    api_v2_page,
    bid_to_mid,
    comment_page,
    comment_to_record,
    hot_item_to_trend,
    hot_search_items,
    html_to_text,
    list_heat,
    load_json,
    mblog_to_record,
    mid_to_bid,
    parse_count,
    parse_created_at,
    parse_location,
    parse_verified_type,
    render_data_json_status,
    render_data_status,
    search_page_mblogs,
)
from collectors.sources.weibo_time import SaveTime, resolve_created_at
from collectors.store import Store

FIX = Path(__file__).parent / "fixtures" / "weibo"
NOW = datetime(2026, 4, 21, 2, 0, tzinfo=UTC)
TYPED = (ParseError, InvalidRecord)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-10**20, max_value=10**20) | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _slots(obj: Any, out: list) -> list:
    """Every (container, key) in a nested JSON value."""
    if isinstance(obj, dict):
        for key in list(obj):
            out.append((obj, key))
            _slots(obj[key], out)
    elif isinstance(obj, list):
        for i in range(len(obj)):
            out.append((obj, i))
            _slots(obj[i], out)
    return out


@st.composite
def mutated(draw: st.DrawFn, payload: Any, rounds: int = 3) -> Any:
    """The payload with a few keys deleted, values replaced by arbitrary JSON, or strings cut short."""
    obj = copy.deepcopy(payload)
    for _ in range(draw(st.integers(1, rounds))):
        slots = _slots(obj, [])
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(["delete", "replace", "truncate"]))
        if action == "delete" and isinstance(container, dict):
            del container[key]
        elif action == "truncate" and isinstance(container[key], str):
            container[key] = container[key][: draw(st.integers(0, max(0, len(container[key]) - 1)))]
        else:
            container[key] = draw(json_values)
    return obj


def fixture_json(name: str) -> Any:
    return json.loads((FIX / name).read_text(encoding="utf-8"))


def only_typed(fn, *args, **kwargs) -> Any:
    try:
        return fn(*args, **kwargs)
    except TYPED:
        return None


SEARCH = fixture_json("search_page1.json")
HOTFLOW = fixture_json("hotflow_page1.json")
HOT = fixture_json("hot_search_20260420T0930Z.json")
AJAX = fixture_json("build_comments.json")


@SETTINGS
@given(st.one_of(json_values, st.text(max_size=40)), json_values)
def test_scalar_parsers_raise_only_typed_errors(value, other):
    for fn in (parse_created_at, parse_count, html_to_text, parse_verified_type):
        only_typed(fn, value)
    only_typed(resolve_created_at, value, other, SaveTime(NOW, "file-mtime"))
    parse_location(value)  # never raises
    only_typed(bid_to_mid, value if isinstance(value, str) else "x")
    only_typed(mid_to_bid, value if isinstance(value, str) else "1")
    only_typed(item_to_model, other if isinstance(other, dict) else {"type": "mblog", "item": other}, NOW, "t")


@SETTINGS
@given(mutated(SEARCH))
def test_search_page_mutations(payload):
    mblogs = only_typed(search_page_mblogs, payload) or []
    for mblog in mblogs:
        record = only_typed(mblog_to_record, mblog, NOW, "case-a")
        assert record is None or isinstance(record, Record)


@SETTINGS
@given(st.one_of(mutated(HOTFLOW), mutated(AJAX)))
def test_comment_page_mutations(payload):
    result = only_typed(comment_page, payload)
    for item in (result[0] if result else []):
        record = only_typed(comment_to_record, item, NOW, None, "5284000000000001")
        assert record is None or record.kind == "comment"


V2_COMMENTS = fixture_json("api_v2_comments.json")
V2_REPOSTS = fixture_json("api_v2_reposts.json")
RENDER_DATA = fixture_json("render_data_5289885793676909.json")


@SETTINGS
@given(st.one_of(mutated(V2_COMMENTS), mutated(V2_REPOSTS)))
def test_api_v2_mutations(payload):
    posts, comments = only_typed(api_v2_page, payload) or ([], [])
    for post in posts:
        record = only_typed(mblog_to_record, post, NOW, None, SaveTime(NOW, "file-mtime"), [])
        assert record is None or isinstance(record, Record)
    for comment in comments:
        record = only_typed(comment_to_record, comment, NOW, warnings=[])
        assert record is None or record.kind == "comment"


@SETTINGS
@given(mutated(RENDER_DATA))
def test_render_data_json_mutations(payload):
    status = only_typed(render_data_json_status, payload)
    if status is not None:
        record = only_typed(mblog_to_record, status, NOW)
        assert record is None or isinstance(record, Record)


@SETTINGS
@given(mutated(HOT))
def test_hot_search_mutations(payload):
    for item in only_typed(hot_search_items, payload) or []:
        trend = only_typed(hot_item_to_trend, item, NOW, "snap", ["case-a"], only_typed(list_heat, [item]))
        assert trend is None or isinstance(trend, TrendObservation)


TEXT_FIXTURES = {name: (FIX / name).read_text(encoding="utf-8") for name in (
    "detail_5284000000000004.html", "weibo_cn_timeline.html", "weibo_cn_comments.html", "search_page1.json",
    "weibo_cn_comments_hot_2025.html", "weibo_cn_reposts_2025.html")}


@SETTINGS
@given(st.sampled_from(sorted(TEXT_FIXTURES)), st.data())
def test_truncated_and_spliced_text_bodies(name, data):
    body = TEXT_FIXTURES[name]
    cut = data.draw(st.integers(0, len(body)))
    junk = data.draw(st.text(max_size=20))
    text = body[:cut] + junk + body[cut + data.draw(st.integers(0, 50)):]
    only_typed(load_json, text, "x")
    only_typed(render_data_status, text)
    pages = [only_typed(parse, text) for parse in (weibo_html.comment_list_page, weibo_html.repost_list_page,
                                                    weibo_html.weibo_cn_page)]
    for page in (only_typed(weibo_html.timeline_page, text, "1"), *pages):
        for item in (page.items + ([page.post] if page.post else []) if page else []):
            only_typed(mblog_to_record, item, NOW)
            only_typed(comment_to_record, item, NOW)


IMPORT_FIXTURES = [
    ("search_page1.json", "weibo-json"), ("hotflow_page1.json", "weibo-json"), ("hot_search_20260420T0930Z.json", "weibo-hot-search"),
    ("mediacrawler/search_contents_2026-04-21.json", "mediacrawler-weibo"),
    ("render_data_5289885793676909.json", "weibo-render-data"), ("api_v2_comments.json", "weibo-api-v2"),
    ("api_v2_statuses.json", "weibo-api-v2"),
]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(IMPORT_FIXTURES), st.data())
def test_importers_never_raise_on_mutated_files(choice, data):
    name, fmt = choice
    payload = data.draw(mutated(fixture_json(name)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(name).name
        path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        for item in get_format(fmt).read(path):
            assert isinstance(item, Record | TrendObservation | ImportIssue)


TEXT_IMPORTS = [
    ("weibo-crawler/小鹿观影/1000000001.csv", "weibo-crawler-csv"), ("mediacrawler/search_comments_2026-04-21.jsonl", "mediacrawler-weibo"),
    ("mediacrawler/search_contents_2026-04-21.csv", "mediacrawler-weibo"), ("weibo_cn_timeline.html", "weibo-cn-html"),
    ("weibo_cn_comments.html", "weibo-cn-html"), ("detail_5284000000000004.html", "weibo-detail-html"),
    ("weibo_cn_comments_hot_2025.html", "weibo-cn-html"), ("weibo_cn_reposts_2025.html", "weibo-cn-html"),
    ("weibo_cn_profile_2025.html", "weibo-cn-html"),
]


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(TEXT_IMPORTS), st.data())
def test_importers_never_raise_on_cut_or_spliced_files(choice, data):
    name, fmt = choice
    body = (FIX / name).read_bytes()
    cut = data.draw(st.integers(0, len(body)))
    junk = data.draw(st.binary(max_size=12) | st.text(max_size=12).map(lambda t: t.encode()))
    mutated_body = body[:cut] + junk + body[cut + data.draw(st.integers(0, 40)):]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(name).name
        path.write_bytes(mutated_body)
        for item in get_format(fmt).read(path):
            assert isinstance(item, Record | TrendObservation | ImportIssue)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(SEARCH, rounds=2))
def test_collecting_a_mutated_page_writes_only_whole_valid_records(payload):
    """Every stored record is a complete, valid model; the count equals what the summary says was new."""
    body = json.dumps(payload, ensure_ascii=False).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        page = request.url.params.get("page")
        if page == "1":
            return httpx.Response(200, content=body)
        return httpx.Response(200, json={"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}})

    collector = WeiboSearch(make_client(transport=httpx.MockTransport(handler)), cookie="c", sleep=lambda s: None,
                            policy=RetryPolicy(attempts=2, sleep=lambda s: None))
    collector.fetch_long_text = False
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(tmp)
        try:
            summary = run_collection(collector, Query("case-a", ("x",)), store)
        except SourceBlocked:  # pragma: no cover - run_collection turns it into summary.stopped
            raise AssertionError("SourceBlocked must not escape run_collection") from None
        files = store.files("records")
        stored: list[Record] = []
        if files:
            with store.connect() as con:
                stored = table_to_records(con.sql("SELECT * FROM records").to_arrow_table())
        assert len(stored) == summary.ingest.records_new
        if summary.errors:  # the page did not parse: it is archived raw, and nothing from it is written
            assert stored == [] and len(list(store.iter_raw("weibo"))) == 1
