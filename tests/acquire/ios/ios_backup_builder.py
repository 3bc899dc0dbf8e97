"""Build small, obviously fictional iTunes / Finder backup folders for tests.

Layout as Finder writes it (iOS 10+): ``Info.plist``, ``Manifest.plist``, ``Manifest.db`` (a
``Files`` table of fileID, domain, relativePath, flags, file) and each file at
``<first two hex digits>/<fileID>``, the fileID being SHA-1 of ``domain-relativePath``.

Encrypted backups (``build_backup(..., encrypted=True, password=...)``) are built as iOS 10.2+
writes them, with the ``cryptography`` package only (never with iphone-backup-decrypt, the
library under test, so a misreading of the format on either side shows up):

* ``Manifest.plist`` ``BackupKeyBag``: tag-length-value blocks (4-byte tag, 4-byte big-endian
  length). The header ``VERS TYPE UUID HMCK WRAP SALT ITER DPWT DPIC DPSL`` says how the
  password becomes a key: PBKDF2-HMAC-SHA256 over ``DPSL`` for ``DPIC`` rounds, then
  PBKDF2-HMAC-SHA1 of that over ``SALT`` for ``ITER`` rounds (32 bytes each). Then one block
  per protection class, ``UUID CLAS WRAP KTYP WPKY``: ``WPKY`` is the class key wrapped with
  that password key by AES key wrap (RFC 3394), ``WRAP`` 2 meaning "wrapped by the password".
* ``Manifest.plist`` ``ManifestKey``: 4-byte little-endian protection class, then the key of
  ``Manifest.db`` wrapped with that class's key.
* ``Manifest.db`` and every file: AES-256-CBC, zero IV, PKCS#7 padding, each with its own key.
* Each ``Files.file`` blob: an NSKeyedArchiver binary plist of an ``MBFile`` whose
  ``EncryptionKey`` is an ``NSData`` of 4-byte little-endian protection class + wrapped file key.
  Info.plist, Manifest.plist and Status.plist stay unencrypted, as in real backups.

Real backups use 10,000,000 and 10,000 PBKDF2 rounds; the tests use :data:`TEST_DPIC` and
:data:`TEST_ITER` so an unlock takes microseconds.
"""

from __future__ import annotations

import hashlib
import os
import plistlib
import sqlite3
import struct
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap

PROFILES_DOMAIN = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles"


TEST_DPIC = 3
"""PBKDF2-SHA256 rounds of test keybags (real backups: 10,000,000)."""

TEST_ITER = 2
"""PBKDF2-SHA1 rounds of test keybags (real backups: 10,000)."""

PROTECTION_CLASSES = range(1, 12)
"""Protection classes a backup keybag holds a key for (NSFileProtection A to F and the rest)."""

MANIFEST_KEY_CLASS = 4
"""Protection class of ManifestKey in the backups iOS writes."""

FILE_PROTECTION_CLASS = 3
"""Protection class given to every test file (complete until first user authentication)."""


def file_id(domain: str, relative: str) -> str:
    return hashlib.sha1(f"{domain}-{relative}".encode()).hexdigest()


def _tlv(tag: bytes, value: bytes) -> bytes:
    return tag + struct.pack(">L", len(value)) + value


def _number(tag: bytes, value: int) -> bytes:
    return _tlv(tag, struct.pack(">L", value))


def password_key(password: str, *, dpsl: bytes, dpic: int, salt: bytes, iterations: int) -> bytes:
    """The key a backup password becomes: PBKDF2-SHA256 (DPSL, DPIC) then PBKDF2-SHA1 (SALT, ITER)."""
    first = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), dpsl, dpic, 32)
    return hashlib.pbkdf2_hmac("sha1", first, salt, iterations, 32)


