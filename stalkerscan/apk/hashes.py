"""SHA-256, SHA-1 and MD5 of a file in one streaming pass.

Feeds list APK hashes in all three (Echap: SHA-256; older feeds: SHA-1 or MD5), so each
APK is hashed once, reading the file a chunk at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FileHashes:
    """Digests of one file."""

    sha256: str
    """Lower-case hex SHA-256."""

    sha1: str
    """Lower-case hex SHA-1."""

    md5: str
    """Lower-case hex MD5."""

    size: int
    """Bytes hashed."""


def _digest(chunks: Iterable[bytes]) -> FileHashes:
    sha256 = hashlib.sha256()
    # SHA-1 and MD5 identify files for feeds; they protect nothing here.
    sha1 = hashlib.sha1(usedforsecurity=False)
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    for chunk in chunks:
        sha256.update(chunk)
        sha1.update(chunk)
        md5.update(chunk)
        size += len(chunk)
    return FileHashes(sha256.hexdigest(), sha1.hexdigest(), md5.hexdigest(), size)


def _stream_chunks(stream: BinaryIO) -> Iterable[bytes]:
    while chunk := stream.read(_CHUNK):
        yield chunk


def hash_bytes(data: bytes | bytearray | memoryview) -> FileHashes:
    """Digests of bytes in memory."""
    view = memoryview(data)
    return _digest(view[i : i + _CHUNK] for i in range(0, len(view), _CHUNK))  # type: ignore[misc]


def hash_stream(stream: BinaryIO) -> FileHashes:
    """Digests of everything left in a binary stream, read in 1 MiB chunks."""
    return _digest(_stream_chunks(stream))


def hash_file(path: Path) -> FileHashes:
    """Digests of a file (raises ``OSError`` when it cannot be read)."""
    with path.open("rb") as stream:
        return hash_stream(stream)
