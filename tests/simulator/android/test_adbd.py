"""The simulated adbd: the ADB transport protocol, first with a raw packet client (no adb
needed), then Tier B: pure-python-adb and the adb CLI -> Debian's real adb server -> adbd."""

from __future__ import annotations

import base64
import os
import socket
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from adb_protocol_helpers import (
    APK,
    APK_PATH,
    MODEL,
    HostSocket,
    ScriptedPhone,
    make_scripted_phone,
    read_shell_v2,
)
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
from ppadb.client import Client

from stalkerscan.simulator.android.adbd import parse_adb_public_key
from stalkerscan.simulator.android.base import AndroidState
from stalkerscan.simulator.android.host_server import UNAUTHORIZED_ERROR
from stalkerscan.simulator.android.run import AdbdProcess, ServerAddress, running_adbd
from stalkerscan.simulator.requestlog import Verdict

pytestmark = pytest.mark.timeout(60)

HELPERS = Path(__file__).resolve().parents[2] / "helpers"  # adb_protocol_helpers, for the adbd subprocess
BANNER = (b"device::ro.product.name=exampleprod;ro.product.model=Example Phone 1;"
          b"ro.product.device=example1;features=shell_v2,cmd,stat_v2,ls_v2")


def cmd(name: bytes) -> int:
    return int(struct.unpack("<I", name)[0])


CNXN, AUTH, OPEN, OKAY, CLSE, WRTE = (cmd(n) for n in (b"CNXN", b"AUTH", b"OPEN", b"OKAY",
                                                         b"CLSE", b"WRTE"))
NEW_VERSION, OLD_VERSION = 0x01000001, 0x01000000


# --------------------------------------------------------------------------- a raw packet client
class TransportClient:
    """Speaks the transport protocol as an adb server would, one packet at a time."""

    def __init__(self, address: ServerAddress, *, checksums: bool = True) -> None:
        self.address = address
        self.sock = socket.create_connection((address.host, address.port), timeout=5)
        self.checksums = checksums

    def reconnect(self) -> None:
        self.sock.close()
        self.sock = socket.create_connection((self.address.host, self.address.port), timeout=5)

    def send(self, command: int, arg0: int, arg1: int, data: bytes = b"",
             check: int | None = None) -> None:
        if check is None:
            check = sum(data) & 0xFFFFFFFF if self.checksums else 0
        self.sock.sendall(struct.pack("<6I", command, arg0, arg1, len(data), check,
                                      command ^ 0xFFFFFFFF) + data)

    def _exact(self, size: int) -> bytes:
        out = bytearray()
        while len(out) < size:
            chunk = self.sock.recv(size - len(out))
            if not chunk:
                raise EOFError
            out += chunk
        return bytes(out)

    def receive(self, timeout: float = 5.0) -> tuple[int, int, int, bytes, int]:
        self.sock.settimeout(timeout)
        command, arg0, arg1, length, check, magic = struct.unpack("<6I", self._exact(24))
        assert magic == command ^ 0xFFFFFFFF
        return command, arg0, arg1, self._exact(length), check

    def nothing_within(self, seconds: float) -> bool:
        self.sock.settimeout(seconds)
        try:
            return not self.sock.recv(1, socket.MSG_PEEK)  # closed counts as "nothing"
        except TimeoutError:
            return True

    def connect(self, version: int = NEW_VERSION, max_payload: int = 256 * 1024) -> tuple:
        self.send(CNXN, version, max_payload, b"host::features=shell_v2,cmd,stat_v2,ls_v2")
        return self.receive()

    def open(self, local_id: int, service: str) -> int:
        self.send(OPEN, local_id, 0, service.encode() + b"\0")
        command, arg0, arg1, _, _ = self.receive()
        assert (command, arg1) == (OKAY, local_id), "service refused"
        return arg0

    def read_stream(self, local_id: int, remote_id: int) -> list[bytes]:
        """Every WRTE payload until CLSE, acknowledging each."""
        payloads = []
        while True:
            command, arg0, arg1, data, _ = self.receive()
            if command == CLSE:
                return payloads
            assert (command, arg0, arg1) == (WRTE, remote_id, local_id)
            payloads.append(data)
            self.send(OKAY, local_id, remote_id)

    def close(self) -> None:
        self.sock.close()


def android_public_key(key: rsa.RSAPrivateKey) -> str:
    """``adbkey.pub`` text for a 2048-bit key (Android's RSAPublicKey struct, base64)."""
    numbers = key.public_key().public_numbers()
    n0inv = (-pow(numbers.n, -1, 1 << 32)) % (1 << 32)
    rr = pow(2, 4096, numbers.n)
    blob = (struct.pack("<II", 64, n0inv) + numbers.n.to_bytes(256, "little")
            + rr.to_bytes(256, "little") + struct.pack("<I", numbers.e))
    return base64.b64encode(blob).decode() + " tester@example.org"


