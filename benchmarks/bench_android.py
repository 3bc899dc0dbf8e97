"""Android scan benchmark: requests, bytes and wall time of a full scan against simulated phones.

Run: ``.venv/bin/python benchmarks/bench_android.py [--sizes 50 300] [--latencies 0 10] [--repeat 3]``
(or ``benchmarks/run.py`` for the whole table).

Each row is a full :func:`stalkerscan.api.scan` into a fresh case folder (acquire, preserve,
parse, match, JSON + HTML + Markdown reports, seal) of a simulated phone with about N apps,
through the in-process ADB host-protocol server, with ``latency_ms`` added by the phone before
each request it answers. Request counts come from the scanner's own accounting (the case's
``acquisition.json``) and are cross-checked against the phone's request log. Optional rows go
through Debian's real adb server (stalkerscan -> adb server -> simulated adbd), and the peak
memory of a large scan is measured in a child process (so the simulated phone, which lives in
this process, is not counted).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, echap_signature_files, isolated_home, median, skipped  # noqa: E402

SECTION = "Android scan"
SECTION_REAL_ADB = "Android scan, real adb server"
SECTION_MEMORY = "Memory"
SIDELOADED_APPS = 3
"""Apps installed over adb on the phone of the default-policy row, so that APK pulls show."""


# --------------------------------------------------------------------------- phones
@lru_cache(maxsize=1)
def system_app_count() -> int:
    """How many packages the simulated system image holds (the floor of a realistic phone)."""
    from stalkerscan.simulator.android.profile import parse_android_profile

    profile = parse_android_profile({"platform": "android", "name": "bench-floor",
                                     "generate": {"ordinary_apps": 0}}, source="<bench>")
    return len(profile.apps)


def bench_profile(apps: int, *, latency_ms: float = 0.0, sideloaded: int = 0) -> dict[str, Any]:
    """A fictional Pixel with ``apps`` installed packages in all.

    From about 90 apps up, the vendor's system image plus store apps (as on a real phone);
    below that, store apps only (no real phone is that small, but MVT's figure is for 50).
    ``sideloaded`` of them are ``org.example.bench.sideloaded*`` apps installed over adb.
    """
    system = system_app_count()
    with_system = apps >= system
    ordinary = max(0, (apps - system if with_system else apps) - sideloaded)
    return {
        "platform": "android",
        "name": f"bench-{apps}",
        "seed": 4242,
        "device": {"model": "Pixel 7", "android_version": "14"},
        "generate": {"ordinary_apps": ordinary, "system_apps": with_system, "seed": 4242},
        "apps": [{"package": f"org.example.bench.sideloaded{i}", "label": f"Bench sideloaded {i}",
                  "installer": "com.android.shell", "initiating": "com.android.shell"}
                 for i in range(sideloaded)],
        "faults": {"latency_ms": latency_ms},
    }


def build_phone(apps: int, *, latency_ms: float = 0.0, sideloaded: int = 0) -> Any:
    """A :class:`SimulatedAndroidPhone` from :func:`bench_profile`."""
    from stalkerscan.simulator.android.phone import SimulatedAndroidPhone
    from stalkerscan.simulator.android.profile import parse_android_profile

    profile = parse_android_profile(bench_profile(apps, latency_ms=latency_ms, sideloaded=sideloaded),
                                    source="<bench>")
    return SimulatedAndroidPhone.from_profile(profile)


def prebuild_apks(phone: Any) -> int:
    """Build every APK the phone serves (the simulator builds them on first read), so that
    the phone's own work is not timed as the scanner's; returns how many."""
    built = 0
    listing = phone.shell("pm list packages -f", layer="bench").stdout.decode("utf-8", "replace")
    folders = {line[len("package:"):].rsplit("=", 1)[0].rsplit("/", 1)[0]
               for line in listing.splitlines() if line.startswith("package:")}
    for folder in sorted(folders):
        for name in phone.listdir(folder):
            if name.endswith(".apk") and phone.read_file(f"{folder}/{name}") is not None:
                built += 1
    return built


@lru_cache(maxsize=1)
def simulator_delays_small_writes() -> bool:
    """True when the simulated ADB servers leave Nagle's algorithm on (no ``TCP_NODELAY`` in
    their sources): a small write after a larger one then waits for the peer's delayed ACK,
    about 40 ms on Linux, once per sync pull and per request through the real adb server."""
    import stalkerscan.simulator.android as package

    sources = Path(package.__file__).parent.glob("*.py")
    return not any("TCP_NODELAY" in path.read_text(encoding="utf-8", errors="replace") for path in sources)


NAGLE_NOTE = ("includes about 40 ms per sync pull (and per request through the real adb server) that the "
              "simulated servers add: without TCP_NODELAY their small final writes wait for a delayed ACK; "
              "see docs/performance.md")


def set_latency(phone: Any, latency_ms: float) -> None:
    """Change the phone's per-request latency in place (both ADB layers read it per request)."""
    phone.faults = dataclasses.replace(phone.faults, latency_ms=latency_ms)


