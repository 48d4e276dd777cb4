"""The weibo-hot-archive importer: times, malformed entries, idempotent folder import, summary, trend records."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from collectors.hot_search import beijing_day, topic_id, topic_records
from collectors.importers import ImportIssue, detect
from collectors.importers.weibo_hot_archive import WeiboHotArchiveImporter
from collectors.models import TrendObservation
from collectors.store import Store
from collectors.trackers import load_trackers
from dashboard.cli import cli
from tests import hot_search_fixtures

hot_archive = hot_search_fixtures.hot_archive  # the real archive, or a skip with the reason

WILLINGNESS = "爱奇艺称AI艺人库仅是合作意愿"




def entry(text: str, count: int = 1000, first_seen: str | None = "2026-04-20T12:57:44.115Z", **extra: object) -> dict:
    item: dict[str, object] = {"url": "/weibo?q=%23x%23", "text": text, "count": count, "peakCount": count,
                               "prevCount": 0, "velocity": 100, "status": "new", **extra}
    if first_seen:
        item["firstSeen"] = first_seen
    return item


def write(path: Path, entries: list[object]) -> Path:
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return path


def read_all(path: Path) -> tuple[list[TrendObservation], list[ImportIssue]]:
    items = list(WeiboHotArchiveImporter(load_trackers()).read(path))
    return ([i for i in items if isinstance(i, TrendObservation)], [i for i in items if isinstance(i, ImportIssue)])


# ---------------------------------------------------------------- time zones
def test_intraday_name_is_beijing_commit_time_and_first_seen_is_utc(tmp_path):
    path = write(tmp_path / "2026-04-20_snapshot_20260420T205752.json", [entry(WILLINGNESS, 871978)])
    [obs], issues = read_all(path)
    assert not issues
    assert obs.observed_at == datetime(2026, 4, 20, 12, 57, 52, tzinfo=UTC)  # 20:57:52 in Beijing = 12:57:52 UTC
    assert obs.first_seen == datetime(2026, 4, 20, 12, 57, 44, 115000, tzinfo=UTC)  # 'Z' kept as UTC, not shifted
    assert beijing_day(obs.observed_at).isoformat() == "2026-04-20"
    assert obs.snapshot == "intraday/2026-04-20_snapshot_20260420T205752.json"


def test_snapshot_just_after_beijing_midnight_belongs_to_the_new_beijing_day(tmp_path):
    path = write(tmp_path / "2026-04-20_snapshot_20260420T003636.json",
                 [entry("金像奖影后廖子妤", first_seen="2026-04-19T16:36:29.598Z")])
    [obs], _ = read_all(path)
    assert obs.observed_at == datetime(2026, 4, 19, 16, 36, 36, tzinfo=UTC)
    assert beijing_day(obs.observed_at).isoformat() == "2026-04-20"


def test_daily_file_observed_at_is_its_latest_first_seen_else_end_of_beijing_day(tmp_path):
    path = write(tmp_path / "2026-04-20.json", [entry("甲", first_seen="2026-04-20T06:34:21.093Z"),
                                                entry("乙", first_seen="2026-04-20T14:55:24.604Z")])
    observations, _ = read_all(path)
    assert {o.observed_at for o in observations} == {datetime(2026, 4, 20, 14, 55, 24, 604000, tzinfo=UTC)}
    assert observations[0].snapshot == "daily/2026-04-20.json"
    bare = write(tmp_path / "2026-04-21.json", [entry("丙", first_seen=None)])
    [obs], _ = read_all(bare)
    assert obs.observed_at == datetime(2026, 4, 21, 15, 59, 59, tzinfo=UTC)  # 23:59:59 Beijing


# ---------------------------------------------------------------- malformed input
def test_malformed_entry_is_reported_by_file_and_index_and_the_rest_kept(tmp_path, data_dir):
    folder = tmp_path / "archive" / "daily"
    folder.mkdir(parents=True)
    write(folder / "2026-04-20.json", [entry("好话题一"), entry("坏话题", count="很多"), "not an object",
                                       entry("好话题二"), entry("", count=5)])
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "archive")])
    assert result.exit_code == 0, result.output
    assert "2026-04-20.json[1]: 'count'" in result.stderr
    assert "2026-04-20.json[2]: expected a JSON object" in result.stderr
    assert "2026-04-20.json[4]: 'text'" in result.stderr
    assert "2 new" in result.stderr and "rejected: 3" in result.stderr
    kept = Store(data_dir).query("SELECT topic FROM trend_observations ORDER BY topic")["topic"].tolist()
    assert kept == ["好话题一", "好话题二"]


def test_file_that_is_not_json_is_reported_by_name(tmp_path):
    path = tmp_path / "2026-04-20.json"
    path.write_text('[{"text": "x", "count": 1', encoding="utf-8")
    observations, issues = read_all(path)
    assert not observations
    assert issues[0].where == "2026-04-20.json:1" and "not JSON" in issues[0].message  # the line it stops on


def test_bad_status_and_naive_first_seen_are_rejected(tmp_path):
    path = write(tmp_path / "2026-04-20.json", [entry("甲", status="trending"), entry("乙", first_seen="2026-04-20T06:00:00"),
                                                entry("丙")])
    observations, issues = read_all(path)
    assert [o.topic for o in observations] == ["丙"]
    assert [i.where for i in issues] == ["2026-04-20.json[0]", "2026-04-20.json[1]"]
    assert "status" in issues[0].message and "time zone" in issues[1].message


# ---------------------------------------------------------------- detection, matching, trend records
def test_auto_detected_and_other_json_is_not(tmp_path):
    archive_file = write(tmp_path / "2026-04-20.json", [entry("甲")])
    assert detect(archive_file).name == "weibo-hot-archive"
    native = tmp_path / "mine.jsonl"
    native.write_text(json.dumps({"source": "weibo", "kind": "post", "id": "1", "text": "x"}) + "\n")
    assert detect(native).name == "jsonl"


def test_topics_are_matched_to_trackers_and_list_heat_covers_the_whole_list(tmp_path):
    path = write(tmp_path / "2026-04-20.json", [entry(WILLINGNESS, 871978), entry("爱奇艺十部剧赚了67亿", 500),
                                                entry("金像奖影后廖子妤", 1000)])
    observations, _ = read_all(path)
    by_topic = {o.topic: o for o in observations}
    assert by_topic[WILLINGNESS].trackers == ["iqiyi-nadou"]
    assert by_topic["爱奇艺十部剧赚了67亿"].trackers == []  # excluded by the rules (earnings, not the storm)
    assert {o.list_heat for o in observations} == {871978 + 500 + 1000}


def test_trend_records_one_per_matched_topic_first_seen_as_published(tmp_path):
    day1 = write(tmp_path / "2026-04-20.json", [entry(WILLINGNESS, 871978, textEn="iQiyi says …"),
                                                entry("金像奖影后廖子妤")])
    day2 = write(tmp_path / "2026-04-21.json", [entry(WILLINGNESS, 20, first_seen="2026-04-20T16:12:08.346Z")])
    observations = read_all(day1)[0] + read_all(day2)[0]
    [record] = topic_records(observations)
    assert record.kind == "trend" and record.source == "weibo" and not record.synthetic
    assert record.id == topic_id(WILLINGNESS) and record.text == WILLINGNESS
    assert record.published_at == datetime(2026, 4, 20, 12, 57, 44, 115000, tzinfo=UTC)
    assert record.collected_at == datetime(2026, 4, 20, 16, 12, 8, 346000, tzinfo=UTC)
    assert record.url.startswith("https://s.weibo.com/weibo?q=%23") and record.trackers == ["iqiyi-nadou"]
    assert record.title == "iQiyi says … (machine translation)"


# ---------------------------------------------------------------- the real archive
@pytest.mark.shared
def test_whole_archive_twice_adds_nothing_and_summary_counts_the_folder(hot_archive, data_dir):
    daily_with_data = sum(1 for p in (hot_archive / "daily").glob("*.json") if json.loads(p.read_text("utf-8")))
    intraday = len(list((hot_archive / "intraday").glob("*.json")))
    entries = sum(len(json.loads(p.read_text("utf-8"))) for p in hot_archive.rglob("*.json"))
    assert (daily_with_data, intraday) == (198, 95)  # what SOURCES.md says; the summary must agree

    runner = CliRunner()
    first = runner.invoke(cli, ["import", str(hot_archive)])
    assert first.exit_code == 0, first.output
    assert f"{daily_with_data} daily files with data (2026-02-07 to 2026-08-23)" in first.stderr
    assert f"{intraday} intraday snapshots over 5 day(s) (2026-04-19 to 2026-04-23)" in first.stderr
    assert f"trend observations: {entries} new" in first.stderr and "rejected: 0" in first.stderr
    store = Store(data_dir)
    once = store.query("SELECT count(*) AS n FROM trend_observations")["n"][0]
    files_once = len(store.files("trend_observations"))
    records_once = store.query("SELECT count(*) AS n FROM records WHERE kind = 'trend'")["n"][0]

    again = runner.invoke(cli, ["import", str(hot_archive), "--format", "weibo-hot-archive"])
    assert again.exit_code == 0, again.output
    assert f"0 new, {entries} duplicate" in again.stderr
    assert store.query("SELECT count(*) AS n FROM trend_observations")["n"][0] == once == entries
    assert len(store.files("trend_observations")) == files_once  # nothing written at all
    # topics matching any tracker, whatever the date: 25 of iqiyi-nadou's rules, 26 of yaoke-ai-actors', 3 in both
    assert store.query("SELECT count(*) AS n FROM records WHERE kind = 'trend'")["n"][0] == records_once == 48


@pytest.mark.shared
def test_real_daily_file_keeps_the_willingness_topic_heat(hot_archive):
    observations, issues = read_all(hot_archive / "daily" / "2026-04-20.json")
    assert not issues and len(observations) == 100
    [obs] = [o for o in observations if o.topic == WILLINGNESS]
    assert (obs.heat, obs.peak_heat, obs.status) == (871978, 871978, "rising")
    assert obs.first_seen == datetime(2026, 4, 20, 12, 57, 44, 115000, tzinfo=UTC)


def test_archive_file_resaved_as_utf16_or_gb18030_or_cut_short_keeps_its_topics(tmp_path):
    """A daily file saved again by PowerShell (UTF-16) or Notepad on Chinese Windows (GB18030) was 'not valid UTF-8'
    and one cut short by an interrupted download lost every topic; now the topics read, and a cut file keeps the
    entries before the cut and reports the cut with its line."""
    entries = [entry(f"话题{n}", 1000 + n, first_seen=f"2026-04-20T1{n}:00:00.000Z") for n in range(3)]
    text = json.dumps(entries, ensure_ascii=False, indent=1)
    expected, _ = read_all(write(tmp_path / "2026-04-20.json", entries))
    for encoding in ("utf-16", "gb18030"):
        folder = tmp_path / encoding
        folder.mkdir()
        path = folder / "2026-04-20.json"
        path.write_bytes(text.encode(encoding))
        assert detect(path).name == "weibo-hot-archive"
        observations, issues = read_all(path)
        assert issues == [] and observations == expected, encoding
    cut = tmp_path / "cut" / "2026-04-20.json"
    cut.parent.mkdir()
    third = text.index('"话题2"')
    cut.write_text(text[:third + 20], encoding="utf-8")
    observations, issues = read_all(cut)
    assert [o.topic for o in observations] == ["话题0", "话题1"]
    assert len(issues) == 1 and "cut short" in issues[0].message
    assert issues[0].where == f"2026-04-20.json:{text[:text.rindex('{', 0, third)].count(chr(10)) + 1}"
