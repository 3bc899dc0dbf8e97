"""iPhone rules: management (MDM, supervision), configuration profiles, sideloaded apps and
jailbreaks. On an iPhone, these are how most monitoring works."""

from __future__ import annotations

from collections.abc import Iterator

from stalkerscan.model.artifacts import IosArtifact as I
from stalkerscan.model.findings import Confidence, Finding, Severity
from stalkerscan.model.ios import IosInventory, IosProfile, IosSigning
from stalkerscan.rules import advice
from stalkerscan.rules.base import RuleContext, finding, quoted, sources_of
from stalkerscan.rules.registry import rule

DEVICE = "device"
MDM_PAYLOAD = "com.apple.mdm"


def _ios(context: RuleContext) -> IosInventory | None:
    return context.inventory if isinstance(context.inventory, IosInventory) else None


def _profile_name(profile: IosProfile) -> str:
    return quoted(profile.display_name, quoted(profile.identifier, "a profile"))


def _profile_facts(profile: IosProfile) -> dict[str, str]:
    facts = {"profile identifier": profile.identifier}
    for key, value in (("name", profile.display_name), ("organisation", profile.organization),
                       ("description", profile.description), ("UUID", profile.uuid)):
        if value:
            facts[key] = value
    if profile.removal_disallowed is not None:
        facts["owner can take it off"] = "no" if profile.removal_disallowed else "yes"
    if profile.payload_types:
        facts["payload types"] = ", ".join(profile.payload_types)
    return facts


# --------------------------------------------------------------------------- MDM
@rule(
    "ios.mdm_enrolled",
    summary="The iPhone is enrolled in device management (an MDM payload or a cloud "
    "configuration with an enrolment server).",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    reads=(I.PROFILE_LIST.value, I.CLOUD_CONFIGURATION.value),
)
def mdm_enrolled(context: RuleContext) -> Iterator[Finding]:
    """HIGH when the owner cannot remove the enrolment (MDM unremovable or removal
    disallowed), else MEDIUM: normal on a work phone, serious on a personal one."""
    inventory = _ios(context)
    if inventory is None:
        return
    mdm_profiles = [p for p in inventory.profiles if MDM_PAYLOAD in p.payload_types]
    cloud = inventory.cloud_configuration
    cloud_enrolled = cloud is not None and bool(cloud.configuration_url or cloud.mdm_unremovable)
    if not mdm_profiles and not cloud_enrolled:
        return
    facts: dict[str, str] = {}
    locked = False
    for profile in mdm_profiles:
        facts[f"MDM profile {profile.identifier}"] = profile.organization or (
            profile.display_name or "")
        locked = locked or profile.removal_disallowed is True
    organisation = next((p.organization for p in mdm_profiles if p.organization), None)
    if cloud is not None:
        if cloud.organization:
            facts["organisation"] = cloud.organization
            organisation = organisation or cloud.organization
        if cloud.configuration_url:
            facts["enrolment server"] = cloud.configuration_url
        if cloud.mdm_unremovable is not None:
            facts["owner can take it off"] = "no" if cloud.mdm_unremovable else "yes"
            locked = locked or cloud.mdm_unremovable
    who = quoted(organisation, "an organisation")
    yield finding(
        mdm_enrolled,
        subject=mdm_profiles[0].identifier if mdm_profiles else DEVICE,
        subject_label=organisation,
        title="The iPhone is managed remotely (device management)",
        explanation=(
            f"This iPhone is enrolled in device management run by {who}. Whoever runs it can "
            "install and list apps, change settings, add profiles and, on some setups, find "
            "the phone. This is normal for a work or school phone; on a personal phone nobody "
            "should have set it up without the owner's agreement."
            + (" The owner cannot take it off the phone themselves." if locked else "")
        ),
        next_steps=(advice.ASK_WORK_PHONE, advice.LEAVE_IN_PLACE, advice.PLAN_FIRST),
        facts=facts,
        evidence=sources_of(*mdm_profiles, cloud),
        severity=Severity.HIGH if locked else Severity.MEDIUM,
    )


