"""What README.md and docs/ say about the command line and files holds: every `actorwatch …` command and flag they
name exists, every ACTORWATCH_* variable they name is read by the code, and the column lists they quote are the
code's."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from dashboard.cli import cli

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
CODE_DIRS = ("collectors", "analysis", "dashboard", "notebooks")
# a command line in inline code or alone on a line of a code block
COMMAND = re.compile(r"`([^`]*\bactorwatch [^`]*)`|^\s*(actorwatch [^#\n]*)")
FLAG = re.compile(r"^--?[a-zA-Z][\w-]*")


def _invocations() -> list[tuple[str, int, str]]:
    found = []
    for path in DOCS:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in COMMAND.finditer(line):
                snippet = match.group(1) or match.group(2)
                found.append((path.name, n, snippet[snippet.index("actorwatch ") + len("actorwatch "):]))
    return found


def _resolve(words: list[str]) -> tuple[click.Command, list[str], list[str]]:
    """The command named by the leading words, the names taken, and the words left."""
    command: click.Command = cli
    names: list[str] = []
    rest = list(words)
    while rest and isinstance(command, click.Group) and rest[0] in command.commands:
        command = command.commands[rest.pop(0)]
        names.append(command.name or "")
    return command, names, rest


def _flags(command: click.Command) -> set[str]:
    flags = {"-h", "--help"}
    for param in command.params:
        flags.update(param.opts)
        flags.update(param.secondary_opts)
    return flags


def test_docs_name_commands():
    assert len(_invocations()) > 40  # the pattern finds the documented commands


@pytest.mark.parametrize(("doc", "line", "text"), _invocations())
def test_every_documented_command_and_flag_exists(doc, line, text):
    words = text.replace("[", " ").replace("]", " ").replace("|", " ").split()
    command, names, rest = _resolve(words)
    if not names:  # prose such as "actorwatch follows …"; a command in code is checked below
        return
    if isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        for sub in rest[0].split("/"):  # `labels import/annotate/prelabel` names three
            assert sub in command.commands, f"{doc}:{line}: `actorwatch {' '.join(names)}` has no {sub!r}"
    known = _flags(command)
    for word in rest:
        flag = FLAG.match(word)
        if flag and not word.startswith("---"):
            assert flag.group(0) in known, f"{doc}:{line}: `actorwatch {' '.join(names)}` has no option {flag.group(0)}"


def test_every_command_in_code_exists():
    for doc in DOCS:
        for name in re.findall(r"`actorwatch ([a-z][a-z-]*)", doc.read_text(encoding="utf-8")):
            assert name in cli.commands, f"{doc.name} names `actorwatch {name}`, which does not exist"


def test_documented_environment_variables_are_read_by_the_code():
    code = "\n".join(p.read_text(encoding="utf-8") for d in CODE_DIRS for p in (REPO / d).rglob("*.py"))
    for doc in DOCS:
        for name in sorted(set(re.findall(r"ACTORWATCH_[A-Z_]+[A-Z]", doc.read_text(encoding="utf-8")))):
            assert name in code, f"{doc.name} names ${name}, which no code reads"


def test_readme_quotes_the_labels_export_columns():
    from analysis.nlp.labels_io import EXPORT_COLUMNS

    assert f"`{','.join(EXPORT_COLUMNS)}`" in (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_names_the_export_manifest_keys_it_lists(tmp_path):
    from analysis.reports import export

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `actorwatch export "))
    assert "`store` signature" in row and "`emotion`" in row and "`stance`" in row
    assert '"store": {"signature"' in Path(export.__file__).read_text(encoding="utf-8")
    assert "emotion" in export.ANNOTATION_COLUMNS and "stance" in export.ANNOTATION_COLUMNS


def test_help_of_labels_export_names_its_columns():
    from analysis.nlp.labels_io import EXPORT_COLUMNS

    help_text = " ".join(cli.commands["labels"].commands["export"].help.split())
    assert ",".join(EXPORT_COLUMNS) in help_text


def test_help_of_chart_option_says_bad_options_are_errors():
    option = next(p for p in cli.commands["chart"].params if p.name == "options")
    assert "is an error" in option.help


def test_every_dataset_the_architecture_says_is_read_is_named_by_analysis_or_dashboard_code():
    code = "\n".join(p.read_text(encoding="utf-8") for d in ("analysis", "dashboard") for p in (REPO / d).rglob("*.py"))
    table = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8").split("## Where each dataset")[1]
    rows = re.findall(r"^\| `([a-z_]+)` \|[^|]*\|([^|]*)\|", table, flags=re.MULTILINE)
    assert len(rows) >= 8
    for name, readers in rows:
        if "no page or analysis" not in readers:
            assert name in code, f"docs/architecture.md: {name} is read by {readers.strip()!r}, but no code names it"


def test_readme_lists_every_shipped_model_and_each_has_a_card():
    row = next(line for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines()
               if line.startswith("| `data/models/` |"))
    shipped = sorted(p.name for p in (REPO / "data" / "models").iterdir() if p.is_dir())
    assert shipped and sorted(re.findall(r"`([a-z0-9-]+)`", row)) == shipped
    assert all((REPO / "data" / "models" / name / "card.json").is_file() for name in shipped)


def test_help_of_recheck_names_every_status_it_records():
    from collectors.visibility import STATUSES

    first_line = cli.commands["recheck"].help.splitlines()[0]
    for status in STATUSES:
        wording = status.replace("_", " ")
        assert wording in first_line, f"`actorwatch recheck --help` does not name the status {status!r}"


def test_every_environment_variable_the_code_reads_is_documented():
    """A setting only the code knows of is one a user cannot find: each ACTORWATCH_* variable read by the package
    is named in README.md, docs/ or the shipped alerts example (the notebooks name their own in their headers)."""
    code = "\n".join(p.read_text(encoding="utf-8") for d in ("collectors", "analysis", "dashboard")
                     for p in (REPO / d).rglob("*.py"))
    documented = "\n".join(p.read_text(encoding="utf-8") for p in [*DOCS, REPO / "data" / "alerts.toml"])
    read = set(re.findall(r"ACTORWATCH_[A-Z_]*[A-Z]", code)) - {"ACTORWATCH_LLM"}  # the prefix of ACTORWATCH_LLM_*
    missing = sorted(name for name in read if name not in documented)
    assert not missing, f"read by the code but documented nowhere: {missing}"
    notebooks = [p.read_text(encoding="utf-8") for p in (REPO / "notebooks").glob("*.py")]
    for text in notebooks:
        for name in set(re.findall(r"environ\.get\(\"(ACTORWATCH_[A-Z_]+)\"", text)):
            comments = "\n".join(line for line in text.splitlines() if line.startswith("#"))
            assert name in comments or name in documented, f"a notebook reads ${name} without saying so"


def test_every_manifest_field_the_readme_names_is_in_an_exported_manifest(tmp_path, data_dir, make_record):
    import json
    from datetime import UTC, datetime

    from click.testing import CliRunner

    from collectors.store import Store

    Store(data_dir).add_records([make_record(trackers=["iqiyi-nadou"], text="=1+2 爱奇艺",
                                             published_at=datetime(2026, 4, 20, 8, tzinfo=UTC))])
    result = CliRunner().invoke(cli, ["export", "--tracker", "iqiyi-nadou", "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text(encoding="utf-8"))
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `actorwatch export "))
    listed = row.split("`manifest.json` (", 1)[1].split("; `actorwatch import-bundle", 1)[0]
    named = re.findall(r"`([a-z_]+)`", listed)
    named += re.findall(r"export manifests \(([^)]*)\)", readme)[0].replace("`", "").replace(" ", "").split(",")
    assert {"figures", "spreadsheet_safety", "days_time_zone", "time_zone"} <= set(named)
    for name in named:
        assert name in manifest, f"README names the manifest field {name!r}; an exported manifest has none"
    for path in re.findall(r"`manifest\.json` → `([a-z_.]+)`", readme):
        node = manifest
        for key in path.split("."):
            assert key in node, f"README names manifest.json → {path}; an exported manifest has no {key!r}"
            node = node[key]
    assert manifest["spreadsheet_safety"] and manifest["days_time_zone"] == "UTC"


@pytest.mark.parametrize("path", [["collect"], ["recheck"], []])
def test_help_states_the_exit_statuses_a_script_tests(path):
    """A cron job or Makefile tells "stopped, resume later" (3) from an error (1) and a usage error (2); the README
    promises status 3 when a source refuses, but no --help said so."""
    from click.testing import CliRunner

    help_text = " ".join(CliRunner().invoke(cli, [*path, "--help"]).output.split())
    assert "Exit status: 0 " in help_text and "; 1 an error" in help_text and "; 2 a usage error" in help_text
    assert re.search(r"; 3 [^;]*stopped by the source", help_text)


@pytest.mark.parametrize("path, option", [(["alerts", "check"], "config_path"), (["chart"], "end"),
                                          (["chart"], "sources"), (["chart"], "langs"), (["store", "compact"], "dataset")])
def test_help_states_what_an_omitted_option_means(path, option):
    """`alerts check` without --config reads <data dir>/alerts.toml (else the shipped example), `chart` without --to
    ends at the tracker's window, without --source/--lang takes all; their help said none of it."""
    command = cli
    for name in path:
        command = command.commands[name]
    param = next(p for p in command.params if p.name == option)
    assert "default" in (param.help or "").lower() or param.show_default
