"""dumpsys package: real captures, Android 8-15 layouts, shared users, cuts and bad bytes."""

from __future__ import annotations

import pytest
from android_parse_samples import dumpsys_package, many_apps_dumpsys, package_block

from stalkerscan.parse.android.dumpsys_package import parse_dumpsys_package
from stalkerscan.parse.android.dumpsys_split import find_service


# --------------------------------------------------------------------------- real captures
def test_real_samsung_capture_values(android_capture):
    result = parse_dumpsys_package(android_capture("dumpsys_packages.txt"))
    assert result.recognized and not result.truncated and result.problems == ()
    assert list(result.packages) == [
        "com.samsung.android.provider.filterprovider", "com.sec.android.app.DataCreate"]

    provider = result.packages["com.samsung.android.provider.filterprovider"]
    assert provider.line == 40 and provider.field_lines["userId"] == 41
    assert provider.uid == 1000 and provider.shared_user == "android.uid.system"
    assert provider.code_path == "/system/app/FilterProvider"
    assert provider.version_code == 500700000 and provider.version_name == "5.0.07"
    assert provider.system and not provider.updated_system
    assert provider.timestamp == provider.first_install() == "2008-12-31 16:00:00"
    assert provider.installer is None  # no installerPackageName line at all
    assert provider.user(0).enabled_state == 0 and provider.user(0).installed is True

    data_create = result.packages["com.sec.android.app.DataCreate"]
    assert data_create.uid == 10143 and data_create.version_name == "1.0"
    assert data_create.splits == ("base",)
    assert data_create.requested_listed
    assert data_create.requested_permissions[0] == "android.permission.ACCESS_WIFI_STATE"
    assert len(data_create.requested_permissions) == 11
    granted = data_create.granted_permissions(0)
    assert len(granted) == 20
    assert "android.permission.WRITE_SECURE_SETTINGS" in granted
    assert "android.permission.READ_SMS" not in granted  # runtime, granted=false
    assert len(data_create.runtime_permissions) == 13
    assert all(not p.granted and p.user_id == 0 for p in data_create.runtime_permissions)
    assert data_create.runtime_permissions[0].line == 137


def test_real_androidqf_package_section(androidqf_dir):
    section = find_service((androidqf_dir / "dumpsys.txt").read_bytes(), "package")
    assert section is not None
    result = parse_dumpsys_package(section.data)
    assert list(result.packages) == [
        "com.samsung.android.provider.filterprovider", "com.sec.android.app.DataCreate"]
    # The capture's blocks stop before their User lines: kept, but flagged.
    assert result.truncated
    assert all(not info.complete for info in result.packages.values())
    assert len(result.problems) == 2 and "end early" in result.problems[0].message
    assert result.packages["com.sec.android.app.DataCreate"].last_update_time == "2008-12-31 16:00:00"


# --------------------------------------------------------------------------- versions
def test_android_14_install_source_and_per_user_first_install():
    block = package_block(
        "org.example.sideload", android=14, installer="com.google.android.packageinstaller",
        initiating="com.google.android.packageinstaller", originating="com.android.chrome",
        first_install="2024-02-03 04:05:06", last_update="2024-03-01 00:00:00")
    result = parse_dumpsys_package(dumpsys_package([block]).encode())
    info = result.packages["org.example.sideload"]
    assert info.installer == "com.google.android.packageinstaller"
    assert info.installer_uid == 10050
    assert info.initiating_installer == "com.google.android.packageinstaller"
    assert info.originating_installer == "com.android.chrome"
    assert info.first_install_time is None  # Android 13+ prints it per user only
    assert info.first_install(0) == "2024-02-03 04:05:06"
    assert info.user(0).first_install_line is not None
    assert info.user(0).install_reason == 4
    assert info.last_update_time == "2024-03-01 00:00:00"
    assert info.uid == 10100 and info.version_code == 42 and info.version_name == "4.2 (build 42)"


def test_android_14_null_installer_is_none():
    block = package_block("org.example.noinstaller", android=14, installer=None)
    info = parse_dumpsys_package(dumpsys_package([block]).encode()).packages["org.example.noinstaller"]
    assert info.installer is None and info.initiating_installer is None
    assert "installerPackageName" in info.field_lines  # printed as null: known to be none


def test_android_11_install_initiating_variant_names():
    block = package_block("org.example.r", android=11, installer="com.android.packageinstaller",
                          initiating="com.android.shell", originating="org.example.files")
    info = parse_dumpsys_package(dumpsys_package([block]).encode()).packages["org.example.r"]
    assert info.initiating_installer == "com.android.shell"
    assert info.originating_installer == "org.example.files"
    assert info.first_install_time == "2024-05-01 10:00:00"  # package level up to Android 12


