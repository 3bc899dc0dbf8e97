"""Odd streams: answers in tiny pieces, bytes that are not UTF-8, a 50 MB ``dumpsys package``.

(Streams cut short, cleanly or by a reset, mid-packet or between packets, are in
test_fault_cable.py.)
"""

from __future__ import annotations

import time
import tracemalloc

import pytest
from android_scan_helpers import phone_from, scan_phone
from fault_helpers import (
    SIDELOADED,
    assert_nothing_read_is_lost,
    assert_reports_valid,
    records_of,
    small_profile,
)

from stalkerscan.model.artifacts import Outcome
from stalkerscan.preserve.case import CaseFolder
from stalkerscan.preserve.verify import verify_case

pytestmark = pytest.mark.timeout(90)


def assert_complete_and_exact(case, phone):
    assert case.complete and case.error is None, case.error
    records = assert_nothing_read_is_lost(case.path, phone)
    assert all(r.outcome is Outcome.OK for r in records)
    report = verify_case(case.path)
    assert report.ok and report.sealed
    assert phone.log.write_attempts() == []
    return records


@pytest.mark.parametrize("piece", [5, 4099])
def test_fragmented_answers(tmp_path, bundled_signatures, piece):
    # 5 bytes: exactly a shell v2 header per piece (and sync headers split in two); 4099: odd,
    # straddling every header. A tiny phone keeps a 5-byte trickle short.
    phone = phone_from(small_profile(generate={"ordinary_apps": 0, "system_apps": False}),
                       faults={"fragment": piece})
    case = scan_phone(phone, tmp_path / "case", bundled_signatures)
    records = assert_complete_and_exact(case, phone)
    assert [r.name for r in records][-1] == "apk"
    app = case.result.inventory.app(SIDELOADED)
    assert app.apks and app.apks[0].certificates  # the APK arrived whole


def test_output_that_is_not_utf8(tmp_path, bundled_signatures):
    profile = small_profile()
    profile["apps"][0].update({
        "label": "Help\udcff\udcfeer",
        "version_name": "1.0-\udc80\udcc0",
        "accessibility_services": [{"class": ".Svc", "label": "Sv\udce9c", "enabled": True,
                                    "bound": True}],
    })
    phone = phone_from(profile, faults={"non_utf8": True})
    case = scan_phone(phone, tmp_path / "case", bundled_signatures)
    assert_complete_and_exact(case, phone)
    folder = CaseFolder.open(case.path)
    by_name = {r.name: r for r in folder.records()}
    # Kept byte for byte, invalid bytes and all.
    assert b"Jos\xe9's phone" in folder.read(by_name["settings_global"])
    assert b"\xff\xfe" in folder.read(by_name["dumpsys_accessibility"])
    assert b"versionName=1.0-\x80\xc0" in folder.read(by_name["dumpsys_package"])
    # Parsed with the bad bytes replaced, not dropped and not fatal.
    app = case.result.inventory.app(SIDELOADED)
    assert app.version_name is not None and app.version_name.startswith("1.0-")
    assert "\ufffd" in app.version_name
    services = [s for s in case.result.inventory.accessibility_services if s.package == SIDELOADED]
    assert services and services[0].enabled
    assert_reports_valid(case.path)
    html = (case.path / "report.html").read_text(encoding="utf-8")  # the report is valid UTF-8
    assert SIDELOADED in html


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_50_mb_dumpsys_package(tmp_path, bundled_signatures):
    phone = phone_from(small_profile(), faults={"huge_dumpsys_mb": 50})
    tracemalloc.start()
    started = time.monotonic()
    try:
        case = scan_phone(phone, tmp_path / "case", bundled_signatures)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.monotonic() - started
    # Printed for the record (docs/reliability.md); timing and memory are never asserted.
    # The peak includes the simulated phone's own copy of its answer (same process).
    print(f"\n50 MB dumpsys package: scan {elapsed:.1f} s under tracemalloc, "
          f"Python peak {peak / 2**20:.0f} MiB")
    records = assert_complete_and_exact(case, phone)
    dumpsys = next(r for r in records if r.name == "dumpsys_package")
    assert (case.path / dumpsys.files["stdout"]).stat().st_size >= 50 * 10**6
    assert case.result.inventory.app(SIDELOADED) is not None
    assert [r.name for r in records_of(case.path)][-1] == "apk"
