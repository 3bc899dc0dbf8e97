"""Files of an iTunes / Finder backup: device facts, installed apps, configuration profiles.

An acquisition from a backup keeps one ``backup_file`` record per file read, its ``subject``
naming the file: ``Info.plist``, ``Manifest.plist``, ``Status.plist``, ``Manifest.db``, or
``DOMAIN/RELATIVE/PATH`` for a file inside the backup. The ``data`` stream holds the bytes as
stored; in an encrypted backup the ``decrypted`` stream holds the plaintext.

* ``Info.plist``: ``Device Name``, ``Product Type``, ``Product Version``, ``Build Version``,
  ``Serial Number``, ``Unique Identifier``, ``Installed Applications`` (the user's apps) and
  ``Applications`` (per app: ``iTunesMetadata``, ``ApplicationSINF``: only App Store
  purchases carry them).
* ``Manifest.plist``: ``IsEncrypted``, ``Lockdown`` (a copy of some lockdown values) and
  ``Applications`` (bundle id to ``CFBundleVersion``, ``Path``).
* Configuration profiles: ``SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles``
  keeps each installed profile as ``Library/ConfigurationProfiles/profile-*.stub`` (the whole
  profile with its ``PayloadContent``), and the supervision / enrolment facts in
  ``Library/ConfigurationProfiles/CloudConfigurationDetails.plist``.
"""

from __future__ import annotations

import plistlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stalkerscan.model.artifacts import EvidenceReader, IosArtifact, Outcome, RawRecord
from stalkerscan.model.common import ParseProblem, SourceRef
from stalkerscan.model.ios import (
    IosApp,
    IosCloudConfiguration,
    IosDeviceInfo,
    IosProfile,
    IosSigning,
)
from stalkerscan.parse.ios._plist import ProblemLog, load_dict, text
from stalkerscan.parse.ios.lockdown import device_info_from_backup
from stalkerscan.parse.ios.profiles import cloud_configuration_from_dict, profile_from_metadata

PROFILES_DOMAIN = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles"
"""Backup domain of the system's configuration profile store."""

PROFILES_FOLDER = "Library/ConfigurationProfiles/"
"""Folder of the profile store inside that domain."""

PROFILE_FILE_PREFIX = "profile-"
"""Installed profiles are kept as ``profile-<hash>.stub``."""

CLOUD_CONFIGURATION_FILE = "Library/ConfigurationProfiles/CloudConfigurationDetails.plist"
"""Supervision and enrolment facts in the profile store."""

INFO_PLIST = "Info.plist"
MANIFEST_PLIST = "Manifest.plist"
STATUS_PLIST = "Status.plist"
MANIFEST_DB = "Manifest.db"


def is_profile_file(subject: str) -> bool:
    """True for ``DOMAIN/Library/ConfigurationProfiles/profile-*`` of the profile store."""
    domain, _, relative = subject.partition("/")
    if domain != PROFILES_DOMAIN or not relative.startswith(PROFILES_FOLDER):
        return False
    name = relative[len(PROFILES_FOLDER):]
    return "/" not in name and name.startswith(PROFILE_FILE_PREFIX)


@dataclass(frozen=True)
class BackupContents:
    """What the files of one backup said."""

    device: IosDeviceInfo
    """Device facts."""

    apps: tuple[IosApp, ...] = ()
    """The user's apps, sorted by bundle id."""

    profiles: tuple[IosProfile, ...] = ()
    """Profiles stored in the backup."""

    cloud_configuration: IosCloudConfiguration | None = None
    """Supervision / enrolment facts, where the backup holds them."""

    encrypted: bool | None = None
    """``IsEncrypted`` from Manifest.plist."""

    profiles_read: bool = False
    """True when the profile store could be looked at (so no profiles means none)."""

    problems: tuple[ParseProblem, ...] = ()
    """What could not be read."""


def _plaintext(reader: EvidenceReader, record: RawRecord) -> bytes:
    return reader.read(record, "decrypted") if "decrypted" in record.files else reader.read(record, "data")


def _stream_path(record: RawRecord) -> str:
    return record.files.get("decrypted") or record.files.get("data") or ""


def _ok(record: RawRecord | None) -> RawRecord | None:
    return record if record is not None and record.outcome is Outcome.OK else None


def backup_records(reader: EvidenceReader) -> dict[str, RawRecord]:
    """The last successful ``backup_file`` record of each file, by subject."""
    chosen: dict[str, RawRecord] = {}
    for record in reader.records():
        if record.name != IosArtifact.BACKUP_FILE.value or not record.subject:
            continue
        if record.outcome is Outcome.OK or record.subject not in chosen:
            chosen[record.subject] = record
    return chosen


