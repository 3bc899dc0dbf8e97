"""Reports: the verdict, HTML, JSON, Markdown and terminal outputs, and locale packs.

Every renderer reads an :class:`~stalkerscan.model.case.AnalysisResult` and nothing else;
device text is escaped for each medium and invisible characters are made visible
(:mod:`stalkerscan.report.sanitize`). docs/report-format.md describes the outputs.
"""

from stalkerscan.report.html import render_html
from stalkerscan.report.jsonreport import render_json
from stalkerscan.report.locale import LocalePack, available_locales, load_locale
from stalkerscan.report.markdown import render_markdown
from stalkerscan.report.terminal import render_terminal
from stalkerscan.report.verdict import compute_verdict

__all__ = [
    "LocalePack", "available_locales", "compute_verdict", "load_locale", "render_html",
    "render_json", "render_markdown", "render_terminal",
]
