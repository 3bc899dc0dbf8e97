"""The lockdown services of the simulated iPhone: installation_proxy and MCInstall.

Both speak 4-byte big-endian length + property list, one request at a time.

installation_proxy answers ``Lookup`` (one ``LookupResult`` dictionary keyed by bundle id) and
``Browse`` (pages of ``CurrentList`` with ``CurrentIndex`` / ``CurrentAmount`` / ``Total`` and
``Status: BrowsingApplications``, then ``Status: Complete``), honouring ``ApplicationType``,
``BundleIDs`` and ``ReturnAttributes``. Disk usage is computed only when asked for, as on a
phone. Install, Uninstall, Upgrade, Archive, Restore and the rest are refused with
installd's own errors (``InstallProhibited``, ``UninstallProhibited``, ...).

MCInstall answers ``HelloHostIdentifier``, ``GetProfileList``, ``GetCloudConfiguration`` and
``Flush`` with ``Status: Acknowledged``; everything else gets ``Status: Error`` and an
``ErrorChain``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stalkerscan.simulator.ios.phone import (
    INSTALLATION_PROXY,
    MCINSTALL,
    SimulatedIPhone,
)
from stalkerscan.simulator.ios.profile import (
    CLOUD_SOURCES,
    ConfigProfileSpec,
    IosAppSpec,
    IosPhoneProfile,
    stable_uuid,
)
from stalkerscan.simulator.ios.stream import (
    DeviceStream,
    pause_before_answering,
    read_prefixed_plist,
    write_prefixed_plist,
)
from stalkerscan.simulator.requestlog import Verdict

COMPUTED_ATTRIBUTES = frozenset({"StaticDiskUsage", "DynamicDiskUsage"})
"""Attributes installation_proxy computes only when ``ReturnAttributes`` names them."""

_INSTALLD_REFUSALS: Mapping[str, tuple[str, str]] = {
    "Install": ("InstallProhibited", "Installing apps is not allowed on this device."),
    "Upgrade": ("InstallProhibited", "Installing apps is not allowed on this device."),
    "Uninstall": ("UninstallProhibited", "Removing apps is not allowed on this device."),
    "Archive": ("APIInternalError", "Archiving apps is not supported."),
    "Restore": ("APIInternalError", "Restoring archived apps is not supported."),
    "RemoveArchive": ("APIInternalError", "Removing archives is not supported."),
}

_MC_REFUSALS: Mapping[str, tuple[str, int, str]] = {
    "InstallProfile": ("MCInstallationErrorDomain", 4001, "The profile could not be installed."),
    "InstallProfileSilent": ("MCInstallationErrorDomain", 4001,
                             "The profile could not be installed."),
    "RemoveProfile": ("MCInstallationErrorDomain", 4002, "The profile could not be removed."),
    "SetCloudConfiguration": ("MCCloudConfigErrorDomain", 14002,
                              "The cloud configuration is already present."),
    "EraseDevice": ("MCInstallationErrorDomain", 4003, "The device could not be erased."),
}


# --------------------------------------------------------------------------- installation_proxy
def app_attributes(app: IosAppSpec, sequence: int) -> dict[str, Any]:
    """Everything installation_proxy reports for one app (without computed attributes)."""
    attributes: dict[str, Any] = {
        "ApplicationType": app.application_type,
        "CFBundleIdentifier": app.bundle_id,
        "CFBundleDisplayName": app.display_name,
        "CFBundleName": app.display_name,
        "CFBundleExecutable": app.executable,
        "CFBundleShortVersionString": app.version,
        "CFBundleVersion": app.build,
        "CFBundlePackageType": "APPL",
        "CFBundleInfoDictionaryVersion": "6.0",
        "CFBundleDevelopmentRegion": "en",
        "CFBundleSupportedPlatforms": ["iPhoneOS"],
        "DTPlatformName": "iphoneos",
        "DTPlatformVersion": app.sdk_version,
        "DTSDKName": f"iphoneos{app.sdk_version}",
        "MinimumOSVersion": app.minimum_os,
        "UIDeviceFamily": [1, 2] if app.application_type == "User" else [1],
        "UIRequiredDeviceCapabilities": ["arm64"],
        "Path": app.path,
        "Entitlements": dict(app.entitlements),
        "IsAppClip": False,
        "IsDemotedApp": False,
        "IsUpgradeable": app.application_type == "User",
        "SequenceNumber": sequence,
    }
    if app.container is not None:
        attributes["Container"] = app.container
    if app.signer_identity is not None:
        attributes["SignerIdentity"] = app.signer_identity
    if app.background_modes:
        attributes["UIBackgroundModes"] = list(app.background_modes)
    if app.hidden:
        attributes["SBAppTags"] = ["hidden"]
    attributes.update(app.usage_descriptions)
    attributes.update(app.extra)
    return attributes


class InstallationProxy:
    """Answers for ``com.apple.mobile.installation_proxy``."""

    def __init__(self, profile: IosPhoneProfile, page_size: int = 20) -> None:
        self.profile = profile
        self.page_size = page_size

    def select(self, options: Mapping[str, Any]) -> list[tuple[IosAppSpec, dict[str, Any]]]:
        """Apps matching ``ClientOptions``, each with the attributes requested."""
        app_type = str(options.get("ApplicationType", "Any"))
        bundle_ids = options.get("BundleIDs")
        wanted = set(bundle_ids) if isinstance(bundle_ids, list) else None
        attributes = options.get("ReturnAttributes")
        keep = set(attributes) if isinstance(attributes, list) else None
        selected = []
        for sequence, app in enumerate(self.profile.apps, start=1):
            if wanted is not None and app.bundle_id not in wanted:
                continue
            if app_type == "Hidden":
                if not app.hidden:
                    continue
            elif app_type != "Any" and app.application_type != app_type:
                continue
            full = app_attributes(app, sequence)
            if keep is None:
                selected.append((app, full))
                continue
            if "StaticDiskUsage" in keep:
                full["StaticDiskUsage"] = app.static_disk_usage
            if "DynamicDiskUsage" in keep:
                full["DynamicDiskUsage"] = app.dynamic_disk_usage
            selected.append((app, {key: value for key, value in full.items() if key in keep}))
        return selected

    def lookup(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """The single ``Lookup`` answer."""
        result = {app.bundle_id: entry for app, entry in self.select(options)}
        return {"LookupResult": result, "Status": "Complete"}

    def browse(self, options: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every ``Browse`` answer, in order."""
        entries = [entry for _, entry in self.select(options)]
        pages = []
        for start in range(0, len(entries), self.page_size):
            chunk = entries[start:start + self.page_size]
            pages.append({"CurrentIndex": start, "CurrentAmount": len(chunk),
                          "Total": len(entries), "CurrentList": chunk,
                          "Status": "BrowsingApplications"})
        pages.append({"Status": "Complete"})
        return pages

    @staticmethod
    def refusal(command: str) -> dict[str, Any]:
        """installd's answer to a command that is not allowed."""
        error, description = _INSTALLD_REFUSALS.get(
            command, ("APIInternalError", f"The command {command!r} is not supported."))
        return {"Error": error, "ErrorDescription": description}


