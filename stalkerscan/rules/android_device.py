"""Android rules about the phone as a whole: management, settings, updates, root."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from stalkerscan.model.android import AndroidInventory
from stalkerscan.model.artifacts import AndroidArtifact as A
from stalkerscan.model.findings import Confidence, Finding, Severity
from stalkerscan.parse.android.install_source import STORES
from stalkerscan.parse.android.risky_settings import OREO_SDK
from stalkerscan.rules import advice
from stalkerscan.rules.base import (
    RuleContext,
    app_name,
    finding,
    installer_facts,
    not_from_a_store,
    quoted,
    sources_of,
)
from stalkerscan.rules.registry import rule

DEVICE = "device"
"""Subject of findings about the phone as a whole."""

SETTINGS_READS = (A.SETTINGS_GLOBAL.value, A.SETTINGS_SECURE.value, A.SETTINGS_SYSTEM.value)


def _android(context: RuleContext) -> AndroidInventory | None:
    return context.inventory if isinstance(context.inventory, AndroidInventory) else None


def setting(inventory: AndroidInventory, key: str) -> tuple[str, str] | None:
    """``(namespace, value)`` of a setting, looked up in every namespace (vendors and Android
    versions moved keys between them), then in the parser's risky settings."""
    for namespace in ("global", "secure", "system"):
        values = inventory.settings.get(namespace) or {}
        if key in values:
            return namespace, values[key]
    for risky in inventory.risky_settings:
        if risky.key == key:
            return risky.namespace, risky.value
    return None


def _is(inventory: AndroidInventory, key: str, value: str) -> str | None:
    """``namespace key=value`` when the setting has exactly that value, else None."""
    found = setting(inventory, key)
    if found is not None and found[1].strip() == value:
        return f"{found[0]} {key}={found[1].strip()}"
    return None


# --------------------------------------------------------------------------- management
@rule(
    "android.management_owner",
    summary="A device owner or profile owner is set: an app that manages the phone or a "
    "work profile.",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    reads=(A.DUMPSYS_DEVICE_POLICY.value, A.DUMPSYS_PACKAGE.value),
)
def management_owner(context: RuleContext) -> Iterator[Finding]:
    """Device owner: HIGH when the owning app is not from a store, else MEDIUM. Profile owner
    (a work profile): MEDIUM when not from a store, else LOW. We cannot know whether the
    owner expects it (a work phone), so confidence stays MEDIUM."""
    inventory = _android(context)
    if inventory is None:
        return
    for owner in inventory.owners:
        app = inventory.app(owner.package)
        sideloaded = app is not None and not_from_a_store(app)
        device_wide = owner.kind == "device_owner"
        if device_wide:
            severity = Severity.HIGH if sideloaded else Severity.MEDIUM
            what = "The whole phone is managed by an app"
            reach = ("A device owner can see and control a great deal: install apps without "
                     "asking, change settings, and read some activity logs.")
        else:
            severity = Severity.MEDIUM if sideloaded else Severity.LOW
            what = "A work profile on this phone is managed by an app"
            reach = ("A profile owner controls the apps and data inside that profile, "
                     "usually a work profile.")
        facts = {"kind": owner.kind.replace("_", " "), "component": owner.component}
        if owner.name:
            facts["organisation or name"] = owner.name
        if owner.user_id is not None:
            facts["Android user"] = str(owner.user_id)
        if app is not None:
            facts.update(installer_facts(app))
        name = app_name(app) if app is not None else quoted(owner.package, "an app")
        yield finding(
            management_owner,
            subject=owner.package,
            subject_label=app.label if app is not None else owner.name,
            title=what,
            explanation=(
                f"{name} is set as the {facts['kind']} of this phone. {reach} This is normal "
                "on a phone from an employer or school; on a personal phone nobody should "
                "have set it up without the owner's agreement."
            ),
            next_steps=(advice.ASK_WORK_PHONE, advice.LEAVE_IN_PLACE, advice.PLAN_FIRST),
            facts=facts,
            evidence=sources_of(owner, app),
            severity=severity,
        )


