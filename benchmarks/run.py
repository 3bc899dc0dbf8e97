"""Every stalkerscan benchmark in one table.

Run: ``.venv/bin/python benchmarks/run.py`` (about 2 minutes on a 2-core machine), or
``--quick`` (well under a minute), ``--markdown`` for docs/performance.md.

Rows: Android scans of simulated phones with 50 / 300 / 1,000 / 3,000 apps at 0 and 10 ms
per request (in-process host-protocol server; a default-APK-policy row; rows through the real
adb server when the adb program is installed), iPhone scans of 100 and 1,000 apps (from
benchmarks/bench_ios.py), Echap feed load + index and matching 1,000 apps, YARA throughput over
DEX files, and the peak memory of the 3,000-app scan. Each figure is a median over the
repeats shown; nothing is asserted (the figures depend on the machine and its load).
"""

from __future__ import annotations

import argparse
import importlib
import re
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import Row, echap_signature_files, isolated_home, machine_facts, render_table, skipped  # noqa: E402

IOS_SECTION = "iPhone scan"
IOS_SIZES = (100, 1000)


@dataclass(frozen=True)
class Plan:
    """What to measure, and how many times."""

    android_sizes: tuple[int, ...] = (50, 300, 1000, 3000)
    """Apps on each simulated Android phone."""

    latencies_ms: tuple[float, ...] = (0, 10)
    """Per-request latency the simulated phone adds, one row per size and latency."""

    repeat: int = 5
    """Runs per scan row (the median is printed; the shared machine is noisy)."""

    default_policy_size: int | None = 300
    """Phone size of the row with the default APK policy (None: no such row)."""

    pull_all_size: int | None = 50
    """Phone size of the row pulling every APK (None: no such row)."""

    real_adb: tuple[tuple[int, float], ...] = ((300, 0), (300, 10))
    """(apps, latency) of the rows through the real adb server."""

    memory_size: int | None = 3000
    """Phone size of the peak-memory rows (None: none)."""

    ios: bool = True
    """Whether to run the iPhone benchmark."""

    ios_repeat: int = 5
    """Runs per iPhone row."""

    signatures: bool = True
    """Whether to measure the signature feed."""

    load_repeat: int = 7
    """Repeated in-process loads of the feed."""

    first_load_repeat: int = 3
    """Fresh processes, each loading the feed once."""

    match_repeat: int = 21
    """Matching passes over 1,000 apps."""

    stix2_repeat: int = 1
    """Fresh processes loading Echap's STIX2 file (about 2 s each; 0: not measured)."""

    yara: bool = True
    """Whether to measure YARA."""

    dex_mb: float = 4.0
    """Size of each DEX file YARA scans."""

    dex_count: int = 4
    """Number of DEX files (each in its own APK)."""

    yara_repeat: int = 5
    """YARA passes over all DEX files."""


FULL = Plan()
QUICK = Plan(android_sizes=(50, 300), repeat=1, real_adb=((300, 0),), memory_size=1000, ios_repeat=1,
             load_repeat=3, first_load_repeat=1, match_repeat=7, dex_mb=2.0, dex_count=2, yara_repeat=3)


# --------------------------------------------------------------------------- iPhone
def _load_benchmark(name: str) -> object | None:
    """``benchmarks/NAME.py`` as a module, or None when it does not exist (yet)."""
    if not (HERE / f"{name}.py").is_file():
        return None
    return importlib.import_module(name)


_IOS_SIZE = re.compile(r"^(\d+) apps \((\d+) on the simulated phone\)")
_IOS_FIGURE = re.compile(r"^\s+(acquisition|whole scan \(\+ analysis\)|re-parse preserved bytes):\s+"
                         r"([\d.]+) ms \(min [\d.]+, n=(\d+)\)")


def parse_ios_output(text: str) -> dict[int, dict[str, tuple[float, int]]]:
    """bench_ios.py's printed figures: apps -> {figure: (median ms, runs)}."""
    parsed: dict[int, dict[str, tuple[float, int]]] = {}
    current: dict[str, tuple[float, int]] | None = None
    for line in text.splitlines():
        size = _IOS_SIZE.match(line)
        if size:
            current = parsed.setdefault(int(size.group(1)), {})
            continue
        figure = _IOS_FIGURE.match(line)
        if figure and current is not None:
            current[figure.group(1)] = (float(figure.group(2)), int(figure.group(3)))
    return parsed


