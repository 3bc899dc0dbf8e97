"""Each Android rule on small synthetic inventories: cases that must fire, and must not."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from rulekit import (
    ANALYSED_ON,
    DUMPSYS,
    SPY_PERMISSIONS,
    a11y,
    android,
    app,
    fired,
)

from stalkerscan.model import (
    AndroidDeviceInfo,
    AndroidUser,
    Confidence,
    InstallSource,
    ManagementOwner,
    RiskySetting,
    RootSign,
    Severity,
)
from stalkerscan.report.wording import unsafe_advice

S = InstallSource
H, M, L, N = Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO
SPY = "org.example.spy"

# (rule id, inventory, expected findings as (subject, severity, confidence)); [] = must not fire
CASES = {
    # ---------------------------------------------------------------- sideloaded + capability
    "adb app with an enabled accessibility service": (
        "android.sideloaded_surveillance_capability",
        android(app(SPY, source=S.ADB), accessibility=[a11y(SPY)]),
        [(SPY, H, Confidence.MEDIUM)]),
    "browser app with notification access and no icon (surer)": (
        "android.sideloaded_surveillance_capability",
        android(app(SPY, source=S.BROWSER, hidden=True), listeners=[SPY]),
        [(SPY, H, Confidence.HIGH)]),
    "package-installer app with device admin and accessibility (surer)": (
        "android.sideloaded_surveillance_capability",
        android(app(SPY, source=S.PACKAGE_INSTALLER), admins=[SPY], accessibility=[a11y(SPY)]),
        [(SPY, H, Confidence.HIGH)]),
    "unknown installer with usage access only": (
        "android.sideloaded_surveillance_capability",
        android(app(SPY, source=S.UNKNOWN), usage=[SPY]),
        [(SPY, M, Confidence.MEDIUM)]),
    "bound but not enabled accessibility still counts": (
        "android.sideloaded_surveillance_capability",
        android(app(SPY, source=S.OTHER_APP), accessibility=[a11y(SPY, enabled=False, bound=True)]),
        [(SPY, H, Confidence.MEDIUM)]),
    "store app with accessibility: not sideloaded": (
        "android.sideloaded_surveillance_capability",
        android(app("org.example.reader"), accessibility=[a11y("org.example.reader")]), []),
    "system app with device admin": (
        "android.sideloaded_surveillance_capability",
        android(app("org.example.findmy", source=S.PREINSTALLED), admins=["org.example.findmy"]),
        []),
    "sideloaded app with no powers": (
        "android.sideloaded_surveillance_capability",
        android(app(SPY, source=S.ADB)), []),
    "disabled, unbound accessibility service": (
        "android.sideloaded_surveillance_capability",
        android(app(SPY, source=S.ADB), accessibility=[a11y(SPY, enabled=False, bound=False)]),
        []),
    "another package's power does not count": (
        "android.sideloaded_surveillance_capability",
        android(app(SPY, source=S.ADB), app("org.example.other"),
                listeners=["org.example.other"]), []),
    # ---------------------------------------------------------------- hidden from launcher
    "sideloaded app without an icon": (
        "android.hidden_from_launcher",
        android(app(SPY, source=S.ADB, hidden=True)), [(SPY, M, Confidence.MEDIUM)]),
    "store app without an icon but with notification access": (
        "android.hidden_from_launcher",
        android(app("org.example.addon", hidden=True), listeners=["org.example.addon"]),
        [("org.example.addon", L, Confidence.LOW)]),
    "store add-on without an icon": (
        "android.hidden_from_launcher", android(app("org.example.addon", hidden=True)), []),
    "system app without an icon": (
        "android.hidden_from_launcher",
        android(app("org.example.sysui", source=S.PREINSTALLED, hidden=True)), []),
    "launcher state unknown is not hidden": (
        "android.hidden_from_launcher", android(app(SPY, source=S.ADB, hidden=None)), []),
    # ---------------------------------------------------------------- imitation
    "sideloaded 'System Service'": (
        "android.system_imitation",
        android(app(SPY, label="System Service", source=S.ADB)), [(SPY, M, Confidence.LOW)]),
    "sideloaded 'Wi-Fi'": (
        "android.system_imitation",
        android(app(SPY, label="Wi-Fi", source=S.BROWSER)), [(SPY, M, Confidence.LOW)]),
    "sideloaded 'Sync'": (
        "android.system_imitation",
        android(app(SPY, label="Sync", source=S.UNKNOWN)), [(SPY, M, Confidence.LOW)]),
    "sideloaded 'Update'": (
        "android.system_imitation",
        android(app(SPY, label="Update", source=S.PACKAGE_INSTALLER)), [(SPY, M, Confidence.LOW)]),
    "sideloaded 'Google Services' in full-width letters": (
        "android.system_imitation",
        android(app(SPY, label="Ｇｏｏｇｌｅ Services", source=S.ADB)), [(SPY, M, Confidence.LOW)]),
    "sideloaded com.android.* package with a plain label": (
        "android.system_imitation",
        android(app("com.android.example.helper", label="Helper", source=S.ADB)),
        [("com.android.example.helper", M, Confidence.LOW)]),
    "store app 'WiFi Analyzer'": (
        "android.system_imitation", android(app("org.example.wifi", label="WiFi Analyzer")), []),
    "sideloaded app with an ordinary name": (
        "android.system_imitation", android(app(SPY, label="Example Notes", source=S.ADB)), []),
    "system app 'System UI'": (
        "android.system_imitation",
        android(app("org.example.systemui", label="System UI", source=S.PREINSTALLED)), []),
    "a word inside another word is no match ('Asynchronous')": (
        "android.system_imitation",
        android(app(SPY, label="Asynchronous Notes", source=S.ADB)), []),
    # ---------------------------------------------------------------- permissions
    "sideloaded app granted all five": (
        "android.dangerous_permission_combination",
        android(app(SPY, source=S.ADB, granted=SPY_PERMISSIONS)), [(SPY, H, Confidence.MEDIUM)]),
    "sideloaded app granted four of five": (
        "android.dangerous_permission_combination",
        android(app(SPY, source=S.BROWSER, granted=SPY_PERMISSIONS[1:])),
        [(SPY, M, Confidence.MEDIUM)]),
    "sideloaded app granted three": (
        "android.dangerous_permission_combination",
        android(app(SPY, source=S.ADB, granted=SPY_PERMISSIONS[2:])), []),
    "all five requested but none granted": (
        "android.dangerous_permission_combination",
        android(app(SPY, source=S.ADB, requested=SPY_PERMISSIONS)), []),
    "store app granted all five": (
        "android.dangerous_permission_combination",
        android(app("org.example.messenger", granted=SPY_PERMISSIONS)), []),
    # ---------------------------------------------------------------- owners
    "device owner from outside a store": (
        "android.management_owner",
        android(app(SPY, source=S.ADB),
                owners=[ManagementOwner("device_owner", f"{SPY}/.Admin", SPY)]),
        [(SPY, H, Confidence.MEDIUM)]),
    "device owner from a store (work phone?)": (
        "android.management_owner",
        android(app("org.example.mdm"),
                owners=[ManagementOwner("device_owner", "org.example.mdm/.A", "org.example.mdm",
                                        name="Example Corp")]),
        [("org.example.mdm", M, Confidence.MEDIUM)]),
    "work profile owned by a store app": (
        "android.management_owner",
        android(app("org.example.mdm"),
                owners=[ManagementOwner("profile_owner", "org.example.mdm/.A", "org.example.mdm",
                                        user_id=10)]),
        [("org.example.mdm", L, Confidence.MEDIUM)]),
    "no owners": ("android.management_owner", android(app("org.example.mdm")), []),
    # ---------------------------------------------------------------- other users
    "a second user": (
        "android.other_users",
        android(users=[AndroidUser(0, "Owner", "owner"), AndroidUser(10, "Sam", "secondary")]),
        [("device", L, Confidence.HIGH)]),
    "a work profile is information only": (
        "android.other_users",
        android(users=[AndroidUser(0, "Owner", "owner"), AndroidUser(10, "Work", "work_profile")]),
        [("device", N, Confidence.HIGH)]),
    "only the owner": ("android.other_users", android(users=[AndroidUser(0, "Owner", "owner")]), []),
    "users not read": ("android.other_users", android(), []),
    "an app not installed for the owner has no icon by design": (
        "android.hidden_from_launcher",
        android(dataclasses.replace(app(SPY, source=S.ADB, hidden=True), installed_for_owner=False)), []),
    # ---------------------------------------------------------------- settings
    "package verifier off": (
        "android.play_protect_off",
        android(settings={"global": {"package_verifier_enable": "0"}}),
        [("device", M, Confidence.MEDIUM)]),
    "adb installs not verified": (
        "android.play_protect_off",
        android(settings={"global": {"verifier_verify_adb_installs": "0"}}),
        [("device", M, Confidence.MEDIUM)]),
    "package verifier off, known only from the parser's risky settings": (
        "android.play_protect_off",
        android(risky=[RiskySetting("package_verifier_off", "global", "package_verifier_enable",
                                    "0", "Play Protect is off.")]),
        [("device", M, Confidence.MEDIUM)]),
    "package verifier on": (
        "android.play_protect_off",
        android(settings={"global": {"package_verifier_enable": "1"}}), []),
    "settings not read at all": ("android.play_protect_off", android(), []),
    "unknown sources allowed (old Android, secure)": (
        "android.unknown_sources_allowed",
        android(settings={"secure": {"install_non_market_apps": "1"}}),
        [("device", L, Confidence.HIGH)]),
    "unknown sources not allowed": (
        "android.unknown_sources_allowed",
        android(settings={"global": {"install_non_market_apps": "0"}}), []),
    "unknown sources switch on Android 8+, where every phone has it at 1": (
        "android.unknown_sources_allowed",
        android(settings={"secure": {"install_non_market_apps": "1"}},
                device=AndroidDeviceInfo(android_version="14", sdk=34)), []),
    "Android 8+: a browser allowed to install apps": (
        "android.unknown_sources_allowed",
        android(app("com.android.chrome", label="Chrome"), install_unknown_apps=["com.android.chrome"],
                device=AndroidDeviceInfo(android_version="14", sdk=34)),
        [("device", L, Confidence.HIGH)]),
    "Android 8+: only an app store may install apps": (
        "android.unknown_sources_allowed",
        android(install_unknown_apps=["com.android.vending"], device=AndroidDeviceInfo(android_version="14", sdk=34)),
        []),
    "Android 8+: no app allowed": (
        "android.unknown_sources_allowed", android(device=AndroidDeviceInfo(android_version="14", sdk=34)), []),
    "unknown sources allowed on Android 7": (
        "android.unknown_sources_allowed",
        android(settings={"secure": {"install_non_market_apps": "1"}},
                device=AndroidDeviceInfo(android_version="7.1.2", sdk=25)),
        [("device", L, Confidence.HIGH)]),
    "USB debugging on: a reminder": (
        "android.developer_options_on",
        android(settings={"global": {"adb_enabled": "1", "development_settings_enabled": "1"}}),
        [("device", N, Confidence.HIGH)]),
    "wireless debugging on": (
        "android.developer_options_on",
        android(settings={"global": {"adb_enabled": "1", "adb_wifi_enabled": "1"}}),
        [("device", L, Confidence.HIGH)]),
    "debugging off": (
        "android.developer_options_on",
        android(settings={"global": {"adb_enabled": "0", "development_settings_enabled": "0"}}),
        []),
    "always-on VPN from outside a store": (
        "android.always_on_vpn",
        android(app("org.example.vpn", source=S.ADB),
                settings={"secure": {"always_on_vpn_app": "org.example.vpn"}}),
        [("org.example.vpn", M, Confidence.MEDIUM)]),
    "always-on VPN from a store": (
        "android.always_on_vpn",
        android(app("org.example.vpn"), settings={"secure": {"always_on_vpn_app": "org.example.vpn"}}),
        [("org.example.vpn", L, Confidence.MEDIUM)]),
    "no always-on VPN": (
        "android.always_on_vpn", android(settings={"secure": {"always_on_vpn_app": "null"}}), []),
    # ---------------------------------------------------------------- patch
    "patch almost three years old": (
        "android.old_security_patch",
        android(device=AndroidDeviceInfo(security_patch="2024-01-05")),
        [("device", L, Confidence.HIGH)]),
    "patch 184 days old": (
        "android.old_security_patch",
        android(device=AndroidDeviceInfo(security_patch="2026-05-23")),
        [("device", L, Confidence.HIGH)]),
    "patch exactly 183 days old": (
        "android.old_security_patch",
        android(device=AndroidDeviceInfo(security_patch="2026-05-24")), []),
    "recent patch": (
        "android.old_security_patch",
        android(device=AndroidDeviceInfo(security_patch="2026-10-05")), []),
    "unreadable patch": (
        "android.old_security_patch",
        android(device=AndroidDeviceInfo(security_patch="garbage")), []),
    # ---------------------------------------------------------------- root
    "su binary": (
        "android.root_signs", android(root=[RootSign("su_binary", "/system/xbin/su")]),
        [("device", H, Confidence.HIGH)]),
    "test-keys build only": (
        "android.root_signs",
        android(device=AndroidDeviceInfo(build_tags="test-keys", build_type="user")),
        [("device", M, Confidence.MEDIUM)]),
    "unlocked bootloader": (
        "android.root_signs", android(device=AndroidDeviceInfo(bootloader_locked=False)),
        [("device", M, Confidence.MEDIUM)]),
    "custom but locked OS (yellow boot state) is not root": (
        "android.root_signs",
        android(device=AndroidDeviceInfo(verified_boot_state="yellow", bootloader_locked=True)), []),
    "retail build": ("android.root_signs", android(), []),
}


@pytest.mark.parametrize("name", list(CASES))
def test_rule_case(name: str) -> None:
    rule_id, inventory, expected = CASES[name]
    found = fired(rule_id, inventory)
    assert [(f.subject, f.severity, f.confidence) for f in found] == expected
    for item in found:
        assert item.id == rule_id and item.kind == "rule"
        assert item.title and item.explanation and item.next_steps
        assert unsafe_advice(". ".join((item.title, item.explanation, *item.next_steps))) == []


def test_every_android_rule_has_cases_both_ways() -> None:
    from stalkerscan.rules import all_rules

    for rule in all_rules("android"):
        outcomes = [bool(expected) for rid, _, expected in CASES.values() if rid == rule.id]
        assert True in outcomes and False in outcomes, rule.id


def test_app_findings_cite_the_apps_evidence_and_facts() -> None:
    [item] = fired("android.sideloaded_surveillance_capability",
                   android(app(SPY, label="System Service", source=S.ADB), accessibility=[a11y(SPY)]))
    assert item.evidence[0].path == DUMPSYS
    assert item.facts["installer"] == "com.android.shell"
    assert item.facts["holds accessibility service"] == f"{SPY}/.Svc (enabled)"
    assert item.subject_label == "System Service"
    assert "\N{LEFT DOUBLE QUOTATION MARK}System Service" in item.explanation


def test_hostile_label_is_cleaned_and_shortened_inside_sentences() -> None:
    label = "<script>x</script>\u202e" + "A" * 5000
    [item] = fired("android.system_imitation",
                   android(app("com.android.example.x", label=label, source=S.ADB)))
    assert "\u202e" not in item.explanation and len(item.explanation) < 1000
    assert item.subject_label == label  # the report gets the full text and escapes it itself


def test_patch_age_is_judged_on_the_analysis_date_not_today() -> None:
    inventory = android(device=AndroidDeviceInfo(security_patch="2024-01-05"))
    assert fired("android.old_security_patch", inventory, analysed_on=date(2024, 3, 1)) == []
    [item] = fired("android.old_security_patch", inventory, analysed_on=ANALYSED_ON)
    assert item.facts["age on the analysis date"] == "1053 days"


def test_android_rules_ignore_an_iphone() -> None:
    from rulekit import ios

    from stalkerscan.rules import all_rules
    from stalkerscan.rules.base import RuleContext

    for rule in all_rules("android"):
        assert rule.run(RuleContext(ios(), ANALYSED_ON)) == ()
