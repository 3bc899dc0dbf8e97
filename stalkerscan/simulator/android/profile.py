"""Android phone profiles: the frozen description a simulated Android phone is built from.

:func:`parse_android_profile` turns profile data (a mapping, usually from YAML through
:func:`stalkerscan.simulator.profile.load_profile`) into an :class:`AndroidProfile`,
validating every key and naming file, line and key path in each error. The format is
documented in ``docs/simulator-profiles.md``; this module is its reference implementation.

Everything the phone prints is derived from the profile, so that the outputs of different
commands always agree with each other (the accessibility service enabled in settings is the
one ``dumpsys accessibility`` shows bound, and the app that owns it is in ``pm list
packages``).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from stalkerscan.simulator.android import permissions as perms
from stalkerscan.simulator.android.base import AndroidState, TransportFaults
from stalkerscan.simulator.profile import ProfileCursor, parse_wire_faults, stable_int

# Android version (as ro.build.version.release prints it) to API level.
RELEASE_TO_SDK: dict[str, int] = {
    "8.0.0": 26, "8.0": 26, "8": 26, "8.1.0": 27, "8.1": 27,
    "9": 28, "10": 29, "11": 30, "12": 31, "12L": 32, "13": 33, "14": 34, "15": 35,
}
SDK_TO_RELEASE: dict[int, str] = {26: "8.0.0", 27: "8.1.0", 28: "9", 29: "10", 30: "11",
                                  31: "12", 32: "12", 33: "13", 34: "14", 35: "15"}
MIN_SDK, MAX_SDK = 26, 35

VENDORS = ("aosp", "samsung")

# PackageManager.COMPONENT_ENABLED_STATE_* by the names a profile may use.
ENABLED_STATES = {"default": 0, "enabled": 1, "disabled": 2, "disabled_user": 3,
                  "disabled_until_used": 4}

# DeviceAdminInfo policy tags (what dumpsys device_policy prints under "policies:").
ADMIN_POLICIES = ("limit-password", "watch-login", "reset-password", "force-lock", "wipe-data",
                  "set-global-proxy", "expire-password", "encrypted-storage", "disable-camera",
                  "disable-keyguard-features")

USER_TYPES = ("primary", "secondary", "managed_profile", "secure_folder", "clone", "guest")

_PACKAGE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$")
_CLASS_RE = re.compile(r"^\.?[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$")


def valid_package_name(name: str) -> bool:
    """Android's rule: dot-separated Java identifiers, at least two parts (``android`` aside)."""
    return name == "android" or bool(_PACKAGE_RE.match(name))


# =========================================================================== components
@dataclass(frozen=True)
class Component:
    """An Android component name: package plus class."""

    package: str
    """Owning package."""

    cls: str
    """Fully qualified class name."""

    @classmethod
    def parse(cls, package: str, name: str) -> Component:
        """``.Svc`` / ``Svc`` / ``a.b.Svc`` / ``pkg/.Svc`` relative to ``package``."""
        if "/" in name:
            package, name = name.split("/", 1)
        if name.startswith("."):
            return cls(package, package + name)
        if "." not in name:
            return cls(package, f"{package}.{name}")
        return cls(package, name)

    def flatten(self) -> str:
        """``ComponentName.flattenToString()``: ``pkg/full.Class``."""
        return f"{self.package}/{self.cls}"

    def flatten_short(self) -> str:
        """``ComponentName.flattenToShortString()``: ``pkg/.Class`` when the class is inside
        the package, else ``pkg/full.Class``."""
        if self.cls.startswith(self.package + "."):
            return f"{self.package}/{self.cls[len(self.package):]}"
        return self.flatten()

    def to_short_string(self) -> str:
        """``ComponentName.toShortString()``: ``{pkg/full.Class}``."""
        return "{" + self.flatten() + "}"

    def to_string(self) -> str:
        """``ComponentName.toString()``: ``ComponentInfo{pkg/full.Class}``."""
        return "ComponentInfo{" + self.flatten() + "}"


@dataclass(frozen=True)
class AccessibilityServiceSpec:
    """An accessibility service an app declares."""

    component: Component
    """The service."""

    label: str
    """Label the phone prints for the bound service (and Settings shows)."""

    enabled: bool = True
    """Switched on in Settings (listed in ``enabled_accessibility_services``)."""

    bound: bool = True
    """Running and connected (``Bound services``); only meaningful when enabled."""

    feedback_types: tuple[str, ...] = ("FEEDBACK_GENERIC",)
    """``feedbackType[...]`` names."""

    capabilities: int = 1
    """``capabilities=`` bit mask (1 = retrieve window content)."""

    event_types: str = "TYPES_ALL_MASK"
    """``eventTypes=`` as AccessibilityEvent prints it."""

    notification_timeout: int = 100
    """``notificationTimeout=`` in ms."""


@dataclass(frozen=True)
class NotificationListenerSpec:
    """A notification listener service an app declares."""

    component: Component
    """The service."""

    enabled: bool = True
    """Allowed in Settings (listed in ``enabled_notification_listeners``)."""

    bound: bool = True
    """Connected ("live") when enabled."""


@dataclass(frozen=True)
class DeviceAdminSpec:
    """A device-admin receiver an app declares."""

    component: Component
    """The receiver."""

    policies: tuple[str, ...] = ("force-lock", "wipe-data")
    """Policies it uses (DeviceAdminInfo tags)."""

    active: bool = True
    """Activated by the user (listed under ``Enabled Device Admins``)."""

    users: tuple[int, ...] = (0,)
    """Users on which it is active."""


@dataclass(frozen=True)
class ApkLayout:
    """Where an app's APK files are and what the simulator builds into them."""

    base_path: str
    """Base APK path, as ``pm list packages -f`` prints it."""

    split_names: tuple[str, ...] = ()
    """Split names (``config.arm64_v8a``, ...)."""

    split_paths: tuple[str, ...] = ()
    """Split APK paths, in the same order as ``split_names``."""

    padding_bytes: int = 0
    """Incompressible padding for a realistic size."""

    dex_strings: tuple[str, ...] = ()
    """Strings placed in ``classes.dex``."""

    native_libs: Mapping[str, bytes] = field(default_factory=dict)
    """Native libraries by zip entry name."""

    extra_entries: Mapping[str, bytes] = field(default_factory=dict)
    """Extra zip entries by name."""

    signer: str = "sim-developer-1"
    """Bundled simulator key that signs the APK (apkgen's ``signer_names()``)."""

    schemes: tuple[str, ...] = ("v1", "v2")
    """Signature schemes."""

    @property
    def code_path(self) -> str:
        """The directory holding the APKs (``codePath=``)."""
        return self.base_path.rsplit("/", 1)[0] if "/" in self.base_path else self.base_path

    def all_paths(self) -> tuple[str, ...]:
        """Base path first, then splits."""
        return (self.base_path, *self.split_paths)


@dataclass(frozen=True)
class FactoryPackage:
    """The system-image copy of an updated system app (dumped under "Hidden system packages")."""

    path: str
    """APK path in the system image."""

    version_code: int
    """Version code of the factory copy."""

    version_name: str
    """Version name of the factory copy."""


