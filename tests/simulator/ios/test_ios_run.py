"""Running the simulated usbmuxd: where it listens, and that nothing outlives it."""

from __future__ import annotations

import contextlib
import gc
import os
import socket
import stat
import threading
from pathlib import Path

import pytest
from iphone_helpers import run
from pymobiledevice3 import usbmux
from pymobiledevice3.exceptions import PyMobileDevice3Exception
from pymobiledevice3.lockdown import create_using_usbmux
from pymobiledevice3.services.installation_proxy import InstallationProxyService

from stalkerscan.errors import UsageError
from stalkerscan.simulator.ios.run import (
    UsbmuxdRunner,
    client_instructions,
    libimobiledevice_address,
    running_usbmuxd,
)

pytestmark = pytest.mark.timeout(60)


def open_descriptors() -> set[str]:
    gc.collect()
    try:
        return set(os.listdir("/proc/self/fd"))
    except FileNotFoundError:  # not Linux
        pytest.skip("needs /proc/self/fd to count open descriptors")


async def list_apps(address: str, folder: Path) -> int:
    lockdown = await create_using_usbmux(autopair=False, usbmux_address=address,
                                         pairing_records_cache_folder=folder)
    try:
        async with InstallationProxyService(lockdown=lockdown) as proxy:
            return len(await proxy.get_apps())
    finally:
        await lockdown.close()


def test_nothing_outlives_the_context_manager(make_phone, pair_folder):
    phone = make_phone()
    threads_before = {thread.ident for thread in threading.enumerate()}
    descriptors_before = open_descriptors()
    with running_usbmuxd([phone]) as address:
        folder = Path(address).parent
        assert run(list_apps(address, pair_folder)) == len(phone.profile.apps)
        assert any(t.name == "stalkerscan-usbmuxd" for t in threading.enumerate())
    assert {thread.ident for thread in threading.enumerate()} == threads_before
    assert open_descriptors() == descriptors_before
    assert not folder.exists()


def test_stops_while_a_client_is_still_connected(make_phone, pair_folder):
    phone = make_phone()
    threads_before = {thread.ident for thread in threading.enumerate()}
    connected, server_gone = threading.Event(), threading.Event()
    outcome: list[BaseException] = []

    async def hold_open(address: str) -> None:
        lockdown = await create_using_usbmux(autopair=False, usbmux_address=address,
                                             pairing_records_cache_folder=pair_folder)
        connected.set()
        server_gone.wait(10)
        try:
            await lockdown.get_value(key="DeviceName")
        except PyMobileDevice3Exception as exc:  # the phone is gone: a real error, no hang
            outcome.append(exc)
        finally:
            with contextlib.suppress(Exception):
                await lockdown.close()

    with running_usbmuxd([phone]) as address:
        client = threading.Thread(target=lambda: run(hold_open(address)))
        client.start()
        assert connected.wait(10)
    server_gone.set()
    client.join(10)
    assert not client.is_alive()
    assert len(outcome) == 1
    assert {thread.ident for thread in threading.enumerate()} == threads_before


def test_private_socket_folder_and_permissions(make_phone):
    with running_usbmuxd([make_phone()]) as address:
        path = Path(address)
        assert stat.S_ISSOCK(path.stat().st_mode)
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert ":" not in address  # pymobiledevice3 would read host:port
    assert not path.exists()


def test_chosen_socket_path_is_used_and_removed(make_phone, tmp_path):
    chosen = tmp_path / "mux.sock"
    phone = make_phone()
    with running_usbmuxd([phone], socket_path=chosen) as address:
        assert address == str(chosen)
        devices = run(usbmux.list_devices(usbmux_address=address))
        assert [device.serial for device in devices] == [phone.udid]
    assert not chosen.exists()
    assert tmp_path.exists()


def test_existing_path_is_never_replaced(make_phone, tmp_path):
    existing = tmp_path / "precious"
    existing.write_text("keep me")
    with pytest.raises(UsageError, match="already exists"), \
            running_usbmuxd([make_phone()], socket_path=existing):
        pass
    assert existing.read_text() == "keep me"


def test_tcp_on_loopback(make_phone, pair_folder):
    phone = make_phone()
    with running_usbmuxd([phone], tcp_port=0) as address:
        host, port = address.split(":")
        assert host == "127.0.0.1"
        assert not 5555 <= int(port) <= 5585
        assert run(list_apps(address, pair_folder)) == len(phone.profile.apps)
    with socket.socket() as probe, pytest.raises(OSError):
        probe.settimeout(2)
        probe.connect(("127.0.0.1", int(port)))


@pytest.mark.parametrize(("options", "message"), [
    ({"tcp_port": 5555}, "Port 5555 cannot be used for the simulated usbmuxd"),
    ({"tcp_port": 5585}, "Port 5585 cannot be used"),
    ({"tcp_port": 70000}, "Port 70000 cannot be used"),
    ({"tcp_port": 0, "socket_path": "/tmp/x.sock"}, "either a unix socket path or a TCP port"),
])
def test_refused_addresses(make_phone, options, message):
    with pytest.raises(UsageError, match=message) as caught:
        UsbmuxdRunner([make_phone()], **options)
    if "tcp_port" in options and len(options) == 1:
        assert "5555-5585" in (caught.value.advice or "")


def test_colon_in_socket_path_is_refused(make_phone, tmp_path):
    with pytest.raises(UsageError, match="':'"), \
            running_usbmuxd([make_phone()], socket_path=tmp_path / "a:b.sock"):
        pass


def test_two_servers_one_after_another(make_phone, pair_folder):
    phone = make_phone()
    for _ in range(2):
        with running_usbmuxd([phone]) as address:
            assert run(list_apps(address, pair_folder)) == len(phone.profile.apps)
    assert phone.log.count(service="Lookup") == 2


def test_addresses_for_each_client():
    assert libimobiledevice_address("/tmp/d/usbmuxd.sock") == "UNIX:/tmp/d/usbmuxd.sock"
    assert libimobiledevice_address("127.0.0.1:4242") == "127.0.0.1:4242"
    lines = client_instructions("/tmp/d/usbmuxd.sock")
    assert lines[0] == "export USBMUXD_SOCKET_ADDRESS=/tmp/d/usbmuxd.sock"
    assert any("USBMUXD_SOCKET_ADDRESS=UNIX:/tmp/d/usbmuxd.sock ideviceinfo" in line
               for line in lines)


def test_a_failed_start_leaves_no_thread_folder_or_listener(make_phone, monkeypatch):
    phone = make_phone()
    threads_before = {thread.ident for thread in threading.enumerate()}
    folders: list[Path] = []

    async def refuse(*args, path, **kwargs):
        folders.append(Path(path).parent)
        raise OSError(98, "Address already in use")

    monkeypatch.setattr("asyncio.start_unix_server", refuse)
    with pytest.raises(OSError, match="already in use"), running_usbmuxd([phone]):
        pass
    assert {thread.ident for thread in threading.enumerate()} == threads_before
    assert len(folders) == 1 and not folders[0].exists()
    assert phone._listeners == []  # usbmuxd stopped following the phone's cable
