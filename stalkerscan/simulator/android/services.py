"""Device-side ADB services, shared by the host-protocol server and the simulated adbd.

A real phone's adbd offers services by name: ``shell:CMD`` (legacy), ``shell,v2,...:CMD``
(shell protocol v2), ``exec:CMD`` and ``sync:`` (file transfer), and many others. The
simulated phone offers exactly these four; everything else (``reboot:``, ``remount:``,
``root:``, ``tcpip:``, ``framebuffer:``, ``jdwp:``, ``reverse:``, ``abb:``, ...) is refused and
logged through :meth:`AndroidPhoneModel.refuse_service`.

Every shell command line goes through :meth:`AndroidPhoneModel.shell` and every sync request
through :meth:`AndroidPhoneModel.sync_request`, so the read-only guard judges and logs it.

Both protocol layers hand these services a :class:`ServiceStream` (a TCP socket after the
host protocol's transport switch, or one ADB stream inside the transport protocol) and a
:class:`PhoneLink`, which applies the protocol-level faults of :class:`TransportFaults`.

Wire formats follow AOSP ``adb/daemon/shell_service.cpp``, ``adb/shell_protocol.h``,
``adb/daemon/file_sync_service.cpp`` and ``adb/file_sync_protocol.h``.
"""

from __future__ import annotations

import abc
import asyncio
import logging
import socket
import stat as stat_module
import struct
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from stalkerscan.simulator.android.base import AndroidPhoneModel, FileStat, TransportFaults
from stalkerscan.simulator.serving import paced_pieces

logger = logging.getLogger(__name__)

LAYER_HOST = "adb-host"
"""Request-log layer name of the host-protocol server."""

LAYER_TRANSPORT = "adb-transport"
"""Request-log layer name of the simulated adbd."""

SYNC_DATA_MAX = 64 * 1024
"""Largest sync DATA chunk (AOSP ``SYNC_DATA_MAX``)."""

SYNC_PATH_MAX = 1024
"""Longest path a sync request may carry (AOSP ``file_sync_service.cpp``)."""

# Shell protocol v2 packet ids (AOSP shell_protocol.h).
SHELL_STDIN = 0
SHELL_STDOUT = 1
SHELL_STDERR = 2
SHELL_EXIT = 3
SHELL_CLOSE_STDIN = 4
SHELL_WINDOW_SIZE = 5

_SHELL_HEADER = struct.Struct("<BI")
_SHELL_CHUNK = 32 * 1024  # payload bytes per shell v2 packet

# Linux errno values as they travel in STA2/LST2/DNT2 (AOSP errno_to_wire).
_ENOENT = 2

# Sync request ids this phone answers, and the ones that write.
_SYNC_READ_IDS = frozenset({b"STAT", b"STA2", b"LST2", b"LIST", b"LIS2", b"RECV"})
_SYNC_WRITE_IDS = frozenset({b"SEND", b"SND2"})

# Stand-ins for what FileStat does not model (device, owner); constant so answers repeat.
_STAT_DEV = 0xFD05
_STAT_UID = 1000
_STAT_GID = 1000


class StreamClosed(Exception):
    """The host closed the stream (or the connection under it) before the service finished."""


class CablePulled(Exception):
    """The ``disconnect_after`` fault fired: the phone is gone, drop every connection."""