def sign(key: rsa.RSAPrivateKey, token: bytes) -> bytes:
    return key.sign(token, padding.PKCS1v15(), utils.Prehashed(hashes.SHA1()))  # noqa: S303


@pytest.fixture(scope="module")
def host_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def raw(request: pytest.FixtureRequest) -> Iterator[TransportClient]:
    marker = request.node.get_closest_marker("phone")
    kwargs = dict(marker.kwargs) if marker else {}
    phone = make_scripted_phone(**kwargs.pop("phone", {}))
    with running_adbd(phone, **kwargs) as address:
        client = TransportClient(address)
        client.phone = phone  # type: ignore[attr-defined]
        yield client
        client.close()


# --------------------------------------------------------------------------- handshake and auth
def test_authorized_phone_answers_cnxn_with_its_banner(raw: TransportClient) -> None:
    command, version, max_payload, banner, check = raw.connect()
    assert (command, version, max_payload, banner) == (CNXN, NEW_VERSION, 256 * 1024, BANNER)
    assert check == 0  # new protocol: no checksums


@pytest.mark.phone(phone={"protocol_version": OLD_VERSION, "max_payload": 4096})
def test_old_phone_negotiates_down_and_checksums(raw: TransportClient) -> None:
    command, version, max_payload, banner, check = raw.connect()
    assert (command, version, max_payload) == (CNXN, OLD_VERSION, 4096)
    assert check == sum(banner)
    remote = raw.open(1, "shell:cat /proc/example_big")
    payloads = raw.read_stream(1, remote)
    assert max(len(p) for p in payloads) == 4096
    assert b"".join(payloads) == b"line of output\n" * 20000


@pytest.mark.phone(phone={"protocol_version": OLD_VERSION})
def test_old_phone_drops_a_packet_with_a_bad_checksum(raw: TransportClient) -> None:
    raw.connect()
    raw.send(OPEN, 1, 0, b"shell:id\0", check=12345)
    with pytest.raises(EOFError):
        raw.receive()


@pytest.mark.phone(phone={"state": AndroidState.UNAUTHORIZED})
def test_unauthorized_phone_sends_tokens_forever(raw: TransportClient,
                                                 host_key: rsa.RSAPrivateKey) -> None:
    command, kind, _, token, _ = raw.connect()
    assert (command, kind, len(token)) == (AUTH, 1, 20)
    raw.send(AUTH, 2, 0, sign(host_key, token))
    command, kind, _, second, _ = raw.receive()
    assert (command, kind) == (AUTH, 1) and second != token
    raw.send(AUTH, 3, 0, android_public_key(host_key).encode() + b"\0")
    assert raw.nothing_within(0.3)  # the dialog is up; nobody taps it


@pytest.mark.phone(phone={"state": AndroidState.PROMPT}, prompt_delay=0.2)
def test_prompt_phone_accepts_the_key_and_remembers_it(raw: TransportClient,
                                                       host_key: rsa.RSAPrivateKey) -> None:
    _, _, _, token, _ = raw.connect()
    raw.send(AUTH, 2, 0, sign(host_key, token))
    _, _, _, token, _ = raw.receive()
    raw.send(AUTH, 3, 0, android_public_key(host_key).encode() + b"\0")
    assert raw.receive()[0] == CNXN  # "Allow" tapped
    # Reconnecting, the same computer signs in without a prompt.
    raw.reconnect()
    _, _, _, token, _ = raw.connect()
    raw.send(AUTH, 2, 0, sign(host_key, token))
    assert raw.receive()[0] == CNXN


@pytest.fixture
def trusted_key_file(tmp_path: Path, host_key: rsa.RSAPrivateKey) -> Path:
    path = tmp_path / "adbkey.pub"
    path.write_text(android_public_key(host_key) + "\n")
    return path


def test_authorized_phone_with_trusted_keys_verifies_signatures(
        trusted_key_file: Path, host_key: rsa.RSAPrivateKey) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with running_adbd(make_scripted_phone(), trusted_keys=[trusted_key_file]) as address:
        client = TransportClient(address)
        _, _, _, token, _ = client.connect()
        client.send(AUTH, 2, 0, sign(stranger, token))
        command, kind, _, token, _ = client.receive()
        assert (command, kind) == (AUTH, 1)  # not trusted: try another key
        client.send(AUTH, 2, 0, sign(host_key, token))
        assert client.receive()[3] == BANNER
        client.close()


