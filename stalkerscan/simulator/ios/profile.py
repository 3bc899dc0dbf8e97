"""iPhone profiles: the frozen description a simulated iPhone is built from.

:func:`parse_ios_profile` turns profile data (a mapping, usually from YAML through
:func:`stalkerscan.simulator.profile.load_profile`, which calls it for ``platform: ios``) into an
:class:`IosPhoneProfile`, validating every key and naming file, line and key path in each error.
The format is documented in ``docs/simulator-ios-profiles.md``; this module is its reference
implementation.

Everything the simulated iPhone answers is derived from the profile, so that lockdown values,
installation_proxy and MCInstall always agree with each other.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
import random
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from types import MappingProxyType
from typing import Any

from pymobiledevice3.irecv_devices import IRECV_DEVICES

from stalkerscan.simulator.profile import ProfileCursor, parse_wire_faults, stable_int


# =========================================================================== states and faults
class IPhoneState(str, Enum):
    """How a simulated iPhone answers a computer, as a person would leave it."""

    PAIRED = "paired"
    """This computer is trusted (usbmuxd holds a pair record) and the phone is unlocked."""

    NEEDS_TRUST = "needs_trust"
    """Never trusted: a pairing request shows "Trust This Computer?" and nobody answers."""

    TRUST_PROMPT = "trust_prompt"
    """Never trusted; the person taps Trust ``trust_delay_ms`` after the dialog appears."""

    TRUST_DENIED = "trust_denied"
    """Never trusted, and the person taps "Don't Trust"."""

    LOCKED = "locked"
    """Trusted, but locked with its passcode: lockdownd starts no service until unlocked."""

    NONE = "none"
    """Not plugged in: usbmuxd lists no such phone."""


@dataclass(frozen=True)
class IosFaults:
    """Faults and protocol variants a simulated iPhone can be switched into."""

    latency_ms: float = 0.0
    """Delay before answering each lockdownd request and service command."""

    disconnect_after: int | None = None
    """Unplug the phone when lockdownd request / service command number N+1 arrives: every
    connection to it drops and usbmuxd reports it Detached."""

    fragment: int = 0
    """When > 0, write every answer in pieces of this many bytes (TCP segmentation)."""

    slow_bytes_per_second: int = 0
    """When > 0, throttle answers to this rate (a slow phone or cable)."""

    service_ssl: bool = False
    """Answer StartService with ``EnableServiceSSL: true``: service connections start with TLS."""

    browse_page_size: int = 20
    """Apps per installation_proxy ``Browse`` answer (``CurrentAmount``)."""


# =========================================================================== profile parts
@dataclass(frozen=True)
class IosDeviceSpec:
    """The phone's identity and lockdown values."""

    name: str
    """DeviceName, the name the owner gave the phone."""

    product_type: str
    """ProductType, e.g. ``iPhone14,5``."""

    ios_version: str
    """ProductVersion, e.g. ``17.5.1``."""

    build_version: str
    """BuildVersion, e.g. ``21F90``."""

    udid: str
    """UniqueDeviceID (``XXXXXXXX-XXXXXXXXXXXXXXXX`` from the A12 on, else 40 hex digits)."""

    serial: str
    """SerialNumber."""

    ecid: int
    """UniqueChipID (the ECID)."""

    chip_id: int
    """ChipID of the SoC."""

    board_id: int
    """BoardId."""

    hardware_model: str
    """HardwareModel, e.g. ``D17AP``."""

    model_number: str | None
    """ModelNumber, e.g. ``MLPF3`` (None: not reported)."""

    region_info: str
    """RegionInfo, e.g. ``LL/A``."""

    activation_state: str
    """ActivationState."""

    passcode_set: bool
    """PasswordProtected."""

    timezone: str
    """TimeZone (an IANA name)."""

    wifi_address: str
    """WiFiAddress (also the pair record's WiFiMACAddress)."""

    bluetooth_address: str
    """BluetoothAddress."""

    imei: str | None
    """InternationalMobileEquipmentIdentity (None: not reported)."""

    device_color: str
    """DeviceColor."""

    baseband_version: str | None
    """BasebandVersion (None: not reported)."""

    values: Mapping[str, Any] = field(default_factory=dict)
    """Further lockdown values (no domain), exactly as the phone reports them."""

    domains: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Lockdown domains (``com.apple.mobile.backup``, ...) and their values."""

    @property
    def device_class(self) -> str:
        """DeviceClass derived from ProductType (``iPhone``, ``iPad``, ``iPod``)."""
        return re.match(r"[A-Za-z]+", self.product_type).group(0)  # type: ignore[union-attr]


@dataclass(frozen=True)
class IosAppSpec:
    """One installed app, as installation_proxy describes it."""

    bundle_id: str
    """CFBundleIdentifier."""

    display_name: str
    """CFBundleDisplayName."""

    version: str
    """CFBundleShortVersionString."""

    build: str
    """CFBundleVersion."""

    application_type: str
    """ApplicationType: ``User``, ``System`` or ``Internal``."""

    executable: str
    """CFBundleExecutable (also the ``.app`` folder name)."""

    path: str
    """Path of the ``.app`` bundle on the phone."""

    container: str | None = None
    """Data container path (user apps)."""

    signer_identity: str | None = None
    """SignerIdentity: ``Apple iPhone OS Application Signing`` (App Store), ``iPhone
    Developer: ...`` / ``Apple Development: ...`` (developer-signed), ``iPhone Distribution:
    ...`` (enterprise); None for apps that ship with iOS."""

    entitlements: Mapping[str, Any] = field(default_factory=dict)
    """Entitlements."""

    minimum_os: str = "15.0"
    """MinimumOSVersion."""

    sdk_version: str = "17.2"
    """DTPlatformVersion (the SDK it was built with)."""

    background_modes: tuple[str, ...] = ()
    """UIBackgroundModes."""

    usage_descriptions: Mapping[str, str] = field(default_factory=dict)
    """Privacy usage strings (``NSLocationAlwaysAndWhenInUseUsageDescription``, ...)."""

    hidden: bool = False
    """No home-screen icon (``SBAppTags: [hidden]``)."""

    static_disk_usage: int = 0
    """StaticDiskUsage in bytes (returned only when asked for)."""

    dynamic_disk_usage: int = 0
    """DynamicDiskUsage in bytes (returned only when asked for)."""

    extra: Mapping[str, Any] = field(default_factory=dict)
    """Further installation_proxy attributes, exactly as reported."""


@dataclass(frozen=True)
class PayloadSpec:
    """One payload inside a configuration profile."""

    type: str
    """PayloadType, e.g. ``com.apple.vpn.managed``."""

    identifier: str
    """PayloadIdentifier."""

    uuid: str
    """PayloadUUID."""

    display_name: str
    """PayloadDisplayName."""

    description: str = ""
    """PayloadDescription."""

    organization: str = ""
    """PayloadOrganization."""

    version: int = 1
    """PayloadVersion."""

    settings: Mapping[str, Any] = field(default_factory=dict)
    """Payload-specific keys (``ServerURL``, ``ProxyServer``, ...)."""


@dataclass(frozen=True)
class ConfigProfileSpec:
    """One installed configuration profile."""

    identifier: str
    """PayloadIdentifier of the profile."""

    uuid: str
    """PayloadUUID."""

    display_name: str
    """PayloadDisplayName."""

    organization: str = ""
    """PayloadOrganization."""

    description: str = ""
    """PayloadDescription."""

    removal_disallowed: bool = False
    """PayloadRemovalDisallowed."""

    active: bool = True
    """IsActive in the profile manifest."""

    version: int = 1
    """PayloadVersion."""

    payloads: tuple[PayloadSpec, ...] = ()
    """The payloads it carries."""

    @property
    def payload_types(self) -> tuple[str, ...]:
        """PayloadType of each payload."""
        return tuple(payload.type for payload in self.payloads)


@dataclass(frozen=True)
class CloudConfigSpec:
    """Supervision and MDM enrolment (what MCInstall's GetCloudConfiguration reports)."""

    supervised: bool = False
    """IsSupervised."""

    organization: str | None = None
    """OrganizationName."""

    mdm_unremovable: bool = False
    """IsMDMUnremovable."""

    configuration_url: str | None = None
    """ConfigurationURL (the enrolment server)."""

    mandatory: bool = False
    """IsMandatory."""

    source: str = "none"
    """How it got there: ``none``, ``dep`` (Automated Device Enrollment) or ``configurator``."""

    allow_pairing: bool = True
    """AllowPairing."""

    extra: Mapping[str, Any] = field(default_factory=dict)
    """Further CloudConfiguration keys, exactly as reported."""


@dataclass(frozen=True)
class JailbreakSpec:
    """Signs of a jailbreak beyond the apps themselves."""

    services: tuple[str, ...] = ()
    """Extra lockdown services offered (``com.apple.afc2``: AFC over the whole filesystem)."""

    apps: tuple[str, ...] = ()
    """Short names of the jailbreak apps that were added (see ``catalog.JAILBREAK_APPS``)."""


@dataclass(frozen=True)
class IosPhoneProfile:
    """Everything a simulated iPhone is built from."""

    name: str
    """Profile name (file stem for built-in profiles)."""

    source: str
    """Where it was loaded from (file path or ``<test>``)."""

    device: IosDeviceSpec
    """Identity and lockdown values."""

    apps: tuple[IosAppSpec, ...] = ()
    """Installed apps, in installation order."""

    configuration_profiles: tuple[ConfigProfileSpec, ...] = ()
    """Installed configuration profiles, in installation order."""

    cloud_configuration: CloudConfigSpec = field(default_factory=CloudConfigSpec)
    """Supervision and MDM enrolment."""

    jailbreak: JailbreakSpec = field(default_factory=JailbreakSpec)
    """Jailbreak signs."""

    description: str = ""
    """What this phone is for (shown by ``stalkerscan simulate``)."""

    state: IPhoneState = IPhoneState.PAIRED
    """Initial state."""

    trust_delay_ms: int = 300
    """In ``trust_prompt``: how long after the Trust dialog appears the person taps Trust."""

    faults: IosFaults = field(default_factory=IosFaults)
    """Protocol faults."""

    list_payload_summaries: bool = False
    """Include each profile's payload summaries (``PayloadContent`` with PayloadType,
    PayloadIdentifier, ...) in MCInstall's GetProfileList metadata. Whether a real iPhone does
    is not verified; scanners must cope with both."""

    clock_offset_s: int = 0
    """Phone clock minus host clock, in seconds (TimeIntervalSince1970)."""

    seed: int = 0
    """Seed for everything generated."""

    def app(self, bundle_id: str) -> IosAppSpec | None:
        """The app with this bundle id."""
        for app in self.apps:
            if app.bundle_id == bundle_id:
                return app
        return None

    def with_state(self, state: IPhoneState | str) -> IosPhoneProfile:
        """A copy in another state."""
        return replace(self, state=IPhoneState(state))

    def with_faults(self, faults: IosFaults | None = None, **changes: Any) -> IosPhoneProfile:
        """A copy with other faults (``faults`` replaced, then ``changes`` applied)."""
        return replace(self, faults=replace(faults or self.faults, **changes))


# =========================================================================== known values
# Builds of iOS releases, for a default BuildVersion when a profile gives only the version.
KNOWN_BUILDS: dict[str, str] = {
    "15.7": "19H12", "16.6": "20G75", "17.3.1": "21D61", "17.4.1": "21E236",
    "17.5.1": "21F90", "17.6.1": "21G93", "18.0": "22A3354",
}
ACTIVATION_STATES = ("Activated", "FactoryActivated", "Unactivated", "SoftActivated",
                     "MismatchedIMEI", "MismatchedICCID", "MissingSIM")
APPLICATION_TYPES = ("User", "System", "Internal")
APP_STORE_SIGNER = "Apple iPhone OS Application Signing"
SIGNER_PREFIXES = (APP_STORE_SIGNER, "iPhone Developer:", "Apple Development:",
                   "iPhone Distribution:", "Apple Distribution:", "TestFlight Beta Distribution")
CLOUD_SOURCES = {"none": 0, "dep": 1, "configurator": 2}
STATE_NAMES = tuple(state.value for state in IPhoneState)

_PRODUCT_TYPES = {device.product_type: device for device in IRECV_DEVICES}
_BUNDLE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]*(\.[A-Za-z0-9\-_]+)+$")
_SERVICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_]*(\.[A-Za-z0-9\-_]+)+$")
_UDID_RE = re.compile(r"^([0-9A-F]{8}-[0-9A-F]{16}|[0-9a-f]{40})$")
_VERSION_RE = re.compile(r"^\d+\.\d+(\.\d+)?$")
_BUILD_RE = re.compile(r"^\d{2}[A-Z]\d{2,4}[a-z]?$")
_MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_UUID_RE = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-"
                      r"[0-9A-Fa-f]{12}$")
