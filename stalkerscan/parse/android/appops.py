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


def parse_dumpsys_appops_usage(data: bytes, *, source: str = "dumpsys_appops",
                               op: str = "GET_USAGE_STATS") -> UsageAccessResult:
    """Packages allowed an app op (``GET_USAGE_STATS`` by default) in a full ``dumpsys
    appops`` (androidqf keeps one).

    ``AppOpsService.dump`` lists ``Package <name>:`` blocks with one ``OP (mode):`` line per
    op; a package is counted when its line for ``op`` says ``allow``.
    """
    log = ProblemLog(source)
    found: dict[str, int] = {}
    package: str | None = None
    seen_header = False
    for lineno, line in complete_lines(decode(data), log):
        stripped = line.strip()
        if stripped.startswith("Current AppOps Service state"):
            seen_header = True
        if stripped.startswith("Uid ") and stripped.endswith(":"):
            package = None
            continue
        if stripped.startswith("Package ") and stripped.endswith(":"):
            candidate = stripped[len("Package "):-1].strip()
            package = candidate if is_package_name(candidate) else None
            continue
        if package is None or not stripped.startswith(op):
            continue
        rest = stripped[len(op):]
        if rest[:1] not in (" ", "(", ":", ""):
            continue  # another op whose name starts with this one
        if "(allow)" in rest or "mode=allow" in rest:
            found.setdefault(package, lineno)
    ordered = sorted(found)
    return UsageAccessResult(packages=tuple(ordered), lines=tuple(found[p] for p in ordered),
                             recognized=seen_header, problems=log.freeze())