def _metadata_names(blob: Any) -> tuple[str | None, str | None, str | None]:
    """Display name and versions from an app's ``iTunesMetadata`` (a nested plist)."""
    if not isinstance(blob, (bytes, bytearray)) or len(blob) > 4 * 1024 * 1024:
        return None, None, None
    try:
        meta = plistlib.loads(bytes(blob))
    except Exception:  # a broken nested plist only costs the names
        return None, None, None
    if not isinstance(meta, dict):
        return None, None, None
    name = text(meta.get("bundleDisplayName")) or text(meta.get("itemName"))
    return name, text(meta.get("bundleShortVersionString")), text(meta.get("bundleVersion"))


def apps_from_backup(info: Mapping[str, Any], manifest: Mapping[str, Any], *, info_path: str,
                     manifest_path: str, log: ProblemLog) -> tuple[IosApp, ...]:
    """The user's apps from ``Info.plist`` and ``Manifest.plist``."""
    installed = info.get("Installed Applications")
    info_apps = info.get("Applications") if isinstance(info.get("Applications"), dict) else {}
    manifest_apps = manifest.get("Applications") if isinstance(manifest.get("Applications"), dict) else {}
    if installed is not None and not isinstance(installed, list):
        log.add("Info.plist: Installed Applications is not a list")
        installed = []
    bundle_ids: list[str] = []
    for candidate in [*(installed or []), *info_apps, *manifest_apps]:
        bundle_id = text(candidate)
        if bundle_id is not None and bundle_id not in bundle_ids:
            bundle_ids.append(bundle_id)
    apps = []
    for bundle_id in bundle_ids[:20000]:
        sources = []
        if bundle_id in (installed or []) or bundle_id in info_apps:
            sources.append(SourceRef(info_path, None, f"Installed Applications: {bundle_id}"))
        details = manifest_apps.get(bundle_id)
        details = details if isinstance(details, Mapping) else {}
        if details:
            sources.append(SourceRef(manifest_path, None, f"Applications: {bundle_id}"))
        purchase = info_apps.get(bundle_id)
        purchase = purchase if isinstance(purchase, Mapping) else {}
        name, version, build = _metadata_names(purchase.get("iTunesMetadata"))
        # Only App Store purchases carry Apple's purchase metadata and FairPlay data; their
        # absence proves nothing, so it leaves the signing unknown.
        store = bool(purchase.get("iTunesMetadata") or purchase.get("ApplicationSINF"))
        apps.append(IosApp(
            bundle_id=bundle_id,
            display_name=name,
            version=version,
            build=build or text(details.get("CFBundleVersion")),
            application_type="User",
            signing=IosSigning.APP_STORE if store else IosSigning.UNKNOWN,
            path=text(details.get("Path")),
            sources=tuple(sources),
        ))
    return tuple(sorted(apps, key=lambda app: app.bundle_id))


def parse_backup(reader: EvidenceReader, source: str = "backup") -> BackupContents:
    """Read the preserved backup files of a case; never raises."""
    log = ProblemLog(source)
    records = backup_records(reader)
    info: dict[str, Any] = {}
    manifest: dict[str, Any] = {}
    info_record = _ok(records.get(INFO_PLIST))
    manifest_record = _ok(records.get(MANIFEST_PLIST))
    if info_record is not None:
        info = load_dict(_plaintext(reader, info_record), log, INFO_PLIST) or {}
    else:
        log.add("The backup has no Info.plist (or it could not be read)")
    if manifest_record is not None:
        manifest = load_dict(_plaintext(reader, manifest_record), log, MANIFEST_PLIST) or {}
    lockdown = manifest.get("Lockdown")
    device = device_info_from_backup(info, lockdown if isinstance(lockdown, Mapping) else None)
    apps = apps_from_backup(
        info, manifest, info_path=_stream_path(info_record) if info_record else "",
        manifest_path=_stream_path(manifest_record) if manifest_record else "", log=log,
    )
    encrypted = manifest.get("IsEncrypted") if isinstance(manifest.get("IsEncrypted"), bool) else None

    profiles: list[IosProfile] = []
    cloud: IosCloudConfiguration | None = None
    for subject, record in sorted(records.items()):
        if record.outcome is not Outcome.OK:
            continue
        if is_profile_file(subject):
            content = load_dict(_plaintext(reader, record), log, subject)
            if content is None:
                continue
            identifier = text(content.get("PayloadIdentifier")) or subject.rsplit("/", 1)[-1]
            sources = (SourceRef(_stream_path(record), None, subject),)
            profiles.append(profile_from_metadata(identifier, content, None, sources))
        elif subject == f"{PROFILES_DOMAIN}/{CLOUD_CONFIGURATION_FILE}":
            content = load_dict(_plaintext(reader, record), log, subject)
            if content is not None:
                cloud = cloud_configuration_from_dict(content, (SourceRef(_stream_path(record), None, subject),))
    db = records.get(MANIFEST_DB)
    profiles_read = db is not None and db.outcome is Outcome.OK and (not encrypted or "decrypted" in db.files)
    return BackupContents(
        device=device, apps=apps, profiles=tuple(profiles), cloud_configuration=cloud,
        encrypted=encrypted, profiles_read=profiles_read, problems=log.freeze(),
    )
