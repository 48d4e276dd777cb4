"""Entity mentions by alias (zh, en, pinyin), word boundaries, nesting, co-mentions and the period counts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.core.annotations import ANNOTATIONS, ANNOTATIONS_SCHEMA, ANNOTATIONS_SPEC
from analysis.core.filters import Filters
from analysis.nlp.entities import (
    TermMatcher,
    co_mentions,
    entity_mentions,
)
from analysis.stats.annotation_series import co_mention_counts, entity_counts_by_period
from collectors.store import Store
from collectors.trackers import Tracker, get_tracker

IQIYI = get_tracker("iqiyi-nadou")
TILLY = get_tracker("tilly-norwood")


def tracker(entities: list[dict]) -> Tracker:
    return Tracker.model_validate({"id": "t", "name_zh": "测试", "name_en": "Test", "trigger_date": "2026-04-20",
                                   "entities": entities})


@pytest.mark.parametrize(("text", "expected"), [
    ("爱奇艺今天发布了新功能", ["iqiyi"]),
    ("I think IQIYI and iqiyi are the same", ["iqiyi"]),
    ("愛奇藝", ["iqiyi"]),  # traditional spelling alias
    ("#ZhangRuoyun# 加油", ["zhang-ruoyun"]),  # hashtag-style joined Latin name
    ("zhang ruo yun 的新剧", ["zhang-ruoyun"]),  # pinyin syllables
    ("纳豆 pro 和 nadoupro", ["nadou-pro"]),
    ("龚宇说了什么", ["gong-yu"]),
])
def test_aliases_in_every_script(text: str, expected: list[str]) -> None:
    assert entity_mentions(text, IQIYI) == expected


def test_longer_alias_also_names_the_entities_inside_it() -> None:
    assert entity_mentions("张若昀工作室发布声明", IQIYI) == ["zhang-ruoyun-studio", "zhang-ruoyun"]
    assert entity_mentions("爱奇艺AI艺人库上线", IQIYI) == ["ai-artist-library", "iqiyi"]


def test_mentions_in_order_of_first_appearance_each_once() -> None:
    assert entity_mentions("百度和爱奇艺，爱奇艺和百度", IQIYI) == ["baidu", "iqiyi"]


def test_short_latin_alias_needs_word_boundaries() -> None:
    t = tracker([{"id": "iq", "type": "company", "name_en": "iQ", "aliases": ["IQ"]}])
    assert entity_mentions("the IQ share price", t) == ["iq"]
    assert entity_mentions("iq跌了", t) == ["iq"]  # CJK next to it is a boundary
    assert entity_mentions("unique IQs and iqiyi", t) == []


def test_capitalised_common_word_alias_is_case_sensitive() -> None:
    assert entity_mentions("Variety reports on the debut", TILLY) == ["variety"]
    assert entity_mentions("a variety of deadline problems", TILLY) == []


TRADE_PAPER = [{"id": "variety", "type": "outlet", "name_en": "Variety", "aliases": ["variety.com"],
                "ambiguous": ["Variety"]},
               {"id": "tilly", "type": "ai_performer", "name_en": "Tilly Norwood"}]


@pytest.mark.parametrize(("text", "expected"), [
    ("She was a Variety Show host for years", []),  # a capitalised genre, not the paper
    ("Variety Show is a television genre", []),
    ("a variety of roles and a variety show", []),  # never in lower case
    ("Variety is the spice of life", []),  # no cue: no other entity, no attribution
    ("Meta confirmed to Variety that the ads broke its rules", ["variety"]),
    ("said Alex Serdiuk (via Variety).", ["variety"]),
    ("according to Variety, the deal", ["variety"]),
    ("Variety reported that agents were interested", ["variety"]),
    ("美国娱乐业界周刊“综艺”(Variety)摘录", ["variety"]),
    ("Emily Blunt, speaking on a Variety podcast about Tilly Norwood", ["variety", "tilly"]),  # co-mention
    ("Tilly Norwood hosted a Variety Show", ["tilly"]),  # a cue does not rescue a longer capitalised name
    ("read it on variety.com", ["variety"]),  # the unambiguous alias needs no cue
])
def test_ambiguous_name_counts_only_with_a_cue(text: str, expected: list[str]) -> None:
    assert entity_mentions(text, tracker(TRADE_PAPER)) == expected


def test_variety_show_is_not_the_trade_paper() -> None:
    assert entity_mentions("The comedian, a Variety Show host, joked about AI", TILLY) == []
    assert entity_mentions("Emily Blunt told Variety", TILLY) == ["emily-blunt", "variety"]


def test_ambiguous_names_are_not_search_keywords() -> None:
    assert "Variety" not in TILLY.keywords()
    assert all(name not in TILLY.keywords() for e in TILLY.entities for name in e.ambiguous)


def test_two_character_chinese_alias_straddling_a_word_is_rejected() -> None:
    assert entity_mentions("神奇艺术展", IQIYI) == []  # 神奇|艺术, not 奇艺
    assert entity_mentions("骑马苏州行", IQIYI) == []  # 骑马|苏州, not 马苏
    assert entity_mentions("马苏说了", IQIYI) == ["ma-su"]


def test_two_character_alias_followed_by_a_word_it_starts_is_kept() -> None:
    # On real text a word formed with the character after the alias (于正|正在, 百度|度数) was a true mention
    # 8 times in 9; a word formed with the character before it (对于|正常) never was.
    yaoke = get_tracker("yaoke-ai-actors")
    assert entity_mentions("著名影视剧导演于正在接受记者采访", yaoke) == ["yu-zheng"]
    assert entity_mentions("制片人于正当天公开发声", yaoke) == ["yu-zheng"]
    assert entity_mentions("百度数字人", IQIYI) == ["baidu"]
    assert entity_mentions("这属于正常现象", yaoke) == []
    assert entity_mentions("这种技术用于正途", yaoke) == []
    matcher = TermMatcher({"yu": ["于正"]})
    assert [labels for labels, _, _ in matcher.spans("导演于正在接受采访")] == [["yu"]]
    assert matcher.spans("终于正常了") == []


def test_mentions_and_handles_in_english() -> None:
    assert entity_mentions("@elinehq and SAG-AFTRA, SAG AFTRA, sagaftra", TILLY) == ["eline-van-der-velden", "sag-aftra"]


def test_hyphen_and_name_dot_variants_match_the_alias() -> None:
    # Real texts write SAG-AFTRA with U+2010 HYPHEN and a foreign name's dot as ・ (U+30FB) or ‧ (U+2027)
    assert entity_mentions("SAG\u2010AFTRA president Sean", TILLY) == ["sag-aftra"]
    assert entity_mentions("SAG\u2013AFTRA", TILLY) == ["sag-aftra"]
    assert entity_mentions("演员艾米莉\u30fb布朗特等艺人", TILLY) == ["emily-blunt"]
    assert entity_mentions("琥碧\u2027戈柏", TILLY) == ["whoopi-goldberg"]
    matcher = TermMatcher({"dot": ["A\u30fbB"]})
    assert matcher.find("A·B") == ["dot"]  # a term written with another dot matches too


def test_variant_dot_keeps_offsets() -> None:
    matcher = TermMatcher({"x": ["艾米莉·布朗特"]})
    text = "说\u3000艾米莉\u30fb布朗特"
    [(labels, start, end)] = matcher.spans(text)
    assert labels == ["x"] and end - start == len("艾米莉·布朗特")


@pytest.mark.parametrize("text", [None, "", "   ", "😀😀😀", "[doge]", "。。。"])
def test_empty_or_symbol_only_text_has_no_mentions(text: str | None) -> None:
    assert entity_mentions(text, IQIYI) == []


def test_long_and_mixed_script_text() -> None:
    long = "平台" * 50_000 + "爱奇艺" + "x" * 1000
    assert entity_mentions(long, IQIYI) == ["iqiyi"]
    assert entity_mentions("Привет 爱奇艺 こんにちは iQIYI 안녕 Nadou Pro", IQIYI) == ["iqiyi", "nadou-pro"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_never_raises_and_returns_known_ids(text: str) -> None:
    ids = {e.id for e in IQIYI.entities}
    found = entity_mentions(text, IQIYI)
    assert set(found) <= ids and len(found) == len(set(found))


def test_term_matcher_without_terms() -> None:
    matcher = TermMatcher({})
    assert not matcher and matcher.find("anything") == []


def test_co_mentions_count_pairs_once_per_text() -> None:
    pairs = co_mentions([["a", "b", "c"], ["b", "a"], ["c"], ["a", "a", "b"]])
    assert pairs == {("a", "b"): 3, ("a", "c"): 1, ("b", "c"): 1}


def _annotations(store: Store, rows: list[tuple[str, list[str]]]) -> None:
    now = datetime(2026, 4, 21, tzinfo=UTC)
    table = pa.Table.from_pylist(
        [{"source": "weibo", "id": rid, "pipeline_version": "p-test", "lang": "zh", "is_empty": False,
          "stance": "neutral", "stance_score": 0.5, "entities": ents, "frames": [], "keywords": [],
          "annotated_at": now} for rid, ents in rows], schema=ANNOTATIONS_SCHEMA)
    store.add_table(ANNOTATIONS, table, ANNOTATIONS_SPEC)


def test_counts_by_period_and_co_mentions_from_the_store(data_dir, make_record) -> None:
    store = Store(data_dir)
    days = [datetime(2026, 4, 20, 9, tzinfo=UTC), datetime(2026, 4, 20, 10, tzinfo=UTC), datetime(2026, 4, 22, 9, tzinfo=UTC)]
    store.add_records([make_record(id=f"x{i}", published_at=d, trackers=["iqiyi-nadou"]) for i, d in enumerate(days)])
    _annotations(store, [("x0", ["iqiyi", "baidu"]), ("x1", ["iqiyi"]), ("x2", ["baidu", "iqiyi"])])
    f = Filters("iqiyi-nadou", date(2026, 4, 19), date(2026, 4, 23))
    with store.connect() as con:
        counts = entity_counts_by_period(con, f, IQIYI)
        pairs = co_mention_counts(con, f, IQIYI)
        weekly = entity_counts_by_period(con, f, IQIYI, freq="W")
    got = {(str(r.period), r.entity): r.records for r in counts.itertuples()}
    assert got == {("2026-04-20", "iqiyi"): 2, ("2026-04-20", "baidu"): 1, ("2026-04-22", "iqiyi"): 1,
                   ("2026-04-22", "baidu"): 1}
    assert pairs.to_dict("records") == [{"a": "baidu", "b": "iqiyi", "records": 2}]
    assert set(weekly["period"].astype(str)) == {"2026-04-20"} and weekly["records"].sum() == 5


def test_period_counts_without_annotations_are_empty(data_dir, make_record) -> None:
    store = Store(data_dir)
    store.add_records([make_record()])
    with store.connect() as con:
        assert entity_counts_by_period(con, Filters("case-a"), IQIYI).empty
        assert co_mention_counts(con, Filters("case-a"), IQIYI).empty


def test_counts_and_co_mentions_keep_only_the_trackers_own_entities(data_dir, make_record) -> None:
    # a record tagged with two trackers is annotated with the entities of both; the other tracker's entities
    # (SAG-AFTRA, Tilly Norwood) must not be counted, nor paired, for this one
    store = Store(data_dir)
    at = datetime(2026, 4, 20, 9, tzinfo=UTC)
    store.add_records([make_record(id="both", published_at=at, trackers=["iqiyi-nadou", "tilly-norwood"]),
                       make_record(id="own", published_at=at, trackers=["iqiyi-nadou"])])
    _annotations(store, [("both", ["iqiyi", "sag-aftra", "tilly-norwood"]), ("own", ["iqiyi", "baidu"])])
    f = Filters("iqiyi-nadou", date(2026, 4, 20), date(2026, 4, 20))
    with store.connect() as con:
        counts = entity_counts_by_period(con, f, IQIYI)
        pairs = co_mention_counts(con, f, IQIYI)
        tilly_pairs = co_mention_counts(con, Filters("tilly-norwood"), TILLY)
    assert counts.set_index("entity")["records"].to_dict() == {"iqiyi": 2, "baidu": 1}
    assert pairs.to_dict("records") == [{"a": "baidu", "b": "iqiyi", "records": 1}]
    assert tilly_pairs.to_dict("records") == [{"a": "sag-aftra", "b": "tilly-norwood", "records": 1}]


def test_comentions_chart_leaves_out_another_trackers_entities(data_dir, make_record) -> None:
    from dashboard.charts import registry
    from dashboard.charts.registry import View

    store = Store(data_dir)
    at = datetime(2026, 4, 20, 9, tzinfo=UTC)
    store.add_records([make_record(id="both", published_at=at, trackers=["iqiyi-nadou", "tilly-norwood"])])
    _annotations(store, [("both", ["iqiyi", "baidu", "sag-aftra"])])
    with store.connect() as con:
        package = registry.build("topics-comentions", con, View(Filters("iqiyi-nadou")), {})
    assert package.data.to_dict("records") == [{"a": "baidu", "b": "iqiyi", "records": 1}]
    assert "SAG" not in package.alt and "sag-aftra" not in package.alt


def test_co_mentions_tied_at_the_cut_are_the_same_whatever_order_the_records_are_read_in(data_dir, make_record) -> None:
    # the dashboard's snapshot reads records sorted by day and source, a plain connection in file order: pairs with
    # equal counts must not be picked (nor listed) by which record came first
    import duckdb

    store = Store(data_dir)
    at = datetime(2026, 4, 20, 9, tzinfo=UTC)
    lists = [["iqiyi", "baidu"], ["gong-yu", "iqiyi"], ["nadou-pro", "iqiyi"], ["baidu", "gong-yu"]]
    store.add_records([make_record(id=f"r{i}", published_at=at, trackers=["iqiyi-nadou"]) for i in range(len(lists))])
    _annotations(store, [(f"r{i}", ents) for i, ents in enumerate(lists)])
    f = Filters("iqiyi-nadou", date(2026, 4, 20), date(2026, 4, 20))
    with store.connect() as src:
        records, annotations = src.execute("SELECT * FROM records").df(), src.execute(f"SELECT * FROM {ANNOTATIONS}").df()
    got = []
    for order in ("id", "id DESC"):
        with duckdb.connect() as con:
            con.register("r", records)
            con.register("a", annotations)
            con.execute(f"CREATE TABLE records AS SELECT * FROM r ORDER BY {order}")
            con.execute(f"CREATE TABLE {ANNOTATIONS} AS SELECT * FROM a ORDER BY {order}")
            got.append(co_mention_counts(con, f, IQIYI, top=2).to_dict("records"))
    assert got[0] == got[1] == [{"a": "baidu", "b": "gong-yu", "records": 1}, {"a": "baidu", "b": "iqiyi", "records": 1}]


def test_declaring_a_name_ambiguous_changes_the_pipeline_version(monkeypatch: pytest.MonkeyPatch) -> None:
    # stored entity lists were made without the cue rule for that name: changing the list must re-annotate them
    import collectors.trackers as trackers_module
    from analysis.nlp import enrich

    plain = tracker([{"id": "variety", "type": "outlet", "name_en": "Variety"}])
    cued = tracker([{"id": "variety", "type": "outlet", "name_en": "Variety", "ambiguous": ["Variety"]}])
    monkeypatch.setattr(trackers_module, "load_trackers", lambda path=None: [plain])
    before = enrich.pipeline_version("m1")
    monkeypatch.setattr(trackers_module, "load_trackers", lambda path=None: [cued])
    assert enrich.pipeline_version("m1") != before


@pytest.mark.parametrize(("text", "expected"), [
    # real units (train/dev) that name a person by first name or surname only
    ("Tilly isn't replacing Emily Blunt any time soon.", ["tilly-norwood", "emily-blunt"]),
    ("Blunt said in an interview in response to the news about Tilly.", ["emily-blunt", "tilly-norwood"]),
    ("由初创公司 Particle6 设计的 Norwood 在好莱坞的出现正值一个敏感时期。", ["particle6", "tilly-norwood"]),
    ("Commenting on the ballot, Paul W Fleming, said", ["paul-fleming"]),
    ("\u201cPeople's rights aren't violated by AI misuse,\u201d Fleming stated.", ["paul-fleming"]),
    ("Barrera wrote in an Instagram Story.", ["melissa-barrera"]),
    ("Whoopi Goldberg and Goldberg's co-hosts", ["whoopi-goldberg"]),
    # without a cue, or inside another word or name, they stay unmatched
    ("Creating Tilly was a long and technical process.", []),
    ("Tillyard said the figures were wrong, Tilly Norwood aside", ["tilly-norwood"]),
    ("Tilly Smith said she was a fan", []),
    ("He was more blunt about Tilly Norwood", ["tilly-norwood"]),
])
def test_first_name_or_surname_alone_counts_with_a_cue(text: str, expected: list[str]) -> None:
    assert entity_mentions(text, TILLY) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # real units (train) that name the UK union Equity alone
    ("Equity said its core grievance remains that Pact has not secured firm guarantees", ["equity-uk"]),
    ("TV and film performers represented by Equity, the actors' union, will soon vote", ["equity-uk"]),
    ("Commenting on the ballot, Paul W Fleming, General Secretary of Equity, said", ["paul-fleming", "equity-uk"]),
    ("The vote comes as UK equity members are increasingly concerned", []),  # lower case
    ("Equity markets fell", []),  # runs on into a capitalised word
    # a capitalised word before it, not starting the sentence: part of another name (another union, a fund)
    ("Clarke contacted Irish Equity and a media lawyer, SAG-AFTRA said", ["sag-aftra"]),
    ("a studio backed by Private Equity said SAG-AFTRA", ["sag-aftra"]),
    ("When Tilly was announced, Emily Blunt objected", ["tilly-norwood", "emily-blunt"]),  # sentence start is fine
])
def test_equity_alone_is_the_uk_union_with_a_cue(text: str, expected: list[str]) -> None:
    assert entity_mentions(text, TILLY) == expected


def test_typographic_apostrophe_in_an_alias() -> None:
    # real unit (dev): "Zhang Ruoyun’s studio: legal team is handling it urgently" names the studio, written with U+2019
    assert entity_mentions("Zhang Ruoyun\u2019s studio: legal team is handling it urgently", IQIYI) == [
        "zhang-ruoyun-studio", "zhang-ruoyun"]
    assert entity_mentions("Li Yitong\u2019s studio said", IQIYI) == ["li-yitong-studio", "li-yitong"]


def test_short_former_name_inside_a_made_up_name_needs_a_cue() -> None:
    # real unit (train, a web novel): 艾奇艺 is a made-up company, not iQIYI (奇艺 is iQIYI's former name)
    assert entity_mentions("“看来我们艾奇艺,需要全面与您合作了!”徐明看着杨小天", IQIYI) == []
    assert entity_mentions("奇艺和百度", IQIYI) == ["iqiyi", "baidu"]  # with another of the tracker's names
    assert entity_mentions("爱奇艺今天发布了新功能", IQIYI) == ["iqiyi"]


@pytest.mark.parametrize(("text", "expected"), [
    # real units (train/test) naming people by Chinese transliterations the aliases lacked
    ("美国演员工会主席肖恩·奥斯汀严厉批评", ["sag-aftra", "sean-astin"]),
    ("此前,美国演员工会主席奥斯汀就担忧此类技术对组织构成生存威胁。", ["sag-aftra", "sean-astin"]),
    ("玛拉·威尔逊等十余名演员联名呼吁经纪公司拒签AI角色", ["mara-wilson"]),
    ("美国演员工会直指蒂莉是计算机程序生成的角色", ["sag-aftra", "tilly-norwood"]),
    ("有人骂媞莉是数字缝合怪,美国演员工会也发了声明", ["tilly-norwood", "sag-aftra"]),
    ("简·奥斯汀的小说", []),  # the surname alone, with no cue, is someone else's
])
def test_chinese_transliterations_of_names(text: str, expected: list[str]) -> None:
    assert entity_mentions(text, TILLY) == expected
