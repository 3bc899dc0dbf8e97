"""Independent clients in their own processes: the pymobiledevice3 command line and
libimobiledevice's tools (Debian's libimobiledevice-utils and ideviceinstaller).

Each runs with its own HOME and ``USBMUXD_SOCKET_ADDRESS`` pointing at the simulated usbmuxd.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from iphone_helpers import isolated_env

from stalkerscan.simulator.ios.phone import SimulatedIPhone
from stalkerscan.simulator.ios.run import libimobiledevice_address
from stalkerscan.simulator.requestlog import Verdict

pytestmark = pytest.mark.timeout(120)


def pymobiledevice3(args: list[str], home: Path, address: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pymobiledevice3", *args],
                          env=isolated_env(home, address), capture_output=True, text=True,
                          timeout=90, check=False)


def tool(name: str, args: list[str], home: Path, address: str) -> subprocess.CompletedProcess:
    if shutil.which(name) is None:
        pytest.skip(f"{name} is not installed (Debian: libimobiledevice-utils / ideviceinstaller)")
    return subprocess.run([name, *args], env=isolated_env(home, libimobiledevice_address(address)),
                          capture_output=True, text=True, timeout=60, check=False)


# --------------------------------------------------------------------------- pymobiledevice3 CLI
def test_pymobiledevice3_cli_apps_and_profiles(serve, tmp_path):
    phone = SimulatedIPhone.load("ios-infected")
    address = serve(phone)

    apps = pymobiledevice3(["apps", "list", "--type", "User"], tmp_path, address)
    assert apps.returncode == 0, apps.stderr
    listed = json.loads(apps.stdout)
    assert listed["net.example.familysafe"]["SignerIdentity"] == (
        "iPhone Distribution: Example Family Tools Ltd")
    assert "com.life360.safetymap" in listed
    assert all(app["ApplicationType"] == "User" for app in listed.values())

    profiles = pymobiledevice3(["profile", "list"], tmp_path, address)
    assert profiles.returncode == 0, profiles.stderr
    listing = json.loads(profiles.stdout)
    assert listing["OrderedIdentifiers"] == ["net.example.devicecare.enrollment",
                                             "net.example.netopt.profile"]
    assert listing["ProfileMetadata"]["net.example.netopt.profile"]["PayloadDisplayName"] == (
        "Network Optimizer")

    assert phone.log.write_attempts() == []
    assert phone.log.count(service="Lookup") == 1
    assert phone.log.count(service="GetProfileList") == 1


# --------------------------------------------------------------------------- libimobiledevice
def test_libimobiledevice_lists_and_describes_the_phone(serve, make_phone, tmp_path):
    phone = make_phone()
    address = serve(phone)
    listed = tool("idevice_id", ["-l"], tmp_path, address)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == [phone.udid]

    info = tool("ideviceinfo", [], tmp_path, address)
    assert info.returncode == 0, info.stderr
    values = dict(line.split(": ", 1) for line in info.stdout.splitlines() if ": " in line)
    assert values["ProductType"] == "iPhone14,5"
    assert values["SerialNumber"] == "SIMTEST00001"
    assert values["UniqueDeviceID"] == phone.udid

    domain = tool("ideviceinfo", ["-q", "com.apple.mobile.backup", "-k", "WillEncrypt"],
                  tmp_path, address)
    assert domain.stdout.strip() == "false"
    assert phone.log.write_attempts() == []
    # libimobiledevice stops each TLS session and goes on in plain text: still answered.
    assert phone.log.count(service="StopSession") >= 2


def test_ideviceinstaller_lists_user_apps(serve, make_phone, tmp_path):
    phone = make_phone()
    address = serve(phone)
    result = tool("ideviceinstaller", ["-l"], tmp_path, address)
    assert result.returncode == 0, result.stderr
    listed = {line.split(",")[0] for line in result.stdout.splitlines()[1:] if line}
    assert listed == {app.bundle_id for app in phone.profile.apps
                      if app.application_type == "User"}
    assert phone.log.write_attempts() == []


def test_libimobiledevice_writes_are_refused(serve, make_phone, tmp_path):
    phone = make_phone()
    address = serve(phone)
    rename = tool("idevicename", ["Renamed"], tmp_path, address)
    assert rename.returncode != 0
    unpair = tool("idevicepair", ["unpair"], tmp_path, address)
    assert unpair.returncode != 0
    name = tool("ideviceinfo", ["-k", "DeviceName"], tmp_path, address)
    assert name.stdout.strip() == "Test iPhone"
    assert [entry.service for entry in phone.log.write_attempts()] == ["SetValue", "Unpair"]


def test_libimobiledevice_uninstall_is_refused(serve, make_phone, tmp_path):
    phone = make_phone()
    address = serve(phone)
    result = tool("ideviceinstaller", ["-U", "net.example.sideloaded"], tmp_path, address)
    assert "UninstallProhibited" in result.stdout + result.stderr
    assert [(e.layer, e.service) for e in phone.log.write_attempts()] == [
        ("com.apple.mobile.installation_proxy", "Uninstall")]


def test_libimobiledevice_on_an_untrusted_phone(serve, make_phone, tmp_path):
    phone = make_phone(state="needs_trust")
    address = serve(phone)
    result = tool("ideviceinfo", ["-k", "SerialNumber"], tmp_path, address)
    assert result.returncode != 0
    assert "Pairing dialog response pending" in result.stderr
    # Without a session it still reads what any computer may read.
    public = tool("ideviceinfo", ["-s", "-k", "ProductType"], tmp_path, address)
    assert public.stdout.strip() == "iPhone14,5"
    pairs = [entry for entry in phone.log.entries() if entry.service == "Pair"]
    assert pairs and all(entry.verdict is Verdict.READ for entry in pairs)
    assert phone.log.write_attempts() == []
