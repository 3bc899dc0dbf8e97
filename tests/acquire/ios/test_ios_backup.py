"""Existing iTunes / Finder backups: the shared real backup read in place, synthetic backups with
profiles, the encrypted-backup password path, and the original never being modified.

Encrypted backups are built by ``ios_backup_builder`` with ``cryptography`` alone (keybag,
PBKDF2, RFC 3394 key wrap, AES-CBC), in the format iOS writes and iphone-backup-decrypt reads,
with tiny PBKDF2 round counts; the whole decryption path runs end to end, through the API and
the command line, beside its error handling (no terminal, wrong password, skipped password,
damaged keybag, damaged files).
"""

from __future__ import annotations

import hashlib
import json
import os
import plistlib
import select
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from ios_backup_builder import (
    PROFILES_DOMAIN,
    BackupKeys,
    build_backup,
    decrypt,
    encrypt,
    file_id,
    file_record,
    snapshot,
    wrong_key_keybag,
)
from stalkerscan.cli.main import main

from stalkerscan.acquire.ios.backup import ENCRYPTED_BACKUP_ADVICE, locate_backup, scan_backup
from stalkerscan.acquire.progress import NullProgress
from stalkerscan.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, InputFileError, UsageError
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
    assert asked == [1] and not case.complete
    assert isinstance(case.error, InputFileError)
    assert case.error.message == "The encrypted backup could not be opened without its password."
    assert case.result.info.incomplete_reason.startswith("The backup is encrypted and its password was not given")


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


# --------------------------------------------------------------------------- encrypted backups
PASSWORD = "correct-horse-ÉXAMPLE-ü 42"
"""Fictional backup password; not ASCII, as backup passwords are taken as UTF-8."""

WRONG_PASSWORD = "wrong-horse-example"

RISKY_PROFILE = {
    "PayloadIdentifier": "org.example.network-helper", "PayloadUUID": "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE",
    "PayloadDisplayName": "Network Helper (example)", "PayloadOrganization": "Example Org",
    "PayloadRemovalDisallowed": True, "PayloadType": "Configuration", "PayloadVersion": 1,
    "PayloadContent": [
        {"PayloadType": "com.apple.vpn.managed", "PayloadIdentifier": "org.example.network-helper.vpn",
         "VPN": {"RemoteAddress": "vpn.example.net"}},
        {"PayloadType": "com.apple.security.root", "PayloadIdentifier": "org.example.network-helper.ca",
         "PayloadContent": b"-----BEGIN CERTIFICATE----- example -----END CERTIFICATE-----"},
    ],
}
CLOUD = {"IsSupervised": True, "OrganizationName": "Example Org", "IsMDMUnremovable": True,
         "ConfigurationURL": "https://mdm.example.org/enroll"}
PROFILE_NAME = "profile-5f3c9e.stub"
PROFILE_SUBJECT = f"{PROFILES_DOMAIN}/Library/ConfigurationProfiles/{PROFILE_NAME}"
CLOUD_SUBJECT = f"{PROFILES_DOMAIN}/Library/ConfigurationProfiles/CloudConfigurationDetails.plist"

# What only decryption can reveal: the stored profile and cloud configuration as written, and
# the index's SQLite header. Found anywhere but the case folder, plaintext has leaked.
PLAINTEXTS = (plistlib.dumps(RISKY_PROFILE), plistlib.dumps(CLOUD), b"SQLite format 3\x00",
              b"org.example.network-helper", b"mdm.example.org")


@pytest.fixture
def contained(tmp_path, monkeypatch) -> Path:
    """Home, caches and temporary files inside ``tmp_path``: a tree snapshot then sees every write."""
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    for folder in (home, home / "data", home / "cache", tmp):
        folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp_path


def tree_state(root: Path, *, exclude: Path) -> dict[str, tuple]:
    """Every file (SHA-256, size, mtime) and folder (mtime) under ``root`` but ``exclude``.

    A folder's mtime changes when anything is created in it or removed from it, so a temporary
    file made and deleted again still shows. ``root`` itself is left out: the case folder is
    created in it.
    """
    state: dict[str, tuple] = {}
    for path in sorted(root.rglob("*")):
        if path == exclude or exclude in path.parents:
            continue
        info = path.lstat()
        if path.is_dir():
            state[str(path.relative_to(root))] = ("folder", info.st_mtime_ns)
        else:
            state[str(path.relative_to(root))] = (hashlib.sha256(path.read_bytes()).hexdigest(),
                                                  info.st_size, info.st_mtime_ns)
    return state


