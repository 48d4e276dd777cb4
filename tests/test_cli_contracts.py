"""The command line's contracts, over every command of the `actorwatch` group (walked, so a new one is covered):
`--help` runs; `--json` prints exactly one strict JSON object on stdout; a user's error (wrong path, unknown
tracker, missing store, malformed file) is one line on stderr naming what to do, a non-zero exit, no traceback."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from dashboard.cli import cli, main


def _walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _walk(sub, (*path, name))


COMMANDS = dict(_walk(cli))
WITH_JSON = sorted(p for p, c in COMMANDS.items() if any("--json" in o.opts for o in c.params))


@pytest.mark.parametrize("path", list(COMMANDS), ids=lambda p: " ".join(p) or "actorwatch")
def test_every_command_s_help_runs(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Usage:") and (not path or path[-1] in result.stdout.splitlines()[0])
    assert COMMANDS[path].get_short_help_str().strip(), f"{' '.join(path)} has no help text"


def test_the_root_help_gives_the_exit_statuses_with_the_rule_for_rejected_rows() -> None:
    text = " ".join(CliRunner().invoke(cli, ["--help"]).stdout.split())
    assert "0 success (rows an import or collect rejects are reported, the rest kept)" in text
    assert "also when every row of an import or item of a collect is rejected" in text and "3 a collect" in text


def _strict(text: str) -> object:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def _labelled(tmp_path: Path) -> list[str]:
    path = tmp_path / "labelled.csv"
    path.write_text("text,label\n这个太好了,1\n太差了,0\n一般般吧,2\n真不错,1\n", encoding="utf-8")
    return ["evaluate", str(path), "--bootstrap", "100", "--json"]


def _stance(tmp_path: Path) -> list[str]:
    path = tmp_path / "stance.csv"
    path.write_text("text,stance\n坚决支持AI演员,support\n反对用AI替代演员,oppose\n", encoding="utf-8")
    return ["evaluate-stance", str(path), "--bootstrap", "100", "--json"]


def _adapt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """adapt's training is tested in test_adapt.py; here only what the command prints of its result."""
    from analysis.nlp import adapt as adapt_module

    result = {"model": "m-iqiyi-nadou", "version": "1", "n_labels": 30, "cv_macro_f1_adapted": 0.6,
              "cv_macro_f1_adapted_ci95": [0.5, 0.7], "cv_macro_f1_gain_ci95": [-0.1, 0.1], "verdict": "no clear difference",
              "evaluation_rows": [1, 2]}
    monkeypatch.setattr(adapt_module, "adapt", lambda *a, **k: result)
    return ["adapt", "--tracker", "iqiyi-nadou", "--json"]


def _event_study(tmp_path: Path) -> list[str]:
    days = pd.bdate_range(end="2026-05-29", periods=200).date
    rng = np.random.default_rng(7)
    index = 10 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
    stock = index * np.exp(rng.normal(0, 0.005, len(days)))
    frame = pd.DataFrame({"date": list(days) * 2, "ticker": ["STK"] * len(days) + ["IDX"] * len(days),
                          "close": np.concatenate([stock, index])})
    frame.to_csv(tmp_path / "prices.csv", index=False)
    return ["event-study", "--tracker", "iqiyi-nadou", "--ticker", "STK", "--benchmark", "IDX",
            "--prices", str(tmp_path / "prices.csv"), "--json"]


