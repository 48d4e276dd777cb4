"""Weibo times: the id→time rule on known pairs, and how an id settles incomplete page dates (or is overruled)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from collectors.base import ParseError
from collectors.sources.weibo_parse import bid_to_mid, comment_to_record, mblog_to_record, search_page_mblogs
from collectors.sources.weibo_time import (
    BEIJING,
    SaveTime,
    mid_for_time,
    mid_time,
    parse_created_at,
    parse_page_time,
    resolve_created_at,
)

FIX = Path(__file__).parent / "fixtures" / "weibo"

# (id, UTC moment). The first pair is the id and created_at quoted in ../shared/docs/sources.md (bid P2OlqeXKM
# ↔ mid 5106701843566288; "Sun Dec 01 09:21:00 +0800 2024"): it decodes to that created_at to the second.
# The others are built as ((unix - 515483463) << 22) | low bits, with arbitrary low bits.
KNOWN_PAIRS = [
    (5106701843566288, datetime(2024, 12, 1, 1, 21, 0, tzinfo=UTC)),
    (((1_556_201_045 - 515_483_463) << 22) | 0x2A5F3, datetime(2019, 4, 25, 14, 4, 5, tzinfo=UTC)),
    (((1_646_820_722 - 515_483_463) << 22) | 0x3FFFFF, datetime(2022, 3, 9, 10, 12, 2, tzinfo=UTC)),
    (((1_709_251_199 - 515_483_463) << 22) | 0, datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)),
    (((1_736_484_189 - 515_483_463) << 22) | 0x1B2C3D, datetime(2025, 1, 10, 4, 43, 9, tzinfo=UTC)),
    (((1_767_225_599 - 515_483_463) << 22) | 0x155555, datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)),
]


@pytest.mark.parametrize("mid, moment", KNOWN_PAIRS)
def test_an_id_decodes_to_its_moment_to_the_second(mid, moment):
    assert mid_time(mid) == moment
    assert mid_time(str(mid)) == moment
    assert mid_for_time(moment, mid & ((1 << 22) - 1)) == mid  # the inverse gives the id back


def test_the_documented_pair_agrees_with_its_created_at():
    assert mid_time(bid_to_mid("P2OlqeXKM")) == parse_created_at("Sun Dec 01 09:21:00 +0800 2024")


def test_low_bits_never_change_the_second():
    moment = datetime(2022, 6, 1, 12, 0, 0, tzinfo=UTC)
    assert {mid_time(mid_for_time(moment, bits)) for bits in (0, 1, 12345, (1 << 22) - 1)} == {moment}
    with pytest.raises(ValueError):
        mid_for_time(moment, 1 << 22)


@pytest.mark.parametrize("value", [None, True, "", "abc", "12a", -5, 0, 11488058246, "²³", 1 << 64, "9" * 25])
def test_values_outside_the_scheme_have_no_time(value):
    assert mid_time(value) is None  # 11488058246: an old small id, "issued" before Weibo existed


def test_an_id_from_after_the_save_is_rejected():
    saved = datetime(2025, 1, 12, 12, tzinfo=UTC)
    later = mid_for_time(saved + timedelta(days=3))
    assert mid_time(later) is not None and mid_time(later, latest=saved + timedelta(days=1)) is None


def test_fixture_ids_written_before_the_rule_do_not_encode_their_dates():
    """The older fixtures' ids (5284…) were invented without the rule: their times come from the page, with a warning."""
    mblog = search_page_mblogs(json.loads((FIX / "search_page1.json").read_text(encoding="utf-8")))[0]
    page = parse_created_at(mblog["created_at"])
    assert abs(mid_time(mblog["mid"]) - page) > timedelta(days=10)
    warnings: list[str] = []
    record = mblog_to_record(mblog, page, warnings=warnings)
    assert record.published_at == page and record.time_basis is None
    assert len(warnings) == 1 and "disagree by 15 days" in warnings[0] and "kept the page's date" in warnings[0]


def test_new_fixture_ids_encode_their_dates():
    body = json.loads((FIX / "api_v2_statuses.json").read_text(encoding="utf-8"))
    for status in [*body["statuses"], body["statuses"][1]["retweeted_status"]]:
        assert mid_time(status["idstr"]) == parse_created_at(status["created_at"])


