"""Everything that would change the phone is refused with a real error, and recorded.

Each test calls pymobiledevice3's *own* write methods (or sends the raw usbmuxd message no
client library exposes), checks the exception pymobiledevice3 raises, checks that the phone is
unchanged, and checks the request log names exactly the refused request.
"""

from __future__ import annotations

import datetime as dt
import plistlib
import socket
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from iphone_helpers import run
from pymobiledevice3.exceptions import (
    AppInstallError,
    CloudConfigurationAlreadyPresentError,
    InvalidServiceError,
    LockdownError,
    MCProtectedError,
    ProfileError,
    SetProhibitedError,
)
from pymobiledevice3.lockdown import LockdownClient, create_using_usbmux
from pymobiledevice3.services.afc import AfcService
from pymobiledevice3.services.installation_proxy import InstallationProxyService
from pymobiledevice3.services.mobile_config import MobileConfigService
from pymobiledevice3.services.mobilebackup2 import Mobilebackup2Service

from stalkerscan.simulator.ios.pairing import generate_pair_record
from stalkerscan.simulator.ios.phone import SIMULATED_SYSTEM_BUID, SimulatedIPhone
from stalkerscan.simulator.requestlog import Verdict

pytestmark = pytest.mark.timeout(60)


def with_lockdown(folder: Path, action: Callable[[LockdownClient], Awaitable[Any]],
                  *, autopair: bool = False) -> Any:
    async def go() -> Any:
        lockdown = await create_using_usbmux(autopair=autopair, pair_timeout=0,
                                             pairing_records_cache_folder=folder)
        try:
            return await action(lockdown)
        finally:
            await lockdown.close()

    return run(go())


def refused(phone: SimulatedIPhone) -> list[tuple[str, str]]:
    return [(entry.layer, entry.service) for entry in phone.log.write_attempts()]


def app_ids(folder: Path) -> set[str]:
    async def read(lockdown: LockdownClient) -> set[str]:
        async with InstallationProxyService(lockdown=lockdown) as proxy:
            return set(await proxy.get_apps())

    return with_lockdown(folder, read)


# --------------------------------------------------------------------------- MCInstall
def test_remove_profile_is_refused(serve, make_phone, pair_folder):
    phone = make_phone()
    serve(phone)

    async def remove(lockdown: LockdownClient) -> dict[str, Any]:
        async with MobileConfigService(lockdown=lockdown) as config:
            with pytest.raises(ProfileError):
                await config.remove_profile("net.example.profile")
            return await config.get_profile_list()

    after = with_lockdown(pair_folder, remove)
    assert after["OrderedIdentifiers"] == ["net.example.profile"]
    assert refused(phone) == [("com.apple.mobile.MCInstall", "RemoveProfile")]
    assert phone.log.write_attempts()[0].verdict is Verdict.REFUSED


@pytest.mark.parametrize(("call", "expected_error", "request_type"), [
    (lambda config: config.install_profile(b"<plist/>"), ProfileError, "InstallProfile"),
    (lambda config: config.set_cloud_configuration({"IsSupervised": False}),
     CloudConfigurationAlreadyPresentError, "SetCloudConfiguration"),
    (lambda config: config.erase_device(False, False), ProfileError, "EraseDevice"),
    (lambda config: config.install_http_proxy("proxy.example.net", 8080), ProfileError,
     "InstallProfile"),
])
def test_mcinstall_writes_are_refused(serve, make_phone, pair_folder, call, expected_error,
                                      request_type):
    phone = make_phone()
    serve(phone)

    async def attempt(lockdown: LockdownClient) -> dict[str, Any] | None:
        async with MobileConfigService(lockdown=lockdown) as config:
            with pytest.raises(expected_error):
                await call(config)
            return await config.get_cloud_configuration()

    cloud = with_lockdown(pair_folder, attempt)
    assert cloud is not None and cloud["IsSupervised"] is True
    assert refused(phone) == [("com.apple.mobile.MCInstall", request_type)]


