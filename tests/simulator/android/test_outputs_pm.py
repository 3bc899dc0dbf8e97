"""``pm`` / ``cmd package`` outputs: line formats, variants, version and vendor differences."""

from __future__ import annotations

import re
from typing import Any

import pytest

from stalkerscan.simulator.android.phone import SimulatedAndroidPhone
from stalkerscan.simulator.android.profile import parse_android_profile

FULL = "pm list packages -f -i -U -u --show-versioncode"
LINE = re.compile(r"^package:(?P<path>/.+)=(?P<pkg>[^=\s]+) versionCode:(?P<code>\d+)"
                  r"  installer=(?P<installer>\S+) uid:(?P<uid>[\d,]+)$")


def phone_for(android_version: str = "14", vendor: str = "aosp", *, apps: list[Any] | None = None,
              users: list[Any] | None = None, faults: dict[str, Any] | None = None,
              ordinary: int = 20) -> SimulatedAndroidPhone:
    data: dict[str, Any] = {
        "platform": "android", "name": f"pm-{android_version}-{vendor}", "vendor": vendor,
        "device": {"android_version": android_version},
        "generate": {"ordinary_apps": ordinary, "seed": 11},
        "apps": apps or [
            {"package": "net.example.hidden", "label": "Hidden", "launcher": False,
             "installer": None, "initiating": "com.android.shell"},
            {"package": "net.example.off", "label": "Off", "enabled": False,
             "installer": "com.android.vending"},
        ],
    }
    if users:
        data["users"] = users
    if faults:
        data["faults"] = faults
    return SimulatedAndroidPhone.from_profile(parse_android_profile(data, source="test"))


def run(phone: SimulatedAndroidPhone, cmdline: str) -> tuple[str, str, int]:
    result = phone.shell(cmdline, layer="test")
    return result.stdout.decode(), result.stderr.decode(), result.exit_code


@pytest.mark.parametrize("version", ["8.0", "9", "10", "11", "12", "13", "14", "15"])
def test_full_list_line_format_on_every_version(version: str) -> None:
    phone = phone_for(version)
    out, err, code = run(phone, FULL)
    assert (err, code) == ("", 0)
    lines = out.splitlines()
    assert len(lines) == len(phone.profile.apps)
    found = {}
    for line in lines:
        match = LINE.match(line)
        assert match, line
        found[match["pkg"]] = match
    for app in phone.profile.apps:
        match = found[app.package]
        assert match["path"] == app.apk.base_path
        assert int(match["code"]) == app.version_code
        assert match["installer"] == (app.installer or "null")
        assert match["uid"] == str(app.uid)
    assert found["net.example.hidden"]["installer"] == "null"


def test_paths_contain_double_equals_and_split_on_the_last_equals() -> None:
    phone = phone_for("13")
    out, _, _ = run(phone, "pm list packages -f")
    data_lines = [line for line in out.splitlines() if line.startswith("package:/data/app/")]
    assert data_lines
    for line in data_lines:
        assert "==" in line
        path, _, package = line[len("package:"):].rpartition("=")
        assert phone.profile.app(package).apk.base_path == path
        assert path.startswith("/data/app/~~") and path.endswith("/base.apk")


def test_android_10_paths_have_no_tilde_directory() -> None:
    out, _, _ = run(phone_for("10"), "pm list packages -f -3")
    assert out and all(re.match(r"^package:/data/app/[\w.]+-[\w-]+==/base\.apk=", line)
                       for line in out.splitlines())


def test_filters_and_subsets() -> None:
    phone = phone_for("12")
    apps = phone.profile.apps
    third, _, _ = run(phone, "pm list packages -3")
    system, _, _ = run(phone, "pm list packages -s")
    disabled, _, _ = run(phone, "pm list packages -d")
    enabled, _, _ = run(phone, "cmd package list packages -e")
    filtered, _, _ = run(phone, "pm list packages example")
    user0, _, _ = run(phone, "pm list packages --user 0")
    assert {line[8:] for line in third.splitlines()} == {a.package for a in apps if not a.system}
    assert {line[8:] for line in system.splitlines()} == {a.package for a in apps if a.system}
    assert disabled == "package:net.example.off\n"
    assert "net.example.off" not in enabled and len(enabled.splitlines()) == len(apps) - 1
    assert {line[8:] for line in filtered.splitlines()} == {"net.example.hidden",
                                                            "net.example.off"}
    assert len(user0.splitlines()) == len(apps)


def test_pm_and_cmd_package_agree() -> None:
    phone = phone_for("11")
    assert run(phone, FULL) == run(phone, FULL.replace("pm ", "cmd package ", 1))


def test_android_13_lists_every_user_with_all_uids() -> None:
    phone = phone_for("13", users=[{"id": 0}, {"id": 10, "type": "managed_profile"}],
                      apps=[{"package": "net.example.both", "users": [0, 10]}])
    out, _, _ = run(phone, "pm list packages -U both")
    assert out == f"package:net.example.both uid:{phone.profile.app('net.example.both').uid}," \
                  f"{1000000 + phone.profile.app('net.example.both').uid}\n"
    only0, _, _ = run(phone, "pm list packages -U --user 0 both")
    assert only0.count(",") == 0


def test_android_12_lists_only_user_0_by_default() -> None:
    phone = phone_for("12", users=[{"id": 0}, {"id": 10, "type": "managed_profile"}],
                      apps=[{"package": "net.example.both", "users": [0, 10]}])
    out, _, _ = run(phone, "pm list packages -U both")
    assert out == f"package:net.example.both uid:{phone.profile.app('net.example.both').uid}\n"


