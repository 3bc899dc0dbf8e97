"""``cmd appops query-op --user 0 GET_USAGE_STATS allow``: apps allowed to read usage history.

``AppOpsService.Shell`` prints one package name per line for every package whose mode for the
op matches, or ``No operations.`` when no package has the op recorded at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from stalkerscan.model.common import ParseProblem
from stalkerscan.parse.android._text import ProblemLog, complete_lines, decode, is_package_name


@dataclass(frozen=True)
class UsageAccessResult:
    """Packages holding the usage-access app op."""

    packages: tuple[str, ...] = ()
    """Package names, sorted, duplicates removed."""

    lines: tuple[int, ...] = ()
    """1-based line of each package, same order as ``packages``."""

    recognized: bool = False
    """True when the answer was a package list (possibly empty) or ``No operations.``."""

    problems: tuple[ParseProblem, ...] = ()
    """Lines that were not package names (error messages)."""


def parse_usage_access(data: bytes, *, source: str = "usage_access") -> UsageAccessResult:
    """Parse ``appops query-op`` output; never raises."""
    log = ProblemLog(source)
    found: dict[str, int] = {}
    errors = 0
    for lineno, line in complete_lines(decode(data), log):
        stripped = line.strip()
        if not stripped or stripped == "No operations.":
            continue
        if is_package_name(stripped) and "." in stripped:
            found.setdefault(stripped, lineno)
            continue
        errors += 1
        log.add("Not a package name", lineno, line)
    ordered = sorted(found)
    return UsageAccessResult(
        packages=tuple(ordered), lines=tuple(found[p] for p in ordered),
        recognized=bool(found) or errors == 0, problems=log.freeze(),
    )
