"""The cable pulled at every step of the Android plan, and answers cut short mid-stream.

Every case must be marked incomplete with a plain reason, keep every answer that arrived
(byte for byte; the cut one as a prefix), verify, exit 4, and show only reads in the
simulator's request log.
"""

from __future__ import annotations

import pytest
from android_scan_helpers import phone_from, scan_phone, served
from fault_helpers import (
    SIDELOADED,
    CuttingProxy,
    assert_incomplete_case,
    records_of,
    scan_through,
    small_profile,
)

from stalkerscan.model.artifacts import Outcome

pytestmark = pytest.mark.timeout(60)

# The plan for small_profile(): 15 inventory reads, `pm path` for the sideloaded app, then
# the sync read of its APK. test_plan_is_what_the_matrix_covers keeps this list honest.
PLAN = [
    "clock_start", "getprop", "pm_list_packages", "dumpsys_accessibility",
    "dumpsys_device_policy", "settings_secure", "settings_global", "settings_system",
    "launcher_activities", "usage_access", "install_unknown_apps", "users", "root_check", "dumpsys_package",
    "clock_end", "apk_paths", "apk",
]


def test_plan_is_what_the_matrix_covers(tmp_path, bundled_signatures):
    phone = phone_from(small_profile())
    case = scan_phone(phone, tmp_path / "case", bundled_signatures)
    assert case.complete
    assert [r.name for r in records_of(case.path)] == PLAN
    assert len(phone.log.entries()) == len(PLAN)


@pytest.mark.parametrize("pulled_at", range(len(PLAN)), ids=PLAN)
def test_cable_pulled_at_each_step(tmp_path, bundled_signatures, pulled_at):
    # disconnect_after=N: the phone answers N requests, and the cable comes out when
    # request N+1 arrives.
    phone = phone_from(small_profile(), faults={"disconnect_after": pulled_at})
    case = scan_phone(phone, tmp_path / "case", bundled_signatures)
    records = assert_incomplete_case(case, phone, interrupted=PLAN[pulled_at])
    assert [r.name for r in records] == PLAN[:pulled_at + 1]
    assert all(r.outcome is Outcome.OK for r in records[:-1])
    # The scan stopped at once: nothing more was attempted after the cable came out.
    assert len(phone.log.entries()) == pulled_at
    assert "cable" in case.error.advice.lower()
    # What was read before the cable came out is still analysed: the package list names the
    # sideloaded app from the third step on.
    if pulled_at > PLAN.index("pm_list_packages"):
        assert case.result.inventory.app(SIDELOADED) is not None


@pytest.mark.parametrize("how", ["fin", "rst"])
@pytest.mark.parametrize(("trigger", "artifact", "after_bytes"), [
    (b"dumpsys package", "dumpsys_package", 8 + 5 + 1000),  # OKAY OKAY, a v2 header, 1000 bytes
    (b"RECV", "apk", 8 + 8 + 20_000),  # OKAY OKAY, a DATA header, 20,000 bytes of the APK
], ids=["dumpsys", "apk"])
def test_cable_pulled_in_the_middle_of_an_answer(tmp_path, bundled_signatures, trigger, artifact,
                                                 after_bytes, how):
    profile = small_profile()
    profile["apps"][0]["apk"] = {"padding_bytes": 100_000}  # an APK of several sync chunks
    phone = phone_from(profile)
    with served(phone) as address, \
            CuttingProxy((address.host, address.port), trigger, after_bytes, how) as proxy:
        case = scan_through(proxy.port, tmp_path / "case", bundled_signatures)
    assert proxy.cut.is_set()
    records = assert_incomplete_case(case, phone, interrupted=artifact)
    stream = records[-1].files.get("data" if artifact == "apk" else "stdout")
    kept = (case.path / stream).stat().st_size if stream else 0
    sent = after_bytes - (16 if artifact == "apk" else 13)
    if how == "fin":
        assert kept == sent  # every byte that came down the cable is kept
    else:
        # A reset may destroy bytes still in the computer's receive buffer, unread: those
        # never arrived, and whatever did is kept (a prefix, checked above).
        assert kept <= sent


def test_answer_cut_exactly_between_two_shell_packets(tmp_path, bundled_signatures):
    # Shell protocol v2 ends every answer with an exit packet: a stream that ends cleanly
    # between two packets, before it, was cut (the cable came out between packets) and must
    # not be kept as a complete answer.
    phone = phone_from(small_profile(generate={"ordinary_apps": 20, "system_apps": False}))
    full = len(phone.run_shell("dumpsys package").stdout)
    assert full > 32 * 1024  # the phone sends it as several 32 KiB packets
    with served(phone) as address, \
            CuttingProxy((address.host, address.port), b"dumpsys package", 8 + 5 + 32 * 1024) as proxy:
        case = scan_through(proxy.port, tmp_path / "case", bundled_signatures)
    assert proxy.cut.is_set()
    records = assert_incomplete_case(case, phone, interrupted="dumpsys_package")
    assert (case.path / records[-1].files["stdout"]).stat().st_size == 32 * 1024
