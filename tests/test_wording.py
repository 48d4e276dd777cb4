"""Count nouns in alt texts and captions: "1 record", "2 records" (one helper, analysis.core.wording)."""

from __future__ import annotations

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
