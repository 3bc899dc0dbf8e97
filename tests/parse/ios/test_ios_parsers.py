"""iOS parsers on the shapes lockdownd, installation_proxy and MCInstall really send.

Shapes follow pymobiledevice3 11.45 (``lockdown.py``, ``services/installation_proxy.py``,
``services/mobile_config.py``) and the protocol notes in shared/reference/device-protocols.
"""

from __future__ import annotations

import struct

import pytest
from ios_frames import add, frame, frames

from stalkerscan.model.artifacts import IosArtifact, MemoryEvidence, Outcome
from stalkerscan.model.ios import IosCloudConfiguration, IosSigning
from stalkerscan.parse.ios.apps import judge_signing, parse_app_list
from stalkerscan.parse.ios.inventory import build_ios_inventory
from stalkerscan.parse.ios.jailbreak import jailbreak_signs, parse_service_probe
from stalkerscan.parse.ios.lockdown import parse_lockdown_values
from stalkerscan.parse.ios.profiles import parse_cloud_configuration, parse_profile_list

VALUES = {
    "ActivationState": "Activated", "BuildVersion": "21D61", "DeviceClass": "iPhone",
    "DeviceName": "Example iPhone", "ModelNumber": "MGJ53", "PasswordProtected": True,
    "ProductType": "iPhone13,2", "ProductVersion": "17.3.1", "SerialNumber": "F2LZZ0000XXX",
    "TimeZone": "Europe/Paris", "UniqueDeviceID": "00008101-001E30590C08001E",
    "TimeIntervalSince1970": 1_732_400_000.25, "DevicePublicKey": b"-----BEGIN RSA PUBLIC KEY-----",
}

APP_STORE = {"CFBundleIdentifier": "org.example.notes", "CFBundleDisplayName": "Notes Example",
             "CFBundleShortVersionString": "2.1", "CFBundleVersion": "210", "ApplicationType": "User",
             "SignerIdentity": "Apple iPhone OS Application Signing",
             "Path": "/private/var/containers/Bundle/Application/1A/Notes.app",
             "Entitlements": {"application-identifier": "ABCDE12345.org.example.notes",
                              "keychain-access-groups": ["ABCDE12345.*"]}}
ENTERPRISE = {"CFBundleIdentifier": "org.example.tracker", "CFBundleName": "Tracker",
              "ApplicationType": "User", "SignerIdentity": "iPhone Distribution: Example Org Ltd",
              "Entitlements": {"get-task-allow": False, "blob": b"\x00\x01"}}
SYSTEM = {"CFBundleIdentifier": "com.apple.mobilesafari", "CFBundleDisplayName": "Safari",
          "ApplicationType": "System", "Path": "/Applications/MobileSafari.app"}


def browse(*apps, page=2):
    pages = []
    for start in range(0, len(apps), page):
        chunk = list(apps[start:start + page])
        pages.append({"Status": "BrowsingApplications", "CurrentIndex": start,
                      "CurrentAmount": len(chunk), "Total": len(apps), "CurrentList": chunk})
    return frames(*pages, {"Status": "Complete"})


# --------------------------------------------------------------------------- lockdown
def test_lockdown_values_give_device_facts_and_clock():
    parsed = parse_lockdown_values(frame({"Request": "GetValue", "Value": VALUES}))
    device = parsed.device
    assert (device.udid, device.serial, device.product_type, device.model_number) == (
        "00008101-001E30590C08001E", "F2LZZ0000XXX", "iPhone13,2", "MGJ53")
    assert (device.ios_version, device.build_version, device.name) == ("17.3.1", "21D61", "Example iPhone")
    assert device.passcode_set is True and device.activation_state == "Activated"
    assert device.timezone == "Europe/Paris"
    assert parsed.phone_clock == pytest.approx(1_732_400_000.25)
    assert parsed.recognized and parsed.problems == ()


def test_lockdown_binary_plist_is_read_too():
    parsed = parse_lockdown_values(frame({"Request": "GetValue", "Value": VALUES}, binary=True))
    assert parsed.device.ios_version == "17.3.1"


def test_lockdown_error_answer_is_a_problem_not_a_crash():
    parsed = parse_lockdown_values(frame({"Request": "GetValue", "Error": "GetProhibited"}))
    assert parsed.error == "GetProhibited" and parsed.device.udid is None
    assert any("GetProhibited" in p.message for p in parsed.problems)


