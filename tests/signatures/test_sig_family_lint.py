"""The family format and lint: every kind of broken file gives a located, actionable error,
and a broken file is skipped while the good ones still load."""

from __future__ import annotations

from pathlib import Path

from stalkerscan.signatures import lint_paths, load_signature_set

GOOD = """\
id: {id}
name: Example Spy
type: stalkerware
platforms: [android]
android:
  packages: [{package}]
references: [https://example.org/report]
source: stalkerscan
licence: CC-BY-4.0
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def good(folder: Path, family_id: str = "example-spy", package: str = "org.example.spy") -> Path:
    return write(folder, f"{family_id}.yaml", GOOD.format(id=family_id, package=package))


def only_error(path: Path):
    report = lint_paths([path])
    assert report.errors, f"expected an error, got {report.problems}"
    return report.errors[0]


def test_good_family_has_no_problem(tmp_path):
    report = lint_paths([good(tmp_path)])
    assert report.problems == ()
    (family,) = report.families
    assert family.android.packages == ("org.example.spy",)
    assert family.provenance.source == "stalkerscan"
    assert family.provenance.reference == "https://example.org/report"


def test_malformed_yaml(tmp_path):
    path = write(tmp_path, "broken.yaml", GOOD.format(id="broken", package="org.example.a")
                 + "tests: [unclosed\n")
    error = only_error(path)
    assert error.location.startswith(f"{path}:")
    assert "YAML syntax error" in error.message


def test_wrong_type_names_key_and_line(tmp_path):
    text = GOOD.format(id="wrong", package="org.example.a").replace(
        "  packages: [org.example.a]", "  packages: org.example.a")
    path = write(tmp_path, "wrong.yaml", text)
    error = only_error(path)
    assert error.location == f"{path}:6"
    assert "android.packages must be a list" in error.message


def test_unknown_key_points_at_the_key(tmp_path):
    text = GOOD.format(id="unknown", package="org.example.a").replace(
        "source: stalkerscan", "source: stalkerscan\nrefrences: [https://example.org/x]")
    path = write(tmp_path, "unknown.yaml", text)
    error = only_error(path)
    assert error.location == f"{path}:9"
    assert "unknown key 'refrences'" in error.message


def test_bad_hex(tmp_path):
    text = GOOD.format(id="badhex", package="org.example.a").replace(
        "  packages: [org.example.a]",
        "  packages: [org.example.a]\n  certificates:\n    sha1:\n      - 12345XYZ")
    path = write(tmp_path, "badhex.yaml", text)
    error = only_error(path)
    assert error.location == f"{path}:9"
    assert "40 hex digits" in error.message


def test_hex_is_normalised(tmp_path):
    text = GOOD.format(id="hexcase", package="org.example.a").replace(
        "  packages: [org.example.a]",
        "  packages: [org.example.a]\n  certificates:\n    sha1:\n"
        "      - 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01'")
    (family,) = lint_paths([write(tmp_path, "hexcase.yaml", text)]).families
    assert family.android.certificate_sha1 == ("abcdef0123456789abcdef0123456789abcdef01",)


def test_yaml_bomb_file(tmp_path):
    text = GOOD.format(id="bomb", package="org.example.a") + "aliases: &a [x, x]\ncontributors: *a\n"
    path = write(tmp_path, "bomb.yaml", text)
    error = only_error(path)
    assert "aliases" in error.message
    assert error.location == f"{path}:11"


def test_huge_file(tmp_path):
    path = write(tmp_path, "huge.yaml", GOOD.format(id="huge", package="org.example.a")
                 + "notes: " + "x" * (9 * 1024 * 1024) + "\n")
    error = only_error(path)
    assert "limit" in error.message and error.location == str(path)


def test_missing_reference_and_non_url_reference(tmp_path):
    no_ref = write(tmp_path, "noref.yaml", GOOD.format(id="noref", package="org.example.a")
                   .replace("references: [https://example.org/report]\n", ""))
    assert "'references' is a required property" in only_error(no_ref).message
    todo = write(tmp_path, "todo.yaml", GOOD.format(id="todo", package="org.example.a")
                 .replace("https://example.org/report", "TODO"))
    error = only_error(todo)
    assert "public report" in error.message and error.location == f"{todo}:7"


def test_duplicate_ids(tmp_path):
    good(tmp_path, "same-id", "org.example.one")
    write(tmp_path, "other.yaml", GOOD.format(id="same-id", package="org.example.two"))
    report = lint_paths([tmp_path])
    (error,) = report.errors
    assert error.code == "duplicate-id"
    assert "same-id" in error.message and "already defined" in error.message
    sset = load_signature_set([tmp_path], include_bundled=False, include_community=False)
    assert [f.android.packages for f in sset.families] == [("org.example.two",)]
    assert any("same-id" in str(s) for s in sset.skipped)


def test_aosp_test_key_is_refused_with_a_note(tmp_path):
    text = GOOD.format(id="aosp", package="org.example.a").replace(
        "  packages: [org.example.a]",
        "  packages: [org.example.a]\n  certificates:\n    sha1:\n"
        "      - 61ED377E85D386A8DFEE6B864BD85B0BFAA5AF81\n      - " + "ab" * 20)
    path = write(tmp_path, "aosp.yaml", text)
    report = lint_paths([path])
    assert report.errors == ()
    (note,) = [p for p in report.problems if p.code == "shared-certificate"]
    assert note.severity == "note" and note.location == f"{path}:9"
    assert "AOSP test key" in note.message and "android.googlesource.com" in note.message
    (family,) = report.families
    assert family.android.certificate_sha1 == ("ab" * 20,)


def test_same_identifier_under_two_families_is_reported(tmp_path):
    one = good(tmp_path, "first-spy", "org.example.shared")
    two = good(tmp_path, "second-spy", "org.example.shared")
    (warning,) = lint_paths([tmp_path]).warnings
    assert warning.code == "identifier-in-several-families"
    assert str(one) in warning.message and str(two) in warning.message


def test_case_only_twins_are_noted(tmp_path):
    good(tmp_path, "lower-spy", "org.example.spy")
    good(tmp_path, "upper-spy", "org.example.SPY")
    notes = [p for p in lint_paths([tmp_path]).problems if p.code == "case-only-difference"]
    assert len(notes) == 1 and "'org.example.SPY'" in notes[0].message


def test_broken_file_skipped_good_ones_load(tmp_path):
    good(tmp_path, "fine-spy", "org.example.fine")
    write(tmp_path, "broken.yaml", "id: [\n")
    sset = load_signature_set([tmp_path], include_bundled=False, include_community=False)
    assert [f.id for f in sset.families] == ["fine-spy"]
    (skipped,) = sset.skipped
    assert skipped.path.endswith("broken.yaml")
    assert skipped.problems[0].location.startswith(str(tmp_path / "broken.yaml") + ":")
    assert any("skipped" in w and "broken.yaml" in w for w in sset.warnings)


def test_bad_yara_file_is_located(tmp_path):
    path = write(tmp_path, "bad.yar", "rule ok { condition: true }\nrule broken { condition: nope }\n")
    (error,) = lint_paths([path]).errors
    assert error.code == "yara-syntax" and error.location == f"{path}:2"


def test_unknown_format_is_an_error(tmp_path):
    path = write(tmp_path, "notes.csv", "a,b,c\n1,2,3\n")
    error = only_error(path)
    assert error.code == "unknown-format"
