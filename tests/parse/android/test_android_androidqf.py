"""androidqf folders: the real capture, and hand-made folders with good and bad files."""

from __future__ import annotations

import json

import pytest
from android_parse_samples import PHONE_ACCESSIBILITY, PHONE_DEVICE_POLICY, package_block

from stalkerscan.model.android import InstallSource, RootSign
from stalkerscan.parse.android.androidqf import (
    build_inventory_from_androidqf,
    read_androidqf_folder,
)

SEPARATOR = b"-" * 79 + b"\n"


def test_real_capture_folder(androidqf_dir):
    inventory = build_inventory_from_androidqf(androidqf_dir)
    assert [app.package for app in inventory.apps] == [
        "app.revanced.manager.flutter", "com.google.android.youtube", "com.malware.blah",
        "com.malware.muahaha", "com.samsung.android.provider.filterprovider",
        "com.sec.android.app.DataCreate", "com.whatsapp", "org.fdroid.fdroid", "org.nuclearfog.apollo"]
    sources = {app.package: app.install_source for app in inventory.apps}
    assert sources["com.whatsapp"] is InstallSource.UNKNOWN  # installer "null", not system
    assert sources["app.revanced.manager.flutter"] is InstallSource.PACKAGE_INSTALLER
    assert sources["org.nuclearfog.apollo"] is InstallSource.STORE  # installed by F-Droid
    assert sources["com.google.android.youtube"] is InstallSource.PREINSTALLED

    whatsapp = inventory.app("com.whatsapp")
    assert whatsapp.uid == 10271 and whatsapp.enabled is True and not whatsapp.system
    assert whatsapp.apk_paths == ("/data/app/~~/com.whatsapp-~~/base.apk",)
    (apk,) = whatsapp.apks
    assert apk.sha256 == "744ed47f8176ec423840344c33e88bd2c96e8988cda0797f3415bb5229efc12b"
    assert apk.md5 == "5870bd06e642de410c54705226ecfa9a"
    (cert,) = apk.certificates
    assert cert.sha1 == "38a0f7d505fe18fec64fbf343ecaaaf310dbd799"
    assert cert.subject.endswith("CN=Brian Acton") and cert.not_before == "2010-06-25T23:07:16Z"

    provider = inventory.app("com.samsung.android.provider.filterprovider")
    assert provider.uid == 1000 and provider.version_name == "5.0.07" and provider.system
    header = next(ref for ref in provider.sources if ref.detail.startswith("Package ["))
    assert (header.path, header.line) == ("dumpsys.txt", 91)
    lines = (androidqf_dir / "dumpsys.txt").read_text(errors="replace").split("\n")
    assert lines[header.line - 1].startswith("  Package [com.samsung.android.provider.filterprovider]")

    assert inventory.root_signs == tuple(RootSign("su_binary", p) for p in (
        "/system/bin/su", "/system/xbin/busybox", "/data/local/tmp/magisk", "/system/bin/magiskhide"))
    assert inventory.settings["random"]["package_verifier_enable"] == "1"
    assert inventory.risky_settings == ()
    assert inventory.usage_access == ()  # dumpsys appops was there, and granted it to no one
    assert inventory.install_unknown_apps == ("org.mozilla.firefox",)  # its REQUEST_INSTALL_PACKAGES (allow)
    assert inventory.missing == ("dumpsys_device_policy", "settings_secure", "settings_global",
                                 "settings_system", "launcher_activities", "users")
    assert [(p.source, p.line) for p in inventory.problems] == [("dumpsys.txt", 91), ("dumpsys.txt", 121)]


def test_real_capture_folder_notes(androidqf_dir):
    folder = read_androidqf_folder(androidqf_dir)
    assert folder.packages_read and len(folder.packages) == 7
    assert folder.locations["dumpsys.txt#package"] == ("dumpsys.txt", 52)
    assert "Not used: files.json, ps.txt" in folder.notes
    assert any("settings_random.txt" in note for note in folder.notes)
    assert [r.name for r in folder.evidence.records()] == [
        "getprop", "dumpsys_accessibility", "dumpsys_package"]


