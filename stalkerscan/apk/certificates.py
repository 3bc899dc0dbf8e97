"""Signing certificates of an APK: v1 JAR signatures and the APK Signing Block (v2, v3, v3.1).

A signing certificate is the strongest identity an APK has: anyone can pick a package name,
but only the holder of the private key can sign with it. Feeds list certificates by SHA-1
(Echap) or SHA-256 of the DER encoding, which is what :class:`CertificateInfo` carries.

Where they are:

* **v1** (JAR signing): ``META-INF/*.RSA`` / ``*.DSA`` / ``*.EC``, a PKCS#7 SignedData whose
  signer certificate is found by issuer and serial number.
* **v2 / v3 / v3.1** (APK Signature Scheme): the *APK Signing Block*, stored just before the
  zip central directory and ending in the magic ``APK Sig Block 42``; a sequence of
  length-prefixed ID-value pairs (v2 ``0x7109871a``, v3 ``0xf05368c0``, v3.1 ``0x1b93ad61``),
  each holding signers whose signed data lists DER certificates, the first being the
  signer's own.

This module extracts certificates; it does not verify signatures (the phone already did, at
install time, and the certificate is what identifies the developer). Everything here reads
hostile bytes: every length is checked, and malformed data becomes a
:class:`~stalkerscan.model.ParseProblem`, never an exception.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO

from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as crypto_x509

from stalkerscan.apk.archive import SafeArchive
from stalkerscan.model import CertificateInfo, ParseProblem, clean_excerpt

APK_SIG_BLOCK_MAGIC = b"APK Sig Block 42"
"""The 16 bytes that end an APK Signing Block."""

SIGNATURE_SCHEME_BLOCK_IDS: Mapping[int, str] = {
    0x7109871A: "v2",
    0xF05368C0: "v3",
    0x1B93AD61: "v3.1",
}
"""ID-value pair ids of the signature scheme blocks, by scheme name."""

SCHEME_ORDER = ("v1", "v2", "v3", "v3.1")
"""Schemes from oldest to newest."""

LINEAGE = "v3-lineage"
"""Pseudo-scheme of certificates from a v3 proof-of-rotation lineage: the app's past (and
current) signing certificates, each having vouched for the next. Android treats them as the
app's signing history."""

PROOF_OF_ROTATION_ATTR_ID = 0x3BA06F8C
"""v3 signed-data attribute holding the signing-key lineage."""

_EOCD_SIGNATURE = b"PK\x05\x06"
_EOCD_SIZE = 22
_MAX_SIGNING_BLOCK = 32 * 1024 * 1024
_MAX_SIGNERS = 16
_MAX_CERTIFICATES = 16
_MAX_V1_SIGNATURE_FILE = 1024 * 1024
_V1_SIGNATURE_FILE = re.compile(r"^META-INF/[^/]+\.(RSA|DSA|EC)$", re.IGNORECASE)


class _Malformed(ValueError):
    """A length or field that does not fit; caught and recorded as a problem."""


