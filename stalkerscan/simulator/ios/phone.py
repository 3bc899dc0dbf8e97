"""The simulated iPhone: state, pairing, and the read-only guard every layer goes through.

A :class:`SimulatedIPhone` is built from an :class:`~stalkerscan.simulator.ios.profile.IosPhoneProfile`.
The protocol layers (``usbmuxd.py``, ``lockdownd.py``, ``services.py``) know how to frame and
answer; before answering anything they hand the request to this class, which judges it against
the read-only allowlist and records it in :attr:`SimulatedIPhone.log`:

- lockdownd: QueryType, GetValue, StartSession, StopSession, Goodbye, StartService for the
  read-only services (plus probing for jailbreak services), and ValidatePair / Pair only as
  the person's own Trust flow;
- installation_proxy: Lookup, Browse;
- MCInstall: HelloHostIdentifier, GetProfileList, GetCloudConfiguration, Flush.

Everything else (SetValue, RemoveValue, Unpair, EnterRecovery, supervised pairing, starting
backup or file services, installing or removing apps and profiles, erasing, ...) is refused with
the error a real iPhone gives for a forbidden request, and recorded as a write attempt::

    assert phone.log.write_attempts() == []

A test (or a trainer at ``stalkerscan simulate``) can play the person holding the phone:
:meth:`~SimulatedIPhone.tap_trust`, :meth:`~SimulatedIPhone.tap_dont_trust`,
:meth:`~SimulatedIPhone.unlock`, :meth:`~SimulatedIPhone.unplug` and so on, from any thread.
"""

from __future__ import annotations

import os
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from stalkerscan.simulator.ios.pairing import (
    DeviceIdentity,
    PairRecord,
    PairRecordProblem,
    TrustedHost,
    generate_device_identity,
    generate_pair_record,
    server_tls_context,
    trusted_host_from_record,
    trusted_host_from_request,
)
from stalkerscan.simulator.ios.profile import IosFaults, IosPhoneProfile, IPhoneState
from stalkerscan.simulator.requestlog import RequestLog, Verdict

LOCKDOWND_PORT = 62078
"""lockdownd's port on the phone (reached through usbmuxd's Connect)."""

SIMULATED_SYSTEM_BUID = "5E1A7C0D-9B2F-4E8A-A3C6-7D14F0B25E93"
"""SystemBUID of the simulated usbmuxd (the "computer" the phone pairs with)."""

INSTALLATION_PROXY = "com.apple.mobile.installation_proxy"
"""The app-listing service."""

MCINSTALL = "com.apple.mobile.MCInstall"
"""The configuration-profile service."""

READ_SERVICE_COMMANDS: Mapping[str, frozenset[str]] = {
    INSTALLATION_PROXY: frozenset({"Lookup", "Browse"}),
    # Not Flush: management tools send it after changing profiles and nothing documents it as
    # a read, so stalkerscan never sends it; a client that does shows up as a write attempt.
    MCINSTALL: frozenset({"HelloHostIdentifier", "GetProfileList", "GetCloudConfiguration"}),
}
"""Services that may be started, and the only commands each answers."""

PROBE_SERVICES = frozenset({"com.apple.afc2"})
"""Services whose StartService is a read: asking whether a jailbreak added them. Starting one
is answered only when the profile offers it; nothing is ever served on it."""

LOCKDOWN_READ_REQUESTS = frozenset({"QueryType", "GetValue", "StartSession", "StopSession",
                                    "StartService", "ValidatePair", "Pair", "Goodbye"})
"""lockdownd requests on the allowlist (StartService and Pair are judged further)."""

LOCKDOWN_REFUSAL_ERRORS: Mapping[str, str] = {
    "SetValue": "SetProhibited",
    "RemoveValue": "RemoveProhibited",
    "StartService": "InvalidService",
    "Pair": "MCProtected",
    "Unpair": "MCProtected",
    "EnterRecovery": "MCProtected",
    "Activate": "MCProtected",
    "Deactivate": "MCProtected",
}
"""The lockdownd error each refused request gets (real lockdownd error names, so clients
raise their ordinary exceptions); any other request gets ``InvalidRequest``."""

