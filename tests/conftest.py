"""Shared fixtures: an isolated data dir per test, the shared labelled data (or a clear skip), record factories."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from collectors.models import Record

# Property tests check behaviour, never speed: on a loaded 2-core CI machine one example of a pandas or DuckDB call may
# take longer than Hypothesis's default 200 ms deadline, which failed a correct test as flaky.
settings.register_profile("actorwatch", deadline=None)
settings.load_profile("actorwatch")

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TRACKERS_MIN = FIXTURES / "trackers_min.toml"


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data dir, so nothing writes into the repository's data/."""
    path = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("ACTORWATCH_DATA", str(path))
    monkeypatch.setenv("ACTORWATCH_PSEUDONYM_KEY", "test-key-not-secret")
    monkeypatch.delenv("ACTORWATCH_PUBLIC_URL", raising=False)  # deep links use the local default in tests
    return path


@pytest.fixture
def data_dir(isolated_data_dir: Path) -> Path:
    return isolated_data_dir


@pytest.fixture
def shared_data() -> Path:
    """../shared/data (the team's labelled sets); skipped with a reason on a user's machine."""
    from collectors.paths import shared_data_dir

    path = shared_data_dir()
    if path is None:
        pytest.skip("../shared/data absent (labelled sets are not redistributed with actorwatch)")
    return path


@pytest.fixture
def chromium() -> str:
    """Path of Debian's Chromium; skipped with a reason if missing (CI sets ACTORWATCH_REQUIRE_BROWSER=1 to fail)."""
    path = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if path is None:
        if os.environ.get("ACTORWATCH_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required here (ACTORWATCH_REQUIRE_BROWSER=1) but /usr/bin/chromium is missing")
        pytest.skip("Chromium not installed: `make browsers` (apt-get install chromium fonts-noto-cjk)")
    return path


@pytest.fixture
def make_record() -> Callable[..., Record]:
    counter = iter(range(10**9))

    def make(**overrides: Any) -> Record:
        n = next(counter)
        base: dict[str, Any] = {
            "source": "weibo", "id": f"t{n}", "kind": "post", "text": f"测试文本 {n}",
            "published_at": datetime(2026, 4, 20, 8, 0, tzinfo=UTC), "collected_at": datetime(2026, 4, 21, tzinfo=UTC),
            "lang": "zh", "author_id": f"10{n}", "author_name": f"用户{n}", "trackers": ["case-a"],
        }
        base.update(overrides)
        return Record.model_validate(base)

    return make
