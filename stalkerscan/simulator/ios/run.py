"""Run a simulated usbmuxd (with its iPhones) on a background thread.

::

    phone = SimulatedIPhone.load("ios-infected")
    with running_usbmuxd([phone]) as address:
        os.environ["USBMUXD_SOCKET_ADDRESS"] = address   # pymobiledevice3 finds it there
        ...
    assert phone.log.write_attempts() == []

By default usbmuxd listens on a unix socket inside a private (0700) temporary folder; on
platforms without unix sockets, or when asked, on ``127.0.0.1`` and a random port (never
5555-5585, where adb looks for emulators). The event loop runs on its own thread and everything
(thread, loop, sockets, the folder) is gone when the ``with`` block ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from stalkerscan.errors import UsageError
from stalkerscan.simulator.ios.phone import SimulatedIPhone
from stalkerscan.simulator.ios.usbmuxd import UsbmuxdServer
from stalkerscan.simulator.serving import EMULATOR_PORTS, LoopThread, check_port_for_user

_START_TIMEOUT = 15.0


@contextlib.contextmanager
def running_usbmuxd(phones: Sequence[SimulatedIPhone], *, socket_path: str | os.PathLike[str]
                    | None = None, tcp_port: int | None = None) -> Iterator[str]:
    """Serve ``phones`` through a simulated usbmuxd for the duration of the ``with`` block.

    Yields the address for ``USBMUXD_SOCKET_ADDRESS`` as pymobiledevice3 reads it: a unix socket
    path, or ``127.0.0.1:PORT`` when ``tcp_port`` is given (0 picks a free port). For
    libimobiledevice's tools use :func:`libimobiledevice_address`.
    """
    runner = UsbmuxdRunner(phones, socket_path=socket_path, tcp_port=tcp_port)
    runner.start()
    try:
        yield runner.address
    finally:
        runner.stop()


def libimobiledevice_address(address: str) -> str:
    """The same address as libimobiledevice's tools want it (``UNIX:/path`` for a socket)."""
    if _is_tcp(address):
        return address
    return f"UNIX:{address}"


def client_instructions(address: str) -> list[str]:
    """Lines telling a person how to point each client at a running simulated usbmuxd."""
    return [
        f"export USBMUXD_SOCKET_ADDRESS={address}",
        "  pymobiledevice3:   python -m pymobiledevice3 apps list     (and: profile list)",
        f"  libimobiledevice:  USBMUXD_SOCKET_ADDRESS={libimobiledevice_address(address)} "
        "ideviceinfo",
        "  stalkerscan:       stalkerscan devices    (then: stalkerscan scan --out DIR)",
    ]


def _is_tcp(address: str) -> bool:
    return ":" in address and not address.startswith("UNIX:")


class UsbmuxdRunner:
    """A :class:`~stalkerscan.simulator.ios.usbmuxd.UsbmuxdServer` on a background thread."""

    def __init__(self, phones: Sequence[SimulatedIPhone], *,
                 socket_path: str | os.PathLike[str] | None = None,
                 tcp_port: int | None = None) -> None:
        if socket_path is not None and tcp_port is not None:
            raise UsageError("Give either a unix socket path or a TCP port, not both.")
        if tcp_port is None and socket_path is None and not hasattr(socket, "AF_UNIX"):
            tcp_port = 0  # no unix sockets on this platform
        if tcp_port is not None:
            check_port_for_user(tcp_port, "the simulated usbmuxd")
        self.server = UsbmuxdServer(phones)
        """The usbmuxd being run."""
        self._tcp_port = tcp_port
        self._socket_path = Path(socket_path) if socket_path is not None else None
        self._private_dir: Path | None = None
        self._runner: LoopThread | None = None
        self._started = False
        self._asyncio_server: asyncio.AbstractServer | None = None
        self._bound = False
        self.address = ""
        """Where it listens, as ``USBMUXD_SOCKET_ADDRESS`` wants it (set by :meth:`start`)."""

    # ------------------------------------------------------------------ start / stop
    def start(self) -> None:
        """Start the thread and wait until usbmuxd listens."""
        if self._started:
            raise RuntimeError("already started")
        self._started = True
        if self._tcp_port is None:
            self._prepare_socket_path()
        self._runner = LoopThread("stalkerscan-usbmuxd")
        self._runner.start()
        try:
            self._runner.call(self._listen(), timeout=_START_TIMEOUT)
        except TimeoutError:
            self.stop()
            raise RuntimeError("the simulated usbmuxd did not start in time") from None
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Drop every connection, stop the loop, join the thread and remove the socket."""
        runner, self._runner = self._runner, None
        if runner is not None:
            try:
                runner.call(self._shutdown())
            finally:
                runner.stop()
        self._cleanup_files()

    def _prepare_socket_path(self) -> None:
        if self._socket_path is None:
            self._private_dir = Path(tempfile.mkdtemp(prefix="stalkerscan-usbmuxd-"))
            os.chmod(self._private_dir, stat.S_IRWXU)
            self._socket_path = self._private_dir / "usbmuxd.sock"
            return
        path = self._socket_path
        if ":" in str(path):
            raise UsageError(f"{path}: a usbmuxd socket path cannot contain ':' "
                             "(clients would read it as host:port).")
        if len(os.fsencode(path)) > 100:
            raise UsageError(f"{path}: the socket path is too long for a unix socket.",
                             "Choose a shorter path, or let stalkerscan pick one.")
        if path.exists() or path.is_symlink():
            raise UsageError(f"{path} already exists; it is never replaced.",
                             "Remove it yourself if it is a stale socket, or choose another path.")
        if not path.parent.is_dir():
            raise UsageError(f"{path.parent} is not a folder.")

    def _cleanup_files(self) -> None:
        if self._tcp_port is None and self._socket_path is not None and self._bound:
            with contextlib.suppress(FileNotFoundError):
                if self._socket_path.is_socket():
                    self._socket_path.unlink()
        if self._private_dir is not None:
            shutil.rmtree(self._private_dir, ignore_errors=True)
            self._private_dir = None

    # ------------------------------------------------------------------ on the loop
    async def _listen(self) -> None:
        self.server.start(asyncio.get_running_loop())
        if self._tcp_port is not None:
            self._asyncio_server = await self._listen_tcp()
            return
        assert self._socket_path is not None
        self._asyncio_server = await asyncio.start_unix_server(self.server.handle_client,
                                                               path=str(self._socket_path))
        self._bound = True
        os.chmod(self._socket_path, stat.S_IRUSR | stat.S_IWUSR)
        self.address = str(self._socket_path)

    async def _listen_tcp(self) -> asyncio.AbstractServer:
        for _ in range(20):
            server = await asyncio.start_server(self.server.handle_client, "127.0.0.1",
                                                self._tcp_port)
            port = server.sockets[0].getsockname()[1]
            if port not in EMULATOR_PORTS:
                self.address = f"127.0.0.1:{port}"
                return server
            server.close()
            await server.wait_closed()
        raise RuntimeError("could not find a free port outside 5555-5585")

    async def _shutdown(self) -> None:
        if self._asyncio_server is not None:
            self._asyncio_server.close()
        await self.server.shutdown()
        current = asyncio.current_task()
        pending: list[asyncio.Task[Any]] = [task for task in asyncio.all_tasks()
                                            if task is not current]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        if self._asyncio_server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._asyncio_server.wait_closed(), 5)
