"""YARA rules over the APKs kept in a case, as signature matches.

Rules are compiled once per analysis (and cached by content hash); each DEX file and native
library inside each pulled APK is scanned with the archive limits of
:mod:`stalkerscan.apk.archive`. A rule that fired becomes a :class:`SignatureMatch`:

- attached to the family that lists the rule in ``yara`` (or whose id is the rule's name,
  as Echap's rules are named after families);
- MEDIUM evidence for a rule tagged ``stalkerware`` or ``spyware`` (it matched code that
  family ships), WEAK for hint rules (``meta: strength = "weak"``) and untagged rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from stalkerscan.model.android import AndroidInventory
from stalkerscan.model.findings import EvidenceStrength, Provenance, SignatureMatch
from stalkerscan.signatures.model import Family
from stalkerscan.signatures.signature_set import SignatureSet

_STRONG_TAGS = frozenset({"stalkerware", "spyware"})


def _families_by_rule(families: Iterable[Family]) -> dict[str, list[Family]]:
    by_rule: dict[str, list[Family]] = {}
    for family in families:
        for rule in family.yara_rules:
            by_rule.setdefault(rule, []).append(family)
        by_rule.setdefault(family.id, []).append(family)
    return by_rule


def yara_matches(
    inventory: AndroidInventory,
    case_root: Path,
    signatures: SignatureSet,
    *,
    cache_dir: Path | None = None,
) -> tuple[list[SignatureMatch], list[str]]:
    """YARA matches over every APK pulled into the case, and plain notes on what could not be
    scanned (rules that failed to compile, limits hit)."""
    from stalkerscan.match.yara_scanner import YaraScanner, compile_rules

    apks = [(app, apk) for app in inventory.apps for apk in app.apks]
    if not apks or not signatures.yara_files:
        return [], []
    compiled = compile_rules([Path(p) for p in signatures.yara_files], cache_dir=cache_dir)
    notes = [f"YARA rules not used: {error.message}" for error in compiled.errors]
    if compiled.rules is None:
        return [], notes
    scanner = YaraScanner(compiled)
    by_rule = _families_by_rule(signatures.families)
    matches: list[SignatureMatch] = []
    for app, apk in apks:
        result = scanner.scan_apk(case_root / apk.case_path, apk_path=apk.case_path)
        notes += [f"{apk.case_path}: {p.message}" for p in result.problems]
        for hit in result.matches:
            weak = hit.meta.get("strength") == "weak" or not _STRONG_TAGS.intersection(hit.tags)
            strength = EvidenceStrength.WEAK if weak else EvidenceStrength.MEDIUM
            families = by_rule.get(hit.rule, [])
            where = f"{apk.case_path}!{hit.entry}" if hit.entry else apk.case_path
            note = f"YARA rule {hit.rule} matched {where}."
            rule_provenance = Provenance(source="yara", file=hit.rule_file, reference=hit.meta.get("reference"))
            if families:
                for family in families:
                    matches.append(SignatureMatch(
                        family_id=family.id, family_name=family.name, family_type=family.type,
                        indicator_kind="yara", indicator=hit.rule, subject=app.package,
                        strength=strength, provenance=(family.provenance, rule_provenance), note=note,
                    ))
            else:
                matches.append(SignatureMatch(
                    family_id=f"yara-{hit.rule}", family_name=hit.meta.get("description", hit.rule)[:120],
                    family_type="stalkerware",
                    indicator_kind="yara", indicator=hit.rule, subject=app.package,
                    strength=strength, provenance=(rule_provenance,), note=note,
                ))
    return matches, notes
