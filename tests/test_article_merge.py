"""A news article that arrives through several sources (RSS and GDELT, an import) is one record wherever records are
counted; every stored copy stays, and the record says which copies it stands for."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.core.filters import Filters
from analysis.stats import aggregate
from collectors.store import RECORDS, Store
from collectors.urls import canonical_url
from dashboard import snapshot

DAY = datetime(2026, 4, 20, 8, 0, tzinfo=UTC)
VIEW = Filters("case-a", date(2026, 4, 19), date(2026, 4, 21))


def test_canonical_url_drops_what_does_not_name_the_page():
    same = ["https://www.Example.com/news/a-story/?utm_source=rss&utm_medium=feed#top",
            "HTTP://example.com/news/a-story?fbclid=abc",
            "https://EXAMPLE.com:443/news/a-story?gclid=1&UTM_Campaign=x",
            "  https://example.com/news/a-story  "]
    assert {canonical_url(u) for u in same} == {"https://example.com/news/a-story"}
    # what names the page stays: other parameters (in any order), the path's case, another port
    assert canonical_url("https://example.com/a?id=2&p=1") == canonical_url("https://example.com/a?p=1&id=2")
    assert canonical_url("https://example.com/a?id=2") != canonical_url("https://example.com/a?id=3")
    assert canonical_url("https://example.com/A") != canonical_url("https://example.com/a")
    assert canonical_url("https://example.com:8080/a") != canonical_url("https://example.com/a")
    assert canonical_url(None) is None and canonical_url(" ") is None


_part = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)


@settings(deadline=None)
@given(host=st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(com|cn|org)", fullmatch=True), path=st.lists(_part, max_size=4),
       query=st.lists(st.tuples(_part, _part), max_size=4), fragment=_part)
def test_canonical_url_is_idempotent_and_ignores_tracking(host, path, query, fragment):
    from urllib.parse import quote

    url = (f"https://{host}/" + "/".join(quote(p) for p in path) + "?"
           + "&".join(f"{quote(k)}={quote(v)}" for k, v in query) + f"#{quote(fragment)}")
    key = canonical_url(url)
    assert canonical_url(key) == key
    tracked = url.replace("?", "?utm_source=x&fbclid=y&", 1).replace("https://", "http://www.", 1)
    assert canonical_url(tracked) == key


def _article(make_record, source, rid, url, **kw):
    return make_record(source=source, id=rid, kind="article", url=url, title="iQIYI launches an AI artist library",
                       text=kw.pop("text", ""), author_id=None, author_name="example.com", lang="en",
                       published_at=DAY, **kw)


def _store(data_dir, make_record) -> Store:
    store = Store(data_dir)
    store.add_records([
        _article(make_record, "rss", "guid-1", "https://www.example.com/news/ai-artists/?utm_source=rss",
                 text="The studios of four actors denied signing.", trackers=["case-a"]),
        _article(make_record, "gdelt", "https://example.com/news/ai-artists", "https://example.com/news/ai-artists",
                 trackers=["case-b"]),
        # a social post linking the same page is a post of its own
        make_record(source="bluesky", id="at://post/1", url="https://example.com/news/ai-artists", published_at=DAY),
        # another article
        _article(make_record, "gdelt", "https://example.com/other", "https://example.com/other"),
    ])
    return store


def test_an_article_from_two_sources_is_one_record_and_both_copies_stay_stored(data_dir, make_record):
    store = _store(data_dir, make_record)
    with store.connect() as con:
        rows = con.execute("SELECT source, id, trackers, merged_from FROM records WHERE kind = 'article' "
                           "ORDER BY id").fetchall()
        total = con.execute("SELECT count(*) FROM records").fetchone()[0]
        stored = con.execute(f"SELECT count(*) FROM {store.parquet_scan(RECORDS)}").fetchone()[0]
    assert total == 3 and stored == 4  # counted once; nothing collected is dropped from the files
    merged = [r for r in rows if r[2] != ["case-a"]]
    # the copy with text stands for both, found by both trackers, and names the copy it stands for
    assert merged == [("rss", "guid-1", ["case-a", "case-b"], ["gdelt:https://example.com/news/ai-artists"])]
    assert [r[3] for r in rows if r[1] == "https://example.com/other"] == [None]
    assert store.totals() == (3, 0)
    store.compact()
    with store.connect() as con:
        assert con.execute(f"SELECT count(*) FROM {store.parquet_scan(RECORDS)}").fetchone()[0] == 4


def test_overview_counts_a_merged_article_once_in_the_store_and_in_the_snapshot(data_dir, make_record):
    store = _store(data_dir, make_record)
    with store.connect() as con:
        direct = aggregate.kpis(con, VIEW)["records"], aggregate.daily_volume(con, VIEW)
    con = snapshot.open_snapshot(store)
    try:
        snap = aggregate.kpis(con, VIEW)["records"], aggregate.daily_volume(con, VIEW)
        public = con.execute("SELECT merged_from FROM records_public WHERE id = 'guid-1'").fetchone()[0]
    finally:
        con.close()
    for records, volume in (direct, snap):
        assert records == 3
        assert volume.groupby("source")["records"].sum().to_dict() == {"bluesky": 1, "gdelt": 1, "rss": 1}
    assert public == ["gdelt:https://example.com/news/ai-artists"]
    # the other tracker sees the article too, once
    with store.connect() as con:
        assert aggregate.kpis(con, Filters("case-b", VIEW.start, VIEW.end))["records"] == 1


def test_the_export_has_the_article_once_and_names_the_copies_it_merged(tmp_path, data_dir, make_record):
    from analysis.reports.export import export_bundle, read_bundle
    from collectors.trackers import Tracker

    store = _store(data_dir, make_record)
    tracker = Tracker.model_validate({"id": "case-a", "name_en": "Case A", "name_zh": "案例A",
                                      "trigger_date": "2026-04-20"})
    result = export_bundle(store, tracker, VIEW, tmp_path / "bundle")
    manifest, frame = read_bundle(tmp_path / "bundle")
    assert result.records == 3 and manifest["counts"]["by_source"] == {"bluesky": 1, "gdelt": 1, "rss": 1}
    assert manifest["counts"]["merged"] == 1 and "merged_from" in manifest["merged_note"]
    row = frame[frame["id"] == "guid-1"].iloc[0]
    assert list(row["merged_from"]) == ["gdelt:https://example.com/news/ai-artists"]
    assert list(frame.loc[frame["id"] != "guid-1", "merged_from"]) == [[], []]


def _google_id(url: bytes, field: bytes = b"\x08\x13") -> str:
    """A Google News article id as older feeds write it: base64 of a small protobuf holding the publisher's URL."""
    import base64

    return base64.urlsafe_b64encode(field + b'"' + bytes([len(url)]) + url + b"\xd2\x01\x00").decode().rstrip("=")


