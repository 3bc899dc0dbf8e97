"""``stalkerscan devices``: every phone this computer can see, on both platforms, with advice."""

from __future__ import annotations

from dataclasses import dataclass

from stalkerscan.errors import AdbMissingError, AdbServerError, DeviceError


@dataclass(frozen=True)
class PhoneSummary:
    """One connected phone as shown to the person at the computer."""

    platform: str
    """``android`` or ``ios``."""

    serial: str
    """adb serial or iPhone UDID."""

    model: str | None
    """Model, where known."""

    state: str
    """Connection state in the platform's own words (``device``, ``unauthorized``, ``paired``...)."""

    ready: bool
    """True when a scan can start now."""

    guidance: str
    """One plain sentence: what to do next."""

    name: str | None = None
    """The name the owner gave the phone (iPhone), where known."""


@dataclass(frozen=True)
class PlatformProblem:
    """Why one platform could not be listed (adb missing, usbmuxd not running...)."""

    platform: str
    """``android`` or ``ios``."""

    message: str
    """What is wrong."""

    advice: str | None
    """What to do."""


def list_android(adb_host: str | None = None, adb_port: int | None = None) -> list[PhoneSummary]:
    """Android phones the adb server sees (starting the server if needed)."""
    from stalkerscan.acquire.android.server import connect_to_server, resolve_server_address
    from stalkerscan.acquire.android.session import READY, guidance

    client = connect_to_server(resolve_server_address(adb_host, adb_port), timeout=10.0)
    return [
        PhoneSummary("android", e.serial, e.model, e.state, e.state == READY, guidance(e.state))
        for e in client.devices()
    ]


def list_ios(usbmux_address: str | None = None) -> list[PhoneSummary]:
    """iPhones usbmuxd sees, with their pairing state."""
    from stalkerscan.acquire.ios.devices import list_iphones

    return list_iphones(usbmux_address)


def list_phones_with_problems(
    *, adb_host: str | None = None, adb_port: int | None = None, usbmux_address: str | None = None
) -> tuple[list[PhoneSummary], list[PlatformProblem]]:
    """Phones of both platforms, and why a platform could not be listed."""
    phones: list[PhoneSummary] = []
    problems: list[PlatformProblem] = []
    try:
        phones += list_android(adb_host, adb_port)
    except (AdbMissingError, AdbServerError, DeviceError) as exc:
        problems.append(PlatformProblem("android", exc.message, exc.advice))
    try:
        phones += list_ios(usbmux_address)
    except DeviceError as exc:
        problems.append(PlatformProblem("ios", exc.message, exc.advice))
    except ImportError:
        pass  # the iPhone side is not installed in this build
    return phones, problems


def platforms_connected(
    serial: str | None = None, *, adb_host: str | None = None, adb_port: int | None = None,
    usbmux_address: str | None = None,
) -> set[str]:
    """``android`` and / or ``ios``: the platforms with a phone connected (the phone ``serial``
    when given; platforms that cannot be listed count as none).

    Only the adb server and usbmuxd are asked, never a phone: unlike ``devices``, which asks
    each iPhone whether it trusts this computer, so that choosing the platform to scan never
    puts a second "Trust This Computer?" in front of the person.
    """
    found: set[str] = set()
    try:
        if any(serial in (None, phone.serial) for phone in list_android(adb_host, adb_port)):
            found.add("android")
    except (AdbMissingError, AdbServerError, DeviceError):
        pass
    try:
        from stalkerscan.acquire.ios.devices import connected_iphones

        if any(serial is None or device.matches_udid(serial) for device in connected_iphones(usbmux_address)):
            found.add("ios")
    except DeviceError:
        pass
    except ImportError:
        pass  # the iPhone side is not installed in this build
    return found
