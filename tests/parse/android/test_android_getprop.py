"""getprop: real captures, device facts, multi-line values, cuts and bad bytes."""

from __future__ import annotations

from stalkerscan.parse.android.getprop import (
    bootloader_locked,
    device_info_from_props,
    parse_getprop,
)

PIXEL_14 = b"""[persist.sys.timezone]: [Europe/Berlin]
[ro.boot.flash.locked]: [1]
[ro.boot.verifiedbootstate]: [green]
[ro.build.fingerprint]: [google/panther/panther:14/AP1A.240305.019/11311220:user/release-keys]
[ro.build.tags]: [release-keys]
[ro.build.type]: [user]
[ro.build.version.release]: [14]
[ro.build.version.sdk]: [34]
[ro.build.version.security_patch]: [2024-03-05]
[ro.product.brand]: [google]
[ro.product.device]: [panther]
[ro.product.manufacturer]: [Google]
[ro.product.model]: [Pixel 7]
[ro.serialno]: [29A1B2C3D4]
"""

# Samsung Android 10 builds print many identity properties only under vendor./system. names.
SAMSUNG_10_VENDOR_ONLY = b"""[ro.product.vendor.manufacturer]: [samsung]
[ro.product.vendor.model]: [SM-A405FN]
[ro.product.vendor.device]: [a40]
[ro.product.system.brand]: [samsung]
[ro.build.version.release]: [10]
[ro.build.version.sdk]: [29]
[ro.boot.vbmeta.device_state]: [unlocked]
"""


def test_real_capture(android_capture):
    result = parse_getprop(android_capture("getprop.txt"))
    assert result.recognized and result.problems == ()
    assert len(result.props) == 13
    assert result.props["dalvik.vm.heapgrowthlimit"] == "192m"
    assert result.props["af.fast_track_multiplier"] == "1"
    # The capture has a blank line 9; numbering follows the file.
    assert result.lines["dalvik.vm.dex2oat-max-image-block-size"] == 10


def test_real_androidqf_capture(androidqf_dir):
    result = parse_getprop((androidqf_dir / "getprop.txt").read_bytes())
    assert len(result.props) == 10 and result.props["dalvik.vm.heapgrowthlimit"] == "128m"


def test_pixel_device_info():
    info = device_info_from_props(parse_getprop(PIXEL_14).props, serial="adb-serial-1")
    assert info.serial == "adb-serial-1"
    assert (info.manufacturer, info.brand, info.model, info.device) == ("Google", "google", "Pixel 7", "panther")
    assert (info.android_version, info.sdk, info.security_patch) == ("14", 34, "2024-03-05")
    assert (info.build_type, info.build_tags) == ("user", "release-keys")
    assert info.fingerprint.startswith("google/panther/panther:14/")
    assert info.verified_boot_state == "green" and info.bootloader_locked is True
    assert info.timezone == "Europe/Berlin"


def test_serial_falls_back_to_property():
    info = device_info_from_props(parse_getprop(PIXEL_14).props)
    assert info.serial == "29A1B2C3D4"


def test_vendor_property_fallbacks():
    info = device_info_from_props(parse_getprop(SAMSUNG_10_VENDOR_ONLY).props)
    assert (info.manufacturer, info.brand, info.model, info.device) == ("samsung", "samsung", "SM-A405FN", "a40")
    assert info.sdk == 29 and info.bootloader_locked is False
    assert info.security_patch is None and info.timezone is None


def test_bootloader_state_sources():
    assert bootloader_locked({"ro.boot.flash.locked": "0"}) is False
    assert bootloader_locked({"ro.boot.vbmeta.device_state": "locked"}) is True
    assert bootloader_locked({"ro.boot.verifiedbootstate": "orange"}) is False
    assert bootloader_locked({"ro.boot.verifiedbootstate": "yellow"}) is True
    assert bootloader_locked({}) is None
    # The most direct property wins.
    assert bootloader_locked({"ro.boot.flash.locked": "1", "ro.boot.verifiedbootstate": "orange"}) is True


def test_multi_line_values():
    result = parse_getprop(b"[ro.a]: [first\nsecond\n]\n[ro.b]: [x]\n")
    assert result.props == {"ro.a": "first\nsecond\n", "ro.b": "x"}
    assert result.lines == {"ro.a": 1, "ro.b": 4} and result.problems == ()


def test_crlf_and_non_utf8():
    result = parse_getprop(b"[ro.product.model]: [Caf\xe9 Phone]\r\n[ro.build.type]: [user]\r\n")
    assert result.props == {"ro.product.model": "Caf\ufffd Phone", "ro.build.type": "user"}


def test_cut_value_is_flagged_and_kept():
    result = parse_getprop(b"[ro.build.type]: [user]\n[ro.build.tags]: [test-ke")
    assert result.props["ro.build.tags"] == "test-ke"
    assert "cut short" in result.problems[0].message and result.problems[0].line == 2


def test_unclosed_value_before_next_property():
    result = parse_getprop(b"[ro.a]: [open\n[ro.b]: [2]\n")
    assert result.props == {"ro.a": "open", "ro.b": "2"}
    assert "no closing bracket" in result.problems[0].message


def test_garbage_and_empty():
    assert not parse_getprop(b"").recognized
    result = parse_getprop(b"/system/bin/sh: getprop: not found\n")
    assert not result.recognized and result.problems[0].excerpt.startswith("/system/bin/sh")
