"""YARA throughput over DEX files: compile, cached load, and MB/s scanned.

Run: ``.venv/bin/python benchmarks/bench_yara.py [--dex-mb 8] [--count 4]``. Uses Echap's
``rules.yar`` from ``shared/feeds/echap/`` beside the repository when present (read in place),
else a small example rule set. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import shutil
import string
import subprocess
import tempfile
import time
from pathlib import Path

from stalkerscan.match.yara_scanner import YaraScanner, compile_rules
from stalkerscan.simulator.apkgen import ApkSpec, build_apk, build_dex

FALLBACK_RULES = """
rule example_bench { strings: $a = "org.example.bench.one" ascii $b = /org\\/example\\/[a-z]{8}\\/a;/
  condition: uint16(0) == 0x6564 and any of them }
"""


def find_echap_rules() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "feeds" / "echap" / "rules.yar"
        if candidate.is_file():
            return candidate
    return None


def make_dex(seed: int, megabytes: float) -> bytes:
    """A DEX of roughly ``megabytes`` MB of class-name-like and text strings."""
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + "/;$_."
    strings: set[str] = set()
    size = 0
    while size < megabytes * 1_000_000:
        text = "L" + "".join(rng.choices(alphabet, k=rng.randint(12, 60))) + ";"
        strings.add(text)
        size += len(text) + 6
    return build_dex(strings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dex-mb", type=float, default=8.0, help="size of each DEX (MB)")
    parser.add_argument("--count", type=int, default=4, help="number of APKs")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-yara-") as tmp:
        root = Path(tmp)
        rules_path = find_echap_rules()
        if rules_path is None:
            rules_path = root / "example.yar"
            rules_path.write_text(FALLBACK_RULES)
        cache = root / "cache"

        started = time.perf_counter()
        compiled = compile_rules([rules_path], cache_dir=cache)
        compile_s = time.perf_counter() - started
        started = time.perf_counter()
        cached = compile_rules([rules_path], cache_dir=cache)
        cached_s = time.perf_counter() - started
        assert cached.from_cache

        dexes = [make_dex(n, args.dex_mb) for n in range(args.count)]
        apks = [build_apk(ApkSpec(f"org.example.bench{n}", extra_entries={"classes2.dex": d}))
                for n, d in enumerate(dexes)]
        dex_bytes = sum(len(d) for d in dexes)

        rules = compiled.rules
        assert rules is not None
        started = time.perf_counter()
        for dex in dexes:
            rules.match(data=dex, timeout=60)
        raw_s = time.perf_counter() - started

        scanner = YaraScanner(compiled)
        started = time.perf_counter()
        scanned = sum(scanner.scan_apk(apk).bytes_scanned for apk in apks)
        apk_s = time.perf_counter() - started

        print(f"rules: {rules_path.name} ({compiled.rule_count} rules)")
        print(f"compile (no cache)          {compile_s * 1000:8.1f} ms")
        print(f"load from cache             {cached_s * 1000:8.1f} ms")
        print(f"DEX files                   {len(dexes)} x {dex_bytes / len(dexes) / 1e6:.1f} MB")
        print(f"YARA over DEX bytes         {dex_bytes / 1e6 / raw_s:8.1f} MB/s")
        print(f"scan_apk (unzip + YARA)     {scanned / 1e6 / apk_s:8.1f} MB/s of DEX "
              f"({sum(len(a) for a in apks) / 1e6:.1f} MB of APK)")

        yara_cli = shutil.which("yara")
        if yara_cli:
            for n, dex in enumerate(dexes):
                (root / f"d{n}.dex").write_bytes(dex)
            started = time.perf_counter()
            for n in range(len(dexes)):
                subprocess.run([yara_cli, str(rules_path), str(root / f"d{n}.dex")],
                               check=False, capture_output=True)
            cli_s = time.perf_counter() - started
            print(f"yara command line           {dex_bytes / 1e6 / cli_s:8.1f} MB/s "
                  "(includes compiling per file)")
        else:
            print("yara command line           not installed (Debian package 'yara')")


if __name__ == "__main__":
    main()
