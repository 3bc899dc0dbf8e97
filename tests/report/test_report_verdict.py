"""The verdict: three levels, and an honest list of what was and was not checked."""

from __future__ import annotations

from dataclasses import replace

import casekit
import pytest

from stalkerscan.model import (
    Confidence,
    EvidenceStrength,
    Finding,
    ParseProblem,
    Severity,
    SignatureMatch,
)
from stalkerscan.model.case import SignatureSetInfo, VerdictLevel
from stalkerscan.report.verdict import compute_verdict, verdict_level

KNOWN, SIGNS, NOTHING = (VerdictLevel.KNOWN_STALKERWARE, VerdictLevel.SIGNS_OF_MONITORING,
                         VerdictLevel.NOTHING_FOUND)


def sig(family_type: str, strength: EvidenceStrength, severity: Severity) -> Finding:
    match = SignatureMatch("f", "F", family_type, "package", "org.example.f", "org.example.f",
                           strength)
    return Finding("signature.f", "t", severity, strength.confidence(), "org.example.f", "e",
                   kind="signature", matches=(match,))


def rule(severity: Severity) -> Finding:
    return Finding("android.x", "t", severity, Confidence.MEDIUM, "device", "e")


@pytest.mark.parametrize(("findings", "level"), [
    ([sig("stalkerware", EvidenceStrength.STRONG, Severity.HIGH)], KNOWN),
    ([sig("stalkerware", EvidenceStrength.MEDIUM, Severity.HIGH)], KNOWN),
    ([sig("spyware", EvidenceStrength.MEDIUM, Severity.HIGH)], KNOWN),
    ([sig("stalkerware", EvidenceStrength.WEAK, Severity.MEDIUM)], SIGNS),
    ([sig("watchware", EvidenceStrength.STRONG, Severity.MEDIUM)], SIGNS),
    ([sig("watchware", EvidenceStrength.WEAK, Severity.LOW)], SIGNS),
    ([sig("dual-use", EvidenceStrength.MEDIUM, Severity.LOW)], NOTHING),
    ([rule(Severity.HIGH)], SIGNS),
    ([rule(Severity.MEDIUM)], SIGNS),
    ([rule(Severity.LOW), rule(Severity.INFO)], NOTHING),
    ([], NOTHING),
    ([rule(Severity.MEDIUM), sig("stalkerware", EvidenceStrength.STRONG, Severity.HIGH)], KNOWN),
])
def test_levels(findings: list[Finding], level: VerdictLevel) -> None:
    assert verdict_level(findings) is level


def test_headlines_are_exactly_the_three_plain_lines() -> None:
    assert casekit.infected_android().verdict.headline == "Known stalkerware found"
    assert casekit.infected_ios().verdict.headline == "Signs of monitoring found"
    assert casekit.clean_android().verdict.headline == "Nothing found by these checks"
    assert casekit.clean_ios().verdict.headline == "Nothing found by these checks"


def test_checked_names_the_apps_and_the_signature_set() -> None:
    verdict = casekit.infected_android().verdict
    assert verdict.checked[0].startswith("5 installed apps")
    assert ("Known stalkerware signatures: stalkerscan bundled 2026.11 (test set) "
            "(3 families, 12 indicators)") in verdict.checked
    assert "Signing certificates and file fingerprints of 1 app files copied from the phone" \
        in verdict.checked


def test_not_checked_always_lists_what_usb_cannot_see() -> None:
    android = " ".join(casekit.clean_android().verdict.not_checked)
    assert "Google account" in android and "AirTag" in android and "PIN" in android
    ios = " ".join(casekit.clean_ios().verdict.not_checked)
    assert "Apple ID (iCloud)" in ios and "Find My" in ios and "passcode" in ios


def test_missing_answers_move_from_checked_to_not_checked() -> None:
    inventory = replace(casekit.android_inventory(infected=False),
                        missing=("dumpsys_accessibility",),
                        problems=(ParseProblem("getprop", "odd"),))
    verdict = compute_verdict((), inventory, casekit.SIGNATURES, complete=False)
    assert not any(c.startswith("Accessibility services") for c in verdict.checked)
    assert "Accessibility services: the phone did not answer, so this was not checked" \
        in verdict.not_checked
    assert verdict.not_checked[0].startswith("The check stopped before it finished")
    assert any("App files were not copied" in n for n in verdict.not_checked)
    assert any(n.startswith("1 parts of the phone's answers could not be read") for n in verdict.not_checked)


def test_backups_and_missing_signatures_are_said() -> None:
    inventory = replace(casekit.ios_inventory(infected=False), source="backup")
    empty = SignatureSetInfo(description="none", warnings=("The community set is 45 days old.",))
    verdict = compute_verdict((), inventory, empty, complete=True)
    assert "Device management (MDM) and supervision" not in verdict.checked
    assert any("read from a backup made earlier" in n for n in verdict.not_checked)
    assert any("No stalkerware signatures were loaded" in n for n in verdict.not_checked)
    assert "The community set is 45 days old." in verdict.not_checked
