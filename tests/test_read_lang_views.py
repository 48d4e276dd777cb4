"""A record's language is the one it is read in everywhere it is shown, filtered, grouped, counted or exported: a
Bluesky or Mastodon post declares its app's language as often as its own, and the models read the text."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from analysis.core.filters import Filters
from analysis.nlp.enrich import enrich_store
from analysis.stats.aggregate import kpis
from analysis.stats.annotation_series import unread_languages
from collectors.store import Store
from collectors.trackers import get_tracker
from tests.nlp_fixtures import install_fake_sentiment

TRACKER = "iqiyi-nadou"
START = datetime(2026, 4, 20, 8, tzinfo=UTC)
# (source, declared language, text, the language it is read in)
POSTS = [
    ("bluesky", "en", "La inteligencia artificial de esta empresa es un desastre para los actores y para el cine", "es"),
    ("bluesky", "en", "爱奇艺的AI艺人库太恶心了，坚决抵制", "zh"),
    ("mastodon", "en", "The AI artist library is impressive, and I like it", "en"),
    ("mastodon", "zh", "Les acteurs de synthèse ne sont pas une bonne idée pour le cinéma", "fr"),
    ("bluesky", "ja", "iQIYIのAI俳優はすごいと思う", "ja"),
]
VIEW = Filters(TRACKER, date(2026, 4, 20), date(2026, 4, 26))


def _write(store: Store, make_record, posts, first: int = 0) -> None:
    store.add_records([make_record(source=source, id=f"r{first + i}", lang=lang, text=text, trackers=[TRACKER],
                                   published_at=START.replace(minute=first + i))
                       for i, (source, lang, text, _) in enumerate(posts)])


@pytest.fixture
def store(data_dir, make_record, monkeypatch) -> Store:
    install_fake_sentiment(monkeypatch)
    s = Store(data_dir)
    _write(s, make_record, POSTS)
    enrich_store(s, workers=1)
    return s


def _langs(con) -> dict[str, tuple[str | None, str | None]]:
    rows = con.execute("SELECT id, lang, declared_lang FROM records").fetchall()
    return {i: (lang, declared) for i, lang, declared in rows}


def test_the_dashboard_filters_and_counts_a_record_by_the_language_it_is_read_in(store: Store) -> None:
    from dashboard.snapshot import open_snapshot

    con = open_snapshot(store)
    try:
        assert _langs(con) == {f"r{i}": (read, declared) for i, (_, declared, _, read) in enumerate(POSTS)}
        assert sorted(r[0] for r in con.execute("SELECT DISTINCT lang FROM records").fetchall()) == \
            ["en", "es", "fr", "ja", "zh"]
        counts = {lang: kpis(con, Filters(TRACKER, VIEW.start, VIEW.end, langs=(lang,)))["records"]
                  for lang in ("en", "es", "zh", "fr", "ja")}
        assert counts == {"en": 1, "es": 1, "zh": 1, "fr": 1, "ja": 1}  # declared: en 3, zh 1, ja 1
        # the not-read note under English counts nothing: the Spanish post is not English
        assert unread_languages(con, Filters(TRACKER, VIEW.start, VIEW.end, langs=("en",))) == {}
        assert unread_languages(con, Filters(TRACKER, VIEW.start, VIEW.end, langs=("es",))) == {"es": 1}
    finally:
        con.close()


def test_an_export_selects_and_shows_the_language_read_beside_the_declared_one(store: Store, tmp_path) -> None:
    from analysis.reports.export import export_bundle

    result = export_bundle(store, get_tracker(TRACKER), Filters(TRACKER, VIEW.start, VIEW.end, langs=("es",)),
                           tmp_path / "b")
    assert result.manifest["counts"]["records"] == 1
    frame = pd.read_csv(tmp_path / "b" / "records.csv", dtype=str, keep_default_na=False)
    assert (frame.loc[0, "lang"], frame.loc[0, "declared_lang"]) == ("es", "en")
    assert result.manifest["figures"]["not_scored_languages"]["by_language"] == {"es": 1}


def test_a_bundle_imported_again_keeps_the_declared_language(store: Store, data_dir, tmp_path) -> None:
    from analysis.reports.export import export_bundle, import_bundle

    export_bundle(store, get_tracker(TRACKER), VIEW, tmp_path / "b")
    other = Store(tmp_path / "other")
    import_bundle(tmp_path / "b", other)
    with other.connect(only=("records",)) as con:
        stored = dict(con.execute("SELECT id, lang FROM records").fetchall())
    assert stored == {f"r{i}": declared for i, (_, declared, _, _) in enumerate(POSTS)}


def test_a_record_not_yet_enriched_keeps_its_stored_language_until_enrichment_reads_it(store, make_record,
                                                                                       monkeypatch) -> None:
    from dashboard.snapshot import open_snapshot

    late = [("bluesky", "en", "Los actores de la empresa no quieren la inteligencia artificial en el cine", "es")]
    _write(store, make_record, late, first=len(POSTS))
    with open_snapshot(store) as con:
        assert _langs(con)[f"r{len(POSTS)}"] == ("en", "en")
    enrich_store(store, workers=1)
    with open_snapshot(store) as con:
        assert _langs(con)[f"r{len(POSTS)}"] == ("es", "en")


def test_a_chart_written_from_the_command_line_counts_as_the_dashboard_does(store: Store) -> None:
    """`actorwatch chart` reads the store, not the snapshot: the same chart with --lang es must hold the same post."""
    from dashboard.app_cli import _build_package

    package = _build_package("overview-volume", TRACKER, datetime(2026, 4, 20), datetime(2026, 4, 26), (), ("es",), ())
    assert package.data["records"].sum() == 1
