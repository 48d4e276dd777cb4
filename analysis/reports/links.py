"""Deep links into the dashboard: the one place that turns a view into the URL that reopens it.

The query parameters are the ones dashboard/state.py reads (tracker, from, to, source, lang) plus a page's own
options. Alerts, exports, briefs and the dashboard's embed kit all build their links here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

from analysis.core.filters import Filters
from collectors.urls import web_url

DASHBOARD_URL = "http://127.0.0.1:8501"
PUBLIC_URL_ENV = "ACTORWATCH_PUBLIC_URL"
DEFAULT_PAGE = "overview"  # the app's default page is served at "/" (its url_path alone is "page not found")
FILTER_KEYS = ("tracker", "from", "to", "source", "lang")  # first in a link, in this order; then options A-Z
Params = Mapping[str, str | Sequence[str]]
safe_url = web_url  # a record's URL if it is a web link, else None (one rule with the analysis tables')


def configured_base_url() -> str:
    """Where readers reach the dashboard: $ACTORWATCH_PUBLIC_URL, else the local default."""
    return (os.environ.get(PUBLIC_URL_ENV) or DASHBOARD_URL).rstrip("/")


def filter_params(f: Filters) -> dict[str, str | list[str]]:
    """The shared filters as query parameters (empty ones left out)."""
    out: dict[str, str | list[str]] = {"tracker": f.tracker}
    if f.start:
        out["from"] = f.start.isoformat()
    if f.end:
        out["to"] = f.end.isoformat()
    if f.sources:
        out["source"] = list(f.sources)
    if f.langs:
        out["lang"] = list(f.langs)
    return out


def normal_params(params: Params) -> dict[str, list[str]]:
    """Every non-empty parameter as a list of strings, keys sorted (a stable form for hashing and comparing)."""
    return {k: [v] if isinstance(v, str) else [str(x) for x in v]
            for k, v in sorted(params.items()) if v not in (None, "", [])}


def deep_link(page: str, view: Filters | Params, base: str | None = None, chart: str | None = None,
              embed: bool = False) -> str:
    """The URL that reopens `view` (filters, or query params) on the page whose url_path is `page`.

    The default page is served at `/`. With `chart` (and `embed`) the page shows only that chart, without
    the app chrome (what an embed iframe loads). `base` defaults to `configured_base_url()`.
    """
    params = normal_params(filter_params(view) if isinstance(view, Filters) else view)
    keys = [k for k in FILTER_KEYS if k in params] + sorted(k for k in params if k not in FILTER_KEYS)
    query = [(k, v) for k in keys for v in params[k]]
    if chart:
        query.append(("chart", chart))
    if embed:
        query.append(("embed", "true"))
    path = "" if page == DEFAULT_PAGE else page
    return f"{(base or configured_base_url()).rstrip('/')}/{path}" + (f"?{urlencode(query)}" if query else "")
