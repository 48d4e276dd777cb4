"""`actorwatch collect SOURCE`: run any registered live collector for a tracker, resumably, with a per-run summary."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import click

from collectors.base import Collector, CollectorError, Query, RunSummary, run_collection
from collectors.cli_output import basis_counts, echo_json, fail_if_all_rejected, prepare_writes
from collectors.display_zone import display_zone
from collectors.http import make_client
from collectors.secrets import MissingSecret, get_secret, redact_text
from collectors.store import Store
from collectors.trackers import Tracker, TrackerFileError, get_tracker

DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
EXIT_STOPPED = 3  # stopped by the source (blocked/captcha/expired cookie): resumable
EXIT_STATUSES = ("Exit status: 0 done; 1 an error (one line); 2 a usage error; 3 stopped by the source (a refusal: "
                 "blocked, captcha, expired cookie; or the network failing), everything collected so far kept: re-run "
                 "the same command to resume.")


class CollectionStopped(click.ClickException):
    exit_code = EXIT_STOPPED


def _sources() -> dict[str, type[Collector]]:
    from collectors.sources import collectors

    return collectors()


def _list_sources(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value:
        return
    for name, cls in _sources().items():
        click.echo(f"{name:16} {cls.description} (≥ {cls.min_interval:g} s between requests)")
    ctx.exit(0)


def default_window(tracker: Tracker) -> tuple[datetime, datetime]:
    """The tracker's window around its trigger date, as UTC instants: the default --since/--until. Its days are the
    display zone's, the days the dashboard counts as collected (Filters.for_tracker)."""
    zone = display_zone()
    start = datetime.combine(tracker.trigger_date - timedelta(days=tracker.window_days_before), time(), zone)
    end = datetime.combine(tracker.trigger_date + timedelta(days=tracker.window_days_after + 1), time(), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


@click.command("collect", epilog=EXIT_STATUSES)
@click.argument("source")
@click.option("--tracker", "tracker_id", required=True, help="Tracker id (see data/trackers.toml); its queries.<source> are the search terms.")
@click.option("--since", type=click.DateTime(DATE_FORMATS), help="Start (UTC; default: the start of the tracker's window, its first day in the display time zone).")
@click.option("--until", type=click.DateTime(DATE_FORMATS), help="End, exclusive (UTC; default: the end of the tracker's window, its last day in the display time zone).")
@click.option("--max", "max_items", type=click.IntRange(min=1), help="Stop after about N raw items.")
@click.option("--term", "terms", multiple=True,
              help="Use this term instead of the tracker's queries (repeatable; post ids for weibo-comments, "
                   "user:UID or comments:BID for weibo-cn).")
@click.option("--resume/--no-resume", default=True, show_default=True,
              help="Continue from the cursor saved by an earlier run of the same command.")
@click.option("--min-interval", type=click.FloatRange(min=0), metavar="SECONDS",
              help="Seconds between requests (default: the source's polite default; lower values risk a ban).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object on stdout (source, tracker, pages, the counts stored, rejected, errors, "
                   "stopped: why and how to resume, notes: what was out of reach, resumed, time_bases, store, "
                   "exit_status) instead of the summary "
                   "line; the exit status is the same.")
@click.option("--list-sources", is_flag=True, is_eager=True, expose_value=False, callback=_list_sources,
              help="List the sources and exit.")
def collect_cmd(source: str, tracker_id: str, since: datetime | None, until: datetime | None, max_items: int | None,
                terms: tuple[str, ...], resume: bool, min_interval: float | None, as_json: bool) -> None:
    """Collect from a live SOURCE into the store, page by page; a stopped run resumes where it left off.

    Rejected items are reported and the rest stored (exit status 0); when every item is rejected the exit status is 1.
    """
    registry = _sources()
    if source not in registry:
        raise click.BadParameter(f"unknown source {source!r} (known: {', '.join(registry)})", param_hint="SOURCE")
    cls = registry[source]
    try:
        tracker = get_tracker(tracker_id)
        for name in cls.needs_secrets:
            get_secret(name, required=True)
    except (TrackerFileError, MissingSecret) as exc:
        raise click.ClickException(str(exc)) from None
    window = default_window(tracker)
    start = (since.replace(tzinfo=UTC) if since else window[0])
    end = (until.replace(tzinfo=UTC) if until else window[1])
    if end <= start:
        raise click.ClickException(f"--until ({end:%Y-%m-%d %H:%M}) must be after --since ({start:%Y-%m-%d %H:%M})")

    store = Store()
    prepare_writes(store)
    with make_client() as client:
        collector = cls(client)
        if min_interval is not None:
            collector.limiter.min_interval = min_interval
        chosen = tuple(terms) or collector.queries_for(tracker)
        if not chosen and cls.needs_terms and not cls.terms_from_tracker:
            raise click.ClickException(f"no search terms: {source} takes its terms from --term only ({cls.description})")
        if not chosen and cls.needs_terms:
            raise click.ClickException(f"no search terms: tracker {tracker.id!r} has no queries.{source} "
                                       "(add them to trackers.toml) and no --term was given")
        for term in chosen:
            try:
                cls.check_term(term)
            except (ValueError, CollectorError) as exc:
                raise click.BadParameter(f"{term!r}: {exc}", param_hint="--term") from None
        query = Query(tracker=tracker.id, terms=chosen, since=start, until=end, max_items=max_items)
        summary = _run(collector, query, store, resume)
    _report(summary, store, tracker.id if as_json else None)


def _run(collector: Collector, query: Query, store: Store, resume: bool) -> RunSummary:
    from rich.console import Console

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    terms = ", ".join(query.terms) if query.terms else "(no terms)"
    console.print(f"collecting {collector.name} for {query.tracker}: {terms}; "
                  f"{query.since:%Y-%m-%d %H:%M} → {query.until:%Y-%m-%d %H:%M} UTC", markup=False)

    def on_page(summary: RunSummary) -> None:
        s = summary.ingest
        console.print(f"  response {summary.pages}: records {s.records_new} new, {s.records_duplicate + s.records_updated} "
                      f"seen before; trends {s.trends_new} new; rejected {s.rejected}", markup=False)

    summary = run_collection(collector, query, store, resume=resume, on_page=on_page)
    if summary.resumed_from:
        console.print("(resumed from the saved cursor)")
    if summary.pages and hasattr(collector, "after_collection"):  # optional hook, like importers' after_import
        console.print(collector.after_collection(store), markup=False)
    return summary


def _report(summary: RunSummary, store: Store, json_for: str | None = None) -> None:
    """The summary line (or, with `json_for` the tracker, one JSON object), then the exit status."""
    for issue in summary.ingest.issues[:10]:
        click.echo(f"rejected {issue}", err=True)
    if len(summary.ingest.issues) > 10:
        click.echo(f"… and {len(summary.ingest.issues) - 10} more rejected item(s)", err=True)
    for error in summary.errors:
        click.echo(f"error: {redact_text(error)}", err=True)
    for note in summary.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"{replace(summary, stopped=None).line()} (store: {store.root})", err=json_for is not None)
    if set(summary.time_bases) - {None}:
        click.echo(f"times of the stored items: {basis_counts(summary.time_bases)}", err=True)
    if json_for is not None:
        echo_json(_summary_json(summary, store, json_for))
    if summary.stopped:
        raise CollectionStopped(redact_text(summary.stopped))
    fail_if_all_rejected(summary.source, summary.ingest.accepted,
                         summary.ingest.rejected, f"the source's responses may have changed shape; they are kept in "
                         f"{store.raw_root} (re-import them with `actorwatch import` once the parser is fixed)",
                         noun="item", done="stored")


def _summary_json(summary: RunSummary, store: Store, tracker: str) -> dict[str, object]:
    """The run as `--json` prints it: the same counts as the summary line, and the exit status _report gives."""
    counts = summary.ingest
    rejected_all = bool(counts.rejected and not counts.accepted)
    return {"source": summary.source, "tracker": tracker, "pages": summary.pages,
            **{name: getattr(counts, name) for name in ("records_new", "records_updated", "records_duplicate",
                                                        "trends_new", "trends_duplicate", "rows_new", "rows_updated",
                                                        "rows_duplicate", "rejected")},
            "issues": [str(issue) for issue in counts.issues[:10]], "errors": [redact_text(e) for e in summary.errors],
            "stopped": redact_text(summary.stopped) if summary.stopped else None, "notes": summary.notes,
            "resumed": summary.resumed_from is not None,
            "time_bases": {basis or "stated": n for basis, n in summary.time_bases.items()},
            "store": str(store.root), "exit_status": EXIT_STOPPED if summary.stopped else 1 if rejected_all else 0}


commands: list[click.Command] = [collect_cmd]
