"""The case folder: evidence written once, hashed, logged, never overwritten.

Layout (docs/case-folder.md)::

    CASE/
      case.json            who / what / when, written at the start
      custody.log          append-only, hash-chained events
      raw/NNNN-NAME.request.json   the exact request, timestamps, outcome
      raw/NNNN-NAME.stdout|stderr|response   the answer, byte for byte
      apks/PACKAGE/FILE.apk        pulled APKs
      acquisition.json     how the acquisition ended (complete or not, device facts)
      inventory.json findings.json report.json report.html summary.md   the first analysis
      manifest.json        every file above with SHA-256 and size, written last
      analyses/STAMP/...   later re-analyses and re-renders, each with its own manifest.json

Every file is created exclusively (``O_EXCL``), mode 0600, in folders of mode 0700. Streams are
written to disk as they arrive, so a pulled cable loses nothing already read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import socket
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from stalkerscan import __version__
from stalkerscan.errors import CaseExistsError, CaseNotFoundError, CaseWriteError, StalkerscanError
from stalkerscan.model.artifacts import Outcome, RawRecord
from stalkerscan.model.case import ManifestEntry
from stalkerscan.model.serialize import from_data, to_data
from stalkerscan.preserve import manifest as manifest_mod
from stalkerscan.preserve.clock import iso_utc, stamp_for_path
from stalkerscan.preserve.custody import CustodyLog
from stalkerscan.preserve.manifest import Manifest, hash_files

_log = logging.getLogger(__name__)

CASE_FORMAT = "stalkerscan-case/1"
CASE_FILE = "case.json"
ACQUISITION_FILE = "acquisition.json"
ANALYSES_DIR = "analyses"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$")
# Names Windows gives to devices, whatever the extension ("nul.example" is the NUL device).
_WINDOWS_DEVICE = re.compile(r"^(?:con|prn|aux|nul|com[0-9]|lpt[0-9])(?:\..*)?$", re.IGNORECASE)
_DIR_MODE = 0o700
_FILE_MODE = 0o600
# Never follow a symbolic link when creating a file (where the OS can say so).
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def ensure_new_case_dir(path: Path | str) -> Path:
    """``path`` as a case folder may be made there: refused (:class:`CaseExistsError`) when it
    is a link, or exists and is not an empty folder. Checked again by :meth:`CaseFolder.create`;
    callers check first so that nothing is asked of a phone for a case that cannot be written."""
    root = Path(path).expanduser()
    if root.is_symlink():
        # A link planted where the case should go would send the evidence elsewhere.
        raise CaseExistsError(
            f"{root} is a symbolic link.",
            "Give the real folder with --out (or a new name): stalkerscan never writes a "
            "case through a link.",
        )
    if root.exists():
        if not root.is_dir():
            raise CaseExistsError(
                f"{root} exists and is not a folder.",
                "Choose a new folder name with --out: stalkerscan never overwrites anything.",
            )
        if any(root.iterdir()):
            raise CaseExistsError(
                f"The folder {root} already exists and is not empty.",
                "Choose a new folder name with --out: stalkerscan never overwrites a case.",
            )
    return root


def _write_error(path: Path, exc: OSError) -> CaseWriteError:
    reason = exc.strerror or str(exc)
    return CaseWriteError(
        f"Could not write {path}: {reason}.",
        "Everything read so far is kept. Free some disk space or choose a writable folder "
        "for --out, then scan again into a new folder.",
    )


def _is_regular_file(path: Path) -> bool:
    """True for a regular file that is not a symbolic link."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def safe_component(text: str, fallback_prefix: str) -> str:
    """A file-name component derived from device text, or a hash-based stand-in.

    Device-supplied names (package names, APK file names) can hold ``../``, NUL, control
    characters or thousands of bytes; only names matching a strict pattern are used as they
    are, anything else becomes ``<fallback_prefix>-<sha256 prefix>``.
    """
    if (_SAFE_NAME.fullmatch(text) and ".." not in text and not text.endswith(".")
            and not _WINDOWS_DEVICE.match(text)):
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return f"{fallback_prefix}-{digest}"


