"""What an Android phone holds, as parsed from the preserved raw outputs.

These frozen dataclasses are the contract between parsing (``stalkerscan.parse.android``),
matching (``stalkerscan.match``), the behavioural rules (``stalkerscan.rules``) and the
reports. ``None`` always means "not known" (the phone did not say, or the output could not
be read), never "no" or "false".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from stalkerscan.model.common import ParseProblem, SourceRef


class InstallSource(str, Enum):
    """How an app arrived on the phone, judged from installer / initiating package."""

    PREINSTALLED = "preinstalled"
    """Part of the phone's system image."""

    STORE = "store"
    """Installed by a known app store (Google Play, Samsung Galaxy Store, ...)."""

    ADB = "adb"
    """Installed from a computer over USB debugging (installer ``com.android.shell``)."""

    BROWSER = "browser"
    """Downloaded with a web browser and opened."""

    PACKAGE_INSTALLER = "package_installer"
    """Opened from a file (file manager, messaging app) through the system package installer."""

    OTHER_APP = "other_app"
    """Installed by some other, non-store app."""

    UNKNOWN = "unknown"
    """No installer recorded (``null``) and not a system app."""


@dataclass(frozen=True)
class CertificateInfo:
    """One signing certificate found in an APK."""

    sha256: str
    """Lower-case hex SHA-256 of the DER certificate."""

    sha1: str
    """Lower-case hex SHA-1 of the DER certificate (the form most feeds use)."""

    subject: str
    """The certificate subject, RFC 4514 string."""

    issuer: str
    """The certificate issuer, RFC 4514 string."""

    scheme: str
    """Where it was found: ``v1`` (JAR signature), ``v2``, ``v3``, ``v3.1`` (APK Signature Scheme),
    or ``v3-lineage`` (an earlier certificate in a v3 key-rotation lineage)."""

    not_before: str | None = None
    """Validity start, ISO 8601 UTC."""

    not_after: str | None = None
    """Validity end, ISO 8601 UTC."""


@dataclass(frozen=True)
class ApkFile:
    """One APK file (base or split) pulled from the phone and kept in the case folder."""

    device_path: str
    """Where the APK lives on the phone."""

    case_path: str
    """Where the copy lives, relative to the case folder (``apks/...``)."""

    size: int
    """Size in bytes."""

    sha256: str
    """Lower-case hex SHA-256 of the file."""

    sha1: str
    """Lower-case hex SHA-1 of the file."""

    md5: str
    """Lower-case hex MD5 of the file (some feeds still list only MD5)."""

    certificates: tuple[CertificateInfo, ...] = ()
    """Signing certificates, deduplicated across schemes."""

    problems: tuple[ParseProblem, ...] = ()
    """What could not be read from this APK (corrupt zip, malformed signature, limits hit)."""


@dataclass(frozen=True)
class AndroidApp:
    """One installed package."""

    package: str
    """The package name, exactly as the phone printed it."""

    label: str | None = None
    """The name shown to the user, where known (from the APK or a bound service)."""

    apk_paths: tuple[str, ...] = ()
    """On-phone paths of the base APK first, then any split APKs."""

    installer: str | None = None
    """``installerPackageName``: the app that installed or last updated it."""

    initiating_installer: str | None = None
    """``initiatingPackageName`` (Android 11+): the app that asked for the install."""

    originating_installer: str | None = None
    """``originatingPackageName`` (Android 11+): where the APK came from, e.g. a browser."""

    install_source: InstallSource = InstallSource.UNKNOWN
    """Our judgement of how the app arrived, from the three fields above and the system flag."""

    uid: int | None = None
    """Linux user id of the app."""

    version_code: int | None = None
    """``versionCode`` (long version code on Android 9+)."""

    version_name: str | None = None
    """``versionName`` as the developer wrote it."""

    first_install_time: str | None = None
    """First install time as the phone printed it (phone's local time, ``YYYY-MM-DD HH:MM:SS``)."""

    last_update_time: str | None = None
    """Last update time as the phone printed it (phone's local time)."""

    system: bool = False
    """Part of the system image (``SYSTEM`` flag)."""

    updated_system: bool = False
    """A system app updated after the phone shipped (``UPDATED_SYSTEM_APP``)."""

    enabled: bool | None = None
    """Whether the app is enabled for user 0."""

    hidden_from_launcher: bool | None = None
    """True when the app has no icon in the launcher (no MAIN/LAUNCHER activity)."""

    requested_permissions: tuple[str, ...] = ()
    """Permissions the app asks for in its manifest."""

    granted_permissions: tuple[str, ...] = ()
    """Permissions actually granted (install-time and runtime for user 0)."""

    apks: tuple[ApkFile, ...] = ()
    """APK files pulled for this app (empty when none were pulled)."""

    installed_for_owner: bool | None = None
    """Installed for the phone's owner (user 0). False for a package kept only for another
    user or work profile, or uninstalled with its data kept."""

    sources: tuple[SourceRef, ...] = ()
    """Where in the case folder these facts were read."""


