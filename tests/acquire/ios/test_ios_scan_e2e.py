"""End to end against the simulated iPhone (unmodified pymobiledevice3 underneath): built-in
profiles scan into complete, verifiable case folders; every pairing state gives its guidance and
typed error; a pulled cable leaves an incomplete, verifiable case; only reads reach the phone;
no event loop or thread outlives a scan; libimobiledevice's tools agree with what was read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from stalkerscan import api
from stalkerscan.acquire.ios.client import LOCKED_ADVICE, NEEDS_TRUST_ADVICE, pairing_records_folder
from stalkerscan.acquire.ios.devices import list_iphones
from stalkerscan.acquire.ios.scan import scan_iphone
from stalkerscan.errors import (
    DeviceDisconnectedError,
    DeviceError,
    DeviceLockedError,
    DeviceUnauthorizedError,
    MultipleDevicesError,
    NoDeviceError,
    PairingDeniedError,
)
from stalkerscan.model.artifacts import Outcome
from stalkerscan.model.ios import IosSigning
from stalkerscan.parse.ios.inventory import build_ios_inventory
from stalkerscan.preserve.case import CaseFolder
from stalkerscan.preserve.verify import verify_case
from stalkerscan.simulator.ios.phone import SimulatedIPhone
from stalkerscan.simulator.ios.profile import parse_ios_profile
from stalkerscan.simulator.ios.run import libimobiledevice_address, running_usbmuxd

pytestmark = pytest.mark.timeout(90)

SMALL = {
    "platform": "ios", "name": "stalkerscan-test", "seed": 11,
    "device": {"name": "Test iPhone", "product_type": "iPhone14,5", "ios_version": "17.5.1",
               "serial": "SIMTEST00042"},
    "generate": {"ordinary_apps": 6, "system_apps": True},
    "apps": [{"bundle_id": "net.example.helper", "name": "Helper",
              "signer_identity": "Apple Development: someone@example.net (EXAMPLE002)",
              "team_id": "EXAMPLE002"}],
    "configuration_profiles": [{"identifier": "net.example.profile", "display_name": "Example Profile",
                                "organization": "Example Org", "payloads": [{"type": "com.apple.vpn.managed"}]}],
}


def phone(**changes: Any) -> SimulatedIPhone:
    return SimulatedIPhone(parse_ios_profile({**SMALL, **changes}, source="<test>"))


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """pymobiledevice3 keeps pair records under HOME: never touch the real one."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_DATA_HOME", "SUDO_USER", "USBMUXD_SOCKET_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    yield home
    leftover = [t.name for t in threading.enumerate() if t.name.startswith("stalkerscan-iphone")]
    assert leftover == [], "an iPhone session's event loop thread outlived it"


@pytest.fixture(scope="module")
def sigs():
    return api.resolve_signatures(None)


def scan(address: str, out: Path, sigs, *, wait: float = 3.0, udid: str | None = None, person=None):
    """Scan; ``person(advice)`` is what the person holding the phone does on reading advice."""
    waits: list[str] = []

    def on_wait(advice: str) -> None:
        waits.append(advice)
        if person is not None:
            person(advice)

    case = scan_iphone(out, udid=udid, usbmux_address=address, examiner="Test Examiner", case_id="T-1",
                       sigs=sigs, locale="en", formats=("json",), progress=None, on_wait=on_wait,
                       wait_seconds=wait)
    return case, waits


def custody(case_path: Path) -> list[dict]:
    return [json.loads(line) for line in (case_path / "custody.log").read_text().splitlines()]


