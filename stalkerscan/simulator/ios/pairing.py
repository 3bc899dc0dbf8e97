"""Pairing for a simulated iPhone: its key, pair records, the hosts it trusts, and TLS.

A real iPhone has an RSA key pair (``DevicePublicKey`` in lockdown). Pairing ("Trust This
Computer?") hands it a pair record the host generated: a root certificate, a host certificate
and a device certificate for the phone's public key, all signed by the root and all with
*empty* subject names (libimobiledevice's scheme, which pymobiledevice3 copies). From then on,
lockdownd's StartSession upgrades the connection to TLS: the phone presents the device
certificate, and accepts only a client certificate of a host it trusts.

Because the names are empty, OpenSSL sees the host certificate as self-signed and cannot build
a chain to the root; so, like the phone, the server trusts the exact host and root certificates
(partial-chain verification). libimobiledevice presents the root certificate as its client
certificate, pymobiledevice3 the host certificate: both are accepted.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import ssl
import tempfile
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pymobiledevice3.ca import generate_pairing_cert_chain


@dataclass(frozen=True)
class DeviceIdentity:
    """The phone's own key pair."""

    private_key: rsa.RSAPrivateKey
    """RSA private key (never leaves the phone)."""

    public_key_pem: bytes
    """``DevicePublicKey`` as lockdown reports it: PEM "RSA PUBLIC KEY" (PKCS#1)."""

    @property
    def private_key_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM (for loading into an SSL context)."""
        return self.private_key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())


def generate_device_identity() -> DeviceIdentity:
    """A fresh RSA-2048 key pair for one simulated phone."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.PKCS1)
    return DeviceIdentity(private_key=key, public_key_pem=public)


@dataclass(frozen=True)
class PairRecord:
    """A pair record as usbmuxd stores it (``/var/lib/lockdown/UDID.plist``)."""

    host_id: str
    """HostID (an upper-case UUID)."""

    system_buid: str
    """SystemBUID of the host's usbmuxd."""

    host_certificate: bytes
    """HostCertificate (PEM)."""

    host_private_key: bytes
    """HostPrivateKey (PEM)."""

    root_certificate: bytes
    """RootCertificate (PEM)."""

    root_private_key: bytes
    """RootPrivateKey (PEM)."""

    device_certificate: bytes
    """DeviceCertificate (PEM): the phone's public key, signed by the root."""

    wifi_mac_address: str
    """WiFiMACAddress of the phone."""

    escrow_bag: bytes
    """EscrowBag the phone handed out when pairing."""

    def to_plist(self) -> dict[str, Any]:
        """The record as the plist dictionary usbmuxd hands to clients."""
        return {
            "DeviceCertificate": self.device_certificate,
            "EscrowBag": self.escrow_bag,
            "HostCertificate": self.host_certificate,
            "HostID": self.host_id,
            "HostPrivateKey": self.host_private_key,
            "RootCertificate": self.root_certificate,
            "RootPrivateKey": self.root_private_key,
            "SystemBUID": self.system_buid,
            "WiFiMACAddress": self.wifi_mac_address,
        }

    def to_bytes(self) -> bytes:
        """The record serialised as usbmuxd's ``PairRecordData`` (an XML plist)."""
        return plistlib.dumps(self.to_plist())


def generate_pair_record(identity: DeviceIdentity, *, system_buid: str, wifi_mac_address: str,
                         escrow_bag: bytes, host_id: str | None = None) -> PairRecord:
    """A pair record, as if this computer had paired with the phone earlier."""
    host_cert, host_key, device_cert, root_cert, root_key = generate_pairing_cert_chain(
        identity.public_key_pem)
    return PairRecord(
        host_id=host_id or str(uuid.uuid4()).upper(), system_buid=system_buid,
        host_certificate=host_cert, host_private_key=host_key, root_certificate=root_cert,
        root_private_key=root_key, device_certificate=device_cert,
        wifi_mac_address=wifi_mac_address, escrow_bag=escrow_bag)