class _Reader:
    """Bounds-checked little-endian reads over a bytes slice."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, count: int, what: str) -> bytes:
        if count < 0 or count > self.remaining:
            raise _Malformed(
                f"{what} says {count} bytes but only {self.remaining} are left"
            )
        out = self.data[self.pos : self.pos + count]
        self.pos += count
        return out

    def u32(self, what: str) -> int:
        return int.from_bytes(self.take(4, what), "little")

    def u64(self, what: str) -> int:
        return int.from_bytes(self.take(8, what), "little")

    def prefixed(self, what: str) -> _Reader:
        """A uint32 length-prefixed field, as a reader of its own."""
        return _Reader(self.take(self.u32(f"{what} length"), what))

    def items(self, what: str, limit: int) -> list[_Reader]:
        """A length-prefixed sequence of length-prefixed items."""
        sequence = self.prefixed(what)
        out: list[_Reader] = []
        while sequence.remaining:
            if len(out) >= limit:
                raise _Malformed(f"{what} holds more than {limit} items")
            out.append(sequence.prefixed(f"{what} item"))
        return out


# =========================================================================== one certificate
def _rfc4514_fallback(name: asn1_x509.Name) -> str:
    parts: list[str] = []
    for rdn in reversed(list(name.chosen)):
        for attribute in rdn:
            key = attribute["type"].native
            short = {
                "common_name": "CN", "organization_name": "O", "organizational_unit_name": "OU",
                "country_name": "C", "locality_name": "L", "state_or_province_name": "ST",
            }.get(key, key)
            parts.append(f"{short}={attribute['value'].native}")
    return ",".join(parts)


def certificate_info(
    der: bytes, scheme: str, *, source: str
) -> tuple[CertificateInfo, tuple[ParseProblem, ...]]:
    """Fingerprints and names of one DER certificate. The fingerprints are taken over the
    bytes as stored even when the certificate itself cannot be parsed."""
    sha256 = hashlib.sha256(der).hexdigest()
    sha1 = hashlib.sha1(der, usedforsecurity=False).hexdigest()
    try:
        cert = crypto_x509.load_der_x509_certificate(der)
        return CertificateInfo(
            sha256=sha256,
            sha1=sha1,
            subject=cert.subject.rfc4514_string(),
            issuer=cert.issuer.rfc4514_string(),
            scheme=scheme,
            not_before=cert.not_valid_before_utc.isoformat().replace("+00:00", "Z"),
            not_after=cert.not_valid_after_utc.isoformat().replace("+00:00", "Z"),
        ), ()
    except Exception as strict_error:  # noqa: BLE001 - hostile bytes; fall back to a lenient parser
        reason = clean_excerpt(str(strict_error))
    # Lenient, field by field: whatever part is readable is kept.
    fields: dict[str, str | None] = {"subject": None, "issuer": None, "not_before": None,
                                     "not_after": None}
    readers = {
        "subject": lambda tbs: _rfc4514_fallback(tbs["subject"]),
        "issuer": lambda tbs: _rfc4514_fallback(tbs["issuer"]),
        "not_before": lambda tbs: _iso(tbs["validity"]["not_before"].native),
        "not_after": lambda tbs: _iso(tbs["validity"]["not_after"].native),
    }
    try:
        tbs = asn1_x509.Certificate.load(der)["tbs_certificate"]
    except Exception as exc:  # noqa: BLE001
        tbs, reason = None, f"{reason}; {clean_excerpt(str(exc))}"
    for name, read in readers.items():
        if tbs is None:
            break
        try:
            fields[name] = read(tbs)
        except Exception:  # noqa: BLE001, S112 - an unreadable field stays unknown
            continue
    unreadable = [name.replace("_", " ") for name, value in fields.items() if value is None]
    message = f"{scheme} certificate is not valid X.509 ({reason}); "
    message += (f"unreadable: {', '.join(unreadable)}; its fingerprints are kept."
                if unreadable else "read leniently; its fingerprints are kept.")
    return CertificateInfo(
        sha256=sha256, sha1=sha1, subject=fields["subject"] or "",
        issuer=fields["issuer"] or "", scheme=scheme, not_before=fields["not_before"],
        not_after=fields["not_after"],
    ), (ParseProblem(source, message),)


def _iso(moment: object) -> str:
    return moment.isoformat().replace("+00:00", "Z")  # type: ignore[attr-defined]


# =========================================================================== v1
@dataclass(frozen=True)
class CertificateSet:
    """Certificates found by one reader, with its problems."""

    present: tuple[str, ...] = ()
    """Schemes whose signature data is present (even when unreadable)."""

    by_scheme: Mapping[str, tuple[CertificateInfo, ...]] = field(default_factory=dict)
    """Signer certificates per scheme, in the order found."""

    problems: tuple[ParseProblem, ...] = ()
    """What could not be read."""


def _signer_certificates(signed: asn1_cms.SignedData) -> tuple[list[bytes], list[str]]:
    """DER of each signer's certificate, matched by issuer and serial; with notes."""
    notes: list[str] = []
    certificates = [c.chosen for c in (signed["certificates"] or []) if c.name == "certificate"]
    signer_ids = []
    for signer_info in signed["signer_infos"] or []:
        sid = signer_info["sid"]
        if sid.name == "issuer_and_serial_number":
            signer_ids.append((sid.chosen["issuer"].dump(), sid.chosen["serial_number"].native))
    matched: list[bytes] = []
    for issuer, serial in signer_ids:
        for cert in certificates:
            tbs = cert["tbs_certificate"]
            if tbs["issuer"].dump() == issuer and tbs["serial_number"].native == serial:
                matched.append(cert.dump())
                break
    if matched:
        return matched, notes
    if certificates:
        notes.append("no certificate matches a signer; all certificates in the file are listed")
        return [c.dump() for c in certificates[:_MAX_CERTIFICATES]], notes
    notes.append("the signature file holds no certificate")
    return [], notes


