"""The export bundle: round trip through `actorwatch import-bundle`, manifest contents, and privacy."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from click.testing import CliRunner

from analysis.core.filters import Filters
from analysis.nlp.enrich import enrich_store
from analysis.reports.export import BundleError, read_bundle
from analysis.stats.aggregate import daily_sentiment, daily_volume, kpis
from analysis.stats.timeseries import volume_series
from collectors.pseudonym import POLICY
from collectors.store import Store
from dashboard.cli import cli
from tests.analytics_fixtures import VERSION, add_annotations, add_scores
from tests.nlp_fixtures import install_fake_sentiment

TRACKER = "iqiyi-nadou"
ORDINARY = [("880011", "吃瓜群众_01"), ("880022", "夏夜汽水_22"), ("880033", "quiet_heron33")]


def _store(data_dir, make_record) -> tuple[Store, list]:
    records = []
    for i in range(30):
        aid, name = ORDINARY[i % 3]
        records.append(make_record(
            published_at=datetime(2026, 4, 18 + i % 5, 3 + i % 12, tzinfo=UTC), trackers=[TRACKER],
            author_id=aid, author_name=name, url=f"https://weibo.com/{aid}/Post{i}",
            text=f"第{i}条 @{ORDINARY[(i + 1) % 3][1]} 爱奇艺 AI艺人库", likes=i, shares=i % 4 if i % 2 else None,
            source="weibo" if i % 4 else "bilibili", lang="zh", synthetic=i % 3 == 0))
    records.append(make_record(published_at=datetime(2026, 4, 20, 9, tzinfo=UTC), trackers=[TRACKER], kind="article",
                               source="rss", author_id="outlet-1", author_name="Example News", title="标题", lang="en",
                               text="An article, with \"quotes\", commas\nand a newline"))
    records.append(make_record(published_at=datetime(2026, 4, 21, 9, tzinfo=UTC), trackers=[TRACKER],
                               author_id="1999", author_name="某官方账号", author_verified=True,
                               author_verified_type=3, text="官方声明"))
    records.append(make_record(published_at=datetime(2026, 4, 21, 10, tzinfo=UTC), trackers=[TRACKER],
                               author_id=None, author_name="无ID用户", text="只有昵称"))
    store = Store(data_dir)
    store.add_records(records)
    labels = ("negative", "neutral", "positive")
    add_scores(store, {(r.source, r.id): labels[i % 3] for i, r in enumerate(records) if i % 7})
    add_annotations(store, {(r.source, r.id): ["iqiyi"] for r in records[:12]})
    return store, records


def _aggregates(data_dir):
    f = Filters(TRACKER, date(2026, 4, 17), date(2026, 4, 23))
    with Store(data_dir).connect() as con:
        k = kpis(con, f, VERSION)
        return ({key: k[key] for key in ("records", "authors", "synthetic_share", "share_negative", "scored")},
                daily_volume(con, f), daily_sentiment(con, f, VERSION), volume_series(con, f, by="entity"))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_round_trip_reproduces_aggregates(tmp_path, data_dir, make_record, fmt):
    _store(data_dir, make_record)
    bundle = tmp_path / "bundle"
    result = CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--format", fmt, "--out", str(bundle)])
    assert result.exit_code == 0, result.output
    before = _aggregates(data_dir)

    fresh = tmp_path / "fresh"
    result = CliRunner().invoke(cli, ["--data-dir", str(fresh), "import-bundle", str(bundle)])
    assert result.exit_code == 0, result.output
    assert "33 new" in result.output
    after = _aggregates(fresh)
    assert after[0] == before[0]
    for left, right in zip(before[1:], after[1:], strict=True):
        pd.testing.assert_frame_equal(left, right)
    # importing again adds nothing
    again = CliRunner().invoke(cli, ["--data-dir", str(fresh), "import-bundle", str(bundle)])
    assert "0 new" in again.output and "33 duplicate" in again.output


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_no_raw_id_of_an_ordinary_author_in_the_bundle(tmp_path, data_dir, make_record, fmt):
    _store(data_dir, make_record)
    bundle = tmp_path / "bundle"
    CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--format", fmt, "--out", str(bundle)],
                       catch_exceptions=False)
    blobs = {p.name: p.read_bytes() for p in bundle.iterdir()}
    assert set(blobs) == {f"records.{fmt}", "manifest.json"}
    secret = b"test-key-not-secret"
    for name, blob in blobs.items():
        for aid, nick in ORDINARY:
            assert aid.encode() not in blob, f"raw author id {aid} in {name}"
            assert nick.encode() not in blob, f"raw nickname {nick} in {name}"
        assert "无ID用户".encode() not in blob
        assert secret not in blob
    _manifest, frame = read_bundle(bundle)
    ordinary = frame[frame["author_name"].str.startswith("u_")]
    assert len(ordinary) == 31  # 30 ordinary posts + the one with only a nickname
    assert set(frame.loc[frame["kind"] == "article", "author_name"]) == {"Example News"}  # public: kept
    assert "某官方账号" in set(frame["author_name"])  # verified organisation: kept
    assert not frame["text"].str.contains("@吃瓜|@夏夜|@quiet").any()


def test_manifest_says_what_was_selected_and_how(tmp_path, data_dir, make_record):
    _store(data_dir, make_record)
    bundle = tmp_path / "b"
    result = CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--from", "2026-04-20", "--to", "2026-04-21",
                                      "--source", "weibo", "--out", str(bundle)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    _m, frame = read_bundle(bundle)
    assert set(frame["source"]) == {"weibo"} and manifest["counts"]["records"] == len(frame)
    assert manifest["filters"] == {"tracker": TRACKER, "from": "2026-04-20", "to": "2026-04-21", "sources": ["weibo"],
                                   "langs": [], "kinds": [], "kinds_counted": ["post", "comment", "repost", "article"],
                                   "kinds_note": manifest["filters"]["kinds_note"]}
    assert manifest["counts"]["by_source"] == {"weibo": len(frame)}
    assert manifest["time_zone"].startswith("UTC")
    assert manifest["pseudonymisation"]["policy"] == POLICY and manifest["pseudonymisation"]["key_included"] is False
    assert manifest["model"]["version"] == VERSION and manifest["model"]["measured"] is None
    assert "not measured" in manifest["model"]["note"]
    assert manifest["deep_link"] == (f"http://127.0.0.1:8501/?tracker={TRACKER}&from=2026-04-20"
                                     "&to=2026-04-21&source=weibo")
    assert manifest["software"]["name"] == "actorwatch" and manifest["generated_at"].endswith("+00:00")
    assert 0 < manifest["synthetic_share"] < 1 and manifest["counts"]["synthetic"] == frame["synthetic"].eq("True").sum()
    assert manifest["query"]["queries"]["weibo"]  # the tracker's real search terms
    assert len(manifest["files"][0]["sha256"]) == 64
    # the store state exported, as the dashboard's Methods page names it (labels left out, as there)
    assert manifest["store"]["signature"] == Store(data_dir).signature(skip=("labels",))


def test_tampered_or_incomplete_bundle_is_refused(tmp_path, data_dir, make_record):
    _store(data_dir, make_record)
    bundle = tmp_path / "b"
    CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--out", str(bundle)], catch_exceptions=False)
    with (bundle / "records.csv").open("a", encoding="utf-8") as fh:
        fh.write("extra\n")
    with pytest.raises(BundleError, match="checksum"):
        read_bundle(bundle)
    result = CliRunner().invoke(cli, ["import-bundle", str(tmp_path)])
    assert result.exit_code == 1 and "not an actorwatch export bundle" in result.output


def test_unknown_tracker_is_one_clear_line(tmp_path):
    result = CliRunner().invoke(cli, ["export", "--tracker", "nope", "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and "unknown tracker 'nope'" in result.output and "Traceback" not in result.output


def test_manifest_carries_the_measured_accuracy_from_the_model_card(tmp_path, data_dir, make_record, monkeypatch):
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"name": "weibo-charlr-3c", "version": VERSION, "evaluations": [
        {"file": "sentiment3_test.csv", "role": "held out: never used for training", "caveat": "",
         "default": {"n": 500, "accuracy": 0.8, "macro_f1": 0.75, "binary_accuracy": 0.9}}]}), encoding="utf-8")
    monkeypatch.setattr("analysis.nlp.model_info.card_files", lambda: [card])
    _store(data_dir, make_record)
    CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--out", str(tmp_path / "b")], catch_exceptions=False)
    model = json.loads((tmp_path / "b" / "manifest.json").read_text(encoding="utf-8"))["model"]
    assert model["name"] == "weibo-charlr-3c" and model["version"] == VERSION
    assert model["measured"] == [{"file": "sentiment3_test.csv", "role": "held out: never used for training",
                                  "caveat": None, "n": 500, "accuracy": 0.8, "macro_f1": 0.75, "binary_accuracy": 0.9}]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_streams_in_batches(tmp_path, data_dir, make_record, fmt):
    from analysis.reports.export import export_bundle
    from collectors.trackers import get_tracker

    store, records = _store(data_dir, make_record)
    one = export_bundle(store, get_tracker(TRACKER), Filters(TRACKER), tmp_path / "one", fmt)
    many = export_bundle(store, get_tracker(TRACKER), Filters(TRACKER), tmp_path / "many", fmt, batch_size=5)
    assert many.records == one.records == len(records)
    assert many.manifest["counts"] == one.manifest["counts"]
    pd.testing.assert_frame_equal(read_bundle(tmp_path / "one")[1], read_bundle(tmp_path / "many")[1])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_two_exports_into_one_folder_at_once_both_finish_and_leave_a_whole_bundle(tmp_path, data_dir, make_record,
                                                                                  monkeypatch, fmt):
    """Two exports into one folder (a cron export overlapping one run by hand) wrote through the same temporary
    file: the second truncated the file the first was still writing, and the first then failed with
    "[Errno 2] No such file or directory: 'records.csv.tmp' -> 'records.csv'" (or renamed a file mixing both).
    Each writes a temporary file of its own now; both finish and the bundle is whole."""
    from analysis.reports import export
    from collectors.trackers import get_tracker

    store, records = _store(data_dir, make_record)
    tracker, out = get_tracker(TRACKER), tmp_path / "bundle"
    clean = export.export_bundle(store, tracker, Filters(TRACKER), tmp_path / "clean", fmt)
    add, batches = export._Counts.add, []

    def add_then_export_again(self, batch):
        batches.append(batch)
        if len(batches) == 2:  # the first export is half-way through its file
            export.export_bundle(store, tracker, Filters(TRACKER), out, fmt)
        add(self, batch)

    with monkeypatch.context() as patch:
        patch.setattr(export._Counts, "add", add_then_export_again)
        first = export.export_bundle(store, tracker, Filters(TRACKER), out, fmt, batch_size=5)
    assert first.records == len(records)
    pd.testing.assert_frame_equal(read_bundle(out)[1], read_bundle(tmp_path / "clean")[1])  # checksum verified too
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in clean.out_dir.iterdir())


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_carries_each_record_s_latest_visibility_and_reimports_it(tmp_path, data_dir, make_record, fmt):
    from collectors.ingest import ingest
    from collectors.visibility import VisibilityCheck

    store, records = _store(data_dir, make_record)
    a, b, c = [r for r in records if r.source == "weibo"][:3]
    at = lambda day, hour: datetime(2026, 5, day, hour, tzinfo=UTC)
    ingest([VisibilityCheck(source="weibo", id=a.id, checked_at=at(1, 8), status="visible"),
            VisibilityCheck(source="weibo", id=a.id, checked_at=at(3, 8), status="deleted_by_author",
                            reason="抱歉，此微博已被作者删除。"),
            VisibilityCheck(source="weibo", id=b.id, checked_at=at(2, 8), status="removed", reason="该微博已被删除"),
            VisibilityCheck(source="weibo", id=b.id, checked_at=at(4, 8), status="unknown", reason="network: ReadTimeout"),
            VisibilityCheck(source="weibo", id=c.id, checked_at=at(4, 9), status="unknown", reason="network: ReadTimeout")],
           store)
    bundle = tmp_path / "bundle"
    result = CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--format", fmt, "--out", str(bundle)])
    assert result.exit_code == 0, result.output
    manifest, frame = read_bundle(bundle)
    rows = frame.set_index("id")
    assert rows.loc[a.id, "visibility"] == "deleted_by_author"  # the latest check
    assert rows.loc[b.id, "visibility"] == "removed"  # a later failed check does not hide the earlier answer
    assert rows.loc[c.id, "visibility"] == "unknown"  # only failed checks: said so
    assert pd.Timestamp(rows.loc[a.id, "visibility_checked_at"]) == pd.Timestamp(at(3, 8))
    others = rows.drop(index=[a.id, b.id, c.id])
    assert others["visibility"].isna().all() and others["visibility_checked_at"].isna().all()
    assert manifest["visibility"]["rechecked"] == 2 and manifest["visibility"]["disappeared"] == 2
    assert manifest["files"][0]["columns"][-3:] == ["visibility", "visibility_checked_at", "merged_from"]

    fresh = tmp_path / "fresh"
    result = CliRunner().invoke(cli, ["--data-dir", str(fresh), "import-bundle", str(bundle)])
    assert result.exit_code == 0 and "visibility checks: 3" in result.output, result.output
    from analysis.stats.visibility import latest_visibility

    with Store(fresh).connect() as con:
        restored = latest_visibility(con).set_index("id")["status"].to_dict()
    assert restored == {a.id: "deleted_by_author", b.id: "removed", c.id: "unknown"}


def test_export_without_rechecks_has_empty_visibility_columns(tmp_path, data_dir, make_record):
    _store(data_dir, make_record)
    bundle = tmp_path / "bundle"
    assert CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--out", str(bundle)]).exit_code == 0
    manifest, frame = read_bundle(bundle)
    assert frame["visibility"].isna().all() and manifest["visibility"]["rechecked"] == 0


def test_bluesky_and_mastodon_ids_leave_the_store_without_the_account_in_them(tmp_path, data_dir, make_record):
    """Their record ids embed the author's DID or user name: exports, Explore and peak evidence pseudonymise it."""
    from analysis.reports.export import export_bundle
    from analysis.stats.peaks import _most_shared_public_rows
    from collectors.store import Store
    from collectors.trackers import get_tracker
    from dashboard.explore import records_page

    store = Store(data_dir)
    store.add_records([
        make_record(source="bluesky", id="at://did:plc:ordinaryuser1/app.bsky.feed.post/3kx", lang="en",
                    author_id="did:plc:ordinaryuser1", author_name="jane.bsky.social", trackers=[TRACKER],
                    parent_id="at://did:plc:otheruser22/app.bsky.feed.post/3ky", kind="comment", shares=5),
        make_record(source="mastodon", id="https://mastodon.social/users/alicetoot/statuses/11", lang="en",
                    author_id="https://mastodon.social/@alicetoot", author_name="alicetoot@mastodon.social",
                    trackers=[TRACKER], shares=3),
    ])
    secrets = ("ordinaryuser1", "otheruser22", "alicetoot")
    export_bundle(store, get_tracker(TRACKER), Filters(TRACKER), tmp_path / "b", "csv")
    exported = (tmp_path / "b" / "records.csv").read_text(encoding="utf-8")
    assert not [s for s in secrets if s in exported]
    _, frame = read_bundle(tmp_path / "b")
    assert sorted(frame["id"].str.split("/").str[2].str[:2]) == ["ma", "u_"]  # at://u_…/…, https://mastodon.social/…
    with store.connect() as con:
        page, total = records_page(con, Filters(TRACKER))
        top = _most_shared_public_rows(con, "list_contains(r.trackers, ?)", [TRACKER], 5)
        raw = con.execute("SELECT count(*) FROM records_public WHERE id LIKE '%ordinaryuser1%'").fetchone()[0]
    assert total == 2 and not [s for s in secrets if s in page.to_csv()]
    assert not [s for s in secrets if s in top.to_csv()]
    assert raw == 1  # the view keeps the stored id for joins; only what leaves the store is pseudonymised


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_lists_only_the_exported_trackers_entities(tmp_path, data_dir, make_record, fmt):
    # a record tagged with two trackers is annotated with the entities of both; an iQIYI export names only
    # iQIYI's entities (in their order), not SAG-AFTRA's, so counting its entities column gives the dashboard's figures
    from analysis.reports.export import export_bundle
    from collectors.trackers import get_tracker

    store = Store(data_dir)
    both = make_record(trackers=[TRACKER, "tilly-norwood"])
    store.add_records([both])
    add_annotations(store, {(both.source, both.id): ["sag-aftra", "nadou-pro", "tilly-norwood", "iqiyi"]})
    export_bundle(store, get_tracker(TRACKER), Filters(TRACKER), tmp_path / "b", fmt)
    _, frame = read_bundle(tmp_path / "b")
    assert list(frame["entities"][0]) == ["nadou-pro", "iqiyi"]
    assert list(frame["trackers"][0]) == [TRACKER, "tilly-norwood"]


