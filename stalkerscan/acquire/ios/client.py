"""A plain synchronous API over pymobiledevice3's async one, for reading an iPhone.

One :class:`IphoneSession` owns one private event loop running in a helper thread; every call
runs one coroutine on it with a time limit and returns plain values or raises a typed
:class:`~stalkerscan.errors.DeviceError` with advice. Closing the session closes every
connection, cancels what is left and closes the loop (no loop outlives its session).

Every request goes through :mod:`stalkerscan.acquire.ios.channel`'s guard, including those
pymobiledevice3 sends while opening the session (``QueryType``, ``GetValue``,
``StartSession``). Pairing: the existing pair record is used when there is one (usbmuxd's,
iTunes', or pymobiledevice3's); otherwise the phone is asked, with ``Pair``, to show "Trust This
Computer?", and the pairing completes only if the person taps Trust and enters the passcode.
Nothing else about pairing is ever changed (no unpairing, no supervised pairing, no Wi-Fi
pairing).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import plistlib
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric import rsa
from pymobiledevice3 import exceptions as pmd3
from pymobiledevice3 import usbmux
from pymobiledevice3.lockdown import SERVICE_PORT, SYSTEM_BUID, UsbmuxLockdownClient
from pymobiledevice3.osu.os_utils import get_os_utils
from pymobiledevice3.service_connection import create_ssl_context

from stalkerscan.acquire.ios.channel import (
    LOCKDOWN,
    PROBE_SERVICES,
    SERVICES,
    UNASSIGNED,
    FrameSink,
    GuardedServiceConnection,
    RequestGuard,
    SentRequest,
)
from stalkerscan.errors import (
    DeviceDisconnectedError,
    DeviceError,
    DeviceLockedError,
    DeviceTimeoutError,
    DeviceUnauthorizedError,
    MultipleDevicesError,
    NoDeviceError,
    PairingDeniedError,
    ProtocolError,
    RequestRefusedError,
)

T = TypeVar("T")

LABEL = "stalkerscan"
"""The ``Label`` lockdownd logs for our requests."""

# --------------------------------------------------------------------------- advice
NEEDS_TRUST_ADVICE = "Unlock the iPhone, tap Trust, and enter the passcode."
TRUST_DENIED_ADVICE = (
    "Someone tapped \"Don't Trust\" on the iPhone. Unplug it, plug it in again, unlock it, and "
    "this time tap Trust and enter the passcode."
)
LOCKED_ADVICE = "Unlock the iPhone with its passcode and keep it unlocked until the scan ends."
NO_IPHONE_ADVICE = (
    "Connect the iPhone with a cable that carries data (not a charge-only cable), unlock it, and "
    "check that it appears in `stalkerscan devices`."
)
DISCONNECTED_ADVICE = (
    "Check the cable, keep the iPhone unlocked and plugged in, then scan again into a new "
    "folder. Everything read so far is kept."
)
TIMEOUT_ADVICE = (
    "The iPhone stopped answering. Unplug it and plug it in again, unlock it, and scan again "
    "into a new folder. Everything read so far is kept."
)
RECOVERY_ADVICE = "The iPhone is in recovery or restore mode. Restart it normally, unlock it, then try again."
READY_ADVICE = "Ready to scan."


def usbmuxd_missing_advice() -> str:
    """How to get usbmuxd running on this computer, in one paragraph."""
    import sys

    if sys.platform == "darwin":
        return ("macOS has usbmuxd built in: restart the computer if iPhones stop appearing, and "
                "try another cable or port.")
    if sys.platform.startswith("win"):
        return ("Install Apple Devices (Windows 11) or iTunes from Apple, which provide the "
                "\"Apple Mobile Device Service\", then plug the iPhone in again.")
    return ("Install and start usbmuxd (Debian/Ubuntu: `sudo apt install usbmuxd`; it starts "
            "when an iPhone is plugged in, or run `sudo systemctl start usbmuxd`), then plug the "
            "iPhone in again. To use another usbmuxd, set USBMUXD_SOCKET_ADDRESS.")


class UsbmuxdUnavailableError(DeviceError):
    """No usbmuxd answers at the address used: iPhones cannot be reached at all."""


def usbmuxd_unavailable(address: str | None) -> UsbmuxdUnavailableError:
    """The error for a usbmuxd that does not answer."""
    where = f" at {address}" if address else ""
    return UsbmuxdUnavailableError(
        f"The iPhone connection service (usbmuxd) is not running{where}.", usbmuxd_missing_advice()
    )


def map_error(exc: BaseException, *, udid: str | None = None, address: str | None = None) -> DeviceError:
    """A typed error with plain advice for anything pymobiledevice3 or the connection raised."""
    phone = f"The iPhone {udid}" if udid else "The iPhone"
    lost = f"the iPhone {udid}" if udid else "the iPhone"
    if isinstance(exc, DeviceError):
        return exc
    if isinstance(exc, pmd3.ConnectionFailedToUsbmuxdError):
        return usbmuxd_unavailable(address)
    if isinstance(exc, pmd3.UserDeniedPairingError):
        return PairingDeniedError(f"{phone} does not trust this computer (\"Don't Trust\" was tapped).",
                                  TRUST_DENIED_ADVICE)
    if isinstance(exc, (pmd3.PasswordRequiredError, pmd3.PasscodeRequiredError)):
        return DeviceLockedError(f"{phone} is locked.", LOCKED_ADVICE)
    if isinstance(exc, (pmd3.PairingDialogResponsePendingError, pmd3.NotPairedError,
                        pmd3.InvalidHostIDError, pmd3.FatalPairingError, pmd3.NotTrustedError)):
        return DeviceUnauthorizedError(f"{phone} has not trusted this computer yet.", NEEDS_TRUST_ADVICE)
    if isinstance(exc, (pmd3.NoDeviceConnectedError, pmd3.DeviceNotFoundError, pmd3.BadDevError)):
        return NoDeviceError(f"{phone} is not connected." if udid else "No iPhone is connected.",
                             NO_IPHONE_ADVICE)
    if isinstance(exc, pmd3.IncorrectModeError):
        return DeviceError(f"{phone} is not in normal mode.", RECOVERY_ADVICE)
    if isinstance(exc, (asyncio.TimeoutError, concurrent.futures.TimeoutError, TimeoutError)):
        return DeviceTimeoutError(f"{phone} did not answer in time.", TIMEOUT_ADVICE)
    if isinstance(exc, (pmd3.ConnectionTerminatedError, pmd3.ConnectionFailedError, pmd3.MuxException,
                        asyncio.IncompleteReadError, ConnectionError, EOFError, ssl.SSLError)):
        return DeviceDisconnectedError(f"The connection to {lost} was lost.", DISCONNECTED_ADVICE)
    if isinstance(exc, OSError):
        return DeviceDisconnectedError(f"The connection to {lost} failed: {exc.strerror or exc}.",
                                       DISCONNECTED_ADVICE)
    if isinstance(exc, (pmd3.ProtocolError, plistlib.InvalidFileException, ValueError)):
        return ProtocolError(f"{phone} answered something that could not be understood: {exc}",
                             "Unplug the iPhone, plug it in again and retry; if it happens again, "
                             "keep the case folder and report it.")
    if isinstance(exc, pmd3.PyMobileDevice3Exception):
        return DeviceError(f"{phone}: {exc}", DISCONNECTED_ADVICE)
    return DeviceError(f"{phone}: unexpected {type(exc).__name__}: {exc}", DISCONNECTED_ADVICE)


# --------------------------------------------------------------------------- the event loop
class LoopThread:
    """One private asyncio event loop in a daemon thread, for one session."""

    def __init__(self, name: str = "stalkerscan-iphone") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()
        self.closed = False

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, make: Callable[[], Awaitable[T]], timeout: float) -> T:
        """Run one coroutine on the loop; give up (and cancel it) after ``timeout`` seconds."""
        if self.closed:
            raise DeviceDisconnectedError("The iPhone session is closed.", DISCONNECTED_ADVICE)

        async def bounded() -> T:
            return await asyncio.wait_for(make(), timeout)

        future = asyncio.run_coroutine_threadsafe(bounded(), self.loop)
        try:
            # The coroutine bounds itself; the extra margin only guards against a stuck loop.
            return future.result(timeout + 10.0)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise
        except BaseException:
            future.cancel()
            raise

    def run_mapped(self, make: Callable[[], Awaitable[T]], timeout: float, *, udid: str | None = None,
                   address: str | None = None) -> T:
        """:meth:`run`, with whatever pymobiledevice3 or the connection raised turned into a typed
        :class:`DeviceError` with advice (:func:`map_error`). Our own errors (the read-only
        guard's refusals among them), Ctrl-C and exit pass unchanged."""
        try:
            return self.run(make, timeout)
        except (DeviceError, KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            raise map_error(exc, udid=udid, address=address) from exc

    def close(self, cleanup: Callable[[], Awaitable[None]] | None = None) -> None:
        """Run ``cleanup``, cancel every task left, stop and close the loop, join the thread."""
        if self.closed:
            return
        self.closed = True

        async def finish() -> None:
            if cleanup is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(cleanup(), 5.0)
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=5.0)
            await self.loop.shutdown_asyncgens()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(finish(), self.loop).result(15.0)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(15.0)
        if not self._thread.is_alive():
            self.loop.close()


# --------------------------------------------------------------------------- lockdown
class GuardedLockdownClient(UsbmuxLockdownClient):
    """pymobiledevice3's usbmux lockdown client whose every connection is guarded."""

    def __init__(self, *args: Any, guard: RequestGuard, **kwargs: Any) -> None:
        self.guard = guard
        super().__init__(*args, **kwargs)

    async def create_service_connection(
        self, port: int, ssl_context: ssl.SSLContext | None = None, strip_ssl: bool = False
    ) -> GuardedServiceConnection:
        connection_type = self.service.mux_device.connection_type if self.service.mux_device else None
        connection = await GuardedServiceConnection.create_using_usbmux(
            self.identifier, port, connection_type, usbmux_address=self.usbmux_address,
            ssl_context=ssl_context, strip_ssl=strip_ssl,
        )
        assert isinstance(connection, GuardedServiceConnection)
        return connection.bind(self.guard, LOCKDOWN if port == self.port else UNASSIGNED)

    async def save_pair_record(self) -> None:
        """Keep the record the person just approved, locally and with usbmuxd (at *our*
        usbmuxd address: pymobiledevice3's own version ignores it)."""
        await super().save_pair_record()
        if self.pair_record is None or self.identifier is None or self.service.mux_device is None:
            return
        with contextlib.suppress(pmd3.MuxException, OSError):
            mux = await usbmux.create_mux(usbmux_address=self.usbmux_address)
            try:
                if isinstance(mux, usbmux.PlistMuxConnection):
                    await mux.save_pair_record(self.identifier, self.service.mux_device.devid,
                                               plistlib.dumps(self.pair_record))
            finally:
                await mux.close()


def pairing_records_folder() -> Path:
    """pymobiledevice3's folder of pair records, resolved now (so a changed HOME counts)."""
    return get_os_utils().get_home_folder_path()


async def list_mux_devices(address: str | None) -> list[usbmux.MuxDevice]:
    """iPhones usbmuxd sees, one entry per phone (USB preferred over Wi-Fi)."""
    chosen: dict[str, usbmux.MuxDevice] = {}
    for device in await usbmux.list_devices(usbmux_address=address):
        key = device.serial.replace("-", "").upper()
        if key not in chosen or (device.is_usb and not chosen[key].is_usb):
            chosen[key] = device
    return list(chosen.values())


async def _read_buid(address: str | None) -> str:
    mux = await usbmux.create_mux(usbmux_address=address)
    try:
        if isinstance(mux, usbmux.PlistMuxConnection):
            return await mux.get_buid()
        return SYSTEM_BUID
    finally:
        await mux.close()


async def connect_lockdown(device: usbmux.MuxDevice, address: str | None, guard: RequestGuard,
                           folder: Path) -> GuardedLockdownClient:
    """Open lockdownd on one phone and start a session with an existing pair record (if any).

    Never pairs: ``client.paired`` is False when there is no usable record.
    """
    service = await GuardedServiceConnection.create_using_usbmux(
        device.serial, SERVICE_PORT, device.connection_type, usbmux_address=address)
    assert isinstance(service, GuardedServiceConnection)
    service.bind(guard, LOCKDOWN)
    try:
        buid = await _read_buid(address)
        client = await GuardedLockdownClient.create(
            service, identifier=device.serial, system_buid=buid, label=LABEL, autopair=False,
            pairing_records_cache_folder=folder, usbmux_address=address, guard=guard,
        )
    except BaseException:
        await service.close()
        raise
    assert isinstance(client, GuardedLockdownClient)
    return client


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class ServiceStart:
    """lockdownd's answer to one StartService."""

    service: str
    """The service asked for."""

    answer: Mapping[str, Any]
    """The answer as parsed (``Port``, ``EnableServiceSSL`` or ``Error``)."""

    request: str = ""
    """The request exactly as sent (XML plist)."""

    raw: bytes = b""
    """The answer exactly as received (length header and plist)."""

    @property
    def error(self) -> str | None:
        """lockdownd's error, if it refused."""
        value = self.answer.get("Error")
        return str(value) if value is not None else None


def request_xml(message: Mapping[str, Any]) -> str:
    """A request exactly as it is serialised on the wire (XML plist)."""
    return plistlib.dumps(dict(message)).decode("utf-8")


# --------------------------------------------------------------------------- the session
class IphoneSession:
    """One open, paired lockdown session with one iPhone: the only object that talks to it."""

    def __init__(self, loop: LoopThread, client: GuardedLockdownClient, guard: RequestGuard,
                 device: usbmux.MuxDevice, address: str | None, *, request_timeout: float) -> None:
        self._loop = loop
        self._client = client
        self.guard = guard
        self.device = device
        self.address = address
        self.request_timeout = request_timeout
        self._services: dict[str, GuardedServiceConnection] = {}
        self.service_starts: list[ServiceStart] = []

    # ------------------------------------------------------------------ facts
    @property
    def udid(self) -> str:
        """The phone's UDID as lockdown reports it (usbmuxd's serial as a fallback)."""
        return str(self._client.all_values.get("UniqueDeviceID") or self.device.serial)

    @property
    def values(self) -> Mapping[str, Any]:
        """The lockdown values read while opening the session (not preserved evidence)."""
        return dict(self._client.all_values)

    @property
    def sent(self) -> list[SentRequest]:
        """Every request sent so far."""
        return list(self.guard.sent)

    # ------------------------------------------------------------------ plumbing
    def _run(self, make: Callable[[], Awaitable[T]], timeout: float | None = None) -> T:
        return self._loop.run_mapped(make, timeout or self.request_timeout, udid=self.udid, address=self.address)

    @staticmethod
    async def _exchange(connection: GuardedServiceConnection, message: Mapping[str, Any],
                        sink: FrameSink | None) -> dict[str, Any]:
        connection.tap = sink
        try:
            return await connection.send_recv_plist(dict(message))
        finally:
            connection.tap = None

    # ------------------------------------------------------------------ lockdown
    def lockdown_request(self, message: Mapping[str, Any], sink: FrameSink | None = None) -> dict[str, Any]:
        """Send one lockdownd request (``GetValue``...) and return its parsed answer."""
        return self._run(lambda: self._exchange(self._client.service, message, sink))

    def start_service(self, name: str, sink: FrameSink | None = None) -> ServiceStart:
        """``StartService``; for a service we use, also connect to it (kept for later calls).

        A probe (a jailbreak-only service) is only asked for: the port it answers is never
        connected to. Raises :class:`DeviceLockedError` when the phone is locked.
        """
        message = {"Label": LABEL, "Request": "StartService", "Service": name}
        received = bytearray()

        def keep(chunk: bytes) -> None:
            received.extend(chunk)
            if sink is not None:
                sink(chunk)

        answer = self.lockdown_request(message, keep)
        start = ServiceStart(name, answer, request_xml(message), bytes(received))
        self.service_starts.append(start)
        if start.error == "PasswordProtected":
            raise DeviceLockedError("The iPhone is locked.", LOCKED_ADVICE)
        if start.error is not None or name in PROBE_SERVICES:
            return start
        if name not in SERVICES:
            raise RequestRefusedError(f"Refused to connect to the service {name!r}.")
        port = answer.get("Port")
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise ProtocolError(f"lockdownd answered StartService {name} without a usable port.")

        async def connect() -> GuardedServiceConnection:
            context = None
            if answer.get("EnableServiceSSL"):
                with self._client.ssl_file() as pem:
                    context = create_ssl_context(pem)
            connection = await self._client.create_service_connection(port, ssl_context=context)
            return connection.bind(self.guard, SERVICES[name])

        old = self._services.pop(name, None)
        if old is not None:
            self._run(old.close)
        self._services[name] = self._run(connect)
        return start

    def has_service(self, name: str) -> bool:
        """True when a connection to the service is open."""
        return name in self._services

    def _service(self, name: str) -> GuardedServiceConnection:
        if name not in self._services:
            raise DeviceError(f"The {name} service was not started.", DISCONNECTED_ADVICE)
        return self._services[name]

    # ------------------------------------------------------------------ services
    def service_request(self, name: str, message: Mapping[str, Any], sink: FrameSink | None = None) -> dict[str, Any]:
        """Send one request to a started service and return its single answer."""
        connection = self._service(name)
        return self._run(lambda: self._exchange(connection, message, sink))

    def service_stream(self, name: str, message: Mapping[str, Any], sink: FrameSink | None = None,
                       *, max_answers: int = 100_000) -> list[dict[str, Any]]:
        """Send one request whose answer comes in pages (``Browse``); read until ``Complete``
        or an error. Each page has its own time limit."""
        connection = self._service(name)
        timeout = self.request_timeout

        async def browse() -> list[dict[str, Any]]:
            connection.tap = sink
            try:
                await asyncio.wait_for(connection.send_plist(dict(message)), timeout)
                pages: list[dict[str, Any]] = []
                while len(pages) < max_answers:
                    page = await asyncio.wait_for(connection.recv_plist(), timeout)
                    pages.append(page)
                    if not isinstance(page, dict) or page.get("Status") == "Complete" or "Error" in page:
                        break
                return pages
            finally:
                connection.tap = None

        # Pages bound themselves; the overall limit only stops a phone paging forever.
        return self._run(browse, timeout=timeout * 20 + 60)

    # ------------------------------------------------------------------ closing
    def close(self) -> None:
        """Close every connection and the event loop."""

        async def close_all() -> None:
            for connection in list(self._services.values()):
                with contextlib.suppress(Exception):
                    await connection.close()
            self._services.clear()
            with contextlib.suppress(Exception):
                await self._client.close()

        self._loop.close(close_all)

    def __enter__(self) -> IphoneSession:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- opening
def choose_device(devices: list[usbmux.MuxDevice], udid: str | None) -> usbmux.MuxDevice:
    """The phone to scan: the one with ``udid``, or the only one connected."""
    if udid is not None:
        for device in devices:
            if device.matches_udid(udid):
                return device
        raise NoDeviceError(f"No iPhone with UDID {udid} is connected.",
                            "Run `stalkerscan devices` to see the phones this computer can see.")
    if not devices:
        raise NoDeviceError("No iPhone is connected.", NO_IPHONE_ADVICE)
    if len(devices) > 1:
        raise MultipleDevicesError(f"{len(devices)} iPhones are connected.",
                                   "Unplug the others, or choose one with --serial UDID (see `stalkerscan devices`).")
    return devices[0]


def open_session(
    udid: str | None,
    usbmux_address: str | None,
    *,
    wait_seconds: float = 60.0,
    on_wait: Callable[[str], None] | None = None,
    request_timeout: float = 60.0,
    connect_timeout: float = 30.0,
    poll_interval: float = 1.0,
) -> IphoneSession:
    """Open a paired session with the iPhone to scan, waiting up to ``wait_seconds`` for the
    person to tap Trust (``on_wait`` is told once what to do).

    Raises :class:`NoDeviceError`, :class:`MultipleDevicesError`,
    :class:`DeviceUnauthorizedError` (Trust not tapped in time), :class:`PairingDeniedError`,
    :class:`DeviceLockedError` or another :class:`DeviceError`.
    """
    loop = LoopThread()
    guard = RequestGuard()
    client: GuardedLockdownClient | None = None
    run = functools.partial(loop.run_mapped, address=usbmux_address)

    try:
        device = choose_device(run(lambda: list_mux_devices(usbmux_address), connect_timeout), udid)
        folder = pairing_records_folder()
        client = run(lambda: connect_lockdown(device, usbmux_address, guard, folder), connect_timeout, udid=udid)
        if not client.paired:
            _ask_for_trust(client, guard, run, wait_seconds=wait_seconds, on_wait=on_wait,
                           request_timeout=request_timeout, poll_interval=poll_interval, udid=udid)
        return IphoneSession(loop, client, guard, device, usbmux_address, request_timeout=request_timeout)
    except BaseException:
        held = client

        async def cleanup() -> None:
            if held is not None:
                await held.close()

        loop.close(cleanup)
        raise


def _ask_for_trust(client: GuardedLockdownClient, guard: RequestGuard, run: Callable[..., Any], *,
                   wait_seconds: float, on_wait: Callable[[str], None] | None, request_timeout: float,
                   poll_interval: float, udid: str | None) -> None:
    """Ask the phone to show "Trust This Computer?" and wait for the person's answer."""
    # One host key for every attempt, so each Pair request carries the same host identity.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    deadline = time.monotonic() + wait_seconds
    told: set[str] = set()

    async def pair_once() -> None:
        guard.pairing_allowed = True
        try:
            await client.pair(timeout=0, private_key=key)
        finally:
            guard.pairing_allowed = False

    while True:
        try:
            run(pair_once, request_timeout, udid=udid)
            break
        except (DeviceUnauthorizedError, DeviceLockedError) as exc:
            # Waiting for the Trust tap, or for the phone to be unlocked so it can show it.
            advice = exc.advice or NEEDS_TRUST_ADVICE
            if time.monotonic() >= deadline:
                raise
            if on_wait is not None and advice not in told:
                on_wait(advice)
                told.add(advice)
            time.sleep(min(poll_interval, max(0.0, deadline - time.monotonic())))

    async def start_session() -> bool:
        return await client.validate_pairing()

    if not run(start_session, request_timeout, udid=udid):
        raise DeviceUnauthorizedError(
            "The iPhone accepted this computer but then refused to start a session.",
            "Unplug the iPhone, plug it in again, unlock it and scan again.",
        )
