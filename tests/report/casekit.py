"""Build whole AnalysisResults for report tests: an infected and a clean phone of each kind.

Everything is fictional (org.example.* names); the findings come from the real rules and the
verdict from the real compute_verdict, so the reports are rendered from realistic input.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date

from stalkerscan.model import (
    AccessibilityService,
    AndroidApp,
    AndroidDeviceInfo,
    AndroidInventory,
    ApkFile,
    CertificateInfo,
    DeviceAdmin,
    EvidenceStrength,
    InstallSource,
    IosApp,
    IosCloudConfiguration,
    IosDeviceInfo,
    IosInventory,
    IosProfile,
    IosSigning,
    NotificationListener,
    ParseProblem,
    Provenance,
    SignatureMatch,
    SourceRef,
)
from stalkerscan.model.case import (
    AnalysisResult,
    CaseInfo,
    CustodyEntry,
    ManifestEntry,
    SignatureSetInfo,
)
from stalkerscan.report.verdict import compute_verdict
from stalkerscan.rules import evaluate

ANALYSED_ON = date(2026, 11, 23)
SPY = "org.example.systemservice"
SPY_LABEL = "System Service"
FAMILY = "example-stalker"
PERMS = ("android.permission.READ_SMS", "android.permission.READ_CALL_LOG",
         "android.permission.ACCESS_FINE_LOCATION", "android.permission.RECORD_AUDIO",
         "android.permission.CAMERA")

ANDROID_RAW = ("raw/0001-clock_start.stdout", "raw/0002-getprop.stdout",
               "raw/0003-pm_list_packages.stdout", "raw/0004-dumpsys_package.stdout",
               "raw/0005-dumpsys_accessibility.stdout", "raw/0006-dumpsys_device_policy.stdout",
               "raw/0007-settings_secure.stdout", "raw/0008-settings_global.stdout",
               "raw/0009-settings_system.stdout", "raw/0010-launcher_activities.stdout",
               "raw/0011-usage_access.stdout", "raw/0012-root_check.stdout",
               "raw/0013-clock_end.stdout")
IOS_RAW = ("raw/0001-lockdown_values.response", "raw/0002-installed_apps.response",
           "raw/0003-profile_list.response", "raw/0004-cloud_configuration.response",
           "raw/0005-jailbreak_services.response")

SIGNATURES = SignatureSetInfo(
    description="stalkerscan bundled 2026.11 (test set)",
    sources=(Provenance(source="stalkerscan", licence="CC-BY-4.0", version="2026.11"),),
    families=3, indicators=12, age_days=0,
)


def entry(path: str) -> ManifestEntry:
    return ManifestEntry(path, hashlib.sha256(path.encode()).hexdigest(), 1000 + len(path))


def custody(platform: str, serial: str, complete: bool = True) -> tuple[CustodyEntry, ...]:
    events = [
        CustodyEntry("2026-11-23T10:00:00.000000Z", "case_opened",
                     {"tool_version": "0.1.0", "examiner": "A. Advocate", "case_id": "CASE-7"}),
        CustodyEntry("2026-11-23T10:00:01.000000Z", "device_identified",
                     {"platform": platform, "serial": serial}),
        CustodyEntry("2026-11-23T10:00:09.000000Z", "captured",
                     {"path": "raw/0002-getprop.stdout", "sha256": "ab" * 32}),
    ]
    if complete:
        events.append(CustodyEntry("2026-11-23T10:00:12.000000Z", "scan_finished", {"complete": True}))
    else:
        events.append(CustodyEntry("2026-11-23T10:00:07.000000Z", "scan_interrupted",
                                   {"reason": "cable pulled"}))
    return tuple(events)


def info(platform: str, serial: str, model: str, complete: bool = True) -> CaseInfo:
    return CaseInfo(
        case_id="CASE-7", examiner="A. Advocate", platform=platform, tool_version="0.1.0",
        host="clinic-laptop", started_utc="2026-11-23T10:00:00.000000Z",
        finished_utc="2026-11-23T10:00:12.000000Z" if complete else None, complete=complete,
        incomplete_reason=None if complete else "The USB cable was pulled out during the check.",
        device_serial=serial, device_model=model, clock_drift_start_s=2.4,
        clock_drift_end_s=2.5 if complete else None,
    )


def _app(package: str, label: str, source: InstallSource = InstallSource.STORE, **kw) -> AndroidApp:
    kw.setdefault("hidden_from_launcher", False)
    installer = {InstallSource.STORE: "com.android.vending",
                 InstallSource.ADB: "com.android.shell"}.get(source)
    return AndroidApp(package=package, label=label, install_source=source, installer=installer,
                      system=source is InstallSource.PREINSTALLED,
                      sources=(SourceRef("raw/0004-dumpsys_package.stdout", 10,
                                         f"Package [{package}]"),), **kw)


def android_inventory(*, infected: bool, label: str = SPY_LABEL) -> AndroidInventory:
    apps = [
        _app("org.example.notes", "Notes"),
        _app("org.example.maps", "Maps"),
        _app("org.example.launcher", "Launcher", InstallSource.PREINSTALLED),
        _app("org.example.keyboard", "Keyboard", hidden_from_launcher=True),
    ]
    extra: dict = {}
    if infected:
        apk = ApkFile(device_path=f"/data/app/{SPY}-1/base.apk", case_path=f"apks/{SPY}/base.apk",
                      size=4096, sha256="5e" * 32, sha1="a1" * 20, md5="b2" * 16,
                      certificates=(CertificateInfo("c3" * 32, "d4" * 20, "CN=Example Stalker",
                                                    "CN=Example Stalker", "v2"),))
        apps.append(_app(SPY, label, InstallSource.ADB, hidden_from_launcher=True,
                         granted_permissions=PERMS, requested_permissions=PERMS, apks=(apk,),
                         first_install_time="2026-10-02 21:14:03"))
        extra = dict(
            accessibility_services=(AccessibilityService(f"{SPY}/.Svc", SPY, enabled=True,
                                                         bound=True),),
            notification_listeners=(NotificationListener(f"{SPY}/.Listener", SPY),),
            device_admins=(DeviceAdmin(f"{SPY}/.Admin", SPY, policies=("force-lock",)),),
            settings={"global": {"package_verifier_enable": "0", "adb_enabled": "1"}},
        )
    else:
        extra = dict(settings={"global": {"package_verifier_enable": "1", "adb_enabled": "1"}})
    return AndroidInventory(
        device=AndroidDeviceInfo(serial="EXAMPLE0001", manufacturer="Example", model="Phone 7",
                                 android_version="14", sdk=34, security_patch="2026-10-05",
                                 build_type="user", build_tags="release-keys",
                                 fingerprint="example/phone7/phone7:14/EX1/1:user/release-keys",
                                 verified_boot_state="green", bootloader_locked=True),
        apps=tuple(sorted(apps, key=lambda a: a.package)),
        **extra,
    )


def ios_inventory(*, infected: bool) -> IosInventory:
    apps = [IosApp("org.example.maps", "Maps", signing=IosSigning.APP_STORE, application_type="User",
                   signer_identity="Apple iPhone OS Application Signing")]
    profiles: list[IosProfile] = []
    cloud = IosCloudConfiguration(supervised=False)
    if infected:
        apps.append(IosApp("org.example.clock", "Clock", signing=IosSigning.ENTERPRISE,
                           application_type="User",
                           signer_identity="iPhone Distribution: Example Org (EXAMPLE1)",
                           sources=(SourceRef("raw/0002-installed_apps.response",
                                              detail="org.example.clock"),)))
        profiles.append(IosProfile("org.example.mdm", uuid="00000000-0000-4000-8000-000000000001",
                                   display_name="Settings Update", organization="Example Org",
                                   removal_disallowed=True, active=True,
                                   payload_types=("com.apple.mdm", "com.apple.security.root")))
        cloud = IosCloudConfiguration(supervised=False, organization="Example Org",
                                      configuration_url="https://mdm.example.org/enroll",
                                      mdm_unremovable=True)
    return IosInventory(
        device=IosDeviceInfo(udid="00008101-EXAMPLE", serial="EXAMPLEIOS1", name="Example iPhone",
                             product_type="iPhone14,2", ios_version="17.5", build_version="21F79",
                             passcode_set=True),
        apps=tuple(apps), profiles=tuple(profiles), cloud_configuration=cloud,
    )


def result_for(inventory, matches=(), *, complete: bool = True) -> AnalysisResult:
    platform = "android" if isinstance(inventory, AndroidInventory) else "ios"
    serial = inventory.device.serial or "?"
    findings = evaluate(inventory, matches, analysed_on=ANALYSED_ON)
    verdict = compute_verdict(findings, inventory, SIGNATURES, complete=complete)
    raw = ANDROID_RAW if platform == "android" else IOS_RAW
    paths = ["case.json", "acquisition.json", *raw]
    if platform == "android":
        paths += [apk.case_path for app in inventory.apps for apk in app.apks]
    return AnalysisResult(
        info=info(platform, serial, "Phone 7" if platform == "android" else "iPhone14,2", complete),
        inventory=inventory, findings=findings, verdict=verdict, signatures=SIGNATURES,
        manifest=tuple(entry(p) for p in paths), custody=custody(platform, serial, complete),
        analysed_utc="2026-11-23T10:00:13.000000Z",
    )


def spy_match(strength: EvidenceStrength = EvidenceStrength.STRONG) -> SignatureMatch:
    return SignatureMatch(
        family_id=FAMILY, family_name="Example Stalker", family_type="stalkerware",
        indicator_kind="certificate_sha256" if strength is EvidenceStrength.STRONG else "package",
        indicator="c3" * 32 if strength is EvidenceStrength.STRONG else SPY, subject=SPY,
        strength=strength,
        provenance=(Provenance("stalkerscan", "CC-BY-4.0", "2026.11",
                               "https://example.org/reports/example-stalker"),),
    )


def infected_android(**kw) -> AnalysisResult:
    return result_for(android_inventory(infected=True), [spy_match()], **kw)


def clean_android(**kw) -> AnalysisResult:
    return result_for(android_inventory(infected=False), **kw)


def infected_ios(**kw) -> AnalysisResult:
    return result_for(ios_inventory(infected=True), **kw)


def clean_ios(**kw) -> AnalysisResult:
    return result_for(ios_inventory(infected=False), **kw)


def hostile_android(label: str) -> AnalysisResult:
    """An infected phone whose stalkerware carries a hostile label everywhere it can."""
    inventory = android_inventory(infected=True, label=label)
    inventory = replace(inventory, problems=(ParseProblem("dumpsys_package", "odd line", 3, label[:50]),))
    result = result_for(inventory, [spy_match()])
    return replace(result, info=replace(result.info, case_id=label, examiner=label))