# --------------------------------------------------------------------------- installation_proxy
def test_uninstall_is_refused_and_the_app_stays(serve, make_phone, pair_folder):
    phone = make_phone()
    serve(phone)

    async def uninstall(lockdown: LockdownClient) -> None:
        async with InstallationProxyService(lockdown=lockdown) as proxy:
            with pytest.raises(AppInstallError, match="UninstallProhibited"):
                await proxy.uninstall("net.example.sideloaded")

    with_lockdown(pair_folder, uninstall)
    assert "net.example.sideloaded" in app_ids(pair_folder)
    assert refused(phone) == [("com.apple.mobile.installation_proxy", "Uninstall")]


def test_archive_and_restore_are_refused(serve, make_phone, pair_folder):
    phone = make_phone()
    serve(phone)

    async def archive(lockdown: LockdownClient) -> None:
        async with InstallationProxyService(lockdown=lockdown) as proxy:
            with pytest.raises(AppInstallError, match="APIInternalError"):
                await proxy.send_cmd_for_bundle_identifier("net.example.sideloaded", "Archive")
            with pytest.raises(AppInstallError):
                await proxy.restore("net.example.sideloaded")

    with_lockdown(pair_folder, archive)
    assert refused(phone) == [("com.apple.mobile.installation_proxy", "Archive"),
                              ("com.apple.mobile.installation_proxy", "Restore")]


def test_installing_an_app_never_gets_a_file_service(serve, make_phone, pair_folder, tmp_path):
    phone = make_phone()
    serve(phone)
    package = tmp_path / "app.ipa"
    package.write_bytes(b"PK\x05\x06" + bytes(18))

    async def install(lockdown: LockdownClient) -> None:
        async with InstallationProxyService(lockdown=lockdown) as proxy:
            with pytest.raises(InvalidServiceError):
                await proxy.install_from_local(package)

    with_lockdown(pair_folder, install)
    assert refused(phone) == [("lockdownd", "StartService")]
    assert "com.apple.afc" in phone.log.write_attempts()[0].request


# --------------------------------------------------------------------------- lockdownd
def test_set_value_is_refused_and_the_name_is_unchanged(serve, make_phone, pair_folder):
    phone = make_phone()
    serve(phone)

    async def rename(lockdown: LockdownClient) -> str:
        with pytest.raises(SetProhibitedError):
            await lockdown.set_value("Renamed", key="DeviceName")
        return await lockdown.get_value(key="DeviceName")

    assert with_lockdown(pair_folder, rename) == "Test iPhone"
    assert refused(phone) == [("lockdownd", "SetValue")]


@pytest.mark.parametrize(("call", "expected_error", "request_name"), [
    (lambda ld: ld.remove_value("com.apple.mobile.backup", "WillEncrypt"), LockdownError,
     "RemoveValue"),
    (lambda ld: ld.enter_recovery(), MCProtectedError, "EnterRecovery"),
    (lambda ld: ld.unpair(), MCProtectedError, "Unpair"),
])
def test_lockdown_writes_are_refused(serve, make_phone, pair_folder, call, expected_error,
                                     request_name):
    phone = make_phone()
    serve(phone)

    async def attempt(lockdown: LockdownClient) -> None:
        with pytest.raises(expected_error):
            await call(lockdown)

    with_lockdown(pair_folder, attempt)
    assert refused(phone) == [("lockdownd", request_name)]
    assert with_lockdown(pair_folder, lambda ld: ld.get_value(key="DeviceName")) == "Test iPhone"


