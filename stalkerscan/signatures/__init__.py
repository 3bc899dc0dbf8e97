"""Signature families: format, loader and lint, feed importers, updates.

The public API:

- :func:`load_signature_set` - bundled + last downloaded community set + ``--signatures``
  paths, as a :class:`SignatureSet` (``.index`` is the :class:`IndicatorIndex` matcher);
- :func:`update_signatures` - download community feeds atomically;
- :func:`lint_paths` - located problems of signature files;
- :func:`run_family_tests` - the test cases embedded in family files;
- :func:`propose_family` - a draft family file from a case's evidence.
"""

from stalkerscan.signatures.lint_paths import LintReport, lint_paths
from stalkerscan.signatures.model import (
    FAMILY_TYPES,
    Family,
    FamilyTest,
    ImportResult,
    SignatureProblem,
)
from stalkerscan.signatures.propose import propose_family
from stalkerscan.signatures.signature_set import (
    SignatureSet,
    SkippedFile,
    SourceInfo,
    load_signature_set,
)
from stalkerscan.signatures.testcases import TestOutcome, run_family_tests
from stalkerscan.signatures.update import (
    DEFAULT_SOURCES,
    DownloadedSet,
    FeedSource,
    UpdateResult,
    current_set,
    sources_from,
    update_signatures,
)

__all__ = [
    "DEFAULT_SOURCES", "FAMILY_TYPES", "DownloadedSet", "Family", "FamilyTest", "FeedSource",
    "ImportResult", "LintReport", "SignatureProblem", "SignatureSet", "SkippedFile", "SourceInfo",
    "TestOutcome", "UpdateResult", "current_set", "lint_paths", "load_signature_set",
    "propose_family", "run_family_tests", "sources_from", "update_signatures",
]
