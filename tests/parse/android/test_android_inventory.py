"""build_android_inventory over MemoryEvidence: a full phone, missing and broken artifacts."""

from __future__ import annotations

from android_parse_samples import PHONE_APPS, phone_evidence

from stalkerscan.model.android import (
    AccessibilityService,
    ApkFile,
    DeviceAdmin,
    InstallSource,
    NotificationListener,
    RootSign,
)
from stalkerscan.model.artifacts import MemoryEvidence, Outcome
from stalkerscan.parse.android.inventory import INVENTORY_ARTIFACTS, build_android_inventory


def test_full_phone():
    inventory = build_android_inventory(phone_evidence(), serial="SERIAL-1")
    assert inventory.missing == () and inventory.problems == ()
    device = inventory.device
    assert (device.serial, device.model, device.android_version, device.sdk) == ("SERIAL-1", "Pixel 7", "14", 34)
    assert device.bootloader_locked is True and device.build_tags == "release-keys"

    assert [app.package for app in inventory.apps] == sorted(PHONE_APPS)
    sources = {app.package: app.install_source for app in inventory.apps}
    assert sources == {
        "com.android.settings": InstallSource.PREINSTALLED,
        "com.android.vending": InstallSource.PREINSTALLED,
        "org.example.spy": InstallSource.ADB,
        "org.example.browserdl": InstallSource.BROWSER,
        "org.example.store": InstallSource.STORE,
        "org.example.files": InstallSource.PACKAGE_INSTALLER,
        "org.example.other": InstallSource.OTHER_APP,
        "org.example.unknown": InstallSource.UNKNOWN,
    }

    spy = inventory.app("org.example.spy")
    assert spy.installer == spy.initiating_installer == "com.android.shell"
    assert spy.originating_installer is None
    assert spy.uid == 10102 and spy.version_code == 12 and spy.version_name == "1.2 (build 12)"
    assert spy.first_install_time == "2024-03-01 09:00:00"
    assert spy.last_update_time == "2024-06-01 11:00:00"
    assert spy.hidden_from_launcher is True and spy.enabled is True
    assert not spy.system and not spy.updated_system
    assert spy.apk_paths == ("/data/app/~~Xy1aB2==/org.example.spy-Qr3sT4==/base.apk",)
    assert spy.granted_permissions == (
        "android.permission.INTERNET", "android.permission.ACCESS_FINE_LOCATION",
        "android.permission.READ_SMS")
    assert "android.permission.RECORD_AUDIO" in spy.requested_permissions
    assert spy.label == "Device Health"  # the bound accessibility service's label

    store = inventory.app("org.example.store")
    assert store.apk_paths == ("/data/app/~~Xy1aB2==/org.example.store-Qr3sT4==/base.apk",
                               "/data/app/~~Xy1aB2==/org.example.store-Qr3sT4==/split_config.arm64_v8a.apk")
    assert store.hidden_from_launcher is False and store.enabled is True
    assert inventory.app("org.example.unknown").enabled is False  # disabled by the user (3)
    vending = inventory.app("com.android.vending")
    assert vending.system and vending.updated_system


def test_source_refs_point_at_the_lines():
    evidence = phone_evidence()
    inventory = build_android_inventory(evidence)
    dumpsys_record = next(r for r in evidence.records() if r.name == "dumpsys_package")
    text = evidence.read(dumpsys_record).decode().split("\n")
    spy = inventory.app("org.example.spy")
    by_detail = {ref.detail: ref for ref in spy.sources}
    ref = by_detail["installerPackageName=com.android.shell"]
    assert ref.path == dumpsys_record.files["stdout"]
    assert text[ref.line - 1].strip() == "installerPackageName=com.android.shell"
    header = by_detail["Package [org.example.spy]"]
    assert text[header.line - 1].startswith("  Package [org.example.spy]")
    list_ref = next(r for r in spy.sources if r.path.endswith("pm_list_packages.stdout"))
    assert list_ref.line == 3 and list_ref.detail.startswith("package:/data/app/")
    assert any(r.detail == "firstInstallTime=2024-03-01 09:00:00" for r in spy.sources)
    assert any("no launcher activity" in r.detail for r in spy.sources)