def test_reimporting_a_bundle_adds_nothing_and_keeps_the_stores_own_annotations(tmp_path, data_dir, make_record):
    """A bundle imported twice, or into the store it came from, writes no score or annotation rows again: its
    annotations carry no emotion or language, so as the newest per record they hid the enrichment's."""
    store, _records = _store(data_dir, make_record)
    bundle = tmp_path / "bundle"
    assert CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--out", str(bundle)]).exit_code == 0

    def rows(s: Store) -> tuple[int, int]:
        return len(s.query(f"SELECT * FROM {s.parquet_scan('scores')}")), \
            len(s.query(f"SELECT * FROM {s.parquet_scan('annotations')}"))

    before = rows(store)
    result = CliRunner().invoke(cli, ["import-bundle", str(bundle)])  # into the store it came from
    assert result.exit_code == 0, result.output
    assert rows(store) == before
    assert "scores: 0; annotations: 0" in result.output
    with store.connect() as con:
        newest = con.execute("SELECT DISTINCT pipeline_version FROM (SELECT * FROM annotations QUALIFY row_number() "
                             "OVER (PARTITION BY source, id ORDER BY annotated_at DESC) = 1)").fetchall()
    assert newest == [("test-pipeline",)]

    fresh = Store(tmp_path / "fresh")
    CliRunner().invoke(cli, ["--data-dir", str(fresh.data_dir), "import-bundle", str(bundle)], catch_exceptions=False)
    first = rows(fresh)
    assert first[0] > 0 and first[1] > 0
    again = CliRunner().invoke(cli, ["--data-dir", str(fresh.data_dir), "import-bundle", str(bundle)])
    assert again.exit_code == 0 and rows(fresh) == first, again.output


