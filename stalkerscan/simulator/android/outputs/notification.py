"""``dumpsys notification`` (listener sections) and ``cmd notification list``.

The listener part follows ``ManagedServices.dump``: ``Allowed notification listeners:``,
``All notification listeners (N) enabled for current profiles:`` with ``ComponentInfo{...}``
entries, and ``Live notification listeners (N):``.
"""

from __future__ import annotations

from stalkerscan.simulator.android.base import ShellResult
from stalkerscan.simulator.android.outputs.common import Context, encode, identity_hash, ok


def render(ctx: Context) -> bytes:
    """A ``dumpsys notification`` with the listener state this phone has."""
    listeners = [(app, n) for app in ctx.profile.apps for n in app.notification_listeners]
    enabled = [(app, n) for app, n in listeners if n.enabled]
    live = [(app, n) for app, n in enabled if n.bound]
    seed = ctx.profile.seed
    out = ["Current Notification Manager state:", "  Notification List:", "",
           "  mMaxPackageEnqueueRate=5.0", "  hideSilentStatusBar=false",
           "  mZenMode=OFF", "", "  Notification listeners:",
           "    Allowed notification listeners:"]
    approved = ":".join(n.component.flatten() for _app, n in enabled)
    out.append(f"      {approved} (user: 0 isPrimary: true)")
    out.append(f"    All notification listeners ({len(enabled)}) enabled for current profiles:")
    out += [f"      {n.component.to_string()}" for _app, n in enabled]
    out.append(f"    Live notification listeners ({len(live)}):")
    out += [f"      {n.component.to_string()} (user 0): "
            f"android.service.notification.INotificationListener$Stub$Proxy@"
            f"{identity_hash(seed, 'nlproxy', n.component.flatten())}"
            for _app, n in live]
    out += ["    Snoozed notifications:", "", "  Notification assistant services:",
            "    Allowed notification assistant services:",
            "      com.google.android.ext.services/android.ext.services.notification.Assistant "
            "(user: 0 isPrimary: true)", ""]
    return encode("\n".join(out))


def dumpsys_notification(ctx: Context, args: list[str]) -> ShellResult:
    """``dumpsys notification [args]``."""
    return ShellResult(render(ctx))


def cmd_notification(ctx: Context, args: list[str]) -> ShellResult:
    """``cmd notification list`` (keys of posted notifications; this phone has none)."""
    if args[:1] == ["list"]:
        return ok("")
    return ok(f"Unknown command: {args[0] if args else ''}\n", exit_code=255)
