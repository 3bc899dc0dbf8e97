"""Safe APK reading: bounded archive access, hashes, signing certificates, manifest facts.

Entry points: :func:`inspect_apk` (what the inventory keeps: an
:class:`~stalkerscan.model.ApkFile`) and :func:`inspect_apk_details` (that plus the manifest,
per-scheme certificates and the archive's contents). :class:`SafeArchive` and
:class:`ArchiveLimits` are for anything else that must look inside an APK (the YARA scanner).
"""

from stalkerscan.apk.analyze import ApkDetails, inspect_apk, inspect_apk_details
from stalkerscan.apk.archive import (
    DEFAULT_LIMITS,
    ArchiveEntry,
    ArchiveLimits,
    EntryRead,
    SafeArchive,
)
from stalkerscan.apk.certificates import (
    certificate_info,
    signing_block_certificates,
    v1_certificates,
)
from stalkerscan.apk.hashes import FileHashes, hash_bytes, hash_file, hash_stream
from stalkerscan.apk.manifest import ComponentInfo, IntentFilter, ManifestInfo, read_manifest

__all__ = [
    "DEFAULT_LIMITS", "ApkDetails", "ArchiveEntry", "ArchiveLimits", "ComponentInfo",
    "EntryRead", "FileHashes", "IntentFilter", "ManifestInfo", "SafeArchive", "certificate_info",
    "hash_bytes", "hash_file", "hash_stream", "inspect_apk", "inspect_apk_details",
    "read_manifest", "signing_block_certificates", "v1_certificates",
]