# --------------------------------------------------------------------------- link and faults
class PhoneLink:
    """One simulated phone as one protocol layer serves it.

    Counts requests for the ``disconnect_after`` fault, applies the per-request latency, and
    remembers whether the cable has been pulled. Each protocol server keeps one per phone.
    """

    def __init__(self, phone: AndroidPhoneModel, layer: str) -> None:
        self.phone = phone
        self.layer = layer
        self.requests = 0
        self.unplugged = False
        self._unplug_listeners: list[Callable[[], None]] = []

    @property
    def faults(self) -> TransportFaults:
        """The phone's current protocol faults (read each time: tests may change them)."""
        return self.phone.faults

    def on_unplug(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` once when the cable is pulled."""
        self._unplug_listeners.append(listener)

    def pull_cable(self) -> None:
        """Mark the phone gone and tell the layer to drop its connections."""
        if self.unplugged:
            return
        self.unplugged = True
        logger.info("%s: %s: cable pulled after %d requests", self.layer, self.phone.serial,
                    self.requests)
        for listener in self._unplug_listeners:
            listener()

    async def begin_request(self) -> None:
        """Account for one request: pull the cable when it is one too many, else delay it.

        Raises :class:`CablePulled` when the phone is (now) gone.
        """
        if self.unplugged:
            raise CablePulled(self.phone.serial)
        limit = self.faults.disconnect_after
        if limit is not None and self.requests >= limit:
            self.pull_cable()
            raise CablePulled(self.phone.serial)
        self.requests += 1
        if self.faults.latency_ms > 0:
            await asyncio.sleep(self.faults.latency_ms / 1000)


class ServiceStream(abc.ABC):
    """A byte stream between the host and one service on the phone.

    Subclasses move bytes (a TCP socket, or one ADB stream of WRTE packets); this class
    applies the ``fragment`` and ``slow_bytes_per_second`` faults when writing.
    """

    max_piece: int = 1 << 20
    """Largest piece the layer sends as one unit (the transport's max payload)."""

    fragment_pause: float = 0.001
    """Pause after each fragment so that pieces leave (and reach a reader) one by one."""

    def __init__(self, faults: Callable[[], TransportFaults]) -> None:
        self._faults = faults

    @abc.abstractmethod
    async def read_exact(self, size: int) -> bytes:
        """Exactly ``size`` bytes from the host; raises :class:`StreamClosed` at its end."""

    @abc.abstractmethod
    async def read_some(self) -> bytes:
        """The next bytes from the host (at least one); ``b""`` when the host closed its side."""

    @abc.abstractmethod
    async def send_piece(self, piece: bytes) -> None:
        """Send one piece as one unit; raises :class:`StreamClosed` if the host went away."""

    async def write(self, data: bytes) -> None:
        """Send ``data``, cut and paced according to the phone's faults."""
        if not data:
            return
        faults = self._faults()
        pieces = paced_pieces(data, fragment=faults.fragment,
                              bytes_per_second=faults.slow_bytes_per_second,
                              largest=self.max_piece)
        fragmented = 0 < faults.fragment < len(data)
        for piece, pause in pieces:
            await self.send_piece(piece)
            if pause:
                await asyncio.sleep(pause)
            elif fragmented and self.fragment_pause:
                await asyncio.sleep(self.fragment_pause)


# --------------------------------------------------------------------------- servers
ConnectionHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class TcpServer:
    """A TCP server that owns its listening socket and every connection it accepted.

    asyncio 3.11's ``Server.close()`` leaves accepted connections open, and a connection whose
    acceptance is still in flight when it closes is dropped without being closed. Here the
    accept loop is ours, so :meth:`close` leaves no socket and no task behind.
    """

    def __init__(self, handler: ConnectionHandler) -> None:
        self._handler = handler
        self._listener: socket.socket | None = None
        self._adopting: set[asyncio.Task[None]] = set()
        self._transports: set[asyncio.BaseTransport] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Listen on ``host:port``; returns the bound address."""
        listener = socket.create_server((host, port))
        listener.setblocking(False)
        self._listener = listener
        asyncio.get_running_loop().add_reader(listener.fileno(), self._accept_ready)
        bound = listener.getsockname()
        return bound[0], bound[1]

    def _accept_ready(self) -> None:
        # Accepting here, not in a cancellable task, means no accepted socket is ever lost.
        while self._listener is not None:
            try:
                connection, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of file descriptors and the like: try again later
                logger.warning("simulated server could not accept a connection: %s", exc)
                return
            connection.setblocking(False)
            # Like adbd and the adb server: small answers leave at once instead of waiting
            # ~40 ms for Nagle's algorithm (it made every pull through the real server slow).
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            task = asyncio.ensure_future(self._adopt(connection))
            self._adopting.add(task)
            task.add_done_callback(self._adopting.discard)

    async def _adopt(self, connection: socket.socket) -> None:
        try:
            await asyncio.get_running_loop().connect_accepted_socket(self._protocol, connection)
        except BaseException:
            connection.close()
            raise

    def _protocol(self) -> asyncio.Protocol:
        server = self

        class Protocol(asyncio.StreamReaderProtocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                self.tracked_transport = transport
                server._transports.add(transport)
                super().connection_made(transport)

            def connection_lost(self, exc: Exception | None) -> None:
                server._transports.discard(self.tracked_transport)
                super().connection_lost(exc)

        return Protocol(asyncio.StreamReader(limit=1 << 20), self._run_handler)

    async def _run_handler(self, reader: asyncio.StreamReader,
                           writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)  # type: ignore[arg-type]
        try:
            await self._handler(reader, writer)
        except (asyncio.CancelledError, ConnectionError, asyncio.IncompleteReadError):
            pass  # end normally: asyncio 3.11 logs an error for a cancelled handler
        finally:
            writer.close()
            if task is not None:
                self._tasks.discard(task)  # type: ignore[arg-type]

    async def stop_listening(self) -> None:
        """Refuse new connections (those already open stay)."""
        listener, self._listener = self._listener, None
        if listener is not None:
            asyncio.get_running_loop().remove_reader(listener.fileno())
            listener.close()
        if self._adopting:  # connections accepted a moment ago: let them become transports
            await asyncio.gather(*list(self._adopting), return_exceptions=True)

    def drop_connections(self) -> None:
        """Cut every open connection at once."""
        for transport in list(self._transports):
            transport.abort()  # type: ignore[attr-defined]

    async def close(self) -> None:
        """Stop listening, drop every connection and end every handler."""
        await self.stop_listening()
        self.drop_connections()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


# --------------------------------------------------------------------------- services
class Service(abc.ABC):
    """One opened service, ready to run over a stream."""

    @abc.abstractmethod
    async def run(self, link: PhoneLink, stream: ServiceStream) -> None:
        """Serve the host until done. May raise :class:`StreamClosed` or :class:`CablePulled`."""


@dataclass(frozen=True)
class ShellRequest:
    """A parsed ``shell[,args]:CMD`` or ``exec:CMD`` service name."""

    command: str
    """The command line (empty: an interactive shell)."""

    service: str
    """``shell`` or ``exec`` (the request log's service name)."""

    protocol_v2: bool
    """Shell protocol v2 packets (separate stderr, exit code)."""

    pty: bool
    """Run under a pseudo-terminal: stderr merged into stdout, LF sent as CRLF."""


def parse_shell_service(name: str) -> ShellRequest | None:
    """Parse a shell or exec service name as adbd does; None when it is neither.

    ``shell[,arg,...]:[command]`` with args ``v2``, ``raw``, ``pty``, ``TERM=...``; without
    ``raw``/``pty`` an empty command gets a PTY and a command gets a raw pipe.
    """
    if name.startswith("exec:"):
        return ShellRequest(name[len("exec:"):], "exec", protocol_v2=False, pty=False)
    if not name.startswith("shell"):
        return None
    head, colon, command = name[len("shell"):].partition(":")
    if not colon or (head and not head.startswith(",")):
        return None
    protocol_v2 = False
    pty: bool | None = None
    for arg in head.split(",")[1:]:
        if arg == "v2":
            protocol_v2 = True
        elif arg == "raw":
            pty = False
        elif arg == "pty":
            pty = True
        # TERM=... and unknown arguments are ignored, as adbd does.
    if pty is None:
        pty = command == ""
    return ShellRequest(command, "shell", protocol_v2, pty)


async def open_service(link: PhoneLink, name: str) -> Service | None:
    """Open the named service on the phone, or refuse it (logged) and return None.

    Counts as one request for shell and exec (and for refused services); ``sync:`` counts
    each of its requests instead. Raises :class:`CablePulled` when the cable is pulled.
    """
    phone = link.phone
    if name.startswith("sync:"):
        if link.unplugged:
            raise CablePulled(phone.serial)
        return SyncService()
    shell = parse_shell_service(name)
    offered = shell is not None and (not shell.protocol_v2 or link.faults.shell_v2)
    await link.begin_request()
    if not offered or shell is None:
        # Not offered by this phone: a write-capable service, or shell v2 on an old phone.
        logger.info("%s: %s: refused service %r", link.layer, phone.serial, name)
        phone.refuse_service(name, layer=link.layer)
        return None
    if shell.command.strip() == "":
        return InteractiveShellService(shell)
    return ShellCommandService(shell)


def _to_crlf(data: bytes) -> bytes:
    """What a PTY's ``onlcr`` does to output: every LF leaves as CRLF."""
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


async def _send_shell_packet(stream: ServiceStream, packet_id: int, data: bytes) -> None:
    out = bytearray()
    for start in range(0, len(data), _SHELL_CHUNK):
        chunk = data[start:start + _SHELL_CHUNK]
        out += _SHELL_HEADER.pack(packet_id, len(chunk)) + chunk
    if out:
        await stream.write(bytes(out))


class ShellCommandService(Service):
    """``shell:CMD``, ``shell,v2,...:CMD`` and ``exec:CMD``: run one command line and close.

    Legacy ``shell:`` and ``exec:`` have no protocol: stderr goes down the same pipe as
    stdout and the exit code is lost (AOSP ``SubprocessProtocol::kNone``). Legacy shell
    answers with CRLF line ends when the phone has the ``crlf`` fault (Android 6 and older
    always ran it under a PTY). Shell v2 sends stdout (id 1), stderr (id 2) and the exit code
    (id 3); under a PTY stderr is merged into stdout and LF becomes CRLF.
    """

    def __init__(self, request: ShellRequest) -> None:
        self.request = request

    async def run(self, link: PhoneLink, stream: ServiceStream) -> None:
        request = self.request
        result = link.phone.shell(request.command, layer=link.layer, service=request.service)
        if request.protocol_v2:
            if request.pty:
                await _send_shell_packet(stream, SHELL_STDOUT,
                                         _to_crlf(result.stdout + result.stderr))
            else:
                await _send_shell_packet(stream, SHELL_STDOUT, result.stdout)
                await _send_shell_packet(stream, SHELL_STDERR, result.stderr)
            await stream.write(_SHELL_HEADER.pack(SHELL_EXIT, 1) + bytes([result.exit_code & 0xFF]))
            return
        merged = result.stdout + result.stderr
        if request.service == "shell" and (request.pty or link.faults.crlf):
            merged = _to_crlf(merged)
        await stream.write(merged)


class InteractiveShellService(Service):
    """``adb shell`` with no command: a small line-editing shell for practice sessions.

    It echoes what is typed (as a PTY would), runs each line through the phone's guarded
    :meth:`~AndroidPhoneModel.shell`, and ends on ``exit``, Ctrl-D on an empty line, or
    when the host closes stdin.
    """

    def __init__(self, request: ShellRequest) -> None:
        self.request = request
        self._inbox = bytearray()
        self._stdin_closed = False

    async def _read_input(self, stream: ServiceStream) -> bytes:
        """Typed bytes; ``b""`` at the end of input."""
        if not self.request.protocol_v2:
            return await stream.read_some()
        while not self._stdin_closed:
            try:
                header = await stream.read_exact(_SHELL_HEADER.size)
            except StreamClosed:
                return b""
            packet_id, length = _SHELL_HEADER.unpack(header)
            payload = await stream.read_exact(length) if length else b""
            if packet_id == SHELL_STDIN and payload:
                return payload
            if packet_id == SHELL_CLOSE_STDIN:
                self._stdin_closed = True
            # SHELL_WINDOW_SIZE and anything else: nothing to do for a line shell.
        return b""

    async def _out(self, stream: ServiceStream, data: bytes) -> None:
        if not data:
            return
        if self.request.pty:
            data = _to_crlf(data)
        if self.request.protocol_v2:
            await _send_shell_packet(stream, SHELL_STDOUT, data)
        else:
            await stream.write(data)

    async def run(self, link: PhoneLink, stream: ServiceStream) -> None:
        device = link.phone.banner_properties().get("ro.product.device", "android")
        prompt = f"{device}:/ $ ".encode()
        echo = self.request.pty
        line = bytearray()
        status = 0
        await self._out(stream, prompt)
        while True:
            typed = await self._read_input(stream)
            if not typed:
                break
            finished = False
            for byte in typed:
                char = bytes([byte])
                if char in (b"\r", b"\n"):
                    if echo:
                        await self._out(stream, b"\n")
                    command = line.decode("utf-8", "replace").strip()
                    line.clear()
                    if command == "exit":
                        finished = True
                        break
                    if command:
                        await link.begin_request()
                        result = link.phone.shell(command, layer=link.layer, service="shell")
                        status = result.exit_code
                        await self._out(stream, result.stdout + result.stderr)
                    await self._out(stream, prompt)
                elif char in (b"\x7f", b"\x08"):
                    if line:
                        line.pop()
                        if echo:
                            await self._out(stream, b"\b \b")
                elif char == b"\x03":  # Ctrl-C: drop the line
                    line.clear()
                    await self._out(stream, b"^C\n" + prompt)
                elif char == b"\x04" and not line:  # Ctrl-D on an empty line
                    finished = True
                    break
                else:
                    line += char
                    if echo:
                        await self._out(stream, char)
            if finished:
                break
        if self.request.protocol_v2:
            await stream.write(_SHELL_HEADER.pack(SHELL_EXIT, 1) + bytes([status & 0xFF]))


# --------------------------------------------------------------------------- sync
def _inode(path: str) -> int:
    """A stable inode number for a path (not modelled, but must repeat)."""
    return zlib.crc32(path.encode("utf-8", "surrogateescape")) or 1


def _stat_v2_fields(path: str, found: FileStat | None) -> tuple[int, ...]:
    """error, dev, ino, mode, nlink, uid, gid, size, atime, mtime, ctime."""
    if found is None:
        return (_ENOENT, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    nlink = 2 if stat_module.S_ISDIR(found.mode) else 1
    return (0, _STAT_DEV, _inode(path), found.mode, nlink, _STAT_UID, _STAT_GID, found.size,
            found.mtime, found.mtime, found.mtime)


_STAT_V1 = struct.Struct("<4sIII")
_STAT_V2 = struct.Struct("<4sIQQIIIIQqqq")
_DENT_V1 = struct.Struct("<4sIIII")
_DENT_V2 = struct.Struct("<4sIQQIIIIQqqqI")
_SYNC_HEADER = struct.Struct("<4sI")


def _join(directory: str, name: str) -> str:
    if name == ".":
        return directory
    if name == "..":
        parent = directory.rstrip("/").rsplit("/", 1)[0]
        return parent or "/"
    return directory.rstrip("/") + "/" + name


class SyncService(Service):
    """``sync:``: the file transfer protocol, read-only.

    Answers STAT (lstat v1), STA2/LST2 (stat v2), LIST/LIS2 (directory listings, with ``.``
    and ``..`` as readdir gives them) and RECV (DATA chunks of at most 64 KiB, then DONE).
    SEND is refused with FAIL (after reading and discarding what the host sends, as adbd
    does so that the host sees the FAIL); any other request gets FAIL ``unknown command``.
    After a failure the service closes, as adbd's does.
    """

    async def run(self, link: PhoneLink, stream: ServiceStream) -> None:
        while True:
            try:
                header = await stream.read_exact(_SYNC_HEADER.size)
            except StreamClosed:
                return
            ident, length = _SYNC_HEADER.unpack(header)
            if ident == b"QUIT":
                return
            if length > SYNC_PATH_MAX:
                await self._fail(stream, "path too long")
                return
            raw_path = await stream.read_exact(length) if length else b""
            path = raw_path.decode("utf-8", "surrogateescape")
            op = ident.decode("ascii", "replace")
            await link.begin_request()
            if ident not in _SYNC_READ_IDS and ident not in _SYNC_WRITE_IDS:
                link.phone.refuse_service(f"sync:{op}", layer=link.layer)
                code = struct.unpack("<I", ident)[0]
                await self._fail(stream, f"unknown command {code:08x}")
                return
            if not link.phone.sync_request(op, path, layer=link.layer):
                await self._fail(stream, f"stalkerscan simulator: refused, not read-only: "
                                         f"sync {op} writes")
                if ident == b"SEND":
                    await self._discard_upload(stream)
                return
            if not await self._answer(link.phone, stream, ident, path):
                return

    async def _answer(self, phone: AndroidPhoneModel, stream: ServiceStream, ident: bytes,
                      path: str) -> bool:
        """Answer one read request; False when the service must close afterwards."""
        if ident == b"STAT":
            found = phone.stat(path)
            if found is None:
                await stream.write(_STAT_V1.pack(b"STAT", 0, 0, 0))
            else:
                await stream.write(_STAT_V1.pack(b"STAT", found.mode & 0xFFFFFFFF,
                                                 found.size & 0xFFFFFFFF,
                                                 found.mtime & 0xFFFFFFFF))
            return True
        if ident in (b"STA2", b"LST2"):
            await stream.write(_STAT_V2.pack(ident, *_stat_v2_fields(path, phone.stat(path))))
            return True
        if ident in (b"LIST", b"LIS2"):
            await stream.write(self._listing(phone, path, v2=ident == b"LIS2"))
            return True
        return await self._send_file(phone, stream, path)

    @staticmethod
    def _listing(phone: AndroidPhoneModel, path: str, *, v2: bool) -> bytes:
        out = bytearray()
        directory = phone.stat(path)
        if directory is not None and stat_module.S_ISDIR(directory.mode):
            for name in [".", "..", *phone.listdir(path)]:
                full = _join(path, name)
                found = phone.stat(full)
                encoded = name.encode("utf-8", "surrogateescape")
                if v2:
                    out += _DENT_V2.pack(b"DNT2", *_stat_v2_fields(full, found), len(encoded))
                elif found is None:
                    continue  # adbd v1 skips entries it cannot lstat
                else:
                    out += _DENT_V1.pack(b"DENT", found.mode & 0xFFFFFFFF,
                                         found.size & 0xFFFFFFFF, found.mtime & 0xFFFFFFFF,
                                         len(encoded))
                out += encoded
        if v2:
            out += _DENT_V2.pack(b"DONE", *([0] * 12))
        else:
            out += _DENT_V1.pack(b"DONE", 0, 0, 0, 0)
        return bytes(out)

    async def _send_file(self, phone: AndroidPhoneModel, stream: ServiceStream, path: str) -> bool:
        found = phone.stat(path)
        if found is not None and stat_module.S_ISDIR(found.mode):
            await self._fail(stream, "read failed: Is a directory")
            return False
        data = phone.read_file(path)
        if data is None:
            await self._fail(stream, "open failed: No such file or directory")
            return False
        for start in range(0, len(data), SYNC_DATA_MAX):
            chunk = data[start:start + SYNC_DATA_MAX]
            await stream.write(_SYNC_HEADER.pack(b"DATA", len(chunk)) + chunk)
        await stream.write(_SYNC_HEADER.pack(b"DONE", 0))
        return True

    @staticmethod
    async def _fail(stream: ServiceStream, reason: str) -> None:
        encoded = reason.encode()
        await stream.write(_SYNC_HEADER.pack(b"FAIL", len(encoded)) + encoded)

    @staticmethod
    async def _discard_upload(stream: ServiceStream) -> None:
        """Read and drop DATA until DONE, so the host reads our FAIL instead of a reset."""
        try:
            while True:
                ident, length = _SYNC_HEADER.unpack(await stream.read_exact(_SYNC_HEADER.size))
                if ident != b"DATA" or length > SYNC_DATA_MAX:
                    return
                await stream.read_exact(length)
        except StreamClosed:
            return
