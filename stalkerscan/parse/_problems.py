"""What the Android and iPhone parsers share: a capped problem log and the bound on device text."""

from __future__ import annotations

from stalkerscan.model.common import ParseProblem, clean_excerpt

MAX_TEXT = 4096
"""Free text from the phone (labels, version names, plist strings) is shortened to this many
characters in parsed results; the raw output keeps it whole."""


def problem(source: str, message: str, line: int | None = None, excerpt: str = "") -> ParseProblem:
    """A parse problem with a bounded, printable excerpt."""
    return ParseProblem(source=source, message=message, line=line, excerpt=clean_excerpt(excerpt))


class ProblemLog:
    """Collects a parser's problems, capped so hostile output cannot flood a report."""

    def __init__(self, source: str, limit: int = 100) -> None:
        self.source = source
        self.limit = limit
        self._problems: list[ParseProblem] = []
        self._dropped = 0

    def add(self, message: str, line: int | None = None, excerpt: str = "") -> None:
        """Record one problem (counted, not listed, once the cap is reached)."""
        if len(self._problems) < self.limit:
            self._problems.append(problem(self.source, message, line, excerpt))
        else:
            self._dropped += 1

    def __len__(self) -> int:
        return len(self._problems) + self._dropped

    def freeze(self) -> tuple[ParseProblem, ...]:
        """The problems, with one closing line saying how many more were not listed."""
        if not self._dropped:
            return tuple(self._problems)
        more = problem(self.source, f"{self._dropped} more problems were not listed one by one")
        return (*self._problems, more)
