"""Helpers shared by the simulated-iPhone tests (a uniquely named module, so that it never
clashes with another test folder's ``conftest``)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stalkerscan.simulator.ios.profile import IosPhoneProfile, parse_ios_profile

SMALL_PHONE: dict[str, Any] = {
    "platform": "ios",
    "name": "test-iphone",
    "seed": 7,
    "device": {"name": "Test iPhone", "product_type": "iPhone14,5", "ios_version": "17.5.1",
               "serial": "SIMTEST00001"},
    "generate": {"ordinary_apps": 12, "system_apps": True},
    "apps": [
        {"bundle_id": "net.example.sideloaded", "name": "Helper",
         "signer_identity": "iPhone Distribution: Example Org", "team_id": "EXAMPLE001"},
    ],
    "configuration_profiles": [
        {"identifier": "net.example.profile", "display_name": "Example Profile",
         "organization": "Example Org", "removal_disallowed": True,
         "payloads": [{"type": "com.apple.vpn.managed"}, {"type": "com.apple.security.root"}]},
    ],
    "cloud_configuration": {"supervised": True, "organization": "Example Org",
                            "mdm_unremovable": True,
                            "configuration_url": "https://mdm.example.net/enroll"},
}


def small_profile(**changes: Any) -> IosPhoneProfile:
    """The small test phone, with top-level keys replaced by ``changes``."""
    data = dict(SMALL_PHONE)
    data.update(changes)
    return parse_ios_profile(data, source="<test>")


def isolated_env(home: Path, address: str, **extra: str) -> Mapping[str, str]:
    """Environment for a client subprocess: its own HOME, the simulated usbmuxd."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "SUDO_USER")}
    env.update(HOME=str(home), USBMUXD_SOCKET_ADDRESS=address, NO_COLOR="1", **extra)
    return env


def run(coroutine: Any) -> Any:
    """Run one client coroutine on a fresh event loop."""
    return asyncio.run(coroutine)
