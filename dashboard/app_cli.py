"""Commands of the dashboard layer: demo (build the demo store) and dashboard (serve)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click


@click.command()
@click.option("--records", type=click.IntRange(min=100), default=None,
              help="How many synthetic records (default 24,000; use e.g. 1000000 for benchmarks).")
@click.option("--seed", type=int, default=None, help="Generator seed (default: fixed, so the demo is reproducible).")
@click.option("--force", is_flag=True, help="Rebuild even if the store already holds demo data.")
@click.option("--no-enrich", is_flag=True, help="Skip scoring (sentiment etc.); the Overview then has no sentiment.")
def demo(records: int | None, seed: int | None, force: bool, no_enrich: bool) -> None:
    """Build the demo store: SYNTHETIC records for every tracker, then score them."""
    from analysis.nlp.demo_store import build_demo_store

    summary = build_demo_store(records=records, seed=seed, force=force, enrich=not no_enrich)
    click.echo(summary, err=True)


@click.command("dashboard")
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--headless/--open-browser", default=True, show_default=True)
@click.option("--watch/--no-watch", default=False, show_default=True,
              help="Reload when a source file changes (for development).")
@click.option("--warm/--no-warm", default=True, show_default=True,
              help="Open every page once (default filters) before accepting readers, so first readers find its "
                   "data computed and its charts drawn.")
def dashboard_cmd(port: int, host: str, headless: bool, watch: bool, warm: bool) -> None:
    """Serve the dashboard (Streamlit) on http://HOST:PORT."""
    # Streamlit's file watcher, after every page run, resolves the path of every imported module and polls them
    # (no watchdog installed): about a quarter of the server's CPU with eight readers, for a reload readers never need.
    # Its forced full garbage collection after every run stops every session's thread while it walks the heap
    # (models, dictionaries, cached frames); Python's own collector still runs as allocations require.
    # dashboard.warm runs `streamlit run` in its own process after warming, so the server starts with warm caches.
    # No table offers Streamlit's own CSV download or copy: it writes post text unescaped (see dashboard/app.py).
    _say_if_the_store_is_empty()
    cmd = [sys.executable, "-m", "dashboard.warm", *([] if warm else ["--no-warm"]), "--server.port", str(port),
           "--server.address", host, "--server.headless", "true" if headless else "false",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "auto" if watch else "none",
           "--runner.postScriptGC", "false", "--client.disableDataExport", "true"]
    if os.name == "posix":
        # The server takes this process's place: the command line's own imports (~230 MB) do not stay resident
        # beside it, and signals reach the server directly.
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(cmd[0], cmd)
    raise SystemExit(subprocess.call(cmd))


def _say_if_the_store_is_empty() -> None:
    """Empty pages with no word of why are what a fresh install serves: say how to fill the store."""
    from collectors.store import RECORDS, Store

    store = Store()
    if not store.files(RECORDS):
        click.echo(f"actorwatch: the store in {store.root} holds no records yet, so the pages will be empty: run "
                   "`actorwatch demo` for the demo store (synthetic posts beside the real curated facts and hot-search "
                   "topics), or `actorwatch collect` / `actorwatch import` for real data (see the README).", err=True)


FORMATS = ("html", "png", "csv", "alt", "json")


@click.command("chart")
@click.argument("name", required=False)
@click.option("--list", "list_", is_flag=True, help="List every chart (name, page, what it shows) and exit.")
@click.option("--tracker", help="Tracker id (see data/trackers.toml).")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day (display time zone); default: the tracker's window.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (inclusive); default: the tracker's window.")
@click.option("--source", "sources", multiple=True, help="Only these sources (repeatable; default: all).")
@click.option("--lang", "langs", multiple=True, help="Only these languages (repeatable; default: all).")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE",
              help="A chart option as in its deep link, e.g. with=tilly-norwood, freq=W, window=5; a key the chart "
                   "does not read or a value it does not accept is an error (not the default chart).")
