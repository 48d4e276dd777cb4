"""The Voices page's stance of posts is the stance of social posts, not of news articles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

from analysis.core.filters import Filters
from collectors.models import Record
from collectors.store import Store


def _stances(store: Store, stances: dict[tuple[str, str], str]) -> None:
    from analysis.core.annotations import ANNOTATIONS, ANNOTATIONS_SCHEMA, ANNOTATIONS_SPEC

    keys = list(stances)
    columns = {name: pa.nulls(len(keys), ANNOTATIONS_SCHEMA.field(name).type) for name in ANNOTATIONS_SCHEMA.names}
    columns.update({"source": pa.array([k[0] for k in keys]), "id": pa.array([k[1] for k in keys]),
                    "pipeline_version": pa.array(["test-pipeline"] * len(keys)),
                    "stance": pa.array([stances[k] for k in keys], ANNOTATIONS_SCHEMA.field("stance").type),
                    "annotated_at": pa.array([datetime(2026, 5, 1, tzinfo=UTC)] * len(keys),
                                             pa.timestamp("us", tz="UTC"))})
    store.add_table(ANNOTATIONS, pa.table(columns, schema=ANNOTATIONS_SCHEMA), ANNOTATIONS_SPEC)


def test_stance_of_posts_leaves_news_articles_out(data_dir, make_record: Callable[..., Record]) -> None:
    """Articles (kind article) were counted with the posts: six supportive news reports made the posts look split."""
    from dashboard.charts import registry
    from dashboard.charts.registry import View

    store = Store(data_dir)
    when = datetime(2026, 4, 20, 8, tzinfo=UTC)
    posts = [make_record(kind=kind, trackers=["iqiyi-nadou"], published_at=when)
             for kind in ("post", "post", "comment", "repost")]
    articles = [make_record(kind="article", source="gdelt", title=f"report {i}", trackers=["iqiyi-nadou"],
                            published_at=when, lang="en", text="AI actors report") for i in range(6)]
    store.add_records(posts + articles)
    _stances(store, {**{(r.source, r.id): "oppose" for r in posts}, **{(r.source, r.id): "support" for r in articles}})
    with store.connect() as con:
        package = registry.build("voices-stance", con, View(Filters(
            "iqiyi-nadou", date(2026, 4, 20), date(2026, 4, 20))).with_options(freq="D"), {})
    shares = package.data.set_index("stance")
    assert shares.loc["oppose", "records"] == 4 and shares.loc["support", "records"] == 0
    assert shares.loc["oppose", "share"] == pytest.approx(1.0)
    assert "news articles are left out" in package.notes and "news articles are left out" in package.alt