def v1_certificates(archive: SafeArchive) -> CertificateSet:
    """Signer certificates of the v1 JAR signature (``META-INF/*.RSA|DSA|EC``)."""
    problems: list[ParseProblem] = []
    found: list[CertificateInfo] = []
    files = archive.select(lambda e: bool(_V1_SIGNATURE_FILE.match(e.name)))
    for entry in files[:_MAX_SIGNERS]:
        where = f"{archive.source}!{clean_excerpt(entry.name)}"
        read = archive.read(entry, max_bytes=_MAX_V1_SIGNATURE_FILE)
        problems.extend(read.problems)
        if read.data is None:
            continue
        try:
            info = asn1_cms.ContentInfo.load(read.data)
            if info["content_type"].native != "signed_data":
                problems.append(ParseProblem(where, "v1 signature file is not a PKCS#7 "
                                             "SignedData structure."))
                continue
            ders, notes = _signer_certificates(info["content"])
        except Exception as exc:  # noqa: BLE001 - hostile bytes into a third-party parser
            problems.append(ParseProblem(
                where, f"v1 signature file is malformed PKCS#7 ({clean_excerpt(str(exc))})."
            ))
            continue
        problems.extend(ParseProblem(where, f"v1 signature: {note}.") for note in notes)
        for der in ders:
            cert, cert_problems = certificate_info(der, "v1", source=where)
            found.append(cert)
            problems.extend(cert_problems)
    if len(files) > _MAX_SIGNERS:
        problems.append(ParseProblem(archive.source, f"Only the first {_MAX_SIGNERS} of "
                                     f"{len(files)} v1 signature files were read."))
    return CertificateSet(
        present=("v1",) if files else (),
        by_scheme={"v1": tuple(found)} if files else {},
        problems=tuple(problems),
    )


# =========================================================================== signing block
def _find_eocd(tail: bytes) -> int | None:
    """Offset of the end-of-central-directory record in ``tail`` (which ends the file),
    requiring its comment length to reach exactly the end, as Android does."""
    end = len(tail)
    while True:
        pos = tail.rfind(_EOCD_SIGNATURE, 0, end)
        if pos < 0:
            return None
        if pos + _EOCD_SIZE <= len(tail):
            (comment_length,) = struct.unpack_from("<H", tail, pos + 20)
            if pos + _EOCD_SIZE + comment_length == len(tail):
                return pos
        end = pos + 3  # keep searching strictly before this candidate


def _read_at(stream: BinaryIO, offset: int, count: int) -> bytes:
    stream.seek(offset)
    data = stream.read(count)
    if len(data) != count:
        raise _Malformed(f"file ends before {count} bytes at offset {offset} could be read")
    return data


def _lineage_certificates(value: bytes, scheme: str) -> list[bytes]:
    """DER certificates of a v3 proof-of-rotation lineage, oldest first."""
    lineage = _Reader(value)
    version = lineage.u32("lineage version")
    if version != 1:
        raise _Malformed(f"unknown lineage version {version}")
    ders: list[bytes] = []
    while lineage.remaining:
        if len(ders) >= _MAX_CERTIFICATES:
            raise _Malformed(f"lineage holds more than {_MAX_CERTIFICATES} signers")
        node = lineage.prefixed("lineage node")
        signed = node.prefixed("lineage signed data")
        ders.append(signed.prefixed("lineage certificate").data)
    return ders


def _parse_signer(
    signer: _Reader, scheme: str, *, source: str
) -> tuple[list[CertificateInfo], list[CertificateInfo], list[ParseProblem]]:
    """The signer's certificate, its rotation lineage (v3 and later), and problems."""
    signed_data = signer.prefixed(f"{scheme} signed data")
    signed_data.items(f"{scheme} digests", 64)
    certificates = signed_data.items(f"{scheme} certificates", _MAX_CERTIFICATES)
    if not certificates:
        raise _Malformed(f"{scheme} signer lists no certificate")
    # The first certificate is the signer's own; any others are its chain.
    cert, cert_problems = certificate_info(certificates[0].data, scheme, source=source)
    problems = list(cert_problems)
    lineage: list[CertificateInfo] = []
    if scheme != "v2":
        try:
            signed_data.u32("min SDK")
            signed_data.u32("max SDK")
            for attribute in signed_data.items(f"{scheme} attributes", 64):
                if attribute.u32("attribute id") != PROOF_OF_ROTATION_ATTR_ID:
                    continue
                for der in _lineage_certificates(attribute.data[attribute.pos :], scheme):
                    info, more = certificate_info(der, LINEAGE, source=source)
                    lineage.append(info)
                    problems.extend(more)
        except _Malformed as exc:
            problems.append(ParseProblem(source, f"Malformed {scheme} signing-key lineage: {exc}."))
    return [cert], lineage, problems


