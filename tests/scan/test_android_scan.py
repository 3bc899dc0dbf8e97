"""End to end: pure-python-adb (wrapped) -> simulated ADB host server -> simulated phone.

Every test asserts from the simulator's own request log that nothing but reads was sent.
"""

from __future__ import annotations

import json

import pytest
from android_scan_helpers import phone_from, scan_phone, shell_requests

from stalkerscan import api
from stalkerscan.errors import (
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    DeviceDisconnectedError,
    DeviceUnauthorizedError,
    NoDeviceError,
)
from stalkerscan.model.artifacts import Outcome
from stalkerscan.model.case import VerdictLevel
from stalkerscan.preserve.case import CaseFolder
from stalkerscan.preserve.verify import verify_case

pytestmark = pytest.mark.timeout(120)

SUSPECT = "net.example.systemsync"


@pytest.fixture(scope="module")
def infected(tmp_path_factory, bundled_signatures):
    phone = phone_from("android-infected")
    case = scan_phone(phone, tmp_path_factory.mktemp("scan") / "case", bundled_signatures)
    return phone, case


def test_infected_phone_gives_complete_verifiable_case(infected):
    phone, case = infected
    assert case.complete and case.error is None
    assert case.exit_code == EXIT_FINDINGS
    report = verify_case(case.path)
    assert report.ok and report.sealed
    assert report.files_checked > 30
    for name in ("case.json", "custody.log", "manifest.json", "acquisition.json", "inventory.json",
                 "findings.json", "report.html", "report.json", "summary.md"):
        assert (case.path / name).is_file(), name


def test_nothing_but_reads_reached_the_phone(infected):
    phone, _ = infected
    assert phone.log.write_attempts() == []
    assert all(e.verdict.value == "read" for e in phone.log.entries())


def test_inventory_budget_is_batched(infected):
    phone, case = infected
    acquisition = json.loads((case.path / "acquisition.json").read_text())
    assert acquisition["shell_requests"] <= 20
    inventory_requests = [r for r in shell_requests(phone) if not r.startswith("pm path ")]
    assert len(inventory_requests) == acquisition["shell_requests"]
    assert len(case.result.inventory.apps) >= 150
    # APK pulls are counted apart: each `pm path` and each file read.
    pm_path = [r for r in shell_requests(phone) if r.startswith("pm path ")]
    reads = [e.request for e in phone.log.entries() if e.service == "sync"]
    assert pm_path and reads
    assert acquisition["pull_requests"] == len(pm_path) + len(reads)


def test_infected_findings(infected):
    _, case = infected
    findings = {(f.id, f.subject) for f in case.result.findings}
    assert ("android.sideloaded_surveillance_capability", SUSPECT) in findings
    assert ("android.hidden_from_launcher", SUSPECT) in findings
    assert ("android.play_protect_off", "device") in findings
    # Android 13: "unknown sources" is a per-app grant; the profile gives it to Chrome.
    assert ("android.unknown_sources_allowed", "device") in findings
    assert case.result.inventory.install_unknown_apps == ("com.android.chrome",)
    # The app the project's own signatures name (aspy.yaml, a publicly documented package).
    assert ("signature.aspy", "com.sec.android.sipibuz") in findings
    signature = next(f for f in case.result.findings if f.id == "signature.aspy")
    assert [(m.indicator_kind, m.strength.value) for m in signature.matches] == [("package", "medium")]
    assert signature.matches[0].provenance[0].source == "stalkerscan"
    assert case.result.verdict.level is VerdictLevel.KNOWN_STALKERWARE
    app = case.result.inventory.app(SUSPECT)
    assert app is not None and not app.system
    assert app.hidden_from_launcher is True
    assert any(s.package == SUSPECT and s.enabled for s in case.result.inventory.accessibility_services)
    assert any(a.package == SUSPECT for a in case.result.inventory.device_admins)


def test_sideloaded_apks_were_pulled_and_hashed(infected):
    _, case = infected
    app = case.result.inventory.app(SUSPECT)
    assert app.apks, "the sideloaded app's APK should have been pulled"
    apk = app.apks[0]
    data = (case.path / apk.case_path).read_bytes()
    import hashlib

    assert hashlib.sha256(data).hexdigest() == apk.sha256
    assert apk.certificates and apk.certificates[0].sha256


def test_every_request_is_kept_beside_its_answer(infected):
    _, case = infected
    folder = CaseFolder.open(case.path)
    records = folder.records()
    names = [r.name for r in records]
    for expected in ("getprop", "pm_list_packages", "dumpsys_package", "dumpsys_accessibility",
                     "dumpsys_device_policy", "settings_secure", "launcher_activities"):
        assert expected in names
    for record in records:
        assert record.outcome is Outcome.OK, record
        assert record.started_utc <= record.finished_utc
    getprop = next(r for r in records if r.name == "getprop")
    assert getprop.request == "getprop" and getprop.channel == "adb-shell-v2"
    assert b"[ro.product.model]" in folder.read(getprop)


