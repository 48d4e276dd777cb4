"""The public view's links: an ordinary user's id or name is pseudonymised where the link names them (a whole path
segment or a whole query value), in every form the collectors write, and nowhere else (no other part of a link
changes)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from collectors.models import Record
from collectors.store import Store

ORDINARY = {"author_verified_type": -1}
# (source, author id, author name, url, what the public url is: {p} stands for the author's pseudonym)
CASES = {
    "weibo post": ("weibo", "1234567890", "网友甲", "https://weibo.com/1234567890/N1234abcd",
                   "https://weibo.com/{p}/N1234abcd"),
    "weibo post, short uid inside the bid": ("weibo", "123", "网友乙", "https://weibo.com/123/Ab123cdEf",
                                             "https://weibo.com/{p}/Ab123cdEf"),
    "weibo post by mid": ("weibo", "5678", "网友丙", "https://m.weibo.cn/detail/4956781234567890",
                          "https://m.weibo.cn/detail/4956781234567890"),
    "weibo profile": ("weibo", "1234567", "网友丁", "https://m.weibo.cn/u/1234567", "https://m.weibo.cn/u/{p}"),
    "weibo profile by query": ("weibo", "1234568", "网友戊", "https://m.weibo.cn/profile/info?uid=1234568&f=1",
                               "https://m.weibo.cn/profile/info?uid={p}&f=1"),
    "bilibili comment, uid inside the av number and the reply id": (
        "bilibili", "123", "up甲", "https://www.bilibili.com/video/av1234567#reply51234",
        "https://www.bilibili.com/video/av1234567#reply51234"),
    "bilibili video": ("bilibili", "17", "up乙", "https://www.bilibili.com/video/BV17x411w7KC",
                       "https://www.bilibili.com/video/BV17x411w7KC"),
    "bilibili space": ("bilibili", "4242", "up丙", "https://space.bilibili.com/4242", "https://space.bilibili.com/{p}"),
    "bilibili space page": ("bilibili", "4243", "up丁", "https://space.bilibili.com/4243/dynamic",
                            "https://space.bilibili.com/{p}/dynamic"),
    "bluesky post": ("bluesky", "did:plc:abc123", "someone.bsky.social",
                     "https://bsky.app/profile/did:plc:abc123/post/3kabc", "https://bsky.app/profile/{p}/post/3kabc"),
    "mastodon status": ("mastodon", "https://mastodon.example/@bob", "bob@mastodon.example",
                        "https://mastodon.example/@bob/109876543", "https://mastodon.example/@{p}/109876543"),
    "mastodon profile": ("mastodon", "https://mastodon.example/@carol", "carol@mastodon.example",
                         "https://mastodon.example/@carol", "https://mastodon.example/@{p}"),
    "4cat tweet, numeric id inside the status id": ("4cat", "98765", "plainjane",
                                                    "https://twitter.com/plainjane/status/1987654321",
                                                    "https://twitter.com/{p}/status/1987654321"),
    "4cat tweet, no author id": ("4cat", None, "nobody_x", "https://twitter.com/nobody_x/status/42",
                                 "https://twitter.com/{p}/status/42"),
    "4cat tweet by id": ("4cat", "55555", "joe_doe", "https://x.com/i/web/status/155555",
                         "https://x.com/i/web/status/155555"),
}


@pytest.fixture
def public_urls(data_dir: object, make_record: Callable[..., Record]) -> dict[str, tuple[str, str]]:
    store = Store(data_dir)
    store.add_records([make_record(source=source, id=f"r{k}", author_id=aid, author_name=name, url=url, **ORDINARY)
                       for k, (source, aid, name, url, _) in enumerate(CASES.values())])
    with store.connect() as con:
        rows = {r[0]: r[1:] for r in con.execute("SELECT id, url, author_name FROM records_public").fetchall()}
    return {case: rows[f"r{k}"] for k, case in enumerate(CASES)}


@pytest.mark.parametrize("case", list(CASES))
def test_a_link_names_its_author_only_by_pseudonym_and_is_otherwise_as_stored(
        public_urls: dict[str, tuple[str, str]], case: str) -> None:
    """`named_url` replaced the author's id anywhere in the link as a substring: a short id (an early Bilibili uid
    like 123) garbled a link inside an av number or a reply id, and a Mastodon status link became "u_…/109…"."""
    _source, aid, name, _url, expected = CASES[case]
    url, pseudonym = public_urls[case]
    assert pseudonym.startswith("u_")
    assert url == expected.format(p=pseudonym)
    parts = re.split(r"[/?&#=@]", url.split("://", 1)[1])
    assert (aid is None or aid not in parts) and name not in parts and name.split("@")[0] not in parts
