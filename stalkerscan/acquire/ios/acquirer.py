"""The iPhone acquisition plan: a fixed list of reads, each answer kept byte for byte.

Every answer is streamed into its record's ``response`` stream exactly as it came off the
wire: for each plist, the 4-byte big-endian length lockdownd and the services put before it,
then the plist bytes (XML or binary, as sent). ``Browse`` answers in pages; all pages go into
the one stream, one frame after another. The request is kept as the XML plist that was sent.

``StartService`` exchanges (which only hand out a port) are not artifacts: each is written to
the custody log with the request and the raw answer (base64) and its SHA-256.

A fault (cable pulled, phone locked, no answer in time) stops the plan, keeps what was read,
and is reported as an incomplete acquisition.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from stalkerscan.acquire.ios.channel import (
    APP_ATTRIBUTES,
    INSTALLATION_PROXY,
    INSTALLATION_PROXY_SERVICE,
    LOCKDOWN,
    MCINSTALL,
    MCINSTALL_SERVICE,
    PROBE_SERVICES,
    FrameSink,
)
from stalkerscan.acquire.ios.client import LABEL, IphoneSession, ServiceStart, request_xml
from stalkerscan.acquire.progress import NullProgress, Progress
from stalkerscan.acquire.result import AcquisitionResult, StopAcquisition, run_plan
from stalkerscan.errors import (
    CaseWriteError,
    DeviceError,
    DeviceLockedError,
    ProtocolError,
    RequestRefusedError,
)
from stalkerscan.model.artifacts import IosArtifact, Outcome, RawRecord
from stalkerscan.parse.ios.lockdown import parse_lockdown_values
from stalkerscan.preserve.case import CaseFolder

T = TypeVar("T")

RESPONSE = "response"
"""Stream name of every answer."""

GET_ALL_VALUES: Mapping[str, Any] = {"Label": LABEL, "Request": "GetValue"}
"""lockdownd GetValue with no domain and no key: every value."""

BROWSE: Mapping[str, Any] = {
    "Command": "Browse",
    "ClientOptions": {"ApplicationType": "Any", "ReturnAttributes": list(APP_ATTRIBUTES)},
}
"""installation_proxy Browse of every app (user, system, internal) with the attributes kept."""

LOOKUP: Mapping[str, Any] = {
    "Command": "Lookup",
    "ClientOptions": {"ApplicationType": "Any", "ReturnAttributes": list(APP_ATTRIBUTES)},
}
"""The same list in one answer, for phones that refuse Browse."""

GET_PROFILE_LIST: Mapping[str, Any] = {"RequestType": "GetProfileList"}
GET_CLOUD_CONFIGURATION: Mapping[str, Any] = {"RequestType": "GetCloudConfiguration"}

STEPS: tuple[tuple[str, str], ...] = (
    ("clock_start", "Reading the iPhone's model, iOS version and clock"),
    ("apps", "Listing installed apps and how each was signed"),
    ("profiles", "Reading configuration profiles"),
    ("cloud", "Checking supervision and device management"),
    ("jailbreak", "Checking for jailbreak services"),
    ("clock_end", "Reading the iPhone's clock again"),
)
"""The plan, in order: identifying reads first, so a cable pulled early still leaves them."""


class IosAcquirer:
    """Runs the plan against one paired iPhone, into one case folder."""

    def __init__(self, session: IphoneSession, case: CaseFolder, *, progress: Progress | None = None) -> None:
        self.session = session
        self.case = case
        self.progress = progress or NullProgress()
        self.requests = 0
        self.bytes_read = 0
        self.failed: list[str] = []
        self.drift: dict[str, float] = {}
        self._logged_starts = 0

    # ------------------------------------------------------------------ one request
    def _record(
        self,
        artifact: IosArtifact,
        channel: str,
        message: Mapping[str, Any],
        send: Callable[[FrameSink], T],
        judge: Callable[[T], str | None],
        *,
        subject: str | None = None,
        attempt: int = 1,
        note: str | None = None,
    ) -> tuple[RawRecord, T | None]:
        """Send one request, streaming the answer into a new record; returns it and the answer."""
        writer = self.case.begin_record(artifact.value, channel=channel, request=request_xml(message),
                                        subject=subject, attempt=attempt, note=note)
        self.requests += 1
        try:
            # Leaving the writer with any other error (cable pulled, Ctrl-C, disk full) records
            # the request as interrupted, keeping what arrived (see RecordWriter).
            with writer:
                try:
                    result = send(lambda chunk: writer.write(RESPONSE, chunk))
                except RequestRefusedError as exc:
                    self.failed.append(artifact.value)
                    return writer.finish(Outcome.REFUSED, error=exc.message), None
                except (DeviceLockedError, ProtocolError) as exc:
                    # The phone answered (locked, or something unreadable): kept as a failed answer.
                    writer.finish(Outcome.FAILED, error=exc.message)
                    raise
                error = judge(result)
                return writer.finish(Outcome.FAILED if error else Outcome.OK, error=error), result
        except BaseException:
            self.failed.append(artifact.value)
            raise
        finally:
            self.bytes_read += writer.bytes_written()
            self._log_service_starts()

    def _log_service_starts(self) -> None:
        """Write every StartService exchange not yet in the custody log."""
        for start in self.session.service_starts[self._logged_starts:]:
            self._log_start(start)
        self._logged_starts = len(self.session.service_starts)

    def _log_start(self, start: ServiceStart) -> None:
        self.case.custody.append("service_started" if start.error is None else "service_refused", {
            "service": start.service,
            "request": start.request,
            "answer_base64": base64.b64encode(start.raw).decode(),
            "answer_sha256": hashlib.sha256(start.raw).hexdigest(),
            "error": start.error,
        })

    # ------------------------------------------------------------------ judges
    @staticmethod
    def _lockdown_error(answer: Mapping[str, Any]) -> str | None:
        error = answer.get("Error")
        return f"lockdownd answered {error}" if error is not None else None

    @staticmethod
    def _pages_error(pages: list[dict[str, Any]]) -> str | None:
        if not pages:
            return "no answer"
        last = pages[-1]
        if "Error" in last:
            return f"installation_proxy answered {last.get('Error')}: {last.get('ErrorDescription', '')}".strip()
        if last.get("Status") != "Complete":
            return "the app list ended before it was complete"
        return None

    @staticmethod
    def _mcinstall_error(answer: Mapping[str, Any]) -> str | None:
        if answer.get("Status") == "Acknowledged":
            return None
        chain = answer.get("ErrorChain")
        if isinstance(chain, list) and chain and isinstance(chain[0], dict):
            return f"MCInstall answered {chain[0].get('ErrorCode')}: {chain[0].get('LocalizedDescription', '')}"
        return f"MCInstall answered {answer.get('Status')!r}"

    # ------------------------------------------------------------------ steps
    def _values(self, key: str, note: str | None = None) -> None:
        before = time.time()
        record, answer = self._record(
            IosArtifact.LOCKDOWN_VALUES, LOCKDOWN, GET_ALL_VALUES,
            lambda sink: self.session.lockdown_request(GET_ALL_VALUES, sink), self._lockdown_error, note=note,
        )
        after = time.time()
        if record.outcome is not Outcome.OK:
            if key == "start":
                self.failed.append(IosArtifact.LOCKDOWN_VALUES.value)
            return
        clock = parse_lockdown_values(self.case.read(record, RESPONSE)).phone_clock
        if clock is not None:
            self.drift[key] = round(clock - (before + after) / 2, 3)

    def _apps(self) -> None:
        if not self.session.has_service(INSTALLATION_PROXY_SERVICE):
            self._start(INSTALLATION_PROXY_SERVICE, (IosArtifact.INSTALLED_APPS,))
        record, _ = self._record(
            IosArtifact.INSTALLED_APPS, INSTALLATION_PROXY, BROWSE,
            lambda sink: self.session.service_stream(INSTALLATION_PROXY_SERVICE, BROWSE, sink),
            self._pages_error,
        )
        if record.outcome is Outcome.FAILED:
            record, _ = self._record(
                IosArtifact.INSTALLED_APPS, INSTALLATION_PROXY, LOOKUP,
                lambda sink: [self.session.service_request(INSTALLATION_PROXY_SERVICE, LOOKUP, sink)],
                self._pages_error, attempt=2, note=f"retry with Lookup after Browse failed: {record.error}",
            )
        if record.outcome is not Outcome.OK:
            self.failed.append(IosArtifact.INSTALLED_APPS.value)

    def _start(self, service: str, needed_by: tuple[IosArtifact, ...]) -> bool:
        """Start a service the next steps need; False (and the steps marked failed) if refused."""
        try:
            start = self.session.start_service(service)
        finally:
            self._log_service_starts()
        if start.error is not None:
            self.progress.warn(f"The iPhone refused to start {service}: {start.error}")
            self.failed.extend(a.value for a in needed_by)
            return False
        return True

    def _mcinstall(self, artifact: IosArtifact, message: Mapping[str, Any]) -> None:
        if not self.session.has_service(MCINSTALL_SERVICE):
            if IosArtifact.PROFILE_LIST.value in self.failed and artifact is IosArtifact.CLOUD_CONFIGURATION:
                self.failed.append(artifact.value)  # the service was already refused
                return
            if not self._start(MCINSTALL_SERVICE, (artifact,)):
                return
        record, _ = self._record(
            artifact, MCINSTALL, message,
            lambda sink: self.session.service_request(MCINSTALL_SERVICE, message, sink), self._mcinstall_error,
        )
        if record.outcome is not Outcome.OK:
            self.failed.append(artifact.value)

    def _jailbreak_probes(self) -> None:
        for service in sorted(PROBE_SERVICES):
            message = {"Label": LABEL, "Request": "StartService", "Service": service}

            def judge(start: ServiceStart) -> str | None:
                # "No such service" is the expected, complete answer of a stock iPhone.
                if start.error in (None, "InvalidService", "ServiceProhibited", "NoSuchService"):
                    return None
                return f"lockdownd answered {start.error}"

            record, _ = self._record(
                IosArtifact.JAILBREAK_SERVICES, LOCKDOWN, message,
                lambda sink, name=service: self.session.start_service(name, sink), judge, subject=service,
            )
            if record.outcome is not Outcome.OK and IosArtifact.JAILBREAK_SERVICES.value not in self.failed:
                self.failed.append(IosArtifact.JAILBREAK_SERVICES.value)

    # ------------------------------------------------------------------ the plan
    def acquire(self) -> AcquisitionResult:
        """Run the whole plan."""
        actions: dict[str, Callable[[], None]] = {
            "clock_start": lambda: self._values("start"),
            "apps": self._apps,
            "profiles": lambda: self._mcinstall(IosArtifact.PROFILE_LIST, GET_PROFILE_LIST),
            "cloud": lambda: self._mcinstall(IosArtifact.CLOUD_CONFIGURATION, GET_CLOUD_CONFIGURATION),
            "jailbreak": self._jailbreak_probes,
            "clock_end": lambda: self._values(
                "end", note="read again at the end of the scan, to measure the phone's clock drift"),
        }

        def plan() -> None:
            self._log_service_starts()
            for key, description in STEPS:
                self.progress.step(description)
                try:
                    actions[key]()
                except CaseWriteError as exc:
                    raise StopAcquisition(exc.message, exc) from exc
                except ProtocolError as exc:
                    # One unreadable answer: kept as failed; the next reads may still work.
                    self.progress.warn(exc.message)
                except DeviceError as exc:
                    raise StopAcquisition(exc.message, exc) from exc

        stop = run_plan(self.progress, len(STEPS), plan)
        return AcquisitionResult(
            complete=stop is None, reason=stop.reason if stop else None, requests=self.requests,
            bytes_read=self.bytes_read, clock_drift_start_s=self.drift.get("start"),
            clock_drift_end_s=self.drift.get("end"), failed_artifacts=tuple(dict.fromkeys(self.failed)),
            error=stop.error if stop else None,
        )
