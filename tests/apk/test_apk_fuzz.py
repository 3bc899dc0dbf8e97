"""Fuzzing: whatever the bytes, the APK readers return a result and never raise.

Inputs are both free-form bytes and mutations (overwritten runs, truncations) of real
APKs and manifests built by apkgen, which reach much deeper into the parsers. Budgets are
bounded so the suite stays fast in CI.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stalkerscan.apk import ArchiveLimits, SafeArchive, inspect_apk_details, read_manifest
from stalkerscan.apk.axml import parse_axml
from stalkerscan.apk.certificates import signing_block_certificates
from stalkerscan.model import ApkFile
from stalkerscan.simulator.apkgen import ApkSpec, build_apk, build_manifest_axml

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SMALL_LIMITS = ArchiveLimits(max_entry_bytes=2 * 1024 * 1024, max_total_bytes=8 * 1024 * 1024,
                             max_seconds=5)

APK = build_apk(ApkSpec("org.example.fuzz", label="Fuzz", permissions=("a.b.C",),
                        accessibility_services=(".A",), device_admin_receivers=(".R",),
                        dex_strings=("fuzz",), schemes=("v1", "v2", "v3")))
MANIFEST = build_manifest_axml(ApkSpec("org.example.fuzz", label="Fuzz",
                                       accessibility_services=(".A",)))


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["overwrite", "truncate", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=8))
            data[at : at + len(chunk)] = chunk
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[at : at + draw(st.integers(1, 64))]
    return bytes(data)


@FUZZ
@given(st.one_of(st.binary(max_size=4096), mutated(MANIFEST)))
def test_manifest_reader_never_raises(data: bytes) -> None:
    info = read_manifest(data)
    assert info.package is None or isinstance(info.package, str)
    document = parse_axml(data)
    assert document.root is not None or document.problems


@FUZZ
@given(st.one_of(st.binary(max_size=4096), mutated(APK)))
def test_signing_block_reader_never_raises(data: bytes) -> None:
    result = signing_block_certificates(data)
    for certs in result.by_scheme.values():
        assert all(len(c.sha256) == 64 for c in certs)


@FUZZ
@given(st.one_of(st.binary(max_size=4096), mutated(APK)))
def test_archive_reader_never_raises(data: bytes) -> None:
    with SafeArchive.open(data, source="fuzz.apk", limits=SMALL_LIMITS) as archive:
        for entry in archive.entries[:20]:
            read = archive.read(entry)
            assert read.data is not None or read.problems


@FUZZ
@given(mutated(APK))
def test_full_inspection_never_raises(data: bytes) -> None:
    details = inspect_apk_details(data, device_path="d", case_path="c", limits=SMALL_LIMITS)
    assert isinstance(details.apk, ApkFile)
    assert details.apk.size == len(data)


@pytest.mark.parametrize("cut", range(0, len(APK), max(1, len(APK) // 97)))
def test_every_truncation_point(cut: int) -> None:
    details = inspect_apk_details(APK[:cut], device_path="d", case_path="c")
    assert details.apk.size == cut
