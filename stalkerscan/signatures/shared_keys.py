"""Signing certificates that prove nothing about who built an app.

The AOSP test keys (``build/target/product/security/*.x509.pem``) ship *with their private
keys* in the Android source tree: anyone can sign anything with them, and countless unrelated
apps, ROM builds and test tools are. A match on one says nothing about the app, so these
certificates are refused as evidence wherever a feed lists them (Echap once listed the AOSP
test key ``61ED377E...AF81`` as a stalkerware certificate).

Each entry names its public source. Fingerprints marked *computed* were computed by us
(``openssl x509 -fingerprint``) from the PEM published at that source.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SharedCertificate:
    """A certificate whose private key is public, or that many unrelated apps share."""

    name: str
    """What it is, e.g. ``AOSP test key (testkey / releasekey)``."""

    source: str
    """Public URL that shows the certificate or its fingerprint."""


_AOSP_SECURITY = "https://android.googlesource.com/platform/build/+/refs/heads/main/target/product/security/"
_CHROMEOS_AOSP_KEYSET = ("https://github.com/coreboot/vboot/blob/main/scripts/image_signing/"
                         "sign_android_unittests.sh")

SHARED_CERTIFICATES: dict[str, SharedCertificate] = {
    # testkey.x509.pem: SHA-1 and SHA-256 computed from the published PEM
    # (subject EMAILADDRESS=android@android.com, CN=Android, serial 936EACBE07F201DF).
    "61ed377e85d386a8dfee6b864bd85b0bfaa5af81": SharedCertificate(
        "AOSP test key (testkey, the default release key of AOSP builds)",
        _AOSP_SECURITY + "testkey.x509.pem"),
    "a40da80a59d170caa950cf15c18c454d47a39b26989d8b640ecd745ba71bf5dc": SharedCertificate(
        "AOSP test key (testkey, the default release key of AOSP builds)",
        _AOSP_SECURITY + "testkey.x509.pem"),
    # The AOSP platform, shared and media test keys, as listed for the "aosp" keyset by the
    # Chromium OS image-signing tests.
    "27196e386b875e76adf700e7ea84e4c6eee33dfa": SharedCertificate(
        "AOSP platform test key (platform.x509.pem)", _CHROMEOS_AOSP_KEYSET),
    "5b368cff2da2686996bc95eac190eaa4f5630fe5": SharedCertificate(
        "AOSP shared test key (shared.x509.pem)", _CHROMEOS_AOSP_KEYSET),
    "b79df4a82e90b57ea76525ab7037ab238a42f5d3": SharedCertificate(
        "AOSP media test key (media.x509.pem)", _CHROMEOS_AOSP_KEYSET),
    # networkstack.x509.pem: computed from the published PEM (CN=com.android.networkstack).
    "7c8bdabd21f953a1b18ccbe7b91393d9fdf94830": SharedCertificate(
        "AOSP network stack test key (networkstack.x509.pem)",
        _AOSP_SECURITY + "networkstack.x509.pem"),
    "e1dbadce60dc080d15b58a014b0dcf9400e24de23fa00b287a5a982bfebda2ee": SharedCertificate(
        "AOSP network stack test key (networkstack.x509.pem)",
        _AOSP_SECURITY + "networkstack.x509.pem"),
}
"""Normalised (lower-case hex) SHA-1 or SHA-256 -> what it is and where that is shown."""


def shared_certificate(digest: str) -> SharedCertificate | None:
    """The public/shared certificate with this normalised digest, if it is one."""
    return SHARED_CERTIFICATES.get(digest)


def refusal_note(digest: str, entry: SharedCertificate) -> str:
    """The sentence shown when a feed lists a shared certificate."""
    return (f"certificate {digest} is the {entry.name}; its private key is public, so unrelated "
            f"apps are signed with it and a match proves nothing. It is not used as evidence "
            f"(source: {entry.source}).")
