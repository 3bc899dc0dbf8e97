"""Fixtures every test folder shares.

Shared helper modules (``android_scan_helpers``...) live in ``tests/helpers``, which pytest
puts on the import path (``pythonpath`` in pyproject.toml).
"""

from __future__ import annotations

import pytest

from stalkerscan.signatures.signature_set import load_signature_set


@pytest.fixture(scope="session")
def bundled_signatures():
    """Only the project's own signatures: tests never depend on a downloaded community set."""
    return load_signature_set(include_community=False)


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    # Signature caches and downloads go to a throwaway home, never the developer's.
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