def test_android_8_layout_userid_and_package_level_times():
    block = package_block("org.example.oreo", android=8, uid=10077, installer="com.android.vending",
                          first_install="2018-01-02 03:04:05")
    info = parse_dumpsys_package(dumpsys_package([block]).encode()).packages["org.example.oreo"]
    assert info.uid == 10077
    assert info.installer == "com.android.vending"
    assert info.first_install() == "2018-01-02 03:04:05"
    assert info.user(0).enabled_state == 0


def test_enabled_states_and_other_users():
    blocks = [package_block(f"org.example.e{state}", enabled=state, extra_users=(10,))
              for state in range(5)]
    result = parse_dumpsys_package(dumpsys_package(blocks).encode())
    assert [result.packages[f"org.example.e{s}"].user(0).enabled_state for s in range(5)] == [0, 1, 2, 3, 4]
    info = result.packages["org.example.e3"]
    assert [u.user_id for u in info.users] == [0, 10]
    # Runtime grants are per user; user 0's grants do not include user 10's lines twice.
    assert info.granted_permissions(0) == ("android.permission.INTERNET", "android.permission.CAMERA")
    assert {p.user_id for p in info.runtime_permissions} == {0, 10}


def test_uninstalled_for_user_zero():
    block = package_block("org.example.gone", installed=False)
    info = parse_dumpsys_package(dumpsys_package([block]).encode()).packages["org.example.gone"]
    assert info.user(0).installed is False


def test_requested_permissions_with_restricted_suffix_and_derived_list():
    listed = package_block("org.example.req", requested=(
        "android.permission.READ_SMS", "android.permission.INTERNET"))
    unlisted = package_block("org.example.unlisted", runtime=(("android.permission.RECORD_AUDIO", False),))
    result = parse_dumpsys_package(dumpsys_package([listed, unlisted]).encode())
    assert result.packages["org.example.req"].requested_permissions == (
        "android.permission.READ_SMS", "android.permission.INTERNET")
    other = result.packages["org.example.unlisted"]
    assert not other.requested_listed
    # Without the requested list, every permission in the grant lists was requested.
    assert other.all_requested_permissions() == (
        "android.permission.INTERNET", "android.permission.RECORD_AUDIO")
    assert other.granted_permissions() == ("android.permission.INTERNET",)


def test_install_permission_for_other_user_is_not_user_zeros():
    text = dumpsys_package([package_block("org.example.multi", install=())]).replace(
        "    User 0:",
        "    install permissions:\n"
        "      android.permission.INTERNET: granted=true\n"
        "      android.permission.BLUETOOTH: granted=true, flags=[ USER_SET ], userId=10\n"
        "    User 0:", 1)
    info = parse_dumpsys_package(text.encode()).packages["org.example.multi"]
    assert "android.permission.BLUETOOTH" not in info.granted_permissions(0)
    assert "android.permission.BLUETOOTH" in info.granted_permissions(10)


def test_splits_with_revision_codes():
    block = package_block("org.example.split", splits=("config.arm64_v8a:3", "config.xxhdpi"))
    info = parse_dumpsys_package(dumpsys_package([block]).encode()).packages["org.example.split"]
    assert info.splits == ("base", "config.arm64_v8a", "config.xxhdpi")
    assert info.code_path == "/data/app/~~Xy1aB2==/org.example.split-Qr3sT4=="


def test_hidden_system_packages_are_kept_apart():
    updated = package_block("org.example.sys", system=True, updated_system=True,
                            installer="com.android.vending")
    factory = package_block("org.example.sys", system=True, installer=None, version=1)
    result = parse_dumpsys_package(dumpsys_package([updated], hidden=[factory]).encode())
    assert result.packages["org.example.sys"].updated_system
    assert result.packages["org.example.sys"].version_code == 42
    assert result.hidden_system_packages["org.example.sys"].version_code == 1
    assert result.hidden_system_packages["org.example.sys"].code_path == "/system/app/sys"


