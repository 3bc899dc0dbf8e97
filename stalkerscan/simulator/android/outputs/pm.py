"""``pm`` / ``cmd package``: list packages, path, list users, query-activities.

Formats follow AOSP's ``PackageManagerShellCommand``:

* ``runListPackages``: ``package:<sourceDir>=<name> versionCode:<n>  installer=<pkg> uid:<uid>``
  (two spaces before ``installer=``). Up to Android 12 the list is user 0's, in
  PackageManagerService's ArrayMap order; from Android 13 it covers every user by default
  and goes through a ``HashMap`` keyed by the line, so the order is the HashMap's and
  ``uid:`` lists one uid per user (``uid:10123,1010123``).
* Option errors print ``Error: Unknown option: -X`` on stdout and exit 255.
* Samsung phones with a Secure Folder (user 150) refuse the all-users default on Android 13
  and 14 (``SecurityException: Shell does not have permission to access user 150``, exit
  255); Android 15 reports the same exception on stderr and lists the users it may see.
"""

from __future__ import annotations

from stalkerscan.simulator.android.base import ShellResult
from stalkerscan.simulator.android.outputs.args import ShellArgError, ShellArgs, parse_user_arg
from stalkerscan.simulator.android.outputs.common import (
    Context,
    encode,
    fail,
    java_hashmap_order,
    ok,
)
from stalkerscan.simulator.android.profile import AppSpec, UserSpec

USER_ALL = -1
USER_CURRENT = -2

# Line numbers as printed by a Samsung Android 13 build (public bug reports).
_SECURITY_MESSAGE_TAIL = (
    " com.android.server.am.ActivityManagerService.handleIncomingUser:14983 "
    "android.app.ActivityManager.handleIncomingUser:4805 "
    "com.android.server.pm.PackageManagerShellCommand.translateUserId:3517 ")
_SECURITY_FRAMES = (
    "com.android.server.am.UserController.handleIncomingUser(UserController.java:2680)",
    "com.android.server.am.ActivityManagerService.handleIncomingUser(ActivityManagerService.java:14983)",
    "android.app.ActivityManager.handleIncomingUser(ActivityManager.java:4805)",
    "com.android.server.pm.PackageManagerShellCommand.translateUserId(PackageManagerShellCommand.java:3517)",
    "com.android.server.pm.PackageManagerShellCommand.runListPackages(PackageManagerShellCommand.java:969)",
    "com.android.server.pm.PackageManagerShellCommand.runListPackages(PackageManagerShellCommand.java:865)",
    "com.android.server.pm.PackageManagerShellCommand.runList(PackageManagerShellCommand.java:724)",
    "com.android.server.pm.PackageManagerShellCommand.onCommand(PackageManagerShellCommand.java:226)",
    "com.android.modules.utils.BasicShellCommandHandler.exec(BasicShellCommandHandler.java:97)",
    "android.os.ShellCommand.exec(ShellCommand.java:38)",
    "com.android.server.pm.PackageManagerService$IPackageManagerImpl.onShellCommand(PackageManagerService.java:6618)",
    "android.os.Binder.shellCommand(Binder.java:1086)",
    "android.os.Binder.onTransact(Binder.java:906)",
    "android.content.pm.IPackageManager$Stub.onTransact(IPackageManager.java:4352)",
    "com.android.server.pm.PackageManagerService$IPackageManagerImpl.onTransact(PackageManagerService.java:6602)",
    "android.os.Binder.execTransactInternal(Binder.java:1280)",
    "android.os.Binder.execTransact(Binder.java:1244)",
)


def _security_exception(user: int) -> str:
    return (f"java.lang.SecurityException: Shell does not have permission to access user {user}"
            f"\n{_SECURITY_MESSAGE_TAIL}")


def _uncaught(command: str, exception_text: str, frames: tuple[str, ...]) -> ShellResult:
    """What ShellCommand prints for an exception escaping the command (stderr, exit 255)."""
    body = "".join(f"\tat {frame}\n" for frame in frames)
    return fail(f"\nException occurred while executing '{command}':\n{exception_text}\n{body}",
                255)


