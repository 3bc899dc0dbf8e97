"""One connection to the simulated iPhone: exact reads, faulty writes, and in-place TLS.

Every layer (usbmuxd, lockdownd, the services) reads and writes through a
:class:`DeviceStream`. TLS is done with :class:`ssl.SSLObject` over memory buffers rather than
asyncio's TLS transport, because lockdownd needs what asyncio cannot do: upgrade a plain
connection to TLS in the middle of the conversation (StartSession) *and* go back to plain text
when the session stops (StopSession, then the client's TLS close). It also puts the faults
(fragmented and slow writes) under the TLS layer, where a cable would put them.
"""

from __future__ import annotations

import asyncio
import contextlib
import plistlib
import ssl
import struct
from collections.abc import Callable
from typing import Any

from stalkerscan.simulator.ios.profile import IosFaults
from stalkerscan.simulator.serving import paced_pieces

MAX_MESSAGE_BYTES = 32 * 1024 * 1024
"""Largest length-prefixed message the phone accepts (a request is a few kilobytes)."""

_READ_CHUNK = 64 * 1024
_TLS_ALERT = 0x15


class StreamClosed(Exception):
    """The peer closed the connection (or it was aborted) before a message was complete."""


class MessageProblem(Exception):
    """A message could not be understood (bad length or not a property list)."""


