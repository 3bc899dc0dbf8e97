"""How an app arrived, from installer / initiating / originating package and the system flag."""

from __future__ import annotations

import pytest

from stalkerscan.model.android import InstallSource
from stalkerscan.parse.android.install_source import classify_install_source, describe_installer


@pytest.mark.parametrize(("installer", "initiating", "originating", "system", "expected"), [
    ("com.android.vending", "com.android.vending", None, False, InstallSource.STORE),
    ("com.sec.android.app.samsungapps", None, None, False, InstallSource.STORE),
    ("org.fdroid.fdroid", None, None, False, InstallSource.STORE),
    ("com.android.shell", None, None, False, InstallSource.ADB),
    (None, "com.android.shell", None, False, InstallSource.ADB),
    ("com.google.android.packageinstaller", "com.google.android.packageinstaller",
     "com.android.chrome", False, InstallSource.BROWSER),
    ("com.android.packageinstaller", "org.mozilla.firefox", None, False, InstallSource.BROWSER),
    ("com.sec.android.app.sbrowser", None, None, False, InstallSource.BROWSER),
    ("com.google.android.packageinstaller", "com.google.android.documentsui",
     "com.google.android.apps.nbu.files", False, InstallSource.PACKAGE_INSTALLER),
    ("com.samsung.android.packageinstaller", None, None, False, InstallSource.PACKAGE_INSTALLER),
    ("org.example.dropper", "org.example.dropper", None, False, InstallSource.OTHER_APP),
    (None, None, None, False, InstallSource.UNKNOWN),
    (None, None, None, True, InstallSource.PREINSTALLED),
    ("com.android.vending", None, None, True, InstallSource.PREINSTALLED),
])
def test_classification(installer, initiating, originating, system, expected):
    assert classify_install_source(installer, initiating, originating, system=system) is expected


def test_descriptions():
    assert describe_installer("com.android.shell") == "a computer over USB (adb)"
    assert describe_installer("com.android.vending") == "Google Play Store"
    assert describe_installer("org.example.unknown") is None and describe_installer(None) is None
