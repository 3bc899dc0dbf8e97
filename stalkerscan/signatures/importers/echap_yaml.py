"""Echap's ``ioc.yaml`` and ``watchware.yaml`` (AssoEchap/stalkerware-indicators, CC-BY 4.0).

A list of families: ``name``, ``names``, ``type``, ``packages``, ``certificates`` (upper-case
SHA-1), ``websites``, ``distribution``, ``c2: {ips, domains}``, ``ios_bundles``,
``certificate_organizations``, ``certificate_cname_re``. Known traps handled here:

- values are read as strings (the authors' loader does the same);
- three C2 IPs sit under a misspelt ``c2.ip`` key: read as ``c2.ips``, with a note;
- ``distribution`` mixes host names, URLs and an IP: each is sorted by what it is;
- certificates are upper-case: normalised to lower-case;
- the public AOSP test key is refused as evidence (see ``shared_keys``).

Packages or certificates listed under two families are kept under both; the loader reports
them (``lint.cross_family_problems``) and the matcher says so on a match.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stalkerscan.signatures import model as m
from stalkerscan.signatures.builder import FamilyBuilder
from stalkerscan.signatures.importers.base import ImportContext, YamlImporter, first_content_line
from stalkerscan.signatures.model import Family, ImportResult, SignatureProblem
from stalkerscan.signatures.normalize import slugify
from stalkerscan.signatures.yamlsafe import YamlDocument

ECHAP_REFERENCE = "https://github.com/AssoEchap/stalkerware-indicators"
ECHAP_LICENCE = "CC-BY-4.0"

_KNOWN_KEYS = {
    "name", "names", "type", "packages", "certificates", "websites", "distribution", "c2",
    "ios_bundles", "certificate_organizations", "certificate_cname_re",
}
# Keys read but not used for matching (a certificate's organisation or subject pattern is
# written by whoever made the certificate, so it is no evidence on its own).
_UNUSED_KEYS = {"certificate_organizations", "certificate_cname_re"}


class EchapYamlImporter(YamlImporter):
    """Echap ``ioc.yaml`` / ``watchware.yaml``."""

    format = "echap-yaml"
    description = "Echap stalkerware-indicators ioc.yaml / watchware.yaml"

    def sniff(self, path: Path, head: bytes) -> bool:
        if path.suffix.lower() not in (".yaml", ".yml"):
            return False
        line = first_content_line(head)
        return line is not None and (line.startswith("- name:") or line == "-")

    def default_source(self, path: Path) -> tuple[str, str]:
        """(source name, default family type) from the file name."""
        if "watchware" in path.name.lower():
            return "echap-watchware", "watchware"
        return "echap-ioc", "stalkerware"

    def load_document(self, doc: YamlDocument, path: Path,
                      context: ImportContext | None = None) -> ImportResult:
        """Read an already parsed Echap document."""
        display = doc.source
        if not isinstance(doc.data, list):
            return self.failed(display, "wrong-type",
                               "an Echap indicator file must be a list of families (- name: ...)",
                               doc.where(()))
        problems: list[SignatureProblem] = []
        source, default_type = self.default_source(path)
        provenance = self.provenance(path, context, source=source, licence=ECHAP_LICENCE,
                                     reference=ECHAP_REFERENCE)
        families: list[Family] = []
        ids: dict[str, int] = {}
        for index, entry in enumerate(doc.data):
            family = self._read_family(doc, index, entry, provenance, default_type, problems)
            if family is None:
                continue
            if family.id in ids:
                problems.append(SignatureProblem(
                    m.SEVERITY_WARNING, "duplicate-family",
                    f"family {family.name!r} appears twice in this file (first at entry "
                    f"{ids[family.id] + 1}); both entries are used", family.location))
            ids.setdefault(family.id, index)
            families.append(family)
        return ImportResult(tuple(families), tuple(problems), self.format, display)

    def _read_family(self, doc: YamlDocument, index: int, entry: Any, provenance: Any,
                     default_type: str, problems: list[SignatureProblem]) -> Family | None:
        where = doc.where((index,))
        if not isinstance(entry, dict):
            problems.append(SignatureProblem(m.SEVERITY_WARNING, "wrong-type",
                                             "list entry is not a family mapping; skipped", where))
            return None
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(SignatureProblem(m.SEVERITY_WARNING, "missing-name",
                                             "family has no name; skipped", where))
            return None
        family_type = entry.get("type", default_type)
        if family_type not in m.FAMILY_TYPES:
            problems.append(SignatureProblem(
                m.SEVERITY_WARNING, "unknown-type",
                f"type {family_type!r} is not one of {', '.join(m.FAMILY_TYPES)}; "
                f"read as {default_type}", doc.where((index, "type"))))
            family_type = default_type
        b = FamilyBuilder(family_id=slugify(name), name=name.strip(), family_type=family_type,
                          provenance=provenance, location=where, problems=problems)
        b.references = [provenance.reference] if provenance.reference else []

        for key in entry:
            if key not in _KNOWN_KEYS:
                b.problem(m.SEVERITY_WARNING, "unknown-key",
                          f"unknown key {key!r} in family {name!r}; ignored", doc.line((index, key)))

        def strings(*path: Any) -> list[tuple[str, int | None]]:
            node: Any = entry
            for part in path:
                if not isinstance(node, dict) or part not in node:
                    return []
                node = node[part]
            if node is None or node == "":
                return []
            if isinstance(node, str):
                return [(node, doc.line((index, *path)))]
            if not isinstance(node, list):
                b.problem(m.SEVERITY_WARNING, "wrong-type",
                          f"{'.'.join(map(str, path))} of {name!r} should be a list; ignored",
                          doc.line((index, *path)))
                return []
            out = []
            for i, item in enumerate(node):
                if isinstance(item, str):
                    out.append((item, doc.line((index, *path, i))))
                else:
                    b.problem(m.SEVERITY_WARNING, "wrong-type",
                              f"{'.'.join(map(str, path))}[{i}] of {name!r} is not a text value; "
                              f"skipped", doc.line((index, *path, i)))
            return out

        b.aliases = [alias for alias, _ in strings("names")]
        for value, line in strings("packages"):
            b.add_package(value, line)
        for value, line in strings("certificates"):
            b.add_certificate(value, line)
        for value, line in strings("ios_bundles"):
            b.add_bundle_id(value, line)
        for value, line in strings("websites"):
            b.add_network("website", value, line)
        for value, line in strings("distribution"):
            b.add_network("distribution", value, line)
        c2 = entry.get("c2")
        if c2 is not None and not isinstance(c2, dict):
            b.problem(m.SEVERITY_WARNING, "wrong-type", f"c2 of {name!r} should be a mapping; ignored",
                      doc.line((index, "c2")))
        elif isinstance(c2, dict):
            for key in c2:
                if key not in ("ips", "ip", "domains"):
                    b.problem(m.SEVERITY_WARNING, "unknown-key",
                              f"unknown key c2.{key} in family {name!r}; ignored",
                              doc.line((index, "c2", key)))
            if "ip" in c2:
                b.problem(m.SEVERITY_NOTE, "misspelt-key",
                          f"family {name!r} lists C2 addresses under the misspelt key 'c2.ip'; "
                          f"read as 'c2.ips'", doc.line((index, "c2", "ip")))
            for key in ("ips", "ip"):
                for value, line in strings("c2", key):
                    b.add_ip(value, line)
            for value, line in strings("c2", "domains"):
                b.add_network("c2", value, line)
        return b.build()
