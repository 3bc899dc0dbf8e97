"""Helpers and fixtures for the ADB protocol layer tests (re-exported by their conftest.py).

:class:`ScriptedPhone` is a deliberately small phone model (a handful of commands and files)
so that these tests exercise the protocol layers, not the phone model. It is also importable
as ``adb_protocol_helpers:make_scripted_phone`` by a simulated adbd in its own process (with
this folder on ``PYTHONPATH``).
"""

from __future__ import annotations

import hashlib
import shutil
import socket
import stat
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from stalkerscan.simulator.android.base import (
    AndroidPhoneModel,
    AndroidState,
    FileStat,
    ShellResult,
    TransportFaults,
)

HERE = Path(__file__).resolve().parent

MODEL = "Example Phone 1"
PRODUCT = "exampleprod"
DEVICE = "example1"
NOTES_PATH = "/sdcard/Download/notes.txt"
NOTES = b"shopping list\nmilk\neggs\n"
APK_PATH = "/data/app/~~c2ltdWxhdGVk==/org.example.notes-bm90ZXM==/base.apk"
MTIME = 1_700_000_000


def apk_bytes() -> bytes:
    """300 KiB of deterministic, non-repeating bytes: several 64 KiB sync chunks."""
    out = bytearray()
    counter = 0
    while len(out) < 300 * 1024:
        out += hashlib.sha256(counter.to_bytes(4, "big")).digest()
        counter += 1
    return bytes(out[:300 * 1024])


APK = apk_bytes()
GETPROP = (f"[ro.product.device]: [{DEVICE}]\n"
           f"[ro.product.model]: [{MODEL}]\n"
           f"[ro.product.name]: [{PRODUCT}]\n").encode()


@dataclass
class ScriptedPhone(AndroidPhoneModel):
    """A phone that knows a few commands and files, answering like Android does."""

    files: dict[str, bytes] = field(default_factory=lambda: {NOTES_PATH: NOTES, APK_PATH: APK})

    def banner_properties(self) -> dict[str, str]:
        return {"ro.product.name": PRODUCT, "ro.product.model": MODEL,
                "ro.product.device": DEVICE}

    def run_shell(self, cmdline: str) -> ShellResult:
        argv = cmdline.split()
        if cmdline == "getprop":
            return ShellResult(GETPROP)
        if argv[:1] == ["getprop"] and len(argv) == 2:
            value = {"ro.product.model": MODEL, "ro.product.name": PRODUCT,
                     "ro.product.device": DEVICE}.get(argv[1], "")
            return ShellResult(value.encode() + b"\n")
        if argv[:1] == ["echo"]:
            return ShellResult(" ".join(argv[1:]).encode() + b"\n")
        if argv[:1] == ["id"]:
            return ShellResult(b"uid=2000(shell) gid=2000(shell) groups=2000(shell) "
                               b"context=u:r:shell:s0\n")
        if argv[:1] == ["ls"] and len(argv) == 2:
            if self.stat(argv[1]) is None:
                return ShellResult(b"", f"ls: {argv[1]}: No such file or directory\n".encode(), 1)
            return ShellResult("\n".join(self.listdir(argv[1])).encode() + b"\n")
        if argv[:3] == ["pm", "list", "packages"]:
            return ShellResult(b"package:org.example.notes\npackage:net.example.weather\n")
        if argv[:2] == ["cat", "/proc/example_big"]:
            return ShellResult(b"line of output\n" * 20000)
        if argv[:1] == ["stat"]:
            return ShellResult(b"", b"warning: reading stderr\n", 3)
        return ShellResult(b"", f"/system/bin/sh: {argv[0] if argv else ''}: inaccessible "
                                f"or not found\n".encode(), 127)

    def _directories(self) -> set[str]:
        directories = {"/"}
        for path in self.files:
            parts = path.split("/")[1:-1]
            for index in range(1, len(parts) + 1):
                directories.add("/" + "/".join(parts[:index]))
        return directories

    def stat(self, path: str) -> FileStat | None:
        path = path.rstrip("/") or "/"
        if path in self.files:
            return FileStat(stat.S_IFREG | 0o644, len(self.files[path]), MTIME)
        if path in self._directories():
            return FileStat(stat.S_IFDIR | 0o771, 4096, MTIME)
        return None

    def read_file(self, path: str) -> bytes | None:
        return self.files.get(path)

    def listdir(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        names = {p[len(prefix):].split("/", 1)[0]
                 for p in self.files.keys() | self._directories()
                 if p.startswith(prefix) and p != prefix}
        return sorted(n for n in names if n)


def make_scripted_phone(serial: str = "SIM0001", state: AndroidState = AndroidState.AUTHORIZED,
                        **faults: object) -> ScriptedPhone:
    """A scripted phone with the given state and transport faults."""
    return ScriptedPhone(serial=serial, state=state, faults=TransportFaults(**faults))  # type: ignore[arg-type]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "phone(phone={...}, **server_options): the simulated phone a test runs "
        "against (make_scripted_phone arguments) and its server's options")