def test_phone_wide_facts():
    inventory = build_android_inventory(phone_evidence())
    assert inventory.accessibility_services == (AccessibilityService(
        component="org.example.spy/.HealthService", package="org.example.spy", enabled=True,
        bound=True, label="Device Health"),)
    assert inventory.notification_listeners == (
        NotificationListener("org.example.spy/org.example.spy.NotifListener", "org.example.spy"),
        NotificationListener("com.google.android.gms/.NotificationService", "com.google.android.gms"),
    )
    assert inventory.device_admins == (DeviceAdmin(
        "org.example.spy/.LockAdmin", "org.example.spy", 10102, ("force-lock", "wipe-data"), 0),)
    assert inventory.owners == ()
    assert inventory.usage_access == ("org.example.spy",)
    assert inventory.install_unknown_apps == ("com.android.chrome",)
    assert inventory.settings["global"]["package_verifier_enable"] == "0"
    assert inventory.settings["system"] == {"screen_brightness": "102"}
    assert [r.id for r in inventory.risky_settings] == [
        "package_verifier_off", "usb_debugging_on", "accessibility_services_enabled",
        "accessibility_on", "notification_listeners_enabled", "location_on"]
    assert inventory.root_signs == ()


def test_nothing_at_all():
    inventory = build_android_inventory(MemoryEvidence())
    assert inventory.missing == tuple(a.value for a in INVENTORY_ARTIFACTS)
    assert inventory.apps == () and inventory.settings == {} and inventory.risky_settings == ()
    assert inventory.device.model is None and inventory.device.sdk is None
    assert inventory.problems == ()


def test_package_list_only():
    inventory = build_android_inventory(phone_evidence(skip=(
        "dumpsys_package", "launcher_activities", "dumpsys_accessibility")))
    assert set(inventory.missing) == {"dumpsys_package", "launcher_activities", "dumpsys_accessibility"}
    spy = inventory.app("org.example.spy")
    assert spy.installer == "com.android.shell" and spy.install_source is InstallSource.ADB
    assert spy.initiating_installer is None and spy.first_install_time is None
    assert spy.enabled is None and spy.hidden_from_launcher is None
    assert spy.granted_permissions == () and spy.label is None
    settings = inventory.app("com.android.settings")
    assert settings.system and settings.install_source is InstallSource.PREINSTALLED
    assert any("judged from where its APK lives" in r.detail for r in settings.sources)
    # Settings still say the service is on; whether it runs is unknown without dumpsys.
    assert inventory.accessibility_services == (AccessibilityService(
        "org.example.spy/.HealthService", "org.example.spy", True, None, None),)


def test_dumpsys_cut_short_is_completed_by_the_package_list():
    full = phone_evidence().read(next(r for r in phone_evidence().records() if r.name == "dumpsys_package"))
    cut = full[: full.index(b"  Package [org.example.browserdl]") + 200]
    evidence = MemoryEvidence()
    for record, streams in phone_evidence(skip=("dumpsys_package",)).items:
        evidence.add(record.name, streams["stdout"], outcome=record.outcome, exit_code=record.exit_code)
    evidence.add("dumpsys_package", cut, outcome=Outcome.INTERRUPTED, exit_code=None)
    inventory = build_android_inventory(evidence)
    assert "dumpsys_package" not in inventory.missing
    assert [app.package for app in inventory.apps] == sorted(PHONE_APPS)
    assert inventory.app("org.example.spy").first_install_time == "2024-03-01 09:00:00"
    late = inventory.app("org.example.unknown")  # after the cut: package list facts only
    assert late.first_install_time is None and late.enabled is None
    messages = [p.message for p in inventory.problems]
    assert any("stopped answering" in m for m in messages)
    assert any("end early" in m for m in messages)


def test_failed_answers_count_as_missing():
    evidence = phone_evidence(skip=("launcher_activities", "pm_list_packages"))
    evidence.add("launcher_activities", b"Error: unknown option --brief\n", outcome=Outcome.FAILED, exit_code=255)
    evidence.add("pm_list_packages", b"", outcome=Outcome.INTERRUPTED, exit_code=None)
    inventory = build_android_inventory(evidence)
    assert "launcher_activities" in inventory.missing and "pm_list_packages" in inventory.missing
    assert all(app.hidden_from_launcher is None for app in inventory.apps)
    assert len(inventory.apps) == len(PHONE_APPS)  # dumpsys package alone still lists them
    assert any(p.source == "launcher_activities" and "reported an error" in p.message
               for p in inventory.problems)


def test_fallback_attempt_replaces_the_failed_one():
    evidence = phone_evidence(skip=("pm_list_packages",))
    evidence.add("pm_list_packages", b"Error: Unknown option: -U\n", outcome=Outcome.FAILED, exit_code=1)
    evidence.add("pm_list_packages", b"package:org.example.extra\n")
    inventory = build_android_inventory(evidence)
    assert "pm_list_packages" not in inventory.missing
    assert inventory.app("org.example.extra") is not None
    assert not any(p.source == "pm_list_packages" for p in inventory.problems)


