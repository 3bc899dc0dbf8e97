"""Protocol-level faults (TransportFaults) on both layers, each showing what a real client sees."""

from __future__ import annotations

import socket
import statistics
import struct
from collections.abc import Iterator

import pytest
from adb_protocol_helpers import (
    NOTES,
    NOTES_PATH,
    HostSocket,
    host_query,
    make_scripted_phone,
    read_shell_v2,
)
from ppadb.client import Client
from ppadb.connection import Connection

from stalkerscan.simulator.android.run import ServerAddress, running_adbd, running_host_server
from stalkerscan.simulator.requestlog import Verdict

pytestmark = pytest.mark.timeout(60)


def recv_sizes(sock: socket.socket) -> tuple[bytes, list[int]]:
    """Everything until the peer closes, and the size of every recv() it took."""
    data, sizes = bytearray(), []
    while chunk := sock.recv(65536):
        data += chunk
        sizes.append(len(chunk))
    return bytes(data), sizes


def open_service(port: int, serial: str, service: str) -> HostSocket:
    conn = HostSocket(port, timeout=20)
    conn.request(f"host:transport:{serial}")
    assert conn.status() == ("OKAY", None)
    conn.request(service)
    assert conn.status() == ("OKAY", None)
    return conn


@pytest.fixture
def host(request: pytest.FixtureRequest) -> Iterator[tuple[ServerAddress, object]]:
    """A host server with one phone whose faults come from the test's parameters."""
    phone = make_scripted_phone("FAULT01", **request.param)
    with running_host_server([phone]) as address:
        yield address, phone


# --------------------------------------------------------------------------- host layer
@pytest.mark.parametrize("host", [{"fragment": 3}], indirect=True)
def test_fragmented_answers_arrive_in_three_byte_pieces(host) -> None:
    address, _ = host
    with open_service(address.port, "FAULT01", "shell:cat /proc/example_big") as conn:
        conn.sock.settimeout(60)
        # Read a prefix only: the whole answer would take a while at 3 bytes a time.
        sizes, data = [], bytearray()
        while len(data) < 600:
            chunk = conn.sock.recv(65536)
            assert chunk
            data += chunk
            sizes.append(len(chunk))
    assert bytes(data).startswith(b"line of output\n" * 40)
    assert statistics.median(sizes) <= 3
    assert len(sizes) >= 600 // 6  # a whole answer in one piece would be one recv


@pytest.mark.parametrize("host", [{"fragment": 3}], indirect=True)
def test_fragmented_sync_desynchronises_ppadbs_pull(host, tmp_path, monkeypatch) -> None:
    """pure-python-adb reads each sync header with one recv(4): with 3-byte pieces it
    misreads the stream and never finds DONE (upstream issues #52 and #119). The scanner's own
    reader must survive this; here the fault only has to reproduce it."""
    address, _ = host
    connect = Connection.connect

    def connect_with_timeout(self: Connection) -> socket.socket:
        sock = connect(self)
        sock.settimeout(0.5)  # ppadb would otherwise wait forever
        return sock

    monkeypatch.setattr(Connection, "connect", connect_with_timeout)
    target = tmp_path / "notes.txt"
    device = Client(address.host, address.port).device("FAULT01")
    try:
        device.pull(NOTES_PATH, str(target))
        outcome = "returned"
    except (TimeoutError, UnicodeDecodeError, struct.error, ValueError) as exc:
        outcome = type(exc).__name__  # usually TimeoutError: it waits for a DONE it skipped
    assert target.read_bytes() != NOTES, outcome


@pytest.mark.parametrize("host", [{"fragment": 3}], indirect=True)
def test_fragmented_pull_is_intact_for_an_exact_reader(host) -> None:
    address, _ = host
    with open_service(address.port, "FAULT01", "sync:") as conn:
        conn.sock.sendall(b"RECV" + struct.pack("<I", len(NOTES_PATH)) + NOTES_PATH.encode())
        assert conn.exact(4) == b"DATA"
        (length,) = struct.unpack("<I", conn.exact(4))
        assert conn.exact(length) == NOTES
        assert conn.exact(8) == b"DONE" + b"\0" * 4


@pytest.mark.parametrize("host", [{"slow_bytes_per_second": 1000}], indirect=True)
def test_slow_phone_answers_in_small_paced_pieces(host) -> None:
    address, _ = host
    text = "x" * 300
    with open_service(address.port, "FAULT01", f"shell:echo {text}") as conn:
        data, sizes = recv_sizes(conn.sock)
    assert data == text.encode() + b"\n"
    assert max(sizes) <= 100  # a tenth of a second's worth at a time


@pytest.mark.parametrize("host", [{"latency_ms": 3000}], indirect=True)
def test_latency_makes_a_short_client_timeout_expire(host) -> None:
    address, phone = host
    device = Client(address.host, address.port).device("FAULT01")
    with pytest.raises(TimeoutError):
        device.shell("id", timeout=0.3)
    phone.faults = type(phone.faults)()  # the same client succeeds without the fault
    assert device.shell("id", timeout=5).startswith("uid=2000(shell)")


