"""Read zip archives (APKs) chosen by someone hostile, in memory, within firm limits.

An APK pulled from a survivor's phone may have been built to break analysis tools: a zip
bomb, millions of entries, entry names that climb out of a folder (``../``), names with NUL
bytes, archives nested in archives, truncated or corrupt data. :class:`SafeArchive` reads
such files without ever raising, never extracting anything to disk, and records every
problem as a :class:`~stalkerscan.model.ParseProblem` with a plain message saying which
limit stopped what.

Python's :mod:`zipfile` does the zip parsing; this module decides what it is allowed to
read, in what amounts, and for how long.
"""

from __future__ import annotations

import copy
import io
import struct
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from stalkerscan.model import ParseProblem, clean_excerpt

_MIB = 1024 * 1024
_READ_CHUNK = _MIB
_EOCD_SIGNATURE = b"PK\x05\x06"
_EOCD_SIZE = 22
_MAX_COMMENT = 0xFFFF
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
_SUPPORTED_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}


@dataclass(frozen=True)
class ArchiveLimits:
    """How much of an archive stalkerscan agrees to read. Defaults fit real APKs (a large
    game is a few hundred MiB) while stopping zip bombs within seconds."""

    max_archive_bytes: int = 4 * 1024 * _MIB
    """Largest archive file accepted at all."""

    max_entries: int = 65_535
    """Most entries listed (the zip format's own non-zip64 maximum)."""

    max_directory_bytes: int = 32 * _MIB
    """Largest central directory accepted (65,535 entries with long names fit in 10 MiB)."""

    max_entry_bytes: int = 256 * _MIB
    """Most bytes unpacked from one entry (a real classes.dex is under 20 MiB)."""

    max_total_bytes: int = 1024 * _MIB
    """Most bytes unpacked from one archive, nested archives included."""

    max_ratio: float = 200.0
    """Highest unpacked / packed size ratio accepted for an entry larger than
    :attr:`ratio_floor_bytes` (real DEX compresses about 3:1; bombs reach 1000:1)."""

    ratio_floor_bytes: int = 4 * _MIB
    """Entries smaller than this unpacked are exempt from the ratio check (a small file of
    zeros legitimately compresses very well)."""

    max_nesting: int = 2
    """How deep archives inside archives are opened (the APK itself is depth 0)."""

    max_seconds: float = 60.0
    """Wall-clock budget for reading one archive, nested archives included."""


DEFAULT_LIMITS = ArchiveLimits()
"""The limits used when none are given."""


@dataclass(frozen=True)
class ArchiveEntry:
    """One entry of the archive's central directory, as declared (sizes can lie)."""

    name: str
    """The entry name exactly as stored (decoded), NUL bytes and backslashes kept."""

    compressed_size: int
    """Declared packed size in bytes."""

    uncompressed_size: int
    """Declared unpacked size in bytes (a zip bomb may understate it)."""

    method: int
    """Compression method number (0 stored, 8 deflated)."""

    crc: int
    """Declared CRC-32 of the unpacked data."""

    header_offset: int
    """Offset of the entry's local header in the archive."""

    flag_bits: int
    """General-purpose flag bits (bit 0 = marked encrypted)."""

    unsafe_name: str | None = None
    """Why the name is unsafe to use as a path (``../``, absolute, backslash, NUL), or None."""

    index: int = 0
    """Position in the central directory (duplicate names stay distinct)."""

    @property
    def is_dir(self) -> bool:
        """True for directory entries (name ends with ``/``)."""
        return self.name.endswith("/")

    @property
    def declared_ratio(self) -> float:
        """Declared unpacked / packed size."""
        return self.uncompressed_size / max(self.compressed_size, 1)


@dataclass(frozen=True)
class EntryRead:
    """The outcome of reading one entry."""

    entry: ArchiveEntry
    """The entry read."""

    data: bytes | None
    """The unpacked bytes, or None when the entry could not be read or a limit stopped it."""

    problems: tuple[ParseProblem, ...] = ()
    """Why data is missing, or notes about how it was read."""

    @property
    def ok(self) -> bool:
        """True when ``data`` holds the complete entry."""
        return self.data is not None


@dataclass
class _Budget:
    """Bytes and time shared by an archive and the archives nested in it."""

    limits: ArchiveLimits
    started: float = field(default_factory=time.monotonic)
    bytes_read: int = 0

    def seconds_left(self) -> float:
        return self.limits.max_seconds - (time.monotonic() - self.started)


