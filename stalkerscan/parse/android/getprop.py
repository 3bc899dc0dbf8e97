"""``getprop``: the phone's system properties, and the device facts drawn from them.

Each property prints as ``[key]: [value]``; a value holding a newline continues on the
following lines up to the closing ``]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from stalkerscan.model.android import AndroidDeviceInfo
from stalkerscan.model.common import ParseProblem
from stalkerscan.parse.android._text import ProblemLog, decode, numbered, to_int

_START = re.compile(r"\[([^\[\]]*)\]: \[")


@dataclass(frozen=True)
class GetpropResult:
    """Every property the phone printed."""

    props: Mapping[str, str] = field(default_factory=dict)
    """Property name to value, exactly as printed (multi-line values joined with ``\\n``)."""

    lines: Mapping[str, int] = field(default_factory=dict)
    """Property name to the 1-based line where it starts."""

    recognized: bool = False
    """True when the output looked like ``getprop`` output (at least one property)."""

    problems: tuple[ParseProblem, ...] = ()
    """Lines that could not be read."""


def parse_getprop(data: bytes, *, source: str = "getprop") -> GetpropResult:
    """Parse ``getprop`` output; never raises."""
    log = ProblemLog(source)
    props: dict[str, str] = {}
    starts: dict[str, int] = {}
    pending_key: str | None = None
    pending: list[str] = []
    pending_line = 0

    def commit(key: str, value: str, line: int) -> None:
        props[key] = value
        starts[key] = line

    for lineno, line in numbered(decode(data)):
        match = _START.match(line)
        if pending_key is not None:
            if match is None:
                if line.endswith("]"):
                    pending.append(line[:-1])
                    commit(pending_key, "\n".join(pending), pending_line)
                    pending_key = None
                else:
                    pending.append(line)
                continue
            # A new property starts while the previous value never closed.
            log.add(f"The value of {pending_key} has no closing bracket; kept as read",
                    pending_line, pending_key)
            commit(pending_key, "\n".join(pending), pending_line)
            pending_key = None
        if match is None:
            if line.strip():
                log.add("Not a [name]: [value] line", lineno, line)
            continue
        key = match.group(1)
        rest = line[match.end():]
        if rest.endswith("]"):
            commit(key, rest[:-1], lineno)
        else:
            pending_key, pending, pending_line = key, [rest], lineno
    if pending_key is not None:
        log.add(f"The output ends inside the value of {pending_key} (cut short?)",
                pending_line, pending_key)
        commit(pending_key, "\n".join(pending), pending_line)
    return GetpropResult(props=props, lines=starts, recognized=bool(props), problems=log.freeze())


def _first(props: Mapping[str, str], *keys: str) -> str | None:
    for key in keys:
        value = props.get(key)
        if value is not None and value.strip():
            return value.strip()
    return None


def bootloader_locked(props: Mapping[str, str]) -> bool | None:
    """Whether the bootloader is locked, from the most direct property the phone has."""
    flash = _first(props, "ro.boot.flash.locked")
    if flash in ("1", "0"):
        return flash == "1"
    state = _first(props, "ro.boot.vbmeta.device_state")
    if state in ("locked", "unlocked"):
        return state == "locked"
    boot = _first(props, "ro.boot.verifiedbootstate")
    if boot == "orange":
        return False
    if boot in ("green", "yellow"):
        # green: locked with the vendor's key; yellow: locked with a user-installed key.
        return True
    return None


def device_info_from_props(props: Mapping[str, str], *, serial: str | None = None) -> AndroidDeviceInfo:
    """The phone's identity and build facts; ``None`` for whatever it did not say."""
    return AndroidDeviceInfo(
        serial=serial or _first(props, "ro.serialno", "ro.boot.serialno"),
        manufacturer=_first(props, "ro.product.manufacturer", "ro.product.vendor.manufacturer",
                            "ro.product.system.manufacturer"),
        brand=_first(props, "ro.product.brand", "ro.product.vendor.brand", "ro.product.system.brand"),
        model=_first(props, "ro.product.model", "ro.product.vendor.model", "ro.product.odm.model",
                     "ro.product.system.model"),
        device=_first(props, "ro.product.device", "ro.product.vendor.device",
                      "ro.product.system.device"),
        android_version=_first(props, "ro.build.version.release",
                               "ro.build.version.release_or_codename"),
        sdk=to_int(_first(props, "ro.build.version.sdk")),
        security_patch=_first(props, "ro.build.version.security_patch"),
        build_type=_first(props, "ro.build.type"),
        build_tags=_first(props, "ro.build.tags"),
        fingerprint=_first(props, "ro.build.fingerprint", "ro.system.build.fingerprint",
                           "ro.vendor.build.fingerprint"),
        verified_boot_state=_first(props, "ro.boot.verifiedbootstate"),
        bootloader_locked=bootloader_locked(props),
        timezone=_first(props, "persist.sys.timezone"),
    )