@click.option("--format", "formats", default="html,png,csv", show_default=True,
              help=f"Comma-separated: {', '.join(FORMATS)} (alt = alt text, json = provenance sidecar with the iframe snippet).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True)
@click.option("--plotlyjs", type=click.Choice(["cdn", "inline"]), default="cdn", show_default=True,
              help="HTML: load plotly.js from the CDN with an SRI hash (small file) or inline it (~5 MB, offline).")
@click.option("--base-url", help="Public URL of the dashboard for deep links (default $ACTORWATCH_PUBLIC_URL or localhost).")
def chart_cmd(name: str | None, list_: bool, tracker: str | None, start, end, sources: tuple[str, ...],
              langs: tuple[str, ...], options: tuple[str, ...], formats: str, out_dir: Path, plotlyjs: str,
              base_url: str | None) -> None:
    """Write a dashboard chart as standalone HTML, PNG, CSV (+ alt text, provenance) — same as its Embed panel."""
    from dashboard.charts import registry as chart_registry

    if list_ or not name:
        for chart in chart_registry.all_charts().values():
            missing = chart_registry.missing_modules(chart)
            note = f"  [unavailable: needs {', '.join(missing)}]" if missing else ""
            click.echo(f"{chart.name:<22} {chart.page:<10} {chart.description}{note}")
        if not list_:
            raise click.UsageError("name a chart (see the list above)")
        return
    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    bad = [f for f in wanted if f not in FORMATS]
    if bad:
        raise click.BadParameter(f"unknown format(s) {bad}; use {', '.join(FORMATS)}", param_hint="--format")
    if name not in chart_registry.all_charts():
        raise click.ClickException(f"unknown chart {name!r}: run `actorwatch chart --list`")
    if not tracker:
        raise click.UsageError("--tracker is required")
    if start and end and start > end:
        raise click.BadParameter(f"--from {start:%Y-%m-%d} is after --to {end:%Y-%m-%d}", param_hint="--from/--to")
    package = _build_package(name, tracker, start, end, sources, langs, options)
    from analysis.reports.png import PngUnavailable
    from dashboard.charts.embed import write_package

    try:
        for path in write_package(package, out_dir, wanted, inline=plotlyjs == "inline", base_url=base_url):
            click.echo(str(path))
    except PngUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"snapshot {package.snapshot_id} · alt: {package.alt[:160]}", err=True)


def _build_package(name: str, tracker_id: str, start, end, sources: tuple[str, ...], langs: tuple[str, ...],
                   options: tuple[str, ...]):
    from analysis.core.filters import Filters
    from analysis.nlp.read_lang import use_read_langs
    from collectors.store import Store
    from collectors.trackers import TrackerFileError, get_tracker, public_names
    from dashboard.charts import registry as chart_registry
    from dashboard.model_info import model_summary

    try:
        tracker = get_tracker(tracker_id)
    except TrackerFileError as exc:
        raise click.ClickException(str(exc)) from None
    default = Filters.for_tracker(tracker)
    f = Filters(tracker=tracker.id, start=start.date() if start else default.start, end=end.date() if end else default.end,
                sources=tuple(sources), langs=tuple(langs))
    if f.start > f.end:  # one bound given, the other the tracker's default
        raise click.BadParameter(f"--from {f.start} is after --to {f.end} (the tracker's window is {default.start} to "
                                 f"{default.end})", param_hint="--from/--to")
    pairs = {}
    for item in options:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--option")
        pairs[key] = value
    with Store().connect(public_names=public_names()) as con:
        use_read_langs(con)  # languages as the dashboard's snapshot holds them: as each record is read
        model = model_summary(con, tracker.id)
        view = chart_registry.View(f, model["version"]).with_options(**pairs)
        try:
            return chart_registry.build(name, con, view, model)
        except chart_registry.AnalysisPending as exc:
            raise click.ClickException(f"chart {name}: {exc}") from None
        except (chart_registry.UnknownOption, chart_registry.InvalidOption) as exc:
            raise click.BadParameter(str(exc), param_hint="--option") from None


commands: list[click.Command] = [demo, dashboard_cmd, chart_cmd]
