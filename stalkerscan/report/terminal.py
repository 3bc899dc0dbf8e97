"""The terminal summary: verdict first, then a table of findings, with rich.

Colour comes only from rich's own detection (none when the output is not a terminal or
``NO_COLOR`` is set). Device text never goes through rich markup: it is passed as ``Text``
objects, after control characters (terminal escape sequences) are made visible.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from stalkerscan.model.case import AnalysisResult, VerdictLevel
from stalkerscan.report.locale import LocalePack, load_locale
from stalkerscan.report.sanitize import LABEL_LIMIT, visible
from stalkerscan.report.view import build_view

VERDICT_STYLE = {
    VerdictLevel.KNOWN_STALKERWARE: "bold white on dark_red",
    VerdictLevel.SIGNS_OF_MONITORING: "bold black on yellow",
    VerdictLevel.NOTHING_FOUND: "bold white on grey23",
}
SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}


def _text(value: object, limit: int = 300, style: str = "") -> Text:
    return Text(visible(value, limit), style=style)


def render_terminal(
    result: AnalysisResult, console: Console, *, locale: LocalePack | None = None
) -> None:
    """Print the summary of one analysis."""
    pack = locale or load_locale()
    view = build_view(result, pack)
    level = view.verdict.level
    if view.incomplete:
        body = [_text(pack.t("incomplete_text"), 1000)]
        if result.info.incomplete_reason:
            body.append(_text(pack.t("incomplete_reason", reason=result.info.incomplete_reason)))
        console.print(Panel(Group(*body), title=_text(pack.t("incomplete_title"), style="bold"),
                            border_style="yellow"))
    headline = Text(f" {visible(view.verdict.headline)} ", style=VERDICT_STYLE[level])
    console.print(Panel(Group(headline, _text(view.summary, 1000), _text(view.counts, style="dim")),
                        title=_text(pack.t("verdict_heading")), border_style="bold"))
    if view.findings:
        table = Table(title=_text(pack.t("findings_heading")), show_lines=False, expand=True)
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column(_text(pack.t("severity_label")), no_wrap=True)
        table.add_column(_text(pack.t("findings_heading")), ratio=3)
        table.add_column(_text(pack.t("about_label")), ratio=2, overflow="fold")
        table.add_column(_text(pack.t("confidence_label")), ratio=2)
        for fv in view.findings:
            item = fv.finding
            if fv.about:
                about = _text(fv.about)
            else:
                about = _text(item.subject_label, LABEL_LIMIT) if item.subject_label else Text()
                if item.subject_label:
                    about.append("\n")
                about.append(visible(item.subject, LABEL_LIMIT), style="dim")
            table.add_row(str(fv.number), _text(fv.severity, style=SEVERITY_STYLE[item.severity.value]),
                          _text(item.title), about,
                          _text(fv.confidence.split(":")[0]))
        console.print(table)
    if level is not VerdictLevel.NOTHING_FOUND:
        console.print(Panel(_text(pack.items("safety_guidance")[0], 1000),
                            title=_text(pack.t("safety_title")), border_style="red"))
    console.print(_text(pack.t("checked_signatures", description=result.signatures.description,
                               families=result.signatures.families,
                               indicators=result.signatures.indicators), style="dim"))
    console.print(_text(pack.t("not_checked_heading"), style="bold"))
    for line in view.verdict.not_checked:
        console.print(Text("  \N{BULLET} ").append(_text(line, 500, style="dim")))
