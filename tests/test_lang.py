"""A record's language is known from the moment it is stored, whichever path wrote it (and for stores written before)."""

from __future__ import annotations

import json
import unicodedata
from datetime import date

import pyarrow as pa
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.core.filters import Filters
from analysis.reports.export import read_bundle
from analysis.stats.aggregate import daily_volume, kpis
from analysis.stats.facts import record_count
from collectors.lang import detect_lang, detect_langs, with_lang
from collectors.store import BUILTIN_DATASETS, RECORDS, Store
from dashboard.cli import cli
from dashboard.snapshot import open_snapshot

TRACKER = "iqiyi-nadou"
WINDOW = {"start": date(2026, 4, 17), "end": date(2026, 4, 23)}
CHINESE = "爱奇艺的AI艺人库太离谱了，演员的脸不能随便用"
ENGLISH = "iQIYI's AI artist library is a bad idea for actors"


def _comment(cid: str, text: str) -> str:
    """One MediaCrawler Weibo comment line (the format has no language field)."""
    return json.dumps({"comment_id": cid, "note_id": "5284000000000301", "content": text, "create_time": 1776653000,
                       "comment_like_count": "1", "parent_comment_id": "0", "user_id": f"10000{cid[-3:]}",
                       "nickname": f"网友{cid[-3:]}", "add_ts": 1776660000000}, ensure_ascii=False)


def _import_weibo(tmp_path) -> None:
    path = tmp_path / "mc" / "search_comments_2026-04-21.jsonl"
    path.parent.mkdir()
    path.write_text(_comment("5284100000000901", CHINESE) + "\n" + _comment("5284100000000902", ENGLISH) + "\n",
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(path), "--tracker", TRACKER])
    assert result.exit_code == 0 and "2 new" in result.stderr, result.output + result.stderr


def test_an_imported_weibo_post_without_lang_is_found_by_the_language_filter(tmp_path, data_dir):
    _import_weibo(tmp_path)
    store = Store()
    langs = dict(store.query("SELECT text, lang FROM records")[["text", "lang"]].itertuples(index=False))
    assert langs == {CHINESE: "zh", ENGLISH: "en"}  # stored so: the files record no language
    raw = store.query(f"SELECT count(*) AS n FROM {store.parquet_scan(RECORDS)} WHERE lang IS NULL")
    assert raw["n"][0] == 0
    zh, en = Filters(TRACKER, langs=("zh",), **WINDOW), Filters(TRACKER, langs=("en",), **WINDOW)
    with store.connect() as con:
        assert kpis(con, zh)["records"] == 1 and kpis(con, en)["records"] == 1
        assert daily_volume(con, zh)["records"].sum() == 1
    with open_snapshot(store) as con:  # the dashboard's facts tables carry the language too
        assert record_count(con, zh) == 1 and kpis(con, zh)["records"] == 1
        assert daily_volume(con, en)["records"].sum() == 1
    out = tmp_path / "bundle"
    result = CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--lang", "zh", "--out", str(out)])
    assert result.exit_code == 0 and "wrote 1 records" in result.output, result.output
    assert read_bundle(out)[1]["text"].tolist() == [CHINESE]


def test_a_store_written_before_the_fill_reads_each_record_s_detected_language(data_dir, make_record):
    """Records stored with no lang (an older store) read as if written now: connect(), the snapshot, the filters."""
    store = Store(data_dir)
    records = [make_record(trackers=[TRACKER], lang=None, text=CHINESE),
               make_record(trackers=[TRACKER], lang=None, text=ENGLISH),
               make_record(trackers=[TRACKER], lang=None, text="👍👍 123"),
               make_record(trackers=[TRACKER], lang="en", text=CHINESE)]  # a language the source gave stays
    table = pa.Table.from_pylist([r.model_dump() for r in records]).select(BUILTIN_DATASETS[RECORDS].schema.names)
    store._add_batch(RECORDS, table.cast(BUILTIN_DATASETS[RECORDS].schema), BUILTIN_DATASETS[RECORDS])  # no fill
    assert store.query(f"SELECT count(*) AS n FROM {store.parquet_scan(RECORDS)} WHERE lang IS NULL")["n"][0] == 3
    expected = {"t0": "zh", "t1": "en", "t2": None, "t3": "en"}
    with store.connect() as con:
        assert dict(con.execute("SELECT id, lang FROM records").fetchall()) == expected
        assert dict(con.execute("SELECT id, lang FROM records_public").fetchall()) == expected
        assert kpis(con, Filters(TRACKER, langs=("zh",)))["records"] == 1
    with open_snapshot(store) as con:
        assert record_count(con, Filters(TRACKER, langs=("zh",))) == 1
        assert record_count(con, Filters(TRACKER, langs=("en",))) == 2
    store._add_batch(RECORDS, table.slice(0, 1).cast(BUILTIN_DATASETS[RECORDS].schema), BUILTIN_DATASETS[RECORDS])
    store.compact()  # compaction rewrites the records through the fill: the language is then stored
    assert store.query(f"SELECT count(*) AS n FROM {store.parquet_scan(RECORDS)} WHERE lang IS NULL")["n"][0] == 1


