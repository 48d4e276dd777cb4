"""`actorwatch collect`: terms from the tracker or --term, per-page progress, summary, resume, exit codes, secrets."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from click.testing import CliRunner

from collectors import collect_cli
from collectors.base import Collector, Page, Query
from collectors.http import make_client
from collectors.models import Record
from collectors.sources import REGISTRY, collectors
from collectors.store import Store
from dashboard.cli import cli
from tests.weibo_fake import FakeWeibo, mock_transport

FAKE_COOKIE = "SUB=_2AkMsecretFAKEcookie0123456789abcdef; SUBP=0033WrSXqPxfM72-Ws9jqgMF55529P9D9Wsecret"
ARGS = ["collect", "weibo", "--tracker", "iqiyi-nadou", "--term", "AI艺人库", "--since", "2026-04-20",
        "--until", "2026-04-21", "--min-interval", "0"]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeWeibo:
    """Every client the command builds talks to the fake Weibo (no network); the cookie is a fake secret."""
    server = FakeWeibo(posts_per_window=12)
    monkeypatch.setenv("ACTORWATCH_WEIBO_COOKIE", FAKE_COOKIE)
    monkeypatch.setattr(collect_cli, "make_client", lambda **kw: make_client(transport=mock_transport(server)))
    return server


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_collect_prints_progress_and_summary(fake):
    result = run(*ARGS)
    assert result.exit_code == 0, result.output
    # 12 posts (+2 originals of reposts) on 2 search pages, then 2 empty pages (one looked past); 2 long posts fetch
    # their detail page
    assert "response 1: records 0 new" in result.stderr and "response 6: records 14 new" in result.stderr
    assert "weibo: 6 page(s); records: 14 new" in result.stdout
    assert Store().query("SELECT count(*) AS n FROM records")["n"][0] == 14
    again = run(*ARGS)  # a finished query re-runs from the start and adds nothing
    assert again.exit_code == 0 and "records: 0 new" in again.stdout


def block_page_2(fake, monkeypatch):
    """The fake Weibo refuses the search's second page (432), as when a run is blocked part-way; returns the search
    it replaced, to put back for the resume."""
    original = fake.search

    def blocked_on_page_2(params):
        if params.get("page") == "2":
            from tests.weibo_fake import Reply
            return Reply(432, b"<html>432</html>")
        return original(params)

    monkeypatch.setattr(fake, "search", blocked_on_page_2)
    return original


def test_blocked_run_exits_3_with_how_to_resume_then_resumes(fake, monkeypatch):
    original = block_page_2(fake, monkeypatch)
    result = run(*ARGS)
    assert result.exit_code == collect_cli.EXIT_STOPPED
    assert "HTTP 432" in result.stderr and "--resume" in result.stderr and "ACTORWATCH_WEIBO_COOKIE" in result.stderr
    assert result.stderr.count("re-run the same command") == 1  # the advice was given twice, once by the source
    assert "records: 12 new" in result.stdout
    monkeypatch.setattr(fake, "search", original)
    resumed = run(*ARGS)
    assert resumed.exit_code == 0 and "(resumed from the saved cursor)" in resumed.stderr
    assert "records: 2 new" in resumed.stdout and fake.requests["/api/container/getIndex"] == 2 + 3


def test_max_stops_early_and_resume_continues(fake):
    first = run(*ARGS, "--max", "5")
    assert first.exit_code == 0 and "weibo: 2 page(s); records: 12 new" in first.stdout  # long-text page + page 1
    rest = run(*ARGS, "--max", "5")
    assert "(resumed from the saved cursor)" in rest.stderr and "records: 2 new" in rest.stdout


def test_hot_search_needs_no_terms_and_writes_trend_records(monkeypatch):
    body = (Path(__file__).parent / "fixtures" / "weibo" / "hot_search_20260420T0930Z.json").read_bytes()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    monkeypatch.setattr(collect_cli, "make_client", lambda **kw: make_client(transport=transport))
    result = run("collect", "weibo-hot", "--tracker", "iqiyi-nadou", "--min-interval", "0")
    assert result.exit_code == 0, result.output
    assert "trend observations: 5 new" in result.stdout and "trend records of matched topics: " in result.stderr
    assert Store().query("SELECT count(*) AS n FROM records WHERE kind = 'trend'")["n"][0] >= 1


def test_clear_errors(fake, monkeypatch):
    unknown = run("collect", "nope", "--tracker", "iqiyi-nadou")
    assert unknown.exit_code == 2 and "unknown source 'nope'" in unknown.output  # a usage error, like a bad option
    assert "unknown tracker" in run("collect", "weibo", "--tracker", "nope").output
    no_terms = run("collect", "weibo-comments", "--tracker", "iqiyi-nadou")
    assert no_terms.exit_code == 1 and "no search terms" in no_terms.output
    # post ids never come from trackers.toml: the error asked the user to add them there
    assert "--term MID" in no_terms.output and "trackers.toml" not in no_terms.output
    no_pages = run("collect", "weibo-cn", "--tracker", "iqiyi-nadou")
    assert no_pages.exit_code == 1 and "trackers.toml" not in no_pages.output and "--term" in no_pages.output
    bad_window = run("collect", "weibo", "--tracker", "iqiyi-nadou", "--since", "2026-04-22", "--until", "2026-04-21")
    assert bad_window.exit_code == 1 and "must be after" in bad_window.output
    monkeypatch.delenv("ACTORWATCH_WEIBO_COOKIE")
    missing = run(*ARGS)
    assert missing.exit_code == 1 and "ACTORWATCH_WEIBO_COOKIE" in missing.output


def test_default_window_is_the_trackers():
    from collectors.trackers import get_tracker

    start, end = collect_cli.default_window(get_tracker("iqiyi-nadou"))
    tracker = get_tracker("iqiyi-nadou")
    assert start.date() < tracker.trigger_date < end.date()


class CountingCollector(Collector):
    """A source that needs no terms (like market data or a trend list): two pages of one record each."""

    name: ClassVar[str] = "test-counting"
    description: ClassVar[str] = "test only"
    needs_terms: ClassVar[bool] = False
    min_interval: ClassVar[float] = 0.0

    def fetch(self, query: Query, cursor: dict[str, Any] | None = None) -> Iterator[Page]:
        start = (cursor or {}).get("n", 0)
        for n in range(start, 2):
            yield Page(items=[{"n": n}], raw=f'{{"n": {n}}}', meta={}, cursor={"n": n + 1} if n < 1 else None)

    @staticmethod
    def to_record(raw, collected_at, tracker=None) -> Record:
        return Record(source="test-counting", id=str(raw["n"]), kind="post", text=f"item {raw['n']}",
                      published_at=collected_at, collected_at=collected_at, trackers=[tracker] if tracker else [])


def test_collect_is_source_agnostic(monkeypatch):
    collectors()
    monkeypatch.setitem(REGISTRY, "test-counting", CountingCollector)
    result = run("collect", "test-counting", "--tracker", "iqiyi-nadou")
    assert result.exit_code == 0, result.output
    assert "test-counting: 2 page(s); records: 2 new" in result.stdout


def test_the_cookie_never_reaches_output_archive_store_or_state(fake, monkeypatch, data_dir: Path):
    fake.echo_cookie = True  # a hostile/buggy server that reflects the Cookie header into its body
    original = fake.search
    calls = {"n": 0}

    def captcha_on_third(params):
        calls["n"] += 1
        if calls["n"] == 3:
            from tests.weibo_fake import _json
            return _json({"ok": -100, "url": f"https://m.weibo.cn/captcha?c={params.get('_cookie', '')}"})
        return original(params)

    monkeypatch.setattr(fake, "search", captcha_on_third)
    result = run(*ARGS[:-2], "--until", "2026-04-22", "--min-interval", "0")
    assert result.exit_code == collect_cli.EXIT_STOPPED
    assert FAKE_COOKIE in fake.cookies_seen  # it was sent to the (fake) platform...
    secret_bits = [FAKE_COOKIE, "2AkMsecretFAKEcookie0123456789abcdef", "0033WrSXqPxfM72-Ws9jqgMF55529P9D9Wsecret"]
    texts = {"output": result.output + result.stderr}
    for path in data_dir.rglob("*"):
        if path.is_file() and path.suffix == ".gz":
            texts[str(path)] = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        elif path.is_file() and path.suffix != ".parquet":
            texts[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    with Store().connect() as con:
        texts["store"] = str(con.execute("SELECT * FROM records").fetchall())
    assert any("raw" in name for name in texts) and "[REDACTED]" in "".join(texts.values())
    for name, text in texts.items():  # ...and nowhere else
        for bit in secret_bits:
            assert bit not in text, f"secret found in {name}"


def test_a_malformed_term_is_a_usage_error_before_any_request(fake):
    """A post id or weibo.cn term of the wrong shape stopped the run with exit 3 and 'Progress is saved; re-run the
    same command with --resume', which could only fail the same way."""
    for source, term in (("weibo-comments", "hello world"), ("weibo-cn", "bogus"), ("weibo-cn", "user:abc")):
        result = run("collect", source, "--tracker", "iqiyi-nadou", "--term", term, "--min-interval", "0")
        assert result.exit_code == 2, (source, result.output)
        assert repr(term) in result.output and "--resume" not in result.output
    assert not fake.requests


