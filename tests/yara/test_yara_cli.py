"""The ``stalkerscan yara`` command: exit codes, JSON, skipped rule files, progress off a tty."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from stalkerscan.cli.yara_cmd import yara_command

from stalkerscan.simulator.apkgen import ApkSpec, build_apk

RULE = """rule example_cli_marker {
    strings:
        $a = "org.example.cli.marker" ascii
    condition:
        uint16(0) == 0x6564 and $a
}
"""


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Path]:
    rules = tmp_path / "rules.yar"
    rules.write_text(RULE)
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "bad.apk").write_bytes(build_apk(ApkSpec(
        "org.example.bad", dex_strings=("org.example.cli.marker",))))
    (samples / "good.apk").write_bytes(build_apk(ApkSpec("org.example.good")))
    return {"rules": rules, "samples": samples, "cache": tmp_path / "cache"}


def _run(*args: str) -> object:
    return CliRunner().invoke(yara_command, list(args), catch_exceptions=False)


def test_json_output_and_exit_code_one_on_a_match(setup: dict[str, Path]) -> None:
    result = _run(str(setup["samples"]), "--rules", str(setup["rules"]), "--json",
                  "--cache-dir", str(setup["cache"]))
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["rules"]["rule_count"] == 1
    by_file = {Path(r["path"]).name: r for r in document["results"]}
    assert [m["rule"] for m in by_file["bad.apk"]["matches"]] == ["example_cli_marker"]
    assert by_file["bad.apk"]["matches"][0]["entry"] == "classes.dex"
    assert by_file["good.apk"]["matches"] == []


def test_exit_zero_when_nothing_fires_and_table_output(setup: dict[str, Path]) -> None:
    result = _run(str(setup["samples"] / "good.apk"), "--rules", str(setup["rules"]),
                  "--cache-dir", str(setup["cache"]))
    assert result.exit_code == 0
    assert "no rule fired" in result.stdout


def test_table_lists_matches(setup: dict[str, Path]) -> None:
    result = _run(str(setup["samples"] / "bad.apk"), "--rules", str(setup["rules"]),
                  "--cache-dir", str(setup["cache"]))
    assert result.exit_code == 1
    assert "example_cli_marker" in result.stdout and "classes.dex" in result.stdout


def test_broken_rule_file_is_skipped_with_its_location(setup: dict[str, Path],
                                                        tmp_path: Path) -> None:
    broken = tmp_path / "broken.yar"
    broken.write_text("rule broken {\n condition: nope\n}\n")
    result = _run(str(setup["samples"]), "--rules", str(setup["rules"]), "--rules", str(broken),
                  "--json", "--cache-dir", str(setup["cache"]))
    assert result.exit_code == 1
    assert f"{broken}:2" in result.stderr
    document = json.loads(result.stdout)
    assert document["rules"]["errors"][0]["location"] == f"{broken}:2"


def test_no_usable_rules_is_a_usage_error(setup: dict[str, Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.yar"
    broken.write_text("rule {")
    result = _run(str(setup["samples"]), "--rules", str(broken), "--no-cache")
    assert result.exit_code == 2
    assert "None of the YARA rule files could be used" in result.stderr
