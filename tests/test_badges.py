"""Honest badges: the figure beside every sentiment, stance and emotion chart is its model card's in-domain
headline, on the page (AppTest), in embeds and exports, in briefs; a badge quoting a figure its card does not
hold fails here.

Cards are fixtures in a temporary models directory (ACTORWATCH_MODELS_DIR): the shipped cards are rebuilt by
`actorwatch train` and their figures change with every model.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from itertools import cycle
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from analysis.core.annotations import ANNOTATIONS, ANNOTATIONS_SCHEMA, ANNOTATIONS_SPEC
from analysis.core.filters import Filters
from analysis.nlp.model_info import find_card, in_domain_badges, task_badge
from analysis.nlp.tasks import EMOTION, STANCE
from collectors.store import Store
from collectors.trackers import get_tracker, public_names
from tests import test_dashboard_pages as pages
from tests.dashboard_store import MODEL, VERSION, build_store

TRACKER = "iqiyi-nadou"
EMOTION_SCHEMA = ANNOTATIONS_SCHEMA  # enrichment writes `emotion` (a class name) and `emotion_score`
EMOTION_SPEC = replace(ANNOTATIONS_SPEC, schema=EMOTION_SCHEMA)


def report(classes: tuple[str, ...], n: int, f1: float, ci: list[float], acc: float, acc_ci: list[float],
           diagonal: int) -> dict[str, Any]:
    """A small evaluate_classes-shaped report (confusion with `diagonal` right per class, the rest off by one)."""
    k = len(classes)
    per = n // k
    matrix = [[diagonal if i == j else (per - diagonal if j == (i + 1) % k else 0) for j in range(k)] for i in range(k)]
    return {"n": n, "accuracy": acc, "accuracy_ci95": acc_ci, "macro_f1": f1, "macro_f1_ci95": ci,
            "confusion": {"labels": list(classes), "rows": "true", "columns": "predicted", "matrix": matrix}}


def card(task: str, name: str, version: str, classes: tuple[str, ...], value: float, ci: list[float],
         n: int, baseline: str) -> dict[str, Any]:
    test = report(classes, n, value, ci, 0.6412, [0.6011, 0.6823], 20)
    return {
        "name": name, "version": version, "task": task, "classes": list(classes),
        "headline": {"metric": "macro_f1", "value": value, "ci95": ci, "n": n, "file": "data/labelled/test.csv",
                     "description": f"{n} real sentences about AI actors (test split)"},
        "in_domain": {"test": test, "dev": report(classes, 140, 0.5531, [0.4712, 0.6245], 0.6, [0.52, 0.68], 20)},
        "evaluations": [
            {"file": "data/labelled/test.csv", "role": "in-domain test, zh",
             "default": report(classes, 105, 0.6622, [0.6012, 0.7113], 0.7, [0.61, 0.78], 15),
             baseline: report(classes, 105, 0.3344, [0.2811, 0.3901], 0.4, [0.31, 0.49], 5)},
            {"file": "data/labelled/test.csv", "role": "in-domain test, en",
             "default": report(classes, 70, 0.5818, [0.4907, 0.6634], 0.6, [0.5, 0.7], 7),
             baseline: report(classes, 70, 0.2927, [0.2104, 0.3733], 0.3, [0.2, 0.4], 3)}],
        "training_files": [{"file": "data/labelled/train.csv", "rows": 1994, "sha256": "ab" * 32,
                            "synthetic_rows": 0, "used_for": "training"}],
        "speed_posts_per_s": 15321.5,
    }


SENTIMENT_CLASSES = ("negative", "positive", "neutral")


def write_cards(root: Path, **override: dict[str, Any]) -> dict[str, dict[str, Any]]:
    cards = {
        # the sentiment card names the store's scored model version; it keeps an older general-Weibo figure
        # (macro_f1 0.79) that a badge must not quote
        "sentiment": {**card("sentiment", MODEL, VERSION, SENTIMENT_CLASSES, 0.6137, [0.5712, 0.6524], 210, "snownlp"),
                      "macro_f1": 0.7893, "macro_f1_source": "sentiment3_dev.csv (general Weibo)"},
        "stance": card("stance", "stance-charlr-5c", "1.0.5tance", STANCE.classes, 0.4468, [0.3921, 0.5016], 175,
                       "rules"),
        "emotion": card("emotion", "emotion-charlr-7c", "1.0.em0", EMOTION.classes, 0.3815, [0.3307, 0.4328], 210,
                        "majority"),
    }
    cards.update(override)
    dirs = {"sentiment": "weibo-oracle-3c", "stance": "stance-charlr-5c", "emotion": "emotion-charlr-7c"}
    for task, content in cards.items():
        (root / dirs[task]).mkdir(parents=True, exist_ok=True)
        (root / dirs[task] / "card.json").write_text(json.dumps(content), encoding="utf-8")
    return cards


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "models"
    monkeypatch.setenv("ACTORWATCH_MODELS_DIR", str(root))
    return root


# ---------- the check: every number a badge quotes is in the card it names ----------

NUMBER = re.compile(r"\d+(?:\.\d+)?")


def card_numbers(value: Any) -> list[float]:
    """Every number in a card: its numeric values and the numbers written inside its strings."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [float(value)]
    if isinstance(value, str):
        return [float(x) for x in NUMBER.findall(value)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in card_numbers(v)]
    if isinstance(value, list):
        return [x for v in value for x in card_numbers(v)]
    return []