def test_with_lang_fills_only_missing_languages(make_record):
    rows = [make_record(lang=None, text=ENGLISH, title="标题"), make_record(lang="ja", text=CHINESE),
            make_record(lang=None, text="[doge][good]"), make_record(lang=None, text="x", title="A headline")]
    table = pa.Table.from_pylist([r.model_dump() for r in rows])
    # the title counts with the text, as enrichment reads them ("标题\n..." is still English by its letters)
    assert with_lang(table)["lang"].to_pylist() == ["en", "ja", None, "en"]
    full = table.set_column(table.schema.get_field_index("lang"), "lang", pa.array(["en"] * 4))
    assert with_lang(full) is full


def test_analysis_uses_the_collectors_detector():
    from analysis.nlp import text

    assert text.detect_lang is detect_lang


_CHARS = st.sampled_from(list("爱奇艺AI演员abcXYZ  .:/@[]#ーあ한こ😂１ｄＡｚ　ｱﾊﾟﾡ\n・ПжαשعกÉé<>&;")
                         + ["http://x.cn/a", "www.", "[doge]", "@某人", "网页链接", "查看图片", "转发微博", "&amp;",
                            "<b>", "</p>", "某某的微博视频"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(_CHARS, max_size=40).map("".join), st.text(max_size=30)), max_size=8))
def test_the_batch_detector_agrees_with_the_one_by_one(texts):
    assert detect_langs(texts) == [detect_lang(t) if isinstance(t, str) else None for t in texts]


def test_full_width_latin_reads_as_english_and_half_width_kana_as_another_script():
    """Full-width letters (Chinese input methods type them) were not letters at all: no language."""
    texts = ["ＡＩ　ａｃｔｏｒｓ　ａｒｅ　ｓｃａｒｙ", "ＡＩ演员", "ｱｲﾄﾞﾙはＡＩ", "爱奇艺的ＡＩ艺人库太离谱了"]
    want = ["en", "zh", "ja", "zh"]
    assert [detect_lang(t) for t in texts] == detect_langs(texts) == want
    assert detect_langs(texts) == detect_langs([unicodedata.normalize("NFKC", t) for t in texts])


def test_only_the_first_sample_chars_count():
    text = "中" * 2000 + "English words " * 500
    assert detect_langs([text]) == [detect_lang(text)] == ["zh"]


def test_handles_say_nothing_of_the_language() -> None:
    from collectors.lang import detect_lang, detect_langs

    text = "@alice.bsky.social @bob.bsky.social AI演员好假"  # ".bsky.social" twice outweighed four characters
    assert detect_lang(text) == "zh" and detect_langs([text]) == ["zh"]
    assert detect_lang("@alice@mastodon.social @bob@mastodon.social 好假") == "zh"


# Text in languages the models do not read is marked so (its language), never read as Chinese: a detector that only
# counted Han and Latin sent Korean, Japanese, Cyrillic, Arabic and Thai posts to the Chinese model.
OTHER_SCRIPTS = {
    "AI 배우가 너무 무섭다, 진짜 사람 같아": "ko",
    "AI俳優が話題になっている": "ja",  # kanji and kana: Japanese, not Chinese
    "政府はAI俳優の規制法案を閣議決定した": "ja",  # kanji-heavy Japanese: a fifth of kana is enough
    "ИИ-актёры — это ужасно": "und",  # Cyrillic is written for several languages
    "الممثلون بالذكاء الاصطناعي مخيفون": "und",
    "นักแสดง AI น่ากลัวมาก": "th",
    "Οι ηθοποιοί AI είναι τρομακτικοί": "el",
}
STAYS_CHINESE = [
    "这个AI演员の演技真的很自然啊，期待新剧",  # a の quoted in a Chinese post
    "今天看了李敏镐（이민호）的新剧，AI换脸太假了",  # a Korean name
    "开发者艾琳・范・德・威尔登的回应更显模糊",  # names joined by the katakana middle dot, as Chinese writes them
]