@rule(
    "android.other_users",
    summary="The phone has another user, a guest or a work profile besides its owner.",
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    reads=(A.USERS.value,),
)
def other_users(context: RuleContext) -> Iterator[Finding]:
    """LOW / HIGH confidence (read directly): another user or profile is normal on a shared or
    work phone, but apps installed only there do not show in the owner's own app list, and
    whoever can unlock that user can use it without the owner seeing. One finding per user."""
    inventory = _android(context)
    if inventory is None:
        return
    titles = {
        "work_profile": "This phone has a work profile",
        "guest": "This phone has a guest user",
        "secondary": "This phone has another user account",
    }
    for user in inventory.users:
        if user.kind == "owner":
            continue
        title = titles.get(user.kind, titles["secondary"])
        facts = {"user": f"{user.name} (Android user {user.user_id})", "kind": user.kind.replace("_", " ")}
        if user.running is not None:
            facts["running"] = "yes" if user.running else "no"
        yield finding(
            other_users,
            subject=DEVICE,
            title=title,
            explanation=(
                f"Besides the owner, the phone has {quoted(user.name, 'another user')} "
                f"({facts['kind']}). Apps installed only there do not show in the owner's list of "
                "apps, and anyone who can open that user can use it separately. This is normal "
                "for a work phone or a phone shared in a family; it is worth knowing who set "
                "it up."
            ),
            next_steps=(advice.ASK_WORK_PHONE, advice.LEAVE_IN_PLACE, advice.PLAN_FIRST),
            facts=facts,
            evidence=sources_of(user),
            severity=Severity.INFO if user.kind == "work_profile" else Severity.LOW,
        )


# --------------------------------------------------------------------------- settings
@rule(
    "android.play_protect_off",
    summary="Google Play Protect's app checking is off (package_verifier_enable=0) or apps "
    "installed over USB are not checked (verifier_verify_adb_installs=0).",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    reads=SETTINGS_READS,
)
def play_protect_off(context: RuleContext) -> Iterator[Finding]:
    """MEDIUM: turning Play Protect off is a usual step in installing monitoring apps, but
    people also turn it off themselves. Newer Play Protect versions keep their switch inside
    Google Play services, so a phone may show Play Protect off without this setting."""
    inventory = _android(context)
    if inventory is None:
        return
    shown = [s for s in (_is(inventory, "package_verifier_enable", "0"),
                         _is(inventory, "verifier_verify_adb_installs", "0")) if s]
    if not shown:
        return
    yield finding(
        play_protect_off,
        subject=DEVICE,
        title="Play Protect app checking is turned off",
        explanation=(
            "Google Play Protect checks apps for harmful behaviour, including known "
            "monitoring apps. On this phone that check is not running. People who put "
            "monitoring apps on someone else's phone are usually told to stop it first, so "
            "that the app is not flagged. Some owners choose this themselves."
        ),
        next_steps=(
            "Ask the owner whether they switched Play Protect off themselves.",
            "Talk to an advocate before switching it back on: Play Protect may then flag or "
            "take away a monitoring app, which the person behind it could notice.",
            advice.KEEP_EVIDENCE,
        ),
        facts={"setting": "; ".join(shown)},
    )


@rule(
    "android.unknown_sources_allowed",
    summary="Installing apps from outside app stores is allowed: the install_non_market_apps "
    "switch on Android 7 or older; on Android 8 and later, apps given \"Install unknown apps\".",
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    reads=(*SETTINGS_READS, A.GETPROP.value, A.INSTALL_UNKNOWN_APPS.value),
)
def unknown_sources_allowed(context: RuleContext) -> Iterator[Finding]:
    """LOW: it makes sideloading possible but is no sign of monitoring by itself. Android 8
    and later grant it per app ("Install unknown apps", app op REQUEST_INSTALL_PACKAGES) and
    set the old switch to 1 on every phone, so there only the per-app grants count; app
    stores, which install apps by design, are left out."""
    inventory = _android(context)
    if inventory is None:
        return
    explanation_end = ("That is how most monitoring apps are installed on Android. On its own it "
                       "is not a sign that anything was installed: see the findings about "
                       "individual apps.")
    if inventory.device.sdk is not None and inventory.device.sdk >= OREO_SDK:
        allowed = [p for p in inventory.install_unknown_apps if p not in STORES]
        if not allowed:
            return
        names = [app_name(app) if (app := inventory.app(p)) is not None else quoted(p, p) for p in allowed]
        yield finding(
            unknown_sources_allowed,
            subject=DEVICE,
            title="Some apps are allowed to install other apps",
            explanation=(
                f"These apps have been given \"Install unknown apps\": {', '.join(names)}. With "
                f"it, an app file downloaded or received can be installed without a store. "
                f"{explanation_end}"
            ),
            next_steps=(advice.SETTINGS_NOTE,),
            facts={"allowed to install apps": ", ".join(allowed)},
        )
        return
    shown = _is(inventory, "install_non_market_apps", "1")
    if shown is None:
        return
    yield finding(
        unknown_sources_allowed,
        subject=DEVICE,
        title="The phone accepts apps from outside app stores",
        explanation=("The setting that lets the phone install apps from files and websites is "
                     f"on. {explanation_end}"),
        next_steps=(advice.SETTINGS_NOTE,),
        facts={"setting": shown},
    )


