"""Files other tools exported, as researchers bring them: re-saved by Excel or PowerShell, cut short by a killed
export, with headers typed by hand. Every importer reads what is good, reports what is not (file and line), and
never drops a good row because of a bad one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from collectors.importers import ImportIssue, detect
from collectors.importers.context import import_context

FIXTURES = Path(__file__).parent / "fixtures"
SAVED = datetime(2026, 4, 21, 4, tzinfo=UTC)


def _read(path: Path) -> tuple[list, list[ImportIssue]]:
    """(records, issues) of a file as `actorwatch import` reads it (format detected, --saved-at given)."""
    with import_context(SAVED):
        items = list(detect(path).read(path))
    return [i for i in items if not isinstance(i, ImportIssue)], [i for i in items if isinstance(i, ImportIssue)]


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def _header_retyped(text: str) -> str:
    """The CSV with its header upper-cased and padded with spaces, as a hand-edited header may be."""
    header, rest = text.split("\n", 1)
    return ", ".join(c.strip().upper() for c in header.split(",")) + "\n" + rest


def test_csv_exports_read_with_a_header_in_other_case_and_spacing(tmp_path: Path) -> None:
    """A header such as `ID, BID, 正文` was recognised but every row rejected ("id: missing"): the columns were
    looked up by their exact spelling."""
    cases = {"weibo/weibo-crawler/小鹿观影/1000000001.csv": "小鹿观影/1000000001.csv",
             "fourcat/bsky-search-AI-actress.csv": "bsky.csv",
             "mediacrawler_bilibili/search_contents_2026-04-22.csv": "search_contents.csv",
             "weibo/mediacrawler/search_contents_2026-04-21.csv": "weibo/search_contents.csv"}
    for fixture, name in cases.items():
        text = (FIXTURES / fixture).read_text(encoding="utf-8-sig")
        expected, expected_issues = _read(_write(tmp_path / "plain" / name, text))
        records, issues = _read(_write(tmp_path / "retyped" / name, _header_retyped(text)))
        assert [r.model_dump() for r in records] == [r.model_dump() for r in expected], fixture
        assert len(issues) == len(expected_issues), (fixture, issues)


NATIVE_CSV = ("source,id,kind,text,published_at,collected_at,likes,trackers\n"
              "rss,a1,article,标题,2026-04-20T00:00:00Z,2026-04-21T00:00:00Z,7,x|y\n"
              "rss,a2,article,'=1+1,2026-04-20T00:00:00+08:00,2026-04-21T00:00:00Z,,\n")


def test_actorwatch_csv_read_with_a_header_in_other_case_and_spacing(tmp_path: Path) -> None:
    """`Source, ID ,Kind,…` was not recognised as actorwatch CSV at all (no importer recognised this file)."""
    expected, _ = _read(_write(tmp_path / "plain.csv", NATIVE_CSV))
    records, issues = _read(_write(tmp_path / "retyped.csv", _header_retyped(NATIVE_CSV)))
    assert issues == [] and [r.model_dump() for r in records] == [r.model_dump() for r in expected]
    assert [r.id for r in records] == ["a1", "a2"] and records[1].text == "=1+1"


_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)  # the GBK range of common hanzi


@settings(max_examples=300, deadline=None)
@given(st.text(_CJK, min_size=1, max_size=12), st.text(_CJK, min_size=1, max_size=12))
def test_gbk_text_is_read_whatever_its_first_character(first: str, later: str) -> None:
    """A GBK file whose first hanzi happen to be valid UTF-8 bytes ('同' is CD AC, UTF-8 for U+036C) failed as 'not
    valid UTF-8' instead of being read as GBK; a UTF-8 file with one bad byte further on stays an error."""
    from collectors.importers.filerows import decode_saved

    text = f"note_id,content\r\n1,{first}\r\n2,{later}\r\n"
    gbk = text.encode("gbk")
    # the rule: the first run of non-ASCII bytes decides; one that is valid UTF-8 as a whole ('一', D2 BB) reads as UTF-8
    assume(not _is_utf8(first.encode("gbk")))
    assert decode_saved(gbk) == text
    broken = text.encode("utf-8").replace(b"\r\n2,", b"\r\n2,\xff")
    with pytest.raises(UnicodeDecodeError):
        decode_saved(broken)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _native_jsonl() -> str:
    import json

    record = {"source": "weibo", "kind": "post", "text": "好😀\u200b零宽", "published_at": "2026-04-20T10:00:00+08:00",
              "collected_at": "2026-04-21T00:00:00Z"}
    return "".join(json.dumps({**record, "id": str(n)}, ensure_ascii=False) + "\n" for n in range(3))


