"""STIX patterns are parsed by the real STIX pattern parser: '=' inside values, escaped
quotes, compound and unusual patterns each do the right thing with a located message."""

from __future__ import annotations

import json

from stalkerscan.signatures.importers import Stix2Importer


def bundle(tmp_path, *patterns: str, link: bool = True, name: str = "Example Spy"):
    objects = [{"type": "malware", "spec_version": "2.1", "id": "malware--1", "name": name,
                "description": "Stalkerware application", "is_family": False}]
    for i, pattern in enumerate(patterns):
        objects.append({"type": "indicator", "spec_version": "2.1", "id": f"indicator--{i}",
                        "pattern": pattern, "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"})
        if link:
            objects.append({"type": "relationship", "id": f"relationship--{i}",
                            "relationship_type": "indicates", "source_ref": f"indicator--{i}",
                            "target_ref": "malware--1"})
    path = tmp_path / "test.stix2"
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": objects}))
    return Stix2Importer().load(path)


def test_value_containing_equals_sign(tmp_path):
    result = bundle(tmp_path, "[configuration-profile:id = 'org.example.profile=1']",
                    "[url:value = 'https://example.org/dl?a=b&c=d']",
                    "[app:id='org.example.spy']")
    assert result.errors == () and result.problems == ()
    (family,) = result.families
    assert family.ios.profile_identifiers == ("org.example.profile=1",)
    assert family.network.urls == ("https://example.org/dl?a=b&c=d",)
    assert family.android.packages == ("org.example.spy",)
    assert family.ios.bundle_ids == ("org.example.spy",)
    assert family.type == "stalkerware" and family.id == "example-spy"


def test_escaped_quote_and_hash_spellings(tmp_path):
    result = bundle(tmp_path, r"[configuration-profile:id = 'it\'s.example']",
                    "[file:hashes.'SHA-256' = '" + "AB" * 32 + "']",
                    "[app:cert.sha256 = '" + "CD" * 32 + "']")
    (family,) = result.families
    assert family.ios.profile_identifiers == ("it's.example",)
    assert family.android.apk_sha256 == ("ab" * 32,)
    assert family.android.certificate_sha256 == ("cd" * 32,)


def test_or_is_split_and_and_is_refused(tmp_path):
    result = bundle(tmp_path, "[app:id = 'org.example.a' OR app:id = 'org.example.b']",
                    "[app:id = 'org.example.c' AND app:cert.sha1 = '" + "ab" * 20 + "']",
                    "[app:id = 'org.example.d'] FOLLOWEDBY [domain-name:value = 'example.org']")
    (family,) = result.families
    assert family.android.packages == ("org.example.a", "org.example.b")
    warnings = [p for p in result.problems if p.code == "compound-pattern"]
    assert len(warnings) == 2
    assert "indicator--1" in warnings[0].location and "indicator--2" in warnings[1].location


def test_invalid_unsupported_and_unlinked_patterns(tmp_path):
    result = bundle(tmp_path, "[app:id = 'unterminated]", "[process:name = 'spy']",
                    "[app:id LIKE 'org.example.%']", "[app:id = 'org.example.ok']")
    codes = sorted(p.code for p in result.problems)
    assert codes == ["bad-pattern", "unsupported-operator", "unused-indicator"]
    assert all("test.stix2 (object" in p.location for p in result.problems)
    (family,) = result.families
    assert family.android.packages == ("org.example.ok",)
    unlinked = bundle(tmp_path, "[app:id = 'org.example.lonely']", link=False)
    assert unlinked.families[0].id == "unattributed"
    assert [p.code for p in unlinked.problems] == ["unattributed"]


def test_not_a_bundle_and_bad_json(tmp_path):
    path = tmp_path / "x.stix2"
    path.write_text('{"type": "indicator"}')
    assert Stix2Importer().load(path).errors[0].code == "not-a-bundle"
    path.write_text('{"type": "bundle", "objects": [\n  {,}\n]}')
    error = Stix2Importer().load(path).errors[0]
    assert error.code == "json-syntax" and error.location == f"{path}:2"


def test_aosp_test_key_in_stix_is_refused(tmp_path):
    result = bundle(tmp_path, "[app:cert.sha1 = '61ED377E85D386A8DFEE6B864BD85B0BFAA5AF81']",
                    "[app:id = 'org.example.a']")
    assert [p.code for p in result.problems] == ["shared-certificate"]
    assert result.families[0].android.certificate_sha1 == ()
