"""A tracker's share of the day's hot-search list: from the shipped excerpt as from the whole archive.

The excerpt keeps only the topics of tracker-matching lists; the day's fullest list (the share's denominator) may
hold none of them, so the excerpt carries every list's total of its days (`_list` lines, dataset `trend_lists`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.core.filters import Filters
from analysis.nlp.demo_store import build_demo_store
from analysis.stats import hot_search
from collectors.hot_search import (
    EXCERPT_FORMAT,
    TREND_LISTS,
    OldExcerptError,
    beijing_day,
    build_excerpt,
    default_excerpt_path,
    in_window,
    ingest_excerpt,
    read_excerpt,
    write_excerpt,
)
from collectors.importers.weibo_hot_archive import read_archive
from collectors.ingest import ingest
from collectors.models import TrendObservation
from collectors.store import Store
from collectors.trackers import get_tracker, load_trackers
from dashboard import snapshot
from dashboard.charts import hot_search as _charts_hot  # noqa: F401  (registers the hot-search charts)
from dashboard.charts import registry
from dashboard.cli import cli
from tests import hot_search_fixtures

hot_archive = hot_search_fixtures.hot_archive  # the real archive, or a skip with the reason

IQIYI = "iqiyi-nadou"
WILLINGNESS = "爱奇艺称AI艺人库仅是合作意愿"  # an iQIYI topic (matches its rules)


def shares(store: Store, lists: bool = True) -> dict[tuple[str, date], tuple[int, int]]:
    """(tracker, Beijing day) -> (tracker heat, list heat) as the hot-search view computes them from a store."""
    out = {}
    with store.connect() as con:
        snapshots = hot_search.list_snapshots(con) if lists else None
        for tracker in load_trackers():
            frame = hot_search.daily_share(hot_search.tracker_observations(con, tracker.id), snapshots)
            out.update({(tracker.id, r.day): (r.tracker_heat, r.list_heat) for r in frame.itertuples()})
    return out


def archive_shares(observations: list[TrendObservation]) -> dict[tuple[str, date], tuple[int, int]]:
    """The same figures straight from every observation of the archive, by the share's definition: per Beijing day,
    the tracker topics' summed peak heat over itself plus the other topics' heat in the day's fullest list (the
    largest total, the earliest of equals; a day's daily/ file repeats its last intraday list and is left out)."""
    lists: dict[str, tuple[date, object, int]] = {}
    for o in observations:
        lists.setdefault(o.snapshot, (beijing_day(o.observed_at), o.observed_at, o.list_heat))
    intraday_days = {day for name, (day, _, _) in lists.items() if name.startswith("intraday/")}
    lists = {name: v for name, v in lists.items() if not (name.startswith("daily/") and v[0] in intraday_days)}
    out = {}
    for tracker in load_trackers():
        per_day: dict[date, list[TrendObservation]] = defaultdict(list)
        for o in observations:
            day = beijing_day(o.observed_at)
            if o.snapshot in lists and tracker.hot_search.matches(o.topic) and in_window(tracker, day):
                per_day[day].append(o)
        for day, mine in per_day.items():
            fullest = min((name for name, v in lists.items() if v[0] == day),
                          key=lambda name: (-lists[name][2], lists[name][1], name))
            peak: dict[str, int] = defaultdict(int)
            in_fullest: dict[str, int] = defaultdict(int)
            for o in mine:
                heat = o.peak_heat if o.peak_heat is not None else o.heat
                peak[o.topic] = max(peak[o.topic], heat)
                if o.snapshot == fullest:
                    in_fullest[o.topic] = max(in_fullest[o.topic], heat)
            tracker_heat = sum(peak.values())
            out[(tracker.id, day)] = (tracker_heat, max(0, lists[fullest][2] - sum(in_fullest.values())) + tracker_heat)
    return out


@pytest.mark.shared
def test_share_from_the_shipped_excerpt_equals_the_share_from_the_whole_archive_on_every_day(hot_archive, data_dir):
    """22 Apr 2026: the day's fullest list held no iQIYI topic, so the excerpt left it out: 0.47%, not 0.19%."""
    observations, issues = read_archive(hot_archive, load_trackers())
    assert not issues
    expected = archive_shares(observations)
    store = Store(data_dir)
    ingest_excerpt(store)
    got = shares(store)
    assert got == expected
    assert {t for t, _ in got} == {IQIYI, "yaoke-ai-actors"} and len(got) > 20
    tracker_heat, list_heat = got[(IQIYI, date(2026, 4, 22))]
    assert round(100 * tracker_heat / list_heat, 2) == 0.19


