"""The one choke point for iPhones: only allowlisted, read-only requests reach the phone.

Every byte stalkerscan (or pymobiledevice3 on its behalf) sends to an iPhone goes through
:meth:`GuardedServiceConnection.sendall`, which decodes the outgoing plist and judges it with
:func:`check_request` against the allowlist of its channel:

* ``lockdown``: ``QueryType``; ``GetValue`` (all values, one key, or a read-only domain);
  ``StartSession`` / ``StopSession`` / ``ValidatePair`` (using the existing pair record);
  ``StartService`` for :data:`SERVICES` and the jailbreak-only services of :data:`PROBE_SERVICES`
  (probed, never used); ``Pair`` only while the person is being asked to tap Trust.
* ``installation_proxy``: ``Browse`` / ``Lookup`` with read-only options.
* ``mcinstall``: ``HelloHostIdentifier``, ``GetProfileList``, ``GetCloudConfiguration``.

Anything else (``SetValue``, ``RemoveValue``, ``Unpair``, ``EnterRecovery``, ``Install``,
``Uninstall``, ``InstallProfile``, ``RemoveProfile``, ``Flush``, backups, any other service...)
raises :class:`~stalkerscan.errors.RequestRefusedError` before a byte is written. MCInstall's
``Flush`` is left out on purpose: it is sent by management tools after changing profiles and
is not documented as a read.

What is not on a service connection: usbmuxd's own protocol (``ListDevices``, ``Connect``,
``ReadBUID``, ``ReadPairRecord``: reads), plus ``SavePairRecord``, sent once only after the
person tapped Trust, so that other tools on this computer share the new pairing, as iTunes,
Finder and libimobiledevice do.
"""

from __future__ import annotations

import asyncio
import plistlib
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pymobiledevice3.exceptions import ConnectionTerminatedError
from pymobiledevice3.service_connection import ServiceConnection

from stalkerscan.errors import RequestRefusedError

LOCKDOWN = "lockdown"
"""Channel name of lockdownd connections."""

INSTALLATION_PROXY = "installation_proxy"
"""Channel name of installation_proxy connections."""

MCINSTALL = "mcinstall"
"""Channel name of MCInstall connections."""

UNASSIGNED = "unassigned"
"""A service connection not yet bound to a channel: nothing may be sent on it."""

INSTALLATION_PROXY_SERVICE = "com.apple.mobile.installation_proxy"
MCINSTALL_SERVICE = "com.apple.mobile.MCInstall"

SERVICES: Mapping[str, str] = {
    INSTALLATION_PROXY_SERVICE: INSTALLATION_PROXY,
    MCINSTALL_SERVICE: MCINSTALL,
}
"""Lockdown services stalkerscan starts and talks to, with their channel."""

PROBE_SERVICES: frozenset[str] = frozenset({"com.apple.afc2"})
"""Services only jailbroken phones offer: StartService is sent to learn whether they exist;
no connection to them is ever made."""

READ_DOMAINS: frozenset[str] = frozenset({
    "com.apple.mobile.backup",             # WillEncrypt, CloudBackupEnabled, last backup dates
    "com.apple.mobile.wireless_lockdown",  # EnableWifiConnections: Wi-Fi sync with a computer
    "com.apple.international",             # Locale, Language
    "com.apple.mobile.battery",
})
"""Lockdown domains that may be read. GetValue never changes the phone; the list only keeps
requests to what is worth preserving."""

APP_ATTRIBUTES: tuple[str, ...] = (
    "CFBundleIdentifier", "CFBundleDisplayName", "CFBundleName", "CFBundleShortVersionString",
    "CFBundleVersion", "CFBundleExecutable", "ApplicationType", "SignerIdentity", "Entitlements",
    "Path", "Container", "MinimumOSVersion", "UIBackgroundModes", "SBAppTags",
)
"""installation_proxy attributes asked for (and the only ones that may be asked for)."""

APPLICATION_TYPES: frozenset[str] = frozenset({"Any", "User", "System", "Internal"})
"""ApplicationType filters."""

MCINSTALL_REQUESTS: frozenset[str] = frozenset({"HelloHostIdentifier", "GetProfileList", "GetCloudConfiguration"})
"""MCInstall requests that only read."""

