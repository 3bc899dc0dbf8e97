"""A simulated Android phone built from a profile: what both ADB protocol layers talk to.

    profile = load_profile("android-infected")
    phone = SimulatedAndroidPhone.from_profile(profile)
    phone.shell("pm list packages -f -i -U -u --show-versioncode", layer="test")

:class:`SimulatedAndroidPhone` implements the answering half of
:class:`~stalkerscan.simulator.android.base.AndroidPhoneModel`: the base class judges every
request against the read-only allowlist and logs it; this class answers approved shell
command lines with the exact output of the real commands (see
:mod:`stalkerscan.simulator.android.outputs`) and serves files (APKs at their paths, shared
storage basics) to the sync protocol.
"""

from __future__ import annotations

import shlex
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stalkerscan.simulator.android.base import (
    AndroidPhoneModel,
    AndroidState,
    FileStat,
    ShellResult,
    TransportFaults,
)
from stalkerscan.simulator.android.files import PhoneFiles
from stalkerscan.simulator.android.outputs import appops as appops_out
from stalkerscan.simulator.android.outputs import dumpsys as dumpsys_out
from stalkerscan.simulator.android.outputs import getprop as getprop_out
from stalkerscan.simulator.android.outputs import notification as notification_out
from stalkerscan.simulator.android.outputs import pm as pm_out
from stalkerscan.simulator.android.outputs import settings as settings_out
from stalkerscan.simulator.android.outputs import shell as shell_out
from stalkerscan.simulator.android.outputs.common import Context, encode
from stalkerscan.simulator.android.profile import (
    AndroidProfile,
    ContentFaults,
    parse_faults,
)

# Outputs larger than this are rebuilt on each request rather than kept in memory.
_CACHE_LIMIT = 8 * 1024 * 1024
# Commands whose output depends only on the profile and faults (so may be cached).
_CACHEABLE = frozenset({"pm", "cmd", "dumpsys", "settings", "getprop", "appops"})
_CMD_SERVICES = ("package", "appops", "settings", "notification", "activity", "user",
                 "accessibility", "device_policy", "role", "statusbar", "wifi")

FaultsArg = TransportFaults | ContentFaults | Mapping[str, Any] | None


