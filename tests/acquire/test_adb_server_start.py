"""Finding the adb server: started when none runs, a clear error when adb is missing."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from stalkerscan.acquire.android.server import connect_to_server, resolve_server_address
from stalkerscan.devices import list_phones_with_problems
from stalkerscan.errors import AdbMissingError, AdbServerError
from stalkerscan.simulator.android.run import free_port

pytestmark = pytest.mark.timeout(60)


@pytest.mark.skipif(shutil.which("adb") is None, reason="adb is not installed (Debian package adb)")
def test_a_server_is_started_when_none_runs(tmp_path, monkeypatch):
    port = free_port()
    monkeypatch.setenv("HOME", str(tmp_path))  # the server writes ~/.android/adbkey
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(port))
    try:
        client = connect_to_server(resolve_server_address())
        assert client.port == port
        assert client.server_version() > 0
        assert isinstance(client.devices(), list)
    finally:
        subprocess.run(["adb", "-P", str(port), "kill-server"], capture_output=True, timeout=30,
                       env=dict(os.environ, HOME=str(tmp_path)))


def test_missing_adb_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no adb anywhere
    monkeypatch.delenv("ADB", raising=False)
    address = resolve_server_address(port=free_port())
    with pytest.raises(AdbMissingError) as info:
        connect_to_server(address)
    assert "install" in info.value.advice.lower()


def test_remote_server_is_never_started(monkeypatch):
    address = resolve_server_address(host="192.0.2.1", port=free_port())  # TEST-NET: never answers
    with pytest.raises(AdbServerError):
        connect_to_server(address, timeout=1.0)


def test_devices_reports_a_missing_adb_as_a_platform_problem(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("ADB", raising=False)
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", str(tmp_path / "no-usbmuxd.sock"))
    phones, problems = list_phones_with_problems(adb_port=free_port())
    assert phones == []
    android = [p for p in problems if p.platform == "android"]
    assert android and "not installed" in android[0].message and android[0].advice