def test_public_key_parsing_round_trips(host_key: rsa.RSAPrivateKey) -> None:
    parsed = parse_adb_public_key(android_public_key(host_key))
    assert parsed.public_numbers() == host_key.public_key().public_numbers()
    with pytest.raises(ValueError):
        parse_adb_public_key("not-base64!! user@host")


@pytest.mark.phone(phone={"state": AndroidState.OFFLINE})
def test_offline_phone_never_answers(raw: TransportClient) -> None:
    raw.send(CNXN, NEW_VERSION, 4096, b"host::")
    assert raw.nothing_within(0.3)


# --------------------------------------------------------------------------- streams
def test_streams_wait_for_okay_before_the_next_write(raw: TransportClient) -> None:
    raw.connect(max_payload=4096)
    remote = raw.open(7, "exec:cat /proc/example_big")
    command, _, _, first, _ = raw.receive()
    assert command == WRTE and len(first) == 4096
    assert raw.nothing_within(0.3)  # flow control: no second WRTE before our OKAY
    raw.send(OKAY, 7, remote)
    command, _, _, second, _ = raw.receive()
    assert command == WRTE and first + second == (b"line of output\n" * 20000)[:8192]


def test_services_before_the_handshake_are_ignored(raw: TransportClient) -> None:
    raw.send(OPEN, 1, 0, b"shell:id\0")
    assert raw.nothing_within(0.3)


def test_refused_service_is_closed_and_logged(raw: TransportClient) -> None:
    raw.connect()
    raw.send(OPEN, 3, 0, b"reboot:bootloader\0")
    assert raw.receive()[:3] == (CLSE, 0, 3)
    entries = raw.phone.log.entries()  # type: ignore[attr-defined]
    assert [(e.layer, e.service, e.request, e.verdict) for e in entries] == [
        ("adb-transport", "service", "reboot:bootloader", Verdict.REFUSED)]


def test_shell_v2_stdin_packets_are_accepted(raw: TransportClient) -> None:
    raw.connect()
    remote = raw.open(2, "shell,v2,raw:")
    line = b"getprop ro.product.model\nexit\n"
    raw.send(WRTE, 2, remote, struct.pack("<BI", 5, 16) + b"24x80,0x0\0\0\0\0\0\0\0"
             + struct.pack("<BI", 0, len(line)) + line)
    output = bytearray()
    acknowledged = False
    while True:
        command, arg0, arg1, data, _ = raw.receive()
        if command == CLSE:
            break
        if command == OKAY:
            acknowledged = True  # our WRTE was taken
            continue
        assert (command, arg0, arg1) == (WRTE, remote, 2)
        output += data
        raw.send(OKAY, 2, remote)
    stdout, _, code = read_shell_v2(bytes(output))
    assert acknowledged and code == 0
    assert stdout == b"example1:/ $ Example Phone 1\nexample1:/ $ "


# --------------------------------------------------------------------------- Tier B: real adb
@pytest.fixture
def connected(adb_server, request: pytest.FixtureRequest) -> Iterator[tuple[ServerAddress,
                                                                            ScriptedPhone]]:
    marker = request.node.get_closest_marker("phone")
    kwargs = dict(marker.kwargs) if marker else {}
    phone = make_scripted_phone(**kwargs.pop("phone", {}))
    with running_adbd(phone, **kwargs) as address:
        answer = adb_server.connect(address.host, address.port)
        phone.connect_answer = answer  # type: ignore[attr-defined]
        yield address, phone
        adb_server.disconnect(address.serial)


def test_real_adb_connects_and_runs_commands(adb_server, connected) -> None:
    address, phone = connected
    assert phone.connect_answer == f"connected to {address.serial}"
    listing = adb_server.text("devices", "-l")
    assert (f"{address.serial:<22} device product:exampleprod model:Example_Phone_1 "
            f"device:example1 transport_id:") in listing
    model = adb_server.run("-s", address.serial, "shell", "getprop", "ro.product.model")
    assert (model.returncode, model.stdout) == (0, f"{MODEL}\n".encode())
    failed = adb_server.run("-s", address.serial, "shell", "ls /nonexistent")
    assert failed.returncode == 1  # the exit code came through shell v2
    assert failed.stderr == b"ls: /nonexistent: No such file or directory\n"
    assert failed.stdout == b""


def test_ppadb_through_the_real_server(adb_server, connected, tmp_path: Path) -> None:
    address, phone = connected
    device = Client("127.0.0.1", adb_server.port).device(address.serial)
    assert device is not None
    assert device.shell("id").startswith("uid=2000(shell)")
    device.pull(APK_PATH, str(tmp_path / "base.apk"))
    assert (tmp_path / "base.apk").read_bytes() == APK


