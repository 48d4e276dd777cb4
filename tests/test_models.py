from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from collectors.models import (
    RECORD_FIELDS,
    RECORD_SCHEMA,
    InvalidRecord,
    Record,
    parse_record,
    records_to_table,
    table_to_records,
)

GOOD = {"source": "weibo", "id": "1", "kind": "post", "text": "你好", "published_at": "2026-04-20T10:00:00+08:00",
        "collected_at": "2026-04-21T00:00:00Z"}


def test_required_fields_are_the_json_keys():
    assert set(parse_record(GOOD).to_json_dict()) == set(RECORD_FIELDS)
    for key in ("source", "id", "kind", "text", "title", "url", "published_at", "collected_at", "lang", "author_id",
                "author_name", "author_verified", "author_verified_type", "author_followers", "likes", "comments",
                "shares", "parent_id", "location", "trackers", "synthetic"):
        assert key in RECORD_FIELDS


def test_times_are_stored_and_printed_in_utc():
    record = parse_record(GOOD)
    assert record.published_at == datetime(2026, 4, 20, 2, tzinfo=UTC)
    assert record.to_json_dict()["published_at"] == "2026-04-20T02:00:00Z"


@pytest.mark.parametrize(
    ("change", "field"),
    [({"kind": "tweet"}, "kind"), ({"likes": -3}, "likes"), ({"published_at": "2026-04-20T10:00:00"}, "published_at"),
     ({"lang": "chinese"}, "lang"), ({"source": ""}, "source"), ({"shares": "many"}, "shares"),
     ({"text": "   ", "title": None}, "text"), ({"unexpected": 1}, "unexpected")],
)
def test_bad_field_is_named(change, field):
    with pytest.raises(InvalidRecord, match=f"'{field}'|{field}:"):
        parse_record({**GOOD, **change})


def test_unknown_counts_stay_null_not_zero():
    record = parse_record(GOOD)
    assert record.likes is None and record.comments is None and record.shares is None


def test_arrow_round_trip_keeps_every_field():
    record = parse_record({**GOOD, "likes": 3, "trackers": ["a", "b"], "author_verified": True,
                           "published_at": datetime(2026, 4, 20, 1, tzinfo=timezone(timedelta(hours=8)))})
    table = records_to_table([record])
    assert table.schema == RECORD_SCHEMA
    assert table_to_records(table) == [record]


def test_records_are_immutable():
    record = Record.model_validate(GOOD)
    with pytest.raises(ValidationError):
        record.text = "changed"  # type: ignore[misc]
