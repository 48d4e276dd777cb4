"""Credentials in addresses (signed CDN links, API keys in a query) are redacted by one rule wherever an address is kept:
the raw archive and error messages, a record's url and id, and everything read through `records_public` (exports,
Explore, evidence, charts' data) — the parameter's name stays, so the link still says what it was."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from collectors.models import Record
from collectors.secrets import REDACTED, redact_text, redact_url
from collectors.store import Store
from collectors.urls import canonical_url

S3 = ("https://bucket.s3.amazonaws.com/clip.mp4?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20260420"
      "%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260420T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host"
      "&X-Amz-Signature=deadbeef0123&id=7")
CLOUDFRONT = "https://d111.cloudfront.example/a.jpg?Expires=1776643200&Signature=Zm9vYmFy~abc__&Key-Pair-Id=K2EXAMPLE"
WEIBO_VIDEO = ("https://f.video.weibocdn.com/o0/abc.mp4?label=mp4_720p&template=1280x720.25.0&ori=0&ps=1BThihd3VLAY5R"
               "&Expires=1776643200&ssig=Q2ZsUkWfN7&KID=unistore,video")
SECRETS = ("deadbeef0123", "AKIAEXAMPLE", "Zm9vYmFy", "Q2ZsUkWfN7", "k3y-value", "az-sig", "auth-v", "at-v")
OTHER = ("https://news.example/story?id=12&key=k3y-value&page=2", "https://blob.example/x.png?sv=2024&sig=az-sig&se=1",
         "https://cdn.example/v.m3u8?auth=auth-v&lang=en", "https://api.example/feed?access_token=at-v&q=AI")


def test_signed_and_keyed_urls_lose_their_credentials_but_keep_parameter_names_and_the_page():
    for url in (S3, CLOUDFRONT, WEIBO_VIDEO, *OTHER):
        out = redact_url(url)
        assert not any(s in out for s in SECRETS), out
        assert redact_text(url) == out  # one rule: text (logs, archive) and url fields agree
    assert "X-Amz-Signature=[REDACTED]" in redact_url(S3) and "X-Amz-Credential=[REDACTED]" in redact_url(S3)
    assert "&id=7" in redact_url(S3)
    assert redact_url(CLOUDFRONT) == ("https://d111.cloudfront.example/a.jpg?Expires=1776643200&Signature=[REDACTED]"
                                      "&Key-Pair-Id=K2EXAMPLE")
    assert "ssig=[REDACTED]&KID=unistore,video" in redact_url(WEIBO_VIDEO)
    assert redact_url(OTHER[0]) == f"https://news.example/story?id=12&key={REDACTED}&page=2"
    # names that merely end like a credential word are not credentials
    for plain in ("https://x.example/?keyword=AI&monkey=1", "https://x.example/?oauth=1&author=a&design=b"):
        assert redact_url(plain) == plain
    assert redact_url(None) is None


def test_a_redacted_value_ends_where_the_address_ends_so_an_archived_json_page_stays_json():
    """The value ran to the next white space: in a JSON body a token swallowed the rest of the object (the closing
    quote, the next keys), and the archived page could no longer be parsed again."""
    body = json.dumps({"url": "https://x.example/v.mp4?token=abc", "text": "keep me", "n": 1})
    assert json.loads(redact_text(body)) == {"url": f"https://x.example/v.mp4?token={REDACTED}", "text": "keep me", "n": 1}
    escaped = r'{"src":"https:\/\/f.video.weibocdn.com\/a.mp4?Expires=1&ssig=Q2Zs\u0026KID=unistore","t":"x"}'
    assert json.loads(redact_text(escaped)) == {"src": f"https://f.video.weibocdn.com/a.mp4?Expires=1&ssig={REDACTED}"
                                                       "&KID=unistore", "t": "x"}


def _article(url: str, **kw) -> Record:
    return Record.model_validate({"source": "gdelt", "id": url, "kind": "article", "title": "A signed page",
                                  "url": url, "published_at": datetime(2026, 4, 20, tzinfo=UTC),
                                  "collected_at": datetime(2026, 4, 21, tzinfo=UTC), "trackers": ["case-a"], **kw})


def test_a_records_url_and_an_id_made_of_it_are_stored_without_the_credential():
    record = _article(OTHER[0])
    assert record.url == record.id == redact_url(OTHER[0])


def test_records_stored_before_the_rule_leave_the_store_redacted(data_dir, tmp_path):
    """A store written before (or by an older version) keeps the raw url: what is read through records_public (the
    export bundle, Explore, evidence) is redacted all the same."""
    from analysis.core.filters import Filters
    from analysis.reports.export import export_bundle
    from collectors.trackers import Tracker

    store = Store(data_dir)
    legacy = _article("https://news.example/a").model_copy(update={"url": S3, "id": "legacy-1"})
    store.add_records([legacy])
    with store.connect() as con:
        assert con.execute("SELECT url FROM records_public").fetchone()[0] == redact_url(S3)
    from dashboard import snapshot  # the dashboard's snapshot masks once when built: its urls too
    con = snapshot.open_snapshot(store, [])
    try:
        assert con.execute("SELECT url FROM records_public").fetchone()[0] == redact_url(S3)
    finally:
        con.close()
    tracker = Tracker.model_validate({"id": "case-a", "name_en": "Case A", "name_zh": "案例A",
                                      "trigger_date": "2026-04-20"})
    export_bundle(store, tracker, Filters("case-a", date(2026, 4, 19), date(2026, 4, 21)), tmp_path / "bundle")
    exported = (tmp_path / "bundle" / "records.csv").read_text(encoding="utf-8")
    assert "deadbeef0123" not in exported and "X-Amz-Signature=[REDACTED]" in exported


def test_copies_of_a_signed_article_merge_whatever_their_signature_or_expiry():
    """Two fetches of one article signed at different times differ in Expires and Signature: both name one page."""
    other = CLOUDFRONT.replace("1776643200", "1776646800").replace("Zm9vYmFy~abc__", "b3RoZXI")
    assert canonical_url(CLOUDFRONT) == canonical_url(other) == canonical_url(redact_url(CLOUDFRONT))
    assert canonical_url(S3) == canonical_url(redact_url(S3)) == "https://bucket.s3.amazonaws.com/clip.mp4?id=7"
    # an expiry alone (no signature) may name the page: it stays
    assert canonical_url("https://x.example/a?Expires=1") != canonical_url("https://x.example/a?Expires=2")


def test_a_rejected_items_message_names_the_address_without_its_credential():
    """A rejected item's message (printed by collect and import, and in their --json) quoted a signed address whole."""
    from collectors.importers import ImportIssue
    from collectors.sources.gdelt import GdeltCollector

    raw = {"url": "ftp://files.example/clip.mp4?Expires=1&Signature=Zm9vYmFy", "title": "x", "seendate": "20260420T000000Z"}
    try:
        GdeltCollector.to_record(raw, datetime(2026, 4, 21, tzinfo=UTC))
    except Exception as exc:  # noqa: BLE001 - whatever the collector raises becomes the issue's message
        issue = ImportIssue("page 1 item 0", str(exc))
    assert "Signature=[REDACTED]" in str(issue) and "Zm9vYmFy" not in str(issue)


