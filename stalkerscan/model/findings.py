"""Findings: what the matchers and behavioural rules conclude, in a form a report can explain.

A :class:`Finding` is the only thing the reports read besides the inventory. It says what
was found, how serious it is, how sure we are, which evidence in the case folder shows it,
and what safe next steps are. It never contains advice to uninstall or reset anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from stalkerscan.model.common import SourceRef


class Severity(str, Enum):
    """How much a finding matters for the person's safety."""

    HIGH = "high"
    """Known stalkerware, or capabilities that let someone watch the person."""

    MEDIUM = "medium"
    """Signs of monitoring that need a closer look with an advocate."""

    LOW = "low"
    """Settings or facts that make monitoring easier, or are worth knowing."""

    INFO = "info"
    """Context only: reminders and facts with no risk of their own."""

    @property
    def rank(self) -> int:
        """Sort key: higher is more severe."""
        return {"high": 3, "medium": 2, "low": 1, "info": 0}[self.value]


class Confidence(str, Enum):
    """How sure we are that the finding is what it says."""

    HIGH = "high"
    """Strong evidence: an APK hash or signing certificate matched, or a fact read directly."""

    MEDIUM = "medium"
    """Good evidence that could have an innocent explanation (a package name anyone can pick)."""

    LOW = "low"
    """A weak hint (a component name, a label that looks like a system app)."""


class EvidenceStrength(str, Enum):
    """Strength of a signature match (issue: signatures)."""

    STRONG = "strong"
    """APK hash or signing certificate: cannot be chosen by someone else."""

    MEDIUM = "medium"
    """Package name or bundle id alone: anyone can pick a name."""

    WEAK = "weak"
    """Component class names: easy to copy, only a hint."""

    def confidence(self) -> Confidence:
        """The finding confidence this strength gives."""
        return {"strong": Confidence.HIGH, "medium": Confidence.MEDIUM, "weak": Confidence.LOW}[
            self.value
        ]


@dataclass(frozen=True)
class Provenance:
    """Where an indicator came from, shown beside every signature finding."""

    source: str
    """Feed or signature set name, e.g. ``stalkerscan``, ``echap-ioc``, ``isdi-app-flags``."""

    licence: str | None = None
    """Licence of the data, e.g. ``CC-BY-4.0``."""

    version: str | None = None
    """Version, commit or download date of the set."""

    reference: str | None = None
    """A public reference (URL) for the indicator or family."""

    file: str | None = None
    """The file the indicator was loaded from."""


@dataclass(frozen=True)
class SignatureMatch:
    """One indicator that matched one thing on the phone."""

    family_id: str
    """Stable id of the family, e.g. ``thetruthspy``."""

    family_name: str
    """Display name of the family."""

    family_type: str
    """``stalkerware``, ``watchware``, ``dual-use`` or ``spyware``."""

    indicator_kind: str
    """``package``, ``certificate_sha1``, ``certificate_sha256``, ``apk_sha256``, ``component``,
    ``bundle_id``, ``profile_id``, ``profile_uuid``, ``signer``, ``domain``, ``yara``."""

    indicator: str
    """The indicator value as normalised for matching."""

    subject: str
    """What it matched on the phone: package name, bundle id or profile identifier."""

    strength: EvidenceStrength
    """How strong this kind of match is as evidence."""

    provenance: tuple[Provenance, ...] = ()
    """Every source that lists this indicator (several feeds may agree)."""

    note: str | None = None
    """Anything the reader should know, e.g. a near-miss in letter case."""


@dataclass(frozen=True)
class Finding:
    """One conclusion, explained."""

    id: str
    """Stable id of the rule or signature family that produced it, e.g. ``android.sideloaded_accessibility``."""

    title: str
    """Short plain-language headline, e.g. "An app installed from outside a store can read your screen"."""

    severity: Severity
    """How much it matters."""

    confidence: Confidence
    """How sure we are."""

    subject: str
    """What it is about: a package name, bundle id, profile identifier or ``device``."""

    explanation: str
    """What this is and why it matters, for a non-expert reader."""

    subject_label: str | None = None
    """Human name of the subject (app label), where known."""

    kind: str = "rule"
    """``signature`` (from an indicator match) or ``rule`` (from a behavioural rule)."""

    facts: Mapping[str, str] = field(default_factory=dict)
    """The values that made it fire, e.g. ``installer: com.android.shell``."""

    evidence: tuple[SourceRef, ...] = ()
    """Files in the case folder (and places in them) that show it."""

    next_steps: tuple[str, ...] = ()
    """Safe next steps. Never uninstall, disable or reset: those can alert and destroy evidence."""

    matches: tuple[SignatureMatch, ...] = ()
    """The indicator matches behind a signature finding."""
