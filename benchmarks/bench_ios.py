"""iPhone scan benchmark: a simulated iPhone with about 100 and about 1,000 apps.

Run: .venv/bin/python benchmarks/bench_ios.py [--repeat N]

Prints, for each size, the median time of
  * the acquisition alone (pair-record session, every read, answers streamed into a case),
  * the whole ``scan_iphone`` (acquisition + inventory + signatures + rules + JSON report + seal),
  * re-parsing the preserved answers into an inventory (``build_ios_inventory``).
Everything runs against the simulated iPhone over a private unix socket (unmodified
pymobiledevice3 underneath), with HOME pointed at a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _profile(apps: int) -> dict[str, Any]:
    """A fictional iPhone with about ``apps`` apps (iOS's own, store apps, then filler)."""
    from stalkerscan.simulator.ios.catalog import STORE_APPS, system_apps_for

    system = len(system_apps_for("17.5.1"))
    ordinary = max(0, min(len(STORE_APPS), apps - system))
    filler = max(0, apps - system - ordinary)
    return {
        "platform": "ios", "name": f"bench-{apps}", "seed": 99,
        "device": {"name": "Bench iPhone", "product_type": "iPhone14,5", "ios_version": "17.5.1",
                   "serial": "SIMBENCH0001"},
        "generate": {"system_apps": True, "ordinary_apps": ordinary, "seed": 99},
        "apps": [{"bundle_id": f"org.example.bench.app{i:04d}", "name": f"Bench {i}"} for i in range(filler)],
    }


def _median(times: list[float]) -> str:
    return f"{statistics.median(times) * 1000:8.1f} ms (min {min(times) * 1000:.1f}, n={len(times)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="stalkerscan-bench-ios-"))
    os.environ["HOME"] = str(work / "home")
    os.environ.pop("XDG_DATA_HOME", None)
    (work / "home").mkdir()
    try:
        return _run(work, options.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(work: Path, repeat: int) -> int:
    from stalkerscan import api
    from stalkerscan.acquire.ios.acquirer import IosAcquirer
    from stalkerscan.acquire.ios.client import open_session
    from stalkerscan.acquire.ios.scan import scan_iphone, wait_until_readable
    from stalkerscan.parse.ios.inventory import build_ios_inventory
    from stalkerscan.preserve.case import CaseFolder
    from stalkerscan.simulator.ios.phone import SimulatedIPhone
    from stalkerscan.simulator.ios.profile import parse_ios_profile
    from stalkerscan.simulator.ios.run import running_usbmuxd

    print(f"stalkerscan iPhone scan benchmark: Python {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs")
    sigs = api.resolve_signatures(None)
    runs = 0
    for size in (100, 1000):
        phone = SimulatedIPhone(parse_ios_profile(_profile(size), source="<bench>"))
        acquisition, whole, reparse = [], [], []
        with running_usbmuxd([phone]) as address:
            for _ in range(repeat):
                runs += 1
                start = time.perf_counter()
                session = open_session(None, address, wait_seconds=5)
                try:
                    wait_until_readable(session, deadline=time.monotonic() + 5, on_wait=None)
                    case = CaseFolder.create(work / f"acq-{runs}", platform="ios")
                    result = IosAcquirer(session, case).acquire()
                finally:
                    session.close()
                acquisition.append(time.perf_counter() - start)
                assert result.complete, result.reason

                start = time.perf_counter()
                inventory = build_ios_inventory(case)
                reparse.append(time.perf_counter() - start)

                start = time.perf_counter()
                scanned = scan_iphone(work / f"scan-{runs}", udid=None, usbmux_address=address, examiner=None,
                                      case_id=None, sigs=sigs, locale="en", formats=("json",), progress=None,
                                      on_wait=None, wait_seconds=5)
                whole.append(time.perf_counter() - start)
                assert scanned.complete
        assert phone.log.write_attempts() == []
        print(f"\n{len(inventory.apps)} apps ({len(phone.profile.apps)} on the simulated phone)")
        print(f"  acquisition:              {_median(acquisition)}")
        print(f"  whole scan (+ analysis):  {_median(whole)}")
        print(f"  re-parse preserved bytes: {_median(reparse)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