def test_a_secrets_file_that_does_not_parse_is_named_not_taken_for_a_missing_cookie(monkeypatch, tmp_path):
    """A typo in secrets.toml (an unclosed quote) read as 'weibo_cookie is not set … add it to secrets.toml' to a user
    who had added it; the error now says the file could not be read, and why, without quoting it."""
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('weibo_cookie = "SUB=_2AkMunclosedSECRET\n', encoding="utf-8")
    monkeypatch.setenv("ACTORWATCH_SECRETS_FILE", str(secrets))
    monkeypatch.delenv("ACTORWATCH_WEIBO_COOKIE", raising=False)
    result = run(*ARGS)
    assert result.exit_code == 1
    assert f"{secrets} could not be read" in result.output and "line 1" in result.output, result.output
    assert "SECRET" not in result.output


def test_a_secrets_file_others_can_read_is_made_the_owners_only(monkeypatch, tmp_path):
    """The README asks for secrets.toml with mode 600, but a file saved by an editor has the umask's mode (usually
    readable by every local user) and its cookies and tokens were read from it as it was; the file is now narrowed to
    its owner when it is read."""
    import stat

    from collectors.secrets import get_secret

    secrets = tmp_path / "secrets.toml"
    secrets.write_text('weibo_cookie = "SUB=_2AkMfileSECRET"\n', encoding="utf-8")
    secrets.chmod(0o644)
    monkeypatch.setenv("ACTORWATCH_SECRETS_FILE", str(secrets))
    monkeypatch.delenv("ACTORWATCH_WEIBO_COOKIE", raising=False)
    assert get_secret("weibo_cookie") == "SUB=_2AkMfileSECRET"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600


