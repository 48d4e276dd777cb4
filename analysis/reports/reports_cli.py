"""Commands of the reports side of the analysis layer (export, alerts, brief)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click


def _parse_date(_ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param=param) from None


def _scored_version(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A --model-version the store has scores of: a mistyped one would give an export, brief or alerts without
    sentiment."""
    if value is None:
        return None
    from analysis.core.scores import SCORES
    from analysis.core.tables import has_table
    from collectors.store import Store

    with Store().connect(only=[SCORES]) as con:
        known = ([v for (v,) in con.execute(f"SELECT DISTINCT model_version FROM {SCORES} ORDER BY 1").fetchall()]
                 if has_table(con, SCORES) else [])
    if value not in known:
        raise click.BadParameter(f"{value!r}: the store has no scores of this model version (scored: "
                                 f"{', '.join(known) or 'none yet: run `actorwatch enrich`'})", param=param)
    return value


@click.group()
def alerts() -> None:
    """Backlash alerts: volume spikes, negative-share jumps, new statements from watched entities."""


@alerts.command("run")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Alerts TOML (default: <data dir>/alerts.toml, else the shipped example data/alerts.toml).")
@click.option("--dry-run", is_flag=True, help="Evaluate and print what would fire; send and remember nothing.")
@click.option("--as-of", callback=_parse_date, help="Evaluate as if today were this day (YYYY-MM-DD; default: today in the display time zone, $ACTORWATCH_TZ, UTC unless set).")
@click.option("--model-version", callback=_scored_version, help="Sentiment model version for negative-share rules (default: as on the dashboard, each rule's tracker's "
                   "adapted model if it has scored, else the latest scored general model).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: alerts (each as delivered), delivered "
              "(per channel), failures, skipped_cooldown, not_judged, silent (sources not collected lately), dropped, dry_run; "
              "the exit status is as without.")
