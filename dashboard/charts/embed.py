"""The journalist embed kit: every chart as standalone HTML, PNG, CSV, alt text, iframe snippet and snapshot id.

The pure functions (`ChartPackage`, `standalone_html`, `credited_png`, `published_csv`, `iframe_snippet`) are shared
by the dashboard's "Embed / download" panel (`show_package`, via dashboard/render.py) and the `actorwatch chart`
command; links come from analysis.reports.links, PNG rendering from analysis.reports.png (shared with the brief).

Standalone HTML loads plotly.js from the CDN with a Subresource Integrity hash (`include_plotlyjs="cdn"`): the
file stays ~100 KB, which newsroom CMSs accept, and the browser refuses a tampered script; its caption says so, and
where plotly.js cannot load (offline) the page shows the chart's text description instead. `inline=True` (CLI
`--plotlyjs inline`) embeds plotly.js instead (~5 MB) for offline archives. The chart's data travels inside the
file as a `data:` link, so the "data" link works wherever the file is published.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import plotly.graph_objects as go

from analysis.nlp.text import detect_lang
from analysis.reports.brief import md_escape
from analysis.reports.export import software_version
from analysis.reports.links import (
    DEFAULT_PAGE,
    PUBLIC_URL_ENV,
    Params,
    configured_base_url,
    deep_link,
    normal_params,
)
from analysis.reports.png import (
    CREDIT,
    PNG_SIZE,
    chromium_path,
    footed_figure,
    marked_figure,
    png_bytes,
    synthetic_notice,
)
from collectors.display_zone import zone_name
from collectors.spreadsheet import escape_frame
from collectors.store import atomic_path

DEFAULT_SOURCE = "actorwatch store"
CDN_HOST = "cdn.plot.ly"  # where plotly's include_plotlyjs="cdn" loads plotly.js from
# plotly's own camera button saves the bare chart, without the source, synthetic-data and model notes every published
# image carries (credited_png): it is removed, and images come from the Embed / download panel or `actorwatch chart`.
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["toImage"]}


@dataclass(frozen=True)
class ChartPackage:
    """One chart as published: figure, its data, and everything needed to credit and trace it."""

    name: str
    title: str
    fig: go.Figure
    data: pd.DataFrame
    alt: str
    params: Params = field(default_factory=dict)
    url_path: str = DEFAULT_PAGE
    source: str = DEFAULT_SOURCE
    credit: str = CREDIT
    notes: str = ""
    synthetic_share: float = 0.0  # of the data drawn: above 0, every published form carries SYNTHETIC_MARK

    @cached_property
    def snapshot_id(self) -> str:  # hashes the data's CSV: computed once per package (packages are shared)
        return snapshot_id(self.name, self.params, self.data)

    def file_stem(self) -> str:
        return f"actorwatch-{self.name}-{self.snapshot_id}"

    def deep_link(self, base_url: str | None = None, embed: bool = False) -> str:
        return deep_link(self.url_path, self.params, base_url or public_base_url(), chart=self.name if embed else None,
                         embed=embed)


def snapshot_id(chart_name: str, params: Params, data: pd.DataFrame) -> str:
    """`aw-` + 12 hex of sha256(chart, query, data): the same view of the same data gives the same id."""
    query = json.dumps({"chart": chart_name, "params": normal_params(params)}, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(query.encode())
    digest.update(csv_bytes(data))
    return "aw-" + digest.hexdigest()[:12]


def csv_bytes(data: pd.DataFrame) -> bytes:
    """The chart's data as UTF-8 CSV with a BOM, so spreadsheet apps read Chinese correctly; text a spreadsheet would
    run as a formula (a post or a keyword starting with = + - @) is prefixed with ' (collectors.spreadsheet)."""
    return escape_frame(data).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")  # CRLF: a CR in text is quoted


ABOUT_COLUMN = "about_this_data"


def published_csv(package: ChartPackage, base_url: str | None = None) -> bytes:
    """The chart's data as published: the table plus a last column repeating, on every row, what it is and where it
    comes from (synthetic share included), the model's measured figure and caveats, credit, snapshot id and live view.

    A CSV travels without the page that explained it, and rows get copied apart; a column (not leading comment rows)
    keeps the file readable as-is by spreadsheets, pandas and charting tools. The snapshot id hashes the table alone."""
    about = " · ".join([package.title, f"Source: {package.source}", *([package.notes] if package.notes else []),
                        package.credit, f"snapshot {package.snapshot_id}", f"live view: {package.deep_link(base_url)}"])
    return csv_bytes(package.data.assign(**{ABOUT_COLUMN: about}))


def public_base_url() -> str:
    """Where readers reach this app: $ACTORWATCH_PUBLIC_URL, else the current request's origin, else localhost."""
    if os.environ.get(PUBLIC_URL_ENV):
        return configured_base_url()
    from streamlit import runtime

    if runtime.exists():  # inside a Streamlit run: the request's own origin
        import streamlit as st

        url = st.context.url
        if url:
            parts = urlsplit(url)
            return f"{parts.scheme}://{parts.netloc}"
    return configured_base_url()


