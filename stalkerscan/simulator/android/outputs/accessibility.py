"""``dumpsys accessibility`` in the format of each Android version, and Samsung's.

* Android 8-10 (``AccessibilityManagerService.dump``): one line
  ``User state[attributes:{id=0, currentUser=true, ...}`` then ``Bound services:{...}``,
  ``Enabled services:{{pkg/cls}}``, ``Binding services:{...}]``.
* Android 11-15 (``AccessibilityUserState.dump``): ``User state[`` on its own line, an
  ``attributes:{...}`` line whose fields grow with each release, shortcut and button
  targets, then bound / enabled / binding / crashed services; Android 14 adds the
  client list, magnification state and window attributes around it.
* Samsung: ``User state[attributes:{id=0, currentUser=true`` followed by One UI's ``mIs...``
  fields and ``installed services: {`` / ``enabled services: {`` lists with ``N : component``
  entries (the public Samsung capture).

Bound services print as ``Service[label=..., feedbackType[...], capabilities=N,
eventTypes=..., notificationTimeout=N(, requestA11yBtn=false)]``; the label is the app's own
text, byte for byte.
"""

from __future__ import annotations

from stalkerscan.simulator.android.base import ShellResult
from stalkerscan.simulator.android.outputs.common import Context, encode
from stalkerscan.simulator.android.profile import AccessibilityServiceSpec

# One UI's own accessibility services, listed under "installed services" when their app exists.
_SAMSUNG_BUILTIN = (
    ("com.android.settings",
     "com.android.settings/com.samsung.android.settings.development.gpuwatch.GPUWatchInterceptor"),
    ("com.samsung.accessibility", "com.samsung.accessibility/.universalswitch.UniversalSwitchService"),
    ("com.samsung.accessibility",
     "com.samsung.accessibility/com.samsung.android.app.talkback.TalkBackService"),
    ("com.sec.android.app.camera",
     "com.sec.android.app.camera/com.samsung.android.glview.AccessibilityGestureHandler"),
)

_SAMSUNG_FLAGS = (
    "mIsNavBarMagnificationAssignedToAccessibilityButton", "",
    "mIsNavBarMagnifierWindowAssignedToAccessibilityButton",
    "mIsNavBarAmplifyAmbientSoundAssignedToAccessibilityButton",
    "mIsAmplifyAmbientSoundEnabled", "mIsBixbyRunning", "mIsMagniferWindowEnabled",
    "mIsFollowTypingFocusEnabled", "mIsTapDurationEnabled", "mIsTouchBlockingEnabled",
    "mIsTextHighContrastEnabled", "mIsDisplayMagnificationEnabled",
    "mIsNavBarMagnificationEnabled", "mIsAutoclickEnabled", "mIsPerformGesturesEnabled",
    "mIsFilterKeyEventsEnabled",
)


def _services(ctx: Context) -> list[AccessibilityServiceSpec]:
    return [s for app in ctx.profile.apps for s in app.accessibility_services]


def service_dump(ctx: Context, service: AccessibilityServiceSpec, index: int) -> str:
    """``AccessibilityServiceConnection.dump``."""
    label = service.label
    if ctx.faults.non_utf8 and index == 0:
        label = label + " \udcff\udcfe"
    feedback = ", ".join(service.feedback_types)
    text = (f"Service[label={label}, feedbackType[{feedback}], "
            f"capabilities={service.capabilities}, eventTypes={service.event_types}, "
            f"notificationTimeout={service.notification_timeout}")
    if ctx.sdk >= 30:
        text += ", requestA11yBtn=false"
    return text + "]"


def _bound(ctx: Context, services: list[AccessibilityServiceSpec]) -> str:
    bound = [s for s in services if s.enabled and s.bound]
    joiner = ", \n" + " " * 21
    return joiner.join(service_dump(ctx, s, i) for i, s in enumerate(bound))


def _enabled(services: list[AccessibilityServiceSpec]) -> str:
    return ", ".join(s.component.to_short_string() for s in services if s.enabled)


def render(ctx: Context) -> bytes:
    """The whole ``dumpsys accessibility`` output."""
    if ctx.samsung:
        return encode(_samsung(ctx))
    if ctx.sdk <= 29:
        return encode(_legacy(ctx))
    return encode(_modern(ctx))


def _legacy(ctx: Context) -> str:
    services = _services(ctx)
    indent = "     " if ctx.sdk >= 29 else "           "
    attributes = ("{id=0, currentUser=true, touchExplorationEnabled=false, "
                  "displayMagnificationEnabled=false, navBarMagnificationEnabled=false, "
                  "autoclickEnabled=false")
    if ctx.sdk >= 29:
        attributes += (f", nonInteractiveUiTimeout=0, interactiveUiTimeout=0, "
                       f"installedServiceCount={len(services)}")
    attributes += "}"
    return (
        "ACCESSIBILITY MANAGER (dumpsys accessibility)\n\n"
        f"User state[attributes:{attributes}\n"
        f"{indent}Bound services:{{{_bound(ctx, services)}}}\n"
        f"{indent}Enabled services:{{{_enabled(services)}}}\n"
        f"{indent}Binding services:{{}}]\n")