# --------------------------------------------------------------------------- built-in profiles
def test_ios_infected_scans_into_a_complete_verifiable_case(tmp_path, sigs):
    infected = SimulatedIPhone.load("ios-infected")
    with running_usbmuxd([infected]) as address:
        case, waits = scan(address, tmp_path / "case", sigs)
    assert waits == [] and case.error is None and case.complete
    assert infected.log.write_attempts() == []
    assert verify_case(case.path).ok
    inventory = case.result.inventory
    assert inventory.missing == () and inventory.problems == ()
    assert inventory.device.udid == infected.udid and inventory.device.ios_version == "17.4.1"
    assert inventory.app("net.example.familysafe").signing is IosSigning.ENTERPRISE
    assert len(inventory.apps) == len(infected.profile.apps)
    profiles = {p.identifier: p for p in inventory.profiles}
    assert profiles["net.example.netopt.profile"].payload_types == (
        "com.apple.vpn.managed", "com.apple.proxy.http.global", "com.apple.security.root")
    assert profiles["net.example.devicecare.enrollment"].removal_disallowed is True
    assert inventory.cloud_configuration.supervised is True
    assert inventory.cloud_configuration.mdm_unremovable is True
    assert {f.id for f in case.result.findings} >= {
        "ios.mdm_enrolled", "ios.supervised", "ios.risky_profile", "ios.sideloaded_app"}
    # Raw evidence: every answer beside its request, and custody knows the phone and its clock.
    folder = CaseFolder.open(case.path)
    names = [r.name for r in folder.records()]
    assert names == ["lockdown_values", "installed_apps", "profile_list", "cloud_configuration",
                     "jailbreak_services", "lockdown_values"]
    assert all(r.outcome is Outcome.OK and "response" in r.files for r in folder.records())
    assert "<key>Command</key>" in folder.records()[1].request and "Browse" in folder.records()[1].request
    identified = next(e["details"] for e in custody(case.path) if e["event"] == "device_identified")
    assert identified["udid"] == infected.udid and identified["serial"] == "SIMF4K2Q9D7L"
    assert identified["pairing"] == "existing pair record"
    acquisition = folder.acquisition()
    assert acquisition["clock_drift_start_s"] is not None and abs(acquisition["clock_drift_start_s"]) < 5
    assert "AirTags" in acquisition["not_visible_over_usb"]
    # Re-parsing the preserved bytes alone gives the same inventory.
    assert build_ios_inventory(folder).apps == inventory.apps


def test_ios_clean_scans_complete_with_nothing_sideloaded(tmp_path, sigs):
    clean = SimulatedIPhone.load("ios-clean")
    with running_usbmuxd([clean]) as address:
        case, _ = scan(address, tmp_path / "case", sigs)
    assert case.complete and case.error is None and verify_case(case.path).ok
    assert clean.log.write_attempts() == []
    inventory = case.result.inventory
    assert inventory.jailbreak_signs == ()
    assert not [a for a in inventory.apps if a.signing in (IosSigning.ENTERPRISE, IosSigning.DEVELOPER)]
    assert not {f.id for f in case.result.findings} & {"ios.sideloaded_app", "ios.jailbreak", "ios.mdm_enrolled"}


def test_jailbroken_phone_shows_apps_and_afc2(tmp_path, sigs):
    broken = phone(jailbreak={"apps": ["sileo"], "services": ["com.apple.afc2"]})
    with running_usbmuxd([broken]) as address:
        case, _ = scan(address, tmp_path / "case", sigs)
    assert broken.log.write_attempts() == []
    kinds = {(s.kind, s.detail.split(" ")[0]) for s in case.result.inventory.jailbreak_signs}
    assert kinds == {("jailbreak_app", "org.coolstar.SileoStore"), ("extra_service", "com.apple.afc2")}
    assert "ios.jailbreak" in {f.id for f in case.result.findings}
    assert case.result.inventory.app("net.example.helper").signing is IosSigning.DEVELOPER


# --------------------------------------------------------------------------- pairing states
def test_needs_trust_waits_then_explains(tmp_path, sigs):
    untrusted = phone(state="needs_trust")
    with running_usbmuxd([untrusted]) as address, pytest.raises(DeviceUnauthorizedError) as error:
        scan(address, tmp_path / "case", sigs, wait=1.5)
    assert error.value.advice == NEEDS_TRUST_ADVICE
    assert not (tmp_path / "case").exists(), "no case folder while the phone cannot be read"
    assert untrusted.log.write_attempts() == []
    assert untrusted.log.count("lockdownd", "Pair") >= 1


