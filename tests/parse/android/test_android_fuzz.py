"""Hostile and random bytes: every Android parser returns its result type and never raises.

Two kinds of input per parser: arbitrary bytes, and lines assembled from the parser's own
vocabulary (headers, field names, brackets) mixed with random text, CRLF and bad UTF-8, which
reach far deeper into each state machine than random bytes do.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stalkerscan.model.android import AndroidInventory, InstallSource
from stalkerscan.model.artifacts import MemoryEvidence, Outcome
from stalkerscan.model.common import ParseProblem
from stalkerscan.model.serialize import to_data
from stalkerscan.parse.android.accessibility import AccessibilityResult, parse_dumpsys_accessibility
from stalkerscan.parse.android.appops import (
    UsageAccessResult,
    parse_dumpsys_appops_usage,
    parse_usage_access,
)
from stalkerscan.parse.android.clock import ClockResult, parse_clock
from stalkerscan.parse.android.device_policy import DevicePolicyResult, parse_dumpsys_device_policy
from stalkerscan.parse.android.dumpsys_package import DumpsysPackageResult, parse_dumpsys_package
from stalkerscan.parse.android.dumpsys_split import split_dumpsys
from stalkerscan.parse.android.getprop import GetpropResult, device_info_from_props, parse_getprop
from stalkerscan.parse.android.install_source import classify_install_source
from stalkerscan.parse.android.inventory import INVENTORY_ARTIFACTS, build_android_inventory
from stalkerscan.parse.android.launcher import LauncherResult, parse_launcher_activities
from stalkerscan.parse.android.package_list import PackageListResult, parse_package_list
from stalkerscan.parse.android.risky_settings import derive_risky_settings
from stalkerscan.parse.android.root import RootCheckResult, parse_root_check
from stalkerscan.parse.android.settings import SettingsResult, parse_settings
from stalkerscan.parse.android.users import UsersResult, parse_users

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NASTY = st.sampled_from([
    "", " ", "=", ":", "[", "]", "{", "}", "}}", "{{", "/", "..", "../../etc/passwd", "\x00",
    "\u202e", "<script>alert(1)</script>", "\ufffd", "null", "-1", "99999999999999999999999",
    "org.example.a", "org.example.a/.Svc", "com.android.shell", "true", "false", "\t",
])
TEXT = st.one_of(NASTY, st.text(max_size=40))


def vocabulary_lines(words: list[str]):
    """Lines made of the parser's own words, with random and nasty text around them."""
    line = st.builds(lambda a, b, c: a + b + c, st.sampled_from(words), TEXT, st.one_of(st.just(""), TEXT))
    return st.builds(
        lambda lines, ending, tail, bad: (ending.join(lines) + tail).encode("utf-8", "surrogatepass") + bad,
        st.lists(st.one_of(line, TEXT), max_size=40),
        st.sampled_from(["\n", "\r\n", "\r\r\n"]),
        st.sampled_from(["", "\n"]),
        st.sampled_from([b"", b"\xff\xfe", b"\xe9", b"\xc3"]),
    )


def assert_result(result, kind) -> None:
    assert isinstance(result, kind)
    assert isinstance(result.problems, tuple)
    assert all(isinstance(p, ParseProblem) for p in result.problems)
    assert all(len(p.excerpt) <= 200 for p in result.problems)
    json.dumps(to_data(result), default=str)


PACKAGE_WORDS = [
    "Packages:", "Hidden system packages:", "Shared users:", "Dexopt state:", "  Package [",
    "  Package [org.example.a] (1a):", "  SharedUser [org.example.s] (2b):", "    appId=",
    "    userId=", "    codePath=", "    versionCode=", "    versionName=", "    splits=[",
    "    pkgFlags=[ SYSTEM ", "    flags=[ UPDATED_SYSTEM_APP", "    timeStamp=",
    "    firstInstallTime=", "    lastUpdateTime=", "    installerPackageName=",
    "    initiatingPackageName=", "    originatingPackageName=", "    installInitiatingPackageName=",
    "    sharedUser=SharedUserSetting{", "    requested permissions:", "    install permissions:",
    "      android.permission.X: granted=", "    User ", "    User 0: installed=true enabled=",
    "      runtime permissions:", "        android.permission.Y: granted=true, userId=",
    "      firstInstallTime=", "      installReason=", "    Packages", "      PackageSetting{1 ",
    "    declared permissions:", "  APEX session state:",
]


@FUZZ
@given(st.binary(max_size=4096))
def test_dumpsys_package_bytes(data):
    assert_result(parse_dumpsys_package(data), DumpsysPackageResult)


@FUZZ
@given(vocabulary_lines(PACKAGE_WORDS))
def test_dumpsys_package_vocabulary(data):
    result = parse_dumpsys_package(data)
    assert_result(result, DumpsysPackageResult)
    for info in result.packages.values():
        info.granted_permissions(0)
        info.all_requested_permissions()
        info.first_install(0)


@FUZZ
@given(st.one_of(st.binary(max_size=2048), vocabulary_lines(
    ["package:", "package:/data/app/~~a==/", "=org.example.a", " versionCode:", "  installer=",
     " uid:", ",", "Error: "])))
