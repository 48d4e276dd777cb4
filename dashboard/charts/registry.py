"""The one registry of published charts: how each loads its data (analysis/), draws it and describes it.

Pages render a chart with `render(name, view)` (cached loading in dashboard/data.py); `actorwatch chart`
builds the same chart with `build(name, con, view)`. Both go through `package()`, so a chart looks the
same, carries the same alt text and has the same snapshot id wherever it is produced.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go

from analysis.core.filters import Filters
from analysis.core.wording import count_text, share_text, unread_text
from analysis.reports.links import filter_params
from analysis.reports.png import CREDIT, synthetic_notice
from analysis.stats import aggregate
from analysis.stats.annotation_series import unread_languages
from collectors.display_zone import zone_short
from collectors.trackers import Tracker, get_tracker
from dashboard.charts import PAGE_MODULES
from dashboard.charts.embed import ChartPackage
from dashboard.charts.style import annotated_text, sample_text, without_text, wrap_title

Loader = Callable[[duckdb.DuckDBPyConnection, "View"], pd.DataFrame]
Drawer = Callable[[pd.DataFrame, "View", dict[str, Any]], go.Figure]
Describer = Callable[[pd.DataFrame, "View", dict[str, Any]], str]
Sourcer = Callable[[pd.DataFrame, "View"], str]
Tabler = Callable[[pd.DataFrame], pd.DataFrame]


class AnalysisPending(RuntimeError):
    """The analysis function this chart needs is not available in this installation."""


class UnknownOption(ValueError):
    """An option the chart never reads (a typo would otherwise draw the default chart without a word)."""


class InvalidOption(ValueError):
    """An option value the chart cannot use (it would otherwise draw the default chart, or fail on a raw int())."""


@dataclass(frozen=True)
class WholeNumber:
    """Accepted values of an option taking a whole number of days from `low` to `high`."""

    low: int
    high: int

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and value.isdigit() and self.low <= int(value) <= self.high

    def __str__(self) -> str:
        return f"a whole number from {self.low} to {self.high}"


Accepted = Sequence[str] | WholeNumber


def accepted_text(allowed: Accepted) -> str:
    return str(allowed) if isinstance(allowed, WholeNumber) else "one of " + ", ".join(allowed)


PERIODS = ("D", "W")  # the `freq` option of charts drawn per day or per ISO week
EVENT_WINDOW = WholeNumber(2, 30)  # days a side of an event (the `window` option)

_OPTIONS_READ: ContextVar[set[str] | None] = ContextVar("options_read", default=None)


@dataclass(frozen=True)
class View:
    """Everything a chart depends on (hashable, so loaders can be cached on it)."""

    filters: Filters
    model_version: str | None = None
    options: tuple[tuple[str, str], ...] = ()

    @property
    def tracker(self) -> Tracker:
        return get_tracker(self.filters.tracker)

    def option(self, key: str, default: str = "", allowed: Accepted | None = None, many: bool = False) -> str:
        """An option's value; one outside `allowed` (each comma-separated item, when `many`) is an error under
        `build` (the `actorwatch chart` command) and the default on a page, as `render.param` treats a bad URL value."""
        read = _OPTIONS_READ.get()
        if read is not None:
            read.add(key)
        value = dict(self.options).get(key, default)
        if allowed is None or value == default:
            return value
        items = [v for v in value.split(",") if v] if many else [value]
        bad = [v for v in items if v not in allowed]
        if not bad:
            return value
        if read is not None:
            raise InvalidOption(f"option {key}={','.join(bad)!s} is not accepted ({key} takes "
                                f"{'comma-separated items, each ' if many else ''}{accepted_text(allowed)})")
        return default

    def with_options(self, **values: str) -> View:
        merged = {k: v for k, v in {**dict(self.options), **values}.items() if v}
        return replace(self, options=tuple(sorted(merged.items())))

    def params(self) -> dict[str, str | list[str]]:
        """Deep-link query params: the shared filters plus this view's options."""
        return {**filter_params(self.filters), **{k: v for k, v in self.options if v}}


@dataclass(frozen=True)
class ChartDef:
    name: str
    title: str  # format string; {tracker} is the tracker's English name
    page: str  # the url_path of the page showing it
    description: str
    load: Loader
    draw: Drawer
    describe: Describer
    sentiment: bool = False
    needs: tuple[str, ...] = field(default=())  # analysis modules it calls, for `actorwatch chart --list`
    source: Sourcer | None = None  # the source line, when not the actorwatch store (e.g. a hot-search archive)
    table: Tabler | None = None  # the published data (CSV) reshaped from the loaded frame; default: the frame
    notes: str | Callable[[], str] = ""  # a caveat printed with the chart wherever it is published (a callable: said
    # as of the deployment's settings when drawn, e.g. the display time zone)
    task: str | None = None  # "sentiment" | "stance" | "emotion": the chart carries that model's badge

    @property
    def model_task(self) -> str | None:
        """Whose model output this chart shows (its badge is printed with it wherever it is published)."""
        return self.task or ("sentiment" if self.sentiment else None)

    def title_for(self, view: View, model: dict[str, Any]) -> str:
        return self.title.format(tracker=view.tracker.name_en, model=model.get("name") or model.get("label") or "no model")


REGISTRY: dict[str, ChartDef] = {}


def register(chart: ChartDef) -> ChartDef:
    if chart.name in REGISTRY:
        raise ValueError(f"chart {chart.name!r} registered twice")
    REGISTRY[chart.name] = chart
    return chart


def all_charts() -> dict[str, ChartDef]:
    """Every registered chart, by name (the page modules register theirs when first imported)."""
    for module in PAGE_MODULES:
        importlib.import_module(module)
    return REGISTRY


