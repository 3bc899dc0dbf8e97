"""``dumpsys``: the service dispatcher, ``-l``, and the unknown-service error."""

from __future__ import annotations

from collections.abc import Callable

from stalkerscan.simulator.android.base import ShellResult
from stalkerscan.simulator.android.outputs import (
    accessibility,
    device_policy,
    dumpsys_package,
    notification,
)
from stalkerscan.simulator.android.outputs.common import Context, encode

Renderer = Callable[[Context, list[str]], ShellResult]

SERVICES: dict[str, Renderer] = {
    "accessibility": accessibility.dumpsys_accessibility,
    "device_policy": device_policy.dumpsys_device_policy,
    "notification": notification.dumpsys_notification,
    "package": dumpsys_package.dumpsys_package,
}

# Services a phone has but whose dump the simulator leaves empty (they exist, so no error).
_QUIET_SERVICES = ("activity", "adb", "alarm", "appops", "audio", "battery", "batterystats",
                   "bluetooth_manager", "connectivity", "cpuinfo", "deviceidle", "diskstats",
                   "display", "input", "location", "media.camera", "meminfo", "netstats",
                   "power", "role", "sensorservice", "usagestats", "user", "wifi", "window")


def dumpsys(ctx: Context, args: list[str]) -> ShellResult:
    """``dumpsys [-l] [SERVICE [ARGS]]``."""
    if args[:1] == ["-l"]:
        names = sorted({*SERVICES, *_QUIET_SERVICES})
        return ShellResult(encode("Currently running services:\n"
                                  + "".join(f"  {n}\n" for n in names)))
    options = []
    while args and args[0].startswith("-") and args[0] not in ("-h",):
        if args[0] in ("-t", "-T", "--pid", "--thread", "--clients", "--priority"):
            options.append(args[0])
            args = args[1:] if args[0] in ("--pid", "--thread", "--clients") else args[2:]
            continue
        args = args[1:]
    if not args:
        return _everything(ctx)
    service, rest = args[0], args[1:]
    renderer = SERVICES.get(service)
    if renderer is not None:
        return renderer(ctx, rest)
    if service in _QUIET_SERVICES:
        return ShellResult(b"")
    return ShellResult(b"", encode(f"Can't find service: {service}\n"), 0)


def _everything(ctx: Context) -> ShellResult:
    separator = "-" * 79
    pieces: list[bytes] = []
    for name in sorted(SERVICES):
        result = SERVICES[name](ctx, [])
        pieces.append(encode(f"{separator}\nDUMP OF SERVICE {name}:\n"))
        pieces.append(result.stdout)
        pieces.append(encode(f"--------- 0.004s was the duration of dumpsys {name}, "
                             f"ending at: 2024-02-01 10:00:00\n"))
    return ShellResult(b"".join(pieces))
