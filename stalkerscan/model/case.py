"""What a report needs to know about a case besides the inventory and findings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from stalkerscan.model.android import AndroidInventory
from stalkerscan.model.findings import Finding, Provenance
from stalkerscan.model.ios import IosInventory


@dataclass(frozen=True)
class ManifestEntry:
    """One file of a case folder with its hash."""

    path: str
    """Path relative to the case folder, with ``/`` separators."""

    sha256: str
    """Lower-case hex SHA-256."""

    size: int
    """Size in bytes."""


@dataclass(frozen=True)
class CustodyEntry:
    """One line of the append-only custody log."""

    time_utc: str
    """When it happened, ISO 8601 UTC."""

    event: str
    """What happened: ``case_opened``, ``device_identified``, ``captured``, ``scan_finished``,
    ``scan_interrupted``, ``analysed``, ``report_rendered``, ``verified``..."""

    details: Mapping[str, object] = field(default_factory=dict)
    """Event details (tool version, examiner, serial, file and hash, ...)."""


@dataclass(frozen=True)
class SignatureSetInfo:
    """Which signatures an analysis used, for the report and the custody log."""

    description: str
    """One line, e.g. ``stalkerscan 2026.11 + echap (downloaded 2026-11-20)``."""

    sources: tuple[Provenance, ...] = ()
    """Every source loaded, with licence and version."""

    families: int = 0
    """Number of families loaded."""

    indicators: int = 0
    """Number of indicators loaded."""

    age_days: int | None = None
    """Age of the newest downloaded community set, where one is used."""

    warnings: tuple[str, ...] = ()
    """Plain-language warnings (set older than 30 days, files skipped as broken, ...)."""


class VerdictLevel(str, Enum):
    """The one-line answer at the top of every report."""

    KNOWN_STALKERWARE = "known_stalkerware"
    """"Known stalkerware found"."""

    SIGNS_OF_MONITORING = "signs_of_monitoring"
    """"Signs of monitoring found"."""

    NOTHING_FOUND = "nothing_found"
    """"Nothing found by these checks"."""


@dataclass(frozen=True)
class Verdict:
    """The verdict with what it rests on."""

    level: VerdictLevel
    """Which of the three answers."""

    headline: str
    """The line shown first, in plain words."""

    checked: tuple[str, ...] = ()
    """What was checked, one plain phrase each."""

    not_checked: tuple[str, ...] = ()
    """What was not checked or cannot be seen over USB, one plain phrase each."""


@dataclass(frozen=True)
class CaseInfo:
    """Who, what, when: the facts of the acquisition."""

    case_id: str | None
    """Case id given by the examiner (``--case-id``)."""

    examiner: str | None
    """Examiner name given with ``--examiner``."""

    platform: str
    """``android`` or ``ios``."""

    tool_version: str
    """stalkerscan version that acquired the case."""

    host: str
    """Host name of the computer that acquired it."""

    started_utc: str
    """Acquisition start, ISO 8601 UTC."""

    finished_utc: str | None
    """Acquisition end, ISO 8601 UTC (None when it never finished)."""

    complete: bool
    """False when the acquisition stopped early: the case is kept and marked incomplete."""

    incomplete_reason: str | None = None
    """Why it stopped early, in plain words."""

    device_serial: str | None = None
    """Serial number or UDID of the phone."""

    device_model: str | None = None
    """Model of the phone."""

    clock_drift_start_s: float | None = None
    """Phone clock minus computer clock at the start, seconds."""

    clock_drift_end_s: float | None = None
    """Phone clock minus computer clock at the end, seconds."""

    source: str = "usb"
    """``usb`` for a live phone, ``ios-backup`` or ``androidqf`` for imported folders."""


@dataclass(frozen=True)
class AnalysisResult:
    """Everything a report renders."""

    info: CaseInfo
    """Acquisition facts."""

    inventory: AndroidInventory | IosInventory
    """What the phone holds."""

    findings: tuple[Finding, ...]
    """Findings, most severe first."""

    verdict: Verdict
    """The one-line answer."""

    signatures: SignatureSetInfo
    """Signatures used."""

    manifest: tuple[ManifestEntry, ...] = ()
    """Every evidence file with its hash (for the evidence log)."""

    custody: tuple[CustodyEntry, ...] = ()
    """The custody log so far."""

    analysed_utc: str = ""
    """When this analysis ran, ISO 8601 UTC."""
