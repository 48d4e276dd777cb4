"""The root `actorwatch` command, assembled from each layer's command list (imports point downward)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import duckdb

from collectors.cli import commands as collector_commands
from collectors.display_zone import ENV as ZONE_ENV
from collectors.display_zone import ZoneError, validate_zone
from collectors.store import removed_while_read

EXPECTED_ERRORS: tuple[type[BaseException], ...] = (OSError, ValueError, RuntimeError)
# a store file DuckDB cannot read (cut short, not Parquet): bad data, not a bug (a bad query still shows its traceback)
STORE_FILE_ERRORS: tuple[type[BaseException], ...] = (duckdb.IOException, duckdb.InvalidInputException)


def _check_zone(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    try:
        return validate_zone(value.strip())
    except ZoneError as exc:
        raise click.BadParameter(str(exc)) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog="Exit status: 0 success (rows an import or collect rejects are reported, the rest kept); 1 an "
                    "error (one `error:` line; ACTORWATCH_DEBUG=1 for a traceback), also when every row of an "
                    "import or item of a collect is rejected; "
                    "2 a usage error (a bad option or argument); 3 a collect or recheck stopped by the source (a "
                    "refusal or the network failing; re-run to resume); 130 interrupted.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="ACTORWATCH_DATA",
              help="Where the store, raw archive and secrets live (default: the repository's data/; installed "
                   "from a wheel, $XDG_DATA_HOME/actorwatch or ~/.local/share/actorwatch; env ACTORWATCH_DATA).")
@click.option("--tz", "tz", envvar=ZONE_ENV, metavar="ZONE", callback=_check_zone,
              help="Display time zone, an IANA name (e.g. Asia/Shanghai): days of charts, filters, exports and briefs "
                   "are this zone's calendar days (default: UTC; env ACTORWATCH_TZ). Stored times stay UTC.")
@click.version_option(package_name="actorwatch")
def cli(data_dir: Path | None, tz: str | None) -> None:
    """actorwatch: public sentiment and industry impact around AI actors."""
    if data_dir:
        os.environ["ACTORWATCH_DATA"] = str(data_dir)
    if tz:  # read by every layer (and the dashboard's subprocess) through collectors.display_zone
        os.environ[ZONE_ENV] = tz


def _add_layer_commands() -> None:
    from analysis.nlp.nlp_cli import commands as nlp_commands
    from analysis.reports.reports_cli import commands as report_commands
    from dashboard.app_cli import commands as app_commands

    for command in [*collector_commands, *nlp_commands, *report_commands, *app_commands]:
        cli.add_command(command)


_add_layer_commands()


_INTERRUPTED = "interrupted: re-run the same command to resume (writes are atomic and idempotent)"


def main() -> None:
    """Entry point: known errors become one clear line and exit status 1 (ACTORWATCH_DEBUG=1 for a traceback)."""
    try:
        # standalone_mode=False returns ctx.exit()'s code instead of raising it
        code = cli.main(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except click.exceptions.Abort as exc:
        # click turns a Ctrl-C inside a command into Abort: say how to resume, as for one outside it (a subclass,
        # such as enrich's EnrichInterrupted, has already said what was kept and how to resume)
        click.echo(_INTERRUPTED if type(exc.__context__) is KeyboardInterrupt else "aborted", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        exc.show()  # the usage line, how to get help, and what was wrong
        sys.exit(exc.exit_code)
    except click.ClickException as exc:  # one `error:` line, as for every other expected error
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo(_INTERRUPTED, err=True)
        sys.exit(130)
    except (*EXPECTED_ERRORS, *STORE_FILE_ERRORS) as exc:
        if os.environ.get("ACTORWATCH_DEBUG"):
            raise
        click.echo(f"error: {_one_line(exc)}", err=True)
        sys.exit(1)


def _one_line(exc: BaseException) -> str:
    if not isinstance(exc, STORE_FILE_ERRORS):
        return str(exc)
    first = str(exc).splitlines()[0]  # DuckDB goes on with the query text and a caret line
    if removed_while_read(exc):
        return first + (": it was removed while this command read the store (a `store compact` at the same time "
                        "replaces files): run the command again")
    hint = (": a damaged store file; move it out of the store (or restore it from a backup, or re-import its source) "
            "and re-run") if ".parquet" in first else ""
    return first + hint
