"""Synthetic Android outputs for the parser tests, written to AOSP's dump formats.

Every package here is fictional (``org.example.*``); the layout follows
``Settings.dumpPackageLPr`` of the Android version named.
"""

from __future__ import annotations


def package_block(
    package: str,
    *,
    uid: int = 10100,
    version: int = 42,
    android: int = 14,
    installer: str | None = "com.android.vending",
    initiating: str | None = None,
    originating: str | None = None,
    system: bool = False,
    updated_system: bool = False,
    enabled: int = 0,
    installed: bool = True,
    runtime: tuple[tuple[str, bool], ...] = (("android.permission.CAMERA", True),),
    install: tuple[tuple[str, bool], ...] = (("android.permission.INTERNET", True),),
    requested: tuple[str, ...] | None = None,
    splits: tuple[str, ...] = (),
    first_install: str = "2024-05-01 10:00:00",
    last_update: str = "2024-06-01 11:00:00",
    extra_users: tuple[int, ...] = (),
) -> str:
    """One ``  Package [name] (hash):`` block as Android ``android`` prints it."""
    code_path = f"/system/app/{package.split('.')[-1]}" if system and not updated_system else \
        f"/data/app/~~Xy1aB2==/{package}-Qr3sT4==/"[:-1]
    flags = ["HAS_CODE", "ALLOW_CLEAR_USER_DATA"]
    if system:
        flags.insert(0, "SYSTEM")
    if updated_system:
        flags.insert(1, "UPDATED_SYSTEM_APP")
    lines = [f"  Package [{package}] (1a2b{uid:x}):"]
    lines.append(f"    {'appId' if android >= 12 else 'userId'}={uid}")
    lines.append(f"    pkg=Package{{3c4d {package}}}")
    lines.append(f"    codePath={code_path}")
    lines.append(f"    resourcePath={code_path}")
    lines.append(f"    legacyNativeLibraryDir={code_path}/lib")
    lines.append("    primaryCpuAbi=arm64-v8a")
    lines.append("    secondaryCpuAbi=null")
    lines.append(f"    versionCode={version} minSdk=24 targetSdk=33")
    if android >= 12:
        lines.append("    minExtensionVersions=[]")
    lines.append(f"    versionName={version // 10}.{version % 10} (build {version})")
    split_text = ", ".join(("base", *splits))
    lines.append(f"    splits=[{split_text}]")
    lines.append("    apkSigningVersion=2")
    lines.append(f"    flags=[ {' '.join(flags)} ]")
    lines.append("    privateFlags=[ PRIVATE_FLAG_ACTIVITIES_RESIZE_MODE_RESIZEABLE ]")
    lines.append("    forceQueryable=false")
    lines.append(f"    dataDir=/data/user/0/{package}")
    lines.append("    supportsScreens=[small, medium, large, xlarge, resizeable, anyDensity]")
    lines.append(f"    timeStamp={last_update}")
    if android <= 12:
        lines.append(f"    firstInstallTime={first_install}")
    lines.append(f"    lastUpdateTime={last_update}")
    if android >= 14:
        lines.append(f"    installerPackageName={installer or 'null'}")
        lines.append(f"    installerPackageUid={10050 if installer else -1}")
        lines.append(f"    initiatingPackageName={initiating or 'null'}")
        lines.append(f"    originatingPackageName={originating or 'null'}")
        lines.append("    packageSource=0")
    elif android >= 11:
        if installer:
            lines.append(f"    installerPackageName={installer}")
        if initiating:
            lines.append(f"    installInitiatingPackageName={initiating}")
        if originating:
            lines.append(f"    installOriginatingPackageName={originating}")
    elif installer:
        lines.append(f"    installerPackageName={installer}")
    lines.append("    signatures=PackageSignatures{5e6f version:2, signatures:[b378e95c], past signatures:[]}")
    lines.append("    installPermissionsFixed=true")
    lines.append(f"    pkgFlags=[ {' '.join(flags)} ]")
    if android >= 14:
        lines.append("    privatePkgFlags=[ PRIVATE_FLAG_ACTIVITIES_RESIZE_MODE_RESIZEABLE ]")
        lines.append("    apexModuleName=null")
    lines.append("    declared permissions:")
    lines.append(f"      {package}.permission.C2D_MESSAGE: prot=signature, INSTALLED")
    if requested is not None:
        lines.append("    requested permissions:")
        for name in requested:
            suffix = ": restricted=true" if name.endswith("SMS") else ""
            lines.append(f"      {name}{suffix}")
    if install:
        lines.append("    install permissions:")
        for name, granted in install:
            lines.append(f"      {name}: granted={'true' if granted else 'false'}")
    for user in (0, *extra_users):
        head = (f"    User {user}: ceDataInode=4242 installed={'true' if installed else 'false'} "
                f"hidden=false suspended=false")
        if android >= 11:
            head += " distractionFlags=0"
        head += f" stopped=false notLaunched=false enabled={enabled} instant=false virtual=false"
        if android >= 14:
            head = head.replace("ceDataInode=4242 ", "ceDataInode=4242 deDataInode=0 ")
            head += " quarantined=false"
        lines.append(head)
        if android >= 13:
            lines.append("      installReason=4")
            lines.append(f"      dataDir=/data/user/{user}/{package}")
            lines.append(f"      firstInstallTime={first_install}")
            lines.append("      uninstallReason=0")
        lines.append("      gids=[3003]")
        if runtime:
            lines.append("      runtime permissions:")
            for name, granted in runtime:
                lines.append(f"        {name}: granted={'true' if granted else 'false'}, "
                             "flags=[ USER_SET|USER_SENSITIVE_WHEN_GRANTED|USER_SENSITIVE_WHEN_DENIED]")
    return "\n".join(lines) + "\n"