@dataclass(frozen=True)
class AppSpec:
    """One installed package."""

    package: str
    """Package name."""

    label: str
    """Label shown to the user (may be any text, including hostile text)."""

    version_code: int
    """versionCode (long version code)."""

    version_name: str
    """versionName (any text)."""

    uid: int
    """appId (10000+ for apps, or a shared system uid)."""

    apk: ApkLayout
    """APK files."""

    min_sdk: int = 26
    """minSdkVersion."""

    target_sdk: int = 34
    """targetSdkVersion."""

    shared_user: str | None = None
    """sharedUserId (``android.uid.system``...)."""

    installer: str | None = None
    """installerPackageName (None prints ``null``)."""

    initiating: str | None = None
    """initiatingPackageName (Android 11+)."""

    originating: str | None = None
    """originatingPackageName (Android 11+)."""

    installer_attribution_tag: str | None = None
    """installerAttributionTag (Android 12+), printed only when set."""

    package_source: int = 0
    """PackageInstaller.PACKAGE_SOURCE_* (Android 13+)."""

    install_time_ms: int = 0
    """First install time, ms since the epoch."""

    update_time_ms: int = 0
    """Last update time, ms since the epoch."""

    system: bool = False
    """In the system image (FLAG_SYSTEM)."""

    updated_system: bool = False
    """A system app updated after the phone shipped (FLAG_UPDATED_SYSTEM_APP)."""

    factory: FactoryPackage | None = None
    """The system-image copy of an updated system app."""

    privileged: bool = False
    """In priv-app (PRIVILEGED private flag)."""

    partition: str = "data"
    """``data`` for ordinary apps, else ``system`` / ``product`` / ``system_ext`` / ``vendor``."""

    enabled_state: int = 0
    """COMPONENT_ENABLED_STATE_* for user 0 (0 default, 2 disabled, 3 disabled by user...)."""

    hidden: bool = False
    """Hidden by a device admin (``hidden=true``)."""

    stopped: bool = False
    """Force-stopped / never launched."""

    suspended: bool = False
    """Suspended (``suspended=true``)."""

    requested_permissions: tuple[str, ...] = ()
    """uses-permission entries, in manifest order."""

    granted_permissions: frozenset[str] = frozenset()
    """Granted install-time and runtime permissions (user 0)."""

    launcher_activity: str | None = None
    """Fully qualified MAIN/LAUNCHER activity; None = no icon in the launcher."""

    accessibility_services: tuple[AccessibilityServiceSpec, ...] = ()
    """Declared accessibility services."""

    notification_listeners: tuple[NotificationListenerSpec, ...] = ()
    """Declared notification listeners."""

    device_admins: tuple[DeviceAdminSpec, ...] = ()
    """Declared device-admin receivers."""

    users: tuple[int, ...] = (0,)
    """Users the app is installed for."""

    debuggable: bool = False
    """FLAG_DEBUGGABLE."""

    signing_version: int = 2
    """apkSigningVersion."""

    category: str = "utility"
    """What kind of app (drives generated details; not printed)."""

    @property
    def enabled(self) -> bool:
        """``ApplicationInfo.enabled`` as pm sees it."""
        return self.enabled_state not in (2, 3, 4)

    @property
    def launcher_component(self) -> Component | None:
        """The launcher activity as a component."""
        if self.launcher_activity is None:
            return None
        return Component(self.package, self.launcher_activity)


@dataclass(frozen=True)
class OwnerSpec:
    """A device owner or a profile owner."""

    component: Component
    """The admin receiver that owns the device / profile."""

    name: str = ""
    """Owner name (organisation) as printed."""

    user_id: int = 0
    """User the owner manages."""


@dataclass(frozen=True)
class UserSpec:
    """An Android user or profile."""

    id: int
    """User id (0 = owner; 10+ secondary / work profile; 150 Samsung Secure Folder)."""

    name: str
    """Name as ``pm list users`` prints it."""

    type: str = "primary"
    """``primary``, ``secondary``, ``managed_profile``, ``secure_folder``, ``clone`` or ``guest``."""

    running: bool = True
    """Whether ``running`` follows the entry."""

    shell_access: bool = True
    """Whether the adb shell may act on this user (false for Samsung Secure Folder)."""


@dataclass(frozen=True)
class ContentFaults:
    """Faults in what the phone says (as opposed to how it says it: TransportFaults)."""

    non_utf8: bool = False
    """Put invalid UTF-8 bytes into outputs: a Latin-1 device name in ``settings list`` and
    ``getprop``, and an invalid byte in the first bound accessibility service label."""

    pm_requires_user: bool = False
    """Samsung Secure Folder behaviour: ``pm list packages`` without ``--user 0`` fails with
    the real SecurityException (Android 13-14) or reports it and lists user 0 (Android 15)."""

    pm_unsupported_options: tuple[str, ...] = ()
    """``pm list packages`` options this phone's pm does not know (``Error: Unknown option``)."""

    huge_dumpsys_mb: float = 0.0
    """Pad ``dumpsys package`` (resolver tables, as big phones have) to about this many MB."""


@dataclass(frozen=True)
class AndroidProfile:
    """Everything a simulated Android phone is built from."""

    name: str
    """Profile name."""

    source: str
    """File (or other origin) the profile came from."""

    serial: str
    """adb serial."""

    vendor: str
    """``aosp`` or ``samsung`` (output variants)."""

    sdk: int
    """API level (26..35)."""

    properties: Mapping[str, str]
    """Every ``getprop`` property."""

    timezone: str
    """IANA time zone the phone prints local times in."""

    apps: tuple[AppSpec, ...]
    """Installed packages."""

    settings: Mapping[str, Mapping[str, str]]
    """``secure`` / ``global`` / ``system`` settings."""

    users: tuple[UserSpec, ...]
    """Users and profiles."""

    description: str = ""
    """What this phone is for."""

    device_owner: OwnerSpec | None = None
    """The device owner, if any."""

    profile_owners: tuple[OwnerSpec, ...] = ()
    """Profile owners (work profiles)."""

    usage_access: tuple[str, ...] = ()
    """Packages allowed GET_USAGE_STATS (app op mode allow)."""

    app_ops: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """App op (``GET_USAGE_STATS``, ``REQUEST_INSTALL_PACKAGES``...) to package to mode
    (``allow``, ``ignore``, ``deny``, ``default``, ``foreground``); includes usage_access."""

    su_paths: tuple[str, ...] = ()
    """Root signs: paths of su binaries / root tools present."""

    state: AndroidState = AndroidState.AUTHORIZED
    """Connection state."""

    transport_faults: TransportFaults = field(default_factory=TransportFaults)
    """Protocol-level faults."""

    content_faults: ContentFaults = field(default_factory=ContentFaults)
    """Output-level faults."""

    clock_offset_s: int = 0
    """Phone clock minus host clock, in seconds."""

    seed: int = 0
    """Seed for everything generated (hashes, inodes, random paths)."""

    @property
    def release(self) -> str:
        """``ro.build.version.release``."""
        return self.properties.get("ro.build.version.release", SDK_TO_RELEASE[self.sdk])

    def app(self, package: str) -> AppSpec | None:
        """The app with this package name."""
        return self._index().get(package)

    def _index(self) -> dict[str, AppSpec]:
        cached = self.__dict__.get("_app_index")
        if cached is None:
            cached = {app.package: app for app in self.apps}
            object.__setattr__(self, "_app_index", cached)
        return cached

    def with_faults(self, content: ContentFaults | None = None,
                    transport: TransportFaults | None = None) -> AndroidProfile:
        """A copy with other faults."""
        return replace(self, content_faults=content or self.content_faults,
                       transport_faults=transport or self.transport_faults)