@pytest.mark.parametrize("command", [["export", "--tracker", TRACKER, "--out", "OUT"],
                                     ["brief", "--tracker", TRACKER, "--week", "2026-W17", "--out", "OUT.html"],
                                     ["alerts", "run", "--dry-run"]])
def test_a_model_version_the_store_never_scored_is_refused(tmp_path, data_dir, make_record, command):
    """A mistyped --model-version gave an export with no scores (its manifest naming the typo), or a brief and
    alerts without sentiment, and exit 0."""
    _store(data_dir, make_record)
    args = [a.replace("OUT", str(tmp_path / "out")) for a in command]
    result = CliRunner().invoke(cli, [*args, "--model-version", "1.0.typo"])
    assert result.exit_code == 2 and "'1.0.typo'" in result.output and VERSION in result.output, result.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.html").exists()


def test_export_of_an_unscored_store_says_model_none_cleanly(tmp_path, data_dir, make_record):
    """It printed "(model: none ; ordinary users pseudonymised)", a version's blank before the semicolon."""
    Store(data_dir).add_records([make_record(trackers=[TRACKER])])
    result = CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--out", str(tmp_path / "b")])
    assert result.exit_code == 0 and "(model: none; ordinary users pseudonymised)" in result.output, result.output


def test_explore_pages_order_records_sharing_an_id_across_sources(data_dir, make_record) -> None:
    # (source, id) is a record's key: the same id on two platforms, equally liked at the same instant, must still
    # have one order, or paging shows one of them twice and the other never
    from dashboard.explore import ORDERS, records_page

    for order, sql in ORDERS.items():
        assert sql.endswith("r.source, r.id"), order
    store = Store(data_dir)
    store.add_records([make_record(source=source, id="42", likes=5, shares=5, trackers=["case-a"])
                       for source in ("weibo", "bilibili")])
    with store.connect() as con:
        for order in ORDERS:
            pages = [records_page(con, Filters("case-a"), order=order, limit=1, offset=i)[0] for i in (0, 1)]
            assert [p["source"].iloc[0] for p in pages] == ["bilibili", "weibo"], order