@dataclass(eq=False)
class SimulatedAndroidPhone(AndroidPhoneModel):
    """An Android phone described by an :class:`AndroidProfile`."""

    profile: AndroidProfile | None = field(default=None, repr=False)
    """What the phone is (apps, settings, version, vendor)."""

    content_faults: ContentFaults = field(default_factory=ContentFaults)
    """Faults in what the phone says (non-UTF-8, pm variants, huge dumps); tests may change
    this attribute at any time."""

    def __post_init__(self) -> None:
        if self.profile is None:
            raise ValueError("SimulatedAndroidPhone needs a profile (use from_profile)")
        self._files = PhoneFiles(self.profile)
        self._cache: dict[tuple[tuple[str, ...], ContentFaults], ShellResult] = {}
        self._cache_lock = threading.Lock()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_profile(cls, profile: AndroidProfile, *, serial: str | None = None,
                     faults: FaultsArg = None,
                     state: AndroidState | str | None = None) -> SimulatedAndroidPhone:
        """A phone from a profile, optionally with another serial, faults or state.

        ``faults`` may be :class:`TransportFaults` or :class:`ContentFaults` (replacing the
        profile's of that kind), or a mapping in the profile's ``faults:`` format (applied on
        top of the profile's faults, e.g. ``{"old_pm": True, "latency_ms": 5}``).
        """
        content, transport = profile.content_faults, profile.transport_faults
        if isinstance(faults, TransportFaults):
            transport = faults
        elif isinstance(faults, ContentFaults):
            content = faults
        elif faults is not None:
            content, transport = parse_faults(faults, source="faults", base_content=content,
                                              base_transport=transport)
        if isinstance(state, str):
            state = {"authorized": AndroidState.AUTHORIZED}.get(state) or AndroidState(state)
        return cls(serial=serial or profile.serial, state=state or profile.state,
                   faults=transport, profile=profile, content_faults=content)

    @property
    def files(self) -> PhoneFiles:
        """The phone's file system."""
        return self._files

    def context(self) -> Context:
        """What renderers need: profile plus the faults in force now."""
        assert self.profile is not None
        return Context(self.profile, self.content_faults)

    # ------------------------------------------------------------------ identity
    def banner_properties(self) -> dict[str, str]:
        """``ro.product.name`` / ``ro.product.model`` / ``ro.product.device``."""
        assert self.profile is not None
        props = self.profile.properties
        return {key: props.get(key, "") for key in
                ("ro.product.name", "ro.product.model", "ro.product.device")}

    # ------------------------------------------------------------------ shell
    def run_shell(self, cmdline: str) -> ShellResult:
        """Answer an (already approved) shell command line like ``/system/bin/sh -c``."""
        text = cmdline.strip()
        drop_stderr = False
        for suffix in (" 2>/dev/null", " 2> /dev/null"):
            if text.endswith(suffix):
                text = text[: -len(suffix)].rstrip()
                drop_stderr = True
        if not text:
            return ShellResult(b"")
        try:
            argv = shlex.split(text)
        except ValueError:
            return ShellResult(b"", b"/system/bin/sh: no closing quote\n", 1)
        if not argv:
            return ShellResult(b"")
        result = self._cached(argv)
        if drop_stderr and result.stderr:
            result = ShellResult(result.stdout, b"", result.exit_code)
        return result

    def _cached(self, argv: list[str]) -> ShellResult:
        command = argv[0].rsplit("/", 1)[-1]
        if command not in _CACHEABLE:
            return self._dispatch(argv)
        key = (tuple(argv), self.content_faults)
        with self._cache_lock:
            hit = self._cache.get(key)
        if hit is not None:
            return hit
        result = self._dispatch(argv)
        if len(result.stdout) + len(result.stderr) <= _CACHE_LIMIT:
            with self._cache_lock:
                self._cache[key] = result
        return result

    def _dispatch(self, argv: list[str]) -> ShellResult:
        ctx = self.context()
        command = argv[0].rsplit("/", 1)[-1] if argv[0].startswith("/") else argv[0]
        args = argv[1:]
        if argv[0].startswith("/") and self._files.access(argv[0]) != "ok":
            return shell_out.not_found(argv[0])
        if command == "pm":
            return pm_out.pm(ctx, args)
        if command == "cmd":
            return self._cmd(ctx, args)
        if command == "dumpsys":
            return dumpsys_out.dumpsys(ctx, args)
        if command == "settings":
            return settings_out.settings(ctx, args)
        if command == "appops":
            return appops_out.appops(ctx, args)
        if command == "getprop":
            return getprop_out.getprop(ctx, args)
        if command == "date":
            return shell_out.date(ctx, args)
        if command == "id":
            if args[:1] == ["-u"]:
                return ShellResult(b"2000\n")
            if args[:1] == ["-un"]:
                return ShellResult(b"shell\n")
            return ShellResult(encode(shell_out.SHELL_ID + "\n"))
        if command == "whoami":
            return ShellResult(b"shell\n")
        if command == "echo":
            return shell_out.echo(ctx, args)
        if command == "true":
            return ShellResult(b"")
        if command == "false":
            return ShellResult(b"", b"", 1)
        if command == "uname":
            return shell_out.uname(ctx, args)
        if command == "ls":
            return shell_out.ls(ctx, self._files, args)
        if command == "cat":
            return shell_out.cat(ctx, self._files, args)
        if command == "stat":
            return shell_out.stat_command(ctx, self._files, args)
        if command in ("sha256sum", "sha1sum", "md5sum"):
            return shell_out.checksum(ctx, self._files, command, args)
        if command == "which":
            return shell_out.which(ctx, self._files, args)
        if command == "command" and args[:1] == ["-v"]:
            return shell_out.which(ctx, self._files, args[1:])
        return shell_out.not_found(argv[0])

    def _cmd(self, ctx: Context, args: list[str]) -> ShellResult:
        if not args:
            return ShellResult(b"", b"cmd: No service specified; use -l to list all services\n",
                               20)
        if args[0] == "-l":
            return ShellResult(encode("Currently running services:\n"
                                      + "".join(f"  {s}\n" for s in sorted(_CMD_SERVICES))))
        service, rest = args[0], args[1:]
        if service == "package":
            return pm_out.pm(ctx, rest)
        if service == "appops":
            return appops_out.appops(ctx, rest)
        if service == "settings":
            return settings_out.settings(ctx, rest)
        if service == "notification":
            return notification_out.cmd_notification(ctx, rest)
        if service in _CMD_SERVICES:
            return ShellResult(encode(f"Unknown command: {rest[0] if rest else ''}\n"), b"", 255)
        return ShellResult(b"", encode(f"cmd: Can't find service: {service}\n"), 20)

    # ------------------------------------------------------------------ files
    def stat(self, path: str) -> FileStat | None:
        """STAT a path as the shell user (None when missing or not accessible)."""
        return self._files.stat(path)

    def read_file(self, path: str) -> bytes | None:
        """A file's bytes (APKs are built on first read and cached)."""
        return self._files.read(path)

    def listdir(self, path: str) -> list[str]:
        """Names in a directory the shell user may list."""
        return self._files.listdir(path)