# =========================================================================== parsing
_TOP_KEYS = frozenset({
    "platform", "name", "description", "serial", "state", "vendor", "device", "clock",
    "settings", "users", "usage_access", "root", "device_owner", "profile_owners",
    "generate", "apps", "faults", "seed", "app_ops", "device_admins",
    "accessibility_services", "notification_listeners",
})
_DEVICE_KEYS = frozenset({
    "model", "manufacturer", "brand", "product", "device", "android_version", "sdk",
    "security_patch", "build_id", "build_type", "build_tags", "fingerprint", "incremental",
    "verified_boot", "bootloader_locked", "timezone", "locale", "properties", "hardware",
})
_APP_KEYS = frozenset({
    "package", "label", "version_code", "version_name", "min_sdk", "target_sdk", "uid",
    "shared_user", "installer", "initiating", "originating", "installer_attribution_tag",
    "package_source", "installed", "updated", "system", "updated_system", "factory",
    "privileged", "partition", "enabled", "hidden", "stopped", "suspended", "permissions",
    "launcher", "accessibility_services", "notification_listeners", "device_admin", "apk",
    "users", "debuggable", "signing_version", "category",
})
_FAULT_KEYS = frozenset({
    "non_utf8", "pm_requires_user", "old_pm", "pm_unsupported_options", "huge_dumpsys_mb",
    "latency_ms", "disconnect_after", "fragment", "slow_bytes_per_second", "crlf",
    "max_payload", "protocol_version", "shell_v2",
})
OLD_PM_OPTIONS = ("-U", "--show-versioncode")
MAX_HUGE_DUMPSYS_MB = 1024
"""Largest padded ``dumpsys package`` a profile may ask for (it is built in memory)."""


def parse_android_profile(data: Mapping[str, Any], *, source: str) -> AndroidProfile:
    """Validate profile data and build an :class:`AndroidProfile`.

    Raises :class:`~stalkerscan.errors.ProfileError` naming ``source``, the YAML line (when
    the data came from :func:`~stalkerscan.simulator.profile.parse_yaml`), the key path and
    what is wrong.
    """
    return _Parser(source).parse(data)