def test_a_google_news_copy_names_the_publishers_page_when_its_link_holds_it():
    """Google News links are news.google.com redirects: the same article from the publisher's feed or GDELT did not
    merge with it. An older article id holds the publisher's URL (offline, no request); the link itself is kept."""
    from tests.test_rss import _records

    google = _records("rss/google_news.xml", "https://news.google.com/rss/search?q=x")[0]
    assert google.url == "https://news.google.com/rss/articles/CBMiFWh0dHBzOi8vZXhhbXBsZS5jb20vYdIBAA?oc=5"
    assert canonical_url(google.url) == canonical_url("http://www.example.com/a/?utm_source=rss")
    for path in ("/rss/articles/", "/articles/", "/__i/rss/rd/articles/"):
        link = f"https://news.google.com{path}{_google_id(b'https://outlet.example/s/1?id=2')}?hl=en-US&oc=5"
        assert canonical_url(link) == "https://outlet.example/s/1?id=2"
    # newer ids hold an opaque token (resolved only by asking Google): the redirect stays the key, nothing is fetched;
    # its edition and referrer parameters (hl, gl, ceid, oc) do not name the article
    opaque = f"https://news.google.com/rss/articles/{_google_id(b'AU_yqLPz3k0Example-token')}"
    assert canonical_url(f"{opaque}?oc=5") == canonical_url(f"{opaque}?hl=zh-CN&gl=CN&ceid=CN:zh-Hans") == opaque
    for broken in ("CBMiOld", "CBMiGGh0dHBzOi8vc2FtcGxlLm9yZy9iJdIBAA", "!!!", _google_id(b"javascript:alert(1)")):
        link = f"https://news.google.com/rss/articles/{broken}"
        assert canonical_url(link) == link


def test_a_google_news_copy_and_the_publishers_are_one_record(data_dir, make_record):
    store = Store(data_dir)
    link = f"https://news.google.com/rss/articles/{_google_id(b'https://www.example.com/news/ai-artists')}?oc=5"
    store.add_records([
        _article(make_record, "rss", "guid-g", link, trackers=["case-a"]),
        _article(make_record, "gdelt", "https://example.com/news/ai-artists", "https://example.com/news/ai-artists",
                 text="The studios denied it.", trackers=["case-a"]),
    ])
    with store.connect() as con:
        rows = con.execute("SELECT source, url, merged_from FROM records").fetchall()
    assert rows == [("gdelt", "https://example.com/news/ai-artists", ["rss:guid-g"])]