def _modern(ctx: Context) -> str:
    sdk = ctx.sdk
    services = _services(ctx)
    attrs = ["id=0", "touchExplorationEnabled=false", "serviceHandlesDoubleTap=false",
             "requestMultiFingerGestures=false"]
    if sdk >= 31:
        attrs.append("requestTwoFingerPassthrough=false")
    if sdk >= 33:
        attrs.append("sendMotionEventsEnabledfalse")  # sic: AOSP prints no '=' here
    attrs += ["displayMagnificationEnabled=false", "autoclickEnabled=false",
              "nonInteractiveUiTimeout=0", "interactiveUiTimeout=0",
              f"installedServiceCount={len(services)}"]
    if sdk >= 31:
        attrs += ["magnificationModes={0=1}" if sdk >= 33 else "magnificationModes=1",
                  "magnificationCapabilities=3"]
    if sdk >= 33:
        attrs += ["audioDescriptionByDefaultEnabled=false", "magnificationFollowTypingEnabled=true"]
    if sdk >= 34:
        attrs.append("alwaysOnMagnificationEnabled=true")
    # (The public Android 14 capture starts with "DUMP OF SERVICE accessibility:" and PID
    # lines: those come from a multi-service dumpsys; a single-service dump has neither.)
    out = []
    out.append("ACCESSIBILITY MANAGER (dumpsys accessibility)")
    out.append("")
    if sdk >= 31:
        out.append("currentUserId=0")
        out.append("hasWindowMagnificationConnection=false")
    if sdk >= 34:
        out += ["Magnifier on display#0",
                "    MagnificationConfig[mode: 1, activated: false, scale: 1.0, centerX: 540.0, "
                "centerY: 1200.0] ",
                "    Magnification region=SkRegion((0,0,1080,2400))",
                "    IdOfLastServiceToMagnify=-1",
                "    SupportWindowMagnification=true",
                "    WindowMagnificationConnectionState=DISCONNECTED"]
    out.append("User state[")
    out.append("     attributes:{" + ", ".join(attrs) + "}")
    out.append("     shortcut key:{}")
    out.append("     button:{}")
    out.append("     button target:{null}")
    if sdk >= 35:
        out.append("     qs shortcut targets:[]")
    out.append("     Bound services:{" + _bound(ctx, services) + "}")
    out.append("     Enabled services:{" + _enabled(services) + "}")
    out.append("     Binding services:{}")
    if sdk >= 31:
        out.append("     Crashed services:{}")
    if sdk >= 34:
        clients = "".join(f"[{s.component.package}]" for s in services if s.enabled and s.bound)
        out += ["     Client list info:{", "          Client list callbacks: 6",
                "          Client list killed: false",
                "          Client list broadcasts count: -1",
                "          Registered clients:{",
                clients + "[com.google.android.apps.nexuslauncher][com.android.systemui]"
                "[com.android.settings.intelligence][com.google.android.inputmethod.latin]}]"]
        out += ["", "Window attributes:[{1=AccessibilityWindowAttributes{mAccessibilityWindowTitle"
                "=nullmLocales=[en_US]}}]",
                "A11yInputFilter Info : ",
                "Enabled features of Display [0] = [KeyboardInterceptor]",
                "", "Proxy manager state:", "    Number of proxy connections: 0",
                "    Registered proxy connections:",
                "Accessibility Display Listener:", "    SystemUI uid: 10181",
                "    1 valid display: 0"]
    else:
        out.append("]")
    return "\n".join(out) + "\n"


def _samsung(ctx: Context) -> str:
    services = _services(ctx)
    installed: list[str] = []
    packages = {app.package for app in ctx.profile.apps}
    for package, component in _SAMSUNG_BUILTIN:
        if package in packages:
            installed.append(component)
    installed += [s.component.flatten_short() for s in services]
    out = ["ACCESSIBILITY MANAGER (dumpsys accessibility)", "",
           "User state[attributes:{id=0, currentUser=true"]
    for flag in _SAMSUNG_FLAGS:
        out.append(f"  {flag} = false" if flag else "")
    out += ["  mAccessibilityFocusOnlyInActiveWindow = true",
            "  mUserNonInteractiveUiTimeout = 0",
            "  mUserInteractiveUiTimeout = 0",
            "  mBindInstantServiceAllowed = false",
            "  mIsGestureNaviBar = false",
            "  }",
            "  installed services: {"]
    out += [f"    {i} : {c}" for i, c in enumerate(installed)]
    out += ["  }", "  enabled services: {"]
    out += [f"    {i} : {s.component.flatten_short()}"
            for i, s in enumerate(x for x in services if x.enabled)]
    out += ["  }", "  binding services: {", "  }", "  bound services:{"]
    bound = [s for s in services if s.enabled and s.bound]
    out += [f"    {i} : {service_dump(ctx, s, i)}" for i, s in enumerate(bound)]
    out += ["  }", "  AccessibilityInputFilter:{", "  }]", ""]
    return "\n".join(out)


def dumpsys_accessibility(ctx: Context, args: list[str]) -> ShellResult:
    """``dumpsys accessibility [args]`` (arguments are ignored, as the service does)."""
    return ShellResult(render(ctx))
