"""Security tests: besides the root conftest's throwaway home, no data folder override from
the developer's environment may leak in."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_data_dir_override(monkeypatch):
    monkeypatch.delenv("STALKERSCAN_DATA_DIR", raising=False)
