"""Matching: strengths by indicator kind, exact names only, clean phones get nothing,
provenance merged across feeds, every Echap package and certificate found when planted."""

from __future__ import annotations

from signature_test_helpers import android, apk

from stalkerscan.match.index import IndicatorIndex
from stalkerscan.model.android import (
    AccessibilityService,
    AndroidApp,
    DeviceAdmin,
    NotificationListener,
)
from stalkerscan.model.findings import EvidenceStrength, Provenance
from stalkerscan.model.ios import IosApp, IosDeviceInfo, IosInventory, IosProfile
from stalkerscan.signatures.importers import EchapSamplesImporter, EchapYamlImporter
from stalkerscan.signatures.model import AndroidIndicators, Family, IosIndicators
from stalkerscan.signatures.signature_set import load_signature_set

STRONG, MEDIUM, WEAK = EvidenceStrength.STRONG, EvidenceStrength.MEDIUM, EvidenceStrength.WEAK
CERT = "ab" * 20
CERT256 = "cd" * 32
APK = "ef" * 32
UUID = "0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9"


def family(source="feed-a", family_id="example-spy", family_type="stalkerware", **android) -> Family:
    return Family(id=family_id, name="Example Spy", type=family_type,
                  provenance=Provenance(source, "CC0-1.0", "1", "https://example.org/r", f"{source}.yaml"),
                  android=AndroidIndicators(**android))


def index() -> IndicatorIndex:
    return IndicatorIndex([family(
        packages=("org.example.spy",), certificate_sha1=(CERT,), certificate_sha256=(CERT256,),
        apk_sha256=(APK,), accessibility_services=("org.example.spy.Watcher",),
        device_admin_receivers=("org.example.spy.Admin",),
        notification_listeners=("org.example.spy.Reader",))])


def strengths(matches):
    return {(m.indicator_kind, m.strength) for m in matches}


def test_strength_by_kind():
    inv = android(AndroidApp(package="org.example.spy",
                             apks=(apk(APK.upper(), CERT.upper(), CERT256),)),
                  accessibility_services=(AccessibilityService("org.example.spy/.Watcher",
                                                               "org.example.spy", True),),
                  device_admins=(DeviceAdmin("org.example.spy/org.example.spy.Admin", "org.example.spy"),),
                  notification_listeners=(NotificationListener("org.example.spy/Reader", "org.example.spy"),))
    matches = index().match_android(inv)
    assert strengths(matches) == {
        ("apk_sha256", STRONG), ("certificate_sha1", STRONG), ("certificate_sha256", STRONG),
        ("package", MEDIUM), ("component", WEAK)}
    assert [m.indicator for m in matches if m.indicator_kind == "component"] == [
        "org.example.spy.Admin", "org.example.spy.Reader", "org.example.spy.Watcher"]
    assert matches[0].strength is STRONG  # strongest first
    assert all(m.subject == "org.example.spy" for m in matches)


def test_renamed_app_with_same_certificate_is_strong():
    inv = android(AndroidApp(package="org.example.renamed", apks=(apk(cert_sha1=CERT),)))
    (match,) = index().match_android(inv)
    assert (match.indicator_kind, match.strength, match.subject) == (
        "certificate_sha1", STRONG, "org.example.renamed")


def test_clean_inventory_gets_nothing():
    inv = android(AndroidApp(package="org.example.clean", apks=(apk("12" * 32, "34" * 20),)),
                  AndroidApp(package="com.android.settings"),
                  accessibility_services=(AccessibilityService("org.example.clean/.Helper",
                                                               "org.example.clean", True),))
    assert index().match_android(inv) == []


def test_no_prefix_or_substring_match_and_case_note():
    idx = index()
    for package in ("org.example", "org.example.spy.extra", "org.example.spyx", "xorg.example.spy"):
        assert idx.match_android(android(AndroidApp(package=package))) == [], package
    (note,) = idx.match_android(android(AndroidApp(package="org.example.SPY")))
    assert note.strength is WEAK and note.indicator == "org.example.spy"
    assert note.subject == "org.example.SPY" and "letter case" in note.note


def test_provenance_merged_across_feeds_and_type_conflict_noted():
    idx = IndicatorIndex([family("feed-a", packages=("org.example.spy",)),
                          family("feed-b", family_type="watchware", packages=("org.example.spy",)),
                          family("feed-c", packages=("org.example.other",))])
    (match,) = idx.match_android(android(AndroidApp(package="org.example.spy")))
    assert [p.source for p in match.provenance] == ["feed-a", "feed-b"]
    assert match.family_type == "stalkerware"
    assert "watchware by feed-b" in match.note


def test_identifier_under_two_families_names_both():
    idx = IndicatorIndex([family("a", "one-spy", packages=("org.example.spy",)),
                          family("b", "two-spy", packages=("org.example.spy",))])
    matches = idx.match_android(android(AndroidApp(package="org.example.spy")))
    assert sorted(m.family_id for m in matches) == ["one-spy", "two-spy"]
    assert all("also listed under" in m.note for m in matches)