def encrypt(key: bytes, plaintext: bytes) -> bytes:
    """AES-256-CBC with a zero IV and PKCS#7 padding, as a backup stores each file."""
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(b"\x00" * 16)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def decrypt(key: bytes, ciphertext: bytes) -> bytes:
    """The reverse of :func:`encrypt` (for tests that alter an encrypted backup)."""
    decryptor = Cipher(algorithms.AES(key), modes.CBC(b"\x00" * 16)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(decryptor.update(ciphertext) + decryptor.finalize()) + unpadder.finalize()


@dataclass
class BackupKeys:
    """The secrets of one synthetic encrypted backup (random, fresh for every backup)."""

    password: str
    """The backup password."""

    dpsl: bytes = field(default_factory=lambda: os.urandom(20))
    """Salt of the first (SHA-256) derivation."""

    salt: bytes = field(default_factory=lambda: os.urandom(20))
    """Salt of the second (SHA-1) derivation."""

    class_keys: dict[int, bytes] = field(
        default_factory=lambda: {cls: os.urandom(32) for cls in PROTECTION_CLASSES})
    """Protection class to its 32-byte AES key."""

    @property
    def password_key(self) -> bytes:
        """The key derived from the password that unwraps the class keys."""
        return password_key(self.password, dpsl=self.dpsl, dpic=TEST_DPIC, salt=self.salt,
                            iterations=TEST_ITER)

    def keybag(self) -> bytes:
        """``BackupKeyBag``: header, then each class key wrapped with the password key."""
        kek = self.password_key
        blocks = [
            _number(b"VERS", 3), _number(b"TYPE", 1), _tlv(b"UUID", os.urandom(16)),
            _tlv(b"HMCK", os.urandom(40)), _number(b"WRAP", 0), _tlv(b"SALT", self.salt),
            _number(b"ITER", TEST_ITER), _number(b"DPWT", 1), _number(b"DPIC", TEST_DPIC),
            _tlv(b"DPSL", self.dpsl),
        ]
        for cls, key in self.class_keys.items():
            blocks += [_tlv(b"UUID", os.urandom(16)), _number(b"CLAS", cls), _number(b"WRAP", 2),
                       _number(b"KTYP", 0), _tlv(b"WPKY", aes_key_wrap(kek, key))]
        return b"".join(blocks)

    def wrap(self, cls: int, key: bytes) -> bytes:
        """``key`` wrapped with the key of protection class ``cls`` (40 bytes)."""
        return aes_key_wrap(self.class_keys[cls], key)

    def unwrap(self, cls: int, wrapped: bytes) -> bytes:
        """The key ``wrapped`` with the key of protection class ``cls``."""
        return aes_key_unwrap(self.class_keys[cls], wrapped)


def file_record(relative: str, size: int, *, protection_class: int = FILE_PROTECTION_CLASS,
                wrapped_key: bytes | None = None) -> bytes:
    """A ``Files.file`` blob: an NSKeyedArchiver binary plist of one ``MBFile``."""
    uid = plistlib.UID
    mbfile: dict = {
        "$class": uid(3), "RelativePath": uid(2), "Size": size, "ProtectionClass": protection_class,
        "Mode": 0o100644, "UserID": 501, "GroupID": 501, "Flags": 0, "InodeNumber": 1234,
        "Birth": 1700000000, "LastModified": 1700000000, "LastStatusChange": 1700000000,
    }
    objects: list = ["$null", mbfile, relative,
                     {"$classname": "MBFile", "$classes": ["MBFile", "NSObject"]}]
    if wrapped_key is not None:
        mbfile["EncryptionKey"] = uid(len(objects))
        objects.append({"$class": uid(len(objects) + 1),
                        "NS.data": struct.pack("<l", protection_class) + wrapped_key})
        objects.append({"$classname": "NSMutableData", "$classes": ["NSMutableData", "NSData", "NSObject"]})
    archive = {"$version": 100000, "$archiver": "NSKeyedArchiver", "$top": {"root": uid(1)},
               "$objects": objects}
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)


def build_backup(root: Path, *, apps=("org.example.notes", "com.saurik.Cydia"),
                 profiles: dict[str, dict] | None = None, cloud: dict | None = None,
                 encrypted: bool = False, keybag: bytes | None = None, password: str | None = None,
                 keys: BackupKeys | None = None, extra_index: list[tuple[str, str]] = ()) -> Path:
    """A backup folder with the given apps, stored profiles and cloud configuration.

    ``encrypted`` with a ``password``: a real encrypted backup that password opens (see the
    module's docstring); ``keys`` instead gives its secrets (so a test can look for them).
    ``encrypted`` without either: the files are left in the clear and Manifest.plist gets
    ``keybag`` (default empty) and a random ManifestKey, for the paths where the backup is
    never unlocked.
    """
    if keys is None and encrypted and password is not None:
        keys = BackupKeys(password)
    encrypted = encrypted or keys is not None
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
    manifest_db_key = os.urandom(32)
    if keys is not None:
        manifest["BackupKeyBag"] = keys.keybag()
        manifest["ManifestKey"] = (struct.pack("<l", MANIFEST_KEY_CLASS)
                                   + keys.wrap(MANIFEST_KEY_CLASS, manifest_db_key))
    elif encrypted:
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
    # Built in memory: an encrypted backup never holds its plaintext index, not even briefly.
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB)")
    db.execute("CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB)")
    for domain, relative, content in files:
        fid = file_id(domain, relative)
        if keys is None:
            blob = b"bplist00"
        else:
            file_key = os.urandom(32)
            blob = file_record(relative, len(content), wrapped_key=keys.wrap(FILE_PROTECTION_CLASS, file_key))
            content = encrypt(file_key, content)
        db.execute("INSERT INTO Files VALUES (?, ?, ?, 1, ?)", (fid, domain, relative, blob))
        folder = root / fid[:2]
        folder.mkdir(exist_ok=True)
        (folder / fid).write_bytes(content)
    for domain, relative in extra_index:
        db.execute("INSERT INTO Files VALUES (?, ?, ?, 1, ?)", (file_id(domain, relative), domain, relative, b""))
    db.commit()
    index = db.serialize()
    db.close()
    (root / "Manifest.db").write_bytes(encrypt(manifest_db_key, index) if keys is not None else index)
    return root


def wrong_key_keybag() -> bytes:
    """A well-formed BackupKeyBag whose class key no password unwraps (fast iteration counts)."""
    return b"".join([
        _number(b"VERS", 3), _number(b"TYPE", 1), _tlv(b"UUID", b"\x01" * 16), _tlv(b"HMCK", b"\x00" * 40),
        _number(b"WRAP", 0), _tlv(b"SALT", b"\x02" * 20), _number(b"ITER", 1),
        _tlv(b"DPSL", b"\x03" * 20), _number(b"DPIC", 1), _number(b"DPWT", 1),
        _tlv(b"UUID", b"\x04" * 16), _number(b"CLAS", 3), _number(b"WRAP", 2), _number(b"KTYP", 0),
        _tlv(b"WPKY", bytes(range(40))),
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