def iframe_snippet(package: ChartPackage, base_url: str | None = None, height: int = 520) -> str:
    """An accessible iframe pointing at the live chart (`?embed=true`), with title and aria-label."""
    src = package.deep_link(base_url, embed=True)
    title = html.escape(package.title, quote=True)
    return (f'<iframe src="{html.escape(src, quote=True)}" title="{title}" aria-label="{title}" '
            f'width="100%" height="{height}" style="border:0;max-width:100%" loading="lazy"></iframe>')


def standalone_html(package: ChartPackage, inline: bool = False, base_url: str | None = None) -> str:
    """A responsive, self-describing HTML page: chart, alt text, source and credit line, data link, snapshot id."""
    div = marked_figure(package.fig, package.synthetic_share).to_html(
        full_html=False, include_plotlyjs=True if inline else "cdn", default_width="100%", default_height="100%",
        config={"responsive": True, **PLOTLY_CONFIG})
    data_uri = "data:text/csv;charset=utf-8;base64," + base64.b64encode(published_csv(package, base_url)).decode()
    e = html.escape
    doc = page_lang(package)
    notes = f" · {_in_lang(package.notes, 'en')}" if package.notes else ""
    alt_lang = _lang_attr(package.alt, doc)
    caption_lang = "" if doc == "en" else ' lang="en"'  # the caption's own words are English
    live = package.deep_link(base_url)
    demo = package.synthetic_share > 0
    label = package.title + (" (synthetic demo data)" if demo else "")
    notice = (f'<p class="aw-demo" role="note">{e(synthetic_notice(package.synthetic_share))}</p>\n'
              if demo else "")
    # With the CDN script the page says so, and offline (no plotly.js) it shows the description instead of an empty box
    loads = "" if inline else f" · chart drawn by plotly.js from {CDN_HOST}"
    offline = "" if inline else (
        f'<p id="aw-offline" class="aw-text" hidden lang="en">The interactive chart could not load plotly.js from '
        f"{CDN_HOST} (no network?); what it shows:</p>\n")
    reveal = "" if inline else ('\n<script>if (!window.Plotly) { document.getElementById("aw-offline").hidden = false; '
                                'document.getElementById("aw-alt").className = "aw-text"; }</script>')
    return f"""<!doctype html>
<html lang="{doc}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="actorwatch">
<meta name="actorwatch-snapshot" content="{package.snapshot_id}">
<title>{e(package.title)}</title>
<style>
html, body {{ margin: 0; height: 100%; font-family: "Noto Sans", "Noto Sans CJK SC", Arial, sans-serif; }}
.aw {{ display: flex; flex-direction: column; height: 100%; min-height: 360px; margin: 0; }}
.aw-chart {{ order: 1; flex: 1 1 auto; min-height: 300px; }}
.aw-foot {{ order: 2; font-size: 12px; color: #333; padding: 4px 8px 8px; line-height: 1.4; }}
/* the caption precedes the chart in the page so plotly sizes itself to the space left above it */
.aw-foot a {{ color: #0072B2; }}
.aw-demo {{ order: 0; margin: 0; padding: 4px 8px; background: #fff3cd; color: #5c3c00; font-weight: bold; }}
.aw-text {{ margin: 0; padding: 4px 8px; }}
.aw-sr {{ position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }}
</style>
</head>
<body>
<figure class="aw" role="figure" aria-label="{e(label, quote=True)}">
{notice}{offline}<p class="aw-sr" id="aw-alt"{alt_lang}>{e(package.alt)}</p>
<noscript><p{alt_lang}>{e(package.alt)}</p></noscript>
<figcaption class="aw-foot"{caption_lang}>Source: {_in_lang(package.source, "en")} · {_in_lang(package.credit, "en")}{notes} ·
<a download="{e(package.file_stem(), quote=True)}.csv" href="{data_uri}">data</a> ·
<a href="{e(live, quote=True)}">live view</a> · snapshot {package.snapshot_id}{loads}</figcaption>
<div class="aw-chart" aria-describedby="aw-alt">{div}</div>{reveal}
</figure>
</body>
</html>
"""


def page_lang(package: ChartPackage) -> str:
    """The standalone page's language: its title's ('zh' for a Chinese title), else its alt text's, else English."""
    return detect_lang(package.title) or detect_lang(package.alt) or "en"


def _lang_attr(text: str, around: str) -> str:
    """` lang="…"` for a part whose language differs from the element around it (a screen reader switches voice)."""
    lang = detect_lang(text)
    return f' lang="{lang}"' if lang and lang != around else ""


def _in_lang(text: str, around: str) -> str:
    """`text` escaped, in a span that says its language when that differs from the element around it."""
    attr = _lang_attr(text, around)
    return f"<span{attr}>{html.escape(text)}</span>" if attr else html.escape(text)


def credited_figure(package: ChartPackage) -> go.Figure:
    """A copy of the chart (marked when synthetic) with its notes, source, credit and snapshot id drawn under it."""
    return _footed(package)[0]


def credited_png(package: ChartPackage) -> bytes:
    """The chart's PNG with its credit footer (a PNG travels without the page that explained it)."""
    fig, footer = _footed(package)
    return png_bytes(fig, height=PNG_SIZE[1] + footer)


