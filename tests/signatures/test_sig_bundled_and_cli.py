"""The project's own families and the 'signatures' command group."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml as pyyaml
from click.testing import CliRunner
from signature_test_helpers import android, apk
from stalkerscan.cli.signatures_cmd import signatures_group

from stalkerscan.model.android import AccessibilityService, AndroidApp, DeviceAdmin
from stalkerscan.signatures import lint_paths, propose_family, run_family_tests
from stalkerscan.signatures.paths import bundled_dir

ROOT = Path(__file__).resolve().parents[2]


def test_bundled_families_lint_clean_and_every_one_is_referenced_and_tested():
    report = lint_paths([bundled_dir()])
    assert report.problems == ()
    assert len(report.families) >= 3
    for family in report.families:
        assert family.references and all(r.startswith("https://") for r in family.references)
        assert family.provenance.source == "stalkerscan"
        assert any(t.expect == "match" for t in family.tests), family.id
        assert any(t.expect == "no-match" for t in family.tests), family.id
    outcomes = run_family_tests(report.families)
    assert outcomes and all(o.passed for o in outcomes), [o for o in outcomes if not o.passed]
    assert any(b for f in report.families for b in f.ios.bundle_ids)


def test_schema_in_docs_is_the_one_the_loader_uses():
    packaged = json.loads((ROOT / "stalkerscan/signatures/family.schema.json").read_text())
    published = json.loads((ROOT / "docs/signature-schema.json").read_text())
    assert packaged == published


def test_own_yara_rule_compiles_and_fires_only_on_matching_dex():
    yara = pytest.importorskip("yara")
    rules = yara.compile(filepath=str(bundled_dir() / "yara" / "stalkerscan_hints.yar"))
    body = (b"Landroid/accessibilityservice/AccessibilityService;\0getRootInActiveWindow\0"
            b"content://sms/inbox\0")
    assert [m.rule for m in rules.match(data=b"dex\n035\0" + body)] == [
        "stalkerscan_dex_reads_screen_and_messages_hint"]
    assert rules.match(data=b"dex\n035\0" + body.replace(b"content://sms", b"content://xyz")) == []
    assert rules.match(data=b"PK\x03\x04" + body) == []


def test_failing_embedded_test_is_reported(tmp_path):
    (tmp_path / "example-spy.yaml").write_text("""\
id: example-spy
name: Example Spy
type: stalkerware
platforms: [android]
android:
  packages: [org.example.spy]
