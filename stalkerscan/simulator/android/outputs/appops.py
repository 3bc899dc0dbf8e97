"""``cmd appops`` / ``appops``: query-op and get, as ``AppOpsService.Shell`` answers them.

``query-op [--user U] OP [MODE]`` prints every package whose OP is in MODE (default
``ignore``), one per line, or ``No operations.``; unknown ops and modes get AOSP's
``Error: ...`` lines on stderr and exit 255. ``query-op`` is present on every Android
version the simulator covers (AOSP has had it since Android 8.0).
"""

from __future__ import annotations

from stalkerscan.simulator.android.base import ShellResult
from stalkerscan.simulator.android.outputs.args import ShellArgError, parse_user_arg
from stalkerscan.simulator.android.outputs.common import Context, encode, fail, ok

MODES = ("allow", "ignore", "deny", "default", "foreground")

# AppOpsManager op names (debug names) the simulator knows; the public "android:x" form too.
OPS = (
    "COARSE_LOCATION", "FINE_LOCATION", "GPS", "VIBRATE", "READ_CONTACTS", "WRITE_CONTACTS",
    "READ_CALL_LOG", "WRITE_CALL_LOG", "READ_CALENDAR", "WRITE_CALENDAR", "WIFI_SCAN",
    "POST_NOTIFICATION", "NEIGHBORING_CELLS", "CALL_PHONE", "READ_SMS", "WRITE_SMS",
    "RECEIVE_SMS", "RECEIVE_EMERGENCY_BROADCAST", "RECEIVE_MMS", "RECEIVE_WAP_PUSH",
    "SEND_SMS", "READ_ICC_SMS", "WRITE_ICC_SMS", "WRITE_SETTINGS", "SYSTEM_ALERT_WINDOW",
    "ACCESS_NOTIFICATIONS", "CAMERA", "RECORD_AUDIO", "PLAY_AUDIO", "READ_CLIPBOARD",
    "WRITE_CLIPBOARD", "TAKE_MEDIA_BUTTONS", "TAKE_AUDIO_FOCUS", "WAKE_LOCK",
    "MONITOR_LOCATION", "MONITOR_HIGH_POWER_LOCATION", "GET_USAGE_STATS", "MUTE_MICROPHONE",
    "TOAST_WINDOW", "PROJECT_MEDIA", "ACTIVATE_VPN", "WRITE_WALLPAPER", "ASSIST_STRUCTURE",
    "ASSIST_SCREENSHOT", "READ_PHONE_STATE", "ADD_VOICEMAIL", "USE_SIP", "PROCESS_OUTGOING_CALLS",
    "USE_FINGERPRINT", "BODY_SENSORS", "READ_CELL_BROADCASTS", "MOCK_LOCATION",
    "READ_EXTERNAL_STORAGE", "WRITE_EXTERNAL_STORAGE", "TURN_SCREEN_ON", "GET_ACCOUNTS",
    "RUN_IN_BACKGROUND", "AUDIO_ACCESSIBILITY_VOLUME", "READ_PHONE_NUMBERS",
    "REQUEST_INSTALL_PACKAGES", "PICTURE_IN_PICTURE", "INSTANT_APP_START_FOREGROUND",
    "ANSWER_PHONE_CALLS", "RUN_ANY_IN_BACKGROUND", "CHANGE_WIFI_STATE",
    "REQUEST_DELETE_PACKAGES", "BIND_ACCESSIBILITY_SERVICE", "ACCEPT_HANDOVER",
    "MANAGE_IPSEC_TUNNELS", "START_FOREGROUND", "BLUETOOTH_SCAN", "USE_BIOMETRIC",
    "ACTIVITY_RECOGNITION", "SMS_FINANCIAL_TRANSACTIONS", "READ_MEDIA_AUDIO",
    "READ_MEDIA_VIDEO", "READ_MEDIA_IMAGES", "LEGACY_STORAGE", "ACCESS_ACCESSIBILITY",
    "READ_DEVICE_IDENTIFIERS", "ACCESS_MEDIA_LOCATION", "QUERY_ALL_PACKAGES",
    "MANAGE_EXTERNAL_STORAGE", "INTERACT_ACROSS_PROFILES", "ACTIVATE_PLATFORM_VPN",
    "LOADER_USAGE_STATS", "AUTO_REVOKE_PERMISSIONS_IF_UNUSED", "NO_ISOLATED_STORAGE",
    "SCHEDULE_EXACT_ALARM", "MANAGE_MEDIA", "BLUETOOTH_CONNECT", "RECORD_AUDIO_HOTWORD",
    "MANAGE_ONGOING_CALLS", "NEARBY_WIFI_DEVICES",
)