# --------------------------------------------------------------------------- MCInstall
class MobileConfig:
    """Answers for ``com.apple.mobile.MCInstall``."""

    def __init__(self, profile: IosPhoneProfile) -> None:
        self.profile = profile

    def profile_list(self) -> dict[str, Any]:
        """The ``GetProfileList`` answer."""
        manifest: dict[str, Any] = {}
        metadata: dict[str, Any] = {}
        for spec in self.profile.configuration_profiles:
            manifest[spec.identifier] = {"Description": spec.display_name,
                                         "IsActive": spec.active}
            metadata[spec.identifier] = self._metadata(spec)
        return {"OrderedIdentifiers": [p.identifier for p in self.profile.configuration_profiles],
                "ProfileManifest": manifest, "ProfileMetadata": metadata,
                "Status": "Acknowledged"}

    def _metadata(self, spec: ConfigProfileSpec) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "PayloadDescription": spec.description,
            "PayloadDisplayName": spec.display_name,
            "PayloadOrganization": spec.organization,
            "PayloadRemovalDisallowed": spec.removal_disallowed,
            "PayloadUUID": spec.uuid,
            "PayloadVersion": spec.version,
        }
        if self.profile.list_payload_summaries:
            entry["PayloadContent"] = [{
                "PayloadDescription": payload.description,
                "PayloadDisplayName": payload.display_name,
                "PayloadIdentifier": payload.identifier,
                "PayloadOrganization": payload.organization,
                "PayloadType": payload.type,
                "PayloadUUID": payload.uuid,
                "PayloadVersion": payload.version,
            } for payload in spec.payloads]
        return entry

    def cloud_configuration(self) -> dict[str, Any]:
        """The ``GetCloudConfiguration`` answer."""
        cloud = self.profile.cloud_configuration
        configuration: dict[str, Any] = {
            "AllowPairing": cloud.allow_pairing,
            "CloudConfigurationUIComplete": True,
            "ConfigurationSource": CLOUD_SOURCES[cloud.source],
            "ConfigurationWasApplied": True,
            "IsMDMUnremovable": cloud.mdm_unremovable,
            "IsMandatory": cloud.mandatory,
            "IsMultiUser": False,
            "IsSupervised": cloud.supervised,
            "PostSetupProfileWasInstalled": cloud.source != "none",
            "SkipSetup": [],
        }
        if cloud.organization is not None:
            configuration["OrganizationName"] = cloud.organization
            configuration["OrganizationMagic"] = stable_uuid("organization", cloud.organization)
        if cloud.configuration_url is not None:
            configuration["ConfigurationURL"] = cloud.configuration_url
        configuration.update(cloud.extra)
        return {"CloudConfiguration": configuration, "Status": "Acknowledged"}

    @staticmethod
    def refusal(request_type: str) -> dict[str, Any]:
        """MCInstall's answer to a request that is not allowed."""
        domain, code, text = _MC_REFUSALS.get(
            request_type, ("MCInstallationErrorDomain", 4000,
                           f"The request {request_type!r} is not allowed."))
        return {"Status": "Error",
                "ErrorChain": [{"ErrorDomain": domain, "ErrorCode": code,
                                "LocalizedDescription": text, "USEnglishDescription": text}]}