def test_adb_pull_is_byte_exact(adb_server, connected, tmp_path: Path) -> None:
    address, phone = connected
    pulled = adb_server.run("-s", address.serial, "pull", APK_PATH, str(tmp_path / "a.apk"))
    assert pulled.returncode == 0, pulled
    assert (tmp_path / "a.apk").read_bytes() == APK
    assert [e.request for e in phone.log.entries()] == [f"STA2 {APK_PATH}", f"RECV {APK_PATH}"]


def test_refused_writes_are_logged(adb_server, connected, tmp_path: Path) -> None:
    address, phone = connected
    apk = tmp_path / "app.apk"
    apk.write_bytes(APK[:4096])
    pushed = adb_server.run("-s", address.serial, "push", str(apk), "/sdcard/app.apk")
    assert pushed.returncode == 1 and b"refused, not read-only" in pushed.stdout + pushed.stderr
    uninstalled = adb_server.run("-s", address.serial, "uninstall", "org.example.notes")
    assert uninstalled.returncode != 0
    cleared = adb_server.run("-s", address.serial, "shell", "pm", "clear", "org.example.notes")
    assert cleared.returncode == 1
    installed = adb_server.run("-s", address.serial, "install", str(apk))
    assert installed.returncode != 0
    rebooted = adb_server.run("-s", address.serial, "reboot")
    assert (rebooted.returncode, rebooted.stderr) == (1, b"error: closed\n")
    attempts = [(e.service, e.request) for e in phone.log.write_attempts()]
    assert attempts[0] == ("sync", "SEND /sdcard/app.apk,33188")
    assert attempts[1] == ("shell", "cmd package 'uninstall' 'org.example.notes'")
    assert attempts[2] == ("shell", "pm clear org.example.notes")
    assert attempts[3][0] == "exec" and attempts[3][1].startswith("cmd package 'install' -S 4096")
    assert attempts[4] == ("service", "reboot:")
    assert len(attempts) == 5


@pytest.mark.phone(phone={"state": AndroidState.UNAUTHORIZED})
def test_real_adb_shows_unauthorized(adb_server, connected) -> None:
    address, phone = connected
    assert phone.connect_answer == f"failed to authenticate to {address.serial}"
    assert adb_server.devices()[address.serial] == "unauthorized"
    refused = adb_server.run("-s", address.serial, "shell", "id")
    assert refused.stderr.decode() == f"error: {UNAUTHORIZED_ERROR}\n"
    assert phone.log.entries() == []


@pytest.mark.phone(phone={"state": AndroidState.PROMPT}, prompt_delay=1.0)
def test_real_adb_sees_the_prompt_then_the_phone(adb_server, connected) -> None:
    address, phone = connected
    assert phone.connect_answer == f"failed to authenticate to {address.serial}"
    assert adb_server.devices()[address.serial] == "unauthorized"
    adb_server.wait_for_state(address.serial, "device")
    assert adb_server.run("-s", address.serial, "shell", "echo", "ok").stdout == b"ok\n"


def test_real_adb_shows_offline(adb_server) -> None:
    phone = make_scripted_phone(state=AndroidState.OFFLINE)
    with running_adbd(phone) as address:
        # adb connect waits 10 s for an offline phone; ask and hang up instead.
        with HostSocket(adb_server.port) as conn:
            conn.request(f"host:connect:{address.serial}")
            assert conn.exact(4) == b"OKAY"
        adb_server.wait_for_state(address.serial, "offline")
        refused = adb_server.run("-s", address.serial, "shell", "id")
        assert refused.stderr == b"error: device offline\n"
        adb_server.disconnect(address.serial)


def test_real_adb_trusts_its_own_key(adb_server) -> None:
    phone = make_scripted_phone()
    with running_adbd(phone, trusted_keys=[adb_server.public_key_path]) as address:
        assert adb_server.connect(address.host, address.port) == f"connected to {address.serial}"
        adb_server.disconnect(address.serial)


def test_real_adb_with_a_key_the_phone_does_not_know(adb_server, trusted_key_file) -> None:
    phone = make_scripted_phone()
    with running_adbd(phone, trusted_keys=[trusted_key_file]) as address:
        assert adb_server.connect(address.host, address.port) == (
            f"failed to authenticate to {address.serial}")
        assert adb_server.devices()[address.serial] == "unauthorized"
        adb_server.disconnect(address.serial)


@pytest.mark.phone(phone={"protocol_version": OLD_VERSION, "max_payload": 4096,
                          "shell_v2": False, "crlf": True})