@rule(
    "android.developer_options_on",
    summary="Developer options, USB debugging or wireless debugging are on: a reminder to "
    "switch them off after the check.",
    severity=Severity.INFO,
    confidence=Confidence.HIGH,
    reads=SETTINGS_READS,
)
def developer_options_on(context: RuleContext) -> Iterator[Finding]:
    """INFO as a reminder (the check needs USB debugging); LOW when wireless debugging is on,
    because then someone on the same network could connect."""
    inventory = _android(context)
    if inventory is None:
        return
    shown = {name: s for name, s in (
        ("developer options", _is(inventory, "development_settings_enabled", "1")),
        ("USB debugging", _is(inventory, "adb_enabled", "1")),
        ("wireless debugging", _is(inventory, "adb_wifi_enabled", "1")),
    ) if s}
    if not shown:
        return
    wireless = "wireless debugging" in shown
    explanation = (
        f"{', '.join(shown).capitalize()} {'are' if len(shown) > 1 else 'is'} on. This check "
        "needs USB debugging, so that is expected if it was switched on for today. Left on, "
        "it lets anyone with the unlocked phone and a computer install apps without the "
        "owner seeing."
    )
    if wireless:
        explanation += " Wireless debugging lets a computer on the same network connect."
    yield finding(
        developer_options_on,
        subject=DEVICE,
        title="Reminder: switch off USB debugging after this check",
        explanation=explanation,
        next_steps=(
            "If USB debugging and developer options were switched on for this check, switch "
            "them off again when it is finished (Settings, System, Developer options).",
            "If they were already on before today, write that down: someone may have used "
            "them to install an app from a computer. Talk to the advocate about it.",
        ),
        facts=shown,
        severity=Severity.LOW if wireless else Severity.INFO,
    )


@rule(
    "android.always_on_vpn",
    summary="An always-on VPN is set (always_on_vpn_app): all traffic goes through one app.",
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    reads=(*SETTINGS_READS, A.DUMPSYS_PACKAGE.value),
)
def always_on_vpn(context: RuleContext) -> Iterator[Finding]:
    """MEDIUM when the VPN app is not from a store, else LOW (many people use a VPN)."""
    inventory = _android(context)
    if inventory is None:
        return
    found = setting(inventory, "always_on_vpn_app")
    if found is None or not found[1].strip() or found[1].strip() == "null":
        return
    package = found[1].strip()
    app = inventory.app(package)
    sideloaded = app is not None and not_from_a_store(app)
    facts = {"setting": f"{found[0]} always_on_vpn_app={package}"}
    lockdown = _is(inventory, "always_on_vpn_lockdown", "1")
    if lockdown:
        facts["blocks traffic without the VPN"] = lockdown
    if app is not None:
        facts.update(installer_facts(app))
    name = app_name(app) if app is not None else quoted(package, "an app")
    yield finding(
        always_on_vpn,
        subject=package,
        subject_label=app.label if app is not None else None,
        title="All internet traffic goes through a VPN app",
        explanation=(
            f"The phone sends all its internet traffic through {name}, a VPN. Whoever runs "
            "a VPN can see which websites and services the phone talks to. Many people use a "
            "VPN for privacy; what matters is who chose this one."
        ),
        next_steps=(advice.ask_who_installed(name), advice.SETTINGS_NOTE),
        facts=facts,
        evidence=sources_of(app),
        severity=Severity.MEDIUM if sideloaded else Severity.LOW,
    )


# --------------------------------------------------------------------------- updates
PATCH_AGE_DAYS = 183
"""A security patch older than this (about six months, as MVT uses) is reported."""

_PATCH = re.compile(r"^\s*(\d{4})-(\d{2})(?:-(\d{2}))?")


def patch_date(text: str | None) -> date | None:
    """The date of ``ro.build.version.security_patch`` (``YYYY-MM-DD``, or ``YYYY-MM``)."""
    match = _PATCH.match(text or "")
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3] or 1))
    except ValueError:
        return None


