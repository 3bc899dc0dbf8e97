"""What every simulated phone's server needs, whichever protocol it speaks.

- :data:`EMULATOR_PORTS`, :func:`check_listen_address` and :func:`check_port_for_user`:
  loopback only, never 5555-5585, where the adb server adopts anything listening as an
  emulator;
- :func:`free_port`: a free loopback port outside that range;
- :class:`LoopThread`: an asyncio event loop on a daemon thread that stops cleanly;
- :func:`paced_pieces`: an answer cut and paced as the ``fragment`` and
  ``slow_bytes_per_second`` faults say;
- :func:`serve_until_stopped`: run a server in the foreground until Ctrl-C, SIGTERM or an
  event (``stalkerscan simulate``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import signal
import socket
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from stalkerscan.errors import UsageError

EMULATOR_PORTS = range(5555, 5586)
"""Ports the adb server scans for emulators: a simulated phone there would be adopted."""

STOP_TIMEOUT = 10.0
"""Seconds to wait for a loop's coroutine or its thread to finish."""

_Address = TypeVar("_Address")


def check_listen_address(host: str, port: int) -> None:
    """Refuse anything but a literal loopback address, and the emulator ports 5555-5585.

    A name (even ``localhost``) is refused: what it resolves to is up to the computer's
    configuration, and a simulated phone must never be reachable from the network."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"simulated phones listen on loopback only (127.0.0.1), not on {host!r}")
    if port in EMULATOR_PORTS:
        raise ValueError(f"port {port} is in 5555-5585, where the adb server looks for "
                         "emulators; pick another port or 0 for a free one")
    if not 0 <= port < 65536:
        raise ValueError(f"port {port} is not a TCP port")


def check_port_for_user(port: int, what: str) -> None:
    """:func:`check_listen_address` for a port a person chose (0: any free port), as a
    :class:`~stalkerscan.errors.UsageError` that says what to do instead."""
    try:
        check_listen_address("127.0.0.1", port)
    except ValueError as exc:
        raise UsageError(f"Port {port} cannot be used for {what}.",
                         "Choose 0 (any free port) or a port outside 5555-5585, where the adb "
                         "server looks for emulators and would adopt the simulated phone."
                         ) from exc


def free_port(host: str = "127.0.0.1") -> int:
    """A currently free loopback port outside 5555-5585."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            port = int(probe.getsockname()[1])
        if port not in EMULATOR_PORTS:
            return port


class LoopThread:
    """An asyncio event loop in a daemon thread.

    :meth:`stop` stops the loop, cancels and awaits every task still pending, shuts down
    async generators, closes the loop and joins the thread.
    """

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
            pending = asyncio.all_tasks(self.loop)
            for task in pending:
                task.cancel()
            if pending:
                self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            self.loop.close()

    def start(self) -> None:
        """Start the thread (the loop runs until :meth:`stop`)."""
        self._thread.start()

    def call(self, coroutine: Coroutine[Any, Any, Any], timeout: float = STOP_TIMEOUT) -> Any:
        """Run ``coroutine`` on the loop and return its result (or raise its exception)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        """Stop the loop and wait for the thread to end."""
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(STOP_TIMEOUT)


def paced_pieces(data: bytes, *, fragment: int = 0, bytes_per_second: int = 0,
                 largest: int | None = None) -> Iterator[tuple[bytes, float]]:
    """``data`` as a faulty phone sends it: pieces of at most ``fragment`` bytes (0: whole)
    and, when ``bytes_per_second`` > 0, about ten pieces a second, each with the seconds to
    pause after it to keep to that rate. ``largest`` is the most the layer sends at once."""
    size = largest or len(data) or 1
    if fragment > 0:
        size = min(size, fragment)
    if bytes_per_second > 0:
        size = min(size, max(1, bytes_per_second // 10))
    for start in range(0, len(data), size):
        piece = data[start:start + size]
        yield piece, len(piece) / bytes_per_second if bytes_per_second > 0 else 0.0


def serve_until_stopped(serving: AbstractContextManager[_Address],
                        on_ready: Callable[[_Address], None],
                        stop: threading.Event | None = None) -> None:
    """Enter ``serving``, hand what it yields to ``on_ready`` (to say how to connect), then
    block until Ctrl-C, SIGTERM (when called on the main thread) or ``stop`` is set; the
    server stops with the block."""
    stop = stop or threading.Event()
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if in_main_thread else None
    try:
        with serving as address:
            on_ready(address)
            with contextlib.suppress(KeyboardInterrupt):
                while not stop.wait(0.5):
                    pass
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