_PLIST_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")
_MAX_INT = 2**63 - 1

# Display names MCInstall gives payloads that have none of their own.
PAYLOAD_TYPE_NAMES: dict[str, str] = {
    "com.apple.mdm": "Mobile Device Management",
    "com.apple.vpn.managed": "VPN",
    "com.apple.proxy.http.global": "Global HTTP Proxy",
    "com.apple.security.root": "Root Certificate",
    "com.apple.security.pkcs1": "Certificate",
    "com.apple.security.pkcs12": "Identity Certificate",
    "com.apple.security.scep": "SCEP",
    "com.apple.notificationsettings": "Notifications",
    "com.apple.applicationaccess": "Restrictions",
    "com.apple.webcontent-filter": "Web Content Filter",
    "com.apple.dnsSettings.managed": "DNS Settings",
    "com.apple.wifi.managed": "Wi-Fi",
    "com.apple.webClip.managed": "Web Clip",
    "com.apple.app.lock": "App Lock",
}

_TOP_KEYS = frozenset({
    "platform", "name", "description", "seed", "state", "trust_delay_ms", "clock", "device",
    "generate", "apps", "configuration_profiles", "cloud_configuration", "jailbreak", "faults",
    "list_payload_summaries",
})
_DEVICE_KEYS = frozenset({
    "name", "product_type", "ios_version", "build_version", "udid", "serial", "ecid",
    "model_number", "region_info", "activation_state", "passcode_set", "timezone",
    "wifi_address", "bluetooth_address", "imei", "device_color", "baseband_version", "values",
    "domains",
})
_APP_KEYS = frozenset({
    "bundle_id", "name", "version", "build", "type", "executable", "path", "container",
    "signer_identity", "entitlements", "minimum_os", "sdk_version", "background_modes",
    "usage_descriptions", "hidden", "static_disk_usage", "dynamic_disk_usage", "extra",
    "team_id", "category",
})
_PROFILE_KEYS = frozenset({
    "identifier", "uuid", "display_name", "organization", "description", "removal_disallowed",
    "active", "version", "payloads",
})
_PAYLOAD_KEYS = frozenset({
    "type", "identifier", "uuid", "display_name", "description", "organization", "version",
    "settings",
})
_CLOUD_KEYS = frozenset({
    "supervised", "organization", "mdm_unremovable", "configuration_url", "mandatory", "source",
    "allow_pairing", "extra",
})
_GENERATE_KEYS = frozenset({"system_apps", "ordinary_apps", "seed"})
_FAULT_KEYS = frozenset({
    "latency_ms", "disconnect_after", "fragment", "slow_bytes_per_second", "service_ssl",
    "browse_page_size",
})


