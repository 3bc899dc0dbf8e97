"""The project's own format: one YAML file per family, checked against a JSON Schema.

The schema (``stalkerscan/signatures/family.schema.json``, published as
``docs/signature-schema.json``) is strict: unknown keys, wrong types and malformed values are
errors, and a file with any error is skipped as a whole, so a contributor's mistake can never
half-load. Every message names the file and line.
"""

from __future__ import annotations

import datetime as _dt
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from stalkerscan.signatures import model as m
from stalkerscan.signatures.builder import FamilyBuilder
from stalkerscan.signatures.importers.base import ImportContext, YamlImporter, first_content_line
from stalkerscan.signatures.model import FamilyTest, ImportResult, SignatureProblem, TestApp
from stalkerscan.signatures.yamlsafe import YamlDocument

SCHEMA_RESOURCE = "family.schema.json"


@lru_cache(maxsize=1)
def family_schema() -> dict[str, Any]:
    """The JSON Schema of a family file."""
    text = resources.files("stalkerscan.signatures").joinpath(SCHEMA_RESOURCE).read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(family_schema())


def _path_text(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _explain(error: jsonschema.ValidationError) -> tuple[tuple[Any, ...], str]:
    """A located, plain-language message for one schema error."""
    path = tuple(error.absolute_path)
    where = _path_text(path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            key = extra[0]
            known = ", ".join(sorted(allowed))
            return (*path, key), (f"unknown key {key!r} in {where} (known keys: {known}); "
                                  f"check the spelling")
    if error.validator == "required":
        return path, f"{where}: {error.message}"
    if error.validator == "type":
        expected = error.validator_value
        shape = {"array": "a list", "object": "a mapping (key: value)", "string": "a text value"}
        return path, (f"{where} must be {shape.get(expected, expected)}, "
                      f"not {_shape_of(error.instance)}")
    if error.validator == "pattern":
        hint = ""
        text = where.lower()
        if "sha1" in text:
            hint = " (a SHA-1 is 40 hex digits)"
        elif "sha256" in text:
            hint = " (a SHA-256 is 64 hex digits)"
        elif "references" in text:
            hint = " (a reference must be an http(s) URL of a public report)"
        return path, f"{where}: {error.instance!r} is not valid{hint}"
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return path, f"{where}: {error.instance!r} is not one of {allowed}"
    return path, f"{where}: {error.message}"


def _shape_of(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"the text {value!r}" if isinstance(value, str) else repr(value)


class FamilyYamlImporter(YamlImporter):
    """``signatures/families/*.yaml``: the stalkerscan family format."""

    format = "stalkerscan-family"
    description = "stalkerscan family YAML (one family per file)"

    def sniff(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() not in (".yaml", ".yml"):
            return False
        line = first_content_line(head)
        return line is None or not line.startswith("-")  # a mapping at the top, not Echap's list

    def load_document(self, doc: YamlDocument, path: Path,
                      context: ImportContext | None = None) -> ImportResult:
        """Validate and read an already parsed family document."""
        display = doc.source
        data = doc.data
        if not isinstance(data, dict):
            return self.failed(display, "wrong-type",
                               "a family file must be a mapping (id:, name:, type:, ...) at the "
                               f"top level, not {_shape_of(data) if data is not None else 'empty'}",
                               doc.where(()))
        problems: list[SignatureProblem] = []
        for error in sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
            where_path, message = _explain(error)
            problems.append(SignatureProblem(m.SEVERITY_ERROR, f"schema-{error.validator}",
                                             message, doc.where(where_path)))
        for key in ("first_seen", "last_verified"):
            value = data.get(key)
            if isinstance(value, str):
                try:
                    _dt.date.fromisoformat(value)
                except ValueError:
                    problems.append(SignatureProblem(
                        m.SEVERITY_ERROR, "bad-date", f"{key}: {value!r} is not a date (YYYY-MM-DD)",
                        doc.where((key,))))
        if problems:
            return ImportResult((), tuple(problems), self.format, display)

        family_id = data["id"]
        if path.stem != family_id and path.suffix.lower() in (".yaml", ".yml"):
            problems.append(SignatureProblem(
                m.SEVERITY_WARNING, "file-name", f"file name {path.name!r} differs from id "
                f"{family_id!r}; name the file {family_id}.yaml", doc.where(("id",))))
        provenance = self.provenance(path, context, source=data["source"], licence=data["licence"],
                                     reference=data["references"][0])
        builder = FamilyBuilder(family_id=family_id, name=data["name"], family_type=data["type"],
                                provenance=provenance, location=doc.where(()), problems=problems)
        builder.aliases = list(data.get("aliases", []))
        builder.platforms = list(data["platforms"])
        builder.references = list(data["references"])
        builder.first_seen = data.get("first_seen")
        builder.last_verified = data.get("last_verified")
        builder.contributors = list(data.get("contributors", []))
        self._read_indicators(doc, data, builder)
        builder.tests = [self._read_test(doc, i, case) for i, case in enumerate(data.get("tests", []))]
        family = builder.build()
        if family.indicator_count() == 0:
            problems.append(SignatureProblem(m.SEVERITY_ERROR, "empty-family",
                                             "the family lists no usable indicator", family.location))
            return ImportResult((), tuple(problems), self.format, display)
        for platform in family.platforms:
            count = family.android.count() if platform == "android" else family.ios.count()
            if count == 0:
                problems.append(SignatureProblem(
                    m.SEVERITY_WARNING, "platform-without-indicators",
                    f"platforms lists {platform} but the family has no {platform} indicator",
                    doc.where(("platforms",))))
        return ImportResult((family,), tuple(problems), self.format, display)

    @staticmethod
    def _read_indicators(doc: YamlDocument, data: dict[str, Any], b: FamilyBuilder) -> None:
        def each(*path: Any) -> list[tuple[str, int | None]]:
            node: Any = data
            for part in path:
                if not isinstance(node, dict) or part not in node:
                    return []
                node = node[part]
            return [(value, doc.line((*path, i))) for i, value in enumerate(node)]

        for value, line in each("android", "packages"):
            b.add_package(value, line)
        for value, line in each("android", "certificates", "sha1"):
            b.add_certificate(value, line, "sha1")
        for value, line in each("android", "certificates", "sha256"):
            b.add_certificate(value, line, "sha256")
        for value, line in each("android", "apk_sha256"):
            b.add_apk_sha256(value, line)
        for key, role in (("accessibility_services", m.ROLE_ACCESSIBILITY),
                          ("device_admin_receivers", m.ROLE_DEVICE_ADMIN),
                          ("notification_listeners", m.ROLE_NOTIFICATION_LISTENER)):
            for value, line in each("android", "components", key):
                b.add_component(role, value, line)
        for value, line in each("ios", "bundle_ids"):
            b.add_bundle_id(value, line)
        for value, line in each("ios", "profiles", "identifiers"):
            b.add_profile_identifier(value, line)
        for value, line in each("ios", "profiles", "uuids"):
            b.add_profile_uuid(value, line)
        for value, line in each("ios", "signer_identities"):
            b.add_signer(value, line)
        for key, role in (("c2_domains", "c2"), ("c2_ips", "c2"), ("websites", "website"),
                          ("distribution", "distribution")):
            for value, line in each("network", key):
                b.add_network(role, value, line)
        for value, line in each("yara_rules"):
            b.add_yara_rule(value, line)

    @staticmethod
    def _read_test(doc: YamlDocument, index: int, case: dict[str, Any]) -> FamilyTest:
        platform = "android" if "android" in case else "ios"
        body = case[platform]
        if platform == "android":
            apps = tuple(
                TestApp(package=a["package"],
                        certificates_sha1=tuple(a.get("certificates_sha1", ())),
                        certificates_sha256=tuple(a.get("certificates_sha256", ())),
                        apk_sha256=tuple(a.get("apk_sha256", ())))
                for a in body.get("apps", []))
            profiles: tuple[tuple[str, str | None], ...] = ()
        else:
            apps = tuple(TestApp(package=a["bundle_id"], signer_identity=a.get("signer_identity"))
                         for a in body.get("apps", []))
            profiles = tuple((p["identifier"], p.get("uuid")) for p in body.get("profiles", []))
        return FamilyTest(
            description=case["description"], expect=case["expect"], platform=platform,
            strength=case.get("strength"), apps=apps,
            accessibility_services=tuple(body.get("accessibility_services", ())),
            device_admins=tuple(body.get("device_admins", ())),
            notification_listeners=tuple(body.get("notification_listeners", ())),
            profiles=profiles, location=doc.where(("tests", index)),
        )
