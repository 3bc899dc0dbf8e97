"""``date +%s``: the phone's clock, in seconds since 1970 (UTC)."""

from __future__ import annotations

from dataclasses import dataclass

from stalkerscan.model.common import ParseProblem
from stalkerscan.parse.android._text import ProblemLog, decode, split_lines, to_int


@dataclass(frozen=True)
class ClockResult:
    """The phone's clock reading."""

    epoch_seconds: int | None = None
    """Seconds since 1970-01-01 UTC as the phone printed them; None when unreadable."""

    problems: tuple[ParseProblem, ...] = ()
    """Why the reading could not be used."""


def parse_clock(data: bytes, *, source: str = "clock") -> ClockResult:
    """Parse ``date +%s`` output; never raises."""
    log = ProblemLog(source)
    lines = [line.strip() for line in split_lines(decode(data)) if line.strip()]
    value = to_int(lines[0]) if lines else None
    if value is None:
        log.add("Not a clock reading", 1, lines[0] if lines else "")
    return ClockResult(epoch_seconds=value, problems=log.freeze())
