"""Warm start: before the server accepts readers, open every page once with its default filters, headless.

A page's first view computes its data and draws its figures (the topics page segments and clusters tens of
thousands of texts); every later view, in any session, reads them from Streamlit's shared caches. Opening each
page once in this process, through the page's own script (Streamlit's AppTest), fills exactly the cache entries
a first reader's default view asks for, so first readers are not the ones who wait for them, nor each other.

AppTest installs a stand-in for Streamlit's runtime while it runs: this must run before the server starts.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent / "app.py"
# Every page a reader opens from the sidebar, by file name in app_pages/ (Label is left out: it reads labels fresh
# and each annotator's sample is their own).
PAGES = ("overview", "alerts", "timeline", "voices", "hot_search", "topics", "compare", "industry", "explore", "methods")


def session(page: str, timeout_s: float = 600.0) -> AppTest:
    """A headless session ready to open `page` (call .run()). Other pages are reached from a first run of the app:
    before it, AppTest knows pages by file name only, and `hot_search.py` (served as hot-search) would silently
    open the Overview instead."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=timeout_s)
    if page != "overview":
        at.run().switch_page(f"app_pages/{page}.py")
    return at


def open_page(page: str, timeout_s: float = 600.0) -> AppTest:
    """Run one page's default view headless, in this process's caches; the finished AppTest."""
    return session(page, timeout_s).run()


def warm_pages(pages: Sequence[str] = PAGES, report: Callable[[str], None] | None = None) -> dict[str, float]:
    """Open each page once; seconds per page. A page that fails is reported and skipped: its first reader sees
    the error as they would have anyway."""
    import logging

    # each headless run warns that it has no browser session ("missing ScriptRunContext"): expected while warming
    quiet = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    was_disabled, quiet.disabled = quiet.disabled, True
    try:
        return _open_each(pages, report)
    finally:
        quiet.disabled = was_disabled


def _open_each(pages: Sequence[str], report: Callable[[str], None] | None) -> dict[str, float]:
    seconds: dict[str, float] = {}
    for page in pages:
        t0 = time.perf_counter()
        try:
            at = open_page(page)
            problem = f"{at.exception[0].value}" if at.exception else None
        except Exception as exc:  # noqa: BLE001 - warming is best effort; serving goes on
            problem = f"{type(exc).__name__}: {exc}"
        seconds[page] = time.perf_counter() - t0
        if report:
            report(f"{page} {seconds[page]:.1f} s" + (f" (not warmed: {problem[:200]})" if problem else ""))
    return seconds


def main(argv: list[str]) -> None:
    """`python -m dashboard.warm [--no-warm] STREAMLIT_ARGS…`: warm every page, then `streamlit run` in this process."""
    warm = "--no-warm" not in argv
    args = [a for a in argv if a != "--no-warm"]
    if warm:
        t0 = time.perf_counter()
        print("actorwatch: warming every page before serving (--no-warm to skip)…", file=sys.stderr, flush=True)
        warm_pages(report=lambda line: print(f"  warmed {line}", file=sys.stderr, flush=True))
        print(f"actorwatch: pages warm in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
        # Warming read Streamlit's config without this command's flags; forget it, or reading it again with them
        # logs that the [server] section changed and asks for a restart (the server has not started yet).
        from streamlit import config

        config._config_options = None
    from streamlit.web import cli as streamlit_cli

    sys.argv = ["streamlit", "run", str(APP), *args]
    streamlit_cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
