"""Signature matches become findings: one per family and matched app or profile.

Several indicators of one family matching one app (its package name, its certificate and its
APK hash) are one finding whose confidence is the strongest match's. Stalkerware and spyware
weigh more than watchware, and watchware more than dual-use apps, which many people use
knowingly.
"""

from __future__ import annotations

from collections.abc import Sequence

from stalkerscan.model.android import AndroidInventory
from stalkerscan.model.common import SourceRef
from stalkerscan.model.findings import (
    EvidenceStrength,
    Finding,
    Provenance,
    Severity,
    SignatureMatch,
)
from stalkerscan.model.ios import IosInventory
from stalkerscan.rules import advice
from stalkerscan.rules.base import Inventory, quoted

STRENGTH_RANK = {EvidenceStrength.STRONG: 2, EvidenceStrength.MEDIUM: 1, EvidenceStrength.WEAK: 0}

SEVERITY = {
    ("stalkerware", EvidenceStrength.STRONG): Severity.HIGH,
    ("stalkerware", EvidenceStrength.MEDIUM): Severity.HIGH,
    ("stalkerware", EvidenceStrength.WEAK): Severity.MEDIUM,
    ("spyware", EvidenceStrength.STRONG): Severity.HIGH,
    ("spyware", EvidenceStrength.MEDIUM): Severity.HIGH,
    ("spyware", EvidenceStrength.WEAK): Severity.MEDIUM,
    ("watchware", EvidenceStrength.STRONG): Severity.MEDIUM,
    ("watchware", EvidenceStrength.MEDIUM): Severity.MEDIUM,
    ("watchware", EvidenceStrength.WEAK): Severity.LOW,
    ("dual-use", EvidenceStrength.STRONG): Severity.LOW,
    ("dual-use", EvidenceStrength.MEDIUM): Severity.LOW,
    ("dual-use", EvidenceStrength.WEAK): Severity.INFO,
}
"""Severity by family type and the strongest evidence (unknown types count as stalkerware)."""

WHAT_IT_IS = {
    "stalkerware": "is known stalkerware: software sold to watch another person's phone in "
    "secret, usually copying messages, calls, photos and location to someone else.",
    "spyware": "is known spyware: software built to take information from a phone without "
    "its owner knowing.",
    "watchware": "is a monitoring app sold for watching children or employees. It usually "
    "shows that it is there, but it can also be used to watch an adult without their "
    "agreement.",
    "dual-use": "has an honest purpose (for example sharing location with family) but can "
    "also be used to keep track of someone. What matters is whether the owner set it up and "
    "knows who sees the information.",
}

HOW_SURE = {
    EvidenceStrength.STRONG: "The match is on the app file's own fingerprint (its hash or "
    "signing certificate), which nobody else can copy: this is strong evidence.",
    EvidenceStrength.MEDIUM: "The match is on the app's name (its package name, bundle id or "
    "profile identifier). Anyone can give an app any name, so this is good evidence but not "
    "proof; the app file's signing certificate would confirm it.",
    EvidenceStrength.WEAK: "Only a part name inside the app matches, which is easy to copy: "
    "treat this as a hint, not as proof.",
}

INDICATOR_WORDS = {
    "package": "package name", "bundle_id": "bundle id", "certificate_sha1": "signing "
    "certificate (SHA-1)", "certificate_sha256": "signing certificate (SHA-256)",
    "apk_sha256": "app file hash (SHA-256)", "component": "component name",
    "profile_id": "profile identifier", "profile_uuid": "profile UUID", "signer": "signer",
    "domain": "internet domain", "yara": "code pattern (YARA rule)",
}


def _title(family_type: str, name: str, strength: EvidenceStrength) -> str:
    kind = {"spyware": "spyware", "watchware": "a monitoring app",
            "dual-use": "an app that can be used to track someone"}.get(family_type, "stalkerware")
    if strength is EvidenceStrength.WEAK:
        return f"Possibly linked to {kind}: {name} (a weak hint)"
    if family_type in ("watchware", "dual-use"):
        return f"This phone has {kind}: {name}"
    return f"Known {kind} found: {name}"


