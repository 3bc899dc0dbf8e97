"""iPhone profiles: the format, its validation, generation, and the built-in profiles."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from iphone_helpers import SMALL_PHONE, small_profile

from stalkerscan.errors import ProfileError
from stalkerscan.simulator.ios.catalog import JAILBREAK_APPS, STORE_APPS, SYSTEM_APPS
from stalkerscan.simulator.ios.profile import (
    IosFaults,
    IosPhoneProfile,
    IPhoneState,
    parse_ios_faults,
    parse_ios_profile,
)
from stalkerscan.simulator.profile import builtin_profiles, load_profile, parse_yaml


def parse(text: str) -> IosPhoneProfile:
    return parse_ios_profile(parse_yaml(text, "phone.yaml"), source="phone.yaml")


def error_of(text: str) -> str:
    with pytest.raises(ProfileError) as caught:
        parse(text)
    return caught.value.message


# --------------------------------------------------------------------------- defaults
def test_minimal_profile_is_a_plausible_iphone() -> None:
    profile = parse("platform: ios\nname: minimal\n")
    device = profile.device
    assert (device.product_type, device.ios_version, device.build_version) == (
        "iPhone14,5", "17.5.1", "21F90")
    assert device.hardware_model == "D17AP"  # from pymobiledevice3's device table
    assert device.chip_id == 0x8110
    # From the A12 on, a UDID is the chip id and the ECID.
    assert device.udid == f"{0x8110:08X}-{device.ecid:016X}"
    assert device.device_class == "iPhone"
    assert device.wifi_address.startswith("02:")  # locally administered: no vendor's MAC
    assert device.imei is not None and device.imei.startswith("00") and len(device.imei) == 15
    assert profile.state is IPhoneState.PAIRED
    assert profile.apps == () and profile.configuration_profiles == ()
    assert profile.cloud_configuration.supervised is False


def test_same_profile_gives_the_same_phone() -> None:
    first, second = small_profile(), small_profile()
    assert first == second
    assert [app.path for app in first.apps] == [app.path for app in second.apps]


def test_older_device_gets_a_legacy_udid() -> None:
    profile = parse("platform: ios\ndevice:\n  product_type: iPhone10,3\n"
                    "  ios_version: '16.6'\n")
    assert re.fullmatch(r"[0-9a-f]{40}", profile.device.udid)
    assert profile.device.build_version == "20G75"


# --------------------------------------------------------------------------- apps
def test_listed_app_fields_and_defaults() -> None:
    profile = small_profile()
    app = profile.app("net.example.sideloaded")
    assert app is not None
    assert app.signer_identity == "iPhone Distribution: Example Org"
    assert app.application_type == "User"
    assert app.entitlements["application-identifier"] == "EXAMPLE001.net.example.sideloaded"
    assert app.entitlements["com.apple.developer.team-identifier"] == "EXAMPLE001"
    assert app.path.startswith("/private/var/containers/Bundle/Application/")
    assert app.path.endswith("/Helper.app")


def test_generated_apps_are_system_and_store_apps_from_the_catalog() -> None:
    profile = small_profile()
    system = [app for app in profile.apps if app.application_type == "System"]
    user = [app for app in profile.apps if app.application_type == "User"]
    catalog_ids = {entry.bundle_id for entry in STORE_APPS}
    assert len(user) == 13  # 12 generated + 1 listed
    assert sum(app.bundle_id in catalog_ids for app in user) == 12
    assert all(app.signer_identity == "Apple iPhone OS Application Signing"
               for app in user if app.bundle_id in catalog_ids)
    assert all(app.signer_identity is None and app.path.startswith("/Applications/")
               for app in system)
    assert profile.app("com.apple.journal") is not None  # iOS 17.2+
    assert profile.app("com.apple.mobileme.fmf1") is None  # gone after iOS 12


def test_listed_app_replaces_a_generated_one() -> None:
    data = dict(SMALL_PHONE, apps=[{"bundle_id": "com.apple.mobilesafari", "type": "System",
                                    "name": "Safari", "version": "99.0"}])
    profile = parse_ios_profile(data, source="<test>")
    safari = [app for app in profile.apps if app.bundle_id == "com.apple.mobilesafari"]
    assert len(safari) == 1 and safari[0].version == "99.0"


def test_jailbreak_signs() -> None:
    profile = parse("platform: ios\njailbreak:\n  apps: [cydia, sileo]\n"
                    "  services: [com.apple.afc2]\n")
    assert profile.jailbreak.services == ("com.apple.afc2",)
    assert {app.bundle_id for app in profile.apps} == {"com.saurik.Cydia",
                                                       "org.coolstar.SileoStore"}
    assert all(app.application_type == "System" for app in profile.apps)


# --------------------------------------------------------------------------- profiles / cloud
def test_configuration_profile_defaults() -> None:
    spec = small_profile().configuration_profiles[0]
    assert spec.payload_types == ("com.apple.vpn.managed", "com.apple.security.root")
    assert re.fullmatch(r"[0-9A-F-]{36}", spec.uuid)
    assert spec.payloads[0].identifier == "net.example.profile.com.apple.vpn.managed"
    assert spec.payloads[0].display_name == "VPN"
    assert spec.active is True and spec.removal_disallowed is True


def test_cloud_configuration_source_follows_the_url() -> None:
    cloud = small_profile().cloud_configuration
    assert (cloud.supervised, cloud.source, cloud.mandatory) == (True, "dep", True)
    configurator = parse("platform: ios\ncloud_configuration: {supervised: true}\n")
    assert configurator.cloud_configuration.source == "configurator"


# --------------------------------------------------------------------------- faults and states
def test_faults_parse_over_a_base() -> None:
    faults = parse_ios_faults({"latency_ms": 5, "disconnect_after": 3},
                              base=IosFaults(fragment=2))
    assert faults == IosFaults(latency_ms=5.0, disconnect_after=3, fragment=2)
    profile = small_profile(faults={"service_ssl": True, "browse_page_size": 7})
    assert profile.faults.service_ssl is True and profile.faults.browse_page_size == 7
    assert profile.with_faults(fragment=1).faults.fragment == 1
    assert profile.with_state("locked").state is IPhoneState.LOCKED


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("text", "expected"), [
    ("platform: ios\nstate: asleep\n",
     "phone.yaml:2: state: 'asleep' is not one of: paired, needs_trust"),
    ("platform: ios\ndevice:\n  product_type: iPhone99,9\n",
     "phone.yaml:3: device.product_type: 'iPhone99,9' is not a known iPhone"),
    ("platform: ios\ndevice:\n  ios_version: '17.9.9'\n",
     "phone.yaml:2: device: no build_version given"),
    ("platform: ios\ndevice:\n  udid: not-a-udid\n", "phone.yaml:3: device.udid: 'not-a-udid'"),
    ("platform: ios\ndevice:\n  timezone: Mars/Olympus\n",
     "device.timezone: 'Mars/Olympus' is not a time zone"),
    ("platform: ios\ndevice:\n  passcode_set: false\nstate: locked\n",
     "phone.yaml:4: state: a phone without a passcode cannot be locked"),
    ("platform: ios\napps:\n  - name: No Id\n", "phone.yaml:3: apps[0]: an app needs a bundle_id"),
    ("platform: ios\napps:\n  - bundle_id: 'bad id'\n",
     "apps[0].bundle_id: 'bad id' is not a bundle identifier"),
    ("platform: ios\napps:\n  - bundle_id: net.example.a\n  - bundle_id: net.example.a\n",
     "phone.yaml:4: apps[1].bundle_id: bundle id 'net.example.a' is listed twice"),
    ("platform: ios\napps:\n  - bundle_id: net.example.a\n    signer_identity: Bob\n",
     "apps[0].signer_identity: 'Bob' does not start like a SignerIdentity"),
    ("platform: ios\napps:\n  - bundle_id: net.example.a\n    extra: {Key: null}\n",
     "apps[0].extra.Key: a property list cannot hold null"),
    ("platform: ios\napps:\n  - bundle_id: net.example.a\n    bundle_ide: x\n",
     "phone.yaml:4: apps[0].bundle_ide: unknown key 'bundle_ide' (did you mean 'bundle_id'?)"),
    ("platform: ios\nconfiguration_profiles:\n  - identifier: p\n    payloads:\n"
     "      - identifier: x\n",
     "configuration_profiles[0].payloads[0]: a payload needs a type"),
    ("platform: ios\nconfiguration_profiles:\n  - identifier: p\n    uuid: 1234\n",
     "configuration_profiles[0].uuid: '1234' is not a UUID"),
    ("platform: ios\ncloud_configuration:\n  configuration_url: ftp://x\n",
     "cloud_configuration.configuration_url: must be an http(s) URL"),
    ("platform: ios\njailbreak:\n  apps: [magic]\n", "jailbreak.apps[0]: 'magic' is not one of"),
    ("platform: ios\nfaults:\n  latency_ms: -1\n", "faults.latency_ms: must be at least 0"),
    ("platform: ios\nfaults:\n  latency_ms: .inf\n",
     "phone.yaml:3: faults.latency_ms: expected a finite number, got inf"),
    ("platform: ios\nfaults:\n  latency_ms: 600001\n",
     "phone.yaml:3: faults.latency_ms: must be at most 600000"),
    ("platform: ios\nfaults:\n  fragment: -2\n", "faults.fragment: must be at least 0"),
    ("platform: ios\ngenerate:\n  ordinary_apps: 100000\n",
     "generate.ordinary_apps: must be at most"),
    ("platform: android\n", "platform: 'android' is not one of: ios"),
])
def test_errors_name_file_line_key_and_problem(text: str, expected: str) -> None:
    assert expected in error_of(text)


def test_error_carries_advice() -> None:
    with pytest.raises(ProfileError) as caught:
        parse("platform: ios\ndevice:\n  product_type: iPhone14,99\n")
    assert "iPhone14,5" in (caught.value.advice or "")
    assert "close ones" in (caught.value.advice or "")


# --------------------------------------------------------------------------- catalog
def test_catalog_has_no_duplicates_and_no_fictional_ids() -> None:
    ids = [entry.bundle_id for entry in SYSTEM_APPS + STORE_APPS]
    ids += [entry.bundle_id for entry in JAILBREAK_APPS.values()]
    assert [bid for bid, count in Counter(ids).items() if count > 1] == []
    assert not any(".example." in bid or bid.startswith(("org.example", "net.example"))
                   for bid in ids)


# --------------------------------------------------------------------------- built-in profiles
def test_builtin_iphone_profiles_load_and_have_realistic_sizes() -> None:
    builtins = builtin_profiles()
    for name in ("ios-infected", "ios-clean"):
        assert name in builtins
        profile = load_profile(name)
        assert isinstance(profile, IosPhoneProfile)
        assert 150 <= len(profile.apps) <= 300, name
        assert profile.state is IPhoneState.PAIRED


def test_infected_iphone_has_what_a_scan_should_find() -> None:
    profile = load_profile("ios-infected")
    assert isinstance(profile, IosPhoneProfile)
    cloud = profile.cloud_configuration
    assert (cloud.supervised, cloud.mdm_unremovable) == (True, True)
    types = {t for spec in profile.configuration_profiles for t in spec.payload_types}
    assert {"com.apple.mdm", "com.apple.vpn.managed", "com.apple.proxy.http.global",
            "com.apple.security.root", "com.apple.notificationsettings"} <= types
    network = [p for p in profile.configuration_profiles if p.display_name == "Network Optimizer"]
    assert network and network[0].organization == ""
    tracker = profile.app("net.example.familysafe")
    assert tracker is not None
    assert tracker.signer_identity is not None
    assert tracker.signer_identity.startswith("iPhone Distribution:")
    assert "location" in tracker.background_modes
    assert profile.app("com.life360.safetymap") is not None
    suspicious = [app.bundle_id for app in profile.apps
                  if app.signer_identity not in (None, "Apple iPhone OS Application Signing")]
    assert suspicious == ["net.example.familysafe"]  # the haystack is ordinary


def test_infected_profile_marks_the_signature_slot() -> None:
    text = Path(builtin_profiles()["ios-infected"]).read_text(encoding="utf-8")
    marker = text.index("# SIGNATURE-MATCHED APP")
    assert text.index("bundle_id: com.life360.safetymap") > marker


def test_clean_iphone_is_clean() -> None:
    profile = load_profile("ios-clean")
    assert isinstance(profile, IosPhoneProfile)
    assert profile.configuration_profiles == ()
    assert profile.cloud_configuration.supervised is False
    assert profile.jailbreak.services == () and profile.jailbreak.apps == ()
    assert all(app.signer_identity in (None, "Apple iPhone OS Application Signing")
               for app in profile.apps)