def unsafe_name_reason(name: str) -> str | None:
    """Why ``name`` would be dangerous as a file path, or None when it is a plain relative path."""
    if "\x00" in name:
        return "contains a NUL byte"
    if "\\" in name:
        return "contains a backslash"
    if name.startswith("/"):
        return "is an absolute path"
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        return "starts with a drive letter"
    if any(part == ".." for part in name.split("/")):
        return "climbs out of its folder ('..')"
    if any(ord(ch) < 0x20 for ch in name):
        return "contains control characters"
    return None


def _size_words(size: int) -> str:
    return f"{size / _MIB:.0f} MiB" if size >= _MIB else f"{size} bytes"


class SafeArchive:
    """A zip archive opened for bounded, in-memory reading. Never raises on bad input.

    Open with :meth:`open`; read entries with :meth:`read`; descend into an archive stored
    inside this one with :meth:`open_nested`. Every problem lands in :attr:`problems` (the
    listing) or in the :class:`EntryRead` of the entry concerned.
    """

    def __init__(
        self,
        stream: BinaryIO,
        *,
        source: str,
        limits: ArchiveLimits,
        depth: int,
        budget: _Budget,
        owns_stream: bool,
    ) -> None:
        self.source = source
        """Name used in problem records (a case path or the file name)."""
        self.limits = limits
        self.depth = depth
        """0 for the archive itself, 1 for an archive stored inside it, ..."""
        self._stream = stream
        self._owns_stream = owns_stream
        self._budget = budget
        self._zip: zipfile.ZipFile | None = None
        self._infos: list[zipfile.ZipInfo] = []
        self.entries: tuple[ArchiveEntry, ...] = ()
        """Every listed entry, in central-directory order."""
        self.problems: list[ParseProblem] = []
        """Problems found while listing the archive."""
        self.complete = False
        """True when the whole central directory was listed."""
        self._list()

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls,
        data: bytes | bytearray | memoryview | Path | BinaryIO,
        *,
        source: str = "archive",
        limits: ArchiveLimits = DEFAULT_LIMITS,
    ) -> SafeArchive:
        """Open bytes, a file path or a seekable binary stream. Never raises."""
        owns = False
        stream: BinaryIO
        if isinstance(data, (bytes, bytearray, memoryview)):
            stream = io.BytesIO(bytes(data))
        elif isinstance(data, Path):
            try:
                stream = data.open("rb")
                owns = True
            except OSError as exc:
                archive = cls(
                    io.BytesIO(b""), source=source, limits=limits, depth=0,
                    budget=_Budget(limits), owns_stream=True,
                )
                archive.problems = [
                    ParseProblem(source, f"The file could not be opened: {exc.strerror or exc}.")
                ]
                return archive
        else:
            stream = data
        return cls(
            stream, source=source, limits=limits, depth=0, budget=_Budget(limits),
            owns_stream=owns,
        )

    def close(self) -> None:
        """Release the underlying file (when this archive opened it)."""
        if self._zip is not None:
            self._zip.close()
            self._zip = None
        if self._owns_stream:
            self._stream.close()

    def __enter__(self) -> SafeArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _problem(self, message: str, excerpt: str = "") -> ParseProblem:
        problem = ParseProblem(self.source, message, excerpt=clean_excerpt(excerpt))
        return problem

    # ------------------------------------------------------------------ listing
    def _archive_size(self) -> int | None:
        try:
            return self._stream.seek(0, io.SEEK_END)
        except (OSError, ValueError):
            return None

    def _declared_directory(self, size: int) -> tuple[int, int] | None:
        """Entry count and central-directory size from the end-of-central-directory record,
        read before zipfile parses the directory, so a huge directory is refused cheaply."""
        tail_len = min(size, _EOCD_SIZE + _MAX_COMMENT + 20)
        try:
            self._stream.seek(size - tail_len)
            tail = self._stream.read(tail_len)
        except (OSError, ValueError):
            return None
        pos = tail.rfind(_EOCD_SIGNATURE)
        if pos < 0 or pos + _EOCD_SIZE > len(tail):
            return None
        total, cd_size = struct.unpack_from("<HI", tail, pos + 10)
        if total == 0xFFFF and pos >= 20 and tail[pos - 20 : pos - 16] == _ZIP64_LOCATOR_SIGNATURE:
            (zip64_offset,) = struct.unpack_from("<Q", tail, pos - 12)
            try:
                self._stream.seek(zip64_offset)
                record = self._stream.read(56)
            except (OSError, ValueError, OverflowError):
                return None
            if len(record) == 56 and record[:4] == _ZIP64_EOCD_SIGNATURE:
                total, cd_size = struct.unpack_from("<QQ", record, 32)
        return total, cd_size

    def _list(self) -> None:
        size = self._archive_size()
        if size is None:
            self.problems.append(self._problem("The archive could not be read (not seekable)."))
            return
        if size == 0:
            self.problems.append(self._problem("The file is empty: it is not a zip archive."))
            return
        if size > self.limits.max_archive_bytes:
            self.problems.append(self._problem(
                f"Not read: the file is {_size_words(size)}, above the limit of "
                f"{_size_words(self.limits.max_archive_bytes)} (max_archive_bytes)."
            ))
            return
        declared = self._declared_directory(size)
        if declared is not None and declared[0] > self.limits.max_entries:
            self.problems.append(self._problem(
                f"Not read: the archive declares {declared[0]} entries, above the limit of "
                f"{self.limits.max_entries} (max_entries). It may be built to exhaust "
                "analysis tools."
            ))
            return
        if declared is not None and declared[1] > self.limits.max_directory_bytes:
            self.problems.append(self._problem(
                f"Not read: its central directory declares {_size_words(declared[1])}, above "
                f"the limit of {_size_words(self.limits.max_directory_bytes)} "
                "(max_directory_bytes)."
            ))
            return
        try:
            self._stream.seek(0)
            self._zip = zipfile.ZipFile(self._stream)  # noqa: SIM115 - closed in close()
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
                struct.error, NotImplementedError, UnicodeDecodeError, OverflowError,
                MemoryError, RecursionError) as exc:
            self.problems.append(self._problem(
                f"Not a readable zip archive (truncated or corrupt): {exc}."
            ))
            self._zip = None
            return
        if len(infos) > self.limits.max_entries:
            self.problems.append(self._problem(
                f"Only the first {self.limits.max_entries} of {len(infos)} entries were "
                "listed (max_entries)."
            ))
            infos = infos[: self.limits.max_entries]
        else:
            self.complete = True
        entries: list[ArchiveEntry] = []
        seen: set[str] = set()
        for index, info in enumerate(infos):
            name = info.orig_filename
            reason = unsafe_name_reason(name)
            if reason:
                self.problems.append(self._problem(
                    f"Entry name {reason}: a path-traversal or confusion trick. It is never "
                    "written to disk; its content is still checked.", excerpt=name
                ))
            if name in seen:
                self.problems.append(self._problem(
                    "Two entries share this name; Android refuses such APKs (a known trick "
                    "to show tools different content than the phone runs).", excerpt=name
                ))
            seen.add(name)
            entries.append(ArchiveEntry(
                name=name,
                compressed_size=info.compress_size,
                uncompressed_size=info.file_size,
                method=info.compress_type,
                crc=info.CRC,
                header_offset=info.header_offset,
                flag_bits=info.flag_bits,
                unsafe_name=reason,
                index=index,
            ))
        self._infos = list(infos)
        self.entries = tuple(entries)

    # ------------------------------------------------------------------ lookups
    def find(self, name: str) -> ArchiveEntry | None:
        """The first entry with exactly this name."""
        for entry in self.entries:
            if entry.name == name:
                return entry
        return None

    def select(self, predicate: Callable[[ArchiveEntry], bool]) -> list[ArchiveEntry]:
        """Entries for which ``predicate`` is true, in directory order."""
        return [entry for entry in self.entries if predicate(entry)]

    # ------------------------------------------------------------------ reading
    def read(self, entry: ArchiveEntry | str, *, max_bytes: int | None = None) -> EntryRead:
        """Unpack one entry in memory within the limits (``max_bytes`` can tighten the
        per-entry limit). Never raises."""
        if isinstance(entry, str):
            found = self.find(entry)
            if found is None:
                missing = ArchiveEntry(entry, 0, 0, 0, 0, 0, 0)
                return EntryRead(missing, None, (self._problem("No such entry.", entry),))
            entry = found
        limit = self.limits.max_entry_bytes if max_bytes is None else min(
            max_bytes, self.limits.max_entry_bytes
        )
        notes: list[ParseProblem] = []

        def stop(message: str) -> EntryRead:
            return EntryRead(entry, None, (*notes, self._problem(message, entry.name)))

        if self._zip is None or not (0 <= entry.index < len(self._infos)):
            return stop("The archive could not be opened, so the entry was not read.")
        if entry.method not in _SUPPORTED_METHODS:
            return stop(
                f"Not read: compression method {entry.method} is not one Android accepts "
                "(stored or deflated)."
            )
        if entry.uncompressed_size > limit:
            return stop(
                f"Not read: it declares {_size_words(entry.uncompressed_size)} unpacked, above "
                f"the per-entry limit of {_size_words(limit)} (max_entry_bytes)."
            )
        if (
            entry.uncompressed_size > self.limits.ratio_floor_bytes
            and entry.declared_ratio > self.limits.max_ratio
        ):
            return stop(
                f"Not read: it would unpack {entry.declared_ratio:.0f} times its packed size, "
                f"above the limit of {self.limits.max_ratio:.0f} (max_ratio). It looks like a "
                "zip bomb; the rest of the archive was still checked."
            )
        info = self._infos[entry.index]
        if info.flag_bits & 0x1:
            # Android ignores the encryption flag; malware sets it to break analysis tools.
            info = copy.copy(info)
            info.flag_bits &= ~0x1
            notes.append(self._problem(
                "Entry is marked encrypted, which Android ignores (an anti-analysis trick); "
                "it was read as plain data.", entry.name
            ))
        chunks: list[bytes] = []
        got = 0
        try:
            with self._zip.open(info) as handle:
                while True:
                    if self._budget.seconds_left() <= 0:
                        return stop(
                            f"Stopped: reading took longer than {self.limits.max_seconds:.0f} s "
                            "(max_seconds)."
                        )
                    want = min(_READ_CHUNK, limit - got + 1)
                    chunk = handle.read(want)
                    if not chunk:
                        break
                    got += len(chunk)
                    self._budget.bytes_read += len(chunk)
                    if got > limit:
                        return stop(
                            f"Stopped: it unpacks to more than {_size_words(limit)} "
                            "(max_entry_bytes), more than it declares. It looks like a zip "
                            "bomb; the rest of the archive was still checked."
                        )
                    if self._budget.bytes_read > self.limits.max_total_bytes:
                        return stop(
                            "Stopped: the archive unpacks to more than "
                            f"{_size_words(self.limits.max_total_bytes)} in total "
                            "(max_total_bytes)."
                        )
                    if (
                        got > self.limits.ratio_floor_bytes
                        and got / max(entry.compressed_size, 1) > self.limits.max_ratio
                    ):
                        return stop(
                            f"Stopped: it unpacks to more than {self.limits.max_ratio:.0f} times "
                            "its packed size (max_ratio). It looks like a zip bomb; the rest of "
                            "the archive was still checked."
                        )
                    chunks.append(chunk)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error, struct.error,
                NotImplementedError, RuntimeError, UnicodeDecodeError, OverflowError,
                MemoryError) as exc:
            return stop(f"Could not be unpacked (corrupt or truncated): {exc}.")
        return EntryRead(entry, b"".join(chunks), tuple(notes))

    def peek(self, entry: ArchiveEntry, count: int = 8) -> bytes:
        """The first ``count`` bytes of an entry (``b""`` when unreadable), e.g. to spot a DEX
        file stored under another name. Reads at most ``count`` bytes unpacked."""
        if (
            self._zip is None
            or not (0 <= entry.index < len(self._infos))
            or entry.method not in _SUPPORTED_METHODS
            or self._budget.seconds_left() <= 0
        ):
            return b""
        info = self._infos[entry.index]
        if info.flag_bits & 0x1:
            info = copy.copy(info)
            info.flag_bits &= ~0x1
        try:
            with self._zip.open(info) as handle:
                return handle.read(max(0, count))
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error, struct.error,
                NotImplementedError, RuntimeError, UnicodeDecodeError, OverflowError,
                MemoryError):
            return b""

    def iter_reads(
        self, predicate: Callable[[ArchiveEntry], bool], *, max_bytes: int | None = None
    ) -> Iterator[EntryRead]:
        """Read every entry for which ``predicate`` is true, one at a time."""
        for entry in self.entries:
            if predicate(entry):
                yield self.read(entry, max_bytes=max_bytes)

    def open_nested(self, entry: ArchiveEntry | str) -> SafeArchive | EntryRead:
        """Open an archive stored inside this one (same byte and time budget), or return the
        failed :class:`EntryRead` saying why it was not opened."""
        name = entry if isinstance(entry, str) else entry.name
        if self.depth + 1 > self.limits.max_nesting:
            target = entry if isinstance(entry, ArchiveEntry) else (
                self.find(name) or ArchiveEntry(name, 0, 0, 0, 0, 0, 0)
            )
            return EntryRead(target, None, (self._problem(
                f"Not opened: archives nested deeper than {self.limits.max_nesting} levels are "
                "not read (max_nesting).", name
            ),))
        read = self.read(entry)
        if read.data is None:
            return read
        return SafeArchive(
            io.BytesIO(read.data), source=f"{self.source}!{clean_excerpt(name)}",
            limits=self.limits, depth=self.depth + 1, budget=self._budget, owns_stream=True,
        )
