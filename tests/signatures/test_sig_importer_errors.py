"""Broken feed files of every format: one located problem each, never a crash, and the
message never repeats the location the problem already carries."""

from __future__ import annotations

from pathlib import Path

from stalkerscan.signatures.importers import (
    EchapSamplesImporter,
    EchapYamlImporter,
    FamilyYamlImporter,
    IsdiFlagsImporter,
    Stix2Importer,
    base,
    stix2,
)
from stalkerscan.signatures.loader import detect_importer

SAMPLES_HEADER = "SHA256,Package Name,Certificate,Version,App\n"
APK = "ef" * 32


def write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def test_samples_rows_short_blank_and_without_family(tmp_path):
    path = write(tmp_path, "samples.csv", SAMPLES_HEADER
                 + f"{APK},org.example.spy,,1,ExampleSpy\n"
                 + ",,,,\n"
                 + f"{APK},org.example.short\n"
                 + f"{'12' * 32},org.example.nobody,,1,\n")
    result = EchapSamplesImporter().load(path)
    assert [(p.severity, p.code, p.message, p.location) for p in result.problems] == [
        ("warning", "short-row", "row has 2 columns, expected 5; skipped", f"{path}:4"),
        ("warning", "missing-app", "row names no App (family); skipped", f"{path}:5"),
    ]
    (family,) = result.families
    assert (family.id, family.android.packages, family.android.apk_sha256) == (
        "examplespy", ("org.example.spy",), (APK,))


def test_isdi_unknown_flag_and_store_are_located(tmp_path):
    path = write(tmp_path, "app-flags.csv", "appId,store,flag,title\n"
                 "org.example.find,playstore,dual-use,Example Finder\n"
                 "org.example.odd,playstore,curious,Odd\n"
                 "org.example.far,elsewhere,spyware,Far Spy\n"
                 "org.example.ok,playstore,safe,Fine\n"
                 "org.example.cut,playstore\n")
    result = IsdiFlagsImporter().load(path)
    assert [(p.code, p.location) for p in result.problems] == [
        ("unknown-flag", f"{path}:3"), ("unknown-store", f"{path}:4"),
        ("short-row", f"{path}:6"), ("safe-rows", str(path))]
    assert "expected 4" in result.problems[2].message
    assert [(f.id, f.type, f.android.packages) for f in result.families] == [
        ("dual-use-org-example-find", "dual-use", ("org.example.find",))]


def test_csv_with_another_header_or_encoding_is_an_error(tmp_path):
    header = write(tmp_path, "samples.csv", "SHA256,Package Name,Cert\n" + APK + ",a.b,x\n")
    (error,) = EchapSamplesImporter().load(header).problems
    assert (error.severity, error.code, error.location) == ("error", "bad-header", f"{header}:1")
    assert error.message == "first line must be SHA256,Package Name,Certificate,Version,App"
    latin = write(tmp_path, "latin.csv", SAMPLES_HEADER.encode() + b"\xe9\xe9,a.b,,1,X\n")
    result = EchapSamplesImporter().load(latin)
    assert result.families == ()
    assert [(p.code, p.location) for p in result.problems] == [("not-utf8", str(latin))]


def test_oversized_feeds_are_refused_without_repeating_the_location(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "MAX_FEED_BYTES", 64)
    monkeypatch.setattr(stix2, "MAX_FEED_BYTES", 64)
    csv_file = write(tmp_path, "samples.csv", SAMPLES_HEADER + f"{APK},org.example.a,,1,A\n")
    stix_file = write(tmp_path, "feed.stix2", '{"type": "bundle", "objects": []}' + " " * 64)
    for importer, path in ((EchapSamplesImporter(), csv_file), (Stix2Importer(), stix_file)):
        result = importer.load(path)
        (error,) = result.problems
        assert (error.severity, error.code, error.location) == ("error", "unreadable", str(path))
        assert error.message.startswith("file is ") and str(path) not in error.message
        assert result.families == ()


def test_broken_yaml_of_either_yaml_format_is_located_once(tmp_path):
    echap = write(tmp_path, "ioc.yaml", "- name: ExampleSpy\n  packages: [org.example.a\n")
    family = write(tmp_path, "example-spy.yaml", "id: example-spy\nname: [\n")
    for importer, path in ((EchapYamlImporter(), echap), (FamilyYamlImporter(), family)):
        assert detect_importer(path).format == importer.format
        (error,) = importer.load(path).problems
        assert error.code == "unreadable" and error.location.startswith(f"{path}:")
        assert error.message.startswith("YAML syntax error") and str(path) not in error.message


def test_yaml_of_the_wrong_shape(tmp_path):
    mapping = write(tmp_path, "ioc.yaml", "name: ExampleSpy\n")
    (error,) = EchapYamlImporter().load(mapping).problems
    assert (error.code, error.location) == ("wrong-type", f"{mapping}:1")
    listed = write(tmp_path, "family.yaml", "- id: example\n")
    (error,) = FamilyYamlImporter().load(listed).problems
    assert (error.code, error.location) == ("wrong-type", f"{listed}:1")
    assert error.message.endswith("not a list")


def test_yaml_formats_are_told_apart_by_the_first_line_that_counts(tmp_path):
    echap = write(tmp_path, "a.yaml", "# a comment\n---\n\n- name: ExampleSpy\n")
    family = write(tmp_path, "b.yaml", "# a comment\n---\nid: example-spy\n")
    empty = write(tmp_path, "c.yaml", "# nothing but a comment\n")
    assert detect_importer(echap).format == "echap-yaml"
    assert detect_importer(family).format == "stalkerscan-family"
    assert detect_importer(empty).format == "stalkerscan-family"
