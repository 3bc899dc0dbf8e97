"""``stalkerscan demo``: the full pipeline against a built-in simulated phone.

It is how clinics practise and how a new user sees a real report without a phone: a
simulated phone that speaks the real protocols is started on loopback, scanned by the same
code that scans real phones, and stopped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stalkerscan.acquire.progress import Progress
from stalkerscan.api import Case, scan
from stalkerscan.preserve.clock import stamp_for_path
from stalkerscan.simulator.requestlog import LoggedRequest


def default_demo_folder(platform: str) -> Path:
    """A new folder in the current directory, e.g. ``stalkerscan-demo-android-20261124T101500...Z``."""
    return Path.cwd() / f"stalkerscan-demo-{platform}-{stamp_for_path()}"


def simulated_phone(profile: str) -> tuple[str, Any]:
    """Load a profile (built-in name or YAML path) and build its simulated phone."""
    from stalkerscan.simulator.ios.profile import IosPhoneProfile
    from stalkerscan.simulator.profile import load_profile

    loaded = load_profile(profile)
    if isinstance(loaded, IosPhoneProfile):
        from stalkerscan.simulator.ios.phone import SimulatedIPhone

        return "ios", SimulatedIPhone(loaded)
    from stalkerscan.simulator.android.phone import SimulatedAndroidPhone

    return "android", SimulatedAndroidPhone.from_profile(loaded)


def run_demo(
    *,
    platform: str = "android",
    out: Path | str | None = None,
    profile: str | None = None,
    locale: str = "en",
    progress: Progress | None = None,
) -> tuple[Case, int, list[LoggedRequest]]:
    """Scan a simulated phone; returns the case, how many requests the phone received, and
    every request it refused as not read-only (always empty unless stalkerscan has a bug)."""
    kind, phone = simulated_phone(profile or f"{platform}-infected")
    target = Path(out) if out is not None else default_demo_folder(kind)
    common: dict[str, Any] = {
        "examiner": "stalkerscan demo", "case_id": "DEMO (simulated phone)", "locale": locale,
        "progress": progress, "wait_seconds": 10.0,
    }
    if kind == "android":
        from stalkerscan.simulator.android.run import running_host_server

        with running_host_server([phone]) as address:
            case = scan(target, platform="android", adb_host=address.host, adb_port=address.port, **common)
    else:
        from stalkerscan.simulator.ios.run import running_usbmuxd

        with running_usbmuxd([phone]) as address:
            case = scan(target, platform="ios", usbmux_address=address, **common)
    return case, phone.log.count(), phone.log.write_attempts()
