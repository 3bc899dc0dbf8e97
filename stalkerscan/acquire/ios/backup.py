"""Analysing an iTunes / Finder backup the person already made: ``stalkerscan scan --ios-backup``.

stalkerscan never makes a backup of a phone (an encrypted one would mean setting a backup
password on it, a change of the phone's state). A backup that exists is read like a phone:
every file read becomes a ``backup_file`` record (channel ``backup``) holding its bytes exactly
as stored, its SHA-256 in the custody log beside the original's path, size and modification
time. The original folder is only ever opened for reading, and checked unchanged at the end.

Files read: ``Info.plist`` (device facts, the user's apps), ``Manifest.plist`` (encryption
keybag, lockdown copy, apps), ``Status.plist``, ``Manifest.db`` (the index), and from the index
the configuration profile store (``profile-*`` files and ``CloudConfigurationDetails.plist``).

Encrypted backups: the password is asked for interactively (``password_prompt``; never on the
command line), checked against the keybag with iphone-backup-decrypt, and each file decrypted
into the ``decrypted`` stream of its record: plaintext exists only inside the case folder.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import logging
import os
import plistlib
import re
import sqlite3
import stat
import struct
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from stalkerscan.acquire.progress import NullProgress, Progress
from stalkerscan.errors import CaseWriteError, InputFileError, StalkerscanError, UsageError
from stalkerscan.model.artifacts import IosArtifact, Outcome, RawRecord
from stalkerscan.parse.ios.backup import (
    CLOUD_CONFIGURATION_FILE,
    INFO_PLIST,
    MANIFEST_DB,
    MANIFEST_PLIST,
    PROFILES_DOMAIN,
    STATUS_PLIST,
    is_profile_file,
)
from stalkerscan.preserve.case import CaseFolder, closed_on_crash, ensure_new_case_dir

if TYPE_CHECKING:
    from stalkerscan.api import Case

log = logging.getLogger(__name__)

CHANNEL = "backup"
"""Channel of every record read from a backup."""

FILE_ID = re.compile(r"^[0-9a-f]{40}$")
"""A backup file's name: the SHA-1 of its domain and path."""

MAX_INDEX_BYTES = 4 * 1024**3
"""Largest Manifest.db read (real ones are tens of megabytes)."""

MAX_FILE_BYTES = 64 * 1024**2
"""Largest single file read from inside the backup (profiles are kilobytes)."""

MAX_PASSWORD_ATTEMPTS = 3

_CHUNK = 1024 * 1024
_AES_BLOCK = 16

WHERE_BACKUPS_ARE = (
    "Give the folder of one backup (it holds Info.plist and Manifest.plist). Finder and iTunes "
    "keep them in ~/Library/Application Support/MobileSync/Backup/ on a Mac, and in "
    "%APPDATA%\\Apple Computer\\MobileSync\\Backup\\ or %USERPROFILE%\\Apple\\MobileSync\\Backup\\ "
    "on Windows."
)
ENCRYPTED_BACKUP_ADVICE = (
    "The backup is encrypted (\"Encrypt local backup\" in Finder or iTunes). Ask the phone's "
    "owner for that backup password; stalkerscan asks for it when it starts, and never takes it "
    "on the command line. Without it, only the unencrypted Info.plist and Manifest.plist were read."
)

PasswordPrompt = Callable[[], str]
"""Asks the person for the backup password; an empty answer means "skip"."""


def terminal_password_prompt() -> str:
    """Ask for the password on the terminal without showing it (``getpass``)."""
    if not sys.stdin or not sys.stdin.isatty():
        raise InputFileError("This backup is encrypted and there is no terminal to ask for its password.",
                             ENCRYPTED_BACKUP_ADVICE)
    return getpass.getpass("Backup password (not shown; Enter to skip): ")