@pytest.mark.parametrize("host", [{"disconnect_after": 2}], indirect=True)
def test_disconnect_after_n_requests_pulls_the_cable(host) -> None:
    address, phone = host
    session = open_service(address.port, "FAULT01", "sync:")
    session.sock.sendall(b"STAT" + struct.pack("<I", len(NOTES_PATH)) + NOTES_PATH.encode())
    assert session.exact(4) == b"STAT"  # request 1
    session.exact(12)
    device = Client(address.host, address.port).device("FAULT01")
    assert device.shell("echo two") == "two\n"  # request 2
    with pytest.raises((RuntimeError, ConnectionError)):
        device.shell("echo three")  # request 3: the cable is pulled
    # Every open connection to that phone died with it, and it is gone from the list.
    session.sock.settimeout(5)
    with pytest.raises((EOFError, ConnectionError)):
        session.exact(1)
    session.close()
    assert host_query(address.port, "host:devices") == ("OKAY", "")
    assert host_query(address.port, "host:transport:FAULT01") == (
        "FAIL", "device 'FAULT01' not found")
    assert [e.request for e in phone.log.entries()] == [f"STAT {NOTES_PATH}", "echo two"]


@pytest.mark.parametrize("host", [{"crlf": True}], indirect=True)
def test_crlf_applies_to_legacy_shell_only(host) -> None:
    address, _ = host
    with open_service(address.port, "FAULT01", "shell:echo hi") as conn:
        assert conn.rest() == b"hi\r\n"
    with open_service(address.port, "FAULT01", "exec:echo hi") as conn:
        assert conn.rest() == b"hi\n"
    with open_service(address.port, "FAULT01", "shell,v2,raw:echo hi") as conn:
        assert read_shell_v2(conn.rest()) == (b"hi\n", b"", 0)


@pytest.mark.parametrize("host", [{"shell_v2": False}], indirect=True)
def test_phone_without_shell_v2(host) -> None:
    address, phone = host
    assert host_query(address.port, "host-serial:FAULT01:features") == (
        "OKAY", "cmd,stat_v2,ls_v2")
    with HostSocket(address.port) as conn:
        conn.request("host:transport:FAULT01")
        conn.status()
        conn.request("shell,v2,raw:id")
        assert conn.status() == ("FAIL", "closed")  # an old adbd knows no such service
    with open_service(address.port, "FAULT01", "shell:id") as conn:
        assert conn.rest().startswith(b"uid=2000(shell)")
    assert [(e.service, e.request, e.verdict) for e in phone.log.entries()] == [
        ("service", "shell,v2,raw:id", Verdict.REFUSED), ("shell", "id", Verdict.READ)]


# --------------------------------------------------------------------------- transport layer
@pytest.fixture
def adbd(adb_server, request: pytest.FixtureRequest) -> Iterator[tuple[ServerAddress, object]]:
    phone = make_scripted_phone("FAULT02", **request.param)
    with running_adbd(phone) as address:
        assert adb_server.connect(address.host, address.port) == f"connected to {address.serial}"
        yield address, phone
        adb_server.disconnect(address.serial)


@pytest.mark.parametrize("adbd", [{"fragment": 3}], indirect=True)
def test_fragmented_writes_reach_the_client_of_the_real_server(adb_server, adbd) -> None:
    address, _ = adbd
    with open_service(adb_server.port, address.serial, "shell:echo " + "y" * 200) as conn:
        data, sizes = recv_sizes(conn.sock)
    assert data == b"y" * 200 + b"\n"
    assert statistics.median(sizes) <= 3  # each 3-byte WRTE is passed on as it comes


@pytest.mark.parametrize("adbd", [{"slow_bytes_per_second": 2000}], indirect=True)
def test_slow_phone_through_the_real_server(adb_server, adbd) -> None:
    address, _ = adbd
    done = adb_server.run("-s", address.serial, "shell", "echo", "z" * 500)
    assert done.stdout == b"z" * 500 + b"\n"


@pytest.mark.parametrize("adbd", [{"disconnect_after": 2}], indirect=True)
def test_disconnect_after_n_makes_the_real_server_drop_the_phone(adb_server, adbd) -> None:
    address, phone = adbd
    for word in ("one", "two"):
        assert adb_server.run("-s", address.serial, "shell", "echo", word).stdout == (
            word.encode() + b"\n")
    third = adb_server.run("-s", address.serial, "shell", "echo", "three")
    assert third.returncode == 1 and third.stdout == b""
    adb_server.wait_for_state(address.serial, "offline")
    # The phone is gone: the port no longer accepts, so the server's reconnects fail too.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address.host, address.port), timeout=2).close()
    assert [e.request for e in phone.log.entries()] == ["echo one", "echo two"]


@pytest.mark.parametrize("adbd", [{"latency_ms": 3000}], indirect=True)
def test_latency_through_the_real_server(adb_server, adbd) -> None:
    address, phone = adbd
    device = Client("127.0.0.1", adb_server.port).device(address.serial)
    with pytest.raises(TimeoutError):
        device.shell("id", timeout=0.3)
    phone.faults = type(phone.faults)()
    assert device.shell("id", timeout=10).startswith("uid=2000(shell)")
