"""Running the test cases embedded in family files (``stalkerscan signatures test``).

Each case is a small inventory snippet. It is matched against an index of *that family
alone*, so a case checks the family's own identifiers whatever else is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stalkerscan.model.android import (
    AccessibilityService,
    AndroidApp,
    AndroidDeviceInfo,
    AndroidInventory,
    ApkFile,
    CertificateInfo,
    DeviceAdmin,
    NotificationListener,
)
from stalkerscan.model.findings import EvidenceStrength, SignatureMatch
from stalkerscan.model.ios import IosApp, IosDeviceInfo, IosInventory, IosProfile
from stalkerscan.signatures.model import Family, FamilyTest

if TYPE_CHECKING:
    from stalkerscan.match.index import IndicatorIndex


@dataclass(frozen=True)
class TestOutcome:
    """The result of one embedded test case."""

    __test__ = False  # not a pytest class

    family_id: str
    """Family the case belongs to."""

    description: str
    """The case's description."""

    location: str | None
    """``file:line`` of the case."""

    passed: bool
    """True when the expectation held."""

    detail: str
    """What was expected and what happened."""


def inventory_for(case: FamilyTest) -> AndroidInventory | IosInventory:
    """The inventory a test case describes."""
    if case.platform == "ios":
        return IosInventory(
            device=IosDeviceInfo(),
            apps=tuple(IosApp(bundle_id=a.package, signer_identity=a.signer_identity)
                       for a in case.apps),
            profiles=tuple(IosProfile(identifier=i, uuid=u) for i, u in case.profiles),
        )
    apps = []
    for number, app in enumerate(case.apps):
        certificates = tuple(
            CertificateInfo(sha256=sha256, sha1=sha1, subject="CN=test", issuer="CN=test",
                            scheme="v2")
            for sha1, sha256 in _pairs(app.certificates_sha1, app.certificates_sha256))
        hashes = app.apk_sha256 or (("",) if certificates else ())
        apks = tuple(
            ApkFile(device_path=f"/data/app/test-{number}/base.apk",
                    case_path=f"apks/test-{number}.apk", size=0, sha256=digest, sha1="", md5="",
                    certificates=certificates if i == 0 else ())
            for i, digest in enumerate(hashes))
        apps.append(AndroidApp(package=app.package, apks=apks))
    return AndroidInventory(
        device=AndroidDeviceInfo(),
        apps=tuple(apps),
        accessibility_services=tuple(
            AccessibilityService(component=c, package=c.split("/", 1)[0], enabled=True)
            for c in case.accessibility_services),
        device_admins=tuple(DeviceAdmin(component=c, package=c.split("/", 1)[0])
                            for c in case.device_admins),
        notification_listeners=tuple(NotificationListener(component=c, package=c.split("/", 1)[0])
                                     for c in case.notification_listeners),
    )


def _pairs(sha1s: tuple[str, ...], sha256s: tuple[str, ...]) -> list[tuple[str, str]]:
    count = max(len(sha1s), len(sha256s))
    return [(sha1s[i] if i < len(sha1s) else "", sha256s[i] if i < len(sha256s) else "")
            for i in range(count)]


_RANK = {EvidenceStrength.STRONG: 0, EvidenceStrength.MEDIUM: 1, EvidenceStrength.WEAK: 2}


def check_case(family: Family, case: FamilyTest, index: IndicatorIndex) -> TestOutcome:
    """Run one case against ``index`` (normally built from ``family`` alone)."""
    inventory = inventory_for(case)
    found: list[SignatureMatch]
    if isinstance(inventory, IosInventory):
        found = index.match_ios(inventory)
    else:
        found = index.match_android(inventory)
    mine = [s for s in found if s.family_id == family.id]
    strongest = min(mine, key=lambda s: _RANK[s.strength]) if mine else None
    got = ", ".join(f"{s.indicator_kind} {s.indicator} ({s.strength.value})" for s in mine) or "nothing"
    if case.expect == "match":
        if strongest is None:
            passed = False
        elif case.strength:
            passed = strongest.strength.value == case.strength
        else:  # a weak near-miss note alone is not a match
            passed = strongest.strength is not EvidenceStrength.WEAK
        want = f"a {case.strength} match" if case.strength else "a match"
    elif case.expect == "note":
        passed = bool(mine) and all(s.strength is EvidenceStrength.WEAK and s.note for s in mine)
        want = "only a weak case-only note"
    else:
        passed = not mine
        want = "no match"
    return TestOutcome(family.id, case.description, case.location, passed,
                       f"expected {want}, got {got}")


def run_family_tests(families: Iterable[Family]) -> list[TestOutcome]:
    """Run every embedded test case of every family."""
    from stalkerscan.match.index import IndicatorIndex  # the index imports this package

    outcomes = []
    for family in families:
        if not family.tests:
            continue
        index = IndicatorIndex([family])
        outcomes.extend(check_case(family, case, index) for case in family.tests)
    return outcomes
