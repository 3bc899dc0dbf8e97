"""Builders of small inventories for the signature tests."""

from __future__ import annotations

from stalkerscan.model.android import (
    AndroidApp,
    AndroidDeviceInfo,
    AndroidInventory,
    ApkFile,
    CertificateInfo,
)


def apk(sha256: str = "", cert_sha1: str = "", cert_sha256: str = "") -> ApkFile:
    """An APK record with optional hash and one signing certificate."""
    certificates = ()
    if cert_sha1 or cert_sha256:
        certificates = (CertificateInfo(sha256=cert_sha256, sha1=cert_sha1, subject="CN=example",
                                        issuer="CN=example", scheme="v2"),)
    return ApkFile(device_path="/data/app/x/base.apk", case_path="apks/x.apk", size=1,
                   sha256=sha256, sha1="", md5="", certificates=certificates)


def android(*apps: AndroidApp, **kwargs) -> AndroidInventory:
    """An Android inventory with these apps."""
    return AndroidInventory(device=AndroidDeviceInfo(), apps=tuple(apps), **kwargs)
