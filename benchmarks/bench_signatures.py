"""Signature benchmark: load + index the full Echap feed, and match 1,000 apps.

Run: .venv/bin/python benchmarks/bench_signatures.py
Targets (issue 4): load and index under 150 ms; matching 1,000 apps under 10 ms.
Reads Echap's files in place from ../shared/feeds/echap (never copied).
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from pathlib import Path

from stalkerscan.model.android import (
    AndroidApp,
    AndroidDeviceInfo,
    AndroidInventory,
    ApkFile,
    CertificateInfo,
)
from stalkerscan.signatures.signature_set import load_signature_set


def _feeds() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "feeds" / "echap"
        if (candidate / "ioc.yaml").is_file():
            return candidate
    return None


def _timed(fn, repeat: int) -> tuple[float, float, object]:
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000, statistics.median(times) * 1000, result


def main() -> int:
    echap = _feeds()
    if echap is None:
        print("Echap's feed (../shared/feeds/echap) not found; nothing to measure.")
        return 0
    files = [echap / "ioc.yaml", echap / "watchware.yaml", echap / "samples.csv"]

    def load_and_index():
        sset = load_signature_set(files, include_community=False)
        sset.index  # noqa: B018 - building the index is what is measured
        return sset

    load_best, load_median, sset = _timed(load_and_index, 7)
    index = sset.index
    packages = sorted(v for v in index._maps["package"])  # noqa: SLF001 - benchmark only
    # 1,000 apps: 50 listed packages, the rest clean, each with an APK hash and a certificate.
    apps = []
    for i in range(1000):
        package = packages[(i // 20) % len(packages)] if i % 20 == 0 else f"org.example.app{i}"
        cert = CertificateInfo(sha256=f"{i:064x}", sha1=f"{i:040x}", subject="CN=x", issuer="CN=x",
                               scheme="v2")
        apps.append(AndroidApp(package=package, apks=(ApkFile(
            device_path=f"/data/app/{i}/base.apk", case_path=f"apks/{i}.apk", size=1,
            sha256=f"{i:064x}", sha1="", md5="", certificates=(cert,)),)))
    inventory = AndroidInventory(device=AndroidDeviceInfo(), apps=tuple(apps))
    match_best, match_median, matches = _timed(lambda: index.match_android(inventory), 21)

    counts = sset.counts()
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{platform.system()}")
    print(f"feed: ioc.yaml + watchware.yaml + samples.csv: {counts['families']} families, "
          f"{counts.get('package', 0)} packages, {counts.get('certificate_sha1', 0)} certificate SHA-1s, "
          f"{counts.get('apk_sha256', 0)} APK SHA-256s, {counts.get('domain', 0)} domains")
    print(f"{'measure':<40}{'best':>10}{'median':>10}{'target':>10}")
    print(f"{'load + index full Echap feed (ms)':<40}{load_best:>10.1f}{load_median:>10.1f}{'150':>10}")
    print(f"{'match 1,000 apps (ms)':<40}{match_best:>10.2f}{match_median:>10.2f}{'10':>10}")
    print(f"matches found: {len(matches)} (50 planted package names)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