def test_trust_tapped_while_waiting(tmp_path, sigs):
    prompting = phone(state="trust_prompt", trust_delay_ms=300)
    with running_usbmuxd([prompting]) as address:
        case, waits = scan(address, tmp_path / "case", sigs, wait=10)
    assert waits == [NEEDS_TRUST_ADVICE]
    assert case.complete and verify_case(case.path).ok
    assert prompting.log.write_attempts() == []
    identified = next(e["details"] for e in custody(case.path) if e["event"] == "device_identified")
    assert identified["pairing"] == "trusted now, after the person tapped Trust"
    # The record the person approved is kept for next time (HOME is this test's own).
    assert (pairing_records_folder() / f"{prompting.udid}.plist").is_file()
    assert prompting.log.count("usbmuxd", "SavePairRecord") == 1


def test_trust_denied(tmp_path, sigs):
    denied = phone(state="trust_denied")
    with running_usbmuxd([denied]) as address, pytest.raises(PairingDeniedError) as error:
        scan(address, tmp_path / "case", sigs)
    assert "Trust" in error.value.advice and not (tmp_path / "case").exists()
    assert denied.log.write_attempts() == []


def test_locked_phone_waits_then_explains(tmp_path, sigs):
    locked = phone(state="locked")
    with running_usbmuxd([locked]) as address, pytest.raises(DeviceLockedError) as error:
        scan(address, tmp_path / "case", sigs, wait=1.5)
    assert error.value.advice == LOCKED_ADVICE and not (tmp_path / "case").exists()
    assert locked.log.write_attempts() == []


def test_locked_phone_unlocked_while_waiting(tmp_path, sigs):
    locked = phone(state="locked")
    with running_usbmuxd([locked]) as address:
        # Unlocked a moment after the advice is shown (not at a fixed time: a slow machine
        # could otherwise unlock before the scan ever looked).
        case, waits = scan(address, tmp_path / "case", sigs, wait=10,
                           person=lambda advice: threading.Timer(0.2, locked.unlock).start())
    assert waits == [LOCKED_ADVICE] and case.complete and verify_case(case.path).ok


def test_no_iphone(tmp_path, sigs):
    absent = phone(state="none")
    with running_usbmuxd([absent]) as address:
        with pytest.raises(NoDeviceError):
            scan(address, tmp_path / "case", sigs)
        with pytest.raises(NoDeviceError):
            scan(address, tmp_path / "case2", sigs, udid="00008110-0000000000000000")


def test_two_iphones_need_a_choice(tmp_path, sigs):
    first, second = phone(), phone(device={**SMALL["device"], "serial": "SIMTEST00043"}, seed=12)
    with running_usbmuxd([first, second]) as address:
        with pytest.raises(MultipleDevicesError):
            scan(address, tmp_path / "case", sigs)
        case, _ = scan(address, tmp_path / "case", sigs, udid=second.udid)
    assert case.result.inventory.device.udid == second.udid
    assert first.log.count("lockdownd") == 0


def test_no_usbmuxd_at_all(tmp_path, sigs):
    missing = str(tmp_path / "no-such-usbmuxd.sock")
    with pytest.raises(DeviceError) as error:
        scan(missing, tmp_path / "case", sigs)
    assert "usbmuxd" in error.value.message
    with pytest.raises(DeviceError) as listing:
        list_iphones(missing)
    assert "usbmuxd" in listing.value.advice


# --------------------------------------------------------------------------- faults mid-scan
def test_cable_pulled_mid_scan_keeps_an_incomplete_verifiable_case(tmp_path, sigs):
    # Requests: QueryType, GetValue, StartSession, GetValue, StartService, GetValue, Browse...
    pulled = phone(faults={"disconnect_after": 6})
    with running_usbmuxd([pulled]) as address:
        case, _ = scan(address, tmp_path / "case", sigs)
    assert isinstance(case.error, DeviceDisconnectedError)
    assert not case.complete and case.exit_code == 4
    report = verify_case(case.path)
    assert report.ok, report
    records = CaseFolder.open(case.path).records()
    assert [(r.name, r.outcome) for r in records] == [
        ("lockdown_values", Outcome.OK), ("installed_apps", Outcome.INTERRUPTED)]
    inventory = case.result.inventory
    assert inventory.device.udid == pulled.udid
    assert "installed_apps" in inventory.missing and "profile_list" in inventory.missing
    assert pulled.log.write_attempts() == []


