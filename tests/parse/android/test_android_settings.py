"""settings list and the risky-settings table."""

from __future__ import annotations

import pytest

from stalkerscan.parse.android.risky_settings import (
    RULES,
    derive_risky_settings,
    split_component_list,
)
from stalkerscan.parse.android.settings import parse_settings


def test_real_androidqf_settings_file(androidqf_dir):
    result = parse_settings((androidqf_dir / "settings_random.txt").read_bytes(), "random")
    assert result.recognized and result.problems == ()
    assert len(result.values) == 9
    assert result.values["package_verifier_enable"] == "1"
    assert result.values["navigationbar_recently_used_color"] == ""
    assert result.lines["package_verifier_user_consent"] == 3


def test_values_with_equals_and_continuations_crlf():
    data = (b"enabled_accessibility_services=org.example.spy/.Svc:com.b/com.b.T\r\n"
            b"config_json={\"a\":1,\"b\":\"x=y\"}\r\n"
            b"multi_line=first\r\n  second part\r\n"
            b"next_key=1\r\n")
    result = parse_settings(data, "secure")
    assert result.values == {
        "enabled_accessibility_services": "org.example.spy/.Svc:com.b/com.b.T",
        "config_json": "{\"a\":1,\"b\":\"x=y\"}",
        "multi_line": "first\n  second part",
        "next_key": "1",
    }
    assert result.lines["next_key"] == 5


def test_error_text_and_cut_line():
    result = parse_settings(b"Exception: no such namespace\nadb_enabled=1\npackage_verifier_enable=", "global")
    assert result.values == {"adb_enabled": "1"}
    by_line = {p.line: p.message for p in result.problems}
    assert by_line[1] == "Not a key=value line"
    assert "cut off" in by_line[3]


def test_non_utf8_value():
    result = parse_settings(b"device_name=Caf\xe9\n", "global")
    assert result.values == {"device_name": "Caf\ufffd"}


def test_empty():
    result = parse_settings(b"", "system")
    assert not result.recognized and result.values == {}


# --------------------------------------------------------------------------- risky settings
@pytest.mark.parametrize(("namespace", "key", "value", "rule_id"), [
    ("global", "package_verifier_enable", "0", "package_verifier_off"),
    ("global", "verifier_verify_adb_installs", "0", "adb_install_verification_off"),
    ("global", "package_verifier_user_consent", "-1", "play_protect_consent_declined"),
    ("global", "upload_apk_enable", "0", "play_protect_upload_off"),
    ("global", "development_settings_enabled", "1", "developer_options_on"),
    ("global", "adb_enabled", "1", "usb_debugging_on"),
    ("global", "adb_wifi_enabled", "1", "wireless_debugging_on"),
    ("secure", "always_on_vpn_app", "org.example.vpn", "always_on_vpn"),
    ("secure", "always_on_vpn_lockdown", "1", "always_on_vpn_lockdown"),
    ("secure", "enabled_accessibility_services", "org.example.spy/.Svc", "accessibility_services_enabled"),
    ("secure", "accessibility_enabled", "1", "accessibility_on"),
    ("secure", "enabled_notification_listeners", "org.example.spy/.Listener", "notification_listeners_enabled"),
    ("secure", "sms_default_application", "org.example.sms", "default_sms_app"),
    ("secure", "dialer_default_application", "org.example.dialer", "default_dialer_app"),
    ("secure", "assistant", "org.example.assist/.Svc", "default_assistant"),
    ("secure", "default_input_method", "org.example.kbd/.Ime", "default_keyboard"),
    ("secure", "location_mode", "3", "location_on"),
    ("global", "bluetooth_on", "1", "bluetooth_on"),
    ("secure", "adb_install_need_confirm", "0", "adb_install_confirmation_off"),
])
def test_each_risky_value_is_reported(namespace, key, value, rule_id):
    (found,) = derive_risky_settings({namespace: {key: value}})
    assert (found.id, found.namespace, found.key, found.value) == (rule_id, namespace, key, value)
    assert found.meaning.endswith(".") and len(found.meaning) > 20


@pytest.mark.parametrize(("namespace", "key", "value"), [
    ("global", "package_verifier_enable", "1"),
    ("global", "package_verifier_user_consent", "1"),
    ("global", "adb_enabled", "0"),
    ("secure", "always_on_vpn_app", "null"),
    ("secure", "enabled_accessibility_services", ""),
    ("secure", "location_mode", "0"),
    ("secure", "package_verifier_enable", "0"),  # wrong namespace: not the platform's setting
])
def test_safe_values_are_not_reported(namespace, key, value):
    assert derive_risky_settings({namespace: {key: value}}) == ()


def test_meanings_name_the_packages():
    (found,) = derive_risky_settings({"secure": {
        "enabled_accessibility_services": "org.example.spy/.Svc:com.google.android.marvin.talkback/.TalkBackService"}})
    assert "org.example.spy, com.google.android.marvin.talkback" in found.meaning


def test_unknown_sources_only_before_android_8():
    settings = {"secure": {"install_non_market_apps": "1"}}
    assert [r.id for r in derive_risky_settings(settings, sdk=24)] == ["unknown_sources_allowed"]
    assert derive_risky_settings(settings, sdk=26) == ()
    assert [r.id for r in derive_risky_settings(settings)] == ["unknown_sources_allowed"]


def test_foreign_namespace_is_searched_for_every_key():
    found = derive_risky_settings({"random": {"package_verifier_enable": "0", "adb_enabled": "1"}})
    assert [(r.id, r.namespace) for r in found] == [
        ("package_verifier_off", "random"), ("usb_debugging_on", "random")]


def test_rule_ids_are_unique():
    assert len({rule.id for rule in RULES}) == len(RULES)


def test_split_component_list():
    assert split_component_list("a.b/.C:d.e/d.e.F") == ["a.b/.C", "d.e/d.e.F"]
    assert split_component_list("null") == [] and split_component_list("") == []
