"""PDF export: not built in (yet).

No well-kept pure-Python library renders our HTML and CSS faithfully without large native
dependencies, and a half-faithful PDF of evidence is worse than none. The HTML report is laid
out for printing on A4 and Letter, so every browser's "Print to PDF" gives a clean PDF.
"""

from __future__ import annotations

from stalkerscan.errors import UsageError
from stalkerscan.model.case import AnalysisResult
from stalkerscan.report.locale import LocalePack


def render_pdf(result: AnalysisResult, *, locale: LocalePack | None = None) -> bytes:
    """Always raises :class:`UsageError` with the way to get a PDF."""
    raise UsageError(
        "PDF export is not available in this version of stalkerscan.",
        "Open report.html in a web browser and choose Print, then Save as PDF: the report "
        "is laid out for A4 and Letter paper.",
    )
