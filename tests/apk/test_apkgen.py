"""The simulated APK builder: real formats, deterministic bytes, accepted by real tools."""

from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
import zipfile
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from stalkerscan.simulator.apkgen import (
    ApkSpec,
    build_apk,
    build_dex,
    build_native_lib,
    signer_certificate_der,
    signer_names,
)

FULL_SPEC = ApkSpec(
    package="org.example.notes",
    label="Example Notes",
    version_code=42,
    version_name="4.2-example",
    permissions=("android.permission.INTERNET", "android.permission.READ_SMS"),
    accessibility_services=(".sync.ExampleAccessibility",),
    device_admin_receivers=(".admin.ExampleAdmin",),
    notification_listeners=("org.example.notes.ExampleListener",),
    dex_strings=("example-marker-string",),
    native_libs={"lib/arm64-v8a/libexample.so": build_native_lib(["example_native"])},
    schemes=("v1", "v2", "v3"),
)


def test_bundled_signers_have_fake_subjects() -> None:
    names = signer_names()
    assert len(names) >= 3
    assert "sim-developer-1" in names
    for name in names:
        cert = x509.load_der_x509_certificate(signer_certificate_der(name))
        assert "stalkerscan simulator" in cert.subject.rfc4514_string()
        assert cert.subject == cert.issuer  # self-signed


def test_unknown_signer_and_scheme_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown simulator signer"):
        build_apk(ApkSpec("org.example.x", signer="no-such-key"))
    with pytest.raises(ValueError, match="unknown signature scheme"):
        ApkSpec("org.example.x", schemes=("v9",))


def test_same_spec_same_bytes_and_different_signers_differ() -> None:
    first = build_apk(FULL_SPEC)
    rebuilt = build_apk(ApkSpec(**{**FULL_SPEC.__dict__, "native_libs": dict(FULL_SPEC.native_libs)}))
    assert hashlib.sha256(first).digest() == hashlib.sha256(rebuilt).digest()
    other = build_apk(ApkSpec(**{**FULL_SPEC.__dict__, "signer": "sim-developer-2"}))
    assert other != first


def test_zip_contents() -> None:
    apk = build_apk(FULL_SPEC)
    names = zipfile.ZipFile(BytesIO(apk)).namelist()
    assert names[:2] == ["AndroidManifest.xml", "classes.dex"]
    assert "lib/arm64-v8a/libexample.so" in names
    assert {"META-INF/MANIFEST.MF", "META-INF/CERT.SF", "META-INF/CERT.RSA"} <= set(names)
    sf = zipfile.ZipFile(BytesIO(apk)).read("META-INF/CERT.SF")
    assert b"X-Android-APK-Signed: 2, 3\r\n" in sf


def test_v2_only_has_no_jar_signature_but_a_signing_block() -> None:
    apk = build_apk(ApkSpec("org.example.v2", schemes=("v2",)))
    names = zipfile.ZipFile(BytesIO(apk)).namelist()
    assert not any(n.startswith("META-INF/") for n in names)
    assert b"APK Sig Block 42" in apk
    assert struct.pack("<I", 0x7109871A) in apk


def test_padding_reaches_the_requested_size() -> None:
    apk = build_apk(ApkSpec("org.example.big", padding_bytes=3_000_000))
    assert 3_000_000 < len(apk) < 3_100_000


def test_dex_header_is_consistent() -> None:
    dex = build_dex(["zeta", "alpha", "Lorg/example/A;", "\u00e9t\u00e9", "nul\x00inside"])
    assert dex[:8] == b"dex\n035\x00"
    (checksum,) = struct.unpack_from("<I", dex, 8)
    assert checksum == zlib.adler32(dex[12:])
    assert dex[12:32] == hashlib.sha1(dex[32:]).digest()
    file_size, header_size, endian = struct.unpack_from("<III", dex, 32)
    assert (file_size, header_size, endian) == (len(dex), 0x70, 0x12345678)
    count, offset = struct.unpack_from("<II", dex, 56)
    assert (count, offset) == (5, 0x70)
    # Strings are sorted by UTF-16 code unit and stored as MUTF-8 (NUL as C0 80).
    first_data = struct.unpack_from("<I", dex, offset)[0]
    assert dex[first_data : first_data + 11] == b"\x0fLorg/example"[:11]
    assert b"nul\xc0\x80inside" in dex


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian package '{name}'); cross-check skipped")
    return path


