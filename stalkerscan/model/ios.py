"""What an iPhone holds, as parsed from preserved lockdown responses or an existing backup.

``None`` means "not known", never "no".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from stalkerscan.model.common import ParseProblem, SourceRef


class IosSigning(str, Enum):
    """How an iOS app was signed, judged from ``SignerIdentity`` and ``ApplicationType``."""

    SYSTEM = "system"
    """Part of iOS."""

    APP_STORE = "app_store"
    """Signed by Apple for the App Store ("Apple iPhone OS Application Signing")."""

    DEVELOPER = "developer"
    """Signed with a developer certificate ("iPhone Developer:" / "Apple Development:"): sideloaded."""

    ENTERPRISE = "enterprise"
    """Signed with a distribution / enterprise certificate ("iPhone Distribution:"): sideloaded."""

    UNKNOWN = "unknown"
    """No signer identity was reported."""


@dataclass(frozen=True)
class IosDeviceInfo:
    """Facts about the iPhone from lockdown values or the backup's Info.plist."""

    udid: str | None = None
    """UniqueDeviceID."""

    serial: str | None = None
    """SerialNumber."""

    name: str | None = None
    """DeviceName the owner chose (may identify the person; shown only in the report)."""

    product_type: str | None = None
    """ProductType, e.g. ``iPhone13,2``."""

    model_number: str | None = None
    """ModelNumber, e.g. ``MGJ53``."""

    ios_version: str | None = None
    """ProductVersion, e.g. ``17.3.1``."""

    build_version: str | None = None
    """BuildVersion, e.g. ``21D61``."""

    activation_state: str | None = None
    """ActivationState."""

    passcode_set: bool | None = None
    """PasswordProtected, where readable."""

    timezone: str | None = None
    """TimeZone."""


@dataclass(frozen=True)
class IosApp:
    """One installed app."""

    bundle_id: str
    """CFBundleIdentifier, exactly as reported."""

    display_name: str | None = None
    """CFBundleDisplayName (or CFBundleName)."""

    version: str | None = None
    """CFBundleShortVersionString."""

    build: str | None = None
    """CFBundleVersion."""

    application_type: str | None = None
    """ApplicationType: ``User``, ``System``, ``Internal``, ..."""

    signer_identity: str | None = None
    """SignerIdentity as reported."""

    signing: IosSigning = IosSigning.UNKNOWN
    """Our judgement of how it was signed."""

    entitlements: Mapping[str, Any] = field(default_factory=dict)
    """Entitlements, where reported."""

    path: str | None = None
    """Path of the app bundle on the phone."""

    sources: tuple[SourceRef, ...] = ()
    """Where in the case folder these facts were read."""


@dataclass(frozen=True)
class IosProfile:
    """An installed configuration profile."""

    identifier: str
    """PayloadIdentifier of the profile."""

    uuid: str | None = None
    """PayloadUUID."""

    display_name: str | None = None
    """PayloadDisplayName."""

    organization: str | None = None
    """PayloadOrganization."""

    description: str | None = None
    """PayloadDescription."""

    removal_disallowed: bool | None = None
    """PayloadRemovalDisallowed: the person cannot remove it themselves."""

    active: bool | None = None
    """IsActive from the profile manifest."""

    payload_types: tuple[str, ...] = ()
    """PayloadType of each payload where obtainable, e.g. ``com.apple.vpn.managed``."""

    version: int | None = None
    """PayloadVersion."""

    sources: tuple[SourceRef, ...] = ()
    """Where in the case folder this was read."""

@dataclass(frozen=True)
class IosCloudConfiguration:
    """Supervision and MDM enrolment as reported by the phone."""

    supervised: bool | None = None
    """IsSupervised: the phone is supervised (an organisation controls it deeply)."""

    organization: str | None = None
    """OrganizationName of the supervising or enrolling organisation."""

    mdm_unremovable: bool | None = None
    """IsMDMUnremovable."""

    configuration_url: str | None = None
    """ConfigurationURL of the enrolment server."""

    sources: tuple[SourceRef, ...] = ()
    """Where in the case folder this was read."""

@dataclass(frozen=True)
class JailbreakSign:
    """A sign that the iPhone is jailbroken."""

    kind: str
    """``jailbreak_app`` (Cydia, Sileo, ...), ``extra_service`` (afc2), ``other``."""

    detail: str
    """The bundle id, service name or value that shows it."""

    sources: tuple[SourceRef, ...] = ()
    """Where in the case folder this was read."""

@dataclass(frozen=True)
class IosInventory:
    """Everything parsed from one iPhone acquisition or backup."""

    device: IosDeviceInfo
    """Facts about the phone."""

    apps: tuple[IosApp, ...] = ()
    """Installed apps, sorted by bundle id."""

    profiles: tuple[IosProfile, ...] = ()
    """Configuration profiles."""

    cloud_configuration: IosCloudConfiguration | None = None
    """Supervision / MDM enrolment, where read."""

    jailbreak_signs: tuple[JailbreakSign, ...] = ()
    """Signs of a jailbreak."""

    source: str = "live"
    """``live`` (read over USB) or ``backup`` (an existing iTunes / Finder backup)."""

    missing: tuple[str, ...] = ()
    """Logical names of artifacts that could not be acquired."""

    problems: tuple[ParseProblem, ...] = ()
    """Everything the parsers could not read."""

    platform = "ios"
    """The platform, for code that handles both kinds of inventory (a class attribute)."""

    def app(self, bundle_id: str) -> IosApp | None:
        """The app with this exact bundle id, if installed."""
        for candidate in self.apps:
            if candidate.bundle_id == bundle_id:
                return candidate
        return None