def test_real_adb_with_an_old_phone(adb_server, connected, tmp_path: Path) -> None:
    address, phone = connected
    assert adb_server.text("-s", address.serial, "features").split() == ["cmd", "stat_v2",
                                                                          "ls_v2"]
    echoed = adb_server.run("-s", address.serial, "shell", "echo", "hello")
    assert echoed.stdout == b"hello\r\n"  # legacy shell over a PTY
    failed = adb_server.run("-s", address.serial, "shell", "ls /nonexistent")
    # No shell v2: stderr arrives merged into stdout and the exit code is lost.
    assert (failed.returncode, failed.stdout) == (
        0, b"ls: /nonexistent: No such file or directory\r\n")
    pulled = adb_server.run("-s", address.serial, "pull", APK_PATH, str(tmp_path / "old.apk"))
    assert pulled.returncode == 0
    assert (tmp_path / "old.apk").read_bytes() == APK


def test_interactive_adb_shell(adb_server, connected) -> None:
    address, phone = connected
    session = adb_server.run("-s", address.serial, "shell",
                             input=b"getprop ro.product.model\npm uninstall org.example.notes\n")
    assert session.returncode == 1  # the last command's status
    assert b"Example Phone 1\n" in session.stdout
    assert [e.request for e in phone.log.write_attempts()] == ["pm uninstall org.example.notes"]


# --------------------------------------------------------------------------- own process
def test_adbd_in_its_own_process(adb_server) -> None:
    with AdbdProcess("adb_protocol_helpers:make_scripted_phone", python_path=[HELPERS],
                     options=["--serial", "PROC0001"]) as process:
        address, pid = process.address, process.pid
        assert address is not None and pid is not None
        assert adb_server.connect(address.host, address.port) == f"connected to {address.serial}"
        model = adb_server.run("-s", address.serial, "shell", "getprop", "ro.product.model")
        assert model.stdout == f"{MODEL}\n".encode()
        adb_server.run("-s", address.serial, "shell", "settings", "put", "global", "x", "1")
        assert [(e.layer, e.request, e.verdict) for e in process.requests()] == [
            ("adb-transport", "getprop ro.product.model", Verdict.READ),
            ("adb-transport", "settings put global x 1", Verdict.REFUSED)]
        adb_server.disconnect(address.serial)
    with pytest.raises(ProcessLookupError):  # stopped, and reaped
        os.kill(pid, 0)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address.host, address.port), timeout=2).close()


def test_adbd_process_refuses_an_emulator_port() -> None:
    with pytest.raises(RuntimeError, match="5555-5585"), AdbdProcess(
            "adb_protocol_helpers:make_scripted_phone", python_path=[HELPERS], options=["--port", "5560"]):
        pass


def test_module_runs_as_a_program() -> None:
    import subprocess

    done = subprocess.run([sys.executable, "-m", "stalkerscan.simulator.android.adbd", "--help"],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0 and "--factory" in done.stdout


def test_adbd_process_serves_a_builtin_profile(adb_server) -> None:
    with AdbdProcess(profile="android-clean", options=["--state", "authorized"]) as process:
        address = process.address
        assert address is not None
        assert adb_server.connect(address.host, address.port) == f"connected to {address.serial}"
        listing = adb_server.text("devices", "-l")
        assert f"{address.serial:<22} device product:" in listing
        assert "model:Pixel_8 " in listing  # the banner of the profile's phone
        model = adb_server.run("-s", address.serial, "shell", "getprop", "ro.product.model")
        assert (model.returncode, model.stdout) == (0, b"Pixel 8\n")
        assert [e.request for e in process.requests()] == ["getprop ro.product.model"]
        adb_server.disconnect(address.serial)


def test_adb_server_process_needs_the_adb_program() -> None:
    from stalkerscan.errors import AdbMissingError
    from stalkerscan.simulator.android.run import AdbServerProcess

    with pytest.raises(AdbMissingError) as missing:
        AdbServerProcess(adb="stalkerscan-no-such-adb")
    assert "not installed" in missing.value.message and "apt install adb" in str(missing.value)


def test_adb_server_process_stops_exactly_its_own_server() -> None:
    import os
    import shutil

    if shutil.which("adb") is None:
        pytest.skip("the adb binary is not installed (Debian package `adb`)")
    from stalkerscan.simulator.android.run import AdbServerProcess

    with AdbServerProcess() as server:
        pid, port, home = server.pid, server.port, server.home
        assert pid is not None and not 5555 <= port <= 5585
        assert server.public_key_path.read_text().strip()  # its own throwaway key
        assert server.devices() == {}
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert not home.exists()