references: [https://example.org/report]
source: stalkerscan
licence: CC-BY-4.0
tests:
  - description: wrongly expects a strong match from a package name
    expect: match
    strength: strong
    android:
      apps: [{package: org.example.spy}]
""")
    result = CliRunner().invoke(signatures_group, ["test", str(tmp_path)])
    assert result.exit_code == 1
    assert "FAIL example-spy" in result.output and "example-spy.yaml:11" in result.output
    assert "0 passed, 1 failed" in result.output


def test_cli_list_show_lint_test(tmp_path, monkeypatch):
    monkeypatch.setenv("STALKERSCAN_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    listed = runner.invoke(signatures_group, ["list", "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    assert {"aspy", "snoopza", "life360"} <= {f["id"] for f in data["families"]}
    assert any("No community signatures" in w for w in data["warnings"])
    shown = runner.invoke(signatures_group, ["show", "aspy", "--no-community"])
    assert shown.exit_code == 0 and "com.sec.android.sipibuz" in shown.output
    assert "pull/113" in shown.output
    missing = runner.invoke(signatures_group, ["show", "no-such-family", "--no-community"])
    assert missing.exit_code == 2 and "no family" in missing.output
    assert runner.invoke(signatures_group, ["lint"]).exit_code == 0
    assert runner.invoke(signatures_group, ["test"]).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [\n")
    linted = runner.invoke(signatures_group, ["lint", str(bad)])
    assert linted.exit_code == 1 and f"{bad}:" in linted.output and "FAILED" in linted.output


def test_cli_update_from_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("STALKERSCAN_DATA_DIR", str(tmp_path / "data"))
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "ioc.yaml").write_text("- name: ExampleSpy\n  packages:\n  - org.example.spy\n")
    result = CliRunner().invoke(signatures_group, ["update", "--from", str(mirror)])
    assert result.exit_code == 0, result.output
    assert "Updated" in result.output and "ioc.yaml" in result.output
    (mirror / "ioc.yaml").write_text("- name: [broken\n")
    failed = CliRunner().invoke(signatures_group, ["update", "--from", str(mirror)])
    assert failed.exit_code == 2 and "not a valid signature file" in failed.output
    listed = CliRunner().invoke(signatures_group, ["list", "--json"])
    assert "examplespy" in {f["id"] for f in json.loads(listed.output)["families"]}


def test_propose_drafts_a_family_that_fails_lint_until_completed(tmp_path):
    cert = "ab" * 20
    test_key = "61ED377E85D386A8DFEE6B864BD85B0BFAA5AF81"
    app = AndroidApp(package="org.example.spy", label="Example Spy",
                     apks=(apk("ef" * 32, cert.upper(), "cd" * 32),
                           apk("12" * 32, test_key), apk("34" * 32, test_key)))  # split APKs
    inventory = android(app, accessibility_services=(
        AccessibilityService("org.example.spy/.Watcher", "org.example.spy", True),),
        device_admins=(DeviceAdmin("org.example.other/.Admin", "org.example.other"),))
    text = propose_family(app, inventory, case_name="case-1")
    data = pyyaml.safe_load(text)
    assert data["android"]["packages"] == ["org.example.spy"]
    assert data["android"]["certificates"]["sha1"] == [cert]
    assert data["android"]["certificates"]["sha256"] == ["cd" * 32]
    assert data["android"]["apk_sha256"] == ["ef" * 32, "12" * 32, "34" * 32]
    assert data["android"]["components"] == {"accessibility_services": ["org.example.spy.Watcher"]}
    assert "61ed377e" not in yaml_values(data)
    # The key two split APKs share is named once, as a comment, not as an indicator.
    assert [line for line in text.splitlines() if "AOSP test key" in line] == [
        f"  # not listed: certificate {test_key.lower()} (AOSP test key (testkey, the default "
        "release key of AOSP builds): public key, no evidence)"]
    draft = tmp_path / "example-spy.yaml"
    draft.write_text(text)
    report = lint_paths([draft])
    assert [p.code for p in report.errors] == ["schema-pattern"]
    assert "references" in report.errors[0].message
    draft.write_text(text.replace("  - TODO  #", "  - https://example.org/report  #"))
    report = lint_paths([draft])
    assert report.errors == ()
    outcomes = run_family_tests(report.families)
    assert outcomes and all(o.passed for o in outcomes)


def yaml_values(data) -> str:
    return json.dumps(data)


def test_propose_cli_on_a_folder_that_is_not_a_case(tmp_path):
    result = CliRunner().invoke(signatures_group, ["propose", str(tmp_path), "--app", "org.example.spy"])
    assert result.exit_code == 2
    assert "Error:" in result.output


def test_propose_cli_drafts_from_a_case_and_never_overwrites(tmp_path, monkeypatch):
    from stalkerscan import stored
    from stalkerscan.model.ios import IosDeviceInfo, IosInventory

    app = AndroidApp(package="org.example.spy", label="Example Spy",
                     apks=(apk("ef" * 32, "ab" * 20),))
    inventories = {"android-case": android(app),
                   "iphone-case": IosInventory(device=IosDeviceInfo())}
    monkeypatch.setattr(stored, "load_inventory", lambda case_dir: inventories[Path(case_dir).name])
    for name in inventories:
        (tmp_path / name).mkdir()
    case = str(tmp_path / "android-case")
    runner = CliRunner()
    printed = runner.invoke(signatures_group, ["propose", case, "--app", "org.example.spy"])
    assert printed.exit_code == 0, printed.output
    assert pyyaml.safe_load(printed.output)["android"]["apk_sha256"] == ["ef" * 32]
    assert "from case android-case." in printed.output
    draft = tmp_path / "draft.yaml"
    written = runner.invoke(signatures_group, ["propose", case, "--app", "org.example.spy",
                                               "--id", "example-spy", "--out", str(draft)])
    assert written.exit_code == 0 and f"Draft written to {draft}" in written.output
    assert pyyaml.safe_load(draft.read_text())["id"] == "example-spy"
    again = runner.invoke(signatures_group, ["propose", case, "--app", "org.example.spy",
                                             "--out", str(draft)])
    assert again.exit_code == 2 and "already exists" in again.output
    assert pyyaml.safe_load(draft.read_text())["id"] == "example-spy"
    other = runner.invoke(signatures_group, ["propose", case, "--app", "org.example.other"])
    assert other.exit_code == 2 and "no Android app named 'org.example.other'" in other.output
    iphone = runner.invoke(signatures_group, ["propose", str(tmp_path / "iphone-case"),
                                              "--app", "org.example.spy"])
    assert iphone.exit_code == 2 and "iPhone" in iphone.output
