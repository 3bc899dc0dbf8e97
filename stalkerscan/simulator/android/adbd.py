"""The phone side of ADB: an adbd speaking the ADB *transport* protocol over TCP.

The real ``adb`` server connects to it with ``adb connect 127.0.0.1:PORT`` and then treats
it as a phone: CNXN handshake (banner with product, model, device and features), AUTH
(RSA token, signature, public key), and OPEN / OKAY / WRTE / CLSE streams with flow control
(one WRTE in flight per stream, until the host's OKAY). The services behind the streams are
those of :mod:`.services`.

How the phone answers the handshake follows :class:`AndroidState`:

- ``AUTHORIZED``: no authentication at all (``ro.adb.secure=0``), or, when trusted keys are
  given, only hosts whose signature verifies against one of them (``/data/misc/adb/adb_keys``).
- ``UNAUTHORIZED``: sends AUTH tokens forever and never accepts: "Allow USB debugging?" is
  showing and nobody taps it. The adb server lists the phone as ``unauthorized``.
- ``PROMPT``: as UNAUTHORIZED until the host sends its public key, then "Allow" is tapped after
  ``prompt_delay`` seconds and the key is remembered (so a reconnect signs in at once).
- ``OFFLINE``: reads the host's CNXN and never answers; the server lists ``offline``.

Protocol version and max payload come from :class:`TransportFaults`: with the old version
0x01000000 every packet carries a data checksum, computed here and checked on arrival.
STLS (TLS) is not offered. Packet formats follow AOSP ``adb/protocol.txt`` and ``adb/adb.h``.

Run in its own process (for multi-process tests, or by hand)::

    python -m stalkerscan.simulator.android.adbd --profile android-infected --port 0
    python -m stalkerscan.simulator.android.adbd --factory MODULE:CALLABLE --state prompt
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import dataclasses
import importlib
import json
import logging
import os
import signal
import struct
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from stalkerscan.simulator.android.base import AndroidPhoneModel, AndroidState
from stalkerscan.simulator.android.services import (
    LAYER_TRANSPORT,
    CablePulled,
    PhoneLink,
    ServiceStream,
    StreamClosed,
    TcpServer,
    open_service,
)
from stalkerscan.simulator.requestlog import LoggedRequest, RequestLog, Verdict
from stalkerscan.simulator.serving import check_listen_address

logger = logging.getLogger(__name__)


def _command(name: bytes) -> int:
    return int(struct.unpack("<I", name)[0])


A_SYNC = _command(b"SYNC")
A_CNXN = _command(b"CNXN")
A_AUTH = _command(b"AUTH")
A_OPEN = _command(b"OPEN")
A_OKAY = _command(b"OKAY")
A_CLSE = _command(b"CLSE")
A_WRTE = _command(b"WRTE")
A_STLS = _command(b"STLS")
_COMMAND_NAMES = {value: name for name, value in (
    ("SYNC", A_SYNC), ("CNXN", A_CNXN), ("AUTH", A_AUTH), ("OPEN", A_OPEN), ("OKAY", A_OKAY),
    ("CLSE", A_CLSE), ("WRTE", A_WRTE), ("STLS", A_STLS))}

A_VERSION_MIN = 0x01000000
"""The original protocol version: every packet carries a data checksum."""

A_VERSION_SKIP_CHECKSUM = 0x01000001
"""From Android 9 (adb 1.0.39): checksums are zero and not checked."""

MAX_PAYLOAD_V1 = 4096
"""Max payload of old phones, and the least any adbd accepts."""

AUTH_TOKEN = 1
AUTH_SIGNATURE = 2
AUTH_RSAPUBLICKEY = 3
TOKEN_SIZE = 20

_HEADER = struct.Struct("<6I")


class ProtocolViolation(Exception):
    """The host sent something an adbd would drop the connection for."""


# --------------------------------------------------------------------------- keys
def parse_adb_public_key(text: str) -> rsa.RSAPublicKey:
    """An ``adbkey.pub`` line (``BASE64 user@host``) as an RSA public key.

    The base64 blob is Android's ``RSAPublicKey`` struct: modulus size in 32-bit words,
    n0inv, modulus (little-endian), R^2 mod n (little-endian), exponent.
    """
    fields = text.strip().rstrip("\0").split()
    if not fields:
        raise ValueError("empty adb public key")
    try:
        blob = base64.b64decode(fields[0], validate=True)
    except binascii.Error as exc:
        raise ValueError(f"adb public key is not base64: {exc}") from exc
    if len(blob) < 12:
        raise ValueError("adb public key is too short")
    words = struct.unpack_from("<I", blob, 0)[0]
    size = 4 * words
    if words == 0 or len(blob) < 8 + 2 * size + 4:
        raise ValueError("adb public key has a bad length")
    modulus = int.from_bytes(blob[8:8 + size], "little")
    exponent = struct.unpack_from("<I", blob, 8 + 2 * size)[0]
    return rsa.RSAPublicNumbers(exponent, modulus).public_key()


def load_adb_public_key(path: str | Path) -> rsa.RSAPublicKey:
    """Read a trusted ``adbkey.pub`` file (what ``/data/misc/adb/adb_keys`` holds on a phone)."""
    try:
        return parse_adb_public_key(Path(path).read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"cannot use {path} as a trusted adb key: {exc}") from exc


def signature_verifies(key: rsa.RSAPublicKey, token: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is the host's signature of ``token``.

    adb signs the 20-byte token as if it were a SHA-1 digest (``RSA_sign(NID_sha1, ...)``):
    PKCS#1 v1.5 with a SHA-1 DigestInfo around the raw token.
    """
    try:
        key.verify(signature, token, padding.PKCS1v15(), utils.Prehashed(hashes.SHA1()))  # noqa: S303
    except (InvalidSignature, ValueError):
        return False
    return True


