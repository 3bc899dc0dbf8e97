"""``verify``: re-hash every file of a case against its manifests and custody log.

Reads only; never writes to the case. Three independent records must agree:

- each manifest (``manifest.json`` and ``analyses/*/manifest.json``) lists files and hashes;
- the custody log recorded the hash of every captured or written file as it was written,
  and the hash of every manifest;
- the custody log's own hash chain, and the chain head each manifest recorded.

Any file whose bytes differ from what was recorded is *changed*; a recorded file that is gone
is *missing*; a file nobody recorded is *added*.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from stalkerscan.errors import CaseNotFoundError, CaseWriteError
from stalkerscan.model.case import CustodyEntry
from stalkerscan.preserve import manifest as manifest_mod
from stalkerscan.preserve.case import ANALYSES_DIR, CaseFolder, CaseMeta
from stalkerscan.preserve.custody import GENESIS, line_hash
from stalkerscan.preserve.manifest import Manifest, sha256_file


@dataclass(frozen=True)
class VerifyReport:
    """What ``verify`` found."""

    case: str
    """The case folder checked."""

    files_checked: int
    """How many recorded files were re-hashed."""

    changed: tuple[str, ...] = ()
    """Files whose content differs from what was recorded."""

    missing: tuple[str, ...] = ()
    """Recorded files that are gone."""

    added: tuple[str, ...] = ()
    """Files nobody recorded."""

    custody_problems: tuple[str, ...] = ()
    """Breaks in the custody log or disagreements between it and the manifests."""

    sealed: bool = True
    """False when the acquisition never wrote its manifest (crash or power loss); then the
    custody log alone vouches for the files."""

    partial: tuple[str, ...] = ()
    """Files of the request that was being answered when an unsealed case stopped (the
    program was killed, the computer lost power, the disk filled up): the custody log says
    that request was sent and where its answer goes, but the program never got to record the
    answer's hash, so their content cannot be checked. Sealing the case (``analyze``)
    records them from then on. Reported, but not counted as a difference."""

    @property
    def ok(self) -> bool:
        """True when nothing differs."""
        return not (self.changed or self.missing or self.added or self.custody_problems)


def _size(value: object) -> int:
    """A recorded size, or -1 when the record holds something else (tampering)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else -1


def is_case_path(rel: object) -> bool:
    """True for a plain relative path inside the case (what stalkerscan itself records)."""
    if not isinstance(rel, str) or not rel or "\x00" in rel or "\\" in rel:
        return False
    path = PurePosixPath(rel)
    return not path.is_absolute() and ".." not in path.parts


@dataclass(frozen=True)
class CustodyRecords:
    """What the custody log says was written, read from its entries."""

    files: dict[str, tuple[str, int]]
    """Every file recorded as captured or written: path -> (SHA-256, size; -1 when the entry
    holds no usable size)."""

    manifests: dict[str, str]
    """Every manifest the log vouches for: path -> its SHA-256."""

    problems: tuple[str, ...]
    """Entries that are not in the form stalkerscan writes (paths outside the case, no hash)."""

    unhashed: frozenset[str]
    """Files recorded without a hash: their content cannot be vouched for."""


