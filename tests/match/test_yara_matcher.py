"""YARA over APKs kept in a case becomes signature matches with the right family and strength."""

from __future__ import annotations

from stalkerscan.match.yara_matcher import yara_matches
from stalkerscan.model.android import AndroidApp, AndroidDeviceInfo, AndroidInventory, ApkFile
from stalkerscan.model.findings import EvidenceStrength
from stalkerscan.signatures.signature_set import load_signature_set
from stalkerscan.simulator.apkgen import ApkSpec, build_apk

FAMILY = """\
id: example-watcher
name: Example Watcher
type: stalkerware
platforms: [android]
yara_rules: [example_watcher_code]
references: [https://example.org/report]
source: test
licence: CC0-1.0
"""

RULE = """\
rule example_watcher_code : stalkerware
{
    strings:
        $a = "org/example/watcher/UploadService" ascii
    condition:
        uint32(0) == 0x0a786564 and $a
}
"""


def inventory_with_apk(tmp_path, dex_strings):
    case_root = tmp_path / "case"
    (case_root / "apks/org.example.app").mkdir(parents=True)
    data = build_apk(ApkSpec(package="org.example.app", dex_strings=dex_strings))
    (case_root / "apks/org.example.app/base.apk").write_bytes(data)
    apk = ApkFile("/data/app/x/base.apk", "apks/org.example.app/base.apk", len(data), "0" * 64, "0" * 40, "0" * 32)
    inventory = AndroidInventory(device=AndroidDeviceInfo(), apps=(AndroidApp("org.example.app", apks=(apk,)),))
    return inventory, case_root


def test_family_rule_fires_as_medium_evidence(tmp_path):
    sigs_dir = tmp_path / "sigs"
    sigs_dir.mkdir()
    (sigs_dir / "example.yaml").write_text(FAMILY)
    (sigs_dir / "example.yar").write_text(RULE)
    signatures = load_signature_set([sigs_dir], include_community=False)
    inventory, root = inventory_with_apk(tmp_path, ("Lorg/example/watcher/UploadService;",))
    matches, notes = yara_matches(inventory, root, signatures, cache_dir=tmp_path / "cache")
    hits = [m for m in matches if m.indicator == "example_watcher_code"]
    assert len(hits) == 1
    assert hits[0].family_id == "example-watcher"
    assert hits[0].strength is EvidenceStrength.MEDIUM
    assert hits[0].subject == "org.example.app"
    assert "classes.dex" in hits[0].note
    assert notes == []


def test_hint_rule_is_weak_and_clean_apk_matches_nothing(tmp_path):
    signatures = load_signature_set(include_community=False)
    inventory, root = inventory_with_apk(tmp_path, (
        "Landroid/accessibilityservice/AccessibilityService;", "getRootInActiveWindow", "content://sms"))
    matches, _ = yara_matches(inventory, root, signatures, cache_dir=tmp_path / "cache")
    assert [m.strength for m in matches] == [EvidenceStrength.WEAK]
    clean, _ = inventory_with_apk(tmp_path / "clean", ("Lorg/example/Hello;",))
    assert yara_matches(clean, tmp_path / "clean" / "case", signatures, cache_dir=tmp_path / "cache")[0] == []
