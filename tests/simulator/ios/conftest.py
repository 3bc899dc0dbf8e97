"""Shared helpers for the simulated-iPhone tests.

pymobiledevice3 decides where it keeps pair records when it is first imported, so tests never
rely on ``HOME`` for the in-process client: every ``create_using_usbmux`` call passes its own
``pairing_records_cache_folder``. Subprocesses (the pymobiledevice3 CLI, libimobiledevice's
tools) get an isolated ``HOME`` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from iphone_helpers import small_profile

from stalkerscan.simulator.ios.phone import SimulatedIPhone
from stalkerscan.simulator.ios.run import running_usbmuxd


@pytest.fixture
def make_phone() -> Callable[..., SimulatedIPhone]:
    """Build a small simulated iPhone: ``make_phone(state="locked", faults={...})``."""

    def build(**changes: Any) -> SimulatedIPhone:
        return SimulatedIPhone(small_profile(**changes))

    return build


@pytest.fixture
def pair_folder(tmp_path: Path) -> Path:
    """Where pymobiledevice3 keeps pair records in this test."""
    folder = tmp_path / "pair-records"
    folder.mkdir()
    return folder


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., str]]:
    """``serve(phone, ...)`` runs a simulated usbmuxd for the test and points
    ``USBMUXD_SOCKET_ADDRESS`` at it; everything stops when the test ends."""
    stack: list[Any] = []

    def start(*phones: SimulatedIPhone, **options: Any) -> str:
        manager = running_usbmuxd(list(phones), **options)
        address = manager.__enter__()
        stack.append(manager)
        monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", address)
        return address

    yield start
    while stack:
        stack.pop().__exit__(None, None, None)
