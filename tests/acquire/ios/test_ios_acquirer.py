"""The acquisition plan's fault handling (locked mid-scan, no answer in time, refused services,
unreadable answers, the Lookup fallback) and the mapping of pymobiledevice3's exceptions."""

from __future__ import annotations

import asyncio
import plistlib
import struct
import threading
import time
from typing import Any

import pytest
from pymobiledevice3 import exceptions as pmd3

from stalkerscan.acquire.ios.acquirer import IosAcquirer
from stalkerscan.acquire.ios.client import (
    LOCKED_ADVICE,
    NEEDS_TRUST_ADVICE,
    LoopThread,
    ServiceStart,
    map_error,
    open_session,
)
from stalkerscan.acquire.ios.scan import wait_until_readable
from stalkerscan.errors import (
    DeviceDisconnectedError,
    DeviceError,
    DeviceLockedError,
    DeviceTimeoutError,
    DeviceUnauthorizedError,
    NoDeviceError,
    PairingDeniedError,
    ProtocolError,
    RequestRefusedError,
)
from stalkerscan.model.artifacts import Outcome
from stalkerscan.parse.ios.inventory import build_ios_inventory
from stalkerscan.preserve.case import CaseFolder
from stalkerscan.preserve.verify import verify_case
from stalkerscan.simulator.ios.phone import SimulatedIPhone
from stalkerscan.simulator.ios.run import running_usbmuxd

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("USBMUXD_SOCKET_ADDRESS", raising=False)


def close(case: CaseFolder, result) -> None:
    case.close_acquisition(complete=result.complete, reason=result.reason, facts={})
    case.seal()


# --------------------------------------------------------------------------- against the simulator
def test_locked_mid_scan_stops_with_an_incomplete_case(tmp_path):
    phone = SimulatedIPhone.load("ios-clean")
    with running_usbmuxd([phone]) as address:
        session = open_session(None, address, wait_seconds=2)
        try:
            wait_until_readable(session, deadline=time.monotonic() + 2, on_wait=None)
            phone.lock()  # the screen locks after the app list's service was started
            case = CaseFolder.create(tmp_path / "case", platform="ios")
            result = IosAcquirer(session, case).acquire()
        finally:
            session.close()
    assert not result.complete and isinstance(result.error, DeviceLockedError)
    assert result.error.advice == LOCKED_ADVICE
    assert [(r.name, r.outcome) for r in case.records()] == [
        ("lockdown_values", Outcome.OK), ("installed_apps", Outcome.OK)]
    refused = [e for e in case.custody.entries() if e.event == "service_refused"]
    assert refused and refused[0].details["service"] == "com.apple.mobile.MCInstall"
    close(case, result)
    assert verify_case(case.root).ok
    assert build_ios_inventory(case).missing == ("profile_list", "cloud_configuration", "jailbreak_services")
    assert phone.log.write_attempts() == []


def test_no_answer_in_time_is_a_timeout_and_keeps_what_was_read(tmp_path):
    phone = SimulatedIPhone.load("ios-clean")
    with running_usbmuxd([phone]) as address:
        session = open_session(None, address, wait_seconds=2, request_timeout=0.5)
        try:
            wait_until_readable(session, deadline=time.monotonic() + 2, on_wait=None)
            phone.set_faults(latency_ms=3000)
            case = CaseFolder.create(tmp_path / "case", platform="ios")
            result = IosAcquirer(session, case).acquire()
        finally:
            phone.set_faults(latency_ms=0)
            session.close()
    assert isinstance(result.error, DeviceTimeoutError) and not result.complete
    (record,) = case.records()
    assert record.name == "lockdown_values" and record.outcome is Outcome.INTERRUPTED
    close(case, result)
    assert verify_case(case.root).ok
    assert [t.name for t in threading.enumerate() if t.name.startswith("stalkerscan-iphone")] == []


def test_trust_pending_then_locked_phone_gets_both_pieces_of_advice(tmp_path):
    phone = SimulatedIPhone.load("ios-clean")
    phone.forget_trusted_computers()
    phone.lock()
    told: list[str] = []

    def person(advice: str) -> None:
        # The person does what each piece of advice says, a moment after reading it: driven by
        # the advice itself, not by a clock, so a slow machine cannot skip a step.
        told.append(advice)
        action = {LOCKED_ADVICE: phone.unlock, NEEDS_TRUST_ADVICE: phone.tap_trust}.get(advice)
        if action is not None:
            threading.Timer(0.2, action).start()

    with running_usbmuxd([phone]) as address:
        session = open_session(None, address, wait_seconds=10, on_wait=person)
        session.close()
    assert told == [LOCKED_ADVICE, NEEDS_TRUST_ADVICE]
    assert phone.log.write_attempts() == []


