"""Raw evidence: one record per request sent to a phone, and how analysis reads them back.

Acquisition writes a :class:`RawRecord` (and its byte streams) for every request it sends,
successful or not; preservation keeps them byte for byte in ``raw/``; parsing reads them
back through an :class:`EvidenceReader`, never from the phone. Logical artifact names
(:class:`AndroidArtifact`, :class:`IosArtifact`) tie the three stages together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol


class AndroidArtifact(str, Enum):
    """Logical names of what an Android acquisition reads (one shell request each)."""

    CLOCK_START = "clock_start"
    """``date +%s`` at the start: the phone's clock, to measure drift."""

    GETPROP = "getprop"
    """``getprop``: model, Android version, patch level, build and boot state."""

    PACKAGE_LIST = "pm_list_packages"
    """``pm list packages -f -i -U -u --show-versioncode`` (or a fallback variant)."""

    DUMPSYS_PACKAGE = "dumpsys_package"
    """``dumpsys package``: every package's installer, times, flags and permissions."""

    DUMPSYS_ACCESSIBILITY = "dumpsys_accessibility"
    """``dumpsys accessibility``: enabled and bound accessibility services."""

    DUMPSYS_DEVICE_POLICY = "dumpsys_device_policy"
    """``dumpsys device_policy``: device admins, device owner, profile owners."""

    SETTINGS_SECURE = "settings_secure"
    """``settings list secure``."""

    SETTINGS_GLOBAL = "settings_global"
    """``settings list global``."""

    SETTINGS_SYSTEM = "settings_system"
    """``settings list system``."""

    LAUNCHER_ACTIVITIES = "launcher_activities"
    """``cmd package query-activities`` for MAIN/LAUNCHER: which apps have an icon."""

    USAGE_ACCESS = "usage_access"
    """``cmd appops query-op GET_USAGE_STATS allow``: apps allowed to read usage history."""

    INSTALL_UNKNOWN_APPS = "install_unknown_apps"
    """``cmd appops query-op REQUEST_INSTALL_PACKAGES allow``: apps allowed to install apps
    (Android 8+: "Install unknown apps", the per-app form of "unknown sources")."""

    USERS = "users"
    """``pm list users``: extra users and work profiles."""

    ROOT_CHECK = "root_check"
    """``ls -d`` over the usual ``su`` locations."""

    CLOCK_END = "clock_end"
    """``date +%s`` at the end."""

    APK = "apk"
    """An APK pulled with the sync protocol (one record per file)."""


class IosArtifact(str, Enum):
    """Logical names of what an iPhone acquisition reads."""

    LOCKDOWN_VALUES = "lockdown_values"
    """lockdownd ``GetValue`` with no key: all device values."""

    INSTALLED_APPS = "installed_apps"
    """installation_proxy ``Browse``: every app with its attributes."""

    PROFILE_LIST = "profile_list"
    """MCInstall ``GetProfileList``."""

    CLOUD_CONFIGURATION = "cloud_configuration"
    """MCInstall ``GetCloudConfiguration``: supervision and MDM enrolment."""

    JAILBREAK_SERVICES = "jailbreak_services"
    """lockdownd ``StartService`` attempts for services only jailbroken phones offer."""

    BACKUP_FILE = "backup_file"
    """A file read from an existing iTunes / Finder backup."""


class Outcome(str, Enum):
    """How a request ended."""

    OK = "ok"
    """The phone answered and the command succeeded."""

    FAILED = "failed"
    """The phone answered with an error (non-zero exit, FAIL, error plist)."""

    INTERRUPTED = "interrupted"
    """The connection dropped or timed out mid-answer; what arrived is kept."""

    REFUSED = "refused"
    """Our own read-only allowlist refused it; nothing was sent."""


@dataclass(frozen=True)
class RawRecord:
    """One request sent to a phone (or one file read from a backup) and what came back."""

    seq: int
    """Order of the request in the acquisition, from 1."""

    name: str
    """Logical artifact name (an :class:`AndroidArtifact` or :class:`IosArtifact` value)."""

    platform: str
    """``android`` or ``ios``."""

    channel: str
    """How it was sent: ``adb-shell-v2``, ``adb-shell``, ``adb-sync``, ``lockdown``,
    ``installation_proxy``, ``mcinstall``, ``backup``."""

    request: str
    """The exact request as sent (shell command line, sync path, or plist request as XML)."""

    started_utc: str
    """When the request was sent, ISO 8601 UTC with microseconds."""

    finished_utc: str
    """When the answer ended (or the request failed), ISO 8601 UTC."""

    outcome: Outcome
    """How it ended."""

    files: Mapping[str, str] = field(default_factory=dict)
    """Byte streams kept, by stream name (``stdout``, ``stderr``, ``response``, ``data``) to
    path relative to the case folder."""

    exit_code: int | None = None
    """Shell exit code where the protocol reports it (shell v2), else None."""

    error: str | None = None
    """What went wrong, for failed / interrupted / refused requests."""

    attempt: int = 1
    """1 for the first try; 2 and up for automatic fallbacks of the same artifact."""

    note: str | None = None
    """Why a fallback was tried, e.g. ``retry with --user 0: 'Unknown option'``."""

    subject: str | None = None
    """What the request was about where it is per item, e.g. the package of a pulled APK."""


class EvidenceReader(Protocol):
    """Read access to preserved evidence; implemented by case folders and by test fakes."""

    def records(self) -> Iterable[RawRecord]:
        """Every record, in sequence order."""
        ...

    def read(self, record: RawRecord, stream: str = "stdout") -> bytes:
        """The bytes of one stream of one record (``b""`` when absent)."""
        ...


def latest(reader: EvidenceReader, name: str) -> RawRecord | None:
    """The last *successful* record of an artifact (fallbacks replace earlier attempts).

    Falls back to the last record of any outcome that has some stdout/response kept, so that
    a partial answer from an interrupted request is still parsed.
    """
    best: RawRecord | None = None
    partial: RawRecord | None = None
    for record in reader.records():
        if record.name != name:
            continue
        if record.outcome is Outcome.OK:
            best = record
        elif record.files:
            partial = record
    return best or partial


@dataclass
class MemoryEvidence:
    """An in-memory :class:`EvidenceReader`, for tests and for parsing captures directly."""

    items: list[tuple[RawRecord, dict[str, bytes]]] = field(default_factory=list)

    def add(
        self,
        name: str,
        stdout: bytes,
        *,
        platform: str = "android",
        request: str = "",
        outcome: Outcome = Outcome.OK,
        stream: str = "stdout",
        subject: str | None = None,
        exit_code: int | None = 0,
    ) -> RawRecord:
        """Append a record whose single stream holds ``stdout``; returns it."""
        seq = len(self.items) + 1
        path = f"raw/{seq:04d}-{name}.{stream}"
        record = RawRecord(
            seq=seq, name=name, platform=platform, channel="memory", request=request or name,
            started_utc="1970-01-01T00:00:00.000000Z", finished_utc="1970-01-01T00:00:00.000000Z",
            outcome=outcome, files={stream: path}, exit_code=exit_code, subject=subject,
        )
        self.items.append((record, {stream: stdout}))
        return record

    def records(self) -> list[RawRecord]:
        return [record for record, _ in self.items]

    def read(self, record: RawRecord, stream: str = "stdout") -> bytes:
        for candidate, streams in self.items:
            if candidate.seq == record.seq:
                return streams.get(stream, b"")
        return b""