_LOCKDOWN_KEYS: Mapping[str, frozenset[str]] = {
    "QueryType": frozenset(),
    "GetValue": frozenset({"Domain", "Key"}),
    "StartSession": frozenset({"HostID", "SystemBUID"}),
    "StopSession": frozenset({"SessionID"}),
    "ValidatePair": frozenset({"PairRecord"}),
    "StartService": frozenset({"Service"}),
    "Pair": frozenset({"PairRecord", "HostName", "ProtocolVersion", "PairingOptions"}),
}
_PAIRING_OPTIONS = frozenset({"ExtendedPairingErrors"})
_INSTALLATION_PROXY_OPTIONS = frozenset({"ApplicationType", "ReturnAttributes", "BundleIDs"})


def _refuse(channel: str, reason: str, message: Mapping[str, Any] | None = None) -> RequestRefusedError:
    shown = {k: v for k, v in (message or {}).items() if k not in ("PairRecord",)}
    return RequestRefusedError(
        f"Refused to send a request that is not on the read-only list ({channel}): {reason}. "
        f"Request: {str(shown)[:300]}"
    )


def _check_keys(channel: str, message: Mapping[str, Any], allowed: frozenset[str]) -> None:
    extra = set(message) - allowed
    if extra:
        raise _refuse(channel, f"unexpected fields {sorted(extra)}", message)


def check_lockdown(message: Mapping[str, Any], *, pairing_allowed: bool = False) -> str:
    """Judge one lockdownd request; returns its name or raises ``RequestRefusedError``."""
    name = message.get("Request")
    if not isinstance(name, str) or name not in _LOCKDOWN_KEYS:
        raise _refuse(LOCKDOWN, f"request {name!r} is not allowed", message)
    _check_keys(LOCKDOWN, message, _LOCKDOWN_KEYS[name] | {"Request", "Label"})
    if name == "GetValue":
        domain = message.get("Domain")
        key = message.get("Key")
        if domain is not None and domain not in READ_DOMAINS:
            raise _refuse(LOCKDOWN, f"domain {domain!r} is not on the read list", message)
        if key is not None and not isinstance(key, str):
            raise _refuse(LOCKDOWN, "GetValue key is not a string", message)
    elif name == "StartService":
        service = message.get("Service")
        if service not in SERVICES and service not in PROBE_SERVICES:
            raise _refuse(LOCKDOWN, f"service {service!r} is not allowed", message)
    elif name == "Pair":
        if not pairing_allowed:
            raise _refuse(LOCKDOWN, "pairing is only requested while the person is asked to tap Trust",
                          message)
        options = message.get("PairingOptions") or {}
        if not isinstance(options, Mapping) or set(options) - _PAIRING_OPTIONS:
            # Supervised pairing (SupervisorCertificate / ChallengeResponse) would pair without
            # the person's Trust tap.
            raise _refuse(LOCKDOWN, "pairing options other than ExtendedPairingErrors", message)
    return name


def check_installation_proxy(message: Mapping[str, Any]) -> str:
    """Judge one installation_proxy command; returns its name or raises."""
    command = message.get("Command")
    if command not in ("Browse", "Lookup"):
        raise _refuse(INSTALLATION_PROXY, f"command {command!r} is not allowed", message)
    _check_keys(INSTALLATION_PROXY, message, frozenset({"Command", "ClientOptions"}))
    options = message.get("ClientOptions") or {}
    if not isinstance(options, Mapping):
        raise _refuse(INSTALLATION_PROXY, "ClientOptions is not a dictionary", message)
    _check_keys(INSTALLATION_PROXY, options, _INSTALLATION_PROXY_OPTIONS)
    app_type = options.get("ApplicationType", "Any")
    if app_type not in APPLICATION_TYPES:
        raise _refuse(INSTALLATION_PROXY, f"ApplicationType {app_type!r}", message)
    attributes = options.get("ReturnAttributes", [])
    if not isinstance(attributes, list) or any(a not in APP_ATTRIBUTES for a in attributes):
        raise _refuse(INSTALLATION_PROXY, "ReturnAttributes outside the read list", message)
    bundle_ids = options.get("BundleIDs", [])
    if not isinstance(bundle_ids, list) or not all(isinstance(b, str) for b in bundle_ids):
        raise _refuse(INSTALLATION_PROXY, "BundleIDs is not a list of strings", message)
    return str(command)