def _dumpsys(*sections: tuple[str, bytes]) -> bytes:
    out = b"preamble\n"
    for name, body in sections:
        out += SEPARATOR + f"DUMP OF SERVICE {name}:\n".encode() + body
        out += f"--------- 0.01s was the duration of dumpsys {name}, ending at: 2024-01-01\n".encode()
    return out


def test_hand_made_folder(tmp_path):
    packages = ("Packages:\n" + package_block("org.example.spy", installer="com.android.shell")).encode()
    (tmp_path / "dumpsys.txt").write_bytes(_dumpsys(
        ("accessibility", PHONE_ACCESSIBILITY), ("package", packages),
        ("device_policy", PHONE_DEVICE_POLICY),
        ("appops", b"Current AppOps Service state:\n  Uid u0a102:\n    Package org.example.spy:\n"
                   b"      GET_USAGE_STATS (allow):\n")))
    (tmp_path / "settings_secure.txt").write_bytes(
        b"enabled_accessibility_services=org.example.spy/.HealthService\n")
    (tmp_path / "settings_global.txt").write_bytes(b"package_verifier_enable=0\n")
    (tmp_path / "packages.json").write_text(json.dumps([
        {"name": "org.example.spy", "installer": "null", "uid": 10102, "disabled": True,
         "system": False, "files": []},
        {"name": "org.example.onlyjson", "installer": "com.android.vending", "uid": 10300,
         "disabled": False, "system": False,
         "files": [{"path": "/data/app/x/base.apk", "sha256": "AB" * 32, "sha1": "", "md5": "",
                    "certificate": {"Sha1": "CD" * 20, "Sha256": "EF" * 32, "Subject": "CN=x"},
                    "certificate_error": "bad signature block"}]},
        {"name": "../etc", "installer": "null"},
        "not an object",
    ]))
    (tmp_path / "root_binaries.json").write_text("{}")
    inventory = build_inventory_from_androidqf(tmp_path)

    spy = inventory.app("org.example.spy")
    assert spy.install_source is InstallSource.ADB  # dumpsys says adb; packages.json's null does not undo it
    assert spy.enabled is True  # dumpsys user state wins over packages.json
    only = inventory.app("org.example.onlyjson")
    assert only.install_source is InstallSource.STORE and only.enabled is True
    assert only.apks[0].sha256 == "ab" * 32 and only.apks[0].certificates[0].sha1 == "cd" * 20
    assert only.apks[0].problems[0].message == "androidqf: bad signature block"
    assert inventory.accessibility_services[0].label == "Device Health"
    assert inventory.device_admins[0].policies == ("force-lock", "wipe-data")
    assert inventory.usage_access == ("org.example.spy",)
    assert [r.id for r in inventory.risky_settings] == ["package_verifier_off", "accessibility_services_enabled"]
    assert "root_check" in inventory.missing  # root_binaries.json was not a list
    assert "pm_list_packages" not in inventory.missing
    messages = [p.message for p in inventory.problems]
    assert any("entry 3 has no valid package name" in m for m in messages)
    assert any("entry 4" in m for m in messages)
    assert any("root_binaries.json does not hold a list" in m for m in messages)


def test_broken_json_and_empty_folder(tmp_path):
    (tmp_path / "packages.json").write_bytes(b"[{\"name\": ")
    inventory = build_inventory_from_androidqf(tmp_path)
    assert inventory.apps == ()
    assert "pm_list_packages" in inventory.missing
    assert "packages.json is not valid JSON" in inventory.problems[0].message


def test_not_a_folder(tmp_path):
    with pytest.raises(NotADirectoryError):
        read_androidqf_folder(tmp_path / "absent")


def test_links_and_foreign_paths_in_a_folder_are_not_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("[ro.product.model]: [Private]\n")
    folder = tmp_path / "acq"
    folder.mkdir()
    (folder / "getprop.txt").symlink_to(secret)
    (folder / "packages.json").write_text(
        '[{"name": "org.example.app", "files": [{"path": "/data/app/x/base.apk", '
        '"local_name": "/etc/passwd", "sha256": "00"}]}]')
    folder_result = read_androidqf_folder(folder)
    assert any("getprop.txt is not a regular file" in p.message for p in folder_result.problems)
    inventory = build_inventory_from_androidqf(folder)
    assert inventory.device.model is None
    (apk,) = inventory.app("org.example.app").apks
    assert apk.case_path == "passwd"