def test_backups_and_backup_passwords_are_refused(serve, make_phone, pair_folder, tmp_path):
    phone = make_phone()
    serve(phone)

    async def backup(lockdown: LockdownClient) -> None:
        service = Mobilebackup2Service(lockdown)
        with pytest.raises(InvalidServiceError):
            await service.change_password(tmp_path, new="secret")
        with pytest.raises(InvalidServiceError):
            async with AfcService(lockdown):
                pass

    with_lockdown(pair_folder, backup)
    attempts = phone.log.write_attempts()
    assert [entry.service for entry in attempts] == ["StartService", "StartService"]
    assert "com.apple.mobilebackup2" in attempts[0].request
    assert "com.apple.afc" in attempts[1].request


def test_supervised_pairing_is_refused(serve, make_phone, pair_folder, tmp_path):
    phone = make_phone(state="needs_trust")
    serve(phone)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example Supervisor")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    keybag = tmp_path / "supervisor.pem"
    keybag.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())
                       + cert.public_bytes(serialization.Encoding.PEM))

    async def pair(lockdown: LockdownClient) -> None:
        with pytest.raises(MCProtectedError):
            await lockdown.pair_supervised(keybag)

    with_lockdown(pair_folder, pair)
    assert refused(phone) == [("lockdownd", "Pair")]
    assert "supervised" in phone.log.write_attempts()[0].reason
    assert phone.trusted_host("anything") is None


# --------------------------------------------------------------------------- usbmuxd
def _usbmuxd_request(address: str, message: dict[str, Any]) -> dict[str, Any]:
    body = plistlib.dumps(message)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(address)
        sock.sendall(struct.pack("<IIII", 16 + len(body), 1, 8, 7) + body)
        header = b""
        while len(header) < 16:
            header += sock.recv(16 - len(header))
        length = struct.unpack("<I", header[:4])[0]
        data = b""
        while len(data) < length - 16:
            data += sock.recv(length - 16 - len(data))
    return plistlib.loads(data)


def test_delete_pair_record_is_refused(serve, make_phone):
    phone = make_phone()
    address = serve(phone)
    answer = _usbmuxd_request(address, {"MessageType": "DeletePairRecord",
                                        "PairRecordID": phone.udid})
    assert answer == {"MessageType": "Result", "Number": 13}
    record = _usbmuxd_request(address, {"MessageType": "ReadPairRecord",
                                        "PairRecordID": phone.udid})
    assert "PairRecordData" in record
    assert refused(phone) == [("usbmuxd", "DeletePairRecord")]


def test_saving_a_record_the_phone_never_trusted_is_refused(serve, make_phone):
    phone = make_phone(state="needs_trust")
    address = serve(phone)
    forged = generate_pair_record(phone.identity, system_buid=SIMULATED_SYSTEM_BUID,
                                  wifi_mac_address="02:00:00:00:00:01", escrow_bag=b"x")
    answer = _usbmuxd_request(address, {"MessageType": "SavePairRecord",
                                        "PairRecordID": phone.udid, "DeviceID": 1,
                                        "PairRecordData": forged.to_bytes()})
    assert answer == {"MessageType": "Result", "Number": 13}
    missing = _usbmuxd_request(address, {"MessageType": "ReadPairRecord",
                                         "PairRecordID": phone.udid})
    assert missing == {"MessageType": "Result", "Number": 2}
    assert refused(phone) == [("usbmuxd", "SavePairRecord")]


def test_a_read_only_scan_is_all_reads(serve, make_phone, pair_folder):
    """The converse: ordinary reads through every layer leave no write attempt."""
    phone = make_phone()
    serve(phone)

    async def scan(lockdown: LockdownClient) -> None:
        await lockdown.get_value("com.apple.mobile.backup")
        async with InstallationProxyService(lockdown=lockdown) as proxy:
            await proxy.get_apps()
            await proxy.browse(attributes=["CFBundleIdentifier"])
        async with MobileConfigService(lockdown=lockdown) as config:
            await config.hello()
            await config.get_profile_list()
            await config.get_cloud_configuration()

    with_lockdown(pair_folder, scan)
    assert phone.log.write_attempts() == []
    assert phone.log.count(layer="com.apple.mobile.MCInstall") == 3
