from datetime import date

import pytest

from collectors.trackers import CLAIM_STATUSES, TrackerFileError, get_tracker, load_trackers
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
source_name = "example"
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


STATEMENT = """
[[tracker.entities]]
id = "studio-b"
type = "studio"
name_en = "Studio B"

[[tracker.statements]]
id = "s1"
entity = "studio-b"
who = "Studio B"
role = "studio"
date = "2025-09-30"
stance = "deny-involvement"
summary = "Denied taking part."
source_name = "example"
source_url = "https://example.org/s"
source_date = "2025-09-30"
"""

CLAIM = """
[[tracker.claims]]
id = "c1"
claim = "Something happened"
made_by = "studio-b"
date = "2025-09-30"
status = "disputed"
"""


def test_a_complete_statement_and_claim_load(tmp_path):
    tracker = load_trackers(_write(tmp_path, TRACKERS_MIN.read_text(encoding="utf-8") + STATEMENT + CLAIM))[1]
    assert [s.id for s in tracker.statements] == ["s1"] and tracker.claims[0].status == "disputed"


@pytest.mark.parametrize("field", ["source_url", "source_date", "source_name"])
def test_statement_without_its_source_is_rejected(tmp_path, field):
    text = "\n".join(line for line in STATEMENT.splitlines() if not line.startswith(f"{field} ="))
    with pytest.raises(TrackerFileError, match=rf"tracker case-b: statements\.0\.{field}"):
        load_trackers(_write(tmp_path, TRACKERS_MIN.read_text(encoding="utf-8") + text))


@pytest.mark.parametrize("field", ["source_url", "source_date", "source_name"])
def test_event_without_its_source_is_rejected(tmp_path, field):
    lines = TRACKERS_MIN.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(f"{field} ="))  # in the first event
    text = "\n".join(lines[:first] + lines[first + 1:])
    with pytest.raises(TrackerFileError, match=rf"tracker case-a: events\.0\.{field}"):
        load_trackers(_write(tmp_path, text))


def test_a_source_url_must_be_a_url(tmp_path):
    text = STATEMENT.replace('source_url = "https://example.org/s"', 'source_url = "see the archive"')
    with pytest.raises(TrackerFileError, match=r"statements\.0\.source_url"):
        load_trackers(_write(tmp_path, TRACKERS_MIN.read_text(encoding="utf-8") + text))


def test_claim_status_is_one_of_a_fixed_set(tmp_path):
    assert CLAIM_STATUSES == ("unverified", "disputed", "contradicted", "confirmed")
    base = TRACKERS_MIN.read_text(encoding="utf-8") + STATEMENT
    for status in CLAIM_STATUSES:
        assert load_trackers(_write(tmp_path, base + CLAIM.replace('"disputed"', f'"{status}"')))[1].claims
    for status in ["debunked", "false", "Disputed", ""]:
        with pytest.raises(TrackerFileError, match=r"claims\.0\.status"):
            load_trackers(_write(tmp_path, base + CLAIM.replace('"disputed"', f'"{status}"')))


def test_shipped_claims_use_the_fixed_statuses_and_every_report_is_dated():
    for tracker in load_trackers():
        for claim in tracker.claims:
            assert claim.status in CLAIM_STATUSES
            for report in claim.reports:
                assert str(report.url).startswith("http") and report.date


def test_every_shipped_fact_names_a_dated_source_that_could_have_reported_it():
    """A claim needs at least one report (outlet, URL, date); an event or statement cannot postdate its source."""
    unsourced, too_late = [], []
    for tracker in load_trackers():
        unsourced += [f"{tracker.id}: claim {c.id}" for c in tracker.claims if not c.reports]
        unsourced += [f"{tracker.id}: claim {c.id} report {r.outlet!r}" for c in tracker.claims for r in c.reports
                      if not r.outlet.strip() or not r.version.strip()]
        unsourced += [f"{tracker.id}: {i.id}" for i in [*tracker.events, *tracker.statements] if not i.source_name.strip()]
        too_late += [f"{tracker.id}: {i.id} dated {i.date}, source {i.source_date}"
                     for i in [*tracker.events, *tracker.statements] if i.date > i.source_date]
    assert not unsourced, unsourced
    assert not too_late, too_late


# ---- the fixes of issue 12 (point 2): a regression guard on the curated facts -----------------------------

def test_nadou_pro_is_named_right_and_its_misspelling_kept():
    tracker = get_tracker("iqiyi-nadou")
    product = tracker.entity("nadou-pro")
    assert product.name_zh == "纳逗Pro" and {"纳逗", "纳逗Pro", "纳豆Pro"} <= set(product.aliases)
    assert "纳逗" in tracker.queries.weibo and "纳逗Pro" in tracker.queries.weibo and "纳逗" in tracker.keywords()
    assert not any("纳豆" in q for q in [*tracker.queries.weibo, *tracker.queries.bilibili, *tracker.queries.rss])
    assert tracker.hot_search.matches("纳逗Pro上线")


def test_fixed_iqiyi_facts():
    tracker = get_tracker("iqiyi-nadou")
    events = {e.id: e for e in tracker.events}
    statements = {s.id: s for s in tracker.statements}
    claims = {c.id: c for c in tracker.claims}
    assert "榜首" not in events["went-nuts-trending"].title_zh and "AFP" in events["went-nuts-trending"].title_en
    assert events["liu-wenfeng-misunderstanding"].source_url == statements["liu-wenfeng-misunderstanding"].source_url
    assert "法律程序" not in events["studio-denials"].title_zh
    for sid, performer in (("wang-churan-denial", "wang-churan"), ("li-yitong-denial", "li-yitong")):
        assert statements[sid].entity == performer and "Single source" in statements[sid].summary
    chen = statements["chen-zheyuan-denial"]
    assert chen.entity == "chen-zheyuan" and chen.stance == "deny-involvement" and chen.date == date(2026, 4, 20)
    assert claims["named-actors-in-library"].made_by != "iqiyi"
    crash = claims["stock-crash-97pct"]
    assert crash.status == "contradicted" and len(crash.reports) >= 2


def test_fixed_tilly_facts():
    tracker = get_tracker("tilly-norwood")
    items = {i.id: i for i in [*tracker.events, *tracker.statements]}
    for key in ("actors-boycott-calls", "melissa-barrera-drop-agents", "mara-wilson-composited"):
        assert items[key].date == date(2025, 9, 28) and items[key].source_name == "The Independent"
    for key in ("equity-condemns", "equity-ai-tool"):
        assert items[key].source_name == "TheWrap" and items[key].source_date == date(2025, 10, 2)


def test_the_third_tracker_is_sourced_and_its_window_spans_the_archive():
    tracker = get_tracker("yaoke-ai-actors")
    assert tracker.trigger_date == date(2026, 3, 18)
    assert {"yaoke", "qin-lingyue", "lin-xiyan", "yu-zheng"} <= {e.id for e in tracker.entities}
    assert tracker.events and tracker.statements
    for topic in ["耀客签约AI演员", "网友抵制AI演员", "AI演员已经有眼神戏了", "AI演员生成毛孔瑕疵 真人演员磨皮", "胡锡进称抵制AI短剧"]:
        assert tracker.hot_search.matches(topic), topic
    for topic in ["爱奇艺AI艺人库", "AI短剧", "千问AI购物大赏", "大学生AI换脸盗刷他人银行卡获刑", "ai漫剧男主唯一塌房方式被找到了"]:
        assert not tracker.hot_search.matches(topic), topic