# --------------------------------------------------------------------------- locating
def locate_backup(path: Path | str) -> Path:
    """The backup folder at ``path`` (or the only backup inside it)."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise InputFileError(f"{root} is not a folder.", WHERE_BACKUPS_ARE)

    def is_backup(folder: Path) -> bool:
        return any((folder / name).is_file() for name in (INFO_PLIST, MANIFEST_PLIST, MANIFEST_DB))

    if is_backup(root):
        if not (root / MANIFEST_DB).is_file() and (root / "Manifest.mbdb").is_file():
            raise InputFileError(
                f"{root} is a backup in the format of iOS 9 or older (Manifest.mbdb), which "
                "stalkerscan does not read.", "Update the phone and make a new backup, or scan it over USB.")
        return root.resolve()
    try:
        inner = sorted(p for p in root.iterdir() if p.is_dir() and is_backup(p))
    except OSError as exc:
        raise InputFileError(f"{root} cannot be read: {exc.strerror or exc}.", WHERE_BACKUPS_ARE) from exc
    if len(inner) == 1:
        return inner[0].resolve()
    if inner:
        names = ", ".join(p.name for p in inner[:10])
        raise UsageError(f"{root} holds {len(inner)} backups ({names}).",
                         "Give the folder of the one to analyse (each is named after the phone's UDID).")
    raise InputFileError(f"{root} is not an iTunes / Finder backup (no Info.plist or Manifest.plist).",
                         WHERE_BACKUPS_ARE)


# --------------------------------------------------------------------------- decryption
@dataclass
class _Keys:
    """The unlocked keybag (iphone-backup-decrypt), kept in memory only."""

    keybag: Any

    def unwrap(self, protection_class: int, wrapped: bytes) -> bytes:
        return self.keybag.unwrap_key_for_class(protection_class, wrapped)


class _Decryptor:
    """AES-256-CBC with a zero IV and PKCS#7 padding, as iOS backups encrypt each file."""

    def __init__(self, key: bytes) -> None:
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(b"\x00" * _AES_BLOCK)).decryptor()
        self._unpad = padding.PKCS7(128).unpadder()

    def update(self, chunk: bytes) -> bytes:
        return self._unpad.update(self._cipher.update(chunk))

    def finish(self) -> bytes:
        return self._unpad.update(self._cipher.finalize()) + self._unpad.finalize()


def unlock_keybag(manifest: dict[str, Any], password: str) -> _Keys | None:
    """The keybag unlocked with ``password``, or None when the password is wrong."""
    from iphone_backup_decrypt.utils import BackupKeyBag

    data = manifest.get("BackupKeyBag")
    if not isinstance(data, bytes):
        raise InputFileError("The backup says it is encrypted but Manifest.plist has no keybag.",
                             "The backup may be damaged or incomplete: make a new one if you can.")
    try:
        keybag = BackupKeyBag(data)
        unlocked = keybag.unlock_with_passphrase(password.encode("utf-8"))
    except (KeyError, ValueError, TypeError, struct.error) as exc:
        raise InputFileError(f"The backup's keybag cannot be read ({type(exc).__name__}: {exc}).",
                             "The backup may be damaged or was not made by Finder or iTunes.") from exc
    except Exception as exc:  # UnsafeBackupError and other library checks
        raise InputFileError(f"The backup's keybag was refused: {exc}.",
                             "The backup may be damaged or crafted; keep it as it is and ask for help.") from exc
    return _Keys(keybag) if unlocked else None


# --------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class _IndexEntry:
    file_id: str
    domain: str
    relative_path: str
    blob: bytes | None

    @property
    def subject(self) -> str:
        return f"{self.domain}/{self.relative_path}"


