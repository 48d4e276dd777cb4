"""`actorwatch recheck`: re-fetch stored Weibo posts and record, per post and time, whether each is still visible."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from collectors.base import Query, RunSummary, run_collection
from collectors.collect_cli import DATE_FORMATS, EXIT_STATUSES, CollectionStopped
from collectors.http import make_client
from collectors.secrets import MissingSecret, get_secret, redact_text
from collectors.sources.weibo_recheck import ENDPOINTS, Target, WeiboRecheck, make_targets
from collectors.store import RECORDS, Store
from collectors.trackers import TrackerFileError, get_tracker
from collectors.visibility import STATUSES

RECHECKED_KINDS = ("post", "repost")  # comments have no detail page of their own


def stored_posts(store: Store, tracker: str | None = None, since: datetime | None = None) -> list[tuple[str, datetime]]:
    """(id, published_at) of the real (not synthetic) Weibo posts in the store, optionally of one tracker / since a time."""
    if not store.files(RECORDS):
        return []
    kinds = ", ".join(f"'{k}'" for k in RECHECKED_KINDS)
    where, params = ["source = 'weibo'", f"kind IN ({kinds})", "NOT coalesce(synthetic, false)"], []
    if tracker:
        where.append("list_contains(trackers, ?)")
        params.append(tracker)
    if since:
        where.append("published_at >= ?")
        params.append(since)
    with store.connect() as con:
        return con.execute(f"SELECT id, published_at FROM {RECORDS} WHERE {' AND '.join(where)}", params).fetchall()


@click.command("recheck", epilog=EXIT_STATUSES)
@click.option("--tracker", "tracker_id", help="Only posts tagged with this tracker (default: every stored Weibo post).")
@click.option("--since", type=click.DateTime(DATE_FORMATS), help="Only posts published from this time on (UTC).")
@click.option("--max", "max_items", type=click.IntRange(min=1), help="Check at most N posts in this run (the next run continues).")
@click.option("--via", type=click.Choice(ENDPOINTS), default="detail", show_default=True,
              help="detail: the m.weibo.cn/detail/MID page; show: the m.weibo.cn/statuses/show?id=MID JSON.")
@click.option("--resume/--no-resume", default=True, show_default=True,
              help="Continue the pass an earlier run of the same command left unfinished.")
@click.option("--min-interval", type=click.FloatRange(min=0), metavar="SECONDS",
              help="Seconds between requests (default 8; lower values risk a ban).")
def recheck_cmd(tracker_id: str | None, since: datetime | None, max_items: int | None, via: str, resume: bool,
                min_interval: float | None) -> None:
    """Recheck stored Weibo posts: visible, deleted by author, removed, restricted, account gone, unavailable or unknown.

    Each check adds a row to the `visibility` dataset (the post itself is never changed). A pass goes through
    the posts oldest first and saves its place after every post: a stopped or killed run continues where it
    left off; once a pass is complete, the next run starts a new one.
    """
    try:
        if tracker_id:
            get_tracker(tracker_id)
        get_secret("weibo_cookie", required=True)
    except (TrackerFileError, MissingSecret) as exc:
        raise click.ClickException(str(exc)) from None
    start = since.replace(tzinfo=UTC) if since else None
    store = Store()
    targets, skipped = make_targets(stored_posts(store, tracker_id, start))
    for rid in skipped[:5]:
        click.echo(f"skipped {rid}: not a Weibo post id", err=True)
    if not targets:
        raise click.ClickException("no stored Weibo posts to recheck" + (f" for tracker {tracker_id!r}" if tracker_id else "")
                                   + " (collect or import some first; synthetic demo posts are never rechecked)")
    with make_client() as client:
        collector = WeiboRecheck(client, targets, via=via)
        if min_interval is not None:
            collector.limiter.min_interval = min_interval
        query = Query(tracker=tracker_id or "all", terms=(), since=start, max_items=max_items)
        summary = _run(collector, query, store, resume, targets)
    counts = ", ".join(f"{status} {collector.counts[status]}" for status in STATUSES if collector.counts[status])
    click.echo(f"weibo-recheck: {summary.pages} post(s) checked ({counts or 'none'}); "
               f"rows: {summary.ingest.rows_new} new (store: {store.root})")
    for error in summary.errors:
        click.echo(f"error: {redact_text(error)}", err=True)
    if summary.stopped:
        raise CollectionStopped(redact_text(summary.stopped))


def _run(collector: WeiboRecheck, query: Query, store: Store, resume: bool, targets: list[Target]) -> RunSummary:
    from rich.console import Console

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    console.print(f"rechecking {len(targets)} stored Weibo post(s) for {query.tracker} via {collector.via}"
                  + (f" (at most {query.max_items} this run)" if query.max_items else ""), markup=False)

    def on_page(summary: RunSummary) -> None:
        tally = ", ".join(f"{status} {collector.counts[status]}" for status in STATUSES if collector.counts[status])
        console.print(f"  {summary.pages} checked: {tally}", markup=False)

    summary = run_collection(collector, query, store, resume=resume, on_page=on_page)
    if summary.resumed_from:
        console.print("(resumed from the saved cursor)")
    return summary


commands: list[click.Command] = [recheck_cmd]