def assert_badge_from_card(text: str, badge_card: dict[str, Any]) -> None:
    """Every number in the badge (its model name and version aside) is one of the card's numbers at the
    precision quoted, and the figure quoted is the card's headline, interval and n."""
    figures = text
    for ident in (badge_card.get("name"), badge_card.get("version")):
        figures = figures.replace(str(ident), "")
    held = card_numbers(badge_card)
    for token in NUMBER.findall(figures):
        places = len(token.split(".")[1]) if "." in token else 0
        assert any(abs(round(x, places) - float(token)) < 1e-9 for x in held), \
            f"badge quotes {token}, which its card does not hold: {text!r}"
    head = badge_card["headline"]
    quoted = re.search(r"macro-F1 (\d\.\d\d) \[(\d\.\d\d)–(\d\.\d\d)\]", text)
    assert quoted, f"no headline figure with its interval in {text!r}"
    assert [float(x) for x in quoted.groups()] == [round(head["value"], 2), *(round(v, 2) for v in head["ci95"])]
    assert f"On {head['n']} real sentences about AI actors (test split)" in text


def test_the_check_fails_on_a_figure_the_card_does_not_hold() -> None:
    stance = card("stance", "stance-charlr-5c", "1.0.5tance", STANCE.classes, 0.4468, [0.3921, 0.5016], 175, "rules")
    good = task_badge("stance", (stance, Path("stance-charlr-5c/card.json")))["text"]
    assert_badge_from_card(good, stance)
    for made_up in (good.replace("0.45", "0.93"),  # a figure in no card
                    good.replace("0.45 [0.39–0.50]", "0.64 [0.60–0.68]"),  # the card's accuracy, not its headline
                    good.replace("On 175", "On 912")):
        with pytest.raises(AssertionError):
            assert_badge_from_card(made_up, stance)


# ---------- the card reader and the badge text ----------

def test_badges_quote_the_headline_and_say_when_there_is_none(models: Path) -> None:
    cards = write_cards(models)
    sentiment = task_badge("sentiment", find_card("sentiment", VERSION))
    assert sentiment["text"] == (f"Sentiment model {MODEL} {VERSION} — On 210 real sentences about AI actors "
                                 "(test split): macro-F1 0.61 [0.57–0.65]")
    assert "0.79" not in sentiment["text"], "the older general-Weibo figure is not the badge"
    assert sentiment["card"] == "weibo-oracle-3c/card.json"  # not the machine's absolute path: readers see it
    assert str(models) not in sentiment["card"]
    for task in ("stance", "emotion"):
        badge = task_badge(task, find_card(task))
        assert badge["in_domain"] and badge["name"] == cards[task]["name"]
        assert_badge_from_card(badge["text"], cards[task])
    # an older card without a headline: sentiment keeps today's figure and says what it is; others say so
    write_cards(models, **{task: {k: v for k, v in cards[task].items() if k != "headline"}
                           for task in ("sentiment", "stance")})
    sentiment = task_badge("sentiment", find_card("sentiment", VERSION))
    assert sentiment["text"].endswith("measured macro-F1 0.79 on sentiment3_dev.csv (general Weibo); not measured "
                                      "on in-domain text")
    assert task_badge("stance", find_card("stance"))["text"] == \
        "Stance model stance-charlr-5c 1.0.5tance — not measured on in-domain text"
    assert task_badge("emotion", None)["text"] == "Emotion: no model card found; not measured on in-domain text"


