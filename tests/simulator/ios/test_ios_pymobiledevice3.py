"""Tier 3: unmodified pymobiledevice3 (async API) against the simulated iPhone.

Every test reads real values through pymobiledevice3's own classes, and every state produces
the exception pymobiledevice3 raises for a real phone in that state.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from iphone_helpers import run
from pymobiledevice3 import usbmux
from pymobiledevice3.exceptions import (
    GetProhibitedError,
    InvalidServiceError,
    NoDeviceConnectedError,
    NotPairedError,
    PairingDialogResponsePendingError,
    PasswordRequiredError,
    PyMobileDevice3Exception,
    UserDeniedPairingError,
)
from pymobiledevice3.lockdown import create_using_usbmux
from pymobiledevice3.services.afc import AfcService
from pymobiledevice3.services.installation_proxy import InstallationProxyService
from pymobiledevice3.services.mobile_config import MobileConfigService

from stalkerscan.simulator.ios.phone import SimulatedIPhone
from stalkerscan.simulator.ios.profile import IPhoneState
from stalkerscan.simulator.requestlog import Verdict

pytestmark = pytest.mark.timeout(60)


async def full_scan(folder: Path, *, autopair: bool = False, pair_timeout: float | None = 0,
                    serial: str | None = None) -> dict[str, Any]:
    """What a scanner reads: values, apps, profiles, cloud configuration."""
    lockdown = await create_using_usbmux(serial=serial, autopair=autopair,
                                         pair_timeout=pair_timeout,
                                         pairing_records_cache_folder=folder)
    try:
        result: dict[str, Any] = {"values": lockdown.all_values, "paired": lockdown.paired}
        async with InstallationProxyService(lockdown=lockdown) as proxy:
            result["apps"] = await proxy.get_apps(application_type="Any")
        async with MobileConfigService(lockdown=lockdown) as config:
            result["profiles"] = await config.get_profile_list()
            result["cloud"] = await config.get_cloud_configuration()
        return result
    finally:
        await lockdown.close()


# --------------------------------------------------------------------------- a trusted phone
def test_paired_phone_answers_a_full_scan_with_its_profile(serve, make_phone, pair_folder):
    phone: SimulatedIPhone = make_phone()
    serve(phone)
    result = run(full_scan(pair_folder))
    device = phone.profile.device

    values = result["values"]
    assert result["paired"] is True
    assert values["UniqueDeviceID"] == device.udid
    assert values["SerialNumber"] == "SIMTEST00001"
    assert values["ProductType"] == "iPhone14,5"
    assert values["ProductVersion"] == "17.5.1"
    assert values["BuildVersion"] == "21F90"
    assert values["DeviceName"] == "Test iPhone"
    assert values["ActivationState"] == "Activated"
    assert values["PasswordProtected"] is True
    assert values["DevicePublicKey"] == phone.identity.public_key_pem

    apps = result["apps"]
    assert set(apps) == {app.bundle_id for app in phone.profile.apps}
    sideloaded = apps["net.example.sideloaded"]
    assert sideloaded["SignerIdentity"] == "iPhone Distribution: Example Org"
    assert sideloaded["ApplicationType"] == "User"
    assert sideloaded["Entitlements"]["com.apple.developer.team-identifier"] == "EXAMPLE001"
    assert sideloaded["Path"] == phone.profile.app("net.example.sideloaded").path
    assert apps["com.apple.mobilesafari"]["ApplicationType"] == "System"
    assert "SignerIdentity" not in apps["com.apple.mobilesafari"]
    assert "StaticDiskUsage" not in sideloaded  # computed only when asked for

    profiles = result["profiles"]
    assert profiles["OrderedIdentifiers"] == ["net.example.profile"]
    metadata = profiles["ProfileMetadata"]["net.example.profile"]
    assert metadata["PayloadDisplayName"] == "Example Profile"
    assert metadata["PayloadOrganization"] == "Example Org"
    assert metadata["PayloadRemovalDisallowed"] is True
    assert metadata["PayloadUUID"] == phone.profile.configuration_profiles[0].uuid
    assert "PayloadContent" not in metadata  # list_payload_summaries is off by default
    assert profiles["ProfileManifest"]["net.example.profile"] == {
        "Description": "Example Profile", "IsActive": True}

    cloud = result["cloud"]
    assert cloud["IsSupervised"] is True
    assert cloud["OrganizationName"] == "Example Org"
    assert cloud["IsMDMUnremovable"] is True
    assert cloud["ConfigurationURL"] == "https://mdm.example.net/enroll"

    assert phone.log.write_attempts() == []
    services = {entry.layer for entry in phone.log.entries()}
    assert {"usbmuxd", "lockdownd", "com.apple.mobile.installation_proxy",
            "com.apple.mobile.MCInstall"} <= services


def test_lookup_filters_and_computed_sizes(serve, make_phone, pair_folder):
    phone = make_phone()
    serve(phone)

    async def read() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        lockdown = await create_using_usbmux(autopair=False,
                                             pairing_records_cache_folder=pair_folder)
        try:
            async with InstallationProxyService(lockdown=lockdown) as proxy:
                user = await proxy.get_apps(application_type="User", calculate_sizes=True)
                system = await proxy.get_apps(application_type="System")
                some = await proxy.get_apps(bundle_identifiers=["net.example.sideloaded",
                                                                "org.example.absent"])
            return user, system, some
        finally:
            await lockdown.close()

    user, system, some = run(read())
    spec = phone.profile.app("net.example.sideloaded")
    assert spec is not None
    assert user["net.example.sideloaded"]["StaticDiskUsage"] == spec.static_disk_usage
    assert user["net.example.sideloaded"]["DynamicDiskUsage"] == spec.dynamic_disk_usage
    assert {a["ApplicationType"] for a in user.values()} == {"User"}
    assert {a["ApplicationType"] for a in system.values()} == {"System"}
    assert len(user) + len(system) == len(phone.profile.apps)
    assert list(some) == ["net.example.sideloaded"]


def test_browse_with_return_attributes_over_several_pages(serve, make_phone, pair_folder):
    phone = make_phone(faults={"browse_page_size": 7})
    serve(phone)

    async def browse() -> list[dict[str, Any]]:
        lockdown = await create_using_usbmux(autopair=False,
                                             pairing_records_cache_folder=pair_folder)
        try:
            async with InstallationProxyService(lockdown=lockdown) as proxy:
                return await proxy.browse(
                    options={"ApplicationType": "Any"},
                    attributes=["CFBundleIdentifier", "SignerIdentity", "Entitlements"])
        finally:
            await lockdown.close()

    entries = run(browse())
    assert [e["CFBundleIdentifier"] for e in entries] == [a.bundle_id for a in phone.profile.apps]
    assert all(set(e) <= {"CFBundleIdentifier", "SignerIdentity", "Entitlements"}
               for e in entries)
    by_id = {e["CFBundleIdentifier"]: e for e in entries}
    assert by_id["net.example.sideloaded"]["SignerIdentity"].startswith("iPhone Distribution:")
    assert "SignerIdentity" not in by_id["com.apple.Preferences"]


def test_payload_summaries_when_the_profile_asks_for_them(serve, make_phone, pair_folder):
    phone = make_phone(list_payload_summaries=True)
    serve(phone)
    metadata = run(full_scan(pair_folder))["profiles"]["ProfileMetadata"]["net.example.profile"]
    assert [p["PayloadType"] for p in metadata["PayloadContent"]] == [
        "com.apple.vpn.managed", "com.apple.security.root"]


def test_values_before_a_session_are_limited(serve, make_phone, pair_folder):
    phone = make_phone(state="needs_trust")
    serve(phone)

    async def unpaired() -> tuple[dict[str, Any], Exception]:
        lockdown = await create_using_usbmux(autopair=False,
                                             pairing_records_cache_folder=pair_folder)
        try:
            try:
                await lockdown.get_value(key="SerialNumber")
            except GetProhibitedError as exc:
                return lockdown.all_values, exc
            raise AssertionError("SerialNumber was readable without pairing")
        finally:
            await lockdown.close()

    values, _ = run(unpaired())
    assert values["ProductType"] == "iPhone14,5"
    assert values["UniqueDeviceID"] == phone.udid
    assert "DevicePublicKey" in values  # needed to pair
    assert "SerialNumber" not in values and "InternationalMobileEquipmentIdentity" not in values


def test_lockdown_domains_and_clock(serve, make_phone, pair_folder):
    phone = make_phone(clock={"offset_seconds": -3600},
                       device={"domains": {"com.apple.mobile.backup": {"WillEncrypt": True}}})
    serve(phone)

    async def read() -> tuple[Any, Any, float]:
        lockdown = await create_using_usbmux(autopair=False,
                                             pairing_records_cache_folder=pair_folder)
        try:
            encrypt = await lockdown.get_value("com.apple.mobile.backup", "WillEncrypt")
            battery = await lockdown.get_value("com.apple.mobile.battery")
            phone_time = await lockdown.get_value(key="TimeIntervalSince1970")
            return encrypt, battery, phone_time - time.time()
        finally:
            await lockdown.close()

    encrypt, battery, drift = run(read())
    assert encrypt is True
    assert battery["BatteryCurrentCapacity"] == 80
    assert -3700 < drift < -3500


def test_two_phones_are_listed_and_chosen_by_udid(serve, make_phone, pair_folder):
    first = make_phone()
    second = make_phone(name="second", seed=8,
                        device={"name": "Second", "serial": "SIMTEST00002"})
    serve(first, second)

    async def both() -> tuple[list[str], str]:
        devices = await usbmux.list_devices()
        result = await full_scan(pair_folder, serial=second.udid)
        return [d.serial for d in devices], result["values"]["DeviceName"]

    serials, name = run(both())
    assert serials == [first.udid, second.udid]
    assert name == "Second"
    assert first.log.count(layer="lockdownd") == 0


# --------------------------------------------------------------------------- states
def test_needs_trust_without_autopair_is_not_paired(serve, make_phone, pair_folder):
    phone = make_phone(state="needs_trust")
    server_address = serve(phone)
    assert server_address
    with pytest.raises(NotPairedError):
        run(full_scan(pair_folder, autopair=False))
    assert phone.log.write_attempts() == []
    assert phone.log.count(service="Pair") == 0


def test_needs_trust_with_autopair_waits_for_the_dialog(serve, make_phone, pair_folder):
    phone = make_phone(state="needs_trust")
    serve(phone)
    with pytest.raises(PairingDialogResponsePendingError):
        run(full_scan(pair_folder, autopair=True, pair_timeout=0))
    pairs = [e for e in phone.log.entries() if e.service == "Pair"]
    assert len(pairs) == 1 and pairs[0].verdict is Verdict.READ
    assert list(pair_folder.iterdir()) == []
    assert phone.state is IPhoneState.NEEDS_TRUST


def test_trust_denied_raises_user_denied(serve, make_phone, pair_folder):
    phone = make_phone(state="trust_denied")
    serve(phone)
    with pytest.raises(UserDeniedPairingError):
        run(full_scan(pair_folder, autopair=True, pair_timeout=0))
    with pytest.raises(NotPairedError):
        run(full_scan(pair_folder, autopair=False))
    assert phone.log.write_attempts() == []


def test_locked_phone_raises_password_required_until_unlocked(serve, make_phone, pair_folder):
    phone = make_phone(state="locked")
    serve(phone)
    with pytest.raises(PasswordRequiredError):
        run(full_scan(pair_folder))
    phone.unlock()
    assert phone.state is IPhoneState.PAIRED
    assert "net.example.sideloaded" in run(full_scan(pair_folder))["apps"]


def test_no_phone_raises_no_device_connected(serve, make_phone, pair_folder):
    phone = make_phone(state="none")
    serve(phone)
    assert run(usbmux.list_devices()) == []
    with pytest.raises(NoDeviceConnectedError):
        run(full_scan(pair_folder))
    with pytest.raises(NoDeviceConnectedError):
        run(full_scan(pair_folder, autopair=True))


def test_no_phone_at_all(serve, pair_folder):
    serve()
    with pytest.raises(NoDeviceConnectedError):
        run(full_scan(pair_folder))


def test_trust_prompt_pairs_and_saves_the_record(serve, make_phone, pair_folder):
    phone = make_phone(state="trust_prompt", trust_delay_ms=200)
    serve(phone)
    result = run(full_scan(pair_folder, autopair=True, pair_timeout=10))
    assert result["paired"] is True
    assert (pair_folder / f"{phone.udid}.plist").is_file()
    saves = [e for e in phone.log.entries() if e.service == "SavePairRecord"]
    assert len(saves) == 1 and saves[0].verdict is Verdict.READ
    assert phone.state is IPhoneState.PAIRED
    assert phone.log.write_attempts() == []

    # The next scan finds the record in usbmuxd and needs no Trust.
    phone.log.clear()
    again = run(full_scan(pair_folder.parent / "fresh", autopair=False))
    assert again["paired"] is True
    assert phone.log.count(service="Pair") == 0


def test_tapping_trust_while_pymobiledevice3_waits(serve, make_phone, pair_folder):
    phone = make_phone(state="needs_trust")
    serve(phone)
    tap = threading.Timer(0.3, phone.tap_trust)
    tap.start()
    try:
        result = run(full_scan(pair_folder, autopair=True, pair_timeout=20))
    finally:
        tap.cancel()
    assert result["paired"] is True
    assert len(result["apps"]) == len(phone.profile.apps)


def test_forgotten_computer_has_a_stale_pair_record(serve, make_phone, pair_folder):
    phone = make_phone()
    serve(phone)
    assert run(full_scan(pair_folder))["paired"] is True
    phone.forget_trusted_computers()
    with pytest.raises(NotPairedError):
        run(full_scan(pair_folder))
    sessions = [e for e in phone.log.entries() if e.service == "StartSession"]
    assert len(sessions) >= 2


# --------------------------------------------------------------------------- jailbreak signs
def test_probing_for_a_jailbreak_service_is_a_read(serve, make_phone, pair_folder):
    jailbroken = make_phone(jailbreak={"apps": ["cydia"], "services": ["com.apple.afc2"]})
    stock = make_phone(name="stock", seed=9, device={"serial": "SIMTEST00003"})
    serve(jailbroken, stock)

    async def probe(serial: str) -> Any:
        lockdown = await create_using_usbmux(serial=serial, autopair=False,
                                             pairing_records_cache_folder=pair_folder)
        try:
            try:
                return await lockdown.get_service_connection_attributes("com.apple.afc2")
            except InvalidServiceError as exc:
                return exc
        finally:
            await lockdown.close()

    offered = run(probe(jailbroken.udid))
    absent = run(probe(stock.udid))
    assert offered["Service"] == "com.apple.afc2" and isinstance(offered["Port"], int)
    assert isinstance(absent, InvalidServiceError)
    assert jailbroken.log.write_attempts() == [] and stock.log.write_attempts() == []
    apps = run(full_scan(pair_folder, serial=jailbroken.udid))["apps"]
    assert apps["com.saurik.Cydia"]["Path"] == "/Applications/Cydia.app"


def test_nothing_is_served_on_a_jailbreak_service(serve, make_phone, pair_folder):
    phone = make_phone(jailbreak={"services": ["com.apple.afc2"]})
    serve(phone)

    async def list_root() -> type[BaseException]:
        lockdown = await create_using_usbmux(autopair=False,
                                             pairing_records_cache_folder=pair_folder)
        try:
            with pytest.raises(PyMobileDevice3Exception) as caught:
                async with AfcService(lockdown, service_name="com.apple.afc2") as afc:
                    await afc.listdir("/")
            return caught.type
        finally:
            await lockdown.close()

    assert issubclass(run(list_root()), PyMobileDevice3Exception)
    attempts = phone.log.write_attempts()
    assert [(entry.layer, entry.service) for entry in attempts] == [("com.apple.afc2", "data")]
