"""The Explore table's query: a page of pseudonymised records (records_public only, never `records`)."""

from __future__ import annotations

import duckdb
import pandas as pd

from analysis.core.filters import Filters
from analysis.core.tables import has_column
from analysis.nlp.text import spellings
from analysis.reports.links import Params, deep_link, filter_params
from analysis.reports.png import CREDIT, synthetic_notice
from analysis.stats.visibility import latest_scan
from collectors.store import RECORDS
from collectors.trackers import get_tracker
from dashboard.charts.embed import ABOUT_COLUMN, csv_bytes, public_base_url, snapshot_id
from dashboard.charts.registry import View, source_line
from dashboard.snapshot import INSTANT

COLUMNS = ("published_at", "source", "kind", "visibility", "checked", "lang", "author_name", "title", "text", "likes",
           "comments", "shares", "url", "synthetic", "id", "also_in")
NOT_RECHECKED = "not rechecked"
# {t} is the records' instant column (see `instant_column`)
ORDERS = {"newest": "{t} DESC, r.source, r.id", "oldest": "{t} ASC, r.source, r.id",
          "most liked": "coalesce(r.likes, -1) DESC, {t} DESC, r.source, r.id",
          "most shared": "coalesce(r.shares, -1) DESC, {t} DESC, r.source, r.id"}

# each order's first sort key and whether it runs from the largest down
_FIRST_KEY = {"newest": ("{t}", True), "oldest": ("{t}", False),
              "most liked": ("coalesce(r.likes, -1)", True), "most shared": ("coalesce(r.shares, -1)", True)}


def instant_column(con: duckdb.DuckDBPyConnection) -> str:
    """The records' publication instants: the snapshot's INSTANT column (its `published_at` is a naive wall clock,
    ambiguous in the repeated hour of a daylight-saving change), else the store's `published_at` (TIMESTAMPTZ)."""
    return f"r.{INSTANT}" if has_column(con, RECORDS, INSTANT) else "r.published_at"


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def records_page(con: duckdb.DuckDBPyConnection, f: Filters, search: str = "", kinds: tuple[str, ...] = (),
                 order: str = "newest", limit: int = 50, offset: int = 0,
                 visibility: tuple[str, ...] = ()) -> tuple[pd.DataFrame, int]:
    """Matching records (author names of ordinary users pseudonymised, @mentions masked) and the match count.

    `search` matches every whitespace-separated term (case-insensitive, in any of its `spellings`) in text, title or
    author name.
    `visibility` keeps records whose latest recheck status is one of these (`"not rechecked"` for the others);
    the `visibility` and `checked` columns hold that status and the day of its check (display time zone);
    `published_at` holds instants (tz-aware, in the display zone).
    """
    instant = instant_column(con)
    where, params = (f if not kinds else Filters(**{**f.__dict__, "kinds": kinds})).where("r")
    for term in search.split():  # in any of its forms: 爱奇艺 finds 愛奇藝, AI finds ＡＩ, isn't finds isn’t
        forms = spellings(term)
        where += " AND (" + " OR ".join(f"r.{column} ILIKE ? ESCAPE '\\'" for column in ("text", "title", "author_name")
                                        for _ in forms) + ")"
        params += [_like_pattern(form) for _ in range(3) for form in forms]
    scan = latest_scan(con)
    join = f"LEFT JOIN {scan} v ON v.source = r.source AND v.id = r.id" if scan else ""
    status = "v.status" if scan else "NULL::VARCHAR"
    if visibility:
        where += f" AND coalesce({status}, '{NOT_RECHECKED}') IN ({', '.join('?' for _ in visibility)})"
        params += list(visibility)
    # Without a text search every condition reads columns the public view passes through unchanged, so the raw
    # table answers the count, and the page's bound on its first sort key (two numbers, no text), letting the view
    # pseudonymise only rows that can be on the page instead of every match (~2.5 s for 600,000 at 1M).
    raw = not search.split()
    total = int(con.execute(f"SELECT count(*) FROM {'records' if raw else 'records_public'} r {join} WHERE {where}",
                            params).fetchone()[0])
    order = order if order in ORDERS else "newest"
    if raw:
        key, descending = _FIRST_KEY[order]
        key = key.format(t=instant)
        bound = con.execute(f"SELECT {key} FROM records r {join} WHERE {where} ORDER BY 1 {'DESC' if descending else 'ASC'} "
                            "LIMIT 1 OFFSET ?", [*params, int(offset) + int(limit) - 1]).fetchone()
        if bound is not None:
            where += f" AND {key} {'>=' if descending else '<='} ?"
            params = [*params, bound[0]]
    # only web links become clickable (collectors.urls.web_url's rule): a `javascript:` or `data:` URL in an imported
    # record stays out
    special = {"published_at": f"{instant} AS published_at",
               "url": "CASE WHEN regexp_matches(r.url, '^https?://', 'i') THEN r.url END AS url",
               "id": "public_id(r.source, r.id) AS id",
               # a news article several sources carried is one row: the other copies it stands for
               "also_in": "array_to_string(r.merged_from, ' · ') AS also_in",
               "visibility": f"{status} AS visibility",
               "checked": f"CAST({'v.checked_at' if scan else 'NULL::TIMESTAMPTZ'} AS DATE) AS checked"}
    cols = ", ".join(special.get(c, f"r.{c}") for c in COLUMNS)
    frame = con.execute(
        f"SELECT {cols} FROM records_public r {join} WHERE {where} ORDER BY {ORDERS[order].format(t=instant)} "
        f"LIMIT ? OFFSET ?", [*params, int(limit), int(offset)],
    ).df()
    return frame, total


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The page as downloaded: each time as ISO 8601 UTC text ("2026-04-20T07:00:00Z"), so a file read away from
    the page's heading (which names the display time zone) cannot be taken for Beijing or local time."""
    if "published_at" not in frame:
        return frame
    utc = pd.to_datetime(frame["published_at"]).dt.tz_convert("UTC")  # instants (records_page), never a wall clock
    return frame.assign(published_at=utc.dt.strftime("%Y-%m-%dT%H:%M:%SZ").where(utc.notna(), None))