@dataclass(frozen=True)
class TrustedHost:
    """A computer the phone has trusted: what it keeps from the pair record."""

    host_id: str
    """HostID."""

    host_certificate: bytes
    """HostCertificate (PEM)."""

    root_certificate: bytes
    """RootCertificate (PEM)."""

    device_certificate: bytes
    """DeviceCertificate (PEM) the phone presents in TLS to this host."""

    system_buid: str = ""
    """SystemBUID the host sent."""


class PairRecordProblem(ValueError):
    """A Pair request's record is unusable (missing or broken certificates)."""


def trusted_host_from_request(record: Mapping[str, Any], identity: DeviceIdentity,
                              fallback_host_id: str | None = None) -> TrustedHost:
    """Check the ``PairRecord`` of a Pair request and keep what the phone keeps.

    The device certificate must carry this phone's public key, as a real phone checks.
    """
    try:
        host_cert = _pem_bytes(record["HostCertificate"])
        root_cert = _pem_bytes(record["RootCertificate"])
        device_cert = _pem_bytes(record["DeviceCertificate"])
        host_id = str(record.get("HostID") or fallback_host_id or "")
        for pem in (host_cert, root_cert):
            x509.load_pem_x509_certificate(pem)
        device = x509.load_pem_x509_certificate(device_cert)
    except (KeyError, TypeError, ValueError) as exc:
        raise PairRecordProblem(f"pair record unusable: {exc}") from exc
    if not host_id:
        raise PairRecordProblem("pair record has no HostID")
    own = identity.private_key.public_key().public_numbers()
    presented = device.public_key()
    if not isinstance(presented, rsa.RSAPublicKey) or presented.public_numbers() != own:
        raise PairRecordProblem("DeviceCertificate is not for this phone's public key")
    return TrustedHost(host_id=host_id, host_certificate=host_cert, root_certificate=root_cert,
                       device_certificate=device_cert,
                       system_buid=str(record.get("SystemBUID", "")))


def trusted_host_from_record(record: PairRecord) -> TrustedHost:
    """What the phone keeps of a pair record it was paired with."""
    return TrustedHost(host_id=record.host_id, host_certificate=record.host_certificate,
                       root_certificate=record.root_certificate,
                       device_certificate=record.device_certificate,
                       system_buid=record.system_buid)


def _pem_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        value = value.encode()
    if not isinstance(value, bytes) or b"-----BEGIN CERTIFICATE-----" not in value:
        raise ValueError("not a PEM certificate")
    return value


# --------------------------------------------------------------------------- TLS
_context_lock = threading.Lock()


def server_tls_context(identity: DeviceIdentity, host: TrustedHost) -> ssl.SSLContext:
    """The phone's TLS server context for a session with ``host``.

    Presents the device certificate of that host's pair record, demands a client certificate,
    and accepts exactly the host's HostCertificate or RootCertificate.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # Pairing certificates are RSA/SHA-256 (SHA-1 on very old phones) and libimobiledevice
    # offers old suites: accept what a phone accepts.
    context.set_ciphers("ALL:@SECLEVEL=0")
    _load_cert_chain_from_memory(context, host.device_certificate, identity.private_key_pem)
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    context.load_verify_locations(cadata=host.host_certificate.decode("ascii"))
    context.load_verify_locations(cadata=host.root_certificate.decode("ascii"))
    return context


def _load_cert_chain_from_memory(context: ssl.SSLContext, cert_pem: bytes,
                                 key_pem: bytes) -> None:
    """``load_cert_chain`` reads only files: write them to a private, short-lived folder."""
    with _context_lock:
        folder = tempfile.mkdtemp(prefix="stalkerscan-iphone-tls-")
        try:
            path = os.path.join(folder, "device.pem")
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(cert_pem + b"\n" + key_pem)
            context.load_cert_chain(path)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
