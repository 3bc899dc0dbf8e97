"""The contract between the simulated Android phone model and the ADB protocol layers.

The protocol servers (host protocol and transport protocol) know nothing about packages or
dumpsys: they hand every shell command line and sync request to an :class:`AndroidPhoneModel`,
which judges it against the read-only allowlist, logs it, and answers.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from enum import Enum

from stalkerscan.simulator.requestlog import SYNC_READS, RequestLog, Verdict, judge_shell


class AndroidState(str, Enum):
    """Connection states a simulated Android phone can play."""

    AUTHORIZED = "device"
    """USB debugging allowed for this computer: answers at once."""

    UNAUTHORIZED = "unauthorized"
    """The "Allow USB debugging?" prompt is showing and nobody taps Allow."""

    PROMPT = "prompt"
    """Unauthorized until the host sends its key, then Allow is tapped after a short delay."""

    OFFLINE = "offline"
    """Connected but never answers the handshake."""


@dataclass(frozen=True)
class ShellResult:
    """What ``/system/bin/sh -c CMD`` would produce."""

    stdout: bytes
    """Standard output."""

    stderr: bytes = b""
    """Standard error."""

    exit_code: int = 0
    """Exit status (0..255)."""


@dataclass(frozen=True)
class FileStat:
    """What the sync protocol's STAT reports."""

    mode: int
    """``st_mode`` including the file type bits."""

    size: int
    """Size in bytes."""

    mtime: int
    """Modification time, seconds since the epoch."""


@dataclass(frozen=True)
class TransportFaults:
    """Faults injected at the protocol level (both ADB layers honour them)."""

    latency_ms: float = 0.0
    """Delay before answering each request (per shell/sync request, not per packet)."""

    disconnect_after: int | None = None
    """Drop the connection when request number N+1 arrives (the cable is pulled)."""

    fragment: int = 0
    """When > 0, write every answer in pieces of this many bytes (TCP segmentation)."""

    slow_bytes_per_second: int = 0
    """When > 0, throttle answers to this rate (a slow phone)."""

    crlf: bool = False
    """Legacy ``shell:`` answers use CRLF line ends (Android 6 and older PTYs)."""

    max_payload: int = 1024 * 1024
    """Transport max payload (4096 on very old phones)."""

    protocol_version: int = 0x01000001
    """Transport protocol version (0x01000000 = old, checksummed)."""

    shell_v2: bool = True
    """Advertise and speak shell protocol v2 (exit codes, separate stderr)."""


@dataclass
class AndroidPhoneModel(abc.ABC):
    """Base of every simulated Android phone. Subclasses answer; this class guards and logs."""

    serial: str
    """adb serial number."""

    state: AndroidState = AndroidState.AUTHORIZED
    """How the phone answers a connecting host."""

    faults: TransportFaults = field(default_factory=TransportFaults)
    """Protocol-level faults."""

    log: RequestLog = field(default_factory=RequestLog)
    """Every request this phone received."""

    # ------------------------------------------------------------------ identity
    @abc.abstractmethod
    def banner_properties(self) -> dict[str, str]:
        """``ro.product.name``, ``ro.product.model``, ``ro.product.device`` for the CNXN banner
        and ``adb devices -l``."""

    def features(self) -> tuple[str, ...]:
        """Transport features advertised in the banner; only what is implemented."""
        base = ("cmd", "stat_v2", "ls_v2")
        return (("shell_v2",) if self.faults.shell_v2 else ()) + base

    # ------------------------------------------------------------------ guarded entry points
    def shell(self, cmdline: str, *, layer: str, service: str = "shell") -> ShellResult:
        """Judge, log and run one shell command line (``service`` is ``shell`` or ``exec``)."""
        verdict, reason = judge_shell(cmdline)
        self.log.record(layer, service, cmdline, verdict, reason)
        if verdict is Verdict.REFUSED:
            message = f"stalkerscan simulator: refused, not read-only: {reason}\n"
            return ShellResult(b"", message.encode(), 1)
        return self.run_shell(cmdline)

    def sync_request(self, op: str, path: str, *, layer: str) -> bool:
        """Judge and log one sync request; True when it may be answered."""
        if op in SYNC_READS:
            self.log.record(layer, "sync", f"{op} {path}", Verdict.READ)
            return True
        self.log.record(layer, "sync", f"{op} {path}", Verdict.REFUSED, f"sync {op} writes")
        return False

    def refuse_service(self, name: str, *, layer: str) -> None:
        """Log a service that is not offered at all (``reboot:``, ``remount:``, ``root:``...)."""
        self.log.record(layer, "service", name, Verdict.REFUSED, "service not offered")

    # ------------------------------------------------------------------ answers (subclasses)
    @abc.abstractmethod
    def run_shell(self, cmdline: str) -> ShellResult:
        """Answer an already-approved shell command line."""

    @abc.abstractmethod
    def stat(self, path: str) -> FileStat | None:
        """STAT a path; None when it does not exist."""

    @abc.abstractmethod
    def read_file(self, path: str) -> bytes | None:
        """The bytes of a file; None when it does not exist."""

    @abc.abstractmethod
    def listdir(self, path: str) -> list[str]:
        """Names in a directory (empty when none)."""
