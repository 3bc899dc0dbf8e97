"""Choosing the Android phone to scan and waiting, politely, for the person to allow it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from stalkerscan.acquire.android.adb_client import (
    NO_PERMISSIONS_ADVICE,
    OFFLINE_ADVICE,
    UNAUTHORIZED_ADVICE,
    AdbClient,
    DeviceEntry,
)
from stalkerscan.acquire.android.channel import AndroidChannel
from stalkerscan.errors import (
    DeviceError,
    DeviceOfflineError,
    DeviceUnauthorizedError,
    MultipleDevicesError,
    NoDeviceError,
)

READY = "device"


def guidance(state: str) -> str:
    """One plain sentence: what to do for a phone in this state."""
    if state == READY:
        return "Ready to scan."
    if state in ("unauthorized", "authorizing"):
        return UNAUTHORIZED_ADVICE
    if state == "offline":
        return OFFLINE_ADVICE
    if state.startswith("no permissions"):
        return NO_PERMISSIONS_ADVICE
    if state in ("recovery", "sideload", "bootloader", "rescue"):
        return "The phone is in a special start-up mode. Restart it normally, unlock it, then try again."
    if state == "connecting":
        return "The phone is still connecting; wait a few seconds."
    return f"The phone reports the state {state!r}. Unplug and replug it, unlock it, and try again."


@dataclass(frozen=True)
class ChosenPhone:
    """The phone a scan will read."""

    entry: DeviceEntry
    """Its line from ``adb devices -l``."""

    features: frozenset[str]
    """Transport features it advertises."""


def choose_phone(
    client: AdbClient,
    serial: str | None,
    *,
    wait_seconds: float = 0.0,
    on_wait: Callable[[DeviceEntry], None] | None = None,
    poll_interval: float = 0.5,
) -> ChosenPhone:
    """Pick the phone to scan; wait up to ``wait_seconds`` for "Allow USB debugging".

    With no ``serial``, exactly one phone must be connected. A phone showing the prompt is
    waited for (``on_wait`` is told once, so the person can be asked to tap Allow).
    """
    deadline = time.monotonic() + wait_seconds
    told = False
    while True:
        entries = client.devices()
        if serial is not None:
            matches = [e for e in entries if e.serial == serial]
            if not matches:
                raise NoDeviceError(
                    f"No phone with serial {serial} is connected.",
                    "Run `stalkerscan devices` to see the phones this computer can see.",
                )
            entry = matches[0]
        elif not entries:
            raise NoDeviceError(
                "No phone is connected.",
                "Connect the phone with a USB cable that carries data, unlock it, and turn on "
                "USB debugging (docs/clinic-guide.md explains how).",
            )
        elif len(entries) > 1:
            raise MultipleDevicesError(
                f"{len(entries)} phones are connected.",
                "Unplug the others, or choose one with --serial (see `stalkerscan devices`).",
            )
        else:
            entry = entries[0]
        if entry.state == READY:
            return ChosenPhone(entry, client.features(entry.serial))
        waiting_possible = entry.state in ("unauthorized", "authorizing", "connecting", "offline")
        if waiting_possible and time.monotonic() < deadline:
            if not told and on_wait is not None:
                on_wait(entry)
                told = True
            time.sleep(poll_interval)
            continue
        if entry.state in ("unauthorized", "authorizing"):
            raise DeviceUnauthorizedError(
                f"The phone {entry.serial} has not allowed USB debugging from this computer.",
                UNAUTHORIZED_ADVICE,
            )
        if entry.state == "offline":
            raise DeviceOfflineError(f"The phone {entry.serial} is offline.", OFFLINE_ADVICE)
        raise DeviceError(f"The phone {entry.serial} is not ready ({entry.state}).", guidance(entry.state))


def open_channel(client: AdbClient, phone: ChosenPhone, *, request_timeout: float) -> AndroidChannel:
    """The read-only channel for a chosen phone (shell v2 when it offers it)."""
    return AndroidChannel(
        client, phone.entry.serial, shell_v2="shell_v2" in phone.features, request_timeout=request_timeout
    )