def test_stance_card_is_the_one_the_annotations_name(models: Path) -> None:
    write_cards(models)
    other = card("stance", "stance-other-5c", "2.0.other", STANCE.classes, 0.7012, [0.6611, 0.7402], 175, "rules")
    (models / "stance-other-5c").mkdir()
    (models / "stance-other-5c" / "card.json").write_text(json.dumps({**other, "created_at": "2000-01-01"}))
    con = duckdb.connect()
    assert in_domain_badges(con, VERSION)["stance"]["version"] == "2.0.other", "default: the newest-named card"
    con.execute(f"CREATE TABLE {ANNOTATIONS} (source TEXT, id TEXT, pipeline_version TEXT, annotated_at TIMESTAMPTZ)")
    con.execute(f"INSERT INTO {ANNOTATIONS} VALUES ('weibo', '1', 'p4-abc+stance-charlr-5c-1.0.5tance', now())")
    assert in_domain_badges(con, VERSION)["stance"]["name"] == "stance-charlr-5c"
    # annotations that say which model wrote their stance, and it has no card: not measured, whatever the default
    con.execute(f"ALTER TABLE {ANNOTATIONS} ADD COLUMN stance_model TEXT")
    con.execute(f"UPDATE {ANNOTATIONS} SET pipeline_version = 'p4-abc', stance_model = 'stance-rules-1'")
    badge = in_domain_badges(con, VERSION)["stance"]
    assert badge["card"] is None and badge["text"].endswith("not measured on in-domain text")


# ---------- a store with stance and emotion annotations ----------

@pytest.fixture(scope="module")
def badge_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("badge-store")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACTORWATCH_DATA", str(path))
        mp.setenv("ACTORWATCH_PSEUDONYM_KEY", "test-key-not-secret")
        store = build_store(path, records=900, hostile=False)
        with store.connect() as con:
            keys = con.execute("SELECT source, id FROM records ORDER BY source, id").fetchall()
        stances, emotions = cycle(STANCE.classes), cycle([*EMOTION.classes, "happy"])  # an alias too
        n = len(keys)
        store.add_table(ANNOTATIONS, pa.Table.from_pydict({
            "source": [k[0] for k in keys], "id": [k[1] for k in keys], "pipeline_version": ["p9-test"] * n,
            "lang": ["zh"] * n, "is_empty": [False] * n, "stance": [next(stances) for _ in keys],
            "stance_score": [0.7] * n, "entities": [[]] * n, "frames": [[]] * n, "keywords": [[]] * n,
            "annotated_at": [datetime(2026, 11, 3, tzinfo=UTC)] * n,
            "emotion": [next(emotions) for _ in keys], "emotion_score": [0.6] * n}, schema=EMOTION_SCHEMA),
            EMOTION_SPEC)
    return path


