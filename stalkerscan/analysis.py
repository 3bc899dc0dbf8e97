"""Analysis: preserved evidence in, inventory + findings + verdict out. Never touches a phone.

This is the thin orchestration of parse -> match -> rules -> verdict over an
:class:`~stalkerscan.model.artifacts.EvidenceReader` (a case folder), used the same way by
``scan`` (right after acquisition) and by ``analyze`` (any time later, offline, with newer
signatures).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from stalkerscan.model.android import AndroidInventory, ApkFile, InstallSource
from stalkerscan.model.artifacts import AndroidArtifact, Outcome
from stalkerscan.model.case import (
    AnalysisResult,
    CaseInfo,
    CustodyEntry,
    ManifestEntry,
    SignatureSetInfo,
)
from stalkerscan.model.findings import Finding, Provenance, SignatureMatch
from stalkerscan.model.ios import IosInventory
from stalkerscan.preserve import manifest as manifest_mod
from stalkerscan.preserve.case import CaseFolder
from stalkerscan.preserve.clock import iso_utc
from stalkerscan.preserve.manifest import Manifest
from stalkerscan.signatures.signature_set import SignatureSet

SIDELOADED = frozenset({
    InstallSource.ADB, InstallSource.BROWSER, InstallSource.PACKAGE_INSTALLER,
    InstallSource.OTHER_APP, InstallSource.UNKNOWN,
})


# --------------------------------------------------------------------------- inventories
def inspect_pulled_apks(case: CaseFolder) -> tuple[dict[str, list[ApkFile]], dict[str, str]]:
    """Inspect every APK pulled into the case: hashes, certificates, problems; and the app
    labels their manifests give (the phone's shell has no other way to tell an app's name)."""
    from stalkerscan.apk.analyze import inspect_apk_details

    by_package: dict[str, list[ApkFile]] = defaultdict(list)
    labels: dict[str, str] = {}
    for record in case.records():
        if record.name != AndroidArtifact.APK.value or "data" not in record.files:
            continue
        if record.outcome is not Outcome.OK:
            continue
        rel = record.files["data"]
        path = case.evidence_path(rel)
        if path is None:
            continue  # not a regular file inside the case (a tampered record): never opened
        device_path = record.request.removeprefix("RECV ").strip()
        details = inspect_apk_details(path, device_path=device_path, case_path=rel)
        package = record.subject or "?"
        by_package[package].append(details.apk)
        manifest = details.manifest
        # Only the base APK names the app; a manifest naming another package is not believed.
        if manifest is not None and manifest.label and manifest.package in (None, package):
            labels.setdefault(package, manifest.label)
    return dict(by_package), labels


def build_inventory(case: CaseFolder) -> AndroidInventory | IosInventory:
    """Parse a case's preserved evidence into an inventory."""
    if case.meta.source == "androidqf":
        from stalkerscan.acquire.androidqf import inventory_from_case

        return inventory_from_case(case)
    if case.meta.platform == "android":
        from stalkerscan.parse.android.inventory import build_android_inventory

        acquisition = case.acquisition() or {}
        apks, labels = inspect_pulled_apks(case)
        return build_android_inventory(
            case, apks=apks, labels=labels, serial=acquisition.get("device_serial")
        )
    from stalkerscan.parse.ios.inventory import build_ios_inventory

    return build_ios_inventory(case)


# --------------------------------------------------------------------------- matching
def match_inventory(inventory: AndroidInventory | IosInventory, signatures: SignatureSet) -> list[SignatureMatch]:
    """Every indicator match for an inventory (package names, certificates, hashes, ...)."""
    if isinstance(inventory, AndroidInventory):
        return signatures.index.match_android(inventory)
    return signatures.index.match_ios(inventory)


def match_case(
    inventory: AndroidInventory | IosInventory, signatures: SignatureSet, case: CaseFolder
) -> tuple[list[SignatureMatch], list[str]]:
    """Indicator matches plus YARA over the APKs kept in the case; and notes on what YARA
    could not scan."""
    matches = match_inventory(inventory, signatures)
    if not isinstance(inventory, AndroidInventory):
        return matches, []
    from stalkerscan.match.yara_matcher import yara_matches

    # YARA reads only APK files kept in the case, as regular files: an androidqf import lists
    # APKs by hash without the file (or names a file from its own computer), and a tampered
    # case could name anything.
    kept = dataclasses.replace(inventory, apps=tuple(
        dataclasses.replace(app, apks=tuple(apk for apk in app.apks
                                            if apk.case_path and case.evidence_path(apk.case_path)))
        for app in inventory.apps))
    found, notes = yara_matches(kept, case.root, signatures)
    return matches + found, notes


def signature_info(signatures: SignatureSet, notes: Sequence[str] = ()) -> SignatureSetInfo:
    """What the report and custody log say about the signatures used."""
    from datetime import datetime, timezone

    counts = signatures.counts()
    age_days = None
    if signatures.community is not None:
        fetched = datetime.fromisoformat(signatures.community.fetched_at.replace("Z", "+00:00"))
        age_days = (datetime.now(timezone.utc) - fetched).days
    sources = tuple(
        Provenance(source=source.kind, version=source.fetched_at, file=source.path)
        for source in signatures.sources
    )
    return SignatureSetInfo(
        description=signatures.summary().removeprefix("Signatures: "),
        sources=sources,
        families=counts.get("families", 0),
        indicators=sum(n for kind, n in counts.items() if kind != "families"),
        age_days=age_days,
        warnings=(*signatures.warnings, *notes),
    )