def every_file(root: Path) -> Iterator[tuple[Path, bytes]]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path, path.read_bytes()


def custody_events(case_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (case_dir / "custody.log").read_text().splitlines()]


def record_of(case_dir: Path, subject: str):
    (record,) = [r for r in CaseFolder.open(case_dir).records() if r.subject == subject]
    return record


def encrypted_backup(root: Path, keys: BackupKeys) -> Path:
    backup = build_backup(root, profiles={PROFILE_NAME: RISKY_PROFILE}, cloud=CLOUD, keys=keys)
    # The builder really encrypts: nothing the analysis needs is readable in the backup itself.
    for path, data in every_file(backup):
        if path.name not in ("Info.plist", "Manifest.plist"):
            assert not any(plain in data for plain in PLAINTEXTS), path
    return backup


def assert_secrets_absent(folder: Path, keys: BackupKeys, *also: str) -> None:
    """Neither the password(s) nor any key derived from or unwrapped by it in any file's bytes."""
    secrets = [keys.password.encode("utf-8"), keys.password.encode("utf-16-le"), keys.password_key,
               *keys.class_keys.values(), *(text.encode("utf-8") for text in also)]
    for path, data in every_file(folder):
        for secret in secrets:
            assert secret not in data, f"a secret is written in {path}"


def test_encrypted_backup_with_the_right_password_analyses_completely(contained):
    tmp_path = contained
    keys = BackupKeys(PASSWORD)
    backup = encrypted_backup(tmp_path / "backup", keys)
    case_dir = tmp_path / "case"
    backup_before = snapshot(backup)
    tree_before = tree_state(tmp_path, exclude=case_dir)
    asked = []
    progress = NullProgress()

    def prompt() -> str:
        asked.append(1)
        return PASSWORD

    case = scan_backup(backup, case_dir, password_prompt=prompt, progress=progress)

    assert asked == [1] and progress.warnings == []
    assert case.error is None
    assert case.complete, case.result.info.incomplete_reason
    assert case.exit_code == EXIT_FINDINGS
    inventory = case.result.inventory
    assert inventory.problems == () and inventory.missing == ()
    assert inventory.device.udid == "00008101-001E30590C08001E" and inventory.device.ios_version == "17.3.1"
    assert [a.bundle_id for a in inventory.apps] == ["com.saurik.Cydia", "org.example.notes"]
    (profile,) = inventory.profiles
    assert (profile.identifier, profile.uuid, profile.display_name) == (
        "org.example.network-helper", "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE", "Network Helper (example)")
    assert profile.organization == "Example Org" and profile.removal_disallowed is True
    assert profile.payload_types == ("com.apple.vpn.managed", "com.apple.security.root")
    assert profile.sources[0].path.endswith(".decrypted"), "the evidence cited is the decrypted copy"
    cloud = inventory.cloud_configuration
    assert (cloud.supervised, cloud.organization, cloud.mdm_unremovable, cloud.configuration_url) == (
        True, "Example Org", True, "https://mdm.example.org/enroll")
    assert {"ios.risky_profile", "ios.supervised"} <= {f.id for f in case.result.findings}

    # Each file kept twice in the case: as stored (ciphertext, byte for byte) and decrypted.
    folder = CaseFolder.open(case_dir)
    profile_record = record_of(case_dir, PROFILE_SUBJECT)
    profile_id = file_id(PROFILES_DOMAIN, f"Library/ConfigurationProfiles/{PROFILE_NAME}")
    assert folder.read(profile_record, "data") == (backup / profile_id[:2] / profile_id).read_bytes()
    assert folder.read(profile_record, "decrypted") == plistlib.dumps(RISKY_PROFILE)
    assert folder.read(record_of(case_dir, CLOUD_SUBJECT), "decrypted") == plistlib.dumps(CLOUD)
    index = record_of(case_dir, "Manifest.db")
    assert folder.read(index, "data") == (backup / "Manifest.db").read_bytes()
    assert folder.read(index, "decrypted").startswith(b"SQLite format 3\x00")
    acquisition = json.loads((case_dir / "acquisition.json").read_text())
    assert (acquisition["backup_encrypted"], acquisition["backup_decrypted"]) == (True, True)

    # Plaintext only inside the case folder; nothing else written anywhere under tmp_path (the
    # backup, home, caches, temporary files); the backup unchanged byte for byte.
    for path, data in every_file(tmp_path):
        if any(plain in data for plain in PLAINTEXTS) and path.name not in ("Info.plist", "Manifest.plist"):
            assert case_dir in path.parents, f"plaintext outside the case folder: {path}"
    assert tree_state(tmp_path, exclude=case_dir) == tree_before
    assert snapshot(backup) == backup_before

    report = verify_case(case_dir)
    assert report.ok, report
    assert_secrets_absent(case_dir, keys)
    events = custody_events(case_dir)
    assert PASSWORD not in (case_dir / "custody.log").read_text(encoding="utf-8")
    assert [e["details"] for e in events if e["event"] == "backup_unlocked"] == [{"attempts": 1}]
    reads = {e["details"]["relative"]: e["details"]["sha256"] for e in events if e["event"] == "backup_file_read"}
    assert reads["Manifest.db"] == backup_before["Manifest.db"][0], "the original's hash, not the plaintext's"


