"""Count nouns in alt texts and captions: "1 record", "2 records" (one helper, analysis.core.wording)."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

from analysis.core.wording import count_text


def test_count_text_singular_plural_and_irregular() -> None:
    assert count_text(1, "record") == "1 record"
    assert count_text(0, "record") == "0 records"
    assert count_text(12345, "record") == "12,345 records"
    assert count_text(np.int64(1), "topic") == "1 topic"
    assert count_text(1, "entity", "entities") == "1 entity" and count_text(3, "entity", "entities") == "3 entities"


def test_alt_texts_of_one_say_one_record_not_one_records() -> None:
    """Alt texts said "(1 records)", "(1 topics)", "1 empty days": a count of one now takes the singular."""
    from dashboard.charts.hot_search import share_alt
    from dashboard.charts.methods import coverage_alt
    from dashboard.charts.overview import volume_alt

    one_day = pd.DataFrame({"day": [date(2026, 4, 20), date(2026, 4, 21)], "source": ["weibo", "weibo"],
                            "records": [1, 0]})
    volume = volume_alt(one_day, "T")
    assert "1 record in all" in volume and "1 records" not in volume
    coverage = coverage_alt(one_day, "T")
    assert "weibo 1 record (1 empty day)" in coverage and "over 2 days" in coverage
    share = share_alt(pd.DataFrame({"day": [pd.Timestamp("2026-04-20")], "share": [0.2], "topics": [1]}), "T")
    assert "(1 topic)" in share and "over 1 day with" in share and "day(s)" not in share


def _percents(said: str) -> list[float]:
    return [float(x) for x in re.findall(r"(\d+(?:\.\d+)?)%", said.replace("95% CI", ""))]


def test_a_share_and_its_interval_are_printed_distinct_and_consistent() -> None:
    """Bounds rounded to whole percents read "under 1% (95% CI 0%–1%)" for 1 negative record in 250 (a 0.4% share
    whose interval runs to 2.2%), and could print a bound equal to the share; share_text with the interval now
    prints all three at the fewest decimals that keep them distinct and the share inside its printed interval."""
    from analysis.core.wording import share_text
    from analysis.stats.timeseries import wilson_interval

    assert share_text(0.42, (0.33, 0.52)) == "42% (95% CI 33%–52%)"  # whole percents where they suffice
    assert share_text(1 / 250, wilson_interval(1, 250)) == "0.4% (95% CI 0.1%–2.2%)"
    for n in (7, 30, 250, 1000, 20_000):
        for k in {0, 1, 2, n // 3, n - 2, n - 1, n}:
            share, (lo, hi) = k / n, wilson_interval(k, n)
            said = share_text(share, (lo, hi))
            printed = _percents(said)
            assert len(printed) == 3 and printed[1] <= printed[0] <= printed[2], said
            for true, shown in zip((share, lo, hi), printed, strict=True):
                if 0 < true < 1:
                    assert 0 < shown < 100, (k, n, said)  # a mixed value never reads as 0% or 100%
            if lo < share:
                assert printed[1] < printed[0], (k, n, said)
            if share < hi:
                assert printed[0] < printed[2], (k, n, said)
    assert share_text(1 / 250) == "under 1%"  # alone, a share keeps its whole-percent wording


def test_alt_texts_and_briefs_print_a_small_share_inside_distinct_bounds() -> None:
    """The sentiment alt text, the disappeared-posts alt text and the brief's figure caption said a 0.4% share's
    interval was "0%–2%" (or "0% to 2%"), below a share they called "under 1%"."""
    from types import SimpleNamespace

    from analysis.reports.brief import figure_alts
    from collectors.visibility import DISAPPEARED
    from dashboard.charts.overview import sentiment_alt
    from dashboard.charts.timeline import disappeared_alt

    df = pd.DataFrame({"day": ["2026-04-19"], "period": ["2026-04-19"], "n": [250], "negative": [1 / 250]})
    assert "0.4% (95% CI 0.1%–2.2%)" in sentiment_alt(df, "X", "m")
    visibility = pd.DataFrame({"period": ["2026-04-19"], "rechecked": [250], "disappeared": [1],
                               "share": [1 / 250], "share_lo": [0.000707], "share_hi": [0.022296]})
    for name in DISAPPEARED:
        visibility[name] = 0
    assert "0.4% (95% CI 0.1%–2.2%)" in disappeared_alt(visibility, "X")
    from analysis.stats.timeseries import wilson_interval

    data = SimpleNamespace(start=date(2026, 4, 20), end=date(2026, 4, 26),
                           volume=pd.DataFrame({"period": [], "source": [], "records": []}),
                           sentiment=pd.DataFrame({"period": [], "n": [], "negative": []}),
                           kpis={"share_negative": 1 / 250, "share_negative_ci": wilson_interval(1, 250),
                                 "scored": 250}, unread={})
    assert "0.4% (95% CI 0.1%–2.2%)" in figure_alts(data)["sentiment"]
