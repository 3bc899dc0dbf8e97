"""``stalkerscan signatures lint``: every problem of some signature files, located."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from stalkerscan.signatures import model as m
from stalkerscan.signatures.lint import cross_family_problems, duplicate_id_problems
from stalkerscan.signatures.loader import collapse_problems, load_path
from stalkerscan.signatures.model import Family, SignatureProblem


@dataclass(frozen=True)
class LintReport:
    """What lint found in some files or folders."""

    files: int
    """Signature files checked."""

    families: tuple[Family, ...]
    """Families that loaded."""

    problems: tuple[SignatureProblem, ...]
    """Every problem, errors first, each with a location."""

    yara_files: tuple[str, ...] = ()
    """YARA files found (checked by compiling them)."""

    @property
    def errors(self) -> tuple[SignatureProblem, ...]:
        """Problems of severity ``error``."""
        return tuple(p for p in self.problems if p.severity == m.SEVERITY_ERROR)

    @property
    def warnings(self) -> tuple[SignatureProblem, ...]:
        """Problems of severity ``warning``."""
        return tuple(p for p in self.problems if p.severity == m.SEVERITY_WARNING)


def _yara_problems(path: str) -> list[SignatureProblem]:
    try:
        import yara
    except ImportError:  # pragma: no cover - yara-python is a dependency
        return []
    try:
        yara.compile(filepath=path, includes=False)  # as scans compile them
    except yara.SyntaxError as exc:
        # yara reports "file(line): message"
        text = str(exc)
        location = path
        if "(" in text and "):" in text:
            line = text.split("(", 1)[1].split(")", 1)[0]
            if line.isdigit():
                location = f"{path}:{line}"
                text = text.split("):", 1)[1].strip()
        return [SignatureProblem(m.SEVERITY_ERROR, "yara-syntax", f"YARA rules do not compile: {text}",
                                 location)]
    except yara.Error as exc:
        return [SignatureProblem(m.SEVERITY_ERROR, "yara-error", f"YARA error: {exc}", path)]
    return []


def lint_paths(paths: Iterable[str | Path]) -> LintReport:
    """Check files and folders of signatures (any supported format, plus YARA files)."""
    families: list[Family] = []
    problems: list[SignatureProblem] = []
    files = 0
    yara_files: list[str] = []
    for path in paths:
        contents = load_path(Path(path))
        files += len(contents.results)
        for result in contents.results:
            problems.extend(result.problems)
            families.extend(result.families)
        for yara_file in contents.yara_files:
            yara_files.append(yara_file)
            problems.extend(_yara_problems(yara_file))
    problems.extend(duplicate_id_problems(families))
    problems.extend(cross_family_problems(families))
    order = {m.SEVERITY_ERROR: 0, m.SEVERITY_WARNING: 1, m.SEVERITY_NOTE: 2}
    ordered = sorted(collapse_problems(problems), key=lambda p: order.get(p.severity, 3))
    return LintReport(files, tuple(families), tuple(ordered), tuple(yara_files))