# ---------------------------------------------------------------- resolving a page date with an id
SAVED_2025 = SaveTime(datetime(2025, 1, 12, 20, 0, tzinfo=BEIJING), "saved-at")
MTIME_2026 = SaveTime(datetime(2026, 4, 21, 2, 0, tzinfo=UTC), "file-mtime")


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING).astimezone(UTC)


def mid_at(moment: datetime, bits: int = 77) -> str:
    return str(mid_for_time(moment, bits))


def test_a_year_less_date_takes_the_ids_year_and_seconds_whatever_the_save_time():
    issued = bj(2025, 1, 10, 12, 43, 9)
    for saved in (SAVED_2025, MTIME_2026):  # the 2026 mtime is the old bug: the year came from "now"
        resolved = resolve_created_at("01月10日 12:43", mid_at(issued), saved)
        assert (resolved.when, resolved.basis, resolved.warning) == (issued, "mid", None)


def test_a_year_less_date_without_a_usable_id_takes_the_save_times_year():
    resolved = resolve_created_at("01月10日 12:43", "12345", SAVED_2025)
    assert resolved.when == bj(2025, 1, 10, 12, 43) and resolved.basis == "saved-at" and resolved.warning is None
    december = resolve_created_at("12月31日 23:50", None, SAVED_2025)  # after the save date: the year before
    assert december.when == bj(2024, 12, 31, 23, 50) and december.basis == "saved-at"


def test_a_year_less_date_contradicted_by_its_id_keeps_the_page_and_warns():
    resolved = resolve_created_at("01月10日 12:43", mid_at(bj(2024, 11, 2, 8, 0)), SAVED_2025)
    assert resolved.when == bj(2025, 1, 10, 12, 43) and resolved.basis == "saved-at"
    assert "disagree by 69 days" in resolved.warning and "--saved-at 2025-01-12T12:00:00Z" in resolved.warning


def test_an_id_issued_after_the_save_is_not_used_and_warns():
    resolved = resolve_created_at("01月10日 12:43", mid_at(bj(2025, 3, 2, 8, 0)), SAVED_2025)
    assert resolved.when == bj(2025, 1, 10, 12, 43) and resolved.basis == "saved-at"
    assert "after the page was saved" in resolved.warning and "check --saved-at" in resolved.warning


@pytest.mark.parametrize("text, issued", [
    ("刚刚", bj(2025, 1, 12, 19, 59, 30)),
    ("15分钟前", bj(2025, 1, 12, 19, 44, 50)),
    ("3小时前", bj(2025, 1, 12, 16, 30, 0)),
    ("今天 09:30", bj(2025, 1, 12, 9, 30, 18)),
    ("昨天 23:58", bj(2025, 1, 11, 23, 58, 59)),
    ("前天 00:01", bj(2025, 1, 10, 0, 1, 0)),
    ("2天前", bj(2025, 1, 10, 8, 0, 0)),
    ("01-11", bj(2025, 1, 11, 13, 14, 15)),
    ("2025-01-09", bj(2025, 1, 9, 23, 59, 59)),
    ("2025-01-09 07:15", bj(2025, 1, 9, 7, 15, 42)),
])
def test_incomplete_dates_that_agree_with_the_id_take_its_second(text, issued):
    resolved = resolve_created_at(text, mid_at(issued), SAVED_2025)
    assert (resolved.when, resolved.basis, resolved.warning) == (issued, "mid", None)


def test_relative_dates_without_an_id_count_from_the_save_time_and_say_so():
    assert resolve_created_at("15分钟前", None, SAVED_2025).when == bj(2025, 1, 12, 19, 45)
    resolved = resolve_created_at("昨天 08:15", None, MTIME_2026)
    assert resolved.when == bj(2026, 4, 20, 8, 15) and resolved.basis == "file-mtime"


def test_a_wrong_save_time_is_caught_by_the_clock_time_of_the_id():
    """A page saved in 2025 whose file was copied in 2026: "昨天 08:15" matches the id's clock, not the mtime."""
    issued = bj(2025, 1, 11, 8, 15, 44)
    resolved = resolve_created_at("昨天 08:15", mid_at(issued), MTIME_2026)
    assert resolved.when == issued and resolved.basis == "mid"
    assert "not the save time" in resolved.warning and "pass --saved-at" in resolved.warning


