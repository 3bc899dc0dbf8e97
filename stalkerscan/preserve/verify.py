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

import json
from dataclasses import dataclass
from pathlib import Path

from stalkerscan.errors import CaseNotFoundError
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

    @property
    def ok(self) -> bool:
        """True when nothing differs."""
        return not (self.changed or self.missing or self.added or self.custody_problems)


def _chain_hashes(custody_path: Path) -> list[str]:
    if not custody_path.exists():
        return []
    return [line_hash(raw) for raw in custody_path.read_bytes().splitlines() if raw.strip()]


def verify_case(path: Path | str) -> VerifyReport:
    """Verify one case folder."""
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

    _, chain_problems = case.custody.check()
    problems += [f"custody.log line {p.line}: {p.message}" for p in chain_problems]
    hashes = _chain_hashes(root / "custody.log")

    # What the custody log says was written, and which manifests it vouches for.
    expected: dict[str, tuple[str, int]] = {}
    vouched_manifests: dict[str, str] = {}
    for entry in case.custody.entries():
        details = entry.details
        if entry.event in ("captured", "case_opened"):
            for rel, info in dict(details.get("files") or {}).items():
                if isinstance(info, dict):
                    expected[str(rel)] = (str(info.get("sha256")), int(info.get("size", -1)))
        elif "path" in details and "sha256" in details:
            expected[str(details["path"])] = (str(details.get("sha256")), int(details.get("size", -1)))
        if "manifest_sha256" in details:
            rel = str(details.get("manifest") or manifest_mod.FILE_NAME)
            vouched_manifests[rel] = str(details["manifest_sha256"])

    manifest_paths = [manifest_mod.FILE_NAME] if (root / manifest_mod.FILE_NAME).exists() else []
    analyses = root / ANALYSES_DIR
    if analyses.is_dir():
        manifest_paths += sorted(
            f"{ANALYSES_DIR}/{p.name}/{manifest_mod.FILE_NAME}"
            for p in analyses.iterdir()
            if (p / manifest_mod.FILE_NAME).is_file()
        )
    sealed = manifest_mod.FILE_NAME in manifest_paths

    for rel in manifest_paths:
        raw = (root / rel).read_bytes()
        digest = sha256_file(root / rel)[0]
        if rel not in vouched_manifests:
            problems.append(f"{rel} is not recorded in the custody log")
        elif vouched_manifests[rel] != digest:
            changed.add(rel)
        try:
            manifest = Manifest.from_bytes(raw)
        except (ValueError, KeyError, TypeError):
            problems.append(f"{rel} cannot be read as a manifest")
            continue
        if manifest.custody_lines:
            if manifest.custody_lines > len(hashes):
                problems.append(f"custody.log is shorter than when {rel} was written (lines removed)")
            elif hashes[manifest.custody_lines - 1] != manifest.custody_head:
                problems.append(f"custody.log changed before the point {rel} recorded")
        elif manifest.custody_head not in ("", GENESIS):
            problems.append(f"{rel} records an impossible custody head")
        for entry in manifest.files:
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
        target = root / rel
        if not target.is_file():
            missing.append(rel)
            continue
        checked += 1
        digest, actual_size = sha256_file(target)
        if digest != sha or (size >= 0 and actual_size != size):
            changed.add(rel)

    covered = set(expected) | set(manifest_paths) | {"custody.log"}
    added = [rel for rel in case.files() if rel not in covered]
    return VerifyReport(
        case=str(root),
        files_checked=checked,
        changed=tuple(sorted(changed)),
        missing=tuple(missing),
        added=tuple(added),
        custody_problems=tuple(problems),
        sealed=sealed,
    )


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
        },
        indent=1,
    )