class BackupAcquirer:
    """Reads the files of one backup into one case folder, never writing to the backup."""

    def __init__(self, root: Path, case: CaseFolder, *, progress: Progress,
                 password_prompt: PasswordPrompt | None) -> None:
        self.root = root
        self.case = case
        self.progress = progress
        self.password_prompt = password_prompt
        self.files_read = 0
        self.bytes_read = 0
        self.problems: list[str] = []
        self.missing_files: list[str] = []
        self.sources: dict[Path, tuple[int, int]] = {}
        self.encrypted = False
        self.keys: _Keys | None = None
        self.error: StalkerscanError | None = None

    # ------------------------------------------------------------------ one file
    def _open(self, path: Path, limit: int) -> tuple[int, os.stat_result]:
        resolved = path.resolve()
        if self.root not in resolved.parents:
            raise InputFileError(f"{path} points outside the backup; not read.")
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError(f"{path} is not a regular file (link or device); not read.")
        if info.st_size > limit:
            raise InputFileError(f"{path} is {info.st_size} bytes, over the {limit}-byte limit; not read.")
        flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
        try:
            # O_NOATIME keeps even the access time unchanged where the system allows it.
            fd = os.open(path, flags | getattr(os, "O_NOATIME", 0))
        except PermissionError:
            fd = os.open(path, flags)
        return fd, info

    def read(self, relative: str, subject: str, *, limit: int = MAX_FILE_BYTES,
             key: bytes | None = None, note: str | None = None) -> RawRecord:
        """Copy one file of the backup into a new record (and its plaintext, given a key)."""
        path = self.root / relative
        writer = self.case.begin_record(IosArtifact.BACKUP_FILE.value, channel=CHANNEL,
                                        request=f"READ {relative}", subject=subject, note=note)
        digest = hashlib.sha256()
        size = 0
        try:
            with writer:
                try:
                    fd, info = self._open(path, limit)
                except (OSError, InputFileError) as exc:
                    message = exc.message if isinstance(exc, InputFileError) else (exc.strerror or str(exc))
                    return writer.finish(Outcome.FAILED, error=f"{relative}: {message}")
                decryptor = _Decryptor(key) if key is not None else None
                with os.fdopen(fd, "rb") as handle:
                    while chunk := handle.read(_CHUNK):
                        size += len(chunk)
                        if size > limit:
                            return writer.finish(Outcome.FAILED, error=f"{relative} grew over the size limit")
                        digest.update(chunk)
                        writer.write("data", chunk)
                        if decryptor is not None:
                            writer.write("decrypted", decryptor.update(chunk))
                if decryptor is not None:
                    try:
                        writer.write("decrypted", decryptor.finish())
                    except ValueError:
                        return writer.finish(Outcome.FAILED,
                                             error=f"{relative} could not be decrypted (wrong key or damaged file)")
                self.sources[path] = (info.st_size, info.st_mtime_ns)
                return writer.finish(Outcome.OK)
        finally:
            self.files_read += 1
            self.bytes_read += size
            self.case.custody.append("backup_file_read", {
                "source": str(path), "relative": relative, "sha256": digest.hexdigest(), "size": size,
                "seq": writer.seq,
            })

    # ------------------------------------------------------------------ the plan
    def _plist(self, record: RawRecord) -> dict[str, Any]:
        if record.outcome is not Outcome.OK:
            return {}
        try:
            value = plistlib.loads(self.case.read(record, "data"))
        except Exception:  # analysis reports unreadable plists; here it only guides reading
            return {}
        return value if isinstance(value, dict) else {}

    def _ask_password(self, manifest: dict[str, Any]) -> None:
        prompt = self.password_prompt or terminal_password_prompt
        for attempt in range(1, MAX_PASSWORD_ATTEMPTS + 1):
            try:
                password = prompt()
                if not password:
                    break
                self.progress.step("Opening the encrypted backup (this takes a few seconds)")
                keys = unlock_keybag(manifest, password)
            except InputFileError as exc:
                # No terminal to ask on, or a damaged keybag: what is not encrypted still counts.
                self.case.custody.append("backup_not_unlocked", {"reason": exc.message})
                self.error = exc
                return
            if keys is not None:
                self.keys = keys
                self.case.custody.append("backup_unlocked", {"attempts": attempt})
                return
            self.progress.warn("That password did not open the backup.")
        self.case.custody.append("backup_not_unlocked", {"reason": "no correct password given"})
        self.error = InputFileError("The encrypted backup could not be opened without its password.",
                                    ENCRYPTED_BACKUP_ADVICE)

    def _manifest_key(self, manifest: dict[str, Any]) -> bytes | None:
        wrapped = manifest.get("ManifestKey")
        if self.keys is None or not isinstance(wrapped, bytes) or len(wrapped) < 5:
            return None
        try:
            return self.keys.unwrap(struct.unpack("<l", wrapped[:4])[0], wrapped[4:])
        except Exception as exc:
            self.problems.append(f"The key of Manifest.db could not be unwrapped: {exc}")
            return None

    def _index(self, record: RawRecord) -> list[_IndexEntry]:
        """The profile store's files, from the preserved (decrypted) copy of Manifest.db."""
        stream = "decrypted" if self.encrypted else "data"
        rel = record.files.get(stream)
        if record.outcome is not Outcome.OK or not rel:
            return []
        # The preserved copy, opened read-only and immutable: sqlite writes no journal beside it.
        uri = (self.case.root / rel).resolve().as_uri() + "?mode=ro&immutable=1"
        try:
            with contextlib.closing(untrusted_database(uri)) as connection:
                rows = connection.execute(
                    "SELECT fileID, domain, relativePath, file FROM Files "
                    "WHERE domain = ? AND relativePath LIKE ? AND flags = 1 ORDER BY relativePath",
                    (PROFILES_DOMAIN, "Library/ConfigurationProfiles/%"),
                ).fetchall()
        except (sqlite3.Error, InputFileError) as exc:
            message = exc.message if isinstance(exc, InputFileError) else str(exc)
            self.problems.append(f"Manifest.db could not be read as a database: {message}")
            return []
        entries = []
        for file_id, domain, relative, blob in rows:
            if not (isinstance(file_id, str) and isinstance(domain, str) and isinstance(relative, str)):
                continue
            entry = _IndexEntry(file_id.lower(), domain, relative, blob if isinstance(blob, bytes) else None)
            if is_profile_file(entry.subject) or relative == CLOUD_CONFIGURATION_FILE:
                entries.append(entry)
        return entries[:2000]

    def _read_indexed(self, entry: _IndexEntry) -> None:
        if not FILE_ID.match(entry.file_id):
            self.problems.append(f"Manifest.db names a file with an invalid id: {entry.file_id[:60]!r}")
            return
        relative = f"{entry.file_id[:2]}/{entry.file_id}"
        if not (self.root / relative).exists() and (self.root / entry.file_id).exists():
            relative = entry.file_id  # the flat layout of older backups
        if not os.path.lexists(self.root / relative):
            self.missing_files.append(entry.subject)
            self.case.custody.append("backup_file_missing", {"subject": entry.subject, "file_id": entry.file_id})
            return
        key = None
        if self.encrypted:
            key = self._file_key(entry)
            if key is None:
                return
        record = self.read(relative, entry.subject, key=key)
        if record.outcome is not Outcome.OK:
            self.problems.append(record.error or f"{entry.subject} could not be read")

    def _file_key(self, entry: _IndexEntry) -> bytes | None:
        from iphone_backup_decrypt.utils import FilePlist

        if self.keys is None:
            return None
        # Every file of an encrypted backup has its key in the index. An entry without one
        # (damaged or crafted index) is a file we cannot read: say so, or the case would
        # silently claim "no profiles" while one sits in the backup.
        no_key = f"The backup's index holds no key for {entry.subject}; it could not be read."
        if entry.blob is None:
            self.problems.append(no_key)
            return None
        try:
            meta = FilePlist(entry.blob)
            if meta.encryption_key is None:
                self.problems.append(no_key)
                return None
            return self.keys.unwrap(meta.protection_class, meta.encryption_key)
        except Exception as exc:
            self.problems.append(f"The key of {entry.subject} could not be unwrapped: {exc}")
            return None

    def acquire(self) -> tuple[bool, str | None]:
        """Read everything; returns (complete, reason it is not)."""
        self.progress.start(5)
        try:
            self.progress.step("Reading the backup's device facts and app list")
            info_record = self.read(INFO_PLIST, INFO_PLIST)
            self.progress.step("Reading the backup's manifest")
            manifest_record = self.read(MANIFEST_PLIST, MANIFEST_PLIST)
            if (self.root / STATUS_PLIST).exists():
                self.read(STATUS_PLIST, STATUS_PLIST)
            manifest = self._plist(manifest_record)
            self.encrypted = manifest.get("IsEncrypted") is True
            if info_record.outcome is not Outcome.OK and manifest_record.outcome is not Outcome.OK:
                return False, "Neither Info.plist nor Manifest.plist could be read from the backup."
            if self.encrypted:
                # A live progress bar redraws its line many times a second and would wipe the
                # password prompt off a terminal at once, leaving the scan looking stuck: stop
                # it while asking, and start it again for the three steps left.
                self.progress.done()
                self._ask_password(manifest)
                self.progress.start(3)
            if self.encrypted and self.keys is None:
                return False, ("The backup is encrypted and its password was not given: device facts and "
                               "the app list were read, configuration profiles were not.")
            self.progress.step("Reading the backup's index")
            key = self._manifest_key(manifest) if self.encrypted else None
            if self.encrypted and key is None:
                return False, "The backup's index (Manifest.db) could not be decrypted."
            if not (self.root / MANIFEST_DB).is_file():
                return False, "The backup has no Manifest.db, so its configuration profiles could not be found."
            db_record = self.read(MANIFEST_DB, MANIFEST_DB, limit=MAX_INDEX_BYTES, key=key)
            if db_record.outcome is not Outcome.OK:
                return False, f"The backup's index could not be read: {db_record.error}"
            self.progress.step("Reading configuration profiles stored in the backup")
            for entry in self._index(db_record):
                self._read_indexed(entry)
            self.progress.step("Checking the backup was not changed")
            changed = self._changed_sources()
            if changed:
                self.problems.append("Changed while being read (another program is writing to the "
                                     f"backup?): {', '.join(changed[:5])}")
            if self.missing_files:
                names = ", ".join(s.rsplit("/", 1)[-1] for s in self.missing_files[:3])
                self.problems.append(
                    f"{len(self.missing_files)} file(s) of the configuration profile store that the "
                    f"backup's index lists are not in the backup folder ({names}); the backup may have "
                    "been copied only in part.")
            if self.problems:
                return False, " ".join(self.problems)[:2000]
            return True, None
        finally:
            self.progress.done()

    def _changed_sources(self) -> list[str]:
        changed = []
        for path, (size, mtime) in self.sources.items():
            try:
                info = os.lstat(path)
            except OSError:
                changed.append(str(path))
                continue
            if (info.st_size, info.st_mtime_ns) != (size, mtime):
                changed.append(str(path))
        self.case.custody.append("backup_checked_unchanged" if not changed else "backup_changed",
                                 {"files": len(self.sources), "changed": changed[:50]})
        return changed