def test_a_password_written_into_an_address_is_redacted_like_a_credential_parameter(tmp_path):
    """A feed behind HTTP basic auth is given as https://user:password@host/feed.xml: the password was archived (the
    page's url and term), and kept in any address quoting it."""
    import gzip

    from collectors.base import Query, run_collection
    from collectors.sources.rss import RssCollector
    from tests.other_sources_support import Script, fixture_text, make, respond

    feed = "https://reader:hunter2-pass@culture.example.com/feed.xml"
    assert redact_url(feed) == f"https://{REDACTED}@culture.example.com/feed.xml"
    assert redact_text(f"GET {feed} failed") == f"GET https://{REDACTED}@culture.example.com/feed.xml failed"
    assert redact_url("mailto:someone@example.com") == "mailto:someone@example.com"  # no password: nothing to hide
    assert redact_url("https://example.com/@someone:matrix.org") == "https://example.com/@someone:matrix.org"
    script = Script({"/feed.xml": [respond(200, fixture_text("rss/atom.xml"), content_type="application/atom+xml")]})
    store = Store(tmp_path)
    run_collection(make(RssCollector, script), Query("case-a", (feed,)), store)
    archived = "".join(gzip.decompress(p.read_bytes()).decode() for p in store.raw_root.rglob("*.gz"))
    assert "culture.example.com" in archived and "hunter2" not in archived
    legacy = _article("https://news.example/a").model_copy(update={"url": feed, "id": "legacy-2"})
    store.add_records([legacy])
    with store.connect() as con:
        assert con.execute("SELECT url FROM records_public WHERE id = 'legacy-2'").fetchone()[0] == redact_url(feed)


def test_an_address_made_id_stored_before_the_rule_leaves_the_store_redacted(data_dir):
    """GDELT's ids are addresses: a store written before the rule kept a signed one, shown as the record's id and in
    the merged_from of the copy standing for it (Explore's "also carried by", the export)."""
    store = Store(data_dir)
    page = "https://news.example/a?id=3&sig=az-sig"
    gdelt = _article("https://news.example/a?id=3").model_copy(update={"url": page, "id": page})
    rss = _article("https://news.example/a?id=3", source="rss", id="guid-9", text="Longer text stands for both.")
    store.add_records([gdelt, rss])
    with store.connect() as con:
        merged = con.execute("SELECT merged_from FROM records_public").fetchall()
    with store.connect(merge_articles=False) as con:  # each copy apart: its id as Explore and the export show it
        shown = con.execute("SELECT public_id(source, id) FROM records_public WHERE source = 'gdelt'").fetchone()[0]
    assert merged == [([f"gdelt:{redact_url(page)}"],)]
    assert shown == redact_url(page)