@dataclass(frozen=True)
class CaseMeta:
    """The content of ``case.json``: facts known when the case is opened."""

    format: str
    """Case folder format version."""

    platform: str
    """``android`` or ``ios``."""

    source: str
    """``usb`` (live phone), ``ios-backup`` or ``androidqf`` (imported folder)."""

    case_id: str | None
    """Case id given by the examiner."""

    examiner: str | None
    """Examiner's name."""

    tool_version: str
    """stalkerscan version that opened the case."""

    host: str
    """Computer name."""

    started_utc: str
    """When the case was opened."""


class RecordWriter:
    """Writes the streams of one request as they arrive, then its request record.

    Use as a context manager: leaving it with an exception records the request as
    interrupted (keeping every byte already written) before the exception continues.
    """

    def __init__(
        self,
        case: CaseFolder,
        *,
        seq: int,
        name: str,
        channel: str,
        request: str,
        subject: str | None,
        attempt: int,
        note: str | None,
        stream_paths: Mapping[str, str],
    ) -> None:
        self.case = case
        self.seq = seq
        self.name = name
        self.channel = channel
        self.request = request
        self.subject = subject
        self.attempt = attempt
        self.note = note
        self.started_utc = iso_utc()
        self._stream_paths = dict(stream_paths)
        self._handles: dict[str, BinaryIO] = {}
        self._digests: dict[str, Any] = {}
        self._sizes: dict[str, int] = {}
        self.record: RawRecord | None = None

    def _path_for(self, stream: str) -> str:
        if stream not in self._stream_paths:
            self._stream_paths[stream] = f"raw/{self.seq:04d}-{self.name}.{stream}"
        return self._stream_paths[stream]

    def write(self, stream: str, data: bytes) -> None:
        """Append bytes to one stream (``stdout``, ``stderr``, ``response``, ``data``)."""
        handle = self._handles.get(stream)
        if handle is None:
            handle = self.case._open_exclusive(self._path_for(stream))
            self._handles[stream] = handle
            self._digests[stream] = hashlib.sha256()
            self._sizes[stream] = 0
        if data:
            try:
                handle.write(data)
                # Hand every chunk to the operating system as it arrives: bytes waiting in
                # this process's buffer would die with it if it were killed mid-answer.
                handle.flush()
            except OSError as exc:
                raise _write_error(self.case.root / self._path_for(stream), exc) from exc
            self._digests[stream].update(data)
            self._sizes[stream] += len(data)

    def bytes_written(self) -> int:
        """Total bytes kept so far across streams."""
        return sum(self._sizes.values())

    def finish(
        self, outcome: Outcome, *, exit_code: int | None = None, error: str | None = None
    ) -> RawRecord:
        """Close the streams and write the request record; returns it."""
        if self.record is not None:
            return self.record
        if "stdout" not in self._handles and outcome is Outcome.OK and self.channel.startswith("adb-shell"):
            self.write("stdout", b"")  # an empty answer is still an answer: keep it explicit
        files: dict[str, str] = {}
        hashes: dict[str, str] = {}
        close_error: OSError | None = None
        for stream, handle in self._handles.items():
            try:
                handle.flush()
                os.fsync(handle.fileno())
                handle.close()
            except OSError as exc:
                close_error = close_error or exc
            files[stream] = self._path_for(stream)
            hashes[stream] = self._digests[stream].hexdigest()
        self.record = RawRecord(
            seq=self.seq,
            name=self.name,
            platform=self.case.meta.platform,
            channel=self.channel,
            request=self.request,
            started_utc=self.started_utc,
            finished_utc=iso_utc(),
            outcome=outcome,
            files=files,
            exit_code=exit_code,
            error=error,
            attempt=self.attempt,
            note=self.note,
            subject=self.subject,
        )
        body = json.dumps({"format": "stalkerscan-record/1", **to_data(self.record)}, indent=1)
        body_bytes = body.encode() + b"\n"
        record_path = f"raw/{self.seq:04d}-{self.name}.request.json"
        self.case._write_new(record_path, body_bytes)
        recorded = {files[s]: {"sha256": hashes[s], "size": self._sizes[s]} for s in files}
        recorded[record_path] = {"sha256": hashlib.sha256(body_bytes).hexdigest(), "size": len(body_bytes)}
        self.case.custody.append(
            "captured",
            {"seq": self.seq, "artifact": self.name, "outcome": outcome.value, "files": recorded},
        )
        if close_error is not None:
            raise _write_error(self.case.root / next(iter(files.values())), close_error)
        return self.record

    def abandon(self, error: str) -> RawRecord | None:
        """Best effort, after a write to the case failed: record the request as interrupted
        with what reached the disk. Never raises :class:`CaseWriteError` (the disk may still be
        full); the failure that led here is the one to report."""
        try:
            return self.finish(Outcome.INTERRUPTED, error=error)
        except CaseWriteError:
            return None

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.record is None:
            if exc is None:
                self.finish(Outcome.OK)
            elif isinstance(exc, CaseWriteError):
                # A full or read-only disk: the record is closed if the disk still takes it,
                # so that a one-off failure leaves a fully verifiable case.
                self.abandon(exc.message)
            elif isinstance(exc, KeyboardInterrupt):
                # A record is read by people: plain words, not the exception's name.
                self.finish(Outcome.INTERRUPTED, error="Stopped with Ctrl-C before the answer was complete.")
            else:
                # A typed error's message, without its advice (the record says what happened).
                message = exc.message if isinstance(exc, StalkerscanError) else str(exc) or type(exc).__name__
                self.finish(Outcome.INTERRUPTED, error=message)