def test_one_page_however_its_host_is_written_is_one_key():
    """An internationalised host (Unicode or punycode, a full-width dot), a mobile or AMP copy of the page, and Google's
    AMP cache addresses gave as many keys as spellings, so copies of one article did not merge."""
    assert canonical_url("https://例子.中国/新闻/1") == canonical_url("https://xn--fsqu00a.xn--fiqs8s/%E6%96%B0%E9%97%BB/1")
    assert canonical_url("https://例子。中国/新闻/1") == canonical_url("https://例子.中国/新闻/1")
    assert canonical_url("https://BÜCHER.example/a") == "https://xn--bcher-kva.example/a"
    page = "https://example.com/news/ai-artists"
    for copy in ("https://m.example.com/news/ai-artists", "https://mobile.example.com/news/ai-artists/",
                 "https://amp.example.com/news/ai-artists", "https://www.example.com/news/ai-artists/amp",
                 "https://example.com/amp/news/ai-artists", "https://example.com/news/ai-artists?amp=1",
                 "https://example.com/news/ai-artists?outputType=amp", "https://example.com/news/ai-artists?amp",
                 "https://www.google.com/amp/s/www.example.com/news/ai-artists",
                 "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/news/ai-artists"):
        assert canonical_url(copy) == page, copy
    # a host that is only "m." and a top-level domain is a site of its own; other subdomains stay
    assert canonical_url("https://m.me/a") == "https://m.me/a"
    assert canonical_url("https://news.example.com/a") != canonical_url("https://example.com/a")
    # an AMP cache address of a plain-http page, and an address that only mentions amp
    assert canonical_url("https://www.google.com/amp/example.com/a") == "https://example.com/a"
    assert canonical_url("https://example.com/ampere/amplifier") == "https://example.com/ampere/amplifier"


def test_one_weibo_post_however_its_address_is_written_is_one_page():
    """A post's url is weibo.com/<uid>/<bid> and its comments' m.weibo.cn/detail/<mid>: labelled rows of one post were
    resampled as different pages, so the intervals came out narrower than the data allow."""
    from analysis.nlp.tasks import page_groups

    forms = ["https://weibo.com/1234567890/PxEt2uzKj", "https://m.weibo.cn/detail/5180203847287251",
             "https://m.weibo.cn/status/PxEt2uzKj", "https://m.weibo.cn/status/5180203847287251?from=share",
             "https://weibo.com/detail/5180203847287251", "https://weibo.cn/comment/PxEt2uzKj",
             "http://www.weibo.com/1234567890/PxEt2uzKj?type=comment#_rnd1"]
    assert {canonical_url(u) for u in forms} == {"https://m.weibo.cn/detail/5180203847287251"}
    assert len(set(page_groups(forms))) == 1
    assert canonical_url("https://weibo.com/u/1234567890") == "https://weibo.com/u/1234567890"  # a profile: no post
    groups = page_groups(["https://example.com/a", "http://www.example.com/a/", "", "https://example.com/b"])
    assert groups[0] == groups[1] and len(set(groups)) == 3


def test_escapes_are_written_one_way_but_an_escaped_slash_stays_part_of_its_segment():
    """Unescaping the whole path made /a%2Fb (one segment holding a slash, e.g. an encoded id) the page /a/b."""
    assert canonical_url("https://x.example/a%2Fb") != canonical_url("https://x.example/a/b")
    assert canonical_url("https://x.example/a%2fb") == canonical_url("https://x.example/a%2Fb") == "https://x.example/a%2Fb"
    assert canonical_url("https://x.example/%e6%96%b0%7E") == canonical_url("https://x.example/新~")


def test_a_hashbang_fragment_names_the_page():
    """The fragment was dropped whole: on a site that routes by #! (/#!/news/1, /#!/news/2) every article had the
    home page's key, so different articles merged into one record."""
    assert canonical_url("https://example.com/#!/news/1") != canonical_url("https://example.com/#!/news/2")
    assert canonical_url("http://www.example.com/#!/news/1") == "https://example.com#!/news/1"
    assert canonical_url("https://example.com/news/1#comments") == "https://example.com/news/1"


def test_a_click_through_redirect_that_carries_the_page_is_that_pages_key():
    """Bing News feeds link www.bing.com/news/apiclick.aspx?…&url=<page>, search results google.com/url?q=<page>:
    the page is in the address (read offline), so such a copy merges with the outlet's."""
    page = "https://example.com/news/ai-artists"
    bing = ("http://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=abc&url=https%3a%2f%2fwww.example.com"
            "%2fnews%2fai-artists%3futm_source%3drss&c=123&mkt=en-us")
    for link in (bing,
                 "https://www.google.com/url?rct=j&sa=t&url=https://example.com/news/ai-artists&ct=ga&cd=x&usg=y",
                 "https://www.google.co.uk/url?q=https%3A%2F%2Fexample.com%2Fnews%2Fai-artists&sa=D",
                 "https://news.google.com/news/url?sa=t&fd=R&url=https://example.com/news/ai-artists"):
        assert canonical_url(link) == page, link
    # a target that is not a web address is no target
    assert canonical_url("https://www.google.com/url?q=javascript:alert(1)").startswith("https://google.com/url?")