def alerts_run(config_path: Path | None, dry_run: bool, as_of: date | None, model_version: str | None,
               as_json: bool) -> None:
    """Evaluate every rule and deliver new alerts (webhook, email, Atom file); failed deliveries retry next run."""
    from analysis.reports.alerts.config import AlertConfigError, load_config
    from analysis.reports.alerts.run import run_alerts
    from collectors.cli_output import echo_json

    try:
        config = load_config(config_path)
        report = run_alerts(config, as_of=as_of, dry_run=dry_run, model_version=model_version)
    except (AlertConfigError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        echo_json(report.to_json() | {"dry_run": dry_run})
    else:
        for line in report.lines():
            click.echo(line)
        if dry_run:
            click.echo("dry run: nothing sent, state unchanged")
    if report.failures:
        raise click.ClickException(f"{len(report.failures)} delivery failure(s); they will be retried on the next run")


@alerts.command("check")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Alerts TOML to validate (default: <data dir>/alerts.toml, else the shipped example data/alerts.toml).")
def alerts_check(config_path: Path | None) -> None:
    """Validate an alerts file and list its rules with defaults applied."""
    from analysis.reports.alerts.config import AlertConfigError, load_config
    from analysis.reports.alerts.run import check_rules

    try:
        config = load_config(config_path)
        check_rules(config)
    except (AlertConfigError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    for rule in config.effective_rules():
        click.echo(f"{rule.id}: {rule.kind} on {rule.tracker}{' / ' + rule.entity if rule.entity else ''}, "
                   f"{rule.sensitivity}, cooldown {rule.cooldown_hours:g} h, last {rule.lookback_days} day(s) → "
                   f"{', '.join(rule.channels)}")


@click.command("export")
@click.option("--tracker", "tracker_id", required=True, help="Tracker id (see data/trackers.toml).")
@click.option("--from", "start", callback=_parse_date, help="First day, in the display time zone (YYYY-MM-DD; default: no limit).")
@click.option("--to", "end", callback=_parse_date, help="Last day, inclusive (default: no limit).")
@click.option("--source", "sources", multiple=True, help="Only these sources (repeatable; default: all).")
@click.option("--lang", "langs", multiple=True, help="Only these languages (repeatable; default: all).")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write records.<format> and manifest.json into.")
@click.option("--model-version", callback=_scored_version, help="Sentiment model version to include (default: as on the dashboard, the tracker's adapted model if it "
                   "has scored, else the latest scored general model).")
def export_cmd(tracker_id: str, start: date | None, end: date | None, sources: tuple[str, ...],
               langs: tuple[str, ...], fmt: str, out_dir: Path, model_version: str | None) -> None:
    """Export records (ordinary users pseudonymised) with scores, annotations and a manifest.json."""
    from analysis.core.filters import Filters
    from analysis.reports.export import export_bundle
    from collectors.store import Store
    from collectors.trackers import TrackerFileError, get_tracker

    if start and end and start > end:
        raise click.BadParameter(f"--from {start} is after --to {end}", param_hint="--from/--to")
    try:
        tracker = get_tracker(tracker_id)
    except TrackerFileError as exc:
        raise click.ClickException(str(exc)) from None
    f = Filters(tracker.id, start, end, tuple(sources), tuple(langs))
    store = Store()
    result = export_bundle(store, tracker, f, out_dir, fmt, model_version)
    model = result.manifest["model"]
    click.echo(f"wrote {result.records:,} records to {result.data_file} and {out_dir / 'manifest.json'} "
               f"(model: {' '.join(v for v in (model['name'] or 'none', model['version']) if v)}; ordinary users "
               "pseudonymised)")
    if not result.records:  # an empty store, a mistyped --source or --lang, a window too early: not "no data"
        held = _held(store, tracker.id)
        click.echo(f"note: no record of {tracker.id} matched; it has {held}" if held else
                   f"note: the store holds no records of {tracker.id}: bring some in with `actorwatch import PATH "
                   f"--tracker {tracker.id}` or `actorwatch collect SOURCE --tracker {tracker.id}`", err=True)


def _held(store, tracker_id: str) -> str | None:
    """The tracker's record counts by source and by language, in words (what --source and --lang can pick); None
    when the store holds none of its records."""
    from analysis.core.annotations import ANNOTATIONS
    from analysis.nlp.read_lang import use_read_langs

    if not store.files("records"):
        return None
    with store.connect(only=["records", ANNOTATIONS]) as con:
        use_read_langs(con)  # the languages --lang selects: as each record is read
        rows = con.execute("SELECT source, lang, count(*) FROM records WHERE list_contains(trackers, ?) GROUP BY ALL",
                           [tracker_id]).fetchall()
    by_source: dict[str, int] = {}
    by_lang: dict[str, int] = {}
    for source, lang, n in rows:
        by_source[source] = by_source.get(source, 0) + n
        by_lang[lang or "(none recorded)"] = by_lang.get(lang or "(none recorded)", 0) + n
    if not by_source:
        return None

    def words(counts: dict[str, int]) -> str:
        return ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))  # ties by name: the same words every run

    return f"sources: {words(by_source)}; languages: {words(by_lang)}"


@click.command("import-bundle")
@click.argument("bundle", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_bundle_cmd(bundle: Path) -> None:
    """Import an `actorwatch export` bundle (records + scores + annotations) into the store."""
    from analysis.reports.export import BundleError, import_bundle
    from collectors.cli_output import prepare_writes
    from collectors.store import Store

    store = Store()
    prepare_writes(store)
    try:
        result = import_bundle(bundle, store)
    except BundleError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"imported {bundle} into {store.root}: {result.line()}")


