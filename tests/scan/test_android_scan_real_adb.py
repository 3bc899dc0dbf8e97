"""End to end through Debian's real adb server: stalkerscan -> adb server -> simulated adbd.

This is the tier closest to a real phone on a USB cable: the real adb server speaks the ADB
transport protocol to the simulated phone, and stalkerscan speaks the host protocol to it.
"""

from __future__ import annotations

import shutil

import pytest
from android_scan_helpers import phone_from

from stalkerscan import api
from stalkerscan.errors import EXIT_INCOMPLETE, DeviceDisconnectedError
from stalkerscan.model.artifacts import Outcome
from stalkerscan.preserve.case import CaseFolder
from stalkerscan.preserve.verify import verify_case

pytestmark = [
    pytest.mark.skipif(shutil.which("adb") is None, reason="adb is not installed (Debian package adb)"),
    pytest.mark.adb_server,
    pytest.mark.timeout(180),
]


@pytest.fixture(scope="module")
def adb_server():
    from stalkerscan.simulator.android.run import AdbServerProcess

    with AdbServerProcess() as server:
        yield server


def scan_through_real_adb(adb_server, phone, out, signatures, **kwargs):
    from stalkerscan.simulator.android.run import running_adbd

    with running_adbd(phone) as address:
        adb_server.connect(address.host, address.port)
        adb_server.wait_for_state(address.serial, "device")
        try:
            return api.scan(out, platform="android", serial=address.serial, adb_port=adb_server.port,
                            signatures=signatures, wait_seconds=5, **kwargs)
        finally:
            adb_server.disconnect(address.serial)


@pytest.mark.parametrize("profile", ["android-infected", "android-clean"])
def test_builtin_profiles_through_the_real_adb_server(adb_server, tmp_path, bundled_signatures, profile):
    phone = phone_from(profile)
    case = scan_through_real_adb(adb_server, phone, tmp_path / "case", bundled_signatures)
    assert case.complete, case.error
    assert verify_case(case.path).ok
    assert phone.log.write_attempts() == []
    records = CaseFolder.open(case.path).records()
    assert {r.channel for r in records if r.name != "apk"} == {"adb-shell-v2"}
    assert all(r.outcome is Outcome.OK for r in records)
    assert len(case.result.inventory.apps) >= 150
    if profile == "android-infected":
        assert any(f.id == "signature.aspy" for f in case.result.findings)
        app = case.result.inventory.app("net.example.systemsync")
        assert app.apks and app.apks[0].certificates  # pulled through the real server's sync
    else:
        assert not [f for f in case.result.findings if f.severity.value == "high"]


def test_old_phone_through_the_real_adb_server(adb_server, tmp_path, bundled_signatures):
    profile = {"platform": "android", "name": "old", "device": {"android_version": "8.1"},
               "generate": {"ordinary_apps": 10},
               "apps": [{"package": "org.example.old", "installer": "com.android.shell"}]}
    phone = phone_from(profile, faults={"protocol_version": 0x01000000, "max_payload": 4096, "old_pm": True})
    case = scan_through_real_adb(adb_server, phone, tmp_path / "case", bundled_signatures)
    assert case.complete
    assert case.result.inventory.app("org.example.old").installer == "com.android.shell"
    assert phone.log.write_attempts() == []


def test_cable_pulled_through_the_real_adb_server(adb_server, tmp_path, bundled_signatures):
    profile = {"platform": "android", "name": "pulled", "generate": {"ordinary_apps": 10}}
    phone = phone_from(profile, faults={"disconnect_after": 4})
    case = scan_through_real_adb(adb_server, phone, tmp_path / "case", bundled_signatures)
    assert not case.complete and case.exit_code == EXIT_INCOMPLETE
    assert verify_case(case.path).ok
    # The real server reports the phone gone: the cable advice, not "the adb server stopped".
    assert isinstance(case.error, DeviceDisconnectedError) and "cable" in case.error.advice
