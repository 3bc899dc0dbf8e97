"""A hostile phone can send any bytes: no parser may take quadratic time or explode memory.

Each parser gets 1 MB of each pattern that used to trigger regex backtracking or line-list
blow-ups (docs/security.md #14, #15). The limit is a generous timeout, not a timing assertion:
a regression makes these take minutes, not a second.
"""

from __future__ import annotations

import tracemalloc

import pytest

from stalkerscan.parse.android.accessibility import parse_dumpsys_accessibility
from stalkerscan.parse.android.appops import parse_dumpsys_appops_usage, parse_usage_access
from stalkerscan.parse.android.device_policy import parse_dumpsys_device_policy
from stalkerscan.parse.android.dumpsys_package import parse_dumpsys_package
from stalkerscan.parse.android.getprop import parse_getprop
from stalkerscan.parse.android.launcher import parse_launcher_activities
from stalkerscan.parse.android.package_list import parse_package_list
from stalkerscan.parse.android.root import parse_root_check
from stalkerscan.parse.android.settings import parse_settings
from stalkerscan.parse.android.users import parse_users

PARSERS = {
    "accessibility": parse_dumpsys_accessibility,
    "device_policy": parse_dumpsys_device_policy,
    "dumpsys_package": parse_dumpsys_package,
    "getprop": parse_getprop,
    "launcher": parse_launcher_activities,
    "package_list": parse_package_list,
    "root": parse_root_check,
    "settings": lambda data: parse_settings(data, "secure"),
    "usage_access": parse_usage_access,
    "appops": parse_dumpsys_appops_usage,
    "users": parse_users,
}
MB = 1024 * 1024
PATTERNS = {
    "newlines": b"\n" * MB,
    "spaces": b" " * MB,
    "word": b"a" * MB,
    "dotted": b"a." * (MB // 2),
    "braces": b"{" * MB,
    "component-run": b"Enabled services:{{" + b"a" * MB + b"/" + b"b" * 1000,
    "shared-user": b"Packages:\n  Package [a.b] (1):\n    sharedUser=SharedUserSetting{" + b"x " * (MB // 2) + b"/1}\n",
    "shared-packages": b"Shared users:\n  SharedUser [a] (1):\n    packages=[\n" + b"      PackageSetting{" + b"x" * MB + b"\n",
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("pattern", sorted(PATTERNS))
@pytest.mark.parametrize("parser", sorted(PARSERS))
def test_parser_survives_hostile_megabyte(parser, pattern):
    result = PARSERS[parser](PATTERNS[pattern])
    # Hostile output cannot flood the report: at most 100 problems plus one "more" line,
    # each with a short excerpt.
    assert len(result.problems) <= 101
    assert all(len(p.excerpt) <= 200 and p.source for p in result.problems)


@pytest.mark.timeout(120)
def test_millions_of_empty_lines_do_not_explode_memory():
    data = b"\n" * (20 * MB)
    tracemalloc.start()
    try:
        result = parse_package_list(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.problems  # the cap on lines read is reported
    assert peak < 1024 * MB  # was about 2.2 GB before lines were capped and generated lazily


@pytest.mark.timeout(120)
def test_empty_lines_inside_a_middle_dumpsys_section_do_not_explode_memory():
    # A section followed by another one is read through the same lazy, capped line reader
    # as the last one (it used to be split into a list: about 560 MB for these 5 MB).
    data = b"Packages:\n" + b"\n" * (5 * MB) + b"Shared users:\n"
    tracemalloc.start()
    try:
        result = parse_dumpsys_package(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.recognized and result.packages == {}
    assert peak < 100 * MB