@click.command("brief")
@click.option("--tracker", "tracker_id", required=True, help="Tracker id (see data/trackers.toml).")
@click.option("--week", required=True, help="ISO week, e.g. 2026-W17 (Monday to Sunday, days of the display time zone).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="FILE.html (self-contained, interactive charts) or FILE.md (PNG charts beside it if Chromium is present).")
@click.option("--model-version", callback=_scored_version, help="Sentiment model version (default: as on the dashboard, the tracker's adapted model if it has scored, "
                   "else the latest scored general model).")
def brief_cmd(tracker_id: str, week: str, out: Path, model_version: str | None) -> None:
    """Write the weekly brief: volume, sentiment, peaks explained, events, new statements, alerts, methods."""
    from analysis.reports.brief import BriefError, write_brief
    from collectors.store import Store
    from collectors.trackers import TrackerFileError, get_tracker

    try:
        path = write_brief(Store(), get_tracker(tracker_id), week, out, model_version)
    except (BriefError, TrackerFileError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {path}")


@click.command("event-study")
@click.option("--tracker", "tracker_id", required=True, help="Tracker whose dated events to study.")
@click.option("--ticker", help="Stock ticker (default: the tracker's queries.market[0]).")
@click.option("--benchmark", help="Benchmark ticker (default: the tracker's queries.benchmark).")
@click.option("--prices", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV with date,ticker,close (default: the store's market_prices dataset).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: ticker, benchmark, estimation, window, events (a list of per-event "
                   "figures, with the estimation days used and the other events' days left out) and skipped.")
def event_study_cmd(tracker_id: str, ticker: str | None, benchmark: str | None, prices: Path | None,
                    as_json: bool) -> None:
    """Market-model event study: abnormal returns of a ticker around the tracker's events (association only)."""
    from analysis.stats.market import PriceDataError, event_study, prices_from_store, read_prices_csv
    from collectors.cli_output import echo_json
    from collectors.store import Store
    from collectors.trackers import TrackerFileError, get_tracker

    try:
        tracker = get_tracker(tracker_id)
    except TrackerFileError as exc:
        raise click.ClickException(str(exc)) from None
    ticker = ticker or (tracker.queries.market[0] if tracker.queries.market else None)
    benchmark = benchmark or tracker.queries.benchmark or None
    if not ticker or not benchmark:
        raise click.ClickException(f"tracker {tracker.id} names no ticker/benchmark: pass --ticker and --benchmark")
    try:
        if prices:
            frame = read_prices_csv(prices)
        else:
            with Store().connect() as con:
                try:
                    frame = prices_from_store(con, [ticker, benchmark])
                except PriceDataError as exc:  # this command alone also reads a CSV
                    raise PriceDataError(f"{exc}, or pass --prices FILE (a CSV with date,ticker,close)") from None
                missing = [t for t in (ticker, benchmark) if t not in set(frame["ticker"])]
                if missing:  # name what the store does hold (the frame above holds only the two asked for)
                    stored = sorted(set(prices_from_store(con)["ticker"]))
                    raise PriceDataError(f"no prices for {', '.join(map(repr, missing))} in the store (it has: "
                                         f"{', '.join(stored)}): collect them (`actorwatch collect market`), import "
                                         "a price CSV, or pass --ticker/--benchmark")
        result = event_study(frame, ticker, benchmark, sorted({e.date for e in tracker.events}))
    except PriceDataError as exc:
        raise click.ClickException(str(exc)) from None
    summary = result.summary()
    if as_json:  # an undefined figure (NaN: a flat price series) is null
        echo_json({"ticker": ticker, "benchmark": benchmark, "estimation": list(result.estimation),
                   "window": list(result.window), "events": summary.to_dict(orient="records"),
                   "skipped": [{"date": when, "reason": reason} for when, reason in result.skipped]})
    else:
        click.echo(f"{ticker} against {benchmark}, market model on trading days {result.estimation}, "
                   f"window {result.window}:")
        wanted = result.estimation[1] - result.estimation[0] + 1
        for row in summary.itertuples(index=False):
            click.echo(f"  {row.event_date}: beta {row.beta:.2f}, CAR {row.car:+.2%} (t = {row.car_t:.2f}); fitted on "
                       f"{row.n_estimation} trading days {row.estimation_from} to {row.estimation_to}"
                       + (f" ({row.estimation_short_by} fewer than the {wanted} asked for: the prices start too late)"
                          if row.estimation_short_by else "")
                       + (f", leaving out other events' windows {row.excluded}" if row.n_excluded else ""))
        click.echo("Abnormal returns on an event's dates are associations, not proof the event moved the price.")
    for when, reason in result.skipped:
        click.echo(f"skipped {when}: {reason}", err=True)


commands: list[click.Command] = [alerts, export_cmd, import_bundle_cmd, brief_cmd, event_study_cmd]
