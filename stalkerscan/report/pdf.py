"""PDF export with WeasyPrint, an optional extra (``pip install 'stalkerscan[pdf]'``).

The PDF is rendered from the same self-contained HTML as ``report.html``, so both always say
the same thing. WeasyPrint is given a URL fetcher that refuses every URL: the report needs
none, and rendering must never reach the network. Without WeasyPrint (or the Pango library
it needs), the error says how to get a PDF from any browser instead.
"""

from __future__ import annotations

from stalkerscan.errors import UsageError
from stalkerscan.model.case import AnalysisResult
from stalkerscan.report.html import render_html
from stalkerscan.report.locale import LocalePack

_NO_PDF_ADVICE = (
    "Install the PDF extra (pip install 'stalkerscan[pdf]'; it needs the Pango library), or "
    "open report.html in a web browser and choose Print, then Save as PDF: the report is laid "
    "out for A4 and Letter paper."
)


def _refuse_every_url(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    raise ValueError(f"the report loads nothing from outside: refused {url[:80]!r}")


def render_pdf(result: AnalysisResult, *, locale: LocalePack | None = None) -> bytes:
    """The report as PDF bytes; :class:`UsageError` with advice when PDF export is unavailable."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the Pango library is missing
        raise UsageError(f"PDF export is not available here ({type(exc).__name__}: {exc}).",
                         _NO_PDF_ADVICE) from exc
    html = render_html(result, locale=locale)
    return HTML(string=html, url_fetcher=_refuse_every_url).write_pdf()