@pytest.mark.parametrize(
    "schemes", [("v1",), ("v2",), ("v3",), ("v1", "v2"), ("v2", "v3"), ("v1", "v2", "v3")]
)
@pytest.mark.parametrize("signer", ["sim-developer-1", "sim-developer-3"])
def test_apksigner_verifies(tmp_path: Path, schemes: tuple[str, ...], signer: str) -> None:
    apksigner = _tool("apksigner")
    path = tmp_path / "app.apk"
    path.write_bytes(build_apk(ApkSpec("org.example.signed", schemes=schemes, signer=signer)))
    result = subprocess.run(
        [apksigner, "verify", "-v", "--print-certs", str(path)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for scheme, label in (("v1", "JAR signing"), ("v2", "APK Signature Scheme v2"),
                          ("v3", "APK Signature Scheme v3")):
        expected = "true" if scheme in schemes else "false"
        assert f"Verified using {scheme} scheme ({label}): {expected}" in result.stdout
    cert = x509.load_der_x509_certificate(signer_certificate_der(signer))
    assert cert.fingerprint(hashes.SHA256()).hex() in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_aapt_reads_the_manifest(tmp_path: Path) -> None:
    aapt = _tool("aapt")
    path = tmp_path / "app.apk"
    path.write_bytes(build_apk(FULL_SPEC))
    result = subprocess.run(
        [aapt, "dump", "badging", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "package: name='org.example.notes' versionCode='42' versionName='4.2-example'" in out
    assert "uses-permission: name='android.permission.READ_SMS'" in out
    assert "launchable-activity: name='org.example.notes.MainActivity'" in out
    for component in ("accessibility", "device-admin", "notification-listener"):
        assert f"provides-component:'{component}'" in out


def test_dexdump_accepts_the_dex(tmp_path: Path) -> None:
    dexdump = _tool("dexdump")
    path = tmp_path / "classes.dex"
    path.write_bytes(build_dex(["a", "b"]))
    result = subprocess.run([dexdump, "-f", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "string_ids_size     : 2" in result.stdout
    assert "Failure" not in result.stderr


def test_long_and_non_ascii_entry_names_verify(tmp_path: Path) -> None:
    # MANIFEST.MF lines wrap at 72 bytes; apksigner checks the v1 digests of every entry.
    apksigner = _tool("apksigner")
    spec = ApkSpec(
        "org.example.long", schemes=("v1", "v2", "v3"),
        native_libs={"lib/arm64-v8a/lib" + "verylongname" * 12 + "\u00e9.so":
                     build_native_lib(["x"])},
        extra_entries={"assets/\u00fcn\u00ef/" + "x" * 100: b"data"},
    )
    path = tmp_path / "long.apk"
    path.write_bytes(build_apk(spec))
    result = subprocess.run([apksigner, "verify", "-v", str(path)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Verified using v1 scheme (JAR signing): true" in result.stdout


def test_dex_link_data_carries_raw_code(tmp_path: Path) -> None:
    code = bytes.fromhex("6e10300106000c02")
    dex = build_dex(["a"], code=code)
    assert dex.endswith(code)
    link_size, link_off = struct.unpack_from("<II", dex, 44)
    assert (link_size, dex[link_off:]) == (len(code), code)
    dexdump = _tool("dexdump")
    path = tmp_path / "c.dex"
    path.write_bytes(dex)
    result = subprocess.run([dexdump, "-f", str(path)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and "Failure" not in result.stderr


def test_build_cache_returns_equal_bytes_for_equal_specs() -> None:
    a = build_apk(ApkSpec("org.example.cache", extra_entries={"assets/a": b"1", "assets/b": b"2"}))
    b = build_apk(ApkSpec("org.example.cache", extra_entries={"assets/b": b"2", "assets/a": b"1"}))
    assert a is b