def test_package_list(data):
    result = parse_package_list(data)
    assert_result(result, PackageListResult)
    assert len({e.package for e in result.entries}) == len(result.entries)


@FUZZ
@given(st.one_of(st.binary(max_size=2048), vocabulary_lines(["[ro.build.type]: [", "[", "]: [", "]"])))
def test_getprop(data):
    result = parse_getprop(data)
    assert_result(result, GetpropResult)
    device_info_from_props(result.props)


@FUZZ
@given(st.one_of(st.binary(max_size=2048), vocabulary_lines([
    "User state[", "attributes:{id=", "currentUserId=", "     Bound services:{Service[label=",
    ", feedbackType[", "     Enabled services:{{", "     Binding services:{", "     Crashed services:{",
    "  installed services: {", "  enabled services: {", "    0 : org.example.a/.Svc", "  }", "}]"])))
def test_accessibility(data):
    result = parse_dumpsys_accessibility(data)
    assert_result(result, AccessibilityResult)
    result.user()


@FUZZ
@given(st.one_of(st.binary(max_size=2048), vocabulary_lines([
    "Current Device Policy Manager state:", "  Device Owner:", "    admin=ComponentInfo{",
    "    package=", "    name=", "    User ID: ", "  Profile Owner (User ", "  Enabled Device Admins (User ",
    "    org.example.a/.Admin:", "      uid=", "      policies:", "        wipe-data", "      parentAdmin:"])))
def test_device_policy(data):
    assert_result(parse_dumpsys_device_policy(data), DevicePolicyResult)


@FUZZ
@given(st.one_of(st.binary(max_size=2048), vocabulary_lines([
    "enabled_accessibility_services=", "package_verifier_enable=", "adb_enabled=1",
    "always_on_vpn_app=", "location_mode=", "key=", "=", "install_non_market_apps="])),
    st.sampled_from(["secure", "global", "system", "random"]), st.one_of(st.none(), st.integers(-5, 40)))
def test_settings_and_risky_table(data, namespace, sdk):
    result = parse_settings(data, namespace)
    assert_result(result, SettingsResult)
    for risky in derive_risky_settings({namespace: result.values}, sdk=sdk):
        assert risky.meaning and risky.key in result.values


@FUZZ
@given(st.one_of(st.binary(max_size=2048), vocabulary_lines([
    "3 activities found:", "  Activity #0:", "    priority=0", "    org.example.a/.Main",
    "      packageName=", "No activities found"])))
def test_launcher(data):
    assert_result(parse_launcher_activities(data), LauncherResult)


@FUZZ
@given(st.one_of(st.binary(max_size=2048), vocabulary_lines([
    "org.example.a", "No operations.", "Current AppOps Service state:", "  Uid u0a1:",
    "    Package org.example.a:", "      GET_USAGE_STATS (allow):", "Error: "])))
def test_usage_access(data):
    assert_result(parse_usage_access(data), UsageAccessResult)
    assert_result(parse_dumpsys_appops_usage(data), UsageAccessResult)


@FUZZ
@given(st.one_of(st.binary(max_size=2048), vocabulary_lines(
    ["Users:", "\tUserInfo{", "0:Owner:c13}", " running", "}"])))
def test_users(data):
    assert_result(parse_users(data), UsersResult)


@FUZZ
@given(st.binary(max_size=2048), st.binary(max_size=512))
def test_root_check_and_clock(stdout, stderr):
    assert_result(parse_root_check(stdout, stderr=stderr), RootCheckResult)
    assert_result(parse_clock(stdout), ClockResult)


@FUZZ
@given(st.one_of(st.binary(max_size=2048), vocabulary_lines(
    ["DUMP OF SERVICE ", "DUMP OF SERVICE package:", "DUMP OF SERVICE CRITICAL x:", "---------"])))
def test_split_dumpsys(data):
    sections = split_dumpsys(data)
    assert all(isinstance(s.data, bytes) and s.first_line >= 2 for s in sections)


@FUZZ
@given(st.one_of(st.none(), TEXT), st.one_of(st.none(), TEXT), st.one_of(st.none(), TEXT), st.booleans())
def test_install_source(installer, initiating, originating, system):
    judged = classify_install_source(installer, initiating, originating, system=system)
    assert isinstance(judged, InstallSource)
    if system:
        assert judged is InstallSource.PREINSTALLED
    elif "com.android.shell" in (installer, initiating):
        assert judged is InstallSource.ADB
    elif not (installer or initiating or originating):
        assert judged is InstallSource.UNKNOWN


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(
    st.sampled_from([a.value for a in INVENTORY_ARTIFACTS]),
    st.tuples(st.binary(max_size=1024), st.sampled_from(list(Outcome))),
))
def test_inventory_from_random_evidence(artifacts):
    evidence = MemoryEvidence()
    for name, (data, outcome) in artifacts.items():
        evidence.add(name, data, outcome=outcome)
    inventory = build_android_inventory(evidence)
    assert isinstance(inventory, AndroidInventory)
    assert set(inventory.missing) >= {a.value for a in INVENTORY_ARTIFACTS} - set(artifacts)
    json.dumps(to_data(inventory))