def _op_name(text: str) -> str | None:
    if text in OPS:
        return text
    if text.startswith("android:") and text[8:].upper() in OPS:
        return text[8:].upper()
    return None


def modes_for(ctx: Context, op: str) -> dict[str, str]:
    """Package to mode for one op."""
    return dict(ctx.profile.app_ops.get(op, {}))


def appops(ctx: Context, args: list[str]) -> ShellResult:
    """``appops ARGS`` / ``cmd appops ARGS``."""
    if not args:
        return ok("AppOps service (appops) commands:\n  help\n    Print this help text.\n")
    verb, rest = args[0], args[1:]
    if verb == "query-op":
        return _query_op(ctx, rest)
    if verb == "get":
        return _get(ctx, rest)
    if verb in ("help", "-h"):
        return ok("AppOps service (appops) commands:\n  help\n    Print this help text.\n"
                  "  get [--user <USER_ID>] [--attribution <ATTRIBUTION_TAG>] <PACKAGE | UID> [<OP>]\n"
                  "  query-op [--user <USER_ID>] <OP> [<MODE>]\n")
    return ok(f"Unknown command: {verb}\n", exit_code=255)


def _parse_user_op_mode(args: list[str]) -> tuple[str | None, str | None, int]:
    op = mode = None
    user = -2
    index = 0
    while index < len(args):
        argument = args[index]
        index += 1
        if argument == "--user":
            if index >= len(args):
                raise ShellArgError("java.lang.IllegalArgumentException",
                                    'Argument expected after "--user"')
            user = parse_user_arg(args[index])
            index += 1
        elif op is None:
            op = argument
        elif mode is None:
            mode = argument
            break
    return op, mode, user


def _query_op(ctx: Context, args: list[str]) -> ShellResult:
    try:
        op_text, mode_text, _user = _parse_user_op_mode(args)
    except ShellArgError as exc:
        return fail(f"Error: {exc.message}\n", 255)
    if op_text is None:
        return fail("Error: Operation not specified.\n", 255)
    op = _op_name(op_text)
    if op is None:
        return fail(f"Error: Unknown operation string: {op_text}\n", 255)
    mode = mode_text or "ignore"
    if mode not in MODES and not mode.isdigit():
        return fail(f"Error: Mode {mode} is not valid\n", 255)
    if mode.isdigit():
        mode = MODES[int(mode)] if int(mode) < len(MODES) else mode
    entries = modes_for(ctx, op)
    if not entries:
        return ok("No operations.\n")
    matches = [pkg for app in ctx.ordered_apps() for pkg in [app.package]
               if entries.get(pkg) == mode]
    return ShellResult(encode("".join(f"{pkg}\n" for pkg in matches)))


def _get(ctx: Context, args: list[str]) -> ShellResult:
    rest = [a for a in args]
    if rest[:1] == ["--user"]:
        rest = rest[2:]
    if not rest:
        return fail("Error: Package name not specified.\n", 255)
    package = rest[0]
    if ctx.profile.app(package) is None:
        return fail(f"Error: No UID for {package} in user 0\n", 255)
    only = _op_name(rest[1]) if len(rest) > 1 else None
    lines = []
    for op, entries in ctx.profile.app_ops.items():
        if only is not None and op != only:
            continue
        if package in entries:
            lines.append(f"{op}: {entries[package]}")
    if not lines:
        return ok("No operations.\n")
    return ShellResult(encode("".join(f"{line}\n" for line in lines)))