def users_of(ctx: Context) -> tuple[UserSpec, ...]:
    """The phone's users, plus a Secure Folder when the ``pm_requires_user`` fault is on."""
    users = ctx.profile.users
    if ctx.faults.pm_requires_user and all(u.shell_access for u in users):
        users = (*users, UserSpec(150, "Secure Folder", "secure_folder", True, False))
    return users


def uid_for_user(app: AppSpec, user: int) -> int:
    """``UserHandle.getUid(user, appId)``."""
    return user * 100000 + app.uid


# --------------------------------------------------------------------------- dispatcher
def pm(ctx: Context, args: list[str]) -> ShellResult:
    """``pm ARGS`` / ``cmd package ARGS``."""
    if not args:
        return ok(_usage())
    cmd, rest = args[0], args[1:]
    try:
        if cmd == "list":
            return _list(ctx, rest)
        if cmd == "path":
            return _path(ctx, rest)
        if cmd == "query-activities":
            return query_activities(ctx, rest)
        if cmd == "dump":
            from stalkerscan.simulator.android.outputs.dumpsys_package import dumpsys_package

            if not rest:
                return fail("Error: no package specified\n", 255)
            return dumpsys_package(ctx, rest[:1])
    except ShellArgError as exc:
        return _uncaught(cmd, str(exc), ("com.android.modules.utils.BasicShellCommandHandler"
                                         ".getNextArgRequired(BasicShellCommandHandler.java:297)",))
    if cmd in ("help", "-h"):
        return ok(_usage())
    return ok(f"Unknown command: {cmd}\n", exit_code=255)


def _usage() -> str:
    return ("Package manager (package) commands:\n"
            "  help\n"
            "    Print this help text.\n\n"
            "  path [--user USER_ID] PACKAGE\n"
            "    Print the path to the .apk of the given PACKAGE.\n\n"
            "  list packages [-f] [-d] [-e] [-s] [-3] [-i] [-l] [-u] [-U]\n"
            "      [--show-versioncode] [--apex-only] [--uid UID] [--user USER_ID] [FILTER]\n"
            "    Prints all packages; optionally only those whose name contains\n"
            "    the text in FILTER.\n")


def _list(ctx: Context, args: list[str]) -> ShellResult:
    if not args:
        return ok("Error: didn't specify type of data to list\n", exit_code=255)
    kind, rest = args[0], args[1:]
    if kind in ("package", "packages"):
        return list_packages(ctx, rest)
    if kind == "users":
        return list_users(ctx)
    if kind == "features":
        return ok("feature:android.hardware.camera\nfeature:android.hardware.telephony\n"
                  "feature:android.hardware.wifi\nfeature:android.software.device_admin\n")
    if kind == "libraries":
        return ok("library:android.test.base\nlibrary:android.test.mock\n"
                  "library:android.test.runner\nlibrary:org.apache.http.legacy\n")
    return ok(f"Error: unknown list type '{kind}'\n", exit_code=255)


# --------------------------------------------------------------------------- list packages
_KNOWN_OPTIONS = {"-d", "-e", "-a", "-f", "-i", "-l", "-s", "-U", "-u", "-3",
                  "--show-versioncode", "--apex-only", "--user", "--uid"}


def _known_options(sdk: int) -> set[str]:
    known = set(_KNOWN_OPTIONS)
    if sdk < 29:
        known.discard("--apex-only")
    if sdk >= 31:
        known.add("--factory-only")
    if sdk >= 34:
        known.add("--match-libraries")
    if sdk >= 35:
        known |= {"-q", "--show-stopped"}
    return known


