"""Importers for the signature formats users hold, each behind :class:`Importer`."""

from stalkerscan.signatures.importers.base import ImportContext, Importer
from stalkerscan.signatures.importers.echap_samples import EchapSamplesImporter
from stalkerscan.signatures.importers.echap_yaml import EchapYamlImporter
from stalkerscan.signatures.importers.family_yaml import FamilyYamlImporter
from stalkerscan.signatures.importers.isdi_flags import IsdiFlagsImporter
from stalkerscan.signatures.importers.stix2 import Stix2Importer

IMPORTERS: tuple[Importer, ...] = (
    FamilyYamlImporter(),
    EchapYamlImporter(),
    EchapSamplesImporter(),
    Stix2Importer(),
    IsdiFlagsImporter(),
)
"""Every importer, in the order format detection tries them."""

__all__ = [
    "IMPORTERS", "EchapSamplesImporter", "EchapYamlImporter", "FamilyYamlImporter",
    "ImportContext", "Importer", "IsdiFlagsImporter", "Stix2Importer",
]
