"""The benchmark machinery at its smallest: one 20-app phone, one repeat, a tiny DEX.

Timing figures are printed by benchmarks/run.py, never asserted; what is asserted here is that
the machinery measures what it says: the rows exist, the request count is a real count from a
real scan (and within the round-trip budget), and the table renders with the machine.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from stalkerscan.acquire.android.acquirer import PLAN

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"stalkerscan_bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench_run():
    return _load("run")


@pytest.fixture(scope="module")
def tiny_rows(bench_run, tmp_path_factory):
    """Every section but the slow ones, at the tiniest sizes."""
    from _common import isolated_home

    work = tmp_path_factory.mktemp("bench")
    plan = bench_run.Plan(android_sizes=(20,), latencies_ms=(0,), repeat=1, default_policy_size=None, pull_all_size=None,
                          real_adb=(), memory_size=None, ios=False, load_repeat=1, first_load_repeat=1,
                          match_repeat=1, stix2_repeat=0, dex_mb=0.05, dex_count=1, yara_repeat=1)
    with isolated_home(work):
        return bench_run.collect(plan, work)


@pytest.mark.timeout(120)
def test_tiny_run_has_the_expected_rows(tiny_rows):
    sections = [(row.section, row.measure) for row in tiny_rows]
    assert sections[0] == ("Android scan", "20 apps, 0 ms/req, no APKs")
    assert [m for s, m in sections if s == "Signatures"] == [
        "Echap feed load + index, fresh process", "Echap feed load + index, repeated", "match 1,000 apps"]
    assert [m for s, m in sections if s == "YARA"] == [
        "yara-python over DEX bytes", "scan_apk: unzip + limits + YARA", "compile rules (cold)",
        "yara command line, same DEX"]
    assert not any(row.measure == "FAILED" for row in tiny_rows)


@pytest.mark.timeout(120)
def test_android_row_counts_a_real_scan_within_the_budget(tiny_rows):
    android = tiny_rows[0]
    # Counted by the scanner and cross-checked against the simulated phone's request log:
    # any disagreement, refused write or incomplete scan would be in the note.
    assert android.note == ""
    assert android.shell_requests == len(PLAN)  # the batched plan, once, whatever the apps
    assert android.apk_requests == 0
    assert android.apps == 20
    assert android.bytes_read is not None and android.bytes_read > 10_000
    assert android.value is not None and android.value > 0 and android.repeats == 1
    assert android.extra.startswith("reading ")


@pytest.mark.timeout(120)
def test_signature_and_yara_rows_hold_figures(tiny_rows):
    from _common import echap_dir

    signatures = [row for row in tiny_rows if row.section == "Signatures"]
    if echap_dir() is None:
        assert all(row.value is None and "not here" in row.note for row in signatures)
    else:
        assert all(row.value is not None and row.value > 0 for row in signatures)
        assert "50 matches" in signatures[2].note and signatures[2].apps == 1000
    yara = [row for row in tiny_rows if row.section == "YARA"]
    assert yara[0].value is not None and yara[0].value > 0 and yara[0].unit == "MB/s"
    assert yara[0].bytes_read is not None and yara[0].bytes_read >= 40_000
    cli = yara[3]
    if shutil.which("yara") is None:
        assert cli.value is None and "not installed" in cli.note
    else:
        assert cli.value is not None and cli.value > 0 and cli.bytes_read == yara[0].bytes_read


@pytest.mark.timeout(120)
def test_table_names_the_machine_and_every_row(tiny_rows):
    from _common import machine_facts, render_table

    facts = machine_facts()
    text = render_table(tiny_rows, facts)
    assert f"cores: {facts['cores']}" in text and "python: " in text
    assert "20 apps, 0 ms/req, no APKs" in text and "yara-python over DEX bytes" in text
    markdown = render_table(tiny_rows, facts, markdown=True)
    table_lines = [line for line in markdown.splitlines() if line.startswith("|")]
    assert len(table_lines) == len(tiny_rows) + 2  # header, rule, one line per row


def test_ios_figures_are_read_from_bench_ios_output(bench_run):
    text = """stalkerscan iPhone scan benchmark: Python 3.11.7, x86_64, 2 CPUs

100 apps (100 on the simulated phone)
  acquisition:                 277.5 ms (min 277.5, n=3)
  whole scan (+ analysis):     347.4 ms (min 340.0, n=3)
  re-parse preserved bytes:     19.8 ms (min 19.8, n=3)

1000 apps (1000 on the simulated phone)
  whole scan (+ analysis):     862.5 ms (min 862.5, n=3)
"""
    parsed = bench_run.parse_ios_output(text)
    assert parsed[100]["whole scan (+ analysis)"] == (347.4, 3)
    assert parsed[100]["acquisition"] == (277.5, 3)
    assert parsed[1000] == {"whole scan (+ analysis)": (862.5, 3)}
    assert bench_run.parse_ios_output("Traceback ...\nAttributeError: x") == {}
