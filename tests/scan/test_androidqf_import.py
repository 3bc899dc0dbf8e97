"""Importing an androidqf folder a clinic already holds: copied, hashed, analysed, verifiable."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from stalkerscan import api
from stalkerscan.errors import EXIT_INCOMPLETE, CaseExistsError, InputFileError, UsageError
from stalkerscan.preserve.verify import verify_case

SHARED = Path(__file__).resolve().parents[3] / "shared" / "captures" / "androidqf"


@pytest.fixture()
def androidqf_folder():
    if not SHARED.is_dir():
        pytest.skip(f"shared androidqf capture not found at {SHARED}")
    return SHARED


def tree_hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_real_androidqf_folder_imports_and_verifies(androidqf_folder, tmp_path, bundled_signatures):
    before = tree_hashes(androidqf_folder)
    case = api.scan_androidqf(androidqf_folder, tmp_path / "case", signatures=bundled_signatures)
    assert tree_hashes(androidqf_folder) == before  # the original is only read
    assert case.complete and verify_case(case.path).ok
    copied = tree_hashes(case.path / "import")
    assert copied == before  # byte for byte
    inventory = case.result.inventory
    assert inventory.app("com.google.android.youtube") is not None
    assert any(s.path.startswith("import/") for app in inventory.apps for s in app.sources)
    assert case.result.info.source == "androidqf"
    assert (case.path / "report.html").is_file()
    # androidqf lists APKs by hash without keeping the files: nothing for YARA, and no warning.
    assert any(app.apks for app in inventory.apps)
    assert not [w for w in case.result.signatures.warnings if "could not be opened" in w]


def test_not_an_androidqf_folder(tmp_path, bundled_signatures):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "notes.txt").write_text("hello")
    with pytest.raises(InputFileError) as error:
        api.scan_androidqf(tmp_path / "src", tmp_path / "case", signatures=bundled_signatures)
    assert "does not look like an androidqf acquisition" in error.value.message
    assert not (tmp_path / "case").exists()  # refused before any case folder is made


def test_case_folder_rules_still_apply(tmp_path, bundled_signatures):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "getprop.txt").write_text("[ro.product.model]: [X]\n")
    with pytest.raises(UsageError):
        api.scan_androidqf(tmp_path / "src", tmp_path / "src" / "case", signatures=bundled_signatures)
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    with pytest.raises(CaseExistsError):
        api.scan_androidqf(tmp_path / "src", tmp_path / "used", signatures=bundled_signatures)


def test_symlinks_in_the_folder_are_not_followed(tmp_path, bundled_signatures):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "getprop.txt").write_text("[ro.product.model]: [X]\n")
    (tmp_path / "secret.txt").write_text("private")
    (tmp_path / "src" / "link.txt").symlink_to(tmp_path / "secret.txt")
    case = api.scan_androidqf(tmp_path / "src", tmp_path / "case", signatures=bundled_signatures)
    assert not (case.path / "import" / "link.txt").exists()
    assert (case.path / "import" / "getprop.txt").read_text() == "[ro.product.model]: [X]\n"


def test_a_file_not_copied_whole_makes_the_case_incomplete(tmp_path, bundled_signatures, monkeypatch):
    monkeypatch.setattr("stalkerscan.acquire.androidqf.MAX_FILE_BYTES", 64)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "getprop.txt").write_text("[ro.product.model]: [X]\n")
    (tmp_path / "src" / "dumpsys.txt").write_bytes(b"x" * 100)
    case = api.scan_androidqf(tmp_path / "src", tmp_path / "case", signatures=bundled_signatures)
    assert not case.complete and case.exit_code == EXIT_INCOMPLETE
    assert case.result.info.incomplete_reason == (
        "1 file(s) of the androidqf folder could not be copied whole: dumpsys.txt.")
    acquisition = json.loads((case.path / "acquisition.json").read_text())
    assert (acquisition["files_copied"], acquisition["files_not_copied"]) == (1, ["dumpsys.txt"])
    assert (case.path / "import" / "getprop.txt").read_text() == "[ro.product.model]: [X]\n"
    assert verify_case(case.path).ok
