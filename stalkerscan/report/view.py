"""What every report shows, worked out once from an :class:`AnalysisResult` and a locale pack.

The HTML, Markdown and terminal renderers only lay this out. Strings here are still raw
(device text included): each renderer escapes for its own medium and makes invisible
characters visible through :mod:`stalkerscan.report.sanitize`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from stalkerscan import __version__
from stalkerscan.model.android import AndroidInventory
from stalkerscan.model.artifacts import AndroidArtifact as A
from stalkerscan.model.artifacts import IosArtifact as I
from stalkerscan.model.case import AnalysisResult, ManifestEntry, Verdict
from stalkerscan.model.findings import Finding, Provenance, Severity
from stalkerscan.model.ios import IosInventory
from stalkerscan.report.locale import Helpline, LocalePack, Source
from stalkerscan.report.verdict import compute_verdict
from stalkerscan.rules.registry import get_rule

SIGNATURE_READS = {
    "android": (A.PACKAGE_LIST.value, A.DUMPSYS_PACKAGE.value),
    "ios": (I.INSTALLED_APPS.value, I.PROFILE_LIST.value),
}
"""Artifacts a signature finding rests on besides its app's own sources."""

DEVICE_SUBJECT = "device"
"""Subject of findings about the phone as a whole (see stalkerscan.rules)."""

_RAW = re.compile(r"^raw/\d+-(?P<name>[A-Za-z0-9_]+)\.(?:stdout|response|data)$")


@dataclass(frozen=True)
class EvidenceRef:
    """One piece of evidence behind a finding, tied to the evidence log."""

    path: str
    """File relative to the case folder."""

    number: int | None
    """Its number in the evidence log, or None when the log does not list it."""

    sha256: str | None
    """SHA-256 from the manifest."""

    line: int | None = None
    """Line in the file, where known."""

    detail: str = ""
    """The text that shows the fact."""


@dataclass(frozen=True)
class FindingView:
    """One finding as a report shows it."""

    number: int
    """1-based position in the report."""

    finding: Finding
    """The finding itself (title, explanation, next steps...)."""

    severity: str
    """Severity in the locale's words."""

    confidence: str
    """Confidence in the locale's words (a sentence)."""

    kind: str
    """How it was found, in the locale's words."""

    facts: tuple[tuple[str, str], ...]
    """What the phone showed, key and value."""

    evidence: tuple[EvidenceRef, ...]
    """Files of the case folder behind it."""

    sources: tuple[str, ...]
    """Signature sources (feed, version, licence, reference) for signature findings."""

    about: str | None
    """Who or what it is about in words when it is the phone itself, else None (the report
    then shows the label and the package, bundle id or profile identifier)."""


@dataclass(frozen=True)
class ReportView:
    """Everything a report lays out."""

    pack: LocalePack
    result: AnalysisResult
    platform: str
    verdict: Verdict
    summary: str
    counts: str
    findings: tuple[FindingView, ...]
    device_rows: tuple[tuple[str, str], ...]
    case_rows: tuple[tuple[str, str], ...]
    evidence_log: tuple[tuple[int, ManifestEntry], ...]
    custody_rows: tuple[tuple[str, str, str], ...]
    helplines: tuple[Helpline, ...]
    help_sources: tuple[Source, ...]
    footer: str

    @property
    def incomplete(self) -> bool:
        """True when the acquisition stopped early."""
        return not self.result.info.complete


def _yes_no(pack: LocalePack, value: bool | None) -> str:
    if value is None:
        return pack.t("unknown")
    return pack.t("answer_yes") if value else pack.t("answer_no")


def drift(pack: LocalePack, seconds: float | None) -> str:
    """Phone clock against the computer's, in words."""
    if seconds is None:
        return pack.t("unknown")
    if abs(seconds) < 1:
        return pack.t("drift_same")
    direction = pack.t("drift_ahead") if seconds > 0 else pack.t("drift_behind")
    return pack.t("drift_value", seconds=f"{abs(seconds):,.1f}", direction=direction)