def custody_records(entries: Iterable[CustodyEntry]) -> CustodyRecords:
    """Read the files and manifests the custody log recorded: ``captured`` and ``case_opened``
    entries list ``files`` ({path: {"sha256", "size"}}), ``file_written`` and the like name one
    ``path``, and sealing entries give a ``manifest_sha256``. Never raises on garbage."""
    problems: list[str] = []
    unhashed: set[str] = set()
    files: dict[str, tuple[str, int]] = {}
    manifests: dict[str, str] = {}

    def expect(rel: object, sha: object, size: object) -> None:
        if not is_case_path(rel):
            problems.append(f"custody.log names a path outside the case folder: {str(rel)[:200]!r}")
            return
        if not isinstance(sha, str):
            problems.append(f"custody.log records no hash for {rel}")
            unhashed.add(str(rel))
        files[str(rel)] = (str(sha), _size(size))

    for entry in entries:
        details = entry.details
        if entry.event in ("captured", "case_opened"):
            listed = details.get("files")
            if not isinstance(listed, dict):
                if listed is not None:
                    problems.append(f"custody.log {entry.event} entry of {entry.time_utc} lists "
                                    "no files in the expected form")
                listed = {}
            for rel, info in listed.items():
                if isinstance(info, dict):
                    expect(rel, info.get("sha256"), info.get("size"))
                else:
                    problems.append(f"custody.log records {str(rel)[:200]!r} without hash and size")
        elif "path" in details and "sha256" in details:
            expect(details["path"], details.get("sha256"), details.get("size"))
        if "manifest_sha256" in details:
            rel = details.get("manifest") or manifest_mod.FILE_NAME
            if is_case_path(rel):
                manifests[str(rel)] = str(details["manifest_sha256"])
            else:
                problems.append(f"custody.log names a manifest outside the case folder: {str(rel)[:200]!r}")
    return CustodyRecords(files, manifests, tuple(problems), frozenset(unhashed))


def verify_case(path: Path | str) -> VerifyReport:
    """Verify one case folder. Never follows a link or reads outside the folder, and never
    raises on a tampered custody log or manifest: every oddity is reported."""
    try:
        case = CaseFolder.open(path)
    except CaseNotFoundError:
        # A damaged or deleted case.json must not stop verification: the custody log and
        # manifests still say what every file should be, case.json included.
        root = Path(path).expanduser()
        if not (root / "custody.log").is_file():
            raise
        case = CaseFolder(root, CaseMeta("?", "?", "?", None, None, "?", "?", "?"))
    root = case.root
    problems: list[str] = []
    changed: set[str] = set()

    try:
        _, chain_problems = case.custody.check()
        hashes = [line_hash(raw) for raw in case.custody._lines()]
        entries = case.custody.entries()
    except CaseWriteError as exc:
        problems.append(exc.message)
        chain_problems, hashes, entries = [], [], []
    problems += [f"custody.log line {p.line}: {p.message}" for p in chain_problems]

    recorded = custody_records(entries)
    problems += recorded.problems
    changed |= recorded.unhashed
    expected = dict(recorded.files)
    vouched_manifests = dict(recorded.manifests)

    manifest_paths = [manifest_mod.FILE_NAME] if os.path.lexists(root / manifest_mod.FILE_NAME) else []
    analyses = root / ANALYSES_DIR
    if analyses.is_dir() and not analyses.is_symlink():
        manifest_paths += sorted(
            f"{ANALYSES_DIR}/{p.name}/{manifest_mod.FILE_NAME}"
            for p in analyses.iterdir()
            if os.path.lexists(p / manifest_mod.FILE_NAME)
        )
    sealed = manifest_mod.FILE_NAME in manifest_paths

    for rel in manifest_paths:
        manifest_file = case.evidence_path(rel)
        if manifest_file is None:
            problems.append(f"{rel} is not a regular file (a link, FIFO or device)")
            changed.add(rel)
            continue
        raw = manifest_file.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if rel not in vouched_manifests:
            problems.append(f"{rel} is not recorded in the custody log")
        elif vouched_manifests[rel] != digest:
            changed.add(rel)
        try:
            manifest = Manifest.from_bytes(raw)
        except (ValueError, KeyError, TypeError, AttributeError):
            problems.append(f"{rel} cannot be read as a manifest")
            continue
        if manifest.custody_lines < 0:
            problems.append(f"{rel} records an impossible custody length")
        elif manifest.custody_lines:
            if manifest.custody_lines > len(hashes):
                problems.append(f"custody.log is shorter than when {rel} was written (lines removed)")
            elif hashes[manifest.custody_lines - 1] != manifest.custody_head:
                problems.append(f"custody.log changed before the point {rel} recorded")
        elif manifest.custody_head not in ("", GENESIS):
            problems.append(f"{rel} records an impossible custody head")
        for entry in manifest.files:
            if not is_case_path(entry.path):
                problems.append(f"{rel} names a path outside the case folder: {entry.path[:200]!r}")
                continue
            known = expected.get(entry.path)
            if known is not None and known[0] != entry.sha256:
                problems.append(f"{rel} and custody.log disagree about {entry.path}")
            expected.setdefault(entry.path, (entry.sha256, entry.size))
    for rel in vouched_manifests:
        if rel not in manifest_paths:
            expected.setdefault(rel, (vouched_manifests[rel], -1))

    missing: list[str] = []
    checked = 0
    for rel, (sha, size) in sorted(expected.items()):
        target = case.evidence_path(rel)
        if target is None:
            if os.path.lexists(root / rel):
                # Something is there, but not the file that was written (a link, a FIFO...):
                # never followed, always reported.
                changed.add(rel)
                problems.append(f"{rel} is not a regular file (a link, FIFO or device)")
            else:
                missing.append(rel)
            continue
        checked += 1
        digest, actual_size = sha256_file(target)
        if digest != sha or (size >= 0 and actual_size != size):
            changed.add(rel)

    covered = set(expected) | set(manifest_paths) | {"custody.log"}
    added = [rel for rel in case.files() if rel not in covered]
    partial: list[str] = []
    if not sealed and not problems:
        # Only an unsealed case with an intact custody log can vouch for where an
        # interrupted request was writing; anything else nobody recorded stays "added".
        in_flight = _in_flight_files(case)
        partial = [rel for rel in added if rel in in_flight]
        added = [rel for rel in added if rel not in in_flight]
    return VerifyReport(
        case=str(root),
        files_checked=checked,
        changed=tuple(sorted(changed)),
        missing=tuple(missing),
        added=tuple(added),
        custody_problems=tuple(problems),
        sealed=sealed,
        partial=tuple(partial),
    )


