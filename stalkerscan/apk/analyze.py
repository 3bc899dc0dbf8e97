"""Inspect one APK: hashes, signing certificates, manifest facts and what it contains.

The thin orchestrator of this package: :func:`inspect_apk_details` hashes the file, opens it
with :class:`~stalkerscan.apk.archive.SafeArchive`, reads the certificates of every signature
scheme and the manifest, and returns everything with the problems met on the way. Nothing
here raises on a hostile, corrupt or truncated APK.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from stalkerscan.apk.archive import DEFAULT_LIMITS, ArchiveEntry, ArchiveLimits, SafeArchive
from stalkerscan.apk.certificates import (
    LINEAGE,
    SCHEME_ORDER,
    merge_certificates,
    signing_block_certificates,
    v1_certificates,
)
from stalkerscan.apk.hashes import FileHashes, hash_stream
from stalkerscan.apk.manifest import ManifestInfo, read_manifest
from stalkerscan.model import ApkFile, CertificateInfo, ParseProblem

MAX_MANIFEST_BYTES = 8 * 1024 * 1024
"""Largest ``AndroidManifest.xml`` read (real ones are under 1 MiB)."""

_NESTED_SUFFIXES = (".apk", ".zip", ".jar", ".aab", ".apks", ".xapk")


def is_dex_entry(entry: ArchiveEntry) -> bool:
    """A DEX file (``classes.dex``, ``classes2.dex``, or any ``*.dex`` in the archive)."""
    return not entry.is_dir and entry.name.lower().endswith(".dex")


def is_native_lib_entry(entry: ArchiveEntry) -> bool:
    """A native shared library (``*.so``, usually under ``lib/<abi>/``)."""
    return not entry.is_dir and entry.name.lower().endswith(".so")


def is_nested_archive_entry(entry: ArchiveEntry) -> bool:
    """An archive stored inside the archive (a dropper's payload, a split bundle)."""
    return not entry.is_dir and entry.name.lower().endswith(_NESTED_SUFFIXES)


@dataclass(frozen=True)
class ApkDetails:
    """Everything read from one APK."""

    apk: ApkFile
    """Hashes, merged certificates and problems, as kept in the inventory."""

    manifest: ManifestInfo | None = None
    """Manifest facts, or None when there is no readable manifest."""

    signature_schemes: tuple[str, ...] = ()
    """Signature schemes present (``v1``, ``v2``, ``v3``, ``v3.1``), oldest first."""

    certificates_by_scheme: Mapping[str, tuple[CertificateInfo, ...]] = field(
        default_factory=dict
    )
    """Signer certificates per scheme, before merging."""

    entry_count: int = 0
    """Entries listed in the archive."""

    dex_entries: tuple[str, ...] = ()
    """Names of the DEX files inside."""

    native_libraries: tuple[str, ...] = ()
    """Names of the native libraries inside."""

    nested_archives: tuple[str, ...] = ()
    """Names of archives stored inside (APKs in APKs are a dropper's habit)."""

    unsafe_entry_names: tuple[str, ...] = ()
    """Entry names that would be dangerous as file paths (never used as such)."""

    @property
    def lineage(self) -> tuple[CertificateInfo, ...]:
        """Past and current signing certificates from a v3 key-rotation lineage, oldest first."""
        return self.certificates_by_scheme.get(LINEAGE, ())

    @property
    def signers_differ(self) -> bool:
        """True when schemes name different signers that a key-rotation lineage does not
        explain (a sign of tampering: a legitimately rotated app signs v1/v2 with its old
        key and v3 with the new one, and its lineage lists both)."""
        signers = {
            scheme: frozenset(c.sha256 for c in certs)
            for scheme, certs in self.certificates_by_scheme.items()
            if certs and scheme != LINEAGE
        }
        if len(set(signers.values())) <= 1:
            return False
        explained = frozenset(c.sha256 for c in self.lineage)
        if not explained:
            return True
        return any(not certs <= explained for certs in signers.values())


def _open_stream(data: bytes | Path | BinaryIO) -> tuple[BinaryIO | None, str | None]:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(data)), None
    if isinstance(data, Path):
        try:
            return data.open("rb"), None
        except OSError as exc:
            return None, f"The APK file could not be opened: {exc.strerror or exc}."
    return data, None


