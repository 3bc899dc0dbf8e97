"""Signature families and the problems found while loading them.

A :class:`Family` is what every importer produces, whatever the format it read (the
project's own YAML, Echap's feed, STIX 2.1, ISDi's flag list). Values are already
normalised for exact matching: hex lower-case without colons, domains lower-case, package
names and bundle ids exactly as written (they are case-sensitive).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from stalkerscan.model.findings import Provenance

FAMILY_TYPES: tuple[str, ...] = ("stalkerware", "spyware", "watchware", "dual-use")
"""Known family types, most concerning first (used to settle conflicts between feeds)."""

PLATFORMS: tuple[str, ...] = ("android", "ios")

# Indicator kinds, as recorded in ``SignatureMatch.indicator_kind``.
KIND_PACKAGE = "package"
KIND_CERT_SHA1 = "certificate_sha1"
KIND_CERT_SHA256 = "certificate_sha256"
KIND_APK_SHA256 = "apk_sha256"
KIND_COMPONENT = "component"
KIND_BUNDLE_ID = "bundle_id"
KIND_PROFILE_ID = "profile_id"
KIND_PROFILE_UUID = "profile_uuid"
KIND_SIGNER = "signer"
KIND_DOMAIN = "domain"
KIND_IP = "ip"
KIND_URL = "url"
KIND_YARA = "yara"

# Component roles (the place on the phone a component class name is matched against).
ROLE_ACCESSIBILITY = "accessibility_service"
ROLE_DEVICE_ADMIN = "device_admin_receiver"
ROLE_NOTIFICATION_LISTENER = "notification_listener"
COMPONENT_ROLES: tuple[str, ...] = (ROLE_ACCESSIBILITY, ROLE_DEVICE_ADMIN, ROLE_NOTIFICATION_LISTENER)

SEVERITY_ERROR = "error"
SEVERITY_WARNING = "warning"
SEVERITY_NOTE = "note"


def type_rank(family_type: str) -> int:
    """Sort key for family types: lower is more concerning; unknown types last."""
    return FAMILY_TYPES.index(family_type) if family_type in FAMILY_TYPES else len(FAMILY_TYPES)


@dataclass(frozen=True)
class SignatureProblem:
    """Something wrong or worth knowing in a signature file, with where it is."""

    severity: str
    """``error`` (the file or value was not used), ``warning`` (used with a doubt, or a value
    skipped) or ``note`` (information, e.g. a refused public certificate)."""

    code: str
    """Short stable identifier of the kind of problem, e.g. ``yaml-syntax``, ``bad-hex``."""

    message: str
    """What is wrong and what to do about it, in plain words."""

    location: str | None = None
    """``file:line`` (or just ``file``) where the problem is."""

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.severity}: {self.message}"


@dataclass(frozen=True)
class AndroidIndicators:
    """What identifies a family's Android apps."""

    packages: tuple[str, ...] = ()
    """Package names, exactly as the app declares them (case-sensitive)."""

    certificate_sha1: tuple[str, ...] = ()
    """SHA-1 of signing certificates (DER), lower-case hex."""

    certificate_sha256: tuple[str, ...] = ()
    """SHA-256 of signing certificates (DER), lower-case hex."""

    apk_sha256: tuple[str, ...] = ()
    """SHA-256 of APK files, lower-case hex."""

    accessibility_services: tuple[str, ...] = ()
    """Fully qualified class names of accessibility services the app declares."""

    device_admin_receivers: tuple[str, ...] = ()
    """Fully qualified class names of device-admin receivers."""

    notification_listeners: tuple[str, ...] = ()
    """Fully qualified class names of notification listener services."""

    def components(self) -> Mapping[str, tuple[str, ...]]:
        """Component class names by role."""
        return {
            ROLE_ACCESSIBILITY: self.accessibility_services,
            ROLE_DEVICE_ADMIN: self.device_admin_receivers,
            ROLE_NOTIFICATION_LISTENER: self.notification_listeners,
        }

    def count(self) -> int:
        """Number of indicators."""
        return sum(
            len(v)
            for v in (self.packages, self.certificate_sha1, self.certificate_sha256,
                      self.apk_sha256, self.accessibility_services,
                      self.device_admin_receivers, self.notification_listeners)
        )


@dataclass(frozen=True)
class IosIndicators:
    """What identifies a family on an iPhone."""

    bundle_ids: tuple[str, ...] = ()
    """CFBundleIdentifier values, exactly as written (case-sensitive)."""

    profile_identifiers: tuple[str, ...] = ()
    """PayloadIdentifier of configuration profiles."""

    profile_uuids: tuple[str, ...] = ()
    """PayloadUUID of configuration profiles, upper-case canonical form."""

    signer_identities: tuple[str, ...] = ()
    """SignerIdentity strings, e.g. ``iPhone Distribution: Example Ltd``."""

    def count(self) -> int:
        """Number of indicators."""
        return (len(self.bundle_ids) + len(self.profile_identifiers) + len(self.profile_uuids)
                + len(self.signer_identities))


@dataclass(frozen=True)
class NetworkIndicators:
    """Servers a family talks to or is sold from."""

    c2_domains: tuple[str, ...] = ()
    """Host names the app sends data to, lower-case."""

    c2_ips: tuple[str, ...] = ()
    """IP addresses the app sends data to."""

    websites: tuple[str, ...] = ()
    """The vendor's web sites (visiting one is not an infection)."""

    distribution: tuple[str, ...] = ()
    """Host names the app is downloaded from."""

    distribution_ips: tuple[str, ...] = ()
    """IP addresses the app is downloaded from."""

    urls: tuple[str, ...] = ()
    """Full URLs (e.g. a source repository of an open-source spy tool)."""

    def count(self) -> int:
        """Number of indicators."""
        return (len(self.c2_domains) + len(self.c2_ips) + len(self.websites)
                + len(self.distribution) + len(self.distribution_ips) + len(self.urls))