def list_packages(ctx: Context, args: list[str]) -> ShellResult:
    """``pm list packages [options] [FILTER]``."""
    known = _known_options(ctx.sdk) - set(ctx.faults.pm_unsupported_options)
    show_path = show_installer = show_uid = show_version = False
    only_disabled = only_enabled = only_system = only_third = apex_only = factory_only = False
    show_stopped = False
    uid_filter = -1
    # Android 13 made "all users" the default; a pm_requires_user phone behaves so on any SDK.
    all_users_default = ctx.sdk >= 33 or ctx.faults.pm_requires_user
    user = USER_ALL if all_users_default else 0
    parser = ShellArgs(args)
    try:
        while (opt := parser.next_option()) is not None:
            if opt not in known:
                return ok(f"Error: Unknown option: {opt}\n", exit_code=255)
            if opt == "-d":
                only_disabled = True
            elif opt == "-e":
                only_enabled = True
            elif opt == "-f":
                show_path = True
            elif opt == "-i":
                show_installer = True
            elif opt == "-s":
                only_system = True
            elif opt == "-U":
                show_uid = True
            elif opt == "-3":
                only_third = True
            elif opt == "--show-versioncode":
                show_version = True
            elif opt == "--apex-only":
                apex_only = True
            elif opt == "--factory-only":
                factory_only = True
            elif opt == "--show-stopped":
                show_stopped = True
            elif opt == "--user":
                user = parse_user_arg(parser.next_arg_required())
            elif opt == "--uid":
                show_uid = True
                text = parser.next_arg_required()
                try:
                    uid_filter = int(text)
                except ValueError:
                    raise ShellArgError("java.lang.NumberFormatException",
                                        f'For input string: "{text}"') from None
            # -a, -l, -u, -q, --match-libraries: accepted, nothing to show differently here
    except ShellArgError as exc:
        return ok(f"Error: {exc}\n", exit_code=255)
    name_filter = parser.next_arg()

    users = users_of(ctx)
    if all_users_default and user == USER_ALL:
        wanted = list(users)
    else:
        if user in (USER_ALL, USER_CURRENT):
            user = 0
        wanted = [u for u in users if u.id == user]
        if not wanted:
            return _uncaught("list", f"java.lang.IllegalArgumentException: Bad user id {user}"
                             if ctx.sdk < 33 else _security_exception(user), _SECURITY_FRAMES)
    refused = [u for u in wanted if not u.shell_access]
    stderr = ""
    if refused:
        if ctx.sdk >= 35:
            stderr = "".join(f"Error: {_security_exception(u.id)}\n" for u in refused)
            wanted = [u for u in wanted if u.shell_access]
        else:
            return _uncaught("list", _security_exception(refused[0].id), _SECURITY_FRAMES)

    entries: dict[str, list[str]] = {}
    order: list[str] = []
    for account in wanted:
        for app in ctx.ordered_apps():
            if account.id not in app.users:
                continue
            if name_filter is not None and name_filter not in app.package:
                continue
            if uid_filter != -1 and app.uid != uid_filter:
                continue
            if (only_disabled and app.enabled) or (only_enabled and not app.enabled) \
                    or (only_system and not app.system) or (only_third and app.system) \
                    or apex_only or (factory_only and not app.system):
                continue
            parts = ["package:"]
            if show_path:
                path = app.factory.path if factory_only and app.factory else app.apk.base_path
                parts.append(path)
                parts.append("=")
            parts.append(app.package)
            if show_version:
                code = app.factory.version_code if factory_only and app.factory \
                    else app.version_code
                if ctx.sdk < 28:  # before longVersionCode: ApplicationInfo.versionCode (int)
                    code = (code & 0xFFFFFFFF) - ((code & 0x80000000) << 1)
                parts.append(f" versionCode:{code}")
            if show_stopped:
                parts.append(f" stopped={'true' if app.stopped else 'false'}")
            if show_installer:
                parts.append(f"  installer={app.installer or 'null'}")
            key = "".join(parts)
            if key not in entries:
                entries[key] = []
                order.append(key)
            if show_uid:
                entries[key].append(str(uid_for_user(app, account.id)))
    if ctx.sdk >= 33:
        order = [order[i] for i in java_hashmap_order(order)]
    out = []
    for key in order:
        uids = entries[key]
        if uids and ctx.sdk >= 33:
            out.append(f"{key} uid:{','.join(uids)}\n")
        elif uids:
            out.append(f"{key} uid:{uids[0]}\n")
        else:
            out.append(f"{key}\n")
    return ShellResult(encode("".join(out)), encode(stderr), 0)


