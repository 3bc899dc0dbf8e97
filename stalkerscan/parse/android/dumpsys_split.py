"""Split a full ``dumpsys`` (every service, as androidqf and bug reports keep it) by service.

Each service's output follows a ``DUMP OF SERVICE <name>:`` line (``DUMP OF SERVICE
CRITICAL <name>:`` / ``HIGH`` for priority dumps on Android 9+) and ends at the next such
line; the dashed separator and the ``--------- 0.004s was the duration of dumpsys ...`` trailer
around it are dumpsys's own and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

_HEADER = b"DUMP OF SERVICE "
_PRIORITIES = (b"CRITICAL ", b"HIGH ", b"NORMAL ")


@dataclass(frozen=True)
class DumpsysSection:
    """One service's part of a full dumpsys."""

    service: str
    """Service name, e.g. ``package``, ``accessibility``, ``device_policy``."""

    first_line: int
    """1-based line number, in the whole file, of the section's first line."""

    data: bytes
    """The section's bytes, byte for byte (header and trailer lines excluded)."""


def _is_trailer(line: bytes) -> bool:
    stripped = line.strip()
    return (stripped.startswith(b"---------") and b"was the duration of dumpsys" in stripped) or (
        len(stripped) >= 20 and set(stripped) == {ord("-")}
    )


def split_dumpsys(data: bytes) -> list[DumpsysSection]:
    """Every ``DUMP OF SERVICE`` section, in order; text before the first one is dropped."""
    lines = data.split(b"\n")
    sections: list[DumpsysSection] = []
    name: str | None = None
    start = 0
    body: list[bytes] = []

    def close() -> None:
        if name is None:
            return
        while body and (_is_trailer(body[-1]) or not body[-1].strip(b"\r")):
            body.pop()
        sections.append(DumpsysSection(name, start, b"\n".join(body) + (b"\n" if body else b"")))

    for index, line in enumerate(lines):
        if line.startswith(_HEADER):
            close()
            rest = line[len(_HEADER):].rstrip(b"\r").rstrip()
            for priority in _PRIORITIES:
                if rest.startswith(priority):
                    rest = rest[len(priority):]
            name = rest.rstrip(b":").decode("utf-8", errors="replace").strip()
            start = index + 2
            body = []
            continue
        if name is not None:
            body.append(line)
    close()
    return sections


def find_service(data: bytes, service: str) -> DumpsysSection | None:
    """The first section of one service, if present."""
    for section in split_dumpsys(data):
        if section.service == service:
            return section
    return None
