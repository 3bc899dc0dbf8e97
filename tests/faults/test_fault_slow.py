"""Slow and stalled phones: a slow answer completes; a stall past the time limit does not hang.

The pace of one answer is set with the simulator's transport faults (``slow_bytes_per_second``
paces the bytes, ``latency_ms`` delays the answer), switched on as the ``dumpsys package``
step begins and off as the next step begins, so only that answer is slow.
"""

from __future__ import annotations

import dataclasses

import pytest
from android_scan_helpers import phone_from, scan_phone
from fault_helpers import (
    StepHook,
    assert_incomplete_case,
    assert_nothing_read_is_lost,
    small_profile,
)

from stalkerscan.acquire.android.acquirer import DESCRIPTIONS
from stalkerscan.errors import DeviceTimeoutError
from stalkerscan.model.artifacts import AndroidArtifact, Outcome
from stalkerscan.preserve.verify import verify_case

pytestmark = pytest.mark.timeout(60)

DUMPSYS_STEP = DESCRIPTIONS[AndroidArtifact.DUMPSYS_PACKAGE]
NEXT_STEP = DESCRIPTIONS[AndroidArtifact.CLOCK_END]


def slow_dumpsys(phone, **faults):
    """A progress hook making only the ``dumpsys package`` answer slow."""
    normal = phone.faults

    def slow() -> None:
        phone.faults = dataclasses.replace(normal, **faults)

    def fast() -> None:
        phone.faults = normal

    return StepHook({DUMPSYS_STEP: slow, NEXT_STEP: fast})


def test_a_dumpsys_taking_five_seconds_completes(tmp_path, bundled_signatures):
    phone = phone_from(small_profile())
    size = len(phone.run_shell("dumpsys package").stdout)
    hook = slow_dumpsys(phone, slow_bytes_per_second=size // 5)  # about five seconds
    case = scan_phone(phone, tmp_path / "case", bundled_signatures, progress=hook)
    assert hook.fired == [DUMPSYS_STEP, NEXT_STEP]
    assert case.complete and case.error is None
    records = assert_nothing_read_is_lost(case.path, phone)
    dumpsys = next(r for r in records if r.name == "dumpsys_package")
    assert dumpsys.outcome is Outcome.OK and dumpsys.exit_code == 0
    assert (case.path / dumpsys.files["stdout"]).stat().st_size == size
    assert verify_case(case.path).ok
    assert phone.log.write_attempts() == []


def test_a_phone_that_never_answers_times_out(tmp_path, bundled_signatures):
    # The phone takes the request and says nothing for longer than the time limit.
    phone = phone_from(small_profile())
    hook = slow_dumpsys(phone, latency_ms=4000)
    case = scan_phone(phone, tmp_path / "case", bundled_signatures, progress=hook,
                      request_timeout=1.0)
    assert isinstance(case.error, DeviceTimeoutError)
    records = assert_incomplete_case(case, phone, interrupted="dumpsys_package")
    assert "stopped answering" in case.error.message
    assert records[-1].files == {}  # nothing arrived, nothing to keep
    assert all(r.outcome is Outcome.OK for r in records[:-1])


def test_an_answer_slower_than_the_time_limit_keeps_what_arrived(tmp_path, bundled_signatures):
    phone = phone_from(small_profile())
    size = len(phone.run_shell("dumpsys package").stdout)
    hook = slow_dumpsys(phone, slow_bytes_per_second=size // 4)  # four seconds; limit two
    case = scan_phone(phone, tmp_path / "case", bundled_signatures, progress=hook,
                      request_timeout=2.0)
    assert isinstance(case.error, DeviceTimeoutError)
    records = assert_incomplete_case(case, phone, interrupted="dumpsys_package")
    assert "--timeout" in case.error.advice  # tells how to give a slow phone more time
    kept = (case.path / records[-1].files["stdout"]).stat().st_size
    assert 0 < kept < size