def snapshot_file(folder: Path, stamp: str, entries: list[tuple[str, int]]) -> None:
    """An archive intraday file taken at `stamp` (Beijing time, YYYYMMDDTHHMMSS) listing (topic, heat)."""
    items = [{"text": topic, "count": heat, "peakCount": heat, "status": "hot", "firstSeen": "2026-04-21T17:00:00Z"}
             for topic, heat in entries]
    name = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}_snapshot_{stamp}.json"
    (folder / name).write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def tiny_archive(tmp_path: Path) -> Path:
    """22 Apr: an iQIYI topic on the 09:00 list (total 1,000); the 21:00 list, the day's fullest (5,000), lacks it."""
    folder = tmp_path / "archive"
    folder.mkdir()
    snapshot_file(folder, "20260422T090000", [(WILLINGNESS, 100), ("其他话题甲", 900)])
    snapshot_file(folder, "20260422T210000", [("其他话题甲", 3000), ("其他话题乙", 2000)])
    return folder


def tiny_excerpt(archive: Path, out: Path) -> Path:
    observations, issues = read_archive(archive, load_trackers())
    assert not issues
    return write_excerpt(build_excerpt(observations, load_trackers()), out)


def test_the_excerpt_carries_the_days_fullest_list_when_it_holds_no_tracker_topic(tiny_archive, tmp_path):
    """Before: only the 09:00 list was kept, so the share read 100 / 1,000 = 10% instead of 100 / 5,100."""
    path = tiny_excerpt(tiny_archive, tmp_path / "excerpt.jsonl")
    excerpt = read_excerpt(path)
    assert {o.topic for o in excerpt.observations} == {WILLINGNESS}  # still only tracker topics
    assert [(t.snapshot[-20:], t.list_heat, t.topics) for t in excerpt.lists] == [
        ("20260422T090000.json", 1000, 2), ("20260422T210000.json", 5000, 2)]
    store = Store(tmp_path / "data")
    ingest_excerpt(store, path)
    assert shares(store) == {(IQIYI, date(2026, 4, 22)): (100, 5100)}
    assert "0 observations" in ingest_excerpt(store, path)  # idempotent: loading it again adds nothing
    with store.connect() as con:
        assert con.execute(f"SELECT count(*) FROM {TREND_LISTS}").fetchone()[0] == 2


def test_a_store_holding_the_whole_list_and_the_excerpt_counts_each_list_once(tiny_archive, tmp_path):
    """An imported (or live-collected) list stores all its topics, each row carrying the list's total: a list known
    from its topics and from the excerpt's totals is one list, and its total is never summed over its rows."""
    store = Store(tmp_path / "data")
    observations, _ = read_archive(tiny_archive, load_trackers())
    ingest(observations, store)  # the whole lists, as `actorwatch import` of the archive stores them
    assert shares(store) == {(IQIYI, date(2026, 4, 22)): (100, 5100)}
    ingest_excerpt(store, tiny_excerpt(tiny_archive, tmp_path / "excerpt.jsonl"))
    assert shares(store) == {(IQIYI, date(2026, 4, 22)): (100, 5100)}
    with store.connect() as con:
        lists = hot_search.list_snapshots(con)
    assert sorted(lists["list_heat"]) == [1000, 5000]


def test_an_excerpt_of_the_old_format_is_refused_with_a_clear_message(tiny_archive, tmp_path):
    path = tiny_excerpt(tiny_archive, tmp_path / "excerpt.jsonl")
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    del lines[0]["_meta"]["format"]
    old = tmp_path / "old.jsonl"
    old.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines if "_list" not in line),
                   encoding="utf-8")
    with pytest.raises(OldExcerptError, match=f"format 1, this actorwatch reads format {EXCERPT_FORMAT}.*rebuild"):
        read_excerpt(old)
    store = Store(tmp_path / "data")
    with pytest.raises(OldExcerptError):
        ingest_excerpt(store, old)
    assert not store.datasets()  # nothing written
    result = CliRunner().invoke(cli, ["hot-search", "excerpt", "--archive", str(tiny_archive), "--out", str(old),
                                      "--check"])
    assert result.exit_code == 1 and "out of date" in result.output and "format 1" in result.output


def test_the_shipped_excerpt_has_the_list_totals_of_each_of_its_days():
    excerpt = read_excerpt(default_excerpt_path())
    assert excerpt.meta["format"] == EXCERPT_FORMAT and excerpt.meta["lists"]["snapshots"] == len(excerpt.lists)
    days = {beijing_day(o.observed_at) for o in excerpt.observations if o.list_heat is not None}
    assert days <= {beijing_day(t.observed_at) for t in excerpt.lists}
    assert all(t.list_heat for t in excerpt.lists)


def test_the_dashboard_share_reads_the_list_totals_from_its_snapshot(data_dir):
    """The hot-search page reads the dashboard snapshot: it must hold `trend_lists` (0.47% without it)."""
    store = Store(data_dir)
    build_demo_store(store, records=300, enrich=False)
    tracker = get_tracker(IQIYI)
    con = snapshot.open_snapshot(store)
    try:
        frame = registry.get("hot-search-share").load(con, registry.View(Filters.for_tracker(tracker)))
    finally:
        con.close()
    share = frame.set_index("day")["share"]
    assert round(100 * share[date(2026, 4, 22)], 2) == 0.19
    assert round(100 * share[date(2026, 4, 20)], 2) == 9.86 and round(100 * share[date(2026, 4, 21)], 2) == 8.80
