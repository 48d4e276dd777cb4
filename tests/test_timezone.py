"""The display time zone (ACTORWATCH_TZ / --tz): every day bucket, filter and note follows it; UTC by default."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from click.testing import CliRunner

from analysis.core.filters import UTC_DAYS_NOTE, Filters, days_note, days_phrase
from analysis.reports.export import export_bundle, read_bundle
from analysis.stats.aggregate import daily_volume, kpis
from analysis.stats.timeseries import volume_series
from collectors.display_zone import ENV, ZoneError, zone_label, zone_name
from collectors.store import Store
from collectors.trackers import get_tracker
from dashboard import snapshot
from dashboard.cli import cli
from dashboard.explore import csv_frame, records_page

TRACKER = "iqiyi-nadou"
LATE = datetime(2026, 4, 10, 23, 30, tzinfo=UTC)  # 07:30 on 04-11 in Beijing
WINDOW = Filters(TRACKER, start=date(2026, 4, 9), end=date(2026, 4, 12))


@pytest.fixture
def store(data_dir, make_record) -> Store:
    store = Store(data_dir)
    store.add_records([make_record(id="late", published_at=LATE, trackers=[TRACKER]),
                       make_record(id="noon", published_at=datetime(2026, 4, 10, 12, tzinfo=UTC), trackers=[TRACKER])])
    return store


def _days(frame: pd.DataFrame, column: str = "period") -> dict[date, int]:
    return {d: int(n) for d, n in frame.groupby(column)["records"].sum().items() if n}


@pytest.mark.parametrize(("zone", "late_day"), [(None, date(2026, 4, 10)), ("Asia/Shanghai", date(2026, 4, 11))])
def test_the_daily_series_counts_a_late_utc_post_on_the_display_zones_day(store, monkeypatch, zone, late_day):
    if zone:
        monkeypatch.setenv(ENV, zone)
    expected = {date(2026, 4, 10): 2} if late_day == date(2026, 4, 10) else {date(2026, 4, 10): 1, late_day: 1}
    with store.connect() as con:
        assert _days(volume_series(con, WINDOW)) == expected
    con = snapshot.open_snapshot(store)  # the dashboard's Overview reads the snapshot's pre-aggregated facts
    try:
        assert _days(daily_volume(con, WINDOW), "day") == expected
        assert _days(volume_series(con, WINDOW, by="source")) == expected
    finally:
        con.close()


@pytest.mark.parametrize(("zone", "on_11th"), [(None, set()), ("Asia/Shanghai", {"late"})])
def test_a_filter_by_day_selects_the_display_zones_day(store, monkeypatch, zone, on_11th):
    if zone:
        monkeypatch.setenv(ENV, zone)
    day = Filters(TRACKER, start=date(2026, 4, 11), end=date(2026, 4, 11))
    tenth = Filters(TRACKER, start=date(2026, 4, 10), end=date(2026, 4, 10))
    with store.connect() as con:  # a range on TIMESTAMPTZ: the session's zone decides where the day starts
        where, params = day.where("r")
        assert {i for (i,) in con.execute(f"SELECT id FROM records r WHERE {where}", params).fetchall()} == on_11th
        assert kpis(con, day)["records"] == len(on_11th)
    con = snapshot.open_snapshot(store)  # naive wall-clock times of the zone, and facts per the zone's day
    try:
        assert kpis(con, day)["records"] == len(on_11th)
        assert kpis(con, tenth)["records"] == 2 - len(on_11th)
        frame, total = records_page(con, day)
        assert total == len(on_11th) and set(frame["id"]) == on_11th
    finally:
        con.close()


def test_a_snapshot_built_for_utc_is_not_served_for_another_zone(store, monkeypatch):
    utc_path = snapshot.build(store, snapshot.snapshot_path(store))
    monkeypatch.setenv(ENV, "Asia/Shanghai")
    beijing_path = snapshot.snapshot_path(store)
    assert beijing_path != utc_path and not beijing_path.exists()
    con = snapshot.open_snapshot(store)
    try:
        assert beijing_path.exists()
        assert _days(daily_volume(con, WINDOW), "day") == {date(2026, 4, 10): 1, date(2026, 4, 11): 1}
    finally:
        con.close()


def test_explore_download_keeps_true_utc_times_under_another_zone(store, monkeypatch):
    monkeypatch.setenv(ENV, "Asia/Shanghai")
    con = snapshot.open_snapshot(store)
    try:
        frame, _ = records_page(con, Filters(TRACKER, start=date(2026, 4, 11), end=date(2026, 4, 11)))
    finally:
        con.close()
    shown = frame["published_at"].iloc[0]  # the page shows the instant on Beijing's clock
    assert shown == LATE and str(shown.tz) == "Asia/Shanghai" and shown.strftime("%Y-%m-%d %H:%M") == "2026-04-11 07:30"
    assert list(csv_frame(frame)["published_at"]) == ["2026-04-10T23:30:00Z"]  # the file says the instant in UTC


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "utc+8", "Asia/Shang hai"])
def test_an_invalid_zone_is_a_clear_error_never_utc(store, monkeypatch, bad):
    monkeypatch.setenv(ENV, bad)
    with pytest.raises(ZoneError, match=repr(bad).replace("+", r"\+")):
        zone_name()
    with pytest.raises(ZoneError, match="not an IANA time zone"):
        store.connect()
    result = CliRunner().invoke(cli, ["--tz", bad, "stats"])
    assert result.exit_code == 2 and bad in result.output and "IANA" in result.output


def test_the_cli_option_sets_the_zone_for_the_command(store, tmp_path, monkeypatch):
    """`actorwatch --tz` sets ACTORWATCH_TZ, as --data-dir sets ACTORWATCH_DATA (so `actorwatch dashboard`'s
    subprocess inherits it too)."""
    monkeypatch.setenv(ENV, "")  # recorded as unset, so what the command sets is undone after the test
    result = CliRunner().invoke(cli, ["--tz", "Asia/Shanghai", "export", "--tracker", TRACKER, "--from", "2026-04-11",
                                      "--to", "2026-04-11", "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["days_time_zone"] == "Asia/Shanghai" and manifest["counts"]["records"] == 1


def test_the_export_manifest_records_its_days_zone(store, tmp_path, monkeypatch):
    tracker = get_tracker(TRACKER)
    utc = export_bundle(store, tracker, WINDOW, tmp_path / "utc").manifest
    assert utc["days_time_zone"] == "UTC" and utc["time_zone"].startswith("UTC")
    monkeypatch.setenv(ENV, "Asia/Shanghai")
    f = Filters(TRACKER, start=date(2026, 4, 11), end=date(2026, 4, 11))
    result = export_bundle(store, tracker, f, tmp_path / "bj")
    manifest = json.loads((tmp_path / "bj" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["days_time_zone"] == "Asia/Shanghai" and "Asia/Shanghai (UTC+8) days" in manifest["time_zone"]
    assert result.records == 1
    _m, frame = read_bundle(tmp_path / "bj")
    assert list(frame["published_at"]) == ["2026-04-10T23:30:00Z"]  # stored times stay UTC in the file


def test_notes_name_the_zone_and_say_the_beijing_caveat_only_away_from_beijing(monkeypatch):
    assert days_note() == UTC_DAYS_NOTE and zone_label() == "UTC"
    monkeypatch.setenv(ENV, "Asia/Shanghai")
    assert zone_label() == "Asia/Shanghai (UTC+8)"
    note = days_note()
    assert note.startswith("Windows are Asia/Shanghai (UTC+8) days") and "before" not in note
    assert "first 8 hours" not in days_note("Asia/Hong_Kong")  # Beijing's days under another name
    assert "the first 8 hours of the event day fall on the Etc/UTC day" not in days_note("Etc/UTC")
    assert days_note("Etc/UTC") == UTC_DAYS_NOTE
    assert "first 13 hours" in days_note("Etc/GMT+5")  # a fixed UTC-5 zone: 13 hours behind Beijing
    assert "last 1 hour " in days_note("Asia/Tokyo") and "'after'" in days_note("Asia/Tokyo")
    assert zone_label("Europe/Paris") == "Europe/Paris (UTC+1/+2)" and "Beijing" in days_note("Europe/Paris")


def test_brief_and_chart_wording_name_the_zone(monkeypatch):
    from dashboard.charts import registry

    assert days_phrase() == "Days are UTC."
    monkeypatch.setenv(ENV, "Asia/Shanghai")
    assert days_phrase() == "Days are Asia/Shanghai (UTC+8) days."
    chart = registry.get("timeline-effects")
    assert callable(chart.notes) and chart.notes().startswith("Windows are Asia/Shanghai (UTC+8) days")


def test_times_read_from_the_snapshot_are_the_display_zones_wall_clock(monkeypatch):
    from collectors.display_zone import as_display, as_utc

    monkeypatch.setenv(ENV, "Asia/Shanghai")
    assert as_utc(datetime(2026, 4, 11, 7, 30)) == LATE  # naive: Beijing wall clock
    assert as_utc(LATE) == LATE
    assert as_display(LATE).replace(tzinfo=None) == datetime(2026, 4, 11, 7, 30)


def test_alerts_today_is_the_display_zones_day(monkeypatch):
    """`alerts run` without --as-of evaluates the day that is today in the display zone."""
    from analysis.reports.alerts import run

    seen: list[date] = []
    monkeypatch.setattr(run, "evaluate", lambda config, store, as_of, *a, **k: seen.append(as_of) or run.RunReport())
    monkeypatch.setenv(ENV, "Asia/Shanghai")
    run.run_alerts(None, store=object(), now=LATE, dry_run=True)
    assert seen == [date(2026, 4, 11)]


def test_the_overview_chart_built_from_the_snapshot_says_and_uses_the_zone(store, monkeypatch):
    from dashboard.charts.registry import View, build

    monkeypatch.setenv(ENV, "Asia/Shanghai")
    con = snapshot.open_snapshot(store)
    try:
        package = build("overview-volume", con, View(WINDOW), {})
    finally:
        con.close()
    assert _days(package.data, "day") == {date(2026, 4, 10): 1, date(2026, 4, 11): 1}
    assert package.fig.layout.xaxis.title.text == "day (Asia/Shanghai)"
    assert "(Asia/Shanghai)" in package.source


def test_trend_observations_import_once_under_any_zone(data_dir, monkeypatch):
    """The store's dedupe key of a trend observation is its UTC instant, whatever zone the days are shown in."""
    from collectors.ingest import ingest
    from collectors.models import TrendObservation

    monkeypatch.setenv(ENV, "Asia/Shanghai")
    store = Store(data_dir)
    obs = [TrendObservation(source="weibo", topic="爱奇艺 AI艺人库", observed_at=LATE, heat=5, status="hot",
                            snapshot="s1", list_heat=50, trackers=[TRACKER])]
    assert ingest(obs, store).trends_new == 1
    again = ingest(obs, store)
    assert (again.trends_new, again.trends_duplicate) == (0, 1)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "America/New_York"])