def test_cable_pulled_during_the_app_pages_keeps_what_arrived(tmp_path, sigs):
    slow = SimulatedIPhone.load("ios-infected")
    slow.set_faults(slow_bytes_per_second=60_000, browse_page_size=5)
    with running_usbmuxd([slow]) as address:
        timer = threading.Timer(1.5, slow.unplug)
        timer.start()
        try:
            case, _ = scan(address, tmp_path / "case", sigs)
        finally:
            timer.cancel()
    assert isinstance(case.error, DeviceDisconnectedError) and verify_case(case.path).ok
    apps_record = next(r for r in CaseFolder.open(case.path).records() if r.name == "installed_apps")
    assert apps_record.outcome is Outcome.INTERRUPTED
    inventory = case.result.inventory
    assert 0 < len(inventory.apps) < len(slow.profile.apps)
    assert "installed_apps" in inventory.missing


# --------------------------------------------------------------------------- listing
def test_devices_lists_every_state_with_guidance(sigs, monkeypatch):
    phones = {
        "ready": phone(),
        "needs_trust": phone(state="needs_trust", seed=21, device={**SMALL["device"], "serial": "SIMTEST00051"}),
        "trust_denied": phone(state="trust_denied", seed=22, device={**SMALL["device"], "serial": "SIMTEST00052"}),
        "locked": phone(state="locked", seed=23, device={**SMALL["device"], "serial": "SIMTEST00053"}),
    }
    with running_usbmuxd(list(phones.values())) as address:
        monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", address)  # honoured when none is given
        listed = {p.serial: p for p in list_iphones(None)}
    for state, simulated in phones.items():
        summary = listed[simulated.udid]
        assert summary.state == state, (state, summary)
        assert summary.ready is (state == "ready")
        assert summary.platform == "ios" and summary.name == "Test iPhone"
        assert summary.model.endswith("(iPhone14,5)")
        assert simulated.log.write_attempts() == []
    assert listed[phones["needs_trust"].udid].guidance == NEEDS_TRUST_ADVICE
    assert listed[phones["locked"].udid].guidance == LOCKED_ADVICE
    assert "Don't Trust" in listed[phones["trust_denied"].udid].guidance
    assert listed[phones["ready"].udid].guidance == "Ready to scan."


# --------------------------------------------------------------------------- cross-check
@pytest.mark.skipif(not (shutil.which("ideviceinfo") and shutil.which("ideviceinstaller")),
                    reason="libimobiledevice's tools (ideviceinfo, ideviceinstaller) are not installed")
def test_libimobiledevice_sees_the_same_phone_and_apps(tmp_path, sigs, isolated_home):
    clean = SimulatedIPhone.load("ios-clean")
    with running_usbmuxd([clean]) as address:
        case, _ = scan(address, tmp_path / "case", sigs)
        env = {**os.environ, "HOME": str(isolated_home), "USBMUXD_SOCKET_ADDRESS": libimobiledevice_address(address)}
        udid = subprocess.run(["ideviceinfo", "-k", "UniqueDeviceID"], env=env, capture_output=True,
                              timeout=30, check=True).stdout.decode().strip()
        listing = subprocess.run(["ideviceinstaller", "-l", "-o", "list_all"], env=env, capture_output=True,
                                 timeout=60, check=True).stdout.decode()
    theirs = {line.split(",", 1)[0] for line in listing.splitlines()[1:] if line.strip()}
    ours = {app.bundle_id for app in case.result.inventory.apps}
    assert udid == case.result.inventory.device.udid
    assert theirs == ours
    assert clean.log.write_attempts() == []


def test_service_tls_fragmented_answers_and_tcp_usbmuxd(tmp_path, sigs):
    variant = phone(faults={"service_ssl": True, "fragment": 3})
    with running_usbmuxd([variant], tcp_port=0) as address:
        case, _ = scan(address, tmp_path / "case", sigs)
    assert ":" in address and case.complete and case.result.inventory.missing == ()
    assert len(case.result.inventory.apps) == len(variant.profile.apps)
    assert variant.log.write_attempts() == [] and verify_case(case.path).ok