# =========================================================================== entry points
def parse_ios_profile(mapping: Mapping[str, Any], *, source: str) -> IosPhoneProfile:
    """Validate profile data and build an :class:`IosPhoneProfile`.

    Raises :class:`~stalkerscan.errors.ProfileError` naming ``source``, the YAML line (when the
    data came from :func:`~stalkerscan.simulator.profile.parse_yaml`), the key path and what is
    wrong.
    """
    return _Parser(source).parse(mapping)


def parse_ios_faults(mapping: Mapping[str, Any], *, source: str = "faults",
                     base: IosFaults | None = None) -> IosFaults:
    """Parse a ``faults:`` mapping (as in a profile) over existing faults."""
    cursor = ProfileCursor(source)
    return _parse_faults(cursor, cursor.mapping(mapping), base or IosFaults())


def stable_uuid(*parts: object) -> str:
    """A stable upper-case UUID from ``parts``."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4)).upper()


# =========================================================================== parser
class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.root = ProfileCursor(source)

    def parse(self, data: Mapping[str, Any]) -> IosPhoneProfile:
        root = self.root
        data = root.mapping(data)
        root.no_unknown_keys(data, _TOP_KEYS)
        if "platform" in data:
            root.key(data, "platform").choice(data["platform"], ("ios",))
        name = root.key(data, "name").text(data.get("name", "iphone"), allow_empty=False)
        seed = root.key(data, "seed").integer(data.get("seed", stable_int(name) % 2**31),
                                              minimum=0)
        state = IPhoneState(root.key(data, "state").choice(data.get("state", "paired"),
                                                           STATE_NAMES))
        trust_delay = root.key(data, "trust_delay_ms").integer(data.get("trust_delay_ms", 300),
                                                               minimum=0, maximum=600_000)
        clock_cur = root.key(data, "clock")
        clock = clock_cur.mapping(data.get("clock"))
        clock_cur.no_unknown_keys(clock, {"offset_seconds"})
        clock_offset = clock_cur.key(clock, "offset_seconds").integer(
            clock.get("offset_seconds", 0), minimum=-10**9, maximum=10**9)

        device = self._device(root.key(data, "device"), data.get("device"), seed)
        if state is IPhoneState.LOCKED and not device.passcode_set:
            raise root.key(data, "state").error(
                "a phone without a passcode cannot be locked",
                "Set device.passcode_set: true, or choose another state.")

        jailbreak_cur = root.key(data, "jailbreak")
        jailbreak_map = jailbreak_cur.mapping(data.get("jailbreak"))
        jailbreak_cur.no_unknown_keys(jailbreak_map, {"apps", "services"})

        apps: dict[str, IosAppSpec] = {}
        generate_cur = root.key(data, "generate")
        generate = generate_cur.mapping(data.get("generate"))
        if generate:
            for app in self._generated(generate_cur, generate, device, seed):
                apps[app.bundle_id] = app
        jailbreak_apps = self._jailbreak_apps(jailbreak_cur, jailbreak_map, device, seed)
        for app in jailbreak_apps:
            apps[app.bundle_id] = app
        apps_cur = root.key(data, "apps")
        listed: set[str] = set()
        for index, item in enumerate(apps_cur.sequence(data.get("apps"))):
            cur = apps_cur.item(data["apps"], index)
            app = self._app(cur, item, device, seed)
            if app.bundle_id in listed:
                raise cur.key(item, "bundle_id").error(
                    f"bundle id {app.bundle_id!r} is listed twice")
            listed.add(app.bundle_id)
            apps.pop(app.bundle_id, None)  # a listed app replaces a generated one
            apps[app.bundle_id] = app

        services_cur = jailbreak_cur.key(jailbreak_map, "services")
        services = []
        for index, item in enumerate(services_cur.sequence(jailbreak_map.get("services"))):
            cur = services_cur.item(jailbreak_map["services"], index)
            service = cur.text(item, allow_empty=False)
            if not _SERVICE_RE.match(service):
                raise cur.error(f"{service!r} is not a lockdown service name "
                                "(like com.apple.afc2)")
            services.append(service)

        profiles = self._config_profiles(root.key(data, "configuration_profiles"),
                                         data.get("configuration_profiles"), seed)
        cloud = self._cloud(root.key(data, "cloud_configuration"),
                            data.get("cloud_configuration"))
        faults = _parse_faults(root.key(data, "faults"),
                               root.key(data, "faults").mapping(data.get("faults")), IosFaults())
        return IosPhoneProfile(
            name=name, source=self.source, device=device, apps=tuple(apps.values()),
            configuration_profiles=profiles, cloud_configuration=cloud,
            jailbreak=JailbreakSpec(services=tuple(services),
                                    apps=tuple(self._jailbreak_names(jailbreak_cur,
                                                                     jailbreak_map))),
            description=root.key(data, "description").text(data.get("description", "")),
            state=state, trust_delay_ms=trust_delay, faults=faults,
            list_payload_summaries=root.key(data, "list_payload_summaries").boolean(
                data.get("list_payload_summaries", False)),
            clock_offset_s=clock_offset, seed=seed)

    # ------------------------------------------------------------------ device
    def _device(self, cur: ProfileCursor, value: Any, seed: int) -> IosDeviceSpec:
        device = cur.mapping(value)
        cur.no_unknown_keys(device, _DEVICE_KEYS)
        rng = random.Random(stable_int("device", seed))

        def text(key: str, default: str | None, *, pattern: re.Pattern[str] | None = None,
                 what: str = "") -> str | None:
            if key not in device:
                return default
            result = cur.key(device, key).text(device[key], allow_empty=False)
            if pattern is not None and not pattern.match(result):
                raise cur.key(device, key).error(f"{result!r} is not {what}")
            return result

        product_type = text("product_type", "iPhone14,5")
        assert product_type is not None
        irecv = _PRODUCT_TYPES.get(product_type)
        if irecv is None or not product_type.startswith(("iPhone", "iPad", "iPod")):
            close = sorted(p for p in _PRODUCT_TYPES if p.startswith(product_type.split(",")[0]))
            raise cur.key(device, "product_type").error(
                f"{product_type!r} is not a known iPhone, iPad or iPod ProductType",
                "Use a real ProductType such as iPhone14,5 (iPhone 13)"
                + (f"; close ones: {', '.join(close[:6])}" if close else "") + ".")
        ios_version = text("ios_version", "17.5.1", pattern=_VERSION_RE,
                           what="an iOS version like 17.5.1")
        assert ios_version is not None
        build = text("build_version", KNOWN_BUILDS.get(ios_version), pattern=_BUILD_RE,
                     what="an iOS build like 21F90")
        if build is None:
            raise cur.error(f"no build_version given, and iOS {ios_version} is not one whose "
                            "build stalkerscan knows",
                            "Add device.build_version (e.g. 21F90 for 17.5.1).")
        major = int(ios_version.split(".")[0])
        if not 9 <= major <= 26:
            raise cur.key(device, "ios_version").error(
                f"iOS {ios_version} is outside what the simulator speaks (9 to 26)")

        default_ecid = rng.randrange(0x0001_0000_0000_0000, 0x000F_FFFF_FFFF_FFFF)
        ecid = (cur.key(device, "ecid").integer(device["ecid"], minimum=1, maximum=_MAX_INT)
                if "ecid" in device else default_ecid)
        if irecv.chip_id >= 0x8020:
            default_udid = f"{irecv.chip_id:08X}-{ecid:016X}"
        else:
            default_udid = hashlib.sha1(f"{product_type}{ecid}".encode()).hexdigest()  # noqa: S324
        udid = text("udid", default_udid, pattern=_UDID_RE,
                    what="a UDID (XXXXXXXX-XXXXXXXXXXXXXXXX or 40 lower-case hex digits)")
        assert udid is not None
        serial = text("serial", "SIM" + "".join(rng.choice("0123456789CDFGHJKLMNPQRTVWXY")
                                                for _ in range(9)))
        assert serial is not None
        if not serial.isalnum() or not 8 <= len(serial) <= 16:
            raise cur.key(device, "serial").error("a serial number is 8 to 16 letters and digits")
        activation = cur.key(device, "activation_state").choice(
            device.get("activation_state", "Activated"), ACTIVATION_STATES)
        passcode = cur.key(device, "passcode_set").boolean(device.get("passcode_set", True))
        timezone = cur.key(device, "timezone").timezone(device.get("timezone", "Europe/London"))
        # Locally administered MAC addresses: obviously not any vendor's real hardware.
        mac_bytes = [0x02] + [rng.randrange(256) for _ in range(5)]
        wifi = text("wifi_address", ":".join(f"{b:02x}" for b in mac_bytes), pattern=_MAC_RE,
                    what="a MAC address like 02:1a:2b:3c:4d:5e")
        bluetooth = text("bluetooth_address",
                         ":".join(f"{b:02x}" for b in mac_bytes[:5] + [(mac_bytes[5] + 1) % 256]),
                         pattern=_MAC_RE, what="a MAC address like 02:1a:2b:3c:4d:5f")
        imei_default = None
        if product_type.startswith("iPhone"):
            # TAC 00...: the range reserved for test equipment, never a real handset.
            body = "00" + "".join(str(rng.randrange(10)) for _ in range(12))
            imei_default = body + _luhn_digit(body)
        imei = text("imei", imei_default)
        if imei is not None and not (imei.isdigit() and len(imei) == 15):
            raise cur.key(device, "imei").error("an IMEI is 15 digits")
        values = _plist_mapping(cur.key(device, "values"), device.get("values"),
                                key_pattern=_PLIST_KEY_RE)
        domains_cur = cur.key(device, "domains")
        domains_map = domains_cur.mapping(device.get("domains"))
        domains: dict[str, Mapping[str, Any]] = {}
        for domain, domain_values in domains_map.items():
            if not _SERVICE_RE.match(domain):
                raise domains_cur.key(domains_map, domain).error(
                    f"{domain!r} is not a lockdown domain name (like com.apple.mobile.backup)")
            domains[domain] = _plist_mapping(domains_cur.key(domains_map, domain), domain_values,
                                             key_pattern=_PLIST_KEY_RE)
        return IosDeviceSpec(
            name=text("name", "iPhone") or "iPhone", product_type=product_type,
            ios_version=ios_version, build_version=build, udid=udid, serial=serial, ecid=ecid,
            chip_id=irecv.chip_id, board_id=irecv.board_id,
            hardware_model=irecv.hardware_model.upper(),
            model_number=text("model_number", None), region_info=text("region_info", "LL/A")
            or "LL/A", activation_state=activation, passcode_set=passcode, timezone=timezone,
            wifi_address=wifi or "", bluetooth_address=bluetooth or "", imei=imei,
            device_color=text("device_color", "1") or "1",
            baseband_version=text("baseband_version",
                                  "3.50.04" if product_type.startswith("iPhone") else None),
            values=MappingProxyType(values), domains=MappingProxyType(domains))

    # ------------------------------------------------------------------ apps
    def _generated(self, cur: ProfileCursor, generate: Mapping[str, Any], device: IosDeviceSpec,
                   seed: int) -> list[IosAppSpec]:
        from stalkerscan.simulator.ios.catalog import STORE_APPS
        from stalkerscan.simulator.ios.generate import generate_apps

        cur.no_unknown_keys(generate, _GENERATE_KEYS)
        count = cur.key(generate, "ordinary_apps").integer(
            generate.get("ordinary_apps", 0), minimum=0, maximum=len(STORE_APPS))
        system = cur.key(generate, "system_apps").boolean(generate.get("system_apps", True))
        gseed = cur.key(generate, "seed").integer(generate.get("seed", seed), minimum=0)
        return generate_apps(ios_version=device.ios_version, ordinary=count, system=system,
                             seed=gseed)

    def _jailbreak_names(self, cur: ProfileCursor, mapping: Mapping[str, Any]) -> list[str]:
        from stalkerscan.simulator.ios.catalog import JAILBREAK_APPS

        names = []
        apps_cur = cur.key(mapping, "apps")
        for index, item in enumerate(apps_cur.sequence(mapping.get("apps"))):
            names.append(apps_cur.item(mapping["apps"], index).choice(
                item, tuple(JAILBREAK_APPS)))
        return names

    def _jailbreak_apps(self, cur: ProfileCursor, mapping: Mapping[str, Any],
                        device: IosDeviceSpec, seed: int) -> list[IosAppSpec]:
        from stalkerscan.simulator.ios.generate import jailbreak_app

        return [jailbreak_app(name, ios_version=device.ios_version, seed=seed)
                for name in self._jailbreak_names(cur, mapping)]

    def _app(self, cur: ProfileCursor, value: Any, device: IosDeviceSpec,
             seed: int) -> IosAppSpec:
        from stalkerscan.simulator.ios.generate import default_app_fields

        app = cur.mapping(value)
        cur.no_unknown_keys(app, _APP_KEYS)
        if "bundle_id" not in app:
            raise cur.error("an app needs a bundle_id")
        bundle_id = cur.key(app, "bundle_id").text(app["bundle_id"], allow_empty=False)
        if not _BUNDLE_ID_RE.match(bundle_id) or len(bundle_id) > 255:
            raise cur.key(app, "bundle_id").error(
                f"{bundle_id!r} is not a bundle identifier (like com.example.app)")
        app_type = cur.key(app, "type").choice(app.get("type", "User"), APPLICATION_TYPES)
        name = cur.key(app, "name").text(app.get("name", bundle_id.rsplit(".", 1)[-1]),
                                         allow_empty=False)
        executable = cur.key(app, "executable").text(
            app.get("executable", re.sub(r"[^A-Za-z0-9]", "", name) or "App"), allow_empty=False)
        if "/" in executable or executable.startswith("."):
            raise cur.key(app, "executable").error("must be a file name, not a path")
        team_id = None
        if "team_id" in app:
            team_id = cur.key(app, "team_id").text(app["team_id"], allow_empty=False)
            if not re.match(r"^[A-Z0-9]{10}$", team_id):
                raise cur.key(app, "team_id").error("a team identifier is 10 capital letters "
                                                    "and digits")
        category = cur.key(app, "category").text(app.get("category", "utility"))
        defaults = default_app_fields(bundle_id=bundle_id, executable=executable,
                                      application_type=app_type, ios_version=device.ios_version,
                                      seed=seed, team_id=team_id, category=category)

        signer = defaults["signer_identity"]
        if "signer_identity" in app:
            signer = (None if app["signer_identity"] is None else
                      cur.key(app, "signer_identity").text(app["signer_identity"],
                                                           allow_empty=False))
            if signer is not None and not signer.startswith(SIGNER_PREFIXES):
                raise cur.key(app, "signer_identity").error(
                    f"{signer!r} does not start like a SignerIdentity iOS reports",
                    "Use 'Apple iPhone OS Application Signing' (App Store), 'iPhone "
                    "Developer: NAME (ID)' / 'Apple Development: ...' (developer-signed) or "
                    "'iPhone Distribution: ORGANISATION' (enterprise).")
        path = cur.key(app, "path").text(app.get("path", defaults["path"]), allow_empty=False)
        if not path.startswith("/") or not path.endswith(".app") or "\0" in path:
            raise cur.key(app, "path").error("must be an absolute path ending in .app")
        container = defaults["container"]
        if "container" in app:
            container = (None if app["container"] is None else
                         cur.key(app, "container").text(app["container"], allow_empty=False))
            if container is not None and not container.startswith("/"):
                raise cur.key(app, "container").error("must be an absolute path")
        entitlements = (_plist_mapping(cur.key(app, "entitlements"), app["entitlements"])
                        if "entitlements" in app else defaults["entitlements"])
        version = cur.key(app, "version").text(app.get("version", defaults["version"]),
                                               allow_empty=False)
        build = cur.key(app, "build").text(app.get("build", version), allow_empty=False)
        minimum_os = cur.key(app, "minimum_os").text(app.get("minimum_os",
                                                             defaults["minimum_os"]))
        if not _VERSION_RE.match(minimum_os):
            raise cur.key(app, "minimum_os").error(f"{minimum_os!r} is not a version like 15.0")
        sdk_version = cur.key(app, "sdk_version").text(app.get("sdk_version",
                                                               defaults["sdk_version"]))
        if not _VERSION_RE.match(sdk_version):
            raise cur.key(app, "sdk_version").error(f"{sdk_version!r} is not a version like 17.2")
        modes_cur = cur.key(app, "background_modes")
        modes = tuple(modes_cur.item(app["background_modes"], i).text(item, allow_empty=False)
                      for i, item in enumerate(modes_cur.sequence(app.get("background_modes"))))
        if "background_modes" not in app:
            modes = defaults["background_modes"]
        usage_cur = cur.key(app, "usage_descriptions")
        usage_map = usage_cur.mapping(app.get("usage_descriptions"))
        usage: dict[str, str] = {}
        for key, text_value in usage_map.items():
            if not re.match(r"^NS[A-Za-z]+UsageDescription$", key):
                raise usage_cur.key(usage_map, key).error(
                    f"{key!r} is not a privacy usage key (like NSCameraUsageDescription)")
            usage[key] = usage_cur.key(usage_map, key).text(text_value)
        if "usage_descriptions" not in app:
            usage = dict(defaults["usage_descriptions"])
        extra = _plist_mapping(cur.key(app, "extra"), app.get("extra"), key_pattern=_PLIST_KEY_RE)
        return IosAppSpec(
            bundle_id=bundle_id, display_name=name, version=version, build=build,
            application_type=app_type, executable=executable, path=path, container=container,
            signer_identity=signer, entitlements=MappingProxyType(dict(entitlements)),
            minimum_os=minimum_os, sdk_version=sdk_version, background_modes=modes,
            usage_descriptions=MappingProxyType(usage),
            hidden=cur.key(app, "hidden").boolean(app.get("hidden", False)),
            static_disk_usage=cur.key(app, "static_disk_usage").integer(
                app.get("static_disk_usage", defaults["static_disk_usage"]), minimum=0,
                maximum=_MAX_INT),
            dynamic_disk_usage=cur.key(app, "dynamic_disk_usage").integer(
                app.get("dynamic_disk_usage", defaults["dynamic_disk_usage"]), minimum=0,
                maximum=_MAX_INT),
            extra=MappingProxyType(extra))

    # ------------------------------------------------------------------ configuration profiles
    def _config_profiles(self, cur: ProfileCursor, value: Any,
                         seed: int) -> tuple[ConfigProfileSpec, ...]:
        profiles: list[ConfigProfileSpec] = []
        seen: set[str] = set()
        items = cur.sequence(value)
        for index, item in enumerate(items):
            pcur = cur.item(items, index)
            mapping = pcur.mapping(item)
            pcur.no_unknown_keys(mapping, _PROFILE_KEYS)
            if "identifier" not in mapping:
                raise pcur.error("a configuration profile needs an identifier")
            identifier = pcur.key(mapping, "identifier").text(mapping["identifier"],
                                                              allow_empty=False)
            if identifier in seen:
                raise pcur.key(mapping, "identifier").error(
                    f"profile {identifier!r} is listed twice")
            seen.add(identifier)
            payloads = []
            payload_items = pcur.key(mapping, "payloads").sequence(mapping.get("payloads"))
            for pindex, pitem in enumerate(payload_items):
                payloads.append(self._payload(pcur.key(mapping, "payloads").item(
                    payload_items, pindex), pitem, identifier, seed))
            profiles.append(ConfigProfileSpec(
                identifier=identifier,
                uuid=self._uuid(pcur.key(mapping, "uuid"), mapping.get("uuid"),
                                stable_uuid("profile", seed, identifier)),
                display_name=pcur.key(mapping, "display_name").text(
                    mapping.get("display_name", identifier), allow_empty=False),
                organization=pcur.key(mapping, "organization").text(
                    mapping.get("organization", "")),
                description=pcur.key(mapping, "description").text(mapping.get("description", "")),
                removal_disallowed=pcur.key(mapping, "removal_disallowed").boolean(
                    mapping.get("removal_disallowed", False)),
                active=pcur.key(mapping, "active").boolean(mapping.get("active", True)),
                version=pcur.key(mapping, "version").integer(mapping.get("version", 1),
                                                             minimum=1, maximum=2**31),
                payloads=tuple(payloads)))
        return tuple(profiles)

    def _payload(self, cur: ProfileCursor, value: Any, profile_id: str,
                 seed: int) -> PayloadSpec:
        mapping = cur.mapping(value)
        cur.no_unknown_keys(mapping, _PAYLOAD_KEYS)
        if "type" not in mapping:
            raise cur.error("a payload needs a type (like com.apple.vpn.managed)")
        payload_type = cur.key(mapping, "type").text(mapping["type"], allow_empty=False)
        if not _SERVICE_RE.match(payload_type):
            raise cur.key(mapping, "type").error(
                f"{payload_type!r} is not a PayloadType (like com.apple.vpn.managed)")
        identifier = cur.key(mapping, "identifier").text(
            mapping.get("identifier", f"{profile_id}.{payload_type}"), allow_empty=False)
        return PayloadSpec(
            type=payload_type, identifier=identifier,
            uuid=self._uuid(cur.key(mapping, "uuid"), mapping.get("uuid"),
                            stable_uuid("payload", seed, profile_id, identifier)),
            display_name=cur.key(mapping, "display_name").text(
                mapping.get("display_name", PAYLOAD_TYPE_NAMES.get(payload_type, payload_type)),
                allow_empty=False),
            description=cur.key(mapping, "description").text(mapping.get("description", "")),
            organization=cur.key(mapping, "organization").text(mapping.get("organization", "")),
            version=cur.key(mapping, "version").integer(mapping.get("version", 1), minimum=1,
                                                        maximum=2**31),
            settings=MappingProxyType(_plist_mapping(cur.key(mapping, "settings"),
                                                     mapping.get("settings"),
                                                     key_pattern=_PLIST_KEY_RE)))

    @staticmethod
    def _uuid(cur: ProfileCursor, value: Any, default: str) -> str:
        if value is None:
            return default
        text = cur.text(value, allow_empty=False)
        if not _UUID_RE.match(text):
            raise cur.error(f"{text!r} is not a UUID (like 5A2F7C1E-0B7D-4C1E-9E0A-0B0C0D0E0F10)")
        return text.upper()

    # ------------------------------------------------------------------ cloud configuration
    def _cloud(self, cur: ProfileCursor, value: Any) -> CloudConfigSpec:
        mapping = cur.mapping(value)
        cur.no_unknown_keys(mapping, _CLOUD_KEYS)
        supervised = cur.key(mapping, "supervised").boolean(mapping.get("supervised", False))
        organization = None
        if mapping.get("organization") is not None:
            organization = cur.key(mapping, "organization").text(mapping["organization"],
                                                                 allow_empty=False)
        url = None
        if mapping.get("configuration_url") is not None:
            url = cur.key(mapping, "configuration_url").text(mapping["configuration_url"],
                                                             allow_empty=False)
            if not url.startswith(("https://", "http://")):
                raise cur.key(mapping, "configuration_url").error("must be an http(s) URL")
        default_source = "configurator" if supervised and url is None else (
            "dep" if url is not None else "none")
        source = cur.key(mapping, "source").choice(mapping.get("source", default_source),
                                                   tuple(CLOUD_SOURCES))
        return CloudConfigSpec(
            supervised=supervised, organization=organization,
            mdm_unremovable=cur.key(mapping, "mdm_unremovable").boolean(
                mapping.get("mdm_unremovable", False)),
            configuration_url=url,
            mandatory=cur.key(mapping, "mandatory").boolean(mapping.get("mandatory",
                                                                         url is not None)),
            source=source,
            allow_pairing=cur.key(mapping, "allow_pairing").boolean(
                mapping.get("allow_pairing", True)),
            extra=MappingProxyType(_plist_mapping(cur.key(mapping, "extra"), mapping.get("extra"),
                                                  key_pattern=_PLIST_KEY_RE)))


def _parse_faults(cur: ProfileCursor, mapping: Mapping[str, Any], base: IosFaults) -> IosFaults:
    cur.no_unknown_keys(mapping, _FAULT_KEYS)
    changes = parse_wire_faults(cur, mapping)
    if "service_ssl" in mapping:
        changes["service_ssl"] = cur.key(mapping, "service_ssl").boolean(mapping["service_ssl"])
    if "browse_page_size" in mapping:
        changes["browse_page_size"] = cur.key(mapping, "browse_page_size").integer(
            mapping["browse_page_size"], minimum=1, maximum=10_000)
    return replace(base, **changes)


# =========================================================================== plist values
def _plist_mapping(cur: ProfileCursor, value: Any, *,
                   key_pattern: re.Pattern[str] | None = None) -> dict[str, Any]:
    """A mapping that can go into a plist as is (dates become datetimes), or an error."""
    mapping = cur.mapping(value)
    result: dict[str, Any] = {}
    for key, item in mapping.items():
        if key_pattern is not None and not key_pattern.match(key):
            raise cur.key(mapping, key).error(f"{key!r} is not a property-list key name")
        result[key] = _plist_value(cur.key(mapping, key), item)
    return result


def _plist_value(cur: ProfileCursor, value: Any) -> Any:
    if value is None:
        raise cur.error("a property list cannot hold null; leave the key out instead")
    if isinstance(value, bool | str | bytes):
        return value
    if isinstance(value, int):
        if not -(2**63) <= value <= 2**64 - 1:
            raise cur.error("the number is too large for a property list")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise cur.error("a property list cannot hold infinity or NaN")
        return value
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo is None else value.astimezone(_dt.timezone.utc).replace(
            tzinfo=None)
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise cur.error(f"property-list keys must be text, got {key!r}")
        return {key: _plist_value(cur.key(value, key), item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plist_value(cur.item(value, index), item) for index, item in enumerate(value)]
    raise cur.error(f"{type(value).__name__} cannot go into a property list")


def _luhn_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2 == 0:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return str((10 - total % 10) % 10)
