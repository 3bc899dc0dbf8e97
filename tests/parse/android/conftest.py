"""Shared fixtures: where the real third-party captures live (read only, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest


def _shared_captures() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "captures"
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def captures() -> Path:
    """``shared/captures`` beside the repository; skips when it is not there."""
    found = _shared_captures()
    if found is None:
        pytest.skip("the shared captures folder (../shared/captures) is not available")
    return found


@pytest.fixture(scope="session")
def android_capture(captures: Path):
    """Bytes of one file under ``captures/android``."""

    def read(name: str) -> bytes:
        path = captures / "android" / name
        if not path.is_file():
            pytest.skip(f"capture {path} is not available")
        return path.read_bytes()

    return read


@pytest.fixture(scope="session")
def androidqf_dir(captures: Path) -> Path:
    """The androidqf capture folder."""
    path = captures / "androidqf"
    if not path.is_dir():
        pytest.skip(f"capture folder {path} is not available")
    return path
