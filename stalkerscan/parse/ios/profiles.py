"""MCInstall answers (profile list, cloud configuration) and profiles stored in backups.

``GetProfileList`` answers ``{"Status": "Acknowledged", "OrderedIdentifiers": [id, ...],
"ProfileManifest": {id: {"Description": ..., "IsActive": bool}}, "ProfileMetadata": {id:
{"PayloadDisplayName", "PayloadOrganization", "PayloadDescription",
"PayloadRemovalDisallowed", "PayloadUUID", "PayloadVersion"}}}``. The payloads themselves
are not part of that answer on most iOS versions; where an entry carries ``PayloadContent``
(a list of payload dictionaries, as in the profile files a backup keeps) their
``PayloadType``\\ s are read.

``GetCloudConfiguration`` answers ``{"Status": "Acknowledged", "CloudConfiguration":
{"IsSupervised", "OrganizationName", "IsMDMUnremovable", "ConfigurationURL", ...}}``. A
refusal is ``{"Status": "Error", "ErrorChain": [{"ErrorCode", "LocalizedDescription"}]}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stalkerscan.model.common import ParseProblem, SourceRef
from stalkerscan.model.ios import IosCloudConfiguration, IosProfile
from stalkerscan.parse.ios._plist import ProblemLog, flag, integer, single_answer, text

MAX_PROFILES = 2000
"""More profiles than any phone has: the rest of a hostile answer is ignored."""


@dataclass(frozen=True)
class ProfileList:
    """The profiles one answer listed."""

    profiles: tuple[IosProfile, ...] = ()
    """Profiles in the phone's order."""

    recognized: bool = False
    """True when the answer was an acknowledged profile list."""

    error: str | None = None
    """MCInstall's error, when it refused."""

    problems: tuple[ParseProblem, ...] = ()
    """What could not be read."""


@dataclass(frozen=True)
class CloudConfigurationAnswer:
    """What one ``GetCloudConfiguration`` answer said."""

    configuration: IosCloudConfiguration | None = None
    """Supervision and enrolment facts (``None`` when the answer could not be read)."""

    error: str | None = None
    """MCInstall's error, when it refused."""

    problems: tuple[ParseProblem, ...] = ()
    """What could not be read."""


def payload_types(payload_content: Any) -> tuple[str, ...]:
    """The ``PayloadType`` of each payload in a ``PayloadContent`` list, in order, no repeats."""
    if not isinstance(payload_content, list):
        return ()
    seen: list[str] = []
    for payload in payload_content[:500]:
        if isinstance(payload, Mapping):
            kind = text(payload.get("PayloadType"))
            if kind is not None and kind not in seen:
                seen.append(kind)
    return tuple(seen)


def profile_from_metadata(identifier: str, metadata: Mapping[str, Any],
                          manifest: Mapping[str, Any] | None = None,
                          sources: tuple[SourceRef, ...] = ()) -> IosProfile:
    """One profile from its metadata (list answer or stored profile) and manifest entry."""
    manifest = manifest if isinstance(manifest, Mapping) else {}
    return IosProfile(
        identifier=identifier,
        uuid=text(metadata.get("PayloadUUID")),
        display_name=text(metadata.get("PayloadDisplayName")) or text(manifest.get("Description")),
        organization=text(metadata.get("PayloadOrganization")),
        description=text(metadata.get("PayloadDescription")),
        removal_disallowed=flag(metadata.get("PayloadRemovalDisallowed")),
        active=flag(manifest.get("IsActive")),
        payload_types=payload_types(metadata.get("PayloadContent")),
        version=integer(metadata.get("PayloadVersion")),
        sources=sources,
    )


def _error_of(answer: Mapping[str, Any]) -> str | None:
    status = text(answer.get("Status"))
    if status == "Acknowledged":
        return None
    chain = answer.get("ErrorChain")
    if isinstance(chain, list) and chain and isinstance(chain[0], Mapping):
        first = chain[0]
        parts = [str(integer(first.get("ErrorCode")) or ""), text(first.get("LocalizedDescription")) or ""]
        described = " ".join(p for p in parts if p)
        if described:
            return described
    return status or "no Status in the answer"


