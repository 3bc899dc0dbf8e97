"""Every request a simulated phone receives, and the read-only guard that judges it.

The simulated phones answer only requests on a read-only allowlist. Anything else (install,
uninstall, push, ``pm clear``, ``settings put``, ``am``, ``input``, ``rm``, profile
install/remove, backup password, erase, ...) is refused *and* recorded, so a test can assert
that a scan never even tried to change the phone::

    assert phone.log.write_attempts() == []
"""

from __future__ import annotations

import re
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
# Shell commands a simulated Android phone answers: an allowlist of commands, subcommands and
# (where a command can also write) arguments. Anything else is refused. Judged on the parsed
# argv, so quoting tricks (``pm 'uninstall'``) do not slip through.
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
    {"getprop", "id", "echo", "ls", "which", "uname", "whoami", "true",
     "cat", "stat", "sha256sum", "sha1sum", "md5sum"}
)
# Commands that are reads only with some arguments: ``date -s`` sets the clock, ``command X``
# runs X, and several dumpsys services change state when given verbs (``dumpsys battery
# set level 5``, ``dumpsys batterystats --reset``, ``dumpsys deviceidle force-idle``). Their
# arguments are judged word by word against what is known to only read.
_DUMPSYS_OPTIONS = frozenset({"-l", "-a", "-h", "-c", "--checkin", "--proto", "--all"})
_DUMPSYS_SECTIONS = frozenset({
    # dumpsys package's read-only section names (PackageManagerService dump arguments)
    "packages", "p", "permissions", "perm", "permission", "libraries", "l", "features", "f",
    "shared-users", "s", "providers", "prov", "messages", "m", "verifiers", "v", "version",
    "resolvers", "r", "preferred", "preferred-xml", "domain-preferred-apps", "installs",
    "queries", "dexopt", "compiler-stats", "frozen", "changes", "known-packages",
})
_SERVICE_NAME = re.compile(r"^[A-Za-z0-9_.]+$")
_PACKAGE_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+$")


def _judge_date(args: list[str]) -> str | None:
    """Why ``date ARGS`` is not a read, or None: only ``+FORMAT`` and ``-u`` print."""
    for arg in args:
        if not (arg.startswith("+") or arg in ("-u", "--utc", "-R")):
            return f"date {arg!r} could set the clock"
    return None


def _judge_command(args: list[str]) -> str | None:
    """``command -v NAME`` looks a name up; any other form runs it."""
    if len(args) >= 2 and args[0] in ("-v", "-V"):
        return None
    return "'command' runs another command"


def _judge_dumpsys(args: list[str]) -> str | None:
    """``dumpsys [OPTIONS] [SERVICE [ARGS]]`` where every argument is known to only read."""
    words = list(args)
    while words and words[0].startswith("-"):
        if words[0] not in _DUMPSYS_OPTIONS:
            return f"dumpsys option {words[0]!r} is not known to be read-only"
        words.pop(0)
    if not words:
        return None
    if not _SERVICE_NAME.fullmatch(words[0]):
        return f"dumpsys service {words[0]!r} is not a service name"
    for word in words[1:]:
        if word in _DUMPSYS_OPTIONS or word in _DUMPSYS_SECTIONS or _PACKAGE_WORD.fullmatch(word):
            continue
        return f"dumpsys {words[0]} {word!r} is not known to be read-only"
    return None


_ARGUMENT_JUDGES = {"date": _judge_date, "command": _judge_command, "dumpsys": _judge_dumpsys}
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
    judge = _ARGUMENT_JUDGES.get(command)
    if judge is not None:
        why = judge(argv[1:])
        return (Verdict.READ, "") if why is None else (Verdict.REFUSED, why)
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