def _footed(package: ChartPackage) -> tuple[go.Figure, int]:
    lines = [package.notes] if package.notes else []
    lines.append(f"Source: {package.source} · {package.credit} · snapshot {package.snapshot_id}")
    return footed_figure(package.fig, lines, package.synthetic_share)


def write_package(package: ChartPackage, out_dir: Path, formats: Sequence[str], inline: bool = False,
                  base_url: str | None = None) -> list[Path]:
    """Write the chart as each of `formats` (html, png, csv, alt, json) into out_dir; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = out_dir / f"{package.file_stem()}.{'txt' if fmt == 'alt' else fmt}"
        if fmt == "html":
            body: bytes = standalone_html(package, inline=inline, base_url=base_url).encode()
        elif fmt == "png":
            body = credited_png(package)
        elif fmt == "csv":
            body = published_csv(package, base_url)
        elif fmt == "alt":
            body = package.alt.encode()
        elif fmt == "json":
            body = json.dumps(sidecar(package, base_url), ensure_ascii=False, indent=2).encode()
        else:
            raise ValueError(f"unknown format {fmt!r} (use html, png, csv, alt, json)")
        with atomic_path(path) as tmp:
            tmp.write_bytes(body)
        written.append(path)
    return written


def sidecar(package: ChartPackage, base_url: str | None = None) -> dict[str, object]:
    """Provenance for a published chart: what it shows, the query and the zone of its days, where to reopen it (and
    embed it), its snapshot id and the software that drew it."""
    return {"chart": package.name, "title": package.title, "snapshot_id": package.snapshot_id,
            "params": normal_params(package.params), "days_time_zone": zone_name(), "software": software_version(),
            "deep_link": package.deep_link(base_url),
            "iframe": iframe_snippet(package, base_url),
            "source": package.source, "credit": package.credit, "notes": package.notes, "alt": package.alt,
            "synthetic_share": package.synthetic_share,
            "rows": len(package.data), "columns": [str(c) for c in package.data.columns]}


# ---------------------------------------------------------------- Streamlit side
def focused_chart() -> str | None:
    """The chart an embed iframe asked for (`?chart=NAME`): the page then shows only that chart."""
    import streamlit as st

    return st.query_params.get("chart")


def show_page_extras() -> bool:
    """False inside a single-chart embed: pages skip KPIs, tables and prose then."""
    return focused_chart() is None


def show_package(package: ChartPackage, key: str | None = None) -> None:
    """Render a packaged chart: the plotly chart with its alt text, then the "Embed / download" expander."""
    import streamlit as st

    key = key or package.name
    st.plotly_chart(package.fig, key=f"chart-{key}", alt=package.alt, width="stretch",
                    config=PLOTLY_CONFIG)
    if focused_chart() is not None:
        notes = f" · {package.notes}" if package.notes else ""  # the model's badge travels with an embed
        st.caption(f"Source: {package.source} · {package.credit}{notes} · snapshot {package.snapshot_id}")
        return
    # The panel's content is built and sent only once a reader opens it: collapsed, it would still cost every
    # page view a dozen hidden elements per chart in the browser (the main cost of a page with cached data).
    # named after its chart: a page holds several panels, and a screen reader's list of controls reads them apart
    panel = st.expander(f"Embed / download: {md_escape(package.title)}", icon=":material/share:", key=f"embed-{key}",
                        on_change="rerun")
    if not panel.open:
        return
    # read now: the files are built on click, outside this run, where the request's origin is unknown (their "live
    # view" link would fall back to localhost:8501 while the panel's own link named this server)
    base_url = public_base_url()
    with panel:
        c1, c2, c3 = st.columns(3)
        c1.download_button("HTML (standalone)", data=lambda: standalone_html(package, base_url=base_url).encode(),
                           file_name=f"{package.file_stem()}.html", mime="text/html", key=f"dl-html-{key}",
                           on_click="ignore", icon=":material/code:")
        c2.download_button("CSV (chart data)", data=lambda: published_csv(package, base_url),
                           file_name=f"{package.file_stem()}.csv", mime="text/csv", key=f"dl-csv-{key}",
                           on_click="ignore", icon=":material/table:")
        if chromium_path() is None:
            c3.info("PNG needs Chromium: `apt-get install chromium fonts-noto-cjk`.", icon=":material/info:")
        else:
            c3.download_button("PNG (image)", data=lambda: credited_png(package),
                               file_name=f"{package.file_stem()}.png", mime="image/png", key=f"dl-png-{key}",
                               on_click="ignore", icon=":material/image:")
        st.markdown("**Alt text** (generated from the data; also read to screen readers)")
        st.text(package.alt)
        st.markdown("**Embed snippet** (live chart without the app chrome)")
        st.code(iframe_snippet(package, base_url), language="html")
        st.markdown("**Link to this view**")
        st.code(package.deep_link(base_url), language=None)
        st.caption(f"Snapshot id `{package.snapshot_id}` (hash of the query and the chart's data) · "
                   f"Source: {package.source} · {package.credit}" + (f" · {package.notes}" if package.notes else ""))
