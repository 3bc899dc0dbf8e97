"""Each iPhone rule on small synthetic inventories: cases that must fire, and must not."""

from __future__ import annotations

import pytest
from rulekit import ANALYSED_ON, android, fired, ios, ios_app, profile

from stalkerscan.model import (
    Confidence,
    IosCloudConfiguration,
    IosSigning,
    JailbreakSign,
    Severity,
)
from stalkerscan.report.wording import unsafe_advice

H, M, L, N = Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO
MDM = "com.apple.mdm"
PID = "org.example.profile"

CASES = {
    # ---------------------------------------------------------------- MDM
    "MDM profile the owner can remove": (
        "ios.mdm_enrolled", ios(profiles=[profile(PID, MDM)]), [(PID, M, Confidence.HIGH)]),
    "MDM profile the owner cannot remove": (
        "ios.mdm_enrolled", ios(profiles=[profile(PID, MDM, removal_disallowed=True)]),
        [(PID, H, Confidence.HIGH)]),
    "enrolment known only from the cloud configuration": (
        "ios.mdm_enrolled",
        ios(cloud=IosCloudConfiguration(configuration_url="https://mdm.example.org/enroll",
                                        organization="Example Org", mdm_unremovable=False)),
        [("device", M, Confidence.HIGH)]),
    "unremovable MDM in the cloud configuration": (
        "ios.mdm_enrolled", ios(cloud=IosCloudConfiguration(mdm_unremovable=True)),
        [("device", H, Confidence.HIGH)]),
    "a profile without an MDM payload": (
        "ios.mdm_enrolled", ios(profiles=[profile(PID, "com.apple.wifi.managed")]), []),
    "cloud configuration that says nothing": (
        "ios.mdm_enrolled", ios(cloud=IosCloudConfiguration(supervised=False)), []),
    # ---------------------------------------------------------------- supervision
    "supervised": (
        "ios.supervised", ios(cloud=IosCloudConfiguration(supervised=True, organization="Ex")),
        [("device", M, Confidence.HIGH)]),
    "not supervised": ("ios.supervised", ios(cloud=IosCloudConfiguration(supervised=False)), []),
    "supervision unknown": ("ios.supervised", ios(), []),
    # ---------------------------------------------------------------- profiles
    "VPN profile": (
        "ios.risky_profile", ios(profiles=[profile(PID, "com.apple.vpn.managed")]),
        [(PID, H, Confidence.HIGH)]),
    "root certificate profile": (
        "ios.risky_profile", ios(profiles=[profile(PID, "com.apple.security.root")]),
        [(PID, H, Confidence.HIGH)]),
    "global proxy profile": (
        "ios.risky_profile", ios(profiles=[profile(PID, "com.apple.proxy.http.global")]),
        [(PID, H, Confidence.HIGH)]),
    "notification-settings profile": (
        "ios.risky_profile", ios(profiles=[profile(PID, "com.apple.notificationsettings")]),
        [(PID, M, Confidence.HIGH)]),
    "MDM profile that also installs a root certificate": (
        "ios.risky_profile", ios(profiles=[profile(PID, MDM, "com.apple.security.root")]),
        [(PID, H, Confidence.HIGH)]),
    "profile whose payloads could not be read": (
        "ios.risky_profile", ios(profiles=[profile(PID)]), [(PID, L, Confidence.LOW)]),
    "Wi-Fi-only profile": (
        "ios.risky_profile", ios(profiles=[profile(PID, "com.apple.wifi.managed")]),
        [(PID, N, Confidence.HIGH)]),
    "MDM-only profile is left to ios.mdm_enrolled": (
        "ios.risky_profile", ios(profiles=[profile(PID, MDM)]), []),
    "no profiles": ("ios.risky_profile", ios(), []),
    # ---------------------------------------------------------------- apps
    "enterprise-signed app": (
        "ios.sideloaded_app", ios([ios_app("org.example.tracker", IosSigning.ENTERPRISE)]),
        [("org.example.tracker", H, Confidence.MEDIUM)]),
    "developer-signed app": (
        "ios.sideloaded_app", ios([ios_app("org.example.dev", IosSigning.DEVELOPER)]),
        [("org.example.dev", H, Confidence.MEDIUM)]),
    "App Store, system and unknown signing": (
        "ios.sideloaded_app",
        ios([ios_app("org.example.a", IosSigning.APP_STORE), ios_app("org.example.b", IosSigning.SYSTEM),
             ios_app("org.example.c", IosSigning.UNKNOWN)]), []),
    # ---------------------------------------------------------------- jailbreak
    "jailbreak app installed": (
        "ios.jailbreak", ios(jailbreak=[JailbreakSign("jailbreak_app", "org.example.jbstore")]),
        [("device", H, Confidence.HIGH)]),
    "only an extra service": (
        "ios.jailbreak", ios(jailbreak=[JailbreakSign("extra_service", "com.apple.afc2")]),
        [("device", H, Confidence.MEDIUM)]),
    "no jailbreak signs": ("ios.jailbreak", ios(), []),
}


@pytest.mark.parametrize("name", list(CASES))
def test_rule_case(name: str) -> None:
    rule_id, inventory, expected = CASES[name]
    found = fired(rule_id, inventory)
    assert [(f.subject, f.severity, f.confidence) for f in found] == expected
    for item in found:
        assert item.id == rule_id and item.title and item.explanation and item.next_steps
        assert unsafe_advice(". ".join((item.title, item.explanation, *item.next_steps))) == []


def test_every_ios_rule_has_cases_both_ways() -> None:
    from stalkerscan.rules import all_rules

    for rule in all_rules("ios"):
        outcomes = [bool(expected) for rid, _, expected in CASES.values() if rid == rule.id]
        assert True in outcomes and False in outcomes, rule.id


def test_profile_finding_names_what_the_payloads_do() -> None:
    [item] = fired("ios.risky_profile", ios(profiles=[profile(
        PID, "com.apple.vpn.managed", "com.apple.security.root", removal_disallowed=True)]))
    assert "VPN" in item.explanation and "root certificate" in item.explanation
    assert "cannot take it off" in item.explanation
    assert item.facts["payload types"] == "com.apple.vpn.managed, com.apple.security.root"
    assert item.facts["owner can take it off"] == "no"


def test_sideloaded_app_shows_the_signer() -> None:
    [item] = fired("ios.sideloaded_app", ios([ios_app("org.example.t", IosSigning.ENTERPRISE, "Clock")]))
    assert item.facts["signer"].startswith("iPhone Distribution:")
    assert item.evidence[0].path == "raw/0003-installed_apps.response"
    assert item.subject_label == "Clock"


def test_ios_rules_ignore_an_android_phone() -> None:
    from stalkerscan.rules import all_rules
    from stalkerscan.rules.base import RuleContext

    for rule in all_rules("ios"):
        assert rule.run(RuleContext(android(), ANALYSED_ON)) == ()
