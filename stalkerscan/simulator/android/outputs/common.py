"""Helpers shared by the output renderers: Java-compatible hashes, dates, ordering, bytes."""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from stalkerscan.simulator.android.base import ShellResult
from stalkerscan.simulator.android.profile import AndroidProfile, AppSpec, ContentFaults


@dataclass(frozen=True)
class Context:
    """What every renderer needs: the profile and the content faults in force."""

    profile: AndroidProfile
    """The phone."""

    faults: ContentFaults
    """Output faults switched on."""

    @property
    def sdk(self) -> int:
        """API level."""
        return self.profile.sdk

    @property
    def samsung(self) -> bool:
        """Samsung output variant."""
        return self.profile.vendor == "samsung"

    def ordered_apps(self) -> Sequence[AppSpec]:
        """Apps in the order PackageManagerService keeps them (an ArrayMap by name hash)."""
        return _ordered(self.profile)

    def local_time(self, ms: int) -> str:
        """``yyyy-MM-dd HH:mm:ss`` in the phone's time zone (SimpleDateFormat)."""
        return format_time(ms, self.profile.timezone)

    def identity(self, *parts: object) -> str:
        """A stable stand-in for ``Integer.toHexString(System.identityHashCode(obj))``."""
        return identity_hash(self.profile.seed, *parts)


def _ordered(profile: AndroidProfile) -> Sequence[AppSpec]:
    cached = profile.__dict__.get("_arraymap_order")
    if cached is None:
        cached = tuple(sorted(profile.apps, key=lambda a: java_string_hash(a.package)))
        object.__setattr__(profile, "_arraymap_order", cached)
    return cached


def java_string_hash(text: str) -> int:
    """``String.hashCode()``: signed 32-bit, over UTF-16 code units."""
    h = 0
    if text.isascii():
        for ch in text:
            h = (31 * h + ord(ch)) & 0xFFFFFFFF
    else:
        units = text.encode("utf-16-be", "surrogatepass")
        for i in range(0, len(units), 2):
            h = (31 * h + (units[i] << 8 | units[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def java_bytes_hash(data: bytes) -> int:
    """``Arrays.hashCode(byte[])`` (how ``Signature.hashCode()`` is computed), signed."""
    h = 1
    for byte in data:
        signed = byte - 256 if byte > 127 else byte
        h = (31 * h + signed) & 0xFFFFFFFF
    return h - (1 << 32) if h & 0x80000000 else h


def to_hex(value: int) -> str:
    """``Integer.toHexString``: two's complement for negatives, no leading zeros."""
    return format(value & 0xFFFFFFFF, "x")


def identity_hash(seed: int, *parts: object) -> str:
    """7-digit hex like an identity hash code, stable for the same seed and parts."""
    digest = hashlib.blake2b("\x1f".join(map(str, (seed, *parts))).encode("utf-8",
                                                                          "surrogatepass"),
                             digest_size=4).digest()
    value = int.from_bytes(digest, "big") & 0x0FFFFFFF
    return format(value | 0x01000000, "x")


def java_hashmap_order(keys: Sequence[str]) -> list[int]:
    """Indices of ``keys`` in the order a ``java.util.HashMap`` filled with them iterates."""
    capacity = 16
    while len(keys) > capacity * 0.75:
        capacity *= 2

    def bucket(key: str) -> int:
        h = java_string_hash(key) & 0xFFFFFFFF
        return (h ^ (h >> 16)) & (capacity - 1)

    return sorted(range(len(keys)), key=lambda i: (bucket(keys[i]), i))


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=65536)
def format_time(ms: int, timezone: str) -> str:
    """Milliseconds since the epoch as ``yyyy-MM-dd HH:mm:ss`` in ``timezone``."""
    moment = _dt.datetime.fromtimestamp(ms / 1000, _zone(timezone))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def encode(text: str) -> bytes:
    """Text to the bytes the phone writes. Lone surrogates \\udc80-\\udcff become the raw
    bytes they stand for (so profiles can carry invalid UTF-8); other lone surrogates are
    written as the (invalid) bytes Java's modified UTF-8 would produce."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def lines(items: Iterable[str]) -> bytes:
    """Join lines with ``\\n`` (and a final one) and encode."""
    return encode("".join(f"{item}\n" for item in items))


def ok(stdout: bytes | str = b"", stderr: bytes | str = b"", exit_code: int = 0) -> ShellResult:
    """A ShellResult from text or bytes."""
    out = stdout if isinstance(stdout, bytes) else encode(stdout)
    err = stderr if isinstance(stderr, bytes) else encode(stderr)
    return ShellResult(out, err, exit_code)


def fail(stderr: str, exit_code: int = 1, stdout: str = "") -> ShellResult:
    """A failing ShellResult."""
    return ShellResult(encode(stdout), encode(stderr), exit_code)
