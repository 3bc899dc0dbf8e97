"""Device-supplied text made safe to show: invisible characters made visible, size bounded.

App labels, package names, profile names and every other string from a phone are chosen by
whoever controls the phone, possibly the abuser. Escaping stops markup (jinja2 autoescape,
rich ``Text``, Markdown escaping); this module handles what escaping does not: control
characters (terminal escape sequences, NUL), right-to-left overrides and other invisible
formatting characters that can make text read differently from what it is, and labels of a
megabyte that would drown a report. Each such character is shown as a visible marker such as
``⟦U+202E⟧``; long text is cut with a note saying how long it really was.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator

from markupsafe import Markup, escape

DEFAULT_LIMIT = 2000
"""Longest text shown anywhere unless a smaller limit is given."""

LABEL_LIMIT = 120
"""Longest app label, package name or other short device string shown."""

_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"})
"""Control, format (bidi overrides, zero-width), surrogate, line/paragraph separators,
private-use and unassigned characters."""


def is_invisible(ch: str) -> bool:
    """True for characters that must be shown as a marker instead of themselves."""
    return unicodedata.category(ch) in _INVISIBLE_CATEGORIES and ch != " "


def marker(ch: str) -> str:
    """The visible stand-in for an invisible character."""
    return f"\N{MATHEMATICAL LEFT WHITE SQUARE BRACKET}U+{ord(ch):04X}\N{MATHEMATICAL RIGHT WHITE SQUARE BRACKET}"


def truncation_note(shown: int, total: int) -> str:
    """The default note after cut text (reports pass their locale's wording)."""
    return f" \N{HORIZONTAL ELLIPSIS} [shortened: {shown:,} of {total:,} characters shown]"


def _pieces(text: str, limit: int) -> Iterator[tuple[bool, str]]:
    """``(is_marker, text)`` pieces of at most ``limit`` source characters."""
    run: list[str] = []
    for ch in text[:limit]:
        if is_invisible(ch):
            if run:
                yield False, "".join(run)
                run = []
            yield True, marker(ch)
        else:
            run.append(ch)
    if run:
        yield False, "".join(run)


def visible(
    text: object,
    limit: int = DEFAULT_LIMIT,
    note: Callable[[int, int], str] = truncation_note,
) -> str:
    """Plain text with invisible characters as markers and at most ``limit`` characters kept."""
    if text is None:
        return ""
    text = str(text)
    shown = "".join(piece for _, piece in _pieces(text, limit))
    return shown + (note(limit, len(text)) if len(text) > limit else "")


def visible_html(
    text: object,
    limit: int = DEFAULT_LIMIT,
    note: Callable[[int, int], str] = truncation_note,
) -> Markup:
    """HTML-escaped text with invisible characters as styled markers (``<span class="ctl">``)."""
    if text is None:
        return Markup("")
    if isinstance(text, Markup):
        return text
    text = str(text)
    parts = [
        Markup('<span class="ctl">{}</span>').format(piece) if is_marker else escape(piece)
        for is_marker, piece in _pieces(text, limit)
    ]
    if len(text) > limit:
        parts.append(Markup('<span class="cut">{}</span>').format(note(limit, len(text))))
    return Markup("").join(parts)


def escape_markdown(text: str) -> str:
    """Escape what could make Markdown out of (already visible) text: emphasis, code, links
    and images (``[``), headings, tables, raw HTML and entities. Dots, dashes and brackets
    stay readable: the text never starts a line, so they cannot start a list."""
    out = []
    for ch in text:
        if ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == "&":
            out.append("&amp;")
        elif ch in "\\`*_[]#!|~":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)
