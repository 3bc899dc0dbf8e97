"""Binary manifest reading: apkgen's manifests, both string encodings, obfuscation, garbage."""

from __future__ import annotations

import struct

import pytest

from stalkerscan.apk import inspect_apk_details, read_manifest
from stalkerscan.apk.axml import parse_axml
from stalkerscan.apk.manifest import qualify_class_name
from stalkerscan.simulator.apkgen import ApkSpec, build_apk, build_manifest_axml

SPEC = ApkSpec(
    package="org.example.tracker",
    label="System Service",
    version_code=1234567,
    version_name="9.8.7",
    permissions=("android.permission.READ_SMS", "android.permission.RECORD_AUDIO",
                 "android.permission.ACCESS_FINE_LOCATION"),
    launcher_activity=None,
    accessibility_services=(".KeyService",),
    device_admin_receivers=("org.example.tracker.admin.AdminReceiver",),
    notification_listeners=("NotifReader",),
)


@pytest.mark.parametrize("utf8", [False, True])
def test_reads_every_declared_fact(utf8: bool) -> None:
    info = read_manifest(build_manifest_axml(SPEC, utf8=utf8))
    assert info.problems == ()
    assert info.package == "org.example.tracker"
    assert (info.version_code, info.version_name) == (1234567, "9.8.7")
    assert info.label == "System Service" and info.label_resource is None
    assert (info.min_sdk, info.target_sdk) == (21, 34)
    assert info.permissions == SPEC.permissions
    assert info.launcher_activities == ()  # hidden from the launcher
    assert [c.name for c in info.accessibility_services] == ["org.example.tracker.KeyService"]
    assert [c.declared_name for c in info.accessibility_services] == [".KeyService"]
    assert [c.name for c in info.device_admin_receivers] == [
        "org.example.tracker.admin.AdminReceiver"]
    assert [c.name for c in info.notification_listeners] == ["org.example.tracker.NotifReader"]
    admin = info.device_admin_receivers[0]
    assert admin.exported is True
    assert admin.intent_filters[0].actions == ("android.app.action.DEVICE_ADMIN_ENABLED",)


def test_launcher_activity_and_missing_label() -> None:
    info = read_manifest(build_manifest_axml(ApkSpec("org.example.app")))
    assert info.label is None
    assert [c.name for c in info.launcher_activities] == ["org.example.app.MainActivity"]


def test_hostile_label_is_kept_verbatim() -> None:
    label = "<script>alert(1)</script>\u202egnp.exe\x00" + "A" * 200_000
    info = read_manifest(build_manifest_axml(ApkSpec("org.example.h", label=label)))
    assert info.label == label


def test_manifest_in_inspected_apk() -> None:
    details = inspect_apk_details(build_apk(SPEC), device_path="d", case_path="c")
    assert details.manifest is not None
    assert details.manifest.package == "org.example.tracker"
    assert details.dex_entries == ("classes.dex",)


def test_blanked_attribute_names_still_resolve_through_the_resource_map() -> None:
    # Obfuscators empty the attribute-name strings; Android goes by resource id anyway.
    data = bytearray(build_manifest_axml(SPEC))
    for name in ("name", "versionCode", "permission"):
        encoded = struct.pack("<H", len(name)) + name.encode("utf-16-le")
        at = data.find(encoded)
        assert at > 0
        data[at : at + len(encoded)] = struct.pack("<H", 0) + b"\x00\x00" * len(name)
    info = read_manifest(bytes(data))
    assert info.version_code == 1234567
    assert [c.name for c in info.accessibility_services] == ["org.example.tracker.KeyService"]


def test_truncated_manifest_keeps_what_was_read() -> None:
    data = build_manifest_axml(SPEC)
    info = read_manifest(data[: int(len(data) * 0.8)])
    assert info.package == "org.example.tracker"
    assert info.problems


@pytest.mark.parametrize("data", [b"", b"\x00" * 7, b"\x03\x00\x08\x00\xff\xff\xff\x7f",
                                  b"<?xml version='1.0'?><manifest/>", bytes(range(256))])
def test_garbage(data: bytes) -> None:
    info = read_manifest(data)
    assert info.package is None and info.problems


def test_impossible_chunk_sizes_are_reported() -> None:
    data = bytearray(build_manifest_axml(SPEC))
    struct.pack_into("<I", data, 8 + 4, 0xFFFFFF00)  # string pool size
    document = parse_axml(bytes(data))
    assert document.root is None
    assert any("impossible size" in p.message for p in document.problems)


def test_qualify_class_name() -> None:
    assert qualify_class_name("a.b", ".C") == "a.b.C"
    assert qualify_class_name("a.b", "C") == "a.b.C"
    assert qualify_class_name("a.b", "x.y.C") == "x.y.C"
    assert qualify_class_name(None, ".C") == ".C"


def test_hostile_strings_round_trip_through_a_built_apk() -> None:
    # Names chosen by someone hostile: markup, traversal, NUL, right-to-left override, huge.
    package = "org.example.<img src=x onerror=alert(1)>/../\x00\u202e"
    spec = ApkSpec(package=package, label="\u202eelif.exe<script>" + "L" * 1_000_000,
                   permissions=("../../etc/passwd", "a\x00b"),
                   accessibility_services=(".<b>Svc</b>",))
    details = inspect_apk_details(build_apk(spec), device_path="d", case_path="c")
    manifest = details.manifest
    assert manifest is not None and manifest.problems == ()
    assert manifest.package == package
    assert manifest.label == spec.label
    assert manifest.permissions == spec.permissions
    assert [c.name for c in manifest.accessibility_services] == [package + ".<b>Svc</b>"]