_SECRET_KEYS = frozenset({"PairRecord", "EscrowBag", "HostPrivateKey", "RootPrivateKey",
                          "Payload", "ProfileData", "ChallengeResponse", "SignedRequest",
                          "SupervisorCertificate", "MDMPassword", "Value", "PairRecordData"})


class PhoneUnplugged(Exception):
    """The phone was unplugged while a request was being handled."""


@dataclass(frozen=True)
class ServicePort:
    """A port lockdownd opened for one StartService (used once)."""

    service: str
    """The service name."""

    tls_host: TrustedHost | None
    """The host whose session started it, when the service speaks TLS from the first byte."""


class SimulatedIPhone:
    """One simulated iPhone. Thread-safe: the protocol runs on one thread, tests on another."""

    def __init__(self, profile: IosPhoneProfile, *, log: RequestLog | None = None,
                 identity: DeviceIdentity | None = None) -> None:
        self.profile = profile
        """What the phone holds."""
        self.log = log if log is not None else RequestLog()
        """Every request this phone received."""
        self.identity = identity or generate_device_identity()
        """The phone's key pair."""
        self._lock = threading.RLock()
        self._faults = profile.faults
        self._attached = profile.state is not IPhoneState.NONE
        self._locked = profile.state is IPhoneState.LOCKED
        self._trusted: dict[str, TrustedHost] = {}
        self._trust_answer: str | None = ("deny" if profile.state is IPhoneState.TRUST_DENIED
                                          else None)
        self._auto_trust_after = (profile.trust_delay_ms / 1000
                                  if profile.state is IPhoneState.TRUST_PROMPT else None)
        self._dialog_shown_at: float | None = None
        self._escrow_bag = os.urandom(40)
        self._requests = 0
        self._listeners: list[Callable[[SimulatedIPhone], None]] = []
        self._ports: dict[int, ServicePort] = {}
        self._next_port = 49152 + profile.seed % 4000
        self._tls_contexts: dict[str, ssl.SSLContext] = {}
        self.initial_pair_record: PairRecord | None = None
        """The pair record usbmuxd holds from the start (the computer was trusted before)."""
        if profile.state in (IPhoneState.PAIRED, IPhoneState.LOCKED):
            record = generate_pair_record(self.identity, system_buid=SIMULATED_SYSTEM_BUID,
                                          wifi_mac_address=profile.device.wifi_address,
                                          escrow_bag=self._escrow_bag)
            self.initial_pair_record = record
            self._trusted[record.host_id] = trusted_host_from_record(record)

    @classmethod
    def load(cls, profile: str | Path, *, log: RequestLog | None = None) -> SimulatedIPhone:
        """A phone from a profile file or a built-in profile name (``ios-infected``)."""
        from stalkerscan.errors import ProfileError
        from stalkerscan.simulator.profile import load_profile

        loaded = load_profile(profile)
        if not isinstance(loaded, IosPhoneProfile):
            raise ProfileError(f"{profile}: this is not an iPhone profile (platform: ios)",
                               "Choose an iPhone profile, such as ios-infected or ios-clean.")
        return cls(loaded, log=log)

    def __repr__(self) -> str:
        return f"<SimulatedIPhone {self.profile.name} {self.udid} {self.state.value}>"

    # ------------------------------------------------------------------ identity and state
    @property
    def udid(self) -> str:
        """UniqueDeviceID (usbmuxd's SerialNumber)."""
        return self.profile.device.udid

    @property
    def faults(self) -> IosFaults:
        """The faults in force now."""
        with self._lock:
            return self._faults

    def set_faults(self, faults: IosFaults | None = None, **changes: Any) -> None:
        """Switch faults while running (``faults`` replaced, then ``changes`` applied)."""
        with self._lock:
            self._faults = replace(faults or self._faults, **changes)

    @property
    def attached(self) -> bool:
        """Plugged in (usbmuxd lists it)."""
        with self._lock:
            return self._attached

    @property
    def locked(self) -> bool:
        """Locked with the passcode."""
        with self._lock:
            return self._locked

    @property
    def state(self) -> IPhoneState:
        """The state as a person would describe it now."""
        with self._lock:
            if not self._attached:
                return IPhoneState.NONE
            if self._locked:
                return IPhoneState.LOCKED
            if self._trusted:
                return IPhoneState.PAIRED
            if self._trust_answer == "deny":
                return IPhoneState.TRUST_DENIED
            if self._auto_trust_after is not None:
                return IPhoneState.TRUST_PROMPT
            return IPhoneState.NEEDS_TRUST

    # ------------------------------------------------------------------ the person
    def tap_trust(self) -> None:
        """Answer "Trust" (now, or to the next Trust dialog)."""
        with self._lock:
            self._trust_answer = "trust"

    def tap_dont_trust(self) -> None:
        """Answer "Don't Trust"."""
        with self._lock:
            self._trust_answer = "deny"

    def unlock(self) -> None:
        """Enter the passcode."""
        with self._lock:
            self._locked = False

    def lock(self) -> None:
        """Press the side button (only a phone with a passcode stays locked)."""
        with self._lock:
            self._locked = self.profile.device.passcode_set

    def forget_trusted_computers(self) -> None:
        """Settings > Reset Location & Privacy: every computer must be trusted again."""
        with self._lock:
            self._trusted.clear()
            self._tls_contexts.clear()

    def unplug(self) -> None:
        """Pull the cable: every connection drops and usbmuxd reports Detached."""
        self._set_attached(False)

    def plug(self) -> None:
        """Plug the cable back in."""
        self._set_attached(True)

    def add_attachment_listener(self, listener: Callable[[SimulatedIPhone], None]) -> None:
        """Call ``listener(phone)`` (on the caller's thread) after every plug / unplug."""
        with self._lock:
            self._listeners.append(listener)

    def remove_attachment_listener(self, listener: Callable[[SimulatedIPhone], None]) -> None:
        """Stop calling ``listener``."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _set_attached(self, attached: bool) -> None:
        with self._lock:
            if self._attached == attached:
                return
            self._attached = attached
            if not attached:
                self._ports.clear()
            listeners = list(self._listeners)
        for listener in listeners:
            listener(self)

    # ------------------------------------------------------------------ the guard
    def admit_usbmuxd(self, message_type: str, detail: str, *, refused: str = "") -> Verdict:
        """Record one usbmuxd message about this phone (refused when ``refused`` says why)."""
        verdict = Verdict.REFUSED if refused else Verdict.READ
        self.log.record("usbmuxd", message_type, detail, verdict, refused)
        return verdict

    def admit_lockdown(self, request: Mapping[str, Any]) -> tuple[Verdict, str]:
        """Judge, record and count one lockdownd request. Raises :class:`PhoneUnplugged`
        when the disconnect fault fires on it."""
        name = str(request.get("Request", ""))
        verdict, reason = self._judge_lockdown(name, request)
        self.log.record("lockdownd", name or "?", summarize(request, skip=("Request", "Label")),
                        verdict, reason)
        self._count()
        return verdict, reason

    def admit_service(self, service: str, command: str,
                      request: Mapping[str, Any]) -> tuple[Verdict, str]:
        """Judge, record and count one service command (may raise :class:`PhoneUnplugged`)."""
        allowed = READ_SERVICE_COMMANDS.get(service, frozenset())
        if command in allowed:
            verdict, reason = Verdict.READ, ""
        else:
            verdict, reason = Verdict.REFUSED, f"{service} {command!r} is not a read-only command"
        self.log.record(service, command or "?",
                        summarize(request, skip=("Command", "RequestType")), verdict, reason)
        self._count()
        return verdict, reason

    def _judge_lockdown(self, name: str, request: Mapping[str, Any]) -> tuple[Verdict, str]:
        if name not in LOCKDOWN_READ_REQUESTS:
            return Verdict.REFUSED, f"lockdownd {name!r} is not a read-only request"
        if name == "StartService":
            service = str(request.get("Service", ""))
            if service in READ_SERVICE_COMMANDS or service in PROBE_SERVICES:
                return Verdict.READ, ""
            return Verdict.REFUSED, f"service {service!r} is not on the read-only list"
        if name == "Pair":
            options = request.get("PairingOptions")
            if isinstance(options, Mapping) and ("SupervisorCertificate" in options
                                                 or "ChallengeResponse" in options):
                return Verdict.REFUSED, "supervised pairing bypasses the person's Trust"
        return Verdict.READ, ""

    def _count(self) -> None:
        with self._lock:
            self._requests += 1
            limit = self._faults.disconnect_after
            fire = limit is not None and self._requests > limit and self._attached
        if fire:
            self.unplug()
            raise PhoneUnplugged(f"disconnect fault after {limit} requests")

    # ------------------------------------------------------------------ pairing
    def pair(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Answer a Pair request as the person holding the phone would (the Trust dialog)."""
        with self._lock:
            if self._locked:
                return {"Error": "PasswordProtected"}
            answer = self._trust_answer
            if (answer is None and self._auto_trust_after is not None
                    and self._dialog_shown_at is not None
                    and time.monotonic() - self._dialog_shown_at >= self._auto_trust_after):
                answer = "trust"
            if answer == "deny":
                return {"Error": "UserDeniedPairing"}
            if answer != "trust":
                if self._dialog_shown_at is None:
                    self._dialog_shown_at = time.monotonic()
                return {"Error": "PairingDialogResponsePending"}
            record = request.get("PairRecord")
            try:
                host = trusted_host_from_request(record if isinstance(record, Mapping) else {},
                                                 self.identity)
            except PairRecordProblem:
                return {"Error": "InvalidPairRecord"}
            self._trusted[host.host_id] = host
            self._dialog_shown_at = None
            if self._trust_answer == "trust":
                self._trust_answer = None  # the tap answered this dialog
            return {"EscrowBag": self._escrow_bag}

    def trusted_host(self, host_id: str) -> TrustedHost | None:
        """The trusted computer with this HostID."""
        with self._lock:
            return self._trusted.get(host_id)

    def tls_context(self, host: TrustedHost) -> ssl.SSLContext:
        """The TLS server context for sessions with ``host``."""
        with self._lock:
            context = self._tls_contexts.get(host.host_id)
        if context is None:
            context = server_tls_context(self.identity, host)
            with self._lock:
                self._tls_contexts[host.host_id] = context
        return context

    # ------------------------------------------------------------------ services and ports
    def offers_service(self, service: str) -> bool:
        """Whether StartService for ``service`` gets a port."""
        return service in READ_SERVICE_COMMANDS or service in self.profile.jailbreak.services

    def open_service_port(self, service: str, tls_host: TrustedHost | None) -> int:
        """Open a one-shot port for ``service`` (what StartService answers with)."""
        with self._lock:
            port = self._next_port
            self._next_port = 49152 + (self._next_port - 49152 + 1) % 16000
            self._ports[port] = ServicePort(service, tls_host)
            return port

    def claim_port(self, port: int) -> ServicePort | None:
        """The service behind a port opened by StartService (each is used once)."""
        with self._lock:
            return self._ports.pop(port, None)


def summarize(message: Mapping[str, Any], *, skip: tuple[str, ...] = ()) -> str:
    """A one-line, secret-free rendering of a plist request for the request log."""
    parts = []
    for key in sorted(message):
        if key in skip:
            continue
        value = message[key]
        if key == "PairRecord" and isinstance(value, Mapping):
            parts.append(f"PairRecord(HostID={value.get('HostID', '?')})")
        elif key in _SECRET_KEYS:
            parts.append(f"{key}=<{type(value).__name__}>")
        elif isinstance(value, bytes):
            parts.append(f"{key}=<{len(value)} bytes>")
        elif isinstance(value, Mapping):
            inner = summarize(value)
            parts.append(f"{key}={{{inner}}}")
        elif isinstance(value, list | tuple):
            shown = ",".join(str(item) for item in value[:12])
            more = f",+{len(value) - 12}" if len(value) > 12 else ""
            parts.append(f"{key}=[{shown}{more}]")
        else:
            parts.append(f"{key}={value}")
    return " ".join(parts)
