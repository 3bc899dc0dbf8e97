"""STIX 2.1 bundles in MVT's convention (Echap's ``stalkerware.stix2``, MVT's indicator feeds).

``indicator`` objects carry patterns, ``malware`` objects name families, ``relationship``
objects (``indicates``) tie one to the other. Patterns are parsed with the reference STIX
pattern parser (``stix2patterns``), never split on ``=``: a value containing ``=`` or an
escaped quote is read correctly. Understood comparisons (all with ``=``):

====================================  ============================================
``app:id``                            Android package name *and* iOS bundle id
``app:cert.sha1`` / ``app:cert.sha256``  signing certificate
``file:hashes.sha256`` (or ``'SHA-256'``)  APK hash
``domain-name:value``                 C2 / vendor host name
``url:value``                         URL (its host is indexed too)
``ipv4-addr:value`` / ``ipv6-addr:value``  IP address
``configuration-profile:id``          iOS configuration profile identifier
====================================  ============================================

Anything else (other object types, ``LIKE`` / ``MATCHES``, conditions joined with ``AND`` or
``FOLLOWEDBY`` that only hold together) is skipped with a located warning rather than
matched wrongly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stix2patterns.exceptions import ParseException
from stix2patterns.v21.inspector import InspectionListener
from stix2patterns.v21.pattern import Pattern

from stalkerscan.errors import SignatureError
from stalkerscan.signatures import model as m
from stalkerscan.signatures import normalize as n
from stalkerscan.signatures.builder import FamilyBuilder
from stalkerscan.signatures.importers.base import (
    MAX_FEED_BYTES,
    ImportContext,
    Importer,
    read_limited,
)
from stalkerscan.signatures.model import ImportResult, SignatureProblem
from stalkerscan.signatures.normalize import slugify

UNATTRIBUTED = "unattributed"


class _Listener(InspectionListener):
    """The library's inspector, also noting conditions joined with AND inside one observation."""

    def __init__(self) -> None:
        super().__init__()
        self.comparison_and = False

    def enterComparisonExpressionAnd(self, ctx: Any) -> None:  # noqa: N802 - ANTLR naming
        if ctx.getChildCount() > 1:
            self.comparison_and = True


def _unquote(literal: str) -> str:
    """The value of a STIX string literal: ``'a\\'b'`` -> ``a'b``."""
    if len(literal) >= 2 and literal[0] == "'" and literal[-1] == "'":
        body = literal[1:-1]
        return body.replace("\\'", "'").replace("\\\\", "\\")
    return literal


def parse_pattern(pattern: str) -> tuple[list[tuple[str, str, str]], str | None]:
    """``[(object:path, operator, value), ...]`` and a reason when the pattern cannot be used
    as independent indicators. Raises ``ParseException`` on invalid syntax."""
    listener = _Listener()
    Pattern(pattern).walk(listener)
    data = listener.pattern_data()
    comparisons: list[tuple[str, str, str]] = []
    for object_type, tests in data.comparisons.items():
        for path, operator, literal in tests:
            prop = ".".join(str(p) for p in path)
            comparisons.append((f"{object_type}:{prop}", operator, _unquote(str(literal))))
    joined = {op for op in data.observation_ops if op != "OR"}
    if joined or (listener.comparison_and and len(comparisons) > 1):
        ops = " / ".join(sorted(joined)) or "AND"
        return comparisons, (f"conditions joined with {ops} only hold together; stalkerscan "
                             f"matches single indicators")
    return comparisons, None


