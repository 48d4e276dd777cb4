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