def _collect(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One hot-search snapshot from a fixture (the collection itself is tested in test_collect_cli.py)."""
    import httpx

    from collectors import collect_cli
    from collectors.http import make_client

    body = (Path(__file__).parent / "fixtures" / "weibo" / "hot_search_20260420T0930Z.json").read_bytes()
    reply = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    monkeypatch.setattr(collect_cli, "make_client", lambda **kw: make_client(transport=reply))
    return ["collect", "weibo-hot", "--tracker", "iqiyi-nadou", "--min-interval", "0", "--json"]


JSON_RUNS: dict[tuple[str, ...], Callable[..., list[str]]] = {
    ("collect",): _collect,
    ("store", "stats"): lambda tmp_path: ["store", "stats", "--json"],
    ("labels", "agreement"): lambda tmp_path: ["labels", "agreement", "--tracker", "iqiyi-nadou", "--json"],
    ("evaluate",): _labelled,
    ("evaluate-stance",): _stance,
    ("adapt",): _adapt,
    ("event-study",): _event_study,
    ("alerts", "run"): lambda tmp_path: ["alerts", "run", "--dry-run", "--as-of", "2026-04-21", "--json"],
}


def test_every_json_command_is_run_here() -> None:
    """A new --json option needs a run below, so its output is held to the contract too."""
    assert sorted(JSON_RUNS) == WITH_JSON


@pytest.mark.parametrize("path", WITH_JSON, ids=" ".join)
def test_json_prints_exactly_one_strict_json_object(path: tuple[str, ...], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    build = JSON_RUNS[path]
    args = build(tmp_path, monkeypatch) if build.__code__.co_argcount == 2 else build(tmp_path)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, f"{' '.join(path)} --json printed {len(lines)} lines on stdout"
    assert isinstance(_strict(lines[-1]), dict)


def _run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["actorwatch", *args])
    monkeypatch.delenv("ACTORWATCH_DEBUG", raising=False)
    with pytest.raises(SystemExit) as stopped:
        main()
    out, err = capsys.readouterr()
    return int(stopped.value.code or 0), out, err


def _files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "notes.txt").write_text("hello\n", encoding="utf-8")
    (tmp_path / "bad.toml").write_text("[[[", encoding="utf-8")
    (tmp_path / "prices.csv").write_text("date,ticker,close\n2026-01-01,A,notanumber\n", encoding="utf-8")
    (tmp_path / "labels.csv").write_text("not,a,labels,file\n1,2,3,4\n", encoding="utf-8")
    (tmp_path / "rejected.jsonl").write_text(json.dumps({  # its only row has no text
        "source": "weibo", "id": "1", "kind": "post", "text": "", "published_at": "2026-04-20T10:00:00+08:00",
        "collected_at": "2026-04-21T00:00:00Z"}) + "\n", encoding="utf-8")
    return {p.stem: p for p in tmp_path.iterdir()}


USER_ERRORS: list[tuple[list[str], str]] = [  # {name} is a file of _files; the fragment names what to do
    (["import", "{missing}"], "does not exist"),
    (["import", "{notes}"], "force one with --format"),
    (["import", "{rejected}"], "fix the lines reported above"),
    (["import", "{notes}", "--tracker", "no-such-tracker"], "known: iqiyi-nadou"),
    (["store", "compact", "--dataset", "no-such-dataset"], "no dataset 'no-such-dataset'"),
    (["export", "--tracker", "no-such-tracker", "--out", "{out}"], "known: iqiyi-nadou"),
    (["brief", "--tracker", "iqiyi-nadou", "--week", "last", "--out", "{out}.html"], "2026-W17"),
    (["event-study", "--tracker", "iqiyi-nadou", "--json"], "--prices FILE"),
    (["event-study", "--tracker", "iqiyi-nadou", "--ticker", "A", "--benchmark", "B", "--prices", "{prices}",
      "--json"], "close"),
    (["alerts", "check", "--config", "{bad}"], "not valid TOML"),
    (["alerts", "run", "--dry-run", "--config", "{missing}"], "copy data/alerts.toml"),
    (["labels", "import", "{missing}", "--tracker", "iqiyi-nadou"], "no such file"),
    (["labels", "import", "{labels}", "--tracker", "iqiyi-nadou"], "need a header with text"),
    (["labels", "agreement", "--tracker", "no-such-tracker", "--json"], "known: iqiyi-nadou"),
    (["evaluate", "{labels}", "--json"], "need a header with text,label"),
    (["adapt", "--tracker", "iqiyi-nadou", "--json"], "label more"),
    (["import-bundle", "{out}"], "not an actorwatch export bundle"),
    (["collect", "no-such-source", "--tracker", "iqiyi-nadou"], "known: weibo"),
    (["recheck", "--tracker", "no-such-tracker"], "known: iqiyi-nadou"),
    (["chart", "no-such-chart"], "actorwatch chart --list"),
    (["enrich", "--model", "no-such-model"], "choose one of"),
]


@pytest.mark.parametrize(("args", "says"), USER_ERRORS, ids=[" ".join(a[:2]) + f" ({s})" for a, s in USER_ERRORS])
def test_a_user_error_is_one_clear_line_on_stderr_and_no_traceback(args: list[str], says: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    files = {**_files(tmp_path), "missing": tmp_path / "missing.csv", "out": tmp_path / "out"}
    (tmp_path / "out").mkdir()
    code, out, err = _run_main(monkeypatch, capsys, [a.format(**{k: str(v) for k, v in files.items()}) for a in args])
    assert code in (1, 2), (code, out, err)
    assert "Traceback" not in err + out and says in err, err
    if code == 1:  # one `error:` line last, as the root --help says (a usage error is click's own "Error:" block)
        assert err.strip().splitlines()[-1].startswith("error: "), err
    assert not out.strip() or not out.lstrip().startswith("{"), "an error printed JSON on stdout"


def test_an_undefined_figure_is_null_in_json_not_nan(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only event-study turned an undefined figure (NaN) into null; adapt, evaluate and labels agreement printed
    Python's NaN, which jq, JavaScript and Go refuse. Every --json now goes through one writer that makes it null."""
    from analysis.nlp import adapt as adapt_module

    result = {"model": "m", "cv_macro_f1_gain": float("nan"), "cv_macro_f1_gain_ci95": [float("nan"), float("inf")],
              "per_class": {"neutral": {"f1": float("nan")}}}
    monkeypatch.setattr(adapt_module, "adapt", lambda *a, **k: result)
    printed = CliRunner().invoke(cli, ["adapt", "--tracker", "iqiyi-nadou", "--json"])
    assert printed.exit_code == 0, printed.output
    assert _strict(printed.stdout) == {"model": "m", "cv_macro_f1_gain": None, "cv_macro_f1_gain_ci95": [None, None],
                                       "per_class": {"neutral": {"f1": None}}}