# The files a request record may write (raw/NNNN-NAME.SUFFIX): its streams and itself.
_RECORD_SUFFIXES = ("stdout", "stderr", "response", "data", "request.json")


def _in_flight_files(case: CaseFolder) -> set[str]:
    """Where requests that were sent but never captured were writing: ``raw/NNNN-NAME.*``
    and any destination the ``request`` entry declared (pulled APKs)."""
    requested: dict[int, tuple[str, dict[str, object]]] = {}
    captured: set[object] = set()
    for entry in case.custody.entries():
        seq = entry.details.get("seq")
        if entry.event == "request" and isinstance(seq, int):
            streams = entry.details.get("streams")
            requested[seq] = (str(entry.details.get("artifact")), streams if isinstance(streams, dict) else {})
        elif entry.event == "captured":
            captured.add(seq)
    files: set[str] = set()
    for seq, (artifact, streams) in requested.items():
        if seq not in captured:
            files |= {f"raw/{seq:04d}-{artifact}.{suffix}" for suffix in _RECORD_SUFFIXES}
            files |= {str(path) for path in streams.values()}
    return files


def report_lines(report: VerifyReport) -> list[str]:
    """Plain lines describing a report, for the terminal and the custody log."""
    lines = []
    for rel in report.changed:
        lines.append(f"CHANGED  {rel}")
    for rel in report.missing:
        lines.append(f"MISSING  {rel}")
    for rel in report.added:
        lines.append(f"ADDED    {rel}")
    lines += [f"CUSTODY  {p}" for p in report.custody_problems]
    for rel in report.partial:
        lines.append(f"PARTIAL  {rel} (being written when the scan stopped; its hash was never "
                     "recorded, so it cannot be checked)")
    return lines


def as_json(report: VerifyReport) -> str:
    """The report as JSON."""
    return json.dumps(
        {
            "case": report.case,
            "ok": report.ok,
            "sealed": report.sealed,
            "files_checked": report.files_checked,
            "changed": list(report.changed),
            "missing": list(report.missing),
            "added": list(report.added),
            "custody_problems": list(report.custody_problems),
            "partial": list(report.partial),
        },
        indent=1,
    )
