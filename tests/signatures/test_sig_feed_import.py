"""The real community feeds in ../shared/feeds import with zero errors, with the counts their
README gives, and every trap it lists is handled. Files are read in place, never copied."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import pytest
import yaml

from stalkerscan.signatures.importers import (
    EchapSamplesImporter,
    EchapYamlImporter,
    IsdiFlagsImporter,
    Stix2Importer,
)
from stalkerscan.signatures.loader import detect_importer
from stalkerscan.signatures.signature_set import load_signature_set

AOSP_TEST_KEY = "61ed377e85d386a8dfee6b864bd85b0bfaa5af81"


@functools.cache
def stix(path: Path):
    # The STIX bundles take a couple of seconds each to parse properly: parse them once.
    return Stix2Importer().load(path)


def _raw(path: Path):
    # The independent reading the counts are checked against (the authors keep strings too).
    return yaml.load(path.read_text("utf-8"), Loader=yaml.BaseLoader)


def test_ioc_yaml_counts_and_zero_errors(echap):
    result = EchapYamlImporter().load(echap / "ioc.yaml")
    assert result.errors == ()
    assert [p.severity for p in result.problems if p.severity != "note"] == []
    assert len(result.families) == 147
    assert {f.type for f in result.families} == {"stalkerware"}
    # README: 616 package entries and 472 certificate SHA-1 entries in ioc.yaml.
    raw = _raw(echap / "ioc.yaml")
    assert sum(len(f.get("packages", [])) for f in raw) == 616
    assert sum(len(f.get("certificates", [])) for f in raw) == 472
    assert sum(len(f.android.packages) for f in result.families) == 616
    assert sum(len(f.android.certificate_sha1) for f in result.families) == 472
    # every certificate normalised to lower-case 40-digit hex
    certs = [c for f in result.families for c in f.android.certificate_sha1]
    assert all(c == c.lower() and len(c) == 40 for c in certs)
    assert "31a6ececd97cf39bc4126b8745cd94a7c30bf81c" in certs


def test_watchware_counts(echap):
    result = EchapYamlImporter().load(echap / "watchware.yaml")
    assert result.errors == () and result.problems == ()
    assert len(result.families) == 27
    assert {f.type for f in result.families} == {"watchware"}
    bundles = {b for f in result.families for b in f.ios.bundle_ids}
    assert {"com.life360.safetymap", "com.wheremychildren.ios"} <= bundles


def test_samples_counts(echap):
    result = EchapSamplesImporter().load(echap / "samples.csv")
    assert result.errors == ()
    hashes = {h for f in result.families for h in f.android.apk_sha256}
    assert len(hashes) == 3228
    with (echap / "samples.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3228 and {r["SHA256"].lower() for r in rows} == hashes


def test_misspelt_c2_ip_key_is_read(echap):
    result = EchapYamlImporter().load(echap / "ioc.yaml")
    notes = [p for p in result.problems if p.code == "misspelt-key"]
    assert len(notes) == 2 and all(p.location.startswith(str(echap / "ioc.yaml") + ":") for p in notes)
    ips = {ip for f in result.families for ip in f.network.c2_ips}
    assert {"72.167.46.196", "5.79.71.114", "85.10.199.40"} <= ips


def test_distribution_mixes_hosts_urls_and_ips(echap):
    result = EchapYamlImporter().load(echap / "ioc.yaml")
    one_top = next(f for f in result.families if "profotoeditor.com" in f.network.distribution)
    assert "178.63.71.15" in one_top.network.distribution_ips
    assert "178.63.71.15" not in one_top.network.distribution
    everything = [v for f in result.families for v in f.network.distribution]
    assert all("://" not in v and "/" not in v for v in everything)


def test_packages_and_certificate_under_two_families(echap):
    sset = load_signature_set([echap / "ioc.yaml"], include_bundled=False, include_community=False)
    shared = [p for p in sset.problems if p.code == "identifier-in-several-families"]
    text = " ".join(p.message for p in shared)
    for package in ("com.sc.spyier.v2", "com.gcm_call_sms_tracker.updated", "com.spappm_mondow.alarm"):
        assert package in text
    assert "9b48840cbf93379410172b4b85989624d2b33d59" in text
    assert "WiseMo" in text and "FindMyKids" in text


def test_aosp_test_key_in_samples_is_refused(echap):
    result = EchapSamplesImporter().load(echap / "samples.csv")
    refused = [p for p in result.problems if p.code == "shared-certificate"]
    assert refused and all(p.severity == "note" for p in refused)
    assert AOSP_TEST_KEY not in {c for f in result.families for c in f.android.certificate_sha1}


def test_generic_package_names_kept_exactly(echap):
    sset = load_signature_set([echap / "ioc.yaml"], include_bundled=False, include_community=False)
    index = sset.index
    assert index.lookup("package", "com.fone")
    assert index.lookup("package", "com.systemservice")
    assert not index.lookup("package", "com.fone.extra")
    assert not index.lookup("package", "com.android.core")


def test_samples_attach_to_families_by_alias(echap):
    sset = load_signature_set([echap / "ioc.yaml", echap / "samples.csv"], include_bundled=False,
                              include_community=False)
    # "Copy9" in samples.csv is an alias of TheTruthSpy in ioc.yaml.
    from_samples = [f for f in sset.families if f.provenance.source == "echap-samples"]
    assert "copy9" not in {f.id for f in from_samples}
    assert any(f.id == "thetruthspy" and f.aliases and "Copy9" in (f.name, *f.aliases)
               for f in from_samples)


@pytest.mark.parametrize("name, families, packages", [
    ("stalkerware-2023-05-31.stix2", 137, 567),
    ("stalkerware-current-regenerated.stix2", 174, 651),
])
def test_stix_bundles_import_with_zero_errors(echap, name, families, packages):
    result = stix(echap / name)
    assert result.errors == () and result.problems == ()
    assert len(result.families) == families
    assert sum(len(f.android.packages) for f in result.families) == packages


def test_regenerated_stix_matches_the_yaml_feed(echap):
    bundle = stix(echap / "stalkerware-current-regenerated.stix2")
    hashes = {h for f in bundle.families for h in f.android.apk_sha256}
    assert len(hashes) == 3228
    certs = {c for f in bundle.families for c in f.android.certificate_sha1}
    yaml_certs = {c for name in ("ioc.yaml", "watchware.yaml")
                  for f in EchapYamlImporter().load(echap / name).families
                  for c in f.android.certificate_sha1}
    assert yaml_certs <= certs
    urls = {u for f in bundle.families for u in f.network.urls}
    assert "https://github.com/karma9874/AndroRAT" in urls


def test_isdi_flags(feeds):
    path = feeds / "other" / "isdi-app-flags.csv"
    if not path.is_file():
        pytest.skip("ISDi's app flags are not in ../shared/feeds/other")
    result = IsdiFlagsImporter().load(path)
    assert result.errors == ()
    assert [p.code for p in result.problems] == ["safe-rows"]
    by_type: dict[str, int] = {}
    for family in result.families:
        by_type[family.type] = by_type.get(family.type, 0) + 1
    assert by_type["dual-use"] == 5150  # one family per dual-use app
    assert by_type.get("stalkerware", 0) > 0 and by_type.get("spyware", 0) > 0
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    ids = {r["appId"] for r in rows if r["flag"] != "safe" and r["store"] != "appstore"}
    assert ids == {p for f in result.families for p in f.android.packages}
    bundles = {b for f in result.families for b in f.ios.bundle_ids}
    # the Team ID prefix of an App Store id is removed
    assert "com.trailbehind.GaiaGPS" in bundles and "5ZPN38G6GE.com.trailbehind.GaiaGPS" not in bundles


def test_format_detection_on_real_files(echap, feeds):
    expected = {
        echap / "ioc.yaml": "echap-yaml", echap / "watchware.yaml": "echap-yaml",
        echap / "samples.csv": "echap-samples",
        echap / "stalkerware-2023-05-31.stix2": "stix2",
        feeds / "other" / "isdi-app-flags.csv": "isdi-app-flags",
    }
    for path, fmt in expected.items():
        if path.is_file():
            importer = detect_importer(path)
            assert importer is not None and importer.format == fmt, path
