"""Writing an analysis's outputs (inventory, findings, reports) into a case folder."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from stalkerscan.model.case import AnalysisResult
from stalkerscan.model.serialize import to_data

FORMATS = ("json", "html", "md")
"""Report formats written by default; ``pdf`` is optional (see docs/report-format.md)."""


def inventory_bytes(result: AnalysisResult) -> bytes:
    """``inventory.json``: the parsed inventory, re-readable with ``from_data``."""
    data = {"format": "stalkerscan-inventory/1", "platform": result.info.platform,
            "inventory": to_data(result.inventory)}
    return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode()


def findings_bytes(result: AnalysisResult) -> bytes:
    """``findings.json``: verdict, findings and the signature set used."""
    data = {
        "format": "stalkerscan-findings/1",
        "analysed_utc": result.analysed_utc,
        "verdict": to_data(result.verdict),
        "signatures": to_data(result.signatures),
        "findings": to_data(result.findings),
    }
    return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode()


def rendered_reports(result: AnalysisResult, *, locale: str, formats: Sequence[str]) -> dict[str, bytes]:
    """Report files by name, rendered from one analysis."""
    from stalkerscan.report import html, jsonreport, markdown
    from stalkerscan.report.locale import load_locale

    pack = load_locale(locale)
    renderers: dict[str, tuple[str, Callable[[], str]]] = {
        "json": ("report.json", lambda: jsonreport.render_json(result)),
        "html": ("report.html", lambda: html.render_html(result, locale=pack)),
        "md": ("summary.md", lambda: markdown.render_markdown(result, locale=pack)),
    }
    files: dict[str, bytes] = {}
    for fmt in formats:
        if fmt == "pdf":
            from stalkerscan.report.pdf import render_pdf

            files["report.pdf"] = render_pdf(result, locale=pack)
            continue
        name, render = renderers[fmt]
        files[name] = render().encode("utf-8")
    return files


def analysis_files(result: AnalysisResult, *, locale: str, formats: Sequence[str] = FORMATS) -> dict[str, bytes]:
    """Every output file of one analysis, by name."""
    files = {"inventory.json": inventory_bytes(result), "findings.json": findings_bytes(result)}
    files.update(rendered_reports(result, locale=locale, formats=formats))
    return files
