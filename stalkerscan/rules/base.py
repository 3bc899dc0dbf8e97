"""What a behavioural rule is, and the small helpers every rule uses.

A rule is a pure function from a :class:`RuleContext` (one inventory and the analysis date) to
findings. It never reads files, the clock or the network, so the same evidence always gives
the same findings, today or in five years when a case is re-analysed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from stalkerscan.model.android import AndroidApp, AndroidInventory, InstallSource
from stalkerscan.model.common import SourceRef, clean_excerpt
from stalkerscan.model.findings import Confidence, Finding, Severity
from stalkerscan.model.ios import IosInventory

Inventory = AndroidInventory | IosInventory

LABEL_LIMIT = 80
"""Longest app label quoted inside a title or explanation; the report shows the full one."""

CONFIDENCE_RANK = {Confidence.HIGH: 2, Confidence.MEDIUM: 1, Confidence.LOW: 0}
"""Sort key for confidence: higher is surer."""

NOT_FROM_A_STORE = frozenset({
    InstallSource.ADB, InstallSource.BROWSER, InstallSource.PACKAGE_INSTALLER,
    InstallSource.OTHER_APP, InstallSource.UNKNOWN,
})
"""Install sources that mean "sideloaded": nobody reviewed the app before it arrived."""

HOW_INSTALLED = {
    InstallSource.PREINSTALLED: "came with the phone",
    InstallSource.STORE: "installed from an app store",
    InstallSource.ADB: "installed from a computer over a USB cable (USB debugging)",
    InstallSource.BROWSER: "downloaded with a web browser and opened",
    InstallSource.PACKAGE_INSTALLER: "opened from a downloaded file",
    InstallSource.OTHER_APP: "installed by another app that is not a known app store",
    InstallSource.UNKNOWN: "installed without any record of where it came from",
}
"""How an app arrived, in words a non-expert reads."""


@dataclass(frozen=True)
class RuleContext:
    """Everything a rule may look at."""

    inventory: Inventory
    """What the phone holds."""

    analysed_on: date
    """The analysis date, passed in (rules never read the clock)."""


Check = Callable[[RuleContext], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """One behavioural rule: metadata for docs and reports, and the check itself."""

    id: str
    """Stable id, ``<platform>.<what_it_finds>``; also the id of every finding it makes."""

    platform: str
    """``android`` or ``ios``: the inventory type it runs on."""

    summary: str
    """One line for contributors and ``docs/rules.md``: what makes it fire."""

    severity: Severity
    """The usual severity of its findings (a rule may lower or raise it per finding, and says
    so in its docstring)."""

    confidence: Confidence
    """The usual confidence of its findings."""

    reads: tuple[str, ...]
    """Logical artifact names it reads (``AndroidArtifact`` / ``IosArtifact`` values): when one
    is missing the rule could not be fully checked, and the report cites these files."""

    check: Check
    """The pure function that produces the findings."""

    def run(self, context: RuleContext) -> tuple[Finding, ...]:
        """The findings for one inventory."""
        return tuple(self.check(context))


def quoted(text: str | None, fallback: str) -> str:
    """A device string made safe and short enough to sit inside a sentence."""
    if not text:
        return fallback
    return "\N{LEFT DOUBLE QUOTATION MARK}" + clean_excerpt(text, LABEL_LIMIT) + (
        "\N{RIGHT DOUBLE QUOTATION MARK}"
    )


def app_name(app: AndroidApp) -> str:
    """How a sentence names an app: its label in quotes, or its package name."""
    return quoted(app.label, clean_excerpt(app.package, LABEL_LIMIT))


def not_from_a_store(app: AndroidApp) -> bool:
    """Sideloaded: not part of the system image and not installed by a known store."""
    return not (app.system or app.updated_system) and app.install_source in NOT_FROM_A_STORE


def installer_facts(app: AndroidApp) -> dict[str, str]:
    """The install facts every app finding shows."""
    facts = {"package": app.package, "how it was installed": HOW_INSTALLED[app.install_source]}
    if app.installer:
        facts["installer"] = app.installer
    if app.initiating_installer and app.initiating_installer != app.installer:
        facts["install requested by"] = app.initiating_installer
    if app.originating_installer:
        facts["downloaded through"] = app.originating_installer
    if app.first_install_time:
        facts["first installed (phone's clock)"] = app.first_install_time
    return facts


def finding(
    rule: Rule,
    *,
    subject: str,
    title: str,
    explanation: str,
    next_steps: Iterable[str],
    facts: Mapping[str, str] | None = None,
    evidence: Iterable[SourceRef] = (),
    subject_label: str | None = None,
    severity: Severity | None = None,
    confidence: Confidence | None = None,
) -> Finding:
    """A finding from a rule, with the rule's id and default severity / confidence."""
    return Finding(
        id=rule.id,
        title=title,
        severity=severity or rule.severity,
        confidence=confidence or rule.confidence,
        subject=subject,
        explanation=explanation,
        subject_label=subject_label,
        kind="rule",
        facts=dict(facts or {}),
        evidence=tuple(dict.fromkeys(evidence)),
        next_steps=tuple(next_steps),
    )


def sources_of(*items: object) -> tuple[SourceRef, ...]:
    """The ``sources`` of any inventory items that carry them, deduplicated, in order."""
    refs: list[SourceRef] = []
    for item in items:
        refs.extend(getattr(item, "sources", ()) or ())
    return tuple(dict.fromkeys(refs))


def sort_key(item: Finding) -> tuple[int, int, int, str, str]:
    """Most severe first, then surest, signatures before rules, then by id and subject."""
    return (
        -item.severity.rank,
        -CONFIDENCE_RANK[item.confidence],
        0 if item.kind == "signature" else 1,
        item.id,
        item.subject,
    )
