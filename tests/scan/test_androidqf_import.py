"""Importing an androidqf folder a clinic already holds: copied, hashed, analysed, verifiable."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from stalkerscan import api
from stalkerscan.errors import CaseExistsError, InputFileError, UsageError
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


def test_not_an_androidqf_folder(tmp_path, bundled_signatures):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "notes.txt").write_text("hello")
    with pytest.raises(InputFileError):
        api.scan_androidqf(tmp_path / "src", tmp_path / "case", signatures=bundled_signatures)


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
