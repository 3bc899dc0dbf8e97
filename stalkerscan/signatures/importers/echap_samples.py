"""Echap's ``samples.csv``: ``SHA256,Package Name,Certificate,Version,App``.

One row per known APK. Each row gives an APK SHA-256 (strong evidence), and often the
package name and certificate SHA-1 of that APK. ``App`` is a family name *or alias* as used
in ``ioc.yaml`` (``Copy9`` is an alias of TheTruthSpy), so families from this file carry
``id_from_name`` and the loader attaches them to the family whose name or alias matches.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from stalkerscan.signatures import model as m
from stalkerscan.signatures.builder import FamilyBuilder
from stalkerscan.signatures.importers.base import CsvImporter, ImportContext
from stalkerscan.signatures.importers.echap_yaml import ECHAP_LICENCE, ECHAP_REFERENCE
from stalkerscan.signatures.model import Family, SignatureProblem
from stalkerscan.signatures.normalize import slugify

HEADER = ("SHA256", "Package Name", "Certificate", "Version", "App")


class EchapSamplesImporter(CsvImporter):
    """Echap ``samples.csv``."""

    format = "echap-samples"
    description = "Echap stalkerware-indicators samples.csv (APK hashes)"

    header = HEADER

    def read_rows(self, rows: Iterator[tuple[int, list[str]]], path: Path,
                  context: ImportContext | None,
                  problems: list[SignatureProblem]) -> tuple[Family, ...]:
        display = self.display(path, context)
        provenance = self.provenance(path, context, source="echap-samples", licence=ECHAP_LICENCE,
                                     reference=ECHAP_REFERENCE)
        builders: dict[str, FamilyBuilder] = {}
        for line, (sha256, package, certificate, _version, app) in rows:
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
        return tuple(b.build() for b in builders.values() if not b.is_empty())
