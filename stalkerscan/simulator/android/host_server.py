"""The ADB *host protocol* server (what listens on tcp:5037), serving simulated phones.

pure-python-adb and the ``adb`` command line talk to it exactly as to the real adb server:
requests are four hex digits of length and ASCII text; answers are ``OKAY`` or ``FAIL``
followed by a hex-length string. Host services (``host:version``, ``host:devices-l``,
``host:transport:SERIAL``, ``host-serial:SERIAL:get-state``, ``host:connect:...``) are answered
here; after a transport switch the device services of :mod:`.services` run on the socket.

Device lists, states and error texts follow AOSP ``adb/transport.cpp``
(``acquire_one_transport``, ``append_transport``), ``adb/adb.cpp`` (``handle_host_request``),
``adb/sockets.cpp`` (``skip_host_serial``, ``smart_socket_enqueue``) and ``diagnose_usb.cpp``,
as Debian's adb 29 server prints them.

Phones whose serial is ``HOST:PORT`` are network (``adb connect``) phones: they sort after USB
phones, have no devpath, and can be disconnected and connected again. The others are USB
phones with a ``usb:1-N`` devpath. A phone can also be listed as ``no permissions`` (the
computer sees it on USB but may not open it: a udev problem on the host, not a phone state).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from stalkerscan.simulator.android.base import AndroidPhoneModel, AndroidState
from stalkerscan.simulator.android.services import (
    LAYER_HOST,
    CablePulled,
    PhoneLink,
    ServiceStream,
    StreamClosed,
    TcpServer,
    open_service,
)

logger = logging.getLogger(__name__)

ADB_SERVER_VERSION = 41
"""``host:version`` of Debian's adb 29 (and every adb since 2019); the CLI checks it."""

MAX_REQUEST = 1024 * 1024
"""Longest host request (AOSP ``MAX_PAYLOAD``)."""

HOST_FEATURES = ("push_sync", "remount_shell", "abb_exec", "abb", "apex", "fixed_push_mkdir",
                 "ls_v2", "stat_v2", "fixed_push_symlink_timestamp", "cmd", "shell_v2")
"""What ``adb host-features`` prints for Debian's adb 29 server."""

_PERMISSIONS_URL = "http://developer.android.com/tools/device.html"
_UDEV_PROBLEM = "user in plugdev group; are your udev rules wrong?"

NO_PERMISSIONS_STATE = f"no permissions ({_UDEV_PROBLEM}); see [{_PERMISSIONS_URL}]"
"""The state ``adb devices`` shows for a USB phone the computer may not open."""

NO_PERMISSIONS_ERROR = (f"insufficient permissions for device: {_UDEV_PROBLEM}\n"
                        f"See [{_PERMISSIONS_URL}] for more information")
"""The error for a request aimed at such a phone."""

UNAUTHORIZED_ERROR = ("device unauthorized.\n"
                      "This adb server's $ADB_VENDOR_KEYS is not set\n"
                      "Try 'adb kill-server' if that seems wrong.\n"
                      "Otherwise check for a confirmation dialog on your device.")
"""The error for a request aimed at a phone that has not allowed USB debugging."""

OFFLINE_ERROR = "device offline"
"""The error for a request aimed at a phone that does not answer."""

DEFAULT_TCP_PORT = 5555
"""The port ``adb connect HOST`` assumes."""

_LINGER_SECONDS = 5.0  # how long to wait for the client to close after a finished service


@dataclass
class _Attachment:
    """One phone as the adb server sees it (one "transport")."""

    link: PhoneLink
    transport_id: int
    devpath: str
    network: bool
    no_permissions: bool
    plugged_at: float
    connected: bool = True
    device_connections: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def phone(self) -> AndroidPhoneModel:
        return self.link.phone

    @property
    def serial(self) -> str:
        return self.link.phone.serial


