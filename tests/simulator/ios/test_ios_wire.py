"""The wire protocols, driven by hand with blocking sockets and Python's ssl module.

These cover what the client libraries do not exercise in a normal scan: going back to plain
text after StopSession (libimobiledevice's way), TLS with the wrong certificate, usbmuxd's
answers to bad requests.
"""

from __future__ import annotations

import plistlib
import socket
import ssl
import struct
from pathlib import Path
from typing import Any

import pytest

from stalkerscan.simulator.ios.pairing import generate_pair_record
from stalkerscan.simulator.ios.phone import LOCKDOWND_PORT, SIMULATED_SYSTEM_BUID

pytestmark = pytest.mark.timeout(30)

_open_sockets: list[socket.socket] = []


@pytest.fixture(autouse=True)
def _close_client_sockets():
    yield
    while _open_sockets:
        _open_sockets.pop().close()


class MuxClient:
    """A minimal usbmuxd client (plist protocol) over a blocking unix socket."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        _open_sockets.append(self.sock)
        self.sock.connect(address)
        self.tag = 0

    def send(self, message: dict[str, Any], *, version: int = 1, kind: int = 8) -> None:
        self.tag += 1
        body = plistlib.dumps(message) if kind == 8 else b""
        self.sock.sendall(struct.pack("<IIII", 16 + len(body), version, kind, self.tag) + body)

    def receive(self) -> tuple[int, bytes]:
        header = recv_exactly(self.sock, 16)
        length, _version, kind, _tag = struct.unpack("<IIII", header)
        return kind, recv_exactly(self.sock, length - 16)

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        self.send(message)
        return plistlib.loads(self.receive()[1])

    def connect(self, device_id: int, port: int) -> dict[str, Any]:
        return self.request({"MessageType": "Connect", "DeviceID": device_id,
                             "PortNumber": socket.htons(port)})


def recv_exactly(sock: socket.socket | ssl.SSLSocket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def lockdown(sock: socket.socket | ssl.SSLSocket, message: dict[str, Any]) -> dict[str, Any]:
    body = plistlib.dumps(message)
    sock.sendall(struct.pack(">I", len(body)) + body)
    (length,) = struct.unpack(">I", recv_exactly(sock, 4))
    return plistlib.loads(recv_exactly(sock, length))


def client_context(tmp_path: Path, cert: bytes, key: bytes) -> ssl.SSLContext:
    pem = tmp_path / "host.pem"
    pem.write_bytes(cert + b"\n" + key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.load_cert_chain(str(pem))
    return context


def test_stop_session_returns_to_plain_text(serve, make_phone, tmp_path):
    phone = make_phone()
    record = phone.initial_pair_record
    assert record is not None
    mux = MuxClient(serve(phone))
    assert mux.connect(1, LOCKDOWND_PORT)["Number"] == 0
    started = lockdown(mux.sock, {"Request": "StartSession", "HostID": record.host_id,
                                  "SystemBUID": SIMULATED_SYSTEM_BUID})
    assert started["EnableSessionSSL"] is True
    tls = client_context(tmp_path, record.host_certificate, record.host_private_key).wrap_socket(
        mux.sock)
    assert lockdown(tls, {"Request": "GetValue", "Key": "SerialNumber"})["Value"] == (
        "SIMTEST00001")
    stopped = lockdown(tls, {"Request": "StopSession", "SessionID": started["SessionID"]})
    assert stopped["Result"] == "Success"
    plain = tls.unwrap()  # close_notify both ways, then plain text on the same socket
    assert lockdown(plain, {"Request": "QueryType"})["Type"] == "com.apple.mobile.lockdown"
    # Outside the session, private values are not given any more.
    assert lockdown(plain, {"Request": "GetValue", "Key": "SerialNumber"})["Error"] == (
        "GetProhibited")
    plain.close()


def test_libimobiledevice_style_root_certificate_is_accepted(serve, make_phone, tmp_path):
    phone = make_phone()
    record = phone.initial_pair_record
    assert record is not None
    mux = MuxClient(serve(phone))
    mux.connect(1, LOCKDOWND_PORT)
    lockdown(mux.sock, {"Request": "StartSession", "HostID": record.host_id})
    tls = client_context(tmp_path, record.root_certificate, record.root_private_key).wrap_socket(
        mux.sock)
    assert lockdown(tls, {"Request": "GetValue", "Key": "DeviceName"})["Value"] == "Test iPhone"
    tls.close()


def test_a_stranger_certificate_is_refused_in_the_handshake(serve, make_phone, tmp_path):
    phone = make_phone()
    record = phone.initial_pair_record
    assert record is not None
    stranger = generate_pair_record(phone.identity, system_buid=SIMULATED_SYSTEM_BUID,
                                    wifi_mac_address="02:00:00:00:00:09", escrow_bag=b"x")
    mux = MuxClient(serve(phone))
    mux.connect(1, LOCKDOWND_PORT)
    lockdown(mux.sock, {"Request": "StartSession", "HostID": record.host_id})
    context = client_context(tmp_path, stranger.host_certificate, stranger.host_private_key)
    tls = context.wrap_socket(mux.sock, do_handshake_on_connect=False)
    _open_sockets.append(tls)
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        tls.do_handshake()
        lockdown(tls, {"Request": "GetValue", "Key": "SerialNumber"})
    assert phone.log.count(service="GetValue") == 0


def test_session_for_an_unknown_host_is_refused(serve, make_phone):
    phone = make_phone()
    mux = MuxClient(serve(phone))
    mux.connect(1, LOCKDOWND_PORT)
    answer = lockdown(mux.sock, {"Request": "StartSession", "HostID": "UNKNOWN-HOST"})
    assert answer == {"Request": "StartSession", "Error": "InvalidHostID"}
    domain = lockdown(mux.sock, {"Request": "GetValue", "Domain": "com.apple.mobile.backup"})
    assert domain["Error"] == "GetProhibited"
    service = lockdown(mux.sock, {"Request": "StartService",
                                  "Service": "com.apple.mobile.installation_proxy"})
    assert service["Error"] == "InvalidService"


def test_usbmuxd_answers_bad_requests_like_usbmuxd(serve, make_phone):
    phone = make_phone()
    mux = MuxClient(serve(phone))
    assert mux.connect(1, 49999)["Number"] == 3  # nothing listens there: CONNREFUSED
    assert mux.connect(42, LOCKDOWND_PORT)["Number"] == 2  # no such device: BADDEV
    assert mux.request({"MessageType": "Frobnicate"})["Number"] == 1  # BADCOMMAND
    assert mux.request({"MessageType": "ReadBUID"}) == {"BUID": SIMULATED_SYSTEM_BUID}
    mux.send({}, version=0, kind=3)  # the old binary protocol
    kind, body = mux.receive()
    assert kind == 1 and struct.unpack("<I", body)[0] == 6  # RESULT BADVERSION
    devices = mux.request({"MessageType": "ListDevices"})["DeviceList"]
    assert [d["Properties"]["SerialNumber"] for d in devices] == [phone.udid]
    assert devices[0]["Properties"]["USBSerialNumber"] == phone.udid.replace("-", "")


def test_a_service_port_is_used_once(serve, make_phone, tmp_path):
    phone = make_phone()
    record = phone.initial_pair_record
    assert record is not None
    address = serve(phone)
    mux = MuxClient(address)
    mux.connect(1, LOCKDOWND_PORT)
    lockdown(mux.sock, {"Request": "StartSession", "HostID": record.host_id})
    tls = client_context(tmp_path, record.host_certificate, record.host_private_key).wrap_socket(
        mux.sock)
    port = lockdown(tls, {"Request": "StartService",
                          "Service": "com.apple.mobile.MCInstall"})["Port"]
    first = MuxClient(address)
    assert first.connect(1, port)["Number"] == 0
    assert lockdown(first.sock, {"RequestType": "HelloHostIdentifier"})["Status"] == "Acknowledged"
    second = MuxClient(address)
    assert second.connect(1, port)["Number"] == 3
    for sock in (first.sock, second.sock, tls):
        sock.close()