JSON_LINES = {"weibo/mediacrawler/search_comments_2026-04-21.jsonl": "weibo/search_comments.jsonl",
              "mediacrawler_bilibili/search_comments_2026-04-22.jsonl": "search_comments.jsonl",
              "fourcat/forum-export.ndjson": "forum.ndjson"}
RESAVED = {"UTF-16 (PowerShell >, Excel 'Unicode text')": lambda t: t.encode("utf-16"),
           "GB18030 (Notepad 'ANSI' on Chinese Windows)": lambda t: t.encode("gb18030"),
           "bare CR line ends (old Mac)": lambda t: t.replace("\n", "\r").encode()}


def test_json_lines_resaved_as_utf16_gb18030_or_with_cr_line_ends_are_read(tmp_path: Path) -> None:
    """Every line of such a file was rejected ('not valid UTF-8', or one 'line' of Extra data), though the CSV and
    JSON importers read these encodings: JSON lines went through a UTF-8-only line reader."""
    from collectors.importers import read_for_ingest
    from collectors.importers.native import JsonlImporter

    texts = {name: (FIXTURES / fixture).read_text(encoding="utf-8") for fixture, name in JSON_LINES.items()}
    texts["ours.jsonl"] = _native_jsonl()
    for name, text in texts.items():
        expected, expected_issues = _read(_write(tmp_path / "plain" / name, text))
        assert expected
        for how, encode in RESAVED.items():
            path = tmp_path / how[:5] / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(encode(text))
            records, issues = _read(path)
            assert [r.model_dump() for r in records] == [r.model_dump() for r in expected], (name, how, issues)
            assert [i.where for i in issues] == [i.where for i in expected_issues], (name, how)
    for how, encode in RESAVED.items():  # the fast path `actorwatch import` takes for actorwatch JSONL
        path = tmp_path / "fast" / f"{how[:5]}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode(texts["ours.jsonl"]))
        items = list(read_for_ingest(JsonlImporter(), path))
        assert not [i for i in items if isinstance(i, ImportIssue)], how
        assert sum(i.table.num_rows for i in items) == 3, how


CSV_EXPORTS = {"weibo/weibo-crawler/小鹿观影/1000000001.csv": "小鹿观影/1000000001.csv",
               "fourcat/bsky-search-AI-actress.csv": "bsky.csv",
               "mediacrawler_bilibili/search_contents_2026-04-22.csv": "search_contents.csv",
               "weibo/mediacrawler/search_contents_2026-04-21.csv": "weibo/search_contents.csv"}


