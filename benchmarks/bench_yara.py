"""YARA throughput over DEX files: compile, cached load, and MB/s scanned.

Run: ``.venv/bin/python benchmarks/bench_yara.py [--dex-mb 8] [--count 4]``. Uses Echap's
``rules.yar`` from ``shared/feeds/echap/`` beside the repository when present (read in place),
else a small example rule set. Prints figures; asserts nothing. ``run()`` gives the rows of
``benchmarks/run.py``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import echap_dir, median  # noqa: E402

from stalkerscan.match.yara_scanner import YaraScanner, compile_rules
from stalkerscan.simulator.apkgen import ApkSpec, build_apk, build_dex

FALLBACK_RULES = """
rule example_bench { strings: $a = "org.example.bench.one" ascii $b = /org\\/example\\/[a-z]{8}\\/a;/
  condition: uint16(0) == 0x6564 and any of them }
"""


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


def measure(root: Path, *, dex_mb: float = 8.0, count: int = 4, repeat: int = 1) -> dict:
    """Compile (cold, cached), then scan ``count`` DEX files of ``dex_mb`` MB with yara-python
    directly and through ``scan_apk`` (unzip + limits + YARA), and with the ``yara`` command
    line when installed. Throughputs are medians over ``repeat`` passes; times in seconds."""
    echap = echap_dir()
    rules_path = echap / "rules.yar" if echap is not None and (echap / "rules.yar").is_file() else None
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

    dexes = [make_dex(n, dex_mb) for n in range(count)]
    apks = [build_apk(ApkSpec(f"org.example.bench{n}", extra_entries={"classes2.dex": d}))
            for n, d in enumerate(dexes)]
    dex_bytes = sum(len(d) for d in dexes)
    rules = compiled.rules
    assert rules is not None
    scanner = YaraScanner(compiled)

    raw_s, apk_s, scanned = [], [], 0
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        for dex in dexes:
            rules.match(data=dex, timeout=60)
        raw_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        scanned = sum(scanner.scan_apk(apk).bytes_scanned for apk in apks)
        apk_s.append(time.perf_counter() - started)

    figures = {"rules": rules_path.name, "rule_count": compiled.rule_count, "compile_s": compile_s,
               "cached_s": cached_s, "dex_count": len(dexes), "dex_bytes": dex_bytes,
               "apk_bytes": sum(len(a) for a in apks), "scanned_bytes": scanned,
               "raw_mb_s": [dex_bytes / 1e6 / t for t in raw_s],
               "apk_mb_s": [scanned / 1e6 / t for t in apk_s], "cli_mb_s": None}

    yara_cli = shutil.which("yara")
    if yara_cli:
        folder = root / "dex"
        folder.mkdir()
        for n, dex in enumerate(dexes):
            (folder / f"d{n}.dex").write_bytes(dex)
        (root / "empty.dex").write_bytes(b"")
        cli = []
        for _ in range(max(1, repeat)):
            # One process over the folder, one thread (like yara-python here), minus the cost
            # of starting and compiling (the same command on an empty file).
            started = time.perf_counter()
            subprocess.run([yara_cli, "-p", "1", str(rules_path), str(folder)], check=False, capture_output=True)
            whole = time.perf_counter() - started
            started = time.perf_counter()
            subprocess.run([yara_cli, str(rules_path), str(root / "empty.dex")], check=False, capture_output=True)
            empty = time.perf_counter() - started
            cli.append(dex_bytes / 1e6 / max(whole - empty, 1e-6))
        figures["cli_mb_s"] = cli
    return figures


def run(*, dex_mb: float = 4.0, count: int = 4, repeat: int = 5) -> list:
    """Rows for ``benchmarks/run.py``."""
    from _common import Row

    section = "YARA"
    with tempfile.TemporaryDirectory(prefix="bench-yara-") as tmp:
        f = measure(Path(tmp), dex_mb=dex_mb, count=count, repeat=repeat)
    what = f"{f['dex_count']} DEX x {f['dex_bytes'] / f['dex_count'] / 1e6:.1f} MB, {f['rules']} ({f['rule_count']} rules)"
    rows = [
        Row(section, "yara-python over DEX bytes", median(f["raw_mb_s"]), "MB/s",
            repeats=len(f["raw_mb_s"]), bytes_read=f["dex_bytes"], note=what),
        Row(section, "scan_apk: unzip + limits + YARA", median(f["apk_mb_s"]), "MB/s",
            repeats=len(f["apk_mb_s"]), bytes_read=f["scanned_bytes"],
            note=f"MB/s of DEX scanned out of {f['apk_bytes'] / 1e6:.1f} MB of APKs"),
        Row(section, "compile rules (cold)", f["compile_s"] * 1000, "ms", repeats=1,
            extra=f"cached {f['cached_s'] * 1000:.1f} ms"),
    ]
    if f["cli_mb_s"] is None:
        rows.append(Row(section, "yara command line, same DEX", None, "MB/s",
                        note="the yara command line is not installed here (Debian package 'yara'): not measured"))
    else:
        rows.append(Row(section, "yara command line, same DEX", median(f["cli_mb_s"]),
                        "MB/s", repeats=len(f["cli_mb_s"]), bytes_read=f["dex_bytes"],
                        note="yara -p 1 over the folder, minus its start-up and compile time on an empty file"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dex-mb", type=float, default=8.0, help="size of each DEX (MB)")
    parser.add_argument("--count", type=int, default=4, help="number of APKs")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-yara-") as tmp:
        f = measure(Path(tmp), dex_mb=args.dex_mb, count=args.count)
    print(f"rules: {f['rules']} ({f['rule_count']} rules)")
    print(f"compile (no cache)          {f['compile_s'] * 1000:8.1f} ms")
    print(f"load from cache             {f['cached_s'] * 1000:8.1f} ms")
    print(f"DEX files                   {f['dex_count']} x {f['dex_bytes'] / f['dex_count'] / 1e6:.1f} MB")
    print(f"YARA over DEX bytes         {f['raw_mb_s'][0]:8.1f} MB/s")
    print(f"scan_apk (unzip + YARA)     {f['apk_mb_s'][0]:8.1f} MB/s of DEX "
          f"({f['apk_bytes'] / 1e6:.1f} MB of APK)")
    if f["cli_mb_s"] is not None:
        print(f"yara command line           {f['cli_mb_s'][0]:8.1f} MB/s (one thread, start-up and compile "
              "subtracted)")
    else:
        print("yara command line           not installed (Debian package 'yara')")


if __name__ == "__main__":
    main()
