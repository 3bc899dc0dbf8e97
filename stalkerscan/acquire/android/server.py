"""Finding (and if needed starting) the adb server, honouring adb's own conventions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from stalkerscan.acquire.android.adb_client import AdbClient
from stalkerscan.errors import AdbMissingError, AdbServerError, UsageError

DEFAULT_PORT = 5037


@dataclass(frozen=True)
class AdbServerAddress:
    """Where the adb server listens and why we think so."""

    host: str
    """Host name or address."""

    port: int
    """TCP port."""

    source: str
    """What decided it: ``default``, ``option``, ``ANDROID_ADB_SERVER_PORT``, ``ADB_SERVER_SOCKET``."""

    @property
    def is_local(self) -> bool:
        """True when the server runs (or would be started) on this computer."""
        return self.host in ("127.0.0.1", "localhost", "::1")


def resolve_server_address(
    host: str | None = None, port: int | None = None, env: Mapping[str, str] | None = None
) -> AdbServerAddress:
    """Decide where the adb server is: options first, then adb's environment variables."""
    env = os.environ if env is None else env
    if host or port:
        return AdbServerAddress(host or "127.0.0.1", port or DEFAULT_PORT, "option")
    socket_spec = env.get("ADB_SERVER_SOCKET", "").strip()
    if socket_spec:
        parts = socket_spec.split(":")
        if parts[0] != "tcp" or len(parts) not in (2, 3) or not parts[-1].isdigit():
            raise UsageError(
                f"ADB_SERVER_SOCKET={socket_spec!r} is not supported.",
                "stalkerscan reaches the adb server over TCP: use a value like tcp:5037 or "
                "tcp:127.0.0.1:5037, or unset it.",
            )
        server_host = parts[1] if len(parts) == 3 else "127.0.0.1"
        return AdbServerAddress(server_host or "127.0.0.1", int(parts[-1]), "ADB_SERVER_SOCKET")
    port_text = env.get("ANDROID_ADB_SERVER_PORT", "").strip()
    server_host = env.get("ANDROID_ADB_SERVER_ADDRESS", "").strip() or "127.0.0.1"
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise UsageError(
                f"ANDROID_ADB_SERVER_PORT={port_text!r} is not a port number.",
                "Set it to a number such as 5037, or unset it.",
            )
        return AdbServerAddress(server_host, int(port_text), "ANDROID_ADB_SERVER_PORT")
    return AdbServerAddress(server_host, DEFAULT_PORT, "default")


def install_advice(platform: str | None = None) -> str:
    """How to install adb on this kind of computer, in one or two sentences."""
    platform = platform or sys.platform
    if platform.startswith("linux"):
        return ("Install adb, for example `sudo apt install adb` on Debian or Ubuntu, or "
                "`sudo dnf install android-tools` on Fedora, then try again.")
    if platform == "darwin":
        return ("Install adb with Homebrew: `brew install android-platform-tools`, "
                "or download Google's 'SDK Platform-Tools' for Mac, then try again.")
    if platform.startswith("win"):
        return ("Install Google's 'SDK Platform-Tools' for Windows (for example "
                "`winget install Google.PlatformTools`) and add its folder to PATH, then try again.")
    return "Install Google's 'SDK Platform-Tools' (it contains adb) and add it to PATH."


def find_adb_binary(env: Mapping[str, str] | None = None) -> str | None:
    """The adb program: ``$ADB`` if set, else the first ``adb`` on PATH."""
    env = os.environ if env is None else env
    explicit = env.get("ADB")
    if explicit and os.path.isfile(explicit) and os.access(explicit, os.X_OK):
        return explicit
    return shutil.which("adb")


def connect_to_server(address: AdbServerAddress, *, start: bool = True, timeout: float = 30.0) -> AdbClient:
    """An :class:`AdbClient` for a server that answers, starting a local one if needed."""
    client = AdbClient(address.host, address.port, timeout=timeout)
    try:
        client.server_version()
        return client
    except AdbServerError:
        if not (start and address.is_local):
            raise
    adb = find_adb_binary()
    if adb is None:
        raise AdbMissingError("The adb program is not installed on this computer.", install_advice())
    try:
        subprocess.run(
            [adb, "-P", str(address.port), "start-server"],
            check=True, capture_output=True, timeout=30,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        raise AdbServerError(
            f"Could not start the adb server on port {address.port}: {exc}",
            "Run `adb start-server` yourself to see why, then try again.",
        ) from exc
    client.server_version()
    return client
