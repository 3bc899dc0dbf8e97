"""Case folders: exclusive writes, records, sealing, verification of every kind of change."""

from __future__ import annotations

import json
import os
import stat

import pytest

from stalkerscan.errors import CaseExistsError, CaseNotFoundError, CaseWriteError
from stalkerscan.model.artifacts import Outcome, latest
from stalkerscan.preserve.case import CaseFolder, safe_component
from stalkerscan.preserve.verify import verify_case


def make_case(tmp_path, *, seal=True):
    case = CaseFolder.create(tmp_path / "case", platform="android", case_id="C-1", examiner="Sam")
    with case.begin_record("getprop", channel="adb-shell-v2", request="getprop") as rec:
        rec.write("stdout", b"[ro.product.model]: [Pixel 7]\n")
    with case.begin_record("dumpsys_package", channel="adb-shell-v2", request="dumpsys package") as rec:
        rec.write("stdout", b"Packages:\n")
        rec.write("stdout", b"  Package [a.b] (1):\n")
        rec.write("stderr", b"warning\n")
        rec.finish(Outcome.OK, exit_code=0)
    case.write_file("inventory.json", b"{}\n")
    if seal:
        case.close_acquisition(complete=True, reason=None, facts={"serial": "X"})
        case.seal()
    return case


def test_records_round_trip(tmp_path):
    case = make_case(tmp_path)
    reopened = CaseFolder.open(case.root)
    records = reopened.records()
    assert [r.name for r in records] == ["getprop", "dumpsys_package"]
    record = latest(reopened, "dumpsys_package")
    assert reopened.read(record) == b"Packages:\n  Package [a.b] (1):\n"
    assert reopened.read(record, "stderr") == b"warning\n"
    assert record.exit_code == 0 and record.platform == "android"
    assert record.files["stdout"] == "raw/0002-dumpsys_package.stdout"


def test_refuses_non_empty_folder(tmp_path):
    target = tmp_path / "case"
    target.mkdir()
    (target / "something").write_text("x")
    with pytest.raises(CaseExistsError) as info:
        CaseFolder.create(target, platform="android")
    assert "never overwrites" in str(info.value)
    assert (target / "something").read_text() == "x"


def test_empty_existing_folder_is_accepted(tmp_path):
    target = tmp_path / "case"
    target.mkdir()
    case = CaseFolder.create(target, platform="ios")
    assert case.root == target and case.meta.platform == "ios"
    assert json.loads((target / "case.json").read_bytes())["platform"] == "ios"


def test_permissions_are_private(tmp_path):
    case = make_case(tmp_path)
    assert stat.S_IMODE(os.stat(case.root).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(case.root / "raw").st_mode) == 0o700
    for rel in case.files():
        assert stat.S_IMODE(os.stat(case.root / rel).st_mode) == 0o600, rel


def test_files_are_never_overwritten(tmp_path):
    case = make_case(tmp_path)
    with pytest.raises(CaseWriteError):
        case.write_file("inventory.json", b"other")
    assert (case.root / "inventory.json").read_bytes() == b"{}\n"


def test_writes_outside_the_case_are_refused(tmp_path):
    case = make_case(tmp_path, seal=False)
    with pytest.raises(CaseWriteError):
        case.write_file("../escape.txt", b"x")
    assert not (tmp_path / "escape.txt").exists()


def test_interrupted_record_keeps_partial_bytes(tmp_path):
    case = CaseFolder.create(tmp_path / "case", platform="android")
    writer = case.begin_record("dumpsys_package", channel="adb-shell-v2", request="dumpsys package")
    with pytest.raises(ConnectionResetError), writer as rec:
        rec.write("stdout", b"Packages:\n  Package [x")
        raise ConnectionResetError("cable pulled")
    record = case.records()[0]
    assert record.outcome is Outcome.INTERRUPTED
    assert record.error == "cable pulled"
    assert case.read(record) == b"Packages:\n  Package [x"
    case.close_acquisition(complete=False, reason="cable pulled", facts={})
    case.seal()
    assert verify_case(case.root).ok


def test_verify_clean_case(tmp_path):
    case = make_case(tmp_path)
    report = verify_case(case.root)
    assert report.ok, report
    assert report.sealed
    # case.json, acquisition.json, inventory.json, 2 request records, 3 streams
    assert report.files_checked == 8


@pytest.mark.parametrize("victim", ["raw/0001-getprop.stdout", "inventory.json", "case.json",
                                    "acquisition.json", "raw/0002-dumpsys_package.request.json",
                                    "manifest.json"])
