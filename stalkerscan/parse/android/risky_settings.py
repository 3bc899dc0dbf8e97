"""Settings whose value makes spying easier or hides it: one table, one plain sentence each.

Built from AOSP's ``Settings.Global`` / ``Settings.Secure`` documentation, with MVT's
``ANDROID_DANGEROUS_SETTINGS`` (mvt/android/artifacts/settings.py) and spytrap-adb's settings
audit (src/settings.rs) as a guide to what clinics already look at. Each row says which
value is the risky one and what it means for the person holding the phone; the reports and
rules decide how much weight a row carries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from stalkerscan.model.android import RiskySetting
from stalkerscan.parse.android._text import null_to_none, split_component
from stalkerscan.parse.android.settings import NAMESPACES

OREO_SDK = 26
"""Android 8: "install unknown apps" became a per-app permission; the old switch means nothing."""


@dataclass(frozen=True)
class SettingRule:
    """One row of the table."""

    id: str
    """Stable id reported in :class:`RiskySetting`."""

    key: str
    """The setting key."""

    namespaces: tuple[str, ...]
    """Where the key lives (some moved between namespaces across versions)."""

    risky: Callable[[str], bool]
    """True for the values that make spying easier."""

    meaning: Callable[[str], str]
    """One plain sentence for the value found."""

    max_sdk: int | None = None
    """Last Android API level where the setting still does something (None: all)."""


def _is(*wanted: str) -> Callable[[str], bool]:
    return lambda value: value.strip() in wanted


def _set(value: str) -> bool:
    return null_to_none(value) is not None


def _say(text: str) -> Callable[[str], str]:
    return lambda _value: text


def _packages_in(value: str) -> str:
    packages = [parts[0] for parts in map(split_component, split_component_list(value)) if parts]
    return ", ".join(dict.fromkeys(packages)) or value.strip()


_LOCATION_MODES = {
    "1": "Location is on using the phone's own sensors (GPS).",
    "2": "Location is on in battery-saving mode (Wi-Fi and mobile networks).",
    "3": "Location is on at high accuracy: apps allowed to use location can follow the phone closely.",
}

RULES: tuple[SettingRule, ...] = (
    SettingRule(
        "package_verifier_off", "package_verifier_enable", ("global",), _is("0"),
        _say("Google Play Protect's app checks are switched off, so harmful apps are not "
             "scanned when installed or afterwards."),
    ),
    SettingRule(
        "adb_install_verification_off", "verifier_verify_adb_installs", ("global",), _is("0"),
        _say("Apps installed from a computer over USB are not checked by Play Protect."),
    ),
    SettingRule(
        "play_protect_consent_declined", "package_verifier_user_consent", ("global",), _is("-1"),
        _say("Someone declined Play Protect's offer to scan apps on this phone for harmful "
             "behaviour."),
    ),
    SettingRule(
        "play_protect_upload_off", "upload_apk_enable", ("global",), _is("0"),
        _say("Play Protect does not send unknown apps to Google for checking."),
    ),
    SettingRule(
        "adb_install_confirmation_off", "adb_install_need_confirm", ("secure", "global", "system"),
        _is("0"),
        _say("The phone does not ask for confirmation when apps are installed from a "
             "computer over USB (a vendor setting)."),
    ),
    SettingRule(
        "unknown_sources_allowed", "install_non_market_apps", ("secure", "global"), _is("1"),
        _say("Apps from outside the app store may be installed by any app or file "
             "(this switch only matters on Android 7 and older)."),
        max_sdk=OREO_SDK - 1,
    ),
    SettingRule(
        "developer_options_on", "development_settings_enabled", ("global",), _is("1"),
        _say("Developer options are switched on; they are needed to install or control apps "
             "from a computer."),
    ),
    SettingRule(
        "usb_debugging_on", "adb_enabled", ("global",), _is("1"),
        _say("USB debugging is on (this scan needs it): a computer the phone has trusted can "
             "install apps and read data. Switch it off after the scan unless you use it."),
    ),
    SettingRule(
        "wireless_debugging_on", "adb_wifi_enabled", ("global",), _is("1"),
        _say("Wireless debugging is on: a computer paired with the phone can control it over "
             "the Wi-Fi network."),
    ),
    SettingRule(
        "always_on_vpn", "always_on_vpn_app", ("secure",), _set,
        lambda value: (f"All internet traffic is forced through the VPN app {value.strip()}; "
                       "a VPN app can see which sites and services the phone talks to."),
    ),
    SettingRule(
        "always_on_vpn_lockdown", "always_on_vpn_lockdown", ("secure",), _is("1"),
        _say("The phone is blocked from the internet unless the always-on VPN is connected."),
    ),
    SettingRule(
        "accessibility_services_enabled", "enabled_accessibility_services", ("secure",), _set,
        lambda value: (f"These apps may read everything on the screen and act on it: "
                       f"{_packages_in(value)}."),
    ),
    SettingRule(
        "accessibility_on", "accessibility_enabled", ("secure",), _is("1"),
        _say("Accessibility is switched on: at least one app can read and control the screen."),
    ),
    SettingRule(
        "notification_listeners_enabled", "enabled_notification_listeners", ("secure",), _set,
        lambda value: (f"These apps may read every notification, including messages and "
                       f"login codes: {_packages_in(value)}."),
    ),
    SettingRule(
        "default_sms_app", "sms_default_application", ("secure",), _set,
        lambda value: f"{value.strip()} is the default messaging app: it receives and can send every SMS.",
    ),
    SettingRule(
        "default_dialer_app", "dialer_default_application", ("secure",), _set,
        lambda value: f"{value.strip()} is the default phone app: it handles every call.",
    ),
    SettingRule(
        "default_assistant", "assistant", ("secure",), _set,
        lambda value: (f"{_packages_in(value)} is the assistant app: when called up it can see "
                       "what is on the screen."),
    ),
    SettingRule(
        "default_keyboard", "default_input_method", ("secure",), _set,
        lambda value: f"{_packages_in(value)} is the keyboard: it sees everything typed.",
    ),
    SettingRule(
        "location_on", "location_mode", ("secure",), lambda value: value.strip() in _LOCATION_MODES,
        lambda value: _LOCATION_MODES.get(value.strip(), "Location is on."),
    ),
    SettingRule(
        "mock_location_allowed", "mock_location", ("secure",), _is("1"),
        _say("Apps may fake the phone's location (Android 5 and older)."),
        max_sdk=22,
    ),
    SettingRule(
        "bluetooth_on", "bluetooth_on", ("global",), _is("1"),
        _say("Bluetooth is on: paired devices, including trackers or a paired watch, can "
             "connect."),
    ),
)
"""The table, in the order rows are reported."""


def split_component_list(value: str) -> list[str]:
    """``pkg/cls:pkg2/cls2`` (the format of the enabled-services settings) -> components."""
    value = value.strip()
    if null_to_none(value) is None:
        return []
    return [part.strip() for part in value.split(":") if part.strip()]


def derive_risky_settings(
    settings: Mapping[str, Mapping[str, str]], *, sdk: int | None = None
) -> tuple[RiskySetting, ...]:
    """Every table row whose risky value is present, in table order.

    ``settings`` maps namespace to key to value. Namespaces other than the three known ones
    (a foreign tool's file) are searched for every key. Rows that stopped meaning anything
    after ``max_sdk`` are skipped when the phone's API level is known to be newer.
    """
    found: list[RiskySetting] = []
    foreign = [ns for ns in settings if ns not in NAMESPACES]
    for rule in RULES:
        if rule.max_sdk is not None and sdk is not None and sdk > rule.max_sdk:
            continue
        for namespace in (*rule.namespaces, *foreign):
            values = settings.get(namespace)
            if not values or rule.key not in values:
                continue
            value = values[rule.key]
            if rule.risky(value):
                found.append(RiskySetting(
                    id=rule.id, namespace=namespace, key=rule.key, value=value,
                    meaning=rule.meaning(value),
                ))
            break
    return tuple(found)
