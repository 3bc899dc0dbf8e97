"""Build small, obviously fictional iTunes / Finder backup folders for tests.

Layout as Finder writes it (iOS 10+): ``Info.plist``, ``Manifest.plist``, ``Manifest.db`` (a
``Files`` table of fileID, domain, relativePath, flags, file) and each file at
``<first two hex digits>/<fileID>``, the fileID being SHA-1 of ``domain-relativePath``.
"""

from __future__ import annotations

import hashlib
import os
import plistlib
import sqlite3
import struct
from pathlib import Path

PROFILES_DOMAIN = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles"


def file_id(domain: str, relative: str) -> str:
    return hashlib.sha1(f"{domain}-{relative}".encode()).hexdigest()


def build_backup(root: Path, *, apps=("org.example.notes", "com.saurik.Cydia"),
                 profiles: dict[str, dict] | None = None, cloud: dict | None = None,
                 encrypted: bool = False, keybag: bytes | None = None,
                 extra_index: list[tuple[str, str]] = ()) -> Path:
    """A backup folder with the given apps, stored profiles and cloud configuration."""
    root.mkdir(parents=True)
    info = {
        "Build Version": "21D61", "Device Name": "Example iPhone", "Display Name": "Example iPhone",
        "GUID": "0000", "Product Type": "iPhone13,2", "Product Version": "17.3.1",
        "Serial Number": "F2LZZ0000XXX", "Unique Identifier": "00008101-001E30590C08001E",
        "Target Identifier": "00008101-001E30590C08001E", "Target Type": "Device",
        "Installed Applications": list(apps),
        "Applications": {"org.example.notes": {"iTunesMetadata": plistlib.dumps(
            {"itemName": "Notes Example", "bundleShortVersionString": "2.1", "bundleVersion": "210"})}},
    }
    (root / "Info.plist").write_bytes(plistlib.dumps(info, fmt=plistlib.FMT_BINARY))
    manifest = {"IsEncrypted": encrypted, "Version": "10.0",
                "Lockdown": {"ProductVersion": "17.3.1", "ProductType": "iPhone13,2",
                             "UniqueDeviceID": "00008101-001E30590C08001E", "DeviceName": "Example iPhone"},
                "Applications": {bid: {"CFBundleIdentifier": bid, "CFBundleVersion": "1",
                                       "Path": f"/private/var/containers/Bundle/Application/X/{bid}.app"}
                                 for bid in apps}}
    if encrypted:
        manifest["BackupKeyBag"] = keybag or b""
        manifest["ManifestKey"] = struct.pack("<l", 3) + os.urandom(40)
    (root / "Manifest.plist").write_bytes(plistlib.dumps(manifest))
    files: list[tuple[str, str, bytes]] = []
    for name, content in (profiles or {}).items():
        files.append((PROFILES_DOMAIN, f"Library/ConfigurationProfiles/{name}", plistlib.dumps(content)))
    if cloud is not None:
        files.append((PROFILES_DOMAIN, "Library/ConfigurationProfiles/CloudConfigurationDetails.plist",
                      plistlib.dumps(cloud)))
    files.append(("HomeDomain", "Library/SMS/sms.db", b"not read by stalkerscan"))
    files.append((PROFILES_DOMAIN, "Library/ConfigurationProfiles/MCMeta.plist", plistlib.dumps({})))
    db = sqlite3.connect(root / "Manifest.db")
    db.execute("CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB)")
    db.execute("CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB)")
    for domain, relative, content in files:
        fid = file_id(domain, relative)
        db.execute("INSERT INTO Files VALUES (?, ?, ?, 1, ?)", (fid, domain, relative, b"bplist00"))
        folder = root / fid[:2]
        folder.mkdir(exist_ok=True)
        (folder / fid).write_bytes(content)
    for domain, relative in extra_index:
        db.execute("INSERT INTO Files VALUES (?, ?, ?, 1, ?)", (file_id(domain, relative), domain, relative, b""))
    db.commit()
    db.close()
    return root


def wrong_key_keybag() -> bytes:
    """A well-formed BackupKeyBag whose class key no password unwraps (fast iteration counts)."""
    def tlv(tag: bytes, value: bytes) -> bytes:
        return tag + struct.pack(">L", len(value)) + value

    def number(tag: bytes, value: int) -> bytes:
        return tlv(tag, struct.pack(">L", value))

    return b"".join([
        number(b"VERS", 3), number(b"TYPE", 1), tlv(b"UUID", b"\x01" * 16), tlv(b"HMCK", b"\x00" * 40),
        number(b"WRAP", 0), tlv(b"SALT", b"\x02" * 20), number(b"ITER", 1),
        tlv(b"DPSL", b"\x03" * 20), number(b"DPIC", 1), number(b"DPWT", 1),
        tlv(b"UUID", b"\x04" * 16), number(b"CLAS", 3), number(b"WRAP", 2), number(b"KTYP", 0),
        tlv(b"WPKY", bytes(range(40))),
    ])


def snapshot(root: Path) -> dict[str, tuple[str, int, int]]:
    """Every file of a folder with its SHA-256, size and modification time."""
    result = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            info = path.stat()
            result[str(path.relative_to(root))] = (hashlib.sha256(path.read_bytes()).hexdigest(),
                                                   info.st_size, info.st_mtime_ns)
    return result