def test_verify_catches_a_single_flipped_byte(tmp_path, victim):
    case = make_case(tmp_path)
    path = case.root / victim
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    os.chmod(path, 0o600)
    path.write_bytes(bytes(data))
    report = verify_case(case.root)
    assert not report.ok
    assert victim in report.changed


def test_verify_names_missing_and_added_files(tmp_path):
    case = make_case(tmp_path)
    (case.root / "raw/0001-getprop.stdout").unlink()
    (case.root / "raw/planted.txt").write_bytes(b"x")
    report = verify_case(case.root)
    assert report.missing == ("raw/0001-getprop.stdout",)
    assert report.added == ("raw/planted.txt",)


def test_verify_catches_custody_edits(tmp_path):
    case = make_case(tmp_path)
    log = case.root / "custody.log"
    lines = log.read_bytes().splitlines(keepends=True)
    entry = json.loads(lines[0])
    entry["details"]["examiner"] = "Someone Else"
    lines[0] = json.dumps(entry, sort_keys=True).encode() + b"\n"
    log.write_bytes(b"".join(lines))
    report = verify_case(case.root)
    assert any("line 2" in p for p in report.custody_problems)


def test_verify_catches_truncated_custody(tmp_path):
    case = make_case(tmp_path)
    log = case.root / "custody.log"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:-3]))
    report = verify_case(case.root)
    assert not report.ok
    assert "custody.log is shorter than when manifest.json was written (lines removed)" in report.custody_problems


def test_unsealed_case_verifies_from_custody(tmp_path):
    case = make_case(tmp_path, seal=False)
    report = verify_case(case.root)
    assert report.ok and not report.sealed
    (case.root / "raw/0001-getprop.stdout").write_bytes(b"tampered")
    assert "raw/0001-getprop.stdout" in verify_case(case.root).changed


def test_analysis_folders_are_sealed_separately(tmp_path):
    case = make_case(tmp_path)
    analysis = case.new_analysis()
    analysis.write_file("findings.json", b"[]\n")
    analysis.seal("analysed", {"signatures": "test"})
    assert verify_case(case.root).ok
    (analysis.path / "findings.json").write_bytes(b"[1]\n")
    assert f"{analysis.rel}/findings.json" in verify_case(case.root).changed


def test_open_refuses_non_case(tmp_path):
    with pytest.raises(CaseNotFoundError):
        CaseFolder.open(tmp_path)


@pytest.mark.parametrize("hostile", ["../../etc", "a/b", "x\x00y", "\u202eevil", "a" * 500, "..", ""])
def test_safe_component_neutralises_hostile_names(hostile):
    name = safe_component(hostile, "package")
    assert name.startswith("package-") and "/" not in name and ".." not in name


def test_apk_paths_stay_inside(tmp_path):
    case = make_case(tmp_path, seal=False)
    rel = case.apk_path("../../evil", "/data/app/../../x/base.apk", 0)
    assert rel.startswith("apks/package-") and rel.endswith("/base.apk")
    assert case.apk_path("com.example.app", "/data/app/x/split_config.en.apk", 1) == \
        "apks/com.example.app/split_config.en.apk"


def test_case_fingerprint_is_the_manifest_hash_and_never_follows_a_link(tmp_path):
    import hashlib

    from stalkerscan.preserve.manifest import case_fingerprint

    unsealed = make_case(tmp_path / "a", seal=False)
    assert case_fingerprint(unsealed.root) is None
    case = make_case(tmp_path / "b")
    manifest = case.root / "manifest.json"
    assert case_fingerprint(case.root) == hashlib.sha256(manifest.read_bytes()).hexdigest()
    # A manifest swapped for a link to another (valid) manifest has no fingerprint.
    other = make_case(tmp_path / "c")
    os.chmod(manifest, 0o600)
    manifest.unlink()
    manifest.symlink_to(other.root / "manifest.json")
    assert case_fingerprint(case.root) is None


def test_evidence_list_before_sealing_is_what_the_custody_log_recorded(tmp_path):
    import hashlib

    from stalkerscan.analysis import evidence_entries

    # The first analysis runs before the case is sealed: every file written so far, with
    # the hash recorded as it was written, acquisition.json included.
    case = make_case(tmp_path, seal=False)
    case.close_acquisition(complete=True, reason=None, facts={})
    before = {e.path: (e.sha256, e.size) for e in evidence_entries(case)}
    expected = {rel: (hashlib.sha256((case.root / rel).read_bytes()).hexdigest(), (case.root / rel).stat().st_size)
                for rel in case.files() if rel != "custody.log"}
    assert before == expected
    # Once sealed, the manifest gives the same list.
    case.seal()
    assert {e.path: (e.sha256, e.size) for e in evidence_entries(case)} == expected
