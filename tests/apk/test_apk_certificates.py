"""Signing certificates from v1, v2 and v3 signatures, on APKs the tests build and sign."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile

import pytest
from apk_hostile_builders import signing_block_span, v2_apk
from cryptography import x509

from stalkerscan.apk import (
    SafeArchive,
    inspect_apk,
    inspect_apk_details,
    signing_block_certificates,
)
from stalkerscan.apk.certificates import certificate_info, merge_certificates, v1_certificates
from stalkerscan.simulator.apkgen import ApkSpec, build_apk, signer_certificate_der, signer_names

SCHEME_SETS = [("v1",), ("v2",), ("v3",), ("v1", "v2"), ("v1", "v2", "v3")]


def _fingerprints(signer: str) -> tuple[str, str]:
    der = signer_certificate_der(signer)
    return hashlib.sha1(der).hexdigest(), hashlib.sha256(der).hexdigest()


@pytest.mark.parametrize("signer", signer_names())
@pytest.mark.parametrize("schemes", SCHEME_SETS)
def test_every_scheme_yields_the_signer_certificate(signer: str, schemes: tuple[str, ...]) -> None:
    apk = build_apk(ApkSpec("org.example.certs", schemes=schemes, signer=signer))
    details = inspect_apk_details(apk, device_path="/data/app/base.apk", case_path="apks/a.apk")
    sha1, sha256 = _fingerprints(signer)
    assert details.signature_schemes == schemes
    assert set(details.certificates_by_scheme) == set(schemes)
    for scheme in schemes:
        certs = details.certificates_by_scheme[scheme]
        assert [(c.sha1, c.sha256, c.scheme) for c in certs] == [(sha1, sha256, scheme)]
    # Merged: one certificate, labelled with the newest scheme.
    assert len(details.apk.certificates) == 1
    cert = details.apk.certificates[0]
    assert cert.scheme == schemes[-1]
    expected = x509.load_der_x509_certificate(signer_certificate_der(signer))
    assert cert.subject == expected.subject.rfc4514_string()
    assert "O=stalkerscan simulator" in cert.subject
    assert cert.not_before == "2020-01-01T00:00:00Z"
    assert cert.not_after == "2070-01-01T00:00:00Z"
    assert details.apk.problems == ()
    assert not details.signers_differ


def test_hashes_and_paths_are_kept() -> None:
    apk = build_apk(ApkSpec("org.example.hash"))
    result = inspect_apk(apk, device_path="/data/app/~~x/base.apk", case_path="apks/h/base.apk")
    assert result.sha256 == hashlib.sha256(apk).hexdigest()
    assert result.sha1 == hashlib.sha1(apk).hexdigest()
    assert result.md5 == hashlib.md5(apk).hexdigest()
    assert result.size == len(apk)
    assert (result.device_path, result.case_path) == ("/data/app/~~x/base.apk", "apks/h/base.apk")


def test_path_input_gives_the_same_result(tmp_path) -> None:
    apk = build_apk(ApkSpec("org.example.path", schemes=("v1", "v2", "v3")))
    path = tmp_path / "base.apk"
    path.write_bytes(apk)
    from_path = inspect_apk(path, device_path="d", case_path="c")
    from_bytes = inspect_apk(apk, device_path="d", case_path="c")
    assert from_path == from_bytes


def test_unsigned_apk_is_reported() -> None:
    details = inspect_apk_details(build_apk(ApkSpec("org.example.unsigned", schemes=())),
                                  device_path="d", case_path="c")
    assert details.apk.certificates == ()
    assert details.signature_schemes == ()
    assert any("no signature" in p.message for p in details.apk.problems)


def test_different_signers_across_schemes_are_flagged() -> None:
    # v1 from one key, v2 block from another: stitch the v1 files of one APK into the other.
    v1_apk = build_apk(ApkSpec("org.example.mix", schemes=("v1",), signer="sim-developer-1"))
    v1_files = {n: zipfile.ZipFile(io.BytesIO(v1_apk)).read(n)
                for n in ("META-INF/MANIFEST.MF", "META-INF/CERT.SF", "META-INF/CERT.RSA")}
    mixed = build_apk(ApkSpec("org.example.mix", schemes=("v2",), signer="sim-developer-2",
                              extra_entries=v1_files))
    details = inspect_apk_details(mixed, device_path="d", case_path="c")
    assert details.signers_differ
    assert len(details.apk.certificates) == 2
    assert any("different signers" in p.message for p in details.apk.problems)


def test_malformed_pkcs7_is_a_problem_not_a_crash() -> None:
    for garbage in (b"", b"\x30\x82\xff\xff", b"not der at all", bytes(range(256)) * 10):
        apk = build_apk(ApkSpec("org.example.badsig", schemes=("v2",),
                                extra_entries={"META-INF/CERT.RSA": garbage}))
        details = inspect_apk_details(apk, device_path="d", case_path="c")
        assert "v1" in details.signature_schemes
        assert details.certificates_by_scheme["v1"] == ()
        assert any("PKCS#7" in p.message for p in details.apk.problems), garbage[:8]
        # The v2 certificate is still found.
        assert [c.sha1 for c in details.apk.certificates] == [_fingerprints("sim-developer-1")[0]]


def test_truncated_pkcs7_is_a_problem() -> None:
    real = zipfile.ZipFile(io.BytesIO(build_apk(ApkSpec("org.example.t", schemes=("v1",))))).read(
        "META-INF/CERT.RSA")
    apk = build_apk(ApkSpec("org.example.cut", schemes=(), extra_entries={
        "META-INF/CERT.RSA": real[: len(real) // 2]}))
    archive = SafeArchive.open(apk, source="cut.apk")
    found = v1_certificates(archive)
    assert found.present == ("v1",)
    assert found.by_scheme["v1"] == ()
    assert found.problems and "malformed PKCS#7" in found.problems[0].message


def test_unparseable_certificate_keeps_its_fingerprints() -> None:
    der = b"\x30\x03\x02\x01\x01"
    info, problems = certificate_info(der, "v2", source="x")
    assert info.sha256 == hashlib.sha256(der).hexdigest()
    assert info.subject == ""
    assert problems and "not valid X.509" in problems[0].message
    assert "unreadable: subject, issuer, not before, not after" in problems[0].message


def _mutate_block(apk: bytes, offset_in_block: int, value: bytes) -> bytes:
    start, _ = signing_block_span(apk)
    data = bytearray(apk)
    data[start + offset_in_block : start + offset_in_block + len(value)] = value
    return bytes(data)


@pytest.mark.parametrize(
    ("label", "mutation", "expected"),
    [
        # Footer size larger than the file before the central directory.
        ("footer size", lambda apk: _footer(apk, 2**40), "does not fit"),
        ("footer size tiny", lambda apk: _footer(apk, 3), "does not fit"),
        # Header size disagreeing with the footer.
        ("header size", lambda apk: _mutate_block(apk, 0, struct.pack("<Q", 12345)), "disagree"),
        # First ID-value pair claims more bytes than the block holds.
        ("pair length", lambda apk: _mutate_block(apk, 8, struct.pack("<Q", 2**32)), "pair length"),
        # Signer sequence length beyond the pair.
        ("signers length", lambda apk: _mutate_block(apk, 20, struct.pack("<I", 0x7FFFFFF0)),
         "v2 signers"),
        # Signed-data length beyond the signer.
        ("signed data", lambda apk: _mutate_block(apk, 28, struct.pack("<I", 0x7FFFFFF0)),
         "signed data"),
    ],
)
def test_malformed_signing_block_lengths(label: str, mutation, expected: str) -> None:
    apk = mutation(v2_apk())
    result = signing_block_certificates(apk, source="bad.apk")
    assert result.problems, label
    assert any(expected in p.message for p in result.problems), [p.message for p in result.problems]
    # And the full inspection copes too.
    details = inspect_apk_details(apk, device_path="d", case_path="c")
    assert details.apk.sha256 == hashlib.sha256(apk).hexdigest()


def _footer(apk: bytes, size: int) -> bytes:
    _, end = signing_block_span(apk)
    data = bytearray(apk)
    struct.pack_into("<Q", data, end - 24, size)
    return bytes(data)


def test_unknown_pairs_are_skipped_and_v31_is_recognised() -> None:
    apk = v2_apk()
    start, end = signing_block_span(apk)
    # Relabel the v2 pair as v3.1 (same layout as v3 minus nothing we read) and add padding.
    data = bytearray(apk)
    assert struct.unpack_from("<I", data, start + 16)[0] == 0x7109871A
    struct.pack_into("<I", data, start + 16, 0x1B93AD61)
    result = signing_block_certificates(bytes(data))
    assert result.present == ("v3.1",)
    assert [c.scheme for c in result.by_scheme["v3.1"]] == ["v3.1"]


def test_merge_prefers_newest_scheme_label() -> None:
    a, _ = certificate_info(signer_certificate_der("sim-developer-1"), "v1", source="x")
    b, _ = certificate_info(signer_certificate_der("sim-developer-1"), "v3", source="x")
    c, _ = certificate_info(signer_certificate_der("sim-developer-2"), "v1", source="x")
    merged = merge_certificates({"v1": (a, c), "v3": (b,)})
    assert [(m.scheme, m.sha256) for m in merged] == [("v3", a.sha256), ("v1", c.sha256)]


def test_no_signing_block_in_v1_only_apk() -> None:
    apk = build_apk(ApkSpec("org.example.v1", schemes=("v1",)))
    result = signing_block_certificates(apk)
    assert result.present == () and result.problems == ()


@pytest.mark.parametrize("scheme", ["v1", "v2"])
def test_malformed_certificate_inside_a_signature(scheme: str) -> None:
    # Corrupt the certificate's validity (its dates) inside the signature: the certificate
    # no longer parses strictly, but the bytes the phone holds are still fingerprinted.
    apk = build_apk(ApkSpec("org.example.badcert", schemes=(scheme,), signer="sim-developer-3"))
    der = signer_certificate_der("sim-developer-3")
    at = der.find(b"\x17\x0d" + b"200101000000Z")  # UTCTime of notBefore
    assert at > 0
    bad_der = der[:at + 2] + b"2001XX000000Z" + der[at + 15:]
    if scheme == "v1":
        # The cert sits inside CERT.RSA, which is deflated in the zip: rebuild with it swapped.
        pkcs7_der = zipfile.ZipFile(io.BytesIO(apk)).read("META-INF/CERT.RSA")
        assert der in pkcs7_der
        apk = build_apk(ApkSpec("org.example.badcert", schemes=(), extra_entries={
            "META-INF/CERT.RSA": pkcs7_der.replace(der, bad_der)}))
    else:
        assert apk.count(der) == 1
        apk = apk.replace(der, bad_der)
    details = inspect_apk_details(apk, device_path="d", case_path="c")
    certs = details.certificates_by_scheme[scheme]
    assert [c.sha256 for c in certs] == [hashlib.sha256(bad_der).hexdigest()]
    # The readable fields are kept; the broken date is reported.
    assert certs[0].subject == "C=XX,O=stalkerscan simulator,CN=Simulated Developer 3"
    assert certs[0].not_before is None and certs[0].not_after == "2070-01-01T00:00:00Z"
    assert any("not valid X.509" in p.message and "unreadable: not before" in p.message
               for p in details.apk.problems), [p.message for p in details.apk.problems]