def test_shared_certificate_disambiguated_by_package():
    idx = IndicatorIndex([family("a", "one-spy", packages=("org.example.one",), certificate_sha1=(CERT,)),
                          family("a", "two-spy", packages=("org.example.two",), certificate_sha1=(CERT,))])
    matches = idx.match_android(android(AndroidApp(package="org.example.two", apks=(apk(cert_sha1=CERT),))))
    assert {(m.family_id, m.indicator_kind) for m in matches} == {
        ("two-spy", "package"), ("two-spy", "certificate_sha1")}
    cert = next(m for m in matches if m.indicator_kind == "certificate_sha1")
    assert "points to this one" in cert.note
    unknown = idx.match_android(android(AndroidApp(package="org.example.three", apks=(apk(cert_sha1=CERT),))))
    assert sorted(m.family_id for m in unknown) == ["one-spy", "two-spy"]
    assert all("cannot tell" in m.note for m in unknown)


def test_ios_strengths():
    idx = IndicatorIndex([Family(
        id="example-ios", name="Example", type="watchware",
        provenance=Provenance("feed", None, None, None, "f.yaml"),
        ios=IosIndicators(bundle_ids=("org.example.app",), profile_identifiers=("org.example.profile",),
                          profile_uuids=(UUID,), signer_identities=("iPhone Distribution: Example Ltd",)))])
    inv = IosInventory(device=IosDeviceInfo(), apps=(
        IosApp(bundle_id="org.example.app", signer_identity="iPhone Distribution: Example Ltd"),
        IosApp(bundle_id="org.example.App"), IosApp(bundle_id="org.example.clean")),
        profiles=(IosProfile(identifier="org.example.profile", uuid=UUID.lower()),))
    got = {(m.indicator_kind, m.subject, m.strength) for m in idx.match_ios(inv)}
    assert got == {("bundle_id", "org.example.app", MEDIUM), ("signer", "org.example.app", MEDIUM),
                   ("bundle_id", "org.example.App", WEAK),
                   ("profile_id", "org.example.profile", MEDIUM),
                   ("profile_uuid", "org.example.profile", STRONG)}
    clean = IosInventory(device=IosDeviceInfo(), apps=(IosApp(bundle_id="org.example.clean"),),
                         profiles=(IosProfile(identifier="org.example.profile.other"),))
    assert idx.match_ios(clean) == []


def test_every_echap_package_and_certificate_planted_is_found(echap):
    feeds = [echap / "ioc.yaml", echap / "watchware.yaml", echap / "samples.csv"]
    sset = load_signature_set(feeds, include_bundled=False, include_community=False)
    idx = sset.index
    imported = [f for p in feeds[:2] for f in EchapYamlImporter().load(p).families] + \
        list(EchapSamplesImporter().load(feeds[2]).families)
    packages = sorted({p for f in imported for p in f.android.packages})
    certificates = sorted({c for f in imported for c in f.android.certificate_sha1})
    assert len(packages) > 600 and len(certificates) > 900
    # One phone with every package, each app signed by one listed certificate.
    apps = [AndroidApp(package=p) for p in packages]
    apps += [AndroidApp(package=f"org.example.renamed{i}", apks=(apk(cert_sha1=c.upper()),))
             for i, c in enumerate(certificates)]
    matches = idx.match_android(android(*apps))
    by_subject: dict[str, set] = {}
    for m in matches:
        by_subject.setdefault(m.subject, set()).add((m.indicator_kind, m.strength))
        assert m.provenance and all(p.source.startswith("echap-") and p.licence == "CC-BY-4.0"
                                    for p in m.provenance)
    for package in packages:
        assert ("package", MEDIUM) in by_subject[package], package
    for i, _ in enumerate(certificates):
        assert by_subject[f"org.example.renamed{i}"] == {("certificate_sha1", STRONG)}
    wisemo = [m for m in matches if m.subject == "com.wisemo.host.v10"]
    assert {p.source for m in wisemo for p in m.provenance} == {"echap-ioc", "echap-watchware"}


def test_clean_phone_against_full_feed(echap):
    sset = load_signature_set([echap / "ioc.yaml", echap / "watchware.yaml", echap / "samples.csv"],
                              include_community=False)
    clean = [AndroidApp(package=p, apks=(apk("00" * 32, "11" * 20),)) for p in (
        "com.android.settings", "com.google.android.gms", "com.whatsapp", "org.example.notes",
        "com.android.core", "com.fone.example")]
    assert sset.index.match_android(android(*clean)) == []


def test_bundled_planted_package(tmp_path):
    sset = load_signature_set(include_community=False)
    (match,) = sset.index.match_android(android(AndroidApp(package="com.sec.android.sipibuz")))
    assert (match.family_id, match.strength) == ("aspy", MEDIUM)
    assert match.provenance[0].source == "stalkerscan"
    assert match.provenance[0].reference == "https://github.com/AssoEchap/stalkerware-indicators/pull/113"
