"""The iPhone inventory: every preserved answer of one case, parsed into an :class:`IosInventory`.

Reads only the case's records (never a phone): the last successful record of each artifact
(``latest()``), or the partial answer of an interrupted one. Artifacts that were never
answered in full are listed in ``missing``; everything a parser could not read is in
``problems``.
"""

from __future__ import annotations

from stalkerscan.model.artifacts import EvidenceReader, IosArtifact, Outcome, RawRecord, latest
from stalkerscan.model.common import ParseProblem
from stalkerscan.model.ios import IosCloudConfiguration, IosDeviceInfo, IosInventory
from stalkerscan.parse.ios.apps import parse_app_list
from stalkerscan.parse.ios.backup import parse_backup
from stalkerscan.parse.ios.jailbreak import ServiceProbe, jailbreak_signs, parse_service_probe
from stalkerscan.parse.ios.lockdown import parse_lockdown_values
from stalkerscan.parse.ios.profiles import parse_cloud_configuration, parse_profile_list

RESPONSE = "response"
"""Stream name of every live answer."""

LIVE_ARTIFACTS = (
    IosArtifact.LOCKDOWN_VALUES,
    IosArtifact.INSTALLED_APPS,
    IosArtifact.PROFILE_LIST,
    IosArtifact.CLOUD_CONFIGURATION,
    IosArtifact.JAILBREAK_SERVICES,
)
"""What a complete live acquisition answers."""


def _answered_in_full(record: RawRecord | None) -> bool:
    return record is not None and record.outcome is Outcome.OK


def _probes(reader: EvidenceReader) -> tuple[list[ServiceProbe], bool]:
    """The last answer to each service probe, and whether every probe was answered."""
    last: dict[str, RawRecord] = {}
    for record in reader.records():
        if record.name == IosArtifact.JAILBREAK_SERVICES.value:
            last[record.subject or record.request] = record
    probes = []
    answered = bool(last)
    for service, record in sorted(last.items()):
        # A refused StartService is a complete answer ("no such service"), kept as FAILED.
        if record.outcome is Outcome.INTERRUPTED or RESPONSE not in record.files:
            answered = False
            continue
        probes.append(parse_service_probe(reader.read(record, RESPONSE), service,
                                          path=record.files.get(RESPONSE, "")))
    return probes, answered


def build_live_inventory(reader: EvidenceReader) -> IosInventory:
    """The inventory of a live (USB) acquisition."""
    problems: list[ParseProblem] = []
    missing: list[str] = []

    values_record = latest(reader, IosArtifact.LOCKDOWN_VALUES.value)
    device = IosDeviceInfo()
    if values_record is not None:
        parsed = parse_lockdown_values(reader.read(values_record, RESPONSE))
        device = parsed.device
        problems += parsed.problems
    if not _answered_in_full(values_record):
        missing.append(IosArtifact.LOCKDOWN_VALUES.value)

    apps_record = latest(reader, IosArtifact.INSTALLED_APPS.value)
    apps = ()
    apps_complete = False
    if apps_record is not None:
        app_list = parse_app_list(reader.read(apps_record, RESPONSE), path=apps_record.files.get(RESPONSE, ""))
        apps, apps_complete = app_list.apps, app_list.complete
        problems += app_list.problems
    if not (apps_complete and _answered_in_full(apps_record)):
        missing.append(IosArtifact.INSTALLED_APPS.value)

    profiles_record = latest(reader, IosArtifact.PROFILE_LIST.value)
    profiles = ()
    profiles_listed = False
    if profiles_record is not None:
        profile_list = parse_profile_list(reader.read(profiles_record, RESPONSE),
                                          path=profiles_record.files.get(RESPONSE, ""))
        profiles, profiles_listed = profile_list.profiles, profile_list.recognized
        problems += profile_list.problems
    if not (profiles_listed and _answered_in_full(profiles_record)):
        missing.append(IosArtifact.PROFILE_LIST.value)

    cloud_record = latest(reader, IosArtifact.CLOUD_CONFIGURATION.value)
    cloud: IosCloudConfiguration | None = None
    if cloud_record is not None:
        answer = parse_cloud_configuration(reader.read(cloud_record, RESPONSE),
                                           path=cloud_record.files.get(RESPONSE, ""))
        cloud = answer.configuration
        problems += answer.problems
    if cloud is None or not _answered_in_full(cloud_record):
        missing.append(IosArtifact.CLOUD_CONFIGURATION.value)

    probes, probes_answered = _probes(reader)
    for probe in probes:
        problems += probe.problems
    if not probes_answered:
        missing.append(IosArtifact.JAILBREAK_SERVICES.value)

    return IosInventory(
        device=device,
        apps=apps,
        profiles=profiles,
        cloud_configuration=cloud,
        jailbreak_signs=jailbreak_signs(apps, probes),
        source="live",
        missing=tuple(missing),
        problems=tuple(problems),
    )


def build_backup_inventory(reader: EvidenceReader) -> IosInventory:
    """The inventory of an existing iTunes / Finder backup."""
    contents = parse_backup(reader)
    missing: list[str] = []
    if not contents.profiles_read:
        missing += [IosArtifact.PROFILE_LIST.value, IosArtifact.CLOUD_CONFIGURATION.value]
    elif contents.cloud_configuration is None:
        missing.append(IosArtifact.CLOUD_CONFIGURATION.value)
    return IosInventory(
        device=contents.device,
        apps=contents.apps,
        profiles=contents.profiles,
        cloud_configuration=contents.cloud_configuration,
        jailbreak_signs=jailbreak_signs(contents.apps),
        source="backup",
        missing=tuple(missing),
        problems=contents.problems,
    )


def build_ios_inventory(reader: EvidenceReader) -> IosInventory:
    """Parse a case's preserved iPhone evidence (live or backup) into an inventory; never raises
    on bad evidence."""
    for record in reader.records():
        if record.name == IosArtifact.BACKUP_FILE.value:
            return build_backup_inventory(reader)
    return build_live_inventory(reader)
