"""`stalkerscan simulate`: unmodified clients (adb CLI, pymobiledevice3 CLI) against it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

STALKERSCAN = [sys.executable, "-m", "stalkerscan.cli.main"]
pytestmark = pytest.mark.timeout(120)


def start_simulate(*args: str, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([*STALKERSCAN, "simulate", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=env)
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Stop with Ctrl-C" in line:
            return process, "".join(lines)
    process.kill()
    raise AssertionError("simulate did not start:\n" + "".join(lines))


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    rest, _ = process.communicate(timeout=30)
    return rest


@pytest.fixture()
def env(tmp_path):
    return dict(os.environ, HOME=str(tmp_path), PYTHONUNBUFFERED="1", COLUMNS="80")


@pytest.mark.skipif(shutil.which("adb") is None, reason="adb is not installed (Debian package adb)")
def test_adb_cli_connect_shell_pull_against_simulate(env, tmp_path):
    from stalkerscan.simulator.android.run import AdbServerProcess

    process, banner = start_simulate("android-infected", "--android-transport", env=env)
    try:
        address = re.search(r"adb connect (127\.0\.0\.1:\d+)", banner).group(1)
        with AdbServerProcess() as server:
            assert "connected" in server.text("connect", address)
            server.wait_for_state(address, "device")
            model = server.text("-s", address, "shell", "getprop", "ro.product.model").strip()
            assert model == "SM-A526B"
            paths = server.text("-s", address, "shell", "pm", "path", "net.example.systemsync")
            apk = paths.strip().splitlines()[0].removeprefix("package:")
            server.run("-s", address, "pull", apk, str(tmp_path / "base.apk"))
            assert (tmp_path / "base.apk").read_bytes()[:2] == b"PK"
            refused = server.run("-s", address, "shell", "pm", "uninstall", "net.example.systemsync")
            assert b"refused" in (refused.stdout + refused.stderr)
            server.disconnect(address)
    finally:
        tail = stop(process)
    assert "refused as not read-only" in tail
    assert re.search(r"1 were refused", tail)


def test_pymobiledevice3_cli_against_simulate(env):
    process, banner = start_simulate("ios-infected", "--ios", env=env)
    try:
        address = re.search(r"USBMUXD_SOCKET_ADDRESS=(\S+)", banner).group(1)
        run_env = dict(env, USBMUXD_SOCKET_ADDRESS=address)
        apps = subprocess.run([sys.executable, "-m", "pymobiledevice3", "apps", "list"],
                              capture_output=True, text=True, env=run_env, timeout=60)
        assert "net.example.familysafe" in apps.stdout, apps.stderr[-2000:]
        profiles = subprocess.run([sys.executable, "-m", "pymobiledevice3", "profile", "list"],
                                  capture_output=True, text=True, env=run_env, timeout=60)
        assert "net.example.devicecare.enrollment" in profiles.stdout, profiles.stderr[-2000:]
    finally:
        tail = stop(process)
    assert "0 were refused" in tail


def test_simulate_refuses_a_profile_of_the_other_platform(env):
    result = subprocess.run([*STALKERSCAN, "simulate", "ios-clean", "--android-host"], capture_output=True,
                            text=True, env=env, timeout=60)
    assert result.returncode == 2
    assert "The profile 'ios-clean' is an ios phone; it cannot be served with --android-host" in " ".join(
        result.stderr.split())


def test_simulate_unknown_profile_is_a_clear_error(env):
    result = subprocess.run([*STALKERSCAN, "simulate", "no-such-phone"], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 2
    assert "no-such-phone" in result.stderr
    assert "Traceback" not in result.stderr