def test_collect_default_window_covers_the_display_zones_days(monkeypatch, zone):
    """`actorwatch collect` without --since/--until fetches exactly the days the dashboard counts as collected
    (Filters.for_tracker, the display zone's days): no hours of the first day left out, none past the last."""
    from collectors.collect_cli import default_window

    monkeypatch.setenv(ENV, zone)
    tracker = get_tracker(TRACKER)
    window = Filters.for_tracker(tracker)
    start, end = default_window(tracker)
    local = ZoneInfo(zone)
    assert start == datetime.combine(window.start, time(), local) and start.tzinfo == UTC
    assert end == datetime.combine(window.end + timedelta(days=1), time(), local) and end.tzinfo == UTC


def test_a_parquet_export_keeps_its_times_in_utc_under_another_zone(store, tmp_path, monkeypatch):
    """The manifest says the files' times are UTC: a Parquet bundle's timestamp columns are tagged UTC, not the
    display zone its session read them in (the same instants, but a reader would show Beijing wall clock)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.setenv(ENV, "Asia/Shanghai")
    f = Filters(TRACKER, start=date(2026, 4, 11), end=date(2026, 4, 11))
    result = export_bundle(store, get_tracker(TRACKER), f, tmp_path / "pq", fmt="parquet")
    schema = pq.read_schema(result.data_file)
    times = [field for field in schema if pa.types.is_timestamp(field.type)]
    assert {field.name for field in times} >= {"published_at", "collected_at", "visibility_checked_at"}
    assert {field.type.tz for field in times} == {"UTC"}
    _m, frame = read_bundle(tmp_path / "pq")
    assert list(frame["published_at"]) == [pd.Timestamp("2026-04-10T23:30:00Z")]
    assert str(frame["published_at"].dt.tz) == "UTC"


def test_adapted_models_label_provenance_is_utc_under_another_zone(data_dir, monkeypatch):
    """An adapted model's card says when its labels were made in UTC, whatever zone the store session used."""
    from analysis.core.labels import read_labels, write_labels
    from analysis.nlp.adapt import tracker_labels
    from analysis.nlp.labelling_keys import Choice, label_row

    store = Store(data_dir)
    write_labels(store, [label_row(TRACKER, None, None, "text", "ann", Choice("negative"), "test")], now=LATE)
    monkeypatch.setenv(ENV, "Asia/Shanghai")
    with store.connect() as con:
        provenance = tracker_labels(read_labels(con), TRACKER).provenance
    assert provenance["labelled_from"] == provenance["labelled_to"] == "2026-04-10T23:30:00+00:00"


