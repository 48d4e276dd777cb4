"""Fixture shared by the hot-search tests: the real archive under ../shared, or a skip with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def hot_archive(shared_data: Path) -> Path:
    path = shared_data / "weibo_hot_archive"
    if not path.is_dir():
        pytest.skip("../shared/data/weibo_hot_archive absent: the real hot-search archive is not redistributed")
    return path