@pytest.fixture(autouse=True)
def close_ppadb_sockets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """pure-python-adb leaves its socket open when a call raises; close those after each test
    so that a leak of the simulator's own is not lost among them."""
    from ppadb.connection import Connection

    opened: list[socket.socket] = []
    connect = Connection.connect

    def recording_connect(self: Connection) -> socket.socket:
        sock = connect(self)
        opened.append(sock)
        return sock

    monkeypatch.setattr(Connection, "connect", recording_connect)
    yield
    for sock in opened:
        sock.close()


@pytest.fixture
def make_phone() -> Callable[..., ScriptedPhone]:
    return make_scripted_phone


# --------------------------------------------------------------------------- raw host protocol
class HostSocket:
    """A raw client of the host protocol, to see exactly what goes over the wire."""

    def __init__(self, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)

    def request(self, text: str) -> None:
        data = text.encode()
        self.sock.sendall(b"%04x" % len(data) + data)

    def exact(self, size: int) -> bytes:
        out = bytearray()
        while len(out) < size:
            chunk = self.sock.recv(size - len(out))
            if not chunk:
                raise EOFError(f"closed after {len(out)} of {size} bytes")
            out += chunk
        return bytes(out)

    def status(self) -> tuple[str, str | None]:
        """``("OKAY", None)`` or ``("FAIL", message)``."""
        status = self.exact(4).decode()
        if status == "FAIL":
            return status, self.string()
        return status, None

    def string(self) -> str:
        return self.exact(int(self.exact(4), 16)).decode()

    def rest(self) -> bytes:
        out = bytearray()
        while chunk := self.sock.recv(65536):
            out += chunk
        return bytes(out)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> HostSocket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def host_query(port: int, request: str) -> tuple[str, str | None]:
    """One host request answered with OKAY+string or FAIL+string."""
    with HostSocket(port) as conn:
        conn.request(request)
        status, message = conn.status()
        return status, (conn.string() if status == "OKAY" else message)


def read_shell_v2(data: bytes) -> tuple[bytes, bytes, int | None]:
    """stdout, stderr and exit code from a shell protocol v2 byte stream."""
    stdout, stderr, code = bytearray(), bytearray(), None
    offset = 0
    while offset + 5 <= len(data):
        packet_id, length = struct.unpack_from("<BI", data, offset)
        payload = data[offset + 5:offset + 5 + length]
        offset += 5 + length
        if packet_id == 1:
            stdout += payload
        elif packet_id == 2:
            stderr += payload
        elif packet_id == 3:
            code = payload[0]
    return bytes(stdout), bytes(stderr), code


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Poll until ``predicate()`` is true (state changes that take real time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or predicate}")


# --------------------------------------------------------------------------- real adb server
@pytest.fixture(scope="module")
def adb_server() -> Iterator[object]:
    """Debian's adb server on a random port with a throwaway HOME, one per test module."""
    if shutil.which("adb") is None:
        pytest.skip("the adb binary is not installed (Debian package `adb`)")
    from stalkerscan.simulator.android.run import AdbServerProcess

    with AdbServerProcess() as server:
        yield server