class DeviceStream:
    """A bidirectional byte stream with exact reads, fault-aware writes and switchable TLS."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 faults: Callable[[], IosFaults] = IosFaults) -> None:
        self._reader = reader
        self._writer = writer
        self._faults = faults
        self._plain = bytearray()
        self._tls: ssl.SSLObject | None = None
        self._incoming: ssl.MemoryBIO | None = None
        self._outgoing: ssl.MemoryBIO | None = None
        self._expect_tls_close = False
        self._pending_close_notify = b""
        self._peer_ended_tls = False
        self._write_lock = asyncio.Lock()
        self.closed = False

    def use_faults(self, faults: Callable[[], IosFaults]) -> None:
        """Take write faults from ``faults()`` from now on (once the pipe reaches a phone)."""
        self._faults = faults

    # ------------------------------------------------------------------ reading
    async def read_exactly(self, count: int) -> bytes:
        """Exactly ``count`` plain-text bytes; :class:`StreamClosed` if the peer goes first."""
        while len(self._plain) < count:
            await self._fill()
        data = bytes(self._plain[:count])
        del self._plain[:count]
        return data

    async def read_some(self) -> bytes:
        """Whatever plain text arrives next (at least one byte)."""
        if not self._plain:
            await self._fill()
        data = bytes(self._plain)
        self._plain.clear()
        return data

    async def _fill(self) -> None:
        if self._peer_ended_tls:
            raise StreamClosed("peer closed the TLS session")
        if self._tls is not None and self._drain_tls():
            await self._flush_tls()
            return
        try:
            raw = await self._reader.read(_READ_CHUNK)
        except (ConnectionError, OSError) as exc:
            raise StreamClosed(str(exc)) from exc
        if not raw:
            raise StreamClosed("peer closed the connection")
        if self._tls is None:
            self._plain += raw
            return
        if self._expect_tls_close and not self._plain and raw[0] != _TLS_ALERT and raw[0] < 0x14:
            # The client dropped TLS without a close_notify: what follows is plain text.
            self._end_tls()
            self._plain += raw
            return
        assert self._incoming is not None
        self._incoming.write(raw)
        self._drain_tls()
        await self._flush_tls()
        if self._peer_ended_tls:
            raise StreamClosed("peer closed the TLS session")

    def _drain_tls(self) -> bool:
        """Decrypt what is buffered; True when plain text (or the end of TLS) came out."""
        assert self._tls is not None and self._incoming is not None
        before = len(self._plain)
        while True:
            try:
                data = self._tls.read(_READ_CHUNK)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                self._close_tls_after_peer()
                return True
            except ssl.SSLError as exc:
                raise StreamClosed(f"TLS error: {exc}") from exc
            if not data:  # SSLObject.read() returns b"" once the peer's close_notify is in
                self._close_tls_after_peer()
                return True
            self._plain += data
        return len(self._plain) > before

    def _close_tls_after_peer(self) -> None:
        """The peer sent close_notify: answer with ours. After StopSession that means back to
        plain text; otherwise the connection is ending."""
        assert self._tls is not None and self._incoming is not None
        with contextlib.suppress(ssl.SSLError):
            self._tls.unwrap()  # queues our own close_notify in the outgoing buffer
        leftover = self._incoming.read()
        self._pending_close_notify = self._outgoing.read() if self._outgoing else b""
        self._peer_ended_tls = not self._expect_tls_close
        self._end_tls()
        self._plain += leftover

    def _end_tls(self) -> None:
        self._tls = None
        self._incoming = None
        self._outgoing = None
        self._expect_tls_close = False

    # ------------------------------------------------------------------ writing
    async def write(self, data: bytes) -> None:
        """Send plain text (encrypted when TLS is on), honouring the write faults."""
        async with self._write_lock:
            if self._tls is not None:
                assert self._outgoing is not None
                self._tls.write(data)
                data = self._outgoing.read()
            await self._send_raw(data)

    async def _flush_tls(self) -> None:
        pending = self._pending_close_notify
        if pending:
            self._pending_close_notify = b""
            async with self._write_lock:
                await self._send_raw(pending)
        if self._outgoing is not None and self._outgoing.pending:
            async with self._write_lock:
                await self._send_raw(self._outgoing.read())

    async def _send_raw(self, data: bytes) -> None:
        if self.closed:
            raise StreamClosed("connection closed")
        faults = self._faults()
        try:
            for piece, pause in paced_pieces(data, fragment=faults.fragment,
                                             bytes_per_second=faults.slow_bytes_per_second):
                self._writer.write(piece)
                await self._writer.drain()
                if pause:
                    await asyncio.sleep(pause)
        except (ConnectionError, OSError) as exc:
            raise StreamClosed(str(exc)) from exc

    # ------------------------------------------------------------------ TLS
    async def start_tls(self, context: ssl.SSLContext) -> None:
        """Upgrade to TLS as the server, in place (the client speaks first)."""
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_side=True)
        if self._plain:  # bytes that arrived early are the start of the client's handshake
            incoming.write(bytes(self._plain))
            self._plain.clear()
        while True:
            try:
                tls.do_handshake()
                done = True
            except ssl.SSLWantReadError:
                done = False
            except ssl.SSLError:
                if outgoing.pending:  # tell the client why (alert), then give up
                    with contextlib.suppress(StreamClosed):
                        await self._send_raw(outgoing.read())
                raise
            if outgoing.pending:
                async with self._write_lock:
                    await self._send_raw(outgoing.read())
            if done:
                break
            try:
                raw = await self._reader.read(_READ_CHUNK)
            except (ConnectionError, OSError) as exc:
                raise StreamClosed(str(exc)) from exc
            if not raw:
                raise StreamClosed("peer closed the connection during the TLS handshake")
            incoming.write(raw)
        self._tls, self._incoming, self._outgoing = tls, incoming, outgoing

    def expect_tls_close(self) -> None:
        """After StopSession: the client's TLS close returns the stream to plain text."""
        if self._tls is not None:
            self._expect_tls_close = True

    # ------------------------------------------------------------------ closing
    def abort(self) -> None:
        """Drop the connection at once (a pulled cable)."""
        self.closed = True
        with contextlib.suppress(Exception):
            self._writer.transport.abort()

    async def close(self) -> None:
        """Close politely."""
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            self._writer.close()
            await asyncio.wait_for(self._writer.wait_closed(), 1.0)


async def pause_before_answering(faults: IosFaults) -> None:
    """The ``latency_ms`` fault: wait before answering a request."""
    if faults.latency_ms:
        await asyncio.sleep(faults.latency_ms / 1000)


# --------------------------------------------------------------------------- plist framing
async def read_prefixed_plist(stream: DeviceStream) -> Any:
    """One 4-byte big-endian length + property list (lockdownd and its services)."""
    (length,) = struct.unpack(">I", await stream.read_exactly(4))
    if length > MAX_MESSAGE_BYTES:
        raise MessageProblem(f"message of {length} bytes is over the limit")
    body = await stream.read_exactly(length)
    try:
        return plistlib.loads(body)
    except (plistlib.InvalidFileException, ValueError, TypeError, OverflowError) as exc:
        raise MessageProblem(f"not a property list: {exc}") from exc


async def write_prefixed_plist(stream: DeviceStream, message: Any) -> None:
    """Send one 4-byte big-endian length + XML property list."""
    body = plistlib.dumps(message, fmt=plistlib.FMT_XML)
    await stream.write(struct.pack(">I", len(body)) + body)
