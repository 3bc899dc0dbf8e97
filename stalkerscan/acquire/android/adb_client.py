"""pure-python-adb, wrapped: exact reads, typed errors, timeouts, bytes, shell v2.

pure-python-adb (ppadb) gives us the adb server connection and its host-protocol framing, but:

- it reads headers with a single ``recv(n)``, so a fragmented stream desynchronises it and a
  pull hangs forever (upstream issues #52, #119): every read here is exact;
- it raises ``RuntimeError("ERROR: 'FAIL' 00a7device unauthorized...")``: every failure here
  is a typed :class:`~stalkerscan.errors.DeviceError` with advice;
- its ``shell`` uses legacy ``shell:`` (stderr merged, exit code lost) and decodes strictly as
  UTF-8: here output stays bytes, and shell protocol v2 is used where the phone offers it;
- it has no timeouts: here every socket has an idle timeout and every request a deadline.

Nothing in this module decides *what* to send; :mod:`stalkerscan.acquire.android.channel`
is the only caller and holds the read-only allowlist.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from stalkerscan.errors import (
    AdbServerError,
    DeviceDisconnectedError,
    DeviceError,
    DeviceOfflineError,
    DeviceTimeoutError,
    DeviceUnauthorizedError,
    FileRefusedError,
    MultipleDevicesError,
    NoDeviceError,
    ProtocolError,
)

with warnings.catch_warnings():
    # ppadb ships regexes with invalid escape sequences; harmless, and not ours to fix.
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", SyntaxWarning)
    from ppadb.client import Client as _PpadbClient
    from ppadb.connection import Connection as _PpadbConnection

Sink = Callable[[str, bytes], None]
"""Receives ``(stream, chunk)`` as data arrives: stream is ``stdout``, ``stderr`` or ``data``."""

UNAUTHORIZED_ADVICE = (
    "Unlock the phone and tap Allow on the 'Allow USB debugging?' prompt "
    "(tick 'Always allow from this computer' only if the person agrees), then try again."
)
OFFLINE_ADVICE = (
    "The phone is connected but not answering. Unplug the cable and plug it in again, "
    "unlock the phone, and check the 'Allow USB debugging?' prompt."
)
NO_PERMISSIONS_ADVICE = (
    "This computer is not allowed to talk to the phone over USB. On Linux, install the "
    "android-sdk-platform-tools-common package (udev rules for Android phones) or add a udev "
    "rule, add your user to the plugdev group, then unplug and replug the phone."
)


def error_from_fail(message: str, serial: str | None = None) -> DeviceError:
    """Turn an adb server FAIL message into a typed error with advice."""
    text = message.strip()
    lower = text.lower()
    who = f"The phone {serial}" if serial else "The phone"
    if "unauthorized" in lower:
        return DeviceUnauthorizedError(f"{who} has not allowed USB debugging from this computer.",
                                       UNAUTHORIZED_ADVICE)
    if "offline" in lower:
        return DeviceOfflineError(f"{who} is offline.", OFFLINE_ADVICE)
    if "more than one" in lower:
        return MultipleDevicesError(
            "More than one phone is connected.",
            "Unplug the other phones, or choose one with --serial (see `stalkerscan devices`).",
        )
    if "not found" in lower or "no devices" in lower or "no emulators" in lower:
        return NoDeviceError(
            f"{who} is not connected." if serial else "No phone is connected.",
            "Connect the phone with a USB cable that carries data, unlock it, and check that "
            "USB debugging is on (see docs/clinic-guide.md).",
        )
    if "permission" in lower:
        return DeviceError(f"{who} cannot be opened: {text}", NO_PERMISSIONS_ADVICE)
    if lower in ("closed", "device closed") or "connection reset" in lower or "disconnected" in lower:
        # The adb server answers "closed" when the phone went away under a request.
        return DeviceDisconnectedError(
            f"{who} stopped answering (the connection was closed).",
            "Check the cable and that the phone is still unlocked; everything read so far has "
            "been kept. Scan again into a new folder to complete the check.",
        )
    return ProtocolError(f"The adb server refused the request: {text}")


class ExactConnection(_PpadbConnection):
    """ppadb's connection with exact reads, typed errors and an overall deadline."""

    deadline: float | None = None
    serial: str | None = None
    """The phone a request is about, named in the errors the adb server's FAIL becomes."""

    def _remaining(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise DeviceTimeoutError(
                "The phone took too long to answer.",
                "Keep the phone unlocked and connected; a very large phone may need "
                "--timeout with a higher value.",
            )

    def recv_some(self, limit: int) -> bytes:
        """Up to ``limit`` bytes; ``b""`` at end of stream."""
        self._remaining()
        try:
            return self.socket.recv(limit)
        except TimeoutError as exc:
            raise DeviceTimeoutError(
                "The phone stopped answering in the middle of a request.",
                "Check the cable and that the phone is unlocked, then scan again.",
            ) from exc
        except OSError as exc:
            raise DeviceDisconnectedError(
                f"The connection to the phone was lost ({exc.strerror or exc}).",
                "Check the cable; everything read so far has been kept.",
            ) from exc

    def recv_streamed(self, length: int, on_chunk: Callable[[bytes], None]) -> None:
        """Exactly ``length`` bytes, each piece handed to ``on_chunk`` as it arrives (so a cable
        pulled half-way still leaves the bytes that came in), or :class:`DeviceDisconnectedError`."""
        remaining = length
        while remaining:
            chunk = self.recv_some(min(remaining, 65536))
            if not chunk:
                raise DeviceDisconnectedError(
                    "The connection to the phone closed in the middle of an answer.",
                    "Check the cable (was it pulled?); everything read so far has been kept.",
                )
            on_chunk(chunk)
            remaining -= len(chunk)

    def recv_exact(self, length: int) -> bytes:
        """Exactly ``length`` bytes, or :class:`DeviceDisconnectedError`."""
        chunks = bytearray()
        self.recv_streamed(length, chunks.extend)
        return bytes(chunks)

    # ppadb calls these; route them through exact reads.
    def _recv(self, length: int) -> bytes:
        return self.recv_exact(length)

    def _recv_into(self, length: int) -> bytearray:
        return bytearray(self.recv_exact(length))

    def read_all(self) -> bytearray:
        data = bytearray()
        while chunk := self.recv_some(65536):
            data += chunk
        return data

    def receive(self) -> str:
        length = int(self.recv_exact(4), 16)
        return self.recv_exact(length).decode("utf-8", "replace")

    def _check_status(self) -> bool:
        status = self.recv_exact(4)
        if status == b"OKAY":
            return True
        if status == b"FAIL":
            try:
                length = int(self.recv_exact(4), 16)
                message = self.recv_exact(length).decode("utf-8", "replace")
            except (ValueError, DeviceError):
                message = "(no reason given)"
            raise error_from_fail(message, self.serial)
        raise ProtocolError(f"Unexpected answer from the adb server: {status!r}")

    def send(self, msg: str) -> bool:
        data = msg.encode("utf-8")
        try:
            self.socket.sendall(b"%04x" % len(data) + data)
        except OSError as exc:
            raise DeviceDisconnectedError(f"Could not send to the adb server ({exc}).") from exc
        return self._check_status()


class _Client(_PpadbClient):
    def __init__(self, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port)
        self.timeout = timeout

    def create_connection(self, timeout: float | None = None) -> ExactConnection:
        conn = ExactConnection(self.host, self.port, timeout or self.timeout)
        try:
            conn.connect()
            # Requests are small and answered at once: don't let Nagle hold them back.
            conn.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except RuntimeError as exc:  # ppadb's "Is adb running on your computer?"
            raise AdbServerError(
                f"No adb server answers at {self.host}:{self.port}.",
                "stalkerscan starts one when the adb program is installed; see `stalkerscan devices`.",
            ) from exc
        return conn


@dataclass(frozen=True)
class DeviceEntry:
    """One line of ``adb devices -l``."""

    serial: str
    """adb serial."""

    state: str
    """``device``, ``unauthorized``, ``offline``, ``no permissions``, ``recovery``, ..."""

    model: str | None = None
    """``model:`` field as adb prints it (adb turns spaces and punctuation into ``_``)."""

    product: str | None = None
    """``product:`` field."""

    device: str | None = None
    """``device:`` field."""

    transport_id: str | None = None
    """``transport_id:`` field."""

    usb: str | None = None
    """``usb:`` field (bus path), where printed."""


_KNOWN_STATES = ("no permissions", "unauthorized", "offline", "device", "recovery", "sideload",
                 "bootloader", "authorizing", "connecting", "host", "rescue", "unknown")


def parse_devices_long(text: str) -> list[DeviceEntry]:
    """Parse ``host:devices-l`` output; tolerant of unknown states and fields."""
    entries = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("* ") or line.startswith("List of devices"):
            continue
        serial, _, rest = line.strip().partition(" ") if "\t" not in line else line.strip().partition("\t")
        rest = rest.strip()
        state = next((s for s in _KNOWN_STATES if rest.startswith(s)), rest.split(" ", 1)[0])
        fields: dict[str, str] = {}
        for token in rest[len(state):].split():
            key, sep, value = token.partition(":")
            if sep and key.isidentifier():
                fields[key] = value
        entries.append(
            DeviceEntry(
                serial=serial,
                state=state,
                model=fields.get("model") or None,
                product=fields.get("product") or None,
                device=fields.get("device") or None,
                transport_id=fields.get("transport_id") or None,
                usb=fields.get("usb") or None,
            )
        )
    return entries


@dataclass(frozen=True)
class ShellOutcome:
    """How a shell request ended (the bytes went to the sink)."""

    exit_code: int | None
    """Exit status with shell v2; None with legacy shell."""

    protocol: str
    """``shell-v2`` or ``shell``."""


class AdbClient:
    """The typed, exact-reading client every Android request goes through."""

    def __init__(self, host: str = "127.0.0.1", port: int = 5037, *, timeout: float = 30.0) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._client = _Client(host, port, timeout)

    # ------------------------------------------------------------------ host services
    def _host_request(self, request: str, *, with_response: bool = True, serial: str | None = None) -> str:
        conn = self._client.create_connection()
        conn.deadline = time.monotonic() + self.timeout
        conn.serial = serial
        try:
            conn.send(request)
            return conn.receive() if with_response else ""
        finally:
            conn.close()

    def server_version(self) -> int:
        """The adb server's protocol version."""
        return int(self._host_request("host:version"), 16)

    def devices(self) -> list[DeviceEntry]:
        """Every phone the adb server sees, in every state."""
        return parse_devices_long(self._host_request("host:devices-l"))

    def features(self, serial: str) -> frozenset[str]:
        """Transport features of one phone (``shell_v2``, ``cmd``, ``stat_v2``...)."""
        text = self._host_request(f"host-serial:{serial}:features", serial=serial)
        return frozenset(f.strip() for f in text.split(",") if f.strip())

    def connect(self, host: str, port: int) -> str:
        """``adb connect host:port`` (simulated phones and network debugging)."""
        return self._host_request(f"host:connect:{host}:{port}")

    # ------------------------------------------------------------------ device services
    def _open(self, serial: str, service: str, timeout: float) -> ExactConnection:
        conn = self._client.create_connection()
        conn.deadline = time.monotonic() + timeout
        conn.serial = serial
        try:
            conn.send(f"host:transport:{serial}")
            conn.send(service)
        except BaseException:
            conn.close()
            raise
        return conn

    def shell(self, serial: str, command: str, sink: Sink, *, v2: bool, timeout: float) -> ShellOutcome:
        """Run one shell command line, streaming its output to ``sink`` as it arrives."""
        if v2:
            conn = self._open(serial, f"shell,v2,raw:{command}", timeout)
            try:
                return ShellOutcome(self._read_shell_v2(conn, sink), "shell-v2")
            finally:
                conn.close()
        conn = self._open(serial, f"shell:{command}", timeout)
        try:
            while chunk := conn.recv_some(65536):
                sink("stdout", chunk)
        finally:
            conn.close()
        return ShellOutcome(None, "shell")

    @staticmethod
    def _read_shell_v2(conn: ExactConnection, sink: Sink) -> int | None:
        streams = {1: "stdout", 2: "stderr"}
        while True:
            header = conn.recv_some(5)
            if not header:
                # adbd always ends a shell v2 answer with an exit packet (AOSP
                # shell_service.cpp), so a stream that ends cleanly without one was cut short
                # between two packets (the cable came out, the adb server dropped the phone).
                # Returning here would keep a truncated answer as a complete one.
                raise DeviceDisconnectedError(
                    "The connection to the phone closed before the answer was complete.",
                    "Check the cable (was it pulled?); everything read so far has been kept.",
                )
            if len(header) < 5:
                header += conn.recv_exact(5 - len(header))
            packet_id, length = struct.unpack("<BI", header)
            if packet_id in streams:
                stream = streams[packet_id]
                conn.recv_streamed(length, lambda chunk, stream=stream: sink(stream, chunk))
                continue
            # The exit status is one byte; of any other packet nothing is kept.
            payload = bytearray()
            conn.recv_streamed(length, lambda chunk, payload=payload: payload.extend(chunk[: 4 - len(payload)]))
            if packet_id == 3:
                return payload[0] if payload else None

    def pull(self, serial: str, path: str, sink: Sink, *, timeout: float, max_bytes: int) -> int:
        """Read one file with the sync protocol (RECV), streaming to ``sink``; returns its size.

        Raises :class:`FileRefusedError` when the phone refuses (FAIL) or the file is larger
        than ``max_bytes``; other faults raise the usual :class:`DeviceError` subclasses.
        """
        conn = self._open(serial, "sync:", timeout)
        try:
            encoded = path.encode("utf-8")
            conn.socket.sendall(b"RECV" + struct.pack("<I", len(encoded)) + encoded)
            total = 0
            while True:
                header = conn.recv_exact(8)
                tag, length = header[:4], struct.unpack("<I", header[4:])[0]
                if tag == b"DATA":
                    if length > 64 * 1024:
                        raise ProtocolError(f"Sync DATA chunk of {length} bytes is larger than allowed.")
                    total += length
                    if total > max_bytes:
                        raise FileRefusedError(f"{path} is larger than the {max_bytes} byte limit; not pulled further.")
                    # Streamed as it arrives (not read whole first), so a cable pulled in
                    # the middle of a 64 KiB chunk still leaves the bytes that came in kept.
                    conn.recv_streamed(length, lambda chunk: sink("data", chunk))
                elif tag == b"DONE":
                    break
                elif tag == b"FAIL":
                    reason = conn.recv_exact(min(length, 4096)).decode("utf-8", "replace")
                    raise FileRefusedError(f"The phone refused to send {path}: {reason}")
                else:
                    raise ProtocolError(f"Unexpected sync answer {tag!r} while reading {path}.")
            with contextlib.suppress(OSError):  # the file is complete; a failed goodbye changes nothing
                conn.socket.sendall(b"QUIT" + struct.pack("<I", 0))
            return total
        finally:
            conn.close()