@pytest.fixture
def store(badge_store: Path, isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ACTORWATCH_DATA", str(badge_store))
    return badge_store


def link_labels(at: Any) -> list[str]:
    return [link.proto.label for link in at.get("page_link")]


def badge_texts(at: Any) -> list[str]:
    return pages.model_badges(at)


PAGES = [("overview", "sentiment", "Sentiment model"), ("voices", "stance", "Stance model"),
         ("topics", "emotion", "Emotion model")]


@pytest.mark.parametrize(("page", "task", "prefix"), PAGES)
def test_each_badge_on_its_page_quotes_only_its_card(store: Path, models: Path, page: str, task: str,
                                                     prefix: str) -> None:
    cards = write_cards(models)
    at = pages.open_page(page)
    badges = [label for label in badge_texts(at) if label.startswith(prefix)]
    assert badges, f"{page}: no {task} badge beside the chart: {badge_texts(at)}"
    assert "How it was measured: Methods" in link_labels(at)
    for text in badges:
        assert_badge_from_card(text, cards[task])
    # the card changes (a retrained model): the badge follows it, and no longer matches the old card
    tampered = copy.deepcopy(cards[task])
    tampered["headline"].update(value=0.5123, ci95=[0.4677, 0.5581])
    write_cards(models, **{task: tampered})
    again = [label for label in badge_texts(pages.open_page(page)) if label.startswith(prefix)]
    assert again and all("macro-F1 0.51 [0.47–0.56]" in text for text in again)
    assert_badge_from_card(again[0], tampered)
    with pytest.raises(AssertionError):
        assert_badge_from_card(again[0], cards[task])


def test_stance_and_emotion_charts_show_shares_with_intervals(store: Path, models: Path) -> None:
    write_cards(models)
    voices = pages.open_page("voices")
    stance = next(s for s in pages.specs(voices) if "stance of posts" in s["layout"]["title"]["text"])
    assert sorted(pages.trace_names(stance)) == sorted(STANCE.classes)
    assert len([t for t in stance["data"] if t.get("fill") == "toself"]) == 5, "each share needs its 95% band"
    assert "stance-charlr-5c" in stance["layout"]["title"]["text"]
    topics = pages.open_page("topics", {"freq": "W"})
    emotion = next(s for s in pages.specs(topics) if "emotion" in s["layout"]["title"]["text"])
    assert pages.trace_names(emotion) == list(EMOTION.classes)
    alt = next(c.proto.alt for c in topics.get("plotly_chart") if "by emotion" in c.proto.alt)
    assert "joy" in alt and "with 95% intervals" in alt


def test_emotion_series_counts_aliases_and_is_empty_without_the_column(store: Path) -> None:
    from analysis.stats.annotation_series import emotion_counts_by_period

    f = Filters.for_tracker(get_tracker(TRACKER))
    with Store(store).connect(public_names=public_names()) as con:
        frame = emotion_counts_by_period(con, f, "W")
        stance_total = con.execute("SELECT count(*) FROM annotations a JOIN records r USING (source, id) WHERE "
                                   + f.where("r")[0], f.where("r")[1]).fetchone()[0]
    assert set(frame["emotion"]) == set(EMOTION.classes)
    per_period = frame.drop_duplicates("period")
    assert per_period["n"].sum() == stance_total, "every annotated record counts once ('happy' read as joy)"
    joy = frame[frame["emotion"] == "joy"]["records"].sum()
    anger = frame[frame["emotion"] == "anger"]["records"].sum()
    assert joy > anger, "the alias 'happy' is counted as joy"
    busy = frame[frame["n"] > 0]
    assert ((busy["share_lo"] <= busy["share"]) & (busy["share"] <= busy["share_hi"])).all()
    con = duckdb.connect()
    con.execute("CREATE TABLE records AS SELECT * FROM (VALUES ('weibo', '1')) t(source, id)")
    con.execute(f"CREATE TABLE {ANNOTATIONS} (source TEXT, id TEXT, stance TEXT, annotated_at TIMESTAMPTZ)")
    assert emotion_counts_by_period(con, f).empty, "no emotion column yet: an empty frame, not an error"


def test_embeds_exports_and_briefs_carry_the_same_figures(store: Path, models: Path, tmp_path: Path) -> None:
    from analysis.reports.brief import gather, methods_lines
    from analysis.reports.export import export_bundle
    from dashboard.charts import registry as chart_registry
    from dashboard.charts.embed import standalone_html
    from dashboard.model_info import model_summary

    cards = write_cards(models)
    tracker = get_tracker(TRACKER)
    with Store(store).connect(public_names=public_names()) as con:
        model = model_summary(con)
        for name, task in (("overview-sentiment", "sentiment"), ("voices-stance", "stance"),
                           ("topics-emotion", "emotion")):
            view = chart_registry.View(Filters.for_tracker(tracker), model["version"])
            package = chart_registry.build(name, con, view, model)
            assert package.notes.startswith(model["badges"][task]["text"]), name
            assert_badge_from_card(package.notes, cards[task])
            assert model["badges"][task]["text"] in standalone_html(package).replace("&#x27;", "'")
    manifest = export_bundle(Store(store), tracker, Filters.for_tracker(tracker), tmp_path / "bundle").manifest
    for task in ("sentiment", "stance", "emotion"):
        figure = manifest["model"]["in_domain"][task]
        assert figure["headline"]["value"] == cards[task]["headline"]["value"]
        assert figure["headline"]["ci95"] == cards[task]["headline"]["ci95"]
        assert_badge_from_card(figure["text"], cards[task])
    brief = gather(Store(store), tracker, "2026-W17")
    lines = methods_lines(brief)
    for task, prefix in (("sentiment", "Sentiment by"), ("stance", "Stance model"), ("emotion", "Emotion model")):
        line = next(x for x in lines if x.startswith(prefix))
        assert_badge_from_card(line.split(" Intervals are Wilson 95%")[0], cards[task])


def test_methods_page_tables_per_task(store: Path, models: Path) -> None:
    cards = write_cards(models)
    at = pages.open_page("methods")
    text = " ".join(m.value for m in at.markdown)
    for task in ("sentiment", "stance", "emotion"):
        assert f"Quoted beside every {task} chart:" in text
    frames = [df.value for df in at.dataframe]
    evaluations = [f for f in frames if "labelled set" in f.columns]
    assert len(evaluations) == 3
    stance = next(f for f in evaluations if f["model"].str.contains("stance-charlr-5c").any())
    assert set(stance["model"]) == {"ours (stance-charlr-5c)", "rules"}
    assert stance["macro-F1"].tolist() == [0.6622, 0.3344, 0.5818, 0.2927]
    assert stance["macro-F1 95% CI"].iloc[0] == "0.60–0.71"
    confusions = [f for f in frames if any(str(c).startswith("predicted ") for c in f.columns)]
    assert len(confusions) == 3
    emotion = next(f for f in confusions if len(f.columns) == len(EMOTION.classes))
    assert emotion.to_numpy().tolist() == cards["emotion"]["in_domain"]["test"]["confusion"]["matrix"]
    assert "data/labelled/README.md" in text


# ---------- an adapted model and its English route: the badge quotes the model's card ----------

def _adapted_card(task: str, name: str, version: str, **adapted: Any) -> dict[str, Any]:
    return {"name": name, "version": version, "task": task, "created_at": "2026-06-01T00:00:00+00:00",
            "adapted": {"tracker": TRACKER, "n_labels": 40, "n_annotators": 1, "cv_macro_f1_adapted": 0.5512,
                        "cv_macro_f1_adapted_ci95": [0.4411, 0.6613], "cv_macro_f1_base": 0.4012, **adapted}}


def _install(data_dir: Path, folder: str, content: dict) -> None:
    """An adapted model's card where `actorwatch adapt` writes it (<data dir>/models/<folder>/card.json)."""
    (data_dir / "models" / folder).mkdir(parents=True)
    (data_dir / "models" / folder / "card.json").write_text(json.dumps(content), encoding="utf-8")


def _annotated_by(pipeline_version: str) -> duckdb.DuckDBPyConnection:
    """A connection whose one annotation was written by `pipeline_version`."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE {ANNOTATIONS} (source TEXT, id TEXT, pipeline_version TEXT, annotated_at TIMESTAMPTZ)")
    con.execute(f"INSERT INTO {ANNOTATIONS} VALUES ('weibo', '1', ?, now())", [pipeline_version])
    return con


@pytest.mark.parametrize(("route_dir", "route_version"), [
    ("a-english-route", "1.0.en0-iqiyi-nadou.bbbb2222"),  # the route's folder sorts first, versions of one length
    ("zz-english-route", "1.0.en-wordlr-iqiyi-nadou.bbbb2222"),  # the route's version is the longer
])
def test_badge_quotes_the_adapted_model_never_its_english_route(models: Path, data_dir: Path, route_dir: str,
                                                                route_version: str) -> None:
    write_cards(models)
    main = _adapted_card("emotion", "emotion-charlr-7c-iqiyi-nadou", "1.0.em0-iqiyi-nadou.aaaa1111")
    route = _adapted_card("emotion", "emotion-charlr-7c-iqiyi-nadou-en", route_version,
                          part_of="emotion-charlr-7c-iqiyi-nadou")
    for folder, content in (("emotion-charlr-7c-iqiyi-nadou", main), (route_dir, route)):
        _install(data_dir, folder, content)
    # what `enrich --model` writes on re-annotating: "|emotion=<model version>+<English route version>"
    con = _annotated_by(f"p4-abc|emotion={main['version']}+{route['version']}")
    badge = in_domain_badges(con, VERSION)["emotion"]
    assert badge["name"] == main["name"] and badge["version"] == main["version"]
    assert "adapted on 40 labels by 1 annotator: cross-validated macro-F1 0.55 [0.44–0.66]" in badge["text"]


@pytest.mark.parametrize("adapted_from", ["ai-actors-e5-3c", "weibo-charlr-3c", None])
def test_a_sentiment_badge_and_manifest_name_the_fast_base_when_the_model_was_adapted_from_the_e5_option(
        models: Path, data_dir: Path, adapted_from: str | None) -> None:
    """`adapt --base auto` choosing the e5 option compares it with the tracker's fast base: the badge (and the export
    manifest's statement) name that base beside its figure, and the model adapted; otherwise "(base model 0.40)"."""
    from analysis.nlp.model_info import accuracy_line, model_card_summary

    write_cards(models)
    extra = {"adapted_from": adapted_from} if adapted_from else {}
    card = _adapted_card("sentiment", f"{adapted_from or 'weibo-charlr-3c'}-{TRACKER}", f"9.9-{TRACKER}.cccc3333",
                         base_model="weibo-charlr-3c", base_version="1.0.e4b32f04", **extra)
    _install(data_dir, card["name"], card)
    badge = in_domain_badges(duckdb.connect(), card["version"], card["name"])["sentiment"]
    statement = accuracy_line(model_card_summary(card["version"], card["name"], TRACKER))
    switched = "(base model weibo-charlr-3c 0.40; adapted from ai-actors-e5-3c)"
    plain = "cross-validated macro-F1 0.55 [0.44–0.66] (base model 0.40)"
    for text in (badge["text"], statement):
        assert (switched in text) == (adapted_from == "ai-actors-e5-3c"), text
        assert (plain in text) == (adapted_from != "ai-actors-e5-3c"), text


def test_another_trackers_badge_keeps_the_shipped_card_not_an_adapted_one(models: Path, data_dir: Path) -> None:
    """Annotations naming no model (nor an enrichment code version: an imported bundle's) get the task's shipped
    card, not a newer card adapted to some tracker."""
    cards = write_cards(models)
    adapted = _adapted_card("stance", "stance-charlr-5c-iqiyi-nadou", "1.0.5tance-iqiyi-nadou.aaaa1111")
    _install(data_dir, adapted["name"], adapted)
    con = _annotated_by("imported-bundle")
    badge = in_domain_badges(con, VERSION)["stance"]
    assert badge["name"] == cards["stance"]["name"] and badge["version"] == cards["stance"]["version"]


def test_after_a_re_adapt_the_old_annotations_are_not_credited_to_the_base_or_the_new_card(
        models: Path, data_dir: Path) -> None:
    """Re-adapting rewrites the card with a new version; records still annotated by the old version get no figure
    (not the base's, whose version is a prefix of the adapted one's, nor the new model's)."""
    cards = write_cards(models)
    readapted = _adapted_card("emotion", "emotion-charlr-7c-iqiyi-nadou", "1.0.em0-iqiyi-nadou.new22222")
    _install(data_dir, readapted["name"], readapted)
    con = _annotated_by("p4-abc|emotion=1.0.em0-iqiyi-nadou.old11111")
    badge = in_domain_badges(con, VERSION)["emotion"]
    assert badge["card"] is None and badge["headline"] is None
    assert "1.0.em0-iqiyi-nadou.old11111" in badge["text"] and "no model card found" in badge["text"]
    assert f"{cards['emotion']['in_domain']['test']['macro_f1']:.2f}" not in badge["text"]
    assert "0.55" not in badge["text"]


def test_stance_and_emotion_in_an_empty_range_say_so_rather_than_to_run_enrich(store: Path, models: Path) -> None:
    """On a store whose records carry stance and emotion annotations, dates with no record drew the stance and
    emotion charts with "run `actorwatch enrich`"; they now say the selected range has none, and only a tracker
    nothing has annotated keeps the enrich hint (as the sentiment charts do)."""
    from analysis.stats.annotation_series import has_annotations

    write_cards(models)
    dates = {"from": "2025-06-01", "to": "2025-06-10"}
    stance = next(s for s in pages.specs(pages.open_page("voices", dates))
                  if "stance of posts" in s["layout"]["title"]["text"])
    emotion = next(s for s in pages.specs(pages.open_page("topics", dates)) if "emotion" in s["layout"]["title"]["text"])
    for spec in (stance, emotion):
        said = [a["text"] for a in spec["layout"].get("annotations", []) if a.get("xref") == "paper"]
        assert said and "selected range" in said[0] and "enrich" not in said[0], (spec["layout"]["title"], said)
    with Store(store).connect(public_names=public_names()) as con:
        assert has_annotations(con, TRACKER, "stance") and has_annotations(con, TRACKER, "emotion")
    con = duckdb.connect()
    con.execute("CREATE TABLE records AS SELECT * FROM (VALUES ('weibo', '1', ['other-tracker'])) t(source, id, trackers)")
    assert not has_annotations(con, TRACKER, "stance"), "no annotations table: nothing annotated"
    con.execute(f"CREATE TABLE {ANNOTATIONS} (source TEXT, id TEXT, stance TEXT, annotated_at TIMESTAMPTZ)")
    con.execute(f"INSERT INTO {ANNOTATIONS} VALUES ('weibo', '1', 'oppose', now())")
    assert not has_annotations(con, TRACKER, "stance"), "another tracker's annotations do not count"
    assert has_annotations(con, "other-tracker", "stance")
    assert not has_annotations(con, "other-tracker", "emotion"), "no emotion column: no emotion annotations"


class _OldStance:
    """A stance model as an older release shipped it: same name, an earlier version than the card's."""

    name, classes = "stance-charlr-5c", STANCE.classes

    def __init__(self, version: str) -> None:
        self.version = version

    def predict_proba(self, texts: list[str]) -> Any:
        import numpy as np

        return np.tile(np.eye(len(self.classes))[0], (len(texts), 1))


@pytest.mark.parametrize("version", ["0.9.older", "1.0.5tance"])
def test_annotations_made_by_an_older_stance_model_are_not_credited_to_the_current_card(
        models: Path, data_dir: Path, make_record: Any, monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    """Enrichment's pipeline version was a bare digest ("p6-…"), so a store annotated before the stance model was
    retrained was badged, exported and briefed with the new card's version and in-domain figure, as if the new
    model had written its stances. Enrichment now names each task model's version in the pipeline version."""
    from analysis.nlp import enrich
    from tests.nlp_fixtures import install_fake_sentiment, write_records

    cards = write_cards(models)
    install_fake_sentiment(monkeypatch)
    monkeypatch.setattr(enrich, "_task_model", lambda kind: _OldStance(version) if kind == "stance" else None)
    store = Store(data_dir)
    write_records(store, make_record, ["爱奇艺的AI艺人库太恶心了", "支持AI演员"], trackers=[TRACKER])
    enrich.enrich_store(store, workers=1)
    with store.connect() as con:
        badge = in_domain_badges(con, VERSION, tracker=TRACKER)["stance"]
    if version == cards["stance"]["version"]:
        assert badge["card"] is not None and badge["headline"] == cards["stance"]["headline"]
    else:
        assert badge["card"] is None and badge["headline"] is None and version in badge["text"]
        assert f"{cards['stance']['headline']['value']:.2f}" not in badge["text"]


def test_annotations_from_enrichment_that_named_no_model_get_no_figure(models: Path) -> None:
    """Stores enriched before the pipeline version named its models ('p6-<digest>') were badged with whatever card
    is current, though nothing says which model wrote their stances: the badge now says so and quotes no figure."""
    from analysis.nlp.enrich import PIPELINE_CODE_VERSION

    write_cards(models)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE {ANNOTATIONS} (source TEXT, id TEXT, pipeline_version TEXT, annotated_at TIMESTAMPTZ)")
    con.execute(f"INSERT INTO {ANNOTATIONS} VALUES ('weibo', '1', 'p6-0a577b3fc7', now())")
    for task in ("stance", "emotion"):
        badge = in_domain_badges(con, VERSION)[task]
        assert badge["card"] is None and badge["headline"] is None
        assert "re-run `actorwatch enrich`" in badge["text"]
    con.execute(f"UPDATE {ANNOTATIONS} SET pipeline_version = "
                f"'p{PIPELINE_CODE_VERSION}-0a577b3fc7|stance=1.0.5tance|emotion=1.0.em0'")
    assert all(in_domain_badges(con, VERSION)[task]["headline"] for task in ("stance", "emotion"))


def test_a_tracker_annotated_by_two_model_versions_is_said_to_be_mixed(models: Path) -> None:
    """A store partly re-enriched after a model changed (or an enrich stopped half way) draws its stance chart from two
    models' output, but the badge named only the newest annotation's model: it now says the figure is mixed, with
    how many records each version annotated."""
    write_cards(models)
    con = duckdb.connect()
    con.execute("CREATE TABLE records (source TEXT, id TEXT, trackers TEXT[])")
    con.execute("INSERT INTO records VALUES ('weibo', '1', ['iqiyi-nadou']), ('weibo', '2', ['iqiyi-nadou']), "
                "('weibo', '3', ['iqiyi-nadou']), ('weibo', '4', ['tilly-norwood'])")
    con.execute(f"CREATE TABLE {ANNOTATIONS} (source TEXT, id TEXT, pipeline_version TEXT, annotated_at TIMESTAMPTZ)")
    con.execute(f"INSERT INTO {ANNOTATIONS} VALUES "
                "('weibo', '1', 'p7-aaaaaaaaaa|stance=0.9.older|emotion=1.0.em0', '2026-05-01'), "
                "('weibo', '1', 'p7-bbbbbbbbbb|stance=1.0.5tance|emotion=1.0.em0', '2026-06-01'), "
                "('weibo', '2', 'p7-bbbbbbbbbb|stance=1.0.5tance|emotion=1.0.em0', '2026-06-01'), "
                "('weibo', '3', 'p7-aaaaaaaaaa|stance=0.9.older|emotion=1.0.em0', '2026-05-01'), "
                "('weibo', '4', 'p7-cccccccccc|stance=0.8.oldest|emotion=1.0.em0', '2026-05-01')")
    badges = in_domain_badges(con, VERSION, tracker=TRACKER)
    assert "mixed" in badges["stance"]["text"] and "1.0.5tance: 2 records" in badges["stance"]["text"]
    assert "0.9.older: 1 record" in badges["stance"]["text"] and "0.8.oldest" not in badges["stance"]["text"]
    assert "mixed" not in badges["emotion"]["text"]  # one emotion model throughout


@pytest.mark.parametrize("task", ["stance", "emotion"])
def test_annotations_of_one_instant_are_picked_the_same_whatever_the_file_order(task: str) -> None:
    """Two annotations of a record written at the same instant (two imports, a copy) were picked by the order the
    store's files were read in, so the same data could give two stance charts and badges; ties now go the same
    way every time."""
    from analysis.core.annotations import annotations_scan
    from analysis.nlp.model_info import annotation_model_names

    picked = set()
    for order in (("p7-a|stance=1|emotion=1", "p7-b|stance=2|emotion=2"),
                  ("p7-b|stance=2|emotion=2", "p7-a|stance=1|emotion=1")):
        con = duckdb.connect()
        con.execute(f"CREATE TABLE {ANNOTATIONS} (source TEXT, id TEXT, pipeline_version TEXT, stance TEXT, "
                    "annotated_at TIMESTAMPTZ)")
        for version in order:
            con.execute(f"INSERT INTO {ANNOTATIONS} VALUES ('weibo', '1', ?, ?, '2026-05-01')", [version, version[3]])
        picked.add((con.execute(f"SELECT stance FROM {annotations_scan(con)}").fetchall()[0][0],
                    annotation_model_names(con, task)[0]))
    assert len(picked) == 1, picked