@rule(
    "ios.supervised",
    summary="The iPhone is supervised (IsSupervised in the cloud configuration).",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    reads=(I.CLOUD_CONFIGURATION.value, I.LOCKDOWN_VALUES.value),
)
def supervised(context: RuleContext) -> Iterator[Finding]:
    """MEDIUM: supervision gives deep control and needs a computer or an organisation's
    enrolment; personal iPhones are almost never supervised."""
    inventory = _ios(context)
    if inventory is None or inventory.cloud_configuration is None:
        return
    cloud = inventory.cloud_configuration
    if cloud.supervised is not True:
        return
    facts = {"supervised": "yes"}
    if cloud.organization:
        facts["organisation"] = cloud.organization
    yield finding(
        supervised,
        subject=DEVICE,
        subject_label=cloud.organization,
        title="The iPhone is supervised, which gives deep control over it",
        explanation=(
            "A supervised iPhone can be restricted and configured far more than an ordinary "
            f"one{', by ' + quoted(cloud.organization, '') if cloud.organization else ''}. "
            "Supervision is set up with a computer or through an organisation. It is "
            "usual for work and school phones and rare on a personal phone."
        ),
        next_steps=(advice.ASK_WORK_PHONE, advice.PLAN_FIRST),
        facts=facts,
        evidence=sources_of(cloud),
    )


# --------------------------------------------------------------------------- profiles
RISKY_PAYLOADS: dict[str, tuple[str, Severity]] = {
    "com.apple.vpn.managed": ("a VPN that can route the phone's internet traffic", Severity.HIGH),
    "com.apple.vpn.managed.applayer": ("a per-app VPN that routes some apps' traffic",
                                       Severity.HIGH),
    "com.apple.proxy.http.global": ("a proxy that all web traffic passes through",
                                    Severity.HIGH),
    "com.apple.security.root": ("a root certificate, which can let someone read encrypted "
                                "web traffic", Severity.HIGH),
    "com.apple.security.pem": ("a certificate the phone may trust", Severity.HIGH),
    "com.apple.security.pkcs1": ("a certificate the phone may trust", Severity.HIGH),
    "com.apple.dnsSettings.managed": ("DNS settings that can see and redirect every website "
                                      "name looked up", Severity.MEDIUM),
    "com.apple.webcontent-filter": ("a web content filter that can see browsing",
                                    Severity.MEDIUM),
    "com.apple.notificationsettings": ("notification settings, which can hide an app's "
                                       "notifications from the owner", Severity.MEDIUM),
}
"""Payload types that let someone watch traffic, trust their own certificates or hide
notifications, with what each means and its severity. MDM payloads are ``ios.mdm_enrolled``'s."""


@rule(
    "ios.risky_profile",
    summary="A configuration profile carries VPN, proxy, root-certificate, DNS, content "
    "filter or notification-settings payloads; or its payloads could not be read.",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    reads=(I.PROFILE_LIST.value,),
)
def risky_profile(context: RuleContext) -> Iterator[Finding]:
    """One finding per profile, at the severity of its most dangerous payload. A profile
    whose payload types could not be read is LOW / LOW ("we could not see what it does");
    a profile with only harmless payloads (Wi-Fi, mail) is INFO. An enrolment profile with
    nothing risky besides its MDM payload is left to ``ios.mdm_enrolled``."""
    inventory = _ios(context)
    if inventory is None:
        return
    for profile in inventory.profiles:
        risky = [(t, *RISKY_PAYLOADS[t]) for t in profile.payload_types if t in RISKY_PAYLOADS]
        if not risky and MDM_PAYLOAD in profile.payload_types:
            continue
        name = _profile_name(profile)
        facts = _profile_facts(profile)
        if risky:
            severity = max((s for _, _, s in risky), key=lambda s: s.rank)
            does = "; ".join(dict.fromkeys(words for _, words, _ in risky))
            title = "A configuration profile can watch or control the phone"
            explanation = (
                f"The profile {name} sets up: {does}. Profiles like this are one of the main "
                "ways someone can monitor an iPhone without installing an app. Employers "
                "and schools use them too."
            )
            confidence = Confidence.HIGH
        elif not profile.payload_types:
            severity, confidence = Severity.LOW, Confidence.LOW
            title = "A configuration profile is installed; what it does could not be read"
            explanation = (
                f"The profile {name} is installed, but the phone did not say what it "
                "contains. Look at it together on the phone: Settings, General, VPN & Device "
                "Management."
            )
        else:
            severity, confidence = Severity.INFO, Confidence.HIGH
            title = "A configuration profile is installed"
            explanation = (
                f"The profile {name} is installed. Its contents "
                f"({', '.join(profile.payload_types)}) are not ones used for monitoring."
            )
        if profile.removal_disallowed and severity is not Severity.INFO:
            explanation += " The owner cannot take it off the phone themselves."
        yield finding(
            risky_profile,
            subject=profile.identifier,
            subject_label=profile.display_name,
            title=title,
            explanation=explanation,
            next_steps=(
                "Ask the owner whether they recognise the profile and who gave it to them.",
                advice.LEAVE_IN_PLACE, advice.PLAN_FIRST,
            ) if severity is not Severity.INFO else (
                "Ask the owner whether they recognise the profile.",),
            facts=facts,
            evidence=sources_of(profile),
            severity=severity,
            confidence=confidence,
        )