@dataclass(frozen=True)
class AndroidDeviceInfo:
    """Facts about the phone itself, mostly from ``getprop``."""

    serial: str | None = None
    """adb serial number."""

    manufacturer: str | None = None
    """``ro.product.manufacturer``."""

    brand: str | None = None
    """``ro.product.brand``."""

    model: str | None = None
    """``ro.product.model``, e.g. ``Pixel 7``."""

    device: str | None = None
    """``ro.product.device`` code name."""

    android_version: str | None = None
    """``ro.build.version.release``, e.g. ``14``."""

    sdk: int | None = None
    """``ro.build.version.sdk`` API level."""

    security_patch: str | None = None
    """``ro.build.version.security_patch``, ``YYYY-MM-DD``."""

    build_type: str | None = None
    """``ro.build.type``: ``user`` on retail phones; ``userdebug`` / ``eng`` are test builds."""

    build_tags: str | None = None
    """``ro.build.tags``: ``release-keys`` on retail phones; ``test-keys`` is a root sign."""

    fingerprint: str | None = None
    """``ro.build.fingerprint``."""

    verified_boot_state: str | None = None
    """``ro.boot.verifiedbootstate``: green, yellow, orange (unlocked) or red."""

    bootloader_locked: bool | None = None
    """From ``ro.boot.flash.locked`` / ``ro.boot.vbmeta.device_state``."""

    timezone: str | None = None
    """``persist.sys.timezone``: the phone's time zone, needed to read its local times."""


@dataclass(frozen=True)
class AccessibilityService:
    """An accessibility service: the strongest spying capability an app can be given."""

    component: str
    """``package/class`` as the phone printed it (class may be short, ``.Svc``)."""

    package: str
    """The package that owns the service."""

    enabled: bool
    """Switched on in Settings (``enabled_accessibility_services``)."""

    bound: bool | None = None
    """Currently running and connected to the system, where the phone said."""

    label: str | None = None
    """The service label shown in Settings, where the phone printed it."""

    sources: tuple[SourceRef, ...] = ()
    """Where in the case folder this was read."""

@dataclass(frozen=True)
class NotificationListener:
    """An app allowed to read every notification (messages, codes, calls)."""

    component: str
    """``package/class``."""

    package: str
    """The package that owns the listener."""

    sources: tuple[SourceRef, ...] = ()
    """Where in the case folder this was read."""

@dataclass(frozen=True)
class DeviceAdmin:
    """An app holding device-administrator rights (can lock, wipe, resist uninstall)."""

    component: str
    """``package/receiver``."""

    package: str
    """The package that owns the admin receiver."""

    uid: int | None = None
    """Owner uid, where printed."""

    policies: tuple[str, ...] = ()
    """Policies it uses, e.g. ``wipe-data``, ``force-lock``, ``watch-login``."""

    user_id: int = 0
    """Android user the grant applies to."""

    sources: tuple[SourceRef, ...] = ()
    """Where in the case folder this was read."""

