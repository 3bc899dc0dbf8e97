"""A case folder someone tampered with, or planted, must never make stalkerscan write outside
it, read files outside it, or hang; `verify` must report, never crash.

Threat: a case folder received from elsewhere, or edited by someone with access to the
laptop, holding symbolic links, FIFOs, absolute paths in request records, or garbage in the
custody log and manifests.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

import pytest

from stalkerscan import api
from stalkerscan.analysis import evidence_entries, inspect_pulled_apks
from stalkerscan.errors import CaseError, CaseExistsError, CaseWriteError
from stalkerscan.model.artifacts import Outcome
from stalkerscan.preserve.case import CaseFolder, safe_component
from stalkerscan.preserve.verify import verify_case

SECRET = b"-----BEGIN OPENSSH PRIVATE KEY----- not for the report\n"

posix_only = pytest.mark.skipif(sys.platform.startswith("win"), reason="symlinks and FIFOs")


def sealed_case(tmp_path, *, seal: bool = True) -> CaseFolder:
    case = CaseFolder.create(tmp_path / "case", platform="android", case_id="C-1", examiner="Sam")
    with case.begin_record("getprop", channel="adb-shell-v2", request="getprop") as rec:
        rec.write("stdout", b"[ro.product.model]: [Pixel 7]\n")
    if seal:
        case.close_acquisition(complete=True, reason=None, facts={})
        case.seal()
    return case


@pytest.fixture
def secret(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    path = outside / "id_ed25519"
    path.write_bytes(SECRET)
    return path


# --------------------------------------------------------------------------- creating
@posix_only
def test_out_folder_that_is_a_symlink_is_refused(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "case"
    link.symlink_to(target)
    with pytest.raises(CaseExistsError) as info:
        CaseFolder.create(link, platform="android")
    assert "symbolic link" in info.value.message
    with pytest.raises(CaseExistsError):
        api.ensure_new_case_dir(link)
    assert list(target.iterdir()) == []


@posix_only
def test_dangling_symlink_as_out_folder_is_refused(tmp_path):
    link = tmp_path / "case"
    link.symlink_to(tmp_path / "not-yet")
    with pytest.raises(CaseExistsError):
        CaseFolder.create(link, platform="android")
    assert not (tmp_path / "not-yet").exists()


# --------------------------------------------------------------------------- writing
@posix_only
def test_symlinked_analyses_folder_is_never_written_through(tmp_path, bundled_signatures):
    case = sealed_case(tmp_path)
    elsewhere = tmp_path / "autostart"
    elsewhere.mkdir()
    (case.root / "analyses").symlink_to(elsewhere)
    with pytest.raises(CaseWriteError):
        api.analyze(case.root, signatures=bundled_signatures)
    assert list(elsewhere.iterdir()) == []


@posix_only
def test_symlinked_subfolder_is_never_written_through(tmp_path):
    case = sealed_case(tmp_path, seal=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (case.root / "apks" / "org.example.spy").symlink_to(elsewhere)
    with pytest.raises(CaseWriteError):
        case.write_file("apks/org.example.spy/base.apk", b"PK")
    assert list(elsewhere.iterdir()) == []


@posix_only
def test_custody_log_symlink_is_never_appended_to(tmp_path, secret):
    case = sealed_case(tmp_path)
    log = case.root / "custody.log"
    log.unlink()
    log.symlink_to(secret)
    reopened = CaseFolder.open(case.root)
    with pytest.raises(CaseWriteError):
        reopened.custody.append("analysed", {})
    assert secret.read_bytes() == SECRET


# --------------------------------------------------------------------------- reading
@posix_only
def test_raw_file_replaced_by_symlink_is_not_read(tmp_path, secret):
    case = sealed_case(tmp_path)
    record = case.records()[0]
    stdout = case.root / record.files["stdout"]
    stdout.unlink()
    stdout.symlink_to(secret)
    assert CaseFolder.open(case.root).read(record) == b""
    report = verify_case(case.root)
    assert not report.ok
    assert record.files["stdout"] in report.changed


def test_record_naming_a_file_outside_the_case_is_not_read(tmp_path, secret):
    case = sealed_case(tmp_path, seal=False)
    path = case.root / "raw" / "0001-getprop.request.json"
    data = json.loads(path.read_bytes())
    for hostile in (str(secret), "../outside/id_ed25519", "raw/../../outside/id_ed25519",
                    "raw/x\x00y"):
        data["files"] = {"stdout": hostile}
        path.chmod(0o600)
        path.write_text(json.dumps(data))
        reopened = CaseFolder.open(case.root)
        assert reopened.read(reopened.records()[0]) == b"", hostile


def test_pulled_apk_record_naming_an_outside_file_is_not_inspected(tmp_path, secret):
    case = CaseFolder.create(tmp_path / "case", platform="android")
    writer = case.begin_record("apk", channel="adb-sync", request="RECV /data/app/x/base.apk",
                               subject="org.example.spy",
                               stream_paths={"data": str(secret)})
    # A tampered record: the writer itself refuses the absolute path...
    with pytest.raises(CaseWriteError):
        writer.write("data", b"PK")
    # ...and a record edited afterwards to point outside is never opened.
    with case.begin_record("apk", channel="adb-sync", request="RECV /data/app/x/base.apk",
                           subject="org.example.spy") as rec:
        rec.write("data", b"PK\x05\x06" + b"\0" * 18)
    path = next((case.root / "raw").glob("*-apk.request.json"))
    data = json.loads(path.read_bytes())
    data["files"] = {"data": str(secret)}
    path.write_text(json.dumps(data))
    apks, labels = inspect_pulled_apks(CaseFolder.open(case.root))
    assert apks == {} and labels == {}


@posix_only
@pytest.mark.timeout(30)
def test_fifo_in_an_unsealed_case_does_not_hang_sealing(tmp_path, bundled_signatures):
    case = sealed_case(tmp_path, seal=False)
    os.mkfifo(case.root / "raw" / "9999-trap.stdout")
    (case.root / "raw" / "9998-zero.stdout").symlink_to("/dev/zero")
    result = api.analyze(case.root, signatures=bundled_signatures)
    manifest = json.loads((case.root / "manifest.json").read_bytes())
    listed = {entry["path"] for entry in manifest["files"]}
    assert "raw/9999-trap.stdout" not in listed and "raw/9998-zero.stdout" not in listed
    assert "raw/0001-getprop.stdout" in listed
    assert result.result.inventory.device.model == "Pixel 7"  # the real evidence was still analysed
    report = verify_case(case.root)
    assert {"raw/9999-trap.stdout", "raw/9998-zero.stdout"} <= set(report.added)


@posix_only
@pytest.mark.parametrize("plant", ["link-to-secret", "link-to-folder", "fifo"])
def test_androidqf_copy_holding_a_link_is_not_read(tmp_path, secret, bundled_signatures, plant):
    # The androidqf copy is parsed as a folder: a link planted in it must not make `analyze`
    # read (and the report show) a file from elsewhere, nor a FIFO hang it.
    source = tmp_path / "androidqf"
    source.mkdir()
    (source / "getprop.txt").write_text("[ro.product.model]: [Pixel 7]\n")
    case = api.scan_androidqf(source, tmp_path / "case", signatures=bundled_signatures)
    assert case.result.inventory.device.model == "Pixel 7"
    planted = case.path / "import" / "getprop.txt"
    planted.chmod(0o600)
    planted.unlink()
    if plant == "link-to-secret":
        planted.symlink_to(secret)
    elif plant == "link-to-folder":
        (case.path / "import" / "settings_secure.txt").symlink_to(secret.parent)
    else:
        os.mkfifo(planted)
    with pytest.raises(CaseError) as error:
        api.analyze(case.path, signatures=bundled_signatures)
    assert "not a regular file" in error.value.message and "verify" in error.value.advice
    leaked = [p for p in case.path.rglob("*") if p.is_file() and not p.is_symlink()
              and SECRET.strip() in p.read_bytes()]
    assert leaked == []


@posix_only
@pytest.mark.timeout(30)
def test_androidqf_apk_naming_a_file_outside_the_case_is_never_opened(tmp_path, bundled_signatures):
    # packages.json comes from elsewhere: its local_name for an APK may point anywhere on this
    # computer. YARA reads only APK files kept in the case (a FIFO here would hang if opened).
    trap = tmp_path / "trap.apk"
    os.mkfifo(trap)
    source = tmp_path / "androidqf"
    source.mkdir()
    (source / "packages.json").write_text(json.dumps([{
        "name": "org.example.spy", "files": [{"path": "/data/app/x/base.apk", "local_name": str(trap),
                                              "sha256": "ab" * 32}]}]))
    case = api.scan_androidqf(source, tmp_path / "case", signatures=bundled_signatures)
    app = case.result.inventory.app("org.example.spy")
    assert app.apks[0].case_path == "trap.apk"  # listed by its bare name, never a foreign path...
    assert not [w for w in case.result.signatures.warnings if "trap.apk" in w]  # ...never opened


# --------------------------------------------------------------------------- verify
@pytest.mark.parametrize("files", [
    {"raw/0001-getprop.stdout": {"sha256": "00" * 32, "size": "huge"}},
    {"raw/0001-getprop.stdout": {"sha256": None, "size": None}},
    {"/etc/passwd": {"sha256": "00" * 32, "size": 1}},
    {"../../etc/passwd": {"sha256": "00" * 32, "size": 1}},
    {"raw/a\x00b": {"sha256": "00" * 32, "size": 1}},
    ["not", "a", "mapping"],
    "text",
])
def test_verify_reports_garbage_custody_entries_without_crashing(tmp_path, files):
    case = sealed_case(tmp_path)
    case.custody.append("captured", {"seq": 99, "files": files})
    report = verify_case(case.root)
    assert not report.ok  # the odd entry is named, whatever it holds
    assert not any(p.startswith("/") or ".." in p.split("/") for p in report.changed + report.missing)


@pytest.mark.parametrize("mutate", [
    lambda m: m.update(custody=["x"]),
    lambda m: m.update(custody={"lines": -1000, "head": "x"}),
    lambda m: m.update(custody={"lines": "many", "head": "x"}),
    lambda m: m.update(files=[{"path": "/etc/passwd", "sha256": "00", "size": 1}]),
    lambda m: m.update(files="nope"),
])
def test_verify_reports_garbage_manifests_without_crashing(tmp_path, mutate):
    case = sealed_case(tmp_path)
    path = case.root / "manifest.json"
    manifest = json.loads(path.read_bytes())
    mutate(manifest)
    path.chmod(0o600)
    path.write_text(json.dumps(manifest))
    report = verify_case(case.root)
    assert not report.ok
    assert "manifest.json" in report.changed
    # The report's evidence list copes too: it never names a path outside the case, and when
    # the manifest is unusable it lists what the custody log recorded.
    entries = evidence_entries(CaseFolder.open(case.root))
    paths = {entry.path for entry in entries}
    assert {"case.json", "raw/0001-getprop.stdout"} <= paths
    assert all(not p.startswith("/") and ".." not in p.split("/") for p in paths)
    assert all(len(entry.sha256) == 64 for entry in entries)


def test_verify_of_an_intact_case_still_passes(tmp_path):
    case = sealed_case(tmp_path)
    report = verify_case(case.root)
    assert report.ok, report


# --------------------------------------------------------------------------- names
@pytest.mark.parametrize("name", ["con.example", "NUL.example", "com1.example", "aux", "Lpt9.x",
                                  "trailing.", "a" * 200])
def test_file_names_from_device_text_are_portable(name):
    safe = safe_component(name, "package")
    assert safe.startswith("package-")


def test_case_insensitive_clashes_get_distinct_apk_names(tmp_path):
    case = sealed_case(tmp_path, seal=False)
    first = case.apk_path("org.example.app", "/data/app/x/base.apk", 0)
    case.write_file(first, b"1")
    taken = {first}
    for _ in range(3):
        # Same folder and file name again (as on a case-insensitive disk): never reused.
        again = case.apk_path("org.example.app", "/data/app/y/base.apk", 0)
        assert again not in taken
        case.write_file(again, b"2")
        taken.add(again)
    assert all(name.startswith("apks/org.example.app/") for name in taken)


def test_records_keep_their_outcome_after_the_fixes(tmp_path):
    case = sealed_case(tmp_path)
    record = case.records()[0]
    assert record.outcome is Outcome.OK
    assert case.read(record) == b"[ro.product.model]: [Pixel 7]\n"


@posix_only
@pytest.mark.timeout(30)
def test_verify_fingerprint_never_follows_a_linked_manifest(tmp_path):
    from click.testing import CliRunner
    from stalkerscan.cli.main import main

    case = sealed_case(tmp_path)
    manifest = case.root / "manifest.json"
    fingerprint = hashlib.sha256(manifest.read_bytes()).hexdigest()
    manifest.unlink()
    manifest.symlink_to("/dev/zero")  # would never end if read
    result = CliRunner().invoke(main, ["verify", str(case.root), "--fingerprint", fingerprint])
    assert result.exit_code == 1
    assert "manifest.json" in result.output and fingerprint in result.output