def test_explore_csv_writes_times_as_utc_with_their_zone(data_dir, make_record) -> None:
    # the page's column says "published (UTC)"; the downloaded file must say it too (a Weibo post's +08:00 time is
    # stored as UTC, and a bare "2026-04-20 00:30:00" would read as Beijing time)
    from dashboard.explore import csv_frame, records_page
    from dashboard.snapshot import open_snapshot

    store = Store(data_dir)
    store.add_records([make_record(published_at=datetime.fromisoformat("2026-04-20T08:30:00+08:00"))])
    con = open_snapshot(store)
    frame, _ = records_page(con, Filters("case-a"))
    con.close()
    assert csv_frame(frame)["published_at"].tolist() == ["2026-04-20T00:30:00Z"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_carries_the_emotion_the_manifest_quotes_and_reimports_it(tmp_path, data_dir, make_record, fmt):
    """The bundle had a stance column but no emotion, though its manifest quotes the emotion model and says its
    labels are model output: a researcher could not reproduce the emotion chart from the export."""
    import pyarrow as pa

    from analysis.core.annotations import ANNOTATIONS, ANNOTATIONS_SCHEMA, ANNOTATIONS_SPEC

    store = Store(data_dir)
    records = [make_record(trackers=[TRACKER]), make_record(trackers=[TRACKER])]
    store.add_records(records)
    columns = {name: pa.nulls(2, ANNOTATIONS_SCHEMA.field(name).type) for name in ANNOTATIONS_SCHEMA.names}
    columns.update({"source": pa.array([r.source for r in records]), "id": pa.array([r.id for r in records]),
                    "pipeline_version": pa.array(["p1", "p1"]), "stance": pa.array(["oppose", "neutral"]),
                    "emotion": pa.array(["anger", "joy"]),
                    "annotated_at": pa.array([datetime(2026, 5, 1, tzinfo=UTC)] * 2, pa.timestamp("us", tz="UTC"))})
    store.add_table(ANNOTATIONS, pa.table(columns, schema=ANNOTATIONS_SCHEMA), ANNOTATIONS_SPEC)
    bundle = tmp_path / "bundle"
    result = CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--format", fmt, "--out", str(bundle)])
    assert result.exit_code == 0, result.output
    manifest, frame = read_bundle(bundle)
    assert "emotion" in manifest["files"][0]["columns"]
    assert sorted(frame["emotion"]) == ["anger", "joy"]

    fresh = Store(tmp_path / "fresh")
    assert CliRunner().invoke(cli, ["--data-dir", str(fresh.data_dir), "import-bundle", str(bundle)]).exit_code == 0
    with fresh.connect() as con:
        assert sorted(r[0] for r in con.execute("SELECT emotion FROM annotations").fetchall()) == ["anger", "joy"]


def test_a_4cat_export_of_bluesky_leaves_the_store_without_the_did_in_its_ids(tmp_path, data_dir, make_record):
    """4CAT's Bluesky exports import under source '4cat' with their at://did:…/ ids; only source 'bluesky' had the
    DID pseudonymised, so an export or Explore showed the ordinary author's DID (it resolves to the account)."""
    from analysis.reports.export import export_bundle
    from collectors.trackers import get_tracker

    store = Store(data_dir)
    store.add_records([make_record(source="4cat", id="at://did:plc:ordinaryuser1/app.bsky.feed.post/3kx", lang="en",
                                   author_id="did:plc:ordinaryuser1", author_name="jane.bsky.social", kind="comment",
                                   parent_id="at://did:plc:otheruser22/app.bsky.feed.post/3ky", trackers=[TRACKER])])
    export_bundle(store, get_tracker(TRACKER), Filters(TRACKER), tmp_path / "b", "csv")
    exported = (tmp_path / "b" / "records.csv").read_text(encoding="utf-8")
    assert "ordinaryuser1" not in exported and "otheruser22" not in exported
    _, frame = read_bundle(tmp_path / "b")
    assert frame["id"][0].startswith("at://u_") and frame["id"][0].split("/")[2] == frame["author_id"][0]


def test_a_bluesky_post_bridged_into_mastodon_leaves_the_store_without_the_did_in_its_id(tmp_path, data_dir,
                                                                                       make_record):
    """Mastodon's timelines carry Bluesky posts bridged by Bridgy Fed, whose status uri (the record id) embeds the
    Bluesky post's at:// URI: https://bsky.brid.gy/convert/ap/at://did:plc:…/app.bsky.feed.post/…. Only ids under
    /users/<name>/ were pseudonymised for Mastodon, so an export, Explore and a labelling sample showed the ordinary
    author's DID, which resolves to the account."""
    from analysis.reports.export import export_bundle
    from collectors.trackers import get_tracker
    from dashboard.explore import records_page

    uri = "https://bsky.brid.gy/convert/ap/at://did:plc:bridgedalice1/app.bsky.feed.post/3kx"
    store = Store(data_dir)
    store.add_records([make_record(source="mastodon", id=uri, url=uri, lang="en", trackers=[TRACKER],
                                   author_id="https://bsky.brid.gy/ap/did:plc:bridgedalice1",
                                   author_name="alice.bsky.social@bsky.brid.gy")])
    export_bundle(store, get_tracker(TRACKER), Filters(TRACKER), tmp_path / "b", "csv")
    exported = (tmp_path / "b" / "records.csv").read_text(encoding="utf-8")
    assert "bridgedalice1" not in exported, exported
    with store.connect() as con:
        page, _ = records_page(con, Filters(TRACKER))
    assert "bridgedalice1" not in page.to_csv()
    _, frame = read_bundle(tmp_path / "b")
    assert frame["id"][0].startswith("https://bsky.brid.gy/convert/ap/at://u_")


def test_an_export_whose_source_or_lang_matched_nothing_says_what_the_tracker_has(tmp_path, data_dir, make_record,
                                                                                  monkeypatch):
    """`--source weibio` (a typo) wrote an empty bundle and exit 0, as if there were no data; the command now names
    the tracker's sources and languages (a post in no language detected is counted as none recorded)."""
    store = Store(data_dir)
    store.add_records([make_record(trackers=[TRACKER], lang=None), make_record(trackers=[TRACKER], lang="zh"),
                       make_record(trackers=[TRACKER], source="rss", kind="article", lang="en",
                                   text="The studio says its AI actors are here to stay"),
                       make_record(trackers=[TRACKER], lang=None, text="👍👍 123"),
                       # the languages named are the ones --lang selects: as read, not as the source declared
                       make_record(trackers=[TRACKER], source="bluesky", lang="en",
                                   text="La inteligencia artificial de esta empresa es un desastre para los actores")])
    install_fake_sentiment(monkeypatch)
    enrich_store(store, workers=1)  # which reads each record's language
    typo = CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--source", "weibio", "--out", str(tmp_path / "a")])
    assert typo.exit_code == 0 and "wrote 0 records" in typo.output
    assert "sources: weibo 3, bluesky 1, rss 1" in typo.stderr and "(none recorded) 1" in typo.stderr
    assert "en 1" in typo.stderr and "es 1" in typo.stderr
    found = CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--lang", "zh", "--out", str(tmp_path / "b")])
    assert "wrote 2 records" in found.output and "note:" not in found.stderr


def test_an_author_verified_on_one_record_is_one_author_in_the_export(tmp_path, data_dir, make_record):
    # a verified (public) account whose comment came without its verification (another importer, or collected
    # before it was verified) appeared by name on one row and as a pseudonym on the other: the export then held two
    # authors where the Overview counts one, and a reader could not re-derive the Authors figure from it
    store = Store(data_dir)
    at = datetime(2026, 4, 20, 9, tzinfo=UTC)
    store.add_records([
        make_record(id="post", published_at=at, trackers=[TRACKER], author_id="1999", author_name="某官方账号",
                    author_verified=True, author_verified_type=0, text="官方声明"),
        make_record(id="comment", kind="comment", published_at=at, trackers=[TRACKER], author_id="1999",
                    author_name="某官方账号", author_verified_type=None, text="补充一下"),
        make_record(id="other", published_at=at, trackers=[TRACKER], author_id="880011", author_name="吃瓜群众_01",
                    author_verified_type=-1, text="路过"),
    ])
    f = Filters(TRACKER, date(2026, 4, 20), date(2026, 4, 20))
    result = CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--from", "2026-04-20", "--to", "2026-04-20",
                                      "--format", "csv", "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    _manifest, frame = read_bundle(tmp_path / "b")
    by_id = frame.set_index("id")
    assert by_id.loc["post", "author_id"] == by_id.loc["comment", "author_id"] == "1999"
    assert by_id.loc["other", "author_id"].startswith("u_")
    with store.connect() as con:
        assert frame["author_id"].nunique() == kpis(con, f)["authors"] == 2


def test_manifest_carries_the_overviews_figures_and_records_csv_rederives_them(tmp_path, data_dir, make_record):
    # a reader citing "N records, K authors, x% negative [lo, hi]" must find those figures in the manifest, with the
    # interval's method and n, and get the same numbers back from records.csv alone
    from statsmodels.stats.proportion import proportion_confint

    from analysis.reports.export import export_bundle
    from collectors.trackers import get_tracker

    store, _records = _store(data_dir, make_record)
    f = Filters(TRACKER, date(2026, 4, 18), date(2026, 4, 22))
    manifest = export_bundle(store, get_tracker(TRACKER), f, tmp_path / "b", model_version=VERSION).manifest
    with store.connect() as con:
        k = kpis(con, f, VERSION)
    figures = manifest["figures"]
    assert (figures["records"], figures["authors"], figures["scored"]) == (k["records"], k["authors"], k["scored"])
    assert figures["share_negative"] == pytest.approx(k["share_negative"])
    assert figures["share_negative_ci95"] == pytest.approx(list(k["share_negative_ci"]))
    assert "Wilson" in figures["interval"] and "author" in figures["interval"] and "scored" in figures["n"]
    from analysis.core.wording import INDEPENDENT_POSTS

    assert figures["uncertainty"] == INDEPENDENT_POSTS  # what is corrected for clustering and what is not
    _manifest, frame = read_bundle(tmp_path / "b")
    scored = frame[frame["sentiment"].notna()]
    negative = int((scored["sentiment"] == "negative").sum())
    author = frame["source"] + ":" + frame["author_id"].fillna("n:" + frame["author_name"].fillna(""))
    assert (len(frame), author.nunique(), len(scored)) == (figures["records"], figures["authors"], figures["scored"])
    # the interval clusters the scored records by author (three ordinary authors write most of them): the design
    # effect from the per-author counts, then Wilson at the effective size
    per = (scored["sentiment"] == "negative").groupby(author[scored.index]).agg(["sum", "count"])
    n, m, p = len(scored), len(per), negative / len(scored)
    deff = max(1.0, m / (m - 1) * ((per["sum"] - p * per["count"]) ** 2).sum() / n**2 / (p * (1 - p) / (n - 1)))
    assert figures["share_negative_design_effect"] == pytest.approx(deff) and deff > 1
    lo, hi = proportion_confint(negative / deff, n / deff, method="wilson")
    assert [lo, hi] == pytest.approx(figures["share_negative_ci95"])


@pytest.mark.parametrize("name", ["../outside.csv", "{abs}", "sub/records.csv", "records.json"])
def test_a_manifest_cannot_point_import_bundle_at_a_file_outside_the_bundle(tmp_path, data_dir, make_record, name):
    """A bundle is meant to be shared; its manifest named the data file, and `import-bundle` read whatever path it
    gave (../x, an absolute path) into the store as long as the checksum it also gave matched."""
    import shutil

    from analysis.nlp.sentiment.linear import file_sha256

    _store(data_dir, make_record)
    bundle = tmp_path / "b"
    CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--out", str(bundle)], catch_exceptions=False)
    outside = tmp_path / "outside.csv"
    shutil.copy(bundle / "records.csv", outside)
    (bundle / "sub").mkdir()
    shutil.copy(bundle / "records.csv", bundle / "sub" / "records.csv")
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"][0].update(name=name.format(abs=outside), sha256=file_sha256(outside))
    (bundle / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(BundleError, match="inside the bundle"):
        read_bundle(bundle)


@pytest.mark.parametrize("text", ["{", "[]", '"records.csv"'])
def test_a_damaged_manifest_is_named_not_a_bare_json_error_or_a_traceback(tmp_path, data_dir, make_record, text):
    """A manifest.json cut short said only "error: Expecting property name enclosed in double quotes: line 2 …"
    (which file?), and one holding a JSON list ended `import-bundle` in an AttributeError traceback."""
    _store(data_dir, make_record)
    bundle = tmp_path / "b"
    CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--out", str(bundle)], catch_exceptions=False)
    (bundle / "manifest.json").write_text(text, encoding="utf-8")
    with pytest.raises(BundleError, match=f"{bundle / 'manifest.json'}: not a readable export manifest"):
        read_bundle(bundle)


def test_an_export_of_a_tracker_without_records_says_how_to_get_some(tmp_path, data_dir, make_record):
    """On an empty store (or a tracker with no records) `export` wrote an empty bundle, said "wrote 0 records" and
    nothing else; it now notes that the store holds none of the tracker's records and how to bring some in. A window
    with nothing in it says what the tracker does hold."""
    empty = CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--out", str(tmp_path / "a")])
    assert empty.exit_code == 0 and "wrote 0 records" in empty.output
    assert f"note: the store holds no records of {TRACKER}" in empty.stderr and "actorwatch import" in empty.stderr
    Store(data_dir).add_records([make_record(trackers=[TRACKER])])
    window = CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--from", "2020-01-01", "--to", "2020-01-02",
                                      "--out", str(tmp_path / "b")])
    assert window.exit_code == 0 and f"note: no record of {TRACKER} matched; it has sources: weibo 1" in window.stderr