def parse_profile_list(data: bytes, *, path: str = "", source: str = "profile_list") -> ProfileList:
    """Parse the ``response`` stream of ``GetProfileList``; never raises."""
    log = ProblemLog(source)
    answer = single_answer(data, log, "The profile list answer")
    if answer is None:
        return ProfileList(problems=log.freeze())
    error = _error_of(answer)
    if error is not None:
        log.add(f"The phone refused to list profiles: {error}")
        return ProfileList(error=error, problems=log.freeze())
    metadata = answer.get("ProfileMetadata")
    manifest = answer.get("ProfileManifest")
    metadata = metadata if isinstance(metadata, dict) else {}
    manifest = manifest if isinstance(manifest, dict) else {}
    if answer.get("ProfileMetadata") is not None and not isinstance(answer.get("ProfileMetadata"), dict):
        log.add("ProfileMetadata is not a dictionary")
    order = answer.get("OrderedIdentifiers")
    identifiers: list[str] = []
    for candidate in (order if isinstance(order, list) else []):
        name = text(candidate)
        if name is not None and name not in identifiers:
            identifiers.append(name)
    # Profiles with metadata but missing from the ordered list still count.
    for key in list(metadata) + list(manifest):
        name = text(key)
        if name is not None and name not in identifiers:
            identifiers.append(name)
    profiles = []
    for identifier in identifiers[:MAX_PROFILES]:
        entry = metadata.get(identifier)
        if not isinstance(entry, Mapping):
            log.add(f"No readable metadata for the profile {identifier}", excerpt=identifier)
            entry = {}
        sources = (SourceRef(path, None, f"ProfileMetadata: {identifier}"),) if path else ()
        profiles.append(profile_from_metadata(identifier, entry, manifest.get(identifier), sources))
    if len(identifiers) > MAX_PROFILES:
        log.add(f"More than {MAX_PROFILES} profiles listed; the rest were ignored")
    return ProfileList(profiles=tuple(profiles), recognized=True, problems=log.freeze())


def cloud_configuration_from_dict(values: Mapping[str, Any],
                                  sources: tuple[SourceRef, ...] = ()) -> IosCloudConfiguration:
    """Supervision and enrolment facts from a cloud configuration dictionary."""
    return IosCloudConfiguration(
        supervised=flag(values.get("IsSupervised")),
        organization=text(values.get("OrganizationName")),
        mdm_unremovable=flag(values.get("IsMDMUnremovable")),
        configuration_url=text(values.get("ConfigurationURL")),
        sources=sources,
    )


def parse_cloud_configuration(data: bytes, *, path: str = "",
                              source: str = "cloud_configuration") -> CloudConfigurationAnswer:
    """Parse the ``response`` stream of ``GetCloudConfiguration``; never raises.

    An acknowledged answer without a ``CloudConfiguration`` means the phone holds none (it
    was never set up through an organisation): every fact stays unknown rather than "no".
    """
    log = ProblemLog(source)
    answer = single_answer(data, log, "The cloud configuration answer")
    if answer is None:
        return CloudConfigurationAnswer(problems=log.freeze())
    error = _error_of(answer)
    if error is not None:
        log.add(f"The phone refused to give its cloud configuration: {error}")
        return CloudConfigurationAnswer(error=error, problems=log.freeze())
    values = answer.get("CloudConfiguration")
    if values is None:
        sources = (SourceRef(path, None, "no CloudConfiguration in the answer"),) if path else ()
        return CloudConfigurationAnswer(IosCloudConfiguration(sources=sources), problems=log.freeze())
    if not isinstance(values, Mapping):
        log.add("CloudConfiguration is not a dictionary")
        return CloudConfigurationAnswer(problems=log.freeze())
    sources = (SourceRef(path, None, "CloudConfiguration"),) if path else ()
    return CloudConfigurationAnswer(cloud_configuration_from_dict(values, sources), problems=log.freeze())