def _page_params(f: Filters, params: Params, page: int) -> Params:
    return {**filter_params(f), **params, "page": str(page)}


def page_file_name(f: Filters, params: Params, page: int, frame: pd.DataFrame) -> str:
    """The downloaded CSV's name: tracker, dates, page and the view's snapshot id (as chart downloads), so pages of
    different views, or of the same view over changed data, never share a name."""
    dates = f"{f.start}-to-{f.end}" if f.start and f.end else "all-dates"
    return f"actorwatch-explore-{f.tracker}-{dates}-p{page}-{snapshot_id('explore', _page_params(f, params, page), frame)}.csv"


def published_page(frame: pd.DataFrame, f: Filters, params: Params, page: int, first: int, total: int,
                   base_url: str | None = None) -> bytes:
    """The page as downloaded (csv_frame) with, as a chart's CSV (embed.published_csv), a last column repeating on
    every row what the rows are: the view and its matching records, the page's synthetic share, the pseudonymisation,
    credit, snapshot id and live view. Rows copied into an article or a spreadsheet keep saying they are demo text."""
    view = _page_params(f, params, page)
    share = float(frame["synthetic"].fillna(False).astype(bool).mean()) if len(frame) and "synthetic" in frame else 0.0
    rows = f"rows {first:,} to {first + len(frame) - 1:,} of {total:,} matching records" if len(frame) else "no rows"
    about = [f"Explore records — {get_tracker(f.tracker).label}",
             f"Source: {source_line(View(f), 0.0, total)} (search and filters: live view); this page: {rows}",
             *([synthetic_notice(share)] if share > 0 else []),
             "ordinary users pseudonymised (u_ + keyed hash), other @mentions masked", CREDIT,
             f"snapshot {snapshot_id('explore', view, frame)}",
             f"live view: {deep_link('explore', view, base_url or public_base_url())}"]
    return csv_bytes(csv_frame(frame).assign(**{ABOUT_COLUMN: " · ".join(about)}))
