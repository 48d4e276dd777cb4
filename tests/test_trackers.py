import pytest

from collectors.trackers import TrackerFileError, load_trackers
from tests.conftest import TRACKERS_MIN


def test_shipped_trackers_are_valid_and_sourced():
    trackers = {t.id: t for t in load_trackers()}
    assert {"iqiyi-nadou", "tilly-norwood"} <= trackers.keys()
    for tracker in trackers.values():
        assert tracker.name_zh and tracker.name_en and tracker.entities and tracker.events and tracker.statements
        for item in [*tracker.events, *tracker.statements]:
            assert str(item.source_url).startswith("http") and item.source_date
        assert tracker.queries.weibo or tracker.queries.rss


def _write(tmp_path, text):
    path = tmp_path / "trackers.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_field_names_tracker_and_field(tmp_path):
    text = TRACKERS_MIN.read_text(encoding="utf-8").replace('trigger_date = "2026-04-20"', 'trigger_date = "someday"', 1)
    with pytest.raises(TrackerFileError, match=r"tracker case-a: trigger_date"):
        load_trackers(_write(tmp_path, text))


def test_statement_must_name_an_entity(tmp_path):
    text = TRACKERS_MIN.read_text(encoding="utf-8") + """
[[tracker.statements]]
id = "s1"
entity = "nobody"
who = "x"
role = "studio"
date = "2025-09-30"
stance = "oppose"
summary = "x"
source_url = "https://example.org/s"
source_date = "2025-09-30"
"""
    with pytest.raises(TrackerFileError, match="nobody"):
        load_trackers(_write(tmp_path, text))


@pytest.mark.parametrize("text, message", [("not toml = = =", "not valid TOML"), ("schema_version = 2", "schema_version"),
                                           ("schema_version = 1", "no \\[\\[tracker\\]\\]")])
def test_file_level_errors(tmp_path, text, message):
    with pytest.raises(TrackerFileError, match=message):
        load_trackers(_write(tmp_path, text))


def test_missing_file(tmp_path):
    with pytest.raises(TrackerFileError, match="not found"):
        load_trackers(tmp_path / "absent.toml")


def test_unknown_stance_rejected(tmp_path):
    text = TRACKERS_MIN.read_text(encoding="utf-8").replace('kind = "denial"', 'kind = "rumour"')
    with pytest.raises(TrackerFileError, match="events.1.kind"):
        load_trackers(_write(tmp_path, text))
