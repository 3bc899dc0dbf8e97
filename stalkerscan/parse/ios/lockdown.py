"""lockdownd ``GetValue`` answers, and the device facts drawn from them.

The all-values answer is ``{"Request": "GetValue", "Value": {...}}`` with keys such as
``UniqueDeviceID``, ``SerialNumber``, ``DeviceName``, ``ProductType``, ``ModelNumber``,
``ProductVersion``, ``BuildVersion``, ``ActivationState``, ``PasswordProtected``,
``TimeZone`` and ``TimeIntervalSince1970`` (the phone's clock, seconds since 1970, as a real).
A phone that refuses answers ``{"Request": "GetValue", "Error": "..."}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stalkerscan.model.common import ParseProblem
from stalkerscan.model.ios import IosDeviceInfo
from stalkerscan.parse.ios._plist import ProblemLog, flag, number, single_answer, text


@dataclass(frozen=True)
class LockdownValues:
    """What one ``GetValue`` answer said."""

    device: IosDeviceInfo
    """Device facts (``None`` fields for values the phone did not give)."""

    phone_clock: float | None = None
    """``TimeIntervalSince1970``: the phone's clock when it answered, where reported."""

    error: str | None = None
    """lockdownd's ``Error`` value when it refused."""

    recognized: bool = False
    """True when the answer held a values dictionary."""

    problems: tuple[ParseProblem, ...] = ()
    """What could not be read."""


def device_info_from_values(values: Mapping[str, Any]) -> IosDeviceInfo:
    """Device facts from lockdown's value names."""
    return IosDeviceInfo(
        udid=text(values.get("UniqueDeviceID")),
        serial=text(values.get("SerialNumber")),
        name=text(values.get("DeviceName")),
        product_type=text(values.get("ProductType")),
        model_number=text(values.get("ModelNumber")),
        ios_version=text(values.get("ProductVersion")),
        build_version=text(values.get("BuildVersion")),
        activation_state=text(values.get("ActivationState")),
        passcode_set=flag(values.get("PasswordProtected")),
        timezone=text(values.get("TimeZone")),
    )


def parse_lockdown_values(data: bytes, *, source: str = "lockdown_values") -> LockdownValues:
    """Parse the ``response`` stream of a ``GetValue`` with no key; never raises."""
    log = ProblemLog(source)
    answer = single_answer(data, log, "The GetValue answer")
    if answer is None:
        return LockdownValues(IosDeviceInfo(), problems=log.freeze())
    error = text(answer.get("Error"))
    values = answer.get("Value")
    if error is not None:
        log.add(f"The phone refused to give its values: {error}")
    if not isinstance(values, dict):
        if error is None:
            log.add("The GetValue answer holds no values dictionary")
        return LockdownValues(IosDeviceInfo(), error=error, problems=log.freeze())
    return LockdownValues(
        device=device_info_from_values(values),
        phone_clock=number(values.get("TimeIntervalSince1970")),
        error=error,
        recognized=True,
        problems=log.freeze(),
    )


def device_info_from_backup(info: Mapping[str, Any], lockdown: Mapping[str, Any] | None = None) -> IosDeviceInfo:
    """Device facts from a backup's ``Info.plist`` (and ``Manifest.plist``'s ``Lockdown``).

    ``Info.plist`` spells its keys with spaces (``Product Version``); ``Manifest.plist`` keeps
    a copy of some lockdown values under their lockdown names. ``Info.plist`` wins where both
    have a value, since iTunes / Finder write it last.
    """
    lockdown = lockdown if isinstance(lockdown, Mapping) else {}
    from_lockdown = device_info_from_values(lockdown)

    def pick(*keys: str) -> str | None:
        for key in keys:
            value = text(info.get(key))
            if value is not None:
                return value
        return None

    udid = pick("Unique Identifier", "Target Identifier")
    return IosDeviceInfo(
        udid=udid or from_lockdown.udid,
        serial=pick("Serial Number") or from_lockdown.serial,
        name=pick("Device Name", "Display Name") or from_lockdown.name,
        product_type=pick("Product Type") or from_lockdown.product_type,
        model_number=from_lockdown.model_number,
        ios_version=pick("Product Version") or from_lockdown.ios_version,
        build_version=pick("Build Version") or from_lockdown.build_version,
        activation_state=from_lockdown.activation_state,
        passcode_set=from_lockdown.passcode_set,
        timezone=from_lockdown.timezone,
    )