# --------------------------------------------------------------------------- the scan
def _device_facts(case: CaseFolder) -> dict[str, Any]:
    from stalkerscan.parse.ios.backup import parse_backup

    device = parse_backup(case).device
    return {"udid": device.udid, "serial": device.serial, "product_type": device.product_type,
            "ios_version": device.ios_version, "build_version": device.build_version}


def scan_backup(
    backup_dir: Path | str,
    out_dir: Path | str,
    *,
    examiner: str | None = None,
    case_id: str | None = None,
    signatures: Any = None,
    locale: str = "en",
    formats: Sequence[str] | None = None,
    progress: Progress | None = None,
    password_prompt: PasswordPrompt | None = None,
) -> Case:
    """Analyse an existing iTunes / Finder backup into the new case folder ``out_dir``.

    ``password_prompt`` is called (at most three times) when the backup is encrypted; by default
    the password is asked on the terminal without echo. The backup itself is never modified.
    """
    from stalkerscan.api import finish_scan, resolve_signatures
    from stalkerscan.outputs import FORMATS

    root = locate_backup(backup_dir)
    out_path = ensure_new_case_dir(out_dir)
    resolved_out = out_path.resolve()
    if resolved_out == root or root in resolved_out.parents:
        raise UsageError("The case folder cannot be inside the backup: the backup is never written to.",
                         "Choose a --out folder outside the backup folder.")
    sigs = resolve_signatures(signatures)
    progress = progress or NullProgress()
    case = CaseFolder.create(out_path, platform="ios", source="ios-backup", case_id=case_id, examiner=examiner)
    acquirer = BackupAcquirer(root, case, progress=progress, password_prompt=password_prompt)
    error: StalkerscanError | None = None
    with closed_on_crash(case, "The analysis of the backup"):
        try:
            case.custody.append("backup_opened", {"path": str(root), "signatures": sigs.summary()})
            complete, reason = acquirer.acquire()
            error = acquirer.error
        except CaseWriteError as exc:  # the disk filled up: an incomplete case, as for a scan
            complete, reason, error = False, exc.message, exc
    device = _device_facts(case)
    return finish_scan(
        case, complete=complete, reason=reason, error=error, sigs=sigs, locale=locale,
        formats=formats or FORMATS,
        events=[("device_identified", {"platform": "ios", "source": "ios-backup", **device})],
        facts={
            "device_serial": device["udid"],
            "device_model": device["product_type"],
            "ios_version": device["ios_version"],
            "backup_path": str(root),
            "backup_encrypted": acquirer.encrypted,
            "backup_decrypted": acquirer.keys is not None,
            "files_read": acquirer.files_read,
            "bytes_read": acquirer.bytes_read,
            "signatures": sigs.summary(),
        },
    )


# A backup's Manifest.db comes from someone else: its schema could hold views or triggers that
# run forever (an endless recursive view named Files) or call functions.
SQLITE_STEP_BUDGET = 50_000_000
"""SQLite virtual-machine steps allowed for one query on a backup's database."""


def untrusted_database(uri: str) -> sqlite3.Connection:
    """Open a backup's SQLite database read-only, distrusting its schema.

    ``Files`` must be a real table (not a view), the schema may not call functions
    (``trusted_schema``), and every query is stopped after :data:`SQLITE_STEP_BUDGET` steps.
    """
    connection = sqlite3.connect(uri, uri=True)
    try:
        connection.execute("PRAGMA trusted_schema = OFF")
        kind = connection.execute("SELECT type FROM sqlite_master WHERE name = 'Files'").fetchone()
        if kind is None or kind[0] != "table":
            raise InputFileError("its Files index is missing or is not a table, as iTunes and Finder write it.")
        steps = 0

        def budget() -> int:
            nonlocal steps
            steps += 100_000
            return 1 if steps > SQLITE_STEP_BUDGET else 0  # non-zero aborts the query

        connection.set_progress_handler(budget, 100_000)
    except BaseException:
        connection.close()
        raise
    return connection
