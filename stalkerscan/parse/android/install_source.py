"""How an app arrived: judged from installer / initiating / originating package and flags.

Android records three packages per install (``InstallSource``, Android 11+):

- the *installer* (``installerPackageName``): the app that performed the install or owns
  updates (a store, or the system package installer);
- the *initiating* package: the app that asked for the install (the Downloads app, a file
  manager, a browser, ``com.android.shell`` for ``adb install``);
- the *originating* package: where the APK came from, e.g. the browser that downloaded it.

Older phones record only the installer; a sideloaded app then shows ``null`` or the package
installer. The tables below name well-known stores, package installers and browsers; an
installer not in any table is reported as "some other app" so it can be looked at.
"""

from __future__ import annotations

from collections.abc import Mapping

from stalkerscan.model.android import InstallSource

ADB_INSTALLER = "com.android.shell"
"""``adb install`` runs as the shell user, whose package is ``com.android.shell``."""

STORES: Mapping[str, str] = {
    "com.android.vending": "Google Play Store",
    "com.google.android.feedback": "Google Play Store (installer name on Android 4 and older)",
    "com.sec.android.app.samsungapps": "Samsung Galaxy Store",
    "com.amazon.venezia": "Amazon Appstore",
    "com.huawei.appmarket": "Huawei AppGallery",
    "com.xiaomi.market": "Xiaomi GetApps",
    "com.oppo.market": "OPPO App Market",
    "com.heytap.market": "OPPO / OnePlus App Market",
    "com.bbk.appstore": "vivo App Store",
    "org.fdroid.fdroid": "F-Droid (open-source apps; not reviewed by Google)",
    "com.aurora.store": "Aurora Store (downloads Google Play apps without a Google account)",
}
"""App stores: installer package to name and, where useful, a note."""

PACKAGE_INSTALLERS: Mapping[str, str] = {
    "com.google.android.packageinstaller": "Android package installer (Google)",
    "com.android.packageinstaller": "Android package installer",
    "com.samsung.android.packageinstaller": "Samsung package installer",
    "com.miui.packageinstaller": "Xiaomi package installer",
}
"""The system apps that install an APK file the user opened."""

BROWSERS: Mapping[str, str] = {
    "com.android.chrome": "Chrome",
    "com.chrome.beta": "Chrome Beta",
    "com.chrome.dev": "Chrome Dev",
    "com.chrome.canary": "Chrome Canary",
    "org.chromium.chrome": "Chromium",
    "org.mozilla.firefox": "Firefox",
    "org.mozilla.firefox_beta": "Firefox Beta",
    "org.mozilla.fenix": "Firefox Nightly",
    "org.mozilla.focus": "Firefox Focus",
    "com.sec.android.app.sbrowser": "Samsung Internet",
    "com.sec.android.app.sbrowser.beta": "Samsung Internet Beta",
    "com.microsoft.emmx": "Microsoft Edge",
    "com.opera.browser": "Opera",
    "com.opera.mini.native": "Opera Mini",
    "com.brave.browser": "Brave",
    "com.duckduckgo.mobile.android": "DuckDuckGo",
    "com.vivaldi.browser": "Vivaldi",
    "com.kiwibrowser.browser": "Kiwi Browser",
    "com.UCMobile.intl": "UC Browser",
    "com.android.browser": "Android Browser",
    "com.mi.globalbrowser": "Mi Browser",
    "com.huawei.browser": "Huawei Browser",
    "org.torproject.torbrowser": "Tor Browser",
}
"""Web browsers: an APK they downloaded was sideloaded from the web."""


def classify_install_source(
    installer: str | None,
    initiating: str | None = None,
    originating: str | None = None,
    *,
    system: bool = False,
) -> InstallSource:
    """Our judgement of how an app arrived (see :class:`InstallSource`).

    Order matters: a system app is preinstalled whoever updated it; ``adb install`` wins over
    everything else because the shell is never a go-between; a browser anywhere in the
    chain means the APK came from the web; then stores; then the package installer (an APK
    file opened from a file manager or a message); then any other app.
    """
    if system:
        return InstallSource.PREINSTALLED
    chain = [name for name in (installer, initiating, originating) if name]
    if ADB_INSTALLER in (installer, initiating):
        return InstallSource.ADB
    if any(name in BROWSERS for name in chain):
        return InstallSource.BROWSER
    if installer in STORES or (installer is None and initiating in STORES):
        return InstallSource.STORE
    if installer in PACKAGE_INSTALLERS or initiating in PACKAGE_INSTALLERS:
        return InstallSource.PACKAGE_INSTALLER
    if installer or initiating:
        return InstallSource.OTHER_APP
    return InstallSource.UNKNOWN


def describe_installer(package: str | None) -> str | None:
    """A readable name for an installer package, where it is a well-known one."""
    if package is None:
        return None
    if package == ADB_INSTALLER:
        return "a computer over USB (adb)"
    return STORES.get(package) or PACKAGE_INSTALLERS.get(package) or BROWSERS.get(package)