# --------------------------------------------------------------------------- streams
class _AdbStream(ServiceStream):
    """One ADB stream (OPEN ... CLSE) inside a transport connection."""

    def __init__(self, connection: _TransportConnection, local_id: int, remote_id: int) -> None:
        super().__init__(lambda: connection.link.faults)
        self.connection = connection
        self.local_id = local_id
        self.remote_id = remote_id
        self.max_piece = connection.max_payload
        self.closed = False
        self._inbox = bytearray()
        self._eof = False
        self._arrived = asyncio.Event()
        self._acknowledged = asyncio.Event()

    # Host -> phone
    def feed(self, data: bytes) -> None:
        self._inbox += data
        self._arrived.set()

    def closed_by_host(self) -> None:
        self.closed = True
        self._eof = True
        self._arrived.set()
        self._acknowledged.set()

    def acknowledge(self) -> None:
        self._acknowledged.set()

    async def _wait_input(self) -> None:
        self._arrived.clear()
        await self._arrived.wait()

    async def read_exact(self, size: int) -> bytes:
        while len(self._inbox) < size:
            if self._eof:
                raise StreamClosed
            await self._wait_input()
        data = bytes(self._inbox[:size])
        del self._inbox[:size]
        return data

    async def read_some(self) -> bytes:
        while not self._inbox:
            if self._eof:
                return b""
            await self._wait_input()
        data = bytes(self._inbox)
        self._inbox.clear()
        return data

    # Phone -> host: one WRTE at a time, each acknowledged by the host's OKAY.
    async def send_piece(self, piece: bytes) -> None:
        if self.closed:
            raise StreamClosed
        self._acknowledged.clear()
        await self.connection.send(A_WRTE, self.local_id, self.remote_id, piece)
        await self._acknowledged.wait()
        if self.closed:
            raise StreamClosed

    async def close(self) -> None:
        self.connection.streams.pop(self.local_id, None)
        if not self.closed:
            self.closed = True
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.connection.send(A_CLSE, self.local_id, self.remote_id)


