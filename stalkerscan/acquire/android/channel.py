"""The one choke point for Android: only allowlisted, read-only requests reach the phone.

Every shell command is built from a fixed template in :data:`SHELL_TEMPLATES`; the only
variable part a template may have is a package name, which must match Android's package
name rules before it is quoted into the command line. Files are read only with the sync
protocol's RECV, only at paths that look like APK paths. Anything else raises
:class:`~stalkerscan.errors.RequestRefusedError` before a byte is sent.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from stalkerscan.acquire.android.adb_client import AdbClient, ShellOutcome, Sink
from stalkerscan.errors import ProtocolError, RequestRefusedError, UnsafeDeviceStringError
from stalkerscan.model.artifacts import AndroidArtifact

PACKAGE_SLOT = "<package>"
"""Placeholder in a template for a validated package name."""

# Android package names: dot-separated segments of letters, digits and underscores, each
# starting with a letter (PackageParser.validateName); bounded length.
PACKAGE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+$")
# Where APKs live, and the characters the package manager uses in those paths.
APK_PATH = re.compile(
    r"^/(?:data/app|data/app-private|system|system_ext|product|vendor|odm|oem|apex|mnt/expand|mnt/asec)"
    r"(?:/[A-Za-z0-9._~=+,@-]+)+\.apk$"
)
# Where su binaries and root managers are usually found. Only paths the shell user can look
# at: /data/adb, /cache and /data itself are closed to it on every phone, so listing them
# would only ever say "Permission denied".
SU_PATHS = (
    "/system/bin/su", "/system/xbin/su", "/sbin/su", "/system/su", "/system/bin/.ext/.su",
    "/system/usr/we-need-root/su-backup", "/system/xbin/mu", "/su/bin/su", "/data/local/xbin/su",
    "/data/local/bin/su", "/data/local/su", "/system/sd/xbin/su", "/system/bin/failsafe/su",
    "/dev/su", "/system/app/Superuser.apk", "/sbin/magisk", "/system/xbin/daemonsu",
)

_LIST_BASE = ("pm", "list", "packages", "-f", "-i", "-U", "-u", "--show-versioncode")
_LAUNCHER = ("-a", "android.intent.action.MAIN", "-c", "android.intent.category.LAUNCHER")

SHELL_TEMPLATES: dict[AndroidArtifact, tuple[tuple[str, ...], ...]] = {
    # Each artifact: its variants in the order tried (later ones are fallbacks for phones
    # that reject an option). Nothing outside this table is ever sent.
    AndroidArtifact.CLOCK_START: (("date", "+%s"),),
    AndroidArtifact.GETPROP: (("getprop",),),
    AndroidArtifact.PACKAGE_LIST: (
        _LIST_BASE,
        (*_LIST_BASE, "--user", "0"),
        ("pm", "list", "packages", "-f", "-i", "-u", "--user", "0"),
        ("pm", "list", "packages", "-f", "-i", "-u"),
        ("pm", "list", "packages", "-f"),
    ),
    AndroidArtifact.DUMPSYS_PACKAGE: (("dumpsys", "package"),),
    AndroidArtifact.DUMPSYS_ACCESSIBILITY: (("dumpsys", "accessibility"),),
    AndroidArtifact.DUMPSYS_DEVICE_POLICY: (("dumpsys", "device_policy"),),
    AndroidArtifact.SETTINGS_SECURE: (("settings", "list", "secure"),),
    AndroidArtifact.SETTINGS_GLOBAL: (("settings", "list", "global"),),
    AndroidArtifact.SETTINGS_SYSTEM: (("settings", "list", "system"),),
    AndroidArtifact.LAUNCHER_ACTIVITIES: (
        ("cmd", "package", "query-activities", "--brief", "--user", "0", *_LAUNCHER),
        ("cmd", "package", "query-activities", "--user", "0", *_LAUNCHER),
        ("cmd", "package", "query-activities", *_LAUNCHER),
    ),
    AndroidArtifact.USAGE_ACCESS: (
        ("cmd", "appops", "query-op", "--user", "0", "GET_USAGE_STATS", "allow"),
        ("appops", "query-op", "--user", "0", "GET_USAGE_STATS", "allow"),
    ),
    AndroidArtifact.INSTALL_UNKNOWN_APPS: (
        ("cmd", "appops", "query-op", "--user", "0", "REQUEST_INSTALL_PACKAGES", "allow"),
        ("appops", "query-op", "--user", "0", "REQUEST_INSTALL_PACKAGES", "allow"),
    ),
    AndroidArtifact.USERS: (("pm", "list", "users"),),
    AndroidArtifact.ROOT_CHECK: (("ls", "-d", *SU_PATHS),),
    AndroidArtifact.CLOCK_END: (("date", "+%s"),),
}

APK_PATHS_TEMPLATE: tuple[str, ...] = ("pm", "path", PACKAGE_SLOT)
"""Lists the base and split APK paths of one package (sent only for APKs being pulled)."""


@dataclass(frozen=True)
class ShellCommand:
    """A shell command built from an allowlisted template."""

    artifact: str
    """Logical artifact name the answer is kept under."""

    argv: tuple[str, ...]
    """The words of the command."""

    variant: int = 0
    """Which variant of the template (0 = first choice)."""

    subject: str | None = None
    """The package a per-package command is about."""

    @property
    def command_line(self) -> str:
        """The quoted command line sent to the phone's shell."""
        return shlex.join(self.argv)


