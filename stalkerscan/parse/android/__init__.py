"""Android parsers: one pure function per preserved artifact, and the inventory built from them.

Each ``parse_*`` function takes the bytes a phone answered and returns a frozen result with
``problems`` (and ``recognized``: whether the output had the expected shape). None raises on
bad input. :func:`build_android_inventory` assembles them over an evidence reader;
:func:`build_inventory_from_androidqf` does the same for an androidqf folder.
"""

from stalkerscan.parse.android.accessibility import AccessibilityResult, parse_dumpsys_accessibility
from stalkerscan.parse.android.androidqf import (
    AndroidqfFolder,
    build_inventory_from_androidqf,
    read_androidqf_folder,
)
from stalkerscan.parse.android.appops import (
    UsageAccessResult,
    parse_dumpsys_appops_usage,
    parse_usage_access,
)
from stalkerscan.parse.android.clock import ClockResult, parse_clock
from stalkerscan.parse.android.device_policy import DevicePolicyResult, parse_dumpsys_device_policy
from stalkerscan.parse.android.dumpsys_package import DumpsysPackageResult, parse_dumpsys_package
from stalkerscan.parse.android.dumpsys_split import DumpsysSection, split_dumpsys
from stalkerscan.parse.android.getprop import GetpropResult, device_info_from_props, parse_getprop
from stalkerscan.parse.android.install_source import classify_install_source
from stalkerscan.parse.android.inventory import build_android_inventory
from stalkerscan.parse.android.launcher import LauncherResult, parse_launcher_activities
from stalkerscan.parse.android.package_list import PackageListResult, parse_package_list
from stalkerscan.parse.android.risky_settings import derive_risky_settings
from stalkerscan.parse.android.root import RootCheckResult, parse_root_check, root_signs
from stalkerscan.parse.android.settings import SettingsResult, parse_settings
from stalkerscan.parse.android.users import UsersResult, parse_users

__all__ = [
    "AccessibilityResult", "AndroidqfFolder", "ClockResult", "DevicePolicyResult",
    "DumpsysPackageResult", "DumpsysSection", "GetpropResult", "LauncherResult",
    "PackageListResult", "RootCheckResult", "SettingsResult", "UsageAccessResult",
    "UsersResult", "build_android_inventory", "build_inventory_from_androidqf",
    "classify_install_source", "derive_risky_settings", "device_info_from_props",
    "parse_clock", "parse_dumpsys_accessibility", "parse_dumpsys_appops_usage",
    "parse_dumpsys_device_policy", "parse_dumpsys_package", "parse_getprop",
    "parse_launcher_activities", "parse_package_list", "parse_root_check", "parse_settings",
    "parse_usage_access", "parse_users", "read_androidqf_folder", "root_signs", "split_dumpsys",
]