@pytest.mark.parametrize("version", ["13", "14"])
def test_samsung_secure_folder_needs_user_0(version: str) -> None:
    phone = phone_for(version, "samsung", faults={"pm_requires_user": True})
    out, err, code = run(phone, FULL)
    assert (out, code) == ("", 255)
    assert err.startswith("\nException occurred while executing 'list':\n"
                          "java.lang.SecurityException: Shell does not have permission to "
                          "access user 150\n")
    assert "\tat com.android.server.pm.PackageManagerShellCommand.translateUserId(" in err
    ok_out, ok_err, ok_code = run(phone, FULL + " --user 0")
    assert (ok_err, ok_code) == ("", 0)
    assert len(ok_out.splitlines()) == len(phone.profile.apps)
    users, _, _ = run(phone, "pm list users")
    assert "\tUserInfo{150:Secure Folder:10061030} running" in users


def test_samsung_secure_folder_on_android_15_reports_and_lists_user_0() -> None:
    phone = phone_for("15", "samsung", faults={"pm_requires_user": True})
    out, err, code = run(phone, "pm list packages")
    assert code == 0
    assert err.startswith("Error: java.lang.SecurityException: Shell does not have permission "
                          "to access user 150")
    assert len(out.splitlines()) == len(phone.profile.apps)


def test_secure_folder_user_in_profile_behaves_like_the_fault() -> None:
    phone = phone_for("14", "samsung", users=[{"id": 0}, {"id": 150, "type": "secure_folder"}])
    _, err, code = run(phone, "pm list packages")
    assert code == 255 and "access user 150" in err


@pytest.mark.parametrize(("cmdline", "expected"), [
    (FULL, "Error: Unknown option: -U\n"),
    ("pm list packages -f -i --show-versioncode", "Error: Unknown option: --show-versioncode\n"),
])
def test_old_pm_without_uid_and_versioncode_options(cmdline: str, expected: str) -> None:
    phone = phone_for("9", faults={"old_pm": True})
    assert run(phone, cmdline) == (expected, "", 255)
    out, err, code = run(phone, "pm list packages -f -i -u")
    assert (err, code) == ("", 0) and len(out.splitlines()) == len(phone.profile.apps)


def test_unsupported_option_list_fault() -> None:
    phone = phone_for("11", faults={"pm_unsupported_options": ["-i"]})
    assert run(phone, "pm list packages -f -i") == ("Error: Unknown option: -i\n", "", 255)


def test_truly_unknown_option_and_glued_options_error_like_android() -> None:
    phone = phone_for("14")
    assert run(phone, "pm list packages -z") == ("Error: Unknown option: -z\n", "", 255)
    out, err, code = run(phone, "pm list packages -fi")
    assert (err, code) == ("", 255)
    assert out == ('Error: java.lang.IllegalArgumentException: No argument expected after '
                   '"-fi"\n')
    assert run(phone, "pm list packages --user x")[0] == (
        'Error: java.lang.NumberFormatException: For input string: "x"\n')
    assert run(phone, "pm list")[0] == "Error: didn't specify type of data to list\n"


def test_pm_path_prints_base_and_splits() -> None:
    phone = phone_for("14", apps=[{"package": "net.example.split",
                                   "apk": {"splits": ["config.arm64_v8a", "config.en"]}}])
    app = phone.profile.app("net.example.split")
    out, err, code = run(phone, "pm path net.example.split")
    assert code == 0 and err == ""
    assert out.splitlines() == [f"package:{p}" for p in app.apk.all_paths()]
    assert out.splitlines()[1].endswith("/split_config.arm64_v8a.apk")
    assert run(phone, "pm path net.example.nothere") == ("", "", 1)


@pytest.mark.parametrize(("version", "flags"), [("9", "13"), ("10", "c13"), ("14", "4c13")])
def test_pm_list_users(version: str, flags: str) -> None:
    phone = phone_for(version, users=[{"id": 0, "name": "Alex"},
                                      {"id": 10, "type": "managed_profile"}])
    out, _, code = run(phone, "pm list users")
    work = "30" if version == "9" else "1030"
    assert (out, code) == (f"Users:\n\tUserInfo{{0:Alex:{flags}}} running\n"
                           f"\tUserInfo{{10:Work profile:{work}}} running\n", 0)


LAUNCHER = ("cmd package query-activities {} --user 0 -a android.intent.action.MAIN "
            "-c android.intent.category.LAUNCHER")


def test_query_activities_brief_lists_launcher_apps_only() -> None:
    phone = phone_for("14")
    out, err, code = run(phone, LAUNCHER.format("--brief"))
    assert (err, code) == ("", 0)
    lines = out.splitlines()
    expected = [a for a in phone.profile.apps if a.launcher_activity and a.enabled]
    assert lines[0] == f"{len(expected)} activities found:"
    assert len(lines) == 1 + 3 * len(expected)
    assert lines[1] == "  Activity #0:"
    assert lines[2] == ("    priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 "
                        "isDefault=false")
    components = lines[3::3]
    assert all(c.startswith("    ") and "/" in c for c in components)
    listed = {c.strip().split("/")[0] for c in components}
    assert "net.example.hidden" not in listed
    assert listed == {a.package for a in expected}


def test_query_activities_components_and_full_dump() -> None:
    phone = phone_for("14")
    components, _, _ = run(phone, LAUNCHER.format("--components"))
    full, _, _ = run(phone, LAUNCHER.format(""))
    assert len(components.splitlines()) == full.count("  Activity #")
    assert "    ActivityInfo:" in full and "        sourceDir=/" in full
    none, _, _ = run(phone, "cmd package query-activities --brief -a android.intent.action.VIEW")
    assert none == "No activities found\n"