def parse_faults(data: Mapping[str, Any], *, source: str = "faults",
                 base_content: ContentFaults | None = None,
                 base_transport: TransportFaults | None = None,
                 ) -> tuple[ContentFaults, TransportFaults]:
    """Parse a ``faults:`` mapping (as in a profile) over existing faults."""
    cursor = ProfileCursor(source)
    return _parse_faults(cursor, cursor.mapping(data), base_content or ContentFaults(),
                         base_transport or TransportFaults())


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.root = ProfileCursor(source)

    # ------------------------------------------------------------------ top level
    def parse(self, data: Mapping[str, Any]) -> AndroidProfile:
        root = self.root
        data = root.mapping(data)
        root.no_unknown_keys(data, _TOP_KEYS)
        name = root.key(data, "name").text(data.get("name", "android-phone"), allow_empty=False)
        seed = root.key(data, "seed").integer(data.get("seed", stable_int(name)))
        vendor = root.key(data, "vendor").choice(data.get("vendor", "aosp"), VENDORS)
        device_cur = root.key(data, "device")
        device = device_cur.mapping(data.get("device"))
        device_cur.no_unknown_keys(device, _DEVICE_KEYS)
        sdk, release = self._sdk(device_cur, device)
        timezone = self._timezone(device_cur, device)
        serial = root.key(data, "serial").text(
            data.get("serial", f"SIM{stable_int(name, seed) % 10**8:08d}"), allow_empty=False)
        if any(c.isspace() or not c.isprintable() for c in serial):
            raise root.key(data, "serial").error("an adb serial cannot contain spaces or "
                                                 "control characters")
        properties = self._properties(device_cur, device, vendor, sdk, release, serial, timezone)
        state = self._state(root.key(data, "state"), data.get("state", "authorized"))
        clock = root.key(data, "clock").mapping(data.get("clock"))
        root.key(data, "clock").no_unknown_keys(clock, {"offset_seconds"})
        clock_offset = root.key(data, "clock").key(clock, "offset_seconds").integer(
            clock.get("offset_seconds", 0))

        users = self._users(root.key(data, "users"), data.get("users"))
        user_ids = {u.id for u in users}
        zone = ZoneInfo(timezone)

        apps: dict[str, AppSpec] = {}
        generate = root.key(data, "generate").mapping(data.get("generate"))
        if generate:
            for app in self._generated(root.key(data, "generate"), generate, sdk, vendor, seed):
                apps[app.package] = app
        used_uids = {a.uid for a in apps.values() if a.shared_user is None}
        next_uid = max([10300, *(u + 1 for u in used_uids if u >= 10000)])
        apps_cur = root.key(data, "apps")
        explicit: set[str] = set()
        for index, item in enumerate(apps_cur.sequence(data.get("apps"))):
            cur = apps_cur.item(data["apps"], index)
            app = self._app(cur, item, sdk, zone, seed, next_uid, user_ids)
            if app.package in explicit:
                raise cur.key(item, "package").error(f"package {app.package!r} is listed twice")
            explicit.add(app.package)
            if app.shared_user is None and app.uid >= next_uid:
                next_uid = app.uid + 1
            apps[app.package] = app  # replaces a generated app of the same name
        self._check_uids(apps_cur, list(apps.values()))
        self._attach(root, data, apps)

        app_index = apps
        owner_cur = root.key(data, "device_owner")
        device_owner = None
        if data.get("device_owner") is not None:
            device_owner = self._owner(owner_cur, data["device_owner"], app_index, 0)
        profile_owners = tuple(
            self._owner(root.key(data, "profile_owners").item(data["profile_owners"], i), item,
                        app_index, None)
            for i, item in enumerate(root.key(data, "profile_owners").sequence(
                data.get("profile_owners"))))
        for owner in profile_owners:
            if owner.user_id not in user_ids:
                raise root.key(data, "profile_owners").error(
                    f"profile owner for user {owner.user_id}, but there is no such user",
                    "Add the work profile under users: (type: managed_profile).")

        usage_cur = root.key(data, "usage_access")
        usage = []
        for i, item in enumerate(usage_cur.sequence(data.get("usage_access"))):
            pkg = usage_cur.item(data["usage_access"], i).text(item)
            if pkg not in app_index:
                raise usage_cur.item(data["usage_access"], i).error(
                    f"{pkg!r} is not an installed app")
            usage.append(pkg)

        app_ops = self._app_ops(root.key(data, "app_ops"), data.get("app_ops"), app_index)
        usage_modes = dict(app_ops.get("GET_USAGE_STATS", {}))
        for pkg in usage:
            usage_modes[pkg] = "allow"
        if usage_modes:
            app_ops["GET_USAGE_STATS"] = usage_modes

        root_cur = root.key(data, "root")
        root_map = root_cur.mapping(data.get("root"))
        root_cur.no_unknown_keys(root_map, {"su_paths"})
        su_paths = []
        su_cur = root_cur.key(root_map, "su_paths")
        for i, item in enumerate(su_cur.sequence(root_map.get("su_paths"))):
            path = su_cur.item(root_map["su_paths"], i).text(item)
            if not path.startswith("/") or "\0" in path:
                raise su_cur.item(root_map["su_paths"], i).error("must be an absolute path")
            su_paths.append(path)

        content_faults, transport_faults = _parse_faults(
            root.key(data, "faults"), root.key(data, "faults").mapping(data.get("faults")),
            ContentFaults(), TransportFaults())

        app_tuple = tuple(apps.values())
        settings = self._settings(root.key(data, "settings"), data.get("settings"), sdk, vendor,
                                  app_tuple, properties)
        return AndroidProfile(
            name=name, source=self.source, serial=serial, vendor=vendor, sdk=sdk,
            properties=MappingProxyType(properties), timezone=timezone, apps=app_tuple,
            settings=MappingProxyType({k: MappingProxyType(v) for k, v in settings.items()}),
            users=users,
            description=root.key(data, "description").text(data.get("description", "")),
            device_owner=device_owner, profile_owners=profile_owners, usage_access=tuple(usage),
            app_ops=MappingProxyType({k: MappingProxyType(v) for k, v in app_ops.items()}),
            su_paths=tuple(su_paths), state=state, transport_faults=transport_faults,
            content_faults=content_faults, clock_offset_s=clock_offset, seed=seed)

    # ------------------------------------------------------------------ device
    def _sdk(self, cur: ProfileCursor, device: Mapping[str, Any]) -> tuple[int, str]:
        release = device.get("android_version")
        sdk_value = device.get("sdk")
        sdk: int | None = None
        if sdk_value is not None:
            sdk = cur.key(device, "sdk").integer(sdk_value, minimum=MIN_SDK, maximum=MAX_SDK)
        if release is not None:
            release_text = cur.key(device, "android_version").text(release)
            if release_text not in RELEASE_TO_SDK:
                raise cur.key(device, "android_version").error(
                    f"Android {release_text!r} is not simulated; use one of 8.0, 8.1, 9, 10, "
                    "11, 12, 12L, 13, 14, 15")
            implied = RELEASE_TO_SDK[release_text]
            if sdk is not None and sdk != implied:
                raise cur.key(device, "sdk").error(
                    f"sdk {sdk} does not match android_version {release_text} (API {implied})")
            sdk = implied
            if release_text == "12L":
                release_text = "12"
            elif release_text in ("8", "8.0"):
                release_text = "8.0.0"
            elif release_text == "8.1":
                release_text = "8.1.0"
            return sdk, release_text
        if sdk is None:
            sdk = 34
        return sdk, SDK_TO_RELEASE[sdk]

    def _timezone(self, cur: ProfileCursor, device: Mapping[str, Any]) -> str:
        return cur.key(device, "timezone").timezone(device.get("timezone", "UTC"))

    def _properties(self, cur: ProfileCursor, device: Mapping[str, Any], vendor: str, sdk: int,
                    release: str, serial: str, timezone: str) -> dict[str, str]:
        from stalkerscan.simulator.android.props import default_properties

        def text(key: str, default: str) -> str:
            return cur.key(device, key).text(device.get(key, default))

        samsung = vendor == "samsung"
        model = text("model", "SM-S911B" if samsung else "Pixel 7")
        manufacturer = text("manufacturer", "samsung" if samsung else "Google")
        brand = text("brand", "samsung" if samsung else "google")
        product = text("product", "dm1qxxx" if samsung else "panther")
        device_name = text("device", "dm1q" if samsung else "panther")
        patch = text("security_patch", "2024-02-05")
        if patch == "recent":
            patch = _recent_patch()
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", patch):
            raise cur.key(device, "security_patch").error(
                f"{patch!r} is not a date like 2024-02-05")
        build_type = cur.key(device, "build_type").choice(device.get("build_type", "user"),
                                                          ("user", "userdebug", "eng"))
        build_tags = text("build_tags", "release-keys")
        verified_boot = cur.key(device, "verified_boot").choice(
            device.get("verified_boot", "green"), ("green", "yellow", "orange", "red"))
        locked_default = verified_boot in ("green", "yellow")
        locked = cur.key(device, "bootloader_locked").boolean(
            device.get("bootloader_locked", locked_default))
        build_id = text("build_id", _default_build_id(sdk, patch, samsung))
        incremental = text("incremental", str(stable_int(model, build_id) % 90000000 + 10000000)
                           if not samsung else f"S911BXXU{stable_int(model) % 9 + 1}CWK1")
        fingerprint = text(
            "fingerprint",
            f"{brand}/{product}/{device_name}:{release}/{build_id}/{incremental}:"
            f"{build_type}/{build_tags}")
        props = default_properties(
            sdk=sdk, release=release, vendor=vendor, model=model, manufacturer=manufacturer,
            brand=brand, product=product, device=device_name, security_patch=patch,
            build_id=build_id, build_type=build_type, build_tags=build_tags,
            fingerprint=fingerprint, incremental=incremental, verified_boot=verified_boot,
            bootloader_locked=locked, serial=serial, timezone=timezone,
            locale=text("locale", "en-US"), hardware=text("hardware", "gs201" if not samsung
                                                          else "qcom"))
        extra_cur = cur.key(device, "properties")
        extra = extra_cur.mapping(device.get("properties"))
        for key, value in extra.items():
            item_cur = extra_cur.key(extra, key)
            if not key or any(c.isspace() for c in key) or "]" in key:
                raise item_cur.error("property names cannot be empty or contain spaces or ']'")
            props[key] = "" if value is None else (
                ("true" if value else "false") if isinstance(value, bool) else item_cur.text(value))
        return dict(sorted(props.items()))

    def _state(self, cur: ProfileCursor, value: Any) -> AndroidState:
        names = {"authorized": AndroidState.AUTHORIZED, "device": AndroidState.AUTHORIZED,
                 "unauthorized": AndroidState.UNAUTHORIZED, "prompt": AndroidState.PROMPT,
                 "offline": AndroidState.OFFLINE}
        text = cur.choice(value, tuple(names))
        return names[text]

    def _users(self, cur: ProfileCursor, value: Any) -> tuple[UserSpec, ...]:
        if value is None:
            return (UserSpec(0, "Owner"),)
        users: list[UserSpec] = []
        for i, item in enumerate(cur.sequence(value)):
            ucur = cur.item(value, i)
            m = ucur.mapping(item)
            ucur.no_unknown_keys(m, {"id", "name", "type", "running"})
            uid = ucur.key(m, "id").integer(m.get("id"), minimum=0, maximum=10_000)
            utype = ucur.key(m, "type").choice(m.get("type", "primary" if uid == 0 else
                                                      "secondary"), USER_TYPES)
            default_name = {"managed_profile": "Work profile", "secure_folder": "Secure Folder",
                            "clone": "Clone", "guest": "Guest"}.get(utype, "Owner")
            users.append(UserSpec(uid, ucur.key(m, "name").text(m.get("name", default_name)),
                                  utype, ucur.key(m, "running").boolean(m.get("running", True)),
                                  shell_access=utype != "secure_folder"))
        if not users or users[0].id != 0:
            raise cur.error("the first user must be user 0 (the phone's owner)")
        if len({u.id for u in users}) != len(users):
            raise cur.error("user ids must be unique")
        return tuple(users)

    # ------------------------------------------------------------------ apps
    def _generated(self, cur: ProfileCursor, generate: Mapping[str, Any], sdk: int, vendor: str,
                   seed: int) -> list[AppSpec]:
        from stalkerscan.simulator.android.generate import generate_apps

        cur.no_unknown_keys(generate, {"ordinary_apps", "seed", "system_apps", "newest"})
        count = cur.key(generate, "ordinary_apps").integer(generate.get("ordinary_apps", 0),
                                                           minimum=0, maximum=20_000)
        gseed = cur.key(generate, "seed").integer(generate.get("seed", seed))
        system = cur.key(generate, "system_apps").boolean(generate.get("system_apps", True))
        newest_text = generate.get("newest")
        newest_ms = None
        if newest_text is not None:
            newest_ms = _parse_time(cur.key(generate, "newest"), newest_text, ZoneInfo("UTC"))
        return generate_apps(sdk=sdk, vendor=vendor, ordinary=count, seed=gseed,
                             system_apps=system, newest_ms=newest_ms)

    def _app(self, cur: ProfileCursor, item: Any, sdk: int, zone: ZoneInfo, seed: int,
             next_uid: int, user_ids: set[int]) -> AppSpec:
        from stalkerscan.simulator.android.generate import apk_path_for, signature_signer_default

        m = cur.mapping(item)
        cur.no_unknown_keys(m, _APP_KEYS)
        if "package" not in m:
            raise cur.error("an app needs a 'package'")
        pkg = cur.key(m, "package").text(m["package"])
        if not valid_package_name(pkg):
            raise cur.key(m, "package").error(
                f"{pkg!r} is not a valid Android package name (dot-separated Java "
                "identifiers, e.g. net.example.app)")

        def opt_text(key: str, default: Any = None) -> Any:
            value = m.get(key, default)
            return None if value is None else cur.key(m, key).text(value)

        def opt_pkg(key: str) -> str | None:
            value = opt_text(key)
            if value is None or value == "null":
                return None
            if not valid_package_name(value):
                raise cur.key(m, key).error(f"{value!r} is not a valid package name")
            return value

        label = opt_text("label") or _default_label(pkg)
        version_code = cur.key(m, "version_code").integer(m.get("version_code", 1), minimum=0,
                                                          maximum=2**63 - 1)
        version_name = opt_text("version_name", "1.0")
        min_sdk = cur.key(m, "min_sdk").integer(m.get("min_sdk", min(26, sdk)), minimum=1,
                                                maximum=40)
        target_sdk = cur.key(m, "target_sdk").integer(m.get("target_sdk", min(sdk, 34)),
                                                      minimum=1, maximum=40)
        system = cur.key(m, "system").boolean(m.get("system", False))
        updated_system = cur.key(m, "updated_system").boolean(m.get("updated_system", False))
        if updated_system and not system:
            raise cur.key(m, "updated_system").error(
                "an updated system app must also be a system app (system: true)")
        shared_user = opt_text("shared_user")
        from stalkerscan.simulator.android.catalog import SHARED_UIDS

        if "uid" in m:
            uid = cur.key(m, "uid").integer(m["uid"], minimum=1000, maximum=19999)
        elif shared_user is not None and shared_user in SHARED_UIDS:
            uid = SHARED_UIDS[shared_user]
        else:
            uid = next_uid
        partition = cur.key(m, "partition").choice(
            m.get("partition", "system" if system else "data"),
            ("data", "system", "product", "system_ext", "vendor"))
        if system and partition == "data":
            raise cur.key(m, "partition").error("a system app lives in a system partition")
        if not system and partition != "data":
            raise cur.key(m, "partition").error("only system apps live in system partitions")
        privileged = cur.key(m, "privileged").boolean(m.get("privileged", False))

        installed_ms = (_parse_time(cur.key(m, "installed"), m["installed"], zone)
                        if "installed" in m else _default_install_ms(system, pkg, seed))
        updated_ms = (_parse_time(cur.key(m, "updated"), m["updated"], zone)
                      if "updated" in m else installed_ms)
        if updated_ms < installed_ms:
            raise cur.key(m, "updated").error("the last update is before the first install")

        enabled_value = m.get("enabled", True)
        ecur = cur.key(m, "enabled")
        if isinstance(enabled_value, bool):
            enabled_state = 0 if enabled_value else 3
        else:
            enabled_state = ENABLED_STATES[ecur.choice(enabled_value, tuple(ENABLED_STATES))]

        # permissions
        pcur = cur.key(m, "permissions")
        pmap = pcur.mapping(m.get("permissions"))
        pcur.no_unknown_keys(pmap, {"requested", "granted"})
        requested: list[str] = []
        rcur = pcur.key(pmap, "requested")
        for i, value in enumerate(rcur.sequence(pmap.get("requested"))):
            name = perms.qualify(rcur.item(pmap["requested"], i).text(value, allow_empty=False))
            if name not in requested:
                requested.append(name)
        granted: set[str] = set()
        gcur = pcur.key(pmap, "granted")
        granted_value = pmap.get("granted")
        if granted_value == "all":
            granted = set(requested)
        else:
            for i, value in enumerate(gcur.sequence(granted_value)):
                icur = gcur.item(granted_value, i)
                name = perms.qualify(icur.text(value, allow_empty=False))
                if name not in requested:
                    raise icur.error(f"{name} is granted but not requested",
                                     "Add it to permissions.requested as well: Android grants "
                                     "only what an app asks for.")
                granted.add(name)

        # launcher
        launcher_value = m.get("launcher", True)
        lcur = cur.key(m, "launcher")
        launcher: str | None
        if launcher_value is True:
            launcher = Component.parse(pkg, ".MainActivity").cls
        elif launcher_value is False or launcher_value is None:
            launcher = None
        else:
            launcher_text = lcur.text(launcher_value)
            if not _CLASS_RE.match(launcher_text):
                raise lcur.error(f"{launcher_text!r} is not an activity class name")
            launcher = Component.parse(pkg, launcher_text).cls

        services = tuple(self._a11y(cur.key(m, "accessibility_services"), pkg,
                                    m.get("accessibility_services")))
        listeners = tuple(self._listeners(cur.key(m, "notification_listeners"), pkg,
                                          m.get("notification_listeners")))
        admins = self._admin(cur.key(m, "device_admin"), pkg, m.get("device_admin"))

        users_value = m.get("users", [0])
        users_cur = cur.key(m, "users")
        app_users = tuple(users_cur.item(users_value, i).integer(u)
                          for i, u in enumerate(users_cur.sequence(users_value)))
        for i, u in enumerate(app_users):
            if u not in user_ids:
                raise users_cur.item(users_value, i).error(f"there is no user {u}")

        apk = self._apk(cur.key(m, "apk"), m.get("apk"), pkg, sdk, system, partition,
                        privileged, seed, signature_signer_default(pkg, system), apk_path_for)

        factory = None
        if updated_system:
            fcur = cur.key(m, "factory")
            fmap = fcur.mapping(m.get("factory"))
            fcur.no_unknown_keys(fmap, {"path", "version_code", "version_name"})
            default_dir = {"system": "/system", "product": "/product",
                           "system_ext": "/system_ext", "vendor": "/vendor"}[partition]
            sub = "priv-app" if privileged else "app"
            apk_name = _default_label(pkg).replace(" ", "")
            factory = FactoryPackage(
                path=fcur.key(fmap, "path").text(
                    fmap.get("path", f"{default_dir}/{sub}/{apk_name}/{apk_name}.apk")),
                version_code=fcur.key(fmap, "version_code").integer(
                    fmap.get("version_code", max(1, version_code // 2)), minimum=0),
                version_name=fcur.key(fmap, "version_name").text(
                    fmap.get("version_name", version_name)))
        elif "factory" in m:
            raise cur.key(m, "factory").error("only updated system apps have a factory copy")

        return AppSpec(
            package=pkg, label=label, version_code=version_code, version_name=version_name,
            uid=uid, apk=apk, min_sdk=min_sdk, target_sdk=target_sdk, shared_user=shared_user,
            installer=opt_pkg("installer"), initiating=opt_pkg("initiating"),
            originating=opt_pkg("originating"),
            installer_attribution_tag=opt_text("installer_attribution_tag"),
            package_source=cur.key(m, "package_source").integer(m.get("package_source", 0),
                                                                minimum=0, maximum=4),
            install_time_ms=installed_ms, update_time_ms=updated_ms, system=system,
            updated_system=updated_system, factory=factory, privileged=privileged,
            partition=partition, enabled_state=enabled_state,
            hidden=cur.key(m, "hidden").boolean(m.get("hidden", False)),
            stopped=cur.key(m, "stopped").boolean(m.get("stopped", False)),
            suspended=cur.key(m, "suspended").boolean(m.get("suspended", False)),
            requested_permissions=tuple(requested), granted_permissions=frozenset(granted),
            launcher_activity=launcher, accessibility_services=services,
            notification_listeners=listeners, device_admins=admins, users=app_users or (0,),
            debuggable=cur.key(m, "debuggable").boolean(m.get("debuggable", False)),
            signing_version=cur.key(m, "signing_version").integer(
                m.get("signing_version", 3 if sdk >= 28 else 2), minimum=1, maximum=4),
            category=cur.key(m, "category").text(m.get("category", "utility")))

    def _attach(self, root: ProfileCursor, data: Mapping[str, Any],
                apps: dict[str, AppSpec]) -> None:
        """Top-level device_admins / accessibility_services / notification_listeners:
        components added to any app, generated ones included (``component: pkg/.Cls``)."""
        for key in ("device_admins", "accessibility_services", "notification_listeners"):
            cur = root.key(data, key)
            for index, item in enumerate(cur.sequence(data.get(key))):
                icur = cur.item(data[key], index)
                m = dict(icur.mapping(item))
                if "component" not in m:
                    raise icur.error("needs a 'component' (package/.Class)")
                text = icur.key(item, "component").text(m.pop("component"))
                if "/" not in text:
                    raise icur.key(item, "component").error("write it as package/.Class")
                pkg, cls = text.split("/", 1)
                app = apps.get(pkg)
                if app is None:
                    raise icur.key(item, "component").error(f"{pkg!r} is not an installed app")
                located = type(item)(m) if isinstance(item, dict) else m
                if hasattr(item, "key_lines"):
                    located.line = item.line  # type: ignore[attr-defined]
                    located.key_lines = dict(item.key_lines)  # type: ignore[attr-defined]
                if key == "device_admins":
                    located["receiver"] = cls
                    added = self._admin(icur, pkg, located)
                    apps[pkg] = replace(app, device_admins=app.device_admins + added)
                elif key == "accessibility_services":
                    located["class"] = cls
                    apps[pkg] = replace(app, accessibility_services=app.accessibility_services
                                        + tuple(self._a11y(icur, pkg, [located])))
                else:
                    located["class"] = cls
                    apps[pkg] = replace(app, notification_listeners=app.notification_listeners
                                        + tuple(self._listeners(icur, pkg, [located])))

    def _a11y(self, cur: ProfileCursor, pkg: str, value: Any) -> list[AccessibilityServiceSpec]:
        out = []
        for i, item in enumerate(cur.sequence(value)):
            icur = cur.item(value, i)
            m = icur.mapping(item)
            icur.no_unknown_keys(m, {"class", "label", "enabled", "bound", "feedback",
                                     "capabilities", "event_types", "notification_timeout"})
            comp = self._component(icur, m, pkg)
            feedback_cur = icur.key(m, "feedback")
            feedback = tuple(feedback_cur.item(m["feedback"], j).text(f)
                             for j, f in enumerate(feedback_cur.sequence(m.get("feedback")))
                             ) or ("FEEDBACK_GENERIC",)
            enabled = icur.key(m, "enabled").boolean(m.get("enabled", True))
            out.append(AccessibilityServiceSpec(
                component=comp, label=icur.key(m, "label").text(m.get("label", comp.cls)),
                enabled=enabled,
                bound=icur.key(m, "bound").boolean(m.get("bound", enabled)) and enabled,
                feedback_types=feedback,
                capabilities=icur.key(m, "capabilities").integer(m.get("capabilities", 1),
                                                                 minimum=0),
                event_types=icur.key(m, "event_types").text(m.get("event_types",
                                                                  "TYPES_ALL_MASK")),
                notification_timeout=icur.key(m, "notification_timeout").integer(
                    m.get("notification_timeout", 100), minimum=0)))
        return out

    def _listeners(self, cur: ProfileCursor, pkg: str, value: Any) -> list[NotificationListenerSpec]:
        out = []
        for i, item in enumerate(cur.sequence(value)):
            icur = cur.item(value, i)
            m = icur.mapping(item)
            icur.no_unknown_keys(m, {"class", "enabled", "bound"})
            enabled = icur.key(m, "enabled").boolean(m.get("enabled", True))
            out.append(NotificationListenerSpec(
                self._component(icur, m, pkg), enabled,
                icur.key(m, "bound").boolean(m.get("bound", enabled)) and enabled))
        return out

    def _admin(self, cur: ProfileCursor, pkg: str, value: Any) -> tuple[DeviceAdminSpec, ...]:
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        out = []
        for i, item in enumerate(items):
            icur = cur.item(value, i) if isinstance(value, list) else cur
            m = icur.mapping(item)
            icur.no_unknown_keys(m, {"receiver", "policies", "active", "users"})
            if "receiver" not in m:
                raise icur.error("a device admin needs a 'receiver' class")
            receiver = icur.key(m, "receiver").text(m["receiver"])
            if not _CLASS_RE.match(receiver.split("/", 1)[-1]):
                raise icur.key(m, "receiver").error(f"{receiver!r} is not a class name")
            comp = Component.parse(pkg, receiver)
            if comp.package != pkg:
                raise icur.key(m, "receiver").error("the receiver must belong to this app")
            pcur = icur.key(m, "policies")
            policies = []
            for j, policy in enumerate(pcur.sequence(m.get("policies", ["force-lock",
                                                                         "wipe-data"]))):
                policy_text = pcur.item(m.get("policies"), j).choice(policy, ADMIN_POLICIES)
                policies.append(policy_text)
            ucur = icur.key(m, "users")
            users = tuple(ucur.item(m.get("users"), j).integer(u)
                          for j, u in enumerate(ucur.sequence(m.get("users", [0]))))
            out.append(DeviceAdminSpec(comp, tuple(policies),
                                       icur.key(m, "active").boolean(m.get("active", True)),
                                       users))
        return tuple(out)

    def _component(self, cur: ProfileCursor, m: Mapping[str, Any], pkg: str) -> Component:
        if "class" not in m:
            raise cur.error("needs a 'class' (e.g. .MyService)")
        name = cur.key(m, "class").text(m["class"])
        if not _CLASS_RE.match(name.split("/", 1)[-1]):
            raise cur.key(m, "class").error(f"{name!r} is not a class name")
        comp = Component.parse(pkg, name)
        if comp.package != pkg:
            raise cur.key(m, "class").error("the component must belong to this app")
        return comp

    def _apk(self, cur: ProfileCursor, value: Any, pkg: str, sdk: int, system: bool,
             partition: str, privileged: bool, seed: int, default_signer: str,
             apk_path_for: Any) -> ApkLayout:
        m = cur.mapping(value)
        cur.no_unknown_keys(m, {"path", "splits", "split_paths", "padding_bytes", "dex_strings",
                                "native_libs", "extra_entries", "signer", "schemes"})
        splits_cur = cur.key(m, "splits")
        split_names = tuple(splits_cur.item(m.get("splits"), i).text(s, allow_empty=False)
                            for i, s in enumerate(splits_cur.sequence(m.get("splits"))))
        base, split_paths = apk_path_for(pkg, sdk=sdk, system=system, partition=partition,
                                         privileged=privileged, seed=seed,
                                         split_names=split_names)
        if "path" in m:
            base = cur.key(m, "path").text(m["path"])
            directory = base.rsplit("/", 1)[0]
            split_paths = tuple(f"{directory}/split_{n}.apk" for n in split_names)
        for key, path in (("path", base),):
            if not path.startswith("/") or "\0" in path or "\n" in path:
                raise cur.key(m, key).error(f"{path!r} is not an absolute path")
        sp_cur = cur.key(m, "split_paths")
        if "split_paths" in m:
            split_paths = tuple(sp_cur.item(m["split_paths"], i).text(p)
                                for i, p in enumerate(sp_cur.sequence(m["split_paths"])))
            if len(split_paths) != len(split_names):
                raise sp_cur.error("give one path per split name (splits:)")
        dcur = cur.key(m, "dex_strings")
        dex = tuple(dcur.item(m.get("dex_strings"), i).text(s)
                    for i, s in enumerate(dcur.sequence(m.get("dex_strings"))))
        schemes_cur = cur.key(m, "schemes")
        schemes = tuple(schemes_cur.item(m.get("schemes"), i).choice(s, ("v1", "v2", "v3"))
                        for i, s in enumerate(schemes_cur.sequence(m.get("schemes",
                                                                         ["v1", "v2"]))))
        signer = cur.key(m, "signer").text(m.get("signer", default_signer), allow_empty=False)
        known = _known_signers()
        if known and signer not in known:
            raise cur.key(m, "signer").error(
                f"unknown simulator signer {signer!r}; bundled: {', '.join(known)}")
        return ApkLayout(
            base_path=base, split_names=split_names, split_paths=split_paths,
            padding_bytes=cur.key(m, "padding_bytes").integer(m.get("padding_bytes", 0),
                                                              minimum=0, maximum=512 << 20),
            dex_strings=dex,
            native_libs=self._blobs(cur.key(m, "native_libs"), m.get("native_libs")),
            extra_entries=self._blobs(cur.key(m, "extra_entries"), m.get("extra_entries")),
            signer=signer, schemes=schemes)

    def _blobs(self, cur: ProfileCursor, value: Any) -> Mapping[str, bytes]:
        m = cur.mapping(value)
        out = {}
        for key, item in m.items():
            text = cur.key(m, key).text(item)
            out[key] = text.encode("utf-8", "surrogateescape")
        return MappingProxyType(out)

    def _check_uids(self, cur: ProfileCursor, apps: list[AppSpec]) -> None:
        seen: dict[int, str] = {}
        for app in apps:
            if app.shared_user is not None:
                continue
            other = seen.get(app.uid)
            if other is not None:
                raise cur.error(f"{app.package} and {other} both have uid {app.uid}",
                                "Give each app its own uid (or leave uid out).")
            seen[app.uid] = app.package

    def _app_ops(self, cur: ProfileCursor, value: Any,
                 apps: Mapping[str, AppSpec]) -> dict[str, dict[str, str]]:
        from stalkerscan.simulator.android.outputs.appops import MODES, OPS

        out: dict[str, dict[str, str]] = {}
        m = cur.mapping(value)
        for op, entries in m.items():
            ocur = cur.key(m, op)
            if op not in OPS:
                raise ocur.error(f"{op!r} is not an app op name (e.g. GET_USAGE_STATS, "
                                 "REQUEST_INSTALL_PACKAGES, SYSTEM_ALERT_WINDOW)")
            table = ocur.mapping(entries)
            out[op] = {}
            for pkg, mode in table.items():
                pcur = ocur.key(table, pkg)
                if pkg not in apps:
                    raise pcur.error(f"{pkg!r} is not an installed app")
                out[op][pkg] = pcur.choice(mode, MODES)
        return out

    # ------------------------------------------------------------------ owners
    def _owner(self, cur: ProfileCursor, value: Any, apps: Mapping[str, AppSpec],
               default_user: int | None) -> OwnerSpec:
        m = cur.mapping(value)
        cur.no_unknown_keys(m, {"component", "name", "user"})
        if "component" not in m:
            raise cur.error("needs a 'component' (package/.AdminReceiver)")
        text = cur.key(m, "component").text(m["component"])
        if "/" not in text:
            raise cur.key(m, "component").error("write it as package/.Receiver")
        pkg = text.split("/", 1)[0]
        app = apps.get(pkg)
        if app is None:
            raise cur.key(m, "component").error(f"{pkg!r} is not an installed app")
        comp = Component.parse(pkg, text)
        if not any(a.component == comp and a.active for a in app.device_admins):
            raise cur.key(m, "component").error(
                f"{comp.flatten_short()} is not an active device admin of {pkg}",
                "An owner must be an active admin: add device_admin: {receiver: ...} to the app.")
        user = cur.key(m, "user").integer(m.get("user", default_user if default_user is not None
                                                 else 10), minimum=0)
        return OwnerSpec(comp, cur.key(m, "name").text(m.get("name", "")), user)

    # ------------------------------------------------------------------ settings
    def _settings(self, cur: ProfileCursor, value: Any, sdk: int, vendor: str,
                  apps: tuple[AppSpec, ...], props: Mapping[str, str]) -> dict[str, dict[str, str]]:
        from stalkerscan.simulator.android.props import default_settings

        settings = default_settings(sdk=sdk, vendor=vendor, props=props)
        # Derived from the apps, so settings and dumpsys always agree.
        a11y = [s.component.flatten() for a in apps for s in a.accessibility_services
                if s.enabled]
        listeners = [n.component.flatten() for a in apps for n in a.notification_listeners
                     if n.enabled]
        settings["secure"]["enabled_accessibility_services"] = ":".join(a11y)
        settings["secure"]["accessibility_enabled"] = "1" if a11y else "0"
        settings["secure"]["enabled_notification_listeners"] = ":".join(listeners)
        if not a11y:
            settings["secure"].pop("enabled_accessibility_services")
        m = cur.mapping(value)
        cur.no_unknown_keys(m, {"secure", "global", "system"})
        for namespace in ("secure", "global", "system"):
            ncur = cur.key(m, namespace)
            entries = ncur.mapping(m.get(namespace))
            for key, item in entries.items():
                icur = ncur.key(entries, key)
                if not key or "=" in key or "\n" in key:
                    raise icur.error("a setting name cannot be empty or contain '=' or newlines")
                if item is None:
                    settings[namespace].pop(key, None)
                elif isinstance(item, bool):
                    settings[namespace][key] = "1" if item else "0"
                else:
                    settings[namespace][key] = icur.text(item)
        return settings


# =========================================================================== faults
def _parse_faults(cur: ProfileCursor, m: Mapping[str, Any], content: ContentFaults,
                  transport: TransportFaults) -> tuple[ContentFaults, TransportFaults]:
    cur.no_unknown_keys(m, _FAULT_KEYS)
    c: dict[str, Any] = {}
    if "non_utf8" in m:
        c["non_utf8"] = cur.key(m, "non_utf8").boolean(m["non_utf8"])
    if "pm_requires_user" in m:
        c["pm_requires_user"] = cur.key(m, "pm_requires_user").boolean(m["pm_requires_user"])
    options = list(content.pm_unsupported_options)
    if "old_pm" in m and cur.key(m, "old_pm").boolean(m["old_pm"]):
        options += [o for o in OLD_PM_OPTIONS if o not in options]
    if "pm_unsupported_options" in m:
        ocur = cur.key(m, "pm_unsupported_options")
        for i, item in enumerate(ocur.sequence(m["pm_unsupported_options"])):
            option = ocur.item(m["pm_unsupported_options"], i).choice(
                item, ("-f", "-i", "-U", "-u", "-3", "-s", "-d", "-e", "--show-versioncode",
                       "--user", "--uid", "--apex-only", "-a"))
            if option not in options:
                options.append(option)
    c["pm_unsupported_options"] = tuple(options)
    if "huge_dumpsys_mb" in m:
        c["huge_dumpsys_mb"] = cur.key(m, "huge_dumpsys_mb").number(
            m["huge_dumpsys_mb"], minimum=0, maximum=MAX_HUGE_DUMPSYS_MB)
    t: dict[str, Any] = parse_wire_faults(cur, m)
    for key in ("max_payload", "protocol_version"):
        if key in m:
            t[key] = cur.key(m, key).integer(m[key], minimum=0)
    for key in ("crlf", "shell_v2"):
        if key in m:
            t[key] = cur.key(m, key).boolean(m[key])
    if "max_payload" in t and t["max_payload"] < 256:
        raise cur.key(m, "max_payload").error("must be at least 256 bytes")
    return replace(content, **c), replace(transport, **t)


# =========================================================================== helpers
def _default_label(pkg: str) -> str:
    last = pkg.rsplit(".", 1)[-1]
    return last[:1].upper() + last[1:]


def _default_build_id(sdk: int, patch: str, samsung: bool) -> str:
    letters = {26: "OPR", 27: "OPM", 28: "PQ3", 29: "QQ3", 30: "RQ3", 31: "SQ3", 32: "SQ3",
               33: "TQ3", 34: "UQ1", 35: "AP4"}[sdk]
    ymd = patch.replace("-", "")[2:]
    return f"{letters}A.{ymd}.00{sdk % 7 + 1}" if not samsung else f"{letters[:1]}P1A.{ymd}.00{sdk % 7 + 1}"


def _default_install_ms(system: bool, pkg: str, seed: int) -> int:
    if system:
        return 1230768000000  # 2009-01-01 00:00:00 UTC: what factory images record
    base = 1672531200  # 2023-01-01
    return (base + stable_int(pkg, seed) % (400 * 86400)) * 1000


_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def _parse_time(cur: ProfileCursor, value: Any, zone: ZoneInfo) -> int:
    """A time as ms since the epoch. Naive times are the phone's local time."""
    if isinstance(value, bool):
        raise cur.error("expected a time like 2024-02-20 22:41:07")
    if isinstance(value, int):
        return value * 1000 if value < 10**11 else value
    if isinstance(value, _dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=zone)
        return int(moment.timestamp() * 1000)
    if isinstance(value, _dt.date):
        return int(_dt.datetime(value.year, value.month, value.day, tzinfo=zone).timestamp()
                   * 1000)
    text = cur.text(value).strip()
    try:
        moment = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
        for fmt in _TIME_FORMATS:
            try:
                moment = _dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if moment is None:
        raise cur.error(f"{text!r} is not a time like 2024-02-20 22:41:07 or "
                        "2024-02-20T22:41:07Z")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return int(moment.timestamp() * 1000)


def _recent_patch() -> str:
    """The 5th of last month (host clock): a patch level that is always current."""
    today = _dt.date.today()
    first = today.replace(day=1)
    previous = first - _dt.timedelta(days=1)
    return previous.replace(day=5).isoformat()


def _known_signers() -> tuple[str, ...]:
    try:
        from stalkerscan.simulator.apkgen import signer_names
    except ImportError:  # apkgen not installed in this checkout: accept any name
        return ()
    return signer_names()