def dumpsys_package(blocks: list[str], *, hidden: list[str] = (), resolver_lines: int = 20,
                    shared_users: str = "") -> str:
    """A whole ``dumpsys package`` around the given ``Packages:`` blocks."""
    head = ["Database versions:", "  Internal:", "    sdkVersion=34 databaseVersion=3",
            "", "Verifiers:", "  Required: com.android.vending (uid=10019)", "",
            "Activity Resolver Table:", "  Non-Data Actions:"]
    for i in range(resolver_lines):
        head.append(f"      org.example.action.ACTION_{i}:")
        head.append(f"        {i:07x} org.example.app{i % 97}/.Activity{i}")
    head += ["", "Key Set Manager:", "  [org.example.app]", "      Signing KeySets: 1", "", "Packages:"]
    text = "\n".join(head) + "\n" + "".join(blocks)
    if hidden:
        text += "\nHidden system packages:\n" + "".join(hidden)
    text += "\nQueries:\n  system apps queryable: false\n"
    if shared_users:
        text += "\n" + shared_users
    text += "\nDexopt state:\n  [org.example.app]\n    path: /data/app/x/base.apk\n"
    return text


def many_apps_dumpsys(count: int) -> bytes:
    """A ``dumpsys package`` of ``count`` fictional apps, about as long as a real one."""
    runtime = tuple((f"android.permission.PERM_{i}", i % 2 == 0) for i in range(12))
    install = tuple((f"android.permission.INSTALL_{i}", True) for i in range(10))
    blocks = [
        package_block(f"org.example.app{i:05d}", uid=10000 + i, version=i + 1,
                      system=i % 3 == 0, runtime=runtime, install=install,
                      splits=("config.arm64_v8a",) if i % 5 == 0 else ())
        for i in range(count)
    ]
    return dumpsys_package(blocks, resolver_lines=count * 30).encode()


# --------------------------------------------------------------------------- a whole phone
PIXEL_PROPS = b"""[persist.sys.timezone]: [Europe/Berlin]
[ro.boot.flash.locked]: [1]
[ro.boot.verifiedbootstate]: [green]
[ro.build.fingerprint]: [google/panther/panther:14/AP1A.240305.019/11311220:user/release-keys]
[ro.build.tags]: [release-keys]
[ro.build.type]: [user]
[ro.build.version.release]: [14]
[ro.build.version.sdk]: [34]
[ro.build.version.security_patch]: [2024-03-05]
[ro.product.brand]: [google]
[ro.product.device]: [panther]
[ro.product.manufacturer]: [Google]
[ro.product.model]: [Pixel 7]
"""

APP_DIR = "/data/app/~~Xy1aB2==/{}-Qr3sT4=="

PHONE_APPS = {
    # package: (installer, initiating, originating, system, enabled state, launcher icon)
    "com.android.settings": (None, None, None, True, 0, True),
    "com.android.vending": ("com.android.vending", None, None, True, 0, True),
    "org.example.spy": ("com.android.shell", "com.android.shell", None, False, 0, False),
    "org.example.browserdl": ("com.google.android.packageinstaller", "com.google.android.packageinstaller",
                              "com.android.chrome", False, 0, True),
    "org.example.store": ("com.android.vending", "com.android.vending", None, False, 1, True),
    "org.example.files": ("com.google.android.packageinstaller", "org.example.filemanager",
                          "org.example.filemanager", False, 0, True),
    "org.example.other": ("org.example.dropper", "org.example.dropper", None, False, 0, True),
    "org.example.unknown": (None, None, None, False, 3, True),
}


