"""Android rules about individual apps: what they were allowed to do and how they hide."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from stalkerscan.model.android import AndroidApp, AndroidInventory
from stalkerscan.model.artifacts import AndroidArtifact as A
from stalkerscan.model.findings import Confidence, Finding, Severity
from stalkerscan.rules import advice
from stalkerscan.rules.base import (
    HOW_INSTALLED,
    RuleContext,
    app_name,
    finding,
    installer_facts,
    not_from_a_store,
    sources_of,
)
from stalkerscan.rules.registry import rule


def _apps(context: RuleContext) -> Iterator[tuple[AndroidInventory, AndroidApp]]:
    inventory = context.inventory
    if isinstance(inventory, AndroidInventory):
        for app in inventory.apps:
            yield inventory, app


# --------------------------------------------------------------------------- capabilities
CAPABILITY_WORDS = {
    "accessibility service": "see everything on the screen, read what is typed and press "
    "buttons on the owner's behalf (an accessibility service)",
    "notification listener": "read every notification as it arrives, including message "
    "previews and login codes (notification access)",
    "device administrator": "lock the phone and make itself harder to take off the phone "
    "(device-administrator rights)",
    "usage access": "see which apps are used, when and for how long (usage access)",
}
STRONG_CAPABILITIES = ("accessibility service", "notification listener", "device administrator")


def capabilities(inventory: AndroidInventory, package: str) -> dict[str, str]:
    """The surveillance powers one package holds, each with the component that shows it."""
    held: dict[str, str] = {}
    for service in inventory.accessibility_services:
        if service.package == package and (service.enabled or service.bound):
            state = "enabled" if service.enabled else "running"
            held.setdefault("accessibility service", f"{service.component} ({state})")
    for listener in inventory.notification_listeners:
        if listener.package == package:
            held.setdefault("notification listener", listener.component)
    for admin in inventory.device_admins:
        if admin.package == package:
            policies = f" [{', '.join(admin.policies)}]" if admin.policies else ""
            held.setdefault("device administrator", admin.component + policies)
    if package in inventory.usage_access:
        held["usage access"] = package
    return held


@rule(
    "android.sideloaded_surveillance_capability",
    summary="An app not from a store (adb, browser, package installer, other or unknown "
    "installer) holds an accessibility service, notification access, device-admin rights "
    "or usage access.",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    reads=(A.DUMPSYS_PACKAGE.value, A.PACKAGE_LIST.value, A.DUMPSYS_ACCESSIBILITY.value,
           A.DUMPSYS_DEVICE_POLICY.value, A.SETTINGS_SECURE.value, A.USAGE_ACCESS.value),
)
def sideloaded_surveillance_capability(context: RuleContext) -> Iterator[Finding]:
    """HIGH severity when one of the three strong powers is held; MEDIUM for usage access
    alone. Confidence HIGH when the app holds two or more powers or also has no launcher
    icon (the shape of stalkerware), else MEDIUM: some honest apps from outside a store use
    one of these powers."""
    for inventory, app in _apps(context):
        if not not_from_a_store(app):
            continue
        held = capabilities(inventory, app.package)
        if not held:
            continue
        strong = any(kind in held for kind in STRONG_CAPABILITIES)
        sure = len(held) >= 2 or app.hidden_from_launcher is True
        powers = "; ".join(CAPABILITY_WORDS[kind] for kind in held)
        facts = installer_facts(app)
        facts.update({f"holds {kind}": detail for kind, detail in held.items()})
        yield finding(
            sideloaded_surveillance_capability,
            subject=app.package,
            subject_label=app.label,
            title="An app installed from outside an app store can watch what happens on the phone",
            explanation=(
                f"{app_name(app)} was {HOW_INSTALLED[app.install_source]}, so no app store "
                f"checked it. It has been allowed to: {powers}. These are the powers "
                "monitoring apps need to copy messages, calls and activity to someone else. "
                "Some genuine apps use them too, so look at who installed it and when."
            ),
            next_steps=(advice.ask_who_installed(app_name(app)), advice.LEAVE_IN_PLACE,
                        advice.PLAN_FIRST, advice.ASSUME_WATCHED),
            facts=facts,
            evidence=sources_of(app),
            severity=Severity.HIGH if strong else Severity.MEDIUM,
            confidence=Confidence.HIGH if sure else Confidence.MEDIUM,
        )


# --------------------------------------------------------------------------- hidden icon
@rule(
    "android.hidden_from_launcher",
    summary="A non-system app has no icon in the app drawer (no launcher activity).",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    reads=(A.LAUNCHER_ACTIVITIES.value, A.DUMPSYS_PACKAGE.value),
)
def hidden_from_launcher(context: RuleContext) -> Iterator[Finding]:
    """MEDIUM for an app not from a store. A store app without an icon fires only when it
    also holds a surveillance power, and then as LOW / LOW confidence: many harmless store
    add-ons (keyboards, plug-ins) have no icon."""
    for inventory, app in _apps(context):
        if app.system or app.updated_system or app.hidden_from_launcher is not True:
            continue
        if app.installed_for_owner is False:
            continue  # not installed for the owner: no icon is expected in the owner's launcher
        sideloaded = not_from_a_store(app)
        held = capabilities(inventory, app.package)
        if not sideloaded and not held:
            continue
        facts = installer_facts(app)
        if app.enabled is not None:
            facts["enabled"] = "yes" if app.enabled else "no"
        if held:
            facts["also holds"] = ", ".join(held)
        yield finding(
            hidden_from_launcher,
            subject=app.package,
            subject_label=app.label,
            title="An app has no icon, so it does not show in the list of apps",
            explanation=(
                f"{app_name(app)} is installed but has no icon to open it. Monitoring apps "
                "often hide this way so the owner does not notice them. Some helper apps "
                "(keyboards, plug-ins) also have no icon. It is still listed in Settings, "
                "under Apps."
            ),
            next_steps=(advice.ask_who_installed(app_name(app)), advice.LEAVE_IN_PLACE,
                        advice.PLAN_FIRST),
            facts=facts,
            evidence=sources_of(app),
            severity=Severity.MEDIUM if sideloaded else Severity.LOW,
            confidence=Confidence.MEDIUM if sideloaded else Confidence.LOW,
        )


# --------------------------------------------------------------------------- imitation
SYSTEM_WORDS = re.compile(
    r"\b(system|services?|updat(?:e|er|es|ing)|sync|wi ?fi|wlan|google|android|settings?|"
    r"framework|firmware|battery|security|bluetooth|device (?:care|health|manager)|"
    r"config(?:uration)?)\b"
)
"""Words that make a label sound like part of the phone ("System Service", "Wi-Fi", ...)."""

SYSTEM_PREFIXES = (
    "android.", "com.android.", "com.google.android.", "com.samsung.android.",
    "com.sec.android.", "com.miui.", "com.huawei.", "com.qualcomm.", "com.mediatek.",
)
"""Package-name prefixes of the system and the big phone makers."""


def _normalised(label: str) -> str:
    text = unicodedata.normalize("NFKC", label).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


@rule(
    "android.system_imitation",
    summary="An app not from a store has a label or package name that sounds like part of "
    "the phone (System Service, Wi-Fi, Sync, Update, Google Services, com.android.*).",
    severity=Severity.MEDIUM,
    confidence=Confidence.LOW,
    reads=(A.DUMPSYS_PACKAGE.value, A.PACKAGE_LIST.value),
)
def system_imitation(context: RuleContext) -> Iterator[Finding]:
    """Only apps not from a store: store apps are full of honest "Wi-Fi ..." names. Always
    LOW confidence: a plain name is a hint, never proof."""
    for _, app in _apps(context):
        if not not_from_a_store(app):
            continue
        label_hit = SYSTEM_WORDS.search(_normalised(app.label or ""))
        package_hit = app.package.startswith(SYSTEM_PREFIXES)
        if not (label_hit or package_hit):
            continue
        facts = installer_facts(app)
        if label_hit:
            facts["label"] = app.label or ""
            facts["system-sounding word"] = label_hit.group(0)
        if package_hit:
            facts["package name looks like"] = "a package of Android or the phone's maker"
        what = "name" if label_hit else "package name"
        yield finding(
            system_imitation,
            subject=app.package,
            subject_label=app.label,
            title="An app from outside an app store has a name that sounds like part of the phone",
            explanation=(
                f"{app_name(app)} was {HOW_INSTALLED[app.install_source]}, yet its {what} "
                "makes it sound like part of the phone itself. Monitoring apps often pick "
                "names like this so that nobody questions them. Plenty of genuine apps have "
                "plain names too, so this is only a hint: read it together with the other "
                "findings about this app."
            ),
            next_steps=(advice.ask_who_installed(app_name(app)), advice.LEAVE_IN_PLACE),
            facts=facts,
            evidence=sources_of(app),
        )


# --------------------------------------------------------------------------- permissions
PERMISSION_GROUPS = {
    "text messages": ("android.permission.READ_SMS", "android.permission.RECEIVE_SMS"),
    "call history": ("android.permission.READ_CALL_LOG",
                     "android.permission.PROCESS_OUTGOING_CALLS"),
    "location": ("android.permission.ACCESS_FINE_LOCATION",
                 "android.permission.ACCESS_COARSE_LOCATION",
                 "android.permission.ACCESS_BACKGROUND_LOCATION"),
    "microphone": ("android.permission.RECORD_AUDIO",),
    "camera": ("android.permission.CAMERA",),
}
"""The five kinds of access that, together, let an app follow someone's whole life."""