def test_shared_users_section():
    shared = (
        "Shared users:\n"
        "  SharedUser [org.example.shared] (7a7a):\n"
        "    appId=10555\n"
        "    Packages\n"
        "      PackageSetting{1b1b org.example.one/10555}\n"
        "      PackageSetting{2c2c org.example.two/10555}\n"
        "    install permissions:\n"
        "      android.permission.INTERNET: granted=true\n"
        "    User 0: \n"
        "      gids=[3003]\n"
        "      runtime permissions:\n"
        "        android.permission.READ_CONTACTS: granted=true, flags=[ USER_SET ]\n"
        "        android.permission.CAMERA: granted=false\n"
    )
    result = parse_dumpsys_package(dumpsys_package([], shared_users=shared).encode())
    user = result.shared_users["org.example.shared"]
    assert user.uid == 10555
    assert user.packages == ("org.example.one", "org.example.two")
    assert [p.name for p in user.install_permissions] == ["android.permission.INTERNET"]
    assert [(p.name, p.granted, p.user_id) for p in user.runtime_permissions] == [
        ("android.permission.READ_CONTACTS", True, 0), ("android.permission.CAMERA", False, 0)]
    assert user.granted_permissions(0) == ("android.permission.INTERNET",
                                           "android.permission.READ_CONTACTS")
    assert user.granted_permissions(10) == ("android.permission.INTERNET",)


def test_single_package_dump():
    text = ("Activity Resolver Table:\n  Non-Data Actions:\n      android.intent.action.MAIN:\n"
            "        5f5f org.example.one/.Main\n\nPackages:\n" + package_block("org.example.one")
            + "\nDexopt state:\n  [org.example.one]\n")
    result = parse_dumpsys_package(text.encode())
    assert list(result.packages) == ["org.example.one"] and result.problems == ()


# --------------------------------------------------------------------------- bad input
def test_crlf_output():
    text = dumpsys_package([package_block("org.example.crlf")]).replace("\n", "\r\n")
    result = parse_dumpsys_package(text.encode())
    info = result.packages["org.example.crlf"]
    assert info.installer == "com.android.vending" and info.version_name == "4.2 (build 42)"
    assert info.complete and not result.truncated


def test_non_utf8_bytes_are_replaced_not_fatal():
    data = dumpsys_package([package_block("org.example.bytes")]).encode().replace(
        b"versionName=4.2 (build 42)", b"versionName=4.2\xff\xfe caf\xe9")
    info = parse_dumpsys_package(data).packages["org.example.bytes"]
    assert info.version_name == "4.2\ufffd\ufffd caf\ufffd"
    assert info.installer == "com.android.vending"


def test_cut_mid_line_drops_the_half_value():
    whole = dumpsys_package([package_block("org.example.first"), package_block("org.example.cut")])
    cut_at = whole.index("installerPackageName=com.android.vending", whole.index("org.example.cut"))
    data = whole[: cut_at + len("installerPackageName=com.andr")].encode()
    result = parse_dumpsys_package(data)
    assert result.truncated
    assert result.packages["org.example.first"].complete
    cut = result.packages["org.example.cut"]
    assert not cut.complete
    assert cut.installer is None  # "com.andr" was never taken for an installer
    assert any("cut off" in p.message for p in result.problems)


def test_empty_and_unrelated_output():
    assert parse_dumpsys_package(b"") == parse_dumpsys_package(b"")
    empty = parse_dumpsys_package(b"")
    assert not empty.recognized and empty.packages == {} and empty.problems == ()
    other = parse_dumpsys_package(b"Can't find service: package\n")
    assert not other.recognized and other.problems[0].line == 1


def test_three_thousand_apps():
    result = parse_dumpsys_package(many_apps_dumpsys(3000))
    assert len(result.packages) == 3000 and result.problems == () and not result.truncated
    info = result.packages["org.example.app02997"]
    assert info.uid == 12997 and info.version_code == 2998 and info.system
    assert info.granted_permissions() == (
        *(f"android.permission.INSTALL_{i}" for i in range(10)),
        *(f"android.permission.PERM_{i}" for i in range(0, 12, 2)))
    assert result.packages["org.example.app00005"].splits == ("base", "config.arm64_v8a")


@pytest.mark.parametrize("android", range(8, 16))
def test_every_android_version_layout(android):
    block = package_block("org.example.v", android=android, uid=10321, installer="com.android.vending",
                          initiating="com.android.vending" if android >= 11 else None,
                          enabled=2, first_install="2023-09-09 09:09:09",
                          runtime=(("android.permission.READ_CONTACTS", True),))
    result = parse_dumpsys_package(dumpsys_package([block]).encode())
    assert result.problems == () and not result.truncated
    info = result.packages["org.example.v"]
    assert info.uid == 10321 and info.installer == "com.android.vending"
    assert info.initiating_installer == ("com.android.vending" if android >= 11 else None)
    assert info.first_install(0) == "2023-09-09 09:09:09"
    assert info.user(0).enabled_state == 2
    assert info.granted_permissions() == ("android.permission.INTERNET", "android.permission.READ_CONTACTS")
    assert not info.system and info.complete