# --------------------------------------------------------------------------- a scripted session
class ScriptedSession:
    """Stands in for IphoneSession: answers each call from a script, records nothing itself."""

    def __init__(self, **script: Any) -> None:
        self.script = script
        self.service_starts: list[ServiceStart] = []
        self.started: set[str] = set()
        self.calls: list[str] = []

    def _answer(self, key: str, sink) -> Any:
        value = self.script[key]
        if callable(value):
            value = value()  # an answer made when asked (a clock)
        if isinstance(value, BaseException):
            raise value
        answers = value if isinstance(value, list) else [value]
        for answer in answers:
            body = plistlib.dumps(answer)
            sink(struct.pack(">I", len(body)) + body)
        return value

    def lockdown_request(self, message, sink=None):
        self.calls.append(message["Request"])
        return self._answer("values", sink)

    def has_service(self, name):
        return name in self.started

    def start_service(self, name, sink=None):
        self.calls.append(f"StartService {name}")
        answer = self.script.get(f"start {name}", {"Port": 50000})
        if sink is not None and f"start {name}" in self.script:
            self._answer(f"start {name}", sink)
        start = ServiceStart(name, answer, "", b"")
        self.service_starts.append(start)
        if start.error == "PasswordProtected":
            raise DeviceLockedError("The iPhone is locked.", LOCKED_ADVICE)
        if start.error is None and not name.endswith("afc2"):
            self.started.add(name)
        return start

    def service_stream(self, name, message, sink=None):
        self.calls.append(message["Command"])
        return self._answer("browse", sink)

    def service_request(self, name, message, sink=None):
        key = message.get("Command") or message.get("RequestType")
        self.calls.append(key)
        return self._answer(key, sink)


PHONE_CLOCK_AHEAD_S = 90.0


def values_now() -> dict[str, Any]:
    """lockdownd's values, read when asked: the phone's clock runs 90 s ahead of the computer's."""
    return {"Request": "GetValue", "Value": {"UniqueDeviceID": "00008110-000000000000AAAA",
                                             "TimeIntervalSince1970": time.time() + PHONE_CLOCK_AHEAD_S}}
APPS = {"CFBundleIdentifier": "org.example.a", "ApplicationType": "User"}


def test_browse_refused_falls_back_to_lookup(tmp_path):
    session = ScriptedSession(
        values=values_now,
        browse=[{"Error": "APIInternalError", "ErrorDescription": "busy"}],
        Lookup={"LookupResult": {"org.example.a": APPS}, "Status": "Complete"},
        GetProfileList={"Status": "Acknowledged", "ProfileMetadata": {}},
        GetCloudConfiguration={"Status": "Acknowledged"},
        **{"start com.apple.afc2": {"Request": "StartService", "Error": "InvalidService"}},
    )
    case = CaseFolder.create(tmp_path / "case", platform="ios")
    result = IosAcquirer(session, case).acquire()  # type: ignore[arg-type]
    assert result.complete and result.failed_artifacts == ()
    apps = [r for r in case.records() if r.name == "installed_apps"]
    assert [(r.outcome, r.attempt) for r in apps] == [(Outcome.FAILED, 1), (Outcome.OK, 2)]
    assert "Browse failed" in apps[1].note and "<string>Lookup</string>" in apps[1].request
    assert [a.bundle_id for a in build_ios_inventory(case).apps] == ["org.example.a"]


def test_refused_service_and_unreadable_answer_do_not_stop_the_scan(tmp_path):
    session = ScriptedSession(
        values=values_now,
        browse=[{"Status": "BrowsingApplications", "CurrentList": [APPS]}, {"Status": "Complete"}],
        **{"start com.apple.mobile.MCInstall": {"Request": "StartService", "Error": "InvalidService"},
           "start com.apple.afc2": {"Request": "StartService", "Error": "InvalidService"}},
    )
    case = CaseFolder.create(tmp_path / "case", platform="ios")
    result = IosAcquirer(session, case).acquire()  # type: ignore[arg-type]
    assert result.complete
    assert set(result.failed_artifacts) == {"profile_list", "cloud_configuration"}
    assert session.calls.count("StartService com.apple.mobile.MCInstall") == 1

    session = ScriptedSession(
        values=values_now,
        browse=[{"Status": "Complete"}],
        GetProfileList=ProtocolError("The iPhone answered something that could not be understood"),
        GetCloudConfiguration={"Status": "Acknowledged", "CloudConfiguration": {"IsSupervised": False}},
        **{"start com.apple.afc2": {"Request": "StartService", "Error": "InvalidService"}},
    )
    case = CaseFolder.create(tmp_path / "case2", platform="ios")
    result = IosAcquirer(session, case).acquire()  # type: ignore[arg-type]
    assert result.complete and result.failed_artifacts == ("profile_list",)
    outcomes = {r.name: r.outcome for r in case.records()}
    assert outcomes["profile_list"] is Outcome.FAILED and outcomes["cloud_configuration"] is Outcome.OK


