"""``dumpsys package``: every package in one call, or one package.

The per-package block follows AOSP's ``Settings.dumpPackageLPr`` for the profile's API level:

* Android 8-10: ``userId=``, ``applicationInfo=``, package-level ``firstInstallTime=``,
  ``installerPackageName=`` only when there is one; ``PackageSignatures{h [sig]}`` on 8,
  ``{h version:N, signatures:[sig], past signatures:[]}`` from 9.
* Android 11: ``forceQueryable=``, ``distractionFlags=``, and ``installerPackageName=``,
  ``initiatingPackageName=``, ``originatingPackageName=`` always printed.
* Android 12: ``appId=``, ``extractNativeLibs=``, ``cpuAbiOverride=``,
  ``minExtensionVersions=``, ``usesNonSdkApi=``, ``privatePkgFlags=``,
  ``installerAttributionTag=`` (when set).
* Android 13: ``packageSource=``; the first install time moves into each ``User N:``
  block with ``installReason=`` / ``uninstallReason=``.
* Android 14: ``installerPackageUid=``, ``appMetadataFilePath=``, ``apexModuleName=``.
* Android 15: ``scannedAsStoppedSystemApp=``, per-user ``dataDir=``, ``deDataInode=``,
  ``quarantined=``; no package-level ``dataDir=``.

``requested permissions:`` is printed only when one package is dumped (AOSP passes
``dumpAll = packageName != null``); Samsung builds print it in the full dump too, as the
public Samsung capture shows. Updated system apps also appear, with their factory copy,
under ``Hidden system packages:``.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from stalkerscan.simulator.android import permissions as perms
from stalkerscan.simulator.android.base import ShellResult
from stalkerscan.simulator.android.outputs.common import (
    Context,
    encode,
    identity_hash,
    java_bytes_hash,
    to_hex,
)
from stalkerscan.simulator.android.profile import AppSpec

_FLAG_ORDER = ("SYSTEM", "DEBUGGABLE", "HAS_CODE", "PERSISTENT", "FACTORY_TEST",
               "ALLOW_TASK_REPARENTING", "ALLOW_CLEAR_USER_DATA", "UPDATED_SYSTEM_APP",
               "TEST_ONLY", "VM_SAFE_MODE", "ALLOW_BACKUP", "KILL_AFTER_RESTORE",
               "RESTORE_ANY_VERSION", "EXTERNAL_STORAGE", "LARGE_HEAP")

_signature_cache: dict[str, str] = {}


def signature_hash(app: AppSpec) -> str:
    """The ``signatures:[...]`` value: ``Signature.hashCode()`` of the signing certificate."""
    signer = app.apk.signer
    cached = _signature_cache.get(signer)
    if cached is None:
        try:
            from stalkerscan.simulator.apkgen import signer_certificate_der

            cached = to_hex(java_bytes_hash(signer_certificate_der(signer)))
        except (ImportError, ValueError):
            cached = identity_hash(0, "signer", signer)
        _signature_cache[signer] = cached
    return cached


def _flags(app: AppSpec, *, factory: bool = False) -> str:
    names = {"HAS_CODE", "ALLOW_CLEAR_USER_DATA"}
    if app.system:
        names.add("SYSTEM")
    if app.updated_system and not factory:
        names.add("UPDATED_SYSTEM_APP")
    if app.debuggable:
        names.add("DEBUGGABLE")
    if app.package != "android" and app.shared_user != "android.uid.system":
        names.add("ALLOW_BACKUP")
    if app.package == "android":
        names = {"SYSTEM", "PERSISTENT"}
    ordered = [n for n in _FLAG_ORDER if n in names]
    return "[ " + "".join(f"{n} " for n in ordered) + "]"


def _private_flags(app: AppSpec, sdk: int, *, factory: bool = False) -> str:
    names = ["PRIVATE_FLAG_ACTIVITIES_RESIZE_MODE_RESIZEABLE_VIA_SDK_VERSION"]
    if sdk >= 29:
        names.append("ALLOW_AUDIO_PLAYBACK_CAPTURE")
    if app.target_sdk <= 29 and sdk >= 29:
        names.append("PRIVATE_FLAG_REQUEST_LEGACY_EXTERNAL_STORAGE")
    if app.privileged:
        names.append("PRIVILEGED")
    partition_flag = {"product": "PRODUCT", "system_ext": "SYSTEM_EXT", "vendor": "VENDOR"}.get(
        app.partition if (factory or not app.updated_system) else "")
    if partition_flag and app.system and (sdk >= 30 or partition_flag != "SYSTEM_EXT"):
        names.append(partition_flag)
    if sdk >= 30:
        names.append("PRIVATE_FLAG_ALLOW_NATIVE_HEAP_POINTER_TAGGING")
    return "[ " + "".join(f"{n} " for n in names) + "]"


def _splits(app: AppSpec) -> str:
    return "[" + ", ".join(("base", *app.apk.split_names)) + "]"


def _runtime_flags(app: AppSpec, granted: bool, sdk: int) -> str:
    if sdk < 29:
        return ", flags=[ USER_SET]" if granted else ""
    if app.system:
        return (", flags=[ GRANTED_BY_DEFAULT|USER_SENSITIVE_WHEN_GRANTED]" if granted
                else ", flags=[ USER_SENSITIVE_WHEN_GRANTED|USER_SENSITIVE_WHEN_DENIED]")
    if granted:
        return ", flags=[ USER_SET|USER_SENSITIVE_WHEN_GRANTED|USER_SENSITIVE_WHEN_DENIED]"
    return ", flags=[ USER_SENSITIVE_WHEN_GRANTED|USER_SENSITIVE_WHEN_DENIED]"


def _installer_uid(ctx: Context, app: AppSpec) -> int:
    if app.installer is None:
        return -1
    installer = ctx.profile.app(app.installer)
    if installer is not None:
        return installer.uid
    return 2000 if app.installer == "com.android.shell" else -1


def package_block(ctx: Context, app: AppSpec, *, dump_all: bool, factory: bool = False) -> list[str]:
    """The ``Package [name] (hash):`` block, as Settings.dumpPackageLPr prints it."""
    sdk = ctx.sdk
    seed = ctx.profile.seed
    pkg = app.package
    out: list[str] = []
    add = out.append
    if factory and app.factory is not None:
        base_path = app.factory.path
        code_path = base_path.rsplit("/", 1)[0]
        version_code, version_name = app.factory.version_code, app.factory.version_name
        first_ms = last_ms = app.install_time_ms
        split_text = "[base]"
        installer = initiating = originating = None
    else:
        base_path = app.apk.base_path
        code_path = app.apk.code_path if app.package != "android" else "/system/framework"
        version_code, version_name = app.version_code, app.version_name
        first_ms, last_ms = app.install_time_ms, app.update_time_ms
        split_text = _splits(app)
        installer, initiating, originating = app.installer, app.initiating, app.originating
    tag = "dis" if factory else "pkg"
    add(f"  Package [{pkg}] ({identity_hash(seed, tag, pkg)}):")
    add(f"    {'appId' if sdk >= 31 else 'userId'}={app.uid}")
    if app.shared_user:
        add(f"    sharedUser=SharedUserSetting{{{identity_hash(seed, 'su', app.shared_user)} "
            f"{app.shared_user}/{app.uid}}}")
    add(f"    pkg=Package{{{identity_hash(seed, 'pkgobj', pkg, tag)} {pkg}}}")
    add(f"    codePath={code_path}")
    add(f"    resourcePath={code_path}")
    add(f"    legacyNativeLibraryDir={code_path}/lib")
    if sdk >= 31:
        add("    extractNativeLibs=false")
    abi = "arm64-v8a" if app.category in ("game", "media", "video_call", "gms") or \
        not app.system else "null"
    add(f"    primaryCpuAbi={abi}")
    add("    secondaryCpuAbi=null")
    if sdk >= 31:
        add("    cpuAbiOverride=null")
    add(f"    versionCode={version_code} minSdk={app.min_sdk} targetSdk={app.target_sdk}")
    if sdk >= 31:
        add("    minExtensionVersions=[]")
    add(f"    versionName={version_name}")
    if sdk >= 31:
        add("    usesNonSdkApi=false")
    add(f"    splits={split_text}")
    add(f"    apkSigningVersion={app.signing_version}")
    if sdk <= 29:
        add(f"    applicationInfo=ApplicationInfo{{{identity_hash(seed, 'ai', pkg, tag)} {pkg}}}")
    flags = _flags(app, factory=factory)
    add(f"    flags={flags}")
    add(f"    privateFlags={_private_flags(app, sdk, factory=factory)}")
    if sdk >= 30:
        add("    forceQueryable=false")
    if sdk >= 35:
        add("    scannedAsStoppedSystemApp=false")
    if sdk <= 34:
        data_root = "/data/user_de/0" if app.shared_user == "android.uid.system" and sdk >= 24 \
            and app.package == "android" else "/data/user/0"
        add(f"    dataDir={data_root}/{pkg}")
    add("    supportsScreens=[small, medium, large, xlarge, resizeable, anyDensity]")
    add(f"    timeStamp={ctx.local_time(last_ms)}")
    if sdk <= 32:
        add(f"    firstInstallTime={ctx.local_time(first_ms)}")
    add(f"    lastUpdateTime={ctx.local_time(last_ms)}")
    if sdk <= 29:
        if installer is not None:
            add(f"    installerPackageName={installer}")
    else:
        add(f"    installerPackageName={installer or 'null'}")
        if sdk >= 34:
            add(f"    installerPackageUid={_installer_uid(ctx, app) if not factory else -1}")
        add(f"    initiatingPackageName={initiating or 'null'}")
        add(f"    originatingPackageName={originating or 'null'}")
        if sdk >= 31 and app.installer_attribution_tag and not factory:
            add(f"    installerAttributionTag={app.installer_attribution_tag}")
        if sdk >= 33:
            add(f"    packageSource={app.package_source if not factory else 0}")
        if sdk >= 34:
            add("    appMetadataFilePath=null")
    sig = signature_hash(app)
    if sdk <= 26:
        add(f"    signatures=PackageSignatures{{{identity_hash(seed, 'sig', pkg, tag)} [{sig}]}}")
    else:
        add(f"    signatures=PackageSignatures{{{identity_hash(seed, 'sig', pkg, tag)} "
            f"version:{app.signing_version}, signatures:[{sig}], past signatures:[]}}")
    add("    installPermissionsFixed=true")
    add(f"    pkgFlags={flags}")
    if sdk >= 31:
        add(f"    privatePkgFlags={_private_flags(app, sdk, factory=factory)}")
    if sdk >= 34:
        add("    apexModuleName=null")
    shared = app.shared_user is not None
    if (dump_all or ctx.samsung) and app.requested_permissions:
        add("    requested permissions:")
        out.extend(f"      {p}" for p in app.requested_permissions)
    installs = [p for p in app.requested_permissions
                if not perms.is_runtime(p) and perms.exists_on(p, sdk)]
    if installs and (not shared or dump_all):
        add("    install permissions:")
        out.extend(f"      {p}: granted={'true' if p in app.granted_permissions else 'false'}"
                   for p in installs)
    runtime = [p for p in app.requested_permissions
               if perms.is_runtime(p) and perms.exists_on(p, sdk)]
    for user in ctx.profile.users:
        installed = user.id in app.users
        inode = (zlib.crc32(f"{seed}/{pkg}/{user.id}".encode("utf-8", "surrogatepass"))
                 & 0xFFFFF) + 100000 if installed else 0
        enabled = app.enabled_state if user.id == 0 else 0
        parts = [f"    User {user.id}: ceDataInode={inode}"]
        if sdk >= 35:
            parts.append(f" deDataInode={inode + 1 if installed else 0}")
        parts.append(f" installed={_b(installed)} hidden={_b(app.hidden)}"
                     f" suspended={_b(app.suspended)}")
        if sdk >= 30:
            parts.append(" distractionFlags=0")
        stopped = app.stopped or not installed
        parts.append(f" stopped={_b(stopped)} notLaunched={_b(stopped)} enabled={enabled}"
                     f" instant=false")
        if sdk >= 28:
            parts.append(" virtual=false")
        if sdk >= 35:
            parts.append(" quarantined=false")
        add("".join(parts))
        if sdk >= 33:
            # INSTALL_REASON_USER (4) for what a person installed, UNKNOWN (0) otherwise.
            add(f"      installReason={4 if installed and not app.system else 0}")
            if sdk >= 35:
                add(f"      dataDir=/data/user/{user.id}/{pkg}")
            first = first_ms if installed else 0
            add(f"      firstInstallTime={ctx.local_time(first)}")
            add("      uninstallReason=0")
        if shared:
            continue
        if installed and "android.permission.INTERNET" in app.granted_permissions:
            add("      gids=[3003]")
        if runtime or dump_all:
            add("      runtime permissions:")
            for p in runtime:
                granted = installed and p in app.granted_permissions
                add(f"        {p}: granted={_b(granted)}{_runtime_flags(app, granted, sdk)}")
    return out


def _b(value: bool) -> str:
    return "true" if value else "false"


# --------------------------------------------------------------------------- sections
def _preamble(ctx: Context) -> list[str]:
    sdk = ctx.sdk
    props = ctx.profile.properties
    fingerprint = props.get("ro.build.fingerprint", "")
    vending = ctx.profile.app("com.android.vending")
    gms = ctx.profile.app("com.google.android.gms")
    out = ["Database versions:", "  Internal:"]
    if sdk >= 35:
        out.append(f"    sdkVersion={sdk} sdkVersionFull={sdk}.0 databaseVersion=3")
    else:
        out.append(f"    sdkVersion={sdk} databaseVersion=3")
    if sdk >= 34:
        out.append(f"    buildFingerprint={fingerprint} fingerprint={fingerprint}")
    else:
        out.append(f"    fingerprint={fingerprint}")
    out += ["  External:", f"    sdkVersion={sdk} databaseVersion=3"]
    out.append(f"    buildFingerprint={fingerprint} fingerprint={fingerprint}" if sdk >= 34
               else f"    fingerprint={fingerprint}")
    out.append("")
    if sdk >= 33:
        out += ["Known Packages:", "  System: android",
                f"  Setup Wizard: {'com.google.android.setupwizard' if not ctx.samsung else 'com.sec.android.app.SecSetupWizard'}",
                "  Installer: com.google.android.packageinstaller",
                "  Uninstaller: com.google.android.packageinstaller",
                "  Verifier: com.android.vending",
                "  Browser: none", "  System Text Classifier: com.google.android.as",
                "  Permission Controller: com.google.android.permissioncontroller",
                "  Wellbeing: com.google.android.apps.wellbeing",
                "  Documenter: none", "  Configurator: none", "  Incident Report Approver: none",
                "  App Predictor: com.google.android.as", "  Overlay Config Signature: none",
                "  Wi-Fi Trampoline: com.android.wifi.dialog", "  Companion: none",
                "  Retail Demo: none", "  Recents: com.google.android.apps.nexuslauncher",
                ""]
    if vending is not None:
        out += ["Verifiers:", f"  Required: com.android.vending (uid={vending.uid})", ""]
    if gms is not None:
        title = "Domain Verifier:" if sdk >= 31 else "Intent Filter Verifier:"
        out += [title, f"  Using: com.google.android.gms (uid={gms.uid})", ""]
    out += ["Libraries:",
            "  android.test.base -> (jar) /system/framework/android.test.base.jar",
            "  android.test.mock -> (jar) /system/framework/android.test.mock.jar",
            "  android.test.runner -> (jar) /system/framework/android.test.runner.jar",
            "  android.hidl.base-V1.0-java -> (jar) /system/framework/android.hidl.base-V1.0-java.jar",
            "  org.apache.http.legacy -> (jar) /system/framework/org.apache.http.legacy.jar",
            "", "Features:", "  reqGlEsVersion=0x30002", "  android.hardware.audio.low_latency",
            "  android.hardware.bluetooth", "  android.hardware.camera",
            "  android.hardware.camera.autofocus", "  android.hardware.fingerprint",
            "  android.hardware.location.gps", "  android.hardware.nfc",
            "  android.hardware.telephony", "  android.hardware.touchscreen",
            "  android.hardware.usb.accessory", "  android.hardware.wifi",
            "  android.software.app_widgets", "  android.software.backup",
            "  android.software.device_admin", "  android.software.managed_users",
            "  android.software.webview", ""]
    return out


def _resolver_tables(ctx: Context, apps: list[AppSpec], padding: str = "") -> Iterator[str]:
    seed = ctx.profile.seed
    yield "Activity Resolver Table:"
    if padding:
        yield "  Full MIME Types:"
        yield padding
        yield ""
    launchers = [a for a in apps if a.launcher_component is not None]
    if launchers:
        yield "  Non-Data Actions:"
        yield "      android.intent.action.MAIN:"
        for app in launchers:
            comp = app.launcher_component
            assert comp is not None
            yield f"        {identity_hash(seed, 'act', app.package)} {comp.flatten_short()}"
    yield ""
    yield "Receiver Resolver Table:"
    admins = [(a, d) for a in apps for d in a.device_admins]
    boot = [a for a in apps if "android.permission.RECEIVE_BOOT_COMPLETED"
            in a.requested_permissions]
    if admins or boot:
        yield "  Non-Data Actions:"
    if admins:
        yield "      android.app.action.DEVICE_ADMIN_ENABLED:"
        for _app, admin in admins:
            yield f"        {identity_hash(seed, 'rcv', admin.component.flatten())} " \
                  f"{admin.component.flatten_short()}"
    if boot:
        yield "      android.intent.action.BOOT_COMPLETED:"
        for app in boot:
            yield f"        {identity_hash(seed, 'boot', app.package)} {app.package}/.BootReceiver"
    yield ""
    yield "Service Resolver Table:"
    services = [(a, s) for a in apps for s in a.accessibility_services]
    listeners = [(a, n) for a in apps for n in a.notification_listeners]
    if services or listeners:
        yield "  Non-Data Actions:"
    if services:
        yield "      android.accessibilityservice.AccessibilityService:"
        for _app, service in services:
            yield f"        {identity_hash(seed, 'svc', service.component.flatten())} " \
                  f"{service.component.flatten_short()}"
    if listeners:
        yield "      android.service.notification.NotificationListenerService:"
        for _app, listener in listeners:
            yield f"        {identity_hash(seed, 'nls', listener.component.flatten())} " \
                  f"{listener.component.flatten_short()}"
    yield ""


def _key_sets(apps: list[AppSpec]) -> Iterator[str]:
    yield "Key Set Manager:"
    for index, app in enumerate(apps):
        yield f"  [{app.package}]"
        yield f"      Signing KeySets: {index + 1}"
    yield ""


def _tail(ctx: Context, apps: list[AppSpec], single: bool) -> Iterator[str]:
    sdk = ctx.sdk
    if sdk >= 30:
        yield ""
        yield "Queries:"
        yield "  system apps queryable: false"
        yield "  queries via forceQueryable:"
        yield "  queries via package name:"
        yield "  queries via component:"
        yield "  queryable via interaction:"
        yield "  queryable via uses-library:"
    if not single:
        yield ""
        yield "Package Changes:"
        yield f"  Sequence number={len(apps) * 3 + 17}"
        yield ""
        yield "Frozen packages:"
        yield "  (none)"
        yield ""
        yield "Loaded volumes:"
        yield "  (none)"
    yield ""
    yield "Dexopt state:"
    for app in apps:
        yield f"  [{app.package}]"
        yield f"    path: {app.apk.base_path}"
        yield "      arm64: [status=speed-profile] [reason=bg-dexopt]" if not app.system \
            else "      arm64: [status=verify] [reason=vdex]"
    yield ""
    yield "Compiler stats:"
    for app in apps:
        yield f"  [{app.package}]"
        yield f"     {app.apk.base_path.rsplit('/', 1)[-1]} - {(len(app.package) * 37) % 900 + 40}"
    if sdk >= 29 and not single:
        yield ""
        yield "Active APEX packages:"
        yield ""
        yield ""
        yield "Inactive APEX packages:"
        yield ""
        yield ""
        yield "Factory APEX packages:"
        yield ""


_PAD_MARK = "\x00padding\x00"


def render_all(ctx: Context) -> bytes:
    """``dumpsys package`` (every package)."""
    apps = list(ctx.ordered_apps())
    target = int(ctx.faults.huge_dumpsys_mb * 1024 * 1024)
    if target <= 0:
        return _render_all(ctx, apps, "")
    head, _, tail = _render_all(ctx, apps, _PAD_MARK).partition(_PAD_MARK.encode())
    room = target - len(head) - len(tail)
    if room <= 0:
        return _render_all(ctx, apps, "")
    return b"".join((head, *_padding(ctx, apps, room), tail))


def _render_all(ctx: Context, apps: list[AppSpec], padding: str) -> bytes:
    pieces: list[str] = []
    pieces.extend(_preamble(ctx))
    pieces.extend(_resolver_tables(ctx, apps, padding))
    pieces.extend(_key_sets(apps))
    pieces.append("Packages:")
    for app in apps:
        pieces.extend(package_block(ctx, app, dump_all=False))
    hidden = [a for a in apps if a.updated_system and a.factory is not None]
    if hidden:
        pieces.append("")
        pieces.append("Hidden system packages:")
        for app in hidden:
            pieces.extend(package_block(ctx, app, dump_all=False, factory=True))
    pieces.extend(_tail(ctx, apps, single=False))
    return encode("\n".join(pieces) + "\n")


def _padding(ctx: Context, apps: list[AppSpec], size: int) -> list[bytes]:
    """About ``size`` bytes of MIME-type resolver entries for the phone's activities, as
    phones with many apps print; built as byte chunks so memory stays flat."""
    seed = ctx.profile.seed & 0xFFFFFFF
    launchers = [a for a in apps if a.launcher_activity] or apps
    templates = []
    for app in launchers:
        comp = app.launcher_component
        short = comp.flatten_short() if comp else f"{app.package}/.Main"
        templates.append((encode(f"      vnd.android.cursor.item/vnd.{app.package}.item"),
                          encode(f" {short}\n")))
    chunks: list[bytes] = []
    total = 0
    index = 0
    count = len(templates)
    while total < size:
        parts: list[bytes] = []
        for _ in range(4096):
            before, after = templates[index % count]
            parts.append(before + b"%d:\n        %07x" % (index, (index * 2654435761 + seed)
                                                        & 0xFFFFFFF | 0x1000000) + after)
            index += 1
        chunk = b"".join(parts)
        if total + len(chunk) > size:
            cut = chunk.rfind(b"\n      vnd.", 0, size - total)
            chunk = chunk[:cut + 1] if cut >= 0 else b""
            chunks.append(chunk)
            break
        chunks.append(chunk)
        total += len(chunk)
    if chunks and chunks[-1].endswith(b"\n"):
        chunks[-1] = chunks[-1][:-1]  # the section's own line break follows
    return chunks


def render_one(ctx: Context, package: str) -> bytes:
    """``dumpsys package PKG``."""
    app = ctx.profile.app(package)
    if app is None:
        return encode(f"\nDexopt state:\n  Unable to find package: {package}\n")
    apps = [app]
    pieces: list[str] = []
    pieces.extend(_resolver_tables(ctx, apps))
    pieces.extend(_key_sets(apps))
    pieces.append("Packages:")
    pieces.extend(package_block(ctx, app, dump_all=True))
    if app.updated_system and app.factory is not None:
        pieces.append("")
        pieces.append("Hidden system packages:")
        pieces.extend(package_block(ctx, app, dump_all=True, factory=True))
    pieces.extend(_tail(ctx, apps, single=True))
    return encode("\n".join(pieces) + "\n")


def dumpsys_package(ctx: Context, args: list[str]) -> ShellResult:
    """``dumpsys package [PKG | packages | -h]``."""
    rest = [a for a in args if a not in ("-a", "--all-components", "-f")]
    if not rest:
        return ShellResult(render_all(ctx))
    first = rest[0]
    if first in ("-h", "--help"):
        return ShellResult(encode(
            "Package manager dump options:\n"
            "  [-h] [-f] [--checkin] [--all-components] [cmd] ...\n"
            "    --checkin: dump for a checkin\n"
            "    -f: print details of intent filters\n"
            "    -h: print this help\n"
            "  cmd may be one of:\n"
            "    apex: list active APEXes and APEX session state\n"
            "    l[ibraries]: list known shared libraries\n"
            "    f[eatures]: list device features\n"
            "    k[eysets]: print known keysets\n"
            "    r[esolvers] [activity|service|receiver|content]: dump intent resolvers\n"
            "    perm[issions]: dump permissions\n"
            "    pref[erred]: print preferred package settings\n"
            "    p[ackages]: dump installed packages\n"
            "    s[hared-users]: dump shared user IDs\n"
            "    <package.name>: info about given package\n"))
    if first in ("p", "packages"):
        ctx_apps = list(ctx.ordered_apps())
        pieces = ["Packages:"]
        for app in ctx_apps:
            pieces.extend(package_block(ctx, app, dump_all=False))
        return ShellResult(encode("\n".join(pieces) + "\n"))
    return ShellResult(render_one(ctx, first))
