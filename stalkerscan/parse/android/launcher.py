"""``cmd package query-activities ... -a android.intent.action.MAIN -c ...LAUNCHER``.

Which packages have an icon in the app drawer. With ``--brief`` each match prints as::

    2 activities found:
      Activity #0:
        priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=false
        com.example.app/.MainActivity

without it, ``ResolveInfo.dump`` prints ``packageName=...`` lines instead. ``No activities
found`` means the query answered but matched nothing (implausible on a real phone, where at
least Settings has an icon, so it is treated as not usable).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stalkerscan.model.common import ParseProblem
from stalkerscan.parse.android._text import ProblemLog, complete_lines, decode, is_package_name

_COMPONENT_LINE = re.compile(r"([A-Za-z][\w.]*)/([\w.$]+)")
_PACKAGE_FIELD = re.compile(r"\bpackageName=(\S+)")
_FOUND = re.compile(r"^\d+ activities found:")


@dataclass(frozen=True)
class LauncherResult:
    """Packages that have at least one launcher (MAIN/LAUNCHER) activity."""

    packages: frozenset[str] = frozenset()
    """Packages with an icon."""

    components: tuple[str, ...] = ()
    """Launcher activities as printed (``--brief`` output only)."""

    recognized: bool = False
    """True when the answer listed at least one activity (so absence means "no icon")."""

    problems: tuple[ParseProblem, ...] = ()
    """What could not be read."""


def parse_launcher_activities(data: bytes, *, source: str = "launcher_activities") -> LauncherResult:
    """Parse ``query-activities`` output (brief or full); never raises."""
    log = ProblemLog(source)
    packages: set[str] = set()
    components: list[str] = []
    header_seen = False
    for lineno, line in complete_lines(decode(data), log):
        stripped = line.strip()
        if not stripped:
            continue
        if _FOUND.match(stripped):
            header_seen = True
            continue
        if stripped == "No activities found":
            log.add("The phone found no app with an icon, which cannot be right; "
                    "icons were not checked", lineno, line)
            continue
        field = _PACKAGE_FIELD.search(stripped)
        if field:
            if is_package_name(field.group(1)):
                packages.add(field.group(1))
            continue
        whole = _COMPONENT_LINE.fullmatch(stripped)
        if whole and is_package_name(whole.group(1)):
            packages.add(whole.group(1))
            components.append(stripped)
            continue
        if not header_seen and not stripped.startswith(("Activity #", "priority=")):
            log.add("Not part of a query-activities answer", lineno, line)
    return LauncherResult(packages=frozenset(packages), components=tuple(dict.fromkeys(components)),
                          recognized=bool(packages), problems=log.freeze())
