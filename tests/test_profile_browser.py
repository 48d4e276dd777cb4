"""bench/profile_browser.py --scripts: a V8 CPU profile's self time told per script file."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from profile_browser import by_script


def frame(name: str, url: str = "") -> dict:
    return {"functionName": name, "url": url, "lineNumber": 0, "columnNumber": 0}


def test_self_time_is_summed_per_script_file_busiest_first() -> None:
    profile = {"nodes": [{"id": 1, "callFrame": frame("(root)")},
                         {"id": 2, "callFrame": frame("draw", "http://127.0.0.1:1/static/js/PlotlyChart.abc.js")},
                         {"id": 3, "callFrame": frame("axes", "http://127.0.0.1:1/static/js/PlotlyChart.abc.js")},
                         {"id": 4, "callFrame": frame("render", "http://127.0.0.1:1/static/js/react-dom.x.js")},
                         {"id": 5, "callFrame": frame("(idle)")}],
               # timeDeltas in microseconds: each sample's time goes to the function it caught running
               "samples": [2, 3, 4, 5, 2], "timeDeltas": [100_000, 200_000, 250_000, 50_000, 100_000]}
    assert by_script(profile) == "PlotlyChart.abc.js 0.40 · react-dom.x.js 0.25 · (idle) 0.05"
    assert by_script(profile, top=1) == "PlotlyChart.abc.js 0.40"


def test_an_empty_profile_says_nothing() -> None:
    assert by_script({"nodes": [{"id": 1, "callFrame": frame("(root)")}], "samples": [], "timeDeltas": []}) == ""


def test_draws_are_told_per_page_view() -> None:
    from profile_browser import draws_text

    assert draws_text({"charts": 0, "draws": 0, "calcs": 0}) == "no plotly chart drawn"
    assert draws_text({"charts": 1, "draws": 2, "calcs": 1}) == "1 chart drawn 2 times (1 calculating their data)"
    assert draws_text({"charts": 3, "draws": 6, "calcs": 6}) == "3 charts drawn 6 times (6 calculating their data)"


def test_the_draw_hook_counts_a_chart_drawn_again_with_new_arrays() -> None:
    """As Streamlit's chart element does on mounting: a second `react` with the figure's JSON round trip calculates
    and draws it again; a `react` with the very same objects draws without calculating."""
    import plotly
    import pytest

    from tests.test_browser import CHROMIUM_ARGS, require_browser

    require_browser()
    from playwright.sync_api import sync_playwright
    from profile_browser import DRAWS_JS

    script = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not script.exists():
        pytest.skip("plotly.py ships no plotly.min.js")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        try:
            tab = browser.new_page()
            tab.set_content("<html><body><div id='c' style='width:600px'></div></body></html>")
            tab.add_script_tag(content=DRAWS_JS)
            tab.add_script_tag(path=str(script))
            counts = tab.evaluate("""async () => {
                const fig = {data: [{type: 'scatter', mode: 'lines', x: [1, 2, 3], y: [2, 1, 3]}],
                             layout: {width: 600, height: 300, title: {text: 'probe'}}};
                const gd = document.getElementById('c');
                await Plotly.react(gd, fig.data, fig.layout);
                await new Promise(r => setTimeout(r, 50));  // the hook attaches from a mutation callback
                const again = JSON.parse(JSON.stringify(fig));
                await Plotly.react(gd, again.data, again.layout);
                await Plotly.react(gd, again.data, again.layout);  // the same objects: nothing to calculate
                await new Promise(r => setTimeout(r, 50));
                return window.__awDraws;
            }""")
        finally:
            browser.close()
    assert counts == {"charts": 1, "draws": 3, "calcs": 2}, counts