def test_a_csv_row_cut_short_by_a_killed_export_is_reported_not_imported_half_empty(tmp_path: Path) -> None:
    """The last row of an export killed mid-write was imported as a record with its later columns empty (a weibo-crawler
    repost lost its original post, counts became none) and nothing said so; it is now a line-numbered issue."""
    texts = {name: (FIXTURES / fixture).read_text(encoding="utf-8-sig") for fixture, name in CSV_EXPORTS.items()}
    texts["ours.csv"] = NATIVE_CSV
    for name, text in texts.items():
        expected, expected_issues = _read(_write(tmp_path / "whole" / name, text))
        lines = text.rstrip("\n").split("\n")
        for cut in (len(lines[1]) // 3, len(lines[1]) // 2):  # the first data row again, cut short
            path = _write(tmp_path / f"cut{cut}" / name, text.rstrip("\n") + "\n" + lines[1][:cut])
            records, issues = _read(path)
            assert [r.model_dump() for r in records] == [r.model_dump() for r in expected], (name, cut)
            cut_short = [i for i in issues if i not in expected_issues]
            assert [i.where for i in cut_short] == [f"{path.name}:{len(lines) + 1}"], (name, cut, issues)
            assert "cut short" in cut_short[0].message


JSON_ARRAYS = {"weibo/mediacrawler/search_contents_2026-04-21.json": "weibo/search_contents.json",
               "mediacrawler_bilibili/search_contents_2026-04-22.json": "search_contents.json"}


def test_a_json_array_cut_short_keeps_the_objects_before_the_cut(tmp_path: Path) -> None:
    """A MediaCrawler .json export killed mid-write lost every row ('not JSON (Unterminated string …)' for the file);
    the objects before the cut are now kept and the cut is reported with its line."""
    import json

    for fixture, name in JSON_ARRAYS.items():
        text = (FIXTURES / fixture).read_text(encoding="utf-8")
        whole, _ = _read(_write(tmp_path / "whole" / name, text))
        assert len(json.loads(text)) >= 2 and len(whole) >= 2
        second = text.index("{", text.index("}"))  # where the second object starts
        cut = text.index(",", second + 40)
        path = _write(tmp_path / "cut" / name, text[:cut + 5])
        records, issues = _read(path)
        assert [r.model_dump() for r in records] == [whole[0].model_dump()], name
        assert len(issues) == 1 and issues[0].where == f"{path.name}:{text[:second].count(chr(10)) + 1}", issues
        assert "cut short" in issues[0].message and "1 item(s) before it are kept" in issues[0].message


def test_a_very_long_text_survives_the_export_csv_round_trip(tmp_path: Path) -> None:
    """A record whose text is over 131,072 characters (a long article body) was exported to records.csv but
    rejected on import ('field larger than field limit'): the csv module's default limit, not the data model's."""
    header, row = NATIVE_CSV.split("\n")[:2]
    long_text = "长文😀\u200b" * 60_000
    text = header + "\n" + row.replace("标题", long_text) + "\n"
    path = _write(tmp_path / "records.csv", text)
    records, issues = _read(path)
    assert issues == [] and [r.text for r in records] == [long_text]
    crawler = (FIXTURES / "weibo/weibo-crawler/小鹿观影/1000000001.csv").read_text(encoding="utf-8-sig")
    crawler = crawler.replace("虚构用户的原创：AI艺人库该有边界", long_text)
    records, issues = _read(_write(tmp_path / "小鹿观影" / "1000000001.csv", crawler))
    assert issues == [] and long_text in [r.text for r in records]


CSV_FILES = {**CSV_EXPORTS, "market/stooq_acme_us.csv": "acme_us_d.csv", "market/yahoo_style_ACME.csv": "ACME.csv"}


def _key(item: object) -> object:
    return item.model_dump()  # type: ignore[attr-defined]


def test_csv_files_with_bare_cr_line_ends_are_read(tmp_path: Path) -> None:
    """CSV saved with classic-Mac line ends (a bare CR): a price CSV was 'empty price CSV', a 4CAT export was not
    recognised (its header was read up to the first LF, i.e. the whole file)."""
    texts = {name: (FIXTURES / fixture).read_text(encoding="utf-8-sig") for fixture, name in CSV_FILES.items()}
    texts["ours.csv"] = NATIVE_CSV
    for name, text in texts.items():
        expected, expected_issues = _read(_write(tmp_path / "lf" / name, text))
        assert expected, name
        records, issues = _read(_write(tmp_path / "cr" / name, text.replace("\r\n", "\n").replace("\n", "\r")))
        assert [_key(r) for r in records] == [_key(r) for r in expected], name
        assert [i.where for i in issues] == [i.where for i in expected_issues], (name, issues)


def test_a_time_without_a_zone_is_reported_with_its_value_and_how_to_write_it(tmp_path: Path) -> None:
    """'2026-04-20 13:05' in actorwatch CSV/JSONL was rejected as "Input should have timezone info": no value, no
    hint that a zone such as +08:00 (Beijing) or Z (UTC) is what is missing."""
    import json

    row = NATIVE_CSV.split("\n")[1].replace("2026-04-20T00:00:00Z", "2026-04-20 13:05")
    csv_path = _write(tmp_path / "ours.csv", NATIVE_CSV.split("\n")[0] + "\n" + row + "\n")
    record = {"source": "rss", "id": "j1", "kind": "article", "text": "标题", "published_at": "2026-04-20 13:05",
              "collected_at": "2026-04-21T00:00:00Z"}
    jsonl_path = _write(tmp_path / "ours.jsonl", json.dumps(record) + "\n")
    for path in (csv_path, jsonl_path):
        records, issues = _read(path)
        assert records == [] and len(issues) == 1, issues
        assert issues[0].where == f"{path.name}:2" if path.suffix == ".csv" else f"{path.name}:1"
        message = issues[0].message
        assert "'published_at'" in message and "'2026-04-20 13:05'" in message, message
        assert "+08:00" in message and "Z" in message, message


def test_unix_times_in_milliseconds_are_read_as_in_seconds(tmp_path: Path) -> None:
    """A 4CAT `timestamp` or a MediaCrawler Bilibili `create_time` in milliseconds (as MediaCrawler writes `add_ts`,
    and as Weibo exports are already read) was rejected as 'not a unix time'."""
    cases = {"fourcat/bsky-search-AI-actress.csv": ("bsky.csv", "1759226400.0", "1759226400000"),
             "mediacrawler_bilibili/search_contents_2026-04-22.csv": ("search_contents.csv", ",1776672000,",
                                                                      ",1776672000000,")}
    for fixture, (name, seconds, millis) in cases.items():
        text = (FIXTURES / fixture).read_text(encoding="utf-8-sig")
        assert seconds in text
        expected, expected_issues = _read(_write(tmp_path / "s" / name, text))
        records, issues = _read(_write(tmp_path / "ms" / name, text.replace(seconds, millis, 1)))
        assert [_key(r) for r in records] == [_key(r) for r in expected], (name, issues)
        assert len(issues) == len(expected_issues)


def test_a_bad_row_holding_line_breaks_is_reported_at_the_line_it_starts_on(tmp_path: Path) -> None:
    """A post with line breaks (quoted, over several lines) whose row was bad was reported at its last line, in the
    middle of the next post's neighbourhood rather than where the row begins; blank lines before it count too."""
    header = NATIVE_CSV.split("\n")[0]
    good = "rss,g{n},article,\"一行\r\n二行\r\n\r\n四行\",2026-04-20T00:00:00Z,2026-04-21T00:00:00Z,,"
    bad = "rss,b1,article,\"甲\n乙\rc\",not a date,2026-04-21T00:00:00Z,,"
    text = "\r\n".join([header, good.format(n=1), "", bad, good.format(n=2)]) + "\r\n"
    records, issues = _read(_write(tmp_path / "ours.csv", text))
    assert [r.id for r in records] == ["g1", "g2"] and records[0].text == "一行\r\n二行\r\n\r\n四行"
    assert [i.where for i in issues] == ["ours.csv:7"], issues
    fourcat = (FIXTURES / "fourcat/bsky-search-AI-actress.csv").read_text(encoding="utf-8")
    fourcat = fourcat.replace("An AI actress signing", '"An AI\nactress\nsigning').replace("wrong to me.,", 'wrong to me.",')
    fourcat = fourcat.replace("row with no usable time", '"row\nwith no\nusable time"')
    records, issues = _read(_write(tmp_path / "bsky.csv", fourcat))
    assert len(records) == 2 and [i.where for i in issues] == ["bsky.csv:6"], issues


def test_a_json_array_followed_by_nul_padding_keeps_its_rows(tmp_path: Path) -> None:
    """A .json export left with NUL bytes after its end (a crash on a file system that had reserved the space) was
    read as JSON lines, since json said 'Extra data', and every line of the array was rejected."""
    for fixture, name in JSON_ARRAYS.items():
        raw = (FIXTURES / fixture).read_bytes()
        expected, _ = _read(_write(tmp_path / "whole" / name, raw.decode("utf-8")))
        path = tmp_path / "padded" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw + b"\x00" * 512)
        records, issues = _read(path)
        assert [_key(r) for r in records] == [_key(r) for r in expected], (name, issues[:3])
        with import_context(SAVED) as context:
            list(detect(path).read(path))
        assert [n.message for n in context.notes if "after the JSON array" in n.message], context.notes