@rule(
    "android.old_security_patch",
    summary=f"The security patch is more than {PATCH_AGE_DAYS} days older than the analysis date.",
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    reads=(A.GETPROP.value,),
)
def old_security_patch(context: RuleContext) -> Iterator[Finding]:
    """LOW: an old patch makes spying tools' work easier but is no sign of them. Judged
    against the analysis date passed in, so re-analysis of an old case is reproducible."""
    inventory = _android(context)
    if inventory is None:
        return
    patched = patch_date(inventory.device.security_patch)
    if patched is None:
        return
    age = (context.analysed_on - patched).days
    if age <= PATCH_AGE_DAYS:
        return
    months = age // 30
    yield finding(
        old_security_patch,
        subject=DEVICE,
        title="The phone has not had a security update for a long time",
        explanation=(
            f"The phone's last security update is dated {patched.isoformat()}, about "
            f"{months} months before this check. Phones without recent updates miss fixes "
            "for flaws that spying tools can use. This is not a sign of monitoring by itself."
        ),
        next_steps=(
            "Once there is a safety plan, look in Settings for a system update. If the phone "
            "no longer gets updates, consider a newer phone for sensitive use.",
        ),
        facts={"security patch": inventory.device.security_patch or "",
               "age on the analysis date": f"{age} days",
               "analysis date": context.analysed_on.isoformat()},
    )


# --------------------------------------------------------------------------- root
ROOT_WORDS = {
    "su_binary": "a program that gives full control of the phone (su) is present",
    "root_package": "an app that manages full control of the phone (root) is installed",
    "test_keys": "the system is signed with public test keys, not the maker's",
    "debuggable_build": "the phone runs a test build of Android",
    "unlocked_bootloader": "the bootloader is unlocked, so the system can be changed",
}
STRONG_ROOT = frozenset({"su_binary", "root_package"})


def root_signs(inventory: AndroidInventory) -> dict[str, list[str]]:
    """Root signs by kind: the parser's, plus what the build properties show directly."""
    signs: dict[str, list[str]] = {}
    for sign in inventory.root_signs:
        signs.setdefault(sign.kind, []).append(sign.detail)
    device = inventory.device
    if device.build_tags and "test-keys" in device.build_tags:
        signs.setdefault("test_keys", [f"ro.build.tags={device.build_tags}"])
    if device.build_type in ("userdebug", "eng"):
        signs.setdefault("debuggable_build", [f"ro.build.type={device.build_type}"])
    if device.bootloader_locked is False or device.verified_boot_state in ("orange",):
        signs.setdefault("unlocked_bootloader", [
            f"ro.boot.verifiedbootstate={device.verified_boot_state}"
            if device.verified_boot_state else "bootloader reported unlocked"])
    return signs


@rule(
    "android.root_signs",
    summary="Signs of root or a modified system: su binaries, root-manager apps, test-keys, "
    "a test build, an unlocked bootloader.",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    reads=(A.ROOT_CHECK.value, A.GETPROP.value, A.DUMPSYS_PACKAGE.value),
)
def rooted(context: RuleContext) -> Iterator[Finding]:
    """HIGH / HIGH with an su binary or a root-manager app; otherwise (a test build or an
    unlocked bootloader only) MEDIUM / MEDIUM, since enthusiasts do that to their own phones."""
    inventory = _android(context)
    if inventory is None:
        return
    signs = root_signs(inventory)
    if not signs:
        return
    strong = bool(STRONG_ROOT & signs.keys())
    words = "; ".join(ROOT_WORDS.get(kind, kind.replace("_", " ")) for kind in signs)
    yield finding(
        rooted,
        subject=DEVICE,
        title="The phone's system has been opened up (rooted or modified)",
        explanation=(
            f"Signs found: {words}. On a rooted phone an app can read other apps' messages "
            "and files, and the most capable monitoring apps ask for exactly this. Some "
            "owners root their own phones; if the owner did not, someone else did."
        ),
        next_steps=("Ask the owner whether they, or a shop, changed the phone's system.",
                    advice.PLAN_FIRST, advice.ASSUME_WATCHED),
        facts={kind.replace("_", " "): ", ".join(details) for kind, details in signs.items()},
        evidence=sources_of(*inventory.root_signs),
        severity=Severity.HIGH if strong else Severity.MEDIUM,
        confidence=Confidence.HIGH if strong else Confidence.MEDIUM,
    )
