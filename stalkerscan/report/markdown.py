"""``summary.md``: a short summary to paste into case notes.

Verdict first, then each finding in one line, what the check could not see, and where the
full report is. Device text is made visible and Markdown-escaped, so a hostile label cannot
turn into a link, an image or raw HTML in whatever tool renders the notes.
"""

from __future__ import annotations

from stalkerscan.model.case import AnalysisResult
from stalkerscan.report.locale import LocalePack, load_locale
from stalkerscan.report.sanitize import LABEL_LIMIT, escape_markdown, visible
from stalkerscan.report.view import build_view


def _md(text: object, limit: int = 500) -> str:
    return escape_markdown(visible(text, limit))


def render_markdown(result: AnalysisResult, *, locale: LocalePack | None = None) -> str:
    """The Markdown summary of one analysis."""
    pack = locale or load_locale()
    view = build_view(result, pack)
    info = result.info
    lines = [f"# {_md(pack.t('report_title'))}", ""]
    if view.incomplete:
        lines.append(f"> **{_md(pack.t('incomplete_title'))}.** {_md(pack.t('incomplete_text'))}")
        if info.incomplete_reason:
            lines.append(f"> {_md(pack.t('incomplete_reason', reason=info.incomplete_reason))}")
        lines.append("")
    lines += [f"**{_md(pack.t('verdict_heading'))}: {_md(view.verdict.headline)}**", "",
              _md(view.summary, 2000), "", _md(view.counts), ""]
    for key, value in view.case_rows[:4] + view.device_rows[:2]:
        lines.append(f"- {_md(key)}: {_md(value, LABEL_LIMIT)}")
    lines += [f"- {_md(pack.t('custody_started'))}: {_md(info.started_utc)}",
              f"- {_md(pack.t('custody_signatures'))}: {_md(result.signatures.description)}", ""]
    lines += [f"## {_md(pack.t('findings_heading'))}", ""]
    if not view.findings:
        lines += [_md(pack.t("no_findings")), ""]
    for fv in view.findings:
        item = fv.finding
        about = _md(fv.about or item.subject, LABEL_LIMIT)
        if item.subject_label and not fv.about:
            about = f"{_md(item.subject_label, LABEL_LIMIT)} ({about})"
        lines.append(f"{fv.number}\\. **{_md(fv.severity)}**: {_md(item.title)}. "
                     f"{_md(pack.t('about_label'))}: {about}. "
                     f"{_md(pack.t('confidence_label'))}: {_md(fv.confidence)}")
    lines += ["", f"## {_md(pack.t('safety_title'))}", ""]
    lines += [f"- {_md(line, 2000)}" for line in pack.items("safety_guidance")]
    lines += ["", f"## {_md(pack.t('not_checked_heading'))}", ""]
    lines += [f"- {_md(line)}" for line in view.verdict.not_checked]
    lines += ["", _md(view.footer), ""]
    return "\n".join(lines)