# --------------------------------------------------------------------------- path
def _path(ctx: Context, args: list[str]) -> ShellResult:
    parser = ShellArgs(args)
    user = 0
    opt = parser.next_option()
    if opt == "--user":
        user = parse_user_arg(parser.next_arg_required())
    pkg = parser.next_arg()
    if pkg is None:
        return _uncaught("path", 'java.lang.IllegalArgumentException: Argument expected after '
                         '"path"', ())
    app = ctx.profile.app(pkg)
    if app is None or (user >= 0 and user not in app.users):
        return ShellResult(b"", b"", 1)
    return ok("".join(f"package:{p}\n" for p in app.apk.all_paths()))


# --------------------------------------------------------------------------- users
def user_flags(user: UserSpec, sdk: int) -> str:
    """``Integer.toHexString(UserInfo.flags)`` as pm prints it."""
    if user.type == "secure_folder":
        return "10061030"
    if user.type == "primary":
        flags = 0x13 | (0xC00 if sdk >= 29 else 0) | (0x4000 if sdk >= 34 else 0)
    elif user.type == "managed_profile":
        flags = 0x30 | (0x1000 if sdk >= 29 else 0)
    elif user.type == "clone":
        flags = 0x1010
    elif user.type == "guest":
        flags = 0x14 | (0x400 if sdk >= 29 else 0)
    else:
        flags = 0x10 | (0x400 if sdk >= 29 else 0)
    return format(flags, "x")


def list_users(ctx: Context) -> ShellResult:
    """``pm list users``."""
    lines = ["Users:"]
    for user in users_of(ctx):
        running = " running" if user.running else ""
        lines.append(f"\tUserInfo{{{user.id}:{user.name}:{user_flags(user, ctx.sdk)}}}{running}")
    return ok("".join(f"{line}\n" for line in lines))


# --------------------------------------------------------------------------- query-activities
def query_activities(ctx: Context, args: list[str]) -> ShellResult:
    """``cmd package query-activities [--brief] [--components] [--user U] INTENT``."""
    brief = components = False
    user = USER_CURRENT
    actions: list[str] = []
    categories: list[str] = []
    package: str | None = None
    component: str | None = None
    parser = ShellArgs(args)
    while (opt := parser.next_option()) is not None:
        if opt == "--user":
            user = parse_user_arg(parser.next_arg_required())
        elif opt == "--brief":
            brief = True
        elif opt == "--components":
            components = True
        elif opt == "--query-flags":
            parser.next_arg_required()
        elif opt == "-a":
            actions.append(parser.next_arg_required())
        elif opt == "-c":
            categories.append(parser.next_arg_required())
        elif opt == "-n":
            component = parser.next_arg_required()
        elif opt in ("-d", "-t", "-f", "--ei", "--es", "--ez"):
            parser.next_arg_required()
            if opt in ("--ei", "--es", "--ez"):
                parser.next_arg_required()
        else:
            return _uncaught("query-activities",
                             f"java.lang.IllegalArgumentException: Unknown option: {opt}", ())
    rest = parser.remaining()
    if rest:
        package = rest[0]
    if user == USER_CURRENT:
        user = 0
    launcher_query = ("android.intent.action.MAIN" in actions
                      and "android.intent.category.LAUNCHER" in categories)
    results: list[AppSpec] = []
    if launcher_query or component:
        for app in ctx.ordered_apps():
            comp = app.launcher_component
            if comp is None or not app.enabled or user not in app.users:
                continue
            if package is not None and app.package != package:
                continue
            if component is not None and component not in (comp.flatten(),
                                                           comp.flatten_short()):
                continue
            results.append(app)
    if not results:
        return ok("No activities found\n")
    out: list[str] = []
    if components:
        for app in results:
            out.append(app.launcher_component.flatten_short())  # type: ignore[union-attr]
        return ok("".join(f"{line}\n" for line in out))
    out.append(f"{len(results)} activities found:")
    for index, app in enumerate(results):
        comp = app.launcher_component
        assert comp is not None
        out.append(f"  Activity #{index}:")
        out.append("    priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 "
                   "isDefault=false")
        if brief:
            out.append(f"    {comp.flatten_short()}")
        else:
            out.extend(_activity_dump(ctx, app, "    "))
    return ok("".join(f"{line}\n" for line in out))


