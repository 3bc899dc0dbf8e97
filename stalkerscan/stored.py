"""Reading back an analysis stored in a case folder (to re-render a report without re-analysing)."""

from __future__ import annotations

import json
from pathlib import Path

from stalkerscan.errors import CaseNotFoundError
from stalkerscan.model.android import AndroidInventory
from stalkerscan.model.case import AnalysisResult, SignatureSetInfo, Verdict
from stalkerscan.model.findings import Finding
from stalkerscan.model.ios import IosInventory
from stalkerscan.model.serialize import from_data
from stalkerscan.preserve.case import ANALYSES_DIR, CaseFolder


def latest_analysis_files(case: CaseFolder) -> tuple[Path, Path]:
    """``inventory.json`` and ``findings.json`` of the newest analysis holding both.

    Read through :meth:`CaseFolder.evidence_path`: regular files inside the case only, never a
    link a tampered case could point at a private or endless file.
    """
    prefixes = [""]
    analyses = case.root / ANALYSES_DIR
    if analyses.is_dir() and not analyses.is_symlink():
        prefixes += sorted(f"{ANALYSES_DIR}/{p.name}/" for p in analyses.iterdir() if p.is_dir())
    for prefix in reversed(prefixes):
        inventory = case.evidence_path(prefix + "inventory.json")
        findings = case.evidence_path(prefix + "findings.json")
        if inventory is not None and findings is not None:
            return inventory, findings
    raise CaseNotFoundError(
        f"{case.root} holds no analysis yet.",
        "Run `stalkerscan analyze` on it first.",
    )


def load_inventory(case_dir: Path | str) -> AndroidInventory | IosInventory:
    """The inventory of a case's latest analysis."""
    case = CaseFolder.open(case_dir)
    return _inventory(latest_analysis_files(case)[0])


def _inventory(path: Path) -> AndroidInventory | IosInventory:
    data = json.loads(path.read_bytes())
    kind = AndroidInventory if data.get("platform") == "android" else IosInventory
    return from_data(kind, data["inventory"])


def load_analysis_result(case: CaseFolder) -> AnalysisResult:
    """The latest stored analysis, with the case facts, evidence list and custody log as now."""
    from stalkerscan.analysis import case_info, evidence_entries

    inventory_path, findings_path = latest_analysis_files(case)
    findings = json.loads(findings_path.read_bytes())
    custody = tuple(case.custody.entries())
    return AnalysisResult(
        info=case_info(case),
        inventory=_inventory(inventory_path),
        findings=from_data(tuple[Finding, ...], findings["findings"]),
        verdict=from_data(Verdict, findings["verdict"]),
        signatures=from_data(SignatureSetInfo, findings["signatures"]),
        manifest=evidence_entries(case, custody),
        custody=custody,
        analysed_utc=str(findings.get("analysed_utc", "")),
    )
