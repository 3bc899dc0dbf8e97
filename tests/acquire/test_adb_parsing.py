"""adb server answers: device lines, FAIL messages, server address conventions."""

from __future__ import annotations

import pytest

from stalkerscan.acquire.android.adb_client import error_from_fail, parse_devices_long
from stalkerscan.acquire.android.server import install_advice, resolve_server_address
from stalkerscan.errors import (
    DeviceDisconnectedError,
    DeviceOfflineError,
    DeviceUnauthorizedError,
    MultipleDevicesError,
    NoDeviceError,
    UsageError,
)

DEVICES_L = (
    "0123456789ABCDEF       device usb:1-1 product:panther model:Pixel_7 device:panther transport_id:3\n"
    "R58M12ABCDE            unauthorized usb:1-2 transport_id:4\n"
    "127.0.0.1:40001        offline transport_id:5\n"
    "ZY22XYZ                no permissions (missing udev rules? user is in the plugdev group); "
    "see [http://developer.android.com/tools/device.html] usb:1-3\n"
)


def test_parse_devices_long():
    entries = parse_devices_long(DEVICES_L)
    assert [(e.serial, e.state) for e in entries] == [
        ("0123456789ABCDEF", "device"), ("R58M12ABCDE", "unauthorized"),
        ("127.0.0.1:40001", "offline"), ("ZY22XYZ", "no permissions"),
    ]
    assert entries[0].model == "Pixel_7" and entries[0].product == "panther"
    assert entries[0].transport_id == "3" and entries[1].usb == "1-2"


def test_parse_devices_tolerates_garbage():
    assert parse_devices_long("") == []
    assert parse_devices_long("* daemon started successfully\n\n") == []
    (entry,) = parse_devices_long("weird\tsomething-new\n")
    assert entry.serial == "weird" and entry.state == "something-new"


@pytest.mark.parametrize(("message", "kind"), [
    ("device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set\n", DeviceUnauthorizedError),
    ("device offline", DeviceOfflineError),
    ("device 'XYZ' not found", NoDeviceError),
    ("no devices/emulators found", NoDeviceError),
    ("more than one device/emulator", MultipleDevicesError),
    ("closed", DeviceDisconnectedError),
])
def test_fail_messages_become_typed_errors_with_advice(message, kind):
    error = error_from_fail(message, "XYZ")
    assert isinstance(error, kind)
    assert error.advice


def test_unauthorized_advice_tells_what_to_tap():
    assert "tap Allow" in error_from_fail("device unauthorized.").advice


def test_server_address_conventions():
    assert resolve_server_address(env={}).port == 5037
    assert resolve_server_address(env={"ANDROID_ADB_SERVER_PORT": "5099"}).port == 5099
    address = resolve_server_address(env={"ADB_SERVER_SOCKET": "tcp:10.0.0.2:6000"})
    assert (address.host, address.port, address.source) == ("10.0.0.2", 6000, "ADB_SERVER_SOCKET")
    assert resolve_server_address(env={"ADB_SERVER_SOCKET": "tcp:6001"}).host == "127.0.0.1"
    assert resolve_server_address("h", 7, env={"ANDROID_ADB_SERVER_PORT": "5099"}).port == 7
    with pytest.raises(UsageError):
        resolve_server_address(env={"ADB_SERVER_SOCKET": "localfilesystem:/tmp/x"})
    with pytest.raises(UsageError):
        resolve_server_address(env={"ANDROID_ADB_SERVER_PORT": "abc"})


@pytest.mark.parametrize(("platform", "command"), [
    ("linux", "sudo apt install adb"),
    ("darwin", "brew install android-platform-tools"),
    ("win32", "winget install Google.PlatformTools"),
    ("sunos5", "SDK Platform-Tools"),
])
def test_install_advice_per_platform(platform, command):
    # Each computer gets the install step that works on it.
    assert command in install_advice(platform)
