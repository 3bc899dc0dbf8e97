"""The adb server is killed in the middle of a scan (Debian's real adb server).

stalkerscan -> real adb server -> simulated adbd. The phone is slowed down while it answers
``dumpsys package``, so the server can be killed (SIGKILL, by its own process id) while that
answer is arriving.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import threading
import time

import pytest
from android_scan_helpers import phone_from
from fault_helpers import StepHook, assert_incomplete_case, small_profile

from stalkerscan import api
from stalkerscan.acquire.android.acquirer import DESCRIPTIONS
from stalkerscan.errors import AdbServerError
from stalkerscan.model.artifacts import AndroidArtifact

pytestmark = [
    pytest.mark.skipif(shutil.which("adb") is None, reason="adb is not installed (Debian package adb)"),
    pytest.mark.adb_server,
    pytest.mark.timeout(90),
]


def test_adb_server_killed_while_dumpsys_package_arrives(tmp_path, bundled_signatures):
    from stalkerscan.simulator.android.run import AdbServerProcess, running_adbd

    phone = phone_from(small_profile())
    size = len(phone.run_shell("dumpsys package").stdout)
    out = tmp_path / "case"
    killed = threading.Event()

    with AdbServerProcess() as server, running_adbd(phone) as address:
        server.connect(address.host, address.port)
        server.wait_for_state(address.serial, "device")

        def kill_when_answer_arrives() -> None:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                answers = list((out / "raw").glob("*-dumpsys_package.stdout"))
                if answers and answers[0].stat().st_size > 0:
                    os.kill(server.pid, signal.SIGKILL)  # the server this test started
                    killed.set()
                    return
                time.sleep(0.01)

        def slow_down() -> None:
            # About ten seconds for the whole answer: a wide window to kill the server in.
            phone.faults = dataclasses.replace(phone.faults, slow_bytes_per_second=size // 10)
            threading.Thread(target=kill_when_answer_arrives, daemon=True).start()

        hook = StepHook({DESCRIPTIONS[AndroidArtifact.DUMPSYS_PACKAGE]: slow_down})
        case = api.scan(out, platform="android", serial=address.serial, adb_port=server.port,
                        signatures=bundled_signatures, wait_seconds=5, progress=hook)
    assert killed.is_set()
    records = assert_incomplete_case(case, phone, interrupted="dumpsys_package")
    kept = (case.path / records[-1].files["stdout"]).stat().st_size
    assert 0 < kept < size
    # The message says what happened: not the cable, the adb server.
    assert isinstance(case.error, AdbServerError), case.error
    assert "adb server" in case.error.message
