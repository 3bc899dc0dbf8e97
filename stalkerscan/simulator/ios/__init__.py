"""Simulated iPhone: usbmuxd, lockdownd and the read-only lockdown services.

Unmodified pymobiledevice3 and libimobiledevice's tools talk to it as to an iPhone on a USB
cable (through ``USBMUXD_SOCKET_ADDRESS``)::

    from stalkerscan.simulator.ios import SimulatedIPhone, running_usbmuxd

    phone = SimulatedIPhone.load("ios-infected")
    with running_usbmuxd([phone]) as address:
        ...                                  # USBMUXD_SOCKET_ADDRESS=address
    assert phone.log.write_attempts() == []

Modules: ``profile`` (the YAML format, :func:`parse_ios_profile`), ``catalog`` and
``generate`` (realistic ordinary apps), ``pairing`` (pair records, TLS), ``phone`` (the model
and its read-only guard), ``stream`` (exact reads, faults, in-place TLS), ``usbmuxd``,
``lockdownd``, ``services`` (installation_proxy, MCInstall) and ``run`` (the background
thread). The format is documented in ``docs/simulator-ios-profiles.md``.
"""

from stalkerscan.simulator.ios.phone import SimulatedIPhone
from stalkerscan.simulator.ios.profile import (
    IosFaults,
    IosPhoneProfile,
    IPhoneState,
    parse_ios_faults,
    parse_ios_profile,
)
from stalkerscan.simulator.ios.run import (
    client_instructions,
    libimobiledevice_address,
    running_usbmuxd,
)

__all__ = [
    "IPhoneState",
    "IosFaults",
    "IosPhoneProfile",
    "SimulatedIPhone",
    "client_instructions",
    "libimobiledevice_address",
    "parse_ios_faults",
    "parse_ios_profile",
    "running_usbmuxd",
]
