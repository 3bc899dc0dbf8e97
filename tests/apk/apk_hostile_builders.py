"""Builders of hostile and broken APKs for the APK and YARA tests (all made in memory)."""

from __future__ import annotations

import io
import struct
import zipfile

from stalkerscan.simulator.apkgen import ApkSpec, build_apk

EOCD_SIZE = 22


def plain_zip(entries: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip holding ``entries`` exactly as named (traversal names included)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, data, compress_type=method)
    return buffer.getvalue()


def rename_entry(archive: bytes, old: str, new: bytes) -> bytes:
    """Replace an entry name (same length) in both the local and central headers, e.g. to
    plant a NUL byte that :mod:`zipfile` would refuse to write."""
    old_raw = old.encode()
    assert len(old_raw) == len(new)
    assert archive.count(old_raw) == 2, "name must appear once per header"
    return archive.replace(old_raw, new)


def _central_records(archive: bytes) -> list[int]:
    eocd = len(archive) - EOCD_SIZE
    count, _size, offset = struct.unpack_from("<HII", archive, eocd + 10)
    out = []
    pos = offset
    for _ in range(count):
        out.append(pos)
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", archive, pos + 28)
        pos += 46 + name_len + extra_len + comment_len
    return out


def set_declared_size(archive: bytes, name: str, size: int) -> bytes:
    """Make the central directory (and local header) declare another unpacked size."""
    data = bytearray(archive)
    for record in _central_records(archive):
        name_len = struct.unpack_from("<H", data, record + 28)[0]
        if bytes(data[record + 46 : record + 46 + name_len]) == name.encode():
            struct.pack_into("<I", data, record + 24, size)
            local = struct.unpack_from("<I", data, record + 42)[0]
            struct.pack_into("<I", data, local + 22, size)
            return bytes(data)
    raise KeyError(name)


def set_flag_bits(archive: bytes, name: str, flags: int) -> bytes:
    """Set general-purpose flag bits on an entry (central directory and local header)."""
    data = bytearray(archive)
    for record in _central_records(archive):
        name_len = struct.unpack_from("<H", data, record + 28)[0]
        if bytes(data[record + 46 : record + 46 + name_len]) == name.encode():
            struct.pack_into("<H", data, record + 8, flags)
            local = struct.unpack_from("<I", data, record + 42)[0]
            struct.pack_into("<H", data, local + 6, flags)
            return bytes(data)
    raise KeyError(name)


def zip_bomb_entry(name: str = "classes.dex", unpacked: int = 40 * 1024 * 1024) -> bytes:
    """A zip with one entry of zeros that deflates about 1000:1."""
    return plain_zip({"AndroidManifest.xml": b"\x03\x00\x08\x00\x08\x00\x00\x00",
                      name: bytes(unpacked)})


def signing_block_span(apk: bytes) -> tuple[int, int]:
    """(start, end) of the APK Signing Block; end is the central directory offset."""
    eocd = len(apk) - EOCD_SIZE
    (cd_offset,) = struct.unpack_from("<I", apk, eocd + 16)
    assert apk[cd_offset - 16 : cd_offset] == b"APK Sig Block 42"
    (size,) = struct.unpack_from("<Q", apk, cd_offset - 24)
    return cd_offset - size - 8, cd_offset


def v2_apk(package: str = "org.example.v2only", signer: str = "sim-developer-1") -> bytes:
    return build_apk(ApkSpec(package, schemes=("v2",), signer=signer))
