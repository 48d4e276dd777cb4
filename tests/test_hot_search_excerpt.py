"""The shipped hot-search excerpt: credited, only matching topics, reproducible from the archive, in the demo store."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from analysis.nlp.demo_store import build_demo_store
from collectors.hot_search import (
    ARCHIVE_COMMIT,
    ARCHIVE_REPO,
    beijing_day,
    build_excerpt,
    default_excerpt_path,
    default_history_path,
    in_window,
    read_excerpt,
)
from collectors.importers.weibo_hot_archive import read_archive
from collectors.store import Store
from collectors.trackers import get_tracker, load_trackers
from dashboard.cli import cli
from tests import hot_search_fixtures

hot_archive = hot_search_fixtures.hot_archive  # the real archive, or a skip with the reason


def test_shipped_excerpt_is_credited_small_and_only_matching_topics_in_window():
    path = default_excerpt_path()
    assert path.stat().st_size < 200_000  # an excerpt, not the archive (≈9 MB)
    excerpt = read_excerpt(path)
    assert excerpt.meta["source_repository"] == f"https://github.com/{ARCHIVE_REPO}"
    assert excerpt.meta["source_commit"] == ARCHIVE_COMMIT
    assert "not copied" in excerpt.meta["licence"]
    trackers = {t.id: t for t in load_trackers()}
    for obs in excerpt.observations:
        assert not obs.synthetic and obs.trackers
        for tracker_id in obs.trackers:
            tracker = trackers[tracker_id]
            assert tracker.hot_search.matches(obs.topic) and in_window(tracker, beijing_day(obs.observed_at))
    assert len(excerpt.topics("iqiyi-nadou")) == excerpt.meta["topics_per_tracker"]["iqiyi-nadou"] == 23
    assert len(excerpt.topics("yaoke-ai-actors")) == excerpt.meta["topics_per_tracker"]["yaoke-ai-actors"] == 26
    assert not set(excerpt.topics("iqiyi-nadou")) & set(excerpt.topics("yaoke-ai-actors"))  # each topic on one case
    assert len(excerpt.observations) == excerpt.meta["observations"]


def test_the_topic_recovered_from_the_archive_history_is_credited_and_shipped():
    history = read_excerpt(default_history_path())
    assert "Updated at 2026-04-15 15:13:18" in history.meta["source"] and history.meta["source_repository"].endswith(
        ARCHIVE_REPO)
    (obs,) = history.observations
    assert obs.topic == "曝爱奇艺与深度合作艺人签约AI授权" and obs.heat == 167100 and not obs.synthetic
    assert beijing_day(obs.observed_at).isoformat() == "2026-04-15"
    shipped = read_excerpt()
    assert [o.trackers for o in shipped.observations if o.topic == obs.topic] == [["iqiyi-nadou"]]
    assert shipped.meta["history"]["observations"] == 1


@pytest.mark.shared
def test_shipped_excerpt_matches_what_the_importer_computes_from_the_archive(hot_archive):
    observations, issues = read_archive(hot_archive, load_trackers())
    assert not issues
    rebuilt = build_excerpt(observations, load_trackers(), read_excerpt(default_history_path()))
    shipped = read_excerpt()
    assert shipped.observations == rebuilt.observations
    assert shipped.meta == rebuilt.meta


@pytest.mark.shared
def test_excerpt_command_is_reproducible_and_check_detects_drift(hot_archive, tmp_path):
    out = tmp_path / "excerpt.jsonl"
    runner = CliRunner()
    args = ["hot-search", "excerpt", "--archive", str(hot_archive), "--out", str(out)]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "iqiyi-nadou 23" in first.stderr and "yaoke-ai-actors 26" in first.stderr
    content = out.read_bytes()
    assert runner.invoke(cli, args).exit_code == 0 and out.read_bytes() == content  # byte-identical rebuild
    assert out.read_bytes() == default_excerpt_path().read_bytes()  # the shipped file is this build
    assert runner.invoke(cli, [*args, "--check"]).exit_code == 0
    out.write_text(content.decode("utf-8").rsplit("\n", 2)[0] + "\n", encoding="utf-8")  # drop the last line
    stale = runner.invoke(cli, [*args, "--check"])
    assert stale.exit_code != 0 and "out of date" in stale.output


def test_excerpt_command_without_archive_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTORWATCH_SHARED", str(tmp_path / "nowhere"))
    result = CliRunner().invoke(cli, ["hot-search", "excerpt", "--out", str(tmp_path / "x.jsonl")])
    assert result.exit_code != 0 and "--archive" in result.output


def test_demo_store_includes_the_excerpt_as_real_data(data_dir):
    store = Store(data_dir)
    build_demo_store(store, records=300, enrich=False)
    build_demo_store(store, records=300, enrich=False)  # twice: the excerpt is added once
    excerpt = read_excerpt()
    trends = store.query("SELECT count(*) AS n, bool_or(synthetic) AS any_synthetic FROM trend_observations")
    assert trends["n"][0] == len(excerpt.observations) and not trends["any_synthetic"][0]
    records = store.query("SELECT * FROM records WHERE kind = 'trend'")
    assert len(records) == 23 + 26 and not records["synthetic"].any()
    assert set(records["source"]) == {"weibo"}
    per_tracker = records["trackers"].map(tuple).value_counts()
    assert per_tracker[("iqiyi-nadou",)] == 23 and per_tracker[("yaoke-ai-actors",)] == 26
    assert store.query("SELECT count(*) AS n FROM records WHERE synthetic")["n"][0] == 300
    iqiyi = records[records["trackers"].map(tuple) == ("iqiyi-nadou",)]
    window = get_tracker("iqiyi-nadou")
    assert iqiyi["published_at"].dt.date.between(window.trigger_date.replace(day=15),
                                                 window.trigger_date.replace(day=22)).all()
    arc = records[records["trackers"].map(tuple) == ("yaoke-ai-actors",)]
    assert arc["published_at"].dt.date.min().isoformat() == "2026-03-18"


@pytest.mark.parametrize("check", [False, True])
def test_excerpt_from_a_folder_holding_no_snapshot_is_an_error_not_an_emptied_excerpt(tmp_path, check):
    """`--archive` pointed at the wrong folder read no snapshot and still rewrote the excerpt (by default the shipped
    one) with the history's observations alone, exiting 0; `--check` called the excerpt "out of date"."""
    wrong = tmp_path / "not-the-archive"
    wrong.mkdir()
    (wrong / "notes.json").write_text("{}", encoding="utf-8")
    out = tmp_path / "excerpt.jsonl"
    out.write_bytes(default_excerpt_path().read_bytes())
    result = CliRunner().invoke(cli, ["hot-search", "excerpt", "--archive", str(wrong), "--out", str(out),
                                      *(["--check"] if check else [])])
    assert result.exit_code == 1 and "no hot-search snapshot" in result.output and "out of date" not in result.output
    assert out.read_bytes() == default_excerpt_path().read_bytes()