def test_minutes_ago_yield_to_the_id_only_when_the_save_time_is_a_guess():
    issued = bj(2025, 1, 12, 19, 44, 50)
    guessed = resolve_created_at("15分钟前", mid_at(issued), MTIME_2026)  # the mtime of a copy made in 2026
    assert guessed.when == issued and guessed.basis == "mid"
    assert "counted from the file's modification time" in guessed.warning and "pass --saved-at" in guessed.warning
    wrong_saved_at = SaveTime(datetime(2025, 2, 1, 12, tzinfo=UTC), "saved-at")  # the user said so: the page wins
    given = resolve_created_at("15分钟前", mid_at(issued), wrong_saved_at)
    assert given.when == wrong_saved_at.at - timedelta(minutes=15) and given.basis == "saved-at" and given.warning
    live = resolve_created_at("15分钟前", mid_at(issued), SaveTime(wrong_saved_at.at))  # a live fetch: the page wins
    assert live.basis == "collected-at" and "disagree by" in live.warning


def test_an_explicit_clock_time_that_contradicts_the_id_keeps_the_page():
    resolved = resolve_created_at("昨天 08:15", mid_at(bj(2025, 1, 11, 17, 40, 0)), MTIME_2026)
    assert resolved.when == bj(2026, 4, 20, 8, 15) and resolved.basis == "file-mtime" and "disagree by" in resolved.warning


def test_a_complete_date_is_kept_and_an_id_only_checks_it():
    issued = bj(2024, 12, 1, 9, 21, 0)
    agreeing = resolve_created_at("Sun Dec 01 09:21:00 +0800 2024", mid_at(issued + timedelta(minutes=4)), MTIME_2026)
    assert (agreeing.when, agreeing.basis, agreeing.warning) == (issued, None, None)  # within AGREEMENT
    off = resolve_created_at("Sun Dec 01 09:21:00 +0800 2024", mid_at(issued + timedelta(minutes=7)), MTIME_2026)
    assert off.when == issued and off.basis is None and "disagree by 7 min 0 s" in off.warning


def test_a_whole_hour_gap_on_a_date_without_zone_hints_at_the_time_zone():
    stated_in_utc = "2024-12-01 01:21:00"  # an export that wrote UTC without saying so
    resolved = resolve_created_at(stated_in_utc, 5106701843566288, MTIME_2026)
    assert resolved.when == bj(2024, 12, 1, 1, 21) and resolved.basis is None
    assert "time zone may not be Beijing time" in resolved.warning


def test_page_time_precision():
    now = datetime(2025, 1, 12, 12, 0, tzinfo=UTC)
    assert parse_page_time("Sun Dec 01 09:21:00 +0800 2024", now).complete
    assert not parse_page_time("2024-12-01 09:21", now).complete  # no seconds: an id may refine it
    minutes = parse_page_time("5分钟前", now)
    assert (minutes.lo, minutes.hi, minutes.form) == (now - timedelta(minutes=6), now - timedelta(minutes=5), "relative")
    assert parse_page_time("01月10日", now).hi - parse_page_time("01月10日", now).lo == timedelta(days=1, seconds=-1)
    with pytest.raises(ParseError, match="created_at"):
        resolve_created_at("sometime", "5106701843566288", MTIME_2026)


def test_mappings_record_the_basis_and_pass_warnings_up():
    saved = SaveTime(datetime(2025, 1, 12, 12, 0, tzinfo=UTC), "saved-at")
    warnings: list[str] = []
    comment = comment_to_record({"id": mid_at(bj(2025, 1, 10, 12, 43, 9)), "text": "好", "created_at": "01月10日 12:43"},
                                saved.at, saved=saved, warnings=warnings)
    assert comment.published_at == datetime(2025, 1, 10, 4, 43, 9, tzinfo=UTC) and comment.time_basis == "mid"
    live = mblog_to_record({"mid": "12345", "text": "好", "created_at": "5分钟前"}, saved.at)  # default: a live fetch
    assert live.time_basis == "collected-at" and live.published_at == saved.at - timedelta(minutes=5)
    stated = mblog_to_record({"mid": "12345", "text": "好", "created_at": "Sun Dec 01 09:21:00 +0800 2024"}, saved.at)
    assert stated.time_basis is None and warnings == []


def test_beijing_is_utc_plus_8():
    assert BEIJING.utcoffset(None) == timedelta(hours=8) and timezone(timedelta(hours=8)) == BEIJING