def evaluate_findings(
    inventory: AndroidInventory | IosInventory, matches: Sequence[SignatureMatch], analysed_on: date
) -> tuple[Finding, ...]:
    """Behavioural rules plus signature findings, most severe first."""
    from stalkerscan.rules import evaluate

    return evaluate(inventory, matches, analysed_on=analysed_on)


def apks_worth_pulling(case: CaseFolder, policy: str, signatures: SignatureSet) -> list[str]:
    """Which packages to pull APKs for, judged from what was already preserved.

    ``none``: nothing; ``all``: every non-system app; ``sideloaded``: apps not from a store;
    ``flagged``: apps named by a finding; ``default``: flagged + sideloaded.

    This parses the evidence, and the first analysis parses it again after the pulls: pulled
    APKs add hashes, certificates and app names that change matches and findings, and the
    inventory builder attaches APKs only while it builds. The cost is one parse (about 0.8 s of
    CPU at 3,000 apps, nearly all of it ``dumpsys package``; matching and rules take
    milliseconds), paid only when APKs may be pulled. Avoiding it would take an inventory
    builder that adds APKs to an inventory already built.
    """
    if policy == "none":
        return []
    inventory = build_inventory(case)
    assert isinstance(inventory, AndroidInventory)
    chosen: list[str] = []
    if policy == "all":
        chosen = [a.package for a in inventory.apps if not a.system]
    if policy in ("sideloaded", "default"):
        chosen += [a.package for a in inventory.apps if not a.system and a.install_source in SIDELOADED]
    if policy in ("flagged", "default"):
        matches = match_inventory(inventory, signatures)
        findings = evaluate_findings(inventory, matches, date.today())
        installed = {a.package for a in inventory.apps}
        chosen += [f.subject for f in findings if f.subject in installed]
    seen: set[str] = set()
    return [p for p in chosen if not (p in seen or seen.add(p))]


# --------------------------------------------------------------------------- case facts
def case_info(case: CaseFolder) -> CaseInfo:
    """Who / what / when, from ``case.json`` and ``acquisition.json``."""
    meta = case.meta
    acquisition = case.acquisition()
    complete = bool(acquisition and acquisition.get("complete"))
    if acquisition is None:
        reason = ("The scan stopped without closing the case (the program was ended or the "
                  "computer lost power). Everything saved before that is kept.")
    else:
        reason = acquisition.get("incomplete_reason")
    acq = acquisition or {}
    return CaseInfo(
        case_id=meta.case_id,
        examiner=meta.examiner,
        platform=meta.platform,
        tool_version=meta.tool_version,
        host=meta.host,
        started_utc=meta.started_utc,
        finished_utc=acq.get("finished_utc"),
        complete=complete,
        incomplete_reason=None if complete else reason,
        device_serial=acq.get("device_serial"),
        device_model=acq.get("device_model"),
        clock_drift_start_s=acq.get("clock_drift_start_s"),
        clock_drift_end_s=acq.get("clock_drift_end_s"),
        source=meta.source,
    )


def evidence_entries(case: CaseFolder, custody: Sequence[CustodyEntry] | None = None) -> tuple[ManifestEntry, ...]:
    """Every evidence file with its hash, for the report's evidence log: from the manifest when
    the case is sealed, else (the first analysis runs before sealing) from what the custody log
    recorded as each file was written. Entries naming a path outside the case or holding no
    SHA-256 (a tampered case; ``verify`` reports it) are left out. ``custody``: the log's
    entries when the caller already read them."""
    from stalkerscan.preserve.verify import custody_records, is_case_path

    def usable(path: str, sha256: str) -> bool:
        return is_case_path(path) and len(sha256) == 64

    manifest_path = case.evidence_path(manifest_mod.FILE_NAME)
    if manifest_path is not None:
        try:
            listed = Manifest.from_bytes(manifest_path.read_bytes()).files
        except (ValueError, KeyError, TypeError):
            listed = ()
        kept = tuple(e for e in listed if usable(e.path, e.sha256))
        if kept:
            return kept
    recorded = custody_records(case.custody.entries() if custody is None else custody).files
    return tuple(ManifestEntry(path, sha256, max(size, 0))
                 for path, (sha256, size) in sorted(recorded.items()) if usable(path, sha256))


def analyse(
    case: CaseFolder, signatures: SignatureSet, *, analysed_on: date | None = None, locale: str = "en"
) -> AnalysisResult:
    """Parse, match and judge one case folder's preserved evidence."""
    inventory = build_inventory(case)
    matches, notes = match_case(inventory, signatures, case)
    findings = evaluate_findings(inventory, matches, analysed_on or date.today())
    info = case_info(case)
    used = signature_info(signatures, notes)
    from stalkerscan.report.locale import load_locale
    from stalkerscan.report.verdict import compute_verdict

    verdict = compute_verdict(findings, inventory, used, complete=info.complete, locale=load_locale(locale))
    custody: tuple[CustodyEntry, ...] = tuple(case.custody.entries())
    return AnalysisResult(
        info=info,
        inventory=inventory,
        findings=findings,
        verdict=verdict,
        signatures=used,
        manifest=evidence_entries(case, custody),
        custody=custody,
        analysed_utc=iso_utc(),
    )