def test_analyze_gives_the_same_findings(infected, bundled_signatures):
    _, case = infected
    again = api.analyze(case.path, signatures=bundled_signatures)
    first = [(f.id, f.subject) for f in case.result.findings]
    assert [(f.id, f.subject) for f in again.result.findings] == first
    assert again.analysis_dir.parent.name == "analyses"
    assert verify_case(case.path).ok


def test_clean_phone_has_no_high_severity_findings(tmp_path, bundled_signatures):
    phone = phone_from("android-clean")
    case = scan_phone(phone, tmp_path / "case", bundled_signatures)
    assert case.complete
    high = [f for f in case.result.findings if f.severity.value == "high"]
    assert high == []
    assert not any(f.kind == "signature" for f in case.result.findings)
    assert phone.log.write_attempts() == []


def small_profile(**extra):
    profile = {
        "platform": "android",
        "name": "small",
        "device": {"android_version": "11"},
        "generate": {"ordinary_apps": 20},
        "apps": [{"package": "org.example.sideloaded", "label": "Helper", "installer": "com.android.shell",
                  "launcher": False,
                  "accessibility_services": [{"class": ".Svc", "label": "Helper", "enabled": True,
                                              "bound": True}]}],
    }
    profile.update(extra)
    return profile


def test_budget_holds_at_1000_apps(tmp_path, bundled_signatures):
    phone = phone_from(small_profile(generate={"ordinary_apps": 1000}))
    case = scan_phone(phone, tmp_path / "case", bundled_signatures, pull_apks="none")
    assert case.complete
    assert len(case.result.inventory.apps) >= 1000
    assert len(shell_requests(phone)) <= 20
    assert phone.log.write_attempts() == []


@pytest.mark.parametrize(("faults", "expected_variant"), [
    ({"old_pm": True}, "pm list packages -f -i -u --user 0"),
    ({"pm_requires_user": True}, "--user 0"),
])
def test_vendor_and_version_fallbacks_are_automatic_and_recorded(tmp_path, bundled_signatures, faults, expected_variant):
    profile = small_profile(device={"android_version": "13"})
    phone = phone_from(profile, faults=faults)
    case = scan_phone(phone, tmp_path / "case", bundled_signatures, pull_apks="none")
    assert case.complete
    records = [r for r in CaseFolder.open(case.path).records() if r.name == "pm_list_packages"]
    assert len(records) >= 2
    assert records[0].outcome is Outcome.FAILED
    assert records[-1].outcome is Outcome.OK and expected_variant in records[-1].request
    assert records[-1].attempt == len(records) and records[-1].note
    assert case.result.inventory.app("org.example.sideloaded") is not None


def test_legacy_shell_with_crlf(tmp_path, bundled_signatures):
    phone = phone_from(small_profile(device={"android_version": "8.0"}), faults={"shell_v2": False, "crlf": True})
    case = scan_phone(phone, tmp_path / "case", bundled_signatures, pull_apks="none")
    assert case.complete
    record = next(r for r in CaseFolder.open(case.path).records() if r.name == "getprop")
    assert record.channel == "adb-shell" and record.exit_code is None
    assert b"\r\n" in CaseFolder.open(case.path).read(record)  # kept byte for byte
    assert case.result.inventory.device.android_version == "8.0.0"
    assert case.result.inventory.app("org.example.sideloaded").installer == "com.android.shell"


def test_cable_pulled_mid_scan_keeps_what_was_read(tmp_path, bundled_signatures):
    phone = phone_from(small_profile(), faults={"disconnect_after": 5})
    case = scan_phone(phone, tmp_path / "case", bundled_signatures)
    assert not case.complete
    assert case.exit_code == EXIT_INCOMPLETE
    assert isinstance(case.error, DeviceDisconnectedError)
    records = CaseFolder.open(case.path).records()
    assert [r.name for r in records[:3]] == ["clock_start", "getprop", "pm_list_packages"]
    assert all(r.outcome is Outcome.OK for r in records[:5])
    assert records[-1].outcome is Outcome.INTERRUPTED
    acquisition = json.loads((case.path / "acquisition.json").read_text())
    assert acquisition["complete"] is False and acquisition["incomplete_reason"]
    assert verify_case(case.path).ok
    assert case.result is not None and not case.result.info.complete
    assert case.result.inventory.app("org.example.sideloaded") is not None  # from the package list