def test_encrypted_backup_analyses_like_its_unencrypted_twin(tmp_path):
    keys = BackupKeys(PASSWORD)
    encrypted = scan_backup(encrypted_backup(tmp_path / "encrypted", keys), tmp_path / "case-e",
                            password_prompt=lambda: PASSWORD)
    plain = scan_backup(build_backup(tmp_path / "plain", profiles={PROFILE_NAME: RISKY_PROFILE}, cloud=CLOUD),
                        tmp_path / "case-p")
    assert encrypted.complete and plain.complete

    def without_sources(items):
        return [item.__class__(**{**vars(item), "sources": ()}) for item in items]

    e, p = encrypted.result.inventory, plain.result.inventory
    assert without_sources(e.profiles) == without_sources(p.profiles)
    assert without_sources([e.cloud_configuration]) == without_sources([p.cloud_configuration])
    assert without_sources(e.apps) == without_sources(p.apps)
    assert e.device == p.device
    assert sorted(f.id for f in encrypted.result.findings) == sorted(f.id for f in plain.result.findings)
    assert encrypted.result.verdict.level == plain.result.verdict.level


def test_a_wrong_password_is_asked_again_and_the_right_one_opens_the_backup(contained):
    tmp_path = contained
    keys = BackupKeys(PASSWORD)
    backup = encrypted_backup(tmp_path / "backup", keys)
    backup_before = snapshot(backup)
    answers = iter([WRONG_PASSWORD, PASSWORD])
    asked = []
    progress = NullProgress()

    def prompt() -> str:
        asked.append(1)
        return next(answers)

    case = scan_backup(backup, tmp_path / "case", password_prompt=prompt, progress=progress)
    assert len(asked) == 2
    assert progress.warnings == ["That password did not open the backup."]
    assert case.error is None and case.complete, case.result.info.incomplete_reason
    assert case.result.inventory.profiles[0].payload_types == ("com.apple.vpn.managed", "com.apple.security.root")
    events = custody_events(case.path)
    assert [e["details"] for e in events if e["event"] == "backup_unlocked"] == [{"attempts": 2}]
    assert snapshot(backup) == backup_before
    assert verify_case(case.path).ok
    assert_secrets_absent(case.path, keys, WRONG_PASSWORD)


def test_three_wrong_passwords_keep_only_the_unencrypted_part(contained):
    tmp_path = contained
    keys = BackupKeys(PASSWORD)
    backup = encrypted_backup(tmp_path / "backup", keys)
    case_dir = tmp_path / "case"
    backup_before = snapshot(backup)
    tree_before = tree_state(tmp_path, exclude=case_dir)
    tried = [f"{WRONG_PASSWORD}-{n}" for n in range(1, 5)]
    answers = iter(tried)
    progress = NullProgress()

    case = scan_backup(backup, case_dir, password_prompt=lambda: next(answers), progress=progress)

    assert next(answers) == tried[3], "asked exactly three times"
    assert progress.warnings == ["That password did not open the backup."] * 3
    assert isinstance(case.error, InputFileError)
    assert case.error.message == "The encrypted backup could not be opened without its password."
    assert case.error.advice == ENCRYPTED_BACKUP_ADVICE
    assert not case.complete and case.exit_code == EXIT_INCOMPLETE
    assert "password was not given" in case.result.info.incomplete_reason
    inventory = case.result.inventory
    assert inventory.device.ios_version == "17.3.1" and inventory.app("org.example.notes") is not None
    assert inventory.profiles == () and set(inventory.missing) >= {"profile_list", "cloud_configuration"}
    records = CaseFolder.open(case_dir).records()
    assert {r.subject for r in records} == {"Info.plist", "Manifest.plist"}
    assert not any("decrypted" in r.files for r in records)
    events = custody_events(case_dir)
    assert [e["details"]["reason"] for e in events if e["event"] == "backup_not_unlocked"] == [
        "no correct password given"]
    assert not any(e["event"] == "backup_unlocked" for e in events)
    for path, data in every_file(tmp_path):
        if path.name not in ("Info.plist", "Manifest.plist"):
            assert not any(plain in data for plain in PLAINTEXTS), path
    assert tree_state(tmp_path, exclude=case_dir) == tree_before
    assert snapshot(backup) == backup_before
    assert verify_case(case_dir).ok
    assert_secrets_absent(case_dir, keys, *tried)


