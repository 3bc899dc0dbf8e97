"""Reading signature files and folders in any supported format (format detected)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stalkerscan.signatures import model as m
from stalkerscan.signatures.importers import IMPORTERS, ImportContext, Importer
from stalkerscan.signatures.model import ImportResult, SignatureProblem

YARA_SUFFIXES = (".yar", ".yara")
SIGNATURE_SUFFIXES = (".yaml", ".yml", ".csv", ".stix2", ".stix", ".json", *YARA_SUFFIXES)
_IGNORED_NAMES = {"__init__.py", "README.md", "metadata.json"}
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class FolderContents:
    """What a folder (or a single file) of signatures held."""

    results: tuple[ImportResult, ...]
    """One import result per signature file."""

    yara_files: tuple[str, ...]
    """YARA rule files found (compiled by the YARA matcher, not here)."""


def detect_importer(path: Path) -> Importer | None:
    """The importer whose format ``path`` is in, or ``None``."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return None
    for importer in IMPORTERS:
        if importer.sniff(path, head):
            return importer
    return None


def load_file(path: Path, context: ImportContext | None = None) -> ImportResult:
    """Import one file, detecting its format. Unknown formats give an ``error`` result."""
    importer = detect_importer(path)
    if importer is None:
        display = Importer.display(path, context)
        known = ", ".join(i.description for i in IMPORTERS)
        return ImportResult((), (SignatureProblem(
            m.SEVERITY_ERROR, "unknown-format",
            f"not a signature file stalkerscan can read (known formats: {known})", display),),
            "unknown", display)
    return importer.load(path, context)


def load_path(path: Path) -> FolderContents:
    """Import a file or every signature file under a folder (sorted, recursive)."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*")
                       if p.is_file() and p.name not in _IGNORED_NAMES
                       and not any(part.startswith(".") or part == "__pycache__"
                                   for part in p.relative_to(path).parts)
                       and p.suffix.lower() in SIGNATURE_SUFFIXES)
    elif path.is_file():
        files = [path]
    else:
        problem = SignatureProblem(m.SEVERITY_ERROR, "not-found",
                                   "no such file or folder", str(path))
        return FolderContents((ImportResult((), (problem,), "unknown", str(path)),), ())
    results: list[ImportResult] = []
    yara: list[str] = []
    for file in files:
        if file.suffix.lower() in YARA_SUFFIXES:
            yara.append(str(file))
            continue
        results.append(load_file(file))
    return FolderContents(tuple(results), tuple(yara))


def collapse_problems(problems: list[SignatureProblem] | tuple[SignatureProblem, ...],
                      ) -> tuple[SignatureProblem, ...]:
    """Merge repeats of the same message from one file into one, counting the other places."""
    order: list[tuple[str, str, str, str]] = []
    first: dict[tuple[str, str, str, str], SignatureProblem] = {}
    extra: dict[tuple[str, str, str, str], int] = {}
    for problem in problems:
        file = (problem.location or "").rsplit(":", 1)[0]
        key = (problem.severity, problem.code, problem.message, file)
        if key in first:
            extra[key] += 1
            continue
        order.append(key)
        first[key] = problem
        extra[key] = 0
    out = []
    for key in order:
        problem = first[key]
        if extra[key]:
            problem = SignatureProblem(problem.severity, problem.code,
                                       f"{problem.message} (and {extra[key]} more time(s) in this file)",
                                       problem.location)
        out.append(problem)
    return tuple(out)
