"""``report.json``: the report for programs, documented by docs/report-schema.json.

Device text is kept exactly (this file is for machines and researchers), but every
invisible or control character is written as a ``\\uXXXX`` escape, so that opening the file
in an editor or a terminal cannot hide or reorder text (right-to-left overrides) or send
escape sequences.
"""

from __future__ import annotations

import json
from typing import Any

from stalkerscan import __version__
from stalkerscan.model.case import AnalysisResult
from stalkerscan.model.findings import Severity
from stalkerscan.model.ios import IosInventory
from stalkerscan.model.serialize import to_data
from stalkerscan.report.sanitize import is_invisible

FORMAT = "stalkerscan-report/1"


def _escape_invisible(text: str) -> str:
    out = []
    for ch in text:
        if not is_invisible(ch) or ch in "\n":
            out.append(ch)
            continue
        code = ord(ch)
        if code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


def report_data(result: AnalysisResult) -> dict[str, Any]:
    """The report as JSON-ready data."""
    inventory = result.inventory
    platform = inventory.platform
    device: dict[str, Any] = {"platform": platform, **to_data(inventory.device),
                              "apps": len(inventory.apps)}
    if isinstance(inventory, IosInventory):
        device["profiles"] = len(inventory.profiles)
        device["source"] = inventory.source
    manifest = sorted(result.manifest, key=lambda e: e.path)
    return {
        "format": FORMAT,
        "generated_by": {"tool": "stalkerscan", "version": __version__},
        "analysed_utc": result.analysed_utc,
        "verdict": to_data(result.verdict),
        "case": to_data(result.info),
        "device": device,
        "signatures": to_data(result.signatures),
        "counts": {s.value: sum(1 for f in result.findings if f.severity is s) for s in Severity},
        "findings": [{"number": n, **to_data(f)} for n, f in enumerate(result.findings, 1)],
        "missing": list(inventory.missing),
        "parse_problems": len(inventory.problems),
        "evidence": [{"number": n, "path": e.path, "sha256": e.sha256, "size": e.size}
                     for n, e in enumerate(manifest, 1)],
        "custody": [to_data(entry) for entry in result.custody],
    }


def render_json(result: AnalysisResult) -> str:
    """``report.json`` text: indented, UTF-8, invisible characters escaped."""
    text = json.dumps(report_data(result), indent=1, ensure_ascii=False, default=str)
    return _escape_invisible(text) + "\n"
