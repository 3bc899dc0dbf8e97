"""Profiles: built-ins load and say what they should; broken profiles fail clearly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stalkerscan.errors import ProfileError
from stalkerscan.simulator.android.base import AndroidState
from stalkerscan.simulator.android.profile import AndroidProfile, parse_android_profile
from stalkerscan.simulator.profile import builtin_profiles, load_profile, parse_yaml

DANGEROUS = {f"android.permission.{p}" for p in (
    "READ_SMS", "READ_CALL_LOG", "ACCESS_FINE_LOCATION", "RECORD_AUDIO", "CAMERA",
    "READ_CONTACTS")}


def _android_builtins() -> list[str]:
    return [name for name in builtin_profiles() if name.startswith("android-")]


@pytest.mark.parametrize("name", ["android-infected", "android-clean"])
def test_builtin_android_profile_loads_with_a_realistic_size(name: str) -> None:
    profile = load_profile(name)
    assert isinstance(profile, AndroidProfile)
    assert profile.name == name
    assert 150 <= len(profile.apps) <= 300
    ordinary = [a for a in profile.apps if a.installer == "com.android.vending" or a.system]
    assert len(ordinary) >= 0.9 * len(profile.apps)
    assert profile.state is AndroidState.AUTHORIZED


def test_every_builtin_profile_is_listed_and_loads() -> None:
    assert {"android-infected", "android-clean"} <= set(_android_builtins())
    for name, path in builtin_profiles().items():
        assert path.is_file()
        assert load_profile(path).name == name  # iPhone profiles go through their own parser


def test_infected_profile_has_the_disguised_sideloaded_app() -> None:
    profile = load_profile("android-infected")
    app = profile.app("net.example.systemsync")
    assert app is not None
    assert app.label == "System Sync Service"
    assert not app.system and app.launcher_activity is None
    assert app.installer == "com.google.android.packageinstaller"
    assert app.originating == "com.android.chrome"
    assert app.granted_permissions >= DANGEROUS
    assert [s.enabled and s.bound for s in app.accessibility_services] == [True]
    assert [n.enabled for n in app.notification_listeners] == [True]
    assert [(a.active, "wipe-data" in a.policies) for a in app.device_admins] == [(True, True)]
    assert "net.example.systemsync" in profile.usage_access
    assert profile.settings["global"]["package_verifier_enable"] == "0"
    assert profile.settings["global"]["development_settings_enabled"] == "1"
    assert profile.settings["global"]["adb_enabled"] == "1"
    assert profile.app_ops["REQUEST_INSTALL_PACKAGES"]["com.android.chrome"] == "allow"
    assert profile.properties["ro.build.version.security_patch"] == "2023-03-01"
    assert profile.settings["secure"]["enabled_accessibility_services"] == (
        "net.example.systemsync/net.example.systemsync.core.SyncAccessibilityService")


def test_infected_profile_marks_the_signature_matched_slot() -> None:
    text = builtin_profiles()["android-infected"].read_text(encoding="utf-8")
    lines = text.splitlines()
    marker = [i for i, line in enumerate(lines) if line.strip() == "# SIGNATURE-MATCHED APP"]
    assert len(marker) == 1
    following = "\n".join(lines[marker[0]:marker[0] + 6])
    assert "package: com.sec.android.sipibuz" in following
    app = load_profile("android-infected").app("com.sec.android.sipibuz")
    assert app is not None and app.initiating == "com.android.shell" and app.installer is None


def test_clean_profile_is_ordinary() -> None:
    profile = load_profile("android-clean")
    sideloaded = [a.package for a in profile.apps
                  if not a.system and a.installer != "com.android.vending"]
    assert sideloaded == []
    admins = [(a.package, d.component.flatten_short()) for a in profile.apps
              for d in a.device_admins]
    assert admins == [("com.google.android.gms",
                       "com.google.android.gms/.mdm.receivers.MdmDeviceAdminReceiver")]
    assert not any(s for a in profile.apps for s in a.accessibility_services)
    assert profile.settings["global"]["package_verifier_enable"] == "1"
    assert re.fullmatch(r"\d{4}-\d{2}-05", profile.properties["ro.build.version.security_patch"])


def test_profiles_are_deterministic() -> None:
    first = load_profile("android-clean")
    second = load_profile("android-clean")
    assert [(a.package, a.uid, a.apk.base_path, a.version_name) for a in first.apps] == \
        [(a.package, a.uid, a.apk.base_path, a.version_name) for a in second.apps]


# --------------------------------------------------------------------------- broken profiles
def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "phone.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BROKEN = [
    # (yaml, expected line, expected key path, expected words)
    ("name: x\n", None, "", "platform"),
    ("platform: android\ndevice:\n  android_version: '7'\n", 3, "device.android_version",
     "not simulated"),
    ("platform: android\napps:\n  - package: net.example.a\n    permissions:\n"
     "      requested: [INTERNET]\n      granted: [READ_SMS]\n", 6,
     "apps[0].permissions.granted[0]", "granted but not requested"),
    ("platform: android\napps:\n  - package: 'not a package'\n", 3, "apps[0].package",
     "not a valid Android package name"),
    ("platform: android\napps:\n  - package: net.example.a\n    lable: Oops\n", 4,
     "apps[0].lable", "did you mean 'label'"),
    ("platform: android\ndevice_owner:\n  component: net.example.a/.Admin\n", 3,
     "device_owner.component", "not an installed app"),
    ("platform: android\napps:\n  - package: net.example.a\ndevice_owner:\n"
     "  component: net.example.a/.Admin\n", 5, "device_owner.component",
     "not an active device admin"),
    ("platform: android\napps:\n  - package: net.example.a\n  - package: net.example.a\n", 4,
     "apps[1].package", "listed twice"),
    ("platform: android\nstate: asleep\n", 2, "state", "not one of"),
    ("platform: android\napps:\n  - package: net.example.a\n    installed: yesterday\n", 4,
     "apps[0].installed", "not a time"),
    ("platform: android\nfaults:\n  huge_dumpsys_mb: lots\n", 3, "faults.huge_dumpsys_mb",
     "expected a number"),
    # PyYAML reads .inf and .nan as numbers: an endless delay would hang every client.
    ("platform: android\nfaults:\n  latency_ms: .inf\n", 3, "faults.latency_ms",
     "expected a finite number, got inf"),
    ("platform: android\nfaults:\n  latency_ms: .nan\n", 3, "faults.latency_ms",
     "expected a finite number, got nan"),
    ("platform: android\nfaults:\n  fragment: 1\n  latency_ms: 600001\n", 4,
     "faults.latency_ms", "must be at most 600000"),
    ("platform: android\nfaults:\n  huge_dumpsys_mb: .inf\n", 3, "faults.huge_dumpsys_mb",
     "expected a finite number"),
    ("platform: android\nfaults:\n  huge_dumpsys_mb: 1025\n", 3, "faults.huge_dumpsys_mb",
     "must be at most 1024"),
    ("platform: android\nfaults:\n  disconnect_after: -1\n", 3, "faults.disconnect_after",
     "must be at least 0"),
    ("platform: android\napps:\n  - package: net.example.a\n    device_admin:\n"
     "      receiver: .A\n      policies: [launch-missiles]\n", 6,
     "apps[0].device_admin.policies[0]", "not one of"),
    ("platform: android\ndevice:\n  timezone: Mars/Olympus\n", 3, "device.timezone",
     "IANA"),
    ("platform: android\nusage_access: [net.example.none]\n", 2, "usage_access[0]",
     "not an installed app"),
    ("platform: android\napps:\n  - package: net.example.a\n    system: false\n"
     "    updated_system: true\n", 5, "apps[0].updated_system", "must also be a system app"),
    ("platform: android\napp_ops:\n  STEAL_EVERYTHING: {}\n", 3, "app_ops.STEAL_EVERYTHING",
     "not an app op"),
]


@pytest.mark.parametrize(("text", "line", "path", "words"), BROKEN)
def test_broken_profile_error_names_file_line_key_and_problem(
        tmp_path: Path, text: str, line: int | None, path: str, words: str) -> None:
    file = _write(tmp_path, text)
    with pytest.raises(ProfileError) as caught:
        load_profile(file)
    message = caught.value.message
    assert message.startswith(str(file) + (f":{line}: " if line else ": "))
    if path:
        assert f": {path}: " in message
    assert words in message
    assert caught.value.advice


def test_invalid_yaml_reports_the_line(tmp_path: Path) -> None:
    file = _write(tmp_path, "platform: android\napps: [\n  - package: x\n")
    with pytest.raises(ProfileError, match=r"phone\.yaml:\d+: not valid YAML"):
        load_profile(file)


def test_duplicate_yaml_keys_are_refused(tmp_path: Path) -> None:
    file = _write(tmp_path, "platform: android\nname: a\nname: b\n")
    with pytest.raises(ProfileError, match=r"phone\.yaml:3: key 'name' appears twice"):
        load_profile(file)


def test_yaml_alias_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import stalkerscan.simulator.profile as module

    monkeypatch.setattr(module, "MAX_NODES", 10_000)
    bomb = ["platform: android", "a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in "bcdefg":
        previous = chr(ord(level) - 1)
        bomb.append(f"{level}: &{level} [*{previous}, *{previous}, *{previous}, *{previous}, "
                    f"*{previous}, *{previous}, *{previous}, *{previous}, *{previous}]")
    file = _write(tmp_path, "\n".join(bomb) + "\n")
    with pytest.raises(ProfileError, match="more than 10,000 values"):
        load_profile(file)


def test_oversized_profile_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import stalkerscan.simulator.profile as module

    monkeypatch.setattr(module, "MAX_PROFILE_BYTES", 1000)
    file = _write(tmp_path, "platform: android\n" + "# padding\n" * 200)
    with pytest.raises(ProfileError, match="the limit is 1,000"):
        load_profile(file)


def test_unknown_profile_name_lists_builtins() -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile("no-such-phone")
    assert "android-infected" in (caught.value.advice or "")


def test_non_utf8_file_is_refused_with_advice(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_bytes(b"platform: android\nname: \xff\n")
    with pytest.raises(ProfileError, match="not UTF-8") as caught:
        load_profile(file)
    assert "\\udcXX" in (caught.value.advice or "")


def test_surrogate_escapes_carry_raw_bytes_into_labels() -> None:
    data = parse_yaml('platform: android\napps:\n  - package: net.example.a\n'
                      '    label: "A\\udcffB\\0C\\u202eD"\n', "inline.yaml")
    profile = parse_android_profile(data, source="inline.yaml")
    assert profile.app("net.example.a").label == "A\udcffB\x00C\u202eD"


def test_explicit_app_replaces_a_generated_one_and_top_level_components_attach() -> None:
    profile = parse_android_profile({
        "platform": "android", "generate": {"ordinary_apps": 5, "seed": 1},
        "apps": [{"package": "com.android.chrome", "label": "Chrome", "system": True,
                  "partition": "product"}],
        "notification_listeners": [{"component": "com.google.android.gms/.Listener"}],
    }, source="t")
    chrome = profile.app("com.android.chrome")
    assert chrome.label == "Chrome" and not chrome.updated_system
    gms = profile.app("com.google.android.gms")
    assert [n.component.cls for n in gms.notification_listeners] == [
        "com.google.android.gms.Listener"]
    assert "com.google.android.gms/com.google.android.gms.Listener" in \
        profile.settings["secure"]["enabled_notification_listeners"]


def test_ten_thousand_app_profile_builds() -> None:
    profile = parse_android_profile({"platform": "android",
                                     "generate": {"ordinary_apps": 10_000, "seed": 3}},
                                    source="big")
    packages = [a.package for a in profile.apps]
    assert len(packages) == len(set(packages)) > 10_000
    uids = [a.uid for a in profile.apps if a.shared_user is None]
    assert len(uids) == len(set(uids))
