"""Fixtures for the security regression tests: every test runs with a throwaway home."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    # Signature data and YARA caches go to a throwaway home, never the developer's.
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.delenv("STALKERSCAN_DATA_DIR", raising=False)


@pytest.fixture(scope="session")
def bundled_signatures():
    """Only the project's own signatures (no downloaded community set)."""
    from stalkerscan.signatures.signature_set import load_signature_set

    return load_signature_set(include_community=False)
