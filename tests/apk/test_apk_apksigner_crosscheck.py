"""Cross-check against Google's apksigner: APKs *it* signs (with the simulator keys) are read
by stalkerscan's own readers with the same certificates, including a key-rotation lineage."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from stalkerscan.apk import inspect_apk_details
from stalkerscan.simulator.apkgen import ApkSpec, build_apk, signer_certificate_der

KEYS = Path(__file__).resolve().parents[2] / "stalkerscan" / "simulator" / "keys"


@pytest.fixture(scope="module")
def apksigner() -> str:
    path = shutil.which("apksigner")
    if path is None:
        pytest.skip("apksigner is not installed (Debian package 'apksigner'); cross-check skipped")
    return path


def _key_files(tmp: Path, name: str) -> list[str]:
    key = serialization.load_pem_private_key((KEYS / f"{name}.key.pem").read_bytes(), None)
    pk8 = tmp / f"{name}.pk8"
    pk8.write_bytes(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return ["--key", str(pk8), "--cert", str(KEYS / f"{name}.cert.pem")]


def _run(*args: str) -> str:
    result = subprocess.run(list(args), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _sha1(signer: str) -> str:
    return hashlib.sha1(signer_certificate_der(signer)).hexdigest()


def test_apksigner_signed_apk(apksigner: str, tmp_path: Path) -> None:
    unsigned = tmp_path / "unsigned.apk"
    # An unsigned apkgen APK declares minSdk 28; ask apksigner for all three schemes anyway.
    unsigned.write_bytes(build_apk(ApkSpec("org.example.crosscheck", schemes=())))
    signed = tmp_path / "signed.apk"
    _run(apksigner, "sign", *_key_files(tmp_path, "sim-developer-3"), "--v1-signing-enabled",
         "true", "--v2-signing-enabled", "true", "--v3-signing-enabled", "true",
         "--out", str(signed), str(unsigned))
    details = inspect_apk_details(signed, device_path="d", case_path="c")
    assert details.signature_schemes == ("v1", "v2", "v3")
    assert {c.sha1 for certs in details.certificates_by_scheme.values() for c in certs} == {
        _sha1("sim-developer-3")}
    assert details.apk.problems == ()
    printed = _run(apksigner, "verify", "--print-certs", str(signed))
    assert f"certificate SHA-1 digest: {details.apk.certificates[0].sha1}" in printed


def test_key_rotation_lineage_is_read_and_not_called_tampering(apksigner: str,
                                                               tmp_path: Path) -> None:
    unsigned = tmp_path / "unsigned.apk"
    unsigned.write_bytes(build_apk(ApkSpec("org.example.rotated", schemes=())))
    lineage = tmp_path / "lineage"
    old, new = _key_files(tmp_path, "sim-developer-1"), _key_files(tmp_path, "sim-developer-2")
    _run(apksigner, "rotate", "--out", str(lineage), "--old-signer", *old, "--new-signer", *new)
    rotated = tmp_path / "rotated.apk"
    _run(apksigner, "sign", *old, "--next-signer", *new, "--lineage", str(lineage),
         "--out", str(rotated), str(unsigned))
    details = inspect_apk_details(rotated, device_path="d", case_path="c")
    # Old key signs the schemes older phones check; new key signs v3; the lineage links them.
    assert [c.sha1 for c in details.certificates_by_scheme["v3"]] == [_sha1("sim-developer-2")]
    assert [c.sha1 for c in details.lineage] == [_sha1("sim-developer-1"), _sha1("sim-developer-2")]
    assert not details.signers_differ
    assert details.apk.problems == ()
    assert {c.sha1 for c in details.apk.certificates} == {_sha1("sim-developer-1"),
                                                          _sha1("sim-developer-2")}
    # A damaged lineage is a problem, never a crash; the signer certificates are still read.
    data = rotated.read_bytes()
    marker = (0x3BA06F8C).to_bytes(4, "little") + (1).to_bytes(4, "little")
    assert data.count(marker) == 1
    damaged = data.replace(marker, marker[:4] + (7).to_bytes(4, "little"))
    broken = inspect_apk_details(damaged, device_path="d", case_path="c")
    assert broken.lineage == ()
    assert [c.sha1 for c in broken.certificates_by_scheme["v3"]] == [_sha1("sim-developer-2")]
    assert any("lineage version 7" in p.message for p in broken.apk.problems)
    assert broken.signers_differ  # without the lineage, two signers are unexplained
