"""Shared helpers for the Android parsers: decoding, line splitting, problems."""

from __future__ import annotations

import re
from collections.abc import Iterator

# Shared with the iPhone parsers; the Android parsers import them from here.
from stalkerscan.parse._problems import MAX_TEXT as MAX_TEXT
from stalkerscan.parse._problems import ProblemLog as ProblemLog
from stalkerscan.parse._problems import problem as problem

# Android package names (PackageParser.validateName): dot-separated segments of letters,
# digits and underscores. Tolerant on purpose: the platform's own ``android`` package has no
# dot, and a parser should rather keep an odd name than drop an app.
PACKAGE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")

NULL_WORDS = frozenset({"null", ""})
"""How the phone prints a missing value."""


def decode(data: bytes) -> str:
    """Device bytes as text: UTF-8, undecodable bytes replaced, never an error."""
    if isinstance(data, str):  # tolerate callers that already decoded
        return data
    return bytes(data).decode("utf-8", errors="replace")


def split_lines(text: str) -> list[str]:
    """Lines split on ``\\n`` only, carriage returns stripped (legacy shells send CRLF).

    Splitting on ``\\n`` alone keeps line numbers equal to those an editor shows for the
    preserved file; ``str.splitlines`` would also split on form feeds and other separators.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


MAX_LINES = 4_000_000
"""Lines of one answer a parser reads. A real ``dumpsys package`` of 3,000 apps has about
300,000; a hostile phone could send hundreds of millions of empty ones, and every line read
costs memory. The raw file keeps everything."""


def numbered(text: str, first_line: int = 1, *, limit: int = MAX_LINES) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` pairs, 1-based by default; at most ``limit`` of them.

    A generator over the text (no list of every line is built), splitting on ``\n`` only
    and stripping carriage returns, like :func:`split_lines`.
    """
    start = 0
    end_of_text = len(text)
    for offset in range(limit):
        if start >= end_of_text:
            return
        newline = text.find("\n", start)
        if newline < 0:
            newline = end_of_text
        yield first_line + offset, text[start:newline].rstrip("\r")
        start = newline + 1


def complete_lines(text: str, log: ProblemLog, first_line: int = 1) -> list[tuple[int, str]]:
    """Numbered lines, without a last line the stream cut off mid-way.

    Phones end every answer with a newline; a last line without one was cut (a cable pulled,
    a timeout) and may hold half a value (``installer=com.andr``), so it is left out and
    recorded as a problem rather than read as a wrong fact. Past :data:`MAX_LINES`, the rest
    is not read, and that is recorded too.
    """
    pairs = list(numbered(text, first_line))
    if len(pairs) == MAX_LINES and text.count("\n", 0, len(text)) > MAX_LINES:
        log.add(f"Only the first {MAX_LINES:,} lines were read; the rest is kept unread in the "
                "case folder", pairs[-1][0])
        return pairs
    if pairs and not text.endswith("\n") and pairs[-1][1].strip():
        lineno, line = pairs.pop()
        log.add("The last line was cut off mid-way (the output stopped early); it was not used",
                lineno, line)
    return pairs


def is_package_name(word: str) -> bool:
    """True when ``word`` is a syntactically valid Android package name."""
    return len(word) <= 255 and PACKAGE_NAME.fullmatch(word) is not None


def null_to_none(value: str | None) -> str | None:
    """``None`` for the phone's ways of printing "no value" (``null``, empty)."""
    if value is None:
        return None
    value = value.strip()
    return None if value in NULL_WORDS else value


def to_int(value: str | None) -> int | None:
    """An integer, or ``None`` when the text is not one."""
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 24:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def split_component(component: str) -> tuple[str, str] | None:
    """``("pkg", "cls")`` from ``pkg/cls`` (class may be short, ``.Cls``), else None."""
    package, sep, cls = component.strip().partition("/")
    if not sep or not cls or not is_package_name(package):
        return None
    return package, cls


def full_component(component: str) -> str:
    """``pkg/.Cls`` expanded to ``pkg/pkg.Cls`` so short and long forms compare equal."""
    parts = split_component(component)
    if parts is None:
        return component.strip()
    package, cls = parts
    if cls.startswith("."):
        cls = package + cls
    return f"{package}/{cls}"
