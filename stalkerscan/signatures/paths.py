"""Where signatures live on this computer."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs

APP_NAME = "stalkerscan"
DATA_DIR_ENV = "STALKERSCAN_DATA_DIR"
"""Set to use another data folder (tests, portable installs on a USB stick)."""


def user_data_dir() -> Path:
    """The user's stalkerscan data folder (downloaded community signatures live here)."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def community_dir(data_dir: Path | None = None) -> Path:
    """Folder of downloaded community signature sets."""
    return (data_dir or user_data_dir()) / "community"


def bundled_dir() -> Path:
    """The project's own signatures shipped with stalkerscan (``signatures/`` in the source)."""
    return Path(str(resources.files("stalkerscan.bundled_signatures")))