def test_lockdown_cut_off_answer_is_not_used():
    whole = frame({"Request": "GetValue", "Value": VALUES})
    parsed = parse_lockdown_values(whole[:len(whole) // 2])
    assert parsed.device.udid is None and not parsed.recognized
    assert "cut off" in parsed.problems[0].message


def test_lockdown_without_clock_leaves_it_unknown():
    values = {k: v for k, v in VALUES.items() if k != "TimeIntervalSince1970"}
    assert parse_lockdown_values(frame({"Request": "GetValue", "Value": values})).phone_clock is None


# --------------------------------------------------------------------------- apps
@pytest.mark.parametrize("signer, app_type, entitlements, expected", [
    ("Apple iPhone OS Application Signing", "User", {}, IosSigning.APP_STORE),
    ("iPhone Developer: Jane Example (ABCDE12345)", "User", {}, IosSigning.DEVELOPER),
    ("Apple Development: jane@example.org (ABCDE12345)", "User", {}, IosSigning.DEVELOPER),
    ("iPhone Distribution: Example Org Ltd", "User", {}, IosSigning.ENTERPRISE),
    ("Apple Distribution: Example Org Ltd (ABCDE12345)", "User", {}, IosSigning.ENTERPRISE),
    (None, "System", {}, IosSigning.SYSTEM),
    ("iPhone Distribution: Example", "System", {}, IosSigning.SYSTEM),
    (None, "User", {"get-task-allow": True}, IosSigning.DEVELOPER),
    (None, "User", {}, IosSigning.UNKNOWN),
    ("Something Else", "User", {}, IosSigning.UNKNOWN),
])
def test_signing_judgement(signer, app_type, entitlements, expected):
    assert judge_signing(signer, app_type, entitlements) is expected


def test_browse_pages_give_every_app_with_sources():
    data = browse(APP_STORE, ENTERPRISE, SYSTEM)
    result = parse_app_list(data, path="raw/0002-installed_apps.response")
    assert result.complete and result.total == 3 and result.problems == ()
    ids = [app.bundle_id for app in result.apps]
    assert ids == ["com.apple.mobilesafari", "org.example.notes", "org.example.tracker"]
    notes = result.apps[1]
    assert notes.display_name == "Notes Example" and notes.version == "2.1" and notes.build == "210"
    assert notes.signing is IosSigning.APP_STORE and notes.path.endswith("Notes.app")
    assert notes.entitlements["keychain-access-groups"] == ["ABCDE12345.*"]
    assert notes.sources[0].path == "raw/0002-installed_apps.response"
    tracker = result.apps[2]
    assert tracker.display_name == "Tracker"  # CFBundleName when there is no display name
    assert tracker.signing is IosSigning.ENTERPRISE
    assert tracker.entitlements["blob"] == {"base64": "AAE="}  # bytes made JSON-safe
    assert result.apps[0].signing is IosSigning.SYSTEM


def test_lookup_answer_is_read_like_browse():
    data = frame({"LookupResult": {"org.example.notes": APP_STORE}, "Status": "Complete"})
    result = parse_app_list(data)
    assert result.complete and [a.bundle_id for a in result.apps] == ["org.example.notes"]


def test_browse_cut_off_keeps_the_apps_that_arrived_and_says_so():
    data = browse(APP_STORE, ENTERPRISE, SYSTEM)
    first_page_end = struct.unpack(">I", data[:4])[0] + 4
    result = parse_app_list(data[:first_page_end + 10])
    assert not result.complete
    assert {a.bundle_id for a in result.apps} == {"org.example.notes", "org.example.tracker"}
    assert any("cut off" in p.message for p in result.problems)


def test_browse_error_answer():
    result = parse_app_list(frame({"Error": "APIInternalError", "ErrorDescription": "busy"}))
    assert result.error == "APIInternalError busy" and result.apps == ()


def test_duplicate_and_nameless_apps_are_problems():
    nameless = {"CFBundleDisplayName": "No id"}
    result = parse_app_list(browse(APP_STORE, APP_STORE, nameless, page=5))
    assert [a.bundle_id for a in result.apps] == ["org.example.notes"]
    messages = " ".join(p.message for p in result.problems)
    assert "listed twice" in messages and "no CFBundleIdentifier" in messages


# --------------------------------------------------------------------------- profiles
PROFILE_LIST = {
    "Status": "Acknowledged",
    "OrderedIdentifiers": ["org.example.mdm", "org.example.vpn"],
    "ProfileManifest": {"org.example.mdm": {"Description": "Device Management", "IsActive": True},
                        "org.example.vpn": {"Description": "Network", "IsActive": False}},
    "ProfileMetadata": {
        "org.example.mdm": {"PayloadDisplayName": "Device Management", "PayloadOrganization": "Example Org",
                            "PayloadDescription": "MDM enrolment", "PayloadRemovalDisallowed": True,
                            "PayloadUUID": "5A2F7C1E-0B7D-4C1E-9E0A-0B0C0D0E0F10", "PayloadVersion": 1},
        "org.example.vpn": {"PayloadDisplayName": "Network Optimizer", "PayloadOrganization": "",
                            "PayloadRemovalDisallowed": False, "PayloadUUID": "9B1A2C3D-4E5F-6071-8293-A4B5C6D7E8F9",
                            "PayloadVersion": 2,
                            "PayloadContent": [{"PayloadType": "com.apple.vpn.managed"},
                                               {"PayloadType": "com.apple.security.root"},
                                               {"PayloadType": "com.apple.vpn.managed"}]},
    },
}


def test_profile_list_gives_every_profile_in_order():
    result = parse_profile_list(frame(PROFILE_LIST))
    assert result.recognized and result.problems == ()
    mdm, vpn = result.profiles
    assert (mdm.identifier, mdm.uuid, mdm.organization) == (
        "org.example.mdm", "5A2F7C1E-0B7D-4C1E-9E0A-0B0C0D0E0F10", "Example Org")
    assert mdm.removal_disallowed is True and mdm.active is True and mdm.version == 1
    assert mdm.payload_types == ()  # the list answer carries no payloads
    assert vpn.organization is None and vpn.active is False and vpn.version == 2
    assert vpn.payload_types == ("com.apple.vpn.managed", "com.apple.security.root")


def test_profile_list_refused():
    answer = {"Status": "Error", "ErrorChain": [{"ErrorCode": 12345, "LocalizedDescription": "Not allowed"}]}
    result = parse_profile_list(frame(answer))
    assert not result.recognized and result.error == "12345 Not allowed"


def test_empty_profile_list_is_no_profiles():
    result = parse_profile_list(frame({"Status": "Acknowledged", "OrderedIdentifiers": [],
                                       "ProfileManifest": {}, "ProfileMetadata": {}}))
    assert result.recognized and result.profiles == ()


def test_cloud_configuration():
    answer = {"Status": "Acknowledged", "CloudConfiguration": {
        "IsSupervised": True, "OrganizationName": "Example Org", "IsMDMUnremovable": False,
        "AllowPairing": True, "ConfigurationURL": "https://mdm.example.org/enroll"}}
    parsed = parse_cloud_configuration(frame(answer))
    assert parsed.configuration == IosCloudConfiguration(
        supervised=True, organization="Example Org", mdm_unremovable=False,
        configuration_url="https://mdm.example.org/enroll")


def test_no_cloud_configuration_leaves_everything_unknown():
    parsed = parse_cloud_configuration(frame({"Status": "Acknowledged"}))
    assert parsed.configuration == IosCloudConfiguration()


def test_one_answer_requests_say_when_nothing_or_too_much_arrived():
    acknowledged = {"Status": "Acknowledged", "OrderedIdentifiers": [], "ProfileMetadata": {}}
    for parse in (parse_lockdown_values, parse_profile_list, parse_cloud_configuration):
        assert [p.message for p in parse(b"").problems] == ["The phone sent no answer"]
    probe = parse_service_probe(b"", "com.apple.afc2")
    assert probe.offered is None
    assert [p.message for p in probe.problems] == ["No answer to the com.apple.afc2 probe"]
    twice = parse_profile_list(frames(acknowledged, {"Status": "Error"}))
    assert twice.recognized  # the first answer is used
    assert [p.message for p in twice.problems] == ["Expected one answer, found 2; the first is used"]
    listed = parse_profile_list(frame(["not", "a", "dictionary"]))
    assert not listed.recognized
    assert [p.message for p in listed.problems] == ["The profile list answer is a list, not a dictionary"]


# --------------------------------------------------------------------------- jailbreak
def test_jailbreak_signs_from_apps_paths_and_services():
    apps = parse_app_list(browse(
        {"CFBundleIdentifier": "org.coolstar.SileoStore", "ApplicationType": "User"},
        {"CFBundleIdentifier": "com.opa334.TrollStore", "ApplicationType": "User"},
        {"CFBundleIdentifier": "org.example.tweak", "ApplicationType": "User",
         "Path": "/var/jb/Applications/Tweak.app"},
        {"CFBundleIdentifier": "org.example.rooted", "ApplicationType": "User",
         "Path": "/Applications/Rooted.app"},
        APP_STORE, SYSTEM)).apps
    afc2 = parse_service_probe(frame({"Request": "StartService", "Service": "com.apple.afc2",
                                      "Port": 49152}), "com.apple.afc2")
    signs = jailbreak_signs(apps, [afc2])
    kinds = [(s.kind, s.detail.split(" ")[0]) for s in signs]
    assert kinds == [
        ("other", "com.opa334.TrollStore"),
        ("jailbreak_app", "org.coolstar.SileoStore"),
        ("jailbreak_app", "org.example.rooted"),
        ("jailbreak_app", "org.example.tweak"),
        ("extra_service", "com.apple.afc2"),
    ]


def test_stock_phone_has_no_jailbreak_signs():
    probe = parse_service_probe(frame({"Request": "StartService", "Error": "InvalidService"}), "com.apple.afc2")
    assert probe.offered is False
    assert jailbreak_signs(parse_app_list(browse(APP_STORE, SYSTEM)).apps, [probe]) == ()


# --------------------------------------------------------------------------- inventory
def live_evidence() -> MemoryEvidence:
    evidence = MemoryEvidence()
    add(evidence, IosArtifact.LOCKDOWN_VALUES.value, frame({"Request": "GetValue", "Value": VALUES}))
    add(evidence, IosArtifact.INSTALLED_APPS.value, browse(APP_STORE, ENTERPRISE, SYSTEM))
    add(evidence, IosArtifact.PROFILE_LIST.value, frame(PROFILE_LIST))
    add(evidence, IosArtifact.CLOUD_CONFIGURATION.value,
        frame({"Status": "Acknowledged", "CloudConfiguration": {"IsSupervised": False}}))
    add(evidence, IosArtifact.JAILBREAK_SERVICES.value,
        frame({"Request": "StartService", "Error": "InvalidService"}), subject="com.apple.afc2")
    return evidence


def test_inventory_of_a_complete_live_scan():
    inventory = build_ios_inventory(live_evidence())
    assert inventory.source == "live" and inventory.missing == () and inventory.problems == ()
    assert inventory.device.udid == "00008101-001E30590C08001E"
    assert inventory.app("org.example.tracker").signing is IosSigning.ENTERPRISE
    assert [p.identifier for p in inventory.profiles] == ["org.example.mdm", "org.example.vpn"]
    assert inventory.cloud_configuration.supervised is False
    assert inventory.cloud_configuration.sources[0].path == "raw/0004-cloud_configuration.response"
    assert inventory.profiles[0].sources[0].path == "raw/0003-profile_list.response"
    assert inventory.jailbreak_signs == ()


def test_inventory_of_an_interrupted_scan_lists_what_is_missing():
    evidence = MemoryEvidence()
    add(evidence, IosArtifact.LOCKDOWN_VALUES.value, frame({"Request": "GetValue", "Value": VALUES}))
    data = browse(APP_STORE, ENTERPRISE, SYSTEM)
    add(evidence, IosArtifact.INSTALLED_APPS.value, data[:len(data) // 2], outcome=Outcome.INTERRUPTED)
    inventory = build_ios_inventory(evidence)
    assert inventory.device.ios_version == "17.3.1"
    assert inventory.missing == ("installed_apps", "profile_list", "cloud_configuration", "jailbreak_services")
    assert inventory.cloud_configuration is None
    assert any("cut off" in p.message for p in inventory.problems)


def test_answers_that_arrived_whole_but_say_too_little_are_missing_once():
    evidence = live_evidence()
    pages = browse(APP_STORE, ENTERPRISE, SYSTEM)
    no_complete = pages[:-len(frame({"Status": "Complete"}))]  # the phone never said "Complete"
    add(evidence, IosArtifact.INSTALLED_APPS.value, no_complete)
    add(evidence, IosArtifact.PROFILE_LIST.value, frame({"Status": "Error", "ErrorChain": []}))
    inventory = build_ios_inventory(evidence)
    assert inventory.missing == ("installed_apps", "profile_list")
    assert len(inventory.apps) == 3 and inventory.profiles == ()


def test_jailbreak_service_in_inventory():
    evidence = live_evidence()
    add(evidence, IosArtifact.JAILBREAK_SERVICES.value,
        frame({"Request": "StartService", "Service": "com.apple.afc2", "Port": 50001}), subject="com.apple.afc2")
    (sign,) = build_ios_inventory(evidence).jailbreak_signs
    assert (sign.kind, sign.detail) == ("extra_service", "com.apple.afc2")
    assert sign.sources[0].path == "raw/0006-jailbreak_services.response"


def test_garbage_everywhere_gives_problems_not_exceptions():
    evidence = MemoryEvidence()
    for name in (IosArtifact.LOCKDOWN_VALUES, IosArtifact.INSTALLED_APPS, IosArtifact.PROFILE_LIST,
                 IosArtifact.CLOUD_CONFIGURATION):
        add(evidence, name.value, struct.pack(">I", 5) + b"<?xml")
    add(evidence, IosArtifact.JAILBREAK_SERVICES.value, frame(["not", "a", "dict"]), subject="com.apple.afc2")
    inventory = build_ios_inventory(evidence)
    assert inventory.apps == () and inventory.device.udid is None
    assert len(inventory.problems) >= 5