def test_compressed_and_empty_files_are_named_for_what_they_are(tmp_path: Path) -> None:
    """A .jsonl.gz (or .zip) export was 'no importer recognised this file (tried: …19 formats…)', and in a folder an
    empty or compressed file was 'not a recognised format (force one with --format)', which no --format can help;
    each now says what the file is and what to do."""
    import gzip

    from click.testing import CliRunner

    from dashboard.cli import cli

    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "ours.jsonl.gz").write_bytes(gzip.compress(_native_jsonl().encode()))
    (folder / "empty.csv").write_bytes(b"")
    _write(folder / "ours.jsonl", _native_jsonl())
    alone = CliRunner().invoke(cli, ["import", str(folder / "ours.jsonl.gz"), "--dry-run"])
    assert alone.exit_code != 0
    message = str(alone.exception) + alone.output
    assert "gzip" in message and "decompress" in message and "tried:" not in message, message
    result = CliRunner().invoke(cli, ["import", str(folder), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "skipped ours.jsonl.gz: a gzip-compressed file" in result.stderr, result.stderr
    assert "skipped empty.csv: the file is empty" in result.stderr, result.stderr
    assert "3 valid" in result.stderr


def test_an_id_a_spreadsheet_turned_into_a_rounded_number_is_reported_not_imported(tmp_path: Path) -> None:
    """Excel opens a 16-digit Weibo id as a number and saves it back as '5.284E+15' (the digits are gone). The
    native CSV importer stored that as the record's id, silently; the others said only 'missing or not numeric'."""
    mangled = "5.284E+15"
    native = NATIVE_CSV.replace("rss,a1,", f"weibo,{mangled},")
    crawler = (FIXTURES / "weibo/weibo-crawler/小鹿观影/1000000001.csv").read_text(encoding="utf-8-sig")
    mediacrawler = (FIXTURES / "weibo/mediacrawler/search_contents_2026-04-21.csv").read_text(encoding="utf-8-sig")
    cases = {"ours.csv": (native, "id"),
             "小鹿观影/1000000001.csv": (crawler.replace("\n5284000000000201,", f"\n{mangled},"), "id"),
             "weibo/search_contents.csv": (mediacrawler.replace("\n5284000000000301,", f"\n{mangled},"), "note_id")}
    for name, (text, column) in cases.items():
        assert mangled in text
        records, issues = _read(_write(tmp_path / name, text))
        assert mangled not in {r.id for r in records}, name
        assert [i.where for i in issues] == [f"{Path(name).name}:2"], (name, issues)
        assert f"'{column}'" in issues[0].message and "spreadsheet" in issues[0].message, issues[0].message
    records, _ = _read(tmp_path / "ours.csv")
    assert [r.id for r in records] == ["a2"]


def test_a_4cat_time_resaved_by_excel_in_year_month_day_slashes_is_read(tmp_path: Path) -> None:
    """Excel on Chinese Windows saves a CSV's '2025-09-30 10:00:00' back as '2025/9/30 10:00' (its display form); a
    4CAT export (a Douban dataset, say) opened and saved there lost every row to 'unrecognised date'."""
    text = (FIXTURES / "fourcat/bsky-search-AI-actress.csv").read_text(encoding="utf-8")
    dashed = text.replace(",1759226400.0\n", ",2025-09-30 10:00:00\n")
    expected, _ = _read(_write(tmp_path / "dashed" / "bsky.csv", dashed))
    records, issues = _read(_write(tmp_path / "excel" / "bsky.csv", dashed.replace("2025-09-30 10:00:00", "2025/9/30 10:00")))
    assert [_key(r) for r in records] == [_key(r) for r in expected] and len(records) == 2, issues
    assert records[0].published_at == datetime(2025, 9, 30, 10, tzinfo=UTC)


def test_a_unix_time_cut_short_is_reported_not_read_as_1970(tmp_path: Path) -> None:
    """A 4CAT export killed inside its last column ('1759226400.0' cut to '17592264') kept every column, so the row
    imported as a post of July 1970; a unix time before 1990 is now reported as implausible, as dates are."""
    text = (FIXTURES / "fourcat/bsky-search-AI-actress.csv").read_text(encoding="utf-8")
    lines = text.rstrip("\n").split("\n")
    cut = text.rstrip("\n") + "\n" + lines[1].replace("1759226400.0", "17592264")
    path = _write(tmp_path / "bsky.csv", cut)
    records, issues = _read(path)
    assert all(r.published_at.year >= 2025 for r in records), [r.published_at for r in records]
    assert f"bsky.csv:{len(lines) + 1}" in [i.where for i in issues], issues


def test_a_count_too_large_for_the_store_is_one_rejected_row_not_a_crash(tmp_path: Path, data_dir: Path) -> None:
    """A count past 2^63 (a corrupt or hand-edited cell) passed validation and crashed the whole import when the
    batch was written ('OverflowError: Python int too large to convert to C long'), storing nothing."""
    from click.testing import CliRunner

    from collectors.store import Store
    from dashboard.cli import cli

    text = (FIXTURES / "mediacrawler_bilibili/search_contents_2026-04-22.csv").read_text(encoding="utf-8-sig")
    header, first, *rest = text.split("\n")
    cells = first.split(",")
    cells[header.split(",").index("liked_count")] = "99999999999999999999"
    path = _write(tmp_path / "search_contents.csv", "\n".join([header, ",".join(cells), *rest]))
    result = CliRunner().invoke(cli, ["import", str(path), "--tracker", "iqiyi-nadou"])
    assert result.exit_code == 0, result.output
    assert "search_contents.csv:2" in result.stderr and "likes" in result.stderr, result.stderr
    assert len(Store(data_dir).query("SELECT id FROM records")) == 1
    # the same for a hot-search archive entry's heat
    archive = _write(tmp_path / "2026-04-20.json", '[{"text": "话题", "count": 100000000000000000000, "peakCount": 1}, '
                                                   '{"text": "话题二", "count": 5, "peakCount": 5}]')
    result = CliRunner().invoke(cli, ["import", str(archive)])
    assert result.exit_code == 0, result.output
    assert "2026-04-20.json[0]" in result.stderr and "1 new" in result.stderr, result.stderr
