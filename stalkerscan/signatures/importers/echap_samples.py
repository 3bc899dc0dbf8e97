"""Echap's ``samples.csv``: ``SHA256,Package Name,Certificate,Version,App``.

One row per known APK. Each row gives an APK SHA-256 (strong evidence), and often the
package name and certificate SHA-1 of that APK. ``App`` is a family name *or alias* as used
in ``ioc.yaml`` (``Copy9`` is an alias of TheTruthSpy), so families from this file carry
``id_from_name`` and the loader attaches them to the family whose name or alias matches.
"""

from __future__ import annotations

from pathlib import Path

from stalkerscan.signatures import model as m
from stalkerscan.signatures.builder import FamilyBuilder
from stalkerscan.signatures.importers.base import (
    CsvImporter,
    ImportContext,
)
from stalkerscan.signatures.importers.echap_yaml import ECHAP_LICENCE, ECHAP_REFERENCE
from stalkerscan.signatures.model import ImportResult, SignatureProblem
from stalkerscan.signatures.normalize import slugify

HEADER = ("SHA256", "Package Name", "Certificate", "Version", "App")


class EchapSamplesImporter(CsvImporter):
    """Echap ``samples.csv``."""

    format = "echap-samples"
    description = "Echap stalkerware-indicators samples.csv (APK hashes)"

    header = HEADER

    def load(self, path: Path, context: ImportContext | None = None) -> ImportResult:
        display = self.display(path, context)
        rows, failure = self.rows(path, display)
        if failure is not None or rows is None:
            return failure or ImportResult((), (), self.format, display)
        problems: list[SignatureProblem] = []
        provenance = self.provenance(path, context, source="echap-samples", licence=ECHAP_LICENCE,
                                     reference=ECHAP_REFERENCE)
        builders: dict[str, FamilyBuilder] = {}
        for line, row in rows:
            if len(row) < 5:
                problems.append(SignatureProblem(m.SEVERITY_WARNING, "short-row",
                                                 f"row has {len(row)} columns, expected 5; skipped",
                                                 f"{display}:{line}"))
                continue
            sha256, package, certificate, _version, app = (cell.strip() for cell in row[:5])
            if not app:
                problems.append(SignatureProblem(m.SEVERITY_WARNING, "missing-app",
                                                 "row names no App (family); skipped",
                                                 f"{display}:{line}"))
                continue
            family_id = slugify(app)
            b = builders.get(family_id)
            if b is None:
                b = FamilyBuilder(family_id=family_id, name=app, family_type="stalkerware",
                                  provenance=provenance, location=f"{display}:{line}",
                                  problems=problems, id_from_name=True)
                b.references = [ECHAP_REFERENCE]
                builders[family_id] = b
            if sha256:
                b.add_apk_sha256(sha256, line)
            if package:
                b.add_package(package, line)
            if certificate:
                b.add_certificate(certificate, line, "sha1")
        families = tuple(b.build() for b in builders.values() if not b.is_empty())
        return ImportResult(families, tuple(problems), self.format, display)