def test_export_with_from_after_to_is_a_usage_error_as_in_chart(tmp_path):
    """`export --from 2026-05-01 --to 2026-04-01` exited 1 like a failed export, while `chart` calls the same
    mistake a usage error (2); both now do, before anything is written."""
    result = CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--from", "2026-05-01", "--to", "2026-04-01",
                                      "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "--from 2026-05-01 is after --to 2026-04-01" in result.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_store_annotated_by_two_pipeline_versions_says_so_row_by_row(tmp_path, data_dir, make_record, fmt):
    """A store enriched by an older pipeline and partly re-enriched (a new model, an interrupted run) exported a mix
    of both pipelines' stance, emotion and entities without a word: neither the rows nor the manifest said which
    pipeline produced what, nor the days the file covers when no date filter was given. Each row now names its
    annotation's pipeline version; the manifest counts them, says the mix and which come from older enrichment code,
    and gives the first and last published_at in the file."""
    from analysis.nlp.enrich import PIPELINE_CODE_VERSION

    store, records = _store(data_dir, make_record)
    old, new = "p0-0123456789", f"p{PIPELINE_CODE_VERSION}-abcdef0123"
    add_annotations(store, {(r.source, r.id): [] for r in records[12:20]}, version=old)
    add_annotations(store, {(r.source, r.id): [] for r in records[20:]}, version=new)
    bundle = tmp_path / "b"
    result = CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--format", fmt, "--out", str(bundle)])
    assert result.exit_code == 0, result.output
    manifest, frame = read_bundle(bundle)
    assert frame["annotation_version"].value_counts().to_dict() == {"test-pipeline": 12, new: len(records) - 20,
                                                                   old: 8}
    versions = manifest["annotations"]
    assert versions["pipeline_versions"] == {"test-pipeline": 12, old: 8, new: len(records) - 20}
    assert versions["mixed"] is True and versions["code_version"] == PIPELINE_CODE_VERSION
    assert versions["older_code"] == 8  # p0 is older code; test-pipeline names no code version
    published = pd.to_datetime(frame["published_at"], utc=True)
    assert manifest["counts"]["published_first"] == published.min().isoformat().replace("+00:00", "Z")
    assert manifest["counts"]["published_last"] == published.max().isoformat().replace("+00:00", "Z")