def _activity_dump(ctx: Context, app: AppSpec, prefix: str) -> list[str]:
    """``ActivityInfo.dump`` (DUMP_FLAG_ALL), as ResolveInfo.dump prints it."""
    comp = app.launcher_component
    assert comp is not None
    label = "null" if app.system else app.label
    label_res = "0x7f120031" if app.system else "0x0"
    p = prefix + "  "
    q = p + "  "
    flags = 0x3E48 if app.system else 0x30
    sdk = ctx.sdk
    lines = [
        f"{prefix}ActivityInfo:",
        f"{p}name={comp.cls}",
        f"{p}packageName={app.package}",
        f"{p}labelRes={label_res} nonLocalizedLabel={label} icon=0x7f0e0000 banner=0x0",
        f"{p}enabled=true exported=true directBootAware=false",
        f"{p}taskAffinity={app.package} targetActivity=null persistableMode=PERSIST_ROOT_ONLY",
        f"{p}launchMode=0 flags=0x{flags:x} privateFlags=0x0 theme=0x7f1402a1",
        f"{p}screenOrientation=-1 configChanges=0xfb3 softInputMode=0x0",
        f"{p}lockTaskLaunchMode=LOCK_TASK_LAUNCH_MODE_DEFAULT",
        f"{p}resizeMode=RESIZE_MODE_RESIZEABLE_VIA_SDK_VERSION",
    ]
    if sdk >= 34:
        lines.append(f"{p}knownActivityEmbeddingCerts=[]")
    lines += [
        f"{p}ApplicationInfo:",
        f"{q}name={app.package}.App",
        f"{q}packageName={app.package}",
        f"{q}labelRes={label_res} nonLocalizedLabel={label} icon=0x7f0e0000 banner=0x0",
        f"{q}className={app.package}.App",
        f"{q}processName={app.package}",
        f"{q}taskAffinity={app.package}",
        f"{q}uid={app.uid} flags=0x{(0x38be44 | (1 if app.system else 0)):x} "
        f"privateFlags=0x{0x24001000 if sdk >= 30 else 0x1000:x} theme=0x7f1402a1",
        f"{q}requiresSmallestWidthDp=0 compatibleWidthLimitDp=0 largestWidthLimitDp=0",
        f"{q}sourceDir={app.apk.base_path}",
    ]
    if app.apk.split_paths:
        lines.append(f"{q}splitSourceDirs=[{', '.join(app.apk.split_paths)}]")
    lines += [
        f"{q}seinfo=default:targetSdkVersion={app.target_sdk}",
        f"{q}seinfoUser=:complete",
        f"{q}dataDir=/data/user/0/{app.package}",
        f"{q}deviceProtectedDataDir=/data/user_de/0/{app.package}",
        f"{q}credentialProtectedDataDir=/data/user/0/{app.package}",
        f"{q}enabled=true minSdkVersion={app.min_sdk} targetSdkVersion={app.target_sdk} "
        f"versionCode={app.version_code} targetSandboxVersion=1",
        f"{q}supportsRtl=true",
        f"{q}fullBackupContent=true",
        f"{q}HiddenApiEnforcementPolicy=2",
        f"{q}usesNonSdkApi=false",
        f"{q}allowsPlaybackCapture=true",
    ]
    return lines
