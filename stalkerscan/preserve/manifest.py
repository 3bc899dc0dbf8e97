"""Manifests: every file of a case (or of one later analysis) with its SHA-256 and size."""

from __future__ import annotations

import hashlib
import json
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from stalkerscan.model.case import ManifestEntry

FILE_NAME = "manifest.json"
FORMAT = "stalkerscan-manifest/1"
_CHUNK = 1024 * 1024


def sha256_file(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a file, streamed."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def case_fingerprint(case_root: Path) -> str | None:
    """The case fingerprint: SHA-256 of its ``manifest.json``, the one value a clinic notes down
    to catch even a case rewritten consistently from end to end. None when the case was never
    sealed, or when ``manifest.json`` is not a regular file (a link is never followed)."""
    path = case_root / FILE_NAME
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return None
    except OSError:
        return None
    return sha256_file(path)[0]


@dataclass(frozen=True)
class Manifest:
    """One manifest file's content."""

    scope: str
    """``case`` for the acquisition manifest, or ``analyses/<stamp>`` for a later analysis."""

    created_utc: str
    """When it was written."""

    files: tuple[ManifestEntry, ...]
    """Every file it covers; paths relative to the case folder."""

    custody_lines: int
    """Custody log length when it was written."""

    custody_head: str
    """Hash of the custody log's last line when it was written."""

    def to_bytes(self) -> bytes:
        """The file's bytes: stable key order, one file per line for readable diffs."""
        data = {
            "format": FORMAT,
            "scope": self.scope,
            "created_utc": self.created_utc,
            "custody": {"lines": self.custody_lines, "head": self.custody_head},
            "files": [{"path": e.path, "sha256": e.sha256, "size": e.size} for e in self.files],
        }
        return (json.dumps(data, indent=1, sort_keys=False) + "\n").encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Manifest:
        """Parse a manifest; raises ``ValueError`` when it is not one (whatever it holds)."""
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a stalkerscan manifest")
        try:
            files = tuple(
                ManifestEntry(str(f["path"]), str(f["sha256"]), int(f["size"])) for f in data["files"]
            )
            custody = data.get("custody") or {}
            return cls(
                scope=str(data.get("scope", "case")),
                created_utc=str(data.get("created_utc", "")),
                files=files,
                custody_lines=int(custody.get("lines", 0)),
                custody_head=str(custody.get("head", "")),
            )
        except (KeyError, TypeError, AttributeError, OverflowError) as exc:
            raise ValueError(f"not a stalkerscan manifest: {exc}") from exc


def hash_files(root: Path, relative_paths: Iterable[str]) -> tuple[ManifestEntry, ...]:
    """Manifest entries for the given files under ``root``, sorted by path."""
    entries = []
    for rel in sorted(set(relative_paths)):
        digest, size = sha256_file(root / rel)
        entries.append(ManifestEntry(rel, digest, size))
    return tuple(entries)
