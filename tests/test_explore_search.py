"""Explore's text search finds a term however a post writes it: script, width, apostrophe."""

from __future__ import annotations

from analysis.core.filters import Filters
from analysis.nlp.text import spellings
from collectors.store import Store
from dashboard.explore import records_page

TRACKER = "iqiyi-nadou"
TEXTS = ["愛奇藝的AI藝人庫太誇張了", "爱奇艺的AI艺人库上线", "ＡＩ演员太假了", "This isn\u2019t acting", "Tilly Norwood isn't real"]


def test_a_term_is_searched_in_every_form_a_post_may_write_it() -> None:
    assert {"爱奇艺", "愛奇藝"} <= set(spellings("爱奇艺")) and {"爱奇艺", "愛奇藝"} <= set(spellings("愛奇藝"))
    assert "ＡＩ演员" in spellings("AI演员") and "AI演员" in spellings("ＡＩ演员")
    assert "isn\u2019t" in spellings("isn't") and "isn't" in spellings("isn\u2019t")
    assert spellings("Norwood") == ["Norwood", "Ｎｏｒｗｏｏｄ"]


def test_explore_search_finds_traditional_full_width_and_curly_forms(data_dir, make_record) -> None:
    store = Store(data_dir)
    store.add_records([make_record(text=t, trackers=[TRACKER]) for t in TEXTS])

    def found(search: str) -> list[str]:
        with store.connect() as con:
            frame, total = records_page(con, Filters(TRACKER), search=search)
        assert total == len(frame)
        return sorted(frame["text"])

    assert found("爱奇艺") == found("愛奇藝") == sorted(TEXTS[:2])
    assert found("AI艺人库") == sorted(TEXTS[:2])
    assert found("AI演员") == found("ａｉ演员") == [TEXTS[2]]
    assert found("isn't") == sorted([TEXTS[3], TEXTS[4]])
    assert found("爱奇艺 上线") == [TEXTS[1]]  # every term must match
    assert found("100%") == []  # LIKE's wildcards stay literal


def test_explore_links_web_addresses_by_the_rule_the_brief_uses(data_dir, make_record) -> None:
    """Explore's link column matched http(s) case-sensitively: an address written HTTPS://… lost its link there while
    the brief and the label page (web_url) kept it; a javascript: one stays out of both."""
    from collectors.urls import web_url

    urls = ["HTTPS://Example.com/a", "https://example.com/b", "JavaScript:alert(1)", " javascript:alert(2)",
            "data:text/html,<script>x</script>"]
    store = Store(data_dir)
    store.add_records([make_record(text=f"post {n}", url=u, trackers=[TRACKER]) for n, u in enumerate(urls)])
    with store.connect() as con:
        frame, _total = records_page(con, Filters(TRACKER))
    shown = {text: url if isinstance(url, str) else None for text, url in zip(frame["text"], frame["url"], strict=True)}
    assert [shown[f"post {n}"] for n in range(len(urls))] == [web_url(u) for u in urls] == [*urls[:2], None, None, None]
