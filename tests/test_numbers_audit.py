"""Figures the dashboard publishes, recomputed independently from the raw records (a numbers audit)."""

from __future__ import annotations

from datetime import UTC, datetime

from analysis.core.filters import Filters
from analysis.stats import aggregate
from collectors.importers.fourcat import fourcat_record
from collectors.sources.bluesky import post_record
from collectors.store import Store

URI = "at://did:plc:fictional0001/app.bsky.feed.post/3kfict0001"


def test_a_bluesky_post_collected_and_also_imported_from_a_4cat_export_counts_once(data_dir) -> None:
    """The same Bluesky post from the collector and from a 4CAT export (its at:// uri as id) is one record, not two:
    the Overview's records and authors counted it twice."""
    collected = post_record({"uri": URI, "author": {"did": "did:plc:fictional0001", "handle": "reader-one.example.test"},
                             "record": {"text": "An AI actress signing with an agency feels wrong to me.",
                                        "createdAt": "2025-09-30T10:00:00Z", "langs": ["en"]},
                             "likeCount": 3}, datetime(2025, 10, 1, tzinfo=UTC), "tilly-norwood")
    imported = fourcat_record({"id": URI, "thread_id": URI, "author": "reader-one.example.test",
                               "author_id": "did:plc:fictional0001", "body": collected.text, "timestamp": 1759226400,
                               "like_count": 3, "languages": "en", "collected_at": "2025-10-02T00:00:00"},
                              datetime(2025, 10, 2, tzinfo=UTC), "tilly-norwood")
    store = Store(data_dir)
    store.add_records([collected, imported])
    with store.connect() as con:
        k = aggregate.kpis(con, Filters("tilly-norwood"))
        volume = aggregate.daily_volume(con, Filters("tilly-norwood"))
    assert (k["records"], k["authors"]) == (1, 1)
    assert volume.groupby("source")["records"].sum().to_dict() == {"bluesky": 1}
