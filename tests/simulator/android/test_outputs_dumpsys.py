"""``dumpsys package`` / ``accessibility`` / ``device_policy`` / ``notification`` outputs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from stalkerscan.simulator.android.phone import SimulatedAndroidPhone
from stalkerscan.simulator.android.profile import parse_android_profile
from stalkerscan.simulator.profile import load_profile

SPY = {
    "package": "net.example.spy", "label": "Sync", "installer": "com.google.android.packageinstaller",
    "initiating": "com.google.android.packageinstaller", "originating": "com.android.chrome",
    "installed": "2024-01-05 10:00:00", "updated": "2024-01-06 11:30:00", "launcher": False,
    "permissions": {"requested": ["INTERNET", "READ_SMS", "CAMERA", "RECEIVE_BOOT_COMPLETED"],
                    "granted": ["INTERNET", "READ_SMS"]},
    "accessibility_services": [{"class": ".Acc", "label": "Sync helper"}],
    "notification_listeners": [{"class": ".Notes"}],
    "device_admin": {"receiver": ".Admin", "policies": ["force-lock", "wipe-data"]},
}


def phone_for(android_version: str, vendor: str = "aosp", **extra: Any) -> SimulatedAndroidPhone:
    data: dict[str, Any] = {"platform": "android", "name": f"d-{android_version}-{vendor}",
                            "vendor": vendor, "device": {"android_version": android_version,
                                                         "timezone": "Europe/Paris"},
                            "generate": {"ordinary_apps": 12, "seed": 5}, "apps": [SPY]}
    data.update(extra)
    return SimulatedAndroidPhone.from_profile(parse_android_profile(data, source="test"))


def out(phone: SimulatedAndroidPhone, cmdline: str) -> str:
    result = phone.shell(cmdline, layer="test")
    assert result.exit_code == 0, result.stderr
    return result.stdout.decode("utf-8", "surrogateescape")


def blocks(text: str, section: str = "Packages:") -> dict[str, str]:
    """Package blocks of one section, by name."""
    start = text.index("\n" + section + "\n") + len(section) + 2
    end = text.find("\n\n", start)
    body = text[start:end if end != -1 else len(text)]
    parts = re.split(r"^(?=  Package \[)", body, flags=re.M)
    found = {}
    for part in parts:
        match = re.match(r"  Package \[([^\]]+)\] \([0-9a-f]+\):\n", part)
        if match:
            found[match.group(1)] = part
    return found


@pytest.mark.parametrize("version", ["8.0", "8.1", "9", "10", "11", "12", "13", "14", "15"])
def test_full_dump_has_a_block_for_every_app(version: str) -> None:
    phone = phone_for(version)
    text = out(phone, "dumpsys package")
    found = blocks(text)
    assert set(found) == {a.package for a in phone.profile.apps}
    for app in phone.profile.apps:
        block = found[app.package]
        assert f"\n    versionCode={app.version_code} minSdk={app.min_sdk} " \
               f"targetSdk={app.target_sdk}\n" in block
        assert f"\n    versionName={app.version_name}\n" in block
        assert f"\n    codePath={app.apk.code_path}\n" in block or app.package == "android"
        assert "\n    User 0: ceDataInode=" in block
        assert ("SYSTEM" in block.split("pkgFlags=")[1].split("\n")[0]) == app.system
    hidden = blocks(text, "Hidden system packages:")
    assert set(hidden) == {a.package for a in phone.profile.apps if a.updated_system}
    for name, block in hidden.items():
        assert "UPDATED_SYSTEM_APP" not in block
        assert "UPDATED_SYSTEM_APP" in found[name]
        assert f"codePath={phone.profile.app(name).factory.path.rsplit('/', 1)[0]}\n" in block


def test_install_source_fields_by_version() -> None:
    block10 = blocks(out(phone_for("10"), "dumpsys package"))["net.example.spy"]
    assert "initiatingPackageName" not in block10 and "originatingPackageName" not in block10
    assert "\n    installerPackageName=com.google.android.packageinstaller\n" in block10
    assert "\n    firstInstallTime=2024-01-05 10:00:00\n" in block10
    assert "\n    userId=" in block10 and "\n    applicationInfo=ApplicationInfo{" in block10
    for version in ("11", "12", "13", "14", "15"):
        block = blocks(out(phone_for(version), "dumpsys package"))["net.example.spy"]
        assert "\n    initiatingPackageName=com.google.android.packageinstaller\n" in block
        assert "\n    originatingPackageName=com.android.chrome\n" in block
        assert ("\n    appId=" in block) == (version != "11")
        assert ("\n    installerPackageUid=" in block) == (version in ("14", "15"))
        assert ("\n    packageSource=0\n" in block) == (version in ("13", "14", "15"))
    block14 = blocks(out(phone_for("14"), "dumpsys package"))["net.example.spy"]
    assert "\n    timeStamp=2024-01-06 11:30:00\n    lastUpdateTime=2024-01-06 11:30:00\n" in block14
    assert "\n      firstInstallTime=2024-01-05 10:00:00\n" in block14
    assert "\n    firstInstallTime=" not in block14


def test_system_app_without_installer_prints_null_from_android_11() -> None:
    phone = phone_for("12")
    system = next(a for a in phone.profile.apps if a.system and not a.updated_system)
    block = blocks(out(phone, "dumpsys package"))[system.package]
    assert "\n    installerPackageName=null\n" in block
    block10 = blocks(out(phone_for("10"), "dumpsys package"))[system.package]
    assert "installerPackageName" not in block10


@pytest.mark.parametrize(("version", "signatures"), [
    ("8.0", r"PackageSignatures\{[0-9a-f]+ \[[0-9a-f]+\]\}"),
    ("9", r"PackageSignatures\{[0-9a-f]+ version:3, signatures:\[[0-9a-f]+\], past signatures:\[\]\}"),
])
def test_signature_line_format(version: str, signatures: str) -> None:
    block = blocks(out(phone_for(version), "dumpsys package"))["net.example.spy"]
    assert re.search(r"\n    signatures=" + signatures + "\n", block)


def test_permissions_in_full_and_single_dumps() -> None:
    phone = phone_for("14")
    full = blocks(out(phone, "dumpsys package"))["net.example.spy"]
    single_text = out(phone, "dumpsys package net.example.spy")
    single = blocks(single_text)["net.example.spy"]
    assert "requested permissions:" not in full  # AOSP: only when one package is dumped
    assert "    requested permissions:\n      android.permission.INTERNET\n" in single
    for block in (full, single):
        assert "\n    install permissions:\n      android.permission.INTERNET: granted=true\n" \
               "      android.permission.RECEIVE_BOOT_COMPLETED: granted=false\n" in block
        assert "\n      runtime permissions:\n        android.permission.READ_SMS: granted=true," \
               " flags=[ USER_SET|USER_SENSITIVE_WHEN_GRANTED|USER_SENSITIVE_WHEN_DENIED]\n" in block
        assert "\n        android.permission.CAMERA: granted=false, flags=[ " in block
    assert single_text.count("  Package [") == 1
    samsung = blocks(out(phone_for("13", "samsung"), "dumpsys package"))["net.example.spy"]
    assert "    requested permissions:\n      android.permission.INTERNET\n" in samsung


def test_unknown_single_package() -> None:
    assert "Unable to find package: net.example.none" in out(phone_for("14"),
                                                            "dumpsys package net.example.none")


def test_user_lines_by_version() -> None:
    line = {v: re.search(r"\n    User 0: [^\n]+", blocks(out(phone_for(v), "dumpsys package"))
                         ["net.example.spy"]).group(0).strip()
            for v in ("8.0", "10", "11", "15")}
    assert line["8.0"].endswith("enabled=0 instant=false")
    assert line["10"].endswith("instant=false virtual=false") and "distraction" not in line["10"]
    assert " distractionFlags=0 " in line["11"]
    assert " deDataInode=" in line["15"] and line["15"].endswith("virtual=false quarantined=false")


def test_huge_dumpsys_is_padded_to_the_requested_size() -> None:
    phone = phone_for("14", faults={"huge_dumpsys_mb": 5})
    result = phone.shell("dumpsys package", layer="test")
    size = len(result.stdout)
    assert 4.5 * 2**20 <= size <= 5.5 * 2**20
    assert set(blocks(result.stdout.decode())) == {a.package for a in phone.profile.apps}
    assert b"  Full MIME Types:\n" in result.stdout


# --------------------------------------------------------------------------- accessibility
def test_accessibility_before_android_11() -> None:
    text = out(phone_for("10"), "dumpsys accessibility")
    assert text.startswith("ACCESSIBILITY MANAGER (dumpsys accessibility)\n\n"
                           "User state[attributes:{id=0, currentUser=true, ")
    assert "installedServiceCount=1}\n" in text
    assert ("     Bound services:{Service[label=Sync helper, feedbackType[FEEDBACK_GENERIC], "
            "capabilities=1, eventTypes=TYPES_ALL_MASK, notificationTimeout=100]}\n") in text
    assert "     Enabled services:{{net.example.spy/net.example.spy.Acc}}\n" in text
    assert text.endswith("     Binding services:{}]\n")


def test_accessibility_android_14_format_matches_the_public_capture_shape() -> None:
    text = out(phone_for("14"), "dumpsys accessibility")
    assert "\nUser state[\n     attributes:{id=0, touchExplorationEnabled=false," in text
    assert "sendMotionEventsEnabledfalse" in text
    assert "     Enabled services:{{net.example.spy/net.example.spy.Acc}}\n" in text
    assert "     Bound services:{Service[label=Sync helper, feedbackType[FEEDBACK_GENERIC], " \
           "capabilities=1, eventTypes=TYPES_ALL_MASK, notificationTimeout=100, " \
           "requestA11yBtn=false]}\n" in text
    assert "     Crashed services:{}\n" in text


def test_accessibility_samsung_lists_installed_services() -> None:
    text = out(phone_for("13", "samsung"), "dumpsys accessibility")
    assert "  installed services: {\n" in text
    installed = text.split("  installed services: {\n")[1].split("  }\n")[0]
    assert "    1 : com.samsung.accessibility/.universalswitch.UniversalSwitchService\n" in installed
    assert " : net.example.spy/.Acc\n" in installed
    assert "  enabled services: {\n    0 : net.example.spy/.Acc\n  }\n" in text
    assert "  bound services:{\n    0 : Service[label=Sync helper," in text


def test_accessibility_with_nothing_enabled() -> None:
    spy = dict(SPY, accessibility_services=[{"class": ".Acc", "label": "x", "enabled": False}])
    text = out(phone_for("12", apps=[spy]), "dumpsys accessibility")
    assert "     Enabled services:{}\n" in text and "     Bound services:{}\n" in text


# --------------------------------------------------------------------------- device policy
def test_device_policy_admins_and_owners() -> None:
    spy = dict(SPY, device_admin={"receiver": ".Admin", "policies": ["force-lock", "wipe-data"]})
    phone = phone_for("12", apps=[spy],
                      users=[{"id": 0}, {"id": 10, "type": "managed_profile"}],
                      device_owner={"component": "net.example.spy/.Admin", "name": "Example"},
                      profile_owners=[{"component": "net.example.spy/.Admin", "user": 10}])
    text = out(phone, "dumpsys device_policy")
    uid = phone.profile.app("net.example.spy").uid
    assert text.startswith("Current Device Policy Manager state:\n  Device Owner: \n"
                           "    admin=ComponentInfo{net.example.spy/net.example.spy.Admin}\n"
                           "    name=Example\n    package=net.example.spy\n"
                           "    isOrganizationOwnedDevice=true\n    User ID: 0\n")
    assert "\n  Profile Owner (User 10): \n" in text
    assert ("\n  Enabled Device Admins (User 0, provisioningState: 3):\n"
            "    net.example.spy/.Admin:\n"
            f"      uid={uid}\n      testOnlyAdmin=false\n      policies:\n"
            "        force-lock\n        wipe-data\n") in text


def test_device_policy_android_14_has_immutable_state_and_no_owner() -> None:
    text = out(phone_for("14"), "dumpsys device_policy")
    assert text.startswith("Current Device Policy Manager state:\n  Immutable state:\n")
    assert "Device Owner" not in text
    assert "\n  Enabled Device Admins (User 0, provisioningState: 0):\n" \
           "    net.example.spy/.Admin:\n" in text


def test_notification_listeners_in_dumpsys_notification() -> None:
    text = out(phone_for("14"), "dumpsys notification")
    assert "    All notification listeners (1) enabled for current profiles:\n" \
           "      ComponentInfo{net.example.spy/net.example.spy.Notes}\n" in text
    assert "    Live notification listeners (1):\n" in text


def test_dumpsys_unknown_service_and_list() -> None:
    phone = phone_for("14")
    result = phone.shell("dumpsys nosuchservice", layer="test")
    assert (result.stdout, result.stderr) == (b"", b"Can't find service: nosuchservice\n")
    assert "  package\n" in out(phone, "dumpsys -l")


# --------------------------------------------------------------------------- real captures
def _shared() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "captures"
        if candidate.is_dir():
            return candidate
    return None


def test_field_names_match_the_public_samsung_capture() -> None:
    captures = _shared()
    if captures is None:
        pytest.skip("the shared captures folder (../shared/captures) is not available")
    capture = (captures / "android" / "dumpsys_packages.txt").read_text(errors="replace")
    ours = out(phone_for("10", "samsung"), "dumpsys package")

    def keys(text: str) -> set[str]:
        return set(re.findall(r"^    ([A-Za-z]+)=", text, flags=re.M))

    capture_keys = keys(capture.split("\nPackages:\n")[1].split("\n\n")[0])
    assert capture_keys - {"sharedUser", "usesLibraries"} <= keys(ours)
    sam = (captures / "android" / "dumpsys_accessibility.txt").read_text()
    ours_a11y = out(phone_for("10", "samsung"), "dumpsys accessibility")
    structure = [line for line in sam.splitlines()
                 if line.strip().endswith("{") or line.strip().startswith("User state")]
    assert all(line in ours_a11y.splitlines() for line in structure)


def test_builtin_infected_phone_outputs_are_consistent() -> None:
    phone = SimulatedAndroidPhone.from_profile(load_profile("android-infected"))
    settings = out(phone, "settings get secure enabled_accessibility_services").strip()
    a11y = out(phone, "dumpsys accessibility")
    assert settings == "net.example.systemsync/net.example.systemsync.core.SyncAccessibilityService"
    assert "    0 : net.example.systemsync/.core.SyncAccessibilityService\n" in a11y
    assert "net.example.systemsync/.core.SyncAdminReceiver:" in out(phone, "dumpsys device_policy")
    launcher = out(phone, "cmd package query-activities --brief --user 0 -a "
                          "android.intent.action.MAIN -c android.intent.category.LAUNCHER")
    assert "net.example.systemsync" not in launcher
    assert out(phone, "cmd appops query-op --user 0 GET_USAGE_STATS allow") == \
        "net.example.systemsync\n"