def shell_variants(artifact: AndroidArtifact) -> list[ShellCommand]:
    """Every allowlisted command for one artifact, first choice first."""
    return [ShellCommand(artifact.value, argv, i) for i, argv in enumerate(SHELL_TEMPLATES[artifact])]


def validate_package(name: str) -> str:
    """A package name from the phone, checked before it goes near a command line."""
    if len(name) > 255 or not PACKAGE_NAME.fullmatch(name):
        raise UnsafeDeviceStringError(f"Not a valid package name, not used in a command: {name[:80]!r}")
    return name


def validate_apk_path(path: str) -> str:
    """An APK path from the phone, checked before it is requested."""
    if len(path) > 1024 or "/../" in path or "/./" in path or not APK_PATH.fullmatch(path):
        raise UnsafeDeviceStringError(f"Not a plausible APK path, not requested: {path[:120]!r}")
    return path


def apk_paths_command(package: str) -> ShellCommand:
    """``pm path PACKAGE`` for one validated package."""
    validate_package(package)
    argv = tuple(package if word == PACKAGE_SLOT else word for word in APK_PATHS_TEMPLATE)
    return ShellCommand(AndroidArtifact.APK.value + "_paths", argv, 0, subject=package)


def is_allowed(command: ShellCommand) -> bool:
    """True when the command's words are exactly an allowlisted template."""
    for variants in SHELL_TEMPLATES.values():
        if command.argv in variants:
            return True
    if len(command.argv) == len(APK_PATHS_TEMPLATE):
        for word, template in zip(command.argv, APK_PATHS_TEMPLATE, strict=True):
            if template == PACKAGE_SLOT:
                if not PACKAGE_NAME.fullmatch(word):
                    return False
            elif word != template:
                return False
        return True
    return False


class AndroidChannel:
    """The only object that sends requests to an Android phone."""

    def __init__(
        self,
        client: AdbClient,
        serial: str,
        *,
        shell_v2: bool,
        request_timeout: float = 300.0,
        max_apk_bytes: int = 1024 * 1024 * 1024,
        max_answer_bytes: int = 1024 * 1024 * 1024,
    ) -> None:
        self.client = client
        self.serial = serial
        self.shell_v2 = shell_v2
        self.request_timeout = request_timeout
        self.max_apk_bytes = max_apk_bytes
        self.max_answer_bytes = max_answer_bytes
        """Most bytes kept from one shell answer: a real ``dumpsys package`` is tens of MB; a
        phone that keeps sending is not allowed to fill the computer's disk."""

    def run(self, command: ShellCommand, sink: Sink) -> ShellOutcome:
        """Send one allowlisted shell command; refuse anything else."""
        if not is_allowed(command):
            raise RequestRefusedError(
                f"Refused to send a command that is not on the read-only list: {command.argv!r}"
            )
        received = 0

        def bounded(stream: str, chunk: bytes) -> None:
            nonlocal received
            received += len(chunk)
            if received > self.max_answer_bytes:
                raise ProtocolError(
                    f"The phone sent more than {self.max_answer_bytes:,} bytes in answer to "
                    f"'{command.command_line}'; stopped reading it (what arrived until then is kept).",
                    "A phone answering without end is broken or built to disrupt the scan; "
                    "keep the case as evidence and ask for expert help.",
                )
            sink(stream, chunk)

        return self.client.shell(
            self.serial, command.command_line, bounded, v2=self.shell_v2, timeout=self.request_timeout
        )

    def pull(self, path: str, sink: Sink) -> int:
        """Read one APK with the sync protocol; the path must look like an APK path."""
        validate_apk_path(path)
        return self.client.pull(
            self.serial, path, sink, timeout=self.request_timeout, max_bytes=self.max_apk_bytes
        )
