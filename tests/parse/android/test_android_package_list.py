"""pm list packages: every option subset, paths with '=', CRLF, errors and cuts."""

from __future__ import annotations

import pytest

from stalkerscan.parse.android.package_list import parse_package_list

FULL = (
    b"package:/data/app/~~Xy1aB2==/org.example.spy-Qr3sT4==/base.apk=org.example.spy "
    b"versionCode:310  installer=null uid:10234\n"
    b"package:/system/priv-app/Settings/Settings.apk=com.android.settings versionCode:34  "
    b"installer=null uid:1000\n"
    b"package:/data/app/~~abc==/com.whatsapp-def==/base.apk=com.whatsapp versionCode:241  "
    b"installer=com.android.vending uid:10271\n"
)


def test_full_line():
    result = parse_package_list(FULL)
    assert result.recognized and result.problems == ()
    spy = result.by_package()["org.example.spy"]
    assert spy.apk_path == "/data/app/~~Xy1aB2==/org.example.spy-Qr3sT4==/base.apk"
    assert (spy.version_code, spy.installer, spy.installer_listed, spy.uid) == (310, None, True, 10234)
    assert spy.line == 1 and spy.text.startswith("package:/data/app/")
    whatsapp = result.by_package()["com.whatsapp"]
    assert whatsapp.installer == "com.android.vending" and whatsapp.uid == 10271


@pytest.mark.parametrize(("line", "expected"), [
    # -f -i -u (no -U, no --show-versioncode): old phones
    (b"package:/data/app/org.example.a-1/base.apk=org.example.a  installer=com.android.vending",
     ("org.example.a", "/data/app/org.example.a-1/base.apk", None, "com.android.vending", True, None)),
    # -f only
    (b"package:/data/app/org.example.b-2.apk=org.example.b",
     ("org.example.b", "/data/app/org.example.b-2.apk", None, None, False, None)),
    # no options
    (b"package:org.example.c", ("org.example.c", None, None, None, False, None)),
    # -U only, with one uid per user
    (b"package:org.example.d uid:10101,1010101", ("org.example.d", None, None, None, False, 10101)),
    # --show-versioncode -U, no -f
    (b"package:org.example.e versionCode:9 uid:10102", ("org.example.e", None, 9, None, False, 10102)),
    # -i without a path, installer is the adb shell
    (b"package:org.example.f  installer=com.android.shell", ("org.example.f", None, None, "com.android.shell", True, None)),
    # the platform package has no dot
    (b"package:/system/framework/framework-res.apk=android versionCode:34  installer=null uid:1000",
     ("android", "/system/framework/framework-res.apk", 34, None, True, 1000)),
])
def test_option_subsets(line, expected):
    (entry,) = parse_package_list(line + b"\n").entries
    assert (entry.package, entry.apk_path, entry.version_code, entry.installer,
            entry.installer_listed, entry.uid) == expected


def test_uids_keep_every_user():
    (entry,) = parse_package_list(b"package:org.example.d uid:10101,1010101\n").entries
    assert entry.uids == (10101, 1010101)


def test_path_holding_equals_signs_splits_on_last():
    (entry,) = parse_package_list(b"package:/data/app/~~a=b==/org.example.eq-c=d==/base.apk=org.example.eq\n").entries
    assert entry.apk_path == "/data/app/~~a=b==/org.example.eq-c=d==/base.apk"
    assert entry.package == "org.example.eq"


def test_crlf_legacy_shell():
    result = parse_package_list(FULL.replace(b"\n", b"\r\n"))
    assert [e.package for e in result.entries] == ["org.example.spy", "com.android.settings", "com.whatsapp"]
    assert result.entries[2].uid == 10271


def test_error_lines_become_problems():
    result = parse_package_list(b"Error: Unknown option: -U\n" + FULL)
    assert len(result.entries) == 3
    assert result.problems[0].line == 1 and "Unknown option" in result.problems[0].excerpt


def test_only_errors_is_not_recognized():
    result = parse_package_list(b"Exception occurred while executing 'list':\njava.lang.SecurityException\n")
    assert not result.recognized and len(result.problems) == 2


def test_cut_last_line_is_not_used():
    result = parse_package_list(FULL + b"package:/data/app/~~x==/org.example.half-y==/base.apk=org.exam")
    assert [e.package for e in result.entries] == ["org.example.spy", "com.android.settings", "com.whatsapp"]
    assert "cut off" in result.problems[0].message and result.problems[0].line == 4


def test_duplicates_keep_first():
    result = parse_package_list(b"package:org.example.a uid:1\npackage:org.example.a uid:2\n")
    assert [e.uid for e in result.entries] == [1]
    assert "twice" in result.problems[0].message


def test_non_utf8_path():
    (entry,) = parse_package_list(b"package:/data/app/caf\xe9/base.apk=org.example.b\n").entries
    assert entry.apk_path == "/data/app/caf\ufffd/base.apk"


def test_empty():
    result = parse_package_list(b"")
    assert not result.recognized and result.entries == () and result.problems == ()
