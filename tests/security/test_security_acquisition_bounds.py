"""A phone that never stops answering is cut off: one shell answer is bounded (the laptop's
disk is not the phone's to fill), and nothing from the adb stream is held in memory unbounded.
"""

from __future__ import annotations

import struct
import tracemalloc

import pytest

from stalkerscan.acquire.android.adb_client import AdbClient, ExactConnection, ShellOutcome
from stalkerscan.acquire.android.channel import AndroidChannel, shell_variants
from stalkerscan.errors import ProtocolError
from stalkerscan.model.artifacts import AndroidArtifact


class EndlessPhone:
    """Answers every shell command with ``chunks`` chunks of 64 KiB."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks
        self.offered = 0

    def shell(self, serial, command, sink, *, v2, timeout):
        for _ in range(self.chunks):
            self.offered += 65536
            sink("stdout", b"x" * 65536)
        return ShellOutcome(0, "shell-v2")


def test_an_endless_answer_is_cut_at_the_limit():
    phone = EndlessPhone(chunks=1000)
    kept = bytearray()
    channel = AndroidChannel(phone, "SERIAL", shell_v2=True,  # type: ignore[arg-type]
                             max_answer_bytes=1024 * 1024)
    command = shell_variants(AndroidArtifact.DUMPSYS_PACKAGE)[0]
    with pytest.raises(ProtocolError) as info:
        channel.run(command, lambda stream, chunk: kept.extend(chunk))
    assert len(kept) == 1024 * 1024  # everything up to the limit was kept...
    assert phone.offered < 2 * 1024 * 1024  # ...and reading stopped right there
    assert "dumpsys package" in info.value.message


def test_an_answer_under_the_limit_is_kept_whole():
    phone = EndlessPhone(chunks=16)
    kept = bytearray()
    channel = AndroidChannel(phone, "SERIAL", shell_v2=True,  # type: ignore[arg-type]
                             max_answer_bytes=1024 * 1024)
    outcome = channel.run(shell_variants(AndroidArtifact.GETPROP)[0], lambda s, c: kept.extend(c))
    assert outcome.exit_code == 0 and len(kept) == 16 * 65536


def test_the_default_limit_is_generous_for_real_phones():
    channel = AndroidChannel(EndlessPhone(0), "SERIAL", shell_v2=True)  # type: ignore[arg-type]
    assert channel.max_answer_bytes >= 512 * 1024 * 1024


class ScriptedConnection:
    """The part of ExactConnection that _read_shell_v2 uses, over fixed bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.kept_peak = 0

    def recv_some(self, limit: int) -> bytes:
        chunk, self.data = bytes(self.data[:limit]), self.data[limit:]
        return chunk

    def recv_exact(self, length: int) -> bytes:
        chunk = self.recv_some(length)
        assert len(chunk) == length
        return chunk

    recv_streamed = ExactConnection.recv_streamed  # the real streaming read, over recv_some


def test_a_huge_exit_packet_is_not_kept_in_memory():
    # shell v2: stdout packet, then an "exit" packet claiming 8 MiB (a real one holds 1 byte).
    body = struct.pack("<BI", 1, 5) + b"hello" + struct.pack("<BI", 3, 8 * 1024 * 1024)
    body += b"\x07" + b"\0" * (8 * 1024 * 1024 - 1)
    seen = []
    connection = ScriptedConnection(body)
    tracemalloc.start()
    try:
        code = AdbClient._read_shell_v2(connection, lambda s, c: seen.append((s, c)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 7 and seen == [("stdout", b"hello")]
    assert peak < 1024 * 1024  # read through in 64 KiB pieces, never gathered