def signing_block_certificates(
    stream: BinaryIO | bytes, *, source: str = "apk"
) -> CertificateSet:
    """Signer certificates from the APK Signing Block (v2, v3, v3.1). Never raises."""
    if isinstance(stream, (bytes, bytearray, memoryview)):
        stream = io.BytesIO(bytes(stream))
    problems: list[ParseProblem] = []
    try:
        size = stream.seek(0, io.SEEK_END)
        tail_start = max(0, size - (_EOCD_SIZE + 0xFFFF))
        tail = _read_at(stream, tail_start, size - tail_start)
        eocd = _find_eocd(tail)
        if eocd is None:
            return CertificateSet(problems=(ParseProblem(
                source, "No zip end-of-directory record: the APK is truncated or not a zip, "
                "so its signing block could not be looked for."),))
        (cd_offset,) = struct.unpack_from("<I", tail, eocd + 16)
        eocd_offset = tail_start + eocd
        if cd_offset == 0xFFFFFFFF:
            return CertificateSet(problems=(ParseProblem(
                source, "zip64 archive: Android installs no APK of this kind, so no signing "
                "block was looked for."),))
        if cd_offset > eocd_offset:
            return CertificateSet(problems=(ParseProblem(
                source, "The central directory offset points past the end of the archive; "
                "the signing block could not be located."),))
        if cd_offset < 32:
            return CertificateSet()
        footer = _read_at(stream, cd_offset - 24, 24)
        if footer[8:] != APK_SIG_BLOCK_MAGIC:
            return CertificateSet()  # no signing block: v1-only or unsigned
        (block_size,) = struct.unpack_from("<Q", footer, 0)
        if block_size < 24 or block_size + 8 > cd_offset:
            raise _Malformed(f"signing block size {block_size} does not fit in the file")
        if block_size > _MAX_SIGNING_BLOCK:
            raise _Malformed(f"signing block declares {block_size} bytes, above the "
                             f"{_MAX_SIGNING_BLOCK} bytes accepted")
        block_start = cd_offset - block_size - 8
        block = _read_at(stream, block_start, block_size + 8)
        (header_size,) = struct.unpack_from("<Q", block, 0)
        if header_size != block_size:
            raise _Malformed(f"signing block sizes disagree (header {header_size}, "
                             f"footer {block_size})")
        pairs = _Reader(block[8 : len(block) - 24])
    except _Malformed as exc:
        return CertificateSet(present=("signing-block",), problems=(ParseProblem(
            source, f"Malformed APK Signing Block: {exc}."),))
    except (OSError, ValueError, OverflowError, struct.error) as exc:
        return CertificateSet(problems=(ParseProblem(
            source, f"The signing block could not be read: {clean_excerpt(str(exc))}."),))

    present: list[str] = []
    by_scheme: dict[str, tuple[CertificateInfo, ...]] = {}
    try:
        while pairs.remaining:
            length = pairs.u64("ID-value pair length")
            if length < 4 or length > pairs.remaining:
                raise _Malformed(f"ID-value pair length {length} does not fit "
                                 f"({pairs.remaining} bytes left)")
            pair = _Reader(pairs.take(length, "ID-value pair"))
            block_id = pair.u32("pair id")
            scheme = SIGNATURE_SCHEME_BLOCK_IDS.get(block_id)
            if scheme is None:
                continue  # padding, source stamp, verity, ... : not signatures
            present.append(scheme)
            found: list[CertificateInfo] = []
            try:
                signers = _Reader(pair.data[pair.pos :]).items(f"{scheme} signers", _MAX_SIGNERS)
                if not signers:
                    raise _Malformed(f"{scheme} block has no signer")
            except _Malformed as exc:
                problems.append(ParseProblem(source, f"Malformed {scheme} signature block: {exc}."))
                by_scheme[scheme] = ()
                continue
            for number, signer in enumerate(signers, start=1):
                try:
                    certs, lineage, cert_problems = _parse_signer(signer, scheme, source=source)
                    found.extend(certs)
                    if lineage:
                        by_scheme[LINEAGE] = by_scheme.get(LINEAGE, ()) + tuple(lineage)
                    problems.extend(cert_problems)
                except _Malformed as exc:
                    problems.append(ParseProblem(
                        source, f"Malformed {scheme} signer #{number}: {exc}."))
            by_scheme[scheme] = by_scheme.get(scheme, ()) + tuple(found)
    except _Malformed as exc:
        problems.append(ParseProblem(source, f"Malformed APK Signing Block: {exc}."))
    return CertificateSet(present=tuple(present), by_scheme=by_scheme, problems=tuple(problems))


# =========================================================================== merging
def merge_certificates(
    by_scheme: Mapping[str, Iterable[CertificateInfo]],
) -> tuple[CertificateInfo, ...]:
    """One entry per certificate (by SHA-256) across schemes, labelled with the newest
    scheme that signed with it (a lineage-only certificate keeps the lineage label),
    ordered by first appearance from the newest scheme down."""
    newest_first = sorted(
        by_scheme, key=lambda s: SCHEME_ORDER.index(s) if s in SCHEME_ORDER else -1, reverse=True
    )
    merged: dict[str, CertificateInfo] = {}
    for scheme in newest_first:
        for cert in by_scheme[scheme]:
            merged.setdefault(cert.sha256, cert)
    return tuple(merged.values())
