"""``getprop``: ``[key]: [value]`` lines sorted by key, or one value."""

from __future__ import annotations

from stalkerscan.simulator.android.base import ShellResult
from stalkerscan.simulator.android.outputs.common import Context, encode


def getprop(ctx: Context, args: list[str]) -> ShellResult:
    """``getprop [-T] [KEY [DEFAULT]]``."""
    props = ctx.profile.properties
    rest = [a for a in args if a not in ("-T", "-Z")]
    if not rest:
        return ShellResult(encode("".join(f"[{k}]: [{v}]\n" for k, v in sorted(props.items()))))
    value = props.get(rest[0])
    if value is None:
        value = rest[1] if len(rest) > 1 else ""
    return ShellResult(encode(value + "\n"))