# --------------------------------------------------------------------------- connections
class _TransportConnection:
    """One TCP connection from an adb server: handshake, auth, streams."""

    def __init__(self, server: AdbdServer, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.server = server
        self.link = server.link
        self.reader = reader
        self.writer = writer
        faults = self.link.faults
        self.version = faults.protocol_version
        self.max_payload = faults.max_payload
        self.online = False
        self.token = b""
        self.streams: dict[int, _AdbStream] = {}
        self._next_local_id = 1
        self._tasks: set[asyncio.Task[None]] = set()
        self._prompt: asyncio.Task[None] | None = None
        self._write_lock = asyncio.Lock()

    @property
    def phone(self) -> AndroidPhoneModel:
        return self.link.phone

    def _spawn(self, coroutine: object) -> None:
        task = asyncio.ensure_future(coroutine)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _checksummed(self) -> bool:
        return self.version < A_VERSION_SKIP_CHECKSUM

    async def send(self, command: int, arg0: int, arg1: int, data: bytes = b"") -> None:
        check = (sum(data) & 0xFFFFFFFF) if self._checksummed() else 0
        header = _HEADER.pack(command, arg0, arg1, len(data), check, command ^ 0xFFFFFFFF)
        logger.debug("adbd %s >> %s %#x %#x %d", self.phone.serial,
                     _COMMAND_NAMES.get(command, hex(command)), arg0, arg1, len(data))
        async with self._write_lock:
            self.writer.write(header + data)
            await self.writer.drain()

    async def receive(self) -> tuple[int, int, int, bytes]:
        command, arg0, arg1, length, check, magic = _HEADER.unpack(
            await self.reader.readexactly(_HEADER.size))
        if magic != command ^ 0xFFFFFFFF:
            raise ProtocolViolation(f"bad magic {magic:#x}")
        if length > max(MAX_PAYLOAD_V1, self.link.faults.max_payload):
            raise ProtocolViolation(f"payload of {length} bytes is over the max payload")
        data = await self.reader.readexactly(length) if length else b""
        if self._checksummed() and check != (sum(data) & 0xFFFFFFFF):
            raise ProtocolViolation("bad data checksum")  # what old adbd drops a link for
        logger.debug("adbd %s << %s %#x %#x %d", self.phone.serial,
                     _COMMAND_NAMES.get(command, hex(command)), arg0, arg1, length)
        return command, arg0, arg1, data

    async def run(self) -> None:
        try:
            while True:
                command, arg0, arg1, data = await self.receive()
                await self._dispatch(command, arg0, arg1, data)
        except (asyncio.IncompleteReadError, ConnectionError, ProtocolViolation) as exc:
            logger.debug("adbd %s: connection ended: %r", self.phone.serial, exc)
        finally:
            await self._shutdown()

    async def _shutdown(self) -> None:
        for stream in list(self.streams.values()):
            stream.closed_by_host()
        tasks = [task for task in self._tasks if task is not asyncio.current_task()]
        if self._prompt is not None:
            tasks.append(self._prompt)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self.writer.close()

    async def _dispatch(self, command: int, arg0: int, arg1: int, data: bytes) -> None:
        if command == A_CNXN:
            await self._handshake(arg0, arg1)
        elif command == A_AUTH:
            await self._auth(arg0, data)
        elif not self.online:
            return  # adbd ignores streams until the handshake is done
        elif command == A_OPEN:
            if arg0 != 0 and arg1 == 0:
                name = data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
                self._spawn(self._serve_stream(arg0, name))
        elif command == A_OKAY:
            stream = self.streams.get(arg1)
            if stream is not None:
                stream.remote_id = arg0
                stream.acknowledge()
        elif command == A_WRTE:
            stream = self.streams.get(arg1)
            if stream is not None and not stream.closed:
                stream.feed(data)
                await self.send(A_OKAY, stream.local_id, stream.remote_id)
        elif command == A_CLSE:
            stream = self.streams.pop(arg1, None)
            if stream is not None:
                stream.closed_by_host()
        # A_SYNC is obsolete and A_STLS is never offered: ignored, as adbd does.

    # ------------------------------------------------------------------ handshake and auth
    async def _handshake(self, version: int, max_payload: int) -> None:
        faults = self.link.faults
        self.version = min(version, faults.protocol_version)
        self.max_payload = max(1, min(max_payload, faults.max_payload))
        if self.online:  # a new CNXN restarts the connection
            self.online = False
            for stream in list(self.streams.values()):
                stream.closed_by_host()
            self.streams.clear()
        state = self.phone.state
        if state is AndroidState.OFFLINE:
            logger.info("adbd %s: offline, not answering CNXN", self.phone.serial)
            return
        if state is AndroidState.AUTHORIZED and not self.server.trusted_keys:
            await self._go_online()
            return
        await self._send_token()

    async def _send_token(self) -> None:
        self.token = os.urandom(TOKEN_SIZE)
        await self.send(A_AUTH, AUTH_TOKEN, 0, self.token)

    async def _auth(self, kind: int, data: bytes) -> None:
        if self.online or not self.token:
            return
        if kind == AUTH_SIGNATURE:
            if any(signature_verifies(key, self.token, data) for key in self.server.trusted_keys):
                logger.info("adbd %s: host signature verified", self.phone.serial)
                await self._go_online()
            else:
                await self._send_token()  # the host tries its next key, then sends its public key
        elif (kind == AUTH_RSAPUBLICKEY and self.phone.state is AndroidState.PROMPT
              and self._prompt is None):
            self._prompt = asyncio.ensure_future(self._tap_allow(data))
        # Otherwise "Allow USB debugging?" stays on screen and nobody taps it.

    async def _tap_allow(self, public_key: bytes) -> None:
        await asyncio.sleep(self.server.prompt_delay)
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            self.server.remember_key(parse_adb_public_key(public_key.decode("ascii")))
        logger.info("adbd %s: \"Allow USB debugging\" tapped", self.phone.serial)
        with contextlib.suppress(ConnectionError):  # the host may have gone meanwhile
            await self._go_online()

    def banner(self) -> bytes:
        props = self.phone.banner_properties()
        fields = [f"{key}={props.get(key, '')}"
                  for key in ("ro.product.name", "ro.product.model", "ro.product.device")]
        fields.append("features=" + ",".join(self.phone.features()))
        return ("device::" + ";".join(fields)).encode()

    async def _go_online(self) -> None:
        self.online = True
        await self.send(A_CNXN, self.version, self.max_payload, self.banner())

    # ------------------------------------------------------------------ streams
    async def _serve_stream(self, remote_id: int, name: str) -> None:
        try:
            service = await open_service(self.link, name)
            if service is None:
                await self.send(A_CLSE, 0, remote_id)  # OPEN refused: the host says "closed"
                return
        except (CablePulled, ConnectionError):
            return
        local_id = self._next_local_id
        self._next_local_id += 1
        stream = _AdbStream(self, local_id, remote_id)
        self.streams[local_id] = stream
        try:
            await self.send(A_OKAY, local_id, remote_id)
            await service.run(self.link, stream)
        except (StreamClosed, CablePulled, ConnectionError):
            pass
        except Exception:
            # A bug in a phone model: say so loudly, and let the host see the stream end.
            logger.exception("simulated phone %s failed to answer %r", self.phone.serial, name)
        finally:
            if not self.link.unplugged:
                await stream.close()


# --------------------------------------------------------------------------- server
class AdbdServer:
    """A simulated phone's adbd listening on TCP.

    ``prompt_delay``: seconds between the host's public key and the tap on "Allow" for a
    ``PROMPT`` phone. ``trusted_keys``: ``adbkey.pub`` files of computers this phone already
    trusts; when given, an ``AUTHORIZED`` phone accepts only those.

    When the ``disconnect_after`` fault fires, the cable is pulled: every connection drops
    and the port stops accepting, so the adb server's reconnect attempts fail too.
    """

    def __init__(self, phone: AndroidPhoneModel, *, prompt_delay: float = 1.0,
                 trusted_keys: Sequence[str | Path] = ()) -> None:
        self.link = PhoneLink(phone, LAYER_TRANSPORT)
        self.prompt_delay = prompt_delay
        self.trusted_keys: list[rsa.RSAPublicKey] = [load_adb_public_key(p) for p in trusted_keys]
        self._server = TcpServer(self._accept)
        self._unplugging: asyncio.Future[None] | None = None
        self.link.on_unplug(self._cable_pulled)

    @property
    def phone(self) -> AndroidPhoneModel:
        return self.link.phone

    def remember_key(self, key: rsa.RSAPublicKey) -> None:
        """"Always allow from this computer": the key is trusted from now on."""
        numbers = key.public_numbers()
        if all(k.public_numbers() != numbers for k in self.trusted_keys):
            self.trusted_keys.append(key)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Listen; returns the bound (host, port)."""
        bound = await self._server.start(host, port)
        logger.info("adbd for %s listening on %s:%d", self.phone.serial, *bound)
        return bound

    async def close(self) -> None:
        """Stop listening and drop every connection."""
        if self._unplugging is not None:
            await asyncio.gather(self._unplugging, return_exceptions=True)
        await self._server.close()

    def _cable_pulled(self) -> None:
        self._server.drop_connections()
        self._unplugging = asyncio.ensure_future(self._server.stop_listening())

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.link.unplugged:
            writer.transport.abort()
            return
        await _TransportConnection(self, reader, writer).run()


# --------------------------------------------------------------------------- own process
class JsonLinesRequestLog(RequestLog):
    """A request log that also appends each entry to a JSON-lines file, so the process that
    started a simulated phone can read what it received."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the log

    def record(self, layer: str, service: str, request: str, verdict: Verdict,
               reason: str = "") -> LoggedRequest:
        entry = super().record(layer, service, request, verdict, reason)
        line = dict(dataclasses.asdict(entry), verdict=entry.verdict.value)
        self._file.write(json.dumps(line) + "\n")
        self._file.flush()
        return entry


def read_request_log(path: str | Path) -> list[LoggedRequest]:
    """The entries a :class:`JsonLinesRequestLog` wrote (a torn last line is skipped)."""
    entries = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            fields = json.loads(line)
            fields["verdict"] = Verdict(fields["verdict"])
            entries.append(LoggedRequest(**fields))
        except (ValueError, TypeError, KeyError):
            continue
    return entries


def _load_factory(spec: str) -> Callable[[], AndroidPhoneModel]:
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        raise SystemExit(f"--factory must look like MODULE:CALLABLE, not {spec!r}")
    factory = getattr(importlib.import_module(module_name), attribute)
    if not callable(factory):
        raise SystemExit(f"--factory {spec}: {attribute} is not callable")
    return factory  # type: ignore[no-any-return]


def build_argument_parser() -> argparse.ArgumentParser:
    """Options of ``python -m stalkerscan.simulator.android.adbd``."""
    parser = argparse.ArgumentParser(
        prog="python -m stalkerscan.simulator.android.adbd",
        description="Run one simulated Android phone's adbd (ADB transport protocol) on "
                    "loopback, for `adb connect 127.0.0.1:PORT`.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--profile", metavar="NAME_OR_PATH",
                        help="a built-in profile name (android-infected, android-clean) or a "
                             "profile YAML file")
    source.add_argument("--factory", metavar="MODULE:CALLABLE",
                        help="callable returning the AndroidPhoneModel to serve (tests)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--serial", help="override the phone's serial")
    parser.add_argument("--state", choices=[s.name.lower() for s in AndroidState])
    parser.add_argument("--prompt-delay", type=float, default=1.0)
    parser.add_argument("--trusted-key", action="append", default=[], metavar="ADBKEY_PUB")
    parser.add_argument("--latency-ms", type=float)
    parser.add_argument("--disconnect-after", type=int)
    parser.add_argument("--fragment", type=int)
    parser.add_argument("--slow-bytes-per-second", type=int)
    parser.add_argument("--crlf", action="store_true", default=None)
    parser.add_argument("--max-payload", type=int)
    parser.add_argument("--protocol-version", type=lambda text: int(text, 0))
    parser.add_argument("--no-shell-v2", dest="shell_v2", action="store_false", default=None)
    parser.add_argument("--request-log", metavar="PATH",
                        help="append every request as a JSON line to PATH")
    parser.add_argument("--trace", action="store_true", help="log every packet to stderr")
    return parser


def _phone_from_profile(name_or_path: str) -> AndroidPhoneModel:
    from stalkerscan.errors import ProfileError
    from stalkerscan.simulator.android.phone import SimulatedAndroidPhone
    from stalkerscan.simulator.android.profile import AndroidProfile
    from stalkerscan.simulator.profile import load_profile

    try:
        profile = load_profile(name_or_path)
    except ProfileError as exc:
        raise SystemExit(str(exc)) from exc
    if not isinstance(profile, AndroidProfile):
        raise SystemExit(f"--profile {name_or_path} describes an iPhone, not an Android phone")
    return SimulatedAndroidPhone.from_profile(profile)


def phone_from_arguments(options: argparse.Namespace) -> AndroidPhoneModel:
    """Build the phone from ``--profile`` or ``--factory``, then apply the state and fault
    options."""
    if options.profile:
        phone = _phone_from_profile(options.profile)
    else:
        phone = _load_factory(options.factory)()
    if not isinstance(phone, AndroidPhoneModel):
        raise SystemExit(f"--factory {options.factory} returned {type(phone).__name__}, "
                         "not an AndroidPhoneModel")
    if options.serial:
        phone.serial = options.serial
    if options.state:
        phone.state = AndroidState[options.state.upper()]
    overrides = {name: getattr(options, name) for name in (
        "latency_ms", "disconnect_after", "fragment", "slow_bytes_per_second", "crlf",
        "max_payload", "protocol_version", "shell_v2") if getattr(options, name) is not None}
    if overrides:
        phone.faults = dataclasses.replace(phone.faults, **overrides)
    if options.request_log:
        phone.log = JsonLinesRequestLog(options.request_log)
    return phone


async def _serve_until_signalled(server: AdbdServer, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    bound_host, bound_port = await server.start(host, port)
    try:
        # Port 0 lets the system choose, and it could choose one of the emulator ports.
        check_listen_address(bound_host, bound_port)
        # The line the parent process waits for (AdbdProcess in run.py).
        print(f"adbd listening on {bound_host}:{bound_port} serial={server.phone.serial}",
              flush=True)
        await stop.wait()
    finally:
        await server.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m stalkerscan.simulator.android.adbd``."""
    options = build_argument_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if options.trace else logging.WARNING,
                        stream=sys.stderr, format="%(name)s: %(message)s")
    check_listen_address(options.host, options.port)
    phone = phone_from_arguments(options)
    server = AdbdServer(phone, prompt_delay=options.prompt_delay,
                        trusted_keys=options.trusted_key)
    asyncio.run(_serve_until_signalled(server, options.host, options.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
