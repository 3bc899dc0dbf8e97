"""Signature matches become one finding per family and subject, weighed by type and strength."""

from __future__ import annotations

from dataclasses import replace

from rulekit import SPY_PERMISSIONS, a11y, android, app, everything, ios, ios_app, match, profile

from stalkerscan.model import (
    ApkFile,
    Confidence,
    EvidenceStrength,
    InstallSource,
    IosSigning,
    Severity,
    SourceRef,
)
from stalkerscan.rules import findings_from_matches
from stalkerscan.rules.base import sort_key

STRONG, MEDIUM, WEAK = EvidenceStrength.STRONG, EvidenceStrength.MEDIUM, EvidenceStrength.WEAK
SPY = "org.example.spy"


def test_one_finding_per_family_and_app_with_the_strongest_evidence() -> None:
    inventory = android(app(SPY, label="Example Spy", source=InstallSource.ADB))
    found = findings_from_matches([
        match("example-spy", SPY),
        match("example-spy", SPY, kind="certificate_sha256", strength=STRONG, indicator="ab" * 32,
              source="echap-ioc"),
        match("example-spy", SPY, kind="component", strength=WEAK, indicator=f"{SPY}.Svc"),
    ], inventory)
    assert len(found) == 1
    [item] = found
    assert (item.id, item.kind, item.subject) == ("signature.example-spy", "signature", SPY)
    assert (item.severity, item.confidence) == (Severity.HIGH, Confidence.HIGH)
    assert item.matches[0].strength is STRONG and len(item.matches) == 3
    assert item.subject_label == "Example Spy"
    assert item.title == "Known stalkerware found: Example Spy"
    assert "nobody else can copy" in item.explanation
    assert "stalkerscan, 2026.11, licence CC-BY-4.0" in item.facts["signature source"]
    assert "echap-ioc" in item.facts["signature source"]
    assert item.facts["reference"] == "https://example.org/families/example-spy"


def test_strength_and_type_set_severity_and_confidence() -> None:
    inventory = android(app(SPY), app("org.example.kids"), app("org.example.family"))
    cases = [
        (match("a", SPY, strength=STRONG), Severity.HIGH, Confidence.HIGH),
        (match("a", SPY, strength=MEDIUM), Severity.HIGH, Confidence.MEDIUM),
        (match("a", SPY, kind="component", strength=WEAK), Severity.MEDIUM, Confidence.LOW),
        (match("a", SPY, family_type="spyware"), Severity.HIGH, Confidence.MEDIUM),
        (match("w", "org.example.kids", family_type="watchware"), Severity.MEDIUM, Confidence.MEDIUM),
        (match("w", "org.example.kids", family_type="watchware", strength=WEAK), Severity.LOW,
         Confidence.LOW),
        (match("d", "org.example.family", family_type="dual-use"), Severity.LOW, Confidence.MEDIUM),
        (match("d", "org.example.family", family_type="dual-use", strength=STRONG), Severity.LOW,
         Confidence.HIGH),
    ]
    for one, severity, confidence in cases:
        [item] = findings_from_matches([one], inventory)
        assert (item.severity, item.confidence) == (severity, confidence), one


def test_medium_match_says_a_name_is_not_proof() -> None:
    [item] = findings_from_matches([match("a", SPY)], android(app(SPY)))
    assert "Anyone can give an app any name" in item.explanation
    [weak] = findings_from_matches([match("a", SPY, kind="component", strength=WEAK)], android(app(SPY)))
    assert weak.title.startswith("Possibly linked to stalkerware")


def test_apk_evidence_is_cited_with_its_hash() -> None:
    apk = ApkFile(device_path="/data/app/x/base.apk", case_path="apks/org.example.spy/base.apk",
                  size=10, sha256="cd" * 32, sha1="ef" * 20, md5="01" * 16)
    pulled = android(app(SPY))
    pulled = type(pulled)(device=pulled.device, apps=(type(pulled.apps[0])(
        **{**pulled.apps[0].__dict__, "apks": (apk,)}),))
    [item] = findings_from_matches([match("a", SPY, kind="apk_sha256", strength=STRONG)], pulled)
    paths = [ref.path for ref in item.evidence]
    assert "apks/org.example.spy/base.apk" in paths
    assert any(ref.detail == f"SHA-256 {'cd' * 32}" for ref in item.evidence)


def test_two_apps_of_one_family_are_two_findings() -> None:
    found = findings_from_matches([match("a", SPY), match("a", "org.example.spy2")],
                                  android(app(SPY), app("org.example.spy2")))
    assert sorted(f.subject for f in found) == [SPY, "org.example.spy2"]


def test_ios_matches_on_apps_and_profiles() -> None:
    cited = SourceRef("raw/0004-profile_list.response", None, "ProfileMetadata: org.example.profile")
    stored = replace(profile("org.example.profile", "com.apple.mdm", name="Settings"), sources=(cited,))
    inventory = ios([ios_app("org.example.tracker", IosSigning.ENTERPRISE, "Clock")], [stored])
    found = findings_from_matches([
        match("t", "org.example.tracker", kind="bundle_id"),
        match("t", "org.example.profile", kind="profile_id"),
    ], inventory)
    labels = {f.subject: f.subject_label for f in found}
    assert labels == {"org.example.tracker": "Clock", "org.example.profile": "Settings"}
    [by_profile] = [f for f in found if f.subject == "org.example.profile"]
    assert by_profile.evidence == (cited,)


def test_evaluate_combines_rules_and_matches_most_severe_first() -> None:
    inventory = android(
        app(SPY, label="System Service", source=InstallSource.ADB, hidden=True,
            granted=SPY_PERMISSIONS),
        app("org.example.notes", label="Notes"),
        accessibility=[a11y(SPY)], admins=[SPY], listeners=[SPY],
        settings={"global": {"adb_enabled": "1", "package_verifier_enable": "0"}},
    )
    found = everything(inventory, [match("example-spy", SPY, strength=STRONG)])
    ids = [f.id for f in found]
    assert ids == [
        "signature.example-spy",
        "android.sideloaded_surveillance_capability",
        "android.dangerous_permission_combination",
        "android.hidden_from_launcher",
        "android.play_protect_off",
        "android.system_imitation",
        "android.developer_options_on",
    ]
    assert list(found) == sorted(found, key=sort_key)
    assert everything(inventory, [match("example-spy", SPY, strength=STRONG)]) == found  # pure


def test_a_clean_phone_has_no_high_or_medium_findings() -> None:
    inventory = android(
        app("org.example.notes", label="Notes"),
        app("org.example.keyboard", label="Keyboard", hidden=True),
        app("org.example.sysui", label="System UI", source=InstallSource.PREINSTALLED, hidden=True),
        settings={"global": {"package_verifier_enable": "1", "adb_enabled": "1"}},
    )
    found = everything(inventory)
    assert [f.id for f in found] == ["android.developer_options_on"]
    clean_ios = ios([ios_app("org.example.maps", IosSigning.APP_STORE)])
    assert everything(clean_ios) == ()