def phone_dumpsys() -> bytes:
    blocks = []
    for index, (package, (installer, initiating, originating, system, enabled, _)) in enumerate(PHONE_APPS.items()):
        runtime: tuple[tuple[str, bool], ...] = (("android.permission.CAMERA", False),)
        if package == "org.example.spy":
            runtime = (("android.permission.ACCESS_FINE_LOCATION", True),
                       ("android.permission.READ_SMS", True), ("android.permission.RECORD_AUDIO", False))
        blocks.append(package_block(
            package, uid=10100 + index, version=10 + index, installer=installer, initiating=initiating,
            originating=originating, system=system, updated_system=package == "com.android.vending",
            enabled=enabled, runtime=runtime,
            splits=("config.arm64_v8a",) if package == "org.example.store" else (),
            first_install=f"2024-0{1 + index % 9}-01 09:00:00"))
    hidden = [package_block("com.android.vending", system=True, installer=None, version=1)]
    return dumpsys_package(blocks, hidden=hidden).encode()


def phone_package_list() -> bytes:
    lines = []
    for index, (package, (installer, _i, _o, system, _e, _l)) in enumerate(PHONE_APPS.items()):
        path = (f"/system/priv-app/{package.split('.')[-1]}/{package.split('.')[-1]}.apk" if system
                and package != "com.android.vending" else APP_DIR.format(package) + "/base.apk")
        lines.append(f"package:{path}={package} versionCode:{10 + index}  installer={installer or 'null'} "
                     f"uid:{10100 + index}")
    return ("\n".join(lines) + "\n").encode()


PHONE_ACCESSIBILITY = b"""ACCESSIBILITY MANAGER (dumpsys accessibility)

currentUserId=0
User state[
     attributes:{id=0, touchExplorationEnabled=false, installedServiceCount=1}
     shortcut key:{}
     button:{}
     button target:{null}
     Bound services:{Service[label=Device Health, feedbackType[FEEDBACK_GENERIC], capabilities=33, eventTypes=TYPES_ALL_MASK, notificationTimeout=0, requestA11yBtn=false]}
     Enabled services:{{org.example.spy/.HealthService}}
     Binding services:{}
     Crashed services:{}
"""

PHONE_DEVICE_POLICY = b"""Current Device Policy Manager state:
  Enabled Device Admins (User 0, provisioningState: 3):
    org.example.spy/.LockAdmin:
      uid=10102
      testOnlyAdmin=false
      policies:
        force-lock
        wipe-data
      passwordQuality=0x0

    mPasswordOwner=-1
"""

PHONE_LAUNCHER = (f"{sum(1 for v in PHONE_APPS.values() if v[5])} activities found:\n" + "".join(
    f"  Activity #{i}:\n    priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=false\n"
    f"    {package}/.Main\n"
    for i, package in enumerate(p for p, v in PHONE_APPS.items() if v[5]))).encode()

PHONE_SECURE = (b"enabled_accessibility_services=org.example.spy/.HealthService\n"
                b"accessibility_enabled=1\n"
                b"enabled_notification_listeners=org.example.spy/org.example.spy.NotifListener:"
                b"com.google.android.gms/.NotificationService\n"
                b"location_mode=3\n")
PHONE_GLOBAL = b"package_verifier_enable=0\nadb_enabled=1\nbluetooth_on=0\n"
PHONE_SYSTEM = b"screen_brightness=102\n"


def phone_artifacts() -> dict[str, bytes]:
    """Every inventory artifact of one fictional Android 14 phone."""
    return {
        "getprop": PIXEL_PROPS,
        "pm_list_packages": phone_package_list(),
        "dumpsys_package": phone_dumpsys(),
        "dumpsys_accessibility": PHONE_ACCESSIBILITY,
        "dumpsys_device_policy": PHONE_DEVICE_POLICY,
        "settings_secure": PHONE_SECURE,
        "settings_global": PHONE_GLOBAL,
        "settings_system": PHONE_SYSTEM,
        "launcher_activities": PHONE_LAUNCHER,
        "usage_access": b"org.example.spy\n",
        "install_unknown_apps": b"com.android.chrome\n",
        "users": b"Users:\n\tUserInfo{0:Owner:c13} running\n",
        "root_check": b"",
    }


def phone_evidence(skip: tuple[str, ...] = (), replace: dict[str, bytes] | None = None):
    """A MemoryEvidence holding the phone's answers (some left out or replaced)."""
    from stalkerscan.model.artifacts import MemoryEvidence, Outcome

    evidence = MemoryEvidence()
    for name, data in {**phone_artifacts(), **(replace or {})}.items():
        if name in skip:
            continue
        if name == "root_check":
            # ls exits 1 when a path is missing: the acquisition records that as FAILED.
            evidence.add(name, data, outcome=Outcome.FAILED, exit_code=1)
        else:
            evidence.add(name, data)
    return evidence