# --------------------------------------------------------------------------- one scan
class _Stopwatch:
    """A :class:`~stalkerscan.acquire.progress.Progress` that notes when reading the phone ends."""

    def __init__(self) -> None:
        self.done_at: float | None = None
        self.warnings: list[str] = []

    def start(self, total: int) -> None:
        pass

    def step(self, description: str) -> None:
        pass

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def done(self) -> None:
        self.done_at = time.perf_counter()


@dataclass(frozen=True)
class ScanFigures:
    """What one scan cost."""

    seconds: float
    """Wall time of the whole ``api.scan`` call."""

    acquisition_seconds: float | None
    """From the call until the phone was last read (connect, every read, APK pulls)."""

    cpu_seconds: float
    """CPU time of the scanning thread alone (the simulated phone answers from other threads):
    far less sensitive than wall time to other programs on a shared machine."""

    shell_requests: int
    """Shell requests of the inventory (the scanner's count; ``pm path`` excluded)."""

    apk_requests: int
    """``pm path`` requests plus sync pulls."""

    bytes_read: int
    """Bytes read from the phone."""

    apps: int
    """Apps in the parsed inventory."""

    complete: bool
    """Whether the acquisition finished."""

    problems: tuple[str, ...]
    """Anything odd: the phone's log disagreeing with the scanner, refused writes, errors."""


def scan_once(out: Path, signatures: Any, *, adb_port: int, phone: Any, adb_host: str = "127.0.0.1",
              serial: str | None = None, pull_apks: str = "none") -> ScanFigures:
    """One full ``api.scan`` of ``phone`` into ``out``; the phone's request log is reset first."""
    from stalkerscan import api
    from stalkerscan.preserve.case import CaseFolder

    phone.log.clear()
    watch = _Stopwatch()
    cpu_started = time.thread_time()
    started = time.perf_counter()
    case = api.scan(out, platform="android", serial=serial, adb_host=adb_host, adb_port=adb_port,
                    signatures=signatures, pull_apks=pull_apks, wait_seconds=10, progress=watch)
    seconds = time.perf_counter() - started
    cpu_seconds = time.thread_time() - cpu_started
    facts = CaseFolder.open(case.path).acquisition() or {}
    shell = int(facts.get("shell_requests", -1))
    apk = int(facts.get("pull_requests", -1))
    problems = []
    entries = phone.log.entries()
    phone_shell = sum(1 for e in entries if e.service in ("shell", "exec"))
    phone_sync = sum(1 for e in entries if e.service == "sync")
    if phone_shell + phone_sync != shell + apk:
        problems.append(f"phone log: {phone_shell} shell + {phone_sync} sync requests")
    refused = phone.log.write_attempts()
    if refused:
        problems.append(f"{len(refused)} REFUSED WRITE REQUESTS")
    if not case.complete:
        problems.append(f"incomplete: {case.error or (case.result and case.result.info.incomplete_reason)}")
    apps = len(case.result.inventory.apps) if case.result else 0
    return ScanFigures(
        seconds=seconds,
        acquisition_seconds=(watch.done_at - started) if watch.done_at else None,
        cpu_seconds=cpu_seconds,
        shell_requests=shell, apk_requests=apk, bytes_read=int(facts.get("bytes_read", 0)),
        apps=apps, complete=case.complete, problems=tuple(problems),
    )