def test_a_secrets_file_on_a_read_only_mount_is_read_as_it_is(monkeypatch, tmp_path):
    """A secrets file mounted read-only (a container's secret volume: mode 644 on a read-only file system) cannot be
    narrowed to its owner; it is read as it is, not taken for a missing file."""
    import errno

    from collectors.secrets import get_secret

    secrets = tmp_path / "secrets.toml"
    secrets.write_text('weibo_cookie = "SUB=_2AkMmountedSECRET"\n', encoding="utf-8")
    secrets.chmod(0o644)

    def read_only(self: Path, mode: int) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Path, "chmod", read_only)
    monkeypatch.setenv("ACTORWATCH_SECRETS_FILE", str(secrets))
    monkeypatch.delenv("ACTORWATCH_WEIBO_COOKIE", raising=False)
    assert get_secret("weibo_cookie") == "SUB=_2AkMmountedSECRET"


def test_an_unreadable_cursor_is_named_with_the_way_out(fake, data_dir: Path):
    """A damaged cursor file stopped the run with a bare "error: Expecting value: line 1 column 1 (char 0)"."""
    import os
    import subprocess
    import sys

    assert run(*ARGS, "--max", "5").exit_code == 0
    (cursor,) = (data_dir / "state" / "cursors").glob("weibo-*.json")
    cursor.write_text("", encoding="utf-8")
    # through the real entry point; the cursor is read before any request (and none could leave the machine)
    env = {**os.environ, "ACTORWATCH_WEIBO_BASE_URL": "http://127.0.0.1:9"}
    done = subprocess.run([sys.executable, "-c", "from dashboard.cli import main; main()", *ARGS], check=False,
                          env=env, capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert str(cursor) in done.stderr and "--no-resume" in done.stderr, done.stderr
    assert run(*ARGS, "--no-resume").exit_code == 0  # the way out works


class RejectingCollector(CountingCollector):
    name: ClassVar[str] = "test-rejecting"
    good: ClassVar[set[int]] = set()

    @staticmethod
    def to_record(raw, collected_at, tracker=None) -> Record:
        from collectors.base import ParseError

        if raw["n"] not in RejectingCollector.good:
            raise ParseError(f"item {raw['n']}: not the shape expected")
        return CountingCollector.to_record(raw, collected_at, tracker)


def test_a_collection_whose_every_item_is_rejected_fails(monkeypatch, data_dir: Path):
    """Every item rejected (a source changed its response shape) exited 0 like a good run, so a scheduled job never
    noticed; as with `actorwatch import`, it now exits 1 naming where the raw responses are kept. Some good items:
    they are stored and the run exits 0."""
    collectors()
    monkeypatch.setitem(REGISTRY, "test-rejecting", RejectingCollector)
    monkeypatch.setattr(RejectingCollector, "good", set())
    result = CliRunner().invoke(cli, ["collect", "test-rejecting", "--tracker", "iqiyi-nadou"])
    assert result.exit_code == 1, result.output
    assert "rejected page 1 item 0: item 0: not the shape expected" in result.stderr
    assert "every item was rejected (2)" in result.stderr and str(data_dir / "raw") in result.stderr
    monkeypatch.setattr(RejectingCollector, "good", {1})
    partly = CliRunner().invoke(cli, ["collect", "test-rejecting", "--tracker", "iqiyi-nadou", "--no-resume"])
    assert partly.exit_code == 0, partly.output
    assert "records: 1 new" in partly.stdout and "not the shape expected" in partly.stderr


def test_json_summary_counts_what_was_stored_and_says_how_a_stop_resumes(fake, monkeypatch):
    import json

    original = block_page_2(fake, monkeypatch)
    stopped = run(*ARGS, "--json")
    assert stopped.exit_code == collect_cli.EXIT_STOPPED
    first = json.loads(stopped.stdout)  # one object on stdout, whatever the exit status
    stored = Store().query("SELECT count(*) AS n FROM records")["n"][0]
    assert first["records_new"] == stored == 12 and first["rejected"] == 0 and first["exit_status"] == 3
    assert "HTTP 432" in first["stopped"] and "--resume" in first["stopped"] and first["resumed"] is False

    monkeypatch.setattr(fake, "search", original)
    resumed = json.loads(run(*ARGS, "--json").stdout)
    assert resumed["resumed"] is True and resumed["stopped"] is None and resumed["exit_status"] == 0
    assert first["records_new"] + resumed["records_new"] == Store().query("SELECT count(*) AS n FROM records")["n"][0]
    assert {"source", "tracker", "pages", "records_updated", "records_duplicate", "errors", "store"} <= set(resumed)


def test_sources_are_listed_in_their_modules_order_whatever_imported_them_first(monkeypatch):
    # a test module (or a plugin) importing collectors.sources.gdelt before weibo put gdelt first in --list-sources
    # and in "unknown source … (known: …)"
    from collectors import sources

    listed = list(collectors())
    gdelt_first = sorted(sources.REGISTRY.items(), key=lambda item: item[0] != "gdelt")  # as if imported first
    monkeypatch.setattr(sources, "REGISTRY", dict(gdelt_first))
    assert list(collectors()) == listed and listed[0] == "weibo" and listed.index("gdelt") > listed.index("weibo-cn")