def test_fragmented_stream_does_not_hang_the_pull(tmp_path, bundled_signatures):
    # pure-python-adb's own Sync.pull desynchronises on 3-byte pieces (upstream #52, #119).
    # A tiny phone: every answer arrives in 3-byte pieces, so keep the answers small.
    phone = phone_from(small_profile(generate={"ordinary_apps": 0, "system_apps": False}),
                       faults={"fragment": 3})
    case = scan_phone(phone, tmp_path / "case", bundled_signatures, pull_apks="sideloaded")
    assert case.complete
    app = case.result.inventory.app("org.example.sideloaded")
    assert app.apks and app.apks[0].certificates


def test_unauthorized_phone_is_a_clear_error_and_no_case(tmp_path, bundled_signatures):
    phone = phone_from(small_profile(state="unauthorized"))
    with pytest.raises(DeviceUnauthorizedError) as info:
        scan_phone(phone, tmp_path / "case", bundled_signatures, wait_seconds=0.5)
    assert "Allow" in info.value.advice
    assert not (tmp_path / "case").exists()
    assert shell_requests(phone) == []


def test_prompt_is_waited_for(tmp_path, bundled_signatures):
    phone = phone_from(small_profile(state="prompt"))
    told = []
    case = scan_phone(phone, tmp_path / "case", bundled_signatures, wait_seconds=15, on_wait=told.append,
                      pull_apks="none")
    assert case.complete
    assert told and "Allow" in told[0]


def test_no_phone(tmp_path, bundled_signatures):
    from stalkerscan.simulator.android.run import running_host_server

    with running_host_server([]) as address, pytest.raises(NoDeviceError):
        api.scan(tmp_path / "case", platform="android", adb_host=address.host, adb_port=address.port,
                 signatures=bundled_signatures, wait_seconds=0)
    assert not (tmp_path / "case").exists()


def test_existing_case_folder_is_refused_before_touching_the_phone(tmp_path, bundled_signatures):
    from stalkerscan.errors import CaseExistsError

    (tmp_path / "case").mkdir()
    (tmp_path / "case" / "keep.txt").write_text("x")
    phone = phone_from(small_profile())
    with pytest.raises(CaseExistsError):
        scan_phone(phone, tmp_path / "case", bundled_signatures)
    assert phone.log.entries() == []


def test_verify_catches_a_flipped_byte_in_every_file_of_a_real_case(infected, tmp_path):
    import shutil

    _, case = infected
    copy = tmp_path / "copy"
    shutil.copytree(case.path, copy)
    files = sorted(p for p in copy.rglob("*") if p.is_file())
    assert len(files) > 30
    for path in files:
        original = path.read_bytes()
        if not original:
            continue  # an empty file has no byte to flip; its hash still covers it
        changed = bytearray(original)
        changed[len(changed) // 2] ^= 0x20
        path.chmod(0o600)
        path.write_bytes(bytes(changed))
        report = verify_case(copy)
        rel = path.relative_to(copy).as_posix()
        assert not report.ok, rel
        if rel != "custody.log":
            assert rel in report.changed, rel
        path.write_bytes(original)
    assert verify_case(copy).ok


def test_a_bug_during_the_scan_still_closes_and_seals_the_case(tmp_path, bundled_signatures, monkeypatch):
    def broken(*_args):
        raise RuntimeError("a bug in choosing APKs")

    monkeypatch.setattr("stalkerscan.api.apks_worth_pulling", broken)
    phone = phone_from(small_profile())
    with pytest.raises(RuntimeError):
        scan_phone(phone, tmp_path / "case", bundled_signatures)
    acquisition = json.loads((tmp_path / "case" / "acquisition.json").read_text())
    assert acquisition["complete"] is False
    assert acquisition["incomplete_reason"] == (
        "The scan stopped unexpectedly (an internal error, RuntimeError). Everything read before that is kept.")
    report = verify_case(tmp_path / "case")
    assert report.ok and report.sealed
    assert [r.name for r in CaseFolder.open(tmp_path / "case").records()][-1] == "clock_end"


def test_phone_clock_drift_is_measured_and_kept(tmp_path, bundled_signatures):
    # The phone's clock runs an hour ahead of the computer's: the custody facts must say so.
    phone = phone_from(small_profile(clock={"offset_seconds": 3600}))
    case = scan_phone(phone, tmp_path / "case", bundled_signatures, pull_apks="none")
    acquisition = json.loads((case.path / "acquisition.json").read_text())
    assert 3595 <= acquisition["clock_drift_start_s"] <= 3605
    assert 3595 <= acquisition["clock_drift_end_s"] <= 3605
    assert case.result.info.clock_drift_start_s == acquisition["clock_drift_start_s"]