def _row(section: str, measure: str, runs: Sequence[ScanFigures], note: str = "") -> Row:
    last = runs[-1]
    acquisition = [r.acquisition_seconds for r in runs if r.acquisition_seconds is not None]
    problems = sorted({p for r in runs for p in r.problems})
    also = [f"reading {median(acquisition):.2f}" if acquisition else "",
            f"CPU {median([r.cpu_seconds for r in runs]):.2f}", f"min {min(r.seconds for r in runs):.2f}"]
    return Row(
        section, measure, median([r.seconds for r in runs]), "s", repeats=len(runs),
        shell_requests=last.shell_requests, apk_requests=last.apk_requests, bytes_read=last.bytes_read,
        apps=last.apps, extra=" · ".join(filter(None, also)),
        note="; ".join([*problems, *filter(None, [note])]),
    )


class _Cases:
    """Fresh case folders under ``work``, removed once measured (a 3,000-app case is ~15 MB)."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.count = 0

    def scan(self, **kwargs: Any) -> ScanFigures:
        self.count += 1
        out = self.work / f"case-{self.count}"
        try:
            return scan_once(out, **kwargs)
        finally:
            shutil.rmtree(out, ignore_errors=True)


# --------------------------------------------------------------------------- rows
def host_server_rows(work: Path, signatures: Any, *, sizes: Sequence[int] = (50, 300, 1000, 3000),
                     latencies_ms: Sequence[float] = (0, 10), repeat: int = 3,
                     default_policy_size: int | None = 300, pull_all_size: int | None = 50) -> list[Row]:
    """Full scans through the in-process host-protocol server, for each size and latency,
    plus one with the default APK policy on a phone with a few sideloaded apps, and one pulling
    every APK (what MVT's old check-adb did per app, for comparison)."""
    from stalkerscan.simulator.android.run import running_host_server

    cases = _Cases(work)
    rows: list[Row] = []
    warmed = False
    for size in sizes:
        phone = build_phone(size)
        with running_host_server([phone]) as address:
            if not warmed:  # imports, lazy caches and the simulator's first outputs: not measured
                cases.scan(adb_port=address.port, phone=phone, signatures=signatures)
                warmed = True
            for latency in latencies_ms:
                set_latency(phone, latency)
                runs = [cases.scan(adb_port=address.port, phone=phone, signatures=signatures)
                        for _ in range(max(1, repeat))]
                rows.append(_row(SECTION, f"{size:,} apps, {latency:g} ms/req, no APKs", runs))
    if default_policy_size:
        phone = build_phone(default_policy_size, sideloaded=SIDELOADED_APPS)
        prebuild_apks(phone)
        with running_host_server([phone]) as address:
            runs = [cases.scan(adb_port=address.port, phone=phone, signatures=signatures, pull_apks="default")
                    for _ in range(max(1, repeat))]
        note = f"{SIDELOADED_APPS} apps installed over adb are pulled"
        if simulator_delays_small_writes():
            note += "; " + NAGLE_NOTE
        rows.append(_row(SECTION, f"{default_policy_size:,} apps, 0 ms/req, default APKs", runs, note=note))
    if pull_all_size:
        phone = build_phone(pull_all_size)
        prebuild_apks(phone)
        with running_host_server([phone]) as address:
            runs = [cases.scan(adb_port=address.port, phone=phone, signatures=signatures, pull_apks="all")
                    for _ in range(max(1, min(repeat, 3)))]
        note = ("every APK pulled, hashed and its certificates read on the laptop (one `pm path` per app, one "
                "sync pull per APK file); the simulator's APKs are small")
        if simulator_delays_small_writes():
            note += "; " + NAGLE_NOTE
        rows.append(_row(SECTION, f"{pull_all_size:,} apps, 0 ms/req, all APKs", runs, note=note))
    return rows


def real_adb_rows(work: Path, signatures: Any, *, cases: Sequence[tuple[int, float]] = ((300, 0), (300, 10)),
                  repeat: int = 3) -> list[Row]:
    """Full scans through Debian's (or Google's) real adb server to a simulated adbd."""
    if not cases:
        return []
    if shutil.which(os.environ.get("ADB") or "adb") is None:
        return [skipped(SECTION_REAL_ADB, f"{size:,} apps, {latency:g} ms/req", "s",
                        "adb is not installed here (Debian: apt install adb): not measured")
                for size, latency in cases]
    from stalkerscan.simulator.android.run import AdbServerProcess, running_adbd

    folders = _Cases(work)
    rows = []
    with AdbServerProcess() as server:
        for size, latency in cases:
            phone = build_phone(size, latency_ms=latency)
            with running_adbd(phone) as address:
                server.connect(address.host, address.port)
                server.wait_for_state(address.serial, "device")
                try:
                    runs = [folders.scan(adb_port=server.port, serial=address.serial, phone=phone,
                                         signatures=signatures) for _ in range(max(1, repeat))]
                finally:
                    server.disconnect(address.serial)
            note = "adb server -> simulated adbd (transport protocol)"
            if simulator_delays_small_writes():
                note += "; " + NAGLE_NOTE
            rows.append(_row(SECTION_REAL_ADB, f"{size:,} apps, {latency:g} ms/req, no APKs", runs, note=note))
    return rows


# --------------------------------------------------------------------------- memory
def _child_command(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *args]


def _run_child(args: Sequence[str]) -> dict[str, Any]:
    """Run this script as a child and return its JSON answer."""
    done = subprocess.run(_child_command(*args), capture_output=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"child scan failed ({done.returncode}): "
                           f"{done.stderr.decode('utf-8', 'replace')[-1500:]}")
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def peak_rss_bytes() -> int | None:
    """This process's peak resident set size, measured from its own ``exec``.

    On Linux, ``ru_maxrss`` (from ``getrusage`` or ``wait4``) keeps the high-water mark of the
    process image *before* ``exec``: a child spawned by a 100 MB parent reports at least 100 MB
    (CPython spawns with vfork). ``VmHWM`` in ``/proc/self/status`` is the same high-water mark
    for the current image only. Elsewhere: ``ru_maxrss`` (bytes on macOS).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
    except ImportError:  # Windows
        return None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def memory_rows(work: Path, signature_files: Sequence[Path], *, size: int = 3000) -> list[Row]:
    """Peak memory of a full scan of a ``size``-app phone, in child processes (the simulated
    phone stays in this one): the tracemalloc peak of the scan call (Python allocations), and
    the child's peak resident set size (whole process), beside a child that only imports."""
    from stalkerscan.simulator.android.run import running_host_server

    phone = build_phone(size)
    files = [str(p) for p in signature_files]
    baseline = _run_child(["--child-idle"])
    with running_host_server([phone]) as address:
        common = ["--adb-port", str(address.port), "--signatures", *files]
        plain = _run_child(["--child-scan", "--out", str(work / "memory-rss"), *common])
        traced = _run_child(["--child-scan", "--tracemalloc", "--out", str(work / "memory-traced"), *common])
    for folder in ("memory-rss", "memory-traced"):
        shutil.rmtree(work / folder, ignore_errors=True)
    apps = plain.get("apps")
    rows = [Row(SECTION_MEMORY, f"{size:,}-app scan: tracemalloc peak", traced["tracemalloc_peak"] / 1e6, "MB",
                repeats=1, apps=apps, note="Python allocations during the api.scan call (signatures "
                "loaded beforehand), in a child process; the simulated phone is not counted"),
            Row(SECTION_MEMORY, "signature loading: tracemalloc peak", traced["signatures_peak"] / 1e6, "MB",
                repeats=1, note="stalkerscan's own signatures plus the feed files the scans use, "
                "loaded and indexed in the same child before the scan")]
    rss = plain.get("peak_rss")
    note = "peak RSS of the whole child process (VmHWM on Linux: its ru_maxrss would include the "
    note += "parent's memory at spawn)"
    if baseline.get("peak_rss"):
        note += f"; a child that only imports stalkerscan peaks at {baseline['peak_rss'] / 1e6:.0f} MB"
    rows.append(Row(SECTION_MEMORY, f"{size:,}-app scan: peak RSS", rss / 1e6 if rss else None, "MB",
                    repeats=1, apps=apps, extra=f"scan {plain['seconds']:.1f} s", note=note))
    return rows


def _child_idle() -> int:
    import stalkerscan.api  # noqa: F401 - the imports are what is measured

    print(json.dumps({"peak_rss": peak_rss_bytes()}))
    return 0


def _child_scan(options: argparse.Namespace) -> int:
    import tracemalloc

    from stalkerscan import api
    from stalkerscan.signatures.signature_set import load_signature_set

    if options.tracemalloc:
        tracemalloc.start()
    signatures = load_signature_set(options.signatures, include_community=False)
    signatures.index  # noqa: B018 - built here, not inside the scan
    signatures_peak = tracemalloc.get_traced_memory()[1] if options.tracemalloc else None
    if options.tracemalloc:
        tracemalloc.reset_peak()
    started = time.perf_counter()
    case = api.scan(options.out, platform="android", adb_host="127.0.0.1", adb_port=options.adb_port,
                    signatures=signatures, pull_apks="none", wait_seconds=10)
    seconds = time.perf_counter() - started
    scan_peak = tracemalloc.get_traced_memory()[1] if options.tracemalloc else None
    print(json.dumps({"seconds": seconds, "signatures_peak": signatures_peak, "tracemalloc_peak": scan_peak,
                      "peak_rss": peak_rss_bytes(), "complete": case.complete,
                      "apps": len(case.result.inventory.apps) if case.result else None}))
    return 0 if case.complete else 4


# --------------------------------------------------------------------------- all of it
def run(work: Path, *, sizes: Sequence[int] = (50, 300, 1000, 3000), latencies_ms: Sequence[float] = (0, 10),
        repeat: int = 3, default_policy_size: int | None = 300, pull_all_size: int | None = 50,
        real_adb: Sequence[tuple[int, float]] = ((300, 0), (300, 10)), memory_size: int | None = 3000,
        signature_files: Sequence[Path] | None = None) -> list[Row]:
    """Every Android row: host-protocol scans, real adb server scans, peak memory.

    ``signature_files`` default to the full Echap feed beside the checkout (when present) on
    top of stalkerscan's own signatures, loaded once, as a clinic's run would.
    """
    from stalkerscan.signatures.signature_set import load_signature_set

    files = list(echap_signature_files() if signature_files is None else signature_files)
    signatures = load_signature_set(files, include_community=False)
    rows = host_server_rows(work, signatures, sizes=sizes, latencies_ms=latencies_ms, repeat=repeat,
                            default_policy_size=default_policy_size, pull_all_size=pull_all_size)
    rows += real_adb_rows(work, signatures, cases=real_adb, repeat=repeat)
    if memory_size:
        rows += memory_rows(work, files, size=memory_size)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 300, 1000, 3000])
    parser.add_argument("--latencies", type=float, nargs="+", default=[0, 10], help="ms per request")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-real-adb", action="store_true")
    parser.add_argument("--memory-size", type=int, default=3000, help="0 to skip")
    # Child modes for memory measurements (used by memory_rows, not by people).
    parser.add_argument("--child-idle", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-scan", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tracemalloc", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--adb-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--signatures", nargs="*", default=[], help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child_idle:
        return _child_idle()
    if options.child_scan:
        return _child_scan(options)

    from _common import machine_facts, render_table

    with tempfile.TemporaryDirectory(prefix="stalkerscan-bench-android-") as tmp, isolated_home(Path(tmp)):
        rows = run(Path(tmp), sizes=options.sizes, latencies_ms=options.latencies, repeat=options.repeat,
                   real_adb=() if options.no_real_adb else ((300, 0), (300, 10)),
                   memory_size=options.memory_size or None)
    print(render_table(rows, machine_facts()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