def granted_groups(app: AndroidApp) -> dict[str, str]:
    """Which of the five groups the app was granted, each with the permissions that show it."""
    granted = set(app.granted_permissions)
    held: dict[str, str] = {}
    for group, permissions in PERMISSION_GROUPS.items():
        names = [p for p in permissions if p in granted]
        if names:
            held[group] = ", ".join(names)
    return held


@rule(
    "android.dangerous_permission_combination",
    summary="An app not from a store was granted at least four of: text messages, call "
    "history, location, microphone, camera.",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    reads=(A.DUMPSYS_PACKAGE.value,),
)
def dangerous_permission_combination(context: RuleContext) -> Iterator[Finding]:
    """HIGH with all five granted, MEDIUM with four. Only granted permissions count: asking
    is not having."""
    for _, app in _apps(context):
        if not not_from_a_store(app):
            continue
        held = granted_groups(app)
        if len(held) < 4:
            continue
        facts = installer_facts(app)
        facts.update({f"granted: {group}": names for group, names in held.items()})
        yield finding(
            dangerous_permission_combination,
            subject=app.package,
            subject_label=app.label,
            title="An app from outside an app store can reach messages, calls, location, "
            "microphone or camera",
            explanation=(
                f"{app_name(app)} was {HOW_INSTALLED[app.install_source]} and has been "
                f"allowed to use: {', '.join(held)}. Together these let an app follow "
                "where someone goes, who they talk to and what they say. Few apps need all "
                "of them; monitoring apps do."
            ),
            next_steps=(advice.ask_who_installed(app_name(app)), advice.LEAVE_IN_PLACE,
                        advice.PLAN_FIRST, advice.ASSUME_WATCHED),
            facts=facts,
            evidence=sources_of(app),
            severity=Severity.HIGH if len(held) == 5 else Severity.MEDIUM,
        )


__all__ = [
    "capabilities", "dangerous_permission_combination", "granted_groups",
    "hidden_from_launcher", "sideloaded_surveillance_capability", "system_imitation",
]
