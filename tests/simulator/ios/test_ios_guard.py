"""The phone model without sockets: the read-only guard, the log, service answers, pairing."""

from __future__ import annotations

import pytest
from iphone_helpers import small_profile

from stalkerscan.simulator.ios.lockdownd import PRE_SESSION_KEYS, lockdown_values
from stalkerscan.simulator.ios.pairing import generate_pair_record
from stalkerscan.simulator.ios.phone import (
    INSTALLATION_PROXY,
    MCINSTALL,
    SIMULATED_SYSTEM_BUID,
    PhoneUnplugged,
    SimulatedIPhone,
    summarize,
)
from stalkerscan.simulator.ios.profile import IPhoneState
from stalkerscan.simulator.ios.services import InstallationProxy, MobileConfig
from stalkerscan.simulator.requestlog import Verdict


@pytest.fixture(scope="module")
def phone() -> SimulatedIPhone:
    return SimulatedIPhone(small_profile(state="needs_trust"))


@pytest.mark.parametrize(("request_", "verdict"), [
    ({"Request": "QueryType"}, Verdict.READ),
    ({"Request": "GetValue", "Key": "DeviceName"}, Verdict.READ),
    ({"Request": "StartService", "Service": INSTALLATION_PROXY}, Verdict.READ),
    ({"Request": "StartService", "Service": MCINSTALL}, Verdict.READ),
    ({"Request": "StartService", "Service": "com.apple.afc2"}, Verdict.READ),  # a probe
    ({"Request": "Pair", "PairRecord": {}}, Verdict.READ),
    ({"Request": "StartService", "Service": "com.apple.mobilebackup2"}, Verdict.REFUSED),
    ({"Request": "StartService", "Service": "com.apple.afc"}, Verdict.REFUSED),
    ({"Request": "StartService", "Service": "com.apple.mobile.house_arrest"}, Verdict.REFUSED),
    ({"Request": "Pair", "PairingOptions": {"SupervisorCertificate": b"x"}}, Verdict.REFUSED),
    ({"Request": "SetValue", "Key": "DeviceName", "Value": "x"}, Verdict.REFUSED),
    ({"Request": "RemoveValue"}, Verdict.REFUSED),
    ({"Request": "Unpair"}, Verdict.REFUSED),
    ({"Request": "EnterRecovery"}, Verdict.REFUSED),
    ({"Request": "Activate"}, Verdict.REFUSED),
    ({}, Verdict.REFUSED),
])
def test_lockdown_guard(phone, request_, verdict):
    assert phone.admit_lockdown(request_)[0] is verdict
    assert phone.log.entries()[-1].verdict is verdict


@pytest.mark.parametrize(("service", "command", "verdict"), [
    (INSTALLATION_PROXY, "Lookup", Verdict.READ),
    (INSTALLATION_PROXY, "Browse", Verdict.READ),
    (INSTALLATION_PROXY, "Install", Verdict.REFUSED),
    (INSTALLATION_PROXY, "Uninstall", Verdict.REFUSED),
    (INSTALLATION_PROXY, "Upgrade", Verdict.REFUSED),
    (INSTALLATION_PROXY, "Archive", Verdict.REFUSED),
    (INSTALLATION_PROXY, "CheckCapabilitiesMatch", Verdict.REFUSED),
    (MCINSTALL, "GetProfileList", Verdict.READ),
    (MCINSTALL, "GetCloudConfiguration", Verdict.READ),
    (MCINSTALL, "HelloHostIdentifier", Verdict.READ),
    (MCINSTALL, "Flush", Verdict.REFUSED),  # not documented as a read; stalkerscan never sends it
    (MCINSTALL, "InstallProfile", Verdict.REFUSED),
    (MCINSTALL, "RemoveProfile", Verdict.REFUSED),
    (MCINSTALL, "SetCloudConfiguration", Verdict.REFUSED),
    (MCINSTALL, "EraseDevice", Verdict.REFUSED),
    (MCINSTALL, "Escalate", Verdict.REFUSED),
])
def test_service_guard(phone, service, command, verdict):
    assert phone.admit_service(service, command, {})[0] is verdict


def test_log_never_holds_secrets():
    line = summarize({"Request": "Pair", "PairRecord": {"HostID": "H1",
                                                         "HostPrivateKey": b"SECRET"},
                      "EscrowBag": b"BAG", "Value": "new name"}, skip=("Request",))
    assert "SECRET" not in line and "BAG" not in line and "new name" not in line
    assert "PairRecord(HostID=H1)" in line