def rewrite_index(backup: Path, keys: BackupKeys, sql: str, parameters: tuple) -> None:
    """Run one statement on an encrypted backup's Manifest.db (decrypted in memory, encrypted back)."""
    manifest = plistlib.loads((backup / "Manifest.plist").read_bytes())
    assert manifest["ManifestKey"][:4] == b"\x04\x00\x00\x00"
    index_key = keys.unwrap(4, manifest["ManifestKey"][4:])
    db = sqlite3.connect(":memory:")
    db.deserialize(decrypt(index_key, (backup / "Manifest.db").read_bytes()))
    assert db.execute(sql, parameters).rowcount == 1
    db.commit()
    (backup / "Manifest.db").write_bytes(encrypt(index_key, db.serialize()))
    db.close()


def test_damaged_files_in_an_encrypted_backup_make_the_case_incomplete_not_wrong(tmp_path):
    keys = BackupKeys(PASSWORD)
    backup = encrypted_backup(tmp_path / "backup", keys)
    profile_id = file_id(PROFILES_DOMAIN, f"Library/ConfigurationProfiles/{PROFILE_NAME}")
    cloud_id = file_id(PROFILES_DOMAIN, "Library/ConfigurationProfiles/CloudConfigurationDetails.plist")
    # The profile's ciphertext cut short (not whole AES blocks); the cloud configuration's key
    # replaced in the index by one wrapped with another protection class's key.
    stored_profile = backup / profile_id[:2] / profile_id
    stored_profile.write_bytes(stored_profile.read_bytes()[:-5])
    rewrite_index(backup, keys, "UPDATE Files SET file = ? WHERE fileID = ?",
                  (file_record("CloudConfigurationDetails.plist", 10, wrapped_key=keys.wrap(2, bytes(32))), cloud_id))
    backup_before = snapshot(backup)

    case = scan_backup(backup, tmp_path / "case", password_prompt=lambda: PASSWORD)

    assert not case.complete
    reason = case.result.info.incomplete_reason
    assert f"{profile_id[:2]}/{profile_id} could not be decrypted" in reason
    assert "CloudConfigurationDetails.plist could not be unwrapped" in reason
    assert case.result.inventory.profiles == ()
    assert snapshot(backup) == backup_before
    assert verify_case(case.path).ok


def test_cli_asks_for_the_password_hidden_and_analyses_the_encrypted_backup(contained):
    tmp_path = contained
    keys = BackupKeys(PASSWORD)
    backup = encrypted_backup(tmp_path / "backup", keys)
    case_dir = tmp_path / "case"
    backup_before = snapshot(backup)
    result = CliRunner().invoke(main, ["scan", "--ios-backup", str(backup), "--out", str(case_dir)],
                                input=f"{WRONG_PASSWORD}\n{PASSWORD}\n", catch_exceptions=False)
    shown = result.output
    assert result.exit_code == EXIT_FINDINGS, shown
    assert shown.count("Backup password") == 2
    assert "did not open the backup" in shown
    assert PASSWORD not in shown and WRONG_PASSWORD not in shown, "a hidden prompt never echoes"
    assert str(case_dir) in shown.replace("\n", "")
    assert CaseFolder.open(case_dir).records()
    assert json.loads((case_dir / "acquisition.json").read_text())["complete"] is True
    assert verify_case(case_dir).ok
    assert snapshot(backup) == backup_before
    assert_secrets_absent(case_dir, keys, WRONG_PASSWORD)


