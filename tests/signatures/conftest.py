"""Shared fixtures for the signature tests: the real community feeds, read in place."""

from __future__ import annotations

from pathlib import Path

import pytest


def _shared_dir() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "feeds"
        if candidate.is_dir():
            return candidate
    return None


FEEDS = _shared_dir()


@pytest.fixture
def feeds() -> Path:
    """``shared/feeds`` beside the repository (real third-party data, read only)."""
    if FEEDS is None:
        pytest.skip("the shared community feeds (../shared/feeds) are not present beside this checkout")
    return FEEDS


@pytest.fixture
def echap(feeds: Path) -> Path:
    """Echap's files in the shared feeds."""
    path = feeds / "echap"
    if not (path / "ioc.yaml").is_file():
        pytest.skip("Echap's ioc.yaml is not in ../shared/feeds/echap")
    return path