class CaseFolder:
    """A case folder on disk; also an :class:`~stalkerscan.model.artifacts.EvidenceReader`."""

    def __init__(self, root: Path, meta: CaseMeta) -> None:
        self.root = root
        self.meta = meta
        self.custody = CustodyLog(root / "custody.log")
        self._next_seq = 1 + max((r.seq for r in self._read_records()), default=0)
        self._records_cache: list[RawRecord] | None = None

    # ------------------------------------------------------------------ opening
    @classmethod
    def create(
        cls,
        path: Path | str,
        *,
        platform: str,
        source: str = "usb",
        case_id: str | None = None,
        examiner: str | None = None,
    ) -> CaseFolder:
        """Create a new case folder. Refuses a folder that exists and is not empty."""
        root = ensure_new_case_dir(path)
        try:
            root.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
            os.chmod(root, _DIR_MODE)
            for sub in ("raw", "apks"):
                (root / sub).mkdir(mode=_DIR_MODE)
        except OSError as exc:
            raise _write_error(root, exc) from exc
        meta = CaseMeta(
            format=CASE_FORMAT,
            platform=platform,
            source=source,
            case_id=case_id,
            examiner=examiner,
            tool_version=__version__,
            host=socket.gethostname(),
            started_utc=iso_utc(),
        )
        case = cls(root, meta)
        body = (json.dumps(to_data(meta), indent=1) + "\n").encode()
        case._write_new(CASE_FILE, body)
        case.custody.append(
            "case_opened",
            {**to_data(meta), "files": {CASE_FILE: {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}}},
        )
        return case

    @classmethod
    def open(cls, path: Path | str) -> CaseFolder:
        """Open an existing case folder."""
        root = Path(path).expanduser()
        meta_path = root / CASE_FILE
        if not _is_regular_file(meta_path):
            raise CaseNotFoundError(
                f"{root} is not a stalkerscan case folder (no {CASE_FILE}).",
                "Give the folder that `stalkerscan scan --out` created.",
            )
        try:
            data = json.loads(meta_path.read_bytes())
            meta = from_data(CaseMeta, {k: v for k, v in data.items()})
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise CaseNotFoundError(
                f"{meta_path} cannot be read: {exc}.",
                "The case folder may be damaged; run `stalkerscan verify` on it.",
            ) from exc
        return cls(root, meta)

    # ------------------------------------------------------------------ writing
    def _resolve(self, relpath: str) -> Path:
        """``root / relpath``, refused when it could lead outside the case folder: absolute,
        ``..``, NUL, or a symbolic link on the way (a tampered case must not redirect reads
        or writes elsewhere)."""
        if not isinstance(relpath, str) or not relpath or "\x00" in relpath:
            raise CaseWriteError(f"Refusing an unusable path in the case folder: {relpath!r}")
        parts = Path(relpath).parts
        if Path(relpath).is_absolute() or ".." in parts:
            raise CaseWriteError(f"Refusing to write outside the case folder: {relpath!r}")
        current = self.root
        for part in parts:
            current = current / part
            if current.is_symlink():
                raise CaseWriteError(
                    f"Refusing to follow a symbolic link inside the case folder: {relpath!r}",
                    "The case folder has been changed by something other than stalkerscan; "
                    "run `stalkerscan verify` on it.",
                )
        return current

    def evidence_path(self, relpath: str) -> Path | None:
        """The file ``relpath`` names, when it is a regular file inside the case folder (no
        link, FIFO or device); None otherwise. Everything that reads evidence goes through
        this or :meth:`read`."""
        try:
            path = self._resolve(relpath)
            mode = path.lstat().st_mode
        except (CaseWriteError, OSError, ValueError):
            return None
        return path if stat.S_ISREG(mode) else None

    def _make_folders(self, folder: Path) -> None:
        """Create ``folder`` and any missing folder above it inside the case, each 0700
        (``mkdir(parents=True)`` would give the parents the umask's mode)."""
        missing = []
        while folder != self.root and not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for item in reversed(missing):
            with contextlib.suppress(FileExistsError):
                item.mkdir(mode=_DIR_MODE)

    def _open_exclusive(self, relpath: str) -> BinaryIO:
        path = self._resolve(relpath)
        try:
            self._make_folders(path.parent)
            # Check again (a link could have been put in place meanwhile), then create the
            # file without following a link.
            self._resolve(relpath)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_BINARY", 0)
            fd = os.open(path, flags, _FILE_MODE)
        except FileExistsError as exc:
            raise CaseWriteError(f"{path} already exists; a case file is never overwritten.") from exc
        except OSError as exc:
            raise _write_error(path, exc) from exc
        return os.fdopen(fd, "wb")

    def _write_new(self, relpath: str, data: bytes) -> None:
        handle = self._open_exclusive(relpath)
        try:
            with handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            # Never leave a half-written file of our own behind (a full disk): it would block
            # writing it whole later (`analyze` after space is freed), as nothing is ever
            # overwritten. The file was created by this call, so it is ours to remove.
            with contextlib.suppress(OSError):
                os.unlink(self.root / relpath)
            raise _write_error(self.root / relpath, exc) from exc

    def write_file(self, relpath: str, data: bytes, *, event: str = "file_written") -> ManifestEntry:
        """Write a new derived file (inventory, findings, report); logged with its hash."""
        self._write_new(relpath, data)
        entry = ManifestEntry(relpath, hashlib.sha256(data).hexdigest(), len(data))
        self.custody.append(event, {"path": relpath, "sha256": entry.sha256, "size": entry.size})
        return entry

    def begin_record(
        self,
        name: str,
        *,
        channel: str,
        request: str,
        subject: str | None = None,
        attempt: int = 1,
        note: str | None = None,
        stream_paths: Mapping[str, str] | None = None,
    ) -> RecordWriter:
        """Start recording one request. Logged in custody before anything is sent."""
        seq = self._next_seq
        self._next_seq += 1
        self._records_cache = None
        details: dict[str, Any] = {"seq": seq, "artifact": name, "channel": channel,
                                   "request": request[:2000]}
        if stream_paths:
            # Where the answer will go when not raw/NNNN-NAME.STREAM (pulled APKs): if the
            # program dies mid-answer, verify can tell our own partial file from a planted one.
            details["streams"] = dict(stream_paths)
        self.custody.append("request", details)
        return RecordWriter(
            self, seq=seq, name=name, channel=channel, request=request, subject=subject,
            attempt=attempt, note=note, stream_paths=stream_paths or {},
        )

    def apk_path(self, package: str, device_path: str, index: int) -> str:
        """Where a pulled APK goes: ``apks/<package>/<file name>``, made safe."""
        folder = safe_component(package, "package")
        base = device_path.rsplit("/", 1)[-1]
        if not base.endswith(".apk"):
            base = f"file-{index}.apk"
        name = safe_component(base, f"apk-{index}")
        candidate = f"apks/{folder}/{name}"
        # Two packages may differ only in case (one folder on a case-insensitive disk), and a
        # phone may list the same path twice: never reuse a name.
        attempt = 0
        while os.path.lexists(self.root / candidate):
            candidate = f"apks/{folder}/{index}-{attempt}-{name}" if attempt else f"apks/{folder}/{index}-{name}"
            attempt += 1
        return candidate

    # ------------------------------------------------------------------ sealing
    def is_sealed(self) -> bool:
        """True once the acquisition manifest exists."""
        return (self.root / manifest_mod.FILE_NAME).exists()

    def close_acquisition(self, *, complete: bool, reason: str | None, facts: Mapping[str, Any]) -> None:
        """Record how the acquisition ended in ``acquisition.json`` (written once)."""
        acquisition = {
            "format": "stalkerscan-acquisition/1",
            "complete": complete,
            "incomplete_reason": reason,
            "finished_utc": iso_utc(),
            **to_data(dict(facts)),
        }
        self.write_file(ACQUISITION_FILE, (json.dumps(acquisition, indent=1) + "\n").encode(),
                        event="acquisition_closed")

    def seal(self) -> Manifest:
        """Write ``manifest.json`` over every file so far; the case's evidence is then fixed."""
        acquisition = self.acquisition() or {}
        complete = bool(acquisition.get("complete"))
        # Only regular files: a link or FIFO someone added must not be followed (it could
        # point anywhere, or block forever); verify names such files as added.
        files = [p for p in self.files() if not p.startswith(f"{ANALYSES_DIR}/")
                 and p not in (manifest_mod.FILE_NAME, "custody.log")
                 and self.evidence_path(p) is not None]
        state = self.custody.state()
        manifest = Manifest(
            scope="case",
            created_utc=iso_utc(),
            files=hash_files(self.root, files),
            custody_lines=state.lines,
            custody_head=state.head,
        )
        raw = manifest.to_bytes()
        self._write_new(manifest_mod.FILE_NAME, raw)
        self.custody.append(
            "scan_finished" if complete else "scan_interrupted",
            {"complete": complete, "reason": acquisition.get("incomplete_reason"),
             "manifest_sha256": hashlib.sha256(raw).hexdigest(), "files": len(manifest.files)},
        )
        return manifest

    def acquisition(self) -> dict[str, Any] | None:
        """The content of ``acquisition.json``, or None for an unsealed case."""
        path = self.evidence_path(ACQUISITION_FILE)
        if path is None:
            return None
        try:
            data = json.loads(path.read_bytes())
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def new_analysis(self) -> AnalysisFolder:
        """A fresh ``analyses/<stamp>/`` folder for a later re-analysis or re-render."""
        for _ in range(5):
            rel = f"{ANALYSES_DIR}/{stamp_for_path()}"
            try:
                self._resolve(ANALYSES_DIR).mkdir(mode=_DIR_MODE, exist_ok=True)
                self._resolve(rel).mkdir(mode=_DIR_MODE)
            except FileExistsError:
                continue
            except OSError as exc:
                raise _write_error(self.root / rel, exc) from exc
            return AnalysisFolder(self, rel)
        raise CaseWriteError("Could not create a new analysis folder (name clash).")

    # ------------------------------------------------------------------ reading
    def files(self) -> list[str]:
        """Every file in the case folder (and link to a folder), relative, sorted."""
        result = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            # A link to a folder is not descended into, but it is an entry nobody wrote.
            names = filenames + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]
            for filename in sorted(names):
                full = Path(dirpath) / filename
                result.append(full.relative_to(self.root).as_posix())
        return result

    def _read_records(self) -> list[RawRecord]:
        raw_dir = self.root / "raw"
        records = []
        if raw_dir.is_dir() and not raw_dir.is_symlink():
            for found in sorted(raw_dir.glob("*.request.json")):
                path = self.evidence_path(f"raw/{found.name}")
                if path is None:
                    continue
                try:
                    data = json.loads(path.read_bytes())
                    data.pop("format", None)
                    records.append(from_data(RawRecord, data))
                except (ValueError, TypeError, KeyError, AttributeError):
                    continue  # verify reports damaged records; analysis skips them
        records.sort(key=lambda r: r.seq)
        return records

    def records(self) -> list[RawRecord]:
        """Every request record, in sequence order."""
        if self._records_cache is None:
            self._records_cache = self._read_records()
        return self._records_cache

    def read(self, record: RawRecord, stream: str = "stdout") -> bytes:
        """The bytes of one stream of a record (``b""`` when absent)."""
        rel = record.files.get(stream)
        if not rel:
            return b""
        path = self.evidence_path(rel)
        if path is None:
            return b""
        try:
            return path.read_bytes()
        except OSError:
            return b""


