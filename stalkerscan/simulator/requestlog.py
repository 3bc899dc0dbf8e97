"""Every request a simulated phone receives, and the read-only guard that judges it.

The simulated phones answer only requests on a read-only allowlist. Anything else (install,
uninstall, push, ``pm clear``, ``settings put``, ``am``, ``input``, ``rm``, profile
install/remove, backup password, erase, ...) is refused *and* recorded, so a test can assert
that a scan never even tried to change the phone::

    assert phone.log.write_attempts() == []
"""

from __future__ import annotations

import shlex
import threading
import time
from dataclasses import dataclass
from enum import Enum


class Verdict(str, Enum):
    """What the simulated phone did with a request."""

    READ = "read"
    """On the read-only allowlist: answered."""

    REFUSED = "refused"
    """Not a read: refused and recorded."""


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the simulated phone received it."""

    time: float
    """``time.time()`` when it arrived."""

    layer: str
    """``adb-host`` (host protocol), ``adb-transport`` (adbd), ``usbmuxd``, ``lockdownd`` or a
    lockdown service name."""

    service: str
    """Service within the layer: ``shell``, ``exec``, ``sync``, ``host``, ``StartService``, ..."""

    request: str
    """The command line, sync operation and path, or plist request name and arguments."""

    verdict: Verdict
    """Answered as a read, or refused."""

    reason: str = ""
    """Why it was refused."""


class RequestLog:
    """Thread-safe, append-only log shared by every protocol layer of one simulated phone."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def record(
        self, layer: str, service: str, request: str, verdict: Verdict, reason: str = ""
    ) -> LoggedRequest:
        """Append one entry and return it."""
        entry = LoggedRequest(time.time(), layer, service, request, verdict, reason)
        with self._lock:
            self._entries.append(entry)
        return entry

    def entries(self) -> list[LoggedRequest]:
        """A snapshot of every entry, oldest first."""
        with self._lock:
            return list(self._entries)

    def write_attempts(self) -> list[LoggedRequest]:
        """Every request that was refused as not read-only."""
        return [entry for entry in self.entries() if entry.verdict is Verdict.REFUSED]

    def count(self, layer: str | None = None, service: str | None = None) -> int:
        """How many requests arrived, optionally only on one layer / service."""
        return sum(
            1
            for entry in self.entries()
            if (layer is None or entry.layer == layer) and (service is None or entry.service == service)
        )

    def clear(self) -> None:
        """Forget every entry (between phases of one test)."""
        with self._lock:
            self._entries.clear()


# --------------------------------------------------------------------------- Android shell
# Shell commands a simulated Android phone answers. Anything else is refused. Judged on the
# parsed argv, so quoting tricks (``pm 'uninstall'``) do not slip through.
_READ_SUBCOMMANDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "pm": (("list",), ("path",), ("dump",)),
    "cmd": (
        ("package", "list"),
        ("package", "query-activities"),
        ("package", "path"),
        ("appops", "query-op"),
        ("appops", "get"),
        ("notification", "list"),
        ("settings", "list"),
        ("settings", "get"),
    ),
    "settings": (("list",), ("get",)),
    "appops": (("query-op",), ("get",)),
}
_READ_COMMANDS = frozenset(
    {"getprop", "dumpsys", "date", "id", "echo", "ls", "which", "uname", "whoami", "true",
     "cat", "stat", "sha256sum", "sha1sum", "md5sum", "command"}
)
# Operators that would let one allowed command smuggle in another.
_SHELL_OPERATORS = (";", "&&", "||", "|", "`", "$(", ">", "<", "\n", "&")


def judge_shell(cmdline: str) -> tuple[Verdict, str]:
    """Decide whether an Android shell command line is a read. Returns (verdict, reason)."""
    stripped = cmdline.strip()
    # ``2>/dev/null`` is the one redirection clients commonly append; it writes nothing.
    for suffix in (" 2>/dev/null", " 2> /dev/null"):
        if stripped.endswith(suffix):
            stripped = stripped[: -len(suffix)].rstrip()
    if not stripped:
        return Verdict.READ, ""  # an interactive shell with no command: harmless, answered empty
    if any(op in stripped for op in _SHELL_OPERATORS):
        return Verdict.REFUSED, "shell operators are not allowed"
    try:
        argv = shlex.split(stripped)
    except ValueError:
        return Verdict.REFUSED, "unparsable command line"
    command = argv[0].rsplit("/", 1)[-1]
    if command in _READ_COMMANDS:
        return Verdict.READ, ""
    allowed = _READ_SUBCOMMANDS.get(command)
    if allowed is None:
        return Verdict.REFUSED, f"{command!r} is not a read-only command"
    words = [a for a in argv[1:] if not a.startswith("-")]
    for prefix in allowed:
        if tuple(words[: len(prefix)]) == prefix:
            return Verdict.READ, ""
    return Verdict.REFUSED, f"{command} {' '.join(words[:2])!r} is not a read-only command"


# Sync protocol requests (ADB file transfer): only reading.
SYNC_READS = frozenset({"STAT", "STA2", "LST2", "LSTA", "LIST", "LIS2", "RECV", "RCV2", "QUIT"})