def test_an_imported_bundle_keeps_the_pipeline_version_its_annotations_came_from(tmp_path, data_dir, make_record):
    """import-bundle stored every annotation as made by 'imported-bundle', dropping the pipeline version the bundle
    names (and with it the stance and emotion models that wrote them): the importing store's badges then credited
    whatever card is current. The version is kept after the 'imported-bundle:' mark."""
    store, records = _store(data_dir, make_record)
    made_by = "p7-0123456789|stance=1.0.9f78d8ff|emotion=1.0.19ce050e"
    add_annotations(store, {(r.source, r.id): ["iqiyi"] for r in records[12:]}, version=made_by)
    bundle = tmp_path / "b"
    assert CliRunner().invoke(cli, ["export", "--tracker", TRACKER, "--out", str(bundle)]).exit_code == 0
    fresh = Store(tmp_path / "fresh")
    assert CliRunner().invoke(cli, ["--data-dir", str(fresh.data_dir), "import-bundle", str(bundle)]).exit_code == 0
    with fresh.connect() as con:
        versions = dict(con.execute("SELECT pipeline_version, count(*) FROM annotations GROUP BY 1").fetchall())
    assert versions == {"imported-bundle:test-pipeline": 12, f"imported-bundle:{made_by}": len(records) - 12}