def test_disconnect_fault_unplugs_on_request_n_plus_one():
    phone = SimulatedIPhone(small_profile(state="needs_trust", faults={"disconnect_after": 2}))
    seen: list[bool] = []
    phone.add_attachment_listener(lambda p: seen.append(p.attached))
    phone.admit_lockdown({"Request": "QueryType"})
    phone.admit_lockdown({"Request": "QueryType"})
    with pytest.raises(PhoneUnplugged):
        phone.admit_lockdown({"Request": "QueryType"})
    assert seen == [False] and phone.state is IPhoneState.NONE
    assert phone.log.count(layer="lockdownd") == 3


def test_trust_dialog_answers():
    phone = SimulatedIPhone(small_profile(state="needs_trust"))
    record = generate_pair_record(phone.identity, system_buid=SIMULATED_SYSTEM_BUID,
                                  wifi_mac_address="02:00:00:00:00:02", escrow_bag=b"e")
    request = {"Request": "Pair", "PairRecord": record.to_plist()}
    assert phone.pair(request) == {"Error": "PairingDialogResponsePending"}
    phone.lock()
    assert phone.pair(request) == {"Error": "PasswordProtected"}
    phone.unlock()
    phone.tap_dont_trust()
    assert phone.pair(request) == {"Error": "UserDeniedPairing"}
    phone.tap_trust()
    assert "EscrowBag" in phone.pair(request)
    assert phone.trusted_host(record.host_id) is not None
    assert phone.state is IPhoneState.PAIRED
    # Another computer needs another tap.
    other = generate_pair_record(phone.identity, system_buid=SIMULATED_SYSTEM_BUID,
                                 wifi_mac_address="02:00:00:00:00:02", escrow_bag=b"e")
    assert phone.pair({"PairRecord": other.to_plist()}) == {
        "Error": "PairingDialogResponsePending"}


def test_pair_record_for_another_phone_is_rejected():
    phone = SimulatedIPhone(small_profile(state="needs_trust"))
    stranger = SimulatedIPhone(small_profile(state="needs_trust"))
    record = generate_pair_record(stranger.identity, system_buid=SIMULATED_SYSTEM_BUID,
                                  wifi_mac_address="02:00:00:00:00:03", escrow_bag=b"e")
    phone.tap_trust()
    assert phone.pair({"PairRecord": record.to_plist()}) == {"Error": "InvalidPairRecord"}


def test_values_before_a_session_are_a_subset(phone):
    values = lockdown_values(phone)
    assert set(values) | {"BasebandVersion"} >= PRE_SESSION_KEYS
    assert "SerialNumber" not in PRE_SESSION_KEYS
    assert values["HardwarePlatform"] == "t8110"
    assert values["CPUArchitecture"] == "arm64e"


def test_browse_pages_and_computed_attributes():
    profile = small_profile()
    proxy = InstallationProxy(profile, page_size=10)
    pages = proxy.browse({"ApplicationType": "Any",
                          "ReturnAttributes": ["CFBundleIdentifier", "StaticDiskUsage"]})
    total = len(profile.apps)
    assert [page.get("CurrentIndex") for page in pages[:-1]] == list(range(0, total, 10))
    assert all(page["Total"] == total for page in pages[:-1])
    assert sum(page["CurrentAmount"] for page in pages[:-1]) == total
    assert pages[-1] == {"Status": "Complete"}
    first = pages[0]["CurrentList"][0]
    assert set(first) == {"CFBundleIdentifier", "StaticDiskUsage"}
    hidden = proxy.lookup({"ApplicationType": "Hidden"})["LookupResult"]
    assert hidden and all(entry["SBAppTags"] == ["hidden"] for entry in hidden.values())


def test_refusals_look_like_the_real_services():
    assert InstallationProxy.refusal("Uninstall")["Error"] == "UninstallProhibited"
    assert InstallationProxy.refusal("Install")["Error"] == "InstallProhibited"
    refusal = MobileConfig.refusal("RemoveProfile")
    assert refusal["Status"] == "Error"
    assert refusal["ErrorChain"][0]["ErrorDomain"] == "MCInstallationErrorDomain"
    assert MobileConfig.refusal("SetCloudConfiguration")["ErrorChain"][0]["ErrorCode"] == 14002


def test_clean_cloud_configuration_is_not_supervised():
    answer = MobileConfig(small_profile(cloud_configuration={})).cloud_configuration()
    cloud = answer["CloudConfiguration"]
    assert answer["Status"] == "Acknowledged"
    assert cloud["IsSupervised"] is False and cloud["ConfigurationSource"] == 0
    assert "OrganizationName" not in cloud and "ConfigurationURL" not in cloud