def test_other_scripts_read_as_their_language_not_chinese():
    texts = [*OTHER_SCRIPTS, *STAYS_CHINESE]
    want = [*OTHER_SCRIPTS.values(), *["zh"] * len(STAYS_CHINESE)]
    assert [detect_lang(t) for t in texts] == detect_langs(texts) == want



def test_a_record_in_another_script_is_stored_with_its_language_or_none(make_record):
    """A record's lang is a two-letter code (Record validates it so, and a bundle's records are read back through it):
    a script written for several languages leaves it unknown, as the filters show it ('und')."""
    rows = [make_record(lang=None, text=t) for t in ("AI 배우가 너무 무섭다", "ИИ-актёры — это ужасно", "AI俳優が話題")]
    schema = BUILTIN_DATASETS[RECORDS].schema
    table = pa.Table.from_pylist([r.model_dump() for r in rows]).select(schema.names).cast(schema)
    assert with_lang(table)["lang"].to_pylist() == ["ko", None, "ja"]


def test_a_record_s_stored_language_is_the_one_its_text_is_scored_in(make_record):
    """records.lang (the dashboard's language filter) was read from the raw text, the models' route from the cleaned
    text: markup, link cards' labels and a repost's stock words tipped the two apart."""
    from analysis.nlp.sentiment import reading_langs

    texts = ['<span class="url-icon"><img alt="[doge]" src="https://h5.sinaimg.cn/m/emoticon/icon/x.png"></span>太假了',
             "Great AI news 网页链接 查看图片", "转发微博//@某人: great acting by AI", "&quot;AI&quot;&amp;&quot;AI&quot;演员"]
    rows = [make_record(lang=None, text=t) for t in texts]
    schema = BUILTIN_DATASETS[RECORDS].schema
    table = pa.Table.from_pylist([r.model_dump() for r in rows]).select(schema.names).cast(schema)
    stored = with_lang(table)["lang"].to_pylist()
    assert stored == reading_langs(texts) == ["zh", "en", "en", "zh"]


# Latin letters alone called every Latin-script text English, so the English model scored Spanish, French or German
# posts about Tilly Norwood as if they were English opinion.
OTHER_LATIN = {
    "Tilly Norwood es una actriz creada por IA y los actores están furiosos": "es",
    "Tilly Norwood, l'actrice IA, fait polémique dans le monde du cinéma": "fr",
    "Die KI-Schauspielerin ist nicht echt und das ist ein Problem": "de",
    "A atriz de IA não é uma pessoa de verdade": "pt",
    "L'attrice AI è una vergogna per il cinema": "it",
    "Dit is een AI actrice en dat is niet oké": "nl",
    "Aktris AI ini tidak nyata dan itu masalah": "id",
}
STAYS_ENGLISH = [
    "AI Deepfakes Face Blowback as Industry Rallies Behind No Fakes Act",  # "as" and "no" are English too
    "No trailers, no catering, no 4:00 AM makeup calls, and definitely no PR scandals.",
    "Eline Van der Velden says Tilly Norwood is a piece of art, not a replacement",  # a Dutch name in English
    "The de facto ban on AI doubles ends this year",
    "Tilly Norwood",
    "AI actors lol",
]


def test_latin_script_languages_other_than_english_are_told_apart():
    texts = [*OTHER_LATIN, *STAYS_ENGLISH]
    want = [*OTHER_LATIN.values(), *["en"] * len(STAYS_ENGLISH)]
    assert [detect_lang(t) for t in texts] == detect_langs(texts) == want


def test_a_spanish_post_declared_english_is_not_read_by_the_english_model():
    from analysis.nlp.sentiment import is_read, reading_langs

    langs = reading_langs(list(OTHER_LATIN) + ["AI actors are the worst thing to happen to film"], ["en"] * 8)
    assert langs[:7] == list(OTHER_LATIN.values()) and langs[7] == "en"
    assert [is_read(lang) for lang in langs] == [False] * 7 + [True]