def _hex_string(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return b"%04x" % len(data) + data


def _okay(payload: str | bytes | None = None) -> bytes:
    return b"OKAY" if payload is None else b"OKAY" + _hex_string(payload)


def _fail(message: str) -> bytes:
    return b"FAIL" + _hex_string(message)


def _alphanumeric(value: str) -> str:
    """adb's ``sanitize(value, true)``: anything but letters and digits becomes ``_``."""
    return "".join(c if c.isascii() and c.isalnum() else "_" for c in value)


def _skip_host_serial(text: str) -> int | None:
    """Where the serial ends in ``SERIAL:COMMAND`` (AOSP ``skip_host_serial``); None if no colon.

    Serials may themselves hold colons: ``usb:1-1``, ``HOST:PORT``, ``tcp:HOST:PORT``,
    ``[::1]:PORT``.
    """
    for prefix in ("usb:", "product:", "model:", "device:"):
        if text.startswith(prefix):
            end = text.find(":", len(prefix))
            return end if end >= 0 else None
    start = 4 if text.startswith(("tcp:", "udp:")) else 0
    if text[start:start + 1] == "[":
        bracket = text.find("]", start)
        if bracket >= 0:
            start = bracket
    colon = text.find(":", start)
    if colon < 0:
        return None
    cursor = colon + 1
    if cursor < len(text) and text[cursor].isdigit():
        while cursor < len(text) and text[cursor].isdigit():
            cursor += 1
        if cursor < len(text) and text[cursor] == ":":
            return cursor
    return colon


def _parse_network_address(address: str) -> tuple[str, int] | None:
    """``HOST[:PORT]`` (with an optional ``tcp:`` prefix) as adb's ParseNetAddress reads it."""
    if address.startswith(("tcp:", "udp:")):
        address = address[4:]
    if address.startswith("["):
        host, bracket, rest = address[1:].partition("]")
        if not bracket:
            return None
        port_text = rest[1:] if rest.startswith(":") else ""
        if rest and not rest.startswith(":"):
            return None
    else:
        host, _, port_text = address.partition(":")
    if not host:
        return None
    if not port_text:
        return host, DEFAULT_TCP_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return None
    return host, int(port_text)


def _is_network_serial(serial: str) -> bool:
    host_port = _parse_network_address(serial)
    return host_port is not None and ":" in serial


class _SocketStream(ServiceStream):
    """A client socket after the transport switch: the device service owns it now."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 link: PhoneLink) -> None:
        super().__init__(lambda: link.faults)
        self._reader = reader
        self._writer = writer

    async def read_exact(self, size: int) -> bytes:
        try:
            return await self._reader.readexactly(size)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            raise StreamClosed from exc

    async def read_some(self) -> bytes:
        try:
            return await self._reader.read(65536)
        except ConnectionError:
            return b""

    async def send_piece(self, piece: bytes) -> None:
        if self._writer.is_closing():
            raise StreamClosed
        self._writer.write(piece)
        try:
            await self._writer.drain()
        except ConnectionError as exc:
            raise StreamClosed from exc


@dataclass(frozen=True)
class _Switched:
    """A host request selected a transport; device services follow on the same socket."""

    attachment: _Attachment


class AdbHostServer:
    """An adb server (host protocol) with simulated phones attached.

    ``prompt_delay``: seconds after start until a ``PROMPT`` phone's owner taps "Allow".
    ``without_permission``: serials listed as ``no permissions`` (a USB permission problem on
    the computer). ``offline_connect_timeout``: how long ``host:connect`` to an ``OFFLINE``
    network phone waits before it gives up, as adb does (10 s there).

    ``host:kill`` is answered but does not stop the server: its owner stops it (a client that
    sees a version mismatch would otherwise start a real adb server on this port).
    """

    def __init__(self, phones: Sequence[AndroidPhoneModel], *, prompt_delay: float = 1.0,
                 without_permission: Collection[str] = (),
                 offline_connect_timeout: float = 10.0) -> None:
        serials = [phone.serial for phone in phones]
        duplicates = sorted({s for s in serials if serials.count(s) > 1})
        if duplicates:
            raise ValueError(f"two simulated phones share the serial {duplicates[0]!r}")
        unknown = set(without_permission) - set(serials)
        if unknown:
            raise ValueError(f"without_permission names no simulated phone: {sorted(unknown)}")
        self.prompt_delay = prompt_delay
        self.offline_connect_timeout = offline_connect_timeout
        self._without_permission = frozenset(without_permission)
        self._phones = list(phones)
        self._attachments: list[_Attachment] = []
        self._next_transport_id = 1
        self._server = TcpServer(self._accept)

    # ------------------------------------------------------------------ lifecycle
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Attach the phones and listen; returns the bound (host, port)."""
        now = time.monotonic()
        usb_number = 0
        for phone in self._phones:
            network = _is_network_serial(phone.serial)
            if not network:
                usb_number += 1
            attachment = _Attachment(
                link=PhoneLink(phone, LAYER_HOST),
                transport_id=self._take_transport_id(),
                devpath="" if network else f"usb:1-{usb_number}",
                network=network,
                no_permissions=phone.serial in self._without_permission,
                plugged_at=now,
            )
            attachment.link.on_unplug(lambda a=attachment: self._drop_device_connections(a))
            self._attachments.append(attachment)
        bound = await self._server.start(host, port)
        logger.info("adb host server listening on %s:%d", *bound)
        return bound

    async def close(self) -> None:
        """Stop listening and close every client connection."""
        await self._server.close()

    def _take_transport_id(self) -> int:
        transport_id = self._next_transport_id
        self._next_transport_id += 1
        return transport_id

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve_client(reader, writer)
        finally:
            for attachment in self._attachments:
                attachment.device_connections.discard(writer)

    def _drop_device_connections(self, attachment: _Attachment) -> None:
        """The cable was pulled: every open device connection of that phone dies at once."""
        for writer in list(attachment.device_connections):
            writer.transport.abort()

    # ------------------------------------------------------------------ states
    def _state(self, attachment: _Attachment) -> str:
        if attachment.no_permissions:
            return NO_PERMISSIONS_STATE
        state = attachment.phone.state
        if state is AndroidState.OFFLINE:
            return "offline"
        if state is AndroidState.UNAUTHORIZED:
            return "unauthorized"
        if state is AndroidState.PROMPT:
            allowed = time.monotonic() >= attachment.plugged_at + self.prompt_delay
            return "device" if allowed else "unauthorized"
        return "device"

    def _listed(self) -> list[_Attachment]:
        present = [a for a in self._attachments
                   if not a.link.unplugged and (a.connected or not a.network)]
        return sorted(present, key=lambda a: (a.network, a.serial))

    def _matches(self, attachment: _Attachment, target: str) -> bool:
        """AOSP ``atransport::MatchesTarget``: serial, network address, devpath, qualifiers."""
        if target == attachment.serial:
            return True
        if attachment.network:
            ours = _parse_network_address(attachment.serial)
            theirs = _parse_network_address(target)
            if ours and theirs and ours == theirs:
                return True
        if attachment.devpath and target == attachment.devpath:
            return True
        if self._state(attachment) != "device":
            return False  # product/model/device are only known after the handshake
        props = attachment.phone.banner_properties()
        qualifiers = {
            "product:": props.get("ro.product.name", ""),
            "model:": _alphanumeric(props.get("ro.product.model", "")),
            "device:": props.get("ro.product.device", ""),
        }
        return any(value and target == prefix + value for prefix, value in qualifiers.items())

    def _acquire(self, kind: str, serial: str | None, transport_id: int,
                 *, any_state: bool = False) -> tuple[_Attachment | None, str]:
        """AOSP ``acquire_one_transport``: the one phone a request is aimed at, or the error."""
        if transport_id:
            error = f"no device with transport id '{transport_id}'"
        elif serial is not None:
            error = f"device '{serial}' not found"
        elif kind == "local":
            error = "no emulators found"
        elif kind == "any":
            error = "no devices/emulators found"
        else:
            error = "no devices found"
        result: _Attachment | None = None
        for attachment in self._listed():
            if attachment.no_permissions:
                error = NO_PERMISSIONS_ERROR
                continue
            if transport_id:
                if attachment.transport_id == transport_id:
                    result = attachment
                    break
                continue
            if serial is not None:
                candidate, ambiguous = self._matches(attachment, serial), "more than one device"
            elif kind == "usb":
                candidate, ambiguous = not attachment.network, "more than one device"
            elif kind == "local":
                candidate, ambiguous = attachment.network, "more than one emulator"
            else:
                candidate, ambiguous = True, "more than one device/emulator"
            if candidate:
                if result is not None:
                    return None, ambiguous
                result = attachment
        if result is None:
            return None, error
        if not any_state:
            state = self._state(result)
            if state == "unauthorized":
                return None, UNAUTHORIZED_ERROR
            if state == "offline":
                return None, OFFLINE_ERROR
        return result, "success"

    def _devices_text(self, long: bool) -> str:
        lines = []
        for attachment in self._listed():
            state = self._state(attachment)
            if not long:
                lines.append(f"{attachment.serial}\t{state}\n")
                continue
            line = f"{attachment.serial:<22} {state}"
            if attachment.devpath:
                line += f" {attachment.devpath}"
            if state == "device":
                props = attachment.phone.banner_properties()
                for key, prop, clean in (("product:", "ro.product.name", False),
                                         ("model:", "ro.product.model", True),
                                         ("device:", "ro.product.device", False)):
                    value = props.get(prop, "")
                    if value:
                        value = _alphanumeric(value) if clean else value.replace("\n", "_")
                        line += f" {key}{value}"
            line += f" transport_id:{attachment.transport_id}"
            lines.append(line + "\n")
        return "".join(lines)

    # ------------------------------------------------------------------ client connections
    async def _read_request(self, reader: asyncio.StreamReader) -> str | None:
        try:
            header = await reader.readexactly(4)
            length = int(header, 16)
        except (asyncio.IncompleteReadError, ValueError):
            return None
        if not 0 < length <= MAX_REQUEST:
            return None
        payload = await reader.readexactly(length)
        return payload.decode("utf-8", "surrogateescape")

    async def _serve_client(self, reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter) -> None:
        selected: _Attachment | None = None
        while True:
            request = await self._read_request(reader)
            if request is None:
                return
            logger.debug("adb host server: request %r", request)
            if request.startswith("host"):
                outcome = await self._host_request(request, selected, writer)
                if isinstance(outcome, _Switched):
                    selected = outcome.attachment
                    continue
                return
            if selected is None:
                await self._send(writer, _fail("device offline (no transport)"))
                return
            await self._device_service(selected, request, reader, writer)
            return

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, data: bytes) -> None:
        writer.write(data)
        await writer.drain()

    async def _device_service(self, attachment: _Attachment, name: str,
                              reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if attachment.link.unplugged:
            writer.transport.abort()
            return
        attachment.device_connections.add(writer)
        try:
            service = await open_service(attachment.link, name)
        except CablePulled:
            writer.transport.abort()
            return
        if service is None:
            await self._send(writer, _fail("closed"))
            return
        await self._send(writer, _okay())
        try:
            await service.run(attachment.link, _SocketStream(reader, writer, attachment.link))
        except CablePulled:
            writer.transport.abort()
            return
        except StreamClosed:
            return
        except Exception:
            # A bug in a phone model: say so loudly, and let the client see the stream end.
            logger.exception("simulated phone %s failed to answer %r", attachment.serial, name)
            writer.transport.abort()
            return
        await self._finish(reader, writer)

    @staticmethod
    async def _finish(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Half-close, then wait for the client to close: closing with unread input would
        reset the connection and could destroy the answer's tail before it is read."""
        with contextlib.suppress(OSError, RuntimeError):
            if writer.can_write_eof():
                writer.write_eof()
        with contextlib.suppress(asyncio.TimeoutError, ConnectionError):
            await asyncio.wait_for(_read_to_end(reader), _LINGER_SECONDS)

    # ------------------------------------------------------------------ host services
    async def _host_request(self, request: str, selected: _Attachment | None,
                            writer: asyncio.StreamWriter) -> _Switched | None:
        kind, serial, transport_id = "any", None, 0
        if request.startswith("host-serial:"):
            rest = request[len("host-serial:"):]
            end = _skip_host_serial(rest)
            if end is None:
                service = rest
            else:
                serial, service = rest[:end], rest[end + 1:]
        elif request.startswith("host-transport-id:"):
            number, colon, service = request[len("host-transport-id:"):].partition(":")
            if not colon or not number.isdigit():
                return None
            transport_id = int(number)
        elif request.startswith("host-usb:"):
            kind, service = "usb", request[len("host-usb:"):]
        elif request.startswith("host-local:"):
            kind, service = "local", request[len("host-local:"):]
        elif request.startswith("host:"):
            service = request[len("host:"):]
        else:
            await self._send(writer, _fail("device offline (no transport)"))
            return None
        reply = await self._host_service(service, kind, serial, transport_id, selected, writer)
        if isinstance(reply, _Switched):
            return reply
        if reply is not None:
            await self._send(writer, reply)
        return None

    async def _host_service(self, service: str, kind: str, serial: str | None,
                            transport_id: int, selected: _Attachment | None,
                            writer: asyncio.StreamWriter) -> bytes | _Switched | None:
        """Answer one host service; a _Switched when it selected a transport."""
        if service == "kill":
            logger.info("adb host server: host:kill answered; the server stays up until stopped")
            return _okay()
        if service.startswith(("transport", "tport:")):
            return await self._select_transport(service, kind, serial, transport_id, writer)
        if service in ("devices", "devices-l"):
            return _okay(self._devices_text(service == "devices-l"))
        if service == "version":
            return _okay(f"{ADB_SERVER_VERSION:04x}")
        if service == "host-features":
            return _okay(",".join(HOST_FEATURES))
        if service in ("features", "get-serialno", "get-devpath", "get-state"):
            attachment, error = (selected, "") if selected else self._acquire(
                kind, serial, transport_id)
            if attachment is None:
                return _fail(error)
            if service == "features":
                return _okay(",".join(attachment.phone.features()))
            if service == "get-serialno":
                return _okay(attachment.serial or "unknown")
            if service == "get-devpath":
                return _okay(attachment.devpath or "unknown")
            return _okay(self._state(attachment))
        if service.startswith("connect:"):
            return _okay(await self._connect(service[len("connect:"):]))
        if service.startswith("disconnect:"):
            return self._disconnect(service[len("disconnect:"):])
        if service.startswith("wait-for-"):
            await self._wait_for(service, kind, serial, transport_id, writer)
            return None
        if service == "list-forward":
            return _okay("")
        if service == "killforward-all":
            return _okay()
        if service.startswith("killforward:"):
            return _fail(f"listener '{service[len('killforward:'):]}' not found")
        if service.startswith("forward:"):
            # Forwarding opens ports to the phone; the simulator offers no such thing.
            attachment = selected
            if attachment is None:
                attachment, _ = self._acquire(kind, serial, transport_id)
            if attachment is not None:
                attachment.phone.refuse_service(service, layer=LAYER_HOST)
            return _fail("stalkerscan simulator: port forwarding is not offered")
        return _fail("unknown host service")

    async def _select_transport(self, service: str, kind: str, serial: str | None,
                                transport_id: int,
                                writer: asyncio.StreamWriter) -> bytes | _Switched:
        legacy = True
        if service.startswith("tport:"):
            legacy = False
            rest = service[len("tport:"):]
            if rest.startswith("serial:"):
                serial = rest[len("serial:"):]
            elif rest in ("usb", "local", "any"):
                kind = rest
        elif service.startswith("transport-id:"):
            number = service[len("transport-id:"):]
            if not number.isdigit():
                return _fail("invalid transport id")
            transport_id = int(number)
        elif service in ("transport-usb", "transport-local", "transport-any"):
            kind = service[len("transport-"):]
        elif service.startswith("transport:"):
            serial = service[len("transport:"):]
        attachment, error = self._acquire(kind, serial, transport_id)
        if attachment is None:
            return _fail(error)
        reply = _okay() if legacy else _okay() + struct.pack("<Q", attachment.transport_id)
        await self._send(writer, reply)
        return _Switched(attachment)

    def _network_attachment(self, host: str, port: int) -> _Attachment | None:
        for attachment in self._attachments:
            if attachment.network and _parse_network_address(attachment.serial) == (host, port):
                return attachment
        return None

    async def _connect(self, address: str) -> str:
        """``adb connect``: the same answers adb 29 gives (always sent after OKAY)."""
        parsed = _parse_network_address(address)
        if parsed is None:
            return f"failed to connect to '{address}': unparsable address"
        host, port = parsed
        display = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        attachment = self._network_attachment(host, port)
        if attachment is None or attachment.link.unplugged:
            return f"failed to connect to '{display}': Connection refused"
        if attachment.connected:
            return f"already connected to {attachment.serial}"
        attachment.connected = True
        attachment.transport_id = self._take_transport_id()
        state = self._state(attachment)
        if state == "offline":
            await asyncio.sleep(self.offline_connect_timeout)
            return f"failed to connect to {attachment.serial}"
        if state == "unauthorized":
            return f"failed to authenticate to {attachment.serial}"
        return f"connected to {attachment.serial}"

    def _disconnect(self, address: str) -> bytes:
        if not address:
            for attachment in self._attachments:
                if attachment.network:
                    attachment.connected = False
                    self._drop_device_connections(attachment)
            return _okay("disconnected everything")
        parsed = _parse_network_address(address)
        if parsed is None:
            return _fail(f"couldn't parse '{address}'")
        attachment = self._network_attachment(*parsed)
        host, port = parsed
        if attachment is None or not attachment.connected or attachment.link.unplugged:
            return _fail(f"no such device '{host}:{port}'")
        attachment.connected = False
        self._drop_device_connections(attachment)
        return _okay(f"disconnected {address}")

    async def _wait_for(self, service: str, kind: str, serial: str | None, transport_id: int,
                        writer: asyncio.StreamWriter) -> None:
        """``wait-for-TRANSPORT-STATE``: OKAY at once, a second OKAY when the state is reached."""
        parts = service[len("wait-for-"):].split("-", 1)
        if len(parts) != 2 or parts[0] not in ("usb", "local", "any") or parts[1] not in (
                "device", "recovery", "rescue", "sideload", "bootloader", "any", "disconnect"):
            await self._send(writer, _fail(f"unknown host service '{service}'"))
            return
        if parts[0] != "any":
            kind = parts[0]
        wanted = parts[1]
        await self._send(writer, _okay())
        while True:
            attachment, _ = self._acquire(kind, serial, transport_id, any_state=True)
            if wanted == "disconnect":
                reached = attachment is None
            elif attachment is None:
                reached = False
            else:
                reached = wanted == "any" or self._state(attachment) == wanted
            if reached:
                await self._send(writer, _okay())
                return
            await asyncio.sleep(0.1)


async def _read_to_end(reader: asyncio.StreamReader) -> None:
    while await reader.read(65536):
        pass
