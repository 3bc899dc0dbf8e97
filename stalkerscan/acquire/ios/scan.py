"""Scanning one iPhone over USB into a new case folder: the iPhone side of ``stalkerscan.api.scan``.

Order, as for Android: choose the phone and make sure it can be read (trusted, unlocked) ->
create the case -> log the device's identity in custody -> acquire -> record how it ended ->
first analysis -> seal, whatever happened. Nothing is created while the phone cannot be read
at all (not trusted, locked, unplugged): the person gets a typed error with what to do.
Once reading has started, a fault ends it early but the case is kept, sealed and verifiable.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stalkerscan.acquire.ios.acquirer import IosAcquirer
from stalkerscan.acquire.ios.channel import INSTALLATION_PROXY_SERVICE
from stalkerscan.acquire.ios.client import IphoneSession, open_session
from stalkerscan.acquire.progress import NullProgress, Progress
from stalkerscan.acquire.result import AcquisitionResult
from stalkerscan.errors import DeviceLockedError
from stalkerscan.preserve.case import CaseFolder, closed_on_crash

if TYPE_CHECKING:
    from stalkerscan.api import Case
    from stalkerscan.signatures.signature_set import SignatureSet

log = logging.getLogger(__name__)

NOT_VISIBLE_OVER_USB = (
    "Not visible over USB: who can sign in to the person's Apple ID / iCloud (and read its "
    "backups, photos, messages or location), Find My location sharing with other people, "
    "a shared Apple ID or Family Sharing, and AirTags or other trackers carried with the person."
)
"""What an iPhone scan over USB cannot see; written to the custody log and acquisition facts."""


def wait_until_readable(session: IphoneSession, *, deadline: float,
                        on_wait: Callable[[str], None] | None, poll_interval: float = 1.0) -> None:
    """Start installation_proxy, waiting (until ``deadline``) while the phone is locked.

    A locked iPhone starts no service; asking for the first one tells whether it can be read
    before any case folder is created. Raises :class:`DeviceLockedError` when time runs out.
    """
    told = False
    while True:
        try:
            session.start_service(INSTALLATION_PROXY_SERVICE)
            return
        except DeviceLockedError as exc:
            if time.monotonic() >= deadline:
                raise
            if on_wait is not None and not told:
                on_wait(exc.advice or exc.message)
                told = True
            time.sleep(min(poll_interval, max(0.0, deadline - time.monotonic())))


def _identity(session: IphoneSession, usbmux_address: str | None, trust_tapped: bool) -> dict[str, Any]:
    values = session.values
    return {
        "platform": "ios",
        "udid": session.udid,
        "serial": values.get("SerialNumber"),
        "product_type": values.get("ProductType"),
        "model_number": values.get("ModelNumber"),
        "ios_version": values.get("ProductVersion"),
        "build_version": values.get("BuildVersion"),
        "connection": session.device.connection_type,
        "usbmux_address": usbmux_address or "(system default)",
        "pairing": "trusted now, after the person tapped Trust" if trust_tapped else "existing pair record",
        "session_requests": [f"{r.channel} {r.name}" for r in session.sent],
    }


def _facts(session: IphoneSession, result: AcquisitionResult, sigs: SignatureSet) -> dict[str, Any]:
    values = session.values
    facts: dict[str, Any] = {
        "device_serial": session.udid,
        "device_model": values.get("ProductType"),
        "device_serial_number": values.get("SerialNumber"),
        "ios_version": values.get("ProductVersion"),
        "requests": result.requests,
        "requests_sent": len(session.sent),
        "bytes_read": result.bytes_read,
        "clock_drift_start_s": result.clock_drift_start_s,
        "clock_drift_end_s": result.clock_drift_end_s,
        "failed_artifacts": list(result.failed_artifacts),
        "signatures": sigs.summary(),
        "not_visible_over_usb": NOT_VISIBLE_OVER_USB,
    }
    if result.clock_drift_start_s is None:
        facts["clock_note"] = "The iPhone did not report its clock (lockdown TimeIntervalSince1970)."
    return facts


def scan_iphone(
    out_path: Path,
    *,
    udid: str | None,
    usbmux_address: str | None,
    examiner: str | None,
    case_id: str | None,
    sigs: SignatureSet,
    locale: str,
    formats: Sequence[str],
    progress: Progress | None,
    on_wait: Callable[[str], None] | None,
    wait_seconds: float,
    request_timeout: float = 60.0,
) -> Case:
    """Scan the iPhone ``udid`` (or the only one connected) into the new case folder ``out_path``.

    Waits up to ``wait_seconds`` for the person to tap Trust and unlock the phone (``on_wait``
    is told once what to do). Raises a :class:`~stalkerscan.errors.DeviceError` when the phone
    cannot be read at all (no case folder is created then); otherwise returns the case, marked
    incomplete with ``Case.error`` set if the scan stopped early.
    """
    from stalkerscan.api import finish_scan

    progress = progress or NullProgress()
    deadline = time.monotonic() + wait_seconds
    told: set[str] = set()

    def waiting(advice: str) -> None:
        # Each piece of advice once, across the Trust wait and the unlock wait.
        if advice not in told:
            told.add(advice)
            if on_wait is not None:
                on_wait(advice)

    session = open_session(udid, usbmux_address, wait_seconds=wait_seconds, on_wait=waiting,
                           request_timeout=request_timeout)
    try:
        trust_tapped = any(request.name == "Pair" for request in session.sent)
        wait_until_readable(session, deadline=deadline, on_wait=waiting)
        case = CaseFolder.create(out_path, platform="ios", source="usb", case_id=case_id, examiner=examiner)
        case.custody.append("device_identified", {
            **_identity(session, usbmux_address, trust_tapped),
            "signatures": sigs.summary(),
            "not_visible_over_usb": NOT_VISIBLE_OVER_USB,
        })
        with closed_on_crash(case, "The scan"):
            result = IosAcquirer(session, case, progress=progress).acquire()
        clock = {
            "source": "lockdown TimeIntervalSince1970, read at the start and the end of the scan",
            "phone_minus_computer_start_s": result.clock_drift_start_s,
            "phone_minus_computer_end_s": result.clock_drift_end_s,
        }
        return finish_scan(case, complete=result.complete, reason=result.reason, facts=_facts(session, result, sigs),
                           error=result.error, sigs=sigs, locale=locale, formats=formats,
                           events=[("clock_compared", clock)])
    finally:
        session.close()