def _device_rows(pack: LocalePack, inventory: AndroidInventory | IosInventory,
                 source: str = "usb") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []

    def add(key: str, value: object) -> None:
        if value not in (None, ""):
            rows.append((pack.t(key), str(value)))

    if isinstance(inventory, AndroidInventory):
        device = inventory.device
        model = " ".join(dict.fromkeys(v for v in (device.manufacturer, device.model) if v))
        add("device_model", model or None)
        add("device_os_android", device.android_version)
        add("device_patch", device.security_patch)
        add("device_build", device.fingerprint)
        add("device_serial", device.serial)
        system = sum(1 for a in inventory.apps if a.system)
        rows.append((pack.t("device_apps"), pack.t(
            "device_apps_count", total=len(inventory.apps), user=len(inventory.apps) - system,
            system=system)))
        if inventory.users:
            add("device_users", "; ".join(
                f"{user.name} ({_user_kind(pack, user.kind)})" for user in inventory.users))
        add("device_source", pack.t("source_androidqf" if source == "androidqf" else "source_usb"))
    else:
        device_ios = inventory.device
        add("device_name", device_ios.name)
        add("device_model", " ".join(v for v in (device_ios.product_type, device_ios.model_number) if v)
            or None)
        version = device_ios.ios_version
        if version and device_ios.build_version:
            version = f"{version} ({device_ios.build_version})"
        add("device_os_ios", version)
        add("device_serial", device_ios.serial)
        add("device_udid", device_ios.udid)
        if device_ios.passcode_set is not None:
            add("device_passcode", _yes_no(pack, device_ios.passcode_set))
        system = sum(1 for a in inventory.apps if (a.application_type or "").lower() == "system")
        rows.append((pack.t("device_apps"), pack.t(
            "device_apps_count", total=len(inventory.apps), user=len(inventory.apps) - system,
            system=system)))
        add("device_profiles", len(inventory.profiles))
        add("device_source", pack.t("source_backup" if inventory.source == "backup" else "source_usb"))
    return rows


_USER_KINDS = ("owner", "work_profile", "guest", "secondary")


def _user_kind(pack: LocalePack, kind: str) -> str:
    # A stored inventory may hold anything here (a crafted case): never build a key from it.
    return pack.t(f"user_kind_{kind}") if kind in _USER_KINDS else pack.t("user_kind_secondary")


def _case_rows(pack: LocalePack, result: AnalysisResult) -> list[tuple[str, str]]:
    info = result.info
    given = pack.t("not_given")
    rows = [
        (pack.t("custody_case_id"), info.case_id or given),
        (pack.t("custody_examiner"), info.examiner or given),
        (pack.t("custody_tool"), f"stalkerscan {info.tool_version}"),
        (pack.t("custody_host"), info.host),
        (pack.t("custody_started"), info.started_utc),
        (pack.t("custody_finished"), info.finished_utc or pack.t("custody_not_finished")),
        (pack.t("custody_complete"), _yes_no(pack, info.complete)),
        (pack.t("custody_drift_start"), drift(pack, info.clock_drift_start_s)),
        (pack.t("custody_drift_end"), drift(pack, info.clock_drift_end_s)),
        (pack.t("custody_analysed"), result.analysed_utc or pack.t("unknown")),
        (pack.t("custody_signatures"), result.signatures.description),
    ]
    if info.device_serial:
        rows.insert(4, (pack.t("device_serial"), info.device_serial))
    for source in result.signatures.sources:
        rows.append((pack.t("custody_signature_source"), _provenance_line(source)))
    return rows


def _provenance_line(provenance: Provenance) -> str:
    parts = (provenance.source, provenance.version, provenance.licence, provenance.reference)
    return ", ".join(part for part in parts if part)


def _details(details: Mapping[str, object]) -> str:
    parts = []
    for key, value in details.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                                 sort_keys=True, default=str)
        parts.append(f"{key}: {text}")
    return "; ".join(parts)


