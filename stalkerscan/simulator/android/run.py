"""Running simulated Android phones: for tests, ``stalkerscan simulate`` and ``stalkerscan demo``.

- :func:`running_host_server`: an ADB host-protocol server (what pure-python-adb and the adb
  command line talk to) with simulated phones attached, in a background thread.
- :func:`running_adbd`: one simulated phone's adbd (ADB transport protocol), in a background
  thread, for the real adb server to ``adb connect`` to.
- :class:`AdbdProcess`: the same adbd in its own process.
- :class:`AdbServerProcess`: Debian's (or Google's) real ``adb`` server on a random port with
  a throwaway HOME, stopped by its PID.
- :func:`serve_android_in_foreground`: what ``stalkerscan simulate`` runs until Ctrl-C.

Every server binds to loopback only, never to 5555-5585 (the adb server adopts anything
there as an emulator), and stops with the ``with`` block that started it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from stalkerscan.errors import AdbMissingError, AdbServerError
from stalkerscan.simulator.android.adbd import AdbdServer, read_request_log
from stalkerscan.simulator.android.base import AndroidPhoneModel
from stalkerscan.simulator.android.host_server import AdbHostServer
from stalkerscan.simulator.requestlog import LoggedRequest, Verdict
from stalkerscan.simulator.serving import (
    EMULATOR_PORTS,
    STOP_TIMEOUT,
    LoopThread,
    check_listen_address,
    free_port,
    serve_until_stopped,
)

__all__ = [
    "EMULATOR_PORTS", "AdbServerProcess", "AdbdProcess", "ServerAddress", "check_listen_address",
    "describe_adbd", "describe_host_server", "find_adb", "free_port", "running_adbd",
    "running_host_server", "serve_android_in_foreground",
]


@dataclass(frozen=True)
class ServerAddress:
    """Where a simulated server listens."""

    host: str
    """Loopback address it is bound to."""

    port: int
    """TCP port."""

    @property
    def serial(self) -> str:
        """The serial the adb server gives a phone reached with ``adb connect`` here."""
        return f"{self.host}:{self.port}"

    def __str__(self) -> str:
        return self.serial


# --------------------------------------------------------------------------- servers on a thread
class _Server(Protocol):
    async def start(self, host: str, port: int) -> tuple[str, int]: ...

    async def close(self) -> None: ...


@contextlib.contextmanager
def _serving(server: _Server, host: str, port: int, name: str) -> Iterator[ServerAddress]:
    check_listen_address(host, port)
    runner = LoopThread(name)
    runner.start()
    try:
        bound_host, bound_port = runner.call(server.start(host, port))
        # The system picks port 0's port; on a computer whose ephemeral range reaches down to
        # 5555-5585 it could pick one there, where the adb server would adopt the phone.
        check_listen_address(bound_host, bound_port)
        yield ServerAddress(bound_host, bound_port)
    finally:
        try:
            runner.call(server.close())
        finally:
            runner.stop()


@contextlib.contextmanager
def running_host_server(phones: Sequence[AndroidPhoneModel], *, host: str = "127.0.0.1",
                        port: int = 0, prompt_delay: float = 1.0,
                        without_permission: Sequence[str] = (),
                        offline_connect_timeout: float = 10.0) -> Iterator[ServerAddress]:
    """Run an ADB host-protocol server with ``phones`` attached, for the ``with`` block.

    Point pure-python-adb (``Client(address.host, address.port)``), the adb command line
    (``adb -P PORT ...``) or stalkerscan (``--adb-port PORT``) at it. Options as in
    :class:`~stalkerscan.simulator.android.host_server.AdbHostServer`.
    """
    server = AdbHostServer(phones, prompt_delay=prompt_delay,
                           without_permission=without_permission,
                           offline_connect_timeout=offline_connect_timeout)
    with _serving(server, host, port, "simulated-adb-host-server") as address:
        yield address


@contextlib.contextmanager
def running_adbd(phone: AndroidPhoneModel, *, host: str = "127.0.0.1", port: int = 0,
                 prompt_delay: float = 1.0,
                 trusted_keys: Sequence[str | Path] = ()) -> Iterator[ServerAddress]:
    """Run one phone's adbd (ADB transport protocol) for the ``with`` block.

    The real adb server reaches it with ``adb connect ADDRESS`` and names the phone
    ``address.serial``. Options as in :class:`~stalkerscan.simulator.android.adbd.AdbdServer`.
    """
    server = AdbdServer(phone, prompt_delay=prompt_delay, trusted_keys=trusted_keys)
    with _serving(server, host, port, f"simulated-adbd-{phone.serial}") as address:
        yield address


# --------------------------------------------------------------------------- processes
def _stop_process(process: subprocess.Popen[Any]) -> None:
    """Stop exactly this process: SIGTERM, then SIGKILL if it does not go."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(STOP_TIMEOUT)