def get(name: str) -> ChartDef:
    all_charts()
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown chart {name!r} (known: {', '.join(sorted(REGISTRY))})") from None


def missing_modules(chart: ChartDef) -> list[str]:
    """Analysis modules the chart needs that cannot be imported here."""
    out = []
    for module in chart.needs:
        try:
            importlib.import_module(module)
        except ImportError:
            out.append(module)
    return out


def require(module: str) -> Any:
    """Import an analysis module, or say plainly which one is missing."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise AnalysisPending(f"needs `{module}`, which is not available in this installation ({exc})") from None


def badge_text(model: dict[str, Any], task: str) -> str:
    """The badge of a task's charts (from its model card's headline; dashboard.model_info.model_summary)."""
    badge = (model.get("badges") or {}).get(task)
    if badge:
        return str(badge["text"])
    if task == "sentiment":  # a model dict without badges (older callers): what it says about the figure
        f1 = model.get("macro_f1")
        return (f"Sentiment model {model.get('label')}: measured macro-F1 {f1:.2f}" if f1 is not None
                else f"Sentiment model {model.get('label')}: no measured accuracy on file")
    return f"{task.capitalize()}: not measured on in-domain text"


def model_label(model: dict[str, Any], task: str) -> str:
    """"model <name> <version>" of the model behind a task's charts (from its badge)."""
    badge = (model.get("badges") or {}).get(task) or {}
    return f"model {badge.get('name') or 'unknown'} {badge.get('version') or ''}".strip()


def source_line(view: View, synthetic_share: float, records: int | None = None, days: str | None = None) -> str:
    """"actorwatch store, <sources>, <days> (<zone>), n = <records>; <share> synthetic demo data": what a published
    chart is drawn from; `days` for charts drawing other days than the view's (e.g. around each event)."""
    f = view.filters
    where = ", ".join(f.sources) if f.sources else "all sources"
    langs = f"; languages {', '.join(f.langs)}" if f.langs else ""
    n = f", n = {count_text(records, 'record')}" if records is not None else ""
    demo = f"; {share_text(synthetic_share)} synthetic demo data" if synthetic_share > 0 else ""
    return f"actorwatch store, {where}{langs}, {days or f'{f.start} to {f.end}'} ({zone_short()}){n}{demo}"


def package(name: str, frame: pd.DataFrame, view: View, model: dict[str, Any],
            synthetic_share: float = 0.0, records: int | None = None,
            unread: dict[str, int] | None = None) -> ChartPackage:
    """Figure, alt text, credit and provenance for one chart drawn from already-loaded data; `synthetic_share` and
    `records` are the view's (aggregate.kpis), for the source line; `unread` its records in languages the models do
    not read, per language (annotation_series.unread_languages), said under a chart of a model's shares."""
    chart = get(name)
    fig = chart.draw(frame, view, model)
    wrap_title(fig)
    notes = chart.notes() if callable(chart.notes) else chart.notes
    alt = chart.describe(frame, view, model)
    if chart.model_task:
        badge = (f"Sentiment model {model.get('name')}, {model['adapted_line']}"
                 if chart.model_task == "sentiment" and model.get("adapted_line") else badge_text(model, chart.model_task))
        notes = " · ".join(x for x in (badge + " (see Methods)", notes, unread_text(unread or {})) if x)
        alt = f"{alt} {badge.rstrip('.')}."  # the figure printed under the chart, read out with it
    if sample_text(frame):  # counts of a text sample travel with a statement of which sample, wherever published
        said = f"Computed on a {sample_text(frame)}: counts are of the sample, not scaled up"
        notes = " · ".join(x for x in (notes, said) if x)
    elif annotated_text(frame):  # counts of the annotated records only (a partial enrich leaves some out)
        notes = " · ".join(x for x in (notes, f"Counts of annotated records only: {annotated_text(frame)}") if x)
    if without_text(frame):  # the n a count is of: records with text
        notes = " · ".join(x for x in (notes, without_text(frame)) if x)
    source = chart.source(frame, view) if chart.source else source_line(view, synthetic_share, records)
    # a chart crediting its own source draws other data than the view's (curated facts, prices, other days): its
    # loader states that data's synthetic share, if any
    synthetic = float(frame.attrs.get("synthetic_share", 0.0)) if chart.source else synthetic_share
    if synthetic > 0:  # read out with the chart, as the image's watermark is seen
        alt = f"{alt} {synthetic_notice(synthetic)}."
    return ChartPackage(name=name, title=chart.title_for(view, model), fig=fig,
                        data=chart.table(frame) if chart.table else frame, alt=alt,
                        params=view.params(), url_path=chart.page, source=source, credit=CREDIT, notes=notes,
                        synthetic_share=synthetic)


def build(name: str, con: duckdb.DuckDBPyConnection, view: View, model: dict[str, Any]) -> ChartPackage:
    """Load and draw a chart outside Streamlit (the `actorwatch chart` command); an option it never reads is an
    error."""
    read: set[str] = set()
    token = _OPTIONS_READ.set(read)
    try:
        frame = get(name).load(con, view)
        counts = aggregate.kpis(con, view.filters, None)
        built = package(name, frame, view, model, counts["synthetic_share"], counts["records"],
                        unread_languages(con, view.filters) if get(name).model_task else None)
    finally:
        _OPTIONS_READ.reset(token)
    unknown = sorted({key for key, _ in view.options} - read)
    if unknown:
        raise UnknownOption(f"chart {name} has no option {', '.join(map(repr, unknown))} (it reads: "
                            f"{', '.join(sorted(read)) or 'none'})")
    return built

