"""Checks across families: duplicate ids, identifiers under two families, case-only twins.

Per-value checks (hex, package syntax, public certificates) happen while importing
(``builder.FamilyBuilder``); these checks need every family at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from stalkerscan.signatures import model as m
from stalkerscan.signatures.model import Family, SignatureProblem


def duplicate_id_problems(families: Iterable[Family]) -> list[SignatureProblem]:
    """Two family files of the project's own format with the same id (an error: ids are keys)."""
    seen: dict[str, Family] = {}
    problems = []
    for family in families:
        if family.id_from_name:
            continue
        key = f"{family.provenance.source}\0{family.id}"
        if key in seen and seen[key].provenance.file != family.provenance.file:
            problems.append(SignatureProblem(
                m.SEVERITY_ERROR, "duplicate-id",
                f"family id {family.id!r} is already defined at {seen[key].location}; ids must be "
                f"unique within a signature set (this one is skipped)", family.location))
        else:
            seen.setdefault(key, family)
    return problems


def cross_family_problems(families: Iterable[Family]) -> list[SignatureProblem]:
    """Identifiers listed under two different families, and case-only near twins."""
    owners: dict[tuple[str, str], dict[str, Family]] = defaultdict(dict)
    folded: dict[tuple[str, str], dict[str, tuple[str, Family]]] = defaultdict(dict)
    for family in families:
        for kind, value in family.app_indicators():
            owners[(kind, value)].setdefault(family.id, family)
            if kind in (m.KIND_PACKAGE, m.KIND_BUNDLE_ID):
                folded[(kind, value.lower())].setdefault(value, (family.id, family))
    problems: list[SignatureProblem] = []
    for (kind, value), by_family in owners.items():
        if len(by_family) < 2:
            continue
        listed = ", ".join(f"{f.name} ({f.where(kind.split(':')[0], value) or f.provenance.file})"
                           for f in by_family.values())
        first = next(iter(by_family.values()))
        problems.append(SignatureProblem(
            m.SEVERITY_WARNING, "identifier-in-several-families",
            f"{kind.replace('_', ' ')} {value} is listed under {len(by_family)} families: {listed}. "
            f"A match will name all of them; check which one is right",
            first.where(kind.split(":")[0], value)))
    for (kind, _lower), spellings in folded.items():
        family_ids = {fid for fid, _ in spellings.values()}
        if len(spellings) < 2 or len(family_ids) < 2:
            continue
        described = ", ".join(f"{value!r} ({fam.name})" for value, (_, fam) in spellings.items())
        any_family = next(iter(spellings.values()))[1]
        problems.append(SignatureProblem(
            m.SEVERITY_NOTE, "case-only-difference",
            f"{kind.replace('_', ' ')}s differing only in letter case belong to different "
            f"families: {described}. Matching is exact, so each matches only its own spelling",
            any_family.location))
    return problems