def artifact_files(manifest: Iterable[ManifestEntry], names: Iterable[str]) -> list[ManifestEntry]:
    """Manifest entries holding the answers for the given logical artifact names."""
    wanted = set(names)
    found = []
    for entry in manifest:
        match = _RAW.match(entry.path)
        if match and match["name"] in wanted:
            found.append(entry)
    return found


def finding_evidence(
    item: Finding, platform: str, manifest: tuple[ManifestEntry, ...], numbers: Mapping[str, int]
) -> tuple[EvidenceRef, ...]:
    """The finding's own evidence, then the answers its rule read, each tied to the log."""
    by_path = {entry.path: entry for entry in manifest}
    refs: dict[str, EvidenceRef] = {}
    for source in item.evidence:
        if source.path in refs:
            continue
        entry = by_path.get(source.path)
        refs[source.path] = EvidenceRef(source.path, numbers.get(source.path),
                                        entry.sha256 if entry else None, source.line, source.detail)
    rule = get_rule(item.id)
    if rule is not None:
        reads = rule.reads
    else:
        reads = SIGNATURE_READS.get(platform, ()) if item.kind == "signature" else ()
    for entry in artifact_files(manifest, reads):
        refs.setdefault(entry.path, EvidenceRef(entry.path, numbers.get(entry.path), entry.sha256))
    return tuple(refs.values())


def _finding_view(pack: LocalePack, number: int, item: Finding, platform: str,
                  manifest: tuple[ManifestEntry, ...], numbers: Mapping[str, int]) -> FindingView:
    sources = tuple(dict.fromkeys(_provenance_line(p) for m in item.matches for p in m.provenance))
    return FindingView(
        number=number,
        finding=item,
        severity=pack.t(f"severity_{item.severity.value}"),
        confidence=pack.t(f"confidence_{item.confidence.value}"),
        kind=pack.t("kind_signature" if item.kind == "signature" else "kind_rule"),
        facts=tuple((str(k), str(v)) for k, v in item.facts.items()),
        evidence=finding_evidence(item, platform, manifest, numbers),
        sources=sources,
        about=pack.t("subject_device") if item.subject == DEVICE_SUBJECT else None,
    )


def build_view(result: AnalysisResult, pack: LocalePack) -> ReportView:
    """The view of one analysis in one locale."""
    inventory = result.inventory
    platform = inventory.platform
    # The level is the analysis's own decision; the phrases are re-worded in this locale.
    worded = compute_verdict(result.findings, inventory, result.signatures,
                             complete=result.info.complete, locale=pack)
    level = result.verdict.level
    verdict = Verdict(level=level, headline=pack.t(f"verdict_{level.value}"),
                      checked=worded.checked, not_checked=worded.not_checked)
    manifest = tuple(sorted(result.manifest, key=lambda e: e.path))
    numbers = {entry.path: n for n, entry in enumerate(manifest, 1)}
    counts = {s.value: sum(1 for f in result.findings if f.severity is s) for s in Severity}
    return ReportView(
        pack=pack,
        result=result,
        platform=platform,
        verdict=verdict,
        summary=pack.t(f"summary_{level.value}"),
        counts=pack.t("finding_counts", **counts) if result.findings else pack.t("no_findings"),
        findings=tuple(_finding_view(pack, n, item, platform, manifest, numbers)
                       for n, item in enumerate(result.findings, 1)),
        device_rows=tuple(_device_rows(pack, inventory, result.info.source)),
        case_rows=tuple(_case_rows(pack, result)),
        evidence_log=tuple(enumerate(manifest, 1)),
        custody_rows=tuple((e.time_utc, e.event, _details(e.details)) for e in result.custody),
        helplines=pack.helplines,
        help_sources=pack.sources,
        footer=pack.t("footer", version=__version__, time=result.analysed_utc or pack.t("unknown")),
    )