class AnalysisFolder:
    """``analyses/<stamp>/``: outputs of one later analysis, sealed with their own manifest."""

    def __init__(self, case: CaseFolder, rel: str) -> None:
        self.case = case
        self.rel = rel
        self._written: list[str] = []

    @property
    def path(self) -> Path:
        """Absolute path of the folder."""
        return self.case.root / self.rel

    def write_file(self, name: str, data: bytes) -> ManifestEntry:
        """Write one output file into this analysis folder."""
        rel = f"{self.rel}/{name}"
        entry = self.case.write_file(rel, data)
        self._written.append(rel)
        return entry

    def seal(self, event: str, details: Mapping[str, Any]) -> Manifest:
        """Write this analysis's manifest and log it with its hash."""
        state = self.case.custody.state()
        manifest = Manifest(
            scope=self.rel,
            created_utc=iso_utc(),
            files=hash_files(self.case.root, self._written),
            custody_lines=state.lines,
            custody_head=state.head,
        )
        raw = manifest.to_bytes()
        rel = f"{self.rel}/{manifest_mod.FILE_NAME}"
        self.case._write_new(rel, raw)
        self.case.custody.append(
            event, {**dict(details), "manifest": rel, "manifest_sha256": hashlib.sha256(raw).hexdigest()}
        )
        return manifest


def seal_quietly(case: CaseFolder) -> None:
    """Seal the case unless it already is; if even that fails (disk full), log it and go on:
    the custody log still vouches for every file, and ``analyze`` seals it later."""
    try:
        if not case.is_sealed():
            case.seal()
    except CaseWriteError:
        _log.exception("could not seal case %s", case.root)


@contextlib.contextmanager
def closed_on_crash(case: CaseFolder, what: str) -> Iterator[None]:
    """Around an acquisition: when something it does not handle itself ends it (a bug, Ctrl-C
    outside its own handling), the case is still closed as incomplete and sealed, because the
    evidence read so far counts; then the exception goes on. ``what``: ``The scan``..."""
    try:
        yield
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            reason = f"{what} was stopped (Ctrl-C) before it finished. Everything read before that is kept."
        else:
            reason = (f"{what} stopped unexpectedly (an internal error, {type(exc).__name__}). "
                      "Everything read before that is kept.")
        try:
            if case.acquisition() is None:
                case.close_acquisition(complete=False, reason=reason, facts={})
        except CaseWriteError:
            _log.exception("could not close case %s", case.root)
        seal_quietly(case)
        raise
