"""Deep links: one URL per view, the default page at `/`, the same links from analysis and the embed kit."""

from __future__ import annotations

from datetime import date

from analysis.core.filters import Filters
from analysis.reports.links import DEFAULT_PAGE, deep_link, filter_params

F = Filters("iqiyi-nadou", date(2026, 4, 20), date(2026, 4, 21), sources=("weibo", "rss"), langs=("zh",))


def test_default_page_is_served_at_the_root_and_other_pages_at_their_url_path():
    assert deep_link(DEFAULT_PAGE, F, "http://h").startswith("http://h/?tracker=iqiyi-nadou&")
    assert deep_link("hot-search", F, "http://h/").startswith("http://h/hot-search?tracker=")


def test_filters_and_their_params_give_the_same_link_with_options_after_the_filters():
    params = {**filter_params(F), "window": "5", "freq": "W"}
    assert deep_link("timeline", F, "http://h") == deep_link("timeline", filter_params(F), "http://h")
    assert deep_link("timeline", params, "http://h") == (
        "http://h/timeline?tracker=iqiyi-nadou&from=2026-04-20&to=2026-04-21&source=weibo&source=rss&lang=zh"
        "&freq=W&window=5")


def test_embed_links_name_the_chart_and_drop_empty_params():
    link = deep_link("overview", {"tracker": "t", "lang": [], "with": ""}, "http://h", chart="overview-volume",
                     embed=True)
    assert link == "http://h/?tracker=t&chart=overview-volume&embed=true"


def test_base_url_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("ACTORWATCH_PUBLIC_URL", "https://watch.example/")
    assert deep_link("voices", Filters("t"), None) == "https://watch.example/voices?tracker=t"
    from dashboard.charts.embed import ChartPackage

    package = ChartPackage(name="c", title="t", fig=None, data=None, alt="", params={"tracker": "t"},  # type: ignore[arg-type]
                           url_path="voices")
    assert package.deep_link() == "https://watch.example/voices?tracker=t"
