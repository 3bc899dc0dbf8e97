"""The data model every stage shares: inventories, findings and their parts."""

from stalkerscan.model.android import (
    AccessibilityService,
    AndroidApp,
    AndroidDeviceInfo,
    AndroidInventory,
    AndroidUser,
    ApkFile,
    CertificateInfo,
    DeviceAdmin,
    InstallSource,
    ManagementOwner,
    NotificationListener,
    RiskySetting,
    RootSign,
)
from stalkerscan.model.common import ParseProblem, SourceRef, clean_excerpt
from stalkerscan.model.findings import (
    Confidence,
    EvidenceStrength,
    Finding,
    Provenance,
    Severity,
    SignatureMatch,
)
from stalkerscan.model.ios import (
    IosApp,
    IosCloudConfiguration,
    IosDeviceInfo,
    IosInventory,
    IosProfile,
    IosSigning,
    JailbreakSign,
)

__all__ = [
    "AccessibilityService", "AndroidApp", "AndroidDeviceInfo", "AndroidInventory", "AndroidUser", "ApkFile",
    "CertificateInfo", "Confidence", "DeviceAdmin", "EvidenceStrength", "Finding",
    "InstallSource", "IosApp", "IosCloudConfiguration", "IosDeviceInfo", "IosInventory",
    "IosProfile", "IosSigning", "JailbreakSign", "ManagementOwner", "NotificationListener",
    "ParseProblem", "Provenance", "RiskySetting", "RootSign", "Severity", "SignatureMatch",
    "SourceRef", "clean_excerpt",
]