class AdbdProcess:
    """A simulated phone's adbd in its own Python process.

    The phone is a built-in or YAML ``profile``, or ``factory``: ``MODULE:CALLABLE`` returning
    an :class:`AndroidPhoneModel` (importable in the child; ``python_path`` entries are
    prepended to its ``PYTHONPATH``). ``options`` are extra command line options of ``python
    -m stalkerscan.simulator.android.adbd`` (``--state prompt``, ``--fragment 3``, ...). Every
    request is mirrored to a JSON-lines file that :meth:`requests` reads.
    """

    def __init__(self, factory: str | None = None, *, profile: str | None = None,
                 options: Sequence[str] = (), python_path: Sequence[str | Path] = (),
                 startup_timeout: float = 15.0) -> None:
        if (factory is None) == (profile is None):
            raise ValueError("give exactly one of factory and profile")
        self.factory = factory
        self.profile = profile
        self.options = list(options)
        self.python_path = [str(p) for p in python_path]
        self.startup_timeout = startup_timeout
        self.address: ServerAddress | None = None
        self._process: subprocess.Popen[str] | None = None
        self._directory: tempfile.TemporaryDirectory[str] | None = None

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._process.pid if self._process else None

    @property
    def request_log_path(self) -> Path:
        if self._directory is None:
            raise RuntimeError("the adbd process has not been started")
        return Path(self._directory.name) / "requests.jsonl"

    def start(self) -> ServerAddress:
        self._directory = tempfile.TemporaryDirectory(prefix="stalkerscan-adbd-")
        env = dict(os.environ)
        if self.python_path:
            env["PYTHONPATH"] = os.pathsep.join(
                [*self.python_path, *filter(None, [env.get("PYTHONPATH")])])
        source = ["--profile", self.profile] if self.profile else ["--factory", str(self.factory)]
        command = [sys.executable, "-m", "stalkerscan.simulator.android.adbd", *source,
                   "--port", "0",
                   "--request-log", str(self.request_log_path), *self.options]
        stderr_path = Path(self._directory.name) / "stderr.txt"
        with open(stderr_path, "w", encoding="utf-8") as stderr:
            self._process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                             stderr=stderr, text=True)
        line = self._read_ready_line()
        if not line.startswith("adbd listening on "):
            self.stop()
            detail = stderr_path.read_text(encoding="utf-8", errors="replace")[-2000:]
            self.cleanup()
            raise RuntimeError(f"simulated adbd did not start: {detail or line!r}")
        host, _, port = line.split()[3].rpartition(":")
        self.address = ServerAddress(host, int(port))
        return self.address

    def _read_ready_line(self) -> str:
        assert self._process is not None and self._process.stdout is not None
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self._process.stdout.readline()),  # type: ignore[union-attr]
                                  daemon=True)
        reader.start()
        reader.join(self.startup_timeout)
        return result[0].strip() if result else ""

    def requests(self) -> list[LoggedRequest]:
        """Every request the phone received so far."""
        path = self.request_log_path
        return read_request_log(path) if path.exists() else []

    def write_attempts(self) -> list[LoggedRequest]:
        """Every refused request so far."""
        return [entry for entry in self.requests() if entry.verdict is Verdict.REFUSED]

    def stop(self) -> None:
        if self._process is not None:
            _stop_process(self._process)
            if self._process.stdout is not None:
                self._process.stdout.close()

    def cleanup(self) -> None:
        self.stop()
        if self._directory is not None:
            self._directory.cleanup()
            self._directory = None

    def __enter__(self) -> AdbdProcess:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()