def ios_rows(repeat: int) -> list[Row]:
    """The iPhone rows: ``bench_ios.run(repeat=...)`` when it offers one, else its printed
    output (it prints medians for 100 and 1,000 apps), else "not available yet"."""
    def unavailable(why: str) -> list[Row]:
        return [skipped(IOS_SECTION, f"{size:,} apps", "s", why) for size in IOS_SIZES]

    module = _load_benchmark("bench_ios")
    if module is None:
        return unavailable("not available yet: benchmarks/bench_ios.py does not exist")
    run = getattr(module, "run", None)
    if callable(run):
        return list(run(repeat=repeat))
    done = subprocess.run([sys.executable, str(HERE / "bench_ios.py"), "--repeat", str(repeat)],
                          capture_output=True, text=True, timeout=600, check=False)
    parsed = parse_ios_output(done.stdout)
    if done.returncode != 0 or not parsed:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return unavailable(f"bench_ios.py failed (exit {done.returncode}): {tail[0][:200]}")
    rows = []
    for size in IOS_SIZES:
        figures = parsed.get(size)
        if not figures or "whole scan (+ analysis)" not in figures:
            rows += [skipped(IOS_SECTION, f"{size:,} apps", "s", "bench_ios.py printed no figure for this size")]
            continue
        whole_ms, runs = figures["whole scan (+ analysis)"]
        reading = figures.get("acquisition")
        reparse = figures.get("re-parse preserved bytes")
        note = "simulated iPhone over usbmuxd (unmodified pymobiledevice3); figures from bench_ios.py's output"
        if reparse:
            note += f"; re-parsing the preserved answers alone: {reparse[0]:.0f} ms"
        rows.append(Row(IOS_SECTION, f"{size:,} apps, whole scan", whole_ms / 1000, "s", repeats=runs, apps=size,
                        extra=f"reading {reading[0] / 1000:.2f}" if reading else "", note=note))
    return rows


# --------------------------------------------------------------------------- all rows
def _section(name: str, measure: Callable[[], list[Row]], log: Callable[[str], None]) -> list[Row]:
    """Run one section; a failure becomes a row saying so, and the other sections still run."""
    log(f"measuring: {name} ...")
    started = time.perf_counter()
    try:
        rows = measure()
    except Exception as exc:  # one broken benchmark must not cost the whole table
        traceback.print_exc(file=sys.stderr)
        rows = [Row(name, "FAILED", None, "", note=f"{type(exc).__name__}: {exc}"[:300])]
    log(f"  {name}: {time.perf_counter() - started:.0f} s")
    return rows


def collect(plan: Plan, work: Path, *, log: Callable[[str], None] = lambda _: None) -> list[Row]:
    """Every row of the table, in print order. ``work`` is a scratch folder (case folders go
    there and are removed as soon as they are measured)."""
    import bench_android
    import bench_signatures
    import bench_yara

    from stalkerscan.signatures.signature_set import load_signature_set

    signature_files = echap_signature_files()
    signatures = load_signature_set(signature_files, include_community=False)
    rows: list[Row] = []
    if plan.android_sizes:
        rows += _section(bench_android.SECTION, lambda: bench_android.host_server_rows(
            work, signatures, sizes=plan.android_sizes, latencies_ms=plan.latencies_ms, repeat=plan.repeat,
            default_policy_size=plan.default_policy_size, pull_all_size=plan.pull_all_size), log)
    if plan.real_adb:
        rows += _section(bench_android.SECTION_REAL_ADB, lambda: bench_android.real_adb_rows(
            work, signatures, cases=plan.real_adb, repeat=plan.repeat), log)
    if plan.ios:
        rows += _section(IOS_SECTION, lambda: ios_rows(plan.ios_repeat), log)
    if plan.signatures:
        rows += _section("Signatures", lambda: bench_signatures.run(
            load_repeat=plan.load_repeat, match_repeat=plan.match_repeat,
            first_repeat=plan.first_load_repeat, stix2_repeat=plan.stix2_repeat), log)
    if plan.yara:
        rows += _section("YARA", lambda: bench_yara.run(dex_mb=plan.dex_mb, count=plan.dex_count,
                                                        repeat=plan.yara_repeat), log)
    if plan.memory_size:
        rows += _section(bench_android.SECTION_MEMORY, lambda: bench_android.memory_rows(
            work, signature_files, size=plan.memory_size), log)
    return rows


def describe_plan(plan: Plan) -> dict[str, str]:
    """What this run measured, for the header."""
    files = echap_signature_files()
    return {
        "signatures for scans": "stalkerscan's own + " + (", ".join(p.name for p in files) if files
                                                          else "nothing else (Echap's feed is not here)"),
        "repeats": f"{plan.repeat} per Android scan row, {plan.ios_repeat} per iPhone row",
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller phones, fewer repeats (under a minute)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--repeat", type=int, help="runs per scan row (default 5; 1 with --quick)")
    parser.add_argument("--no-real-adb", action="store_true", help="skip the rows through the real adb server")
    parser.add_argument("--no-ios", action="store_true", help="skip the iPhone rows")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory rows")
    options = parser.parse_args(argv)

    plan = QUICK if options.quick else FULL
    if options.repeat:
        plan = replace(plan, repeat=options.repeat, ios_repeat=options.repeat)
    if options.no_real_adb:
        plan = replace(plan, real_adb=())
    if options.no_ios:
        plan = replace(plan, ios=False)
    if options.no_memory:
        plan = replace(plan, memory_size=None)

    facts = machine_facts()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="stalkerscan-bench-") as tmp, isolated_home(Path(tmp)):
        rows = collect(plan, Path(tmp), log=lambda line: print(line, file=sys.stderr, flush=True))
    facts.update(describe_plan(plan))
    facts["benchmark wall time"] = f"{time.perf_counter() - started:.0f} s"
    print(render_table(rows, facts, markdown=options.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