@dataclass(frozen=True)
class TestApp:
    """An app in a family test case's inventory snippet."""

    __test__ = False  # not a pytest class

    package: str
    """Package name (Android) or bundle id (iOS)."""

    certificates_sha1: tuple[str, ...] = ()
    """Signing certificate SHA-1s (Android)."""

    certificates_sha256: tuple[str, ...] = ()
    """Signing certificate SHA-256s (Android)."""

    apk_sha256: tuple[str, ...] = ()
    """APK SHA-256s (Android)."""

    signer_identity: str | None = None
    """SignerIdentity (iOS)."""


@dataclass(frozen=True)
class FamilyTest:
    """One embedded test case: an inventory snippet that must (or must not) match."""

    __test__ = False  # not a pytest class

    description: str
    """What the case shows."""

    expect: str
    """``match`` (at least one match of this family), ``no-match`` (none at all), or
    ``note`` (only a case-only near miss, reported as a weak note)."""

    platform: str
    """``android`` or ``ios``."""

    strength: str | None = None
    """With ``match``: the strongest match must have this strength."""

    apps: tuple[TestApp, ...] = ()
    """Apps installed in the snippet."""

    accessibility_services: tuple[str, ...] = ()
    """Enabled accessibility services, ``package/class``."""

    device_admins: tuple[str, ...] = ()
    """Active device admins, ``package/receiver``."""

    notification_listeners: tuple[str, ...] = ()
    """Notification listeners, ``package/class``."""

    profiles: tuple[tuple[str, str | None], ...] = ()
    """iOS configuration profiles as (identifier, uuid)."""

    location: str | None = None
    """``file:line`` of the test case."""


@dataclass(frozen=True)
class Family:
    """One stalkerware, spyware, watchware or dual-use family as one source describes it."""

    id: str
    """Stable id, lower-case letters, digits and dashes, e.g. ``thetruthspy``."""

    name: str
    """Display name."""

    type: str
    """One of :data:`FAMILY_TYPES`."""

    provenance: Provenance
    """Where this description came from (feed, licence, version, file, reference)."""

    aliases: tuple[str, ...] = ()
    """Other names the product is sold under."""

    platforms: tuple[str, ...] = ()
    """``android`` and/or ``ios``."""

    android: AndroidIndicators = field(default_factory=AndroidIndicators)
    """Android indicators."""

    ios: IosIndicators = field(default_factory=IosIndicators)
    """iOS indicators."""

    network: NetworkIndicators = field(default_factory=NetworkIndicators)
    """Network indicators."""

    yara_rules: tuple[str, ...] = ()
    """Names of YARA rules that identify this family."""

    references: tuple[str, ...] = ()
    """Public URLs that describe the family and name its identifiers."""

    licence: str | None = None
    """Licence of this family's data."""

    first_seen: str | None = None
    """When the family was first seen (ISO date), where known."""

    last_verified: str | None = None
    """When someone last checked the identifiers still hold (ISO date)."""

    contributors: tuple[str, ...] = ()
    """Who wrote or checked the entry."""

    tests: tuple[FamilyTest, ...] = ()
    """Embedded test cases."""

    location: str | None = None
    """``file:line`` where the family starts."""

    id_from_name: bool = False
    """True when the id was derived from a display name (feeds without ids): the loader may
    then attach it to a known family whose name or alias is the same."""

    indicator_lines: Mapping[tuple[str, str], int] = field(default_factory=dict, compare=False)
    """Line of each indicator in its file, keyed by (kind, value), for located messages."""

    def app_indicators(self) -> Iterator[tuple[str, str]]:
        """Every (kind, value) that identifies an app; components as ``component:<role>``.

        Network values are left out: vendors legitimately share hosting."""
        a, i = self.android, self.ios
        for kind, values in ((KIND_PACKAGE, a.packages), (KIND_CERT_SHA1, a.certificate_sha1),
                             (KIND_CERT_SHA256, a.certificate_sha256), (KIND_APK_SHA256, a.apk_sha256)):
            for value in values:
                yield kind, value
        for role, values in a.components().items():
            for value in values:
                yield f"{KIND_COMPONENT}:{role}", value
        for kind, values in ((KIND_BUNDLE_ID, i.bundle_ids), (KIND_PROFILE_ID, i.profile_identifiers),
                             (KIND_PROFILE_UUID, i.profile_uuids), (KIND_SIGNER, i.signer_identities)):
            for value in values:
                yield kind, value

    def indicator_count(self) -> int:
        """Number of indicators of every kind."""
        return (self.android.count() + self.ios.count() + self.network.count()
                + len(self.yara_rules))

    def where(self, kind: str, value: str) -> str | None:
        """``file:line`` of one indicator, or of the family when unknown."""
        line = self.indicator_lines.get((kind, value))
        if line is not None and self.provenance.file:
            return f"{self.provenance.file}:{line}"
        return self.location


@dataclass(frozen=True)
class ImportResult:
    """What one importer read from one file."""

    families: tuple[Family, ...]
    """Families read (possibly fewer than the file holds, when some were broken)."""

    problems: tuple[SignatureProblem, ...] = ()
    """Everything found wrong or worth noting."""

    format: str = ""
    """Name of the format, e.g. ``echap-yaml``."""

    path: str = ""
    """The file read."""

    @property
    def errors(self) -> tuple[SignatureProblem, ...]:
        """Problems of severity ``error``."""
        return tuple(p for p in self.problems if p.severity == SEVERITY_ERROR)

    @property
    def usable(self) -> bool:
        """False when the file as a whole could not be used (no family and an error)."""
        return bool(self.families) or not self.errors