def check_mcinstall(message: Mapping[str, Any]) -> str:
    """Judge one MCInstall request; returns its name or raises."""
    request = message.get("RequestType")
    if request not in MCINSTALL_REQUESTS:
        raise _refuse(MCINSTALL, f"request {request!r} is not allowed", message)
    _check_keys(MCINSTALL, message, frozenset({"RequestType"}))
    return str(request)


def check_request(channel: str, message: Any, *, pairing_allowed: bool = False) -> str:
    """Judge one outgoing plist on a channel; returns the request's name or raises."""
    if not isinstance(message, Mapping):
        raise _refuse(channel, f"a {type(message).__name__} is not a request")
    if channel == LOCKDOWN:
        return check_lockdown(message, pairing_allowed=pairing_allowed)
    if channel == INSTALLATION_PROXY:
        return check_installation_proxy(message)
    if channel == MCINSTALL:
        return check_mcinstall(message)
    raise _refuse(channel, "nothing may be sent on this connection", message)


def decode_frame(payload: bytes) -> Any:
    """The plist inside one outgoing length-prefixed frame; raises ``RequestRefusedError``."""
    if len(payload) < 4:
        raise RequestRefusedError("Refused to send bytes that are not a framed request.")
    (size,) = struct.unpack(">I", payload[:4])
    if size != len(payload) - 4:
        raise RequestRefusedError("Refused to send bytes that are not exactly one framed request.")
    try:
        return plistlib.loads(payload[4:])
    except Exception as exc:
        raise RequestRefusedError(f"Refused to send bytes that are not a plist request ({exc}).") from exc


@dataclass
class SentRequest:
    """One request that passed the allowlist and was written."""

    channel: str
    """Channel it went out on."""

    name: str
    """Request name (``GetValue``, ``Browse``, ``GetProfileList``...)."""


@dataclass
class RequestGuard:
    """The allowlist's state for one session: whether pairing may be asked, and what was sent."""

    pairing_allowed: bool = False
    """True only while the person is being asked to tap Trust."""

    sent: list[SentRequest] = field(default_factory=list)
    """Every request written, in order."""

    refused: list[str] = field(default_factory=list)
    """Every refusal, for the custody log and tests."""

    def check(self, channel: str, payload: bytes) -> None:
        """Judge one outgoing frame; record it or raise ``RequestRefusedError``."""
        try:
            name = check_request(channel, decode_frame(payload), pairing_allowed=self.pairing_allowed)
        except RequestRefusedError as exc:
            self.refused.append(exc.message)
            raise
        self.sent.append(SentRequest(channel, name))


FrameSink = Callable[[bytes], None]
"""Receives the raw bytes of an answer as they arrive (length header, then the plist)."""


class GuardedServiceConnection(ServiceConnection):
    """A pymobiledevice3 service connection whose writes pass the allowlist and whose reads are
    captured byte for byte before anything parses them."""

    channel: str = UNASSIGNED
    guard: RequestGuard | None = None
    tap: FrameSink | None = None

    def bind(self, guard: RequestGuard, channel: str) -> GuardedServiceConnection:
        """Attach the session's guard and say which allowlist applies."""
        self.guard = guard
        self.channel = channel
        return self

    async def sendall(self, payload: bytes) -> None:
        if self.guard is None:
            raise RequestRefusedError("Refused to send on a connection with no read-only guard.")
        self.guard.check(self.channel, bytes(payload))
        await super().sendall(payload)

    async def recv_prefixed(self, endianity: str = ">") -> bytes:
        """Read one length-prefixed answer, handing every byte to ``tap`` as it arrives, so
        a connection lost mid-answer still leaves what came."""
        reader = self._checked_reader()
        tap = self.tap or (lambda _chunk: None)
        try:
            header = await reader.readexactly(4)
        except asyncio.IncompleteReadError as exc:
            tap(exc.partial)
            raise ConnectionTerminatedError() from exc
        except OSError as exc:
            raise ConnectionTerminatedError() from exc
        tap(header)
        size = self._checked_frame_size(struct.unpack(endianity + "L", header)[0])
        chunks: list[bytes] = []
        remaining = size
        while remaining:
            try:
                chunk = await reader.read(min(remaining, 64 * 1024))
            except OSError as exc:
                raise ConnectionTerminatedError() from exc
            if not chunk:
                raise ConnectionTerminatedError()
            tap(chunk)
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
