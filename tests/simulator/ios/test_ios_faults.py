"""Faults: a cable pulled mid-scan, latency, fragmented and slow answers, service TLS."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from iphone_helpers import run
from pymobiledevice3 import usbmux
from pymobiledevice3.exceptions import ConnectionTerminatedError, DeviceNotFoundError
from pymobiledevice3.lockdown import create_using_usbmux
from pymobiledevice3.services.installation_proxy import InstallationProxyService
from pymobiledevice3.services.mobile_config import MobileConfigService

from stalkerscan.simulator.ios.phone import SimulatedIPhone
from stalkerscan.simulator.ios.profile import IosFaults, IPhoneState
from stalkerscan.simulator.ios.stream import DeviceStream

pytestmark = pytest.mark.timeout(60)

# A scan's requests, in order: 1 QueryType, 2 GetValue, 3 StartSession, 4 GetValue,
# 5 StartService installation_proxy, 6 Lookup, 7 StartService MCInstall, 8 GetProfileList.


async def scan(folder: Path) -> dict[str, Any]:
    lockdown = await create_using_usbmux(autopair=False, pairing_records_cache_folder=folder)
    service_ssl: list[bool] = []  # what lockdownd's StartService answered, service by service
    start_service = lockdown.get_service_connection_attributes

    async def recording_start_service(name: str, include_escrow_bag: bool = False) -> Any:
        attributes = await start_service(name, include_escrow_bag=include_escrow_bag)
        service_ssl.append(bool(attributes.get("EnableServiceSSL", False)))
        return attributes

    lockdown.get_service_connection_attributes = recording_start_service  # type: ignore[method-assign]
    try:
        async with InstallationProxyService(lockdown=lockdown) as proxy:
            apps = await proxy.get_apps()
        async with MobileConfigService(lockdown=lockdown) as config:
            profiles = await config.get_profile_list()
        return {"apps": apps, "profiles": profiles, "values": lockdown.all_values,
                "service_ssl": service_ssl}
    finally:
        await lockdown.close()


def test_cable_pulled_during_the_app_list(serve, make_phone, pair_folder):
    phone: SimulatedIPhone = make_phone(faults={"disconnect_after": 5})
    serve(phone)

    async def watch_and_scan() -> tuple[list[str], type[Exception], list[str], list[str]]:
        mux = await usbmux.create_mux()
        try:
            await mux.listen()
            await mux.receive_device_state_update()  # Attached
            before = [device.serial for device in mux.devices]
            with pytest.raises(ConnectionTerminatedError) as caught:
                await scan(pair_folder)
            await asyncio.wait_for(mux.receive_device_state_update(), 10)  # Detached
            after = [device.serial for device in mux.devices]
        finally:
            await mux.close()
        listed = [device.serial for device in await usbmux.list_devices()]
        return before, caught.type, after, listed

    before, error, after, listed = run(watch_and_scan())
    assert before == [phone.udid]
    assert error is ConnectionTerminatedError
    assert after == [] and listed == []
    assert phone.state is IPhoneState.NONE
    lookups = [entry for entry in phone.log.entries() if entry.service == "Lookup"]
    assert len(lookups) == 1  # it arrived, and the cable went with it
    assert phone.log.write_attempts() == []


def test_cable_pulled_between_services_then_plugged_back(serve, make_phone, pair_folder):
    phone = make_phone(faults={"disconnect_after": 6})
    serve(phone)
    with pytest.raises(DeviceNotFoundError):
        run(scan(pair_folder))
    assert phone.state is IPhoneState.NONE

    phone.set_faults(disconnect_after=None)
    phone.plug()

    async def replugged() -> tuple[list[int], dict[str, Any]]:
        for _ in range(100):  # the Attached change reaches usbmuxd's loop asynchronously
            devices = await usbmux.list_devices()
            if devices:
                break
            await asyncio.sleep(0.01)
        return [device.devid for device in devices], await scan(pair_folder)

    device_ids, result = run(replugged())
    assert device_ids == [2]  # usbmuxd numbers a re-attached phone anew
    assert len(result["apps"]) == len(phone.profile.apps)


@pytest.mark.parametrize("faults", [
    {"latency_ms": 15},
    {"fragment": 1},
    {"fragment": 7, "service_ssl": True},
    {"slow_bytes_per_second": 400_000},
    {"service_ssl": True},
], ids=["latency", "one-byte-writes", "fragmented-service-tls", "slow", "service-tls"])
def test_faulty_phone_still_gives_the_same_answers(serve, make_phone, pair_folder, faults):
    phone = make_phone(faults=faults)
    serve(phone)
    result = run(scan(pair_folder))
    spec = phone.profile.app("net.example.sideloaded")
    assert spec is not None
    assert set(result["apps"]) == {app.bundle_id for app in phone.profile.apps}
    sideloaded = result["apps"]["net.example.sideloaded"]
    assert sideloaded["SignerIdentity"] == spec.signer_identity
    assert sideloaded["Entitlements"] == dict(spec.entitlements)
    assert result["profiles"]["OrderedIdentifiers"] == ["net.example.profile"]
    assert result["values"]["SerialNumber"] == "SIMTEST00001"
    # Both services ran over TLS exactly when the phone asked for it.
    assert result["service_ssl"] == [faults.get("service_ssl", False)] * 2
    assert phone.log.write_attempts() == []


def test_faults_can_be_switched_while_running(serve, make_phone, pair_folder):
    phone = make_phone()
    serve(phone)
    first = run(scan(pair_folder))
    phone.set_faults(fragment=3, latency_ms=2)
    assert phone.faults.fragment == 3
    second = run(scan(pair_folder))
    assert first["apps"] == second["apps"]


class _RecordingWriter:
    """Stands in for the client's socket: what the phone wrote, write by write."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    async def drain(self) -> None:
        return None


@pytest.mark.parametrize(("faults", "sizes"), [
    (IosFaults(), [20]),
    (IosFaults(fragment=7), [7, 7, 6]),
    (IosFaults(fragment=1), [1] * 20),
    (IosFaults(slow_bytes_per_second=80), [8, 8, 4]),  # about ten pieces a second
    (IosFaults(fragment=3, slow_bytes_per_second=80), [3] * 6 + [2]),
], ids=["whole", "fragment-7", "one-byte-writes", "slow", "fragment-and-slow"])
def test_write_faults_cut_what_the_phone_sends(faults, sizes):
    writer = _RecordingWriter()
    answer = bytes(range(20))

    async def send() -> None:
        stream = DeviceStream(asyncio.StreamReader(), writer, lambda: faults)  # type: ignore[arg-type]
        await stream.write(answer)

    run(send())
    assert [len(piece) for piece in writer.writes] == sizes
    assert b"".join(writer.writes) == answer
