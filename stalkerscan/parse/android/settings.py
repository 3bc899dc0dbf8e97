"""``settings list secure|global|system``: every setting as ``key=value``, one per line.

The value is everything after the first ``=`` (values may themselves contain ``=``). A value
holding a newline continues on the next line; a line that cannot start a setting (no ``=``,
or a key with spaces) is taken as such a continuation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from stalkerscan.model.common import ParseProblem
from stalkerscan.parse.android._text import ProblemLog, complete_lines, decode

NAMESPACES = ("secure", "global", "system")
"""The three namespaces ``settings list`` reads."""

_KEY = re.compile(r"[A-Za-z0-9_.:\-/]+")


@dataclass(frozen=True)
class SettingsResult:
    """One namespace's settings."""

    namespace: str
    """``secure``, ``global`` or ``system`` (or what a foreign file called it)."""

    values: Mapping[str, str] = field(default_factory=dict)
    """Key to value, exactly as printed."""

    lines: Mapping[str, int] = field(default_factory=dict)
    """Key to its 1-based line number."""

    recognized: bool = False
    """True when at least one ``key=value`` line was read."""

    problems: tuple[ParseProblem, ...] = ()
    """What could not be read."""


def parse_settings(data: bytes, namespace: str, *, source: str | None = None) -> SettingsResult:
    """Parse ``settings list NAMESPACE`` output; never raises."""
    log = ProblemLog(source or f"settings_{namespace}")
    parts: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    last_key: str | None = None
    for lineno, line in complete_lines(decode(data), log):
        key, eq, value = line.partition("=")
        if eq and _KEY.fullmatch(key):
            if key in parts:
                log.add(f"{key} is listed twice; the last value is kept", lineno, line)
            parts[key] = [value]
            lines[key] = lineno
            last_key = key
            continue
        if last_key is not None:
            parts[last_key].append(line)
            continue
        if line.strip():
            log.add("Not a key=value line", lineno, line)
    values = {key: "\n".join(chunks) for key, chunks in parts.items()}
    return SettingsResult(namespace=namespace, values=values, lines=lines,
                          recognized=bool(values), problems=log.freeze())