def _subject_context(inventory: Inventory, subject: str) -> tuple[str | None, tuple[SourceRef, ...]]:
    """The label and evidence files of the matched app or profile."""
    refs: list[SourceRef] = []
    label: str | None = None
    if isinstance(inventory, AndroidInventory):
        app = inventory.app(subject)
        if app is not None:
            label = app.label
            refs.extend(app.sources)
            refs.extend(SourceRef(apk.case_path, detail=f"SHA-256 {apk.sha256}")
                        for apk in app.apks)
    elif isinstance(inventory, IosInventory):
        ios_app = inventory.app(subject)
        if ios_app is not None:
            label = ios_app.display_name
            refs.extend(ios_app.sources)
        for profile in inventory.profiles:
            if subject in (profile.identifier, profile.uuid):
                label = label or profile.display_name
                refs.extend(profile.sources)
    return label, tuple(dict.fromkeys(refs))


def _provenance(matches: Sequence[SignatureMatch]) -> tuple[Provenance, ...]:
    return tuple(dict.fromkeys(p for m in matches for p in m.provenance))


def _source_line(provenance: Provenance) -> str:
    parts = [provenance.source]
    if provenance.version:
        parts.append(provenance.version)
    if provenance.licence:
        parts.append(f"licence {provenance.licence}")
    return ", ".join(parts)


def findings_from_matches(matches: Sequence[SignatureMatch], inventory: Inventory) -> list[Finding]:
    """One finding per family and matched subject, with the strongest match's confidence."""
    groups: dict[tuple[str, str], list[SignatureMatch]] = {}
    for match in matches:
        groups.setdefault((match.family_id, match.subject), []).append(match)
    findings: list[Finding] = []
    for (family_id, subject), group in groups.items():
        group.sort(key=lambda m: (-STRENGTH_RANK[m.strength], m.indicator_kind, m.indicator))
        best = group[0]
        family_type = best.family_type if best.family_type in WHAT_IT_IS else "stalkerware"
        label, evidence = _subject_context(inventory, subject)
        name = quoted(best.family_name, family_id)
        facts: dict[str, str] = {"family": best.family_name, "family type": best.family_type,
                                 "matched on the phone": subject}
        for match in group:
            key = f"matched {INDICATOR_WORDS.get(match.indicator_kind, match.indicator_kind)}"
            facts[key] = (f"{facts[key]}, {match.indicator}" if key in facts
                          else f"{match.indicator} ({match.strength.value} evidence)")
        provenance = _provenance(group)
        if provenance:
            facts["signature source"] = "; ".join(_source_line(p) for p in provenance)
        references = [p.reference for p in provenance if p.reference]
        if references:
            facts["reference"] = " ".join(dict.fromkeys(references))
        notes = [m.note for m in group if m.note]
        if notes:
            facts["note"] = " ".join(dict.fromkeys(notes))
        serious = family_type in ("stalkerware", "spyware")
        steps = [advice.LEAVE_IN_PLACE, advice.PLAN_FIRST]
        if serious:
            steps += [advice.ASSUME_WATCHED, advice.KEEP_EVIDENCE]
        else:
            steps.insert(0, "Ask the owner, in private, whether they set this app up themselves "
                         "and who can see what it collects.")
        findings.append(Finding(
            id=f"signature.{family_id}",
            title=_title(family_type, best.family_name, best.strength),
            severity=SEVERITY[(family_type, best.strength)],
            confidence=best.strength.confidence(),
            subject=subject,
            subject_label=label,
            explanation=f"{name} {WHAT_IT_IS[family_type]} {HOW_SURE[best.strength]}",
            kind="signature",
            facts=facts,
            evidence=evidence,
            next_steps=tuple(steps),
            matches=tuple(group),
        ))
    return findings
