"""Every Echap package name, planted in a simulated phone, is reported through the full scan.

Reads Echap's real ioc.yaml in place from ../shared/feeds (never copied). Certificates cannot
be planted this way (no one holds those signing keys); certificate matching on every Echap
certificate is tested on inventories in tests/signatures.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from android_scan_helpers import phone_from, scan_phone

from stalkerscan.model.findings import EvidenceStrength
from stalkerscan.signatures.loader import load_path
from stalkerscan.signatures.signature_set import load_signature_set

pytestmark = pytest.mark.timeout(300)

ECHAP = Path(__file__).resolve().parents[3] / "shared" / "feeds" / "echap" / "ioc.yaml"
JAVA_PACKAGE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+")


@pytest.fixture(scope="module")
def echap_packages():
    if not ECHAP.is_file():
        pytest.skip(f"Echap's ioc.yaml not found at {ECHAP}")
    contents = load_path(ECHAP)
    packages = sorted({p for result in contents.results for f in result.families for p in f.android.packages})
    assert len(packages) >= 600
    return packages


def test_every_echap_package_planted_in_a_phone_is_found(echap_packages, tmp_path):
    plantable = [p for p in echap_packages if JAVA_PACKAGE.fullmatch(p)]
    assert len(plantable) >= 0.95 * len(echap_packages)
    apps = [{"package": p, "installer": "com.android.vending"} for p in plantable]
    phone = phone_from({"platform": "android", "name": "echap-planted", "generate": {"ordinary_apps": 0},
                        "apps": apps})
    signatures = load_signature_set([ECHAP], include_community=False)
    case = scan_phone(phone, tmp_path / "case", signatures, pull_apks="none")
    assert case.complete
    matched: dict[str, set[str]] = {}
    for finding in case.result.findings:
        for match in finding.matches:
            if match.indicator_kind == "package":
                assert match.strength is EvidenceStrength.MEDIUM
                matched.setdefault(match.subject, set()).update(p.source for p in match.provenance)
    missing = [p for p in plantable if p not in matched]
    assert missing == []
    assert all(any("echap" in source for source in sources) for sources in matched.values())
    assert phone.log.write_attempts() == []
