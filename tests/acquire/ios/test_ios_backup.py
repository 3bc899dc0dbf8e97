"""Existing iTunes / Finder backups: the shared real backup read in place, synthetic backups with
profiles, the encrypted-backup password path, and the original never being modified.

No encrypted test backup is built: neither iphone-backup-decrypt nor pymobiledevice3 can create
one offline, so the decryption itself is not exercised end to end here; its error handling
(no terminal, wrong password, skipped password, damaged keybag) is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ios_backup_builder import build_backup, snapshot, wrong_key_keybag

from stalkerscan.acquire.ios.backup import locate_backup, scan_backup
from stalkerscan.errors import InputFileError, UsageError
from stalkerscan.model.ios import IosSigning
from stalkerscan.preserve.case import CaseFolder
from stalkerscan.preserve.verify import verify_case


def shared_backup() -> Path:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "captures" / "ios_backup"
        if candidate.is_dir():
            return candidate
    pytest.skip("the shared iOS backup capture (shared/captures/ios_backup) is not on this machine")


@pytest.fixture(autouse=True)
def no_terminal(monkeypatch):
    """Tests never wait on a real terminal for a password."""
    monkeypatch.setattr("sys.stdin", None)


def test_shared_real_backup_analyses_with_the_right_device_and_apps(tmp_path):
    backup = shared_backup()
    before = snapshot(backup)
    case = scan_backup(backup, tmp_path / "case")
    assert snapshot(backup) == before, "the original backup must never change"
    assert case.result is not None
    inventory = case.result.inventory
    assert inventory.source == "backup"
    device = inventory.device
    assert (device.udid, device.serial, device.product_type) == (
        "1CB128EAFA77C5BE74283E9A3A2130AF36A3C059", "F1234567890", "iPhone9,3")
    assert (device.ios_version, device.build_version, device.name) == ("14.3", "18C66", "iPhone")
    assert [a.bundle_id for a in inventory.apps] == [
        "ch.icoaching.typewise", "com.google.Gmail", "com.google.chrome.ios", "net.whatsapp.WhatsApp",
        "org.mozilla.ios.Firefox", "ph.telegra.Telegraph"]
    assert inventory.jailbreak_signs == ()
    folder = CaseFolder.open(case.path)
    assert folder.meta.source == "ios-backup" and folder.meta.platform == "ios"
    assert {r.channel for r in folder.records()} == {"backup"}
    # This capture is trimmed: the index lists a profile-store file that is not in the folder.
    assert case.result.info.complete is False
    assert "CloudConfigurationDetails.plist" in case.result.info.incomplete_reason
    report = verify_case(case.path)
    assert report.ok, report
    # Every file read is in the custody log with its hash.
    events = [json.loads(line) for line in (case.path / "custody.log").read_text().splitlines()]
    reads = [e["details"] for e in events if e["event"] == "backup_file_read"]
    assert {r["relative"] for r in reads} >= {"Info.plist", "Manifest.db"}
    manifest_db = next(r for r in reads if r["relative"] == "Manifest.db")
    assert manifest_db["sha256"] == before["Manifest.db"][0]


def test_profiles_cloud_configuration_and_jailbreak_from_a_backup(tmp_path):
    profile = {
        "PayloadIdentifier": "org.example.profile", "PayloadUUID": "11111111-2222-3333-4444-555555555555",
        "PayloadDisplayName": "Network Helper", "PayloadOrganization": "Example Org",
        "PayloadRemovalDisallowed": True, "PayloadType": "Configuration", "PayloadVersion": 1,
        "PayloadContent": [{"PayloadType": "com.apple.vpn.managed", "PayloadIdentifier": "org.example.vpn"},
                           {"PayloadType": "com.apple.security.root", "PayloadIdentifier": "org.example.ca"}],
    }
    backup = build_backup(tmp_path / "backup", profiles={"profile-0a1b2c.stub": profile},
                          cloud={"IsSupervised": True, "OrganizationName": "Example Org",
                                 "ConfigurationURL": "https://mdm.example.org/enroll"})
    before = snapshot(backup)
    case = scan_backup(backup, tmp_path / "case")
    assert snapshot(backup) == before
    assert case.result is not None and case.result.info.complete, case.result.info.incomplete_reason
    inventory = case.result.inventory
    assert inventory.missing == () and inventory.problems == ()
    (stored,) = inventory.profiles
    assert stored.identifier == "org.example.profile" and stored.removal_disallowed is True
    assert stored.payload_types == ("com.apple.vpn.managed", "com.apple.security.root")
    assert inventory.cloud_configuration.supervised is True
    assert inventory.cloud_configuration.configuration_url == "https://mdm.example.org/enroll"
    notes = inventory.app("org.example.notes")
    assert notes.display_name == "Notes Example" and notes.signing is IosSigning.APP_STORE
    assert inventory.app("com.saurik.Cydia").signing is IosSigning.UNKNOWN
    assert [s.kind for s in inventory.jailbreak_signs] == ["jailbreak_app"]
    subjects = {r.subject for r in CaseFolder.open(case.path).records()}
    assert not any("sms.db" in (s or "") for s in subjects), "only what the analysis needs is read"
    assert verify_case(case.path).ok


def test_encrypted_backup_without_a_terminal_keeps_what_is_readable(tmp_path):
    backup = build_backup(tmp_path / "backup", encrypted=True, keybag=wrong_key_keybag())
    case = scan_backup(backup, tmp_path / "case")
    assert isinstance(case.error, InputFileError)
    assert "password" in case.error.advice
    assert case.result is not None and not case.result.info.complete
    inventory = case.result.inventory
    assert inventory.device.ios_version == "17.3.1"
    assert inventory.app("org.example.notes") is not None
    assert set(inventory.missing) >= {"profile_list", "cloud_configuration"}
    assert verify_case(case.path).ok


def test_wrong_password_is_asked_three_times_and_never_kept(tmp_path):
    backup = build_backup(tmp_path / "backup", encrypted=True, keybag=wrong_key_keybag())
    asked = []

    def prompt() -> str:
        asked.append(1)
        return "correct horse example"

    case = scan_backup(backup, tmp_path / "case", password_prompt=prompt)
    assert len(asked) == 3
    assert isinstance(case.error, InputFileError) and not case.complete
    for path in case.path.rglob("*"):
        if path.is_file():
            assert b"correct horse example" not in path.read_bytes(), path


def test_skipping_the_password_asks_once(tmp_path):
    backup = build_backup(tmp_path / "backup", encrypted=True, keybag=wrong_key_keybag())
    asked = []
    case = scan_backup(backup, tmp_path / "case", password_prompt=lambda: asked.append(1) or "")
    assert asked == [1] and case.error is not None and not case.complete


def test_damaged_keybag_is_a_clear_error(tmp_path):
    backup = build_backup(tmp_path / "backup", encrypted=True, keybag=b"\x00\x01garbage")
    case = scan_backup(backup, tmp_path / "case", password_prompt=lambda: "example")
    assert isinstance(case.error, InputFileError)
    assert "keybag" in case.error.message
    assert verify_case(case.path).ok


def test_locating_backups(tmp_path):
    one = build_backup(tmp_path / "parent" / "00008101-001E30590C08001E")
    assert locate_backup(tmp_path / "parent") == one.resolve()
    build_backup(tmp_path / "parent" / "00008101-00AAAAAAAAAAAAAA")
    with pytest.raises(UsageError):
        locate_backup(tmp_path / "parent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputFileError) as error:
        locate_backup(tmp_path / "empty")
    assert "MobileSync" in error.value.advice


def test_case_folder_inside_the_backup_is_refused(tmp_path):
    backup = build_backup(tmp_path / "backup")
    before = snapshot(backup)
    with pytest.raises(UsageError):
        scan_backup(backup, backup / "case")
    assert snapshot(backup) == before


@pytest.mark.timeout(60)
def test_a_manifest_db_with_an_endless_view_does_not_hang_the_import(tmp_path):
    # docs/security.md #16: Files replaced by a view over an endless recursive query.
    import sqlite3

    backup = build_backup(tmp_path / "backup")
    db = sqlite3.connect(backup / "Manifest.db")
    db.execute("DROP TABLE Files")
    db.execute("CREATE VIEW Files AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
               "SELECT 'x' AS fileID, 'SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles' "
               "AS domain, 'Library/ConfigurationProfiles/x' AS relativePath, 1 AS flags, NULL AS file FROM n")
    db.commit()
    db.close()
    case = scan_backup(backup, tmp_path / "case")
    assert case.result is not None and not case.result.info.complete
    assert "Files index is missing or is not a table" in case.result.info.incomplete_reason
    assert verify_case(case.path).ok
