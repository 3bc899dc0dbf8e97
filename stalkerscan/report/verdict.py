"""The one-line answer at the top of every report, and what it rests on.

Three answers, deliberately plain: "Known stalkerware found", "Signs of monitoring found",
"Nothing found by these checks". The last never claims the phone is safe: the verdict always
lists what was not checked and what no USB check can ever see (someone signed in to the
person's Google or Apple account, location sharing, a tracker in a bag, a second phone).
"""

from __future__ import annotations

from collections.abc import Sequence

from stalkerscan.model.android import AndroidInventory
from stalkerscan.model.artifacts import AndroidArtifact as A
from stalkerscan.model.artifacts import IosArtifact as I
from stalkerscan.model.case import SignatureSetInfo, Verdict, VerdictLevel
from stalkerscan.model.findings import EvidenceStrength, Finding, Severity
from stalkerscan.model.ios import IosInventory
from stalkerscan.report.locale import LocalePack, load_locale

STALKERWARE_TYPES = frozenset({"stalkerware", "spyware"})
MONITORING_TYPES = STALKERWARE_TYPES | {"watchware"}
SOLID = frozenset({EvidenceStrength.STRONG, EvidenceStrength.MEDIUM})

ANDROID_CHECKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("checked_android_apps", (A.PACKAGE_LIST.value, A.DUMPSYS_PACKAGE.value)),
    ("checked_android_powers", (A.DUMPSYS_ACCESSIBILITY.value, A.DUMPSYS_DEVICE_POLICY.value,
                                A.SETTINGS_SECURE.value, A.USAGE_ACCESS.value)),
    ("checked_android_owners", (A.DUMPSYS_DEVICE_POLICY.value,)),
    ("checked_android_settings", (A.SETTINGS_GLOBAL.value, A.SETTINGS_SECURE.value,
                                  A.INSTALL_UNKNOWN_APPS.value)),
    ("checked_android_system", (A.GETPROP.value, A.ROOT_CHECK.value)),
)
"""What an Android check covers, each with the artifacts it needs."""

IOS_CHECKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("checked_ios_apps", (I.INSTALLED_APPS.value,)),
    ("checked_ios_profiles", (I.PROFILE_LIST.value,)),
    ("checked_ios_management", (I.CLOUD_CONFIGURATION.value,)),
    ("checked_ios_jailbreak", (I.JAILBREAK_SERVICES.value,)),
)
BACKUP_LACKS = frozenset({"checked_ios_management", "checked_ios_jailbreak"})
"""What an existing iTunes / Finder backup cannot show."""


def verdict_level(findings: Sequence[Finding]) -> VerdictLevel:
    """Which of the three answers the findings give."""
    signs = False
    for item in findings:
        family_types = {m.family_type for m in item.matches}
        if item.kind == "signature":
            solid = any(m.family_type in STALKERWARE_TYPES and m.strength in SOLID
                        for m in item.matches)
            if solid:
                return VerdictLevel.KNOWN_STALKERWARE
            if family_types & MONITORING_TYPES:
                signs = True
        if item.severity in (Severity.HIGH, Severity.MEDIUM):
            signs = True
    return VerdictLevel.SIGNS_OF_MONITORING if signs else VerdictLevel.NOTHING_FOUND


def _artifact_phrase(pack: LocalePack, name: str) -> str:
    key = f"artifact_{name}"
    what = pack.t(key) if key in pack.strings else name
    return pack.t("not_checked_missing", what=what)


def compute_verdict(
    findings: Sequence[Finding],
    inventory: AndroidInventory | IosInventory,
    signatures: SignatureSetInfo,
    *,
    complete: bool,
    locale: LocalePack | None = None,
) -> Verdict:
    """The verdict, with what was checked and what was not (in the locale's words)."""
    pack = locale or load_locale()
    level = verdict_level(findings)
    missing = set(inventory.missing)
    checked: list[str] = []
    not_checked: list[str] = []
    if not complete:
        not_checked.append(pack.t("not_checked_incomplete"))
    if isinstance(inventory, AndroidInventory):
        platform, checks = "android", ANDROID_CHECKS
        counts = {"checked_android_apps": len(inventory.apps)}
    else:
        platform, checks = "ios", IOS_CHECKS
        counts = {"checked_ios_apps": len(inventory.apps),
                  "checked_ios_profiles": len(inventory.profiles)}
    from_backup = isinstance(inventory, IosInventory) and inventory.source == "backup"
    for key, needs in checks:
        if from_backup and key in BACKUP_LACKS:
            continue
        if not missing.intersection(needs):
            checked.append(pack.t(key, count=counts.get(key, 0)))
    if isinstance(inventory, AndroidInventory):
        pulled = sum(len(app.apks) for app in inventory.apps)
        if pulled:
            checked.append(pack.t("checked_android_apks", count=pulled))
        else:
            not_checked.append(pack.t("not_checked_no_apks"))
    if from_backup:
        not_checked.append(pack.t("not_checked_backup"))
    if signatures.families:
        checked.append(pack.t("checked_signatures", description=signatures.description,
                              families=signatures.families, indicators=signatures.indicators))
    else:
        not_checked.append(pack.t("not_checked_no_signatures"))
    not_checked.extend(_artifact_phrase(pack, name) for name in sorted(missing))
    if inventory.problems:
        not_checked.append(pack.t("not_checked_problems", count=len(inventory.problems)))
    not_checked.extend(signatures.warnings)
    not_checked.extend(pack.items(f"never_visible_{platform}"))
    return Verdict(
        level=level,
        headline=pack.t(f"verdict_{level.value}"),
        checked=tuple(checked),
        not_checked=tuple(not_checked),
    )