def find_adb(adb: str | None = None) -> str:
    """The adb program to use: ``adb`` given, else ``$ADB``, else ``adb`` on PATH."""
    candidate = adb or os.environ.get("ADB") or "adb"
    found = shutil.which(candidate)
    if found is None:
        raise AdbMissingError(
            f"The adb program ({candidate}) is not installed on this computer.",
            "Install it (Debian and Ubuntu: `sudo apt install adb`; elsewhere Google's "
            "SDK Platform-Tools), or set ADB=/path/to/adb.")
    return found


class AdbServerProcess:
    """The real adb server (``adb -P PORT nodaemon server``), just for this, stopped by PID.

    It gets a random free loopback port and its own HOME (a temporary folder unless ``home``
    is given), where it creates ``.android/adbkey`` and ``adbkey.pub`` on start. Note that a
    real adb server also looks at USB: on a computer with a phone plugged in, it sees that
    phone too, so always name simulated phones by serial.
    """

    def __init__(self, *, adb: str | None = None, home: str | Path | None = None,
                 port: int | None = None, startup_timeout: float = 15.0) -> None:
        self.adb = find_adb(adb)
        if port is not None:
            check_listen_address("127.0.0.1", port)
        self._chosen_port = port is not None
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        self._given_home = Path(home) if home is not None else None
        self._temporary_home: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def home(self) -> Path:
        """The HOME the server (and every ``run``) uses."""
        if self._given_home is not None:
            return self._given_home
        if self._temporary_home is None:
            self._temporary_home = tempfile.TemporaryDirectory(prefix="stalkerscan-adb-home-")
        return Path(self._temporary_home.name)

    @property
    def public_key_path(self) -> Path:
        """This server's ``adbkey.pub`` (exists once the server has started)."""
        return self.home / ".android" / "adbkey.pub"

    @property
    def log_path(self) -> Path:
        """Where the server's own log goes."""
        return self.home / "adb-server.log"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def env(self) -> dict[str, str]:
        """Environment for adb commands aimed at this server."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("ANDROID_ADB_SERVER_PORT", "ADB_SERVER_SOCKET",
                            "ANDROID_ADB_SERVER_ADDRESS", "ADB_VENDOR_KEYS")}
        env["HOME"] = str(self.home)
        return env

    def start(self) -> AdbServerProcess:
        """Start the server and wait until it answers; a random port that another program
        took in the meantime is replaced by a new one (three tries)."""
        self.home.mkdir(parents=True, exist_ok=True)
        for attempt in range(3):
            if self._start_once():
                return self
            if self._chosen_port or attempt == 2:
                break
            self.port = free_port()
        tail = self.log_path.read_text(errors="replace")[-2000:]
        raise AdbServerError(f"The adb server did not start on port {self.port}.",
                             f"Its log says: {tail.strip() or '(nothing)'}")

    def _start_once(self) -> bool:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen([self.adb, "-P", str(self.port), "nodaemon", "server"],
                                         env=self.env, stdin=subprocess.DEVNULL,
                                         stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            if self._answers_version():
                return True
            time.sleep(0.05)
        self.stop()
        return False

    def _answers_version(self) -> bool:
        # A raw request, not the adb CLI: the CLI would start a daemon of its own.
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as probe:
                probe.sendall(b"000chost:version")
                return probe.recv(4) == b"OKAY"
        except OSError:
            return False

    def run(self, *args: str, timeout: float = 30.0,
            input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:  # noqa: A002
        """Run ``adb -P PORT ARGS...`` against this server (never starts another one)."""
        if self._process is None or self._process.poll() is not None:
            raise RuntimeError("the adb server is not running")
        return subprocess.run([self.adb, "-P", str(self.port), *args], env=self.env,
                              input=input, capture_output=True, timeout=timeout, check=False)

    def text(self, *args: str, timeout: float = 30.0) -> str:
        """Standard output and error of ``adb -P PORT ARGS...`` as text."""
        done = self.run(*args, timeout=timeout)
        return (done.stdout + done.stderr).decode("utf-8", "replace")

    def connect(self, host: str, port: int, *, timeout: float = 30.0) -> str:
        """``adb connect HOST:PORT``; returns what adb printed (``connected to ...``,
        ``failed to authenticate to ...``)."""
        return self.text("connect", f"{host}:{port}", timeout=timeout).strip()

    def disconnect(self, serial: str, *, timeout: float = 30.0) -> str:
        """``adb disconnect SERIAL``; returns what adb printed."""
        return self.text("disconnect", serial, timeout=timeout).strip()

    def devices(self) -> dict[str, str]:
        """``adb devices``: serial -> state."""
        listed: dict[str, str] = {}
        for line in self.text("devices").splitlines():
            serial, tab, state = line.partition("\t")
            if tab:
                listed[serial] = state
        return listed

    def wait_for_state(self, serial: str, state: str | None, *, timeout: float = 15.0) -> None:
        """Wait until ``adb devices`` lists ``serial`` as ``state`` (None: not at all)."""
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            seen = self.devices().get(serial)
            if seen == state:
                return
            time.sleep(0.1)
        raise TimeoutError(f"{serial} stayed {seen!r}, never {state!r}, within {timeout} s")

    def stop(self) -> None:
        """Stop exactly the server this object started."""
        if self._process is not None:
            _stop_process(self._process)
        if self._log is not None:
            self._log.close()
            self._log = None

    def cleanup(self) -> None:
        self.stop()
        if self._temporary_home is not None:
            self._temporary_home.cleanup()
            self._temporary_home = None

    def __enter__(self) -> AdbServerProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()


# --------------------------------------------------------------------------- simulate
def describe_host_server(address: ServerAddress, phones: Sequence[AndroidPhoneModel]) -> str:
    """How to point adb, pure-python-adb and stalkerscan at a simulated adb server."""
    serials = ", ".join(f"{p.serial} ({p.state.value})" for p in phones)
    lines = [
        f"Simulated adb server (host protocol) on {address.host}:{address.port}",
        f"  phones:      {serials}",
        f"  adb:         adb -P {address.port} devices -l",
    ]
    if phones:
        lines.append(f"               adb -P {address.port} -s {phones[0].serial} shell getprop "
                     "ro.product.model")
    lines += [
        f"  stalkerscan: stalkerscan scan --adb-port {address.port} --out CASE_FOLDER",
        f"  python:      ppadb.client.Client('{address.host}', {address.port})",
        "  Stop with Ctrl-C.",
    ]
    return "\n".join(lines)


def describe_adbd(address: ServerAddress, phone: AndroidPhoneModel) -> str:
    """How to reach a simulated adbd through a real adb server."""
    return "\n".join([
        f"Simulated phone {phone.serial} ({phone.state.value}) speaking the ADB transport "
        f"protocol on {address}",
        f"  adb:         adb connect {address}",
        f"               adb -s {address} shell getprop ro.product.model",
        f"  stalkerscan: stalkerscan scan --serial {address} --out CASE_FOLDER",
        f"  when done:   adb disconnect {address}",
        "  Stop with Ctrl-C.",
    ])


def serve_android_in_foreground(phones: Sequence[AndroidPhoneModel], *, transport: bool,
                                port: int = 0, prompt_delay: float = 1.0,
                                out: Callable[[str], None] = print,
                                stop: threading.Event | None = None) -> None:
    """``stalkerscan simulate``: run the phones until Ctrl-C, SIGTERM or ``stop`` is set,
    printing how to reach them. ``transport=True`` runs one adbd (exactly one phone); else a
    host server with all of them."""
    if not phones:
        raise ValueError("no phone to simulate")
    if transport and len(phones) != 1:
        raise ValueError("the transport protocol simulates one phone per port")
    if transport:
        serve_until_stopped(running_adbd(phones[0], port=port, prompt_delay=prompt_delay),
                            lambda address: out(describe_adbd(address, phones[0])), stop)
    else:
        serve_until_stopped(running_host_server(phones, port=port, prompt_delay=prompt_delay),
                            lambda address: out(describe_host_server(address, phones)), stop)
