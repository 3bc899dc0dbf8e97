"""Signature benchmark: load + index the full Echap feed, and match 1,000 apps.

Run: .venv/bin/python benchmarks/bench_signatures.py (``run()`` gives the rows of benchmarks/run.py)
Targets (issue 4): load and index under 150 ms; matching 1,000 apps under 10 ms.
Reads Echap's files in place from ../shared/feeds/echap (never copied).
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import echap_dir, median, timed  # noqa: E402

from stalkerscan.model.android import (
    AndroidApp,
    AndroidDeviceInfo,
    AndroidInventory,
    ApkFile,
    CertificateInfo,
)
from stalkerscan.signatures.signature_set import load_signature_set


def _inventory_of_1000_apps(index) -> AndroidInventory:
    """1,000 apps: 50 with listed package names, the rest clean, each with an APK hash and a
    certificate (so every indicator kind is looked up)."""
    packages = sorted(v for v in index._maps["package"])  # noqa: SLF001 - benchmark only
    apps = []
    for i in range(1000):
        package = packages[(i // 20) % len(packages)] if i % 20 == 0 else f"org.example.app{i}"
        cert = CertificateInfo(sha256=f"{i:064x}", sha1=f"{i:040x}", subject="CN=x", issuer="CN=x",
                               scheme="v2")
        apps.append(AndroidApp(package=package, apks=(ApkFile(
            device_path=f"/data/app/{i}/base.apk", case_path=f"apks/{i}.apk", size=1,
            sha256=f"{i:064x}", sha1="", md5="", certificates=(cert,)),)))
    return AndroidInventory(device=AndroidDeviceInfo(), apps=tuple(apps))


def _feed_files(echap: Path) -> list[Path]:
    return [echap / "ioc.yaml", echap / "watchware.yaml", echap / "samples.csv"]


def measure(echap: Path, *, load_repeat: int = 7, match_repeat: int = 21) -> dict:
    """Load + index the feed ``load_repeat`` times in this process, then match 1,000 apps
    ``match_repeat`` times. Times in ms."""
    files = _feed_files(echap)

    def load_and_index():
        sset = load_signature_set(files, include_community=False)
        sset.index  # noqa: B018 - building the index is what is measured
        return sset

    load_s, sset = timed(load_and_index, load_repeat)
    index = sset.index
    inventory = _inventory_of_1000_apps(index)
    match_s, matches = timed(lambda: index.match_android(inventory), match_repeat)
    return {"load_best": min(load_s) * 1000, "load_median": median(load_s) * 1000,
            "match_best": min(match_s) * 1000, "match_median": median(match_s) * 1000,
            "matches": len(matches), "counts": sset.counts(),
            "load_repeat": load_repeat, "match_repeat": match_repeat}


_FIRST_LOAD = """
import json, sys, time
from pathlib import Path
from stalkerscan.signatures.signature_set import load_signature_set
files = [Path(p) for p in sys.argv[1:]]
cpu, started = time.process_time(), time.perf_counter()
load_signature_set(files, include_community=False).index
print(json.dumps([(time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000]))
"""


def first_load_ms(files: list[Path], repeat: int = 3) -> list[tuple[float, float]]:
    """Load + index ``files`` as a scan does it: once, in a fresh process (imports done before
    timing, no warm caches). One (wall, CPU) pair in ms per child process."""
    import json
    import subprocess

    times = []
    for _ in range(max(1, repeat)):
        done = subprocess.run([sys.executable, "-c", _FIRST_LOAD, *map(str, files)],
                              capture_output=True, text=True, timeout=300, check=True)
        wall, cpu = json.loads(done.stdout.strip().splitlines()[-1])
        times.append((float(wall), float(cpu)))
    return times


STIX2_FILE = "stalkerware-current-regenerated.stix2"
MEASURES = ("Echap feed load + index, fresh process", "Echap feed load + index, repeated", "match 1,000 apps")


def run(*, load_repeat: int = 7, match_repeat: int = 21, first_repeat: int = 3, stix2_repeat: int = 1) -> list:
    """Rows for ``benchmarks/run.py``: first load in a fresh process, repeated load, matching,
    and (``stix2_repeat`` > 0) the same indicators from Echap's STIX2 file, as MVT loads them."""
    from _common import Row, skipped, target_note

    section = "Signatures"
    echap = echap_dir()
    if echap is None:
        why = "Echap's feed (shared/feeds/echap beside the checkout) is not here: skipped"
        return [skipped(section, measure, "ms", why) for measure in MEASURES]
    figures = measure(echap, load_repeat=load_repeat, match_repeat=match_repeat)
    counts = figures["counts"]
    feed = (f"ioc.yaml + watchware.yaml + samples.csv: {counts['families']} families, "
            f"{counts.get('package', 0)} packages, {counts.get('certificate_sha1', 0)} certificate SHA-1s, "
            f"{counts.get('apk_sha256', 0)} APK SHA-256s, {counts.get('domain', 0)} domains")
    first = first_load_ms(_feed_files(echap), first_repeat)
    first_median = median(wall for wall, _ in first)
    first_cpu = median(cpu for _, cpu in first)
    rows = [
        Row(section, MEASURES[0], first_median, "ms", repeats=len(first),
            extra=f"min {min(w for w, _ in first):.0f} · CPU {first_cpu:.0f}",
            note=f"{target_note(first_median, 150, 'ms')}; {feed}"),
        Row(section, MEASURES[1], figures["load_median"], "ms",
            repeats=figures["load_repeat"], extra=f"min {figures['load_best']:.0f}",
            note=f"{target_note(figures['load_median'], 150, 'ms')}; same process, warm caches"),
        Row(section, MEASURES[2], figures["match_median"], "ms",
            repeats=figures["match_repeat"], apps=1000, extra=f"min {figures['match_best']:.2f}",
            note=f"{target_note(figures['match_median'], 10, 'ms')}; package, APK hash and certificate "
                 f"of each looked up; {figures['matches']} matches (50 planted package names)"),
    ]
    stix2 = echap / STIX2_FILE
    if stix2_repeat > 0 and stix2.is_file():
        times = first_load_ms([stix2], stix2_repeat)
        rows.append(Row(section, "Echap STIX2 file load + index, fresh process",
                        median(wall for wall, _ in times), "ms", repeats=len(times),
                        extra=f"CPU {median(cpu for _, cpu in times):.0f}",
                        note=f"{STIX2_FILE}: the same indicators as STIX2 patterns (the form MVT loads), "
                             "each parsed by stix2-patterns; not what `signatures update` downloads"))
    return rows


def main() -> int:
    echap = echap_dir()
    if echap is None:
        print("Echap's feed (../shared/feeds/echap) not found; nothing to measure.")
        return 0
    figures = measure(echap)
    counts = figures["counts"]
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{platform.system()}")
    print(f"feed: ioc.yaml + watchware.yaml + samples.csv: {counts['families']} families, "
          f"{counts.get('package', 0)} packages, {counts.get('certificate_sha1', 0)} certificate SHA-1s, "
          f"{counts.get('apk_sha256', 0)} APK SHA-256s, {counts.get('domain', 0)} domains")
    print(f"{'measure':<40}{'best':>10}{'median':>10}{'target':>10}")
    print(f"{'load + index full Echap feed (ms)':<40}{figures['load_best']:>10.1f}"
          f"{figures['load_median']:>10.1f}{'150':>10}")
    print(f"{'match 1,000 apps (ms)':<40}{figures['match_best']:>10.2f}{figures['match_median']:>10.2f}{'10':>10}")
    print(f"matches found: {figures['matches']} (50 planted package names)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
