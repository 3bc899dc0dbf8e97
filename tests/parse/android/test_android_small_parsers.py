"""Launcher activities, usage access, users, root check, clock and dumpsys splitting."""

from __future__ import annotations

from stalkerscan.model.android import RootSign
from stalkerscan.parse.android.appops import parse_dumpsys_appops_usage, parse_usage_access
from stalkerscan.parse.android.clock import parse_clock
from stalkerscan.parse.android.dumpsys_split import find_service, split_dumpsys
from stalkerscan.parse.android.launcher import parse_launcher_activities
from stalkerscan.parse.android.root import parse_root_check, root_signs
from stalkerscan.parse.android.users import parse_users

BRIEF = b"""3 activities found:
  Activity #0:
    priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=false
    com.android.settings/.Settings
  Activity #1:
    priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=false
    org.example.app/org.example.app.MainActivity
  Activity #2:
    priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=false
    org.example.app/.SecondLauncher
"""

FULL = b"""1 activities found:
  Activity #0:
    priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=false
    ActivityInfo:
      name=org.example.full.Main
      packageName=org.example.full
      enabled=true exported=true directBootAware=false
      ApplicationInfo:
        name=org.example.full.App
        packageName=org.example.full
        labelRes=0x7f0e0000 nonLocalizedLabel=null icon=0x7f0d0000 banner=0x0
"""


def test_launcher_brief():
    result = parse_launcher_activities(BRIEF)
    assert result.recognized and result.problems == ()
    assert result.packages == {"com.android.settings", "org.example.app"}
    assert result.components == ("com.android.settings/.Settings",
                                 "org.example.app/org.example.app.MainActivity",
                                 "org.example.app/.SecondLauncher")


def test_launcher_full_output():
    result = parse_launcher_activities(FULL)
    assert result.packages == {"org.example.full"} and result.problems == ()


def test_launcher_none_found_is_not_usable():
    result = parse_launcher_activities(b"No activities found\n")
    assert not result.recognized and "cannot be right" in result.problems[0].message


def test_launcher_error_and_crlf():
    result = parse_launcher_activities(b"Error: unknown option --brief\r\n")
    assert not result.recognized and result.problems
    assert parse_launcher_activities(BRIEF.replace(b"\n", b"\r\n")).packages == {
        "com.android.settings", "org.example.app"}


def test_usage_access():
    result = parse_usage_access(b"com.google.android.gms\norg.example.spy\ncom.google.android.gms\n")
    assert result.packages == ("com.google.android.gms", "org.example.spy")
    assert result.lines == (1, 2) and result.recognized
    assert parse_usage_access(b"No operations.\n").recognized
    assert parse_usage_access(b"").recognized  # no package matched: a complete answer
    bad = parse_usage_access(b"Error: Unknown operation string: GET_USAGE_STATS\n")
    assert not bad.recognized and bad.problems[0].line == 1


def test_usage_access_from_dumpsys_appops(android_capture):
    real = parse_dumpsys_appops_usage(android_capture("dumpsys_appops.txt"))
    assert real.recognized and real.packages == ()
    data = (b"Current AppOps Service state:\n  Uid u0a234:\n    state=cch\n"
            b"    Package org.example.spy:\n      GET_USAGE_STATS (allow):\n      CAMERA (ignore):\n"
            b"  Uid u0a235:\n    Package org.example.other:\n      GET_USAGE_STATS (default):\n")
    assert parse_dumpsys_appops_usage(data).packages == ("org.example.spy",)


def test_users():
    result = parse_users(b"Users:\n\tUserInfo{0:Owner:c13} running\n\tUserInfo{10:Work: profile:1030} running\n"
                         b"\tUserInfo{11:Guest:4}\n")
    assert [(u.user_id, u.name, u.running) for u in result.users] == [
        (0, "Owner", True), (10, "Work: profile", True), (11, "Guest", False)]
    assert result.users[1].managed_profile and result.users[2].guest
    assert not result.users[0].managed_profile
    assert not parse_users(b"Error: couldn't get users\n").recognized


def test_root_check_streams():
    result = parse_root_check(b"/system/xbin/su\n/sbin/magisk\n",
                              stderr=b"ls: /sbin/su: No such file or directory\n"
                                     b"ls: /data/adb/magisk: Permission denied\n")
    assert result.found == ("/system/xbin/su", "/sbin/magisk") and result.lines == (1, 2)
    assert result.unreadable == ("/data/adb/magisk",)
    # Legacy shells merge stderr into stdout, with CRLF.
    merged = parse_root_check(b"ls: /sbin/su: No such file or directory\r\n/su/bin/su\r\n")
    assert merged.found == ("/su/bin/su",)
    assert parse_root_check(b"").found == ()


def test_root_signs_from_everything():
    signs = root_signs(
        {"ro.build.tags": "test-keys", "ro.build.type": "userdebug", "ro.debuggable": "1",
         "ro.secure": "0", "ro.boot.flash.locked": "0", "ro.boot.vbmeta.device_state": "unlocked",
         "ro.boot.verifiedbootstate": "orange"},
        found_paths=["/system/xbin/su"], packages=["org.example.app", "com.topjohnwu.magisk", "com.kingroot.kinguser"])
    assert signs == (
        RootSign("su_binary", "/system/xbin/su"),
        RootSign("root_package", "com.kingroot.kinguser"),
        RootSign("root_package", "com.topjohnwu.magisk"),
        RootSign("test_keys", "ro.build.tags=test-keys"),
        RootSign("debuggable_build", "ro.debuggable=1"),
        RootSign("debuggable_build", "ro.build.type=userdebug"),
        RootSign("debuggable_build", "ro.secure=0"),
        RootSign("unlocked_bootloader", "ro.boot.flash.locked=0"),
        RootSign("unlocked_bootloader", "ro.boot.vbmeta.device_state=unlocked"),
        RootSign("unlocked_bootloader", "ro.boot.verifiedbootstate=orange"),
    )
    assert root_signs({"ro.build.tags": "release-keys", "ro.build.type": "user"}) == ()


def test_clock():
    assert parse_clock(b"1711019242\n").epoch_seconds == 1711019242
    assert parse_clock(b"1711019242\r\n").epoch_seconds == 1711019242
    bad = parse_clock(b"date: bad format\n")
    assert bad.epoch_seconds is None and bad.problems


def test_split_real_androidqf_dumpsys(androidqf_dir):
    data = (androidqf_dir / "dumpsys.txt").read_bytes()
    sections = split_dumpsys(data)
    assert [s.service for s in sections] == [
        "accessibility", "package", "appops", "adb", "dbinfo", "batterystats", "platform_compat"]
    package = find_service(data, "package")
    assert package.first_line == 53
    assert package.data.startswith(b"Database versions:\n")
    assert b"was the duration of dumpsys" not in package.data
    assert data.split(b"\n")[package.first_line - 1] == b"Database versions:"


def test_split_priority_headers():
    data = (b"DUMP OF SERVICE CRITICAL SurfaceFlinger:\nsf\n"
            b"-------------------------------------------------------------------------------\n"
            b"DUMP OF SERVICE HIGH package:\nPackages:\n")
    assert [(s.service, s.data) for s in split_dumpsys(data)] == [
        ("SurfaceFlinger", b"sf\n"), ("package", b"Packages:\n")]
