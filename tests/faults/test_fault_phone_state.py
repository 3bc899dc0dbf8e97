"""The phone turns unauthorized or goes offline in the middle of a scan.

The simulated adb host server asks the phone model for its state on every request that
selects it (``host:transport:SERIAL``), as the real adb server does with its transport's
state; a progress hook changes ``phone.state`` as a chosen step begins, so the very next
request meets the new state. (An Android phone that merely locks its screen keeps answering
adb; there is no "locked" state to test on Android.)
"""

from __future__ import annotations

import pytest
from android_scan_helpers import phone_from, scan_phone
from fault_helpers import StepHook, assert_incomplete_case, assert_plain, small_profile

from stalkerscan.acquire.android.acquirer import DESCRIPTIONS
from stalkerscan.errors import EXIT_DEVICE, DeviceOfflineError, DeviceUnauthorizedError
from stalkerscan.model.artifacts import AndroidArtifact, Outcome
from stalkerscan.simulator.android.base import AndroidState

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize(("state", "error_type", "reason", "advice_word"), [
    (AndroidState.UNAUTHORIZED, DeviceUnauthorizedError, "has not allowed USB debugging", "Allow"),
    (AndroidState.OFFLINE, DeviceOfflineError, "is offline", "Unplug"),
], ids=["unauthorized", "offline"])
def test_phone_state_changes_mid_scan(tmp_path, bundled_signatures, state, error_type, reason,
                                      advice_word):
    phone = phone_from(small_profile())

    def change() -> None:
        phone.state = state

    hook = StepHook({DESCRIPTIONS[AndroidArtifact.SETTINGS_SECURE]: change})
    case = scan_phone(phone, tmp_path / "case", bundled_signatures, progress=hook)
    assert hook.fired
    assert isinstance(case.error, error_type)
    assert advice_word in case.error.advice
    assert case.error.message.startswith(f"The phone {phone.serial} ")
    records = assert_incomplete_case(case, phone, interrupted="settings_secure",
                                     reason_contains=reason)
    assert [r.name for r in records[:-1]] == ["clock_start", "getprop", "pm_list_packages",
                                              "dumpsys_accessibility", "dumpsys_device_policy"]
    assert all(r.outcome is Outcome.OK for r in records[:-1])
    # The refused request never reached the phone, and nothing was tried after it.
    assert len(phone.log.entries()) == 5
    assert records[-1].files == {}


def test_phone_unauthorized_while_an_apk_is_being_copied(tmp_path, bundled_signatures):
    phone = phone_from(small_profile())

    def revoke() -> None:
        phone.state = AndroidState.UNAUTHORIZED

    hook = StepHook({"Copying the app file": revoke})
    case = scan_phone(phone, tmp_path / "case", bundled_signatures, progress=hook)
    assert isinstance(case.error, DeviceUnauthorizedError)
    records = assert_incomplete_case(case, phone, interrupted="apk_paths")
    assert [r.name for r in records if r.outcome is Outcome.OK][-1] == "clock_end"
    assert case.result.inventory.app("org.example.sideloaded") is not None


@pytest.mark.parametrize(("state", "error_type"), [
    ("unauthorized", DeviceUnauthorizedError),
    ("offline", DeviceOfflineError),
])
def test_no_case_starts_when_the_phone_is_not_ready(tmp_path, bundled_signatures, state, error_type):
    # Nothing could be read: a device error (exit code 3), and no case folder at all.
    phone = phone_from(small_profile(state=state))
    with pytest.raises(error_type) as info:
        scan_phone(phone, tmp_path / "case", bundled_signatures, wait_seconds=0.3)
    assert info.value.exit_code == EXIT_DEVICE
    assert_plain(info.value.message)
    assert_plain(info.value.advice)
    assert not (tmp_path / "case").exists()
    assert phone.log.entries() == []