# --------------------------------------------------------------------------- apps
@rule(
    "ios.sideloaded_app",
    summary="An app is signed with an enterprise or developer certificate instead of coming "
    "from the App Store.",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    reads=(I.INSTALLED_APPS.value,),
)
def sideloaded_app(context: RuleContext) -> Iterator[Finding]:
    """HIGH / MEDIUM: on a personal iPhone, an app signed with someone's own certificate is
    rare and is the way iPhone monitoring apps get installed; work apps are the innocent
    explanation."""
    inventory = _ios(context)
    if inventory is None:
        return
    for app in inventory.apps:
        if app.signing not in (IosSigning.ENTERPRISE, IosSigning.DEVELOPER):
            continue
        how = ("an organisation's distribution certificate (enterprise signing)"
               if app.signing is IosSigning.ENTERPRISE
               else "a developer's own certificate (development signing)")
        name = quoted(app.display_name, quoted(app.bundle_id, "an app"))
        facts = {"bundle id": app.bundle_id, "signed with": how}
        if app.signer_identity:
            facts["signer"] = app.signer_identity
        if app.version:
            facts["version"] = app.version
        if app.application_type:
            facts["application type"] = app.application_type
        yield finding(
            sideloaded_app,
            subject=app.bundle_id,
            subject_label=app.display_name,
            title="An app was installed from outside the App Store",
            explanation=(
                f"{name} did not come from the App Store: it is signed with {how}. Apple "
                "does not review apps installed this way. Companies use this for their own "
                "apps, and monitoring apps use it to get onto iPhones."
            ),
            next_steps=(advice.ask_who_installed(name), advice.LEAVE_IN_PLACE,
                        advice.PLAN_FIRST),
            facts=facts,
            evidence=sources_of(app),
        )


@rule(
    "ios.jailbreak",
    summary="Signs of a jailbreak: jailbreak or package-manager apps, services only "
    "jailbroken iPhones offer (afc2).",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    reads=(I.INSTALLED_APPS.value, I.JAILBREAK_SERVICES.value),
)
def jailbreak(context: RuleContext) -> Iterator[Finding]:
    """HIGH; confidence HIGH when a jailbreak app is installed, MEDIUM on other signs only."""
    inventory = _ios(context)
    if inventory is None or not inventory.jailbreak_signs:
        return
    kinds = {sign.kind for sign in inventory.jailbreak_signs}
    facts: dict[str, str] = {}
    for sign in inventory.jailbreak_signs:
        key = sign.kind.replace("_", " ")
        facts[key] = f"{facts[key]}, {sign.detail}" if key in facts else sign.detail
    yield finding(
        jailbreak,
        subject=DEVICE,
        title="The iPhone appears to be jailbroken",
        explanation=(
            "A jailbreak breaks through the iPhone's built-in protections. On a jailbroken iPhone "
            "a monitoring app can read messages, calls and location from every app. Some "
            "owners jailbreak their own phones; if the owner did not, someone else did."
        ),
        next_steps=("Ask the owner whether they, or a shop, changed the phone's system.",
                    advice.PLAN_FIRST, advice.ASSUME_WATCHED),
        facts=facts,
        evidence=sources_of(*inventory.jailbreak_signs),
        confidence=Confidence.HIGH if "jailbreak_app" in kinds else Confidence.MEDIUM,
    )
