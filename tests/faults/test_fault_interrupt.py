"""Ctrl-C in the middle of a scan, and the program killed outright (SIGKILL).

Ctrl-C is a KeyboardInterrupt: raised from the progress callback as a step begins, or
delivered to the main thread (``_thread.interrupt_main``) while an answer is arriving, as a
real Ctrl-C would be. SIGKILL gives the program no chance to do anything: the scan runs in a
child process (fault_kill_child.py) that the test kills once records exist.
"""

from __future__ import annotations

import _thread
import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from android_scan_helpers import phone_from, scan_phone
from fault_helpers import (
    StepHook,
    assert_incomplete_case,
    assert_nothing_read_is_lost,
    assert_plain,
    assert_reports_valid,
    records_of,
    small_profile,
)

from stalkerscan import api
from stalkerscan.acquire.android.acquirer import DESCRIPTIONS
from stalkerscan.errors import EXIT_INCOMPLETE
from stalkerscan.model.artifacts import AndroidArtifact, Outcome
from stalkerscan.preserve.verify import verify_case

pytestmark = pytest.mark.timeout(60)

CHILD = Path(__file__).resolve().parent / "fault_kill_child.py"


def ctrl_c() -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize(("step", "last_record"), [
    (DESCRIPTIONS[AndroidArtifact.DUMPSYS_PACKAGE], "root_check"),
    ("Copying the app file", "clock_end"),
], ids=["before-dumpsys-package", "before-apk-pull"])
def test_ctrl_c_from_the_progress_callback(tmp_path, bundled_signatures, step, last_record):
    phone = phone_from(small_profile())
    case = scan_phone(phone, tmp_path / "case", bundled_signatures, progress=StepHook({step: ctrl_c}))
    records = assert_incomplete_case(case, phone, reason_contains="Ctrl-C")
    assert case.error is None  # nothing went wrong with the phone
    assert records[-1].name == last_record
    assert all(r.outcome is Outcome.OK for r in records)
    assert_reports_valid(case.path)


def test_ctrl_c_while_an_answer_arrives(tmp_path, bundled_signatures):
    phone = phone_from(small_profile())
    size = len(phone.run_shell("dumpsys package").stdout)
    out = tmp_path / "case"

    def press_ctrl_c_once_bytes_arrive() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            answers = list((out / "raw").glob("*-dumpsys_package.stdout"))
            if answers and answers[0].stat().st_size > 0:
                _thread.interrupt_main()  # KeyboardInterrupt in the scanning (main) thread
                return
            time.sleep(0.01)

    def slow_down() -> None:
        phone.faults = dataclasses.replace(phone.faults, slow_bytes_per_second=size // 5)
        threading.Thread(target=press_ctrl_c_once_bytes_arrive, daemon=True).start()

    hook = StepHook({DESCRIPTIONS[AndroidArtifact.DUMPSYS_PACKAGE]: slow_down})
    case = scan_phone(phone, out, bundled_signatures, progress=hook)
    records = assert_incomplete_case(case, phone, interrupted="dumpsys_package",
                                     reason_contains="Ctrl-C")
    kept = (case.path / records[-1].files["stdout"]).stat().st_size
    assert 0 < kept < size


def _wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("the child scan never got there")


def _custody_events(case_path: Path) -> list[dict]:
    log = case_path / "custody.log"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_bytes().splitlines() if line.strip()]


@pytest.mark.parametrize("mode", ["answering", "waiting"])
def test_killed_outright_mid_scan(tmp_path, bundled_signatures, mode):
    out = tmp_path / "case"
    child = subprocess.Popen([sys.executable, str(CHILD), str(out), mode], env=dict(os.environ),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        partial = out / "raw" / "0014-dumpsys_package.stdout"
        if mode == "answering":
            # Killed while the answer to `dumpsys package` is arriving.
            _wait_for(lambda: partial.exists() and partial.stat().st_size > 0)
        else:
            # Killed while waiting for that answer: the request is logged, nothing arrived.
            _wait_for(lambda: any(e["event"] == "request" and e["details"]["artifact"] == "dumpsys_package"
                                  for e in _custody_events(out)))
            time.sleep(0.2)
    finally:
        child.kill()  # SIGKILL, this test's own child
        _, stderr = child.communicate(timeout=30)
    assert child.returncode == -9, stderr.decode(errors="replace")

    mirrored = [json.loads(line) for line in (tmp_path / "requests.jsonl").read_text().splitlines()]
    # (A latency fault holds a request back before the phone model sees it: while "waiting",
    # `dumpsys package` has not reached its log yet.)
    last = "dumpsys package" if mode == "answering" else "ls -d"
    assert mirrored[-1]["request"].startswith(last)
    assert {entry["verdict"] for entry in mirrored} == {"read"}  # only reads reached the phone

    # Nothing closed or sealed the case; the custody log still vouches for every file.
    assert not (out / "acquisition.json").exists() and not (out / "manifest.json").exists()
    report = verify_case(out)
    assert report.ok, report
    assert not report.sealed
    assert report.partial == (("raw/0014-dumpsys_package.stdout",) if mode == "answering" else ())
    phone = phone_from(small_profile())  # the same phone, to compare what was kept
    records = assert_nothing_read_is_lost(out, phone)
    if mode == "answering":
        # Every byte that had arrived was handed to the operating system, so it outlived
        # the process: the partial answer is a true prefix of what the phone sent.
        kept = partial.read_bytes()
        assert kept and phone.run_shell("dumpsys package").stdout.startswith(kept)
    assert [r.name for r in records][-1] == "root_check"
    assert all(r.outcome is Outcome.OK for r in records)

    # analyze closes the case as incomplete, seals it, and it still verifies.
    case = api.analyze(out, signatures=bundled_signatures)
    assert case.exit_code == EXIT_INCOMPLETE and not case.complete
    acquisition = json.loads((out / "acquisition.json").read_text())
    assert acquisition["complete"] is False
    assert_plain(acquisition["incomplete_reason"])
    report = verify_case(out)
    assert report.ok and report.sealed and report.partial == ()
    assert_reports_valid(case.analysis_dir)
    assert case.result.inventory.app("org.example.sideloaded") is not None
    assert [r.name for r in records_of(out)] == [r.name for r in records]


def test_ctrl_c_while_an_app_file_arrives(tmp_path, bundled_signatures, monkeypatch):
    # Ctrl-C lands in the middle of an APK pull: the file's record says so in plain words and
    # keeps the bytes that had arrived.
    from stalkerscan.acquire.android.channel import AndroidChannel

    real_pull = AndroidChannel.pull

    def pull_then_ctrl_c(self, path, sink):
        def keep_then_stop(stream, chunk):
            sink(stream, chunk)
            raise KeyboardInterrupt

        return real_pull(self, path, keep_then_stop)

    monkeypatch.setattr(AndroidChannel, "pull", pull_then_ctrl_c)
    phone = phone_from(small_profile())
    case = scan_phone(phone, tmp_path / "case", bundled_signatures)
    records = assert_incomplete_case(case, phone, interrupted="apk", reason_contains="Ctrl-C")
    assert records[-1].error == "Stopped with Ctrl-C before the answer was complete."
    assert (case.path / records[-1].files["data"]).stat().st_size > 0
