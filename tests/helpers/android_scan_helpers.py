"""Helpers for end-to-end scans against simulated Android phones."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from stalkerscan.simulator.android.phone import SimulatedAndroidPhone
from stalkerscan.simulator.android.profile import parse_android_profile
from stalkerscan.simulator.android.run import running_host_server
from stalkerscan.simulator.profile import load_profile


def phone_from(profile: str | dict[str, Any], **kwargs: Any) -> SimulatedAndroidPhone:
    """A simulated phone from a built-in profile name or a profile mapping."""
    loaded = load_profile(profile) if isinstance(profile, str) else parse_android_profile(profile, source="test")
    return SimulatedAndroidPhone.from_profile(loaded, **kwargs)


@contextmanager
def served(*phones: SimulatedAndroidPhone) -> Iterator[Any]:
    """The phones behind an in-process ADB host-protocol server."""
    with running_host_server(list(phones)) as address:
        yield address


def scan_phone(phone: SimulatedAndroidPhone, out: Path, signatures, **kwargs: Any):
    """Scan one simulated phone through the full pipeline."""
    from stalkerscan import api

    with served(phone) as address:
        return api.scan(out, platform="android", adb_host=address.host, adb_port=address.port,
                        signatures=signatures, wait_seconds=kwargs.pop("wait_seconds", 2.0), **kwargs)


def shell_requests(phone: SimulatedAndroidPhone) -> list[str]:
    """Shell command lines the phone received, in order."""
    return [e.request for e in phone.log.entries() if e.service in ("shell", "exec")]
