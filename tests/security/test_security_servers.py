"""Simulated phones' servers: loopback only, never on the adb emulator ports 5555-5585, and
gone (listening socket and threads) when the command or test that started them ends."""

from __future__ import annotations

import os
import socket
import stat
import threading
import time

import pytest
from click.testing import CliRunner

from stalkerscan.simulator.android.phone import SimulatedAndroidPhone
from stalkerscan.simulator.android.run import (
    EMULATOR_PORTS,
    check_listen_address,
    running_adbd,
    running_host_server,
    serve_android_in_foreground,
)
from stalkerscan.simulator.profile import load_profile

NOT_LOOPBACK = ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "8.8.8.8", "example.org", "", "*",
                "localhost"]


@pytest.fixture(scope="module")
def phone():
    return SimulatedAndroidPhone.from_profile(load_profile("android-clean"))


def _refuses_connections(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return False
    except OSError:
        return True


@pytest.mark.parametrize("host", NOT_LOOPBACK)
def test_non_loopback_hosts_are_refused(host):
    with pytest.raises(ValueError):
        check_listen_address(host, 0)


@pytest.mark.parametrize("port", [5555, 5560, 5585])
def test_emulator_ports_are_refused(port):
    with pytest.raises(ValueError):
        check_listen_address("127.0.0.1", port)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("start", [running_host_server, running_adbd])
def test_refused_before_anything_listens_or_starts(phone, start):
    before = set(threading.enumerate())
    target = [phone] if start is running_host_server else phone
    for host, port in (("0.0.0.0", 0), ("127.0.0.1", 5555)):
        with pytest.raises(ValueError), start(target, host=host, port=port):
            pass
    assert set(threading.enumerate()) <= before


@pytest.mark.timeout(30)
@pytest.mark.parametrize("start", [running_host_server, running_adbd])
def test_servers_bind_loopback_and_stop_with_their_block(phone, start):
    before = set(threading.enumerate())
    target = [phone] if start is running_host_server else phone
    with start(target) as address:
        assert address.host == "127.0.0.1" and address.port not in EMULATOR_PORTS
        assert not _refuses_connections(address.host, address.port)
    assert _refuses_connections(address.host, address.port)
    deadline = time.monotonic() + 5
    while set(threading.enumerate()) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(threading.enumerate()) - before == set()


@pytest.mark.timeout(30)
def test_simulate_in_the_foreground_stops_and_leaves_nothing_listening(phone):
    printed: list[str] = []
    stop = threading.Event()
    runner = threading.Thread(target=serve_android_in_foreground, args=([phone],),
                              kwargs={"transport": False, "out": printed.append, "stop": stop})
    runner.start()
    deadline = time.monotonic() + 10
    while not printed and time.monotonic() < deadline:
        time.sleep(0.05)
    assert printed and "127.0.0.1:" in printed[0]
    port = int(printed[0].split("127.0.0.1:")[1].split()[0])
    assert port not in EMULATOR_PORTS and not _refuses_connections("127.0.0.1", port)
    stop.set()
    runner.join(10)
    assert not runner.is_alive()
    assert _refuses_connections("127.0.0.1", port)


@pytest.mark.timeout(30)
def test_simulate_command_refuses_an_emulator_port():
    from stalkerscan.cli.main import main

    result = CliRunner().invoke(main, ["simulate", "android-clean", "--port", "5557"])
    assert result.exit_code == 2  # a usage error with advice, not a traceback
    assert "5555-5585" in result.output


@pytest.mark.timeout(30)
def test_a_system_chosen_emulator_port_is_refused_too():
    from stalkerscan.simulator.android import run

    closed = []

    class Unlucky:
        """A server to which the system handed an emulator port for port 0."""

        async def start(self, host, port):
            return host, 5560

        async def close(self):
            closed.append(True)

    before = set(threading.enumerate())
    with pytest.raises(ValueError, match="5555-5585"), run._serving(Unlucky(), "127.0.0.1", 0, "t"):
        pass
    assert closed == [True]
    assert set(threading.enumerate()) <= before


@pytest.mark.timeout(30)
def test_adbd_process_entry_point_refuses_other_hosts():
    from stalkerscan.simulator.android.adbd import main as adbd_main

    with pytest.raises((ValueError, SystemExit)):
        adbd_main(["--profile", "android-clean", "--host", "0.0.0.0", "--port", "0"])
    with pytest.raises((ValueError, SystemExit)):
        adbd_main(["--profile", "android-clean", "--port", "5555"])


@pytest.mark.timeout(30)
def test_simulated_iphone_usbmuxd_is_private_or_loopback():
    run = pytest.importorskip("stalkerscan.simulator.ios.run")
    from stalkerscan.errors import UsageError

    with pytest.raises(UsageError):
        run.UsbmuxdRunner([], tcp_port=5555)
    with run.running_usbmuxd([], tcp_port=0) as address:
        host, _, port = address.rpartition(":")
        assert host == "127.0.0.1" and int(port) not in EMULATOR_PORTS
    assert _refuses_connections("127.0.0.1", int(port))
    with run.running_usbmuxd([]) as path:
        assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0  # only this user may connect
        assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) & 0o077 == 0
