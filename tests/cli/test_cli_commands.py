"""The command line as a user meets it: exit codes, messages, files written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from android_scan_helpers import phone_from
from click.testing import CliRunner
from stalkerscan.cli.main import main

from stalkerscan.simulator.android.run import running_host_server

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(autouse=True)
def _private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home" / "cache"))


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "case"
    result = CliRunner().invoke(main, ["demo", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_demo_ends_with_a_verdict_and_a_report(demo_case):
    out, output = demo_case
    assert "Known stalkerware found" in output
    assert "simulated phone" in output
    assert "none tried to change it" in output
    assert (out / "report.html").is_file() and (out / "manifest.json").is_file()


def test_demo_on_a_simulated_iphone(tmp_path):
    out = tmp_path / "ios-case"
    result = invoke("demo", "--platform", "ios", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "none tried to change it" in result.output
    assert json.loads((out / "case.json").read_bytes())["platform"] == "ios"
    assert (out / "report.html").is_file() and invoke("verify", str(out)).exit_code == 0


def test_verify_ok_then_changed(demo_case, tmp_path):
    out, _ = demo_case
    result = invoke("verify", str(out))
    assert result.exit_code == 0 and "OK" in result.output
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(out, copy)
    target = copy / "raw" / "0002-getprop.stdout"
    target.chmod(0o600)
    target.write_bytes(target.read_bytes().replace(b"SM-A526B", b"SM-A526X"))
    result = invoke("verify", str(copy), "--json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["changed"] == ["raw/0002-getprop.stdout"] and data["ok"] is False


def test_report_and_analyze_write_new_folders(demo_case):
    out, _ = demo_case
    result = invoke("report", str(out), "--format", "md", "--locale", "en-GB")
    assert result.exit_code == 0
    written = Path(result.output.split("Written:")[1].split()[0])
    assert written.name == "summary.md" and written.parent.parent.name == "analyses"
    result = invoke("analyze", str(out))
    assert result.exit_code == 1  # findings
    assert invoke("verify", str(out)).exit_code == 0


def test_devices_lists_states_with_advice():
    phones = [phone_from("android-clean"), phone_from("android-clean", serial="R5XUNAUTH", state="unauthorized")]
    with running_host_server(phones) as address:
        result = invoke("devices", "--adb-port", str(address.port), "--json")
    data = json.loads(result.output)
    states = {p["serial"]: (p["state"], p["ready"]) for p in data["phones"] if p["platform"] == "android"}
    assert states["R5XUNAUTH"] == ("unauthorized", False)
    unauthorized = next(p for p in data["phones"] if p["serial"] == "R5XUNAUTH")
    assert "Allow" in unauthorized["guidance"]
    assert any(ready for _, ready in states.values())


def test_scan_exit_codes(tmp_path):
    unauthorized = phone_from("android-clean", state="unauthorized")
    with running_host_server([unauthorized]) as address:
        result = CliRunner().invoke(main, ["scan", "--out", str(tmp_path / "a"), "--platform", "android",
                                           "--adb-port", str(address.port), "--wait", "0"])
    assert result.exit_code == 3
    assert "tap Allow" in result.output
    assert not (tmp_path / "a").exists()

    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x").write_text("x")
    result = CliRunner().invoke(main, ["scan", "--out", str(tmp_path / "b"), "--platform", "android",
                                       "--adb-port", "1"])
    assert result.exit_code == 2 and "never overwrites" in result.output


def test_scan_of_a_clean_phone_exits_zero_with_report(tmp_path):
    with running_host_server([phone_from("android-clean")]) as address:
        result = invoke("scan", "--out", str(tmp_path / "c"), "--platform", "android",
                        "--adb-port", str(address.port), "--examiner", "Sam", "--case-id", "C-7")
    assert result.exit_code == 0, result.output  # nothing found: the documented exit code
    assert "Nothing found" in result.output
    assert (tmp_path / "c" / "report.html").is_file()
    custody = (tmp_path / "c" / "custody.log").read_text()
    assert '"examiner": "Sam"' in custody and '"case_id": "C-7"' in custody


def test_help_lists_every_command():
    output = invoke("--help").output
    for command in ("analyze", "demo", "devices", "report", "scan", "signatures", "simulate", "verify", "yara"):
        assert command in output


def test_fingerprint_printed_at_the_end_and_checked_by_verify(demo_case, tmp_path):
    import hashlib
    import shutil

    out, output = demo_case
    fingerprint = hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest()
    assert fingerprint in output
    assert invoke("verify", str(out), "--fingerprint", fingerprint).exit_code == 0
    # A copy rewritten consistently (new manifest, custody log rebuilt) passes plain verify
    # only if every record agrees; the fingerprint catches it regardless.
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    (copy / "manifest.json").chmod(0o600)
    (copy / "manifest.json").write_bytes((copy / "manifest.json").read_bytes() + b" ")
    result = invoke("verify", str(copy), "--fingerprint", fingerprint)
    assert result.exit_code == 1 and "fingerprint" in result.output
