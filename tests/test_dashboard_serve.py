"""`actorwatch dashboard`: the server command warms every page before Streamlit serves (unless --no-warm)."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from dashboard import app_cli, warm


def _command_of(monkeypatch: pytest.MonkeyPatch, *args: str) -> list[str]:
    calls: list[list[str]] = []
    monkeypatch.setattr(app_cli.subprocess, "call", lambda cmd: calls.append(cmd) or 0)
    monkeypatch.setattr(app_cli.os, "execv", lambda path, cmd: calls.append(cmd) or sys.exit(0))
    result = CliRunner().invoke(app_cli.dashboard_cmd, list(args))
    assert result.exit_code == 0, result.output
    return calls[0]


def test_the_server_command_warms_first_and_keeps_its_streamlit_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    cmd = _command_of(monkeypatch, "--port", "8600")
    assert cmd[1:3] == ["-m", "dashboard.warm"] and "--no-warm" not in cmd
    flags = dict(zip(cmd[3::2], cmd[4::2], strict=True))
    assert flags["--server.port"] == "8600" and flags["--server.fileWatcherType"] == "none"
    assert flags["--runner.postScriptGC"] == "false"
    # Streamlit's table toolbar would download post text unescaped (a formula in a spreadsheet): off from the first run
    assert flags["--client.disableDataExport"] == "true"
    assert "--no-warm" in _command_of(monkeypatch, "--no-warm")


@pytest.mark.parametrize("warm_first", [True, False])
def test_warm_main_warms_then_runs_streamlit_on_the_app(monkeypatch: pytest.MonkeyPatch, warm_first: bool) -> None:
    from streamlit.web import cli as streamlit_cli

    events: list[str] = []
    monkeypatch.setattr(warm, "warm_pages", lambda report=None: events.append("warm") or {})
    monkeypatch.setattr(streamlit_cli, "main", lambda: events.append(f"serve {' '.join(sys.argv[1:])}"))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    warm.main([*([] if warm_first else ["--no-warm"]), "--server.port", "8600"])
    serve = f"serve run {warm.APP} --server.port 8600"
    assert events == (["warm", serve] if warm_first else [serve])


def test_on_posix_the_server_replaces_the_command_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The launcher's imports must not stay resident beside the server (they were ~230 MB at 1M records)."""
    execs: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(app_cli.os, "name", "posix")
    monkeypatch.setattr(app_cli.os, "execv", lambda path, cmd: execs.append((path, cmd)) or sys.exit(0))
    monkeypatch.setattr(app_cli.subprocess, "call", lambda cmd: pytest.fail("spawned a child instead of exec"))
    assert CliRunner().invoke(app_cli.dashboard_cmd, []).exit_code == 0
    assert execs and execs[0][0] == sys.executable and execs[0][1][0] == sys.executable


def test_serving_an_empty_store_says_how_to_fill_it(monkeypatch: pytest.MonkeyPatch, isolated_data_dir,
                                                   make_record) -> None:
    """A fresh `pip install` then `actorwatch dashboard` served empty pages with no word of `actorwatch demo`."""
    calls: list[list[str]] = []
    monkeypatch.setattr(app_cli.os, "execv", lambda path, cmd: calls.append(cmd) or sys.exit(0))
    empty = CliRunner().invoke(app_cli.dashboard_cmd, [])
    assert empty.exit_code == 0 and calls, empty.output
    assert "no records" in empty.output and "actorwatch demo" in empty.output and str(isolated_data_dir) in empty.output

    from collectors.store import Store

    Store().add_records([make_record()])
    filled = CliRunner().invoke(app_cli.dashboard_cmd, [])
    assert filled.exit_code == 0 and "actorwatch demo" not in filled.output


@pytest.mark.parametrize("port", ["99999", "-1", "0"])
def test_a_port_out_of_range_is_a_usage_error_not_a_server_traceback(monkeypatch: pytest.MonkeyPatch,
                                                                      port: str) -> None:
    """`--port 99999` started the server, which then died on an OverflowError traceback after warming every page."""
    calls: list[list[str]] = []
    monkeypatch.setattr(app_cli.subprocess, "call", lambda cmd: calls.append(cmd) or 0)
    monkeypatch.setattr(app_cli.os, "execv", lambda path, cmd: calls.append(cmd) or sys.exit(0))
    result = CliRunner().invoke(app_cli.dashboard_cmd, ["--port", port])
    assert result.exit_code == 2 and "--port" in result.output and "Traceback" not in result.output
    assert calls == []