def test_cli_three_wrong_passwords_end_incomplete_with_advice(contained):
    tmp_path = contained
    keys = BackupKeys(PASSWORD)
    backup = encrypted_backup(tmp_path / "backup", keys)
    result = CliRunner().invoke(main, ["scan", "--ios-backup", str(backup), "--out", str(tmp_path / "case")],
                                input="one-example\ntwo-example\nthree-example\n", catch_exceptions=False)
    shown = result.output
    assert result.exit_code == EXIT_INCOMPLETE, shown
    assert shown.count("Backup password") == 3
    assert "incomplete" in shown and "backup password" in shown  # the advice: ask the owner
    assert not any(word in shown for word in ("one-example", "two-example", "three-example"))
    assert verify_case(tmp_path / "case").ok


def test_a_profile_with_no_key_in_an_encrypted_index_is_reported_not_skipped(tmp_path):
    # Every file of an encrypted backup has its key in the index. A profile-store entry without
    # one (damaged or crafted index) cannot be read: the case must say so, never "no profiles".
    keys = BackupKeys(PASSWORD)
    backup = encrypted_backup(tmp_path / "backup", keys)
    profile_id = file_id(PROFILES_DOMAIN, f"Library/ConfigurationProfiles/{PROFILE_NAME}")
    rewrite_index(backup, keys, "UPDATE Files SET file = ? WHERE fileID = ?",
                  (file_record(PROFILE_NAME, 100, wrapped_key=None), profile_id))
    case = scan_backup(backup, tmp_path / "case", password_prompt=lambda: PASSWORD)
    assert case.result.inventory.profiles == ()
    assert not case.complete
    assert PROFILE_NAME in case.result.info.incomplete_reason
    assert "no key" in case.result.info.incomplete_reason
    assert verify_case(case.path).ok


def _read_terminal(fd: int, until: bytes | None, budget: float) -> bytes:
    """What the program writes to the terminal, until ``until`` appears, it exits, or ``budget`` ends."""
    seen = b""
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline and (until is None or until not in seen):
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the program ended and closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen


@pytest.mark.timeout(90)
def test_on_a_real_terminal_the_password_prompt_stays_on_screen_and_nothing_is_echoed(tmp_path):
    # CliRunner is no terminal: rich draws no live progress bar there and click reads the hidden
    # input from a string. On a terminal the bar redraws its line ten times a second and once
    # erased the prompt at once, so the scan looked stuck. Here the real program runs on a
    # pseudo-terminal, as a clinic laptop runs it.
    pty = pytest.importorskip("pty", reason="pseudo-terminals exist only on Unix")
    keys = BackupKeys(PASSWORD)
    backup = encrypted_backup(tmp_path / "backup", keys)
    case_dir = tmp_path / "case"
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LC_ALL": "C.UTF-8"}
    argv = [sys.executable, "-c", "import sys; from stalkerscan.cli.main import main; sys.exit(main())",
            "scan", "--ios-backup", str(backup), "--out", str(case_dir)]
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the program, with the pseudo-terminal as its own
        try:
            os.execve(sys.executable, argv, env)
        finally:
            os._exit(127)
    try:
        shown = _read_terminal(fd, b"Backup password", 60)
        assert b"Backup password" in shown, shown[-2000:]
        # While the person types, nothing may draw over the prompt (a line erase is ESC [2K).
        waiting = _read_terminal(fd, None, 1.0)
        assert b"\x1b[2K" not in shown.rsplit(b"Backup password", 1)[1] + waiting, waiting
        os.write(fd, WRONG_PASSWORD.encode() + b"\r")
        shown += waiting + _read_terminal(fd, b"Backup password", 30)
        assert shown.count(b"Backup password") == 2 and b"did not open the backup" in shown
        os.write(fd, PASSWORD.encode() + b"\r")
        shown += _read_terminal(fd, None, 60)
        _, status = os.waitpid(pid, 0)
        pid = 0
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == EXIT_FINDINGS, shown[-3000:]
    assert PASSWORD.encode() not in shown and WRONG_PASSWORD.encode() not in shown, "the terminal echoed it"
    assert json.loads((case_dir / "acquisition.json").read_text())["complete"] is True
    assert verify_case(case_dir).ok
    assert_secrets_absent(case_dir, keys, WRONG_PASSWORD)
