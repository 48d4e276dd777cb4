"""The Label page under AppTest: labels saved from typed keys, bad keys refused, hostile text stays text."""

from __future__ import annotations

import json
import types
from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis.core.labels import read_labels
from collectors.store import RECORDS, Store
from tests.dashboard_store import HOSTILE_TEXT, build_store, hostile_record

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
TRACKER = "iqiyi-nadou"


@pytest.fixture
def store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path_factory.mktemp("label-page-store")
    monkeypatch.setenv("ACTORWATCH_DATA", str(path))
    build_store(path, records=400)
    return path


def open_label(annotator: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("app_pages/label.py")
    at.query_params["tracker"] = TRACKER
    if annotator:  # as typed earlier in this session
        at.session_state["annotator"] = annotator
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def record_shown(at: AppTest) -> str:
    return next(c.value for c in at.caption if "· record " in c.value).rsplit("record ", 1)[1]


def type_keys(at: AppTest, code: str) -> None:
    next(t for t in at.text_input if t.label == "Label keys").input(code)
    next(b for b in at.button if b.label == "Save (Enter)").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_without_a_name_nothing_to_label(store: Path) -> None:
    at = open_label()
    assert not [t for t in at.text_input if t.label == "Label keys"]
    assert any("Type your name" in i.value for i in at.info)


def test_typed_keys_are_stored_and_bad_keys_refused(store: Path) -> None:
    at = open_label("carol")
    first = record_shown(at)
    type_keys(at, "0oa")
    second = record_shown(at)
    assert second != first
    type_keys(at, "9")
    assert at.error and "first key is the sentiment" in at.error[0].value
    assert record_shown(at) == second  # nothing saved, same record
    type_keys(at, "x")
    type_keys(at, "?2")
    with Store(store).connect() as con:
        stored = read_labels(con, TRACKER).set_index("item")
    assert stored.loc[first, ["sentiment", "stance", "emotion", "status"]].tolist() == ["negative", "oppose", "anger",
                                                                                        "labelled"]
    assert stored.loc[second, "status"] == "skip"
    assert len(stored) == 3 and set(stored["annotator"]) == {"carol"}
    assert [m.value for m in at.metric][:1] == ["2"]  # skips do not count as labelled


def test_hostile_post_is_shown_as_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The injection probe is a plain text element (never markdown/HTML) and its javascript: link is not offered."""
    monkeypatch.setenv("ACTORWATCH_DATA", str(tmp_path))
    Store(tmp_path).add_table(RECORDS, hostile_record())
    at = open_label("dave")
    assert record_shown(at) == "weibo:xss-probe-1"
    assert any(t.value == HOSTILE_TEXT for t in at.text)
    assert not any("<script>" in m.value for m in at.markdown)
    assert not at.get("link_button")  # javascript: URL dropped


def test_a_record_id_with_markup_is_shown_literally(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa

    monkeypatch.setenv("ACTORWATCH_DATA", str(tmp_path))
    record = hostile_record()
    record = record.set_column(record.schema.get_field_index("id"), "id", pa.array(["[see](https://x.example)_*"]))
    Store(tmp_path).add_table(RECORDS, record)
    caption = next(c.value for c in open_label("erin").caption if "· record " in c.value)
    assert caption.endswith(r"record weibo:\[see\](https://x.example)\_\*")  # escaped: no link, no emphasis


def test_the_saved_toast_shows_a_record_id_with_markup_literally(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """st.toast renders Markdown: an imported record's id (free text from its source) must not become a link."""
    import pyarrow as pa

    monkeypatch.setenv("ACTORWATCH_DATA", str(tmp_path))
    record = hostile_record()
    record = record.set_column(record.schema.get_field_index("id"), "id", pa.array(["[see](https://x.example)_*"]))
    Store(tmp_path).add_table(RECORDS, record)
    at = open_label("erin")
    type_keys(at, "0")
    toast = at.toast[0].value
    assert toast.startswith(r"Saved weibo:\[see\](https://x.example)\_\*: ")  # escaped: no link, no emphasis


def test_annotator_names_with_markup_stay_text_in_the_agreement_table(store: Path) -> None:
    """st.table renders each cell as Markdown: a typed or imported annotator name must not become a link or an image
    (a remote image would load in every visitor's browser)."""
    from analysis.core.labels import write_labels
    from analysis.nlp.labelling_keys import label_row, parse_keys

    evil = "![t](https://evil.example/p.png)"
    from analysis.nlp.agreement import MIN_OVERLAP

    ids = Store(store).query("SELECT source, id FROM records ORDER BY id LIMIT ?", [MIN_OVERLAP])
    rows = [label_row(TRACKER, source, record_id, "text", name, parse_keys("0"), "dashboard")
            for source, record_id in ids.itertuples(index=False) for name in ("carol", evil)]
    write_labels(Store(store), rows)
    at = open_label("carol")
    table = at.table[0].value
    cell = next(c for c in table["annotators"] if "evil" in c)
    assert cell == r"!\[t\](https://evil.example/p.png) vs carol"


def test_a_bluesky_record_is_shown_with_its_account_pseudonymised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bluesky ids embed the author's DID: the Label page shows them as Explore and exports do (public_id), in the
    record line, the reply's id, the saved toast and the latest-labels table; the label itself keeps the stored id."""
    import pyarrow as pa

    monkeypatch.setenv("ACTORWATCH_DATA", str(tmp_path))
    record = hostile_record()
    for name, value in (("source", "bluesky"), ("id", "at://did:plc:author123/app.bsky.feed.post/3kpost"),
                        ("parent_id", "at://did:plc:parent456/app.bsky.feed.post/3kparent")):
        record = record.set_column(record.schema.get_field_index(name), name, pa.array([value]))
    Store(tmp_path).add_table(RECORDS, record)
    at = open_label("erin")
    assert record_shown(at).startswith("bluesky:at://u\\_")  # md-escaped pseudonym u_…
    assert not [t for t in at.text if "did:plc:parent456" in t.value]
    type_keys(at, "0")
    shown = [at.toast[0].value, *at.dataframe[0].value["item"], *(c.value for c in at.caption)]
    assert not [s for s in shown if "did:plc:" in s], shown
    with Store(tmp_path).connect() as con:
        assert read_labels(con, TRACKER)["id"].tolist() == ["at://did:plc:author123/app.bsky.feed.post/3kpost"]


def test_focus_helper_frame_is_out_of_the_tab_order_and_titled(isolated_data_dir) -> None:
    """The 1-pixel frame that puts the cursor in the keys field was a tab stop announced as "st.iframe": a keyboard
    user tabbing from the field landed in an empty, unnamed frame. It is now skipped by Tab and says what it is."""
    build_store(isolated_data_dir, records=200)
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py"), default_timeout=120)
    at.switch_page("app_pages/label.py")
    at.session_state["annotator"] = "ann-a"
    at.run()
    frames = at.get("iframe")
    assert frames, "the label page draws its focus helper"
    for frame in frames:
        assert frame.proto.tab_index == -1 and frame.proto.alt, frame.proto  # alt becomes the frame's title


def test_the_annotator_name_stays_out_of_the_url(store: Path) -> None:
    """The name went into the URL (?annotator=), so every link copied from the page carried it, and whoever opened
    the link labelled under that name. It now stays in the session (and this browser's cookie)."""
    at = open_label()
    next(t for t in at.text_input if t.label == "Annotator (your name)").input("carol").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "annotator" not in at.query_params and "carol" not in str(dict(at.query_params))
    type_keys(at, "1")
    assert "annotator" not in at.query_params and at.session_state["annotator"] == "carol"
    with Store(store).connect() as con:
        assert set(read_labels(con, TRACKER)["annotator"]) == {"carol"}

    shared = AppTest.from_file(APP, default_timeout=120)
    shared.switch_page("app_pages/label.py")
    shared.query_params["tracker"] = TRACKER
    shared.query_params["annotator"] = "mallory"  # a link made before: neither adopted nor kept
    shared.run()
    assert not shared.exception, [e.value for e in shared.exception]
    assert next(t for t in shared.text_input if t.label == "Annotator (your name)").value == ""
    assert "annotator" not in shared.query_params


def test_a_new_session_takes_the_name_from_this_browsers_cookie(store: Path, monkeypatch) -> None:
    """A reload starts a new session: the name comes back from the cookie the page set, not from the URL."""
    import streamlit

    class Context:
        cookies = types.MappingProxyType({"actorwatch_annotator": "dora%20%E6%9D%8E"})  # as encodeURIComponent wrote it

        def __getattr__(self, name):
            return getattr(real, name)

    real = streamlit.context
    monkeypatch.setattr(streamlit, "context", Context())
    at = open_label()
    assert next(t for t in at.text_input if t.label == "Annotator (your name)").value == "dora 李"
    assert [t for t in at.text_input if t.label == "Label keys"]


def test_the_name_is_written_to_the_cookie_as_one_script_string(store: Path) -> None:
    name = 'x</script><img src=y onerror=alert(1)>"'
    at = open_label(name)
    script = next(f.proto.srcdoc for f in at.get("iframe") if "actorwatch_annotator" in f.proto.srcdoc)
    assert "</script><img" not in script and json.dumps(name).replace("<", "\\u003c") in script
    assert "SameSite=Strict" in script and "annotator" not in at.query_params


def test_a_synthetic_record_says_its_label_is_practice_only(store: Path) -> None:
    at = open_label("carol")
    assert any("· synthetic" in c.value for c in at.caption)  # the demo store's records are synthetic
    assert any("`actorwatch adapt` never trains or measures a model on such labels" in c.value for c in at.caption)


def test_a_record_in_the_repeated_autumn_hour_is_shown_with_its_offset(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """In New York 01:30 comes twice on 2026-11-01: the page showed the snapshot's naive wall clock, which cannot
    tell 01:30 EDT from 01:30 EST; it now shows the record's instant on the zone's clock with its offset."""
    import pyarrow as pa

    monkeypatch.setenv("ACTORWATCH_DATA", str(tmp_path))
    monkeypatch.setenv("ACTORWATCH_TZ", "America/New_York")
    record = hostile_record()
    at_utc = pa.array([datetime(2026, 11, 1, 6, 30, tzinfo=UTC)], type=record.schema.field("published_at").type)
    record = record.set_column(record.schema.get_field_index("published_at"), "published_at", at_utc)
    Store(tmp_path).add_table(RECORDS, record)
    caption = next(c.value for c in open_label("erin", **{"from": "2026-11-01", "to": "2026-11-01"}).caption
                   if "· record " in c.value)
    assert "2026-11-01 01:30 -05:00 America/New_York" in caption  # EST: the second 01:30
