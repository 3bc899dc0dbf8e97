"""``pm list packages [-f] [-i] [-U] [-u] [--show-versioncode]``: one line per package.

A line reads ``package:<apk path>=<pkg> versionCode:<n>  installer=<pkg|null> uid:<uid>``
(``PackageManagerShellCommand.runListPackages``); each part after the package appears only
when its option was given, always in that order. APK paths on Android 11+ contain ``==``
(``/data/app/~~AbC==/com.example-XyZ==/base.apk``), so the path ends at the *last* ``=``.
"""

from __future__ import annotations

from dataclasses import dataclass

from stalkerscan.model.common import ParseProblem
from stalkerscan.parse.android._text import (
    ProblemLog,
    complete_lines,
    decode,
    is_package_name,
    null_to_none,
    to_int,
)

_PREFIX = "package:"


@dataclass(frozen=True)
class PackageListEntry:
    """One ``package:`` line."""

    package: str
    """The package name."""

    line: int
    """1-based line number in the output."""

    text: str
    """The line as printed (bounded), to show as evidence."""

    apk_path: str | None = None
    """Base APK path (``-f``), None when not printed."""

    version_code: int | None = None
    """``versionCode:`` (``--show-versioncode``)."""

    installer_listed: bool = False
    """True when an ``installer=`` field was printed (``-i``), even if it was ``null``."""

    installer: str | None = None
    """The installer package; None when ``null`` or not printed."""

    uid: int | None = None
    """``uid:`` (``-U``); the first uid when several users are listed."""

    uids: tuple[int, ...] = ()
    """Every uid printed (one per user on some multi-user builds)."""


@dataclass(frozen=True)
class PackageListResult:
    """Every package line of a ``pm list packages`` answer."""

    entries: tuple[PackageListEntry, ...] = ()
    """Packages in the order printed (duplicates dropped, first kept)."""

    recognized: bool = False
    """True when at least one ``package:`` line was read."""

    problems: tuple[ParseProblem, ...] = ()
    """Lines that could not be read (error messages, garbage)."""

    def by_package(self) -> dict[str, PackageListEntry]:
        """Entries keyed by package name."""
        return {entry.package: entry for entry in self.entries}


def _take_suffix(rest: str, marker: str) -> tuple[str, str | None]:
    """Split ``rest`` at the last ``marker`` when what follows is one word."""
    index = rest.rfind(marker)
    if index < 0:
        return rest, None
    value = rest[index + len(marker):]
    if not value or any(ch.isspace() for ch in value):
        return rest, None
    return rest[:index].rstrip(" "), value


def parse_package_line(line: str, lineno: int) -> PackageListEntry | None:
    """One ``package:`` line, or None when it is not one."""
    if not line.startswith(_PREFIX):
        return None
    rest = line[len(_PREFIX):].rstrip()
    # Right to left, in the reverse of the order the fields are printed.
    rest, uid_text = _take_suffix(rest, " uid:")
    uids: tuple[int, ...] = ()
    if uid_text is not None:
        parsed = [to_int(part) for part in uid_text.split(",")]
        if all(value is not None for value in parsed):
            uids = tuple(value for value in parsed if value is not None)
        else:
            rest = f"{rest} uid:{uid_text}"
    rest, installer_text = _take_suffix(rest, " installer=")
    rest, version_text = _take_suffix(rest, " versionCode:")
    version_code = to_int(version_text)
    if version_text is not None and version_code is None:
        return None
    apk_path: str | None = None
    package = rest
    if "=" in rest:
        path, _, candidate = rest.rpartition("=")
        if is_package_name(candidate) and path:
            apk_path, package = path, candidate
    if not is_package_name(package):
        return None
    return PackageListEntry(
        package=package,
        line=lineno,
        text=line[:1000],
        apk_path=apk_path,
        version_code=version_code,
        installer_listed=installer_text is not None,
        installer=null_to_none(installer_text),
        uid=uids[0] if uids else None,
        uids=uids,
    )


def parse_package_list(data: bytes, *, source: str = "pm_list_packages") -> PackageListResult:
    """Parse ``pm list packages`` output (any option subset, LF or CRLF); never raises."""
    log = ProblemLog(source)
    entries: list[PackageListEntry] = []
    seen: set[str] = set()
    for lineno, line in complete_lines(decode(data), log):
        stripped = line.strip()
        if not stripped:
            continue
        entry = parse_package_line(stripped, lineno)
        if entry is None:
            log.add("Not a package line", lineno, line)
            continue
        if entry.package in seen:
            log.add(f"{entry.package} is listed twice; the first line is kept", lineno, line)
            continue
        seen.add(entry.package)
        entries.append(entry)
    return PackageListResult(entries=tuple(entries), recognized=bool(entries), problems=log.freeze())