class Stix2Importer(Importer):
    """STIX 2.1 bundle (MVT convention)."""

    format = "stix2"
    description = "STIX 2.1 bundle with MVT-style indicator patterns"

    def sniff(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() not in (".stix2", ".stix", ".json"):
            return False
        text = head.decode("utf-8-sig", "replace").lstrip()
        return text.startswith("{") and '"bundle"' in text[:4096] or path.suffix.lower() in (".stix2", ".stix")

    def load(self, path: Path, context: ImportContext | None = None) -> ImportResult:
        display = self.display(path, context)
        try:
            bundle = json.loads(read_limited(path, MAX_FEED_BYTES, display).decode("utf-8-sig"))
        except SignatureError as exc:
            return self.unreadable(display, exc)
        except UnicodeDecodeError:
            return self.failed(display, "not-utf8", "file is not UTF-8 text", display)
        except json.JSONDecodeError as exc:
            return self.failed(display, "json-syntax", f"JSON syntax error: {exc.msg}",
                               f"{display}:{exc.lineno}")
        except RecursionError:
            return self.failed(display, "json-syntax", "JSON nesting is too deep", display)
        if not isinstance(bundle, dict) or bundle.get("type") != "bundle" \
                or not isinstance(bundle.get("objects"), list):
            return self.failed(display, "not-a-bundle",
                               'not a STIX 2.1 bundle ({"type": "bundle", "objects": [...]})', display)
        stem = path.name.split(".")[0]
        provenance = self.provenance(path, context, source=f"stix:{stem}", licence=None)
        problems: list[SignatureProblem] = []
        objects = [o for o in bundle["objects"] if isinstance(o, dict)]
        malware = {o.get("id"): o for o in objects if o.get("type") == "malware"}
        targets: dict[str, list[str]] = {}
        for rel in objects:
            if rel.get("type") == "relationship" and rel.get("relationship_type") == "indicates":
                targets.setdefault(str(rel.get("source_ref")), []).append(str(rel.get("target_ref")))

        builders: dict[str, FamilyBuilder] = {}

        def builder_for(malware_id: str) -> FamilyBuilder:
            obj = malware.get(malware_id)
            name = str(obj.get("name") or malware_id) if obj else UNATTRIBUTED
            key = malware_id if obj else UNATTRIBUTED
            if key not in builders:
                family_type = _family_type(obj, stem)
                b = FamilyBuilder(family_id=slugify(name), name=name, family_type=family_type,
                                  provenance=provenance, location=display, problems=problems,
                                  id_from_name=True)
                if obj:
                    b.aliases = [str(a) for a in obj.get("aliases", []) if isinstance(a, str)]
                    refs = [r.get("url") for r in obj.get("external_references", [])
                            if isinstance(r, dict) and isinstance(r.get("url"), str)]
                    b.references = refs
                builders[key] = b
            return builders[key]

        for position, obj in enumerate(objects):
            if obj.get("type") != "indicator":
                continue
            where = f"{display} (object {position + 1}, {obj.get('id', 'no id')})"
            pattern = obj.get("pattern")
            if obj.get("pattern_type", "stix") != "stix" or not isinstance(pattern, str):
                problems.append(SignatureProblem(m.SEVERITY_WARNING, "unsupported-pattern",
                                                 "indicator has no STIX pattern; skipped", where))
                continue
            try:
                comparisons, reason = parse_pattern(pattern)
            except ParseException as exc:
                problems.append(SignatureProblem(m.SEVERITY_WARNING, "bad-pattern",
                                                 f"pattern {pattern[:200]!r} is not valid STIX: {exc}; "
                                                 f"skipped", where))
                continue
            if reason:
                problems.append(SignatureProblem(m.SEVERITY_WARNING, "compound-pattern",
                                                 f"pattern {pattern[:200]!r}: {reason}; skipped", where))
                continue
            malware_ids = targets.get(str(obj.get("id")), [])
            if not malware_ids:
                problems.append(SignatureProblem(
                    m.SEVERITY_NOTE, "unattributed",
                    f"pattern {pattern[:200]!r} is not linked to any malware object; kept under "
                    f"{UNATTRIBUTED!r}", where))
                malware_ids = [UNATTRIBUTED]
            for malware_id in malware_ids:
                b = builder_for(malware_id)
                for target, operator, value in comparisons:
                    self._add(b, target, operator, value, pattern, where, problems)
        families = tuple(b.build() for b in builders.values() if not b.is_empty())
        return ImportResult(families, tuple(problems), self.format, display)

    @staticmethod
    def _add(b: FamilyBuilder, target: str, operator: str, value: str, pattern: str, where: str,
             problems: list[SignatureProblem]) -> None:
        if operator != "=":
            problems.append(SignatureProblem(m.SEVERITY_WARNING, "unsupported-operator",
                                             f"pattern {pattern[:200]!r} uses {operator}; only = is "
                                             f"matched; skipped", where))
            return
        before = len(problems)
        if target == "app:id":
            # MVT matches app:id against Android packages and iOS bundle ids alike.
            if n.is_android_package(value):
                b.add_package(value)
            if n.is_bundle_id(value):
                b.add_bundle_id(value)
            if not n.is_android_package(value) and not n.is_bundle_id(value):
                b.add_package(value)  # records the located warning
        elif target in ("app:cert.sha1", "app:cert.sha256"):
            b.add_certificate(value, None, target.rsplit(".", 1)[1])
        elif target.lower() in ("file:hashes.sha256", "file:hashes.sha-256"):
            b.add_apk_sha256(value)
        elif target == "domain-name:value" or target == "url:value":
            b.add_network("c2", value)
        elif target in ("ipv4-addr:value", "ipv6-addr:value"):
            b.add_ip(value)
        elif target == "configuration-profile:id":
            b.add_profile_identifier(value)
        else:
            problems.append(SignatureProblem(m.SEVERITY_NOTE, "unused-indicator",
                                             f"{target} indicators are not matched by stalkerscan "
                                             f"({pattern[:200]!r}); skipped", where))
            return
        # Builder problems have no line in a JSON bundle: point them at the object instead.
        for i in range(before, len(problems)):
            p = problems[i]
            problems[i] = SignatureProblem(p.severity, p.code, p.message, where)


def _family_type(obj: dict[str, Any] | None, stem: str) -> str:
    """Family type from a malware object: its types, its description, else the file name."""
    if obj:
        types = {str(t).lower() for t in obj.get("malware_types", []) if isinstance(t, str)}
        text = f"{obj.get('description', '')} {' '.join(types)}".lower()
        for family_type in ("watchware", "stalkerware", "dual-use", "spyware"):
            if family_type in text:
                return family_type
    return "stalkerware" if "stalkerware" in stem.lower() else "spyware"
