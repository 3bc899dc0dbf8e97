"""Small builders for synthetic inventories, so each rule test reads as data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from stalkerscan.model import (
    AccessibilityService,
    AndroidApp,
    AndroidDeviceInfo,
    AndroidInventory,
    AndroidUser,
    DeviceAdmin,
    EvidenceStrength,
    Finding,
    InstallSource,
    IosApp,
    IosCloudConfiguration,
    IosDeviceInfo,
    IosInventory,
    IosProfile,
    IosSigning,
    JailbreakSign,
    ManagementOwner,
    NotificationListener,
    Provenance,
    RiskySetting,
    RootSign,
    SignatureMatch,
    SourceRef,
)
from stalkerscan.rules import evaluate, get_rule
from stalkerscan.rules.base import RuleContext

ANALYSED_ON = date(2026, 11, 23)
DUMPSYS = "raw/0004-dumpsys_package.stdout"

SPY_PERMISSIONS = (
    "android.permission.READ_SMS", "android.permission.READ_CALL_LOG",
    "android.permission.ACCESS_FINE_LOCATION", "android.permission.RECORD_AUDIO",
    "android.permission.CAMERA",
)


def app(
    package: str,
    *,
    label: str | None = None,
    source: InstallSource = InstallSource.STORE,
    installer: str | None = None,
    system: bool = False,
    hidden: bool | None = False,
    granted: Iterable[str] = (),
    requested: Iterable[str] = (),
) -> AndroidApp:
    """One Android app; sideloaded apps get the matching installer by default."""
    if installer is None:
        installer = {InstallSource.STORE: "com.android.vending", InstallSource.ADB:
                     "com.android.shell", InstallSource.BROWSER: "org.example.browser",
                     InstallSource.PACKAGE_INSTALLER: "com.google.android.packageinstaller",
                     InstallSource.OTHER_APP: "org.example.filemanager"}.get(source)
    return AndroidApp(
        package=package, label=label, install_source=source, installer=installer,
        system=system or source is InstallSource.PREINSTALLED, hidden_from_launcher=hidden,
        granted_permissions=tuple(granted), requested_permissions=tuple(requested or granted),
        first_install_time="2026-10-02 21:14:03",
        sources=(SourceRef(DUMPSYS, 120, f"Package [{package}]"),),
    )


def android(
    *apps: AndroidApp,
    accessibility: Iterable[AccessibilityService] = (),
    listeners: Iterable[str] = (),
    admins: Iterable[str] = (),
    owners: Iterable[ManagementOwner] = (),
    usage: Iterable[str] = (),
    install_unknown_apps: Iterable[str] = (),
    settings: Mapping[str, Mapping[str, str]] | None = None,
    risky: Iterable[RiskySetting] = (),
    device: AndroidDeviceInfo | None = None,
    root: Iterable[RootSign] = (),
    users: Iterable[AndroidUser] = (),
) -> AndroidInventory:
    """An Android inventory; ``listeners`` and ``admins`` are package names."""
    return AndroidInventory(
        device=device or AndroidDeviceInfo(model="Example Phone", android_version="14",
                                           security_patch="2026-10-05", build_type="user",
                                           build_tags="release-keys", bootloader_locked=True,
                                           verified_boot_state="green"),
        apps=tuple(sorted(apps, key=lambda a: a.package)),
        accessibility_services=tuple(accessibility),
        notification_listeners=tuple(NotificationListener(f"{p}/.Listener", p) for p in listeners),
        device_admins=tuple(DeviceAdmin(f"{p}/.Admin", p, policies=("force-lock",)) for p in admins),
        owners=tuple(owners),
        usage_access=tuple(usage),
        install_unknown_apps=tuple(install_unknown_apps),
        users=tuple(users),
        settings=settings or {},
        risky_settings=tuple(risky),
        root_signs=tuple(root),
    )


def a11y(package: str, *, enabled: bool = True, bound: bool | None = None) -> AccessibilityService:
    return AccessibilityService(f"{package}/.Svc", package, enabled=enabled, bound=bound)


def ios(
    apps: Iterable[IosApp] = (),
    profiles: Iterable[IosProfile] = (),
    cloud: IosCloudConfiguration | None = None,
    jailbreak: Iterable[JailbreakSign] = (),
) -> IosInventory:
    return IosInventory(
        device=IosDeviceInfo(name="Example iPhone", product_type="iPhone14,2", ios_version="17.5"),
        apps=tuple(apps), profiles=tuple(profiles), cloud_configuration=cloud,
        jailbreak_signs=tuple(jailbreak),
    )


def ios_app(bundle_id: str, signing: IosSigning, name: str | None = None) -> IosApp:
    signer = {IosSigning.ENTERPRISE: "iPhone Distribution: Example Org (EXAMPLE1)",
              IosSigning.DEVELOPER: "Apple Development: someone@example.org (EXAMPLE2)",
              IosSigning.APP_STORE: "Apple iPhone OS Application Signing"}.get(signing)
    return IosApp(bundle_id=bundle_id, display_name=name, signing=signing, signer_identity=signer,
                  application_type="System" if signing is IosSigning.SYSTEM else "User",
                  sources=(SourceRef("raw/0003-installed_apps.response", detail=bundle_id),))


def profile(identifier: str, *payloads: str, removal_disallowed: bool | None = False,
            name: str | None = "Example Profile", org: str | None = "Example Org") -> IosProfile:
    return IosProfile(identifier=identifier, uuid="00000000-0000-4000-8000-000000000001",
                      display_name=name, organization=org, removal_disallowed=removal_disallowed,
                      active=True, payload_types=tuple(payloads))


def match(
    family: str, subject: str, *, kind: str = "package", strength: EvidenceStrength =
    EvidenceStrength.MEDIUM, family_type: str = "stalkerware", indicator: str | None = None,
    source: str = "stalkerscan",
) -> SignatureMatch:
    return SignatureMatch(
        family_id=family, family_name=family.replace("-", " ").title(), family_type=family_type,
        indicator_kind=kind, indicator=indicator or subject, subject=subject, strength=strength,
        provenance=(Provenance(source=source, licence="CC-BY-4.0", version="2026.11",
                               reference="https://example.org/families/" + family),),
    )


def fired(rule_id: str, inventory: AndroidInventory | IosInventory,
          analysed_on: date = ANALYSED_ON) -> list[Finding]:
    """The findings of one rule on one inventory."""
    rule = get_rule(rule_id)
    assert rule is not None, f"no rule {rule_id}"
    return list(rule.run(RuleContext(inventory, analysed_on)))


def everything(inventory: AndroidInventory | IosInventory, matches=()) -> tuple[Finding, ...]:
    return evaluate(inventory, matches, analysed_on=ANALYSED_ON)
