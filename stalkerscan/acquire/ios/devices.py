"""``stalkerscan devices`` for iPhones: each one usbmuxd sees, its state, and what to do.

For each iPhone: connect to lockdownd and try the existing pair record. Without one, the
phone is asked (once, without waiting) to show "Trust This Computer?", which is what tells
"needs Trust" from "Trust denied" and puts the question in front of the person; the pairing
completes only if they tap Trust. A trusted phone is asked to start installation_proxy (no
connection is made to it): a locked phone refuses, which tells "locked" from "ready".
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from cryptography.hazmat.primitives.asymmetric import rsa
from pymobiledevice3 import exceptions as pmd3
from pymobiledevice3 import usbmux

from stalkerscan.acquire.ios.channel import INSTALLATION_PROXY_SERVICE, RequestGuard
from stalkerscan.acquire.ios.client import (
    LABEL,
    LOCKED_ADVICE,
    NEEDS_TRUST_ADVICE,
    READY_ADVICE,
    TRUST_DENIED_ADVICE,
    GuardedLockdownClient,
    LoopThread,
    connect_lockdown,
    list_mux_devices,
    pairing_records_folder,
)
from stalkerscan.errors import DeviceError

if TYPE_CHECKING:
    from stalkerscan.devices import PhoneSummary

T = TypeVar("T")

READY = "ready"
NEEDS_TRUST = "needs_trust"
TRUST_DENIED = "trust_denied"
LOCKED = "locked"
UNREACHABLE = "unreachable"

GUIDANCE = {
    READY: READY_ADVICE,
    NEEDS_TRUST: NEEDS_TRUST_ADVICE,
    TRUST_DENIED: TRUST_DENIED_ADVICE,
    LOCKED: LOCKED_ADVICE,
}
"""One plain sentence per state."""


def guidance(state: str) -> str:
    """What to do for an iPhone in this state."""
    return GUIDANCE.get(state, "Unplug the iPhone, plug it in again, unlock it, and try again.")


def resolve_usbmux_address(usbmux_address: str | None) -> str | None:
    """The usbmuxd address to use: the one given, else ``$USBMUXD_SOCKET_ADDRESS``, else the
    system's (None)."""
    return usbmux_address or os.environ.get("USBMUXD_SOCKET_ADDRESS") or None


def model_name(product_type: str | None) -> str | None:
    """``iPhone 12 (iPhone13,2)`` from a ProductType, or the ProductType alone."""
    if not product_type:
        return None
    from pymobiledevice3.irecv_devices import IRECV_DEVICES

    for device in IRECV_DEVICES:
        if device.product_type == product_type and device.display_name:
            return f"{device.display_name} ({product_type})"
    return product_type


async def _probe(client: GuardedLockdownClient, guard: RequestGuard) -> str:
    """The state of one connected phone (see the module docstring)."""
    if not client.paired:
        guard.pairing_allowed = True
        try:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            await client.pair(timeout=0, private_key=key)
        except pmd3.UserDeniedPairingError:
            return TRUST_DENIED
        except (pmd3.PasswordRequiredError, pmd3.PasscodeRequiredError):
            return LOCKED
        except (pmd3.PairingDialogResponsePendingError, pmd3.PairingError):
            return NEEDS_TRUST
        finally:
            guard.pairing_allowed = False
        if not await client.validate_pairing():
            return NEEDS_TRUST
    answer = await client.service.send_recv_plist(
        {"Label": LABEL, "Request": "StartService", "Service": INSTALLATION_PROXY_SERVICE})
    error = answer.get("Error")
    if error in ("PasswordProtected", "PasscodeRequired"):
        return LOCKED
    return READY


def connected_iphones(usbmux_address: str | None, *, timeout: float = 20.0) -> list[usbmux.MuxDevice]:
    """The iPhones usbmuxd lists. Only usbmuxd is asked: nothing is sent to the phones.

    Raises :class:`~stalkerscan.errors.DeviceError` when no usbmuxd answers.
    """
    address = resolve_usbmux_address(usbmux_address)
    loop = LoopThread("stalkerscan-devices")
    try:
        return loop.run_mapped(lambda: list_mux_devices(address), timeout, address=address)
    finally:
        loop.close()


def list_iphones(usbmux_address: str | None, *, timeout: float = 20.0) -> list[PhoneSummary]:
    """Every iPhone usbmuxd sees, with name, model, state and one plain sentence.

    Raises :class:`~stalkerscan.errors.DeviceError` (with advice on installing or starting it)
    when no usbmuxd answers at all.
    """
    from stalkerscan.devices import PhoneSummary

    address = resolve_usbmux_address(usbmux_address)
    loop = LoopThread("stalkerscan-devices")
    try:
        def run(make: Callable[[], Awaitable[T]], udid: str | None = None) -> T:
            return loop.run_mapped(make, timeout, udid=udid, address=address)

        devices = run(lambda: list_mux_devices(address))
        folder = pairing_records_folder()
        phones: list[PhoneSummary] = []
        for device in devices:
            guard = RequestGuard()
            holder: dict[str, Any] = {}

            async def probe(device: usbmux.MuxDevice = device, guard: RequestGuard = guard,
                            holder: dict[str, Any] = holder) -> str:
                client = await connect_lockdown(device, address, guard, folder)
                holder["values"] = dict(client.all_values)
                try:
                    return await _probe(client, guard)
                finally:
                    await client.close()

            try:
                state = run(probe, device.serial)
                advice = guidance(state)
            except DeviceError as exc:
                state, advice = UNREACHABLE, f"{exc.message} {exc.advice or ''}".strip()
            values = holder.get("values", {})
            phones.append(PhoneSummary(
                platform="ios",
                serial=str(values.get("UniqueDeviceID") or device.serial),
                model=model_name(values.get("ProductType")),
                state=state,
                ready=state == READY,
                guidance=advice,
                name=values.get("DeviceName") if isinstance(values.get("DeviceName"), str) else None,
            ))
        return phones
    finally:
        loop.close()