# --------------------------------------------------------------------------- serving
async def serve_service(phone: SimulatedIPhone, service: str, stream: DeviceStream) -> None:
    """Answer one service connection until the client goes away.

    Raises the stream's and the phone's exceptions; the caller closes the stream.
    """
    if service == INSTALLATION_PROXY:
        await _serve_installation_proxy(phone, stream)
    elif service == MCINSTALL:
        await _serve_mcinstall(phone, stream)
    else:
        await _serve_unserved(phone, service, stream)


async def _serve_installation_proxy(phone: SimulatedIPhone, stream: DeviceStream) -> None:
    while True:
        request = await read_prefixed_plist(stream)
        if not isinstance(request, Mapping):
            return
        command = str(request.get("Command", ""))
        verdict, _ = phone.admit_service(INSTALLATION_PROXY, command, request)
        await pause_before_answering(phone.faults)
        proxy = InstallationProxy(phone.profile, phone.faults.browse_page_size)
        options = request.get("ClientOptions")
        options = options if isinstance(options, Mapping) else {}
        if verdict is Verdict.REFUSED:
            await write_prefixed_plist(stream, proxy.refusal(command))
        elif command == "Lookup":
            await write_prefixed_plist(stream, proxy.lookup(options))
        else:
            for page in proxy.browse(options):
                await write_prefixed_plist(stream, page)


async def _serve_mcinstall(phone: SimulatedIPhone, stream: DeviceStream) -> None:
    config = MobileConfig(phone.profile)
    while True:
        request = await read_prefixed_plist(stream)
        if not isinstance(request, Mapping):
            return
        request_type = str(request.get("RequestType", ""))
        verdict, _ = phone.admit_service(MCINSTALL, request_type, request)
        await pause_before_answering(phone.faults)
        if verdict is Verdict.REFUSED:
            response = config.refusal(request_type)
        elif request_type == "GetProfileList":
            response = config.profile_list()
        elif request_type == "GetCloudConfiguration":
            response = config.cloud_configuration()
        else:
            response = {"Status": "Acknowledged"}
        await write_prefixed_plist(stream, response)


async def _serve_unserved(phone: SimulatedIPhone, service: str, stream: DeviceStream) -> None:
    """A service that was offered (a jailbreak's afc2) but is never served: whatever the
    client sends is recorded as refused, and the connection is closed."""
    data = await stream.read_some()
    phone.log.record(service, "data", f"<{len(data)} bytes>", Verdict.REFUSED,
                     f"{service} is offered as a jailbreak sign, never served")