def test_root_check_found_paths_and_refused_request():
    evidence = phone_evidence(skip=("root_check",),
                              replace={"getprop": b"[ro.build.tags]: [test-keys]\n"})
    evidence.add("root_check", b"/system/xbin/su\n", outcome=Outcome.FAILED, exit_code=1)
    inventory = build_android_inventory(evidence)
    assert inventory.root_signs == (RootSign("su_binary", "/system/xbin/su"),
                                    RootSign("test_keys", "ro.build.tags=test-keys"))
    refused = phone_evidence(skip=("root_check",))
    refused.add("root_check", b"", outcome=Outcome.REFUSED, exit_code=None)
    assert "root_check" in build_android_inventory(refused).missing


def test_apks_and_labels_are_attached():
    apk = ApkFile(device_path="/data/app/~~Xy1aB2==/org.example.spy-Qr3sT4==/base.apk",
                  case_path="apks/org.example.spy/base.apk", size=1234, sha256="a" * 64,
                  sha1="b" * 40, md5="c" * 32)
    inventory = build_android_inventory(phone_evidence(), apks={"org.example.spy": [apk]},
                                        labels={"org.example.store": "Example Store App"})
    assert inventory.app("org.example.spy").apks == (apk,)
    assert inventory.app("org.example.store").label == "Example Store App"
    assert inventory.app("org.example.other").apks == ()


def test_real_captures_through_the_inventory(android_capture):
    evidence = MemoryEvidence()
    evidence.add("getprop", android_capture("getprop.txt"))
    evidence.add("dumpsys_package", android_capture("dumpsys_packages.txt"))
    evidence.add("dumpsys_accessibility", android_capture("dumpsys_accessibility_v14_or_later.txt"))
    inventory = build_android_inventory(evidence)
    assert [app.package for app in inventory.apps] == [
        "com.samsung.android.provider.filterprovider", "com.sec.android.app.DataCreate"]
    data_create = inventory.app("com.sec.android.app.DataCreate")
    assert data_create.install_source is InstallSource.PREINSTALLED
    assert data_create.uid == 10143 and len(data_create.granted_permissions) == 20
    assert data_create.apk_paths == ()  # a system directory: its APK name is not guessed
    assert inventory.accessibility_services == (AccessibilityService(
        "com.malware.accessibility/com.malware.service.malwareservice", "com.malware.accessibility",
        True, True, "Accessibility service"),)
    assert "pm_list_packages" in inventory.missing and "getprop" not in inventory.missing


def test_app_with_a_shared_uid_takes_the_shared_grants():
    from android_parse_samples import dumpsys_package, package_block

    block = package_block("org.example.one", uid=10555, runtime=(), requested=None).replace(
        "    appId=10555\n", "    appId=10555\n    sharedUser=SharedUserSetting{7a7a org.example.shared/10555}\n")
    shared = (
        "Shared users:\n"
        "  SharedUser [org.example.shared] (7a7a):\n"
        "    appId=10555\n"
        "    install permissions:\n"
        "      android.permission.RECEIVE_BOOT_COMPLETED: granted=true\n"
        "    User 0: \n"
        "      runtime permissions:\n"
        "        android.permission.READ_SMS: granted=true, flags=[ USER_SET ]\n"
        "        android.permission.CAMERA: granted=false\n"
    )
    evidence = MemoryEvidence()
    evidence.add("dumpsys_package", dumpsys_package([block], shared_users=shared).encode())
    app = build_android_inventory(evidence).app("org.example.one")
    assert app.granted_permissions == ("android.permission.INTERNET",
                                       "android.permission.RECEIVE_BOOT_COMPLETED",
                                       "android.permission.READ_SMS")
    assert app.requested_permissions == ("android.permission.INTERNET",
                                         "android.permission.RECEIVE_BOOT_COMPLETED",
                                         "android.permission.READ_SMS", "android.permission.CAMERA")


def test_users_and_work_profile_with_their_evidence_line():
    users = b"Users:\n\tUserInfo{0:Owner:c13} running\n\tUserInfo{10:Work profile:1030} running\n"
    inventory = build_android_inventory(phone_evidence(replace={"users": users}))
    assert [(u.user_id, u.name, u.kind, u.running) for u in inventory.users] == [
        (0, "Owner", "owner", True), (10, "Work profile", "work_profile", True)]
    [work_source] = inventory.users[1].sources
    assert work_source.path.endswith("users.stdout") and work_source.line == 3
    assert work_source.detail == "UserInfo{10:Work profile}"
