"""The Explore table's query: a page of pseudonymised records (records_public only, never `records`)."""

from __future__ import annotations

import duckdb
import pandas as pd

from analysis.core.filters import Filters

COLUMNS = ("published_at", "source", "kind", "lang", "author_name", "title", "text", "likes", "comments", "shares",
           "url", "synthetic", "id")
ORDERS = {"newest": "r.published_at DESC, r.source, r.id", "oldest": "r.published_at ASC, r.source, r.id",
          "most liked": "coalesce(r.likes, -1) DESC, r.published_at DESC, r.id",
          "most shared": "coalesce(r.shares, -1) DESC, r.published_at DESC, r.id"}


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def records_page(con: duckdb.DuckDBPyConnection, f: Filters, search: str = "", kinds: tuple[str, ...] = (),
                 order: str = "newest", limit: int = 50, offset: int = 0) -> tuple[pd.DataFrame, int]:
    """Matching records (author names of ordinary users pseudonymised, @mentions masked) and the match count.

    `search` matches every whitespace-separated term (case-insensitive) in text, title or author name.
    """
    where, params = (f if not kinds else Filters(**{**f.__dict__, "kinds": kinds})).where("r")
    for term in search.split():
        where += " AND (r.text ILIKE ? ESCAPE '\\' OR r.title ILIKE ? ESCAPE '\\' OR r.author_name ILIKE ? ESCAPE '\\')"
        params += [_like_pattern(term)] * 3
    total = int(con.execute(f"SELECT count(*) FROM records_public r WHERE {where}", params).fetchone()[0])
    # only web links become clickable: a `javascript:` or `data:` URL in an imported record stays out
    cols = ", ".join("CASE WHEN regexp_matches(r.url, '^https?://') THEN r.url END AS url" if c == "url" else f"r.{c}"
                     for c in COLUMNS)
    frame = con.execute(
        f"SELECT {cols} FROM records_public r WHERE {where} ORDER BY {ORDERS.get(order, ORDERS['newest'])} "
        f"LIMIT ? OFFSET ?", [*params, int(limit), int(offset)],
    ).df()
    return frame, total