def test_disconnect_in_the_middle(tmp_path):
    session = ScriptedSession(values=values_now, browse=DeviceDisconnectedError("The connection to the iPhone was lost."))
    case = CaseFolder.create(tmp_path / "case", platform="ios")
    result = IosAcquirer(session, case).acquire()  # type: ignore[arg-type]
    assert not result.complete and isinstance(result.error, DeviceDisconnectedError)
    assert result.reason == "The connection to the iPhone was lost."
    assert [(r.name, r.outcome) for r in case.records()] == [
        ("lockdown_values", Outcome.OK), ("installed_apps", Outcome.INTERRUPTED)]
    # The clock read before the cable came out still counts, with its measured drift.
    assert result.clock_drift_start_s is not None
    assert abs(result.clock_drift_start_s - PHONE_CLOCK_AHEAD_S) < 5
    assert result.clock_drift_end_s is None


def test_ctrl_c_while_the_app_list_arrives(tmp_path):
    session = ScriptedSession(values=values_now, browse=KeyboardInterrupt())
    case = CaseFolder.create(tmp_path / "case", platform="ios")
    result = IosAcquirer(session, case).acquire()  # type: ignore[arg-type]
    assert not result.complete and result.error is None
    assert result.reason == "The scan was stopped (Ctrl-C) before it finished."
    apps = case.records()[-1]
    assert (apps.name, apps.outcome) == ("installed_apps", Outcome.INTERRUPTED)
    assert apps.error == "Stopped with Ctrl-C before the answer was complete."
    assert result.failed_artifacts == ("installed_apps",)


# --------------------------------------------------------------------------- errors and the loop
@pytest.mark.parametrize("raised, expected, advice_part", [
    (pmd3.PairingDialogResponsePendingError(), DeviceUnauthorizedError, "tap Trust"),
    (pmd3.NotPairedError(), DeviceUnauthorizedError, "tap Trust"),
    (pmd3.UserDeniedPairingError(), PairingDeniedError, "Don't Trust"),
    (pmd3.PasswordRequiredError(), DeviceLockedError, "Unlock"),
    (pmd3.NoDeviceConnectedError(), NoDeviceError, "cable"),
    (pmd3.ConnectionTerminatedError(), DeviceDisconnectedError, "Everything read so far is kept"),
    (asyncio.IncompleteReadError(b"", 4), DeviceDisconnectedError, "cable"),
    (asyncio.TimeoutError(), DeviceTimeoutError, "stopped answering"),
    (pmd3.ConnectionFailedToUsbmuxdError(), DeviceError, "usbmuxd"),
])
def test_pymobiledevice3_errors_become_typed_errors_with_advice(raised, expected, advice_part):
    error = map_error(raised)
    assert isinstance(error, expected)
    assert advice_part in (error.advice or "")


def test_loop_thread_times_out_and_closes_cleanly():
    loop = LoopThread("stalkerscan-iphone-test")

    async def forever() -> None:
        await asyncio.sleep(3600)

    with pytest.raises(asyncio.TimeoutError):
        loop.run(forever, 0.2)
    assert loop.run(lambda: asyncio.sleep(0, result=42), 1.0) == 42

    # run_mapped: pymobiledevice3's errors become typed ones naming the phone; ours pass as they are.
    async def raises(exc: BaseException) -> None:
        raise exc

    with pytest.raises(DeviceUnauthorizedError) as unauthorized:
        loop.run_mapped(lambda: raises(pmd3.NotPairedError()), 1.0, udid="00008110-000000000000AAAA")
    assert unauthorized.value.message == "The iPhone 00008110-000000000000AAAA has not trusted this computer yet."
    refused = RequestRefusedError("Refused to send a request that is not on the read-only list.")
    with pytest.raises(RequestRefusedError) as same:
        loop.run_mapped(lambda: raises(refused), 1.0)
    assert same.value is refused
    with pytest.raises(DeviceTimeoutError):
        loop.run_mapped(forever, 0.2)
    loop.close()
    assert loop.loop.is_closed()
    assert not [t for t in threading.enumerate() if t.name == "stalkerscan-iphone-test"]