@dataclass(frozen=True)
class ManagementOwner:
    """A device owner or profile owner: an app that manages the phone or a work profile."""

    kind: str
    """``device_owner`` or ``profile_owner``."""

    component: str
    """``package/receiver``."""

    package: str
    """The owning package."""

    name: str | None = None
    """Organisation or name the phone printed, where any."""

    user_id: int | None = None
    """Android user (profile) it manages."""

    sources: tuple[SourceRef, ...] = ()
    """Where in the case folder this was read."""

@dataclass(frozen=True)
class RiskySetting:
    """A setting that makes spying easier or hides it, with its value."""

    id: str
    """Stable id, e.g. ``package_verifier_off``, ``unknown_sources_allowed``."""

    namespace: str
    """``secure``, ``global`` or ``system``."""

    key: str
    """The setting key, e.g. ``package_verifier_enable``."""

    value: str
    """The value as printed."""

    meaning: str
    """One plain sentence: what this value means for the person."""

    sources: tuple[SourceRef, ...] = ()
    """Where in the case folder this was read."""

@dataclass(frozen=True)
class RootSign:
    """A sign that the phone is rooted or runs a test build."""

    kind: str
    """``su_binary``, ``root_package``, ``test_keys``, ``debuggable_build``, ``unlocked_bootloader``."""

    detail: str
    """The path, package or property value that shows it."""

    sources: tuple[SourceRef, ...] = ()
    """Where in the case folder this was read."""

@dataclass(frozen=True)
class AndroidUser:
    """One Android user: the owner, a second user, a guest, or a work profile."""

    user_id: int
    """0 for the phone's owner; 10 and up for others."""

    name: str
    """The name shown in Settings, as printed."""

    kind: str
    """``owner``, ``work_profile``, ``guest`` or ``secondary`` (any other user)."""

    running: bool | None = None
    """Whether the user was running when the phone was read."""

    sources: tuple[SourceRef, ...] = ()
    """Where in the case folder this was read."""


@dataclass(frozen=True)
class AndroidInventory:
    """Everything parsed from one Android acquisition."""

    device: AndroidDeviceInfo
    """Facts about the phone."""

    apps: tuple[AndroidApp, ...] = ()
    """Installed packages, sorted by package name."""

    accessibility_services: tuple[AccessibilityService, ...] = ()
    """Enabled or bound accessibility services."""

    notification_listeners: tuple[NotificationListener, ...] = ()
    """Apps allowed to read notifications."""

    device_admins: tuple[DeviceAdmin, ...] = ()
    """Active device administrators."""

    owners: tuple[ManagementOwner, ...] = ()
    """Device owner and profile owners."""

    usage_access: tuple[str, ...] = ()
    """Packages allowed to read app usage history (``GET_USAGE_STATS``)."""

    install_unknown_apps: tuple[str, ...] = ()
    """Packages allowed to install other apps ("Install unknown apps", Android 8+)."""

    users: tuple[AndroidUser, ...] = ()
    """Users and profiles on the phone (empty when they could not be read)."""

    settings: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """All settings read: namespace (``secure``/``global``/``system``) to key to value."""

    risky_settings: tuple[RiskySetting, ...] = ()
    """Settings whose value makes spying easier."""

    root_signs: tuple[RootSign, ...] = ()
    """Signs of root or a test build."""

    missing: tuple[str, ...] = ()
    """Logical names of artifacts that could not be acquired (so were not checked)."""

    problems: tuple[ParseProblem, ...] = ()
    """Everything the parsers could not read."""

    platform = "android"
    """The platform, for code that handles both kinds of inventory (a class attribute)."""

    def app(self, package: str) -> AndroidApp | None:
        """The app with this exact package name, if installed."""
        for candidate in self.apps:
            if candidate.package == package:
                return candidate
        return None
