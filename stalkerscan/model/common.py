"""Types shared by both platforms' inventories."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ParseProblem:
    """Something a parser saw and could not read; recorded, never fatal."""

    source: str
    """Logical name of the raw artifact (e.g. ``dumpsys_package``) or file it came from."""

    message: str
    """What could not be read, in plain words."""

    line: int | None = None
    """1-based line number in the artifact, where it applies."""

    excerpt: str = ""
    """The offending text, truncated to 200 characters and stripped of control characters."""


@dataclass(frozen=True)
class SourceRef:
    """Where a fact came from: a file in the case folder and the place inside it."""

    path: str
    """Path of the file relative to the case folder, e.g. ``raw/0004-dumpsys_package.stdout``."""

    line: int | None = None
    """1-based line number in that file, where known."""

    detail: str = ""
    """The text that shows the fact, e.g. ``installerPackageName=com.android.shell``."""


def clean_excerpt(text: str, limit: int = 200) -> str:
    """Make device text safe to keep in a problem record: no control characters, bounded."""
    cleaned = "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"