def inspect_apk_details(
    data: bytes | Path | BinaryIO,
    *,
    device_path: str,
    case_path: str,
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> ApkDetails:
    """Read one APK (bytes, a path or a seekable binary stream) fully. Never raises."""
    source = case_path or device_path or "apk"
    stream, error = _open_stream(data)
    if stream is None:
        empty = ApkFile(device_path, case_path, 0, "", "", "",
                        problems=(ParseProblem(source, error or "unreadable"),))
        return ApkDetails(apk=empty)
    owns = isinstance(data, Path)
    try:
        return _inspect(stream, device_path=device_path, case_path=case_path, source=source,
                        limits=limits)
    finally:
        if owns:
            stream.close()


def _inspect(
    stream: BinaryIO, *, device_path: str, case_path: str, source: str, limits: ArchiveLimits
) -> ApkDetails:
    problems: list[ParseProblem] = []
    try:
        stream.seek(0)
        hashes = hash_stream(stream)
    except (OSError, ValueError) as exc:
        problems.append(ParseProblem(source, f"The APK could not be read for hashing: {exc}."))
        hashes = FileHashes("", "", "", 0)

    block = signing_block_certificates(stream, source=source)
    problems.extend(block.problems)
    stream.seek(0)
    archive = SafeArchive.open(stream, source=source, limits=limits)
    problems.extend(archive.problems)
    v1 = v1_certificates(archive)
    problems.extend(v1.problems)

    manifest: ManifestInfo | None = None
    manifest_entry = archive.find("AndroidManifest.xml")
    if manifest_entry is None:
        if archive.entries:
            problems.append(ParseProblem(source, "No AndroidManifest.xml: not an installable APK."))
    else:
        read = archive.read(manifest_entry, max_bytes=MAX_MANIFEST_BYTES)
        problems.extend(read.problems)
        if read.data is not None:
            manifest = read_manifest(read.data, source=f"{source}!AndroidManifest.xml")
            problems.extend(manifest.problems)
    archive.close()

    by_scheme: dict[str, tuple[CertificateInfo, ...]] = {**v1.by_scheme, **block.by_scheme}
    present = [s for s in SCHEME_ORDER if s in v1.present or s in block.present]
    if not present and archive.entries:
        problems.append(ParseProblem(source, "The APK carries no signature: Android would not "
                                     "install it as it is."))
    details = ApkDetails(
        apk=ApkFile(
            device_path=device_path,
            case_path=case_path,
            size=hashes.size,
            sha256=hashes.sha256,
            sha1=hashes.sha1,
            md5=hashes.md5,
            certificates=merge_certificates(by_scheme),
            problems=tuple(problems),
        ),
        manifest=manifest,
        signature_schemes=tuple(present),
        certificates_by_scheme=by_scheme,
        entry_count=len(archive.entries),
        dex_entries=tuple(e.name for e in archive.entries if is_dex_entry(e)),
        native_libraries=tuple(e.name for e in archive.entries if is_native_lib_entry(e)),
        nested_archives=tuple(e.name for e in archive.entries if is_nested_archive_entry(e)),
        unsafe_entry_names=tuple(e.name for e in archive.entries if e.unsafe_name),
    )
    if details.signers_differ:
        notice = ParseProblem(source, "Signature schemes name different signers: the APK may "
                              "have been tampered with.")
        details = replace(details, apk=replace(details.apk, problems=(*details.apk.problems, notice)))
    return details


def inspect_apk(
    data: bytes | Path | BinaryIO,
    *,
    device_path: str,
    case_path: str,
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> ApkFile:
    """Hashes, signing certificates and problems of one APK, as the inventory keeps them."""
    return inspect_apk_details(
        data, device_path=device_path, case_path=case_path, limits=limits
    ).apk
