"""Real-browser test of the Label page: keyboard-only labelling, labels stored, agreement of two annotators.

Playwright drives Debian's Chromium against a Streamlit server on 127.0.0.1 over a small temporary store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sklearn.metrics import cohen_kappa_score

from tests.dashboard_store import build_store
from tests.test_browser import (
    CHROMIUM_ARGS,
    SCREENSHOTS,
    app_errors,
    require_browser,
    settle,
    streamlit_server,
)

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[1]
TRACKER = "iqiyi-nadou"


@pytest.fixture(scope="module")
def label_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    require_browser()
    data = tmp_path_factory.mktemp("label-store")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACTORWATCH_DATA", str(data))
        mp.setenv("ACTORWATCH_PSEUDONYM_KEY", "browser-test-key")
        build_store(data, records=600)
    with streamlit_server(data, tmp_path_factory.mktemp("label-log")) as base:
        yield base, data


@pytest.fixture
def tab(label_server: tuple[str, Path]):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1300, "height": 1600}, locale="en-GB")
        page = context.new_page()
        page.console_errors, page.failed_requests = [], []
        page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: page.console_errors.append(f"pageerror: {exc}"))
        page.on("response", lambda r: page.failed_requests.append(r.url) if r.status >= 400 else None)
        yield page
        context.close()
        browser.close()


def current_record(page) -> str:
    caption = page.get_by_text("· record ").first
    caption.wait_for(timeout=60_000)
    return caption.inner_text().rsplit("record ", 1)[1].strip()


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]', has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def label_with_keyboard(page, annotator: str, codes: list[str]) -> list[str]:
    """Type the annotator's name, then each code + Enter without touching the mouse; returns the records labelled."""
    name = page.get_by_label("Annotator (your name)", exact=True)
    name.fill(annotator)
    name.press("Enter")
    page.wait_for_function(f"document.cookie.includes('actorwatch_annotator={annotator}')", timeout=30_000)
    page.wait_for_function("""() => { const m = Array.from(document.querySelectorAll('[data-testid="stMetric"]'))
        .find(e => e.innerText.includes('Labelled by you'));
        return m && m.querySelector('[data-testid="stMetricValue"]').innerText.trim() === '0'; }""", timeout=60_000)
    settle(page)
    page.get_by_label("Label keys", exact=True).wait_for(timeout=60_000)
    done = []
    for code in codes:
        settle(page)  # keys typed while a rerun still paints can land in a field it then replaces (a loaded machine)
        record = current_record(page)
        # the page puts the cursor in the keys field itself: the keyboard alone labels
        page.wait_for_function("document.activeElement && document.activeElement.getAttribute('aria-label') === "
                               "'Label keys'", timeout=30_000)
        page.keyboard.type(code)
        page.wait_for_function("(code) => document.activeElement && document.activeElement.value === code",
                               arg=code, timeout=30_000)
        page.keyboard.press("Enter")
        page.wait_for_function(
            """(before) => { const c = Array.from(document.querySelectorAll('[data-testid="stCaptionContainer"]'))
                 .map(e => e.innerText).find(t => t.includes('· record '));
                 return c && !c.endsWith(before); }""", arg=record, timeout=60_000)
        done.append(record)
    return done


def test_label_five_records_by_keyboard_reload_and_agreement(label_server: tuple[str, Path], tab) -> None:
    server, data = label_server
    tab.goto(f"{server}/label?tracker={TRACKER}")
    settle(tab)
    alice_codes = ["0o", "1s", "2", "0a", "1"]
    alice = label_with_keyboard(tab, "alice", alice_codes)
    assert len(set(alice)) == 5

    tab.reload()
    settle(tab)
    tab.get_by_label("Label keys", exact=True).wait_for(timeout=60_000)
    # the name came back from this browser's cookie, the labels from the store; the link never carried the name
    assert tab.get_by_label("Annotator (your name)", exact=True).input_value() == "alice"
    assert metric(tab, "Labelled by you") == "5"
    assert "alice" not in tab.url and "annotator" not in tab.url

    from analysis.core.labels import read_labels
    from collectors.store import Store

    with Store(data).connect() as con:
        stored = read_labels(con, TRACKER)
    assert len(stored) == 5 and set(stored["annotator"]) == {"alice"}
    by_item = stored.set_index("item")
    assert [by_item.loc[r, "sentiment"] for r in alice] == ["negative", "positive", "neutral", "negative", "positive"]
    assert [by_item.loc[r, "stance"] for r in alice] == ["oppose", "support", None, None, None]
    assert by_item.loc[alice[3], "emotion"] == "anger"
    assert set(by_item["origin"]) == {"dashboard"}

    bob_codes = ["0", "1", "2", "0", "2"]
    bob = label_with_keyboard(tab, "bob", bob_codes)
    assert bob == alice  # the same records in the same order: overlap by design
    tab.get_by_text("alice vs bob").first.wait_for(timeout=60_000)
    names = {"0": "negative", "1": "positive", "2": "neutral"}
    expected = cohen_kappa_score([names[c[0]] for c in alice_codes], [names[c] for c in bob_codes])
    # the table updates once bob's fifth label is stored: wait for it to count five shared items
    tab.wait_for_function(
        """() => Array.from(document.querySelectorAll('[data-testid="stTable"]'))
                 .some(t => t.innerText.includes('alice vs bob') && /\\b5\\b/.test(t.innerText))""", timeout=60_000)
    table = tab.locator('[data-testid="stTable"]').first.inner_text()
    assert f"{expected:.2f}" in table and "sentiment" in table
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / "label.png"), full_page=True)
    assert tab.locator('[data-testid="stException"]').count() == 0
    assert app_errors(tab) == []