def test_both_repeated_autumn_hours_show_as_different_instants_in_explore_and_count_on_their_day(data_dir, make_record,
                                                                                                 monkeypatch):
    """The snapshot kept naive wall-clock times of the zone, and 01:30 comes twice in New York on 2026-11-01 (EDT,
    then EST): Explore's CSV read both as standard time, giving one post the wrong instant, and the table could not
    tell them apart or order them. Now the page holds each post's instant, shown in the zone with its offset."""
    monkeypatch.setenv(ENV, "America/New_York")
    edt = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT (UTC-4)
    est = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST (UTC-5), an hour later
    store = Store(data_dir)
    store.add_records([make_record(id="edt", published_at=edt, trackers=[TRACKER]),
                       make_record(id="est", published_at=est, trackers=[TRACKER]),
                       make_record(id="eve", published_at=datetime(2026, 11, 1, 3, 30, tzinfo=UTC), trackers=[TRACKER]),
                       make_record(id="next", published_at=datetime(2026, 11, 2, 5, 30, tzinfo=UTC), trackers=[TRACKER])])
    window = Filters(TRACKER, start=date(2026, 10, 31), end=date(2026, 11, 2))
    con = snapshot.open_snapshot(store)
    try:
        # 03:30Z is 23:30 EDT on 10-31; 05:30Z on 11-02 is 00:30 EST on 11-02
        assert _days(daily_volume(con, window), "day") == {date(2026, 10, 31): 1, date(2026, 11, 1): 2,
                                                         date(2026, 11, 2): 1}
        frame, total = records_page(con, Filters(TRACKER, start=date(2026, 11, 1), end=date(2026, 11, 1)))
        oldest, _ = records_page(con, window, order="oldest")
    finally:
        con.close()
    assert total == 2 and list(frame["id"]) == ["est", "edt"], "newest first: the EST 01:30 is the later one"
    shown = {i: t for i, t in zip(frame["id"], frame["published_at"], strict=True)}
    assert shown["edt"] == pd.Timestamp(edt) and shown["est"] == pd.Timestamp(est)
    assert {i: (t.strftime("%H:%M"), t.utcoffset()) for i, t in shown.items()} == {
        "edt": ("01:30", timedelta(hours=-4)), "est": ("01:30", timedelta(hours=-5))}  # the zone's clock, told apart
    assert list(oldest["id"]) == ["eve", "edt", "est", "next"]
    assert list(csv_frame(frame)["published_at"]) == ["2026-11-01T06:30:00Z", "2026-11-01T05:30:00Z"]


def test_the_dashboards_cursors_keep_the_display_zone(store, monkeypatch):
    """`data.cursor()` hands each Streamlit thread a DuckDB cursor, a connection of its own whose TimeZone was
    DuckDB's default, not the zone set on the snapshot's connection: TIMESTAMPTZ days (a recheck's day in Explore)
    and instants read into pandas were UTC's under another zone."""
    from dashboard import data

    monkeypatch.setenv(ENV, "Asia/Shanghai")
    data._snapshot.clear()
    try:
        day = data.cursor().execute("SELECT CAST(TIMESTAMPTZ '2026-04-10 23:30:00+00' AS DATE)").fetchone()[0]
    finally:
        data._snapshot.clear()
    assert day == date(2026, 4, 11)
